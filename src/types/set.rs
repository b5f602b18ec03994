//! `Set`, the value of a set key, in Redis 7.0's two encodings.
//!
//! A set is an `intset` (the sorted, byte-compatible integer array of
//! `encoding::intset`) while every member is an integer by Redis's
//! `string2ll` rules and there are at most `set-max-intset-entries` of them;
//! otherwise it is a `hashtable`: our `Dict` keyed by the member bytes.
//! Redis 7.0 has no listpack sets. Conversion only goes one way, intset to
//! hashtable, the moment an add breaks a rule; removing members never turns
//! a hashtable back into an intset. A new set starts as an intset when its
//! first member is an integer (`Set::for_member`, Redis's setTypeCreate);
//! results of SUNION/SDIFF/SINTER(STORE) start as an empty intset
//! (`Set::new`) and convert as members are added, so their encoding follows
//! Redis's exactly.
//!
//! The threshold is passed to `add` by the caller (read from the config at
//! command time), so CONFIG SET takes effect on the next add.

use rand::RngExt;

use super::small::SmallBytes;
use crate::dict::Dict;
use crate::encoding::intset::{Intset, member_to_int};
use crate::util::num;

/// Redis caps `set-max-intset-entries` at 2^30 (intset internals).
pub const INTSET_ENTRIES_CAP: usize = 1 << 30;

/// Entries sampled for a fair random pick (Redis's GETFAIR_NUM_ENTRIES).
const FAIR_SAMPLE: usize = 15;

#[derive(Clone, Debug)]
pub enum Set {
    Intset(Intset),
    Table(Dict<SmallBytes, ()>),
}

/// One member as iteration yields it: an intset hands out integers, a
/// hashtable the stored bytes; no allocation either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Member<'a> {
    Int(i64),
    Bytes(&'a [u8]),
}

impl Member<'_> {
    /// The member's bytes (integers formatted).
    pub fn to_vec(self) -> Vec<u8> {
        match self {
            Member::Int(n) => num::i64_to_bytes(n),
            Member::Bytes(b) => b.to_vec(),
        }
    }
}

impl Default for Set {
    fn default() -> Self {
        Set::new()
    }
}

impl Set {
    /// An empty intset (Redis's createIntsetObject): the start of every
    /// computed result.
    pub fn new() -> Set {
        Set::Intset(Intset::new())
    }

    /// The empty set a key gets before its first member is added
    /// (setTypeCreate): intset if that member is an integer.
    pub fn for_member(first: &[u8]) -> Set {
        if member_to_int(first).is_some() {
            Set::new()
        } else {
            Set::Table(Dict::new())
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Intset(is) => is.len(),
            Set::Table(d) => d.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// OBJECT ENCODING.
    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    /// Turn an intset into a hashtable (setTypeConvert), presized.
    fn convert(&mut self) {
        if let Set::Intset(is) = self {
            let mut d = Dict::with_capacity(is.len());
            for n in is.iter() {
                d.insert(SmallBytes::from_vec(num::i64_to_bytes(n)), ());
            }
            *self = Set::Table(d);
        }
    }

    /// Add a member (setTypeAdd); `max_intset` is `set-max-intset-entries`.
    /// Returns true if it was not there.
    pub fn add(&mut self, m: &[u8], max_intset: usize) -> bool {
        match self {
            Set::Table(d) => insert_new(d, m),
            Set::Intset(is) => match member_to_int(m) {
                Some(n) => {
                    if !is.insert(n) {
                        return false;
                    }
                    if is.len() > max_intset.min(INTSET_ENTRIES_CAP) {
                        self.convert();
                    }
                    true
                }
                None => {
                    self.convert();
                    let Set::Table(d) = self else { unreachable!() };
                    insert_new(d, m)
                }
            },
        }
    }

    /// Add a member as iteration yields it (same rules as `add`).
    pub fn add_member(&mut self, m: Member<'_>, max_intset: usize) -> bool {
        match m {
            Member::Bytes(b) => self.add(b, max_intset),
            Member::Int(n) => match self {
                Set::Intset(is) => {
                    if !is.insert(n) {
                        return false;
                    }
                    if is.len() > max_intset.min(INTSET_ENTRIES_CAP) {
                        self.convert();
                    }
                    true
                }
                Set::Table(d) => insert_new(d, &num::i64_to_bytes(n)),
            },
        }
    }

    /// Remove a member (setTypeRemove); a hashtable shrinks when it gets
    /// sparse, as Redis's htNeedsResize/dictResize. True if it was there.
    pub fn remove(&mut self, m: &[u8]) -> bool {
        match self {
            Set::Intset(is) => member_to_int(m).is_some_and(|n| is.remove(n)),
            Set::Table(d) => {
                if d.remove(m).is_none() {
                    return false;
                }
                d.shrink_if_needed();
                true
            }
        }
    }

    /// Remove a member as iteration yields it.
    pub fn remove_member(&mut self, m: Member<'_>) -> bool {
        match (m, &mut *self) {
            (Member::Int(n), Set::Intset(is)) => is.remove(n),
            (Member::Int(n), Set::Table(_)) => self.remove(&num::i64_to_bytes(n)),
            (Member::Bytes(b), _) => self.remove(b),
        }
    }

    pub fn contains(&self, m: &[u8]) -> bool {
        match self {
            Set::Intset(is) => member_to_int(m).is_some_and(|n| is.contains(n)),
            Set::Table(d) => d.contains_key(m),
        }
    }

    pub fn contains_member(&self, m: Member<'_>) -> bool {
        match (m, self) {
            (Member::Int(n), Set::Intset(is)) => is.contains(n),
            (Member::Int(n), Set::Table(d)) => d.contains_key(&num::i64_to_bytes(n)[..]),
            (Member::Bytes(b), _) => self.contains(b),
        }
    }

    /// Every member: ascending for an intset, dict order for a hashtable.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Set::Intset(is) => Iter::Int(is.iter()),
            Set::Table(d) => Iter::Table(d.iter()),
        }
    }

    /// A random member (setTypeRandomElement), None when empty. For a
    /// hashtable this is Redis's dictGetFairRandomKey: a uniform pick among
    /// a sample of entries, so members in long chains are not disfavoured.
    pub fn random(&self) -> Option<Member<'_>> {
        match self {
            Set::Intset(is) => is.random(&mut rand::rng()).map(Member::Int),
            Set::Table(d) => {
                let mut sample = Vec::with_capacity(FAIR_SAMPLE);
                d.sample(FAIR_SAMPLE, &mut sample);
                let (k, _) = if sample.is_empty() {
                    d.random_entry()?
                } else {
                    sample[rand::rng().random_range(0..sample.len())]
                };
                Some(Member::Bytes(k.as_bytes()))
            }
        }
    }

    /// Remove and return a random member, owned.
    pub fn pop_random(&mut self) -> Option<Vec<u8>> {
        match self {
            Set::Intset(is) => {
                if is.is_empty() {
                    return None;
                }
                let n = is.get(rand::rng().random_range(0..is.len()));
                is.remove(n);
                Some(num::i64_to_bytes(n))
            }
            Set::Table(_) => {
                let k = self.random()?.to_vec();
                self.remove(&k);
                Some(k)
            }
        }
    }

    /// Approximate heap bytes (MEMORY USAGE).
    pub fn heap_size(&self) -> usize {
        match self {
            Set::Intset(is) => is.blob_len(),
            Set::Table(d) => {
                d.table_bytes()
                    + d.len() * Dict::<SmallBytes, ()>::node_bytes()
                    + d.keys().map(|k| k.heap_size()).sum::<usize>()
            }
        }
    }
}

fn insert_new(d: &mut Dict<SmallBytes, ()>, m: &[u8]) -> bool {
    if d.contains_key(m) {
        return false;
    }
    d.insert(SmallBytes::new(m), ());
    true
}

/// Iterator over a set's members.
pub enum Iter<'a> {
    Int(crate::encoding::intset::Iter<'a>),
    Table(crate::dict::Iter<'a, SmallBytes, ()>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Member<'a>;
    fn next(&mut self) -> Option<Member<'a>> {
        match self {
            Iter::Int(it) => it.next().map(Member::Int),
            Iter::Table(it) => it.next().map(|(k, _)| Member::Bytes(k.as_bytes())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{RngExt, SeedableRng};
    use std::collections::BTreeSet;

    fn members(s: &Set) -> BTreeSet<Vec<u8>> {
        s.iter().map(|m| m.to_vec()).collect()
    }

    #[test]
    fn starts_as_intset_only_for_integers() {
        assert_eq!(Set::for_member(b"12").encoding(), "intset");
        assert_eq!(Set::for_member(b"-7").encoding(), "intset");
        for m in [
            &b"a"[..],
            b"012",
            b"+1",
            b"1.0",
            b" 1",
            b"99999999999999999999",
        ] {
            assert_eq!(Set::for_member(m).encoding(), "hashtable", "{m:?}");
        }
    }

    #[test]
    fn converts_on_non_integer() {
        let mut s = Set::for_member(b"1");
        assert!(s.add(b"1", 512));
        assert!(s.add(b"2", 512));
        assert!(!s.add(b"2", 512));
        assert_eq!(s.encoding(), "intset");
        assert!(s.add(b"a", 512));
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 3);
        assert!(s.contains(b"1") && s.contains(b"a") && !s.contains(b"01"));
        // Never converts back.
        assert!(s.remove(b"a"));
        assert_eq!(s.encoding(), "hashtable");
    }

    #[test]
    fn converts_past_threshold() {
        let mut s = Set::new();
        for i in 0..512 {
            assert!(s.add(i.to_string().as_bytes(), 512));
        }
        assert_eq!(s.encoding(), "intset");
        assert!(!s.add(b"5", 512));
        assert_eq!(s.encoding(), "intset");
        assert!(s.add(b"512", 512));
        assert_eq!(s.encoding(), "hashtable");
        assert_eq!(s.len(), 513);
        assert!(s.contains(b"0") && s.contains(b"512"));
        // Threshold 0: even one integer is too many.
        let mut s = Set::new();
        s.add(b"1", 0);
        assert_eq!(s.encoding(), "hashtable");
    }

    #[test]
    fn intset_iterates_in_order_and_members_cross_encodings() {
        let mut s = Set::new();
        for m in ["5", "-3", "100000", "0"] {
            s.add(m.as_bytes(), 512);
        }
        let v: Vec<_> = s.iter().collect();
        assert_eq!(
            v,
            vec![
                Member::Int(-3),
                Member::Int(0),
                Member::Int(5),
                Member::Int(100000)
            ]
        );
        let mut t = Set::for_member(b"x");
        t.add(b"5", 512);
        assert!(t.contains_member(Member::Int(5)));
        assert!(s.contains_member(Member::Bytes(b"5")));
        assert!(!s.contains_member(Member::Bytes(b"x")));
        assert!(t.remove_member(Member::Int(5)));
        assert!(!t.contains(b"5"));
    }

    #[test]
    fn pop_and_random() {
        let mut s = Set::new();
        for i in 0..10 {
            s.add(i.to_string().as_bytes(), 512);
        }
        let r = s.random().unwrap().to_vec();
        assert!(s.contains(&r));
        let mut seen = BTreeSet::new();
        while let Some(m) = s.pop_random() {
            assert!(seen.insert(m));
        }
        assert_eq!(seen.len(), 10);
        assert!(s.random().is_none());
    }

    /// Random picks from a small hashtable are uniform (chain length does
    /// not matter): a loose chi-square bound over 10 members.
    #[test]
    fn random_is_fair() {
        let mut s = Set::for_member(b"a");
        for i in 0..10 {
            s.add(format!("m{i}").as_bytes(), 512);
        }
        let mut counts = std::collections::HashMap::new();
        let draws = 20_000;
        for _ in 0..draws {
            *counts.entry(s.random().unwrap().to_vec()).or_insert(0u32) += 1;
        }
        let expected = draws as f64 / 10.0;
        let chi: f64 = counts
            .values()
            .map(|&n| (n as f64 - expected).powi(2) / expected)
            .sum();
        assert_eq!(counts.len(), 10);
        assert!(chi < 40.0, "chi-square {chi}");
    }

    /// Random operations against a BTreeSet model, with the encoding rule
    /// checked after every step.
    #[test]
    fn model() {
        let mut rng = StdRng::seed_from_u64(7);
        for round in 0..40 {
            let max = [0usize, 1, 8, 64, 512][round % 5];
            let mut s = Set::new();
            let mut model: BTreeSet<Vec<u8>> = BTreeSet::new();
            let mut ever_table = false;
            for _ in 0..600 {
                let m: Vec<u8> = match rng.random_range(0..10) {
                    0 => format!("m{}", rng.random_range(0..50)).into_bytes(),
                    1 => rng.random::<i64>().to_string().into_bytes(),
                    _ => rng.random_range(-100..100i64).to_string().into_bytes(),
                };
                let m = if round % 3 == 0 && m[0] == b'm' {
                    b"7".to_vec()
                } else {
                    m
                };
                match rng.random_range(0..3) {
                    0 | 1 => assert_eq!(s.add(&m, max), model.insert(m.clone())),
                    _ => assert_eq!(s.remove(&m), model.remove(&m)),
                }
                let all_ints = model.iter().all(|m| member_to_int(m).is_some());
                ever_table |= !all_ints || model.len() > max;
                let want = if ever_table { "hashtable" } else { "intset" };
                assert_eq!(s.encoding(), want);
                assert_eq!(s.len(), model.len());
                assert!(s.contains(&m) == model.contains(&m));
            }
            assert_eq!(members(&s), model);
        }
    }
}
