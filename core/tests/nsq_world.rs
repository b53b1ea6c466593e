//! NSQ inside a world: goroutines publishing to nsqd over the network.
//! (The consumer side comes next; see issue 12.)

use queuelab::observe::snapshot::{GState, RunStatus};
use queuelab::scenario::Scenario;
use queuelab::time::{SimDuration, SimTime};
use queuelab::timeline::Timeline;
use queuelab::world::World;

/// Two producers publish 50 values each to `events` on nsqd-1, 10 ms apart;
/// the topic has no channel, so it keeps them all.
const PUBLISH: &str = r#"{
  "name": "nsq-publish",
  "seed": 3,
  "nsq": { "latency": "exp(300us)", "nsqd": [{ "name": "nsqd-1" }] },
  "goroutines": [
    { "name": "producer", "count": 2, "behavior": { "program": [
      { "repeat": { "times": 50, "body": [
        { "sleep": "exp(10ms)" },
        { "publish": { "nsqd": "nsqd-1", "topic": "events" } }
      ] } }
    ] } }
  ]
}"#;

fn world() -> World {
    World::new(&Scenario::from_json(PUBLISH).expect("valid")).expect("builds")
}

#[test]
fn every_publish_reaches_the_topic_and_returns() {
    let mut w = world();
    let status = w.run_to_end(SimTime::ZERO + SimDuration::from_secs(60));
    assert_eq!(status, RunStatus::Finished, "{}", w.status_text());
    let s = w.snapshot();
    assert_eq!(s.totals.produced, 100);
    assert_eq!(s.totals.published, 100);
    assert_eq!(s.totals.live, 0);
    let nsq = s.nsq.expect("an nsq section");
    let t = &nsq.nodes[0].topics[0];
    assert_eq!((t.name.as_str(), t.message_count, t.depth), ("events", 100, 100), "no channel: the topic keeps them");
    let kinds: Vec<_> = w.trace().events().map(|e| e.kind).collect();
    use queuelab::observe::trace::EventKind::*;
    for k in [NsqPublish, NsqPublished, NsqPublishOk] {
        assert_eq!(kinds.iter().filter(|&&x| x == k).count(), 100, "{k:?}");
    }
}

#[test]
fn a_publishing_goroutine_waits_for_the_response() {
    let mut w = world();
    // Step until some goroutine is waiting on the network.
    let mut seen = None;
    for _ in 0..10_000 {
        w.step();
        if let Some(g) = w.snapshot().goroutines.iter().find(|g| g.state == GState::BlockedNet) {
            seen = Some(g.state_text.clone());
            break;
        }
    }
    let text = seen.expect("a goroutine waits for nsqd-1");
    assert!(text.starts_with("waiting for nsqd-1's response"), "{text}");
    assert!(text.contains("publishing producer-"), "{text}");
    // Not asleep in Go's sense: no deadlock verdict, nobody stuck.
    assert_eq!(w.status(), RunStatus::Running);
    assert!(w.deadlock().is_none());
}

#[test]
fn same_scenario_same_run_and_seek_is_a_straight_run() {
    let (mut a, mut b) = (world(), world());
    let t = SimTime::ZERO + SimDuration::from_millis(250);
    a.run_until(t);
    b.run_until(t);
    assert_eq!(a.trace_hash(), b.trace_hash());
    let mut tl = Timeline::new(&Scenario::from_json(PUBLISH).unwrap()).unwrap();
    tl.run_until(SimTime::ZERO + SimDuration::from_secs(2));
    tl.seek(t);
    assert_eq!(tl.world().trace_hash(), a.trace_hash());
    assert_eq!(tl.world().snapshot(), a.snapshot());
}

#[test]
fn publish_names_are_checked() {
    let bad = PUBLISH.replace(r#""nsqd": "nsqd-1", "topic": "events""#, r#""nsqd": "nsqd-9", "topic": "bad topic!""#);
    let err = Scenario::from_json(&bad).unwrap_err().to_string();
    assert!(err.contains(r#"publish.nsqd: no nsqd named "nsqd-9""#), "{err}");
    assert!(err.contains("E_BAD_TOPIC"), "{err}");
}

/// One producer publishing 200 values to `events`; a consumer on channel
/// `archive` with max_in_flight 4 and 2 handlers working 20 ms each.
const CONSUME: &str = r#"{
  "name": "nsq-consume",
  "seed": 5,
  "nsq": { "latency": "exp(300us)", "nsqd": [{ "name": "nsqd-1" }],
           "consumers": [{ "name": "archiver", "topic": "events", "channel": "archive", "nsqd": ["nsqd-1"],
                           "max_in_flight": 4, "handlers": 2, "work": "exp(20ms)" }] },
  "goroutines": [
    { "name": "producer", "behavior": { "program": [
      { "repeat": { "times": 200, "body": [
        { "sleep": "exp(15ms)" },
        { "publish": { "nsqd": "nsqd-1", "topic": "events" } }
      ] } }
    ] } }
  ]
}"#;

#[test]
fn a_consumer_handles_every_message_once() {
    let mut w = World::new(&Scenario::from_json(CONSUME).expect("valid")).expect("builds");
    w.run_until(SimTime::ZERO + SimDuration::from_secs(60));
    let s = w.snapshot();
    assert_eq!(s.status, RunStatus::Running, "readers wait on the network forever: the program never ends by itself");
    assert!(s.deadlock.is_none(), "nobody is stuck: {:?}", s.deadlock);
    assert_eq!(s.totals.published, 200);
    // Each copy came into Go once and was finished by a handler.
    assert_eq!(s.totals.produced, 400);
    assert_eq!(s.totals.processed, 200);
    assert_eq!(s.totals.delivered, 200, "the handlers received each one");
    assert_eq!(s.totals.live, 0);
    let c = &s.nsq.as_ref().unwrap().nodes[0].topics[0].channels[0];
    assert_eq!((c.name.as_str(), c.message_count, c.depth, c.in_flight, c.timeout_count), ("archive", 200, 0, 0, 0));
    assert_eq!(c.client_count, 1);
    // The consumer is Go: its channel, its reader and its handlers.
    assert!(s.channels.iter().any(|ch| ch.name == "archiver.incoming" && ch.cap == 0));
    let names: Vec<&str> = s.goroutines.iter().map(|g| g.name.as_str()).collect();
    for n in ["archiver.conn1", "archiver.handler-1", "archiver.handler-2"] {
        assert!(names.contains(&n), "{names:?}");
    }
    // End-to-end latency: publish to handler done.
    assert!(s.processed_latency.count == 200 && s.processed_latency.p50_us > 20_000, "{:?}", s.processed_latency);
}

#[test]
fn a_handler_slower_than_the_msg_timeout_sees_timeouts_and_duplicates() {
    let slow = CONSUME
        .replace(r#""nsqd": [{ "name": "nsqd-1" }]"#, r#""nsqd": [{ "name": "nsqd-1", "msg_timeout": "50ms" }]"#)
        .replace(r#""work": "exp(20ms)""#, r#""work": "80ms""#)
        .replace(r#""times": 200"#, r#""times": 20"#);
    let mut w = World::new(&Scenario::from_json(&slow).expect("valid")).expect("builds");
    w.run_until(SimTime::ZERO + SimDuration::from_secs(3));
    let s = w.snapshot();
    let c = &s.nsq.as_ref().unwrap().nodes[0].topics[0].channels[0];
    assert!(c.timeout_count > 0, "{c:?}");
    let kinds: Vec<_> = w.trace().events().map(|e| e.kind).collect();
    use queuelab::observe::trace::EventKind::*;
    assert!(kinds.contains(&NsqTimeout));
    assert!(kinds.contains(&NsqFinFailed), "a FIN after the timeout is refused");
    let again = w.trace().events().filter(|e| e.kind == NsqMessage && e.aux > 1).count();
    assert!(again > 0, "messages delivered again (attempt 2+)");
    assert!(s.totals.processed > 20, "more handlings than messages: duplicates ({} for 20)", s.totals.processed);
}

#[test]
fn consuming_seek_is_a_straight_run() {
    let sc = Scenario::from_json(CONSUME).unwrap();
    let t = SimTime::ZERO + SimDuration::from_millis(1_700);
    let mut a = World::new(&sc).unwrap();
    a.run_until(t);
    let mut tl = Timeline::new(&sc).unwrap();
    tl.run_until(SimTime::ZERO + SimDuration::from_secs(4));
    tl.seek(t);
    assert_eq!(tl.world().trace_hash(), a.trace_hash());
    assert_eq!(tl.world().snapshot(), a.snapshot());
}

#[test]
fn live_edits_of_handlers_fold_into_the_consumer() {
    use queuelab::command::Command;
    let base = Scenario::from_json(CONSUME).unwrap();
    let edits = [
        Command::SetCount { group: "archiver.handler".into(), count: 5 },
        Command::SetRates { group: "archiver.handler".into(), interval: None, work: Some("3ms".parse().unwrap()) },
    ];
    let mut w = World::new(&base).unwrap();
    for e in &edits {
        w.apply(e).expect("a live edit of the handlers applies");
    }
    assert_eq!(w.snapshot().goroutines.iter().filter(|g| g.name.starts_with("archiver.handler")).count(), 5);
    let d = queuelab::design::fold(&base, &edits);
    let c = &d.nsq.as_ref().unwrap().consumers[0];
    assert_eq!((c.handlers, c.work.to_string().as_str()), (5, "3ms"));
    assert!(d.validate().is_ok());
}

#[test]
fn removing_a_connection_reader_leaves_its_messages_in_flight_at_the_node() {
    use queuelab::command::Command;
    let mut w = World::new(&Scenario::from_json(CONSUME).unwrap()).unwrap();
    w.run_until(SimTime::ZERO + SimDuration::from_millis(500));
    w.apply(&Command::RemoveGoroutine { goroutine: "archiver.conn1".into() }).expect("removable");
    w.run_until(SimTime::ZERO + SimDuration::from_secs(5));
    let s = w.snapshot();
    let t = s.totals;
    assert_eq!(t.produced, t.processed + t.filtered + t.dropped + t.published + t.live, "{t:?}");
    let c = &s.nsq.as_ref().unwrap().nodes[0].topics[0].channels[0];
    assert!(c.in_flight > 0 && c.in_flight <= 4, "nobody reads: the node's window stays full ({c:?})");
    assert!(c.depth > 0, "the rest waits in the channel");
}

#[test]
fn go_nsqs_incoming_channel_cannot_be_closed_or_resized() {
    use queuelab::command::Command;
    let mut w = World::new(&Scenario::from_json(CONSUME).unwrap()).unwrap();
    w.run_until(SimTime::ZERO + SimDuration::from_millis(100));
    let before = w.trace_hash();
    for cmd in [
        Command::CloseChannel { channel: "archiver.incoming".into() },
        Command::SetCapacity { channel: "archiver.incoming".into(), capacity: 10 },
    ] {
        let err = w.apply(&cmd).unwrap_err().to_string();
        assert!(err.contains("go-nsq's incomingMessages channel"), "{err}");
    }
    assert_eq!(w.trace_hash(), before, "a refused command changes nothing");
}
