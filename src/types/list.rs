//! The list type: Redis 7.0's quicklist, a sequence of listpack nodes.
//!
//! A list is a `VecDeque` of listpacks (`encoding/listpack.rs`), each node
//! holding a run of consecutive elements in Redis's own byte format, plus the
//! total element count. There is no allocation per element: pushes append to
//! the end node while it has room, and open a new node when it is full.
//! "Full" is `list-max-listpack-size` (the `fill` argument of the mutating
//! calls, so CONFIG SET applies to the next write), as in `quicklist.c`:
//! negative = a byte limit per node (-1 4 KB, -2 8 KB, … -5 64 KB), positive =
//! an entry count per node, but never more than 8 KB of bytes then. The
//! decision to open a node for a push follows Redis's estimate (node bytes +
//! element length + 8), so nodes fill as Redis's do.
//!
//! Insertions and replacements in the middle (LINSERT, LSET) write into the
//! node in place and split it in half, recursively, when it passes the limit;
//! deletions drop nodes that become empty. Nodes are never merged back
//! (Redis merges some after splits; only node layout differs, not the list).
//! `list-compress-depth` (LZF of inner nodes) is not implemented, and there are
//! no "plain" nodes for elements ≥ 1 GB.
//!
//! OBJECT ENCODING is always `quicklist` in Redis 7.0, and here.
//! Indexes are node lookups walking node counts from the nearer end, then a
//! listpack seek inside the node.

use std::collections::VecDeque;

use crate::encoding::listpack::{Listpack, LpValue};

/// Byte limits for negative fill values (-1 … -5).
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Largest node whatever a positive fill says.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Per-element overestimate of the listpack overhead of an insert.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// Largest positive fill (quicklistSetFill).
const FILL_MAX: i64 = 1 << 15;

/// `list-max-listpack-size` clamped as quicklistSetFill does.
pub fn clamp_fill(v: i64) -> i32 {
    v.clamp(-(OPTIMIZATION_LEVEL.len() as i64), FILL_MAX) as i32
}

/// Does a node of `sz` bytes meet a negative (byte-size) fill?
fn size_meets_fill(sz: usize, fill: i32) -> bool {
    fill < 0
        && OPTIMIZATION_LEVEL
            .get((-(fill as i64) - 1) as usize)
            .is_some_and(|&limit| sz <= limit)
}

/// May an element of `sz` bytes go into `node` (`_quicklistNodeAllowInsert`)?
fn allow_insert(node: &Listpack, fill: i32, sz: usize) -> bool {
    let new_sz = node.bytes_len() + sz + SIZE_ESTIMATE_OVERHEAD;
    if size_meets_fill(new_sz, fill) {
        true
    } else if new_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        (node.len() as i64) < fill as i64
    }
}

/// Is `node` past the limit (after an in-place insert or replace)?
fn over_limit(node: &Listpack, fill: i32) -> bool {
    if node.len() <= 1 {
        return false;
    }
    let sz = node.bytes_len();
    if size_meets_fill(sz, fill) {
        false
    } else if sz > SIZE_SAFETY_LIMIT {
        true
    } else {
        (node.len() as i64) > (fill as i64).max(1)
    }
}

/// Append an element value to a listpack, keeping its encoding.
fn lp_push(lp: &mut Listpack, v: LpValue<'_>) {
    match v {
        LpValue::Int(n) => lp.append_int(n),
        LpValue::Str(s) => lp.append(s),
    }
}

#[derive(Clone, Debug, Default)]
pub struct List {
    nodes: VecDeque<Listpack>,
    len: usize,
}

/// Which end of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Head,
    Tail,
}

impl List {
    pub fn new() -> List {
        List::default()
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// OBJECT ENCODING: always `quicklist` in Redis 7.0.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Number of listpack nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Heap bytes: node buffers plus the node array.
    pub fn heap_size(&self) -> usize {
        self.nodes.iter().map(|n| n.bytes_len()).sum::<usize>()
            + self.nodes.capacity() * std::mem::size_of::<Listpack>()
    }

    /// Push `v` at `end`.
    pub fn push(&mut self, v: &[u8], end: End, fill: i32) {
        match end {
            End::Head => {
                if let Some(n) = self.nodes.front_mut()
                    && allow_insert(n, fill, v.len())
                {
                    n.prepend(v);
                } else {
                    let mut n = Listpack::new();
                    n.append(v);
                    self.nodes.push_front(n);
                }
            }
            End::Tail => {
                if let Some(n) = self.nodes.back_mut()
                    && allow_insert(n, fill, v.len())
                {
                    n.append(v);
                } else {
                    let mut n = Listpack::new();
                    n.append(v);
                    self.nodes.push_back(n);
                }
            }
        }
        self.len += 1;
    }

    /// Pop the element at `end`.
    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        let (ni, node) = match end {
            End::Head => (0, self.nodes.front_mut()?),
            End::Tail => (self.nodes.len() - 1, self.nodes.back_mut()?),
        };
        let pos = match end {
            End::Head => node.first()?,
            End::Tail => node.last()?,
        };
        let v = node.get(pos).to_vec();
        node.delete(pos);
        self.after_delete(ni, 1);
        Some(v)
    }

    /// Account for `n` deletions in node `ni`, dropping it if empty.
    fn after_delete(&mut self, ni: usize, n: usize) {
        self.len -= n;
        if self.nodes[ni].is_empty() {
            self.nodes.remove(ni);
        }
    }

    /// Node index and offset inside it of element `index` (0-based, in range).
    fn node_of(&self, index: usize) -> (usize, usize) {
        if index < self.len / 2 {
            let mut i = index;
            for (ni, n) in self.nodes.iter().enumerate() {
                if i < n.len() {
                    return (ni, i);
                }
                i -= n.len();
            }
        } else {
            let mut from_end = self.len - 1 - index;
            for (ni, n) in self.nodes.iter().enumerate().rev() {
                if from_end < n.len() {
                    return (ni, n.len() - 1 - from_end);
                }
                from_end -= n.len();
            }
        }
        unreachable!("list index in range")
    }

    /// A Redis index (negative from the end) as an in-range offset.
    pub fn norm_index(&self, index: i64) -> Option<usize> {
        let i = if index < 0 {
            index + self.len as i64
        } else {
            index
        };
        (i >= 0 && (i as usize) < self.len).then_some(i as usize)
    }

    /// Node and byte position of element `index` (Redis index).
    fn locate(&self, index: i64) -> Option<(usize, usize)> {
        let i = self.norm_index(index)?;
        let (ni, off) = self.node_of(i);
        let pos = self.nodes[ni].seek(off as i64)?;
        Some((ni, pos))
    }

    /// LINDEX.
    pub fn get(&self, index: i64) -> Option<LpValue<'_>> {
        let (ni, pos) = self.locate(index)?;
        Some(self.nodes[ni].get(pos))
    }

    /// LSET; false when the index is out of range.
    pub fn set(&mut self, index: i64, v: &[u8], fill: i32) -> bool {
        let Some((ni, pos)) = self.locate(index) else {
            return false;
        };
        self.nodes[ni].replace(pos, v);
        self.fix_node(ni, fill);
        true
    }

    /// Split node `ni` in halves while it is over the limit.
    fn fix_node(&mut self, ni: usize, fill: i32) {
        if !over_limit(&self.nodes[ni], fill) {
            return;
        }
        let node = &mut self.nodes[ni];
        let keep = node.len() / 2;
        let split_at = node.seek(keep as i64).expect("split point");
        let mut right = Listpack::new();
        for (_, v) in node.entries_from(split_at) {
            lp_push(&mut right, v);
        }
        let moved = right.len();
        node.delete_range(keep as i64, moved);
        self.nodes.insert(ni + 1, right);
        self.fix_node(ni + 1, fill);
        self.fix_node(ni, fill);
    }

    /// LINSERT: insert `v` before or after the first element equal to
    /// `pivot`. False when the pivot is not found.
    pub fn insert(&mut self, pivot: &[u8], v: &[u8], after: bool, fill: i32) -> bool {
        let mut found = None;
        for (ni, n) in self.nodes.iter().enumerate() {
            if let Some((pos, _)) = n.entries().find(|(_, e)| e.eq_bytes(pivot)) {
                found = Some((ni, pos));
                break;
            }
        }
        let Some((ni, pos)) = found else {
            return false;
        };
        let node = &mut self.nodes[ni];
        if after {
            node.insert_after(pos, v);
        } else {
            node.insert_before(pos, v);
        }
        self.len += 1;
        self.fix_node(ni, fill);
        true
    }

    /// LREM: remove up to `count` elements equal to `v` (count > 0 from the
    /// head, < 0 from the tail, 0 all). Returns how many were removed.
    pub fn remove(&mut self, v: &[u8], count: i64) -> usize {
        let limit = if count == 0 {
            usize::MAX
        } else {
            count.unsigned_abs() as usize
        };
        let mut removed = 0;
        if count >= 0 {
            let mut ni = 0;
            while ni < self.nodes.len() && removed < limit {
                let node = &mut self.nodes[ni];
                let mut pos = node.first();
                let mut here = 0;
                while let Some(p) = pos {
                    if removed + here >= limit {
                        break;
                    }
                    if node.eq_at(p, v) {
                        pos = node.delete(p);
                        here += 1;
                    } else {
                        pos = node.next(p);
                    }
                }
                removed += here;
                self.len -= here;
                if self.nodes[ni].is_empty() {
                    self.nodes.remove(ni);
                } else {
                    ni += 1;
                }
            }
        } else {
            let mut ni = self.nodes.len();
            while ni > 0 && removed < limit {
                ni -= 1;
                let node = &mut self.nodes[ni];
                let mut pos = node.last();
                let mut here = 0;
                while let Some(p) = pos {
                    if removed + here >= limit {
                        break;
                    }
                    let prev = node.prev(p);
                    if node.eq_at(p, v) {
                        node.delete(p);
                        here += 1;
                    }
                    pos = prev;
                }
                removed += here;
                self.len -= here;
                if self.nodes[ni].is_empty() {
                    self.nodes.remove(ni);
                }
            }
        }
        removed
    }

    /// Delete `n` elements from `end`.
    pub fn delete_from(&mut self, end: End, mut n: usize) {
        n = n.min(self.len);
        while n > 0 {
            let ni = match end {
                End::Head => 0,
                End::Tail => self.nodes.len() - 1,
            };
            let cnt = self.nodes[ni].len();
            if cnt <= n {
                self.nodes.remove(ni);
                self.len -= cnt;
                n -= cnt;
            } else {
                let start = match end {
                    End::Head => 0,
                    End::Tail => (cnt - n) as i64,
                };
                self.nodes[ni].delete_range(start, n);
                self.len -= n;
                n = 0;
            }
        }
    }

    /// LTRIM: keep elements `start..=end` (Redis indexes, clamped).
    pub fn trim(&mut self, start: i64, end: i64) {
        let len = self.len as i64;
        let (ltrim, rtrim) = match range_bounds(len, start, end) {
            Some((s, e)) => (s as usize, (len - 1 - e) as usize),
            None => (self.len, 0),
        };
        self.delete_from(End::Head, ltrim);
        self.delete_from(End::Tail, rtrim);
    }

    /// Elements front to back.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = LpValue<'_>> {
        self.nodes.iter().flat_map(|n| n.iter())
    }

    /// Elements from offset `start` (in range) towards the tail.
    pub fn iter_from(&self, start: usize) -> impl Iterator<Item = LpValue<'_>> {
        let (ni, off) = if start < self.len {
            self.node_of(start)
        } else {
            (self.nodes.len(), 0)
        };
        self.nodes.range(ni..).flat_map(|n| n.iter()).skip(off)
    }

    /// Elements from offset `start` (in range) towards the head.
    pub fn iter_rev_from(&self, start: usize) -> impl Iterator<Item = LpValue<'_>> {
        let (ni, off, cnt) = if start < self.len {
            let (ni, off) = self.node_of(start);
            (ni + 1, off, self.nodes[ni].len())
        } else {
            (0, 0, 0)
        };
        self.nodes
            .range(..ni)
            .rev()
            .flat_map(|n| n.iter().rev())
            .skip(cnt.saturating_sub(off + 1))
    }
}

/// LRANGE/LTRIM index arithmetic: the in-range inclusive bounds of
/// `start..=end` on a list of `len`, or `None` when empty.
pub fn range_bounds(len: i64, start: i64, end: i64) -> Option<(i64, i64)> {
    let mut s = if start < 0 { len + start } else { start };
    let mut e = if end < 0 { len + end } else { end };
    if s < 0 {
        s = 0;
    }
    if s > e || s >= len {
        return None;
    }
    if e >= len {
        e = len - 1;
    }
    Some((s, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(l: &List) -> Vec<Vec<u8>> {
        l.iter().map(|v| v.to_vec()).collect()
    }

    fn check(l: &List, fill: i32) {
        let total: usize = l.nodes.iter().map(|n| n.len()).sum();
        assert_eq!(total, l.len);
        for n in &l.nodes {
            assert!(!n.is_empty());
            assert!(!over_limit(n, fill), "node over limit");
        }
    }

    #[test]
    fn nodes_split_at_byte_limit() {
        let mut l = List::new();
        let v = vec![b'x'; 100];
        for _ in 0..1000 {
            l.push(&v, End::Tail, -2);
        }
        check(&l, -2);
        // ~102 bytes per entry, 8 KB nodes: about 80 per node.
        assert!(
            l.node_count() > 10 && l.node_count() < 16,
            "{}",
            l.node_count()
        );
        for n in &l.nodes {
            assert!(n.bytes_len() <= 8192);
        }
        let mut l = List::new();
        for _ in 0..1000 {
            l.push(&v, End::Head, -1);
        }
        assert!(l.nodes.iter().all(|n| n.bytes_len() <= 4096));
    }

    #[test]
    fn nodes_split_at_count_limit() {
        let mut l = List::new();
        for i in 0..100 {
            l.push(i.to_string().as_bytes(), End::Tail, 5);
        }
        assert_eq!(l.node_count(), 20);
        assert!(l.nodes.iter().all(|n| n.len() == 5));
        // Inserting into a full node splits it.
        assert!(l.insert(b"2", b"new", true, 5));
        check(&l, 5);
        assert_eq!(l.get(3).unwrap().to_vec(), b"new");
        // fill 0: one element per node.
        let mut l = List::new();
        for i in 0..10 {
            l.push(i.to_string().as_bytes(), End::Head, 0);
        }
        assert_eq!(l.node_count(), 10);
        // Big LSET splits too.
        let mut l = List::new();
        for _ in 0..60 {
            l.push(&[b'a'; 100], End::Tail, -2);
        }
        l.set(30, &[b'b'; 6000], -2);
        check(&l, -2);
        assert_eq!(l.get(30).unwrap().to_vec(), vec![b'b'; 6000]);
    }

    #[test]
    fn range_bounds_like_redis() {
        assert_eq!(range_bounds(5, 0, -1), Some((0, 4)));
        assert_eq!(range_bounds(5, -100, 100), Some((0, 4)));
        assert_eq!(range_bounds(5, 3, 1), None);
        assert_eq!(range_bounds(5, 5, 10), None);
        assert_eq!(range_bounds(5, -1, -1), Some((4, 4)));
    }

    /// Tiny xorshift so the property test needs no extra crate features.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
    }

    fn rand_value(r: &mut Rng) -> Vec<u8> {
        match r.below(4) {
            0 => (r.below(20) as i64 - 10).to_string().into_bytes(),
            1 => vec![b'a' + r.below(3) as u8; 1 + r.below(3) as usize],
            2 => vec![b'z'; 200 + r.below(3000) as usize],
            _ => (r.next() as i64).to_string().into_bytes(),
        }
    }

    #[test]
    fn matches_vecdeque_model() {
        for (seed, fill) in [(1u64, -2), (7, 3), (99, -1), (12345, 1), (4242, 0)] {
            let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let mut l = List::new();
            let mut m: VecDeque<Vec<u8>> = VecDeque::new();
            for _ in 0..3000 {
                let len = m.len() as i64;
                match r.below(10) {
                    0 | 1 => {
                        let v = rand_value(&mut r);
                        l.push(&v, End::Head, fill);
                        m.push_front(v);
                    }
                    2 | 3 => {
                        let v = rand_value(&mut r);
                        l.push(&v, End::Tail, fill);
                        m.push_back(v);
                    }
                    4 => {
                        let end = if r.below(2) == 0 {
                            End::Head
                        } else {
                            End::Tail
                        };
                        let got = l.pop(end);
                        let want = if end == End::Head {
                            m.pop_front()
                        } else {
                            m.pop_back()
                        };
                        assert_eq!(got, want);
                    }
                    5 => {
                        let pivot = rand_value(&mut r);
                        let v = rand_value(&mut r);
                        let after = r.below(2) == 0;
                        let found = l.insert(&pivot, &v, after, fill);
                        match m.iter().position(|e| *e == pivot) {
                            Some(i) => {
                                assert!(found);
                                m.insert(if after { i + 1 } else { i }, v);
                            }
                            None => assert!(!found),
                        }
                    }
                    6 => {
                        let v = rand_value(&mut r);
                        let count = r.below(5) as i64 - 2;
                        let got = l.remove(&v, count);
                        let mut want = 0;
                        let limit = if count == 0 {
                            usize::MAX
                        } else {
                            count.unsigned_abs() as usize
                        };
                        if count >= 0 {
                            let mut i = 0;
                            while i < m.len() && want < limit {
                                if m[i] == v {
                                    m.remove(i);
                                    want += 1;
                                } else {
                                    i += 1;
                                }
                            }
                        } else {
                            let mut i = m.len();
                            while i > 0 && want < limit {
                                i -= 1;
                                if m[i] == v {
                                    m.remove(i);
                                    want += 1;
                                }
                            }
                        }
                        assert_eq!(got, want);
                    }
                    7 => {
                        let idx = r.below(2 * len as u64 + 2) as i64 - len - 1;
                        let v = rand_value(&mut r);
                        let ok = l.set(idx, &v, fill);
                        let i = if idx < 0 { idx + len } else { idx };
                        assert_eq!(ok, i >= 0 && i < len);
                        if ok {
                            m[i as usize] = v;
                        }
                    }
                    8 => {
                        if r.below(8) == 0 {
                            let s = r.below(len as u64 + 2) as i64 - 1;
                            let e = r.below(2 * len as u64 + 2) as i64 - len;
                            l.trim(s, e);
                            let (ks, ke) = match range_bounds(len, s, e) {
                                Some((a, b)) => (a as usize, b as usize + 1),
                                None => (0, 0),
                            };
                            m = m.iter().take(ke).skip(ks).cloned().collect();
                        }
                    }
                    _ => {
                        if len > 0 {
                            let s = r.below(len as u64) as usize;
                            let fwd: Vec<Vec<u8>> =
                                l.iter_from(s).take(7).map(|v| v.to_vec()).collect();
                            let want: Vec<Vec<u8>> = m.iter().skip(s).take(7).cloned().collect();
                            assert_eq!(fwd, want);
                            let rev: Vec<Vec<u8>> =
                                l.iter_rev_from(s).take(7).map(|v| v.to_vec()).collect();
                            let want: Vec<Vec<u8>> =
                                m.iter().take(s + 1).rev().take(7).cloned().collect();
                            assert_eq!(rev, want);
                            let idx = r.below(len as u64) as i64;
                            assert_eq!(
                                l.get(idx).map(|v| v.to_vec()),
                                m.get(idx as usize).cloned()
                            );
                        }
                    }
                }
                assert_eq!(l.len(), m.len());
                check(&l, fill);
            }
            assert_eq!(items(&l), m.iter().cloned().collect::<Vec<_>>());
        }
    }
}
