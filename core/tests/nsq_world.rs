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
