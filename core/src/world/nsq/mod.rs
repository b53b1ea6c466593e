//! The NSQ part of a world: the nsqd nodes of the scenario's `nsq`
//! section, the network links between clients and nodes, and what crosses
//! them. The world routes here the Go runtime's requests (a goroutine's
//! `Publish`) and the arrivals of frames, and lends the kit for each.
//!
//! # A publish, step by step
//! 1. The goroutine runs `Publish`: it makes (or takes) its value, enters
//!    `BlockedNet` and asks for the publish ([`Syscall::Publish`]).
//! 2. The world sends `PUB` over the goroutine's connection to the node
//!    (one connection per goroutine and node, opened on first use; one
//!    latency draw per frame, in order).
//! 3. At arrival the node puts the message into the topic, which copies it
//!    to each channel (or keeps it when the topic has none), and sends
//!    `OK` back.
//! 4. At `OK`'s arrival the `Publish` returns: the value's Go journey ends
//!    ("published") and the goroutine runs on.
//!
//! # A consumer, step by step
//! go-nsq's library state (RDY, backoff, in-flight bookkeeping) is the
//! [`Consumer`](crate::nsq::client::consumer::Consumer) state machine, one
//! per consumer ([`consumer`]); what it asks for is done here: `SUB` on each
//! connection, and at the node's answer the `RDY` it computes; each
//! message frame goes to the connection's reader goroutine, which pushes it
//! into the unbuffered `incoming` channel; a handler goroutine takes it,
//! works and returns, and the library answers `FIN` (or `REQ` on an error,
//! with its backoff), its `RDY` changes first, as go-nsq's `writeLoop`
//! writes them.

mod arrival;
mod beat;
mod book;
mod consumer;
mod faults;
mod lookupd;
mod publish;
mod view;

use super::{Ev, Syscall, World};
use crate::dist::Dist;
use crate::gochan::channel::GoId;
use crate::net::Link;
use crate::gochan::channel::MsgRef;
use crate::kernel::EventQueue;
use crate::nsq::client::{ClientError, Timer};
use crate::nsq::guarantees::{ChanKey, Guarantees, Logical, LossCause};
use crate::nsq::nsqd::backend::Stored;
use crate::nsq::nsqd::channel::Requeued;
use crate::time::SimDuration;
use crate::nsq::message::{Body, MessageId};
use crate::nsq::nsqd::channel::{Channel, Returned};
use crate::nsq::nsqd::Nsqd;
use crate::nsq::spec::{ConsumerSpec, NsqSpec};
use crate::rng::SimRng;
use std::cell::Cell;
use std::collections::VecDeque;
use crate::observe::snapshot::NsqView;
use crate::observe::trace::{EventKind, NONE};
use crate::time::SimTime;
use litemap::LiteMap;

/// What travels on a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Frame {
    /// `PUB <topic>` from goroutine `g` with its value (`topic` indexes the
    /// goroutine's program's topic names; `seq` is the world's publish
    /// sequence number).
    /// With `batch > 1` it is `MPUB`: values `value`, then `extra_from`,
    /// `extra_from + 1`, ...; seqs `seq`, `seq + 1`, ...
    Pub { g: GoId, topic: u16, value: i64, seq: u64, batch: u16, extra_from: i64 },
    /// The node's `OK` to `g`'s `PUB`.
    PubOk { g: GoId },
    /// `SUB topic channel` on consumer connection `conn` (with IDENTIFY's
    /// msg_timeout, if the consumer asks for one).
    Sub { conn: u16 },
    /// The node's `OK` to a `SUB`.
    SubOk { conn: u16 },
    /// `RDY count` on connection `conn`.
    Rdy { conn: u16, count: u64 },
    /// A message pushed to connection `conn`.
    Msg { conn: u16, msg: Incoming },
    /// `FIN id` on connection `conn` (`unhandled`: go-nsq's FIN after
    /// MaxAttempts, for the guarantees book).
    Fin { conn: u16, id: MessageId, unhandled: bool },
    /// `REQ id delay` on connection `conn`.
    Req { conn: u16, id: MessageId, delay: SimDuration },
    /// `TOUCH id` on connection `conn`.
    Touch { conn: u16, id: MessageId },
    /// The client closed connection `conn` across a cut: nsqd reads EOF
    /// when this arrives, after what the client wrote before ([`beat`]).
    Bye { conn: u16 },
    /// nsqd closed connection `conn` (its FIN): sent behind the messages it
    /// had written, so the client reads those first, then EOF ([`beat`]).
    Eof { conn: u16 },
    /// `CLS` on connection `conn` (go-nsq's `Stop()`).
    Cls { conn: u16 },
    /// The node's `CLOSE_WAIT`: it sends nothing more on `conn`.
    CloseWait { conn: u16 },
    /// The connection was refused (the node is down): for `g`'s `PUB`.
    PubRefused { g: GoId },
    /// The connection was refused: for consumer connection `conn`'s `SUB`.
    SubRefused { conn: u16 },
    /// nsqd <-> nsqlookupd and consumer <-> nsqlookupd traffic
    /// ([`lookupd`]).
    Lookupd(Box<lookupd::LookupdFrame>),
}

/// A message as a consumer's connection receives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Incoming {
    id: MessageId,
    producer: GoId,
    value: i64,
    published: SimTime,
    attempts: u16,
    /// The channel copy's key in the guarantees book (the channel may be
    /// deleted and re-created before the handler is done).
    key: ChanKey,
}

/// nsqd's `queueScanLoop` state of one node: the channels it listed at its
/// last refresh, and when it refreshes next.
#[derive(Clone, Debug, Default)]
pub(crate) struct Scan {
    /// (topic, channel) pairs, sorted: nsqd lists topics and channels in
    /// name order.
    listed: Vec<(String, String)>,
    next_refresh: SimTime,
}

impl Scan {
    /// The scan loop of a node (re)started at `now`: it lists the channels
    /// there are now, and refreshes the list every 5 s.
    pub(crate) fn start(node: &Nsqd, now: SimTime) -> Scan {
        Scan { listed: Self::channels(node), next_refresh: now + SCAN_REFRESH }
    }

    fn channels(node: &Nsqd) -> Vec<(String, String)> {
        node.topics().flat_map(|t| t.channels().map(|c| (t.name().to_string(), c.name().to_string()))).collect()
    }
}

/// nsqd's `--scan-interval` (100 ms) and `--scan-refresh-interval` (5 s).
const SCAN_INTERVAL: SimDuration = SimDuration::from_millis(100);
const SCAN_REFRESH: SimDuration = SimDuration::from_secs(5);

/// The first scan tick after `t` (ticks every 100 ms from 0).
fn next_tick(t: SimTime) -> SimTime {
    let step = SCAN_INTERVAL.as_micros();
    SimTime::from_micros((t.as_micros() / step + 1) * step)
}

/// One consumer connection to one node.
#[derive(Clone, Debug)]
struct Conn {
    consumer: usize,
    /// The node it leads to.
    node: u16,
    up: u32,
    down: u32,
    /// Messages received and not yet taken by the reader goroutine, with
    /// when each arrived.
    inbox: VecDeque<(SimTime, Incoming)>,
    /// The reader goroutine, while it waits in `NsqRead`.
    reader: Option<GoId>,
    /// nsqd closed its side: the reader reads EOF once it has taken what
    /// is in `inbox` ([`beat`] module docs, "nsqd closes").
    eof: bool,
    /// The book's key of this connection's channel, as last looked up (a
    /// cache: used only while [`Guarantees::is_current`]).
    key: Cell<Option<ChanKey>>,
}

impl Conn {
    /// The book's current key of this connection's channel (`topic` /
    /// `channel` of its consumer), registered if new: what
    /// `book.channel(self.node, topic, channel)` returns, without looking
    /// names up while the cached key is current.
    fn chan_key(&self, book: &mut Guarantees, topic: &str, channel: &str) -> ChanKey {
        match self.key.get() {
            Some(k) if book.is_current(k) => k,
            _ => {
                let k = book.channel(self.node, topic, channel);
                self.key.set(Some(k));
                k
            }
        }
    }
}

/// Values by Go value (`MsgRef`, an index into the ledger's message slab,
/// so dense): a vector of slots, no allocation once it reached the slab's
/// size. Only looked up by key; `retain` visits keys in increasing order.
#[derive(Clone, Debug)]
struct ByMsg<T> {
    slots: Vec<Option<T>>,
}

impl<T> Default for ByMsg<T> {
    fn default() -> Self {
        ByMsg { slots: Vec::new() }
    }
}

impl<T> ByMsg<T> {
    fn get(&self, m: MsgRef) -> Option<&T> {
        self.slots.get(m as usize)?.as_ref()
    }
    fn contains_key(&self, m: &MsgRef) -> bool {
        self.get(*m).is_some()
    }
    fn insert(&mut self, m: MsgRef, v: T) {
        let i = m as usize;
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, || None);
        }
        self.slots[i] = Some(v);
    }
    fn remove(&mut self, m: MsgRef) -> Option<T> {
        self.slots.get_mut(m as usize)?.take()
    }
    fn retain(&mut self, mut keep: impl FnMut(&mut T) -> bool) {
        for s in &mut self.slots {
            if s.as_mut().is_some_and(|v| !keep(v)) {
                *s = None;
            }
        }
    }
}

/// The NSQ system of a world.
#[derive(Clone, Debug)]
pub(crate) struct NsqWorld {
    latency: Dist,
    pub(crate) nodes: Vec<Nsqd>,
    pub(crate) names: Vec<String>,
    links: Vec<Link<Frame>>,
    /// The node each link leads to or comes from.
    link_node: Vec<u16>,
    /// A goroutine's connection to a node: (link to the node, link back).
    conns: LiteMap<(GoId, u16), (u32, u32)>,
    consumers: Vec<ConsumerSpec>,
    /// go-nsq's state of each consumer (same order).
    libs: Vec<consumer::Lib>,
    /// Timers the libraries asked for, by `Ev::NsqClient` index (`None`:
    /// cancelled, its event still queued; or free, in `free_timers`).
    timers: Vec<Option<(u16, Timer)>>,
    free_timers: Vec<u32>,
    /// Emptied action lists of the libraries, reused (see
    /// [`NsqWorld::act`]): the message path allocates none.
    spare_actions: Vec<Vec<crate::nsq::client::Action>>,
    /// Handlers' TOUCH ticks, by `Ev::NsqTouch` index: the Go value and
    /// the delivery it touches.
    touches: Vec<Option<(MsgRef, u16, MessageId)>>,
    free_touches: Vec<u32>,
    /// Consumer connections; a connection's index is its client id at the
    /// node.
    clients: Vec<Conn>,
    /// Which connection and node message id a Go value came in as.
    owner: ByMsg<(u16, MessageId, ChanKey)>,
    /// Reused for a PUB's put report.
    put_report: crate::nsq::nsqd::topic::PutReport,
    /// The earliest node timer scheduled (in-flight and deferred expiry).
    timer: Vec<Option<SimTime>>,
    /// Reused by the expiry scan.
    returned: Vec<Returned>,
    /// Nodes crashed or stopped.
    down: Vec<bool>,
    /// Per node: nsqd's sampled expiry scan (None: exact expiry).
    scans: Vec<Option<Scan>>,
    /// Whether a node's disk-sync tick is scheduled.
    sync_armed: Vec<bool>,
    /// Consumers whose library finished stopping (or gave up): the world
    /// removes their goroutines after the event.
    pending_down: Vec<usize>,
    /// What happened to every channel copy.
    pub(crate) book: Guarantees,
    /// Reused for a topic's channel keys.
    keys: Vec<ChanKey>,
    /// The last publish sequence number given.
    pub_seq: u64,
    /// Publishes on their way: goroutine -> (node, topic index, seq).
    publishing: LiteMap<GoId, (u16, u16, u64)>,
    /// Redundant publishes under way (a `publish` to several nodes):
    /// goroutine -> (seq, whether this publish settles the value, whether
    /// one returned OK).
    redundant: LiteMap<GoId, (u64, bool, bool)>,
    /// MPUBs under way: goroutine -> (batch size, its first extra value).
    batches: LiteMap<GoId, (u16, i64)>,
    /// The nsqlookupds and every node's connections to them.
    lk: lookupd::Lookupds,
    /// Heartbeat state of each link pair (`link / 2`; see [`beat`]).
    beats: Vec<beat::Beat>,
}

impl NsqWorld {
    /// The nodes of `spec`, with the topics and channels it creates.
    /// `incoming[i]` is the Go channel of consumer `i`.
    pub(crate) fn new(spec: &NsqSpec, incoming: &[u32], rng: &mut crate::rng::SimRng) -> Result<NsqWorld, ClientError> {
        let nodes = spec
            .nsqd
            .iter()
            .map(|n| {
                let mut node = Nsqd::new(n.options());
                for t in &n.topics {
                    // Names were checked with the scenario.
                    if let Ok(topic) = node.get_topic(&t.name) {
                        for c in &t.channels {
                            let _ = topic.get_channel(c, SimTime::ZERO, rng);
                        }
                    }
                }
                node
            })
            .collect();
        let mut w = NsqWorld {
            latency: spec.latency.clone(),
            timer: vec![None; spec.nsqd.len()],
            nodes,
            names: spec.nsqd.iter().map(|n| n.name.clone()).collect(),
            links: Vec::new(),
            link_node: Vec::new(),
            conns: LiteMap::new(),
            consumers: spec.consumers.clone(),
            libs: Vec::with_capacity(spec.consumers.len()),
            timers: Vec::new(),
            free_timers: Vec::new(),
            spare_actions: Vec::new(),
            touches: Vec::new(),
            free_touches: Vec::new(),
            clients: Vec::new(),
            owner: ByMsg::default(),
            put_report: Default::default(),
            returned: Vec::new(),
            down: vec![false; spec.nsqd.len()],
            scans: Vec::new(),
            sync_armed: vec![false; spec.nsqd.len()],
            pending_down: Vec::new(),
            book: Guarantees::new(),
            keys: Vec::new(),
            pub_seq: 0,
            publishing: LiteMap::new(),
            redundant: LiteMap::new(),
            batches: LiteMap::new(),
            lk: lookupd::Lookupds::new(spec),
            beats: Vec::new(),
        };
        w.scans = spec.nsqd.iter().enumerate().map(|(i, n)| (n.expiry == crate::nsq::spec::Expiry::Sampled).then(|| Scan::start(&w.nodes[i], SimTime::ZERO))).collect();
        for (n, node) in w.nodes.iter().enumerate() {
            for t in node.topics() {
                w.book.topic(n as u16, t.name());
                for c in t.channels() {
                    w.book.channel(n as u16, t.name(), c.name());
                }
            }
        }
        for (i, c) in spec.consumers.iter().enumerate() {
            w.libs.push(consumer::Lib::new(c, incoming.get(i).copied().unwrap_or(NONE))?);
        }
        for (consumer, node) in spec.connections() {
            let (up, down) = w.new_link_pair(node as u16);
            let conn = w.clients.len() as u16;
            w.libs[consumer].conns.push((node as u16, conn));
            w.beats[beat::pair(up)].owner = beat::Owner::Consumer(conn);
            w.clients.push(Conn { consumer, node: node as u16, up, down, inbox: VecDeque::new(), reader: None, eof: false, key: Cell::new(None) });
        }
        Ok(w)
    }

    fn new_link_pair(&mut self, node: u16) -> (u32, u32) {
        let up = self.links.len() as u32;
        self.links.push(Link::new(self.latency.clone()));
        self.links.push(Link::new(self.latency.clone()));
        self.link_node.extend([node, node]);
        self.beats.push(beat::Beat::new(node));
        (up, up + 1)
    }

    /// Sends `frame` on `link` now; the world's queue gets its arrival.
    fn send(&mut self, link: u32, frame: Frame, now: SimTime, rng: &mut SimRng, queue: &mut EventQueue<Ev>) {
        send_on(&mut self.links, link, frame, now, rng, queue);
    }

    /// Writes a put or pump report of `topic` on `node` into the book.
    pub(super) fn book_put(&mut self, node: u16, topic: &str, report: &crate::nsq::nsqd::topic::PutReport, fresh: Option<u64>) {
        if let Some(t) = self.nodes[usize::from(node)].topic(topic) {
            book::put(&mut self.book, node, t, report, fresh, &mut self.keys);
        }
    }

    /// Every channel of `topic` on `node` pumps.
    fn pump_topic(&mut self, node: u16, topic: &str, now: SimTime, rng: &mut SimRng, queue: &mut EventQueue<Ev>) {
        let NsqWorld { nodes, clients, links, book, .. } = self;
        if let Some(t) = nodes[usize::from(node)].topic_mut(topic) {
            for ch in t.channels_mut() {
                push_ready(node, ch, clients, links, book, now, rng, queue);
            }
        }
        self.arm(node, queue);
    }

    /// Schedules the node's expiry scan at its next deadline if that is
    /// earlier than the one scheduled.
    fn arm(&mut self, node: u16, queue: &mut EventQueue<Ev>) {
        let Some(mut next) = self.nodes[usize::from(node)].next_deadline() else { return };
        if self.scans[usize::from(node)].is_some() {
            // The scan sees a deadline at its first tick at or after it
            // (and never again at this instant).
            let at = next.max(queue.now());
            next = if at.as_micros() % SCAN_INTERVAL.as_micros() == 0 && at > queue.now() { at } else { next_tick(at) };
        }
        let t = &mut self.timer[usize::from(node)];
        if t.is_none_or(|at| next < at) {
            *t = Some(next);
            queue.schedule(next, Ev::NsqNode(u32::from(node)));
        }
    }

    /// Whether the world has consumers to take down after the event.
    pub(crate) fn has_pending(&self) -> bool {
        !self.pending_down.is_empty()
    }

    /// Schedules node `n`'s next disk-sync tick (nsqd's `sync-timeout`,
    /// 2 s) unless one is scheduled.
    pub(super) fn arm_sync(&mut self, n: u16, k: &mut super::Kit) {
        if !self.sync_armed[usize::from(n)] {
            self.sync_armed[usize::from(n)] = true;
            let at = k.queue.now() + self.nodes[usize::from(n)].options().sync_timeout;
            k.queue.schedule(at, Ev::NsqSync(u32::from(n)));
        }
    }

    /// Node `n`'s disk-sync tick: unsynced writes reach the disk (a crash
    /// loses only what came after).
    pub(crate) fn sync_tick(&mut self, n: u32, k: &mut super::Kit) {
        let i = n as usize;
        self.sync_armed[i] = false;
        if !self.down[i] {
            self.nodes[i].sync_tick();
            self.arm_sync(n as u16, k);
        }
    }

    /// `g`'s connection to `node`, opened on first use.
    fn conn(&mut self, g: GoId, node: u16) -> (u32, u32) {
        if let Some(&c) = self.conns.get(&(g, node)) {
            return c;
        }
        let c = self.new_link_pair(node);
        self.beats[beat::pair(c.0)].owner = beat::Owner::Producer(g);
        self.conns.insert((g, node), c);
        c
    }

    /// Bytes held on the heap, roughly (for the timeline's memory budget).
    pub(crate) fn approx_bytes(&self) -> usize {
        let per_message = 96;
        let queued: u64 = self
            .nodes
            .iter()
            .flat_map(|n| n.topics())
            .map(|t| t.depth() + t.channels().map(|c| c.depth() + c.stats().in_flight_count + c.stats().deferred_count).sum::<u64>())
            .sum();
        queued as usize * per_message + self.links.iter().map(|l| l.in_transit() * 48 + 64).sum::<usize>()
    }
}

/// Sends `frame` on `link` now; `queue` gets its arrival.
fn send_on(links: &mut [Link<Frame>], link: u32, frame: Frame, now: SimTime, rng: &mut SimRng, queue: &mut EventQueue<Ev>) {
    if let Ok(Some(at)) = links[link as usize].send(now, frame, rng) {
        queue.schedule(at, Ev::Net(link));
    }
}

/// A channel pushes what it can to its ready clients (round robin), each
/// message over its connection's link.
#[allow(clippy::too_many_arguments)]
fn push_ready(node: u16, ch: &mut Channel, clients: &[Conn], links: &mut [Link<Frame>], book: &mut Guarantees, now: SimTime, rng: &mut SimRng, queue: &mut EventQueue<Ev>) {
    let mut key = None;
    while let Ok(Some(d)) = ch.deliver_next(now, rng) {
        let k = *key.get_or_insert_with(|| match clients.get(d.client as usize) {
            // The client is a connection to this channel on this node.
            Some(c) if c.node == node => c.chan_key(book, ch.topic(), ch.name()),
            _ => book.channel(node, ch.topic(), ch.name()),
        });
        let _ = book.delivered(k, d.message.id, d.client, d.message.attempts);
        let conn = d.client as u16;
        let msg = Incoming {
            id: d.message.id,
            producer: d.message.body.producer,
            value: d.message.body.value as i64,
            published: d.message.timestamp,
            attempts: d.message.attempts,
            key: k,
        };
        send_on(links, clients[usize::from(conn)].down, Frame::Msg { conn, msg }, now, rng, queue);
    }
}

impl World {
    /// Carries out the requests the Go runtime made during the event just
    /// handled.
    pub(super) fn run_syscalls(&mut self, now: SimTime) {
        // A call can run goroutines that make more calls: until none is left.
        // Two buffers take turns: the calls being carried out, and the one
        // they add to (no allocation per event once warm).
        while !self.kit.syscalls.is_empty() {
            let spare = std::mem::take(&mut self.kit.syscall_spare);
            let mut calls = std::mem::replace(&mut self.kit.syscalls, spare);
            for call in calls.drain(..) {
                self.syscall(call, now);
            }
            self.kit.syscall_spare = calls;
        }
    }

    fn syscall(&mut self, call: Syscall, now: SimTime) {
        match call {
            Syscall::KafkaProduce { g, producer, topic } => return self.kafka_produce(g, producer, topic, now),
            Syscall::KafkaFetch { g, fetcher } => return self.kafka_fetch_wait(g, fetcher, now),
            Syscall::KafkaMark { g, fetcher } => return self.kafka_mark(g, fetcher, now),
            Syscall::KafkaBatchAdd { g, producer, topic, broker } => return self.kafka_batch_add(g, producer, topic, broker, now),
            Syscall::KafkaResult { g, producer, broker } => return self.kafka_result_wait(g, producer, broker, now),
            Syscall::KafkaRoute { g, producer, topic } => return self.kafka_route(g, producer, topic, now),
            Syscall::KafkaLead { g, producer, topic, index } => return self.kafka_lead(g, producer, topic, index, now),
            Syscall::KafkaNext { g, producer, broker } => return self.kafka_next(g, producer, broker, now),
            _ => {}
        }
        let Some(nsq) = self.nsq.as_deref_mut() else { return };
        match call {
            Syscall::Publish { g, node, topic, fresh, settle, batch, extra_from } => {
                let value = self.go.gs[g as usize].held.map_or(0, |m| self.kit.ledger.msgs.get(m).value);
                let (up, down) = nsq.conn(g, node);
                let seq = match nsq.redundant.get_mut(&g) {
                    // The next node of a redundant pair: the same message.
                    Some(r) if !fresh => {
                        r.1 = settle;
                        r.0
                    }
                    _ => {
                        nsq.pub_seq += 1;
                        nsq.pub_seq
                    }
                };
                if batch > 1 {
                    // MPUB: the next seqs are the batch's other messages.
                    nsq.pub_seq += u64::from(batch) - 1;
                    nsq.batches.insert(g, (batch, extra_from));
                } else if !nsq.batches.is_empty() {
                    nsq.batches.remove(&g);
                }
                if fresh && !settle {
                    nsq.redundant.insert(g, (seq, false, false));
                } else if fresh && !nsq.redundant.is_empty() {
                    nsq.redundant.remove(&g);
                }
                nsq.publishing.insert(g, (node, topic, seq));
                // Who published it, for the page's message lists (`view.rs`).
                nsq.book.set_origin(Logical(seq), crate::nsq::guarantees::Origin { producer: g, value, at: now });
                for i in 1..u64::from(batch) {
                    let value = extra_from.saturating_add(i as i64 - 1);
                    nsq.book.set_origin(Logical(seq + i), crate::nsq::guarantees::Origin { producer: g, value, at: now });
                }
                let p = beat::pair(up);
                if nsq.links[up as usize].state() == crate::net::LinkState::Closed || !nsq.beats[p].cli_open {
                    // A new connection (the first, or after one closed);
                    // across a cut it waits for the dial timeout.
                    if nsq.dial_waits(p, &mut self.kit) {
                        return;
                    }
                    nsq.links[up as usize].open(now);
                    nsq.links[down as usize].open(now);
                    nsq.beat_dialed(p, now);
                }
                let (batch, extra_from) = nsq.batches.get(&g).copied().unwrap_or((1, 0));
                nsq.send(up, Frame::Pub { g, topic, value, seq, batch, extra_from }, now, &mut self.kit.rng, &mut self.kit.queue);
            }
            Syscall::NsqRead { g, conn } => {
                if let Some(c) = nsq.clients.get_mut(usize::from(conn)) {
                    c.reader = Some(g);
                }
                self.hand_over(conn, now, false);
            }
            Syscall::NsqTake { msg, .. } => {
                if let Some(&(conn, id, key)) = nsq.owner.get(msg) {
                    nsq.on_take(msg, conn, id, key, &mut self.kit);
                }
            }
            Syscall::NsqAnswer { g, msg, handled } => {
                if let Some((conn, id, key)) = nsq.owner.remove(msg) {
                    nsq.answer(g, msg, conn, id, key, handled, &mut self.kit);
                }
                self.kit.ledger.finished_by(msg, g, now);
            }
            Syscall::KafkaProduce { .. } | Syscall::KafkaFetch { .. } | Syscall::KafkaMark { .. } | Syscall::KafkaBatchAdd { .. } | Syscall::KafkaResult { .. } | Syscall::KafkaRoute { .. } | Syscall::KafkaLead { .. } | Syscall::KafkaNext { .. } => {}
        }
    }

    /// The reader of `conn`, if it waits, takes the oldest message received;
    /// `was_reading`: the reader waited with nothing unread until now (a
    /// message just arrived), rather than coming back from a hand-over.
    fn hand_over(&mut self, conn: u16, now: SimTime, was_reading: bool) {
        let Some(nsq) = self.nsq.as_deref_mut() else { return };
        let Some(c) = nsq.clients.get_mut(usize::from(conn)) else { return };
        let Some(g) = c.reader else { return };
        let p = beat::pair(c.up);
        let Some((arrived, msg)) = c.inbox.front().copied() else {
            if c.eof {
                // All read: the next read is nsqd's EOF.
                return nsq.client_gives_up(conn, &mut self.kit);
            }
            // It waits with nothing unread: heartbeats are answered again.
            return nsq.beats[p].reader_waits(now);
        };
        let (go, k) = (&mut self.go, &mut self.kit);
        // The reader runs on at once; its next read is a later syscall, so
        // the books below are settled before it.
        let handed = go.net_message(k, g, msg.producer, msg.value, msg.published, msg.attempts, now);
        let Some(nsq) = self.nsq.as_deref_mut() else { return };
        let doomed = nsq.too_many_attempts(conn, msg.attempts);
        let c = &mut nsq.clients[usize::from(conn)];
        c.reader = None;
        if let Some(m) = handed {
            c.inbox.pop_front();
            // go-nsq's readLoop counts a message in flight (and stamps
            // lastMsgTimestamp) when it reads the frame, just before it
            // blocks handing it over: frames still in the socket are not.
            nsq.on_message(conn, msg.id, msg.attempts, &mut self.kit);
            nsq.owner.insert(m, (conn, msg.id, msg.key));
            if doomed {
                self.kit.doomed.push(m);
            }
            // It reads no frame until a handler takes the message.
            if nsq.beats[p].reader_takes(arrived, was_reading, now) {
                nsq.watch_reader(conn, &mut self.kit);
            }
        }
        // Not handed (the reader was removed, or the program ended): the
        // message stays received; at the node it waits for its deadline.
    }

    /// The expiry scan of `node` is due: in-flight messages past their
    /// deadline and deferred ones due go back to their queues, then the
    /// node pushes again.
    pub(super) fn nsq_timer(&mut self, node: u32, now: SimTime) {
        let Some(nsq) = self.nsq.as_deref_mut() else { return };
        if nsq.down[node as usize] {
            return;
        }
        let n = node as u16;
        if nsq.timer[node as usize].is_some_and(|t| t <= now) {
            nsq.timer[node as usize] = None;
        }
        let mut returned = std::mem::take(&mut nsq.returned);
        let NsqWorld { nodes, clients, links, book, scans, .. } = &mut *nsq;
        if let Some(s) = scans[node as usize].as_mut() {
            // nsqd's queueScanLoop: the channel list is refreshed every 5s;
            // a channel created since is not scanned yet.
            // (Taken at the first tick at or after each refresh point.)
            if now >= s.next_refresh {
                s.listed = Scan::channels(&nodes[node as usize]);
                while s.next_refresh <= now {
                    s.next_refresh += SCAN_REFRESH;
                }
            }
        }
        let listed = scans[node as usize].as_ref().map(|s| &s.listed);
        for t in nodes[node as usize].topics_mut() {
            for c in t.channels_mut() {
                if listed.is_some_and(|l| l.binary_search_by(|(t, n)| (t.as_str(), n.as_str()).cmp(&(c.topic(), c.name()))).is_err()) {
                    continue;
                }
                returned.clear();
                c.process_in_flight(now, &mut returned);
                c.process_deferred(now, &mut returned);
                if !returned.is_empty() {
                    let key = book.channel(n, c.topic(), c.name());
                    for r in &returned {
                        if r.client.is_some() {
                            let b = r.message.body;
                            self.kit.ledger.record_copy(now, EventKind::NsqTimeout, b.producer, b.value as i64, b.seq, i64::from(node));
                            book::debug_ok(book.timed_out(key, r.message.id));
                        } else {
                            book::debug_ok(book.undeferred(key, r.message.id));
                        }
                        if r.stored == Stored::Dropped {
                            book::debug_ok(book.lost(key, r.message.id, LossCause::EphemeralOverflow));
                        }
                    }
                }
                push_ready(n, c, clients, links, book, now, &mut self.kit.rng, &mut self.kit.queue);
            }
        }
        returned.clear();
        nsq.returned = returned;
        nsq.arm(n, &mut self.kit.queue);
    }

    /// Consumers whose library finished stopping lose their goroutines
    /// (after the event, when no goroutine is borrowed).
    pub(super) fn settle_nsq(&mut self) {
        while let Some(ci) = self.nsq.as_deref_mut().and_then(|n| n.pending_down.pop()) {
            self.consumer_down(ci, faults::LibState::Stopped);
        }
    }

    /// Checks the guarantees book against nsqd's queues (for tests): every
    /// copy in exactly one place, counters equal to a recount, and the
    /// book's queued / in-flight / deferred copies equal to each channel's.
    #[doc(hidden)]
    pub fn check_nsq_book(&self) -> Result<(), String> {
        self.nsq.as_ref().map_or(Ok(()), |n| n.check_book())
    }

    /// The NSQ section of the snapshot, if the world has one.
    pub(super) fn nsq_view(&self) -> Option<NsqView> {
        self.nsq.as_ref().map(|n| n.view(&self.go, self.now()))
    }
}
