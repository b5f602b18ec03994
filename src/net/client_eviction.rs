//! Client eviction (`maxmemory-clients`): when the connections together use
//! more memory than the limit, the biggest are closed first.
//!
//! A client's memory is what CLIENT LIST shows as `tot-mem` (query buffer,
//! arguments, reply buffers, queued transaction, watched keys,
//! subscriptions, tracking prefixes: `Client::memory_usage`), so an operator
//! can see who is next. Only clients that may be evicted count toward the
//! total, as in Redis: not those with CLIENT NO-EVICT on, not replicas. The
//! limit is bytes, or a percentage of `maxmemory`.
//!
//! Redis keeps clients in size buckets updated as their buffers change; we
//! sum them when it matters instead: once per event-loop pass (after output
//! has been written and clients over their output-buffer limits have been
//! closed, which takes precedence), in cron, and right after CONFIG SET
//! lowers a limit. The pass costs a walk over the clients only while the
//! feature is on (`maxmemory-clients` is 0 by default).

use crate::net::Client;
use crate::server::Server;

/// Whether DEBUG REPLYBUFFER RESIZING lets reply buffers shrink back.
static REPLY_RESIZING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

pub fn set_reply_resizing(on: bool) {
    REPLY_RESIZING.store(on, std::sync::atomic::Ordering::Relaxed);
}

pub fn reply_resizing() -> bool {
    REPLY_RESIZING.load(std::sync::atomic::Ordering::Relaxed)
}

/// The `maxmemory-clients` limit in bytes (0: none), from the directive:
/// bytes, or a percentage of `maxmemory`.
pub fn limit_from(setting: &str, maxmemory: u64) -> usize {
    match setting.strip_suffix('%') {
        Some(p) => {
            let p: u64 = p.parse().unwrap_or(0);
            (maxmemory * p / 100) as usize
        }
        None => setting.parse().unwrap_or(0),
    }
}

fn evictable(srv: &Server, c: &Client) -> bool {
    !(c.no_evict || c.close_asap || crate::replication::is_replica(srv, c))
}

/// Close the biggest evictable clients until the rest fit the limit.
/// `cur` is the client being served (out of the client table), which may
/// be the one to go: it is then marked to close and true is returned, and
/// its command must not run (as Redis's processCommand).
pub fn evict_clients(srv: &mut Server, cur: Option<&mut Client>) -> bool {
    let limit = srv.cfg.maxmemory_clients;
    if limit == 0 {
        return false;
    }
    const CURRENT: usize = usize::MAX;
    let mut sizes: Vec<(usize, usize)> = Vec::new();
    let mut total = 0usize;
    for (key, slot) in srv.clients.iter() {
        let Some(c) = slot.as_deref() else { continue };
        if evictable(srv, c) {
            let mem = c.memory_usage();
            total += mem;
            sizes.push((mem, key));
        }
    }
    let mut cur = cur.filter(|c| evictable(srv, c));
    if let Some(c) = cur.as_deref() {
        let mem = c.memory_usage();
        total += mem;
        sizes.push((mem, CURRENT));
    }
    if total <= limit {
        return false;
    }
    sizes.sort_unstable_by_key(|s| std::cmp::Reverse(s.0));
    let mut evicted_current = false;
    for (mem, key) in sizes {
        if total <= limit {
            break;
        }
        if key == CURRENT {
            if let Some(c) = cur.as_deref_mut() {
                crate::log_verbose!("Evicting client: {}", c.info_line(srv.now_ms, c.last_cmd));
                c.close_asap = true;
                evicted_current = true;
            }
        } else {
            if let Some(Some(c)) = srv.clients.get(key) {
                crate::log_verbose!("Evicting client: {}", c.info_line(srv.now_ms, c.last_cmd));
            }
            srv.kill_client(key);
        }
        srv.stats.evicted_clients += 1;
        total -= mem;
    }
    evicted_current
}
