//! Stream commands (Redis 7.0's `t_stream.c`, without consumer groups):
//! XADD, XRANGE/XREVRANGE, XLEN, XDEL, XTRIM, XSETID and XREAD (blocking
//! too), plus the pieces the consumer-group commands share with them: ID
//! arguments, stream lookups, entry replies, node limits and the XREAD /
//! XREADGROUP argument parser.
//!
//! The data model is `types/stream.rs`. Field and value bytes are copied
//! into the stream (`SmallBytes::new`), never kept as argument slices.
//!
//! Propagation is in effective form, as Redis rewrites its argv: an XADD
//! ID that was generated (`*` or `ms-*`) is propagated as the ID used, and
//! an approximate trim (`MAXLEN ~ n`, `MINID ~ id`) of XADD/XTRIM as the
//! exact trim it amounted to (`MAXLEN = <length after>` or `MINID = <first
//! ID left>`), so a replay trims the same entries whatever its node sizes.
//!
//! Blocking XREAD: a client that finds nothing blocks through
//! `crate::blocking` on its keys; the argv kept for the re-run carries the
//! IDs resolved at block time (`$` becomes the stream's last ID then), as
//! Redis keeps them in the client's blocking state. Run again because a key
//! became ready, it serves only that key, and at most 1000 entries when no
//! COUNT was given (XREAD_BLOCKED_DEFAULT_COUNT). XADD signals its key.

use bytes::Bytes;

use super::{Handler, SYNTAX_ERR, WRONGTYPE, is, text};
use crate::blocking;
use crate::net::Client;
use crate::notify;
use crate::server::Server;
use crate::types::Value;
use crate::types::small::SmallBytes;
use crate::types::stream::{Entry, NodeLimits, Stream, StreamId, Trim};

pub const COMMANDS: &[(&str, Handler)] = &[
    ("xadd", xadd),
    ("xrange", xrange),
    ("xrevrange", xrevrange),
    ("xlen", xlen),
    ("xdel", xdel),
    ("xtrim", xtrim),
    ("xsetid", xsetid),
    ("xread", xread),
];

// ---------------------------------------------------------------------------
// Shared pieces (also used by the consumer-group commands)

pub const INVALID_ID: &str = "Invalid stream ID specified as stream command argument";

/// Redis's string2ull: a plain decimal (string2ll, not negative), or what
/// strtoull takes whole (leading spaces, a sign, leading zeros, values past
/// i64).
fn parse_ull(b: &[u8]) -> Option<u64> {
    if let Some(n) = crate::util::num::parse_i64(b) {
        return u64::try_from(n).ok();
    }
    let mut i = b
        .iter()
        .take_while(|&&ch| matches!(ch, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))
        .count();
    let neg = match b.get(i) {
        Some(b'+') => {
            i += 1;
            false
        }
        Some(b'-') => {
            i += 1;
            true
        }
        _ => false,
    };
    let digits = &b[i..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut n: u64 = 0;
    for &d in digits {
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if neg { n.wrapping_neg() } else { n })
}

/// Parse a stream ID argument as Redis's streamGenericParseIDOrReply:
/// `ms-seq`, `ms` (sequence `missing_seq`), `-` and `+` unless `strict`,
/// and `ms-*` when `allow_star` (then the second value is false: the
/// sequence is to be generated). None when invalid.
pub fn parse_id(
    arg: &[u8],
    missing_seq: u64,
    strict: bool,
    allow_star: bool,
) -> Option<(StreamId, bool)> {
    if arg.len() > 127 {
        return None;
    }
    // The C code reads the argument as a C string.
    let arg = match arg.iter().position(|&b| b == 0) {
        Some(n) => &arg[..n],
        None => arg,
    };
    match arg {
        b"-" | b"+" if strict => None,
        b"-" => Some((StreamId::ZERO, true)),
        b"+" => Some((StreamId::MAX, true)),
        _ => match arg.iter().position(|&b| b == b'-') {
            None => Some((StreamId::new(parse_ull(arg)?, missing_seq), true)),
            Some(i) => {
                let ms = parse_ull(&arg[..i])?;
                let seq = &arg[i + 1..];
                if allow_star && seq == b"*" {
                    Some((StreamId::new(ms, 0), false))
                } else {
                    Some((StreamId::new(ms, parse_ull(seq)?), true))
                }
            }
        },
    }
}

/// An ID argument where `-` and `+` are allowed, replying Redis's error
/// when invalid.
pub fn arg_id(c: &mut Client, arg: &[u8], missing_seq: u64) -> Option<StreamId> {
    id_or_reply(c, parse_id(arg, missing_seq, false, false))
}

/// An ID argument where `-` and `+` are invalid (streamParseStrictIDOrReply).
pub fn arg_strict_id(c: &mut Client, arg: &[u8], missing_seq: u64) -> Option<StreamId> {
    id_or_reply(c, parse_id(arg, missing_seq, true, false))
}

fn id_or_reply(c: &mut Client, id: Option<(StreamId, bool)>) -> Option<StreamId> {
    match id {
        Some((id, _)) => Some(id),
        None => {
            c.reply.err(INVALID_ID);
            None
        }
    }
}

/// A range bound (streamParseIntervalIDOrReply): `(id` is exclusive (and
/// strict), anything else as `arg_id`. Returns the ID and whether it is
/// exclusive.
pub fn arg_interval_id(c: &mut Client, arg: &[u8], missing_seq: u64) -> Option<(StreamId, bool)> {
    if arg.len() > 1 && arg[0] == b'(' {
        arg_strict_id(c, &arg[1..], missing_seq).map(|id| (id, true))
    } else {
        arg_id(c, arg, missing_seq).map(|id| (id, false))
    }
}

/// A lookup failed and its error was already replied.
#[derive(Debug)]
pub struct Replied;

/// The stream at `key` for a read command (keyspace hits and misses
/// counted). `Err` after replying WRONGTYPE.
pub fn read_stream<'a>(
    srv: &'a mut Server,
    c: &mut Client,
    key: &[u8],
) -> Result<Option<&'a mut Stream>, Replied> {
    let now = srv.now_ms;
    as_stream(c, srv.dbs[c.db].lookup_read(key, now).map(|o| &mut o.v))
}

/// The stream at `key` for a write command. `Err` after replying
/// WRONGTYPE.
pub fn write_stream<'a>(
    srv: &'a mut Server,
    c: &mut Client,
    key: &[u8],
) -> Result<Option<&'a mut Stream>, Replied> {
    let now = srv.now_ms;
    as_stream(c, srv.dbs[c.db].lookup(key, now).map(|o| &mut o.v))
}

fn as_stream<'a>(
    c: &mut Client,
    v: Option<&'a mut Value>,
) -> Result<Option<&'a mut Stream>, Replied> {
    match v {
        None => Ok(None),
        Some(Value::Stream(s)) => Ok(Some(s)),
        Some(_) => {
            c.reply.err_code(WRONGTYPE);
            Err(Replied)
        }
    }
}

/// The stream at `key`, which the caller knows is one.
pub fn stream_mut<'a>(srv: &'a mut Server, c: &Client, key: &[u8]) -> &'a mut Stream {
    match &mut srv.dbs[c.db].get_mut(key).expect("looked up").v {
        Value::Stream(s) => s,
        _ => unreachable!("looked up as a stream"),
    }
}

/// Create an empty stream at `key` (known to be missing), with the `new`
/// keyspace event (streamTypeLookupWriteOrCreate).
pub fn create_stream(srv: &mut Server, c: &mut Client, key: &[u8]) {
    let now = srv.now_ms;
    srv.dbs[c.db].set(key, Value::Stream(Box::new(Stream::new())), false, now);
    srv.notify(c, notify::NEW, "new", key, c.db);
}

/// Node limits from the configuration (read at each write, so CONFIG SET
/// applies to the next entry).
pub fn node_limits(srv: &Server) -> NodeLimits {
    NodeLimits {
        max_bytes: srv.cfg.stream_node_max_bytes,
        max_entries: srv.cfg.stream_node_max_entries,
    }
}

pub fn reply_id(c: &mut Client, id: StreamId) {
    c.reply.bulk(id.to_string().as_bytes());
}

/// One entry: `[id, [field, value, …]]` (the same in RESP3).
pub fn reply_entry(c: &mut Client, e: &Entry) {
    c.reply.array_len(2);
    reply_id(c, e.id);
    c.reply.array_len(e.fields.len());
    for f in e.fields.iter() {
        c.reply.bulk(f.as_bytes());
    }
}

/// An array of entries; returns how many were sent.
pub fn reply_entries<'a>(c: &mut Client, entries: impl Iterator<Item = &'a Entry>) -> usize {
    let pos = c.reply.begin_deferred();
    let mut n = 0;
    for e in entries {
        reply_entry(c, e);
        n += 1;
    }
    c.reply.end_deferred_array(pos, n);
    n
}

/// XREAD/XREADGROUP reply: begin the outer collection (an array of
/// `[key, entries]` in RESP2, a map key → entries in RESP3). Call once the
/// first stream is known to be served.
pub fn begin_read_reply(c: &mut Client) -> usize {
    c.reply.begin_deferred()
}

/// One stream of the XREAD reply: the pair header (RESP2) and the key; its
/// entries follow.
pub fn read_reply_key(c: &mut Client, key: &[u8]) {
    if c.reply.resp == 2 {
        c.reply.array_len(2);
    }
    c.reply.bulk(key);
}

/// Close the XREAD reply with the number of streams served.
pub fn end_read_reply(c: &mut Client, pos: usize, n: usize) {
    if c.reply.resp == 2 {
        c.reply.end_deferred_array(pos, n);
    } else {
        c.reply.end_deferred_map(pos, n);
    }
}

/// Entries a blocked XREAD/XREADGROUP gets at most when no COUNT was given.
pub const BLOCKED_DEFAULT_COUNT: usize = 1000;

/// Parsed `[COUNT n] [BLOCK ms] [NOACK] [GROUP g c] STREAMS key… id…`.
pub struct ReadArgs<'a> {
    /// BLOCK's absolute deadline in ms (0 = forever); None without BLOCK.
    pub block: Option<i64>,
    /// 0 = no limit.
    pub count: usize,
    pub noack: bool,
    /// XREADGROUP's group and consumer names.
    pub group: Option<(&'a Bytes, &'a Bytes)>,
    pub keys: &'a [Bytes],
    pub ids: &'a [Bytes],
}

/// Parse XREAD's (`group_cmd` false) or XREADGROUP's arguments with
/// Redis's errors, in Redis's order. The IDs are left as given: each
/// command resolves them (`$`, `>`, strict IDs) while looking the keys up.
pub fn parse_read_args<'a>(
    srv: &Server,
    c: &mut Client,
    argv: &'a [Bytes],
    group_cmd: bool,
) -> Option<ReadArgs<'a>> {
    let mut a = ReadArgs {
        block: None,
        count: 0,
        noack: false,
        group: None,
        keys: &[],
        ids: &[],
    };
    let mut streams_at = 0;
    let mut i = 1;
    while i < argv.len() {
        let more = argv.len() - i - 1;
        let o = &argv[i];
        if is(o, "block") && more > 0 {
            if crate::scripting::ctx().is_some() {
                c.reply.err(&format!(
                    "{} command is not allowed with BLOCK option from scripts",
                    text(&argv[0])
                ));
                return None;
            }
            i += 1;
            let ms = match crate::util::num::parse_i64(&argv[i]) {
                Some(ms) => ms,
                None => {
                    c.reply.err("timeout is not an integer or out of range");
                    return None;
                }
            };
            if ms < 0 {
                c.reply.err("timeout is negative");
                return None;
            }
            a.block = Some(if ms > 0 {
                ms.saturating_add(srv.now_ms)
            } else {
                0
            });
        } else if is(o, "count") && more > 0 {
            i += 1;
            let n = super::arg_i64(c, &argv[i])?;
            a.count = n.max(0) as usize;
        } else if is(o, "streams") && more > 0 {
            streams_at = i + 1;
            if !(argv.len() - streams_at).is_multiple_of(2) {
                c.reply.err(
                    "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                );
                return None;
            }
            break;
        } else if is(o, "group") && more >= 2 {
            if !group_cmd {
                c.reply.err(
                    "The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
                );
                return None;
            }
            a.group = Some((&argv[i + 1], &argv[i + 2]));
            i += 2;
        } else if is(o, "noack") {
            if !group_cmd {
                c.reply.err(
                    "The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
                );
                return None;
            }
            a.noack = true;
        } else {
            c.reply.err(SYNTAX_ERR);
            return None;
        }
        i += 1;
    }
    if streams_at == 0 {
        c.reply.err(SYNTAX_ERR);
        return None;
    }
    if group_cmd && a.group.is_none() {
        c.reply.err("Missing GROUP option for XREADGROUP");
        return None;
    }
    let n = (argv.len() - streams_at) / 2;
    a.keys = &argv[streams_at..streams_at + n];
    a.ids = &argv[streams_at + n..];
    Some(a)
}

/// Blocking stream reads: a stream key may serve them; a null array on
/// timeout.
pub static STREAM_WAIT: blocking::Kind = blocking::Kind {
    ready: Value::is_stream,
    on_timeout: |c| c.reply.null_array(),
};

// ---------------------------------------------------------------------------
// XADD / XTRIM arguments

/// Parsed XADD/XTRIM options (streamAddTrimArgs).
struct AddTrimArgs {
    trim: Option<Trim>,
    approx: bool,
    /// Entries trimmed at most (0 = no limit).
    limit: u64,
    /// Index of the MAXLEN count / MINID id argument.
    trim_at: usize,
    nomkstream: bool,
    /// XADD's explicit ID and whether its sequence was given.
    id: Option<(StreamId, bool)>,
    /// Index of XADD's ID argument.
    id_at: usize,
}

const BOTH_STRATEGIES: &str =
    "syntax error, MAXLEN and MINID options at the same time are not compatible";

/// Parse the options of XADD (`xadd`) or XTRIM from `argv[2]` on.
fn parse_add_trim(srv: &Server, c: &mut Client, argv: &[Bytes], xadd: bool) -> Option<AddTrimArgs> {
    let mut a = AddTrimArgs {
        trim: None,
        approx: false,
        limit: 0,
        trim_at: 0,
        nomkstream: false,
        id: None,
        id_at: 0,
    };
    let mut limit_given = false;
    let mut i = 2;
    while i < argv.len() {
        let more = argv.len() - 1 - i;
        let opt = &argv[i];
        if xadd && &opt[..] == b"*" {
            break;
        } else if (is(opt, "maxlen") || is(opt, "minid")) && more > 0 {
            if a.trim.is_some() {
                c.reply.err(BOTH_STRATEGIES);
                return None;
            }
            a.approx = false;
            if more >= 2 && &argv[i + 1][..] == b"~" {
                a.approx = true;
                i += 1;
            } else if more >= 2 && &argv[i + 1][..] == b"=" {
                i += 1;
            }
            let v = &argv[i + 1];
            if is(opt, "maxlen") {
                let n = super::arg_i64(c, v)?;
                if n < 0 {
                    c.reply.err("The MAXLEN argument must be >= 0.");
                    return None;
                }
                a.trim = Some(Trim::MaxLen(n as u64));
            } else {
                a.trim = Some(Trim::MinId(arg_strict_id(c, v, 0)?));
            }
            i += 1;
            a.trim_at = i;
        } else if is(opt, "limit") && more > 0 {
            let n = super::arg_i64(c, &argv[i + 1])?;
            if n < 0 {
                c.reply.err("The LIMIT argument must be >= 0.");
                return None;
            }
            a.limit = n as u64;
            limit_given = true;
            i += 1;
        } else if xadd && is(opt, "nomkstream") {
            a.nomkstream = true;
        } else if xadd {
            match parse_id(opt, 0, true, true) {
                Some(id) => a.id = Some(id),
                None => {
                    c.reply.err(INVALID_ID);
                    return None;
                }
            }
            break;
        } else {
            c.reply.err(SYNTAX_ERR);
            return None;
        }
        i += 1;
    }
    a.id_at = i;
    if a.limit != 0 && a.trim.is_none() {
        c.reply
            .err("syntax error, LIMIT cannot be used without specifying a trimming strategy");
        return None;
    }
    if !xadd && a.trim.is_none() {
        c.reply
            .err("syntax error, XTRIM must be called with a trimming strategy");
        return None;
    }
    if c.is_master || crate::db::is_loading() {
        // The master or the AOF sent the exact form: no work cap.
        a.limit = 0;
    } else if limit_given {
        if !a.approx {
            c.reply
                .err("syntax error, LIMIT cannot be used without the special ~ option");
            return None;
        }
    } else if a.approx {
        // At most 100 nodes' worth of work per call.
        let n = 100u64.saturating_mul(srv.cfg.stream_node_max_entries as u64);
        a.limit = if n == 0 { 10000 } else { n.min(1_000_000) };
    } else {
        a.limit = 0;
    }
    Some(a)
}

/// Trim as parsed; returns the entries removed. With `~` the propagated
/// command states the exact effect (`=` and the length or the first ID
/// left), as Redis's streamRewriteTrimArgument.
fn trim_and_rewrite(s: &mut Stream, a: &AddTrimArgs, prop: &mut Option<Vec<Bytes>>) -> u64 {
    let Some(how) = a.trim else { return 0 };
    let deleted = s.trim(how, a.approx, a.limit);
    if a.approx
        && let Some(v) = prop.as_mut()
    {
        v[a.trim_at - 1] = Bytes::from_static(b"=");
        v[a.trim_at] = match how {
            Trim::MaxLen(_) => crate::propagate::int_arg(s.len() as i64),
            // The first entry of the first node, deleted or not.
            Trim::MinId(_) => Bytes::from(
                s.nodes
                    .keys()
                    .next()
                    .copied()
                    .unwrap_or(StreamId::MAX)
                    .to_bytes(),
            ),
        };
    }
    deleted
}

/// Redis's cap on the bytes of one entry (STREAM_LISTPACK_MAX_SIZE).
const ENTRY_MAX_BYTES: usize = 1 << 30;

// ---------------------------------------------------------------------------
// XADD

fn xadd(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(a) = parse_add_trim(srv, c, argv, true) else {
        return;
    };
    let fields_at = a.id_at + 1;
    if argv.len() < fields_at + 2 || (argv.len() - fields_at) % 2 == 1 {
        return c.reply.err("wrong number of arguments for 'xadd' command");
    }
    if let Some((id, true)) = a.id
        && id.is_zero()
    {
        return c
            .reply
            .err("The ID specified in XADD must be greater than 0-0");
    }
    let key = &argv[1];
    match write_stream(srv, c, key) {
        Err(Replied) => return,
        Ok(Some(_)) => {}
        Ok(None) if a.nomkstream => return c.reply.null(),
        Ok(None) => create_stream(srv, c, key),
    }
    let lim = node_limits(srv);
    let now = srv.now_ms;
    let s = stream_mut(srv, c, key);
    if s.last_id == StreamId::MAX {
        return c
            .reply
            .err("The stream has exhausted the last possible ID, unable to add more items");
    }
    let id = match a.id {
        Some((id, true)) => Some(id),
        Some((id, false)) if id.ms == s.last_id.ms => s
            .last_id
            .seq
            .checked_add(1)
            .map(|q| StreamId::new(id.ms, q)),
        Some((id, false)) => Some(id),
        None => s.next_id(now.max(0) as u64, None),
    };
    let Some(id) = id.filter(|&id| id > s.last_id) else {
        return c
            .reply
            .err("The ID specified in XADD is equal or smaller than the target stream top item");
    };
    let values = &argv[fields_at..];
    if values.iter().map(|v| v.len()).sum::<usize>() > ENTRY_MAX_BYTES {
        return c.reply.err("Elements are too large to be stored");
    }
    let fields: Box<[SmallBytes]> = values.iter().map(|v| SmallBytes::new(v)).collect();
    s.append(id, fields, lim);
    let mut prop = srv.prop.listening.then(|| argv.to_vec());
    let s = stream_mut(srv, c, key);
    let trimmed = trim_and_rewrite(s, &a, &mut prop);
    reply_id(c, id);
    srv.signal_modified_key(c.db, key);
    srv.notify(c, notify::STREAM, "xadd", key, c.db);
    srv.dirty += 1;
    if trimmed > 0 {
        srv.notify(c, notify::STREAM, "xtrim", key, c.db);
    }
    if let Some(mut v) = prop {
        if !matches!(a.id, Some((_, true))) {
            v[a.id_at] = Bytes::from(id.to_bytes());
        }
        if a.approx || !matches!(a.id, Some((_, true))) {
            srv.prop.rewrite(v);
        }
    }
    blocking::signal_key_ready(srv, c.db, key);
}

// ---------------------------------------------------------------------------
// XRANGE / XREVRANGE / XLEN

fn range_generic(srv: &mut Server, c: &mut Client, argv: &[Bytes], rev: bool) {
    let (start_arg, end_arg) = if rev {
        (&argv[3], &argv[2])
    } else {
        (&argv[2], &argv[3])
    };
    let Some((mut start, start_ex)) = arg_interval_id(c, start_arg, 0) else {
        return;
    };
    if start_ex {
        match start.incr() {
            Some(id) => start = id,
            None => return c.reply.err("invalid start ID for the interval"),
        }
    }
    let Some((mut end, end_ex)) = arg_interval_id(c, end_arg, u64::MAX) else {
        return;
    };
    if end_ex {
        match end.decr() {
            Some(id) => end = id,
            None => return c.reply.err("invalid end ID for the interval"),
        }
    }
    let mut count: Option<usize> = None;
    let mut j = 4;
    while j < argv.len() {
        if is(&argv[j], "count") && j + 1 < argv.len() {
            let Some(n) = super::arg_i64(c, &argv[j + 1]) else {
                return;
            };
            count = Some(n.max(0) as usize);
            j += 2;
        } else {
            return c.reply.err(SYNTAX_ERR);
        }
    }
    let s = match read_stream(srv, c, &argv[1]) {
        Err(Replied) => return,
        Ok(None) => return c.reply.array_len(0),
        Ok(Some(s)) => s,
    };
    let limit = match count {
        Some(0) => return c.reply.null_array(),
        Some(n) => n,
        None => usize::MAX,
    };
    if rev {
        reply_entries(c, s.range(start, end).rev().take(limit));
    } else {
        reply_entries(c, s.range(start, end).take(limit));
    }
}

fn xrange(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    range_generic(srv, c, argv, false);
}

fn xrevrange(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    range_generic(srv, c, argv, true);
}

fn xlen(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    match read_stream(srv, c, &argv[1]) {
        Err(Replied) => {}
        Ok(None) => c.reply.int(0),
        Ok(Some(s)) => c.reply.int(s.len() as i64),
    }
}

// ---------------------------------------------------------------------------
// XDEL / XTRIM / XSETID

fn xdel(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let key = &argv[1];
    match write_stream(srv, c, key) {
        Err(Replied) => return,
        Ok(None) => return c.reply.int(0),
        Ok(Some(_)) => {}
    }
    // All IDs are checked before any is deleted.
    let mut ids = Vec::with_capacity(argv.len() - 2);
    for a in &argv[2..] {
        let Some(id) = arg_strict_id(c, a, 0) else {
            return;
        };
        ids.push(id);
    }
    let s = stream_mut(srv, c, key);
    let deleted = ids.into_iter().filter(|&id| s.delete(id)).count();
    if deleted > 0 {
        srv.signal_modified_key(c.db, key);
        srv.notify(c, notify::STREAM, "xdel", key, c.db);
        srv.dirty += deleted as u64;
    }
    c.reply.int(deleted as i64);
}

fn xtrim(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(a) = parse_add_trim(srv, c, argv, false) else {
        return;
    };
    let key = &argv[1];
    match write_stream(srv, c, key) {
        Err(Replied) => return,
        Ok(None) => return c.reply.int(0),
        Ok(Some(_)) => {}
    }
    let mut prop = srv.prop.listening.then(|| argv.to_vec());
    let s = stream_mut(srv, c, key);
    let deleted = trim_and_rewrite(s, &a, &mut prop);
    if deleted > 0 {
        srv.notify(c, notify::STREAM, "xtrim", key, c.db);
        if a.approx
            && let Some(v) = prop
        {
            srv.prop.rewrite(v);
        }
        srv.signal_modified_key(c.db, key);
        srv.dirty += deleted;
    }
    c.reply.int(deleted as i64);
}

fn xsetid(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(id) = arg_strict_id(c, &argv[2], 0) else {
        return;
    };
    let mut entries_added: Option<u64> = None;
    let mut max_deleted = StreamId::ZERO;
    let mut i = 3;
    while i < argv.len() {
        let more = i + 1 < argv.len();
        if is(&argv[i], "entriesadded") && more {
            let Some(n) = super::arg_i64(c, &argv[i + 1]) else {
                return;
            };
            if n < 0 {
                return c.reply.err("entries_added must be positive");
            }
            entries_added = Some(n as u64);
        } else if is(&argv[i], "maxdeletedid") && more {
            let Some(m) = arg_strict_id(c, &argv[i + 1], 0) else {
                return;
            };
            if id < m {
                return c.reply.err(
                    "The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                );
            }
            max_deleted = m;
        } else {
            return c.reply.err(SYNTAX_ERR);
        }
        i += 2;
    }
    let key = &argv[1];
    let s = match write_stream(srv, c, key) {
        Err(Replied) => return,
        Ok(None) => return c.reply.err(super::NO_SUCH_KEY),
        Ok(Some(s)) => s,
    };
    if !s.is_empty() {
        let top = s.edge(true).map_or(StreamId::ZERO, |e| e.id);
        if id < top {
            return c
                .reply
                .err("The ID specified in XSETID is smaller than the target stream top item");
        }
        if entries_added.is_some_and(|n| s.len() > n) {
            return c.reply.err(
                "The entries_added specified in XSETID is smaller than the target stream length",
            );
        }
    }
    s.last_id = id;
    if let Some(n) = entries_added {
        s.entries_added = n;
    }
    if !max_deleted.is_zero() {
        s.max_deleted_id = max_deleted;
    }
    c.reply.ok();
    srv.dirty += 1;
    srv.notify(c, notify::STREAM, "xsetid", key, c.db);
}

// ---------------------------------------------------------------------------
// XREAD

fn xread(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(a) = parse_read_args(srv, c, argv, false) else {
        return;
    };
    // Run again for a key that became ready: serve from that key only.
    let rerun = c.blocked.is_some();
    let serving = blocking::serving_keys(c, a.keys);
    let serves = |k: &Bytes| serving.iter().any(|s| std::ptr::eq(s, k));
    let mut ids = Vec::with_capacity(a.keys.len());
    for (key, arg) in a.keys.iter().zip(a.ids) {
        if !serves(key) {
            ids.push(StreamId::ZERO);
            continue;
        }
        let last = match xread_lookup(srv, c, key, rerun) {
            Err(Replied) => return,
            Ok(s) => s.map_or(StreamId::ZERO, |s| s.last_id),
        };
        let id = if &arg[..] == b"$" {
            last
        } else if &arg[..] == b">" {
            return c.reply.err(
                "The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
            );
        } else {
            match arg_strict_id(c, arg, 0) {
                Some(id) => id,
                None => return,
            }
        };
        ids.push(id);
    }
    let count = match a.count {
        0 if rerun => BLOCKED_DEFAULT_COUNT,
        0 => usize::MAX,
        n => n,
    };
    let mut served = 0;
    let mut pos = 0;
    for (key, &gt) in a.keys.iter().zip(&ids) {
        if !serves(key) {
            continue;
        }
        let Ok(Some(s)) = xread_lookup(srv, c, key, rerun) else {
            continue;
        };
        // A waiter is served when the stream moved past its ID; a first
        // call when there is a live entry past it.
        let ready = if rerun {
            s.last_id > gt
        } else {
            s.edge(true).is_some_and(|e| e.id > gt)
        };
        if !ready {
            continue;
        }
        served += 1;
        if served == 1 {
            pos = begin_read_reply(c);
        }
        read_reply_key(c, key);
        match gt.incr() {
            Some(start) => reply_entries(c, s.range(start, StreamId::MAX).take(count)),
            None => reply_entries(c, std::iter::empty()),
        };
    }
    if served > 0 {
        return end_read_reply(c, pos, served);
    }
    let Some(deadline) = a.block else {
        return c.reply.null_array();
    };
    let first_block = !rerun;
    blocking::block(srv, c, a.keys, deadline, &STREAM_WAIT);
    // Keep the resolved IDs (`$` as it stood now) for the runs to come.
    if first_block && let Some(b) = c.blocked.as_mut() {
        let at = argv.len() - ids.len();
        let mut v = argv.to_vec();
        for (slot, id) in v[at..].iter_mut().zip(&ids) {
            *slot = Bytes::from(id.to_bytes());
        }
        b.argv = v;
    }
}

/// XREAD's lookups count keyspace hits and misses, except when serving a
/// waiter (Redis looks the ready key up with LOOKUP_NOSTATS then).
fn xread_lookup<'a>(
    srv: &'a mut Server,
    c: &mut Client,
    key: &[u8],
    serving_waiter: bool,
) -> Result<Option<&'a mut Stream>, Replied> {
    if serving_waiter {
        write_stream(srv, c, key)
    } else {
        read_stream(srv, c, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_as_redis() {
        let p = |s: &str| parse_id(s.as_bytes(), 7, false, false).map(|x| x.0);
        assert_eq!(p("5-3"), Some(StreamId::new(5, 3)));
        assert_eq!(p("5"), Some(StreamId::new(5, 7)));
        assert_eq!(p("-"), Some(StreamId::ZERO));
        assert_eq!(p("+"), Some(StreamId::MAX));
        // strtoull's forms are accepted, as string2ull falls back to it.
        assert_eq!(p("+1"), Some(StreamId::new(1, 7)));
        assert_eq!(p(" 2-007"), Some(StreamId::new(2, 7)));
        assert_eq!(
            p("18446744073709551615-1"),
            Some(StreamId::new(u64::MAX, 1))
        );
        for bad in [
            "",
            "a",
            "1-",
            "1-2-3",
            "18446744073709551616",
            "1--2",
            "1.5",
            "1-*",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
        let strict = |s: &str| parse_id(s.as_bytes(), 0, true, true);
        assert_eq!(strict("-"), None);
        assert_eq!(strict("+"), None);
        assert_eq!(strict("3-*"), Some((StreamId::new(3, 0), false)));
        assert_eq!(strict("3-4"), Some((StreamId::new(3, 4), true)));
        assert_eq!(p(&"1".repeat(128)), None);
    }
}
