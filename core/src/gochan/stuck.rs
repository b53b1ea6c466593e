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
//! receive or close for a blocked send, a send or close for a blocked
//! receive, a `Done` for a `Wait`); this repeats until nothing changes. It
//! runs in time linear in the goroutines and what their programs may still
//! do: a need, once some free goroutine may meet it, releases every
//! goroutine waiting on it at once (a worklist over needs, not repeated
//! scans of every goroutine). The analysis is conservative: it may miss
//! a stuck goroutine (a program path that is reachable but never taken),
//! never flag one that could proceed. Live commands (adding a goroutine,
//! raising a capacity) can of course release anyone.

use super::runtime::GoRuntime;
use crate::world::Kit;
use crate::gochan::channel::GoId;
use crate::gochan::program::{CaseKind, Capability, Op};
use crate::observe::snapshot::{DeadlockReport, GState, RunStatus, WaitFor};
use crate::observe::trace::{EventKind, NONE};
use crate::time::SimTime;

/// What a parked goroutine waits for.
#[derive(Clone, Copy)]
enum Need {
    Send(u32),
    Recv(u32),
    Wg(u32),
}

/// Reused buffers of the stuck analysis (it runs at every sample and must
/// not allocate once warm).
#[derive(Clone, Debug, Default)]
pub(crate) struct StuckScratch {
    stuck: Vec<bool>,
    /// Per need: some goroutine outside the stuck set may meet it.
    met: Vec<bool>,
    /// Stuck goroutines grouped by need (CSR: `start[n]..start[n + 1]`).
    start: Vec<u32>,
    fill: Vec<u32>,
    waiting: Vec<GoId>,
    /// Goroutines parked without a timer (the first guess at the stuck set).
    candidates: Vec<GoId>,
    /// Needs newly met, to release their waiters.
    queue: Vec<u32>,
}

impl StuckScratch {
    /// Room for a world of `goroutines` whose waits, all together, name at
    /// most `waits` needs out of `needs`: the first sample that finds a
    /// goroutine parked then allocates nothing.
    pub(crate) fn reserve(&mut self, goroutines: usize, needs: usize, waits: usize) {
        self.stuck.reserve(goroutines);
        self.met.reserve(needs);
        self.start.reserve(needs + 1);
        self.fill.reserve(needs);
        self.queue.reserve(needs);
        self.waiting.reserve(waits);
        self.candidates.reserve(goroutines);
    }
}

impl GoRuntime {
    /// Called when no goroutine event is pending: either every goroutine
    /// returned, or Go's deadlock verdict holds.
    pub(crate) fn check_quiescent(&mut self, k: &mut Kit, now: SimTime) {
        // A client library's background goroutines (sarama's metadata
        // updater waits on a 10-minute ticker) are never all asleep: Go
        // then never declares a deadlock, the program just hangs (the
        // partial analysis still flags who is stuck).
        if self.background > 0 {
            return;
        }
        let mut alive = 0;
        let mut blocked = 0;
        for g in &self.gs {
            if g.state.is_over() {
                continue;
            }
            alive += 1;
            if g.state.is_blocked() {
                blocked += 1;
            } else {
                // Asleep on a timer, working, or paused: not all blocked,
                // and someone is alive (the common case, answered at the
                // first such goroutine rather than after all of them).
                return;
            }
        }
        if alive == 0 {
            self.end(k, RunStatus::Finished, now);
        } else if blocked == alive {
            let stuck = self.asleep_report();
            k.record(EventKind::Deadlock, NONE, NONE, None, stuck.len() as i64);
            k.run.deadlock = Some(DeadlockReport {
                go_message: Some("fatal error: all goroutines are asleep - deadlock!".into()),
                at_us: now.as_micros(),
                stuck,
            });
            self.end(k, RunStatus::Deadlock, now);
        }
    }

    /// Re-runs the partial-deadlock analysis (at every sample).
    pub(crate) fn update_stuck(&mut self, k: &mut Kit, now: SimTime) {
        let (stuck, before) = self.partial_report();
        // The same goroutines as flagged already: the report stands (and
        // the sample allocates nothing).
        let reported = |d: &DeadlockReport| {
            let mut flagged = self.gs.iter().enumerate().filter(|(_, g)| g.stuck).map(|(i, _)| i as GoId);
            d.stuck.iter().all(|w| flagged.next() == Some(w.goroutine)) && flagged.next().is_none()
        };
        let Some(stuck) = stuck.or_else(|| (!k.run.deadlock.as_ref().is_some_and(reported)).then(|| self.explain_flagged())) else { return };
        if stuck.len() > before {
            k.record(EventKind::Deadlock, NONE, NONE, None, stuck.len() as i64);
        }
        k.run.deadlock = if stuck.is_empty() {
            None
        } else {
            let at_us = match &k.run.deadlock {
                Some(d) if d.stuck.len() == stuck.len() => d.at_us,
                _ => now.as_micros(),
            };
            Some(DeadlockReport { go_message: None, at_us, stuck })
        };
    }

    /// Go's verdict: every blocked goroutine is stuck; flags and explains them.
    fn asleep_report(&mut self) -> Vec<WaitFor> {
        let mut sc = std::mem::take(&mut self.scratch_stuck);
        sc.stuck.clear();
        sc.stuck.extend(self.gs.iter().map(|g| g.state.is_blocked() && g.timer.is_none()));
        let out = self.flag_and_explain(&sc);
        self.scratch_stuck = sc;
        out
    }

    /// The partial-deadlock analysis, and how many goroutines were flagged
    /// before it. One pass over the goroutines finds the candidates (parked
    /// without a timer) and marks the needs the free ones may meet
    /// (goroutines of one group at one pc share a program and meet the same
    /// needs: marked once). When every candidate has a need met directly,
    /// nobody is stuck and the analysis ends there: the fixpoint
    /// ([`World::release`]) could only release more. Otherwise the fixpoint
    /// runs. Either way the result is the fixpoint's.
    fn partial_report(&mut self) -> (Option<Vec<WaitFor>>, usize) {
        let mut sc = std::mem::take(&mut self.scratch_stuck);
        let needs = 2 * self.chans.len() + self.wgs.len();
        sc.met.clear();
        sc.met.resize(needs, false);
        sc.stuck.clear();
        sc.candidates.clear();
        let mut before = 0;
        let mut last: (*const crate::gochan::program::Program, u32) = (std::ptr::null(), u32::MAX);
        for (i, g) in self.gs.iter().enumerate() {
            before += usize::from(g.stuck);
            let candidate = g.state.is_blocked() && g.timer.is_none();
            sc.stuck.push(candidate);
            if candidate {
                sc.candidates.push(i as GoId);
            } else if !g.state.is_over() {
                let key = (std::rc::Rc::as_ptr(&g.prog), g.pc);
                if key != last {
                    last = key;
                    for &c in &g.prog.may[g.pc as usize] {
                        for n in self.meets(c).into_iter().flatten() {
                            sc.met[n] = true;
                        }
                    }
                }
            }
        }
        let direct = sc.candidates.iter().all(|&g| self.needs(g).any(|n| sc.met[self.need_index(n)]));
        let out = if direct {
            #[cfg(debug_assertions)]
            {
                // The shortcut agrees with the fixpoint (checked in every
                // debug-build test, the fuzzer's and property tests' included;
                // in the scratch buffers, so it allocates nothing either).
                self.release(&mut sc);
                debug_assert!(!sc.stuck.iter().any(|&s| s), "the direct check released a goroutine the fixpoint keeps stuck");
            }
            if before > 0 {
                for g in &mut self.gs {
                    g.stuck = false;
                }
            }
            Some(Vec::new())
        } else {
            self.release(&mut sc);
            if before > 0 && sc.stuck.iter().zip(&self.gs).all(|(&s, g)| s == g.stuck) {
                None
            } else {
                Some(self.flag_and_explain(&sc))
            }
        };
        self.scratch_stuck = sc;
        (out, before)
    }

    /// The explanations of the goroutines flagged stuck now.
    fn explain_flagged(&self) -> Vec<WaitFor> {
        (0..self.gs.len() as GoId).filter(|&g| self.gs[g as usize].stuck).map(|g| self.explain(g)).collect()
    }

    /// Sets each goroutine's stuck flag from `sc.stuck` and explains the stuck ones.
    fn flag_and_explain(&mut self, sc: &StuckScratch) -> Vec<WaitFor> {
        let mut out = Vec::new();
        for (g, &s) in sc.stuck.iter().enumerate() {
            self.gs[g].stuck = s;
            if s {
                out.push(self.explain(g as GoId));
            }
        }
        out
    }

    /// Sizes [`StuckScratch`] for this world (see [`StuckScratch::reserve`]).
    pub(crate) fn reserve_stuck_scratch(&mut self) {
        let needs = 2 * self.chans.len() + self.wgs.len();
        // Every goroutine's largest wait: one need, or a select's cases.
        let waits = self.gs.iter().map(|g| g.prog.selects.iter().map(|s| s.cases.len()).max().unwrap_or(0).max(1)).sum();
        self.scratch_stuck.reserve(self.gs.len(), needs, waits);
    }

    /// Need indices: `Send(ch)` is `2ch`, `Recv(ch)` `2ch + 1`, `Wg(w)`
    /// `2·channels + w`.
    fn need_index(&self, n: Need) -> usize {
        match n {
            Need::Send(ch) => 2 * ch as usize,
            Need::Recv(ch) => 2 * ch as usize + 1,
            Need::Wg(w) => 2 * self.chans.len() + w as usize,
        }
    }

    /// The needs a goroutine that may still do `c` can meet.
    fn meets(&self, c: Capability) -> [Option<usize>; 2] {
        match c {
            Capability::Recv(ch) => [Some(self.need_index(Need::Send(ch))), None],
            Capability::Send(ch) => [Some(self.need_index(Need::Recv(ch))), None],
            Capability::Close(ch) => [Some(self.need_index(Need::Send(ch))), Some(self.need_index(Need::Recv(ch)))],
            Capability::WgDecrement(w) => [Some(self.need_index(Need::Wg(w))), None],
        }
    }

    /// Marks the needs goroutine `h` (free to run) may meet; new ones go on
    /// the queue.
    fn free_goroutine(&self, h: usize, sc: &mut StuckScratch) {
        let hr = &self.gs[h];
        for &c in &hr.prog.may[hr.pc as usize] {
            for n in self.meets(c).into_iter().flatten() {
                if !sc.met[n] {
                    sc.met[n] = true;
                    sc.queue.push(n as u32);
                }
            }
        }
    }

    /// Releases from `sc.stuck` every goroutine some free goroutine may
    /// still release, directly or through others it releases.
    fn release(&self, sc: &mut StuckScratch) {
        let needs = 2 * self.chans.len() + self.wgs.len();
        sc.met.clear();
        sc.met.resize(needs, false);
        sc.queue.clear();
        // Stuck goroutines by need (CSR).
        sc.start.clear();
        sc.start.resize(needs + 1, 0);
        for g in (0..self.gs.len()).filter(|&g| sc.stuck[g]) {
            for n in self.needs(g as GoId) {
                sc.start[self.need_index(n) + 1] += 1;
            }
        }
        for i in 0..needs {
            sc.start[i + 1] += sc.start[i];
        }
        sc.fill.clear();
        sc.fill.extend_from_slice(&sc.start[..needs]);
        sc.waiting.clear();
        sc.waiting.resize(sc.start[needs] as usize, 0);
        for g in (0..self.gs.len()).filter(|&g| sc.stuck[g]) {
            for n in self.needs(g as GoId) {
                let i = self.need_index(n);
                sc.waiting[sc.fill[i] as usize] = g as GoId;
                sc.fill[i] += 1;
            }
        }
        // Free goroutines meet needs; a met need releases its waiters,
        // which are then free too.
        for h in 0..self.gs.len() {
            if !sc.stuck[h] && !self.gs[h].state.is_over() {
                self.free_goroutine(h, sc);
            }
        }
        while let Some(n) = sc.queue.pop() {
            let (from, to) = (sc.start[n as usize] as usize, sc.start[n as usize + 1] as usize);
            for k in from..to {
                let g = sc.waiting[k] as usize;
                if sc.stuck[g] {
                    sc.stuck[g] = false;
                    self.free_goroutine(g, sc);
                }
            }
        }
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
}
