//! A group member's requests across a cut: sarama's `Net.ReadTimeout`
//! (30 s) for its heartbeats and its offset commits.
//!
//! # Semantics
//! - **Heartbeats** (sarama `consumer_group_session.go`, `heartbeatLoop`):
//!   one at a time, the next tick only after the answer. A heartbeat with
//!   no answer for 30 s fails: the connection closes (the heartbeat never
//!   arrives) and the next one is written at once, up to
//!   `Metadata.Retry.Max` (3) more times; after the fourth timeout the loop
//!   ends the session itself (the claims stop, `Cleanup`, and `Consume`
//!   joins again) and writes no more heartbeats in it.
//! - **Commits** (sarama `offset_manager.go`, `mainLoop` and
//!   `flushToBroker`): the offset manager commits from its loop and waits
//!   for the answer, so while a commit waits no other auto-commit is
//!   written (the ticks meanwhile are dropped). With no answer for 30 s
//!   the connection closes (the commit never arrives: the coordinator
//!   drops it) and the marked offsets stay to commit, so the next tick
//!   writes them again: across a lasting cut, one commit every 30 s.
//! - Timers are set only for requests written into a cut or stopped by
//!   one, so runs without cuts are unchanged. A commit counts as answered
//!   when it reaches the coordinator (the model sends no commit response).
//! - A crash of the coordinator's broker breaks the requests waiting for
//!   it, but an answer it had written still arrives: a broken heartbeat
//!   ends the session (sarama's loop tries again at once and is refused),
//!   a broken join is refused (`Consume` returns the error), a lost
//!   commit's marks go again; what a member writes to it next is refused
//!   (`group_failover`).

use super::group::{member_end, member_of_timer, member_timer, note, GroupFrame, GroupNote, Request};
use super::group_failover::about;
use super::{KTimer, KafkaWorld, NET_READ_TIMEOUT, RETRY_MAX};
use crate::time::SimTime;
use crate::world::{Kit, World};

impl KafkaWorld {
    /// Member `m` writes a heartbeat; across a cut it gets a read deadline.
    /// False when its coordinator's broker is down: sarama's heartbeat loop
    /// tries again at once, `Metadata.Retry.Max` (3) times, each refused
    /// as fast, and then ends the session: the caller ends it.
    #[must_use]
    pub(super) fn send_heartbeat(&mut self, g: usize, m: usize, kit: &mut Kit) -> bool {
        let now = kit.queue.now();
        let ms = &mut self.groups[g].members[m];
        let Some(generation) = ms.session.filter(|_| !ms.hb_stopped) else { return true };
        let seq = ms.hb_seq;
        ms.hb_seq = ms.hb_seq.wrapping_add(1);
        ms.hb = Some((now, seq));
        let (key, b) = (member_timer(g, m, ms.life), ms.coordinator);
        if !self.send_to_coordinator(g, m, b, GroupFrame::Heartbeat { g: g as u16, m: m as u16, generation, seq, b }, kit) {
            let ms = &mut self.groups[g].members[m];
            ms.hb = None;
            ms.hb_due = false;
            note(kit, g, m, GroupNote::CoordinatorRefused, about(Request::Heartbeat, b));
            return false;
        }
        self.read_deadline(kit, member_end(g, m), b, now, KTimer::HeartbeatTimeout(key));
        true
    }

    /// Broker `b` crashed: the members' requests waiting for it break with
    /// its connections, but for those whose answer it had written (a
    /// heartbeat's, a join's `Assigned`): that answer still arrives.
    /// - A lost commit's marks go again with the next tick (sarama's
    ///   offset manager counts them committed only when answered).
    /// - A broken join is refused at once ([`KafkaWorld::join_refused`]):
    ///   `Consume` returns the error and is called again after the backoff.
    /// - A broken heartbeat: sarama's heartbeat loop closes the connection
    ///   and tries again at once, refused each time, and ends the session.
    ///   Those members are returned, with a session to end; the caller
    ///   ends it.
    pub(super) fn group_requests_lost_to(&mut self, b: u32, kit: &mut Kit) -> Vec<(usize, usize)> {
        let mut ended = Vec::new();
        for g in 0..self.groups.len() {
            for m in 0..self.groups[g].members.len() {
                if self.groups[g].members[m].coordinator != b {
                    continue;
                }
                // Its answers on their way from the crashed broker.
                let (mut hb_answered, mut assigned) = (false, None);
                if let Some(&l) = self.link_ids.get(&(b, member_end(g, m))) {
                    for f in self.links[l as usize].frames() {
                        if let super::KFrame::Group(f) = f {
                            match **f {
                                GroupFrame::HeartbeatResp { .. } => hb_answered = true,
                                GroupFrame::Assigned { seq, .. } => assigned = Some(seq),
                                _ => {}
                            }
                        }
                    }
                }
                let ms = &mut self.groups[g].members[m];
                if ms.commit_out.take().is_some() && ms.session.is_some() {
                    ms.dirty = true;
                }
                if ms.hb.is_some() && !hb_answered {
                    ms.hb = None;
                    ms.hb_due = false;
                    if ms.up && ms.session.is_some() && !ms.ending {
                        note(kit, g, m, GroupNote::CoordinatorRefused, about(Request::Heartbeat, b));
                        ended.push((g, m));
                    }
                }
                if ms.joining && ms.join_out.is_some_and(|(_, s)| Some(s) != assigned) {
                    self.join_refused(g, m, b, GroupNote::CoordinatorRefused, kit);
                }
            }
        }
        ended
    }

    /// Member `m` writes a commit of what it marked (if anything changed
    /// since its last one); across a cut it gets a read deadline. `last`:
    /// the session's final commit (`Cleanup`, or `Close()`).
    pub(super) fn commit_request(&mut self, g: usize, m: usize, last: bool, kit: &mut Kit) {
        let now = kit.queue.now();
        let ms = &mut self.groups[g].members[m];
        let (Some(generation), true) = (ms.session, ms.dirty) else { return };
        ms.dirty = false;
        let seq = ms.commit_seq;
        ms.commit_seq = ms.commit_seq.wrapping_add(1);
        ms.commit_out = Some((now, seq));
        let (key, b) = (member_timer(g, m, ms.life), ms.coordinator);
        let offsets = ms.marked.clone();
        if !self.send_to_coordinator(g, m, b, GroupFrame::Commit { g: g as u16, m: m as u16, generation, offsets, seq, b }, kit) {
            // Refused (its coordinator's broker is down): the marks go
            // again with the next tick, unless this was the last one.
            let ms = &mut self.groups[g].members[m];
            ms.commit_out = None;
            ms.dirty = true;
            note(kit, g, m, GroupNote::CoordinatorRefused, about(if last { Request::FinalCommit } else { Request::Commit }, b));
            return;
        }
        self.read_deadline(kit, member_end(g, m), b, now, KTimer::CommitTimeout(key));
    }
}

impl World {
    /// Member `m`'s heartbeat may have passed its read deadline (a cut):
    /// sarama closes the connection and tries again at once, up to
    /// `Metadata.Retry.Max` (3) more times; then the heartbeat loop ends
    /// the session itself (its claims stop, `Cleanup`, and `Consume` joins
    /// again).
    pub(super) fn kafka_heartbeat_timeout(&mut self, key: u32, now: SimTime) {
        let Some((kw, kit)) = self.kafka_kit() else { return };
        let (g, m, life) = member_of_timer(key);
        let Some(ms) = kw.groups.get_mut(g).and_then(|gs| gs.members.get_mut(m)) else { return };
        if !ms.up || ms.life & 0xff != life || ms.hb.is_none_or(|(at, _)| at + NET_READ_TIMEOUT > now) {
            return;
        }
        ms.hb = None;
        ms.hb_due = false;
        ms.hb_fails += 1;
        let tries = ms.hb_fails;
        note(kit, g, m, GroupNote::HeartbeatTimeout, u32::from(tries));
        if tries > RETRY_MAX {
            let ms = &mut kw.groups[g].members[m];
            ms.hb_fails = 0;
            ms.hb_stopped = true;
            self.kafka_session_end(g, m, now);
        } else if kw.groups[g].members[m].session.is_some() && !kw.groups[g].members[m].ending && !kw.send_heartbeat(g, m, kit) {
            self.kafka_session_end(g, m, now);
        }
    }

    /// Member `m`'s JoinGroup may have passed its read deadline: the
    /// connection closes (the join never arrives if it had not; its answer
    /// never comes back if it had) and `Consume` returns the i/o timeout.
    /// A member whose code calls `Consume` in a loop joins again at once;
    /// otherwise it stays out of the group.
    pub(super) fn kafka_join_timeout(&mut self, key: u32, now: SimTime) {
        let Some((kw, kit)) = self.kafka_kit() else { return };
        let (g, m, life) = member_of_timer(key);
        let Some(ms) = kw.groups.get_mut(g).and_then(|gs| gs.members.get_mut(m)) else { return };
        let Some((_, seq)) = ms.join_out.filter(|&(at, _)| ms.up && ms.joining && ms.life & 0xff == life && at + NET_READ_TIMEOUT <= now) else { return };
        ms.join_out = None;
        ms.join_closed_below = seq.wrapping_add(1);
        ms.joining = false;
        note(kit, g, m, GroupNote::JoinTimeout, kw.groups[g].coord.generation());
        if kw.groups[g].consume_loop {
            kw.member_join(g, m, kit);
        } else {
            kw.groups[g].members[m].done = true;
        }
    }

    /// Member `m`'s commit may have passed its read deadline (a cut): the
    /// connection closes, so it never arrives, and its offsets go again
    /// with the next auto-commit.
    pub(super) fn kafka_commit_timeout(&mut self, key: u32, now: SimTime) {
        let Some((kw, kit)) = self.kafka_kit() else { return };
        let (g, m, life) = member_of_timer(key);
        let Some(ms) = kw.groups.get_mut(g).and_then(|gs| gs.members.get_mut(m)) else { return };
        let Some((_, seq)) = ms.commit_out.filter(|&(at, _)| ms.up && ms.life & 0xff == life && at + NET_READ_TIMEOUT <= now) else { return };
        ms.commit_out = None;
        ms.commit_closed_below = seq.wrapping_add(1);
        ms.dirty = true;
        // Generation 0: out of a session (its final commit): the marks go
        // with the session.
        let generation = ms.session.unwrap_or(0);
        note(kit, g, m, GroupNote::CommitTimeout, generation);
    }
}
