//! The per-object state of the Kafka world: a partition (its replicas'
//! logs and what waits at its leader), a producer, a produce in flight,
//! a partition consumer's fetcher, and the records' origins.

use super::{batch, zombie};
use crate::gochan::channel::GoId;
use crate::kafka::log::{Log, LogConfig};
use crate::kafka::producer::partitioner::Partitioner;
use crate::kafka::replication::{Acks, BrokerId, Partition, ReplicationConfig};
use crate::kafka::spec::KafkaSpec;
use crate::time::SimTime;

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
    pub(super) deadline: SimTime,
    /// Which try of the goroutine's request it answers.
    pub(super) tries: u8,
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
