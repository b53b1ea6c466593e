//! One Go channel: a ring buffer of `cap` slots, a FIFO queue of parked
//! senders (`sendq`), a FIFO queue of parked receivers (`recvq`), `closed`.
//!
//! # Semantics (Go `runtime/chan.go`)
//! **Send**, checked in order: closed → the sender panics ("send on closed
//! channel"); a receiver is parked → the value goes straight to the *first*
//! parked receiver, skipping the buffer even on a buffered channel; the
//! buffer has room → append; otherwise the sender parks at the tail of
//! `sendq`.
//!
//! **Receive**: closed and empty → zero value, `ok == false`, at once; a
//! sender is parked → on an unbuffered (or drained) channel take its value
//! directly, on a full buffered channel take the buffer's head and move the
//! first parked sender's value to the tail (FIFO is kept); the buffer is
//! non-empty → take the head; otherwise park at the tail of `recvq`.
//!
//! **Close**: closing a closed channel panics. Close wakes *every* parked
//! receiver (`ok == false`) and every parked sender (each panics); buffered
//! items stay receivable, so receivers drain before they see `ok == false`.
//!
//! `len` counts buffered items only, never parked senders.
//!
//! # Invariant
//! At most one of `sendq`/`recvq` is non-empty; if the buffer holds items,
//! `recvq` is empty; if the buffer has room, `sendq` is empty.
//!
//! # Beyond Go: live capacity changes
//! Go channels have a fixed capacity; the playground lets you change it.
//! Growing admits parked senders into the buffer in FIFO order. Shrinking
//! never drops buffered items: `len` may exceed `cap` until receivers drain
//! it, and sends block while `len >= cap`.
//!
//! This type is a pure state machine: it moves values and returns which
//! waiters were woken; the world decides what waking means.

use super::waitq::{Iter, Ticket, WaitQueue};
use std::collections::VecDeque;

/// Identifies a goroutine (index in the world).
pub type GoId = u32;
/// Identifies a message (slab index in the world).
pub type MsgRef = u32;

/// A goroutine parked on this channel. `case` is the select case index
/// (0 for a plain send/receive); `value` is the value a sender offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Waiter {
    pub g: GoId,
    pub case: u16,
    pub value: Option<MsgRef>,
}

/// What a send did (without parking).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// The channel is closed: the sender panics.
    Closed,
    /// Handed straight to this parked receiver (buffer skipped).
    HandedOff(Waiter),
    /// Appended to the buffer.
    Buffered,
    /// Would block: the caller parks the sender (or takes a select default).
    WouldBlock,
}

/// What a receive did (without parking).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvOutcome {
    /// Closed and drained: zero value, `ok == false`.
    Closed,
    /// Got a value. `from_sender` is the parked sender that was woken,
    /// either because its value was taken directly (`direct == true`) or
    /// because its value moved into the freed buffer slot.
    Got { value: MsgRef, from_sender: Option<Waiter>, direct: bool },
    /// Would block: the caller parks the receiver.
    WouldBlock,
}

/// Close on a channel that is already closed panics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlreadyClosed;

/// Counters kept per channel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChanCounters {
    /// Values that entered the channel (buffered or handed off).
    pub sent: u64,
    /// Values that left it to a receiver.
    pub received: u64,
    /// Largest `len` seen.
    pub max_len: u32,
}

#[derive(Clone, Debug)]
pub struct Channel {
    cap: u32,
    buf: VecDeque<MsgRef>,
    sendq: WaitQueue,
    recvq: WaitQueue,
    closed: bool,
    pub counters: ChanCounters,
}

impl Channel {
    /// Bytes the buffer and wait queues take on the heap (for memory budgets).
    pub fn heap_bytes(&self) -> usize {
        self.buf.capacity() * std::mem::size_of::<MsgRef>() + self.sendq.heap_bytes() + self.recvq.heap_bytes()
    }

    pub fn new(cap: u32) -> Self {
        Channel {
            cap,
            buf: VecDeque::with_capacity(cap.min(4096) as usize),
            sendq: WaitQueue::default(),
            recvq: WaitQueue::default(),
            closed: false,
            counters: ChanCounters::default(),
        }
    }

    pub fn cap(&self) -> u32 {
        self.cap
    }
    /// Buffered items only (never parked senders).
    pub fn len(&self) -> u32 {
        self.buf.len() as u32
    }
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    pub fn is_closed(&self) -> bool {
        self.closed
    }
    pub fn buffer(&self) -> impl ExactSizeIterator<Item = MsgRef> + '_ {
        self.buf.iter().copied()
    }
    pub fn sendq(&self) -> Iter<'_> {
        self.sendq.iter()
    }
    pub fn recvq(&self) -> Iter<'_> {
        self.recvq.iter()
    }

    /// Whether a send would proceed now (for select): closed counts as
    /// "proceeds" because the sender panics at once.
    pub fn can_send(&self) -> bool {
        self.closed || !self.recvq.is_empty() || self.buf.len() < self.cap as usize
    }

    /// Whether a receive would proceed now (for select).
    pub fn can_recv(&self) -> bool {
        self.closed || !self.buf.is_empty() || !self.sendq.is_empty()
    }

    /// Tries to send `value` without parking.
    pub fn try_send(&mut self, value: MsgRef) -> SendOutcome {
        if self.closed {
            return SendOutcome::Closed;
        }
        if let Some(r) = self.recvq.pop_front() {
            self.counters.sent += 1;
            self.counters.received += 1;
            return SendOutcome::HandedOff(r);
        }
        if self.buf.len() < self.cap as usize {
            self.buf.push_back(value);
            self.counters.sent += 1;
            self.counters.max_len = self.counters.max_len.max(self.buf.len() as u32);
            return SendOutcome::Buffered;
        }
        SendOutcome::WouldBlock
    }

    /// Tries to receive without parking.
    pub fn try_recv(&mut self) -> RecvOutcome {
        if let Some(value) = self.buf.pop_front() {
            self.counters.received += 1;
            // A full buffer with parked senders: the first sender's value
            // moves to the freed tail slot (only if there is room: after a
            // shrink, len may still be >= cap).
            let mut from_sender = None;
            if self.buf.len() < self.cap as usize {
                if let Some(s) = self.sendq.pop_front() {
                    self.buf.push_back(s.value.expect("parked sender carries a value"));
                    self.counters.sent += 1;
                    from_sender = Some(s);
                }
            }
            return RecvOutcome::Got { value, from_sender, direct: false };
        }
        if let Some(s) = self.sendq.pop_front() {
            self.counters.sent += 1;
            self.counters.received += 1;
            let value = s.value.expect("parked sender carries a value");
            return RecvOutcome::Got { value, from_sender: Some(s), direct: true };
        }
        if self.closed {
            return RecvOutcome::Closed;
        }
        RecvOutcome::WouldBlock
    }

    /// Parks a sender at the tail of `sendq`. Call only after `WouldBlock`.
    /// The ticket withdraws it in O(1) ([`Channel::withdraw_one`]).
    pub fn park_sender(&mut self, w: Waiter) -> Ticket {
        // Only the same goroutine (a select on both sides of this channel)
        // may be waiting to receive.
        debug_assert!(w.value.is_some() && self.recvq.iter().all(|r| r.g == w.g));
        self.sendq.push_back(w)
    }

    /// Parks a receiver at the tail of `recvq`. Call only after `WouldBlock`.
    pub fn park_receiver(&mut self, w: Waiter) -> Ticket {
        debug_assert!(self.buf.is_empty() && self.sendq.iter().all(|s| s.g == w.g));
        self.recvq.push_back(w)
    }

    /// Closes the channel, moving every parked receiver and sender into the
    /// given vectors (receivers get `ok == false`, senders panic).
    pub fn close(&mut self, woken_receivers: &mut Vec<Waiter>, woken_senders: &mut Vec<Waiter>) -> Result<(), AlreadyClosed> {
        if self.closed {
            return Err(AlreadyClosed);
        }
        self.closed = true;
        self.recvq.drain_into(woken_receivers);
        self.sendq.drain_into(woken_senders);
        Ok(())
    }

    /// Changes the capacity. Growing admits parked senders into the buffer
    /// in FIFO order (returned in `admitted`); shrinking drops nothing. A
    /// goroutine is admitted once: a select waiting with several send cases
    /// on this channel completes one of them, and its other waits here are
    /// withdrawn.
    pub fn set_cap(&mut self, cap: u32, admitted: &mut Vec<Waiter>) {
        self.cap = cap;
        while self.buf.len() < cap as usize {
            let Some(s) = self.sendq.pop_front() else { break };
            self.buf.push_back(s.value.expect("parked sender carries a value"));
            self.counters.sent += 1;
            self.sendq.remove_goroutine(s.g, |_| {});
            admitted.push(s);
        }
        self.counters.max_len = self.counters.max_len.max(self.buf.len() as u32);
    }

    /// Withdraws every wait of goroutine `g` (a removed goroutine, or one
    /// that panicked): O(queue length). Returns the values withdrawn
    /// senders were offering.
    pub fn withdraw(&mut self, g: GoId, offered: &mut Vec<MsgRef>) {
        self.recvq.remove_goroutine(g, |_| {});
        self.sendq.remove_goroutine(g, |w| offered.extend(w.value));
    }

    /// Withdraws one parked wait by its ticket (a select that completed on
    /// another case): O(1), as Go unlinks a `sudog`. A wait that already
    /// left (it was the one that completed, or a close drained it) is left
    /// alone.
    pub fn withdraw_one(&mut self, send: bool, t: Ticket) {
        if send {
            self.sendq.remove(t);
        } else {
            self.recvq.remove(t);
        }
    }

    /// Checks the invariant in the module docs (used by tests). The one
    /// exception Go allows too: a single goroutine parked by a `select` on
    /// both sides of this channel sits in both queues.
    pub fn invariant_holds(&self) -> bool {
        let one_queue = self.sendq.is_empty()
            || self.recvq.is_empty()
            || self.sendq.iter().chain(self.recvq.iter()).all(|w| Some(w.g) == self.sendq.front().map(|f| f.g));
        let items_no_receivers = self.buf.is_empty() || self.recvq.is_empty();
        let room_no_senders = self.buf.len() >= self.cap as usize || self.sendq.is_empty();
        one_queue && items_no_receivers && room_no_senders
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(g: GoId, value: Option<MsgRef>) -> Waiter {
        Waiter { g, case: 0, value }
    }

    #[test]
    fn unbuffered_send_blocks_without_receiver() {
        let mut c = Channel::new(0);
        assert_eq!(c.try_send(1), SendOutcome::WouldBlock);
        c.park_sender(w(1, Some(1)));
        assert_eq!(c.len(), 0, "parked senders are not counted in len");
        assert_eq!(c.try_recv(), RecvOutcome::Got { value: 1, from_sender: Some(w(1, Some(1))), direct: true });
        assert!(c.invariant_holds());
    }

    #[test]
    fn send_hands_off_to_first_parked_receiver_skipping_buffer() {
        let mut c = Channel::new(3);
        assert_eq!(c.try_recv(), RecvOutcome::WouldBlock);
        c.park_receiver(w(10, None));
        c.park_receiver(w(11, None));
        assert_eq!(c.try_send(7), SendOutcome::HandedOff(w(10, None)));
        assert_eq!(c.len(), 0, "buffer skipped on direct handoff");
        assert_eq!(c.try_send(8), SendOutcome::HandedOff(w(11, None)));
        assert_eq!(c.try_send(9), SendOutcome::Buffered);
    }

    #[test]
    fn full_buffer_receive_takes_head_and_moves_first_sender_to_tail() {
        let mut c = Channel::new(2);
        c.try_send(1);
        c.try_send(2);
        assert_eq!(c.try_send(3), SendOutcome::WouldBlock);
        c.park_sender(w(5, Some(3)));
        c.park_sender(w(6, Some(4)));
        assert_eq!(c.try_recv(), RecvOutcome::Got { value: 1, from_sender: Some(w(5, Some(3))), direct: false });
        assert_eq!(c.buffer().collect::<Vec<_>>(), [2, 3]);
        let got: Vec<_> = (0..3)
            .map(|_| match c.try_recv() {
                RecvOutcome::Got { value, .. } => value,
                o => panic!("{o:?}"),
            })
            .collect();
        assert_eq!(got, [2, 3, 4], "FIFO kept across buffer and sendq");
        assert!(c.invariant_holds());
    }

    #[test]
    fn close_drains_buffer_before_ok_false_and_wakes_everyone() {
        let mut c = Channel::new(2);
        c.try_send(1);
        let (mut rs, mut ss) = (vec![], vec![]);
        c.close(&mut rs, &mut ss).unwrap();
        assert_eq!(c.close(&mut rs, &mut ss), Err(AlreadyClosed));
        assert_eq!(c.try_send(2), SendOutcome::Closed);
        assert!(matches!(c.try_recv(), RecvOutcome::Got { value: 1, .. }));
        assert_eq!(c.try_recv(), RecvOutcome::Closed);

        let mut c = Channel::new(0);
        c.park_receiver(w(1, None));
        c.park_receiver(w(2, None));
        c.close(&mut rs, &mut ss).unwrap();
        assert_eq!(rs.len(), 2);
        let mut c = Channel::new(0);
        c.park_sender(w(3, Some(9)));
        let (mut rs, mut ss) = (vec![], vec![]);
        c.close(&mut rs, &mut ss).unwrap();
        assert_eq!(ss, [w(3, Some(9))]);
    }

    #[test]
    fn growing_admits_parked_senders_fifo_and_shrinking_drops_nothing() {
        let mut c = Channel::new(0);
        for g in 0..3 {
            c.park_sender(w(g, Some(g + 100)));
        }
        let mut admitted = vec![];
        c.set_cap(2, &mut admitted);
        assert_eq!(admitted.iter().map(|s| s.g).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(c.buffer().collect::<Vec<_>>(), [100, 101]);
        assert!(c.invariant_holds());

        let mut c = Channel::new(5);
        for v in 0..5 {
            c.try_send(v);
        }
        c.set_cap(1, &mut vec![]);
        assert_eq!(c.len(), 5);
        assert_eq!(c.try_send(9), SendOutcome::WouldBlock);
        c.park_sender(w(7, Some(9)));
        // Receiving while len > cap does not admit the sender yet.
        assert!(matches!(c.try_recv(), RecvOutcome::Got { value: 0, from_sender: None, .. }));
        for _ in 0..3 {
            c.try_recv();
        }
        // len 1 == cap: the next receive frees the slot and admits the sender.
        assert!(matches!(c.try_recv(), RecvOutcome::Got { value: 4, from_sender: Some(_), .. }));
        assert_eq!(c.buffer().collect::<Vec<_>>(), [9]);
    }

    #[test]
    fn a_select_may_wait_on_both_sides_of_one_channel() {
        let mut c = Channel::new(0);
        c.park_sender(w(4, Some(1)));
        c.park_receiver(w(4, None));
        assert!(c.invariant_holds());
        // Another goroutine's sender meets the parked receiver at once.
        assert_eq!(c.try_send(9), SendOutcome::HandedOff(w(4, None)));
    }

    #[test]
    fn growing_admits_a_select_with_two_send_cases_once() {
        let mut c = Channel::new(0);
        c.park_sender(Waiter { g: 1, case: 0, value: Some(7) });
        c.park_sender(Waiter { g: 1, case: 1, value: Some(7) });
        c.park_sender(w(2, Some(8)));
        let mut admitted = vec![];
        c.set_cap(3, &mut admitted);
        assert_eq!(admitted.iter().map(|s| (s.g, s.case)).collect::<Vec<_>>(), [(1, 0), (2, 0)]);
        assert_eq!(c.buffer().collect::<Vec<_>>(), [7, 8], "the select's value enters once");
    }

    #[test]
    fn withdraw_removes_only_that_goroutine() {
        let mut c = Channel::new(0);
        c.park_sender(w(1, Some(10)));
        c.park_sender(w(2, Some(20)));
        let mut offered = vec![];
        c.withdraw(1, &mut offered);
        assert_eq!(offered, [10]);
        assert_eq!(c.sendq().map(|s| s.g).collect::<Vec<_>>(), [2]);
    }
}
