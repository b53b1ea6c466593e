//! Property tests, in the spirit of sled's model tests.
//!
//! 1. **Channel vs oracle.** Random operation sequences (blocking and
//!    non-blocking sends/receives, selects parked on both sides or on two
//!    send cases, close, capacity changes, withdrawals) are applied to
//!    [`Channel`] and to a naive model of Go's rules written differently: the
//!    channel is one FIFO *line* of values, buffered ones first, then those
//!    of parked senders; a receive always takes the head of the line, and
//!    whenever the buffer has room the first parked value moves in. Outcomes,
//!    contents, queues and counters must agree after every operation, the
//!    channel's invariant must hold, and `len <= cap` unless a shrink left
//!    more items than the new capacity (which then only drain).
//! 2. **Random worlds.** Random scenarios (1-4 channels of capacity 0-5,
//!    1-6 groups of producers, consumers, stages and select loops with small
//!    random times) plus random live commands at random times. Checked at
//!    every command and every 100 ms: conservation (produced = processed +
//!    filtered + dropped + live, and live = buffered + held), the queue
//!    invariants, `len <= cap` after shrinks, the run status; at the end:
//!    time never goes backwards, every channel is FIFO (values leave in the
//!    order they entered), no message is produced or received twice per
//!    hop; determinism (same inputs, same trace hash and snapshot) and exact
//!    replay from `scenario_with_log()`.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use queuelab::command::Command;
use queuelab::gochan::channel::{AlreadyClosed, Channel, ChanCounters, MsgRef, RecvOutcome, SendOutcome, Waiter};
use queuelab::observe::snapshot::{GState, Snapshot};
use queuelab::observe::trace::EventKind;
use queuelab::time::SimTime;
use queuelab::world::World;
use serde_json::{json, Value};

mod support;
use support::invariants::{check_snapshot, check_trace, Bounds, Ends};
use std::collections::{HashSet, VecDeque};

/// Shrunk failures are pinned in `core/proptest-regressions/props.txt`
/// (cargo runs tests from the crate root) and replayed first on every run.
/// `PROPTEST_CASES=n` overrides the case count (for long stress runs).
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(cases),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/props.txt"))),
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    }
}

// ===========================================================================
// 1. Channel vs a naive oracle
// ===========================================================================

#[derive(Clone, Debug)]
enum ChanOp {
    /// `ch <- v` by goroutine `g`: parks on `WouldBlock`.
    Send { g: u32 },
    /// `select { case ch <- v: default: }`.
    TrySend,
    /// `<-ch` by goroutine `g`: parks on `WouldBlock`.
    Recv { g: u32 },
    /// `select { case <-ch: default: }`.
    TryRecv,
    /// `select { case ch <- v: case <-ch: }` that cannot proceed: parks on both sides.
    SelectBoth { g: u32 },
    /// `select { case ch <- v: case ch <- v: }` that cannot proceed: parks twice.
    SelectTwoSends { g: u32 },
    Close,
    SetCap(u32),
    /// A removed goroutine (or a select completed elsewhere).
    Withdraw { g: u32 },
}

fn chan_op() -> impl Strategy<Value = ChanOp> {
    let g = 1u32..6;
    prop_oneof![
        4 => g.clone().prop_map(|g| ChanOp::Send { g }),
        2 => Just(ChanOp::TrySend),
        4 => g.clone().prop_map(|g| ChanOp::Recv { g }),
        2 => Just(ChanOp::TryRecv),
        1 => g.clone().prop_map(|g| ChanOp::SelectBoth { g }),
        1 => g.clone().prop_map(|g| ChanOp::SelectTwoSends { g }),
        1 => Just(ChanOp::Close),
        2 => (0u32..6).prop_map(ChanOp::SetCap),
        1 => g.prop_map(|g| ChanOp::Withdraw { g }),
    ]
}

/// One value in the line: buffered, or offered by a parked sender.
#[derive(Clone, Debug)]
struct Entry {
    v: MsgRef,
    sender: Option<Waiter>,
    buffered: bool,
}

/// Go's channel as one FIFO line of values plus a queue of parked receivers.
#[derive(Clone, Debug)]
struct Model {
    cap: u32,
    line: VecDeque<Entry>,
    recvq: VecDeque<Waiter>,
    closed: bool,
    counters: ChanCounters,
}

impl Model {
    fn new(cap: u32) -> Self {
        Model { cap, line: VecDeque::new(), recvq: VecDeque::new(), closed: false, counters: ChanCounters::default() }
    }
    fn len(&self) -> usize {
        self.line.iter().take_while(|e| e.buffered).count()
    }
    fn buffer(&self) -> Vec<MsgRef> {
        self.line.iter().filter(|e| e.buffered).map(|e| e.v).collect()
    }
    fn sendq(&self) -> Vec<Waiter> {
        self.line.iter().filter(|e| !e.buffered).map(|e| e.sender.expect("parked entry has a sender")).collect()
    }
    fn parked(&self, g: u32) -> bool {
        self.recvq.iter().any(|w| w.g == g) || self.sendq().iter().any(|w| w.g == g)
    }
    fn can_send(&self) -> bool {
        self.closed || !self.recvq.is_empty() || self.len() < self.cap as usize
    }
    fn can_recv(&self) -> bool {
        self.closed || !self.line.is_empty()
    }
    fn note_len(&mut self) {
        self.counters.max_len = self.counters.max_len.max(self.len() as u32);
    }
    /// Moves parked values into the buffer while it has room. A goroutine
    /// enters once: its other parked values (a select's other send cases) go.
    fn admit(&mut self) -> Vec<Waiter> {
        let mut out = Vec::new();
        loop {
            let n = self.len();
            if n >= self.cap as usize || n >= self.line.len() {
                break;
            }
            self.line[n].buffered = true;
            let w = self.line[n].sender.expect("parked entry has a sender");
            self.counters.sent += 1;
            let mut i = 0;
            self.line.retain(|e| {
                i += 1;
                i - 1 <= n || e.buffered || e.sender.map(|s| s.g) != Some(w.g)
            });
            out.push(w);
        }
        self.note_len();
        out
    }
    fn send(&mut self, v: MsgRef) -> SendOutcome {
        if self.closed {
            return SendOutcome::Closed;
        }
        if let Some(r) = self.recvq.pop_front() {
            self.counters.sent += 1;
            self.counters.received += 1;
            return SendOutcome::HandedOff(r);
        }
        if self.len() < self.cap as usize {
            self.line.push_back(Entry { v, sender: None, buffered: true });
            self.counters.sent += 1;
            self.note_len();
            return SendOutcome::Buffered;
        }
        SendOutcome::WouldBlock
    }
    fn recv(&mut self) -> RecvOutcome {
        match self.line.pop_front() {
            Some(e) if e.buffered => {
                self.counters.received += 1;
                let admitted = self.admit();
                assert!(admitted.len() <= 1, "one freed slot admits at most one sender");
                RecvOutcome::Got { value: e.v, from_sender: admitted.first().copied(), direct: false }
            }
            Some(e) => {
                self.counters.sent += 1;
                self.counters.received += 1;
                RecvOutcome::Got { value: e.v, from_sender: e.sender, direct: true }
            }
            None if self.closed => RecvOutcome::Closed,
            None => RecvOutcome::WouldBlock,
        }
    }
    fn close(&mut self) -> Result<(Vec<Waiter>, Vec<Waiter>), AlreadyClosed> {
        if self.closed {
            return Err(AlreadyClosed);
        }
        self.closed = true;
        let receivers = self.recvq.drain(..).collect();
        let senders = self.sendq();
        self.line.retain(|e| e.buffered);
        Ok((receivers, senders))
    }
    fn set_cap(&mut self, cap: u32) -> Vec<Waiter> {
        self.cap = cap;
        self.admit()
    }
    fn withdraw(&mut self, g: u32) -> Vec<MsgRef> {
        self.recvq.retain(|w| w.g != g);
        let offered = self.line.iter().filter(|e| !e.buffered && e.sender.unwrap().g == g).map(|e| e.v).collect();
        self.line.retain(|e| e.buffered || e.sender.unwrap().g != g);
        offered
    }
}

struct Harness {
    real: Channel,
    model: Model,
    next_v: MsgRef,
    /// A shrink left more items than the capacity; they may only drain.
    overfull: bool,
}

impl Harness {
    fn value(&mut self) -> MsgRef {
        self.next_v += 1;
        self.next_v
    }

    /// A woken goroutine's other waits are withdrawn (the world's
    /// `end_select_wait`; a no-op for a plain send/receive).
    fn woke(&mut self, g: u32) {
        self.real.withdraw(g, &mut Vec::new());
        self.model.withdraw(g);
    }

    fn park_sender(&mut self, w: Waiter) {
        self.real.park_sender(w);
        self.model.line.push_back(Entry { v: w.value.unwrap(), sender: Some(w), buffered: false });
    }

    fn park_receiver(&mut self, w: Waiter) {
        self.real.park_receiver(w);
        self.model.recvq.push_back(w);
    }

    fn send(&mut self, g: u32, park: bool) {
        let v = self.value();
        let (r, m) = (self.real.try_send(v), self.model.send(v));
        assert_eq!(r, m, "send outcome");
        match r {
            SendOutcome::HandedOff(w) => self.woke(w.g),
            SendOutcome::WouldBlock if park => self.park_sender(Waiter { g, case: 0, value: Some(v) }),
            _ => {}
        }
    }

    fn recv(&mut self, g: u32, park: bool) {
        let (r, m) = (self.real.try_recv(), self.model.recv());
        assert_eq!(r, m, "receive outcome");
        match r {
            RecvOutcome::Got { from_sender: Some(s), .. } => self.woke(s.g),
            RecvOutcome::WouldBlock if park => self.park_receiver(Waiter { g, case: 0, value: None }),
            _ => {}
        }
    }

    fn apply(&mut self, op: &ChanOp) {
        assert_eq!(self.real.can_send(), self.model.can_send(), "can_send");
        assert_eq!(self.real.can_recv(), self.model.can_recv(), "can_recv");
        match *op {
            ChanOp::Send { g } | ChanOp::Recv { g } | ChanOp::SelectBoth { g } | ChanOp::SelectTwoSends { g }
                if self.model.parked(g) => {} // a parked goroutine does nothing else
            ChanOp::Send { g } => self.send(g, true),
            ChanOp::TrySend => self.send(0, false),
            ChanOp::Recv { g } => self.recv(g, true),
            ChanOp::TryRecv => self.recv(0, false),
            ChanOp::SelectBoth { g } => {
                if !self.real.can_send() && !self.real.can_recv() {
                    let v = self.value();
                    self.park_sender(Waiter { g, case: 0, value: Some(v) });
                    self.park_receiver(Waiter { g, case: 1, value: None });
                }
            }
            ChanOp::SelectTwoSends { g } => {
                if !self.real.can_send() {
                    let v = self.value();
                    self.park_sender(Waiter { g, case: 0, value: Some(v) });
                    self.park_sender(Waiter { g, case: 1, value: Some(v) });
                }
            }
            ChanOp::Close => {
                let (mut rs, mut ss) = (Vec::new(), Vec::new());
                let real = self.real.close(&mut rs, &mut ss).map(|()| (rs, ss));
                let model = self.model.close();
                assert_eq!(real, model, "close");
                if let Ok((rs, ss)) = real {
                    for w in rs.iter().chain(ss.iter()) {
                        self.woke(w.g);
                    }
                }
            }
            ChanOp::SetCap(cap) => {
                if (cap as usize) < self.real.len() as usize {
                    self.overfull = true;
                }
                let mut admitted = Vec::new();
                self.real.set_cap(cap, &mut admitted);
                assert_eq!(admitted, self.model.set_cap(cap), "admitted senders");
                for w in admitted {
                    self.woke(w.g);
                }
            }
            ChanOp::Withdraw { g } => {
                let mut offered = Vec::new();
                self.real.withdraw(g, &mut offered);
                assert_eq!(offered, self.model.withdraw(g), "withdrawn values");
            }
        }
        self.check();
    }

    fn check(&mut self) {
        let (real, model) = (&self.real, &self.model);
        assert_eq!(real.cap(), model.cap);
        assert_eq!(real.len() as usize, model.len());
        assert_eq!(real.buffer().collect::<Vec<_>>(), model.buffer(), "buffer contents");
        assert_eq!(real.sendq().copied().collect::<Vec<_>>(), model.sendq(), "sendq");
        assert_eq!(real.recvq().copied().collect::<Vec<_>>(), model.recvq.iter().copied().collect::<Vec<_>>(), "recvq");
        assert_eq!(real.is_closed(), model.closed);
        assert_eq!(real.counters, model.counters, "counters");
        assert!(
            model.line.iter().skip_while(|e| e.buffered).all(|e| !e.buffered),
            "oracle: buffered values precede parked ones"
        );
        assert!(real.invariant_holds(), "invariant broken: {real:?}");
        // Nothing duplicated: buffered values are distinct and never also
        // offered by a parked sender; a value offered twice belongs to one
        // select (two send cases).
        let buffered: Vec<MsgRef> = real.buffer().collect();
        let offered: Vec<Waiter> = real.sendq().copied().collect();
        let distinct: HashSet<MsgRef> = buffered.iter().copied().collect();
        assert_eq!(distinct.len(), buffered.len(), "a value buffered twice");
        for w in &offered {
            assert!(!distinct.contains(&w.value.unwrap()), "a value both buffered and offered");
            assert!(offered.iter().all(|x| x.value != w.value || x.g == w.g), "two goroutines offer one value");
        }
        if real.len() <= real.cap() {
            self.overfull = false;
        }
        assert!(real.len() <= real.cap() || self.overfull, "len {} > cap {} without a shrink", real.len(), real.cap());
    }
}

proptest! {
    #![proptest_config(config(600))]

    #[test]
    fn channel_matches_the_line_oracle(cap in 0u32..5, ops in prop::collection::vec(chan_op(), 1..80)) {
        let mut h = Harness { real: Channel::new(cap), model: Model::new(cap), next_v: 100, overfull: false };
        for op in &ops {
            h.apply(op);
        }
        // Drain what is left: everything comes out in line order.
        let expected: Vec<MsgRef> = h.model.line.iter().map(|e| e.v).collect();
        let mut got = Vec::new();
        while let RecvOutcome::Got { value, from_sender, .. } = h.real.try_recv() {
            got.push(value);
            if let Some(s) = from_sender {
                h.real.withdraw(s.g, &mut Vec::new());
            }
        }
        let mut expected_dedup = Vec::new();
        for v in expected {
            if expected_dedup.last() != Some(&v) {
                expected_dedup.push(v);
            }
        }
        prop_assert_eq!(got, expected_dedup);
    }
}

// ===========================================================================
// 2. Random worlds
// ===========================================================================

/// A small duration distribution, in milliseconds.
#[derive(Clone, Debug)]
enum D {
    Const(u8),
    Uniform(u8, u8),
    Exp(u8),
}

impl D {
    fn json(&self) -> Value {
        match *self {
            D::Const(ms) => json!(format!("{ms}ms")),
            D::Uniform(a, b) => json!({"uniform": {"min": format!("{a}ms"), "max": format!("{}ms", u16::from(a) + u16::from(b))}}),
            D::Exp(mean) => json!({"exponential": {"mean": format!("{mean}ms")}}),
        }
    }
}

/// Never zero on average (paces a loop).
fn pace() -> impl Strategy<Value = D> {
    prop_oneof![(1u8..20).prop_map(D::Const), (0u8..5, 1u8..15).prop_map(|(a, b)| D::Uniform(a, b)), (1u8..20).prop_map(D::Exp)]
}

/// May be zero (work time).
fn work() -> impl Strategy<Value = D> {
    prop_oneof![(0u8..20).prop_map(D::Const), (0u8..5, 0u8..15).prop_map(|(a, b)| D::Uniform(a, b)), (1u8..20).prop_map(D::Exp)]
}

#[derive(Clone, Debug)]
enum Kind {
    /// `wg`: the template's `wg.Add(1)` before start and `wg.Done()` at the end.
    Producer { to: usize, interval: D, count: Option<u8>, drop: bool, close: bool, wg: bool },
    Consumer { from: usize, work: D, timeout: Option<D>, wg: bool },
    Stage { from: usize, to: usize, work: D, wg: bool },
    /// `wg.Wait(); close(ch)`.
    Closer { ch: usize },
    /// Prime-sieve filter.
    Filter { from: usize, to: usize },
    /// `for { select { cases...; [after]; [default] }; sleep(pause) }`.
    Select { cases: Vec<(bool, usize, bool)>, after: Option<D>, default: bool, pause: D },
}

#[derive(Clone, Debug)]
struct Group {
    kind: Kind,
    count: u32,
}

fn kind(nch: usize) -> impl Strategy<Value = Kind> {
    let ch = 0..nch;
    prop_oneof![
        3 => (ch.clone(), pace(), prop::option::weighted(0.5, 1u8..30), prop::bool::weighted(0.3), prop::bool::weighted(0.1), prop::bool::weighted(0.3))
            .prop_map(|(to, interval, count, drop, close, wg)| Kind::Producer { to, interval, count, drop, close, wg }),
        3 => (ch.clone(), work(), prop::option::weighted(0.3, pace()), prop::bool::weighted(0.2))
            .prop_map(|(from, work, timeout, wg)| Kind::Consumer { from, work, timeout, wg }),
        1 => ch.clone().prop_map(|ch| Kind::Closer { ch }),
        // Filters only feed higher-numbered channels: a filter cycle (with
        // no work time) would spin forever at one instant, as it would in Go.
        1 => (ch.clone(), ch.clone(), work()).prop_map(|(a, b, work)| match a.cmp(&b) {
            std::cmp::Ordering::Less => Kind::Filter { from: a, to: b },
            std::cmp::Ordering::Greater => Kind::Filter { from: b, to: a },
            std::cmp::Ordering::Equal => Kind::Consumer { from: a, work, timeout: None, wg: false },
        }),
        // A stage's work is never zero: stages feeding each other in a
        // cycle with zero work would spin forever at one instant (as in Go).
        2 => (ch.clone(), ch.clone(), pace(), prop::bool::weighted(0.2))
            .prop_map(|(from, to, work, wg)| Kind::Stage { from, to, work, wg }),
        2 => (prop::collection::vec((any::<bool>(), ch, prop::bool::weighted(0.3)), 1..4),
              prop::option::weighted(0.4, pace()), prop::bool::weighted(0.3), pace())
            .prop_map(|(cases, after, default, pause)| Kind::Select { cases, after, default, pause }),
    ]
}

#[derive(Clone, Debug)]
enum Cmd {
    SetCap { ch: usize, cap: u32 },
    SetCount { group: usize, count: u32 },
    Remove { target: usize },
    Pause { target: usize },
    Resume { target: usize },
    Close { ch: usize },
    SetRates { group: usize, d: D },
    /// A new consumer group on a channel.
    AddConsumer { from: usize, work: D },
}

fn cmd() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        4 => (0usize..4, 0u32..7).prop_map(|(ch, cap)| Cmd::SetCap { ch, cap }),
        3 => (0usize..6, 1u32..4).prop_map(|(group, count)| Cmd::SetCount { group, count }),
        2 => any::<usize>().prop_map(|target| Cmd::Remove { target }),
        2 => any::<usize>().prop_map(|target| Cmd::Pause { target }),
        3 => any::<usize>().prop_map(|target| Cmd::Resume { target }),
        1 => (0usize..4).prop_map(|ch| Cmd::Close { ch }),
        2 => (0usize..6, pace()).prop_map(|(group, d)| Cmd::SetRates { group, d }),
        1 => (0usize..4, work()).prop_map(|(from, work)| Cmd::AddConsumer { from, work }),
    ]
}

#[derive(Clone, Debug)]
struct WorldCase {
    seed: u64,
    caps: Vec<u32>,
    groups: Vec<Group>,
    /// (ms, command), applied in time order.
    script: Vec<(u64, Cmd)>,
}

fn world_case() -> impl Strategy<Value = WorldCase> {
    (1usize..=4)
        .prop_flat_map(|nch| {
            (
                any::<u64>(),
                prop::collection::vec(0u32..=5, nch),
                prop::collection::vec((kind(nch), 1u32..=3).prop_map(|(kind, count)| Group { kind, count }), 1..=6),
                prop::collection::vec((0u64..1500, cmd()), 0..12),
            )
        })
        .prop_map(|(seed, caps, groups, mut script)| {
            script.sort_by_key(|(t, _)| *t);
            WorldCase { seed, caps, groups, script }
        })
}

fn ch_name(i: usize) -> String {
    format!("ch{i}")
}

fn scenario(case: &WorldCase) -> Value {
    let channels: Vec<Value> =
        case.caps.iter().enumerate().map(|(i, c)| json!({"name": ch_name(i), "capacity": c})).collect();
    let goroutines: Vec<Value> = case
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let behavior = match &g.kind {
                Kind::Producer { to, interval, count, drop, close, wg } => {
                    let mut p = json!({"to": ch_name(*to), "interval": interval.json(), "drop_when_full": drop, "close_when_done": close});
                    if let Some(n) = count {
                        p["count"] = json!(n);
                    }
                    if *wg {
                        p["wg"] = json!("wg");
                    }
                    json!({"producer": p})
                }
                Kind::Consumer { from, work, timeout, wg } => {
                    let mut c = json!({"from": ch_name(*from), "work": work.json()});
                    if let Some(t) = timeout {
                        c["timeout"] = t.json();
                    }
                    if *wg {
                        c["wg"] = json!("wg");
                    }
                    json!({"consumer": c})
                }
                Kind::Stage { from, to, work, wg } => {
                    let mut st = json!({"from": ch_name(*from), "to": ch_name(*to), "work": work.json()});
                    if *wg {
                        st["wg"] = json!("wg");
                    }
                    json!({"stage": st})
                }
                Kind::Closer { ch } => json!({"closer": {"wait": "wg", "close": ch_name(*ch)}}),
                Kind::Filter { from, to } => json!({"sieve_filter": {"from": ch_name(*from), "to": ch_name(*to)}}),
                Kind::Select { cases, after, default, pause } => {
                    let cases: Vec<Value> = cases
                        .iter()
                        .map(|&(send, ch, brk)| {
                            if send {
                                json!({"send": ch_name(ch)})
                            } else {
                                json!({"recv": ch_name(ch), "break_on_close": brk})
                            }
                        })
                        .collect();
                    let mut sel = json!({"cases": cases});
                    if let Some(a) = after {
                        sel["after"] = json!({"wait": a.json()});
                    }
                    if *default {
                        sel["default"] = json!([]);
                    }
                    json!({"program": [{"forever": [{"select": sel}, {"sleep": pause.json()}]}]})
                }
            };
            json!({"name": format!("g{i}"), "count": g.count, "behavior": behavior})
        })
        .collect();
    json!({
        "seed": case.seed,
        "trace_capacity": 1_000_000,
        "channels": channels,
        "waitgroups": ["wg"],
        "goroutines": goroutines,
    })
}

const END_MS: u64 = 2_000;

fn ms(n: u64) -> SimTime {
    SimTime::from_micros(n * 1_000)
}

/// Turns a scripted command into a live command against the current world
/// (targets are picked among the goroutines that exist now).
fn command(c: &Cmd, s: &Snapshot, ngroups: usize, index: usize) -> Option<Command> {
    let target = |i: usize| -> Option<String> {
        (!s.goroutines.is_empty()).then(|| s.goroutines[i % s.goroutines.len()].name.clone())
    };
    let nch = s.channels.len();
    Some(match c {
        Cmd::SetCap { ch, cap } => Command::SetCapacity { channel: ch_name(ch % nch), capacity: *cap },
        Cmd::SetCount { group, count } => Command::SetCount { group: format!("g{}", group % ngroups), count: *count },
        Cmd::Remove { target: t } => Command::RemoveGoroutine { goroutine: target(*t)? },
        Cmd::Pause { target: t } => Command::Pause { goroutine: target(*t)? },
        Cmd::Resume { target: t } => Command::Resume { goroutine: target(*t)? },
        Cmd::Close { ch } => Command::CloseChannel { channel: ch_name(ch % nch) },
        Cmd::SetRates { group, d } => Command::SetRates {
            group: format!("g{}", group % ngroups),
            interval: Some(serde_json::from_value(d.json()).unwrap()),
            work: None,
        },
        Cmd::AddConsumer { from, work } => Command::AddGoroutine {
            spec: serde_json::from_value(json!({"name": format!("x{index}"), "behavior": {"consumer": {
                "from": ch_name(from % nch), "work": work.json()}}}))
            .unwrap(),
        },
    })
}

/// Runs the case's script; with `check`, checks every snapshot on the way.
fn run_case(case: &WorldCase, check: bool) -> Result<World, TestCaseError> {
    let mut w = World::from_json(&scenario(case).to_string()).map_err(|e| TestCaseError::fail(format!("{e}")))?;
    let mut bounds = Bounds { allowed: case.caps.clone() };
    let mut points: Vec<(u64, Option<(usize, &Cmd)>)> =
        case.script.iter().enumerate().map(|(i, (t, c))| (*t, Some((i, c)))).collect();
    // Checkpoints off the 100ms sample grid too, so a stale stuck flag shows.
    points.extend((1..=END_MS / 70).map(|k| (k * 70, None)));
    points.sort_by_key(|(t, c)| (*t, c.is_none()));
    // Goroutines flagged stuck at the last checkpoint, with what they had
    // done by then: without a command in between, they must not move.
    let mut stuck: Vec<(u32, u32, GState, u64, u64)> = Vec::new();
    // Paused goroutines: at most the operation they were parked in (or the
    // work they were doing) completes; then they stop.
    let mut paused: Vec<(u32, u64)> = Vec::new();
    for (t, c) in points {
        run_to(&mut w, ms(t))?;
        if check {
            let s = w.snapshot();
            check_snapshot(&s, &mut bounds, Ends::NEVER)?;
            for &(id, pc, state, sent, received) in &stuck {
                let g = s.goroutines.iter().find(|g| g.id == id).expect("stuck goroutines are never removed without a command");
                prop_assert!(
                    (g.pc, g.state, g.sent, g.received) == (pc, state, sent, received),
                    "{} was flagged stuck forever but moved on: {}", g.name, g.state_text
                );
            }
            stuck = s.goroutines.iter().filter(|g| g.stuck).map(|g| (g.id, g.pc, g.state, g.sent, g.received)).collect();
            for &(id, ops) in &paused {
                let g = s.goroutines.iter().find(|g| g.id == id).expect("paused goroutines are not removed without a command");
                prop_assert!(g.paused, "{} resumed by itself", g.name);
                prop_assert!(g.sent + g.received <= ops + 1, "{} kept running while paused: {}", g.name, g.state_text);
            }
            paused = s.goroutines.iter().filter(|g| g.paused).map(|g| (g.id, g.sent + g.received)).collect();
        }
        let Some((index, c)) = c else { continue };
        let before = w.snapshot();
        let Some(cmd) = command(c, &before, case.groups.len(), index) else { continue };
        let hash = w.trace_hash();
        match w.apply(&cmd) {
            Ok(()) => {
                stuck.clear();
                paused.clear();
                if check {
                    let after = w.snapshot();
                    if matches!(cmd, Command::SetCapacity { .. }) {
                        bounds.after_capacity_change(&after);
                    }
                    check_snapshot(&after, &mut bounds, Ends::NEVER)?;
                }
            }
            Err(e) => {
                prop_assert!(!e.to_string().is_empty());
                if check {
                    prop_assert_eq!(w.trace_hash(), hash, "a refused command ({}) changed the trace", e);
                    prop_assert!(w.snapshot() == before, "a refused command ({}) changed the world", e);
                }
            }
        }
    }
    run_to(&mut w, ms(END_MS))?;
    if check {
        check_snapshot(&w.snapshot(), &mut bounds, Ends::NEVER)?;
    }
    Ok(w)
}

/// `run_until` in 1ms slices that fails fast if a goroutine spins at one
/// instant (a generator bug: the engine would then spin 10,000 ops per ms).
fn run_to(w: &mut World, t: SimTime) -> Result<(), TestCaseError> {
    while w.now() < t && w.is_running() {
        w.run_until((w.now() + queuelab::time::SimDuration::from_micros(1_000)).min(t));
        let spun = w.trace().events().next_back().is_some_and(|e| e.kind == EventKind::Yield);
        prop_assert!(!spun, "a goroutine spins without waiting (generator bug)");
    }
    w.run_until(t);
    Ok(())
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn random_worlds_keep_every_invariant(case in world_case()) {
        let w = run_case(&case, true)?;
        check_trace(&w)?;

        // Determinism: the same inputs give the same run.
        let again = run_case(&case, false)?;
        prop_assert_eq!(w.trace_hash(), again.trace_hash());
        prop_assert!(w.snapshot() == again.snapshot(), "same inputs, different snapshot");

        // Exact replay from the shared scenario (live commands in its log).
        let shared = w.scenario_with_log();
        let mut replay = World::new(&shared).map_err(|e| TestCaseError::fail(format!("log does not load: {e}")))?;
        replay.run_until(ms(END_MS));
        prop_assert_eq!(w.trace_hash(), replay.trace_hash(), "replay diverged");
        prop_assert!(w.snapshot() == replay.snapshot(), "replay snapshot differs");
        // And the log survives JSON.
        let mut replay2 = World::from_json(&shared.to_json()).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        replay2.run_until(ms(END_MS));
        prop_assert_eq!(w.trace_hash(), replay2.trace_hash(), "replay through JSON diverged");
    }
}
