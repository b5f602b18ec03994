//! Replication, master side: the stream a replica receives.
//!
//! A client that sends SYNC or PSYNC becomes a replica. `PSYNC <replid>
//! <offset>` naming our history at an offset still in the backlog gets
//! `+CONTINUE <replid>` and the missing bytes; anything else is a full
//! resynchronization: `+FULLRESYNC <replid> <offset>` (SYNC gets no such
//! line), an RDB payload (`$<len>\r\n` then the bytes) from a BGSAVE to
//! `dbfilename` (Redis's disk-based sync), then every propagated
//! operation (`propagate.rs`), with SELECT when the database changes and a
//! PING every `repl-ping-replica-period` seconds.
//!
//! The stream is one sequence of bytes for all replicas, numbered by the
//! replication offset (`master_repl_offset`, bytes fed since the history
//! `replid` began): the same bytes go to every online replica and into the
//! backlog (the last `repl-backlog-size` bytes), so any replica's position
//! is a plain offset. Operations from the moment a snapshot began are kept
//! for each replica waiting for it and sent right after the payload, so
//! payload + stream is exact, and its FULLRESYNC names the offset at that
//! moment. A replica arriving while another kind of snapshot runs waits
//! for the next.
//!
//! Replicas say `REPLCONF ACK <offset>` every second: that feeds INFO's
//! `lag`, `min-replicas-to-write` and WAIT, which blocks its client until
//! enough replicas acknowledged what it wrote (`REPLCONF GETACK *` asks
//! them to answer at once). On a replica (`crate::replica`) the same
//! stream state holds what was received from its master, which chained
//! replicas get byte for byte.

use std::collections::VecDeque;

use crate::net::client::Client;
use crate::propagate::Target;
use crate::server::Server;
use bytes::Bytes;

#[derive(Debug)]
enum State {
    /// Waiting for a snapshot that has not started yet.
    WaitNext,
    /// The running snapshot is ours: stream bytes since it began.
    WaitPayload(Vec<u8>),
    Online,
}

struct Replica {
    token: usize,
    id: u64,
    state: State,
    /// Sent PSYNC (gets `+FULLRESYNC` when its snapshot begins).
    psync: bool,
    /// Address and REPLCONF listening-port / ip-address.
    ip: String,
    port: u16,
    ack_offset: i64,
    ack_ms: i64,
}

/// The last bytes of the stream, for partial resynchronization.
struct Backlog {
    buf: VecDeque<u8>,
    size: usize,
}

/// WAIT clients: (slot, id, offset to reach, replicas wanted, deadline).
type Waiter = (usize, u64, i64, usize, i64);

/// The replication state of this server (`Server::replicas`).
pub struct Replicas {
    list: Vec<Replica>,
    /// The running snapshot was started for replicas.
    snapshot_for_sync: bool,
    last_ping_ms: i64,
    /// Our history: its id, and the one before (after a promotion) with
    /// the first offset that is no longer part of it.
    pub replid: String,
    pub replid2: String,
    pub offset: i64,
    pub second_offset: i64,
    backlog: Option<Backlog>,
    /// Which database the stream last selected.
    target: Target,
    waiters: Vec<Waiter>,
    /// A WAIT began this loop iteration: ask replicas for an ACK.
    get_ack: bool,
    /// Unix time (ms) the last replica left, for repl-backlog-ttl.
    no_replicas_since: i64,
    /// Since when replicas wait for a snapshot to start; the last newline
    /// sent to keep them waiting.
    wait_since: i64,
    last_newline_ms: i64,
    /// INFO stats: full and partial synchronizations served.
    pub sync_full: u64,
    pub sync_partial_ok: u64,
    pub sync_partial_err: u64,
    /// The stream database of a history restored from the RDB at start
    /// (a replica's cached master, see `restore_as_replica`).
    pub restored_db: Option<usize>,
}

impl Default for Replicas {
    fn default() -> Self {
        Replicas {
            list: Vec::new(),
            snapshot_for_sync: false,
            last_ping_ms: 0,
            replid: random_replid(),
            replid2: "0".repeat(40),
            offset: 0,
            second_offset: -1,
            backlog: None,
            target: Target::default(),
            waiters: Vec::new(),
            get_ack: false,
            no_replicas_since: 0,
            wait_since: 0,
            last_newline_ms: 0,
            sync_full: 0,
            sync_partial_ok: 0,
            sync_partial_err: 0,
            restored_db: None,
        }
    }
}

pub fn random_replid() -> String {
    use rand::RngExt;
    let mut r = rand::rng();
    (0..40)
        .map(|_| format!("{:x}", r.random_range(0..16u8)))
        .collect()
}

impl Replicas {
    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Whether propagated operations feed the stream (there is a backlog
    /// or a replica).
    pub fn wants_stream(&self) -> bool {
        !self.list.is_empty() || self.backlog.is_some()
    }

    /// A new history: a fresh replid, the old one kept as replid2 up to
    /// the current offset (Redis's shiftReplicationId).
    pub fn shift_replid(&mut self) {
        self.replid2 = std::mem::replace(&mut self.replid, random_replid());
        self.second_offset = self.offset + 1;
    }

    /// The stream's next command starts with a SELECT.
    pub fn reset_selected_db(&mut self) {
        self.target.selected = None;
    }

    /// Take over a master's history (full sync on a replica): the backlog
    /// restarts at `offset`.
    pub fn set_history(&mut self, replid: &str, offset: i64, size: usize) {
        self.replid = replid.to_string();
        self.replid2 = "0".repeat(40);
        self.second_offset = -1;
        self.offset = offset;
        match self.backlog.as_mut() {
            Some(b) => b.buf.clear(),
            None => self.create_backlog(size),
        }
    }

    /// INFO's repl_backlog_first_byte_offset and histlen.
    fn backlog_span(&self) -> (i64, usize) {
        match &self.backlog {
            Some(b) => (self.offset - b.buf.len() as i64 + 1, b.buf.len()),
            None => (0, 0),
        }
    }

    fn create_backlog(&mut self, size: usize) {
        if self.backlog.is_none() {
            self.backlog = Some(Backlog {
                buf: VecDeque::new(),
                size,
            });
        }
    }

    /// Stream bytes since `from` (an offset + 1), if still in the backlog.
    fn backlog_since(&self, from: i64) -> Option<Vec<u8>> {
        let b = self.backlog.as_ref()?;
        let first = self.offset - b.buf.len() as i64 + 1;
        if from < first || from > self.offset + 1 {
            return None;
        }
        let skip = (from - first) as usize;
        Some(b.buf.iter().skip(skip).copied().collect())
    }
}

/// The stream's database for an RDB's `repl-stream-db` when this master
/// has a backlog (None: no replication info to save).
pub fn master_stream_db(srv: &Server) -> Option<usize> {
    srv.replicas
        .backlog
        .as_ref()
        .map(|_| srv.replicas.target.selected.unwrap_or(0))
}

/// A master restarted from an RDB naming its history (Redis's
/// loadDataFromDisk): that history becomes replid2 up to `offset`, and a
/// backlog starts there with the deletions of `expired` keys, so replicas
/// at `offset` continue by partial resync.
pub fn restore_as_master(
    srv: &mut Server,
    replid: &str,
    offset: i64,
    expired: &[(usize, Vec<u8>)],
) {
    let size = backlog_size(srv);
    let r = &mut srv.replicas;
    r.create_backlog(size);
    r.replid2 = replid.to_string();
    r.second_offset = offset + 1;
    r.offset = offset;
    r.no_replicas_since = srv.now_ms.max(crate::util::time::now_ms());
    srv.sync_propagation();
    let ops: Vec<(usize, Vec<Bytes>)> = expired
        .iter()
        .map(|(db, k)| {
            (
                *db,
                crate::propagate::del_for(&srv.cfg, "lazyfree-lazy-expire", k),
            )
        })
        .collect();
    feed(srv, &ops);
}

/// A replica restarted from an RDB naming its master's history: it is
/// ours again, and the first PSYNC asks to continue it from `offset`.
pub fn restore_as_replica(srv: &mut Server, replid: &str, offset: i64, db: usize) {
    let r = &mut srv.replicas;
    r.replid = replid.to_string();
    r.offset = offset;
    r.restored_db = Some(db);
}

pub fn backlog_size(srv: &Server) -> usize {
    srv.cfg
        .get("repl-backlog-size")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1 << 20)
}

fn cfg_i64(srv: &Server, name: &str, default: i64) -> i64 {
    srv.cfg
        .get(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// How a replica is named in the log: ip:listening-port.
pub fn replica_name(c: &Client) -> String {
    let ip = if c.replica_ip.is_empty() {
        peer_ip(&c.addr)
    } else {
        c.replica_ip.clone()
    };
    if c.replica_port == 0 {
        format!("{ip}:<unknown-replica-port>")
    } else {
        format!("{ip}:{}", c.replica_port)
    }
}

/// The address part of a client's peer address ("1.2.3.4:5678").
fn peer_ip(addr: &str) -> String {
    match addr.rsplit_once(':') {
        Some((ip, _)) => ip.trim_start_matches('[').trim_end_matches(']').to_string(),
        None => addr.to_string(),
    }
}

/// SYNC (`psync` false) or PSYNC from `c`. Returns false when nothing was
/// started (the client was told).
pub fn attach(srv: &mut Server, c: &mut Client, psync: Option<(&[u8], i64)>) -> bool {
    if srv.replicas.list.iter().any(|r| r.id == c.id) {
        return true;
    }
    if crate::replica::is_replica_not_connected(srv) {
        c.reply
            .err_code("NOMASTERLINK Can't SYNC while not connected with my master");
        return false;
    }
    let ip = peer_ip(&c.addr);
    let name = replica_name(c);
    crate::log_notice!("Replica {name} asks for synchronization");
    // Partial resynchronization: our history (or the one we came from, up
    // to where it ended), from an offset still in the backlog.
    if let Some((id, from)) = psync {
        let ours = id == srv.replicas.replid.as_bytes()
            || (id == srv.replicas.replid2.as_bytes() && from <= srv.replicas.second_offset);
        if ours && let Some(bytes) = srv.replicas.backlog_since(from) {
            let mut out = if c.replica_capa_psync2 {
                format!("+CONTINUE {}\r\n", srv.replicas.replid).into_bytes()
            } else {
                b"+CONTINUE\r\n".to_vec()
            };
            out.extend_from_slice(&bytes);
            c.reply.buf.extend_from_slice(&out);
            crate::log_notice!(
                "Partial resynchronization request from {name} accepted. Sending {} bytes of backlog starting from offset {}.",
                bytes.len(),
                from
            );
            srv.replicas.sync_partial_ok += 1;
            push(srv, c, State::Online, true, ip);
            return true;
        }
        if id != b"?" {
            srv.replicas.sync_partial_err += 1;
            crate::log_notice!(
                "Partial resynchronization not accepted: Replication ID mismatch or offset out of range"
            );
        } else {
            crate::log_notice!("Full resync requested by replica {name}");
        }
    }
    if srv.replicas.backlog.is_none() {
        if srv.replicas.list.is_empty() && srv.master_link.is_none() {
            srv.replicas.replid = random_replid();
            srv.replicas.replid2 = "0".repeat(40);
            srv.replicas.second_offset = -1;
        }
        let size = backlog_size(srv);
        srv.replicas.create_backlog(size);
        crate::log_notice!(
            "Replication backlog created, my new replication IDs are '{}' and '{}'",
            srv.replicas.replid,
            srv.replicas.replid2
        );
    }
    // A snapshot for other replicas began at the same point: share it.
    let shared = srv.replicas.snapshot_for_sync.then(|| {
        srv.replicas.list.iter().find_map(|r| match &r.state {
            State::WaitPayload(buf) => Some(buf.clone()),
            _ => None,
        })
    });
    let state = match shared.flatten() {
        Some(buf) => {
            if psync.is_some() {
                let at = srv.replicas.offset - buf.len() as i64;
                let line = format!("+FULLRESYNC {} {}\r\n", srv.replicas.replid, at);
                c.reply.buf.extend_from_slice(line.as_bytes());
            }
            State::WaitPayload(buf)
        }
        None => {
            if !srv
                .replicas
                .list
                .iter()
                .any(|r| matches!(r.state, State::WaitNext))
            {
                srv.replicas.wait_since = srv.now_ms;
            }
            State::WaitNext
        }
    };
    srv.replicas.sync_full += 1;
    push(srv, c, state, psync.is_some(), ip);
    if let Some(line) = start_pending(srv)
        && psync.is_some()
        && srv
            .replicas
            .list
            .iter()
            .any(|r| r.id == c.id && matches!(r.state, State::WaitPayload(_)))
    {
        c.reply.buf.extend_from_slice(line.as_bytes());
    }
    true
}

/// Start the snapshot replicas wait for, when due: at once for a
/// disk-based sync, after `repl-diskless-sync-delay` (or as soon as
/// `repl-diskless-sync-max-replicas` wait) when `repl-diskless-sync` is
/// on, as Redis delays its diskless transfers (ours still goes through the
/// disk). Returns the FULLRESYNC line sent.
fn start_pending(srv: &mut Server) -> Option<String> {
    let waiting = srv
        .replicas
        .list
        .iter()
        .filter(|r| matches!(r.state, State::WaitNext))
        .count();
    if waiting == 0 || srv.rdb.snapshot.is_some() {
        return None;
    }
    if srv.cfg.get("repl-diskless-sync") == Some("yes") {
        let delay = cfg_i64(srv, "repl-diskless-sync-delay", 5) * 1000;
        let max = cfg_i64(srv, "repl-diskless-sync-max-replicas", 0);
        let full = max > 0 && waiting as i64 >= max;
        if !full && srv.now_ms - srv.replicas.wait_since < delay {
            return None;
        }
    }
    if let Err(e) = crate::persistence::background::bgsave(srv) {
        crate::log_warning!("BGSAVE for replication failed: {e}");
        let tokens: Vec<usize> = srv
            .replicas
            .list
            .iter()
            .filter(|r| matches!(r.state, State::WaitNext))
            .map(|r| r.token)
            .collect();
        for t in tokens {
            srv.kill_client(t);
        }
        return None;
    }
    crate::log_notice!("Starting BGSAVE for SYNC with target: disk");
    srv.replicas.snapshot_for_sync = true;
    // The stream after the snapshot point starts with a SELECT.
    srv.replicas.target.selected = None;
    let line = format!(
        "+FULLRESYNC {} {}\r\n",
        srv.replicas.replid, srv.replicas.offset
    );
    let mut lines = Vec::new();
    for r in &mut srv.replicas.list {
        if matches!(r.state, State::WaitNext) {
            r.state = State::WaitPayload(Vec::new());
            if r.psync {
                lines.push((r.token, r.id));
            }
        }
    }
    for (token, id) in lines {
        send(srv, token, id, line.as_bytes());
    }
    Some(line)
}

fn push(srv: &mut Server, c: &mut Client, state: State, psync: bool, ip: String) {
    c.is_replica = true;
    if srv.replicas.list.is_empty() {
        srv.replicas.last_ping_ms = srv.now_ms;
    }
    let ip = if c.replica_ip.is_empty() {
        ip
    } else {
        c.replica_ip.clone()
    };
    srv.replicas.list.push(Replica {
        token: c.token,
        id: c.id,
        state,
        psync,
        ip,
        port: c.replica_port,
        ack_offset: 0,
        ack_ms: srv.now_ms,
    });
    srv.sync_propagation();
}

/// Feed a unit of operations to the stream (a master's own writes).
pub fn feed(srv: &mut Server, ops: &[(usize, Vec<Bytes>)]) {
    if !srv.replicas.wants_stream() || srv.master_link.is_some() {
        return;
    }
    let mut out = Vec::new();
    srv.replicas.target.feed(&mut out, ops);
    feed_bytes(srv, &out);
}

/// DEBUG REPLICATE: a command straight into the stream, in whatever
/// database it last selected.
pub fn replicate_raw(srv: &mut Server, argv: &[Bytes]) {
    let mut out = Vec::new();
    crate::propagate::encode_command(&mut out, argv);
    feed_bytes(srv, &out);
}

/// Append raw stream bytes: backlog, offset, every replica.
pub fn feed_bytes(srv: &mut Server, bytes: &[u8]) {
    if bytes.is_empty() || !srv.replicas.wants_stream() {
        return;
    }
    let size = backlog_size(srv);
    srv.replicas.create_backlog(size);
    let r = &mut srv.replicas;
    r.offset += bytes.len() as i64;
    if let Some(b) = r.backlog.as_mut() {
        b.size = size;
        b.buf.extend(bytes.iter().copied());
        let excess = b.buf.len().saturating_sub(b.size);
        b.buf.drain(..excess);
    }
    let mut online = Vec::new();
    for rep in &mut r.list {
        match &mut rep.state {
            State::WaitNext => {}
            State::WaitPayload(buf) => buf.extend_from_slice(bytes),
            State::Online => online.push((rep.token, rep.id)),
        }
    }
    for (token, id) in online {
        send(srv, token, id, bytes);
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
                    deliveries.push((r.token, r.id, out, format!("{}:{}", r.ip, r.port)));
                    r.state = State::Online;
                }
                None => failed.push(r.token),
            },
            State::WaitNext => waiting_next = true,
            State::Online => {}
        }
    }
    for (token, id, out, name) in deliveries {
        crate::log_notice!("Synchronization with replica {name} succeeded");
        send(srv, token, id, &out);
    }
    for token in failed {
        crate::log_warning!("SYNC failed. BGSAVE child returned an error");
        srv.kill_client(token);
    }
    if waiting_next {
        start_pending(srv);
    }
}

/// A client is being freed: forget it if it was a replica.
pub fn remove_client(srv: &mut Server, c: &Client) {
    crate::replica::client_freed(srv, c);
    let before = srv.replicas.list.len();
    srv.replicas.list.retain(|r| r.id != c.id);
    if before != srv.replicas.list.len() {
        crate::log_notice!("Connection with replica {} lost.", replica_name(c));
        if srv.replicas.list.is_empty() {
            srv.replicas.no_replicas_since = srv.now_ms;
        }
    }
    srv.replicas.waiters.retain(|w| w.1 != c.id);
    srv.sync_propagation();
}

/// Whether `c` is a replica (its own commands get no replies).
pub fn is_replica(_srv: &Server, c: &Client) -> bool {
    c.is_replica
}

/// A command from replica `c` ran: replicas get no replies, so one that
/// produced any is disconnected (the reply dropped), as in Redis.
pub fn replica_command_done(srv: &mut Server, c: &mut Client, name: &str, mark: usize) {
    if c.reply.buf.len() <= mark || !c.is_replica {
        return;
    }
    let out = c.reply.buf.split_off(mark);
    if out.first() == Some(&b'-') {
        let end = out.iter().position(|&b| b == b'\r').unwrap_or(out.len());
        crate::log_warning!(
            "== CRITICAL == This master is sending an error to its replica: '{}' after processing the command '{name}'",
            String::from_utf8_lossy(&out[1..end.min(4097)])
        );
    }
    crate::log_warning!(
        "Replica generated a reply to command '{name}', disconnecting it: {}",
        c.info_line(srv.now_ms, c.last_cmd)
    );
    c.close_asap = true;
}

/// Every replica is disconnected (our dataset is being replaced).
pub fn disconnect_replicas(srv: &mut Server) {
    let tokens: Vec<usize> = srv.replicas.list.iter().map(|r| r.token).collect();
    for t in tokens {
        srv.kill_client(t);
    }
}

/// REPLCONF ACK from replica `c`.
pub fn ack(srv: &mut Server, c: &Client, offset: i64) {
    let now = srv.now_ms;
    if let Some(r) = srv.replicas.list.iter_mut().find(|r| r.id == c.id) {
        if offset > r.ack_offset {
            r.ack_offset = offset;
        }
        r.ack_ms = now;
    }
    if !srv.replicas.waiters.is_empty() {
        serve_waiters(srv);
    }
}

/// Online replicas that acknowledged `offset`.
pub fn count_acks(srv: &Server, offset: i64) -> usize {
    srv.replicas
        .list
        .iter()
        .filter(|r| matches!(r.state, State::Online) && r.ack_offset >= offset)
        .count()
}

/// Replicas whose last ACK is at most `min-replicas-max-lag` old.
fn good_replicas(srv: &Server) -> usize {
    let max_lag = cfg_i64(srv, "min-replicas-max-lag", 10);
    srv.replicas
        .list
        .iter()
        .filter(|r| matches!(r.state, State::Online) && (srv.now_ms - r.ack_ms) / 1000 <= max_lag)
        .count()
}

/// `min-replicas-to-write`: the NOREPLICAS error when too few good
/// replicas are attached.
pub fn enough_replicas(srv: &Server) -> bool {
    let need = cfg_i64(srv, "min-replicas-to-write", 0);
    need <= 0 || srv.master_link.is_some() || good_replicas(srv) as i64 >= need
}

/// WAIT's blocked state (no keys): the reply is written when enough
/// replicas acknowledged or at the deadline (`serve_waiters`).
static WAIT_KIND: crate::blocking::Kind = crate::blocking::Kind {
    ready: |_| false,
    on_timeout: |c| c.reply.int(0),
};

/// WAIT numreplicas timeout-ms.
pub fn wait(srv: &mut Server, c: &mut Client, numreplicas: usize, deadline_ms: i64) {
    let offset = srv.replicas.offset;
    let acked = count_acks(srv, offset);
    if acked >= numreplicas || srv.in_exec {
        c.reply.int(acked as i64);
        return;
    }
    crate::blocking::block(srv, c, &[], 0, &WAIT_KIND);
    srv.replicas
        .waiters
        .push((c.token, c.id, offset, numreplicas, deadline_ms));
    srv.replicas.get_ack = true;
}

/// Answer the WAIT clients that have their replicas, or whose time is up.
pub fn serve_waiters(srv: &mut Server) {
    let now = crate::util::time::now_ms();
    let waiters = std::mem::take(&mut srv.replicas.waiters);
    let mut keep = Vec::new();
    for w in waiters {
        let (slot, id, offset, need, deadline) = w;
        let alive =
            matches!(srv.clients.get(slot), Some(Some(c)) if c.id == id && c.blocked.is_some());
        if !alive {
            continue;
        }
        let acked = count_acks(srv, offset);
        if acked < need && (deadline == 0 || now < deadline) {
            keep.push(w);
            continue;
        }
        let Some(Some(mut c)) = srv.clients.get_mut(slot).map(|s| s.take()) else {
            continue;
        };
        if c.id == id && c.blocked.is_some() {
            c.reply.int(acked as i64);
            crate::blocking::unblock(srv, &mut c);
        }
        srv.put_back(c, true);
    }
    srv.replicas.waiters.extend(keep);
}

/// before_sleep's part: a WAIT began, so ask the replicas for an ACK.
pub fn before_sleep(srv: &mut Server) {
    if !std::mem::take(&mut srv.replicas.get_ack) {
        return;
    }
    let mut cmd = Vec::new();
    crate::propagate::encode_command(
        &mut cmd,
        &[
            Bytes::from_static(b"REPLCONF"),
            Bytes::from_static(b"GETACK"),
            Bytes::from_static(b"*"),
        ],
    );
    feed_bytes(srv, &cmd);
}

/// serverCron's part: a PING to the replicas every
/// `repl-ping-replica-period` seconds, WAIT deadlines, the backlog's TTL.
pub fn cron(srv: &mut Server) {
    crate::replica::cron(srv);
    crate::shutdown_wait::cron(srv);
    if !srv.replicas.waiters.is_empty() {
        serve_waiters(srv);
    }
    if srv.replicas.list.is_empty() {
        let ttl = cfg_i64(srv, "repl-backlog-ttl", 3600);
        if srv.replicas.backlog.is_some()
            && srv.master_link.is_none()
            && ttl > 0
            && srv.now_ms - srv.replicas.no_replicas_since > ttl * 1000
        {
            srv.replicas.shift_replid();
            srv.replicas.backlog = None;
            srv.sync_propagation();
        }
        return;
    }
    start_pending(srv);
    // Replicas waiting for their payload get a newline every second, so
    // they know we are alive.
    if srv.now_ms - srv.replicas.last_newline_ms >= 1000 {
        srv.replicas.last_newline_ms = srv.now_ms;
        let waiting: Vec<(usize, u64)> = srv
            .replicas
            .list
            .iter()
            .filter(|r| !matches!(r.state, State::Online))
            .map(|r| (r.token, r.id))
            .collect();
        for (token, id) in waiting {
            send(srv, token, id, b"\n");
        }
    }
    // A replica forwards its master's PINGs instead of its own.
    if srv.master_link.is_some() {
        return;
    }
    let period = cfg_i64(srv, "repl-ping-replica-period", 10);
    if srv.now_ms - srv.replicas.last_ping_ms < period * 1000 {
        return;
    }
    srv.replicas.last_ping_ms = srv.now_ms;
    let ops = [(
        srv.replicas.target.selected.unwrap_or(0),
        vec![Bytes::from_static(b"PING")],
    )];
    let mut out = Vec::new();
    if srv.replicas.target.selected.is_some() {
        srv.replicas.target.feed(&mut out, &ops);
    } else {
        crate::propagate::encode_command(&mut out, &ops[0].1);
    }
    feed_bytes(srv, &out);
}

/// Every replica acknowledged the whole stream (a shutdown can go on).
pub fn replicas_in_sync(srv: &Server) -> bool {
    srv.replicas
        .list
        .iter()
        .all(|r| r.ack_offset == srv.replicas.offset)
}

/// Ask the replicas for an ACK before the next sleep.
pub fn request_acks(srv: &mut Server) {
    srv.replicas.get_ack = true;
}

/// The shutdown's report on replicas that lag.
pub fn log_lagging(srv: &Server) {
    let r = &srv.replicas;
    let mut lagging = 0;
    for rep in &r.list {
        if rep.ack_offset != r.offset {
            lagging += 1;
            let (lag, state) = match rep.state {
                State::Online => ((srv.now_ms - rep.ack_ms) / 1000, "online"),
                _ => (0, "wait_bgsave"),
            };
            crate::log_warning!(
                "Lagging replica {}:{} reported offset {} behind master, lag={lag}, state={state}.",
                rep.ip,
                rep.port,
                r.offset - rep.ack_offset
            );
        }
    }
    if !r.list.is_empty() {
        crate::log_notice!(
            "{} of {} replicas are in sync when shutting down.",
            r.list.len() - lagging,
            r.list.len()
        );
    }
}

/// INFO's mem_total_replication_buffers: the backlog and what waits in
/// replicas' output buffers.
pub fn buffer_memory(srv: &Server) -> usize {
    let backlog = srv.replicas.backlog.as_ref().map_or(0, |b| b.buf.len());
    let pending: usize = srv
        .replicas
        .list
        .iter()
        .filter_map(|r| srv.clients.get(r.token).and_then(|s| s.as_ref()))
        .map(|c| c.reply.pending())
        .sum();
    backlog + pending
}

/// INFO replication, the master part: replicas and the stream.
pub fn info_replicas(srv: &Server, out: &mut String) {
    use std::fmt::Write;
    let _ = write!(out, "connected_slaves:{}\r\n", srv.replicas.list.len());
    for (i, r) in srv.replicas.list.iter().enumerate() {
        let state = match r.state {
            State::WaitNext => "wait_bgsave",
            State::WaitPayload(_) => "wait_bgsave",
            State::Online => "online",
        };
        let _ = write!(
            out,
            "slave{i}:ip={},port={},state={state},offset={},lag={}\r\n",
            r.ip,
            r.port,
            r.ack_offset,
            (srv.now_ms - r.ack_ms).max(0) / 1000
        );
    }
}

/// INFO replication, the history part.
pub fn info_history(srv: &Server, out: &mut String) {
    use std::fmt::Write;
    let r = &srv.replicas;
    let (first, histlen) = r.backlog_span();
    let _ = write!(
        out,
        "master_failover_state:no-failover\r\nmaster_replid:{}\r\nmaster_replid2:{}\r\n\
         master_repl_offset:{}\r\nsecond_repl_offset:{}\r\nrepl_backlog_active:{}\r\n\
         repl_backlog_size:{}\r\nrepl_backlog_first_byte_offset:{}\r\nrepl_backlog_histlen:{}\r\n",
        r.replid,
        r.replid2,
        r.offset,
        r.second_offset,
        r.backlog.is_some() as u8,
        backlog_size(srv),
        first,
        histlen
    );
}

/// ROLE's list of replicas: [ip, port, acknowledged offset] each.
pub fn role_replicas(srv: &Server, c: &mut Client) {
    let online: Vec<&Replica> = srv
        .replicas
        .list
        .iter()
        .filter(|r| matches!(r.state, State::Online))
        .collect();
    c.reply.array_len(online.len());
    for r in online {
        c.reply.array_len(3);
        c.reply.bulk_str(&r.ip);
        c.reply.bulk_str(&r.port.to_string());
        c.reply.bulk_str(&r.ack_offset.to_string());
    }
}
