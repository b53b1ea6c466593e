//! The queue behind a topic or channel: a memory queue of `mem-queue-size`
//! messages overflowing to a disk queue (nsqd's `memoryMsgChan` plus its
//! go-diskqueue `BackendQueue`).
//!
//! # Semantics
//! - **Put** (`topic.put` / `channel.put`): into memory if it has room,
//!   otherwise to disk. With `mem-queue-size = 0` everything goes to disk
//!   (nsqd leaves the memory channel nil "for more consistent ordering").
//! - **Read**: when memory and disk both hold messages, the reader's Go
//!   `select` picks one of the two at random; each queue is FIFO, so the
//!   two interleave and NSQ keeps no order. The pick is drawn from the
//!   [`SimRng`] passed in, and only when both are non-empty.
//! - **Ephemeral** (`#ephemeral`): the disk queue is nsqd's
//!   `dummyBackendQueue`, whose `Put` does nothing: overflow is silently
//!   dropped. The model returns the dropped message so the ledger can
//!   attribute the loss.
//! - A disk write keeps timestamp, attempts, id and body, not a DPUB's
//!   deferral ([`Message::as_written_to_disk`]).
//! - **Sync** (go-diskqueue `ioLoop`): every read or write counts; after
//!   `sync-every` (2500) of them, or on the `sync-timeout` (2 s) tick when
//!   any happened, the queue fsyncs and persists its metadata (depth, read
//!   and write positions).
//! - **Unclean crash**: a restarted nsqd reads the metadata of the last
//!   sync (`retrieveMetaData`). Writes since then are lost, and the read
//!   position goes back to where it was: the messages read since the last
//!   sync that had been written before it are in the queue again, ahead of
//!   the rest, as they were on disk ([`Backend::crash`] returns them as
//!   `rewound`; their delivery then is a duplicate). A message read since
//!   the last sync that was also written since then is not rewound: its
//!   write was not synced either.
//!
//! # Simplifications
//! - Disk capacity, file rolling and message sizes are not modelled.
//! - An unclean crash is a power loss: unsynced writes are gone. (After a
//!   `kill -9` the OS still holds them, and go-diskqueue's reader salvages
//!   what lies past the stale write position.)
//! - nsqd hands a message straight to a waiting reader even through an
//!   unbuffered (`mem-queue-size = 0`) ephemeral channel; see
//!   [`Backend::put_handoff`].

use crate::nsq::message::Message;
use crate::rng::SimRng;
use std::collections::VecDeque;

/// Where a put message went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stored {
    Memory,
    Disk,
    /// Ephemeral overflow: gone (the message is handed back to the caller).
    Dropped,
}

/// Which queue a read took a message from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Memory,
    Disk,
}

/// What an unclean crash did to a queue ([`Backend::crash`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Crashed {
    /// Lost from memory.
    pub memory: Vec<Message>,
    /// Lost from disk: the writes since the last sync.
    pub disk: Vec<Message>,
    /// Read since the last sync and queued again (as written to disk).
    pub rewound: Vec<Message>,
}

/// Memory queue plus disk queue of one topic or channel.
#[derive(Clone, Debug)]
pub struct Backend {
    memory: VecDeque<Message>,
    disk: VecDeque<Message>,
    mem_capacity: u64,
    ephemeral: bool,
    sync_every: u64,
    /// Reads and writes since the last sync (go-diskqueue's `count`).
    ops_since_sync: u64,
    /// Disk writes since the last sync (lost in an unclean crash).
    unsynced_writes: u64,
    /// Messages read from disk since the last sync that were written
    /// before it, in read order: the persisted read position is still
    /// before them (an unclean crash puts them back).
    reread: VecDeque<Message>,
}

impl Backend {
    /// A queue with `mem_capacity` memory slots (`mem-queue-size`),
    /// syncing every `sync_every` disk operations (`sync-every`).
    pub fn new(mem_capacity: u64, ephemeral: bool, sync_every: u64) -> Backend {
        Backend {
            memory: VecDeque::new(),
            disk: VecDeque::new(),
            mem_capacity,
            ephemeral,
            sync_every: sync_every.max(1),
            ops_since_sync: 0,
            unsynced_writes: 0,
            reread: VecDeque::new(),
        }
    }

    pub fn is_ephemeral(&self) -> bool {
        self.ephemeral
    }
    pub fn mem_capacity(&self) -> u64 {
        self.mem_capacity
    }
    /// Messages in memory.
    pub fn memory_depth(&self) -> u64 {
        self.memory.len() as u64
    }
    /// Messages on disk (nsqadmin's `backend_depth`).
    pub fn disk_depth(&self) -> u64 {
        self.disk.len() as u64
    }
    /// `depth = memory + disk`.
    pub fn depth(&self) -> u64 {
        self.memory_depth() + self.disk_depth()
    }
    pub fn is_empty(&self) -> bool {
        self.memory.is_empty() && self.disk.is_empty()
    }
    /// Disk writes not yet synced (lost by [`Backend::crash`]).
    pub fn unsynced_writes(&self) -> u64 {
        self.unsynced_writes
    }
    /// Whether the `sync-timeout` tick would sync now (any disk operation
    /// since the last sync).
    pub fn needs_sync(&self) -> bool {
        self.ops_since_sync > 0
    }
    /// The `sync-timeout` tick (or a clean close): fsync.
    pub fn sync(&mut self) {
        self.ops_since_sync = 0;
        self.unsynced_writes = 0;
        self.reread.clear();
    }

    /// nsqd's `put`: memory if it has room, else disk (ephemeral: dropped,
    /// the message comes back in `Err`).
    pub fn put(&mut self, msg: Message) -> Result<Stored, Message> {
        if (self.memory.len() as u64) < self.mem_capacity {
            self.memory.push_back(msg);
            return Ok(Stored::Memory);
        }
        self.write_disk(msg)
    }

    /// A send on an unbuffered (capacity 0) memory channel that succeeds
    /// because a reader is waiting: the message sits in memory until the
    /// caller hands it on at once (same instant).
    pub(super) fn put_handoff(&mut self, msg: Message) -> Stored {
        self.memory.push_back(msg);
        Stored::Memory
    }

    fn write_disk(&mut self, msg: Message) -> Result<Stored, Message> {
        if self.ephemeral {
            return Err(msg);
        }
        self.disk.push_back(msg.as_written_to_disk());
        self.unsynced_writes += 1;
        self.count_disk_op();
        Ok(Stored::Disk)
    }

    fn count_disk_op(&mut self) {
        self.ops_since_sync += 1;
        if self.ops_since_sync >= self.sync_every {
            self.sync();
        }
    }

    /// The reader's `select` over memory and disk: the head of one of them,
    /// chosen at random when both hold messages.
    pub fn pop(&mut self, rng: &mut SimRng) -> Option<(Message, Source)> {
        let from_disk = match (self.memory.is_empty(), self.disk.is_empty()) {
            (true, true) => return None,
            (false, true) => false,
            (true, false) => true,
            (false, false) => rng.below(2) == 1,
        };
        if from_disk {
            // The unsynced writes are the newest: the head was synced iff
            // the disk holds more than them.
            let synced = self.disk.len() as u64 > self.unsynced_writes;
            let msg = self.disk.pop_front()?;
            // a read of a write not yet synced consumes it: it can no longer
            // be lost from the disk
            self.unsynced_writes = self.unsynced_writes.min(self.disk.len() as u64);
            if synced {
                self.reread.push_back(msg);
            }
            self.count_disk_op();
            Some((msg, Source::Disk))
        } else {
            self.memory.pop_front().map(|m| (m, Source::Memory))
        }
    }

    /// Undo a [`Backend::pop`] (the read could not be used): back at the
    /// head of the queue it came from.
    pub(super) fn unpop(&mut self, msg: Message, from: Source) {
        match from {
            Source::Memory => self.memory.push_front(msg),
            Source::Disk => {
                // Not read after all. (Its count as a disk operation stays,
                // so the sync may have cleared it from `reread` already.)
                if self.reread.back().is_some_and(|m| m.id == msg.id) {
                    self.reread.pop_back();
                }
                self.disk.push_front(msg);
            }
        }
    }

    /// `Empty()`: drop everything; returns (memory, disk) for the ledger.
    pub fn empty(&mut self) -> (Vec<Message>, Vec<Message>) {
        // `deleteAllFiles`: the files and the metadata are gone; nothing
        // can be read again.
        self.ops_since_sync = 0;
        self.unsynced_writes = 0;
        self.reread.clear();
        (
            self.memory.drain(..).collect(),
            self.disk.drain(..).collect(),
        )
    }

    /// Clean close (`flush`): memory goes to disk in order, then sync.
    /// Ephemeral: there is no disk, so memory is lost (returned).
    pub fn flush(&mut self) -> Vec<Message> {
        let mut lost = Vec::new();
        while let Some(m) = self.memory.pop_front() {
            if let Err(m) = self.write_disk(m) {
                lost.push(m);
            }
        }
        self.sync();
        lost
    }

    /// Write one message straight to disk (clean close of in-flight and
    /// deferred messages). Ephemeral: lost, handed back.
    pub fn write_to_disk(&mut self, msg: Message) -> Result<(), Message> {
        self.write_disk(msg).map(|_| ())
    }

    /// Unclean crash: memory is gone, and so are the newest disk writes not
    /// yet synced; the read position goes back to the last sync, so the
    /// messages read since then from synced writes are queued again, first.
    ///
    /// With `requeue` false the rewound messages are only handed back, not
    /// queued here again (a topic copies them to its channels: see
    /// [`crate::nsq::nsqd::topic::Topic::crash`]).
    pub fn crash(&mut self, requeue: bool) -> Crashed {
        let memory: Vec<Message> = self.memory.drain(..).collect();
        let keep = self
            .disk
            .len()
            .saturating_sub(self.unsynced_writes as usize);
        let disk = self.disk.drain(keep..).collect();
        let rewound: Vec<Message> = self.reread.drain(..).collect();
        if requeue {
            for m in rewound.iter().rev() {
                self.disk.push_front(*m);
            }
        }
        self.ops_since_sync = 0;
        self.unsynced_writes = 0;
        Crashed { memory, disk, rewound }
    }

    /// Every message held, memory then disk (for checks and the page).
    pub fn iter(&self) -> impl Iterator<Item = (&Message, Source)> {
        self.memory
            .iter()
            .map(|m| (m, Source::Memory))
            .chain(self.disk.iter().map(|m| (m, Source::Disk)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nsq::message::Body;
    use crate::time::SimTime;

    fn msg(id: u64) -> Message {
        Message::new(id, Body::default(), SimTime::ZERO)
    }

    #[test]
    fn memory_then_disk_then_random_interleave() {
        let mut b = Backend::new(2, false, 2500);
        let stored: Vec<_> = (0..5).map(|i| b.put(msg(i)).unwrap()).collect();
        assert_eq!(
            stored,
            [
                Stored::Memory,
                Stored::Memory,
                Stored::Disk,
                Stored::Disk,
                Stored::Disk
            ]
        );
        assert_eq!((b.memory_depth(), b.disk_depth(), b.depth()), (2, 3, 5));
        let mut rng = SimRng::new(7);
        let mut got = Vec::new();
        while let Some((m, _)) = b.pop(&mut rng) {
            got.push(m.id);
        }
        // each queue stays FIFO
        let mem: Vec<_> = got.iter().copied().filter(|&i| i < 2).collect();
        let disk: Vec<_> = got.iter().copied().filter(|&i| i >= 2).collect();
        assert_eq!(mem, [0, 1]);
        assert_eq!(disk, [2, 3, 4]);
    }

    // topic.go / channel.go: a Go select over two ready channels picks at
    // random, so memory and disk reads interleave rather than one draining first.
    #[test]
    fn both_sources_are_picked_when_both_hold_messages() {
        let mut b = Backend::new(50, false, 2500);
        for i in 0..100 {
            b.put(msg(i)).unwrap();
        }
        let mut rng = SimRng::new(11);
        let first_half: Vec<Source> = (0..50).map(|_| b.pop(&mut rng).unwrap().1).collect();
        let from_disk = first_half.iter().filter(|&&s| s == Source::Disk).count();
        assert!(
            (10..=40).contains(&from_disk),
            "{from_disk} of 50 from disk"
        );
    }

    #[test]
    fn mem_queue_size_zero_goes_to_disk_and_ephemeral_drops() {
        let mut b = Backend::new(0, false, 2500);
        assert_eq!(b.put(msg(1)), Ok(Stored::Disk));
        let mut e = Backend::new(1, true, 2500);
        assert_eq!(e.put(msg(1)), Ok(Stored::Memory));
        assert_eq!(e.put(msg(2)), Err(msg(2)));
        assert_eq!(e.depth(), 1);
    }

    #[test]
    fn disk_loses_deferral_and_unsynced_writes_are_lost_in_crash() {
        let mut b = Backend::new(0, false, 3);
        let mut m = msg(1);
        m.deferred = crate::time::SimDuration::from_secs(5);
        b.put(m).unwrap();
        b.put(msg(2)).unwrap();
        assert_eq!(b.unsynced_writes(), 2);
        b.put(msg(3)).unwrap(); // third op: sync
        assert_eq!(b.unsynced_writes(), 0);
        b.put(msg(4)).unwrap();
        assert!(b.needs_sync());
        let c = b.crash(true);
        assert!(c.memory.is_empty() && c.rewound.is_empty());
        assert_eq!(c.disk.iter().map(|m| m.id).collect::<Vec<_>>(), [4]);
        let mut rng = SimRng::new(1);
        let first = b.pop(&mut rng).unwrap().0;
        assert_eq!(
            (first.id, first.deferred),
            (1, crate::time::SimDuration::ZERO)
        );
    }

    fn ids(ms: &[Message]) -> Vec<u64> {
        ms.iter().map(|m| m.id).collect()
    }

    // go-diskqueue `retrieveMetaData`: a restart reads the read and write
    // positions of the last `sync`; what was read since then is read again.
    #[test]
    fn crash_rewinds_the_reads_since_the_last_sync_of_synced_writes() {
        let mut b = Backend::new(0, false, 100);
        for i in 1..=4 {
            b.put(msg(i)).unwrap();
        }
        b.sync();
        let mut rng = SimRng::new(1);
        assert_eq!(b.pop(&mut rng).unwrap().0.id, 1);
        b.sync(); // 1 is read for good
        b.put(msg(5)).unwrap(); // unsynced
        assert_eq!(b.pop(&mut rng).unwrap().0.id, 2);
        assert_eq!(b.pop(&mut rng).unwrap().0.id, 3);
        let c = b.crash(true);
        assert_eq!(ids(&c.rewound), [2, 3]);
        assert_eq!(ids(&c.disk), [5], "the unsynced write is lost");
        let left: Vec<u64> = std::iter::from_fn(|| b.pop(&mut rng).map(|(m, _)| m.id)).collect();
        assert_eq!(left, [2, 3, 4], "read again, in file order, before the rest");
    }

    #[test]
    fn a_read_of_an_unsynced_write_is_not_rewound_and_a_clean_close_rewinds_nothing() {
        let mut b = Backend::new(0, false, 100);
        b.put(msg(1)).unwrap();
        let mut rng = SimRng::new(1);
        assert_eq!(b.pop(&mut rng).unwrap().0.id, 1);
        let c = b.crash(true);
        assert!(c.rewound.is_empty() && c.disk.is_empty(), "{c:?}");

        let mut b = Backend::new(0, false, 100);
        b.put(msg(1)).unwrap();
        b.sync();
        b.pop(&mut rng).unwrap();
        assert!(b.flush().is_empty());
        assert!(b.crash(true).rewound.is_empty(), "flush syncs: the read position is persisted");
    }

    #[test]
    fn an_unread_pop_is_not_rewound_twice_and_empty_forgets_reads() {
        let mut b = Backend::new(0, false, 100);
        for i in 1..=2 {
            b.put(msg(i)).unwrap();
        }
        b.sync();
        let mut rng = SimRng::new(1);
        let (m, from) = b.pop(&mut rng).unwrap();
        b.unpop(m, from);
        let c = b.crash(true);
        assert!(c.rewound.is_empty());
        assert_eq!(b.depth(), 2);

        b.pop(&mut rng).unwrap();
        let _ = b.empty();
        assert!(b.crash(true).rewound.is_empty(), "emptied: the files are gone");
        assert_eq!(b.depth(), 0);
    }

    // The sync after `sync-every` operations counts reads too.
    #[test]
    fn sync_every_reads_persists_the_read_position() {
        let mut b = Backend::new(0, false, 4);
        for i in 1..=3 {
            b.put(msg(i)).unwrap();
        }
        let mut rng = SimRng::new(1);
        b.pop(&mut rng).unwrap(); // 4th operation: sync
        b.pop(&mut rng).unwrap();
        assert_eq!(ids(&b.crash(true).rewound), [2]);
    }
}
