//! Going back in time: a world with its history, checkpoints, seek, step
//! back and fork.
//!
//! # Semantics
//! A world is a deterministic function of its scenario, seed and command
//! log. So the state at any earlier moment is what a fresh world built from
//! the scenario and the log reaches by running there: **seeking to `t`
//! gives exactly the snapshot and trace hash of running straight to `t`**
//! (`tests/timeline.rs` checks this for every preset).
//!
//! - The *present* is the world the page shows; the *frontier* is the
//!   furthest point reached so far (its time, its command log, the facts the
//!   marks show). Playing from a present behind the frontier replays the
//!   same future, the user's later commands included, until it passes the
//!   frontier and explores new time.
//! - **Seek** (`seek(t)`, `t` between 0 and the frontier): restore the latest
//!   checkpoint at or before `t`, give it the rest of the command log, run
//!   to `t`. **Step back** goes to just before the latest event that
//!   recorded something (a visible change); `step_visible` goes forward to
//!   just after the next one.
//! - **Fork** drops the future: commands the user applied after the present
//!   are discarded (commands that came with the scenario stay: they are part
//!   of its design), as are later checkpoints and marks; the present becomes
//!   the frontier. Applying a command while behind the frontier forks first:
//!   the past cannot change without dropping its future. A refused command
//!   forks nothing.
//! - **Checkpoints** are clones of the world taken every `interval` kernel
//!   events of new time (the first at time 0), keeping only the newest
//!   1,000 events of the trace ring (its hash and count stay whole). They live within a memory
//!   budget: when there are more than fit, every other one is dropped and
//!   the interval doubles, so consecutive checkpoints are never more than
//!   one interval apart and a seek replays at most one interval of events
//!   (plus the commands among them).
//! - **Marks** show what matters on the timeline: commands applied, the
//!   first time a goroutine blocked, the first deadlock found (partial or
//!   whole), and how the program ended (panic, deadlock, main returned).

use crate::command::{Command, CommandError, TimedCommand};
use crate::observe::snapshot::RunStatus;
use crate::scenario::{Scenario, ScenarioError};
use crate::time::SimTime;
use crate::world::World;
use serde::Serialize;

/// Default memory for checkpoints: 64 MiB.
pub const DEFAULT_BUDGET: usize = 64 << 20;
/// Kernel events between checkpoints at the start (a few ms of replay).
pub const FIRST_INTERVAL: u64 = 20_000;
/// Trace events a checkpoint keeps (what the page's event log shows after a
/// seek, with the events replayed since): the rest of the ring is the
/// biggest part of a world and is not needed to go on from there.
const CHECKPOINT_TRACE: usize = 1_000;
/// At least this many checkpoints are kept whatever the budget says.
const MIN_CHECKPOINTS: usize = 8;
/// `step_visible` gives up after this many moves without a visible change.
const MAX_INVISIBLE_MOVES: u64 = 1_000_000;

/// What a mark stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MarkKind {
    /// A command was applied (by the user, or from the scenario's log).
    Command,
    /// A goroutine blocked for the first time in the run.
    FirstBlock,
    /// The first deadlock found (partial, or Go's verdict).
    Deadlock,
    /// The program ended (`text` says how).
    Ended,
}

/// A point of interest on the timeline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Mark {
    pub t_us: u64,
    pub kind: MarkKind,
    pub text: String,
}

/// The timeline as the page draws it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TimelineView {
    /// The present.
    pub now_us: u64,
    /// The frontier: the furthest time reached.
    pub end_us: u64,
    /// The present is behind the frontier (playing replays history).
    pub behind: bool,
    pub marks: Vec<Mark>,
    pub checkpoints: usize,
    /// Kernel events between checkpoints (at most this many are replayed by a seek).
    pub interval: u64,
    /// Memory the checkpoints take, about.
    pub checkpoint_bytes: usize,
}

/// The furthest point reached, and what the marks need from it.
#[derive(Clone, Debug)]
struct Frontier {
    time: SimTime,
    moves: u64,
    /// The whole command log (applied and still to come).
    log: Vec<TimedCommand>,
    /// Of `log`, how many were applied by then.
    applied: usize,
    first_block: Option<(SimTime, String)>,
    first_deadlock: Option<SimTime>,
    ended: Option<(SimTime, RunStatus, String)>,
}

/// A world with its history (see the module docs).
#[derive(Debug)]
pub struct Timeline {
    world: World,
    /// Clones of the world, oldest first (`[0]` at time 0).
    checkpoints: Vec<World>,
    /// `approx_bytes` of each checkpoint.
    sizes: Vec<usize>,
    interval: u64,
    budget: usize,
    frontier: Frontier,
    /// Indices in the frontier's log of the commands applied through this
    /// timeline (a fork drops those after the present).
    user: Vec<usize>,
    /// Kernel events the last seek (or step back) replayed.
    replayed: u64,
}

impl Timeline {
    /// A timeline starting at time 0 of `scenario`.
    pub fn new(scenario: &Scenario) -> Result<Timeline, ScenarioError> {
        Ok(Timeline::from_world(World::new(scenario)?, DEFAULT_BUDGET))
    }

    /// A timeline over `world` (its present state becomes the first
    /// checkpoint) with `budget` bytes for checkpoints.
    pub fn from_world(world: World, budget: usize) -> Timeline {
        Timeline::from_world_with(world, budget, FIRST_INTERVAL)
    }

    /// Like [`Timeline::from_world`] with a first checkpoint interval of
    /// `interval` kernel events (tests use small ones to exercise eviction).
    pub fn from_world_with(world: World, budget: usize, interval: u64) -> Timeline {
        let mut t = Timeline {
            frontier: Frontier {
                time: world.now(),
                moves: world.moves(),
                log: world.command_log(),
                applied: world.applied_commands().len(),
                first_block: None,
                first_deadlock: None,
                ended: None,
            },
            sizes: vec![world.approx_bytes()],
            checkpoints: vec![world.checkpoint_copy(CHECKPOINT_TRACE)],
            world,
            interval: interval.max(1),
            budget,
            user: Vec::new(),
            replayed: 0,
        };
        t.update_frontier();
        t
    }

    /// The present.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The scenario with the whole command log (the frontier's, so a link
    /// made while behind still carries the future) and its seed.
    pub fn scenario_with_log(&self) -> Scenario {
        let mut s = self.world.scenario().clone();
        s.commands = self.frontier.log.clone();
        s
    }

    /// Whether the present is behind the frontier.
    pub fn is_behind(&self) -> bool {
        self.world.moves() < self.frontier.moves
    }

    /// The frontier's time.
    pub fn end(&self) -> SimTime {
        self.frontier.time
    }

    /// Runs to `t` (see [`World::run_until_limited`]; `true` if it got
    /// there), taking checkpoints in new time.
    pub fn run_until_limited(&mut self, t: SimTime, max_events: u64, max_records: u64) -> bool {
        let start = self.world.steps();
        let records = self.world.trace().total();
        loop {
            let used = self.world.steps() - start;
            let recorded = self.world.trace().total() - records;
            if used >= max_events || recorded >= max_records {
                self.after_run();
                return false;
            }
            let until_checkpoint = self.next_checkpoint_steps().saturating_sub(self.world.steps()).max(1);
            let chunk = (max_events - used).min(until_checkpoint);
            let done = self.world.run_until_limited(t, chunk, max_records - recorded);
            self.after_run();
            if done || !self.world.is_running() {
                return done || !self.world.is_running();
            }
        }
    }

    /// Runs to `t` however many events it takes.
    pub fn run_until(&mut self, t: SimTime) {
        while !self.run_until_limited(t, u64::MAX, u64::MAX) {}
    }

    /// One raw move (an event or a due command); `false` if nothing is left.
    pub fn step(&mut self) -> bool {
        let moved = self.world.step();
        self.after_run();
        moved
    }

    /// Moves on to just after the next visible change (an event that records
    /// something), or until nothing is left; returns how many trace events
    /// that change recorded (0 if there was none).
    pub fn step_visible(&mut self) -> u64 {
        let before = self.world.trace().total();
        let mut moves = 0;
        while self.world.trace().total() == before && moves < MAX_INVISIBLE_MOVES && self.world.step() {
            moves += 1;
            if moves % 4096 == 0 {
                self.after_run();
            }
        }
        self.after_run();
        self.world.trace().total() - before
    }

    /// Goes to `t` (clamped to `[0, frontier]`): exactly the state a
    /// straight run to `t` reaches.
    pub fn seek(&mut self, t: SimTime) {
        let t = t.min(self.frontier.time);
        let i = self.checkpoints.iter().rposition(|c| c.now() <= t).unwrap_or(0);
        let forward = self.world.now() <= t && self.world.moves() >= self.checkpoints[i].moves();
        if !forward {
            self.world = self.restore(i);
        }
        let from = self.world.steps();
        self.world.run_until(t);
        self.replayed = self.world.steps() - from;
        self.after_run();
    }

    /// Kernel events the last seek replayed (at most about one checkpoint
    /// interval, plus the events of the instant sought).
    pub fn last_replayed(&self) -> u64 {
        self.replayed
    }

    /// The times of the checkpoints, oldest first.
    pub fn checkpoint_times(&self) -> Vec<SimTime> {
        self.checkpoints.iter().map(World::now).collect()
    }

    /// Goes to just before the latest visible change (see the module docs);
    /// `false` at the start (nothing to undo).
    pub fn step_back(&mut self) -> bool {
        let total = self.world.trace().total();
        if total == 0 {
            return false;
        }
        // The latest checkpoint before that change, then the move at which
        // the trace reaches `total` again.
        let i = self.checkpoints.iter().rposition(|c| c.trace().total() < total).unwrap_or(0);
        let mut w = self.restore(i);
        while w.trace().total() < total {
            let before = w.moves();
            if !w.step() {
                break;
            }
            if w.trace().total() >= total {
                self.seek_moves(before);
                return true;
            }
        }
        false
    }

    /// Goes to the state after exactly `moves` moves (events, commands
    /// applied and commands refused, as [`World::moves`] counts).
    pub fn seek_moves(&mut self, moves: u64) {
        let moves = moves.min(self.frontier.moves);
        let i = self.checkpoints.iter().rposition(|c| c.moves() <= moves).unwrap_or(0);
        if !(self.world.moves() <= moves && self.world.moves() >= self.checkpoints[i].moves()) {
            self.world = self.restore(i);
        }
        while self.world.moves() < moves && self.world.step() {}
        self.after_run();
    }

    /// Applies a live command at the present; behind the frontier it forks
    /// first (only if the command is accepted). Returns whether it forked.
    pub fn apply(&mut self, cmd: &Command) -> Result<bool, CommandError> {
        let behind = self.is_behind();
        let moves = self.world.moves();
        let kept_future = if behind { Some(self.scheduled_future()) } else { None };
        let saved = kept_future.as_ref().map(|_| self.world.command_log()[self.world.applied_commands().len()..].to_vec());
        if let Some(future) = &kept_future {
            self.world.set_future(future);
        }
        if let Err(e) = self.world.apply(cmd) {
            if let Some(saved) = saved {
                self.world.set_future(&saved);
            }
            return Err(e);
        }
        let index = self.world.applied_commands().len() - 1;
        if behind {
            self.drop_future(moves);
        }
        self.user.retain(|&u| u < index);
        self.user.push(index);
        self.force_frontier();
        Ok(behind)
    }

    /// Drops the future (see the module docs): the present becomes the
    /// frontier. Returns `false` if there was no future to drop.
    pub fn fork(&mut self) -> bool {
        if !self.is_behind() {
            return false;
        }
        let future = self.scheduled_future();
        self.world.set_future(&future);
        self.drop_future(self.world.moves());
        self.force_frontier();
        true
    }

    /// The scenario with the user's edits folded in (see [`crate::design`]):
    /// what "restart" starts from.
    pub fn design(&self) -> Scenario {
        let edits: Vec<Command> = self.user_commands().into_iter().map(|c| c.command).collect();
        crate::design::fold(self.world.scenario(), &edits)
    }

    /// The commands applied through this timeline (the user's edits), in
    /// the order applied.
    pub fn user_commands(&self) -> Vec<TimedCommand> {
        self.user.iter().filter_map(|&i| self.frontier.log.get(i).cloned()).collect()
    }

    /// The timeline as the page draws it.
    pub fn view(&self) -> TimelineView {
        TimelineView {
            now_us: self.world.now().as_micros(),
            end_us: self.frontier.time.as_micros(),
            behind: self.is_behind(),
            marks: self.marks(),
            checkpoints: self.checkpoints.len(),
            interval: self.interval,
            checkpoint_bytes: self.sizes.iter().sum(),
        }
    }

    /// Every mark, in time order.
    pub fn marks(&self) -> Vec<Mark> {
        let f = &self.frontier;
        let mut marks: Vec<Mark> = f.log[..f.applied]
            .iter()
            .map(|c| Mark { t_us: c.at.as_micros(), kind: MarkKind::Command, text: c.command.summary() })
            .collect();
        if let Some((t, name)) = &f.first_block {
            marks.push(Mark { t_us: t.as_micros(), kind: MarkKind::FirstBlock, text: format!("{name} blocked first") });
        }
        if let Some(t) = f.first_deadlock {
            marks.push(Mark { t_us: t.as_micros(), kind: MarkKind::Deadlock, text: "deadlock found".into() });
        }
        if let Some((t, _, text)) = &f.ended {
            marks.push(Mark { t_us: t.as_micros(), kind: MarkKind::Ended, text: text.clone() });
        }
        crate::cold_sort::sort_by_key(&mut marks, |m| m.t_us);
        marks
    }

    /// Checkpoint `i` with the rest of the frontier's command log.
    fn restore(&self, i: usize) -> World {
        let mut w = self.checkpoints[i].clone();
        let k = w.applied_commands().len();
        debug_assert_eq!(w.applied_commands(), &self.frontier.log[..k], "a checkpoint's past is the log's");
        w.set_future(&self.frontier.log[k.min(self.frontier.log.len())..]);
        w
    }

    /// The commands still to come that are not the user's (they stay in a fork).
    fn scheduled_future(&self) -> Vec<TimedCommand> {
        let k = self.world.applied_commands().len();
        (k..self.frontier.log.len())
            .filter(|i| !self.user.contains(i))
            .map(|i| self.frontier.log[i].clone())
            .collect()
    }

    /// After a fork at the present, which had made `moves` moves before the
    /// command that forked (if any): checkpoints beyond it go. Checkpoints
    /// lie on the old frontier's run, whose move count rises by one per
    /// move, so those within `moves` are exactly the present's past. (The
    /// count after the command would not do: a checkpoint one event further
    /// on makes as many moves as the present with its new command.)
    fn drop_future(&mut self, moves: u64) {
        let applied = self.world.applied_commands().len();
        let keep = self.checkpoints.iter().take_while(|c| c.moves() <= moves).count().max(1);
        self.checkpoints.truncate(keep);
        self.sizes.truncate(keep);
        self.user.retain(|&u| u < applied);
    }

    /// Steps of the live world at which the next checkpoint is due.
    fn next_checkpoint_steps(&self) -> u64 {
        self.checkpoints.last().map_or(0, |c| c.steps()) + self.interval
    }

    /// After running: checkpoint if due, and move the frontier if the
    /// present passed it.
    fn after_run(&mut self) {
        if self.world.steps() >= self.next_checkpoint_steps() {
            self.checkpoint();
        }
        if self.world.moves() > self.frontier.moves
            || (self.world.moves() == self.frontier.moves && self.world.now() > self.frontier.time)
        {
            self.update_frontier();
        }
    }

    fn checkpoint(&mut self) {
        let copy = self.world.checkpoint_copy(CHECKPOINT_TRACE);
        let size = copy.approx_bytes();
        self.checkpoints.push(copy);
        self.sizes.push(size);
        let fit = (self.budget / size.max(1)).max(MIN_CHECKPOINTS);
        if self.checkpoints.len() > fit {
            // Keep [0], [2], [4], ...: the spacing doubles, and so does the
            // interval for the checkpoints to come.
            let mut i = 0;
            self.checkpoints.retain(|_| {
                i += 1;
                (i - 1) % 2 == 0
            });
            let mut j = 0;
            self.sizes.retain(|_| {
                j += 1;
                (j - 1) % 2 == 0
            });
            self.interval = self.interval.saturating_mul(2);
        }
    }

    /// The present becomes the frontier (after a fork or a command): the
    /// marks and the log are the present's from now on.
    fn force_frontier(&mut self) {
        self.frontier.first_block = None;
        self.frontier.first_deadlock = None;
        self.frontier.ended = None;
        self.frontier.log = self.world.command_log();
        self.update_frontier();
    }

    fn update_frontier(&mut self) {
        let w = &self.world;
        let f = &mut self.frontier;
        f.time = w.now();
        f.moves = w.moves();
        if w.applied_commands().len() != f.applied {
            f.log = w.command_log();
            f.applied = w.applied_commands().len();
        }
        if f.first_block.is_none() {
            f.first_block = w.first_block().map(|(t, g)| (t, w.goroutine_name(g).to_owned()));
        }
        if f.first_deadlock.is_none() {
            f.first_deadlock = w.first_deadlock();
        }
        if f.ended.is_none() && !w.is_running() {
            f.ended = Some((w.ended_at(), w.status(), w.status_text()));
        }
    }
}

