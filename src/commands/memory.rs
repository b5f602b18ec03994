//! MEMORY USAGE, MEMORY PURGE, MEMORY MALLOC-STATS, MEMORY HELP.
//!
//! MEMORY USAGE answers what a key really costs in cinnabar: the dict node
//! (key and value inline), plus the key's and the value's heap bytes, plus
//! the share of a bucket slot. It is not Redis's number (the representations
//! differ), but like Redis it grows with the value and is never zero.

use bytes::Bytes;

use super::{Handler, SYNTAX_ERR, arg_i64, is};
use crate::net::Client;
use crate::server::Server;

pub const COMMANDS: &[(&str, Handler)] = &[
    ("memory|usage", usage),
    ("memory|purge", purge),
    ("memory|malloc-stats", malloc_stats),
    ("memory|help", help),
];

/// Bytes of one keyspace dict node: next pointer, 24-byte key, 32-byte Obj.
const NODE_BYTES: usize = 64;

fn usage(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let mut i = 3;
    while i < argv.len() {
        if is(&argv[i], "samples") && i + 1 < argv.len() {
            let Some(n) = arg_i64(c, &argv[i + 1]) else {
                return;
            };
            if n < 0 {
                c.reply.err(SYNTAX_ERR);
                return;
            }
            i += 2;
        } else {
            c.reply.err(SYNTAX_ERR);
            return;
        }
    }
    // As Redis, a key that expired but was not yet removed still counts.
    let db = &srv.dbs[c.db];
    match db.keys.get_key_value(&argv[2][..]) {
        None => c.reply.null(),
        Some((k, o)) => {
            let buckets = db.keys.table_bytes() / db.keys.len().max(1);
            c.reply
                .int((NODE_BYTES + k.heap_size() + o.v.heap_size() + buckets) as i64);
        }
    }
}

fn purge(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    // SAFETY: mi_collect only asks mimalloc to return free pages to the OS.
    unsafe { libmimalloc_sys::mi_collect(true) };
    c.reply.ok();
}

fn malloc_stats(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply
        .verbatim(b"Stats not supported for the current allocator", "txt");
}

fn help(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.help(
        "MEMORY",
        &[
            "MALLOC-STATS",
            "    Return internal statistics report from the memory allocator.",
            "PURGE",
            "    Attempt to purge dirty pages for reclamation by the allocator.",
            "USAGE <key> [SAMPLES <count>]",
            "    Return memory in bytes used by <key> and its value. Nested values are",
            "    sampled up to <count> times (default: 5, 0 means sample all).",
        ],
    );
}
