//! Generic keyspace commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN,
//! RANDOMKEY, RENAME(NX), TOUCH, OBJECT, MOVE, COPY, the EXPIRE and TTL
//! families, PERSIST, DBSIZE, FLUSHDB, FLUSHALL and SWAPDB.
//!
//! These work on keys whatever their type, so they only ever look at an
//! `Obj` as a whole (its type name, encoding and access clock) and at the
//! `expires` dict. Lookups follow Redis's flavours: reads that must not
//! refresh the access clock (EXISTS, TYPE, TTL, OBJECT) go through
//! `lookup_notouch`, which still expires lazily and counts keyspace hits and
//! misses; reads that refresh it (TOUCH, COPY's source) use
//! `Db::lookup_read`; writes use `Db::lookup`, which touches without
//! counting. A key whose TTL has passed is never seen by any of them.

use bytes::Bytes;

use super::{DB_OUT_OF_RANGE, Handler, NO_SUCH_KEY, SYNTAX_ERR, arg_int, is, text};
use crate::db::{Db, idle_seconds, new_stamp};
use crate::net::Client;
use crate::notify;
use crate::server::Server;
use crate::types::Obj;
use crate::types::value::{FLAG_RAW, FLAG_UNSHARED, Value};
use crate::util::glob::glob_match;

pub const COMMANDS: &[(&str, Handler)] = &[
    ("del", del),
    ("unlink", del),
    ("exists", exists),
    ("type", type_cmd),
    ("keys", keys),
    ("scan", scan),
    ("randomkey", randomkey),
    ("rename", rename),
    ("renamenx", renamenx),
    ("touch", touch),
    ("object|encoding", object_encoding),
    ("object|refcount", object_refcount),
    ("object|idletime", object_idletime),
    ("object|freq", object_freq),
    ("object|help", object_help),
    ("move", move_cmd),
    ("copy", copy),
    ("expire", expire),
    ("pexpire", pexpire),
    ("expireat", expireat),
    ("pexpireat", pexpireat),
    ("ttl", ttl),
    ("pttl", pttl),
    ("expiretime", expiretime),
    ("pexpiretime", pexpiretime),
    ("persist", persist),
    ("dbsize", dbsize),
    ("flushdb", flushdb),
    ("flushall", flushall),
    ("swapdb", swapdb),
];

const SAME_OBJECT: &str = "source and destination objects are the same";
/// Integers in 0..SHARED_INTEGERS are shared objects in Redis.
const SHARED_INTEGERS: i64 = 10_000;
/// The refcount Redis reports for a shared object (INT_MAX).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;

/// A read that leaves the access clock alone (Redis's LOOKUP_NOTOUCH):
/// lazy expiry, keyspace hit/miss statistics.
fn lookup_notouch<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Option<&'a Obj> {
    let gone = db.expire_if_needed(key, now) && crate::db::expiry_kept(now);
    match db.keys.get(key).filter(|_| !gone) {
        Some(o) => {
            db.stat_hits += 1;
            Some(o)
        }
        None => {
            crate::db::record_miss(&mut db.stat_misses, &mut db.log, key);
            None
        }
    }
}

/// A database index argument that must also name an existing database.
fn parse_db_index(srv: &Server, c: &mut Client, b: &[u8]) -> Option<usize> {
    let n = arg_int(c, b, None)?;
    if n < 0 || n as usize >= srv.dbs.len() {
        c.reply.err(DB_OUT_OF_RANGE);
        return None;
    }
    Some(n as usize)
}

/// Mutable access to two different databases at once.
fn two_dbs(dbs: &mut [Db], a: usize, b: usize) -> (&mut Db, &mut Db) {
    assert_ne!(a, b);
    if a < b {
        let (x, y) = dbs.split_at_mut(b);
        (&mut x[a], &mut y[0])
    } else {
        let (x, y) = dbs.split_at_mut(a);
        (&mut y[0], &mut x[b])
    }
}

fn maxmemory_policy_is_lfu(srv: &Server) -> bool {
    srv.cfg
        .get("maxmemory-policy")
        .is_some_and(|p| p.ends_with("-lfu"))
}

/// Whether new small integers are shared objects: Redis stops sharing them
/// when a maxmemory limit is set with an LRU or LFU policy, since every
/// key then needs its own access clock.
fn integers_shared(srv: &Server) -> bool {
    let maxmemory = srv
        .cfg
        .get("maxmemory")
        .and_then(|m| m.parse::<i64>().ok())
        .unwrap_or(0);
    let policy = srv.cfg.get("maxmemory-policy").unwrap_or("");
    maxmemory == 0 || !(policy.ends_with("-lru") || policy.ends_with("-lfu"))
}

/// OBJECT REFCOUNT of a value: small integers are Redis's shared objects,
/// everything else has one owner, the keyspace.
fn refcount(o: &Obj, shared_allowed: bool) -> i64 {
    match o.v {
        Value::Int(n)
            if (0..SHARED_INTEGERS).contains(&n)
                && shared_allowed
                && o.lru & FLAG_UNSHARED == 0 =>
        {
            SHARED_REFCOUNT
        }
        _ => 1,
    }
}

// ---------------------------------------------------------------------------
// DEL, UNLINK, EXISTS, TYPE, TOUCH, DBSIZE

/// DEL key [key ...] and UNLINK (values are freed at once in both).
fn del(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let mut n = 0;
    for k in &argv[1..] {
        let db = &mut srv.dbs[c.db];
        db.expire_if_needed(k, now);
        if db.delete(k) {
            n += 1;
            srv.signal_modified_key(c.db, k);
            srv.notify(c, notify::GENERIC, "del", k, c.db);
        }
    }
    srv.dirty += n as u64;
    c.reply.int(n);
}

/// EXISTS key [key ...]: a key named twice counts twice.
fn exists(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    let n = argv[1..]
        .iter()
        .filter(|k| lookup_notouch(db, k, now).is_some())
        .count();
    c.reply.int(n as i64);
}

fn type_cmd(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let name =
        lookup_notouch(&mut srv.dbs[c.db], &argv[1], now).map_or("none", |o| o.v.type_name());
    c.reply.simple(name);
}

/// TOUCH key [key ...]: refresh the access clock, count existing keys.
fn touch(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    let n = argv[1..]
        .iter()
        .filter(|k| db.lookup_read(k, now).is_some())
        .count();
    c.reply.int(n as i64);
}

/// DBSIZE counts keys whose TTL passed but that were not yet removed, as Redis.
fn dbsize(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.int(srv.dbs[c.db].len() as i64);
}

// ---------------------------------------------------------------------------
// KEYS, SCAN, RANDOMKEY

/// KEYS pattern: every key matching, skipping (without deleting) expired ones.
fn keys(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let db = &srv.dbs[c.db];
    let pattern = &argv[1][..];
    let all = pattern == b"*";
    let at = c.reply.begin_deferred();
    let mut n = 0;
    for (k, _) in db.keys.iter() {
        let k = k.as_bytes();
        if (all || glob_match(pattern, k, false)) && !db.is_expired(k, now) {
            c.reply.bulk(k);
            n += 1;
        }
    }
    c.reply.end_deferred_array(at, n);
}

/// The `[MATCH pattern] [COUNT count]` options of HSCAN, SSCAN and ZSCAN,
/// from `argv[from..]`: (count, pattern; `None` for a lone `*`). Answers
/// Redis's error and returns `None` on bad input.
pub(crate) fn parse_scan_opts<'a>(
    c: &mut Client,
    argv: &'a [Bytes],
    from: usize,
) -> Option<(i64, Option<&'a [u8]>)> {
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut i = from;
    while i < argv.len() {
        let has_value = i + 1 < argv.len();
        if is(&argv[i], "count") && has_value {
            count = super::arg_i64(c, &argv[i + 1])?;
            if count < 1 {
                c.reply.err(SYNTAX_ERR);
                return None;
            }
        } else if is(&argv[i], "match") && has_value {
            pattern = Some(&argv[i + 1][..]).filter(|p| *p != b"*");
        } else {
            c.reply.err(SYNTAX_ERR);
            return None;
        }
        i += 2;
    }
    Some((count, pattern))
}

/// A SCAN cursor, read as C's strtoul (what Redis uses): an optional sign
/// (a negative number wraps around), digits, nothing after them; no
/// leading space; out of range is an error. The text ends at a NUL byte,
/// and an empty cursor is 0.
pub(crate) fn parse_scan_cursor(b: &[u8]) -> Option<u64> {
    let b = match b.iter().position(|&x| x == 0) {
        Some(end) => &b[..end],
        None => b,
    };
    if b.is_empty() {
        return Some(0);
    }
    if matches!(b[0], b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
        return None;
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { v.wrapping_neg() } else { v })
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]
fn scan(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(mut cursor) = parse_scan_cursor(&argv[1]) else {
        c.reply.err("invalid cursor");
        return;
    };
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while i < argv.len() {
        let has_value = i + 1 < argv.len();
        if is(&argv[i], "count") && has_value {
            let Some(n) = super::arg_i64(c, &argv[i + 1]) else {
                return;
            };
            if n < 1 {
                c.reply.err(SYNTAX_ERR);
                return;
            }
            count = n;
        } else if is(&argv[i], "match") && has_value {
            // A lone `*` matches everything: no need to run the matcher.
            pattern = Some(&argv[i + 1][..]).filter(|p| *p != b"*");
        } else if is(&argv[i], "type") && has_value {
            type_name = Some(&argv[i + 1][..]);
        } else {
            c.reply.err(SYNTAX_ERR);
            return;
        }
        i += 2;
    }

    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    let mut found = Vec::new();
    // Like Redis, visit at most 10 * COUNT buckets so a sparse table does
    // not block the server for long.
    let mut budget = count.saturating_mul(10);
    loop {
        cursor = db.keys.scan(cursor, |k, _| found.push(k.clone()));
        if cursor == 0 || budget == 0 || found.len() as i64 >= count {
            break;
        }
        budget -= 1;
    }

    c.reply.array_len(2);
    // Redis prints the cursor as a signed 64-bit number.
    c.reply.bulk_i64(cursor as i64);
    let at = c.reply.begin_deferred();
    let mut n = 0;
    for k in &found {
        let k = k.as_bytes();
        if let Some(p) = pattern
            && !glob_match(p, k, false)
        {
            continue;
        }
        if let Some(t) = type_name {
            let actual = lookup_notouch(db, k, now).map_or("none", |o| o.v.type_name());
            if !t.eq_ignore_ascii_case(actual.as_bytes()) {
                continue;
            }
        }
        if db.expire_if_needed(k, now) {
            continue;
        }
        c.reply.bulk(k);
        n += 1;
    }
    c.reply.end_deferred_array(at, n);
}

fn randomkey(srv: &mut Server, c: &mut Client, _: &[Bytes]) {
    let now = srv.now_ms;
    match srv.dbs[c.db].random_key(now) {
        Some(k) => c.reply.bulk(k.as_bytes()),
        None => c.reply.null(),
    }
}

// ---------------------------------------------------------------------------
// RENAME, RENAMENX, MOVE, COPY

fn rename(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    rename_generic(srv, c, argv, false);
}

fn renamenx(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    rename_generic(srv, c, argv, true);
}

/// The value and its TTL move to the new name; an existing destination
/// (and its TTL) is dropped, unless NX.
fn rename_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], nx: bool) {
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    let (src, dst) = (&argv[1][..], &argv[2][..]);
    if db.lookup(src, now).is_none() {
        c.reply.err(NO_SUCH_KEY);
        return;
    }
    if src == dst {
        if nx {
            c.reply.int(0);
        } else {
            c.reply.ok();
        }
        return;
    }
    if db.lookup(dst, now).is_some() {
        if nx {
            c.reply.int(0);
            return;
        }
        db.delete(dst);
    }
    let expire = db.get_expire(src);
    let o = db.remove(src).expect("looked up above");
    db.insert_obj(dst, o);
    if let Some(when) = expire {
        db.set_expire(dst, when);
    }
    srv.dirty += 1;
    srv.signal_modified_key(c.db, src);
    srv.signal_modified_key(c.db, dst);
    srv.notify(c, notify::NEW, "new", dst, c.db);
    srv.notify(c, notify::GENERIC, "rename_from", src, c.db);
    srv.notify(c, notify::GENERIC, "rename_to", dst, c.db);
    if nx {
        c.reply.int(1);
    } else {
        c.reply.ok();
    }
}

/// MOVE key db: only when the key is absent from the target database.
fn move_cmd(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(dst_id) = parse_db_index(srv, c, &argv[2]) else {
        return;
    };
    if dst_id == c.db {
        c.reply.err(SAME_OBJECT);
        return;
    }
    let now = srv.now_ms;
    let key = &argv[1][..];
    let (src, dst) = two_dbs(&mut srv.dbs, c.db, dst_id);
    if src.lookup(key, now).is_none() || dst.lookup(key, now).is_some() {
        c.reply.int(0);
        return;
    }
    let expire = src.get_expire(key);
    let o = src.remove(key).expect("looked up above");
    dst.insert_obj(key, o);
    if let Some(when) = expire {
        dst.set_expire(key, when);
    }
    srv.dirty += 1;
    srv.signal_modified_key(c.db, key);
    srv.signal_modified_key(dst_id, key);
    srv.notify(c, notify::NEW, "new", key, dst_id);
    srv.notify(c, notify::GENERIC, "move_from", key, c.db);
    srv.notify(c, notify::GENERIC, "move_to", key, dst_id);
    c.reply.int(1);
}

/// COPY source destination [DB destination-db] [REPLACE]
fn copy(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let mut dst_id = c.db;
    let mut replace = false;
    let mut i = 3;
    while i < argv.len() {
        if is(&argv[i], "replace") {
            replace = true;
        } else if is(&argv[i], "db") && i + 1 < argv.len() {
            let Some(id) = parse_db_index(srv, c, &argv[i + 1]) else {
                return;
            };
            dst_id = id;
            i += 1;
        } else {
            c.reply.err(SYNTAX_ERR);
            return;
        }
        i += 1;
    }
    let (src_key, dst_key) = (&argv[1][..], &argv[2][..]);
    if dst_id == c.db && src_key == dst_key {
        c.reply.err(SAME_OBJECT);
        return;
    }
    let now = srv.now_ms;
    let src = &mut srv.dbs[c.db];
    let Some(o) = src.lookup_read(src_key, now) else {
        c.reply.int(0);
        return;
    };
    // A copy is a new object: its own access clock, the source's string
    // encoding, and (as Redis's dupStringObject) never a shared integer.
    let mut dup = Obj::new(o.v.clone(), new_stamp(now));
    dup.lru |= o.lru & FLAG_RAW;
    if matches!(dup.v, Value::Int(_)) {
        dup.lru |= FLAG_UNSHARED;
    }
    let expire = src.get_expire(src_key);
    let dst = &mut srv.dbs[dst_id];
    if dst.lookup(dst_key, now).is_some() {
        if !replace {
            c.reply.int(0);
            return;
        }
        dst.delete(dst_key);
    }
    dst.insert_obj(dst_key, dup);
    if let Some(when) = expire {
        dst.set_expire(dst_key, when);
    }
    srv.dirty += 1;
    srv.signal_modified_key(dst_id, dst_key);
    srv.notify(c, notify::NEW, "new", dst_key, dst_id);
    srv.notify(c, notify::GENERIC, "copy_to", dst_key, dst_id);
    c.reply.int(1);
}

// ---------------------------------------------------------------------------
// OBJECT

fn object_encoding(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    match lookup_notouch(&mut srv.dbs[c.db], &argv[2], now) {
        Some(o) => c.reply.bulk_str(o.encoding()),
        None => c.reply.null(),
    }
}

fn object_refcount(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let shared = integers_shared(srv);
    match lookup_notouch(&mut srv.dbs[c.db], &argv[2], now) {
        Some(o) => c.reply.int(refcount(o, shared)),
        None => c.reply.null(),
    }
}

fn object_idletime(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let lfu = maxmemory_policy_is_lfu(srv);
    let Some(o) = lookup_notouch(&mut srv.dbs[c.db], &argv[2], now) else {
        c.reply.null();
        return;
    };
    if lfu {
        c.reply.err(
            "An LFU maxmemory policy is selected, idle time not tracked. Please note that when \
             switching between policies at runtime LRU and LFU data will take some time to adjust.",
        );
        return;
    }
    c.reply.int(idle_seconds(o.clock(), now) as i64);
}

/// OBJECT FREQ answers only under an LFU policy: the decayed access counter.
fn object_freq(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let lfu = maxmemory_policy_is_lfu(srv);
    let Some(o) = lookup_notouch(&mut srv.dbs[c.db], &argv[2], now) else {
        c.reply.null();
        return;
    };
    let freq = crate::db::lfu_freq(o, now);
    if !lfu {
        c.reply.err(
            "An LFU maxmemory policy is not selected, access frequency not tracked. Please note \
             that when switching between policies at runtime LRU and LFU data will take some \
             time to adjust.",
        );
        return;
    }
    c.reply.int(freq as i64);
}

fn object_help(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.help(
        "OBJECT",
        &[
            "ENCODING <key>",
            "    Return the kind of internal representation used in order to store the value",
            "    associated with a <key>.",
            "FREQ <key>",
            "    Return the access frequency index of the <key>. The returned integer is",
            "    proportional to the logarithm of the recent access frequency of the key.",
            "IDLETIME <key>",
            "    Return the idle time of the <key>, that is the approximated number of",
            "    seconds elapsed since the last access to the key.",
            "REFCOUNT <key>",
            "    Return the number of references of the value associated with the specified",
            "    <key>.",
        ],
    );
}

// ---------------------------------------------------------------------------
// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL family, PERSIST

/// The NX / XX / GT / LT conditions of the EXPIRE family.
#[derive(Default, Debug, PartialEq)]
struct ExpireCond {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl ExpireCond {
    /// Parse the options after the time, with Redis's errors.
    fn parse(opts: &[Bytes]) -> Result<ExpireCond, String> {
        let mut f = ExpireCond::default();
        for o in opts {
            if is(o, "nx") {
                f.nx = true;
            } else if is(o, "xx") {
                f.xx = true;
            } else if is(o, "gt") {
                f.gt = true;
            } else if is(o, "lt") {
                f.lt = true;
            } else {
                return Err(format!("Unsupported option {}", text(o)));
            }
        }
        if f.nx && (f.xx || f.gt || f.lt) {
            return Err("NX and XX, GT or LT options at the same time are not compatible".into());
        }
        if f.gt && f.lt {
            return Err("GT and LT options at the same time are not compatible".into());
        }
        Ok(f)
    }

    /// Whether a key whose current expiry is `current` (None = no TTL, an
    /// infinite one) may get the new expiry `when`.
    fn allows(&self, current: Option<i64>, when: i64) -> bool {
        if self.nx && current.is_some() {
            return false;
        }
        if self.xx && current.is_none() {
            return false;
        }
        if self.gt && current.is_none_or(|cur| when <= cur) {
            return false;
        }
        if self.lt && current.is_some_and(|cur| when >= cur) {
            return false;
        }
        true
    }
}

/// The absolute expiry in ms for `n` given in seconds or ms, relative to
/// `base_ms` (0 for the *AT forms); None when it overflows.
fn expire_at_ms(n: i64, seconds: bool, base_ms: i64) -> Option<i64> {
    let ms = if seconds { n.checked_mul(1000)? } else { n };
    if ms > i64::MAX - base_ms {
        return None;
    }
    Some(ms + base_ms)
}

fn expire(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let base = srv.now_ms;
    expire_generic(srv, c, argv, "expire", base, true);
}

fn pexpire(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let base = srv.now_ms;
    expire_generic(srv, c, argv, "pexpire", base, false);
}

fn expireat(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    expire_generic(srv, c, argv, "expireat", 0, true);
}

fn pexpireat(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    expire_generic(srv, c, argv, "pexpireat", 0, false);
}

/// A time already past deletes the key (and still answers 1).
fn expire_generic(
    srv: &mut Server,
    c: &mut Client,
    argv: &[Bytes],
    name: &str,
    base_ms: i64,
    seconds: bool,
) {
    let cond = match ExpireCond::parse(&argv[3..]) {
        Ok(f) => f,
        Err(e) => {
            c.reply.err(&e);
            return;
        }
    };
    let Some(n) = super::arg_i64(c, &argv[2]) else {
        return;
    };
    let Some(when) = expire_at_ms(n, seconds, base_ms) else {
        c.reply
            .err(&format!("invalid expire time in '{name}' command"));
        return;
    };
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    let key = &argv[1][..];
    if db.lookup(key, now).is_none() || !cond.allows(db.get_expire(key), when) {
        c.reply.int(0);
        return;
    }
    // While loading, a time already past is kept (the key expires later).
    if when <= now && !crate::db::is_loading() {
        db.delete(key);
        srv.prop.rewrite(crate::propagate::del_for(
            &srv.cfg,
            "lazyfree-lazy-expire",
            key,
        ));
    } else {
        db.set_expire(key, when);
        // Propagated as PEXPIREAT with the absolute time (options kept).
        let mut prop = argv.to_vec();
        prop[0] = Bytes::from_static(b"PEXPIREAT");
        prop[2] = crate::propagate::int_arg(when);
        srv.prop.rewrite(prop);
    }
    srv.dirty += 1;
    srv.signal_modified_key(c.db, key);
    let event = if when <= now && !crate::db::is_loading() {
        "del"
    } else {
        "expire"
    };
    srv.notify(c, notify::GENERIC, event, key, c.db);
    c.reply.int(1);
}

/// What the TTL family reports.
#[derive(Clone, Copy)]
enum TtlForm {
    /// Remaining time (TTL, PTTL) or absolute time (EXPIRETIME, PEXPIRETIME).
    Relative,
    Absolute,
}

fn ttl(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    ttl_generic(srv, c, argv, TtlForm::Relative, false);
}

fn pttl(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    ttl_generic(srv, c, argv, TtlForm::Relative, true);
}

fn expiretime(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    ttl_generic(srv, c, argv, TtlForm::Absolute, false);
}

fn pexpiretime(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    ttl_generic(srv, c, argv, TtlForm::Absolute, true);
}

/// -2 for no key, -1 for no TTL; seconds are rounded to the nearest.
fn ttl_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], form: TtlForm, ms: bool) {
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    if lookup_notouch(db, &argv[1], now).is_none() {
        c.reply.int(-2);
        return;
    }
    let Some(when) = db.get_expire(&argv[1]) else {
        c.reply.int(-1);
        return;
    };
    let t = match form {
        TtlForm::Relative => when - now,
        TtlForm::Absolute => when,
    }
    .max(0);
    c.reply.int(if ms { t } else { (t + 500) / 1000 });
}

fn persist(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    let removed = db.lookup(&argv[1], now).is_some() && db.persist(&argv[1]);
    if removed {
        srv.dirty += 1;
        srv.signal_modified_key(c.db, &argv[1]);
        srv.notify(c, notify::GENERIC, "persist", &argv[1], c.db);
    }
    c.reply.int(i64::from(removed));
}

// ---------------------------------------------------------------------------
// FLUSHDB, FLUSHALL, SWAPDB

/// The optional ASYNC | SYNC of FLUSHDB and FLUSHALL. Both free the data
/// before replying for now.
fn flush_mode_ok(c: &mut Client, argv: &[Bytes]) -> bool {
    let ok = match argv.len() {
        1 => true,
        2 => is(&argv[1], "sync") || is(&argv[1], "async"),
        _ => false,
    };
    if !ok {
        c.reply.err(SYNTAX_ERR);
    }
    ok
}

fn flushdb(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if flush_mode_ok(c, argv) {
        srv.touch_all_watched_in_db(c.db, None);
        srv.tracking_invalidate_all();
        srv.dirty += srv.dbs[c.db].len() as u64;
        srv.dbs[c.db].clear();
        // Propagated even when the database was already empty.
        srv.prop.force();
        c.reply.ok();
    }
}

fn flushall(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if flush_mode_ok(c, argv) {
        for id in 0..srv.dbs.len() {
            srv.touch_all_watched_in_db(id, None);
        }
        srv.tracking_invalidate_all();
        // As Redis: a background save in progress is abandoned, and with
        // save points the (empty) dataset is saved at once.
        crate::persistence::background::abort_bgsave(srv);
        for db in &mut srv.dbs {
            srv.dirty += db.len() as u64;
            db.clear();
        }
        if !crate::persistence::background::save_points(srv).is_empty() {
            crate::persistence::rdb_save(srv);
        }
        srv.prop.force();
        c.reply.ok();
    }
}

/// SWAPDB index1 index2: clients stay on their index and see the other data.
fn swapdb(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(a) = arg_int(c, &argv[1], Some("invalid first DB index")) else {
        return;
    };
    let Some(b) = arg_int(c, &argv[2], Some("invalid second DB index")) else {
        return;
    };
    let n = srv.dbs.len() as i64;
    if !(0..n).contains(&a) || !(0..n).contains(&b) {
        c.reply.err(DB_OUT_OF_RANGE);
        return;
    }
    if a != b {
        srv.touch_all_watched_in_db(a as usize, Some(b as usize));
        srv.touch_all_watched_in_db(b as usize, Some(a as usize));
        let (x, y) = two_dbs(&mut srv.dbs, a as usize, b as usize);
        std::mem::swap(&mut x.keys, &mut y.keys);
        std::mem::swap(&mut x.expires, &mut y.expires);
        std::mem::swap(&mut x.avg_ttl, &mut y.avg_ttl);
        std::mem::swap(&mut x.expire_cursor, &mut y.expire_cursor);
        // A snapshot in progress follows the dicts: their entries are
        // written under the database they were in when it began.
        std::mem::swap(&mut x.snap, &mut y.snap);
        srv.tracking_invalidate_all();
    }
    srv.dirty += 1;
    c.reply.ok();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(v: &[&str]) -> Vec<Bytes> {
        v.iter()
            .map(|s| Bytes::copy_from_slice(s.as_bytes()))
            .collect()
    }

    #[test]
    fn scan_cursor_follows_strtoul() {
        assert_eq!(parse_scan_cursor(b"0"), Some(0));
        assert_eq!(parse_scan_cursor(b"123"), Some(123));
        assert_eq!(parse_scan_cursor(b"+7"), Some(7));
        assert_eq!(parse_scan_cursor(b"007"), Some(7));
        assert_eq!(parse_scan_cursor(b""), Some(0));
        assert_eq!(parse_scan_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"-18446744073709551615"), Some(1));
        assert_eq!(parse_scan_cursor(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_scan_cursor(b"18446744073709551616"), None);
        assert_eq!(parse_scan_cursor(b"5\0junk"), Some(5));
        for bad in [&b" 1"[..], b"1 ", b"\t1", b"x", b"+", b"-", b"1x", b"0x10"] {
            assert_eq!(parse_scan_cursor(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn expire_options() {
        let p = |v: &[&str]| ExpireCond::parse(&args(v));
        assert_eq!(p(&[]), Ok(ExpireCond::default()));
        assert!(p(&["nx"]).unwrap().nx);
        assert!(p(&["Lt", "XX"]).is_ok());
        assert_eq!(p(&["xx", "AB"]).unwrap_err(), "Unsupported option AB");
        let both = "NX and XX, GT or LT options at the same time are not compatible";
        for v in [&["nx", "xx"][..], &["gt", "nx"], &["nx", "lt"]] {
            assert_eq!(p(v).unwrap_err(), both);
        }
        assert_eq!(
            p(&["gt", "lt"]).unwrap_err(),
            "GT and LT options at the same time are not compatible"
        );
    }

    #[test]
    fn expire_conditions() {
        let c = |v: &[&str]| ExpireCond::parse(&args(v)).unwrap();
        assert!(c(&[]).allows(None, 5));
        assert!(c(&["nx"]).allows(None, 5));
        assert!(!c(&["nx"]).allows(Some(1), 5));
        assert!(!c(&["xx"]).allows(None, 5));
        assert!(c(&["xx"]).allows(Some(1), 5));
        assert!(c(&["gt"]).allows(Some(1), 5));
        assert!(!c(&["gt"]).allows(Some(5), 5));
        assert!(!c(&["gt"]).allows(None, 5));
        assert!(c(&["lt"]).allows(None, 5));
        assert!(c(&["lt"]).allows(Some(6), 5));
        assert!(!c(&["lt"]).allows(Some(5), 5));
        assert!(!c(&["lt", "xx"]).allows(None, 5));
    }

    #[test]
    fn expire_time_overflow() {
        let now = 1_700_000_000_000;
        assert_eq!(expire_at_ms(10, true, now), Some(now + 10_000));
        assert_eq!(expire_at_ms(-10, false, now), Some(now - 10));
        assert_eq!(expire_at_ms(9_223_372_036_854_776, true, 0), None);
        assert_eq!(expire_at_ms(-9_223_372_036_854_776, true, 0), None);
        assert_eq!(expire_at_ms(9_223_370_399_119_966, true, now), None);
        assert_eq!(expire_at_ms(9_223_372_036_854_770_000, false, now), None);
        assert_eq!(
            expire_at_ms(9_223_372_036_854_770_000, false, 0),
            Some(9_223_372_036_854_770_000)
        );
    }

    #[test]
    fn refcounts() {
        let o = |n| Obj::new(Value::Int(n), 0);
        assert_eq!(refcount(&o(0), true), SHARED_REFCOUNT);
        assert_eq!(refcount(&o(9999), true), SHARED_REFCOUNT);
        assert_eq!(refcount(&o(10000), true), 1);
        assert_eq!(refcount(&o(-1), true), 1);
        assert_eq!(refcount(&o(5), false), 1);
        let mut copied = o(5);
        copied.lru |= FLAG_UNSHARED;
        assert_eq!(refcount(&copied, true), 1);
        assert_eq!(refcount(&Obj::new(Value::from_bytes(b"abc"), 0), true), 1);
    }
}
