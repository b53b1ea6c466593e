//! Applying live commands. Each one is checked completely before anything
//! changes, so a refused command leaves the world as it was.

use super::{Ev, Group, World, G};
use crate::command::{Command, CommandError};
use crate::gochan::channel::GoId;
use crate::gochan::program::{self, MAX_LOOP_DEPTH};
use crate::observe::snapshot::GState;
use crate::observe::trace::{DropCause, EventKind, NONE};
use crate::scenario::{check_group, limits, GoroutineSpec, Scenario};
use std::rc::Rc;

impl World {
    pub(super) fn apply_inner(&mut self, cmd: &Command) -> Result<(), CommandError> {
        self.apply_command(cmd)?;
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

    fn apply_command(&mut self, cmd: &Command) -> Result<(), CommandError> {
        let now = self.now();
        match cmd {
            Command::AddGoroutine { spec } => {
                if self.go.groups.iter().any(|g| g.spec.name == spec.name) {
                    return Err(CommandError::AlreadyExists(spec.name.clone()));
                }
                let count = spec.count.min(limits::MAX_GOROUTINES as u32);
                if let Some(n) = Scenario::instance_names(&spec.name, count).find(|n| self.go.g_names.contains_key(n)) {
                    return Err(CommandError::NotApplicable(format!("a goroutine named {} already exists", crate::time::echo(&n))));
                }
                self.add_group(spec.clone())
            }
            Command::RemoveGoroutine { goroutine } => {
                let g = self.goroutine_id(goroutine)?;
                self.remove_goroutine(g);
                Ok(())
            }
            Command::SetCount { group, count } => self.set_count(group, *count),
            Command::SetRates { group, interval, work } => {
                let gi = self.group_index(group)?;
                let mut spec = self.go.groups[gi].spec.clone();
                if let Some(d) = interval {
                    *spec.behavior.interval_mut().ok_or_else(|| {
                        CommandError::NotApplicable(format!("{group} has no send interval (it is not a producer)"))
                    })? = d.clone();
                }
                if let Some(d) = work {
                    *spec.behavior.work_mut().ok_or_else(|| {
                        CommandError::NotApplicable(format!("{group} has no work time (it is not a consumer or stage)"))
                    })? = d.clone();
                }
                let prog = self.compile_spec(&spec)?;
                let old = &self.go.groups[gi].prog;
                if prog.ops != old.ops || prog.selects != old.selects {
                    return Err(CommandError::NotApplicable("that change alters the program's shape".into()));
                }
                let prog = Rc::new(prog);
                for &m in &self.go.groups[gi].members {
                    self.go.gs[m as usize].prog = prog.clone();
                }
                self.go.groups[gi].prog = prog;
                self.go.groups[gi].spec = spec;
                Ok(())
            }
            Command::SetCapacity { channel, capacity } => {
                let ch = self.chan_id(channel)?;
                if *capacity > limits::MAX_CAPACITY {
                    return Err(CommandError::OutOfRange {
                        what: "capacity",
                        value: u64::from(*capacity),
                        max: u64::from(limits::MAX_CAPACITY),
                    });
                }
                let mut admitted = std::mem::take(&mut self.go.scratch_waiters);
                admitted.clear();
                self.go.chans[ch as usize].set_cap(*capacity, &mut admitted);
                self.record(EventKind::Capacity, NONE, ch, None, i64::from(*capacity));
                for s in admitted.iter() {
                    { let (go, k) = self.go_kit(); go.release_parked_sender(k, *s, ch, now); }
                }
                admitted.clear();
                self.go.scratch_waiters = admitted;
                Ok(())
            }
            Command::AddChannel { name, capacity } => {
                if !crate::scenario::valid_name(name) {
                    return Err(CommandError::Invalid(vec![format!(
                        "a channel name is 1-{} letters, digits, '_', '-' or '.', got {}",
                        limits::MAX_NAME_LEN,
                        crate::time::echo(name)
                    )]));
                }
                if self.go.chan_names.iter().any(|n| n == name) {
                    return Err(CommandError::NotApplicable(format!("a channel named {} already exists", crate::time::echo(name))));
                }
                if *capacity > limits::MAX_CAPACITY {
                    return Err(CommandError::OutOfRange {
                        what: "capacity",
                        value: u64::from(*capacity),
                        max: u64::from(limits::MAX_CAPACITY),
                    });
                }
                if self.go.chans.len() >= limits::MAX_CHANNELS {
                    return Err(CommandError::OutOfRange {
                        what: "channels",
                        value: self.go.chans.len() as u64 + 1,
                        max: limits::MAX_CHANNELS as u64,
                    });
                }
                self.go.chans.push(crate::gochan::channel::Channel::new(*capacity));
                self.go.chan_names.push(name.clone());
                self.go.reserve_stuck_scratch();
                let ch = (self.go.chans.len() - 1) as u32;
                self.record(EventKind::Capacity, NONE, ch, None, i64::from(*capacity));
                Ok(())
            }
            Command::CloseChannel { channel } => {
                let ch = self.chan_id(channel)?;
                if self.go.chans[ch as usize].is_closed() {
                    return Err(CommandError::AlreadyClosed(channel.clone()));
                }
                { let (go, k) = self.go_kit(); go.close_channel(k, ch, None, now); }
                Ok(())
            }
            Command::Pause { goroutine } => {
                let g = self.live_goroutine(goroutine)?;
                if !self.go.gs[g as usize].paused {
                    self.go.gs[g as usize].paused = true;
                    self.record(EventKind::Paused, g, NONE, None, 0);
                }
                Ok(())
            }
            Command::Resume { goroutine } => {
                let g = self.live_goroutine(goroutine)?;
                let gr = &mut self.go.gs[g as usize];
                if gr.paused {
                    gr.paused = false;
                    let run = std::mem::take(&mut gr.deferred_run);
                    self.record(EventKind::Resumed, g, NONE, None, 0);
                    if run {
                        { let (go, k) = self.go_kit(); go.schedule_g(k, g, now, Ev::Run(g)); }
                    }
                }
                Ok(())
            }
        }
    }

    fn live_goroutine(&self, name: &str) -> Result<GoId, CommandError> {
        let g = self.goroutine_id(name)?;
        if self.go.gs[g as usize].state.is_over() {
            return Err(CommandError::NotApplicable(format!("{name} has already ended")));
        }
        Ok(g)
    }

    fn group_index(&self, name: &str) -> Result<usize, CommandError> {
        self.go.groups
            .iter()
            .position(|g| g.spec.name == name)
            .ok_or_else(|| CommandError::NoSuchGroup(name.to_owned()))
    }

    fn compile_spec(&self, spec: &GoroutineSpec) -> Result<program::Program, CommandError> {
        let problems = check_group(spec, "", &self.names());
        if !problems.is_empty() {
            return Err(CommandError::Invalid(problems.iter().map(|p| p.message.clone()).collect()));
        }
        program::compile(&spec.behavior.program(), &self.names())
            .map_err(|errs| CommandError::Invalid(errs.into_iter().map(|e| e.message).collect()))
    }

    fn alive_total(&self) -> u64 {
        self.go.gs.iter().filter(|g| g.state != GState::Removed).count() as u64
    }

    /// Adds a group and spawns its instances.
    pub(super) fn add_group(&mut self, spec: GoroutineSpec) -> Result<(), CommandError> {
        if self.go.groups.len() >= limits::MAX_GROUPS {
            return Err(CommandError::NotApplicable(format!("at most {} goroutine groups", limits::MAX_GROUPS)));
        }
        if self.alive_total() + u64::from(spec.count) > limits::MAX_GOROUTINES {
            return Err(CommandError::OutOfRange {
                what: "goroutines in all",
                value: self.alive_total() + u64::from(spec.count),
                max: limits::MAX_GOROUTINES,
            });
        }
        let prog = Rc::new(self.compile_spec(&spec)?);
        let count = spec.count;
        self.go.groups.push(Group { spec, prog, members: Vec::new(), next_index: 1 });
        let gi = self.go.groups.len() - 1;
        for _ in 0..count {
            self.spawn(gi);
        }
        Ok(())
    }

    fn spawn(&mut self, gi: usize) {
        let now = self.now();
        let group = &mut self.go.groups[gi];
        // The next instance name no goroutine has had (another group may be
        // called "p-2"): names address goroutines in commands and labels.
        let name = loop {
            let index = group.next_index;
            group.next_index += 1;
            let name = if group.spec.count == 1 && index == 1 {
                group.spec.name.clone()
            } else {
                format!("{}-{index}", group.spec.name)
            };
            if !self.go.g_names.contains_key(&name) {
                break name;
            }
        };
        let g = self.go.gs.len() as GoId;
        self.go.g_names.insert(name.clone(), g);
        self.go.gs.push(G {
            name,
            group: gi as u32,
            prog: group.prog.clone(),
            pc: 0,
            state: GState::Runnable,
            since: now,
            spawned: now,
            wait: 0,
            until: now,
            timer: None,
            held: None,
            parked: Vec::new(),
            divisor: 0,
            next_value: group.spec.behavior.start_value(),
            loops: [0; MAX_LOOP_DEPTH],
            paused: false,
            budget: super::OP_BUDGET,
            budget_at: now,
            deferred_run: false,
            stuck: false,
            c: Default::default(),
        });
        group.members.push(g);
        // `wg.Add(1)` happens before `go f()`, in the spawner.
        if let Some(wg) = group.spec.behavior.spawn_wg() {
            if let Some(w) = self.go.wgs.iter_mut().find(|w| w.name == wg) {
                w.counter = w.counter.saturating_add(1);
                let counter = w.counter;
                self.record(EventKind::WgAdd, g, NONE, None, counter);
            }
        }
        self.record(EventKind::Spawned, g, NONE, None, 0);
        { let (go, k) = self.go_kit(); go.schedule_g(k, g, now, Ev::Run(g)); }
    }

    fn set_count(&mut self, group: &str, count: u32) -> Result<(), CommandError> {
        let gi = self.group_index(group)?;
        let current = self.go.groups[gi].members.len() as u32;
        // 0 is allowed: the group stays (its row, its program) with no
        // running instances, and a later count brings new ones back.
        if u64::from(count) > limits::MAX_GOROUTINES {
            return Err(CommandError::OutOfRange {
                what: "count",
                value: u64::from(count),
                max: limits::MAX_GOROUTINES,
            });
        }
        if count > current && self.alive_total() + u64::from(count - current) > limits::MAX_GOROUTINES {
            return Err(CommandError::OutOfRange {
                what: "goroutines in all",
                value: self.alive_total() + u64::from(count - current),
                max: limits::MAX_GOROUTINES,
            });
        }
        for _ in current..count {
            self.spawn(gi);
        }
        for _ in count..current {
            let newest = *self.go.groups[gi].members.last().expect("current > count members");
            self.remove_goroutine(newest);
        }
        Ok(())
    }

    /// Removes a goroutine: withdraws its parked op, drops what it held.
    pub(super) fn remove_goroutine(&mut self, g: GoId) {
        let gi = g as usize;
        { let (go, k) = self.go_kit(); go.cancel_g(k, g); }
        let mut offered = std::mem::take(&mut self.go.scratch_msgs);
        for c in self.go.chans.iter_mut() {
            c.withdraw(g, &mut offered);
        }
        offered.clear();
        self.go.scratch_msgs = offered;
        self.go.gs[g as usize].parked.clear();
        for w in self.go.wgs.iter_mut() {
            w.waiters.retain(|&x| x != g);
        }
        { let (go, k) = self.go_kit(); go.drop_held(k, g, DropCause::Removed); }
        let now = self.now();
        self.go.set_state(g, GState::Removed, now);
        self.go.gs[gi].stuck = false;
        self.record(EventKind::Removed, g, NONE, None, 0);
        let group = self.go.gs[gi].group as usize;
        self.go.groups[group].members.retain(|&m| m != g);
    }
}
