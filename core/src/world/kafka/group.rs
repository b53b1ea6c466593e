//! Consumer groups: sarama's `ConsumerGroup` members talking to their
//! group's coordinator ([`GroupCoordinator`], the classic protocol, eager
//! rebalancing) over the network.
//!
//! # A member, step by step (sarama `consumer_group.go`)
//! 1. `Consume` joins: `JoinGroup` to the coordinator broker. When the join
//!    phase ends the coordinator hands every member its generation and its
//!    partitions (SyncGroup folded in; see the coordinator's doc). The join
//!    has sarama's read deadline, `Net.ReadTimeout` (30 s), whatever holds
//!    it up: a cut, or the coordinator waiting up to the rebalance timeout
//!    (60 s) for a member slow to rejoin (sarama issue #2820). Then the
//!    connection closes (the join, or its answer, is lost), `Consume`
//!    returns the i/o timeout and a member whose code loops joins again at
//!    once.
//! 2. The session starts (`Setup`): each assigned partition gets one of the
//!    member's claim slots, which fetches from the committed offset (or
//!    `Consumer.Offsets.Initial` without one) and hands records to its
//!    `ConsumeClaim` goroutine; the goroutine works, then `MarkMessage`s.
//!    A member with no partition is idle (it still heartbeats).
//! 3. Every `Heartbeat.Interval` (3 s) a heartbeat, the next one only
//!    once the last is answered (sarama's heartbeat loop); every
//!    `AutoCommit.Interval` (1 s) the marked offsets are committed. A
//!    heartbeat with no answer for `Net.ReadTimeout` (30 s, a cut) is
//!    written again at once, up to `Metadata.Retry.Max` (3) times; the
//!    fourth timeout ends the session as in step 4.
//! 4. A heartbeat answered `REBALANCE_IN_PROGRESS` (or an unknown member
//!    or old generation) ends the session: the claims stop taking new
//!    records and give up their partitions (eager), the member waits until
//!    every `ConsumeClaim` has finished the record it holds, commits what
//!    was marked (`Cleanup`, final commit) and, when its code calls
//!    `Consume` in a loop, joins again. A member kicked out of the
//!    generation commits nothing (the commit would fail).
//!
//! # Faults (live commands)
//! - A member **crash**: no more heartbeats, commits or marks; what it
//!   marked since its last commit is lost, so the next owner reprocesses
//!   it (at-least-once). The coordinator removes it after the session
//!   timeout (10 s).
//! - A member **leave** (`Close()`): final commit and `LeaveGroup`, so the
//!   rebalance starts at once.
//! - A member **start**: a new process joins.
//!
//! # The coordinator's broker
//! It can fail: the group moves to another broker, and members whose
//! requests are refused or answered NOT_COORDINATOR end their sessions
//! and join there (`group_failover`).

use super::group_failover::about;
use super::{KFrame, KTimer, KafkaWorld};
use crate::kafka::group::coordinator::{GroupConfig, GroupCoordinator, GroupError, GroupEvent, RebalanceReason};
use crate::kafka::spec::{GroupSpec, TopicSpec};
use crate::observe::trace::{EventKind, NONE};
use crate::time::{SimDuration, SimTime};
use crate::world::{Kit, World};

/// Endpoint of a group member (group `g`, member `m`).
pub(super) fn member_end(g: usize, m: usize) -> u32 {
    2_000_000 + (g as u32) * 256 + m as u32
}

/// A member's timer key: `life << 16 | group << 8 | member` (the life, 8
/// bits, tells a restarted member's timers from its old ones).
pub(super) fn member_timer(g: usize, m: usize, life: u32) -> u32 {
    ((life & 0xff) << 16) | ((g as u32) << 8) | m as u32
}

/// (group, member, life) of a member's timer key ([`member_timer`]).
pub(super) fn member_of_timer(key: u32) -> (usize, usize, u32) {
    ((key >> 8 & 0xff) as usize, (key & 0xff) as usize, key >> 16)
}

/// A group protocol frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum GroupFrame {
    /// `seq`: which of the member's joins (one whose connection a read
    /// timeout closed never arrives, and its answer is lost). `b`, here and
    /// in the member's other requests: the broker it wrote to, the
    /// coordinator as its client knows it.
    Join { g: u16, m: u16, seq: u32, b: u32 },
    /// `seq`: which of the member's heartbeats (a timed-out one's
    /// connection is closed: it never arrives).
    Heartbeat { g: u16, m: u16, generation: u32, seq: u32, b: u32 },
    HeartbeatResp { g: u16, m: u16, error: Option<u8> },
    /// Marked offsets: (partition key, next offset). `seq`: which of the
    /// member's commits (one closed by a read timeout never arrives).
    Commit { g: u16, m: u16, generation: u32, offsets: Vec<(u32, u64)>, seq: u32, b: u32 },
    Leave { g: u16, m: u16, b: u32 },
    /// The end of a join phase for member `m`: its generation and
    /// partitions (partition keys), the answer to its join `seq`.
    Assigned { g: u16, m: u16, generation: u32, parts: Vec<u32>, seq: u32 },
}

/// What the trace says about a group (`aux` of `EventKind::KafkaGroup`:
/// `sub << 40 | member << 24 | generation`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GroupNote {
    Join = 1,
    RebalanceStarted = 2,
    Assigned = 3,
    SessionEnd = 4,
    Commit = 5,
    CommitFailed = 6,
    Expired = 7,
    Removed = 8,
    Crash = 9,
    Leave = 10,
    Kicked = 11,
    /// A heartbeat got no answer within `Net.ReadTimeout` (the
    /// generation field holds the try, 1 to 4).
    HeartbeatTimeout = 12,
    /// A commit got no answer within `Net.ReadTimeout`.
    CommitTimeout = 13,
    /// A JoinGroup got no answer within `Net.ReadTimeout`: `Consume`
    /// returns the i/o timeout.
    JoinTimeout = 14,
    /// The leader's partition check found a topic's partition count
    /// changed (the generation field holds `topic << 16 | new count`):
    /// its session ends.
    PartitionsChanged = 15,
    /// The group's coordinator moved (the generation field holds
    /// `old << 12 | new`; new 0: no broker can load the group).
    CoordinatorMoved = 16,
    /// A member's request found its coordinator's broker down: refused
    /// (the generation field holds `what << 12 | broker`, [`Request`]).
    CoordinatorRefused = 17,
    /// A member's request reached a broker that is no longer the group's
    /// coordinator: NOT_COORDINATOR (fields as for `CoordinatorRefused`).
    NotCoordinator = 18,
}

/// Which request of a member a `CoordinatorRefused` or `NotCoordinator`
/// note is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Request {
    Heartbeat = 1,
    Commit = 2,
    Join = 3,
    /// The commit at the end of a session (`Cleanup`) or at `Close()`:
    /// refused, what it carried is never committed.
    FinalCommit = 4,
}

impl Request {
    pub(crate) fn from_code(c: i64) -> Request {
        match c {
            1 => Request::Heartbeat,
            2 => Request::Commit,
            4 => Request::FinalCommit,
            _ => Request::Join,
        }
    }
}

impl GroupNote {
    pub(crate) fn from_code(c: i64) -> Option<GroupNote> {
        use GroupNote::*;
        [Join, RebalanceStarted, Assigned, SessionEnd, Commit, CommitFailed, Expired, Removed, Crash, Leave, Kicked, HeartbeatTimeout, CommitTimeout, JoinTimeout, PartitionsChanged, CoordinatorMoved, CoordinatorRefused, NotCoordinator].into_iter().find(|n| *n as i64 == c)
    }
}

/// One member as its sarama process sees itself.
#[derive(Clone, Debug)]
pub(crate) struct MemberState {
    pub(crate) id: String,
    /// The process runs.
    pub(crate) up: bool,
    /// In a session with this generation.
    pub(crate) session: Option<u32>,
    /// Waiting for its claims to finish before the session ends.
    pub(crate) ending: bool,
    /// Joined, waiting for the assignment.
    pub(crate) joining: bool,
    /// `Consume` returned and is not called again (`consume_loop` off).
    pub(crate) done: bool,
    /// Its claim slots (fetcher indexes).
    pub(crate) slots: Vec<u16>,
    /// Marked offsets of this session: (partition key, next offset).
    pub(crate) marked: Vec<(u32, u64)>,
    /// Marked since the last commit.
    pub(crate) dirty: bool,
    /// Bumped at every (re)start: older timers are stale.
    pub(crate) life: u32,
    pub(crate) sessions: u32,
    /// Its own handler work (`kafka_group_work` with a member), else the
    /// group's.
    pub(crate) work: Option<crate::dist::Dist>,
    /// Its process has run at some point (a member beyond `start_members`
    /// has not, until its first start).
    pub(crate) started: bool,
    /// The heartbeat waiting for its answer: (written at, seq). sarama's
    /// heartbeat loop sends the next one only after the answer.
    pub(crate) hb: Option<(SimTime, u32)>,
    /// Heartbeats written so far (the next one's `seq`).
    pub(crate) hb_seq: u32,
    /// Heartbeats in a row that got no answer within `Net.ReadTimeout`.
    pub(crate) hb_fails: u8,
    /// A heartbeat tick came while one was waiting: send at its answer.
    pub(crate) hb_due: bool,
    /// The heartbeat loop of this session gave up (4 timeouts): no more
    /// heartbeats until the next session.
    pub(crate) hb_stopped: bool,
    /// The commit waiting for its answer: (written at, seq). sarama's
    /// offset manager writes no other meanwhile.
    pub(crate) commit_out: Option<(SimTime, u32)>,
    /// Commits written so far (the next one's `seq`).
    pub(crate) commit_seq: u32,
    /// Commits below this `seq` were on connections a read timeout closed.
    pub(crate) commit_closed_below: u32,
    /// The JoinGroup waiting for its answer: (written at, seq).
    pub(crate) join_out: Option<(SimTime, u32)>,
    /// JoinGroups written so far (the next one's `seq`).
    pub(crate) join_seq: u32,
    /// Joins below this `seq` were on connections a read timeout closed.
    pub(crate) join_closed_below: u32,
    /// The coordinator's side: the `seq` of the last join it received from
    /// this member, which its `Assigned` answers.
    pub(crate) coord_join_seq: u32,
    /// When its process (and so its sarama client, whose background
    /// metadata refresh ticks from then) last started.
    pub(crate) client_since: SimTime,
    /// When its current (or last) session started: a leader's partition
    /// check ticks from then.
    pub(crate) session_since: SimTime,
    /// A leader's partition check that will find a changed count: (when,
    /// the `sessions` count it belongs to, the topic).
    pub(crate) partition_check: Option<(SimTime, u32, u16)>,
    /// The coordinator its client knows (found at its last join; 0: none
    /// yet): its heartbeats, commits and leave go there.
    pub(crate) coordinator: u32,
}

impl MemberState {
    pub(crate) fn new(id: String, slots: Vec<u16>, up: bool) -> MemberState {
        MemberState {
            id,
            up,
            session: None,
            ending: false,
            joining: false,
            done: false,
            slots,
            marked: Vec::new(),
            dirty: false,
            life: 0,
            sessions: 0,
            work: None,
            started: up,
            hb: None,
            hb_seq: 0,
            hb_fails: 0,
            hb_due: false,
            hb_stopped: false,
            commit_out: None,
            commit_seq: 0,
            commit_closed_below: 0,
            join_out: None,
            join_seq: 0,
            join_closed_below: 0,
            coord_join_seq: 0,
            client_since: SimTime::ZERO,
            session_since: SimTime::ZERO,
            partition_check: None,
            coordinator: 0,
        }
    }

    /// The process stopped or (re)started: no heartbeat, commit or join of
    /// its is waiting.
    pub(super) fn forget_heartbeats(&mut self) {
        self.hb = None;
        self.hb_fails = 0;
        self.hb_due = false;
        self.hb_stopped = false;
        self.commit_out = None;
        self.join_out = None;
    }
}

/// A group: its coordinator and its members.
#[derive(Clone, Debug)]
pub(crate) struct GroupState {
    pub(crate) coord: GroupCoordinator,
    /// The coordinator's broker (the leader of the group's
    /// `__consumer_offsets` partition; `group_failover`).
    pub(crate) broker: u32,
    /// The preferred coordinator: the preferred leader (first replica) of
    /// the group's `__consumer_offsets` partition, where the group starts
    /// and where the controller's leader balance moves it back.
    pub(crate) home: u32,
    /// The coordinator's broker was fenced and no registered broker could
    /// load the group: it has no coordinator until one registers.
    pub(crate) orphan: bool,
    pub(crate) members: Vec<MemberState>,
    pub(crate) topics: Vec<String>,
    pub(crate) heartbeat: SimDuration,
    pub(crate) commit_every: SimDuration,
    pub(crate) consume_loop: bool,
    pub(crate) rebalances: u32,
    /// The coordinator's timer is set for this instant.
    pub(crate) timer_at: Option<SimTime>,
    pub(crate) events: Vec<GroupEvent>,
}

impl GroupState {
    pub(crate) fn new(spec: &GroupSpec, broker: u32, members: Vec<MemberState>, topics: &[TopicSpec]) -> GroupState {
        let config = GroupConfig {
            session_timeout: spec.session_timeout.unwrap_or(SimDuration::from_secs(10)),
            rebalance_timeout: spec.rebalance_timeout.unwrap_or(SimDuration::from_secs(60)),
            strategy: spec.assignor.strategy(),
            ..GroupConfig::default()
        };
        let mut coord = GroupCoordinator::new(config);
        for t in topics {
            let _ = coord.set_partitions(&t.name, t.partitions);
        }
        GroupState {
            coord,
            broker,
            home: broker,
            members,
            topics: spec.topics.clone(),
            heartbeat: spec.heartbeat_interval.unwrap_or(SimDuration::from_secs(3)),
            commit_every: spec.auto_commit_interval.unwrap_or(SimDuration::from_secs(1)),
            consume_loop: spec.consume_loop,
            orphan: false,
            rebalances: 0,
            timer_at: None,
            events: Vec::new(),
        }
    }
}

pub(super) fn note(kit: &mut Kit, g: usize, m: usize, what: GroupNote, generation: u32) {
    let aux = ((what as i64) << 40) | ((m as i64) << 24) | i64::from(generation);
    kit.record(EventKind::KafkaGroup, NONE, g as u32, None, aux);
}

impl KafkaWorld {
    /// Writes `frame` to broker `b`, the coordinator as member `m` knows
    /// it; false when it is refused (the broker is down: the dial fails).
    pub(super) fn send_to_coordinator(&mut self, g: usize, m: usize, b: u32, frame: GroupFrame, kit: &mut Kit) -> bool {
        if !self.broker_up(b) {
            return false;
        }
        self.send(member_end(g, m), b, KFrame::Group(Box::new(frame)), kit);
        true
    }

    fn send_to_member(&mut self, g: usize, m: usize, frame: GroupFrame, kit: &mut Kit) {
        let b = self.groups[g].broker;
        self.send(b, member_end(g, m), KFrame::Group(Box::new(frame)), kit);
    }

    /// Member `m` calls `Consume`: it joins. The JoinGroup has sarama's
    /// read deadline, `Net.ReadTimeout` after it is written, whatever holds
    /// it up: a cut, or the coordinator waiting for the other members
    /// (up to the rebalance timeout, 60 s by default).
    ///
    /// `Consume` first finds the coordinator (FindCoordinator, folded in:
    /// the broker that leads the group's offsets partition now). If that
    /// broker is down, the join is refused ([`KafkaWorld::join_refused`]).
    pub(super) fn member_join(&mut self, g: usize, m: usize, kit: &mut Kit) {
        let now = kit.queue.now();
        let b = self.groups[g].broker;
        let ms = &mut self.groups[g].members[m];
        ms.joining = true;
        ms.coordinator = b;
        let seq = ms.join_seq;
        ms.join_seq = ms.join_seq.wrapping_add(1);
        ms.join_out = Some((now, seq));
        let key = member_timer(g, m, ms.life);
        note(kit, g, m, GroupNote::Join, self.groups[g].coord.generation());
        if self.groups[g].orphan || !self.send_to_coordinator(g, m, b, GroupFrame::Join { g: g as u16, m: m as u16, seq, b }, kit) {
            self.join_refused(g, m, b, GroupNote::CoordinatorRefused, kit);
            return;
        }
        self.schedule(kit, now + super::NET_READ_TIMEOUT, KTimer::JoinTimeout(key));
    }

    pub(super) fn start_member_timers(&mut self, g: usize, m: usize, kit: &mut Kit) {
        let now = kit.queue.now();
        let key = member_timer(g, m, self.groups[g].members[m].life);
        let (hb, ci) = (self.groups[g].heartbeat, self.groups[g].commit_every);
        self.schedule(kit, now + hb, KTimer::Heartbeat(key));
        self.schedule(kit, now + ci, KTimer::AutoCommit(key));
    }

    /// The coordinator's timer: applies its deadlines.
    fn coordinator_tick(&mut self, g: usize, kit: &mut Kit) {
        let now = kit.queue.now();
        let mut out = std::mem::take(&mut self.groups[g].events);
        self.groups[g].coord.tick(now, &mut out);
        self.coordinator_events(g, &mut out, kit);
        self.groups[g].events = out;
    }

    /// Acts on the coordinator's events and sets its next timer.
    pub(super) fn coordinator_events(&mut self, g: usize, out: &mut Vec<GroupEvent>, kit: &mut Kit) {
        let now = kit.queue.now();
        for e in out.drain(..) {
            match e {
                GroupEvent::RebalanceStarted { generation, reason } => {
                    self.groups[g].rebalances += 1;
                    let who = match &reason {
                        RebalanceReason::Join { member } | RebalanceReason::Leave { member } | RebalanceReason::Expired { member } => member.clone(),
                    };
                    let m = self.groups[g].members.iter().position(|x| x.id == who).unwrap_or(0);
                    note(kit, g, m, GroupNote::RebalanceStarted, generation);
                }
                GroupEvent::MemberExpired { member } => {
                    let m = self.groups[g].members.iter().position(|x| x.id == member).unwrap_or(0);
                    note(kit, g, m, GroupNote::Expired, self.groups[g].coord.generation());
                }
                GroupEvent::MemberRemoved { member } => {
                    let m = self.groups[g].members.iter().position(|x| x.id == member).unwrap_or(0);
                    note(kit, g, m, GroupNote::Removed, self.groups[g].coord.generation());
                }
                GroupEvent::Assigned { generation, assignments, .. } => {
                    for (member, parts) in assignments {
                        let Some(m) = self.groups[g].members.iter().position(|x| x.id == member) else { continue };
                        let keys: Vec<u32> = parts
                            .iter()
                            .filter_map(|(t, p)| self.spec.topic(t).map(|(ti, _)| self.part_key(ti, *p as u32)))
                            .collect();
                        let seq = self.groups[g].members[m].coord_join_seq;
                        self.send_to_member(g, m, GroupFrame::Assigned { g: g as u16, m: m as u16, generation, parts: keys, seq }, kit);
                    }
                }
                GroupEvent::GroupEmpty { .. } => {}
            }
        }
        if let Some(at) = self.groups[g].coord.next_deadline() {
            if self.groups[g].timer_at != Some(at) && at > now {
                self.groups[g].timer_at = Some(at);
                self.schedule(kit, at, KTimer::Coordinator(g as u32));
            }
        }
    }

    /// Member `m` gives up its partitions (eager): its claim slots stop,
    /// drop what they fetched, and ignore answers to older fetches.
    fn release_slots(&mut self, g: usize, m: usize) {
        for i in 0..self.groups[g].members[m].slots.len() {
            let fe = &mut self.fetchers[usize::from(self.groups[g].members[m].slots[i])];
            fe.active = false;
            fe.session += 1;
            fe.buffer.clear();
            fe.in_flight = false;
        }
    }

}

impl World {
    /// The Kafka world and the kit (disjoint borrows).
    pub(super) fn kafka_kit(&mut self) -> Option<(&mut KafkaWorld, &mut Kit)> {
        Some((self.kafka.as_deref_mut()?, &mut self.kit))
    }

    /// A group frame arrived (at the coordinator or at a member).
    pub(super) fn kafka_group_frame(&mut self, frame: GroupFrame, now: SimTime) {
        let Some((kw, kit)) = self.kafka_kit() else { return };
        match frame {
            GroupFrame::Join { g, m, seq, b } => {
                let (g, m) = (usize::from(g), usize::from(m));
                if seq < kw.groups[g].members[m].join_closed_below {
                    // Its member's read timeout closed the connection.
                    return;
                }
                if !kw.is_coordinator(g, b) {
                    if kw.groups[g].members[m].join_out.is_some_and(|(_, s)| s == seq) {
                        kw.join_refused(g, m, b, GroupNote::NotCoordinator, kit);
                    }
                    return;
                }
                kw.groups[g].members[m].coord_join_seq = seq;
                kw.coordinator_tick(g, kit);
                let gs = &mut kw.groups[g];
                let id = gs.members[m].id.clone();
                let topics: Vec<&str> = gs.topics.iter().map(String::as_str).collect();
                let mut out = std::mem::take(&mut gs.events);
                let outcome = gs.coord.join(now, &id, &topics, &mut out);
                kw.coordinator_events(g, &mut out, kit);
                kw.groups[g].events = out;
                if let Ok(crate::kafka::group::coordinator::JoinOutcome::Current { generation }) = outcome {
                    // Rejoined a stable group unchanged: same assignment.
                    let parts: Vec<u32> = kw.groups[g]
                        .coord
                        .member(&id)
                        .map(|x| x.assignment.iter().filter_map(|(t, p)| kw.spec.topic(t).map(|(ti, _)| kw.part_key(ti, *p as u32))).collect())
                        .unwrap_or_default();
                    kw.send_to_member(g, m, GroupFrame::Assigned { g: g as u16, m: m as u16, generation, parts, seq }, kit);
                }
            }
            GroupFrame::Heartbeat { g, m, generation, seq, b } => {
                let (g, m) = (usize::from(g), usize::from(m));
                if kw.groups[g].members[m].hb.map(|h| h.1) != Some(seq) {
                    // Its member gave up on it and closed the connection
                    // (Net.ReadTimeout): a closed connection delivers nothing.
                    return;
                }
                if !kw.is_coordinator(g, b) {
                    note(kit, g, m, GroupNote::NotCoordinator, about(Request::Heartbeat, b));
                    kw.send(b, member_end(g, m), KFrame::Group(Box::new(GroupFrame::HeartbeatResp { g: g as u16, m: m as u16, error: Some(3) })), kit);
                    return;
                }
                kw.coordinator_tick(g, kit);
                let id = kw.groups[g].members[m].id.clone();
                let error = kw.groups[g].coord.heartbeat(now, &id, generation).err().map(|e| match e {
                    GroupError::RebalanceInProgress => 1u8,
                    _ => 2u8,
                });
                kw.send_to_member(g, m, GroupFrame::HeartbeatResp { g: g as u16, m: m as u16, error }, kit);
            }
            GroupFrame::Commit { g, m, generation, offsets, seq, b } => {
                let (g, m) = (usize::from(g), usize::from(m));
                let ms = &mut kw.groups[g].members[m];
                if seq < ms.commit_closed_below {
                    // Its member's read timeout closed the connection.
                    return;
                }
                if ms.commit_out.is_some_and(|(_, s)| s == seq) {
                    ms.commit_out = None;
                }
                if !kw.is_coordinator(g, b) {
                    // NOT_COORDINATOR (the answer folded in, as for every
                    // commit): the marks go again with the next tick, if
                    // the session they belong to goes on.
                    let ms = &mut kw.groups[g].members[m];
                    let goes_on = ms.session == Some(generation) && !ms.ending;
                    if goes_on {
                        ms.dirty = true;
                    }
                    let what = if goes_on { Request::Commit } else { Request::FinalCommit };
                    note(kit, g, m, GroupNote::NotCoordinator, about(what, b));
                    return;
                }
                kw.coordinator_tick(g, kit);
                let id = kw.groups[g].members[m].id.clone();
                let mut ok = true;
                for (part, offset) in offsets {
                    let ps = &kw.parts[part as usize];
                    let topic = kw.spec.topics[usize::from(ps.topic)].name.clone();
                    ok &= kw.groups[g].coord.commit(now, &id, generation, &topic, ps.index as i32, offset).is_ok();
                }
                note(kit, g, m, if ok { GroupNote::Commit } else { GroupNote::CommitFailed }, generation);
            }
            GroupFrame::Leave { g, m, b } => {
                let (g, m) = (usize::from(g), usize::from(m));
                if !kw.is_coordinator(g, b) {
                    // NOT_COORDINATOR: the member is gone; the new
                    // coordinator removes it after its session timeout.
                    return;
                }
                kw.coordinator_tick(g, kit);
                let id = kw.groups[g].members[m].id.clone();
                let mut out = std::mem::take(&mut kw.groups[g].events);
                let _ = kw.groups[g].coord.leave(now, &id, &mut out);
                kw.coordinator_events(g, &mut out, kit);
                kw.groups[g].events = out;
            }
            GroupFrame::HeartbeatResp { g, m, error } => {
                let (g, m) = (usize::from(g), usize::from(m));
                let ms = &mut kw.groups[g].members[m];
                ms.hb = None;
                ms.hb_fails = 0;
                let refused = std::mem::take(&mut ms.hb_due) && error.is_none() && !kw.send_heartbeat(g, m, kit);
                // (The tick that came meanwhile: sarama's ticker keeps one.)
                let ms = &kw.groups[g].members[m];
                if !ms.up || (error.is_none() && !refused) || ms.session.is_none() || ms.ending {
                    return;
                }
                let kicked = error == Some(2);
                if kicked {
                    // Out of the generation: its commits would fail.
                    kw.groups[g].members[m].dirty = false;
                    note(kit, g, m, GroupNote::Kicked, kw.groups[g].members[m].session.unwrap_or(0));
                }
                self.kafka_session_end(g, m, now);
            }
            GroupFrame::Assigned { g, m, generation, parts, seq } => {
                let (g, m) = (usize::from(g), usize::from(m));
                let ms = &mut kw.groups[g].members[m];
                if ms.join_out.map(|(_, s)| s) != Some(seq) {
                    // The answer to a join its member gave up on: the
                    // connection it would come back on is closed.
                    return;
                }
                ms.join_out = None;
                self.kafka_session_start(g, m, generation, &parts, now);
            }
        }
    }

    /// The session of member `m` starts with `parts`.
    fn kafka_session_start(&mut self, g: usize, m: usize, generation: u32, parts: &[u32], now: SimTime) {
        let Some((kw, kit)) = self.kafka_kit() else { return };
        let ms = &mut kw.groups[g].members[m];
        if !ms.up || !ms.joining {
            return;
        }
        ms.joining = false;
        ms.session = Some(generation);
        ms.sessions += 1;
        ms.session_since = now;
        ms.hb_stopped = false;
        ms.marked.clear();
        ms.dirty = false;
        note(kit, g, m, GroupNote::Assigned, generation);
        let slots = kw.groups[g].members[m].slots.clone();
        let mut start = Vec::new();
        for (i, &f) in slots.iter().enumerate() {
            let fe = &mut kw.fetchers[usize::from(f)];
            fe.session += 1;
            fe.buffer.clear();
            fe.in_flight = false;
            match parts.get(i) {
                Some(&part) => {
                    let ps = &kw.parts[part as usize];
                    let topic = &kw.spec.topics[usize::from(ps.topic)].name;
                    fe.part = part;
                    fe.active = true;
                    fe.stopped = false;
                    // sarama's OffsetFetch: the committed offset, else
                    // Consumer.Offsets.Initial at the first fetch.
                    fe.offset = kw.groups[g].coord.committed(topic, ps.index as i32);
                    start.push(f);
                }
                None => fe.active = false,
            }
        }
        for f in start {
            self.kafka_fetch_next(f, now);
        }
    }

    /// Member `m`'s session ends (a rebalance): its claims stop; once
    /// none holds a record it commits and rejoins.
    pub(super) fn kafka_session_end(&mut self, g: usize, m: usize, now: SimTime) {
        let Some((kw, _)) = self.kafka_kit() else { return };
        let ms = &mut kw.groups[g].members[m];
        if ms.session.is_none() || ms.ending {
            return;
        }
        ms.ending = true;
        kw.release_slots(g, m);
        self.kafka_claim_idle(g, m, now);
    }

    /// A claim of member `m` finished its record: if the session is ending
    /// and no claim holds one, `Cleanup`, final commit, and `Consume` again.
    pub(super) fn kafka_claim_idle(&mut self, g: usize, m: usize, _now: SimTime) {
        let Some((kw, kit)) = self.kafka_kit() else { return };
        let ms = &kw.groups[g].members[m];
        if !ms.ending || !ms.up || ms.slots.iter().any(|&f| kw.fetchers[usize::from(f)].working) {
            return;
        }
        let generation = ms.session.unwrap_or(0);
        kw.commit_request(g, m, true, kit);
        let loops = kw.groups[g].consume_loop;
        let ms = &mut kw.groups[g].members[m];
        ms.ending = false;
        ms.session = None;
        note(kit, g, m, GroupNote::SessionEnd, generation);
        if loops {
            kw.member_join(g, m, kit);
        } else {
            // `Consume` returned and nobody calls it again: no heartbeats
            // from here on (the coordinator removes it).
            kw.groups[g].members[m].done = true;
        }
    }

    /// Claim goroutine `g` marked the record its slot handed over.
    pub(in crate::world) fn kafka_mark(&mut self, _g: crate::gochan::channel::GoId, f: u16, _now: SimTime) {
        let Some((kw, _)) = self.kafka_kit() else { return };
        let fe = &kw.fetchers[usize::from(f)];
        let (Some((gi, m)), Some(offset)) = (fe.member, fe.held) else { return };
        let part = fe.part;
        let ms = &mut kw.groups[usize::from(gi)].members[usize::from(m)];
        if !ms.up || ms.session.is_none() {
            return;
        }
        // MarkOffset is forward-only.
        match ms.marked.iter_mut().find(|(p, _)| *p == part) {
            Some((_, o)) if *o > offset => {}
            Some((_, o)) => *o = offset + 1,
            None => ms.marked.push((part, offset + 1)),
        }
        ms.dirty = true;
    }

    pub(super) fn kafka_coordinator_due(&mut self, g: u32, _now: SimTime) {
        let Some((kw, kit)) = self.kafka_kit() else { return };
        let g = g as usize;
        kw.groups[g].timer_at = None;
        if !kw.broker_up(kw.groups[g].broker) || kw.groups[g].orphan {
            // Its broker is down: no session expires there. The broker
            // that loads the group restarts every session.
            return;
        }
        kw.coordinator_tick(g, kit);
    }

    pub(super) fn kafka_heartbeat(&mut self, key: u32, now: SimTime) {
        let Some((kw, kit)) = self.kafka_kit() else { return };
        let (g, m, life) = member_of_timer(key);
        let Some(ms) = kw.groups.get(g).and_then(|gs| gs.members.get(m)) else { return };
        if !ms.up || ms.life & 0xff != life || ms.done {
            return;
        }
        let interval = kw.groups[g].heartbeat;
        let (in_session, waiting) = (ms.session.is_some(), ms.hb.is_some());
        let mut refused = false;
        if in_session {
            if waiting {
                kw.groups[g].members[m].hb_due = true;
            } else {
                refused = !kw.send_heartbeat(g, m, kit);
            }
        }
        kw.schedule(kit, now + interval, KTimer::Heartbeat(key));
        if refused {
            self.kafka_session_end(g, m, now);
        }
    }

    pub(super) fn kafka_auto_commit(&mut self, key: u32, now: SimTime) {
        let Some((kw, kit)) = self.kafka_kit() else { return };
        let (g, m, life) = member_of_timer(key);
        let Some(ms) = kw.groups.get(g).and_then(|gs| gs.members.get(m)) else { return };
        if !ms.up || ms.life & 0xff != life {
            return;
        }
        let interval = kw.groups[g].commit_every;
        // While a commit waits for its answer the offset manager's loop is
        // blocked: this tick is dropped.
        if !ms.ending && ms.commit_out.is_none() {
            kw.commit_request(g, m, false, kit);
        }
        kw.schedule(kit, now + interval, KTimer::AutoCommit(key));
    }

    /// Live commands on members: crash, leave (`Close()`), start.
    pub(super) fn kafka_member(&mut self, g: usize, m: usize, action: crate::command::KafkaMemberAction, now: SimTime) {
        use crate::command::KafkaMemberAction as A;
        let Some((kw, kit)) = self.kafka_kit() else { return };
        let generation = kw.groups[g].coord.generation();
        match action {
            A::Crash => {
                note(kit, g, m, GroupNote::Crash, generation);
                let ms = &mut kw.groups[g].members[m];
                ms.up = false;
                ms.forget_heartbeats();
                ms.session = None;
                ms.ending = false;
                ms.joining = false;
                ms.marked.clear();
                ms.dirty = false;
                kw.release_slots(g, m);
                // Its claims die with the process: none is handling a record.
                for f in kw.groups[g].members[m].slots.clone() {
                    kw.fetchers[usize::from(f)].working = false;
                }
            }
            A::Leave => {
                note(kit, g, m, GroupNote::Leave, generation);
                kw.commit_request(g, m, true, kit);
                let b = kw.groups[g].members[m].coordinator;
                kw.send_to_coordinator(g, m, b, GroupFrame::Leave { g: g as u16, m: m as u16, b }, kit);
                let ms = &mut kw.groups[g].members[m];
                ms.up = false;
                ms.forget_heartbeats();
                ms.session = None;
                ms.ending = false;
                ms.joining = false;
                kw.release_slots(g, m);
            }
            A::Start => {
                let ms = &mut kw.groups[g].members[m];
                ms.up = true;
                ms.forget_heartbeats();
                ms.started = true;
                ms.done = false;
                ms.life += 1;
                ms.client_since = now;
                kw.member_join(g, m, kit);
                kw.start_member_timers(g, m, kit);
            }
        }
        let _ = now;
    }
}
