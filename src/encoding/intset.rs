//! Intset: the compact encoding of small sets whose members are all integers.
//!
//! A set created from integer members (`SADD s 1 2 3`) starts life as an intset and only
//! becomes a hash table once it outgrows `set-max-intset-entries` or receives a member
//! that is not an integer (see [`member_to_int`]). The point is memory: three small
//! integers cost 14 bytes here instead of a dict with three string entries.
//!
//! The byte layout is Redis's own, so that an RDB `SET_INTSET` value is a straight copy of
//! [`Intset::as_bytes`] and a blob written by `redis-server` loads with
//! [`Intset::from_bytes`]:
//!
//! ```text
//! encoding: u32 LE   bytes per element: 2, 4 or 8 (i16 / i32 / i64)
//! length:   u32 LE   number of elements
//! contents: length × encoding bytes, signed little-endian, strictly ascending
//! ```
//!
//! All elements share one width. Inserting a value that does not fit the current width
//! rewrites every element at the wider one ("upgrade"); such a value is necessarily
//! smaller or larger than every element, so it lands at the start (negative) or the end.
//! Removing never narrows the width back, exactly as in Redis, so byte images match
//! `redis-server` after any sequence of `SADD`/`SREM`. The buffer is kept at its exact
//! size (no spare capacity), which is what Redis does with its `zrealloc` per change.
//! Lookups and insert positions use binary search.

use std::fmt;
use std::iter::FusedIterator;

use rand::{Rng, RngExt};

use crate::util::num::parse_i64;

/// Header value for 2-byte (i16) elements.
pub const ENC_INT16: u32 = 2;
/// Header value for 4-byte (i32) elements.
pub const ENC_INT32: u32 = 4;
/// Header value for 8-byte (i64) elements.
pub const ENC_INT64: u32 = 8;

/// Bytes before the first element: encoding + length.
const HEADER: usize = 8;

/// Whether a set member (as the client sent it) can live in an intset, and as which
/// integer: Redis's `string2ll` rules (canonical decimal, no sign `+`, no leading zeros,
/// no spaces, fits in i64). `"12"` can; `"012"`, `"+12"`, `"1.0"` cannot, since converting
/// them would change the member's bytes.
pub fn member_to_int(member: &[u8]) -> Option<i64> {
    parse_i64(member)
}

/// Narrowest width (bytes per element) that holds `v`.
fn width_for(v: i64) -> usize {
    if v >= i16::MIN as i64 && v <= i16::MAX as i64 {
        2
    } else if v >= i32::MIN as i64 && v <= i32::MAX as i64 {
        4
    } else {
        8
    }
}

/// Element `i` of `contents` (the bytes after the header) at width `w`.
#[inline]
fn read(contents: &[u8], w: usize, i: usize) -> i64 {
    let at = i * w;
    match w {
        2 => i16::from_le_bytes([contents[at], contents[at + 1]]) as i64,
        4 => i32::from_le_bytes(contents[at..at + 4].try_into().unwrap()) as i64,
        _ => i64::from_le_bytes(contents[at..at + 8].try_into().unwrap()),
    }
}

/// Store `v` (which must fit) as element `i` of `contents` at width `w`.
#[inline]
fn write(contents: &mut [u8], w: usize, i: usize, v: i64) {
    let at = i * w;
    match w {
        2 => contents[at..at + 2].copy_from_slice(&(v as i16).to_le_bytes()),
        4 => contents[at..at + 4].copy_from_slice(&(v as i32).to_le_bytes()),
        _ => contents[at..at + 8].copy_from_slice(&v.to_le_bytes()),
    }
}

fn header_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap())
}

/// The structural half of validation: header present, known encoding, and a size that
/// is exactly header + length × width. Returns the element count. Everything in this
/// module relies only on this, so a buffer passing it can never make us panic (out of
/// order contents just give wrong answers, as in Redis without deep sanitization).
fn check_structure(bytes: &[u8]) -> Option<usize> {
    if bytes.len() < HEADER {
        return None;
    }
    let w = match header_u32(bytes, 0) {
        enc @ (ENC_INT16 | ENC_INT32 | ENC_INT64) => enc as u64,
        _ => return None,
    };
    let count = header_u32(bytes, 4) as u64;
    (HEADER as u64 + count * w == bytes.len() as u64).then_some(count as usize)
}

/// A set of distinct i64s in Redis's intset byte format. See the module docs.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Intset {
    /// The whole blob, header included, at exactly its size. Invariant: passes
    /// `check_structure`.
    buf: Box<[u8]>,
}

impl Default for Intset {
    fn default() -> Self {
        Self::new()
    }
}

impl Intset {
    /// An empty set with 2-byte encoding (as `intsetNew`).
    pub fn new() -> Self {
        let mut buf = [0u8; HEADER];
        buf[..4].copy_from_slice(&ENC_INT16.to_le_bytes());
        Intset { buf: Box::new(buf) }
    }

    /// Adopt a blob (e.g. from an RDB file). Returns `None` unless it is structurally
    /// sound (known encoding, size matching the length); an empty set is accepted. It
    /// does not check ordering: a loader that wants Redis's rules calls
    /// [`Intset::validate`] first (deep when `sanitize-dump-payload` asks for it).
    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        check_structure(&bytes)?;
        Some(Intset {
            buf: bytes.into_boxed_slice(),
        })
    }

    /// Redis's `intsetValidateIntegrity`: the header is readable, the encoding is 2, 4 or
    /// 8, the size is exactly header + length × encoding, and the set is not empty. With
    /// `deep`, also that elements are strictly ascending (sorted, no duplicates). Never
    /// panics, whatever the input.
    pub fn validate(bytes: &[u8], deep: bool) -> bool {
        let Some(count) = check_structure(bytes) else {
            return false;
        };
        if count == 0 {
            return false;
        }
        if !deep {
            return true;
        }
        let w = header_u32(bytes, 0) as usize;
        let contents = &bytes[HEADER..];
        (1..count).all(|i| read(contents, w, i - 1) < read(contents, w, i))
    }

    /// The blob, header included: what goes into an RDB file.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Size of the blob in bytes (header included).
    pub fn blob_len(&self) -> usize {
        self.buf.len()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        header_u32(&self.buf, 4) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes per element: [`ENC_INT16`], [`ENC_INT32`] or [`ENC_INT64`]. Only grows.
    pub fn encoding(&self) -> u32 {
        header_u32(&self.buf, 0)
    }

    fn width(&self) -> usize {
        self.encoding() as usize
    }

    fn contents(&self) -> &[u8] {
        &self.buf[HEADER..]
    }

    fn set_len(buf: &mut [u8], len: usize) {
        let len = u32::try_from(len).expect("intset length exceeds u32");
        buf[4..8].copy_from_slice(&len.to_le_bytes());
    }

    /// `Ok(index)` if `v` is present, else `Err(position it would be inserted at)`.
    /// The caller has checked that `v` fits the current width.
    fn search(&self, v: i64) -> Result<usize, usize> {
        let n = self.len();
        let w = self.width();
        let c = self.contents();
        if n == 0 {
            return Err(0);
        }
        // Appending ascending values is the common case: answer it without a search.
        let last = read(c, w, n - 1);
        if v > last {
            return Err(n);
        }
        if v == last {
            return Ok(n - 1);
        }
        let (mut lo, mut hi) = (0, n - 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let x = read(c, w, mid);
            if x < v {
                lo = mid + 1;
            } else if x > v {
                hi = mid;
            } else {
                return Ok(mid);
            }
        }
        Err(lo)
    }

    /// Add `v`; false if it was already present.
    pub fn insert(&mut self, v: i64) -> bool {
        let w = self.width();
        if width_for(v) > w {
            self.upgrade_and_insert(v);
            return true;
        }
        let pos = match self.search(v) {
            Ok(_) => return false,
            Err(pos) => pos,
        };
        let n = self.len();
        let mut buf = Vec::from(std::mem::take(&mut self.buf));
        buf.reserve_exact(w);
        buf.resize(buf.len() + w, 0);
        let contents = &mut buf[HEADER..];
        contents.copy_within(pos * w..n * w, (pos + 1) * w);
        write(contents, w, pos, v);
        Self::set_len(&mut buf, n + 1);
        self.buf = buf.into_boxed_slice();
        true
    }

    /// Rewrite every element at the width `v` needs and add `v`, which is below every
    /// element if negative and above every element otherwise.
    fn upgrade_and_insert(&mut self, v: i64) {
        let old_w = self.width();
        let new_w = width_for(v);
        let n = self.len();
        let mut buf = vec![0u8; HEADER + (n + 1) * new_w];
        buf[..4].copy_from_slice(&(new_w as u32).to_le_bytes());
        Self::set_len(&mut buf, n + 1);
        let prepend = usize::from(v < 0);
        let old = self.contents();
        let contents = &mut buf[HEADER..];
        for i in 0..n {
            write(contents, new_w, i + prepend, read(old, old_w, i));
        }
        write(contents, new_w, if prepend == 1 { 0 } else { n }, v);
        self.buf = buf.into_boxed_slice();
    }

    /// Remove `v`; false if it was not present. The encoding stays as it is.
    pub fn remove(&mut self, v: i64) -> bool {
        let w = self.width();
        if width_for(v) > w {
            return false;
        }
        let Ok(pos) = self.search(v) else {
            return false;
        };
        let n = self.len();
        let mut buf = Vec::from(std::mem::take(&mut self.buf));
        buf.copy_within(HEADER + (pos + 1) * w..HEADER + n * w, HEADER + pos * w);
        buf.truncate(HEADER + (n - 1) * w);
        Self::set_len(&mut buf, n - 1);
        self.buf = buf.into_boxed_slice();
        true
    }

    pub fn contains(&self, v: i64) -> bool {
        width_for(v) <= self.width() && self.search(v).is_ok()
    }

    /// Element at `index` (ascending order).
    ///
    /// # Panics
    /// If `index >= len()`, like slice indexing.
    pub fn get(&self, index: usize) -> i64 {
        let n = self.len();
        assert!(index < n, "intset index {index} out of range (len {n})");
        read(self.contents(), self.width(), index)
    }

    /// A uniformly chosen element, or `None` if empty (`intsetRandom`).
    pub fn random<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<i64> {
        let n = self.len();
        (n > 0).then(|| self.get(rng.random_range(0..n)))
    }

    /// Smallest element.
    pub fn min(&self) -> Option<i64> {
        (!self.is_empty()).then(|| self.get(0))
    }

    /// Largest element.
    pub fn max(&self) -> Option<i64> {
        let n = self.len();
        (n > 0).then(|| self.get(n - 1))
    }

    /// Elements in ascending order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            contents: self.contents(),
            width: self.width(),
            front: 0,
            back: self.len(),
        }
    }
}

impl fmt::Debug for Intset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Intset(enc {}) ", self.encoding())?;
        f.debug_set().entries(self.iter()).finish()
    }
}

impl FromIterator<i64> for Intset {
    fn from_iter<I: IntoIterator<Item = i64>>(iter: I) -> Self {
        let mut s = Intset::new();
        for v in iter {
            s.insert(v);
        }
        s
    }
}

impl<'a> IntoIterator for &'a Intset {
    type Item = i64;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Ascending iterator over an [`Intset`] (double-ended, exact size).
#[derive(Clone)]
pub struct Iter<'a> {
    contents: &'a [u8],
    width: usize,
    front: usize,
    back: usize,
}

impl Iterator for Iter<'_> {
    type Item = i64;

    fn next(&mut self) -> Option<i64> {
        (self.front < self.back).then(|| {
            self.front += 1;
            read(self.contents, self.width, self.front - 1)
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<i64> {
        (self.front < self.back).then(|| {
            self.back -= 1;
            read(self.contents, self.width, self.back)
        })
    }
}

impl ExactSizeIterator for Iter<'_> {}
impl FusedIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use std::collections::BTreeSet;

    /// The intset blob inside a `DUMP` payload of a `SET_INTSET` value: type byte 11, an
    /// RDB string (plain length encodings only), then RDB version (2 bytes) and CRC64.
    fn dump_blob(payload: &[u8]) -> Vec<u8> {
        assert_eq!(payload[0], 11, "not RDB_TYPE_SET_INTSET");
        let p = &payload[1..];
        let (len, skip) = match p[0] >> 6 {
            0 => ((p[0] & 0x3f) as usize, 1),
            1 => ((((p[0] & 0x3f) as usize) << 8) | p[1] as usize, 2),
            2 if p[0] == 0x80 => (u32::from_be_bytes(p[1..5].try_into().unwrap()) as usize, 5),
            2 if p[0] == 0x81 => (u64::from_be_bytes(p[1..9].try_into().unwrap()) as usize, 9),
            _ => panic!("special (integer/LZF) RDB string encoding {:#x}", p[0]),
        };
        let rest = &p[skip..];
        assert_eq!(
            rest.len(),
            len + 10,
            "trailer is 2-byte version + 8-byte CRC"
        );
        assert_eq!(&rest[len..len + 2], &[10, 0], "RDB version 10");
        rest[..len].to_vec()
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Everything the type promises, checked against a model.
    fn check(s: &Intset, model: &BTreeSet<i64>, expect_width: usize) {
        let want: Vec<i64> = model.iter().copied().collect();
        assert_eq!(s.iter().collect::<Vec<_>>(), want);
        assert_eq!(
            s.iter().rev().collect::<Vec<_>>(),
            want.iter().rev().copied().collect::<Vec<_>>()
        );
        assert_eq!(s.iter().len(), want.len());
        assert_eq!(s.len(), want.len());
        assert_eq!(s.is_empty(), want.is_empty());
        assert_eq!(s.encoding() as usize, expect_width);
        assert_eq!(s.blob_len(), HEADER + want.len() * expect_width);
        assert_eq!(s.as_bytes().len(), s.blob_len());
        assert_eq!(s.min(), want.first().copied());
        assert_eq!(s.max(), want.last().copied());
        for (i, &v) in want.iter().enumerate() {
            assert_eq!(s.get(i), v);
        }
        assert_eq!(Intset::validate(s.as_bytes(), true), !want.is_empty());
        assert_eq!(Intset::validate(s.as_bytes(), false), !want.is_empty());
        assert_eq!(Intset::from_bytes(s.as_bytes().to_vec()).as_ref(), Some(s));
    }

    /// A command as Redis sees it: SADD or SREM of these members.
    enum Op {
        Add(Vec<i64>),
        Rem(Vec<i64>),
    }

    fn apply(s: &mut Intset, ops: &[Op]) {
        for op in ops {
            match op {
                Op::Add(vs) => vs.iter().for_each(|&v| {
                    s.insert(v);
                }),
                Op::Rem(vs) => vs.iter().for_each(|&v| {
                    s.remove(v);
                }),
            }
        }
    }

    /// `DUMP` payloads captured from Debian's redis-server 7.0.15 (`--rdbcompression no`)
    /// after the given commands. Our blob must be byte-identical.
    #[test]
    fn byte_images_match_redis() {
        let cases: Vec<(Vec<Op>, &str)> = vec![
            (
                vec![Op::Add(vec![1, 2, 3])],
                "0b0e02000000030000000100020003000a00a5025ce26d6e4d1b",
            ),
            (
                vec![Op::Add(vec![1, 40000])],
                "0b10040000000200000001000000409c00000a002f5c288f9bef4f93",
            ),
            (
                vec![Op::Add(vec![1, 5000000000])],
                "0b180800000002000000010000000000000000f2052a010000000a0054f5a26ae707b5fc",
            ),
            (
                vec![Op::Add(vec![-5, -70000, 3, -32768, 32767])],
                "0b1c040000000500000090eefeff0080fffffbffffff03000000ff7f00000a00d89ed0626e795ee8",
            ),
            (
                vec![Op::Add(vec![-5, -32769])],
                "0b100400000002000000ff7ffffffbffffff0a00591ddf51c5cf088c",
            ),
            (
                vec![Op::Add(vec![5, i64::MIN, i64::MAX])],
                "0b20080000000300000000000000000000800500000000000000ffffffffffffff7f0a00187892ccede9b385",
            ),
            // Removing the wide element does not narrow the encoding back.
            (
                vec![Op::Add(vec![1, 2, 70000]), Op::Rem(vec![70000, 1])],
                "0b0c0400000001000000020000000a005d7f046abf3fd83a",
            ),
        ];
        for (ops, dump) in cases {
            let blob = dump_blob(&hex(dump));
            let mut s = Intset::new();
            apply(&mut s, &ops);
            assert_eq!(s.as_bytes(), &blob[..], "{s:?}");
            assert!(Intset::validate(&blob, true));
            assert_eq!(Intset::from_bytes(blob).unwrap(), s);
        }
    }

    /// Minimal RESP client for the live comparison.
    struct Redis {
        child: std::process::Child,
        conn: std::io::BufReader<std::net::TcpStream>,
    }

    impl Drop for Redis {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    impl Redis {
        fn start() -> Option<Redis> {
            let bin = "/usr/bin/redis-server";
            if !std::path::Path::new(bin).exists() {
                eprintln!("{bin} not installed: skipping live comparison");
                return None;
            }
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let child = std::process::Command::new(bin)
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no", "--rdbcompression", "no"])
                .args(["--set-max-intset-entries", "5000", "--dir", "/tmp"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .ok()?;
            let mut child = Some(child);
            for _ in 0..200 {
                if let Ok(c) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                    return Some(Redis {
                        child: child.take().unwrap(),
                        conn: std::io::BufReader::new(c),
                    });
                }
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            let mut c = child.unwrap();
            let _ = c.kill();
            let _ = c.wait();
            panic!("redis-server did not start on port {port}");
        }

        /// Send a command; return the bulk reply (or the integer reply as text).
        fn cmd(&mut self, args: &[&[u8]]) -> Option<Vec<u8>> {
            use std::io::{BufRead, Read, Write};
            let mut out = format!("*{}\r\n", args.len()).into_bytes();
            for a in args {
                out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                out.extend_from_slice(a);
                out.extend_from_slice(b"\r\n");
            }
            self.conn.get_mut().write_all(&out).unwrap();
            let mut line = String::new();
            self.conn.read_line(&mut line).unwrap();
            let line = line.trim_end();
            match &line[..1] {
                ":" | "+" => Some(line.as_bytes()[1..].to_vec()),
                "$" => {
                    let n: i64 = line[1..].parse().unwrap();
                    if n < 0 {
                        return None;
                    }
                    let mut buf = vec![0; n as usize + 2];
                    self.conn.read_exact(&mut buf).unwrap();
                    buf.truncate(n as usize);
                    Some(buf)
                }
                _ => panic!("redis-server replied {line}"),
            }
        }

        fn run(&mut self, key: &[u8], ops: &[Op]) {
            for op in ops {
                let (name, vs): (&[u8], _) = match op {
                    Op::Add(vs) => (b"SADD", vs),
                    Op::Rem(vs) => (b"SREM", vs),
                };
                for chunk in vs.chunks(500) {
                    let members: Vec<Vec<u8>> =
                        chunk.iter().map(|v| v.to_string().into_bytes()).collect();
                    let mut args: Vec<&[u8]> = vec![name, key];
                    args.extend(members.iter().map(|m| &m[..]));
                    self.cmd(&args);
                }
            }
        }
    }

    /// Random command sequences, replayed on a live redis-server and on our intset: the
    /// DUMPed blob must equal our bytes. Covers all widths and 6/14/32-bit RDB lengths.
    #[test]
    fn random_sets_match_live_redis() {
        let Some(mut redis) = Redis::start() else {
            return;
        };
        let mut rng = StdRng::seed_from_u64(0x1_5e7);
        let (mut compared, mut length_kinds) = (0, BTreeSet::new());
        for round in 0..60 {
            let top = round % 3; // widest class this round may reach
            let size = [3usize, 20, 300, 3000][round % 4];
            let mut ops = Vec::new();
            let mut inserted = Vec::new();
            for _ in 0..rng.random_range(1..4) {
                let vs: Vec<i64> = (0..size).map(|_| gen_value(&mut rng, top)).collect();
                inserted.extend_from_slice(&vs);
                ops.push(Op::Add(vs));
                if rng.random_bool(0.5) {
                    let k = rng.random_range(0..=inserted.len() / 2);
                    let rm = (0..k)
                        .map(|_| {
                            if rng.random_bool(0.8) {
                                inserted[rng.random_range(0..inserted.len())]
                            } else {
                                gen_value(&mut rng, 2)
                            }
                        })
                        .collect();
                    ops.push(Op::Rem(rm));
                }
            }
            let key = format!("k{round}");
            redis.run(key.as_bytes(), &ops);
            let mut s = Intset::new();
            apply(&mut s, &ops);
            let Some(dump) = redis.cmd(&[b"DUMP", key.as_bytes()]) else {
                assert!(s.is_empty(), "redis has no key but we have {s:?}");
                continue;
            };
            assert_eq!(s.as_bytes(), &dump_blob(&dump)[..], "round {round}");
            compared += 1;
            // Which RDB length encoding carried the blob: 6-bit, 14-bit or 32-bit.
            length_kinds.insert(dump[1] >> 6);
        }
        assert!(compared > 50, "{compared}");
        assert_eq!(length_kinds, BTreeSet::from([0, 1, 2]));
    }

    /// A value from one of several classes: `top` 0 stays within i16, 1 within i32.
    fn gen_value(rng: &mut StdRng, top: usize) -> i64 {
        let edges: &[i64] = match top {
            0 => &[i16::MIN as i64, i16::MAX as i64, 0],
            1 => &[
                i16::MIN as i64,
                i16::MAX as i64,
                i32::MIN as i64,
                i32::MAX as i64,
                0,
            ],
            _ => &[
                i16::MIN as i64,
                i16::MAX as i64,
                i32::MIN as i64,
                i32::MAX as i64,
                i64::MIN,
                i64::MAX,
                0,
            ],
        };
        match rng.random_range(0..4) {
            0 => rng.random_range(-50..50),
            1 => {
                let e = edges[rng.random_range(0..edges.len())];
                // Near an edge, clamped into the class's range.
                let lo = if top == 0 {
                    i16::MIN as i64
                } else if top == 1 {
                    i32::MIN as i64
                } else {
                    i64::MIN
                };
                let hi = if top == 0 {
                    i16::MAX as i64
                } else if top == 1 {
                    i32::MAX as i64
                } else {
                    i64::MAX
                };
                e.saturating_add(rng.random_range(-3..=3)).clamp(lo, hi)
            }
            _ => match rng.random_range(0..=top) {
                0 => rng.random::<i16>() as i64,
                1 => rng.random::<i32>() as i64,
                _ => rng.random::<i64>(),
            },
        }
    }

    #[test]
    fn model_random_inserts_and_removes() {
        let mut rng = StdRng::seed_from_u64(42);
        for run in 0..300 {
            let top = run % 3;
            let mut s = Intset::new();
            let mut model = BTreeSet::new();
            let mut width = 2;
            let mut live: Vec<i64> = Vec::new();
            for step in 0..rng.random_range(1..400) {
                // Late in some runs, allow a wider class so upgrades happen on big sets.
                let class = if step > 200 && run % 5 == 0 { 2 } else { top };
                let v = if !live.is_empty() && rng.random_bool(0.3) {
                    live[rng.random_range(0..live.len())]
                } else {
                    gen_value(&mut rng, class)
                };
                if rng.random_bool(0.65) {
                    assert_eq!(s.insert(v), model.insert(v), "insert {v}");
                    width = width.max(width_for(v));
                    live.push(v);
                } else {
                    assert_eq!(s.remove(v), model.remove(&v), "remove {v}");
                }
                let probe = gen_value(&mut rng, 2);
                assert_eq!(s.contains(probe), model.contains(&probe));
                assert_eq!(s.contains(v), model.contains(&v));
                if step % 16 == 0 {
                    check(&s, &model, width);
                }
            }
            check(&s, &model, width);
            // Empty it completely: the encoding stays.
            let all: Vec<i64> = model.iter().copied().collect();
            for v in all {
                assert!(s.remove(v));
                assert!(!s.remove(v));
            }
            check(&s, &BTreeSet::new(), width);
        }
    }

    #[test]
    fn upgrade_boundaries() {
        let cases: [(i64, u32); 12] = [
            (i16::MIN as i64, ENC_INT16),
            (i16::MAX as i64, ENC_INT16),
            (i16::MIN as i64 - 1, ENC_INT32),
            (i16::MAX as i64 + 1, ENC_INT32),
            (i32::MIN as i64, ENC_INT32),
            (i32::MAX as i64, ENC_INT32),
            (i32::MIN as i64 - 1, ENC_INT64),
            (i32::MAX as i64 + 1, ENC_INT64),
            (i64::MIN, ENC_INT64),
            (i64::MAX, ENC_INT64),
            (0, ENC_INT16),
            (-1, ENC_INT16),
        ];
        for (v, enc) in cases {
            let mut s = Intset::new();
            assert!(s.insert(v));
            assert_eq!(s.encoding(), enc, "{v}");
            // Upgrade from a narrower set: v lands first if negative, last otherwise.
            let mut s: Intset = [-3, 0, 7].into_iter().collect();
            assert!(s.insert(v) != [-3, 0, 7].contains(&v));
            assert_eq!(s.encoding(), enc, "{v}");
            let mut m: BTreeSet<i64> = [-3, 0, 7].into();
            m.insert(v);
            check(&s, &m, enc as usize);
            assert!(s.contains(v));
            // A value too wide for the current encoding is never found nor removed.
            let s16: Intset = [1, 2].into_iter().collect();
            if enc > ENC_INT16 {
                assert!(!s16.contains(v));
                let mut c = s16.clone();
                assert!(!c.remove(v));
                assert_eq!(c, s16);
            }
        }
        // Two-step upgrade 16 -> 32 -> 64 keeps every element.
        let mut s: Intset = [-2, 5].into_iter().collect();
        s.insert(-100_000);
        s.insert(1 << 40);
        assert_eq!(s.iter().collect::<Vec<_>>(), [-100_000, -2, 5, 1 << 40]);
        assert_eq!(s.encoding(), ENC_INT64);
        // Direct 16 -> 64 upgrade with a negative.
        let mut s: Intset = [-2, 5].into_iter().collect();
        s.insert(i64::MIN);
        assert_eq!(s.iter().collect::<Vec<_>>(), [i64::MIN, -2, 5]);
    }

    #[test]
    fn empty_and_small_api() {
        let s = Intset::new();
        assert_eq!(s.as_bytes(), &[2, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(s.len(), 0);
        assert_eq!(s.min(), None);
        assert_eq!(s.max(), None);
        assert_eq!(s.iter().next(), None);
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(s.random(&mut rng), None);
        assert!(!s.contains(0));
        assert!(
            !Intset::validate(s.as_bytes(), false),
            "Redis rejects empty intsets"
        );
        assert_eq!(
            Intset::from_bytes(s.as_bytes().to_vec()),
            Some(Intset::new())
        );
        assert_eq!(Intset::default(), s);
        assert_eq!(
            format!("{:?}", [3, 1].into_iter().collect::<Intset>()),
            "Intset(enc 2) {1, 3}"
        );

        let mut s = Intset::new();
        assert!(s.insert(5));
        assert!(!s.insert(5));
        assert!(s.insert(-5));
        assert!(s.remove(5));
        assert!(!s.remove(5));
        assert!(!s.remove(1 << 50));
        assert_eq!(s.iter().collect::<Vec<_>>(), [-5]);
        let mut it = [1, 2, 3, 4].into_iter().collect::<Intset>();
        it.insert(0);
        let mut i = it.iter();
        assert_eq!((i.next(), i.next_back(), i.len()), (Some(0), Some(4), 3));
        assert_eq!(i.collect::<Vec<_>>(), [1, 2, 3]);
    }

    #[test]
    #[should_panic(expected = "out of range")]
    fn get_out_of_range_panics() {
        [1, 2].into_iter().collect::<Intset>().get(2);
    }

    #[test]
    fn random_hits_every_element_uniformly() {
        let s: Intset = [-1_000_000, 0, 3, 9, 1 << 40].into_iter().collect();
        let mut rng = StdRng::seed_from_u64(7);
        let mut hits = std::collections::HashMap::new();
        for _ in 0..50_000 {
            *hits.entry(s.random(&mut rng).unwrap()).or_insert(0u32) += 1;
        }
        assert_eq!(hits.len(), 5);
        for (v, n) in hits {
            assert!(s.contains(v));
            assert!((9_000..11_000).contains(&n), "{v}: {n}");
        }
    }

    #[test]
    fn member_conversion_rule() {
        assert_eq!(member_to_int(b"0"), Some(0));
        assert_eq!(member_to_int(b"-12"), Some(-12));
        assert_eq!(member_to_int(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(member_to_int(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b"9223372036854775808"[..],
            b"-9223372036854775809",
            b"012",
            b"+1",
            b"-0",
            b" 1",
            b"1 ",
            b"1.0",
            b"",
            b"-",
            b"0x10",
        ] {
            assert_eq!(
                member_to_int(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    fn blob(enc: u32, vals: &[i64]) -> Vec<u8> {
        let mut b = enc.to_le_bytes().to_vec();
        b.extend_from_slice(&(vals.len() as u32).to_le_bytes());
        for &v in vals {
            b.extend_from_slice(&v.to_le_bytes()[..enc as usize]);
        }
        b
    }

    #[test]
    fn validate_rules() {
        assert!(Intset::validate(&blob(2, &[1, 2]), true));
        assert!(
            Intset::validate(&blob(8, &[1, 2]), true),
            "non-minimal width is fine"
        );
        assert!(!Intset::validate(&blob(2, &[]), false), "empty");
        assert!(!Intset::validate(&[], false));
        assert!(
            !Intset::validate(&[2, 0, 0, 0, 1, 0, 0], false),
            "short header"
        );
        for enc in [0, 1, 3, 6, 16, 0x0200, u32::MAX] {
            let mut b = blob(2, &[1, 2]);
            b[..4].copy_from_slice(&enc.to_le_bytes());
            assert!(!Intset::validate(&b, false), "encoding {enc}");
            assert!(Intset::from_bytes(b).is_none());
        }
        let good = blob(4, &[-7, 1, 70000]);
        assert!(
            !Intset::validate(&good[..good.len() - 1], false),
            "truncated"
        );
        let mut long = good.clone();
        long.push(0);
        assert!(!Intset::validate(&long, false), "trailing byte");
        let mut huge = good.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(!Intset::validate(&huge, false), "length overflow");
        for bad in [&[1, 1][..], &[2, 1], &[1, 3, 2], &[i64::MAX, i64::MIN]] {
            let b = blob(8, bad);
            assert!(Intset::validate(&b, false), "shallow ignores order");
            assert!(!Intset::validate(&b, true), "{bad:?}");
        }
    }

    /// Random corruption of valid blobs: validate never panics, and whatever passes the
    /// structural check can be operated on without panicking; deep-valid blobs behave
    /// exactly like a set.
    #[test]
    fn validate_fuzz() {
        let mut rng = StdRng::seed_from_u64(0xfa22);
        let mut deep_valid = 0;
        let mut shallow_valid = 0;
        for i in 0..20_000 {
            let n = rng.random_range(0..12);
            let top = i % 3;
            let src: Intset = (0..n).map(|_| gen_value(&mut rng, top)).collect();
            let mut b = src.as_bytes().to_vec();
            match rng.random_range(0..5) {
                0 => b.truncate(rng.random_range(0..=b.len())),
                1 => (0..rng.random_range(1..4)).for_each(|_| b.push(rng.random())),
                2 if !b.is_empty() => {
                    let at = rng.random_range(0..b.len());
                    b[at] = rng.random();
                }
                3 if b.len() > HEADER => {
                    // Corrupt only contents, keeping structure: exercises unsorted data.
                    for _ in 0..rng.random_range(1..4) {
                        let at = rng.random_range(HEADER..b.len());
                        b[at] ^= 1 << rng.random_range(0..8);
                    }
                }
                _ => {
                    let at = rng.random_range(0..4);
                    b[at] = [0, 1, 2, 4, 8, 0xff][rng.random_range(0..6)];
                }
            }
            let deep = Intset::validate(&b, true);
            let shallow = Intset::validate(&b, false);
            assert!(!deep || shallow);
            let Some(mut s) = Intset::from_bytes(b.clone()) else {
                assert!(!shallow);
                continue;
            };
            assert_eq!(shallow, !s.is_empty());
            shallow_valid += shallow as u32;
            let elems: Vec<i64> = s.iter().collect();
            assert_eq!(elems.len(), s.len());
            if deep {
                deep_valid += 1;
                let mut model: BTreeSet<i64> = elems.iter().copied().collect();
                assert!(elems.windows(2).all(|w| w[0] < w[1]));
                for _ in 0..10 {
                    let v = gen_value(&mut rng, 2);
                    if rng.random_bool(0.5) {
                        assert_eq!(s.insert(v), model.insert(v));
                    } else {
                        assert_eq!(s.remove(v), model.remove(&v));
                    }
                }
                assert_eq!(s.iter().collect::<BTreeSet<_>>(), model);
                assert_eq!(s.len(), model.len());
            } else {
                // Garbage in, garbage out, but no panic and the structure stays sound.
                for _ in 0..10 {
                    let v = gen_value(&mut rng, 2);
                    s.contains(v);
                    if rng.random_bool(0.5) {
                        s.insert(v);
                    } else {
                        s.remove(v);
                    }
                    assert!(check_structure(s.as_bytes()).is_some());
                }
                s.min();
                s.max();
                s.random(&mut rng);
            }
        }
        assert!(
            deep_valid > 1000 && shallow_valid > deep_valid,
            "{deep_valid} {shallow_valid}"
        );
    }
}
