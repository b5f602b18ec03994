//! Streams: an append-only log of field/value entries keyed by `ms-seq`
//! IDs, with consumer groups.
//!
//! Redis keeps a stream as a radix tree of listpack "nodes", each holding up
//! to `stream-node-max-entries` entries (or `stream-node-max-bytes`), and its
//! observable behaviour follows that shape: approximate trimming (`~`)
//! removes whole nodes only, a node keeps counting deleted entries until it
//! empties, and a new node starts when the tail one is full. We keep the
//! same node structure — a `BTreeMap` from each node's master ID to its
//! live entries — so trimming answers exactly as Redis's does, and the RDB
//! writer can emit one listpack per node. A node tracks the byte size its
//! listpack would have (`lp_bytes`), which the node-full rule needs.
//!
//! Consumer groups keep, as in Redis, a group-wide pending entries list
//! (PEL: ID → delivery data and owning consumer) and a per-consumer set of
//! the IDs it owns; both are ordered maps so XPENDING/XCLAIM walk them in ID
//! order. Groups and consumers are ordered by name, as Redis's radix trees
//! order them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::small::SmallBytes;
use crate::encoding::listpack::{
    entry_size_for as lp_elem_size, entry_size_for_int as lp_int_size,
};

/// A stream entry ID: milliseconds and sequence number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const ZERO: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    pub fn is_zero(&self) -> bool {
        *self == StreamId::ZERO
    }

    /// The next ID in order, or None past the maximum.
    pub fn incr(self) -> Option<StreamId> {
        if self.seq < u64::MAX {
            Some(StreamId::new(self.ms, self.seq + 1))
        } else if self.ms < u64::MAX {
            Some(StreamId::new(self.ms + 1, 0))
        } else {
            None
        }
    }

    /// The previous ID in order, or None below 0-0.
    pub fn decr(self) -> Option<StreamId> {
        if self.seq > 0 {
            Some(StreamId::new(self.ms, self.seq - 1))
        } else if self.ms > 0 {
            Some(StreamId::new(self.ms - 1, u64::MAX))
        } else {
            None
        }
    }

    /// `ms-seq` as bytes.
    pub fn to_bytes(self) -> Vec<u8> {
        self.to_string().into_bytes()
    }

    /// Parse `ms-seq` or `ms` (with `missing_seq` as the sequence); exactly
    /// the forms Redis's streamParseID accepts, without the special IDs
    /// (`-`, `+`, `$`, `>`, `*`) that commands handle themselves.
    pub fn parse(b: &[u8], missing_seq: u64) -> Option<StreamId> {
        if b.is_empty() || b.len() > 127 {
            return None;
        }
        match b.iter().position(|&c| c == b'-') {
            None => Some(StreamId::new(parse_u64(b)?, missing_seq)),
            Some(i) => Some(StreamId::new(parse_u64(&b[..i])?, parse_u64(&b[i + 1..])?)),
        }
    }
}

/// An unsigned decimal as Redis's string2ull: digits only (no sign, no
/// spaces), no overflow.
fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// One entry: its ID and its fields and values, flattened
/// (`[f1, v1, f2, v2, …]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub id: StreamId,
    pub fields: Box<[SmallBytes]>,
}

impl Entry {
    pub fn pairs(&self) -> impl Iterator<Item = (&[u8], &[u8])> {
        self.fields
            .chunks_exact(2)
            .map(|p| (p[0].as_bytes(), p[1].as_bytes()))
    }

    /// Whether the field names, in order, equal a node's master fields
    /// (Redis's SAMEFIELDS flag).
    pub fn same_fields(&self, master: &[SmallBytes]) -> bool {
        self.fields.len() == master.len() * 2
            && self
                .fields
                .chunks_exact(2)
                .zip(master)
                .all(|(p, m)| p[0] == *m)
    }
}

/// A node: what one listpack holds in Redis.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Field names of the node's first entry (the listpack master entry).
    pub master_fields: Box<[SmallBytes]>,
    /// Live entries, in ID order.
    pub entries: Vec<Entry>,
    /// Entries ever added (live + deleted), for the node-full rule.
    pub inserted: usize,
    /// ID of the last entry ever added (trimming by MINID reads it, even
    /// when that entry was deleted since).
    pub last_id: StreamId,
    /// Bytes of all entries ever added, as listpack elements.
    entry_bytes: usize,
}

impl Node {
    /// The size in bytes of this node's listpack in Redis.
    pub fn lp_bytes(&self) -> usize {
        let live = self.entries.len() as i64;
        let deleted = self.inserted as i64 - live;
        let mut n = 7 + lp_int_size(live) + lp_int_size(deleted);
        n += lp_int_size(self.master_fields.len() as i64);
        n += self
            .master_fields
            .iter()
            .map(|f| lp_elem_size(f))
            .sum::<usize>();
        n + lp_int_size(0) + self.entry_bytes
    }
}

/// A pending entry of a consumer group (Redis's streamNACK).
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub consumer: SmallBytes,
    /// Last delivery, unix ms.
    pub delivery_time: i64,
    pub delivery_count: u64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Consumer {
    /// Last time the consumer was active, unix ms.
    pub seen_time: i64,
    /// IDs pending for this consumer (their data is in the group's PEL).
    pub pel: BTreeSet<StreamId>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub last_id: StreamId,
    /// Entries read by the group, or -1 when unknown (Redis's
    /// SCG_INVALID_ENTRIES_READ).
    pub entries_read: i64,
    pub pel: BTreeMap<StreamId, Pending>,
    pub consumers: BTreeMap<SmallBytes, Consumer>,
}

/// `entries_read` when it cannot be known.
pub const ENTRIES_READ_INVALID: i64 = -1;

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }
}

/// How XADD/XTRIM trim.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Trim {
    MaxLen(u64),
    MinId(StreamId),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Stream {
    /// Nodes by master ID (the ID of the first entry ever added to them).
    pub nodes: BTreeMap<StreamId, Node>,
    pub length: u64,
    /// Zero while nothing was ever added.
    pub last_id: StreamId,
    /// The first live entry, zero when empty.
    pub first_id: StreamId,
    pub max_deleted_id: StreamId,
    /// All-time count of entries added.
    pub entries_added: u64,
    pub groups: BTreeMap<SmallBytes, Group>,
}

/// Node limits from the configuration (`stream-node-max-bytes`,
/// `stream-node-max-entries`; 0 = no limit).
#[derive(Clone, Copy, Debug)]
pub struct NodeLimits {
    pub max_bytes: usize,
    pub max_entries: usize,
}

/// Redis's cap on one stream listpack (STREAM_LISTPACK_MAX_SIZE).
const LISTPACK_MAX: usize = 1 << 30;

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// The ID XADD `*` (or `ms-*` with `ms` given) generates, or None when
    /// it would not be greater than `last_id` (overflow or an explicit `ms`
    /// in the past).
    pub fn next_id(&self, now_ms: u64, explicit_ms: Option<u64>) -> Option<StreamId> {
        let last = self.last_id;
        match explicit_ms {
            Some(ms) if ms > last.ms => Some(StreamId::new(ms, 0)),
            Some(ms) if ms == last.ms => last.seq.checked_add(1).map(|s| StreamId::new(ms, s)),
            Some(_) => None,
            None if now_ms > last.ms => Some(StreamId::new(now_ms, 0)),
            None => last.incr(),
        }
    }

    /// Append an entry whose ID the caller checked is greater than
    /// `last_id`. `fields` is flattened field/value pairs.
    pub fn append(&mut self, id: StreamId, fields: Box<[SmallBytes]>, lim: NodeLimits) {
        let total_len: usize = fields.iter().map(|f| f.len()).sum();
        let max_bytes = match lim.max_bytes {
            0 => LISTPACK_MAX,
            n => n.min(LISTPACK_MAX),
        };
        let tail_full = self.nodes.values().next_back().is_none_or(|n| {
            n.lp_bytes() + total_len >= max_bytes
                || (lim.max_entries != 0 && n.inserted >= lim.max_entries)
        });
        if tail_full {
            let master_fields: Box<[SmallBytes]> = fields.iter().step_by(2).cloned().collect();
            self.nodes.insert(
                id,
                Node {
                    master_fields,
                    entries: Vec::new(),
                    inserted: 0,
                    last_id: id,
                    entry_bytes: 0,
                },
            );
        }
        let (&master_id, node) = self.nodes.iter_mut().next_back().expect("tail node");
        let entry = Entry { id, fields };
        node.entry_bytes += entry_lp_bytes(&entry, master_id, &node.master_fields);
        node.entries.push(entry);
        node.inserted += 1;
        node.last_id = id;
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
    }

    /// The master ID of the node that holds (or would hold) `id`.
    fn node_key(&self, id: StreamId) -> Option<StreamId> {
        self.nodes.range(..=id).next_back().map(|(k, _)| *k)
    }

    pub fn get(&self, id: StreamId) -> Option<&Entry> {
        let node = self.nodes.get(&self.node_key(id)?)?;
        let i = node.entries.binary_search_by(|e| e.id.cmp(&id)).ok()?;
        Some(&node.entries[i])
    }

    /// Entries with `start <= id <= end`, in ID order (reverse with `.rev()`).
    pub fn range(
        &self,
        start: StreamId,
        end: StreamId,
    ) -> impl DoubleEndedIterator<Item = &Entry> + '_ {
        let from = self.node_key(start).unwrap_or(start);
        let nodes = if start <= end {
            self.nodes.range(from..=end)
        } else {
            // An empty range of the map (start > end selects nothing).
            self.nodes.range(StreamId::MAX..StreamId::MAX)
        };
        nodes
            .flat_map(|(_, n)| n.entries.iter())
            .filter(move |e| e.id >= start && e.id <= end)
    }

    /// The first (`last = false`) or last live entry.
    pub fn edge(&self, last: bool) -> Option<&Entry> {
        if last {
            self.nodes.values().rev().find_map(|n| n.entries.last())
        } else {
            self.nodes.values().find_map(|n| n.entries.first())
        }
    }

    fn refresh_first_id(&mut self) {
        self.first_id = self.edge(false).map_or(StreamId::ZERO, |e| e.id);
    }

    /// XDEL of one ID: whether it existed.
    pub fn delete(&mut self, id: StreamId) -> bool {
        let Some(key) = self.node_key(id) else {
            return false;
        };
        let node = self.nodes.get_mut(&key).expect("node");
        let Ok(i) = node.entries.binary_search_by(|e| e.id.cmp(&id)) else {
            return false;
        };
        node.entries.remove(i);
        if node.entries.is_empty() {
            self.nodes.remove(&key);
        }
        self.length -= 1;
        if id > self.max_deleted_id {
            self.max_deleted_id = id;
        }
        if id == self.first_id {
            self.refresh_first_id();
        }
        true
    }

    /// Trim from the head as Redis's streamTrim: whole nodes while they can
    /// go entirely; with `approx` stop at the first node that cannot,
    /// otherwise trim inside it too. `limit` (0 = none) caps the entries
    /// removed, counted in whole nodes. Returns the number removed.
    pub fn trim(&mut self, how: Trim, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0u64;
        while let Some((&key, node)) = self.nodes.iter_mut().next() {
            if let Trim::MaxLen(max) = how
                && self.length <= max
            {
                break;
            }
            let entries = node.entries.len() as u64;
            if limit != 0 && deleted + entries > limit {
                break;
            }
            let whole = match how {
                Trim::MaxLen(max) => self.length - entries >= max,
                Trim::MinId(min) => node.last_id < min,
            };
            if whole {
                self.nodes.remove(&key);
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if approx {
                break;
            }
            let cut = match how {
                Trim::MaxLen(max) => (self.length - max) as usize,
                Trim::MinId(min) => node.entries.partition_point(|e| e.id < min),
            };
            node.entries.drain(..cut);
            self.length -= cut as u64;
            deleted += cut as u64;
            if node.entries.is_empty() {
                self.nodes.remove(&key);
            }
            break;
        }
        if self.length == 0 {
            self.first_id = StreamId::ZERO;
        } else if deleted > 0 {
            self.refresh_first_id();
        }
        deleted
    }

    /// Approximate heap bytes (MEMORY USAGE, INFO).
    pub fn heap_size(&self) -> usize {
        let mut n = std::mem::size_of::<Stream>();
        for node in self.nodes.values() {
            n += 64 + node.master_fields.len() * 24;
            for e in &node.entries {
                n += std::mem::size_of::<Entry>() + e.fields.len() * 24;
                n += e.fields.iter().map(|f| f.heap_size()).sum::<usize>();
            }
        }
        for g in self.groups.values() {
            n += 64 + g.pel.len() * 80;
            n += g
                .consumers
                .values()
                .map(|c| 64 + c.pel.len() * 40)
                .sum::<usize>();
        }
        n
    }
}

/// Bytes an entry takes in its node's listpack (flags, ID deltas, fields
/// unless they are the master's, values, lp-count), each element with its
/// back-length.
fn entry_lp_bytes(e: &Entry, master_id: StreamId, master: &[SmallBytes]) -> usize {
    let nfields = e.fields.len() / 2;
    let ms = e.id.ms.wrapping_sub(master_id.ms) as i64;
    let seq = e.id.seq.wrapping_sub(master_id.seq) as i64;
    let mut n = lp_int_size(0) + lp_int_size(ms) + lp_int_size(seq);
    let same = e.same_fields(master);
    if same {
        n += e
            .fields
            .iter()
            .skip(1)
            .step_by(2)
            .map(|v| lp_elem_size(v))
            .sum::<usize>();
    } else {
        n += lp_int_size(nfields as i64);
        n += e.fields.iter().map(|f| lp_elem_size(f)).sum::<usize>();
    }
    let count = 3 + nfields + if same { 0 } else { nfields + 1 };
    n + lp_int_size(count as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(kv: &[&str]) -> Box<[SmallBytes]> {
        kv.iter().map(|s| SmallBytes::new(s.as_bytes())).collect()
    }

    const LIM: NodeLimits = NodeLimits {
        max_bytes: 4096,
        max_entries: 100,
    };

    fn filled(n: u64) -> Stream {
        let mut s = Stream::new();
        for i in 1..=n {
            s.append(StreamId::new(i, 0), fields(&["item", &i.to_string()]), LIM);
        }
        s
    }

    #[test]
    fn ids_parse_and_order() {
        assert_eq!(StreamId::parse(b"5-3", 0), Some(StreamId::new(5, 3)));
        assert_eq!(StreamId::parse(b"5", 9), Some(StreamId::new(5, 9)));
        for bad in [&b""[..], b"-", b"5-", b"-5", b"a-1", b"1-2-3", b"+1", b" 1"] {
            assert_eq!(StreamId::parse(bad, 0), None, "{bad:?}");
        }
        assert_eq!(
            StreamId::parse(b"18446744073709551615-18446744073709551615", 0),
            Some(StreamId::MAX)
        );
        assert_eq!(StreamId::parse(b"18446744073709551616", 0), None);
        assert!(StreamId::new(1, 5) < StreamId::new(2, 0));
        assert_eq!(StreamId::new(1, u64::MAX).incr(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.incr(), None);
        assert_eq!(StreamId::new(2, 0).decr(), Some(StreamId::new(1, u64::MAX)));
        assert_eq!(StreamId::ZERO.decr(), None);
        assert_eq!(StreamId::new(7, 8).to_string(), "7-8");
    }

    #[test]
    fn next_id_rules() {
        let mut s = Stream::new();
        assert_eq!(s.next_id(100, None), Some(StreamId::new(100, 0)));
        s.append(StreamId::new(100, 0), fields(&["a", "1"]), LIM);
        assert_eq!(s.next_id(50, None), Some(StreamId::new(100, 1)));
        assert_eq!(s.next_id(50, Some(100)), Some(StreamId::new(100, 1)));
        assert_eq!(s.next_id(50, Some(99)), None);
        assert_eq!(s.next_id(50, Some(200)), Some(StreamId::new(200, 0)));
        s.last_id = StreamId::MAX;
        assert_eq!(s.next_id(50, None), None);
    }

    #[test]
    fn nodes_split_by_entries_and_ranges_cross_them() {
        let s = filled(250);
        assert_eq!(s.nodes.len(), 3);
        assert_eq!(s.len(), 250);
        let ids: Vec<u64> = s
            .range(StreamId::new(95, 0), StreamId::new(205, 0))
            .map(|e| e.id.ms)
            .collect();
        assert_eq!(ids, (95..=205).collect::<Vec<_>>());
        let rev: Vec<u64> = s
            .range(StreamId::new(1, 0), StreamId::new(3, 0))
            .rev()
            .map(|e| e.id.ms)
            .collect();
        assert_eq!(rev, vec![3, 2, 1]);
        assert_eq!(s.range(StreamId::new(9, 0), StreamId::new(3, 0)).count(), 0);
        assert_eq!(
            s.get(StreamId::new(150, 0)).unwrap().fields[1].as_bytes(),
            b"150"
        );
        assert!(s.get(StreamId::new(150, 1)).is_none());
    }

    #[test]
    fn nodes_split_by_bytes() {
        let mut s = Stream::new();
        let big = "x".repeat(1000);
        for i in 1..=10 {
            s.append(StreamId::new(i, 0), fields(&["f", &big]), LIM);
        }
        // About 1 KB per entry: a node fills after 4 entries.
        assert_eq!(s.nodes.len(), 3);
        assert!(s.nodes.values().all(|n| n.lp_bytes() < 4096 + 1100));
    }

    #[test]
    fn delete_keeps_counts_and_edges() {
        let mut s = filled(5);
        assert!(s.delete(StreamId::new(1, 0)));
        assert!(!s.delete(StreamId::new(1, 0)));
        assert_eq!((s.len(), s.first_id), (4, StreamId::new(2, 0)));
        assert!(s.delete(StreamId::new(4, 0)));
        assert_eq!(s.max_deleted_id, StreamId::new(4, 0));
        // The node still counts deleted entries as inserted.
        assert_eq!(s.nodes.values().next().unwrap().inserted, 5);
        for i in [2, 3, 5] {
            s.delete(StreamId::new(i, 0));
        }
        assert!(s.nodes.is_empty());
        assert_eq!((s.len(), s.first_id), (0, StreamId::ZERO));
        assert_eq!(s.last_id, StreamId::new(5, 0));
    }

    #[test]
    fn trim_like_redis() {
        // Approximate: whole nodes only.
        let mut s = filled(1000);
        assert_eq!(s.trim(Trim::MaxLen(555), true, 0), 400);
        assert_eq!(s.len(), 600);
        // Exact: down to the number.
        assert_eq!(s.trim(Trim::MaxLen(555), false, 0), 45);
        assert_eq!(s.len(), 555);
        assert_eq!(s.first_id, StreamId::new(446, 0));
        // MINID, approximate then exact.
        let mut s = filled(1000);
        assert_eq!(s.trim(Trim::MinId(StreamId::new(250, 0)), true, 0), 200);
        assert_eq!(s.trim(Trim::MinId(StreamId::new(250, 0)), false, 0), 49);
        assert_eq!(s.first_id, StreamId::new(250, 0));
        // A limit counts whole nodes.
        let mut s = filled(1000);
        assert_eq!(s.trim(Trim::MaxLen(0), true, 250), 200);
        assert_eq!(s.trim(Trim::MaxLen(2000), false, 0), 0);
    }

    #[test]
    fn lp_sizes() {
        assert_eq!(lp_int_size(5), 2);
        assert_eq!(lp_int_size(-1), 3);
        assert_eq!(lp_int_size(1 << 40), 10);
        assert_eq!(lp_elem_size(b"hello"), 7);
        assert_eq!(lp_elem_size(b"123"), 2);
        assert_eq!(lp_elem_size(&[b'a'; 100]), 103);
        let s = filled(1);
        // header+end 7, count 2, deleted 2, numfields 2, "item" 6, term 2,
        // entry: flags 2, ms 2, seq 2, value "1" 2, lp-count 2.
        assert_eq!(
            s.nodes.values().next().unwrap().lp_bytes(),
            7 + 2 + 2 + 2 + 6 + 2 + 10
        );
    }
}
