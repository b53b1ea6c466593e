//! Where a group's coordinator lives, how it moves when its broker fails,
//! and what a sarama member does meanwhile.
//!
//! # Semantics
//! - **Kafka** (`GroupCoordinator`, `GroupMetadataManager`): a group's
//!   coordinator is the leader of its `__consumer_offsets` partition. The
//!   group's state (its generation, members and assignment, written at the
//!   end of each join phase) and its committed offsets are records of that
//!   partition, so when the controller elects another leader for it the
//!   new leader loads the group (`onGroupLoaded`): as last written, every
//!   member's session starting again then.
//! - **In the model** `__consumer_offsets` is not a log of its own: the
//!   group starts on the broker its spec names, and when the controller
//!   fences that broker (its session timed out after a crash or a cut from
//!   the controller, a clean stop, or a restart before its session timed
//!   out) the group moves to the next registered broker in id order, which
//!   loads it ([`GroupCoordinator::load`]: a join phase under way is
//!   forgotten). With no registered broker, the group has no coordinator
//!   until one registers. Until the fence, the crashed coordinator does
//!   nothing: no session expires there.
//! - **Moving back** (Kafka: `auto.leader.rebalance.enable`, true by
//!   default): the broker the group started on is the preferred leader of
//!   its offsets partition, so the controller's leader balance
//!   (`leader.imbalance.check.interval.seconds`, 300 s; see
//!   `faults::leader_balance`) moves the group back there once that broker
//!   runs and is registered again, and it loads the group as the failover
//!   does: one more rebalance. With the balance off, the group stays
//!   where it moved.
//! - **sarama** (`consumer_group.go`, `consumer_group_session.go`,
//!   `offset_manager.go`): a member's client keeps the coordinator it found
//!   (`client.Coordinator`, cached) and writes its heartbeats, commits and
//!   `LeaveGroup` there.
//!   - To a broker that is down the dial is refused at once. The heartbeat
//!     loop retries at once, `Metadata.Retry.Max` (3) times, all refused
//!     as fast, and then ends the session (`ErrSessionHeartbeatFailed`):
//!     its claims stop, `Cleanup`, and the final commit is refused too, so
//!     what the member marked since its last commit is read again by the
//!     next owner. A refused commit keeps the marks for the next tick.
//!   - To a running broker that no longer coordinates the group the
//!     answer is `NOT_COORDINATOR`: a heartbeat's ends the session (the
//!     heartbeat loop's `default` case); a commit's keeps the marks.
//!   - `Consume` finds the coordinator afresh (FindCoordinator) and joins
//!     there. A member whose join is refused, or answered
//!     `NOT_COORDINATOR`, tries again `Consumer.Group.Rebalance.Retry.Backoff`
//!     (2 s) later.
//!   - At the new coordinator, followers that rejoin get their generation
//!     back unchanged and the leader's rejoin starts a rebalance
//!     (`handleJoinGroup`), so a moved coordinator costs the group one
//!     rebalance.
//!
//! # Simplifications
//! - `Consume` returns the refused join's error and a member's loop calls
//!   it again at once; until the controller fences the dead broker, sarama
//!   finds the same coordinator each time, so the loop spins. The model
//!   tries every 2 s instead.
//! - A fenced broker that still runs (cut from the controller) answers
//!   `NOT_COORDINATOR` at once: a real one would go on as coordinator of a
//!   group it no longer owns until it hears otherwise.
//! - The group moves back as soon as its preferred broker is registered:
//!   Kafka waits for that replica to rejoin the offsets partition's ISR,
//!   which a returning broker does within moments (the partition is
//!   small).

use super::group::{member_timer, note, GroupNote, Request};
use super::{KTimer, KafkaWorld};
use crate::time::{SimDuration, SimTime};
use crate::world::{Kit, World};

/// sarama's `Consumer.Group.Rebalance.Retry.Backoff`.
pub(super) const REJOIN_BACKOFF: SimDuration = SimDuration::from_secs(2);

/// The generation field of a `CoordinatorRefused` or `NotCoordinator`
/// note: which request, and the broker it was written to.
pub(super) fn about(what: Request, b: u32) -> u32 {
    ((what as u32) << 12) | (b & 0xfff)
}

/// The generation field of a `CoordinatorMoved` note: from broker `old`
/// to broker `new` (0: none could load the group); `back`: the leader
/// balance moved it back to its home broker (bit 23; broker ids are at
/// most `MAX_BROKERS`, 16, so 11 bits hold `old`).
fn moved(old: u32, new: u32, back: bool) -> u32 {
    (u32::from(back) << 23) | ((old & 0x7ff) << 12) | (new & 0xfff)
}

impl KafkaWorld {
    /// Broker `b` coordinates group `g` now.
    pub(super) fn is_coordinator(&self, g: usize, b: u32) -> bool {
        let gs = &self.groups[g];
        gs.broker == b && !gs.orphan && self.broker_up(b)
    }

    /// Member `m`'s join to broker `b` was refused (`CoordinatorRefused`)
    /// or answered `NOT_COORDINATOR`: it tries again after the backoff.
    pub(super) fn join_refused(&mut self, g: usize, m: usize, b: u32, why: GroupNote, kit: &mut Kit) {
        let now = kit.queue.now();
        let ms = &mut self.groups[g].members[m];
        ms.join_out = None;
        let key = member_timer(g, m, ms.life);
        note(kit, g, m, why, about(Request::Join, b));
        self.schedule(kit, now + REJOIN_BACKOFF, KTimer::JoinRetry(key));
    }

    /// The controller fenced broker `b`: each group it coordinates moves to
    /// the next registered broker, which loads it.
    pub(super) fn move_coordinators_from(&mut self, b: u32, kit: &mut Kit) {
        let n = self.up.len() as u32;
        let next = (1..n).map(|i| (b - 1 + i) % n + 1).find(|&x| self.replicating(x));
        for g in 0..self.groups.len() {
            if self.groups[g].broker != b || self.groups[g].orphan {
                continue;
            }
            match next {
                Some(x) => self.load_group(g, x, false, kit),
                None => {
                    self.groups[g].orphan = true;
                    note(kit, g, 0, GroupNote::CoordinatorMoved, moved(b, 0, false));
                }
            }
        }
    }

    /// Broker `b` registered with the controller: a group left with no
    /// coordinator is loaded there.
    pub(super) fn adopt_orphans(&mut self, b: u32, kit: &mut Kit) {
        for g in 0..self.groups.len() {
            if self.groups[g].orphan {
                self.load_group(g, b, false, kit);
            }
        }
    }

    /// Broker `b` loads group `g` (`back`: moved home by the leader balance).
    fn load_group(&mut self, g: usize, b: u32, back: bool, kit: &mut Kit) {
        let now = kit.queue.now();
        let gs = &mut self.groups[g];
        let old = gs.broker;
        gs.broker = b;
        gs.orphan = false;
        gs.coord.load(now);
        gs.timer_at = None;
        note(kit, g, 0, GroupNote::CoordinatorMoved, moved(old, b, back));
        self.coordinator_events(g, &mut Vec::new(), kit);
        self.maybe_schedule_balance(kit);
    }

    /// Group `g`'s coordinator is not its preferred broker.
    pub(super) fn group_off_home(&self, g: usize) -> bool {
        let gs = &self.groups[g];
        !gs.orphan && gs.broker != gs.home
    }

    /// The leader balance, for the groups: each group away from its home
    /// broker moves back if that broker runs and is registered.
    pub(super) fn balance_coordinators(&mut self, kit: &mut Kit) {
        for g in 0..self.groups.len() {
            let home = self.groups[g].home;
            if self.group_off_home(g) && self.replicating(home) && self.fence_at[home as usize - 1].is_none() {
                self.load_group(g, home, true, kit);
            }
        }
    }
}

impl World {
    /// Member `m` calls `Consume` again after a refused join, if it still
    /// waits to join.
    pub(super) fn kafka_join_retry(&mut self, key: u32, _now: SimTime) {
        let Some((kw, kit)) = self.kafka_kit() else { return };
        let (g, m, life) = super::group::member_of_timer(key);
        let Some(ms) = kw.groups.get(g).and_then(|gs| gs.members.get(m)) else { return };
        if ms.up && ms.life & 0xff == life && ms.joining && ms.join_out.is_none() && !ms.done {
            kw.member_join(g, m, kit);
        }
    }
}
