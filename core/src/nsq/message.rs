//! One NSQ message (`nsqd/message.go`).
//!
//! # Semantics
//! A message is `[timestamp][attempts][id][body]`. The id is a 16-byte
//! GUID in nsqd, unique per topic; a topic gives each of its channels a
//! **fresh copy** with the same id, timestamp and deferral, so one
//! published message becomes one independent copy per channel (identified
//! by topic, channel and id). `attempts` starts at 0 and goes up by one at
//! each delivery (the first delivery carries 1); nsqd stores it as a
//! `uint16` that wraps, and so does the model. `timestamp` is the publish
//! time; `FIN` reports `now - timestamp` as end-to-end latency.
//!
//! # Simplifications
//! The id is a `u64` counter per topic (nsqd's GUID is time-based and
//! unique per node). The body is a stand-in, [`Body`]: who produced the
//! message and which value, enough for the ledger and the page.

use crate::time::{SimDuration, SimTime};

/// A message id, unique within its topic (nsqd: 16-byte GUID).
pub type MessageId = u64;
/// A client connection's id on one nsqd (nsqd: `clientV2.ID`).
pub type ClientId = u64;

/// What the message carries, as plain data: the producer's label and the
/// value it sent (the world chooses both, e.g. a producer index and a
/// ledger id).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Body {
    pub producer: u32,
    pub value: u64,
    /// The world's publish sequence number: the guarantees book's logical
    /// message and its publish order.
    pub seq: u64,
}

/// One copy of a message as nsqd holds it in a queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: MessageId,
    pub body: Body,
    /// Publish time (nsqd: `Timestamp`, set by `NewMessage`).
    pub timestamp: SimTime,
    /// Deliveries so far (0 until the first delivery).
    pub attempts: u16,
    /// DPUB delay still to apply when the topic hands the copy to its
    /// channels (nsqd: `deferred`). Zero for PUB. Not written to disk: a
    /// deferred message that spills to the topic's disk queue loses it.
    pub deferred: SimDuration,
}

impl Message {
    /// A fresh message published at `now` (nsqd: `NewMessage`).
    pub fn new(id: MessageId, body: Body, now: SimTime) -> Message {
        Message {
            id,
            body,
            timestamp: now,
            attempts: 0,
            deferred: SimDuration::ZERO,
        }
    }

    /// The fields that survive a disk write (`writeMessageToBackend`:
    /// timestamp, attempts, id, body; the deferral is dropped).
    pub fn as_written_to_disk(mut self) -> Message {
        self.deferred = SimDuration::ZERO;
        self
    }
}

/// A message in flight: the copy, its owner, when it was delivered and
/// when it times out (nsqd: `clientID`, `deliveryTS`, `pri`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InFlight {
    pub message: Message,
    pub client: ClientId,
    pub delivered_at: SimTime,
    pub deadline: SimTime,
}
