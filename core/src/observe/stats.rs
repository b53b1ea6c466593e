//! Counters, latency histograms and time series.
//!
//! - [`Latency`] is a log-linear histogram of microseconds (the `histogram`
//!   crate: HdrHistogram's bucket layout with a cheaper index, about ten
//!   instructions per record; values up to 2^32 µs, 71 minutes, fixed
//!   memory), plus the exact count, sum and maximum. Grouping power 7 for
//!   the run's percentiles: every value above 255 µs shares a bucket only
//!   with values within 1/128 (0.8 %) of it, and smaller values are exact.
//!   Grouping power 5 (3 %, a table 4 times smaller, so cheaper to clear)
//!   for the per-sample window behind the series' p50/p99. A percentile is
//!   its bucket's upper bound, never above the exact maximum; values
//!   above the range count in the top bucket.
//! - [`Series`] keeps the last `capacity` samples taken every
//!   `sample_interval`: channel `len`s, throughput and latency of the
//!   interval, blocked goroutines. Bounded, and allocation-free once built
//!   for the number of channels: the `len`s of all samples live in one
//!   preallocated ring; a [`Sample`] (with its own `Vec`) is made only when
//!   read. In an NSQ world each sample also keeps every nsqd channel's
//!   counters ([`NsqCounters`]) in a second ring, the channel's names
//!   interned once; a pure Go world's samples have none (`nsq` absent).
//!   A Kafka world's samples likewise keep a third ring of fixed-size rows
//!   ([`KafkaRows`]): cumulative totals, every partition's offsets and
//!   every consumer group's (and partition consumer's) offsets, lag and
//!   end-to-end latency; see [`KafkaSample`].

use crate::time::SimTime;
use histogram::Histogram;
use serde::Serialize;
use std::collections::VecDeque;

/// A latency distribution with bounded memory.
#[derive(Clone, Debug)]
pub struct Latency {
    h: Histogram,
    count: u64,
    sum: u128,
    max: u64,
}

/// Percentiles of a latency distribution, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub mean_us: f64,
}

/// Values are tracked up to 2^32 - 1 µs (71 minutes); larger ones count in
/// the top bucket (their exact maximum and mean are kept).
const MAX_VALUE_POWER: u8 = 32;
const MAX_TRACKED_US: u64 = (1 << MAX_VALUE_POWER) - 1;

impl Default for Latency {
    fn default() -> Self {
        Self::new()
    }
}

impl Latency {
    /// The run's histogram: buckets within 0.8 % (grouping power 7).
    pub fn new() -> Self {
        Self::with_grouping(7)
    }
    /// A histogram whose buckets hold values within `2^-grouping` of each
    /// other (7 for the run's percentiles; 5, with a table 4 times smaller,
    /// for the per-sample window that is cleared at every sample).
    pub fn with_grouping(grouping: u8) -> Self {
        let h = Histogram::new(grouping, MAX_VALUE_POWER).expect("valid histogram configuration");
        Latency { h, count: 0, sum: 0, max: 0 }
    }
    #[inline]
    pub fn record(&mut self, us: u64) {
        // In range by construction: the add cannot fail.
        let _ = self.h.increment(us.min(MAX_TRACKED_US));
        self.count += 1;
        self.sum += u128::from(us);
        self.max = self.max.max(us);
    }
    /// Makes this a copy of `other` (the same grouping), in place: no
    /// allocation.
    pub fn copy_from(&mut self, other: &Latency) {
        self.h.as_mut_slice().copy_from_slice(other.h.as_slice());
        self.count = other.count;
        self.sum = other.sum;
        self.max = other.max;
    }
    pub fn reset(&mut self) {
        self.h.reset();
        self.count = 0;
        self.sum = 0;
        self.max = 0;
    }
    pub fn count(&self) -> u64 {
        self.count
    }
    /// The values at quantiles `qs`, each its bucket's upper bound capped
    /// at the exact maximum (0 when empty).
    fn quantiles<const N: usize>(&self, qs: [f64; N]) -> [u64; N] {
        let mut out = [const { None }; N];
        let mut values = [0; N];
        if self.count == 0 || self.h.quantile_buckets_into(&qs, &mut out).is_err() {
            return values;
        }
        for (v, b) in values.iter_mut().zip(out) {
            *v = b.map_or(0, |b| b.end().min(self.max));
        }
        values
    }
    /// Just the median and the 99th percentile (what a time-series sample
    /// keeps), the same values as [`Latency::percentiles`] gives.
    pub fn p50_p99(&self) -> (u64, u64) {
        let [p50, p99] = self.quantiles([0.50, 0.99]);
        (p50, p99)
    }
    pub fn percentiles(&self) -> Percentiles {
        if self.count == 0 {
            return Percentiles::default();
        }
        let [p50_us, p90_us, p99_us] = self.quantiles([0.50, 0.90, 0.99]);
        Percentiles { count: self.count, p50_us, p90_us, p99_us, max_us: self.max, mean_us: self.sum as f64 / self.count as f64 }
    }
}

/// One time-series sample.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sample {
    pub t_us: u64,
    /// `len` of each channel, in channel order.
    pub lens: Vec<u32>,
    /// Deliveries per second of virtual time over the last second (or
    /// since the start, if less than a second has passed): a trailing
    /// window, so a 100 ms sample interval does not read as spikes.
    pub throughput: f64,
    /// Delivery latency percentiles over the interval (0 when none).
    pub p50_us: u64,
    pub p99_us: u64,
    /// Goroutines blocked at the sample instant.
    pub blocked: u32,
    /// Every NSQ channel (every node's, in the snapshot's order); absent
    /// in a pure Go world.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nsq: Option<crate::gate::Gated<Vec<NsqChannelSample>, crate::gate::Nsq>>,
    /// The Kafka system at the sample; absent in a world without Kafka.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kafka: Option<crate::gate::Gated<KafkaSample, crate::gate::Kafka>>,
}

/// The Kafka part of a [`Sample`].
///
/// Lag is `kafka-consumer-groups.sh`'s: the high watermark (what the tool
/// prints as LOG-END-OFFSET, the end a consumer can read to) minus the
/// group's committed offset (CURRENT-OFFSET); none while the group has
/// committed nothing for the partition. Counters are cumulative since the
/// start (the page derives rates); latencies cover the sample interval.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KafkaSample {
    /// Records producers handed to sarama (`SendMessage` calls and
    /// `Input()` sends that reached the broker stage), cumulative.
    pub produced: u64,
    /// Of those, acknowledged to their producer (acks=0: when sent).
    pub acked: u64,
    /// Records handed to consumers' code (every consumer and group;
    /// a record read twice counts twice), cumulative.
    pub consumed: u64,
    /// Every partition, in topic then partition order.
    pub partitions: Vec<KafkaPartitionSample>,
    /// Every consumer group, in scenario order.
    pub groups: Vec<KafkaLagSample>,
    /// Every partition consumer (`ConsumePartition`), in scenario order.
    pub consumers: Vec<KafkaLagSample>,
}

/// One partition's offsets at a sample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KafkaPartitionSample {
    pub topic: String,
    pub partition: u32,
    pub log_start: u64,
    /// The leader's log end offset (next offset to write).
    pub log_end_offset: u64,
    pub high_watermark: u64,
}

/// A consumer group (or a partition consumer) at a sample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KafkaLagSample {
    pub name: String,
    /// The sum of its partitions' lags (those that have one); none when
    /// no partition has one.
    pub lag: Option<u64>,
    /// Records handed to its handlers, cumulative.
    pub consumed: u64,
    /// Produce call to handler receipt over the sample interval; none when
    /// no record was received in it.
    pub e2e_p50_us: Option<u64>,
    pub e2e_p99_us: Option<u64>,
    /// Its partitions, in topic then partition order.
    pub partitions: Vec<KafkaOffsetSample>,
}

/// A consumer's offset on one partition: a group's committed offset, or a
/// partition consumer's position (the next offset its handler gets).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KafkaOffsetSample {
    pub topic: String,
    pub partition: u32,
    pub offset: Option<u64>,
    /// High watermark minus `offset`.
    pub lag: Option<u64>,
}

/// What a Kafka row is about (the world's own indexes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KafkaKey {
    /// `[produced, acked, consumed]`.
    Totals,
    /// Partition key: `[log_start, log_end_offset, high_watermark]`.
    Partition(u32),
    /// Group index: `[consumed, lag, e2e]` (see [`pack_p50_p99`]).
    Group(u16),
    /// (group, partition key): `[offset, lag, 0]`.
    GroupOffset(u16, u32),
    /// Partition consumer index: as `Group`.
    Consumer(u16),
    /// (consumer, partition key): as `GroupOffset`.
    ConsumerOffset(u16, u32),
}

/// "No value" in a Kafka row.
pub const KAFKA_NONE: u64 = u64::MAX;

/// A p50/p99 pair in one row value (each below 2^32 µs, 71 minutes, or
/// none).
pub fn pack_p50_p99(p: Option<(u64, u64)>) -> u64 {
    match p {
        None => KAFKA_NONE,
        Some((a, b)) => (a.min(u64::from(u32::MAX - 1)) << 32) | b.min(u64::from(u32::MAX - 1)),
    }
}

fn unpack_p50_p99(v: u64) -> (Option<u64>, Option<u64>) {
    if v == KAFKA_NONE {
        (None, None)
    } else {
        (Some(v >> 32), Some(v & 0xffff_ffff))
    }
}

fn opt(v: u64) -> Option<u64> {
    (v != KAFKA_NONE).then_some(v)
}

/// The names of a Kafka row (interned once per key): the group or
/// consumer name, and the topic and partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KafkaName {
    pub name: String,
    pub topic: String,
    pub partition: u32,
}

/// At most this many Kafka rows per sample (a bound on the series'
/// memory); rows past it (the last consumers' per-partition offsets) are
/// left out of that sample.
pub const MAX_KAFKA_ROWS: usize = 256;

/// The Kafka rows of the sample being pushed (see
/// [`Series::push_with`]).
#[derive(Debug)]
pub struct KafkaRows<'a> {
    names: &'a mut Vec<(KafkaKey, KafkaName)>,
    rows: &'a mut VecDeque<(u32, [u64; 3])>,
    last: usize,
    n: usize,
}

impl KafkaRows<'_> {
    /// One row; `name` is called only for a key never seen before.
    pub fn push(&mut self, key: KafkaKey, name: impl FnOnce() -> KafkaName, v: [u64; 3]) {
        if self.n >= MAX_KAFKA_ROWS {
            return;
        }
        let next = self.last.wrapping_add(1);
        let id = if self.names.get(next).is_some_and(|n| n.0 == key) {
            next
        } else if let Some(i) = self.names.iter().position(|n| n.0 == key) {
            i
        } else {
            self.names.push((key, name()));
            self.names.len() - 1
        };
        self.last = id;
        self.n += 1;
        self.rows.push_back((id as u32, v));
    }
}

/// One NSQ channel's counters at a sample: gauges, and counters
/// cumulative since the channel was created (the channel's own: they start
/// again at 0 when a deleted or ephemeral channel is made anew).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NsqCounters {
    pub memory_depth: u64,
    pub backend_depth: u64,
    pub in_flight: u64,
    pub deferred: u64,
    pub requeue_count: u64,
    pub timeout_count: u64,
    /// Successful FINs.
    pub finish_count: u64,
    /// E2E processing latency (publish -> FIN) percentiles so far; None
    /// before the first FIN.
    pub e2e_p50_us: Option<u64>,
    pub e2e_p99_us: Option<u64>,
}

/// One NSQ channel in a [`Sample`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NsqChannelSample {
    pub nsqd: String,
    pub topic: String,
    pub channel: String,
    pub memory_depth: u64,
    pub backend_depth: u64,
    pub in_flight: u64,
    pub deferred: u64,
    pub requeue_count: u64,
    pub timeout_count: u64,
    pub finish_count: u64,
    pub e2e_p50_us: Option<u64>,
    pub e2e_p99_us: Option<u64>,
}

/// The NSQ rows of the sample being pushed (see [`Series::push_with`]).
#[derive(Debug)]
pub struct NsqRows<'a> {
    names: &'a mut Vec<[String; 3]>,
    rows: &'a mut VecDeque<(u32, NsqCounters)>,
    /// The name index of the previous row, for the next lookup
    /// (`usize::MAX` before the first).
    last: usize,
}

impl NsqRows<'_> {
    /// One channel's row. Allocates only for a channel never seen before.
    pub fn push(&mut self, nsqd: &str, topic: &str, channel: &str, counters: NsqCounters) {
        let is = |n: &[String; 3]| n[0] == nsqd && n[1] == topic && n[2] == channel;
        // Channels come in the same order at every sample: the name after
        // the previous row's is almost always the one.
        let next = self.last.wrapping_add(1);
        let id = if self.names.get(next).is_some_and(is) {
            next
        } else if let Some(i) = self.names.iter().position(is) {
            i
        } else {
            self.names.push([nsqd.to_string(), topic.to_string(), channel.to_string()]);
            self.names.len() - 1
        };
        self.last = id;
        self.rows.push_back((id as u32, counters));
    }
}

/// The scalar part of a [`Sample`]: what [`Series::push_parts`] takes
/// besides the channel `len`s.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SampleStats {
    pub t_us: u64,
    pub throughput: f64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub blocked: u32,
}

#[derive(Clone, Copy, Debug)]
struct Head {
    stats: SampleStats,
    /// Position of the first `len` in the stream of all `len`s pushed.
    start: u64,
    nlens: u32,
    /// Position of the first NSQ row in the stream of all rows pushed, and
    /// how many (`NO_NSQ`: a sample without an `nsq` part).
    nsq_start: u64,
    nnsq: u32,
    /// The same for the Kafka rows (`NO_NSQ`: no `kafka` part).
    kafka_start: u64,
    nkafka: u32,
}

const NO_NSQ: u32 = u32::MAX;

/// Bounded time series.
#[derive(Clone, Debug)]
pub struct Series {
    heads: VecDeque<Head>,
    /// The `len`s of the kept samples, oldest first; `lens[0]` is stream
    /// position `base`.
    lens: VecDeque<u32>,
    base: u64,
    capacity: usize,
    taken: u64,
    /// The NSQ rows of the kept samples, oldest first; `nsq[0]` is stream
    /// position `nsq_base`. Each names its channel by index in `nsq_names`.
    nsq: VecDeque<(u32, NsqCounters)>,
    nsq_base: u64,
    /// (nsqd, topic, channel) of every channel ever sampled.
    nsq_names: Vec<[String; 3]>,
    /// The Kafka rows of the kept samples, as the NSQ ones.
    kafka: VecDeque<(u32, [u64; 3])>,
    kafka_base: u64,
    kafka_names: Vec<(KafkaKey, KafkaName)>,
}

impl Series {
    /// Bytes the kept samples take on the heap (for memory budgets).
    pub fn heap_bytes(&self) -> usize {
        self.heads.capacity() * std::mem::size_of::<Head>()
            + self.lens.capacity() * 4
            + self.nsq.capacity() * std::mem::size_of::<(u32, NsqCounters)>()
            + self.nsq_names.iter().map(|n| 72 + n.iter().map(String::capacity).sum::<usize>()).sum::<usize>()
            + self.kafka.capacity() * std::mem::size_of::<(u32, [u64; 3])>()
            + self.kafka_names.iter().map(|(_, n)| 72 + n.name.capacity() + n.topic.capacity()).sum::<usize>()
    }

    /// A series of at most `capacity` samples (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self::with_lens(capacity, 0)
    }

    /// A series whose samples have `lens_per_sample` channel `len`s each:
    /// room for all of them is reserved now, so pushing never allocates.
    pub fn with_lens(capacity: usize, lens_per_sample: usize) -> Self {
        let capacity = capacity.max(1);
        Series {
            heads: VecDeque::with_capacity(capacity.min(4096)),
            lens: VecDeque::with_capacity(capacity.min(4096).saturating_mul(lens_per_sample).min(1 << 22)),
            base: 0,
            capacity,
            taken: 0,
            nsq: VecDeque::new(),
            nsq_base: 0,
            nsq_names: Vec::new(),
            kafka: VecDeque::new(),
            kafka_base: 0,
            kafka_names: Vec::new(),
        }
    }

    pub fn push(&mut self, s: Sample) {
        let Sample { t_us, lens, throughput, p50_us, p99_us, blocked, nsq, kafka } = s;
        let stats = SampleStats { t_us, throughput, p50_us, p99_us, blocked };
        let nsq = nsq.map(crate::gate::Gated::into_inner);
        let mut nsq_rows = nsq.as_ref().map(|rows| {
            move |out: &mut NsqRows<'_>| {
                for r in rows {
                    let c = NsqCounters {
                        memory_depth: r.memory_depth,
                        backend_depth: r.backend_depth,
                        in_flight: r.in_flight,
                        deferred: r.deferred,
                        requeue_count: r.requeue_count,
                        timeout_count: r.timeout_count,
                        finish_count: r.finish_count,
                        e2e_p50_us: r.e2e_p50_us,
                        e2e_p99_us: r.e2e_p99_us,
                    };
                    out.push(&r.nsqd, &r.topic, &r.channel, c);
                }
            }
        });
        let mut kafka_rows = kafka.as_deref().map(|k| move |out: &mut KafkaRows<'_>| k.to_rows(out));
        self.push_with(
            stats,
            lens,
            nsq_rows.as_mut().map(|f| f as &mut dyn FnMut(&mut NsqRows<'_>)),
            kafka_rows.as_mut().map(|f| f as &mut dyn FnMut(&mut KafkaRows<'_>)),
        );
    }

    /// Pushes a sample given as its scalar part and its channel `len`s,
    /// forgetting the oldest one if the series is full.
    pub fn push_parts(&mut self, stats: SampleStats, lens: impl IntoIterator<Item = u32>) {
        self.push_with(stats, lens, None, None);
    }

    /// [`Series::push_parts`] with an optional `nsq` part (it pushes one
    /// row per NSQ channel) and an optional `kafka` part (at most
    /// [`MAX_KAFKA_ROWS`] rows). Allocation-free once the rings reached
    /// their working size (a new row's names are interned once).
    ///
    /// The parts are trait objects, not type parameters: a build without a
    /// system then has no code for its rows. (A generic `push_with` gets an
    /// instance for the world's closure type even when the world never has
    /// the system, and that instance holds the rows' code.)
    pub fn push_with(
        &mut self,
        stats: SampleStats,
        lens: impl IntoIterator<Item = u32>,
        rows: Option<&mut dyn FnMut(&mut NsqRows<'_>)>,
        kafka: Option<&mut dyn FnMut(&mut KafkaRows<'_>)>,
    ) {
        if self.heads.len() == self.capacity {
            if let Some(old) = self.heads.pop_front() {
                self.lens.drain(..old.nlens as usize);
                self.base += u64::from(old.nlens);
                if old.nnsq != NO_NSQ {
                    self.nsq.drain(..old.nnsq as usize);
                    self.nsq_base += u64::from(old.nnsq);
                }
                if old.nkafka != NO_NSQ {
                    self.kafka.drain(..old.nkafka as usize);
                    self.kafka_base += u64::from(old.nkafka);
                }
            }
        }
        let start = self.base + self.lens.len() as u64;
        self.lens.extend(lens);
        let nlens = (self.base + self.lens.len() as u64 - start) as u32;
        let nsq_start = self.nsq_base + self.nsq.len() as u64;
        let nnsq = match rows {
            None => NO_NSQ,
            Some(f) => {
                let before = self.nsq.len();
                f(&mut NsqRows { names: &mut self.nsq_names, rows: &mut self.nsq, last: usize::MAX });
                (self.nsq.len() - before) as u32
            }
        };
        let kafka_start = self.kafka_base + self.kafka.len() as u64;
        let nkafka = match kafka {
            None => NO_NSQ,
            Some(f) => {
                let before = self.kafka.len();
                f(&mut KafkaRows { names: &mut self.kafka_names, rows: &mut self.kafka, last: usize::MAX, n: 0 });
                (self.kafka.len() - before) as u32
            }
        };
        self.heads.push_back(Head { stats, start, nlens, nsq_start, nnsq, kafka_start, nkafka });
        self.taken += 1;
    }

    fn sample(&self, h: &Head) -> Sample {
        let from = (h.start - self.base) as usize;
        let SampleStats { t_us, throughput, p50_us, p99_us, blocked } = h.stats;
        let nsq = (h.nnsq != NO_NSQ).then(|| {
            let from = (h.nsq_start - self.nsq_base) as usize;
            self.nsq
                .range(from..from + h.nnsq as usize)
                .map(|&(name, c)| {
                    let [nsqd, topic, channel] = self.nsq_names[name as usize].clone();
                    NsqChannelSample {
                        nsqd,
                        topic,
                        channel,
                        memory_depth: c.memory_depth,
                        backend_depth: c.backend_depth,
                        in_flight: c.in_flight,
                        deferred: c.deferred,
                        requeue_count: c.requeue_count,
                        timeout_count: c.timeout_count,
                        finish_count: c.finish_count,
                        e2e_p50_us: c.e2e_p50_us,
                        e2e_p99_us: c.e2e_p99_us,
                    }
                })
                .collect()
        }).and_then(crate::gate::Gated::some);
        let kafka = (h.nkafka != NO_NSQ).then(|| {
            let from = (h.kafka_start - self.kafka_base) as usize;
            KafkaSample::from_rows(self.kafka.range(from..from + h.nkafka as usize).map(|&(id, v)| {
                let (key, name) = &self.kafka_names[id as usize];
                (*key, name, v)
            }))
        }).and_then(crate::gate::Gated::some);
        Sample { t_us, lens: self.lens.range(from..from + h.nlens as usize).copied().collect(), throughput, p50_us, p99_us, blocked, nsq, kafka }
    }

    /// Kept samples, oldest first.
    pub fn samples(&self) -> impl DoubleEndedIterator<Item = Sample> + ExactSizeIterator + '_ {
        self.heads.iter().map(|h| self.sample(h))
    }
    /// Samples taken strictly after `t`.
    pub fn after(&self, t: SimTime) -> impl Iterator<Item = Sample> + '_ {
        self.heads.iter().filter(move |h| h.stats.t_us > t.as_micros()).map(|h| self.sample(h))
    }
    /// Number of samples kept.
    pub fn len(&self) -> usize {
        self.heads.len()
    }
    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }
    pub fn taken(&self) -> u64 {
        self.taken
    }
}

impl KafkaSample {
    /// The sample from its rows, in the order [`KafkaSample::to_rows`]
    /// (and the world) push them.
    fn from_rows<'a>(rows: impl Iterator<Item = (KafkaKey, &'a KafkaName, [u64; 3])>) -> KafkaSample {
        let mut k = KafkaSample::default();
        let lagger = |n: &KafkaName, v: [u64; 3]| {
            let (e2e_p50_us, e2e_p99_us) = unpack_p50_p99(v[2]);
            KafkaLagSample { name: n.name.clone(), lag: opt(v[1]), consumed: v[0], e2e_p50_us, e2e_p99_us, partitions: Vec::new() }
        };
        let offset = |n: &KafkaName, v: [u64; 3]| KafkaOffsetSample { topic: n.topic.clone(), partition: n.partition, offset: opt(v[0]), lag: opt(v[1]) };
        for (key, n, v) in rows {
            match key {
                KafkaKey::Totals => [k.produced, k.acked, k.consumed] = v,
                KafkaKey::Partition(_) => k.partitions.push(KafkaPartitionSample {
                    topic: n.topic.clone(),
                    partition: n.partition,
                    log_start: v[0],
                    log_end_offset: v[1],
                    high_watermark: v[2],
                }),
                KafkaKey::Group(_) => k.groups.push(lagger(n, v)),
                KafkaKey::Consumer(_) => k.consumers.push(lagger(n, v)),
                KafkaKey::GroupOffset(..) => {
                    if let Some(g) = k.groups.last_mut() {
                        g.partitions.push(offset(n, v));
                    }
                }
                KafkaKey::ConsumerOffset(..) => {
                    if let Some(c) = k.consumers.last_mut() {
                        c.partitions.push(offset(n, v));
                    }
                }
            }
        }
        k
    }

    /// Its rows (keys numbered by position), as a world pushes them.
    fn to_rows(&self, out: &mut KafkaRows<'_>) {
        let name = |name: &str, topic: &str, partition: u32| KafkaName { name: name.to_string(), topic: topic.to_string(), partition };
        out.push(KafkaKey::Totals, || name("", "", 0), [self.produced, self.acked, self.consumed]);
        for (i, p) in self.partitions.iter().enumerate() {
            out.push(KafkaKey::Partition(i as u32), || name("", &p.topic, p.partition), [p.log_start, p.log_end_offset, p.high_watermark]);
        }
        for (lags, group) in [(&self.groups, true), (&self.consumers, false)] {
            for (i, g) in lags.iter().enumerate() {
                let e2e = pack_p50_p99(g.e2e_p50_us.zip(g.e2e_p99_us));
                let v = [g.consumed, g.lag.unwrap_or(KAFKA_NONE), e2e];
                let key = if group { KafkaKey::Group(i as u16) } else { KafkaKey::Consumer(i as u16) };
                out.push(key, || name(&g.name, "", 0), v);
                for (j, o) in g.partitions.iter().enumerate() {
                    // Keys by position: unique per row of this sample.
                    let key = if group { KafkaKey::GroupOffset(i as u16, j as u32) } else { KafkaKey::ConsumerOffset(i as u16, j as u32) };
                    out.push(key, || name(&g.name, &o.topic, o.partition), [o.offset.unwrap_or(KAFKA_NONE), o.lag.unwrap_or(KAFKA_NONE), 0]);
                }
            }
        }
    }
}

/// Deliveries per second over a trailing window of about one second,
/// from running totals taken at every sample. Fixed memory, set up once.
#[derive(Clone, Debug)]
pub struct RateWindow {
    /// Totals at the last `len` samples (a ring; `next` is the oldest).
    totals: Vec<u64>,
    next: usize,
    filled: usize,
    interval_s: f64,
}

impl RateWindow {
    pub fn new(interval: crate::time::SimDuration) -> Self {
        let us = interval.as_micros().max(1);
        let k = 1_000_000u64.div_ceil(us).clamp(1, 1_000) as usize;
        RateWindow { totals: vec![0; k], next: 0, filled: 0, interval_s: interval.as_secs_f64() }
    }

    /// Records the running total at a sample; returns the rate per second
    /// over the window that ends here.
    pub fn push(&mut self, total: u64) -> f64 {
        let k = self.totals.len();
        let (reference, spans) = if self.filled < k { (0, self.filled + 1) } else { (self.totals[self.next], k) };
        self.totals[self.next] = total;
        self.next = (self.next + 1) % k;
        self.filled = (self.filled + 1).min(k);
        (total - reference) as f64 / (spans as f64 * self.interval_s)
    }
}

#[cfg(test)]
mod tests {
    use crate::gate::Gated;
    use super::*;

    #[test]
    fn percentiles_are_close() {
        let mut l = Latency::new();
        for us in 1..=10_000 {
            l.record(us);
        }
        let p = l.percentiles();
        assert_eq!(p.count, 10_000);
        // Within one bucket (1/128) above the exact value, never below.
        assert!((5_000..=5_000 + 5_000 / 128).contains(&p.p50_us), "{p:?}");
        assert!((9_900..=9_900 + 9_900 / 128).contains(&p.p99_us), "{p:?}");
        assert!((9_000..=10_000).contains(&p.p90_us), "{p:?}");
        assert_eq!(p.max_us, 10_000);
        assert_eq!(p.mean_us, 5_000.5);
        assert_eq!(l.p50_p99(), (p.p50_us, p.p99_us));
        l.reset();
        assert_eq!(l.percentiles(), Percentiles::default());
        assert_eq!(l.p50_p99(), (0, 0));
    }

    #[test]
    fn small_values_are_exact_and_huge_ones_are_kept() {
        let mut l = Latency::new();
        for us in [0, 3, 3, 200] {
            l.record(us);
        }
        let p = l.percentiles();
        assert_eq!((p.p50_us, p.p99_us, p.max_us), (3, 200, 200));
        // Beyond the histogram's range: counted in the top bucket, and the
        // maximum and mean stay exact.
        l.record(u64::MAX / 2);
        let p = l.percentiles();
        assert_eq!(p.max_us, u64::MAX / 2);
        assert_eq!(p.p99_us, MAX_TRACKED_US);
        assert_eq!(p.count, 5);
    }

    #[test]
    fn the_window_histogram_is_within_3_percent() {
        let mut w = Latency::with_grouping(5);
        for us in 1..=10_000 {
            w.record(us);
        }
        let (p50, p99) = w.p50_p99();
        assert!((5_000..=5_000 + 5_000 / 32).contains(&p50), "{p50}");
        assert!((9_900..=10_000).contains(&p99), "{p99}");
    }

    fn stats(t_us: u64) -> SampleStats {
        SampleStats { t_us, throughput: t_us as f64 / 2.0, p50_us: t_us + 1, p99_us: t_us + 2, blocked: t_us as u32 }
    }

    #[test]
    fn rate_window_covers_the_last_second() {
        let mut r = RateWindow::new(crate::time::SimDuration::from_millis(250));
        // 1 delivery in the first 250 ms, then 4 per 250 ms.
        assert_eq!(r.push(1), 4.0);
        assert_eq!(r.push(5), 10.0);
        assert_eq!(r.push(9), 12.0);
        assert_eq!(r.push(13), 13.0);
        // Window full: the total one second ago (1) is the reference.
        assert_eq!(r.push(17), 16.0);
        assert_eq!(r.push(17), 12.0);
    }

    #[test]
    fn series_is_bounded() {
        let mut s = Series::new(2);
        for t in 0..5 {
            s.push(Sample { t_us: t, lens: vec![], throughput: 0.0, p50_us: 0, p99_us: 0, blocked: 0, nsq: None, kafka: None });
        }
        assert_eq!(s.samples().map(|x| x.t_us).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(s.after(SimTime::from_micros(3)).count(), 1);
        assert_eq!(s.taken(), 5);
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn samples_keep_their_own_lens_across_evictions() {
        let mut s = Series::with_lens(3, 2);
        for t in 0..10u64 {
            // Lengths vary on purpose (a series is not tied to one width).
            let n = if t == 8 { 3 } else { 2 };
            s.push_parts(stats(t), (0..n).map(|i| (t * 10 + i) as u32));
        }
        let got: Vec<Sample> = s.samples().collect();
        assert_eq!(got.iter().map(|x| x.t_us).collect::<Vec<_>>(), [7, 8, 9]);
        assert_eq!(got[0].lens, [70, 71]);
        assert_eq!(got[1].lens, [80, 81, 82]);
        assert_eq!(got[2].lens, [90, 91]);
        assert_eq!(got[2], Sample { t_us: 9, lens: vec![90, 91], throughput: 4.5, p50_us: 10, p99_us: 11, blocked: 9, nsq: None, kafka: None });
        assert_eq!(s.samples().next_back().map(|x| x.lens), Some(vec![90, 91]));
        assert_eq!(s.after(SimTime::from_micros(7)).map(|x| x.lens).collect::<Vec<_>>(), [vec![80, 81, 82], vec![90, 91]]);
        assert_eq!(s.taken(), 10);
    }

    fn row(nsqd: &str, channel: &str, n: u64) -> NsqChannelSample {
        NsqChannelSample {
            nsqd: nsqd.into(),
            topic: "t".into(),
            channel: channel.into(),
            memory_depth: n,
            backend_depth: n + 1,
            in_flight: n + 2,
            deferred: n + 3,
            requeue_count: n + 4,
            timeout_count: n + 5,
            finish_count: n + 6,
            e2e_p50_us: (n > 0).then_some(n * 10),
            e2e_p99_us: (n > 0).then_some(n * 20),
        }
    }

    #[test]
    fn nsq_rows_are_kept_per_sample_and_evicted_with_it() {
        let mut s = Series::with_lens(3, 1);
        for t in 0..6u64 {
            let sample = |nsq: Option<Vec<NsqChannelSample>>| Sample { t_us: t, lens: vec![t as u32], throughput: 0.0, p50_us: 0, p99_us: 0, blocked: 0, nsq: nsq.and_then(Gated::some), kafka: None };
            // A Go-only sample between NSQ ones; a channel appears at t = 4
            // and the order of channels changes at t = 5.
            let rows = match t {
                2 => None,
                4 => Some(vec![row("n1", "a", t), row("n1", "b", t), row("n2", "a", t)]),
                5 => Some(vec![row("n2", "a", t), row("n1", "a", t)]),
                _ => Some(vec![row("n1", "a", t), row("n1", "b", t)]),
            };
            s.push(sample(rows.clone()));
            assert_eq!(s.samples().next_back().map(|x| x.nsq.map(Gated::into_inner)), Some(rows));
        }
        let got: Vec<Sample> = s.samples().collect();
        assert_eq!(got.iter().map(|x| x.t_us).collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!(got[0].nsq.as_deref(), Some(&vec![row("n1", "a", 3), row("n1", "b", 3)]));
        assert_eq!(got[1].nsq.as_ref().map(|r| r.len()), Some(3));
        assert_eq!(got[2].nsq.as_deref(), Some(&vec![row("n2", "a", 5), row("n1", "a", 5)]));
        assert_eq!(got[2].lens, [5]);
        // Three channels interned once each.
        assert_eq!(s.nsq_names.len(), 3);
        // A pure Go sample serializes without `nsq`.
        let go = Sample { t_us: 1, lens: vec![], throughput: 0.0, p50_us: 0, p99_us: 0, blocked: 0, nsq: None, kafka: None };
        assert!(!serde_json::to_string(&go).unwrap().contains("nsq"));
    }

    fn kafka_sample(n: u64) -> KafkaSample {
        let off = |p: u32, o: Option<u64>| KafkaOffsetSample { topic: "t".into(), partition: p, offset: o, lag: o.map(|o| 10 * n - o) };
        KafkaSample {
            produced: 10 * n,
            acked: 9 * n,
            consumed: 8 * n,
            partitions: (0..2).map(|p| KafkaPartitionSample { topic: "t".into(), partition: p, log_start: 0, log_end_offset: 10 * n + 1, high_watermark: 10 * n }).collect(),
            groups: vec![KafkaLagSample {
                name: "g".into(),
                lag: (n > 0).then_some(3),
                consumed: 8 * n,
                e2e_p50_us: (n > 0).then_some(n * 100),
                e2e_p99_us: (n > 0).then_some(n * 900),
                partitions: vec![off(0, (n > 0).then_some(n)), off(1, None)],
            }],
            consumers: vec![KafkaLagSample { name: "pc".into(), lag: None, consumed: 0, e2e_p50_us: None, e2e_p99_us: None, partitions: vec![off(1, None)] }],
        }
    }

    #[test]
    fn kafka_rows_come_back_as_pushed_and_are_evicted_with_their_sample() {
        let mut s = Series::with_lens(3, 0);
        for t in 0..6u64 {
            let kafka = (t != 2).then(|| kafka_sample(t));
            s.push(Sample { t_us: t, lens: vec![], throughput: 0.0, p50_us: 0, p99_us: 0, blocked: 0, nsq: None, kafka: kafka.clone().and_then(Gated::some) });
            assert_eq!(s.samples().next_back().and_then(|x| x.kafka).map(Gated::into_inner), kafka);
        }
        let got: Vec<Sample> = s.samples().collect();
        assert_eq!(got.iter().map(|x| x.kafka.as_ref().map(|k| k.produced)).collect::<Vec<_>>(), [Some(30), Some(40), Some(50)]);
        // Rows of 1 totals + 2 partitions + group + 2 offsets + consumer + 1 offset, names interned once.
        assert_eq!(s.kafka.len(), 3 * 8);
        assert_eq!(s.kafka_names.len(), 8);
        let json = serde_json::to_value(&got[2]).unwrap();
        assert_eq!(json["kafka"]["groups"][0]["partitions"][1]["offset"], serde_json::Value::Null);
        assert_eq!(json["kafka"]["groups"][0]["e2e_p99_us"], 4500);
    }

    #[test]
    fn kafka_rows_are_bounded_per_sample() {
        let mut s = Series::with_lens(2, 0);
        let mut k = kafka_sample(1);
        k.partitions = (0..1000).map(|p| KafkaPartitionSample { topic: "t".into(), partition: p, log_start: 0, log_end_offset: 1, high_watermark: 1 }).collect();
        s.push(Sample { t_us: 1, lens: vec![], throughput: 0.0, p50_us: 0, p99_us: 0, blocked: 0, nsq: None, kafka: Gated::some(k) });
        let back = s.samples().next().and_then(|x| x.kafka).unwrap();
        assert_eq!(back.partitions.len(), MAX_KAFKA_ROWS - 1);
        assert!(back.groups.is_empty());
    }
}
