//! Sorted-set commands (Redis 7.0's `t_zset.c`): ZADD and ZINCRBY, reads
//! (ZSCORE, ZRANK, ZCOUNT, the ZRANGE family), removals (ZREM,
//! ZREMRANGEBY*), pops (ZPOPMIN/MAX, ZMPOP), ZRANDMEMBER, the set algebra
//! (ZUNION/ZINTER/ZDIFF[STORE], ZINTERCARD) and ZSCAN, with Redis's exact
//! replies and errors in RESP2 and RESP3.
//!
//! The representation (listpack or skip list + dict, and the conversions at
//! the `zset-max-listpack-*` thresholds, read from the config at each
//! write) lives in `types/zset.rs`; every range here is a half-open
//! interval of ranks computed there. `srv.dirty` grows as in Redis: ZADD by
//! members added or updated, ZREM/ZREMRANGEBY*/pops by members removed,
//! stores by one (or one for deleting an emptied destination). Writes
//! invalidate WATCH and publish Redis's keyspace events (`zadd`, `zincr`,
//! `zrem`, `zremrangeby*`, `zpopmin`/`zpopmax`, `z*store`, `new`, `del`).
//! The set algebra also takes plain sets as inputs (every member scores 1).
//!
//! In RESP3, WITHSCORES replies are arrays of [member, score] pairs and
//! scores are doubles; in RESP2 a flat array with scores as bulk strings.
//!
//! The blocking pops (BZPOPMIN, BZPOPMAX, BZMPOP) pop as their non-blocking
//! forms when a sorted set is there, else wait through `blocking.rs`, which
//! runs the same handler again when one of their keys gets a sorted set.
//! On timeout, and inside MULTI, they answer a null array.

use bytes::Bytes;

use super::{Handler, NOT_FLOAT, SYNTAX_ERR, WRONGTYPE, is};
use crate::blocking;
use crate::db::Db;
use crate::net::Client;
use crate::notify;
use crate::server::Server;
use crate::types::Value;
use crate::types::zset::{LexBound, LexRange, Limits, ScoreRange, ZSet, d2string};
use crate::util::glob::glob_match;
use crate::util::num;

pub const COMMANDS: &[(&str, Handler)] = &[
    ("zadd", zadd),
    ("zincrby", zincrby),
    ("zrem", zrem),
    ("zcard", zcard),
    ("zscore", zscore),
    ("zmscore", zmscore),
    ("zrank", zrank),
    ("zrevrank", zrevrank),
    ("zcount", zcount),
    ("zlexcount", zlexcount),
    ("zrange", zrange),
    ("zrangestore", zrangestore),
    ("zrangebyscore", zrangebyscore),
    ("zrevrangebyscore", zrevrangebyscore),
    ("zrangebylex", zrangebylex),
    ("zrevrangebylex", zrevrangebylex),
    ("zrevrange", zrevrange),
    ("zremrangebyrank", zremrangebyrank),
    ("zremrangebyscore", zremrangebyscore),
    ("zremrangebylex", zremrangebylex),
    ("zpopmin", zpopmin),
    ("zpopmax", zpopmax),
    ("zmpop", zmpop),
    ("bzpopmin", bzpopmin),
    ("bzpopmax", bzpopmax),
    ("bzmpop", bzmpop),
    ("zrandmember", zrandmember),
    ("zunion", zunion),
    ("zinter", zinter),
    ("zdiff", zdiff),
    ("zunionstore", zunionstore),
    ("zinterstore", zinterstore),
    ("zdiffstore", zdiffstore),
    ("zintercard", zintercard),
    ("zscan", zscan),
];

/// Copied (member, score) pairs.
type Elems = Vec<(Vec<u8>, f64)>;

const NAN_ERR: &str = "resulting score is not a number (NaN)";
const SCORE_RANGE_ERR: &str = "min or max is not a float";
const LEX_RANGE_ERR: &str = "min or max not valid string range item";

// ---------------------------------------------------------------------------
// Shared pieces

pub(super) fn limits(srv: &Server) -> Limits {
    Limits {
        max_entries: srv.cfg.zset_max_listpack_entries,
        max_value: srv.cfg.zset_max_listpack_value,
    }
}

/// Outcome of a lookup.
pub(super) enum Found<'a> {
    Missing,
    WrongType,
    Z(&'a mut ZSet),
}

pub(super) fn lookup_read<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Found<'a> {
    match db.lookup_read(key, now) {
        None => Found::Missing,
        Some(o) => match &mut o.v {
            Value::ZSet(z) => Found::Z(z),
            _ => Found::WrongType,
        },
    }
}

fn lookup_write<'a>(db: &'a mut Db, key: &[u8], now: i64) -> Found<'a> {
    match db.lookup(key, now) {
        None => Found::Missing,
        Some(o) => match &mut o.v {
            Value::ZSet(z) => Found::Z(z),
            _ => Found::WrongType,
        },
    }
}

/// A sorted set to read; on a missing key run `missing`, on another type
/// answer WRONGTYPE; either way `None`.
fn read_or_reply<'a>(
    db: &'a mut Db,
    c: &mut Client,
    key: &[u8],
    now: i64,
    missing: impl FnOnce(&mut Client),
) -> Option<&'a ZSet> {
    match lookup_read(db, key, now) {
        Found::Z(z) => Some(z),
        Found::Missing => {
            missing(c);
            None
        }
        Found::WrongType => {
            c.reply.err_code(WRONGTYPE);
            None
        }
    }
}

/// A sorted set to modify (not created); as `read_or_reply`.
fn write_or_reply<'a>(
    db: &'a mut Db,
    c: &mut Client,
    key: &[u8],
    now: i64,
    missing: impl FnOnce(&mut Client),
) -> Option<&'a mut ZSet> {
    match lookup_write(db, key, now) {
        Found::Z(z) => Some(z),
        Found::Missing => {
            missing(c);
            None
        }
        Found::WrongType => {
            c.reply.err_code(WRONGTYPE);
            None
        }
    }
}

/// Delete `key` when its sorted set is empty; true when it was.
fn drop_if_empty(db: &mut Db, key: &[u8]) -> bool {
    if let Some(Value::ZSet(z)) = db.keys.get(key).map(|o| &o.v)
        && z.is_empty()
    {
        return db.delete(key);
    }
    false
}

/// After a write to the sorted set at `key`: WATCH invalidation and the
/// `event` notification.
fn touched(srv: &mut Server, c: &mut Client, key: &[u8], event: &str) {
    srv.signal_modified_key(c.db, key);
    srv.notify(c, notify::ZSET, event, key, c.db);
}

/// The `del` notification for a key emptied by a removal.
fn deleted_event(srv: &mut Server, c: &mut Client, key: &[u8]) {
    srv.notify(c, notify::GENERIC, "del", key, c.db);
}

/// Store `z` at `dst` (or delete `dst` when `z` is empty), answering the
/// size, with the dirty counter and notifications of Redis's stores.
fn store_zset(srv: &mut Server, c: &mut Client, dst: &[u8], z: ZSet, event: &str) {
    let now = srv.now_ms;
    let n = z.len();
    if n == 0 {
        c.reply.int(0);
        if srv.dbs[c.db].delete(dst) {
            srv.dirty += 1;
            srv.signal_modified_key(c.db, dst);
            srv.notify(c, notify::GENERIC, "del", dst, c.db);
        }
        return;
    }
    let created = srv.dbs[c.db].set(dst, Value::ZSet(Box::new(z)), false, now);
    srv.signal_modified_key(c.db, dst);
    if created {
        srv.notify(c, notify::NEW, "new", dst, c.db);
        blocking::signal_key_ready(srv, c.db, dst);
    }
    c.reply.int(n as i64);
    srv.notify(c, notify::ZSET, event, dst, c.db);
    srv.dirty += 1;
}

/// Elements as Redis answers them: a flat array (RESP2, or no scores), or
/// [member, score] pairs in RESP3.
fn reply_elems(c: &mut Client, elems: &[(Vec<u8>, f64)], withscores: bool) {
    let resp3 = c.reply.resp > 2;
    if withscores && !resp3 {
        c.reply.array_len(elems.len() * 2);
    } else {
        c.reply.array_len(elems.len());
    }
    for (m, s) in elems {
        if withscores && resp3 {
            c.reply.array_len(2);
        }
        c.reply.bulk(m);
        if withscores {
            c.reply.double(*s);
        }
    }
}

/// C's strtod over the whole argument, as zslParseRange uses it: leading
/// spaces allowed, an empty string is 0, overflow gives ±inf; NaN refused.
fn strtod_whole(b: &[u8]) -> Option<f64> {
    let end = b.iter().position(|&x| x == 0).unwrap_or(b.len());
    let b = &b[..end];
    if b.is_empty() {
        return Some(0.0);
    }
    let t = b.trim_ascii_start();
    if t.is_empty() {
        return None;
    }
    let v = match num::parse_f64(t) {
        Some(v) => v,
        None => {
            // Out of range (ERANGE) still parses in C: to ±inf or 0.
            let s = std::str::from_utf8(t).ok()?;
            let v: f64 = s.trim_start_matches('+').parse().ok()?;
            if s.starts_with('+') && s[1..].starts_with(['+', '-']) {
                return None;
            }
            v
        }
    };
    if v.is_nan() { None } else { Some(v) }
}

fn parse_score_bound(b: &[u8]) -> Option<(f64, bool)> {
    match b.first() {
        Some(b'(') => strtod_whole(&b[1..]).map(|v| (v, true)),
        _ => strtod_whole(b).map(|v| (v, false)),
    }
}

fn parse_score_range(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
    let (min, minex) = parse_score_bound(min)?;
    let (max, maxex) = parse_score_bound(max)?;
    Some(ScoreRange {
        min,
        max,
        minex,
        maxex,
    })
}

fn parse_lex_range(min: &[u8], max: &[u8]) -> Option<LexRange> {
    Some(LexRange {
        min: LexBound::parse(min)?,
        max: LexBound::parse(max)?,
    })
}

/// Redis's getLongFromObject: a C long.
fn arg_long(c: &mut Client, b: &[u8]) -> Option<i64> {
    super::arg_i64(c, b)
}

/// Clamp a rank range (start, end, may be negative) against `len`; `None`
/// when empty. Returns `[lo, hi)`.
fn rank_span(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    Some((start as usize, end as usize + 1))
}

// ---------------------------------------------------------------------------
// ZADD / ZINCRBY

#[derive(Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

enum AddOutcome {
    Nop,
    Added(f64),
    Updated(f64),
    Same(f64),
    Nan,
}

/// zsetAdd: add or update one member under the flags.
fn zset_add(z: &mut ZSet, member: &[u8], score: f64, f: AddFlags, l: Limits) -> AddOutcome {
    match z.score(member) {
        Some(cur) => {
            if f.nx {
                return AddOutcome::Nop;
            }
            let new = if f.incr { cur + score } else { score };
            if new.is_nan() {
                return AddOutcome::Nan;
            }
            if (f.gt && new <= cur) || (f.lt && new >= cur) {
                return AddOutcome::Nop;
            }
            if new != cur {
                z.update(member, cur, new);
                AddOutcome::Updated(new)
            } else {
                AddOutcome::Same(new)
            }
        }
        None => {
            if f.xx {
                return AddOutcome::Nop;
            }
            z.insert(member, score, l);
            AddOutcome::Added(score)
        }
    }
}

pub(super) fn zadd(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    zadd_generic(srv, c, argv, false);
}

fn zincrby(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    zadd_generic(srv, c, argv, true);
}

fn zadd_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], incrby: bool) {
    let mut f = AddFlags {
        incr: incrby,
        ..Default::default()
    };
    let mut i = 2;
    while i < argv.len() {
        let a = &argv[i];
        if is(a, "nx") {
            f.nx = true;
        } else if is(a, "xx") {
            f.xx = true;
        } else if is(a, "ch") {
            f.ch = true;
        } else if is(a, "incr") {
            f.incr = true;
        } else if is(a, "gt") {
            f.gt = true;
        } else if is(a, "lt") {
            f.lt = true;
        } else {
            break;
        }
        i += 1;
    }
    let elements = argv.len() - i;
    if elements % 2 == 1 || elements == 0 {
        c.reply.err(SYNTAX_ERR);
        return;
    }
    let pairs = elements / 2;
    if f.nx && f.xx {
        c.reply
            .err("XX and NX options at the same time are not compatible");
        return;
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        c.reply
            .err("GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if f.incr && pairs > 1 {
        c.reply
            .err("INCR option supports a single increment-element pair");
        return;
    }
    let mut scores = Vec::with_capacity(pairs);
    for p in argv[i..].chunks_exact(2) {
        match num::parse_f64(&p[0]) {
            Some(s) => scores.push(s),
            None => {
                c.reply.err(NOT_FLOAT);
                return;
            }
        }
    }
    let (now, l) = (srv.now_ms, limits(srv));
    let key = &argv[1];
    let db = &mut srv.dbs[c.db];
    let mut created = false;
    match lookup_write(db, key, now) {
        Found::WrongType => {
            c.reply.err_code(WRONGTYPE);
            return;
        }
        Found::Missing => {
            if f.xx {
                if f.incr {
                    c.reply.null();
                } else {
                    c.reply.int(0);
                }
                return;
            }
            let z = if l.max_entries == 0 || l.max_value < argv[i + 1].len() {
                ZSet::new_skiplist()
            } else {
                ZSet::new_listpack()
            };
            created = db.set(key, Value::ZSet(Box::new(z)), false, now);
        }
        Found::Z(_) => {}
    }
    let Found::Z(z) = lookup_write(db, key, now) else {
        return;
    };
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0i64);
    let mut last = 0.0;
    let mut nan = false;
    for (p, &s) in argv[i..].chunks_exact(2).zip(&scores) {
        match zset_add(z, &p[1], s, f, l) {
            AddOutcome::Nop => {}
            AddOutcome::Added(v) => {
                added += 1;
                processed += 1;
                last = v;
            }
            AddOutcome::Updated(v) => {
                updated += 1;
                processed += 1;
                last = v;
            }
            AddOutcome::Same(v) => {
                processed += 1;
                last = v;
            }
            AddOutcome::Nan => {
                nan = true;
                break;
            }
        }
    }
    srv.dirty += (added + updated) as u64;
    if created {
        srv.notify(c, notify::NEW, "new", key, c.db);
        blocking::signal_key_ready(srv, c.db, key);
    }
    if nan {
        c.reply.err(NAN_ERR);
    } else if f.incr {
        if processed > 0 {
            c.reply.double(last);
        } else {
            c.reply.null();
        }
    } else {
        c.reply.int(if f.ch { added + updated } else { added });
    }
    if added + updated > 0 {
        touched(srv, c, key, if f.incr { "zincr" } else { "zadd" });
    }
    drop_if_empty(&mut srv.dbs[c.db], key);
}

// ---------------------------------------------------------------------------
// Simple reads

fn zcard(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    if let Some(z) = read_or_reply(&mut srv.dbs[c.db], c, &argv[1], now, |c| c.reply.int(0)) {
        c.reply.int(z.len() as i64);
    }
}

fn zscore(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    if let Some(z) = read_or_reply(&mut srv.dbs[c.db], c, &argv[1], now, |c| c.reply.null()) {
        match z.score(&argv[2]) {
            Some(s) => c.reply.double(s),
            None => c.reply.null(),
        }
    }
}

fn zmscore(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let z = match lookup_read(&mut srv.dbs[c.db], &argv[1], now) {
        Found::WrongType => {
            c.reply.err_code(WRONGTYPE);
            return;
        }
        Found::Missing => None,
        Found::Z(z) => Some(z),
    };
    c.reply.array_len(argv.len() - 2);
    for m in &argv[2..] {
        match z.as_ref().and_then(|z| z.score(m)) {
            Some(s) => c.reply.double(s),
            None => c.reply.null(),
        }
    }
}

fn zrank(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    rank_generic(srv, c, argv, false);
}

fn zrevrank(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    rank_generic(srv, c, argv, true);
}

fn rank_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], rev: bool) {
    let now = srv.now_ms;
    if let Some(z) = read_or_reply(&mut srv.dbs[c.db], c, &argv[1], now, |c| c.reply.null()) {
        match z.rank(&argv[2], rev) {
            Some(r) => c.reply.int(r as i64),
            None => c.reply.null(),
        }
    }
}

fn zcount(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(r) = parse_score_range(&argv[2], &argv[3]) else {
        c.reply.err(SCORE_RANGE_ERR);
        return;
    };
    let now = srv.now_ms;
    if let Some(z) = read_or_reply(&mut srv.dbs[c.db], c, &argv[1], now, |c| c.reply.int(0)) {
        let (lo, hi) = z.score_span(&r);
        c.reply.int((hi - lo) as i64);
    }
}

fn zlexcount(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(r) = parse_lex_range(&argv[2], &argv[3]) else {
        c.reply.err(LEX_RANGE_ERR);
        return;
    };
    let now = srv.now_ms;
    if let Some(z) = read_or_reply(&mut srv.dbs[c.db], c, &argv[1], now, |c| c.reply.int(0)) {
        let (lo, hi) = z.lex_span(&r);
        c.reply.int((hi - lo) as i64);
    }
}

// ---------------------------------------------------------------------------
// The ZRANGE family

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Auto,
    Forward,
    Reverse,
}

fn zrange(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    zrange_generic(srv, c, argv, 1, None, RangeType::Auto, Dir::Auto);
}

fn zrangestore(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    zrange_generic(srv, c, argv, 2, Some(&argv[1]), RangeType::Auto, Dir::Auto);
}

fn zrangebyscore(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    zrange_generic(srv, c, argv, 1, None, RangeType::Score, Dir::Forward);
}

fn zrevrangebyscore(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    zrange_generic(srv, c, argv, 1, None, RangeType::Score, Dir::Reverse);
}

fn zrangebylex(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    zrange_generic(srv, c, argv, 1, None, RangeType::Lex, Dir::Forward);
}

fn zrevrangebylex(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    zrange_generic(srv, c, argv, 1, None, RangeType::Lex, Dir::Reverse);
}

fn zrevrange(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    zrange_generic(srv, c, argv, 1, None, RangeType::Rank, Dir::Reverse);
}

/// zrangeGenericCommand: `ks` is the index of the source key; the range
/// follows it, then the options.
fn zrange_generic(
    srv: &mut Server,
    c: &mut Client,
    argv: &[Bytes],
    ks: usize,
    store: Option<&Bytes>,
    mut rtype: RangeType,
    mut dir: Dir,
) {
    let key = &argv[ks];
    let (mut minarg, mut maxarg) = (&argv[ks + 1], &argv[ks + 2]);
    let mut withscores = false;
    let (mut offset, mut limit) = (0i64, -1i64);
    let mut j = ks + 3;
    while j < argv.len() {
        let left = argv.len() - j - 1;
        let a = &argv[j];
        if store.is_none() && is(a, "withscores") {
            withscores = true;
        } else if is(a, "limit") && left >= 2 {
            let Some(o) = arg_long(c, &argv[j + 1]) else {
                return;
            };
            let Some(l) = arg_long(c, &argv[j + 2]) else {
                return;
            };
            offset = o;
            limit = l;
            j += 2;
        } else if dir == Dir::Auto && is(a, "rev") {
            dir = Dir::Reverse;
        } else if rtype == RangeType::Auto && is(a, "bylex") {
            rtype = RangeType::Lex;
        } else if rtype == RangeType::Auto && is(a, "byscore") {
            rtype = RangeType::Score;
        } else {
            c.reply.err(SYNTAX_ERR);
            return;
        }
        j += 1;
    }
    if dir == Dir::Auto {
        dir = Dir::Forward;
    }
    if rtype == RangeType::Auto {
        rtype = RangeType::Rank;
    }
    if limit != -1 && rtype == RangeType::Rank {
        c.reply.err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        );
        return;
    }
    if withscores && rtype == RangeType::Lex {
        c.reply
            .err("syntax error, WITHSCORES not supported in combination with BYLEX");
        return;
    }
    let rev = dir == Dir::Reverse;
    if rev && rtype != RangeType::Rank {
        std::mem::swap(&mut minarg, &mut maxarg);
    }
    enum Spec {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange),
    }
    let spec = match rtype {
        RangeType::Score => match parse_score_range(minarg, maxarg) {
            Some(r) => Spec::Score(r),
            None => {
                c.reply.err(SCORE_RANGE_ERR);
                return;
            }
        },
        RangeType::Lex => match parse_lex_range(minarg, maxarg) {
            Some(r) => Spec::Lex(r),
            None => {
                c.reply.err(LEX_RANGE_ERR);
                return;
            }
        },
        _ => {
            let Some(s) = arg_long(c, minarg) else {
                return;
            };
            let Some(e) = arg_long(c, maxarg) else {
                return;
            };
            Spec::Rank(s, e)
        }
    };

    let now = srv.now_ms;
    let l = limits(srv);
    let db = &mut srv.dbs[c.db];
    let (elems, rank_len) = match lookup_read(db, key, now) {
        Found::WrongType => {
            c.reply.err_code(WRONGTYPE);
            return;
        }
        Found::Missing => (Vec::new(), None),
        Found::Z(z) => match spec {
            Spec::Rank(s, e) => match rank_span(s, e, z.len()) {
                None => (Vec::new(), Some(0)),
                Some((lo, hi)) => {
                    if rev {
                        let n = z.len();
                        (z.range(n - hi, n - lo, true), Some(hi - lo))
                    } else {
                        (z.range(lo, hi, false), Some(hi - lo))
                    }
                }
            },
            Spec::Score(r) => {
                let (lo, hi) = z.score_span(&r);
                (limited(z, lo, hi, rev, offset, limit), None)
            }
            Spec::Lex(r) => {
                let (lo, hi) = z.lex_span(&r);
                (limited(z, lo, hi, rev, offset, limit), None)
            }
        },
    };
    let Some(dst) = store else {
        reply_elems(c, &elems, withscores);
        return;
    };
    let mut z = if rank_len.unwrap_or(0) > l.max_entries {
        ZSet::new_skiplist()
    } else {
        ZSet::new_listpack()
    };
    for (m, s) in &elems {
        z.insert(m, *s, l);
    }
    store_zset(srv, c, dst, z, "zrangestore");
}

/// Ranks `[lo, hi)` narrowed by LIMIT offset count (a negative offset
/// yields nothing, a negative count means all), in the asked direction.
fn limited(
    z: &ZSet,
    lo: usize,
    hi: usize,
    rev: bool,
    offset: i64,
    limit: i64,
) -> Vec<(Vec<u8>, f64)> {
    if offset < 0 || lo >= hi {
        return Vec::new();
    }
    let avail = hi - lo;
    let off = (offset as u64).min(avail as u64) as usize;
    let mut n = avail - off;
    if limit >= 0 {
        n = n.min(limit as usize);
    }
    if rev {
        z.range(hi - off - n, hi - off, true)
    } else {
        z.range(lo + off, lo + off + n, false)
    }
}

// ---------------------------------------------------------------------------
// Removals

fn zrem(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    let Some(z) = write_or_reply(db, c, &argv[1], now, |c| c.reply.int(0)) else {
        return;
    };
    let mut deleted = 0;
    for m in &argv[2..] {
        if z.remove(m) {
            deleted += 1;
            if z.is_empty() {
                break;
            }
        }
    }
    let removed = drop_if_empty(db, &argv[1]);
    if deleted > 0 {
        srv.notify(c, notify::ZSET, "zrem", &argv[1], c.db);
        if removed {
            deleted_event(srv, c, &argv[1]);
        }
        srv.signal_modified_key(c.db, &argv[1]);
    }
    srv.dirty += deleted;
    c.reply.int(deleted as i64);
}

fn zremrangebyrank(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(s) = arg_long(c, &argv[2]) else {
        return;
    };
    let Some(e) = arg_long(c, &argv[3]) else {
        return;
    };
    zremrange_generic(srv, c, argv, "zremrangebyrank", |z| {
        rank_span(s, e, z.len())
    });
}

fn zremrangebyscore(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(r) = parse_score_range(&argv[2], &argv[3]) else {
        c.reply.err(SCORE_RANGE_ERR);
        return;
    };
    zremrange_generic(srv, c, argv, "zremrangebyscore", |z| Some(z.score_span(&r)));
}

fn zremrangebylex(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(r) = parse_lex_range(&argv[2], &argv[3]) else {
        c.reply.err(LEX_RANGE_ERR);
        return;
    };
    zremrange_generic(srv, c, argv, "zremrangebylex", |z| Some(z.lex_span(&r)));
}

fn zremrange_generic(
    srv: &mut Server,
    c: &mut Client,
    argv: &[Bytes],
    event: &str,
    span: impl FnOnce(&ZSet) -> Option<(usize, usize)>,
) {
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    let Some(z) = write_or_reply(db, c, &argv[1], now, |c| c.reply.int(0)) else {
        return;
    };
    let n = match span(z) {
        Some((lo, hi)) => z.remove_range(lo, hi),
        None => 0,
    };
    let removed = drop_if_empty(db, &argv[1]);
    if n > 0 {
        touched(srv, c, &argv[1], event);
        if removed {
            deleted_event(srv, c, &argv[1]);
        }
    }
    srv.dirty += n as u64;
    c.reply.int(n as i64);
}

// ---------------------------------------------------------------------------
// Pops

fn zpopmin(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    zpop_minmax(srv, c, argv, false);
}

fn zpopmax(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    zpop_minmax(srv, c, argv, true);
}

/// getPositiveLongFromObjectOrReply: any non-integer or negative value
/// answers `msg`.
fn arg_positive(c: &mut Client, b: &[u8], msg: &str) -> Option<i64> {
    match num::parse_i64(b) {
        Some(n) if n >= 0 => Some(n),
        _ => {
            c.reply.err(msg);
            None
        }
    }
}

fn zpop_minmax(srv: &mut Server, c: &mut Client, argv: &[Bytes], max: bool) {
    if argv.len() > 3 {
        c.reply.err(SYNTAX_ERR);
        return;
    }
    let mut count = -1i64;
    if argv.len() == 3 {
        match arg_positive(c, &argv[2], "value is out of range, must be positive") {
            Some(n) => count = n,
            None => return,
        }
    }
    let nested = c.reply.resp > 2 && count != -1;
    zpop_generic(srv, c, &argv[1..2], max, false, count, nested, false);
}

/// The first key of `keys` holding a sorted set (missing keys skipped).
/// `Err` after answering WRONGTYPE for a key of another type met first.
fn first_zset<'a>(
    srv: &mut Server,
    c: &mut Client,
    keys: &'a [Bytes],
) -> Result<Option<&'a Bytes>, ()> {
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    for k in keys {
        match lookup_write(db, k, now) {
            Found::Missing => continue,
            Found::WrongType => {
                c.reply.err_code(WRONGTYPE);
                return Err(());
            }
            Found::Z(_) => return Ok(Some(k)),
        }
    }
    Ok(None)
}

/// genericZpopCommand: pop from the first non-empty key of `keys`; the
/// building block of ZPOPMIN/MAX, ZMPOP and the blocking pops.
#[allow(clippy::too_many_arguments)]
pub(crate) fn zpop_generic(
    srv: &mut Server,
    c: &mut Client,
    keys: &[Bytes],
    max: bool,
    emitkey: bool,
    count: i64,
    nested: bool,
    nil_when_empty: bool,
) {
    let Ok(chosen) = first_zset(srv, c, keys) else {
        return;
    };
    let Some(key) = chosen else {
        if nil_when_empty {
            c.reply.null_array();
        } else {
            c.reply.array_len(0);
        }
        return;
    };
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    if count == 0 {
        c.reply.array_len(0);
        return;
    }
    let single = count == -1;
    let count = if count == -1 { 1 } else { count as usize };
    let Found::Z(z) = lookup_write(db, key, now) else {
        return;
    };
    let len = z.len();
    let n = count.min(len);
    let elems = if max {
        z.range(len - n, len, true)
    } else {
        z.range(0, n, false)
    };
    if max {
        z.remove_range(len - n, len);
    } else {
        z.remove_range(0, n);
    }
    match (nested, emitkey) {
        (false, false) => c.reply.array_len(n * 2),
        (true, false) => c.reply.array_len(n),
        (false, true) => {
            c.reply.array_len(n * 2 + 1);
            c.reply.bulk(key);
        }
        (true, true) => {
            c.reply.array_len(2);
            c.reply.bulk(key);
            c.reply.array_len(n);
        }
    }
    for (m, s) in &elems {
        if nested {
            c.reply.array_len(2);
        }
        c.reply.bulk(m);
        c.reply.double(*s);
    }
    let removed = drop_if_empty(db, key);
    if emitkey {
        // ZMPOP and the blocking pops propagate as ZPOPMIN/ZPOPMAX, with the
        // count actually popped unless they pop one (BZPOPMIN/BZPOPMAX).
        let name: &'static [u8] = if max { b"ZPOPMAX" } else { b"ZPOPMIN" };
        let mut prop = vec![Bytes::from_static(name), key.clone()];
        if !single {
            prop.push(crate::propagate::int_arg(n as i64));
        }
        srv.prop.rewrite(prop);
    }
    srv.dirty += n as u64;
    if n > 0 {
        touched(srv, c, key, if max { "zpopmax" } else { "zpopmin" });
        if removed {
            deleted_event(srv, c, key);
        }
    }
}

/// Parsed `numkeys key... MIN|MAX [COUNT n]` of ZMPOP/BZMPOP.
struct MpopArgs<'a> {
    keys: &'a [Bytes],
    max: bool,
    count: i64,
}

/// Parse ZMPOP's arguments from `argv[numkeys_at]` on, with Redis's errors.
fn parse_mpop<'a>(c: &mut Client, argv: &'a [Bytes], numkeys_at: usize) -> Option<MpopArgs<'a>> {
    let numkeys = match num::parse_i64(&argv[numkeys_at]) {
        Some(n) if n >= 1 => n as usize,
        _ => {
            c.reply.err("numkeys should be greater than 0");
            return None;
        }
    };
    let where_idx = numkeys_at.saturating_add(numkeys).saturating_add(1);
    if where_idx >= argv.len() {
        c.reply.err(SYNTAX_ERR);
        return None;
    }
    let max = if is(&argv[where_idx], "min") {
        false
    } else if is(&argv[where_idx], "max") {
        true
    } else {
        c.reply.err(SYNTAX_ERR);
        return None;
    };
    let mut count = -1i64;
    let mut j = where_idx + 1;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if count == -1 && is(&argv[j], "count") && more > 0 {
            j += 1;
            match num::parse_i64(&argv[j]) {
                Some(n) if n >= 1 => count = n,
                _ => {
                    c.reply.err("count should be greater than 0");
                    return None;
                }
            }
        } else {
            c.reply.err(SYNTAX_ERR);
            return None;
        }
        j += 1;
    }
    Some(MpopArgs {
        keys: &argv[numkeys_at + 1..where_idx],
        max,
        count: count.max(1),
    })
}

/// ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]
fn zmpop(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if let Some(a) = parse_mpop(c, argv, 1) {
        zpop_generic(srv, c, a.keys, a.max, true, a.count, true, true);
    }
}

// ---------------------------------------------------------------------------
// Blocking pops

/// Blocking sorted-set pops: served by a sorted set, a null array on
/// timeout (and inside MULTI, where they cannot wait).
static ZSET_WAIT: blocking::Kind = blocking::Kind {
    ready: Value::is_zset,
    on_timeout: |c| c.reply.null_array(),
};

/// blockingGenericZpopCommand: pop as ZPOP*/ZMPOP from the first sorted
/// set of `keys`, else block on them. The timeout is checked first.
fn bzpop_generic(
    srv: &mut Server,
    c: &mut Client,
    keys: &[Bytes],
    timeout: &[u8],
    max: bool,
    count: i64,
    nested: bool,
) {
    let Some(deadline) = blocking::arg_timeout(srv, c, timeout) else {
        return;
    };
    match first_zset(srv, c, blocking::serving_keys(c, keys)) {
        Err(()) => {}
        Ok(Some(key)) => {
            let key = std::slice::from_ref(key);
            zpop_generic(srv, c, key, max, true, count, nested, nested);
        }
        Ok(None) => blocking::block(srv, c, keys, deadline, &ZSET_WAIT),
    }
}

fn bzpopmin(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let keys = &argv[1..argv.len() - 1];
    bzpop_generic(srv, c, keys, &argv[argv.len() - 1], false, -1, false);
}

fn bzpopmax(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let keys = &argv[1..argv.len() - 1];
    bzpop_generic(srv, c, keys, &argv[argv.len() - 1], true, -1, false);
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]
fn bzmpop(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if let Some(a) = parse_mpop(c, argv, 2) {
        bzpop_generic(srv, c, a.keys, &argv[1], a.max, a.count, true);
    }
}

// ---------------------------------------------------------------------------
// ZRANDMEMBER

fn zrandmember(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    if argv.len() < 3 {
        if let Some(z) = read_or_reply(&mut srv.dbs[c.db], c, &argv[1], now, |c| c.reply.null()) {
            match z.random_one() {
                Some((m, _)) => c.reply.bulk(&m),
                None => c.reply.null(),
            }
        }
        return;
    }
    let Some((l, withscores)) = super::arg_random_count(c, argv, "withscores") else {
        return;
    };
    let Some(z) = read_or_reply(&mut srv.dbs[c.db], c, &argv[1], now, |c| {
        c.reply.array_len(0)
    }) else {
        return;
    };
    let count = l.unsigned_abs() as usize;
    if count == 0 || z.is_empty() {
        c.reply.array_len(0);
        return;
    }
    let size = z.len();
    let elems: Vec<(Vec<u8>, f64)> = if l < 0 {
        // Repeats allowed.
        let all = if size <= 1024 { Some(z.all()) } else { None };
        let mut rng = rand::rng();
        (0..count)
            .map(|_| match &all {
                Some(a) => a[rand::RngExt::random_range(&mut rng, 0..a.len())].clone(),
                None => z.random_one().expect("non-empty"),
            })
            .collect()
    } else if count >= size {
        // Redis's zset iterator walks from the tail.
        z.range(0, size, true)
    } else {
        // Distinct: keep a random selection in set order, then shuffle.
        let mut rng = rand::rng();
        let mut picked = rand::seq::index::sample(&mut rng, size, count).into_vec();
        picked.sort_unstable();
        let all = z.all();
        let mut out: Vec<_> = picked.into_iter().map(|i| all[i].clone()).collect();
        rand::seq::SliceRandom::shuffle(&mut out[..], &mut rng);
        out
    };
    reply_elems(c, &elems, withscores);
}

// ---------------------------------------------------------------------------
// Set algebra

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggr {
    Sum,
    Min,
    Max,
}

fn aggregate(target: &mut f64, v: f64, a: Aggr) {
    match a {
        Aggr::Sum => {
            *target += v;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggr::Min => {
            if v < *target {
                *target = v;
            }
        }
        Aggr::Max => {
            if v > *target {
                *target = v;
            }
        }
    }
}

fn zunion(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    setop_generic(srv, c, argv, None, 1, Op::Union, false);
}
fn zinter(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    setop_generic(srv, c, argv, None, 1, Op::Inter, false);
}
fn zdiff(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    setop_generic(srv, c, argv, None, 1, Op::Diff, false);
}
fn zunionstore(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    setop_generic(srv, c, argv, Some(&argv[1]), 2, Op::Union, false);
}
fn zinterstore(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    setop_generic(srv, c, argv, Some(&argv[1]), 2, Op::Inter, false);
}
fn zdiffstore(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    setop_generic(srv, c, argv, Some(&argv[1]), 2, Op::Diff, false);
}
fn zintercard(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    setop_generic(srv, c, argv, None, 1, Op::Inter, true);
}

/// zunionInterDiffGenericCommand.
fn setop_generic(
    srv: &mut Server,
    c: &mut Client,
    argv: &[Bytes],
    dst: Option<&Bytes>,
    nk: usize,
    op: Op,
    card_only: bool,
) {
    let Some(setnum) = arg_long(c, &argv[nk]) else {
        return;
    };
    if setnum < 1 {
        let name = text_lower(&argv[0]);
        c.reply.err(&format!(
            "at least 1 input key is needed for '{name}' command"
        ));
        return;
    }
    if setnum as u64 > (argv.len() - (nk + 1)) as u64 {
        c.reply.err(SYNTAX_ERR);
        return;
    }
    let setnum = setnum as usize;
    let now = srv.now_ms;
    let l = limits(srv);
    // Inputs: copies of each set's elements (None: missing key).
    let keys = &argv[nk + 1..nk + 1 + setnum];
    {
        // Plain sets take part too, every member scoring 1.
        let db = &mut srv.dbs[c.db];
        for k in keys {
            match db.lookup_read(k, now).map(|o| &o.v) {
                None | Some(Value::ZSet(_)) | Some(Value::Set(_)) => {}
                Some(_) => {
                    c.reply.err_code(WRONGTYPE);
                    return;
                }
            }
        }
    }
    let mut weights = vec![1.0f64; setnum];
    let mut aggr = Aggr::Sum;
    let mut withscores = false;
    let mut limit = 0i64;
    let mut j = nk + 1 + setnum;
    while j < argv.len() {
        let remaining = argv.len() - j;
        if op != Op::Diff && !card_only && remaining > setnum && is(&argv[j], "weights") {
            j += 1;
            for w in weights.iter_mut() {
                match num::parse_f64(&argv[j]) {
                    Some(v) => *w = v,
                    None => {
                        c.reply.err("weight value is not a float");
                        return;
                    }
                }
                j += 1;
            }
        } else if op != Op::Diff && !card_only && remaining >= 2 && is(&argv[j], "aggregate") {
            let a = &argv[j + 1];
            aggr = if is(a, "sum") {
                Aggr::Sum
            } else if is(a, "min") {
                Aggr::Min
            } else if is(a, "max") {
                Aggr::Max
            } else {
                c.reply.err(SYNTAX_ERR);
                return;
            };
            j += 2;
        } else if dst.is_none() && !card_only && is(&argv[j], "withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && is(&argv[j], "limit") {
            match arg_positive(c, &argv[j + 1], "LIMIT can't be negative") {
                Some(n) => limit = n,
                None => return,
            }
            j += 2;
        } else {
            c.reply.err(SYNTAX_ERR);
            return;
        }
    }

    // The inputs, borrowed (expired keys went in the lookups above).
    let db = &srv.dbs[c.db];
    let srcs: Vec<Option<Src<'_>>> = keys
        .iter()
        .map(|k| match db.keys.get(&k[..]).map(|o| &o.v) {
            Some(Value::ZSet(z)) => Some(Src::Z(z)),
            Some(Value::Set(s)) => Some(Src::S(s)),
            _ => None,
        })
        .collect();
    let len = |i: usize| srcs[i].as_ref().map_or(0, |s| s.len());
    let mut out: Elems = Vec::new();
    let mut cardinality = 0usize;
    match op {
        Op::Inter => {
            // Walk the smallest input, look members up in the others.
            let mut order: Vec<usize> = (0..setnum).collect();
            order.sort_by_key(|&i| len(i));
            let first = order[0];
            if let Some(base) = &srcs[first] {
                'outer: for (m, s) in base.elems() {
                    let mut score = weights[first] * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    for &i in &order[1..] {
                        match srcs[i].as_ref().and_then(|o| o.score(&m)) {
                            Some(v) => aggregate(&mut score, v * weights[i], aggr),
                            None => continue 'outer,
                        }
                    }
                    if card_only {
                        cardinality += 1;
                        if limit > 0 && cardinality as i64 >= limit {
                            break;
                        }
                    } else {
                        out.push((m, score));
                    }
                }
            }
        }
        Op::Union => {
            let mut acc: std::collections::HashMap<Vec<u8>, f64> = std::collections::HashMap::new();
            let mut order: Vec<usize> = (0..setnum).collect();
            order.sort_by_key(|&i| len(i));
            for &i in &order {
                let Some(src) = &srcs[i] else { continue };
                for (m, s) in src.elems() {
                    let mut score = weights[i] * s;
                    if score.is_nan() {
                        score = 0.0;
                    }
                    match acc.get_mut(&m) {
                        Some(t) => aggregate(t, score, aggr),
                        None => {
                            acc.insert(m, score);
                        }
                    }
                }
            }
            out = acc.into_iter().collect();
        }
        Op::Diff => {
            if let Some(base) = &srcs[0] {
                for (m, s) in base.elems() {
                    let elsewhere = srcs[1..].iter().flatten().any(|o| o.score(&m).is_some());
                    if !elsewhere {
                        out.push((m, s));
                    }
                }
            }
        }
    }
    if card_only {
        c.reply.int(cardinality as i64);
        return;
    }
    out.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    let Some(dst) = dst else {
        reply_elems(c, &out, withscores);
        return;
    };
    let maxlen = out.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
    let mut z = ZSet::new_skiplist();
    let big = Limits {
        max_entries: 0,
        max_value: 0,
    };
    for (m, s) in &out {
        z.insert(m, *s, big);
    }
    z.shrink_if_fits(maxlen, l);
    let event = match op {
        Op::Union => "zunionstore",
        Op::Inter => "zinterstore",
        Op::Diff => "zdiffstore",
    };
    store_zset(srv, c, dst, z, event);
}

/// An input of the set algebra: a sorted set, or a plain set whose members
/// all score 1.
enum Src<'a> {
    Z(&'a ZSet),
    S(&'a crate::types::Set),
}

impl Src<'_> {
    fn len(&self) -> usize {
        match self {
            Src::Z(z) => z.len(),
            Src::S(s) => s.len(),
        }
    }

    fn score(&self, m: &[u8]) -> Option<f64> {
        match self {
            Src::Z(z) => z.score(m),
            Src::S(s) => s.contains(m).then_some(1.0),
        }
    }

    fn elems(&self) -> Elems {
        match self {
            Src::Z(z) => z.all(),
            Src::S(s) => s.iter().map(|m| (m.to_vec(), 1.0)).collect(),
        }
    }
}

fn text_lower(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_ascii_lowercase()
}

// ---------------------------------------------------------------------------
// ZSCAN

/// ZSCAN key cursor [MATCH pattern] [COUNT count]. A listpack comes back
/// whole with cursor 0; a skip list is walked through its dict's cursor.
fn zscan(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
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
    let Some(z) = read_or_reply(&mut srv.dbs[c.db], c, &argv[1], now, empty) else {
        return;
    };
    let Some((count, pattern)) = super::keys::parse_scan_opts(c, argv, 3) else {
        return;
    };
    let mut found: Vec<(Vec<u8>, f64)> = Vec::new();
    match z {
        ZSet::Listpack(_) => {
            found = z.all();
            cursor = 0;
        }
        ZSet::Skiplist(s) => {
            let count = count.saturating_mul(2);
            let mut budget = count.saturating_mul(10);
            loop {
                cursor = s
                    .dict
                    .scan(cursor, |k, v| found.push((k.as_bytes().to_vec(), *v)));
                if cursor == 0 || budget == 0 || (found.len() as i64) * 2 >= count {
                    break;
                }
                budget -= 1;
            }
        }
    }
    if let Some(p) = pattern {
        found.retain(|(m, _)| glob_match(p, m, false));
    }
    c.reply.array_len(2);
    c.reply.bulk_i64(cursor as i64);
    c.reply.array_len(found.len() * 2);
    for (m, s) in found {
        c.reply.bulk(&m);
        c.reply.bulk(&d2string(s));
    }
}
