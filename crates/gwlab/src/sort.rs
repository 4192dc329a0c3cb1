//! Stable sorting through one non-generic merge sort of indices.
//!
//! `slice::sort_by` is monomorphised for every element type and comparator, and each copy of the
//! standard stable sort is a few KB of code: with a couple of dozen call sites that was a sizeable
//! part of the web bundle. These methods sort a `Vec<usize>` of positions once (stable: equal
//! elements keep their order, exactly as `sort_by` does) and then move the elements into place; only
//! the small permutation step is generic.

use std::cmp::Ordering;

/// Positions `0..n` in stable sorted order under `cmp` (which compares the elements at two positions).
#[inline(never)]
pub fn sorted_order(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| cmp(a, b));
    order
}

/// Puts `v[order[i]]` at position `i`, following each cycle of the permutation with swaps.
fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        if order[start] == start {
            continue;
        }
        let mut j = start;
        loop {
            let k = order[j];
            order[j] = j;
            if k == start {
                break;
            }
            v.swap(j, k);
            j = k;
        }
    }
}

/// Stable sorts that share one sorting routine (see the module documentation). Same results as
/// `sort`, `sort_by` and `sort_by_key`.
pub trait StableSort<T> {
    fn stable_sort_by(&mut self, cmp: impl Fn(&T, &T) -> Ordering);
    fn stable_sort_by_key<K: Ord>(&mut self, key: impl Fn(&T) -> K) {
        self.stable_sort_by(|a, b| key(a).cmp(&key(b)))
    }
    fn stable_sort(&mut self)
    where
        T: Ord,
    {
        self.stable_sort_by(|a, b| a.cmp(b))
    }
}

impl<T> StableSort<T> for [T] {
    fn stable_sort_by(&mut self, cmp: impl Fn(&T, &T) -> Ordering) {
        if self.len() < 2 {
            return;
        }
        let order = {
            let s: &[T] = self;
            sorted_order(s.len(), &|a, b| cmp(&s[a], &s[b]))
        };
        permute(self, order);
    }
}

#[cfg(test)]
mod tests {
    use super::StableSort;

    #[test]
    fn matches_std_stable_sort() {
        let mut seed = 7u64;
        for n in 0..60 {
            let mut a: Vec<(u8, usize)> = (0..n)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 60) as u8, i)
                })
                .collect();
            let mut b = a.clone();
            a.sort_by_key(|e| e.0);
            b.stable_sort_by_key(|e| e.0);
            assert_eq!(a, b);
            a.sort_by(|x, y| y.cmp(x));
            b.stable_sort_by(|x, y| y.cmp(x));
            assert_eq!(a, b);
        }
    }
}
