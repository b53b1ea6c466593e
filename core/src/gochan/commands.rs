//! Go's live commands: add, remove and resize goroutine groups, change
//! rates and capacities, add and close channels, pause and resume. Each one
//! is checked completely before anything changes, so a refused command
//! leaves the runtime as it was. The world routes commands here and
//! refreshes the stuck analysis after one applies.

use super::runtime::{GoRuntime, Group, G};
use crate::command::{Command, CommandError};
use crate::gochan::channel::GoId;
use crate::gochan::program::{self, ChanId, Names, WgId, MAX_LOOP_DEPTH};
use crate::observe::snapshot::GState;
use crate::observe::trace::{DropCause, EventKind, NONE};
use crate::scenario::{check_group, limits, GoroutineSpec, Scenario};
use crate::world::{Ev, Kit, OP_BUDGET};
use std::rc::Rc;

/// Channel and WaitGroup names of a runtime, for compiling programs.
struct RuntimeNames<'a> {
    chans: &'a [String],
    wgs: &'a [super::runtime::Wg],
    nsqd: &'a [String],
    conns: &'a [(String, u32)],
    kafka: Option<&'a crate::kafka::spec::KafkaNames>,
}

impl Names for RuntimeNames<'_> {
    fn channel(&self, name: &str) -> Option<ChanId> {
        self.chans.iter().position(|n| n == name).map(|i| i as ChanId)
    }
    fn waitgroup(&self, name: &str) -> Option<WgId> {
        self.wgs.iter().position(|w| w.name == name).map(|i| i as WgId)
    }
    fn nsqd(&self, name: &str) -> Option<u32> {
        self.nsqd.iter().position(|n| n == name).map(|i| i as u32)
    }
    fn nsq_conn(&self, consumer: &str, nsqd: &str) -> Option<u32> {
        let node = self.nsqd(nsqd)?;
        self.conns.iter().position(|(c, n)| c == consumer && *n == node).map(|i| i as u32)
    }
    fn kafka(&self) -> Option<&crate::kafka::spec::KafkaNames> {
        self.kafka
    }
}

impl GoRuntime {
    fn names(&self) -> RuntimeNames<'_> {
        RuntimeNames { chans: &self.chan_names, wgs: &self.wgs, nsqd: &self.nsqd_names, conns: &self.nsq_conns, kafka: self.kafka_names.as_deref() }
    }

    pub(crate) fn chan_id(&self, name: &str) -> Result<ChanId, CommandError> {
        self.names().channel(name).ok_or_else(|| CommandError::NoSuchChannel(name.to_owned()))
    }

    /// Refuses a change to a channel of a client library (go-nsq's
    /// unbuffered `incomingMessages`): the library makes it, and closing it
    /// would crash its readers.
    fn not_library(&self, ch: ChanId, name: &str) -> Result<(), CommandError> {
        if self.library_chans.contains(&ch) {
            return Err(CommandError::NotApplicable(format!(
                "{} is go-nsq's incomingMessages channel (unbuffered, made by the library): it cannot be resized or closed",
                crate::time::echo(name)
            )));
        }
        Ok(())
    }

    pub(crate) fn goroutine_id(&self, name: &str) -> Result<GoId, CommandError> {
        self.g_names
            .get(name)
            .copied()
            .filter(|&g| self.gs[g as usize].state != GState::Removed)
            .ok_or_else(|| CommandError::NoSuchGoroutine(name.to_owned()))
    }

    pub(crate) fn apply(&mut self, k: &mut Kit, cmd: &Command) -> Result<(), CommandError> {
        let now = k.queue.now();
        match cmd {
            Command::AddGoroutine { spec } => {
                if self.groups.iter().any(|g| g.spec.name == spec.name) {
                    return Err(CommandError::AlreadyExists(spec.name.clone()));
                }
                let count = spec.count.min(limits::MAX_GOROUTINES as u32);
                if let Some(n) = Scenario::instance_names(&spec.name, count).find(|n| self.g_names.contains_key(n)) {
                    return Err(CommandError::NotApplicable(format!("a goroutine named {} already exists", crate::time::echo(&n))));
                }
                self.add_group(k, spec.clone())
            }
            Command::RemoveGoroutine { goroutine } => {
                let g = self.goroutine_id(goroutine)?;
                self.not_library_group(self.gs[g as usize].group as usize, "it cannot be removed (pause it instead, to see what stalls)")?;
                self.remove_goroutine(k, g);
                Ok(())
            }
            Command::SetCount { group, count } => {
                self.not_library_group(self.group_index(group)?, "its count cannot be changed")?;
                self.set_count(k, group, *count)
            }
            Command::SetRates { group, interval, work } => {
                let gi = self.group_index(group)?;
                self.not_library_group(gi, "its timing cannot be changed")?;
                let mut spec = self.groups[gi].spec.clone();
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
                let old = &self.groups[gi].prog;
                if prog.ops != old.ops || prog.selects != old.selects {
                    return Err(CommandError::NotApplicable("that change alters the program's shape".into()));
                }
                let prog = Rc::new(prog);
                for &m in &self.groups[gi].members {
                    self.gs[m as usize].prog = prog.clone();
                }
                self.groups[gi].prog = prog;
                self.groups[gi].spec = spec;
                Ok(())
            }
            Command::SetCapacity { channel, capacity } => {
                let ch = self.chan_id(channel)?;
                self.not_library(ch, channel)?;
                if *capacity > limits::MAX_CAPACITY {
                    return Err(CommandError::OutOfRange {
                        what: "capacity",
                        value: u64::from(*capacity),
                        max: u64::from(limits::MAX_CAPACITY),
                    });
                }
                let mut admitted = std::mem::take(&mut self.scratch_waiters);
                admitted.clear();
                self.chans[ch as usize].set_cap(*capacity, &mut admitted);
                k.record(EventKind::Capacity, NONE, ch, None, i64::from(*capacity));
                for s in admitted.iter() {
                    self.release_parked_sender(k, *s, ch, now);
                }
                admitted.clear();
                self.scratch_waiters = admitted;
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
                if self.chan_names.iter().any(|n| n == name) {
                    return Err(CommandError::NotApplicable(format!("a channel named {} already exists", crate::time::echo(name))));
                }
                if *capacity > limits::MAX_CAPACITY {
                    return Err(CommandError::OutOfRange {
                        what: "capacity",
                        value: u64::from(*capacity),
                        max: u64::from(limits::MAX_CAPACITY),
                    });
                }
                if self.chans.len() >= limits::MAX_CHANNELS {
                    return Err(CommandError::OutOfRange {
                        what: "channels",
                        value: self.chans.len() as u64 + 1,
                        max: limits::MAX_CHANNELS as u64,
                    });
                }
                self.chans.push(crate::gochan::channel::Channel::new(*capacity));
                self.chan_names.push(name.clone());
                self.reserve_stuck_scratch();
                let ch = (self.chans.len() - 1) as u32;
                k.record(EventKind::Capacity, NONE, ch, None, i64::from(*capacity));
                Ok(())
            }
            Command::CloseChannel { channel } => {
                let ch = self.chan_id(channel)?;
                self.not_library(ch, channel)?;
                if self.chans[ch as usize].is_closed() {
                    return Err(CommandError::AlreadyClosed(channel.clone()));
                }
                self.close_channel(k, ch, None, now);
                Ok(())
            }
            Command::Pause { goroutine } => {
                let g = self.live_goroutine(goroutine)?;
                if !self.gs[g as usize].paused {
                    self.gs[g as usize].paused = true;
                    k.record(EventKind::Paused, g, NONE, None, 0);
                }
                Ok(())
            }
            Command::Resume { goroutine } => {
                let g = self.live_goroutine(goroutine)?;
                let gr = &mut self.gs[g as usize];
                if gr.paused {
                    gr.paused = false;
                    let run = std::mem::take(&mut gr.deferred_run);
                    k.record(EventKind::Resumed, g, NONE, None, 0);
                    if run {
                        self.schedule_g(k, g, now, Ev::Run(g));
                    }
                }
                Ok(())
            }
            // The world routes NSQ commands to the NSQ system.
            _ => Err(CommandError::NotApplicable("not a Go command".into())),
        }
    }

    fn live_goroutine(&self, name: &str) -> Result<GoId, CommandError> {
        let g = self.goroutine_id(name)?;
        if self.gs[g as usize].state.is_over() {
            return Err(CommandError::NotApplicable(format!("{name} has already ended")));
        }
        Ok(g)
    }

    pub(crate) fn group_index(&self, name: &str) -> Result<usize, CommandError> {
        self.groups
            .iter()
            .position(|g| g.spec.name == name)
            .ok_or_else(|| CommandError::NoSuchGroup(name.to_owned()))
    }

    /// Group `group`'s program recompiled from `spec`, refused unless it
    /// has the same shape (ops and selects): what a live change of a
    /// library's goroutines (a Kafka group's handler work) checks before
    /// anything changes. [`GoRuntime::install_program`] applies it.
    pub(crate) fn recompile_same_shape(&self, group: &str, spec: &GoroutineSpec) -> Result<(usize, program::Program), CommandError> {
        let gi = self.group_index(group)?;
        let prog = self.compile_spec(spec)?;
        let old = &self.groups[gi].prog;
        if prog.ops != old.ops || prog.selects != old.selects {
            return Err(CommandError::NotApplicable("that change alters the program's shape".into()));
        }
        Ok((gi, prog))
    }

    /// Gives group `gi` (and each of its goroutines) `spec` and `prog`.
    pub(crate) fn install_program(&mut self, gi: usize, spec: GoroutineSpec, prog: program::Program) {
        let prog = Rc::new(prog);
        for &m in &self.groups[gi].members {
            self.gs[m as usize].prog = prog.clone();
        }
        self.groups[gi].prog = prog;
        self.groups[gi].spec = spec;
    }

    pub(crate) fn compile_spec(&self, spec: &GoroutineSpec) -> Result<program::Program, CommandError> {
        let problems = check_group(spec, "", &self.names());
        if !problems.is_empty() {
            return Err(CommandError::Invalid(problems.iter().map(|p| p.message.clone()).collect()));
        }
        program::compile(&spec.behavior.program(), &self.names())
            .map_err(|errs| CommandError::Invalid(errs.into_iter().map(|e| e.message).collect()))
    }

    pub(crate) fn alive_total(&self) -> u64 {
        self.gs.iter().filter(|g| g.state != GState::Removed).count() as u64
    }

    /// Adds a channel a client library makes (not for live edits), with
    /// `capacity`; the caller checks the channel limit.
    pub(crate) fn add_library_chan(&mut self, name: String, capacity: u32) -> ChanId {
        let ch = self.chans.len() as u32;
        self.library_chans.push(ch);
        self.chans.push(crate::gochan::channel::Channel::new(capacity));
        self.chan_names.push(name);
        self.reserve_stuck_scratch();
        ch
    }

    /// Adds a group a client library runs (go-nsq's read loops, sarama's
    /// stages): commands may pause its goroutines but not remove, count or
    /// re-time them.
    pub(crate) fn add_library_group(&mut self, k: &mut Kit, spec: GoroutineSpec, library: &'static str) -> Result<(), CommandError> {
        self.add_group(k, spec)?;
        if let Some(g) = self.groups.last_mut() {
            g.library = Some(library);
        }
        Ok(())
    }

    /// Refuses a command that would remove, count or re-time goroutines of
    /// group `gi` when a client library runs it.
    fn not_library_group(&self, gi: usize, what: &str) -> Result<(), CommandError> {
        match self.groups[gi].library {
            Some(lib) => Err(CommandError::NotApplicable(format!(
                "{} is run by {lib}, not by the scenario's code: {what}",
                crate::time::echo(&self.groups[gi].spec.name)
            ))),
            None => Ok(()),
        }
    }

    /// Adds a group and spawns its instances.
    pub(crate) fn add_group(&mut self, k: &mut Kit, spec: GoroutineSpec) -> Result<(), CommandError> {
        if self.groups.len() >= limits::MAX_GROUPS {
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
        self.groups.push(Group { spec, prog, members: Vec::new(), next_index: 1, library: None });
        let gi = self.groups.len() - 1;
        for _ in 0..count {
            self.spawn(k, gi);
        }
        Ok(())
    }

    fn spawn(&mut self, k: &mut Kit, gi: usize) {
        let now = k.queue.now();
        let group = &mut self.groups[gi];
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
            if !self.g_names.contains_key(&name) {
                break name;
            }
        };
        let g = self.gs.len() as GoId;
        self.g_names.insert(name.clone(), g);
        self.gs.push(G {
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
            budget: OP_BUDGET,
            budget_at: now,
            deferred_run: false,
            stuck: false,
            c: Default::default(),
        });
        group.members.push(g);
        // `wg.Add(1)` happens before `go f()`, in the spawner.
        if let Some(wg) = group.spec.behavior.spawn_wg() {
            if let Some(w) = self.wgs.iter_mut().find(|w| w.name == wg) {
                w.counter = w.counter.saturating_add(1);
                let counter = w.counter;
                k.record(EventKind::WgAdd, g, NONE, None, counter);
            }
        }
        k.record(EventKind::Spawned, g, NONE, None, 0);
        self.schedule_g(k, g, now, Ev::Run(g));
    }

    /// Group `group` runs `count` goroutines: new ones start, the newest go.
    /// (Also how a library stops and restarts its own goroutines.)
    pub(crate) fn set_count(&mut self, k: &mut Kit, group: &str, count: u32) -> Result<(), CommandError> {
        let gi = self.group_index(group)?;
        let current = self.groups[gi].members.len() as u32;
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
            self.spawn(k, gi);
        }
        for _ in count..current {
            let newest = *self.groups[gi].members.last().expect("current > count members");
            self.remove_goroutine(k, newest);
        }
        Ok(())
    }

    /// Removes a goroutine: withdraws its parked op, drops what it held.
    pub(crate) fn remove_goroutine(&mut self, k: &mut Kit, g: GoId) {
        let gi = g as usize;
        self.cancel_g(k, g);
        self.withdraw_everywhere(g);
        for w in self.wgs.iter_mut() {
            w.waiters.retain(|&x| x != g);
        }
        self.drop_held(k, g, DropCause::Removed);
        let now = k.queue.now();
        self.set_state(g, GState::Removed, now);
        self.gs[gi].stuck = false;
        k.record(EventKind::Removed, g, NONE, None, 0);
        let group = self.gs[gi].group as usize;
        self.groups[group].members.retain(|&m| m != g);
    }
}
