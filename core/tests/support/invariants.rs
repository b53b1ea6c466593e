//! Invariants every world keeps, checked by the property tests
//! (`props.rs`) and the fuzzer (`fuzz.rs`) alike.

use proptest::prelude::*;
use queuelab::observe::snapshot::{GState, RunStatus, Snapshot};
use queuelab::observe::trace::EventKind;
use queuelab::time::SimTime;
use queuelab::world::World;
use std::collections::{HashMap, HashSet};

/// Which ends besides a panic, a deadlock and every goroutine returning a
/// world may reach.
#[derive(Clone, Copy, Debug)]
pub struct Ends {
    /// A goroutine named `main` exists: its return ends the program.
    pub main_returns: bool,
    /// A `stop_at`, or the end of simulated time, can be reached.
    pub stops: bool,
}

impl Ends {
    pub const NEVER: Ends = Ends { main_returns: false, stops: false };
}

/// Per channel: the most items the buffer may hold (its capacity, or more
/// right after a shrink, never growing until it is back under capacity).
pub struct Bounds {
    pub allowed: Vec<u32>,
}

impl Bounds {
    /// A capacity change may leave more items than the new capacity.
    pub fn after_capacity_change(&mut self, s: &Snapshot) {
        for (i, c) in s.channels.iter().enumerate() {
            self.allowed[i] = c.cap.max(c.len);
        }
    }
}

/// Invariants that hold in every snapshot.
pub fn check_snapshot(s: &Snapshot, bounds: &mut Bounds, ends: Ends) -> Result<(), TestCaseError> {
    let t = &s.totals;
    prop_assert_eq!(t.produced, t.processed + t.filtered + t.dropped + t.published + t.live, "conservation: {:?}", t);
    // Every value in a node's topics was published or is live (a PUB
    // accepted whose OK is still on its way back, or lost with a closed
    // connection, is in a topic and live or dropped); deleted topics
    // forget theirs. Per node: a redundant publish puts one value on
    // several nodes, once each.
    if let Some(nsq) = &s.nsq {
        // An MPUB in flight has all its messages in the topic but only
        // its first value in the Go ledger (the others enter it with the
        // answer): up to MAX_BATCH - 1 more per goroutine waiting on the
        // network.
        let waiting = s.goroutines.iter().filter(|g| g.state == queuelab::observe::snapshot::GState::BlockedNet).count() as u64;
        let mpub = waiting * u64::from(queuelab::gochan::program::MAX_BATCH - 1);
        for n in &nsq.nodes {
            let in_topics: u64 = n.topics.iter().map(|t| t.message_count).sum();
            prop_assert!(in_topics <= t.published + t.live + t.dropped + mpub, "nsq: {in_topics} in topics of {}, {} published, {} live", n.name, t.published, t.live);
        }
        // The guarantees partition what was published, channel by channel.
        for g in &nsq.guarantees {
            let lost: u64 = g.lost.iter().map(|(_, n)| n).sum();
            prop_assert_eq!(g.finished + g.live + lost, g.published, "guarantees of {}/{}", g.topic, g.channel);
        }
    }
    if let Some(k) = &s.kafka {
        check_kafka(k)?;
    }
    let buffered: u64 = s.channels.iter().map(|c| u64::from(c.len)).sum();
    let held = s.goroutines.iter().filter(|g| g.held.is_some()).count() as u64;
    prop_assert_eq!(t.live, buffered + held, "every live message is buffered or held by exactly one goroutine");
    prop_assert_eq!(t.live, t.buffered + t.processing + t.in_transit, "the totals' parts of live add up");
    prop_assert_eq!(t.buffered, buffered, "totals.buffered is what the buffers hold");
    let mut labels = HashSet::new();
    // NSQ hands out copies: every channel of a topic gets one (and a
    // timed-out message comes again), each a Go value with the published
    // value's label. So does Kafka: every reader of a partition (a
    // partition consumer, each group) fetches its own copy of a record,
    // and a rebalance hands uncommitted records out again. So labels are
    // unique only without NSQ and Kafka.
    let copies = s.nsq.is_some() || s.kafka.is_some();
    for l in s.channels.iter().flat_map(|c| c.buffer.iter().map(|m| m.label.clone())).chain(s.goroutines.iter().filter_map(|g| g.held.clone())) {
        prop_assert!(labels.insert(l.clone()) || copies, "message {} is in two places", l);
    }
    let mut names = HashSet::new();
    for g in &s.goroutines {
        prop_assert!(names.insert(g.name.as_str()), "two goroutines named {}", g.name);
    }
    let state: HashMap<u32, GState> = s.goroutines.iter().map(|g| (g.id, g.state)).collect();
    for (i, c) in s.channels.iter().enumerate() {
        if bounds.allowed.len() <= i {
            // A channel made by `add_channel` since the last check: it was
            // made empty, with this capacity at most since.
            bounds.allowed.push(c.cap);
        }
        prop_assert!(c.len <= bounds.allowed[i], "{}: len {} > cap {} (allowed {})", c.name, c.len, c.cap, bounds.allowed[i]);
        bounds.allowed[i] = c.cap.max(c.len.min(bounds.allowed[i]));
        if c.sendq_len > 0 && c.recvq_len > 0 {
            let g = c.sendq[0].goroutine;
            prop_assert!(
                c.sendq.iter().chain(c.recvq.iter()).all(|w| w.goroutine == g && w.select),
                "{}: senders and receivers both waiting: {:?} / {:?}", c.name, c.sendq, c.recvq
            );
        }
        prop_assert!(c.len == 0 || c.recvq_len == 0, "{}: items buffered while receivers wait", c.name);
        prop_assert!(c.len >= c.cap || c.sendq_len == 0, "{}: room in the buffer while senders wait", c.name);
        for w in c.sendq.iter().chain(c.recvq.iter()) {
            let st = state.get(&w.goroutine).copied();
            prop_assert!(
                matches!(st, Some(GState::BlockedSend | GState::BlockedRecv | GState::BlockedSelect)),
                "{} waits on {} but is {:?}", w.name, c.name, st
            );
        }
    }
    let alive: Vec<_> = s.goroutines.iter().filter(|g| !g.state.is_over()).collect();
    match s.status {
        RunStatus::Running => {
            prop_assert!(!alive.is_empty());
            // sarama's client keeps background goroutines the model does
            // not run (its metadata updater): a program with a Kafka
            // client hangs instead of getting Go's deadlock verdict.
            let sarama = s.kafka.as_ref().is_some_and(|k| !k.producers.is_empty() || !k.consumers.is_empty() || !k.groups.is_empty());
            prop_assert!(
                sarama || alive.iter().any(|g| !g.state.is_blocked() || g.state_text.contains("times out in")),
                "running although every goroutine is asleep without a timer: {:?}",
                alive.iter().map(|g| &g.state_text).collect::<Vec<_>>()
            );
        }
        RunStatus::Deadlock => {
            prop_assert!(alive.iter().all(|g| g.state.is_blocked() && !g.state_text.contains("times out in")));
            let d = s.deadlock.as_ref().expect("a deadlock has a report");
            prop_assert!(d.go_message.is_some());
            prop_assert_eq!(d.stuck.len(), alive.len());
        }
        RunStatus::Finished => prop_assert!(alive.is_empty()),
        RunStatus::Panicked => prop_assert!(s.panic.is_some()),
        RunStatus::MainReturned => prop_assert!(ends.main_returns, "no main here"),
        RunStatus::Stopped => prop_assert!(ends.stops, "no stop_at here"),
    }
    if let Some(d) = &s.deadlock {
        for st in &d.stuck {
            prop_assert!(s.goroutines.iter().any(|g| g.id == st.goroutine && g.state.is_blocked()), "{} flagged stuck but not blocked", st.name);
        }
    }
    Ok(())
}

/// Kafka invariants that hold in every snapshot: every produced record in
/// exactly one state; per partition log start <= HW <= log end, the ISR
/// within the replicas, a leader only on a live broker; partition
/// consumers never past the HW; per group each partition owned by at most
/// one member, committed offsets never past the HW.
pub fn check_kafka(k: &queuelab::world::KafkaView) -> Result<(), TestCaseError> {
    let g = k.guarantees;
    prop_assert_eq!(g.sending + g.acked + g.failed + g.lost_after_ack + g.lost_unclean + g.lost_unacked + g.lost_unwritten, g.produced, "kafka records: {:?}", g);
    for p in &k.partitions {
        // log_start and log_end are the leader's log's (0 when offline).
        if p.leader.is_some() {
            prop_assert!(p.log_start <= p.high_watermark && p.high_watermark <= p.log_end, "kafka offsets: {:?}", p);
        }
        prop_assert!(p.isr.iter().all(|b| p.replicas.contains(b)), "kafka ISR outside the replicas: {:?}", p);
        if let Some(l) = p.leader {
            // A crashed leader keeps its partitions until the controller
            // fences it (its session times out).
            let fencing = k.brokers.iter().any(|b| b.id == l && !b.up && b.fenced_at_us.is_some());
            prop_assert!(p.live.contains(&l) || fencing, "kafka: a dead leader not being fenced: {:?} {:?}", p, k.brokers);
        }
    }
    for c in &k.consumers {
        if let (Some(o), Some(p)) = (c.offset, k.partitions.iter().find(|p| p.topic == c.topic && p.partition == c.partition)) {
            // An absolute start offset is shown before the first fetch
            // answers it (out of range: the consumer stops); an unclean
            // election may pull the HW below what was read.
            let fresh = c.consumed == 0;
            prop_assert!(o <= p.high_watermark || c.stopped || fresh || k.unclean_leader_election, "kafka: {:?} past the HW of {:?}", c, p);
        }
    }
    for grp in &k.groups {
        let mut owners = HashMap::new();
        for m in &grp.members {
            for p in &m.partitions {
                prop_assert!(owners.insert(p.clone(), m.id.clone()).is_none(), "kafka group {}: {} has two owners", grp.name, p);
            }
        }
        for r in &grp.rows {
            if let Some(o) = r.current_offset {
                prop_assert!(o <= r.log_end_offset, "kafka group {}: committed past the HW: {:?}", grp.name, r);
            }
        }
    }
    Ok(())
}

/// Checks over the whole trace.
pub fn check_trace(w: &World) -> Result<(), TestCaseError> {
    let trace = w.trace();
    prop_assert_eq!(trace.total(), trace.events().len() as u64, "the whole trace was kept");
    let mut last = SimTime::ZERO;
    let mut produced = HashSet::new();
    let mut entered: HashMap<u32, Vec<u64>> = HashMap::new();
    let mut left: HashMap<u32, Vec<u64>> = HashMap::new();
    for (i, e) in trace.events().enumerate() {
        prop_assert_eq!(e.seq, i as u64);
        prop_assert!(e.time >= last, "time went backwards at {:?}", e);
        last = e.time;
        match e.kind {
            // A message comes into Go made by a goroutine, or received from NSQ.
            EventKind::Produced | EventKind::NsqMessage => prop_assert!(produced.insert(e.msg), "message {} produced twice", e.msg),
            EventKind::Buffered | EventKind::Handoff => entered.entry(e.ch).or_default().push(e.msg),
            EventKind::Unblocked if e.ch != queuelab::observe::trace::NONE => entered.entry(e.ch).or_default().push(e.msg),
            EventKind::Received => left.entry(e.ch).or_default().push(e.msg),
            _ => {}
        }
    }
    let s = w.snapshot();
    for c in &s.channels {
        let mut out = left.remove(&c.id).unwrap_or_default();
        out.extend(c.buffer.iter().map(|m| m.id));
        let into = entered.remove(&c.id).unwrap_or_default();
        prop_assert_eq!(&into, &out, "channel {} is not FIFO (entered vs left + still buffered)", c.name);
        prop_assert!(into.iter().all(|m| produced.contains(m)), "{}: a value that was never produced", c.name);
    }
    prop_assert!(left.is_empty() && entered.is_empty());
    Ok(())
}

