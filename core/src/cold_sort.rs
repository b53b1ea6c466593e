//! Sorting off the hot paths, with one compiled copy of the standard sort.
//!
//! The semantics are those of `slice::sort_by`: a stable sort (equal
//! elements keep their order), `O(n log n)` comparisons.
//!
//! Why: every `slice::sort*` call on a new element type or with a new
//! closure compiles its own copy of the standard sort, about 5 KB of wasm
//! each. In December 2026 the engine's sorts were 140 KB of the module's
//! 1.5 MB (twiggy). The functions here sort a vector of indices with one
//! comparator type (`&dyn Fn`), so the standard sort is compiled once for
//! all of them; per element type there is only the short loop that moves
//! the elements into place.
//!
//! Use them where a sort runs per view, per rebalance or per compile, not
//! per kernel event: the dynamic comparator and the index vector (one
//! allocation) cost more than a direct sort.

use std::cmp::Ordering;

/// The indices `0..n` in the order `cmp` gives them (stable). Not generic:
/// this is the one copy of the standard sort.
fn order(n: usize, cmp: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| cmp(a, b));
    idx
}

/// Moves `v[idx[j]]` to `j` for every `j`, following each cycle of the
/// permutation once (`idx` is used up as the "done" marks).
fn permute<T>(v: &mut [T], mut idx: Vec<usize>) {
    const DONE: usize = usize::MAX;
    for i in 0..v.len() {
        if idx[i] == DONE {
            continue;
        }
        // v[i]'s original element travels along the cycle until the slot
        // that wants it.
        let mut j = i;
        loop {
            let k = idx[j];
            idx[j] = DONE;
            if k == i {
                break;
            }
            v.swap(j, k);
            j = k;
        }
    }
}

/// `v.sort_by(cmp)`, stable.
pub(crate) fn sort_by<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering) {
    let idx = order(v.len(), &|a, b| cmp(&v[a], &v[b]));
    permute(v, idx);
}

/// `v.sort()`, stable.
pub(crate) fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// `v.sort_by_key(key)`, stable.
pub(crate) fn sort_by_key<T, K: Ord>(v: &mut [T], key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn empty_and_one() {
        let mut e: Vec<u8> = Vec::new();
        sort(&mut e);
        assert!(e.is_empty());
        let mut one = vec![7];
        sort(&mut one);
        assert_eq!(one, vec![7]);
    }

    proptest! {
        /// The same order as the standard stable sort, ties included: the
        /// elements are (key, original position) and only the key is
        /// compared.
        #[test]
        fn agrees_with_slice_sort_by_key(keys in prop::collection::vec(0u8..8, 0..200)) {
            let items: Vec<(u8, usize)> = keys.iter().copied().zip(0..).collect();
            let mut want = items.clone();
            want.sort_by_key(|&(k, _)| k);
            let mut got = items;
            sort_by_key(&mut got, |&(k, _)| k);
            prop_assert_eq!(got, want);
        }

        #[test]
        fn agrees_with_slice_sort(v in prop::collection::vec(any::<i32>(), 0..200)) {
            let mut want = v.clone();
            want.sort();
            let mut got = v;
            sort(&mut got);
            prop_assert_eq!(got, want);
        }
    }
}
