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

fn id_arg(id: StreamId) -> Bytes {
    Bytes::from(id.to_bytes())
}

/// A stream as Redis's rewriteStreamObject writes it.
fn write_stream(out: &mut Vec<u8>, key: &[u8], s: &Stream) {
    let cmd = |out: &mut Vec<u8>, parts: Vec<Bytes>| encode_command(out, &parts);
    if s.is_empty() {
        // XADD … MAXLEN 0 creates the (empty) stream.
        cmd(
            out,
            vec![
                Bytes::from_static(b"XADD"),
                b(key),
                Bytes::from_static(b"MAXLEN"),
                Bytes::from_static(b"0"),
                id_arg(StreamId::new(0, 1)),
                Bytes::from_static(b"x"),
                Bytes::from_static(b"y"),
            ],
        );
    }
    for e in s.range(StreamId::ZERO, StreamId::MAX) {
        let mut argv = vec![Bytes::from_static(b"XADD"), b(key), id_arg(e.id)];
        argv.extend(e.fields.iter().map(|f| b(f)));
        cmd(out, argv);
    }
    cmd(
        out,
        vec![
            Bytes::from_static(b"XSETID"),
            b(key),
            id_arg(s.last_id),
            Bytes::from_static(b"ENTRIESADDED"),
            Bytes::from(s.entries_added.to_string()),
            Bytes::from_static(b"MAXDELETEDID"),
            id_arg(s.max_deleted_id),
        ],
    );
    for (name, g) in &s.groups {
        cmd(
            out,
            vec![
                Bytes::from_static(b"XGROUP"),
                Bytes::from_static(b"CREATE"),
                b(key),
                b(name),
                id_arg(g.last_id),
                Bytes::from_static(b"ENTRIESREAD"),
                Bytes::from(g.entries_read.to_string()),
            ],
        );
        for (cname, c) in &g.consumers {
            if c.pel.is_empty() {
                cmd(
                    out,
                    vec![
                        Bytes::from_static(b"XGROUP"),
                        Bytes::from_static(b"CREATECONSUMER"),
                        b(key),
                        b(name),
                        b(cname),
                    ],
                );
                continue;
            }
            for id in &c.pel {
                let Some(p) = g.pel.get(id) else { continue };
                cmd(
                    out,
                    vec![
                        Bytes::from_static(b"XCLAIM"),
                        b(key),
                        b(name),
                        b(cname),
                        Bytes::from_static(b"0"),
                        id_arg(*id),
                        Bytes::from_static(b"TIME"),
                        Bytes::from(p.delivery_time.to_string()),
                        Bytes::from_static(b"RETRYCOUNT"),
                        Bytes::from(p.delivery_count.to_string()),
                        Bytes::from_static(b"JUSTID"),
                        Bytes::from_static(b"FORCE"),
                    ],
                );
            }
        }
    }
}
