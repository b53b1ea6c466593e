//! The run summary's text form (`Display`, what `queuelab run` prints):
//! the status, the clock, throughput and latency percentiles, a goroutine
//! table and a channel table, and for NSQ and Kafka runs their nodes,
//! topics, channels or partitions, consumer groups and delivery
//! guarantees. Latencies show three significant digits (the histogram's
//! buckets are 0.8 % wide); tables align columns, names left, numbers
//! right; at most [`MAX_TEXT_ROWS`] goroutine rows are listed.

use super::{Summary, MAX_TEXT_ROWS};
use crate::nsq::guarantees::LossCause;
use crate::observe::snapshot::NsqView;
use crate::observe::stats::Percentiles;
use crate::time::{SimDuration, SimTime};
use serde::Serialize;
use std::fmt::{self, Write as _};

/// A latency in µs with three significant digits (the histogram's buckets
/// are 0.8 % wide, so more digits would be noise).
pub(super) fn latency(us: u64) -> String {
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
fn render_kafka(out: &mut String, k: &crate::world::KafkaView) {
    let ids = |v: &[u32]| v.iter().map(|b| b.to_string()).collect::<Vec<_>>().join(",");
    let _ = writeln!(out, "\nkafka brokers:");
    let state = |b: &crate::world::kafka::view::KafkaBrokerView| match (b.up, b.fenced_at_us) {
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
pub(super) fn render_nsq(out: &mut String, nsq: &NsqView) {
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
