//! String commands: GET/SET and their variants, counters, ranges, APPEND
//! and LCS, with Redis 7.0's exact replies and errors.
//!
//! Encodings follow Redis so that OBJECT ENCODING agrees: a value stored
//! whole (SET, MSET, GETSET, APPEND to a new key) goes through
//! `Value::from_bytes`, which int-encodes canonical integers; INCR and
//! friends store `Value::Int`; INCRBYFLOAT stores the formatted number as a
//! plain string (embstr/raw, never int, as Redis's
//! createStringObjectFromLongDouble); APPEND and SETRANGE modify in place and
//! mark the object raw. Commands that modify a value in place (INCR,
//! APPEND, SETRANGE, INCRBYFLOAT) keep the key's TTL; commands that replace
//! it (SET without KEEPTTL, GETSET, MSET) drop it through `Db::set`.
//!
//! Relative expiry times (EX/PX, SETEX, PSETEX) become absolute milliseconds
//! from `srv.now_ms`, with Redis's overflow checks.

use bytes::Bytes;

use super::{Handler, NOT_FLOAT, NOT_INTEGER, SYNTAX_ERR, WRONGTYPE, is};
use crate::db::new_stamp;
use crate::net::Client;
use crate::notify;
use crate::server::Server;
use crate::types::{Obj, SmallBytes, Value};
use crate::util::num::{self, LdError, parse_i64};

pub const COMMANDS: &[(&str, Handler)] = &[
    ("get", get),
    ("set", set),
    ("setnx", setnx),
    ("setex", setex),
    ("psetex", psetex),
    ("getset", getset),
    ("getdel", getdel),
    ("getex", getex),
    ("mget", mget),
    ("mset", mset),
    ("msetnx", msetnx),
    ("append", append),
    ("strlen", strlen),
    ("incr", incr),
    ("decr", decr),
    ("incrby", incrby),
    ("decrby", decrby),
    ("incrbyfloat", incrbyfloat),
    ("getrange", getrange),
    ("substr", getrange),
    ("setrange", setrange),
    ("lcs", lcs),
];

const OVERFLOW: &str = "increment or decrement would overflow";
const TOO_BIG: &str = "string exceeds maximum allowed size (proto-max-bulk-len)";

// ---------------------------------------------------------------------------
// Shared pieces

/// Reply with a string value as a bulk string.
fn reply_value(c: &mut Client, v: &Value) {
    match v {
        Value::Int(n) => c.reply.bulk_i64(*n),
        Value::Str(s) => c.reply.bulk(s),
        _ => c.reply.err_code(WRONGTYPE),
    }
}

/// GET's body, shared by SET ... GET, GETSET and GETDEL: reply with the
/// value or null. Returns false (after replying WRONGTYPE) when the key
/// holds another type.
fn get_generic(srv: &mut Server, c: &mut Client, key: &[u8]) -> bool {
    let now = srv.now_ms;
    match srv.dbs[c.db].lookup_read(key, now) {
        None => c.reply.null(),
        Some(o) if !o.v.is_string() => {
            c.reply.err_code(WRONGTYPE);
            return false;
        }
        Some(o) => reply_value(c, &o.v),
    }
    true
}

/// Take the bytes of a string value out of it, leaving a placeholder, so
/// that an in-place modification reuses a heap buffer.
pub(crate) fn take_bytes(v: &mut Value) -> Vec<u8> {
    match std::mem::replace(v, Value::Int(0)) {
        Value::Int(n) => num::i64_to_bytes(n),
        Value::Str(SmallBytes::Heap(b)) => b.into_vec(),
        Value::Str(s) => s.as_bytes().to_vec(),
        _ => Vec::new(),
    }
}

/// Redis's checkStringLength: would a string of `size + append` bytes pass
/// proto-max-bulk-len (overflow included)?
fn check_string_length(srv: &Server, c: &mut Client, size: i64, append: i64) -> bool {
    if size as i128 + append as i128 > srv.cfg.proto_max_bulk_len as i128 {
        c.reply.err(TOO_BIG);
        return false;
    }
    true
}

/// The part of an option argument Redis's C string comparisons see: up to
/// the first NUL byte.
fn c_str(a: &[u8]) -> &[u8] {
    &a[..a.iter().position(|&b| b == 0).unwrap_or(a.len())]
}

// ---------------------------------------------------------------------------
// SET / GETEX options

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ExpireKind {
    Ex,
    Px,
    ExAt,
    PxAt,
}

impl ExpireKind {
    fn in_seconds(self) -> bool {
        matches!(self, ExpireKind::Ex | ExpireKind::ExAt)
    }
    fn relative(self) -> bool {
        matches!(self, ExpireKind::Ex | ExpireKind::Px)
    }
}

/// The options of SET (NX XX GET KEEPTTL EX PX EXAT PXAT) and GETEX
/// (PERSIST EX PX EXAT PXAT). `expire` holds the kind and the index of its
/// argument in argv.
#[derive(Default, Debug, PartialEq, Eq)]
struct ExtOpts {
    nx: bool,
    xx: bool,
    get: bool,
    keepttl: bool,
    persist: bool,
    expire: Option<(ExpireKind, usize)>,
}

/// Parse the options after the key (GETEX) or the value (SET), with Redis's
/// conflict rules: NX/XX exclude each other, the expiry forms exclude each
/// other and KEEPTTL/PERSIST (repeating the same one is allowed, the last
/// wins). Any other word, or a missing time, is a syntax error.
fn parse_ext(argv: &[Bytes], for_set: bool) -> Option<ExtOpts> {
    let mut o = ExtOpts::default();
    let mut j = if for_set { 3 } else { 2 };
    while j < argv.len() {
        let opt = c_str(&argv[j]);
        let has_next = j + 1 < argv.len();
        let exp = o.expire.map(|(k, _)| k);
        let exp_other = |k: ExpireKind| exp.is_some_and(|e| e != k);
        if for_set && is(opt, "nx") && !o.xx {
            o.nx = true;
        } else if for_set && is(opt, "xx") && !o.nx {
            o.xx = true;
        } else if for_set && is(opt, "get") {
            o.get = true;
        } else if for_set && is(opt, "keepttl") && exp.is_none() {
            o.keepttl = true;
        } else if !for_set && is(opt, "persist") && exp.is_none() {
            o.persist = true;
        } else if let Some(k) = [
            ("ex", ExpireKind::Ex),
            ("px", ExpireKind::Px),
            ("exat", ExpireKind::ExAt),
            ("pxat", ExpireKind::PxAt),
        ]
        .iter()
        .find(|(name, _)| is(opt, name))
        .map(|&(_, k)| k)
            && !o.keepttl
            && !o.persist
            && !exp_other(k)
            && has_next
        {
            o.expire = Some((k, j + 1));
            j += 1;
        } else {
            return None;
        }
        j += 1;
    }
    Some(o)
}

#[derive(Debug, PartialEq, Eq)]
enum ExpireErr {
    NotInteger,
    Invalid,
}

/// Turn an expiry argument into an absolute time in ms (Redis's
/// getExpireMillisecondsOrReply): positive, no overflow in the conversion
/// to ms or in the addition of `now` for relative forms.
fn expire_at(kind: ExpireKind, arg: &[u8], now_ms: i64) -> Result<i64, ExpireErr> {
    let mut ms = parse_i64(arg).ok_or(ExpireErr::NotInteger)?;
    if ms <= 0 || (kind.in_seconds() && ms > i64::MAX / 1000) {
        return Err(ExpireErr::Invalid);
    }
    if kind.in_seconds() {
        ms *= 1000;
    }
    if kind.relative() {
        ms = ms.wrapping_add(now_ms);
    }
    if ms <= 0 {
        return Err(ExpireErr::Invalid);
    }
    Ok(ms)
}

/// `expire_at`, answering Redis's errors (named after the command).
fn expire_or_reply(
    c: &mut Client,
    cmd: &str,
    kind: ExpireKind,
    arg: &[u8],
    now: i64,
) -> Option<i64> {
    match expire_at(kind, arg, now) {
        Ok(t) => Some(t),
        Err(ExpireErr::NotInteger) => {
            c.reply.err(NOT_INTEGER);
            None
        }
        Err(ExpireErr::Invalid) => {
            c.reply
                .err(&format!("invalid expire time in '{cmd}' command"));
            None
        }
    }
}

// ---------------------------------------------------------------------------
// GET / SET family

fn get(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    get_generic(srv, c, &argv[1]);
}

/// What `set_generic` answers: SET's +OK/null, or SETNX's :1/:0.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SetReply {
    OkNull,
    OneZero,
}

/// The shared body of SET, SETNX, SETEX and PSETEX (Redis's
/// setGenericCommand). `when` is the absolute expiry, already validated.
fn set_generic(
    srv: &mut Server,
    c: &mut Client,
    key: &[u8],
    val: &[u8],
    opts: &ExtOpts,
    when: Option<i64>,
    replies: SetReply,
) {
    if opts.get && !get_generic(srv, c, key) {
        return;
    }
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    if (opts.nx || opts.xx) && db.exists(key, now) == opts.nx {
        if !opts.get {
            match replies {
                SetReply::OkNull => c.reply.null(),
                SetReply::OneZero => c.reply.int(0),
            }
        }
        return;
    }
    let created = db.set(key, Value::from_bytes(val), opts.keepttl, now);
    if let Some(t) = when {
        db.set_expire(key, t);
        // Propagated with the absolute time: SET key value PXAT ms.
        srv.prop.rewrite(vec![
            Bytes::from_static(b"SET"),
            Bytes::copy_from_slice(key),
            Bytes::copy_from_slice(val),
            Bytes::from_static(b"PXAT"),
            crate::propagate::int_arg(t),
        ]);
    }
    srv.dirty += 1;
    srv.signal_modified_key(c.db, key);
    if created {
        srv.notify(c, notify::NEW, "new", key, c.db);
    }
    srv.notify(c, notify::STRING, "set", key, c.db);
    if when.is_some() {
        srv.notify(c, notify::GENERIC, "expire", key, c.db);
    }
    if !opts.get {
        match replies {
            SetReply::OkNull => c.reply.ok(),
            SetReply::OneZero => c.reply.int(1),
        }
    }
}

fn set(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(opts) = parse_ext(argv, true) else {
        c.reply.err(SYNTAX_ERR);
        return;
    };
    let mut when = None;
    if let Some((kind, i)) = opts.expire {
        match expire_or_reply(c, "set", kind, &argv[i], srv.now_ms) {
            Some(t) => when = Some(t),
            None => return,
        }
    }
    set_generic(srv, c, &argv[1], &argv[2], &opts, when, SetReply::OkNull);
    if opts.get && when.is_none() {
        // Propagated without its GET argument(s).
        let prop = argv
            .iter()
            .enumerate()
            .filter(|(i, a)| *i < 3 || !a.eq_ignore_ascii_case(b"get"))
            .map(|(_, a)| a.clone())
            .collect();
        srv.prop.rewrite(prop);
    }
}

fn setnx(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let opts = ExtOpts {
        nx: true,
        ..Default::default()
    };
    set_generic(srv, c, &argv[1], &argv[2], &opts, None, SetReply::OneZero);
}

fn setex_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], kind: ExpireKind) {
    let name = if kind == ExpireKind::Ex {
        "setex"
    } else {
        "psetex"
    };
    let Some(t) = expire_or_reply(c, name, kind, &argv[2], srv.now_ms) else {
        return;
    };
    let opts = ExtOpts::default();
    set_generic(srv, c, &argv[1], &argv[3], &opts, Some(t), SetReply::OkNull);
}

fn setex(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    setex_generic(srv, c, argv, ExpireKind::Ex);
}

fn psetex(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    setex_generic(srv, c, argv, ExpireKind::Px);
}

fn getset(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if !get_generic(srv, c, &argv[1]) {
        return;
    }
    let now = srv.now_ms;
    let created = srv.dbs[c.db].set(&argv[1], Value::from_bytes(&argv[2]), false, now);
    srv.dirty += 1;
    srv.signal_modified_key(c.db, &argv[1]);
    if created {
        srv.notify(c, notify::NEW, "new", &argv[1], c.db);
    }
    srv.notify(c, notify::STRING, "set", &argv[1], c.db);
    let mut prop = argv.to_vec();
    prop[0] = Bytes::from_static(b"SET");
    srv.prop.rewrite(prop);
}

fn getdel(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if !get_generic(srv, c, &argv[1]) {
        return;
    }
    if srv.dbs[c.db].delete(&argv[1]) {
        srv.prop.rewrite(crate::propagate::del_for(
            &srv.cfg,
            "lazyfree-lazy-user-del",
            &argv[1],
        ));
        srv.dirty += 1;
        srv.signal_modified_key(c.db, &argv[1]);
        srv.notify(c, notify::GENERIC, "del", &argv[1], c.db);
    }
}

fn getex(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(opts) = parse_ext(argv, false) else {
        c.reply.err(SYNTAX_ERR);
        return;
    };
    let now = srv.now_ms;
    let key = &argv[1];
    let db = &mut srv.dbs[c.db];
    let o = match db.lookup_read(key, now) {
        None => {
            c.reply.null();
            return;
        }
        Some(o) if !o.v.is_string() => {
            c.reply.err_code(WRONGTYPE);
            return;
        }
        Some(o) => o,
    };
    // The time is validated only once the key is known to exist.
    let mut when = None;
    if let Some((kind, i)) = opts.expire {
        match expire_or_reply(c, "getex", kind, &argv[i], now) {
            Some(t) => when = Some((kind, t)),
            None => return,
        }
    }
    reply_value(c, &o.v);
    match when {
        // An absolute time already past deletes the key.
        Some((kind, t)) if !kind.relative() && t <= now => {
            db.delete(key);
            srv.prop.rewrite(crate::propagate::del_for(
                &srv.cfg,
                "lazyfree-lazy-expire",
                key,
            ));
            srv.dirty += 1;
            srv.signal_modified_key(c.db, key);
            srv.notify(c, notify::GENERIC, "del", key, c.db);
        }
        Some((_, t)) => {
            db.set_expire(key, t);
            srv.prop.rewrite(vec![
                Bytes::from_static(b"PEXPIREAT"),
                key.clone(),
                crate::propagate::int_arg(t),
            ]);
            srv.dirty += 1;
            srv.signal_modified_key(c.db, key);
            srv.notify(c, notify::GENERIC, "expire", key, c.db);
        }
        None if opts.persist && db.persist(key) => {
            srv.prop
                .rewrite(vec![Bytes::from_static(b"PERSIST"), key.clone()]);
            srv.dirty += 1;
            srv.signal_modified_key(c.db, key);
            srv.notify(c, notify::GENERIC, "persist", key, c.db);
        }
        None => {}
    }
}

fn mget(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    c.reply.array_len(argv.len() - 1);
    for key in &argv[1..] {
        match db.lookup_read(key, now) {
            Some(o) if o.v.is_string() => reply_value(c, &o.v),
            _ => c.reply.null(),
        }
    }
}

fn mset_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], nx: bool) {
    if argv.len().is_multiple_of(2) {
        let name = if nx { "msetnx" } else { "mset" };
        c.reply
            .err(&format!("wrong number of arguments for '{name}' command"));
        return;
    }
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    if nx && argv[1..].iter().step_by(2).any(|k| db.exists(k, now)) {
        c.reply.int(0);
        return;
    }
    for kv in argv[1..].chunks_exact(2) {
        let created = srv.dbs[c.db].set(&kv[0], Value::from_bytes(&kv[1]), false, now);
        srv.signal_modified_key(c.db, &kv[0]);
        if created {
            srv.notify(c, notify::NEW, "new", &kv[0], c.db);
        }
        srv.notify(c, notify::STRING, "set", &kv[0], c.db);
    }
    srv.dirty += (argv.len() / 2) as u64;
    if nx {
        c.reply.int(1);
    } else {
        c.reply.ok();
    }
}

fn mset(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    mset_generic(srv, c, argv, false);
}

fn msetnx(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    mset_generic(srv, c, argv, true);
}

// ---------------------------------------------------------------------------
// APPEND, STRLEN, ranges

fn append(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let (key, tail) = (&argv[1], &argv[2]);
    let max = srv.cfg.proto_max_bulk_len;
    let db = &mut srv.dbs[c.db];
    let Some(o) = db.lookup(key, now) else {
        db.set(key, Value::from_bytes(tail), false, now);
        srv.dirty += 1;
        srv.signal_modified_key(c.db, key);
        srv.notify(c, notify::NEW, "new", key, c.db);
        srv.notify(c, notify::STRING, "append", key, c.db);
        c.reply.int(tail.len() as i64);
        return;
    };
    if !o.v.is_string() {
        c.reply.err_code(WRONGTYPE);
        return;
    }
    let len = o.v.string_len();
    if len as i128 + tail.len() as i128 > max as i128 {
        c.reply.err(TOO_BIG);
        return;
    }
    let mut v = take_bytes(&mut o.v);
    v.reserve_exact(tail.len());
    v.extend_from_slice(tail);
    let total = v.len();
    o.set_value(Value::Str(SmallBytes::from_vec(v)), true);
    srv.dirty += 1;
    srv.signal_modified_key(c.db, key);
    srv.notify(c, notify::STRING, "append", key, c.db);
    c.reply.int(total as i64);
}

fn strlen(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    match srv.dbs[c.db].lookup_read(&argv[1], now) {
        None => c.reply.int(0),
        Some(o) if !o.v.is_string() => c.reply.err_code(WRONGTYPE),
        Some(o) => c.reply.int(o.v.string_len() as i64),
    }
}

/// The byte range GETRANGE returns for `start..=end` (negative counts from
/// the end) over a string of `len` bytes, or None for an empty reply.
fn range_of(mut start: i64, mut end: i64, len: usize) -> Option<(usize, usize)> {
    let n = len as i64;
    if start < 0 && end < 0 && start > end {
        return None;
    }
    if start < 0 {
        start += n;
    }
    if end < 0 {
        end += n;
    }
    start = start.max(0);
    end = end.max(0).min(n - 1);
    if len == 0 || start > end {
        return None;
    }
    Some((start as usize, end as usize))
}

/// GETRANGE and its old name SUBSTR.
fn getrange(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(start) = super::arg_i64(c, &argv[2]) else {
        return;
    };
    let Some(end) = super::arg_i64(c, &argv[3]) else {
        return;
    };
    let now = srv.now_ms;
    match srv.dbs[c.db].lookup_read(&argv[1], now) {
        None => c.reply.bulk(b""),
        Some(o) if !o.v.is_string() => c.reply.err_code(WRONGTYPE),
        Some(o) => {
            let s = o.v.string_bytes();
            match range_of(start, end, s.len()) {
                Some((a, b)) => c.reply.bulk(&s[a..=b]),
                None => c.reply.bulk(b""),
            }
        }
    }
}

fn setrange(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(offset) = super::arg_i64(c, &argv[2]) else {
        return;
    };
    if offset < 0 {
        c.reply.err("offset is out of range");
        return;
    }
    let now = srv.now_ms;
    let (key, piece) = (&argv[1], &argv[3]);
    let exists = match srv.dbs[c.db].lookup(key, now) {
        None => false,
        Some(o) if !o.v.is_string() => {
            c.reply.err_code(WRONGTYPE);
            return;
        }
        Some(o) => {
            if piece.is_empty() {
                // Nothing to write: the value keeps its encoding.
                c.reply.int(o.v.string_len() as i64);
                return;
            }
            true
        }
    };
    if !exists && piece.is_empty() {
        c.reply.int(0);
        return;
    }
    if !check_string_length(srv, c, offset, piece.len() as i64) {
        return;
    }
    let offset = offset as usize;
    let need = offset + piece.len();
    let write = |mut v: Vec<u8>| {
        if v.len() < need {
            v.reserve_exact(need - v.len());
            v.resize(need, 0);
        }
        v[offset..need].copy_from_slice(piece);
        v
    };
    let db = &mut srv.dbs[c.db];
    let len = if exists {
        let o = db.get_mut(&key[..]).expect("looked up above");
        let v = write(take_bytes(&mut o.v));
        let len = v.len();
        o.set_value(Value::Str(SmallBytes::from_vec(v)), true);
        len
    } else {
        let v = write(Vec::new());
        let len = v.len();
        let mut o = Obj::new(Value::Int(0), new_stamp(now));
        o.set_value(Value::Str(SmallBytes::from_vec(v)), true);
        db.insert_obj(key, o);
        len
    };
    srv.dirty += 1;
    srv.signal_modified_key(c.db, key);
    if !exists {
        srv.notify(c, notify::NEW, "new", key, c.db);
    }
    srv.notify(c, notify::STRING, "setrange", key, c.db);
    c.reply.int(len as i64);
}

// ---------------------------------------------------------------------------
// Counters

/// INCR, DECR, INCRBY, DECRBY: add `by` to the integer value (0 when the
/// key is missing), keeping the TTL; the result is int-encoded.
fn incr_by(srv: &mut Server, c: &mut Client, key: &[u8], by: i64) {
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    let Some(o) = db.lookup(key, now) else {
        db.set(key, Value::Int(by), false, now);
        srv.dirty += 1;
        srv.signal_modified_key(c.db, key);
        srv.notify(c, notify::NEW, "new", key, c.db);
        srv.notify(c, notify::STRING, "incrby", key, c.db);
        c.reply.int(by);
        return;
    };
    let cur = match &o.v {
        Value::Int(n) => *n,
        Value::Str(s) => match parse_i64(s) {
            Some(n) => n,
            None => {
                c.reply.err(NOT_INTEGER);
                return;
            }
        },
        _ => {
            c.reply.err_code(WRONGTYPE);
            return;
        }
    };
    let Some(new) = cur.checked_add(by) else {
        c.reply.err(OVERFLOW);
        return;
    };
    o.set_value(Value::Int(new), false);
    srv.dirty += 1;
    srv.signal_modified_key(c.db, key);
    srv.notify(c, notify::STRING, "incrby", key, c.db);
    c.reply.int(new);
}

fn incr(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    incr_by(srv, c, &argv[1], 1);
}

fn decr(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    incr_by(srv, c, &argv[1], -1);
}

fn incrby(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    if let Some(by) = super::arg_i64(c, &argv[2]) {
        incr_by(srv, c, &argv[1], by);
    }
}

fn decrby(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(by) = super::arg_i64(c, &argv[2]) else {
        return;
    };
    if by == i64::MIN {
        c.reply.err("decrement would overflow");
        return;
    }
    incr_by(srv, c, &argv[1], -by);
}

/// INCRBYFLOAT: long double addition (util::num::ld_add), the result stored
/// as a plain string and answered as a bulk string in both protocols.
fn incrbyfloat(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let key = &argv[1];
    let db = &mut srv.dbs[c.db];
    let sum = match db.lookup(key, now) {
        Some(o) if !o.v.is_string() => {
            c.reply.err_code(WRONGTYPE);
            return;
        }
        Some(o) => num::ld_add(&o.v.string_bytes(), &argv[2]),
        None => num::ld_add(b"0", &argv[2]),
    };
    let sum = match sum {
        Ok(s) => s,
        Err(LdError::BadFirst | LdError::BadSecond) => {
            c.reply.err(NOT_FLOAT);
            return;
        }
        Err(LdError::NanOrInf) => {
            c.reply.err("increment would produce NaN or Infinity");
            return;
        }
    };
    // The reply goes after the events (a RESP3 client may be subscribed).
    let reply = sum.clone();
    let v = Value::Str(SmallBytes::from_vec(sum));
    let created = match db.get_mut(&key[..]) {
        Some(o) => {
            o.set_value(v, false);
            false
        }
        None => db.set(key, v, false, now),
    };
    srv.dirty += 1;
    srv.signal_modified_key(c.db, key);
    if created {
        srv.notify(c, notify::NEW, "new", key, c.db);
    }
    srv.notify(c, notify::STRING, "incrbyfloat", key, c.db);
    // Replayed exactly, whatever the float formatting: SET … KEEPTTL.
    srv.prop.rewrite(vec![
        Bytes::from_static(b"SET"),
        key.clone(),
        Bytes::copy_from_slice(&reply),
        Bytes::from_static(b"KEEPTTL"),
    ]);
    c.reply.bulk(&reply);
}

// ---------------------------------------------------------------------------
// LCS

/// One matching range of LCS IDX: positions in a and in b (inclusive).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
struct Match {
    a: (u32, u32),
    b: (u32, u32),
}

impl Match {
    fn len(&self) -> u32 {
        self.a.1 - self.a.0 + 1
    }
}

/// The longest common subsequence of `a` and `b`, by the classic dynamic
/// programming table, plus (when `ranges`) its contiguous matching ranges
/// from the end of the strings towards the start, as Redis lists them.
/// `table` is the scratch table, `(a.len()+1) * (b.len()+1)` entries.
fn lcs_compute(a: &[u8], b: &[u8], table: &mut [u32], ranges: bool) -> (Vec<u8>, Vec<Match>) {
    let w = b.len() + 1;
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            table[i * w + j] = if a[i - 1] == b[j - 1] {
                table[(i - 1) * w + j - 1] + 1
            } else {
                table[(i - 1) * w + j].max(table[i * w + j - 1])
            };
        }
    }
    let total = table[a.len() * w + b.len()] as usize;
    let mut out = vec![0u8; total];
    let mut matches = Vec::new();
    let mut cur: Option<Match> = None;
    let (mut i, mut j, mut k) = (a.len(), b.len(), total);
    while i > 0 && j > 0 {
        if a[i - 1] == b[j - 1] {
            out[k - 1] = a[i - 1];
            k -= 1;
            let (ai, bj) = ((i - 1) as u32, (j - 1) as u32);
            cur = Some(match cur {
                // Consecutive matches extend the range backwards.
                Some(m) if m.a.0 == ai + 1 && m.b.0 == bj + 1 => Match {
                    a: (ai, m.a.1),
                    b: (bj, m.b.1),
                },
                Some(m) => {
                    matches.push(m);
                    Match {
                        a: (ai, ai),
                        b: (bj, bj),
                    }
                }
                None => Match {
                    a: (ai, ai),
                    b: (bj, bj),
                },
            });
            i -= 1;
            j -= 1;
        } else {
            if table[(i - 1) * w + j] > table[i * w + j - 1] {
                i -= 1;
            } else {
                j -= 1;
            }
            if let Some(m) = cur.take() {
                matches.push(m);
            }
        }
    }
    if let Some(m) = cur {
        matches.push(m);
    }
    if !ranges {
        matches.clear();
    }
    (out, matches)
}

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
fn lcs(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let db = &mut srv.dbs[c.db];
    let mut strs: [Option<Vec<u8>>; 2] = [None, None];
    let mut wrong = false;
    for (slot, key) in strs.iter_mut().zip(&argv[1..3]) {
        match db.lookup_read(key, now) {
            Some(o) if !o.v.is_string() => wrong = true,
            Some(o) => *slot = Some(o.v.string_bytes().into_owned()),
            None => {}
        }
    }
    if wrong {
        c.reply.err("The specified keys must contain string values");
        return;
    }
    let [a, b] = strs.map(Option::unwrap_or_default);
    let (mut getlen, mut getidx, mut withmatchlen, mut minmatchlen) = (false, false, false, 0i64);
    let mut j = 3;
    while j < argv.len() {
        let opt = c_str(&argv[j]);
        if is(opt, "idx") {
            getidx = true;
        } else if is(opt, "len") {
            getlen = true;
        } else if is(opt, "withmatchlen") {
            withmatchlen = true;
        } else if is(opt, "minmatchlen") && j + 1 < argv.len() {
            let Some(n) = super::arg_i64(c, &argv[j + 1]) else {
                return;
            };
            minmatchlen = n.max(0);
            j += 1;
        } else {
            c.reply.err(SYNTAX_ERR);
            return;
        }
        j += 1;
    }
    if getlen && getidx {
        c.reply
            .err("If you want both the length and indexes, please just use IDX.");
        return;
    }
    if a.len() >= u32::MAX as usize - 1 || b.len() >= u32::MAX as usize - 1 {
        c.reply.err("String too long for LCS");
        return;
    }
    let cells = (a.len() + 1) as u128 * (b.len() + 1) as u128;
    if cells * 4 > srv.cfg.proto_max_bulk_len as u128 {
        c.reply
            .err("Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
        return;
    }
    let cells = cells as usize;
    let mut table: Vec<u32> = Vec::new();
    if table.try_reserve_exact(cells).is_err() {
        c.reply
            .err("Insufficient memory, failed allocating transient memory for LCS");
        return;
    }
    table.resize(cells, 0);
    if getlen {
        // The length alone needs only the table's last cell.
        let (out, _) = lcs_compute(&a, &b, &mut table, false);
        c.reply.int(out.len() as i64);
        return;
    }
    let (out, matches) = lcs_compute(&a, &b, &mut table, getidx);
    if !getidx {
        c.reply.bulk(&out);
        return;
    }
    let shown: Vec<&Match> = matches
        .iter()
        .filter(|m| minmatchlen == 0 || m.len() as i64 >= minmatchlen)
        .collect();
    c.reply.map_len(2);
    c.reply.bulk(b"matches");
    c.reply.array_len(shown.len());
    for m in shown {
        c.reply.array_len(if withmatchlen { 3 } else { 2 });
        c.reply.array_len(2);
        c.reply.int(m.a.0 as i64);
        c.reply.int(m.a.1 as i64);
        c.reply.array_len(2);
        c.reply.int(m.b.0 as i64);
        c.reply.int(m.b.1 as i64);
        if withmatchlen {
            c.reply.int(m.len() as i64);
        }
    }
    c.reply.bulk(b"len");
    c.reply.int(out.len() as i64);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<Bytes> {
        s.iter()
            .map(|a| Bytes::copy_from_slice(a.as_bytes()))
            .collect()
    }

    #[test]
    fn set_options() {
        let p = |s: &[&str]| parse_ext(&args(s), true);
        let o = p(&["set", "k", "v", "nx", "get", "px", "100"]).unwrap();
        assert!(o.nx && o.get && !o.xx);
        assert_eq!(o.expire, Some((ExpireKind::Px, 6)));
        assert!(p(&["set", "k", "v", "nx", "xx"]).is_none());
        assert!(p(&["set", "k", "v", "keepttl", "ex", "1"]).is_none());
        assert!(p(&["set", "k", "v", "ex", "1", "keepttl"]).is_none());
        assert!(p(&["set", "k", "v", "ex", "1", "px", "1"]).is_none());
        assert!(p(&["set", "k", "v", "ex"]).is_none());
        assert!(p(&["set", "k", "v", "persist"]).is_none());
        // The same expiry twice: the last one wins.
        let o = p(&["set", "k", "v", "EX", "1", "ex", "2"]).unwrap();
        assert_eq!(o.expire, Some((ExpireKind::Ex, 6)));
        let g = |s: &[&str]| parse_ext(&args(s), false);
        assert!(g(&["getex", "k", "persist"]).unwrap().persist);
        assert!(g(&["getex", "k", "persist", "ex", "1"]).is_none());
        assert!(g(&["getex", "k", "nx"]).is_none());
        assert!(g(&["getex", "k", "get"]).is_none());
        assert!(g(&["getex", "k", "keepttl"]).is_none());
        assert_eq!(
            g(&["getex", "k", "exat", "5"]).unwrap().expire,
            Some((ExpireKind::ExAt, 3))
        );
    }

    #[test]
    fn expire_times() {
        use ExpireKind::*;
        assert_eq!(expire_at(Ex, b"10", 1000), Ok(11000));
        assert_eq!(expire_at(Px, b"10", 1000), Ok(1010));
        assert_eq!(expire_at(ExAt, b"10", 1000), Ok(10000));
        assert_eq!(expire_at(PxAt, b"10", 1000), Ok(10));
        assert_eq!(expire_at(Ex, b"x", 0), Err(ExpireErr::NotInteger));
        assert_eq!(expire_at(Ex, b"0", 0), Err(ExpireErr::Invalid));
        assert_eq!(expire_at(Px, b"-1", 0), Err(ExpireErr::Invalid));
        let max = i64::MAX.to_string();
        assert_eq!(expire_at(Ex, max.as_bytes(), 0), Err(ExpireErr::Invalid));
        assert_eq!(expire_at(Px, max.as_bytes(), 5), Err(ExpireErr::Invalid));
        assert_eq!(expire_at(PxAt, max.as_bytes(), 5), Ok(i64::MAX));
        assert_eq!(
            expire_at(ExAt, b"9223372036854775", 0),
            Ok(9223372036854775000)
        );
    }

    #[test]
    fn ranges() {
        assert_eq!(range_of(0, 3, 11), Some((0, 3)));
        assert_eq!(range_of(0, -1, 11), Some((0, 10)));
        assert_eq!(range_of(-4, -1, 11), Some((7, 10)));
        assert_eq!(range_of(5, 3, 11), None);
        assert_eq!(range_of(5, 5000, 11), Some((5, 10)));
        assert_eq!(range_of(-5000, 10000, 11), Some((0, 10)));
        assert_eq!(range_of(-1, -5, 11), None);
        assert_eq!(range_of(0, -1, 0), None);
        assert_eq!(range_of(0, 4294967297, 3), Some((0, 2)));
        assert_eq!(range_of(i64::MIN, i64::MAX, 3), Some((0, 2)));
    }

    fn lcs_of(a: &str, b: &str) -> (String, Vec<Match>) {
        let mut t = vec![0u32; (a.len() + 1) * (b.len() + 1)];
        let (s, m) = lcs_compute(a.as_bytes(), b.as_bytes(), &mut t, true);
        (String::from_utf8(s).unwrap(), m)
    }

    #[test]
    fn lcs_matches() {
        let (s, m) = lcs_of("ohmytext", "mynewtext");
        assert_eq!(s, "mytext");
        assert_eq!(
            m,
            vec![
                Match {
                    a: (4, 7),
                    b: (5, 8)
                },
                Match {
                    a: (2, 3),
                    b: (0, 1)
                }
            ]
        );
        assert_eq!(lcs_of("", "abc"), (String::new(), vec![]));
        assert_eq!(lcs_of("abc", "xyz").0, "");
        assert_eq!(lcs_of("abc", "abc").1.len(), 1);
    }

    /// A server and a client (over a socketpair nobody reads), to run
    /// commands through `Server::execute` and look at the stored objects.
    fn harness() -> (Server, Client) {
        let srv = Server::new(crate::config::Config::default()).unwrap();
        let (a, _) = mio::net::UnixStream::pair().unwrap();
        let mut c = Client::new(
            1,
            0,
            crate::net::Conn::Unix(a),
            String::new(),
            String::new(),
            0,
        );
        c.authenticated = true;
        (srv, c)
    }

    fn run(srv: &mut Server, c: &mut Client, cmd: &[&str]) -> String {
        c.reply.clear();
        srv.execute(c, args(cmd));
        String::from_utf8_lossy(&c.reply.buf).into_owned()
    }

    fn enc(srv: &Server, key: &str) -> &'static str {
        srv.dbs[0].keys.get(key.as_bytes()).unwrap().encoding()
    }

    #[test]
    fn encodings_follow_redis() {
        let (mut s, mut c) = harness();
        let long = "x".repeat(45);
        for (cmd, key, want) in [
            (vec!["set", "a", "123"], "a", "int"),
            (vec!["set", "a", "0123"], "a", "embstr"),
            (vec!["set", "a", &long], "a", "raw"),
            (vec!["set", "b", "1234"], "b", "int"),
            (vec!["setrange", "b", "0", ""], "b", "int"),
            (vec!["setrange", "b", "0", "2"], "b", "raw"),
            (vec!["incr", "b"], "b", "int"),
            (vec!["append", "c", "42"], "c", "int"),
            (vec!["append", "c", "1"], "c", "raw"),
            (vec!["append", "c", ""], "c", "raw"),
            (vec!["setrange", "d", "0", "7"], "d", "raw"),
            (vec!["incrbyfloat", "e", "1"], "e", "embstr"),
            (vec!["incrbyfloat", "e", "1.5"], "e", "embstr"),
            (vec!["getset", "e", "9"], "e", "int"),
            (vec!["mset", "f", "x", "g", "-5"], "g", "int"),
            (vec!["setex", "h", "100", "77"], "h", "int"),
            (vec!["set", "i", "v", "get"], "i", "embstr"),
            (vec!["decrby", "j", "5"], "j", "int"),
        ] {
            let r = run(&mut s, &mut c, &cmd);
            assert!(!r.starts_with('-'), "{cmd:?}: {r}");
            assert_eq!(enc(&s, key), want, "{cmd:?}");
        }
        assert_eq!(run(&mut s, &mut c, &["get", "d"]), "$1\r\n7\r\n");
        assert_eq!(run(&mut s, &mut c, &["get", "e"]), "$1\r\n9\r\n");
    }

    #[test]
    fn ttl_kept_or_dropped() {
        let (mut s, mut c) = harness();
        let far = "100000";
        for k in [
            "keep1", "keep2", "keep3", "keep4", "drop1", "drop2", "drop3",
        ] {
            run(&mut s, &mut c, &["set", k, "1", "ex", far]);
        }
        run(&mut s, &mut c, &["incr", "keep1"]);
        run(&mut s, &mut c, &["append", "keep2", "x"]);
        run(&mut s, &mut c, &["setrange", "keep3", "3", "x"]);
        run(&mut s, &mut c, &["set", "keep4", "2", "keepttl"]);
        run(&mut s, &mut c, &["set", "drop1", "2"]);
        run(&mut s, &mut c, &["getset", "drop2", "2"]);
        run(&mut s, &mut c, &["getex", "drop3", "persist"]);
        let db = &s.dbs[0];
        for k in ["keep1", "keep2", "keep3", "keep4"] {
            assert!(db.get_expire(k.as_bytes()).is_some(), "{k}");
        }
        for k in ["drop1", "drop2", "drop3"] {
            assert!(db.get_expire(k.as_bytes()).is_none(), "{k}");
        }
        // Relative and absolute times become absolute milliseconds.
        run(&mut s, &mut c, &["set", "t", "v", "pxat", "99999999999999"]);
        assert_eq!(s.dbs[0].get_expire(b"t"), Some(99999999999999));
        run(&mut s, &mut c, &["getex", "t", "exat", "99999999999"]);
        assert_eq!(s.dbs[0].get_expire(b"t"), Some(99999999999000));
        let before = s.now_ms;
        run(&mut s, &mut c, &["psetex", "t", "5000", "v"]);
        let t = s.dbs[0].get_expire(b"t").unwrap();
        assert!(t >= before + 5000 && t <= s.now_ms + 5000);
        // A past absolute time in GETEX deletes the key.
        assert_eq!(
            run(&mut s, &mut c, &["getex", "t", "pxat", "1"]),
            "$1\r\nv\r\n"
        );
        assert!(s.dbs[0].keys.get(&b"t"[..]).is_none());
    }
}
