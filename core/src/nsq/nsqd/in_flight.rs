//! A channel's in-flight and deferred sets (nsqd's `inFlightMessages` map
//! plus `inFlightPQ`, and `deferredMessages` plus `deferredPQ`).
//!
//! # Semantics
//! Both are "a map by message id plus a min-heap by time": lookup by id for
//! FIN/REQ/TOUCH, and the earliest time for the expiry scan. An entry is
//! due when its time is `<= now` (`PeekAndShift(now)` pops while
//! `pri <= now`). Adding an id already present fails ("ID already in
//! flight" / "ID already deferred").
//!
//! # Determinism
//! Go's heap breaks ties between equal times arbitrarily; here entries with
//! equal times come out in insertion order (a sequence number breaks ties).
//! Lookup by id is a hash map with a fixed (unseeded) hash, used for lookup
//! only: everything that lists entries sorts them by (time, sequence
//! number), which is unique, so nothing observable depends on hashing.
//!
//! # Cost
//! The order by time is a binary heap with lazy deletion: FIN, REQ and
//! TOUCH only touch the map, and the heap's stale entries are skipped when
//! they reach the top (the top is always live) or swept in one pass when
//! they outnumber the live ones, so every operation is O(log n) amortised
//! and a FIN does no tree rebalancing of a second index. Once both reach
//! their working size nothing allocates (the sweep rebuilds the heap in
//! its own buffer).
//!
//! [`TimedSet`] is that structure once (nsqd's own TODO: "these can be DRYd
//! up"); [`InFlightSet`] and [`DeferredSet`] are its two uses.

use crate::nsq::message::{InFlight, Message, MessageId};
use crate::time::SimTime;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// A fixed multiplicative hash of a message id (no random seed: the same
/// run hashes the same way, though nothing observable depends on it).
#[derive(Clone, Copy, Debug, Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        let h = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }
}

type ById<T> = HashMap<MessageId, (SimTime, u64, T), BuildHasherDefault<IdHasher>>;

/// Values keyed by message id, ordered by a due time: O(log n) insert,
/// remove, reschedule and next-due (amortised).
#[derive(Clone, Debug)]
pub struct TimedSet<T> {
    by_id: ById<T>,
    /// `(time, seq, id)`, earliest first; an entry is live iff `by_id`
    /// holds `id` with this `seq`. The top is always live.
    by_time: BinaryHeap<Reverse<(SimTime, u64, MessageId)>>,
    next_seq: u64,
}

impl<T> Default for TimedSet<T> {
    fn default() -> Self {
        TimedSet {
            by_id: ById::default(),
            by_time: BinaryHeap::new(),
            next_seq: 0,
        }
    }
}

impl<T> TimedSet<T> {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        self.by_id.len()
    }
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
    pub fn contains(&self, id: MessageId) -> bool {
        self.by_id.contains_key(&id)
    }
    pub fn get(&self, id: MessageId) -> Option<&T> {
        self.by_id.get(&id).map(|(_, _, v)| v)
    }
    pub fn get_mut(&mut self, id: MessageId) -> Option<&mut T> {
        self.by_id.get_mut(&id).map(|(_, _, v)| v)
    }
    /// The due time of `id`.
    pub fn due(&self, id: MessageId) -> Option<SimTime> {
        self.by_id.get(&id).map(|(t, _, _)| *t)
    }

    fn live(&self, e: &(SimTime, u64, MessageId)) -> bool {
        self.by_id.get(&e.2).is_some_and(|x| x.1 == e.1)
    }

    /// Restores "the top is live", and sweeps the heap when stale entries
    /// outnumber live ones.
    fn settle(&mut self) {
        if self.by_time.len() > 2 * self.by_id.len() + 32 {
            let mut live = std::mem::take(&mut self.by_time).into_vec();
            live.clear();
            live.extend(self.by_id.iter().map(|(&id, &(at, seq, _))| Reverse((at, seq, id))));
            self.by_time = BinaryHeap::from(live);
            return;
        }
        while let Some(Reverse(top)) = self.by_time.peek() {
            if self.live(top) {
                break;
            }
            self.by_time.pop();
        }
    }

    /// Add `value` due at `at`; an id already present is refused and the
    /// value handed back.
    pub fn insert(&mut self, id: MessageId, at: SimTime, value: T) -> Result<(), T> {
        if self.by_id.contains_key(&id) {
            return Err(value);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_time.push(Reverse((at, seq, id)));
        self.by_id.insert(id, (at, seq, value));
        Ok(())
    }

    /// Remove `id`, returning its due time and value.
    pub fn remove(&mut self, id: MessageId) -> Option<(SimTime, T)> {
        let (at, _, v) = self.by_id.remove(&id)?;
        self.settle();
        Some((at, v))
    }

    /// Move `id` to a new due time (it goes behind others with that time).
    pub fn reschedule(&mut self, id: MessageId, at: SimTime) -> bool {
        let seq = self.next_seq;
        let Some(entry) = self.by_id.get_mut(&id) else {
            return false;
        };
        self.next_seq += 1;
        entry.0 = at;
        entry.1 = seq;
        self.by_time.push(Reverse((at, seq, id)));
        self.settle();
        true
    }

    /// The earliest due time (what the world's timer waits for).
    pub fn next_due(&self) -> Option<SimTime> {
        self.by_time.peek().map(|Reverse((t, _, _))| *t)
    }

    /// Pop the earliest entry if it is due at `now` (`PeekAndShift`).
    pub fn pop_due(&mut self, now: SimTime) -> Option<(MessageId, SimTime, T)> {
        let &Reverse((at, _, id)) = self.by_time.peek()?;
        if at > now {
            return None;
        }
        self.remove(id).map(|(at, v)| (id, at, v))
    }

    /// The live entries' ids in due order.
    fn order(&self) -> Vec<(SimTime, u64, MessageId)> {
        let mut v: Vec<_> = self.by_id.iter().map(|(&id, &(at, seq, _))| (at, seq, id)).collect();
        crate::cold_sort::sort(&mut v);
        v
    }

    /// Remove everything, in due order.
    pub fn drain(&mut self) -> Vec<(MessageId, SimTime, T)> {
        let order = self.order();
        self.by_time.clear();
        let mut by_id = std::mem::take(&mut self.by_id);
        order
            .into_iter()
            .filter_map(|(at, _, id)| by_id.remove(&id).map(|(_, _, v)| (id, at, v)))
            .collect()
    }

    /// Entries in due order.
    pub fn iter(&self) -> impl Iterator<Item = (MessageId, SimTime, &T)> {
        self.order()
            .into_iter()
            .filter_map(|(at, _, id)| self.by_id.get(&id).map(|(_, _, v)| (id, at, v)))
    }
}

/// Messages in flight, keyed by id, ordered by deadline.
pub type InFlightSet = TimedSet<InFlight>;
/// Deferred messages (REQ with delay, DPUB), keyed by id, ordered by due time.
pub type DeferredSet = TimedSet<Message>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_due_ties_and_reschedule() {
        let mut s: TimedSet<char> = TimedSet::new();
        let t = SimTime::from_micros;
        assert_eq!(s.next_due(), None);
        s.insert(1, t(10), 'a').unwrap();
        s.insert(2, t(5), 'b').unwrap();
        s.insert(3, t(5), 'c').unwrap();
        assert_eq!(s.insert(3, t(1), 'z'), Err('z'));
        assert_eq!(s.next_due(), Some(t(5)));
        assert!(s.reschedule(2, t(20)));
        assert!(!s.reschedule(9, t(20)));
        assert_eq!(s.pop_due(t(4)), None);
        assert_eq!(s.pop_due(t(10)), Some((3, t(5), 'c')));
        assert_eq!(s.pop_due(t(10)), Some((1, t(10), 'a')));
        assert_eq!(s.pop_due(t(10)), None);
        assert_eq!(s.due(2), Some(t(20)));
        assert_eq!(s.remove(2), Some((t(20), 'b')));
        assert!(s.is_empty());
        s.insert(4, t(2), 'd').unwrap();
        s.insert(5, t(1), 'e').unwrap();
        let ids: Vec<_> = s.drain().into_iter().map(|(id, _, _)| id).collect();
        assert_eq!(ids, [5, 4]);
        assert_eq!(s.len(), 0);
    }

    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        Insert(u8, u8),
        Remove(u8),
        Reschedule(u8, u8),
        PopDue(u8),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (any::<u8>(), any::<u8>()).prop_map(|(i, t)| Op::Insert(i % 32, t)),
            any::<u8>().prop_map(|i| Op::Remove(i % 32)),
            (any::<u8>(), any::<u8>()).prop_map(|(i, t)| Op::Reschedule(i % 32, t)),
            any::<u8>().prop_map(Op::PopDue),
        ]
    }

    proptest! {
        /// Against a naive model (a list kept in (time, insertion) order):
        /// the same answers to every operation, the same next due time and
        /// the same order, through any mix of removals and reschedules
        /// (the lazy heap's stale entries never show).
        #[test]
        fn agrees_with_a_sorted_list(ops in prop::collection::vec(op(), 0..400)) {
            let t = |x: u8| SimTime::from_micros(u64::from(x));
            let mut s: TimedSet<u8> = TimedSet::new();
            // (time, seq, id, value)
            let mut m: Vec<(SimTime, u64, u64, u8)> = Vec::new();
            let mut seq = 0u64;
            for o in ops {
                match o {
                    Op::Insert(id, at) => {
                        let exists = m.iter().any(|e| e.2 == u64::from(id));
                        prop_assert_eq!(s.insert(u64::from(id), t(at), id).is_err(), exists);
                        if !exists { m.push((t(at), seq, u64::from(id), id)); seq += 1; }
                    }
                    Op::Remove(id) => {
                        let pos = m.iter().position(|e| e.2 == u64::from(id));
                        let want = pos.map(|p| { let e = m.remove(p); (e.0, e.3) });
                        prop_assert_eq!(s.remove(u64::from(id)), want);
                    }
                    Op::Reschedule(id, at) => {
                        let pos = m.iter().position(|e| e.2 == u64::from(id));
                        prop_assert_eq!(s.reschedule(u64::from(id), t(at)), pos.is_some());
                        if let Some(p) = pos { m[p].0 = t(at); m[p].1 = seq; seq += 1; }
                    }
                    Op::PopDue(now) => {
                        m.sort();
                        let want = match m.first() {
                            Some(e) if e.0 <= t(now) => { let e = m.remove(0); Some((e.2, e.0, e.3)) }
                            _ => None,
                        };
                        prop_assert_eq!(s.pop_due(t(now)), want);
                    }
                }
                m.sort();
                prop_assert_eq!(s.next_due(), m.first().map(|e| e.0));
                prop_assert_eq!(s.len(), m.len());
                let order: Vec<u64> = s.iter().map(|(id, _, _)| id).collect();
                let want: Vec<u64> = m.iter().map(|e| e.2).collect();
                prop_assert_eq!(order, want);
                prop_assert!(s.by_time.len() <= 2 * s.by_id.len() + 33, "stale entries are swept");
            }
        }
    }
}
