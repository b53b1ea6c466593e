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
fn pausing_a_connection_reader_leaves_its_messages_in_flight_at_the_node() {
    use queuelab::command::Command;
    let mut w = World::new(&Scenario::from_json(CONSUME).unwrap()).unwrap();
    w.run_until(SimTime::ZERO + SimDuration::from_millis(500));
    // go-nsq's read loop is the library's: it can be paused, not removed.
    let err = w.apply(&Command::RemoveGoroutine { goroutine: "archiver.conn1".into() }).unwrap_err().to_string();
    assert!(err.contains("go-nsq") && err.contains("cannot be removed"), "{err}");
    w.apply(&Command::Pause { goroutine: "archiver.conn1".into() }).expect("pausable");
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

fn preset_world(name: &str) -> World {
    let p = queuelab::presets::get(name).expect("a preset");
    World::new(&p.scenario()).expect("builds")
}

fn run_for(w: &mut World, secs: u64) {
    w.run_to_end(SimTime::ZERO + SimDuration::from_secs(secs));
}

fn count(w: &World, k: queuelab::observe::trace::EventKind) -> usize {
    w.trace().events().filter(|e| e.kind == k).count()
}

/// go-nsq `consumer.go` `handlerLoop`/`shouldFailMessage`: a message whose
/// attempts exceed MaxAttempts (5) is FINed without calling the handler.
#[test]
fn a_poison_message_is_fined_unhandled_after_max_attempts() {
    use queuelab::observe::trace::EventKind::*;
    let mut w = preset_world("nsq-poison");
    run_for(&mut w, 10);
    let poisoned: Vec<_> = w.trace().events().filter(|e| e.kind == NsqRequeue).collect();
    assert_eq!(poisoned.len(), 5, "attempts 1 to 5 fail and are requeued");
    // The REQ delay is requeue_delay (200ms) times the attempts.
    let delays: Vec<i64> = poisoned.iter().map(|e| e.aux / 1000).collect();
    assert_eq!(delays, vec![200, 400, 600, 800, 1000]);
    let failed: Vec<_> = w.trace().events().filter(|e| e.kind == NsqMaxAttempts).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].aux, 6, "the 6th delivery is FINed unhandled");
    assert!(count(&w, NsqBackoff) >= 1, "each failure backs the consumer off");
    let ch = &w.snapshot().nsq.expect("nsq").nodes[0].topics[0].channels[0];
    assert_eq!(ch.requeue_count, 5);
    assert_eq!(ch.deferred, 0);
}

/// go-nsq `consumer.go` `startStopContinueBackoff`: an error sets RDY 0
/// everywhere for multiplier * 2^level, then one connection gets RDY 1.
#[test]
fn a_failing_handler_backs_off_then_probes_with_rdy_1() {
    use queuelab::observe::trace::EventKind::*;
    let mut w = preset_world("nsq-failing-handler");
    run_for(&mut w, 5);
    assert!(count(&w, NsqRequeue) > 0);
    assert!(count(&w, NsqBackoff) > 0);
    let probes = w.trace().events().filter(|e| e.kind == NsqBackoffOver && e.aux > 0).count();
    assert!(probes > 0, "a backoff wait ends with an RDY 1 probe");
    // The first backoff waits multiplier (200ms) * 2^1.
    let first = w.trace().events().find(|e| e.kind == NsqBackoff).expect("a backoff");
    assert_eq!(first.aux, 400_000);
    // Messages requeued with a delay are deferred at the node, not lost.
    let s = w.snapshot();
    let nsq = s.nsq.expect("nsq");
    let requeued: u64 = nsq.nodes.iter().map(|n| n.topics[0].channels[0].requeue_count).sum();
    assert_eq!(requeued as usize, count(&w, NsqRequeue) - count(&w, NsqReqFailed));
}

/// go-nsq `consumer.go` `perConnMaxInFlight`: 10 over 3 connections is 3
/// each (9 in all); 2 over 3 leaves one connection at RDY 0 until
/// `redistributeRDY` moves it (RDY older than low_rdy_timeout, 30s).
#[test]
fn max_in_flight_is_split_over_connections() {
    let mut w = preset_world("nsq-max-in-flight");
    run_for(&mut w, 20);
    let nsq = w.snapshot().nsq.expect("nsq");
    let rdy = |channel: &str| -> Vec<u64> {
        nsq.nodes.iter().map(|n| n.topics[0].channels.iter().find(|c| c.name == channel).expect("channel").clients[0].ready_count).collect()
    };
    assert_eq!(rdy("b"), vec![3, 3, 3], "10 over 3 connections gives 9");
    let mut a = rdy("a");
    a.sort();
    assert_eq!(a, vec![0, 1, 1], "2 over 3 connections starves one");
    let starved = nsq.nodes.iter().map(|n| &n.topics[0].channels.iter().find(|c| c.name == "a").expect("a").clients[0]).find(|c| c.ready_count == 0).expect("a starved connection");
    assert_eq!(starved.message_count, 0);
    run_for(&mut w, 60);
    let nsq = w.snapshot().nsq.expect("nsq");
    assert!(nsq.nodes.iter().all(|n| n.topics[0].channels.iter().find(|c| c.name == "a").expect("a").clients[0].message_count > 0), "redistribution moved the RDY");
}

/// nsqd `topic.go` `messagePump`: every channel gets a copy; within a
/// channel each message goes to one client.
#[test]
fn multicast_copies_and_load_balancing_splits() {
    let mut w = preset_world("nsq-multicast");
    run_for(&mut w, 20);
    let nsq = w.snapshot().nsq.expect("nsq");
    let t = &nsq.nodes[0].topics[0];
    assert_eq!(t.channels.len(), 3);
    for c in &t.channels {
        assert_eq!(c.message_count, t.message_count, "channel {} gets every message", c.name);
    }
    let mut w = preset_world("nsq-load-balancing");
    run_for(&mut w, 30);
    let nsq = w.snapshot().nsq.expect("nsq");
    let ch = &nsq.nodes[0].topics[0].channels[0];
    assert_eq!(ch.clients.len(), 2);
    let (a, b) = (ch.clients[0].message_count, ch.clients[1].message_count);
    assert_eq!(a + b, ch.message_count - ch.depth);
    assert!(a.abs_diff(b) * 5 < a + b, "about half each: {a} and {b}");
}

/// nsqd `nsqd.go` `queueScanLoop`: with `expiry: sampled` a deadline is
/// seen at the next 100 ms scan tick, and a channel created after the last
/// 5 s refresh of the channel list is not scanned until the next one.
#[test]
fn sampled_expiry_scans_every_100ms_over_the_channels_listed_every_5s() {
    use queuelab::observe::trace::EventKind::NsqTimeout;
    let json = |expiry: &str| {
        format!(
            r#"{{"name": "scan", "seed": 2,
            "nsq": {{ "latency": "1ms", "nsqd": [{{ "name": "nsqd-1", "msg_timeout": "250ms" {expiry} }}],
              "consumers": [{{ "name": "slow", "topic": "events", "channel": "c", "nsqd": ["nsqd-1"], "work": "10s" }}] }},
            "goroutines": [{{ "name": "p", "behavior": {{ "program": [{{ "forever": [{{ "sleep": "50ms" }}, {{ "publish": {{ "nsqd": "nsqd-1", "topic": "events" }} }}] }}] }} }}]}}"#
        )
    };
    let timeouts = |w: &World| -> Vec<u64> { w.trace().events().filter(|e| e.kind == NsqTimeout).map(|e| e.time.as_micros()).collect() };
    let mut exact = World::new(&Scenario::from_json(&json("")).unwrap()).unwrap();
    exact.run_until(SimTime::ZERO + SimDuration::from_secs(7));
    let t = timeouts(&exact);
    assert!(!t.is_empty() && t[0] < 1_000_000, "exact: the first deadline expires on time: {t:?}");
    assert!(t.iter().any(|us| us % 100_000 != 0), "exact: not on a grid");
    let mut sampled = World::new(&Scenario::from_json(&json(r#", "expiry": "sampled""#)).unwrap()).unwrap();
    sampled.run_until(SimTime::ZERO + SimDuration::from_secs(7));
    let t = timeouts(&sampled);
    // The channel appears at the consumer's SUB (after 0): the scan lists
    // it at its 5 s refresh.
    assert!(!t.is_empty() && t[0] >= 5_000_000, "sampled: nothing expires before the channel is listed: {t:?}");
    assert!(t.iter().all(|us| us % 100_000 == 0), "sampled: only at scan ticks: {t:?}");
    let s = sampled.summary().to_string();
    assert!(s.contains("nsqd-1: expiry by nsqd's sampled scan"), "{s}");
    assert!(exact.summary().to_string().contains("expire exactly at their deadline"));
}

/// go-nsq mock_test.go `TestConsumerRequeueNoBackoff` (MaxInFlight 1,
/// BackoffMultiplier 10 ms), in the world: a handler that calls
/// `RequeueWithoutBackoff` (`on_failure: "requeue_without_backoff"`) makes
/// go-nsq write `REQ` with no `RDY 0` and no backoff wait (a continue
/// signal), so the good messages behind it flow on at once; the same
/// failures returned as errors (`Requeue(-1)`) back the consumer off.
#[test]
fn requeue_without_backoff_requeues_and_does_not_back_off() {
    use queuelab::observe::trace::EventKind::*;
    let scenario = |on_failure: &str| {
        format!(
            r#"{{"name":"rnb","seed":3,"nsq":{{"latency":"1ms",
              "nsqd":[{{"name":"nsqd-1","topics":[{{"name":"test","channels":["ch"]}}]}}],
              "consumers":[{{"name":"c","topic":"test","channel":"ch","nsqd":["nsqd-1"],"max_in_flight":1,
                "work":"1ms","poison":[0],"requeue_delay":"0s","max_attempts":3,"backoff_multiplier":"10ms"{on_failure}}}]}},
              "goroutines":[{{"name":"p","behavior":{{"program":[
                {{"repeat":{{"times":3,"body":[{{"sleep":"20ms"}},{{"publish":{{"nsqd":"nsqd-1","topic":"test"}}}}]}}}},
                {{"forever":[{{"sleep":"1s"}}]}}]}}}}]}}"#
        )
    };
    let mut nb = World::from_json(&scenario(r#","on_failure":"requeue_without_backoff""#)).expect("valid");
    nb.run_until(SimTime::ZERO + SimDuration::from_millis(200));
    assert_eq!(count(&nb, NsqRequeue), 3, "p#0 is requeued at each of its 3 attempts");
    assert_eq!(count(&nb, NsqBackoff), 0, "RequeueWithoutBackoff never backs off");
    assert_eq!(count(&nb, NsqMaxAttempts), 1, "its 4th delivery is FINed unhandled");
    assert_eq!(count(&nb, NsqFinish), 2, "p#1 and p#2 are finished");
    let mut b = World::from_json(&scenario("")).expect("valid");
    b.run_until(SimTime::ZERO + SimDuration::from_millis(200));
    assert!(count(&b, NsqBackoff) > 0, "an error backs off");
    // The spec option round-trips (a shared link keeps it).
    let mut replay = World::from_json(&nb.scenario_with_log().to_json()).expect("replays");
    replay.run_until(SimTime::ZERO + SimDuration::from_millis(200));
    assert_eq!(replay.trace_hash(), nb.trace_hash());
}

/// go-nsq `producer.go` `MultiPublish` (nsqd `protocol_v2.go` `MPUB`): a
/// batch of values in one frame and one round trip; every message of it is
/// in the topic, each its own logical message, and all count as published
/// when the `OK` comes back (all dropped if the node is down).
#[test]
fn multi_publish_sends_a_batch_in_one_round_trip() {
    use queuelab::observe::trace::EventKind::*;
    let scenario = |batch: u32| {
        format!(
            r#"{{"name":"mpub","seed":3,"nsq":{{"latency":"1ms",
              "nsqd":[{{"name":"nsqd-1","topics":[{{"name":"events","channels":["jobs"]}}]}}],
              "consumers":[{{"name":"c","topic":"events","channel":"jobs","nsqd":["nsqd-1"],"max_in_flight":10,"handlers":2,"work":"1ms"}}]}},
              "goroutines":[{{"name":"p","behavior":{{"program":[
                {{"repeat":{{"times":3,"body":[{{"sleep":"20ms"}},{{"publish":{{"nsqd":"nsqd-1","topic":"events","batch":{batch}}}}}]}}}},
                {{"forever":[{{"sleep":"1s"}}]}}]}}}}]}}"#
        )
    };
    let mut w = World::from_json(&scenario(5)).expect("valid");
    w.run_until(SimTime::ZERO + SimDuration::from_millis(500));
    w.check_nsq_book().unwrap();
    assert_eq!(count(&w, NsqPublish), 3, "three MPUB frames");
    assert_eq!(count(&w, NsqPublishOk), 3, "three round trips");
    assert_eq!(count(&w, NsqPublished), 15, "fifteen messages in the topic");
    let s = w.snapshot();
    assert_eq!(s.totals.published, 15);
    assert_eq!(s.totals.produced, s.totals.processed + s.totals.filtered + s.totals.dropped + s.totals.published + s.totals.live);
    let nsq = s.nsq.expect("nsq");
    assert_eq!(nsq.nodes[0].topics[0].message_count, 15);
    let g = &nsq.guarantees[0];
    assert_eq!((g.published, g.finished, g.handled_once), (15, 15, 15));
    // Values are distinct (labels p#0 .. p#14).
    let mut values: Vec<i64> = w.trace().events().filter(|e| e.kind == NsqMessage).map(|e| e.msg_value).collect();
    values.sort();
    assert_eq!(values, (0..15).collect::<Vec<_>>());
    // Refused: a batch out of range, to several nodes, or with a delay.
    for bad in [r#""batch":0"#, r#""batch":1001"#, r#""batch":2,"delay":"1s""#] {
        let json = scenario(2).replace(r#""batch":2"#, bad);
        assert!(World::from_json(&json).is_err(), "{bad}");
    }
    // The node down: the whole batch fails.
    let mut down = World::from_json(&scenario(4)).expect("valid");
    down.apply(&serde_json::from_str(r#"{"op":"nsqd_crash","nsqd":"nsqd-1"}"#).unwrap()).unwrap();
    down.run_until(SimTime::ZERO + SimDuration::from_millis(500));
    let t = down.snapshot().totals;
    assert_eq!((t.published, t.dropped), (0, 12));
    down.check_nsq_book().unwrap();
}

/// nsqd's E2E percentiles cover its window (`internal/quantile`: two
/// streams of half of `--e2e-processing-latency-window-time`, 10 min),
/// not the whole run: messages held back by a paused channel in the first
/// two minutes push p99 up while they are in the window, and are gone
/// from it once the window has moved past them twice (at 5 and 10 min).
#[test]
fn e2e_percentiles_cover_nsqds_window_not_the_whole_run() {
    let json = r#"{
      "name": "nsq-e2e-window", "seed": 5,
      "nsq": { "latency": "100us", "nsqd": [{ "name": "nsqd-1", "topics": [{ "name": "events", "channels": ["jobs"] }] }],
               "consumers": [{ "name": "worker", "topic": "events", "channel": "jobs", "nsqd": ["nsqd-1"], "work": "200ms" }] },
      "goroutines": [{ "name": "producer", "behavior": { "program": [
        { "forever": [{ "sleep": "1s" }, { "publish": { "nsqd": "nsqd-1", "topic": "events" } }] }
      ] } }],
      "commands": [
        { "at": "60s", "command": { "op": "nsq", "action": "pause", "nsqd": "nsqd-1", "topic": "events", "channel": "jobs" } },
        { "at": "120s", "command": { "op": "nsq", "action": "unpause", "nsqd": "nsqd-1", "topic": "events", "channel": "jobs" } }
      ]
    }"#;
    let mut w = World::new(&Scenario::from_json(json).expect("valid")).expect("builds");
    let jobs = |w: &World| {
        let nsq = w.snapshot().nsq.expect("an NSQ view");
        let c = nsq.nodes[0].topics[0].channels[0].clone();
        (c.e2e_p99_us.expect("a p99"), c.message_count)
    };
    run_for(&mut w, 7 * 60);
    let (p99_at_7, _) = jobs(&w);
    assert!(p99_at_7 > 30_000_000, "the held-back messages (up to a minute) are in the window at 7 min: p99 {p99_at_7} µs");
    run_for(&mut w, 11 * 60);
    let (p99_at_11, messages) = jobs(&w);
    assert!(messages > 600, "{messages}");
    assert!(p99_at_11 < 1_000_000, "at 11 min the window holds 5 to 11 min only: p99 {p99_at_11} µs");
}
