//! List commands (Redis 7.0's `t_list.c`): pushes and pops at both ends,
//! index access, LINSERT/LREM/LTRIM/LPOS, moves between lists, LMPOP, and
//! the blocking forms BLPOP, BRPOP, BRPOPLPUSH, BLMOVE and BLMPOP.
//!
//! The representation (a quicklist of listpack nodes) is `types/list.rs`;
//! the node size comes from `list-max-listpack-size` at each write. A list
//! emptied by a pop, LREM or LTRIM is deleted. `srv.dirty` grows as in
//! Redis: one per element pushed, popped or removed, one per LSET, LINSERT
//! and move, and LTRIM adds the number of elements it cut.
//!
//! Blocking: a blocking command that finds nothing to serve calls
//! `blocking::block` and replies nothing; when a push (or any write that
//! brings a list into place) makes one of its keys ready, `blocking.rs` runs
//! the same handler again, which now serves it exactly as the non-blocking
//! path would, or blocks again. On timeout the client gets a null array
//! (RESP2 `*-1`, RESP3 `_`), for every blocking list command, as Redis.

use bytes::Bytes;

use super::{Handler, NO_SUCH_KEY, NOT_INTEGER, SYNTAX_ERR, WRONGTYPE, is};
use crate::blocking;
use crate::encoding::listpack::LpValue;
use crate::net::Client;
use crate::notify;
use crate::server::Server;
use crate::types::Value;
use crate::types::list::{End, List, range_bounds};

pub const COMMANDS: &[(&str, Handler)] = &[
    ("lpush", lpush),
    ("rpush", rpush),
    ("lpushx", lpushx),
    ("rpushx", rpushx),
    ("lpop", lpop),
    ("rpop", rpop),
    ("llen", llen),
    ("lrange", lrange),
    ("lindex", lindex),
    ("lset", lset),
    ("linsert", linsert),
    ("lrem", lrem),
    ("ltrim", ltrim),
    ("lpos", lpos),
    ("rpoplpush", rpoplpush),
    ("lmove", lmove),
    ("lmpop", lmpop),
    ("blpop", blpop),
    ("brpop", brpop),
    ("brpoplpush", brpoplpush),
    ("blmove", blmove),
    ("blmpop", blmpop),
];

// ---------------------------------------------------------------------------
// Shared pieces

fn reply_value(c: &mut Client, v: LpValue<'_>) {
    match v {
        LpValue::Int(n) => c.reply.bulk_i64(n),
        LpValue::Str(s) => c.reply.bulk(s),
    }
}

/// Outcome of looking a list up.
enum Found {
    Missing,
    WrongType,
    List,
}

fn probe(srv: &mut Server, c: &Client, key: &[u8], read: bool) -> Found {
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    let o = if read {
        db.lookup_read(key, now)
    } else {
        db.lookup(key, now)
    };
    match o {
        None => Found::Missing,
        Some(o) if o.v.is_list() => Found::List,
        Some(_) => Found::WrongType,
    }
}

/// The list at `key` (after `probe` said it is one).
fn list_mut<'a>(srv: &'a mut Server, c: &Client, key: &[u8]) -> &'a mut List {
    match &mut srv.dbs[c.db].get_mut(key).expect("probed").v {
        Value::List(l) => l,
        _ => unreachable!("probed as a list"),
    }
}

/// Delete `key` if its list is empty (with the `del` event).
fn drop_if_empty(srv: &mut Server, c: &mut Client, key: &[u8]) {
    if list_mut(srv, c, key).is_empty() {
        srv.dbs[c.db].delete(key);
        srv.notify(c, notify::GENERIC, "del", key, c.db);
    }
}

/// After a write to the list at `key`: WATCH invalidation and the `new`
/// (created) and `event` notifications, in Redis's order.
fn touched(srv: &mut Server, c: &mut Client, key: &[u8], event: &str, created: bool) {
    srv.signal_modified_key(c.db, key);
    if created {
        srv.notify(c, notify::NEW, "new", key, c.db);
    }
    srv.notify(c, notify::LIST, event, key, c.db);
}

fn pop_event(end: End) -> &'static str {
    if end == End::Head { "lpop" } else { "rpop" }
}

/// The non-blocking pop a blocking one propagates as.
fn pop_name(end: End) -> &'static [u8] {
    match end {
        End::Head => b"LPOP",
        End::Tail => b"RPOP",
    }
}

fn push_event(end: End) -> &'static str {
    if end == End::Head { "lpush" } else { "rpush" }
}

fn parse_end(arg: &[u8]) -> Option<End> {
    if is(arg, "left") {
        Some(End::Head)
    } else if is(arg, "right") {
        Some(End::Tail)
    } else {
        None
    }
}

/// A non-negative long, or `msg` (Redis's getPositiveLongFromObjectOrReply).
fn arg_positive(c: &mut Client, b: &[u8], msg: &str) -> Option<i64> {
    match crate::util::num::parse_i64(b) {
        Some(n) if n >= 0 => Some(n),
        _ => {
            c.reply.err(msg);
            None
        }
    }
}

/// A new empty list with the configured node fill and compress depth
/// (fixed for its lifetime, as in Redis).
fn new_list(srv: &Server) -> Value {
    Value::List(Box::new(List::with_options(
        srv.cfg.list_max_listpack_size as i64,
        srv.cfg.list_compress_depth as i64,
    )))
}

/// Blocking list commands: served by a list, a null array on timeout.
static LIST_WAIT: blocking::Kind = blocking::Kind {
    ready: Value::is_list,
    on_timeout: |c| c.reply.null_array(),
};

// ---------------------------------------------------------------------------
// Pushes

fn push_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], end: End, xx: bool) {
    let key = &argv[1];
    let created = match probe(srv, c, key, false) {
        Found::WrongType => return c.reply.err_code(WRONGTYPE),
        Found::Missing if xx => return c.reply.int(0),
        Found::Missing => {
            let now = srv.now_ms;
            let l = new_list(srv);
            srv.dbs[c.db].set(key, l, false, now)
        }
        Found::List => false,
    };
    let l = list_mut(srv, c, key);
    for v in &argv[2..] {
        l.push(v, end);
    }
    let len = l.len();
    srv.dirty += (argv.len() - 2) as u64;
    touched(srv, c, key, push_event(end), created);
    c.reply.int(len as i64);
    blocking::signal_key_ready(srv, c.db, key);
}

fn lpush(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    push_generic(srv, c, argv, End::Head, false);
}

fn rpush(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    push_generic(srv, c, argv, End::Tail, false);
}

fn lpushx(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    push_generic(srv, c, argv, End::Head, true);
}

fn rpushx(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    push_generic(srv, c, argv, End::Tail, true);
}

// ---------------------------------------------------------------------------
// Pops

/// Pop up to `count` elements of the list at `key` from `end`, replying
/// them as an array.
fn pop_range_reply(srv: &mut Server, c: &mut Client, key: &[u8], end: End, count: usize) {
    let l = list_mut(srv, c, key);
    let n = count.min(l.len());
    c.reply.array_len(n);
    let mut left = n;
    let (start, rev) = match end {
        End::Head => (0, false),
        End::Tail => (l.len().saturating_sub(1), true),
    };
    if n > 0 {
        l.visit(start, rev, |v| {
            reply_value(c, v);
            left -= 1;
            left > 0
        });
    }
    l.delete_from(end, n);
    srv.dirty += n as u64;
    touched(srv, c, key, pop_event(end), false);
    drop_if_empty(srv, c, key);
}

fn pop_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], end: End) {
    if argv.len() > 3 {
        let name = if end == End::Head { "lpop" } else { "rpop" };
        return c
            .reply
            .err(&format!("wrong number of arguments for '{name}' command"));
    }
    let count = if argv.len() == 3 {
        match arg_positive(c, &argv[2], "value is out of range, must be positive") {
            Some(n) => Some(n as usize),
            None => return,
        }
    } else {
        None
    };
    let key = &argv[1];
    match probe(srv, c, key, false) {
        Found::WrongType => return c.reply.err_code(WRONGTYPE),
        Found::Missing if count.is_some() => return c.reply.null_array(),
        Found::Missing => return c.reply.null(),
        Found::List => {}
    }
    match count {
        Some(0) => c.reply.array_len(0),
        Some(n) => pop_range_reply(srv, c, key, end, n),
        None => {
            let v = list_mut(srv, c, key).pop(end).expect("non-empty list");
            srv.dirty += 1;
            touched(srv, c, key, pop_event(end), false);
            drop_if_empty(srv, c, key);
            c.reply.bulk(&v);
        }
    }
}

fn lpop(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    pop_generic(srv, c, argv, End::Head);
}

fn rpop(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    pop_generic(srv, c, argv, End::Tail);
}

// ---------------------------------------------------------------------------
// Reads

fn llen(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    match probe(srv, c, &argv[1], true) {
        Found::WrongType => c.reply.err_code(WRONGTYPE),
        Found::Missing => c.reply.int(0),
        Found::List => {
            let n = list_mut(srv, c, &argv[1]).len();
            c.reply.int(n as i64);
        }
    }
}

fn lrange(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(start) = super::arg_i64(c, &argv[2]) else {
        return;
    };
    let Some(end) = super::arg_i64(c, &argv[3]) else {
        return;
    };
    match probe(srv, c, &argv[1], true) {
        Found::WrongType => c.reply.err_code(WRONGTYPE),
        Found::Missing => c.reply.array_len(0),
        Found::List => {
            let l = list_mut(srv, c, &argv[1]);
            match range_bounds(l.len() as i64, start, end) {
                None => c.reply.array_len(0),
                Some((s, e)) => {
                    let n = (e - s + 1) as usize;
                    c.reply.array_len(n);
                    let mut left = n;
                    l.visit(s as usize, false, |v| {
                        reply_value(c, v);
                        left -= 1;
                        left > 0
                    });
                }
            }
        }
    }
}

fn lindex(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(index) = super::arg_i64(c, &argv[2]) else {
        return;
    };
    match probe(srv, c, &argv[1], true) {
        Found::WrongType => c.reply.err_code(WRONGTYPE),
        Found::Missing => c.reply.null(),
        Found::List => {
            if list_mut(srv, c, &argv[1])
                .get_with(index, |v| reply_value(c, v))
                .is_none()
            {
                c.reply.null();
            }
        }
    }
}

// ---------------------------------------------------------------------------
// In-place edits

fn lset(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(index) = super::arg_i64(c, &argv[2]) else {
        return;
    };
    match probe(srv, c, &argv[1], false) {
        Found::WrongType => c.reply.err_code(WRONGTYPE),
        Found::Missing => c.reply.err(NO_SUCH_KEY),
        Found::List => {
            if list_mut(srv, c, &argv[1]).set(index, &argv[3]) {
                srv.dirty += 1;
                touched(srv, c, &argv[1], "lset", false);
                c.reply.ok();
            } else {
                c.reply.err("index out of range");
            }
        }
    }
}

fn linsert(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let after = if is(&argv[2], "after") {
        true
    } else if is(&argv[2], "before") {
        false
    } else {
        return c.reply.err(SYNTAX_ERR);
    };
    match probe(srv, c, &argv[1], false) {
        Found::WrongType => c.reply.err_code(WRONGTYPE),
        Found::Missing => c.reply.int(0),
        Found::List => {
            let l = list_mut(srv, c, &argv[1]);
            if l.insert(&argv[3], &argv[4], after) {
                let n = l.len();
                srv.dirty += 1;
                touched(srv, c, &argv[1], "linsert", false);
                c.reply.int(n as i64);
            } else {
                c.reply.int(-1);
            }
        }
    }
}

fn lrem(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(count) = super::arg_i64(c, &argv[2]) else {
        return;
    };
    match probe(srv, c, &argv[1], false) {
        Found::WrongType => c.reply.err_code(WRONGTYPE),
        Found::Missing => c.reply.int(0),
        Found::List => {
            let n = list_mut(srv, c, &argv[1]).remove(&argv[3], count);
            srv.dirty += n as u64;
            if n > 0 {
                touched(srv, c, &argv[1], "lrem", false);
            }
            drop_if_empty(srv, c, &argv[1]);
            c.reply.int(n as i64);
        }
    }
}

fn ltrim(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(start) = super::arg_i64(c, &argv[2]) else {
        return;
    };
    let Some(end) = super::arg_i64(c, &argv[3]) else {
        return;
    };
    match probe(srv, c, &argv[1], false) {
        Found::WrongType => c.reply.err_code(WRONGTYPE),
        Found::Missing => c.reply.ok(),
        Found::List => {
            let l = list_mut(srv, c, &argv[1]);
            let before = l.len();
            l.trim(start, end);
            srv.dirty += (before - l.len()) as u64;
            touched(srv, c, &argv[1], "ltrim", false);
            drop_if_empty(srv, c, &argv[1]);
            c.reply.ok();
        }
    }
}

// ---------------------------------------------------------------------------
// LPOS

fn lpos(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let mut rank: i64 = 1;
    let mut count: Option<i64> = None;
    let mut maxlen: i64 = 0;
    let mut i = 3;
    while i < argv.len() {
        let more = i + 1 < argv.len();
        if is(&argv[i], "rank") && more {
            i += 1;
            match crate::util::num::parse_i64(&argv[i]) {
                // Redis negates LONG_MIN into itself: every match counts,
                // from the tail, as rank -1.
                Some(i64::MIN) => rank = -1,
                Some(n) => rank = n,
                None => return c.reply.err(NOT_INTEGER),
            }
            if rank == 0 {
                return c.reply.err(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
                );
            }
        } else if is(&argv[i], "count") && more {
            i += 1;
            match arg_positive(c, &argv[i], "COUNT can't be negative") {
                Some(n) => count = Some(n),
                None => return,
            }
        } else if is(&argv[i], "maxlen") && more {
            i += 1;
            match arg_positive(c, &argv[i], "MAXLEN can't be negative") {
                Some(n) => maxlen = n,
                None => return,
            }
        } else {
            return c.reply.err(SYNTAX_ERR);
        }
        i += 1;
    }
    match probe(srv, c, &argv[1], true) {
        Found::WrongType => return c.reply.err_code(WRONGTYPE),
        Found::Missing => {
            return if count.is_some() {
                c.reply.array_len(0)
            } else {
                c.reply.null()
            };
        }
        Found::List => {}
    }
    let l = list_mut(srv, c, &argv[1]);
    let len = l.len();
    let want = match count {
        Some(0) => usize::MAX,
        Some(n) => n as usize,
        None => 1,
    };
    let scan = if maxlen == 0 {
        len
    } else {
        (maxlen as usize).min(len)
    };
    let mut skip = rank.unsigned_abs() - 1;
    let mut found: Vec<usize> = Vec::new();
    let mut check = |idx: usize, v: LpValue<'_>| {
        if v.eq_bytes(&argv[2]) {
            if skip == 0 {
                found.push(idx);
            } else {
                skip -= 1;
            }
        }
        found.len() < want
    };
    if scan > 0 {
        let (start, rev) = if rank > 0 {
            (0, false)
        } else {
            (len - 1, true)
        };
        let mut k = 0;
        l.visit(start, rev, |v| {
            let idx = if rev { len - 1 - k } else { k };
            k += 1;
            check(idx, v) && k < scan
        });
    }
    if count.is_some() {
        c.reply.array_len(found.len());
        for idx in found {
            c.reply.int(idx as i64);
        }
    } else {
        match found.first() {
            Some(&idx) => c.reply.int(idx as i64),
            None => c.reply.null(),
        }
    }
}

// ---------------------------------------------------------------------------
// Moves

/// LMOVE proper; the source key is known to hold a non-empty list. Checks
/// the destination type before popping, so a WRONGTYPE leaves both intact.
fn move_from_list(srv: &mut Server, c: &mut Client, src: &Bytes, dst: &Bytes, from: End, to: End) {
    match probe(srv, c, dst, false) {
        Found::WrongType => return c.reply.err_code(WRONGTYPE),
        Found::Missing | Found::List => {}
    }
    // Redis's order: pop, push (creating the destination), then the
    // destination's events, the source's, and its deletion if emptied.
    let v = list_mut(srv, c, src).pop(from).expect("non-empty list");
    let now = srv.now_ms;
    let created = srv.dbs[c.db].peek(dst, now).is_none() && {
        let l = new_list(srv);
        srv.dbs[c.db].set(dst, l, false, now)
    };
    list_mut(srv, c, dst).push(&v, to);
    srv.dirty += 1;
    touched(srv, c, dst, push_event(to), created);
    touched(srv, c, src, pop_event(from), false);
    drop_if_empty(srv, c, src);
    c.reply.bulk(&v);
    blocking::signal_key_ready(srv, c.db, dst);
}

fn move_generic(srv: &mut Server, c: &mut Client, src: &Bytes, dst: &Bytes, from: End, to: End) {
    match probe(srv, c, src, false) {
        Found::WrongType => c.reply.err_code(WRONGTYPE),
        Found::Missing => c.reply.null(),
        Found::List => move_from_list(srv, c, src, dst, from, to),
    }
}

fn rpoplpush(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    move_generic(srv, c, &argv[1], &argv[2], End::Tail, End::Head);
}

/// The two LEFT|RIGHT arguments of LMOVE/BLMOVE.
fn parse_ends(c: &mut Client, a: &[u8], b: &[u8]) -> Option<(End, End)> {
    match (parse_end(a), parse_end(b)) {
        (Some(x), Some(y)) => Some((x, y)),
        _ => {
            c.reply.err(SYNTAX_ERR);
            None
        }
    }
}

fn lmove(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some((from, to)) = parse_ends(c, &argv[3], &argv[4]) else {
        return;
    };
    move_generic(srv, c, &argv[1], &argv[2], from, to);
}

// ---------------------------------------------------------------------------
// LMPOP

/// Parsed `numkeys key... LEFT|RIGHT [COUNT n]` starting at `argv[at]`.
struct MpopArgs<'a> {
    keys: &'a [Bytes],
    end: End,
    count: usize,
}

fn parse_mpop<'a>(c: &mut Client, argv: &'a [Bytes], at: usize) -> Option<MpopArgs<'a>> {
    let numkeys = match crate::util::num::parse_i64(&argv[at]) {
        Some(n) if n > 0 => n as usize,
        _ => {
            c.reply.err("numkeys should be greater than 0");
            return None;
        }
    };
    let where_at = at + 1 + numkeys;
    if numkeys > argv.len() - at - 1 || where_at >= argv.len() {
        c.reply.err(SYNTAX_ERR);
        return None;
    }
    let Some(end) = parse_end(&argv[where_at]) else {
        c.reply.err(SYNTAX_ERR);
        return None;
    };
    let mut count = 1;
    let mut seen_count = false;
    let mut i = where_at + 1;
    while i < argv.len() {
        if !seen_count && is(&argv[i], "count") && i + 1 < argv.len() {
            match crate::util::num::parse_i64(&argv[i + 1]) {
                Some(n) if n > 0 => count = n as usize,
                _ => {
                    c.reply.err("count should be greater than 0");
                    return None;
                }
            }
            seen_count = true;
            i += 2;
        } else {
            c.reply.err(SYNTAX_ERR);
            return None;
        }
    }
    Some(MpopArgs {
        keys: &argv[at + 1..where_at],
        end,
        count,
    })
}

/// Pop from the first non-empty list of `keys`, replying [key, [elements]].
/// False when all are missing; a WRONGTYPE reply counts as done.
fn mpop_first(srv: &mut Server, c: &mut Client, keys: &[Bytes], end: End, count: usize) -> bool {
    for key in keys {
        match probe(srv, c, key, false) {
            Found::Missing => continue,
            Found::WrongType => {
                c.reply.err_code(WRONGTYPE);
                return true;
            }
            Found::List => {
                // Propagated as [LR]POP key n, n what was actually popped.
                let n = count.min(list_mut(srv, c, key).len());
                srv.prop.rewrite(vec![
                    Bytes::from_static(pop_name(end)),
                    key.clone(),
                    crate::propagate::int_arg(n as i64),
                ]);
                c.reply.array_len(2);
                c.reply.bulk(key);
                pop_range_reply(srv, c, key, end, count);
                return true;
            }
        }
    }
    false
}

fn lmpop(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(a) = parse_mpop(c, argv, 1) else {
        return;
    };
    if !mpop_first(srv, c, a.keys, a.end, a.count) {
        c.reply.null_array();
    }
}

// ---------------------------------------------------------------------------
// Blocking forms

fn bpop_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], end: End) {
    let Some(deadline) = blocking::arg_timeout(srv, c, &argv[argv.len() - 1]) else {
        return;
    };
    let keys = &argv[1..argv.len() - 1];
    for key in blocking::serving_keys(c, keys) {
        match probe(srv, c, key, false) {
            Found::Missing => continue,
            Found::WrongType => return c.reply.err_code(WRONGTYPE),
            Found::List => {
                let v = list_mut(srv, c, key).pop(end).expect("non-empty list");
                c.reply.array_len(2);
                c.reply.bulk(key);
                c.reply.bulk(&v);
                srv.dirty += 1;
                touched(srv, c, key, pop_event(end), false);
                drop_if_empty(srv, c, key);
                srv.prop
                    .rewrite(vec![Bytes::from_static(pop_name(end)), key.clone()]);
                return;
            }
        }
    }
    blocking::block(srv, c, keys, deadline, &LIST_WAIT);
}

fn blpop(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    bpop_generic(srv, c, argv, End::Head);
}

fn brpop(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    bpop_generic(srv, c, argv, End::Tail);
}

fn bmove_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], from: End, to: End) {
    let Some(deadline) = blocking::arg_timeout(srv, c, &argv[argv.len() - 1]) else {
        return;
    };
    let (src, dst) = (&argv[1], &argv[2]);
    match probe(srv, c, src, false) {
        Found::WrongType => c.reply.err_code(WRONGTYPE),
        Found::List => {
            move_from_list(srv, c, src, dst, from, to);
            // Propagated in the non-blocking form.
            srv.prop.rewrite(if argv.len() == 4 {
                vec![Bytes::from_static(b"RPOPLPUSH"), src.clone(), dst.clone()]
            } else {
                let mut v = vec![Bytes::from_static(b"LMOVE")];
                v.extend_from_slice(&argv[1..5]);
                v
            });
        }
        Found::Missing => blocking::block(srv, c, std::slice::from_ref(src), deadline, &LIST_WAIT),
    }
}

fn brpoplpush(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    bmove_generic(srv, c, argv, End::Tail, End::Head);
}

fn blmove(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some((from, to)) = parse_ends(c, &argv[3], &argv[4]) else {
        return;
    };
    bmove_generic(srv, c, argv, from, to);
}

fn blmpop(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(a) = parse_mpop(c, argv, 2) else {
        return;
    };
    let Some(deadline) = blocking::arg_timeout(srv, c, &argv[1]) else {
        return;
    };
    let keys = blocking::serving_keys(c, a.keys);
    if !mpop_first(srv, c, keys, a.end, a.count) {
        blocking::block(srv, c, a.keys, deadline, &LIST_WAIT);
    }
}
