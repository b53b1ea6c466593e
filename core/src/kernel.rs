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

/// A handle to a scheduled event, for cancelling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerId {
    slot: u32,
    generation: u32,
}

/// A heap entry, ordered by `(time, seq)`, compared as one `u128` (time in
/// the high half): a branch-free wide compare. Kept as two `u64`s so an
/// entry is 24 bytes, not 32 (`u128` is 16-aligned). `seq` is unique, so the
/// order is total.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key {
    time: u64,
    seq: u64,
    slot: u32,
    generation: u32,
}

impl Key {
    #[inline(always)]
    fn order(&self) -> u128 {
        (u128::from(self.time) << 64) | u128::from(self.seq)
    }
    fn time(&self) -> SimTime {
        SimTime::from_micros(self.time)
    }
}

/// A binary min-heap of [`Key`]s (smallest `order` at index 0). Hand-rolled
/// rather than `BinaryHeap<Reverse<_>>` for speed: `pop` moves the hole at
/// the root down to a leaf choosing the smaller child without a branch,
/// then sifts the last entry up from there (Floyd's method; few
/// comparisons, few mispredicted branches).
#[derive(Debug)]
struct Heap {
    v: Vec<Key>,
}

impl Heap {
    fn with_capacity(n: usize) -> Self {
        Heap { v: Vec::with_capacity(n) }
    }

    #[inline]
    fn peek(&self) -> Option<&Key> {
        self.v.first()
    }

    fn push(&mut self, k: Key) {
        let mut i = self.v.len();
        self.v.push(k);
        while i > 0 {
            let parent = (i - 1) / 2;
            if self.v[parent].order() <= k.order() {
                break;
            }
            self.v[i] = self.v[parent];
            i = parent;
        }
        self.v[i] = k;
    }

    fn pop(&mut self) -> Option<Key> {
        let last = self.v.pop()?;
        let n = self.v.len();
        if n == 0 {
            return Some(last);
        }
        let top = self.v[0];
        let mut hole = 0;
        let mut child = 1;
        while child + 1 < n {
            child += usize::from(self.v[child + 1].order() < self.v[child].order());
            self.v[hole] = self.v[child];
            hole = child;
            child = 2 * hole + 1;
        }
        if child < n {
            self.v[hole] = self.v[child];
            hole = child;
        }
        while hole > 0 {
            let parent = (hole - 1) / 2;
            if self.v[parent].order() <= last.order() {
                break;
            }
            self.v[hole] = self.v[parent];
            hole = parent;
        }
        self.v[hole] = last;
        Some(top)
    }
}

#[derive(Debug)]
struct Slot<E> {
    generation: u32,
    payload: Option<E>,
}

/// A min-heap of events on `(time, insertion sequence)` with O(1) cancel.
#[derive(Debug)]
pub struct EventQueue<E> {
    heap: Heap,
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
            heap: Heap::with_capacity(n),
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
        self.heap.push(Key { time: time.as_micros(), seq, slot, generation });
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
        self.heap.peek().map(Key::time)
    }

    /// Pops the next live event and advances `now` to its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.skip_cancelled();
        let key = self.heap.pop()?;
        let slot = &mut self.slots[key.slot as usize];
        let payload = slot.payload.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(key.slot);
        self.live -= 1;
        self.now = key.time();
        Some((self.now, payload))
    }

    /// Moves `now` forward to `t` without popping (used when a run stops at a
    /// time with no event). Never moves backwards.
    pub fn advance_to(&mut self, t: SimTime) {
        self.now = self.now.max(t);
    }

    fn skip_cancelled(&mut self) {
        while let Some(k) = self.heap.peek() {
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
    fn pops_match_a_sorted_oracle_under_random_schedules_and_cancels() {
        // xorshift: deterministic pseudo-random times, many ties.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        let mut q = EventQueue::new();
        let mut oracle: Vec<(SimTime, u64, TimerId)> = Vec::new();
        let mut seq = 0u64;
        for round in 0..20_000u64 {
            match rnd(10) {
                0..=4 => {
                    let at = t(q.now().as_micros() + rnd(50)).max(q.now());
                    let id = q.schedule(at, seq);
                    oracle.push((at, seq, id));
                    seq += 1;
                }
                5 if !oracle.is_empty() => {
                    let i = rnd(oracle.len() as u64) as usize;
                    let (_, _, id) = oracle.remove(i);
                    assert!(q.cancel(id));
                }
                _ => {
                    oracle.sort_by_key(|&(at, s, _)| (at, s));
                    let want = (!oracle.is_empty()).then(|| oracle.remove(0));
                    assert_eq!(q.peek_time(), want.map(|w| w.0), "round {round}");
                    assert_eq!(q.pop(), want.map(|(at, s, _)| (at, s)), "round {round}");
                }
            }
            assert_eq!(q.len(), oracle.len());
        }
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
