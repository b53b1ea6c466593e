//! NSQ: the nsqd server model ([`nsqd`]), its messages ([`message`]) and
//! topic/channel names ([`names`]); nsqlookupd ([`lookupd`]); the go-nsq
//! consumer's internals ([`client`]: RDY distribution, backoff, discovery).
//! All are plain state machines (time passed in, decisions returned); the
//! world integration builds on them.
//!
//! # Semantics (nsqio/nsq v1.3, `nsqd/`)
//! A **topic** copies every published message to each of its **channels**;
//! within a channel each copy goes to one consumer. Topics and channels hold
//! a memory queue of `mem-queue-size` messages that overflows to a disk
//! queue; the reader picks at random when both hold messages, so NSQ keeps
//! no order. A consumer pulls a copy into **in flight** (owner, deadline);
//! `FIN` finishes it, `REQ` puts it back (at once or deferred), `TOUCH`
//! extends its deadline, a missed deadline puts it back with
//! `timeout_count + 1`. See [`nsqd`] for the full list and what the model
//! simplifies.
//!
//! # Errors
//! Everything a client or an operator can get wrong is an [`NsqError`]
//! whose `Display` starts with nsqd's own error code (`E_FIN_FAILED`,
//! `E_INVALID`, ...). A refused command changes nothing. Whether nsqd would
//! close the connection is [`NsqError::is_fatal`]. No input panics.

pub mod client;
pub mod guarantees;
pub mod lookupd;
pub mod message;
pub mod names;
pub mod nsqd;
pub(crate) mod seq_map;
pub mod spec;

use crate::time::{echo, SimDuration};
use message::{ClientId, MessageId};
use std::fmt;

/// Why a FIN, REQ or TOUCH named a message the client may not act on
/// (nsqd's `popInFlightMessage`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotInFlight {
    /// No in-flight message has this id (never delivered, already finished,
    /// timed out, requeued or emptied).
    NotInFlight,
    /// The message is in flight to another client.
    NotOwner,
}

impl fmt::Display for NotInFlight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NotInFlight::NotInFlight => "ID not in flight",
            NotInFlight::NotOwner => "client does not own message",
        })
    }
}

/// A command nsqd refuses. `Display` gives nsqd's error code first, then
/// its message (e.g. `E_FIN_FAILED FIN 17 failed ID not in flight`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NsqError {
    /// `E_FIN_FAILED` (not fatal).
    FinFailed { id: MessageId, why: NotInFlight },
    /// `E_REQ_FAILED` (not fatal).
    ReqFailed { id: MessageId, why: NotInFlight },
    /// `E_TOUCH_FAILED` (not fatal).
    TouchFailed { id: MessageId, why: NotInFlight },
    /// `E_INVALID RDY count n out of range 0-max` (fatal).
    RdyOutOfRange { count: i64, max: u64 },
    /// `E_INVALID DPUB timeout ms out of range 0-max` (fatal; not clamped).
    DpubOutOfRange { ms: i64, max_ms: u64 },
    /// `E_INVALID REQ could not parse timeout` (fatal): nsqd parses the
    /// timeout as unsigned digits, so a negative one never reaches the clamp.
    ReqBadTimeout { ms: i64 },
    /// `E_INVALID cannot <verb> in current state` (fatal): the client is not
    /// subscribed to this channel.
    NotSubscribed {
        verb: &'static str,
        client: ClientId,
    },
    /// `E_BAD_TOPIC` (fatal).
    BadTopic { name: String },
    /// `E_BAD_CHANNEL` (fatal).
    BadChannel { name: String },
    /// `E_BAD_BODY` (fatal): an IDENTIFY value out of range (msg_timeout).
    BadMsgTimeout { ms: u64, max_ms: u64 },
    /// `E_SUB_FAILED` (fatal): max-channel-consumers reached.
    TooManyConsumers {
        topic: String,
        channel: String,
        max: usize,
    },
    /// HTTP 404 `TOPIC_NOT_FOUND`.
    TopicNotFound { name: String },
    /// HTTP 404 `CHANNEL_NOT_FOUND`.
    ChannelNotFound { name: String },
    /// nsqd's internal "ID already in flight" / "ID already deferred": two
    /// copies with one id in one channel. Topics never produce this; only a
    /// direct caller of [`nsqd::channel::Channel::put`] can.
    DuplicateId { id: MessageId },
}

impl NsqError {
    /// nsqd's error code (the first word of the error frame or HTTP body).
    pub fn code(&self) -> &'static str {
        match self {
            NsqError::FinFailed { .. } => "E_FIN_FAILED",
            NsqError::ReqFailed { .. } => "E_REQ_FAILED",
            NsqError::TouchFailed { .. } => "E_TOUCH_FAILED",
            NsqError::RdyOutOfRange { .. }
            | NsqError::DpubOutOfRange { .. }
            | NsqError::ReqBadTimeout { .. }
            | NsqError::NotSubscribed { .. } => "E_INVALID",
            NsqError::BadTopic { .. } => "E_BAD_TOPIC",
            NsqError::BadChannel { .. } => "E_BAD_CHANNEL",
            NsqError::BadMsgTimeout { .. } => "E_BAD_BODY",
            NsqError::TooManyConsumers { .. } => "E_SUB_FAILED",
            NsqError::TopicNotFound { .. } => "TOPIC_NOT_FOUND",
            NsqError::ChannelNotFound { .. } => "CHANNEL_NOT_FOUND",
            NsqError::DuplicateId { .. } => "E_INTERNAL",
        }
    }

    /// Whether nsqd closes the client's connection after this error
    /// (`FatalClientErr`). FIN/REQ/TOUCH failures are not fatal.
    pub fn is_fatal(&self) -> bool {
        !matches!(
            self,
            NsqError::FinFailed { .. }
                | NsqError::ReqFailed { .. }
                | NsqError::TouchFailed { .. }
                | NsqError::TopicNotFound { .. }
                | NsqError::ChannelNotFound { .. }
                | NsqError::DuplicateId { .. }
        )
    }
}

impl fmt::Display for NsqError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code();
        match self {
            NsqError::FinFailed { id, why } => write!(f, "{code} FIN {id} failed {why}"),
            NsqError::ReqFailed { id, why } => write!(f, "{code} REQ {id} failed {why}"),
            NsqError::TouchFailed { id, why } => write!(f, "{code} TOUCH {id} failed {why}"),
            NsqError::RdyOutOfRange { count, .. } if *count < 0 => {
                write!(f, "{code} RDY could not parse count {count}")
            }
            NsqError::RdyOutOfRange { count, max } => {
                write!(f, "{code} RDY count {count} out of range 0-{max}")
            }
            NsqError::DpubOutOfRange { ms, max_ms } => {
                write!(f, "{code} DPUB timeout {ms} out of range 0-{max_ms}")
            }
            NsqError::ReqBadTimeout { ms } => write!(f, "{code} REQ could not parse timeout {ms}"),
            NsqError::NotSubscribed { verb, client } => {
                write!(f, "{code} cannot {verb} in current state (client {client})")
            }
            // Names echoed capped (a 64-character limit is what makes them bad, often).
            NsqError::BadTopic { name } => write!(f, "{code} topic name {} is not valid", echo(name)),
            NsqError::BadChannel { name } => {
                write!(f, "{code} channel name {} is not valid", echo(name))
            }
            NsqError::BadMsgTimeout { ms, max_ms } => {
                write!(
                    f,
                    "{code} IDENTIFY msg timeout ({ms}) is invalid (1000-{max_ms})"
                )
            }
            NsqError::TooManyConsumers {
                topic,
                channel,
                max,
            } => write!(
                f,
                "{code} SUB failed consumers for {topic}:{channel} exceeds limit of {max}"
            ),
            NsqError::TopicNotFound { name } => write!(f, "{code} {name}"),
            NsqError::ChannelNotFound { name } => write!(f, "{code} {name}"),
            NsqError::DuplicateId { id } => {
                write!(f, "{code} ID {id} already in flight or deferred")
            }
        }
    }
}

impl std::error::Error for NsqError {}

/// The delay of `REQ <id> <ms>` as nsqd reads it: a negative number fails
/// to parse (fatal `E_INVALID`); above `max_req_timeout` (default 1 h) it is
/// clamped with only a log line (`protocol_v2.go` `REQ`).
pub fn req_delay_from_millis(
    ms: i64,
    max_req_timeout: SimDuration,
) -> Result<SimDuration, NsqError> {
    let ms = u64::try_from(ms).map_err(|_| NsqError::ReqBadTimeout { ms })?;
    let d = SimDuration::from_micros(ms.saturating_mul(1000));
    Ok(d.min(max_req_timeout))
}

/// The delay of `DPUB <topic> <ms>`: refused (fatal `E_INVALID`, HTTP 400
/// `INVALID_DEFER`) outside `[0, max_req_timeout]`, never clamped.
pub fn dpub_delay_from_millis(
    ms: i64,
    max_req_timeout: SimDuration,
) -> Result<SimDuration, NsqError> {
    let max_ms = max_req_timeout.as_micros() / 1000;
    match u64::try_from(ms) {
        Ok(m) if m.saturating_mul(1000) <= max_req_timeout.as_micros() => {
            Ok(SimDuration::from_micros(m.saturating_mul(1000)))
        }
        _ => Err(NsqError::DpubOutOfRange { ms, max_ms }),
    }
}
