//! The event queue: what happens next, in a deterministic order.
//!
//! Semantics first:
//! - Events pop in order of `(time, sequence)`. The sequence is a counter
//!   bumped at every `schedule`, so two events at the same instant pop in the
//!   order they were scheduled (FIFO), never by pointer or hash order.
//! - `schedule` returns a [`TimerId`]. `cancel(id)` withdraws the event in
//!   O(1) (its entry is skipped lazily when it surfaces). Cancelling an
//!   event that already fired or was already cancelled is a no-op that
//!   returns `false`, so callers need not track whether a timer is live; an
//!   id never cancels another event, even after its slot is reused.
//! - Time never goes backwards: scheduling before `now` (the last popped
//!   time, or a later time given to `advance_to`) is clamped to `now` (the
//!   event fires "now", after those already due). Callers must not
//!   `advance_to` past a pending event (the world never does: it advances
//!   only once every event up to that time has popped); that event would
//!   then pop at its own, earlier, time.
//! - `pop_until(limit)` pops the next event only if it is due at or before
//!   `limit` (`peek_time` and `pop` in one pass); `pop()` is
//!   `pop_until(SimTime::MAX)`.
//!
//! Performance. The engine keeps about one pending event per goroutine
//! (ten or so) and pops and schedules one per step, so the small case is
//! the one made cheap, without giving up O(log n) for large worlds:
//! - Each entry names its slot in a table that says which sequence
//!   occupies each slot: cancel is O(1), and a stale id or entry is
//!   recognised by its sequence, which is never reused (sequences stay
//!   below 2^63). Free slots form a list threaded through that table.
//! - Up to 64 entries live in a *run*: an array sorted by `(time, seq)`
//!   whose front is the next event, payloads (`E: Copy`) inline. `pop`
//!   takes the front (O(1)); `schedule` inserts after every entry at the
//!   same time, shifting the entries after its place right by one, or,
//!   when the run has spent room at its front and the place is in the
//!   front half, the entries before it left (a few moves for a few events;
//!   an event at `now` lands just after those already due now).
//! - Beyond that, entries go to a binary min-heap (O(log n); payloads in a
//!   per-slot table, so heap entries are 24 bytes), and `pop` takes the
//!   smaller of the run's front and the heap's top. An entry that would pop
//!   before the heap's top (an event at `now`, say) still goes to the run
//!   if it has room: the run is then the heap's fast lane. When the heap
//!   and the run are down to 32 entries, the heap's entries move back
//!   into the run (a merge), so a queue that shrank after a burst is fast
//!   again.
//! - Cancelled entries wait in place until they surface, but a cancel that
//!   leaves more of them than live events (and more than 64) sweeps them
//!   out (amortised O(1) per cancel; that one call is O(n)). Entries
//!   therefore stay within about the peak of live events plus
//!   max(64, that peak). While none are waiting, `pop` skips the liveness
//!   check.
//! - Once the queue has reached its working size, `schedule`, `pop`,
//!   `pop_until`, `peek_time` and `cancel` allocate nothing.
//!
//! `benches/kernel.rs` measures it on the classic hold model.

use crate::time::SimTime;
use std::cell::Cell;

/// A handle to a scheduled event, for cancelling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerId {
    seq: u64,
    slot: u32,
}

/// A queued event, ordered by `(time, seq)` (compared as one `u128`, time in
/// the high half: a branch-free wide compare). `seq` is unique, so the order
/// is total; it also identifies the event in its slot.
#[derive(Clone, Copy, Debug)]
struct Entry<E> {
    time: u64,
    seq: u64,
    slot: u32,
    payload: E,
}

impl<E> Entry<E> {
    #[inline(always)]
    fn key(&self) -> u128 {
        (u128::from(self.time) << 64) | u128::from(self.seq)
    }
}

/// The run's capacity (beyond it, entries go to the heap). 64, not 32: the
/// NSQ reference model keeps 33 to 64 events pending, and runs 9 % faster
/// with them all in the run (`benches/nsq.rs`: 0.90 -> 0.98 M FINs/s; 128
/// gains nothing more).
const RUN_MAX: usize = 64;
/// Once the heap and the run hold this many entries or fewer, the heap's
/// entries move back into the run.
const UNHEAP_AT: usize = RUN_MAX / 2;
/// Cancelled entries are swept out when there are more of them than this
/// and than live events.
const SWEEP_MIN: usize = 64;
/// No free slot.
const NIL: u32 = u32::MAX;
/// Tag of a free slot's word in `slots` (the low half is the next free
/// slot). Sequences stay below it.
const FREE: u64 = 1 << 63;

/// A queue of events on `(time, insertion sequence)` with O(1) cancel.
#[derive(Clone, Debug)]
pub struct EventQueue<E> {
    /// The run, `buf[head..tail]`, sorted by `(time, seq)`. The rest of
    /// `buf` holds spent copies (it is filled once, so that entries are
    /// written in place); `tail - head <= RUN_MAX`.
    buf: Vec<Entry<E>>,
    head: usize,
    tail: usize,
    /// Entries beyond the run: a binary min-heap on `(time, seq)`. Their
    /// payloads wait in `payloads` (24-byte entries rather than 32 for an
    /// 8-byte payload: a large heap is walked faster).
    heap: Vec<Entry<()>>,
    /// For each slot, the sequence of its pending event, or `FREE | next`.
    slots: Vec<u64>,
    /// For each slot, the payload of its event if that is in the heap.
    payloads: Vec<E>,
    /// First free slot, or `NIL`.
    free: u32,
    next_seq: u64,
    now: u64,
    /// Cancelled entries still in the run or the heap.
    dead: usize,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: Copy> EventQueue<E> {
    pub fn new() -> Self {
        Self::with_capacity(64)
    }

    pub fn with_capacity(n: usize) -> Self {
        EventQueue {
            buf: Vec::with_capacity(2 * RUN_MAX),
            head: 0,
            tail: 0,
            heap: Vec::with_capacity(n),
            slots: Vec::with_capacity(n),
            payloads: Vec::with_capacity(n),
            free: NIL,
            next_seq: 0,
            now: 0,
            dead: 0,
        }
    }

    /// The queue's notion of "now": the time of the last popped event, or
    /// a later time given to [`EventQueue::advance_to`].
    pub fn now(&self) -> SimTime {
        SimTime::from_micros(self.now)
    }

    /// Bytes the queue takes on the heap (for memory budgets).
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity() * std::mem::size_of::<Entry<E>>()
            + self.heap.capacity() * std::mem::size_of::<Entry<()>>()
            + self.slots.capacity() * 8
            + self.payloads.capacity() * std::mem::size_of::<E>()
    }

    /// Number of scheduled, not cancelled, not yet popped events.
    pub fn len(&self) -> usize {
        self.tail - self.head + self.heap.len() - self.dead
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Schedules `payload` at `time` (clamped to `now` if earlier).
    #[inline]
    pub fn schedule(&mut self, time: SimTime, payload: E) -> TimerId {
        let (head, tail) = (self.head, self.tail);
        if self.heap.is_empty() && self.free != NIL && tail - head < RUN_MAX && tail < self.buf.len() {
            self.schedule_run(time, payload)
        } else {
            self.schedule_slow(time, payload)
        }
    }

    /// `schedule` in the common case: no heap, a free slot, room in the run.
    #[inline(always)]
    fn schedule_run(&mut self, time: SimTime, payload: E) -> TimerId {
        let (head, tail) = (self.head, self.tail);
        let seq = self.next_seq;
        self.next_seq = seq + 1;
        let slot = self.free;
        let s = &mut self.slots[slot as usize];
        self.free = *s as u32;
        *s = seq;
        let time = time.as_micros().max(self.now);
        self.insert_run(Entry { time, seq, slot, payload }, head, tail);
        TimerId { seq, slot }
    }

    /// Inserts into the run (after every entry at the same time: its
    /// sequence is the largest), moving the entries on the nearer side of
    /// its place by one. Needs `tail < buf.len()` (every caller makes sure
    /// of it), and uses the spent `buf[head - 1]` only when `head > 0`.
    #[inline(always)]
    fn insert_run(&mut self, e: Entry<E>, head: usize, tail: usize) {
        let t = e.time;
        if head > 0 {
            let mid = (head + tail) / 2;
            if mid < tail && t < self.buf[mid].time {
                // Its place is before `mid`: the entries before it move
                // left, into the spent `buf[head - 1]`.
                let w = Cell::from_mut(&mut self.buf[head - 1..=mid]).as_slice_of_cells();
                for pair in w.windows(2) {
                    let x = pair[1].get();
                    if x.time > t {
                        pair[0].set(e);
                        break;
                    }
                    pair[0].set(x);
                }
                self.head = head - 1;
                return;
            }
        }
        // The entries after its place move right.
        let w = Cell::from_mut(&mut self.buf[head..=tail]).as_slice_of_cells();
        let mut placed = false;
        for pair in w.windows(2).rev() {
            let x = pair[0].get();
            if x.time <= t {
                pair[1].set(e);
                placed = true;
                break;
            }
            pair[1].set(x);
        }
        if !placed {
            w[0].set(e);
        }
        self.tail = tail + 1;
    }

    /// `schedule` in the other cases: no free slot, a heap, a full run or
    /// the run at the end of `buf`.
    #[inline(never)]
    fn schedule_slow(&mut self, time: SimTime, payload: E) -> TimerId {
        let seq = self.next_seq;
        self.next_seq = seq + 1;
        let slot = match self.slots.get_mut(self.free as usize) {
            Some(s) => {
                let slot = self.free;
                self.free = *s as u32;
                *s = seq;
                slot
            }
            None => self.new_slot(seq, payload),
        };
        let time = time.as_micros().max(self.now);
        let e = Entry { time, seq, slot, payload };
        if self.tail - self.head == RUN_MAX && self.heap.is_empty() && self.dead >= RUN_MAX / 4 {
            // Cancelled entries (a timeout withdrawn at every turn, say)
            // crowd the run: drop them rather than start a heap.
            self.sweep();
        }
        // Into the run if it has room and the entry pops before the heap's
        // top (so the heap's fast lane stays short).
        if self.tail - self.head < RUN_MAX && self.heap.first().is_none_or(|top| e.key() < top.key()) {
            self.push_run(e);
        } else {
            self.payloads[slot as usize] = payload;
            heap_push(&mut self.heap, Entry { time, seq, slot, payload: () });
        }
        TimerId { seq, slot }
    }

    #[cold]
    #[inline(never)]
    fn new_slot(&mut self, seq: u64, payload: E) -> u32 {
        let slot = u32::try_from(self.slots.len()).ok().filter(|&i| i != NIL);
        let slot = slot.expect("fewer than 2^32 - 1 pending events");
        self.slots.push(seq);
        self.payloads.push(payload);
        slot
    }

    /// Inserts into a run with room, making room at the end of `buf` if
    /// needed.
    #[inline(never)]
    fn push_run(&mut self, e: Entry<E>) {
        if self.tail == self.buf.len() {
            if self.head > 0 {
                self.compact();
            } else {
                // First use: fill the buffer (within its capacity).
                let n = self.buf.capacity().max(2 * RUN_MAX);
                self.buf.resize(n, e);
            }
        }
        let (head, tail) = (self.head, self.tail);
        self.insert_run(e, head, tail);
    }

    /// Moves the run to the start of `buf`.
    fn compact(&mut self) {
        self.buf.copy_within(self.head..self.tail, 0);
        self.tail -= self.head;
        self.head = 0;
    }

    #[inline(always)]
    fn free_slot(&mut self, slot: u32) {
        self.slots[slot as usize] = FREE | u64::from(self.free);
        self.free = slot;
    }

    /// Withdraws a scheduled event. Returns whether it was still pending.
    pub fn cancel(&mut self, id: TimerId) -> bool {
        if !self.is_pending(id) {
            return false;
        }
        self.free_slot(id.slot);
        self.dead += 1;
        if self.dead > SWEEP_MIN && self.dead > self.len() {
            self.sweep();
        }
        true
    }

    /// Whether `id` is still pending.
    pub fn is_pending(&self, id: TimerId) -> bool {
        self.slots.get(id.slot as usize) == Some(&id.seq)
    }

    /// Time of the next live event, discarding cancelled entries on top.
    #[inline]
    pub fn peek_time(&mut self) -> Option<SimTime> {
        if self.heap.is_empty() && self.dead == 0 {
            return self.buf[self.head..self.tail].first().map(|e| SimTime::from_micros(e.time));
        }
        self.next().map(|(e, _)| SimTime::from_micros(e.time))
    }

    /// Pops the next live event and advances `now` to its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_until(SimTime::MAX)
    }

    /// Pops the next live event if its time is at or before `limit` (and
    /// advances `now` to that time); otherwise pops nothing and returns
    /// `None`. `pop_until(SimTime::MAX)` is `pop()`; `pop_until(t)` is
    /// `peek_time().is_some_and(|next| next <= t).then(|| pop())` in one pass.
    /// Always inlined: the world's run loop pops one event per step, and
    /// out of line the popped pair goes through memory.
    #[inline(always)]
    pub fn pop_until(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        if !self.heap.is_empty() {
            return self.pop_until_slow(limit);
        }
        // The common case: no heap, a live entry at the run's front.
        let head = self.head;
        if head >= self.tail {
            return None;
        }
        let e = self.buf[head];
        if self.dead != 0 && self.slots[e.slot as usize] != e.seq {
            return self.pop_until_slow(limit);
        }
        if e.time > limit.as_micros() {
            return None;
        }
        self.head = head + 1;
        self.free_slot(e.slot);
        self.now = e.time;
        Some((SimTime::from_micros(e.time), e.payload))
    }

    #[inline(never)]
    fn pop_until_slow(&mut self, limit: SimTime) -> Option<(SimTime, E)> {
        let (e, from_heap) = self.next()?;
        if e.time > limit.as_micros() {
            return None;
        }
        self.remove(from_heap);
        self.free_slot(e.slot);
        self.now = e.time;
        if from_heap && self.heap.len() + (self.tail - self.head) <= UNHEAP_AT {
            self.unheap();
        }
        Some((SimTime::from_micros(e.time), e.payload))
    }

    /// Moves every heap entry back into the run once few entries are left
    /// (a queue that shrank after a burst gets its fast paths back): merges
    /// the run and the heap in `(time, seq)` order, dropping cancelled
    /// entries on the way. At most `UNHEAP_AT` entries, at least
    /// `RUN_MAX - UNHEAP_AT` pops after the heap began: amortised O(1).
    #[cold]
    #[inline(never)]
    fn unheap(&mut self) {
        // The run filled `buf` (`2 * RUN_MAX` entries) before any entry
        // went to the heap; its upper half holds the run while merging.
        if self.buf.len() < 2 * RUN_MAX {
            return;
        }
        let n = self.tail - self.head;
        self.buf.copy_within(self.head..self.tail, RUN_MAX);
        let (mut i, end, mut out) = (RUN_MAX, RUN_MAX + n, 0);
        while i < end || !self.heap.is_empty() {
            let from_run = self.heap.first().is_none_or(|h| i < end && self.buf[i].key() < h.key());
            let e = if from_run {
                i += 1;
                self.buf[i - 1]
            } else {
                let e = self.with_payload(&self.heap[0]);
                heap_pop(&mut self.heap);
                e
            };
            if self.slots[e.slot as usize] == e.seq {
                self.buf[out] = e;
                out += 1;
            } else {
                self.dead -= 1;
            }
        }
        self.head = 0;
        self.tail = out;
    }

    /// Moves `now` forward to `t` without popping (used when a run stops at a
    /// time with no event). Never moves backwards.
    pub fn advance_to(&mut self, t: SimTime) {
        self.now = self.now.max(t.as_micros());
    }

    /// The next live entry and whether it is the heap's top, after removing
    /// cancelled entries in front of it.
    fn next(&mut self) -> Option<(Entry<E>, bool)> {
        loop {
            let run = self.buf[self.head..self.tail].first();
            let next = match (run, self.heap.first()) {
                (Some(r), Some(h)) if h.key() < r.key() => (self.with_payload(h), true),
                (Some(r), _) => (*r, false),
                (None, Some(h)) => (self.with_payload(h), true),
                (None, None) => return None,
            };
            if self.dead == 0 || self.slots[next.0.slot as usize] == next.0.seq {
                return Some(next);
            }
            self.remove(next.1);
            self.dead -= 1;
        }
    }

    /// A heap entry with its payload.
    #[inline(always)]
    fn with_payload(&self, h: &Entry<()>) -> Entry<E> {
        Entry { time: h.time, seq: h.seq, slot: h.slot, payload: self.payloads[h.slot as usize] }
    }

    #[inline(always)]
    fn remove(&mut self, from_heap: bool) {
        if from_heap {
            heap_pop(&mut self.heap);
        } else {
            self.head += 1;
        }
    }

    /// Drops every cancelled entry (in place: no allocation).
    #[cold]
    fn sweep(&mut self) {
        let mut n = self.head;
        for i in self.head..self.tail {
            let e = self.buf[i];
            if self.slots[e.slot as usize] == e.seq {
                self.buf[n] = e;
                n += 1;
            }
        }
        self.tail = n;
        let slots = &self.slots;
        self.heap.retain(|e| slots[e.slot as usize] == e.seq);
        heapify(&mut self.heap);
        self.dead = 0;
    }
}

/// Pushes onto a binary min-heap.
#[inline(always)]
fn heap_push<E: Copy>(h: &mut Vec<Entry<E>>, e: Entry<E>) {
    let n = h.len();
    h.push(e);
    sift_up(h, n, e);
}

/// Puts `e` at `hole` or above it, moving larger ancestors down.
#[inline(always)]
fn sift_up<E: Copy>(s: &mut [Entry<E>], mut hole: usize, e: Entry<E>) {
    if hole >= s.len() {
        return;
    }
    let key = e.key();
    while hole > 0 {
        let parent = (hole - 1) / 2;
        let p = s[parent];
        if p.key() <= key {
            break;
        }
        s[hole] = p;
        hole = parent;
    }
    s[hole] = e;
}

/// Removes the top of a binary min-heap: moves the hole at the root down to
/// a leaf choosing the smaller child without a branch, then sifts the last
/// entry up from there (Floyd's method: few compares, few mispredictions).
fn heap_pop<E: Copy>(h: &mut Vec<Entry<E>>) {
    let Some(last) = h.pop() else { return };
    let s = h.as_mut_slice();
    let n = s.len();
    if n == 0 {
        return;
    }
    let mut hole = 0;
    loop {
        let c = 2 * hole + 1;
        if c + 1 >= n {
            if c < n {
                s[hole] = s[c];
                hole = c;
            }
            break;
        }
        let c = c + usize::from(s[c + 1].key() < s[c].key());
        s[hole] = s[c];
        hole = c;
    }
    sift_up(s, hole, last);
}

/// Restores the heap order of any array (bottom-up, O(n)).
fn heapify<E: Copy>(s: &mut [Entry<E>]) {
    let n = s.len();
    for start in (0..n / 2).rev() {
        let e = s[start];
        let mut hole = start;
        loop {
            let mut child = 2 * hole + 1;
            if child >= n {
                break;
            }
            if child + 1 < n && s[child + 1].key() < s[child].key() {
                child += 1;
            }
            if s[child].key() >= e.key() {
                break;
            }
            s[hole] = s[child];
            hole = child;
        }
        s[hole] = e;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(us: u64) -> SimTime {
        SimTime::from_micros(us)
    }

    /// xorshift64: deterministic pseudo-random numbers below `n`.
    struct Rnd(u64);

    impl Rnd {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    impl<E: Copy> EventQueue<E> {
        /// The internal invariants (tests only).
        fn check(&self) {
            assert!(self.head <= self.tail && self.tail <= self.buf.len(), "run within buf");
            assert!(self.tail - self.head <= RUN_MAX, "run at most RUN_MAX");
            let run = &self.buf[self.head..self.tail];
            assert!(run.windows(2).all(|w| w[0].key() < w[1].key()), "run sorted");
            for (i, e) in self.heap.iter().enumerate().skip(1) {
                assert!(self.heap[(i - 1) / 2].key() < e.key(), "heap ordered");
            }
            let dead = run.iter().filter(|e| self.slots[e.slot as usize] != e.seq).count()
                + self.heap.iter().filter(|e| self.slots[e.slot as usize] != e.seq).count();
            assert_eq!(dead, self.dead, "dead count");
            let mut free = 0;
            let mut f = self.free;
            while f != NIL {
                assert!(self.slots[f as usize] & FREE != 0, "free list holds free slots");
                f = self.slots[f as usize] as u32;
                free += 1;
            }
            assert_eq!(free + self.len(), self.slots.len(), "every slot is free or pending");
            assert_eq!(self.payloads.len(), self.slots.len(), "a payload per slot");
        }
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
        // After `advance_to`, too; and after events already due at `now`.
        q.schedule(t(12), "due");
        q.advance_to(t(12));
        q.schedule(t(0), "clamped");
        assert_eq!(q.pop(), Some((t(12), "due")));
        assert_eq!(q.pop(), Some((t(12), "clamped")));
    }

    #[test]
    fn pop_until_pops_only_what_is_due() {
        let mut q = EventQueue::new();
        q.schedule(t(5), 'a');
        q.schedule(t(7), 'b');
        assert_eq!(q.pop_until(t(4)), None);
        assert_eq!((q.len(), q.now()), (2, t(0)), "nothing popped, the clock unchanged");
        assert_eq!(q.pop_until(t(5)), Some((t(5), 'a')));
        assert_eq!(q.pop_until(t(6)), None);
        assert_eq!(q.pop_until(SimTime::MAX), Some((t(7), 'b')));
        assert_eq!(q.pop_until(SimTime::MAX), None);
    }

    #[test]
    fn a_queue_that_shrinks_after_a_burst_leaves_the_heap() {
        let mut q = EventQueue::new();
        let n = RUN_MAX as u64 + 8;
        let ids: Vec<_> = (0..n).map(|i| q.schedule(t(100 + (i * 7) % n), i)).collect();
        assert!(!q.heap.is_empty(), "RUN_MAX + 8 events overflow the run");
        // Cancel a few (in the heap and in the run), then pop down to a
        // handful: the rest move back into the run, still in order.
        for &i in &[3usize, 17, 38] {
            assert!(q.cancel(ids[i]));
        }
        let mut popped = Vec::new();
        while q.len() > 8 {
            popped.push(q.pop().unwrap());
        }
        assert!(q.heap.is_empty(), "back to the run");
        assert_eq!(q.dead, 0, "cancelled entries were dropped on the way");
        q.check();
        while let Some(p) = q.pop() {
            popped.push(p);
        }
        let mut want: Vec<(u64, u64)> =
            (0..n).filter(|i| ![3, 17, 38].contains(i)).map(|i| (100 + (i * 7) % n, i)).collect();
        want.sort();
        assert_eq!(popped, want.into_iter().map(|(at, i)| (t(at), i)).collect::<Vec<_>>());
    }

    #[test]
    fn peek_skips_cancelled() {
        let mut q = EventQueue::new();
        let a = q.schedule(t(1), ());
        q.schedule(t(7), ());
        q.cancel(a);
        assert_eq!(q.peek_time(), Some(t(7)));
    }

    /// A naive model: the pending events in a list, the next one found by a
    /// linear search on `(time, seq)`.
    #[derive(Default)]
    struct Model {
        /// (time, seq, id); the payload is the sequence.
        pending: Vec<(u64, u64, TimerId)>,
        /// Ids that fired or were cancelled.
        stale: Vec<TimerId>,
        now: u64,
        seq: u64,
    }

    impl Model {
        fn schedule(&mut self, q: &mut EventQueue<u64>, at: u64) {
            let id = q.schedule(t(at), self.seq);
            self.pending.push((at.max(self.now), self.seq, id));
            self.seq += 1;
        }
        fn next(&self) -> Option<usize> {
            (0..self.pending.len()).min_by_key(|&i| (self.pending[i].0, self.pending[i].1))
        }
        fn pop_until(&mut self, q: &mut EventQueue<u64>, limit: u64) {
            let want = self.next().filter(|&i| self.pending[i].0 <= limit).map(|i| self.pending.remove(i));
            let got = q.pop_until(t(limit));
            assert_eq!(got, want.map(|(at, seq, _)| (t(at), seq)));
            if let Some((at, _, id)) = want {
                self.now = at;
                self.stale.push(id);
                assert!(!q.is_pending(id));
            }
        }
        fn cancel(&mut self, q: &mut EventQueue<u64>, i: usize) {
            let (_, _, id) = self.pending.remove(i);
            assert!(q.is_pending(id));
            assert!(q.cancel(id));
            assert!(!q.is_pending(id));
            self.stale.push(id);
        }
        fn cancel_stale(&self, q: &mut EventQueue<u64>, i: usize) {
            let id = self.stale[i];
            assert!(!q.is_pending(id));
            assert!(!q.cancel(id), "a stale id cancels nothing");
        }
        fn check(&self, q: &mut EventQueue<u64>) {
            assert_eq!(q.len(), self.pending.len());
            assert_eq!(q.is_empty(), self.pending.is_empty());
            assert_eq!(q.now(), t(self.now));
            assert_eq!(q.peek_time(), self.next().map(|i| t(self.pending[i].0)));
            q.check();
        }
    }

    /// Random schedules (in the past, at `now`, ties, near and far),
    /// cancels (of pending and stale ids), pops, bounded pops and clock
    /// moves against the model, through sizes that grow past the run into
    /// the heap and shrink back to nothing, over and over.
    #[test]
    fn pops_match_a_sorted_oracle_under_random_schedules_and_cancels() {
        for seed in [0x2545_f491_4f6c_dd1d_u64, 7, 0x9e37_79b9_7f4a_7c15] {
            let mut r = Rnd(seed);
            let mut q = EventQueue::with_capacity(4);
            let mut m = Model::default();
            for round in 0..60_000u64 {
                // Target sizes sweep 0..=300 and back, so that the queue
                // is small, large and in between, several times over.
                let phase = round % 6_000;
                let target = if phase < 3_000 { phase / 10 } else { (6_000 - phase) / 10 } as usize;
                let grow = m.pending.len() < target;
                match r.below(20) {
                    0..=8 if grow || r.below(3) == 0 => {
                        let at = match r.below(6) {
                            0 => m.now.saturating_sub(r.below(20)),
                            1 => m.now,
                            2 | 3 => m.now + r.below(8),
                            4 => m.now + r.below(1_000),
                            _ => m.now + 1_000_000 + r.below(1_000),
                        };
                        m.schedule(&mut q, at);
                    }
                    9 | 10 if !m.pending.is_empty() => {
                        let i = r.below(m.pending.len() as u64) as usize;
                        m.cancel(&mut q, i);
                    }
                    11 if !m.stale.is_empty() => {
                        let i = r.below(m.stale.len() as u64) as usize;
                        m.cancel_stale(&mut q, i);
                    }
                    12 => m.pop_until(&mut q, m.now + r.below(30)),
                    13 => {
                        let at = m.now + r.below(10);
                        let next = m.next().map_or(u64::MAX, |i| m.pending[i].0);
                        // As the engine does: only up to the next event.
                        if at <= next {
                            q.advance_to(t(at));
                            m.now = at;
                        }
                    }
                    _ => m.pop_until(&mut q, u64::MAX),
                }
                if round % 7 == 0 || q.len() < 40 {
                    m.check(&mut q);
                }
            }
        }
    }

    /// A timeout scheduled and withdrawn at every turn (a `select` with
    /// `time.After`) does not make the queue grow: cancelled entries are
    /// swept out.
    #[test]
    fn many_cancels_do_not_grow_the_queue() {
        let mut q = EventQueue::new();
        let mut r = Rnd(3);
        for i in 0..5 {
            q.schedule(t(i), i);
        }
        for i in 0..100_000 {
            let far = q.schedule(t(q.now().as_micros() + 1_000_000 + r.below(1_000)), i);
            let (now, e) = q.pop().unwrap();
            q.schedule(now + crate::time::SimDuration::from_micros(1 + r.below(100)), e);
            assert!(q.cancel(far));
            let entries = q.tail - q.head + q.heap.len();
            assert!(entries <= q.len() + SWEEP_MIN + 1, "{entries} entries for {} events", q.len());
        }
        q.check();
    }

    /// Once the queue has reached its working size, it allocates nothing:
    /// a hold model with cancels, small and large, never grows a buffer.
    #[test]
    fn steady_state_allocates_nothing() {
        for n in [10u64, 1_000] {
            let mut q = EventQueue::with_capacity(16);
            let mut r = Rnd(11);
            let mut ids = Vec::new();
            for i in 0..n {
                q.schedule(t(r.below(2_000)), i);
            }
            let mut step = |q: &mut EventQueue<u64>| {
                let (now, e) = q.pop().unwrap();
                let id = q.schedule(t(now.as_micros() + r.below(3) * r.below(2_000)), e);
                if r.below(5) == 0 {
                    ids.push(id);
                    if ids.len() > 4 && q.cancel(ids.swap_remove(0)) {
                        q.schedule(t(now.as_micros() + r.below(2_000)), e);
                    }
                }
            };
            for _ in 0..100_000 {
                step(&mut q);
            }
            let caps = (q.buf.capacity(), q.heap.capacity(), q.slots.capacity(), q.payloads.capacity());
            for _ in 0..200_000 {
                step(&mut q);
            }
            let now = (q.buf.capacity(), q.heap.capacity(), q.slots.capacity(), q.payloads.capacity());
            assert_eq!(now, caps, "n = {n}");
            assert_eq!(q.len() as u64, n);
            q.check();
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        #[derive(Clone, Debug)]
        enum Op {
            /// Schedule at `now + delta` (clamped when negative).
            Schedule(i64),
            /// Cancel the pending event at this index (mod len).
            Cancel(usize),
            /// Cancel the stale id at this index (mod len).
            CancelStale(usize),
            /// `pop_until(now + delta)`.
            PopUntil(u64),
            Pop,
            /// `advance_to(now + delta)` if that is not past the next event.
            Advance(u64),
        }

        fn op() -> impl Strategy<Value = Op> {
            prop_oneof![
                4 => (-5i64..40).prop_map(Op::Schedule),
                1 => (0i64..5_000_000).prop_map(Op::Schedule),
                1 => any::<usize>().prop_map(Op::Cancel),
                1 => any::<usize>().prop_map(Op::CancelStale),
                1 => (0u64..20).prop_map(Op::PopUntil),
                2 => Just(Op::Pop),
                1 => (0u64..10).prop_map(Op::Advance),
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

            #[test]
            fn queue_matches_model(ops in prop::collection::vec(op(), 0..400)) {
                let mut q = EventQueue::with_capacity(2);
                let mut m = Model::default();
                for op in ops {
                    match op {
                        Op::Schedule(d) => {
                            let at = m.now.saturating_add_signed(d);
                            m.schedule(&mut q, at);
                        }
                        Op::Cancel(i) if !m.pending.is_empty() => m.cancel(&mut q, i % m.pending.len()),
                        Op::CancelStale(i) if !m.stale.is_empty() => m.cancel_stale(&mut q, i % m.stale.len()),
                        Op::PopUntil(d) => m.pop_until(&mut q, m.now + d),
                        Op::Pop => m.pop_until(&mut q, u64::MAX),
                        Op::Advance(d) => {
                            let at = m.now + d;
                            if m.next().is_none_or(|i| at <= m.pending[i].0) {
                                q.advance_to(t(at));
                                m.now = at;
                            }
                        }
                        _ => {}
                    }
                    m.check(&mut q);
                }
            }
        }
    }
}
