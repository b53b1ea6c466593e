//! What the world's systems hand back to a goroutine blocked in one of
//! their calls (`GState::BlockedNet`): nsqd's answer to a `Publish` (OK,
//! or the error the program sees), a message a go-nsq reader takes off its
//! connection, sarama's answers to a `SendMessage` and the async
//! producer's stages, and a record a partition consumer's fetcher hands
//! on. Each answer is for a goroutine still waiting for it (a stopped run
//! or a goroutine that moved on ignores it); the goroutine then runs on at
//! the same instant.

use super::runtime::{GoRuntime, KAFKA_FETCH, KAFKA_LEAD, KAFKA_NEXT, KAFKA_RESULT, KAFKA_ROOM, KAFKA_ROUTE, KAFKA_WAIT, KAFKA_WHAT, NSQ_READ};
use crate::gochan::channel::{GoId, MsgRef};
use crate::gochan::program::Op;
use crate::observe::snapshot::GState;
use crate::observe::trace::{DropCause, EventKind, NONE};
use crate::time::SimTime;
use crate::world::Kit;

impl GoRuntime {
    /// Whether `g` still waits in one of the systems' calls, for the answer
    /// its wait word `w` says `wanted`, in a program still running: an
    /// answer for any other goroutine changes nothing.
    fn awaits(&self, k: &Kit, g: GoId, wanted: impl Fn(u32) -> bool) -> bool {
        let gr = &self.gs[g as usize];
        gr.state == GState::BlockedNet && wanted(gr.wait) && k.run.is_running()
    }

    /// `g` (its pc already past the call) runs on at once.
    fn run_on(&mut self, k: &mut Kit, g: GoId, now: SimTime) {
        self.set_state(g, GState::Runnable, now);
        self.run_goroutine(k, g, now);
    }

    /// `g` holds a new Go value from outside (a message, a record, a
    /// produce result): labelled after `producer`, timed from `at`.
    fn hold_new(&mut self, k: &mut Kit, g: GoId, producer: GoId, value: i64, at: SimTime) -> MsgRef {
        let m = k.ledger.arrived(value, producer, at);
        self.gs[g as usize].held = Some(m);
        m
    }

    /// The response to `g`'s network request came back: a `Publish`
    /// returns (its value was accepted: the message's Go journey ends in
    /// NSQ) and the goroutine runs on.
    pub(crate) fn net_reply(&mut self, k: &mut Kit, g: GoId, node: u32, now: SimTime) {
        if !self.awaits(k, g, |_| true) {
            return;
        }
        let gi = g as usize;
        let held = self.gs[gi].held.take();
        k.record(EventKind::NsqPublishOk, g, NONE, held, i64::from(node));
        if let Some(m) = held {
            k.ledger.published(m);
        }
        self.gs[gi].pc += 1;
        self.run_on(k, g, now);
    }

    /// A `Publish` of a redundant group that does not settle the value
    /// returned (`ok`: `OK`, else an error): `g` keeps its value for the
    /// next node and runs on.
    pub(crate) fn net_reply_keep(&mut self, k: &mut Kit, g: GoId, node: u32, ok: bool, now: SimTime) {
        if !self.awaits(k, g, |w| w == node) {
            return;
        }
        let gi = g as usize;
        let kind = if ok { EventKind::NsqPublishOk } else { EventKind::NsqPublishFailed };
        k.record(kind, g, NONE, self.gs[gi].held, i64::from(node));
        self.gs[gi].pc += 1;
        self.run_on(k, g, now);
    }

    /// The last `Publish` of a redundant group failed, but an earlier one
    /// returned `OK`: the value is published all the same.
    pub(crate) fn net_fail_published(&mut self, k: &mut Kit, g: GoId, node: u32, now: SimTime) {
        if !self.awaits(k, g, |w| w == node) {
            return;
        }
        let gi = g as usize;
        let held = self.gs[gi].held.take();
        k.record(EventKind::NsqPublishFailed, g, NONE, held, i64::from(node));
        if let Some(m) = held {
            k.ledger.published(m);
        }
        self.gs[gi].pc += 1;
        self.run_on(k, g, now);
    }

    /// `g`'s `Publish` to `node` failed (connection closed or refused):
    /// it returns an error, the value is lost, the goroutine runs on.
    pub(crate) fn net_fail(&mut self, k: &mut Kit, g: GoId, node: u32, now: SimTime) {
        if !self.awaits(k, g, |w| w == node) {
            return;
        }
        let gi = g as usize;
        k.record(EventKind::NsqPublishFailed, g, NONE, self.gs[gi].held, i64::from(node));
        k.ledger.drop_held(&mut self.gs[gi], g, DropCause::PublishFailed, now);
        self.gs[gi].pc += 1;
        self.run_on(k, g, now);
    }

    /// A message arrived for `g`, a connection reader waiting in
    /// `NsqRead`: it holds it as a new Go value (labelled after its
    /// publisher, timed from its publish) and runs on. Returns the value,
    /// or `None` if `g` was not waiting.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn net_message(&mut self, k: &mut Kit, g: GoId, producer: GoId, value: i64, published: SimTime, attempts: u16, now: SimTime) -> Option<MsgRef> {
        if !self.awaits(k, g, |w| w & NSQ_READ != 0) {
            return None;
        }
        let m = self.hold_new(k, g, producer, value, published);
        k.record(EventKind::NsqMessage, g, NONE, Some(m), i64::from(attempts));
        self.gs[g as usize].pc += 1;
        self.run_on(k, g, now);
        Some(m)
    }

    /// The response to `g`'s Kafka produce request came back (`ok`, or an
    /// error): its `SendMessage` returns, the value acked, or dropped.
    pub(crate) fn kafka_reply(&mut self, k: &mut Kit, g: GoId, ok: bool, aux: i64, partition: u32, now: SimTime) {
        if !self.awaits(k, g, |w| w & KAFKA_WAIT != 0 && w & NSQ_READ == 0) {
            return;
        }
        let gi = g as usize;
        let pc = self.gs[gi].pc as usize;
        if !matches!(self.gs[gi].prog.ops.get(pc), Some(Op::KafkaProduce { .. })) {
            return;
        }
        let held = self.gs[gi].held;
        if ok {
            k.record(EventKind::KafkaAcked, g, partition, held, aux);
            if let Some(m) = self.gs[gi].held.take() {
                k.ledger.published(m);
            }
        } else {
            k.record(EventKind::KafkaSendFailed, g, partition, held, aux);
            k.ledger.drop_held(&mut self.gs[gi], g, DropCause::ProduceFailed, now);
        }
        self.gs[gi].pc += 1;
        self.run_on(k, g, now);
    }

    /// The world took the message async producer stage `g` holds into a
    /// batch (it left Go for Kafka): the stage goes on.
    pub(crate) fn kafka_added(&mut self, k: &mut Kit, g: GoId, now: SimTime) {
        if !self.awaits(k, g, |w| w & KAFKA_WHAT == KAFKA_ROOM) {
            return;
        }
        let gi = g as usize;
        if let Some(m) = self.gs[gi].held.take() {
            k.ledger.published(m);
        }
        self.gs[gi].pc += 1;
        self.run_on(k, g, now);
    }

    /// The partitioner gave the message topic producer `g` holds to
    /// partition case `case`: it goes on at that case's send.
    pub(crate) fn kafka_routed(&mut self, k: &mut Kit, g: GoId, case: u32, now: SimTime) {
        if !self.awaits(k, g, |w| matches!(w & KAFKA_WHAT, KAFKA_ROUTE | KAFKA_LEAD)) {
            return;
        }
        self.gs[g as usize].pc += 1 + 2 * case;
        self.run_on(k, g, now);
    }

    /// A message of a produce response came for `g`, an async producer's
    /// bridge waiting in `KafkaResult`: it holds it as a new Go value
    /// (labelled after its producer, timed from its send), marked failed
    /// unless `ok`, and runs on.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn kafka_result(&mut self, k: &mut Kit, g: GoId, producer: GoId, value: i64, sent: SimTime, ok: bool, now: SimTime) {
        if !self.awaits(k, g, |w| w & KAFKA_WHAT == KAFKA_RESULT) {
            return;
        }
        let m = self.hold_new(k, g, producer, value, sent);
        if !ok {
            k.failed_produce.push(m);
        }
        self.gs[g as usize].pc += 1;
        self.run_on(k, g, now);
    }

    /// `g`, a broker producer in `KafkaNext`, returns the next message of
    /// its response (`Some`: held as a new Go value, labelled after its
    /// producer and timed from its send, marked failed unless ok; it goes
    /// back to the op's `again`), or the response is done (`None`: it goes
    /// on).
    pub(crate) fn kafka_next(&mut self, k: &mut Kit, g: GoId, next: Option<(GoId, i64, SimTime, bool)>, now: SimTime) {
        if !self.awaits(k, g, |w| w & KAFKA_WHAT == KAFKA_NEXT) {
            return;
        }
        let gi = g as usize;
        match (next, &self.gs[gi].prog.ops[self.gs[gi].pc as usize]) {
            (Some((producer, value, sent, ok)), &Op::KafkaNext { again, .. }) => {
                let m = self.hold_new(k, g, producer, value, sent);
                if !ok {
                    k.failed_produce.push(m);
                }
                self.gs[gi].pc = again;
            }
            _ => self.gs[gi].pc += 1,
        }
        self.run_on(k, g, now);
    }

    /// A record came for `g`, a fetcher waiting in `KafkaFetch`: it holds
    /// it as a new Go value (labelled after its producer, timed from its
    /// produce) and runs on. `None` if `g` was not waiting.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn kafka_record(&mut self, k: &mut Kit, g: GoId, producer: GoId, value: i64, produced: SimTime, partition: u32, offset: u64, now: SimTime) -> Option<MsgRef> {
        if !self.awaits(k, g, |w| w & KAFKA_WAIT != 0 && w & KAFKA_WHAT == KAFKA_FETCH && w & NSQ_READ == 0) {
            return None;
        }
        let m = self.hold_new(k, g, producer, value, produced);
        k.record(EventKind::KafkaFetched, g, partition, Some(m), offset as i64);
        self.gs[g as usize].pc += 1;
        self.run_on(k, g, now);
        Some(m)
    }
}
