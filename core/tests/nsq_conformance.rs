//! nsqd conformance: nsqd's own tests (nsqio/nsq v1.3, `nsqd/channel_test.go`,
//! `topic_test.go`, `protocol_v2_test.go`) ported to the model, each citing
//! the test it ports, plus SEMANTICS.md §2 cases and a property test of one
//! channel against a naive Vec-based oracle.
//!
//! Not ported, and why:
//! - `TestChannelHealth`, `TestHealth`: backend write errors and `/ping`
//!   health are not modelled (the model's disk never fails).
//! - `TestBadFin`, `TestFatalError`, `TestEmptyCommand`, `TestSizeLimits`:
//!   wire parsing; the model's ids and commands are typed.
//! - `TestClientTimeout`, `TestClientHeartbeat*`, `TestMaxHeartbeatInterval*`,
//!   `TestOutputBuffering*`, TLS, deflate, snappy, auth, `TestSampling`,
//!   `TestSameZoneConsumerV2`: connection-level features outside the server
//!   state machines. Heartbeats belong to the world's connection model
//!   (`world/nsq/beat.rs`, with nsqd's default 30 s interval and 60 s read
//!   deadline; tested across cut links in `nsq_heartbeats.rs`).
//! - `TestGetTopic` is ported against [`Nsqd`]; nsqd's metadata tests
//!   (`nsqd_test.go`) are replaced by the stop/crash cases below.

use proptest::prelude::*;
use queuelab::nsq::message::{Body, ClientId, Message, MessageId};
use queuelab::nsq::nsqd::backend::{Source, Stored};
use queuelab::nsq::nsqd::channel::{Channel, Requeued, Returned};
use queuelab::nsq::nsqd::topic::Topic;
use queuelab::nsq::nsqd::{Nsqd, NsqdOptions};
use queuelab::nsq::{req_delay_from_millis, NotInFlight, NsqError};
use queuelab::rng::SimRng;
use queuelab::time::{SimDuration, SimTime};

fn ms(n: u64) -> SimTime {
    SimTime::from_micros(n * 1000)
}
fn dur(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}
fn body(v: u64) -> Body {
    Body {
        producer: 0,
        value: v,
        seq: v,
    }
}
fn msg(id: MessageId) -> Message {
    Message::new(id, body(id), SimTime::ZERO)
}
fn queued_ids(ch: &Channel) -> Vec<MessageId> {
    ch.backend().iter().map(|(m, _)| m.id).collect()
}

// ---- channel_test.go ------------------------------------------------------

// nsqd/channel_test.go: TestPutMessage
#[test]
fn put_message() {
    let mut rng = SimRng::new(1);
    let mut topic = Topic::new("test_put_message", &NsqdOptions::default()).unwrap();
    topic.get_channel("ch", SimTime::ZERO, &mut rng).unwrap();
    let report = topic.publish(body(42), ms(1));
    assert_eq!(report.fanned_out.len(), 1);
    let ch = topic.channel("ch").unwrap();
    let (out, src) = ch.backend().iter().next().unwrap();
    assert_eq!(src, Source::Memory);
    assert_eq!((out.id, out.body), (report.fanned_out[0], body(42)));
}

// nsqd/channel_test.go: TestPutMessage2Chan
#[test]
fn put_message_2chan() {
    let mut rng = SimRng::new(1);
    let mut topic = Topic::new("test_put_message_2chan", &NsqdOptions::default()).unwrap();
    topic.get_channel("ch1", SimTime::ZERO, &mut rng).unwrap();
    topic.get_channel("ch2", SimTime::ZERO, &mut rng).unwrap();
    let report = topic.publish(body(7), ms(1));
    assert_eq!(report.copies_each, 2);
    for name in ["ch1", "ch2"] {
        let ch = topic.channel(name).unwrap();
        let (out, _) = ch.backend().iter().next().unwrap();
        assert_eq!(
            (out.id, out.body, out.timestamp),
            (report.fanned_out[0], body(7), ms(1))
        );
        assert_eq!(ch.stats().message_count, 1);
    }
}

// nsqd/channel_test.go: TestInFlightWorker (250 messages in flight to client
// 0 with a 100 ms timeout all time out; the model expires exactly on time
// where nsqd's 100 ms scan needs up to 4x the timeout)
#[test]
fn in_flight_worker() {
    let opts = NsqdOptions {
        msg_timeout: dur(100),
        ..NsqdOptions::default()
    };
    let mut ch = Channel::new("t", "channel", &opts, SimTime::ZERO);
    for id in 0..250 {
        ch.start_in_flight(msg(id), 0, SimTime::ZERO, opts.msg_timeout)
            .unwrap();
    }
    assert_eq!(ch.stats().in_flight_count, 250);
    assert_eq!(ch.next_deadline(), Some(ms(100)));
    let mut out = Vec::new();
    assert!(!ch.process_in_flight(ms(99), &mut out));
    assert!(ch.process_in_flight(ms(100), &mut out));
    assert_eq!(out.len(), 250);
    let s = ch.stats();
    assert_eq!((s.in_flight_count, s.timeout_count, s.depth), (0, 250, 250));
    assert_eq!(ch.next_deadline(), None);
}

// nsqd/channel_test.go: TestChannelEmpty
#[test]
fn channel_empty() {
    let opts = NsqdOptions::default();
    let mut ch = Channel::new("t", "channel", &opts, SimTime::ZERO);
    ch.add_client(0, None).unwrap();
    for id in 0..25 {
        ch.start_in_flight(msg(id), 0, SimTime::ZERO, opts.msg_timeout)
            .unwrap();
    }
    let r = ch.requeue(0, 24, dur(100), SimTime::ZERO).unwrap();
    assert_eq!(r, Requeued::Deferred { due: ms(100) });
    let s = ch.stats();
    assert_eq!((s.in_flight_count, s.deferred_count), (24, 1));
    ch.put(msg(100)).unwrap();
    let emptied = ch.empty();
    assert_eq!(
        (
            emptied.in_flight.len(),
            emptied.deferred.len(),
            emptied.memory.len()
        ),
        (24, 1, 1)
    );
    let s = ch.stats();
    assert_eq!((s.in_flight_count, s.deferred_count, s.depth), (0, 0, 0));
    // SEMANTICS 2.1: later FINs for emptied messages fail
    let e = ch.finish(0, 3, ms(1)).unwrap_err();
    assert_eq!(
        e,
        NsqError::FinFailed {
            id: 3,
            why: NotInFlight::NotInFlight
        }
    );
}

// nsqd/channel_test.go: TestChannelEmptyConsumer
#[test]
fn channel_empty_consumer() {
    let opts = NsqdOptions::default();
    let mut ch = Channel::new("t", "channel", &opts, SimTime::ZERO);
    ch.add_client(0, None).unwrap();
    ch.ready(0, 25).unwrap();
    for id in 0..25 {
        ch.start_in_flight(msg(id), 0, SimTime::ZERO, opts.msg_timeout)
            .unwrap();
    }
    assert_eq!(ch.client(0).unwrap().in_flight_count, 25);
    ch.empty();
    assert_eq!(ch.client(0).unwrap().in_flight_count, 0);
}

// nsqd/channel_test.go: TestMaxChannelConsumers
#[test]
fn max_channel_consumers() {
    let opts = NsqdOptions {
        max_channel_consumers: 1,
        ..NsqdOptions::default()
    };
    let mut ch = Channel::new("t", "channel", &opts, SimTime::ZERO);
    ch.add_client(1, None).unwrap();
    let e = ch.add_client(2, None).unwrap_err();
    assert_eq!(e.code(), "E_SUB_FAILED");
    assert!(e.is_fatal());
    assert_eq!(ch.stats().client_count, 1);
}

// ---- topic_test.go ----------------------------------------------------------

// nsqd/topic_test.go: TestGetTopic
#[test]
fn get_topic() {
    let mut n = Nsqd::new(NsqdOptions::default());
    assert_eq!(n.get_topic("test").unwrap().name(), "test");
    n.get_topic("test").unwrap();
    n.get_topic("test2").unwrap();
    assert_eq!(n.topics().count(), 2);
    assert_eq!(n.get_topic("bad name").unwrap_err().code(), "E_BAD_TOPIC");
}

// nsqd/topic_test.go: TestGetChannel
#[test]
fn get_channel() {
    let mut rng = SimRng::new(1);
    let mut topic = Topic::new("test", &NsqdOptions::default()).unwrap();
    let (c1, _) = topic.get_channel("ch1", SimTime::ZERO, &mut rng).unwrap();
    assert_eq!(c1.name(), "ch1");
    topic.get_channel("ch2", SimTime::ZERO, &mut rng).unwrap();
    let names: Vec<_> = topic.channels().map(|c| c.name().to_string()).collect();
    assert_eq!(names, ["ch1", "ch2"]);
    assert_eq!(
        topic
            .get_channel("a:b", SimTime::ZERO, &mut rng)
            .unwrap_err()
            .code(),
        "E_BAD_CHANNEL"
    );
}

// nsqd/topic_test.go: TestDeletes
#[test]
fn deletes() {
    let mut rng = SimRng::new(1);
    let mut n = Nsqd::new(NsqdOptions::default());
    let topic = n.get_topic("test").unwrap();
    topic.get_channel("ch1", SimTime::ZERO, &mut rng).unwrap();
    topic.delete_channel("ch1").unwrap();
    assert_eq!(topic.channels().count(), 0);
    assert_eq!(
        topic.delete_channel("ch1").unwrap_err().code(),
        "CHANNEL_NOT_FOUND"
    );
    topic.get_channel("ch2", SimTime::ZERO, &mut rng).unwrap();
    n.delete_topic("test").unwrap();
    assert_eq!(n.topics().count(), 0);
}

// nsqd/topic_test.go: TestDeleteLast
#[test]
fn delete_last() {
    let mut rng = SimRng::new(1);
    let mut topic = Topic::new("test", &NsqdOptions::default()).unwrap();
    topic.get_channel("ch1", SimTime::ZERO, &mut rng).unwrap();
    topic.delete_channel("ch1").unwrap();
    topic.publish(body(1), ms(1));
    assert_eq!(topic.depth(), 1);
}

// nsqd/topic_test.go: TestPause
#[test]
fn topic_pause() {
    let mut rng = SimRng::new(1);
    let mut topic = Topic::new("test_topic_pause", &NsqdOptions::default()).unwrap();
    topic.pause();
    topic.get_channel("ch1", SimTime::ZERO, &mut rng).unwrap();
    topic.publish(body(1), ms(1));
    assert_eq!(
        (topic.depth(), topic.channel("ch1").unwrap().depth()),
        (1, 0)
    );
    let report = topic.unpause(ms(2), &mut rng);
    assert_eq!(report.fanned_out.len(), 1);
    assert_eq!(
        (topic.depth(), topic.channel("ch1").unwrap().depth()),
        (0, 1)
    );
}

// SEMANTICS 2.1 / topic.go messagePump: a topic without channels keeps its
// backlog; the FIRST channel created receives all of it, later channels only
// new messages.
#[test]
fn backlog_goes_to_first_channel_only() {
    let mut rng = SimRng::new(3);
    let opts = NsqdOptions {
        mem_queue_size: 2,
        ..NsqdOptions::default()
    };
    let mut topic = Topic::new("t", &opts).unwrap();
    for v in 0..5 {
        topic.publish(body(v), ms(v));
    }
    let s = topic.stats();
    assert_eq!(
        (s.memory_depth, s.backend_depth, s.message_count),
        (2, 3, 5)
    );
    let (_, report) = topic.get_channel("first", ms(10), &mut rng).unwrap();
    assert_eq!(report.fanned_out.len(), 5);
    topic.get_channel("second", ms(11), &mut rng).unwrap();
    assert_eq!(topic.depth(), 0);
    assert_eq!(topic.channel("first").unwrap().depth(), 5);
    assert_eq!(topic.channel("second").unwrap().depth(), 0);
    topic.publish(body(9), ms(12));
    assert_eq!(topic.channel("first").unwrap().depth(), 6);
    assert_eq!(topic.channel("second").unwrap().depth(), 1);
    // memory (ids 0, 1) and disk (2, 3, 4) each stay FIFO in the interleave
    let first: Vec<_> = queued_ids(topic.channel("first").unwrap());
    let mem: Vec<_> = first.iter().filter(|&&i| i < 2).collect();
    assert_eq!(mem, [&0, &1]);
}

// ---- protocol_v2_test.go ----------------------------------------------------

// nsqd/protocol_v2_test.go: TestBasicV2 (publish before SUB; RDY 1 gets it
// with attempts 1)
#[test]
fn basic_v2() {
    let mut rng = SimRng::new(1);
    let mut n = Nsqd::new(NsqdOptions::default());
    let id = n.get_topic("test_v2").unwrap().publish(body(5), ms(1)).held[0].0;
    n.subscribe("test_v2", "ch", 1, None, ms(2), &mut rng)
        .unwrap();
    let ch = n.topic_mut("test_v2").unwrap().channel_mut("ch").unwrap();
    assert_eq!(
        ch.deliver(1, ms(3), &mut rng).unwrap(),
        None,
        "RDY 0 gets nothing"
    );
    ch.ready(1, 1).unwrap();
    let d = ch.deliver(1, ms(3), &mut rng).unwrap().unwrap();
    assert_eq!(
        (d.message.id, d.message.body, d.message.attempts),
        (id, body(5), 1)
    );
    assert_eq!(d.deadline, ms(3) + dur(60_000));
}

// nsqd/protocol_v2_test.go: TestMultipleConsumerV2
#[test]
fn multiple_consumer_v2() {
    let mut rng = SimRng::new(1);
    let mut n = Nsqd::new(NsqdOptions::default());
    let t = n.get_topic("test_multiple_v2").unwrap();
    t.get_channel("ch1", ms(0), &mut rng).unwrap();
    t.get_channel("ch2", ms(0), &mut rng).unwrap();
    let id = t.publish(body(1), ms(1)).fanned_out[0];
    for (client, name) in [(1, "ch1"), (2, "ch2")] {
        n.subscribe("test_multiple_v2", name, client, None, ms(2), &mut rng)
            .unwrap();
        let ch = n
            .topic_mut("test_multiple_v2")
            .unwrap()
            .channel_mut(name)
            .unwrap();
        ch.ready(client, 1).unwrap();
        let d = ch.deliver(client, ms(3), &mut rng).unwrap().unwrap();
        assert_eq!((d.message.id, d.message.attempts), (id, 1));
    }
}

// nsqd/protocol_v2_test.go: TestPausing
#[test]
fn pausing() {
    let mut rng = SimRng::new(1);
    let mut ch = Channel::new("t", "ch", &NsqdOptions::default(), SimTime::ZERO);
    ch.add_client(1, None).unwrap();
    ch.ready(1, 1).unwrap();
    ch.put(msg(1)).unwrap();
    let d = ch.deliver(1, ms(1), &mut rng).unwrap().unwrap();
    ch.finish(1, d.message.id, ms(2)).unwrap();
    ch.pause();
    ch.put(msg(2)).unwrap();
    assert!(!ch.is_ready(1));
    assert_eq!(ch.deliver(1, ms(3), &mut rng).unwrap(), None);
    assert_eq!(queued_ids(&ch), [2]);
    ch.unpause();
    ch.put(msg(3)).unwrap();
    assert_eq!(
        ch.deliver(1, ms(4), &mut rng).unwrap().unwrap().message.id,
        2
    );
}

// nsqd/protocol_v2_test.go: TestDPUB
#[test]
fn dpub() {
    let mut rng = SimRng::new(1);
    let mut topic = Topic::new("test_dpub_v2", &NsqdOptions::default()).unwrap();
    topic.get_channel("ch", ms(0), &mut rng).unwrap();
    topic.deferred_publish(body(1), 1000, ms(5)).unwrap();
    let ch = topic.channel("ch").unwrap();
    let s = ch.stats();
    assert_eq!(
        (s.deferred_count, s.message_count, s.requeue_count, s.depth),
        (1, 1, 0, 0)
    );
    assert_eq!(ch.deferred().next().unwrap().0, ms(1005));
    // out of range: refused, not clamped, nothing changes
    let e = topic
        .deferred_publish(body(2), 3_600_100, ms(6))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "E_INVALID DPUB timeout 3600100 out of range 0-3600000"
    );
    assert!(e.is_fatal());
    assert!(topic.deferred_publish(body(2), -1, ms(6)).is_err());
    assert!(topic.deferred_publish(body(2), 3_600_000, ms(6)).is_ok());
    assert_eq!(topic.stats().message_count, 2);
}

// nsqd/protocol_v2_test.go: TestTouch (msg timeout 150 ms; TOUCH at 75 ms;
// FIN at 150 ms; no timeout)
#[test]
fn touch() {
    let mut rng = SimRng::new(1);
    let opts = NsqdOptions {
        msg_timeout: dur(150),
        ..NsqdOptions::default()
    };
    let mut ch = Channel::new("t", "ch", &opts, SimTime::ZERO);
    ch.add_client(1, None).unwrap();
    ch.put(msg(1)).unwrap();
    ch.ready(1, 1).unwrap();
    ch.deliver(1, ms(0), &mut rng).unwrap().unwrap();
    assert_eq!(ch.touch(1, 1, ms(75)).unwrap(), ms(225));
    assert_eq!(ch.next_deadline(), Some(ms(225)));
    let mut out = Vec::new();
    ch.process_in_flight(ms(150), &mut out);
    assert!(out.is_empty());
    ch.finish(1, 1, ms(150)).unwrap();
    assert_eq!(ch.stats().timeout_count, 0);
}

// SEMANTICS 2.2 / channel.go TouchMessage: the deadline is capped at
// delivery + max-msg-timeout (nsqd tests `>=`).
#[test]
fn touch_capped_at_max_msg_timeout() {
    let mut rng = SimRng::new(1);
    let mut ch = Channel::new("t", "ch", &NsqdOptions::default(), SimTime::ZERO);
    ch.add_client(1, None).unwrap();
    ch.ready(1, 1).unwrap();
    ch.put(msg(1)).unwrap();
    ch.deliver(1, ms(0), &mut rng).unwrap().unwrap();
    let cap = ms(15 * 60_000);
    assert_eq!(ch.touch(1, 1, ms(14 * 60_000)).unwrap(), cap);
    assert_eq!(ch.touch(1, 1, ms(13 * 60_000)).unwrap(), ms(14 * 60_000));
    assert_eq!(ch.touch(1, 1, ms(20 * 60_000)).unwrap(), cap);
}

// nsqd/protocol_v2_test.go: TestMaxRdyCount
#[test]
fn max_rdy_count() {
    let mut rng = SimRng::new(1);
    let opts = NsqdOptions {
        max_rdy_count: 50,
        ..NsqdOptions::default()
    };
    let mut ch = Channel::new("t", "ch", &opts, SimTime::ZERO);
    ch.put(msg(1)).unwrap();
    ch.add_client(1, None).unwrap();
    ch.ready(1, 50).unwrap();
    assert_eq!(
        ch.deliver(1, ms(1), &mut rng).unwrap().unwrap().message.id,
        1
    );
    let e = ch.ready(1, 51).unwrap_err();
    assert_eq!(e.to_string(), "E_INVALID RDY count 51 out of range 0-50");
    assert!(e.is_fatal());
    assert_eq!(ch.client(1).unwrap().ready_count, 50);
    assert!(ch.ready(1, -1).is_err());
}

// nsqd/protocol_v2_test.go: TestClientMsgTimeout (IDENTIFY msg_timeout 1 s;
// RDY 0 after the first message; it times out; a late FIN fails)
#[test]
fn client_msg_timeout() {
    let mut rng = SimRng::new(1);
    let mut ch = Channel::new("t", "ch", &NsqdOptions::default(), SimTime::ZERO);
    ch.put(msg(1)).unwrap();
    ch.put(msg(2)).unwrap();
    ch.add_client(1, Some(dur(1000))).unwrap();
    ch.ready(1, 1).unwrap();
    let d = ch.deliver(1, ms(0), &mut rng).unwrap().unwrap();
    assert_eq!(d.message.id, 1);
    ch.ready(1, 0).unwrap();
    let mut out = Vec::new();
    ch.process_in_flight(ms(1150), &mut out);
    let s = ch.stats();
    assert_eq!((s.timeout_count, s.requeue_count), (1, 0));
    let e = ch.finish(1, 1, ms(1151)).unwrap_err();
    assert_eq!(e.to_string(), "E_FIN_FAILED FIN 1 failed ID not in flight");
    assert!(!e.is_fatal());
    // IDENTIFY msg_timeout outside [1 s, max-msg-timeout]: E_BAD_BODY
    assert_eq!(
        ch.add_client(2, Some(dur(999))).unwrap_err().code(),
        "E_BAD_BODY"
    );
}

// nsqd/protocol_v2_test.go: TestReqTimeoutRange (max-req-timeout 1 min).
// go-nsq encodes `Requeue(id, -1)` as `REQ id 0` (-1 ns / 1 ms = 0): back at
// once. A REQ above the max is clamped to it.
#[test]
fn req_timeout_range() {
    let mut rng = SimRng::new(1);
    let opts = NsqdOptions {
        max_req_timeout: SimDuration::from_secs(60),
        ..NsqdOptions::default()
    };
    let mut ch = Channel::new("t", "ch", &opts, SimTime::ZERO);
    ch.add_client(1, None).unwrap();
    ch.ready(1, 1).unwrap();
    ch.put(msg(1)).unwrap();
    ch.deliver(1, ms(0), &mut rng).unwrap().unwrap();
    let zero = req_delay_from_millis(0, opts.max_req_timeout).unwrap();
    assert_eq!(
        ch.requeue(1, 1, zero, ms(1)).unwrap(),
        Requeued::Queued(Stored::Memory)
    );
    let again = ch.deliver(1, ms(2), &mut rng).unwrap().unwrap();
    assert_eq!((again.message.id, again.message.attempts), (1, 2));
    let twice_max = req_delay_from_millis(120_000, opts.max_req_timeout).unwrap();
    let r = ch.requeue(1, 1, twice_max, ms(3)).unwrap();
    assert_eq!(
        r,
        Requeued::Deferred {
            due: ms(3) + SimDuration::from_secs(60)
        }
    );
    assert_eq!(ch.stats().requeue_count, 2);
    // a negative REQ never parses in nsqd (ByteToBase10): fatal E_INVALID
    let e = req_delay_from_millis(-5, opts.max_req_timeout).unwrap_err();
    assert_eq!((e.code(), e.is_fatal()), ("E_INVALID", true));
}

// SEMANTICS 2.2: FIN/REQ/TOUCH of a message not in flight, or owned by
// another client, fail and change nothing (channel.go popInFlightMessage;
// protocol_v2_test.go TestClientMsgTimeout checks the FIN text).
#[test]
fn fin_req_touch_refusals_change_nothing() {
    let mut rng = SimRng::new(1);
    let mut ch = Channel::new("t", "ch", &NsqdOptions::default(), SimTime::ZERO);
    for c in [1, 2] {
        ch.add_client(c, None).unwrap();
        ch.ready(c, 5).unwrap();
    }
    ch.put(msg(1)).unwrap();
    ch.put(msg(2)).unwrap();
    ch.deliver(1, ms(0), &mut rng).unwrap().unwrap();
    let before = (
        ch.stats(),
        ch.in_flight().copied().collect::<Vec<_>>(),
        ch.clients()
            .map(|(i, c)| (i, c.clone()))
            .collect::<Vec<_>>(),
        queued_ids(&ch),
    );
    let other = NotInFlight::NotOwner;
    assert_eq!(
        ch.finish(2, 1, ms(1)).unwrap_err(),
        NsqError::FinFailed { id: 1, why: other }
    );
    assert_eq!(
        ch.requeue(2, 1, dur(0), ms(1)).unwrap_err(),
        NsqError::ReqFailed { id: 1, why: other }
    );
    assert_eq!(
        ch.touch(2, 1, ms(1)).unwrap_err(),
        NsqError::TouchFailed { id: 1, why: other }
    );
    let none = NotInFlight::NotInFlight;
    assert_eq!(
        ch.finish(1, 2, ms(1)).unwrap_err(),
        NsqError::FinFailed { id: 2, why: none }
    );
    assert_eq!(
        ch.requeue(1, 9, dur(5), ms(1)).unwrap_err(),
        NsqError::ReqFailed { id: 9, why: none }
    );
    assert_eq!(ch.touch(1, 9, ms(1)).unwrap_err().code(), "E_TOUCH_FAILED");
    assert_eq!(ch.finish(7, 1, ms(1)).unwrap_err().code(), "E_INVALID");
    assert_eq!(
        ch.requeue(2, 1, dur(0), ms(1)).unwrap_err().to_string(),
        "E_REQ_FAILED REQ 1 failed client does not own message"
    );
    let after = (
        ch.stats(),
        ch.in_flight().copied().collect::<Vec<_>>(),
        ch.clients()
            .map(|(i, c)| (i, c.clone()))
            .collect::<Vec<_>>(),
        queued_ids(&ch),
    );
    assert_eq!(before, after);
}

// SEMANTICS 2.3: RDY is a window: eligible iff not paused, rdy > 0 and
// in_flight < rdy (client_v2.go IsReadyForMessages).
#[test]
fn rdy_is_a_window() {
    let mut rng = SimRng::new(1);
    let mut ch = Channel::new("t", "ch", &NsqdOptions::default(), SimTime::ZERO);
    ch.add_client(1, None).unwrap();
    for id in 0..4 {
        ch.put(msg(id)).unwrap();
    }
    ch.ready(1, 2).unwrap();
    assert!(ch.deliver(1, ms(0), &mut rng).unwrap().is_some());
    assert!(ch.deliver(1, ms(0), &mut rng).unwrap().is_some());
    assert!(ch.deliver(1, ms(0), &mut rng).unwrap().is_none());
    ch.finish(1, 0, ms(1)).unwrap();
    assert!(ch.is_ready(1));
    assert_eq!(
        ch.deliver(1, ms(1), &mut rng).unwrap().unwrap().message.id,
        2
    );
    let c = ch.client(1).unwrap();
    assert_eq!(
        (c.in_flight_count, c.message_count, c.finish_count),
        (2, 3, 1)
    );
}

// SEMANTICS 2.3: round robin among ready clients.
#[test]
fn deliver_next_round_robin() {
    let mut rng = SimRng::new(1);
    let mut ch = Channel::new("t", "ch", &NsqdOptions::default(), SimTime::ZERO);
    for c in [1, 2, 3] {
        ch.add_client(c, None).unwrap();
        ch.ready(c, 10).unwrap();
    }
    for id in 0..6 {
        ch.put(msg(id)).unwrap();
    }
    let who: Vec<ClientId> = (0..6)
        .map(|_| ch.deliver_next(ms(0), &mut rng).unwrap().unwrap().client)
        .collect();
    assert_eq!(who, [1, 2, 3, 1, 2, 3]);
    assert_eq!(ch.deliver_next(ms(0), &mut rng).unwrap(), None);
}

// SEMANTICS 2.2: REQ 0 goes to the tail of the queue.
#[test]
fn req_zero_goes_to_tail() {
    let mut rng = SimRng::new(1);
    let mut ch = Channel::new("t", "ch", &NsqdOptions::default(), SimTime::ZERO);
    ch.add_client(1, None).unwrap();
    ch.ready(1, 1).unwrap();
    for id in 0..3 {
        ch.put(msg(id)).unwrap();
    }
    ch.deliver(1, ms(0), &mut rng).unwrap().unwrap();
    ch.requeue(1, 0, SimDuration::ZERO, ms(1)).unwrap();
    assert_eq!(queued_ids(&ch), [1, 2, 0]);
    assert_eq!(ch.client(1).unwrap().requeue_count, 1);
}

// SEMANTICS 2.3 (nsq #137): a disconnected consumer's in-flight messages are
// not requeued at once; each times out at its deadline.
#[test]
fn disconnect_waits_for_deadlines() {
    let mut rng = SimRng::new(1);
    let mut ch = Channel::new("t", "ch", &NsqdOptions::default(), SimTime::ZERO);
    ch.add_client(1, None).unwrap();
    ch.ready(1, 5).unwrap();
    ch.put(msg(1)).unwrap();
    ch.deliver(1, ms(0), &mut rng).unwrap().unwrap();
    assert!(!ch.remove_client(1));
    assert_eq!((ch.stats().in_flight_count, ch.depth()), (1, 0));
    ch.add_client(2, None).unwrap();
    assert_eq!(ch.finish(2, 1, ms(1)).unwrap_err().code(), "E_FIN_FAILED");
    let mut out = Vec::new();
    ch.process_in_flight(ms(60_000), &mut out);
    assert_eq!(
        out,
        [Returned {
            message: Message {
                attempts: 1,
                ..msg(1)
            },
            client: Some(1),
            stored: Stored::Memory
        }]
    );
    assert_eq!(ch.stats().timeout_count, 1);
}

// SEMANTICS 2.1: ephemeral overflow is dropped; the channel goes with its
// last consumer (channel.go RemoveClient, topic.go DeleteExistingChannel).
#[test]
fn ephemeral_channel() {
    let mut rng = SimRng::new(1);
    let opts = NsqdOptions {
        mem_queue_size: 2,
        ..NsqdOptions::default()
    };
    let mut n = Nsqd::new(opts);
    n.subscribe("t#ephemeral", "c#ephemeral", 1, None, ms(0), &mut rng)
        .unwrap();
    let t = n.topic_mut("t#ephemeral").unwrap();
    let mut dropped = 0;
    for v in 0..5 {
        dropped += t.publish(body(v), ms(1)).dropped.len();
    }
    assert_eq!(dropped, 3);
    let ch = t.channel("c#ephemeral").unwrap();
    assert_eq!((ch.depth(), ch.stats().message_count), (2, 5));
    let gone = n.unsubscribe("t#ephemeral", "c#ephemeral", 1).unwrap();
    assert_eq!(gone.emptied.total(), 2);
    assert!(
        n.topic("t#ephemeral").is_none(),
        "an ephemeral topic goes with its last channel"
    );
}

// go-diskqueue + topic.go put: with mem-queue-size 0 a DPUB waiting in a
// topic without channels spills to disk and loses its delay (issue #1375).
#[test]
fn dpub_spilled_to_disk_loses_delay() {
    let mut rng = SimRng::new(1);
    let opts = NsqdOptions {
        mem_queue_size: 0,
        ..NsqdOptions::default()
    };
    let mut topic = Topic::new("t", &opts).unwrap();
    let r = topic.deferred_publish(body(1), 5000, ms(0)).unwrap();
    assert_eq!(r.held[0].1, Stored::Disk);
    topic.get_channel("ch", ms(1), &mut rng).unwrap();
    let s = topic.channel("ch").unwrap().stats();
    assert_eq!((s.deferred_count, s.depth, s.backend_depth), (0, 1, 1));
    // with a channel, a DPUB goes straight to the channel's deferred set
    topic.deferred_publish(body(2), 5000, ms(2)).unwrap();
    assert_eq!(topic.channel("ch").unwrap().stats().deferred_count, 1);
}

// SEMANTICS 2.7: an unclean crash loses memory, in flight, deferred and
// unsynced disk writes; a clean stop writes all of it to disk (deferred
// lose their delay).
#[test]
fn crash_and_clean_stop() {
    let opts = NsqdOptions {
        mem_queue_size: 1,
        sync_every: 2,
        ..NsqdOptions::default()
    };
    let setup = || {
        let mut rng = SimRng::new(1);
        let mut ch = Channel::new("t", "ch", &opts, SimTime::ZERO);
        ch.add_client(1, None).unwrap();
        ch.ready(1, 1).unwrap();
        ch.put(msg(1)).unwrap(); // memory
        ch.deliver(1, ms(0), &mut rng).unwrap().unwrap(); // 1 in flight
        ch.put(msg(2)).unwrap(); // memory
        ch.put(msg(3)).unwrap(); // disk, unsynced
        ch.put(msg(4)).unwrap(); // disk, 2nd op: synced
        ch.put(msg(5)).unwrap(); // disk, unsynced
        ch.put_deferred(msg(6), dur(500), ms(0)).unwrap();
        ch
    };
    let mut crashed = setup();
    let s = crashed.crash();
    assert_eq!(s.closed_clients, [1]);
    let lost = |v: &Vec<Message>| v.iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(lost(&s.lost.memory), [2]);
    assert_eq!(lost(&s.lost.disk), [5]);
    assert_eq!(
        s.lost
            .in_flight
            .iter()
            .map(|f| f.message.id)
            .collect::<Vec<_>>(),
        [1]
    );
    assert_eq!(lost(&s.lost.deferred), [6]);
    assert_eq!(queued_ids(&crashed), [3, 4]);

    let mut stopped = setup();
    let s = stopped.stop_clean();
    assert_eq!(s.lost.total(), 0);
    assert_eq!(queued_ids(&stopped), [3, 4, 5, 2, 1, 6]);
    assert_eq!(stopped.stats().backend_depth, 6);
    assert_eq!(stopped.next_deadline(), None);
    assert!(stopped.backend().iter().all(|(m, _)| m.deferred.is_zero()));
    // the in-flight copy keeps its attempts
    assert_eq!(
        stopped
            .backend()
            .iter()
            .find(|(m, _)| m.id == 1)
            .unwrap()
            .0
            .attempts,
        1
    );
}

// SEMANTICS 2.1: a paused channel delivers nothing new, but its in-flight
// messages can still be finished, requeued or time out (back into it).
#[test]
fn paused_channel_in_flight_still_moves() {
    let mut rng = SimRng::new(1);
    let mut ch = Channel::new("t", "ch", &NsqdOptions::default(), SimTime::ZERO);
    ch.add_client(1, None).unwrap();
    ch.ready(1, 5).unwrap();
    for id in 0..4 {
        ch.put(msg(id)).unwrap();
    }
    for _ in 0..3 {
        ch.deliver(1, ms(0), &mut rng).unwrap().unwrap();
    }
    ch.pause();
    assert_eq!(ch.deliver(1, ms(1), &mut rng).unwrap(), None);
    ch.finish(1, 0, ms(1)).unwrap();
    ch.requeue(1, 1, SimDuration::ZERO, ms(1)).unwrap();
    let mut out = Vec::new();
    ch.process_in_flight(ms(60_000), &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(queued_ids(&ch), [3, 1, 2]);
    assert_eq!(ch.deliver(1, ms(60_001), &mut rng).unwrap(), None);
}

// SEMANTICS 2.1: delete closes the consumers and drops everything; a
// consumer that reconnects re-creates the channel empty (nsq #313).
#[test]
fn delete_channel_then_resubscribe() {
    let mut rng = SimRng::new(1);
    let mut n = Nsqd::new(NsqdOptions::default());
    n.subscribe("t", "ch", 1, None, ms(0), &mut rng).unwrap();
    n.publish("t", body(1), ms(1)).unwrap();
    n.publish("t", body(2), ms(1)).unwrap();
    let ch = n.topic_mut("t").unwrap().channel_mut("ch").unwrap();
    ch.ready(1, 1).unwrap();
    ch.deliver(1, ms(2), &mut rng).unwrap().unwrap();
    let d = n.delete_channel("t", "ch").unwrap();
    assert_eq!(d.closed_clients, [1]);
    assert_eq!(
        (
            d.emptied.in_flight.len(),
            d.emptied.memory.len(),
            d.delete_topic
        ),
        (1, 1, false)
    );
    n.subscribe("t", "ch", 1, None, ms(3), &mut rng).unwrap();
    let s = n.topic("t").unwrap().channel("ch").unwrap().stats();
    assert_eq!(
        (s.depth, s.in_flight_count, s.message_count, s.client_count),
        (0, 0, 0, 1)
    );
}

// protocol_v2.go DPUB: the name is checked, then the delay, before the topic
// is created: a refused DPUB creates nothing.
#[test]
fn refused_dpub_creates_nothing() {
    let mut n = Nsqd::new(NsqdOptions::default());
    assert_eq!(
        n.deferred_publish("t", body(1), 3_600_001, ms(0))
            .unwrap_err()
            .code(),
        "E_INVALID"
    );
    assert_eq!(
        n.deferred_publish("t t", body(1), 10, ms(0))
            .unwrap_err()
            .code(),
        "E_BAD_TOPIC"
    );
    assert!(n.topic("t").is_none());
    assert!(n.deferred_publish("t", body(1), 10, ms(0)).is_ok());
    assert_eq!(n.topic("t").unwrap().depth(), 1);
}

// SEMANTICS 2.1 / channel.go NewChannel: mem-queue-size 0 sends every
// message through the disk queue.
#[test]
fn mem_queue_size_zero_channel_uses_disk() {
    let mut rng = SimRng::new(1);
    let opts = NsqdOptions {
        mem_queue_size: 0,
        ..NsqdOptions::default()
    };
    let mut ch = Channel::new("t", "ch", &opts, SimTime::ZERO);
    assert_eq!(ch.put(msg(1)).unwrap(), Stored::Disk);
    ch.add_client(1, None).unwrap();
    ch.ready(1, 1).unwrap();
    assert_eq!(
        ch.deliver(1, ms(0), &mut rng).unwrap().unwrap().from,
        Source::Disk
    );
    // an ephemeral channel with mem-queue-size 0 has no buffer: a message is
    // kept only if a ready consumer's pump is waiting for it
    let mut eph = Channel::new("t", "ch#ephemeral", &opts, SimTime::ZERO);
    assert_eq!(eph.put(msg(1)).unwrap(), Stored::Dropped);
    eph.add_client(1, None).unwrap();
    eph.ready(1, 1).unwrap();
    assert_eq!(eph.put(msg(2)).unwrap(), Stored::Memory);
    assert_eq!(eph.put(msg(3)).unwrap(), Stored::Dropped);
}

// go-diskqueue diskqueue.go `retrieveMetaData` (nsq.md: "A stale read
// position can also cause duplicates"): a restart after an unclean crash
// reads from the read position of the last sync, so what was read since
// then is queued again, whatever became of it: finished (delivered again),
// in flight, requeued (its new write was not synced either). Not lost.
#[test]
fn crash_rewinds_the_disk_reads_since_the_last_sync() {
    let opts = NsqdOptions {
        mem_queue_size: 0,
        sync_every: 100,
        ..NsqdOptions::default()
    };
    let mut rng = SimRng::new(1);
    let mut ch = Channel::new("t", "ch", &opts, SimTime::ZERO);
    ch.add_client(1, None).unwrap();
    ch.ready(1, 3).unwrap();
    for id in 1..=4 {
        ch.put(msg(id)).unwrap(); // disk
    }
    ch.sync_disk();
    for _ in 0..3 {
        ch.deliver(1, ms(1), &mut rng).unwrap().unwrap();
    }
    ch.finish(1, 1, ms(2)).unwrap();
    ch.requeue(1, 3, SimDuration::ZERO, ms(2)).unwrap(); // disk again, unsynced
    let s = ch.crash();
    assert_eq!(s.rewound, [1, 2, 3]);
    assert_eq!(s.lost.total(), 0, "{:?}", s.lost);
    assert_eq!(queued_ids(&ch), [1, 2, 3, 4], "read again in file order");
    assert!(ch.backend().iter().all(|(m, _)| m.attempts == 0), "as written to disk");

    // After a sync the reads are for good: a crash loses the in-flight one.
    let mut ch = Channel::new("t", "ch", &opts, SimTime::ZERO);
    ch.add_client(1, None).unwrap();
    ch.ready(1, 1).unwrap();
    ch.put(msg(1)).unwrap();
    ch.sync_disk();
    ch.deliver(1, ms(1), &mut rng).unwrap().unwrap();
    ch.sync_disk();
    let s = ch.crash();
    assert!(s.rewound.is_empty());
    assert_eq!(s.lost.in_flight.len(), 1);
}

// The same at topic level (go-diskqueue under `topic.backend`): a paused
// topic's synced backlog is copied to its channel at the unpause; the
// copies are unsynced channel writes, lost in a crash, but the topic's
// disk queue reads the backlog again and copies it again (nsqd's topic
// messagePump after the restart). A copy the channel still holds is not
// doubled.
#[test]
fn crash_rewinds_a_topic_s_disk_reads_and_copies_them_again() {
    let opts = NsqdOptions {
        mem_queue_size: 0,
        sync_every: 100,
        ..NsqdOptions::default()
    };
    let mut rng = SimRng::new(1);
    let mut topic = Topic::new("t", &opts).unwrap();
    topic.get_channel("ch", ms(0), &mut rng).unwrap();
    topic.pause();
    for v in 1..=3 {
        topic.publish(body(v), ms(1));
    }
    assert_eq!(topic.depth(), 3);
    topic.sync_disk();
    let report = topic.unpause(ms(2), &mut rng);
    assert_eq!(report.fanned_out.len(), 3);
    let mut synced = topic.clone();
    assert_eq!(topic.channel("ch").unwrap().backend().unsynced_writes(), 3);
    let s = topic.crash();
    let (_, chs) = &s.channels[0];
    assert_eq!(chs.lost.disk.len(), 3, "the channel's unsynced copies are lost");
    let again: Vec<MessageId> = s.recopied.iter().map(|(c, m)| { assert_eq!(c, "ch"); m.id }).collect();
    assert_eq!(again.len(), 3, "and copied again from the topic's disk");
    assert_eq!(queued_ids(topic.channel("ch").unwrap()), again);
    assert_eq!(topic.depth(), 0);

    // The channel synced its copies (the topic did not): it keeps them,
    // and gets no second copy of any.
    synced.channel_mut("ch").unwrap().sync_disk();
    let s = synced.crash();
    assert!(s.recopied.is_empty() && s.channels[0].1.lost.total() == 0, "{s:?}");
    assert_eq!(queued_ids(synced.channel("ch").unwrap()), again);
}

// SEMANTICS 2.7 at node level: the sync tick protects disk writes from a
// crash; ephemeral topics and channels do not survive a stop or a crash.
#[test]
fn node_crash_stop_and_sync() {
    let mut rng = SimRng::new(1);
    let opts = NsqdOptions {
        mem_queue_size: 1,
        ..NsqdOptions::default()
    };
    let mut n = Nsqd::new(opts);
    n.subscribe("t", "ch", 1, None, ms(0), &mut rng).unwrap();
    n.subscribe("t", "tmp#ephemeral", 2, None, ms(0), &mut rng)
        .unwrap();
    n.subscribe("e#ephemeral", "ch", 3, None, ms(0), &mut rng)
        .unwrap();
    for v in 0..3 {
        n.publish("t", body(v), ms(1)).unwrap();
    }
    n.sync_tick();
    let mut unsynced = n.clone();
    unsynced.publish("t", body(9), ms(2)).unwrap();
    let report = unsynced.crash();
    let t = &report.iter().find(|(name, _)| name == "t").unwrap().1;
    let ch = &t.channels.iter().find(|(name, _)| name == "ch").unwrap().1;
    assert_eq!((ch.lost.memory.len(), ch.lost.disk.len()), (1, 1));
    let mut crashed = n.clone();
    crashed.crash();
    assert!(crashed.topic("e#ephemeral").is_none());
    let t = crashed.topic("t").unwrap();
    assert!(t.channel("tmp#ephemeral").is_none());
    assert_eq!(t.channel("ch").unwrap().depth(), 2, "synced disk survives");
    let mut stopped = n.clone();
    let report = stopped.stop_clean();
    let t = &report.iter().find(|(name, _)| name == "t").unwrap().1;
    let eph = &t
        .channels
        .iter()
        .find(|(name, _)| name == "tmp#ephemeral")
        .unwrap()
        .1;
    assert_eq!(
        eph.lost.memory.len(),
        1,
        "an ephemeral channel has no disk to flush to"
    );
    assert_eq!(
        stopped
            .topic("t")
            .unwrap()
            .channel("ch")
            .unwrap()
            .stats()
            .backend_depth,
        3
    );
}

// ---- property test: one channel against a naive oracle ---------------------

// The oracle is a naive reference channel: plain `Vec`s searched linearly,
// written from SEMANTICS.md §2 and channel.go without looking at the model's
// data structures. After every operation the model must agree with it on
// every queue (contents and order), every counter, every client, and on
// what each call returned; every copy must be in exactly one place (memory,
// disk, in flight, deferred, finished or lost); a refused FIN/REQ/TOUCH (or
// RDY, or SUB) must leave the channel exactly as it was.
mod oracle {
    use super::*;
    use proptest::test_runner::TestCaseError;

    #[derive(Clone, Debug)]
    pub enum Op {
        Put,
        PutDeferred(u64),
        Add(ClientId, Option<u64>),
        Remove(ClientId),
        Rdy(ClientId, i64),
        Deliver(ClientId),
        DeliverNext,
        /// Selector: see `Oracle::pick`.
        Fin(u64),
        Req(u64, u64),
        Touch(u64),
        Advance(u64),
        Pause,
        Unpause,
        Empty,
        Crash,
        Stop,
    }

    pub fn op() -> impl Strategy<Value = Op> {
        let c = 0u64..2;
        prop_oneof![
            16 => Just(Op::Put),
            4 => (0u64..10_000).prop_map(Op::PutDeferred),
            8 => (c.clone(), prop_oneof![6 => Just(None), 1 => Just(Some(500)), 1 => Just(Some(4001)), 3 => (1000u64..=4000).prop_map(Some)])
                .prop_map(|(c, t)| Op::Add(c, t)),
            2 => c.clone().prop_map(Op::Remove),
            10 => (c.clone(), prop_oneof![8 => 1i64..5, 1 => Just(0i64), 1 => Just(-1i64), 1 => Just(5i64)])
                .prop_map(|(c, n)| Op::Rdy(c, n)),
            20 => c.clone().prop_map(Op::Deliver),
            8 => Just(Op::DeliverNext),
            10 => any::<u64>().prop_map(Op::Fin),
            8 => (any::<u64>(), prop_oneof![Just(0u64), 1u64..12_000]).prop_map(|(p, d)| Op::Req(p, d)),
            6 => any::<u64>().prop_map(Op::Touch),
            10 => (0u64..6000).prop_map(Op::Advance),
            1 => Just(Op::Pause),
            3 => Just(Op::Unpause),
            1 => Just(Op::Empty),
            1 => Just(Op::Crash),
            1 => Just(Op::Stop),
        ]
    }

    pub fn options(mem: u64) -> NsqdOptions {
        NsqdOptions {
            mem_queue_size: mem,
            msg_timeout: dur(3000),
            max_msg_timeout: dur(4000),
            max_req_timeout: dur(5000),
            max_rdy_count: 4,
            max_channel_consumers: 0,
            sync_every: 3,
            sync_timeout: dur(2000),
            e2e_window: dur(600_000),
        }
    }

    #[derive(Clone, Debug, PartialEq, Eq)]
    struct Client {
        id: ClientId,
        rdy: u64,
        in_flight: u64,
        messages: u64,
        finished: u64,
        requeued: u64,
        timeout: SimDuration,
    }

    #[derive(Clone, Copy, Debug)]
    struct Flight {
        msg: Message,
        client: ClientId,
        delivered_at: SimTime,
        deadline: SimTime,
    }

    #[derive(Debug, Default)]
    struct Oracle {
        now: SimTime,
        cap: u64,
        ephemeral: bool,
        paused: bool,
        opts: NsqdOptions,
        mem: Vec<Message>,
        disk: Vec<(Message, bool)>, // (message, synced)
        flights: Vec<Flight>,       // insertion order
        deferred: Vec<(SimTime, Message)>,
        finished: Vec<MessageId>,
        lost: Vec<MessageId>,
        clients: Vec<Client>, // sorted by id
        message_count: u64,
        requeue_count: u64,
        timeout_count: u64,
        disk_ops: u64,
        /// Read from disk since the last sync, written before it.
        reread: Vec<Message>,
        next_id: MessageId,
        last_served: Option<ClientId>,
    }

    impl Oracle {
        fn client(&mut self, c: ClientId) -> Option<&mut Client> {
            self.clients.iter_mut().find(|x| x.id == c)
        }
        fn ready(&self, c: ClientId) -> bool {
            !self.paused
                && self
                    .clients
                    .iter()
                    .any(|x| x.id == c && x.rdy > 0 && x.in_flight < x.rdy)
        }
        fn disk_op(&mut self) {
            self.disk_ops += 1;
            if self.disk_ops >= self.opts.sync_every {
                self.disk_ops = 0;
                self.disk.iter_mut().for_each(|d| d.1 = true);
                self.reread.clear();
            }
        }
        fn write_disk(&mut self, m: Message) -> bool {
            if self.ephemeral {
                self.lost.push(m.id);
                return false;
            }
            self.disk.push((
                Message {
                    deferred: SimDuration::ZERO,
                    ..m
                },
                false,
            ));
            self.disk_op();
            true
        }
        fn enqueue(&mut self, m: Message) -> Stored {
            let waiting = self.clients.iter().filter(|c| self.ready(c.id)).count() as u64;
            if (self.ephemeral && self.cap == 0 && (self.mem.len() as u64) < waiting)
                || (self.mem.len() as u64) < self.cap
            {
                self.mem.push(m);
                Stored::Memory
            } else if self.write_disk(m) {
                Stored::Disk
            } else {
                Stored::Dropped
            }
        }
        fn sorted_flights(&self) -> Vec<Flight> {
            let mut v = self.flights.clone();
            v.sort_by_key(|f| f.deadline); // stable: insertion order breaks ties
            v
        }
        fn sorted_deferred(&self) -> Vec<(SimTime, Message)> {
            let mut v = self.deferred.clone();
            v.sort_by_key(|d| d.0);
            v
        }
        /// FIN/REQ/TOUCH ownership: Ok(index into flights) or why not.
        fn owned(&self, c: ClientId, id: MessageId) -> Result<usize, NotInFlight> {
            match self.flights.iter().position(|f| f.msg.id == id) {
                None => Err(NotInFlight::NotInFlight),
                Some(i) if self.flights[i].client != c => Err(NotInFlight::NotOwner),
                Some(i) => Ok(i),
            }
        }
        /// Who acts on which id: mostly the owner of an in-flight message;
        /// else a random client (0..3) and a random id (maybe never used).
        fn pick(&self, p: u64) -> (ClientId, MessageId) {
            let (sel, rest) = (p % 8, p / 8);
            let other = rest % 3;
            if sel < 6 && !self.flights.is_empty() {
                let f = self.flights[(rest % self.flights.len() as u64) as usize];
                (if sel < 5 { f.client } else { other }, f.msg.id)
            } else {
                (other, rest / 3 % (self.next_id + 1))
            }
        }
        fn close_clients(&mut self) -> Vec<ClientId> {
            self.last_served = None;
            std::mem::take(&mut self.clients)
                .into_iter()
                .map(|c| c.id)
                .collect()
        }
    }

    fn snapshot(ch: &Channel) -> String {
        format!(
            "{:?} {:?} {:?} {:?} {:?}",
            ch.stats(),
            ch.clients().collect::<Vec<_>>(),
            ch.in_flight().collect::<Vec<_>>(),
            ch.deferred().collect::<Vec<_>>(),
            ch.backend().iter().collect::<Vec<_>>()
        )
    }

    fn ids(v: &[Message]) -> Vec<MessageId> {
        v.iter().map(|m| m.id).collect()
    }

    fn check(ch: &Channel, o: &Oracle) -> Result<(), TestCaseError> {
        let queued: Vec<(MessageId, u16, Source)> = ch
            .backend()
            .iter()
            .map(|(m, s)| (m.id, m.attempts, s))
            .collect();
        let want: Vec<(MessageId, u16, Source)> = o
            .mem
            .iter()
            .map(|m| (m.id, m.attempts, Source::Memory))
            .chain(o.disk.iter().map(|(m, _)| (m.id, m.attempts, Source::Disk)))
            .collect();
        prop_assert_eq!(queued, want, "queues");
        let fl: Vec<_> = ch
            .in_flight()
            .map(|f| {
                (
                    f.message.id,
                    f.message.attempts,
                    f.client,
                    f.delivered_at,
                    f.deadline,
                )
            })
            .collect();
        let want: Vec<_> = o
            .sorted_flights()
            .iter()
            .map(|f| {
                (
                    f.msg.id,
                    f.msg.attempts,
                    f.client,
                    f.delivered_at,
                    f.deadline,
                )
            })
            .collect();
        prop_assert_eq!(fl, want, "in flight");
        let de: Vec<_> = ch.deferred().map(|(t, m)| (t, m.id, m.attempts)).collect();
        let want: Vec<_> = o
            .sorted_deferred()
            .iter()
            .map(|(t, m)| (*t, m.id, m.attempts))
            .collect();
        prop_assert_eq!(de, want, "deferred");
        let s = ch.stats();
        let disk = o.disk.len() as u64;
        let mem = o.mem.len() as u64;
        prop_assert_eq!(
            (
                s.depth,
                s.memory_depth,
                s.backend_depth,
                s.in_flight_count,
                s.deferred_count
            ),
            (
                mem + disk,
                mem,
                disk,
                o.flights.len() as u64,
                o.deferred.len() as u64
            )
        );
        prop_assert_eq!(
            (
                s.message_count,
                s.requeue_count,
                s.timeout_count,
                s.client_count,
                s.paused
            ),
            (
                o.message_count,
                o.requeue_count,
                o.timeout_count,
                o.clients.len() as u64,
                o.paused
            )
        );
        let cl: Vec<Client> = ch
            .clients()
            .map(|(id, c)| Client {
                id,
                rdy: c.ready_count,
                in_flight: c.in_flight_count,
                messages: c.message_count,
                finished: c.finish_count,
                requeued: c.requeue_count,
                timeout: c.msg_timeout,
            })
            .collect();
        prop_assert_eq!(&cl, &o.clients);
        let unsynced = o.disk.iter().filter(|d| !d.1).count() as u64;
        prop_assert_eq!(ch.backend().unsynced_writes(), unsynced);
        let next = o
            .flights
            .iter()
            .map(|f| f.deadline)
            .chain(o.deferred.iter().map(|d| d.0))
            .min();
        prop_assert_eq!(ch.next_deadline(), next);
        // conservation: every copy ever put is in exactly one place
        let mut places: Vec<MessageId> = ids(&o.mem);
        places.extend(o.disk.iter().map(|d| d.0.id));
        places.extend(o.flights.iter().map(|f| f.msg.id));
        places.extend(o.deferred.iter().map(|d| d.1.id));
        places.extend(&o.finished);
        places.extend(&o.lost);
        places.sort_unstable();
        prop_assert_eq!(places, (0..o.next_id).collect::<Vec<_>>(), "conservation");
        Ok(())
    }

    pub fn run(cap: u64, ephemeral: bool, seed: u64, ops: &[Op]) -> Result<(), TestCaseError> {
        let opts = options(cap);
        let name = if ephemeral { "ch#ephemeral" } else { "ch" };
        let mut ch = Channel::new("t", name, &opts, SimTime::ZERO);
        let mut rng = SimRng::new(seed);
        let mut o = Oracle {
            cap,
            ephemeral,
            opts: opts.clone(),
            ..Oracle::default()
        };
        // two subscribed clients to start with, so most runs deliver
        let prelude = [
            Op::Add(0, None),
            Op::Add(1, Some(2000)),
            Op::Rdy(0, 2),
            Op::Rdy(1, 3),
        ];
        for op in prelude.iter().chain(ops) {
            let before = snapshot(&ch);
            let now = o.now;
            let mut refused = false;
            match *op {
                Op::Put => {
                    let m = Message::new(o.next_id, body(o.next_id), now);
                    o.next_id += 1;
                    o.message_count += 1;
                    let got = ch.put(m).unwrap();
                    prop_assert_eq!(got, o.enqueue(m));
                }
                Op::PutDeferred(d) => {
                    let m = Message::new(o.next_id, body(o.next_id), now);
                    o.next_id += 1;
                    o.message_count += 1;
                    prop_assert_eq!(ch.put_deferred(m, dur(d), now), Ok(now + dur(d)));
                    o.deferred.push((now + dur(d), m));
                }
                Op::Add(c, t) => {
                    let got = ch.add_client(c, t.map(dur));
                    let t = t.map(dur);
                    if t.is_some_and(|t| t < dur(1000) || t > opts.max_msg_timeout) {
                        prop_assert_eq!(got.unwrap_err().code(), "E_BAD_BODY");
                        refused = true;
                    } else {
                        prop_assert!(got.is_ok());
                        if o.client(c).is_none() {
                            let timeout = t.unwrap_or(opts.msg_timeout);
                            o.clients.push(Client {
                                id: c,
                                rdy: 0,
                                in_flight: 0,
                                messages: 0,
                                finished: 0,
                                requeued: 0,
                                timeout,
                            });
                            o.clients.sort_by_key(|x| x.id);
                        }
                    }
                }
                Op::Remove(c) => {
                    let had = o.client(c).is_some();
                    o.clients.retain(|x| x.id != c);
                    let want = had && ephemeral && o.clients.is_empty();
                    prop_assert_eq!(ch.remove_client(c), want);
                }
                Op::Rdy(c, n) => {
                    let got = ch.ready(c, n);
                    match o.client(c) {
                        None => {
                            prop_assert_eq!(got.unwrap_err().code(), "E_INVALID");
                            refused = true;
                        }
                        Some(_) if !(0..=4).contains(&n) => {
                            prop_assert_eq!(got, Err(NsqError::RdyOutOfRange { count: n, max: 4 }));
                            refused = true;
                        }
                        Some(x) => {
                            prop_assert!(got.is_ok());
                            x.rdy = n as u64;
                        }
                    }
                }
                Op::Deliver(_) | Op::DeliverNext => {
                    let target = match *op {
                        Op::Deliver(c) => Some(c),
                        _ if o.mem.is_empty() && o.disk.is_empty() => None,
                        _ => {
                            let ready: Vec<ClientId> = o
                                .clients
                                .iter()
                                .map(|c| c.id)
                                .filter(|&c| o.ready(c))
                                .collect();
                            let after = o
                                .last_served
                                .and_then(|l| ready.iter().copied().find(|&c| c > l));
                            after.or(ready.first().copied())
                        }
                    };
                    let got = match *op {
                        Op::Deliver(c) => ch.deliver(c, now, &mut rng).unwrap(),
                        _ => ch.deliver_next(now, &mut rng).unwrap(),
                    };
                    let can = target.is_some_and(|c| o.ready(c))
                        && !(o.mem.is_empty() && o.disk.is_empty());
                    if !can {
                        prop_assert_eq!(got, None);
                    } else {
                        let c = target.unwrap_or_default();
                        let d = got.unwrap_or_else(|| panic!("no delivery to ready client {c}"));
                        prop_assert_eq!(d.client, c);
                        let mut m = match d.from {
                            Source::Memory => {
                                prop_assert!(!o.mem.is_empty(), "memory was empty");
                                o.mem.remove(0)
                            }
                            Source::Disk => {
                                prop_assert!(!o.disk.is_empty(), "disk was empty");
                                let (m, synced) = o.disk.remove(0);
                                if synced {
                                    o.reread.push(m);
                                }
                                o.disk_op();
                                m
                            }
                        };
                        m.attempts = m.attempts.wrapping_add(1);
                        prop_assert_eq!(d.message, m);
                        let x = o.client(c).unwrap();
                        x.in_flight += 1;
                        x.messages += 1;
                        let deadline = now + x.timeout;
                        prop_assert_eq!(d.deadline, deadline);
                        o.flights.push(Flight {
                            msg: m,
                            client: c,
                            delivered_at: now,
                            deadline,
                        });
                        o.last_served = Some(c);
                    }
                }
                Op::Fin(p) => {
                    let (c, id) = o.pick(p);
                    let got = ch.finish(c, id, now);
                    if o.client(c).is_none() {
                        prop_assert_eq!(got.unwrap_err().code(), "E_INVALID");
                        refused = true;
                    } else {
                        match o.owned(c, id) {
                            Err(why) => {
                                prop_assert_eq!(got, Err(NsqError::FinFailed { id, why }));
                                refused = true;
                            }
                            Ok(i) => {
                                let f = o.flights.remove(i);
                                prop_assert_eq!(got, Ok(now - f.msg.timestamp));
                                o.finished.push(id);
                                let x = o.client(c).unwrap();
                                x.finished += 1;
                                x.in_flight = x.in_flight.saturating_sub(1);
                            }
                        }
                    }
                }
                Op::Req(p, d) => {
                    let (c, id) = o.pick(p);
                    let delay = dur(d).min(opts.max_req_timeout);
                    let got = ch.requeue(c, id, dur(d), now);
                    if o.client(c).is_none() {
                        prop_assert_eq!(got.unwrap_err().code(), "E_INVALID");
                        refused = true;
                    } else {
                        match o.owned(c, id) {
                            Err(why) => {
                                prop_assert_eq!(got, Err(NsqError::ReqFailed { id, why }));
                                refused = true;
                            }
                            Ok(i) => {
                                let f = o.flights.remove(i);
                                o.requeue_count += 1;
                                let x = o.client(c).unwrap();
                                x.requeued += 1;
                                x.in_flight = x.in_flight.saturating_sub(1);
                                if delay.is_zero() {
                                    let stored = o.enqueue(f.msg);
                                    prop_assert_eq!(got, Ok(Requeued::Queued(stored)));
                                } else {
                                    o.deferred.push((now + delay, f.msg));
                                    prop_assert_eq!(
                                        got,
                                        Ok(Requeued::Deferred { due: now + delay })
                                    );
                                }
                            }
                        }
                    }
                }
                Op::Touch(p) => {
                    let (c, id) = o.pick(p);
                    let got = ch.touch(c, id, now);
                    match o.client(c).map(|x| x.timeout) {
                        None => {
                            prop_assert_eq!(got.unwrap_err().code(), "E_INVALID");
                            refused = true;
                        }
                        Some(timeout) => match o.owned(c, id) {
                            Err(why) => {
                                prop_assert_eq!(got, Err(NsqError::TouchFailed { id, why }));
                                refused = true;
                            }
                            Ok(i) => {
                                let mut f = o.flights.remove(i);
                                let mut deadline = now + timeout;
                                if deadline - f.delivered_at >= opts.max_msg_timeout {
                                    deadline = f.delivered_at + opts.max_msg_timeout;
                                }
                                f.deadline = deadline;
                                o.flights.push(f);
                                prop_assert_eq!(got, Ok(deadline));
                            }
                        },
                    }
                }
                Op::Advance(dt) => {
                    o.now = now + dur(dt);
                    let now = o.now;
                    let (mut timed_out, mut due) = (Vec::new(), Vec::new());
                    ch.process_in_flight(now, &mut timed_out);
                    ch.process_deferred(now, &mut due);
                    let mut want = Vec::new();
                    for f in o.sorted_flights().into_iter().filter(|f| f.deadline <= now) {
                        o.flights.retain(|g| g.msg.id != f.msg.id);
                        o.timeout_count += 1;
                        if let Some(x) = o.client(f.client) {
                            x.in_flight = x.in_flight.saturating_sub(1);
                        }
                        let stored = o.enqueue(f.msg);
                        want.push(Returned {
                            message: f.msg,
                            client: Some(f.client),
                            stored,
                        });
                    }
                    prop_assert_eq!(timed_out, want);
                    let mut want = Vec::new();
                    for (t, m) in o.sorted_deferred().into_iter().filter(|d| d.0 <= now) {
                        o.deferred.retain(|d| !(d.0 == t && d.1.id == m.id));
                        let stored = o.enqueue(m);
                        want.push(Returned {
                            message: m,
                            client: None,
                            stored,
                        });
                    }
                    prop_assert_eq!(due, want);
                }
                Op::Pause => {
                    ch.pause();
                    o.paused = true;
                }
                Op::Unpause => {
                    ch.unpause();
                    o.paused = false;
                }
                Op::Empty => {
                    let e = ch.empty();
                    prop_assert_eq!(ids(&e.memory), ids(&o.mem));
                    let disk: Vec<_> = o.disk.iter().map(|d| d.0.id).collect();
                    prop_assert_eq!(ids(&e.disk), disk);
                    let fl: Vec<_> = o.sorted_flights().iter().map(|f| f.msg.id).collect();
                    prop_assert_eq!(
                        e.in_flight.iter().map(|f| f.message.id).collect::<Vec<_>>(),
                        fl
                    );
                    let de: Vec<_> = o.sorted_deferred().iter().map(|d| d.1.id).collect();
                    prop_assert_eq!(ids(&e.deferred), de);
                    o.lost.extend(
                        e.memory
                            .iter()
                            .chain(&e.disk)
                            .chain(&e.deferred)
                            .map(|m| m.id),
                    );
                    o.lost.extend(e.in_flight.iter().map(|f| f.message.id));
                    o.mem.clear();
                    o.disk.clear();
                    o.flights.clear();
                    o.deferred.clear();
                    o.disk_ops = 0;
                    o.reread.clear();
                    o.clients.iter_mut().for_each(|x| x.in_flight = 0);
                }
                Op::Crash => {
                    let s = ch.crash();
                    prop_assert_eq!(s.closed_clients, o.close_clients());
                    // go-diskqueue: the read position of the last sync.
                    let rewound = std::mem::take(&mut o.reread);
                    let back: Vec<MessageId> = ids(&rewound);
                    prop_assert_eq!(&s.rewound, &back);
                    o.mem.retain(|m| !back.contains(&m.id));
                    o.disk.retain(|d| d.1 || !back.contains(&d.0.id));
                    o.flights.retain(|f| !back.contains(&f.msg.id));
                    o.deferred.retain(|d| !back.contains(&d.1.id));
                    o.finished.retain(|id| !back.contains(id));
                    prop_assert_eq!(ids(&s.lost.memory), ids(&o.mem));
                    let unsynced: Vec<_> = o.disk.iter().filter(|d| !d.1).map(|d| d.0.id).collect();
                    prop_assert_eq!(ids(&s.lost.disk), unsynced);
                    let fl: Vec<_> = o.sorted_flights().iter().map(|f| f.msg.id).collect();
                    prop_assert_eq!(
                        s.lost
                            .in_flight
                            .iter()
                            .map(|f| f.message.id)
                            .collect::<Vec<_>>(),
                        fl
                    );
                    let de: Vec<_> = o.sorted_deferred().iter().map(|d| d.1.id).collect();
                    prop_assert_eq!(ids(&s.lost.deferred), de);
                    o.lost.extend(ids(&o.mem));
                    o.lost
                        .extend(o.disk.iter().filter(|d| !d.1).map(|d| d.0.id));
                    o.lost.extend(o.flights.iter().map(|f| f.msg.id));
                    o.lost.extend(o.deferred.iter().map(|d| d.1.id));
                    o.mem.clear();
                    o.disk.retain(|d| d.1);
                    o.disk.splice(0..0, rewound.into_iter().map(|m| (m, true)));
                    o.flights.clear();
                    o.deferred.clear();
                    o.disk_ops = 0;
                }
                Op::Stop => {
                    let s = ch.stop_clean();
                    prop_assert_eq!(s.closed_clients, o.close_clients());
                    let lost_before = o.lost.len();
                    let mem = std::mem::take(&mut o.mem);
                    let flights = o.sorted_flights();
                    let deferred = o.sorted_deferred();
                    o.flights.clear();
                    o.deferred.clear();
                    for m in mem
                        .into_iter()
                        .chain(flights.iter().map(|f| f.msg))
                        .chain(deferred.iter().map(|d| d.1))
                    {
                        o.write_disk(m);
                    }
                    o.disk.iter_mut().for_each(|d| d.1 = true);
                    o.disk_ops = 0;
                    o.reread.clear();
                    prop_assert_eq!(s.lost.total(), o.lost.len() - lost_before);
                }
            }
            if refused {
                prop_assert_eq!(
                    &before,
                    &snapshot(&ch),
                    "a refused {:?} changed the channel",
                    op
                );
            }
            check(&ch, &o)?;
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn channel_matches_oracle(
        mem in 0u64..3,
        ephemeral in any::<bool>(),
        seed in any::<u64>(),
        ops in proptest::collection::vec(oracle::op(), 1..120),
    ) {
        oracle::run(mem, ephemeral, seed, &ops)?;
    }
}

// ---- property test: a topic's fan-out against a naive oracle ----------------

// The topic oracle: a topic (memory FIFO + disk FIFO) and its channels, no
// consumers. Checks that every published message is held by the topic,
// fanned out once, or emptied; that each pump's order is a merge of the
// topic's memory and disk FIFOs (random interleave, each side in order);
// that every channel gets one copy of each message fanned out while it
// exists (DPUB copies deferred, unless the delay was lost on the topic's
// disk); and that an ephemeral channel drops exactly its overflow.
mod topic_oracle {
    use super::*;
    use proptest::test_runner::TestCaseError;
    use std::collections::BTreeMap;

    fn ids(v: &[Message]) -> Vec<MessageId> {
        v.iter().map(|m| m.id).collect()
    }

    #[derive(Clone, Debug)]
    pub enum Op {
        Publish,
        Dpub(u64),
        Create(usize),
        Delete(usize),
        Pause,
        Unpause,
        Empty,
    }

    const NAMES: [&str; 3] = ["a", "b", "e#ephemeral"];

    pub fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            8 => Just(Op::Publish),
            3 => (0u64..5000).prop_map(Op::Dpub),
            3 => (0usize..3).prop_map(Op::Create),
            1 => (0usize..3).prop_map(Op::Delete),
            1 => Just(Op::Pause),
            2 => Just(Op::Unpause),
            1 => Just(Op::Empty),
        ]
    }

    #[derive(Debug, Default)]
    struct OChan {
        mem: Vec<MessageId>,
        disk: Vec<MessageId>,
        deferred: Vec<(SimTime, MessageId)>,
        dropped: u64,
        message_count: u64,
    }

    pub fn run(cap: u64, seed: u64, ops: &[Op]) -> Result<(), TestCaseError> {
        let opts = NsqdOptions {
            mem_queue_size: cap,
            ..NsqdOptions::default()
        };
        let mut topic = Topic::new("t", &opts).unwrap();
        let mut rng = SimRng::new(seed);
        let (mut mem, mut disk) = (
            Vec::<(MessageId, SimDuration)>::new(),
            Vec::<MessageId>::new(),
        );
        let mut chans: BTreeMap<&str, OChan> = BTreeMap::new();
        let (mut paused, mut published, mut fanned, mut emptied) =
            (false, 0u64, Vec::new(), Vec::new());
        for (step, op) in ops.iter().enumerate() {
            let now = ms(step as u64);
            let pumping =
                |paused: bool, chans: &BTreeMap<&str, OChan>| !paused && !chans.is_empty();
            // what the topic held before the op, for checking a pump's order
            let held: (Vec<_>, Vec<_>) = (
                mem.iter().map(|m: &(MessageId, SimDuration)| m.0).collect(),
                disk.clone(),
            );
            let report = match *op {
                Op::Publish | Op::Dpub(_) => {
                    let id = published;
                    published += 1;
                    let (r, delay) = match *op {
                        Op::Dpub(d) => (
                            topic.deferred_publish(body(id), d as i64, now).unwrap(),
                            dur(d),
                        ),
                        _ => (topic.publish(body(id), now), SimDuration::ZERO),
                    };
                    if !pumping(paused, &chans) {
                        if (mem.len() as u64) < cap {
                            mem.push((id, delay));
                        } else {
                            disk.push(id);
                        }
                    }
                    r
                }
                Op::Create(i) => {
                    let r = topic.get_channel(NAMES[i], now, &mut rng).unwrap().1;
                    chans.entry(NAMES[i]).or_default();
                    r
                }
                Op::Delete(i) => {
                    let got = topic.delete_channel(NAMES[i]);
                    match chans.remove(NAMES[i]) {
                        None => prop_assert!(got.is_err()),
                        Some(c) => {
                            let e = got.unwrap().emptied;
                            prop_assert_eq!(ids(&e.memory), c.mem);
                            prop_assert_eq!(ids(&e.disk), c.disk);
                            prop_assert_eq!(e.deferred.len(), c.deferred.len());
                        }
                    }
                    Default::default()
                }
                Op::Pause => {
                    topic.pause();
                    paused = true;
                    Default::default()
                }
                Op::Unpause => {
                    paused = false;
                    topic.unpause(now, &mut rng)
                }
                Op::Empty => {
                    let (m, d) = topic.empty();
                    prop_assert_eq!(ids(&m), held.0.clone());
                    prop_assert_eq!(ids(&d), held.1.clone());
                    emptied.extend(held.0.iter().chain(&held.1).copied());
                    mem.clear();
                    disk.clear();
                    Default::default()
                }
            };
            // the fan-out, in the order the topic reports it
            let drops_before: u64 = chans.values().map(|c| c.dropped).sum();
            let pumped_backlog = !matches!(op, Op::Publish | Op::Dpub(_));
            if pumped_backlog && !report.fanned_out.is_empty() {
                let from_mem: Vec<_> = report
                    .fanned_out
                    .iter()
                    .copied()
                    .filter(|i| held.0.contains(i))
                    .collect();
                let from_disk: Vec<_> = report
                    .fanned_out
                    .iter()
                    .copied()
                    .filter(|i| held.1.contains(i))
                    .collect();
                prop_assert_eq!(&from_mem, &held.0, "memory FIFO kept");
                prop_assert_eq!(&from_disk, &held.1, "disk FIFO kept");
                prop_assert_eq!(report.fanned_out.len(), held.0.len() + held.1.len());
            }
            for &id in &report.fanned_out {
                let delay = match *op {
                    Op::Dpub(d) => dur(d),
                    Op::Publish => SimDuration::ZERO,
                    _ => mem
                        .iter()
                        .find(|m| m.0 == id)
                        .map_or(SimDuration::ZERO, |m| m.1),
                };
                for (name, c) in chans.iter_mut() {
                    c.message_count += 1;
                    if !delay.is_zero() {
                        c.deferred.push((now + delay, id));
                    } else if (c.mem.len() as u64) < cap {
                        c.mem.push(id);
                    } else if name.ends_with("#ephemeral") {
                        c.dropped += 1;
                    } else {
                        c.disk.push(id);
                    }
                }
                fanned.push(id);
            }
            if pumped_backlog && !report.fanned_out.is_empty() {
                mem.clear();
                disk.clear();
            }
            let drops_after: u64 = chans.values().map(|c| c.dropped).sum();
            prop_assert_eq!(report.dropped.len() as u64, drops_after - drops_before);
            prop_assert!(report
                .dropped
                .iter()
                .all(|d| d.channel.as_deref() == Some(NAMES[2])));
            // the topic
            let s = topic.stats();
            prop_assert_eq!(
                (
                    s.memory_depth,
                    s.backend_depth,
                    s.message_count,
                    s.channel_count,
                    s.paused
                ),
                (
                    mem.len() as u64,
                    disk.len() as u64,
                    published,
                    chans.len() as u64,
                    paused
                )
            );
            let queued: Vec<_> = topic.backend().iter().map(|(m, _)| m.id).collect();
            let want: Vec<_> = mem
                .iter()
                .map(|m| m.0)
                .chain(disk.iter().copied())
                .collect();
            prop_assert_eq!(queued, want);
            // every message: held, fanned out once, or emptied
            let mut all: Vec<_> = mem
                .iter()
                .map(|m| m.0)
                .chain(disk.iter().copied())
                .chain(fanned.iter().copied())
                .chain(emptied.iter().copied())
                .collect();
            all.sort_unstable();
            prop_assert_eq!(all, (0..published).collect::<Vec<_>>());
            // every channel
            for (name, c) in &chans {
                let ch = topic.channel(name).unwrap();
                let q: Vec<_> = ch.backend().iter().map(|(m, _)| m.id).collect();
                let want: Vec<_> = c.mem.iter().chain(&c.disk).copied().collect();
                prop_assert_eq!(q, want, "channel {}", name);
                let mut de: Vec<_> = c.deferred.clone();
                de.sort_by_key(|d| d.0);
                let got: Vec<_> = ch.deferred().map(|(t, m)| (t, m.id)).collect();
                prop_assert_eq!(got, de, "channel {} deferred", name);
                prop_assert_eq!(ch.stats().message_count, c.message_count);
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]
    #[test]
    fn topic_fan_out_matches_oracle(
        mem in 0u64..4,
        seed in any::<u64>(),
        ops in proptest::collection::vec(topic_oracle::op(), 1..60),
    ) {
        topic_oracle::run(mem, seed, &ops)?;
    }
}
