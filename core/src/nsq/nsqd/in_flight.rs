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
//! equal times come out in insertion order. Everything is kept in
//! `BTreeMap`/`BTreeSet`, so iteration never depends on hashing.
//!
//! [`TimedSet`] is that structure once (nsqd's own TODO: "these can be DRYd
//! up"); [`InFlightSet`] and [`DeferredSet`] are its two uses.

use crate::nsq::message::{InFlight, Message, MessageId};
use crate::time::SimTime;
use std::collections::{BTreeMap, BTreeSet};

/// Values keyed by message id, ordered by a due time: O(log n) insert,
/// remove, reschedule and next-due.
#[derive(Clone, Debug)]
pub struct TimedSet<T> {
    by_id: BTreeMap<MessageId, (SimTime, u64, T)>,
    by_time: BTreeSet<(SimTime, u64, MessageId)>,
    next_seq: u64,
}

impl<T> Default for TimedSet<T> {
    fn default() -> Self {
        TimedSet {
            by_id: BTreeMap::new(),
            by_time: BTreeSet::new(),
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

    /// Add `value` due at `at`; an id already present is refused and the
    /// value handed back.
    pub fn insert(&mut self, id: MessageId, at: SimTime, value: T) -> Result<(), T> {
        if self.by_id.contains_key(&id) {
            return Err(value);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_time.insert((at, seq, id));
        self.by_id.insert(id, (at, seq, value));
        Ok(())
    }

    /// Remove `id`, returning its due time and value.
    pub fn remove(&mut self, id: MessageId) -> Option<(SimTime, T)> {
        let (at, seq, v) = self.by_id.remove(&id)?;
        self.by_time.remove(&(at, seq, id));
        Some((at, v))
    }

    /// Move `id` to a new due time (it goes behind others with that time).
    pub fn reschedule(&mut self, id: MessageId, at: SimTime) -> bool {
        let next_seq = &mut self.next_seq;
        let Some(entry) = self.by_id.get_mut(&id) else {
            return false;
        };
        self.by_time.remove(&(entry.0, entry.1, id));
        entry.0 = at;
        entry.1 = *next_seq;
        *next_seq += 1;
        self.by_time.insert((at, entry.1, id));
        true
    }

    /// The earliest due time (what the world's timer waits for).
    pub fn next_due(&self) -> Option<SimTime> {
        self.by_time.first().map(|(t, _, _)| *t)
    }

    /// Pop the earliest entry if it is due at `now` (`PeekAndShift`).
    pub fn pop_due(&mut self, now: SimTime) -> Option<(MessageId, SimTime, T)> {
        let &(at, _, id) = self.by_time.first()?;
        if at > now {
            return None;
        }
        self.remove(id).map(|(at, v)| (id, at, v))
    }

    /// Remove everything, in due order.
    pub fn drain(&mut self) -> Vec<(MessageId, SimTime, T)> {
        let order: Vec<_> = std::mem::take(&mut self.by_time).into_iter().collect();
        let mut by_id = std::mem::take(&mut self.by_id);
        order
            .into_iter()
            .filter_map(|(at, _, id)| by_id.remove(&id).map(|(_, _, v)| (id, at, v)))
            .collect()
    }

    /// Entries in due order.
    pub fn iter(&self) -> impl Iterator<Item = (MessageId, SimTime, &T)> {
        self.by_time
            .iter()
            .filter_map(|&(at, _, id)| self.by_id.get(&id).map(|(_, _, v)| (id, at, v)))
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
}
