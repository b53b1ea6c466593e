//! One consumer group on its coordinator broker, classic protocol, eager
//! rebalancing, as a sarama `ConsumerGroup` sees it (SEMANTICS 3.4,
//! reference B7/B9; Kafka's `GroupCoordinator`, `GroupMetadata`,
//! `MemberMetadata`, `InitialDelayedJoin`/`DelayedJoin`; sarama
//! `consumer_group.go`). A pure state machine: time is passed in, the
//! caller keeps one timer at [`GroupCoordinator::next_deadline`] and calls
//! [`GroupCoordinator::tick`] there, before any other call at that instant.
//!
//! # Semantics
//! - **States** (Kafka `GroupState`): `Empty` (no members; committed
//!   offsets kept), `PreparingRebalance` (the join phase), `Stable`.
//! - **First join of an empty group** (`InitialDelayedJoin`): the join
//!   phase ends `group.initial.rebalance.delay.ms` (3 s) later. While the
//!   group has never completed a rebalance (generation 0), a window in which
//!   a new member joined is followed by another window of the same length,
//!   never beyond first join + max(rebalance timeout, delay). An empty group
//!   of a later generation waits one window, no extensions (Kafka sets
//!   `newMemberAdded` only when `generationId == 0`).
//! - **Rebalance** (`prepareRebalance`, `DelayedJoin`): started by a new
//!   member's join, a join by the leader or with a changed subscription, a
//!   LeaveGroup, or a session expiry. Every member must rejoin; the phase
//!   ends as soon as all have, or at the rebalance deadline (now + 60 s,
//!   sarama `Group.Rebalance.Timeout`), where those that did not are removed.
//!   A follower rejoining a `Stable` group with an unchanged subscription
//!   gets the current generation back, no rebalance (`handleJoinGroup`).
//! - **Completing the join** (`onCompleteJoin`, `initNextGeneration`):
//!   generation + 1 (also when nobody is left: then `Empty`). The leader is
//!   the first member that joined the group and stays leader while it is a
//!   member. The plan is sarama's balance strategy
//!   ([`assignor::plan`]) over the members' subscriptions and the topics'
//!   partition counts; members beyond the partition count get nothing
//!   (idle).
//! - **Heartbeat** (`handleHeartbeat`): unknown member -> `UNKNOWN_MEMBER_ID`;
//!   a generation other than the group's -> `ILLEGAL_GENERATION`; during the
//!   join phase -> `REBALANCE_IN_PROGRESS` (the session is still refreshed):
//!   sarama's session ends, its claims stop and give up every partition
//!   (eager), and it rejoins.
//! - **Session timeout** (`MemberMetadata.shouldKeepAlive`): a member whose
//!   last heartbeat (or join, or commit) is `session_timeout` (10 s, sarama
//!   `Group.Session.Timeout`) old is removed at that instant. Members that
//!   rejoined and wait for the join phase to end do not expire.
//! - **Offsets** (`handleCommitOffsets`): accepted from a member of the
//!   current generation while `Stable` or `PreparingRebalance` (so a member
//!   can commit in its cleanup before rejoining); it counts as a heartbeat.
//!   Kafka does not check that the member owns the partition. The committed
//!   offset is the next offset to read; offsets outlive rebalances and an
//!   empty group.
//!
//! # Simplifications
//! - SyncGroup is immediate: the join phase goes straight to `Stable` with
//!   every assignment (the coordinator computes the plan sarama's leader
//!   would). [`GroupState::CompletingRebalance`] is never observed.
//! - One session and rebalance timeout for the whole group (Kafka takes
//!   each member's). Member ids come from the caller (no `MEMBER_ID_REQUIRED`
//!   round trip, no static membership, no 5-minute new-member timeout).
//! - A new leader (the old one left) is the remaining member that joined
//!   first (Kafka takes any). Partition count changes apply at the next
//!   rebalance (sarama's leader notices them every 10 min and rejoins).
//! - Offset retention and metadata are not modelled.

use crate::kafka::consumer::assignor::{self, Member, Strategy};
use crate::time::{SimDuration, SimTime};
use litemap::LiteMap;
use std::fmt;

/// sarama `Consumer.Group.Session.Timeout` default.
pub const DEFAULT_SESSION_TIMEOUT: SimDuration = SimDuration::from_secs(10);
/// sarama `Consumer.Group.Rebalance.Timeout` default.
pub const DEFAULT_REBALANCE_TIMEOUT: SimDuration = SimDuration::from_secs(60);
/// Broker `group.initial.rebalance.delay.ms` default.
pub const DEFAULT_INITIAL_REBALANCE_DELAY: SimDuration = SimDuration::from_secs(3);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupConfig {
    pub session_timeout: SimDuration,
    pub rebalance_timeout: SimDuration,
    pub initial_rebalance_delay: SimDuration,
    /// sarama `Consumer.Group.Rebalance.GroupStrategies` (first entry).
    pub strategy: Strategy,
}

impl Default for GroupConfig {
    fn default() -> Self {
        GroupConfig {
            session_timeout: DEFAULT_SESSION_TIMEOUT,
            rebalance_timeout: DEFAULT_REBALANCE_TIMEOUT,
            initial_rebalance_delay: DEFAULT_INITIAL_REBALANCE_DELAY,
            strategy: Strategy::Range,
        }
    }
}

/// Kafka's `GroupState` (without `Dead`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupState {
    Empty,
    PreparingRebalance,
    /// Waiting for the leader's SyncGroup; never observed here (sync is
    /// immediate).
    CompletingRebalance,
    Stable,
}

/// Why a rebalance started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RebalanceReason {
    /// A new member, the leader, or a changed subscription joined.
    Join { member: String },
    /// LeaveGroup.
    Leave { member: String },
    /// Session timeout.
    Expired { member: String },
}

/// (topic, partition) pairs, in the order the strategy handed them out.
pub type Assignment = Vec<(String, i32)>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupEvent {
    /// The join phase began; `generation` is the one ending.
    RebalanceStarted {
        generation: u32,
        reason: RebalanceReason,
    },
    /// A member's session timed out; it is removed.
    MemberExpired { member: String },
    /// A member did not rejoin before the join phase ended; it is removed.
    MemberRemoved { member: String },
    /// The join phase ended: every member's assignment for `generation`,
    /// by member id (an idle member has an empty list).
    Assigned {
        generation: u32,
        leader: String,
        assignments: Vec<(String, Assignment)>,
    },
    /// The join phase ended with no member left: the group is `Empty`.
    GroupEmpty { generation: u32 },
}

/// What a join did for the joiner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinOutcome {
    /// In the join phase; its assignment comes with [`GroupEvent::Assigned`].
    Waiting,
    /// This join ended the join phase: see [`GroupEvent::Assigned`].
    Completed { generation: u32 },
    /// A follower rejoined a stable group unchanged: it keeps its
    /// assignment of `generation`, no rebalance.
    Current { generation: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GroupError {
    /// `UNKNOWN_MEMBER_ID` (sarama `ErrUnknownMemberId`).
    UnknownMemberId { member: String },
    /// `ILLEGAL_GENERATION` (sarama `ErrIllegalGeneration`).
    IllegalGeneration { generation: u32, current: u32 },
    /// `REBALANCE_IN_PROGRESS` (sarama `ErrRebalanceInProgress`).
    RebalanceInProgress,
    /// An empty member id.
    InvalidMemberId,
    /// A join with no topics.
    NoTopics,
    /// A topic whose partition count was never set.
    UnknownTopic { topic: String },
    /// A partition the topic does not have.
    UnknownPartition { topic: String, partition: i32 },
    /// A partition count of 0, or smaller than before (Kafka cannot shrink).
    InvalidPartitionCount { topic: String, count: u32 },
}

impl fmt::Display for GroupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownMemberId { member } => {
                write!(f, "the coordinator is not aware of member {member:?}")
            }
            Self::IllegalGeneration {
                generation,
                current,
            } => write!(
                f,
                "illegal generation {generation}: the group is at generation {current}"
            ),
            Self::RebalanceInProgress => {
                write!(f, "the group is rebalancing, so a rejoin is needed")
            }
            Self::InvalidMemberId => write!(f, "empty member id"),
            Self::NoTopics => write!(f, "a member must subscribe to at least one topic"),
            Self::UnknownTopic { topic } => write!(f, "unknown topic {topic:?}"),
            Self::UnknownPartition { topic, partition } => {
                write!(f, "topic {topic:?} has no partition {partition}")
            }
            Self::InvalidPartitionCount { topic, count } => write!(
                f,
                "invalid partition count {count} for topic {topic:?} (at least 1, never fewer)"
            ),
        }
    }
}

impl std::error::Error for GroupError {}

/// A member as the coordinator knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMember {
    pub id: String,
    /// Subscribed topics, sorted, without duplicates.
    pub topics: Vec<String>,
    /// The generation of `assignment` (0: none yet).
    pub generation: u32,
    pub assignment: Assignment,
    /// Last heartbeat, join or commit.
    pub last_heartbeat: SimTime,
    /// Has rejoined in the current join phase.
    pub rejoined: bool,
    /// Order of joining the group (leader choice).
    seq: u64,
}

/// The first join phase of an empty group (`InitialDelayedJoin`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct InitialDelay {
    cap: SimTime,
    new_member_added: bool,
}

/// One consumer group's coordinator state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupCoordinator {
    config: GroupConfig,
    state: GroupState,
    generation: u32,
    leader: Option<String>,
    members: LiteMap<String, GroupMember>,
    next_seq: u64,
    join_deadline: Option<SimTime>,
    initial: Option<InitialDelay>,
    partitions: LiteMap<String, u32>,
    committed: LiteMap<String, LiteMap<i32, u64>>,
}

impl GroupCoordinator {
    pub fn new(config: GroupConfig) -> Self {
        GroupCoordinator {
            config,
            state: GroupState::Empty,
            generation: 0,
            leader: None,
            members: LiteMap::new(),
            next_seq: 0,
            join_deadline: None,
            initial: None,
            partitions: LiteMap::new(),
            committed: LiteMap::new(),
        }
    }

    /// Switches the balance strategy: the next rebalance's plan uses it
    /// (the members' `Consumer.Group.Rebalance.Strategy`, changed in all).
    pub fn set_strategy(&mut self, strategy: Strategy) {
        self.config.strategy = strategy;
    }

    pub fn config(&self) -> &GroupConfig {
        &self.config
    }
    pub fn state(&self) -> GroupState {
        self.state
    }
    pub fn generation(&self) -> u32 {
        self.generation
    }
    pub fn leader(&self) -> Option<&str> {
        self.leader.as_deref()
    }
    /// Members sorted by id.
    pub fn members(&self) -> impl Iterator<Item = &GroupMember> + '_ {
        self.members.values()
    }
    pub fn member(&self, id: &str) -> Option<&GroupMember> {
        self.members.get(id)
    }
    pub fn member_count(&self) -> usize {
        self.members.len()
    }
    /// When the join phase ends (unless everyone rejoins first).
    pub fn join_deadline(&self) -> Option<SimTime> {
        self.join_deadline
    }
    /// The member holding `(topic, partition)` in the current generation's
    /// plan (still so while the next rebalance is being prepared).
    pub fn owner(&self, topic: &str, partition: i32) -> Option<&str> {
        self.members
            .values()
            .filter(|m| m.generation == self.generation)
            .find(|m| {
                m.assignment
                    .iter()
                    .any(|(t, p)| t == topic && *p == partition)
            })
            .map(|m| m.id.as_str())
    }

    /// Sets a topic's partition count (used from the next rebalance on).
    pub fn set_partitions(&mut self, topic: &str, count: u32) -> Result<(), GroupError> {
        let old = self.partitions.get(topic).copied().unwrap_or(0);
        if count == 0 || count < old || count > i32::MAX as u32 {
            return Err(GroupError::InvalidPartitionCount {
                topic: topic.to_string(),
                count,
            });
        }
        self.partitions.insert(topic.to_string(), count);
        Ok(())
    }
    pub fn partitions(&self, topic: &str) -> Option<u32> {
        self.partitions.get(topic).copied()
    }

    /// JoinGroup from `member` (new or known) subscribing to `topics`.
    pub fn join(
        &mut self,
        now: SimTime,
        member: &str,
        topics: &[&str],
        out: &mut Vec<GroupEvent>,
    ) -> Result<JoinOutcome, GroupError> {
        if member.is_empty() {
            return Err(GroupError::InvalidMemberId);
        }
        if topics.is_empty() {
            return Err(GroupError::NoTopics);
        }
        if let Some(t) = topics.iter().find(|t| !self.partitions.contains_key(**t)) {
            return Err(GroupError::UnknownTopic {
                topic: t.to_string(),
            });
        }
        let mut subs: Vec<String> = topics.iter().map(|t| t.to_string()).collect();
        crate::cold_sort::sort(&mut subs);
        subs.dedup();
        let known = self.members.get_mut(member);
        match self.state {
            GroupState::Empty => {
                self.add(now, member, subs);
                self.state = GroupState::PreparingRebalance;
                let d = self.config.initial_rebalance_delay;
                self.join_deadline = Some(now + d);
                self.initial = Some(InitialDelay {
                    cap: now + d.max(self.config.rebalance_timeout),
                    new_member_added: false,
                });
                out.push(GroupEvent::RebalanceStarted {
                    generation: self.generation,
                    reason: RebalanceReason::Join {
                        member: member.to_string(),
                    },
                });
            }
            GroupState::PreparingRebalance => match known {
                Some(m) => m.topics = subs,
                None => {
                    if self.generation == 0 {
                        if let Some(i) = self.initial.as_mut() {
                            i.new_member_added = true;
                        }
                    }
                    self.add(now, member, subs);
                }
            },
            GroupState::Stable | GroupState::CompletingRebalance => {
                match known {
                    Some(m) => {
                        if self.leader.as_deref() != Some(member) && m.topics == subs {
                            m.last_heartbeat = now;
                            return Ok(JoinOutcome::Current {
                                generation: self.generation,
                            });
                        }
                        m.topics = subs;
                    }
                    None => self.add(now, member, subs),
                }
                let reason = RebalanceReason::Join {
                    member: member.to_string(),
                };
                self.start_rebalance(now, reason, out);
            }
        }
        if let Some(m) = self.members.get_mut(member) {
            m.rejoined = true;
            m.last_heartbeat = now;
        }
        if self.try_complete(now, out) {
            Ok(JoinOutcome::Completed {
                generation: self.generation,
            })
        } else {
            Ok(JoinOutcome::Waiting)
        }
    }

    /// Heartbeat from `member` in `generation`.
    pub fn heartbeat(
        &mut self,
        now: SimTime,
        member: &str,
        generation: u32,
    ) -> Result<(), GroupError> {
        self.check_member(member, generation)?;
        if let Some(m) = self.members.get_mut(member) {
            m.last_heartbeat = now;
        }
        match self.state {
            GroupState::PreparingRebalance => Err(GroupError::RebalanceInProgress),
            _ => Ok(()),
        }
    }

    /// LeaveGroup from `member` (sarama's `Close`).
    pub fn leave(
        &mut self,
        now: SimTime,
        member: &str,
        out: &mut Vec<GroupEvent>,
    ) -> Result<(), GroupError> {
        if !self.members.contains_key(member) {
            return Err(GroupError::UnknownMemberId {
                member: member.to_string(),
            });
        }
        let reason = RebalanceReason::Leave {
            member: member.to_string(),
        };
        self.remove(now, member, reason, out);
        Ok(())
    }

    /// OffsetCommit: `offset` is the next offset to read of
    /// `(topic, partition)`. Counts as a heartbeat.
    pub fn commit(
        &mut self,
        now: SimTime,
        member: &str,
        generation: u32,
        topic: &str,
        partition: i32,
        offset: u64,
    ) -> Result<(), GroupError> {
        let count = self
            .partitions(topic)
            .ok_or_else(|| GroupError::UnknownTopic {
                topic: topic.to_string(),
            })?;
        if partition < 0 || partition as u32 >= count {
            return Err(GroupError::UnknownPartition {
                topic: topic.to_string(),
                partition,
            });
        }
        self.check_member(member, generation)?;
        if self.state == GroupState::CompletingRebalance {
            return Err(GroupError::RebalanceInProgress);
        }
        if let Some(m) = self.members.get_mut(member) {
            m.last_heartbeat = now;
        }
        match self.committed.get_mut(topic) {
            Some(parts) => {
                parts.insert(partition, offset);
            }
            None => {
                let mut parts = LiteMap::new();
                parts.insert(partition, offset);
                self.committed.insert(topic.to_string(), parts);
            }
        }
        Ok(())
    }

    /// The committed offset (next to read) of `(topic, partition)`.
    pub fn committed(&self, topic: &str, partition: i32) -> Option<u64> {
        self.committed.get(topic)?.get(&partition).copied()
    }

    /// A new coordinator loads the group (Kafka `GroupMetadataManager`
    /// loading the `__consumer_offsets` partition it now leads, then
    /// `onGroupLoaded`): the group as last written, at the end of its last
    /// join phase. A join phase under way was never written, so it is
    /// forgotten: the members of the current generation stay, `Stable`
    /// (none: `Empty`), and members that joined only in that phase are
    /// dropped. Committed offsets were written: they stay. Every member's
    /// session starts again now (`completeAndScheduleNextHeartbeatExpiration`).
    pub fn load(&mut self, now: SimTime) {
        let gone: Vec<String> = self.members.values().filter(|m| self.generation == 0 || m.generation != self.generation).map(|m| m.id.clone()).collect();
        for id in gone {
            self.members.remove(&id);
        }
        for (_, m) in self.members.iter_mut() {
            m.last_heartbeat = now;
            m.rejoined = false;
        }
        self.join_deadline = None;
        self.initial = None;
        if self.members.is_empty() {
            self.state = GroupState::Empty;
            self.leader = None;
        } else {
            self.state = GroupState::Stable;
            if !self.leader.as_ref().is_some_and(|l| self.members.contains_key(l)) {
                self.leader = self.first_joined();
            }
        }
    }

    /// The earliest instant something happens on its own: a session
    /// expiry or the end of the join phase.
    pub fn next_deadline(&self) -> Option<SimTime> {
        let expiry = self.members.values().filter_map(|m| self.expiry(m)).min();
        match (expiry, self.join_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Applies every deadline due at or before `now`, each at its own
    /// instant, in time order (expiries before the join deadline at the
    /// same instant, members by id).
    pub fn tick(&mut self, now: SimTime, out: &mut Vec<GroupEvent>) {
        while let Some(at) = self.next_deadline() {
            if at > now {
                break;
            }
            let expired = self
                .members
                .values()
                .find(|m| self.expiry(m) == Some(at))
                .map(|m| m.id.clone());
            match expired {
                Some(id) => {
                    out.push(GroupEvent::MemberExpired { member: id.clone() });
                    let reason = RebalanceReason::Expired { member: id.clone() };
                    self.remove(at, &id, reason, out);
                }
                None => self.join_deadline_reached(at, out),
            }
        }
    }

    fn expiry(&self, m: &GroupMember) -> Option<SimTime> {
        match self.state {
            GroupState::Empty => None,
            GroupState::PreparingRebalance if m.rejoined => None,
            _ => Some(m.last_heartbeat + self.config.session_timeout),
        }
    }

    fn check_member(&self, member: &str, generation: u32) -> Result<(), GroupError> {
        if !self.members.contains_key(member) {
            return Err(GroupError::UnknownMemberId {
                member: member.to_string(),
            });
        }
        if generation != self.generation {
            return Err(GroupError::IllegalGeneration {
                generation,
                current: self.generation,
            });
        }
        Ok(())
    }

    fn add(&mut self, now: SimTime, id: &str, topics: Vec<String>) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.members.insert(
            id.to_string(),
            GroupMember {
                id: id.to_string(),
                topics,
                generation: 0,
                assignment: Vec::new(),
                last_heartbeat: now,
                rejoined: false,
                seq,
            },
        );
        if self.leader.is_none() {
            self.leader = Some(id.to_string());
        }
    }

    fn first_joined(&self) -> Option<String> {
        self.members
            .values()
            .min_by_key(|m| m.seq)
            .map(|m| m.id.clone())
    }

    fn remove(
        &mut self,
        now: SimTime,
        id: &str,
        reason: RebalanceReason,
        out: &mut Vec<GroupEvent>,
    ) {
        self.members.remove(id);
        if self.leader.as_deref() == Some(id) {
            self.leader = self.first_joined();
        }
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.start_rebalance(now, reason, out);
                self.try_complete(now, out);
            }
            GroupState::PreparingRebalance => {
                self.try_complete(now, out);
            }
            GroupState::Empty => {}
        }
    }

    fn start_rebalance(
        &mut self,
        now: SimTime,
        reason: RebalanceReason,
        out: &mut Vec<GroupEvent>,
    ) {
        out.push(GroupEvent::RebalanceStarted {
            generation: self.generation,
            reason,
        });
        for (_, m) in self.members.iter_mut() {
            m.rejoined = false;
        }
        self.state = GroupState::PreparingRebalance;
        self.join_deadline = Some(now + self.config.rebalance_timeout);
        self.initial = None;
    }

    /// `DelayedJoin.tryComplete`: everyone rejoined (never early for the
    /// initial delay).
    fn try_complete(&mut self, now: SimTime, out: &mut Vec<GroupEvent>) -> bool {
        let done = self.state == GroupState::PreparingRebalance
            && self.initial.is_none()
            && self.members.values().all(|m| m.rejoined);
        if done {
            self.complete_join(now, out);
        }
        done
    }

    fn join_deadline_reached(&mut self, at: SimTime, out: &mut Vec<GroupEvent>) {
        match self.initial {
            Some(i) if i.new_member_added && at < i.cap => {
                let next = (at + self.config.initial_rebalance_delay).min(i.cap);
                self.initial = Some(InitialDelay {
                    cap: i.cap,
                    new_member_added: false,
                });
                self.join_deadline = Some(next);
            }
            _ => self.complete_join(at, out),
        }
    }

    /// `onCompleteJoin`: drop who did not rejoin, next generation, plan.
    fn complete_join(&mut self, now: SimTime, out: &mut Vec<GroupEvent>) {
        let gone: Vec<String> = self
            .members
            .values()
            .filter(|m| !m.rejoined)
            .map(|m| m.id.clone())
            .collect();
        for id in gone {
            self.members.remove(&id);
            out.push(GroupEvent::MemberRemoved { member: id });
        }
        self.generation = self.generation.saturating_add(1);
        self.join_deadline = None;
        self.initial = None;
        if self.members.is_empty() {
            self.state = GroupState::Empty;
            self.leader = None;
            out.push(GroupEvent::GroupEmpty {
                generation: self.generation,
            });
            return;
        }
        if !self
            .leader
            .as_ref()
            .is_some_and(|l| self.members.contains_key(l))
        {
            self.leader = self.first_joined();
        }
        let plan = {
            let members: Vec<Member> = self
                .members
                .values()
                .map(|m| Member {
                    id: m.id.clone(),
                    topics: m.topics.clone(),
                    // sticky: what the member had (sarama's user data).
                    // cooperative-sticky reads OwnedPartitions, which
                    // sarama's eager group leaves empty (each session
                    // ends before the member joins again).
                    owned: if self.config.strategy == Strategy::CooperativeSticky { Vec::new() } else { m.assignment.clone() },
                })
                .collect();
            let mut counts: LiteMap<&str, u32> = LiteMap::new();
            for m in self.members.values() {
                for t in &m.topics {
                    if let Some(&n) = self.partitions.get(t) {
                        counts.insert(t, n);
                    }
                }
            }
            let counts: Vec<(&str, u32)> = counts.into_iter().collect();
            let topics = assignor::topics_with_counts(&counts);
            // Cannot fail: members are unique and non-empty, every listed
            // topic has a subscriber, partition ids are 0..n.
            assignor::plan(self.config.strategy, &members, &topics).unwrap_or_default()
        };
        let mut assignments = Vec::with_capacity(self.members.len());
        for (_, m) in self.members.iter_mut() {
            m.assignment = plan
                .get(&m.id)
                .map(|ts| {
                    ts.iter()
                        .flat_map(|(t, ps)| ps.iter().map(move |&p| (t.clone(), p)))
                        .collect()
                })
                .unwrap_or_default();
            m.generation = self.generation;
            m.rejoined = false;
            m.last_heartbeat = now;
            assignments.push((m.id.clone(), m.assignment.clone()));
        }
        self.state = GroupState::Stable;
        out.push(GroupEvent::Assigned {
            generation: self.generation,
            leader: self.leader.clone().unwrap_or_default(),
            assignments,
        });
    }
}

#[cfg(test)]
mod tests;
