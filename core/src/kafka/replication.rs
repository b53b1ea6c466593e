//! One partition across its replicas, as the leader and controller see it
//! (SEMANTICS 3.2, reference B2; Kafka's `Partition`, `ReplicaManager`).
//!
//! Holds offsets only (each replica's LEO as the leader knows it), not the
//! logs: the caller keeps one [`crate::kafka::log::Log`] per replica and
//! applies [`Partition::replica_leo`] after elections and returns
//! (`Log::truncate_to`). Lost offsets are exact ranges because logs are
//! contiguous prefixes.
//!
//! # Semantics
//! - **Start**: the first replica in replica order leads; every replica is in
//!   the ISR (in-sync replicas) with LEO 0.
//! - **High watermark** (HW) = min LEO over the ISR, and on a leader it never
//!   moves backwards ("committed = all ISR have it", Kafka design 4.7).
//! - **append** (`acks`): `Acks::None | Leader | All` (sarama `NoResponse`,
//!   `WaitForLocal`, `WaitForAll`). acks=all fails with `NotEnoughReplicas`
//!   when ISR size < `min.insync.replicas` (default 1). An acks=all request is
//!   satisfied once the HW passes its last offset ([`Partition::is_committed`]).
//! - **follower fetch** at offset X: the follower's LEO is X. It was caught up
//!   when X ≥ the leader's LEO (`lastCaughtUpTimeMs`). Out of the ISR, it
//!   rejoins when X ≥ HW (Kafka `Partition.isFollowerInSync`:
//!   `followerEndOffset >= leaderLog.highWatermark`).
//! - **check_isr** (`now`): a follower leaves the ISR when it has not caught
//!   up within `replica.lag.time.max.ms` (30 s; KIP-16 dropped the message
//!   count). Shrinking the ISR may raise the HW.
//! - **broker_failed**: the replica is dead; it leaves the ISR unless it is
//!   the last member (Kafka keeps the last ISR member); a dead leader leaves
//!   the partition leaderless.
//! - **elect** (`unclean_allowed`): the first live ISR member in replica
//!   order; else, with `unclean.leader.election.enable`, the first live
//!   replica, whose LEO may be below the old HW: committed data is lost, and
//!   the HW drops to its LEO (the only way the HW decreases). Every
//!   replica's tail above the new leader's LEO is truncated (KIP-101).
//! - **broker_returned**: a returning broker that will follow (a leader
//!   exists) truncates to the HW and catches up by fetching.
//!
//! # Simplifications
//! - Leader epochs are counted but divergence is resolved by offsets only.
//! - The HW a follower knows is the leader's, with no fetch-round delay.

use crate::time::{SimDuration, SimTime};
use std::fmt;
use std::ops::Range;

/// `replica.lag.time.max.ms` default: 30 000 ms.
pub const DEFAULT_REPLICA_LAG_MAX: SimDuration = SimDuration::from_millis(30_000);

pub type BrokerId = u32;

/// The producer's `acks` (sarama `RequiredAcks`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acks {
    /// acks=0, sarama `NoResponse`.
    None,
    /// acks=1, sarama `WaitForLocal` (its default).
    Leader,
    /// acks=all/-1, sarama `WaitForAll`.
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplicationConfig {
    /// `replica.lag.time.max.ms`.
    pub replica_lag_max: SimDuration,
    /// `min.insync.replicas`.
    pub min_insync: usize,
}

impl Default for ReplicationConfig {
    fn default() -> Self {
        ReplicationConfig {
            replica_lag_max: DEFAULT_REPLICA_LAG_MAX,
            min_insync: 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplicationError {
    /// No replicas, or a broker listed twice.
    InvalidReplicas,
    UnknownBroker(BrokerId),
    /// `LEADER_NOT_AVAILABLE`: no live leader.
    LeaderNotAvailable,
    /// The request went to a broker that is not the leader, or the leader
    /// fetched from itself (`NOT_LEADER_OR_FOLLOWER`).
    NotLeaderOrFollower(BrokerId),
    /// `NOT_ENOUGH_REPLICAS`: acks=all with ISR below `min.insync.replicas`.
    NotEnoughReplicas {
        isr: usize,
        min_insync: usize,
    },
    /// A follower fetched beyond the leader's LEO.
    OffsetOutOfRange {
        offset: u64,
        leo: u64,
    },
    /// The broker is down.
    BrokerDown(BrokerId),
    /// No eligible leader (clean election with no live ISR member, or no
    /// live replica at all).
    NoEligibleLeader,
}

impl fmt::Display for ReplicationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidReplicas => write!(f, "replica list empty or has duplicates"),
            Self::UnknownBroker(b) => write!(f, "broker {b} is not a replica"),
            Self::LeaderNotAvailable => write!(f, "leader not available"),
            Self::NotLeaderOrFollower(b) => write!(f, "broker {b} is not leader or follower"),
            Self::NotEnoughReplicas { isr, min_insync } => {
                write!(
                    f,
                    "not enough replicas: ISR {isr} < min.insync.replicas {min_insync}"
                )
            }
            Self::OffsetOutOfRange { offset, leo } => {
                write!(f, "fetch offset {offset} beyond leader LEO {leo}")
            }
            Self::BrokerDown(b) => write!(f, "broker {b} is down"),
            Self::NoEligibleLeader => write!(f, "no eligible leader"),
        }
    }
}

impl std::error::Error for ReplicationError {}

/// A change of ISR membership.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsrChange {
    Shrunk(BrokerId),
    Expanded(BrokerId),
}

/// What a follower fetch did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchOutcome {
    /// The HW after the fetch (sent back to the follower).
    pub high_watermark: u64,
    pub isr_change: Option<IsrChange>,
}

/// The result of an election.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Election {
    pub leader: BrokerId,
    pub epoch: u32,
    pub unclean: bool,
    /// Committed offsets lost (new leader's LEO .. old HW); empty if none.
    pub lost_committed: Range<u64>,
    /// Every offset truncated on any replica (new leader's LEO .. highest
    /// old LEO); includes `lost_committed`.
    pub truncated: Range<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Replica {
    id: BrokerId,
    leo: u64,
    last_caught_up: SimTime,
    live: bool,
    in_isr: bool,
}

/// One partition's replication state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    config: ReplicationConfig,
    /// In replica (preferred) order.
    replicas: Vec<Replica>,
    leader: Option<usize>,
    hw: u64,
    epoch: u32,
}

impl Partition {
    pub fn new(
        replicas: &[BrokerId],
        config: ReplicationConfig,
        now: SimTime,
    ) -> Result<Self, ReplicationError> {
        let dup = replicas
            .iter()
            .enumerate()
            .any(|(i, b)| replicas[..i].contains(b));
        if replicas.is_empty() || dup {
            return Err(ReplicationError::InvalidReplicas);
        }
        let replicas = replicas
            .iter()
            .map(|&id| Replica {
                id,
                leo: 0,
                last_caught_up: now,
                live: true,
                in_isr: true,
            })
            .collect();
        Ok(Partition {
            config,
            replicas,
            leader: Some(0),
            hw: 0,
            epoch: 0,
        })
    }

    pub fn config(&self) -> &ReplicationConfig {
        &self.config
    }
    pub fn leader(&self) -> Option<BrokerId> {
        self.leader.map(|i| self.replicas[i].id)
    }
    pub fn leader_epoch(&self) -> u32 {
        self.epoch
    }
    pub fn high_watermark(&self) -> u64 {
        self.hw
    }
    /// The ISR in replica order.
    pub fn isr(&self) -> impl Iterator<Item = BrokerId> + '_ {
        self.replicas.iter().filter(|r| r.in_isr).map(|r| r.id)
    }
    pub fn isr_len(&self) -> usize {
        self.replicas.iter().filter(|r| r.in_isr).count()
    }
    pub fn replicas(&self) -> impl Iterator<Item = BrokerId> + '_ {
        self.replicas.iter().map(|r| r.id)
    }
    pub fn in_isr(&self, id: BrokerId) -> Result<bool, ReplicationError> {
        Ok(self.replicas[self.index(id)?].in_isr)
    }
    pub fn is_live(&self, id: BrokerId) -> Result<bool, ReplicationError> {
        Ok(self.replicas[self.index(id)?].live)
    }
    /// The replica's LEO as the leader knows it (the offset its log must be
    /// truncated to after an election or return).
    pub fn replica_leo(&self, id: BrokerId) -> Result<u64, ReplicationError> {
        Ok(self.replicas[self.index(id)?].leo)
    }
    /// The leader's LEO.
    pub fn leader_leo(&self) -> Option<u64> {
        self.leader.map(|i| self.replicas[i].leo)
    }
    /// Whether an acks=all request whose last offset is `offset` is satisfied
    /// (the HW passed it).
    pub fn is_committed(&self, offset: u64) -> bool {
        offset < self.hw
    }

    /// The produce check: a live leader, and for acks=all enough ISR members.
    pub fn check_append(&self, acks: Acks) -> Result<(), ReplicationError> {
        if self.leader.is_none() {
            return Err(ReplicationError::LeaderNotAvailable);
        }
        let isr = self.isr_len();
        if acks == Acks::All && isr < self.config.min_insync {
            return Err(ReplicationError::NotEnoughReplicas {
                isr,
                min_insync: self.config.min_insync,
            });
        }
        Ok(())
    }

    /// The leader appends `count` records; returns their offsets.
    pub fn append(
        &mut self,
        acks: Acks,
        count: u64,
        now: SimTime,
    ) -> Result<Range<u64>, ReplicationError> {
        self.check_append(acks)?;
        let li = self.leader.ok_or(ReplicationError::LeaderNotAvailable)?;
        let leader = &mut self.replicas[li];
        let first = leader.leo;
        leader.leo += count;
        leader.last_caught_up = now;
        self.advance_hw();
        Ok(first..first + count)
    }

    /// A follower fetches from `offset` (so its LEO is `offset`).
    pub fn follower_fetch(
        &mut self,
        follower: BrokerId,
        offset: u64,
        now: SimTime,
    ) -> Result<FetchOutcome, ReplicationError> {
        let fi = self.index(follower)?;
        let li = self.leader.ok_or(ReplicationError::LeaderNotAvailable)?;
        if fi == li {
            return Err(ReplicationError::NotLeaderOrFollower(follower));
        }
        if !self.replicas[fi].live {
            return Err(ReplicationError::BrokerDown(follower));
        }
        let leader_leo = self.replicas[li].leo;
        if offset > leader_leo {
            return Err(ReplicationError::OffsetOutOfRange {
                offset,
                leo: leader_leo,
            });
        }
        let hw = self.hw;
        let r = &mut self.replicas[fi];
        r.leo = offset;
        if offset >= leader_leo {
            r.last_caught_up = now;
        }
        let mut isr_change = None;
        if r.in_isr && offset < hw {
            // Fell below the HW (it truncated): no longer in sync.
            r.in_isr = false;
            isr_change = Some(IsrChange::Shrunk(follower));
        } else if !r.in_isr && offset >= hw {
            r.in_isr = true;
            r.last_caught_up = now;
            isr_change = Some(IsrChange::Expanded(follower));
        }
        self.advance_hw();
        Ok(FetchOutcome {
            high_watermark: self.hw,
            isr_change,
        })
    }

    /// Removes followers that have not caught up within
    /// `replica.lag.time.max.ms`; returns how many left (their ids through
    /// `out`, which is cleared first).
    pub fn check_isr(&mut self, now: SimTime, out: &mut Vec<IsrChange>) -> usize {
        out.clear();
        let Some(li) = self.leader else { return 0 };
        let leader_leo = self.replicas[li].leo;
        let lag_max = self.config.replica_lag_max;
        for (i, r) in self.replicas.iter_mut().enumerate() {
            if i != li && r.in_isr && r.leo < leader_leo && now.since(r.last_caught_up) > lag_max {
                r.in_isr = false;
                out.push(IsrChange::Shrunk(r.id));
            }
        }
        if !out.is_empty() {
            self.advance_hw();
        }
        out.len()
    }

    /// The broker died.
    pub fn broker_failed(&mut self, id: BrokerId) -> Result<(), ReplicationError> {
        let i = self.index(id)?;
        self.replicas[i].live = false;
        if self.leader == Some(i) {
            self.leader = None;
        }
        if self.replicas[i].in_isr && self.isr_len() > 1 {
            self.replicas[i].in_isr = false;
            if self.leader.is_some() {
                self.advance_hw();
            }
        }
        Ok(())
    }

    /// The broker is back (a no-op if it is live). If a leader exists it will follow: its LEO is
    /// truncated to the HW (returned); the caller truncates its log to it.
    pub fn broker_returned(&mut self, id: BrokerId, now: SimTime) -> Result<u64, ReplicationError> {
        let i = self.index(id)?;
        let hw = self.hw;
        let has_leader = self.leader.is_some();
        if self.replicas[i].live {
            return Ok(self.replicas[i].leo); // never went down: nothing to do
        }
        let r = &mut self.replicas[i];
        r.live = true;
        r.last_caught_up = now;
        if has_leader {
            r.leo = r.leo.min(hw);
        }
        Ok(r.leo)
    }

    /// What replica `id`'s log holds, learned at an election: a follower
    /// may have appended records its next fetch had not yet told the leader
    /// of (they were on their way when the leader died). The new leader
    /// keeps its whole log (Kafka: its own log end offset), so the caller
    /// tells each live replica's log end just before [`Partition::elect`].
    /// Only raises the LEO the partition knows.
    pub fn learn_log_end(&mut self, id: BrokerId, leo: u64) -> Result<(), ReplicationError> {
        let i = self.index(id)?;
        let r = &mut self.replicas[i];
        r.leo = r.leo.max(leo);
        Ok(())
    }

    /// Elects a leader for a leaderless partition (or re-elects).
    pub fn elect(
        &mut self,
        unclean_allowed: bool,
        now: SimTime,
    ) -> Result<Election, ReplicationError> {
        let clean = self.replicas.iter().position(|r| r.live && r.in_isr);
        let (ni, unclean) = match clean {
            Some(i) => (i, false),
            None if unclean_allowed => (
                self.replicas
                    .iter()
                    .position(|r| r.live)
                    .ok_or(ReplicationError::NoEligibleLeader)?,
                true,
            ),
            None => return Err(ReplicationError::NoEligibleLeader),
        };
        let new_leo = self.replicas[ni].leo;
        let max_leo = self.replicas.iter().map(|r| r.leo).max().unwrap_or(0);
        let old_hw = self.hw;
        for r in &mut self.replicas {
            r.leo = r.leo.min(new_leo);
            r.last_caught_up = now;
            if unclean || !r.live {
                r.in_isr = false;
            }
        }
        self.replicas[ni].in_isr = true;
        self.leader = Some(ni);
        self.epoch += 1;
        if unclean {
            self.hw = self.hw.min(new_leo);
        }
        self.advance_hw();
        Ok(Election {
            leader: self.replicas[ni].id,
            epoch: self.epoch,
            unclean,
            lost_committed: new_leo.min(old_hw)..old_hw,
            truncated: new_leo..max_leo.max(new_leo),
        })
    }

    fn advance_hw(&mut self) {
        let min = self
            .replicas
            .iter()
            .filter(|r| r.in_isr)
            .map(|r| r.leo)
            .min();
        if let Some(m) = min {
            self.hw = self.hw.max(m);
        }
    }

    fn index(&self, id: BrokerId) -> Result<usize, ReplicationError> {
        self.replicas
            .iter()
            .position(|r| r.id == id)
            .ok_or(ReplicationError::UnknownBroker(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(ms: u64) -> SimTime {
        SimTime::ZERO + SimDuration::from_millis(ms)
    }
    fn three(min_insync: usize) -> Partition {
        Partition::new(
            &[1, 2, 3],
            ReplicationConfig {
                min_insync,
                ..Default::default()
            },
            t(0),
        )
        .unwrap()
    }
    fn isr(p: &Partition) -> Vec<BrokerId> {
        p.isr().collect()
    }

    /// Bad input is an error, not a panic.
    #[test]
    fn bad_input_is_typed_error() {
        assert_eq!(
            Partition::new(&[], Default::default(), t(0)),
            Err(ReplicationError::InvalidReplicas)
        );
        assert_eq!(
            Partition::new(&[1, 1], Default::default(), t(0)),
            Err(ReplicationError::InvalidReplicas)
        );
        let mut p = three(1);
        assert_eq!(p.broker_failed(9), Err(ReplicationError::UnknownBroker(9)));
        assert_eq!(
            p.follower_fetch(1, 0, t(0)),
            Err(ReplicationError::NotLeaderOrFollower(1))
        );
        assert!(matches!(
            p.follower_fetch(2, 5, t(0)),
            Err(ReplicationError::OffsetOutOfRange { .. })
        ));
        assert!(!ReplicationError::UnknownBroker(9).to_string().is_empty());
    }

    /// SEMANTICS 3.1 / Kafka design: HW = replicated to every ISR member;
    /// acks=all is satisfied once the HW passes the offset (SEMANTICS 3.2).
    #[test]
    fn hw_is_min_isr_leo_and_acks_all_waits_for_it() {
        let mut p = three(2);
        let r = p.append(Acks::All, 3, t(0)).unwrap();
        assert_eq!(r, 0..3);
        assert_eq!(p.high_watermark(), 0);
        assert!(!p.is_committed(2));
        p.follower_fetch(2, 3, t(1)).unwrap();
        assert_eq!(p.high_watermark(), 0);
        let out = p.follower_fetch(3, 2, t(1)).unwrap();
        assert_eq!(out.high_watermark, 2);
        p.follower_fetch(3, 3, t(2)).unwrap();
        assert!(p.is_committed(2));
    }

    /// The new leader keeps its whole log: a follower that appended
    /// records its next fetch never reported (the leader died first) leads
    /// with them, once the election is told its log end. Telling never
    /// lowers what the partition knows.
    #[test]
    fn an_election_keeps_what_the_new_leader_holds_beyond_its_last_fetch() {
        let mut p = three(1);
        p.append(Acks::Leader, 5, t(0)).unwrap();
        p.follower_fetch(2, 2, t(1)).unwrap();
        p.broker_failed(1).unwrap();
        p.learn_log_end(2, 4).unwrap();
        p.learn_log_end(3, 0).unwrap();
        assert_eq!(p.replica_leo(3), Ok(0));
        let e = p.elect(false, t(2)).unwrap();
        assert_eq!((e.leader, p.leader_leo(), e.truncated), (2, Some(4), 4..5));
        assert_eq!(p.learn_log_end(9, 1), Err(ReplicationError::UnknownBroker(9)));
    }

    /// Kafka `replica.lag.time.max.ms` (30 s, reference B2): a follower not
    /// caught up within it leaves the ISR; the HW may then advance.
    #[test]
    fn lagging_follower_leaves_isr() {
        let mut p = three(1);
        p.append(Acks::Leader, 5, t(0)).unwrap();
        p.follower_fetch(2, 5, t(100)).unwrap();
        let mut out = Vec::new();
        assert_eq!(p.check_isr(t(30_000), &mut out), 0);
        assert_eq!(p.check_isr(t(30_001), &mut out), 1);
        assert_eq!(out, vec![IsrChange::Shrunk(3)]);
        assert_eq!(isr(&p), vec![1, 2]);
        assert_eq!(p.high_watermark(), 5);
    }

    /// Kafka `Partition.isFollowerInSync`: an out-of-sync follower rejoins when
    /// its fetch offset reaches the HW.
    #[test]
    fn follower_rejoins_at_hw() {
        let mut p = three(1);
        p.append(Acks::Leader, 5, t(0)).unwrap();
        p.follower_fetch(2, 5, t(0)).unwrap();
        let mut out = Vec::new();
        p.check_isr(t(40_000), &mut out);
        assert_eq!(isr(&p), vec![1, 2]);
        p.append(Acks::Leader, 5, t(40_000)).unwrap();
        assert_eq!(p.follower_fetch(3, 4, t(40_001)).unwrap().isr_change, None);
        let got = p.follower_fetch(3, 5, t(40_002)).unwrap();
        assert_eq!(got.isr_change, Some(IsrChange::Expanded(3)));
        assert_eq!(isr(&p), vec![1, 2, 3]);
    }

    /// SEMANTICS 3.2: acks=all fails with NotEnoughReplicas when ISR <
    /// `min.insync.replicas`; acks=1 and acks=0 still succeed.
    #[test]
    fn not_enough_replicas() {
        let mut p = three(2);
        p.append(Acks::Leader, 1, t(0)).unwrap();
        let mut out = Vec::new();
        p.check_isr(t(31_000), &mut out);
        assert_eq!(p.isr_len(), 1);
        assert_eq!(
            p.append(Acks::All, 1, t(31_000)),
            Err(ReplicationError::NotEnoughReplicas {
                isr: 1,
                min_insync: 2
            })
        );
        assert!(p.append(Acks::Leader, 1, t(31_000)).is_ok());
        assert!(p.append(Acks::None, 1, t(31_000)).is_ok());
    }

    /// SEMANTICS 3.2 / Kafka design 4.7: the new leader comes from the ISR,
    /// first live member in replica order; committed data survives.
    #[test]
    fn clean_election_from_isr() {
        let mut p = three(1);
        p.append(Acks::All, 4, t(0)).unwrap();
        p.follower_fetch(2, 4, t(0)).unwrap();
        p.follower_fetch(3, 4, t(0)).unwrap();
        p.append(Acks::Leader, 2, t(1)).unwrap(); // uncommitted 4..6
        p.broker_failed(1).unwrap();
        assert_eq!(p.leader(), None);
        assert_eq!(
            p.check_append(Acks::Leader),
            Err(ReplicationError::LeaderNotAvailable)
        );
        let e = p.elect(false, t(2)).unwrap();
        assert_eq!(e.leader, 2);
        assert!(!e.unclean);
        assert!(e.lost_committed.is_empty());
        assert_eq!(e.truncated, 4..6);
        assert_eq!(p.high_watermark(), 4);
        // The old leader returns as a follower: truncates to the HW.
        assert_eq!(p.broker_returned(1, t(3)).unwrap(), 4);
        assert_eq!(
            p.follower_fetch(1, 4, t(3)).unwrap().isr_change,
            Some(IsrChange::Expanded(1))
        );
    }

    /// Kafka `unclean.leader.election.enable` (default false, reference B2):
    /// off, no leader; on, an out-of-sync replica leads and committed data is lost.
    #[test]
    fn unclean_election_loses_committed_data() {
        let mut p = three(1);
        p.append(Acks::Leader, 2, t(0)).unwrap();
        p.follower_fetch(2, 2, t(0)).unwrap();
        p.follower_fetch(3, 2, t(0)).unwrap();
        p.append(Acks::Leader, 3, t(1)).unwrap();
        p.follower_fetch(2, 5, t(1)).unwrap();
        let mut out = Vec::new();
        p.check_isr(t(40_000), &mut out); // 3 leaves (LEO 2)
        assert_eq!(p.high_watermark(), 5);
        p.broker_failed(2).unwrap();
        p.broker_failed(1).unwrap();
        assert_eq!(isr(&p), vec![1]);
        assert_eq!(
            p.elect(false, t(40_001)),
            Err(ReplicationError::NoEligibleLeader)
        );
        let e = p.elect(true, t(40_001)).unwrap();
        assert_eq!(e.leader, 3);
        assert!(e.unclean);
        assert_eq!(e.lost_committed, 2..5);
        assert_eq!(p.high_watermark(), 2);
        assert_eq!(p.append(Acks::Leader, 1, t(40_002)).unwrap(), 2..3);
    }

    /// With real logs: a returning old leader truncates its log to the HW
    /// (KIP-101) and its log then matches the new leader's prefix.
    #[test]
    fn returning_broker_truncates_its_log() {
        use crate::kafka::log::{Log, LogConfig};
        let mut p = Partition::new(&[1, 2], Default::default(), t(0)).unwrap();
        let (mut l1, mut l2) = (
            Log::new(LogConfig::default()),
            Log::new(LogConfig::default()),
        );
        for id in p.append(Acks::Leader, 3, t(0)).unwrap() {
            l1.append(1, t(0), id);
        }
        for r in l1.records_from(0).unwrap().take(2) {
            l2.append(r.size, r.timestamp, r.payload);
        }
        p.follower_fetch(2, l2.leo(), t(0)).unwrap();
        assert_eq!(p.high_watermark(), 2);
        p.broker_failed(1).unwrap();
        let e = p.elect(false, t(1)).unwrap();
        assert_eq!((e.leader, e.truncated), (2, 2..3));
        let to = p.broker_returned(1, t(2)).unwrap();
        l1.truncate_to(to).unwrap();
        assert_eq!(l1.leo(), 2);
        assert!(l1.log_start_offset() <= p.high_watermark() && p.high_watermark() <= l2.leo());
    }

    proptest! {
        /// HW <= every ISR member's LEO; HW never decreases except by an
        /// unclean election; offsets handed out are contiguous.
        #[test]
        fn replication_invariants(ops in proptest::collection::vec((0u8..7, 0u32..4, 0u64..5, 0u64..20_000), 1..120)) {
            let mut p = Partition::new(&[1, 2, 3], ReplicationConfig { min_insync: 2, ..Default::default() }, t(0)).unwrap();
            let mut now = 0;
            let mut out = Vec::new();
            let mut next: Option<u64> = None;
            for (op, b, n, dt) in ops {
                now += dt;
                let hw_before = p.high_watermark();
                let mut unclean = false;
                match op {
                    0 => {
                        let acks = [Acks::None, Acks::Leader, Acks::All][(n % 3) as usize];
                        if let Ok(r) = p.append(acks, n, t(now)) {
                            if let Some(x) = next { prop_assert_eq!(r.start, x); }
                            next = Some(r.end);
                        }
                    }
                    1 | 2 => {
                        if let (Ok(leo), Some(l)) = (p.replica_leo(b), p.leader_leo()) {
                            let _ = p.follower_fetch(b, (leo + n).min(l), t(now));
                        }
                    }
                    3 => { p.check_isr(t(now), &mut out); }
                    4 => { let _ = p.broker_failed(b); }
                    5 => { let _ = p.broker_returned(b, t(now)); }
                    _ => {
                        if let Ok(e) = p.elect(n % 2 == 0, t(now)) {
                            unclean = e.unclean;
                            next = Some(p.leader_leo().unwrap());
                        }
                    }
                }
                let hw = p.high_watermark();
                if !unclean { prop_assert!(hw >= hw_before); }
                for id in p.isr() { prop_assert!(hw <= p.replica_leo(id).unwrap()); }
                if let Some(l) = p.leader_leo() { prop_assert!(hw <= l); }
            }
        }
    }
}
