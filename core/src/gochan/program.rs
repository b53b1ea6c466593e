//! Goroutine programs: what a goroutine does, as a list of operations with a
//! program counter, so "what is this goroutine doing?" is always `ops[pc]`.
//!
//! Scenarios write programs as a tree of [`Stmt`] (JSON); [`compile`] turns
//! the tree into flat [`Op`]s with jumps, a Go-like listing for the UI (one
//! line per statement, each op mapped to its line), and for every pc the set
//! of channel and WaitGroup operations the goroutine may still perform (used
//! to prove goroutines stuck).
//!
//! # Values
//! A goroutine holds at most one value `v` (one variable, as in
//! `v := <-ch` / `ch <- v`):
//! - `send` (or a select's send case) offers `v` if the goroutine holds
//!   one, otherwise it produces a new message whose value is the
//!   goroutine's counter (`start`, `start+1`, ...). A completed send hands
//!   `v` over: the goroutine holds nothing after it.
//! - A select whose send case is *not* chosen (its `time.After` fired, or
//!   it took `default`) keeps `v`, as Go keeps it in its variable: a retry
//!   loop sends the same value again.
//! - `recv` (or a select's receive case) puts the received value in `v`.
//!   The value it replaces is finished ("processed") if it had been
//!   received; one that was never sent is dropped ("never sent").
//! - `drop` (`v = nil`) drops `v` on purpose: the `drop_when_full`
//!   producer's `default:` does this.

use crate::dist::Dist;
use crate::observe::trace::DropCause;
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

pub type ChanId = u32;
pub type WgId = u32;
pub type Pc = u32;

/// A compiled operation. Blocking ops keep `pc` on themselves while the
/// goroutine waits; the world advances `pc` when the op completes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Send { ch: ChanId },
    /// `on_closed`: where to jump when the channel is closed and drained
    /// (the end of a `range`); `None` for a plain receive.
    Recv { ch: ChanId, on_closed: Option<Pc> },
    Close { ch: ChanId },
    Work { dist: u16 },
    Sleep { dist: u16 },
    LoopInit { slot: u8, times: u64 },
    /// Decrement loop `slot`; jump to `to` while it is positive.
    LoopBack { slot: u8, to: Pc },
    Jump { to: Pc },
    Select { sel: u16 },
    WgAdd { wg: WgId, n: i64 },
    WgDone { wg: WgId },
    WgWait { wg: WgId },
    TakeDivisor,
    DropMultiples { skip_to: Pc },
    /// Drop the held value, for this cause.
    Drop { cause: DropCause },
    /// Publish the held value (or a new one) to nsqd `node`, topic
    /// `topics[topic]`, and wait for the response. `fresh`: a new logical
    /// message (else the same as the previous publish: a redundant pair);
    /// `settle`: the last publish of the value (it is then published, or
    /// dropped if every publish of it failed).
    Publish { node: u16, topic: u16, fresh: bool, settle: bool, batch: u16 },
    /// Wait for the next message on NSQ connection `conn`.
    NsqRead { conn: u16 },
    /// Skip the handler (to `skip_to`) if the world doomed the held
    /// message (attempts > MaxAttempts).
    NsqTake { skip_to: Pc },
    /// The handler returned: the world answers FIN or REQ.
    NsqFinish,
    /// Produce the held value (or a new one) with Kafka producer
    /// `producer` to topic `topic` (indexes of the `kafka` section) and
    /// wait for the response (a `SendMessage`): the value ends with it,
    /// acked, or dropped on an error.
    KafkaProduce { producer: u16, topic: u16 },
    /// The held message's journey ends here: acked, and no one asked for
    /// it on `Successes()`.
    KafkaSettle,
    /// Add the held message to async producer `producer`'s batch for
    /// broker `broker` (it leaves Go); waits only while the batch is full.
    KafkaBatchAdd { producer: u16, topic: u16, broker: u16 },
    /// Wait for the next produce response of `producer` from broker
    /// `broker` (the held value is its first message).
    KafkaResult { producer: u16, broker: u16 },
    /// The partitioner of async producer `producer` picks the held
    /// message's partition `p` on topic `topic`; the goroutine goes on at
    /// the next op + 2p: the send to that partition producer's input (each
    /// followed by a jump past the last), so partitions added later append
    /// cases without moving any op. `cases`: how many (the partitions).
    KafkaRoute { producer: u16, topic: u16, cases: u16 },
    /// Partition `index` (of topic `topic`)'s partition producer of async
    /// producer `producer` picks the broker producer `b` it sends to; the
    /// goroutine goes on at the next op + 2(b - 1): the send to that
    /// broker producer's input, as in `KafkaRoute`. `cases`: the brokers.
    KafkaLead { producer: u16, topic: u16, index: u16, cases: u16 },
    /// Go on to `on_err` if the held message's produce failed.
    KafkaOutcome { on_err: Pc },
    /// The broker producer for `broker` of async producer `producer` is
    /// returning a response: hold its next message and go back to `again`,
    /// or go on once the response has none left.
    KafkaNext { producer: u16, broker: u16, again: Pc },
    /// Wait for the next record of fetcher `fetcher`'s partition.
    KafkaFetch { fetcher: u16 },
    /// Mark the record fetcher `fetcher` handed over as consumed.
    KafkaMark { fetcher: u16 },
    End,
}

/// A compiled select case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseKind {
    Send(ChanId),
    Recv(ChanId),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompiledCase {
    pub kind: CaseKind,
    /// First op of the case body.
    pub target: Pc,
    /// For recv cases with `break_on_close`: where `ok == false` jumps.
    pub on_closed: Option<Pc>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CompiledSelect {
    pub cases: Vec<CompiledCase>,
    pub default: Option<Pc>,
    pub after: Option<(u16, Pc)>,
    pub line: u32,
}

/// Something a goroutine may still do that can unblock another one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    Send(ChanId),
    Recv(ChanId),
    Close(ChanId),
    /// `wg.Done()` or `wg.Add(negative)`.
    WgDecrement(WgId),
}

/// A line of the Go-like listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    pub indent: u8,
    pub text: String,
}

/// A compiled program.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub ops: Vec<Op>,
    pub dists: Vec<Dist>,
    pub selects: Vec<CompiledSelect>,
    pub lines: Vec<Line>,
    /// Listing line of each op.
    pub op_line: Vec<u32>,
    /// Loop counters the program needs.
    pub loop_slots: u8,
    /// No send anywhere: the goroutine is a sink (its receives are deliveries).
    pub is_sink: bool,
    /// For each pc, what the goroutine may still do from there (sorted).
    pub may: Vec<Vec<Capability>>,
    /// NSQ topic names the program publishes to (`Op::Publish` indexes it
    /// and `delays`).
    pub topics: Vec<String>,
    /// The DPUB delay of each `topics` entry (None: a plain PUB).
    pub delays: Vec<Option<crate::time::SimDuration>>,
    /// For each pc, where the goroutine goes on once the op there is done
    /// waiting (a work or sleep): `pc + 1`, or where the jumps from there
    /// lead (the end of a loop body goes straight back to its head, with no
    /// dispatch of the jump in between).
    pub resume: Vec<Pc>,
}

/// Maximum loop nesting (loop counters are a fixed array per goroutine).
pub const MAX_LOOP_DEPTH: usize = 8;
/// Maximum number of ops in one compiled program.
pub const MAX_OPS: usize = 4096;

/// A compile problem: `path` is relative to the program (`[2].body[0]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompileError {
    pub path: String,
    pub message: String,
}

/// Resolves names to ids while compiling.
pub trait Names {
    fn channel(&self, name: &str) -> Option<ChanId>;
    fn waitgroup(&self, name: &str) -> Option<WgId>;
    /// The index of nsqd node `name` in the scenario's `nsq` section.
    fn nsqd(&self, _name: &str) -> Option<u32> {
        None
    }
    /// The index of `consumer`'s connection to `nsqd`.
    fn nsq_conn(&self, _consumer: &str, _nsqd: &str) -> Option<u32> {
        None
    }
    /// The scenario's Kafka names (producers, topics, fetchers).
    fn kafka(&self) -> Option<&crate::kafka::spec::KafkaNames> {
        None
    }
}

struct Compiler<'a> {
    names: &'a dyn Names,
    p: Program,
    errors: Vec<CompileError>,
    /// Open loops: (slot, break fixups, continue target fixups).
    loops: Vec<LoopCtx>,
    /// Whether the current innermost loop body has an op that waits.
    waits: Vec<bool>,
    /// Compiling the `default:` body of a select that has a send case: a
    /// `drop` there is "no room".
    in_send_default: bool,
}

struct LoopCtx {
    breaks: Vec<usize>,
    continues: Vec<usize>,
}

/// Compiles a statement tree. All problems are reported, each with a path.
pub fn compile(stmts: &[Stmt], names: &dyn Names) -> Result<Program, Vec<CompileError>> {
    let mut c = Compiler {
        names,
        p: Program {
            ops: Vec::new(),
            dists: Vec::new(),
            selects: Vec::new(),
            lines: Vec::new(),
            op_line: Vec::new(),
            loop_slots: 0,
            is_sink: true,
            may: Vec::new(),
            topics: Vec::new(),
            delays: Vec::new(),
            resume: Vec::new(),
        },
        errors: Vec::new(),
        loops: Vec::new(),
        waits: vec![false],
        in_send_default: false,
    };
    c.block(stmts, "", 0);
    c.emit_line(Op::End, 0, "return");
    if c.p.ops.len() > MAX_OPS {
        c.err("", format!("program too large: {} operations (limit {MAX_OPS})", c.p.ops.len()));
    }
    if !c.errors.is_empty() {
        return Err(c.errors);
    }
    c.p.is_sink = !c.p.ops.iter().any(|op| matches!(op, Op::Send { .. } | Op::Publish { .. } | Op::KafkaProduce { .. } | Op::KafkaBatchAdd { .. }))
        && !c.p.selects.iter().any(|s| s.cases.iter().any(|k| matches!(k.kind, CaseKind::Send(_))));
    c.p.may = reachability(&c.p);
    c.p.resume = resume_points(&c.p.ops);
    Ok(c.p)
}

/// [`Program::resume`]: `pc + 1`, through every jump from there. A cycle
/// of jumps (an empty `for {}`) stops at a jump, which then runs as an op.
fn resume_points(ops: &[Op]) -> Vec<Pc> {
    (0..ops.len())
        .map(|pc| {
            let mut next = pc + 1;
            for _ in 0..ops.len() {
                match ops.get(next) {
                    Some(Op::Jump { to }) => next = *to as usize,
                    _ => break,
                }
            }
            next as Pc
        })
        .collect()
}

impl Compiler<'_> {
    /// `SendMessage`: the producer must be a sync one of the scenario.
    fn kafka_send(&mut self, k: &KafkaSendStmt, path: &str, ind: u8) {
        let names = self.names.kafka();
        let producer = match names.and_then(|n| n.producer(&k.producer)) {
            Some((i, false)) => i,
            Some((_, true)) => {
                self.err(&format!("{path}.kafka_send.producer"), format!("{} is an async producer: send to {}.input instead", crate::time::echo(&k.producer), k.producer));
                0
            }
            None => {
                self.err(&format!("{path}.kafka_send.producer"), format!("no Kafka producer named {} (the scenario's kafka.producers lists them)", crate::time::echo(&k.producer)));
                0
            }
        };
        let topic = names.and_then(|n| n.topic(&k.topic)).unwrap_or_else(|| {
            self.err(&format!("{path}.kafka_send.topic"), format!("no Kafka topic named {}", crate::time::echo(&k.topic)));
            0
        });
        let op = Op::KafkaProduce { producer: producer as u16, topic: topic as u16 };
        self.emit_line(op, ind, &format!("partition, offset, err := {}.SendMessage(&sarama.ProducerMessage{{Topic: {:?}, Value: v}}) // waits for the ack", k.producer, k.topic));
        self.mark_waits();
    }

    /// An async producer's stage (its index, topic and the channel ids of
    /// `Successes()` / `Errors()` when returned), or a compile error.
    fn async_stage(&mut self, producer: &str, path: &str) -> Option<(usize, usize, Option<u32>, Option<u32>)> {
        let stage = self.names.kafka().and_then(|n| n.async_stage(producer));
        if stage.is_none() {
            self.err(path, format!("no async producer named {}", crate::time::echo(producer)));
        }
        stage
    }

    fn kafka_batch_add(&mut self, producer: &str, broker: u32, path: &str, ind: u8) {
        let Some((p, topic, _, _)) = self.async_stage(producer, path) else { return };
        let broker = broker.min(u32::from(u16::MAX)) as u16;
        self.emit_line(Op::KafkaBatchAdd { producer: p as u16, topic: topic as u16, broker }, ind, "bp.accumulatingBatch.add(v) // sent per Flush; waits only while the batch is full");
    }

    fn kafka_route(&mut self, producer: &str, partitions: u32, path: &str, ind: u8) {
        let Some((p, topic, _, _)) = self.async_stage(producer, path) else { return };
        let cases = partitions.min(u32::from(u16::MAX)) as u16;
        self.emit_line(Op::KafkaRoute { producer: p as u16, topic: topic as u16, cases }, ind, "tp.partitionMessage(v) // the partitioner sets v.Partition");
        self.line(ind, "switch v.Partition { // tp.handlers[v.Partition] <- v".into());
        self.switch_sends(path, ind, (0..u32::from(cases)).map(|i| (i, format!("{producer}.pp{i}"), format!("partition producer {i}, buffered Producer.ChannelBufferSize"))));
    }

    fn kafka_lead(&mut self, producer: &str, partition: u32, brokers: u32, path: &str, ind: u8) {
        let Some((p, topic, _, _)) = self.async_stage(producer, path) else { return };
        let cases = brokers.min(u32::from(u16::MAX)) as u16;
        let index = partition.min(u32::from(u16::MAX)) as u16;
        self.emit_line(
            Op::KafkaLead { producer: p as u16, topic: topic as u16, index, cases },
            ind,
            "pp.updateLeaderIfBrokerProducerIsNil(v) // the leader's broker producer; kept until a retry comes back",
        );
        self.line(ind, "switch pp.leader { // pp.brokerProducer.input <- v".into());
        self.switch_sends(path, ind, (1..=u32::from(cases)).map(|b| (b, format!("{producer}.bp{b}"), format!("broker-{b}'s broker producer, unbuffered"))));
    }

    /// A `switch` whose cases `(label, channel, comment)` each send the
    /// held value on their channel and jump past the last: case `i` starts
    /// at the next op + 2i.
    fn switch_sends(&mut self, path: &str, ind: u8, cases: impl Iterator<Item = (u32, String, String)>) {
        let mut jumps = Vec::new();
        for (label, name, comment) in cases {
            let ch = self.chan(path, &name);
            let l = self.line(ind + 1, format!("case {label}: {name} <- v // {comment}"));
            self.emit(Op::Send { ch }, l);
            jumps.push(self.emit(Op::Jump { to: 0 }, l));
        }
        self.line(ind, "}".into());
        let end = self.pc();
        for j in jumps {
            self.patch(j, end);
        }
    }

    fn kafka_result(&mut self, producer: &str, broker: u32, path: &str, ind: u8) {
        let Some((p, _, _, _)) = self.async_stage(producer, path) else { return };
        let broker = broker.min(u32::from(u16::MAX)) as u16;
        self.emit_line(Op::KafkaResult { producer: p as u16, broker }, ind, "v := <-pending // the next produce response, handed over whole");
        self.mark_waits();
    }

    fn kafka_return(&mut self, producer: &str, broker: u32, path: &str, ind: u8) {
        let Some((p, _, succ, errs)) = self.async_stage(producer, path) else { return };
        self.line(ind, "for _, msg := range v.set.msgs { // bp.handleResponse(v): each message of the response in turn".into());
        let ind = ind + 1;
        let outcome = self.emit_line(Op::KafkaOutcome { on_err: 0 }, ind, "if msg.err == nil {");
        let ind = ind + 1;
        match succ {
            Some(ch) => {
                self.emit_line(Op::Send { ch }, ind, &format!("{producer}.successes <- msg // Return.Successes"));
            }
            None => {
                self.emit_line(Op::KafkaSettle, ind, "// acked (Return.Successes is off: nobody is told)");
            }
        }
        let jump = self.emit_line(Op::Jump { to: 0 }, ind - 1, "} else {");
        let err_at = self.pc();
        match errs {
            Some(ch) => {
                self.emit_line(Op::Send { ch }, ind, &format!("{producer}.errors <- &ProducerError{{msg, err}} // Return.Errors"));
            }
            None => {
                self.emit_line(Op::Drop { cause: DropCause::ProduceFailed }, ind, "// failed (Return.Errors is off: only logged)");
            }
        }
        self.line(ind - 1, "}".into());
        let end = self.pc();
        let broker = broker.min(u32::from(u16::MAX)) as u16;
        self.emit_line(Op::KafkaNext { producer: p as u16, broker, again: outcome as Pc }, ind - 2, "} // the next message of the response, if any");
        self.p.ops[outcome] = Op::KafkaOutcome { on_err: err_at };
        self.p.ops[jump] = Op::Jump { to: end };
    }

    fn err(&mut self, path: &str, message: String) {
        self.errors.push(CompileError { path: path.to_owned(), message });
    }

    fn pc(&self) -> Pc {
        self.p.ops.len() as Pc
    }

    fn line(&mut self, indent: u8, text: String) -> u32 {
        self.p.lines.push(Line { indent, text });
        (self.p.lines.len() - 1) as u32
    }

    fn emit(&mut self, op: Op, line: u32) -> usize {
        self.p.ops.push(op);
        self.p.op_line.push(line);
        self.p.ops.len() - 1
    }

    fn emit_line(&mut self, op: Op, indent: u8, text: &str) -> usize {
        let l = self.line(indent, text.to_owned());
        self.emit(op, l)
    }

    fn chan(&mut self, path: &str, name: &str) -> ChanId {
        self.names.channel(name).unwrap_or_else(|| {
            self.err(path, format!("no channel named {}", crate::time::echo(name)));
            0
        })
    }

    fn wg(&mut self, path: &str, name: &str) -> WgId {
        self.names.waitgroup(name).unwrap_or_else(|| {
            self.err(path, format!("no WaitGroup named {}", crate::time::echo(name)));
            0
        })
    }

    fn dist(&mut self, path: &str, d: &Dist) -> u16 {
        if let Err(m) = d.check() {
            self.err(path, m);
        }
        self.p.dists.push(d.clone());
        (self.p.dists.len() - 1) as u16
    }

    fn mark_waits(&mut self) {
        if let Some(w) = self.waits.last_mut() {
            *w = true;
        }
    }

    fn block(&mut self, stmts: &[Stmt], path: &str, indent: u8) {
        for (i, s) in stmts.iter().enumerate() {
            self.stmt(s, &format!("{path}[{i}]"), indent);
        }
    }

    fn open_loop(&mut self, path: &str) -> u8 {
        // Said once, at the first loop too deep (not once per deeper loop).
        if self.loops.len() == MAX_LOOP_DEPTH {
            self.err(path, format!("loops nested deeper than {MAX_LOOP_DEPTH}"));
        }
        let slot = self.loops.len() as u8;
        self.p.loop_slots = self.p.loop_slots.max(slot + 1);
        self.loops.push(LoopCtx { breaks: Vec::new(), continues: Vec::new() });
        self.waits.push(false);
        slot
    }

    /// Closes a loop: patches `break`s to `end` and `continue`s to `cont`.
    fn close_loop(&mut self, path: &str, cont: Pc, end: Pc) {
        let ctx = self.loops.pop().expect("open loop");
        for at in ctx.breaks {
            self.patch(at, end);
        }
        for at in ctx.continues {
            self.patch(at, cont);
        }
        let waited = self.waits.pop().unwrap_or(true);
        if !waited {
            self.err(
                path,
                "this loop never blocks or waits (no send, receive, blocking select, sleep or work): \
                 it would spin forever at one instant"
                    .into(),
            );
        }
        // A loop that waits makes the enclosing body wait too.
        self.mark_waits();
    }

    fn patch(&mut self, at: usize, to: Pc) {
        match &mut self.p.ops[at] {
            Op::Jump { to: t } | Op::DropMultiples { skip_to: t } | Op::NsqTake { skip_to: t } => *t = to,
            Op::Recv { on_closed: Some(t), .. } => *t = to,
            _ => {}
        }
    }

    fn stmt(&mut self, s: &Stmt, path: &str, ind: u8) {
        match s {
            Stmt::Send(ch) => {
                let id = self.chan(path, ch);
                self.emit_line(Op::Send { ch: id }, ind, &format!("{ch} <- v"));
                self.mark_waits();
            }
            Stmt::Recv(ch) => {
                let id = self.chan(path, ch);
                self.emit_line(Op::Recv { ch: id, on_closed: None }, ind, &format!("v := <-{ch}"));
                self.mark_waits();
            }
            Stmt::Close(ch) => {
                let id = self.chan(path, ch);
                self.emit_line(Op::Close { ch: id }, ind, &format!("close({ch})"));
            }
            Stmt::Work(d) => {
                let i = self.dist(&format!("{path}.work"), d);
                self.emit_line(Op::Work { dist: i }, ind, &format!("process(v) // takes {d}"));
                if !d.is_zero() {
                    self.mark_waits();
                }
            }
            Stmt::Sleep(d) => {
                let i = self.dist(&format!("{path}.sleep"), d);
                self.emit_line(Op::Sleep { dist: i }, ind, &format!("time.Sleep({d})"));
                if !d.is_zero() {
                    self.mark_waits();
                }
            }
            Stmt::Repeat { times, body } => {
                let slot = self.open_loop(path);
                let var = (b'i' + slot) as char;
                let l = self.line(ind, format!("for {var} := 0; {var} < {times}; {var}++ {{"));
                self.emit(Op::LoopInit { slot, times: *times }, l);
                // Skip the body entirely when times == 0.
                let guard = self.emit(Op::Jump { to: 0 }, l);
                let body_start = self.pc();
                self.block(body, &format!("{path}.repeat.body"), ind + 1);
                let cont = self.pc();
                let close = self.line(ind, "}".into());
                self.emit(Op::LoopBack { slot, to: body_start }, close);
                let end = self.pc();
                self.patch(guard, if *times == 0 { end } else { body_start });
                self.close_loop(path, cont, end);
            }
            Stmt::Forever(body) => {
                self.open_loop(path);
                let l = self.line(ind, "for {".into());
                let start = self.pc();
                self.block(body, &format!("{path}.forever"), ind + 1);
                let _ = l;
                let close = self.line(ind, "}".into());
                // An empty forever body still needs an op for its back-edge.
                let back = self.emit(Op::Jump { to: start }, close);
                let end = self.pc();
                self.close_loop(path, back as Pc, end);
                // The loop header line shows the first op of the body.
            }
            Stmt::Range { ch, body } => {
                let id = self.chan(&format!("{path}.range.ch"), ch);
                self.open_loop(path);
                let head = self.emit_line(Op::Recv { ch: id, on_closed: Some(0) }, ind, &format!("for v := range {ch} {{"));
                self.mark_waits();
                self.block(body, &format!("{path}.range.body"), ind + 1);
                let close = self.line(ind, "}".into());
                self.emit(Op::Jump { to: head as Pc }, close);
                let end = self.pc();
                self.patch(head, end);
                self.close_loop(path, head as Pc, end);
            }
            Stmt::Select(sel) => self.select(sel, path, ind),
            Stmt::WgAdd { wg, n } => {
                let id = self.wg(path, wg);
                if i32::try_from(*n).is_err() {
                    self.err(
                        &format!("{path}.wg_add.n"),
                        format!("must be between {} and {} (a WaitGroup's counter is 32 bits), got {n}", i32::MIN, i32::MAX),
                    );
                }
                self.emit_line(Op::WgAdd { wg: id, n: *n }, ind, &format!("{wg}.Add({n})"));
            }
            Stmt::WgDone(wg) => {
                let id = self.wg(path, wg);
                self.emit_line(Op::WgDone { wg: id }, ind, &format!("{wg}.Done()"));
            }
            Stmt::WgWait(wg) => {
                let id = self.wg(path, wg);
                self.emit_line(Op::WgWait { wg: id }, ind, &format!("{wg}.Wait()"));
                self.mark_waits();
            }
            Stmt::TakeDivisor => {
                self.emit_line(Op::TakeDivisor, ind, "prime := v // print(prime)");
            }
            Stmt::DropMultiples => {
                if self.loops.is_empty() {
                    self.err(path, "drop_multiples must be inside a loop".into());
                }
                let at = self.emit_line(Op::DropMultiples { skip_to: 0 }, ind, "if v%prime == 0 { continue }");
                if let Some(l) = self.loops.last_mut() {
                    l.continues.push(at);
                }
            }
            Stmt::Publish(p) => {
                let names = p.nsqd.names();
                if names.is_empty() {
                    self.err(&format!("{path}.publish.nsqd"), "a publish needs at least one nsqd".into());
                }
                let mut nodes = Vec::with_capacity(names.len());
                for (i, n) in names.iter().enumerate() {
                    if names[..i].contains(n) {
                        self.err(&format!("{path}.publish.nsqd"), format!("nsqd {} is listed twice", crate::time::echo(n)));
                    }
                    nodes.push(self.names.nsqd(n).unwrap_or_else(|| {
                        self.err(&format!("{path}.publish.nsqd"), format!("no nsqd named {} (the scenario's nsq.nsqd lists the nodes)", crate::time::echo(n)));
                        0
                    }));
                }
                if let Err(e) = crate::nsq::names::check_topic_name(&p.topic) {
                    self.err(&format!("{path}.publish.topic"), e.to_string());
                }
                if let Some(d) = p.delay {
                    if d > crate::time::SimDuration::from_secs(3600) {
                        self.err(&format!("{path}.publish.delay"), format!("a DPUB delay is at most 1h (nsqd's max-req-timeout), got {d}"));
                    }
                }
                let topic = match self.p.topics.iter().zip(&self.p.delays).position(|(t, d)| *t == p.topic && *d == p.delay) {
                    Some(i) => i,
                    None => {
                        self.p.topics.push(p.topic.clone());
                        self.p.delays.push(p.delay);
                        self.p.topics.len() - 1
                    }
                };
                let batch = p.batch.unwrap_or(1);
                if !(1..=MAX_BATCH).contains(&batch) {
                    self.err(&format!("{path}.publish.batch"), format!("a batch is 1 to {MAX_BATCH} messages, got {batch}"));
                } else if batch > 1 && (nodes.len() > 1 || p.delay.is_some()) {
                    self.err(&format!("{path}.publish.batch"), "MPUB goes to one node and has no delay".into());
                }
                let batch = batch.clamp(1, MAX_BATCH) as u16;
                let last = nodes.len().saturating_sub(1);
                for (i, node) in nodes.into_iter().enumerate() {
                    let op = Op::Publish { node: node as u16, topic: topic.min(usize::from(u16::MAX)) as u16, fresh: i == 0, settle: i == last, batch };
                    let name = &names[i];
                    let line = match p.delay {
                        Some(d) => format!("producer.DeferredPublish({:?}, {d}, v) // to {name}, waits for its response", p.topic),
                        None if batch > 1 => format!("producer.MultiPublish({:?}, batch) // {batch} values to {name}, one response", p.topic),
                        None => format!("producer.Publish({:?}, v) // to {name}, waits for its response", p.topic),
                    };
                    self.emit_line(op, ind, &line);
                    self.mark_waits();
                }
            }
            Stmt::NsqRead { consumer, nsqd } => {
                let conn = self.names.nsq_conn(consumer, nsqd).unwrap_or_else(|| {
                    self.err(path, format!("no connection of consumer {} to {}", crate::time::echo(consumer), crate::time::echo(nsqd)));
                    0
                });
                self.emit_line(Op::NsqRead { conn: conn as u16 }, ind, &format!("m := readMessage(conn) // from {nsqd}"));
                self.mark_waits();
            }
            Stmt::NsqTake => {
                let at = self.emit_line(Op::NsqTake { skip_to: 0 }, ind, "if m.Attempts > MaxAttempts { m.Finish(); continue }");
                if let Some(l) = self.loops.last_mut() {
                    l.continues.push(at);
                }
            }
            Stmt::NsqFinish => {
                self.emit_line(Op::NsqFinish, ind, "err := h.HandleMessage(m) // then FIN, or REQ on error");
            }
            Stmt::KafkaSend(k) => self.kafka_send(k, path, ind),
            Stmt::KafkaBatchAdd { producer, broker } => self.kafka_batch_add(producer, *broker, path, ind),
            Stmt::KafkaReturn { producer, broker } => self.kafka_return(producer, *broker, path, ind),
            Stmt::KafkaResult { producer, broker } => self.kafka_result(producer, *broker, path, ind),
            Stmt::KafkaRoute { producer, partitions } => self.kafka_route(producer, *partitions, path, ind),
            Stmt::KafkaLead { producer, partition, brokers } => self.kafka_lead(producer, *partition, *brokers, path, ind),
            Stmt::KafkaFetch { consumer, partition } => {
                let f = self.names.kafka().and_then(|k| k.fetcher(consumer, *partition)).unwrap_or_else(|| {
                    self.err(path, format!("no partition consumer {} of partition {partition}", crate::time::echo(consumer)));
                    0
                });
                let text = if consumer.contains('-') && self.names.kafka().is_some_and(|k| k.is_member(consumer)) {
                    "v := <-claim.Messages() // waits for a record of its claimed partition".to_string()
                } else {
                    format!("v := pc.fetch() // partition {partition}: waits for a record below the high watermark")
                };
                self.emit_line(Op::KafkaFetch { fetcher: f as u16 }, ind, &text);
                self.mark_waits();
            }
            Stmt::KafkaMark { consumer, partition } => {
                let f = self.names.kafka().and_then(|k| k.fetcher(consumer, *partition)).unwrap_or_else(|| {
                    self.err(path, format!("no claim {partition} of group member {}", crate::time::echo(consumer)));
                    0
                });
                self.emit_line(Op::KafkaMark { fetcher: f as u16 }, ind, "session.MarkMessage(v, \"\") // committed with the next auto-commit");
            }
            Stmt::Drop => {
                let (cause, text) = if self.in_send_default {
                    (DropCause::SelectDefault, "v = nil // no room: dropped")
                } else {
                    (DropCause::Discarded, "v = nil // dropped")
                };
                self.emit_line(Op::Drop { cause }, ind, text);
            }
            Stmt::Break => {
                if self.loops.is_empty() {
                    self.err(path, "break outside a loop".into());
                }
                let at = self.emit_line(Op::Jump { to: 0 }, ind, "break");
                if let Some(l) = self.loops.last_mut() {
                    l.breaks.push(at);
                }
            }
        }
    }

    fn select(&mut self, sel: &SelectStmt, path: &str, ind: u8) {
        let outer_send_default = std::mem::replace(&mut self.in_send_default, false);
        self.select_inner(sel, path, ind);
        self.in_send_default = outer_send_default;
    }

    fn select_inner(&mut self, sel: &SelectStmt, path: &str, ind: u8) {
        let path = format!("{path}.select");
        if sel.cases.is_empty() && sel.after.is_none() && sel.default.is_none() {
            self.err(&path, "an empty select blocks forever; give it at least one case".into());
        }
        let head_line = self.line(ind, "select {".into());
        let idx = self.p.selects.len() as u16;
        self.p.selects.push(CompiledSelect { cases: Vec::new(), default: None, after: None, line: head_line });
        self.emit(Op::Select { sel: idx }, head_line);
        if sel.default.is_none() {
            self.mark_waits();
        }
        let mut ends = Vec::new();
        let mut cases = Vec::new();
        for (i, case) in sel.cases.iter().enumerate() {
            let cpath = format!("{path}.cases[{i}]");
            let (kind, text) = match (&case.send, &case.recv) {
                (Some(ch), None) => (CaseKind::Send(self.chan(&cpath, ch)), format!("case {ch} <- v:")),
                (None, Some(ch)) => (CaseKind::Recv(self.chan(&cpath, ch)), format!("case v, ok := <-{ch}:")),
                _ => {
                    self.err(&cpath, "a case needs exactly one of \"send\" or \"recv\"".into());
                    (CaseKind::Recv(0), String::new())
                }
            };
            if case.break_on_close && matches!(kind, CaseKind::Send(_)) {
                self.err(&cpath, "break_on_close applies to recv cases only".into());
            }
            if case.break_on_close && self.loops.is_empty() {
                self.err(&cpath, "break_on_close needs an enclosing loop".into());
            }
            let l = self.line(ind, text);
            let target = self.pc();
            let mut on_closed = None;
            if case.break_on_close {
                // A jump op placed first in the body would run on ok==true too,
                // so the break target is recorded in the case and patched below.
                let at = self.emit(Op::Jump { to: 0 }, l);
                if let Some(lp) = self.loops.last_mut() {
                    lp.breaks.push(at);
                }
                on_closed = Some(at as Pc);
            }
            let body_start = self.pc();
            self.block(&case.body, &format!("{cpath}.body"), ind + 1);
            ends.push(self.emit(Op::Jump { to: 0 }, l));
            cases.push(CompiledCase { kind, target: if on_closed.is_some() { body_start } else { target }, on_closed });
        }
        let mut after = None;
        if let Some(a) = &sel.after {
            let apath = format!("{path}.after");
            let d = self.dist(&format!("{apath}.wait"), &a.wait);
            let l = self.line(ind, format!("case <-time.After({}):", a.wait));
            let target = self.pc();
            self.block(&a.body, &format!("{apath}.body"), ind + 1);
            ends.push(self.emit(Op::Jump { to: 0 }, l));
            after = Some((d, target));
        }
        let mut default = None;
        if let Some(body) = &sel.default {
            let l = self.line(ind, "default:".into());
            let target = self.pc();
            self.in_send_default = sel.cases.iter().any(|c| c.send.is_some());
            self.block(body, &format!("{path}.default"), ind + 1);
            self.in_send_default = false;
            ends.push(self.emit(Op::Jump { to: 0 }, l));
            default = Some(target);
        }
        self.line(ind, "}".into());
        let end = self.pc();
        for at in ends {
            self.patch(at, end);
        }
        let s = &mut self.p.selects[idx as usize];
        s.cases = cases;
        s.after = after;
        s.default = default;
    }
}

/// Successor pcs of `pc` in the control-flow graph.
fn successors(p: &Program, pc: usize, out: &mut Vec<usize>) {
    let next = pc + 1;
    match p.ops[pc] {
        Op::End => {}
        Op::Jump { to } => out.push(to as usize),
        Op::LoopBack { to, .. } => out.extend([to as usize, next]),
        Op::Recv { on_closed: Some(t), .. } => out.extend([next, t as usize]),
        Op::DropMultiples { skip_to } | Op::NsqTake { skip_to } | Op::KafkaOutcome { on_err: skip_to } | Op::KafkaNext { again: skip_to, .. } => out.extend([next, skip_to as usize]),
        // Each case of the partition switch: its send, then a jump on.
        Op::KafkaRoute { cases, .. } | Op::KafkaLead { cases, .. } => out.extend((0..usize::from(cases)).map(|i| next + 2 * i)),
        Op::Select { sel } => {
            let s = &p.selects[sel as usize];
            for c in &s.cases {
                out.push(c.target as usize);
                if let Some(t) = c.on_closed {
                    out.push(t as usize);
                }
            }
            out.extend(s.default.map(|t| t as usize));
            out.extend(s.after.map(|(_, t)| t as usize));
        }
        _ => out.push(next),
    }
}

fn capabilities(p: &Program, pc: usize, out: &mut Vec<Capability>) {
    match p.ops[pc] {
        Op::Send { ch } => out.push(Capability::Send(ch)),
        Op::Recv { ch, .. } => out.push(Capability::Recv(ch)),
        Op::Close { ch } => out.push(Capability::Close(ch)),
        Op::WgDone { wg } => out.push(Capability::WgDecrement(wg)),
        Op::WgAdd { wg, n } if n < 0 => out.push(Capability::WgDecrement(wg)),
        Op::Select { sel } => {
            for c in &p.selects[sel as usize].cases {
                out.push(match c.kind {
                    CaseKind::Send(ch) => Capability::Send(ch),
                    CaseKind::Recv(ch) => Capability::Recv(ch),
                });
            }
        }
        _ => {}
    }
}

/// For each pc, the capabilities reachable from it (including itself).
fn reachability(p: &Program) -> Vec<Vec<Capability>> {
    let n = p.ops.len();
    let mut result = Vec::with_capacity(n);
    let mut seen = vec![false; n];
    let mut stack = Vec::new();
    let mut succ = Vec::new();
    for start in 0..n {
        seen.iter_mut().for_each(|s| *s = false);
        let mut caps = Vec::new();
        stack.push(start);
        seen[start] = true;
        while let Some(pc) = stack.pop() {
            capabilities(p, pc, &mut caps);
            succ.clear();
            successors(p, pc, &mut succ);
            for &s in &succ {
                if s < n && !seen[s] {
                    seen[s] = true;
                    stack.push(s);
                }
            }
        }
        crate::cold_sort::sort(&mut caps);
        caps.dedup();
        result.push(caps);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    struct N;
    impl Names for N {
        fn channel(&self, name: &str) -> Option<ChanId> {
            ["jobs", "done", "out"].iter().position(|n| *n == name).map(|i| i as u32)
        }
        fn waitgroup(&self, name: &str) -> Option<WgId> {
            (name == "wg").then_some(0)
        }
    }

    fn prog(json: &str) -> Result<Program, Vec<CompileError>> {
        let stmts: Vec<Stmt> = serde_json::from_str(json).unwrap();
        compile(&stmts, &N)
    }

    #[test]
    fn producer_compiles_to_loop_with_listing() {
        let p = prog(r#"[{"repeat":{"times":10,"body":[{"sleep":"100ms"},{"send":"jobs"}]}},{"close":"jobs"}]"#).unwrap();
        let text: Vec<_> = p.lines.iter().map(|l| format!("{}{}", "  ".repeat(l.indent as usize), l.text)).collect();
        assert_eq!(
            text,
            ["for i := 0; i < 10; i++ {", "  time.Sleep(100ms)", "  jobs <- v", "}", "close(jobs)", "return"]
        );
        assert!(!p.is_sink);
        assert_eq!(p.may[0], [Capability::Send(0), Capability::Close(0)]);
        let close_pc = p.ops.iter().position(|o| matches!(o, Op::Close { .. })).unwrap();
        assert_eq!(p.may[close_pc], [Capability::Close(0)]);
    }

    #[test]
    fn range_consumer_is_a_sink_and_range_exits_past_the_loop() {
        let p = prog(r#"[{"range":{"ch":"jobs","body":[{"work":"10ms"}]}},{"wg_done":"wg"}]"#).unwrap();
        assert!(p.is_sink);
        let Op::Recv { on_closed: Some(end), .. } = p.ops[0] else { panic!("{:?}", p.ops[0]) };
        assert_eq!(p.ops[end as usize], Op::WgDone { wg: 0 });
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let errs = prog(r#"[{"send":"nope"},{"repeat":{"times":2,"body":[{"wg_wait":"wg2"}]}},{"forever":[{"close":"jobs"}]}]"#)
            .unwrap_err();
        let paths: Vec<_> = errs.iter().map(|e| (e.path.as_str(), e.message.as_str())).collect();
        assert_eq!(paths[0], ("[0]", "no channel named \"nope\""));
        assert_eq!(paths[1], ("[1].repeat.body[0]", "no WaitGroup named \"wg2\""));
        assert_eq!(paths[2].0, "[2]");
        assert!(paths[2].1.contains("never blocks or waits"));
    }

    #[test]
    fn select_with_timeout_and_break_on_close() {
        let p = prog(
            r#"[{"forever":[{"select":{"cases":[{"recv":"jobs","break_on_close":true,"body":[{"work":"5ms"}]}],"after":{"wait":"1s"}}}]},{"wg_done":"wg"}]"#,
        )
        .unwrap();
        let s = &p.selects[0];
        let brk = s.cases[0].on_closed.unwrap();
        let Op::Jump { to } = p.ops[brk as usize] else { panic!() };
        assert_eq!(p.ops[to as usize], Op::WgDone { wg: 0 });
        assert!(s.after.is_some());
        assert!(p.lines.iter().any(|l| l.text == "case <-time.After(1s):"));
    }

    #[test]
    fn non_blocking_loop_is_refused_but_a_waiting_one_is_fine() {
        assert!(prog(r#"[{"forever":[{"select":{"cases":[{"send":"jobs"}],"default":[]}}]}]"#).is_err());
        assert!(prog(r#"[{"forever":[{"select":{"cases":[{"send":"jobs"}],"default":[]}},{"sleep":"1ms"}]}]"#).is_ok());
    }

    #[test]
    fn loops_nested_too_deep_are_reported_once() {
        let mut json = r#"[{"send":"jobs"}]"#.to_string();
        for _ in 0..30 {
            json = format!(r#"[{{"forever":{json}}}]"#);
        }
        let errs = prog(&json).unwrap_err();
        assert_eq!(errs.iter().filter(|e| e.message.contains("nested deeper")).count(), 1, "{errs:?}");
    }

    #[test]
    fn repeat_zero_skips_body() {
        let p = prog(r#"[{"repeat":{"times":0,"body":[{"send":"jobs"}]}}]"#).unwrap();
        let Op::Jump { to } = p.ops[1] else { panic!() };
        assert_eq!(p.ops[to as usize], Op::End);
    }
}

#[cfg(test)]
mod resume_tests {
    use super::*;

    #[test]
    fn resume_follows_jumps_and_stops_in_a_cycle_of_jumps() {
        let ops = [
            Op::Recv { ch: 0, on_closed: Some(4) }, // 0
            Op::Work { dist: 0 },                   // 1: then the jump at 2, back to 0
            Op::Jump { to: 0 },                     // 2
            Op::Jump { to: 3 },                     // 3: a jump to itself
            Op::Sleep { dist: 0 },                  // 4: then the cycle at 3
            Op::Jump { to: 3 },                     // 5
            Op::End,                                // 6
        ];
        let r = resume_points(&ops);
        assert_eq!(r[1], 0, "the end of a range body resumes at the receive");
        assert_eq!(r[0], 1);
        assert_eq!(r[4], 3, "a cycle of jumps is left to run as ops");
        assert_eq!(r[6], 7, "past the end stays past the end");
    }
}
