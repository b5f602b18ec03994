//! Key eviction under `maxmemory`: which keys go, and when.
//!
//! Before every command (and, after CONFIG SET lowered the limit, on the
//! next event-loop passes) the memory in use is compared with `maxmemory`.
//! "In use" is the allocator's count (`alloc::used_memory`, the same figure
//! INFO reports) minus what Redis does not count either: the replication
//! buffers and the AOF buffer, so a slow replica cannot make the server
//! evict its whole dataset. While over the limit, keys are deleted according
//! to `maxmemory-policy`:
//!
//! * `allkeys-*` pick among all keys, `volatile-*` only among keys with a TTL;
//! * `*-random` take a random key, visiting the databases in turn;
//! * `*-lru`, `*-lfu` and `volatile-ttl` approximate the best victim as
//!   Redis does: `maxmemory-samples` keys are sampled from each database
//!   into a pool of the 16 best candidates seen so far (longest idle,
//!   lowest LFU counter, nearest expiry), which survives between calls so
//!   good candidates accumulate; the best one still present is evicted.
//!
//! An evicted key is deleted like any other key: propagated as DEL (UNLINK
//! with `lazyfree-lazy-eviction`) in a unit of its own, `evicted` keyspace
//! event, WATCH touched, tracking invalidated. One call works for at most
//! the time `maxmemory-eviction-tenacity` allows (Redis's formula: 50 µs
//! per step up to 10, then growing 15% per step, unbounded at 100); if it
//! has not freed enough by then it reports `Running` and the event loop
//! calls again on its next pass, so a big drop of the limit never stalls
//! clients. `Fail` (nothing left to evict, or `noeviction`) makes commands
//! that may grow memory answer the OOM error.

use std::time::Instant;

use crate::db::{idle_seconds, lfu_freq};
use crate::net::Client;
use crate::server::Server;
use crate::types::SmallBytes;

/// The candidates kept between calls (Redis's EVPOOL_SIZE).
const POOL_SIZE: usize = 16;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Policy {
    NoEviction,
    AllKeysLru,
    AllKeysLfu,
    AllKeysRandom,
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
}

impl Policy {
    /// The policy named by a `maxmemory-policy` value.
    pub fn parse(name: &str) -> Policy {
        match name {
            "allkeys-lru" => Policy::AllKeysLru,
            "allkeys-lfu" => Policy::AllKeysLfu,
            "allkeys-random" => Policy::AllKeysRandom,
            "volatile-lru" => Policy::VolatileLru,
            "volatile-lfu" => Policy::VolatileLfu,
            "volatile-random" => Policy::VolatileRandom,
            "volatile-ttl" => Policy::VolatileTtl,
            _ => Policy::NoEviction,
        }
    }

    fn volatile(self) -> bool {
        matches!(
            self,
            Policy::VolatileLru
                | Policy::VolatileLfu
                | Policy::VolatileRandom
                | Policy::VolatileTtl
        )
    }

    fn random(self) -> bool {
        matches!(self, Policy::AllKeysRandom | Policy::VolatileRandom)
    }
}

/// What a call achieved (Redis's EVICT_OK / EVICT_RUNNING / EVICT_FAIL).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// Under the limit (or no limit).
    Ok,
    /// Still over, but the work goes on in the next event-loop passes.
    Running,
    /// Over the limit and nothing (more) can be evicted.
    Fail,
}

struct Candidate {
    /// Higher is a better victim.
    score: u64,
    db: usize,
    key: SmallBytes,
}

/// Eviction state of the server (`Server::evict`).
#[derive(Default)]
pub struct Evictor {
    /// Best candidates seen, ascending by score.
    pool: Vec<Candidate>,
    /// Next database a random policy looks at.
    next_db: usize,
    /// The last call ran out of time: continue on the next loop pass.
    pub running: bool,
    pub evicted_keys: u64,
    /// Since when memory has been over the limit, and the total time spent
    /// over it (INFO current/total_eviction_exceeded_time).
    over_since: Option<Instant>,
    over_total_ms: u64,
}

impl Evictor {
    /// INFO's `current_eviction_exceeded_time` and
    /// `total_eviction_exceeded_time`, in ms.
    pub fn exceeded_times(&self) -> (u64, u64) {
        let current = self
            .over_since
            .map_or(0, |t| t.elapsed().as_millis() as u64);
        (current, self.over_total_ms + current)
    }

    pub fn reset_stats(&mut self) {
        self.evicted_keys = 0;
        self.over_total_ms = 0;
        if self.over_since.is_some() {
            self.over_since = Some(Instant::now());
        }
    }

    fn set_over(&mut self, over: bool) {
        match (over, self.over_since) {
            (true, None) => self.over_since = Some(Instant::now()),
            (false, Some(t)) => {
                self.over_total_ms += t.elapsed().as_millis() as u64;
                self.over_since = None;
            }
            _ => {}
        }
    }
}

/// Maximum time one call may spend evicting (Redis's evictionTimeLimitUs).
fn time_limit_us(tenacity: i64) -> u64 {
    if tenacity <= 10 {
        50 * tenacity.max(0) as u64
    } else if tenacity < 100 {
        (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64
    } else {
        u64::MAX
    }
}

/// Memory Redis does not count against `maxmemory`: the replication
/// buffers (backlog and what waits for replicas) and the AOF buffer.
pub fn not_counted(srv: &Server) -> usize {
    srv.aof.buffered() + crate::replication::buffer_memory(srv)
}

/// Memory counted against `maxmemory` now.
pub fn counted_memory(srv: &Server) -> usize {
    crate::alloc::used_memory().saturating_sub(not_counted(srv))
}

/// Evict keys until memory is under `maxmemory` or the time is up
/// (Redis's performEvictions). `cur` is the client about to run a command:
/// invalidation messages and keyspace events for it go before its reply.
pub fn perform(srv: &mut Server, mut cur: Option<&mut Client>) -> Outcome {
    srv.evict.running = false;
    if srv.cfg.maxmemory == 0 || crate::db::is_loading() {
        srv.evict.set_over(false);
        return Outcome::Ok;
    }
    let limit = srv.cfg.maxmemory as usize;
    let used = counted_memory(srv);
    if used <= limit {
        srv.evict.set_over(false);
        return Outcome::Ok;
    }
    srv.evict.set_over(true);
    let policy = srv.cfg.maxmemory_policy;
    if policy == Policy::NoEviction {
        return Outcome::Fail;
    }
    let to_free = used - limit;
    let start = Instant::now();
    let budget = time_limit_us(srv.cfg.maxmemory_eviction_tenacity);
    let mut freed = 0usize;
    let mut keys = 0u64;
    while freed < to_free {
        let Some((db, key)) = pick(srv, policy) else {
            return Outcome::Fail;
        };
        freed += evict_key(srv, cur.as_deref_mut(), db, &key);
        keys += 1;
        if keys.is_multiple_of(16) && start.elapsed().as_micros() as u64 >= budget {
            if counted_memory(srv) <= limit {
                break;
            }
            srv.evict.running = true;
            return Outcome::Running;
        }
    }
    if counted_memory(srv) <= limit {
        srv.evict.set_over(false);
    }
    Outcome::Ok
}

/// Delete `key` of database `db` as an eviction. Returns the memory the
/// deletion itself freed (as Redis counts it: what the announcements cost,
/// such as invalidation messages, is not subtracted).
fn evict_key(srv: &mut Server, mut cur: Option<&mut Client>, db: usize, key: &[u8]) -> usize {
    let before = crate::alloc::used_memory();
    if srv.dbs[db].remove(key).is_none() {
        return 0;
    }
    let freed = before.saturating_sub(crate::alloc::used_memory());
    srv.evict.evicted_keys += 1;
    let del = crate::propagate::del_for(&srv.cfg, "lazyfree-lazy-eviction", key);
    srv.prop.also(db, del);
    srv.flush_propagation();
    srv.touch_watched_key(db, key);
    srv.tracking_invalidate_key(&mut cur.as_deref_mut(), key, None, true);
    srv.notify_event(cur, crate::notify::EVICTED, "evicted", key, db);
    freed
}

/// The next victim under `policy`, if any key qualifies.
fn pick(srv: &mut Server, policy: Policy) -> Option<(usize, SmallBytes)> {
    let n = srv.dbs.len();
    if policy.random() {
        for _ in 0..n {
            let id = srv.evict.next_db % n;
            srv.evict.next_db = srv.evict.next_db.wrapping_add(1);
            let db = &srv.dbs[id];
            let key = if policy.volatile() {
                db.expires.random_entry().map(|(k, _)| k.clone())
            } else {
                db.keys.random_entry().map(|(k, _)| k.clone())
            };
            if let Some(k) = key {
                return Some((id, k));
            }
        }
        return None;
    }
    loop {
        let mut any = false;
        for id in 0..n {
            any |= fill_pool(srv, policy, id);
        }
        if !any && srv.evict.pool.is_empty() {
            return None;
        }
        // The best candidate still present (it may have been deleted or,
        // for volatile policies, made persistent since it was sampled).
        while let Some(c) = srv.evict.pool.pop() {
            let db = &srv.dbs[c.db];
            let present = if policy.volatile() {
                db.expires.contains_key(c.key.as_bytes())
            } else {
                db.keys.contains_key(c.key.as_bytes())
            };
            if present {
                return Some((c.db, c.key));
            }
        }
        if !any {
            return None;
        }
    }
}

/// Sample database `id` into the pool. Returns false if it has no
/// candidate keys at all.
fn fill_pool(srv: &mut Server, policy: Policy, id: usize) -> bool {
    let samples = srv.cfg.maxmemory_samples;
    let now = srv.now_ms;
    let db = &srv.dbs[id];
    let mut picked: Vec<(SmallBytes, u64)> = Vec::with_capacity(samples);
    if policy.volatile() {
        let mut out = Vec::with_capacity(samples);
        db.expires.sample(samples, &mut out);
        for (k, when) in out {
            let score = if policy == Policy::VolatileTtl {
                u64::MAX - (*when).max(0) as u64
            } else {
                match db.keys.get(k.as_bytes()) {
                    Some(o) => access_score(policy, o, now),
                    None => continue,
                }
            };
            picked.push((k.clone(), score));
        }
    } else {
        let mut out = Vec::with_capacity(samples);
        db.keys.sample(samples, &mut out);
        for (k, o) in out {
            picked.push((k.clone(), access_score(policy, o, now)));
        }
    }
    if picked.is_empty() {
        return false;
    }
    let pool = &mut srv.evict.pool;
    for (key, score) in picked {
        if pool
            .iter()
            .any(|c| c.db == id && c.key.as_bytes() == key.as_bytes())
        {
            continue;
        }
        if pool.len() == POOL_SIZE {
            if score <= pool[0].score {
                continue;
            }
            pool.remove(0);
        }
        let at = pool.partition_point(|c| c.score < score);
        pool.insert(at, Candidate { score, db: id, key });
    }
    true
}

/// How good a victim `o` is under an LRU or LFU policy: idle time in ms,
/// or 255 minus its decayed LFU counter.
fn access_score(policy: Policy, o: &crate::types::Obj, now_ms: i64) -> u64 {
    match policy {
        Policy::AllKeysLfu | Policy::VolatileLfu => 255 - u64::from(lfu_freq(o, now_ms).min(255)),
        _ => idle_seconds(o.lru & crate::types::value::LRU_MASK, now_ms) * 1000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenacity_time_limits_follow_redis() {
        assert_eq!(time_limit_us(0), 0);
        assert_eq!(time_limit_us(10), 500);
        assert_eq!(time_limit_us(11), 575);
        assert!(time_limit_us(99) > 1_000_000);
        assert_eq!(time_limit_us(100), u64::MAX);
    }

    #[test]
    fn policies_parse() {
        assert_eq!(Policy::parse("allkeys-lru"), Policy::AllKeysLru);
        assert!(Policy::parse("volatile-ttl").volatile());
        assert!(Policy::parse("allkeys-random").random());
        assert_eq!(Policy::parse("noeviction"), Policy::NoEviction);
    }
}
