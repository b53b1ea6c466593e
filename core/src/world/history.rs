//! What the timeline needs from a world: its size, its command log, and
//! the facts the timeline marks (see [`crate::timeline`]).
//!
//! A world is a deterministic function of its scenario, seed and command
//! log, so a clone taken at any point (a checkpoint) and given the rest of
//! the log runs on exactly as the original did: `applied` is the log's
//! past, `pending` its future. [`World::set_future`] replaces the future;
//! everything else about the clone stays as it was.

use super::World;
use crate::command::TimedCommand;
use crate::time::SimTime;

impl World {
    /// About how many bytes this world takes (its struct and what it owns
    /// on the heap): what a checkpoint of it costs.
    pub fn approx_bytes(&self) -> usize {
        let gs: usize = self
            .go.gs
            .iter()
            .map(|g| std::mem::size_of_val(g) + g.name.capacity() + g.parked.capacity() * 12)
            .sum();
        let chans: usize = self.go.chans.iter().map(|c| std::mem::size_of_val(c) + c.heap_bytes()).sum();
        let names: usize = self.go.g_names.keys().map(|k| k.capacity() + 48).sum();
        std::mem::size_of::<World>()
            + self.kit.queue.heap_bytes()
            + self.kit.ledger.trace.heap_bytes()
            + self.kit.ledger.msgs.heap_bytes()
            + self.series.heap_bytes()
            + gs
            + chans
            + names
            + self.nsq.as_ref().map_or(0, |n| n.approx_bytes())
            + (self.applied.len() + self.pending.len()) * std::mem::size_of::<TimedCommand>()
    }

    /// Moves made so far: events, commands applied and scheduled commands
    /// refused. Each [`World::step`] that returns `true` is one move, so a
    /// move count names one point of a run exactly (several events can share
    /// an instant).
    pub fn moves(&self) -> u64 {
        self.steps + self.applied.len() as u64 + self.notices.len() as u64
    }

    /// A copy of this world for a checkpoint: the same state, with only the
    /// newest `trace_events` events kept in the trace ring (the hash and
    /// count are whole; a world restored from it keeps fewer old events to
    /// list, nothing else differs).
    pub fn checkpoint_copy(&self, trace_events: usize) -> World {
        let mut c = self.clone();
        c.kit.ledger.trace.keep_last(trace_events);
        c
    }

    /// Commands applied so far (the past part of the command log).
    pub fn applied_commands(&self) -> &[TimedCommand] {
        &self.applied
    }

    /// The whole command log: applied, then pending.
    pub fn command_log(&self) -> Vec<TimedCommand> {
        self.applied.iter().chain(self.pending.iter()).cloned().collect()
    }

    /// Replaces the commands still to come with `future` (the part of a
    /// command log after what this world has applied).
    pub fn set_future(&mut self, future: &[TimedCommand]) {
        self.pending = future.iter().cloned().collect();
    }

    /// When a goroutine first blocked, and which one.
    pub fn first_block(&self) -> Option<(SimTime, u32)> {
        self.kit.ledger.first_block
    }

    /// When a deadlock (partial, or Go's verdict) was first found.
    pub fn first_deadlock(&self) -> Option<SimTime> {
        self.kit.ledger.first_deadlock
    }

    /// When the program ended (meaningful once it is not running).
    pub fn ended_at(&self) -> SimTime {
        self.kit.run.status_at
    }

    /// The name of goroutine `g` (`"?"` if there is none).
    pub fn goroutine_name(&self, g: u32) -> &str {
        self.go.gs.get(g as usize).map_or("?", |x| x.name.as_str())
    }
}
