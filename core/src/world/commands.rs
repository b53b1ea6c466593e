//! Applying live commands. Each one is checked completely before anything
//! changes, so a refused command leaves the world as it was.

use super::World;
use crate::command::{Command, CommandError};

impl World {
    pub(super) fn apply_inner(&mut self, cmd: &Command) -> Result<(), CommandError> {
        if cmd.is_nsq() {
            self.nsq_apply(cmd)?;
            self.settle_nsq();
        } else if cmd.is_kafka() {
            self.kafka_apply(cmd)?;
            // Goroutines the command woke (a produce failing at a crash, a
            // response handed to a bridge) made their requests now.
            if !self.kit.syscalls.is_empty() {
                let now = self.now();
                self.run_syscalls(now);
            }
        } else {
            let (go, k) = self.go_kit();
            go.apply(k, cmd)?;
        }
        // A command can release goroutines flagged stuck (room in a buffer,
        // a new receiver, a close) or strand others: refresh the analysis
        // now rather than at the next sample, so a running goroutine is never
        // shown as "stuck forever" (e.g. while the page is paused).
        if self.is_running() && (self.kit.run.deadlock.is_some() || self.go.gs.iter().any(|g| g.state.is_blocked())) {
            let now = self.now();
            let (go, k) = self.go_kit();
            go.update_stuck(k, now);
        }
        Ok(())
    }
}
