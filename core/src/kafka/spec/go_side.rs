//! What sarama makes in the Go world for a Kafka section, and its names:
//! the library's Go channels and goroutines (an async producer's stages, a
//! partition consumer's fetchers, a group's claims), and the names programs
//! may use resolved to indexes ([`KafkaNames`]).

use super::*;

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
