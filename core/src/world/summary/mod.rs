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
//!
//! This file computes the value; `text.rs` renders its text form.

use super::World;
use crate::gochan::behavior::Role;
use crate::observe::snapshot::{DeadlockReport, GState, NsqView, PanicReport, RunStatus, Totals};
use crate::observe::stats::Percentiles;
use serde::Serialize;

mod text;

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
        super::text::render_nsq(&mut text, &nsq_view());
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
        super::text::render_nsq(&mut text, &view);
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
        assert_eq!(super::text::latency(200_703), "201ms");
        assert_eq!(super::text::latency(1_234_567), "1.23s");
        assert_eq!(super::text::latency(999), "999us");
        assert_eq!(super::text::latency(0), "0s");
        assert_eq!(super::text::latency(999_500), "1s");
        assert_eq!(super::text::latency(1_235_000), "1.24s");
    }
}
