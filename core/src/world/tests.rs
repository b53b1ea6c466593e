use super::*;
use crate::observe::snapshot::RunStatus;
use crate::scenario::GoroutineSpec;

fn world(json: &str) -> World {
    World::from_json(json).unwrap_or_else(|e| panic!("{e}"))
}

const CLASSIC: &str = r#"{
  "channels": [{"name": "ch"}],
  "goroutines": [
    {"name": "producer", "behavior": {"program": [
      {"repeat": {"times": 10, "body": [{"send": "ch"}]}}, {"close": "ch"}]}},
    {"name": "consumer", "behavior": {"program": [{"range": {"ch": "ch", "body": [{"work": "1ms"}]}}]}}
  ]}"#;

#[test]
fn classic_program_delivers_all_in_order_and_finishes() {
    let mut w = world(CLASSIC);
    w.run_until(SimTime::from_micros(1_000_000));
    assert_eq!(w.status(), RunStatus::Finished, "{}", w.status_text());
    let s = w.snapshot();
    assert_eq!(s.totals.produced, 10);
    assert_eq!(s.totals.delivered, 10);
    assert_eq!(s.totals.processed, 10);
    let received: Vec<i64> =
        w.trace().events().filter(|e| e.kind == EventKind::Received).map(|e| e.msg_value).collect();
    assert_eq!(received, (0..10).collect::<Vec<_>>());
    // Unbuffered: the producer blocks while the consumer works.
    assert!(s.goroutines[0].blocked_send_us > 0);
    assert_eq!(w.now(), SimTime::from_micros(10_000), "clock stops when the program ends");
}

#[test]
fn forgotten_close_is_gos_deadlock_with_wait_for_list() {
    let mut w = world(
        r#"{"channels":[{"name":"jobs","capacity":2}],"waitgroups":["done"],
        "goroutines":[
          {"name":"producer","behavior":{"producer":{"to":"jobs","count":3,"interval":"1ms"}}},
          {"name":"consumer","behavior":{"consumer":{"from":"jobs","wg":"done"}}},
          {"name":"main","behavior":{"program":[{"wg_wait":"done"}]}}]}"#,
    );
    w.run_until(SimTime::from_micros(1_000_000));
    assert_eq!(w.status(), RunStatus::Deadlock);
    let d = w.deadlock().unwrap();
    assert_eq!(d.go_message.as_deref(), Some("fatal error: all goroutines are asleep - deadlock!"));
    let names: Vec<_> = d.stuck.iter().map(|s| (s.name.as_str(), s.waits_on.as_str())).collect();
    assert_eq!(names, [("consumer", "receive from jobs"), ("main", "done.Wait()")]);
}

#[test]
fn partial_deadlock_is_flagged_while_others_run() {
    let mut w = world(
        r#"{"channels":[{"name":"lost"},{"name":"jobs"}],
        "goroutines":[
          {"name":"orphan","behavior":{"program":[{"send":"lost"}]}},
          {"name":"producer","behavior":{"producer":{"to":"jobs","interval":"10ms"}}},
          {"name":"consumer","behavior":{"consumer":{"from":"jobs"}}}]}"#,
    );
    w.run_until(SimTime::from_micros(500_000));
    assert_eq!(w.status(), RunStatus::Running);
    let d = w.deadlock().expect("partial deadlock reported");
    assert_eq!(d.go_message, None, "Go never reports a partial deadlock");
    assert_eq!(d.stuck.len(), 1);
    assert_eq!(d.stuck[0].name, "orphan");
    let s = w.snapshot();
    assert!(s.goroutines[0].stuck && !s.goroutines[2].stuck);
    assert!(s.goroutines[0].state_text.contains("stuck forever"), "{}", s.goroutines[0].state_text);
}

#[test]
fn send_on_closed_channel_panics_and_ends_the_program() {
    let mut w = world(
        r#"{"channels":[{"name":"c","capacity":5}],
        "goroutines":[
          {"name":"a","behavior":{"program":[{"send":"c"},{"close":"c"}]}},
          {"name":"b","behavior":{"program":[{"sleep":"1ms"},{"send":"c"}]}}]}"#,
    );
    w.run_until(SimTime::from_micros(10_000));
    assert_eq!(w.status(), RunStatus::Panicked);
    let p = w.panic_report().unwrap();
    assert_eq!((p.name.as_str(), p.message.as_str()), ("b", "send on closed channel"));
    assert!(p.text.starts_with("panic: send on closed channel\n\ngoroutine 2 [running]:"));
    assert!(!w.step());
    assert!(w.apply(&Command::CloseChannel { channel: "c".into() }).is_err());
}

#[test]
fn live_capacity_growth_admits_parked_senders() {
    let mut w = world(
        r#"{"channels":[{"name":"c"}],
        "goroutines":[{"name":"p","count":3,"behavior":{"program":[{"send":"c"}]}},
                      {"name":"idle","behavior":{"program":[{"sleep":"1h"}]}}]}"#,
    );
    w.run_until(SimTime::from_micros(10));
    assert_eq!(w.snapshot().channels[0].sendq_len, 3);
    w.apply(&Command::SetCapacity { channel: "c".into(), capacity: 2 }).unwrap();
    let s = w.snapshot();
    assert_eq!(s.channels[0].len, 2);
    assert_eq!(s.channels[0].sendq_len, 1);
    let labels: Vec<_> = s.channels[0].buffer.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["p-1#0", "p-2#0"], "FIFO admission");
    assert!(w.apply(&Command::SetCapacity { channel: "c".into(), capacity: 2_000_000 }).is_err());
    assert!(w.apply(&Command::SetCapacity { channel: "nope".into(), capacity: 1 }).is_err());
}

#[test]
fn removing_a_goroutine_drops_its_value_and_withdraws_its_wait() {
    let mut w = world(
        r#"{"channels":[{"name":"c"}],
        "goroutines":[{"name":"p","behavior":{"program":[{"send":"c"}]}},
                      {"name":"idle","behavior":{"program":[{"sleep":"1h"}]}}]}"#,
    );
    w.run_until(SimTime::from_micros(10));
    w.apply(&Command::RemoveGoroutine { goroutine: "p".into() }).unwrap();
    let s = w.snapshot();
    assert_eq!(s.channels[0].sendq_len, 0);
    assert_eq!(s.totals.dropped, 1);
    assert_eq!(s.totals.live, 0);
    assert!(matches!(
        w.apply(&Command::RemoveGoroutine { goroutine: "p".into() }),
        Err(CommandError::NoSuchGoroutine(_))
    ));
}

#[test]
fn select_default_drops_when_full_and_timeout_fires() {
    let mut w = world(
        r#"{"channels":[{"name":"c","capacity":1}],
        "goroutines":[
          {"name":"p","behavior":{"producer":{"to":"c","interval":"1ms","count":10,"drop_when_full":true}}},
          {"name":"q","behavior":{"consumer":{"from":"c","work":"5ms","timeout":"100ms"}}}]}"#,
    );
    w.run_until(SimTime::from_micros(400_000));
    let s = w.snapshot();
    assert_eq!(s.totals.produced, 10);
    assert!(s.totals.dropped >= 5, "{:?}", s.totals);
    assert_eq!(s.totals.dropped + s.totals.processed + s.totals.live, 10);
    assert!(w.trace().events().any(|e| e.kind == EventKind::SelectChose && e.aux == -2), "timeout case fired");
}

#[test]
fn live_commands_are_logged_and_replay_identically() {
    let json = r#"{"seed":5,"channels":[{"name":"jobs","capacity":2}],
        "goroutines":[
          {"name":"p","behavior":{"producer":{"to":"jobs","interval":{"exponential":{"mean":"3ms"}}}}},
          {"name":"c","behavior":{"consumer":{"from":"jobs","work":{"exponential":{"mean":"5ms"}}}}}]}"#;
    let mut a = world(json);
    a.run_until(SimTime::from_micros(50_000));
    a.step();
    a.apply(&Command::SetCount { group: "c".into(), count: 3 }).unwrap();
    a.run_until(SimTime::from_micros(120_000));
    a.apply(&Command::SetRates { group: "p".into(), interval: Some(Dist::Constant(SimDuration::from_millis(1))), work: None }).unwrap();
    a.apply(&Command::SetCapacity { channel: "jobs".into(), capacity: 0 }).unwrap();
    a.run_until(SimTime::from_micros(300_000));
    let shared = a.scenario_with_log().to_json();
    let mut b = World::from_json(&shared).unwrap();
    b.run_until(SimTime::from_micros(300_000));
    assert_eq!(a.trace_hash(), b.trace_hash());
    assert_eq!(a.snapshot(), b.snapshot());
}

#[test]
fn a_step_keyed_command_never_moves_the_clock_past_a_pending_event() {
    // A hand-edited log: at step 3, "at 10s", while the producer's next
    // wake-up is due at 2ms. The command applies then; time never runs
    // backwards, and the recorded log says when it really applied.
    let mut s = Scenario::from_json(CLASSIC).unwrap();
    s.commands = vec![TimedCommand {
        at: SimDuration::from_secs(10),
        step: Some(3),
        command: Command::SetCapacity { channel: "ch".into(), capacity: 2 },
    }];
    let mut w = World::new(&s).unwrap();
    w.run_until(SimTime::from_micros(1_000_000));
    assert_eq!(w.status(), RunStatus::Finished, "{}", w.status_text());
    let times: Vec<u64> = w.trace().events().map(|e| e.time.as_micros()).collect();
    assert!(times.windows(2).all(|p| p[0] <= p[1]), "trace times go backwards: {times:?}");
    let log = w.scenario_with_log().commands;
    assert_eq!(log.len(), 1);
    assert!(log[0].at < SimDuration::from_secs(10), "recorded at {}", log[0].at);
    let mut replay = World::new(&w.scenario_with_log()).unwrap();
    replay.run_until(SimTime::from_micros(1_000_000));
    assert_eq!(replay.trace_hash(), w.trace_hash());
}

#[test]
fn invalid_commands_change_nothing() {
    let mut w = world(CLASSIC);
    w.run_until(SimTime::from_micros(2_500));
    let before = (w.snapshot(), w.trace_hash());
    for cmd in [
        Command::SetRates { group: "consumer".into(), interval: Some(Dist::Constant(SimDuration::ZERO)), work: None },
        Command::SetCount { group: "nope".into(), count: 2 },
        Command::SetCount { group: "consumer".into(), count: 2001 },
        Command::Pause { goroutine: "ghost".into() },
        Command::AddGoroutine { spec: GoroutineSpec { name: "producer".into(), count: 1, behavior: crate::gochan::behavior::Behavior::Program(vec![]) } },
    ] {
        assert!(w.apply(&cmd).is_err(), "{cmd:?}");
    }
    assert_eq!((w.snapshot(), w.trace_hash()), before);
}

#[test]
fn pause_holds_a_goroutine_and_resume_continues() {
    let mut w = world(CLASSIC);
    w.apply(&Command::Pause { goroutine: "producer".into() }).unwrap();
    w.run_until(SimTime::from_micros(50_000));
    assert_eq!(w.snapshot().totals.produced, 0);
    assert_eq!(w.status(), RunStatus::Running, "a paused goroutine is not a deadlock");
    w.apply(&Command::Resume { goroutine: "producer".into() }).unwrap();
    w.run_until(SimTime::from_micros(200_000));
    assert_eq!(w.status(), RunStatus::Finished);
}

use crate::command::{Command, CommandError};
use crate::dist::Dist;

#[test]
fn a_command_that_releases_a_stuck_goroutine_clears_its_stuck_flag_at_once() {
    let mut w = world(
        r#"{"channels":[{"name":"lost"}],
        "goroutines":[{"name":"orphan","behavior":{"program":[{"send":"lost"},{"sleep":"1h"}]}},
                      {"name":"idle","behavior":{"program":[{"sleep":"1h"}]}}]}"#,
    );
    w.run_until(SimTime::from_micros(150_000));
    assert!(w.snapshot().goroutines[0].stuck, "flagged at the 100ms sample");
    w.apply(&Command::SetCapacity { channel: "lost".into(), capacity: 1 }).unwrap();
    let s = w.snapshot();
    assert!(!s.goroutines[0].stuck, "released by the command: {}", s.goroutines[0].state_text);
    assert!(w.deadlock().is_none(), "{:?}", w.deadlock());
    assert!(!s.goroutines[0].state_text.contains("stuck forever"));
}

#[test]
fn a_sender_flagged_stuck_that_panics_is_no_longer_reported_stuck() {
    let mut w = world(
        r#"{"channels":[{"name":"lost"}],
        "goroutines":[{"name":"orphan","behavior":{"program":[{"send":"lost"}]}},
                      {"name":"idle","behavior":{"program":[{"sleep":"1h"}]}}]}"#,
    );
    w.run_until(SimTime::from_micros(150_000));
    assert!(w.snapshot().goroutines[0].stuck);
    w.apply(&Command::CloseChannel { channel: "lost".into() }).unwrap();
    assert_eq!(w.status(), RunStatus::Panicked);
    let s = w.snapshot();
    assert!(!s.goroutines[0].stuck, "{}", s.goroutines[0].state_text);
    assert!(s.deadlock.is_none(), "{:?}", s.deadlock);
}

#[test]
fn a_select_that_panics_leaves_no_wait_on_its_other_channels() {
    let mut w = world(
        r#"{"channels":[{"name":"out"},{"name":"quit"}],
        "goroutines":[{"name":"sel","behavior":{"program":[{"select":{"cases":[{"recv":"quit"},{"send":"out"}]}}]}},
                      {"name":"closer","behavior":{"program":[{"sleep":"1ms"},{"close":"out"}]}}]}"#,
    );
    w.run_until(SimTime::from_micros(10_000));
    assert_eq!(w.status(), RunStatus::Panicked);
    assert_eq!(w.panic_report().unwrap().name, "sel");
    let s = w.snapshot();
    assert_eq!((s.channels[0].sendq_len, s.channels[1].recvq_len), (0, 0), "{:?}", s.channels);
    assert_eq!(s.totals.live, 0);
}

#[test]
fn new_instances_never_reuse_a_goroutine_name() {
    let mut w = world(
        r#"{"goroutines":[{"name":"p","behavior":{"program":[{"sleep":"1s"}]}},
                          {"name":"p-2","behavior":{"program":[{"sleep":"1s"}]}}]}"#,
    );
    w.apply(&Command::SetCount { group: "p".into(), count: 2 }).unwrap();
    let names: Vec<String> = w.snapshot().goroutines.iter().map(|g| g.name.clone()).collect();
    assert_eq!(names, ["p", "p-2", "p-3"]);
    let spec: GoroutineSpec =
        serde_json::from_str(r#"{"name":"p","count":3,"behavior":{"program":[{"sleep":"1s"}]}}"#).unwrap();
    let spec = GoroutineSpec { name: "q".into(), ..spec };
    w.apply(&Command::AddGoroutine { spec: spec.clone() }).unwrap();
    // A group "p-3" (one goroutine named "p-3") would collide with p's instance.
    let clash = GoroutineSpec { name: "p-3".into(), count: 1, ..spec };
    assert!(matches!(w.apply(&Command::AddGoroutine { spec: clash }), Err(CommandError::NotApplicable(_))));
}

/// A stage that reads and writes the same channel with no work: it spins.
const SPIN: &str = r#"{"trace_capacity":1000000,"channels":[{"name":"loop","capacity":1}],
    "goroutines":[{"name":"seed","behavior":{"program":[{"send":"loop"}]}},
                  {"name":"spin","behavior":{"stage":{"from":"loop","to":"loop"}}}]}"#;

#[test]
fn a_zero_time_cycle_yields_and_time_moves_on() {
    let mut w = world(SPIN);
    assert!(w.run_until_bounded(SimTime::from_micros(10_000), 10_000_000));
    assert_eq!(w.now(), SimTime::from_micros(10_000));
    let yields = w.trace().events().filter(|e| e.kind == EventKind::Yield).count();
    assert!((9..=11).contains(&yields), "one yield per millisecond, got {yields}");
}

#[test]
fn a_spinning_goroutine_yields_after_exactly_the_budget_of_steps() {
    // Each turn of `for v := range loop { loop <- v }` receives once and
    // jumps back once. Between two yields it starts to run once (a step)
    // and turns `OP_BUDGET - 1` times.
    let mut w = world(SPIN);
    w.run_until(SimTime::from_micros(2_500));
    let kinds: Vec<EventKind> = w.trace().events().map(|e| e.kind).collect();
    let yields: Vec<usize> = (0..kinds.len()).filter(|&i| kinds[i] == EventKind::Yield).collect();
    assert!(yields.len() >= 2, "it yields once per millisecond");
    let turns = kinds[yields[0]..yields[1]].iter().filter(|k| **k == EventKind::Received).count();
    assert_eq!(turns, super::OP_BUDGET as usize - 1);
}

#[test]
fn bounded_runs_stop_early_and_split_runs_are_identical() {
    let json = crate::presets::get("wait-group").unwrap().json;
    let mut a = world(json);
    let mut b = world(json);
    a.run_until(SimTime::from_micros(2_000_000));
    let mut calls = 0;
    while !b.run_until_bounded(SimTime::from_micros(2_000_000), 7) {
        calls += 1;
        assert!(b.now() <= SimTime::from_micros(2_000_000));
    }
    assert!(calls > 10, "seven events per call cannot reach 2s at once");
    assert_eq!(b.now(), SimTime::from_micros(2_000_000));
    assert_eq!((a.trace_hash(), a.snapshot()), (b.trace_hash(), b.snapshot()));
}

#[test]
fn a_limited_run_stops_on_work_as_well_as_on_events_and_splits_exactly() {
    // A producer that never waits, dropping into a full channel: each kernel
    // event is a whole step budget of loop turns.
    let json = r#"{"trace_capacity":0,"channels":[{"name":"c","capacity":1}],"goroutines":[
        {"name":"p","behavior":{"producer":{"to":"c","drop_when_full":true,
            "interval":{"bursts":{"on":"1s","off":"1ms","interval":"0"}}}}}]}"#;
    let mut a = world(json);
    let before = a.trace().total();
    assert!(!a.run_until_limited(SimTime::from_micros(1_000_000), 200_000, 50_000));
    let recorded = a.trace().total() - before;
    assert!((50_000..50_000 + 16 * 3 * super::OP_BUDGET as u64).contains(&recorded), "{recorded}");
    // Split anywhere, the run is the same.
    while !a.run_until_limited(SimTime::from_micros(20_000), 200_000, 50_000) {}
    let mut b = world(json);
    b.run_until(SimTime::from_micros(20_000));
    assert_eq!((a.trace_hash(), a.snapshot()), (b.trace_hash(), b.snapshot()));
}

/// The totals add up at every moment, on every preset: `produced =
/// processed + dropped + filtered + published + live` and `live = buffered
/// + processing + in_transit`.
#[test]
fn totals_add_up_on_every_preset() {
    for p in crate::presets::ALL {
        let mut w = World::new(&p.scenario()).unwrap();
        for i in 1..=60 {
            w.run_until(SimTime::from_micros(i * 250_000));
            let t = w.snapshot().totals;
            assert_eq!(t.produced, t.processed + t.dropped + t.filtered + t.published + t.live, "{} at {}: {t:?}", p.name, w.now());
            assert_eq!(t.live, t.buffered + t.processing + t.in_transit, "{} at {}: {t:?}", p.name, w.now());
        }
    }
}

/// `add_channel` makes a channel that goroutines added later use; the run
/// replays from its link, and a duplicate or bad name is refused.
#[test]
fn add_channel_then_a_stage_through_it_replays() {
    use crate::command::Command;
    let mut w = World::new(&crate::presets::get("buffered").unwrap().scenario()).unwrap();
    w.run_until(SimTime::from_micros(300_000));
    let ch = w.snapshot().channels[0].name.clone();
    w.apply(&Command::AddChannel { name: "out".into(), capacity: 2 }).unwrap();
    assert!(w.apply(&Command::AddChannel { name: "out".into(), capacity: 2 }).is_err());
    assert!(w.apply(&Command::AddChannel { name: "bad name!".into(), capacity: 2 }).is_err());
    let stage: GoroutineSpec = serde_json::from_value(serde_json::json!(
        {"name": "st", "behavior": {"stage": {"from": ch, "to": "out", "work": "1ms"}}}
    ))
    .unwrap();
    let sink: GoroutineSpec =
        serde_json::from_value(serde_json::json!({"name": "sink", "behavior": {"consumer": {"from": "out"}}})).unwrap();
    w.apply(&Command::AddGoroutine { spec: stage }).unwrap();
    w.apply(&Command::AddGoroutine { spec: sink }).unwrap();
    w.run_until(SimTime::from_micros(3_000_000));
    let s = w.snapshot();
    assert_eq!(s.channels.len(), 2);
    assert!(s.channels[1].received > 0, "the new channel carried messages: {:?}", s.channels[1]);
    let mut replay = World::new(&w.scenario_with_log()).unwrap();
    replay.run_until(SimTime::from_micros(3_000_000));
    assert_eq!(replay.trace_hash(), w.trace_hash());
    // The design keeps the channel.
    let d = crate::design::fold(w.scenario(), &[Command::AddChannel { name: "out".into(), capacity: 2 }]);
    assert!(d.channels.iter().any(|c| c.name == "out" && c.capacity == 2));
}

#[test]
fn add_channel_then_samples_and_snapshot() {
    use crate::command::Command;
    let mut w = World::new(&crate::presets::get("buffered").unwrap().scenario()).unwrap();
    w.apply(&Command::AddChannel { name: "c9".into(), capacity: 1 }).unwrap();
    w.run_until(SimTime::from_micros(3_000_000));
    let _ = w.snapshot();
    let _: Vec<_> = w.series().samples().collect();
}

/// A client library's goroutines (go-nsq's read loops; sarama's async
/// producer stages, partition consumer fetchers and group claim slots) are
/// the library's, not the scenario's: `remove_goroutine`, `set_count` and
/// `set_rates` refuse them, saying whose they are, and change nothing;
/// `pause` works on them as on any goroutine. The scenario's own goroutines
/// (a partition consumer's handler, go-nsq's handlers) stay editable.
#[test]
fn a_librarys_goroutines_can_be_paused_but_not_removed_counted_or_retimed() {
    let cases = [
        ("nsq-single", "go-nsq", 1),
        ("kafka-async-producer", "sarama's AsyncProducer", 5),
        ("kafka-partition-consumer", "sarama's partition consumer", 1),
        ("kafka-consumer-group", "sarama's ConsumerGroup", 1),
    ];
    for (preset, library, at_least) in cases {
        let mut w = World::new(&crate::presets::get(preset).unwrap().scenario()).unwrap();
        w.run_until(SimTime::from_micros(2_000_000));
        let s = w.snapshot();
        let groups: Vec<_> = s.groups.iter().filter(|g| g.library.is_some()).cloned().collect();
        assert!(groups.len() >= at_least, "{preset}: library groups {groups:?}");
        assert!(s.groups.iter().any(|g| g.library.is_none()), "{preset}: the scenario's own goroutines are not the library's");
        for g in &groups {
            assert!(g.library.unwrap().starts_with(library), "{preset}: {} is run by {:?}", g.name, g.library);
            let member = s.goroutines.iter().find(|x| x.group == g.name).expect("a running member");
            assert_eq!(member.library, g.library);
            let before = w.snapshot();
            for cmd in [
                Command::RemoveGoroutine { goroutine: member.name.clone() },
                Command::SetCount { group: g.name.clone(), count: 3 },
                Command::SetRates { group: g.name.clone(), interval: None, work: Some("1ms".parse().unwrap()) },
            ] {
                match w.apply(&cmd) {
                    Err(CommandError::NotApplicable(m)) => {
                        assert!(m.contains(library) && m.contains(&g.name), "{preset}: {cmd:?} said {m}")
                    }
                    other => panic!("{preset}: {cmd:?} gave {other:?}"),
                }
            }
            assert_eq!(w.snapshot(), before, "{preset}: refused commands on {} changed nothing", g.name);
            w.apply(&Command::Pause { goroutine: member.name.clone() }).expect("a library goroutine can be paused");
            assert!(w.snapshot().goroutines.iter().find(|x| x.id == member.id).unwrap().paused);
            w.apply(&Command::Resume { goroutine: member.name.clone() }).expect("and resumed");
        }
    }
    // The scenario's own code in a Kafka world: a partition consumer's handler.
    let mut w = World::new(&crate::presets::get("kafka-partition-consumer").unwrap().scenario()).unwrap();
    let s = w.snapshot();
    let own = s.goroutines.iter().find(|g| g.library.is_none() && g.name.contains(".handler")).expect("a handler goroutine");
    w.apply(&Command::RemoveGoroutine { goroutine: own.name.clone() }).expect("the scenario's goroutine can be removed");
}
