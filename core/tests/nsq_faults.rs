//! NSQ faults and operator actions as live commands: nsqd crash, clean
//! stop and restart (SEMANTICS 2.7), a consumer's crash, `Stop()` and
//! start (go-nsq `consumer.go`), links cut and healed, nsqadmin's pause,
//! empty and delete; every one replayed exactly from a shared link.

use queuelab::command::{Command, NsqAction};
use queuelab::nsq::guarantees::LossCause;
use queuelab::observe::snapshot::{NsqChannelView, NsqView};
use queuelab::observe::trace::EventKind;
use queuelab::scenario::Scenario;
use queuelab::time::{SimDuration, SimTime};
use queuelab::world::World;

/// Two consumers (a, b) on channel jobs of nsqd-1 and nsqd-2; a producer
/// publishes to nsqd-1 every ~20ms. msg_timeout 1s, reconnect every 500ms.
const TWO: &str = r#"{
  "name": "faults", "seed": 4,
  "nsq": {
    "latency": "exp(1ms)",
    "nsqd": [{ "name": "nsqd-1", "msg_timeout": "1s", "topics": [{ "name": "events", "channels": ["jobs"] }] },
             { "name": "nsqd-2", "msg_timeout": "1s" }],
    "consumers": [
      { "name": "a", "topic": "events", "channel": "jobs", "nsqd": ["nsqd-1"], "max_in_flight": 3, "handlers": 3, "work": "exp(50ms)", "lookupd_poll_interval": "500ms" },
      { "name": "b", "topic": "events", "channel": "jobs", "nsqd": ["nsqd-1"], "work": "exp(50ms)", "lookupd_poll_interval": "500ms" }
    ]
  },
  "goroutines": [
    { "name": "producer", "behavior": { "program": [
      { "forever": [{ "sleep": "exp(20ms)" }, { "publish": { "nsqd": "nsqd-1", "topic": "events" } }] }
    ] } }
  ]
}"#;

fn world() -> World {
    World::new(&Scenario::from_json(TWO).expect("valid")).expect("builds")
}

fn at(ms: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_millis(ms)
}

fn nsq(w: &World) -> NsqView {
    w.snapshot().nsq.expect("nsq").into_inner()
}

fn jobs(v: &NsqView) -> NsqChannelView {
    v.nodes[0].topics.iter().find(|t| t.name == "events").expect("events").channels.iter().find(|c| c.name == "jobs").expect("jobs").clone()
}

fn count(w: &World, k: EventKind) -> usize {
    w.trace().events().filter(|e| e.kind == k).count()
}

fn cmd(json: &str) -> Command {
    serde_json::from_str(json).expect("a command")
}

#[test]
fn commands_parse_from_json() {
    assert_eq!(cmd(r#"{"op":"nsqd_crash","nsqd":"nsqd-1"}"#), Command::NsqdCrash { nsqd: "nsqd-1".into() });
    assert_eq!(
        cmd(r#"{"op":"nsq","action":"pause","nsqd":"nsqd-1","topic":"events","channel":"jobs"}"#),
        Command::Nsq { action: NsqAction::Pause, nsqd: "nsqd-1".into(), topic: "events".into(), channel: Some("jobs".into()) }
    );
    assert!(serde_json::from_str::<Command>(r#"{"op":"nsq","action":"explode","nsqd":"n","topic":"t"}"#).is_err());
}

#[test]
fn refused_commands_change_nothing() {
    let mut w = world();
    w.run_until(at(300));
    let before = w.trace_hash();
    for c in [
        r#"{"op":"nsqd_crash","nsqd":"nope"}"#,
        r#"{"op":"nsqd_restart","nsqd":"nsqd-1"}"#,
        r#"{"op":"consumer_start","consumer":"a"}"#,
        r#"{"op":"consumer_crash","consumer":"zed"}"#,
        r#"{"op":"set_consumer","consumer":"a","max_in_flight":9999}"#,
        r#"{"op":"set_consumer","consumer":"a","failure_rate":1.5}"#,
        r#"{"op":"nsq","action":"empty","nsqd":"nsqd-1","topic":"events","channel":"nope"}"#,
        r#"{"op":"nsq","action":"delete","nsqd":"nsqd-2","topic":"events"}"#,
        r#"{"op":"nsq","action":"create","nsqd":"nsqd-1","topic":"bad name!"}"#,
        r#"{"op":"cut_link","client":"producer","nsqd":"nsqd-2"}"#,
        r#"{"op":"cut_link","client":"nobody","nsqd":"nsqd-1"}"#,
    ] {
        let e = w.apply(&cmd(c));
        assert!(e.is_err(), "{c} is refused");
        assert!(!e.unwrap_err().to_string().is_empty());
    }
    assert_eq!(w.trace_hash(), before);
    assert!(w.scenario_with_log().commands.is_empty());
}

/// nsqd `nsqd.go` Exit / a kill -9: an unclean crash loses memory and in
/// flight; consumers reconnect once it is back.
#[test]
fn an_unclean_crash_loses_memory_and_consumers_reconnect_after_restart() {
    let mut w = world();
    // b pauses its work so messages pile up in memory.
    w.apply(&cmd(r#"{"op":"nsq","action":"pause","nsqd":"nsqd-1","topic":"events","channel":"jobs"}"#)).unwrap();
    w.run_until(at(1_000));
    let queued = jobs(&nsq(&w)).depth;
    assert!(queued > 20, "the paused channel holds {queued}");
    w.apply(&cmd(r#"{"op":"nsqd_crash","nsqd":"nsqd-1"}"#)).unwrap();
    assert_eq!(count(&w, EventKind::NsqNodeCrash), 1);
    assert_eq!(jobs(&nsq(&w)).depth, 0, "memory is gone");
    assert_eq!(count(&w, EventKind::NsqConnClosed), 2, "both consumers lose their connection");
    // While it is down, publishes fail and reconnects are refused.
    w.run_until(at(2_000));
    assert!(count(&w, EventKind::NsqPublishFailed) > 10);
    assert!(w.snapshot().totals.dropped > 10, "failed publishes lose their values");
    w.apply(&cmd(r#"{"op":"nsqd_restart","nsqd":"nsqd-1"}"#)).unwrap();
    w.run_until(at(4_000));
    let ch = jobs(&nsq(&w));
    assert_eq!(ch.clients.len(), 2, "both consumers are back");
    assert!(count(&w, EventKind::NsqConnected) >= 4);
    assert!(ch.message_count > 0);
}

/// go-diskqueue `retrieveMetaData` (nsq.md section 5: "a stale read position can also
/// cause duplicates"): everything goes through disk (`mem_queue_size` 0); a
/// backlog written and synced while the channel is paused is drained after
/// the unpause, and nsqd crashes before its next 2 s sync. The restarted
/// queue reads from the last sync's read position: the drained messages
/// come again, and those already finished are handled twice.
#[test]
fn an_unclean_crash_rewinds_the_disk_reads_since_the_last_sync() {
    let json = TWO.replace(r#""name": "nsqd-1", "msg_timeout": "1s","#, r#""name": "nsqd-1", "msg_timeout": "1s", "mem_queue_size": 0,"#);
    let mut w = World::new(&Scenario::from_json(&json).expect("valid")).expect("builds");
    w.apply(&cmd(r#"{"op":"nsq","action":"pause","nsqd":"nsqd-1","topic":"events","channel":"jobs"}"#)).unwrap();
    w.run_until(at(2_100)); // the 2 s sync tick persisted the backlog
    let backlog = jobs(&nsq(&w)).backend_depth;
    assert!(backlog > 60, "the paused channel holds {backlog} on disk");
    w.apply(&cmd(r#"{"op":"nsq","action":"unpause","nsqd":"nsqd-1","topic":"events","channel":"jobs"}"#)).unwrap();
    w.run_until(at(3_000));
    let g = |w: &World| nsq(w).guarantees.into_iter().find(|g| g.channel == "jobs").expect("jobs");
    let before = g(&w);
    assert!(before.finished > 20, "{before:?}");
    assert_eq!(before.handled_more_than_once, 0, "{before:?}");
    w.apply(&cmd(r#"{"op":"nsqd_crash","nsqd":"nsqd-1"}"#)).unwrap();
    w.check_nsq_book().unwrap();
    let depth = jobs(&nsq(&w)).backend_depth;
    assert!(depth > backlog - 10, "the reads since the sync are undone: {depth} of {backlog} queued again");
    w.apply(&cmd(r#"{"op":"nsqd_restart","nsqd":"nsqd-1"}"#)).unwrap();
    w.run_until(at(8_000));
    w.check_nsq_book().unwrap();
    let after = g(&w);
    assert!(
        after.handled_more_than_once >= before.finished.saturating_sub(10),
        "the {} finished before the crash are handled again: {after:?}",
        before.finished
    );
    // Nothing of the synced backlog is lost: only writes since the sync
    // (published after the backlog was counted, give or take the few
    // written between the tick and then).
    let lost: u64 = after.lost.iter().map(|l| l.1).sum();
    assert!(lost > 0 && lost <= before.published - backlog + 10, "{lost} lost of {} published since: {after:?}", before.published - backlog);
}

/// The topic's own disk queue is rewound too: a paused topic's synced
/// backlog (the topic, not the channel, holds it) is copied to the channel
/// at the unpause; after a crash before the next sync the topic copies it
/// again, so the copies the worker finished come back and the ones the
/// crash took from the channel (unsynced writes there) are not lost.
#[test]
fn an_unclean_crash_rewinds_the_topic_s_disk_reads_too() {
    let json = TWO.replace(r#""name": "nsqd-1", "msg_timeout": "1s","#, r#""name": "nsqd-1", "msg_timeout": "1s", "mem_queue_size": 0,"#);
    let mut w = World::new(&Scenario::from_json(&json).expect("valid")).expect("builds");
    w.apply(&cmd(r#"{"op":"nsq","action":"pause","nsqd":"nsqd-1","topic":"events"}"#)).unwrap();
    w.run_until(at(2_100));
    let held = nsq(&w).nodes[0].topics.iter().find(|t| t.name == "events").unwrap().depth;
    assert!(held > 60, "the paused topic holds {held}");
    w.apply(&cmd(r#"{"op":"nsq","action":"unpause","nsqd":"nsqd-1","topic":"events"}"#)).unwrap();
    w.run_until(at(2_600));
    let g = |w: &World| nsq(w).guarantees.into_iter().find(|g| g.channel == "jobs").expect("jobs");
    let before = g(&w);
    assert!(before.finished > 5, "{before:?}");
    w.apply(&cmd(r#"{"op":"nsqd_crash","nsqd":"nsqd-1"}"#)).unwrap();
    w.check_nsq_book().unwrap();
    assert!(jobs(&nsq(&w)).depth + 10 > held, "the topic copied its backlog again: {} of {held}", jobs(&nsq(&w)).depth);
    let crashed = g(&w);
    // Lost: only what was written after the last sync (what came after the
    // backlog was counted, and the few written between the tick and then).
    let lost: u64 = crashed.lost.iter().map(|l| l.1).sum();
    assert!(lost <= crashed.published - held + 10, "{lost} lost, {} published after the backlog: {crashed:?}", crashed.published - held);
    w.apply(&cmd(r#"{"op":"nsqd_restart","nsqd":"nsqd-1"}"#)).unwrap();
    w.run_until(at(8_000));
    w.check_nsq_book().unwrap();
    let after = g(&w);
    assert!(after.handled_more_than_once + 5 >= before.finished, "{before:?} then {after:?}");
}

#[test]
fn the_guide_s_rewind_run_gives_the_figures_its_answer_says() {
    // book/src/nsq.md, "A crash right after the disk drains".
    let s = Scenario::from_json(include_str!("../../book/src/scenarios/nsq-crash-rewind.json")).expect("valid");
    let mut w = World::new(&s).expect("builds");
    let g = |w: &World| nsq(w).guarantees.into_iter().find(|g| g.channel == "jobs").expect("jobs");
    w.run_until(at(7_499));
    let before = g(&w);
    assert_eq!((before.finished, before.handled_more_than_once, before.lost.len()), (before.published - before.live, 0, 0), "{before:?}");
    assert!(jobs(&nsq(&w)).depth < 10, "the backlog is drained");
    w.run_until(at(7_500));
    let ch = jobs(&nsq(&w));
    assert_eq!((ch.depth, ch.backend_depth), (187, 187), "queued again, all on disk");
    w.run_until(at(15_000));
    w.check_nsq_book().unwrap();
    let after = g(&w);
    assert_eq!(after.handled_more_than_once, 187, "{after:?}");
    assert_eq!(after.lost, vec![(LossCause::UncleanCrash, 2), (LossCause::PublishFailed, 34)], "{after:?}");
}

/// nsqd `channel.go` `flush`: a clean stop writes memory, in flight and
/// deferred to disk; after the restart every message is delivered.
#[test]
fn a_clean_stop_keeps_everything_for_the_restart() {
    let mut w = world();
    w.apply(&cmd(r#"{"op":"nsq","action":"pause","nsqd":"nsqd-1","topic":"events","channel":"jobs"}"#)).unwrap();
    w.run_until(at(1_000));
    let queued = jobs(&nsq(&w)).depth + jobs(&nsq(&w)).in_flight;
    w.apply(&cmd(r#"{"op":"nsqd_stop","nsqd":"nsqd-1"}"#)).unwrap();
    let ch = jobs(&nsq(&w));
    assert_eq!(ch.backend_depth, queued, "all on disk");
    w.apply(&cmd(r#"{"op":"nsqd_restart","nsqd":"nsqd-1"}"#)).unwrap();
    w.apply(&cmd(r#"{"op":"nsq","action":"unpause","nsqd":"nsqd-1","topic":"events","channel":"jobs"}"#)).unwrap_or(());
    w.run_until(at(5_000));
    let ch = jobs(&nsq(&w));
    let finished: u64 = ch.clients.iter().map(|c| c.finish_count).sum();
    assert!(finished >= queued, "the {queued} saved messages were delivered ({finished} finished)");
}

/// go-nsq: a crashed consumer's in-flight messages stay in flight at nsqd
/// until their msg timeout (nsqd `channel.go` `processInFlightQueue`), then
/// go to the other consumer.
#[test]
fn a_crashed_consumers_messages_wait_for_their_timeout() {
    let mut w = world();
    w.run_until(at(500));
    // Crash a while it holds two messages.
    let a_in_flight = |w: &World| jobs(&nsq(w)).clients.iter().find(|c| c.name.starts_with("a ")).map_or(0, |c| c.in_flight_count);
    while a_in_flight(&w) < 2 {
        w.step();
    }
    let in_flight = jobs(&nsq(&w)).in_flight;
    w.apply(&cmd(r#"{"op":"consumer_crash","consumer":"a"}"#)).unwrap();
    assert_eq!(jobs(&nsq(&w)).in_flight, in_flight, "a's messages stay in flight at nsqd");
    assert_eq!(jobs(&nsq(&w)).clients.len(), 1, "nsqd saw a's connection close");
    assert!(w.snapshot().goroutines.iter().all(|g| !g.name.starts_with("a.")), "a's goroutines are gone");
    let timeouts = jobs(&nsq(&w)).timeout_count;
    let crashed_at = w.now();
    w.run_until(crashed_at + SimDuration::from_millis(1_100));
    assert!(jobs(&nsq(&w)).timeout_count >= timeouts + 2, "they time out after msg_timeout (1s)");
    assert!(w.apply(&cmd(r#"{"op":"consumer_crash","consumer":"a"}"#)).is_err(), "already down");
    w.apply(&cmd(r#"{"op":"consumer_start","consumer":"a"}"#)).unwrap();
    w.run_until(at(2_500));
    assert_eq!(jobs(&nsq(&w)).clients.len(), 2, "a is back");
    assert!(w.snapshot().goroutines.iter().any(|g| g.name.starts_with("a.handler")));
}

/// go-nsq `Stop()`: CLS, in-flight messages finish, then the connection
/// closes and the handlers return; nothing times out.
#[test]
fn a_clean_consumer_stop_finishes_its_messages() {
    let mut w = world();
    w.run_until(at(500));
    let timeouts = jobs(&nsq(&w)).timeout_count;
    w.apply(&cmd(r#"{"op":"consumer_stop","consumer":"a"}"#)).unwrap();
    w.run_until(at(2_000));
    let ch = jobs(&nsq(&w));
    assert_eq!(ch.timeout_count, timeouts, "nothing was left to time out");
    assert_eq!(ch.clients.len(), 1, "a's connection closed");
    assert!(w.snapshot().goroutines.iter().all(|g| !g.name.starts_with("a.")));
    assert!(w.apply(&cmd(r#"{"op":"consumer_stop","consumer":"a"}"#)).is_err());
}

/// nsqd `/channel/delete`: its consumers are disconnected; their reconnect
/// re-creates the channel, empty.
#[test]
fn deleting_a_channel_disconnects_and_a_reconnect_recreates_it() {
    let mut w = world();
    w.run_until(at(500));
    w.apply(&cmd(r#"{"op":"nsq","action":"delete","nsqd":"nsqd-1","topic":"events","channel":"jobs"}"#)).unwrap();
    let v = nsq(&w);
    assert!(v.nodes[0].topics[0].channels.is_empty());
    w.run_until(at(1_500));
    let ch = jobs(&nsq(&w));
    assert_eq!(ch.clients.len(), 2, "both reconnected");
    assert!(w.apply(&cmd(r#"{"op":"nsq","action":"empty","nsqd":"nsqd-1","topic":"events","channel":"jobs"}"#)).is_ok());
}

#[test]
fn a_cut_link_holds_frames_until_healed() {
    let mut w = world();
    w.run_until(at(300));
    w.apply(&cmd(r#"{"op":"cut_link","client":"producer","nsqd":"nsqd-1"}"#)).unwrap();
    let published = nsq(&w).nodes[0].topics[0].message_count;
    w.run_until(at(800));
    assert_eq!(nsq(&w).nodes[0].topics[0].message_count, published, "nothing passes");
    let g = w.snapshot().goroutines.into_iter().find(|g| g.name == "producer").expect("producer");
    assert_eq!(g.state, queuelab::observe::snapshot::GState::BlockedNet, "the Publish waits");
    w.apply(&cmd(r#"{"op":"heal_link","client":"producer","nsqd":"nsqd-1"}"#)).unwrap();
    w.run_until(at(1_000));
    assert!(nsq(&w).nodes[0].topics[0].message_count > published);
}

#[test]
fn set_consumer_changes_max_in_flight_live() {
    let mut w = world();
    w.run_until(at(300));
    w.apply(&cmd(r#"{"op":"set_consumer","consumer":"a","max_in_flight":1}"#)).unwrap();
    w.run_until(at(600));
    let ch = jobs(&nsq(&w));
    let a = ch.clients.iter().find(|c| c.name.starts_with("a ")).expect("a");
    assert_eq!(a.ready_count, 1);
}

/// A shared link replays every NSQ command exactly.
#[test]
fn nsq_commands_replay_exactly() {
    let mut w = world();
    let script = [
        (200, r#"{"op":"consumer_crash","consumer":"a"}"#),
        (400, r#"{"op":"nsqd_crash","nsqd":"nsqd-1"}"#),
        (700, r#"{"op":"nsqd_restart","nsqd":"nsqd-1"}"#),
        (900, r#"{"op":"consumer_start","consumer":"a"}"#),
        (1_100, r#"{"op":"nsq","action":"pause","nsqd":"nsqd-1","topic":"events","channel":"jobs"}"#),
        (1_300, r#"{"op":"nsq","action":"empty","nsqd":"nsqd-1","topic":"events","channel":"jobs"}"#),
        (1_400, r#"{"op":"nsq","action":"unpause","nsqd":"nsqd-1","topic":"events","channel":"jobs"}"#),
        (1_500, r#"{"op":"consumer_stop","consumer":"b"}"#),
        (1_700, r#"{"op":"nsqd_stop","nsqd":"nsqd-1"}"#),
        (1_800, r#"{"op":"nsqd_restart","nsqd":"nsqd-1"}"#),
    ];
    for (t, c) in script {
        w.run_until(at(t));
        w.apply(&cmd(c)).unwrap_or_else(|e| panic!("{c}: {e}"));
        w.check_nsq_book().unwrap_or_else(|e| panic!("after {c}: {e}"));
    }
    w.run_until(at(3_000));
    let mut replay = World::from_json(&w.scenario_with_log().to_json()).unwrap();
    replay.run_until(at(3_000));
    assert_eq!(replay.trace_hash(), w.trace_hash());
    assert_eq!(replay.snapshot().totals, w.snapshot().totals);
}

/// A timed command of the scenario that names nothing in the run is not
/// applied: the snapshot says which and why (the page shows it), and the
/// run goes on without it.
#[test]
fn a_scenario_command_naming_no_consumer_is_a_notice_and_the_run_goes_on() {
    let json = TWO.replace(
        r#""seed": 4,"#,
        r#""seed": 4, "commands": [{ "at": "1s", "command": { "op": "set_consumer", "consumer": "nope", "max_in_flight": 1 } }],"#,
    );
    let mut w = World::new(&Scenario::from_json(&json).expect("valid")).expect("builds");
    w.run_until(at(999));
    assert!(w.snapshot().notices.is_empty());
    w.run_until(at(1_000));
    assert_eq!(w.snapshot().notices, vec![r#"command at 1s: no NSQ consumer named "nope""#.to_string()]);
    let events = w.snapshot().events_total;
    w.run_until(at(2_000));
    assert_eq!(w.snapshot().time_us, 2_000_000);
    assert!(w.snapshot().events_total > events, "the run goes on");
    assert_eq!(w.snapshot().notices.len(), 1, "said once");
}
