//! HyperLogLog values in Redis's own byte format, so GET, DUMP/RESTORE and
//! RDB files carry them between redis-server and us unchanged.
//!
//! A HLL is a plain string: a 16-byte header ("HYLL", the encoding byte,
//! three unused bytes, the cached cardinality as 8 little-endian bytes whose
//! top bit marks it stale) followed by 16384 registers, either *dense* (6
//! bits each, least significant bits first) or *sparse* (run-length opcodes:
//! `00xxxxxx` ZERO of 1..64 registers, `01xxxxxx yyyyyyyy` XZERO of up to
//! 16384, `1vvvvvxx` VAL of 1..4 registers holding 1..32). Elements are
//! hashed with MurmurHash64A (seed 0xadc83b19): the low 14 bits choose the
//! register, the run of zeros after them the value. The estimate is Ertl's
//! improved estimator (sigma/tau), as Redis 7.
//!
//! The byte sequences written match Redis's exactly (where a sparse opcode
//! is split, when neighbouring VAL runs merge, when the string is promoted
//! to dense past `hll-sparse-max-bytes`), because clients compare them.
//! Strings that merely claim to be HLLs are never trusted: every walk over
//! sparse opcodes is bounded and a bad one reports `Corrupt`.

/// Header length.
pub const HDR: usize = 16;
/// Number of registers (2^14).
pub const REGISTERS: usize = 1 << P;
/// Length of a dense HLL string.
pub const DENSE_SIZE: usize = HDR + (REGISTERS * 6).div_ceil(8);
const P: u32 = 14;
/// Bits of the hash left after the register index.
const Q: usize = 64 - P as usize;
const ENC_DENSE: u8 = 0;
const ENC_SPARSE: u8 = 1;
const SPARSE_VAL_MAX: u8 = 32;
const SPARSE_VAL_MAX_LEN: usize = 4;
const SPARSE_ZERO_MAX_LEN: usize = 64;
const SPARSE_XZERO_MAX_LEN: usize = 16384;
const SEED: u64 = 0xadc83b19;

/// The sparse opcodes of a corrupted HLL do not cover exactly 16384
/// registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// MurmurHash2, 64-bit version, reading words little-endian (Redis's
/// endian-neutral variant).
pub fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4a7935bd1e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let mut k = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h ^= k;
        h = h.wrapping_mul(M);
    }
    let tail = words.remainder();
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= (b as u64) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^= h >> R;
    h
}

/// The register an element lands in and the value it offers: one more than
/// the number of zero bits after the index bits (at most Q + 1).
pub fn register_for(ele: &[u8]) -> (usize, u8) {
    let hash = murmur64a(ele, SEED);
    let index = (hash as usize) & (REGISTERS - 1);
    let rest = (hash >> P) | (1u64 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

/// Does `s` look like a HLL (Redis's isHLLObjectOrReply): magic, a known
/// encoding, and the exact length when dense?
pub fn is_valid(s: &[u8]) -> bool {
    s.len() >= HDR
        && &s[..4] == b"HYLL"
        && s[4] <= ENC_SPARSE
        && (s[4] != ENC_DENSE || s.len() == DENSE_SIZE)
}

pub fn is_sparse(s: &[u8]) -> bool {
    s[4] == ENC_SPARSE
}

/// A new empty HLL: sparse, one XZERO covering every register, cached
/// cardinality 0.
pub fn new_sparse() -> Vec<u8> {
    let mut s = Vec::with_capacity(HDR + 2);
    s.extend_from_slice(b"HYLL");
    s.push(ENC_SPARSE);
    s.extend_from_slice(&[0; 11]);
    push_zeros(&mut s, REGISTERS);
    s
}

/// The cached cardinality, unless marked stale.
pub fn cached_card(s: &[u8]) -> Option<u64> {
    (s[15] & 0x80 == 0).then(|| u64::from_le_bytes(s[8..16].try_into().expect("8 bytes")))
}

pub fn set_cached_card(s: &mut [u8], card: u64) {
    s[8..16].copy_from_slice(&card.to_le_bytes());
}

/// Mark the cached cardinality stale (its other bits stay, as in Redis).
pub fn invalidate_cache(s: &mut [u8]) {
    s[15] |= 0x80;
}

// ---- dense registers ----

fn dense_get(regs: &[u8], i: usize) -> u8 {
    let bit = i * 6;
    let (byte, fb) = (bit / 8, bit % 8);
    let lo = (regs[byte] as u16) >> fb;
    let hi = regs.get(byte + 1).map_or(0, |&b| (b as u16) << (8 - fb));
    ((lo | hi) & 63) as u8
}

fn dense_put(regs: &mut [u8], i: usize, v: u8) {
    let bit = i * 6;
    let (byte, fb) = (bit / 8, bit % 8);
    let word = ((v as u16) & 63) << fb;
    let mask = 63u16 << fb;
    regs[byte] = (regs[byte] & !(mask as u8)) | word as u8;
    if fb > 2 {
        let b = &mut regs[byte + 1];
        *b = (*b & !((mask >> 8) as u8)) | (word >> 8) as u8;
    }
}

/// Raise register `i` of a dense HLL to `v`; true if it grew.
fn dense_raise(s: &mut [u8], i: usize, v: u8) -> bool {
    let regs = &mut s[HDR..];
    if v > dense_get(regs, i) {
        dense_put(regs, i, v);
        true
    } else {
        false
    }
}

// ---- sparse opcodes ----

/// One sparse opcode: how many registers it covers, their value, its size.
#[derive(Clone, Copy)]
struct Op {
    run: usize,
    val: u8,
    len: usize,
}

/// The opcode at `pos` (a byte missing from a truncated XZERO reads as 0,
/// like the terminator Redis's strings carry).
fn op_at(s: &[u8], pos: usize) -> Op {
    let b = s[pos];
    match b & 0xc0 {
        0x00 => Op {
            run: (b & 0x3f) as usize + 1,
            val: 0,
            len: 1,
        },
        0x40 => {
            let lo = s.get(pos + 1).copied().unwrap_or(0) as usize;
            Op {
                run: ((((b & 0x3f) as usize) << 8) | lo) + 1,
                val: 0,
                len: 2,
            }
        }
        _ => Op {
            run: (b & 3) as usize + 1,
            val: ((b >> 2) & 0x1f) + 1,
            len: 1,
        },
    }
}

fn is_val(b: u8) -> bool {
    b & 0x80 != 0
}

fn val_op(val: u8, run: usize) -> u8 {
    0x80 | ((val - 1) << 2) | (run - 1) as u8
}

/// ZERO or XZERO opcodes for a run of `n` zero registers (one opcode: at
/// most 16384).
fn push_zeros(out: &mut Vec<u8>, n: usize) {
    let mut n = n;
    while n > 0 {
        let run = n.min(SPARSE_XZERO_MAX_LEN);
        if run > SPARSE_ZERO_MAX_LEN {
            let l = run - 1;
            out.push(0x40 | (l >> 8) as u8);
            out.push(l as u8);
        } else {
            out.push((run - 1) as u8);
        }
        n -= run;
    }
}

/// Walk the sparse opcodes: `f(first_register, op)` for each, stopping
/// (with `Corrupt`) when a VAL would run past the last register; the total
/// must be exactly 16384.
fn walk_sparse(s: &[u8], mut f: impl FnMut(usize, Op)) -> Result<(), Corrupt> {
    let mut pos = HDR;
    let mut idx = 0usize;
    while pos < s.len() {
        let op = op_at(s, pos);
        if op.val > 0 && idx + op.run > REGISTERS {
            return Err(Corrupt);
        }
        f(idx, op);
        idx += op.run;
        pos += op.len;
    }
    if idx == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

/// Convert a sparse HLL to dense in place (header kept); false if it was
/// already dense.
pub fn to_dense(s: &mut Vec<u8>) -> Result<bool, Corrupt> {
    if s[4] == ENC_DENSE {
        return Ok(false);
    }
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..HDR].copy_from_slice(&s[..HDR]);
    dense[4] = ENC_DENSE;
    walk_sparse(s, |first, op| {
        if op.val > 0 {
            for i in first..first + op.run {
                dense_put(&mut dense[HDR..], i, op.val);
            }
        }
    })?;
    *s = dense;
    Ok(true)
}

/// Raise register `index` to `count` in a sparse HLL, splitting the opcode
/// that covers it and merging equal VAL neighbours as Redis does; promotes
/// to dense when the value does not fit a VAL or the string would pass
/// `max_bytes`. True if the register grew.
fn sparse_raise(
    s: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: usize,
) -> Result<bool, Corrupt> {
    if count > SPARSE_VAL_MAX {
        return promote(s, index, count);
    }
    // Find the opcode covering `index`, and the one before it.
    let (mut pos, mut first, mut prev) = (HDR, 0usize, None);
    let mut op = None;
    while pos < s.len() {
        let o = op_at(s, pos);
        if index < first + o.run {
            op = Some(o);
            break;
        }
        prev = Some(pos);
        pos += o.len;
        first += o.run;
    }
    let Some(op) = op else {
        return Err(Corrupt);
    };
    if op.val >= count {
        return Ok(false);
    }
    if op.run == 1 && op.len == 1 {
        // A single register: rewrite the opcode in place.
        s[pos] = val_op(count, 1);
    } else {
        let last = first + op.run - 1;
        let mut seq = Vec::with_capacity(5);
        let side = |seq: &mut Vec<u8>, n: usize| {
            if op.val == 0 {
                push_zeros(seq, n);
            } else {
                seq.push(val_op(op.val, n));
            }
        };
        if index != first {
            side(&mut seq, index - first);
        }
        seq.push(val_op(count, 1));
        if index != last {
            side(&mut seq, last - index);
        }
        if seq.len() > op.len && s.len() + seq.len() - op.len > max_bytes {
            return promote(s, index, count);
        }
        if pos + op.len > s.len() {
            // A truncated XZERO ends the string: Redis grows the string by
            // the length difference counted on two bytes, so the last byte
            // of the replacement falls outside it.
            seq.pop();
        }
        let end = (pos + op.len).min(s.len());
        s.splice(pos..end, seq);
    }
    merge_vals(s, prev.unwrap_or(HDR));
    invalidate_cache(s);
    Ok(true)
}

/// Merge adjacent VAL opcodes of equal value (up to 4 registers), looking
/// at no more than five opcodes from `pos`.
fn merge_vals(s: &mut Vec<u8>, mut pos: usize) {
    let mut budget = 5;
    while pos < s.len() && budget > 0 {
        budget -= 1;
        let b = s[pos];
        if !is_val(b) {
            pos += if b & 0xc0 == 0x40 { 2 } else { 1 };
            continue;
        }
        if pos + 1 < s.len() && is_val(s[pos + 1]) {
            let (a, n) = (op_at(s, pos), op_at(s, pos + 1));
            if a.val == n.val && a.run + n.run <= SPARSE_VAL_MAX_LEN {
                s[pos + 1] = val_op(a.val, a.run + n.run);
                s.remove(pos);
                continue;
            }
        }
        pos += 1;
    }
}

fn promote(s: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(s)?;
    Ok(dense_raise(s, index, count))
}

/// Raise register `index` to `count` whatever the encoding.
pub fn raise(s: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, Corrupt> {
    if s[4] == ENC_DENSE {
        Ok(dense_raise(s, index, count))
    } else {
        sparse_raise(s, index, count, max_bytes)
    }
}

/// PFADD of one element; true if a register changed.
pub fn add(s: &mut Vec<u8>, ele: &[u8], max_bytes: usize) -> Result<bool, Corrupt> {
    let (index, count) = register_for(ele);
    raise(s, index, count, max_bytes)
}

/// Fold a HLL into `max`, one byte per register, keeping the maximum.
pub fn merge_into(max: &mut [u8], s: &[u8]) -> Result<(), Corrupt> {
    if s[4] == ENC_DENSE {
        for (i, m) in max.iter_mut().enumerate().take(REGISTERS) {
            *m = (*m).max(dense_get(&s[HDR..], i));
        }
        return Ok(());
    }
    walk_sparse(s, |first, op| {
        if op.val > 0 {
            for m in &mut max[first..first + op.run] {
                *m = (*m).max(op.val);
            }
        }
    })
}

/// All register values of a HLL (PFDEBUG GETREG works on dense ones).
pub fn registers(s: &[u8]) -> Vec<u8> {
    (0..REGISTERS).map(|i| dense_get(&s[HDR..], i)).collect()
}

/// The estimated cardinality of a HLL string.
pub fn count(s: &[u8]) -> Result<u64, Corrupt> {
    let mut histo = [0u64; 64];
    if s[4] == ENC_DENSE {
        for i in 0..REGISTERS {
            histo[dense_get(&s[HDR..], i) as usize] += 1;
        }
    } else {
        // Zero runs are counted without bounds, as Redis does; only the
        // total decides whether the HLL is valid.
        let mut pos = HDR;
        let mut idx = 0u64;
        while pos < s.len() {
            let op = op_at(s, pos);
            histo[op.val as usize] += op.run as u64;
            idx += op.run as u64;
            pos += op.len;
        }
        if idx != REGISTERS as u64 {
            return Err(Corrupt);
        }
    }
    Ok(estimate(&histo))
}

/// The estimated cardinality of plain registers (one byte each), as
/// computed for a union.
pub fn count_registers(regs: &[u8]) -> u64 {
    let mut histo = [0u64; 64];
    for &r in regs {
        histo[(r & 63) as usize] += 1;
    }
    estimate(&histo)
}

/// Ertl's improved raw estimator over the register histogram.
fn estimate(histo: &[u64; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - histo[Q + 1] as f64) / m);
    for j in (1..=Q).rev() {
        z += histo[j] as f64;
        z *= 0.5;
    }
    z += m * sigma(histo[0] as f64 / m);
    let alpha_inf = 0.721_347_520_444_481_7; // 0.5 / ln 2
    (alpha_inf * m * m / z).round() as u64
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let (mut y, mut z) = (1.0, x);
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if z == before {
            return z;
        }
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let (mut y, mut z) = (1.0, 1.0 - x);
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x).powf(2.0) * y;
        if z == before {
            return z / 3.0;
        }
    }
}

/// PFDEBUG DECODE: the sparse opcodes as text (`z:len`, `Z:len`,
/// `v:value,len`).
pub fn decode(s: &[u8]) -> String {
    let mut out = Vec::new();
    let mut pos = HDR;
    while pos < s.len() {
        let op = op_at(s, pos);
        out.push(match (op.val, op.len) {
            (0, 1) => format!("z:{}", op.run),
            (0, _) => format!("Z:{}", op.run),
            (v, _) => format!("v:{},{}", v, op.run),
        });
        pos += op.len;
    }
    out.join(" ")
}

/// PFSELFTEST: registers keep their values without touching neighbours,
/// sparse and dense agree, and estimates stay within bounds up to 10
/// million elements. `Err` holds Redis's TESTFAILED text.
pub fn selftest(max_bytes: usize) -> Result<(), String> {
    use rand::RngExt;
    let mut rng = rand::rng();
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..4].copy_from_slice(b"HYLL");
    let mut expect = vec![0u8; REGISTERS];
    for _ in 0..1000 {
        for (i, e) in expect.iter_mut().enumerate() {
            *e = rng.random_range(0..64u8);
            dense_put(&mut dense[HDR..], i, *e);
        }
        for (i, &e) in expect.iter().enumerate() {
            let got = dense_get(&dense[HDR..], i);
            if got != e {
                return Err(format!(
                    "TESTFAILED Register {i} should be {e} but is {got}"
                ));
            }
        }
    }
    dense[HDR..].fill(0);
    let mut sparse = new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let seed: u64 = rng.random();
    let mut checkpoint: u64 = 1;
    for j in 1..=10_000_000u64 {
        let ele = (j ^ seed).to_le_bytes();
        let (index, cnt) = register_for(&ele);
        dense_raise(&mut dense, index, cnt);
        raise(&mut sparse, index, cnt, max_bytes).map_err(|_| "TESTFAILED corrupted HLL")?;
        if j != checkpoint {
            continue;
        }
        if (j as usize) < max_bytes / 2 && !is_sparse(&sparse) {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let c = count(&dense).map_err(|_| "TESTFAILED corrupted HLL")?;
        if count(&sparse) != Ok(c) {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let abserr = (checkpoint as i64 - c as i64).unsigned_abs();
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(elems: impl IntoIterator<Item = u64>, max: usize) -> Vec<u8> {
        let mut s = new_sparse();
        for e in elems {
            add(&mut s, e.to_string().as_bytes(), max).unwrap();
        }
        s
    }

    #[test]
    fn registers_match_redis() {
        // Register and value redis-server picks (PFDEBUG DECODE after PFADD).
        assert_eq!(register_for(b"a"), (12711, 2));
        assert_eq!(register_for(b"hello"), (9216, 1));
        assert_eq!(register_for(b""), (5938, 2));
        assert_eq!(register_for(b"foobar12345"), (10624, 2));
        // The low 14 bits of the hash are the register.
        assert_eq!(murmur64a(b"hello", SEED) as usize & (REGISTERS - 1), 9216);
    }

    #[test]
    fn sparse_bytes_match_redis() {
        let mut s = new_sparse();
        assert!(add(&mut s, b"a", 3000).unwrap());
        assert!(!add(&mut s, b"a", 3000).unwrap());
        assert_eq!(decode(&s), "Z:12711 v:2,1 Z:3672");
        assert_eq!(&s[HDR..], &[0x71, 0xa6, 0x84, 0x4e, 0x57]);
        assert_eq!(cached_card(&s), None);
    }

    #[test]
    fn empty_is_sparse_xzero() {
        let s = new_sparse();
        assert_eq!(s.len(), 18);
        assert!(is_valid(&s) && is_sparse(&s));
        assert_eq!(decode(&s), "Z:16384");
        assert_eq!(count(&s), Ok(0));
        assert_eq!(cached_card(&s), Some(0));
    }

    #[test]
    fn dense_registers_round_trip() {
        let mut regs = vec![0u8; DENSE_SIZE - HDR];
        for i in 0..REGISTERS {
            dense_put(&mut regs, i, (i % 64) as u8);
        }
        for i in 0..REGISTERS {
            assert_eq!(dense_get(&regs, i), (i % 64) as u8);
        }
    }

    #[test]
    fn sparse_and_dense_agree() {
        let sparse = build(0..1000, 1 << 20);
        assert!(is_sparse(&sparse));
        let mut dense = sparse.clone();
        assert_eq!(to_dense(&mut dense), Ok(true));
        assert_eq!(dense.len(), DENSE_SIZE);
        assert_eq!(count(&sparse), count(&dense));
        let mut m1 = vec![0u8; REGISTERS];
        let mut m2 = vec![0u8; REGISTERS];
        merge_into(&mut m1, &sparse).unwrap();
        merge_into(&mut m2, &dense).unwrap();
        assert_eq!(m1, m2);
        assert_eq!(m1, registers(&dense));
        assert_eq!(count_registers(&m1), count(&dense).unwrap());
        let c = count(&dense).unwrap();
        assert!((950..=1050).contains(&c), "{c}");
    }

    #[test]
    fn promotes_past_max_bytes() {
        let s = build(0..200, 100);
        assert!(!is_sparse(&s));
        assert_eq!(s.len(), DENSE_SIZE);
    }

    #[test]
    fn estimator_on_known_registers() {
        let zeros = vec![0u8; REGISTERS];
        assert_eq!(count_registers(&zeros), 0);
        let mut one = zeros.clone();
        one[5] = 1;
        assert_eq!(count_registers(&one), 1);
    }

    #[test]
    fn corrupt_sparse_is_reported() {
        let mut s = new_sparse();
        s.push(0x80); // a VAL past the last register
        assert_eq!(count(&s), Err(Corrupt));
        assert_eq!(to_dense(&mut s.clone()), Err(Corrupt));
        let mut max = vec![0u8; REGISTERS];
        assert_eq!(merge_into(&mut max, &s), Err(Corrupt));
        let mut short = new_sparse();
        short.truncate(HDR + 1); // a truncated XZERO
        assert_eq!(count(&short), Err(Corrupt));
        assert_eq!(add(&mut short, b"x", 3000), Err(Corrupt));
        // A truncated XZERO covering the register is split as Redis does:
        // the last byte of the replacement falls past the end.
        let mut cut = new_sparse();
        cut.truncate(HDR + 1);
        cut[HDR] = 0x40; // XZERO of 1 + (0 << 8 | missing byte 0)
        let mut first = new_sparse();
        first.truncate(HDR);
        first.push(0x80); // register 0 = 1
        assert!(raise(&mut first, 0, 3, 3000).unwrap());
        assert_eq!(decode(&first), "v:3,1");
        assert!(raise(&mut cut, 0, 2, 3000).unwrap());
        assert_eq!(decode(&cut), "");
        // Huge zero runs never overflow.
        let mut big = new_sparse();
        big.extend(std::iter::repeat_n([0x7f, 0xff], 100_000).flatten());
        assert_eq!(count(&big), Err(Corrupt));
    }
}
