//! An async producer's batches: sarama's `brokerProducer` (one per broker)
//! and its partition muter, with the network's responses handed back to Go.
//! What its goroutines' ops do to this state is in `stages.rs`.
//!
//! # What sarama does (async_producer.go, read at bd98b3ae)
//! - The broker stage adds each message to the **accumulating batch** of
//!   the broker that leads its partition (`accumulatingBatch.add`).
//! - The batch is sent when it is **ready to flush** (`readyToFlush`): at
//!   once when `Flush.Messages`, `Flush.Bytes` and `Flush.Frequency` are
//!   all 0 (the default); otherwise once it holds `Flush.Messages`
//!   messages or `Flush.Bytes` bytes, or `Flush.Frequency` after its first
//!   message (`timerFired`).
//! - **One batch in flight per partition** (`partitionMuter`, mirroring
//!   Java's `RecordAccumulator`): a flush takes only the partitions with
//!   no batch in flight or waiting to be retried; the others stay in the
//!   accumulating batch. So a retry never reorders a partition.
//! - Requests are **pipelined**: up to `Net.MaxOpenRequests` (5) per
//!   broker connection (`AsyncProduce`); one request carries every
//!   partition taken for that broker.
//! - A message that would **overflow** the batch (`wouldOverflow`: the
//!   partition's part reaching `MaxMessageBytes`, 1 MB, or the batch
//!   holding `Flush.MaxMessages`) makes the stage flush what it can and
//!   wait for room (`waitForSpace`): only then does it take its next
//!   input.
//! - A **response** answers each partition of the request: its records
//!   are acked at `base offset + i`, or retried after `Retry.Backoff`
//!   (100 ms, up to `Retry.Max` 3 times, to whoever leads then, ahead of
//!   the newer records of the partition), or failed. Each message then
//!   goes to `Successes()` (if `Return.Successes`) or `Errors()` (if
//!   `Return.Errors`): the stage goroutine sends it there itself, so an
//!   unread `Successes()` blocks the stage, and everything behind it.
//! - Each broker has its own **broker producer** (`getBrokerProducer`):
//!   `<name>.broker<b>` with its input `<name>.bp<b>`. A partition
//!   producer sends to its partition's leader's at its first message and
//!   keeps it (`pp.brokerProducer`) until a retried message of the
//!   partition comes back (`updateLeader`). Meanwhile a new leader's
//!   partition still goes to the old broker producer, is refused and
//!   retried. A stage blocked on `Successes()` holds up its own broker's
//!   partitions only (until their partition producers' inputs fill).
//! - A message that reaches a broker producer after a retry moved its
//!   partition to another (it was on its way, in the old route's input
//!   channel) is retried at once by sarama (`needsRetry`: the partition is
//!   in `currentRetries`), one retry more, while the partition producer
//!   holds newer messages back until its chaser (`fin`) returns: so it is
//!   written before them. Here it joins the new route's batch ahead of the
//!   partition's newer records (`enqueue_straggler`).
//! - The network's responses reach the stage's `select` through a bridge
//!   goroutine (sarama's forwarder of `pending` to `responses`): here
//!   `<name>.bridge<b>` takes the next response (the op `KafkaResult`; the
//!   Go value it holds is the response's first message) and sends it on
//!   the unbuffered `<name>.responses<b>`. The stage returns that message,
//!   then takes each next one of the same response itself (`KafkaNext`)
//!   and returns it, before its next `select` (`handleResponse`): no input
//!   comes between two messages of a response.
//!
//! # Simplifications
//! - While the stage waits for room it takes no response (sarama's
//!   `waitForSpace` handles them as it waits); each response that frees
//!   room wakes it, and it takes the rest once its message is in.
//! - A request to a broker that is down fails at once (sarama: the
//!   connection is refused) and is retried.
//! - A retried message does not travel the Go channels again (sarama's
//!   `retryHandler` sends it back through `Input()`'s stages): after
//!   `Retry.Backoff` it goes straight into the batch of its partition's
//!   leader's broker producer, and its partition producer follows.
//! - `MaxRequestSize` (100 MB) is not checked (`MaxMessageBytes` per
//!   partition comes first in every world a tab can run).

use super::{client, KFrame, Pool, KTimer, KafkaError, KafkaWorld, PendingAck, RecInfo, ACK_TIMER, NET_READ_TIMEOUT, PRODUCE_TIMEOUT, RETRY_BACKOFF, RETRY_MAX};
use crate::gochan::channel::GoId;
use crate::kafka::replication::{Acks, BrokerId, ReplicationError};
use crate::kafka::spec::FlushSpec;
use crate::observe::trace::EventKind;
use crate::time::SimTime;
use crate::world::Kit;
use std::collections::{BTreeSet, VecDeque};

/// sarama's `Producer.MaxMessageBytes` (1,000,000): the most one
/// partition's part of a batch may hold.
pub(crate) const MAX_MESSAGE_BYTES: u64 = 1_000_000;

/// A record waiting in a batch, in a request or for its retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Queued {
    pub(crate) part: u32,
    pub(crate) rec: u32,
    /// Retries so far.
    pub(crate) tries: u8,
}

/// One broker producer's accumulating batch.
#[derive(Clone, Debug, Default)]
pub(crate) struct Accumulator {
    pub(crate) recs: Vec<Queued>,
    /// `Flush.Frequency` timer: its generation (a timer of an older one is
    /// stale) and whether it is set and has fired.
    pub(crate) timer_gen: u16,
    pub(crate) timer_set: bool,
    pub(crate) fired: bool,
    /// Requests written to this broker and not answered.
    pub(crate) open: u32,
    /// How many of `recs` each partition (key) has.
    pub(crate) per_part: Vec<u32>,
}

/// `KafkaWorld::routed` of a message slot no topic producer routed (or
/// whose message the broker producer took already).
pub(super) const NO_ROUTE: u32 = u32::MAX;

impl Accumulator {
    fn insert(&mut self, at: usize, q: Queued) {
        let i = q.part as usize;
        if self.per_part.len() <= i {
            self.per_part.resize(i + 1, 0);
        }
        self.per_part[i] += 1;
        self.recs.insert(at, q);
    }

    /// Keeps the records `keep` says to, recounting; a batch left empty
    /// rolls over (sarama's `rollOver`: a new batch, a new timer).
    fn retain(&mut self, keep: impl Fn(&Queued) -> bool) {
        let before = self.recs.len();
        self.recs.retain(|q| keep(q));
        if self.recs.len() == before {
            return;
        }
        self.per_part.iter_mut().for_each(|c| *c = 0);
        for q in &self.recs {
            self.per_part[q.part as usize] += 1;
        }
        if self.recs.is_empty() {
            self.timer_set = false;
            self.fired = false;
            self.timer_gen = self.timer_gen.wrapping_add(1);
        }
    }

    fn in_part(&self, part: u32) -> u64 {
        u64::from(self.per_part.get(part as usize).copied().unwrap_or(0))
    }
}

/// One broker producer (sarama's `brokerProducer`, one per broker): its
/// goroutines, its accumulating batch, the messages of responses waiting
/// for its bridge.
#[derive(Clone, Debug, Default)]
pub(crate) struct BrokerProducer {
    /// Its `run` goroutine, `<producer>.broker<b>` (its endpoint writes the
    /// requests).
    pub(crate) stage: Option<GoId>,
    /// Its bridge goroutine while it waits for a response.
    pub(crate) bridge: Option<GoId>,
    pub(crate) acc: Accumulator,
    /// Messages of responses, oldest first: the bridge takes a response's
    /// first, the stage the rest as it returns them.
    pub(crate) results: VecDeque<Returned>,
    /// The partition of the message the stage holds while it waits for
    /// room (`waitForSpace`).
    pub(crate) waiting: Option<u32>,
}

/// A message of a response, waiting to be returned to Go.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Returned {
    pub(crate) rec: u32,
    /// Its offset (`u64::MAX` unknown, acks=0) or error.
    pub(crate) result: Result<u64, KafkaError>,
    /// The first of its response.
    pub(crate) first: bool,
}

/// An async producer's batching state: its broker producers (by broker,
/// index `b - 1`), the partitions muted, the broker producer each
/// partition producer sends to.
#[derive(Clone, Debug, Default)]
pub(crate) struct Batcher {
    pub(crate) bps: Vec<BrokerProducer>,
    /// Partitions (by key) with a batch in flight or waiting for its
    /// retry.
    pub(crate) muted: Vec<bool>,
    /// The broker each partition's (by key) partition producer sends to
    /// (0: none yet). sarama's partition producer asks for the leader at
    /// its first message and again only when a retried message comes back
    /// (`updateLeader`); meanwhile a new leader's partition goes to the
    /// old broker producer, is refused (NotLeaderForPartition) and retried.
    pub(crate) leads: Vec<BrokerId>,
    /// Requests written, and the records they carried.
    pub(crate) requests: u64,
    pub(crate) requested: u64,
}

impl Batcher {
    /// A broker producer per broker (`brokers` of them), nothing muted.
    pub(crate) fn new(brokers: u32) -> Batcher {
        Batcher { bps: vec![BrokerProducer::default(); brokers as usize], ..Batcher::default() }
    }

    fn set_muted(&mut self, part: u32, muted: bool) {
        let i = part as usize;
        if self.muted.len() <= i {
            self.muted.resize(i + 1, false);
        }
        self.muted[i] = muted;
    }

    pub(super) fn set_lead(&mut self, part: u32, b: BrokerId) {
        let i = part as usize;
        if self.leads.len() <= i {
            self.leads.resize(i + 1, 0);
        }
        self.leads[i] = b;
    }

    /// Broker `b`'s broker producer (1-based).
    pub(crate) fn bp(&mut self, b: BrokerId) -> &mut BrokerProducer {
        &mut self.bps[b as usize - 1]
    }

    /// Broker `b`'s broker producer's goroutine (0 before it is known).
    fn stage(&self, b: BrokerId) -> GoId {
        self.bps.get(b as usize - 1).and_then(|bp| bp.stage).unwrap_or(0)
    }
}

/// A produce request written and not answered yet.
#[derive(Clone, Debug)]
pub(crate) struct BatchReq {
    pub(crate) req: u32,
    pub(crate) producer: u16,
    pub(crate) broker: BrokerId,
    pub(crate) sent_at: SimTime,
    /// Grouped by partition, each partition's records in order.
    pub(crate) recs: Vec<Queued>,
}

/// A request held at its leader until acks=all is reached for each of its
/// partitions (Kafka's `DelayedProduce`).
#[derive(Clone, Debug)]
pub(crate) struct Delayed {
    pub(crate) req: u32,
    pub(crate) leader: BrokerId,
    pub(crate) to: u32,
    pub(crate) results: Vec<(u32, Result<u64, KafkaError>)>,
    pub(crate) waiting: u32,
}

/// Emptied lists of answered requests and frames, kept for the next ones.
#[derive(Clone, Debug, Default)]
pub(crate) struct Lists {
    queued: Pool<Queued>,
    pub(crate) pairs: Pool<(u32, u32)>,
    results: Pool<(u32, Result<u64, KafkaError>)>,
}

/// Records of a failed request waiting for their retry.
#[derive(Clone, Debug)]
pub(crate) struct Retrying {
    pub(crate) producer: u16,
    pub(crate) recs: Vec<Queued>,
}

/// The Flush timer key of producer `p`'s broker `b`, generation `gen`.
fn flush_key(p: u16, b: BrokerId, gen: u16) -> u32 {
    u32::from(p) << 20 | (b & 0x1f) << 15 | u32::from(gen & 0x7fff)
}

/// sarama's `readyToFlush`.
fn ready_to_flush(flush: &FlushSpec, acc: &Accumulator, record_bytes: u64) -> bool {
    let n = acc.recs.len() as u64;
    n > 0
        && (flush.at_once()
            || (flush.messages > 0 && n >= u64::from(flush.messages))
            || (flush.bytes > 0 && n * record_bytes >= u64::from(flush.bytes)))
}

impl KafkaWorld {
    /// A fresh request (or retry) id: below 2^24 (a timer key), never 0.
    fn next_req(&mut self) -> u32 {
        let id = self.next_batch;
        self.next_batch = ((id + 1) & 0x00ff_ffff).max(1);
        id
    }

    pub(super) fn batcher(&mut self, p: u16) -> &mut Batcher {
        &mut self.producers[usize::from(p)].batcher
    }

    /// sarama's `wouldOverflow` for one more record of `part` in producer
    /// `p`'s batch for broker `b`.
    pub(super) fn would_overflow(&self, p: u16, b: BrokerId, part: u32) -> bool {
        let spec = &self.spec.producers[usize::from(p)];
        let acc = &self.producers[usize::from(p)].batcher.bps[b as usize - 1].acc;
        (acc.in_part(part) + 1) * self.spec.record_bytes >= MAX_MESSAGE_BYTES.max(self.spec.record_bytes + 1)
            || (spec.flush.max_messages > 0 && acc.recs.len() >= spec.flush.max_messages as usize)
    }

    /// The broker producer a record of `part` goes to: its leader's (or,
    /// with no leader, the first replica's: the request fails there and
    /// is retried).
    pub(super) fn batch_broker(&self, part: u32) -> BrokerId {
        let ps = &self.parts[part as usize];
        ps.repl.leader().unwrap_or(ps.replicas[0])
    }

    /// Adds record `q` to producer `p`'s batch for broker `b`, setting the
    /// Flush timer for the batch's first record.
    pub(super) fn enqueue(&mut self, p: u16, b: BrokerId, q: Queued, kit: &mut Kit) {
        let at = self.batcher(p).bp(b).acc.recs.len();
        self.enqueue_at(p, b, at, q, kit);
    }

    /// Adds record `q` that reached a broker producer its partition's
    /// route had left (a retry moved it) to producer `p`'s batch for the
    /// new route `b`, ahead of the partition's records produced after it.
    /// sarama gets this order from its retry levels: the old broker
    /// producer retries such a message at once, and the partition
    /// producer holds back newer messages until its chaser (`fin`) has come
    /// back through the old route.
    pub(super) fn enqueue_straggler(&mut self, p: u16, b: BrokerId, q: Queued, kit: &mut Kit) {
        let born = self.recs[q.rec as usize].at;
        let recs = &self.recs;
        let acc = &self.producers[usize::from(p)].batcher.bps[b as usize - 1].acc;
        let at = acc.recs.iter().position(|o| o.part == q.part && recs[o.rec as usize].at > born).unwrap_or(acc.recs.len());
        self.enqueue_at(p, b, at, q, kit);
    }

    fn enqueue_at(&mut self, p: u16, b: BrokerId, at: usize, q: Queued, kit: &mut Kit) {
        let frequency = self.spec.producers[usize::from(p)].flush.frequency.filter(|f| f.as_micros() > 0);
        let acc = &mut self.batcher(p).bp(b).acc;
        acc.insert(at, q);
        if let Some(f) = frequency.filter(|_| !acc.timer_set) {
            acc.timer_set = true;
            let key = flush_key(p, b, acc.timer_gen);
            self.schedule(kit, kit.queue.now() + f, KTimer::Flush(key));
        }
    }

    /// Sends what producer `p`'s batch for broker `b` may send: when it is
    /// ready (or `force`d by a full batch), a connection slot is free, and
    /// some of its partitions have no batch in flight.
    pub(super) fn flush(&mut self, p: u16, b: BrokerId, force: bool, kit: &mut Kit) {
        let (flush, max_open, acks) = {
            let s = &self.spec.producers[usize::from(p)];
            (s.flush, s.max_open_requests, self.producers[usize::from(p)].acks)
        };
        let rb = self.spec.record_bytes;
        let Some(stage) = self.producers[usize::from(p)].batcher.bps[b as usize - 1].stage else { return };
        let bt = self.batcher(p);
        let acc = &bt.bps[b as usize - 1].acc;
        if acc.recs.is_empty() || acc.open >= max_open || !(force || acc.fired || ready_to_flush(&flush, acc, rb)) {
            return;
        }
        let muted = &bt.muted;
        let is_muted = |part: u32| muted.get(part as usize).copied().unwrap_or(false);
        if !acc.per_part.iter().enumerate().any(|(part, &n)| n > 0 && !is_muted(part as u32)) {
            return;
        }
        let mut take = self.batch_lists.queued.take();
        let bt = &mut self.producers[usize::from(p)].batcher;
        let acc = &bt.bps[b as usize - 1].acc;
        let muted = &bt.muted;
        take.extend(acc.recs.iter().copied().filter(|q| !muted.get(q.part as usize).copied().unwrap_or(false)));
        let acc = &mut bt.bps[b as usize - 1].acc;
        let muted = &bt.muted;
        acc.retain(|q| muted.get(q.part as usize).copied().unwrap_or(false));
        acc.open += 1;
        take.sort_by_key(|q| q.part);
        for q in &take {
            bt.set_muted(q.part, true);
        }
        bt.requests += 1;
        bt.requested += take.len() as u64;
        let now = kit.queue.now();
        let req = self.next_req();
        let mut frame_recs = self.batch_lists.pairs.take();
        frame_recs.extend(take.iter().map(|q| (q.part, q.rec)));
        self.batches.push(BatchReq { req, producer: p, broker: b, sent_at: now, recs: take });
        if !self.broker_up(b) {
            // Connection refused: the request fails at once.
            self.batch_lists.pairs.give(frame_recs);
            return self.batch_failed(req, KafkaError::NotLeader, kit);
        }
        self.send(client(stage), b, KFrame::ProduceBatch { req, stage, leader: b, acks, recs: frame_recs }, kit);
        if acks == Acks::None {
            // NoResponse: sarama provides the expected nil response.
            return self.batch_all(req, Ok(u64::MAX), kit);
        }
        self.read_deadline(kit, client(stage), b, now, KTimer::BatchTimeout(req));
    }

    /// Tries every broker producer of `p` (a slot or a partition was freed).
    fn flush_all(&mut self, p: u16, kit: &mut Kit) {
        for b in 1..=self.spec.brokers {
            self.flush(p, b, false, kit);
        }
    }

    /// Request `req` failed as a whole with `e` (refused, timed out, its
    /// broker died).
    pub(super) fn batch_failed(&mut self, req: u32, e: KafkaError, kit: &mut Kit) {
        self.batch_all(req, Err(e), kit);
    }

    /// Request `req` is answered with `result` for each of its partitions.
    fn batch_all(&mut self, req: u32, result: Result<u64, KafkaError>, kit: &mut Kit) {
        let Some(br) = self.batches.iter().find(|b| b.req == req) else { return };
        let mut results = self.batch_lists.results.take();
        for q in &br.recs {
            if results.last().is_none_or(|r: &(u32, _)| r.0 != q.part) {
                results.push((q.part, result));
            }
        }
        self.batch_resp(req, results, kit);
    }

    /// The response to request `req` came back: each partition's records
    /// are acked, retried or failed, the partitions unmuted (unless
    /// retried), and what may be sent now is.
    pub(super) fn batch_resp(&mut self, req: u32, results: Vec<(u32, Result<u64, KafkaError>)>, kit: &mut Kit) {
        let Some(i) = self.batches.iter().position(|b| b.req == req) else {
            return self.batch_lists.results.give(results);
        };
        let br = self.batches.swap_remove(i);
        let p = br.producer;
        let pi = usize::from(p);
        let stage = self.producers[pi].batcher.stage(br.broker);
        let (succ, errs) = {
            let s = &self.spec.producers[pi];
            (s.return_successes, s.return_errors)
        };
        let acc = &mut self.batcher(p).bp(br.broker).acc;
        acc.open = acc.open.saturating_sub(1);
        let mut retry = Vec::new();
        let mut first = true;
        let mut ret = |bt: &mut Batcher, rec: u32, result: Result<u64, KafkaError>| {
            bt.bp(br.broker).results.push_back(Returned { rec, result, first });
            first = false;
        };
        let mut i = 0;
        while i < br.recs.len() {
            let part = br.recs[i].part;
            let n = br.recs[i..].iter().take_while(|q| q.part == part).count();
            let group = &br.recs[i..i + n];
            i += n;
            let result = results.iter().find(|r| r.0 == part).map_or(Err(KafkaError::NotLeader), |r| r.1);
            match result {
                Ok(base) => {
                    for (j, q) in group.iter().enumerate() {
                        let offset = if base == u64::MAX { None } else { Some(base + j as u64) };
                        self.producers[pi].acked += 1;
                        match offset {
                            Some(o) => self.book.acked(q.rec, part, o),
                            None => self.book.sent_blind(q.rec), // acks=0
                        }
                        self.record_rec(kit, EventKind::KafkaAcked, stage, q.rec, offset.map_or(-1, |o| o as i64));
                        if succ {
                            ret(&mut self.producers[pi].batcher, q.rec, Ok(offset.unwrap_or(u64::MAX)));
                        }
                    }
                    self.producers[pi].batcher.set_muted(part, false);
                }
                // Retriable (sarama's `handleSuccess`), NOT_ENOUGH_REPLICAS_AFTER_APPEND
                // too: those records are in the log already, so an accepted
                // retry writes them a second time.
                Err(_) if group.iter().all(|q| q.tries < RETRY_MAX) => {
                    retry.extend(group.iter().map(|q| Queued { tries: q.tries + 1, ..*q }));
                }
                Err(e) => {
                    for q in group {
                        self.producers[pi].failed += 1;
                        self.book.failed(q.rec);
                        self.record_rec(kit, EventKind::KafkaSendFailed, stage, q.rec, e as i64);
                        if errs {
                            ret(&mut self.producers[pi].batcher, q.rec, Err(e));
                        }
                    }
                    self.producers[pi].batcher.set_muted(part, false);
                }
            }
        }
        self.batch_lists.results.give(results);
        self.batch_lists.queued.give(br.recs);
        if !retry.is_empty() {
            // The partitions stay muted until their records go again.
            let id = self.next_req();
            self.retrying.insert(id, Retrying { producer: p, recs: retry });
            self.schedule(kit, kit.queue.now() + RETRY_BACKOFF, KTimer::BatchRetry(id));
        }
        self.flush_all(p, kit);
    }

    /// Records `rec`'s event (labelled with its producing goroutine and
    /// value) for goroutine `g`.
    fn record_rec(&self, kit: &mut Kit, kind: EventKind, g: GoId, rec: u32, aux: i64) {
        let r: RecInfo = self.recs[rec as usize];
        let now = kit.queue.now();
        kit.ledger.record_label(now, kind, g, r.part, r.producer, r.value, u64::from(rec) | super::REC_ID, aux);
    }

    /// A retry is due: its records go back to the front of their
    /// partitions' batches, for whoever leads them now, and their partition
    /// producers send to that broker's broker producer from now on
    /// (sarama's `updateLeader` when a retried message comes back).
    ///
    /// The newer records of those partitions, waiting in any of the
    /// producer's batches, move behind them (sarama's partition producer
    /// sends everything of a partition to its new broker producer after
    /// the retried ones), so the partition keeps its order.
    pub(super) fn batch_retry(&mut self, id: u32, kit: &mut Kit) {
        let Some(r) = self.retrying.remove(&id) else { return };
        let p = r.producer;
        let parts: BTreeSet<u32> = r.recs.iter().map(|q| q.part).collect();
        let mut all = r.recs;
        for bp in &mut self.producers[usize::from(p)].batcher.bps {
            all.extend(bp.acc.recs.iter().copied().filter(|q| parts.contains(&q.part)));
            bp.acc.retain(|q| !parts.contains(&q.part));
        }
        // sarama refreshes the topic's metadata before it looks up the
        // leader again (a topic learned once is not learned again).
        for &part in &parts {
            let topic = self.topic_of_part(part);
            self.retry_refresh(p, topic, kit);
        }
        for &part in &parts {
            let lead = self.batch_broker(part);
            let bt = &mut self.producers[usize::from(p)].batcher;
            bt.set_muted(part, false);
            bt.set_lead(part, lead);
        }
        for q in all {
            let b = self.batch_broker(q.part);
            self.enqueue(p, b, q, kit);
        }
        self.flush_all(p, kit);
    }

    /// A produce request of several records arrived at `leader`.
    pub(super) fn on_produce_batch(&mut self, req: u32, stage: GoId, leader: BrokerId, acks: Acks, recs: &[(u32, u32)], kit: &mut Kit) {
        if !self.broker_up(leader) || (acks != Acks::None && !self.batches.iter().any(|b| b.req == req)) {
            // Lost with the broker, or its client timed out and closed the
            // connection it came on.
            if acks == Acks::None {
                recs.iter().for_each(|&(_, rec)| self.book.unwritten(rec));
            }
            return;
        }
        let now = kit.queue.now();
        let rb = self.spec.record_bytes;
        let mut results = self.batch_lists.results.take();
        let mut waiting = 0;
        let mut i = 0;
        while i < recs.len() {
            let part = recs[i].0;
            let n = recs[i..].iter().take_while(|r| r.0 == part).count();
            let group = &recs[i..i + n];
            i += n;
            if self.is_zombie(part, leader) {
                // Fenced, it does not know: it takes them as leader.
                let ids: Vec<u32> = group.iter().map(|&(_, rec)| rec).collect();
                let (first, waits) = self.zombie_append(part, &ids, acks, stage, 0, req, kit);
                results.push((part, Ok(first)));
                waiting += u32::from(waits);
                continue;
            }
            let ps = &mut self.parts[part as usize];
            if ps.repl.leader() != Some(leader) {
                if acks == Acks::None {
                    // Refused: the broker closes the connection and
                    // nobody hears of it.
                    group.iter().for_each(|&(_, rec)| self.book.unwritten(rec));
                }
                results.push((part, Err(KafkaError::NotLeader)));
                continue;
            }
            match ps.repl.append(acks, n as u64, now) {
                Err(ReplicationError::NotEnoughReplicas { .. }) => results.push((part, Err(KafkaError::NotEnoughReplicas))),
                Err(_) => results.push((part, Err(KafkaError::NotLeader))),
                Ok(range) => {
                    let s = ps.slot(leader).expect("leader is a replica");
                    for &(_, rec) in group {
                        let offset = ps.logs[s].append(rb, now, u64::from(rec));
                        self.book.appended(rec, part, offset);
                    }
                    results.push((part, Ok(range.start)));
                    let last = range.end - 1;
                    if acks == Acks::All && !self.parts[part as usize].repl.is_committed(last) {
                        waiting += 1;
                        self.parts[part as usize].pending.push(PendingAck { g: stage, offset: last, deadline: now + PRODUCE_TIMEOUT, tries: 0, req });
                        self.rearm(part, ACK_TIMER, Some(now + PRODUCE_TIMEOUT), kit);
                    }
                }
            }
            self.answer_followers(part, true, kit);
        }
        if acks == Acks::None {
            return self.batch_lists.results.give(results);
        }
        if waiting == 0 {
            self.send(leader, client(stage), KFrame::BatchResp { req, results }, kit);
        } else {
            self.delayed.push(Delayed { req, leader, to: client(stage), results, waiting });
        }
    }

    /// Partition `part` of held request `req` is answered (acks=all reached,
    /// or timed out): the request's response goes once all its partitions
    /// are.
    pub(super) fn delayed_part(&mut self, req: u32, part: u32, result: Result<u64, KafkaError>, kit: &mut Kit) {
        let Some(i) = self.delayed.iter().position(|d| d.req == req) else { return };
        let d = &mut self.delayed[i];
        if result.is_err() {
            if let Some(r) = d.results.iter_mut().find(|r| r.0 == part) {
                r.1 = result;
            }
        }
        d.waiting -= 1;
        if d.waiting == 0 {
            let d = self.delayed.swap_remove(i);
            self.send(d.leader, d.to, KFrame::BatchResp { req, results: d.results }, kit);
        }
    }

    /// Request `req` may have passed its read deadline (a cut).
    pub(super) fn batch_timeout(&mut self, req: u32, kit: &mut Kit) {
        let now = kit.queue.now();
        let Some(br) = self.batches.iter().find(|br| br.req == req && br.sent_at + NET_READ_TIMEOUT <= now) else { return };
        let stage = self.producers[usize::from(br.producer)].batcher.stage(br.broker);
        let tries = br.recs.iter().map(|q| q.tries).max().unwrap_or(0);
        let last = tries >= RETRY_MAX;
        let part = br.recs.first().map_or(0, |q| q.part);
        kit.record(EventKind::KafkaReadTimeout, stage, part, None, i64::from(br.broker) | i64::from(tries + 1) << 16 | i64::from(last) << 24);
        self.batch_failed(req, KafkaError::NetTimeout, kit);
    }

    /// Broker `b` crashed: requests written to it fail (their connection
    /// broke), but for those in `answered` (their answer is on its way:
    /// it arrives), and what it held for acks=all is gone.
    pub(super) fn batches_lost_to(&mut self, b: BrokerId, answered: &[u32], kit: &mut Kit) {
        self.delayed.retain(|d| d.leader != b);
        let mut reqs: Vec<u32> = Vec::new();
        for br in &self.batches {
            if br.broker == b && !answered.contains(&br.req) {
                reqs.push(br.req);
            }
        }
        for req in reqs {
            self.batch_failed(req, KafkaError::NotLeader, kit);
        }
    }

    /// A cut was made: requests across it get their read deadlines.
    pub(super) fn batch_cut_deadlines(&self, kit: &mut Kit) {
        for br in &self.batches {
            let req = br.req;
            if let Some(stage) = self.producers[usize::from(br.producer)].batcher.bps[br.broker as usize - 1].stage {
                self.read_deadline(kit, client(stage), br.broker, br.sent_at, KTimer::BatchTimeout(req));
            }
        }
    }

    /// Producer `p`'s Flush settings changed: its batches start their
    /// timers again under the new `Frequency` and go if they are ready.
    pub(super) fn reflush(&mut self, p: u16, kit: &mut Kit) {
        let frequency = self.spec.producers[usize::from(p)].flush.frequency.filter(|f| f.as_micros() > 0);
        let now = kit.queue.now();
        for b in 1..=self.spec.brokers {
            let acc = &mut self.batcher(p).bp(b).acc;
            acc.timer_gen = acc.timer_gen.wrapping_add(1);
            acc.timer_set = false;
            if let Some(f) = frequency.filter(|_| !acc.recs.is_empty() && !acc.fired) {
                acc.timer_set = true;
                let key = flush_key(p, b, acc.timer_gen);
                self.schedule(kit, now + f, KTimer::Flush(key));
            }
        }
        self.flush_all(p, kit);
    }

    /// Producer `p`'s Flush timer `key` fired.
    pub(super) fn flush_timer(&mut self, key: u32, kit: &mut Kit) {
        let (p, b, gen) = ((key >> 20) as u16, (key >> 15) & 0x1f, (key & 0x7fff) as u16);
        let Some(acc) = self.producers.get_mut(usize::from(p)).and_then(|ps| ps.batcher.bps.get_mut((b as usize).wrapping_sub(1))).map(|bp| &mut bp.acc) else { return };
        if !acc.timer_set || acc.timer_gen & 0x7fff != gen {
            return;
        }
        acc.fired = true;
        self.flush(p, b, false, kit);
    }

    /// Names each async producer's broker producers' goroutines (by their
    /// names in `g_names`), whose endpoints write its requests: before any
    /// message, since a retry may fill a broker producer's batch before it
    /// took any input.
    pub(crate) fn bind_broker_producers(&mut self, g_names: &std::collections::BTreeMap<String, GoId>) {
        for (i, spec) in self.spec.producers.iter().enumerate().filter(|(_, p)| p.kind == crate::kafka::spec::ProducerKind::Async) {
            for b in 1..=self.spec.brokers {
                if let Some(&g) = g_names.get(&spec.broker_goroutine(b)) {
                    self.producers[i].batcher.bp(b).stage = Some(g);
                    self.client_producer.insert(client(g), i as u16);
                }
            }
        }
    }

    /// Records in producer `p`'s batches, not yet sent.
    pub(crate) fn batched(&self, p: usize) -> usize {
        self.producers[p].batcher.bps.iter().map(|bp| bp.acc.recs.len()).sum()
    }

    /// Requests of producer `p` written and not answered.
    pub(crate) fn open_requests(&self, p: usize) -> u32 {
        self.producers[p].batcher.bps.iter().map(|bp| bp.acc.open).sum()
    }
}
