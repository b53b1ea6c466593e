//! The NSQ guarantees book (`nsq::guarantees`): each verb and loss cause,
//! duplicates (timeout redelivery, redundant pair), reordering, refused
//! verbs, topic-held messages, retired keys, and a property test against a
//! naive oracle (plain `Vec`s of records, figures recomputed by brute force)
//! with `check()` after every step.

use proptest::prelude::*;
use queuelab::nsq::guarantees::{
    BookError, ChanKey, ChannelGuarantees, Guarantees, Logical, LossCause, Place, TopicKey,
};

const CAUSES: [LossCause; 7] = LossCause::ALL;

fn row(b: &Guarantees, topic: &str, channel: &str) -> ChannelGuarantees {
    b.check().unwrap();
    assert_eq!(b.report(), b.recount());
    b.report()
        .into_iter()
        .find(|r| r.topic == topic && r.channel == channel)
        .unwrap()
}

fn expect(topic: &str, channel: &str) -> ChannelGuarantees {
    ChannelGuarantees {
        topic: topic.into(),
        channel: channel.into(),
        ..ChannelGuarantees::default()
    }
}

/// One channel `t/c` on node 0, with copy `id` of `Logical(id)` queued.
fn one(id: u64) -> (Guarantees, ChanKey) {
    let mut b = Guarantees::new();
    let c = b.channel(0, "t", "c");
    b.copied(c, id, Logical(id), id).unwrap();
    (b, c)
}

// ---- each verb ------------------------------------------------------------

#[test]
fn life_of_a_copy() {
    let (mut b, c) = one(1);
    assert_eq!(b.place(c, 1), Some(Place::Queued));
    assert_eq!(
        row(&b, "t", "c"),
        ChannelGuarantees {
            published: 1,
            live: 1,
            ..expect("t", "c")
        }
    );
    b.delivered(c, 1, 7, 1).unwrap();
    assert_eq!(
        b.place(c, 1),
        Some(Place::InFlight {
            client: 7,
            attempt: 1
        })
    );
    b.handled(c, 1).unwrap();
    let r = row(&b, "t", "c");
    assert_eq!((r.handled_once, r.live, r.finished), (1, 1, 0));
    b.finished(c, 1).unwrap();
    assert_eq!(b.place(c, 1), Some(Place::Finished));
    assert_eq!(
        row(&b, "t", "c"),
        ChannelGuarantees {
            published: 1,
            finished: 1,
            handled_once: 1,
            ..expect("t", "c")
        }
    );
    let copies: Vec<_> = b.copies().collect();
    assert_eq!(copies.len(), 1);
    assert_eq!((copies[0].0, copies[0].1, copies[0].2.handled), (c, 1, 1));
    assert_eq!(b.channel_names(c), Some((0, "t", "c")));
}

#[test]
fn requeue_timeout_defer_undefer() {
    let (mut b, c) = one(1);
    b.delivered(c, 1, 7, 1).unwrap();
    b.requeued(c, 1).unwrap();
    assert_eq!(b.place(c, 1), Some(Place::Queued));
    b.delivered(c, 1, 7, 2).unwrap();
    b.timed_out(c, 1).unwrap();
    assert_eq!(b.place(c, 1), Some(Place::Queued));
    b.delivered(c, 1, 8, 3).unwrap();
    b.deferred(c, 1).unwrap();
    assert_eq!(b.place(c, 1), Some(Place::Deferred));
    b.undeferred(c, 1).unwrap();
    assert_eq!(b.place(c, 1), Some(Place::Queued));
    // A DPUB copy: deferred straight from the queue.
    b.copied(c, 2, Logical(2), 2).unwrap();
    b.deferred(c, 2).unwrap();
    assert_eq!(b.place(c, 2), Some(Place::Deferred));
    let r = row(&b, "t", "c");
    assert_eq!((r.published, r.live, r.handled_once), (2, 2, 0));
}

#[test]
fn channel_and_topic_keys_are_idempotent() {
    let mut b = Guarantees::new();
    let c = b.channel(0, "t", "c");
    assert_eq!(b.channel(0, "t", "c"), c);
    assert_ne!(b.channel(1, "t", "c"), c);
    assert_ne!(b.channel(0, "t", "d"), c);
    let t = b.topic(0, "t");
    assert_eq!(b.topic(0, "t"), t);
    assert_ne!(b.topic(1, "t"), t);
    // One logical channel per (topic, channel) name over both nodes.
    let names: Vec<_> = b
        .report()
        .into_iter()
        .map(|r| (r.topic, r.channel))
        .collect();
    assert_eq!(names, [("t".into(), "c".into()), ("t".into(), "d".into())]);
}

// ---- each loss cause ------------------------------------------------------

#[test]
fn every_loss_cause_from_the_queue() {
    for cause in [
        LossCause::UncleanCrash,
        LossCause::EphemeralOverflow,
        LossCause::EphemeralGone,
        LossCause::Emptied,
        LossCause::Deleted,
    ] {
        for place in ["queued", "deferred", "in flight"] {
            let (mut b, c) = one(1);
            match place {
                "deferred" => b.deferred(c, 1).unwrap(),
                "in flight" => b.delivered(c, 1, 1, 1).unwrap(),
                _ => {}
            }
            b.lost(c, 1, cause).unwrap();
            assert_eq!(b.place(c, 1), Some(Place::Lost(cause)));
            assert_eq!(
                row(&b, "t", "c"),
                ChannelGuarantees {
                    published: 1,
                    lost: vec![(cause, 1)],
                    ..expect("t", "c")
                },
                "{cause:?} from {place}"
            );
        }
    }
}

#[test]
fn max_attempts_only_in_flight() {
    let (mut b, c) = one(1);
    let before = b.clone();
    assert!(matches!(
        b.lost(c, 1, LossCause::MaxAttempts),
        Err(BookError::WrongPlace {
            verb: "lost",
            place: Place::Queued,
            ..
        })
    ));
    assert_eq!(b, before);
    b.delivered(c, 1, 1, 6).unwrap();
    b.lost(c, 1, LossCause::MaxAttempts).unwrap();
    let r = row(&b, "t", "c");
    assert_eq!(
        (r.lost, r.handled_once),
        (vec![(LossCause::MaxAttempts, 1)], 0)
    );
}

/// go-diskqueue after an unclean crash reads again what it read since its
/// last sync: a finished copy is queued again and stays finished (handled
/// again: a duplicate); a copy go-nsq dropped for MaxAttempts is live again.
#[test]
fn rewound_copies_are_queued_again() {
    let (mut b, c) = one(1);
    b.copied(c, 2, Logical(2), 2).unwrap();
    b.delivered(c, 1, 7, 1).unwrap();
    b.handled(c, 1).unwrap();
    b.finished(c, 1).unwrap();
    b.delivered(c, 2, 7, 6).unwrap();
    b.lost(c, 2, LossCause::MaxAttempts).unwrap();
    let r = row(&b, "t", "c");
    assert_eq!((r.finished, r.live, r.lost.clone()), (1, 0, vec![(LossCause::MaxAttempts, 1)]));

    b.rewound(c, 1).unwrap();
    b.rewound(c, 2).unwrap();
    assert_eq!((b.place(c, 1), b.place(c, 2)), (Some(Place::Queued), Some(Place::Queued)));
    let r = row(&b, "t", "c");
    assert_eq!((r.published, r.finished, r.live, r.lost.len()), (2, 1, 1, 0), "{r:?}");

    b.delivered(c, 1, 7, 1).unwrap();
    b.handled(c, 1).unwrap();
    b.finished(c, 1).unwrap();
    let r = row(&b, "t", "c");
    assert_eq!((r.finished, r.handled_once, r.handled_more_than_once), (1, 0, 1), "finished once, handled twice");

    // Lost again: the newest loss is the one that counts.
    b.lost(c, 2, LossCause::UncleanCrash).unwrap();
    let r = row(&b, "t", "c");
    assert_eq!(r.lost, vec![(LossCause::UncleanCrash, 1)]);
    // A live copy rewound stays queued and counts once.
    b.copied(c, 3, Logical(3), 3).unwrap();
    b.delivered(c, 3, 7, 1).unwrap();
    b.rewound(c, 3).unwrap();
    let r = row(&b, "t", "c");
    assert_eq!((r.published, r.live), (3, 1));
    assert!(matches!(b.rewound(c, 99), Err(BookError::NoSuchCopy { .. })));
}

#[test]
fn publish_failed() {
    let mut b = Guarantees::new();
    // No channel known: nothing to charge.
    assert_eq!(b.publish_failed("t", Logical(1), 1), Ok(0));
    let c0 = b.channel(0, "t", "c0");
    b.channel(1, "t", "c1");
    b.channel(0, "u", "c0");
    assert_eq!(b.publish_failed("t", Logical(2), 2), Ok(2));
    for ch in ["c0", "c1"] {
        assert_eq!(
            row(&b, "t", ch),
            ChannelGuarantees {
                published: 1,
                lost: vec![(LossCause::PublishFailed, 1)],
                ..expect("t", ch)
            }
        );
    }
    assert_eq!(row(&b, "u", "c0").published, 0);
    assert_eq!(b.unreached().count(), 2);
    // A copy of a published copy can never be "publish failed".
    b.copied(c0, 9, Logical(9), 9).unwrap();
    assert_eq!(
        b.lost(c0, 9, LossCause::PublishFailed),
        Err(BookError::BadCause {
            verb: "lost",
            cause: LossCause::PublishFailed
        })
    );
    // The redundant publish to node 0 got through and was finished: the
    // message counts finished, not lost.
    b.copied(c0, 3, Logical(3), 3).unwrap();
    assert_eq!(b.publish_failed("t", Logical(3), 3), Ok(2));
    b.delivered(c0, 3, 1, 1).unwrap();
    b.handled(c0, 3).unwrap();
    b.finished(c0, 3).unwrap();
    let r = row(&b, "t", "c0");
    assert_eq!((r.published, r.finished, r.live), (3, 1, 1));
    assert_eq!(r.lost, vec![(LossCause::PublishFailed, 1)]);
    let r = row(&b, "t", "c1");
    assert_eq!(r.lost, vec![(LossCause::PublishFailed, 2)]);
}

// ---- topic-held messages ----------------------------------------------------

#[test]
fn topic_backlog_goes_to_the_first_channel() {
    let mut b = Guarantees::new();
    let t = b.topic(0, "t");
    b.topic_held(t, 1, Logical(1), 1).unwrap();
    b.topic_held(t, 2, Logical(2), 2).unwrap();
    assert_eq!(b.topic_place(t, 1), Some(Place::TopicHeld));
    assert_eq!(b.topic_losses(t), Some((2, vec![])));
    let c = b.channel(0, "t", "c");
    // Held by the topic: no copy yet, nothing published to the channel.
    assert_eq!(row(&b, "t", "c").published, 0);
    assert!(matches!(
        b.copied(c, 1, Logical(1), 1),
        Err(BookError::AlreadyHeld { .. })
    ));
    b.released(t, 1, &[c]).unwrap();
    assert_eq!(
        (b.topic_place(t, 1), b.place(c, 1)),
        (None, Some(Place::Queued))
    );
    assert_eq!(
        row(&b, "t", "c"),
        ChannelGuarantees {
            published: 1,
            live: 1,
            ..expect("t", "c")
        }
    );
    // Unpause with two channels: one copy each.
    let d = b.channel(0, "t", "d");
    b.released(t, 2, &[c, d]).unwrap();
    assert_eq!(
        (b.place(c, 2), b.place(d, 2)),
        (Some(Place::Queued), Some(Place::Queued))
    );
    assert_eq!(row(&b, "t", "d").live, 1);
    // A held id cannot collide with a channel copy.
    assert!(matches!(
        b.topic_held(t, 2, Logical(2), 2),
        Err(BookError::AlreadyHeld { .. })
    ));
    assert!(matches!(
        b.released(t, 2, &[c]),
        Err(BookError::NotHeld { .. })
    ));
}

#[test]
fn topic_lost_charges_every_known_channel() {
    let mut b = Guarantees::new();
    let t = b.topic(0, "t");
    b.topic_held(t, 1, Logical(1), 1).unwrap();
    // No channel anywhere: only the topic counts it.
    assert_eq!(b.topic_lost(t, 1, LossCause::UncleanCrash), Ok(0));
    assert_eq!(
        b.topic_losses(t),
        Some((0, vec![(LossCause::UncleanCrash, 1)]))
    );
    // A paused topic with channel c on node 0, d on node 1.
    b.channel(0, "t", "c");
    b.channel(1, "t", "d");
    b.topic_held(t, 2, Logical(2), 2).unwrap();
    assert_eq!(
        b.topic_lost(t, 2, LossCause::MaxAttempts),
        Err(BookError::BadCause {
            verb: "topic_lost",
            cause: LossCause::MaxAttempts
        })
    );
    assert_eq!(b.topic_lost(t, 2, LossCause::Emptied), Ok(2));
    for ch in ["c", "d"] {
        assert_eq!(row(&b, "t", ch).lost, vec![(LossCause::Emptied, 1)]);
    }
    assert_eq!(b.topic_place(t, 2), None);
}

#[test]
fn bad_releases_are_refused() {
    let mut b = Guarantees::new();
    let t = b.topic(0, "t");
    let other = b.channel(1, "t", "c");
    let c = b.channel(0, "t", "c");
    b.topic_held(t, 1, Logical(1), 1).unwrap();
    let before = b.clone();
    assert_eq!(
        b.released(t, 1, &[]),
        Err(BookError::BadRelease { topic: t })
    );
    assert_eq!(
        b.released(t, 1, &[other]),
        Err(BookError::BadRelease { topic: t })
    );
    assert_eq!(
        b.released(t, 1, &[c, c]),
        Err(BookError::BadRelease { topic: t })
    );
    assert_eq!(b, before);
}

// ---- duplicates -------------------------------------------------------------

#[test]
fn duplicate_by_timeout_redelivery() {
    let (mut b, c) = one(1);
    b.delivered(c, 1, 1, 1).unwrap();
    b.handled(c, 1).unwrap();
    // The handler is slow: the deadline passes, another consumer gets it.
    b.timed_out(c, 1).unwrap();
    b.delivered(c, 1, 2, 2).unwrap();
    b.handled(c, 1).unwrap();
    b.finished(c, 1).unwrap();
    assert_eq!(
        row(&b, "t", "c"),
        ChannelGuarantees {
            published: 1,
            finished: 1,
            handled_more_than_once: 1,
            ..expect("t", "c")
        }
    );
}

#[test]
fn duplicate_by_redundant_pair() {
    let mut b = Guarantees::new();
    let a = b.channel(0, "t", "c");
    let z = b.channel(1, "t", "c");
    // The same logical message published to two nodes (own ids there).
    b.copied(a, 10, Logical(5), 5).unwrap();
    b.copied(z, 70, Logical(5), 5).unwrap();
    assert_eq!(
        row(&b, "t", "c"),
        ChannelGuarantees {
            published: 1,
            live: 1,
            ..expect("t", "c")
        }
    );
    for (k, id) in [(a, 10), (z, 70)] {
        b.delivered(k, id, 1, 1).unwrap();
        b.handled(k, id).unwrap();
    }
    b.finished(a, 10).unwrap();
    // Finished takes priority over live: the other copy is still in flight.
    let r = row(&b, "t", "c");
    assert_eq!(
        (r.published, r.finished, r.live, r.handled_more_than_once),
        (1, 1, 0, 1)
    );
    b.lost(z, 70, LossCause::UncleanCrash).unwrap();
    let r = row(&b, "t", "c");
    assert_eq!((r.finished, r.lost.len()), (1, 0));
}

#[test]
fn redundant_pair_saves_a_crash_and_latest_loss_names_the_cause() {
    let mut b = Guarantees::new();
    let a = b.channel(0, "t", "c");
    let z = b.channel(1, "t", "c");
    b.copied(a, 1, Logical(1), 1).unwrap();
    b.copied(z, 1, Logical(1), 1).unwrap();
    b.lost(a, 1, LossCause::UncleanCrash).unwrap();
    // Node 1's copy is still live: not lost.
    assert_eq!(
        row(&b, "t", "c"),
        ChannelGuarantees {
            published: 1,
            live: 1,
            ..expect("t", "c")
        }
    );
    b.delivered(z, 1, 1, 1).unwrap();
    b.lost(z, 1, LossCause::MaxAttempts).unwrap();
    assert_eq!(row(&b, "t", "c").lost, vec![(LossCause::MaxAttempts, 1)]);
    // A lost message whose redundant copy arrives late is live again.
    b.copied(a, 2, Logical(2), 2).unwrap();
    b.lost(a, 2, LossCause::Emptied).unwrap();
    b.copied(z, 2, Logical(2), 2).unwrap();
    let r = row(&b, "t", "c");
    assert_eq!(
        (r.published, r.live, r.lost.clone()),
        (2, 1, vec![(LossCause::MaxAttempts, 1)])
    );
}

// ---- reordering -------------------------------------------------------------

#[test]
fn reorder_counts_first_handlings_only() {
    let mut b = Guarantees::new();
    let c = b.channel(0, "t", "c");
    let d = b.channel(0, "t", "d");
    for id in 1..=4 {
        b.copied(c, id, Logical(id), id * 10).unwrap();
        b.copied(d, id, Logical(id), id * 10).unwrap();
    }
    // c handles 2, then 1 (reordered), then 1 again (a duplicate, not a
    // second reorder), then 3 and 4 (in order).
    let handle = |b: &mut Guarantees, ch, id| {
        b.delivered(ch, id, 1, 1).unwrap();
        b.handled(ch, id).unwrap();
    };
    for id in [2, 1] {
        handle(&mut b, c, id);
    }
    b.requeued(c, 1).unwrap();
    handle(&mut b, c, 1);
    for id in [3, 4] {
        handle(&mut b, c, id);
    }
    let r = row(&b, "t", "c");
    assert_eq!(
        (r.reordered, r.handled_once, r.handled_more_than_once),
        (1, 3, 1)
    );
    // d handles 4, 3, 2, 1: three reordered; channels are counted apart.
    for id in [4, 3, 2, 1] {
        handle(&mut b, d, id);
    }
    assert_eq!(row(&b, "t", "d").reordered, 3);
}

// ---- refusals ---------------------------------------------------------------

#[test]
fn refused_verbs_change_nothing() {
    let mut b = Guarantees::new();
    let c = b.channel(0, "t", "c");
    b.copied(c, 1, Logical(1), 1).unwrap();
    b.copied(c, 2, Logical(2), 2).unwrap();
    b.delivered(c, 2, 1, 1).unwrap();
    b.handled(c, 2).unwrap();
    b.copied(c, 3, Logical(3), 3).unwrap();
    b.delivered(c, 3, 1, 1).unwrap();
    b.finished(c, 3).unwrap();
    let before = b.clone();
    let wrong = |e: Result<(), BookError>, verb: &str| match e {
        Err(BookError::WrongPlace { verb: v, .. }) => assert_eq!(v, verb),
        other => panic!("{verb}: {other:?}"),
    };
    // Copy 1 is queued.
    wrong(b.requeued(c, 1), "requeued");
    wrong(b.timed_out(c, 1), "timed_out");
    wrong(b.undeferred(c, 1), "undeferred");
    wrong(b.finished(c, 1), "finished");
    // Copy 2 is in flight.
    wrong(b.delivered(c, 2, 1, 2), "delivered");
    wrong(b.undeferred(c, 2), "undeferred");
    // Copy 3 is finished: nothing moves it any more.
    wrong(b.delivered(c, 3, 1, 2), "delivered");
    wrong(b.deferred(c, 3), "deferred");
    wrong(b.finished(c, 3), "finished");
    wrong(b.lost(c, 3, LossCause::Emptied), "lost");
    // Unknown copies, existing copies, mismatched orders.
    assert_eq!(
        b.finished(c, 9),
        Err(BookError::NoSuchCopy { chan: c, id: 9 })
    );
    assert_eq!(
        b.copied(c, 1, Logical(1), 1),
        Err(BookError::CopyExists { chan: c, id: 1 })
    );
    assert_eq!(
        b.copied(c, 8, Logical(1), 5),
        Err(BookError::OrderMismatch {
            logical: Logical(1),
            order: 5,
            expected: 1
        })
    );
    assert!(matches!(
        b.publish_failed("t", Logical(2), 7),
        Err(BookError::OrderMismatch { .. })
    ));
    assert_eq!(b, before);
    // Unknown keys (from another book).
    let mut other = Guarantees::new();
    for n in 0..3 {
        other.channel(n, "x", "y");
    }
    let far = other.channel(4, "x", "y");
    let far_t = other.topic(4, "x");
    assert_eq!(
        b.delivered(far, 1, 1, 1),
        Err(BookError::UnknownChannel(far))
    );
    assert_eq!(
        b.copied(far, 1, Logical(1), 1),
        Err(BookError::UnknownChannel(far))
    );
    assert_eq!(
        b.topic_held(far_t, 1, Logical(1), 1),
        Err(BookError::UnknownTopic(far_t))
    );
    assert_eq!(b, before);
    assert!(!format!("{}", BookError::NoSuchCopy { chan: c, id: 9 }).is_empty());
}

// ---- retired keys -----------------------------------------------------------

#[test]
fn retire_gives_a_new_key_in_the_same_logical_channel() {
    let mut b = Guarantees::new();
    let t = b.topic(0, "t");
    let c = b.channel(0, "t", "c");
    b.copied(c, 0, Logical(1), 1).unwrap();
    assert_eq!(b.retire_channel(c), Err(BookError::StillLive { live: 1 }));
    assert_eq!(b.retire_topic(t), Err(BookError::StillLive { live: 1 }));
    b.lost(c, 0, LossCause::Deleted).unwrap();
    b.retire_topic(t).unwrap();
    assert_eq!(b.retire_channel(c), Err(BookError::RetiredChannel(c)));
    assert_eq!(
        b.copied(c, 5, Logical(5), 5),
        Err(BookError::RetiredChannel(c))
    );
    assert_eq!(
        b.topic_held(t, 5, Logical(5), 5),
        Err(BookError::RetiredTopic(t))
    );
    // The re-created topic restarts its ids at 0: no collision.
    let t2 = b.topic(0, "t");
    let c2 = b.channel(0, "t", "c");
    assert_ne!((t2, c2), (t, c));
    b.copied(c2, 0, Logical(2), 2).unwrap();
    let r = row(&b, "t", "c");
    assert_eq!(
        (r.published, r.live, r.lost.clone()),
        (2, 1, vec![(LossCause::Deleted, 1)])
    );
    assert_eq!(b.place(c, 0), Some(Place::Lost(LossCause::Deleted)));
    // Retiring one channel keeps the topic and the other channels.
    let d = b.channel(0, "t", "d");
    b.retire_channel(d).unwrap();
    assert_ne!(b.channel(0, "t", "d"), d);
    assert_eq!(b.channel(0, "t", "c"), c2);
}

// ---- property test: the book against a naive oracle ---------------------------

// The oracle keeps plain Vecs of records (copies, topic-held messages, lost
// entries without a copy) and recomputes every figure by brute force from
// the rules in the module docs. After every operation: the book accepts
// exactly what the oracle accepts, a refusal leaves the book equal to its
// clone, every copy's place agrees, `check()` passes and `report()` equals
// the oracle's figures.
mod oracle {
    use super::*;
    use proptest::test_runner::TestCaseError;

    #[derive(Clone, Debug)]
    pub enum Op {
        Register(u16, u8, u8),
        Held(u8, u64, u64),
        Release(usize, u8),
        TopicLost(usize, usize),
        Copied(usize, u64, u64, bool),
        PublishFailed(u8, u64, bool),
        /// Verb index, copy selector, client, cause index.
        Verb(u8, usize, u64, usize),
        RetireChannel(usize),
        RetireTopic(usize),
    }

    pub fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (0u16..2, 0u8..2, 0u8..2).prop_map(|(n, t, c)| Op::Register(n, t, c)),
            3 => (any::<u8>(), 0u64..6, 0u64..6).prop_map(|(t, i, l)| Op::Held(t, i, l)),
            2 => (any::<usize>(), any::<u8>()).prop_map(|(h, m)| Op::Release(h, m)),
            1 => (any::<usize>(), 0usize..7).prop_map(|(h, c)| Op::TopicLost(h, c)),
            10 => (any::<usize>(), 0u64..6, 0u64..6, prop::bool::weighted(0.05))
                .prop_map(|(c, i, l, b)| Op::Copied(c, i, l, b)),
            1 => (0u8..3, 0u64..6, prop::bool::weighted(0.1)).prop_map(|(t, l, b)| Op::PublishFailed(t, l, b)),
            44 => (0u8..11, any::<usize>(), 0u64..3, 0usize..7).prop_map(|(v, s, c, k)| Op::Verb(v, s, c, k)),
            1 => any::<usize>().prop_map(Op::RetireChannel),
            1 => any::<usize>().prop_map(Op::RetireTopic),
        ]
    }

    struct OTopic {
        node: u16,
        name: String,
        retired: bool,
    }
    struct OChan {
        topic: usize,
        name: String,
        retired: bool,
    }
    #[derive(Clone)]
    struct OCopy {
        chan: usize,
        id: u64,
        logical: u64,
        order: u64,
        place: Place,
        handled: u32,
        handled_now: bool,
        first_handled: u64,
        lost_at: u64,
        /// Finished at some point (a rewound copy stays finished).
        finished_once: bool,
    }
    struct OEntry {
        logical: u64,
        order: u64,
        place: Place,
        handled: u32,
        first_handled: u64,
        lost_at: u64,
        finished_once: bool,
    }

    #[derive(Default)]
    struct Oracle {
        topics: Vec<OTopic>,
        chans: Vec<OChan>,
        copies: Vec<OCopy>,
        /// (topic, id, logical, order)
        held: Vec<(usize, u64, u64, u64)>,
        /// (topic name, channel name, logical, order, cause, seq)
        ghosts: Vec<(String, String, u64, u64, LossCause, u64)>,
        seq: u64,
    }

    fn live(p: Place) -> bool {
        matches!(p, Place::Queued | Place::Deferred | Place::InFlight { .. })
    }
    fn in_flight(p: Place) -> bool {
        matches!(p, Place::InFlight { .. })
    }

    impl Oracle {
        fn topic(&mut self, node: u16, name: &str) -> (usize, bool) {
            match self
                .topics
                .iter()
                .position(|t| !t.retired && t.node == node && t.name == name)
            {
                Some(i) => (i, false),
                None => {
                    self.topics.push(OTopic {
                        node,
                        name: name.into(),
                        retired: false,
                    });
                    (self.topics.len() - 1, true)
                }
            }
        }
        fn channel(&mut self, topic: usize, name: &str) -> (usize, bool) {
            match self
                .chans
                .iter()
                .position(|c| !c.retired && c.topic == topic && c.name == name)
            {
                Some(i) => (i, false),
                None => {
                    self.chans.push(OChan {
                        topic,
                        name: name.into(),
                        retired: false,
                    });
                    (self.chans.len() - 1, true)
                }
            }
        }
        fn names(&self, chan: usize) -> (String, String) {
            let c = &self.chans[chan];
            (self.topics[c.topic].name.clone(), c.name.clone())
        }
        /// Logical channels (topic name, channel name), sorted.
        fn known(&self) -> Vec<(String, String)> {
            let mut v: Vec<_> = (0..self.chans.len()).map(|i| self.names(i)).collect();
            v.sort();
            v.dedup();
            v
        }
        fn entries(&self, lc: &(String, String)) -> Vec<OEntry> {
            let mut out: Vec<OEntry> = self
                .copies
                .iter()
                .filter(|c| &self.names(c.chan) == lc)
                .map(|c| OEntry {
                    logical: c.logical,
                    order: c.order,
                    place: c.place,
                    handled: c.handled,
                    first_handled: c.first_handled,
                    lost_at: c.lost_at,
                    finished_once: c.finished_once,
                })
                .collect();
            for g in self
                .ghosts
                .iter()
                .filter(|g| (&g.0, &g.1) == (&lc.0, &lc.1))
            {
                out.push(OEntry {
                    logical: g.2,
                    order: g.3,
                    place: Place::Lost(g.4),
                    handled: 0,
                    first_handled: 0,
                    lost_at: g.5,
                    finished_once: false,
                });
            }
            out
        }
        fn order_ok(&self, lc: &(String, String), logical: u64, order: u64) -> bool {
            self.entries(lc)
                .iter()
                .all(|e| e.logical != logical || e.order == order)
        }
        fn figures(&self) -> Vec<ChannelGuarantees> {
            let mut out = Vec::new();
            for lc in self.known() {
                let entries = self.entries(&lc);
                let mut logicals: Vec<u64> = entries.iter().map(|e| e.logical).collect();
                logicals.sort();
                logicals.dedup();
                let mut r = expect(&lc.0, &lc.1);
                let mut lost = [0u64; 7];
                let mut firsts = Vec::new();
                for l in logicals {
                    let es: Vec<&OEntry> = entries.iter().filter(|e| e.logical == l).collect();
                    r.published += 1;
                    if es.iter().any(|e| e.place == Place::Finished || e.finished_once) {
                        r.finished += 1;
                    } else if es.iter().any(|e| live(e.place)) {
                        r.live += 1;
                    } else {
                        let latest = es.iter().max_by_key(|e| e.lost_at).unwrap();
                        let Place::Lost(c) = latest.place else {
                            panic!("not lost")
                        };
                        lost[CAUSES.iter().position(|&x| x == c).unwrap()] += 1;
                    }
                    match es.iter().map(|e| e.handled).sum::<u32>() {
                        0 => {}
                        1 => r.handled_once += 1,
                        _ => r.handled_more_than_once += 1,
                    }
                    if let Some(f) = es
                        .iter()
                        .filter(|e| e.first_handled > 0)
                        .map(|e| e.first_handled)
                        .min()
                    {
                        firsts.push((f, es[0].order));
                    }
                }
                firsts.sort();
                for (i, &(_, o)) in firsts.iter().enumerate() {
                    if firsts[..i].iter().any(|&(_, p)| p > o) {
                        r.reordered += 1;
                    }
                }
                r.lost = CAUSES
                    .iter()
                    .zip(lost)
                    .filter(|x| x.1 > 0)
                    .map(|(&c, n)| (c, n))
                    .collect();
                out.push(r);
            }
            out
        }
    }

    pub fn run(ops: &[Op]) -> Result<(), TestCaseError> {
        let mut b = Guarantees::new();
        let mut o = Oracle::default();
        let mut tkeys: Vec<TopicKey> = Vec::new();
        let mut ckeys: Vec<ChanKey> = Vec::new();
        // Order of a logical message, or a wrong one.
        let ord = |l: u64, bad: bool| l * 10 + u64::from(bad);
        for op in ops {
            let before = b.clone();
            let (got, want): (bool, bool) = match *op {
                Op::Register(node, t, c) => {
                    let (tname, cname) = (format!("t{t}"), format!("c{c}"));
                    let (ti, tnew) = o.topic(node, &tname);
                    let (ci, cnew) = o.channel(ti, &cname);
                    let ck = b.channel(node, &tname, &cname);
                    let tk = b.topic(node, &tname);
                    if tnew {
                        prop_assert!(!tkeys.contains(&tk));
                        tkeys.push(tk);
                    }
                    if cnew {
                        prop_assert!(!ckeys.contains(&ck));
                        ckeys.push(ck);
                    }
                    prop_assert_eq!((tkeys[ti], ckeys[ci]), (tk, ck));
                    (true, true)
                }
                Op::Held(t, id, l) => {
                    if o.topics.is_empty() {
                        continue;
                    }
                    let ti = t as usize % o.topics.len();
                    let want = !o.topics[ti].retired
                        && !o.held.iter().any(|h| (h.0, h.1) == (ti, id))
                        && !o
                            .copies
                            .iter()
                            .any(|c| c.id == id && c.chan_of(ti, &o.chans));
                    let got = b
                        .topic_held(tkeys[ti], id, Logical(l), ord(l, false))
                        .is_ok();
                    if want {
                        o.held.push((ti, id, l, ord(l, false)));
                        o.seq += 1;
                    }
                    (got, want)
                }
                Op::Release(h, mask) => {
                    if o.held.is_empty() || o.chans.is_empty() {
                        continue;
                    }
                    let h = h % o.held.len();
                    let (ti, id, l, order) = o.held[h];
                    let chans: Vec<usize> = (0..o.chans.len().min(8))
                        .filter(|i| mask & (1 << i) != 0)
                        .collect();
                    let want = !chans.is_empty()
                        && chans.iter().all(|&ci| {
                            let c = &o.chans[ci];
                            !c.retired
                                && c.topic == ti
                                && !o.copies.iter().any(|x| (x.chan, x.id) == (ci, id))
                                && o.order_ok(&o.names(ci), l, order)
                        });
                    let keys: Vec<ChanKey> = chans.iter().map(|&c| ckeys[c]).collect();
                    let got = b.released(tkeys[ti], id, &keys).is_ok();
                    if want {
                        o.held.remove(h);
                        for &ci in &chans {
                            o.copies.push(OCopy::new(ci, id, l, order));
                        }
                        o.seq += 1;
                    }
                    (got, want)
                }
                Op::TopicLost(h, k) => {
                    if o.held.is_empty() {
                        continue;
                    }
                    let h = h % o.held.len();
                    let (ti, id, l, order) = o.held[h];
                    let cause = CAUSES[k];
                    let tname = o.topics[ti].name.clone();
                    let lcs: Vec<_> = o.known().into_iter().filter(|lc| lc.0 == tname).collect();
                    let want = !matches!(cause, LossCause::PublishFailed | LossCause::MaxAttempts)
                        && lcs.iter().all(|lc| o.order_ok(lc, l, order));
                    let got = b.topic_lost(tkeys[ti], id, cause);
                    if want {
                        prop_assert_eq!(got.clone(), Ok(lcs.len()));
                        o.held.remove(h);
                        o.seq += 1;
                        for lc in lcs {
                            o.ghosts.push((lc.0, lc.1, l, order, cause, o.seq));
                        }
                    }
                    (got.is_ok(), want)
                }
                Op::Copied(c, id, l, bad) => {
                    if o.chans.is_empty() {
                        continue;
                    }
                    let ci = c % o.chans.len();
                    let ch = &o.chans[ci];
                    let order = ord(l, bad);
                    let want = !ch.retired
                        && !o.copies.iter().any(|x| (x.chan, x.id) == (ci, id))
                        && !o.held.iter().any(|h| (h.0, h.1) == (ch.topic, id))
                        && o.order_ok(&o.names(ci), l, order);
                    let got = b.copied(ckeys[ci], id, Logical(l), order).is_ok();
                    if want {
                        o.copies.push(OCopy::new(ci, id, l, order));
                        o.seq += 1;
                    }
                    (got, want)
                }
                Op::PublishFailed(t, l, bad) => {
                    let tname = format!("t{t}");
                    let order = ord(l, bad);
                    let lcs: Vec<_> = o.known().into_iter().filter(|lc| lc.0 == tname).collect();
                    let want = lcs.iter().all(|lc| o.order_ok(lc, l, order));
                    let got = b.publish_failed(&tname, Logical(l), order);
                    if want {
                        prop_assert_eq!(got.clone(), Ok(lcs.len()));
                        o.seq += 1;
                        for lc in lcs {
                            o.ghosts
                                .push((lc.0, lc.1, l, order, LossCause::PublishFailed, o.seq));
                        }
                    }
                    (got.is_ok(), want)
                }
                Op::Verb(v, s, client, k) => {
                    if o.chans.is_empty() {
                        continue;
                    }
                    // Mostly an existing copy; sometimes one that is not.
                    let (ci, id, idx) = if o.copies.is_empty() || s % 16 == 0 {
                        (s % o.chans.len(), 100, None)
                    } else {
                        let i = s % o.copies.len();
                        (o.copies[i].chan, o.copies[i].id, Some(i))
                    };
                    let key = ckeys[ci];
                    let cause = CAUSES[k];
                    let place = idx.map(|i| o.copies[i].place);
                    let attempt = (s % 5) as u16 + 1;
                    let (got, to, handle) = match v {
                        0 => (
                            b.delivered(key, id, client, attempt),
                            Some(Place::InFlight { client, attempt }),
                            false,
                        ),
                        1 => (b.requeued(key, id), Some(Place::Queued), false),
                        2 => (b.timed_out(key, id), Some(Place::Queued), false),
                        3 => (b.deferred(key, id), Some(Place::Deferred), false),
                        4 => (b.undeferred(key, id), Some(Place::Queued), false),
                        5 | 6 => (b.handled(key, id), None, true),
                        7 => (b.finished(key, id), Some(Place::Finished), false),
                        10 => (b.rewound(key, id), Some(Place::Queued), false),
                        _ => (b.lost(key, id, cause), Some(Place::Lost(cause)), false),
                    };
                    let want = match (place, v) {
                        (None, _) => false,
                        (Some(p), 0) => p == Place::Queued,
                        (Some(p), 1 | 2 | 7) => in_flight(p),
                        (Some(p), 3) => in_flight(p) || p == Place::Queued,
                        (Some(p), 4) => p == Place::Deferred,
                        // A handler may run on a copy whatever happened
                        // to it at the node since its delivery.
                        (Some(_), 5 | 6) => true,
                        // A disk queue may read any copy again.
                        (Some(_), 10) => true,
                        (Some(p), _) => match cause {
                            LossCause::PublishFailed => false,
                            LossCause::MaxAttempts => in_flight(p),
                            _ => live(p),
                        },
                    };
                    if want {
                        o.seq += 1;
                        let seq = o.seq;
                        let c = &mut o.copies[idx.unwrap()];
                        if let Some(to) = to {
                            c.place = to;
                            if in_flight(to) {
                                c.handled_now = false;
                            }
                            if matches!(to, Place::Lost(_)) {
                                c.lost_at = seq;
                            }
                            if to == Place::Finished {
                                c.finished_once = true;
                            }
                        }
                        if handle {
                            c.handled += 1;
                            c.handled_now = true;
                            if c.first_handled == 0 {
                                c.first_handled = seq;
                            }
                        }
                    }
                    (got.is_ok(), want)
                }
                Op::RetireChannel(c) => {
                    if o.chans.is_empty() {
                        continue;
                    }
                    let ci = c % o.chans.len();
                    let want = !o.chans[ci].retired
                        && !o.copies.iter().any(|x| x.chan == ci && live(x.place));
                    let got = b.retire_channel(ckeys[ci]).is_ok();
                    if want {
                        o.chans[ci].retired = true;
                    }
                    (got, want)
                }
                Op::RetireTopic(t) => {
                    if o.topics.is_empty() {
                        continue;
                    }
                    let ti = t % o.topics.len();
                    let want = !o.topics[ti].retired
                        && !o.held.iter().any(|h| h.0 == ti)
                        && !o.copies.iter().any(|x| {
                            live(x.place) && !o.chans[x.chan].retired && o.chans[x.chan].topic == ti
                        });
                    let got = b.retire_topic(tkeys[ti]).is_ok();
                    if want {
                        o.topics[ti].retired = true;
                        for c in o.chans.iter_mut().filter(|c| c.topic == ti) {
                            c.retired = true;
                        }
                    }
                    (got, want)
                }
            };
            prop_assert_eq!(got, want, "{:?}", op);
            if !got {
                prop_assert!(b == before, "a refused {:?} changed the book", op);
            }
            if let Err(e) = b.check() {
                return Err(TestCaseError::fail(format!("after {op:?}: {e}")));
            }
            prop_assert_eq!(b.report(), o.figures(), "after {:?}", op);
            prop_assert_eq!(b.copies().count(), o.copies.len());
            for c in &o.copies {
                prop_assert_eq!(b.place(ckeys[c.chan], c.id), Some(c.place));
            }
            for &(t, id, ..) in &o.held {
                prop_assert_eq!(b.topic_place(tkeys[t], id), Some(Place::TopicHeld));
            }
            prop_assert_eq!(b.unreached().count(), o.ghosts.len());
        }
        Ok(())
    }

    impl OCopy {
        fn new(chan: usize, id: u64, logical: u64, order: u64) -> OCopy {
            OCopy {
                chan,
                id,
                logical,
                order,
                place: Place::Queued,
                handled: 0,
                handled_now: false,
                first_handled: 0,
                lost_at: 0,
                finished_once: false,
            }
        }
        /// In a current channel of topic `t`.
        fn chan_of(&self, t: usize, chans: &[OChan]) -> bool {
            !chans[self.chan].retired && chans[self.chan].topic == t
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn book_matches_oracle(ops in proptest::collection::vec(oracle::op(), 1..150)) {
        oracle::run(&ops)?;
    }
}
