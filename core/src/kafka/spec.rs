//! The scenario's `kafka` section: brokers, topics, sarama producers and
//! consumers, and the network latency between them.
//!
//! ```json
//! "kafka": {
//!   "brokers": 3, "latency": "250us",
//!   "topics": [{ "name": "events", "partitions": 6, "replication_factor": 3, "min_insync_replicas": 2 }],
//!   "producers": [{ "name": "sp", "acks": "all", "partitioner": "random" },
//!                 { "name": "ap", "kind": "async", "topic": "events", "return_successes": true }],
//!   "consumers": [{ "name": "pc", "topic": "events", "offset": "oldest", "work": "2ms" }]
//! }
//! ```
//!
//! - Brokers are `broker-1` ... `broker-n` (ids 1 to n). Partition `p` of a
//!   topic has its replicas on brokers `(p + i) mod n` for `i` below the
//!   replication factor (Kafka's round-robin replica placement, without the
//!   random start), the first one leading.
//! - A **sync producer** is used by goroutine programs with the
//!   `kafka_send` statement (sarama `SyncProducer.SendMessage`: blocks
//!   until the ack).
//! - An **async producer** is Go, as sarama is: its `Input()`,
//!   `Successes()` and `Errors()` are the unbuffered Go channels
//!   `<name>.input`, `<name>.successes`, `<name>.errors`; its internal
//!   stages are sarama's goroutines: `<name>.dispatcher`, the topic
//!   producer `.topic`, a partition producer `.partition<p>` per
//!   partition, and per broker `b` a broker producer `.broker<b>` with its
//!   bridge `.bridge<b>` (bringing each response back to `.broker<b>`
//!   over the unbuffered `<name>.responses<b>`; the stage returns its
//!   messages in turn). They are
//!   joined by the channels `<name>.tp` and `<name>.pp<p>` of
//!   `channel_buffer_size` (256) and the unbuffered `<name>.bp<b>`. Each
//!   `.broker<b>` batches as `flush` says. Programs send values to
//!   `<name>.input` and read the results from the other two.
//! - A **partition consumer** (`ConsumePartition`) has, per partition, a
//!   fetcher goroutine (`<name>.fetch<p>`) feeding the Go channel
//!   `<name>.p<p>` (`Messages()`, buffered 256), and one handler goroutine
//!   (`<name>.handler<p>`) ranging over it with `work` per message.
//!
//! Every option has Kafka's or sarama's default; values are checked
//! against bounds that keep a world small enough to run in a browser tab.

use crate::dist::Dist;
use crate::kafka::producer::partitioner::Partitioner;
use crate::kafka::replication::Acks;
use crate::scenario::Problem;
use crate::time::{echo, SimDuration};
use serde::{Deserialize, Serialize};

/// At most this many brokers.
pub const MAX_BROKERS: u32 = 16;
/// At most this many partitions per topic.
pub const MAX_PARTITIONS: u32 = 64;
/// At most this many topics, producers, consumers or groups each.
pub const MAX_ITEMS: usize = 16;
/// Longest producer, consumer or group name (their goroutines are
/// `<name>.dispatcher`, `<name>.handler63`, ...: names are at most 32).
pub const MAX_NAME: usize = 18;
/// Largest `channel_buffer_size`.
pub const MAX_BUFFER: u32 = 4096;
/// Largest `max_open_requests`.
pub const MAX_OPEN_REQUESTS: u32 = 64;
/// Largest `flush.messages` and `flush.max_messages`.
pub const MAX_FLUSH_MESSAGES: u32 = 100_000;
/// Largest `flush.bytes` (sarama's `MaxRequestSize`, 100 MB).
pub const MAX_FLUSH_BYTES: u32 = 100 * 1024 * 1024;
/// KRaft's `broker.session.timeout.ms` default (9 s).
pub const DEFAULT_BROKER_SESSION_TIMEOUT: SimDuration = SimDuration::from_millis(9_000);
/// Largest `broker_session_timeout` (1 h).
pub const MAX_BROKER_SESSION_TIMEOUT: SimDuration = SimDuration::from_millis(3_600_000);
/// Kafka's `leader.imbalance.check.interval.seconds` default (300 s).
pub const DEFAULT_LEADER_IMBALANCE_CHECK: SimDuration = SimDuration::from_millis(300_000);
/// Largest `leader_imbalance_check_interval` (1 h).
pub const MAX_LEADER_IMBALANCE_CHECK: SimDuration = SimDuration::from_millis(3_600_000);
/// sarama's `Metadata.RefreshFrequency` default (10 min).
pub const DEFAULT_METADATA_REFRESH: SimDuration = SimDuration::from_millis(600_000);
/// Largest `metadata_refresh` (1 h).
pub const MAX_METADATA_REFRESH: SimDuration = SimDuration::from_millis(3_600_000);
/// At most this many members per group.
pub const MAX_MEMBERS: u32 = 32;

fn default_latency() -> Dist {
    Dist::Constant(SimDuration::from_micros(250))
}
fn three() -> u32 {
    3
}
fn one() -> u32 {
    1
}
fn buffer() -> u32 {
    256
}
fn yes() -> bool {
    true
}
fn is_false(b: &bool) -> bool {
    !*b
}
fn is_true(b: &bool) -> bool {
    *b
}
fn record_bytes() -> u64 {
    100
}

/// The `kafka` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSpec {
    /// Brokers `broker-1` ... `broker-n` (default 3).
    #[serde(default = "three")]
    pub brokers: u32,
    /// One-way latency of each request or response between any two
    /// processes (clients and brokers, brokers and brokers).
    #[serde(default = "default_latency")]
    pub latency: Dist,
    /// `unclean.leader.election.enable` (default false).
    #[serde(default, skip_serializing_if = "is_false")]
    pub unclean_leader_election: bool,
    /// `replica.lag.time.max.ms` (default 30s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replica_lag_max: Option<SimDuration>,
    /// `broker.session.timeout.ms` (KRaft, default 9s): how long after a
    /// broker crashes the controller fences it (its replicas leave the ISR,
    /// the partitions it led elect new leaders). `0s` = at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_session_timeout: Option<SimDuration>,
    /// `auto.leader.rebalance.enable` (default true): the controller gives
    /// each partition back to its preferred replica (the first of its
    /// replicas) once that replica is in the ISR again.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub auto_leader_rebalance: bool,
    /// `leader.imbalance.check.interval.seconds` (default 5m): how long
    /// after a partition loses its preferred leader the controller's
    /// balance runs (and again while some partition stays off it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_imbalance_check_interval: Option<SimDuration>,
    /// sarama's `Metadata.RefreshFrequency` (default 10m), for every
    /// client: how often a producer's or a group member's client refreshes
    /// its metadata in the background, and how often a group leader checks
    /// its topics' partition counts. Partitions added live are used from a
    /// client's next refresh ([`crate::world`]'s `kafka::metadata`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata_refresh: Option<SimDuration>,
    /// `log.retention.check.interval.ms` (default 5m): how often brokers
    /// delete segments past retention.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_check_interval: Option<SimDuration>,
    /// Size of every record on the log (for `segment_bytes` and
    /// `retention_bytes`; default 100).
    #[serde(default = "record_bytes")]
    pub record_bytes: u64,
    pub topics: Vec<TopicSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub producers: Vec<ProducerSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub consumers: Vec<PartitionConsumerSpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupSpec>,
}

/// A topic, created before the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicSpec {
    pub name: String,
    /// Default 1 (`num.partitions`).
    #[serde(default = "one")]
    pub partitions: u32,
    /// Default 1 (`default.replication.factor`).
    #[serde(default = "one")]
    pub replication_factor: u32,
    /// `min.insync.replicas` (default 1).
    #[serde(default = "one")]
    pub min_insync_replicas: u32,
    /// `retention.ms` (default 7d).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<SimDuration>,
    /// `retention.bytes` per partition (default unlimited).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_bytes: Option<u64>,
    /// `segment.bytes` (default 1 GiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_bytes: Option<u64>,
}

/// sarama's `RequiredAcks`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum AcksSpec {
    /// `NoResponse` (acks=0).
    #[serde(rename = "none", alias = "0", alias = "no_response")]
    None,
    /// `WaitForLocal` (acks=1), sarama's default.
    #[default]
    #[serde(rename = "local", alias = "1", alias = "wait_for_local")]
    Local,
    /// `WaitForAll` (acks=all).
    #[serde(rename = "all", alias = "-1", alias = "wait_for_all")]
    All,
}

impl AcksSpec {
    pub fn acks(self) -> Acks {
        match self {
            AcksSpec::None => Acks::None,
            AcksSpec::Local => Acks::Leader,
            AcksSpec::All => Acks::All,
        }
    }
    pub fn sarama(self) -> &'static str {
        match self {
            AcksSpec::None => "NoResponse",
            AcksSpec::Local => "WaitForLocal",
            AcksSpec::All => "WaitForAll",
        }
    }
}

/// sarama's partitioner constructors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionerSpec {
    /// `NewHashPartitioner` (the default).
    #[default]
    Hash,
    ReferenceHash,
    ConsistentCrc,
    Random,
    RoundRobin,
    /// `NewManualPartitioner`: partition = value mod partitions.
    Manual,
}

impl PartitionerSpec {
    pub fn partitioner(self) -> Partitioner {
        match self {
            PartitionerSpec::Hash => Partitioner::Hash,
            PartitionerSpec::ReferenceHash => Partitioner::ReferenceHash,
            PartitionerSpec::ConsistentCrc => Partitioner::ConsistentCrc,
            PartitionerSpec::Random => Partitioner::Random,
            PartitionerSpec::RoundRobin => Partitioner::round_robin(),
            PartitionerSpec::Manual => Partitioner::Manual,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProducerKind {
    /// `sarama.NewSyncProducer`: used by the `kafka_send` statement.
    #[default]
    Sync,
    /// `sarama.NewAsyncProducer`: Go channels and stage goroutines.
    Async,
}

/// A sarama producer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProducerSpec {
    pub name: String,
    #[serde(default)]
    pub kind: ProducerKind,
    /// `Producer.RequiredAcks` (default `local`, sarama's `WaitForLocal`).
    #[serde(default)]
    pub acks: AcksSpec,
    /// `Producer.Partitioner` (default `hash`).
    #[serde(default)]
    pub partitioner: PartitionerSpec,
    /// Messages are keyed `key-<value mod keys>`; absent: nil keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<u32>,
    /// Async only: the topic of the messages sent to `Input()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Async only: `ChannelBufferSize` (256).
    #[serde(default = "buffer")]
    pub channel_buffer_size: u32,
    /// Async only: `Producer.Return.Successes` (default false).
    #[serde(default, skip_serializing_if = "is_false")]
    pub return_successes: bool,
    /// Async only: `Producer.Return.Errors` (default true).
    #[serde(default = "yes")]
    pub return_errors: bool,
    /// `Producer.Timeout` (10s): how long the leader waits for acks=all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<SimDuration>,
    /// Async only: `Producer.Flush` (all 0: every message is sent at once).
    #[serde(default, skip_serializing_if = "FlushSpec::is_default")]
    pub flush: FlushSpec,
    /// Async only: `Net.MaxOpenRequests` (5): produce requests in flight
    /// per broker connection.
    #[serde(default = "max_open_requests")]
    pub max_open_requests: u32,
}

fn max_open_requests() -> u32 {
    5
}

/// What is wrong with a `max_open_requests` of `n`, if anything.
pub fn max_open_requests_problem(n: u32) -> Option<String> {
    (!(1..=MAX_OPEN_REQUESTS).contains(&n)).then(|| format!("must be between 1 and {MAX_OPEN_REQUESTS}, got {n}"))
}

/// sarama's `Producer.Flush` settings of an async producer: when the
/// broker producer's accumulating batch is sent. All zero (the default):
/// at once, as soon as the partition has no batch in flight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlushSpec {
    /// `Flush.Messages`: send once the batch has this many messages.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub messages: u32,
    /// `Flush.Bytes`: send once the batch has this many bytes.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub bytes: u32,
    /// `Flush.Frequency`: send what there is this long after the batch's
    /// first message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency: Option<SimDuration>,
    /// `Flush.MaxMessages`: at most this many messages in one request (the
    /// broker producer waits for room beyond it); 0 is unlimited.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_messages: u32,
}

impl FlushSpec {
    fn is_default(&self) -> bool {
        *self == FlushSpec::default()
    }
    /// When a batch goes, in words ("at once", or its triggers, and
    /// `MaxMessages`).
    pub fn triggers(&self) -> String {
        let mut parts = Vec::new();
        if self.messages > 0 {
            parts.push(format!("Messages {}", self.messages));
        }
        if self.bytes > 0 {
            parts.push(format!("Bytes {}", self.bytes));
        }
        if let Some(f) = self.frequency.filter(|f| f.as_micros() > 0) {
            parts.push(format!("Frequency {f}"));
        }
        let when = if parts.is_empty() { "at once".to_string() } else { parts.join(", ") };
        let max = if self.max_messages > 0 { format!(", MaxMessages {}", self.max_messages) } else { String::new() };
        format!("{when}{max}")
    }

    /// Bounds: `(field, problem)` for each value out of them.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        for (field, v, max) in [("messages", self.messages, MAX_FLUSH_MESSAGES), ("max_messages", self.max_messages, MAX_FLUSH_MESSAGES), ("bytes", self.bytes, MAX_FLUSH_BYTES)] {
            if v > max {
                out.push((field, format!("at most {max}, got {v}")));
            }
        }
        if self.frequency.is_some_and(|d| d > SimDuration::from_secs(3600)) {
            out.push(("frequency", "at most 1h".into()));
        }
        out
    }
    /// All three triggers off: every message is sent as soon as it can be.
    pub fn at_once(&self) -> bool {
        self.messages == 0 && self.bytes == 0 && self.frequency.is_none_or(|f| f.as_micros() == 0)
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Where a consumer starts reading: `"newest"`, `"oldest"` or an offset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OffsetSpec {
    /// `OffsetNewest`: only records produced from now on (the default).
    #[default]
    Newest,
    /// `OffsetOldest`: the oldest record still retained.
    Oldest,
    /// An absolute offset.
    #[serde(untagged)]
    At(u64),
}

/// Read by hand, not with an untagged variant: that buffers the input
/// before trying each variant (a compiled copy of the deserializers, and
/// errors reported after the enclosing object; see `json_path`).
impl<'de> Deserialize<'de> for OffsetSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Offset;
        impl serde::de::Visitor<'_> for Offset {
            type Value = OffsetSpec;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("\"newest\", \"oldest\" or an offset (a whole number)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OffsetSpec, E> {
                match v {
                    "newest" => Ok(OffsetSpec::Newest),
                    "oldest" => Ok(OffsetSpec::Oldest),
                    _ => Err(E::unknown_variant(v, &["newest", "oldest"])),
                }
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<OffsetSpec, E> {
                Ok(OffsetSpec::At(v))
            }
        }
        d.deserialize_any(Offset)
    }
}

/// A sarama `Consumer` with `ConsumePartition` on partitions of a topic,
/// and a handler goroutine ranging over each `Messages()`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionConsumerSpec {
    pub name: String,
    pub topic: String,
    /// The partitions (default all, as the seed's `Partitions()` loop).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partitions: Option<Vec<u32>>,
    #[serde(default)]
    pub offset: OffsetSpec,
    /// The handler's work per message.
    #[serde(default)]
    pub work: Dist,
    /// `ChannelBufferSize` of `Messages()` (256).
    #[serde(default = "buffer")]
    pub channel_buffer_size: u32,
}

/// sarama's group balance strategy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignorSpec {
    #[default]
    Range,
    #[serde(alias = "round_robin")]
    Roundrobin,
    Sticky,
    /// `NewBalanceStrategyCooperativeSticky`: in sarama's eager group, a
    /// fresh balanced plan every generation (see
    /// [`crate::kafka::consumer::sticky`]).
    #[serde(alias = "cooperative-sticky")]
    CooperativeSticky,
}

impl AssignorSpec {
    /// The assignor's plan.
    pub fn strategy(self) -> crate::kafka::consumer::assignor::Strategy {
        match self {
            AssignorSpec::Range => crate::kafka::consumer::assignor::Strategy::Range,
            AssignorSpec::Roundrobin => crate::kafka::consumer::assignor::Strategy::RoundRobin,
            AssignorSpec::Sticky => crate::kafka::consumer::assignor::Strategy::Sticky,
            AssignorSpec::CooperativeSticky => crate::kafka::consumer::assignor::Strategy::CooperativeSticky,
        }
    }
    /// Its name in scenarios and commands.
    pub fn key(self) -> &'static str {
        match self {
            AssignorSpec::Range => "range",
            AssignorSpec::Roundrobin => "roundrobin",
            AssignorSpec::Sticky => "sticky",
            AssignorSpec::CooperativeSticky => "cooperative_sticky",
        }
    }
    /// sarama's name for it.
    pub fn sarama(self) -> &'static str {
        match self {
            AssignorSpec::Range => "BalanceStrategyRange",
            AssignorSpec::Roundrobin => "BalanceStrategyRoundRobin",
            AssignorSpec::Sticky => "BalanceStrategySticky",
            AssignorSpec::CooperativeSticky => "NewBalanceStrategyCooperativeSticky()",
        }
    }
}

/// A sarama `ConsumerGroup`: `members` processes, each calling
/// `Consume(ctx, topics, handler)` (in a loop unless `consume_loop` is
/// false), whose `ConsumeClaim` handles each message for `work` and marks
/// it (`MarkMessage`); offsets are committed every `auto_commit_interval`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    pub name: String,
    pub topics: Vec<String>,
    #[serde(default = "one")]
    pub members: u32,
    #[serde(default)]
    pub assignor: AssignorSpec,
    #[serde(default)]
    pub work: Dist,
    /// `Consumer.Offsets.Initial` (default newest).
    #[serde(default)]
    pub initial: OffsetSpec,
    /// `Consumer.Offsets.AutoCommit.Interval` (1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_commit_interval: Option<SimDuration>,
    /// `Consumer.Group.Session.Timeout` (10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_timeout: Option<SimDuration>,
    /// `Consumer.Group.Heartbeat.Interval` (3s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_interval: Option<SimDuration>,
    /// `Consumer.Group.Rebalance.Timeout` (60s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rebalance_timeout: Option<SimDuration>,
    /// Whether each member calls `Consume` again after a rebalance (the
    /// template does; default true).
    #[serde(default = "yes")]
    pub consume_loop: bool,
    /// How many members run from the start (default all); the others
    /// start with the `kafka_member` command.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_members: Option<u32>,
}

impl GroupSpec {
    /// Member `m`'s id (1-based): `<group>-<m>`.
    pub fn member(&self, m: u32) -> String {
        format!("{}-{m}", self.name)
    }
    /// Member `m`'s claim goroutine `j`.
    pub fn claim(&self, m: u32, j: u32) -> String {
        format!("{}.claim{j}", self.member(m))
    }
    /// Member `m`'s claim goroutine `j` (sarama's `ConsumeClaim` loop),
    /// handling each message for `work`: take the next record, handle it,
    /// `MarkMessage`.
    pub fn claim_goroutine(&self, m: u32, j: u32, work: &Dist) -> crate::scenario::GoroutineSpec {
        use crate::gochan::behavior::Behavior;
        use crate::gochan::program::Stmt;
        let (consumer, partition) = (self.member(m), j);
        crate::scenario::GoroutineSpec {
            name: self.claim(m, j),
            count: 1,
            behavior: Behavior::Program(vec![Stmt::Forever(vec![
                Stmt::KafkaFetch { consumer: consumer.clone(), partition },
                Stmt::Work(work.clone()),
                Stmt::KafkaMark { consumer, partition },
            ])]),
        }
    }
}

/// At most this many claim goroutines over all groups (members times the
/// partitions of their topics).
pub const MAX_CLAIMS: u32 = 512;

impl KafkaSpec {
    /// The name of broker `id` (1-based).
    pub fn broker_name(id: u32) -> String {
        format!("broker-{id}")
    }

    /// The topic named `name`.
    pub fn topic(&self, name: &str) -> Option<(usize, &TopicSpec)> {
        self.topics.iter().enumerate().find(|(_, t)| t.name == name)
    }

    /// The replicas of partition `p` of a topic with replication factor
    /// `rf`, leader first (broker ids from 1).
    pub fn replicas(&self, p: u32, rf: u32) -> Vec<u32> {
        (0..rf).map(|i| (p + i) % self.brokers + 1).collect()
    }

    /// Claim slots of each member of a group: the partitions of its topics
    /// (a member may own them all).
    pub fn group_slots(&self, g: &GroupSpec) -> u32 {
        g.topics.iter().filter_map(|t| self.topic(t)).map(|(_, t)| t.partitions.min(MAX_PARTITIONS)).sum()
    }

    /// The partitions a partition consumer reads.
    pub fn consumer_partitions(&self, c: &PartitionConsumerSpec) -> Vec<u32> {
        match &c.partitions {
            Some(ps) => ps.clone(),
            None => (0..self.topic(&c.topic).map_or(0, |(_, t)| t.partitions)).collect(),
        }
    }

    /// Everything serde cannot check; every problem at once.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut push = |path: String, message: String| out.push(Problem { path: format!("kafka.{path}"), message });
        if !(1..=MAX_BROKERS).contains(&self.brokers) {
            push("brokers".into(), format!("must be between 1 and {MAX_BROKERS}, got {}", self.brokers));
        }
        if self.broker_session_timeout.is_some_and(|d| d > MAX_BROKER_SESSION_TIMEOUT) {
            push("broker_session_timeout".into(), format!("must be at most {MAX_BROKER_SESSION_TIMEOUT}"));
        }
        if self.leader_imbalance_check_interval.is_some_and(|d| d < SimDuration::from_millis(100) || d > MAX_LEADER_IMBALANCE_CHECK) {
            push("leader_imbalance_check_interval".into(), format!("must be between 100ms and {MAX_LEADER_IMBALANCE_CHECK}"));
        }
        if self.metadata_refresh.is_some_and(|d| d < SimDuration::from_millis(100) || d > MAX_METADATA_REFRESH) {
            push("metadata_refresh".into(), format!("must be between 100ms and {MAX_METADATA_REFRESH}"));
        }
        if self.retention_check_interval.is_some_and(|d| d < SimDuration::from_millis(100)) {
            push("retention_check_interval".into(), "must be at least 100ms".into());
        }
        if !(1..=1_000_000).contains(&self.record_bytes) {
            push("record_bytes".into(), format!("must be between 1 and 1000000, got {}", self.record_bytes));
        }
        for (what, n) in [("topics", self.topics.len()), ("producers", self.producers.len()), ("consumers", self.consumers.len()), ("groups", self.groups.len())] {
            if n > MAX_ITEMS {
                push(what.into(), format!("at most {MAX_ITEMS}, got {n}"));
            }
        }
        let brokers = self.brokers.clamp(1, MAX_BROKERS);
        for (i, t) in self.topics.iter().enumerate() {
            if let Err(m) = check_name(&t.name, 249) {
                push(format!("topics[{i}].name"), m);
            } else if self.topics[..i].iter().any(|o| o.name == t.name) {
                push(format!("topics[{i}].name"), format!("duplicate topic {}", echo(&t.name)));
            }
            if !(1..=MAX_PARTITIONS).contains(&t.partitions) {
                push(format!("topics[{i}].partitions"), format!("must be between 1 and {MAX_PARTITIONS}, got {}", t.partitions));
            }
            if !(1..=brokers).contains(&t.replication_factor) {
                push(
                    format!("topics[{i}].replication_factor"),
                    format!("must be between 1 and the broker count {brokers}, got {}", t.replication_factor),
                );
            }
            if t.min_insync_replicas == 0 || t.min_insync_replicas > t.replication_factor.max(1) {
                push(
                    format!("topics[{i}].min_insync_replicas"),
                    format!("must be between 1 and the replication factor {}, got {}", t.replication_factor, t.min_insync_replicas),
                );
            }
            if t.segment_bytes == Some(0) {
                push(format!("topics[{i}].segment_bytes"), "must be at least 1".into());
            }
            if t.retention == Some(SimDuration::ZERO) {
                push(format!("topics[{i}].retention"), "must be longer than 0".into());
            }
        }
        let mut names: Vec<String> = Vec::new();
        let mut check_owner = |path: String, name: &str, out: &mut Vec<(String, String)>| {
            if let Err(m) = check_name(name, MAX_NAME) {
                out.push((path, m));
            } else if names.iter().any(|n| n == name) {
                out.push((path, format!("the name {} is used twice in the kafka section", echo(name))));
            }
            names.push(name.to_string());
        };
        let mut named = Vec::new();
        for (i, p) in self.producers.iter().enumerate() {
            check_owner(format!("producers[{i}].name"), &p.name, &mut named);
            match (p.kind, &p.topic) {
                (ProducerKind::Async, None) => named.push((format!("producers[{i}].topic"), "an async producer needs the topic of its messages".into())),
                (ProducerKind::Async, Some(t)) if self.topic(t).is_none() => {
                    named.push((format!("producers[{i}].topic"), format!("no topic named {}", echo(t))))
                }
                (ProducerKind::Sync, Some(_)) => {
                    named.push((format!("producers[{i}].topic"), "a sync producer takes its topic from each kafka_send".into()))
                }
                _ => {}
            }
            if p.channel_buffer_size > MAX_BUFFER {
                named.push((format!("producers[{i}].channel_buffer_size"), format!("at most {MAX_BUFFER}, got {}", p.channel_buffer_size)));
            }
            if p.keys == Some(0) {
                named.push((format!("producers[{i}].keys"), "must be at least 1 (leave it out for nil keys)".into()));
            }
            if p.kind == ProducerKind::Sync
                && (p.return_successes || !p.return_errors || p.channel_buffer_size != 256 || p.flush != FlushSpec::default() || p.max_open_requests != 5)
            {
                named.push((
                    format!("producers[{i}]"),
                    "return_successes, return_errors, channel_buffer_size, flush and max_open_requests are async producer settings (a SyncProducer sends one message at a time and returns both results by itself)".into(),
                ));
            }
            if let Some(m) = max_open_requests_problem(p.max_open_requests) {
                named.push((format!("producers[{i}].max_open_requests"), m));
            }
            for (field, m) in p.flush.problems() {
                named.push((format!("producers[{i}].flush.{field}"), m));
            }
        }
        for (i, c) in self.consumers.iter().enumerate() {
            check_owner(format!("consumers[{i}].name"), &c.name, &mut named);
            match self.topic(&c.topic) {
                None => named.push((format!("consumers[{i}].topic"), format!("no topic named {}", echo(&c.topic)))),
                Some((_, t)) => {
                    for &p in c.partitions.iter().flatten() {
                        if p >= t.partitions {
                            named.push((format!("consumers[{i}].partitions"), format!("topic {} has partitions 0 to {}, got {p}", echo(&t.name), t.partitions - 1)));
                        }
                    }
                    if c.partitions.as_ref().is_some_and(|ps| ps.iter().enumerate().any(|(j, p)| ps[..j].contains(p))) {
                        named.push((format!("consumers[{i}].partitions"), "a partition is listed twice (sarama: \"That topic/partition is already being consumed\")".into()));
                    }
                }
            }
            if c.channel_buffer_size > MAX_BUFFER {
                named.push((format!("consumers[{i}].channel_buffer_size"), format!("at most {MAX_BUFFER}, got {}", c.channel_buffer_size)));
            }
        }
        for (i, g) in self.groups.iter().enumerate() {
            check_owner(format!("groups[{i}].name"), &g.name, &mut named);
            if g.topics.is_empty() {
                named.push((format!("groups[{i}].topics"), "a group consumes at least one topic".into()));
            }
            for t in &g.topics {
                if self.topic(t).is_none() {
                    named.push((format!("groups[{i}].topics"), format!("no topic named {}", echo(t))));
                }
            }
            if !(1..=MAX_MEMBERS).contains(&g.members) {
                named.push((format!("groups[{i}].members"), format!("must be between 1 and {MAX_MEMBERS}, got {}", g.members)));
            }
            let session = g.session_timeout.unwrap_or(SimDuration::from_secs(10));
            let beat = g.heartbeat_interval.unwrap_or(SimDuration::from_secs(3));
            if beat >= session || beat == SimDuration::ZERO {
                named.push((format!("groups[{i}].heartbeat_interval"), format!("must be above 0 and below the session timeout {session} (sarama's Validate), got {beat}")));
            }
            if g.start_members.is_some_and(|n| n > g.members) {
                named.push((format!("groups[{i}].start_members"), format!("at most the member count {}, got {}", g.members, g.start_members.unwrap_or(0))));
            }
            if g.auto_commit_interval == Some(SimDuration::ZERO) {
                named.push((format!("groups[{i}].auto_commit_interval"), "must be longer than 0".into()));
            }
        }
        let claims: u64 = self.groups.iter().map(|g| u64::from(g.members.min(MAX_MEMBERS)) * u64::from(self.group_slots(g))).sum();
        if claims > u64::from(MAX_CLAIMS) {
            named.push(("groups".into(), format!("at most {MAX_CLAIMS} claim goroutines (members times the partitions of their topics), got {claims}")));
        }
        for (path, m) in named {
            push(path, m);
        }
        out
    }
}

/// Kafka's topic-name rule (also used for client names here): 1 to `max`
/// characters of `[a-zA-Z0-9._-]`, not `.` or `..`.
fn check_name(name: &str, max: usize) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= max
        && name != "."
        && name != ".."
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(format!("names are 1 to {max} characters of letters, digits, '.', '_' and '-', got {}", echo(name)))
    }
}

/// Who runs an async producer's goroutines (see [`KafkaSpec::go_groups`]).
pub const ASYNC_LIBRARY: &str = "sarama's AsyncProducer";

impl KafkaSpec {
    /// The Go channels sarama makes (before any program compiles), in
    /// order: each async producer's four, its partition producers' inputs
    /// (one per partition of its topic) and its broker producers' input
    /// and responses (one each per broker), then each partition
    /// consumer's `Messages()` per partition. All are library channels.
    pub fn go_channels(&self) -> Vec<(String, u32)> {
        let mut out = Vec::new();
        for p in self.producers.iter().filter(|p| p.kind == ProducerKind::Async) {
            out.extend(p.channels());
            out.extend((0..self.async_partitions(p)).map(|i| (p.pp(i), p.channel_buffer_size)));
            for b in 1..=self.brokers {
                out.push((p.bp(b), 0));
                out.push((p.responses(b), 0));
            }
        }
        for c in &self.consumers {
            for p in self.consumer_partitions(c) {
                out.push((c.messages(p), c.channel_buffer_size));
            }
        }
        out
    }

    /// The partitions of an async producer's topic: one partition producer
    /// each (1 if the topic is missing: the scenario is refused then).
    pub fn async_partitions(&self, p: &ProducerSpec) -> u32 {
        p.topic.as_deref().and_then(|t| self.topic(t)).map_or(1, |(_, t)| t.partitions.clamp(1, MAX_PARTITIONS))
    }

    /// The goroutines sarama runs (and the consumers' handlers), as
    /// goroutine groups, each with the library that runs it (`None` for the
    /// user's code: a partition consumer's handler): an async producer's
    /// dispatcher, topic producer, one partition producer per partition of
    /// its topic, and per broker a broker producer and the bridge from the
    /// network (sarama starts a partition producer at its partition's first
    /// message and a broker producer at the first message for its broker;
    /// here they start with the producer); per partition consumer and
    /// partition, its fetcher (sarama's) and its handler; per group member,
    /// its claim slots (sarama starts a `ConsumeClaim` in each per
    /// generation, so the group, not a command, decides they run).
    pub fn go_groups(&self) -> Vec<(crate::scenario::GoroutineSpec, Option<&'static str>)> {
        use crate::gochan::behavior::{Behavior, Consumer, Stage};
        use crate::gochan::program::Stmt;
        const ASYNC: Option<&str> = Some(ASYNC_LIBRARY);
        const CONSUMER: Option<&str> = Some("sarama's partition consumer");
        const GROUP: Option<&str> = Some("sarama's ConsumerGroup (it starts a ConsumeClaim per claim each generation)");
        let g = |name: String, behavior: Behavior| crate::scenario::GoroutineSpec { name, count: 1, behavior };
        let stage = |from: String, to: String| Behavior::Stage(Stage { from, to, work: Dist::default(), wg: None, close_when_done: false });
        let mut out = Vec::new();
        for p in self.producers.iter().filter(|p| p.kind == ProducerKind::Async) {
            let n = &p.name;
            out.push((g(format!("{n}.dispatcher"), stage(p.input(), format!("{n}.tp"))), ASYNC));
            let parts = self.async_partitions(p);
            out.push((p.topic_goroutine(parts), ASYNC));
            for i in 0..parts {
                out.push((p.partition_goroutine(i, self.brokers), ASYNC));
            }
            for b in 1..=self.brokers {
                // sarama's brokerProducer.run: a select over its input and
                // the responses, so it keeps batching while requests are in
                // flight.
                let case = |ch: String, body: Stmt| crate::gochan::program::SelectCase { send: None, recv: Some(ch), body: vec![body], break_on_close: false };
                let select = crate::gochan::program::SelectStmt {
                    cases: vec![
                        case(p.bp(b), Stmt::KafkaBatchAdd { producer: n.clone(), broker: b }),
                        case(p.responses(b), Stmt::KafkaReturn { producer: n.clone(), broker: b }),
                    ],
                    default: None,
                    after: None,
                };
                out.push((g(p.broker_goroutine(b), Behavior::Program(vec![Stmt::Forever(vec![Stmt::Select(select)])])), ASYNC));
                // The goroutine that makes the network's responses selectable.
                out.push((
                    g(format!("{n}.bridge{b}"), Behavior::Program(vec![Stmt::Forever(vec![Stmt::KafkaResult { producer: n.clone(), broker: b }, Stmt::Send(p.responses(b))])])),
                    ASYNC,
                ));
            }
        }
        for c in &self.consumers {
            for p in self.consumer_partitions(c) {
                out.push((
                    g(c.fetcher(p), Behavior::Program(vec![Stmt::Forever(vec![Stmt::KafkaFetch { consumer: c.name.clone(), partition: p }, Stmt::Send(c.messages(p))])])),
                    CONSUMER,
                ));
                out.push((g(c.handler(p), Behavior::Consumer(Consumer { from: c.messages(p), work: c.work.clone(), wg: None, timeout: None })), None));
            }
        }
        for gs in &self.groups {
            for m in 1..=gs.members {
                for j in 0..self.group_slots(gs) {
                    out.push((gs.claim_goroutine(m, j, &gs.work), GROUP));
                }
            }
        }
        out
    }
}

impl ProducerSpec {
    pub fn input(&self) -> String {
        format!("{}.input", self.name)
    }
    pub fn successes(&self) -> String {
        format!("{}.successes", self.name)
    }
    pub fn errors(&self) -> String {
        format!("{}.errors", self.name)
    }
    /// Broker `b`'s broker producer's `responses` (internal): each message
    /// of a produce response, on its way to `Successes()` or `Errors()`.
    pub fn responses(&self, b: u32) -> String {
        format!("{}.responses{b}", self.name)
    }
    /// Broker `b`'s broker producer's input (sarama's `bp.input`,
    /// unbuffered).
    pub fn bp(&self, b: u32) -> String {
        format!("{}.bp{b}", self.name)
    }
    /// Broker `b`'s broker producer goroutine (`brokerProducer.run`).
    pub fn broker_goroutine(&self, b: u32) -> String {
        format!("{}.broker{b}", self.name)
    }
    /// The async producer's own Go channels, in order, with their
    /// capacities: `input`, `successes`, `errors` (unbuffered, as
    /// sarama's), then the internal stage `tp` (`ChannelBufferSize`). Each
    /// partition producer's input ([`Self::pp`]) comes with the partitions
    /// of the topic, each broker producer's ([`Self::bp`],
    /// [`Self::responses`]) with the brokers.
    pub fn channels(&self) -> Vec<(String, u32)> {
        vec![(self.input(), 0), (self.successes(), 0), (self.errors(), 0), (format!("{}.tp", self.name), self.channel_buffer_size)]
    }

    /// The input of partition `p`'s partition producer (sarama's
    /// `newPartitionProducer`: buffered `ChannelBufferSize`).
    pub fn pp(&self, p: u32) -> String {
        format!("{}.pp{p}", self.name)
    }

    /// sarama's topic producer (`topicProducer.dispatch`): takes each
    /// message from `tp`, has the partitioner set its partition, and hands
    /// it to that partition's partition producer: a `switch` over the
    /// `partitions` inputs, which grows as partitions are added.
    pub fn topic_goroutine(&self, partitions: u32) -> crate::scenario::GoroutineSpec {
        use crate::gochan::behavior::Behavior;
        use crate::gochan::program::Stmt;
        crate::scenario::GoroutineSpec {
            name: format!("{}.topic", self.name),
            count: 1,
            behavior: Behavior::Program(vec![Stmt::Forever(vec![
                Stmt::Recv(format!("{}.tp", self.name)),
                Stmt::KafkaRoute { producer: self.name.clone(), partitions },
            ])]),
        }
    }

    /// Partition `p`'s partition producer (`partitionProducer.dispatch`):
    /// from its input to the input of the broker producer it sends to, one
    /// of `brokers` (a `switch` by broker).
    pub fn partition_goroutine(&self, p: u32, brokers: u32) -> crate::scenario::GoroutineSpec {
        use crate::gochan::behavior::Behavior;
        use crate::gochan::program::Stmt;
        crate::scenario::GoroutineSpec {
            name: format!("{}.partition{p}", self.name),
            count: 1,
            behavior: Behavior::Program(vec![Stmt::Forever(vec![
                Stmt::Recv(self.pp(p)),
                Stmt::KafkaLead { producer: self.name.clone(), partition: p, brokers },
            ])]),
        }
    }
}

impl PartitionConsumerSpec {
    /// `Messages()` of partition `p`.
    pub fn messages(&self, p: u32) -> String {
        format!("{}.p{p}", self.name)
    }
    pub fn fetcher(&self, p: u32) -> String {
        format!("{}.fetch{p}", self.name)
    }
    pub fn handler(&self, p: u32) -> String {
        format!("{}.handler{p}", self.name)
    }
}

/// The Kafka names programs may use, resolved to indexes (for compiling
/// `kafka_send` and the library goroutines' programs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KafkaNames {
    /// Producers: name, async.
    pub producers: Vec<(String, bool)>,
    pub topics: Vec<String>,
    /// Fetchers: (consumer, partition), in world order: the partition
    /// consumers', then the group members' claim slots (member, slot).
    pub fetchers: Vec<(String, u32)>,
    /// Group member ids.
    pub members: Vec<String>,
    /// Async producers' stages: (producer index, topic index, the Go
    /// channel ids of `successes` and `errors` when they are returned).
    stages: Vec<(usize, usize, Option<u32>, Option<u32>)>,
}

impl KafkaNames {
    /// `chan_id` resolves a Go channel name (the producers' channels are
    /// Go channels of the world).
    pub fn new(spec: &KafkaSpec, chan_id: &dyn Fn(&str) -> Option<u32>) -> KafkaNames {
        let topic_of = |t: &Option<String>| t.as_deref().and_then(|t| spec.topic(t)).map_or(0, |(i, _)| i);
        KafkaNames {
            producers: spec.producers.iter().map(|p| (p.name.clone(), p.kind == ProducerKind::Async)).collect(),
            topics: spec.topics.iter().map(|t| t.name.clone()).collect(),
            fetchers: spec
                .consumers
                .iter()
                .flat_map(|c| spec.consumer_partitions(c).into_iter().map(move |p| (c.name.clone(), p)))
                .chain(spec.groups.iter().flat_map(|g| (1..=g.members).flat_map(move |m| (0..spec.group_slots(g)).map(move |j| (g.member(m), j)))))
                .collect(),
            members: spec.groups.iter().flat_map(|g| (1..=g.members).map(move |m| g.member(m))).collect(),
            stages: spec
                .producers
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let succ = if p.return_successes { chan_id(&p.successes()) } else { None };
                    let errs = if p.return_errors { chan_id(&p.errors()) } else { None };
                    (i, topic_of(&p.topic), succ, errs)
                })
                .collect(),
        }
    }
    pub fn producer(&self, name: &str) -> Option<(usize, bool)> {
        self.producers.iter().position(|(n, _)| n == name).map(|i| (i, self.producers[i].1))
    }
    pub fn topic(&self, name: &str) -> Option<usize> {
        self.topics.iter().position(|t| t == name)
    }
    pub fn is_member(&self, name: &str) -> bool {
        self.members.iter().any(|m| m == name)
    }
    pub fn fetcher(&self, consumer: &str, partition: u32) -> Option<usize> {
        self.fetchers.iter().position(|(c, p)| c == consumer && *p == partition)
    }
    /// An async producer's stage: (producer, topic, successes, errors).
    pub fn async_stage(&self, name: &str) -> Option<(usize, usize, Option<u32>, Option<u32>)> {
        let (i, is_async) = self.producer(name)?;
        is_async.then(|| self.stages[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> KafkaSpec {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn defaults_are_kafka_and_sarama_defaults() {
        let s = spec(r#"{"topics":[{"name":"t"}],"producers":[{"name":"p"}]}"#);
        assert_eq!(s.brokers, 3);
        assert_eq!(s.topics[0].partitions, 1);
        assert_eq!(s.topics[0].replication_factor, 1);
        assert_eq!(s.producers[0].acks, AcksSpec::Local);
        assert_eq!(s.producers[0].partitioner, PartitionerSpec::Hash);
        assert_eq!(s.producers[0].channel_buffer_size, 256);
        assert!(!s.producers[0].return_successes && s.producers[0].return_errors);
        assert!(s.problems().is_empty(), "{:?}", s.problems());
    }

    #[test]
    fn acks_aliases() {
        for (j, a) in [("\"all\"", AcksSpec::All), ("\"-1\"", AcksSpec::All), ("\"1\"", AcksSpec::Local), ("\"none\"", AcksSpec::None), ("\"wait_for_all\"", AcksSpec::All)] {
            assert_eq!(serde_json::from_str::<AcksSpec>(j).unwrap(), a);
        }
    }

    #[test]
    fn offsets_parse() {
        assert_eq!(serde_json::from_str::<OffsetSpec>("\"oldest\"").unwrap(), OffsetSpec::Oldest);
        assert_eq!(serde_json::from_str::<OffsetSpec>("42").unwrap(), OffsetSpec::At(42));
    }

    #[test]
    fn replica_placement_round_robin() {
        let s = spec(r#"{"brokers":3,"topics":[{"name":"t","partitions":3,"replication_factor":2}]}"#);
        assert_eq!(s.replicas(0, 2), vec![1, 2]);
        assert_eq!(s.replicas(2, 2), vec![3, 1]);
    }

    #[test]
    fn problems_name_each_path() {
        let s = spec(
            r#"{"brokers":2,"topics":[{"name":"t","replication_factor":3,"min_insync_replicas":4},{"name":"t"}],
               "producers":[{"name":"a","kind":"async"}],"consumers":[{"name":"a","topic":"x"}],
               "groups":[{"name":"g","topics":[],"heartbeat_interval":"20s"}]}"#,
        );
        let paths: Vec<String> = s.problems().into_iter().map(|p| p.path).collect();
        for want in [
            "kafka.topics[0].replication_factor",
            "kafka.topics[0].min_insync_replicas",
            "kafka.topics[1].name",
            "kafka.producers[0].topic",
            "kafka.consumers[0].name",
            "kafka.consumers[0].topic",
            "kafka.groups[0].topics",
            "kafka.groups[0].heartbeat_interval",
        ] {
            assert!(paths.iter().any(|p| p == want), "{want} missing from {paths:?}");
        }
    }

    #[test]
    fn hostile_names_are_refused() {
        let s = spec(r#"{"topics":[{"name":"<img src=x>"}]}"#);
        assert_eq!(s.problems().len(), 1);
    }
}
