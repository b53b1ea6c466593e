//! A growable sequence kept in fixed-size chunks, for records a run only
//! appends to and may hold millions of: the guarantees book's per-copy and
//! per-message records, a Kafka replica's log.
//!
//! # Semantics
//! A sequence, as a `Vec` is: `push` appends, `get(i)` is the `i`-th value,
//! iteration is in index order, `truncate` drops the tail; two sequences are
//! equal when they hold equal values in the same order (however they were
//! grown or cloned).
//!
//! # Cost
//! Values live in chunks of [`CHUNK`]. Pushing fills the last chunk and, when
//! it is full, starts a new one: past the first chunk, a value never moves
//! once pushed. A `Vec` grows by doubling, copying everything it holds each
//! time (for a long run's book, hundreds of megabytes copied and as many
//! fresh pages touched; about a tenth of the NSQ reference's time). Indexing is a shift and a mask.
//! A new chunk is one allocation per [`CHUNK`] pushes; the first grows by
//! doubling, so a short sequence takes no more memory than a `Vec`.

use std::ops::{Index, IndexMut};
use std::slice;

/// Values per chunk (a power of two: a value's chunk is a shift away).
const CHUNK_BITS: u32 = 10;
pub const CHUNK: usize = 1 << CHUNK_BITS;

/// See the module docs.
#[derive(Clone, Debug)]
pub struct Chunked<T> {
    /// Every chunk but the last is full; the last is never empty.
    chunks: Vec<Vec<T>>,
    /// The number of values: derivable from the chunks, but kept, because
    /// deriving it at every push and bounds check cost the NSQ module
    /// 0.2 KB gzip (over its budget ceiling). `push` and `truncate` keep it.
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked { chunks: Vec::new(), len: 0 }
    }
}

impl<T: PartialEq> PartialEq for Chunked<T> {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl<T: Eq> Eq for Chunked<T> {}

impl<T> Chunked<T> {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `value`; returns its index.
    pub fn push(&mut self, value: T) -> usize {
        match self.chunks.last_mut() {
            Some(c) if c.len() < CHUNK => c.push(value),
            _ => {
                // The first chunk grows as a `Vec` does (a small sequence
                // stays small: a world has one per channel, replica, ...),
                // up to CHUNK values; later ones are allocated whole.
                let mut c = if self.chunks.is_empty() { Vec::new() } else { Vec::with_capacity(CHUNK) };
                c.push(value);
                self.chunks.push(c);
            }
        }
        self.len += 1;
        self.len - 1
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<&T> {
        if i < self.len {
            Some(&self.chunks[i >> CHUNK_BITS][i & (CHUNK - 1)])
        } else {
            None
        }
    }

    #[inline]
    pub fn get_mut(&mut self, i: usize) -> Option<&mut T> {
        if i < self.len {
            Some(&mut self.chunks[i >> CHUNK_BITS][i & (CHUNK - 1)])
        } else {
            None
        }
    }

    pub fn last(&self) -> Option<&T> {
        self.chunks.last().and_then(|c| c.last())
    }

    /// Every value, in index order.
    pub fn iter(&self) -> Iter<'_, T> {
        self.iter_from(0)
    }

    /// The values from index `i` on (none when `i >= len`).
    pub fn iter_from(&self, i: usize) -> Iter<'_, T> {
        let c = (i >> CHUNK_BITS).min(self.chunks.len());
        let head: &[T] = match self.chunks.get(c) {
            Some(chunk) => &chunk[(i & (CHUNK - 1)).min(chunk.len())..],
            None => &[],
        };
        let rest = self.chunks.get(c + 1..).unwrap_or(&[]);
        Iter { cur: head.iter(), rest: rest.iter() }
    }

    /// Keeps the first `n` values (all of them when `n >= len`).
    pub fn truncate(&mut self, n: usize) {
        if n >= self.len {
            return;
        }
        let keep_chunks = n.div_ceil(CHUNK);
        self.chunks.truncate(keep_chunks);
        if let Some(last) = self.chunks.last_mut() {
            last.truncate(n - (keep_chunks - 1) * CHUNK);
        }
        self.len = n;
    }
}

/// `c[i]`: the `i`-th value; panics when `i >= len`, as a slice does (the
/// chunk or the last chunk's own bounds check).
impl<T> Index<usize> for Chunked<T> {
    type Output = T;
    #[inline]
    fn index(&self, i: usize) -> &T {
        &self.chunks[i >> CHUNK_BITS][i & (CHUNK - 1)]
    }
}

impl<T> IndexMut<usize> for Chunked<T> {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut T {
        &mut self.chunks[i >> CHUNK_BITS][i & (CHUNK - 1)]
    }
}

/// [`Chunked::iter`], [`Chunked::iter_from`]: the values of the current
/// chunk, then of each chunk after it (forward only: smaller code than a
/// `Flatten`, which also keeps a back iterator).
#[derive(Clone, Debug)]
pub struct Iter<'a, T> {
    cur: slice::Iter<'a, T>,
    rest: slice::Iter<'a, Vec<T>>,
}

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = &'a T;

    #[inline]
    fn next(&mut self) -> Option<&'a T> {
        loop {
            if let Some(x) = self.cur.next() {
                return Some(x);
            }
            self.cur = self.rest.next()?.iter();
        }
    }
}

impl<'a, T> IntoIterator for &'a Chunked<T> {
    type Item = &'a T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What a run can do to a sequence.
    #[derive(Clone, Debug)]
    enum Op {
        Push(u32),
        Truncate(usize),
        Set(usize, u32),
        Clone,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            8 => any::<u32>().prop_map(Op::Push),
            1 => (0..4 * CHUNK).prop_map(Op::Truncate),
            1 => (0..4 * CHUNK, any::<u32>()).prop_map(|(i, v)| Op::Set(i, v)),
            1 => Just(Op::Clone),
        ]
    }

    proptest! {
        /// Whatever is done to it, it reads as a `Vec` that had the same done.
        #[test]
        fn behaves_as_a_vec(ops in prop::collection::vec(op(), 0..6000), from in 0..5 * CHUNK) {
            let mut c = Chunked::new();
            let mut v: Vec<u32> = Vec::new();
            for op in ops {
                match op {
                    Op::Push(x) => prop_assert_eq!(c.push(x), { v.push(x); v.len() - 1 }),
                    Op::Truncate(n) => { c.truncate(n); v.truncate(n); }
                    Op::Set(i, x) => {
                        prop_assert_eq!(c.get_mut(i).is_some(), i < v.len());
                        if let (Some(a), Some(b)) = (c.get_mut(i), v.get_mut(i)) { *a = x; *b = x; }
                    }
                    Op::Clone => c = c.clone(),
                }
                prop_assert_eq!(c.len(), v.len());
                prop_assert_eq!(c.is_empty(), v.is_empty());
                prop_assert_eq!(c.last(), v.last());
            }
            prop_assert!(c.iter().eq(v.iter()));
            prop_assert!(c.iter_from(from).eq(v.iter().skip(from)));
            for i in [0, from, v.len().saturating_sub(1), v.len()] {
                prop_assert_eq!(c.get(i), v.get(i));
            }
            // Equal to one grown straight, whatever its history.
            let mut straight = Chunked::new();
            for &x in &v { straight.push(x); }
            prop_assert_eq!(&c, &straight);
        }
    }

    #[test]
    fn past_the_first_chunk_a_value_never_moves() {
        let mut c = Chunked::new();
        for i in 0..=(CHUNK as u64) {
            c.push(i);
        }
        let second: *const u64 = c.get(CHUNK).unwrap();
        let first: *const u64 = c.get(0).unwrap();
        for i in 0..(3 * CHUNK as u64) {
            c.push(i);
        }
        assert!(std::ptr::eq(second, c.get(CHUNK).unwrap()));
        // The first chunk is full: it does not grow (or move) again either.
        assert!(std::ptr::eq(first, c.get(0).unwrap()));
    }
}
