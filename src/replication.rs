//! The replication stream, first step: what a replica receives from its
//! master. A client that sends SYNC (or `PSYNC ? -1`, answered with
//! `+FULLRESYNC <replid> <offset>`) gets a snapshot of the dataset as an RDB
//! payload (`$<len>\r\n` then the bytes) and then every propagated
//! operation (`propagate.rs`), with SELECT when the database changes and a
//! PING every `repl-ping-replica-period` seconds, as Redis feeds its
//! replicas. Redis's test harness reads the stream this way, and full
//! replication will build on it.
//!
//! The snapshot is a BGSAVE to `dbfilename` (Redis's disk-based sync):
//! operations from the moment it began are kept for each waiting replica
//! and sent right after the payload, so payload + stream is exact. A
//! replica arriving while another kind of snapshot runs waits for the next.

use crate::net::client::Client;
use crate::propagate::Target;
use crate::server::Server;
use bytes::Bytes;

#[derive(Debug)]
enum State {
    /// Waiting for a snapshot that has not started yet.
    WaitNext,
    /// The running snapshot is ours: operations since it began.
    WaitPayload(Vec<u8>),
    Online,
}

struct Replica {
    token: usize,
    id: u64,
    state: State,
    target: Target,
}

/// The replicas of this server (`Server::replicas`).
#[derive(Default)]
pub struct Replicas {
    list: Vec<Replica>,
    /// The running snapshot was started for replicas.
    snapshot_for_sync: bool,
    last_ping_ms: i64,
}

impl Replicas {
    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// SYNC / PSYNC from `c`: it becomes a replica. Returns false when the
/// snapshot could not be started (the client is told).
pub fn attach(srv: &mut Server, c: &mut Client) -> bool {
    if srv.replicas.list.iter().any(|r| r.id == c.id) {
        return true;
    }
    let state = if srv.rdb.snapshot.is_some() {
        // A snapshot for other replicas began at the same point: share it.
        let shared = srv.replicas.snapshot_for_sync.then(|| {
            srv.replicas.list.iter().find_map(|r| match &r.state {
                State::WaitPayload(buf) => Some(buf.clone()),
                _ => None,
            })
        });
        match shared.flatten() {
            Some(buf) => State::WaitPayload(buf),
            None => State::WaitNext,
        }
    } else {
        if let Err(e) = crate::persistence::background::bgsave(srv) {
            c.reply.err(&e);
            return false;
        }
        srv.replicas.snapshot_for_sync = true;
        State::WaitPayload(Vec::new())
    };
    if srv.replicas.list.is_empty() {
        srv.replicas.last_ping_ms = srv.now_ms;
    }
    crate::log_notice!(
        "Replica {} asks for synchronization",
        c.addr.trim_end_matches(":0")
    );
    srv.replicas.list.push(Replica {
        token: c.token,
        id: c.id,
        state,
        target: Target::default(),
    });
    srv.sync_propagation();
    true
}

/// Feed a unit of operations to every replica.
pub fn feed(srv: &mut Server, ops: &[(usize, Vec<Bytes>)]) {
    let mut online = Vec::new();
    for r in &mut srv.replicas.list {
        match &mut r.state {
            State::WaitNext => {}
            State::WaitPayload(buf) => r.target.feed(buf, ops),
            State::Online => {
                let mut out = Vec::new();
                r.target.feed(&mut out, ops);
                online.push((r.token, r.id, out));
            }
        }
    }
    for (token, id, out) in online {
        send(srv, token, id, &out);
    }
}

/// Append `bytes` to replica client (token, id)'s output.
fn send(srv: &mut Server, token: usize, id: u64, bytes: &[u8]) {
    if let Some(Some(c)) = srv.clients.get_mut(token)
        && c.id == id
    {
        c.reply.buf.extend_from_slice(bytes);
        srv.queue_write(token);
    }
}

/// A BGSAVE ended: replicas waiting for it get the payload and what
/// happened since; those waiting for the next one get one started.
pub fn snapshot_done(srv: &mut Server, ok: bool) {
    if srv.replicas.list.is_empty() {
        return;
    }
    srv.replicas.snapshot_for_sync = false;
    let payload = if ok {
        std::fs::read(crate::persistence::rdb_path(srv)).ok()
    } else {
        None
    };
    let mut waiting_next = false;
    let mut deliveries = Vec::new();
    let mut failed = Vec::new();
    for r in &mut srv.replicas.list {
        match &mut r.state {
            State::WaitPayload(buf) => match &payload {
                Some(p) => {
                    let mut out = format!("${}\r\n", p.len()).into_bytes();
                    out.extend_from_slice(p);
                    out.append(buf);
                    deliveries.push((r.token, r.id, out));
                    r.state = State::Online;
                }
                None => failed.push(r.token),
            },
            State::WaitNext => waiting_next = true,
            State::Online => {}
        }
    }
    for (token, id, out) in deliveries {
        crate::log_notice!("Synchronization with replica succeeded");
        send(srv, token, id, &out);
    }
    for token in failed {
        crate::log_warning!("SYNC failed. BGSAVE child returned an error");
        srv.kill_client(token);
    }
    if waiting_next && crate::persistence::background::bgsave(srv).is_ok() {
        srv.replicas.snapshot_for_sync = true;
        for r in &mut srv.replicas.list {
            if matches!(r.state, State::WaitNext) {
                r.state = State::WaitPayload(Vec::new());
            }
        }
    }
}

/// A client is being freed: forget it if it was a replica.
pub fn remove_client(srv: &mut Server, c: &Client) {
    srv.replicas.list.retain(|r| r.id != c.id);
    srv.sync_propagation();
}

/// Whether `c` is a replica (its own commands get no replies).
pub fn is_replica(srv: &Server, c: &Client) -> bool {
    srv.replicas.list.iter().any(|r| r.id == c.id)
}

/// serverCron's part: a PING to the replicas every
/// `repl-ping-replica-period` seconds, in the stream's current database.
pub fn cron(srv: &mut Server) {
    if srv.replicas.list.is_empty() {
        return;
    }
    let period: i64 = srv
        .cfg
        .get("repl-ping-replica-period")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    if srv.now_ms - srv.replicas.last_ping_ms < period * 1000 {
        return;
    }
    srv.replicas.last_ping_ms = srv.now_ms;
    let mut ping = Vec::new();
    crate::propagate::encode_command(&mut ping, &[Bytes::from_static(b"PING")]);
    let mut online = Vec::new();
    for r in &mut srv.replicas.list {
        match &mut r.state {
            State::WaitPayload(buf) => buf.extend_from_slice(&ping),
            State::Online => online.push((r.token, r.id)),
            State::WaitNext => {}
        }
    }
    for (token, id) in online {
        send(srv, token, id, &ping);
    }
}
