//! The Go runtime's state: goroutines ([`G`]) with their programs and
//! counters, their groups (one scenario entry, its instances), WaitGroups,
//! and channels, gathered in [`GoRuntime`], the part of a world that is
//! Go's. The world owns one and lends it the kernel (event queue, RNG,
//! ledger) when an event is Go's.

use crate::gochan::channel::{Channel, GoId, MsgRef};
use crate::gochan::program::{Program, MAX_LOOP_DEPTH};
use crate::kernel::{EventQueue, TimerId};
use crate::observe::snapshot::{GState, RunStatus};
use crate::scenario::{GoroutineSpec, Scenario};
use crate::time::SimTime;
use crate::world::{Ev, Kit};
use std::rc::Rc;

/// Number of [`GState`]s (`Removed` is the last).
pub(crate) const STATES: usize = GState::Removed as usize + 1;

#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Counters {
    pub(crate) sent: u64,
    pub(crate) received: u64,
    /// µs spent in each state, indexed by `GState as usize`: charging a
    /// state change is one indexed add, not a branch on the old state.
    pub(crate) time_in: [u64; STATES],
}

impl Counters {
    pub(crate) fn time_in(&self, s: GState) -> u64 {
        self.time_in[s as usize]
    }
    pub(crate) fn blocked_other(&self) -> u64 {
        self.time_in(GState::BlockedSelect) + self.time_in(GState::BlockedWait) + self.time_in(GState::BlockedNet)
    }
}

#[derive(Clone, Debug)]
pub(crate) struct G {
    pub(crate) name: String,
    pub(crate) group: u32,
    pub(crate) prog: Rc<Program>,
    pub(crate) pc: u32,
    pub(crate) state: GState,
    pub(crate) since: SimTime,
    pub(crate) spawned: SimTime,
    /// Channel (blocked send/recv) or WaitGroup (blocked wait).
    pub(crate) wait: u32,
    /// Wake time of work/sleep, or the select timeout.
    pub(crate) until: SimTime,
    pub(crate) timer: Option<TimerId>,
    pub(crate) held: Option<MsgRef>,
    /// Where a select parked on each of its cases (channel, send side,
    /// ticket): withdrawing the others when one completes is O(1) each.
    pub(crate) parked: Vec<(u32, bool, crate::gochan::waitq::Ticket)>,
    pub(crate) divisor: i64,
    pub(crate) next_value: i64,
    pub(crate) loops: [u64; MAX_LOOP_DEPTH],
    pub(crate) paused: bool,
    /// Steps left at the instant `budget_at` (see the progress guarantee).
    pub(crate) budget: u32,
    pub(crate) budget_at: SimTime,
    /// A run arrived while paused: run on resume.
    pub(crate) deferred_run: bool,
    pub(crate) stuck: bool,
    pub(crate) c: Counters,
}

/// Schedules `gr`'s one pending event (a free function over the fields it
/// touches, so the executor can call it while it holds the goroutine).
#[inline(always)]
pub(crate) fn schedule_for(queue: &mut EventQueue<Ev>, g_pending: &mut u32, gr: &mut G, at: SimTime, ev: Ev) {
    debug_assert!(gr.timer.is_none(), "one pending event per goroutine");
    gr.timer = Some(queue.schedule(at, ev));
    *g_pending += 1;
}

impl G {
    /// Changes the state, charging the time spent in the old one.
    #[inline(always)]
    pub(crate) fn enter(&mut self, state: GState, now: SimTime) {
        self.c.time_in[self.state as usize] += (now - self.since).as_micros();
        self.state = state;
        self.since = now;
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub(crate) spec: GoroutineSpec,
    pub(crate) prog: Rc<Program>,
    pub(crate) members: Vec<GoId>,
    pub(crate) next_index: u32,
    /// The client library that runs this group ("sarama's AsyncProducer"),
    /// or `None` for the scenario's own code. A library's goroutines cannot
    /// be removed, counted or re-timed by commands: the library makes them.
    pub(crate) library: Option<&'static str>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Wg {
    pub(crate) name: String,
    pub(crate) counter: i64,
    pub(crate) waiters: Vec<GoId>,
}

/// In a goroutine's `wait` while it is in `BlockedNet`: set when it waits
/// for a message on a connection (the low bits name the connection),
/// clear when it waits for a node's response (the low bits name the node).
pub(crate) const NSQ_READ: u32 = 1 << 31;
/// In a goroutine's `wait` while it is in `BlockedNet` on Kafka: bits
/// 0-15 the broker id it waits for (0: none known yet), bits 16-18 what
/// for ([`KAFKA_WHAT`]: [`KAFKA_PRODUCE`] with the acks in bits 20-21
/// ([`KAFKA_ACKS_SHIFT`]), [`KAFKA_FETCH`], ...).
pub(crate) const KAFKA_WAIT: u32 = 1 << 30;
/// Where a [`KAFKA_PRODUCE`] wait keeps its acks (0, 1, 2 = all), clear
/// of [`KAFKA_WHAT`].
pub(crate) const KAFKA_ACKS_SHIFT: u32 = 20;
pub(crate) const KAFKA_PRODUCE: u32 = 1 << 16;
pub(crate) const KAFKA_FETCH: u32 = 2 << 16;
/// An async producer's stage waiting for room in its batch (bits 16-18;
/// bits 0-15 the broker).
pub(crate) const KAFKA_ROOM: u32 = 3 << 16;
/// An async producer's bridge waiting for a response (bits 16-18).
pub(crate) const KAFKA_RESULT: u32 = 3 << 16 | 1 << 18;
/// An async producer's topic producer while its partitioner picks (bits
/// 16-18; resolved in the same instant).
pub(crate) const KAFKA_ROUTE: u32 = 4 << 16;
/// An async producer's partition producer while it picks its broker
/// producer (bits 16-18; resolved in the same instant).
pub(crate) const KAFKA_LEAD: u32 = 5 << 16;
/// An async producer's broker producer asking for the next message of the
/// response it returns (bits 16-18; resolved in the same instant).
pub(crate) const KAFKA_NEXT: u32 = 6 << 16;
/// The bits of a Kafka wait that say what for.
pub(crate) const KAFKA_WHAT: u32 = 7 << 16;

/// Everything of a world that is Go's: channels, WaitGroups, goroutines
/// and their groups, plus the executor's scratch buffers.
#[derive(Clone, Debug)]
pub(crate) struct GoRuntime {
    pub(crate) chans: Vec<Channel>,
    pub(crate) chan_names: Vec<String>,
    pub(crate) wgs: Vec<Wg>,
    pub(crate) gs: Vec<G>,
    /// Every goroutine name ever given (names are never reused) and its id:
    /// spawning and commands look names up here, not by scanning `gs`.
    pub(crate) g_names: std::collections::BTreeMap<String, GoId>,
    pub(crate) groups: Vec<Group>,
    /// The scenario's nsqd nodes, by index (`publish` names them).
    pub(crate) nsqd_names: Vec<String>,
    /// nsqlookupd names, in scenario order (for event texts).
    pub(crate) lookupd_names: Vec<String>,
    /// NSQ consumer connections, by index: (consumer, node index).
    pub(crate) nsq_conns: Vec<(String, u32)>,
    /// Channels a client library made (go-nsq's `incomingMessages`): not
    /// for live edits.
    pub(crate) library_chans: Vec<u32>,
    /// The `kafka` section's names, for compiling programs that use them.
    pub(crate) kafka_names: Option<std::rc::Rc<crate::kafka::spec::KafkaNames>>,
    /// Goroutines of a client library the model does not run, which keep
    /// a Go program from being "all asleep" (sarama's client: its
    /// metadata updater ticks every 10 minutes).
    pub(crate) background: u32,
    /// Goroutine events pending (runs, wakes, select timeouts).
    pub(crate) g_pending: u32,
    // Scratch buffers reused by the hot path (no allocation per event).
    pub(crate) scratch_waiters: Vec<crate::gochan::channel::Waiter>,
    pub(crate) scratch_waiters2: Vec<crate::gochan::channel::Waiter>,
    pub(crate) scratch_cases: Vec<u16>,
    pub(crate) scratch_msgs: Vec<MsgRef>,
    pub(crate) scratch_stuck: super::stuck::StuckScratch,
}

impl GoRuntime {
    /// The scenario's channels and WaitGroups; no goroutine yet (the world
    /// spawns the groups).
    pub(crate) fn new(scenario: &Scenario) -> GoRuntime {
        GoRuntime {
            chans: scenario.channels.iter().map(|c| Channel::new(c.capacity)).collect(),
            chan_names: scenario.channels.iter().map(|c| c.name.clone()).collect(),
            wgs: scenario.waitgroups.iter().map(|n| Wg { name: n.clone(), ..Wg::default() }).collect(),
            gs: Vec::new(),
            g_names: std::collections::BTreeMap::new(),
            groups: Vec::new(),
            nsqd_names: scenario.nsq.as_ref().map_or_else(Vec::new, |n| n.nsqd.iter().map(|d| d.name.clone()).collect()),
            lookupd_names: scenario.nsq.as_ref().map_or_else(Vec::new, |n| n.nsqlookupd.iter().map(|l| l.name.clone()).collect()),
            nsq_conns: scenario
                .nsq
                .iter()
                .flat_map(|n| n.connections().into_iter().map(|(c, node)| (n.consumers[c].name.clone(), node)))
                .collect(),
            library_chans: Vec::new(),
            kafka_names: None,
            background: u32::from(scenario.kafka.as_ref().is_some_and(|k| !k.producers.is_empty() || !k.consumers.is_empty() || !k.groups.is_empty())),
            g_pending: 0,
            scratch_waiters: Vec::new(),
            scratch_waiters2: Vec::new(),
            scratch_cases: Vec::new(),
            scratch_msgs: Vec::new(),
            scratch_stuck: Default::default(),
        }
    }

    /// `g`'s pending event fired (it has none now).
    #[inline(always)]
    pub(crate) fn event_fired(&mut self, g: GoId) {
        self.gs[g as usize].timer = None;
        self.g_pending -= 1;
    }

    /// Schedules `g`'s one pending event.
    pub(crate) fn schedule_g(&mut self, k: &mut Kit, g: GoId, at: SimTime, ev: Ev) {
        schedule_for(&mut k.queue, &mut self.g_pending, &mut self.gs[g as usize], at, ev);
    }

    /// Cancels `g`'s pending event, if any.
    pub(crate) fn cancel_g(&mut self, k: &mut Kit, g: GoId) {
        if let Some(id) = self.gs[g as usize].timer.take() {
            if k.queue.cancel(id) {
                self.g_pending -= 1;
            }
        }
    }

    /// Changes a goroutine's state, charging the time spent in the old one.
    pub(crate) fn set_state(&mut self, g: GoId, state: GState, now: SimTime) {
        self.gs[g as usize].enter(state, now);
    }

    /// Ends the program (panic, deadlock, main returned, finished,
    /// stopped): the run's status and when. Each live goroutine keeps the
    /// moment it entered its state: the views charge its time up to the end
    /// (`status_at`), and say how long it had been blocked then, not 0s.
    pub(crate) fn end(&mut self, k: &mut Kit, status: RunStatus, now: SimTime) {
        k.run.status = status;
        k.run.status_at = now;
    }
}
