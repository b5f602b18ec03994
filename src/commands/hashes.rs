//! Hash commands (Redis 7.0's `t_hash.c`): HSET and friends, reads,
//! counters, HRANDFIELD and HSCAN, with Redis's exact replies and errors.
//!
//! The value representation (listpack or table, and the conversion between
//! them at the `hash-max-listpack-*` thresholds) lives in `types/hash.rs`;
//! handlers read the thresholds from the config at each write, so CONFIG
//! SET applies to the next command. Writes create the key on demand
//! (hashTypeLookupWriteOrCreate) and a hash emptied by HDEL is deleted.
//! `srv.dirty` grows as in Redis: one per pair written by HSET/HMSET, one per
//! HSETNX/HINCRBY/HINCRBYFLOAT that writes, one per field HDEL removes.
//!
//! HRANDFIELD follows Redis's four cases (negative count: repeats allowed,
//! random order; count ≥ size: the whole hash; count close to size: a copy
//! minus random pairs; otherwise a selection of distinct random pairs). In
//! RESP3 WITHVALUES answers with [field, value] pairs.

use bytes::Bytes;

use super::{Handler, NOT_FLOAT, NOT_INTEGER, WRONGTYPE};
use crate::db::Db;
use crate::encoding::listpack::LpValue;
use crate::net::Client;
use crate::notify;
use crate::server::Server;
use crate::types::Value;
use crate::types::hash::{Hash, Limits};
use crate::util::glob::glob_match;
use crate::util::num::{self, LdError};

pub const COMMANDS: &[(&str, Handler)] = &[
    ("hset", hset),
    ("hmset", hmset),
    ("hsetnx", hsetnx),
    ("hget", hget),
    ("hmget", hmget),
    ("hdel", hdel),
    ("hlen", hlen),
    ("hstrlen", hstrlen),
    ("hexists", hexists),
    ("hkeys", hkeys),
    ("hvals", hvals),
    ("hgetall", hgetall),
    ("hincrby", hincrby),
    ("hincrbyfloat", hincrbyfloat),
    ("hrandfield", hrandfield),
    ("hscan", hscan),
];

// ---------------------------------------------------------------------------
// Shared pieces

fn limits(srv: &Server) -> Limits {
    Limits {
        max_entries: srv.cfg.hash_max_listpack_entries,
        max_value: srv.cfg.hash_max_listpack_value,
    }
}

fn reply_lp(c: &mut Client, v: LpValue<'_>) {
    match v {
        LpValue::Int(n) => c.reply.bulk_i64(n),
        LpValue::Str(s) => c.reply.bulk(s),
    }
}

/// The hash at `key` for writing, created empty when missing; `None` after
/// answering WRONGTYPE.
fn hash_for_write<'a>(
    db: &'a mut Db,
    c: &mut Client,
    key: &[u8],
    now: i64,
) -> Option<(&'a mut Hash, bool)> {
    let created = match db.lookup(key, now).map(|o| o.v.is_hash()) {
        Some(false) => {
            c.reply.err_code(WRONGTYPE);
            return None;
        }
        Some(true) => false,
        None => db.set(key, Value::Hash(Box::default()), false, now),
    };
    match &mut db.get_mut(key)?.v {
        Value::Hash(h) => Some((h, created)),
        _ => None,
    }
}

/// After a write to the hash at `key`: WATCH invalidation, then the `new`
/// (key created) and `event` notifications, in Redis's order. Replies are
/// written after this, so a RESP3 client sees its own events first.
fn touched(srv: &mut Server, c: &mut Client, key: &[u8], event: &str, created: bool) {
    srv.signal_modified_key(c.db, key);
    if created {
        srv.notify(c, notify::NEW, "new", key, c.db);
    }
    srv.notify(c, notify::HASH, event, key, c.db);
}

/// Outcome of a read lookup.
enum Read<'a> {
    Missing,
    WrongType,
    Found(&'a Hash),
}

/// The hash at `key` for reading (counts keyspace hits and misses).
fn hash_for_read<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Read<'a> {
    match db.lookup_read(key, now) {
        None => Read::Missing,
        Some(o) => match &o.v {
            Value::Hash(h) => Read::Found(h),
            _ => Read::WrongType,
        },
    }
}

/// Look a hash up for reading; on a missing key run `missing`, on another
/// type answer WRONGTYPE; either way `None`.
fn read_or_reply<'a>(
    db: &'a mut Db,
    c: &mut Client,
    key: &[u8],
    now: i64,
    missing: impl FnOnce(&mut Client),
) -> Option<&'a Hash> {
    match hash_for_read(db, key, now) {
        Read::Found(h) => Some(h),
        Read::Missing => {
            missing(c);
            None
        }
        Read::WrongType => {
            c.reply.err_code(WRONGTYPE);
            None
        }
    }
}

// ---------------------------------------------------------------------------
// Writes

/// HSET key field value [field value ...]
fn hset(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    hset_generic(srv, c, argv, false);
}

/// HMSET key field value [field value ...]: HSET answering OK.
fn hmset(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    hset_generic(srv, c, argv, true);
}

fn hset_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], ok: bool) {
    if argv.len() % 2 == 1 {
        let name = if ok { "hmset" } else { "hset" };
        c.reply
            .err(&format!("wrong number of arguments for '{name}' command"));
        return;
    }
    let (now, l) = (srv.now_ms, limits(srv));
    let Some((h, new_key)) = hash_for_write(&mut srv.dbs[c.db], c, &argv[1], now) else {
        return;
    };
    h.convert_for_args(argv[2..].iter().map(|a| &a[..]), l);
    let mut created = 0;
    for pair in argv[2..].chunks_exact(2) {
        if !h.set(&pair[0], &pair[1], l) {
            created += 1;
        }
    }
    srv.dirty += ((argv.len() - 2) / 2) as u64;
    touched(srv, c, &argv[1], "hset", new_key);
    if ok {
        c.reply.ok();
    } else {
        c.reply.int(created);
    }
}

/// HSETNX key field value
fn hsetnx(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let (now, l) = (srv.now_ms, limits(srv));
    let Some((h, new_key)) = hash_for_write(&mut srv.dbs[c.db], c, &argv[1], now) else {
        return;
    };
    if h.contains(&argv[2]) {
        c.reply.int(0);
        return;
    }
    h.convert_for_args([&argv[2][..], &argv[3][..]], l);
    h.set(&argv[2], &argv[3], l);
    srv.dirty += 1;
    touched(srv, c, &argv[1], "hset", new_key);
    c.reply.int(1);
}

/// HDEL key field [field ...]
fn hdel(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    let h = match db.lookup(&argv[1], now) {
        None => {
            c.reply.int(0);
            return;
        }
        Some(o) => match &mut o.v {
            Value::Hash(h) => h,
            _ => {
                c.reply.err_code(WRONGTYPE);
                return;
            }
        },
    };
    let mut deleted = 0;
    let mut emptied = false;
    for f in &argv[2..] {
        if h.delete(f) {
            deleted += 1;
            if h.is_empty() {
                emptied = true;
                break;
            }
        }
    }
    if emptied {
        db.delete(&argv[1]);
    }
    srv.dirty += deleted as u64;
    if deleted > 0 {
        touched(srv, c, &argv[1], "hdel", false);
        if emptied {
            srv.notify(c, notify::GENERIC, "del", &argv[1], c.db);
        }
    }
    c.reply.int(deleted);
}

/// HINCRBY key field increment
fn hincrby(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(incr) = num::parse_i64(&argv[3]) else {
        c.reply.err(NOT_INTEGER);
        return;
    };
    let (now, l) = (srv.now_ms, limits(srv));
    let Some((h, new_key)) = hash_for_write(&mut srv.dbs[c.db], c, &argv[1], now) else {
        return;
    };
    let old = match h.get(&argv[2]) {
        None => 0,
        Some(v) => match v.to_i64() {
            Some(n) => n,
            None => {
                c.reply.err("hash value is not an integer");
                return;
            }
        },
    };
    let Some(new) = old.checked_add(incr) else {
        c.reply.err("increment or decrement would overflow");
        return;
    };
    h.set(&argv[2], &num::i64_to_bytes(new), l);
    srv.dirty += 1;
    touched(srv, c, &argv[1], "hincrby", new_key);
    c.reply.int(new);
}

/// HINCRBYFLOAT key field increment: long double arithmetic, the result
/// stored as text (Redis's human format) and answered as a bulk string.
fn hincrbyfloat(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    match num::ld_add(b"0", &argv[3]) {
        Ok(_) => {}
        Err(LdError::NanOrInf) => {
            c.reply.err("value is NaN or Infinity");
            return;
        }
        Err(_) => {
            c.reply.err(NOT_FLOAT);
            return;
        }
    }
    let (now, l) = (srv.now_ms, limits(srv));
    let Some((h, new_key)) = hash_for_write(&mut srv.dbs[c.db], c, &argv[1], now) else {
        return;
    };
    let sum = match h.get(&argv[2]) {
        None => num::ld_add(b"0", &argv[3]),
        Some(v) => num::ld_add(&v.to_vec(), &argv[3]),
    };
    let sum = match sum {
        Ok(s) => s,
        Err(LdError::NanOrInf) => {
            c.reply.err("increment would produce NaN or Infinity");
            return;
        }
        Err(_) => {
            c.reply.err("hash value is not a float");
            return;
        }
    };
    h.set(&argv[2], &sum, l);
    srv.dirty += 1;
    touched(srv, c, &argv[1], "hincrbyfloat", new_key);
    // Replayed exactly, whatever the float formatting: HSET with the result.
    let mut prop = argv.to_vec();
    prop[0] = Bytes::from_static(b"HSET");
    prop[3] = Bytes::copy_from_slice(&sum);
    srv.prop.rewrite(prop);
    c.reply.bulk(&sum);
}

// ---------------------------------------------------------------------------
// Reads

/// HGET key field
fn hget(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let Some(h) = read_or_reply(&mut srv.dbs[c.db], c, &argv[1], now, |c| c.reply.null()) else {
        return;
    };
    match h.get(&argv[2]) {
        Some(v) => reply_lp(c, v),
        None => c.reply.null(),
    }
}

/// HMGET key field [field ...]: a missing key is an empty hash.
fn hmget(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let h = match hash_for_read(&mut srv.dbs[c.db], &argv[1], now) {
        Read::WrongType => {
            c.reply.err_code(WRONGTYPE);
            return;
        }
        Read::Missing => None,
        Read::Found(h) => Some(h),
    };
    c.reply.array_len(argv.len() - 2);
    for f in &argv[2..] {
        match h.and_then(|h| h.get(f)) {
            Some(v) => reply_lp(c, v),
            None => c.reply.null(),
        }
    }
}

/// HLEN key
fn hlen(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    if let Some(h) = read_or_reply(&mut srv.dbs[c.db], c, &argv[1], now, |c| c.reply.int(0)) {
        c.reply.int(h.len() as i64);
    }
}

/// HSTRLEN key field
fn hstrlen(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    if let Some(h) = read_or_reply(&mut srv.dbs[c.db], c, &argv[1], now, |c| c.reply.int(0)) {
        c.reply.int(h.value_len(&argv[2]) as i64);
    }
}

/// HEXISTS key field
fn hexists(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    if let Some(h) = read_or_reply(&mut srv.dbs[c.db], c, &argv[1], now, |c| c.reply.int(0)) {
        c.reply.int(h.contains(&argv[2]) as i64);
    }
}

/// What HKEYS / HVALS / HGETALL return.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Keys,
    Values,
    Both,
}

fn getall_generic(srv: &mut Server, c: &mut Client, key: &[u8], part: Part) {
    let now = srv.now_ms;
    let empty = |c: &mut Client| {
        if part == Part::Both {
            c.reply.map_len(0)
        } else {
            c.reply.array_len(0)
        }
    };
    let Some(h) = read_or_reply(&mut srv.dbs[c.db], c, key, now, empty) else {
        return;
    };
    if part == Part::Both {
        c.reply.map_len(h.len());
    } else {
        c.reply.array_len(h.len());
    }
    for (f, v) in h.iter() {
        if part != Part::Values {
            reply_lp(c, f);
        }
        if part != Part::Keys {
            reply_lp(c, v);
        }
    }
}

fn hkeys(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    getall_generic(srv, c, &argv[1], Part::Keys);
}

fn hvals(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    getall_generic(srv, c, &argv[1], Part::Values);
}

fn hgetall(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    getall_generic(srv, c, &argv[1], Part::Both);
}

// ---------------------------------------------------------------------------
// HRANDFIELD

/// HRANDFIELD key [count [WITHVALUES]]
fn hrandfield(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    if argv.len() < 3 {
        let Some(h) = read_or_reply(&mut srv.dbs[c.db], c, &argv[1], now, |c| c.reply.null())
        else {
            return;
        };
        match h.random_pair() {
            Some((f, _)) => reply_lp(c, f),
            None => c.reply.null(),
        }
        return;
    }
    let Some((l, withvalues)) = super::arg_random_count(c, argv, "withvalues") else {
        return;
    };
    let Some(h) = read_or_reply(&mut srv.dbs[c.db], c, &argv[1], now, |c| {
        c.reply.array_len(0)
    }) else {
        return;
    };
    let count = l.unsigned_abs() as usize;
    if count == 0 {
        c.reply.array_len(0);
        return;
    }
    let resp3 = c.reply.resp > 2;
    let emit = |c: &mut Client, pairs: Vec<_>| {
        for (f, v) in pairs {
            if withvalues && resp3 {
                c.reply.array_len(2);
            }
            reply_lp(c, f);
            if withvalues {
                reply_lp(c, v);
            }
        }
    };
    let n = if l < 0 || count == 1 {
        count
    } else {
        count.min(h.len())
    };
    if withvalues && !resp3 {
        c.reply.array_len(n * 2);
    } else {
        c.reply.array_len(n);
    }
    if l < 0 || count == 1 {
        // In batches, stopping once the client is past its output buffer
        // limit (a huge count would otherwise build a huge list first).
        let mut left = count;
        while left > 0 && !c.reply.overflow {
            let batch = left.min(1000);
            emit(c, h.random_pairs(batch));
            left -= batch;
        }
    } else {
        emit(c, h.random_distinct(count));
    }
}

// ---------------------------------------------------------------------------
// HSCAN

/// HSCAN key cursor [MATCH pattern] [COUNT count]. A listpack comes back
/// whole with cursor 0; a table is walked with the dict's SCAN cursor.
fn hscan(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(mut cursor) = super::keys::parse_scan_cursor(&argv[2]) else {
        c.reply.err("invalid cursor");
        return;
    };
    let now = srv.now_ms;
    let empty = |c: &mut Client| {
        c.reply.array_len(2);
        c.reply.bulk(b"0");
        c.reply.array_len(0);
    };
    let Some(h) = read_or_reply(&mut srv.dbs[c.db], c, &argv[1], now, empty) else {
        return;
    };
    let Some((count, pattern)) = super::keys::parse_scan_opts(c, argv, 3) else {
        return;
    };

    // Copies, as Redis's scan callback makes: a table's scan callback
    // cannot lend its entries out.
    let mut found: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    match h {
        Hash::Listpack(_) => {
            found.extend(h.iter().map(|(f, v)| (f.to_vec(), v.to_vec())));
            cursor = 0;
        }
        Hash::Table(d) => {
            // Fields and values both count against COUNT, as in Redis.
            let count = count.saturating_mul(2);
            let mut budget = count.saturating_mul(10);
            loop {
                cursor = d.scan(cursor, |k, v| found.push((k.to_vec(), v.to_vec())));
                if cursor == 0 || budget == 0 || (found.len() as i64) * 2 >= count {
                    break;
                }
                budget -= 1;
            }
        }
    }
    if let Some(p) = pattern {
        found.retain(|(f, _)| glob_match(p, f, false));
    }
    c.reply.array_len(2);
    c.reply.bulk_i64(cursor as i64);
    c.reply.array_len(found.len() * 2);
    for (f, v) in found {
        c.reply.bulk(&f);
        c.reply.bulk(&v);
    }
}
