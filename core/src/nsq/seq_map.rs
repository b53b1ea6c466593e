//! An ordered map from `u64` keys for records that are never removed and
//! whose keys mostly arrive in increasing order (publish sequence numbers,
//! nsqd message ids): the guarantees book's per-message and per-copy
//! records.
//!
//! # Semantics
//! A map: one value per key; iteration is in increasing key order, always
//! (so nothing observable depends on how the entries are stored), and two
//! maps are equal when they iterate the same pairs. Entries are never
//! removed. Each value gets a **slot** when inserted, stable for the map's
//! life, so a caller may keep it and reach the value again in O(1).
//!
//! # Cost
//! Values live in insertion order (the slots), in a [`Chunked`] sequence
//! (growing copies at most the first chunk). Keys above every
//! key so far (the usual case) are appended to a sorted run of
//! (key, slot): no allocation beyond a new chunk now and then and the
//! run's amortised growth, and a
//! lookup is O(1) while the run's keys are consecutive, else a binary
//! search. A key below the run's last (out of order) goes to a `BTreeMap`
//! beside it, O(log n). Lookups of a key above the run's last are O(1)
//! misses: every out-of-order key is below it.

use crate::chunked::Chunked;
use std::collections::btree_map;
use std::collections::BTreeMap;
use std::iter::Peekable;

/// See the module docs.
#[derive(Clone, Debug)]
pub struct SeqMap<V> {
    /// The values, by slot (insertion order).
    vals: Chunked<V>,
    /// (key, slot), keys strictly increasing.
    run: Vec<(u64, u32)>,
    /// Keys inserted below the run's last key at the time: all below it.
    late: BTreeMap<u64, u32>,
}

impl<V> Default for SeqMap<V> {
    fn default() -> Self {
        SeqMap {
            vals: Chunked::new(),
            run: Vec::new(),
            late: BTreeMap::new(),
        }
    }
}

impl<V: PartialEq> PartialEq for SeqMap<V> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<V: Eq> Eq for SeqMap<V> {}

impl<V> SeqMap<V> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.vals.len()
    }

    /// The slot of `key`, if present.
    #[inline]
    pub fn slot(&self, key: u64) -> Option<u32> {
        if let (Some(&(first, _)), Some(&(last, last_slot))) = (self.run.first(), self.run.last()) {
            if key > last {
                return None;
            }
            if key == last {
                return Some(last_slot);
            }
            if key >= first {
                // Consecutive keys: the key's own place.
                if let Some(&(k, s)) = self.run.get((key - first) as usize) {
                    if k == key {
                        return Some(s);
                    }
                }
                if let Ok(i) = self.run.binary_search_by_key(&key, |e| e.0) {
                    return Some(self.run[i].1);
                }
            }
        }
        if self.late.is_empty() {
            return None;
        }
        self.late.get(&key).copied()
    }

    #[inline]
    pub fn contains_key(&self, key: u64) -> bool {
        self.slot(key).is_some()
    }

    #[inline]
    pub fn get(&self, key: u64) -> Option<&V> {
        self.slot(key).map(|s| &self.vals[s as usize])
    }

    #[inline]
    pub fn get_mut(&mut self, key: u64) -> Option<&mut V> {
        self.slot(key).map(|s| &mut self.vals[s as usize])
    }

    /// The value in `slot` (from [`SeqMap::slot_or_insert_with`]).
    #[inline]
    pub fn at_mut(&mut self, slot: u32) -> &mut V {
        &mut self.vals[slot as usize]
    }

    /// Adds `key`, which must be absent; returns its slot.
    fn push_new(&mut self, key: u64, value: V) -> u32 {
        let slot = self.vals.push(value) as u32;
        match self.run.last() {
            Some(&(last, _)) if key <= last => {
                self.late.insert(key, slot);
            }
            _ => self.run.push((key, slot)),
        }
        slot
    }

    /// The slot of `key`, inserting `make()` first if absent.
    #[inline]
    pub fn slot_or_insert_with(&mut self, key: u64, make: impl FnOnce() -> V) -> u32 {
        match self.slot(key) {
            Some(s) => s,
            None => self.push_new(key, make()),
        }
    }

    /// Sets `key` to `value` (replacing any value it had).
    pub fn insert(&mut self, key: u64, value: V) {
        match self.slot(key) {
            Some(s) => self.vals[s as usize] = value,
            None => {
                self.push_new(key, value);
            }
        }
    }

    /// Every (key, value), in increasing key order.
    pub fn iter(&self) -> Iter<'_, V> {
        Iter {
            vals: &self.vals,
            run: self.run.iter().peekable(),
            late: self.late.iter().peekable(),
        }
    }
}

/// [`SeqMap::iter`]: the run and the out-of-order keys, merged.
#[derive(Debug)]
pub struct Iter<'a, V> {
    vals: &'a Chunked<V>,
    run: Peekable<std::slice::Iter<'a, (u64, u32)>>,
    late: Peekable<btree_map::Iter<'a, u64, u32>>,
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (u64, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        let from_run = match (self.run.peek(), self.late.peek()) {
            (Some(&&(a, _)), Some(&(&b, _))) => a < b,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => return None,
        };
        let (key, slot) = if from_run {
            let &(k, s) = self.run.next()?;
            (k, s)
        } else {
            let (&k, &s) = self.late.next()?;
            (k, s)
        };
        Some((key, &self.vals[slot as usize]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chunked::CHUNK;

    #[test]
    fn iterates_in_key_order_whatever_the_insertion_order() {
        let mut m = SeqMap::new();
        let mut reference = BTreeMap::new();
        let keys = [5u64, 6, 7, 9, 3, 12, 8, 1, 13, 14, 2, 20, 0, 10];
        for (i, &k) in keys.iter().enumerate() {
            m.insert(k, i);
            reference.insert(k, i);
        }
        m.insert(9, 100);
        reference.insert(9, 100);
        let got: Vec<(u64, usize)> = m.iter().map(|(k, &v)| (k, v)).collect();
        let want: Vec<(u64, usize)> = reference.iter().map(|(&k, &v)| (k, v)).collect();
        assert_eq!(got, want);
        for k in 0..25 {
            assert_eq!(m.get(k), reference.get(&k), "key {k}");
        }
        assert_eq!(m.len(), reference.len());
        // Equal maps built in other orders are equal.
        let mut n = SeqMap::new();
        for (k, v) in reference.iter().rev() {
            n.insert(*k, *v);
        }
        assert_eq!(m, n);
        n.insert(0, 1);
        assert_ne!(m, n);
    }

    #[test]
    fn slots_are_stable() {
        let mut m = SeqMap::new();
        let a = m.slot_or_insert_with(10, || 'a');
        let b = m.slot_or_insert_with(4, || 'b');
        assert_eq!(m.slot_or_insert_with(10, || 'z'), a);
        for k in 11..100 {
            m.insert(k, 'x');
        }
        assert_eq!((*m.at_mut(a), *m.at_mut(b)), ('a', 'b'));
        *m.at_mut(b) = 'c';
        assert_eq!(m.get(4), Some(&'c'));
        assert!(!m.contains_key(100) && !m.contains_key(3));
    }

    #[test]
    fn values_past_the_first_chunks_keep_their_slots() {
        let mut m = SeqMap::new();
        let mut reference = BTreeMap::new();
        // Three and a half chunks, every seventh key out of order.
        for i in 0..(3 * CHUNK as u64 + CHUNK as u64 / 2) {
            let k = if i % 7 == 6 { i / 2 * 4 + 1 } else { i * 4 };
            m.insert(k, i);
            reference.insert(k, i);
        }
        assert_eq!(m.len(), reference.len());
        for (&k, v) in &reference {
            assert_eq!(m.get(k), Some(v), "key {k}");
        }
        assert!(m.iter().map(|(k, &v)| (k, v)).eq(reference.iter().map(|(&k, &v)| (k, v))));
        // A clone holds tight chunks and still grows.
        let mut c = m.clone();
        c.insert(u64::MAX, 7);
        assert_eq!((c.get(u64::MAX), c.len()), (Some(&7), m.len() + 1));
    }
}
