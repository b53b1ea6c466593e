//! What the page and the CLI see of the Go runtime: goroutines and their
//! states in plain words ("blocked on send to jobs for 2s: buffer full
//! (16/16) and no receiver waiting"), channels with their buffers and wait
//! queues, program listings, and Go's events described in words. The
//! world's [`Snapshot`](crate::observe::snapshot::Snapshot) puts these
//! beside the time, the status and the totals.

use super::runtime::GoRuntime;
use crate::gochan::program::{CaseKind, Op};
use crate::observe::snapshot::*;
use crate::observe::trace::{DropCause, EventKind, TraceEvent, LOOKUP_REFUSED, NONE};
use crate::time::SimDuration;
use crate::world::{Kit, OP_BUDGET, SPIN_YIELD};
use crate::gochan::program::Line;
use serde::Serialize;
use crate::gochan::behavior::Role;

/// A program listing with the current line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Listing {
    pub goroutine: u32,
    pub name: String,
    pub lines: Vec<Line>,
    pub current: u32,
}

impl GoRuntime {
    pub(crate) fn gname(&self, g: u32) -> &str {
        self.gs.get(g as usize).map_or("?", |x| x.name.as_str())
    }
    /// The name of nsqd node `n`.
    pub(crate) fn nsqd_name(&self, n: u32) -> &str {
        self.nsqd_names.get(n as usize).map_or("?", |x| x.as_str())
    }
    /// The name of nsqlookupd `l`.
    fn lookupd_name(&self, l: i64) -> &str {
        usize::try_from(l).ok().and_then(|l| self.lookupd_names.get(l)).map_or("?", |x| x.as_str())
    }

    pub(crate) fn cname(&self, c: u32) -> &str {
        self.chan_names.get(c as usize).map_or("?", |x| x.as_str())
    }

    /// `producer#value` for a message.
    pub(crate) fn label_of(&self, producer: u32, value: i64) -> String {
        format!("{}#{value}", self.gname(producer))
    }

    pub(crate) fn msg_label(&self, kit: &Kit, m: u32) -> String {
        let msg = kit.ledger.msgs.get(m);
        self.label_of(msg.producer, msg.value)
    }

    /// The names of the channels `prog` sends to (its sends and select send
    /// cases), each once, in channel order.
    pub(crate) fn sends_of(&self, prog: &super::program::Program) -> Vec<String> {
        let mut ids: Vec<u32> = prog
            .ops
            .iter()
            .filter_map(|op| match op {
                Op::Send { ch } => Some(*ch),
                _ => None,
            })
            .chain(prog.selects.iter().flat_map(|s| s.cases.iter()).filter_map(|c| match c.kind {
                CaseKind::Send(ch) => Some(ch),
                CaseKind::Recv(_) => None,
            }))
            .collect();
        crate::cold_sort::sort(&mut ids);
        ids.dedup();
        ids.into_iter().map(|ch| self.cname(ch).to_string()).collect()
    }

    /// Describes a goroutine's state in plain words.
    /// `state_text`'s short form, where it has one: a Kafka send refused
    /// for want of a working leader (no broker in its wait) is retrying.
    fn state_short(&self, g: u32) -> Option<&'static str> {
        let gr = &self.gs[g as usize];
        let w = gr.wait;
        let producing = gr.state == GState::BlockedNet && w & super::runtime::KAFKA_WAIT != 0 && w & super::runtime::NSQ_READ == 0 && w & super::runtime::KAFKA_WHAT == super::runtime::KAFKA_PRODUCE;
        (producing && w & 0xffff == 0).then_some("retrying: leader down")
    }

    pub(crate) fn state_text(&self, kit: &Kit, g: u32) -> String {
        let gr = &self.gs[g as usize];
        // After the end, durations stop there.
        let now = if kit.run.is_running() { kit.queue.now() } else { kit.run.status_at.max(gr.since) };
        let dur = now - gr.since;
        let mut text = match gr.state {
            GState::Runnable => "runnable: about to run its next step".to_string(),
            GState::Working => match gr.held {
                Some(m) => format!("working on {} (done in {})", self.msg_label(kit, m), gr.until - now),
                None => format!("working (done in {})", gr.until - now),
            },
            GState::Sleeping => format!("sleeping (wakes in {})", gr.until - now),
            GState::BlockedSend => {
                let c = &self.chans[gr.wait as usize];
                let why = if c.is_closed() {
                    "channel closed".to_string()
                } else if c.cap() == 0 {
                    "unbuffered channel and no receiver waiting".to_string()
                } else {
                    format!("buffer full ({}/{}) and no receiver waiting", c.len(), c.cap())
                };
                // (A go-nsq reader says more: NsqWorld::annotate_readers.)
                format!("blocked on send to {} for {dur}: {why}", self.cname(gr.wait))
            }
            GState::BlockedRecv => {
                let c = &self.chans[gr.wait as usize];
                let why = if c.cap() == 0 {
                    "unbuffered channel and no sender waiting".to_string()
                } else {
                    format!("buffer empty (0/{}) and no sender waiting", c.cap())
                };
                format!("blocked on receive from {} for {dur}: {why}", self.cname(gr.wait))
            }
            GState::BlockedSelect => {
                let mut parts = Vec::new();
                if let Op::Select { sel } = gr.prog.ops[gr.pc as usize] {
                    for c in &gr.prog.selects[sel as usize].cases {
                        parts.push(match c.kind {
                            CaseKind::Send(ch) => {
                                let k = &self.chans[ch as usize];
                                format!("{} <- ({})", self.cname(ch), if k.cap() == 0 { "no receiver".into() } else { format!("full {}/{}", k.len(), k.cap()) })
                            }
                            CaseKind::Recv(ch) => format!("<-{} (empty)", self.cname(ch)),
                        });
                    }
                }
                let timeout = if gr.timer.is_some() { format!("; times out in {}", gr.until - now) } else { String::new() };
                format!("blocked in select for {dur}: no case can proceed [{}]{timeout}", parts.join(", "))
            }
            GState::BlockedWait => {
                let w = &self.wgs[gr.wait as usize];
                format!("blocked in {}.Wait() for {dur}: counter is {}", w.name, w.counter)
            }
            GState::BlockedNet if gr.wait & super::runtime::KAFKA_WAIT != 0 && gr.wait & super::runtime::NSQ_READ == 0 => {
                let broker = gr.wait & 0xffff;
                let who = if broker == 0 { "the partition leader".to_string() } else { format!("broker-{broker}") };
                let what = gr.wait & super::runtime::KAFKA_WHAT;
                if what == super::runtime::KAFKA_FETCH {
                    format!("fetching from {who} for {dur}: waits for a record below the high watermark")
                } else if what == super::runtime::KAFKA_ROUTE {
                    "choosing the partition (the partitioner)".to_string()
                } else if what == super::runtime::KAFKA_NEXT {
                    "taking the next message of the response it returns".to_string()
                } else if what == super::runtime::KAFKA_LEAD {
                    "looking up the partition's broker producer".to_string()
                } else if what == super::runtime::KAFKA_RESULT {
                    format!("waiting for a produce response for {dur}")
                } else if what == super::runtime::KAFKA_ROOM {
                    match gr.held {
                        Some(m) => format!("waiting for room in the batch for {who} for {dur} (Flush.MaxMessages or MaxMessageBytes reached): holds {}", self.msg_label(kit, m)),
                        None => format!("waiting for room in the batch for {who} for {dur}"),
                    }
                } else {
                    let acks = match (gr.wait >> super::runtime::KAFKA_ACKS_SHIFT) & 3 {
                        2 => "acks=all: every in-sync replica must have it",
                        1 => "acks=1: the leader's write",
                        _ => "acks=0",
                    };
                    // No working leader (an election found none, or the
                    // metadata names a crashed broker): sarama's request is
                    // refused and retried after Retry.Backoff. With acks=0
                    // that is the only wait there is.
                    let what = if broker == 0 { "retrying: the partition has no working leader".to_string() } else { format!("waiting for {who}'s ack") };
                    match gr.held {
                        Some(m) => format!("{what} for {dur} ({acks}): producing {}", self.msg_label(kit, m)),
                        None => format!("{what} for {dur} ({acks})"),
                    }
                }
            }
            GState::BlockedNet if gr.wait & super::runtime::NSQ_READ != 0 => {
                let conn = (gr.wait & !super::runtime::NSQ_READ) as usize;
                let node = self.nsq_conns.get(conn).map_or("?", |c| self.nsqd_name(c.1));
                format!("waiting for a message from {node} for {dur}")
            }
            GState::BlockedNet => {
                let node = self.nsqd_name(gr.wait);
                match gr.held {
                    Some(m) => format!("waiting for {node}'s response for {dur}: publishing {}", self.msg_label(kit, m)),
                    None => format!("waiting for {node}'s response for {dur}"),
                }
            }
            GState::Done => "finished (returned)".to_string(),
            GState::Panicked => match &kit.run.panic {
                Some(p) if p.goroutine == g => format!("panicked: {}", p.message),
                _ => "panicked".to_string(),
            },
            GState::Removed => "removed".to_string(),
        };
        if gr.paused {
            text = format!("paused; {text}");
        }
        if gr.stuck {
            if let Some(w) = kit.run.deadlock.as_ref().and_then(|d| d.stuck.iter().find(|w| w.goroutine == g)) {
                text.push_str(&format!(" — stuck forever: {}", w.why));
            }
        }
        text
    }

    pub(crate) fn goroutine_view(&self, kit: &Kit, g: u32) -> GoroutineView {
        let gr = &self.gs[g as usize];
        let now = if kit.run.is_running() { kit.queue.now() } else { kit.run.status_at.max(gr.since) };
        let spent = (now - gr.since).as_micros();
        let mut c = gr.c;
        c.time_in[gr.state as usize] += spent;
        let life = (now - gr.spawned).as_micros();
        let channels = match gr.state {
            GState::BlockedSend | GState::BlockedRecv => vec![gr.wait],
            GState::BlockedSelect => match gr.prog.ops[gr.pc as usize] {
                Op::Select { sel } => gr.prog.selects[sel as usize]
                    .cases
                    .iter()
                    .map(|c| match c.kind {
                        CaseKind::Send(ch) | CaseKind::Recv(ch) => ch,
                    })
                    .collect(),
                _ => vec![],
            },
            _ => vec![],
        };
        GoroutineView {
            id: g,
            name: gr.name.clone(),
            group: self.groups[gr.group as usize].spec.name.clone(),
            role: self.groups[gr.group as usize].spec.behavior.role(),
            library: self.groups[gr.group as usize].library,
            idle: false,
            state: gr.state,
            state_text: self.state_text(kit, g),
            state_short: self.state_short(g),
            state_for_us: spent,
            channels,
            paused: gr.paused,
            stuck: gr.stuck,
            pc: gr.pc,
            line: gr.prog.op_line[gr.pc as usize],
            held: gr.held.map(|m| self.msg_label(kit, m)),
            sent: c.sent,
            received: c.received,
            blocked_send_us: c.time_in(GState::BlockedSend),
            blocked_recv_us: c.time_in(GState::BlockedRecv),
            blocked_other_us: c.blocked_other(),
            working_us: c.time_in(GState::Working),
            sleeping_us: c.time_in(GState::Sleeping),
            utilization: if life == 0 { 0.0 } else { c.time_in(GState::Working) as f64 / life as f64 },
        }
    }

    fn waiter_view(&self, kit: &Kit, w: &crate::gochan::channel::Waiter) -> WaiterView {
        WaiterView {
            goroutine: w.g,
            name: self.gname(w.g).to_owned(),
            label: w.value.map(|m| self.msg_label(kit, m)),
            select: self.gs[w.g as usize].state == GState::BlockedSelect,
        }
    }

    /// Every channel as the page draws it (buffer, wait queues), bounded.
    pub(crate) fn channel_views(&self, kit: &Kit) -> Vec<ChannelView> {
        self
            .chans
            .iter()
            .enumerate()
            .map(|(i, c)| ChannelView {
                id: i as u32,
                name: self.chan_names[i].clone(),
                cap: c.cap(),
                len: c.len(),
                closed: c.is_closed(),
                buffer: c
                    .buffer()
                    .take(MAX_LISTED)
                    .map(|m| MessageView { id: kit.ledger.msgs.get(m).id, label: self.msg_label(kit, m) })
                    .collect(),
                sendq: c.sendq().take(MAX_LISTED).map(|w| self.waiter_view(kit, w)).collect(),
                recvq: c.recvq().take(MAX_LISTED).map(|w| self.waiter_view(kit, w)).collect(),
                sendq_len: c.sendq().len() as u32,
                recvq_len: c.recvq().len() as u32,
                sent: c.counters.sent,
                received: c.counters.received,
                max_len: c.counters.max_len,
                library: self.library_chans.contains(&(i as u32)),
            })
            .collect()
    }

    /// The Go-like listing of goroutine `g` with its current line, or `None`
    /// if there is no such goroutine.
    pub(crate) fn listing(&self, g: u32) -> Option<Listing> {
        let gr = self.gs.get(g as usize)?;
        Some(Listing {
            goroutine: g,
            name: gr.name.clone(),
            lines: gr.prog.lines.clone(),
            current: gr.prog.op_line[gr.pc as usize],
        })
    }

    /// One event in plain words.
    pub(crate) fn describe(&self, kit: &Kit, e: &TraceEvent, label: &str) -> String {
        let g = self.gname(e.g);
        let ch = self.cname(e.ch);
        if let Some(node) = e.lost_answer_node() {
            let (call, cmd) = if e.kind == EventKind::NsqFinish { (format!("{label}.Finish()"), "FIN") } else { (format!("the handler failed on {label}: REQ"), "REQ") };
            return format!("{g}: {call}, but {} has closed this connection: the {cmd} is lost on the way", self.nsqd_name(node));
        }
        match e.kind {
            EventKind::Produced => format!("{g} produced {label}"),
            EventKind::Handoff => format!("{g} handed {label} straight to a waiting receiver on {ch}"),
            EventKind::Buffered => format!("{g} sent {label} to {ch} (buffered, {} queued)", e.aux),
            EventKind::Received => format!("{g} received {label} from {ch}"),
            EventKind::RecvClosed => format!("{g} received from {ch}: closed and drained (ok == false)"),
            EventKind::BlockedSend => format!("{g} blocked sending {label} to {ch}"),
            EventKind::BlockedRecv => format!("{g} blocked receiving from {ch}"),
            EventKind::BlockedSelect => format!("{g} blocked in select: no case ready"),
            EventKind::BlockedWait => format!("{g} blocked in wg.Wait()"),
            EventKind::Unblocked if e.ch != NONE => format!("{g} unblocked: its send of {label} to {ch} completed"),
            EventKind::Unblocked => format!("{g} unblocked: WaitGroup counter reached 0"),
            EventKind::SelectChose => match e.aux {
                -1 => format!("{g} select took default"),
                -2 => format!("{g} select timed out (time.After fired)"),
                i => format!("{g} select chose case {i}"),
            },
            EventKind::WorkStart => {
                format!("{g} started work on {label} ({})", SimDuration::from_micros(e.aux as u64))
            }
            EventKind::WorkEnd => format!("{g} finished work on {label}"),
            EventKind::Sleep => format!("{g} sleeps {}", SimDuration::from_micros(e.aux as u64)),
            EventKind::Closed if e.g == NONE => format!("{ch} closed (by you)"),
            EventKind::Closed => format!("{g} closed {ch}"),
            EventKind::Panicked => match &kit.run.panic {
                Some(p) => format!("{g} panicked: {}", p.message),
                None => format!("{g} panicked"),
            },
            EventKind::Dropped => format!("{label} dropped: {}", DropCause::from_aux(e.aux).describe()),
            EventKind::Processed => format!("{g} finished {label}"),
            EventKind::Filtered => format!("{g} discarded {label} (multiple of {})", e.aux),
            EventKind::Prime => format!("{g} found prime {}", e.aux),
            EventKind::WgAdd => format!("{g}: wg.Add(1), counter {}", e.aux),
            EventKind::WgDone => format!("{g}: wg.Done(), counter {}", e.aux),
            EventKind::Finished => format!("{g} returned"),
            EventKind::Deadlock => format!("{} goroutine(s) stuck forever", e.aux),
            EventKind::Spawned => format!("{g} started"),
            EventKind::Removed => format!("{g} removed"),
            EventKind::Paused => format!("{g} paused"),
            EventKind::Resumed => format!("{g} resumed"),
            EventKind::Capacity => format!("{ch} capacity set to {}", e.aux),
            EventKind::NsqPublish => format!("{g} sent PUB {label} to {}", self.nsqd_name(e.aux as u32)),
            EventKind::NsqPublished => format!("{} put {label} into its topic", self.nsqd_name(e.aux as u32)),
            EventKind::NsqPublishOk => format!("{g}: Publish of {label} returned OK from {}", self.nsqd_name(e.aux as u32)),
            EventKind::NsqMessage => format!("{g} got {label} (attempt {})", e.aux),
            EventKind::NsqFinish => format!("{g}: {label}.Finish(), FIN goes back"),
            EventKind::NsqTimeout => format!("{} timed out {label} in flight: it goes back to the queue", self.nsqd_name(e.aux as u32)),
            EventKind::NsqFinFailed => format!("{} refused FIN of {label} (E_FIN_FAILED: it had timed out)", self.nsqd_name(e.aux as u32)),
            EventKind::NsqRequeue => {
                format!("{g}: the handler failed on {label}: REQ with delay {}", SimDuration::from_micros(e.aux as u64))
            }
            EventKind::NsqReqFailed => format!("{} refused REQ of {label} (E_REQ_FAILED: it had timed out)", self.nsqd_name(e.aux as u32)),
            EventKind::NsqMaxAttempts => {
                format!("{g}: {label} was delivered {} times (more than MaxAttempts): FIN without handling it", e.aux)
            }
            EventKind::NsqBackoff => format!(
                "{}: backoff, RDY 0 on every connection for {}",
                consumer_of(ch),
                SimDuration::from_micros(e.aux.max(0) as u64)
            ),
            EventKind::NsqNodeCrash => format!(
                "{} crashed: its memory queues, in-flight and deferred messages and unsynced disk writes are lost; its disk queues go back to their last sync, so what they read since then comes again",
                self.nsqd_name(e.aux as u32)
            ),
            EventKind::NsqNodeStop => {
                format!("{} stopped cleanly: memory, in-flight and deferred messages are written to disk", self.nsqd_name(e.aux as u32))
            }
            EventKind::NsqNodeRestart => format!("{} started again with what its disk holds", self.nsqd_name(e.aux as u32)),
            EventKind::NsqConnClosed => format!("{}: connection to {} closed", consumer_of(ch), self.nsqd_name(e.aux as u32)),
            EventKind::NsqConnected => format!("{}: connected to {} (SUB answered)", consumer_of(ch), self.nsqd_name(e.aux as u32)),
            EventKind::NsqConsumerCrash => {
                format!("consumer {} crashed: its messages in flight wait for their msg timeout at the nodes", consumer_of(ch))
            }
            EventKind::NsqConsumerStop => format!("consumer {}: Stop(), CLS on every connection", consumer_of(ch)),
            EventKind::NsqConsumerStart => format!("consumer {} started", consumer_of(ch)),
            EventKind::NsqPublishFailed => {
                format!("{g}: Publish of {label} to {} failed (connection closed or refused): the value is lost", self.nsqd_name(e.aux as u32))
            }
            EventKind::NsqTouchFailed => format!("{} refused TOUCH (E_TOUCH_FAILED: it had timed out)", self.nsqd_name(e.aux as u32)),
            EventKind::NsqBackoffOver => {
                if e.aux == 0 {
                    format!("{}: backoff over, every connection gets its RDY back", consumer_of(ch))
                } else {
                    format!("{}: backoff wait over (level {}): RDY 1 to one connection to probe", consumer_of(ch), e.aux)
                }
            }
            EventKind::Yield => {
                format!("{g} looped {} times without waiting (spinning); it yields for {}", OP_BUDGET, SPIN_YIELD)
            }
            EventKind::NsqRegister => format!(
                "{} registered {} (REGISTER: a topic or channel it has)",
                self.lookupd_name(e.aux >> 16),
                self.nsqd_name((e.aux & 0xffff) as u32)
            ),
            EventKind::NsqUnregister => format!(
                "{} dropped registrations of {} (UNREGISTER, or its connection closed)",
                self.lookupd_name(e.aux >> 16),
                self.nsqd_name((e.aux & 0xffff) as u32)
            ),
            EventKind::NsqLookup => {
                let who = self.lookupd_name(e.aux >> 32);
                match e.aux & 0xffff_ffff {
                    0 => format!("{}: {who} answered the lookup: TOPIC_NOT_FOUND (no nsqd has the topic yet)", consumer_of(ch)),
                    LOOKUP_REFUSED => format!("{}: {who} refused the lookup: it is down", consumer_of(ch)),
                    n => format!("{}: {who} answered the lookup: {} nsqd have the topic", consumer_of(ch), n - 1),
                }
            }
            EventKind::NsqLookupdCrash => format!(
                "nsqlookupd {} crashed: every registration it held is gone; lookups to it are refused, and the nodes notice at their next command to it",
                self.lookupd_name(e.aux)
            ),
            EventKind::NsqLookupdRestart => {
                format!("nsqlookupd {} started again, empty: each node registers again when it next dials it (within two 15 s pings)", self.lookupd_name(e.aux))
            }
            EventKind::NsqDiscovered => format!("{}: lookup named {}: it connects (SUB goes out)", consumer_of(ch), self.nsqd_name(e.aux as u32)),
            // Kafka events are described by the world's Kafka part.
            EventKind::KafkaSend
            | EventKind::KafkaAcked
            | EventKind::KafkaSendFailed
            | EventKind::KafkaFetched
            | EventKind::KafkaBrokerCrash
            | EventKind::KafkaBrokerRestart
            | EventKind::KafkaFenced
            | EventKind::KafkaBrokerStop
            | EventKind::KafkaMetadata
            | EventKind::KafkaUnfenced
            | EventKind::KafkaElection
            | EventKind::KafkaIsr
            | EventKind::KafkaLost
            | EventKind::KafkaGroup
            | EventKind::KafkaOutOfRange
            | EventKind::KafkaDuplicate
            | EventKind::KafkaReadTimeout => String::new(),
            EventKind::NsqHeartbeatTimeout => {
                let node = self.nsqd_name((e.aux & 0xffff) as u32);
                let who = if e.ch != NONE { consumer_of(ch).to_string() } else { g.to_string() };
                if e.aux >> 16 == 2 {
                    format!("{node} heard nothing from {who} for 60s: its reader was blocked handing a message to busy handlers, so it answered no heartbeat, and no FIN, REQ or TOUCH came; nsqd closes the connection, messages in flight wait for their msg timeout")
                } else if e.aux >> 16 == 0 {
                    format!("{node} heard nothing from {who} for 60s (2 heartbeats): it closes the connection; messages in flight wait for their msg timeout")
                } else {
                    format!("{who} heard nothing from {node} for 60s (read timeout): it closes the connection")
                }
            }
        }
    }

    /// Roles by goroutine id (for summaries).
    pub(crate) fn role_of(&self, g: u32) -> Option<Role> {
        let gr = self.gs.get(g as usize)?;
        Some(self.groups[gr.group as usize].spec.behavior.role())
    }

    /// Messages in channel buffers now.
    pub(crate) fn buffered(&self) -> u64 {
        self.chans.iter().map(|c| u64::from(c.len())).sum()
    }

    /// Messages held by sinks that received them and are still on them.
    pub(crate) fn processing(&self) -> u64 {
        self.gs.iter().filter(|g| g.held.is_some() && g.prog.is_sink && g.c.received > 0 && !g.state.is_over()).count() as u64
    }
}

/// The consumer a library channel belongs to: `worker` for `worker.incoming`.
fn consumer_of(ch: &str) -> &str {
    ch.strip_suffix(".incoming").unwrap_or(ch)
}
