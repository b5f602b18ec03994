//! Partial quicksort: sort only what lands in a range of positions.
//!
//! GEORADIUS/GEOSEARCH with COUNT n (without ANY) need just the n nearest
//! points in order. Redis gets them with its `pqsort`, the three-way
//! partitioning quicksort of Bentley and McIlroy ("Engineering a Sort
//! Function", 1993: pivot by median of three, or ninther above 40
//! elements; keys equal to the pivot parked at both ends then swapped into
//! the middle; insertion sort below 7 elements) that skips every partition
//! lying wholly outside the wanted range. The algorithm is not stable, and
//! which of several equally distant points a reply shows depends on its
//! exact sequence of swaps, so this is that same algorithm, step for step,
//! on a slice.

use std::cmp::Ordering;

/// Sort `v` so that the positions `keep` (inclusive) hold what a full sort
/// would put there (ties in Bentley–McIlroy order); other positions are
/// left partitioned.
pub fn partial_sort_by<T>(
    v: &mut [T],
    keep: (usize, usize),
    mut cmp: impl FnMut(&T, &T) -> Ordering,
) {
    sort_part(v, 0, v.len(), keep, &mut cmp);
}

/// The median of three positions under `cmp`.
fn med3<T>(
    v: &[T],
    a: usize,
    b: usize,
    c: usize,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) -> usize {
    if cmp(&v[a], &v[b]) == Ordering::Less {
        if cmp(&v[b], &v[c]) == Ordering::Less {
            b
        } else if cmp(&v[a], &v[c]) == Ordering::Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Ordering::Greater {
        b
    } else if cmp(&v[a], &v[c]) == Ordering::Less {
        a
    } else {
        c
    }
}

/// Swap the `n` elements from `i` with the `n` from `j`, pairwise.
fn swap_blocks<T>(v: &mut [T], i: usize, j: usize, n: usize) {
    for k in 0..n {
        v.swap(i + k, j + k);
    }
}

/// Does `[start, start + len)` meet the wanted positions?
fn wanted(start: usize, len: usize, keep: (usize, usize)) -> bool {
    let end = start + len;
    !((keep.0 < start && keep.1 < start) || (keep.0 >= end && keep.1 >= end))
}

/// Sort `v[start..start + n]` as far as `keep` needs.
fn sort_part<T>(
    v: &mut [T],
    mut start: usize,
    mut n: usize,
    keep: (usize, usize),
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) {
    loop {
        let a = start;
        if n < 7 {
            for m in a + 1..a + n {
                let mut l = m;
                while l > a && cmp(&v[l - 1], &v[l]) == Ordering::Greater {
                    v.swap(l, l - 1);
                    l -= 1;
                }
            }
            return;
        }
        // Pivot to the front.
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        // Partition: [a, pa) equal, [pa, pb) less, (pc, pd] greater,
        // (pd, end) equal.
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        loop {
            while pb <= pc {
                match cmp(&v[pb], &v[a]) {
                    Ordering::Greater => break,
                    Ordering::Equal => {
                        v.swap(pa, pb);
                        pa += 1;
                    }
                    Ordering::Less => {}
                }
                pb += 1;
            }
            while pb <= pc {
                match cmp(&v[pc], &v[a]) {
                    Ordering::Less => break,
                    Ordering::Equal => {
                        v.swap(pc, pd);
                        pd -= 1;
                    }
                    Ordering::Greater => {}
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            pb += 1;
            pc -= 1;
        }
        // Bring the equal keys from both ends to the middle.
        let end = a + n;
        let r = (pa - a).min(pb - pa);
        swap_blocks(v, a, pb - r, r);
        let r = (pd - pc).min(end - pd - 1);
        swap_blocks(v, pb, end - r, r);
        let less = pb - pa;
        if less > 1 && wanted(a, less, keep) {
            sort_part(v, a, less, keep, cmp);
        }
        let greater = pd - pc;
        if greater <= 1 {
            return;
        }
        start = end - greater;
        n = greater;
        if !wanted(start, n, keep) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn the_kept_range_is_sorted() {
        let mut rng = rand::rng();
        for _ in 0..300 {
            let n = rng.random_range(0..200usize);
            let v: Vec<u32> = (0..n).map(|_| rng.random_range(0..50u32)).collect();
            let mut full = v.clone();
            full.sort();
            if n == 0 {
                continue;
            }
            let lo = rng.random_range(0..n);
            let hi = rng.random_range(lo..n);
            let mut p = v.clone();
            partial_sort_by(&mut p, (lo, hi), |a, b| a.cmp(b));
            assert_eq!(p[lo..=hi], full[lo..=hi]);
            let mut all = p.clone();
            all.sort();
            assert_eq!(all, full, "a permutation");
            let mut whole = v.clone();
            partial_sort_by(&mut whole, (0, n - 1), |a, b| a.cmp(b));
            assert_eq!(whole, full);
        }
    }

    #[test]
    fn ties_keep_the_algorithms_order() {
        // Equal keys tagged with their original position: a small input
        // is insertion sorted, which keeps ties in order.
        let mut v: Vec<(u32, usize)> = [3, 1, 3, 1, 2].iter().copied().zip(0..).collect();
        partial_sort_by(&mut v, (0, 1), |a, b| a.0.cmp(&b.0));
        assert_eq!(&v[..2], &[(1, 1), (1, 3)]);
    }
}
