//! Read-only views of a world: the [`Snapshot`], program listings and event
//! descriptions in plain words (the run summary is in `summary/`).

use super::World;
use crate::gochan::behavior::Role;
pub use crate::gochan::view::Listing;
use crate::observe::snapshot::*;
use crate::observe::trace::{EventKind, TraceEvent, NONE};
use crate::time::{SimDuration, SimTime};
use serde::Serialize;

/// An event for the page's log and animation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventView {
    pub seq: u64,
    pub t_us: u64,
    pub kind: EventKind,
    pub goroutine: Option<u32>,
    pub channel: Option<u32>,
    pub msg: Option<u64>,
    pub label: Option<String>,
    /// Plain words: "producer sent producer#3 to jobs (buffered, 2 queued)".
    pub text: String,
    /// For NSQ events, where it happened, as far as the event says
    /// (computed when the view is made; absent for Go events).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nsq: Option<NsqEventPlace>,
    /// For Kafka events about a partition, which one (and the offset or
    /// broker the event carries); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kafka: Option<KafkaEventPlace>,
}

fn opt(x: u32) -> Option<u32> {
    (x != NONE).then_some(x)
}

impl World {
    /// `producer#value` for a message.
    pub fn label_of(&self, producer: u32, value: i64) -> String {
        self.go.label_of(producer, value)
    }

    pub fn status_text(&self) -> String {
        match self.kit.run.status {
            RunStatus::Running => "running".into(),
            RunStatus::Finished => format!("every goroutine returned at {}", self.kit.run.status_at),
            RunStatus::MainReturned => format!("main returned at {}: the program exited", self.kit.run.status_at),
            RunStatus::Deadlock => "fatal error: all goroutines are asleep - deadlock!".into(),
            RunStatus::Panicked => match &self.kit.run.panic {
                Some(p) => format!("panic: {} (in {})", p.message, p.name),
                None => "panic".into(),
            },
            RunStatus::Stopped if self.kit.run.status_at == SimTime::ZERO + SimDuration::HORIZON && self.scenario.stop_at.is_none_or(|s| s >= SimDuration::HORIZON) => {
                format!("stopped at {}: the end of simulated time (no run lasts longer than {})", self.kit.run.status_at, crate::time::HORIZON_TEXT)
            }
            RunStatus::Stopped => format!("stopped at {} (the scenario's stop_at)", self.kit.run.status_at),
        }
    }

    /// Everything the page draws, bounded in size.
    pub fn snapshot(&self) -> Snapshot {
        let mut goroutines: Vec<GoroutineView> =
            (0..self.go.gs.len() as u32).filter(|&g| self.go.gs[g as usize].state != GState::Removed).map(|g| self.go.goroutine_view(&self.kit, g)).collect();
        let kafka = self.kafka.as_deref().map(|k| k.view());
        // A goroutine waiting for an acks=all answer says which replicas do not have its record yet.
        for w in kafka.iter().flat_map(|k| &k.ack_waits) {
            if let Some(gv) = goroutines.iter_mut().find(|gv| gv.id == w.goroutine && gv.state == GState::BlockedNet) {
                gv.state_text.push_str("; ");
                gv.state_text.push_str(&w.text());
            }
        }
        // A claim slot with no partition is idle, not fetching (`goroutines`
        // is in id order).
        for (g, why) in self.kafka.iter().flat_map(|k| k.idle_claims()) {
            if let Some(gv) = goroutines.binary_search_by_key(&g, |gv| gv.id).ok().map(|i| &mut goroutines[i]).filter(|gv| gv.state == GState::BlockedNet) {
                gv.state_text = format!("idle for {}: {why}", SimDuration::from_micros(gv.state_for_us));
                gv.idle = true;
            }
        }
        // What go-nsq's reader goroutines are doing.
        if let Some(nsq) = self.nsq.as_deref() {
            nsq.annotate_readers(&mut goroutines);
        }
        let channels = self.go.channel_views(&self.kit);
        let blocked = goroutines.iter().filter(|g| g.state.is_blocked()).count() as u32;
        // Every message is, at any moment, exactly one of: processed,
        // dropped, filtered, or live; and a live one is in a buffer, held by
        // a sink that received it, or held by a sender (see `Totals`).
        let buffered = self.go.buffered();
        let processing = self.go.processing();
        let live = self.kit.ledger.msgs.live();
        let alive = goroutines.iter().filter(|g| !g.state.is_over()).count() as u32;
        Snapshot {
            time_us: self.now().as_micros(),
            time: self.now().to_string(),
            status: self.kit.run.status,
            status_text: self.status_text(),
            goroutines,
            channels,
            waitgroups: self
                .go.wgs
                .iter()
                .map(|w| WaitGroupView { name: w.name.clone(), counter: w.counter, waiters: w.waiters.clone() })
                .collect(),
            deadlock: self.kit.run.deadlock.clone(),
            panic: self.kit.run.panic.clone(),
            totals: Totals {
                produced: self.kit.ledger.tally.produced,
                delivered: self.kit.ledger.tally.delivered,
                processed: self.kit.ledger.tally.processed,
                filtered: self.kit.ledger.tally.filtered,
                dropped: self.kit.ledger.tally.dropped,
                published: self.kit.ledger.tally.published,
                live,
                buffered,
                processing,
                in_transit: live.saturating_sub(buffered + processing),
                blocked,
                goroutines_alive: alive,
            },
            delivery_latency: self.kit.ledger.delivery.percentiles(),
            processed_latency: self.kit.ledger.processed.percentiles(),
            events_total: self.kit.ledger.trace.total(),
            trace_hash: format!("{:016x}", self.kit.ledger.trace.hash()),
            groups: self
                .go.groups
                .iter()
                .map(|g| {
                    let mut b = g.spec.behavior.clone();
                    GroupView {
                        name: g.spec.name.clone(),
                        role: b.role(),
                        library: g.library,
                        count: g.members.len() as u32,
                        interval: b.interval_mut().map(|d| d.to_string()),
                        work: b.work_mut().map(|d| d.to_string()),
                        behavior: g.spec.behavior.clone(),
                        sends: if g.library.is_some() { self.go.sends_of(&g.prog) } else { Vec::new() },
                    }
                })
                .collect(),
            nsq: self.nsq_view().and_then(crate::gate::Gated::some),
            kafka: kafka.and_then(crate::gate::Gated::some),
            notices: self.notices.clone(),
        }
    }

    /// The Go-like listing of goroutine `g` with its current line, or `None`
    /// if there is no such goroutine.
    pub fn listing(&self, g: u32) -> Option<Listing> {
        self.go.listing(g)
    }

    /// Events with `seq >= from` still in the trace ring, at most `max`
    /// (the newest ones if there are more).
    pub fn events_since(&self, from: u64, max: usize) -> Vec<EventView> {
        let all: Vec<&TraceEvent> = self.kit.ledger.trace.since(from).collect();
        let skip = all.len().saturating_sub(max);
        all[skip..].iter().map(|e| self.event_view(e)).collect()
    }

    pub fn event_view(&self, e: &TraceEvent) -> EventView {
        let label = (e.msg != 0).then(|| self.label_of(e.msg_producer, e.msg_value));
        EventView {
            seq: e.seq,
            t_us: e.time.as_micros(),
            kind: e.kind,
            goroutine: opt(e.g),
            channel: opt(e.ch),
            msg: (e.msg != 0).then_some(e.msg),
            text: self.describe(e, label.as_deref().unwrap_or("")),
            label,
            nsq: self.nsq_event_place(e),
            kafka: self.kafka.as_deref().and_then(|kw| kw.event_place(e)),
        }
    }

    /// One event in plain words.
    pub fn describe(&self, e: &TraceEvent, label: &str) -> String {
        if let Some(kw) = self.kafka.as_deref() {
            let text = kw.describe(e, self.go.gname(e.g), label);
            if !text.is_empty() {
                return text;
            }
        }
        self.go.describe(&self.kit, e, label)
    }

    /// The trace as JSON lines (for `--trace`).
    pub fn trace_jsonl(&self) -> String {
        let mut out = String::new();
        for e in self.kit.ledger.trace.events() {
            let v = self.event_view(e);
            out.push_str(&serde_json::to_string(&v).expect("event serializes"));
            out.push('\n');
        }
        out
    }

    /// Roles by goroutine id (for summaries).
    pub fn role_of(&self, g: u32) -> Option<Role> {
        self.go.role_of(g)
    }
}
