//! Replication, replica side: the link to our master (REPLICAOF).
//!
//! The link is a small state machine driven by the event loop, never
//! blocking it (Redis's connectWithMaster / syncWithMaster /
//! readSyncBulkPayload). A non-blocking connect registered under its own
//! token (`TOKEN`); then the handshake: PING, AUTH with `masterauth` if
//! set, `REPLCONF listening-port`, `REPLCONF capa eof capa psync2` (these
//! three pipelined), and `PSYNC <replid> <offset+1>` naming what we hold
//! (`? -1` when we hold nothing of any history). `+CONTINUE` keeps the
//! dataset; `+FULLRESYNC <replid> <offset>` is followed by the RDB payload,
//! `$<len>` bytes or, diskless, `$EOF:<40-byte mark>` … mark: the dataset
//! is flushed and replaced by the payload.
//!
//! From then on the socket is an ordinary client of the slab, flagged
//! `is_master`: its commands run through the normal command path with
//! replies off (but `REPLCONF GETACK`), are not refused as writes to a
//! read-only replica, and see no expiry (the master sends the DELs); each
//! one advances the replication offset by its size and goes on, byte for
//! byte, to our own replicas (`replication::feed_bytes`). A `REPLCONF ACK
//! <offset>` goes to the master every second. When the link drops, the
//! link goes back to connecting, once a second, and the next PSYNC
//! continues where we stopped if the master still has it.

use std::io::{Read, Write};

use bytes::Bytes;
use mio::{Interest, Token};

use crate::net::client::{Client, Conn};
use crate::server::Server;

/// The poll token of the link while it is not a client yet.
pub const TOKEN: usize = 63;

enum Phase {
    /// Waiting for the next connection attempt.
    Connect,
    Connecting,
    /// Waiting for the reply to PING.
    Pong,
    /// Waiting for `n` replies (AUTH, REPLCONF, REPLCONF).
    Replies(usize),
    Psync,
    /// Reading the payload: its announced length, or the EOF mark.
    Transfer,
    Connected,
}

enum Payload {
    Header,
    Len(usize),
    Eof(Vec<u8>),
}

/// The master we replicate (`Server::master_link`, `None` on a master).
pub struct MasterLink {
    pub host: String,
    pub port: u16,
    phase: Phase,
    sock: Option<mio::net::TcpStream>,
    inbuf: Vec<u8>,
    payload: Payload,
    /// Master's replid and offset from +FULLRESYNC.
    full: Option<(String, i64)>,
    last_io_ms: i64,
    /// When the link went down (0: never up since REPLICAOF).
    down_since_ms: i64,
    /// The master client, once connected: (slot, id).
    pub client: Option<(usize, u64)>,
    last_ack_ms: i64,
    last_attempt_ms: i64,
    /// We hold a history worth continuing (Redis's cached master): we were
    /// a master, or a link was up. Otherwise PSYNC asks for `? -1`.
    cached: bool,
    /// Stream bytes of a transaction still open on the master client.
    pending_tx: Vec<u8>,
    /// The database the master client had selected when the link was
    /// lost: a partial resync continues the stream there.
    last_db: usize,
    /// Keys given a TTL by our own clients (writable replica): we expire
    /// those ourselves, the master does not know them.
    local_expires: std::collections::HashSet<(usize, Bytes)>,
}

static REPLICA_MODE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// This server is a replica: keys are not expired here but read as gone.
pub fn replica_mode() -> bool {
    REPLICA_MODE.load(std::sync::atomic::Ordering::Relaxed)
}

fn cfg_i64(srv: &Server, name: &str, default: i64) -> i64 {
    srv.cfg
        .get(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A replica whose link is not up (SYNC from a sub-replica must wait).
pub fn is_replica_not_connected(srv: &Server) -> bool {
    srv.master_link
        .as_ref()
        .is_some_and(|l| !matches!(l.phase, Phase::Connected))
}

/// The master stream's database for an RDB's `repl-stream-db`: the
/// master client's, or where the stream stopped when the link went down
/// (None: no history worth saving).
pub fn stream_db(srv: &Server) -> Option<usize> {
    let l = srv.master_link.as_ref()?;
    if let Some((slot, id)) = l.client
        && let Some(Some(c)) = srv.clients.get(slot)
        && c.id == id
    {
        return Some(c.db);
    }
    l.cached.then_some(l.last_db)
}

/// Whether the link to the master is up.
pub fn link_up(srv: &Server) -> bool {
    srv.master_link
        .as_ref()
        .is_some_and(|l| matches!(l.phase, Phase::Connected))
}

/// Start replicating `host:port` (REPLICAOF, the `replicaof` directive).
pub fn set_master(srv: &mut Server, host: &str, port: u16, at_start: bool) {
    let was_master = srv.master_link.is_none() && !at_start;
    drop_link(srv);
    // A history restored from the RDB at start counts as a cached master.
    let restored = if at_start {
        srv.replicas.restored_db.take()
    } else {
        None
    };
    let cached =
        was_master || restored.is_some() || srv.master_link.as_ref().is_some_and(|l| l.cached);
    let last_db = srv
        .master_link
        .as_ref()
        .map_or(restored.unwrap_or(0), |l| l.last_db);
    unblock_all(srv);
    if was_master {
        crate::log_notice!(
            "Before turning into a replica, using my own master parameters to synthesize a cached master: I may be able to synchronize with the new master with just a partial transfer."
        );
    }
    srv.master_link = Some(MasterLink {
        host: host.to_string(),
        port,
        phase: Phase::Connect,
        sock: None,
        inbuf: Vec::new(),
        payload: Payload::Header,
        full: None,
        last_io_ms: srv.now_ms,
        down_since_ms: 0,
        client: None,
        last_ack_ms: 0,
        last_attempt_ms: 0,
        local_expires: Default::default(),
        cached,
        pending_tx: Vec::new(),
        last_db,
    });
    REPLICA_MODE.store(true, std::sync::atomic::Ordering::Relaxed);
    srv.sync_propagation();
    crate::log_notice!("Connecting to MASTER {host}:{port}");
    connect(srv);
}

/// Clients blocked while we were a master would wait on data that now
/// only our master may change: they get an error (disconnectAllBlockedClients).
fn unblock_all(srv: &mut Server) {
    let slots: Vec<usize> = srv
        .clients
        .iter()
        .filter(|(_, s)| s.as_ref().is_some_and(|c| c.blocked.is_some()))
        .map(|(k, _)| k)
        .collect();
    for slot in slots {
        let Some(Some(mut c)) = srv.clients.get_mut(slot).map(|s| s.take()) else {
            continue;
        };
        c.reply.err_code(
            "UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)",
        );
        crate::blocking::unblock(srv, &mut c);
        srv.put_back(c, true);
    }
}

/// REPLICAOF NO ONE: become a master with a new history.
pub fn unset_master(srv: &mut Server) {
    if srv.master_link.is_none() {
        return;
    }
    drop_link(srv);
    srv.master_link = None;
    REPLICA_MODE.store(false, std::sync::atomic::Ordering::Relaxed);
    srv.replicas.shift_replid();
    srv.replicas.reset_selected_db();
    crate::replication::disconnect_replicas(srv);
    srv.sync_propagation();
}

/// Close whatever connection the link has (handshake socket or client).
fn drop_link(srv: &mut Server) {
    let Some(l) = srv.master_link.as_mut() else {
        return;
    };
    if let Some(mut s) = l.sock.take() {
        let _ = srv.poll.registry().deregister(&mut s);
    }
    let client = l.client.take();
    l.phase = Phase::Connect;
    if let Some((slot, id)) = client
        && let Some(Some(c)) = srv.clients.get(slot)
        && c.id == id
    {
        let db = c.db;
        if let Some(l) = srv.master_link.as_mut() {
            l.last_db = db;
        }
        srv.kill_client(slot);
    }
}

/// Cancel a handshake or transfer; retry later.
fn fail(srv: &mut Server, why: &str) {
    crate::log_warning!("{why}");
    if let Some(l) = srv.master_link.as_mut() {
        if let Some(mut s) = l.sock.take() {
            let _ = srv.poll.registry().deregister(&mut s);
        }
        l.phase = Phase::Connect;
        l.inbuf.clear();
    }
}

fn connect(srv: &mut Server) {
    let now = srv.now_ms;
    let Some(l) = srv.master_link.as_mut() else {
        return;
    };
    l.last_attempt_ms = now;
    use std::net::ToSocketAddrs;
    let addr = match (l.host.as_str(), l.port).to_socket_addrs() {
        Ok(mut a) => a.next(),
        Err(_) => None,
    };
    let Some(addr) = addr else {
        crate::log_warning!("Unable to connect to MASTER: Name or service not known");
        return;
    };
    let source = srv
        .cfg
        .get("bind-source-addr")
        .filter(|s| !s.is_empty())
        .and_then(|s| s.parse().ok());
    let Some(l) = srv.master_link.as_mut() else {
        return;
    };
    match crate::net::listener::tcp_connect_from(addr, source) {
        Ok(mut s) => {
            if srv
                .poll
                .registry()
                .register(
                    &mut s,
                    Token(TOKEN),
                    Interest::READABLE | Interest::WRITABLE,
                )
                .is_err()
            {
                return;
            }
            l.sock = Some(s);
            l.phase = Phase::Connecting;
            l.inbuf.clear();
            l.last_io_ms = now;
            crate::log_notice!("MASTER <-> REPLICA sync started");
        }
        Err(e) => crate::log_warning!("Unable to connect to MASTER: {e}"),
    }
}

fn send(l: &mut MasterLink, args: &[&str]) -> std::io::Result<()> {
    let argv: Vec<Bytes> = args
        .iter()
        .map(|a| Bytes::copy_from_slice(a.as_bytes()))
        .collect();
    let mut out = Vec::new();
    crate::propagate::encode_command(&mut out, &argv);
    let s = l.sock.as_mut().ok_or(std::io::ErrorKind::NotConnected)?;
    s.write_all(&out)
}

/// The link's socket has an event.
pub fn on_event(srv: &mut Server) {
    let Some(l) = srv.master_link.as_mut() else {
        return;
    };
    if matches!(l.phase, Phase::Connecting) {
        let Some(s) = l.sock.as_mut() else { return };
        match s.take_error() {
            Ok(Some(e)) | Err(e) => {
                fail(
                    srv,
                    &format!(
                        "Error condition on socket for SYNC: {}",
                        crate::net::listener::strip_os_error(&e)
                    ),
                );
                return;
            }
            Ok(None) => {}
        }
        if s.peer_addr().is_err() {
            return; // not connected yet
        }
        let _ = s.set_nodelay(true);
        crate::log_notice!("Non blocking connect for SYNC fired the event.");
        let _ = srv
            .poll
            .registry()
            .reregister(s, Token(TOKEN), Interest::READABLE);
        l.phase = Phase::Pong;
        if let Err(e) = send(l, &["PING"]) {
            fail(srv, &format!("Error writing to MASTER: {e}"));
            return;
        }
    }
    // Edge-triggered: read everything there is.
    let mut closed = false;
    loop {
        let Some(l) = srv.master_link.as_mut() else {
            return;
        };
        let Some(s) = l.sock.as_mut() else { return };
        let mut buf = [0u8; 16 * 1024];
        match s.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(n) => {
                l.inbuf.extend_from_slice(&buf[..n]);
                l.last_io_ms = crate::util::time::now_ms();
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                fail(srv, &format!("Error reading from MASTER: {e}"));
                return;
            }
        }
    }
    progress(srv);
    if closed && srv.master_link.as_ref().is_some_and(|l| l.sock.is_some()) {
        fail(srv, "Master closed the connection during the handshake");
    }
}

/// Take one `\r\n` line from the link's input.
fn line(l: &mut MasterLink) -> Option<String> {
    // Newlines alone are the master's keepalives while it prepares.
    let nl = l.inbuf.iter().take_while(|&&b| b == b'\n').count();
    l.inbuf.drain(..nl);
    let pos = l.inbuf.windows(2).position(|w| w == b"\r\n")?;
    let s = String::from_utf8_lossy(&l.inbuf[..pos]).into_owned();
    l.inbuf.drain(..pos + 2);
    Some(s)
}

/// Advance the handshake with what was read.
fn progress(srv: &mut Server) {
    loop {
        let Some(l) = srv.master_link.as_mut() else {
            return;
        };
        match l.phase {
            Phase::Pong => {
                let Some(r) = line(l) else { return };
                if r.starts_with('-')
                    && !r.starts_with("-NOAUTH")
                    && !r.starts_with("-NOPERM")
                    && !r.starts_with("-ERR operation not permitted")
                {
                    fail(srv, &format!("Error reply to PING from master: '{r}'"));
                    return;
                }
                crate::log_notice!("Master replied to PING, replication can continue...");
                let auth = srv.cfg.get("masterauth").unwrap_or("").to_string();
                let user = srv.cfg.get("masteruser").unwrap_or("").to_string();
                let port = srv.cfg.port.to_string();
                let l = srv.master_link.as_mut().unwrap();
                let mut n = 2;
                let mut res = Ok(());
                if !auth.is_empty() {
                    n += 1;
                    res = if user.is_empty() {
                        send(l, &["AUTH", &auth])
                    } else {
                        send(l, &["AUTH", &user, &auth])
                    };
                }
                let res = res
                    .and_then(|_| send(l, &["REPLCONF", "listening-port", &port]))
                    .and_then(|_| send(l, &["REPLCONF", "capa", "eof", "capa", "psync2"]));
                l.phase = Phase::Replies(n);
                if let Err(e) = res {
                    fail(srv, &format!("Error writing to MASTER: {e}"));
                    return;
                }
            }
            Phase::Replies(n) => {
                let Some(r) = line(l) else { return };
                let auth = !srv.cfg.get("masterauth").unwrap_or("").is_empty();
                if auth && n == 3 && r.starts_with('-') {
                    fail(srv, &format!("Unable to AUTH to MASTER: {r}"));
                    return;
                }
                if n > 1 {
                    l.phase = Phase::Replies(n - 1);
                    continue;
                }
                // Our history and where we are in it; nothing yet: "? -1".
                let (id, off) = if !l.cached {
                    ("?".to_string(), -1)
                } else {
                    (srv.replicas.replid.clone(), srv.replicas.offset + 1)
                };
                if id == "?" {
                    crate::log_notice!("Partial resynchronization not possible (no cached master)");
                } else {
                    crate::log_notice!("Trying a partial resynchronization (request {id}:{off}).");
                }
                let l = srv.master_link.as_mut().unwrap();
                l.phase = Phase::Psync;
                if let Err(e) = send(l, &["PSYNC", &id, &off.to_string()]) {
                    fail(srv, &format!("Error writing to MASTER: {e}"));
                    return;
                }
            }
            Phase::Psync => {
                let Some(r) = line(l) else { return };
                if r.is_empty() {
                    continue; // keepalive newline
                }
                if let Some(rest) = r.strip_prefix("+FULLRESYNC ") {
                    let mut it = rest.split(' ');
                    let id = it.next().unwrap_or("").to_string();
                    let off = it.next().and_then(|o| o.parse().ok()).unwrap_or(0);
                    crate::log_notice!("Full resync from master: {id}:{off}");
                    l.full = Some((id, off));
                    l.payload = Payload::Header;
                    l.phase = Phase::Transfer;
                    continue;
                }
                if let Some(rest) = r.strip_prefix("+CONTINUE") {
                    let new_id = rest.trim();
                    crate::log_notice!("Successful partial resynchronization with master.");
                    if !new_id.is_empty() && new_id != srv.replicas.replid {
                        srv.replicas.replid2 =
                            std::mem::replace(&mut srv.replicas.replid, new_id.to_string());
                        srv.replicas.second_offset = srv.replicas.offset + 1;
                        crate::log_notice!("Master replication ID changed to {new_id}");
                        crate::replication::disconnect_replicas(srv);
                    }
                    crate::log_notice!(
                        "MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization."
                    );
                    become_connected(srv);
                    return;
                }
                fail(srv, &format!("Unexpected reply to PSYNC from master: {r}"));
                return;
            }
            Phase::Transfer => {
                if !transfer(srv) {
                    return;
                }
            }
            Phase::Connect | Phase::Connecting | Phase::Connected => return,
        }
    }
}

/// Read the payload; true when it was loaded (the link is a client now).
fn transfer(srv: &mut Server) -> bool {
    let Some(l) = srv.master_link.as_mut() else {
        return false;
    };
    if let Payload::Header = l.payload {
        // Newlines are the master's keepalives while it prepares.
        while l.inbuf.first() == Some(&b'\n') {
            l.inbuf.remove(0);
        }
        let Some(h) = line(l) else { return false };
        if let Some(mark) = h.strip_prefix("$EOF:") {
            l.payload = Payload::Eof(mark.as_bytes().to_vec());
            crate::log_notice!(
                "MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk"
            );
        } else if let Some(n) = h.strip_prefix('$').and_then(|n| n.parse().ok()) {
            l.payload = Payload::Len(n);
            crate::log_notice!("MASTER <-> REPLICA sync: receiving {n} bytes from master to disk");
        } else {
            fail(
                srv,
                &format!(
                    "Bad protocol from MASTER, the first byte is not '$' (we received '{h}'), are you sure the host and port are right?"
                ),
            );
            return false;
        }
    }
    let data = match &l.payload {
        Payload::Len(n) if l.inbuf.len() >= *n => {
            let rest = l.inbuf.split_off(*n);
            std::mem::replace(&mut l.inbuf, rest)
        }
        Payload::Eof(mark) if l.inbuf.len() >= mark.len() && l.inbuf.ends_with(mark) => {
            let mut data = std::mem::take(&mut l.inbuf);
            data.truncate(data.len() - mark.len());
            data
        }
        _ => return false,
    };
    load_payload(srv, &data)
}

/// The whole payload is here: replace the dataset with it.
fn load_payload(srv: &mut Server, data: &[u8]) -> bool {
    crate::persistence::background::abort(srv);
    if let Some(l) = srv.master_link.as_mut() {
        l.last_db = 0;
    }
    // Our replicas cannot follow a new dataset.
    crate::replication::disconnect_replicas(srv);
    crate::log_notice!("MASTER <-> REPLICA sync: Flushing old data");
    for id in 0..srv.dbs.len() {
        srv.touch_all_watched_in_db(id, None);
        srv.dbs[id].clear();
    }
    crate::log_notice!("MASTER <-> REPLICA sync: Loading DB in memory");
    let opts = crate::persistence::rdb_load::LoadOpts::from_server(srv);
    let now = crate::util::time::now_ms();
    // Clients are served while the payload loads (they get -LOADING).
    let ndbs = srv.dbs.len();
    crate::persistence::loading::begin(srv, data.len() as u64);
    let loaded = crate::persistence::rdb_load::load_file_with(
        data,
        ndbs,
        &opts,
        now,
        true,
        &mut |pos, info| {
            srv.loading.rdb_used_mem = info.used_mem;
            crate::persistence::loading::progress(srv, pos);
        },
    );
    crate::persistence::loading::end(srv);
    match loaded {
        Ok((dbs, info)) => {
            srv.dbs = dbs;
            srv.rdb_stats.last_load_keys_loaded = info.keys_loaded;
            srv.rdb_stats.last_load_keys_expired = info.expired_skipped;
            // The master's function libraries replace ours.
            srv.scripting.functions.flush();
            if let Err(e) = crate::persistence::load_functions(srv, &info.functions, false) {
                fail(
                    srv,
                    &format!(
                        "Failed trying to load the MASTER synchronization DB from socket: {e}"
                    ),
                );
                return false;
            }
            crate::log_notice!(
                "Done loading RDB, keys loaded: {}, keys expired: {}.",
                info.keys_loaded,
                info.expired_skipped
            );
        }
        Err(e) => {
            fail(
                srv,
                &format!("Failed trying to load the MASTER synchronization DB from socket: {e}"),
            );
            return false;
        }
    }
    let (id, off) = srv
        .master_link
        .as_mut()
        .and_then(|l| l.full.take())
        .unwrap_or_default();
    let size = crate::replication::backlog_size(srv);
    srv.replicas.set_history(&id, off, size);
    if srv.aof.on {
        let _ = crate::persistence::background::rewrite_aof(srv);
    }
    crate::log_notice!("MASTER <-> REPLICA sync: Finished with success");
    become_connected(srv);
    true
}

/// The handshake is over: the socket becomes the master client.
fn become_connected(srv: &mut Server) {
    let Some(l) = srv.master_link.as_mut() else {
        return;
    };
    let Some(mut sock) = l.sock.take() else {
        return;
    };
    let _ = srv.poll.registry().deregister(&mut sock);
    let rest = std::mem::take(&mut l.inbuf);
    let addr = sock.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    let laddr = sock.local_addr().map(|a| a.to_string()).unwrap_or_default();
    l.phase = Phase::Connected;
    l.cached = true;
    l.last_ack_ms = 0;
    let Some(slot) = srv.add_client_conn(Conn::Tcp(sock), addr, laddr) else {
        fail(srv, "Can't register the master client");
        return;
    };
    let Some(Some(mut c)) = srv.clients.get_mut(slot).map(|s| s.take()) else {
        return;
    };
    c.is_master = true;
    c.authenticated = true;
    c.db = srv.master_link.as_ref().map_or(0, |l| l.last_db);
    c.query.extend_from_slice(&rest);
    if let Some(l) = srv.master_link.as_mut() {
        l.client = Some((slot, c.id));
    }
    send_ack(srv, &mut c);
    if !c.query.is_empty() {
        srv.process_input_pub(&mut c);
    }
    srv.put_back(c, true);
}

/// REPLCONF ACK <offset> to the master (bypassing the muted replies).
pub fn send_ack(srv: &mut Server, c: &mut Client) {
    let mut out = Vec::new();
    crate::propagate::encode_command(
        &mut out,
        &[
            Bytes::from_static(b"REPLCONF"),
            Bytes::from_static(b"ACK"),
            Bytes::from(srv.replicas.offset.to_string()),
        ],
    );
    c.reply.buf.extend_from_slice(&out);
    if let Some(l) = srv.master_link.as_mut() {
        l.last_ack_ms = srv.now_ms;
    }
}

/// A command from the master was applied: it advances our offset and goes
/// on to our own replicas.
/// Its reply (written from `mark` on) is dropped; an error is logged.
pub fn applied(srv: &mut Server, c: &mut Client, name: &str, mark: usize, argv_bytes: &[u8]) {
    if c.reply.buf.len() > mark && name != "replconf" {
        let out = c.reply.buf.split_off(mark);
        if out.first() == Some(&b'-') {
            let end = out.iter().position(|&b| b == b'\r').unwrap_or(out.len());
            let msg = String::from_utf8_lossy(&out[1..end.min(4097)]);
            crate::log_warning!(
                "== CRITICAL == This replica is sending an error to its master: '{msg}' after processing the command '{name}'"
            );
        }
    }
    // A transaction counts once its EXEC ran: a link lost in the middle
    // of one resumes from its MULTI.
    let Some(l) = srv.master_link.as_mut() else {
        return;
    };
    l.pending_tx.extend_from_slice(argv_bytes);
    if c.multi.is_some() {
        return;
    }
    let bytes = std::mem::take(&mut l.pending_tx);
    if srv.replicas.wants_stream() {
        crate::replication::feed_bytes(srv, &bytes);
    } else {
        srv.replicas.offset += bytes.len() as i64;
    }
}

/// A client is being freed: if it is the master, the link is down.
pub fn client_freed(srv: &mut Server, c: &Client) {
    if !c.is_master {
        return;
    }
    let now = srv.now_ms;
    if let Some(l) = srv.master_link.as_mut()
        && l.client.is_some_and(|(_, id)| id == c.id)
    {
        l.client = None;
        l.pending_tx.clear();
        l.last_db = c.db;
        l.phase = Phase::Connect;
        l.down_since_ms = now;
        crate::log_notice!("Connection with master lost.");
        crate::log_notice!("* Caching the disconnected master state.");
    }
}

/// Once per cron: connect when due, time out a stuck handshake or a silent
/// master, and ACK every second.
pub fn cron(srv: &mut Server) {
    let now = srv.now_ms;
    let timeout = cfg_i64(srv, "repl-timeout", 60) * 1000;
    expire_local_keys(srv);
    let Some(l) = srv.master_link.as_mut() else {
        return;
    };
    match l.phase {
        Phase::Connect => {
            if now - l.last_attempt_ms >= 1000 {
                let (h, p) = (l.host.clone(), l.port);
                crate::log_notice!("Connecting to MASTER {h}:{p}");
                connect(srv);
            }
        }
        Phase::Connected => {
            let Some((slot, id)) = l.client else { return };
            let due = now - l.last_ack_ms >= 1000;
            let Some(Some(mut c)) = srv.clients.get_mut(slot).map(|s| s.take()) else {
                return;
            };
            if c.id != id {
                srv.clients[slot] = Some(c);
                return;
            }
            if now - c.last_interaction_ms > timeout {
                crate::log_warning!("MASTER timeout: no data nor PING received...");
                srv.clients[slot] = Some(c);
                srv.kill_client(slot);
                return;
            }
            if due {
                send_ack(srv, &mut c);
            }
            srv.put_back(c, true);
        }
        _ => {
            if now - l.last_io_ms > timeout {
                let what = if matches!(l.phase, Phase::Transfer) {
                    "Timeout receiving bulk data from MASTER... If the problem persists try to set the 'repl-timeout' parameter in redis.conf to a larger value."
                } else {
                    "Timeout connecting to the MASTER..."
                };
                fail(srv, what);
            }
        }
    }
}

/// Around a write by one of our own clients (a writable replica): it
/// sees expired keys as gone, as on a master, and keys it leaves with a
/// TTL are remembered to be expired here.
pub fn local_write(
    srv: &mut Server,
    before: bool,
    db: usize,
    cmd: &crate::commands::table::Command,
    argv: &[Bytes],
) {
    REPLICA_MODE.store(!before, std::sync::atomic::Ordering::Relaxed);
    if before {
        return;
    }
    let keys: Vec<Bytes> = cmd
        .get_keys(argv)
        .into_iter()
        .map(|i| argv[i].clone())
        .collect();
    for k in keys {
        if srv.dbs[db].get_expire(&k).is_some()
            && let Some(l) = srv.master_link.as_mut()
        {
            l.local_expires.insert((db, k));
        }
    }
}

/// Expire the keys our own clients gave a TTL (expireSlaveKeys).
fn expire_local_keys(srv: &mut Server) {
    let Some(l) = srv.master_link.as_mut() else {
        return;
    };
    if l.local_expires.is_empty() {
        return;
    }
    let keys = std::mem::take(&mut l.local_expires);
    let now = srv.now_ms;
    let mut keep = std::collections::HashSet::new();
    REPLICA_MODE.store(false, std::sync::atomic::Ordering::Relaxed);
    for (db, k) in keys {
        match srv.dbs[db].get_expire(&k) {
            Some(t) if t <= now => {
                srv.dbs[db].expire_if_needed(&k, now);
            }
            Some(_) => {
                keep.insert((db, k));
            }
            None => {}
        }
    }
    REPLICA_MODE.store(true, std::sync::atomic::Ordering::Relaxed);
    srv.drain_expired(None);
    if let Some(l) = srv.master_link.as_mut() {
        l.local_expires.extend(keep);
    }
}

/// Refusals of processCommand on a replica: writes (READONLY) and, while
/// the link is down with `replica-serve-stale-data no`, most commands
/// (MASTERDOWN). `write` / `stale_ok` describe the command (an EXEC: its
/// queue).
pub fn deny(srv: &Server, c: &Client, write: bool, stale_ok: bool) -> Option<&'static str> {
    let l = srv.master_link.as_ref()?;
    if c.is_master {
        return None;
    }
    if write && srv.cfg.get("replica-read-only") != Some("no") {
        return Some("READONLY You can't write against a read only replica.");
    }
    if !matches!(l.phase, Phase::Connected)
        && !stale_ok
        && srv.cfg.get("replica-serve-stale-data") == Some("no")
    {
        return Some(
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
        );
    }
    None
}

/// INFO replication on a replica: the master link fields.
pub fn info_link(srv: &Server, out: &mut String) {
    use std::fmt::Write;
    let Some(l) = srv.master_link.as_ref() else {
        return;
    };
    let now = srv.now_ms;
    let up = matches!(l.phase, Phase::Connected);
    let last_io = match l.client.and_then(|(s, id)| {
        srv.clients
            .get(s)
            .and_then(|c| c.as_ref())
            .filter(|c| c.id == id)
    }) {
        Some(c) => (now - c.last_interaction_ms) / 1000,
        None => -1,
    };
    let syncing = matches!(l.phase, Phase::Transfer);
    // Read but not applied yet: the query buffer, a transaction waiting
    // for its EXEC, a command a client pause postponed.
    let unapplied = |c: &crate::net::Client| {
        let postponed = c.postponed.as_ref().map_or(0, |argv| {
            let mut raw = Vec::new();
            crate::propagate::encode_command(&mut raw, argv);
            raw.len()
        });
        (c.query.len() + postponed) as i64
    };
    let read_off = srv.replicas.offset
        + l.pending_tx.len() as i64
        + l.client
            .and_then(|(s, _)| srv.clients.get(s).and_then(|c| c.as_ref()))
            .map_or(0, |c| unapplied(c));
    let _ = write!(
        out,
        "master_host:{}\r\nmaster_port:{}\r\nmaster_link_status:{}\r\n\
         master_last_io_seconds_ago:{}\r\nmaster_sync_in_progress:{}\r\n\
         slave_read_repl_offset:{}\r\nslave_repl_offset:{}\r\n",
        l.host,
        l.port,
        if up { "up" } else { "down" },
        last_io,
        syncing as u8,
        read_off,
        srv.replicas.offset
    );
    if syncing {
        let (total, read) = match &l.payload {
            Payload::Len(n) => (*n as i64, l.inbuf.len() as i64),
            _ => (-1, l.inbuf.len() as i64),
        };
        let perc = if total > 0 {
            read as f64 * 100.0 / total as f64
        } else {
            0.0
        };
        let _ = write!(
            out,
            "master_sync_total_bytes:{total}\r\nmaster_sync_read_bytes:{read}\r\n\
             master_sync_left_bytes:{}\r\nmaster_sync_perc:{perc:.2}\r\n\
             master_sync_last_io_seconds_ago:{}\r\n",
            total - read,
            (now - l.last_io_ms) / 1000
        );
    }
    if !up {
        let since = if l.down_since_ms == 0 {
            -1
        } else {
            (now - l.down_since_ms) / 1000
        };
        let _ = write!(out, "master_link_down_since_seconds:{since}\r\n");
    }
    let _ = write!(
        out,
        "slave_priority:{}\r\nslave_read_only:{}\r\nreplica_announced:{}\r\n",
        srv.cfg.get("replica-priority").unwrap_or("100"),
        (srv.cfg.get("replica-read-only") != Some("no")) as u8,
        (srv.cfg.get("replica-announced") != Some("no")) as u8
    );
}

/// ROLE on a replica: master host, port, link state, offset.
pub fn role(srv: &Server, c: &mut Client) -> bool {
    let Some(l) = srv.master_link.as_ref() else {
        return false;
    };
    let state = match l.phase {
        Phase::Connect => "connect",
        Phase::Connecting => "connecting",
        Phase::Pong | Phase::Replies(_) | Phase::Psync => "handshake",
        Phase::Transfer => "sync",
        Phase::Connected => "connected",
    };
    c.reply.array_len(5);
    c.reply.bulk_str("slave");
    c.reply.bulk_str(&l.host);
    c.reply.int(l.port as i64);
    c.reply.bulk_str(state);
    c.reply.int(if matches!(l.phase, Phase::Connected) {
        srv.replicas.offset
    } else {
        -1
    });
    true
}
