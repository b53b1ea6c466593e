//! A running simulation: built from a [`Scenario`], driven one event at a
//! time, changed by live [`Command`]s.
//!
//! # Running
//! [`World::step`] applies one event (or one due command) and returns
//! whether anything happened; [`World::run_until`] and [`World::run_for`] loop
//! over it. The world owns the clock, the event queue, the RNG and the
//! ledger (together its `Kit`) and every system (today the Go runtime,
//! `gochan::runtime::GoRuntime`); it routes each event to its system and
//! lends that system the kit for the call. Systems never hold the queue.
//!
//! # Ending
//! A Go program ends when `main` returns, when a goroutine panics (an
//! unrecovered panic crashes the program), or with Go's deadlock verdict
//! (every goroutine asleep and no timer pending). The world ends the same
//! way ([`RunStatus`]) and its clock stops there. Partial deadlocks, which Go
//! never reports, are detected at every sample and flagged on the stuck
//! goroutines without ending the run.
//!
//! # Progress: virtual time always moves on
//! A goroutine takes at most [`OP_BUDGET`] (10,000) *steps* at one instant
//! of virtual time, where a step is starting to run (an event) or going
//! round a loop (a jump back). One that has used them yields and runs again
//! [`SPIN_YIELD`] (1 ms) later. The budget belongs to the goroutine and the
//! instant, so goroutines that wake each other at one instant (a zero-time
//! ping-pong) spend it as surely as one goroutine looping alone.
//!
//! Guarantee: **at one instant at most `G × (OP_BUDGET + 1) + 2` events
//! happen, plus the commands due there** (`G`: the goroutines that exist at
//! that instant; the `+ 1` is the event at which a goroutine finds its
//! budget spent and yields; the `+ 2` are the sample and stop events).
//! Then the clock advances to the next pending event, which is later. A
//! goroutine runs at most [`MAX_OPS`](crate::gochan::program::MAX_OPS)
//! operations between two steps, so the work at one instant is bounded
//! too. `core/tests/progress.rs` checks the bound over random programs.
//!
//! # The end of time
//! A world stops itself at [`SimDuration::HORIZON`] (100 years): no run is
//! longer, and no input can ask for a longer duration (see [`crate::time`]).
//!
//! # Determinism
//! Same scenario (including its command log) and seed give a byte-identical
//! trace ([`World::trace_hash`]), natively and in wasm.

mod commands;
mod history;
pub(crate) mod kafka;
pub(crate) mod ledger;
pub mod messages;
mod nsq;
mod summary;
mod view;

use crate::command::{Command, CommandError, TimedCommand};
use crate::gochan::channel::{GoId, MsgRef};
use crate::gochan::runtime::GoRuntime;
pub(crate) use crate::gochan::runtime::G;
use crate::kernel::EventQueue;
use crate::observe::snapshot::{DeadlockReport, PanicReport, RunStatus};
use crate::observe::stats::{RateWindow, Series};
use crate::observe::trace::{EventKind, Trace};
use crate::rng::SimRng;
use crate::scenario::{Scenario, ScenarioError};
use crate::time::{SimDuration, SimTime};
use ledger::Ledger;
use std::collections::VecDeque;

pub use summary::{ChannelRow, GoroutineRow, Summary};
pub use view::EventView;
pub use kafka::view::{KafkaAckWait, KafkaBrokerView, KafkaTopicView, KafkaConsumerView, KafkaGroupRow, KafkaGroupView, KafkaMemberView, KafkaPartitionView, KafkaProducerView, KafkaView};
pub use kafka::book::KafkaCounts;
pub use kafka::records::{KafkaRecordFigure, KafkaRecordList, KafkaRecordRef};

/// Steps (starting to run, or a loop turn) one goroutine may take at one
/// instant before it is forced to yield (guards against programs that spin
/// without waiting, alone or with others: see the progress guarantee).
pub const OP_BUDGET: u32 = 10_000;
/// How long a goroutine that used up [`OP_BUDGET`] yields: about the time
/// that many turns would take at ~100 ns each, the cost of a real Go
/// channel operation. Without it a zero-time cycle would freeze virtual
/// time.
pub const SPIN_YIELD: SimDuration = SimDuration::from_millis(1);
/// Samples kept in the time series.
const SERIES_CAPACITY: usize = 3_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ev {
    /// Run the goroutine's next operations.
    Run(GoId),
    /// A work/sleep finished.
    Wake(GoId),
    /// A select's `time.After` fired.
    SelectTimeout(GoId),
    Sample,
    Stop,
    /// A frame may have arrived on NSQ link `n`.
    Net(u32),
    /// nsqd node `n`'s expiry scan (in-flight deadlines, deferred messages).
    NsqNode(u32),
    /// A go-nsq library timer (index into the NSQ world's timer table).
    NsqClient(u32),
    /// nsqd node `n`'s disk-sync tick.
    NsqSync(u32),
    /// A handler's next `Touch()` (index into the NSQ world's touch table).
    NsqTouch(u32),
    /// nsqd node `n` PINGs its nsqlookupds (every 15 s).
    NsqLookupdPing(u32),
    /// A cut NSQ connection's read deadlines (link pair `n`).
    NsqBeat(u32),
    /// A frame may have arrived on Kafka link `n`.
    KafkaNet(u32),
    /// A Kafka timer (`world::kafka::KTimer`, encoded).
    Kafka(u32),
}

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Tally {
    pub(crate) produced: u64,
    pub(crate) delivered: u64,
    pub(crate) processed: u64,
    pub(crate) filtered: u64,
    pub(crate) dropped: u64,
    /// Handed to NSQ by a `Publish` that returned OK.
    pub(crate) published: u64,
}

/// How a run stands: running, or ended with a status at a time, and the
/// reports a Go program leaves (deadlock, panic).
#[derive(Clone, Debug)]
pub(crate) struct RunState {
    pub(crate) status: RunStatus,
    pub(crate) status_at: SimTime,
    pub(crate) deadlock: Option<DeadlockReport>,
    pub(crate) panic: Option<PanicReport>,
}

impl Default for RunState {
    fn default() -> Self {
        RunState { status: RunStatus::Running, status_at: SimTime::ZERO, deadlock: None, panic: None }
    }
}

impl RunState {
    #[inline(always)]
    pub(crate) fn is_running(&self) -> bool {
        self.status == RunStatus::Running
    }
}

/// The world's shared machinery, which every system uses while it handles
/// an event or a command: the event queue (and with it the clock), the
/// RNG, the ledger and the run's state. The world owns it and lends it
/// (`&mut Kit`) beside the system's own state; systems schedule and record
/// through it, and nothing else holds the queue.
#[derive(Clone, Debug)]
pub(crate) struct Kit {
    pub(crate) queue: EventQueue<Ev>,
    pub(crate) rng: SimRng,
    /// Messages, trace and statistics.
    pub(crate) ledger: Ledger,
    pub(crate) run: RunState,
    /// Requests a system made of another during this event (a goroutine's
    /// `Publish` for NSQ): the world carries them out after the event.
    pub(crate) syscalls: Vec<Syscall>,
    /// The other buffer of `syscalls` (see `run_syscalls`).
    pub(crate) syscall_spare: Vec<Syscall>,
    /// Go values of NSQ messages delivered more than their consumer's
    /// `MaxAttempts`: the handler loop FINs them without handling.
    pub(crate) doomed: Vec<MsgRef>,
    /// Go values of Kafka produce responses that are errors (an async
    /// producer's stage sends them to `Errors()`).
    pub(crate) failed_produce: Vec<MsgRef>,
}

/// A request from the Go runtime to another system, carried out by the
/// world once the Go event is over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Syscall {
    /// Goroutine `g` publishes its held value to nsqd `node`, topic
    /// `topics[topic]` of its program, and waits for the response.
    Publish { g: GoId, node: u16, topic: u16, fresh: bool, settle: bool, batch: u16, extra_from: i64 },
    /// Goroutine `g` (a consumer's connection reader) waits for the next
    /// message on NSQ connection `conn`.
    NsqRead { g: GoId, conn: u16 },
    /// Handler `g` starts on message `msg` (it passed the MaxAttempts
    /// check).
    NsqTake { g: GoId, msg: crate::gochan::channel::MsgRef },
    /// Goroutine `g` (a handler) is done with message `msg`: the handler
    /// returned (`handled`; the world draws its result and answers FIN or
    /// REQ) or it was FINed unhandled after too many attempts.
    NsqAnswer { g: GoId, msg: crate::gochan::channel::MsgRef, handled: bool },
    /// Goroutine `g` produces its held value with Kafka producer
    /// `producer` to topic `topic` and waits for the response.
    KafkaProduce { g: GoId, producer: u16, topic: u16 },
    /// Goroutine `g` (a partition consumer's fetcher) waits for its next
    /// record.
    KafkaFetch { g: GoId, fetcher: u16 },
    /// Goroutine `g` (a group member's claim) marked the record it holds.
    KafkaMark { g: GoId, fetcher: u16 },
    /// Goroutine `g` (an async producer's broker producer for `broker`)
    /// adds its held message, of `topic`, to its batch.
    KafkaBatchAdd { g: GoId, producer: u16, topic: u16, broker: u16 },
    /// Goroutine `g` (an async producer's bridge for `broker`) waits for
    /// the next response (handed over whole).
    KafkaResult { g: GoId, producer: u16, broker: u16 },
    /// Goroutine `g` (an async producer's topic producer) has the
    /// partitioner pick its held message's partition on `topic`.
    KafkaRoute { g: GoId, producer: u16, topic: u16 },
    /// Goroutine `g` (an async producer's partition producer for partition
    /// `index` of `topic`) picks the broker producer it sends to.
    KafkaLead { g: GoId, producer: u16, topic: u16, index: u16 },
    /// Goroutine `g` (an async producer's broker producer for `broker`)
    /// asks for the next message of the response it returns.
    KafkaNext { g: GoId, producer: u16, broker: u16 },
}

impl Kit {
    /// Records one trace event now (see [`Ledger::record`]).
    #[inline(always)]
    pub(crate) fn record(&mut self, kind: EventKind, g: u32, ch: u32, msg: Option<MsgRef>, aux: i64) {
        self.ledger.record(self.queue.now(), kind, g, ch, msg, aux);
    }
}

/// A running Go-channel world. Cloning one gives an independent world in
/// the same state (the timeline keeps clones as checkpoints).
#[derive(Clone, Debug)]
pub struct World {
    scenario: Scenario,
    /// Queue, RNG, ledger and run state, lent to the systems.
    kit: Kit,
    /// The Go runtime: goroutines, channels, WaitGroups.
    go: GoRuntime,
    /// The NSQ system, if the scenario has an `nsq` section.
    nsq: Option<crate::gate::Gated<nsq::NsqWorld, crate::gate::Nsq>>,
    /// The Kafka system, if the scenario has a `kafka` section.
    kafka: Option<crate::gate::Gated<kafka::KafkaWorld, crate::gate::Kafka>>,
    rate: RateWindow,
    series: Series,
    /// Commands not yet applied, in order.
    pending: VecDeque<TimedCommand>,
    /// Every command applied so far (scenario's and live), for sharing.
    applied: Vec<TimedCommand>,
    /// Problems with scheduled commands (they are skipped, not fatal).
    notices: Vec<String>,
    /// Events processed (the `step` of live commands).
    steps: u64,
}

impl World {
    /// Builds a world from a scenario (validated again here, so a world can
    /// never be built from a broken scenario).
    pub fn new(scenario: &Scenario) -> Result<World, ScenarioError> {
        scenario.validate()?;
        let mut w = World {
            scenario: scenario.clone(),
            kit: Kit {
                queue: EventQueue::with_capacity(1024),
                rng: SimRng::new(scenario.seed),
                ledger: Ledger::new(scenario.trace_capacity as usize),
                run: RunState::default(),
                syscalls: Vec::new(),
                syscall_spare: Vec::new(),
                doomed: Vec::new(),
                failed_produce: Vec::new(),
            },
            go: GoRuntime::new(scenario),
            nsq: None,
            kafka: None,
            rate: RateWindow::new(scenario.sample_interval),
            series: Series::with_lens(SERIES_CAPACITY, scenario.channels.len()),
            pending: scenario.commands.iter().cloned().collect(),
            applied: Vec::new(),
            notices: Vec::new(),
            steps: 0,
        };
        // NSQ consumers' channels (go-nsq's incomingMessages) come right
        // after the scenario's own, before any program is compiled.
        for c in scenario.nsq.iter().flat_map(|n| n.consumers.iter()) {
            w.go.add_library_chan(c.incoming(), 0);
        }
        // sarama's channels (an async producer's, a partition consumer's
        // `Messages()`) come next: programs may name them.
        if let Some(kspec) = &scenario.kafka {
            for (name, cap) in kspec.go_channels() {
                w.go.add_library_chan(name, cap);
            }
            let names = &w.go.chan_names;
            w.go.kafka_names = Some(std::rc::Rc::new(crate::kafka::spec::KafkaNames::new(kspec, &|n| names.iter().position(|c| c == n).map(|i| i as u32))));
        }
        for spec in &scenario.goroutines {
            let (go, k) = w.go_kit();
            go.add_group(k, spec.clone()).map_err(|e| ScenarioError {
                problems: vec![crate::scenario::Problem { path: "goroutines".into(), message: e.to_string() }],
            })?;
        }
        if let Some(n) = &scenario.nsq {
            // Each consumer is Go, as go-nsq is: its `incoming` channel,
            // one reader goroutine per connection, its handler goroutines.
            let problem = |e: CommandError| ScenarioError {
                problems: vec![crate::scenario::Problem { path: "nsq.consumers".into(), message: e.to_string() }],
            };
            for c in &n.consumers {
                // One reader per connection slot (a lookupd consumer has
                // one for every node).
                for (i, node) in n.consumer_nodes(c).into_iter().enumerate() {
                    let spec = crate::scenario::GoroutineSpec {
                        name: c.reader(i + 1),
                        count: 1,
                        behavior: crate::gochan::behavior::Behavior::NsqReader(crate::gochan::behavior::NsqReader {
                            consumer: c.name.clone(),
                            nsqd: n.nsqd[node as usize].name.clone(),
                            to: c.incoming(),
                        }),
                    };
                    let (go, k) = w.go_kit();
                    go.add_library_group(k, spec, "go-nsq (the connection's read loop)").map_err(problem)?;
                }
                let spec = crate::scenario::GoroutineSpec {
                    name: c.handler_group(),
                    count: c.handlers,
                    behavior: crate::gochan::behavior::Behavior::NsqHandler(crate::gochan::behavior::NsqHandler {
                        consumer: c.name.clone(),
                        from: c.incoming(),
                        work: c.work.clone(),
                    }),
                };
                let (go, k) = w.go_kit();
                go.add_group(k, spec).map_err(problem)?;
            }
            let incoming: Vec<u32> = w.go.library_chans.clone();
            let mut nsq = nsq::NsqWorld::new(n, &incoming, &mut w.kit.rng).map_err(|e| ScenarioError {
                problems: vec![crate::scenario::Problem { path: "nsq.consumers".into(), message: e.to_string() }],
            })?;
            nsq.open(&mut w.kit);
            w.nsq = Some(crate::gate::Gated::new(nsq).map_err(|e| ScenarioError {
                problems: vec![crate::scenario::Problem { path: "nsq".into(), message: e.to_string() }],
            })?);
        }
        if let Some(kspec) = &scenario.kafka {
            let problem = |e: CommandError| ScenarioError {
                problems: vec![crate::scenario::Problem { path: "kafka".into(), message: e.to_string() }],
            };
            for (spec, library) in kspec.go_groups() {
                let (go, k) = w.go_kit();
                match library {
                    Some(lib) => go.add_library_group(k, spec, lib),
                    None => go.add_group(k, spec),
                }
                .map_err(problem)?;
            }
            let mut kw = kafka::KafkaWorld::new(kspec, SimTime::ZERO);
            kw.bind_broker_producers(&w.go.g_names);
            kw.open(&mut w.kit);
            w.kafka = Some(crate::gate::Gated::new(kw).map_err(|e| ScenarioError {
                problems: vec![crate::scenario::Problem { path: "kafka".into(), message: e.to_string() }],
            })?);
        }
        // The stuck analysis at samples reuses these buffers (no allocation).
        w.go.reserve_stuck_scratch();
        w.kit.queue.schedule(SimTime::ZERO + scenario.sample_interval, Ev::Sample);
        // Every run stops at the horizon at the latest (durations from input
        // never exceed it, so `stop_at` is within it).
        let stop = scenario.stop_at.map_or(SimDuration::HORIZON, |s| s.min(SimDuration::HORIZON));
        w.kit.queue.schedule(SimTime::ZERO + stop, Ev::Stop);
        if w.go.g_pending == 0 && w.pending.is_empty() {
            // No goroutine at all: the program is over before it starts.
            w.check_quiescent(SimTime::ZERO);
        }
        Ok(w)
    }

    /// Builds a world from scenario JSON.
    pub fn from_json(json: &str) -> Result<World, ScenarioError> {
        World::new(&Scenario::from_json(json)?)
    }

    pub fn now(&self) -> SimTime {
        self.kit.queue.now()
    }
    pub fn status(&self) -> RunStatus {
        self.kit.run.status
    }
    pub fn is_running(&self) -> bool {
        self.kit.run.status == RunStatus::Running
    }
    /// Hash of the whole trace so far (equal runs, equal hashes).
    pub fn trace_hash(&self) -> u64 {
        self.kit.ledger.trace.hash()
    }
    pub fn trace(&self) -> &Trace {
        &self.kit.ledger.trace
    }
    pub fn series(&self) -> &Series {
        &self.series
    }
    pub fn steps(&self) -> u64 {
        self.steps
    }
    pub fn notices(&self) -> &[String] {
        &self.notices
    }
    pub fn deadlock(&self) -> Option<&DeadlockReport> {
        self.kit.run.deadlock.as_ref()
    }
    pub fn panic_report(&self) -> Option<&PanicReport> {
        self.kit.run.panic.as_ref()
    }
    /// Messages that exist now (buffered, held, offered by parked senders).
    pub fn live_messages(&self) -> u64 {
        self.kit.ledger.msgs.live()
    }

    /// The scenario this world was built from, with every applied command
    /// (scheduled and live) as its command log and the same seed: loading it
    /// replays this exact run.
    pub fn scenario_with_log(&self) -> Scenario {
        let mut s = self.scenario.clone();
        s.commands = self.applied.iter().cloned().chain(self.pending.iter().cloned()).collect();
        s
    }

    /// The scenario as originally loaded (no live edits).
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Applies the next due command or event, if any. Returns `false` when
    /// nothing is left to do (the program ended, or nothing is scheduled).
    pub fn step(&mut self) -> bool {
        self.step_until(SimTime::MAX)
    }

    /// Runs every event at or before `t`, then moves the clock to `t` (the
    /// clock stops where the program ended).
    pub fn run_until(&mut self, t: SimTime) {
        while !self.pending.is_empty() {
            if !self.step_until(t) {
                break;
            }
        }
        if self.pending.is_empty() {
            // No command left (none is added while running): events only,
            // without `step_until`'s command checks.
            while self.is_running() {
                let Some((now, ev)) = self.kit.queue.pop_until(t) else { break };
                self.dispatch(now, ev);
            }
        }
        if self.is_running() {
            self.kit.queue.advance_to(t);
        }
    }

    /// Like [`World::run_until`], but applies at most `max_steps` events.
    /// Returns `true` if it reached `t` (then the clock is at `t`); `false`
    /// if it stopped early (the clock stays at the last event). A page uses
    /// this to stay responsive on a world too busy for the chosen speed;
    /// splitting a run this way never changes its outcome.
    pub fn run_until_bounded(&mut self, t: SimTime, max_steps: u64) -> bool {
        for _ in 0..max_steps {
            if !self.step_until(t) {
                if self.is_running() {
                    self.kit.queue.advance_to(t);
                }
                return true;
            }
        }
        if self.kit.queue.peek_time().is_some_and(|next| next > t) && self.pending.is_empty() {
            if self.is_running() {
                self.kit.queue.advance_to(t);
            }
            return true;
        }
        !self.is_running()
    }

    /// Like [`World::run_until_bounded`] with a bound on work as well as on
    /// events: stops once `max_events` kernel events ran or about
    /// `max_records` trace events were recorded, whichever comes first
    /// (checked every 16 kernel events). One kernel event can be a whole
    /// step budget of work (a goroutine going round its loop up to
    /// [`OP_BUDGET`] times at one instant), and every loop turn records
    /// what it does, so this bounds a page frame's work whatever the world.
    /// Returns `true` if it reached `t`; splitting a run this way never
    /// changes its outcome.
    pub fn run_until_limited(&mut self, t: SimTime, max_events: u64, max_records: u64) -> bool {
        const BATCH: u64 = 16;
        let first = self.kit.ledger.trace.total();
        let mut events = 0;
        while events < max_events {
            if self.run_until_bounded(t, BATCH.min(max_events - events)) {
                return true;
            }
            events += BATCH;
            if self.kit.ledger.trace.total() - first >= max_records {
                break;
            }
        }
        false
    }

    pub fn run_for(&mut self, d: SimDuration) {
        self.run_until(self.now() + d);
    }

    /// Runs until the program ends or `limit` is reached; returns the status.
    pub fn run_to_end(&mut self, limit: SimTime) -> RunStatus {
        self.run_until(limit);
        self.kit.run.status
    }

    /// One step, only if it happens at or before `limit`.
    fn step_until(&mut self, limit: SimTime) -> bool {
        if !self.is_running() {
            return false;
        }
        let next_event = self.kit.queue.peek_time();
        if let Some(cmd) = self.pending.front() {
            let mut at = SimTime::ZERO + cmd.at;
            let due = match cmd.step {
                Some(s) => s <= self.steps,
                None => next_event.is_none_or(|t| t > at),
            };
            if let (Some(_), Some(t)) = (cmd.step, next_event) {
                // A command keyed by step never takes the clock past a
                // pending event (time would then run backwards when that
                // event pops). A log the world recorded always has
                // `at <= t`; only a hand-edited one can ask for more.
                at = at.min(t);
            }
            if due {
                if at > limit {
                    // Due, but later than this run may go: nothing else
                    // may happen before it.
                    return false;
                }
                let cmd = self.pending.pop_front().expect("front exists");
                self.kit.queue.advance_to(at);
                let at = at.max(self.kit.queue.now());
                let recorded =
                    TimedCommand { at: at - SimTime::ZERO, step: Some(self.steps), command: cmd.command.clone() };
                match self.apply_inner(&cmd.command) {
                    Ok(()) => {
                        self.pending_after(&recorded);
                        self.applied.push(recorded);
                    }
                    Err(e) => self.notices.push(format!("command at {}: {e}", cmd.at)),
                }
                if self.go.g_pending == 0 && self.is_running() {
                    self.check_quiescent(at);
                }
                return true;
            }
        }
        if next_event.is_none_or(|t| t > limit) {
            return false;
        }
        let Some((now, ev)) = self.kit.queue.pop_until(limit) else { return false };
        self.dispatch(now, ev);
        true
    }

    /// Applies one popped event.
    #[inline(always)]
    fn dispatch(&mut self, now: SimTime, ev: Ev) {
        self.steps += 1;
        match ev {
            Ev::Run(g) => {
                let (go, k) = self.go_kit();
                go.event_fired(g);
                go.run_goroutine(k, g, now);
            }
            Ev::Wake(g) => {
                let (go, k) = self.go_kit();
                go.event_fired(g);
                go.wake(k, g, now);
            }
            Ev::SelectTimeout(g) => {
                let (go, k) = self.go_kit();
                go.event_fired(g);
                go.select_timeout(k, g, now);
            }
            Ev::Sample => {
                self.sample(now);
                self.kit.queue.schedule(now + self.scenario.sample_interval, Ev::Sample);
            }
            Ev::Stop => self.end(RunStatus::Stopped, now),
            Ev::Net(link) => self.net_arrival(link, now),
            Ev::NsqNode(node) => self.nsq_timer(node, now),
            Ev::NsqClient(t) => {
                if let Some(nsq) = self.nsq.as_deref_mut() {
                    nsq.on_timer(t, &mut self.kit);
                }
            }
            Ev::NsqTouch(t) => {
                if let Some(nsq) = self.nsq.as_deref_mut() {
                    nsq.on_touch(t, &mut self.kit);
                }
            }
            Ev::NsqSync(n) => {
                if let Some(nsq) = self.nsq.as_deref_mut() {
                    nsq.sync_tick(n, &mut self.kit);
                }
            }
            Ev::NsqLookupdPing(n) => {
                if let Some(nsq) = self.nsq.as_deref_mut() {
                    nsq.lookupd_ping(n, &mut self.kit);
                }
            }
            Ev::NsqBeat(p) => self.nsq_beat(p, now),
            Ev::KafkaNet(l) => self.kafka_arrival(l, now),
            Ev::Kafka(t) => self.kafka_timer(t, now),
        }
        if !self.kit.syscalls.is_empty() {
            self.run_syscalls(now);
        }
        if self.nsq.as_ref().is_some_and(|n| n.has_pending()) {
            self.settle_nsq();
        }
        if self.go.g_pending == 0 && self.is_running() {
            self.check_quiescent(now);
        }
    }

    /// Applies a live command now. Invalid commands change nothing.
    pub fn apply(&mut self, cmd: &Command) -> Result<(), CommandError> {
        if !self.is_running() {
            return Err(CommandError::Ended(self.status_text()));
        }
        let recorded = TimedCommand { at: self.now() - SimTime::ZERO, step: Some(self.steps), command: cmd.clone() };
        self.apply_inner(cmd)?;
        self.pending_after(&recorded);
        self.applied.push(recorded);
        if self.go.g_pending == 0 && self.is_running() {
            let now = self.now();
            self.check_quiescent(now);
        }
        Ok(())
    }

    /// Commands still pending come after the command just applied (`last`,
    /// recorded with the time and step it took effect): the command log
    /// (`applied` then `pending`) must stay in order to load. A pending
    /// command's time can lie before `last`'s when `last` was keyed by a
    /// step reached later than its time said, or was applied live.
    ///
    /// Such a command is due as soon as it reaches the front of the queue
    /// (time-keyed: every event before its time is done; step-keyed: its
    /// step has passed), so it is rewritten to say exactly that: the time
    /// of `last` and a step no earlier than `last`'s. Steps of later
    /// step-keyed commands are raised to a running maximum, which changes
    /// nothing either: a command reaches the front only once the ones
    /// before it were applied, at or past their steps. This world and a
    /// replay of its log both run the rewritten values.
    fn pending_after(&mut self, last: &TimedCommand) {
        let (at, mut step) = (last.at, last.step.unwrap_or(0));
        for c in self.pending.iter_mut() {
            if c.at < at {
                c.at = at;
                c.step = Some(c.step.unwrap_or(0));
            }
            if let Some(k) = &mut c.step {
                *k = (*k).max(step);
                step = *k;
            }
        }
    }

    /// The Go runtime and the kit it runs with (disjoint borrows of the world).
    #[inline(always)]
    pub(crate) fn go_kit(&mut self) -> (&mut GoRuntime, &mut Kit) {
        (&mut self.go, &mut self.kit)
    }

    /// Called when no goroutine event is pending: the program may be over
    /// (see [`GoRuntime::check_quiescent`]).
    fn check_quiescent(&mut self, now: SimTime) {
        let (go, k) = self.go_kit();
        go.check_quiescent(k, now);
    }

    /// Takes a time-series sample and refreshes the stuck analysis.
    fn sample(&mut self, now: SimTime) {
        let blocked = self.go.gs.iter().filter(|g| g.state.is_blocked()).count() as u32;
        if blocked > 0 || self.kit.run.deadlock.is_some() {
            let (go, k) = self.go_kit();
            go.update_stuck(k, now);
        }
        let throughput = self.rate.push(self.kit.ledger.tally.delivered);
        let (p50_us, p99_us) = self.kit.ledger.window.p50_p99();
        self.kit.ledger.window.reset();
        let stats = crate::observe::stats::SampleStats {
            t_us: now.as_micros(),
            throughput,
            p50_us,
            p99_us,
            blocked,
        };
        // No allocation: the series keeps the lens in a preallocated ring
        // (and an NSQ world's channel rows in another).
        let lens = self.go.chans.iter().map(|c| c.len());
        // The rows' closures are made only where the system is there, so a
        // build without it has no code for them (see `Series::push_with`).
        use crate::observe::stats::{KafkaRows, NsqRows};
        let (mut nsq_rows, mut kafka_rows);
        let nsq: Option<&mut dyn FnMut(&mut NsqRows<'_>)> = match self.nsq.as_deref() {
            Some(nsq) => {
                nsq_rows = move |rows: &mut NsqRows<'_>| nsq.sample_rows(rows, now);
                Some(&mut nsq_rows)
            }
            None => None,
        };
        let kafka: Option<&mut dyn FnMut(&mut KafkaRows<'_>)> = match self.kafka.as_deref_mut() {
            Some(kw) => {
                kafka_rows = move |rows: &mut KafkaRows<'_>| kw.sample_rows(rows);
                Some(&mut kafka_rows)
            }
            None => None,
        };
        self.series.push_with(stats, lens, nsq, kafka);
    }

    /// Ends the program (panic, deadlock, main returned, finished, stopped).
    fn end(&mut self, status: RunStatus, now: SimTime) {
        let (go, k) = self.go_kit();
        go.end(k, status, now);
    }
}

#[cfg(test)]
mod tests;
