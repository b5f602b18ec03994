//! The list type: Redis 7.0's quicklist, a sequence of nodes each holding
//! either a listpack of consecutive elements or one large "plain" element
//! (`encoding/quicklist.rs`), plus the total element count.
//!
//! Everything here follows `quicklist.c` step by step, because the node
//! layout is observable (DEBUG OBJECT, memory, and the RDB format stores
//! nodes as they are), not just the contents:
//!
//! * Fill (`list-max-listpack-size`, fixed when the list is created, as
//!   Redis does): negative = a byte limit per node (-1 4 KB … -5 64 KB),
//!   positive = an entry count per node, but never past 8 KB then. A push
//!   opens a node when Redis's estimate (node bytes + element + 8) says so.
//! * An element of `packed threshold` bytes or more (1 GB by default,
//!   `DEBUG QUICKLIST-PACKED-THRESHOLD`, process-wide as Redis's static) is
//!   stored alone in a plain node; such nodes are never merged or inserted
//!   into.
//! * Inserting in the middle (LINSERT) writes into the node, spills to a
//!   neighbour, or splits the node, then merges the small nodes around the
//!   split (`_quicklistInsert`, `_quicklistMergeNodes`). LSET replaces in
//!   place, except across the plain threshold where it inserts the new value
//!   after the old and deletes the old (which may split a node in the
//!   middle). Deletions just drop emptied nodes, as in Redis 7.0.
//! * Compression (`list-compress-depth` N, fixed at creation): the N nodes
//!   at each end stay raw, inner nodes are LZF-compressed. As in Redis this
//!   is maintained incrementally: a node is decompressed when an operation
//!   walks into it (`recompress` set) and compressed again when it leaves,
//!   and node insertions/deletions re-run `__quicklistCompress`, which
//!   decompresses the ends and compresses the node just past the depth.
//!   Reads therefore take `&mut self` and visit elements via callbacks.
//!
//! OBJECT ENCODING is always `quicklist` in Redis 7.0, and here.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::encoding::listpack::{Listpack, LpValue};
use crate::encoding::quicklist::Node;

/// Byte limits for negative fill values (-1 … -5).
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Largest node whatever a positive fill says.
const SIZE_SAFETY_LIMIT: usize = 8192;
/// Per-element overestimate of the listpack overhead of an insert.
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// Largest positive fill (quicklistSetFill).
const FILL_MAX: i64 = (1 << 15) - 1;
/// Largest compress depth (quicklistSetCompressDepth).
const COMPRESS_MAX: i64 = (1 << 16) - 1;
/// Default packed threshold: 1 GB.
const DEFAULT_PACKED_THRESHOLD: usize = 1 << 30;

static PACKED_THRESHOLD: AtomicUsize = AtomicUsize::new(DEFAULT_PACKED_THRESHOLD);

/// DEBUG QUICKLIST-PACKED-THRESHOLD: 0 restores 1 GB; false (unchanged)
/// above 4 GB - 1 MB.
pub fn set_packed_threshold(sz: u64) -> bool {
    if sz > (1u64 << 32) - (1 << 20) {
        return false;
    }
    let sz = if sz == 0 {
        DEFAULT_PACKED_THRESHOLD
    } else {
        sz as usize
    };
    PACKED_THRESHOLD.store(sz, Ordering::Relaxed);
    true
}

/// Does an element of `sz` bytes go into a plain node?
fn is_large(sz: usize) -> bool {
    sz >= PACKED_THRESHOLD.load(Ordering::Relaxed)
}

/// `list-max-listpack-size` clamped as quicklistSetFill does.
pub fn clamp_fill(v: i64) -> i32 {
    v.clamp(-(OPTIMIZATION_LEVEL.len() as i64), FILL_MAX) as i32
}

/// `list-compress-depth` clamped as quicklistSetCompressDepth does.
pub fn clamp_depth(v: i64) -> usize {
    v.clamp(0, COMPRESS_MAX) as usize
}

/// Does a node of `sz` bytes meet a negative (byte-size) fill?
fn size_meets_fill(sz: usize, fill: i32) -> bool {
    fill < 0
        && OPTIMIZATION_LEVEL
            .get((-(fill as i64) - 1) as usize)
            .is_some_and(|&limit| sz <= limit)
}

/// May an element of `sz` bytes go into `node` (`_quicklistNodeAllowInsert`)?
fn allow_insert(node: Option<&Node>, fill: i32, sz: usize) -> bool {
    let Some(node) = node else {
        return false;
    };
    if node.is_plain() || is_large(sz) {
        return false;
    }
    let new_sz = node.sz() + sz + SIZE_ESTIMATE_OVERHEAD;
    if size_meets_fill(new_sz, fill) {
        true
    } else if new_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        (node.count() as i64) < fill as i64
    }
}

/// May `a` and `b` become one node (`_quicklistNodeAllowMerge`)?
fn allow_merge(a: Option<&Node>, b: Option<&Node>, fill: i32) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return false;
    };
    if a.is_plain() || b.is_plain() {
        return false;
    }
    // One listpack header and terminator go away.
    let merge_sz = (a.sz() + b.sz()).saturating_sub(11);
    if size_meets_fill(merge_sz, fill) {
        true
    } else if merge_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        ((a.count() + b.count()) as i64) <= fill as i64
    }
}

#[derive(Clone, Debug)]
pub struct List {
    nodes: VecDeque<Node>,
    count: usize,
    fill: i32,
    /// Nodes kept raw at each end; 0 = no compression.
    compress: usize,
}

impl Default for List {
    fn default() -> Self {
        List::with_options(-2, 0)
    }
}

/// Which end of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    Head,
    Tail,
}

impl List {
    /// An empty list with Redis's defaults (fill -2, no compression).
    pub fn new() -> List {
        List::default()
    }

    /// An empty list with `list-max-listpack-size` / `list-compress-depth`.
    pub fn with_options(fill: i64, depth: i64) -> List {
        List {
            nodes: VecDeque::new(),
            count: 0,
            fill: clamp_fill(fill),
            compress: clamp_depth(depth),
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// OBJECT ENCODING: always `quicklist` in Redis 7.0.
    pub fn encoding(&self) -> &'static str {
        "quicklist"
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes, head to tail (for RDB and DEBUG).
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter()
    }

    /// Append a whole node at the tail (`quicklistAppendListpack` /
    /// `quicklistAppendPlainNode`, for RDB loading).
    pub fn append_node(&mut self, node: Node) {
        if node.count() == 0 {
            return;
        }
        self.count += node.count();
        let old = self.nodes.len().checked_sub(1);
        self.insert_node(old, node, true);
    }

    /// Heap bytes: node buffers (compressed size when compressed) plus the
    /// node array.
    pub fn heap_size(&self) -> usize {
        self.nodes.iter().map(|n| n.stored_len()).sum::<usize>()
            + self.nodes.capacity() * std::mem::size_of::<Node>()
    }

    /// The quicklist fields DEBUG OBJECT appends to its line.
    pub fn debug_fields(&self) -> String {
        let len = self.nodes.len();
        let avg = self.count as f64 / len as f64;
        let sz: usize = self.nodes.iter().map(|n| n.sz()).sum();
        format!(
            " ql_nodes:{} ql_avg_node:{:.2} ql_listpack_max:{} ql_compressed:{} ql_uncompressed_size:{}",
            len,
            avg,
            self.fill,
            (self.compress != 0) as i32,
            sz
        )
    }

    /// `quicklistRepr` (DEBUG QUICKLIST key [full]): the list and node
    /// headers, and with `full` every node's contents.
    pub fn repr(&self, full: bool) -> Vec<u8> {
        use std::io::Write as _;
        let mut out = Vec::new();
        let _ = write!(
            out,
            "{{count : {}}}\n{{len : {}}}\n{{fill : {}}}\n{{compress : {}}}\n{{bookmark_count : 0}}\n",
            self.count,
            self.nodes.len(),
            self.fill,
            self.compress
        );
        for (i, n) in self.nodes.iter().enumerate() {
            let _ = writeln!(
                out,
                "{{quicklist node({i})\n{{container : {}, encoding: {}, size: {}, count: {}, recompress: {}, attempted_compress: 0}}",
                if n.is_plain() { "PLAIN" } else { "PACKED" },
                if n.is_compressed() { "LZF" } else { "RAW" },
                n.sz(),
                n.count(),
                n.recompress as i32
            );
            if full {
                let raw = n.decompressed();
                if raw.is_plain() {
                    out.extend_from_slice(b"{ entry : ");
                    out.extend_from_slice(raw.plain_value());
                    out.extend_from_slice(b" }\n");
                } else {
                    out.extend_from_slice(b"{ listpack:\n");
                    raw.lp().repr(&mut out);
                    out.extend_from_slice(b"}\n");
                }
                out.extend_from_slice(b"}\n");
            }
        }
        out
    }

    // -- compression bookkeeping (quicklistCompress & co) ------------------

    /// `quicklistCompressNode`: compress node `i` if raw. The ends are
    /// never compressed (Redis asserts it).
    fn compress_node(&mut self, i: usize) {
        let last = self.nodes.len() - 1;
        let n = &mut self.nodes[i];
        if i == 0 || i == last {
            n.recompress = false;
            return;
        }
        if !n.is_compressed() {
            n.compress();
        }
    }

    /// `quicklistDecompressNodeForUse`: raw now, compress again after.
    fn decompress_for_use(&mut self, i: usize) {
        let n = &mut self.nodes[i];
        if n.is_compressed() {
            n.decompress();
            n.recompress = true;
        }
    }

    /// `quicklistRecompressOnly`.
    fn recompress_only(&mut self, i: usize) {
        if self.nodes[i].recompress {
            self.compress_node(i);
        }
    }

    /// `quicklistCompress`: node `i` is done with.
    fn ql_compress(&mut self, i: usize) {
        if self.nodes[i].recompress {
            self.compress_node(i);
        } else {
            self.compress_around(Some(i));
        }
    }

    /// `__quicklistCompress`: the `compress` nodes at each end raw, the one
    /// just inside them (and `node`, unless it is within the depth)
    /// compressed.
    fn compress_around(&mut self, node: Option<usize>) {
        let len = self.nodes.len();
        if len == 0 || self.compress == 0 || len < self.compress * 2 {
            return;
        }
        let (mut f, mut r) = (0, len - 1);
        let mut in_depth = false;
        for _ in 0..self.compress {
            self.nodes[f].decompress();
            self.nodes[r].decompress();
            if node == Some(f) || node == Some(r) {
                in_depth = true;
            }
            if f == r || f + 1 == r {
                return;
            }
            f += 1;
            r -= 1;
        }
        if !in_depth && let Some(n) = node {
            self.compress_node(n);
        }
        self.compress_node(f);
        self.compress_node(r);
    }

    /// `__quicklistInsertNode`: put `node` before/after node `old` (`None`
    /// only on an empty list). Returns the new node's index.
    fn insert_node(&mut self, old: Option<usize>, node: Node, after: bool) -> usize {
        let at = match old {
            None => 0,
            Some(o) if after => o + 1,
            Some(o) => o,
        };
        // Most lists have one node: grow the array one slot at a time while
        // small (VecDeque would jump to 4), then by doubling.
        let len = self.nodes.len();
        if len == self.nodes.capacity() {
            self.nodes.reserve_exact(if len < 4 { 1 } else { len });
        }
        self.nodes.insert(at, node);
        if let Some(o) = old {
            self.ql_compress(if after { o } else { o + 1 });
        }
        self.ql_compress(at);
        at
    }

    /// `__quicklistDelNode`.
    fn del_node(&mut self, i: usize) {
        let n = self.nodes.remove(i).expect("node index");
        self.count -= n.count();
        self.compress_around(None);
    }

    // -- pushes and pops ---------------------------------------------------

    /// Push `v` at `end` (`quicklistPushHead` / `quicklistPushTail`).
    pub fn push(&mut self, v: &[u8], end: End) {
        let sz = v.len();
        let (edge, after) = match end {
            End::Head => ((!self.nodes.is_empty()).then_some(0), false),
            End::Tail => (self.nodes.len().checked_sub(1), true),
        };
        if is_large(sz) {
            self.insert_node(edge, Node::plain(v), after);
        } else if let Some(e) = edge
            && allow_insert(self.nodes.get(e), self.fill, sz)
        {
            let n = &mut self.nodes[e];
            n.decompress();
            let lp = n.lp_mut();
            if after {
                lp.append(v);
            } else {
                lp.prepend(v);
            }
            n.sync();
        } else {
            self.insert_node(edge, Node::packed_one(v), after);
        }
        self.count += 1;
    }

    /// Pop the element at `end` (`quicklistPopCustom`).
    pub fn pop(&mut self, end: End) -> Option<Vec<u8>> {
        if self.count == 0 {
            return None;
        }
        let i = match end {
            End::Head => 0,
            End::Tail => self.nodes.len() - 1,
        };
        let n = &mut self.nodes[i];
        n.decompress();
        if n.is_plain() {
            let v = n.plain_value().to_vec();
            self.del_node(i);
            return Some(v);
        }
        let lp = n.lp_mut();
        let pos = match end {
            End::Head => lp.first(),
            End::Tail => lp.last(),
        }?;
        let v = lp.get(pos).to_vec();
        lp.delete(pos);
        n.sync();
        self.count -= 1;
        if self.nodes[i].count() == 0 {
            self.del_node(i);
        }
        Some(v)
    }

    // -- positions ---------------------------------------------------------

    /// A Redis index (negative from the end) as an in-range offset.
    pub fn norm_index(&self, index: i64) -> Option<usize> {
        let i = if index < 0 {
            index + self.count as i64
        } else {
            index
        };
        (i >= 0 && (i as usize) < self.count).then_some(i as usize)
    }

    /// Node index and offset inside it of element `index` (in range),
    /// walking from the nearer end.
    fn locate(&self, index: usize) -> (usize, usize) {
        if index <= (self.count - 1) / 2 {
            let mut i = index;
            for (ni, n) in self.nodes.iter().enumerate() {
                if i < n.count() {
                    return (ni, i);
                }
                i -= n.count();
            }
        } else {
            let mut from_end = self.count - 1 - index;
            for (ni, n) in self.nodes.iter().enumerate().rev() {
                if from_end < n.count() {
                    return (ni, n.count() - 1 - from_end);
                }
                from_end -= n.count();
            }
        }
        unreachable!("list index in range")
    }

    /// Listpack position of offset `off` in raw packed node `ni`.
    fn pos_of(&self, ni: usize, off: usize) -> usize {
        self.nodes[ni]
            .lp()
            .seek(off as i64)
            .expect("offset in node")
    }

    // -- reads -------------------------------------------------------------

    /// LINDEX: call `f` with element `index` (Redis index).
    pub fn get_with<R>(&mut self, index: i64, f: impl FnOnce(LpValue<'_>) -> R) -> Option<R> {
        let (ni, off) = self.locate(self.norm_index(index)?);
        self.decompress_for_use(ni);
        let pos = if self.nodes[ni].is_plain() {
            0
        } else {
            self.pos_of(ni, off)
        };
        let r = f(self.nodes[ni].value(pos));
        self.ql_compress(ni);
        Some(r)
    }

    /// Element `index` (Redis index), copied.
    pub fn get(&mut self, index: i64) -> Option<Vec<u8>> {
        self.get_with(index, |v| v.to_vec())
    }

    /// Visit elements from offset `start` towards the tail (or the head when
    /// `rev`) while `f` returns true, as a quicklist iterator does
    /// (decompressing each node on the way and compressing it after).
    pub fn visit(&mut self, start: usize, rev: bool, mut f: impl FnMut(LpValue<'_>) -> bool) {
        if start >= self.count {
            return;
        }
        let (mut ni, off) = self.locate(start);
        let mut off = Some(off);
        loop {
            self.decompress_for_use(ni);
            let n = &self.nodes[ni];
            let mut more = true;
            if n.is_plain() {
                more = f(n.value(0));
            } else {
                let lp = n.lp();
                let mut pos = match (off, rev) {
                    (Some(o), _) => lp.seek(o as i64),
                    (None, false) => lp.first(),
                    (None, true) => lp.last(),
                };
                while let Some(p) = pos {
                    if !f(lp.get(p)) {
                        more = false;
                        break;
                    }
                    pos = if rev { lp.prev(p) } else { lp.next(p) };
                }
            }
            self.ql_compress(ni);
            off = None;
            if !more {
                return;
            }
            if rev {
                if ni == 0 {
                    return;
                }
                ni -= 1;
            } else {
                ni += 1;
                if ni == self.nodes.len() {
                    return;
                }
            }
        }
    }

    /// Every element head to tail, without touching the stored nodes
    /// (compressed ones are decompressed into a copy): DUMP, DIGEST, SORT.
    pub fn for_each(&self, mut f: impl FnMut(LpValue<'_>)) {
        for n in &self.nodes {
            let n = n.decompressed();
            if n.is_plain() {
                f(n.value(0));
            } else {
                n.lp().iter().for_each(&mut f);
            }
        }
    }

    /// All elements, copied (tests and small callers).
    pub fn to_vec(&self) -> Vec<Vec<u8>> {
        let mut out = Vec::with_capacity(self.count);
        self.for_each(|v| out.push(v.to_vec()));
        out
    }

    // -- edits in the middle -----------------------------------------------

    /// `_quicklistSplitNode`: node `ni` keeps `[0, off]` (after) or
    /// `[off, end]` (before); the rest is returned as a new node.
    fn split(&mut self, ni: usize, off: usize, after: bool) -> Node {
        let node = &mut self.nodes[ni];
        let mut keep = node.take_lp();
        let mut moved = keep.clone();
        if after {
            keep.delete_range(off as i64 + 1, usize::MAX);
            moved.delete_range(0, off + 1);
        } else {
            keep.delete_range(0, off);
            moved.delete_range(off as i64, usize::MAX);
        }
        node.set_lp(keep);
        Node::packed(moved)
    }

    /// `_quicklistListpackMerge` of nodes `a` and `a + 1`; the merged node
    /// ends at `a`. The larger listpack absorbs the other, as lpMerge.
    fn merge_pair(&mut self, a: usize) {
        self.nodes[a].decompress();
        self.nodes[a + 1].decompress();
        let keep_first = self.nodes[a].sz() >= self.nodes[a + 1].sz();
        let first = self.nodes[a].take_lp();
        let second = self.nodes[a + 1].take_lp();
        let (keep, gone) = if keep_first { (a, a + 1) } else { (a + 1, a) };
        self.nodes[keep].set_lp(Listpack::merge(first, second));
        self.nodes[gone].sync();
        self.del_node(gone);
        self.ql_compress(a);
    }

    /// Node `i`, if there is one.
    fn node_at(&self, i: Option<usize>) -> Option<&Node> {
        i.and_then(|i| self.nodes.get(i))
    }

    /// `_quicklistMergeNodes` around node `center`.
    fn merge_nodes(&mut self, mut center: usize) {
        let fill = self.fill;
        if allow_merge(
            self.node_at(center.checked_sub(1)),
            self.node_at(center.checked_sub(2)),
            fill,
        ) {
            self.merge_pair(center - 2);
            center -= 1;
        }
        if allow_merge(
            self.node_at(Some(center + 1)),
            self.node_at(Some(center + 2)),
            fill,
        ) {
            self.merge_pair(center + 1);
        }
        let target = if allow_merge(
            self.node_at(Some(center)),
            self.node_at(center.checked_sub(1)),
            fill,
        ) {
            self.merge_pair(center - 1);
            center - 1
        } else {
            center
        };
        if allow_merge(
            self.node_at(Some(target)),
            self.node_at(Some(target + 1)),
            fill,
        ) {
            self.merge_pair(target);
        }
    }

    /// `_quicklistInsert`: insert `v` before/after element `off` of node
    /// `ni` (already decompressed for use). Returns the node an iterator
    /// would still stand on (Redis resets it on all but the plain paths).
    fn insert_at(&mut self, ni: usize, off: usize, v: &[u8], after: bool) -> Option<usize> {
        let sz = v.len();
        let fill = self.fill;
        let node = &self.nodes[ni];
        let full = !allow_insert(Some(node), fill, sz);
        let at_tail = after && off + 1 == node.count();
        let at_head = !after && off == 0;
        let avail_next = at_tail && allow_insert(self.nodes.get(ni + 1), fill, sz);
        let avail_prev =
            at_head && ni > 0 && allow_insert(self.nodes.get(ni.wrapping_sub(1)), fill, sz);

        if is_large(sz) {
            self.count += 1;
            if node.is_plain() || at_tail || at_head {
                self.insert_node(Some(ni), Node::plain(v), after);
                return Some(if after { ni } else { ni + 1 });
            }
            self.decompress_for_use(ni);
            let rest = self.split(ni, off, after);
            let p = self.insert_node(Some(ni), Node::plain(v), after);
            self.insert_node(Some(p), rest, after);
            return Some(if after { ni } else { ni + 2 });
        }

        if !full {
            self.decompress_for_use(ni);
            let pos = self.pos_of(ni, off);
            let n = &mut self.nodes[ni];
            if after {
                n.lp_mut().insert_after(pos, v);
            } else {
                n.lp_mut().insert_before(pos, v);
            }
            n.sync();
            self.recompress_only(ni);
        } else if avail_next {
            self.decompress_for_use(ni + 1);
            let n = &mut self.nodes[ni + 1];
            n.lp_mut().prepend(v);
            n.sync();
            self.recompress_only(ni + 1);
            self.recompress_only(ni);
        } else if avail_prev {
            self.decompress_for_use(ni - 1);
            let n = &mut self.nodes[ni - 1];
            n.lp_mut().append(v);
            n.sync();
            self.recompress_only(ni - 1);
            self.recompress_only(ni);
        } else if at_tail || at_head {
            self.insert_node(Some(ni), Node::packed_one(v), after);
        } else {
            self.decompress_for_use(ni);
            let mut rest = self.split(ni, off, after);
            if after {
                rest.lp_mut().prepend(v);
            } else {
                rest.lp_mut().append(v);
            }
            rest.sync();
            self.insert_node(Some(ni), rest, after);
            self.merge_nodes(if after { ni } else { ni + 1 });
        }
        self.count += 1;
        None
    }

    /// LINSERT: insert `v` before or after the first element equal to
    /// `pivot`. False when the pivot is not found.
    pub fn insert(&mut self, pivot: &[u8], v: &[u8], after: bool) -> bool {
        for ni in 0..self.nodes.len() {
            self.decompress_for_use(ni);
            let n = &self.nodes[ni];
            let hit = if n.is_plain() {
                n.eq_at(0, pivot).then_some(0)
            } else {
                let lp = n.lp();
                lp.positions().position(|p| lp.eq_at(p, pivot))
            };
            if let Some(off) = hit {
                if let Some(cur) = self.insert_at(ni, off, v, after) {
                    self.ql_compress(cur);
                }
                return true;
            }
            self.ql_compress(ni);
        }
        false
    }

    /// LSET (`quicklistReplaceAtIndex`); false when out of range.
    pub fn set(&mut self, index: i64, v: &[u8]) -> bool {
        let Some(i) = self.norm_index(index) else {
            return false;
        };
        let (ni, off) = self.locate(i);
        self.decompress_for_use(ni);
        let large = is_large(v.len());
        if !self.nodes[ni].is_plain() && !large {
            let pos = self.pos_of(ni, off);
            let n = &mut self.nodes[ni];
            n.lp_mut().replace(pos, v);
            n.sync();
            self.ql_compress(ni);
        } else if self.nodes[ni].is_plain() {
            if large {
                self.nodes[ni].set_plain(v);
                self.ql_compress(ni);
            } else {
                self.insert_at(ni, 0, v, true);
                self.del_node(ni);
            }
        } else {
            // Packed node, large value: the value goes after the old one
            // (splitting the node), then the old one is deleted.
            self.nodes[ni].dont_compress = true;
            self.insert_at(ni, off, v, true);
            if self.nodes[ni].count() == 1 {
                self.del_node(ni);
            } else {
                let n = &mut self.nodes[ni];
                let lp = n.lp_mut();
                let last = lp.last().expect("non-empty node");
                lp.delete(last);
                n.sync();
                self.count -= 1;
                self.nodes[ni].dont_compress = false;
                self.ql_compress(ni);
                self.ql_compress(ni + 1);
            }
        }
        true
    }

    // -- deletions ---------------------------------------------------------

    /// LREM: remove up to `count` elements equal to `v` (count > 0 from the
    /// head, < 0 from the tail, 0 all). Returns how many were removed.
    pub fn remove(&mut self, v: &[u8], count: i64) -> usize {
        let limit = if count == 0 {
            usize::MAX
        } else {
            count.unsigned_abs() as usize
        };
        let rev = count < 0;
        let mut removed = 0;
        let mut ni = if rev {
            self.nodes.len().checked_sub(1)
        } else {
            (!self.nodes.is_empty()).then_some(0)
        };
        while let Some(i) = ni {
            self.decompress_for_use(i);
            let mut node_gone = false;
            if self.nodes[i].is_plain() {
                if self.nodes[i].eq_at(0, v) {
                    self.del_node(i);
                    removed += 1;
                    node_gone = true;
                }
            } else {
                let n = &mut self.nodes[i];
                let mut pos = if rev { n.lp().last() } else { n.lp().first() };
                while let Some(p) = pos {
                    if removed == limit {
                        break;
                    }
                    if n.eq_at(p, v) {
                        let prev = n.lp().prev(p);
                        let next = n.lp_mut().delete(p);
                        removed += 1;
                        self.count -= 1;
                        pos = if rev { prev } else { next };
                    } else {
                        pos = if rev { n.lp().prev(p) } else { n.lp().next(p) };
                    }
                }
                n.sync();
                if n.count() == 0 {
                    self.del_node(i);
                    node_gone = true;
                }
            }
            // The node the iterator stands on next.
            let next = match (rev, node_gone) {
                (false, true) => (i < self.nodes.len()).then_some(i),
                (false, false) => (i + 1 < self.nodes.len()).then_some(i + 1),
                (true, _) => i.checked_sub(1),
            };
            if removed == limit {
                // Released where it stopped.
                let cur = if node_gone { next } else { Some(i) };
                if let Some(c) = cur {
                    self.ql_compress(c);
                }
                break;
            }
            if !node_gone {
                self.ql_compress(i);
            }
            ni = next;
        }
        removed
    }

    /// `quicklistDelRange`: delete `count` elements from Redis index
    /// `start` towards the tail.
    fn del_range(&mut self, start: i64, count: usize) {
        if count == 0 || self.count == 0 {
            return;
        }
        let total = self.count as i64;
        let mut extent = count.min(self.count) as i64;
        if start >= 0 && extent > total - start {
            extent = total - start;
        } else if start < 0 && extent > -start {
            extent = -start;
        }
        let Some(idx) = self.norm_index(start) else {
            return;
        };
        let (mut ni, off) = self.locate(idx);
        let mut offset = if start < 0 {
            off as i64 - self.nodes[ni].count() as i64
        } else {
            off as i64
        };
        self.ql_compress(ni);
        while extent > 0 {
            let ncount = self.nodes[ni].count() as i64;
            let entire = offset == 0 && extent >= ncount;
            let del = if entire {
                ncount
            } else if offset >= 0 && extent + offset >= ncount {
                ncount - offset
            } else if offset < 0 {
                (-offset).min(extent)
            } else {
                extent
            };
            if entire || self.nodes[ni].is_plain() {
                self.del_node(ni);
            } else {
                self.decompress_for_use(ni);
                let n = &mut self.nodes[ni];
                n.lp_mut().delete_range(offset, del as usize);
                n.sync();
                self.count -= del as usize;
                if self.nodes[ni].count() == 0 {
                    self.del_node(ni);
                } else {
                    self.recompress_only(ni);
                    ni += 1;
                }
            }
            extent -= del;
            offset = 0;
        }
    }

    /// Delete `n` elements from `end` (LPOP/RPOP with a count, LMPOP).
    pub fn delete_from(&mut self, end: End, n: usize) {
        let n = n.min(self.count);
        match end {
            End::Head => self.del_range(0, n),
            End::Tail => self.del_range(-(n as i64), n),
        }
    }

    /// LTRIM: keep elements `start..=end` (Redis indexes, clamped).
    pub fn trim(&mut self, start: i64, end: i64) {
        let len = self.count as i64;
        let (ltrim, rtrim) = match range_bounds(len, start, end) {
            Some((s, e)) => (s as usize, (len - 1 - e) as usize),
            None => (self.count, 0),
        };
        self.del_range(0, ltrim);
        self.del_range(-(rtrim as i64), rtrim);
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
#[path = "list_tests.rs"]
mod tests;
