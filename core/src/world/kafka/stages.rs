//! The async producer's goroutines meeting the batcher ([`super::batch`]):
//! what the world does when sarama's topic producer, partition producers,
//! broker producers and bridges (Go goroutines, `KafkaSpec::go_groups`)
//! reach a library op.
//!
//! - `KafkaRoute` (the topic producer): the partitioner picks the held
//!   message's partition, remembered for the broker producer; the goroutine
//!   goes on to that partition producer's input.
//! - `KafkaLead` (a partition producer): the broker producer it sends to,
//!   its partition's leader's at its first message, then the one the last
//!   retry of its partition named.
//! - `KafkaBatchAdd` (a broker producer): the message joins its batch and
//!   leaves Go, unless the batch is full (`waitForSpace`: it waits).
//! - `KafkaResult` (a bridge): the next response, handed over whole (the Go
//!   value is its first message); `KafkaNext` (the broker producer
//!   returning it): each next message of that response, then on.

use super::batch::{Queued, NO_ROUTE};
use super::RecInfo;
use crate::gochan::channel::GoId;
use crate::gochan::runtime::{KAFKA_ROOM, KAFKA_WAIT};
use crate::kafka::replication::BrokerId;
use crate::time::SimTime;
use crate::world::World;

impl World {
    /// Broker `broker`'s broker producer `g` of `producer` adds the message
    /// it holds to its batch (the message leaves Go), unless the batch is
    /// full: then it flushes what it can and waits for room.
    pub(in crate::world) fn kafka_batch_add(&mut self, g: GoId, producer: u16, topic: u16, broker: u16, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let b = BrokerId::from(broker);
        if b == 0 || b > kw.spec.brokers {
            return;
        }
        kw.batcher(producer).bp(b).stage = Some(g);
        let part = match kw.producers[usize::from(producer)].batcher.bps[b as usize - 1].waiting {
            Some(part) => part,
            None => {
                // The topic producer routed it (a message that was not, as
                // after a live change, gets a partition now).
                let held = self.go.gs[g as usize].held;
                let part = match held.and_then(|m| kw.routed.get(m as usize)) {
                    Some(&p) if p != NO_ROUTE => p,
                    _ => {
                        let value = held.map_or(0, |m| self.kit.ledger.msgs.get(m).value);
                        kw.choose_partition(producer, topic, value, &mut self.kit)
                    }
                };
                if let Some(slot) = held.and_then(|m| kw.routed.get_mut(m as usize)) {
                    *slot = NO_ROUTE;
                }
                kw.batcher(producer).bp(b).waiting = Some(part);
                part
            }
        };
        // A straggler: routed here before a retry moved the partition's
        // route to another broker producer. sarama's broker producer has the
        // partition in `currentRetries` and retries it at once (one retry
        // more); it goes to the new route's batch, ahead of newer records
        // (`enqueue_straggler`).
        let lead = kw.producers[usize::from(producer)].batcher.leads.get(part as usize).copied().unwrap_or(0);
        let to = if lead != 0 && lead != b && lead <= kw.spec.brokers { lead } else { b };
        if kw.would_overflow(producer, to, part) {
            // waitForSpace: send what can go; wait for room.
            kw.flush(producer, to, true, &mut self.kit);
            let Some(kw) = self.kafka.as_deref_mut() else { return };
            if kw.would_overflow(producer, to, part) {
                self.go.gs[g as usize].wait = KAFKA_WAIT | KAFKA_ROOM | b;
                return;
            }
        }
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        kw.batcher(producer).bp(b).waiting = None;
        let (value, born, producer_g) = self.go.gs[g as usize].held.map_or((0, now, g), |m| {
            let msg = self.kit.ledger.msgs.get(m);
            (msg.value, msg.produced_at, msg.producer)
        });
        let key = kw.producers[usize::from(producer)].keys.map(|k| value.rem_euclid(i64::from(k.max(1))) as u32);
        let rec = kw.recs.len() as u32;
        kw.recs.push(RecInfo { producer: producer_g, key: key.unwrap_or(super::NO_KEY), value, at: born, part });
        kw.book.produced(rec);
        kw.producers[usize::from(producer)].sent += 1;
        if to == b {
            kw.enqueue(producer, b, Queued { part, rec, tries: 0 }, &mut self.kit);
        } else {
            kw.enqueue_straggler(producer, to, Queued { part, rec, tries: 1 }, &mut self.kit);
        }
        kw.flush(producer, to, false, &mut self.kit);
        let (go, k) = (&mut self.go, &mut self.kit);
        go.kafka_added(k, g, now);
        self.kafka_deliver(producer, now);
    }

    /// Topic producer `g` of `producer` has a message: the partitioner
    /// picks its partition (remembered for the broker producer, which
    /// batches it), and `g` goes on to that partition producer's input.
    pub(in crate::world) fn kafka_route(&mut self, g: GoId, producer: u16, topic: u16, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let held = self.go.gs[g as usize].held;
        let value = held.map_or(0, |m| self.kit.ledger.msgs.get(m).value);
        let key = kw.choose_partition(producer, topic, value, &mut self.kit);
        let index = kw.parts[key as usize].index;
        if let Some(m) = held {
            let m = m as usize;
            if kw.routed.len() <= m {
                kw.routed.resize(m + 1, NO_ROUTE);
            }
            kw.routed[m] = key;
        }
        let (go, k) = (&mut self.go, &mut self.kit);
        go.kafka_routed(k, g, index, now);
    }

    /// Partition producer `g` of `producer`, for partition `index` of
    /// `topic`, has a message: it goes on to the input of the broker
    /// producer it sends to (its partition's leader's at its first message,
    /// then the one a retry last named).
    pub(in crate::world) fn kafka_lead(&mut self, g: GoId, producer: u16, topic: u16, index: u16, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let Some(&key) = kw.topic_parts.get(usize::from(topic)).and_then(|t| t.get(usize::from(index))) else { return };
        let lead = kw.producers[usize::from(producer)].batcher.leads.get(key as usize).copied().unwrap_or(0);
        let b = if lead == 0 {
            let b = kw.batch_broker(key);
            kw.batcher(producer).set_lead(key, b);
            b
        } else {
            lead
        };
        let (go, k) = (&mut self.go, &mut self.kit);
        go.kafka_routed(k, g, b - 1, now);
    }

    /// The bridge `g` of `producer`'s broker producer for `broker` waits
    /// for the next response.
    pub(in crate::world) fn kafka_result_wait(&mut self, g: GoId, producer: u16, broker: u16, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let b = BrokerId::from(broker);
        if b == 0 || b > kw.spec.brokers {
            return;
        }
        kw.batcher(producer).bp(b).bridge = Some(g);
        self.kafka_deliver(producer, now);
    }

    /// Hands the next response messages of each of `producer`'s broker
    /// producers to its bridge (if it waits), and lets a stage waiting for
    /// room go on once there is room.
    pub(super) fn kafka_deliver(&mut self, producer: u16, now: SimTime) {
        let brokers = self.kafka.as_deref().map_or(0, |kw| kw.spec.brokers);
        for b in 1..=brokers {
            loop {
                let Some(kw) = self.kafka.as_deref_mut() else { return };
                let bp = kw.producers[usize::from(producer)].batcher.bp(b);
                let Some(g) = bp.bridge else { break };
                // A response's first message stands for the response: the
                // stage takes the rest itself.
                let Some(ret) = bp.results.front().copied().filter(|r| r.first) else { break };
                bp.results.pop_front();
                bp.bridge = None;
                let r = kw.recs[ret.rec as usize];
                let (go, k) = (&mut self.go, &mut self.kit);
                go.kafka_result(k, g, r.producer, r.value, r.at, ret.result.is_ok(), now);
            }
            // A stage waiting for room tries again (waitForSpace: it sends
            // what it can, ready or not, and adds once the message fits).
            let Some(kw) = self.kafka.as_deref() else { return };
            let bp = &kw.producers[usize::from(producer)].batcher.bps[b as usize - 1];
            if let (Some(part), Some(g)) = (bp.waiting, bp.stage) {
                let gr = &self.go.gs[g as usize];
                if gr.state == crate::observe::snapshot::GState::BlockedNet && gr.wait & crate::gochan::runtime::KAFKA_WHAT == KAFKA_ROOM {
                    let topic = kw.topic_of_part(part);
                    self.kafka_batch_add(g, producer, topic, b as u16, now);
                }
            }
        }
    }

    /// Broker `broker`'s broker producer `g` of `producer` is returning a
    /// response: it takes the response's next message, or goes on once it
    /// has none left (then the bridge may hand over the next response).
    pub(in crate::world) fn kafka_next(&mut self, g: GoId, producer: u16, broker: u16, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let b = BrokerId::from(broker);
        if b == 0 || b > kw.spec.brokers {
            return;
        }
        let bp = kw.batcher(producer).bp(b);
        let next = bp.results.front().copied().filter(|r| !r.first);
        if next.is_some() {
            bp.results.pop_front();
        }
        let next = next.map(|ret| {
            let r = kw.recs[ret.rec as usize];
            (r.producer, r.value, r.at, ret.result.is_ok())
        });
        let (go, k) = (&mut self.go, &mut self.kit);
        go.kafka_next(k, g, next, now);
        if next.is_none() {
            self.kafka_deliver(producer, now);
        }
    }

    /// Batch responses (or local failures) were handled: every async
    /// producer's results and room may be waiting.
    pub(super) fn kafka_deliver_all(&mut self, now: SimTime) {
        let n = self.kafka.as_deref().map_or(0, |kw| kw.producers.len());
        for p in 0..n as u16 {
            if self.kafka.as_deref().is_some_and(|kw| kw.producers[usize::from(p)].batcher.bps.iter().any(|bp| bp.stage.is_some())) {
                self.kafka_deliver(p, now);
            }
        }
    }
}
