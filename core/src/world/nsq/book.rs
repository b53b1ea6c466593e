//! The guarantees book inside a world: every nsqd decision that moves a
//! channel copy is written into the [`Guarantees`] book right where the
//! world learns of it (the reports nsqd's model returns), so the book's
//! places always match nsqd's queues (see [`NsqWorld::check_book`]).
//!
//! A published message's logical id and order are the world's publish
//! sequence number (`Body::seq`), given when the goroutine sends `PUB`.

use super::NsqWorld;
use crate::nsq::guarantees::{ChanKey, Guarantees, Logical, LossCause};
use crate::nsq::message::MessageId;
use crate::nsq::nsqd::channel::{Channel, Emptied};
use crate::nsq::nsqd::topic::{PutReport, Topic, TopicShutdown};

/// Writes a put or pump `report` of `topic` on `node`: messages the topic
/// holds, one copy per channel of each message fanned out (`fresh`: a new
/// publish with this sequence number; `None`: the topic's backlog), and
/// ephemeral overflow. `keys` gets the topic's channel keys (what it held
/// before serves as hints: see [`Guarantees::channel_hinted`]).
pub(super) fn put(book: &mut Guarantees, node: u16, topic: &Topic, report: &PutReport, fresh: Option<u64>, keys: &mut Vec<ChanKey>) {
    let tkey = book.topic(node, topic.name());
    channel_keys(book, node, topic, keys);
    for &(id, _) in &report.held {
        if let Some(seq) = fresh {
            debug_ok(book.topic_held(tkey, id, Logical(seq), seq));
        }
    }
    for &id in &report.fanned_out {
        match fresh {
            Some(seq) => {
                for &k in keys.iter() {
                    debug_ok(book.copied(k, id, Logical(seq), seq));
                }
            }
            None => debug_ok(book.released(tkey, id, keys)),
        }
    }
    // A DPUB's copies wait in the channels' deferred queues.
    for &id in &report.deferred {
        for &k in keys.iter() {
            if book.place(k, id) == Some(crate::nsq::guarantees::Place::Queued) {
                debug_ok(book.deferred(k, id));
            }
        }
    }
    for d in &report.dropped {
        match &d.channel {
            Some(c) => {
                let k = book.channel(node, topic.name(), c);
                debug_ok(book.lost(k, d.message.id, LossCause::EphemeralOverflow));
            }
            None => {
                // The topic itself had no room (ephemeral): never held.
                if let Some(seq) = fresh {
                    debug_ok(book.topic_held(tkey, d.message.id, Logical(seq), seq));
                }
                let _ = book.topic_lost(tkey, d.message.id, LossCause::EphemeralOverflow);
            }
        }
    }
}

/// `keys` becomes the current keys of `topic`'s channels, in order; its
/// old entries are hints (the same topic's keys, usually).
fn channel_keys(book: &mut Guarantees, node: u16, topic: &Topic, keys: &mut Vec<ChanKey>) {
    let mut n = 0;
    for c in topic.channels() {
        let k = book.channel_hinted(keys.get(n).copied(), node, topic.name(), c.name());
        match keys.get_mut(n) {
            Some(slot) => *slot = k,
            None => keys.push(k),
        }
        n += 1;
    }
    keys.truncate(n);
}

/// Everything `emptied` names is lost to `cause`.
pub(super) fn lost(book: &mut Guarantees, key: ChanKey, emptied: &Emptied, cause: LossCause) {
    let ids = emptied.memory.iter().chain(&emptied.disk).chain(&emptied.deferred).map(|m| m.id).chain(emptied.in_flight.iter().map(|f| f.message.id));
    for id in ids {
        debug_ok(book.lost(key, id, cause));
    }
}

/// A topic shut down (crash, stop, delete): what it and its channels lost.
pub(super) fn shutdown(book: &mut Guarantees, node: u16, topic: &str, s: &TopicShutdown, cause: LossCause) {
    let tkey = book.topic(node, topic);
    for m in s.topic_lost.0.iter().chain(&s.topic_lost.1) {
        let _ = book.topic_lost(tkey, m.id, cause);
    }
    for (name, sh) in &s.channels {
        let key = book.channel(node, topic, name);
        lost(book, key, &sh.lost, cause);
        // Read again after an unclean crash: queued, wherever they were.
        for &id in &sh.rewound {
            debug_ok(book.rewound(key, id));
        }
    }
    // Read again by the topic and copied to its channels: a copy the book
    // knows is queued again; a channel created since gets a new one.
    for (name, m) in &s.recopied {
        let key = book.channel(node, topic, name);
        if book.place(key, m.id).is_some() {
            debug_ok(book.rewound(key, m.id));
        } else {
            debug_ok(book.copied(key, m.id, Logical(m.body.seq), m.body.seq));
        }
    }
}

/// Before a clean stop: nsqd writes in-flight and deferred messages back
/// to the queue (disk), so they are queued again.
pub(super) fn before_clean_stop(book: &mut Guarantees, node: u16, ch: &Channel) {
    if ch.is_ephemeral() {
        return;
    }
    let key = book.channel(node, ch.topic(), ch.name());
    let in_flight: Vec<MessageId> = ch.in_flight().map(|f| f.message.id).collect();
    for id in in_flight {
        debug_ok(book.requeued(key, id));
    }
    let deferred: Vec<MessageId> = ch.deferred().map(|(_, m)| m.id).collect();
    for id in deferred {
        debug_ok(book.undeferred(key, id));
    }
}

/// The book refuses only what the world got wrong: a bug, caught in tests.
pub(super) fn debug_ok<E: std::fmt::Debug>(r: Result<(), E>) {
    debug_assert!(r.is_ok(), "the guarantees book refused a move: {r:?}");
}

impl NsqWorld {
    /// The book's places equal nsqd's queues, channel by channel, and the
    /// book is consistent (for tests: "every copy is in exactly one place").
    pub(crate) fn check_book(&self) -> Result<(), String> {
        self.book.check()?;
        let mut queued = std::collections::BTreeMap::<ChanKey, [u64; 3]>::new();
        for (k, _, info) in self.book.copies() {
            let e = queued.entry(k).or_default();
            match info.place {
                crate::nsq::guarantees::Place::Queued => e[0] += 1,
                crate::nsq::guarantees::Place::InFlight { .. } => e[1] += 1,
                crate::nsq::guarantees::Place::Deferred => e[2] += 1,
                _ => {}
            }
        }
        for (n, node) in self.nodes.iter().enumerate() {
            if self.down[n] {
                continue;
            }
            for t in node.topics() {
                for c in t.channels() {
                    let Some(k) = self.book.find_channel(n as u16, t.name(), c.name()) else {
                        return Err(format!("{}/{} on node {n} is not in the book", t.name(), c.name()));
                    };
                    let s = c.stats();
                    let have = queued.get(&k).copied().unwrap_or_default();
                    let want = [s.depth, s.in_flight_count, s.deferred_count];
                    if have != want {
                        return Err(format!("{}/{} on node {n}: book has queued/in flight/deferred {have:?}, nsqd {want:?}", t.name(), c.name()));
                    }
                }
            }
        }
        Ok(())
    }
}
