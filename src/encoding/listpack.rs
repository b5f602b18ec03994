//! Listpack: Redis 7.0's compact sequence of strings and integers in one byte
//! buffer, byte-compatible with `listpack.c`.
//!
//! Small hashes, small sorted sets and the nodes of a quicklist keep their
//! elements here instead of in separately allocated objects: one allocation
//! per aggregate, a few bytes of overhead per element. Because the bytes are
//! exactly Redis's, an RDB file (or a DUMP/RESTORE payload) carries a
//! listpack as an opaque string that both cinnabar and redis-server read
//! without conversion — which is also why every mutation here must produce
//! the same bytes Redis's `lpAppend`/`lpInsert`/`lpDelete*` would.
//!
//! Layout:
//!
//! ```text
//! <total bytes: u32 LE> <element count: u16 LE, 65535 = unknown> <entry>* 0xFF
//! entry = <encoding + data> <backlen>
//! ```
//!
//! Encodings, chosen by the first byte:
//!
//! | first byte  | meaning                                   | enc size |
//! |-------------|-------------------------------------------|----------|
//! | `0xxxxxxx`  | uint 0..=127                              | 1        |
//! | `10xxxxxx`  | string, 6-bit length                      | 1 + len  |
//! | `110xxxxx`  | int, 13-bit two's complement (+1 byte)    | 2        |
//! | `1110xxxx`  | string, 12-bit length (+1 byte)           | 2 + len  |
//! | `11110000`  | string, 32-bit LE length                  | 5 + len  |
//! | `11110001`  | int16 LE                                  | 3        |
//! | `11110010`  | int24 LE                                  | 4        |
//! | `11110011`  | int32 LE                                  | 5        |
//! | `11110100`  | int64 LE                                  | 9        |
//!
//! The backlen stores the "enc size" in 1–5 bytes of 7 bits, most significant
//! group first, every byte but the first flagged with 0x80, so it can be
//! decoded walking backwards from the byte before the next entry. Redis's
//! size thresholds (including the quirk that 16383 takes three bytes) are
//! reproduced exactly.
//!
//! Strings that parse as integers under `string2ll` rules are stored as
//! integers, as `lpInsert` does. Positions are byte offsets of an entry's
//! first byte; any mutation invalidates positions after the touched entry
//! (the mutating calls return the position to continue from).
//!
//! Trust: `from_bytes` and everything produced by this module are assumed
//! well-formed. Bytes from outside (RDB, RESTORE) go through
//! [`Listpack::validate`] first (deep = `sanitize-dump-payload`); a corrupt
//! buffer that skipped deep validation can make accessors panic (slice
//! bounds), which is Rust's equivalent of Redis's integrity asserts — never
//! undefined behaviour, as this module has no `unsafe`.

use std::cmp::Ordering;
use std::fmt;

use crate::util::num::{parse_i64, write_i64};

/// Header: total bytes (u32) + element count (u16).
pub const HDR_SIZE: usize = 6;
/// Element count value meaning "too many to store, scan to count".
pub const NUMELE_UNKNOWN: u16 = u16::MAX;
/// The terminator byte.
pub const EOF: u8 = 0xFF;
/// Redis's LISTPACK_MAX_SAFETY_SIZE: listpacks never grow past 1 GB.
pub const MAX_SAFETY_SIZE: usize = 1 << 30;
/// Bytes of an empty listpack.
pub const EMPTY_BYTES: usize = HDR_SIZE + 1;

const ENC_6BIT_STR: u8 = 0x80;
const ENC_13BIT_INT: u8 = 0xC0;
const ENC_12BIT_STR: u8 = 0xE0;
const ENC_32BIT_STR: u8 = 0xF0;
const ENC_16BIT_INT: u8 = 0xF1;
const ENC_24BIT_INT: u8 = 0xF2;
const ENC_32BIT_INT: u8 = 0xF3;
const ENC_64BIT_INT: u8 = 0xF4;

/// Scratch buffer big enough for any i64 in decimal (`-9223372036854775808`).
pub type IntBuf = [u8; 20];

// ---------------------------------------------------------------------------
// Element values
// ---------------------------------------------------------------------------

/// One element as stored: integers come back as integers, strings borrow the
/// listpack's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LpValue<'a> {
    Int(i64),
    Str(&'a [u8]),
}

impl<'a> LpValue<'a> {
    /// Equal to the string `s` (`lpCompare`): integers compare by value, so
    /// only canonical decimal forms of the number match.
    pub fn eq_bytes(&self, s: &[u8]) -> bool {
        match *self {
            LpValue::Str(v) => v == s,
            LpValue::Int(v) => parse_i64(s) == Some(v),
        }
    }

    /// The string form, using `buf` for integers; no allocation.
    pub fn bytes<'b>(&self, buf: &'b mut IntBuf) -> &'b [u8]
    where
        'a: 'b,
    {
        match *self {
            LpValue::Str(s) => s,
            LpValue::Int(v) => format_int(v, buf),
        }
    }

    /// Append the string form to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        match *self {
            LpValue::Str(s) => out.extend_from_slice(s),
            LpValue::Int(v) => write_i64(out, v),
        }
    }

    /// The string form as an owned vector.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }

    /// Length of the string form (HSTRLEN).
    pub fn str_len(&self) -> usize {
        match *self {
            LpValue::Str(s) => s.len(),
            LpValue::Int(v) => {
                let mut buf = IntBuf::default();
                format_int(v, &mut buf).len()
            }
        }
    }

    /// The integer value, parsing strings with `string2ll` rules.
    pub fn to_i64(&self) -> Option<i64> {
        match *self {
            LpValue::Int(v) => Some(v),
            LpValue::Str(s) => parse_i64(s),
        }
    }

    /// Byte-wise comparison of the string form with `s` (memcmp order, as
    /// `zzlCompareElements`).
    pub fn cmp_bytes(&self, s: &[u8]) -> Ordering {
        let mut buf = IntBuf::default();
        self.bytes(&mut buf).cmp(s)
    }
}

/// Decimal form of `v` into the tail of `buf`.
fn format_int(v: i64, buf: &mut IntBuf) -> &[u8] {
    let mut i = buf.len();
    let mut u = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (u % 10) as u8;
        u /= 10;
        if u == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

// ---------------------------------------------------------------------------
// Encoding helpers
// ---------------------------------------------------------------------------

/// An element ready to be written: a 1–9 byte head (a whole integer, or a
/// string's length prefix) followed by `data` (the string bytes, or nothing).
struct Encoded<'a> {
    head: [u8; 9],
    head_len: u8,
    data: &'a [u8],
}

impl<'a> Encoded<'a> {
    fn int(v: i64) -> Encoded<'static> {
        let mut head = [0u8; 9];
        let head_len = if (0..=127).contains(&v) {
            head[0] = v as u8;
            1
        } else if (-4096..=4095).contains(&v) {
            let u = (v as u16) & 0x1FFF;
            head[0] = ENC_13BIT_INT | (u >> 8) as u8;
            head[1] = u as u8;
            2
        } else if (-32768..=32767).contains(&v) {
            head[0] = ENC_16BIT_INT;
            head[1..3].copy_from_slice(&(v as i16).to_le_bytes());
            3
        } else if (-8_388_608..=8_388_607).contains(&v) {
            head[0] = ENC_24BIT_INT;
            head[1..4].copy_from_slice(&(v as i32).to_le_bytes()[..3]);
            4
        } else if (-2_147_483_648..=2_147_483_647).contains(&v) {
            head[0] = ENC_32BIT_INT;
            head[1..5].copy_from_slice(&(v as i32).to_le_bytes());
            5
        } else {
            head[0] = ENC_64BIT_INT;
            head[1..9].copy_from_slice(&v.to_le_bytes());
            9
        };
        Encoded {
            head,
            head_len,
            data: &[],
        }
    }

    /// `lpEncodeGetType`: integer-looking strings become integers.
    fn of(s: &'a [u8]) -> Encoded<'a> {
        if let Some(v) = parse_i64(s) {
            return Encoded::int(v);
        }
        let len = s.len();
        assert!(len <= u32::MAX as usize, "listpack string too long");
        let mut head = [0u8; 9];
        let head_len = if len < 64 {
            head[0] = ENC_6BIT_STR | len as u8;
            1
        } else if len < 4096 {
            head[0] = ENC_12BIT_STR | (len >> 8) as u8;
            head[1] = len as u8;
            2
        } else {
            head[0] = ENC_32BIT_STR;
            head[1..5].copy_from_slice(&(len as u32).to_le_bytes());
            5
        };
        Encoded {
            head,
            head_len,
            data: s,
        }
    }

    /// Encoding + data size (what the backlen records).
    fn enc_len(&self) -> usize {
        self.head_len as usize + self.data.len()
    }

    /// Whole entry size including the backlen.
    fn entry_len(&self) -> usize {
        let l = self.enc_len();
        l + backlen_size(l)
    }

    /// Write the entry (with backlen) into `dst`, exactly `entry_len` bytes.
    fn write(&self, dst: &mut [u8]) {
        let h = self.head_len as usize;
        dst[..h].copy_from_slice(&self.head[..h]);
        let l = h + self.data.len();
        dst[h..l].copy_from_slice(self.data);
        write_backlen(&mut dst[l..], l);
    }
}

/// Bytes `lpEncodeBacklen` uses for an encoded length `l` (note the strict
/// `<` bounds: 16383 already takes three bytes).
fn backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2_097_151 {
        3
    } else if l < 268_435_455 {
        4
    } else {
        5
    }
}

/// Write the backlen of `l` into the first `backlen_size(l)` bytes of `dst`:
/// most significant 7-bit group first, continuation flag on all but it.
fn write_backlen(dst: &mut [u8], l: usize) {
    let n = backlen_size(l);
    for (i, b) in dst[..n].iter_mut().enumerate() {
        let group = ((l >> (7 * (n - 1 - i))) & 127) as u8;
        *b = if i == 0 { group } else { group | 128 };
    }
}

/// Decode a backlen whose last byte is `buf[end - 1]`. `None` if it runs past
/// five bytes or off the start of the buffer.
fn read_backlen(buf: &[u8], end: usize) -> Option<usize> {
    let mut val = 0usize;
    let mut shift = 0;
    let mut i = end;
    loop {
        i = i.checked_sub(1)?;
        let b = *buf.get(i)?;
        val |= ((b & 127) as usize) << shift;
        if b & 128 == 0 {
            return Some(val);
        }
        shift += 7;
        if shift > 28 {
            return None;
        }
    }
}

/// Bytes of the encoding prefix (type byte + length bytes) for first byte
/// `b`, or `None` for an invalid type byte (0xF5..=0xFE; 0xFF is EOF).
fn prefix_len(b: u8) -> Option<usize> {
    match b {
        0x00..=0xDF => Some(1),
        0xE0..=0xEF => Some(2),
        ENC_32BIT_STR => Some(5),
        ENC_16BIT_INT..=ENC_64BIT_INT => Some(1),
        _ => None,
    }
}

/// Encoding + data size of the entry at `pos`, reading only the prefix, which
/// must be in bounds. `None` for an invalid type byte or EOF.
fn enc_len_at(buf: &[u8], pos: usize) -> Option<usize> {
    let b = buf[pos];
    Some(match b {
        0x00..=0x7F => 1,
        0x80..=0xBF => 1 + (b & 0x3F) as usize,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 2 + ((((b & 0x0F) as usize) << 8) | buf[pos + 1] as usize),
        ENC_32BIT_STR => {
            let len = u32::from_le_bytes([buf[pos + 1], buf[pos + 2], buf[pos + 3], buf[pos + 4]]);
            5 + len as usize
        }
        ENC_16BIT_INT => 3,
        ENC_24BIT_INT => 4,
        ENC_32BIT_INT => 5,
        ENC_64BIT_INT => 9,
        _ => return None,
    })
}

/// Whole size (with backlen) of the entry at `pos` of a trusted buffer.
fn entry_len_at(buf: &[u8], pos: usize) -> usize {
    let l = enc_len_at(buf, pos).expect("corrupt listpack entry");
    l + backlen_size(l)
}

/// Decode the entry at `pos` of a trusted buffer.
fn value_at(buf: &[u8], pos: usize) -> LpValue<'_> {
    let b = buf[pos];
    match b {
        0x00..=0x7F => LpValue::Int(b as i64),
        0x80..=0xBF => {
            let n = (b & 0x3F) as usize;
            LpValue::Str(&buf[pos + 1..pos + 1 + n])
        }
        0xC0..=0xDF => {
            let u = (((b & 0x1F) as u16) << 8) | buf[pos + 1] as u16;
            // Sign-extend 13 bits.
            LpValue::Int((((u << 3) as i16) >> 3) as i64)
        }
        0xE0..=0xEF => {
            let n = (((b & 0x0F) as usize) << 8) | buf[pos + 1] as usize;
            LpValue::Str(&buf[pos + 2..pos + 2 + n])
        }
        ENC_32BIT_STR => {
            let n = u32::from_le_bytes([buf[pos + 1], buf[pos + 2], buf[pos + 3], buf[pos + 4]])
                as usize;
            LpValue::Str(&buf[pos + 5..pos + 5 + n])
        }
        ENC_16BIT_INT => LpValue::Int(i16::from_le_bytes([buf[pos + 1], buf[pos + 2]]) as i64),
        ENC_24BIT_INT => {
            let u = i32::from_le_bytes([0, buf[pos + 1], buf[pos + 2], buf[pos + 3]]);
            LpValue::Int((u >> 8) as i64)
        }
        ENC_32BIT_INT => LpValue::Int(i32::from_le_bytes([
            buf[pos + 1],
            buf[pos + 2],
            buf[pos + 3],
            buf[pos + 4],
        ]) as i64),
        ENC_64BIT_INT => {
            let mut b8 = [0u8; 8];
            b8.copy_from_slice(&buf[pos + 1..pos + 9]);
            LpValue::Int(i64::from_le_bytes(b8))
        }
        _ => panic!("corrupt listpack entry"),
    }
}

/// Check the entry at `pos` of an untrusted buffer of `total` bytes
/// (`lpValidateNext`): returns the position after it.
fn validate_entry(buf: &[u8], pos: usize) -> Option<usize> {
    let last = buf.len() - 1; // the terminator's index
    let prefix = prefix_len(buf[pos])?;
    // The prefix may touch at most the terminator (as in Redis's OUT_OF_RANGE).
    if pos + prefix > last {
        return None;
    }
    let l = enc_len_at(buf, pos)?;
    let bl = backlen_size(l);
    let next = pos.checked_add(l)?.checked_add(bl)?;
    if next > last {
        return None;
    }
    if read_backlen(buf, next)? != l {
        return None;
    }
    Some(next)
}

fn header_total(buf: &[u8]) -> usize {
    u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize
}

fn header_count(buf: &[u8]) -> u16 {
    u16::from_le_bytes([buf[4], buf[5]])
}

/// Full entry size (encoding, data and backlen) that storing `s` would take.
pub fn entry_size_for(s: &[u8]) -> usize {
    Encoded::of(s).entry_len()
}

/// Full entry size that storing the integer `v` would take.
pub fn entry_size_for_int(v: i64) -> usize {
    Encoded::int(v).entry_len()
}

// ---------------------------------------------------------------------------
// The listpack
// ---------------------------------------------------------------------------

/// A listpack owning exactly its bytes (no spare capacity: like Redis, every
/// size change reallocates, which the allocator does in place within a size
/// class).
#[derive(Clone, PartialEq, Eq)]
pub struct Listpack {
    buf: Box<[u8]>,
}

impl Default for Listpack {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Listpack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Listpack {
    /// An empty listpack (7 bytes).
    pub fn new() -> Self {
        let mut buf = vec![0u8; EMPTY_BYTES];
        buf[..4].copy_from_slice(&(EMPTY_BYTES as u32).to_le_bytes());
        buf[HDR_SIZE] = EOF;
        Listpack {
            buf: buf.into_boxed_slice(),
        }
    }

    /// Adopt bytes known to be a well-formed listpack (ours, or validated).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        debug_assert!(Self::validate(&bytes, false), "from_bytes: not a listpack");
        Listpack {
            buf: bytes.into_boxed_slice(),
        }
    }

    /// Deep-validate untrusted bytes and adopt them.
    pub fn from_untrusted(bytes: Vec<u8>) -> Option<Self> {
        if Self::validate(&bytes, true) {
            Some(Self::from_bytes(bytes))
        } else {
            None
        }
    }

    /// `lpValidateIntegrity`: header size matches, terminator present; with
    /// `deep`, every entry's encoding and backlen, that the entries end
    /// exactly at the terminator and that the header count (unless unknown)
    /// matches. Never panics. A listpack passing deep validation can be used
    /// with every method of this type without panicking.
    pub fn validate(bytes: &[u8], deep: bool) -> bool {
        if deep {
            Self::validate_with(bytes, |_| true)
        } else {
            Self::validate_header(bytes)
        }
    }

    /// Deep validation that also hands each entry, once checked, to `entry`;
    /// validation fails as soon as it returns false (the RDB loader uses it to
    /// check pairs and duplicates).
    pub fn validate_with(bytes: &[u8], mut entry: impl FnMut(LpValue<'_>) -> bool) -> bool {
        if !Self::validate_header(bytes) {
            return false;
        }
        let last = bytes.len() - 1;
        let mut pos = HDR_SIZE;
        let mut count: usize = 0;
        while bytes[pos] != EOF {
            let Some(next) = validate_entry(bytes, pos) else {
                return false;
            };
            if !entry(value_at(bytes, pos)) {
                return false;
            }
            count += 1;
            pos = next;
        }
        if pos != last {
            return false;
        }
        let numele = header_count(bytes);
        numele == NUMELE_UNKNOWN || numele as usize == count
    }

    fn validate_header(bytes: &[u8]) -> bool {
        bytes.len() >= EMPTY_BYTES
            && header_total(bytes) == bytes.len()
            && bytes[bytes.len() - 1] == EOF
    }

    /// The raw bytes (what RDB stores).
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// Give up the bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf.into_vec()
    }

    /// Total size in bytes (`lpBytes`).
    pub fn bytes_len(&self) -> usize {
        self.buf.len()
    }

    /// Number of elements; scans when the header says "unknown".
    pub fn len(&self) -> usize {
        let n = header_count(&self.buf);
        if n != NUMELE_UNKNOWN {
            return n as usize;
        }
        self.positions().count()
    }

    /// `lpLength`: like [`len`](Self::len), but when a scan finds the count
    /// fits in the header again it is written back, as Redis does.
    pub fn refresh_len(&mut self) -> usize {
        let n = self.len();
        if n < NUMELE_UNKNOWN as usize {
            self.set_count(n as u16);
        }
        n
    }

    pub fn is_empty(&self) -> bool {
        self.buf[HDR_SIZE] == EOF
    }

    /// Would adding `add` bytes keep the listpack within 1 GB (`lpSafeToAdd`)?
    pub fn safe_to_add(&self, add: usize) -> bool {
        self.buf.len().saturating_add(add) <= MAX_SAFETY_SIZE
    }

    /// `lpSafeToAdd(NULL, add)`: could a new listpack of `add` bytes exist?
    pub fn size_is_safe(add: usize) -> bool {
        add <= MAX_SAFETY_SIZE
    }

    // -- navigation ---------------------------------------------------------

    /// Position of the first element.
    pub fn first(&self) -> Option<usize> {
        (self.buf[HDR_SIZE] != EOF).then_some(HDR_SIZE)
    }

    /// Position of the last element.
    pub fn last(&self) -> Option<usize> {
        self.prev(self.eof_pos())
    }

    /// Position of the element after `pos`.
    pub fn next(&self, pos: usize) -> Option<usize> {
        let p = pos + entry_len_at(&self.buf, pos);
        (self.buf[p] != EOF).then_some(p)
    }

    /// Position of the element before `pos` (`pos` may be the terminator's).
    pub fn prev(&self, pos: usize) -> Option<usize> {
        if pos <= HDR_SIZE {
            return None;
        }
        let l = read_backlen(&self.buf, pos).expect("corrupt listpack backlen");
        Some(pos - l - backlen_size(l))
    }

    /// The element at `pos`.
    pub fn get(&self, pos: usize) -> LpValue<'_> {
        value_at(&self.buf, pos)
    }

    /// Does the element at `pos` equal `s` (`lpCompare`)?
    pub fn eq_at(&self, pos: usize, s: &[u8]) -> bool {
        self.get(pos).eq_bytes(s)
    }

    /// `lpSeek`: position of element `index`, negative counting from the end
    /// (-1 = last). Walks from whichever end is nearer when the count is
    /// known.
    pub fn seek(&self, index: i64) -> Option<usize> {
        let numele = header_count(&self.buf);
        let mut index = index;
        let forward;
        if numele != NUMELE_UNKNOWN {
            let n = numele as i64;
            if index < 0 {
                index += n;
            }
            if index < 0 || index >= n {
                return None;
            }
            forward = index <= n / 2;
            if !forward {
                index -= n;
            }
        } else {
            forward = index >= 0;
        }
        if forward {
            let mut p = self.first();
            while index > 0 {
                p = self.next(p?);
                index -= 1;
            }
            p
        } else {
            let mut p = self.last();
            while index < -1 {
                p = self.prev(p?);
                index += 1;
            }
            p
        }
    }

    /// The element at `index` (negative from the end).
    pub fn get_index(&self, index: i64) -> Option<LpValue<'_>> {
        self.seek(index).map(|p| self.get(p))
    }

    /// `lpFind`: starting at `start`, compare an element, skip `skip`
    /// elements, compare the next, and so on (skip = 1 visits the fields of a
    /// field/value listpack). Returns the matching position.
    pub fn find(&self, start: usize, s: &[u8], skip: usize) -> Option<usize> {
        let buf = &self.buf;
        // The integer form of `s`, computed on the first integer entry met.
        let mut as_int: Option<Option<i64>> = None;
        let mut pos = start;
        let mut skipping = 0;
        while buf[pos] != EOF {
            if skipping == 0 {
                let hit = match value_at(buf, pos) {
                    LpValue::Str(v) => v == s,
                    LpValue::Int(v) => *as_int.get_or_insert_with(|| parse_i64(s)) == Some(v),
                };
                if hit {
                    return Some(pos);
                }
                skipping = skip;
            } else {
                skipping -= 1;
            }
            pos += entry_len_at(buf, pos);
        }
        None
    }

    /// Index (from 0) of the first element equal to `s`.
    pub fn index_of(&self, s: &[u8]) -> Option<usize> {
        let mut as_int: Option<Option<i64>> = None;
        self.iter().position(|v| match v {
            LpValue::Str(v) => v == s,
            LpValue::Int(v) => *as_int.get_or_insert_with(|| parse_i64(s)) == Some(v),
        })
    }

    /// Elements front to back; `.rev()` for back to front.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self.positions(),
        }
    }

    /// `(position, element)` pairs, front to back (double-ended).
    pub fn entries(&self) -> Entries<'_> {
        Entries {
            inner: self.positions(),
        }
    }

    /// `lpRepr`: the listpack entry by entry, as DEBUG LISTPACK / DEBUG
    /// QUICKLIST print it (raw bytes: string elements need not be UTF-8).
    pub fn repr(&self, out: &mut Vec<u8>) {
        use std::io::Write as _;
        let _ = writeln!(
            out,
            "{{total bytes {}}} {{num entries {}}}",
            self.bytes_len(),
            self.len()
        );
        let mut ibuf: IntBuf = [0; 20];
        for (index, pos) in self.positions().enumerate() {
            let enc = enc_len_at(&self.buf, pos).expect("trusted listpack");
            let hdr = prefix_len(self.buf[pos]).expect("trusted listpack");
            let back = backlen_size(enc);
            let _ = write!(
                out,
                "{{\n\taddr: 0x{:08x},\n\tindex: {:2},\n\toffset: {},\n\thdr+entrylen+backlen: {:2},\n\thdrlen: {:3},\n\tbacklen: {:2},\n\tpayload: {}\n\tbytes: ",
                self.buf.as_ptr() as usize + pos,
                index,
                pos,
                enc + back,
                hdr,
                back,
                enc - hdr
            );
            for b in &self.buf[pos..pos + enc + back] {
                let _ = write!(out, "{b:02x}|");
            }
            out.extend_from_slice(b"\n\t[str]");
            let v = self.get(pos);
            let bytes = v.bytes(&mut ibuf);
            if bytes.len() > 40 {
                out.extend_from_slice(&bytes[..40]);
                out.extend_from_slice(b"...");
            } else {
                out.extend_from_slice(bytes);
            }
            out.extend_from_slice(b"\n}\n");
        }
        out.extend_from_slice(b"{end}\n\n");
    }

    /// Element positions, front to back (double-ended).
    pub fn positions(&self) -> Positions<'_> {
        Positions {
            buf: &self.buf,
            front: HDR_SIZE,
            back: self.eof_pos(),
        }
    }

    /// Elements from `pos` (inclusive) to the end.
    pub fn entries_from(&self, pos: usize) -> Entries<'_> {
        Entries {
            inner: Positions {
                buf: &self.buf,
                front: pos,
                back: self.eof_pos(),
            },
        }
    }

    // -- mutation -----------------------------------------------------------

    /// Append `s` at the end.
    pub fn append(&mut self, s: &[u8]) {
        let at = self.eof_pos();
        self.insert_encoded(at, &Encoded::of(s));
    }

    /// Append an integer at the end.
    pub fn append_int(&mut self, v: i64) {
        let at = self.eof_pos();
        self.insert_encoded(at, &Encoded::int(v));
    }

    /// Append several elements with one reallocation; the bytes equal those
    /// of appending them one by one.
    pub fn append_many<T: AsRef<[u8]>>(&mut self, items: &[T]) {
        let add: usize = items
            .iter()
            .map(|s| Encoded::of(s.as_ref()).entry_len())
            .sum();
        let mut at = self.eof_pos();
        self.open_gap(at, 0, add);
        for s in items {
            let e = Encoded::of(s.as_ref());
            let n = e.entry_len();
            e.write(&mut self.buf[at..at + n]);
            at += n;
        }
        self.add_count(items.len());
    }

    /// Insert `s` at the front.
    pub fn prepend(&mut self, s: &[u8]) {
        self.insert_encoded(HDR_SIZE, &Encoded::of(s));
    }

    /// Insert an integer at the front.
    pub fn prepend_int(&mut self, v: i64) {
        self.insert_encoded(HDR_SIZE, &Encoded::int(v));
    }

    /// Insert `s` before the element at `pos` (or at the end when `pos` is
    /// the terminator's). Returns the new element's position.
    pub fn insert_before(&mut self, pos: usize, s: &[u8]) -> usize {
        self.insert_encoded(pos, &Encoded::of(s))
    }

    /// Insert `s` after the element at `pos`. Returns the new element's
    /// position.
    pub fn insert_after(&mut self, pos: usize, s: &[u8]) -> usize {
        let at = pos + entry_len_at(&self.buf, pos);
        self.insert_encoded(at, &Encoded::of(s))
    }

    /// Insert an integer before the element at `pos`.
    pub fn insert_int_before(&mut self, pos: usize, v: i64) -> usize {
        self.insert_encoded(pos, &Encoded::int(v))
    }

    /// Insert an integer after the element at `pos`.
    pub fn insert_int_after(&mut self, pos: usize, v: i64) -> usize {
        let at = pos + entry_len_at(&self.buf, pos);
        self.insert_encoded(at, &Encoded::int(v))
    }

    /// Replace the element at `pos` with `s`; its position stays `pos`.
    pub fn replace(&mut self, pos: usize, s: &[u8]) {
        self.replace_encoded(pos, &Encoded::of(s));
    }

    /// Replace the element at `pos` with an integer.
    pub fn replace_int(&mut self, pos: usize, v: i64) {
        self.replace_encoded(pos, &Encoded::int(v));
    }

    /// Delete the element at `pos`; returns the position of the element that
    /// followed it (now at `pos`), or `None` if it was the last.
    pub fn delete(&mut self, pos: usize) -> Option<usize> {
        let n = entry_len_at(&self.buf, pos);
        self.open_gap(pos, n, 0);
        self.sub_count(1);
        (self.buf[pos] != EOF).then_some(pos)
    }

    /// `lpDeleteRangeWithEntry`: delete up to `count` elements starting at
    /// `pos`. Returns the position of the element after them, if any.
    pub fn delete_range_at(&mut self, pos: usize, count: usize) -> Option<usize> {
        if count == 0 {
            return Some(pos);
        }
        let mut end = pos;
        let mut deleted = 0;
        while deleted < count && self.buf[end] != EOF {
            end += entry_len_at(&self.buf, end);
            deleted += 1;
        }
        self.open_gap(pos, end - pos, 0);
        self.sub_count(deleted);
        (self.buf[pos] != EOF).then_some(pos)
    }

    /// `lpDeleteRange`: delete up to `count` elements starting at element
    /// `index` (negative from the end). Out-of-range index: no-op.
    pub fn delete_range(&mut self, index: i64, count: usize) {
        if count == 0 {
            return;
        }
        let Some(pos) = self.seek(index) else {
            return;
        };
        let numele = header_count(&self.buf);
        if numele != NUMELE_UNKNOWN {
            let n = numele as i64;
            let idx = if index < 0 { n + index } else { index };
            if (n - idx) as usize <= count {
                // Everything from `pos` goes: just move the terminator.
                let old = self.buf.len();
                self.open_gap(pos, old - 1 - pos, 0);
                self.set_count(idx as u16);
                return;
            }
        }
        self.delete_range_at(pos, count);
    }

    /// `lpMerge`: the elements of `first` followed by those of `second`,
    /// reusing the larger allocation.
    pub fn merge(first: Listpack, second: Listpack) -> Listpack {
        let count = (first.len() + second.len()).min(NUMELE_UNKNOWN as usize) as u16;
        let total = first.buf.len() + second.buf.len() - EMPTY_BYTES;
        assert!(total <= u32::MAX as usize, "listpack too large");
        let mut out = if first.buf.len() >= second.buf.len() {
            let mut v = first.buf.into_vec();
            v.pop(); // terminator
            v.reserve_exact(second.buf.len() - HDR_SIZE);
            v.extend_from_slice(&second.buf[HDR_SIZE..]);
            v
        } else {
            let mut v = second.buf.into_vec();
            let body = first.buf.len() - EMPTY_BYTES;
            v.reserve_exact(body);
            v.splice(
                HDR_SIZE..HDR_SIZE,
                first.buf[HDR_SIZE..HDR_SIZE + body].iter().copied(),
            );
            v
        };
        out[..4].copy_from_slice(&(total as u32).to_le_bytes());
        out[4..6].copy_from_slice(&count.to_le_bytes());
        Listpack {
            buf: out.into_boxed_slice(),
        }
    }

    // -- internals ----------------------------------------------------------

    fn eof_pos(&self) -> usize {
        self.buf.len() - 1
    }

    fn insert_encoded(&mut self, pos: usize, e: &Encoded<'_>) -> usize {
        let n = e.entry_len();
        self.open_gap(pos, 0, n);
        e.write(&mut self.buf[pos..pos + n]);
        self.add_count(1);
        pos
    }

    fn replace_encoded(&mut self, pos: usize, e: &Encoded<'_>) {
        let old = entry_len_at(&self.buf, pos);
        let n = e.entry_len();
        self.open_gap(pos, old, n);
        e.write(&mut self.buf[pos..pos + n]);
    }

    /// Replace bytes `[at, at + remove)` with `insert` bytes of room (content
    /// unspecified) and update the header's total. Reallocates to the exact
    /// new size.
    fn open_gap(&mut self, at: usize, remove: usize, insert: usize) {
        let old = self.buf.len();
        let new = old - remove + insert;
        assert!(new <= u32::MAX as usize, "listpack too large");
        if insert != remove {
            let mut v = std::mem::take(&mut self.buf).into_vec();
            if insert > remove {
                v.reserve_exact(insert - remove);
                v.resize(new, 0);
                v.copy_within(at + remove..old, at + insert);
            } else {
                v.copy_within(at + remove..old, at + insert);
                v.truncate(new);
            }
            self.buf = v.into_boxed_slice();
        }
        self.buf[..4].copy_from_slice(&(new as u32).to_le_bytes());
    }

    fn set_count(&mut self, n: u16) {
        self.buf[4..6].copy_from_slice(&n.to_le_bytes());
    }

    /// Count bookkeeping as `lpInsert`: an unknown count stays unknown, and a
    /// count reaching 65535 becomes unknown.
    fn add_count(&mut self, n: usize) {
        let c = header_count(&self.buf);
        if c != NUMELE_UNKNOWN {
            let nc = (c as usize + n).min(NUMELE_UNKNOWN as usize);
            self.set_count(nc as u16);
        }
    }

    fn sub_count(&mut self, n: usize) {
        let c = header_count(&self.buf);
        if c != NUMELE_UNKNOWN {
            self.set_count((c as usize).saturating_sub(n) as u16);
        }
    }
}

// ---------------------------------------------------------------------------
// Iterators
// ---------------------------------------------------------------------------

/// Element positions; `front` is the next entry to yield from the front,
/// `back` the start of the entry after the next one to yield from the back.
#[derive(Clone)]
pub struct Positions<'a> {
    buf: &'a [u8],
    front: usize,
    back: usize,
}

impl Iterator for Positions<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        if self.front >= self.back {
            return None;
        }
        let p = self.front;
        self.front += entry_len_at(self.buf, p);
        Some(p)
    }
}

impl DoubleEndedIterator for Positions<'_> {
    fn next_back(&mut self) -> Option<usize> {
        if self.front >= self.back {
            return None;
        }
        let l = read_backlen(self.buf, self.back).expect("corrupt listpack backlen");
        self.back -= l + backlen_size(l);
        Some(self.back)
    }
}

/// Elements of a listpack.
#[derive(Clone)]
pub struct Iter<'a> {
    inner: Positions<'a>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = LpValue<'a>;

    fn next(&mut self) -> Option<LpValue<'a>> {
        let buf = self.inner.buf;
        self.inner.next().map(|p| value_at(buf, p))
    }
}

impl<'a> DoubleEndedIterator for Iter<'a> {
    fn next_back(&mut self) -> Option<LpValue<'a>> {
        let buf = self.inner.buf;
        self.inner.next_back().map(|p| value_at(buf, p))
    }
}

/// `(position, element)` pairs of a listpack.
#[derive(Clone)]
pub struct Entries<'a> {
    inner: Positions<'a>,
}

impl<'a> Iterator for Entries<'a> {
    type Item = (usize, LpValue<'a>);

    fn next(&mut self) -> Option<(usize, LpValue<'a>)> {
        let buf = self.inner.buf;
        self.inner.next().map(|p| (p, value_at(buf, p)))
    }
}

impl<'a> DoubleEndedIterator for Entries<'a> {
    fn next_back(&mut self) -> Option<(usize, LpValue<'a>)> {
        let buf = self.inner.buf;
        self.inner.next_back().map(|p| (p, value_at(buf, p)))
    }
}

impl<'a> IntoIterator for &'a Listpack {
    type Item = LpValue<'a>;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

#[cfg(test)]
#[path = "listpack_tests.rs"]
mod tests;
