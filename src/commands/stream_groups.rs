//! Consumer-group commands (Redis 7.0's `t_stream.c`): XGROUP and its
//! subcommands, XREADGROUP (blocking too), XACK, XPENDING, XCLAIM and
//! XAUTOCLAIM.
//!
//! The group rules are methods in `types/stream_group.rs`; handlers parse
//! (errors in Redis's order), reply and propagate. As Redis, group reads
//! and claims propagate in effective form and never as themselves: each
//! entry given to a consumer becomes `XCLAIM key group consumer 0 id TIME
//! t RETRYCOUNT n FORCE JUSTID LASTID last`, a NOACK read moves the group
//! with `XGROUP SETID … ENTRIESREAD n`, and a consumer NOACK reads create
//! is `XGROUP CREATECONSUMER`. Stream argument parsing, lookups and entry
//! replies are shared with `streams.rs`.
//!
//! A blocked XREADGROUP asks to hear of its keys' deletion too
//! (`blocking::wake_when_gone`): run again, it answers NOGROUP when its
//! group was destroyed and UNBLOCKED when the key is no longer a stream,
//! as Redis's serveClientsBlockedOnStreamKey /
//! unblockDeletedStreamReadgroupClients.

use bytes::Bytes;

use super::diagnostics::sub_syntax_err;
use super::streams::{
    BLOCKED_DEFAULT_COUNT, INVALID_ID, ReadArgs, arg_interval_id, arg_strict_id, begin_read_reply,
    create_stream, end_read_reply, parse_id, parse_read_args, read_reply_key, read_stream,
    reply_entry, reply_id, stream_mut, write_stream,
};
use super::{Handler, SYNTAX_ERR, is, text};
use crate::blocking;
use crate::net::Client;
use crate::notify;
use crate::propagate::{arg, int_arg};
use crate::server::Server;
use crate::types::Value;
use crate::types::stream::{ENTRIES_READ_INVALID, Group, Pending, Stream, StreamId};
use crate::types::stream_group::{ClaimOpts, Claimed, Delivered};

pub const COMMANDS: &[(&str, Handler)] = &[
    ("xgroup|create", xgroup_create),
    ("xgroup|setid", xgroup_setid),
    ("xgroup|destroy", xgroup_destroy),
    ("xgroup|createconsumer", xgroup_createconsumer),
    ("xgroup|delconsumer", xgroup_delconsumer),
    ("xgroup|help", xgroup_help),
    ("xreadgroup", xreadgroup),
    ("xack", xack),
    ("xpending", xpending),
    ("xclaim", xclaim),
    ("xautoclaim", xautoclaim),
];

// ---------------------------------------------------------------------------
// Shared pieces

fn id_arg(id: StreamId) -> Bytes {
    Bytes::from(id.to_string())
}

/// The group `name` of `s`.
fn group<'a>(s: &'a mut Stream, name: &[u8]) -> Option<&'a mut Group> {
    s.groups.get_mut(name)
}

/// The XCLAIM a consumer's pending entry propagates as
/// (streamPropagateXCLAIM).
fn xclaim_argv(key: &[u8], group: &[u8], id: StreamId, p: &Pending, last: StreamId) -> Vec<Bytes> {
    vec![
        arg("XCLAIM"),
        Bytes::copy_from_slice(key),
        Bytes::copy_from_slice(group),
        Bytes::copy_from_slice(p.consumer.as_bytes()),
        arg("0"),
        id_arg(id),
        arg("TIME"),
        int_arg(p.delivery_time),
        arg("RETRYCOUNT"),
        int_arg(p.delivery_count as i64),
        arg("FORCE"),
        arg("JUSTID"),
        arg("LASTID"),
        id_arg(last),
    ]
}

/// `XGROUP SETID key group last ENTRIESREAD n` (streamPropagateGroupID).
fn setid_argv(key: &[u8], group: &[u8], g: &Group) -> Vec<Bytes> {
    vec![
        arg("XGROUP"),
        arg("SETID"),
        Bytes::copy_from_slice(key),
        Bytes::copy_from_slice(group),
        id_arg(g.last_id),
        arg("ENTRIESREAD"),
        int_arg(g.entries_read),
    ]
}

/// A consumer was created: dirty, event (streamCreateConsumer).
fn consumer_created(srv: &mut Server, c: &mut Client, key: &[u8]) {
    srv.dirty += 1;
    srv.notify(c, notify::STREAM, "xgroup-createconsumer", key, c.db);
}

fn nogroup_err(c: &mut Client, key: &[u8], group: &[u8]) {
    c.reply.err_code(&format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        text(key),
        text(group)
    ));
}

/// An entry by ID, or `[id, nil]` when it was deleted (a consumer's
/// history keeps IDs of deleted entries).
fn reply_entry_or_nil(c: &mut Client, s: &Stream, id: StreamId) {
    match s.get(id) {
        Some(e) => reply_entry(c, e),
        None => {
            c.reply.array_len(2);
            reply_id(c, id);
            c.reply.null_array();
        }
    }
}

// ---------------------------------------------------------------------------
// XGROUP

/// Options after `XGROUP CREATE|SETID key group id`: MKSTREAM (CREATE
/// only) and ENTRIESREAD. None after replying an error.
fn xgroup_options(c: &mut Client, argv: &[Bytes], create: bool) -> Option<(bool, i64)> {
    let (mut mkstream, mut entries_read) = (false, ENTRIES_READ_INVALID);
    let mut i = 5;
    while i < argv.len() {
        if create && is(&argv[i], "mkstream") {
            mkstream = true;
            i += 1;
        } else if is(&argv[i], "entriesread") && i + 1 < argv.len() {
            let n = super::arg_i64(c, &argv[i + 1])?;
            if n < 0 && n != ENTRIES_READ_INVALID {
                c.reply.err("value for ENTRIESREAD must be positive or -1");
                return None;
            }
            entries_read = n;
            i += 2;
        } else {
            sub_syntax_err(c, argv);
            return None;
        }
    }
    Some((mkstream, entries_read))
}

const NEED_KEY: &str = "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";

/// The stream at `argv[2]` for an XGROUP subcommand, which must exist
/// (and, if `need_group`, hold group `argv[3]`). None after an error.
fn xgroup_stream<'a>(
    srv: &'a mut Server,
    c: &mut Client,
    argv: &[Bytes],
    need_group: bool,
) -> Option<&'a mut Stream> {
    let s = match write_stream(srv, c, &argv[2]) {
        Err(_) => return None,
        Ok(None) => {
            c.reply.err(NEED_KEY);
            return None;
        }
        Ok(Some(s)) => s,
    };
    if need_group && !s.groups.contains_key(&argv[3][..]) {
        c.reply.err_code(&format!(
            "NOGROUP No such consumer group '{}' for key name '{}'",
            text(&argv[3]),
            text(&argv[2])
        ));
        return None;
    }
    Some(s)
}

fn xgroup_create(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some((mkstream, entries_read)) = xgroup_options(c, argv, true) else {
        return;
    };
    let key = &argv[2];
    let exists = match write_stream(srv, c, key) {
        Err(_) => return,
        Ok(s) => s.is_some(),
    };
    if !exists && !mkstream {
        return c.reply.err(NEED_KEY);
    }
    if argv.len() > 8 {
        return sub_syntax_err(c, argv);
    }
    let id = if &argv[4][..] == b"$" {
        if exists {
            stream_mut(srv, c, key).last_id
        } else {
            StreamId::ZERO
        }
    } else {
        match arg_strict_id(c, &argv[4], 0) {
            Some(id) => id,
            None => return,
        }
    };
    if !exists {
        create_stream(srv, c, key);
        srv.signal_modified_key(c.db, key);
    }
    let s = stream_mut(srv, c, key);
    if s.groups.contains_key(&argv[3][..]) {
        return c
            .reply
            .err_code("BUSYGROUP Consumer Group name already exists");
    }
    s.groups.insert(
        crate::types::SmallBytes::new(&argv[3]),
        Group::new(id, entries_read),
    );
    c.reply.ok();
    srv.dirty += 1;
    srv.notify(c, notify::STREAM, "xgroup-create", key, c.db);
}

fn xgroup_setid(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some((_, entries_read)) = xgroup_options(c, argv, false) else {
        return;
    };
    let Some(s) = xgroup_stream(srv, c, argv, true) else {
        return;
    };
    if argv.len() != 5 && argv.len() != 7 {
        return sub_syntax_err(c, argv);
    }
    let id = if &argv[4][..] == b"$" {
        s.last_id
    } else {
        match parse_id(&argv[4], 0, false, false) {
            Some((id, _)) => id,
            None => return c.reply.err(INVALID_ID),
        }
    };
    let g = group(s, &argv[3]).expect("checked");
    g.last_id = id;
    g.entries_read = entries_read;
    c.reply.ok();
    srv.dirty += 1;
    srv.notify(c, notify::STREAM, "xgroup-setid", &argv[2], c.db);
}

fn xgroup_destroy(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(s) = xgroup_stream(srv, c, argv, false) else {
        return;
    };
    if s.groups.remove(&argv[3][..]).is_none() {
        return c.reply.int(0);
    }
    c.reply.int(1);
    srv.dirty += 1;
    srv.notify(c, notify::STREAM, "xgroup-destroy", &argv[2], c.db);
    // Clients blocked in XREADGROUP on it get NOGROUP.
    blocking::signal_key_ready(srv, c.db, &argv[2]);
}

fn xgroup_createconsumer(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let Some(s) = xgroup_stream(srv, c, argv, true) else {
        return;
    };
    let created = group(s, &argv[3])
        .expect("checked")
        .create_consumer(&argv[4], now);
    c.reply.int(created as i64);
    if created {
        consumer_created(srv, c, &argv[2]);
    }
}

fn xgroup_delconsumer(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(s) = xgroup_stream(srv, c, argv, true) else {
        return;
    };
    let deleted = group(s, &argv[3])
        .expect("checked")
        .delete_consumer(&argv[4]);
    c.reply.int(deleted.unwrap_or(0) as i64);
    if deleted.is_some() {
        srv.dirty += 1;
        srv.notify(c, notify::STREAM, "xgroup-delconsumer", &argv[2], c.db);
    }
}

fn xgroup_help(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.help(
        "XGROUP",
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    );
}

// ---------------------------------------------------------------------------
// XREADGROUP

/// Blocked XREADGROUP: a stream may serve it (it also hears of its key
/// being deleted or replaced, `wake_when_gone`); a null array on timeout.
static GROUP_WAIT: blocking::Kind = blocking::Kind {
    ready: Value::is_stream,
    on_timeout: |c| c.reply.null_array(),
};

/// Serve `consumer` of `group` from the stream at `key`: its history after
/// `history` when given, else new entries from `start`. Replies the entry
/// array, creates the consumer if needed and propagates what changed.
#[allow(clippy::too_many_arguments)]
fn serve_group(
    srv: &mut Server,
    c: &mut Client,
    key: &[u8],
    group_name: &[u8],
    consumer: &[u8],
    history: Option<StreamId>,
    start: StreamId,
    count: usize,
    noack: bool,
) {
    let now = srv.now_ms;
    let db = c.db;
    let s = stream_mut(srv, c, key);
    let g = group(s, group_name).expect("group checked");
    let created = !g.touch_consumer(consumer, now) && g.create_consumer(consumer, now);
    let mut ops = Vec::new();
    // A consumer NOACK reads create is propagated as such (XCLAIMs create
    // the others).
    if created && noack {
        ops.push(vec![
            arg("XGROUP"),
            arg("CREATECONSUMER"),
            Bytes::copy_from_slice(key),
            Bytes::copy_from_slice(group_name),
            Bytes::copy_from_slice(consumer),
        ]);
    }
    if let Some(after) = history {
        let h = s.consumer_history(group_name, consumer, after, count, now);
        c.reply.array_len(h.len());
        for (id, _) in &h {
            reply_entry_or_nil(c, s, *id);
        }
    } else {
        let last_before = s.groups[group_name].last_id;
        let d: Vec<Delivered> = s.deliver_new(group_name, consumer, start, count, noack, now);
        c.reply.array_len(d.len());
        let g = &s.groups[group_name];
        for x in &d {
            reply_entry(c, s.get(x.id).expect("delivered entry"));
            if !noack {
                let p = &g.pel[&x.id];
                ops.push(xclaim_argv(key, group_name, x.id, p, x.group_last_id));
            }
        }
        if noack && g.last_id != last_before {
            ops.push(setid_argv(key, group_name, g));
        }
    }
    if created {
        consumer_created(srv, c, key);
    }
    for op in ops {
        srv.prop.also(db, op);
    }
}

fn xreadgroup(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    // Propagated through the XCLAIMs and SETIDs it emits, never itself.
    srv.prop.prevent();
    let Some(a) = parse_read_args(srv, c, argv, true) else {
        return;
    };
    let (gname, cname) = a.group.expect("XREADGROUP has GROUP");
    if c.blocked.is_some() {
        return serve_blocked(srv, c, &a, gname, cname);
    }
    // Resolve keys, groups and IDs, key by key as Redis (None = `>`).
    let mut ids: Vec<Option<StreamId>> = Vec::with_capacity(a.keys.len());
    for (key, id) in a.keys.iter().zip(a.ids) {
        let found = match read_stream(srv, c, key) {
            Err(_) => return,
            Ok(s) => s.is_some_and(|s| s.groups.contains_key(&gname[..])),
        };
        if !found {
            return c.reply.err_code(&format!(
                "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                text(key),
                text(gname)
            ));
        }
        if &id[..] == b"$" {
            return c.reply.err(
                "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
            );
        }
        if &id[..] == b">" {
            ids.push(None);
            continue;
        }
        match arg_strict_id(c, id, 0) {
            // The largest ID is how Redis marks `>`.
            Some(StreamId::MAX) => ids.push(None),
            Some(id) => ids.push(Some(id)),
            None => return,
        }
    }
    let mut served = 0;
    let mut pos = 0;
    for (key, id) in a.keys.iter().zip(&ids) {
        // Looked up again, as Redis does (keyspace hits count both).
        let Ok(Some(s)) = read_stream(srv, c, key) else {
            continue;
        };
        let g = &s.groups[&gname[..]];
        let (history, start) = match id {
            Some(id) => (Some(id.incr().expect("below the maximum")), StreamId::ZERO),
            None if !s.is_empty() && s.last_valid_id() > g.last_id => {
                (None, g.last_id.incr().expect("below the last ID"))
            }
            None => continue,
        };
        served += 1;
        if served == 1 {
            pos = begin_read_reply(c);
        }
        read_reply_key(c, key);
        serve_group(srv, c, key, gname, cname, history, start, a.count, a.noack);
        srv.dirty += 1;
    }
    if served > 0 {
        return end_read_reply(c, pos, served);
    }
    match a.block {
        Some(deadline) => {
            blocking::block(srv, c, a.keys, deadline, &GROUP_WAIT);
            blocking::wake_when_gone(c);
        }
        None => c.reply.null_array(),
    }
}

/// A blocked XREADGROUP run again because its key (the serving one) may
/// have new entries, lost its group, or is gone.
fn serve_blocked(srv: &mut Server, c: &mut Client, a: &ReadArgs<'_>, gname: &[u8], cname: &[u8]) {
    let keys = blocking::serving_keys(c, a.keys);
    for key in keys {
        let now = srv.now_ms;
        let start = match srv.dbs[c.db].peek(key, now).map(|o| &o.v) {
            Some(Value::Stream(s)) => match s.groups.get(gname) {
                None => {
                    return c.reply.err_code(
                        "NOGROUP the consumer group this client was blocked on no longer exists",
                    );
                }
                Some(g) if s.last_id > g.last_id => g.last_id.incr().expect("below the last ID"),
                Some(_) => continue,
            },
            _ => {
                return c
                    .reply
                    .err_code("UNBLOCKED the stream key no longer exists");
            }
        };
        let count = if a.count == 0 {
            BLOCKED_DEFAULT_COUNT
        } else {
            a.count
        };
        let pos = begin_read_reply(c);
        read_reply_key(c, key);
        serve_group(srv, c, key, gname, cname, None, start, count, a.noack);
        return end_read_reply(c, pos, 1);
    }
    // Nothing new: keep waiting.
    blocking::block(srv, c, a.keys, 0, &GROUP_WAIT);
}

// ---------------------------------------------------------------------------
// XACK

fn xack(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let has_group = match read_stream(srv, c, &argv[1]) {
        Err(_) => return,
        Ok(s) => s.is_some_and(|s| s.groups.contains_key(&argv[2][..])),
    };
    if !has_group {
        return c.reply.int(0);
    }
    let mut ids = Vec::with_capacity(argv.len() - 3);
    for a in &argv[3..] {
        match arg_strict_id(c, a, 0) {
            Some(id) => ids.push(id),
            None => return,
        }
    }
    let s = stream_mut(srv, c, &argv[1]);
    let g = group(s, &argv[2]).expect("checked");
    let acked = ids.into_iter().filter(|id| g.ack(*id)).count();
    srv.dirty += acked as u64;
    c.reply.int(acked as i64);
}

// ---------------------------------------------------------------------------
// XPENDING

fn xpending(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let argc = argv.len();
    if argc != 3 && !(6..=9).contains(&argc) {
        return c.reply.err(SYNTAX_ERR);
    }
    // The range form: [IDLE min] start end count [consumer].
    let mut range = None;
    if argc >= 6 {
        let mut at = 3;
        let mut min_idle = 0;
        if is(&argv[3], "idle") {
            let Some(n) = super::arg_i64(c, &argv[4]) else {
                return;
            };
            min_idle = n;
            if argc < 8 {
                return c.reply.err(SYNTAX_ERR);
            }
            at += 2;
        }
        let Some(count) = super::arg_i64(c, &argv[at + 2]) else {
            return;
        };
        let Some((mut start, ex)) = arg_interval_id(c, &argv[at], 0) else {
            return;
        };
        if ex {
            match start.incr() {
                Some(s) => start = s,
                None => return c.reply.err("invalid start ID for the interval"),
            }
        }
        let Some((mut end, ex)) = arg_interval_id(c, &argv[at + 1], u64::MAX) else {
            return;
        };
        if ex {
            match end.decr() {
                Some(e) => end = e,
                None => return c.reply.err("invalid end ID for the interval"),
            }
        }
        let consumer = argv.get(at + 3);
        range = Some((min_idle, start, end, count.max(0) as usize, consumer));
    }
    let (key, gname) = (&argv[1], &argv[2]);
    let now = srv.now_ms;
    let s = match read_stream(srv, c, key) {
        Err(_) => return,
        Ok(s) => s,
    };
    let Some(g) = s.and_then(|s| s.groups.get(&gname[..])) else {
        return nogroup_err(c, key, gname);
    };
    let Some((min_idle, start, end, count, consumer)) = range else {
        // Summary: count, smallest and largest ID, consumers with pending.
        c.reply.array_len(4);
        c.reply.int(g.pel.len() as i64);
        let (Some(first), Some(last)) = (g.pel.keys().next(), g.pel.keys().next_back()) else {
            c.reply.null();
            c.reply.null();
            c.reply.null_array();
            return;
        };
        reply_id(c, *first);
        reply_id(c, *last);
        let with: Vec<_> = g
            .consumers
            .iter()
            .filter(|(_, k)| !k.pel.is_empty())
            .collect();
        c.reply.array_len(with.len());
        for (name, k) in with {
            c.reply.array_len(2);
            c.reply.bulk(name.as_bytes());
            c.reply.bulk_i64(k.pel.len() as i64);
        }
        return;
    };
    // Walked lazily: COUNT bounds the work, not the PEL's size.
    let empty = std::collections::BTreeSet::new();
    let pel = match consumer {
        Some(name) => match g.consumers.get(&name[..]) {
            Some(k) => &k.pel,
            None => return c.reply.array_len(0),
        },
        None => &empty,
    };
    let ids: Box<dyn Iterator<Item = StreamId>> = match consumer {
        _ if start > end => Box::new(std::iter::empty()),
        Some(_) => Box::new(pel.range(start..=end).copied()),
        None => Box::new(g.pel.range(start..=end).map(|(id, _)| *id)),
    };
    let pos = c.reply.begin_deferred();
    let mut n = 0;
    for id in ids {
        if n == count {
            break;
        }
        let p = &g.pel[&id];
        if min_idle != 0 && now - p.delivery_time < min_idle {
            continue;
        }
        n += 1;
        c.reply.array_len(4);
        reply_id(c, id);
        c.reply.bulk(p.consumer.as_bytes());
        c.reply.int((now - p.delivery_time).max(0));
        c.reply.int(p.delivery_count as i64);
    }
    c.reply.end_deferred_array(pos, n);
}

// ---------------------------------------------------------------------------
// XCLAIM / XAUTOCLAIM

/// Reply a claimed entry (only its ID with JUSTID).
fn claimed_reply(c: &mut Client, s: &Stream, id: StreamId, justid: bool) {
    if justid {
        reply_id(c, id);
    } else {
        reply_entry(c, s.get(id).expect("claimed entry exists"));
    }
}

fn xclaim(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    srv.prop.prevent();
    let (key, gname) = (&argv[1], &argv[2]);
    let has_group = match read_stream(srv, c, key) {
        Err(_) => return,
        Ok(s) => s.is_some_and(|s| s.groups.contains_key(&gname[..])),
    };
    if !has_group {
        return nogroup_err(c, key, gname);
    }
    let Some(min_idle) = parse_i64_or(c, &argv[4], "Invalid min-idle-time argument for XCLAIM")
    else {
        return;
    };
    let mut ids = Vec::new();
    let mut j = 5;
    while j < argv.len() {
        match parse_id(&argv[j], 0, true, false) {
            Some((id, _)) => ids.push(id),
            None => break,
        }
        j += 1;
    }
    let now = srv.now_ms;
    let mut o = ClaimOpts {
        min_idle: min_idle.max(0),
        ..Default::default()
    };
    let mut last_id = StreamId::ZERO;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        let opt = &argv[j];
        if is(opt, "force") {
            o.force = true;
        } else if is(opt, "justid") {
            o.justid = true;
        } else if is(opt, "idle") && more > 0 {
            j += 1;
            let Some(n) = parse_i64_or(c, &argv[j], "Invalid IDLE option argument for XCLAIM")
            else {
                return;
            };
            o.delivery_time = Some(now - n);
        } else if is(opt, "time") && more > 0 {
            j += 1;
            let Some(n) = parse_i64_or(c, &argv[j], "Invalid TIME option argument for XCLAIM")
            else {
                return;
            };
            o.delivery_time = Some(n);
        } else if is(opt, "retrycount") && more > 0 {
            j += 1;
            let Some(n) =
                parse_i64_or(c, &argv[j], "Invalid RETRYCOUNT option argument for XCLAIM")
            else {
                return;
            };
            o.retry_count = Some(n as u64);
        } else if is(opt, "lastid") && more > 0 {
            j += 1;
            let Some(id) = arg_strict_id(c, &argv[j], 0) else {
                return;
            };
            last_id = id;
        } else {
            return c
                .reply
                .err(&format!("Unrecognized XCLAIM option '{}'", text(opt)));
        }
        j += 1;
    }
    // A bogus delivery time becomes now.
    o.delivery_time = o
        .delivery_time
        .map(|t| if t < 0 || t > now { now } else { t });
    // Redis keeps RETRYCOUNT as a signed count: negative means not given.
    if o.retry_count.is_some_and(|n| (n as i64) < 0) {
        o.retry_count = None;
    }
    let db = c.db;
    let s = stream_mut(srv, c, key);
    let g = group(s, gname).expect("checked");
    let mut propagate_last_id = false;
    if last_id > g.last_id {
        g.last_id = last_id;
        propagate_last_id = true;
    }
    let mut created = false;
    let claims = s.claim(gname, &argv[3], &ids, &o, now, &mut created);
    let last = s.groups[&gname[..]].last_id;
    let pos = c.reply.begin_deferred();
    let mut n = 0;
    let mut ops = Vec::with_capacity(claims.len());
    for cl in &claims {
        match cl {
            Claimed::Taken(id, p) => {
                claimed_reply(c, s, *id, o.justid);
                n += 1;
                ops.push(xclaim_argv(key, gname, *id, p, last));
            }
            Claimed::Dropped(id, p) => ops.push(xclaim_argv(key, gname, *id, p, last)),
        }
    }
    c.reply.end_deferred_array(pos, n);
    if !ops.is_empty() {
        propagate_last_id = false;
    }
    let setid = propagate_last_id.then(|| setid_argv(key, gname, &s.groups[&gname[..]]));
    if created {
        consumer_created(srv, c, key);
    }
    srv.dirty += ops.len() as u64;
    for op in ops {
        srv.prop.also(db, op);
    }
    if let Some(op) = setid {
        srv.prop.also(db, op);
        srv.dirty += 1;
    }
}

/// A signed 64-bit argument with a command's own error text.
fn parse_i64_or(c: &mut Client, b: &[u8], msg: &str) -> Option<i64> {
    let n = crate::util::num::parse_i64(b);
    if n.is_none() {
        c.reply.err(msg);
    }
    n
}

fn xautoclaim(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    srv.prop.prevent();
    let (key, gname) = (&argv[1], &argv[2]);
    let Some(min_idle) = parse_i64_or(c, &argv[4], "Invalid min-idle-time argument for XAUTOCLAIM")
    else {
        return;
    };
    let Some((mut start, ex)) = arg_interval_id(c, &argv[5], 0) else {
        return;
    };
    if ex {
        match start.incr() {
            Some(s) => start = s,
            None => return c.reply.err("invalid start ID for the interval"),
        }
    }
    let mut count = 100usize;
    let mut justid = false;
    let mut j = 6;
    while j < argv.len() {
        let more = argv.len() - 1 - j;
        if is(&argv[j], "count") && more > 0 {
            // LONG_MAX / max(sizeof(streamID), 10).
            let max = i64::MAX / 16;
            match crate::util::num::parse_i64(&argv[j + 1]) {
                Some(n) if (1..=max).contains(&n) => count = n as usize,
                _ => return c.reply.err("COUNT must be > 0"),
            }
            j += 1;
        } else if is(&argv[j], "justid") {
            justid = true;
        } else {
            return c.reply.err(SYNTAX_ERR);
        }
        j += 1;
    }
    let has_group = match read_stream(srv, c, key) {
        Err(_) => return,
        Ok(s) => s.is_some_and(|s| s.groups.contains_key(&gname[..])),
    };
    if !has_group {
        return nogroup_err(c, key, gname);
    }
    let now = srv.now_ms;
    let db = c.db;
    let s = stream_mut(srv, c, key);
    let mut created = false;
    let (claims, next) = s.autoclaim(
        gname,
        &argv[3],
        start,
        min_idle.max(0),
        count,
        justid,
        now,
        &mut created,
    );
    let last = s.groups[&gname[..]].last_id;
    c.reply.array_len(3);
    reply_id(c, next);
    let taken = claims
        .iter()
        .filter(|x| matches!(x, Claimed::Taken(..)))
        .count();
    c.reply.array_len(taken);
    let mut ops = Vec::with_capacity(claims.len());
    let mut dropped = Vec::new();
    for cl in &claims {
        match cl {
            Claimed::Taken(id, p) => {
                claimed_reply(c, s, *id, justid);
                ops.push(xclaim_argv(key, gname, *id, p, last));
            }
            Claimed::Dropped(id, p) => {
                ops.push(xclaim_argv(key, gname, *id, p, last));
                dropped.push(*id);
            }
        }
    }
    c.reply.array_len(dropped.len());
    for id in dropped {
        reply_id(c, id);
    }
    if created {
        consumer_created(srv, c, key);
    }
    srv.dirty += ops.len() as u64;
    for op in ops {
        srv.prop.also(db, op);
    }
}
