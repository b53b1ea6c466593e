//! A FIFO queue of parked goroutines (a channel's `sendq` or `recvq`) with
//! O(1) removal from the middle, as Go's `waitq` of `sudog`s: a doubly
//! linked list threaded through a slab of nodes that the queue owns.
//!
//! A select parks on every case at once and, when one case completes,
//! withdraws the others. Go unlinks those `sudog`s in O(1); so does
//! [`WaitQueue::remove`], given the [`Ticket`] that
//! [`WaitQueue::push_back`] returned. A ticket carries the slot's
//! generation, so removing a waiter that already left the queue (it was
//! popped, drained by a close, or withdrawn) does nothing, even after its
//! slot was reused.
//!
//! Order is exactly FIFO: `pop_front` and `iter` give waiters in the order
//! they were pushed, minus the removed ones. Slots are reused through a
//! free list: once warm, parking allocates nothing.

use super::channel::Waiter;

/// Where a waiter sits in a queue: its slot and the slot's generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket {
    slot: u32,
    gen: u32,
}

const NIL: u32 = u32::MAX;

#[derive(Clone, Debug)]
struct Node {
    waiter: Waiter,
    prev: u32,
    next: u32,
    /// Bumped when the slot is freed: stale tickets no longer match.
    gen: u32,
    used: bool,
}

#[derive(Clone, Debug)]
pub struct WaitQueue {
    nodes: Vec<Node>,
    free: Vec<u32>,
    head: u32,
    tail: u32,
    len: u32,
}

impl Default for WaitQueue {
    fn default() -> Self {
        WaitQueue { nodes: Vec::new(), free: Vec::new(), head: NIL, tail: NIL, len: 0 }
    }
}

impl WaitQueue {
    /// Bytes the queue takes on the heap (for memory budgets).
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>() + self.free.capacity() * 4
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Parks `w` at the tail.
    pub fn push_back(&mut self, w: Waiter) -> Ticket {
        let slot = match self.free.pop() {
            Some(s) => {
                let n = &mut self.nodes[s as usize];
                n.waiter = w;
                n.used = true;
                s
            }
            None => {
                self.nodes.push(Node { waiter: w, prev: NIL, next: NIL, gen: 0, used: true });
                // The free list never holds more than every slot: give it
                // that room now, while the slab grows anyway, so freeing a
                // slot never allocates.
                if self.free.capacity() < self.nodes.capacity() {
                    self.free.reserve_exact(self.nodes.capacity() - self.free.len());
                }
                (self.nodes.len() - 1) as u32
            }
        };
        let n = &mut self.nodes[slot as usize];
        n.prev = self.tail;
        n.next = NIL;
        let gen = n.gen;
        if self.tail == NIL {
            self.head = slot;
        } else {
            self.nodes[self.tail as usize].next = slot;
        }
        self.tail = slot;
        self.len += 1;
        Ticket { slot, gen }
    }

    /// The first waiter, if any.
    pub fn front(&self) -> Option<&Waiter> {
        (self.head != NIL).then(|| &self.nodes[self.head as usize].waiter)
    }

    pub fn pop_front(&mut self) -> Option<Waiter> {
        (self.head != NIL).then(|| self.unlink(self.head))
    }

    /// Removes the waiter `t` points at, if it is still queued: O(1).
    pub fn remove(&mut self, t: Ticket) -> Option<Waiter> {
        let n = self.nodes.get(t.slot as usize)?;
        (n.used && n.gen == t.gen).then(|| self.unlink(t.slot))
    }

    fn unlink(&mut self, slot: u32) -> Waiter {
        let (prev, next, w) = {
            let n = &mut self.nodes[slot as usize];
            n.used = false;
            n.gen = n.gen.wrapping_add(1);
            (n.prev, n.next, n.waiter)
        };
        match prev {
            NIL => self.head = next,
            p => self.nodes[p as usize].next = next,
        }
        match next {
            NIL => self.tail = prev,
            x => self.nodes[x as usize].prev = prev,
        }
        self.len -= 1;
        self.free.push(slot);
        w
    }

    /// Removes every waiter of goroutine `g` (O(len): for rare paths such as
    /// removing a goroutine), passing each to `each`.
    pub fn remove_goroutine(&mut self, g: u32, mut each: impl FnMut(Waiter)) {
        let mut at = self.head;
        while at != NIL {
            let next = self.nodes[at as usize].next;
            if self.nodes[at as usize].waiter.g == g {
                each(self.unlink(at));
            }
            at = next;
        }
    }

    /// Empties the queue, front first, into `out`.
    pub fn drain_into(&mut self, out: &mut Vec<Waiter>) {
        while let Some(w) = self.pop_front() {
            out.push(w);
        }
    }

    /// The waiters, front first.
    pub fn iter(&self) -> Iter<'_> {
        Iter { q: self, at: self.head, left: self.len as usize }
    }
}

/// Front-to-back iterator over a [`WaitQueue`].
#[derive(Debug)]
pub struct Iter<'a> {
    q: &'a WaitQueue,
    at: u32,
    left: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Waiter;
    fn next(&mut self) -> Option<&'a Waiter> {
        if self.at == NIL {
            return None;
        }
        let n = &self.q.nodes[self.at as usize];
        self.at = n.next;
        self.left -= 1;
        Some(&n.waiter)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::VecDeque;

    fn w(g: u32) -> Waiter {
        Waiter { g, case: 0, value: None }
    }

    #[test]
    fn fifo_with_removal_from_the_middle_and_stale_tickets() {
        let mut q = WaitQueue::default();
        let a = q.push_back(w(1));
        let b = q.push_back(w(2));
        let c = q.push_back(w(3));
        assert_eq!(q.remove(b), Some(w(2)));
        assert_eq!(q.remove(b), None, "removed once");
        assert_eq!(q.iter().map(|x| x.g).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(q.pop_front(), Some(w(1)));
        // a's slot is reused by d: a's ticket must not remove d.
        let d = q.push_back(w(4));
        assert_eq!(q.remove(a), None);
        assert_eq!(q.iter().map(|x| x.g).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(q.remove(c), Some(w(3)));
        assert_eq!(q.remove(d), Some(w(4)));
        assert!(q.is_empty() && q.front().is_none());
    }

    #[derive(Clone, Debug)]
    enum QOp {
        Push(u32),
        Pop,
        /// Remove the i-th ticket ever handed out (maybe stale).
        Remove(usize),
        RemoveG(u32),
    }

    proptest! {
        /// Against a plain `VecDeque` of (goroutine, ticket number).
        #[test]
        fn matches_a_vecdeque(ops in prop::collection::vec(prop_oneof![
            4 => (0u32..5).prop_map(QOp::Push), 2 => Just(QOp::Pop),
            3 => (0usize..40).prop_map(QOp::Remove), 1 => (0u32..5).prop_map(QOp::RemoveG)], 0..120)) {
            let mut q = WaitQueue::default();
            let mut model: VecDeque<(u32, usize)> = VecDeque::new();
            let mut tickets = Vec::new();
            for op in ops {
                match op {
                    QOp::Push(g) => {
                        model.push_back((g, tickets.len()));
                        tickets.push(q.push_back(Waiter { g, case: tickets.len() as u16, value: None }));
                    }
                    QOp::Pop => prop_assert_eq!(q.pop_front().map(|w| w.case as usize), model.pop_front().map(|x| x.1)),
                    QOp::Remove(i) if i < tickets.len() => {
                        let want = model.iter().position(|x| x.1 == i).map(|p| model.remove(p).unwrap().1);
                        prop_assert_eq!(q.remove(tickets[i]).map(|w| w.case as usize), want);
                    }
                    QOp::Remove(_) => {}
                    QOp::RemoveG(g) => {
                        let mut got = Vec::new();
                        q.remove_goroutine(g, |w| got.push(w.case as usize));
                        let want: Vec<usize> = model.iter().filter(|x| x.0 == g).map(|x| x.1).collect();
                        model.retain(|x| x.0 != g);
                        prop_assert_eq!(got, want);
                    }
                }
                prop_assert_eq!(q.len(), model.len());
                prop_assert_eq!(q.iter().map(|w| w.case as usize).collect::<Vec<_>>(), model.iter().map(|x| x.1).collect::<Vec<_>>());
            }
        }
    }
}
