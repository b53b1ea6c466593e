//! A go-nsq `Consumer` (`consumer.go`, `conn.go` `writeLoop`, `config.go`):
//! connections, handler results, backoff, RDY and lookupd discovery
//! composed into one state machine. See the [module docs](super) for the
//! semantics; this file follows go-nsq function by function.
//!
//! # Handler results (`handlerLoop`, `Conn.onMessage*`, `writeLoop`)
//! - A message whose `attempts > MaxAttempts` (MaxAttempts > 0) is FINed
//!   without calling the handler, after `LogFailedMessage`
//!   ([`Consumer::take_message`]). That FIN is an ordinary FIN: it sends a
//!   resume signal.
//! - Success: FIN and a resume signal. Error (or `Requeue(-1)`): REQ with
//!   delay `min(DefaultRequeueDelay * attempts, MaxRequeueDelay)` and a
//!   backoff signal. `RequeueWithoutBackoff`: REQ and a continue signal.
//! - The signal is handled first, so its RDY commands precede the FIN/REQ
//!   in the returned actions (`RDY 0` before the REQ that starts a backoff).
//! - Answering the same delivery twice is refused (go-nsq ignores it).
//!
//! # Connections
//! `connect_to_nsqd` -> [`Action::Connect`] -> `on_connected` (the others
//! get their new share first, then the new one, `maybeUpdateRDY`) or
//! `on_connect_failed`. Closing: `close_conn` (go-nsq `Conn.Close`, also
//! used for IO errors and CLOSE_WAIT) marks it closing; [`Action::Close`]
//! comes once nothing is in flight on it; then the world reports
//! `on_conn_closed` (`onConnClose`).

use super::backoff::{Backoff, Signal};
pub use super::config::ConsumerConfig;
use super::discovery::Discovery;
use super::rdy::{RdyBook, DEFAULT_MAX_RDY_COUNT};
use super::{Action, ClientError, LookupdId, NodeId, Timer};
use crate::nsq::message::MessageId;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use litemap::LiteMap;
use std::collections::BTreeMap;

/// `Stop()` exits after this long even if handlers are busy.
pub const STOP_DEADLINE: SimDuration = SimDuration::from_secs(30);

/// What the handler did with a message (`HandleMessage`'s result and the
/// `Message` methods it may call).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandlerOutcome {
    /// Returned nil: FIN.
    Success,
    /// Returned an error: `Requeue(-1)`.
    Error,
    /// Called `Requeue(delay)` (`None` = -1, the default delay).
    Requeue(Option<SimDuration>),
    /// Called `RequeueWithoutBackoff(delay)`.
    RequeueWithoutBackoff(Option<SimDuration>),
    /// `DisableAutoResponse`: it will answer later (`on_finish`, `on_requeue`).
    NoAutoResponse,
}

/// What a handler goroutine does with a message it took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Taken {
    /// Call the handler, then report [`Consumer::on_handler_result`].
    CallHandler,
    /// Too many attempts: already logged and FINed (these actions).
    Failed(Vec<Action>),
}

/// `ConsumerStats` plus the failed-message count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ConsumerStats {
    pub messages_received: u64,
    pub messages_finished: u64,
    pub messages_requeued: u64,
    /// `LogFailedMessage` calls (auto-FIN after MaxAttempts).
    pub messages_failed: u64,
}

/// The attempts of each unanswered copy of one id on one connection,
/// oldest first: the first inline (no allocation for the usual single
/// copy), later ones in `more`.
#[derive(Clone, Debug, Default)]
struct Copies {
    first: u16,
    more: Vec<u16>,
}

impl Copies {
    /// The oldest copy's attempts.
    fn first(&self) -> u16 {
        self.first
    }
    /// Drops the oldest copy; false when none is left.
    fn pop_first(&mut self) -> bool {
        if self.more.is_empty() {
            return false;
        }
        self.first = self.more.remove(0);
        true
    }
}

/// One go-nsq consumer of one topic/channel.
#[derive(Clone, Debug)]
pub struct Consumer {
    config: ConsumerConfig,
    book: RdyBook,
    backoff: Backoff,
    /// Connections being opened (a set: the values are `()`).
    pending: LiteMap<NodeId, ()>,
    /// `nsqdTCPAddrs`: nsqds to reconnect to without lookupd.
    nsqd_addrs: Vec<NodeId>,
    /// Deliveries not yet answered, per connection: id -> attempts of each
    /// copy (a timed-out message can come again on the same connection).
    in_flight: LiteMap<NodeId, BTreeMap<MessageId, Copies>>,
    discovery: Discovery,
    /// nsqds with a reconnect timer set (a set: the values are `()`).
    reconnecting: LiteMap<NodeId, ()>,
    running_handlers: u32,
    connected_flag: bool,
    stopped: bool,
    handlers_stopped: bool,
    exited: bool,
    stats: ConsumerStats,
}

impl Consumer {
    /// `NewConsumer`: validates the config and starts `rdyLoop` (the first
    /// redistribution tick is in the returned actions).
    pub fn new(config: ConsumerConfig, now: SimTime) -> Result<(Self, Vec<Action>), ClientError> {
        config.validate()?;
        let c = Consumer {
            book: RdyBook::new(
                config.max_in_flight,
                config.low_rdy_idle_timeout,
                config.low_rdy_timeout,
            ),
            backoff: Backoff::new(
                config.backoff_multiplier,
                config.max_backoff_duration,
                config.backoff_strategy,
            ),
            pending: LiteMap::new(),
            nsqd_addrs: Vec::new(),
            in_flight: LiteMap::new(),
            discovery: Discovery::new(config.lookupd_poll_interval, config.lookupd_poll_jitter),
            reconnecting: LiteMap::new(),
            running_handlers: 0,
            connected_flag: false,
            stopped: false,
            handlers_stopped: false,
            exited: false,
            stats: ConsumerStats::default(),
            config,
        };
        let at = now + c.config.rdy_redistribute_interval;
        Ok((
            c,
            vec![Action::At {
                at,
                timer: Timer::Redistribute,
            }],
        ))
    }

    pub fn config(&self) -> &ConsumerConfig {
        &self.config
    }
    pub fn rdy(&self) -> &RdyBook {
        &self.book
    }
    pub fn backoff(&self) -> &Backoff {
        &self.backoff
    }
    pub fn discovery(&self) -> &Discovery {
        &self.discovery
    }
    pub fn stats(&self) -> ConsumerStats {
        self.stats
    }
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }
    pub fn has_exited(&self) -> bool {
        self.exited
    }
    /// Whether a connection to `node` was asked for and not yet answered
    /// (`Connect` sent; neither `on_connected` nor `on_connect_failed`).
    pub fn is_connecting(&self, node: NodeId) -> bool {
        self.pending.contains_key(&node)
    }
    /// Connected nsqds, oldest first.
    pub fn connections(&self) -> Vec<NodeId> {
        self.book.conns().iter().map(|c| c.node).collect()
    }

    /// `IsStarved`: some open connection has `in_flight >= 85 % of RDY`.
    pub fn is_starved(&self) -> bool {
        self.book.conns().iter().any(|c| {
            let threshold = (c.rdy as f64 * 0.85) as u64;
            c.in_flight >= threshold && c.in_flight > 0 && !c.closing
        })
    }

    /// `AddConcurrentHandlers(h, n)`.
    pub fn add_handlers(&mut self, n: u32) -> Result<(), ClientError> {
        if self.connected_flag {
            return Err(ClientError::HandlersAfterConnect);
        }
        self.running_handlers = self.running_handlers.saturating_add(n);
        Ok(())
    }

    fn can_connect(&self) -> Result<(), ClientError> {
        if self.stopped {
            return Err(ClientError::Stopped);
        }
        if self.running_handlers == 0 {
            return Err(ClientError::NoHandlers);
        }
        Ok(())
    }

    /// `ConnectToNSQD`: asks the world to connect.
    pub fn connect_to_nsqd(&mut self, node: NodeId) -> Result<Vec<Action>, ClientError> {
        self.can_connect()?;
        self.connected_flag = true;
        if self.pending.contains_key(&node) || self.book.conn(node).is_some() {
            return Err(ClientError::AlreadyConnected(node));
        }
        self.pending.insert(node, ());
        if !self.nsqd_addrs.contains(&node) {
            self.nsqd_addrs.push(node);
        }
        Ok(vec![Action::Connect { node }])
    }

    /// IDENTIFY and SUB succeeded; `max_rdy_count` is nsqd's (None: 2500).
    pub fn on_connected(
        &mut self,
        node: NodeId,
        max_rdy_count: Option<u64>,
        now: SimTime,
    ) -> Result<Vec<Action>, ClientError> {
        if self.pending.remove(&node).is_none() {
            return Err(ClientError::NotConnected(node));
        }
        self.reconnecting.remove(&node);
        self.book
            .add_conn(node, max_rdy_count.unwrap_or(DEFAULT_MAX_RDY_COUNT))?;
        self.in_flight.insert(node, BTreeMap::new());
        let (b, t) = (self.backoff.in_backoff(), self.backoff.in_backoff_timeout());
        let mut out = Vec::new();
        // pre-emptive signal to existing connections to lower their RDY count
        for other in self.connections() {
            if other != node {
                self.book.maybe_update_rdy(other, b, t, now, &mut out);
            }
        }
        self.book.maybe_update_rdy(node, b, t, now, &mut out);
        Ok(out)
    }

    /// The connection attempt failed (`cleanupConnection`).
    pub fn on_connect_failed(
        &mut self,
        node: NodeId,
        now: SimTime,
    ) -> Result<Vec<Action>, ClientError> {
        if self.pending.remove(&node).is_none() {
            return Err(ClientError::NotConnected(node));
        }
        let mut out = Vec::new();
        if self.reconnecting.contains_key(&node) {
            let at = now + self.config.lookupd_poll_interval;
            out.push(Action::At {
                at,
                timer: Timer::Reconnect(node),
            });
        }
        Ok(out)
    }

    /// `DisconnectFromNSQD`: forget the address and close its connection.
    pub fn disconnect_from_nsqd(&mut self, node: NodeId) -> Result<Vec<Action>, ClientError> {
        let i = self
            .nsqd_addrs
            .iter()
            .position(|n| *n == node)
            .ok_or(ClientError::NotConnected(node))?;
        self.nsqd_addrs.remove(i);
        if self.book.conn(node).is_some() {
            return self.close_conn(node);
        }
        if self.pending.contains_key(&node) {
            // abort the attempt: the world reports `on_connect_failed`
            return Ok(vec![Action::Close { conn: node }]);
        }
        Ok(Vec::new())
    }

    /// `Conn.Close` (also on an IO error or CLOSE_WAIT): closing from now
    /// on; torn down once nothing is in flight.
    pub fn close_conn(&mut self, node: NodeId) -> Result<Vec<Action>, ClientError> {
        self.book.set_closing(node)?;
        let idle = self.book.conn(node).is_some_and(|c| c.in_flight == 0);
        Ok(if idle {
            vec![Action::Close { conn: node }]
        } else {
            Vec::new()
        })
    }

    /// `onConnClose`: the connection is gone.
    pub fn on_conn_closed(
        &mut self,
        node: NodeId,
        now: SimTime,
    ) -> Result<Vec<Action>, ClientError> {
        self.book.remove_conn(node, self.backoff.in_backoff())?;
        self.in_flight.remove(&node);
        let mut out = Vec::new();
        if self.stopped {
            if self.book.is_empty() {
                self.stop_handlers(&mut out);
            }
            return Ok(out);
        }
        if !self.discovery.lookupds().is_empty() {
            // trigger a poll of the lookupd (lookupdRecheckChan)
            self.discovery.recheck(&mut out);
        } else if self.nsqd_addrs.contains(&node) && self.reconnecting.insert(node, ()).is_none() {
            let at = now + self.config.lookupd_poll_interval;
            out.push(Action::At {
                at,
                timer: Timer::Reconnect(node),
            });
        }
        Ok(out)
    }

    /// A message frame arrived (`readLoop`, `onConnMessage`): hand it to a
    /// handler goroutine.
    pub fn on_message(
        &mut self,
        conn: NodeId,
        id: MessageId,
        attempts: u16,
        now: SimTime,
    ) -> Result<Vec<Action>, ClientError> {
        let mut out = Vec::new();
        self.on_message_into(conn, id, attempts, now, &mut out)?;
        Ok(out)
    }

    /// [`Consumer::on_message`], appending its actions to `out` (nothing on
    /// an error).
    pub fn on_message_into(
        &mut self,
        conn: NodeId,
        id: MessageId,
        attempts: u16,
        now: SimTime,
        out: &mut Vec<Action>,
    ) -> Result<(), ClientError> {
        self.book.on_message(conn, now)?;
        let copies = self.in_flight.entry(conn).or_default();
        match copies.entry(id) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(Copies { first: attempts, more: Vec::new() });
            }
            std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().more.push(attempts),
        }
        self.stats.messages_received += 1;
        out.push(Action::Handle { conn, id, attempts });
        Ok(())
    }

    /// A handler goroutine took the message (`handlerLoop`,
    /// `shouldFailMessage`).
    pub fn take_message(
        &mut self,
        conn: NodeId,
        id: MessageId,
        now: SimTime,
        rng: &mut SimRng,
    ) -> Result<Taken, ClientError> {
        let attempts = self.attempts_of(conn, id)?;
        let max = self.config.max_attempts;
        if max > 0 && attempts > max {
            self.stats.messages_failed += 1;
            let mut out = vec![Action::LogFailed { conn, id, attempts }];
            self.on_finish_into(conn, id, now, rng, &mut out)?;
            return Ok(Taken::Failed(out));
        }
        Ok(Taken::CallHandler)
    }

    fn attempts_of(&self, conn: NodeId, id: MessageId) -> Result<u16, ClientError> {
        self.in_flight
            .get(&conn)
            .and_then(|m| m.get(&id))
            .map(Copies::first)
            .ok_or(ClientError::UnknownMessage { conn, id })
    }

    /// The handler returned (auto-response).
    pub fn on_handler_result(
        &mut self,
        conn: NodeId,
        id: MessageId,
        outcome: HandlerOutcome,
        now: SimTime,
        rng: &mut SimRng,
    ) -> Result<Vec<Action>, ClientError> {
        let mut out = Vec::new();
        self.on_handler_result_into(conn, id, outcome, now, rng, &mut out)?;
        Ok(out)
    }

    /// [`Consumer::on_handler_result`], appending its actions to `out`
    /// (nothing on an error).
    pub fn on_handler_result_into(
        &mut self,
        conn: NodeId,
        id: MessageId,
        outcome: HandlerOutcome,
        now: SimTime,
        rng: &mut SimRng,
        out: &mut Vec<Action>,
    ) -> Result<(), ClientError> {
        match outcome {
            HandlerOutcome::Success => self.on_finish_into(conn, id, now, rng, out),
            HandlerOutcome::Error => self.on_requeue_into(conn, id, None, true, now, rng, out),
            HandlerOutcome::Requeue(d) => self.on_requeue_into(conn, id, d, true, now, rng, out),
            HandlerOutcome::RequeueWithoutBackoff(d) => {
                self.on_requeue_into(conn, id, d, false, now, rng, out)
            }
            HandlerOutcome::NoAutoResponse => {
                self.attempts_of(conn, id)?;
                Ok(())
            }
        }
    }

    /// Take one copy of `id` off `conn`'s in-flight list (the response).
    fn respond(&mut self, conn: NodeId, id: MessageId) -> Result<u16, ClientError> {
        let attempts = self.attempts_of(conn, id)?;
        if let Some(m) = self.in_flight.get_mut(&conn) {
            if let Some(v) = m.get_mut(&id) {
                if !v.pop_first() {
                    m.remove(&id);
                }
            }
        }
        self.book.on_response(conn)?;
        Ok(attempts)
    }

    fn close_if_drained(&self, conn: NodeId, out: &mut Vec<Action>) {
        if let Some(c) = self.book.conn(conn) {
            if c.closing && c.in_flight == 0 {
                out.push(Action::Close { conn });
            }
        }
    }

    /// `Message.Finish`: resume signal, then `FIN`.
    pub fn on_finish(
        &mut self,
        conn: NodeId,
        id: MessageId,
        now: SimTime,
        rng: &mut SimRng,
    ) -> Result<Vec<Action>, ClientError> {
        let mut out = Vec::new();
        self.on_finish_into(conn, id, now, rng, &mut out)?;
        Ok(out)
    }

    /// [`Consumer::on_finish`], appending its actions to `out`.
    fn on_finish_into(
        &mut self,
        conn: NodeId,
        id: MessageId,
        now: SimTime,
        rng: &mut SimRng,
        out: &mut Vec<Action>,
    ) -> Result<(), ClientError> {
        self.respond(conn, id)?;
        self.stats.messages_finished += 1;
        self.backoff
            .on_signal(Signal::Resume, &mut self.book, now, rng, out);
        out.push(Action::Fin { conn, id });
        self.close_if_drained(conn, out);
        Ok(())
    }

    /// `Message.Requeue(delay)` (`backoff`) or `RequeueWithoutBackoff`:
    /// backoff or continue signal, then `REQ`. `None` is go-nsq's -1:
    /// `min(DefaultRequeueDelay * attempts, MaxRequeueDelay)`.
    pub fn on_requeue(
        &mut self,
        conn: NodeId,
        id: MessageId,
        delay: Option<SimDuration>,
        backoff: bool,
        now: SimTime,
        rng: &mut SimRng,
    ) -> Result<Vec<Action>, ClientError> {
        let mut out = Vec::new();
        self.on_requeue_into(conn, id, delay, backoff, now, rng, &mut out)?;
        Ok(out)
    }

    /// [`Consumer::on_requeue`], appending its actions to `out`.
    #[allow(clippy::too_many_arguments)]
    fn on_requeue_into(
        &mut self,
        conn: NodeId,
        id: MessageId,
        delay: Option<SimDuration>,
        backoff: bool,
        now: SimTime,
        rng: &mut SimRng,
        out: &mut Vec<Action>,
    ) -> Result<(), ClientError> {
        let attempts = self.respond(conn, id)?;
        let delay = delay.unwrap_or_else(|| self.default_requeue_delay(attempts));
        self.stats.messages_requeued += 1;
        let signal = if backoff {
            Signal::Backoff
        } else {
            Signal::Continue
        };
        self.backoff
            .on_signal(signal, &mut self.book, now, rng, out);
        out.push(Action::Req { conn, id, delay });
        self.close_if_drained(conn, out);
        Ok(())
    }

    /// `min(DefaultRequeueDelay * attempts, MaxRequeueDelay)`.
    pub fn default_requeue_delay(&self, attempts: u16) -> SimDuration {
        let d = self
            .config
            .default_requeue_delay
            .as_micros()
            .saturating_mul(u64::from(attempts));
        SimDuration::from_micros(d).min(self.config.max_requeue_delay)
    }

    /// `Message.Touch`.
    pub fn touch(&mut self, conn: NodeId, id: MessageId) -> Result<Vec<Action>, ClientError> {
        self.attempts_of(conn, id)?;
        Ok(vec![Action::Touch { conn, id }])
    }

    /// `ChangeMaxInFlight(n)`: every connection gets its new share (unless
    /// in backoff).
    pub fn change_max_in_flight(&mut self, n: u64, now: SimTime) -> Vec<Action> {
        let mut out = Vec::new();
        if !self.book.set_max_in_flight(n) {
            return out;
        }
        let (b, t) = (self.backoff.in_backoff(), self.backoff.in_backoff_timeout());
        for node in self.connections() {
            self.book.maybe_update_rdy(node, b, t, now, &mut out);
        }
        out
    }

    /// `ConnectToNSQLookupd`: the first one starts discovery (a lookup at
    /// once, then the jitter wait); see [`Discovery`].
    pub fn connect_to_lookupd(
        &mut self,
        lookupd: LookupdId,
        now: SimTime,
        rng: &mut SimRng,
    ) -> Result<Vec<Action>, ClientError> {
        self.can_connect()?;
        self.connected_flag = true;
        Ok(self.discovery.add(lookupd, now, rng))
    }

    /// `DisconnectFromNSQLookupd`: refused for the last one.
    pub fn disconnect_from_lookupd(&mut self, lookupd: LookupdId) -> Result<(), ClientError> {
        self.discovery.remove(lookupd)
    }

    /// The answer of a lookup: `Ok(producers)` or `Err(())` for any failure
    /// (network, 404 TOPIC_NOT_FOUND...), which asks the next lookupd, up to
    /// 3 tries. New producers are connected; nothing is ever dropped.
    pub fn on_lookup_response(
        &mut self,
        attempt: u8,
        answer: Result<&[NodeId], ()>,
    ) -> Vec<Action> {
        let mut out = Vec::new();
        match answer {
            Err(()) => self.discovery.on_failure(attempt, &mut out),
            Ok(nodes) => {
                for node in nodes {
                    if let Ok(a) = self.connect_to_nsqd(*node) {
                        out.extend(a);
                    }
                }
            }
        }
        out
    }

    /// A timer asked for earlier is due.
    pub fn on_timer(&mut self, timer: Timer, now: SimTime, rng: &mut SimRng) -> Vec<Action> {
        let mut out = Vec::new();
        self.on_timer_into(timer, now, rng, &mut out);
        out
    }

    /// [`Consumer::on_timer`], appending its actions to `out`.
    pub fn on_timer_into(&mut self, timer: Timer, now: SimTime, rng: &mut SimRng, out: &mut Vec<Action>) {
        if self.exited {
            return;
        }
        match timer {
            Timer::Backoff => {
                self.backoff
                    .on_backoff_timer(&mut self.book, self.stopped, now, rng, out);
            }
            Timer::RdyRetry(node) => self.book.on_retry_timer(node, now, out),
            Timer::Redistribute => {
                let (b, t) = (self.backoff.in_backoff(), self.backoff.in_backoff_timeout());
                self.book.redistribute(b, t, now, rng, out);
                let at = now + self.config.rdy_redistribute_interval;
                out.push(Action::At {
                    at,
                    timer: Timer::Redistribute,
                });
            }
            Timer::LookupdJitter => self.discovery.on_jitter_timer(now, out),
            Timer::LookupdPoll => self.discovery.on_poll_timer(now, out),
            Timer::Reconnect(node) => {
                if self.stopped || !self.nsqd_addrs.contains(&node) {
                    self.reconnecting.remove(&node);
                } else {
                    match self.connect_to_nsqd(node) {
                        Ok(a) => out.extend(a),
                        Err(ClientError::AlreadyConnected(_)) => {
                            self.reconnecting.remove(&node);
                        }
                        Err(_) => {
                            // go-nsq's loop sleeps and tries again
                            let at = now + self.config.lookupd_poll_interval;
                            out.push(Action::At {
                                at,
                                timer: Timer::Reconnect(node),
                            });
                        }
                    }
                }
            }
            Timer::StopDeadline => self.exit(out),
        }
    }

    /// `Stop()`: CLS on every connection and a 30 s deadline; without
    /// connections the handlers stop at once.
    pub fn stop(&mut self, now: SimTime) -> Vec<Action> {
        let mut out = Vec::new();
        if self.stopped {
            return out;
        }
        self.stopped = true;
        if self.book.is_empty() {
            self.stop_handlers(&mut out);
        } else {
            for conn in self.connections() {
                out.push(Action::StartClose { conn });
            }
            let at = now + STOP_DEADLINE;
            out.push(Action::At {
                at,
                timer: Timer::StopDeadline,
            });
        }
        out
    }

    /// A handler goroutine ended (after [`Action::StopHandlers`]); the last
    /// one makes the consumer exit.
    pub fn on_handler_exited(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        self.running_handlers = self.running_handlers.saturating_sub(1);
        if self.running_handlers == 0 {
            self.exit(&mut out);
        }
        out
    }

    fn stop_handlers(&mut self, out: &mut Vec<Action>) {
        if !self.handlers_stopped {
            self.handlers_stopped = true;
            out.push(Action::StopHandlers);
        }
    }

    fn exit(&mut self, out: &mut Vec<Action>) {
        if !self.exited {
            self.exited = true;
            out.push(Action::Exited);
        }
    }
}
