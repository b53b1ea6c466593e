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
//!
//! This file holds the section's types and defaults; `problems.rs` the
//! checks serde cannot make; `go_side.rs` the Go channels and goroutines
//! sarama makes for it, and their names.

use crate::dist::Dist;
use crate::kafka::producer::partitioner::Partitioner;
use crate::kafka::replication::Acks;
use crate::scenario::Problem;
use crate::time::{echo, SimDuration};
use serde::{Deserialize, Serialize};

mod go_side;
mod problems;

pub use go_side::*;

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
