//! Streams in the RDB format: written as RDB_TYPE_STREAM_LISTPACKS_2 (Redis
//! 7.0), read from that and from RDB_TYPE_STREAM_LISTPACKS (Redis 5 and 6).
//!
//! A stream is written as Redis writes it: each node as its 16-byte
//! big-endian master ID and a listpack (a master entry with the node's field
//! names, then every entry delta-encoded against the master ID, with the
//! SAMEFIELDS flag when its fields are the master's), then the stream's
//! counters and IDs, then every consumer group with its pending entries and
//! consumers. Our nodes keep only live entries, but a node's count of
//! entries ever inserted and the ID of its last one decide when a new node
//! starts and what MINID trimming removes, so the listpack also carries the
//! node's deleted entries as Redis would: as many as were deleted, empty
//! values, the last one with the node's last ID when that entry is gone.
//!
//! The reader takes every node's listpack apart into our `Node`s (a deleted
//! entry is dropped but still counts as inserted, and the node keeps the
//! listpack's byte size for the node-full rule), so it always checks the
//! whole structure Redis's streamValidateListpackIntegrity checks with
//! `sanitize-dump-payload yes`, plus what our model relies on: counts that
//! match the entries, live entries in ID order inside their node's range,
//! a length equal to the live entries, every pending entry owned by exactly
//! one consumer. Anything else is refused with Redis's message where Redis
//! has one. Pre-7.0 streams lack the first ID, the maximal deleted ID, the
//! entries-added counter and the groups' entries-read; they are derived as
//! Redis 7.0 derives them on load.

use std::collections::BTreeMap;

use super::rdb::{write_len, write_string};
use super::rdb_load::{LoadError, Reader};
use super::ty;
use crate::encoding::listpack::{Listpack, LpValue};
use crate::types::SmallBytes;
use crate::types::stream::{Consumer, Entry, Group, Node, Pending, Stream, StreamId};

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

/// The listpack Redis would hold for `node`: its live entries, and its
/// deleted ones as placeholders (see the module comment).
pub fn node_listpack(master_id: StreamId, node: &Node) -> Listpack {
    let live = node.entries.len();
    let deleted = node.inserted.saturating_sub(live);
    let tail_deleted = deleted > 0 && node.entries.last().is_none_or(|e| e.id < node.last_id);
    let mut lp = Listpack::new();
    lp.append_int(live as i64);
    lp.append_int(deleted as i64);
    lp.append_int(node.master_fields.len() as i64);
    for f in node.master_fields.iter() {
        lp.append(f);
    }
    lp.append_int(0);
    for _ in 0..deleted - tail_deleted as usize {
        deleted_placeholder(&mut lp, master_id, master_id, node);
    }
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
    if tail_deleted {
        deleted_placeholder(&mut lp, master_id, node.last_id, node);
    }
    lp
}

/// A deleted entry `id` with the master's fields and empty values.
fn deleted_placeholder(lp: &mut Listpack, master_id: StreamId, id: StreamId, node: &Node) {
    lp.append_int(FLAG_DELETED | FLAG_SAMEFIELDS);
    lp.append_int(id.ms.wrapping_sub(master_id.ms) as i64);
    lp.append_int(id.seq.wrapping_sub(master_id.seq) as i64);
    for _ in node.master_fields.iter() {
        lp.append(b"");
    }
    lp.append_int(3 + node.master_fields.len() as i64);
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

fn corrupt<T>(msg: impl Into<String>) -> Result<T, LoadError> {
    Err(LoadError::Corrupt(msg.into()))
}

/// An ID from its 16-byte form.
fn id_from_bytes(b: &[u8]) -> StreamId {
    StreamId::new(
        u64::from_be_bytes(b[..8].try_into().unwrap()),
        u64::from_be_bytes(b[8..16].try_into().unwrap()),
    )
}

/// A millisecond time as Redis writes it (8 bytes, little-endian).
fn read_ms(r: &mut Reader<'_>) -> Result<i64, LoadError> {
    Ok(i64::from_le_bytes(r.take(8)?.try_into().unwrap()))
}

fn read_id(r: &mut Reader<'_>) -> Result<StreamId, LoadError> {
    let ms = r.read_len()?;
    Ok(StreamId::new(ms, r.read_len()?))
}

const LP_BAD: &str = "Stream listpack integrity check failed.";

/// A cursor over a validated node listpack's elements.
struct Elements<'a> {
    it: std::iter::Peekable<crate::encoding::listpack::Entries<'a>>,
}

impl<'a> Elements<'a> {
    fn next(&mut self) -> Result<(usize, LpValue<'a>), LoadError> {
        self.it.next().map_or_else(|| corrupt(LP_BAD), Ok)
    }

    fn value(&mut self) -> Result<SmallBytes, LoadError> {
        Ok(SmallBytes::from_vec(self.next()?.1.to_vec()))
    }

    /// An integer element (lpGetIntegerIfValid: strings holding one count).
    fn int(&mut self) -> Result<i64, LoadError> {
        self.next()?.1.to_i64().map_or_else(|| corrupt(LP_BAD), Ok)
    }

    /// A count: a non-negative integer.
    fn count(&mut self) -> Result<usize, LoadError> {
        usize::try_from(self.int()?).or_else(|_| corrupt(LP_BAD))
    }
}

/// One node: its listpack taken apart (streamValidateListpackIntegrity's
/// checks, then ours: the header counts match the flags, live entries
/// ascend from the master ID).
fn read_node(master_id: StreamId, data: Vec<u8>) -> Result<Node, LoadError> {
    if !Listpack::validate(&data, false) {
        return corrupt(LP_BAD);
    }
    let lp = Listpack::from_bytes(data);
    if lp.is_empty() {
        return corrupt("Empty listpack inside stream");
    }
    if !Listpack::validate(lp.as_bytes(), true) {
        return corrupt(LP_BAD);
    }
    let mut el = Elements {
        it: lp.entries().peekable(),
    };
    let live = el.count()?;
    let deleted = el.count()?;
    let nmaster = el.count()?;
    let mut master_fields = Vec::new();
    for _ in 0..nmaster {
        master_fields.push(el.value()?);
    }
    if el.int()? != 0 {
        return corrupt(LP_BAD);
    }
    let total = live
        .checked_add(deleted)
        .map_or_else(|| corrupt(LP_BAD), Ok)?;
    let first_entry = el.it.peek().map_or(lp.bytes_len() - 1, |&(p, _)| p);
    let mut entries: Vec<Entry> = Vec::new();
    let mut last_id = master_id;
    for _ in 0..total {
        let flags = el.int()?;
        let ms = master_id.ms.wrapping_add(el.int()? as u64);
        let seq = master_id.seq.wrapping_add(el.int()? as u64);
        let id = StreamId::new(ms, seq);
        let same = flags & FLAG_SAMEFIELDS != 0;
        let nfields = if same { nmaster } else { el.count()? };
        // SAMEFIELDS: the values only; otherwise field/value pairs.
        let mut fields = Vec::new();
        if same {
            for name in master_fields.iter() {
                fields.push(name.clone());
                fields.push(el.value()?);
            }
        } else {
            for _ in 0..nfields * 2 {
                fields.push(el.value()?);
            }
        }
        let extra = if same { 3 } else { 4 + nfields };
        if el.int()? != (nfields + extra) as i64 {
            return corrupt(LP_BAD);
        }
        last_id = id;
        if flags & FLAG_DELETED != 0 {
            continue;
        }
        if id < master_id || entries.last().is_some_and(|e| e.id >= id) {
            return corrupt("Stream entries out of order in a listpack");
        }
        entries.push(Entry {
            id,
            fields: fields.into_boxed_slice(),
        });
    }
    if el.it.next().is_some() {
        return corrupt(LP_BAD);
    }
    if entries.len() != live {
        return corrupt("Stream listpack entry count inconsistent with its entries");
    }
    if entries.is_empty() {
        return corrupt("Stream listpack without live entries");
    }
    Ok(Node {
        master_fields: master_fields.into_boxed_slice(),
        entries,
        inserted: total,
        last_id,
        entry_bytes: lp.bytes_len() - 1 - first_entry,
    })
}

/// A pending entry while its owner is not known yet.
struct Nack {
    delivery_time: i64,
    delivery_count: u64,
    consumer: Option<SmallBytes>,
}

/// One consumer group (after its name): last ID, entries read, the PEL,
/// then the consumers with the IDs they own.
fn read_group(r: &mut Reader<'_>, t: u8, s: &Stream) -> Result<Group, LoadError> {
    let last_id = read_id(r)?;
    let entries_read = if t == ty::STREAM_LISTPACKS_2 {
        r.read_len()? as i64
    } else {
        s.estimate_distance(last_id)
    };
    let mut g = Group::new(last_id, entries_read);
    let mut pel: BTreeMap<StreamId, Nack> = BTreeMap::new();
    for _ in 0..r.count(17)? {
        let id = id_from_bytes(r.take(16)?);
        let nack = Nack {
            delivery_time: read_ms(r)?,
            delivery_count: r.read_len()?,
            consumer: None,
        };
        if pel.insert(id, nack).is_some() {
            return corrupt("Duplicated global PEL entry loading stream consumer group");
        }
    }
    for _ in 0..r.count(10)? {
        let name = SmallBytes::from_vec(r.string()?);
        if g.consumers.contains_key(&name) {
            return corrupt("Duplicate stream consumer detected.");
        }
        let mut c = Consumer {
            seen_time: read_ms(r)?,
            pel: Default::default(),
        };
        for _ in 0..r.count(16)? {
            let id = id_from_bytes(r.take(16)?);
            let Some(nack) = pel.get_mut(&id) else {
                return corrupt("Consumer entry not found in group global PEL");
            };
            if !c.pel.insert(id) {
                return corrupt("Duplicated consumer PEL entry  loading a stream consumer group");
            }
            if nack.consumer.is_some() {
                return corrupt("Stream PEL entry owned by two consumers");
            }
            nack.consumer = Some(name.clone());
        }
        g.consumers.insert(name, c);
    }
    for (id, n) in pel {
        let Some(consumer) = n.consumer else {
            return corrupt("Stream CG PEL entry without consumer");
        };
        g.pel.insert(
            id,
            Pending {
                consumer,
                delivery_time: n.delivery_time,
                delivery_count: n.delivery_count,
            },
        );
    }
    Ok(g)
}

/// The value body of a stream of RDB type `t` (STREAM_LISTPACKS or
/// STREAM_LISTPACKS_2), as Redis's rdbLoadObject reads it.
pub fn read_stream(r: &mut Reader<'_>, t: u8) -> Result<Stream, LoadError> {
    let mut s = Stream::new();
    for _ in 0..r.count(2)? {
        let key = r.string()?;
        if key.len() != 16 {
            return corrupt("Stream node key entry is not the size of a stream ID");
        }
        let master_id = id_from_bytes(&key);
        let node = read_node(master_id, r.string()?)?;
        if s.nodes.insert(master_id, node).is_some() {
            return corrupt("Listpack re-added with existing key");
        }
    }
    s.length = r.read_len()?;
    s.last_id = read_id(r)?;
    if t == ty::STREAM_LISTPACKS_2 {
        s.first_id = read_id(r)?;
        s.max_deleted_id = read_id(r)?;
        s.entries_added = r.read_len()?;
    } else {
        s.entries_added = s.length;
        // As streamGetEdgeID: the maximal ID when there is no entry.
        s.first_id = s.edge(false).map_or(StreamId::MAX, |e| e.id);
    }
    if s.length != 0 && s.nodes.is_empty() {
        return corrupt("Stream length inconsistent with rax entries");
    }
    // Nodes must not overlap: each one's entries below the next's master.
    let mut live = 0u64;
    let mut prev_last: Option<StreamId> = None;
    for (&master_id, n) in &s.nodes {
        let last = n.entries[n.entries.len() - 1].id;
        if prev_last.is_some_and(|p| p >= master_id) {
            return corrupt("Stream entries out of order across listpacks");
        }
        prev_last = Some(last);
        live += n.entries.len() as u64;
    }
    if live != s.length {
        return corrupt("Stream length inconsistent with its entries");
    }
    if prev_last.is_some_and(|l| l > s.last_id) {
        return corrupt("Stream last ID smaller than its entries");
    }
    for _ in 0..r.count(6)? {
        let name = SmallBytes::from_vec(r.string()?);
        if s.groups.contains_key(&name) {
            return corrupt(format!(
                "Duplicated consumer group name {}",
                String::from_utf8_lossy(name.as_bytes())
            ));
        }
        let g = read_group(r, t, &s)?;
        s.groups.insert(name, g);
    }
    Ok(s)
}

#[cfg(test)]
#[path = "rdb_stream_tests.rs"]
mod tests;
