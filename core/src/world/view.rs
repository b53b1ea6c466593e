//! Read-only views of a world: the [`Snapshot`], program listings and event
//! descriptions in plain words (the run summary is in `summary.rs`).

use super::World;
use crate::gochan::behavior::Role;
use crate::gochan::program::{CaseKind, Line, Op};
use crate::observe::snapshot::*;
use crate::observe::trace::{DropCause, EventKind, TraceEvent, NONE};
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
}

/// A program listing with the current line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Listing {
    pub goroutine: u32,
    pub name: String,
    pub lines: Vec<Line>,
    pub current: u32,
}

fn opt(x: u32) -> Option<u32> {
    (x != NONE).then_some(x)
}

impl World {
    fn gname(&self, g: u32) -> &str {
        self.go.gs.get(g as usize).map_or("?", |x| x.name.as_str())
    }
    fn cname(&self, c: u32) -> &str {
        self.go.chan_names.get(c as usize).map_or("?", |x| x.as_str())
    }

    /// `producer#value` for a message.
    pub fn label_of(&self, producer: u32, value: i64) -> String {
        format!("{}#{value}", self.gname(producer))
    }

    fn msg_label(&self, m: u32) -> String {
        let msg = self.kit.ledger.msgs.get(m);
        self.label_of(msg.producer, msg.value)
    }

    /// Describes a goroutine's state in plain words.
    fn state_text(&self, g: u32) -> String {
        let gr = &self.go.gs[g as usize];
        let now = self.now();
        let dur = now - gr.since;
        let mut text = match gr.state {
            GState::Runnable => "runnable: about to run its next step".to_string(),
            GState::Working => match gr.held {
                Some(m) => format!("working on {} (done in {})", self.msg_label(m), gr.until - now),
                None => format!("working (done in {})", gr.until - now),
            },
            GState::Sleeping => format!("sleeping (wakes in {})", gr.until - now),
            GState::BlockedSend => {
                let c = &self.go.chans[gr.wait as usize];
                let why = if c.is_closed() {
                    "channel closed".to_string()
                } else if c.cap() == 0 {
                    "unbuffered channel and no receiver waiting".to_string()
                } else {
                    format!("buffer full ({}/{}) and no receiver waiting", c.len(), c.cap())
                };
                format!("blocked on send to {} for {dur}: {why}", self.cname(gr.wait))
            }
            GState::BlockedRecv => {
                let c = &self.go.chans[gr.wait as usize];
                let why = if c.cap() == 0 {
                    "unbuffered channel and no sender waiting".to_string()
                } else {
                    format!("buffer empty (0/{}) and no sender waiting", c.cap())
                };
                format!("blocked on receive from {} for {dur}: {why}", self.cname(gr.wait))
            }
            GState::BlockedSelect => {
                let mut parts = Vec::new();
                if let Op::Select { sel } = gr.prog.ops[gr.pc as usize] {
                    for c in &gr.prog.selects[sel as usize].cases {
                        parts.push(match c.kind {
                            CaseKind::Send(ch) => {
                                let k = &self.go.chans[ch as usize];
                                format!("{} <- ({})", self.cname(ch), if k.cap() == 0 { "no receiver".into() } else { format!("full {}/{}", k.len(), k.cap()) })
                            }
                            CaseKind::Recv(ch) => format!("<-{} (empty)", self.cname(ch)),
                        });
                    }
                }
                let timeout = if gr.timer.is_some() { format!("; times out in {}", gr.until - now) } else { String::new() };
                format!("blocked in select for {dur}: no case can proceed [{}]{timeout}", parts.join(", "))
            }
            GState::BlockedWait => {
                let w = &self.go.wgs[gr.wait as usize];
                format!("blocked in {}.Wait() for {dur}: counter is {}", w.name, w.counter)
            }
            GState::Done => "finished (returned)".to_string(),
            GState::Panicked => match &self.kit.run.panic {
                Some(p) if p.goroutine == g => format!("panicked: {}", p.message),
                _ => "panicked".to_string(),
            },
            GState::Removed => "removed".to_string(),
        };
        if gr.paused {
            text = format!("paused; {text}");
        }
        if gr.stuck {
            if let Some(w) = self.kit.run.deadlock.as_ref().and_then(|d| d.stuck.iter().find(|w| w.goroutine == g)) {
                text.push_str(&format!(" — stuck forever: {}", w.why));
            }
        }
        text
    }

    fn goroutine_view(&self, g: u32) -> GoroutineView {
        let gr = &self.go.gs[g as usize];
        let now = if self.is_running() { self.now() } else { self.kit.run.status_at.max(gr.since) };
        let spent = (now - gr.since).as_micros();
        let mut c = gr.c;
        c.time_in[gr.state as usize] += spent;
        let life = (now - gr.spawned).as_micros();
        let channels = match gr.state {
            GState::BlockedSend | GState::BlockedRecv => vec![gr.wait],
            GState::BlockedSelect => match gr.prog.ops[gr.pc as usize] {
                Op::Select { sel } => gr.prog.selects[sel as usize]
                    .cases
                    .iter()
                    .map(|c| match c.kind {
                        CaseKind::Send(ch) | CaseKind::Recv(ch) => ch,
                    })
                    .collect(),
                _ => vec![],
            },
            _ => vec![],
        };
        GoroutineView {
            id: g,
            name: gr.name.clone(),
            group: self.go.groups[gr.group as usize].spec.name.clone(),
            role: self.go.groups[gr.group as usize].spec.behavior.role(),
            state: gr.state,
            state_text: self.state_text(g),
            state_for_us: spent,
            channels,
            paused: gr.paused,
            stuck: gr.stuck,
            pc: gr.pc,
            line: gr.prog.op_line[gr.pc as usize],
            held: gr.held.map(|m| self.msg_label(m)),
            sent: c.sent,
            received: c.received,
            blocked_send_us: c.time_in(GState::BlockedSend),
            blocked_recv_us: c.time_in(GState::BlockedRecv),
            blocked_other_us: c.blocked_other(),
            working_us: c.time_in(GState::Working),
            sleeping_us: c.time_in(GState::Sleeping),
            utilization: if life == 0 { 0.0 } else { c.time_in(GState::Working) as f64 / life as f64 },
        }
    }

    fn waiter_view(&self, w: &crate::gochan::channel::Waiter) -> WaiterView {
        WaiterView {
            goroutine: w.g,
            name: self.gname(w.g).to_owned(),
            label: w.value.map(|m| self.msg_label(m)),
            select: self.go.gs[w.g as usize].state == GState::BlockedSelect,
        }
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
        let goroutines: Vec<GoroutineView> =
            (0..self.go.gs.len() as u32).filter(|&g| self.go.gs[g as usize].state != GState::Removed).map(|g| self.goroutine_view(g)).collect();
        let channels = self
            .go.chans
            .iter()
            .enumerate()
            .map(|(i, c)| ChannelView {
                id: i as u32,
                name: self.go.chan_names[i].clone(),
                cap: c.cap(),
                len: c.len(),
                closed: c.is_closed(),
                buffer: c
                    .buffer()
                    .take(MAX_LISTED)
                    .map(|m| MessageView { id: self.kit.ledger.msgs.get(m).id, label: self.msg_label(m) })
                    .collect(),
                sendq: c.sendq().take(MAX_LISTED).map(|w| self.waiter_view(w)).collect(),
                recvq: c.recvq().take(MAX_LISTED).map(|w| self.waiter_view(w)).collect(),
                sendq_len: c.sendq().len() as u32,
                recvq_len: c.recvq().len() as u32,
                sent: c.counters.sent,
                received: c.counters.received,
                max_len: c.counters.max_len,
            })
            .collect();
        let blocked = goroutines.iter().filter(|g| g.state.is_blocked()).count() as u32;
        // Every message is, at any moment, exactly one of: processed,
        // dropped, filtered, or live; and a live one is in a buffer, held by
        // a sink that received it, or held by a sender (see `Totals`).
        let buffered: u64 = self.go.chans.iter().map(|c| u64::from(c.len())).sum();
        let processing =
            self.go.gs.iter().filter(|g| g.held.is_some() && g.prog.is_sink && g.c.received > 0 && !g.state.is_over()).count() as u64;
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
                        count: g.members.len() as u32,
                        interval: b.interval_mut().map(|d| d.to_string()),
                        work: b.work_mut().map(|d| d.to_string()),
                        behavior: serde_json::to_value(&g.spec.behavior).unwrap_or_default(),
                    }
                })
                .collect(),
        }
    }

    /// The Go-like listing of goroutine `g` with its current line, or `None`
    /// if there is no such goroutine.
    pub fn listing(&self, g: u32) -> Option<Listing> {
        let gr = self.go.gs.get(g as usize)?;
        Some(Listing {
            goroutine: g,
            name: gr.name.clone(),
            lines: gr.prog.lines.clone(),
            current: gr.prog.op_line[gr.pc as usize],
        })
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
        }
    }

    /// One event in plain words.
    pub fn describe(&self, e: &TraceEvent, label: &str) -> String {
        let g = self.gname(e.g);
        let ch = self.cname(e.ch);
        match e.kind {
            EventKind::Produced => format!("{g} produced {label}"),
            EventKind::Handoff => format!("{g} handed {label} straight to a waiting receiver on {ch}"),
            EventKind::Buffered => format!("{g} sent {label} to {ch} (buffered, {} queued)", e.aux),
            EventKind::Received => format!("{g} received {label} from {ch}"),
            EventKind::RecvClosed => format!("{g} received from {ch}: closed and drained (ok == false)"),
            EventKind::BlockedSend => format!("{g} blocked sending {label} to {ch}"),
            EventKind::BlockedRecv => format!("{g} blocked receiving from {ch}"),
            EventKind::BlockedSelect => format!("{g} blocked in select: no case ready"),
            EventKind::BlockedWait => format!("{g} blocked in wg.Wait()"),
            EventKind::Unblocked if e.ch != NONE => format!("{g} unblocked: its send of {label} to {ch} completed"),
            EventKind::Unblocked => format!("{g} unblocked: WaitGroup counter reached 0"),
            EventKind::SelectChose => match e.aux {
                -1 => format!("{g} select took default"),
                -2 => format!("{g} select timed out (time.After fired)"),
                i => format!("{g} select chose case {i}"),
            },
            EventKind::WorkStart => {
                format!("{g} started work on {label} ({})", SimDuration::from_micros(e.aux as u64))
            }
            EventKind::WorkEnd => format!("{g} finished work on {label}"),
            EventKind::Sleep => format!("{g} sleeps {}", SimDuration::from_micros(e.aux as u64)),
            EventKind::Closed if e.g == NONE => format!("{ch} closed (by you)"),
            EventKind::Closed => format!("{g} closed {ch}"),
            EventKind::Panicked => match &self.kit.run.panic {
                Some(p) => format!("{g} panicked: {}", p.message),
                None => format!("{g} panicked"),
            },
            EventKind::Dropped => format!("{label} dropped: {}", DropCause::from_aux(e.aux).describe()),
            EventKind::Processed => format!("{g} finished {label}"),
            EventKind::Filtered => format!("{g} discarded {label} (multiple of {})", e.aux),
            EventKind::Prime => format!("{g} found prime {}", e.aux),
            EventKind::WgAdd => format!("{g}: wg.Add(1), counter {}", e.aux),
            EventKind::WgDone => format!("{g}: wg.Done(), counter {}", e.aux),
            EventKind::Finished => format!("{g} returned"),
            EventKind::Deadlock => format!("{} goroutine(s) stuck forever", e.aux),
            EventKind::Spawned => format!("{g} started"),
            EventKind::Removed => format!("{g} removed"),
            EventKind::Paused => format!("{g} paused"),
            EventKind::Resumed => format!("{g} resumed"),
            EventKind::Capacity => format!("{ch} capacity set to {}", e.aux),
            EventKind::Yield => {
                format!("{g} looped {} times without waiting (spinning); it yields for {}", super::OP_BUDGET, super::SPIN_YIELD)
            }
        }
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
        let gr = self.go.gs.get(g as usize)?;
        Some(self.go.groups[gr.group as usize].spec.behavior.role())
    }
}
