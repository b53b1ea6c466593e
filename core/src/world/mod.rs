//! A running simulation: built from a [`Scenario`], driven one event at a
//! time, changed by live [`Command`]s.
//!
//! # Running
//! [`World::step`] applies one event (or one due command) and returns
//! whether anything happened; [`World::run_until`] and [`World::run_for`] loop
//! over it. The world owns the clock, the event queue, the RNG and every
//! model; models never schedule themselves.
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
mod exec;
mod history;
mod ledger;
pub mod messages;
mod stuck;
mod summary;
mod view;

use crate::command::{Command, CommandError, TimedCommand};
use crate::gochan::channel::{Channel, GoId, MsgRef};
use crate::gochan::program::{ChanId, Names, Program, WgId, MAX_LOOP_DEPTH};
use crate::kernel::{EventQueue, TimerId};
use crate::observe::snapshot::{DeadlockReport, GState, PanicReport, RunStatus};
use crate::observe::stats::{RateWindow, Series};
use crate::observe::trace::{EventKind, Trace};
use crate::rng::SimRng;
use crate::scenario::{GoroutineSpec, Scenario, ScenarioError};
use crate::time::{SimDuration, SimTime};
use ledger::Ledger;
use std::collections::VecDeque;
use std::rc::Rc;

pub use summary::{ChannelRow, GoroutineRow, Summary};
pub use view::EventView;

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
enum Ev {
    /// Run the goroutine's next operations.
    Run(GoId),
    /// A work/sleep finished.
    Wake(GoId),
    /// A select's `time.After` fired.
    SelectTimeout(GoId),
    Sample,
    Stop,
}

/// Number of [`GState`]s (`Removed` is the last).
const STATES: usize = GState::Removed as usize + 1;

#[derive(Clone, Copy, Debug, Default)]
struct Counters {
    sent: u64,
    received: u64,
    /// µs spent in each state, indexed by `GState as usize`: charging a
    /// state change is one indexed add, not a branch on the old state.
    time_in: [u64; STATES],
}

impl Counters {
    fn time_in(&self, s: GState) -> u64 {
        self.time_in[s as usize]
    }
    fn blocked_other(&self) -> u64 {
        self.time_in(GState::BlockedSelect) + self.time_in(GState::BlockedWait)
    }
}

#[derive(Clone, Debug)]
struct G {
    name: String,
    group: u32,
    prog: Rc<Program>,
    pc: u32,
    state: GState,
    since: SimTime,
    spawned: SimTime,
    /// Channel (blocked send/recv) or WaitGroup (blocked wait).
    wait: u32,
    /// Wake time of work/sleep, or the select timeout.
    until: SimTime,
    timer: Option<TimerId>,
    held: Option<MsgRef>,
    /// Where a select parked on each of its cases (channel, send side,
    /// ticket): withdrawing the others when one completes is O(1) each.
    parked: Vec<(u32, bool, crate::gochan::waitq::Ticket)>,
    divisor: i64,
    next_value: i64,
    loops: [u64; MAX_LOOP_DEPTH],
    paused: bool,
    /// Steps left at the instant `budget_at` (see the progress guarantee).
    budget: u32,
    budget_at: SimTime,
    /// A run arrived while paused: run on resume.
    deferred_run: bool,
    stuck: bool,
    c: Counters,
}

/// Schedules `gr`'s one pending event (a free function over the fields it
/// touches, so the executor can call it while it holds the goroutine).
#[inline(always)]
fn schedule_for(queue: &mut EventQueue<Ev>, g_pending: &mut u32, gr: &mut G, at: SimTime, ev: Ev) {
    debug_assert!(gr.timer.is_none(), "one pending event per goroutine");
    gr.timer = Some(queue.schedule(at, ev));
    *g_pending += 1;
}

impl G {
    /// Changes the state, charging the time spent in the old one.
    #[inline(always)]
    fn enter(&mut self, state: GState, now: SimTime) {
        self.c.time_in[self.state as usize] += (now - self.since).as_micros();
        self.state = state;
        self.since = now;
    }
}

#[derive(Clone, Debug)]
struct Group {
    spec: GoroutineSpec,
    prog: Rc<Program>,
    members: Vec<GoId>,
    next_index: u32,
}

#[derive(Clone, Debug, Default)]
struct Wg {
    name: String,
    counter: i64,
    waiters: Vec<GoId>,
}

#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    produced: u64,
    delivered: u64,
    processed: u64,
    filtered: u64,
    dropped: u64,
}

/// A running Go-channel world. Cloning one gives an independent world in
/// the same state (the timeline keeps clones as checkpoints).
#[derive(Clone, Debug)]
pub struct World {
    scenario: Scenario,
    queue: EventQueue<Ev>,
    rng: SimRng,
    chans: Vec<Channel>,
    chan_names: Vec<String>,
    wgs: Vec<Wg>,
    gs: Vec<G>,
    /// Every goroutine name ever given (names are never reused) and its id:
    /// spawning and commands look names up here, not by scanning `gs`.
    g_names: std::collections::BTreeMap<String, GoId>,
    groups: Vec<Group>,
    /// Messages, trace and statistics.
    ledger: Ledger,
    rate: RateWindow,
    series: Series,
    status: RunStatus,
    status_at: SimTime,
    deadlock: Option<DeadlockReport>,
    panic: Option<PanicReport>,
    /// Commands not yet applied, in order.
    pending: VecDeque<TimedCommand>,
    /// Every command applied so far (scenario's and live), for sharing.
    applied: Vec<TimedCommand>,
    /// Problems with scheduled commands (they are skipped, not fatal).
    notices: Vec<String>,
    /// Events processed (the `step` of live commands).
    steps: u64,
    /// Goroutine events pending (runs, wakes, select timeouts).
    g_pending: u32,
    // Scratch buffers reused by the hot path (no allocation per event).
    scratch_waiters: Vec<crate::gochan::channel::Waiter>,
    scratch_waiters2: Vec<crate::gochan::channel::Waiter>,
    scratch_cases: Vec<u16>,
    scratch_msgs: Vec<MsgRef>,
    scratch_stuck: stuck::StuckScratch,
}

struct WorldNames<'a> {
    chans: &'a [String],
    wgs: &'a [Wg],
}

impl Names for WorldNames<'_> {
    fn channel(&self, name: &str) -> Option<ChanId> {
        self.chans.iter().position(|n| n == name).map(|i| i as ChanId)
    }
    fn waitgroup(&self, name: &str) -> Option<WgId> {
        self.wgs.iter().position(|w| w.name == name).map(|i| i as WgId)
    }
}

impl World {
    /// Builds a world from a scenario (validated again here, so a world can
    /// never be built from a broken scenario).
    pub fn new(scenario: &Scenario) -> Result<World, ScenarioError> {
        scenario.validate()?;
        let mut w = World {
            scenario: scenario.clone(),
            queue: EventQueue::with_capacity(1024),
            rng: SimRng::new(scenario.seed),
            chans: scenario.channels.iter().map(|c| Channel::new(c.capacity)).collect(),
            chan_names: scenario.channels.iter().map(|c| c.name.clone()).collect(),
            wgs: scenario.waitgroups.iter().map(|n| Wg { name: n.clone(), ..Wg::default() }).collect(),
            gs: Vec::new(),
            g_names: std::collections::BTreeMap::new(),
            groups: Vec::new(),
            ledger: Ledger::new(scenario.trace_capacity as usize),
            rate: RateWindow::new(scenario.sample_interval),
            series: Series::with_lens(SERIES_CAPACITY, scenario.channels.len()),
            status: RunStatus::Running,
            status_at: SimTime::ZERO,
            deadlock: None,
            panic: None,
            pending: scenario.commands.iter().cloned().collect(),
            applied: Vec::new(),
            notices: Vec::new(),
            steps: 0,
            g_pending: 0,
            scratch_waiters: Vec::new(),
            scratch_waiters2: Vec::new(),
            scratch_cases: Vec::new(),
            scratch_msgs: Vec::new(),
            scratch_stuck: stuck::StuckScratch::default(),
        };
        for spec in &scenario.goroutines {
            w.add_group(spec.clone()).map_err(|e| ScenarioError {
                problems: vec![crate::scenario::Problem { path: "goroutines".into(), message: e.to_string() }],
            })?;
        }
        // The stuck analysis at samples reuses these buffers (no allocation).
        w.reserve_stuck_scratch();
        w.queue.schedule(SimTime::ZERO + scenario.sample_interval, Ev::Sample);
        // Every run stops at the horizon at the latest (durations from input
        // never exceed it, so `stop_at` is within it).
        let stop = scenario.stop_at.map_or(SimDuration::HORIZON, |s| s.min(SimDuration::HORIZON));
        w.queue.schedule(SimTime::ZERO + stop, Ev::Stop);
        if w.g_pending == 0 && w.pending.is_empty() {
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
        self.queue.now()
    }
    pub fn status(&self) -> RunStatus {
        self.status
    }
    pub fn is_running(&self) -> bool {
        self.status == RunStatus::Running
    }
    /// Hash of the whole trace so far (equal runs, equal hashes).
    pub fn trace_hash(&self) -> u64 {
        self.ledger.trace.hash()
    }
    pub fn trace(&self) -> &Trace {
        &self.ledger.trace
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
        self.deadlock.as_ref()
    }
    pub fn panic_report(&self) -> Option<&PanicReport> {
        self.panic.as_ref()
    }
    /// Messages that exist now (buffered, held, offered by parked senders).
    pub fn live_messages(&self) -> u64 {
        self.ledger.msgs.live()
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
                let Some((now, ev)) = self.queue.pop_until(t) else { break };
                self.dispatch(now, ev);
            }
        }
        if self.is_running() {
            self.queue.advance_to(t);
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
                    self.queue.advance_to(t);
                }
                return true;
            }
        }
        if self.queue.peek_time().is_some_and(|next| next > t) && self.pending.is_empty() {
            if self.is_running() {
                self.queue.advance_to(t);
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
        let first = self.ledger.trace.total();
        let mut events = 0;
        while events < max_events {
            if self.run_until_bounded(t, BATCH.min(max_events - events)) {
                return true;
            }
            events += BATCH;
            if self.ledger.trace.total() - first >= max_records {
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
        self.status
    }

    /// One step, only if it happens at or before `limit`.
    fn step_until(&mut self, limit: SimTime) -> bool {
        if !self.is_running() {
            return false;
        }
        let next_event = self.queue.peek_time();
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
                self.queue.advance_to(at);
                let at = at.max(self.queue.now());
                let recorded =
                    TimedCommand { at: at - SimTime::ZERO, step: Some(self.steps), command: cmd.command.clone() };
                match self.apply_inner(&cmd.command) {
                    Ok(()) => {
                        self.pending_after(&recorded);
                        self.applied.push(recorded);
                    }
                    Err(e) => self.notices.push(format!("command at {}: {e}", cmd.at)),
                }
                if self.g_pending == 0 && self.is_running() {
                    self.check_quiescent(at);
                }
                return true;
            }
        }
        if next_event.is_none_or(|t| t > limit) {
            return false;
        }
        let Some((now, ev)) = self.queue.pop_until(limit) else { return false };
        self.dispatch(now, ev);
        true
    }

    /// Applies one popped event.
    #[inline(always)]
    fn dispatch(&mut self, now: SimTime, ev: Ev) {
        self.steps += 1;
        match ev {
            Ev::Run(g) => {
                self.gs[g as usize].timer = None;
                self.g_pending -= 1;
                self.run_goroutine(g, now);
            }
            Ev::Wake(g) => {
                self.gs[g as usize].timer = None;
                self.g_pending -= 1;
                self.wake(g, now);
            }
            Ev::SelectTimeout(g) => {
                self.gs[g as usize].timer = None;
                self.g_pending -= 1;
                self.select_timeout(g, now);
            }
            Ev::Sample => {
                self.sample(now);
                self.queue.schedule(now + self.scenario.sample_interval, Ev::Sample);
            }
            Ev::Stop => self.end(RunStatus::Stopped, now),
        }
        if self.g_pending == 0 && self.is_running() {
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
        if self.g_pending == 0 && self.is_running() {
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

    /// Records one trace event now (see [`Ledger::record`]).
    #[inline(always)]
    fn record(&mut self, kind: EventKind, g: u32, ch: u32, msg: Option<MsgRef>, aux: i64) {
        self.ledger.record(self.queue.now(), kind, g, ch, msg, aux);
    }

    fn names(&self) -> WorldNames<'_> {
        WorldNames { chans: &self.chan_names, wgs: &self.wgs }
    }

    pub(crate) fn chan_id(&self, name: &str) -> Result<ChanId, CommandError> {
        self.names().channel(name).ok_or_else(|| CommandError::NoSuchChannel(name.to_owned()))
    }

    pub(crate) fn goroutine_id(&self, name: &str) -> Result<GoId, CommandError> {
        self.g_names
            .get(name)
            .copied()
            .filter(|&g| self.gs[g as usize].state != GState::Removed)
            .ok_or_else(|| CommandError::NoSuchGoroutine(name.to_owned()))
    }

    fn schedule_g(&mut self, g: GoId, at: SimTime, ev: Ev) {
        schedule_for(&mut self.queue, &mut self.g_pending, &mut self.gs[g as usize], at, ev);
    }

    fn cancel_g(&mut self, g: GoId) {
        if let Some(id) = self.gs[g as usize].timer.take() {
            if self.queue.cancel(id) {
                self.g_pending -= 1;
            }
        }
    }

    /// Changes a goroutine's state, charging the time spent in the old one.
    fn set_state(&mut self, g: GoId, state: GState, now: SimTime) {
        self.gs[g as usize].enter(state, now);
    }

    /// Ends the program (panic, deadlock, main returned, finished, stopped).
    fn end(&mut self, status: RunStatus, now: SimTime) {
        self.status = status;
        self.status_at = now;
        for g in 0..self.gs.len() as GoId {
            let s = self.gs[g as usize].state;
            if !s.is_over() {
                self.set_state(g, s, now);
            }
        }
    }
}

#[cfg(test)]
mod tests;
