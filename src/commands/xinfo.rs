//! XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS and XINFO
//! HELP, with Redis 7.0's fields in its order.
//!
//! Redis keeps a stream's nodes in a radix tree: `radix-tree-keys` is the
//! number of nodes (listpacks), exact here; `radix-tree-nodes` counts the
//! tree's internal nodes, which have no counterpart in our ordered map, so
//! we count the nodes a radix tree of those keys has when built by
//! appending them (see `radix_nodes`; exact for streams only appended to).

use bytes::Bytes;

use super::diagnostics::sub_syntax_err;
use super::streams::{reply_entry, reply_id};
use super::{Handler, NO_SUCH_KEY, WRONGTYPE, is, text};
use crate::net::Client;
use crate::server::Server;
use crate::types::Value;
use crate::types::stream::{ENTRIES_READ_INVALID, Stream, StreamId};

pub const COMMANDS: &[(&str, Handler)] = &[
    ("xinfo|stream", xinfo_stream),
    ("xinfo|groups", xinfo_groups),
    ("xinfo|consumers", xinfo_consumers),
    ("xinfo|help", xinfo_help),
];

/// The stream at `argv[2]`, or None after replying (no such key, wrong
/// type).
fn lookup<'a>(srv: &'a mut Server, c: &mut Client, argv: &[Bytes]) -> Option<&'a Stream> {
    let now = srv.now_ms;
    match srv.dbs[c.db].lookup_read(&argv[2], now).map(|o| &o.v) {
        None => {
            c.reply.err(NO_SUCH_KEY);
            None
        }
        Some(Value::Stream(s)) => Some(s),
        Some(_) => {
            c.reply.err_code(WRONGTYPE);
            None
        }
    }
}

/// The node count of a radix tree holding the nodes' master IDs (16-byte
/// big-endian keys) as Redis's rax would build it inserting them in
/// order: the root, a compressed node per run of single-child bytes, a
/// branching node where keys diverge, and a leaf per key.
fn radix_nodes(s: &Stream) -> usize {
    // The rightmost path: (first byte, end byte, branching?) per node.
    let mut path: Vec<(usize, usize, bool)> = Vec::new();
    let mut prev: Option<[u8; 16]> = None;
    let mut n = 1;
    for id in s.nodes.keys() {
        let mut k = [0u8; 16];
        k[..8].copy_from_slice(&id.ms.to_be_bytes());
        k[8..].copy_from_slice(&id.seq.to_be_bytes());
        let Some(p) = prev.replace(k) else {
            // The root takes the whole key, then its leaf.
            path.push((0, 16, false));
            n += 1;
            continue;
        };
        let at = p.iter().zip(&k).take_while(|(a, b)| a == b).count().min(15);
        let i = path
            .iter()
            .position(|&(a, b, _)| a <= at && at < b)
            .expect("path covers the key");
        let (a, b, branch) = path[i];
        path.truncate(i);
        if !branch {
            // Split the compressed node: a prefix, a branch, a postfix.
            n -= 1;
            if at > a {
                path.push((a, at, false));
                n += 1;
            }
            n += 1 + usize::from(at + 1 < b);
        }
        path.push((at, at + 1, true));
        if at + 1 < 16 {
            path.push((at + 1, 16, false));
            n += 1;
        }
        // The new key's leaf.
        n += 1;
    }
    n
}

fn entries_read_reply(c: &mut Client, n: i64) {
    if n == ENTRIES_READ_INVALID {
        c.reply.null();
    } else {
        c.reply.int(n);
    }
}

fn lag_reply(c: &mut Client, s: &Stream, g: &crate::types::stream::Group) {
    match s.group_lag(g) {
        Some(n) => c.reply.int(n),
        None => c.reply.null(),
    }
}

fn xinfo_stream(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(s) = lookup(srv, c, argv) else {
        return;
    };
    let opts = &argv[3..];
    let mut count: i64 = 10;
    let full = !opts.is_empty();
    if full {
        if (opts.len() != 1 && opts.len() != 3) || !is(&opts[0], "full") {
            return sub_syntax_err(c, argv);
        }
        if opts.len() == 3 {
            if !is(&opts[1], "count") {
                return sub_syntax_err(c, argv);
            }
            let Some(n) = super::arg_i64(c, &opts[2]) else {
                return;
            };
            count = if n < 0 { 10 } else { n };
        }
    }
    // How many entries / pending IDs are shown (COUNT 0 = all).
    let shown = if count == 0 {
        usize::MAX
    } else {
        count as usize
    };
    c.reply.map_len(if full { 9 } else { 10 });
    c.reply.bulk_str("length");
    c.reply.int(s.len() as i64);
    c.reply.bulk_str("radix-tree-keys");
    c.reply.int(s.nodes.len() as i64);
    c.reply.bulk_str("radix-tree-nodes");
    c.reply.int(radix_nodes(s) as i64);
    c.reply.bulk_str("last-generated-id");
    reply_id(c, s.last_id);
    c.reply.bulk_str("max-deleted-entry-id");
    reply_id(c, s.max_deleted_id);
    c.reply.bulk_str("entries-added");
    c.reply.int(s.entries_added as i64);
    c.reply.bulk_str("recorded-first-entry-id");
    reply_id(c, s.first_id);
    if !full {
        c.reply.bulk_str("groups");
        c.reply.int(s.groups.len() as i64);
        for (name, last) in [("first-entry", false), ("last-entry", true)] {
            c.reply.bulk_str(name);
            match s.edge(last) {
                Some(e) => reply_entry(c, e),
                None => c.reply.null(),
            }
        }
        return;
    }
    c.reply.bulk_str("entries");
    let entries: Vec<_> = s.range(StreamId::ZERO, StreamId::MAX).take(shown).collect();
    c.reply.array_len(entries.len());
    for e in entries {
        reply_entry(c, e);
    }
    c.reply.bulk_str("groups");
    c.reply.array_len(s.groups.len());
    for (name, g) in &s.groups {
        c.reply.map_len(7);
        c.reply.bulk_str("name");
        c.reply.bulk(name.as_bytes());
        c.reply.bulk_str("last-delivered-id");
        reply_id(c, g.last_id);
        c.reply.bulk_str("entries-read");
        entries_read_reply(c, g.entries_read);
        c.reply.bulk_str("lag");
        lag_reply(c, s, g);
        c.reply.bulk_str("pel-count");
        c.reply.int(g.pel.len() as i64);
        c.reply.bulk_str("pending");
        let pel: Vec<_> = g.pel.iter().take(shown).collect();
        c.reply.array_len(pel.len());
        for (id, p) in pel {
            c.reply.array_len(4);
            reply_id(c, *id);
            c.reply.bulk(p.consumer.as_bytes());
            c.reply.int(p.delivery_time);
            c.reply.int(p.delivery_count as i64);
        }
        c.reply.bulk_str("consumers");
        c.reply.array_len(g.consumers.len());
        for (cname, k) in &g.consumers {
            c.reply.map_len(4);
            c.reply.bulk_str("name");
            c.reply.bulk(cname.as_bytes());
            c.reply.bulk_str("seen-time");
            c.reply.int(k.seen_time);
            c.reply.bulk_str("pel-count");
            c.reply.int(k.pel.len() as i64);
            c.reply.bulk_str("pending");
            let ids: Vec<_> = k.pel.iter().take(shown).collect();
            c.reply.array_len(ids.len());
            for id in ids {
                let p = &g.pel[id];
                c.reply.array_len(3);
                reply_id(c, *id);
                c.reply.int(p.delivery_time);
                c.reply.int(p.delivery_count as i64);
            }
        }
    }
}

fn xinfo_groups(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let Some(s) = lookup(srv, c, argv) else {
        return;
    };
    c.reply.array_len(s.groups.len());
    for (name, g) in &s.groups {
        c.reply.map_len(6);
        c.reply.bulk_str("name");
        c.reply.bulk(name.as_bytes());
        c.reply.bulk_str("consumers");
        c.reply.int(g.consumers.len() as i64);
        c.reply.bulk_str("pending");
        c.reply.int(g.pel.len() as i64);
        c.reply.bulk_str("last-delivered-id");
        reply_id(c, g.last_id);
        c.reply.bulk_str("entries-read");
        entries_read_reply(c, g.entries_read);
        c.reply.bulk_str("lag");
        lag_reply(c, s, g);
    }
}

fn xinfo_consumers(srv: &mut Server, c: &mut Client, argv: &[Bytes]) {
    let now = srv.now_ms;
    let Some(s) = lookup(srv, c, argv) else {
        return;
    };
    let Some(g) = s.groups.get(&argv[3][..]) else {
        return c.reply.err_code(&format!(
            "NOGROUP No such consumer group '{}' for key name '{}'",
            text(&argv[3]),
            text(&argv[2])
        ));
    };
    c.reply.array_len(g.consumers.len());
    for (name, k) in &g.consumers {
        c.reply.map_len(3);
        c.reply.bulk_str("name");
        c.reply.bulk(name.as_bytes());
        c.reply.bulk_str("pending");
        c.reply.int(k.pel.len() as i64);
        c.reply.bulk_str("idle");
        c.reply.int((now - k.seen_time).max(0));
    }
}

fn xinfo_help(_: &mut Server, c: &mut Client, _: &[Bytes]) {
    c.reply.help(
        "XINFO",
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::SmallBytes;
    use crate::types::stream::NodeLimits;

    /// Node counts redis-server 7.0.15 reports after each append, one entry
    /// per node.
    #[test]
    fn radix_nodes_as_redis_counts_them() {
        let lim = NodeLimits {
            max_bytes: 4096,
            max_entries: 1,
        };
        let fields =
            || -> Box<[SmallBytes]> { vec![SmallBytes::new(b"f"), SmallBytes::new(b"v")].into() };
        let mut s = Stream::new();
        assert_eq!(radix_nodes(&s), 1);
        let mut got = Vec::new();
        for ms in [
            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 300, 1000, 70000, 70001, 1234567890,
        ] {
            s.append(StreamId::new(ms, 0), fields(), lim);
            got.push(radix_nodes(&s));
        }
        assert_eq!(
            got,
            [2, 6, 8, 10, 12, 14, 16, 18, 20, 22, 25, 27, 30, 34, 37]
        );
        let mut s = Stream::new();
        let mut got = Vec::new();
        for seq in [1, 2, 3, 4, 5, 6, 7, 8, 300] {
            s.append(StreamId::new(5, seq), fields(), lim);
            got.push(radix_nodes(&s));
        }
        assert_eq!(got, [2, 4, 5, 6, 7, 8, 9, 10, 13]);
    }
}
