//! The run summary: how a run went, in one value (what `queuelab run`
//! prints, as text or JSON).
//!
//! # What the numbers mean
//! - **Time** is virtual. When the program ended (main returned, every
//!   goroutine returned, a panic, Go's deadlock verdict, `stop_at`) the clock
//!   stopped there; a run that was cut off by a time limit has status
//!   `running`.
//! - **Throughput** is deliveries (values received by a sink, a goroutine
//!   that never sends) per virtual second over the whole run, from time 0 to
//!   the summary's time.
//! - **Latencies** are produce → receive by a sink (`delivery_latency`) and
//!   produce → the sink finished with the value (`processed_latency`), from
//!   an HDR histogram with about 1 % error.
//! - **Goroutine percentages** are shares of the goroutine's own lifetime:
//!   from when it started (time 0, or when a live command added it) to when
//!   it returned or panicked, or to the summary's time if it never did. They
//!   split that lifetime into blocked on a send, blocked on a receive,
//!   blocked otherwise (a `select` with no ready case, `wg.Wait()`, waiting on the network),
//!   sleeping, and working (= utilization); the rest is time spent runnable
//!   at an instant, which is zero in virtual time. Removed goroutines are
//!   left out, as in the snapshot.
//! - **Events**: `events_total` counts every event of the run (the trace
//!   hash covers all of them); the trace ring keeps only the newest
//!   `events_kept`, so `events_total - events_kept` were forgotten.

use super::World;
use crate::gochan::behavior::Role;
use crate::nsq::guarantees::LossCause;
use crate::observe::snapshot::{DeadlockReport, GState, NsqView, PanicReport, RunStatus, Totals};
use crate::observe::stats::Percentiles;
use crate::time::{SimDuration, SimTime};
use serde::Serialize;
use std::fmt::{self, Write as _};

/// Goroutine rows the text form lists (the value itself has them all).
pub const MAX_TEXT_ROWS: usize = 100;

/// How a run went.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The scenario's `name` (empty if it has none).
    pub scenario: String,
    pub title: String,
    pub seed: u64,
    pub status: RunStatus,
    /// One sentence about the status ("fatal error: all goroutines are asleep - deadlock!").
    pub status_text: String,
    pub time_us: u64,
    /// Virtual time, human form ("5.540298s").
    pub time: String,
    pub totals: Totals,
    /// Deliveries per virtual second over the whole run.
    pub throughput_per_s: f64,
    pub delivery_latency: Percentiles,
    pub processed_latency: Percentiles,
    pub goroutines: Vec<GoroutineRow>,
    pub channels: Vec<ChannelRow>,
    /// Go's verdict, or a partial deadlock Go would never report.
    pub deadlock: Option<DeadlockReport>,
    pub panic: Option<PanicReport>,
    /// Every event of the run, including forgotten ones.
    pub events_total: u64,
    /// Events still in the trace ring (the newest ones).
    pub events_kept: u64,
    /// Hex hash of every event: equal runs have equal hashes.
    pub trace_hash: String,
    /// Problems with scheduled commands (skipped, not fatal).
    pub notices: Vec<String>,
    /// NSQ nodes, topics and channels at the end (absent in a pure Go world).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nsq: Option<crate::gate::Gated<NsqView, crate::gate::Nsq>>,
    /// Kafka partitions, producers, consumers and guarantees at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kafka: Option<crate::gate::Gated<super::KafkaView, crate::gate::Kafka>>,
}

/// One goroutine over the run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GoroutineRow {
    pub name: String,
    pub group: String,
    pub role: Role,
    pub state: GState,
    /// Provably blocked forever.
    pub stuck: bool,
    pub sent: u64,
    pub received: u64,
    /// From start to return/panic, or to the summary's time.
    pub lifetime_us: u64,
    /// Shares of the lifetime, 0..100.
    pub blocked_send_pct: f64,
    pub blocked_recv_pct: f64,
    /// Blocked in a `select` with no ready case or in `wg.Wait()`.
    pub blocked_other_pct: f64,
    pub sleeping_pct: f64,
    /// Working share (= utilization × 100).
    pub working_pct: f64,
}

/// One channel at the end of the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChannelRow {
    pub name: String,
    pub cap: u32,
    pub len: u32,
    pub closed: bool,
    pub sent: u64,
    pub received: u64,
    pub max_len: u32,
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

impl World {
    /// Summarizes the run so far (the world can keep running afterwards).
    pub fn summary(&self) -> Summary {
        let snap = self.snapshot();
        let now = self.now();
        let goroutines = snap
            .goroutines
            .iter()
            .map(|v| {
                let gr = &self.go.gs[v.id as usize];
                let end = if gr.state.is_over() {
                    gr.since
                } else if self.is_running() {
                    now
                } else {
                    self.kit.run.status_at.max(gr.since)
                };
                let life = end.since(gr.spawned).as_micros();
                GoroutineRow {
                    name: v.name.clone(),
                    group: v.group.clone(),
                    role: v.role,
                    state: v.state,
                    stuck: v.stuck,
                    sent: v.sent,
                    received: v.received,
                    lifetime_us: life,
                    blocked_send_pct: pct(v.blocked_send_us, life),
                    blocked_recv_pct: pct(v.blocked_recv_us, life),
                    blocked_other_pct: pct(v.blocked_other_us, life),
                    sleeping_pct: pct(v.sleeping_us, life),
                    working_pct: pct(v.working_us, life),
                }
            })
            .collect();
        let channels = snap
            .channels
            .iter()
            .map(|c| ChannelRow {
                name: c.name.clone(),
                cap: c.cap,
                len: c.len,
                closed: c.closed,
                sent: c.sent,
                received: c.received,
                max_len: c.max_len,
            })
            .collect();
        let secs = now.as_secs_f64();
        Summary {
            scenario: self.scenario.name.clone(),
            title: self.scenario.title.clone(),
            seed: self.scenario.seed,
            status: snap.status,
            status_text: snap.status_text,
            time_us: snap.time_us,
            time: snap.time,
            totals: snap.totals,
            throughput_per_s: if secs > 0.0 { snap.totals.delivered as f64 / secs } else { 0.0 },
            delivery_latency: snap.delivery_latency,
            processed_latency: snap.processed_latency,
            goroutines,
            channels,
            deadlock: snap.deadlock,
            panic: snap.panic,
            events_total: snap.events_total,
            events_kept: self.kit.ledger.trace.events().len() as u64,
            trace_hash: snap.trace_hash,
            notices: self.notices.clone(),
            nsq: snap.nsq,
            kafka: snap.kafka,
        }
    }
}

impl Summary {
    /// Events the trace ring no longer holds.
    pub fn events_forgotten(&self) -> u64 {
        self.events_total.saturating_sub(self.events_kept)
    }

    /// The readable form (same as `Display`).
    pub fn render_text(&self) -> String {
        self.to_string()
    }
}

/// A latency in µs with three significant digits (the histogram's buckets
/// are 0.8 % wide, so more digits would be noise).
fn latency(us: u64) -> String {
    let mut scale: u64 = 1;
    while us / scale >= 1000 {
        scale *= 10;
    }
    // Round once, half up (saturating: `u64::MAX` stays representable).
    let rounded = (us / scale + u64::from(us % scale >= scale / 2 && scale > 1)).saturating_mul(scale);
    SimDuration::from_micros(rounded).to_string()
}

fn percentiles_line(p: &Percentiles) -> String {
    if p.count == 0 {
        return "none".into();
    }
    format!(
        "p50 {}  p90 {}  p99 {}  max {}  ({} values)",
        latency(p.p50_us),
        latency(p.p90_us),
        latency(p.p99_us),
        latency(p.max_us),
        p.count
    )
}

/// A unit variant's JSON name ("lost_on_crash"). Through `to_string`, not
/// `to_value`: one serializer compiled into the wasm module, not two.
fn snake<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).ok().and_then(|s| serde_json::from_str(&s).ok()).unwrap_or_default()
}

/// Renders rows as columns: the first `left` columns left-aligned, the rest
/// right-aligned, two spaces apart.
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>], left: usize) {
    if rows.is_empty() {
        out.push_str("  (none)\n");
        return;
    }
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, cell) in r.iter().enumerate() {
            width[i] = width[i].max(cell.chars().count());
        }
    }
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::from("  ");
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            let w = width[i];
            let _ = if i < left { write!(s, "{cell:<w$}") } else { write!(s, "{cell:>w$}") };
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for r in rows {
        line(&mut r.iter().map(String::as_str));
    }
}

fn pct_cell(v: f64) -> String {
    format!("{v:.1}")
}

/// An E2E percentile cell: "-" before the first FIN.
fn e2e_cell(us: Option<u64>) -> String {
    us.map_or_else(|| "-".into(), latency)
}

/// "3 unclean_crash, 1 emptied", or "0".
fn lost_cell(lost: &[(LossCause, u64)]) -> String {
    let parts: Vec<String> = lost.iter().filter(|(_, n)| *n > 0).map(|(cause, n)| format!("{n} {}", snake(cause))).collect();
    if parts.is_empty() {
        "0".into()
    } else {
        parts.join(", ")
    }
}

/// The Kafka part: `kafka-topics.sh --describe` with the offsets, the
/// producers, the partition consumers and the guarantees.
fn render_kafka(out: &mut String, k: &super::KafkaView) {
    let ids = |v: &[u32]| v.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(",");
    let _ = writeln!(out, "\nkafka brokers:");
    let state = |b: &super::kafka::view::KafkaBrokerView| match (b.up, b.fenced_at_us) {
        (true, _) if b.fenced => "up, FENCED (cut from the controller)".to_string(),
        (true, Some(t)) => format!("up (fenced at {})", crate::time::SimTime::from_micros(t)),
        (true, None) => "up".to_string(),
        (false, Some(t)) => format!("DOWN (fenced at {})", crate::time::SimTime::from_micros(t)),
        (false, None) => "DOWN".into(),
    };
    let rows: Vec<Vec<String>> = k.brokers.iter().map(|b| vec![b.name.clone(), state(b), b.leads.to_string()]).collect();
    table(out, &["broker", "state", "leads"], &rows, 2);
    let _ = writeln!(out, "\nkafka partitions (unclean leader election {}):", if k.unclean_leader_election { "on" } else { "off" });
    let rows: Vec<Vec<String>> = k
        .partitions
        .iter()
        .map(|p| {
            vec![
                p.topic.clone(),
                p.partition.to_string(),
                match (p.leader, p.zombie) {
                    (l, Some(z)) => format!("{} (zombie {z}: {} records)", l.map_or("none".into(), |l| l.to_string()), p.zombie_records),
                    (l, None) => l.map_or("none".into(), |l| l.to_string()),
                },
                ids(&p.replicas),
                ids(&p.isr),
                p.log_start.to_string(),
                p.high_watermark.to_string(),
                p.log_end.to_string(),
            ]
        })
        .collect();
    table(out, &["topic", "partition", "leader", "replicas", "isr", "log start", "high watermark", "log end"], &rows, 1);
    if !k.producers.is_empty() {
        let _ = writeln!(out, "\nkafka producers:");
        let rows: Vec<Vec<String>> = k
            .producers
            .iter()
            .map(|p| {
                let per = if p.requests > 0 { format!("{:.1}", p.requested as f64 / p.requests as f64) } else { "-".into() };
                let flush = p.max_open_requests.map_or(p.flush.clone(), |n| format!("{}; {n} open requests", p.flush));
                vec![p.name.clone(), p.kind.clone(), p.acks.clone(), p.sent.to_string(), p.acked.to_string(), p.failed.to_string(), p.requests.to_string(), per, flush]
            })
            .collect();
        table(out, &["producer", "kind", "acks", "sent", "acked", "failed", "requests", "records/request", "flush"], &rows, 3);
        // A topic grew, or a partition has no leader, and a producer's
        // metadata says so or not yet.
        for p in &k.producers {
            let stale: Vec<String> = k
                .topics
                .iter()
                .zip(&p.known_partitions)
                .filter(|(t, &n)| n < t.partitions)
                .map(|(t, n)| format!("{}: {n} of {} partitions", t.name, t.partitions))
                .chain(p.offline_partitions.iter().map(|n| format!("{n} has no leader")))
                .collect();
            if !stale.is_empty() {
                let at = p.refresh_at_us.map_or(String::new(), |t| format!(" until its metadata refresh at {}", SimDuration::from_micros(t)));
                let _ = writeln!(out, "  {} knows {}{at}", p.name, stale.join(", "));
            }
        }
    }
    if !k.consumers.is_empty() {
        let _ = writeln!(out, "\nkafka partition consumers:");
        let rows: Vec<Vec<String>> = k
            .consumers
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.topic.clone(),
                    c.partition.to_string(),
                    c.offset.map_or("-".into(), |o| o.to_string()),
                    c.high_watermark.to_string(),
                    c.lag.to_string(),
                    c.consumed.to_string(),
                    if c.stopped { "OFFSET_OUT_OF_RANGE" } else { "" }.into(),
                ]
            })
            .collect();
        table(out, &["consumer", "topic", "partition", "offset", "high watermark", "lag", "consumed", "stopped"], &rows, 2);
    }
    for gv in &k.groups {
        let _ = writeln!(
            out,
            "\nkafka group {} (generation {}, {}, {} rebalance(s), {}, assignor {}):",
            gv.name,
            gv.generation,
            gv.state,
            gv.rebalances,
            if gv.coordinator == 0 { "no coordinator".to_string() } else { format!("coordinator broker-{}", gv.coordinator) },
            gv.assignor
        );
        let rows: Vec<Vec<String>> = gv
            .rows
            .iter()
            .map(|r| {
                vec![
                    r.topic.clone(),
                    r.partition.to_string(),
                    r.current_offset.map_or("-".into(), |o| o.to_string()),
                    r.log_end_offset.to_string(),
                    r.lag.map_or("-".into(), |o| o.to_string()),
                    r.consumer_id.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        table(out, &["TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID"], &rows, 1);
        let rows: Vec<Vec<String>> = gv.members.iter().map(|m| vec![m.id.clone(), m.state.clone(), m.partitions.join(" "), m.consumed.to_string()]).collect();
        table(out, &["member", "state", "partitions", "consumed"], &rows, 3);
    }
    let g = &k.guarantees;
    let _ = writeln!(out, "\nkafka guarantees (records produced by goroutines):");
    let _ = writeln!(
        out,
        "  produced {}, acked {}, failed {}, waiting {}; lost: {} acked then truncated (their leader died or was a zombie, and no follower had copied them), {} committed but lost to an unclean election, {} never acked, {} sent with acks=0 and never written; deleted by retention unread {}; skipped by an offset reset {}; consumed {}, read again (duplicates) {}, keyed records read out of order {}",
        g.produced, g.acked, g.failed, g.sending, g.lost_after_ack, g.lost_unclean, g.lost_unacked, g.lost_unwritten, g.deleted_by_retention, g.skipped, g.consumed, g.duplicates, g.out_of_order
    );
    for s in &k.simplifications {
        let _ = writeln!(out, "  model: {s}");
    }
}

/// The NSQ part: nsqadmin's topic and channel rows, the client rows, and
/// the guarantees book when it is kept.
fn render_nsq(out: &mut String, nsq: &NsqView) {
    let _ = writeln!(out, "\nnsq nodes:");
    for n in &nsq.nodes {
        let expiry = match n.expiry {
            crate::nsq::spec::Expiry::Exact => "in-flight and deferred messages expire exactly at their deadline",
            crate::nsq::spec::Expiry::Sampled => "expiry by nsqd's sampled scan (every 100ms, channel list refreshed every 5s)",
        };
        let _ = writeln!(out, "  {}{}: {expiry}", n.name, if n.down { " (down)" } else { "" });
    }
    let _ = writeln!(out, "\nnsq topics and channels (nsqadmin's counters):");
    let mut rows: Vec<Vec<String>> = Vec::new();
    for n in &nsq.nodes {
        for t in &n.topics {
            let mut row = vec![
                n.name.clone(),
                t.name.clone(),
                String::new(),
                format!("{} ({} + {})", t.depth, t.memory_depth, t.backend_depth),
            ];
            row.extend(std::iter::repeat_n(String::new(), 4));
            row.push(t.message_count.to_string());
            row.extend(std::iter::repeat_n(String::new(), 3));
            rows.push(row);
            for c in &t.channels {
                rows.push(vec![
                    n.name.clone(),
                    t.name.clone(),
                    c.name.clone(),
                    format!("{} ({} + {})", c.depth, c.memory_depth, c.backend_depth),
                    c.in_flight.to_string(),
                    c.deferred.to_string(),
                    c.requeue_count.to_string(),
                    c.timeout_count.to_string(),
                    c.message_count.to_string(),
                    c.client_count.to_string(),
                    e2e_cell(c.e2e_p50_us),
                    e2e_cell(c.e2e_p99_us),
                ]);
            }
        }
    }
    table(
        out,
        &[
            "nsqd", "topic", "channel", "depth (mem + disk)", "in flight", "deferred", "requeued", "timed out", "messages",
            "connections", "e2e p50", "e2e p99",
        ],
        &rows,
        3,
    );

    let _ = writeln!(out, "\nnsq clients (one row per connection):");
    let mut rows: Vec<Vec<String>> = Vec::new();
    for n in &nsq.nodes {
        for t in &n.topics {
            for c in &t.channels {
                for cl in &c.clients {
                    rows.push(vec![
                        n.name.clone(),
                        t.name.clone(),
                        c.name.clone(),
                        cl.name.clone(),
                        cl.ready_count.to_string(),
                        cl.in_flight_count.to_string(),
                        cl.finish_count.to_string(),
                        cl.requeue_count.to_string(),
                        cl.message_count.to_string(),
                    ]);
                }
            }
        }
    }
    table(out, &["nsqd", "topic", "channel", "client", "RDY", "in flight", "finished", "requeued", "messages"], &rows, 4);

    if !nsq.guarantees.is_empty() {
        let _ = writeln!(out, "\nnsq guarantees (per channel, over every node; messages, not copies):");
        let rows: Vec<Vec<String>> = nsq
            .guarantees
            .iter()
            .map(|g| {
                vec![
                    g.topic.clone(),
                    g.channel.clone(),
                    g.published.to_string(),
                    g.finished.to_string(),
                    g.handled_once.to_string(),
                    g.handled_more_than_once.to_string(),
                    lost_cell(&g.lost),
                    g.reordered.to_string(),
                    g.live.to_string(),
                ]
            })
            .collect();
        table(
            out,
            &["topic", "channel", "published", "finished", "handled once", "duplicates", "lost", "reordered", "live"],
            &rows,
            2,
        );
    }

    if !nsq.lookupd.is_empty() {
        let _ = writeln!(out, "\nnsqlookupd registrations (per lookupd and topic):");
        let dash = |v: &[String]| if v.is_empty() { "-".to_string() } else { v.join(",") };
        let rows: Vec<Vec<String>> = nsq
            .lookupd
            .iter()
            .flat_map(|l| {
                // A lookupd that is down knows nothing: one row says so.
                let name = if l.down { format!("{} (down)", l.name) } else { l.name.clone() };
                let mut rows: Vec<Vec<String>> =
                    l.topics.iter().map(|t| vec![name.clone(), t.topic.clone(), dash(&t.channels), dash(&t.producers)]).collect();
                if rows.is_empty() {
                    rows.push(vec![name, "-".into(), "-".into(), dash(&l.producers)]);
                }
                rows
            })
            .collect();
        table(out, &["lookupd", "topic", "channels", "producers"], &rows, 4);
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        let name = if self.scenario.is_empty() { "(unnamed)" } else { self.scenario.as_str() };
        if self.title.is_empty() {
            let _ = writeln!(out, "scenario    {name} (seed {})", self.seed);
        } else {
            let _ = writeln!(out, "scenario    {name}: {} (seed {})", self.title, self.seed);
        }
        let status = snake(&self.status);
        if status == self.status_text {
            let _ = writeln!(out, "status      {status}");
        } else {
            let _ = writeln!(out, "status      {status}: {}", self.status_text);
        }
        let _ = writeln!(out, "time        {} (virtual)", self.time);
        let t = &self.totals;
        let _ = writeln!(
            out,
            "messages    produced {}, delivered {}, processed {}, filtered {}, dropped {}, live {}{}",
            t.produced,
            t.delivered,
            t.processed,
            t.filtered,
            t.dropped,
            t.live,
            match (t.published, self.kafka.is_some()) {
                (0, _) => String::new(),
                (n, true) => format!(", acked by Kafka {n}"),
                (n, false) => format!(", published to NSQ {n}"),
            }
        );
        let _ = writeln!(out, "throughput  {:.2} deliveries per virtual second", self.throughput_per_s);
        let _ = writeln!(out, "latency     produce -> receive:   {}", percentiles_line(&self.delivery_latency));
        let _ = writeln!(out, "            produce -> processed: {}", percentiles_line(&self.processed_latency));

        let _ = writeln!(out, "\ngoroutines ({}), % of each one's lifetime:", self.goroutines.len());
        let rows: Vec<Vec<String>> = self
            .goroutines
            .iter()
            .take(MAX_TEXT_ROWS)
            .map(|g| {
                vec![
                    g.name.clone(),
                    snake(&g.role),
                    if g.stuck { format!("{} (stuck)", snake(&g.state)) } else { snake(&g.state) },
                    g.sent.to_string(),
                    g.received.to_string(),
                    pct_cell(g.blocked_send_pct),
                    pct_cell(g.blocked_recv_pct),
                    pct_cell(g.blocked_other_pct),
                    pct_cell(g.sleeping_pct),
                    pct_cell(g.working_pct),
                ]
            })
            .collect();
        table(
            &mut out,
            &["name", "role", "state", "sent", "recv", "send%", "recv%", "other%", "sleep%", "work%"],
            &rows,
            3,
        );
        if self.goroutines.len() > MAX_TEXT_ROWS {
            let _ = writeln!(
                out,
                "  ... {} more goroutines (the JSON summary lists every one)",
                self.goroutines.len() - MAX_TEXT_ROWS
            );
        }

        let _ = writeln!(out, "\nchannels ({}):", self.channels.len());
        let rows: Vec<Vec<String>> = self
            .channels
            .iter()
            .map(|c| {
                vec![
                    c.name.clone(),
                    c.cap.to_string(),
                    c.len.to_string(),
                    c.max_len.to_string(),
                    if c.closed { "yes" } else { "no" }.to_string(),
                    c.sent.to_string(),
                    c.received.to_string(),
                ]
            })
            .collect();
        table(&mut out, &["name", "cap", "len", "max_len", "closed", "sent", "recv"], &rows, 1);

        if let Some(nsq) = &self.nsq {
            render_nsq(&mut out, nsq);
        }
        if let Some(k) = &self.kafka {
            render_kafka(&mut out, k);
        }
        if let Some(d) = &self.deadlock {
            let at = SimTime::from_micros(d.at_us);
            match &d.go_message {
                Some(m) => {
                    let _ = writeln!(out, "\ndeadlock at {at}: {m}");
                }
                None => {
                    let _ = writeln!(
                        out,
                        "\npartial deadlock since {at} (Go would not report it): {} goroutine(s) stuck forever",
                        d.stuck.len()
                    );
                }
            }
            let rows: Vec<Vec<String>> =
                d.stuck.iter().map(|w| vec![w.name.clone(), w.waits_on.clone(), w.why.clone()]).collect();
            table(&mut out, &["goroutine", "waits on", "why"], &rows, 3);
        }
        if let Some(p) = &self.panic {
            let _ = writeln!(out, "\npanic in {} at {}:", p.name, SimTime::from_micros(p.at_us));
            for l in p.text.lines() {
                let _ = writeln!(out, "{}", format!("  {l}").trim_end());
            }
        }
        if !self.notices.is_empty() {
            let _ = writeln!(out, "\nnotices:");
            for n in &self.notices {
                let _ = writeln!(out, "  {n}");
            }
        }
        let _ = write!(out, "\nevents      {} (trace hash {})", self.events_total, self.trace_hash);
        if self.events_forgotten() > 0 {
            let _ = write!(out, "; the trace ring kept the last {}", self.events_kept);
        }
        out.push('\n');
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use crate::nsq::guarantees::{ChannelGuarantees, LossCause};
    use crate::observe::snapshot::{GState, NsqChannelView, NsqClientView, NsqLookupdTopicView, NsqLookupdView, NsqTopicView, NsqView, NsqdView, RunStatus};
    use crate::presets;
    use crate::time::SimTime;
    use crate::world::World;

    fn run(json: &str, secs: u64) -> World {
        let mut w = World::from_json(json).unwrap_or_else(|e| panic!("{e}"));
        w.run_until(SimTime::from_micros(secs * 1_000_000));
        w
    }

    fn preset(name: &str) -> World {
        let mut w = World::new(&presets::get(name).unwrap().scenario()).unwrap();
        w.run_until(SimTime::from_micros(60_000_000));
        w
    }

    #[test]
    fn summary_percentages_split_each_lifetime() {
        // Producer sends 4 values 100ms apart into an unbuffered channel; the
        // consumer works 250ms on each, so the producer spends time blocked
        // on send and the consumer is mostly working.
        let w = run(
            r#"{"name":"t","seed":9,"channels":[{"name":"c"}],"goroutines":[
                {"name":"p","behavior":{"producer":{"to":"c","count":4,"interval":"100ms","close_when_done":true}}},
                {"name":"q","behavior":{"consumer":{"from":"c","work":"250ms"}}}]}"#,
            10,
        );
        let s = w.summary();
        assert_eq!((s.scenario.as_str(), s.seed), ("t", 9));
        assert_eq!(s.status, RunStatus::Finished, "{}", s.status_text);
        assert_eq!(s.totals.produced, 4);
        assert_eq!(s.totals.delivered, 4);
        let p = &s.goroutines[0];
        let q = &s.goroutines[1];
        assert_eq!((p.name.as_str(), p.sent, p.state), ("p", 4, GState::Done));
        assert_eq!((q.name.as_str(), q.received), ("q", 4));
        // q: receives at 100ms, works until 350, 600, 850, 1100ms, then sees
        // the close: lifetime 1.1s, 1s of it working.
        assert_eq!(q.lifetime_us, 1_100_000);
        assert!((q.working_pct - 100.0 * 1.0 / 1.1).abs() < 1e-9, "{q:?}");
        assert!((q.blocked_recv_pct - 100.0 * 0.1 / 1.1).abs() < 1e-9, "{q:?}");
        // p: sleeps 100ms before each send and waits for q to finish the
        // previous value; it closes after its 4th send at 850ms.
        assert_eq!(p.lifetime_us, 850_000);
        assert!((p.sleeping_pct - 100.0 * 0.4 / 0.85).abs() < 1e-9, "{p:?}");
        assert!((p.blocked_send_pct - 100.0 * 0.45 / 0.85).abs() < 1e-9, "{p:?}");
        let sum = p.blocked_send_pct + p.blocked_recv_pct + p.blocked_other_pct + p.sleeping_pct + p.working_pct;
        assert!((sum - 100.0).abs() < 1e-9, "{sum}");
        // Throughput over the whole 1.1s run.
        assert!((s.throughput_per_s - 4.0 / 1.1).abs() < 1e-9);
        assert_eq!(s.channels[0].name, "c");
        assert!(s.channels[0].closed);
        assert_eq!(s.channels[0].sent, 4);
        assert_eq!(s.delivery_latency.count, 4);
    }

    #[test]
    fn summary_of_forgotten_close_has_gos_verdict_and_wait_for_list() {
        let s = preset("forgotten-close").summary();
        assert_eq!(s.status, RunStatus::Deadlock);
        let d = s.deadlock.as_ref().expect("deadlock report");
        assert_eq!(d.go_message.as_deref(), Some("fatal error: all goroutines are asleep - deadlock!"));
        let text = s.to_string();
        assert!(text.contains("fatal error: all goroutines are asleep - deadlock!"), "{text}");
        for w in &d.stuck {
            let line = text.lines().find(|l| l.trim_start().starts_with(&w.name) && l.contains(&w.waits_on));
            assert!(line.is_some_and(|l| l.contains(&w.why)), "no row for {w:?} in\n{text}");
        }
        assert!(s.goroutines.iter().filter(|g| g.stuck).count() == d.stuck.len());
    }

    #[test]
    fn summary_of_a_panic_prints_gos_panic_text() {
        let s = preset("close-while-sending").summary();
        assert_eq!(s.status, RunStatus::Panicked);
        let p = s.panic.as_ref().expect("panic report");
        let text = s.render_text();
        assert!(text.contains("  panic: send on closed channel"), "{text}");
        assert!(text.contains(&format!("panic in {} at", p.name)), "{text}");
    }

    #[test]
    fn partial_deadlock_is_labelled_as_one_go_would_not_report() {
        let w = run(
            r#"{"channels":[{"name":"lost"},{"name":"jobs"}],"goroutines":[
                {"name":"orphan","behavior":{"program":[{"send":"lost"}]}},
                {"name":"producer","behavior":{"producer":{"to":"jobs","interval":"10ms"}}},
                {"name":"consumer","behavior":{"consumer":{"from":"jobs"}}}]}"#,
            1,
        );
        let s = w.summary();
        assert_eq!(s.status, RunStatus::Running);
        let text = s.to_string();
        assert!(text.contains("partial deadlock since"), "{text}");
        assert!(text.contains("Go would not report it"), "{text}");
        let orphan = s.goroutines.iter().find(|g| g.name == "orphan").unwrap();
        assert!(orphan.stuck && orphan.blocked_send_pct > 99.9, "{orphan:?}");
    }

    #[test]
    fn goroutine_table_is_aligned() {
        let s = preset("wait-group").summary();
        let text = s.to_string();
        let start = text.find("goroutines (").unwrap();
        let rows: Vec<&str> = text[start..].lines().skip(1).take_while(|l| !l.is_empty()).collect();
        assert_eq!(rows.len(), s.goroutines.len() + 1, "{text}");
        // Right-aligned numeric columns: every row ends at the same column.
        let widths: Vec<usize> = rows.iter().map(|r| r.chars().count()).collect();
        assert!(widths.iter().all(|&w| w == widths[0]), "{widths:?}\n{text}");
        assert!(rows[1].trim_start().starts_with("producer-1"), "{text}");
    }

    #[test]
    fn summary_json_has_every_section() {
        let s = preset("wait-group").summary();
        let v = serde_json::to_value(&s).unwrap();
        for key in [
            "scenario", "seed", "status", "status_text", "time", "totals", "throughput_per_s",
            "delivery_latency", "processed_latency", "goroutines", "channels", "deadlock", "panic",
            "events_total", "events_kept", "trace_hash", "notices",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert_eq!(v["status"], "main_returned");
        assert_eq!(v["goroutines"][0]["role"], "producer");
    }

    #[test]
    fn forgotten_events_are_counted() {
        let mut sc = presets::get("wait-group").unwrap().scenario();
        sc.trace_capacity = 10;
        let mut w = World::new(&sc).unwrap();
        w.run_until(SimTime::from_micros(60_000_000));
        let s = w.summary();
        assert_eq!(s.events_kept, 10);
        assert!(s.events_forgotten() > 0);
        assert!(s.to_string().contains("the trace ring kept the last 10"));
        // Same run, full ring: nothing forgotten, same hash.
        sc.trace_capacity = crate::scenario::limits::MAX_TRACE;
        let mut full = World::new(&sc).unwrap();
        full.run_until(SimTime::from_micros(60_000_000));
        let f = full.summary();
        assert_eq!(f.events_forgotten(), 0);
        assert_eq!(f.trace_hash, s.trace_hash);
    }

    /// A hand-built NSQ view: one node, a topic with a channel with two
    /// connections, and a guarantees book.
    fn nsq_view() -> NsqView {
        let client = |id: u64, name: &str, finished: u64| NsqClientView {
            id,
            name: name.into(),
            ready_count: 2,
            in_flight_count: 1,
            message_count: finished + 3,
            finish_count: finished,
            requeue_count: 2,
        };
        NsqView {
            nodes: vec![NsqdView {
                name: "nsqd-1".into(),
                expiry: crate::nsq::spec::Expiry::Exact,
                down: false,
                topics: vec![NsqTopicView {
                    name: "events".into(),
                    depth: 0,
                    memory_depth: 0,
                    backend_depth: 0,
                    message_count: 40,
                    paused: false,
                    channels: vec![
                        NsqChannelView {
                            name: "jobs".into(),
                            depth: 7,
                            memory_depth: 5,
                            backend_depth: 2,
                            in_flight: 2,
                            deferred: 1,
                            message_count: 40,
                            requeue_count: 4,
                            timeout_count: 3,
                            client_count: 2,
                            paused: false,
                            e2e_p50_us: Some(61_234),
                            e2e_p99_us: Some(1_234_567),
                            clients: vec![client(0, "worker conn1", 20), client(1, "worker conn2", 10)],
                        },
                        NsqChannelView {
                            name: "idle".into(),
                            depth: 40,
                            memory_depth: 40,
                            backend_depth: 0,
                            in_flight: 0,
                            deferred: 0,
                            message_count: 40,
                            requeue_count: 0,
                            timeout_count: 0,
                            client_count: 0,
                            paused: false,
                            e2e_p50_us: None,
                            e2e_p99_us: None,
                            clients: vec![],
                        },
                    ],
                }],
            }],
            guarantees: vec![
                ChannelGuarantees {
                    topic: "events".into(),
                    channel: "jobs".into(),
                    published: 40,
                    finished: 30,
                    handled_once: 28,
                    handled_more_than_once: 2,
                    lost: vec![(LossCause::UncleanCrash, 3), (LossCause::Emptied, 1)],
                    reordered: 5,
                    live: 6,
                },
                ChannelGuarantees {
                    topic: "events".into(),
                    channel: "idle".into(),
                    published: 40,
                    live: 40,
                    ..ChannelGuarantees::default()
                },
            ],
            lookupd: vec![
                NsqLookupdView {
                    name: "lookupd-1".into(),
                    down: false,
                    producers: vec!["nsqd-1".into()],
                    topics: vec![NsqLookupdTopicView {
                        topic: "events".into(),
                        channels: vec!["idle".into(), "jobs".into()],
                        producers: vec!["nsqd-1".into()],
                    }],
                },
                NsqLookupdView { name: "lookupd-2".into(), down: true, producers: vec![], topics: vec![] },
            ],
            consumers: vec![],
            publishers: vec![],
        }
    }

    /// The whitespace-separated cells of the rows of the table that follows
    /// the line starting with `title`, header included.
    fn table_rows(text: &str, title: &str) -> Vec<Vec<String>> {
        let start = text.find(title).unwrap_or_else(|| panic!("no {title:?} in\n{text}"));
        text[start..]
            .lines()
            .skip(1)
            .take_while(|l| !l.is_empty())
            .map(|l| l.split_whitespace().map(str::to_owned).collect())
            .collect()
    }

    #[test]
    fn nsq_tables_show_channels_clients_and_guarantees() {
        let mut text = String::new();
        super::render_nsq(&mut text, &nsq_view());
        let lookupd = table_rows(&text, "nsqlookupd registrations");
        assert_eq!(lookupd[1], ["lookupd-1", "events", "idle,jobs", "nsqd-1"], "{text}");
        assert_eq!(lookupd[2], ["lookupd-2", "(down)", "-", "-", "-"], "{text}");
        let channels = table_rows(&text, "nsq topics and channels");
        assert!(channels[0].ends_with(&["messages", "connections", "e2e", "p50", "e2e", "p99"].map(String::from)), "{text}");
        assert_eq!(channels[1], ["nsqd-1", "events", "0", "(0", "+", "0)", "40"], "{text}");
        assert_eq!(
            channels[2],
            ["nsqd-1", "events", "jobs", "7", "(5", "+", "2)", "2", "1", "4", "3", "40", "2", "61.2ms", "1.23s"],
            "{text}"
        );
        assert_eq!(channels[3][11..], ["40", "0", "-", "-"], "{text}");
        let clients = table_rows(&text, "nsq clients");
        assert_eq!(clients[0], ["nsqd", "topic", "channel", "client", "RDY", "in", "flight", "finished", "requeued", "messages"]);
        assert_eq!(clients[1], ["nsqd-1", "events", "jobs", "worker", "conn1", "2", "1", "20", "2", "23"], "{text}");
        assert_eq!(clients[2], ["nsqd-1", "events", "jobs", "worker", "conn2", "2", "1", "10", "2", "13"], "{text}");
        assert_eq!(clients.len(), 3, "{text}");
        let book = table_rows(&text, "nsq guarantees");
        assert_eq!(
            book[0],
            ["topic", "channel", "published", "finished", "handled", "once", "duplicates", "lost", "reordered", "live"]
        );
        assert_eq!(book[1], ["events", "jobs", "40", "30", "28", "2", "3", "unclean_crash,", "1", "emptied", "5", "6"], "{text}");
        assert_eq!(book[2], ["events", "idle", "40", "0", "0", "0", "0", "0", "40"], "{text}");
        // Right-aligned numbers: the rows of each table end at one column.
        for title in ["nsq clients", "nsq guarantees"] {
            let start = text.find(title).unwrap();
            let widths: Vec<usize> =
                text[start..].lines().skip(1).take_while(|l| !l.is_empty()).map(|l| l.chars().count()).collect();
            assert!(widths.iter().all(|&w| w == widths[0]), "{title}: {widths:?}\n{text}");
        }
        // No book kept: no guarantees table.
        let mut view = nsq_view();
        view.guarantees.clear();
        let mut text = String::new();
        super::render_nsq(&mut text, &view);
        assert!(!text.contains("nsq guarantees"), "{text}");
    }

    #[test]
    fn nsq_single_shows_e2e_latency_and_the_consumers_connection() {
        let s = preset("nsq-single").summary();
        let nsq = s.nsq.as_ref().expect("an NSQ view");
        let jobs = &nsq.nodes[0].topics[0].channels[0];
        assert_eq!(jobs.name, "jobs");
        let (p50, p99) = (jobs.e2e_p50_us.expect("FINs happened"), jobs.e2e_p99_us.expect("p99"));
        // Publish -> FIN: about 60ms of work plus the links, never less
        // than the time on the wire.
        assert!(p50 > 1_000 && p50 <= p99, "{p50} {p99}");
        assert_eq!(jobs.clients.len(), 1);
        let c = &jobs.clients[0];
        assert_eq!((c.id, c.name.as_str(), c.ready_count), (0, "worker conn1", 1));
        assert!(c.finish_count > 0 && c.message_count >= c.finish_count + c.in_flight_count, "{c:?}");
        let g = &nsq.guarantees[0];
        let lost: u64 = g.lost.iter().map(|(_, n)| n).sum();
        assert_eq!((g.topic.as_str(), g.channel.as_str()), ("events", "jobs"));
        assert_eq!(g.finished + g.live + lost, g.published);
        assert_eq!((g.handled_more_than_once, lost), (0, 0), "one consumer, no faults: once each");
        let text = s.to_string();
        assert!(text.contains("nsq guarantees"), "{text}");
        let clients = table_rows(&text, "nsq clients");
        assert_eq!(clients[1][..6], ["nsqd-1", "events", "jobs", "worker", "conn1", "1"], "{text}");
        let v = serde_json::to_value(&s).unwrap();
        let jobs = &v["nsq"]["nodes"][0]["topics"][0]["channels"][0];
        assert_eq!(jobs["e2e_p50_us"], p50);
        assert_eq!(jobs["clients"][0]["name"], "worker conn1");
        assert_eq!(v["nsq"]["guarantees"][0]["published"], g.published);
    }

    #[test]
    fn latency_is_rounded_to_three_digits() {
        assert_eq!(super::latency(200_703), "201ms");
        assert_eq!(super::latency(1_234_567), "1.23s");
        assert_eq!(super::latency(999), "999us");
        assert_eq!(super::latency(0), "0s");
        assert_eq!(super::latency(999_500), "1s");
        assert_eq!(super::latency(1_235_000), "1.24s");
    }
}
