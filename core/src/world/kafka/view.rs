//! What the page and the CLI show of Kafka: per partition its leader,
//! replicas, ISR, log start, high watermark and log end (as
//! `kafka-topics.sh --describe` plus the offsets); per producer sent,
//! acked and failed; per partition consumer its offset and what it read;
//! and the guarantees book's figures. Also the Kafka rows of the time
//! series ([`KafkaWorld::sample_rows`], read back as
//! [`crate::observe::stats::KafkaSample`]).
//!
//! # The series' figures
//! - **Lag** is `kafka-consumer-groups.sh`'s (and SEMANTICS 3.4): high
//!   watermark minus the group's committed offset, per partition; none
//!   before the group's first commit of that partition. A group's total
//!   is the sum over its partitions that have one. For a partition
//!   consumer (no commits) the offset is its position: the next offset its
//!   code gets (records fetched but not yet handed over do not count as
//!   read), the same figure the consumer table shows.
//! - **End-to-end latency** runs from the produce call (the value's birth
//!   in the producing goroutine) to the hand-over of the record to the
//!   consumer's code: a group's `ConsumeClaim` handler, or a partition
//!   consumer's fetcher goroutine (its handler then reads it from
//!   `Messages()`). p50 and p99 over the sample interval (since the
//!   previous sample), not since the start, so a slowdown shows at once.
//! - **Counts** (produced, acked, consumed) are cumulative; the page
//!   derives rates from successive samples.

use super::book::KafkaCounts;
use super::group::Request;
use super::{KafkaError, KafkaWorld};
use crate::observe::stats::{pack_p50_p99, KafkaKey, KafkaName, KafkaRows, KAFKA_NONE};
use crate::observe::snapshot::KafkaEventPlace;
use crate::observe::trace::{EventKind, TraceEvent};
use crate::time::SimDuration;
use serde::Serialize;
use crate::kafka::group::coordinator::GroupState;

/// One partition.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KafkaPartitionView {
    pub topic: String,
    pub partition: u32,
    /// Broker id of the leader (absent: none, all replicas down).
    pub leader: Option<u32>,
    pub replicas: Vec<u32>,
    pub isr: Vec<u32>,
    /// Replicas whose broker is up.
    pub live: Vec<u32>,
    pub log_start: u64,
    pub high_watermark: u64,
    pub log_end: u64,
    /// Each replica's log end offset, in replica order.
    pub replica_leo: Vec<u64>,
    pub leader_epoch: u32,
    /// A broker fenced while it runs that still acts as this partition's
    /// leader, unaware (a zombie), and the records it took meanwhile
    /// (lost when it registers again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zombie: Option<u32>,
    #[serde(skip_serializing_if = "is_zero")]
    pub zombie_records: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KafkaProducerView {
    pub name: String,
    pub kind: String,
    pub acks: String,
    pub sent: u64,
    pub acked: u64,
    pub failed: u64,
    /// The goroutines that have produced through it (a SyncProducer's
    /// callers, an AsyncProducer's broker stage), in id order.
    pub goroutines: Vec<u32>,
    /// An async producer's `Flush` settings in words ("at once", or its
    /// triggers, as [`crate::kafka::spec::FlushSpec::triggers`] says);
    /// "one message per SendMessage" for a sync producer.
    pub flush: String,
    /// An async producer's `Net.MaxOpenRequests` (none for a sync one).
    pub max_open_requests: Option<u32>,
    /// Produce requests written (an async producer's batches; a sync
    /// producer's sends and retries are not counted).
    pub requests: u64,
    /// Records those requests carried.
    pub requested: u64,
    /// Records waiting in its batches now (not yet in a request).
    pub batched: u64,
    /// Its requests written and not answered now.
    pub open_requests: u32,
    /// Per topic (in the order of `KafkaView::topics`), the partition
    /// count its client's metadata says: what it spreads new records
    /// over (fewer than the topic has after `kafka_add_partitions`, until
    /// its next metadata refresh).
    pub known_partitions: Vec<u32>,
    /// The partitions (`topic-n`) its client's metadata says have no
    /// leader: the random and round-robin partitioners skip them.
    pub offline_partitions: Vec<String>,
    /// Its client's next metadata refresh, while its metadata is behind
    /// (fewer partitions than some topic has, or some offline) (µs).
    pub refresh_at_us: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KafkaConsumerView {
    pub name: String,
    pub topic: String,
    pub partition: u32,
    /// The next offset it fetches (absent before its first fetch).
    pub offset: Option<u64>,
    pub high_watermark: u64,
    /// HW - offset.
    pub lag: u64,
    pub consumed: u64,
    /// Shut down by OFFSET_OUT_OF_RANGE.
    pub stopped: bool,
}

/// One row of `kafka-consumer-groups.sh --describe`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KafkaGroupRow {
    pub topic: String,
    pub partition: u32,
    /// The committed offset (absent: none yet).
    pub current_offset: Option<u64>,
    /// The high watermark (what the tool prints as LOG-END-OFFSET).
    pub log_end_offset: u64,
    pub lag: Option<u64>,
    /// The member that owns it in this generation.
    pub consumer_id: Option<String>,
}

/// A group member.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KafkaMemberView {
    pub id: String,
    /// running, joining, rebalancing, idle, down (crashed or left), not started (beyond start_members, before its first start), stopped (Consume returned), zombie (removed by the coordinator, which it has not heard yet: still processing)
    pub state: String,
    /// Its partitions in this session (`topic-p`).
    pub partitions: Vec<String>,
    /// The generation of its session, as it knows it (a zombie's is older
    /// than the group's); `None` out of a session.
    pub generation: Option<u32>,
    /// Marked but not yet committed: (`topic-p`, next offset).
    pub marked: Vec<(String, u64)>,
    pub consumed: u64,
    /// Its own handler work (`kafka_group_work` with a member); `None`:
    /// the group's.
    pub work: Option<String>,
}

/// A consumer group.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KafkaGroupView {
    pub name: String,
    pub generation: u32,
    pub state: String,
    /// Between generations: the coordinator prepares or completes a
    /// rebalance.
    pub rebalancing: bool,
    pub rebalances: u32,
    /// The coordinator's broker id; 0 when no registered broker could load
    /// the group. `state` is `CoordinatorNotAvailable` while that broker
    /// is down (before the controller moves the group) or there is none.
    pub coordinator: u32,
    pub assignor: String,
    pub members: Vec<KafkaMemberView>,
    pub rows: Vec<KafkaGroupRow>,
}

/// An acks=all produce waiting at its leader for the high watermark.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KafkaAckWait {
    /// The goroutine blocked in `SendMessage` (or sarama's producer goroutine).
    pub goroutine: u32,
    /// The producer (of the scenario's `kafka` section) it produces with.
    pub producer: String,
    pub topic: String,
    pub partition: u32,
    pub offset: u64,
    pub leader: u32,
    /// The in-sync followers whose log does not reach the record yet (empty:
    /// the high watermark is about to pass it).
    pub missing: Vec<u32>,
}

impl KafkaAckWait {
    /// "events-1 offset 41 is on broker-1, not yet on broker-3".
    pub fn text(&self) -> String {
        let name = crate::kafka::spec::KafkaSpec::broker_name;
        if self.missing.is_empty() {
            format!("{}-{} offset {} is on every in-sync replica; the high watermark is about to pass it", self.topic, self.partition, self.offset)
        } else {
            let missing: Vec<String> = self.missing.iter().map(|&b| name(b)).collect();
            format!("{}-{} offset {} is on {}, not yet on {}", self.topic, self.partition, self.offset, name(self.leader), missing.join(", "))
        }
    }
}

/// A topic's configuration now (`kafka-configs.sh --describe`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KafkaTopicView {
    pub name: String,
    pub partitions: u32,
    /// `retention.ms` ("7d" by default).
    pub retention: String,
    /// `retention.bytes` per partition (`None`: unlimited).
    pub retention_bytes: Option<u64>,
}

/// The Kafka part of a snapshot and a summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KafkaView {
    pub brokers: Vec<KafkaBrokerView>,
    pub topics: Vec<KafkaTopicView>,
    pub partitions: Vec<KafkaPartitionView>,
    pub producers: Vec<KafkaProducerView>,
    pub consumers: Vec<KafkaConsumerView>,
    pub groups: Vec<KafkaGroupView>,
    pub guarantees: KafkaCounts,
    pub unclean_leader_election: bool,
    /// The controller's preferred-leader balance
    /// (`auto_leader_rebalance`): how long after a partition lost its
    /// preferred leader it runs, in microseconds; absent when off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader_balance_every_us: Option<u64>,
    /// When the next balance runs (some partition is off its preferred
    /// leader), in microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leader_balance_at_us: Option<u64>,
    /// Every client's `Metadata.RefreshFrequency` (`metadata_refresh`), µs.
    pub metadata_refresh_us: u64,
    /// Network cuts in place: pairs of process names (`broker-N`, a
    /// producer, a partition consumer, a group member).
    pub cuts: Vec<[String; 2]>,
    /// acks=all produces waiting at their leaders (what a blocked sender waits for).
    pub ack_waits: Vec<KafkaAckWait>,
    /// Where the model simplifies Kafka and sarama.
    pub simplifications: Vec<&'static str>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KafkaBrokerView {
    pub id: u32,
    pub name: String,
    pub up: bool,
    /// Crashed and not fenced yet: when the controller will fence it
    /// (its session times out), in microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fenced_at_us: Option<u64>,
    /// Partitions it leads (as the metadata says: a crashed broker leads
    /// until it is fenced).
    pub leads: u32,
    /// Fenced by the controller while it runs (cut from the controller):
    /// it leads, follows and replicates nothing until it registers again.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub fenced: bool,
}

/// Where the model simplifies (shown with every Kafka run).
pub const SIMPLIFICATIONS: &[&str] = &[
    "a SyncProducer sends one record per request and waits for it; an AsyncProducer batches as sarama does (Flush settings, one batch in flight per partition, up to Net.MaxOpenRequests requests per broker), but a request to a dead broker fails at once, its broker producer takes no response while it waits for room in a full batch, a retried message goes straight back into a batch (sarama: back through Input()'s goroutines), and its partition and broker producers start with it (sarama: at their first message)",
    "consumers fetch from the leader and fetch again once they have handed over what they got; a broker crash is a process crash: its host closes its connections at once, so its clients learn of it at once and what it had written still arrives (a host that vanished would leave them waiting for Net.ReadTimeout)",
    "across a cut link a producer's request times out after sarama's Net.ReadTimeout (30s) and is retried (Retry.Max 3), and so is a consumer's fetch (after Consumer.Retry.Backoff, 2s) and a member's heartbeat (4 tries, then the session ends), commit (one at a time, again at the next tick) and join (Consume returns the i/o timeout and the member's loop joins again); a broker cut from the controller and fenced goes on as leader (a zombie) for the producers that reach it, but consumers learn the new leader at once (sarama's would go on fetching from the zombie)",
    "a group's coordinator moves to the next registered broker when the controller fences its broker (Kafka: the new leader of the group's __consumer_offsets partition, not modelled as a log) and moves back to the broker it started on at the controller's next leader balance once that broker is registered again (auto_leader_rebalance; Kafka waits for it to rejoin the offsets partition's ISR); a fenced broker that still runs answers NOT_COORDINATOR at once; a member whose join is refused tries again every 2s (sarama's Consume returns the error at once, and a loop calling it again spins until the group has moved)",
];

impl KafkaWorld {
    /// The claim slots with no partition, waiting: their goroutine and why
    /// (sarama runs a `ConsumeClaim` only per claimed partition; such a
    /// slot stands for one that is not running).
    pub(crate) fn idle_claims(&self) -> impl Iterator<Item = (crate::gochan::channel::GoId, &'static str)> + '_ {
        self.fetchers.iter().filter(|fe| !fe.active).filter_map(|fe| {
            let (g, m) = fe.member?;
            let ms = &self.groups[usize::from(g)].members[usize::from(m)];
            let why = if !ms.up {
                "its member is down"
            } else if ms.done {
                "Consume returned and is not called again"
            } else if ms.session.is_none() || ms.ending {
                "its member is between generations (a rebalance): no ConsumeClaim runs"
            } else if ms.slots.iter().any(|&f| self.fetchers.get(usize::from(f)).is_some_and(|o| o.active)) {
                "its member owns fewer partitions than it has claim slots in this generation: no ConsumeClaim runs here"
            } else {
                "its member owns no partition in this generation (more members than partitions): no ConsumeClaim runs"
            };
            Some((fe.waiting?, why))
        })
    }

    pub(crate) fn view(&self) -> KafkaView {
        let partitions: Vec<KafkaPartitionView> = self
            .keys_in_order()
            .map(|key| &self.parts[key as usize])
            .map(|ps| {
                // Without a leader (every replica down), the longest log
                // still says what the partition holds.
                let leader_log = ps.leader_log().or_else(|| ps.logs.iter().max_by_key(|l| l.leo()));
                KafkaPartitionView {
                    topic: self.spec.topics[usize::from(ps.topic)].name.clone(),
                    partition: ps.index,
                    leader: ps.repl.leader(),
                    replicas: ps.replicas.clone(),
                    isr: ps.repl.isr().collect(),
                    live: ps.replicas.iter().copied().filter(|&b| self.broker_up(b)).collect(),
                    log_start: leader_log.map_or(0, |l| l.log_start_offset()),
                    high_watermark: ps.repl.high_watermark(),
                    log_end: leader_log.map_or(0, |l| l.leo()),
                    // A zombie's log goes on with what it takes.
                    replica_leo: ps.logs.iter().zip(&ps.replicas).map(|(l, &b)| ps.zombie.as_deref().filter(|z| z.broker == b).map_or(l.leo(), |z| z.next)).collect(),
                    leader_epoch: ps.repl.leader_epoch(),
                    zombie: ps.zombie.as_deref().map(|z| z.broker),
                    zombie_records: ps.zombie.as_deref().map_or(0, |z| z.recs.len() as u32),
                }
            })
            .collect();
        KafkaView {
            topics: self
                .spec
                .topics
                .iter()
                .map(|t| KafkaTopicView {
                    name: t.name.clone(),
                    partitions: t.partitions,
                    retention: t.retention.or(crate::kafka::log::LogConfig::default().retention).map_or_else(|| "unlimited".into(), |d| d.to_string()),
                    retention_bytes: t.retention_bytes,
                })
                .collect(),
            brokers: (1..=self.spec.brokers)
                .map(|id| KafkaBrokerView {
                    id,
                    name: crate::kafka::spec::KafkaSpec::broker_name(id),
                    up: self.broker_up(id),
                    fenced_at_us: self.fence_at[id as usize - 1].map(|t| t.as_micros()),
                    leads: self.parts.iter().filter(|p| p.repl.leader() == Some(id)).count() as u32,
                    fenced: self.fenced_running[id as usize - 1],
                })
                .collect(),
            producers: self
                .spec
                .producers
                .iter()
                .zip(&self.producers)
                .enumerate()
                .map(|(i, (s, p))| KafkaProducerView {
                    name: s.name.clone(),
                    kind: format!("{:?}", s.kind).to_ascii_lowercase(),
                    acks: s.acks.sarama().to_string(),
                    sent: p.sent,
                    acked: p.acked,
                    failed: p.failed,
                    goroutines: self.client_producer.iter().filter(|&(_, &q)| usize::from(q) == i).map(|(&end, _)| end - super::client(0)).collect(),
                    flush: match s.kind {
                        crate::kafka::spec::ProducerKind::Sync => "one message per SendMessage".into(),
                        crate::kafka::spec::ProducerKind::Async => s.flush.triggers(),
                    },
                    max_open_requests: (s.kind == crate::kafka::spec::ProducerKind::Async).then_some(s.max_open_requests),
                    requests: p.batcher.requests,
                    requested: p.batcher.requested,
                    batched: self.batched(i) as u64,
                    open_requests: self.open_requests(i),
                    known_partitions: p.known.clone(),
                    offline_partitions: self
                        .spec
                        .topics
                        .iter()
                        .zip(&p.offline)
                        .flat_map(|(t, &m)| (0..64).filter(move |i| m >> i & 1 == 1).map(move |i| format!("{}-{i}", t.name)))
                        .collect(),
                    refresh_at_us: p.refresh_at.map(|t| t.as_micros()),
                })
                .collect(),
            consumers: self
                .fetchers
                .iter()
                .filter(|f| f.member.is_none())
                .map(|f| {
                    let ps = &self.parts[f.part as usize];
                    let hw = ps.repl.high_watermark();
                    KafkaConsumerView {
                        name: self.spec.consumers[usize::from(f.consumer)].name.clone(),
                        topic: self.spec.topics[usize::from(ps.topic)].name.clone(),
                        partition: ps.index,
                        offset: f.offset.map(|o| o - f.buffer.len() as u64),
                        high_watermark: hw,
                        lag: f.offset.map_or(0, |o| hw.saturating_sub(o - f.buffer.len() as u64)),
                        consumed: f.consumed,
                        stopped: f.stopped,
                    }
                })
                .collect(),
            groups: self.group_views(),
            partitions,
            guarantees: self.book.counts(),
            unclean_leader_election: self.spec.unclean_leader_election,
            leader_balance_every_us: self
                .spec
                .auto_leader_rebalance
                .then(|| self.spec.leader_imbalance_check_interval.unwrap_or(crate::kafka::spec::DEFAULT_LEADER_IMBALANCE_CHECK).as_micros()),
            leader_balance_at_us: self.balance_at.map(|t| t.as_micros()),
            metadata_refresh_us: self.metadata_every().as_micros(),
            cuts: self.cut_names(),
            ack_waits: self.ack_waits(),
            simplifications: SIMPLIFICATIONS.to_vec(),
        }
    }

    /// The acks=all produces waiting at their leaders: the leader has the
    /// record, the high watermark has not reached it (oldest first per
    /// partition).
    fn ack_waits(&self) -> Vec<KafkaAckWait> {
        let mut out = Vec::new();
        for ps in self.keys_in_order().map(|key| &self.parts[key as usize]) {
            let Some(leader) = ps.repl.leader() else { continue };
            for a in &ps.pending {
                let producer = match a.req {
                    0 => self.in_flight.get(&a.g).map(|f| f.producer),
                    req => self.batches.iter().find(|b| b.req == req).map(|b| b.producer),
                }
                .and_then(|p| self.spec.producers.get(usize::from(p)));
                out.push(KafkaAckWait {
                    goroutine: a.g,
                    producer: producer.map_or_else(String::new, |p| p.name.clone()),
                    topic: self.spec.topics[usize::from(ps.topic)].name.clone(),
                    partition: ps.index,
                    offset: a.offset,
                    leader,
                    missing: ps.repl.isr().filter(|&b| b != leader && ps.slot(b).is_some_and(|i| ps.logs[i].leo() <= a.offset)).collect(),
                });
            }
        }
        out
    }

    /// The Kafka rows of a time-series sample (see the module doc), and
    /// the latency windows start again. Allocation-free (names are made
    /// once, on a row's first sample).
    pub(crate) fn sample_rows(&mut self, out: &mut KafkaRows<'_>) {
        let name = |name: &str, topic: &str, partition: u32| KafkaName { name: name.to_string(), topic: topic.to_string(), partition };
        let produced = self.recs.len() as u64;
        let acked = self.producers.iter().map(|p| p.acked).sum();
        let consumed = self.fetchers.iter().map(|f| f.consumed).sum();
        out.push(KafkaKey::Totals, || name("", "", 0), [produced, acked, consumed]);
        for i in self.keys_in_order() {
            let ps = &self.parts[i as usize];
            let log = ps.leader_log().or_else(|| ps.logs.iter().max_by_key(|l| l.leo()));
            let topic = &self.spec.topics[usize::from(ps.topic)].name;
            let v = [log.map_or(0, |l| l.log_start_offset()), log.map_or(0, |l| l.leo()), ps.repl.high_watermark()];
            out.push(KafkaKey::Partition(i), || name("", topic, ps.index), v);
        }
        let nconsumers = self.spec.consumers.len();
        for (gi, (gs, spec)) in self.groups.iter().zip(&self.spec.groups).enumerate() {
            let book = nconsumers + gi;
            let consumed = self.fetchers.iter().filter(|f| usize::from(f.consumer) == book).map(|f| f.consumed).sum();
            let mut lag: Option<u64> = None;
            for t in &spec.topics {
                let Some((ti, ts)) = self.spec.topic(t) else { continue };
                for p in 0..ts.partitions {
                    let hw = self.parts[self.part_key(ti, p) as usize].repl.high_watermark();
                    if let Some(c) = gs.coord.committed(t, p as i32) {
                        lag = Some(lag.unwrap_or(0) + hw.saturating_sub(c));
                    }
                }
            }
            let e2e = self.e2e_window.get(book).filter(|l| l.count() > 0).map(|l| l.p50_p99());
            out.push(KafkaKey::Group(gi as u16), || name(&spec.name, "", 0), [consumed, lag.unwrap_or(KAFKA_NONE), pack_p50_p99(e2e)]);
            for t in &spec.topics {
                let Some((ti, ts)) = self.spec.topic(t) else { continue };
                for p in 0..ts.partitions {
                    let key = self.part_key(ti, p);
                    let hw = self.parts[key as usize].repl.high_watermark();
                    let c = gs.coord.committed(t, p as i32);
                    let v = [c.unwrap_or(KAFKA_NONE), c.map_or(KAFKA_NONE, |c| hw.saturating_sub(c)), 0];
                    out.push(KafkaKey::GroupOffset(gi as u16, key), || name(&spec.name, t, p), v);
                }
            }
        }
        for (ci, spec) in self.spec.consumers.iter().enumerate() {
            let mine = || self.fetchers.iter().filter(move |f| f.member.is_none() && usize::from(f.consumer) == ci);
            let consumed = mine().map(|f| f.consumed).sum();
            let position = |f: &super::Fetcher| f.offset.map(|o| o - f.buffer.len() as u64);
            let lags = mine().filter_map(|f| position(f).map(|o| self.parts[f.part as usize].repl.high_watermark().saturating_sub(o)));
            let lag = lags.fold(None, |acc: Option<u64>, l| Some(acc.unwrap_or(0) + l));
            let e2e = self.e2e_window.get(ci).filter(|l| l.count() > 0).map(|l| l.p50_p99());
            out.push(KafkaKey::Consumer(ci as u16), || name(&spec.name, "", 0), [consumed, lag.unwrap_or(KAFKA_NONE), pack_p50_p99(e2e)]);
            for f in mine() {
                let ps = &self.parts[f.part as usize];
                let o = position(f);
                let v = [o.unwrap_or(KAFKA_NONE), o.map_or(KAFKA_NONE, |o| ps.repl.high_watermark().saturating_sub(o)), 0];
                let topic = &self.spec.topics[usize::from(ps.topic)].name;
                out.push(KafkaKey::ConsumerOffset(ci as u16, f.part), || name(&spec.name, topic, ps.index), v);
            }
        }
        for l in &mut self.e2e_window {
            l.reset();
        }
    }

    fn group_views(&self) -> Vec<KafkaGroupView> {
        self.groups
            .iter()
            .zip(&self.spec.groups)
            .map(|(gs, spec)| {
                let members = gs
                    .members
                    .iter()
                    .map(|ms| {
                        let parts: Vec<String> = ms
                            .slots
                            .iter()
                            .map(|&f| &self.fetchers[usize::from(f)])
                            .filter(|fe| fe.active)
                            .map(|fe| self.part_name(fe.part))
                            .collect();
                        let state = if !ms.up && !ms.started {
                            "not started"
                        } else if !ms.up {
                            "down"
                        } else if ms.done {
                            "stopped (Consume returned)"
                        } else if ms.ending {
                            "rebalancing"
                        } else if ms.session.is_some() && gs.coord.member(&ms.id).is_none() {
                            // Cut from its coordinator, it has not heard yet.
                            "zombie (removed by the coordinator, still processing what it fetched)"
                        } else if ms.joining {
                            "joining"
                        } else if parts.is_empty() {
                            "idle"
                        } else {
                            "running"
                        };
                        KafkaMemberView {
                            id: ms.id.clone(),
                            state: state.into(),
                            partitions: parts,
                            generation: ms.session,
                            marked: if ms.dirty { ms.marked.iter().map(|&(p, o)| (self.part_name(p), o)).collect() } else { Vec::new() },
                            consumed: ms.slots.iter().map(|&f| self.fetchers[usize::from(f)].consumed).sum(),
                            work: ms.work.as_ref().map(ToString::to_string),
                        }
                    })
                    .collect();
                let mut rows = Vec::new();
                for t in &spec.topics {
                    let Some((ti, ts)) = self.spec.topic(t) else { continue };
                    for p in 0..ts.partitions {
                        let ps = &self.parts[self.part_key(ti, p) as usize];
                        let committed = gs.coord.committed(t, p as i32);
                        let hw = ps.repl.high_watermark();
                        rows.push(KafkaGroupRow {
                            topic: t.clone(),
                            partition: p,
                            current_offset: committed,
                            log_end_offset: hw,
                            lag: committed.map(|c| hw.saturating_sub(c)),
                            consumer_id: gs.coord.owner(t, p as i32).map(str::to_string),
                        });
                    }
                }
                KafkaGroupView {
                    name: spec.name.clone(),
                    generation: gs.coord.generation(),
                    // kafka-consumer-groups.sh's error while nobody coordinates the group.
                    state: if gs.orphan || !self.broker_up(gs.broker) { "CoordinatorNotAvailable".to_string() } else { format!("{:?}", gs.coord.state()) },
                    rebalancing: matches!(gs.coord.state(), GroupState::PreparingRebalance | GroupState::CompletingRebalance),
                    rebalances: gs.rebalances,
                    coordinator: if gs.orphan { 0 } else { gs.broker },
                    assignor: spec.assignor.key().to_string(),
                    members,
                    rows,
                }
            })
            .collect()
    }

    /// The partition a Kafka event is about, with its offset or broker.
    pub(crate) fn event_place(&self, e: &TraceEvent) -> Option<KafkaEventPlace> {
        use EventKind::*;
        let (offset, broker) = match e.kind {
            KafkaAcked | KafkaFetched | KafkaDuplicate | KafkaOutOfRange => (u64::try_from(e.aux).ok(), None),
            KafkaReadTimeout => (None, Some((e.aux & 0xffff) as u32)),
            KafkaElection => (None, u32::try_from(e.aux & 0xffff).ok().filter(|&b| b > 0)),
            KafkaIsr => (None, u32::try_from(e.aux.unsigned_abs()).ok()),
            KafkaSend | KafkaSendFailed | KafkaLost => (None, None),
            _ => return None,
        };
        let ps = self.parts.get(e.ch as usize)?;
        Some(KafkaEventPlace { topic: self.spec.topics[usize::from(ps.topic)].name.clone(), partition: ps.index, offset, broker })
    }

    /// Plain words for a Kafka event.
    pub(crate) fn describe(&self, e: &TraceEvent, g: &str, label: &str) -> String {
        let part = |k: u32| if (k as usize) < self.parts.len() { self.part_name(k) } else { "?".into() };
        let producer = |i: i64| self.spec.producers.get(i as usize).map_or("?", |p| p.name.as_str());
        match e.kind {
            EventKind::KafkaSend => format!("{g}: {} sends {label}", producer(e.aux)),
            EventKind::KafkaAcked if e.aux < 0 => format!("{g}: {label} sent with acks=0 (no response, offset unknown)"),
            EventKind::KafkaAcked => format!("{g}: {label} acked at {} offset {}", part(e.ch), e.aux),
            EventKind::KafkaSendFailed => {
                let why = KafkaError::from_code(e.aux).map_or("error", |k| k.text());
                format!("{g}: producing {label} failed after its retries: {why}")
            }
            EventKind::KafkaFetched => format!("{g} read {label} from {} offset {}", part(e.ch), e.aux),
            EventKind::KafkaDuplicate => {
                format!("{g}: {} offset {} is read again (its group or consumer had read it): a duplicate, reprocessed", part(e.ch), e.aux)
            }
            EventKind::KafkaReadTimeout if e.aux & super::READ_TIMEOUT_FETCH != 0 => format!(
                "{g}: no answer from broker-{} to its fetch of {} within Net.ReadTimeout (30s): the connection closes; it fetches again after Consumer.Retry.Backoff ({})",
                e.aux & 0xffff,
                part(e.ch),
                super::CONSUMER_RETRY
            ),
            EventKind::KafkaReadTimeout => {
                let (broker, try_no, last) = (e.aux & 0xffff, (e.aux >> 16) & 0xff, e.aux >> 24 & 1 == 1);
                let then = if last { "it gives up: producing fails".to_string() } else { format!("retry {try_no} of {} after {}", super::RETRY_MAX, super::RETRY_BACKOFF) };
                format!("{g}: no answer from broker-{broker} for {} within Net.ReadTimeout (30s): the connection closes; {then}", part(e.ch))
            }
            EventKind::KafkaBrokerCrash => {
                let b = e.aux;
                match self.spec.broker_session_timeout.unwrap_or(crate::kafka::spec::DEFAULT_BROKER_SESSION_TIMEOUT) {
                    t if t == SimDuration::ZERO => format!("broker-{b} crashed: its connections close"),
                    t => format!("broker-{b} crashed: its connections close; the controller fences it when its session times out ({t} without a heartbeat)"),
                }
            }
            EventKind::KafkaBrokerStop => format!("broker-{} shut down cleanly: the controller moved its leaderships to in-sync replicas and took it out of every ISR, then it stopped", e.aux),
            EventKind::KafkaMetadata => {
                let producer = self.spec.producers.get(e.ch as usize).map_or("?", |p| p.name.as_str());
                let topic = self.spec.topics.get((e.aux >> 32 & 0xff) as usize).map_or("?", |t| t.name.as_str());
                let (before, now) = (e.aux >> 16 & 0xffff, e.aux & 0xffff);
                let how = if e.aux & super::metadata::LEARNED_BY_RETRY != 0 {
                    "a retry refreshed its metadata".to_string()
                } else if e.aux & super::metadata::LEARNED_NONE_WRITABLE != 0 {
                    "its metadata named no partition with a leader, so it refreshed it".to_string()
                } else {
                    format!("its metadata refresh (Metadata.RefreshFrequency, every {})", self.metadata_every())
                };
                format!("{producer}: {how}: topic {topic} has {now} partitions, not {before}; its next records spread over all {now}")
            }
            EventKind::KafkaFenced if e.aux & super::FENCED_RUNNING != 0 => format!(
                "controller: broker-{} fenced (no heartbeat for broker.session.timeout.ms: it runs, but is cut from the controller): its replicas leave the ISR and the partitions it led elect new leaders; it is not told, and goes on as their leader for the producers that still reach it (a zombie) until it registers again",
                e.aux & 0xffff
            ),
            EventKind::KafkaFenced => format!("controller: broker-{} fenced (its session timed out): its replicas leave the ISR, the partitions it led elect new leaders", e.aux),
            EventKind::KafkaUnfenced => format!("controller: broker-{} registers again (its link to the controller healed): it learns who leads, truncates what it took as a zombie, and its replicas catch up", e.aux),
            EventKind::KafkaBrokerRestart => format!("broker-{} restarted: its replicas truncate to the high watermark and catch up", e.aux),
            EventKind::KafkaElection if e.aux == 0 => format!("{}: no replica can lead (offline partition)", part(e.ch)),
            EventKind::KafkaElection if e.aux & super::PREFERRED_ELECTION != 0 => {
                format!("{}: broker-{} leads again, its preferred replica (the controller's leader balance, auto.leader.rebalance.enable)", part(e.ch), e.aux & 0xffff)
            }
            EventKind::KafkaElection => format!("{}: broker-{} elected leader", part(e.ch), e.aux),
            EventKind::KafkaIsr if e.aux < 0 => format!("{}: broker-{} left the ISR (not caught up within replica.lag.time.max.ms)", part(e.ch), -e.aux),
            EventKind::KafkaIsr => format!("{}: broker-{} joined the ISR (caught up to the high watermark)", part(e.ch), e.aux),
            EventKind::KafkaLost => format!("{}: {} record(s) gone from the log", part(e.ch), e.aux),
            EventKind::KafkaOutOfRange => {
                format!("{}: fetch at offset {} answered OFFSET_OUT_OF_RANGE: the partition consumer shuts down", part(e.ch), e.aux)
            }
            EventKind::KafkaGroup => {
                use super::group::GroupNote as N;
                let gs = self.spec.groups.get(e.ch as usize);
                let group = gs.map_or("?", |g| g.name.as_str());
                let member = gs.map_or("?".to_string(), |g| g.member(((e.aux >> 24) & 0xffff) as u32 + 1));
                let generation = e.aux & 0xff_ffff;
                // The coordinator the member's client knows (the group's, before its first join).
                let member_coordinator = self.groups.get(e.ch as usize).map_or(0, |gs| {
                    gs.members.get(((e.aux >> 24) & 0xffff) as usize).map(|ms| ms.coordinator).filter(|&b| b != 0).unwrap_or(gs.broker)
                });
                match N::from_code(e.aux >> 40) {
                    Some(N::Join) => format!("{member}: Consume() joins group {group} (JoinGroup)"),
                    Some(N::RebalanceStarted) => format!("group {group}: rebalance after generation {generation} (because of {member}): every member stops and gives up its partitions"),
                    Some(N::Assigned) => format!("{member}: generation {generation} starts (Setup): its partitions are assigned"),
                    Some(N::SessionEnd) => format!("{member}: session of generation {generation} ends (Cleanup, final commit)"),
                    Some(N::Commit) => format!("{member}: offsets committed (generation {generation})"),
                    Some(N::CommitFailed) => format!("{member}: commit refused: member not known in the current generation ({generation})"),
                    Some(N::Expired) => format!("group {group}: {member} missed its heartbeats for the session timeout: removed"),
                    Some(N::Removed) => format!("group {group}: {member} did not rejoin within the rebalance timeout: removed"),
                    Some(N::Crash) => format!("{member} crashed: what it marked since its last commit will be read again"),
                    Some(N::Leave) => format!("{member}: Close(): final commit, LeaveGroup"),
                    Some(N::Kicked) => format!("{member}: heartbeat refused (not in generation {generation} any more): its session ends without a commit"),
                    Some(N::HeartbeatTimeout) => {
                        let coordinator = member_coordinator;
                        let then = if generation > i64::from(super::RETRY_MAX) {
                            "4 tries failed: the heartbeat loop ends its session (its claims stop, Cleanup), and Consume() joins again".to_string()
                        } else {
                            format!("try {generation} of 4: it writes the next one at once")
                        };
                        format!("{member}: no answer from broker-{coordinator} to its heartbeat within Net.ReadTimeout (30s): the connection closes; {then}")
                    }
                    Some(N::CommitTimeout) => {
                        let coordinator = member_coordinator;
                        let then = if generation == 0 {
                            "its session has ended, so what it marked stays uncommitted (the next owner reads it again)"
                        } else {
                            "the marked offsets go again with the next auto-commit"
                        };
                        format!("{member}: no answer from broker-{coordinator} to its offset commit within Net.ReadTimeout (30s): the connection closes; {then}")
                    }
                    Some(N::PartitionsChanged) => {
                        let topic = self.spec.topics.get((generation >> 16) as usize).map_or("?", |t| t.name.as_str());
                        format!(
                            "{member} (leader): its partition check finds topic {topic} has {} partitions (its client's metadata refresh, every {}): the session ends (ErrSessionPartitionCountChanged) and it joins again, so the group rebalances",
                            generation & 0xffff,
                            self.metadata_every()
                        )
                    }
                    Some(N::JoinTimeout) => {
                        let gs = self.groups.get(e.ch as usize);
                        let coordinator = member_coordinator;
                        let then = if gs.is_some_and(|gs| gs.consume_loop) {
                            "its loop calls Consume() again: a new JoinGroup"
                        } else {
                            "nothing calls Consume() again: it stays out of the group"
                        };
                        format!(
                            "{member}: no answer from broker-{coordinator} to its JoinGroup within Net.ReadTimeout (30s): the connection closes and Consume() returns the i/o timeout; {then} (a join may wait up to the rebalance timeout, so sarama users set Net.ReadTimeout above it)"
                        )
                    }
                    Some(N::CoordinatorMoved) => {
                        let (old, new, back) = ((generation >> 12) & 0x7ff, generation & 0xfff, generation >> 23 & 1 == 1);
                        if new == 0 {
                            format!("group {group}: the controller fenced broker-{old}, its coordinator, and no registered broker can load the group: it has no coordinator until a broker registers")
                        } else {
                            let gen = self.groups.get(e.ch as usize).map_or(0, |gs| gs.coord.generation());
                            let why = if back {
                                format!("the controller's leader balance made it, the preferred replica, lead the group's __consumer_offsets partition again instead of broker-{old}")
                            } else {
                                format!("it leads the group's __consumer_offsets partition after broker-{old} was fenced")
                            };
                            format!("group {group}: broker-{new} is its coordinator now ({why}) and loads the group as last written: generation {gen}, the committed offsets, every member's session restarted")
                        }
                    }
                    Some(N::CoordinatorRefused) => {
                        let b = generation & 0xfff;
                        match Request::from_code(generation >> 12) {
                            Request::Heartbeat => format!("{member}: its heartbeat to broker-{b}, its coordinator, is refused (the broker is down); the heartbeat loop tries again at once, 4 times in all, then ends the session (its claims stop, Cleanup) and Consume() joins again"),
                            Request::Commit => format!("{member}: its offset commit to broker-{b} is refused (the broker is down): the marked offsets stay to commit"),
                            Request::FinalCommit => format!("{member}: its final offset commit to broker-{b} is refused (the broker is down): what it marked since its last commit is never committed, and the next owner reads it again"),
                            Request::Join => format!("{member}: its JoinGroup to broker-{b} is refused (the broker is down, and the controller has not moved the group's coordinator yet): Consume() returns the error and is called again 2s later (Rebalance.Retry.Backoff)"),
                        }
                    }
                    Some(N::NotCoordinator) => {
                        let b = generation & 0xfff;
                        let now = self.groups.get(e.ch as usize).map_or(0, |gs| gs.broker);
                        match Request::from_code(generation >> 12) {
                            Request::Heartbeat => format!("{member}: broker-{b} answers its heartbeat NOT_COORDINATOR (broker-{now} coordinates the group now): its session ends (Cleanup) and Consume() joins again there"),
                            Request::Commit => format!("{member}: broker-{b} answers its offset commit NOT_COORDINATOR: the marked offsets stay to commit"),
                            Request::FinalCommit => format!("{member}: broker-{b} answers its final offset commit NOT_COORDINATOR: what it marked since its last commit is never committed, and the next owner reads it again"),
                            Request::Join => format!("{member}: broker-{b} answers its JoinGroup NOT_COORDINATOR: Consume() finds the new coordinator and joins again 2s later (Rebalance.Retry.Backoff)"),
                        }
                    }
                    None => format!("group {group} event"),
                }
            }
            _ => String::new(),
        }
    }
}
