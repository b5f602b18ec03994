//! Decoders for the compact encodings of RDB files older than Redis 7.0:
//! ziplist (lists, hashes and sorted sets before listpack) and zipmap
//! (hashes before 2.6). Read-only: the loader turns their entries into our
//! listpack-based values. Both decoders check every length against the
//! buffer and fail on anything malformed, so a corrupt payload is refused,
//! never read out of bounds.

/// An entry value: bytes, or an integer the format stored as a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry<'a> {
    Str(&'a [u8]),
    Int(i64),
}

impl Entry<'_> {
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Entry::Str(s) => s.to_vec(),
            Entry::Int(n) => crate::util::num::i64_to_bytes(n),
        }
    }

    pub fn len(self) -> usize {
        match self {
            Entry::Str(s) => s.len(),
            Entry::Int(n) => crate::util::num::i64_to_bytes(n).len(),
        }
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

const ZL_HEADER: usize = 10;
const ZL_END: u8 = 0xFF;
const ZL_BIGLEN: u8 = 254;

fn u32_le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// All entries of a ziplist, validated the way `ziplistValidateIntegrity`
/// does with deep checking: header sizes, each entry's prevlen and encoding
/// within bounds, the tail offset, the count (unless saturated), and the
/// terminator as the last byte.
pub fn ziplist_entries(zl: &[u8]) -> Option<Vec<Entry<'_>>> {
    if zl.len() < ZL_HEADER + 1 {
        return None;
    }
    let bytes = u32_le(zl, 0)? as usize;
    let tail = u32_le(zl, 4)? as usize;
    let count = u16::from_le_bytes([zl[8], zl[9]]) as usize;
    if bytes != zl.len() || zl[bytes - 1] != ZL_END || tail > bytes - 1 {
        return None;
    }
    let mut out = Vec::new();
    let mut pos = ZL_HEADER;
    let mut prev_len = 0usize;
    let mut last_start = ZL_HEADER;
    while zl[pos] != ZL_END {
        let start = pos;
        // prevlen
        let prevlen = if zl[pos] < ZL_BIGLEN {
            pos += 1;
            zl[start] as usize
        } else if zl[pos] == ZL_BIGLEN {
            let v = u32_le(zl, pos + 1)? as usize;
            pos += 5;
            v
        } else {
            return None;
        };
        if prevlen != prev_len {
            return None;
        }
        let enc = *zl.get(pos)?;
        let (entry, next) = match enc >> 6 {
            0 => {
                let n = (enc & 0x3f) as usize;
                let s = pos + 1;
                (Entry::Str(zl.get(s..s.checked_add(n)?)?), s + n)
            }
            1 => {
                let n = (((enc & 0x3f) as usize) << 8) | *zl.get(pos + 1)? as usize;
                let s = pos + 2;
                (Entry::Str(zl.get(s..s.checked_add(n)?)?), s + n)
            }
            2 => {
                if enc != 0x80 {
                    return None;
                }
                let n = u32::from_be_bytes(zl.get(pos + 1..pos + 5)?.try_into().ok()?) as usize;
                let s = pos + 5;
                (Entry::Str(zl.get(s..s.checked_add(n)?)?), s + n)
            }
            _ => {
                let d = pos + 1;
                let int = |w: usize| -> Option<&[u8]> { zl.get(d..d + w) };
                match enc {
                    0xC0 => (
                        Entry::Int(i16::from_le_bytes(int(2)?.try_into().ok()?) as i64),
                        d + 2,
                    ),
                    0xD0 => (
                        Entry::Int(i32::from_le_bytes(int(4)?.try_into().ok()?) as i64),
                        d + 4,
                    ),
                    0xE0 => (
                        Entry::Int(i64::from_le_bytes(int(8)?.try_into().ok()?)),
                        d + 8,
                    ),
                    0xF0 => {
                        let b = int(3)?;
                        let v = i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8;
                        (Entry::Int(v as i64), d + 3)
                    }
                    0xFE => (Entry::Int(int(1)?[0] as i8 as i64), d + 1),
                    0xF1..=0xFD => (Entry::Int((enc & 0x0f) as i64 - 1), d),
                    _ => return None,
                }
            }
        };
        // The entry must end before the terminator byte.
        if next > bytes - 1 {
            return None;
        }
        out.push(entry);
        prev_len = next - start;
        last_start = start;
        pos = next;
    }
    if pos != bytes - 1 {
        return None;
    }
    let want_tail = if out.is_empty() {
        ZL_HEADER
    } else {
        last_start
    };
    if tail != want_tail {
        return None;
    }
    if count != u16::MAX as usize && count != out.len() {
        return None;
    }
    Some(out)
}

/// The field/value pairs of a zipmap (Redis < 2.6 small hashes), validated
/// as `zipmapValidateIntegrity`: every length within bounds, the terminator
/// last, the count byte (below 254) matching.
pub fn zipmap_pairs(zm: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let count = *zm.first()? as usize;
    let mut pos = 1;
    let mut out = Vec::new();
    let read_len = |pos: &mut usize| -> Option<Option<usize>> {
        let b = *zm.get(*pos)?;
        if b == ZL_END {
            return Some(None);
        }
        if b < ZL_BIGLEN {
            *pos += 1;
            Some(Some(b as usize))
        } else if b == ZL_BIGLEN {
            let v = u32_le(zm, *pos + 1)? as usize;
            *pos += 5;
            Some(Some(v))
        } else {
            None
        }
    };
    while let Some(klen) = read_len(&mut pos)? {
        let key = zm.get(pos..pos.checked_add(klen)?)?;
        pos += klen;
        let vlen = read_len(&mut pos)??;
        let free = *zm.get(pos)? as usize;
        pos += 1;
        let val = zm.get(pos..pos.checked_add(vlen)?)?;
        pos = pos.checked_add(vlen)?.checked_add(free)?;
        out.push((key, val));
    }
    if pos != zm.len() - 1 {
        return None;
    }
    if count < ZL_BIGLEN as usize && count != out.len() {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ziplist built by hand: "a", 12 (immediate), 1000 (int16).
    fn sample() -> Vec<u8> {
        let mut zl = vec![0u8; ZL_HEADER];
        let e1 = [0u8, 0x01, b'a'];
        let e2 = [3u8, 0xF0 + 13];
        let e3 = [2u8, 0xC0, 0xE8, 0x03];
        zl.extend_from_slice(&e1);
        let tail = zl.len() + e2.len();
        zl.extend_from_slice(&e2);
        zl.extend_from_slice(&e3);
        zl.push(ZL_END);
        let n = zl.len() as u32;
        zl[0..4].copy_from_slice(&n.to_le_bytes());
        zl[4..8].copy_from_slice(&(tail as u32).to_le_bytes());
        zl[8..10].copy_from_slice(&3u16.to_le_bytes());
        zl
    }

    #[test]
    fn ziplist_decodes() {
        let zl = sample();
        let e = ziplist_entries(&zl).unwrap();
        assert_eq!(e, vec![Entry::Str(b"a"), Entry::Int(12), Entry::Int(1000)]);
    }

    #[test]
    fn ziplist_rejects_any_truncation_or_flip() {
        let zl = sample();
        for n in 0..zl.len() {
            assert!(ziplist_entries(&zl[..n]).is_none());
        }
        for i in 0..zl.len() {
            for bit in 0..8 {
                let mut z = zl.clone();
                z[i] ^= 1 << bit;
                let _ = ziplist_entries(&z); // must not panic
            }
        }
    }

    #[test]
    fn zipmap_decodes() {
        let zm = [
            2u8, 1, b'a', 2, 0, b'x', b'y', 1, b'b', 1, 1, b'z', 0, ZL_END,
        ];
        let p = zipmap_pairs(&zm).unwrap();
        assert_eq!(p, vec![(&b"a"[..], &b"xy"[..]), (&b"b"[..], &b"z"[..])]);
        for n in 0..zm.len() {
            assert!(zipmap_pairs(&zm[..n]).is_none());
        }
    }
}
