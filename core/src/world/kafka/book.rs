//! The Kafka guarantees book: what happened to every record a goroutine
//! produced, and who consumed it how often.
//!
//! Every produced record is, at any moment, in exactly one state:
//! `sending` (no answer yet, maybe in a log), `acked` (the producer got
//! its offset; with acks=0 it is told success at once, without one),
//! `failed` (the producer got an error after its retries; it may still sit
//! in a log if the error came after the append), or `lost` with one cause:
//! truncated after an ack (acks=1 or 0, the leader died before a follower
//! copied it), truncated by an unclean election (it was committed),
//! truncated before any ack, never written although its acks=0 producer
//! was told it was sent (the request died with its leader's connection, or
//! the broker refused it: with acks=0 nobody hears of it), or deleted by
//! retention before a consumer read it. Consumers count each record they read;
//! a record read twice by the same consumer is a duplicate.
//!
//! A record can be in a log twice: a retry after a timeout or after
//! NOT_ENOUGH_REPLICAS_AFTER_APPEND writes it again. It is lost only when
//! no copy is left: an election that truncates its last copy and leaves
//! the one before leaves it where it was.
//!
//! Order per key: a consumer (a group, or a partition consumer) that reads
//! a keyed record for the first time after a later record of the same key
//! from the same producing goroutine has read it out of order. Kafka keeps
//! a key's order only while the key stays on one partition: adding
//! partitions moves keys (`hash mod n`), and the new partition's records
//! can be handled before the old one's backlog.

use std::ops::Range;

/// A record's state (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RecState {
    Sending,
    Acked,
    Failed,
    LostAfterAck,
    LostUnclean,
    LostUnacked,
    LostUnwritten,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct KafkaBook {
    pub(crate) state: Vec<RecState>,
    /// Where each record was last appended by a leader: (partition,
    /// offset).
    pub(crate) place: Vec<(u32, u64)>,
    /// Records counted acked because they went with acks=0 (nobody
    /// confirmed them): ids, sorted.
    pub(crate) blind: Vec<u32>,
    /// Records appended again (a retry): the place of the copy before the
    /// last, while it is still in the log (few: a short list).
    earlier: Vec<(u32, (u32, u64))>,
    /// Per consumer, how often it read each record.
    pub(crate) reads: Vec<Vec<u8>>,
    pub(crate) duplicates: u64,
    /// Records retention deleted before any consumer of the partition
    /// passed them.
    pub(crate) deleted_unread: u64,
    pub(crate) deleted: u64,
    /// Records a group skipped when its out-of-range offset was reset.
    pub(crate) skipped: u64,
    /// Per (consumer, producing goroutine, key): the newest record read.
    key_last: std::collections::BTreeMap<(usize, u32, u32), u32>,
    pub(crate) out_of_order: u64,
    /// Per partition, the lowest offset any consumer still needs (for
    /// `deleted_unread`): set by the world.
    parts: usize,
}

/// The figures of the book.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct KafkaCounts {
    pub produced: u64,
    pub sending: u64,
    pub acked: u64,
    pub failed: u64,
    pub lost_after_ack: u64,
    pub lost_unclean: u64,
    pub lost_unacked: u64,
    /// acks=0 records reported sent and never written: their request died
    /// with its leader's connection, or the broker refused it.
    pub lost_unwritten: u64,
    /// Gone for good once the producer took them on: the four `lost_*`
    /// causes together (not `deleted_by_retention` or `skipped`: those were
    /// in the log, and a consumer could have read them).
    pub lost: u64,
    pub deleted_by_retention: u64,
    pub consumed: u64,
    pub duplicates: u64,
    /// Skipped by a group's offset reset (OFFSET_OUT_OF_RANGE).
    pub skipped: u64,
    /// Keyed records read after a later record of the same key from the
    /// same producing goroutine (per consumer).
    pub out_of_order: u64,
}

impl KafkaBook {
    pub(crate) fn new(parts: usize) -> KafkaBook {
        KafkaBook { parts, ..KafkaBook::default() }
    }

    pub(crate) fn produced(&mut self, rec: u32) {
        debug_assert_eq!(rec as usize, self.state.len());
        self.state.push(RecState::Sending);
        self.place.push((u32::MAX, 0));
    }

    pub(crate) fn appended(&mut self, rec: u32, part: u32, offset: u64) {
        if let Some(p) = self.place.get_mut(rec as usize) {
            if p.0 != u32::MAX && *p != (part, offset) {
                self.earlier.retain(|e| e.0 != rec);
                self.earlier.push((rec, *p));
            }
            *p = (part, offset);
        }
    }

    pub(crate) fn acked(&mut self, rec: u32, part: u32, offset: u64) {
        self.appended(rec, part, offset);
        if let Some(s) = self.state.get_mut(rec as usize) {
            if *s == RecState::Sending {
                *s = RecState::Acked;
            }
        }
    }

    /// Record `rec` went with acks=0: its producer counts it sent, with no
    /// offset (sarama's `SendMessage` returns offset -1).
    pub(crate) fn sent_blind(&mut self, rec: u32) {
        if let Some(s) = self.state.get_mut(rec as usize) {
            if *s == RecState::Sending {
                *s = RecState::Acked;
                // (Nearly always the newest: an insert at the end.)
                if let Err(i) = self.blind.binary_search(&rec) {
                    self.blind.insert(i, rec);
                }
            }
        }
    }

    /// Whether record `rec` counts as acked only because it went with
    /// acks=0.
    pub(crate) fn is_blind(&self, rec: u32) -> bool {
        self.blind.binary_search(&rec).is_ok()
    }

    /// Record `rec`'s acks=0 request never reached a log (see the module
    /// doc); a copy a retry wrote before stays counted as it is.
    pub(crate) fn unwritten(&mut self, rec: u32) {
        if self.place.get(rec as usize).is_some_and(|p| p.0 == u32::MAX) {
            if let Some(s) = self.state.get_mut(rec as usize) {
                *s = RecState::LostUnwritten;
            }
        }
    }

    pub(crate) fn failed(&mut self, rec: u32) {
        if let Some(s) = self.state.get_mut(rec as usize) {
            if *s == RecState::Sending {
                *s = RecState::Failed;
            }
        }
    }

    /// Record `rec` at `offset` of `part` was truncated away by an election
    /// (`unclean`: it was below the old high watermark, i.e. committed).
    pub(crate) fn truncated(&mut self, rec: u32, part: u32, offset: u64, unclean: bool) {
        if self.place.get(rec as usize) != Some(&(part, offset)) {
            // A copy before the last (a retry put it elsewhere since).
            self.earlier.retain(|&e| e != (rec, (part, offset)));
            return;
        }
        if let Some(i) = self.earlier.iter().position(|e| e.0 == rec) {
            // The copy before is still in the log: nothing is lost.
            self.place[rec as usize] = self.earlier.swap_remove(i).1;
            return;
        }
        if let Some(s) = self.state.get_mut(rec as usize) {
            *s = match (*s, unclean) {
                (_, true) => RecState::LostUnclean,
                (RecState::Acked, false) => RecState::LostAfterAck,
                (RecState::Sending, false) => RecState::Sending, // its producer will be told and retry
                (other, false) => match other {
                    RecState::Failed => RecState::LostUnacked,
                    o => o,
                },
            };
        }
    }

    /// Retention deleted offsets `range` of `part`.
    pub(crate) fn deleted(&mut self, part: u32, range: Range<u64>) {
        let _ = (part, self.parts);
        self.deleted += range.end - range.start;
    }

    /// Retention deleted `n` records some consumer had not read yet.
    pub(crate) fn deleted_unread(&mut self, n: u64) {
        self.deleted_unread += n;
    }

    pub(crate) fn skipped(&mut self, n: u64) {
        self.skipped += n;
    }

    /// `consumer` read `rec`; true when it had read it before (a duplicate).
    pub(crate) fn consumed(&mut self, consumer: usize, rec: u32) -> bool {
        while self.reads.len() <= consumer {
            self.reads.push(Vec::new());
        }
        let r = &mut self.reads[consumer];
        if r.len() <= rec as usize {
            r.resize(rec as usize + 1, 0);
        }
        r[rec as usize] = r[rec as usize].saturating_add(1);
        let again = r[rec as usize] > 1;
        if again {
            self.duplicates += 1;
        }
        again
    }

    /// `consumer` read keyed record `rec` (called after [`Self::consumed`]).
    pub(crate) fn key_order(&mut self, consumer: usize, producer: u32, key: u32, rec: u32) {
        if self.reads.get(consumer).and_then(|r| r.get(rec as usize)).is_some_and(|&n| n > 1) {
            return; // a duplicate: counted as such
        }
        match self.key_last.get_mut(&(consumer, producer, key)) {
            Some(last) if rec < *last => self.out_of_order += 1,
            Some(last) => *last = rec,
            None => {
                self.key_last.insert((consumer, producer, key), rec);
            }
        }
    }

    pub(crate) fn counts(&self) -> KafkaCounts {
        let mut c = KafkaCounts { produced: self.state.len() as u64, ..KafkaCounts::default() };
        for s in &self.state {
            match s {
                RecState::Sending => c.sending += 1,
                RecState::Acked => c.acked += 1,
                RecState::Failed => c.failed += 1,
                RecState::LostAfterAck => c.lost_after_ack += 1,
                RecState::LostUnclean => c.lost_unclean += 1,
                RecState::LostUnacked => c.lost_unacked += 1,
                RecState::LostUnwritten => c.lost_unwritten += 1,
            }
        }
        c.lost = c.lost_after_ack + c.lost_unclean + c.lost_unacked + c.lost_unwritten;
        c.deleted_by_retention = self.deleted_unread;
        c.consumed = self.reads.iter().map(|r| r.iter().map(|&n| u64::from(n)).sum::<u64>()).sum();
        c.duplicates = self.duplicates;
        c.skipped = self.skipped;
        c.out_of_order = self.out_of_order;
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_in_one_state() {
        let mut b = KafkaBook::new(1);
        for r in 0..4 {
            b.produced(r);
        }
        b.acked(0, 0, 0);
        b.acked(1, 0, 1);
        b.truncated(1, 0, 1, false);
        b.failed(2);
        b.truncated(0, 0, 0, true);
        let c = b.counts();
        assert_eq!((c.produced, c.acked, c.failed, c.lost_after_ack, c.lost_unclean, c.sending), (4, 0, 1, 1, 1, 1));
        assert_eq!(c.lost, 2, "acked then lost, and lost in the unclean election");
        assert_eq!(c.sending + c.acked + c.failed + c.lost_after_ack + c.lost_unclean + c.lost_unacked, c.produced);
    }

    #[test]
    fn an_acks_0_record_is_acked_at_once_and_lost_if_never_written() {
        let mut b = KafkaBook::new(1);
        for r in 0..3 {
            b.produced(r);
            b.sent_blind(r);
        }
        b.appended(1, 0, 0);
        b.unwritten(0);
        b.unwritten(1); // written: not this cause
        b.truncated(1, 0, 0, false);
        let c = b.counts();
        assert_eq!((c.acked, c.lost_unwritten, c.lost_after_ack, c.sending), (1, 1, 1, 0), "{c:?}");
        assert_eq!(c.lost, 2, "never written, and written then lost");
    }

    #[test]
    fn a_record_written_twice_is_lost_only_with_its_last_copy() {
        let mut b = KafkaBook::new(1);
        b.produced(0);
        b.produced(1);
        // Record 0 at offsets 3 and 7 (a retry), then acked; an election
        // truncates from 5: the copy at 3 stays.
        b.appended(0, 0, 3);
        b.acked(0, 0, 7);
        b.truncated(0, 0, 7, false);
        assert_eq!(b.counts().acked, 1);
        assert_eq!(b.place[0], (0, 3));
        // Truncated from 2 later: no copy left.
        b.truncated(0, 0, 3, false);
        assert_eq!(b.counts().lost_after_ack, 1);
        // Record 1 at 8 and 9, both truncated (in log order): lost.
        b.appended(1, 0, 8);
        b.acked(1, 0, 9);
        b.truncated(1, 0, 8, false);
        b.truncated(1, 0, 9, false);
        assert_eq!(b.counts().lost_after_ack, 2);
    }

    #[test]
    fn a_second_read_is_a_duplicate() {
        let mut b = KafkaBook::new(1);
        b.produced(0);
        b.consumed(0, 0);
        b.consumed(1, 0);
        assert_eq!(b.counts().duplicates, 0);
        b.consumed(0, 0);
        assert_eq!(b.counts().duplicates, 1);
    }

    #[test]
    fn a_key_read_after_a_later_record_of_it_is_out_of_order() {
        let mut b = KafkaBook::new(2);
        for r in 0..5 {
            b.produced(r);
        }
        // Consumer 0 reads key 1's records 0, 2, then 1: out of order.
        for rec in [0, 2, 1] {
            b.consumed(0, rec);
            b.key_order(0, 7, 1, rec);
        }
        assert_eq!(b.counts().out_of_order, 1);
        // Another key, another producer or another consumer keeps its own order.
        for (c, p, k, rec) in [(0, 7, 2, 3), (0, 8, 1, 4), (1, 7, 1, 1), (1, 7, 1, 2)] {
            b.consumed(c, rec);
            b.key_order(c, p, k, rec);
        }
        assert_eq!(b.counts().out_of_order, 1);
        // A duplicate read is a duplicate, not out of order.
        b.consumed(0, 0);
        b.key_order(0, 7, 1, 0);
        assert_eq!(b.counts().out_of_order, 1);
        assert_eq!(b.counts().duplicates, 1);
    }
}
