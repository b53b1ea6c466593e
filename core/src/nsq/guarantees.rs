//! The guarantees book: what happened to every channel copy of every
//! published message (SEMANTICS 2.x, issue 12 "the ledger").
//!
//! (Skeleton: the shared vocabulary. The book itself lands next.)

use serde::{Deserialize, Serialize};

/// Why a channel copy (or a message still held by its topic) was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossCause {
    /// nsqd crashed (unclean): memory queues, in flight, deferred and
    /// unsynced disk writes are gone.
    UncleanCrash,
    /// An ephemeral topic or channel was full (no disk): dropped.
    EphemeralOverflow,
    /// An ephemeral channel disappeared with its last consumer.
    EphemeralGone,
    /// An operator emptied the channel or topic.
    Emptied,
    /// An operator deleted the channel or topic.
    Deleted,
    /// go-nsq FINed it without handling: attempts > MaxAttempts.
    MaxAttempts,
    /// The publish never reached a topic (connection failed or nsqd down).
    PublishFailed,
}

/// What one channel (by topic and channel name, over every node) did with
/// the messages published to its topic: nsqadmin cannot tell you this; the
/// book can.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChannelGuarantees {
    pub topic: String,
    pub channel: String,
    /// Messages (logical: the same message published to two nodes counts
    /// once) of which this channel got a copy.
    pub published: u64,
    /// Messages whose copy was finished after a successful handling.
    pub finished: u64,
    /// Messages handled exactly once.
    pub handled_once: u64,
    /// Messages handled more than once (duplicates).
    pub handled_more_than_once: u64,
    /// Messages lost, by cause (no copy finished, none live).
    pub lost: Vec<(LossCause, u64)>,
    /// Messages first handled after a later-published one was.
    pub reordered: u64,
    /// Messages still queued, deferred or in flight somewhere.
    pub live: u64,
}
