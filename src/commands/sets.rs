//! Set commands (Redis 7.0's t_set.c): SADD, SREM, SCARD, SISMEMBER,
//! SMISMEMBER, SMEMBERS, SRANDMEMBER, SPOP, SMOVE, the SINTER/SUNION/SDIFF
//! families (plain, STORE, SINTERCARD) and SSCAN.
//!
//! The representation and its intset/hashtable conversion rules live in
//! `types::set`; this file keeps Redis's order of checks, replies and
//! `dirty` accounting. Computed results (SUNION, SDIFF, the STORE forms, SPOP
//! of the whole set) are built as Redis builds them, a fresh intset that
//! converts as members arrive, so their encoding and, for intsets, their
//! ascending reply order match Redis. Set replies are RESP3 sets (`~`);
//! SRANDMEMBER with a count and SMISMEMBER answer arrays, as Redis does.

use std::collections::HashSet;

use bytes::Bytes;
use rand::RngExt;

use super::{Handler, NOT_INTEGER, SYNTAX_ERR, WRONGTYPE, is};
use crate::db::Db;
use crate::net::Client;
use crate::notify;
use crate::server::Server;
use crate::types::set::{INTSET_ENTRIES_CAP, Member, Set};
use crate::types::{Obj, Value};
use crate::util::glob::glob_match;
use crate::util::num::parse_i64;

pub const COMMANDS: &[(&str, Handler)] = &[
    ("sadd", sadd),
    ("srem", srem),
    ("scard", scard),
    ("sismember", sismember),
    ("smismember", smismember),
    ("smembers", sinter),
    ("srandmember", srandmember),
    ("spop", spop),
    ("smove", smove),
    ("sinter", sinter),
    ("sintercard", sintercard),
    ("sinterstore", sinterstore),
    ("sunion", sunion),
    ("sunionstore", sunionstore),
    ("sdiff", sdiff),
    ("sdiffstore", sdiffstore),
    ("sscan", sscan),
];

const MUST_BE_POSITIVE: &str = "value is out of range, must be positive";

// ---------------------------------------------------------------------------
// Shared pieces

/// `set-max-intset-entries`, read at command time so CONFIG SET applies.
fn max_intset(srv: &Server) -> usize {
    srv.cfg
        .get("set-max-intset-entries")
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(512, |n| n.min(INTSET_ENTRIES_CAP as u64) as usize)
}

fn reply_member(c: &mut Client, m: Member<'_>) {
    match m {
        Member::Int(n) => c.reply.bulk_i64(n),
        Member::Bytes(b) => c.reply.bulk(b),
    }
}

/// Reply with every member of `s` as a set.
fn reply_set(c: &mut Client, s: &Set) {
    c.reply.set_len(s.len());
    for m in s.iter() {
        reply_member(c, m);
    }
}

/// The set at `key` for writing (lazy expiry, access stamp). `Ok(None)` when
/// missing; `Err` after replying WRONGTYPE.
fn write_set<'a>(
    db: &'a mut Db,
    c: &mut Client,
    key: &[u8],
    now: i64,
) -> Result<Option<&'a mut Set>, ()> {
    match db.lookup(key, now) {
        None => Ok(None),
        Some(Obj {
            v: Value::Set(s), ..
        }) => Ok(Some(s)),
        Some(_) => {
            c.reply.err_code(WRONGTYPE);
            Err(())
        }
    }
}

/// The set at `key` for reading (also counts keyspace hits and misses).
fn read_set<'a>(
    db: &'a mut Db,
    c: &mut Client,
    key: &[u8],
    now: i64,
) -> Result<Option<&'a Set>, ()> {
    match db.lookup_read(key, now) {
        None => Ok(None),
        Some(Obj {
            v: Value::Set(s), ..
        }) => Ok(Some(s)),
        Some(_) => {
            c.reply.err_code(WRONGTYPE);
            Err(())
        }
    }
}

/// The set at a key known to hold one.
fn set_mut<'a>(db: &'a mut Db, key: &[u8]) -> &'a mut Set {
    match db.get_mut(key) {
        Some(Obj {
            v: Value::Set(s), ..
        }) => s,
        _ => unreachable!("key holds a set"),
    }
}

/// Look every key up as Redis's lookupKeyRead does (lazy expiry, stats),
/// stopping at the first one of another type (WRONGTYPE replied, None);
/// then borrow them all. A missing key is `None` in the list.
fn read_sets<'a>(
    db: &'a mut Db,
    c: &mut Client,
    keys: &[Bytes],
    now: i64,
) -> Option<Vec<Option<&'a Set>>> {
    for k in keys {
        if read_set(db, c, k, now).is_err() {
            return None;
        }
    }
    let db: &'a Db = db;
    Some(
        keys.iter()
            .map(|k| match db.keys.get(&k[..]) {
                Some(Obj {
                    v: Value::Set(s), ..
                }) => Some(&**s),
                _ => None,
            })
            .collect(),
    )
}

/// Store a computed result at `dst` (setKey: replaces any value and TTL) or,
/// when it is empty, delete `dst`; reply with its size. Redis's tail of the
/// STORE commands, dirty accounting included.
fn store_result(srv: &mut Server, c: &mut Client, dst: &[u8], result: Set, event: &str) {
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    let n = result.len();
    c.reply.int(n as i64);
    if n > 0 {
        let created = db.set(dst, Value::Set(Box::new(result)), false, now);
        srv.dirty += 1;
        touched(srv, c, dst, event, created);
    } else if db.delete(dst) {
        srv.dirty += 1;
        srv.signal_modified_key(c.db, dst);
        srv.notify(c, notify::GENERIC, "del", dst, c.db);
    }
}

/// After a write to the set at `key`: WATCH invalidation, then the `new`
/// (key created) and `event` notifications, in Redis's order.
fn touched(srv: &mut Server, c: &mut Client, key: &[u8], event: &str, created: bool) {
    srv.signal_modified_key(c.db, key);
    if created {
        srv.notify(c, notify::NEW, "new", key, c.db);
    }
    srv.notify(c, notify::SET, event, key, c.db);
}

// ---------------------------------------------------------------------------
// SADD, SREM, SMOVE

/// SADD key member [member ...]
fn sadd(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let max = max_intset(srv);
    let db = &mut srv.dbs[c.db];
    let key = &argv[1][..];
    let created = match write_set(db, c, key, now) {
        Err(()) => return,
        Ok(Some(_)) => false,
        Ok(None) => db.set(
            key,
            Value::Set(Box::new(Set::for_member(&argv[2]))),
            false,
            now,
        ),
    };
    let s = set_mut(db, key);
    let added = argv[2..].iter().filter(|m| s.add(m, max)).count();
    srv.dirty += added as u64;
    if added > 0 {
        touched(srv, c, key, "sadd", created);
    }
    c.reply.int(added as i64);
}

/// SREM key member [member ...]: the key goes when its last member does.
fn srem(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    let key = &argv[1][..];
    let s = match write_set(db, c, key, now) {
        Err(()) => return,
        Ok(None) => return c.reply.int(0),
        Ok(Some(s)) => s,
    };
    let mut deleted = 0;
    let mut emptied = false;
    for m in &argv[2..] {
        if s.remove(m) {
            deleted += 1;
            if s.is_empty() {
                emptied = true;
                break;
            }
        }
    }
    if emptied {
        db.delete(key);
    }
    srv.dirty += deleted;
    if deleted > 0 {
        touched(srv, c, key, "srem", false);
        if emptied {
            srv.notify(c, notify::GENERIC, "del", key, c.db);
        }
    }
    c.reply.int(deleted as i64);
}

/// SMOVE source destination member
fn smove(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let max = max_intset(srv);
    let db = &mut srv.dbs[c.db];
    let (src, dst, ele) = (&argv[1][..], &argv[2][..], &argv[3][..]);
    let is_set = |o: &mut Obj| matches!(o.v, Value::Set(_));
    let src_kind = db.lookup(src, now).map(is_set);
    let dst_kind = db.lookup(dst, now).map(is_set);
    let Some(src_is_set) = src_kind else {
        return c.reply.int(0);
    };
    if !src_is_set || dst_kind == Some(false) {
        return c.reply.err_code(WRONGTYPE);
    }
    if src == dst {
        let present = set_mut(db, src).contains(ele);
        return c.reply.int(present as i64);
    }
    let s = set_mut(db, src);
    if !s.remove(ele) {
        return c.reply.int(0);
    }
    let src_emptied = s.is_empty();
    if src_emptied {
        db.delete(src);
    }
    touched(srv, c, src, "srem", false);
    if src_emptied {
        srv.notify(c, notify::GENERIC, "del", src, c.db);
    }
    let db = &mut srv.dbs[c.db];
    let created =
        dst_kind.is_none() && db.set(dst, Value::Set(Box::new(Set::for_member(ele))), false, now);
    srv.dirty += 1;
    if set_mut(&mut srv.dbs[c.db], dst).add(ele, max) {
        srv.dirty += 1;
        touched(srv, c, dst, "sadd", created);
    }
    c.reply.int(1);
}

// ---------------------------------------------------------------------------
// SCARD, SISMEMBER, SMISMEMBER

fn scard(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    match read_set(&mut srv.dbs[c.db], c, &argv[1], now) {
        Err(()) => {}
        Ok(s) => c.reply.int(s.map_or(0, |s| s.len()) as i64),
    }
}

fn sismember(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    match read_set(&mut srv.dbs[c.db], c, &argv[1], now) {
        Err(()) => {}
        Ok(s) => c.reply.int(s.is_some_and(|s| s.contains(&argv[2])) as i64),
    }
}

/// SMISMEMBER key member [member ...]: a missing key is an empty set.
fn smismember(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let Ok(s) = read_set(&mut srv.dbs[c.db], c, &argv[1], now) else {
        return;
    };
    c.reply.array_len(argv.len() - 2);
    for m in &argv[2..] {
        c.reply.int(s.is_some_and(|s| s.contains(m)) as i64);
    }
}

// ---------------------------------------------------------------------------
// SPOP, SRANDMEMBER

/// SPOP key [count]
fn spop(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if argv.len() == 3 {
        return spop_count(srv, c, argv);
    }
    if argv.len() > 3 {
        return c.reply.err(SYNTAX_ERR);
    }
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    let key = &argv[1][..];
    let s = match write_set(db, c, key, now) {
        Err(()) => return,
        Ok(None) => return c.reply.null(),
        Ok(Some(s)) => s,
    };
    let m = s.pop_random().expect("sets are never empty");
    let emptied = s.is_empty();
    if emptied {
        db.delete(key);
    }
    // Propagated as the SREM of what was popped.
    srv.prop.rewrite(vec![
        Bytes::from_static(b"SREM"),
        argv[1].clone(),
        Bytes::copy_from_slice(&m),
    ]);
    srv.dirty += 1;
    touched(srv, c, key, "spop", false);
    if emptied {
        srv.notify(c, notify::GENERIC, "del", key, c.db);
    }
    c.reply.bulk(&m);
}

/// SPOP key count. As Redis: the whole set when count reaches its size;
/// otherwise pop one by one, or, when few members would remain, pick the
/// ones that remain into a new set and answer with the rest.
fn spop_count(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(count) = parse_i64(&argv[2]).filter(|&n| n >= 0) else {
        return c.reply.err(MUST_BE_POSITIVE);
    };
    let count = count as u64;
    let now = srv.now_ms;
    let max = max_intset(srv);
    let db = &mut srv.dbs[c.db];
    let key = &argv[1][..];
    let s = match write_set(db, c, key, now) {
        Err(()) => return,
        Ok(None) => return c.reply.set_len(0),
        Ok(Some(s)) => s,
    };
    if count == 0 {
        return c.reply.set_len(0);
    }
    let size = s.len() as u64;
    srv.dirty += count.min(size);
    // As Redis: the `spop` event comes before the reply and any `del`.
    touched(srv, c, key, "spop", false);
    let db = &mut srv.dbs[c.db];
    let s = set_mut(db, key);

    if count >= size {
        // Redis answers through SUNION of the key, then deletes it.
        let mut all = Set::new();
        for m in s.iter() {
            all.add_member(m, max);
        }
        reply_set(c, &all);
        db.delete(key);
        srv.notify(c, notify::GENERIC, "del", key, c.db);
        srv.prop
            .rewrite(vec![Bytes::from_static(b"DEL"), argv[1].clone()]);
        return;
    }

    // Propagated as one SREM per member popped.
    srv.prop.prevent();
    let srem = |m: &[u8]| {
        vec![
            Bytes::from_static(b"SREM"),
            argv[1].clone(),
            Bytes::copy_from_slice(m),
        ]
    };
    c.reply.set_len(count as usize);
    let remaining = size - count;
    if remaining * 5 > count {
        for _ in 0..count {
            let m = s.pop_random().expect("count < size");
            c.reply.bulk(&m);
            srv.prop.also(c.db, srem(&m));
        }
    } else {
        let mut kept: Option<Set> = None;
        for _ in 0..remaining {
            let m = s.random().expect("non-empty").to_vec();
            kept.get_or_insert_with(|| Set::for_member(&m)).add(&m, max);
            s.remove(&m);
        }
        for m in s.iter() {
            reply_member(c, m);
            srv.prop.also(c.db, srem(&m.to_vec()));
        }
        if let Some(Obj { v, .. }) = db.get_mut(key) {
            *v = Value::Set(Box::new(kept.expect("remaining > 0")));
        }
    }
}

/// SRANDMEMBER key [count]
fn srandmember(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if argv.len() == 3 {
        return srandmember_count(srv, c, argv);
    }
    if argv.len() > 3 {
        return c.reply.err(SYNTAX_ERR);
    }
    let now = srv.now_ms;
    match read_set(&mut srv.dbs[c.db], c, &argv[1], now) {
        Err(()) => {}
        Ok(None) => c.reply.null(),
        Ok(Some(s)) => reply_member(c, s.random().expect("sets are never empty")),
    }
}

/// SRANDMEMBER key count: a negative count may repeat members; a positive
/// one gives distinct members (the whole set when it is that small).
fn srandmember_count(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(l) = parse_i64(&argv[2]) else {
        return c.reply.err(NOT_INTEGER);
    };
    if l == i64::MIN {
        return c.reply.err(&format!(
            "value is out of range, value must between {} and {}",
            -i64::MAX,
            i64::MAX
        ));
    }
    let (count, uniq) = (l.unsigned_abs(), l >= 0);
    let now = srv.now_ms;
    let s = match read_set(&mut srv.dbs[c.db], c, &argv[1], now) {
        Err(()) => return,
        Ok(None) => return c.reply.array_len(0),
        Ok(Some(s)) => s,
    };
    if count == 0 {
        return c.reply.array_len(0);
    }
    let size = s.len() as u64;

    if !uniq || count == 1 {
        c.reply.array_len(count as usize);
        for _ in 0..count {
            reply_member(c, s.random().expect("sets are never empty"));
        }
        return;
    }
    if count >= size {
        c.reply.array_len(size as usize);
        for m in s.iter() {
            reply_member(c, m);
        }
        return;
    }
    let count = count as usize;
    let mut rng = rand::rng();
    c.reply.array_len(count);
    if count * 3 > size as usize {
        // Most of the set: drop random members until `count` are left.
        let mut all: Vec<Member<'_>> = s.iter().collect();
        while all.len() > count {
            all.swap_remove(rng.random_range(0..all.len()));
        }
        for m in all {
            reply_member(c, m);
        }
    } else {
        let mut picked: HashSet<Member<'_>> = HashSet::with_capacity(count);
        let mut order = Vec::with_capacity(count);
        while order.len() < count {
            let m = s.random().expect("non-empty");
            if picked.insert(m) {
                order.push(m);
            }
        }
        for m in order {
            reply_member(c, m);
        }
    }
}

// ---------------------------------------------------------------------------
// SINTER, SINTERCARD, SINTERSTORE, SMEMBERS

/// What the intersection is for.
enum InterOut<'a> {
    Reply,
    Card(u64),
    Store(&'a [u8]),
}

/// SINTER key [key ...] (also SMEMBERS key)
fn sinter(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    sinter_generic(srv, c, &argv[1..], InterOut::Reply);
}

/// SINTERSTORE destination key [key ...]
fn sinterstore(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    sinter_generic(srv, c, &argv[2..], InterOut::Store(&argv[1]));
}

/// SINTERCARD numkeys key [key ...] [LIMIT limit]
fn sintercard(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(numkeys) = parse_i64(&argv[1]).filter(|&n| n >= 1) else {
        return c.reply.err("numkeys should be greater than 0");
    };
    if numkeys > argv.len() as i64 - 2 {
        return c
            .reply
            .err("Number of keys can't be greater than number of args");
    }
    let end = 2 + numkeys as usize;
    let mut limit = 0u64;
    let mut i = end;
    while i < argv.len() {
        if is(&argv[i], "limit") && i + 1 < argv.len() {
            i += 1;
            match parse_i64(&argv[i]).filter(|&n| n >= 0) {
                Some(n) => limit = n as u64,
                None => return c.reply.err("LIMIT can't be negative"),
            }
        } else {
            return c.reply.err(SYNTAX_ERR);
        }
        i += 1;
    }
    sinter_generic(srv, c, &argv[2..end], InterOut::Card(limit));
}

/// The intersection: walk the smallest set, keep members every other set
/// has. A missing key makes the result empty at once.
fn sinter_generic(srv: &mut Server, c: &mut Client, keys: &[Bytes], out: InterOut<'_>) {
    let now = srv.now_ms;
    let max = max_intset(srv);
    let Some(sets) = read_sets(&mut srv.dbs[c.db], c, keys, now) else {
        return;
    };
    let sets: Option<Vec<&Set>> = sets.into_iter().collect();
    let Some(mut sets) = sets else {
        match out {
            InterOut::Reply => c.reply.set_len(0),
            InterOut::Card(_) => c.reply.int(0),
            InterOut::Store(dst) => store_result(srv, c, dst, Set::new(), "sinterstore"),
        }
        return;
    };
    // Stable, as glibc's qsort (a merge sort) in practice.
    sets.sort_by_key(|s| s.len());
    let first = sets[0];
    let in_all = |m: Member<'_>| {
        sets[1..]
            .iter()
            .all(|s| std::ptr::eq(*s, first) || s.contains_member(m))
    };
    match out {
        InterOut::Reply => {
            let at = c.reply.begin_deferred();
            let mut n = 0;
            for m in first.iter().filter(|&m| in_all(m)) {
                reply_member(c, m);
                n += 1;
            }
            c.reply.end_deferred_set(at, n);
        }
        InterOut::Card(limit) => {
            let mut n = 0u64;
            for _ in first.iter().filter(|&m| in_all(m)) {
                n += 1;
                if limit != 0 && n >= limit {
                    break;
                }
            }
            c.reply.int(n as i64);
        }
        InterOut::Store(dst) => {
            let mut result = Set::new();
            for m in first.iter().filter(|&m| in_all(m)) {
                result.add_member(m, max);
            }
            store_result(srv, c, dst, result, "sinterstore");
        }
    }
}

// ---------------------------------------------------------------------------
// SUNION, SDIFF and their STORE forms

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Diff,
}

fn sunion(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    sunion_diff(srv, c, &argv[1..], None, SetOp::Union);
}

fn sunionstore(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    sunion_diff(srv, c, &argv[2..], Some(&argv[1]), SetOp::Union);
}

fn sdiff(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    sunion_diff(srv, c, &argv[1..], None, SetOp::Diff);
}

fn sdiffstore(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    sunion_diff(srv, c, &argv[2..], Some(&argv[1]), SetOp::Diff);
}

/// Union or difference into a fresh set (intset first, converting as Redis's
/// does), then reply with it or store it. SDIFF picks Redis's algorithm by
/// the same estimate, since the two can leave the result in different
/// encodings.
fn sunion_diff(srv: &mut Server, c: &mut Client, keys: &[Bytes], dst: Option<&[u8]>, op: SetOp) {
    let now = srv.now_ms;
    let max = max_intset(srv);
    let Some(sets) = read_sets(&mut srv.dbs[c.db], c, keys, now) else {
        return;
    };
    let mut result = Set::new();
    match op {
        SetOp::Union => {
            for s in sets.iter().flatten() {
                for m in s.iter() {
                    result.add_member(m, max);
                }
            }
        }
        SetOp::Diff => {
            if let Some(first) = sets[0] {
                let others: Vec<&Set> = sets[1..].iter().flatten().copied().collect();
                let same = others.iter().any(|s| std::ptr::eq(*s, first));
                if !same {
                    let work_one = (first.len() * (others.len() + 1)) / 2;
                    let work_two = first.len() + others.iter().map(|s| s.len()).sum::<usize>();
                    if work_one <= work_two {
                        for m in first.iter() {
                            if !others.iter().any(|s| s.contains_member(m)) {
                                result.add_member(m, max);
                            }
                        }
                    } else {
                        for m in first.iter() {
                            result.add_member(m, max);
                        }
                        for s in &others {
                            for m in s.iter() {
                                result.remove_member(m);
                            }
                            if result.is_empty() {
                                break;
                            }
                        }
                    }
                }
            }
        }
    }
    match dst {
        None => reply_set(c, &result),
        Some(dst) => {
            let event = match op {
                SetOp::Union => "sunionstore",
                SetOp::Diff => "sdiffstore",
            };
            store_result(srv, c, dst, result, event)
        }
    }
}

// ---------------------------------------------------------------------------
// SSCAN

/// SSCAN key cursor [MATCH pattern] [COUNT count]. An intset answers whole,
/// with cursor 0, as Redis.
fn sscan(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(mut cursor) = super::keys::parse_scan_cursor(&argv[2]) else {
        return c.reply.err("invalid cursor");
    };
    let now = srv.now_ms;
    let s = match read_set(&mut srv.dbs[c.db], c, &argv[1], now) {
        Err(()) => return,
        Ok(None) => {
            c.reply.array_len(2);
            c.reply.bulk(b"0");
            return c.reply.array_len(0);
        }
        Ok(Some(s)) => s,
    };
    let Some((count, pattern)) = super::keys::parse_scan_opts(c, argv, 3) else {
        return;
    };

    let mut found: Vec<Vec<u8>> = Vec::new();
    match s {
        Set::Intset(ints) => {
            found.extend(ints.iter().map(|n| Member::Int(n).to_vec()));
            cursor = 0;
        }
        Set::Table(d) => {
            let mut budget = count.saturating_mul(10);
            loop {
                cursor = d.scan(cursor, |k, _| found.push(k.as_bytes().to_vec()));
                if cursor == 0 || budget == 0 || found.len() as i64 >= count {
                    break;
                }
                budget -= 1;
            }
        }
    }
    c.reply.array_len(2);
    c.reply.bulk_i64(cursor as i64);
    let at = c.reply.begin_deferred();
    let mut n = 0;
    for m in &found {
        if pattern.is_none_or(|p| glob_match(p, m, false)) {
            c.reply.bulk(m);
            n += 1;
        }
    }
    c.reply.end_deferred_array(at, n);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_table_names_are_lowercase_and_unique() {
        let mut seen = HashSet::new();
        for (name, _) in COMMANDS {
            assert_eq!(*name, name.to_ascii_lowercase());
            assert!(seen.insert(*name), "{name}");
        }
    }
}
