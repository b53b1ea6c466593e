//! go-nsq's library inside a world: each consumer's
//! [`Consumer`] state machine, and the world doing what it asks.
//!
//! # What the library decides (go-nsq `consumer.go`)
//! - **RDY**: after each `SUB` is answered the connection gets its share of
//!   `MaxInFlight` (`max(1, MaxInFlight / conns)`, so 10 over 3
//!   connections is 3 + 3 + 3); every 5 s `redistributeRDY` may move it.
//! - **Handler result**: the handler goroutine returns; it failed if its
//!   value is poison or a draw under the consumer's `failure_rate` says
//!   so. Success -> `FIN`; failure -> `REQ` with delay
//!   `min(DefaultRequeueDelay * attempts, MaxRequeueDelay)` and a backoff
//!   signal: `RDY 0` on every connection for `multiplier * 2^level`, then
//!   `RDY 1` to one random connection (the probe); a success lowers the
//!   level, at 0 every connection gets its share back. With the spec's
//!   `on_failure: "requeue_without_backoff"` the handler calls
//!   `RequeueWithoutBackoff(-1)` instead: the same REQ, a continue signal
//!   (no backoff; a wait under way at level n > 0 simply repeats).
//! - **MaxAttempts**: a message delivered more than `MaxAttempts` times is
//!   FINed when a handler takes it, unhandled (`LogFailedMessage`).
//!
//! The RDY, FIN and REQ commands go over the connection's link in the
//! order go-nsq writes them; timers come back as `Ev::NsqClient` events.

use super::faults::LibState;
use super::{Frame, NsqWorld};
use crate::gochan::channel::{GoId, MsgRef};
use crate::nsq::client::consumer::{Consumer, HandlerOutcome, Taken};
use crate::nsq::client::{Action, ClientError, NodeId};
use crate::nsq::spec::ConsumerSpec;
use crate::observe::trace::{EventKind, NONE};
use crate::time::SimTime;
use crate::world::{Ev, Kit};

/// One go-nsq consumer: the library's state and its connections.
#[derive(Clone, Debug)]
pub(super) struct Lib {
    pub(super) client: Consumer,
    /// Its connections: (node, connection index), in connection order.
    pub(super) conns: Vec<(u16, u16)>,
    /// The Go channel between its readers and handlers (events name the
    /// consumer through it).
    pub(super) incoming: u32,
    /// Actions before the first event (the first redistribution tick).
    boot: Vec<Action>,
    pub(super) state: LibState,
}

impl Lib {
    pub(super) fn new(spec: &ConsumerSpec, incoming: u32) -> Result<Lib, ClientError> {
        let (mut client, boot) = Consumer::new(spec.config(), SimTime::ZERO)?;
        client.add_handlers(spec.handlers)?;
        Ok(Lib { client, conns: Vec::new(), incoming, boot, state: LibState::Running })
    }

    fn conn(&self, node: NodeId) -> Option<u16> {
        self.conns.iter().find(|(n, _)| u32::from(*n) == node.0).map(|(_, c)| *c)
    }
}

impl NsqWorld {
    /// Every consumer starts: its first timers, then `ConnectToNSQD` for
    /// each of its nodes (`SUB` goes out).
    pub(crate) fn open(&mut self, k: &mut Kit) {
        for n in 0..self.nodes.len() as u16 {
            self.arm_sync(n, k);
        }
        // Nodes connect to their nsqlookupds first.
        self.lookupd_open(k);
        for i in 0..self.libs.len() {
            self.start_lib(i, k);
        }
    }

    /// Consumer `ci`'s library starts: its first timers, then
    /// `ConnectToNSQD` for each of its `nsqd` nodes (the first slots), then
    /// `ConnectToNSQLookupd` for each of its lookupds.
    pub(super) fn start_lib(&mut self, ci: usize, k: &mut Kit) {
        let boot = std::mem::take(&mut self.libs[ci].boot);
        self.act(ci, boot, k);
        let listed = self.consumers[ci].nsqd.len();
        let nodes: Vec<u16> = self.libs[ci].conns.iter().take(listed).map(|(n, _)| *n).collect();
        for node in nodes {
            if let Ok(a) = self.libs[ci].client.connect_to_nsqd(NodeId(u32::from(node))) {
                self.act(ci, a, k);
            }
        }
        self.lookupd_start(ci, k);
    }

    /// An empty action list for a library call (a reused one when any).
    fn action_list(&mut self) -> Vec<Action> {
        self.spare_actions.pop().unwrap_or_default()
    }

    /// Keeps an action list's allocation for the next call.
    fn recycle(&mut self, mut actions: Vec<Action>) {
        if actions.capacity() > 0 && self.spare_actions.len() < 8 {
            actions.clear();
            self.spare_actions.push(actions);
        }
    }

    /// Does what consumer `ci`'s library asked, in order.
    pub(super) fn act(&mut self, ci: usize, mut actions: Vec<Action>, k: &mut Kit) {
        let now = k.queue.now();
        // The FIN that follows a LogFailed is go-nsq's FIN after
        // MaxAttempts (the book counts that copy lost, not finished).
        let mut failed = None;
        for a in actions.drain(..) {
            let frame = match a {
                Action::Rdy { conn, count } => self.libs[ci].conn(conn).map(|c| Frame::Rdy { conn: c, count }),
                Action::Fin { conn, id } => {
                    let unhandled = failed == Some((conn, id));
                    self.libs[ci].conn(conn).map(|c| Frame::Fin { conn: c, id, unhandled })
                }
                Action::Req { conn, id, delay } => self.libs[ci].conn(conn).map(|c| Frame::Req { conn: c, id, delay }),
                Action::Connect { node } => self.libs[ci].conn(node).and_then(|c| {
                    // A new TCP connection (across a cut the dial waits).
                    if self.dial_waits(super::beat::pair(self.clients[usize::from(c)].up), k) {
                        return None;
                    }
                    self.reopen_conn(c, k);
                    Some(Frame::Sub { conn: c })
                }),
                Action::StartClose { conn } => self.libs[ci].conn(conn).map(|c| Frame::Cls { conn: c }),
                Action::Close { conn } => {
                    if let Some(c) = self.libs[ci].conn(conn) {
                        self.close_conn(c, k);
                        k.record(EventKind::NsqConnClosed, NONE, self.libs[ci].incoming, None, i64::from(conn.0));
                        if let Ok(a) = self.libs[ci].client.on_conn_closed(conn, now) {
                            self.act(ci, a, k);
                        }
                    }
                    None
                }
                Action::StopHandlers | Action::Exited => {
                    if self.libs[ci].state == LibState::Stopping && !self.pending_down.contains(&ci) {
                        self.pending_down.push(ci);
                    }
                    None
                }
                Action::At { at, timer } => {
                    let entry = Some((ci as u16, timer));
                    let idx = match self.free_timers.pop() {
                        Some(i) => {
                            self.timers[i as usize] = entry;
                            i
                        }
                        None => {
                            self.timers.push(entry);
                            (self.timers.len() - 1) as u32
                        }
                    };
                    k.queue.schedule(at, Ev::NsqClient(idx));
                    None
                }
                // The frame's message is in the connection's inbox already;
                // the handler's take and LogFailed are recorded by the
                // caller, which knows the Go value.
                Action::LogFailed { conn, id, .. } => {
                    failed = Some((conn, id));
                    None
                }
                Action::Handle { .. } => None,
                Action::Touch { conn, id } => self.libs[ci].conn(conn).map(|c| Frame::Touch { conn: c, id }),
                // `GET /lookup` to that nsqlookupd (see `lookupd.rs`).
                Action::QueryLookupd { lookupd, attempt } => {
                    self.lookupd_query(ci, lookupd, attempt, k);
                    None
                }
            };
            if let Some(f) = frame {
                let conn = match f {
                    Frame::Rdy { conn, .. } | Frame::Fin { conn, .. } | Frame::Req { conn, .. } | Frame::Touch { conn, .. } | Frame::Sub { conn } | Frame::Cls { conn } => conn,
                    _ => continue,
                };
                let up = self.clients[usize::from(conn)].up;
                self.send(up, f, now, &mut k.rng, &mut k.queue);
            }
        }
        self.recycle(actions);
    }

    /// The node answered `SUB` on `conn`: the library adds the connection
    /// and sets RDY (`maybeUpdateRDY` on every connection).
    pub(super) fn on_subscribed(&mut self, conn: u16, max_rdy_count: u64, k: &mut Kit) {
        let c = &self.clients[usize::from(conn)];
        let (ci, node) = (c.consumer, NodeId(u32::from(c.node)));
        if let Ok(a) = self.libs[ci].client.on_connected(node, Some(max_rdy_count), k.queue.now()) {
            k.record(EventKind::NsqConnected, NONE, self.libs[ci].incoming, None, i64::from(c.node));
            self.act(ci, a, k);
        }
    }

    /// The node refused `conn`'s connection (it is down).
    pub(super) fn on_refused(&mut self, conn: u16, k: &mut Kit) {
        let c = &self.clients[usize::from(conn)];
        let (ci, node) = (c.consumer, NodeId(u32::from(c.node)));
        if let Ok(a) = self.libs[ci].client.on_connect_failed(node, k.queue.now()) {
            self.act(ci, a, k);
        }
    }

    /// The node answered `CLS` with `CLOSE_WAIT`: the connection closes
    /// once nothing is in flight on it.
    pub(super) fn on_close_wait(&mut self, conn: u16, k: &mut Kit) {
        let c = &self.clients[usize::from(conn)];
        let (ci, node) = (c.consumer, NodeId(u32::from(c.node)));
        if let Ok(a) = self.libs[ci].client.close_conn(node) {
            self.act(ci, a, k);
        }
    }

    /// A message frame arrived on `conn`: the library counts it in flight.
    pub(super) fn on_message(&mut self, conn: u16, id: crate::nsq::message::MessageId, attempts: u16, k: &mut Kit) {
        let c = &self.clients[usize::from(conn)];
        let (ci, node) = (c.consumer, NodeId(u32::from(c.node)));
        let mut a = self.action_list();
        match self.libs[ci].client.on_message_into(node, id, attempts, k.queue.now(), &mut a) {
            Ok(()) => self.act(ci, a, k),
            Err(_) => self.recycle(a),
        }
    }

    /// Whether a message with `attempts` on `conn` is FINed unhandled.
    pub(super) fn too_many_attempts(&self, conn: u16, attempts: u16) -> bool {
        let max = self.libs[self.clients[usize::from(conn)].consumer].client.config().max_attempts;
        max > 0 && attempts > max
    }

    /// A handler starts on `msg` (delivered on `conn` as `id`): one more
    /// handling of that copy; its TOUCH ticks start if the consumer
    /// touches.
    pub(super) fn on_take(&mut self, msg: MsgRef, conn: u16, id: crate::nsq::message::MessageId, key: crate::nsq::guarantees::ChanKey, k: &mut Kit) {
        super::book::debug_ok(self.book.handled(key, id));
        let ci = self.clients[usize::from(conn)].consumer;
        if let Some(every) = self.consumers[ci].touch_every {
            let entry = Some((msg, conn, id));
            let idx = match self.free_touches.pop() {
                Some(i) => {
                    self.touches[i as usize] = entry;
                    i
                }
                None => {
                    self.touches.push(entry);
                    (self.touches.len() - 1) as u32
                }
            };
            k.queue.schedule(k.queue.now() + every, Ev::NsqTouch(idx));
        }
    }

    /// A handler's TOUCH tick: if it still works on that delivery, go-nsq
    /// writes `TOUCH` and the next tick is set.
    pub(crate) fn on_touch(&mut self, idx: u32, k: &mut Kit) {
        let Some((msg, conn, id)) = self.touches.get(idx as usize).copied().flatten() else { return };
        let still = self.owner.get(msg).is_some_and(|&(c, i, _)| c == conn && i == id);
        if !still {
            self.touches[idx as usize] = None;
            self.free_touches.push(idx);
            return;
        }
        let c = &self.clients[usize::from(conn)];
        let (ci, node) = (c.consumer, NodeId(u32::from(c.node)));
        if let Ok(a) = self.libs[ci].client.touch(node, id) {
            self.act(ci, a, k);
        }
        let every = self.consumers[ci].touch_every.unwrap_or(crate::time::SimDuration::from_secs(1));
        k.queue.schedule(k.queue.now() + every, Ev::NsqTouch(idx));
    }

    /// A library timer is due. Every slot has exactly one queued event; an
    /// empty slot was cancelled (its library is gone) and is free from now.
    pub(crate) fn on_timer(&mut self, idx: u32, k: &mut Kit) {
        let Some(slot) = self.timers.get_mut(idx as usize) else { return };
        let taken = slot.take();
        self.free_timers.push(idx);
        let Some((ci, timer)) = taken else { return };
        let ci = usize::from(ci);
        let was = self.libs[ci].client.backoff().in_backoff_timeout();
        let mut a = self.action_list();
        self.libs[ci].client.on_timer_into(timer, k.queue.now(), &mut k.rng, &mut a);
        if was && !self.libs[ci].client.backoff().in_backoff_timeout() {
            let level = self.libs[ci].client.backoff().level();
            k.record(EventKind::NsqBackoffOver, NONE, self.libs[ci].incoming, None, i64::from(level));
        }
        self.act(ci, a, k);
    }

    /// Handler `g` is done with `msg`, delivered on `conn` as `id`:
    /// `handled` (the handler returned; its result is drawn here) or
    /// FINed unhandled after too many attempts.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn answer(&mut self, g: GoId, msg: MsgRef, conn: u16, id: crate::nsq::message::MessageId, key: crate::nsq::guarantees::ChanKey, handled: bool, k: &mut Kit) {
        let now = k.queue.now();
        let c = &self.clients[usize::from(conn)];
        let (ci, node) = (c.consumer, NodeId(u32::from(c.node)));
        // nsqd has closed this connection: what the handler answers is
        // lost (go-nsq writes it to a dead socket, or drains it unsent).
        let lost = !self.beats[super::beat::pair(c.up)].srv_open;
        let lib = &mut self.libs[ci];
        if !handled {
            if let Ok(Taken::Failed(a)) = lib.client.take_message(node, id, now, &mut k.rng) {
                let attempts = a.iter().find_map(|a| match a {
                    Action::LogFailed { attempts, .. } => Some(*attempts),
                    _ => None,
                });
                k.record(EventKind::NsqMaxAttempts, g, NONE, Some(msg), attempts.map_or(0, i64::from));
                self.act(ci, a, k);
            }
            return;
        }
        let spec = &self.consumers[ci];
        let _ = key;
        let value = k.ledger.msgs.get(msg).value;
        // Draw only when failures are possible: runs without them keep
        // their random stream.
        let failed = spec.poison.contains(&value) || (spec.failure_rate > 0.0 && k.rng.chance(spec.failure_rate));
        let outcome = match (failed, spec.on_failure) {
            (false, _) => HandlerOutcome::Success,
            (true, crate::nsq::spec::OnFailure::Requeue) => HandlerOutcome::Error,
            (true, crate::nsq::spec::OnFailure::RequeueWithoutBackoff) => HandlerOutcome::RequeueWithoutBackoff(None),
        };
        let was = lib.client.backoff().in_backoff_timeout();
        let mut a = self.spare_actions.pop().unwrap_or_default();
        let lib = &mut self.libs[ci];
        if lib.client.on_handler_result_into(node, id, outcome, now, &mut k.rng, &mut a).is_err() {
            self.recycle(a);
            return;
        }
        match a.iter().find_map(|a| match a {
            Action::Req { delay, .. } => Some(*delay),
            _ => None,
        }) {
            // aux: the delay; lost, -1 - the node.
            Some(delay) => k.record(EventKind::NsqRequeue, g, NONE, Some(msg), if lost { -1 - i64::from(node.0) } else { delay.as_micros() as i64 }),
            // aux: 0; lost, 1 + the node.
            None => k.record(EventKind::NsqFinish, g, NONE, Some(msg), if lost { 1 + i64::from(node.0) } else { 0 }),
        }
        let backoff = lib.client.backoff();
        if !was && backoff.in_backoff_timeout() {
            k.record(EventKind::NsqBackoff, g, lib.incoming, None, backoff.wait().as_micros() as i64);
        }
        self.act(ci, a, k);
    }
}
