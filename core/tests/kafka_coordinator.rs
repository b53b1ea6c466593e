//! A consumer group's coordinator fails over (issue 14; the semantics in
//! `core/src/world/kafka/group_failover.rs`).
//!
//! - Its broker crashes: a heartbeat waiting for it breaks, and the
//!   members' next heartbeats are refused (the dial fails), so sarama's
//!   heartbeat loop ends each session at once or at its next tick; a join
//!   waiting for it breaks and is tried again 2 s later; an answer it had
//!   sent still arrives; the final
//!   commits are refused too, and their joins are refused every 2 s while
//!   the metadata still names the dead broker. When the controller fences
//!   it (`broker.session.timeout.ms`, 9 s) the next broker loads the group
//!   as last written, and the group forms its next generation there: one
//!   rebalance. What members marked but could not commit is read again.
//! - A clean stop moves the coordinator at once.
//! - A fenced broker that still runs (cut from the controller) answers its
//!   old group NOT_COORDINATOR.
//! - With no registered broker left, the group has no coordinator until
//!   a broker registers again.
//! - The controller's leader balance moves the group back to the broker
//!   it started on once that broker is registered again.
//! - Through all of it the run replays exactly.

use queuelab::command::Command;
use queuelab::observe::trace::EventKind;
use queuelab::scenario::Scenario;
use queuelab::world::{KafkaView, World};
use serde_json::{json, Value};

#[path = "support/world.rs"]
mod world_support;
use world_support::{apply, kafka, ms, world};

/// `brokers` brokers; topic `t` of 4 partitions replicated on every
/// broker; a feeder every 20 ms (acks=all); group `g` of 2 members, 1 ms
/// of work per record.
fn cluster(brokers: u32) -> Value {
    let rf = brokers.min(3);
    json!({
        "seed": 11,
        "kafka": { "brokers": brokers, "latency": "1ms",
                   "topics": [{ "name": "t", "partitions": 4, "replication_factor": rf, "min_insync_replicas": 1 }],
                   "producers": [{ "name": "p", "acks": "all", "partitioner": "round_robin" }],
                   "groups": [{ "name": "g", "topics": ["t"], "members": 2, "work": "1ms" }] },
        "goroutines": [
            { "name": "feeder", "behavior": { "program": [
                { "forever": [{ "sleep": "20ms" }, { "kafka_send": { "producer": "p", "topic": "t" } }] } ] } }
        ]
    })
}

/// The group's events (time in µs, text) from the start.
fn group_events(w: &World, has: &str) -> Vec<(u64, String)> {
    w.events_since(0, 1_000_000).into_iter().filter(|e| e.kind == EventKind::KafkaGroup && e.text.contains(has)).map(|e| (e.t_us, e.text)).collect()
}

fn all_running_with_two(k: &KafkaView) -> bool {
    k.groups[0].members.iter().all(|m| m.state == "running" && m.partitions.len() == 2)
}

#[test]
fn a_crashed_coordinator_moves_when_the_controller_fences_its_broker_and_costs_the_group_one_rebalance() {
    let mut w = world(&cluster(3));
    w.run_until(ms(8_000));
    let g0 = kafka(&w.snapshot()).groups[0].clone();
    assert!(g0.generation >= 1 && g0.state == "Stable", "{g0:?}");
    let old = g0.coordinator;
    apply(&mut w, &Command::KafkaBrokerCrash { broker: old });

    // Within a heartbeat interval (3 s) both members' heartbeats are
    // refused: their sessions end, and their joins are refused while the
    // metadata still names the dead broker.
    w.run_until(ms(12_000));
    let s = w.snapshot();
    let g = &kafka(&s).groups[0];
    assert_eq!((g.state.as_str(), g.coordinator, g.generation), ("CoordinatorNotAvailable", old, g0.generation), "{g:?}");
    assert!(g.members.iter().all(|m| m.state != "running"), "no member is in a session: {g:?}");
    let refused = group_events(&w, "its heartbeat to");
    assert_eq!(refused.len(), 2, "{refused:?}");
    assert!(refused.iter().all(|(t, text)| (8_000_000..11_000_001).contains(t) && text.contains(&format!("broker-{old}, its coordinator, is refused"))), "{refused:?}");
    let joins = group_events(&w, "its JoinGroup to");
    assert!(joins.len() >= 2, "{joins:?}");
    // 2 s apart (Rebalance.Retry.Backoff), per member.
    let first = group_events(&w, "g-1: its JoinGroup to");
    assert!(first.windows(2).all(|p| p[1].0 - p[0].0 == 2_000_000), "{first:?}");

    // The controller fences it 9 s after the crash: the next broker loads the group.
    w.run_until(ms(16_900));
    assert_eq!(kafka(&w.snapshot()).groups[0].coordinator, old);
    w.run_until(ms(17_100));
    let new = old % 3 + 1;
    let moved = group_events(&w, "is its coordinator now");
    assert_eq!(moved.len(), 1, "{moved:?}");
    assert_eq!(moved[0].0, 17_000_000);
    assert!(moved[0].1.contains(&format!("broker-{new} is its coordinator now")) && moved[0].1.contains(&format!("after broker-{old} was fenced")), "{moved:?}");

    // Within one retry the members join there: one rebalance, the next generation.
    w.run_until(ms(25_000));
    let s = w.snapshot();
    let g = &kafka(&s).groups[0];
    assert_eq!((g.state.as_str(), g.coordinator), ("Stable", new), "{g:?}");
    assert_eq!((g.generation, g.rebalances), (g0.generation + 1, g0.rebalances + 1), "{g:?}");
    assert!(all_running_with_two(kafka(&s)), "{g:?}");
    // What the members marked after their last commit was never committed:
    // the next owners read it again.
    assert!(kafka(&s).guarantees.duplicates > 0, "{:?}", kafka(&s).guarantees);
    // Nothing acknowledged was lost (every partition has replicas on the live brokers).
    assert_eq!(kafka(&s).guarantees.lost_after_ack, 0);
}

#[test]
fn a_clean_stop_moves_the_coordinator_at_once() {
    let mut w = world(&cluster(3));
    w.run_until(ms(8_000));
    let g0 = kafka(&w.snapshot()).groups[0].clone();
    let old = g0.coordinator;
    apply(&mut w, &Command::KafkaBrokerStop { broker: old });
    let new = old % 3 + 1;
    let s = w.snapshot();
    assert_eq!(kafka(&s).groups[0].coordinator, new, "moved before the broker stopped");
    assert_eq!(group_events(&w, "is its coordinator now").len(), 1);
    // The members learn at their next heartbeat (refused: their client still
    // knows the old broker), then join the new coordinator.
    w.run_until(ms(16_000));
    let s = w.snapshot();
    let g = &kafka(&s).groups[0];
    assert_eq!((g.state.as_str(), g.coordinator, g.generation), ("Stable", new, g0.generation + 1), "{g:?}");
    assert!(all_running_with_two(kafka(&s)), "{g:?}");
    assert!(group_events(&w, "JoinGroup to").is_empty(), "no join went to the stopped broker");
}

#[test]
fn a_fenced_broker_that_still_runs_answers_its_old_group_not_coordinator() {
    let mut w = world(&cluster(3));
    w.run_until(ms(8_000));
    let g0 = kafka(&w.snapshot()).groups[0].clone();
    let old = g0.coordinator;
    apply(&mut w, &Command::KafkaCutLink { a: format!("broker-{old}"), b: "controller".into() });
    // Fenced 9 s later; the group moves; the members' next heartbeats reach
    // the old broker, which answers NOT_COORDINATOR.
    w.run_until(ms(25_000));
    let s = w.snapshot();
    let g = &kafka(&s).groups[0];
    let new = old % 3 + 1;
    let answered = group_events(&w, "answers its heartbeat NOT_COORDINATOR");
    assert_eq!(answered.len(), 2, "{answered:?}");
    assert!(answered.iter().all(|(t, text)| *t > 17_000_000 && text.contains(&format!("broker-{old} answers")) && text.contains(&format!("broker-{new} coordinates"))), "{answered:?}");
    assert_eq!((g.state.as_str(), g.coordinator, g.generation), ("Stable", new, g0.generation + 1), "{g:?}");
    assert!(all_running_with_two(kafka(&s)), "{g:?}");
}

#[test]
fn with_no_broker_left_the_group_has_no_coordinator_until_one_registers() {
    let mut w = world(&cluster(1));
    w.run_until(ms(8_000));
    let g0 = kafka(&w.snapshot()).groups[0].clone();
    apply(&mut w, &Command::KafkaBrokerCrash { broker: 1 });
    w.run_until(ms(20_000));
    let s = w.snapshot();
    let g = &kafka(&s).groups[0];
    assert_eq!((g.state.as_str(), g.coordinator), ("CoordinatorNotAvailable", 0), "{g:?}");
    assert!(group_events(&w, "no registered broker can load the group").len() == 1);
    assert!(w.summary().to_string().contains("kafka group g (generation 1, CoordinatorNotAvailable, 1 rebalance(s), no coordinator, assignor range)"), "{}", w.summary());
    apply(&mut w, &Command::KafkaBrokerRestart { broker: 1 });
    assert_eq!(kafka(&w.snapshot()).groups[0].coordinator, 1);
    w.run_until(ms(30_000));
    let s = w.snapshot();
    let g = &kafka(&s).groups[0];
    assert_eq!((g.state.as_str(), g.generation), ("Stable", g0.generation + 1), "{g:?}");
    assert!(all_running_with_two(kafka(&s)), "{g:?}");
}

#[test]
fn the_leader_balance_moves_the_coordinator_back_to_its_restarted_home_broker() {
    // Kafka: the group's __consumer_offsets partition prefers its first
    // replica, and the controller's leader balance (every
    // leader.imbalance.check.interval) makes it the leader again.
    let mut spec = cluster(3);
    spec["kafka"]["leader_imbalance_check_interval"] = json!("5s");
    let mut w = world(&spec);
    w.run_until(ms(8_000));
    let g0 = kafka(&w.snapshot()).groups[0].clone();
    let home = g0.coordinator;
    let away = home % 3 + 1;
    apply(&mut w, &Command::KafkaBrokerCrash { broker: home });
    // Fenced at 17 s: the group moves away; the balance is due 5 s later.
    w.run_until(ms(20_000));
    assert_eq!(kafka(&w.snapshot()).groups[0].coordinator, away);
    apply(&mut w, &Command::KafkaBrokerRestart { broker: home });
    w.run_until(ms(21_900));
    assert_eq!(kafka(&w.snapshot()).groups[0].coordinator, away, "not before the balance");
    w.run_until(ms(22_100));
    let moved = group_events(&w, "is its coordinator now");
    assert_eq!(moved.len(), 2, "{moved:?}");
    assert_eq!(moved[1].0, 22_000_000);
    assert!(moved[1].1.contains(&format!("broker-{home} is its coordinator now (the controller's leader balance")) && moved[1].1.contains(&format!("instead of broker-{away}")), "{moved:?}");
    // The members find it there: one more rebalance, and the group runs at home.
    w.run_until(ms(35_000));
    let s = w.snapshot();
    let g = &kafka(&s).groups[0];
    assert_eq!((g.state.as_str(), g.coordinator), ("Stable", home), "{g:?}");
    assert_eq!(g.rebalances, g0.rebalances + 2, "{g:?}");
    assert!(all_running_with_two(kafka(&s)), "{g:?}");
    assert_eq!(kafka(&s).guarantees.lost_after_ack, 0);

    // With the balance off, the group stays where it moved.
    spec["kafka"]["auto_leader_rebalance"] = json!(false);
    let mut w = world(&spec);
    w.run_until(ms(8_000));
    apply(&mut w, &Command::KafkaBrokerCrash { broker: home });
    w.run_until(ms(20_000));
    apply(&mut w, &Command::KafkaBrokerRestart { broker: home });
    w.run_until(ms(35_000));
    assert_eq!(kafka(&w.snapshot()).groups[0].coordinator, away);
    assert_eq!(group_events(&w, "is its coordinator now").len(), 1);
}

#[test]
fn a_run_with_a_coordinator_failover_replays_exactly() {
    let commands = [(8_000, Command::KafkaBrokerCrash { broker: 1 }), (30_000, Command::KafkaBrokerRestart { broker: 1 }), (40_000, Command::KafkaBrokerStop { broker: 2 })];
    let run = || {
        let mut w = world(&cluster(3));
        for (at, c) in &commands {
            w.run_until(ms(*at));
            apply(&mut w, c);
        }
        w.run_until(ms(60_000));
        let s = w.snapshot();
        (s.events_total, kafka(&s).groups[0].clone(), kafka(&s).guarantees)
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    assert!(a.1.members.iter().all(|m| m.state == "running" && m.partitions.len() == 2), "{:?}", a.1);
    // The first generation, then one per move (the crash's, the stop's);
    // the restarted broker-1 coordinates nothing again.
    assert_eq!((a.1.rebalances, a.1.coordinator), (3, 3), "{:?}", a.1);
}

#[test]
fn the_guide_s_coordinator_crash_run_gives_the_figures_its_answer_says() {
    // book/src/kafka.md, "The group coordinator's broker crashes".
    let s = Scenario::from_json(include_str!("../../book/src/scenarios/kafka-coordinator-crash.json")).expect("valid");
    let mut w = World::new(&s).expect("builds");
    let mut seen = Vec::new();
    let mut from = 0;
    for t in (100..=30_000).step_by(100) {
        w.run_until(ms(t));
        for e in w.events_since(from, 1_000_000) {
            from = e.seq + 1;
            if e.kind == EventKind::KafkaGroup {
                seen.push((e.t_us, e.text));
            }
        }
    }
    let at = |has: &str| seen.iter().filter(|(_, t)| t.contains(has)).map(|&(t, _)| t).collect::<Vec<_>>();
    // At 9 s, the members' next heartbeat: refused, so are their final commits.
    assert_eq!(at("its heartbeat to broker-1, its coordinator, is refused"), [9_000_000; 3]);
    assert_eq!(at("its final offset commit to broker-1 is refused"), [9_000_000; 3]);
    // Joins refused every 2 s until the controller fences broker-1 at 17 s.
    assert_eq!(at("workers-1: its JoinGroup to broker-1 is refused"), [9_000_000, 11_000_000, 13_000_000, 15_000_000]);
    assert_eq!(at("broker-2 is its coordinator now"), [17_000_000]);
    assert_eq!(at("generation 2 starts"), [17_000_500; 3]);
    let k = kafka(&w.snapshot()).clone();
    assert_eq!((k.groups[0].generation, k.groups[0].rebalances, k.groups[0].coordinator), (2, 2, 2));
    let g = k.guarantees;
    assert_eq!((g.duplicates, g.failed, g.lost_after_ack), (105, 1, 0), "{g:?}");
}

/// The cluster of [`cluster`] with 10 ms on every link, so a member's
/// request and its answer are each on their way for 10 ms.
fn slow_cluster() -> Value {
    let mut v = cluster(3);
    v["kafka"]["latency"] = json!("10ms");
    v
}

/// When member g-1's heartbeat is refused after its coordinator crashes
/// at `crash_ms`, in µs.
fn heartbeat_refused_at(crash_ms: u64) -> u64 {
    let mut w = world(&slow_cluster());
    w.run_until(ms(crash_ms));
    let old = kafka(&w.snapshot()).groups[0].coordinator;
    apply(&mut w, &Command::KafkaBrokerCrash { broker: old });
    w.run_until(ms(crash_ms + 4_000));
    group_events(&w, "g-1: its heartbeat to")[0].0
}

/// sarama's heartbeat loop (`consumer_group_session.go`,
/// `heartbeatLoop`): a heartbeat whose connection breaks is written again
/// at once, refused by the dead broker each time, and the session ends, at
/// the crash, not at the next tick. A heartbeat whose answer the broker
/// had written before it crashed is answered (TCP delivers it): the
/// session goes on to the next tick, whose heartbeat is refused.
#[test]
fn a_heartbeat_the_crash_breaks_ends_the_session_at_once_and_an_answered_one_does_not() {
    // A crash between ticks: the next tick's heartbeat is refused.
    let tick = heartbeat_refused_at(8_000) / 1000;
    assert!(tick > 8_000 && tick <= 11_000, "{tick}");
    // The crash 5 ms after that tick's heartbeat was written: broken.
    assert_eq!(heartbeat_refused_at(tick + 5), (tick + 5) * 1000, "refused at the crash");
    // 15 ms after: the answer is on its way, and arrives; the next tick
    // (3 s, Heartbeat.Interval) is refused.
    assert_eq!(heartbeat_refused_at(tick + 15), (tick + 3_000) * 1000, "refused at the next tick");
}

/// A JoinGroup waiting at the coordinator when its broker crashes breaks
/// with the connection: `Consume` returns the error at once and is called
/// again after `Rebalance.Retry.Backoff` (2 s), not after sarama's
/// `Net.ReadTimeout` (30 s) as across a cut. An assignment the
/// coordinator had sent still arrives.
#[test]
fn a_join_the_crash_breaks_is_refused_at_once() {
    let mut w = world(&slow_cluster());
    // The first join phase waits for group.initial.rebalance.delay.ms.
    w.run_until(ms(1_000));
    let g = kafka(&w.snapshot()).groups[0].clone();
    assert!(g.members.iter().all(|m| m.state == "joining"), "{g:?}");
    apply(&mut w, &Command::KafkaBrokerCrash { broker: g.coordinator });
    w.run_until(ms(6_000));
    let joins: Vec<u64> = group_events(&w, "g-1: its JoinGroup to").into_iter().map(|(t, _)| t).collect();
    assert_eq!(joins, [1_000_000, 3_000_000, 5_000_000]);

    // Without the crash the join phase ends at 6.01 s and the assignments
    // arrive 10 ms later. A crash at 6.015 s: they were on their way, and
    // arrive; the sessions start (and end at their first heartbeat).
    let mut w = world(&slow_cluster());
    w.run_until(ms(6_015));
    let old = kafka(&w.snapshot()).groups[0].coordinator;
    apply(&mut w, &Command::KafkaBrokerCrash { broker: old });
    w.run_until(ms(10_000));
    assert_eq!(group_events(&w, "g-1: generation 1 starts").iter().map(|e| e.0).collect::<Vec<_>>(), [6_020_000]);
    let refused: Vec<u64> = group_events(&w, "g-1: its").into_iter().filter(|(_, t)| t.contains("is refused")).map(|(t, _)| t).collect();
    assert_eq!(refused.first(), Some(&9_000_000), "the first heartbeat is refused: {refused:?}");
}
