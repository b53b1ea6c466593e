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
mod zombie;
pub(crate) mod view;

pub(crate) use book::KafkaBook;

use super::World;
use crate::kafka::log::{Log, LogConfig};
use crate::kafka::producer::partitioner::Partitioner;
use crate::kafka::replication::{Acks, BrokerId, Partition, ReplicationConfig};
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

/// A record's origin: who produced which value when (indexed by record
/// id, the log's payload).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RecInfo {
    pub(crate) producer: GoId,
    /// Its key's number (`key-<n>`), or [`NO_KEY`].
    pub(crate) key: u32,
    pub(crate) value: i64,
    pub(crate) at: SimTime,
    pub(crate) part: u32,
}

/// What travels between processes. Endpoints: broker `b` is `b` (from 1);
/// a client is [`client`] of its goroutine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KFrame {
    /// A produce request of one record (`rec`) for partition `part`, try
    /// `tries` (0 first) of the goroutine's request.
    Produce { g: GoId, leader: BrokerId, part: u32, rec: u32, acks: Acks, tries: u8 },
    /// The answer: the offset, or an error code.
    ProduceResp { g: GoId, part: u32, result: Result<u64, KafkaError>, tries: u8 },
    /// An async producer's request `req` from its stage goroutine: records
    /// (partition, record id), grouped by partition ([`batch`]).
    ProduceBatch { req: u32, stage: GoId, leader: BrokerId, acks: Acks, recs: Vec<(u32, u32)> },
    /// The answer: per partition its base offset, or an error.
    BatchResp { req: u32, results: Vec<(u32, Result<u64, KafkaError>)> },
    /// A follower's fetch from offset `offset`.
    ReplicaFetch { follower: BrokerId, leader: BrokerId, part: u32, offset: u64, epoch: u32 },
    /// The leader's answer: records (ids) from `from`.
    ReplicaData { follower: BrokerId, part: u32, from: u64, recs: Vec<u32>, epoch: u32 },
    /// A consumer fetch of fetcher `f` from `offset`.
    Fetch { f: u16, session: u32, leader: BrokerId, part: u32, offset: u64 },
    /// The answer: records (ids) from `from`, or an error.
    FetchData { f: u16, session: u32, part: u32, from: u64, recs: Vec<u32>, error: Option<KafkaError> },
    /// Group protocol, member -> coordinator and back ([`group`]).
    Group(Box<group::GroupFrame>),
}

/// Emptied lists kept for the next frame or request (no allocation per
/// frame once warm); at most 64 are kept.
#[derive(Clone, Debug)]
pub(crate) struct Pool<T>(Vec<Vec<T>>);

impl<T> Default for Pool<T> {
    fn default() -> Self {
        Pool(Vec::new())
    }
}

impl<T> Pool<T> {
    /// An empty list (a kept one when there is one).
    pub(crate) fn take(&mut self) -> Vec<T> {
        self.0.pop().unwrap_or_default()
    }
    /// A list done with, emptied and kept.
    pub(crate) fn give(&mut self, mut v: Vec<T>) {
        if self.0.len() < 64 {
            v.clear();
            self.0.push(v);
        }
    }
}

/// The endpoint of goroutine `g`'s connections (brokers are 1 to 16).
pub(crate) fn client(g: GoId) -> u32 {
    1000 + g
}

/// A produce waiting for acks=all at its leader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PendingAck {
    /// The goroutine waiting (an async producer's stage for a batch).
    pub(crate) g: GoId,
    pub(crate) offset: u64,
    deadline: SimTime,
    /// Which try of the goroutine's request it answers.
    tries: u8,
    /// The batch request it is part of (0: a `SendMessage`'s).
    pub(crate) req: u32,
}

/// A fetch held at a leader: who (a follower broker, or a fetcher), from
/// which offset, in which leader epoch, since when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Parked {
    pub(crate) who: u32,
    pub(crate) offset: u64,
    pub(crate) epoch: u32,
    pub(crate) since: SimTime,
}

/// One partition: its replication state, one log per replica (in replica
/// order) and what waits at its leader.
#[derive(Clone, Debug)]
pub(crate) struct PartState {
    pub(crate) topic: u16,
    pub(crate) index: u32,
    pub(crate) repl: Partition,
    pub(crate) replicas: Vec<BrokerId>,
    pub(crate) logs: Vec<Log>,
    /// acks=all requests waiting for the HW, oldest first.
    pub(crate) pending: Vec<PendingAck>,
    /// Followers' fetches held at the leader (no new data yet).
    pub(crate) parked_followers: Vec<Parked>,
    /// Consumer fetches held at the leader (nothing below the HW yet).
    pub(crate) parked_fetches: Vec<Parked>,
    /// Whether a follower's fetch loop is running, per replica.
    pub(crate) fetching: Vec<bool>,
    /// Whether a timer is set for the oldest of `pending`, of
    /// `parked_followers` and of `parked_fetches` ([`ACK_TIMER`],
    /// [`FOLLOWER_TIMER`], [`FETCH_TIMER`]). One per list: when it fires, the
    /// entries due are handled and it is set again for the oldest left, so
    /// each entry is still handled exactly at its deadline, and the event
    /// queue holds three timers per partition rather than one per record.
    pub(crate) timers: [bool; 3],
    /// The broker fenced while it ran that still acts as this partition's
    /// leader, unaware (`zombie`).
    pub(crate) zombie: Option<Box<zombie::Zombie>>,
}

pub(crate) const ACK_TIMER: usize = 0;
pub(crate) const FOLLOWER_TIMER: usize = 1;
pub(crate) const FETCH_TIMER: usize = 2;

impl PartState {
    /// Partition `p` of topic `ti`, empty, with its replicas placed round
    /// robin and every replica in the ISR.
    pub(crate) fn new(spec: &KafkaSpec, ti: usize, p: u32, now: SimTime) -> PartState {
        let t = &spec.topics[ti];
        let config = ReplicationConfig {
            replica_lag_max: spec.replica_lag_max.unwrap_or(crate::kafka::replication::DEFAULT_REPLICA_LAG_MAX),
            min_insync: t.min_insync_replicas as usize,
        };
        let log_config = LogConfig {
            segment_bytes: t.segment_bytes.unwrap_or(LogConfig::default().segment_bytes),
            retention: t.retention.or(LogConfig::default().retention),
            retention_bytes: t.retention_bytes,
        };
        let replicas = spec.replicas(p, t.replication_factor);
        let repl = Partition::new(&replicas, config, now).expect("validated: distinct replicas");
        PartState {
            topic: ti as u16,
            index: p,
            repl,
            logs: replicas.iter().map(|_| Log::new(log_config)).collect(),
            fetching: vec![false; replicas.len()],
            replicas,
            pending: Vec::new(),
            parked_followers: Vec::new(),
            parked_fetches: Vec::new(),
            timers: [false; 3],
            zombie: None,
        }
    }

    pub(crate) fn slot(&self, b: BrokerId) -> Option<usize> {
        self.replicas.iter().position(|r| *r == b)
    }
    pub(crate) fn leader_log(&self) -> Option<&Log> {
        let l = self.repl.leader()?;
        self.slot(l).map(|i| &self.logs[i])
    }
}

/// A producer's state: its partitioner (round robin keeps a counter per
/// topic) and counters.
#[derive(Clone, Debug)]
pub(crate) struct ProducerState {
    pub(crate) partitioners: Vec<Partitioner>,
    pub(crate) acks: Acks,
    pub(crate) keys: Option<u32>,
    pub(crate) sent: u64,
    pub(crate) acked: u64,
    pub(crate) failed: u64,
    /// An async producer's batches ([`batch`]).
    pub(crate) batcher: batch::Batcher,
    /// The partition count of each topic as its client's metadata says
    /// ([`metadata`]): what its partitioner spreads over.
    pub(crate) known: Vec<u32>,
    /// Per topic, the partitions (bit = index) its client's metadata says
    /// have no leader (LEADER_NOT_AVAILABLE): not writable.
    pub(crate) offline: Vec<u64>,
    /// Its client's next background metadata refresh, while its metadata
    /// is behind: fewer partitions than some topic has, or some offline.
    pub(crate) refresh_at: Option<SimTime>,
}

/// A goroutine's produce in progress: which record, where, and retries.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InFlight {
    pub(crate) producer: u16,
    pub(crate) part: u32,
    pub(crate) rec: u32,
    pub(crate) tries: u8,
    /// When this try was written and to whom (its read deadline is
    /// `NET_READ_TIMEOUT` later); `leader` 0 before the first send.
    pub(crate) sent_at: SimTime,
    pub(crate) leader: BrokerId,
}

/// A partition consumer's fetcher: its partition, offset and what it got.
#[derive(Clone, Debug)]
pub(crate) struct Fetcher {
    pub(crate) part: u32,
    /// The next offset to fetch (`None`: not resolved yet, or stopped).
    pub(crate) offset: Option<u64>,
    pub(crate) initial: crate::kafka::spec::OffsetSpec,
    /// Fetched records not yet taken: id, offset and what is known of it
    /// (copied from `recs` when the fetch arrives, while the ids are read
    /// in order, not when each is handed over).
    pub(crate) buffer: std::collections::VecDeque<(u32, u64, RecInfo)>,
    pub(crate) waiting: Option<GoId>,
    pub(crate) in_flight: bool,
    /// Stopped by `ErrOffsetOutOfRange` (sarama shuts the partition
    /// consumer down).
    pub(crate) stopped: bool,
    pub(crate) consumed: u64,
    /// The book's consumer: a partition consumer's index, or the number of
    /// partition consumers plus a group's index.
    pub(crate) consumer: u16,
    /// A group member's claim slot: (group, member index).
    pub(crate) member: Option<(u16, u16)>,
    /// Whether it reads now (always for a partition consumer; for a claim
    /// slot, while its member's session has assigned it a partition).
    pub(crate) active: bool,
    /// Bumped whenever the slot is (re)assigned: answers to older fetches
    /// are stale.
    pub(crate) session: u32,
    /// The offset of the record its goroutine holds (for `MarkMessage`).
    pub(crate) held: Option<u64>,
    /// Its goroutine is handling a record (between hand-over and its next
    /// wait).
    pub(crate) working: bool,
    /// Its `Messages()` channel was closed (shut down).
    pub(crate) closed: bool,
    /// The fetch written and not answered yet: when, and to which broker
    /// (its read deadline is `NET_READ_TIMEOUT` later).
    pub(crate) sent: Option<(SimTime, BrokerId)>,
    /// Its goroutine (once it first waited), for the trace.
    pub(crate) goroutine: Option<GoId>,
}

/// Timers of the Kafka world (`Ev::Kafka(n)`: kind in the top byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KTimer {
    /// A parked follower fetch of partition `part` may be due.
    FollowerWait(u32),
    /// A parked consumer fetch of partition `part` may be due.
    FetchWait(u32),
    /// acks=all deadlines of partition `part`.
    AckTimeout(u32),
    /// The ISR expiration check (all partitions).
    IsrCheck,
    /// Retention (all partitions).
    Retention,
    /// A produce retry of goroutine `g`.
    Retry(GoId),
    /// A fetcher's retry after an error.
    FetchRetry(u16),
    /// Group `g`'s coordinator deadline.
    Coordinator(u32),
    /// A member's heartbeat (`group << 8 | member`).
    Heartbeat(u32),
    /// A member's auto-commit tick (`group << 8 | member`).
    AutoCommit(u32),
    /// Goroutine `g`'s produce request may have passed its read deadline.
    ReadTimeout(GoId),
    /// Fetcher `f`'s fetch may have passed its read deadline.
    FetchTimeout(u16),
    /// A member's heartbeat may have passed its read deadline (key as for
    /// `Heartbeat`).
    HeartbeatTimeout(u32),
    /// A member's commit may have passed its read deadline (key as for
    /// `Heartbeat`).
    CommitTimeout(u32),
    /// An async producer's `Flush.Frequency` for one broker
    /// (`batch::flush_key`).
    Flush(u32),
    /// Records of a failed batch request go again.
    BatchRetry(u32),
    /// Batch request `req` may have passed its read deadline.
    BatchTimeout(u32),
    /// A member's JoinGroup may have passed its read deadline (key as for
    /// `Heartbeat`).
    JoinTimeout(u32),
    /// The controller fences broker `b` (its session timed out after a
    /// crash), if it is still due.
    Fence(u32),
    /// The controller's automatic preferred-leader election
    /// (`faults::leader_balance`).
    LeaderBalance,
    /// Producer `p`'s client refreshes its metadata, if still due.
    MetadataRefresh(u16),
    /// A group leader's partition-count check (key as for `Heartbeat`).
    PartitionCheck(u32),
    /// A member calls `Consume` again after a refused join (key as for
    /// `Heartbeat`; `group_failover`).
    JoinRetry(u32),
}

impl KTimer {
    fn encode(self) -> u32 {
        let (k, v) = match self {
            KTimer::FollowerWait(p) => (0, p),
            KTimer::FetchWait(p) => (1, p),
            KTimer::AckTimeout(p) => (2, p),
            KTimer::IsrCheck => (3, 0),
            KTimer::Retention => (4, 0),
            KTimer::Retry(g) => (5, g),
            KTimer::FetchRetry(f) => (6, u32::from(f)),
            KTimer::Coordinator(g) => (7, g),
            KTimer::Heartbeat(m) => (8, m),
            KTimer::AutoCommit(m) => (9, m),
            KTimer::ReadTimeout(g) => (10, g),
            KTimer::FetchTimeout(f) => (11, u32::from(f)),
            KTimer::HeartbeatTimeout(m) => (12, m),
            KTimer::CommitTimeout(m) => (13, m),
            KTimer::Flush(k) => (14, k),
            KTimer::BatchRetry(r) => (15, r),
            KTimer::BatchTimeout(r) => (16, r),
            KTimer::JoinTimeout(m) => (17, m),
            KTimer::Fence(b) => (18, b),
            KTimer::LeaderBalance => (19, 0),
            KTimer::MetadataRefresh(p) => (20, u32::from(p)),
            KTimer::PartitionCheck(m) => (21, m),
            KTimer::JoinRetry(m) => (22, m),
        };
        (k << 24) | (v & 0x00ff_ffff)
    }
    fn decode(n: u32) -> KTimer {
        let v = n & 0x00ff_ffff;
        match n >> 24 {
            0 => KTimer::FollowerWait(v),
            1 => KTimer::FetchWait(v),
            2 => KTimer::AckTimeout(v),
            3 => KTimer::IsrCheck,
            4 => KTimer::Retention,
            5 => KTimer::Retry(v),
            6 => KTimer::FetchRetry(v as u16),
            7 => KTimer::Coordinator(v),
            8 => KTimer::Heartbeat(v),
            9 => KTimer::AutoCommit(v),
            10 => KTimer::ReadTimeout(v),
            11 => KTimer::FetchTimeout(v as u16),
            12 => KTimer::HeartbeatTimeout(v),
            13 => KTimer::CommitTimeout(v),
            14 => KTimer::Flush(v),
            15 => KTimer::BatchRetry(v),
            16 => KTimer::BatchTimeout(v),
            17 => KTimer::JoinTimeout(v),
            18 => KTimer::Fence(v),
            19 => KTimer::LeaderBalance,
            20 => KTimer::MetadataRefresh(v as u16),
            21 => KTimer::PartitionCheck(v),
            _ => KTimer::JoinRetry(v),
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

    pub(crate) fn schedule(&self, kit: &mut Kit, at: SimTime, t: KTimer) {
        kit.queue.schedule(at, Ev::Kafka(t.encode()));
    }

    /// Sets partition `part`'s timer `which` for `at` (the oldest waiting
    /// entry's deadline) unless one is set already; a deadline not in the
    /// future is left alone (its entry could not be handled: no leader).
    pub(crate) fn rearm(&mut self, part: u32, which: usize, at: Option<SimTime>, kit: &mut Kit) {
        let ps = &mut self.parts[part as usize];
        let Some(at) = at.filter(|&at| at > kit.queue.now() && !ps.timers[which]) else { return };
        ps.timers[which] = true;
        let t = match which {
            ACK_TIMER => KTimer::AckTimeout(part),
            FOLLOWER_TIMER => KTimer::FollowerWait(part),
            _ => KTimer::FetchWait(part),
        };
        self.schedule(kit, at, t);
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

impl World {
    /// A frame may have arrived on Kafka link `l`.
    pub(super) fn kafka_arrival(&mut self, l: u32, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        let Some(frame) = kw.links.get_mut(l as usize).and_then(|link| link.arrive(now)) else { return };
        match frame {
            KFrame::Produce { g, leader, part, rec, acks, tries } => {
                let kw = self.kafka.as_deref_mut().expect("checked");
                kw.on_produce(g, leader, part, rec, acks, tries, &mut self.kit);
                self.kafka_wake_fetches(part, now);
            }
            KFrame::ProduceResp { g, part, result, tries } => self.kafka_produce_resp(g, part, Some(tries), result, now),
            KFrame::ProduceBatch { req, stage, leader, acks, recs } => {
                let kw = self.kafka.as_deref_mut().expect("checked");
                kw.on_produce_batch(req, stage, leader, acks, &recs, &mut self.kit);
                let mut last = u32::MAX;
                for &(part, _) in &recs {
                    if part != last {
                        self.kafka_wake_fetches(part, now);
                        last = part;
                    }
                }
                if let Some(kw) = self.kafka.as_deref_mut() {
                    kw.batch_lists.pairs.give(recs);
                }
            }
            KFrame::BatchResp { req, results } => {
                let kw = self.kafka.as_deref_mut().expect("checked");
                kw.batch_resp(req, results, &mut self.kit);
                self.kafka_deliver_all(now);
            }
            KFrame::ReplicaFetch { follower, leader, part, offset, epoch } => {
                let kw = self.kafka.as_deref_mut().expect("checked");
                kw.on_replica_fetch(follower, leader, part, offset, epoch, &mut self.kit);
                self.kafka_wake_fetches(part, now);
            }
            KFrame::ReplicaData { follower, part, from, recs, epoch } => {
                let kw = self.kafka.as_deref_mut().expect("checked");
                kw.on_replica_data(follower, part, from, &recs, epoch, &mut self.kit);
                kw.give_recs(recs);
            }
            KFrame::Fetch { f, session, leader, part, offset } => {
                let kw = self.kafka.as_deref_mut().expect("checked");
                kw.on_fetch(f, session, leader, part, offset, &mut self.kit);
            }
            KFrame::FetchData { f, session, part, from, recs, error } => {
                self.kafka_fetch_data(f, session, part, from, &recs, error, now);
                if let Some(kw) = self.kafka.as_deref_mut() {
                    kw.give_recs(recs);
                }
            }
            KFrame::Group(frame) => self.kafka_group_frame(*frame, now),
        }
    }

    /// A Kafka timer fired.
    pub(super) fn kafka_timer(&mut self, n: u32, now: SimTime) {
        let Some(kw) = self.kafka.as_deref_mut() else { return };
        match KTimer::decode(n) {
            KTimer::FollowerWait(p) => {
                kw.parts[p as usize].timers[FOLLOWER_TIMER] = false;
                kw.follower_wait_due(p, &mut self.kit);
                let next = kw.parts[p as usize].parked_followers.first().map(|w| w.since + FETCH_WAIT);
                kw.rearm(p, FOLLOWER_TIMER, next, &mut self.kit);
            }
            KTimer::FetchWait(p) => {
                kw.parts[p as usize].timers[FETCH_TIMER] = false;
                kw.fetch_wait_due(p, &mut self.kit);
                let next = kw.parts[p as usize].parked_fetches.first().map(|w| w.since + FETCH_WAIT);
                kw.rearm(p, FETCH_TIMER, next, &mut self.kit);
            }
            KTimer::AckTimeout(p) => {
                kw.parts[p as usize].timers[ACK_TIMER] = false;
                kw.ack_timeouts(p, &mut self.kit);
                let zombie_next = kw.zombie_timeouts(p, &mut self.kit);
                let next = kw.parts[p as usize].pending.first().map(|a| a.deadline).into_iter().chain(zombie_next).min();
                kw.rearm(p, ACK_TIMER, next, &mut self.kit);
            }
            KTimer::IsrCheck => {
                kw.isr_check(&mut self.kit);
                let lag = kw.spec.replica_lag_max.unwrap_or(crate::kafka::replication::DEFAULT_REPLICA_LAG_MAX);
                kw.schedule(&mut self.kit, now + SimDuration::from_micros(lag.as_micros() / 2), KTimer::IsrCheck);
            }
            KTimer::Retention => {
                kw.retention(&mut self.kit);
                let every = kw.spec.retention_check_interval.unwrap_or(RETENTION_CHECK);
                kw.schedule(&mut self.kit, now + every, KTimer::Retention);
            }
            KTimer::Retry(g) => self.kafka_retry(g, now),
            KTimer::FetchRetry(f) => {
                if let Some(fe) = kw.fetchers.get_mut(usize::from(f)) {
                    fe.in_flight = false;
                }
                self.kafka_fetch_next(f, now);
            }
            KTimer::Coordinator(g) => self.kafka_coordinator_due(g, now),
            KTimer::Heartbeat(key) => self.kafka_heartbeat(key, now),
            KTimer::AutoCommit(key) => self.kafka_auto_commit(key, now),
            KTimer::ReadTimeout(g) => self.kafka_read_timeout(g, now),
            KTimer::FetchTimeout(f) => self.kafka_fetch_timeout(f, now),
            KTimer::HeartbeatTimeout(key) => self.kafka_heartbeat_timeout(key, now),
            KTimer::CommitTimeout(key) => self.kafka_commit_timeout(key, now),
            KTimer::JoinTimeout(key) => self.kafka_join_timeout(key, now),
            KTimer::Flush(key) => {
                kw.flush_timer(key, &mut self.kit);
                self.kafka_deliver_all(now);
            }
            KTimer::BatchRetry(id) => {
                kw.batch_retry(id, &mut self.kit);
                self.kafka_deliver_all(now);
            }
            KTimer::BatchTimeout(req) => {
                kw.batch_timeout(req, &mut self.kit);
                self.kafka_deliver_all(now);
            }
            KTimer::Fence(b) => {
                if kw.fence_at.get(b as usize - 1).copied().flatten() == Some(now) {
                    kw.fence(b, true, &mut self.kit);
                    self.kafka_deliver_all(now);
                }
            }
            KTimer::LeaderBalance => {
                if kw.balance_at == Some(now) {
                    kw.leader_balance(&mut self.kit);
                    self.kafka_deliver_all(now);
                }
            }
            KTimer::MetadataRefresh(p) => kw.metadata_refresh(p, now, &mut self.kit),
            KTimer::PartitionCheck(key) => self.kafka_partition_check(key, now),
            KTimer::JoinRetry(key) => self.kafka_join_retry(key, now),
        }
        // acks=all answers or consumer data may be due after a timer.
        let _ = now;
    }
}
