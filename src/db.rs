//! A numbered database: the keyspace dict, the expires dict, lazy expiry on
//! every lookup, and the active expire cycle.
//!
//! `keys` maps a key to its `Obj`; `expires` maps keys that have a TTL to
//! their absolute expiry time in milliseconds, as Redis keeps `db->expires`.
//! Every lookup first checks `expires` (only when it is non-empty, so a cache
//! without TTLs pays nothing) and deletes a key whose time has come. The
//! active cycle (`active_expire`) walks `expires` with a SCAN cursor, so
//! rehashing never makes it skip or repeat a region, and deletes what it
//! finds expired within a time budget, repeating while more than 10% of
//! what it sampled had expired, like Redis's activeExpireCycle.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use crate::dict::Dict;
use crate::persistence::snapshot::DbSnap;
use crate::types::{Obj, SmallBytes, Value};

pub struct Db {
    pub id: usize,
    pub keys: Dict<SmallBytes, Obj>,
    pub expires: Dict<SmallBytes, i64>,
    /// Where the active expire cycle resumes.
    pub expire_cursor: u64,
    /// Running average TTL of keys seen by the active cycle (INFO keyspace).
    pub avg_ttl: i64,
    /// Keys deleted because they expired (lazy and active).
    pub stat_expired: u64,
    pub stat_hits: u64,
    pub stat_misses: u64,
    /// Keys deleted because they expired (and, when `keymiss` events are
    /// on, keys read but missing), in order, since the server last looked:
    /// it drains this before publishing other events, after every command
    /// and after the active expire cycle, to touch WATCHed keys and send
    /// `expired` / `keymiss` notifications.
    pub log: Vec<(DbEvent, SmallBytes)>,
    /// This database's part of a snapshot in progress: entries are handed to
    /// it before they change (`capture`), and new ones are stamped with its
    /// epoch (`persistence/snapshot.rs`).
    pub snap: Option<Box<DbSnap>>,
}

/// How accesses are recorded in `Obj.lru`, set from `maxmemory-policy`:
/// the LRU clock, or (any `*-lfu` policy) Redis's LFU pair of a 16-bit
/// minutes stamp and an 8-bit logarithmic access counter.
static LFU_MODE: AtomicBool = AtomicBool::new(false);
static LFU_LOG_FACTOR: AtomicU32 = AtomicU32::new(10);
static LFU_DECAY_TIME: AtomicU32 = AtomicU32::new(1);
/// The counter a new key starts with under LFU.
pub const LFU_INIT_VAL: u32 = 5;

/// What happened to a key outside of a command's own doing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DbEvent {
    Expired,
    Miss,
}

/// The AOF is being replayed (see `is_expired`).
static LOADING: AtomicBool = AtomicBool::new(false);

pub fn set_loading(on: bool) {
    LOADING.store(on, Ordering::Relaxed);
}

pub fn is_loading() -> bool {
    LOADING.load(Ordering::Relaxed)
}

/// `notify-keyspace-events` includes `m`: reads that miss are logged.
static KEYMISS_EVENTS: AtomicBool = AtomicBool::new(false);

pub fn set_keymiss_events(on: bool) {
    KEYMISS_EVENTS.store(on, Ordering::Relaxed);
}

/// Some database logged an event since `take_logged` was last called: the
/// server then looks at each database's log (after every command, so the
/// common case is one load instead of a walk over the databases).
static LOGGED: AtomicBool = AtomicBool::new(false);

fn log_event(log: &mut Vec<(DbEvent, SmallBytes)>, ev: DbEvent, key: SmallBytes) {
    log.push((ev, key));
    LOGGED.store(true, Ordering::Relaxed);
}

/// Whether any database logged an event; clears the mark.
pub fn take_logged() -> bool {
    LOGGED.swap(false, Ordering::Relaxed)
}

/// A read found no key: count it, and log it when `keymiss` events are
/// wanted. (Fields, not `&mut Db`, so callers can hold a borrow of `keys`.)
pub fn record_miss(misses: &mut u64, log: &mut Vec<(DbEvent, SmallBytes)>, key: &[u8]) {
    *misses += 1;
    if KEYMISS_EVENTS.load(Ordering::Relaxed) {
        log_event(log, DbEvent::Miss, SmallBytes::new(key));
    }
}

pub fn set_access_policy(lfu: bool, log_factor: u32, decay_time: u32) {
    LFU_MODE.store(lfu, Ordering::Relaxed);
    LFU_LOG_FACTOR.store(log_factor, Ordering::Relaxed);
    LFU_DECAY_TIME.store(decay_time, Ordering::Relaxed);
}

pub fn lfu_mode() -> bool {
    LFU_MODE.load(Ordering::Relaxed)
}

fn lfu_minutes(now_ms: i64) -> u32 {
    ((now_ms / 60_000) as u32) & 0xffff
}

/// The stamp of a newly created object.
pub fn new_stamp(now_ms: i64) -> u32 {
    if lfu_mode() {
        (lfu_minutes(now_ms) << 8) | LFU_INIT_VAL
    } else {
        lru_clock(now_ms)
    }
}

/// The LFU counter of `o` after decay for the minutes elapsed since it was
/// last stamped (OBJECT FREQ; Redis's LFUDecrAndReturn).
pub fn lfu_freq(o: &Obj, now_ms: i64) -> u32 {
    let stamp = o.clock();
    let (ldt, counter) = (stamp >> 8, stamp & 0xff);
    let now = lfu_minutes(now_ms);
    let elapsed = if now >= ldt {
        now - ldt
    } else {
        65535 - ldt + now
    };
    let decay = LFU_DECAY_TIME.load(Ordering::Relaxed);
    let periods = elapsed.checked_div(decay).unwrap_or(0);
    counter.saturating_sub(periods)
}

/// Record an access to `o`: the LRU clock, or a decayed-then-incremented
/// LFU counter (the increment is probabilistic, so the counter grows with
/// the logarithm of the number of accesses, as in Redis).
pub fn record_access(o: &mut Obj, now_ms: i64) {
    if !lfu_mode() {
        o.touch(lru_clock(now_ms));
        return;
    }
    let mut counter = lfu_freq(o, now_ms);
    if counter < 255 {
        let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
        let factor = LFU_LOG_FACTOR.load(Ordering::Relaxed) as f64;
        if rand::random::<f64>() < 1.0 / (base * factor + 1.0) {
            counter += 1;
        }
    }
    o.touch((lfu_minutes(now_ms) << 8) | counter);
}

/// The clock an `Obj.lru` is stamped with: seconds, 24 bits, as Redis's
/// LRU_CLOCK.
pub fn lru_clock(now_ms: i64) -> u32 {
    ((now_ms / 1000) as u32) & ((1 << 24) - 1)
}

/// Seconds since `lru` (a clock, see `Obj::clock`) was stamped, given the current clock.
pub fn idle_seconds(lru: u32, now_ms: i64) -> u64 {
    let now = lru_clock(now_ms);
    if now >= lru {
        (now - lru) as u64
    } else {
        (now + (1 << 24) - lru) as u64
    }
}

impl Db {
    pub fn new(id: usize) -> Db {
        Db {
            id,
            keys: Dict::new(),
            expires: Dict::new(),
            expire_cursor: 0,
            avg_ttl: 0,
            stat_expired: 0,
            stat_hits: 0,
            stat_misses: 0,
            log: Vec::new(),
            snap: None,
        }
    }

    /// Let a snapshot in progress copy `key`'s entry before it changes or
    /// goes away. Every mutation of an existing entry passes through here.
    #[inline]
    fn capture(&mut self, key: &[u8]) {
        if let Some(s) = self.snap.as_deref_mut() {
            s.capture(&mut self.keys, &self.expires, key);
        }
    }

    /// Stamp an entry created now so a snapshot in progress leaves it out.
    #[inline]
    fn stamp_new(snap: &Option<Box<DbSnap>>, o: &mut Obj) {
        if let Some(s) = snap {
            o.epoch = s.epoch();
        }
    }

    /// A key's object for in-place modification, without expiry or LRU
    /// bookkeeping (the caller looked the key up already).
    pub fn get_mut(&mut self, key: &[u8]) -> Option<&mut Obj> {
        self.capture(key);
        self.keys.get_mut(key)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The absolute expiry time of `key`, if it has one.
    pub fn get_expire(&self, key: &[u8]) -> Option<i64> {
        if self.expires.is_empty() {
            return None;
        }
        self.expires.get(key).copied()
    }

    /// Whether `key` exists but has expired (without deleting it).
    pub fn is_expired(&self, key: &[u8], now_ms: i64) -> bool {
        // While the AOF is replayed nothing expires: the commands recorded
        // after a key's TTL ran out still saw the key (Redis's loading rule).
        !is_loading() && matches!(self.get_expire(key), Some(t) if t <= now_ms)
    }

    /// Delete `key` if it has expired. Returns true when it was deleted,
    /// or, on a replica (which waits for its master's DEL) and during a
    /// client pause, when it reads as gone but stays.
    pub fn expire_if_needed(&mut self, key: &[u8], now_ms: i64) -> bool {
        if !self.is_expired(key, now_ms) {
            return false;
        }
        if expiry_kept(now_ms) {
            return true;
        }
        self.delete(key);
        self.stat_expired += 1;
        log_event(&mut self.log, DbEvent::Expired, SmallBytes::new(key));
        true
    }

    /// Look a key up for reading or writing: lazy expiry, then the LRU stamp.
    pub fn lookup(&mut self, key: &[u8], now_ms: i64) -> Option<&mut Obj> {
        if self.expire_if_needed(key, now_ms) && expiry_kept(now_ms) {
            return None;
        }
        self.capture(key);
        let o = self.keys.get_mut(key)?;
        record_access(o, now_ms);
        Some(o)
    }

    /// Like `lookup`, but counts keyspace hits and misses (read commands).
    pub fn lookup_read(&mut self, key: &[u8], now_ms: i64) -> Option<&mut Obj> {
        if self.expire_if_needed(key, now_ms) && expiry_kept(now_ms) {
            record_miss(&mut self.stat_misses, &mut self.log, key);
            return None;
        }
        self.capture(key);
        match self.keys.get_mut(key) {
            Some(o) => {
                self.stat_hits += 1;
                record_access(o, now_ms);
                Some(o)
            }
            None => {
                record_miss(&mut self.stat_misses, &mut self.log, key);
                None
            }
        }
    }

    /// Look at a key without touching its LRU stamp or deleting it; an
    /// expired key reads as absent.
    pub fn peek(&self, key: &[u8], now_ms: i64) -> Option<&Obj> {
        if self.is_expired(key, now_ms) {
            return None;
        }
        self.keys.get(key)
    }

    pub fn exists(&mut self, key: &[u8], now_ms: i64) -> bool {
        if self.expire_if_needed(key, now_ms) && expiry_kept(now_ms) {
            return false;
        }
        self.keys.contains_key(key)
    }

    /// Set `key` to `v` (Redis's setKey): overwrite or add; the TTL is
    /// dropped unless `keep_ttl`.
    /// Returns true when the key was created (absent or expired before).
    pub fn set(&mut self, key: &[u8], v: Value, keep_ttl: bool, now_ms: i64) -> bool {
        // An expired key is deleted first (and logged), as a write lookup
        // does in Redis: the write then creates a new key.
        self.expire_if_needed(key, now_ms);
        self.capture(key);
        // One hash and one probe whether the key is new or not.
        let mut v = Some(v);
        let o = self.keys.get_or_insert_with(SmallBytes::new(key), || {
            Obj::new(v.take().expect("value"), new_stamp(now_ms))
        });
        let created = v.is_none();
        if created {
            Self::stamp_new(&self.snap, o);
        }
        if let Some(v) = v {
            o.set_value(v, false);
            record_access(o, now_ms);
        }
        if !keep_ttl && !self.expires.is_empty() {
            self.expires.remove(key);
        }
        created
    }

    /// Insert a whole object (RENAME, MOVE, COPY): replaces any old value.
    pub fn insert_obj(&mut self, key: &[u8], mut o: Obj) {
        self.capture(key);
        Self::stamp_new(&self.snap, &mut o);
        self.keys.insert(SmallBytes::new(key), o);
    }

    /// Remove a key and its TTL. Returns the removed object.
    pub fn remove(&mut self, key: &[u8]) -> Option<Obj> {
        self.capture(key);
        let (_, o) = self.keys.remove(key)?;
        if !self.expires.is_empty() {
            self.expires.remove(key);
        }
        Some(o)
    }

    pub fn delete(&mut self, key: &[u8]) -> bool {
        self.remove(key).is_some()
    }

    /// Set the absolute expiry of an existing key.
    pub fn set_expire(&mut self, key: &[u8], when_ms: i64) {
        self.capture(key);
        match self.expires.get_mut(key) {
            Some(t) => *t = when_ms,
            None => {
                self.expires.insert(SmallBytes::new(key), when_ms);
            }
        }
    }

    /// Remove the TTL of a key; true if it had one.
    pub fn persist(&mut self, key: &[u8]) -> bool {
        self.capture(key);
        !self.expires.is_empty() && self.expires.remove(key).is_some()
    }

    /// A random key that is not expired (expired ones met on the way are
    /// deleted), as RANDOMKEY.
    pub fn random_key(&mut self, now_ms: i64) -> Option<SmallBytes> {
        let mut tries = 0;
        loop {
            let k = self.keys.random_entry()?.0.clone();
            if self.is_expired(&k, now_ms) {
                tries += 1;
                // All keys volatile and expired: stop after a while, like
                // Redis, returning one of them rather than looping forever.
                if tries > 100 && self.expires.len() == self.keys.len() {
                    return Some(k);
                }
                self.delete(&k);
                self.stat_expired += 1;
                log_event(&mut self.log, DbEvent::Expired, k);
                continue;
            }
            return Some(k);
        }
    }

    pub fn clear(&mut self) {
        let keys = std::mem::take(&mut self.keys);
        let expires = std::mem::take(&mut self.expires);
        if let Some(s) = self.snap.as_deref_mut() {
            s.detach(keys, expires);
        }
        self.expire_cursor = 0;
        self.avg_ttl = 0;
    }

    /// One pass of the active expire cycle over this db, stopping at
    /// `deadline_us` (monotonic). Returns true if it stopped because of the
    /// time limit.
    pub fn active_expire(&mut self, now_ms: i64, deadline_us: u64, effort: u32) -> bool {
        let per_loop = 20 + 5 * (effort.saturating_sub(1)) as usize;
        let acceptable_stale = 10usize.saturating_sub(effort.saturating_sub(1) as usize);
        let mut expired_keys: Vec<SmallBytes> = Vec::new();
        loop {
            if self.expires.is_empty() {
                self.expire_cursor = 0;
                return false;
            }
            let mut sampled = 0usize;
            let mut ttl_sum = 0i64;
            let mut ttl_samples = 0i64;
            expired_keys.clear();
            // Visit buckets until enough keys were sampled (Redis caps the
            // number of empty buckets visited too).
            let mut buckets = 0;
            while sampled < per_loop && buckets < per_loop * 20 {
                self.expire_cursor = self.expires.scan(self.expire_cursor, |k, &when| {
                    sampled += 1;
                    if when <= now_ms {
                        expired_keys.push(k.clone());
                    } else {
                        ttl_sum += when - now_ms;
                        ttl_samples += 1;
                    }
                });
                buckets += 1;
                if self.expire_cursor == 0 {
                    break;
                }
            }
            let expired = expired_keys.len();
            for k in expired_keys.drain(..) {
                self.delete(&k);
                self.stat_expired += 1;
                log_event(&mut self.log, DbEvent::Expired, k);
            }
            if ttl_samples > 0 {
                let avg = ttl_sum / ttl_samples;
                self.avg_ttl = if self.avg_ttl == 0 {
                    avg
                } else {
                    (self.avg_ttl / 50) * 49 + avg / 50
                };
            }
            if crate::util::time::mono_us() >= deadline_us {
                return true;
            }
            if sampled == 0 || expired * 100 <= sampled * acceptable_stale {
                return false;
            }
        }
    }
}

/// Expired keys are kept (read as gone, not deleted): on a replica, which
/// waits for its master's DEL, and while a client pause holds expiry.
pub fn expiry_kept(now_ms: i64) -> bool {
    crate::replica::replica_mode() || crate::pause::expiry_held(now_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_expiry() {
        let mut db = Db::new(0);
        db.set(b"a", Value::Int(1), false, 1000);
        db.set_expire(b"a", 2000);
        assert!(db.lookup(b"a", 1999).is_some());
        assert!(db.lookup(b"a", 2000).is_none());
        assert_eq!(db.len(), 0);
        assert_eq!(db.expires.len(), 0);
        assert_eq!(db.stat_expired, 1);
    }

    #[test]
    fn set_drops_ttl_unless_kept() {
        let mut db = Db::new(0);
        db.set(b"a", Value::Int(1), false, 0);
        db.set_expire(b"a", 5000);
        db.set(b"a", Value::Int(2), true, 0);
        assert_eq!(db.get_expire(b"a"), Some(5000));
        db.set(b"a", Value::Int(3), false, 0);
        assert_eq!(db.get_expire(b"a"), None);
    }

    #[test]
    fn lfu_counter_grows_logarithmically_and_decays() {
        set_access_policy(true, 10, 1);
        let now = 10 * 60_000;
        let mut o = Obj::new(Value::Int(1), new_stamp(now));
        assert_eq!(lfu_freq(&o, now), LFU_INIT_VAL);
        for _ in 0..1000 {
            record_access(&mut o, now);
        }
        let f = lfu_freq(&o, now);
        assert!(f > LFU_INIT_VAL + 3 && f < 40, "counter {f}");
        // one decay period per elapsed minute
        assert_eq!(lfu_freq(&o, now + 3 * 60_000), f - 3);
        set_access_policy(false, 10, 1);
    }

    #[test]
    fn active_cycle_removes_expired() {
        let mut db = Db::new(0);
        for i in 0..1000 {
            let k = format!("k{i}");
            db.set(k.as_bytes(), Value::Int(i), false, 0);
            if i % 2 == 0 {
                db.set_expire(k.as_bytes(), 10);
            } else {
                db.set_expire(k.as_bytes(), 1_000_000);
            }
        }
        let deadline = crate::util::time::mono_us() + 1_000_000;
        for _ in 0..100 {
            db.active_expire(100, deadline, 1);
        }
        assert_eq!(db.len(), 500);
        assert_eq!(db.expires.len(), 500);
    }
}
