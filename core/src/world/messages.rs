//! Messages in flight: a slab reused through a free list (no allocation per
//! message once warm: only a new peak of live messages grows the slab, and
//! the free list grows with it). A message is labelled `producer#value`, knows when it
//! was produced, and remembers the first [`MAX_HOPS`] channels it crossed.

use crate::gochan::channel::{GoId, MsgRef};
use crate::time::SimTime;

pub const MAX_HOPS: usize = 8;

/// No `PartialEq`: a reused slot keeps stale `hops` past `nhops`, so only
/// [`Message::path`] is meaningful to compare.
#[derive(Clone, Copy, Debug)]
pub struct Message {
    pub id: u64,
    pub value: i64,
    pub producer: GoId,
    pub produced_at: SimTime,
    pub hops: [u32; MAX_HOPS],
    pub nhops: u8,
}

impl Message {
    pub fn path(&self) -> &[u32] {
        &self.hops[..self.nhops as usize]
    }
}

#[derive(Clone, Debug, Default)]
pub struct Messages {
    slots: Vec<Message>,
    free: Vec<MsgRef>,
    next_id: u64,
    live: u64,
}

impl Messages {
    /// Bytes the message slab takes on the heap (for memory budgets).
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Message>() + self.free.capacity() * 4
    }

    #[inline]
    pub fn alloc(&mut self, value: i64, producer: GoId, now: SimTime) -> MsgRef {
        self.next_id += 1;
        self.live += 1;
        let id = self.next_id;
        match self.free.pop() {
            Some(r) => {
                // A reused slot: only `nhops` says how much of `hops` is
                // meaningful, so the stale hops need no clearing.
                let m = &mut self.slots[r as usize];
                (m.id, m.value, m.producer, m.produced_at, m.nhops) = (id, value, producer, now, 0);
                r
            }
            None => self.grow(Message { id, value, producer, produced_at: now, hops: [0; MAX_HOPS], nhops: 0 }),
        }
    }

    /// A new slot for `m` (the slab is at a new peak of live messages).
    #[cold]
    fn grow(&mut self, m: Message) -> MsgRef {
        self.slots.push(m);
        // The free list never holds more than every slot: give it that room
        // now, while the slab grows anyway, so `free` never allocates.
        if self.free.capacity() < self.slots.capacity() {
            self.free.reserve_exact(self.slots.capacity() - self.free.len());
        }
        (self.slots.len() - 1) as MsgRef
    }

    pub fn free(&mut self, r: MsgRef) {
        self.live -= 1;
        self.free.push(r);
    }

    pub fn get(&self, r: MsgRef) -> &Message {
        &self.slots[r as usize]
    }

    pub fn hop(&mut self, r: MsgRef, ch: u32) {
        let m = &mut self.slots[r as usize];
        if (m.nhops as usize) < MAX_HOPS {
            m.hops[m.nhops as usize] = ch;
            m.nhops += 1;
        }
    }

    /// Messages allocated and not yet freed.
    pub fn live(&self) -> u64 {
        self.live
    }
}
