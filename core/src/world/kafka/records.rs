//! The records behind a figure of the Kafka guarantees (what the page's
//! guarantees panel lists when a figure is pressed).
//!
//! A figure of [`KafkaCounts`](super::book::KafkaCounts) that counts
//! records in one state lists exactly those records: `produced` every
//! record a producer took on, `sending`, `acked`, `failed` and the four
//! `lost_*` causes the records in that state now. Two count reads, and list
//! records: `consumed` counts every read (a record read twice counts
//! twice), and lists the records read at least once; `duplicates` counts
//! the reads after a consumer's first, and lists the records some consumer
//! read more than once. The rest (`deleted_by_retention`, `skipped`,
//! `out_of_order`) are counted as they happen, without the records: they
//! have no list.
//!
//! Each row says, in words, where the record is or was (`topic-p@offset`,
//! the last copy a leader appended), its state, and which consumer read it
//! how often. Rows come in the order the records were produced, the
//! earliest `max`; `total` is how many the figure's list holds in all. A
//! world without Kafka has no list (`None`).

use serde::Serialize;

use super::book::RecState;
use super::KafkaWorld;
use crate::gate::{Gated, Kafka};
use crate::world::World;

/// A listable figure of the Kafka guarantees (its `KafkaCounts` name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KafkaRecordFigure {
    Produced,
    Sending,
    Acked,
    Failed,
    LostAfterAck,
    LostUnclean,
    LostUnacked,
    LostUnwritten,
    Consumed,
    Duplicates,
}

impl KafkaRecordFigure {
    /// Every listable figure's name, as the page and errors spell them.
    pub const NAMES: &'static str = "produced, sending, acked, failed, lost_after_ack, lost_unclean, lost_unacked, lost_unwritten, consumed or duplicates";

    /// The figure named `s` (its `KafkaCounts` field name), if it has a list.
    /// (A match, not serde: every engine module carries this, Go's too.)
    pub fn named(s: &str) -> Option<KafkaRecordFigure> {
        use KafkaRecordFigure as F;
        Some(match s {
            "produced" => F::Produced,
            "sending" => F::Sending,
            "acked" => F::Acked,
            "failed" => F::Failed,
            "lost_after_ack" => F::LostAfterAck,
            "lost_unclean" => F::LostUnclean,
            "lost_unacked" => F::LostUnacked,
            "lost_unwritten" => F::LostUnwritten,
            "consumed" => F::Consumed,
            "duplicates" => F::Duplicates,
            _ => return None,
        })
    }

    fn state(self) -> Option<RecState> {
        Some(match self {
            KafkaRecordFigure::Sending => RecState::Sending,
            KafkaRecordFigure::Acked => RecState::Acked,
            KafkaRecordFigure::Failed => RecState::Failed,
            KafkaRecordFigure::LostAfterAck => RecState::LostAfterAck,
            KafkaRecordFigure::LostUnclean => RecState::LostUnclean,
            KafkaRecordFigure::LostUnacked => RecState::LostUnacked,
            KafkaRecordFigure::LostUnwritten => RecState::LostUnwritten,
            KafkaRecordFigure::Produced | KafkaRecordFigure::Consumed | KafkaRecordFigure::Duplicates => return None,
        })
    }
}

/// One record behind a figure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KafkaRecordRef {
    /// Its number in production order (from 0).
    pub rec: u32,
    /// "main#17": the Go value it carries (events and tokens name it so).
    pub label: String,
    /// Where it is or was, its state and who read it, in words.
    pub detail: String,
}

/// The records behind a figure: the earliest `max` of `total`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct KafkaRecordList {
    pub total: u64,
    pub records: Vec<KafkaRecordRef>,
}

impl KafkaWorld {
    /// How often each consumer (the book's index) read record `rec`.
    fn reads_of(&self, rec: u32) -> impl Iterator<Item = (usize, u8)> + '_ {
        self.book.reads.iter().enumerate().filter_map(move |(c, r)| r.get(rec as usize).filter(|&&n| n > 0).map(|&n| (c, n)))
    }

    /// The book's consumer `c` by name: a partition consumer, or "group g".
    fn reader_name(&self, c: usize) -> String {
        let n = self.spec.consumers.len();
        match self.spec.consumers.get(c) {
            Some(pc) => pc.name.clone(),
            None => self.spec.groups.get(c - n).map_or_else(|| format!("consumer {c}"), |g| format!("group {}", g.name)),
        }
    }

    fn listed(&self, rec: u32, figure: KafkaRecordFigure) -> bool {
        let state = self.book.state[rec as usize];
        match figure {
            KafkaRecordFigure::Produced => true,
            KafkaRecordFigure::Consumed => self.reads_of(rec).next().is_some(),
            KafkaRecordFigure::Duplicates => self.reads_of(rec).any(|(_, n)| n > 1),
            f => f.state() == Some(state),
        }
    }

    /// Record `rec` in words: "acked at events-2@41 · read once by group
    /// workers".
    fn record_detail(&self, rec: u32) -> String {
        let i = rec as usize;
        let (part, offset) = self.book.place[i];
        let at = (part != u32::MAX).then(|| format!("{}@{offset}", self.part_name(part)));
        let chosen = self.part_name(self.recs[i].part);
        let state = match (self.book.state[i], &at) {
            (RecState::Sending, Some(at)) => format!("sending: written at {at}, no answer yet"),
            (RecState::Sending, None) => format!("sending to {chosen}: no answer yet"),
            (RecState::Acked, Some(at)) if self.book.is_blind(rec) => format!("sent with acks=0, nobody confirms: written at {at}"),
            (RecState::Acked, Some(at)) => format!("acked at {at}"),
            (RecState::Acked, None) => format!("sent to {chosen} with acks=0: no offset, nobody confirms"),
            (RecState::Failed, Some(at)) => format!("failed: its producer got an error (a copy sits at {at})"),
            (RecState::Failed, None) => format!("failed: its producer got an error, nothing written to {chosen}"),
            (RecState::LostAfterAck, Some(at)) => format!("lost after its ack: was at {at}, truncated before followers copied it"),
            (RecState::LostUnclean, Some(at)) => format!("lost in an unclean election: was committed at {at}"),
            (RecState::LostUnacked, Some(at)) => format!("lost unacked: was at {at}, truncated"),
            (RecState::LostUnwritten, _) => format!("lost: sent to {chosen} with acks=0, never written"),
            // (A truncation finds the record where it was appended: a lost one has a place.)
            (_, None) => format!("lost ({chosen})"),
        };
        let reads: Vec<String> = self
            .reads_of(rec)
            .map(|(c, n)| {
                let times = match n {
                    1 => "once".to_string(),
                    2 => "twice".to_string(),
                    n => format!("{n} times"),
                };
                format!("{times} by {}", self.reader_name(c))
            })
            .collect();
        if reads.is_empty() {
            format!("{state} · not read")
        } else {
            format!("{state} · read {}", reads.join(", "))
        }
    }
}

impl World {
    /// Whether this world runs Kafka: never in a build without it, where
    /// the code behind this test is left out.
    pub fn has_kafka(&self) -> bool {
        self.kafka.is_some()
    }

    /// The records behind Kafka guarantees figure `figure`, in production
    /// order: the earliest `max`, and how many there are in all. None
    /// without Kafka (gated: a build without Kafka has none of this code).
    pub fn kafka_records(&self, figure: KafkaRecordFigure, max: usize) -> Option<Gated<KafkaRecordList, Kafka>> {
        let kw = self.kafka.as_deref()?;
        let mut list = KafkaRecordList::default();
        for rec in 0..kw.book.state.len() as u32 {
            if !kw.listed(rec, figure) {
                continue;
            }
            list.total += 1;
            if list.records.len() < max {
                let info = &kw.recs[rec as usize];
                list.records.push(KafkaRecordRef { rec, label: self.go.label_of(info.producer, info.value), detail: kw.record_detail(rec) });
            }
        }
        Gated::some(list)
    }

    /// Checks the record lists against the guarantees figures (for tests):
    /// each state's list (and "produced") is as long as its figure, every
    /// record is in exactly one state list, and the read lists agree with
    /// the reads counted. Ok without Kafka.
    #[doc(hidden)]
    pub fn check_kafka_records(&self) -> Result<(), String> {
        let Some(kw) = self.kafka.as_deref() else { return Ok(()) };
        let c = kw.book.counts();
        let list = |f| self.kafka_records(f, usize::MAX).map(|l| l.into_inner()).unwrap_or_default();
        use KafkaRecordFigure as F;
        let mut seen = vec![0u8; c.produced as usize];
        for (f, n) in [(F::Produced, c.produced), (F::Sending, c.sending), (F::Acked, c.acked), (F::Failed, c.failed),
            (F::LostAfterAck, c.lost_after_ack), (F::LostUnclean, c.lost_unclean), (F::LostUnacked, c.lost_unacked), (F::LostUnwritten, c.lost_unwritten)]
        {
            let l = list(f);
            if (l.total, l.records.len() as u64) != (n, n) {
                return Err(format!("{f:?}: a list of {} ({} rows) for a figure of {n}", l.total, l.records.len()));
            }
            if f != F::Produced {
                for r in &l.records {
                    seen[r.rec as usize] += 1;
                }
            }
        }
        if let Some(r) = seen.iter().position(|&n| n != 1) {
            return Err(format!("record {r} is in {} state lists, not one: {c:?}", seen[r]));
        }
        // consumed = reads = each consumer's records read, plus its reads
        // again (two groups may read one record); duplicates = those again.
        let (read, twice) = (list(F::Consumed).total, list(F::Duplicates).total);
        if read + c.duplicates > c.consumed || (read == 0) != (c.consumed == 0) {
            return Err(format!("{read} records read: {c:?}"));
        }
        if twice > c.duplicates || (twice == 0) != (c.duplicates == 0) {
            return Err(format!("{twice} records read twice: {c:?}"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::SimTime;

    fn run(preset: &str, until_s: u64) -> World {
        let json = crate::presets::get(preset).expect("preset").json;
        let mut w = World::from_json(json).expect("scenario");
        w.run_until(SimTime::from_micros(until_s * 1_000_000));
        w
    }

    /// The list behind `f`, the earliest `max` (the world has Kafka).
    fn records(w: &World, f: KafkaRecordFigure, max: usize) -> KafkaRecordList {
        w.kafka_records(f, max).expect("kafka").into_inner()
    }

    /// Each per-state list is as long as its figure; together they are
    /// every record once; the read lists agree with the reads
    /// (`World::check_kafka_records`, which the random worlds check too).
    fn lists_agree_with_counts(w: &World) {
        w.check_kafka_records().unwrap();
        // The figures checked are the snapshot's.
        assert_eq!(w.snapshot().kafka.expect("kafka").guarantees, w.kafka.as_deref().expect("kafka").book.counts());
    }

    #[test]
    fn acks1_loss_lists_the_records_lost_after_their_ack() {
        let w = run("kafka-acks1-loss", 30);
        lists_agree_with_counts(&w);
        let lost = records(&w, KafkaRecordFigure::LostAfterAck, 3);
        assert!(lost.total > 0 && lost.records.len() == 3.min(lost.total as usize), "{lost:?}");
        let r = &lost.records[0];
        assert!(r.label.contains('#'), "{r:?}");
        assert!(r.detail.starts_with("lost after its ack: was at events-"), "{r:?}");
        // Production order, the earliest first.
        assert!(lost.records.windows(2).all(|p| p[0].rec < p[1].rec));
    }

    #[test]
    fn a_rebalance_lists_the_records_read_twice_and_by_whom() {
        let w = run("kafka-rebalance", 40);
        lists_agree_with_counts(&w);
        let dups = records(&w, KafkaRecordFigure::Duplicates, 5);
        assert!(dups.total > 0, "the preset reprocesses after the crash");
        assert!(dups.records.iter().all(|r| r.detail.contains("twice by group workers") || r.detail.contains("times by group workers")), "{dups:?}");
        let acked = records(&w, KafkaRecordFigure::Acked, 1);
        assert!(acked.records[0].detail.starts_with("acked at events-"), "{acked:?}");
        assert_eq!(records(&w, KafkaRecordFigure::Acked, 0).records.len(), 0);
    }

    #[test]
    fn an_acks_0_record_is_not_said_to_be_acked() {
        let json = crate::presets::get("kafka-acks1-loss").expect("preset").json.replace(r#""acks": "local""#, r#""acks": "none""#);
        let mut w = World::from_json(&json).expect("scenario");
        w.run_until(SimTime::from_micros(4_000_000));
        lists_agree_with_counts(&w);
        let acked = records(&w, KafkaRecordFigure::Acked, usize::MAX);
        assert!(acked.total > 0);
        assert!(acked.records.iter().all(|r| r.detail.starts_with("sent with acks=0, nobody confirms: written at events-") || r.detail.starts_with("sent to events-")), "{acked:?}");
        assert!(acked.records.iter().any(|r| r.detail.contains("written at")), "{acked:?}");
    }

    #[test]
    fn every_listable_figure_is_named_and_the_counters_are_not() {
        for name in ["produced", "sending", "acked", "failed", "lost_after_ack", "lost_unclean", "lost_unacked", "lost_unwritten", "consumed", "duplicates"] {
            assert!(KafkaRecordFigure::named(name).is_some(), "{name}");
            assert!(KafkaRecordFigure::NAMES.contains(name), "{name}");
        }
        for name in ["deleted_by_retention", "skipped", "out_of_order", "lost", "", "Acked"] {
            assert!(KafkaRecordFigure::named(name).is_none(), "{name}");
        }
    }

    #[test]
    fn a_go_world_has_no_records() {
        let w = run("classic", 1);
        assert!(w.kafka_records(KafkaRecordFigure::Produced, 10).is_none());
    }
}
