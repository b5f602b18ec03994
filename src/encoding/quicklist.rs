//! One node of a quicklist (Redis 7.0's `quicklistNode`): either a *packed*
//! listpack holding a run of list elements, or a *plain* node holding one
//! element that is too large for a listpack, as its bare bytes. Either kind
//! may be stored LZF-compressed (`list-compress-depth`); the quicklist
//! (`types/list.rs`) decides which nodes are compressed, this file only
//! knows how to compress and decompress one node and what it holds.
//!
//! The node keeps its uncompressed size (`sz`, Redis's `node->sz`, which the
//! fill rules read even for compressed nodes) and its element count, plus
//! the two flags of Redis's node that steer recompression: `recompress`
//! (decompressed only for a moment, compress again when done) and
//! `dont_compress` (held raw during LSET's insert-then-delete).
//! Compression follows `__quicklistCompressNode`: nodes under 48 bytes are
//! left alone, and a result that does not save at least 8 bytes is dropped.

use crate::encoding::listpack::{Listpack, LpValue};

/// Smallest node worth compressing (MIN_COMPRESS_BYTES).
const MIN_COMPRESS_BYTES: usize = 48;
/// Least saving that keeps a compressed form (MIN_COMPRESS_IMPROVE).
const MIN_COMPRESS_IMPROVE: usize = 8;

#[derive(Clone, Debug)]
enum Data {
    Packed(Listpack),
    Plain(Box<[u8]>),
    /// LZF bytes of a listpack or of a plain element (see `Node::plain`).
    Lzf(Box<[u8]>),
}

#[derive(Clone, Debug)]
pub struct Node {
    data: Data,
    /// Uncompressed bytes (`lpBytes`, or the element length when plain).
    sz: usize,
    count: u32,
    plain: bool,
    pub recompress: bool,
    pub dont_compress: bool,
}

impl Node {
    /// A packed node holding `lp`.
    pub fn packed(lp: Listpack) -> Node {
        Node {
            sz: lp.bytes_len(),
            count: lp.len() as u32,
            data: Data::Packed(lp),
            plain: false,
            recompress: false,
            dont_compress: false,
        }
    }

    /// A packed node holding the single element `v`.
    pub fn packed_one(v: &[u8]) -> Node {
        let mut lp = Listpack::new();
        lp.append(v);
        Node::packed(lp)
    }

    /// A plain node holding the element `v`.
    pub fn plain(v: &[u8]) -> Node {
        Node {
            sz: v.len(),
            count: 1,
            data: Data::Plain(v.into()),
            plain: true,
            recompress: false,
            dont_compress: false,
        }
    }

    pub fn is_plain(&self) -> bool {
        self.plain
    }

    pub fn is_compressed(&self) -> bool {
        matches!(self.data, Data::Lzf(_))
    }

    /// Element count.
    pub fn count(&self) -> usize {
        self.count as usize
    }

    /// Uncompressed size in bytes (Redis's `node->sz`).
    pub fn sz(&self) -> usize {
        self.sz
    }

    /// Bytes actually held (compressed size when compressed).
    pub fn stored_len(&self) -> usize {
        match &self.data {
            Data::Packed(lp) => lp.bytes_len(),
            Data::Plain(b) | Data::Lzf(b) => b.len(),
        }
    }

    /// The LZF bytes, when compressed (what an RDB stores for the node).
    pub fn lzf(&self) -> Option<&[u8]> {
        match &self.data {
            Data::Lzf(b) => Some(b),
            _ => None,
        }
    }

    /// The uncompressed bytes: the listpack, or the plain element.
    /// `None` while compressed.
    pub fn raw(&self) -> Option<&[u8]> {
        match &self.data {
            Data::Packed(lp) => Some(lp.as_bytes()),
            Data::Plain(b) => Some(b),
            Data::Lzf(_) => None,
        }
    }

    /// The listpack of an uncompressed packed node.
    pub fn lp(&self) -> &Listpack {
        match &self.data {
            Data::Packed(lp) => lp,
            _ => panic!("quicklist node is not a raw listpack"),
        }
    }

    /// Mutable listpack of an uncompressed packed node. Callers fix the
    /// accounting afterwards with [`sync`](Self::sync).
    pub fn lp_mut(&mut self) -> &mut Listpack {
        match &mut self.data {
            Data::Packed(lp) => lp,
            _ => panic!("quicklist node is not a raw listpack"),
        }
    }

    /// Take the listpack out of an uncompressed packed node.
    pub fn take_lp(&mut self) -> Listpack {
        match std::mem::replace(&mut self.data, Data::Packed(Listpack::new())) {
            Data::Packed(lp) => lp,
            _ => panic!("quicklist node is not a raw listpack"),
        }
    }

    /// Put a listpack in and recount.
    pub fn set_lp(&mut self, lp: Listpack) {
        self.data = Data::Packed(lp);
        self.sync();
    }

    /// Refresh `sz` and `count` after the listpack changed.
    pub fn sync(&mut self) {
        if let Data::Packed(lp) = &mut self.data {
            self.sz = lp.bytes_len();
            self.count = lp.refresh_len() as u32;
        }
    }

    /// Replace the element of a plain node.
    pub fn set_plain(&mut self, v: &[u8]) {
        self.data = Data::Plain(v.into());
        self.sz = v.len();
    }

    /// The element of an uncompressed plain node.
    pub fn plain_value(&self) -> &[u8] {
        match &self.data {
            Data::Plain(b) => b,
            _ => panic!("quicklist node is not a raw plain node"),
        }
    }

    /// Value at listpack position `pos` (packed), or the element (plain).
    pub fn value(&self, pos: usize) -> LpValue<'_> {
        match &self.data {
            Data::Packed(lp) => lp.get(pos),
            Data::Plain(b) => LpValue::Str(b),
            Data::Lzf(_) => panic!("quicklist node is compressed"),
        }
    }

    /// Does the element at `pos` equal `s` (`quicklistCompare`)?
    pub fn eq_at(&self, pos: usize, s: &[u8]) -> bool {
        match &self.data {
            Data::Packed(lp) => lp.eq_at(pos, s),
            Data::Plain(b) => **b == *s,
            Data::Lzf(_) => panic!("quicklist node is compressed"),
        }
    }

    /// Try to compress (`__quicklistCompressNode`); true if now compressed.
    pub fn compress(&mut self) -> bool {
        if self.dont_compress {
            return false;
        }
        self.recompress = false;
        if self.sz < MIN_COMPRESS_BYTES {
            return false;
        }
        let raw = match &self.data {
            Data::Packed(lp) => lp.as_bytes(),
            Data::Plain(b) => &b[..],
            Data::Lzf(_) => return true,
        };
        match lzf::compress(raw) {
            Ok(c) if c.len() + MIN_COMPRESS_IMPROVE < self.sz => {
                self.data = Data::Lzf(c.into_boxed_slice());
                true
            }
            _ => false,
        }
    }

    /// Decompress in place (`__quicklistDecompressNode`); no-op when raw.
    pub fn decompress(&mut self) {
        let Data::Lzf(c) = &self.data else {
            return;
        };
        self.recompress = false;
        let raw = lzf::decompress(c, self.sz).expect("corrupt LZF quicklist node");
        self.data = if self.plain {
            Data::Plain(raw.into_boxed_slice())
        } else {
            Data::Packed(Listpack::from_bytes(raw))
        };
    }

    /// An uncompressed copy, leaving `self` as it is.
    pub fn decompressed(&self) -> std::borrow::Cow<'_, Node> {
        if self.is_compressed() {
            let mut n = self.clone();
            n.decompress();
            std::borrow::Cow::Owned(n)
        } else {
            std::borrow::Cow::Borrowed(self)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compress_roundtrip_and_thresholds() {
        let mut lp = Listpack::new();
        for _ in 0..20 {
            lp.append(b"hello hello hello");
        }
        let mut n = Node::packed(lp.clone());
        assert!(n.compress());
        assert!(n.is_compressed());
        assert!(n.stored_len() < n.sz());
        n.decompress();
        assert_eq!(n.lp(), &lp);

        // Too small: stays raw.
        let mut small = Node::packed_one(b"abc");
        assert!(!small.compress());
        // Incompressible: stays raw.
        let noise: Vec<u8> = (0..200u32).map(|i| (i * 7919 % 251) as u8).collect();
        let mut p = Node::plain(&noise);
        assert!(!p.compress());
        // Plain nodes compress too.
        let mut p = Node::plain(&[b'a'; 500]);
        assert!(p.compress());
        p.decompress();
        assert_eq!(p.plain_value(), &[b'a'; 500][..]);
        // dont_compress wins.
        let mut p = Node::plain(&[b'a'; 500]);
        p.dont_compress = true;
        assert!(!p.compress());
    }
}
