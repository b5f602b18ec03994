//! The sorted-set type: members ordered by (score, member) in one of Redis's
//! two encodings.
//!
//! Small sorted sets are a listpack (`encoding/listpack.rs`) of member,
//! score pairs kept in order, exactly the bytes Redis's `t_zset.c` builds
//! (the score written as Redis's `d2string`, which the listpack stores as an
//! integer when it is one). Past `zset-max-listpack-entries` members, or for
//! a member longer than `zset-max-listpack-value` bytes, the set becomes a
//! "skiplist": an indexable skip list (nodes in a `Vec` arena, linked by
//! index, each level carrying its span so ranks are O(log n)) plus a
//! `Dict<SmallBytes, f64>` from member to score for O(1) ZSCORE.
//!
//! Every range query reduces to a half-open interval of ranks: the number
//! of elements before a monotone predicate turns false (`count_while`) is
//! a descent through the skip list, or a scan of the listpack. ZRANGE,
//! ZCOUNT, ZLEXCOUNT, ZREMRANGEBY* then work on `[lo, hi)` of ranks.

use std::cmp::Ordering;

use rand::RngExt;

use crate::dict::Dict;
use crate::encoding::listpack::{Listpack, LpValue};
use crate::types::SmallBytes;
use crate::util::num;

/// The conversion thresholds (`zset-max-listpack-entries`/`-value`).
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

/// A score interval (`(1.5`, `-inf`, `+inf`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub minex: bool,
    pub maxex: bool,
}

impl ScoreRange {
    /// Is `s` strictly before the interval's start?
    pub fn below_min(&self, s: f64) -> bool {
        s < self.min || (self.minex && s == self.min)
    }
    /// Is `s` not past the interval's end?
    pub fn within_max(&self, s: f64) -> bool {
        s < self.max || (!self.maxex && s == self.max)
    }
}

/// One end of a lexicographic interval.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexBound {
    NegInf,
    PosInf,
    Incl(Vec<u8>),
    Excl(Vec<u8>),
}

impl LexBound {
    /// Parse `[a`, `(a`, `-`, `+`.
    pub fn parse(b: &[u8]) -> Option<LexBound> {
        match b.first()? {
            b'+' if b.len() == 1 => Some(LexBound::PosInf),
            b'-' if b.len() == 1 => Some(LexBound::NegInf),
            b'[' => Some(LexBound::Incl(b[1..].to_vec())),
            b'(' => Some(LexBound::Excl(b[1..].to_vec())),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

impl LexRange {
    fn gte_min(&self, m: &[u8]) -> bool {
        match &self.min {
            LexBound::NegInf => true,
            LexBound::PosInf => false,
            LexBound::Incl(x) => m >= x.as_slice(),
            LexBound::Excl(x) => m > x.as_slice(),
        }
    }
    fn lte_max(&self, m: &[u8]) -> bool {
        match &self.max {
            LexBound::NegInf => false,
            LexBound::PosInf => true,
            LexBound::Incl(x) => m <= x.as_slice(),
            LexBound::Excl(x) => m < x.as_slice(),
        }
    }
}

/// Redis's double2ll: the integer value of `v` when it has no fraction and
/// lies within ±LLONG_MAX/2.
fn double2ll(v: f64) -> Option<i64> {
    let lim = (i64::MAX / 2) as f64;
    if !(-lim..=lim).contains(&v) {
        return None;
    }
    let n = v as i64;
    (n as f64 == v).then_some(n)
}

/// Redis's d2string: `-0` keeps its sign, integral values print as
/// integers, others as `%.17g`.
pub fn d2string(v: f64) -> Vec<u8> {
    if v.is_nan() {
        return b"nan".to_vec();
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            b"-0".to_vec()
        } else {
            b"0".to_vec()
        };
    }
    match double2ll(v) {
        Some(n) => num::i64_to_bytes(n),
        None => num::fmt_double_g17(v).into_bytes(),
    }
}

/// How a score is written into a listpack (zzlInsertAt): an integer when
/// double2ll allows (so `-0` becomes 0), else d2string.
fn lp_score_repr(v: f64) -> Vec<u8> {
    match double2ll(v) {
        Some(n) => num::i64_to_bytes(n),
        None => d2string(v),
    }
}

fn lp_score(v: LpValue<'_>) -> f64 {
    match v {
        LpValue::Int(n) => n as f64,
        LpValue::Str(s) => num::parse_f64(s).unwrap_or(0.0),
    }
}

/// (score, member) order.
fn cmp_elem(s1: f64, m1: &[u8], s2: f64, m2: &[u8]) -> Ordering {
    s1.partial_cmp(&s2)
        .unwrap_or(Ordering::Equal)
        .then_with(|| m1.cmp(m2))
}

// ---------------------------------------------------------------------------
// The skip list

const MAX_LEVEL: usize = 32;
const NIL: u32 = u32::MAX;
const HEAD: u32 = 0;

#[derive(Clone, Copy, Debug)]
struct Level {
    next: u32,
    span: u32,
}

#[derive(Clone, Debug)]
struct Node {
    member: SmallBytes,
    score: f64,
    back: u32,
    levels: Vec<Level>,
}

/// An indexable skip list; node 0 is the header.
#[derive(Clone, Debug)]
pub struct SkipList {
    nodes: Vec<Node>,
    free: Vec<u32>,
    tail: u32,
    level: usize,
    len: usize,
}

impl Default for SkipList {
    fn default() -> Self {
        Self::new()
    }
}

impl SkipList {
    pub fn new() -> Self {
        SkipList {
            nodes: vec![Node {
                member: SmallBytes::new(b""),
                score: 0.0,
                back: NIL,
                levels: vec![Level { next: NIL, span: 0 }; MAX_LEVEL],
            }],
            free: Vec::new(),
            tail: NIL,
            level: 1,
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn random_level() -> usize {
        let mut rng = rand::rng();
        let mut l = 1;
        while l < MAX_LEVEL && rng.random_range(0..4u32) == 0 {
            l += 1;
        }
        l
    }

    fn node(&self, i: u32) -> &Node {
        &self.nodes[i as usize]
    }

    fn next(&self, i: u32, l: usize) -> u32 {
        self.nodes[i as usize].levels[l].next
    }

    /// For each level, the last node before (score, member) and its rank.
    fn path(&self, score: f64, member: &[u8]) -> ([u32; MAX_LEVEL], [u32; MAX_LEVEL]) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0u32; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i + 1 == self.level { 0 } else { rank[i + 1] };
            loop {
                let n = self.next(x, i);
                if n == NIL {
                    break;
                }
                let nd = self.node(n);
                if cmp_elem(nd.score, nd.member.as_bytes(), score, member) != Ordering::Less {
                    break;
                }
                rank[i] += self.nodes[x as usize].levels[i].span;
                x = n;
            }
            update[i] = x;
        }
        (update, rank)
    }

    /// Insert an element known to be absent.
    pub fn insert(&mut self, score: f64, member: &[u8]) {
        let (mut update, mut rank) = self.path(score, member);
        let lvl = Self::random_level();
        if lvl > self.level {
            for i in self.level..lvl {
                rank[i] = 0;
                update[i] = HEAD;
                self.nodes[0].levels[i].span = self.len as u32;
            }
            self.level = lvl;
        }
        let node = Node {
            member: SmallBytes::new(member),
            score,
            back: if update[0] == HEAD { NIL } else { update[0] },
            levels: vec![Level { next: NIL, span: 0 }; lvl],
        };
        let x = match self.free.pop() {
            Some(i) => {
                self.nodes[i as usize] = node;
                i
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        for i in 0..lvl {
            let u = update[i] as usize;
            let ul = self.nodes[u].levels[i];
            self.nodes[x as usize].levels[i] = Level {
                next: ul.next,
                span: ul.span - (rank[0] - rank[i]),
            };
            self.nodes[u].levels[i] = Level {
                next: x,
                span: rank[0] - rank[i] + 1,
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(lvl) {
            self.nodes[u as usize].levels[i].span += 1;
        }
        let n0 = self.next(x, 0);
        if n0 == NIL {
            self.tail = x;
        } else {
            self.nodes[n0 as usize].back = x;
        }
        self.len += 1;
    }

    /// Remove (score, member); false when absent.
    pub fn delete(&mut self, score: f64, member: &[u8]) -> bool {
        let (update, _) = self.path(score, member);
        let x = self.next(update[0], 0);
        if x == NIL {
            return false;
        }
        let nd = self.node(x);
        if nd.score != score || nd.member.as_bytes() != member {
            return false;
        }
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let u = u as usize;
            if self.nodes[u].levels[i].next == x {
                let xl = self.nodes[x as usize].levels[i];
                self.nodes[u].levels[i].span += xl.span;
                self.nodes[u].levels[i].span -= 1;
                self.nodes[u].levels[i].next = xl.next;
            } else {
                self.nodes[u].levels[i].span -= 1;
            }
        }
        let n0 = self.next(x, 0);
        let back = self.node(x).back;
        if n0 == NIL {
            self.tail = back;
        } else {
            self.nodes[n0 as usize].back = back;
        }
        while self.level > 1 && self.nodes[0].levels[self.level - 1].next == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        let n = &mut self.nodes[x as usize];
        n.member = SmallBytes::new(b"");
        n.levels = Vec::new();
        self.free.push(x);
        true
    }

    /// Number of leading elements for which `f(score, member)` holds
    /// (`f` must hold on a prefix of the order).
    pub fn count_while(&self, mut f: impl FnMut(f64, &[u8]) -> bool) -> usize {
        let mut x = HEAD;
        let mut rank = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let n = self.next(x, i);
                if n == NIL {
                    break;
                }
                let nd = self.node(n);
                if !f(nd.score, nd.member.as_bytes()) {
                    break;
                }
                rank += self.nodes[x as usize].levels[i].span as usize;
                x = n;
            }
        }
        rank
    }

    /// The node at 1-based `rank`.
    fn by_rank(&self, rank: usize) -> u32 {
        let mut x = HEAD;
        let mut t = 0usize;
        for i in (0..self.level).rev() {
            loop {
                let n = self.next(x, i);
                let span = self.nodes[x as usize].levels[i].span as usize;
                if n == NIL || t + span > rank {
                    break;
                }
                t += span;
                x = n;
            }
            if t == rank {
                return x;
            }
        }
        NIL
    }

    /// Elements of ranks `[lo, hi)` (0-based), backwards when `rev`.
    pub fn range(&self, lo: usize, hi: usize, rev: bool, out: &mut Vec<(Vec<u8>, f64)>) {
        if lo >= hi {
            return;
        }
        let mut x = if rev {
            self.by_rank(hi)
        } else {
            self.by_rank(lo + 1)
        };
        for _ in lo..hi {
            let nd = self.node(x);
            out.push((nd.member.as_bytes().to_vec(), nd.score));
            x = if rev { nd.back } else { nd.levels[0].next };
        }
    }
}

// ---------------------------------------------------------------------------
// The sorted set

/// Skip list + member index.
#[derive(Clone, Debug, Default)]
pub struct Sorted {
    pub dict: Dict<SmallBytes, f64>,
    pub sl: SkipList,
}

#[derive(Clone, Debug)]
pub enum ZSet {
    Listpack(Listpack),
    Skiplist(Box<Sorted>),
}

impl Default for ZSet {
    fn default() -> Self {
        ZSet::Listpack(Listpack::new())
    }
}

impl ZSet {
    pub fn new_listpack() -> ZSet {
        ZSet::Listpack(Listpack::new())
    }

    pub fn new_skiplist() -> ZSet {
        ZSet::Skiplist(Box::default())
    }

    /// A set for `n` elements whose longest member is `maxlen` bytes (the
    /// encoding Redis picks for a destination it fills).
    pub fn for_size(n: usize, maxlen: usize, l: Limits) -> ZSet {
        if n <= l.max_entries && maxlen <= l.max_value {
            Self::new_listpack()
        } else {
            Self::new_skiplist()
        }
    }

    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(lp) => lp.len() / 2,
            ZSet::Skiplist(s) => s.sl.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn encoding(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::Skiplist(_) => "skiplist",
        }
    }

    pub fn heap_size(&self) -> usize {
        match self {
            ZSet::Listpack(lp) => lp.bytes_len(),
            ZSet::Skiplist(s) => {
                s.dict.table_bytes()
                    + s.dict.len() * 48
                    + s.sl.nodes.len() * (std::mem::size_of::<Node>() + 16)
            }
        }
    }

    /// Position of `member`'s entry in a listpack.
    fn lp_find(lp: &Listpack, member: &[u8]) -> Option<usize> {
        lp.first().and_then(|p| lp.find(p, member, 1))
    }

    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(lp) => {
                let p = Self::lp_find(lp, member)?;
                Some(lp_score(lp.get(lp.next(p)?)))
            }
            ZSet::Skiplist(s) => s.dict.get(member).copied(),
        }
    }

    /// Convert to the skip list encoding.
    pub fn convert_to_skiplist(&mut self) {
        let ZSet::Listpack(lp) = self else {
            return;
        };
        let mut s = Sorted::default();
        s.dict.expand(lp.len() / 2);
        let mut it = lp.iter();
        while let (Some(m), Some(sc)) = (it.next(), it.next()) {
            let m = m.to_vec();
            let sc = lp_score(sc);
            s.sl.insert(sc, &m);
            s.dict.insert(SmallBytes::new(&m), sc);
        }
        *self = ZSet::Skiplist(Box::new(s));
    }

    /// Back to a listpack when small enough (zsetConvertToListpackIfNeeded).
    pub fn shrink_if_fits(&mut self, maxlen: usize, l: Limits) {
        if let ZSet::Skiplist(s) = self
            && s.sl.len() <= l.max_entries
            && maxlen <= l.max_value
        {
            let mut lp = Listpack::new();
            let mut all = Vec::new();
            s.sl.range(0, s.sl.len(), false, &mut all);
            for (m, sc) in all {
                lp.append(&m);
                lp.append(&lp_score_repr(sc));
            }
            *self = ZSet::Listpack(lp);
        }
    }

    /// Insert a member known to be absent, converting first when the
    /// listpack would pass its limits.
    pub fn insert(&mut self, member: &[u8], score: f64, l: Limits) {
        if let ZSet::Listpack(lp) = self
            && (lp.len() / 2 + 1 > l.max_entries
                || member.len() > l.max_value
                || !lp.safe_to_add(member.len()))
        {
            self.convert_to_skiplist();
        }
        match self {
            ZSet::Listpack(lp) => Self::lp_insert(lp, member, score),
            ZSet::Skiplist(s) => {
                s.sl.insert(score, member);
                s.dict.insert(SmallBytes::new(member), score);
            }
        }
    }

    fn lp_insert(lp: &mut Listpack, member: &[u8], score: f64) {
        let mut p = lp.first();
        while let Some(mp) = p {
            let sp = lp.next(mp).expect("zset listpack: member without score");
            let s = lp_score(lp.get(sp));
            let before =
                s > score || (s == score && lp.get(mp).cmp_bytes(member) == Ordering::Greater);
            if before {
                let np = lp.insert_before(mp, member);
                lp.insert_after(np, &lp_score_repr(score));
                return;
            }
            p = lp.next(sp);
        }
        lp.append(member);
        lp.append(&lp_score_repr(score));
    }

    /// Change the score of a present member.
    pub fn update(&mut self, member: &[u8], old: f64, new: f64) {
        match self {
            ZSet::Listpack(lp) => {
                if let Some(p) = Self::lp_find(lp, member) {
                    lp.delete_range_at(p, 2);
                }
                Self::lp_insert(lp, member, new);
            }
            ZSet::Skiplist(s) => {
                s.sl.delete(old, member);
                s.sl.insert(new, member);
                if let Some(v) = s.dict.get_mut(member) {
                    *v = new;
                }
            }
        }
    }

    /// Remove `member`; true when it was there.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            ZSet::Listpack(lp) => match Self::lp_find(lp, member) {
                Some(p) => {
                    lp.delete_range_at(p, 2);
                    true
                }
                None => false,
            },
            ZSet::Skiplist(s) => match s.dict.remove(member) {
                Some((_, sc)) => {
                    s.sl.delete(sc, member);
                    s.dict.shrink_if_needed();
                    true
                }
                None => false,
            },
        }
    }

    /// Number of leading elements for which `f` holds.
    pub fn count_while(&self, mut f: impl FnMut(f64, &[u8]) -> bool) -> usize {
        match self {
            ZSet::Listpack(lp) => {
                let mut n = 0;
                let mut it = lp.iter();
                let mut buf = Vec::new();
                while let (Some(m), Some(sc)) = (it.next(), it.next()) {
                    buf.clear();
                    m.write_to(&mut buf);
                    if !f(lp_score(sc), &buf) {
                        break;
                    }
                    n += 1;
                }
                n
            }
            ZSet::Skiplist(s) => s.sl.count_while(f),
        }
    }

    /// 0-based rank of `member` (from the end when `rev`).
    pub fn rank(&self, member: &[u8], rev: bool) -> Option<usize> {
        let score = self.score(member)?;
        let r = self.count_while(|s, m| cmp_elem(s, m, score, member) == Ordering::Less);
        Some(if rev { self.len() - 1 - r } else { r })
    }

    /// Ranks `[lo, hi)` of the elements within a score range.
    pub fn score_span(&self, r: &ScoreRange) -> (usize, usize) {
        let lo = self.count_while(|s, _| r.below_min(s));
        let hi = self.count_while(|s, _| r.within_max(s));
        (lo, hi.max(lo))
    }

    /// Ranks `[lo, hi)` of the elements within a lex range.
    pub fn lex_span(&self, r: &LexRange) -> (usize, usize) {
        let lo = self.count_while(|_, m| !r.gte_min(m));
        let hi = self.count_while(|_, m| r.lte_max(m));
        (lo, hi.max(lo))
    }

    /// Elements of ranks `[lo, hi)`, in order or backwards.
    pub fn range(&self, lo: usize, hi: usize, rev: bool) -> Vec<(Vec<u8>, f64)> {
        let hi = hi.min(self.len());
        let mut out = Vec::with_capacity(hi.saturating_sub(lo).min(1 << 16));
        if lo >= hi {
            return out;
        }
        match self {
            ZSet::Listpack(lp) => {
                let mut p = lp.seek(2 * lo as i64);
                let mut i = lo;
                while let Some(mp) = p {
                    if i >= hi {
                        break;
                    }
                    let sp = lp.next(mp).expect("score");
                    out.push((lp.get(mp).to_vec(), lp_score(lp.get(sp))));
                    p = lp.next(sp);
                    i += 1;
                }
                if rev {
                    out.reverse();
                }
            }
            ZSet::Skiplist(s) => s.sl.range(lo, hi, rev, &mut out),
        }
        out
    }

    /// Every element in order.
    pub fn all(&self) -> Vec<(Vec<u8>, f64)> {
        self.range(0, self.len(), false)
    }

    /// Remove ranks `[lo, hi)`; the number removed.
    pub fn remove_range(&mut self, lo: usize, hi: usize) -> usize {
        let hi = hi.min(self.len());
        if lo >= hi {
            return 0;
        }
        match self {
            ZSet::Listpack(lp) => {
                let p = lp.seek(2 * lo as i64).expect("rank in range");
                lp.delete_range_at(p, 2 * (hi - lo));
            }
            ZSet::Skiplist(_) => {
                for (m, _) in self.range(lo, hi, false) {
                    self.remove(&m);
                }
            }
        }
        hi - lo
    }

    /// One random element.
    pub fn random_one(&self) -> Option<(Vec<u8>, f64)> {
        let n = self.len();
        if n == 0 {
            return None;
        }
        match self {
            ZSet::Listpack(_) => {
                let i = rand::rng().random_range(0..n);
                self.range(i, i + 1, false).pop()
            }
            ZSet::Skiplist(s) => {
                let (k, v) = super::hash::fair_random(&s.dict)?;
                Some((k.as_bytes().to_vec(), *v))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn lim(e: usize, v: usize) -> Limits {
        Limits {
            max_entries: e,
            max_value: v,
        }
    }

    fn members(z: &ZSet) -> Vec<(String, f64)> {
        z.all()
            .into_iter()
            .map(|(m, s)| (String::from_utf8(m).unwrap(), s))
            .collect()
    }

    #[test]
    fn d2string_forms() {
        assert_eq!(d2string(1.0), b"1");
        assert_eq!(d2string(-0.0), b"-0");
        assert_eq!(d2string(1.5), b"1.5");
        assert_eq!(d2string(f64::INFINITY), b"inf");
        assert_eq!(d2string(1e20), b"1e+20");
    }

    #[test]
    fn ties_order_by_member_in_both_encodings() {
        for l in [lim(128, 64), lim(0, 64)] {
            let mut z = ZSet::for_size(3, 1, l);
            z.insert(b"c", 1.0, l);
            z.insert(b"a", 1.0, l);
            z.insert(b"b", 0.5, l);
            z.insert(b"aa", 1.0, l);
            let got: Vec<String> = members(&z).into_iter().map(|x| x.0).collect();
            assert_eq!(got, ["b", "a", "aa", "c"]);
            assert_eq!(z.rank(b"aa", false), Some(2));
            assert_eq!(z.rank(b"aa", true), Some(1));
            assert_eq!(z.rank(b"zz", false), None);
        }
    }

    #[test]
    fn ranges_by_score_and_lex() {
        let l = lim(128, 64);
        for enc in [false, true] {
            let mut z = ZSet::new_listpack();
            for (i, m) in ["a", "b", "c", "d", "e"].iter().enumerate() {
                z.insert(m.as_bytes(), i as f64, l);
            }
            if enc {
                z.convert_to_skiplist();
            }
            let r = ScoreRange {
                min: 1.0,
                max: 3.0,
                minex: true,
                maxex: false,
            };
            assert_eq!(z.score_span(&r), (2, 4));
            let lr = LexRange {
                min: LexBound::Incl(b"b".to_vec()),
                max: LexBound::Excl(b"d".to_vec()),
            };
            assert_eq!(z.lex_span(&lr), (1, 3));
            let back: Vec<_> = z.range(1, 3, true).into_iter().map(|x| x.0).collect();
            assert_eq!(back, [b"c".to_vec(), b"b".to_vec()]);
            assert_eq!(z.remove_range(1, 3), 2);
            assert_eq!(members(&z).len(), 3);
        }
    }

    #[test]
    fn converts_at_thresholds() {
        let l = lim(4, 8);
        let mut z = ZSet::new_listpack();
        for i in 0..4 {
            z.insert(format!("m{i}").as_bytes(), i as f64, l);
        }
        assert_eq!(z.encoding(), "listpack");
        z.insert(b"m4", 4.0, l);
        assert_eq!(z.encoding(), "skiplist");
        let mut z = ZSet::new_listpack();
        z.insert(b"12345678", 1.0, l);
        assert_eq!(z.encoding(), "listpack");
        z.insert(b"123456789", 1.0, l);
        assert_eq!(z.encoding(), "skiplist");
        z.remove(b"123456789");
        z.shrink_if_fits(8, l);
        assert_eq!(z.encoding(), "listpack");
        assert_eq!(z.score(b"12345678"), Some(1.0));
    }

    #[test]
    fn listpack_bytes_store_scores_as_redis() {
        let mut z = ZSet::new_listpack();
        z.insert(b"a", 1.0, Limits::default());
        z.insert(b"b", 2.5, Limits::default());
        let ZSet::Listpack(lp) = &z else { panic!() };
        let v: Vec<_> = lp.iter().map(|x| x.to_vec()).collect();
        assert_eq!(
            v,
            [b"a".to_vec(), b"1".to_vec(), b"b".to_vec(), b"2.5".to_vec()]
        );
        assert_eq!(lp.get_index(1), Some(LpValue::Int(1)));
    }

    #[test]
    fn model_check_against_btreemap() {
        let mut rng = rand::rng();
        for l in [lim(16, 64), lim(1000, 64), lim(0, 0)] {
            let mut z = ZSet::new_listpack();
            let mut model: BTreeMap<Vec<u8>, f64> = BTreeMap::new();
            for _ in 0..3000 {
                let m = format!("m{}", rng.random_range(0..60u32)).into_bytes();
                let s = rng.random_range(0..20u32) as f64 / 2.0;
                match rng.random_range(0..4u32) {
                    0 => {
                        assert_eq!(z.remove(&m), model.remove(&m).is_some());
                    }
                    1 => {
                        let lo = rng.random_range(0..40usize);
                        let hi = lo + rng.random_range(0..5usize);
                        let mut sorted: Vec<_> =
                            model.iter().map(|(k, v)| (*v, k.clone())).collect();
                        sorted.sort_by(|a, b| cmp_elem(a.0, &a.1, b.0, &b.1));
                        let hi2 = hi.min(sorted.len());
                        let n = z.remove_range(lo, hi);
                        if lo < hi2 {
                            assert_eq!(n, hi2 - lo);
                            for (_, k) in &sorted[lo..hi2] {
                                model.remove(k);
                            }
                        } else {
                            assert_eq!(n, 0);
                        }
                    }
                    _ => match model.get(&m).copied() {
                        Some(old) => {
                            z.update(&m, old, s);
                            model.insert(m, s);
                        }
                        None => {
                            z.insert(&m, s, l);
                            model.insert(m, s);
                        }
                    },
                }
                assert_eq!(z.len(), model.len());
            }
            let mut sorted: Vec<_> = model.iter().map(|(k, v)| (k.clone(), *v)).collect();
            sorted.sort_by(|a, b| cmp_elem(a.1, &a.0, b.1, &b.0));
            assert_eq!(z.all(), sorted);
            for (i, (m, s)) in sorted.iter().enumerate() {
                assert_eq!(z.rank(m, false), Some(i));
                assert_eq!(z.score(m), Some(*s));
            }
            let r = ScoreRange {
                min: 2.0,
                max: 5.0,
                minex: false,
                maxex: true,
            };
            let want = sorted.iter().filter(|x| x.1 >= 2.0 && x.1 < 5.0).count();
            let (lo, hi) = z.score_span(&r);
            assert_eq!(hi - lo, want);
            let mut rev = z.range(0, z.len(), true);
            rev.reverse();
            assert_eq!(rev, sorted);
        }
    }
}
