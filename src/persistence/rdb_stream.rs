//! Streams in the RDB format (RDB_TYPE_STREAM_LISTPACKS_2, Redis 7.0).
//!
//! A stream is written as Redis writes it: each node as its 16-byte
//! big-endian master ID and a listpack (a master entry with the node's field
//! names, then every entry delta-encoded against the master ID, with the
//! SAMEFIELDS flag when its fields are the master's), then the stream's
//! counters and IDs, then every consumer group with its pending entries and
//! consumers. Our nodes hold only live entries, so a written listpack never
//! carries deleted ones.

use super::rdb::{write_len, write_string};
use crate::encoding::listpack::Listpack;
use crate::types::stream::{Node, Stream, StreamId};

/// Entry flags inside a node's listpack.
pub const FLAG_DELETED: i64 = 1;
pub const FLAG_SAMEFIELDS: i64 = 2;

/// An ID as 16 bytes, both halves big-endian (radix tree and PEL keys).
pub fn id_bytes(id: StreamId) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&id.ms.to_be_bytes());
    k[8..].copy_from_slice(&id.seq.to_be_bytes());
    k
}

/// The listpack Redis would hold for `node` (without deleted entries).
pub fn node_listpack(master_id: StreamId, node: &Node) -> Listpack {
    let mut lp = Listpack::new();
    lp.append_int(node.entries.len() as i64);
    lp.append_int(0);
    lp.append_int(node.master_fields.len() as i64);
    for f in node.master_fields.iter() {
        lp.append(f);
    }
    lp.append_int(0);
    for e in &node.entries {
        let same = e.same_fields(&node.master_fields);
        let nfields = e.fields.len() / 2;
        lp.append_int(if same { FLAG_SAMEFIELDS } else { 0 });
        lp.append_int(e.id.ms.wrapping_sub(master_id.ms) as i64);
        lp.append_int(e.id.seq.wrapping_sub(master_id.seq) as i64);
        if same {
            for v in e.fields.iter().skip(1).step_by(2) {
                lp.append(v);
            }
        } else {
            lp.append_int(nfields as i64);
            for f in e.fields.iter() {
                lp.append(f);
            }
        }
        let count = 3 + nfields + if same { 0 } else { nfields + 1 };
        lp.append_int(count as i64);
    }
    lp
}

/// The value body of a stream (after the type byte).
pub fn write_stream(out: &mut Vec<u8>, s: &Stream, compress: bool) {
    write_len(out, s.nodes.len() as u64);
    for (&master_id, node) in &s.nodes {
        write_string(out, &id_bytes(master_id), compress);
        write_string(out, node_listpack(master_id, node).as_bytes(), compress);
    }
    write_len(out, s.length);
    for id in [s.last_id, s.first_id, s.max_deleted_id] {
        write_len(out, id.ms);
        write_len(out, id.seq);
    }
    write_len(out, s.entries_added);
    write_len(out, s.groups.len() as u64);
    for (name, g) in &s.groups {
        write_string(out, name, compress);
        write_len(out, g.last_id.ms);
        write_len(out, g.last_id.seq);
        write_len(out, g.entries_read as u64);
        write_len(out, g.pel.len() as u64);
        for (&id, p) in &g.pel {
            out.extend_from_slice(&id_bytes(id));
            out.extend_from_slice(&p.delivery_time.to_le_bytes());
            write_len(out, p.delivery_count);
        }
        write_len(out, g.consumers.len() as u64);
        for (cname, c) in &g.consumers {
            write_string(out, cname, compress);
            out.extend_from_slice(&c.seen_time.to_le_bytes());
            write_len(out, c.pel.len() as u64);
            for &id in &c.pel {
                out.extend_from_slice(&id_bytes(id));
            }
        }
    }
}
