//! What clients know of the cluster: when producers and group leaders
//! learn that a topic got more partitions (`kafka_add_partitions`).
//!
//! # Semantics (sarama)
//! - Every client keeps the metadata it last fetched and refreshes it in
//!   the background every `Metadata.RefreshFrequency` (`metadata_refresh`,
//!   10 min by default), counted from the client's creation
//!   (`client.backgroundMetadataUpdater`). A producer's client is created
//!   when the run starts; a group member's when its process (re)starts.
//! - **Producers** spread each new record over the partition count their
//!   metadata says (`client.Partitions(topic)`). After partitions are
//!   added, a producer keeps partitioning over the old count until its
//!   next background refresh, or until a retry on that topic refreshes it
//!   first (a partition producer's retry calls `RefreshMetadata(topic)`
//!   before it looks up the leader). The event `kafka_metadata` says when
//!   a producer learns the new count.
//! - **Group leaders**: only the leader runs `loopCheckPartitionNumbers`.
//!   From its session's start it compares its topics' partition counts,
//!   as its client's metadata says, with those its plan was made from: at
//!   once, then every `RefreshFrequency`. The first check after the
//!   leader's client refreshed finds the new count; the session ends
//!   (`ErrSessionPartitionCountChanged`), the leader joins again and the
//!   group rebalances. A rebalance for another reason comes first? Its
//!   plan is made from fresh metadata (`balance` calls `RefreshMetadata`),
//!   so the new partitions are handed out and the pending check finds
//!   nothing.
//! - Partition consumers (`ConsumePartition`) never read new partitions.
//!
//! # Simplifications
//! A group leader's client learns only at its background refresh: the
//! refreshes its partition consumers make after a leader change, which
//! would teach it sooner, are not counted.

use super::group::{member_of_timer, member_timer, note, GroupNote};
use super::{KTimer, KafkaWorld};
use crate::kafka::spec::DEFAULT_METADATA_REFRESH;
use crate::observe::trace::{EventKind, NONE};
use crate::time::{SimDuration, SimTime};
use crate::world::{Kit, World};

/// `aux` bit of [`EventKind::KafkaMetadata`]: a retry refreshed it, not
/// the background refresh.
pub(crate) const LEARNED_BY_RETRY: i64 = 1 << 40;

/// The first tick at or after `now` of a clock ticking every `every` from
/// `since`.
pub(super) fn next_tick(since: SimTime, now: SimTime, every: SimDuration) -> SimTime {
    let every = every.as_micros().max(1);
    let gone = now.as_micros().saturating_sub(since.as_micros());
    since + SimDuration::from_micros(gone.div_ceil(every) * every)
}

impl KafkaWorld {
    /// `Metadata.RefreshFrequency` of every client.
    pub(crate) fn metadata_every(&self) -> SimDuration {
        self.spec.metadata_refresh.unwrap_or(DEFAULT_METADATA_REFRESH)
    }

    /// Some topic has more partitions than producers know of: each such
    /// producer learns at its client's next background refresh.
    pub(super) fn producers_refresh_later(&mut self, now: SimTime, kit: &mut Kit) {
        let every = self.metadata_every();
        for p in 0..self.producers.len() {
            let ps = &self.producers[p];
            let stale = ps.known.iter().zip(&self.spec.topics).any(|(&k, t)| k < t.partitions);
            if stale && ps.refresh_at.is_none() {
                let at = next_tick(SimTime::ZERO, now, every);
                self.producers[p].refresh_at = Some(at);
                self.schedule(kit, at, KTimer::MetadataRefresh(p as u16));
            }
        }
    }

    /// Producer `p`'s client refreshes its metadata in the background.
    pub(super) fn metadata_refresh(&mut self, p: u16, now: SimTime, kit: &mut Kit) {
        let Some(ps) = self.producers.get_mut(usize::from(p)) else { return };
        if ps.refresh_at != Some(now) {
            return;
        }
        ps.refresh_at = None;
        for ti in 0..self.spec.topics.len() {
            self.learn(p, ti as u16, 0, kit);
        }
    }

    /// A retry of producer `p` on `topic` refreshed that topic's metadata.
    pub(super) fn retry_refresh(&mut self, p: u16, topic: u16, kit: &mut Kit) {
        self.learn(p, topic, LEARNED_BY_RETRY, kit);
    }

    /// Producer `p` learns `topic`'s partition count (an event if it grew).
    fn learn(&mut self, p: u16, topic: u16, how: i64, kit: &mut Kit) {
        let Some(n) = self.spec.topics.get(usize::from(topic)).map(|t| t.partitions) else { return };
        let Some(known) = self.producers.get_mut(usize::from(p)).and_then(|ps| ps.known.get_mut(usize::from(topic))) else { return };
        if *known < n {
            let aux = how | i64::from(topic) << 32 | i64::from(*known) << 16 | i64::from(n);
            *known = n;
            kit.record(EventKind::KafkaMetadata, NONE, u32::from(p), None, aux);
        }
    }

    /// The partition count producer `p` spreads `topic`'s records over.
    pub(super) fn known_partitions(&self, p: u16, topic: u16) -> u32 {
        let ps = &self.producers[usize::from(p)];
        ps.known.get(usize::from(topic)).copied().unwrap_or_else(|| self.spec.topics[usize::from(topic)].partitions)
    }
}

impl World {
    /// Topic `ti` got more partitions: the leader of each group reading it,
    /// if in a session, will find out at the first partition check after
    /// its client's next background refresh.
    pub(super) fn kafka_partition_checks(&mut self, ti: usize, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let every = kw.metadata_every();
        let topic = kw.spec.topics[ti].name.clone();
        for g in 0..kw.groups.len() {
            if !kw.spec.groups[g].topics.contains(&topic) {
                continue;
            }
            let Some(m) = kw.groups[g].coord.leader().and_then(|id| kw.groups[g].members.iter().position(|m| m.id == id)) else { continue };
            let ms = &mut kw.groups[g].members[m];
            if !ms.up || ms.session.is_none() || ms.ending {
                // Joining: the plan is made from fresh metadata.
                continue;
            }
            let learned = next_tick(ms.client_since, now, every);
            let at = next_tick(ms.session_since, learned, every).max(ms.session_since + every);
            if ms.partition_check.is_some_and(|(t, s, _)| s == ms.sessions && t <= at) {
                continue;
            }
            ms.partition_check = Some((at, ms.sessions, ti as u16));
            let key = member_timer(g, m, ms.life);
            kw.schedule(&mut self.kit, at, KTimer::PartitionCheck(key));
        }
    }

    /// A group leader's partition check is due: its session ends.
    pub(super) fn kafka_partition_check(&mut self, key: u32, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let (g, m, life) = member_of_timer(key);
        let Some(ms) = kw.groups.get_mut(g).and_then(|gs| gs.members.get_mut(m)) else { return };
        let Some((at, sessions, ti)) = ms.partition_check else { return };
        if at != now || ms.life & 0xff != life {
            return;
        }
        ms.partition_check = None;
        if sessions != ms.sessions || !ms.up || ms.session.is_none() || ms.ending {
            return;
        }
        let count = kw.spec.topics.get(usize::from(ti)).map_or(0, |t| t.partitions);
        note(&mut self.kit, g, m, GroupNote::PartitionsChanged, u32::from(ti) << 16 | count);
        self.kafka_session_end(g, m, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_tick_is_the_first_tick_at_or_after_now() {
        let t = |ms: u64| SimTime::ZERO + SimDuration::from_millis(ms);
        let every = SimDuration::from_millis(3_000);
        assert_eq!(next_tick(t(0), t(10_000), every), t(12_000));
        assert_eq!(next_tick(t(0), t(12_000), every), t(12_000));
        assert_eq!(next_tick(t(500), t(10_000), every), t(12_500));
        assert_eq!(next_tick(t(500), t(200), every), t(500));
    }
}
