//! The Kafka part of a world: the brokers of the scenario's `kafka`
//! section with their partition replicas, the network between clients and
//! brokers, and what crosses it. Producers and consumers are Go (sarama's
//! API is Go channels and blocking calls): the world carries out their
//! requests ([`Syscall::KafkaProduce`], [`Syscall::KafkaFetch`]).
//!
//! # A produce, step by step
//! 1. The goroutine (a `SendMessage`) enters `BlockedNet`; the producer's
//!    partitioner picks the partition (sarama's own partitioners, the
//!    world's RNG). An async producer's stage instead adds the message to
//!    a batch and goes on; batches go as its `Flush` settings say
//!    ([`batch`]), several records and partitions per request.
//! 2. The request travels to the partition's leader (one latency draw).
//! 3. The leader appends the record ([`Partition::append`]): acks=0 was
//!    answered when sent; acks=1 is answered now; acks=all when the high
//!    watermark passes the record, which needs every in-sync follower to
//!    fetch past it, or with `REQUEST_TIMED_OUT` after `Producer.Timeout`
//!    (10 s). acks=all with the ISR below `min.insync.replicas` is refused
//!    with `NOT_ENOUGH_REPLICAS`.
//! 4. The response travels back; the goroutine runs on. An error is
//!    retried (`Producer.Retry.Max` 3, `Retry.Backoff` 100 ms) and then
//!    returned.
//!
//! # Replication
//! Each follower fetches from its leader in a loop (Kafka's
//! `ReplicaFetcherThread`): the leader answers with what it has from the
//! follower's offset, or holds the fetch until it has more or
//! `replica.fetch.wait.max.ms` (500 ms) passed. A fetch at offset X tells
//! the leader the follower has everything below X: that moves the high
//! watermark and completes acks=all requests. The ISR shrinks when a
//! follower has not caught up for `replica.lag.time.max.ms` (checked every
//! half of it, as Kafka's `isr-expiration` task).
//!
//! # Consumers
//! A partition consumer's fetcher asks the leader for records from its
//! offset; the leader answers with records below the high watermark (up to
//! 500), or holds the fetch until there are some or `MaxWaitTime`
//! (500 ms) passed. The fetcher goroutine pushes each record into the
//! partition's `Messages()` channel, which a handler goroutine ranges over.
//!
//! # Faults
//! A broker crash closes its connections (requests in flight fail, and are
//! retried) and the controller elects new leaders at once from the ISR
//! (or, with unclean election, from any live replica). Every record the
//! new leader does not have is truncated everywhere and counted lost, with
//! its cause: acked with acks=1 and never copied, lost to an unclean
//! election, or never acked. A returning broker truncates to the high
//! watermark and catches up.
//!
//! # Simplifications (said in the UI too)
//! - A SyncProducer's `SendMessage` is one record per request, one at a
//!   time. An AsyncProducer batches as sarama does ([`batch`]), but takes
//!   a response's messages one at a time.
//! - The controller notices a dead broker at once (real: the broker
//!   session timeout, about 9 s with KRaft).
//! - Consumers fetch from the leader only, and fetch again once they have
//!   handed over what they got (sarama prefetches).

mod arrival;
mod batch;
pub(crate) mod book;
mod faults;
mod fetch;
mod group;
mod group_failover;
mod group_timeouts;
mod metadata;
mod network;
mod partitions;
mod produce;
pub(crate) mod records;
mod stages;
mod state;
mod timers;
mod zombie;
pub(crate) mod view;

pub(crate) use arrival::KFrame;
pub(crate) use book::KafkaBook;
pub(crate) use state::*;
pub(crate) use timers::KTimer;

use super::World;
use crate::kafka::replication::BrokerId;
use crate::kafka::spec::KafkaSpec;
use crate::gochan::channel::GoId;
use crate::net::Link;
use crate::time::{SimDuration, SimTime};
use crate::world::{Ev, Kit};
use litemap::LiteMap;

/// `replica.fetch.wait.max.ms` and sarama's `Consumer.MaxWaitTime`.
const FETCH_WAIT: SimDuration = SimDuration::from_millis(500);
/// sarama's `Producer.Retry.Backoff`.
const RETRY_BACKOFF: SimDuration = SimDuration::from_millis(100);
/// sarama's `Producer.Retry.Max`.
const RETRY_MAX: u8 = 3;
/// sarama's `Producer.Timeout` (the broker's wait for acks=all).
const PRODUCE_TIMEOUT: SimDuration = SimDuration::from_secs(10);
/// sarama's `Net.ReadTimeout` (and `Net.DialTimeout`): how long a client
/// waits for an answer before it closes the connection.
pub(crate) const NET_READ_TIMEOUT: SimDuration = SimDuration::from_secs(30);
/// `aux` flag of a `KafkaReadTimeout` event: a consumer's fetch timed out
/// (else a produce request).
pub(crate) const READ_TIMEOUT_FETCH: i64 = 1 << 25;
/// In a `KafkaElection` event's `aux` (the new leader's id below it): the
/// controller's automatic preferred-leader election.
pub(crate) const PREFERRED_ELECTION: i64 = 1 << 16;
/// In a `KafkaFenced` event's `aux` (the broker's id below it): the broker
/// still runs (its link to the controller is cut).
pub(crate) const FENCED_RUNNING: i64 = 1 << 16;
/// Fetcher `f`'s connections are those of client endpoint `FETCHER_END + f`.
pub(crate) const FETCHER_END: u32 = 1_000_000;
/// sarama's `Consumer.Retry.Backoff`.
const CONSUMER_RETRY: SimDuration = SimDuration::from_secs(2);
/// A record without a key.
pub(crate) const NO_KEY: u32 = u32::MAX;
/// Marks the message id of an event about a Kafka record (not a Go
/// value): the record id below it.
pub(crate) const REC_ID: u64 = 1 << 62;

/// Records per fetch response.
const FETCH_MAX: usize = 500;
/// How often retention runs (`log.retention.check.interval.ms`, 5 min).
const RETENTION_CHECK: SimDuration = SimDuration::from_secs(300);

/// Errors a client sees (Kafka's error codes, as sarama names them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum KafkaError {
    /// `ErrNotEnoughReplicas` (19).
    NotEnoughReplicas = 1,
    /// `ErrLeaderNotAvailable` (5): no leader for the partition.
    LeaderNotAvailable = 2,
    /// `ErrNotLeaderForPartition` (6), or the connection broke.
    NotLeader = 3,
    /// `ErrRequestTimedOut` (7): acks=all not reached in time.
    RequestTimedOut = 4,
    /// `ErrOffsetOutOfRange` (1).
    OffsetOutOfRange = 5,
    /// `ErrNotEnoughReplicasAfterAppend` (20): written, but the ISR shrank
    /// below `min.insync.replicas` before acks=all.
    NotEnoughReplicasAfterAppend = 6,
    /// No answer within `Net.ReadTimeout` (a network cut): Go's
    /// `i/o timeout`; sarama closes the connection.
    NetTimeout = 7,
}

impl KafkaError {
    pub fn from_code(c: i64) -> Option<KafkaError> {
        use KafkaError::*;
        [NotEnoughReplicas, LeaderNotAvailable, NotLeader, RequestTimedOut, OffsetOutOfRange, NotEnoughReplicasAfterAppend, NetTimeout].into_iter().find(|e| *e as i64 == c)
    }
    /// sarama's error text.
    pub fn text(self) -> &'static str {
        match self {
            KafkaError::NotEnoughReplicas => "kafka server: Messages are rejected since there are fewer in-sync replicas than required",
            KafkaError::LeaderNotAvailable => "kafka server: In the middle of a leadership election, there is currently no leader for this partition and hence it is unavailable for writes",
            KafkaError::NotLeader => "kafka server: Tried to send a message to a replica that is not the leader for some partition. Your metadata is out of date",
            KafkaError::RequestTimedOut => "kafka server: Request exceeded the user-specified time limit in the request",
            KafkaError::OffsetOutOfRange => "kafka server: The requested offset is outside the range of offsets maintained by the server for the given topic/partition",
            KafkaError::NotEnoughReplicasAfterAppend => "kafka server: Messages are written to the log, but to fewer in-sync replicas than required",
            KafkaError::NetTimeout => "read tcp: i/o timeout (no answer within Net.ReadTimeout, 30s: the connection was closed)",
        }
    }
}

/// The Kafka system of a world.
#[derive(Clone, Debug)]
pub(crate) struct KafkaWorld {
    pub(crate) spec: KafkaSpec,
    pub(crate) up: Vec<bool>,
    /// Per broker: when the controller fences it (it crashed, and its
    /// session has not timed out yet); `None` otherwise.
    pub(crate) fence_at: Vec<Option<SimTime>>,
    /// Per broker: fenced by the controller while it runs (its link to the
    /// controller is cut): it leads nothing, follows nothing and is in no
    /// ISR until the link heals (`network`).
    pub(crate) fenced_running: Vec<bool>,
    /// When the controller's next preferred-leader balance runs (one is
    /// due while some partition is led by another than its preferred
    /// replica), if `auto_leader_rebalance`.
    pub(crate) balance_at: Option<SimTime>,
    pub(crate) parts: Vec<PartState>,
    /// Each topic's partition keys, by partition (a topic's first keys
    /// are consecutive; partitions added live get the next free keys).
    pub(crate) topic_parts: Vec<Vec<u32>>,
    pub(crate) links: Vec<Link<KFrame>>,
    pub(crate) link_ids: LiteMap<(u32, u32), u32>,
    /// Process pairs whose network is cut ([`network`]).
    pub(crate) cuts: Vec<(u32, u32)>,
    /// The producer each producing goroutine's endpoint sends for.
    pub(crate) client_producer: LiteMap<u32, u16>,
    /// The partition an async producer's topic producer routed each Go
    /// message to, by the message's slot (`MsgRef`; a reused slot is
    /// routed again before the broker producer reads it). Grows with the
    /// message slab's peak, so no allocation per message.
    pub(crate) routed: Vec<u32>,
    pub(crate) recs: Vec<RecInfo>,
    pub(crate) producers: Vec<ProducerState>,
    pub(crate) in_flight: LiteMap<GoId, InFlight>,
    /// Async producers' requests written and not answered, by id
    /// ([`batch`]); ids below 2^24 (timer keys), never 0.
    pub(crate) batches: Vec<batch::BatchReq>,
    /// Batch requests held at their leaders for acks=all.
    pub(crate) delayed: Vec<batch::Delayed>,
    /// Records of failed batch requests waiting for their retry.
    pub(crate) retrying: LiteMap<u32, batch::Retrying>,
    pub(crate) next_batch: u32,
    /// Emptied lists of answered batch requests, for the next ones.
    pub(crate) batch_lists: batch::Lists,
    pub(crate) fetchers: Vec<Fetcher>,
    pub(crate) book: KafkaBook,
    /// Every fetcher's goroutine, once it first asked (for replies).
    pub(crate) isr_scratch: Vec<crate::kafka::replication::IsrChange>,
    /// Consumer groups (coordinator and members).
    pub(crate) groups: Vec<group::GroupState>,
    /// Reused buffers of the hot path (no allocation per event).
    pub(crate) ack_scratch: Vec<PendingAck>,
    pub(crate) parked_scratch: Vec<Parked>,
    /// Emptied record lists of handled `ReplicaData` and `FetchData`
    /// frames, for the next ones.
    pub(crate) rec_lists: Pool<u32>,
    /// Produce call to handler receipt since the last time-series sample,
    /// per book consumer (partition consumers, then groups).
    pub(crate) e2e_window: Vec<crate::observe::stats::Latency>,
}

impl KafkaWorld {
    pub(crate) fn new(spec: &KafkaSpec, now: SimTime) -> KafkaWorld {
        let mut parts = Vec::new();
        let mut topic_parts = Vec::new();
        for (ti, t) in spec.topics.iter().enumerate() {
            topic_parts.push((parts.len() as u32..parts.len() as u32 + t.partitions).collect::<Vec<u32>>());
            for p in 0..t.partitions {
                parts.push(PartState::new(spec, ti, p, now));
            }
        }
        let producers = spec
            .producers
            .iter()
            .map(|p| ProducerState {
                partitioners: spec.topics.iter().map(|_| p.partitioner.partitioner()).collect(),
                acks: p.acks.acks(),
                keys: p.keys,
                sent: 0,
                acked: 0,
                failed: 0,
                batcher: batch::Batcher::new(spec.brokers),
                known: spec.topics.iter().map(|t| t.partitions).collect(),
                offline: vec![0; spec.topics.len()],
                refresh_at: None,
            })
            .collect();
        let mut fetchers = Vec::new();
        for (ci, c) in spec.consumers.iter().enumerate() {
            let keys = spec.topic(&c.topic).map(|(i, _)| &topic_parts[i]);
            for p in spec.consumer_partitions(c) {
                fetchers.push(Fetcher {
                    part: keys.and_then(|k| k.get(p as usize).copied()).unwrap_or(0),
                    offset: None,
                    initial: c.offset,
                    buffer: Default::default(),
                    waiting: None,
                    in_flight: false,
                    stopped: false,
                    consumed: 0,
                    consumer: ci as u16,
                    member: None,
                    active: true,
                    session: 0,
                    held: None,
                    working: false,
                    closed: false,
                    sent: None,
                    goroutine: None,
                });
            }
        }
        let mut groups = Vec::new();
        for (gi, g) in spec.groups.iter().enumerate() {
            let mut members = Vec::new();
            for m in 0..g.members {
                let mut slots = Vec::new();
                for _ in 0..spec.group_slots(g) {
                    slots.push(fetchers.len() as u16);
                    fetchers.push(Fetcher::claim_slot(g.initial, (spec.consumers.len() + gi) as u16, (gi as u16, m as u16)));
                }
                members.push(group::MemberState::new(g.member(m + 1), slots, m < g.start_members.unwrap_or(g.members)));
            }
            groups.push(group::GroupState::new(g, gi as u32 % spec.brokers + 1, members, &spec.topics));
        }
        let nparts = parts.len();
        KafkaWorld {
            spec: spec.clone(),
            up: vec![true; spec.brokers as usize],
            fence_at: vec![None; spec.brokers as usize],
            fenced_running: vec![false; spec.brokers as usize],
            balance_at: None,
            parts,
            topic_parts,
            links: Vec::new(),
            link_ids: LiteMap::new(),
            cuts: Vec::new(),
            client_producer: LiteMap::new(),
            routed: Vec::new(),
            recs: Vec::new(),
            producers,
            in_flight: LiteMap::new(),
            batches: Vec::new(),
            delayed: Vec::new(),
            retrying: LiteMap::new(),
            next_batch: 1,
            batch_lists: Default::default(),
            fetchers,
            book: KafkaBook::new(nparts),
            isr_scratch: Vec::new(),
            groups,
            ack_scratch: Vec::new(),
            parked_scratch: Vec::new(),
            rec_lists: Pool::default(),
            // Cleared at every sample: the coarser table (3 %).
            e2e_window: (0..spec.consumers.len() + spec.groups.len()).map(|_| crate::observe::stats::Latency::with_grouping(5)).collect(),
        }
    }

    /// Starts the followers' fetch loops and the periodic checks.
    pub(crate) fn open(&mut self, kit: &mut Kit) {
        let now = kit.queue.now();
        // Members running from the start join (sarama's first `Consume`).
        for gi in 0..self.groups.len() {
            for m in 0..self.groups[gi].members.len() {
                if self.groups[gi].members[m].up {
                    self.member_join(gi, m, kit);
                    self.start_member_timers(gi, m, kit);
                }
            }
        }
        for p in 0..self.parts.len() as u32 {
            self.start_followers(p, now, kit);
        }
        let lag = self.spec.replica_lag_max.unwrap_or(crate::kafka::replication::DEFAULT_REPLICA_LAG_MAX);
        kit.queue.schedule(now + SimDuration::from_micros(lag.as_micros() / 2), Ev::Kafka(KTimer::IsrCheck.encode()));
        kit.queue.schedule(now + self.spec.retention_check_interval.unwrap_or(RETENTION_CHECK), Ev::Kafka(KTimer::Retention.encode()));
    }

    pub(crate) fn broker_up(&self, b: BrokerId) -> bool {
        (b as usize).checked_sub(1).and_then(|i| self.up.get(i)).copied().unwrap_or(false)
    }

    /// Broker `b` runs and takes part in replication: up, and not fenced
    /// while running.
    pub(crate) fn replicating(&self, b: BrokerId) -> bool {
        self.broker_up(b) && !self.fenced_running.get(b as usize - 1).copied().unwrap_or(false)
    }

    /// The link from `src` to `dst`, made on first use.
    fn link(&mut self, src: u32, dst: u32) -> u32 {
        if let Some(&l) = self.link_ids.get(&(src, dst)) {
            return l;
        }
        let l = self.links.len() as u32;
        self.links.push(Link::new(self.spec.latency.clone()));
        self.link_ids.insert((src, dst), l);
        if self.is_cut(src, dst) {
            self.links[l as usize].cut();
        }
        l
    }

    /// Sends `frame` from `src` to `dst`. A frame to or from a dead broker
    /// is lost (its connections are closed).
    pub(crate) fn send(&mut self, src: u32, dst: u32, frame: KFrame, kit: &mut Kit) {
        let l = self.link(src, dst);
        let now = kit.queue.now();
        if let Ok(Some(at)) = self.links[l as usize].send(now, frame, &mut kit.rng) {
            kit.queue.schedule(at, Ev::KafkaNet(l));
        }
    }

    /// An empty record list for a frame (a reused one when there is one).
    pub(crate) fn take_recs(&mut self) -> Vec<u32> {
        self.rec_lists.take()
    }

    /// A handled frame's record list, kept for the next frame.
    pub(crate) fn give_recs(&mut self, recs: Vec<u32>) {
        self.rec_lists.give(recs);
    }

    /// The partition key of `topic`'s partition `p`.
    pub(crate) fn part_key(&self, topic: usize, p: u32) -> u32 {
        self.topic_parts[topic][p as usize]
    }

    /// Every partition key, in topic then partition order.
    pub(crate) fn keys_in_order(&self) -> impl Iterator<Item = u32> + '_ {
        self.topic_parts.iter().flatten().copied()
    }

    /// `topic-p` of a partition key.
    pub(crate) fn part_name(&self, part: u32) -> String {
        let ps = &self.parts[part as usize];
        format!("{}-{}", self.spec.topics[usize::from(ps.topic)].name, ps.index)
    }

    /// Starts the fetch loop of every live follower of `part` that has no
    /// loop running.
    fn start_followers(&mut self, part: u32, now: SimTime, kit: &mut Kit) {
        let ps = &self.parts[part as usize];
        let Some(leader) = ps.repl.leader() else { return };
        let epoch = ps.repl.leader_epoch();
        let starts: Vec<(BrokerId, u64)> = ps
            .replicas
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b != leader && !ps.fetching[i] && self.replicating(b))
            .map(|(i, &b)| (b, ps.logs[i].leo()))
            .collect();
        for (b, offset) in starts {
            let i = self.parts[part as usize].slot(b).expect("a replica");
            self.parts[part as usize].fetching[i] = true;
            self.send(b, leader, KFrame::ReplicaFetch { follower: b, leader, part, offset, epoch }, kit);
        }
        let _ = now;
    }
}
