//! The statements scenarios write goroutine programs in (JSON, externally
//! tagged: `{"send": "jobs"}`, `"break"`), as a tree; [`super::compile`]
//! flattens it into ops. What each statement does is in the parent
//! module's docs and on each variant.

use crate::dist::Dist;
use serde::{Deserialize, Serialize};

/// One statement of a goroutine program (JSON, externally tagged).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Stmt {
    /// `ch <- v` (the held value, or a newly produced one).
    Send(String),
    /// `v := <-ch` (a closed, drained channel gives `ok == false`).
    Recv(String),
    /// `close(ch)`.
    Close(String),
    /// Busy for a sampled duration (processing the held value).
    Work(Dist),
    /// `time.Sleep(d)`.
    Sleep(Dist),
    /// `for i := 0; i < times; i++ { body }`.
    Repeat { times: u64, body: Vec<Stmt> },
    /// `for { body }`.
    Forever(Vec<Stmt>),
    /// `for v := range ch { body }`: ends when `ch` is closed and drained.
    Range { ch: String, body: Vec<Stmt> },
    /// `select { ... }`.
    Select(SelectStmt),
    /// `wg.Add(n)`.
    WgAdd { wg: String, n: i64 },
    /// `wg.Done()`.
    WgDone(String),
    /// `wg.Wait()`.
    WgWait(String),
    /// `prime := v` (prime sieve: the first value a filter sees is its prime).
    TakeDivisor,
    /// `if v % prime == 0 { continue }` (prime sieve filter).
    DropMultiples,
    /// `break` out of the innermost loop.
    Break,
    /// `v = nil`: drop the held value (it is counted as dropped). In a
    /// select's `default:` that has a send case this is the non-blocking
    /// send's "no room, drop it".
    Drop,
    /// go-nsq's `producer.Publish(topic, v)` to an nsqd of the scenario's
    /// `nsq` section: blocks until the node's response comes back over the
    /// network.
    Publish(PublishStmt),
    /// go-nsq's connection reader waiting for the next message frame of
    /// `consumer`'s connection to `nsqd` (made by the world, never written).
    #[serde(skip_deserializing)]
    NsqRead { consumer: String, nsqd: String },
    /// go-nsq's `handlerLoop` check before calling the handler: a message
    /// delivered more than `MaxAttempts` times is FINed unhandled
    /// (`continue`). Made by the world, never written.
    #[serde(skip_deserializing)]
    NsqTake,
    /// The handler returned: go-nsq answers `FIN` (success) or `REQ`
    /// (error) for the held message over its connection and goes on (made
    /// by the world, never written).
    #[serde(skip_deserializing)]
    NsqFinish,
    /// sarama's `SyncProducer.SendMessage(&ProducerMessage{Topic: topic,
    /// Value: v})` with a producer of the scenario's `kafka` section:
    /// blocks until the broker's ack (or error) comes back over the
    /// network (`{"kafka_send": {"producer": "sp", "topic": "events"}}`).
    KafkaSend(KafkaSendStmt),
    /// An async producer's broker producer for broker `broker` took a
    /// message from its input (made by the world, never written): add it to
    /// its accumulating batch (sent per the `Flush` settings); waits for
    /// room when the batch is full.
    #[serde(skip_deserializing)]
    KafkaBatchAdd { producer: String, broker: u32 },
    /// An async producer's broker producer for broker `broker` took a
    /// response (made by the world, never written): hand each of its
    /// messages in turn to `Successes()` or `Errors()` when those are on
    /// (sarama's `handleResponse`).
    #[serde(skip_deserializing)]
    KafkaReturn { producer: String, broker: u32 },
    /// An async producer's bridge for broker `broker` waiting for the next
    /// produce response, handed over whole (made by the world, never
    /// written).
    #[serde(skip_deserializing)]
    KafkaResult { producer: String, broker: u32 },
    /// An async producer's topic producer with a message (made by the
    /// world, never written): the partitioner sets its partition, and it
    /// goes to that partition's producer, `<producer>.pp<p>`, one of
    /// `partitions` (a send that blocks while that input is full).
    #[serde(skip_deserializing)]
    KafkaRoute { producer: String, partitions: u32 },
    /// An async producer's partition producer for partition `partition` of
    /// its topic with a message (made by the world, never written): it goes
    /// to the broker producer of the broker it sends to,
    /// `<producer>.bp<b>`, one of `brokers` (sarama keeps that broker
    /// until a retried message of the partition comes back, then asks for
    /// the leader again).
    #[serde(skip_deserializing)]
    KafkaLead { producer: String, partition: u32, brokers: u32 },
    /// A partition consumer's fetcher waiting for the next record of its
    /// partition (made by the world, never written).
    #[serde(skip_deserializing)]
    KafkaFetch { consumer: String, partition: u32 },
    /// A group member's `ConsumeClaim` marks the record it handled
    /// (`session.MarkMessage(msg, "")`; made by the world).
    #[serde(skip_deserializing)]
    KafkaMark { consumer: String, partition: u32 },
}

/// `{"kafka_send": {"producer": "sp", "topic": "events"}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaSendStmt {
    pub producer: String,
    pub topic: String,
}

/// `{"publish": {"nsqd": "nsqd-1", "topic": "events"}}`; with `"delay":
/// "2s"` it is go-nsq's `DeferredPublish` (nsqd's `DPUB`): each channel's
/// copy is deferred that long (0 to 1h, nsqd's max-req-timeout).
///
/// With a list of nodes (`"nsqd": ["nsqd-a", "nsqd-b"]`) it is the
/// redundant pair (SEMANTICS 2.7's mitigation): one producer per node,
/// `Publish` to each in turn with the same value, as one logical message
/// (one publish sequence number). The value counts as published if any of
/// them returned `OK`; dropped only if every one failed.
///
/// With `"batch": n` (2 to 1000) it is go-nsq's `MultiPublish` (nsqd's
/// `MPUB`): the held value (or a new one) and the goroutine's next `n - 1`
/// values go in one frame and one round trip, as `n` messages; all are
/// published on `OK`, all dropped on an error. (The `n - 1` extra values
/// enter the Go ledger when the answer comes: their labels are taken when
/// the batch is sent.) Not with a list of nodes, nor with a delay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublishStmt {
    pub nsqd: PublishNodes,
    pub topic: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay: Option<crate::time::SimDuration>,
    /// `MPUB` of this many messages (see above).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch: Option<u32>,
}

/// Largest `MPUB` batch of a `publish`.
pub const MAX_BATCH: u32 = 1000;

/// The node, or nodes, of a `publish`: `"nsqd-1"` or `["nsqd-1", "nsqd-2"]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum PublishNodes {
    One(String),
    Many(Vec<String>),
}

/// Read by hand, not `#[serde(untagged)]`: an untagged enum buffers its
/// input before trying each variant, which adds a compiled copy of the
/// deserializers it reaches and reports its errors after the enclosing
/// object (see `json_path`).
impl<'de> Deserialize<'de> for PublishNodes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Nodes;
        impl<'de> serde::de::Visitor<'de> for Nodes {
            type Value = PublishNodes;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a node name or a list of node names")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PublishNodes, E> {
                Ok(PublishNodes::One(v.to_owned()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<PublishNodes, A::Error> {
                Vec::deserialize(serde::de::value::SeqAccessDeserializer::new(seq)).map(PublishNodes::Many)
            }
        }
        d.deserialize_any(Nodes)
    }
}

impl PublishNodes {
    /// The node names, in publish order.
    pub fn names(&self) -> &[String] {
        match self {
            PublishNodes::One(n) => std::slice::from_ref(n),
            PublishNodes::Many(v) => v,
        }
    }
}

impl From<&str> for PublishNodes {
    fn from(n: &str) -> Self {
        PublishNodes::One(n.to_string())
    }
}

/// `select { case ...: body; case <-time.After(d): body; default: body }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectStmt {
    pub cases: Vec<SelectCase>,
    /// `default:` body; present (even empty) makes the select non-blocking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Vec<Stmt>>,
    /// `case <-time.After(wait):` with its body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<AfterCase>,
}

/// One channel case of a select: exactly one of `send` / `recv`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectCase {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub send: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recv: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body: Vec<Stmt>,
    /// For a recv case: when the channel is closed (`ok == false`), break
    /// out of the innermost loop instead of running the body.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub break_on_close: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AfterCase {
    pub wait: Dist,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub body: Vec<Stmt>,
}
