//! What clients know of the cluster: when producers and group leaders
//! learn that a topic got more partitions (`kafka_add_partitions`).
//!
//! # Semantics (sarama)
//! - Every client keeps the metadata it last fetched and refreshes it in
//!   the background every `Metadata.RefreshFrequency` (`metadata_refresh`,
//!   10 min by default), counted from the client's creation
//!   (`client.backgroundMetadataUpdater`). A producer's client is created
//!   when the run starts; a group member's when its process (re)starts.
//! - **Producers** spread each new record over the partitions their
//!   metadata lists (`topicProducer.partitionMessage`): a keyed hash
//!   partitioner (and Manual) over all of them (`client.Partitions`), the
//!   random and round-robin partitioners (and a hash of no key) over the
//!   writable ones only (`WritablePartitions`: those whose metadata names a
//!   leader; an offline partition says LEADER_NOT_AVAILABLE). A metadata
//!   with none writable is refreshed first (`getPartitions`).
//! - After partitions are added, a producer keeps partitioning over the
//!   old count until its next background refresh, or until a retry on
//!   that topic refreshes it first (a partition producer's retry calls
//!   `RefreshMetadata(topic)` before it looks up the leader). The event
//!   `kafka_metadata` says when a producer learns the new count. Likewise
//!   it learns that a partition went offline at a retry (its record was
//!   refused), and that it is back at its next background refresh.
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
//! - A group leader's client learns only at its background refresh: the
//!   refreshes its partition consumers make after a leader change, which
//!   would teach it sooner, are not counted.
//! - A record with no writable partition even after the refresh goes to
//!   one of them and is refused and retried (sarama fails it at once with
//!   LEADER_NOT_AVAILABLE).

use super::group::{member_of_timer, member_timer, note, GroupNote};
use super::{KTimer, KafkaWorld};
use crate::kafka::spec::DEFAULT_METADATA_REFRESH;
use crate::observe::trace::{EventKind, NONE};
use crate::time::{SimDuration, SimTime};
use crate::world::{Kit, World};

/// `aux` bit of [`EventKind::KafkaMetadata`]: a retry refreshed it, not
/// the background refresh.
pub(crate) const LEARNED_BY_RETRY: i64 = 1 << 40;
/// `aux` bit of [`EventKind::KafkaMetadata`]: its metadata named no
/// writable partition, so it refreshed before partitioning.
pub(crate) const LEARNED_NONE_WRITABLE: i64 = 1 << 41;

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
        for p in 0..self.producers.len() {
            let ps = &self.producers[p];
            if ps.known.iter().zip(&self.spec.topics).any(|(&k, t)| k < t.partitions) {
                self.refresh_later(p as u16, now, kit);
            }
        }
    }

    /// Producer `p`'s client's next background refresh (after `now`) is
    /// due (once).
    fn refresh_later(&mut self, p: u16, now: SimTime, kit: &mut Kit) {
        if self.producers[usize::from(p)].refresh_at.is_none() {
            let at = next_tick(SimTime::ZERO, now + SimDuration::from_micros(1), self.metadata_every());
            self.producers[usize::from(p)].refresh_at = Some(at);
            self.schedule(kit, at, KTimer::MetadataRefresh(p));
        }
    }

    /// The partitions of `topic` with no leader now (bit = index).
    fn offline_now(&self, topic: u16) -> u64 {
        let keys = self.topic_parts.get(usize::from(topic)).map_or(&[][..], Vec::as_slice);
        keys.iter().enumerate().take(64).filter(|(_, &k)| self.parts[k as usize].repl.leader().is_none()).fold(0, |m, (i, _)| m | 1 << i)
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

    /// Producer `p`'s metadata named no writable partition of `topic`: it
    /// refreshes before partitioning (sarama's `getPartitions`).
    pub(super) fn metadata_refresh_for(&mut self, p: u16, topic: u16, kit: &mut Kit) {
        self.learn(p, topic, LEARNED_NONE_WRITABLE, kit);
    }

    /// Producer `p`'s metadata of `topic` is refreshed: its partition
    /// count (an event if it grew) and which have no leader. While some
    /// have none, its next background refresh is due.
    fn learn(&mut self, p: u16, topic: u16, how: i64, kit: &mut Kit) {
        let Some(n) = self.spec.topics.get(usize::from(topic)).map(|t| t.partitions) else { return };
        let offline = self.offline_now(topic);
        let Some(ps) = self.producers.get_mut(usize::from(p)) else { return };
        ps.offline[usize::from(topic)] = offline;
        let known = &mut ps.known[usize::from(topic)];
        if *known < n {
            let aux = how | i64::from(topic) << 32 | i64::from(*known) << 16 | i64::from(n);
            *known = n;
            kit.record(EventKind::KafkaMetadata, NONE, u32::from(p), None, aux);
        }
        if offline != 0 {
            self.refresh_later(p, kit.queue.now(), kit);
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
            // Its client's next refresh after now (as a producer's).
            let learned = next_tick(ms.client_since, now + SimDuration::from_micros(1), every);
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
