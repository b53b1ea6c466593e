//! The event queue: what happens next, in a deterministic order.
//!
//! Semantics first:
//! - Events pop in order of `(time, sequence)`. The sequence is a counter
//!   bumped at every `schedule`, so two events at the same instant pop in the
//!   order they were scheduled (FIFO), never by pointer or hash order.
//! - `schedule` returns a [`TimerId`]. `cancel(id)` withdraws the event in
//!   O(1) (the heap entry is skipped lazily when it surfaces). Cancelling an
//!   event that already fired or was already cancelled is a no-op that
//!   returns `false`, so callers need not track whether a timer is live.
//! - Time never goes backwards: scheduling before the last popped time is
//!   clamped to that time (the event fires "now", after those already due).
//!
//! Performance: payloads live in a slab reused through a free list, and the
//! heap holds small `Copy` keys, so once the queue has reached its working
//! size, `schedule`/`pop`/`cancel` allocate nothing.

use crate::time::SimTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A handle to a scheduled event, for cancelling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerId {
    slot: u32,
    generation: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    time: SimTime,
    seq: u64,
    slot: u32,
    generation: u32,
}

#[derive(Debug)]
struct Slot<E> {
    generation: u32,
    payload: Option<E>,
}

/// A min-heap of events on `(time, insertion sequence)` with O(1) cancel.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: BinaryHeap<Reverse<Key>>,
    slots: Vec<Slot<E>>,
    free: Vec<u32>,
    next_seq: u64,
    now: SimTime,
    live: usize,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        Self::with_capacity(64)
    }

    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            heap: BinaryHeap::with_capacity(n),
            slots: Vec::with_capacity(n),
            free: Vec::with_capacity(n),
            next_seq: 0,
            now: SimTime::ZERO,
            live: 0,
        }
    }

    /// The time of the last popped event (the queue's notion of "now").
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Number of scheduled, not cancelled, not yet popped events.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Schedules `payload` at `time` (clamped to `now` if earlier).
    pub fn schedule(&mut self, time: SimTime, payload: E) -> TimerId {
        let time = time.max(self.now);
        let slot = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize].payload = Some(payload);
                i
            }
            None => {
                let i = u32::try_from(self.slots.len()).expect("more than 2^32 pending events");
                self.slots.push(Slot { generation: 0, payload: Some(payload) });
                // The free list never holds more than every slot: grow it
                // with the slab so that `pop`/`cancel` never allocate.
                if self.free.capacity() < self.slots.capacity() {
                    self.free.reserve_exact(self.slots.capacity() - self.free.len());
                }
                i
            }
        };
        let generation = self.slots[slot as usize].generation;
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Reverse(Key { time, seq, slot, generation }));
        self.live += 1;
        TimerId { slot, generation }
    }

    /// Withdraws a scheduled event. Returns whether it was still pending.
    pub fn cancel(&mut self, id: TimerId) -> bool {
        match self.slots.get_mut(id.slot as usize) {
            Some(s) if s.generation == id.generation && s.payload.is_some() => {
                s.payload = None;
                s.generation = s.generation.wrapping_add(1);
                self.free.push(id.slot);
                self.live -= 1;
                true
            }
            _ => false,
        }
    }

    /// Whether `id` is still pending.
    pub fn is_pending(&self, id: TimerId) -> bool {
        self.slots
            .get(id.slot as usize)
            .is_some_and(|s| s.generation == id.generation && s.payload.is_some())
    }

    /// Time of the next live event, discarding cancelled entries on top.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.skip_cancelled();
        self.heap.peek().map(|Reverse(k)| k.time)
    }

    /// Pops the next live event and advances `now` to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.skip_cancelled();
        let Reverse(key) = self.heap.pop()?;
        let slot = &mut self.slots[key.slot as usize];
        let payload = slot.payload.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(key.slot);
        self.live -= 1;
        self.now = key.time;
        Some((key.time, payload))
    }

    /// Moves `now` forward to `t` without popping (used when a run stops at a
    /// time with no event). Never moves backwards.
    pub fn advance_to(&mut self, t: SimTime) {
        self.now = self.now.max(t);
    }

    fn skip_cancelled(&mut self) {
        while let Some(Reverse(k)) = self.heap.peek() {
            let s = &self.slots[k.slot as usize];
            if s.generation == k.generation && s.payload.is_some() {
                break;
            }
            self.heap.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(us: u64) -> SimTime {
        SimTime::from_micros(us)
    }

    #[test]
    fn pops_in_time_order_and_ties_fifo() {
        let mut q = EventQueue::new();
        q.schedule(t(5), "c");
        q.schedule(t(1), "a");
        q.schedule(t(5), "d");
        q.schedule(t(1), "b");
        let order: Vec<_> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
        assert_eq!(q.now(), t(5));
    }

    #[test]
    fn cancel_withdraws_once_and_slots_are_reused_safely() {
        let mut q = EventQueue::new();
        let a = q.schedule(t(1), 1);
        let b = q.schedule(t(2), 2);
        assert!(q.cancel(a));
        assert!(!q.cancel(a), "second cancel is a no-op");
        assert_eq!(q.len(), 1);
        // The freed slot is reused; the stale id must not cancel the new event.
        let c = q.schedule(t(3), 3);
        assert!(!q.cancel(a));
        assert!(q.is_pending(c));
        assert_eq!(q.pop(), Some((t(2), 2)));
        assert!(!q.cancel(b), "fired events cannot be cancelled");
        assert_eq!(q.pop(), Some((t(3), 3)));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn scheduling_in_the_past_is_clamped_to_now() {
        let mut q = EventQueue::new();
        q.schedule(t(10), "x");
        q.pop();
        q.schedule(t(3), "late");
        assert_eq!(q.pop(), Some((t(10), "late")));
    }

    #[test]
    fn peek_skips_cancelled() {
        let mut q = EventQueue::new();
        let a = q.schedule(t(1), ());
        q.schedule(t(7), ());
        q.cancel(a);
        assert_eq!(q.peek_time(), Some(t(7)));
    }
}
