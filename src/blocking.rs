//! Blocking commands (BLPOP and friends): clients waiting for keys.
//!
//! Redis's `blocking.c`, in a form any data type can reuse. The interface:
//!
//! - A handler parses its timeout with [`arg_timeout`] (Redis's
//!   getTimeoutFromObjectOrReply).
//! - A handler that finds nothing to serve calls [`block`] with the keys it
//!   waits on, an absolute deadline (0 = forever) and what to answer on
//!   timeout. It writes no reply. The server then stops running that
//!   client's pipeline (the rest stays in its query buffer) until it is
//!   unblocked.
//! - Any write that may make a key servable (a push, a key created or moved
//!   into place) calls [`signal_key_ready`]; it costs one check when nobody
//!   is blocked.
//! - After each command the server calls [`handle_ready`] (Redis's
//!   handleClientsBlockedOnKeys, in the same event-loop pass): for every
//!   ready key, the clients waiting on it are taken in FIFO order and their
//!   blocked command is run again. A command run again either serves the
//!   client (replies, so the client is unblocked) or finds nothing and calls
//!   [`block`] again, which then keeps the client waiting in its place.
//!   While run again, [`serving_keys`] narrows its keys to the ready one,
//!   as Redis serves a waiter from the key that became ready. Ready keys
//!   are looked at against the time now, so one that expired meanwhile
//!   (a transaction slept past its TTL) is deleted and serves nobody. A
//!   served command adds its time, and a failed call if it answered an
//!   error, to its command stats (updateStatsOnUnblock).
//!   Serving a client can make further keys ready (BLMOVE pushes to its
//!   destination); those are handled in the same call.
//! - A handler whose waiters must also hear of their key being deleted or
//!   replaced by another type (XREADGROUP, which then answers an error as
//!   Redis's unblockDeletedStreamReadgroupClients) calls [`wake_when_gone`]
//!   after [`block`]: its command is then run again whenever the key is
//!   signalled, whatever the key now holds, and decides itself.
//! - Deadlines are kept sorted; the loop sleeps no longer than the nearest
//!   one and calls [`handle_timeouts`]. CLIENT UNBLOCK goes through
//!   [`client_unblock`]; a client freed while blocked goes through
//!   [`remove_client`].
//!
//! An unblocked client's remaining pipeline runs from `before_sleep`
//! ([`Blocking::take_unblocked`]), as Redis's processUnblockedClients.
//! Clients are identified by slab slot and id (a slot can be reused).

use std::collections::{BTreeSet, HashMap, VecDeque};

use bytes::Bytes;

use crate::net::Client;
use crate::server::Server;
use crate::types::Value;

/// What a kind of blocking command waits for: which values can serve it,
/// and its reply on timeout (and CLIENT UNBLOCK ... TIMEOUT).
pub struct Kind {
    pub ready: fn(&Value) -> bool,
    pub on_timeout: fn(&mut Client),
}

/// What a blocked client waits for; lives in `Client::blocked`.
pub struct BlockState {
    pub db: usize,
    pub keys: Vec<Bytes>,
    /// Absolute deadline in ms, 0 = forever.
    pub deadline_ms: i64,
    /// The command to run again when a key is ready.
    pub argv: Vec<Bytes>,
    pub kind: &'static Kind,
    /// Set by `block` when a re-run found nothing (stay blocked).
    rearmed: bool,
    /// While the command is run again: the key that became ready.
    serving: Option<Bytes>,
    /// Run again when a key is deleted or changes type (`wake_when_gone`).
    wake_when_gone: bool,
}

/// One waiting client: slab slot and client id.
type Waiter = (usize, u64);

#[derive(Default)]
pub struct Blocking {
    /// db → key → clients waiting on it, oldest first.
    waiters: HashMap<usize, HashMap<Bytes, VecDeque<Waiter>>>,
    /// Keys signalled since the last `handle_ready`, in order, no repeats.
    ready: Vec<(usize, Bytes)>,
    /// (deadline, client id, slot) of clients with a timeout.
    timeouts: BTreeSet<(i64, u64, usize)>,
    /// Clients blocked right now (INFO blocked_clients).
    pub count: usize,
    /// Slots of clients unblocked whose pipeline should resume.
    unblocked: Vec<usize>,
    /// Waited keys holding a stream, with that stream's address when
    /// `signal_existing` last looked: a stream is only signalled there when
    /// another one was brought into place (XADD signals its own key), so
    /// writes elsewhere do not run every blocked XREAD again.
    streams_seen: HashMap<(usize, Bytes), usize>,
}

impl Blocking {
    /// Any key signalled and not yet handled?
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Nearest deadline of a blocked client (absolute ms).
    pub fn next_deadline(&self) -> Option<i64> {
        self.timeouts.first().map(|t| t.0)
    }

    /// Blocked clients with a deadline (INFO clients_in_timeout_table).
    pub fn timeout_count(&self) -> usize {
        self.timeouts.len()
    }

    /// Clients to resume (their remaining input), emptied.
    pub fn take_unblocked(&mut self) -> Vec<usize> {
        std::mem::take(&mut self.unblocked)
    }
}

/// A blocking timeout in seconds (float) as an absolute deadline in ms,
/// 0 = forever (getTimeoutFromObjectOrReply).
pub fn arg_timeout(srv: &Server, c: &mut Client, b: &[u8]) -> Option<i64> {
    // Redis reads a long double: numbers past f64's range are still
    // numbers there (and then too large, so "negative" below).
    let wide = || {
        std::str::from_utf8(b)
            .ok()
            .filter(|t| !t.starts_with(|ch: char| ch.is_ascii_whitespace()))
            .and_then(|t| t.parse::<f64>().ok())
            .filter(|f| f.is_infinite())
    };
    let Some(f) = crate::util::num::parse_f64(b)
        .or_else(wide)
        .filter(|f| !f.is_nan())
    else {
        c.reply.err("timeout is not a float or out of range");
        return None;
    };
    let ms = (f * 1000.0).ceil();
    // Out-of-range values convert to LLONG_MIN in C: "negative".
    if !(0.0..9.2e18).contains(&ms) {
        c.reply.err("timeout is negative");
        return None;
    }
    let ms = ms as i64;
    Some(if ms > 0 {
        ms.saturating_add(srv.now_ms)
    } else {
        0
    })
}

/// Block `c` on `keys` of its db until `deadline_ms` (0 = forever). Called
/// by a handler that found nothing to serve. When `c` is already blocked
/// (its command is being run again), it simply stays blocked.
pub fn block(
    srv: &mut Server,
    c: &mut Client,
    keys: &[Bytes],
    deadline_ms: i64,
    kind: &'static Kind,
) {
    if let Some(b) = c.blocked.as_mut() {
        b.rearmed = true;
        return;
    }
    // Inside MULTI/EXEC a blocking command cannot wait: it times out at
    // once, as in Redis.
    if srv.in_exec {
        (kind.on_timeout)(c);
        return;
    }
    let bl = &mut srv.blocking;
    let per_db = bl.waiters.entry(c.db).or_default();
    let mut uniq: Vec<Bytes> = Vec::with_capacity(keys.len());
    for k in keys {
        if uniq.contains(k) {
            continue;
        }
        uniq.push(k.clone());
        per_db
            .entry(k.clone())
            .or_default()
            .push_back((c.token, c.id));
    }
    if deadline_ms > 0 {
        bl.timeouts.insert((deadline_ms, c.id, c.token));
    }
    bl.count += 1;
    c.blocked = Some(Box::new(BlockState {
        db: c.db,
        keys: uniq,
        deadline_ms,
        argv: Vec::new(),
        kind,
        rearmed: false,
        serving: None,
        wake_when_gone: false,
    }));
}

/// After [`block`]: run `c`'s command again also when one of its keys is
/// deleted or no longer holds a value its kind is ready for.
pub fn wake_when_gone(c: &mut Client) {
    if let Some(b) = c.blocked.as_mut() {
        b.wake_when_gone = true;
    }
}

/// After a write command while clients are blocked: signal every waited
/// key that now exists, whatever wrote it (RENAME, MOVE, COPY, …), as
/// Redis's dbAdd does. The handlers decide whether the value can serve.
/// A stream counts only when it is another value than last time (see
/// `streams_seen`); a missing key only for `wake_when_gone` waiters.
pub fn signal_existing(srv: &mut Server) {
    let mut found = Vec::new();
    let Blocking {
        waiters,
        streams_seen,
        ..
    } = &mut srv.blocking;
    for (db, keys) in waiters.iter() {
        for (k, queue) in keys {
            // Present even if expired (Redis's dictFind): serving it then
            // deletes it, and that deletion is propagated. A missing key
            // matters to waiters that want to hear of it.
            let signal = match srv.dbs[*db].keys.get(&k[..]) {
                Some(o) => match &o.v {
                    Value::Stream(st) => {
                        let addr = &**st as *const crate::types::stream::Stream as usize;
                        streams_seen.insert((*db, k.clone()), addr) != Some(addr)
                    }
                    _ => true,
                },
                None => queue.iter().any(|&(slot, id)| {
                    matches!(srv.clients.get(slot), Some(Some(c)) if c.id == id
                        && c.blocked.as_ref().is_some_and(|b| b.wake_when_gone))
                }),
            };
            if signal {
                found.push((*db, k.clone()));
            }
        }
    }
    for (db, k) in found {
        if !srv.blocking.ready.contains(&(db, k.clone())) {
            srv.blocking.ready.push((db, k));
        }
    }
}

/// Note that `key` in `db` may now serve blocked clients.
pub fn signal_key_ready(srv: &mut Server, db: usize, key: &[u8]) {
    let bl = &mut srv.blocking;
    if bl.count == 0 {
        return;
    }
    let Some(per_db) = bl.waiters.get(&db) else {
        return;
    };
    let Some((k, _)) = per_db.get_key_value(key) else {
        return;
    };
    if bl.ready.iter().any(|(d, r)| *d == db && r == key) {
        return;
    }
    bl.ready.push((db, k.clone()));
}

/// Forget `c`'s waits (it is being unblocked or freed).
fn detach(srv: &mut Server, c: &mut Client) -> Option<Box<BlockState>> {
    let b = c.blocked.take()?;
    let bl = &mut srv.blocking;
    if let Some(per_db) = bl.waiters.get_mut(&b.db) {
        for k in &b.keys {
            if let Some(q) = per_db.get_mut(k) {
                q.retain(|w| w.1 != c.id);
                if q.is_empty() {
                    per_db.remove(k);
                    bl.streams_seen.remove(&(b.db, k.clone()));
                }
            }
        }
        if per_db.is_empty() {
            bl.waiters.remove(&b.db);
        }
    }
    if b.deadline_ms > 0 {
        bl.timeouts.remove(&(b.deadline_ms, c.id, c.token));
    }
    bl.count -= 1;
    Some(b)
}

/// Unblock `c` (already replied to) and queue its pipeline to resume.
pub fn unblock(srv: &mut Server, c: &mut Client) {
    if detach(srv, c).is_some() {
        srv.blocking.unblocked.push(c.token);
    }
}

/// A client is being freed: drop it from every wait.
pub fn remove_client(srv: &mut Server, c: &mut Client) {
    detach(srv, c);
}

/// Serve the clients blocked on keys signalled ready, FIFO per key, until
/// no key is left ready.
pub fn handle_ready(srv: &mut Server) {
    while !srv.blocking.ready.is_empty() {
        let ready = std::mem::take(&mut srv.blocking.ready);
        for (db, key) in ready {
            // As Redis: keys are looked at against the time now (a
            // transaction may have slept past a TTL it set), and one that
            // expired is deleted (with its event) and serves nobody.
            srv.now_ms = crate::util::time::now_us() / 1000;
            if srv.dbs[db].expire_if_needed(&key, srv.now_ms) {
                srv.drain_expired(None);
            }
            let queue: Vec<Waiter> = match srv.blocking.waiters.get(&db).and_then(|m| m.get(&key)) {
                Some(q) => q.iter().copied().collect(),
                None => continue,
            };
            for (slot, id) in queue {
                let value = srv.dbs[db].peek(&key, srv.now_ms).map(|o| &o.v);
                let Some(Some(c)) = srv.clients.get(slot) else {
                    continue;
                };
                let servable =
                    |b: &BlockState| b.wake_when_gone || value.is_some_and(|v| (b.kind.ready)(v));
                if c.id != id || !c.blocked.as_deref().is_some_and(servable) {
                    continue;
                }
                let Some(Some(mut c)) = srv.clients.get_mut(slot).map(|s| s.take()) else {
                    continue;
                };
                if let Some(b) = c.blocked.as_mut() {
                    b.serving = Some(key.clone());
                }
                rerun(srv, &mut c);
                if let Some(b) = c.blocked.as_mut() {
                    b.serving = None;
                }
                srv.put_back(c, true);
            }
        }
    }
}

/// Run a blocked client's command again; unblock it unless it re-armed.
fn rerun(srv: &mut Server, c: &mut Client) {
    let Some(b) = c.blocked.as_mut() else { return };
    b.rearmed = false;
    let argv = std::mem::take(&mut b.argv);
    let Some(cmd) = srv.table.lookup(&argv).ok() else {
        return;
    };
    let errors_before = c.reply.errors;
    let (dirty_before, db) = (srv.dirty, c.db);
    let start = crate::util::time::now_us();
    // Invalidations for this client follow its reply (`crate::tracking`).
    let top = srv.tracking.current.is_none();
    if top {
        srv.tracking_begin(c);
    }
    (cmd.handler)(srv, c, &argv);
    if top {
        srv.tracking_end(c);
    }
    // As Redis's updateStatsOnUnblock: the serving time, and a failed call
    // when it answered an error (the call itself was counted when it
    // blocked).
    // (The failed call is counted by `account_unblocked` below.)
    srv.cmd_stats[cmd.id].usec += (crate::util::time::now_us() - start).max(0) as u64;
    if c.reply.errors > errors_before {
        srv.count_error(&c.reply.last_error_code.clone());
    }
    // The pop propagates in the non-blocking form its handler chose.
    srv.prop.command_done(db, &argv, srv.dirty > dirty_before);
    srv.flush_propagation();
    match c.blocked.as_mut() {
        Some(b) if b.rearmed => b.argv = argv,
        Some(_) => {
            let reply_us = crate::util::time::now_us() - start;
            srv.account_unblocked(c, &argv, reply_us, c.reply.errors > errors_before);
            unblock(srv, c)
        }
        None => {}
    }
}

/// Answer and unblock every client whose deadline has passed.
pub fn handle_timeouts(srv: &mut Server, now_ms: i64) {
    while let Some(&(deadline, id, slot)) = srv.blocking.timeouts.first() {
        if deadline > now_ms {
            break;
        }
        srv.blocking.timeouts.pop_first();
        let Some(Some(mut c)) = srv.clients.get_mut(slot).map(|s| s.take()) else {
            continue;
        };
        if c.id == id
            && let Some(b) = c.blocked.as_ref()
        {
            (b.kind.on_timeout)(&mut c);
            unblock(srv, &mut c);
        }
        srv.put_back(c, true);
    }
}

/// CLIENT UNBLOCK: unblock client `id` with its timeout reply, or with an
/// UNBLOCKED error. False if no such blocked client.
pub fn client_unblock(srv: &mut Server, id: u64, error: bool) -> bool {
    let Some(slot) = srv
        .clients
        .iter()
        .find(|(_, s)| {
            s.as_ref()
                .is_some_and(|c| c.id == id && c.blocked.is_some())
        })
        .map(|(k, _)| k)
    else {
        return false;
    };
    let Some(mut c) = srv.clients[slot].take() else {
        return false;
    };
    // Redis counts an unblocked command as failed, whichever the reply.
    let blocked_cmd = c
        .blocked
        .as_ref()
        .and_then(|b| srv.table.lookup(&b.argv).ok());
    if let Some(cmd) = blocked_cmd {
        srv.cmd_stats[cmd.id].failed += 1;
    }
    if error {
        c.reply
            .err_code("UNBLOCKED client unblocked via CLIENT UNBLOCK");
        srv.count_error("UNBLOCKED");
        if let Some(b) = c.blocked.as_ref() {
            let argv = b.argv.clone();
            // (Already counted as failed above.)
            srv.account_unblocked(&c, &argv, 0, false);
        }
    } else if let Some(b) = c.blocked.as_ref() {
        (b.kind.on_timeout)(&mut c);
    }
    unblock(srv, &mut c);
    srv.put_back(c, true);
    true
}

/// The keys a blocking handler should try to serve from: all of `keys` on
/// a first run; when run again because a key became ready, only that key
/// (as Redis serves a waiter from the ready key, whatever its other keys
/// hold).
pub fn serving_keys<'a>(c: &Client, keys: &'a [Bytes]) -> &'a [Bytes] {
    let ready = c.blocked.as_ref().and_then(|b| b.serving.as_ref());
    match ready.and_then(|k| keys.iter().position(|x| x == k)) {
        Some(i) => &keys[i..=i],
        None => keys,
    }
}

/// Record the command to run again for a client that just blocked.
pub fn keep_argv(c: &mut Client, argv: Vec<Bytes>) {
    if let Some(b) = c.blocked.as_mut()
        && b.argv.is_empty()
    {
        b.argv = argv;
    }
}
