//! Consuming: a partition consumer's fetcher asks the leader for records
//! below the high watermark and hands them, one at a time, to its fetcher
//! goroutine, which pushes each into the partition's `Messages()` channel.
//!
//! - The start offset is resolved at the first fetch: `newest` is the high
//!   watermark then (sarama's `OffsetNewest`: only records produced from
//!   now on), `oldest` the log start offset, or an absolute offset.
//! - A fetch at an offset below the log start or above the log end is
//!   answered `OFFSET_OUT_OF_RANGE`: sarama's partition consumer then
//!   shuts down (its handler's `range` ends when `Messages()` closes).
//! - A fetch to a broker that is no longer the leader (or is down) fails;
//!   the fetcher retries after `Consumer.Retry.Backoff` (2 s) with the
//!   leader of then.

use super::{client, KFrame, KTimer, KafkaError, KafkaWorld, Parked, CONSUMER_RETRY, FETCHER_END, FETCH_MAX, FETCH_WAIT, NET_READ_TIMEOUT};
use crate::gochan::channel::GoId;
use crate::gochan::runtime::{KAFKA_FETCH, KAFKA_WAIT};
use crate::kafka::replication::BrokerId;
use crate::kafka::spec::OffsetSpec;
use crate::observe::trace::{EventKind, NONE};
use crate::time::SimTime;
use crate::world::{Kit, World};

impl World {
    /// Fetcher goroutine `g` of fetcher `f` waits for its next record.
    pub(in crate::world) fn kafka_fetch_wait(&mut self, g: GoId, f: u16, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let Some(fe) = kw.fetchers.get_mut(usize::from(f)) else { return };
        fe.waiting = Some(g);
        fe.goroutine = Some(g);
        fe.held = None;
        if fe.working {
            fe.working = false;
            if let Some((gi, m)) = fe.member {
                // A claim done with its record: its member's session may
                // now end (it waited for every claim to return).
                self.kafka_claim_idle(usize::from(gi), usize::from(m), now);
                let Some(kw) = self.kafka.as_deref_mut() else { return };
                if !kw.fetchers[usize::from(f)].active {
                    return;
                }
            }
        }
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let fe = &mut kw.fetchers[usize::from(f)];
        if fe.stopped && fe.member.is_none() && fe.buffer.is_empty() {
            // Shut down (OFFSET_OUT_OF_RANGE): the fetcher closes
            // `Messages()` as it leaves.
            return self.kafka_close_messages(f);
        }
        if fe.buffer.is_empty() {
            self.kafka_fetch_next(f, now);
        } else {
            self.kafka_hand_over(f, now);
        }
    }

    /// Sends fetcher `f`'s next fetch to the leader, unless one is out or
    /// the fetcher stopped.
    pub(super) fn kafka_fetch_next(&mut self, f: u16, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let fe = &kw.fetchers[usize::from(f)];
        if fe.in_flight || fe.stopped || !fe.active {
            return;
        }
        let part = fe.part;
        let ps = &kw.parts[part as usize];
        let leader = ps.repl.leader().filter(|&b| kw.broker_up(b));
        let g = fe.waiting;
        if let Some(g) = g {
            self.go.gs[g as usize].wait = KAFKA_WAIT | KAFKA_FETCH | leader.unwrap_or(0);
        }
        let Some(leader) = leader else {
            kw.fetchers[usize::from(f)].in_flight = true;
            kw.schedule(&mut self.kit, now + CONSUMER_RETRY, KTimer::FetchRetry(f));
            return;
        };
        let offset = match fe.offset {
            Some(o) => o,
            None => {
                let log = ps.leader_log().expect("a live leader has a log");
                let o = match fe.initial {
                    OffsetSpec::Newest => ps.repl.high_watermark(),
                    OffsetSpec::Oldest => log.log_start_offset(),
                    OffsetSpec::At(n) => n,
                };
                kw.fetchers[usize::from(f)].offset = Some(o);
                o
            }
        };
        let fe = &mut kw.fetchers[usize::from(f)];
        fe.in_flight = true;
        fe.sent = Some((now, leader));
        let session = fe.session;
        let from = client(FETCHER_END + u32::from(f));
        kw.send(from, leader, KFrame::Fetch { f, session, leader, part, offset }, &mut self.kit);
        kw.read_deadline(&mut self.kit, from, leader, now, KTimer::FetchTimeout(f));
    }

    /// Fetcher `f`'s fetch may have passed its read deadline: no answer
    /// for `Net.ReadTimeout` since it was written (a cut link). sarama's
    /// broker consumer closes the connection (the answer on its way never
    /// arrives) and the partition consumer tries again, with the leader of
    /// then, after `Consumer.Retry.Backoff`.
    pub(super) fn kafka_fetch_timeout(&mut self, f: u16, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let Some(fe) = kw.fetchers.get_mut(usize::from(f)) else { return };
        let Some((_, leader)) = fe.sent.filter(|&(at, _)| at + NET_READ_TIMEOUT <= now) else { return };
        fe.sent = None;
        if !fe.in_flight || !fe.active || fe.stopped {
            return;
        }
        fe.session += 1;
        let (g, part) = (fe.goroutine.unwrap_or(NONE), fe.part);
        self.kit.record(EventKind::KafkaReadTimeout, g, part, None, i64::from(leader) | super::READ_TIMEOUT_FETCH);
        kw.schedule(&mut self.kit, now + CONSUMER_RETRY, KTimer::FetchRetry(f));
    }


    /// A fetch response arrived for fetcher `f`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn kafka_fetch_data(&mut self, f: u16, session: u32, part: u32, from: u64, recs: &[u32], error: Option<KafkaError>, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let Some(fe) = kw.fetchers.get_mut(usize::from(f)) else { return };
        if fe.part != part || fe.session != session {
            return;
        }
        fe.in_flight = false;
        fe.sent = None;
        // A partition consumer shut down (OFFSET_OUT_OF_RANGE) takes
        // nothing more: a second fetch of the same session (sent again
        // after a broker crash while the first was out) may still answer.
        if !fe.active || fe.stopped {
            return;
        }
        match error {
            Some(KafkaError::OffsetOutOfRange) if fe.member.is_some() => {
                // A group resets to Consumer.Offsets.Initial
                // (ResetInvalidOffsets): newest silently skips the records
                // in between.
                let ps = &kw.parts[part as usize];
                let old = fe.offset.unwrap_or(0);
                let new = match (fe.initial, ps.leader_log()) {
                    (OffsetSpec::Oldest, Some(log)) => log.log_start_offset(),
                    _ => ps.repl.high_watermark(),
                };
                fe.offset = Some(new);
                self.kit.record(EventKind::KafkaOutOfRange, NONE, part, None, old as i64);
                kw.book.skipped(new.saturating_sub(old));
                self.kafka_fetch_next(f, now);
                return;
            }
            Some(KafkaError::OffsetOutOfRange) => {
                fe.stopped = true;
                let offset = fe.offset.unwrap_or(0);
                self.kit.record(EventKind::KafkaOutOfRange, NONE, part, None, offset as i64);
                // sarama shuts the partition consumer down: its goroutine
                // closes `Messages()` (once it is back from pushing the
                // record it holds) and the handler's range ends.
                if fe.waiting.is_some() {
                    self.kafka_close_messages(f);
                }
                return;
            }
            Some(_) => {
                fe.in_flight = true;
                kw.schedule(&mut self.kit, now + CONSUMER_RETRY, KTimer::FetchRetry(f));
                return;
            }
            None => {}
        }
        if fe.offset != Some(from) && !recs.is_empty() && fe.offset.is_some_and(|o| o > from) {
            // A late answer to a fetch already covered: ignore the overlap.
        }
        let start = fe.offset.unwrap_or(from);
        for (i, &r) in recs.iter().enumerate() {
            let o = from + i as u64;
            if o >= start {
                fe.buffer.push_back((r, o, kw.recs[r as usize]));
            }
        }
        if let Some(&(_, last, _)) = fe.buffer.back() {
            fe.offset = Some(last + 1);
        }
        if fe.buffer.is_empty() {
            // Nothing yet (the leader held the fetch for MaxWaitTime): again.
            self.kafka_fetch_next(f, now);
        } else {
            self.kafka_hand_over(f, now);
        }
    }

    /// The fetcher's goroutine, if it waits, takes the oldest record.
    fn kafka_hand_over(&mut self, f: u16, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let fe = &mut kw.fetchers[usize::from(f)];
        let (Some(g), Some(&(rec, offset, info))) = (fe.waiting, fe.buffer.front()) else { return };
        let part = fe.part;
        let consumer = fe.consumer;
        let (go, k) = (&mut self.go, &mut self.kit);
        let handed = go.kafka_record(k, g, info.producer, info.value, info.at, part, offset, now);
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let fe = &mut kw.fetchers[usize::from(f)];
        fe.waiting = None;
        if handed.is_some() {
            fe.buffer.pop_front();
            fe.consumed += 1;
            fe.held = Some(offset);
            fe.working = true;
            if kw.book.consumed(usize::from(consumer), rec) {
                self.kit.record(EventKind::KafkaDuplicate, g, part, None, offset as i64);
            }
            let Some(kw) = self.kafka.as_deref_mut() else { return };
            if info.key != super::NO_KEY {
                kw.book.key_order(usize::from(consumer), info.producer, info.key, rec);
            }
            if let Some(l) = kw.e2e_window.get_mut(usize::from(consumer)) {
                l.record((now - info.at).as_micros());
            }
            if kw.fetchers[usize::from(f)].buffer.is_empty() {
                // Prefetch the next batch while the record is handled.
                self.kafka_fetch_next(f, now);
            }
        }
    }

    /// Closes fetcher `f`'s `Messages()` channel (its partition consumer
    /// shut down).
    fn kafka_close_messages(&mut self, f: u16) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        if std::mem::replace(&mut kw.fetchers[usize::from(f)].closed, true) {
            return;
        }
        let fe = &kw.fetchers[usize::from(f)];
        let c = &kw.spec.consumers[usize::from(fe.consumer)];
        let p = kw.parts[fe.part as usize].index;
        let name = c.messages(p);
        if let Ok(ch) = self.go.chan_id(&name) {
            let now = self.now();
            let (go, k) = (&mut self.go, &mut self.kit);
            go.close_channel(k, ch, None, now);
        }
    }

    /// Consumer fetches held at `part`'s leader are answered if the HW now
    /// passes their offset.
    pub(super) fn kafka_wake_fetches(&mut self, part: u32, _now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        kw.answer_fetches(part, false, &mut self.kit);
    }
}

impl KafkaWorld {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn fetch_reply(&mut self, leader: BrokerId, f: u16, session: u32, part: u32, from: u64, error: Option<KafkaError>, kit: &mut Kit) {
        let mut recs = self.take_recs();
        if let (None, Some(log)) = (error, self.parts[part as usize].leader_log()) {
            let hw = self.parts[part as usize].repl.high_watermark();
            let n = (hw.saturating_sub(from) as usize).min(FETCH_MAX);
            if let Ok(it) = log.read(from, n) {
                recs.extend(it.map(|r| r.payload as u32));
            }
        }
        self.send(leader, client(FETCHER_END + u32::from(f)), KFrame::FetchData { f, session, part, from, recs, error }, kit);
    }

    /// A consumer fetch arrived at `leader`.
    pub(super) fn on_fetch(&mut self, f: u16, session: u32, leader: BrokerId, part: u32, offset: u64, kit: &mut Kit) {
        let now = kit.queue.now();
        if !self.broker_up(leader) {
            return;
        }
        let ps = &mut self.parts[part as usize];
        if ps.repl.leader() != Some(leader) {
            return self.fetch_reply(leader, f, session, part, offset, Some(KafkaError::NotLeader), kit);
        }
        let log = ps.leader_log().expect("leader has a log");
        if offset < log.log_start_offset() || offset > log.leo() {
            return self.fetch_reply(leader, f, session, part, offset, Some(KafkaError::OffsetOutOfRange), kit);
        }
        if offset < ps.repl.high_watermark() {
            return self.fetch_reply(leader, f, session, part, offset, None, kit);
        }
        ps.parked_fetches.push(Parked { who: u32::from(f), offset, epoch: session, since: now });
        self.rearm(part, super::FETCH_TIMER, Some(now + FETCH_WAIT), kit);
    }

    /// Held consumer fetches: those the HW now covers, and with `expired`
    /// those held for `MaxWaitTime` (answered empty).
    pub(super) fn answer_fetches(&mut self, part: u32, expired: bool, kit: &mut Kit) {
        let now = kit.queue.now();
        let ps = &mut self.parts[part as usize];
        if ps.parked_fetches.is_empty() {
            return;
        }
        let Some(leader) = ps.repl.leader() else { return };
        let hw = ps.repl.high_watermark();
        let ready = |p: &Parked| p.offset < hw || (expired && p.since + FETCH_WAIT <= now);
        let mut due = std::mem::take(&mut self.parked_scratch);
        due.clear();
        due.extend(ps.parked_fetches.iter().copied().filter(ready));
        ps.parked_fetches.retain(|p| !ready(p));
        for p in &due {
            self.fetch_reply(leader, p.who as u16, p.epoch, part, p.offset, None, kit);
        }
        self.parked_scratch = due;
    }

    pub(super) fn fetch_wait_due(&mut self, part: u32, kit: &mut Kit) {
        self.answer_fetches(part, true, kit);
    }
}
