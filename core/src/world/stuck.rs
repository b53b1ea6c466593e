//! Stuck goroutines: Go's deadlock verdict, and the partial deadlocks Go
//! never reports.
//!
//! **Go's verdict** ("fatal error: all goroutines are asleep - deadlock!")
//! holds when no goroutine can run and no timer is pending: every live
//! goroutine is parked on a channel, a select without timeout, or a
//! `wg.Wait()`. The program ends there, as in Go.
//!
//! **Partial deadlock**: a parked goroutine is *stuck* when no goroutine
//! that might still run could ever release it. Each goroutine's program says
//! what it may still do from its pc (sends, receives, closes, `wg.Done()`
//! on which channels/WaitGroups). Starting from "every parked goroutine
//! without a timer is stuck", a goroutine is released if some goroutine
//! outside the stuck set may still do the complementary operation (a
//! receive or close for a blocked send... see [`World::releasable`]); this
//! repeats until nothing changes. The analysis is conservative: it may miss
//! a stuck goroutine (a program path that is reachable but never taken),
//! never flag one that could proceed. Live commands (adding a goroutine,
//! raising a capacity) can of course release anyone.

use super::World;
use crate::gochan::channel::GoId;
use crate::gochan::program::{CaseKind, Capability, Op};
use crate::observe::snapshot::{DeadlockReport, GState, RunStatus, WaitFor};
use crate::observe::trace::{EventKind, NONE};
use crate::time::SimTime;

/// What a parked goroutine waits for.
enum Need {
    Send(u32),
    Recv(u32),
    Wg(u32),
}

impl World {
    /// Called when no goroutine event is pending: either every goroutine
    /// returned, or Go's deadlock verdict holds.
    pub(super) fn check_quiescent(&mut self, now: SimTime) {
        let mut alive = 0;
        let mut blocked = 0;
        for g in &self.gs {
            if g.state.is_over() {
                continue;
            }
            alive += 1;
            if g.state.is_blocked() {
                blocked += 1;
            } else if g.paused && g.deferred_run {
                return; // runnable once resumed: not asleep
            }
        }
        if alive == 0 {
            self.end(RunStatus::Finished, now);
        } else if blocked == alive {
            let stuck = self.stuck_report(true);
            self.record(EventKind::Deadlock, NONE, NONE, None, stuck.len() as i64);
            self.deadlock = Some(DeadlockReport {
                go_message: Some("fatal error: all goroutines are asleep - deadlock!".into()),
                at_us: now.as_micros(),
                stuck,
            });
            self.end(RunStatus::Deadlock, now);
        }
    }

    /// Re-runs the partial-deadlock analysis (at every sample).
    pub(super) fn update_stuck(&mut self, now: SimTime) {
        let before = self.gs.iter().filter(|g| g.stuck).count();
        let stuck = self.stuck_report(false);
        if stuck.len() > before {
            self.record(EventKind::Deadlock, NONE, NONE, None, stuck.len() as i64);
        }
        self.deadlock = if stuck.is_empty() {
            None
        } else {
            let at_us = match &self.deadlock {
                Some(d) if d.stuck.len() == stuck.len() => d.at_us,
                _ => now.as_micros(),
            };
            Some(DeadlockReport { go_message: None, at_us, stuck })
        };
    }

    /// Computes the stuck set, flags it on the goroutines and explains it.
    /// With `all_asleep`, every blocked goroutine is stuck (Go's verdict).
    fn stuck_report(&mut self, all_asleep: bool) -> Vec<WaitFor> {
        let n = self.gs.len();
        // A reused buffer: this runs at every sample and must not allocate.
        let mut stuck = std::mem::take(&mut self.scratch_stuck);
        stuck.clear();
        stuck.extend(self.gs.iter().map(|g| g.state.is_blocked() && g.timer.is_none()));
        if !all_asleep {
            loop {
                let mut changed = false;
                for g in 0..n {
                    if stuck[g] && self.releasable(g as GoId, &stuck) {
                        stuck[g] = false;
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
        }
        let mut out = Vec::new();
        for (g, &s) in stuck.iter().enumerate() {
            self.gs[g].stuck = s;
            if s {
                out.push(self.explain(g as GoId));
            }
        }
        self.scratch_stuck = stuck;
        out
    }

    /// What `g` waits for (an iterator: the analysis runs at every sample
    /// and must not allocate).
    fn needs(&self, g: GoId) -> impl Iterator<Item = Need> + '_ {
        let gr = &self.gs[g as usize];
        let single = match gr.state {
            GState::BlockedSend => Some(Need::Send(gr.wait)),
            GState::BlockedRecv => Some(Need::Recv(gr.wait)),
            GState::BlockedWait => Some(Need::Wg(gr.wait)),
            _ => None,
        };
        let cases = match (gr.state, gr.prog.ops.get(gr.pc as usize)) {
            (GState::BlockedSelect, Some(Op::Select { sel })) => gr.prog.selects[*sel as usize].cases.as_slice(),
            _ => &[],
        };
        single.into_iter().chain(cases.iter().map(|c| match c.kind {
            CaseKind::Send(ch) => Need::Send(ch),
            CaseKind::Recv(ch) => Need::Recv(ch),
        }))
    }

    /// Whether some goroutine outside `stuck` may still release `g`.
    fn releasable(&self, g: GoId, stuck: &[bool]) -> bool {
        let may_someone = |cap: &[Capability]| {
            self.gs.iter().enumerate().any(|(h, hr)| {
                h != g as usize
                    && !stuck[h]
                    && !hr.state.is_over()
                    && hr.prog.may[hr.pc as usize].iter().any(|c| cap.contains(c))
            })
        };
        self.needs(g).any(|need| match need {
            Need::Send(ch) => may_someone(&[Capability::Recv(ch), Capability::Close(ch)]),
            Need::Recv(ch) => may_someone(&[Capability::Send(ch), Capability::Close(ch)]),
            Need::Wg(wg) => may_someone(&[Capability::WgDecrement(wg)]),
        })
    }

    fn explain(&self, g: GoId) -> WaitFor {
        let gr = &self.gs[g as usize];
        let ch_name = |c: u32| self.chan_names[c as usize].as_str();
        let (waits_on, why) = match gr.state {
            GState::BlockedSend => {
                let c = &self.chans[gr.wait as usize];
                let detail = if c.cap() == 0 {
                    "unbuffered".to_string()
                } else {
                    format!("buffer full {}/{}", c.len(), c.cap())
                };
                (
                    format!("send on {}", ch_name(gr.wait)),
                    format!("{detail}; no goroutine left will ever receive from {}", ch_name(gr.wait)),
                )
            }
            GState::BlockedRecv => (
                format!("receive from {}", ch_name(gr.wait)),
                format!("empty; no goroutine left will ever send on or close {}", ch_name(gr.wait)),
            ),
            GState::BlockedWait => {
                let w = &self.wgs[gr.wait as usize];
                (
                    format!("{}.Wait()", w.name),
                    format!("counter is {}; no goroutine left will ever call {}.Done()", w.counter, w.name),
                )
            }
            GState::BlockedSelect => {
                let names: Vec<String> = self
                    .needs(g)
                    .map(|n| match n {
                        Need::Send(c) => format!("{} <-", ch_name(c)),
                        Need::Recv(c) => format!("<-{}", ch_name(c)),
                        Need::Wg(_) => String::new(),
                    })
                    .collect();
                (format!("select on {}", names.join(", ")), "no case can ever proceed".to_string())
            }
            _ => (String::new(), String::new()),
        };
        WaitFor { goroutine: g, name: gr.name.clone(), waits_on, why }
    }

    /// Takes a time-series sample and refreshes the stuck analysis.
    pub(super) fn sample(&mut self, now: SimTime) {
        let blocked = self.gs.iter().filter(|g| g.state.is_blocked()).count() as u32;
        if blocked > 0 || self.deadlock.is_some() {
            self.update_stuck(now);
        }
        let throughput = self.rate.push(self.ledger.tally.delivered);
        let (p50_us, p99_us) = self.ledger.window.p50_p99();
        self.ledger.window.reset();
        let stats = crate::observe::stats::SampleStats {
            t_us: now.as_micros(),
            throughput,
            p50_us,
            p99_us,
            blocked,
        };
        // No allocation: the series keeps the lens in a preallocated ring.
        self.series.push_parts(stats, self.chans.iter().map(|c| c.len()));
    }
}
