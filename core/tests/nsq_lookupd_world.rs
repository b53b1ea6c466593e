//! nsqlookupd in the world (SEMANTICS 2.4 discovery, 2.5 nsqlookupd):
//! nsqd nodes register with every lookupd, a consumer that lists only
//! lookupds finds the nodes with its topic by polling (go-nsq
//! `ConnectToNSQLookupds`), crashes drop registrations, restarts bring
//! them back; the guarantees book stays consistent and runs replay exactly.

use queuelab::command::{Command, NsqAction};
use queuelab::observe::snapshot::NsqLookupdTopicView;
use queuelab::observe::trace::{EventKind, LOOKUP_REFUSED};
use queuelab::time::{SimDuration, SimTime};
use queuelab::world::World;

/// Three nodes, two lookupds. producer-1 publishes to nsqd-1 from the
/// start, producer-3 to nsqd-3 from 5s; nsqd-2 never has the topic.
/// Consumer w knows only the lookupds and polls every 1s.
const CLUSTER: &str = r#"{
  "name": "lookupd", "seed": 7,
  "nsq": {
    "latency": "exp(1ms)",
    "nsqd": [{ "name": "nsqd-1" }, { "name": "nsqd-2" }, { "name": "nsqd-3" }],
    "nsqlookupd": [{ "name": "lookupd-1" }, { "name": "lookupd-2" }],
    "consumers": [
      { "name": "w", "topic": "events", "channel": "jobs", "lookupd": ["lookupd-1", "lookupd-2"], "max_in_flight": 4, "handlers": 2, "work": "exp(20ms)", "lookupd_poll_interval": "1s" }
    ]
  },
  "goroutines": [
    { "name": "producer-1", "behavior": { "program": [
      { "forever": [{ "sleep": "exp(50ms)" }, { "publish": { "nsqd": "nsqd-1", "topic": "events" } }] }
    ] } },
    { "name": "producer-3", "behavior": { "program": [
      { "sleep": "5s" },
      { "forever": [{ "sleep": "exp(50ms)" }, { "publish": { "nsqd": "nsqd-3", "topic": "events" } }] }
    ] } }
  ]
}"#;

fn at(ms: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_millis(ms)
}

fn count(w: &World, k: EventKind) -> usize {
    w.trace().events().filter(|e| e.kind == k).count()
}

fn step(w: &mut World, ms: u64) {
    w.run_until(at(ms));
    w.check_nsq_book().unwrap_or_else(|e| panic!("book at {ms}ms: {e}"));
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn topic_view(w: &World, lookupd: &str) -> Option<NsqLookupdTopicView> {
    let v = w.snapshot().nsq.expect("nsq");
    v.lookupd.iter().find(|l| l.name == lookupd).expect("lookupd").topics.iter().find(|t| t.topic == "events").cloned()
}

fn cmd(json: &str) -> Command {
    serde_json::from_str(json).expect("a command")
}

/// Discovery end to end: nsqlookupd_test.go `TestBasicLookupd` (REGISTER
/// makes the producer listed; closing the nsqd's connection removes it at
/// once, the topic key stays), nsqd `lookup.go`'s connect callback
/// (re-register everything on a new connection) and go-nsq's
/// `queryLookupd` (connect to every producer named; never drop one).
#[test]
fn lookupd_consumer_finds_every_node_with_the_topic() {
    let mut w = World::from_json(CLUSTER).expect("valid");
    step(&mut w, 3_000);
    // Only nsqd-1 has the topic: both lookupds list it alone.
    for l in ["lookupd-1", "lookupd-2"] {
        assert_eq!(w.nsq_lookup(l, "events"), Some(vec!["nsqd-1".to_string()]), "{l}");
    }
    assert_eq!(w.nsq_consumer_nodes("w"), ["nsqd-1"]);
    assert!(count(&w, EventKind::NsqLookup) > 0);

    // producer-3's first PUB (at 5s) creates the topic on nsqd-3: the next
    // poll (every 1s, after a jitter under 300ms) finds it.
    step(&mut w, 5_000);
    assert_eq!(w.nsq_lookup("lookupd-1", "events"), Some(vec!["nsqd-1".to_string()]), "not yet");
    step(&mut w, 7_500);
    for l in ["lookupd-1", "lookupd-2"] {
        assert_eq!(w.nsq_lookup(l, "events").map(sorted), Some(vec!["nsqd-1".to_string(), "nsqd-3".to_string()]), "{l}");
    }
    assert_eq!(sorted(w.nsq_consumer_nodes("w")), ["nsqd-1", "nsqd-3"], "nsqd-2 has no such topic: no connection");
    assert!(count(&w, EventKind::NsqDiscovered) >= 2);
    let v = topic_view(&w, "lookupd-2").expect("registered");
    assert_eq!(v.channels, ["jobs"]);

    // nsqd-3 crashes: its lookupd connections close, both lookupds drop
    // its registrations at once (the topic key stays: TestBasicLookupd).
    let unregs = count(&w, EventKind::NsqUnregister);
    w.apply(&cmd(r#"{"op":"nsqd_crash","nsqd":"nsqd-3"}"#)).expect("crash");
    w.check_nsq_book().expect("book after the crash");
    for l in ["lookupd-1", "lookupd-2"] {
        assert_eq!(w.nsq_lookup(l, "events"), Some(vec!["nsqd-1".to_string()]), "{l}");
    }
    assert_eq!(count(&w, EventKind::NsqUnregister), unregs + 2, "one per lookupd");
    assert_eq!(w.nsq_consumer_nodes("w"), ["nsqd-1"], "the connection closed");
    step(&mut w, 9_500);
    // Lookups go on, and never name the node that is down.
    assert_eq!(w.nsq_consumer_nodes("w"), ["nsqd-1"]);
    assert_eq!(topic_view(&w, "lookupd-1").expect("key stays").producers, ["nsqd-1"]);

    // Restart: a new connection to each lookupd, IDENTIFY and REGISTER;
    // the next poll reconnects the consumer.
    w.apply(&cmd(r#"{"op":"nsqd_restart","nsqd":"nsqd-3"}"#)).expect("restart");
    step(&mut w, 12_000);
    for l in ["lookupd-1", "lookupd-2"] {
        assert_eq!(w.nsq_lookup(l, "events").map(sorted), Some(vec!["nsqd-1".to_string(), "nsqd-3".to_string()]), "{l}");
    }
    assert_eq!(sorted(w.nsq_consumer_nodes("w")), ["nsqd-1", "nsqd-3"]);
    let v = w.snapshot().nsq.expect("nsq");
    assert_eq!(v.lookupd[0].producers.len(), 3, "every node is connected to every lookupd");

    // Replays exactly, commands included.
    let json = w.scenario_with_log().to_json();
    let mut r = World::from_json(&json).expect("replays");
    r.run_until(w.now());
    assert_eq!(r.trace_hash(), w.trace_hash());
    r.check_nsq_book().expect("replayed book");
}

/// nsqlookupd_test.go `TestChannelUnregister`: UNREGISTER of a channel
/// (here nsqadmin's channel delete on the node) leaves the channel key
/// and the topic's producer; deleting the topic removes the producer.
#[test]
fn operator_deletes_unregister() {
    let mut w = World::from_json(CLUSTER).expect("valid");
    step(&mut w, 3_000);
    w.apply(&Command::Nsq { action: NsqAction::Create, nsqd: "nsqd-2".into(), topic: "other".into(), channel: Some("c".into()) })
        .expect("create");
    step(&mut w, 3_100);
    let v = w.snapshot().nsq.expect("nsq");
    let other = v.lookupd[0].topics.iter().find(|t| t.topic == "other").expect("registered").clone();
    assert_eq!((other.channels, other.producers), (vec!["c".to_string()], vec!["nsqd-2".to_string()]));
    w.apply(&Command::Nsq { action: NsqAction::Delete, nsqd: "nsqd-2".into(), topic: "other".into(), channel: Some("c".into()) })
        .expect("delete channel");
    step(&mut w, 3_200);
    assert_eq!(w.nsq_lookup("lookupd-1", "other"), Some(vec!["nsqd-2".to_string()]), "the topic stays registered");
    w.apply(&Command::Nsq { action: NsqAction::Delete, nsqd: "nsqd-2".into(), topic: "other".into(), channel: None }).expect("delete topic");
    step(&mut w, 3_300);
    assert_eq!(w.nsq_lookup("lookupd-1", "other"), Some(vec![]), "no producer; nsqlookupd keeps the key");
    assert_eq!(w.nsq_lookup("lookupd-1", "missing"), None, "TOPIC_NOT_FOUND");
    // w never connected to nsqd-2 (no topic events there): its crash
    // closes none of w's connections.
    let closed = count(&w, EventKind::NsqConnClosed);
    w.apply(&cmd(r#"{"op":"nsqd_crash","nsqd":"nsqd-2"}"#)).expect("crash");
    assert_eq!(count(&w, EventKind::NsqConnClosed), closed);
    step(&mut w, 5_000);
    assert_eq!(w.nsq_consumer_nodes("w"), ["nsqd-1"]);
}

/// nsqd `NSQD.GetTopic`: a topic created by a PUB first gets the channels
/// the lookupds know, so messages published before any consumer connects
/// to the node wait in the consumer's channel, not in the topic.
#[test]
fn a_new_topic_gets_the_channels_lookupd_knows() {
    // w also connects to nsqd-1 directly (so the lookupds learn its
    // channel) and polls at go-nsq's default 60s: it does not find nsqd-3
    // before 60s.
    let json = CLUSTER.replace(r#", "lookupd_poll_interval": "1s""#, "").replace(r#""lookupd": ["#, r#""nsqd": ["nsqd-1"], "lookupd": ["#);
    let mut w = World::from_json(&json).expect("valid");
    step(&mut w, 10_000);
    assert_eq!(w.nsq_consumer_nodes("w"), ["nsqd-1"]);
    let v = w.snapshot().nsq.expect("nsq");
    let t = v.nodes[2].topics.iter().find(|t| t.name == "events").expect("producer-3 created it");
    assert_eq!(t.depth, 0, "nothing waits in the topic");
    let jobs = t.channels.iter().find(|c| c.name == "jobs").expect("pre-created");
    assert!(jobs.depth > 10, "messages wait in jobs: {}", jobs.depth);
}

/// A consumer needs nsqd or lookupd; lookupd names must exist.
#[test]
fn scenario_checks() {
    let none = CLUSTER.replace(r#""lookupd": ["lookupd-1", "lookupd-2"], "#, "");
    let e = World::from_json(&none).expect_err("refused").to_string();
    assert!(e.contains("nsq.consumers[0].nsqd"), "{e}");
    let bad = CLUSTER.replace(r#"["lookupd-1", "lookupd-2"]"#, r#"["lookupd-9"]"#);
    let e = World::from_json(&bad).expect_err("refused").to_string();
    assert!(e.contains("no nsqlookupd named"), "{e}");
}

/// nsqadmin's "tombstone topic producer" (`nsq_tombstone`; nsqlookupd
/// `http.go` `doTombstoneTopicProducer` on every lookupd,
/// `FilterByActive`): a consumer polling within the 45 s tombstone
/// lifetime does not discover the node for that topic; after it, it does.
#[test]
fn a_tombstoned_node_is_not_discovered_for_45s() {
    let mut w = World::from_json(CLUSTER).expect("valid");
    step(&mut w, 10_000);
    assert_eq!(sorted(w.nsq_consumer_nodes("w")), ["nsqd-1", "nsqd-3"]);
    // Refused, checked before anything changes.
    let before = w.trace_hash();
    for bad in [
        r#"{"op":"nsq_tombstone","topic":"events","nsqd":"nope"}"#,
        r#"{"op":"nsq_tombstone","topic":"unknown","nsqd":"nsqd-3"}"#,
        r#"{"op":"nsq_tombstone","topic":"bad topic!","nsqd":"nsqd-3"}"#,
    ] {
        assert!(w.apply(&cmd(bad)).is_err(), "{bad}");
    }
    assert_eq!(w.trace_hash(), before);
    w.apply(&cmd(r#"{"op":"nsq_tombstone","topic":"events","nsqd":"nsqd-3"}"#)).expect("tombstone");
    for l in ["lookupd-1", "lookupd-2"] {
        assert_eq!(w.nsq_lookup(l, "events"), Some(vec!["nsqd-1".to_string()]), "{l} hides nsqd-3");
    }
    // Existing connections stay; a new consumer process polls at once and
    // every second after.
    assert_eq!(sorted(w.nsq_consumer_nodes("w")), ["nsqd-1", "nsqd-3"]);
    w.apply(&cmd(r#"{"op":"consumer_crash","consumer":"w"}"#)).expect("crash");
    w.apply(&cmd(r#"{"op":"consumer_start","consumer":"w"}"#)).expect("start");
    step(&mut w, 54_000);
    assert_eq!(w.nsq_consumer_nodes("w"), ["nsqd-1"], "not discovered within 45 s");
    step(&mut w, 57_000);
    assert_eq!(sorted(w.nsq_consumer_nodes("w")), ["nsqd-1", "nsqd-3"], "discovered after the tombstone lifetime");
    // Replays exactly.
    let mut r = World::from_json(&w.scenario_with_log().to_json()).expect("replays");
    r.run_until(w.now());
    assert_eq!(r.trace_hash(), w.trace_hash());
}

#[test]
fn tombstone_needs_a_lookupd() {
    let json = r#"{"name":"x","seed":1,"nsq":{"nsqd":[{"name":"nsqd-1","topics":[{"name":"events"}]}]},"goroutines":[{"name":"idle","behavior":{"program":[{"forever":[{"sleep":"1s"}]}]}}]}"#;
    let mut w = World::from_json(json).expect("valid");
    let e = w.apply(&cmd(r#"{"op":"nsq_tombstone","topic":"events","nsqd":"nsqd-1"}"#)).unwrap_err();
    assert!(e.to_string().contains("no nsqlookupd"), "{e}");
}

fn lookupd_down(w: &World, l: &str) -> bool {
    w.snapshot().nsq.expect("nsq").lookupd.iter().find(|x| x.name == l).expect("lookupd").down
}

/// Lookups a down lookupd refused (`NsqLookup` with the refused count)
/// from `ms` on, among the events the trace still holds.
fn refused_since(w: &World, ms: u64) -> usize {
    w.trace().events().filter(|e| e.time >= at(ms) && e.kind == EventKind::NsqLookup && e.aux & 0xffff_ffff == LOOKUP_REFUSED).count()
}

/// An nsqlookupd crash (SEMANTICS 2.5: "losing one lookupd stops
/// nothing"): it forgets every registration, the consumer's nsqd
/// connections stay and messages keep flowing, its lookups to the dead
/// lookupd are refused (go-nsq `consumer.go` `queryLookupd`: an error,
/// retried on the next lookupd). After the restart, each node registers
/// again at its *second* command after the crash: nsqd
/// `lookup_peer.go` `Command` fails on the dead connection and closes it
/// (the 15 s PING of `lookup.go` `lookupLoop`), and the next command dials
/// and runs the connect callback (IDENTIFY, REGISTER everything).
#[test]
fn a_lookupd_crash_stops_nothing_and_nodes_register_again_after_its_restart() {
    let mut w = World::from_json(CLUSTER).expect("valid");
    step(&mut w, 8_000);
    assert_eq!(sorted(w.nsq_consumer_nodes("w")), ["nsqd-1", "nsqd-3"]);
    // Refusals change nothing.
    let before = w.trace_hash();
    for (bad, why) in [
        (r#"{"op":"nsqlookupd_crash","nsqlookupd":"nope"}"#, "no nsqlookupd named \"nope\""),
        (r#"{"op":"nsqlookupd_restart","nsqlookupd":"lookupd-1"}"#, "\"lookupd-1\" is running"),
    ] {
        assert_eq!(w.apply(&cmd(bad)).unwrap_err().to_string(), why, "{bad}");
    }
    assert_eq!(w.trace_hash(), before);

    w.apply(&cmd(r#"{"op":"nsqlookupd_crash","nsqlookupd":"lookupd-1"}"#)).expect("crash");
    assert_eq!(count(&w, EventKind::NsqLookupdCrash), 1);
    assert!(lookupd_down(&w, "lookupd-1") && !lookupd_down(&w, "lookupd-2"));
    assert_eq!(w.nsq_lookup("lookupd-1", "events"), None, "it knows nothing");
    assert!(w.snapshot().nsq.expect("nsq").lookupd[0].producers.is_empty());
    let e = w.apply(&cmd(r#"{"op":"nsqlookupd_crash","nsqlookupd":"lookupd-1"}"#)).unwrap_err();
    assert_eq!(e.to_string(), "\"lookupd-1\" is already down");

    let finished = count(&w, EventKind::NsqFinish);
    step(&mut w, 12_000);
    assert!(refused_since(&w, 8_000) > 0, "the consumer's polls of lookupd-1 are refused");
    assert_eq!(sorted(w.nsq_consumer_nodes("w")), ["nsqd-1", "nsqd-3"], "its connections stay");
    assert!(count(&w, EventKind::NsqFinish) > finished + 50, "messages keep flowing");
    assert_eq!(w.nsq_lookup("lookupd-2", "events").map(sorted), Some(vec!["nsqd-1".to_string(), "nsqd-3".to_string()]));

    // Restarted at 12 s, empty. The nodes' PINGs at 15 s fail on the dead
    // connections; those at 30 s dial and register everything.
    w.apply(&cmd(r#"{"op":"nsqlookupd_restart","nsqlookupd":"lookupd-1"}"#)).expect("restart");
    assert_eq!(count(&w, EventKind::NsqLookupdRestart), 1);
    assert!(!lookupd_down(&w, "lookupd-1"));
    step(&mut w, 29_900);
    assert_eq!(w.nsq_lookup("lookupd-1", "events"), None, "no node dialled yet");
    step(&mut w, 31_000);
    assert_eq!(w.nsq_lookup("lookupd-1", "events").map(sorted), Some(vec!["nsqd-1".to_string(), "nsqd-3".to_string()]));
    assert_eq!(w.snapshot().nsq.expect("nsq").lookupd[0].producers.len(), 3, "every node dialled");
    assert!(w.trace().events().any(|e| e.time >= at(12_000) && e.kind == EventKind::NsqLookup), "the trace holds the lookups since");
    assert_eq!(refused_since(&w, 12_000), 0, "no refusal once it runs");

    // Replays exactly, commands included.
    let mut r = World::from_json(&w.scenario_with_log().to_json()).expect("replays");
    r.run_until(w.now());
    assert_eq!(r.trace_hash(), w.trace_hash());
    r.check_nsq_book().expect("replayed book");
}

/// A node that starts while a lookupd is down has its dial refused and
/// no connection to lose: its first command after the lookupd's restart
/// dials (nsqd `lookup_peer.go`: `Command` connects whenever the state is
/// not connected), a tick earlier than a node whose connection died.
#[test]
fn a_node_restarted_while_a_lookupd_is_down_dials_at_its_next_command() {
    let mut w = World::from_json(CLUSTER).expect("valid");
    step(&mut w, 8_000);
    w.apply(&cmd(r#"{"op":"nsqlookupd_crash","nsqlookupd":"lookupd-1"}"#)).expect("crash lookupd");
    w.apply(&cmd(r#"{"op":"nsqd_crash","nsqd":"nsqd-3"}"#)).expect("crash nsqd-3");
    step(&mut w, 9_000);
    // nsqd-3 starts at 9 s: its dial to lookupd-1 is refused; its PINGs
    // come at 24 s, 39 s.
    w.apply(&cmd(r#"{"op":"nsqd_restart","nsqd":"nsqd-3"}"#)).expect("restart nsqd-3");
    step(&mut w, 10_000);
    w.apply(&cmd(r#"{"op":"nsqlookupd_restart","nsqlookupd":"lookupd-1"}"#)).expect("restart lookupd");
    step(&mut w, 23_900);
    assert_eq!(w.nsq_lookup("lookupd-1", "events"), None);
    step(&mut w, 25_000);
    assert_eq!(w.nsq_lookup("lookupd-1", "events"), Some(vec!["nsqd-3".to_string()]), "nsqd-3 dialled at its 24 s PING");
    step(&mut w, 31_000);
    assert_eq!(w.nsq_lookup("lookupd-1", "events").map(sorted), Some(vec!["nsqd-1".to_string(), "nsqd-3".to_string()]), "nsqd-1 at its 30 s PING");
}

/// Every lookupd down: the consumer's running connections go on, but a
/// consumer process started meanwhile finds no node until the lookupds
/// are back and the nodes have registered again.
#[test]
fn with_every_lookupd_down_a_new_consumer_process_finds_nothing_until_they_are_back() {
    let mut w = World::from_json(CLUSTER).expect("valid");
    step(&mut w, 8_000);
    for l in ["lookupd-1", "lookupd-2"] {
        w.apply(&cmd(&format!(r#"{{"op":"nsqlookupd_crash","nsqlookupd":"{l}"}}"#))).expect("crash");
    }
    w.apply(&cmd(r#"{"op":"consumer_crash","consumer":"w"}"#)).expect("crash w");
    w.apply(&cmd(r#"{"op":"consumer_start","consumer":"w"}"#)).expect("start w");
    step(&mut w, 20_000);
    assert!(w.nsq_consumer_nodes("w").is_empty(), "every lookup refused");
    assert!(refused_since(&w, 8_000) >= 10, "{}", refused_since(&w, 8_000));
    for l in ["lookupd-1", "lookupd-2"] {
        w.apply(&cmd(&format!(r#"{{"op":"nsqlookupd_restart","nsqlookupd":"{l}"}}"#))).expect("restart");
    }
    step(&mut w, 29_900);
    assert!(w.nsq_consumer_nodes("w").is_empty(), "the lookupds know nothing before the nodes' 30 s PINGs");
    step(&mut w, 32_000);
    assert_eq!(sorted(w.nsq_consumer_nodes("w")), ["nsqd-1", "nsqd-3"]);
}

/// The guide's NSQ chapter, "When nsqlookupd goes down"
/// (`book/src/scenarios/nsq-lookupd-crash.json`): the figures its answer
/// states.
#[test]
fn the_guide_s_lookupd_outage_gives_the_figures_its_answer_says() {
    let mut w = World::from_json(include_str!("../../book/src/scenarios/nsq-lookupd-crash.json")).expect("valid");
    let depth = |w: &World| -> u64 {
        let v = w.snapshot().nsq.expect("nsq");
        v.nodes.iter().flat_map(|n| &n.topics).flat_map(|t| &t.channels).filter(|c| c.name == "metrics").map(|c| c.depth).sum()
    };
    step(&mut w, 9_900);
    assert_eq!(sorted(w.nsq_consumer_nodes("archive")), ["nsqd-1", "nsqd-2"]);
    assert_eq!(sorted(w.nsq_consumer_nodes("metrics")), ["nsqd-1", "nsqd-2"]);
    step(&mut w, 29_900);
    // archive never noticed; metrics, started at 12 s, found nothing.
    assert_eq!(sorted(w.nsq_consumer_nodes("archive")), ["nsqd-1", "nsqd-2"]);
    assert!(w.nsq_consumer_nodes("metrics").is_empty());
    assert_eq!(w.nsq_lookup("lookupd-1", "events"), None, "back since 20 s, but empty");
    assert_eq!(depth(&w), 347, "messages waiting in metrics");
    let connected = w.trace().events().filter(|e| e.kind == EventKind::NsqConnected && e.time > at(12_000)).count();
    assert_eq!(connected, 0);
    step(&mut w, 45_000);
    assert_eq!(sorted(w.nsq_consumer_nodes("metrics")), ["nsqd-1", "nsqd-2"]);
    let back: Vec<u64> = w.trace().events().filter(|e| e.kind == EventKind::NsqConnected && e.time > at(12_000)).map(|e| e.time.as_micros() / 1000).collect();
    assert_eq!(back, [32_765, 32_767], "metrics connects to both nodes at its first poll after the nodes' 30 s PINGs");
    assert!(w.trace().events().any(|e| e.kind == EventKind::NsqRegister && e.time >= at(30_000) && e.time < at(30_010)), "the nodes register at their 30 s PINGs");
    assert_eq!(depth(&w), 117, "draining");
}

/// Regression: a consumer process started again after a crash polls its
/// lookupds once per `lookupd_poll_interval`. The crashed library's timers
/// were cancelled by freeing their slots while their events were still
/// queued, so the new library's poll timer took a slot and also fired at
/// the old timers' instants: a second poll cadence (found through the
/// guide's lookupd outage, where metrics polled at 15, 20, 25 s besides its
/// own 18.2, 23.2 s).
#[test]
fn a_restarted_consumer_polls_once_per_interval() {
    let mut w = World::from_json(CLUSTER).expect("valid");
    step(&mut w, 8_000);
    w.apply(&cmd(r#"{"op":"consumer_crash","consumer":"w"}"#)).expect("crash");
    step(&mut w, 9_000);
    w.apply(&cmd(r#"{"op":"consumer_start","consumer":"w"}"#)).expect("start");
    step(&mut w, 20_000);
    let polls: Vec<u64> = w.trace().events().filter(|e| e.kind == EventKind::NsqLookup && e.time > at(9_500)).map(|e| e.time.as_micros()).collect();
    assert!(polls.len() >= 9, "{polls:?}");
    for p in polls.windows(2) {
        assert!(p[1] - p[0] > 990_000, "two polls {} us apart: {polls:?}", p[1] - p[0]);
    }
}
