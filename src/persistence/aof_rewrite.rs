//! The RESP form of the dataset, for an AOF base file written with
//! `aof-use-rdb-preamble no`: each entry as the commands that rebuild it
//! (SET, RPUSH, HMSET, SADD, ZADD, 64 items per command; a stream as an XADD
//! per entry, XSETID, and its groups as XGROUP CREATE, XCLAIM … FORCE and
//! XGROUP CREATECONSUMER; then PEXPIREAT),
//! as Redis's rewriteAppendOnlyFile writes them.

use bytes::Bytes;

use crate::propagate::encode_command;
use crate::types::stream::{Stream, StreamId};
use crate::types::{Obj, Value};

/// Items per variadic command (Redis's AOF_REWRITE_ITEMS_PER_CMD).
const ITEMS_PER_CMD: usize = 64;

fn b(s: &[u8]) -> Bytes {
    Bytes::copy_from_slice(s)
}

/// Emit `name key items…` in batches of `per` items (`per` arguments each
/// `width` long, e.g. field+value pairs).
fn batched(out: &mut Vec<u8>, name: &'static [u8], key: &[u8], args: Vec<Bytes>, width: usize) {
    for chunk in args.chunks(ITEMS_PER_CMD * width) {
        let mut argv = Vec::with_capacity(chunk.len() + 2);
        argv.push(Bytes::from_static(name));
        argv.push(b(key));
        argv.extend_from_slice(chunk);
        encode_command(out, &argv);
    }
}

/// FUNCTION LOAD of every function library, before the keys (Redis's
/// rewriteFunctions).
pub fn write_functions(out: &mut Vec<u8>, server: &crate::server::Server) {
    for lib in server.scripting.functions.libs.values() {
        encode_command(
            out,
            &[
                Bytes::from_static(b"FUNCTION"),
                Bytes::from_static(b"LOAD"),
                lib.code.clone(),
            ],
        );
    }
}

/// Append the commands that rebuild `key` (and its TTL) to `out`.
pub fn write_entry(out: &mut Vec<u8>, key: &[u8], o: &Obj, expire_ms: Option<i64>) {
    match &o.v {
        Value::Int(_) | Value::Str(_) => encode_command(
            out,
            &[Bytes::from_static(b"SET"), b(key), b(&o.v.string_bytes())],
        ),
        Value::List(l) => {
            let items = l.to_vec().into_iter().map(Bytes::from).collect();
            batched(out, b"RPUSH", key, items, 1);
        }
        Value::Hash(h) => {
            let mut args = Vec::with_capacity(h.len() * 2);
            for (f, v) in h.iter() {
                args.push(Bytes::from(f.to_vec()));
                args.push(Bytes::from(v.to_vec()));
            }
            batched(out, b"HMSET", key, args, 2);
        }
        Value::Set(s) => {
            let items = s.iter().map(|m| Bytes::from(m.to_vec())).collect();
            batched(out, b"SADD", key, items, 1);
        }
        Value::ZSet(z) => {
            let mut args = Vec::with_capacity(z.len() * 2);
            for (m, score) in z.range(0, z.len(), false) {
                args.push(Bytes::from(crate::util::num::fmt_double_g17(score)));
                args.push(Bytes::from(m));
            }
            batched(out, b"ZADD", key, args, 2);
        }
        Value::Stream(s) => write_stream(out, key, s),
    }
    if let Some(t) = expire_ms {
        encode_command(
            out,
            &[
                Bytes::from_static(b"PEXPIREAT"),
                b(key),
                Bytes::from(t.to_string()),
            ],
        );
    }
}

/// Emit one command made of `parts`.
fn emit(out: &mut Vec<u8>, parts: &[&[u8]]) {
    let argv: Vec<Bytes> = parts.iter().map(|p| b(p)).collect();
    encode_command(out, &argv);
}

/// A stream as Redis's rewriteStreamObject writes it.
fn write_stream(out: &mut Vec<u8>, key: &[u8], s: &Stream) {
    if s.is_empty() {
        // XADD … MAXLEN 0 creates the (empty) stream.
        emit(out, &[b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"]);
    }
    for e in s.range(StreamId::ZERO, StreamId::MAX) {
        let id = e.id.to_bytes();
        let mut parts: Vec<&[u8]> = vec![b"XADD", key, &id];
        parts.extend(e.fields.iter().map(|f| f.as_bytes()));
        emit(out, &parts);
    }
    let (last, added, maxdel) = (
        s.last_id.to_bytes(),
        s.entries_added.to_string(),
        s.max_deleted_id.to_bytes(),
    );
    emit(
        out,
        &[
            b"XSETID",
            key,
            &last,
            b"ENTRIESADDED",
            added.as_bytes(),
            b"MAXDELETEDID",
            &maxdel,
        ],
    );
    for (name, g) in &s.groups {
        let (last, read) = (g.last_id.to_bytes(), g.entries_read.to_string());
        emit(
            out,
            &[
                b"XGROUP",
                b"CREATE",
                key,
                name,
                &last,
                b"ENTRIESREAD",
                read.as_bytes(),
            ],
        );
        for (cname, c) in &g.consumers {
            if c.pel.is_empty() {
                emit(out, &[b"XGROUP", b"CREATECONSUMER", key, name, cname]);
                continue;
            }
            for id in &c.pel {
                let Some(p) = g.pel.get(id) else { continue };
                let (id, time, count) = (
                    id.to_bytes(),
                    p.delivery_time.to_string(),
                    p.delivery_count.to_string(),
                );
                emit(
                    out,
                    &[
                        b"XCLAIM",
                        key,
                        name,
                        cname,
                        b"0",
                        &id,
                        b"TIME",
                        time.as_bytes(),
                        b"RETRYCOUNT",
                        count.as_bytes(),
                        b"JUSTID",
                        b"FORCE",
                    ],
                );
            }
        }
    }
}
