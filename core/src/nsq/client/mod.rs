//! The go-nsq consumer library (nsqio/go-nsq v1.1, `consumer.go`,
//! `conn.go`, `config.go`) as plain state machines, without the world.
//!
//! # Semantics (what go-nsq does)
//! - **RDY** ([`rdy`]): `MaxInFlight` (default 1) is split over the
//!   consumer's nsqd connections, `min(max(1, MaxInFlight / conns),
//!   MaxInFlight)` each (`perConnMaxInFlight`; integer division, so 10 over 3
//!   connections is 3+3+3 and MaxInFlight 0 gives 0). `updateRDY` caps each
//!   value by nsqd's `max_rdy_count` and truncates it so the sum never
//!   exceeds MaxInFlight; a refused 0 -> n update is retried after 5 s. A
//!   RDY command is only written when the value changes. Every 5 s
//!   `redistributeRDY` runs when there are more connections than
//!   MaxInFlight, or in backoff with more than one connection, or after a
//!   connection holding RDY closed: it takes RDY from connections idle for
//!   more than 10 s (or whose RDY is older than 30 s) and gives `RDY 1` to
//!   random connections until MaxInFlight (1 in backoff) is spent.
//! - **Backoff** ([`backoff`]): a handler error raises the level n (only
//!   while `multiplier * 2^(n+1) <= MaxBackoffDuration`), sets RDY 0 on
//!   every connection and waits `multiplier * 2^n`; signals during the wait
//!   are ignored; then `RDY 1` goes to one random connection. A success
//!   lowers n; at 0 every connection gets its share back.
//!   `RequeueWithoutBackoff` keeps the level (and waits again if n > 0).
//! - **Handler results** ([`consumer`]): success -> FIN, error -> REQ with
//!   delay `min(DefaultRequeueDelay * attempts, MaxRequeueDelay)` plus a
//!   backoff signal; attempts > MaxAttempts -> FIN without calling the
//!   handler (`LogFailedMessage`). The signal is handled, and its RDY
//!   commands written, *before* the FIN/REQ (`conn.go` `writeLoop`).
//! - **Discovery** ([`discovery`]): one lookup at once, then after a random
//!   jitter in `[0, LookupdPollJitter * interval)` one every
//!   `LookupdPollInterval`, each asking one nsqlookupd in turn (the next on
//!   error, 3 tries). New nsqds are connected; none is ever dropped because
//!   lookup stopped listing it. A closed connection triggers an immediate
//!   re-poll (without lookupds: a reconnect every poll interval).
//!
//! # Files
//! [`rdy`] (RDY bookkeeping), [`backoff`] (the backoff state machine),
//! [`config`] (`Config` defaults and validation), [`discovery`] (lookupd
//! polling), [`consumer`] (the composition: connections, handler results).
//!
//! # How the world drives it
//! Every method takes the current time (and a [`SimRng`] where go-nsq draws
//! a random number) and returns what to do as a list of [`Action`]s, in the
//! order go-nsq would do it: commands to write on a connection, messages
//! to hand to a handler goroutine, connections to open, lookups to send,
//! and timers ([`Action::At`]) that the world schedules and later reports
//! back with [`consumer::Consumer::on_timer`]. The methods of the message
//! path (`on_message`, `on_handler_result`, `on_timer`) also come as
//! `*_into` variants that append the same actions to a caller's buffer, so
//! a warm world allocates nothing per message.
//!
//! # Simplifications
//! - go-nsq iterates its connection *map* (random order); the model uses
//!   connection order (oldest first). Only the order of RDY commands within
//!   one step and which connection a truncation hits depend on it; every
//!   random choice go-nsq makes on purpose (the backoff probe, the
//!   redistribution picks, the poll jitter) is drawn from the [`SimRng`].
//! - A connection is keyed by its nsqd node ([`NodeId`]), as go-nsq keys it
//!   by the nsqd address. The TCP/IDENTIFY/SUB handshake, heartbeats, TLS,
//!   compression, auth and the HTTP client are the world's business.
//! - Handler concurrency, `DisableAutoResponse` and `ChangeMaxInFlight` are
//!   supported through the methods that implement them; the discovery
//!   filter and custom backoff strategies beyond exponential and full
//!   jitter are not.
//!
//! [`SimRng`]: crate::rng::SimRng

pub mod backoff;
pub mod config;
pub mod consumer;
pub mod discovery;
pub mod rdy;

pub use crate::nsq::lookupd::{LookupdId, NodeId};
use crate::nsq::message::MessageId;
use crate::time::{SimDuration, SimTime};
use std::fmt;

/// A timer the consumer asked for; the world reports it back at its time
/// with [`consumer::Consumer::on_timer`]. A timer that is no longer wanted
/// when it fires (a stopped RDY retry, an old backoff) is ignored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// The backoff wait is over (`time.AfterFunc(d, r.resume)`).
    Backoff,
    /// Retry a refused 0 -> n RDY update on this connection (5 s).
    RdyRetry(NodeId),
    /// `rdyLoop`'s ticker (`RDYRedistributeInterval`, 5 s).
    Redistribute,
    /// The poll jitter is over: start the poll ticker.
    LookupdJitter,
    /// `lookupdLoop`'s ticker (`LookupdPollInterval`).
    LookupdPoll,
    /// Without lookupds, reconnect to this nsqd (every poll interval).
    Reconnect(NodeId),
    /// `Stop()`'s 30 s hard deadline: exit even if handlers are busy.
    StopDeadline,
}

/// One thing the consumer wants done, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Write `RDY count` on the connection to `conn`.
    Rdy { conn: NodeId, count: u64 },
    /// Write `FIN id`.
    Fin { conn: NodeId, id: MessageId },
    /// Write `REQ id delay`.
    Req {
        conn: NodeId,
        id: MessageId,
        delay: SimDuration,
    },
    /// Write `TOUCH id`.
    Touch { conn: NodeId, id: MessageId },
    /// Write `CLS` (start a clean close).
    StartClose { conn: NodeId },
    /// Tear the connection down now (go-nsq's `Conn.close`, once no
    /// message is in flight on it); then report `on_conn_closed`.
    Close { conn: NodeId },
    /// Hand the message to a handler goroutine (`incomingMessages <- msg`).
    Handle {
        conn: NodeId,
        id: MessageId,
        attempts: u16,
    },
    /// The handler's `LogFailedMessage`: attempts exceeded MaxAttempts.
    LogFailed {
        conn: NodeId,
        id: MessageId,
        attempts: u16,
    },
    /// Open a connection to this nsqd (TCP, IDENTIFY, SUB); report the
    /// result with `on_connected` or `on_connect_failed`.
    Connect { node: NodeId },
    /// Send `GET /lookup?topic=...` to this lookupd; `attempt` (0, 1, 2)
    /// goes back with the answer (`queryLookupd`'s retries).
    QueryLookupd { lookupd: LookupdId, attempt: u8 },
    /// Schedule `timer` at `at`.
    At { at: SimTime, timer: Timer },
    /// Close `incomingMessages`: the handler goroutines end.
    StopHandlers,
    /// The consumer has exited (`StopChan` closes).
    Exited,
}

/// Why the consumer refused a call. Nothing changes when one is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientError {
    /// `ErrAlreadyConnected`: a connection to this nsqd exists or is pending.
    AlreadyConnected(NodeId),
    /// `ErrNotConnected`: no (pending) connection to this nsqd.
    NotConnected(NodeId),
    /// `ErrClosing`: the connection is closing, RDY cannot change.
    Closing(NodeId),
    /// `ErrOverMaxInFlight`: the RDY update would exceed MaxInFlight.
    OverMaxInFlight(NodeId),
    /// "consumer stopped".
    Stopped,
    /// "no handlers".
    NoHandlers,
    /// The message is not in flight on this connection (never delivered,
    /// or already answered).
    UnknownMessage { conn: NodeId, id: MessageId },
    /// A config value outside go-nsq's `min`/`max` tags (`Config.Validate`).
    InvalidConfig { field: &'static str },
    /// "cannot disconnect from only remaining nsqlookupd HTTP address".
    LastLookupd(LookupdId),
    /// `ErrNotConnected` for a lookupd not in the list.
    UnknownLookupd(LookupdId),
    /// `AddConcurrentHandlers` after connecting (go-nsq panics).
    HandlersAfterConnect,
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::AlreadyConnected(n) => write!(f, "already connected to nsqd {n}"),
            ClientError::NotConnected(n) => write!(f, "not connected to nsqd {n}"),
            ClientError::Closing(n) => write!(f, "connection to nsqd {n} is closing"),
            ClientError::OverMaxInFlight(n) => {
                write!(f, "RDY on nsqd {n} would exceed max in flight")
            }
            ClientError::Stopped => f.write_str("consumer stopped"),
            ClientError::NoHandlers => f.write_str("no handlers"),
            ClientError::UnknownMessage { conn, id } => {
                write!(f, "message {id} is not in flight on nsqd {conn}")
            }
            ClientError::InvalidConfig { field } => write!(f, "invalid config value {field}"),
            ClientError::UnknownLookupd(l) => write!(f, "not connected to {l}"),
            ClientError::HandlersAfterConnect => f.write_str("already connected"),
            ClientError::LastLookupd(l) => {
                write!(f, "cannot disconnect from only remaining nsqlookupd {l}")
            }
        }
    }
}

impl std::error::Error for ClientError {}
