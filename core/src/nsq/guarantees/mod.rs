//! The guarantees book: what happened to every channel copy of every
//! published message (SEMANTICS 2.2, 2.7; issue 12 "the ledger").
//!
//! # Semantics (what counts as what)
//! - A **logical message** ([`Logical`], chosen by the caller) is what a
//!   producer meant to send once; publishing it to two nsqd nodes makes two
//!   physical messages with one `Logical`. Its `order` is the caller's global
//!   publish sequence number; every record of one `Logical` must carry the
//!   same order (else [`BookError::OrderMismatch`]).
//! - A **copy** is one channel's copy of one physical message, keyed by
//!   ([`ChanKey`], [`MessageId`]). It is always in exactly one [`Place`]:
//!   `Queued` (memory or disk), `Deferred`, `InFlight`, or settled:
//!   `Finished` or `Lost(cause)`. A settled copy moves again only when
//!   nsqd's disk queue reads it again after an unclean crash (`rewound`);
//!   a copy once finished counts as finished for good. A message
//!   a topic holds before any channel exists (or while paused) is
//!   `TopicHeld` at topic level until [`Guarantees::released`] turns it into
//!   copies or [`Guarantees::topic_lost`] loses it.
//! - A **logical channel** is (topic name, channel name) over every node;
//!   [`ChannelGuarantees`] counts logical messages per logical channel. Its
//!   **entries** for a message are its copies in that channel name on every
//!   node, plus lost-without-a-copy entries: a [`Guarantees::publish_failed`]
//!   or a [`Guarantees::topic_lost`] puts one `Lost` entry into every logical
//!   channel already known (registered on any node, ever) with that topic
//!   name: those channels were owed a copy. If none is known, only the
//!   topic-level count ([`Guarantees::topic_losses`]) or the return value
//!   records it.
//! - `published`: messages with at least one entry. They split exactly into
//!   `finished` (an entry finished), else `live` (an entry queued, deferred
//!   or in flight), else `lost` (every entry lost; the cause is that of the
//!   **latest** loss). So `finished + live + sum(lost) == published`; a
//!   finished message whose redundant copy is still queued counts finished.
//! - `handled_once` / `handled_more_than_once`: by the number of
//!   [`Guarantees::handled`] calls (a handler started) over all the
//!   message's copies in that channel name; 0 handlings is neither.
//!   A duplicate comes from a redelivery (timeout, REQ) or a redundant pair.
//! - `reordered`: messages whose first handling in that channel name came
//!   after the first handling of a message with a higher `order`.
//! - [`Guarantees::report`] has a row for every logical channel ever
//!   registered (all zero until it gets an entry), sorted by names.
//!
//! # Verbs
//! Each verb names the copy and checks its place; a verb on a copy in the
//! wrong place (or an unknown key) returns a [`BookError`] and changes
//! nothing. Transitions: `copied` -> Queued; `delivered`: Queued ->
//! InFlight; `requeued`, `timed_out`: InFlight -> Queued; `deferred`:
//! InFlight (REQ d) or Queued (a DPUB copy just made) -> Deferred;
//! `undeferred`: Deferred -> Queued; `handled`: any place (the handler ran on a delivery, whatever happened since);
//! `finished`: InFlight -> Finished; `lost`: any live place -> Lost
//! (`MaxAttempts` only from InFlight; `PublishFailed` never: a copy exists);
//! `rewound`: any place -> Queued.
//!
//! # Keys and memory
//! [`Guarantees::channel`] / [`Guarantees::topic`] are idempotent. nsqd
//! restarts a re-created topic's ids at 0, so a deleted channel or topic must
//! be **retired** ([`Guarantees::retire_channel`], `retire_topic`; refused
//! while it holds a live copy): the next registration of the same names gets
//! a new key, in the same logical channel. Nothing is forgotten: the book
//! keeps one small record per copy, per (logical channel, logical message)
//! and per lost-without-copy entry for the whole run (no compaction), so a
//! clone costs O(copies). Records are index-addressed (per channel key and
//! per logical channel, a `SeqMap`: values in chunks that growth does not copy, keys
//! in a sorted run): a verb on a copy is O(1) while message ids and logical
//! messages arrive in increasing order (the usual case), O(log n) otherwise,
//! and allocates nothing beyond a new chunk now and then. Counters are
//! kept incrementally; [`Guarantees::recount`] recomputes them from the
//! records and [`Guarantees::check`] compares the two. Every listing is in
//! key order, whatever order the records were made in.
//!
//! # Files
//! This file holds the types and the verbs; `keys.rs` the registration of
//! topics and channels (keys, retiring); `counters.rs` a logical
//! channel's counters and per-message records; `report.rs` the report,
//! the recount and the check; `queries.rs` the page's read-only queries.

use crate::nsq::message::{ClientId, MessageId};
use crate::nsq::seq_map::SeqMap;
use crate::time::SimTime;
use serde::{Deserialize, Serialize};
use litemap::LiteMap;
use std::collections::BTreeMap;
use std::fmt;

mod counters;
use counters::{Cat, Counters, Lc, MsgRec};
mod keys;
mod queries;
mod report;
pub use queries::{CopyLife, Figure, MessageLife, MessageRow, Origin, Standing};

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

impl LossCause {
    /// Every cause, in order.
    pub const ALL: [LossCause; 7] = [
        LossCause::UncleanCrash,
        LossCause::EphemeralOverflow,
        LossCause::EphemeralGone,
        LossCause::Emptied,
        LossCause::Deleted,
        LossCause::MaxAttempts,
        LossCause::PublishFailed,
    ];
}

/// What one channel (by topic and channel name, over every node) did with
/// the messages published to its topic: nsqadmin cannot tell you this; the
/// book can. See the module docs for the exact rules.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChannelGuarantees {
    pub topic: String,
    pub channel: String,
    /// Messages (logical: the same message published to two nodes counts
    /// once) of which this channel got a copy, or was owed one (publish
    /// failed, lost in the topic).
    pub published: u64,
    /// Messages with a copy finished after a successful handling.
    pub finished: u64,
    /// Messages handled exactly once.
    pub handled_once: u64,
    /// Messages handled more than once (duplicates).
    pub handled_more_than_once: u64,
    /// Messages lost, by cause of the latest loss (no copy finished, none
    /// live); sorted by cause, zero counts omitted.
    pub lost: Vec<(LossCause, u64)>,
    /// Messages first handled after a later-published one was.
    pub reordered: u64,
    /// Messages not finished with a copy queued, deferred or in flight.
    pub live: u64,
}

/// A logical message: the same id for every physical publish of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Logical(pub u64);

/// A registered channel on one node (see [`Guarantees::channel`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChanKey(u32);

/// A registered topic on one node (see [`Guarantees::topic`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicKey(u32);

/// Where a copy is. `TopicHeld` is only ever a topic-level place
/// ([`Guarantees::topic_place`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    TopicHeld,
    /// In the channel's memory or disk queue.
    Queued,
    Deferred,
    InFlight {
        client: ClientId,
        attempt: u16,
    },
    Finished,
    Lost(LossCause),
}

impl Place {
    /// Queued, deferred or in flight (a copy that can still move).
    pub fn is_live(self) -> bool {
        matches!(
            self,
            Place::Queued | Place::Deferred | Place::InFlight { .. }
        )
    }
}

/// One copy as the book sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CopyInfo {
    pub logical: Logical,
    pub order: u64,
    pub place: Place,
    /// Handlings of this copy (one per delivery at most).
    pub handled: u32,
    /// Deliveries so far: nsqd's attempts at the latest delivery (0 until
    /// the first).
    pub attempts: u16,
}

/// A refused verb (nothing changed). The world treats it as its own bug.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BookError {
    UnknownTopic(TopicKey),
    UnknownChannel(ChanKey),
    /// The key was retired; register the names again for a new one.
    RetiredTopic(TopicKey),
    RetiredChannel(ChanKey),
    NoSuchCopy {
        chan: ChanKey,
        id: MessageId,
    },
    CopyExists {
        chan: ChanKey,
        id: MessageId,
    },
    NotHeld {
        topic: TopicKey,
        id: MessageId,
    },
    /// The topic holds this id (or, for `topic_held`, a channel has it).
    AlreadyHeld {
        topic: TopicKey,
        id: MessageId,
    },
    WrongPlace {
        verb: &'static str,
        chan: ChanKey,
        id: MessageId,
        place: Place,
    },
    BadCause {
        verb: &'static str,
        cause: LossCause,
    },
    /// A record of this logical message already has another order.
    OrderMismatch {
        logical: Logical,
        order: u64,
        expected: u64,
    },
    /// `released` to a channel of another topic, twice to one, or to none.
    BadRelease {
        topic: TopicKey,
    },
    /// Retiring a channel or topic that still holds live copies.
    StillLive {
        live: u64,
    },
}

impl fmt::Display for BookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "guarantees book refused: {self:?}")
    }
}

impl std::error::Error for BookError {}

#[derive(Clone, Debug, PartialEq, Eq)]
struct TopicInfo {
    node: u16,
    name: String,
    retired: bool,
    /// Current (not retired) channels by name.
    chans: LiteMap<String, ChanKey>,
    held: u64,
    lost: [u64; 7],
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct ChanInfo {
    topic: TopicKey,
    lc: u32,
    retired: bool,
    live: u64,
}


#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct CopyRec {
    logical: Logical,
    /// The slot of its logical message's record in its logical channel.
    msg: u32,
    order: u64,
    place: Place,
    handled: u32,
    first_handled: u64,
    /// (event seq, cause) of its latest loss (kept if it is rewound).
    last_loss: Option<(u64, LossCause)>,
    /// It has been finished (it stays counted finished if rewound).
    finished_once: bool,
    /// nsqd's attempts at the latest delivery.
    attempts: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct HeldRec {
    logical: Logical,
    order: u64,
}

/// A lost entry without a copy (publish failed, lost in the topic).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Ghost {
    lc: u32,
    /// The node whose topic lost it (None: the publish never reached one).
    node: Option<u16>,
    logical: Logical,
    order: u64,
    cause: LossCause,
    seq: u64,
}

/// The book. See the module docs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Guarantees {
    /// Event sequence number (one per accepted verb).
    seq: u64,
    topics: Vec<TopicInfo>,
    /// Current topic keys by node and name.
    topic_index: LiteMap<u16, LiteMap<String, TopicKey>>,
    chans: Vec<ChanInfo>,
    lcs: Vec<Lc>,
    /// Logical channels by topic name, then channel name.
    lc_index: LiteMap<String, LiteMap<String, u32>>,
    held: BTreeMap<(TopicKey, MessageId), HeldRec>,
    /// Copies by channel key, then message id.
    copies: Vec<SeqMap<CopyRec>>,
    ghosts: Vec<Ghost>,
    /// Who published each logical message, and when (for the page; see
    /// [`Guarantees::set_origin`]).
    origins: SeqMap<Origin>,
}

impl Guarantees {
    pub fn new() -> Guarantees {
        Guarantees::default()
    }

    // ---- topic level -----------------------------------------------------

    /// A message stays in its topic (no channel yet, or paused).
    pub fn topic_held(
        &mut self,
        topic: TopicKey,
        id: MessageId,
        logical: Logical,
        order: u64,
    ) -> Result<(), BookError> {
        let t = self.live_topic(topic)?;
        let in_chan = t
            .chans
            .values()
            .any(|&c| self.copies[c.0 as usize].contains_key(id));
        if in_chan || self.held.contains_key(&(topic, id)) {
            return Err(BookError::AlreadyHeld { topic, id });
        }
        self.next_seq();
        self.held.insert((topic, id), HeldRec { logical, order });
        self.topics[topic.0 as usize].held += 1;
        Ok(())
    }

    /// The topic hands a held message to `chans` (its first channel, or
    /// every channel on unpause): one queued copy each.
    pub fn released(
        &mut self,
        topic: TopicKey,
        id: MessageId,
        chans: &[ChanKey],
    ) -> Result<(), BookError> {
        self.live_topic(topic)?;
        let h = *self
            .held
            .get(&(topic, id))
            .ok_or(BookError::NotHeld { topic, id })?;
        if chans.is_empty() {
            return Err(BookError::BadRelease { topic });
        }
        for (i, &chan) in chans.iter().enumerate() {
            let c = self.live_chan(chan)?;
            if c.topic != topic || chans[..i].contains(&chan) {
                return Err(BookError::BadRelease { topic });
            }
            if self.copies[chan.0 as usize].contains_key(id) {
                return Err(BookError::CopyExists { chan, id });
            }
            self.lcs[c.lc as usize].order_ok(h.logical, h.order)?;
        }
        self.held.remove(&(topic, id));
        self.topics[topic.0 as usize].held -= 1;
        for &chan in chans {
            self.insert_copy(chan, id, h.logical, h.order);
        }
        Ok(())
    }

    /// A held message is lost in its topic: a lost entry in every known
    /// logical channel of that topic name (returns how many).
    pub fn topic_lost(
        &mut self,
        topic: TopicKey,
        id: MessageId,
        cause: LossCause,
    ) -> Result<usize, BookError> {
        let t = self.live_topic(topic)?;
        if matches!(cause, LossCause::PublishFailed | LossCause::MaxAttempts) {
            return Err(BookError::BadCause {
                verb: "topic_lost",
                cause,
            });
        }
        let h = *self
            .held
            .get(&(topic, id))
            .ok_or(BookError::NotHeld { topic, id })?;
        let lcs = self.lcs_of(&t.name);
        for &lc in &lcs {
            self.lcs[lc as usize].order_ok(h.logical, h.order)?;
        }
        self.held.remove(&(topic, id));
        let t = &mut self.topics[topic.0 as usize];
        t.held -= 1;
        t.lost[cause as usize] += 1;
        let node = Some(t.node);
        self.add_ghosts(&lcs, node, h.logical, h.order, cause);
        Ok(lcs.len())
    }

    /// A publish that never reached an nsqd: a lost entry (PublishFailed)
    /// in every known logical channel of that topic name (returns how many).
    pub fn publish_failed(
        &mut self,
        topic: &str,
        logical: Logical,
        order: u64,
    ) -> Result<usize, BookError> {
        let lcs = self.lcs_of(topic);
        for &lc in &lcs {
            self.lcs[lc as usize].order_ok(logical, order)?;
        }
        self.add_ghosts(&lcs, None, logical, order, LossCause::PublishFailed);
        Ok(lcs.len())
    }

    fn add_ghosts(&mut self, lcs: &[u32], node: Option<u16>, logical: Logical, order: u64, cause: LossCause) {
        let seq = self.next_seq();
        for &lc in lcs {
            self.ghosts.push(Ghost {
                lc,
                node,
                logical,
                order,
                cause,
                seq,
            });
            self.lcs[lc as usize].update(logical, order, |m| m.settle(Place::Lost(cause), seq));
        }
    }

    /// Messages the topic holds now, and its losses by cause.
    pub fn topic_losses(&self, topic: TopicKey) -> Option<(u64, Vec<(LossCause, u64)>)> {
        let t = self.topics.get(topic.0 as usize)?;
        let lost = LossCause::ALL
            .iter()
            .map(|&c| (c, t.lost[c as usize]))
            .filter(|x| x.1 > 0);
        Some((t.held, lost.collect()))
    }

    // ---- channel copies --------------------------------------------------

    /// A copy enters the channel's queue (publish fan-out). For a DPUB copy
    /// call [`Guarantees::deferred`] next.
    pub fn copied(
        &mut self,
        chan: ChanKey,
        id: MessageId,
        logical: Logical,
        order: u64,
    ) -> Result<(), BookError> {
        let c = self.live_chan(chan)?;
        if self.copies[chan.0 as usize].contains_key(id) {
            return Err(BookError::CopyExists { chan, id });
        }
        if !self.held.is_empty() && self.held.contains_key(&(c.topic, id)) {
            return Err(BookError::AlreadyHeld { topic: c.topic, id });
        }
        self.lcs[c.lc as usize].order_ok(logical, order)?;
        self.insert_copy(chan, id, logical, order);
        Ok(())
    }

    fn insert_copy(&mut self, chan: ChanKey, id: MessageId, logical: Logical, order: u64) {
        let seq = self.next_seq();
        let c = &mut self.chans[chan.0 as usize];
        c.live += 1;
        let msg = self.lcs[c.lc as usize].update(logical, order, |m| m.settle(Place::Queued, seq));
        let rec = CopyRec {
            logical,
            msg,
            order,
            place: Place::Queued,
            handled: 0,
            first_handled: 0,
            last_loss: None,
            finished_once: false,
            attempts: 0,
        };
        self.copies[chan.0 as usize].insert(id, rec);
    }

    /// Queued -> in flight to `client` (`attempt`: nsqd's attempts after
    /// the increment).
    pub fn delivered(
        &mut self,
        chan: ChanKey,
        id: MessageId,
        client: ClientId,
        attempt: u16,
    ) -> Result<(), BookError> {
        let to = Place::InFlight { client, attempt };
        self.step(
            "delivered",
            chan,
            id,
            |p| p == Place::Queued,
            Some(to),
            false,
        )
    }

    /// In flight -> queued (REQ with delay 0).
    pub fn requeued(&mut self, chan: ChanKey, id: MessageId) -> Result<(), BookError> {
        self.step("requeued", chan, id, in_flight, Some(Place::Queued), false)
    }

    /// In flight -> queued (the deadline passed).
    pub fn timed_out(&mut self, chan: ChanKey, id: MessageId) -> Result<(), BookError> {
        self.step("timed_out", chan, id, in_flight, Some(Place::Queued), false)
    }

    /// In flight (REQ with a delay) or queued (DPUB copy) -> deferred.
    pub fn deferred(&mut self, chan: ChanKey, id: MessageId) -> Result<(), BookError> {
        let from = |p| in_flight(p) || p == Place::Queued;
        self.step("deferred", chan, id, from, Some(Place::Deferred), false)
    }

    /// Deferred -> queued (due, or written to disk by a clean stop).
    pub fn undeferred(&mut self, chan: ChanKey, id: MessageId) -> Result<(), BookError> {
        let from = |p| p == Place::Deferred;
        self.step("undeferred", chan, id, from, Some(Place::Queued), false)
    }

    /// A handler started on this copy (it got it from a delivery; the copy
    /// may have moved since).
    pub fn handled(&mut self, chan: ChanKey, id: MessageId) -> Result<(), BookError> {
        // Whatever happened at the node since the delivery (a timeout, a
        // redelivery, even another copy's FIN), the handler ran on it.
        self.step("handled", chan, id, |_| true, None, true)
    }

    /// In flight -> finished (FIN accepted).
    pub fn finished(&mut self, chan: ChanKey, id: MessageId) -> Result<(), BookError> {
        self.step(
            "finished",
            chan,
            id,
            in_flight,
            Some(Place::Finished),
            false,
        )
    }

    /// nsqd's disk queue read it again (an unclean crash rewound the read
    /// position to the last sync): any place but `TopicHeld` -> queued. A
    /// finished copy stays counted finished (its next handling is a
    /// duplicate); a lost one is live again (its loss stays in the record
    /// as the latest, until a newer one).
    pub fn rewound(&mut self, chan: ChanKey, id: MessageId) -> Result<(), BookError> {
        self.step("rewound", chan, id, |p| p != Place::TopicHeld, Some(Place::Queued), false)
    }

    /// A live copy is lost. `MaxAttempts` (go-nsq's auto-FIN) only from in
    /// flight; `PublishFailed` is refused (see [`Guarantees::publish_failed`]).
    pub fn lost(
        &mut self,
        chan: ChanKey,
        id: MessageId,
        cause: LossCause,
    ) -> Result<(), BookError> {
        let from: fn(Place) -> bool = match cause {
            LossCause::PublishFailed => {
                return Err(BookError::BadCause {
                    verb: "lost",
                    cause,
                })
            }
            LossCause::MaxAttempts => in_flight,
            _ => Place::is_live,
        };
        self.step("lost", chan, id, from, Some(Place::Lost(cause)), false)
    }

    fn step(
        &mut self,
        verb: &'static str,
        chan: ChanKey,
        id: MessageId,
        from: impl Fn(Place) -> bool,
        to: Option<Place>,
        handle: bool,
    ) -> Result<(), BookError> {
        let lc = self
            .chans
            .get(chan.0 as usize)
            .ok_or(BookError::UnknownChannel(chan))?
            .lc;
        let rec = self
            .copies
            .get_mut(chan.0 as usize)
            .and_then(|m| m.get_mut(id))
            .ok_or(BookError::NoSuchCopy { chan, id })?;
        let was = rec.place;
        if !from(was) {
            return Err(BookError::WrongPlace {
                verb,
                chan,
                id,
                place: was,
            });
        }
        self.seq += 1;
        let seq = self.seq;
        // A rewound copy finished again is counted finished once.
        let refinished = to == Some(Place::Finished) && rec.finished_once;
        if let Some(to) = to {
            rec.place = to;
            match to {
                Place::Lost(c) => rec.last_loss = Some((seq, c)),
                Place::InFlight { attempt, .. } => rec.attempts = attempt,
                Place::Finished => rec.finished_once = true,
                _ => {}
            }
        }
        if handle {
            rec.handled += 1;
            if rec.first_handled == 0 {
                rec.first_handled = seq;
            }
        }
        let msg = rec.msg;
        let settles = to.filter(|t| !t.is_live());
        // Only `rewound` moves a settled copy, back to a live place.
        let revives = !was.is_live() && to.is_some_and(Place::is_live);
        if settles.is_some() {
            self.chans[chan.0 as usize].live -= 1;
        }
        if revives {
            self.chans[chan.0 as usize].live += 1;
        }
        self.lcs[lc as usize].update_at(msg, |m| {
            if let Some(t) = settles {
                m.live -= 1;
                if !refinished {
                    m.settle(t, seq);
                }
            }
            if revives {
                // A finished copy stays counted finished; a lost one is not
                // lost any more (its loss stays the latest, until a newer).
                m.live += 1;
                if let Place::Lost(_) = was {
                    m.lost -= 1;
                }
            }
            if handle {
                m.handled += 1;
                if m.first_handled == 0 {
                    m.first_handled = seq;
                }
            }
        });
        Ok(())
    }
}

fn in_flight(p: Place) -> bool {
    matches!(p, Place::InFlight { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `t/c` on nodes 0 and 1, `t/d` on node 0; messages 1..=5 (order =
    /// id) in `t/c` on node 0: 1 finished (handled after 2: reordered), 2
    /// finished after a timeout (handled twice), 3 lost in a crash, 4 never
    /// reached a node, 5 queued.
    fn book() -> (Guarantees, ChanKey) {
        let mut b = Guarantees::new();
        let c = b.channel(0, "t", "c");
        b.channel(1, "t", "c");
        b.channel(0, "t", "d");
        for id in [1, 2, 3, 5] {
            b.copied(c, id, Logical(id), id).unwrap();
        }
        b.delivered(c, 2, 9, 1).unwrap();
        b.handled(c, 2).unwrap();
        b.timed_out(c, 2).unwrap();
        b.delivered(c, 2, 9, 2).unwrap();
        b.handled(c, 2).unwrap();
        b.finished(c, 2).unwrap();
        b.delivered(c, 1, 9, 1).unwrap();
        b.handled(c, 1).unwrap();
        b.finished(c, 1).unwrap();
        b.lost(c, 3, LossCause::UncleanCrash).unwrap();
        b.publish_failed("t", Logical(4), 4).unwrap();
        b.check().unwrap();
        (b, c)
    }

    fn ids(rows: &[MessageRow]) -> Vec<u64> {
        rows.iter().map(|r| r.logical.0).collect()
    }

    #[test]
    fn messages_list_each_figure_in_publish_order() {
        let (b, _) = book();
        let row = b.report().into_iter().find(|r| r.channel == "c").unwrap();
        let list = |f| b.messages("t", "c", f, usize::MAX);
        assert_eq!(ids(&list(Figure::Published)), [1, 2, 3, 4, 5]);
        assert_eq!(ids(&list(Figure::Finished)), [1, 2]);
        assert_eq!(ids(&list(Figure::HandledOnce)), [1]);
        assert_eq!(ids(&list(Figure::HandledMoreThanOnce)), [2]);
        assert_eq!(ids(&list(Figure::Lost)), [3, 4]);
        assert_eq!(ids(&list(Figure::Reordered)), [1]);
        assert_eq!(ids(&list(Figure::Live)), [5]);
        // Each list is as long as its figure.
        assert_eq!(list(Figure::Published).len() as u64, row.published);
        assert_eq!(list(Figure::Finished).len() as u64, row.finished);
        assert_eq!(list(Figure::HandledOnce).len() as u64, row.handled_once);
        assert_eq!(list(Figure::HandledMoreThanOnce).len() as u64, row.handled_more_than_once);
        assert_eq!(list(Figure::Lost).len() as u64, row.lost.iter().map(|x| x.1).sum::<u64>());
        assert_eq!(list(Figure::Reordered).len() as u64, row.reordered);
        assert_eq!(list(Figure::Live).len() as u64, row.live);
        let lost = list(Figure::Lost);
        assert_eq!(lost[0].standing, Standing::Lost(LossCause::UncleanCrash));
        assert_eq!(lost[0].lost_on, Some(0));
        assert_eq!(lost[1].standing, Standing::Lost(LossCause::PublishFailed));
        assert_eq!(lost[1].lost_on, None);
        let two = list(Figure::HandledMoreThanOnce)[0];
        assert_eq!((two.handled, two.standing, two.reordered), (2, Standing::Finished, false));
        // `d` only ever got the failed publish.
        assert_eq!(ids(&b.messages("t", "d", Figure::Published, 10)), [4]);
        assert_eq!(b.channels_of(Logical(4)), [("t", "c"), ("t", "d")]);
        assert_eq!(b.channels_of(Logical(2)), [("t", "c")]);
        assert!(b.channels_of(Logical(99)).is_empty());
    }

    #[test]
    fn messages_are_bounded_and_unknown_channels_are_empty() {
        let (b, _) = book();
        assert_eq!(ids(&b.messages("t", "c", Figure::Published, 2)), [1, 2]);
        assert!(b.messages("t", "c", Figure::Published, 0).is_empty());
        assert!(b.messages("t", "nope", Figure::Published, 10).is_empty());
        assert!(b.messages("nope", "c", Figure::Live, 10).is_empty());
    }

    #[test]
    fn life_names_every_copy_with_its_place() {
        let (mut b, _) = book();
        let origin = Origin { producer: 3, value: 7, at: SimTime::from_micros(1_500) };
        b.set_origin(Logical(2), origin);
        let life = b.life(Logical(2)).unwrap();
        assert_eq!((life.topic.as_deref(), life.origin), (Some("t"), Some(origin)));
        assert_eq!(
            life.copies,
            [CopyLife { node: Some(0), channel: "c".into(), place: Place::Finished, attempts: 2, handled: 2 }]
        );
        // A failed publish: a lost entry in every known channel, no node.
        let life = b.life(Logical(4)).unwrap();
        assert_eq!(life.origin, None);
        let places: Vec<_> = life.copies.iter().map(|c| (c.node, c.channel.as_str(), c.place)).collect();
        let lost = Place::Lost(LossCause::PublishFailed);
        assert_eq!(places, [(None, "c", lost), (None, "d", lost)]);
        // Held by a topic without channels.
        let u = b.topic(1, "u");
        b.topic_held(u, 1, Logical(10), 10).unwrap();
        let life = b.life(Logical(10)).unwrap();
        assert_eq!(life.topic.as_deref(), Some("u"));
        assert_eq!(life.copies[0].place, Place::TopicHeld);
        assert_eq!(life.copies[0].channel, "");
        assert_eq!(b.life(Logical(99)), None);
        // Only an origin: known, without copies.
        b.set_origin(Logical(99), origin);
        assert_eq!(b.life(Logical(99)).map(|l| l.copies.len()), Some(0));
    }

    #[test]
    fn attempts_follow_deliveries() {
        let (b, c) = book();
        let attempts: BTreeMap<u64, u16> = b.copies().filter(|x| x.0 == c).map(|(_, id, i)| (id, i.attempts)).collect();
        assert_eq!(attempts, BTreeMap::from([(1, 1), (2, 2), (3, 0), (5, 0)]));
    }
}
