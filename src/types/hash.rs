//! The hash type: a field → value map in one of Redis's two encodings.
//!
//! Small hashes are a listpack (`encoding/listpack.rs`) holding field and
//! value of each pair consecutively, in insertion order, exactly the bytes
//! Redis's `t_hash.c` would build — so HGETALL of a small hash answers in the
//! same order as Redis, and RDB can later store the buffer as it is. A hash
//! becomes a `Dict<SmallBytes, SmallBytes>` ("hashtable") once it holds more
//! than `hash-max-listpack-entries` fields or is given a field or value
//! longer than `hash-max-listpack-value` bytes (or the listpack would pass
//! 1 GB); like Redis it never converts back. The thresholds are passed in as
//! `Limits` so that CONFIG SET takes effect on the next write.
//!
//! Memory: a listpack costs its bytes plus this enum's box; a table costs a
//! dict node per field (two inline-or-boxed `SmallBytes`), nothing more.
//! Values read from either encoding come back as `LpValue` (an integer or
//! borrowed bytes), so replies never allocate.

use std::collections::HashSet;

use rand::RngExt;

use crate::dict::Dict;
use crate::encoding::listpack::{Listpack, LpValue};
use crate::types::SmallBytes;

/// The conversion thresholds (`hash-max-listpack-entries`/`-value`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_entries: usize,
    pub max_value: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 128,
            max_value: 64,
        }
    }
}

#[derive(Clone, Debug)]
pub enum Hash {
    Listpack(Listpack),
    Table(Dict<SmallBytes, SmallBytes>),
}

impl Default for Hash {
    fn default() -> Self {
        Self::new()
    }
}

/// Entries `dictGetFairRandomKey` samples before picking one.
const FAIR_SAMPLE: usize = 15;

/// A fairly uniform random entry of a dict (Redis's dictGetFairRandomKey:
/// pick among a sample of a stretch of buckets, so long chains are not
/// under-represented; fall back to one random bucket).
pub fn fair_random<K, V>(d: &Dict<K, V>) -> Option<(&K, &V)>
where
    K: std::hash::Hash + Eq,
{
    let mut out = Vec::with_capacity(FAIR_SAMPLE);
    if d.sample(FAIR_SAMPLE, &mut out) == 0 {
        return d.random_entry();
    }
    let i = rand::rng().random_range(0..out.len());
    Some(out[i])
}

impl Hash {
    /// A new, empty hash (a listpack, as Redis's createHashObject).
    pub fn new() -> Hash {
        Hash::Listpack(Listpack::new())
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.len() / 2,
            Hash::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// Position of `field`'s entry in a listpack.
    fn lp_find(lp: &Listpack, field: &[u8]) -> Option<usize> {
        lp.first().and_then(|p| lp.find(p, field, 1))
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<LpValue<'_>> {
        match self {
            Hash::Listpack(lp) => {
                let p = Self::lp_find(lp, field)?;
                Some(lp.get(lp.next(p).expect("hash listpack: field without value")))
            }
            Hash::Table(d) => d.get(field).map(|v| LpValue::Str(v.as_bytes())),
        }
    }

    pub fn contains(&self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => Self::lp_find(lp, field).is_some(),
            Hash::Table(d) => d.contains_key(field),
        }
    }

    /// Length of `field`'s value, 0 when absent (HSTRLEN).
    pub fn value_len(&self, field: &[u8]) -> usize {
        self.get(field).map_or(0, |v| v.str_len())
    }

    /// Convert a listpack to a table (no-op for a table).
    pub fn convert(&mut self) {
        let Hash::Listpack(lp) = self else {
            return;
        };
        let mut d = Dict::with_capacity(lp.len() / 2);
        let mut it = lp.iter();
        let mut buf = Vec::new();
        while let (Some(f), Some(v)) = (it.next(), it.next()) {
            buf.clear();
            f.write_to(&mut buf);
            let f = SmallBytes::new(&buf);
            buf.clear();
            v.write_to(&mut buf);
            d.insert(f, SmallBytes::new(&buf));
        }
        *self = Hash::Table(d);
    }

    /// Redis's hashTypeTryConversion before a write of `args` (fields and
    /// values): convert when one is longer than the value limit, or when
    /// together they would push the listpack past its 1 GB safety size.
    pub fn convert_for_args<'a>(
        &mut self,
        args: impl IntoIterator<Item = &'a [u8]>,
        limits: Limits,
    ) {
        let Hash::Listpack(lp) = self else {
            return;
        };
        let mut sum = 0usize;
        for a in args {
            if a.len() > limits.max_value {
                self.convert();
                return;
            }
            sum += a.len();
        }
        if !lp.safe_to_add(sum) {
            self.convert();
        }
    }

    /// Set `field` to `value` (hashTypeSet). Returns true when the field
    /// existed (an update). Converts to a table before writing a too-long
    /// field or value, and after the write when there are too many fields.
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        if matches!(self, Hash::Listpack(_))
            && (field.len() > limits.max_value || value.len() > limits.max_value)
        {
            self.convert();
        }
        match self {
            Hash::Listpack(lp) => {
                let update = match Self::lp_find(lp, field) {
                    Some(p) => {
                        let vp = lp.next(p).expect("hash listpack: field without value");
                        lp.replace(vp, value);
                        true
                    }
                    None => {
                        lp.append_many(&[field, value]);
                        false
                    }
                };
                if lp.len() / 2 > limits.max_entries {
                    self.convert();
                }
                update
            }
            Hash::Table(d) => match d.get_mut(field) {
                Some(v) => {
                    *v = SmallBytes::new(value);
                    true
                }
                None => {
                    d.insert(SmallBytes::new(field), SmallBytes::new(value));
                    false
                }
            },
        }
    }

    /// Remove `field`; true when it was there.
    pub fn delete(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => match Self::lp_find(lp, field) {
                Some(p) => {
                    lp.delete_range_at(p, 2);
                    true
                }
                None => false,
            },
            Hash::Table(d) => {
                let found = d.remove(field).is_some();
                if found {
                    d.shrink_if_needed();
                }
                found
            }
        }
    }

    /// Field/value pairs: insertion order for a listpack, table order
    /// otherwise.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Hash::Listpack(lp) => Iter::Listpack(lp.iter()),
            Hash::Table(d) => Iter::Table(d.iter()),
        }
    }

    /// One random pair (HRANDFIELD without a count).
    pub fn random_pair(&self) -> Option<(LpValue<'_>, LpValue<'_>)> {
        match self {
            Hash::Listpack(lp) => {
                let n = lp.len() / 2;
                if n == 0 {
                    return None;
                }
                let i = rand::rng().random_range(0..n) as i64;
                let p = lp.seek(2 * i)?;
                Some((lp.get(p), lp.get(lp.next(p)?)))
            }
            Hash::Table(d) => fair_random(d)
                .map(|(k, v)| (LpValue::Str(k.as_bytes()), LpValue::Str(v.as_bytes()))),
        }
    }

    /// `count` random pairs, repetitions allowed, in random order
    /// (HRANDFIELD with a negative count).
    pub fn random_pairs(&self, count: usize) -> Vec<(LpValue<'_>, LpValue<'_>)> {
        let mut out = Vec::with_capacity(count.min(1 << 16));
        match self {
            Hash::Listpack(lp) => {
                // Pair positions once, then index them (lpRandomPairs).
                let pos: Vec<usize> = lp.positions().step_by(2).collect();
                if pos.is_empty() {
                    return out;
                }
                let mut rng = rand::rng();
                for _ in 0..count {
                    let p = pos[rng.random_range(0..pos.len())];
                    out.push((lp.get(p), lp.get(lp.next(p).expect("value"))));
                }
            }
            Hash::Table(_) => {
                for _ in 0..count {
                    match self.random_pair() {
                        Some(pair) => out.push(pair),
                        None => break,
                    }
                }
            }
        }
        out
    }

    /// `count` distinct random pairs, `count` < len (HRANDFIELD with a
    /// positive count smaller than the hash), with Redis's strategies:
    /// close to the whole hash, drop random pairs from a copy; much
    /// smaller, a single selection pass over a listpack
    /// (lpRandomPairsUnique) or repeated random picks from a table.
    pub fn random_distinct(&self, count: usize) -> Vec<(LpValue<'_>, LpValue<'_>)> {
        let size = self.len();
        let mut rng = rand::rng();
        if count >= size {
            return self.iter().collect();
        }
        if count.saturating_mul(3) > size {
            let mut all: Vec<_> = self.iter().collect();
            while all.len() > count {
                let i = rng.random_range(0..all.len());
                all.swap_remove(i);
            }
            return all;
        }
        match self {
            Hash::Listpack(_) => {
                let mut out = Vec::with_capacity(count);
                let mut remaining = count;
                for (i, pair) in self.iter().enumerate() {
                    if remaining == 0 {
                        break;
                    }
                    // Pick with probability remaining / unvisited.
                    if rng.random_range(0..size - i) < remaining {
                        out.push(pair);
                        remaining -= 1;
                    }
                }
                out
            }
            Hash::Table(_) => {
                let mut seen: HashSet<&[u8]> = HashSet::with_capacity(count);
                let mut out = Vec::with_capacity(count);
                while out.len() < count {
                    let Some((k, v)) = self.random_pair() else {
                        break;
                    };
                    let LpValue::Str(kb) = k else { unreachable!() };
                    if seen.insert(kb) {
                        out.push((k, v));
                    }
                }
                out
            }
        }
    }

    /// Approximate heap bytes (MEMORY USAGE, INFO).
    pub fn heap_size(&self) -> usize {
        std::mem::size_of::<Hash>()
            + match self {
                Hash::Listpack(lp) => lp.bytes_len(),
                Hash::Table(d) => {
                    d.table_bytes()
                        + d.iter()
                            .map(|(k, v)| 8 + 48 + k.heap_size() + v.heap_size())
                            .sum::<usize>()
                }
            }
    }
}

/// Field/value pairs of a hash.
pub enum Iter<'a> {
    Listpack(crate::encoding::listpack::Iter<'a>),
    Table(crate::dict::Iter<'a, SmallBytes, SmallBytes>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (LpValue<'a>, LpValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Listpack(it) => {
                let f = it.next()?;
                Some((f, it.next().expect("hash listpack: field without value")))
            }
            Iter::Table(it) => it
                .next()
                .map(|(k, v)| (LpValue::Str(k.as_bytes()), LpValue::Str(v.as_bytes()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::collections::HashMap;

    fn s(v: LpValue<'_>) -> Vec<u8> {
        v.to_vec()
    }

    #[test]
    fn listpack_bytes_follow_insertion_order() {
        let mut h = Hash::new();
        let l = Limits::default();
        assert!(!h.set(b"a", b"1", l));
        assert!(!h.set(b"b", b"hello", l));
        assert!(h.set(b"a", b"22", l));
        let Hash::Listpack(lp) = &h else { panic!() };
        let mut expect = Listpack::new();
        for e in [&b"a"[..], b"22", b"b", b"hello"] {
            expect.append(e);
        }
        assert_eq!(lp.as_bytes(), expect.as_bytes());
        let pairs: Vec<_> = h.iter().map(|(f, v)| (s(f), s(v))).collect();
        assert_eq!(
            pairs,
            vec![
                (b"a".to_vec(), b"22".to_vec()),
                (b"b".to_vec(), b"hello".to_vec())
            ]
        );
        assert!(h.delete(b"a"));
        assert!(!h.delete(b"a"));
        assert_eq!(h.len(), 1);
        assert_eq!(h.get(b"b").map(s), Some(b"hello".to_vec()));
    }

    /// The listpack Redis 7.0.15 built for the same commands
    /// (`encoding/testdata/hash.bin`, captured from its RDB).
    #[test]
    fn bytes_match_redis_image() {
        let redis: &[u8] = include_bytes!("../encoding/testdata/hash.bin");
        let l = Limits::default();
        let mut h = Hash::new();
        for (f, v) in [("f1", "v1"), ("f2", "2"), ("f3", "-300"), ("num", "70000")] {
            h.set(f.as_bytes(), v.as_bytes(), l);
        }
        h.set(b"f1", b"newvalue", l);
        h.delete(b"f2");
        h.set(b"f4", &[b'z'; 64], l);
        h.set(b"num", b"1", l);
        let Hash::Listpack(lp) = &h else { panic!() };
        assert_eq!(lp.as_bytes(), redis);
    }

    #[test]
    fn converts_at_entry_threshold() {
        let l = Limits {
            max_entries: 4,
            max_value: 64,
        };
        let mut h = Hash::new();
        for i in 0..4 {
            h.set(format!("f{i}").as_bytes(), b"v", l);
        }
        assert_eq!(h.encoding(), "listpack");
        // Updating an existing field does not grow the hash.
        h.set(b"f0", b"w", l);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"f4", b"v", l);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 5);
        assert_eq!(h.get(b"f0").map(s), Some(b"w".to_vec()));
        // Never converts back.
        for i in 0..5 {
            h.delete(format!("f{i}").as_bytes());
        }
        assert_eq!(h.encoding(), "hashtable");
        assert!(h.is_empty());
    }

    #[test]
    fn converts_at_value_threshold() {
        let l = Limits {
            max_entries: 128,
            max_value: 8,
        };
        let mut h = Hash::new();
        h.set(b"f", &[b'x'; 8], l);
        h.set(&[b'y'; 8], b"v", l);
        assert_eq!(h.encoding(), "listpack");
        h.set(b"g", &[b'x'; 9], l);
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 3);

        let mut h = Hash::new();
        h.convert_for_args([&b"short"[..], &[b'z'; 8]], l);
        assert_eq!(h.encoding(), "listpack");
        h.convert_for_args([&b"short"[..], &[b'z'; 9]], l);
        assert_eq!(h.encoding(), "hashtable");
    }

    #[test]
    fn integers_keep_their_text() {
        let mut h = Hash::new();
        let l = Limits::default();
        h.set(b"n", b"-9223372036854775808", l);
        h.set(b"m", b"007", l);
        assert_eq!(h.get(b"n").map(s), Some(b"-9223372036854775808".to_vec()));
        assert_eq!(h.value_len(b"n"), 20);
        assert_eq!(h.get(b"m").map(s), Some(b"007".to_vec()));
        h.set(b"12", b"x", l);
        assert!(h.contains(b"12"));
        assert!(!h.contains(b"012"));
        h.convert();
        assert_eq!(h.get(b"n").map(s), Some(b"-9223372036854775808".to_vec()));
        assert!(h.contains(b"12"));
    }

    #[test]
    fn random_shapes() {
        for big in [false, true] {
            let mut h = Hash::new();
            for i in 0..10 {
                h.set(
                    format!("f{i}").as_bytes(),
                    format!("v{i}").as_bytes(),
                    Limits::default(),
                );
            }
            if big {
                h.convert();
            }
            assert_eq!(h.random_pairs(25).len(), 25);
            for n in [1, 2, 4, 8, 9, 10, 15] {
                let r = h.random_distinct(n);
                assert_eq!(r.len(), n.min(10));
                let keys: HashSet<Vec<u8>> = r.iter().map(|(f, _)| s(*f)).collect();
                assert_eq!(keys.len(), r.len());
                for (f, v) in r {
                    assert_eq!(h.get(&s(f)).map(s), Some(s(v)));
                }
            }
            let (f, v) = h.random_pair().unwrap();
            assert_eq!(h.get(&s(f)).map(s), Some(s(v)));
        }
    }

    /// Random operations against a HashMap model, with small limits so both
    /// encodings and the conversions are exercised.
    #[test]
    fn matches_hashmap_model() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for round in 0..40 {
            let l = Limits {
                max_entries: rng.random_range(0..20),
                max_value: rng.random_range(0..12),
            };
            let mut h = Hash::new();
            let mut m: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
            for _ in 0..300 {
                let f = match rng.random_range(0..3) {
                    0 => rng.random_range(-20i64..20).to_string().into_bytes(),
                    1 => format!("f{}", rng.random_range(0..30)).into_bytes(),
                    _ => vec![b'k'; rng.random_range(0..16)],
                };
                if rng.random_range(0..4) == 0 {
                    assert_eq!(h.delete(&f), m.remove(&f).is_some(), "round {round}");
                } else {
                    let v = match rng.random_range(0..2) {
                        0 => rng
                            .random_range(-100000i64..100000)
                            .to_string()
                            .into_bytes(),
                        _ => vec![b'v'; rng.random_range(0..16)],
                    };
                    let was = m.insert(f.clone(), v.clone()).is_some();
                    assert_eq!(h.set(&f, &v, l), was);
                }
                assert_eq!(h.len(), m.len());
                if let Hash::Listpack(_) = h {
                    assert!(h.len() <= l.max_entries);
                }
            }
            for (f, v) in &m {
                assert_eq!(h.get(f).map(s).as_ref(), Some(v));
                assert_eq!(h.value_len(f), v.len());
            }
            let mut got: Vec<_> = h.iter().map(|(f, v)| (s(f), s(v))).collect();
            let mut want: Vec<_> = m.into_iter().collect();
            got.sort();
            want.sort();
            assert_eq!(got, want);
        }
    }
}
