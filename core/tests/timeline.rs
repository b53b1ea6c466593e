//! The timeline (`core/src/timeline.rs`): seek = straight run, for every
//! preset.
//!
//! Each preset is explored as the page does it (short slices of virtual
//! time with an event bound, live commands applied on the way), with a small
//! checkpoint interval and memory budget so that checkpoints are taken,
//! thinned and restored many times. Then the timeline seeks to many points,
//! backwards and forwards, and at each one the snapshot and trace hash must
//! equal those of a fresh world built from the timeline's link (scenario +
//! command log) and run straight there. Step back, step forward and fork are
//! checked the same way.

mod support;

use proptest::prelude::*;
use queuelab::command::Command;
use queuelab::presets::{self, Preset};
use queuelab::rng::SimRng;
use queuelab::scenario::Scenario;
use queuelab::time::{SimDuration, SimTime};
use queuelab::timeline::{MarkKind, Timeline};
use queuelab::world::World;

const HORIZON: SimTime = SimTime::from_micros(20_000_000);
const SLICE: SimDuration = SimDuration::from_millis(37);

fn ms(x: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_millis(x)
}

/// Commands that most presets accept (refusals are fine: they change nothing).
fn edits(s: &Scenario) -> Vec<(SimTime, Command)> {
    let mut v = Vec::new();
    if let Some(c) = s.channels.first() {
        v.push((ms(1_500), Command::SetCapacity { channel: c.name.clone(), capacity: c.capacity + 2 }));
    }
    if let Some(g) = s.goroutines.iter().find(|g| g.name != "main") {
        v.push((ms(4_000), Command::SetCount { group: g.name.clone(), count: g.count + 1 }));
    }
    if let Some(c) = s.channels.first() {
        v.push((ms(9_000), Command::SetCapacity { channel: c.name.clone(), capacity: c.capacity }));
    }
    v
}

/// Explores `p` up to `HORIZON` (or its end) like the page does.
fn explore(p: &Preset) -> Timeline {
    let s = p.scenario();
    let mut edits = edits(&s);
    let mut tl = Timeline::from_world_with(World::new(&s).unwrap(), 2 << 20, 700);
    while tl.world().is_running() && tl.world().now() < HORIZON {
        let target = (tl.world().now() + SLICE).min(HORIZON);
        tl.run_until_limited(target, 3_000, 20_000);
        if let Some((at, _)) = edits.first() {
            if tl.world().now() >= *at {
                let (_, cmd) = edits.remove(0);
                let _ = tl.apply(&cmd);
            }
        }
    }
    tl
}

fn straight(tl: &Timeline, t: SimTime) -> World {
    let mut w = World::new(&tl.scenario_with_log()).unwrap();
    w.run_until(t);
    w
}

fn same(a: &World, b: &World, what: &str) {
    assert_eq!(a.now(), b.now(), "{what}: time");
    assert_eq!(a.trace_hash(), b.trace_hash(), "{what}: trace hash");
    // Notices (the scenario's commands that could not be applied) are not
    // replayed state: once the frontier's log is refreshed (a command
    // applied, a fork) it holds only the commands that were applied, so a
    // straight run of it has none, while the seeked world keeps those of
    // its checkpoint.
    let (mut a, mut b) = (a.snapshot(), b.snapshot());
    a.notices.clear();
    b.notices.clear();
    let (sa, sb) = (serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
    assert!(sa == sb, "{what}: snapshots differ\n{sa}\n{sb}");
}

#[test]
fn seek_equals_a_straight_run_for_every_preset() {
    for p in presets::ALL {
        let mut tl = explore(p);
        let end = tl.end();
        let v = tl.view();
        assert!(v.checkpoints >= 2 || tl.world().steps() < 2 * 700, "{}: checkpoints were taken ({v:?})", p.name);
        let mut rng = SimRng::new(7);
        let mut points = vec![SimTime::ZERO, ms(1), ms(1_500), ms(4_000), end, ms(2_999)];
        for _ in 0..8 {
            points.push(SimTime::from_micros(rng.next_u64() % (end.as_micros() + 1)));
        }
        for t in points {
            let t = t.min(end);
            tl.seek(t);
            same(tl.world(), &straight(&tl, t), &format!("{} seek to {t}", p.name));
            assert!(tl.is_behind() || t == end, "{}: behind after seeking into the past", p.name);
        }
        // Back at the end, the present is the frontier again.
        tl.seek(end);
        assert!(!tl.is_behind(), "{}", p.name);
    }
}

#[test]
fn playing_on_after_a_seek_replays_the_same_future() {
    for p in presets::ALL {
        let mut tl = explore(p);
        let end = tl.end();
        let hash = tl.world().trace_hash();
        tl.seek(SimTime::from_micros(end.as_micros() / 3));
        tl.run_until(end);
        assert_eq!(tl.world().trace_hash(), hash, "{}: replayed future differs", p.name);
        assert!(!tl.is_behind(), "{}", p.name);
    }
}

#[test]
fn step_back_undoes_step_visible_and_matches_a_straight_run() {
    for p in presets::ALL {
        let mut tl = explore(p);
        tl.seek(SimTime::from_micros(tl.end().as_micros() / 2));
        let mut hashes = Vec::new();
        for _ in 0..5 {
            // Only a step that changed something can be stepped back (a
            // hung program, kafka-async-hang, may show nothing until its
            // end).
            let before = (tl.world().trace_hash(), tl.world().trace().total());
            if tl.step_visible() == 0 {
                break;
            }
            hashes.push(before);
        }
        let after = (tl.world().trace_hash(), tl.world().trace().total());
        for (i, expected) in hashes.iter().enumerate().rev() {
            assert!(tl.step_back(), "{}: step back {i}", p.name);
            let now = (tl.world().trace_hash(), tl.world().trace().total());
            assert_eq!(now, *expected, "{}: step back {i} lands before the change", p.name);
            // The same point by a straight run of as many moves.
            let mut w = World::new(&tl.scenario_with_log()).unwrap();
            while w.moves() < tl.world().moves() && w.step() {}
            same(tl.world(), &w, &format!("{} step back {i}", p.name));
        }
        for _ in 0..hashes.len() {
            tl.step_visible();
        }
        assert_eq!((tl.world().trace_hash(), tl.world().trace().total()), after, "{}: forward again", p.name);
    }
}

#[test]
fn step_back_at_the_start_does_nothing() {
    let p = presets::get("classic").unwrap();
    let mut tl = Timeline::new(&p.scenario()).unwrap();
    assert!(!tl.step_back());
    assert_eq!(tl.world().now(), SimTime::ZERO);
}

#[test]
fn a_fork_drops_the_users_future_and_its_link_replays_the_fork() {
    let p = presets::get("pipeline").unwrap();
    let mut tl = explore(p);
    let end = tl.end();
    let user_before = tl.user_commands().len();
    assert!(user_before >= 2, "the exploration applied commands: {user_before}");
    // Back before the second edit: a new command forks.
    tl.seek(ms(3_000));
    assert!(tl.is_behind());
    let ch = p.scenario().channels[0].name.clone();
    let forked = tl.apply(&Command::SetCapacity { channel: ch.clone(), capacity: 40 }).unwrap();
    assert!(forked, "a command in the past forks");
    assert!(!tl.is_behind());
    assert_eq!(tl.end(), ms(3_000).max(tl.world().now()));
    let users = tl.user_commands();
    assert_eq!(users.len(), 2, "the edit before 3 s stays, the later ones go: {users:?}");
    assert!(users.iter().all(|c| c.at <= SimDuration::from_millis(3_000)));
    // The new future, and the fork's link replays it.
    tl.run_until(end);
    same(tl.world(), &straight(&tl, end), "fork's link");
    // A refused command behind the frontier forks nothing.
    tl.seek(ms(1_000));
    let before = tl.end();
    assert!(tl.apply(&Command::SetCapacity { channel: "no-such".into(), capacity: 1 }).is_err());
    assert!(tl.is_behind());
    assert_eq!(tl.end(), before);
    // Fork without a command.
    assert!(tl.fork());
    assert_eq!(tl.end(), ms(1_000));
    assert!(!tl.fork(), "nothing left to drop");
}

#[test]
fn a_fork_keeps_the_scenarios_own_commands() {
    // A scenario whose log closes the channel at 5 s: forking at 2 s keeps it.
    let mut s = presets::get("select-timeout").unwrap().scenario();
    let ch = s.channels[0].name.clone();
    s.commands.push(queuelab::command::TimedCommand {
        at: SimDuration::from_secs(5),
        step: None,
        command: Command::SetCapacity { channel: ch.clone(), capacity: 9 },
    });
    let mut tl = Timeline::from_world_with(World::new(&s).unwrap(), 1 << 20, 300);
    tl.run_until(ms(8_000));
    tl.seek(ms(2_000));
    assert!(tl.fork());
    let log = tl.scenario_with_log().commands;
    assert_eq!(log.len(), 1, "{log:?}");
    tl.run_until(ms(8_000));
    assert!(tl.marks().iter().any(|m| m.kind == MarkKind::Command && m.text.contains("capacity")));
}

#[test]
fn marks_show_blocks_deadlocks_commands_and_the_end() {
    let p = presets::get("forgotten-close").unwrap();
    let mut tl = Timeline::new(&p.scenario()).unwrap();
    tl.run_until(ms(60_000));
    let marks = tl.marks();
    let kinds: Vec<MarkKind> = marks.iter().map(|m| m.kind).collect();
    assert!(kinds.contains(&MarkKind::FirstBlock), "{marks:?}");
    assert!(kinds.contains(&MarkKind::Ended), "{marks:?}");
    assert!(marks.windows(2).all(|w| w[0].t_us <= w[1].t_us), "in time order");
    // Marks stay when the present goes back.
    tl.seek(SimTime::ZERO);
    assert_eq!(tl.marks(), marks);
}

#[test]
fn checkpoints_stay_within_the_budget() {
    let p = presets::get("large").unwrap();
    let w = World::new(&p.scenario()).unwrap();
    let budget = w.approx_bytes() * 12;
    let mut tl = Timeline::from_world_with(w, budget, 1_000);
    tl.run_until(ms(30_000));
    let v = tl.view();
    let one = v.checkpoint_bytes / v.checkpoints;
    assert!(v.checkpoint_bytes <= budget + 2 * one, "{v:?}");
    assert!(v.interval > 1_000, "the interval doubled: {v:?}");
    tl.seek(ms(12_345));
    same(tl.world(), &straight(&tl, ms(12_345)), "large after thinning");
}

/// Random scenarios and live commands (the fuzzer's generators), with
/// seeks back, forks and steps back among them: every seek lands on the
/// state of a straight run of the timeline's own link. (On a thread with a
/// large stack, as the fuzzer runs: generated programs nest deeply, and a
/// debug build recurses through them with big frames.)
#[test]
fn random_histories_seek_to_straight_runs() {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(random_histories)
        .expect("spawn")
        .join()
        .unwrap_or_else(|e| std::panic::resume_unwind(e));
}

fn random_histories() {
    let config = ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(case in support::gen::case())| {
        let Ok(scenario) = Scenario::from_json(&case.scenario.to_string()) else { return Ok(()) };
        let Ok(world) = World::new(&scenario) else { return Ok(()) };
        let mut tl = Timeline::from_world_with(world, 1 << 20, 300);
        let mut budget: u64 = 60_000;
        for (i, action) in case.actions.iter().enumerate() {
            match action {
                support::gen::Action::Advance(us) => {
                    let before = tl.world().steps();
                    let t = tl.world().now() + SimDuration::from_micros((*us).min(2_000_000));
                    tl.run_until_limited(t, budget.min(20_000), 100_000);
                    budget = budget.saturating_sub(tl.world().steps() - before);
                }
                support::gen::Action::Live(cmd) => {
                    if let Ok(cmd) = serde_json::from_value::<Command>(cmd.clone()) {
                        let _ = tl.apply(&cmd);
                    }
                }
                support::gen::Action::Link => {
                    let end = tl.end().as_micros();
                    let t = SimTime::from_micros(end - end / (2 + i as u64));
                    tl.seek(t);
                    same(tl.world(), &straight(&tl, t), "seek");
                    match i % 3 {
                        0 => { tl.fork(); }
                        1 => { tl.step_back(); }
                        _ => {}
                    }
                }
            }
            if budget == 0 {
                break;
            }
        }
        let end = tl.end();
        tl.seek(end);
        same(tl.world(), &straight(&tl, end), "seek to the end");
    });
}

/// Found by `random_histories_seek_to_straight_runs` in CI (2026-12-07,
/// shrunk case): a goroutine spinning at 0 s (a select with timeout 0), a
/// checkpoint taken one event past the point the user steps back to, and a
/// pause applied there (a fork). The fork kept that checkpoint: it counted
/// the present's moves *after* the pause, which equal the checkpoint's (one
/// more event, one command fewer). Seeking later restored it, and the pause
/// replayed one event late. The fork now keeps the checkpoints within the
/// moves made before the command.
#[test]
fn a_step_keyed_pause_in_a_spin_at_time_zero_replays_at_its_step_after_step_back() {
    let json = r#"{"name":"r","seed":0,"trace_capacity":100000,"channels":[{"name":"c0","capacity":0}],
      "goroutines":[{"name":"g0","count":1,"behavior":{"consumer":{"from":"c0","timeout":"0","work":"1ms"}}}]}"#;
    let mut tl = Timeline::from_world_with(World::new(&Scenario::from_json(json).unwrap()).unwrap(), 1 << 20, 300);
    // The shrunk case's steps: a command that changes nothing, a link
    // (seek to where it is, step back), the pause, 1 µs, a link again.
    let noop: Command = serde_json::from_str(r#"{"op":"set_rates","group":"g0"}"#).unwrap();
    let _ = tl.apply(&noop);
    tl.seek(tl.end());
    tl.step_back();
    let pause: Command = serde_json::from_str(r#"{"op":"pause","goroutine":"g0"}"#).unwrap();
    assert_eq!(tl.apply(&pause), Ok(true));
    let t = tl.world().now() + SimDuration::from_micros(1);
    tl.run_until_limited(t, 20_000, 100_000);
    tl.step_back();
    let end = tl.end();
    tl.seek(end);
    same(tl.world(), &straight(&tl, end), "seek to the end");
}
