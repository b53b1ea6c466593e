//! RDY bookkeeping of a go-nsq consumer (`consumer.go`: `perConnMaxInFlight`,
//! `maybeUpdateRDY`, `updateRDY`, `sendRDY`, `redistributeRDY`, and the RDY
//! part of `onConnClose`; `conn.go`: `RDY`, `SetRDY`, `MaxRDY`).
//!
//! # Semantics
//! - `per_conn_max_in_flight = min(max(1, MaxInFlight / conns),
//!   MaxInFlight)`; go-nsq divides as floats and truncates, which is integer
//!   division here: 10 over 3 is 3, 1 over 3 is 1, MaxInFlight 0 is 0. With
//!   no connection it is MaxInFlight (Go's `b / 0.0` is +Inf).
//! - `update_rdy(conn, n)`: refused on a closing connection; n is capped by
//!   the connection's `max_rdy_count`; any pending retry is stopped; n is
//!   truncated to `MaxInFlight - total + rdy(conn)` when that is positive and
//!   smaller. When that is `<= 0` and n > 0 the update is refused
//!   (`ErrOverMaxInFlight`) and, if the connection sits at RDY 0, retried in
//!   5 s so it cannot starve forever.
//! - `send_rdy`: 0 on a connection already at 0 does nothing; otherwise the
//!   total and the connection's RDY are updated, `last_rdy_at` is set for a
//!   positive value, and `RDY n` is written only if n differs from before.
//! - `redistribute`: see [`RdyBook::redistribute`].
//!
//! Together these keep `sum(RDY) <= MaxInFlight` and `RDY <= max_rdy_count`
//! on every connection, whatever happens (proptested), except right after
//! `change_max_in_flight` lowers MaxInFlight, which go-nsq does not undo at
//! once either.

use super::{Action, ClientError, NodeId, Timer};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};

/// How long a refused 0 -> n RDY update waits before it is tried again
/// (hard-coded `5*time.Second` in `updateRDY`).
pub const RDY_RETRY_DELAY: SimDuration = SimDuration::from_secs(5);

/// nsqd's default `max-rdy-count` (go-nsq's `Conn.maxRdyCount` before
/// IDENTIFY says otherwise).
pub const DEFAULT_MAX_RDY_COUNT: u64 = 2500;

/// The RDY side of one nsqd connection (`Conn`'s counters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnRdy {
    pub node: NodeId,
    /// The RDY count last set (`rdyCount`; go-nsq's `LastRDY` reads the
    /// same field).
    pub rdy: u64,
    /// nsqd's `max_rdy_count` from the IDENTIFY response.
    pub max_rdy: u64,
    /// Messages received and not yet answered (`messagesInFlight`).
    pub in_flight: u64,
    /// When the last message arrived (`lastMsgTimestamp`); `None` = never,
    /// which go-nsq sees as 1970, so "idle" at once.
    pub last_msg_at: Option<SimTime>,
    /// When RDY was last set to a positive value (`lastRdyTimestamp`).
    pub last_rdy_at: Option<SimTime>,
    /// `IsClosing`: RDY can no longer change.
    pub closing: bool,
    /// A pending retry of a refused update: when, and to which count.
    pub retry: Option<(SimTime, u64)>,
}

impl ConnRdy {
    fn new(node: NodeId, max_rdy: u64) -> Self {
        ConnRdy {
            node,
            rdy: 0,
            max_rdy,
            in_flight: 0,
            last_msg_at: None,
            last_rdy_at: None,
            closing: false,
            retry: None,
        }
    }
}

/// All connections' RDY state plus MaxInFlight and the total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RdyBook {
    max_in_flight: u64,
    /// `totalRdyCount`: the sum of every connection's RDY.
    total: u64,
    /// Connections in the order they were made.
    conns: Vec<ConnRdy>,
    /// `needRDYRedistributed`.
    need_redistribute: bool,
    low_rdy_idle_timeout: SimDuration,
    low_rdy_timeout: SimDuration,
}

impl RdyBook {
    pub fn new(
        max_in_flight: u64,
        low_rdy_idle_timeout: SimDuration,
        low_rdy_timeout: SimDuration,
    ) -> Self {
        RdyBook {
            max_in_flight,
            total: 0,
            conns: Vec::new(),
            need_redistribute: false,
            low_rdy_idle_timeout,
            low_rdy_timeout,
        }
    }

    pub fn max_in_flight(&self) -> u64 {
        self.max_in_flight
    }
    /// The sum of every connection's RDY (`totalRdyCount`).
    pub fn total(&self) -> u64 {
        self.total
    }
    pub fn conns(&self) -> &[ConnRdy] {
        &self.conns
    }
    pub fn conn(&self, node: NodeId) -> Option<&ConnRdy> {
        self.conns.iter().find(|c| c.node == node)
    }
    fn conn_mut(&mut self, node: NodeId) -> Option<&mut ConnRdy> {
        self.conns.iter_mut().find(|c| c.node == node)
    }
    pub fn len(&self) -> usize {
        self.conns.len()
    }
    pub fn is_empty(&self) -> bool {
        self.conns.is_empty()
    }
    pub fn need_redistribute(&self) -> bool {
        self.need_redistribute
    }
    /// Set `needRDYRedistributed` (an external heuristic asks for it).
    pub fn request_redistribute(&mut self) {
        self.need_redistribute = true;
    }

    /// A new connection at RDY 0 (added to `r.connections`). Refused if one
    /// to this node exists.
    pub fn add_conn(&mut self, node: NodeId, max_rdy: u64) -> Result<(), ClientError> {
        if self.conn(node).is_some() {
            return Err(ClientError::AlreadyConnected(node));
        }
        self.conns.push(ConnRdy::new(node, max_rdy));
        Ok(())
    }

    /// `perConnMaxInFlight`.
    pub fn per_conn_max_in_flight(&self) -> u64 {
        per_conn_max_in_flight(self.max_in_flight, self.conns.len())
    }

    /// Set MaxInFlight (`ChangeMaxInFlight` without the per-connection
    /// updates, which the caller does). Returns false if unchanged.
    pub fn set_max_in_flight(&mut self, n: u64) -> bool {
        if self.max_in_flight == n {
            return false;
        }
        self.max_in_flight = n;
        true
    }

    /// `updateRDY(c, count)`. Pushes `RDY n` (if written) or a retry timer.
    pub fn update_rdy(
        &mut self,
        node: NodeId,
        count: u64,
        now: SimTime,
        out: &mut Vec<Action>,
    ) -> Result<(), ClientError> {
        let max_in_flight = self.max_in_flight;
        let total = self.total;
        let c = self
            .conns
            .iter_mut()
            .find(|c| c.node == node)
            .ok_or(ClientError::NotConnected(node))?;
        if c.closing {
            return Err(ClientError::Closing(node));
        }
        // never exceed the nsqd's configured max RDY count
        let mut count = count.min(c.max_rdy);
        // stop any pending retry of an old RDY update
        c.retry = None;
        // never exceed our global max in flight; truncate if possible
        let max_possible = max_in_flight as i128 - total as i128 + c.rdy as i128;
        if max_possible > 0 && max_possible < count as i128 {
            count = max_possible as u64;
        }
        if max_possible <= 0 && count > 0 {
            if c.rdy == 0 {
                // retry later so this connection cannot starve forever
                let at = now + RDY_RETRY_DELAY;
                c.retry = Some((at, count));
                out.push(Action::At {
                    at,
                    timer: Timer::RdyRetry(node),
                });
            }
            return Err(ClientError::OverMaxInFlight(node));
        }
        self.send_rdy(node, count, now, out);
        Ok(())
    }

    /// `sendRDY`: record the new count, write it only if it changed.
    fn send_rdy(&mut self, node: NodeId, count: u64, now: SimTime, out: &mut Vec<Action>) {
        let Some(c) = self.conns.iter_mut().find(|c| c.node == node) else {
            return;
        };
        if count == 0 && c.rdy == 0 {
            return;
        }
        let last = c.rdy;
        self.total = self.total.saturating_sub(last).saturating_add(count);
        c.rdy = count;
        if count > 0 {
            c.last_rdy_at = Some(now);
        }
        if count != last {
            out.push(Action::Rdy { conn: node, count });
        }
    }

    /// The retry timer of a refused update fired: `updateRDY(c, count)`
    /// again, unless the retry was stopped meanwhile.
    pub fn on_retry_timer(&mut self, node: NodeId, now: SimTime, out: &mut Vec<Action>) {
        let Some(c) = self.conn(node) else { return };
        match c.retry {
            Some((at, count)) if at <= now => {
                // the timer is consumed whatever the outcome (Go's AfterFunc)
                if let Some(c) = self.conn_mut(node) {
                    c.retry = None;
                }
                let _ = self.update_rdy(node, count, now, out);
            }
            _ => {}
        }
    }

    /// `maybeUpdateRDY`: give `node` its share, unless in backoff or in a
    /// backoff wait.
    pub fn maybe_update_rdy(
        &mut self,
        node: NodeId,
        in_backoff: bool,
        in_backoff_timeout: bool,
        now: SimTime,
        out: &mut Vec<Action>,
    ) {
        if in_backoff || in_backoff_timeout {
            return;
        }
        let count = self.per_conn_max_in_flight();
        let _ = self.update_rdy(node, count, now, out);
    }

    /// A message arrived on `node` (`readLoop`: `messagesInFlight + 1`,
    /// `lastMsgTimestamp = now`).
    pub fn on_message(&mut self, node: NodeId, now: SimTime) -> Result<(), ClientError> {
        let c = self.conn_mut(node).ok_or(ClientError::NotConnected(node))?;
        c.in_flight = c.in_flight.saturating_add(1);
        c.last_msg_at = Some(now);
        Ok(())
    }

    /// A response to a message was written (`writeLoop`: `messagesInFlight
    /// - 1`).
    pub fn on_response(&mut self, node: NodeId) -> Result<(), ClientError> {
        let c = self.conn_mut(node).ok_or(ClientError::NotConnected(node))?;
        c.in_flight = c.in_flight.saturating_sub(1);
        Ok(())
    }

    /// The RDY part of `onConnClose`: the connection's RDY leaves the total,
    /// its retry stops, and if it held RDY (or a retry) while the consumer
    /// leaves the redistribution cases (`left == MaxInFlight`) or is in
    /// backoff, a redistribution is requested.
    pub fn remove_conn(&mut self, node: NodeId, in_backoff: bool) -> Result<(), ClientError> {
        let i = self
            .conns
            .iter()
            .position(|c| c.node == node)
            .ok_or(ClientError::NotConnected(node))?;
        let c = self.conns.remove(i);
        self.total = self.total.saturating_sub(c.rdy);
        let left = self.conns.len() as u64;
        if (c.retry.is_some() || c.rdy > 0) && (left == self.max_in_flight || in_backoff) {
            self.need_redistribute = true;
        }
        Ok(())
    }

    /// `redistributeRDY`, run by the 5 s ticker:
    /// 1. nothing during a backoff wait or without connections;
    /// 2. a redistribution is needed when there are more connections than
    ///    MaxInFlight, or in backoff with more than one connection, or when
    ///    it was requested (a connection holding RDY closed);
    /// 3. connections holding RDY give it up (RDY 0) when no message came
    ///    for more than `low_rdy_idle_timeout` (10 s), or else when their
    ///    RDY was set more than `low_rdy_timeout` (30 s) ago;
    /// 4. `available = MaxInFlight - total` (in backoff `1 - total`) random
    ///    distinct connections get `RDY 1`, each draw `next_u64() % left`.
    pub fn redistribute(
        &mut self,
        in_backoff: bool,
        in_backoff_timeout: bool,
        now: SimTime,
        rng: &mut SimRng,
        out: &mut Vec<Action>,
    ) {
        if in_backoff_timeout || self.conns.is_empty() {
            return;
        }
        let n = self.conns.len() as u64;
        if n > self.max_in_flight {
            self.need_redistribute = true;
        }
        if in_backoff && n > 1 {
            self.need_redistribute = true;
        }
        if !self.need_redistribute {
            return;
        }
        self.need_redistribute = false;

        let mut possible: Vec<NodeId> = Vec::with_capacity(self.conns.len());
        let nodes: Vec<NodeId> = self.conns.iter().map(|c| c.node).collect();
        for node in nodes {
            if let Some(c) = self.conn(node) {
                if c.rdy > 0 {
                    let idle = since(now, c.last_msg_at) > self.low_rdy_idle_timeout;
                    let old = since(now, c.last_rdy_at) > self.low_rdy_timeout;
                    if idle || old {
                        let _ = self.update_rdy(node, 0, now, out);
                    }
                }
            }
            possible.push(node);
        }

        let cap = if in_backoff { 1 } else { self.max_in_flight };
        let mut available = cap as i128 - self.total as i128;
        while !possible.is_empty() && available > 0 {
            available -= 1;
            let i = (rng.next_u64() % possible.len() as u64) as usize;
            let node = possible.remove(i);
            let _ = self.update_rdy(node, 1, now, out);
        }
    }

    /// Mark a connection closing (`Conn.Close`'s `closeFlag`).
    pub fn set_closing(&mut self, node: NodeId) -> Result<(), ClientError> {
        let c = self.conn_mut(node).ok_or(ClientError::NotConnected(node))?;
        c.closing = true;
        Ok(())
    }
}

/// Time since `t`; `None` ("never") is longer than any duration (Go's zero
/// timestamp is 1970).
fn since(now: SimTime, t: Option<SimTime>) -> SimDuration {
    match t {
        Some(t) => now.since(t),
        None => SimDuration::MAX,
    }
}

/// `perConnMaxInFlight` for `max_in_flight` over `conns` connections:
/// `min(max(1, max_in_flight / conns), max_in_flight)`.
pub fn per_conn_max_in_flight(max_in_flight: u64, conns: usize) -> u64 {
    if conns == 0 {
        return max_in_flight;
    }
    (max_in_flight / conns as u64).max(1).min(max_in_flight)
}
