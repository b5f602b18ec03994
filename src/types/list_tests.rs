//! Tests of the quicklist: fill rules, plain nodes, compression, and a
//! property test against a `VecDeque` model over random settings.

use super::*;
use std::sync::Mutex;

/// The packed threshold is process-wide: tests that depend on it run one
/// at a time.
static THRESHOLD_LOCK: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    THRESHOLD_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn over_limit(n: &Node, fill: i32) -> bool {
    if n.count() <= 1 {
        return false;
    }
    let sz = n.sz();
    if size_meets_fill(sz, fill) {
        false
    } else if sz > SIZE_SAFETY_LIMIT {
        true
    } else {
        (n.count() as i64) > (fill as i64).max(1)
    }
}

/// Structural invariants; `threshold` is the packed threshold in force
/// since the list was created.
fn check(l: &List, threshold: usize) {
    let total: usize = l.nodes.iter().map(|n| n.count()).sum();
    assert_eq!(total, l.count, "count");
    let len = l.nodes.len();
    for (i, n) in l.nodes.iter().enumerate() {
        assert!(n.count() > 0, "empty node {i}");
        assert!(!n.dont_compress, "dont_compress left on node {i}");
        let raw = n.decompressed();
        if n.is_plain() {
            assert_eq!(n.count(), 1);
            assert!(n.sz() >= threshold, "small plain element");
            assert_eq!(raw.plain_value().len(), n.sz());
        } else {
            let lp = raw.lp();
            assert_eq!(lp.len(), n.count(), "node count");
            assert_eq!(lp.bytes_len(), n.sz(), "node sz");
            assert!(lp.iter().all(|v| v.str_len() < threshold), "large in lp");
        }
        let in_depth = i < l.compress || i + l.compress >= len;
        if l.compress == 0 || in_depth || i == 0 || i + 1 == len {
            assert!(!n.is_compressed(), "node {i}/{len} compressed");
        }
        if n.is_compressed() {
            assert!(n.stored_len() + 8 < n.sz());
        }
        assert!(!(n.recompress && !n.is_compressed() && l.compress == 0));
    }
}

#[test]
fn nodes_split_at_byte_limit() {
    let _g = lock();
    let mut l = List::with_options(-2, 0);
    let v = vec![b'x'; 100];
    for _ in 0..1000 {
        l.push(&v, End::Tail);
    }
    check(&l, usize::MAX);
    assert!(l.nodes.iter().all(|n| !over_limit(n, -2)));
    // ~102 bytes per entry, 8 KB nodes: about 80 per node.
    assert!(
        l.node_count() > 10 && l.node_count() < 16,
        "{}",
        l.node_count()
    );
    let mut l = List::with_options(-1, 0);
    for _ in 0..1000 {
        l.push(&v, End::Head);
    }
    assert!(l.nodes.iter().all(|n| n.sz() <= 4096));
}

#[test]
fn nodes_split_at_count_limit() {
    let _g = lock();
    let mut l = List::with_options(5, 0);
    for i in 0..100 {
        l.push(i.to_string().as_bytes(), End::Tail);
    }
    assert_eq!(l.node_count(), 20);
    assert!(l.nodes.iter().all(|n| n.count() == 5));
    // Inserting into a full node splits it (then merges what fits).
    assert!(l.insert(b"2", b"new", true));
    check(&l, usize::MAX);
    assert!(l.nodes.iter().all(|n| !over_limit(n, 5)));
    assert_eq!(l.get(3).unwrap(), b"new");
    // fill 0: one element per node.
    let mut l = List::with_options(0, 0);
    for i in 0..10 {
        l.push(i.to_string().as_bytes(), End::Head);
    }
    assert_eq!(l.node_count(), 10);
}

#[test]
fn compression_shrinks_and_keeps_contents() {
    let _g = lock();
    let mut plain = List::with_options(-2, 0);
    let mut comp = List::with_options(-2, 1);
    for i in 0..5000 {
        let v = format!("element-number-{i:08}-padding-padding-padding");
        plain.push(v.as_bytes(), End::Tail);
        comp.push(v.as_bytes(), End::Tail);
    }
    check(&comp, usize::MAX);
    assert_eq!(plain.to_vec(), comp.to_vec());
    let inner = comp.nodes.len() - 2;
    let compressed = comp.nodes.iter().filter(|n| n.is_compressed()).count();
    assert_eq!(compressed, inner);
    assert!(
        comp.heap_size() * 2 < plain.heap_size(),
        "{} vs {}",
        comp.heap_size(),
        plain.heap_size()
    );
    // Reads decompress and recompress: state unchanged.
    assert_eq!(
        comp.get(2500).unwrap(),
        b"element-number-00002500-padding-padding-padding"
    );
    let mut n = 0;
    comp.visit(100, false, |_| {
        n += 1;
        n < 3000
    });
    assert_eq!(n, 3000);
    assert_eq!(
        comp.nodes.iter().filter(|n| n.is_compressed()).count(),
        inner
    );
    // Depth 2 keeps two raw nodes at each end.
    let mut d2 = List::with_options(-2, 2);
    for i in 0..5000 {
        d2.push(format!("value {i:06} value value").as_bytes(), End::Head);
    }
    check(&d2, usize::MAX);
    let len = d2.nodes.len();
    assert!(!d2.nodes[1].is_compressed() && !d2.nodes[len - 2].is_compressed());
    assert!(d2.nodes[2].is_compressed() && d2.nodes[len - 3].is_compressed());
}

#[test]
fn plain_nodes_and_lset_across_threshold() {
    let _g = lock();
    set_packed_threshold(5);
    let mut l = List::with_options(-2, 0);
    for v in ["aa", "bb", "cc", "dd", "ee"] {
        l.push(v.as_bytes(), End::Tail);
    }
    assert_eq!(l.node_count(), 1);
    // Packed → plain in the middle splits the node in three.
    assert!(l.set(2, b"eeeeeeeeee"));
    assert_eq!(l.node_count(), 3);
    assert!(l.nodes[1].is_plain());
    check(&l, 5);
    let want: Vec<&[u8]> = vec![b"aa", b"bb", b"eeeeeeeeee", b"dd", b"ee"];
    assert_eq!(l.to_vec(), want);
    // Plain → packed goes into a neighbour.
    assert!(l.set(2, b"xx"));
    check(&l, 5);
    assert!(l.nodes.iter().all(|n| !n.is_plain()));
    // Plain → plain replaces in place.
    l.push(b"0123456789", End::Head);
    assert!(l.nodes[0].is_plain());
    assert!(l.set(0, b"abcdefghijk"));
    assert_eq!(l.get(0).unwrap(), b"abcdefghijk");
    assert_eq!(l.pop(End::Head).unwrap(), b"abcdefghijk");
    check(&l, 5);
    set_packed_threshold(0);
}

// ---------------------------------------------------------------------------
// Property test

/// Tiny xorshift so the property test needs no extra crate.
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
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

fn rand_value(r: &mut Rng) -> Vec<u8> {
    match r.below(6) {
        0 => (r.below(20) as i64 - 10).to_string().into_bytes(),
        1 => vec![b'a' + r.below(3) as u8; 1 + r.below(3) as usize],
        2 => vec![b'z'; 200 + r.below(3000) as usize],
        3 => format!(
            "item:{}:{}",
            r.below(50),
            "pad".repeat(r.below(20) as usize)
        )
        .into_bytes(),
        4 => (0..r.below(120)).map(|_| r.next() as u8).collect(),
        _ => (r.next() as i64).to_string().into_bytes(),
    }
}

fn model_remove(m: &mut VecDeque<Vec<u8>>, v: &[u8], count: i64) -> usize {
    let limit = if count == 0 {
        usize::MAX
    } else {
        count.unsigned_abs() as usize
    };
    let mut n = 0;
    if count >= 0 {
        let mut i = 0;
        while i < m.len() && n < limit {
            if m[i] == v {
                m.remove(i);
                n += 1;
            } else {
                i += 1;
            }
        }
    } else {
        let mut i = m.len();
        while i > 0 && n < limit {
            i -= 1;
            if m[i] == v {
                m.remove(i);
                n += 1;
            }
        }
    }
    n
}

/// Runs one random scenario; returns how many checks saw a compressed node
/// and a plain node, so the caller can tell both were exercised.
fn run_model(seed: u64, steps: usize) -> (usize, usize) {
    let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let fill = r.pick(&[-5i64, -2, -1, 0, 1, 2, 3, 5, 16, 128]);
    let depth = r.pick(&[0i64, 0, 1, 2, 3]);
    let threshold = r.pick(&[0u64, 0, 1, 5, 30, 100, 1000]);
    set_packed_threshold(threshold);
    let th = if threshold == 0 {
        DEFAULT_PACKED_THRESHOLD
    } else {
        threshold as usize
    };
    let ctx = format!("seed {seed} fill {fill} depth {depth} threshold {threshold}");
    let mut l = List::with_options(fill, depth);
    let mut m: VecDeque<Vec<u8>> = VecDeque::new();
    let (mut seen_lzf, mut seen_plain) = (0, 0);
    for step in 0..steps {
        let len = m.len() as i64;
        let op = r.below(14);
        match op {
            0..=2 => {
                let v = rand_value(&mut r);
                l.push(&v, End::Head);
                m.push_front(v);
            }
            3..=5 => {
                let v = rand_value(&mut r);
                l.push(&v, End::Tail);
                m.push_back(v);
            }
            6 => {
                let end = if r.below(2) == 0 {
                    End::Head
                } else {
                    End::Tail
                };
                let want = if end == End::Head {
                    m.pop_front()
                } else {
                    m.pop_back()
                };
                assert_eq!(l.pop(end), want, "{ctx} step {step}");
            }
            7 => {
                let pivot = if len > 0 && r.below(3) > 0 {
                    m[r.below(len as u64) as usize].clone()
                } else {
                    rand_value(&mut r)
                };
                let v = rand_value(&mut r);
                let after = r.below(2) == 0;
                let found = l.insert(&pivot, &v, after);
                match m.iter().position(|e| *e == pivot) {
                    Some(i) => {
                        assert!(found, "{ctx} step {step}");
                        m.insert(if after { i + 1 } else { i }, v);
                    }
                    None => assert!(!found, "{ctx} step {step}"),
                }
            }
            8 => {
                let v = if len > 0 && r.below(2) == 0 {
                    m[r.below(len as u64) as usize].clone()
                } else {
                    rand_value(&mut r)
                };
                let count = r.below(5) as i64 - 2;
                let got = l.remove(&v, count);
                assert_eq!(got, model_remove(&mut m, &v, count), "{ctx} step {step}");
            }
            9 | 10 => {
                let idx = r.below(2 * len as u64 + 2) as i64 - len - 1;
                let v = rand_value(&mut r);
                let ok = l.set(idx, &v);
                let i = if idx < 0 { idx + len } else { idx };
                assert_eq!(ok, i >= 0 && i < len, "{ctx} step {step}");
                if ok {
                    m[i as usize] = v;
                }
            }
            11 => {
                if r.below(6) == 0 {
                    let s = r.below(len as u64 / 4 + 2) as i64 - 1;
                    let e = -(r.below(len as u64 / 4 + 2) as i64);
                    l.trim(s, e);
                    let (ks, ke) = match range_bounds(len, s, e) {
                        Some((a, b)) => (a as usize, b as usize + 1),
                        None => (0, 0),
                    };
                    m = m.iter().take(ke).skip(ks).cloned().collect();
                } else {
                    let n = r.below(4) as usize;
                    let end = if r.below(2) == 0 {
                        End::Head
                    } else {
                        End::Tail
                    };
                    l.delete_from(end, n);
                    for _ in 0..n {
                        if end == End::Head {
                            m.pop_front();
                        } else {
                            m.pop_back();
                        }
                    }
                }
            }
            _ => {
                if len > 0 {
                    let s = r.below(len as u64) as usize;
                    let rev = r.below(2) == 0;
                    let take = 1 + r.below(40) as usize;
                    let mut got = Vec::new();
                    l.visit(s, rev, |v| {
                        got.push(v.to_vec());
                        got.len() < take
                    });
                    let want: Vec<Vec<u8>> = if rev {
                        m.iter().take(s + 1).rev().take(take).cloned().collect()
                    } else {
                        m.iter().skip(s).take(take).cloned().collect()
                    };
                    assert_eq!(got, want, "{ctx} step {step}");
                    let idx = r.below(2 * len as u64) as i64 - len;
                    let i = if idx < 0 { idx + len } else { idx } as usize;
                    assert_eq!(l.get(idx), m.get(i).cloned(), "{ctx} step {step}");
                }
            }
        }
        assert_eq!(l.len(), m.len(), "{ctx} step {step} op {op}");
        check(&l, th);
        seen_lzf += l.nodes.iter().any(|n| n.is_compressed()) as usize;
        seen_plain += l.nodes.iter().any(|n| n.is_plain()) as usize;
        if step % 97 == 0 {
            assert_eq!(l.to_vec(), m.iter().cloned().collect::<Vec<_>>(), "{ctx}");
        }
    }
    assert_eq!(l.to_vec(), m.iter().cloned().collect::<Vec<_>>(), "{ctx}");
    (seen_lzf, seen_plain)
}

#[test]
fn matches_vecdeque_model() {
    let _g = lock();
    let (mut lzf, mut plain) = (0, 0);
    for seed in 1..=60u64 {
        let (a, b) = run_model(seed, 1500);
        lzf += a;
        plain += b;
    }
    assert!(lzf > 1000 && plain > 1000, "lzf {lzf} plain {plain}");
    set_packed_threshold(0);
}

#[test]
fn small_lists_stay_small() {
    assert!(std::mem::size_of::<Node>() <= 40);
    let mut l = List::new();
    for i in 0..10 {
        l.push(format!("{i}").as_bytes(), End::Tail);
    }
    assert_eq!(l.nodes.capacity(), 1);
}
