//! The controller's automatic preferred-leader election (KRaft's
//! `auto.leader.rebalance.enable`, on by default): a partition led by
//! another than its preferred replica (the first of its replicas) gets it
//! back `leader.imbalance.check.interval.seconds` (5 minutes by default)
//! after it lost it, once that replica is up and in the ISR again. The old
//! leader steps down to follower: requests waiting at it are answered
//! NOT_LEADER_OR_FOLLOWER and retried at the new leader, and its records
//! beyond the new leader's log end are truncated (acks=1 records not yet
//! copied are lost, as in Kafka).
//!
//! Sources: Kafka's broker configs (`auto.leader.rebalance.enable`,
//! `leader.imbalance.check.interval.seconds`); KAFKA-13682 (the KRaft
//! controller's auto preferred leader election, which balances every such
//! partition and does not use `leader.imbalance.per.broker.percentage`).

use queuelab::observe::trace::EventKind;
use queuelab::scenario::Scenario;
use queuelab::time::SimTime;
use queuelab::world::{KafkaView, World};
use serde_json::{json, Value};

fn ms(n: u64) -> SimTime {
    SimTime::from_micros(n * 1000)
}

fn world(v: &Value) -> World {
    World::new(&Scenario::from_json(&v.to_string()).unwrap_or_else(|e| panic!("{e}"))).expect("builds")
}

fn kafka(w: &World) -> KafkaView {
    w.snapshot().kafka.expect("a kafka section").into_inner()
}

/// Two senders (every `every`) with `acks` to a topic of one partition on
/// 3 brokers (replication factor 3, preferred leader broker-1); broker-1
/// stops cleanly at 1s and restarts at 2s; `extra` kafka fields.
fn cluster(acks: &str, every: &str, latency: &str, extra: Value) -> World {
    let mut k = json!({ "brokers": 3, "latency": latency,
                        "topics": [{ "name": "events", "replication_factor": 3 }],
                        "producers": [{ "name": "p", "acks": acks }] });
    for (key, v) in extra.as_object().expect("an object") {
        k[key] = v.clone();
    }
    let w = world(&json!({
        "seed": 5, "kafka": k,
        "goroutines": [{ "name": "sender", "count": 2, "behavior": { "program": [
            { "forever": [{ "sleep": every }, { "kafka_send": { "producer": "p", "topic": "events" } }] }
        ] } }],
        "commands": [
            { "at": "1s", "command": { "op": "kafka_broker_stop", "broker": 1 } },
            { "at": "2s", "command": { "op": "kafka_broker_restart", "broker": 1 } }
        ]
    }));
    assert_eq!(kafka(&w).partitions[0].replicas[0], 1, "broker-1 is the preferred replica");
    w
}

fn elections(w: &World) -> Vec<(SimTime, String)> {
    w.events_since(0, 1_000_000).into_iter().filter(|e| e.kind == EventKind::KafkaElection).map(|e| (SimTime::from_micros(e.t_us), e.text)).collect()
}

#[test]
fn the_preferred_replica_leads_again_one_check_interval_after_it_lost_the_lead() {
    let mut w = cluster("all", "20ms", "1ms", json!({ "leader_imbalance_check_interval": "3s" }));
    w.run_until(ms(3_900));
    let p = &kafka(&w).partitions[0];
    assert_ne!(p.leader, Some(1), "not before the check: {p:?}");
    assert!(p.isr.contains(&1), "broker-1 caught up and is in the ISR: {p:?}");
    w.run_until(ms(4_100));
    let k = kafka(&w);
    let p = &k.partitions[0];
    // The stop at 1s moved the lead; the balance is due 3s later, at 4s.
    assert_eq!(p.leader, Some(1), "{p:?}");
    assert_eq!(p.isr.len(), 3, "the old leader stays in the ISR, as a follower: {p:?}");
    let e = elections(&w);
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!(e[1].0, ms(4_000), "{e:?}");
    assert!(e[1].1.contains("broker-1 leads again, its preferred replica"), "{e:?}");
    let fields = w.events_since(0, 1_000_000).into_iter().rfind(|e| e.kind == EventKind::KafkaElection).and_then(|e| e.kafka);
    assert_eq!(fields.and_then(|f| f.broker), Some(1), "the page's token goes to broker-1");
    // acks=all: what waited at the old leader was refused and retried.
    w.run_until(ms(6_000));
    let k = kafka(&w);
    let g = k.guarantees;
    assert_eq!((g.failed, g.lost_after_ack, g.lost_unacked, g.lost_unclean), (0, 0, 0, 0), "{g:?}");
    assert!(g.acked > 200, "{g:?}");
    assert!(k.brokers.iter().all(|b| b.up), "{:?}", k.brokers);
}

#[test]
fn a_preferred_replica_out_of_the_isr_waits_for_the_next_check() {
    // broker-1 restarts at 2s, but the check at 1.5s (500ms after the
    // stop) finds it down: the next one, at 2s, finds it back but not yet
    // in the ISR (it truncates and catches up over a 50ms link), the one
    // at 2.5s gives it the lead.
    let mut w = cluster("all", "20ms", "50ms", json!({ "leader_imbalance_check_interval": "500ms" }));
    w.run_until(ms(10_000));
    let e = elections(&w);
    let preferred: Vec<SimTime> = e.iter().filter(|(_, t)| t.contains("preferred")).map(|(t, _)| *t).collect();
    assert_eq!(preferred, vec![ms(2_500)], "{e:?}");
    assert_eq!(kafka(&w).partitions[0].leader, Some(1));
}

#[test]
fn by_default_the_balance_comes_five_minutes_later_and_can_be_turned_off() {
    let mut w = cluster("all", "200ms", "1ms", json!({}));
    w.run_until(ms(300_900));
    assert_ne!(kafka(&w).partitions[0].leader, Some(1), "not within 5 minutes of the stop");
    w.run_until(ms(301_100));
    assert_eq!(kafka(&w).partitions[0].leader, Some(1), "at 1s + 300s");

    let mut off = cluster("all", "200ms", "1ms", json!({ "auto_leader_rebalance": false, "leader_imbalance_check_interval": "1s" }));
    off.run_until(ms(20_000));
    assert_ne!(kafka(&off).partitions[0].leader, Some(1));
    assert!(!elections(&off).iter().any(|(_, t)| t.contains("preferred")));
}

#[test]
fn acks_1_records_the_new_leader_lacks_are_lost_when_the_old_leader_steps_down() {
    // A record every ~1ms each, 5ms links: the old leader is always a few
    // records ahead of its followers, and acks=1 acknowledged them.
    let mut w = cluster("local", "1ms", "5ms", json!({ "leader_imbalance_check_interval": "2s" }));
    w.run_until(ms(2_990));
    let before = kafka(&w).guarantees;
    assert_eq!(before.lost_after_ack, 0, "{before:?}");
    w.run_until(ms(3_010));
    let k = kafka(&w);
    assert_eq!(k.partitions[0].leader, Some(1));
    assert!(k.guarantees.lost_after_ack > 0, "{:?}", k.guarantees);
    let lost = w.events_since(0, 1_000_000).into_iter().filter(|e| e.kind == EventKind::KafkaLost && e.t_us == 3_000_000).count();
    assert_eq!(lost, 1, "the truncation at the balance");
}

#[test]
fn the_check_interval_is_checked() {
    for bad in ["0s", "50ms", "2h"] {
        let v = json!({ "kafka": { "brokers": 1, "leader_imbalance_check_interval": bad, "topics": [{ "name": "t" }] } });
        let e = Scenario::from_json(&v.to_string()).expect_err(bad).to_string();
        assert!(e.contains("kafka.leader_imbalance_check_interval") && e.contains("between 100ms and 1h"), "{bad}: {e}");
    }
}

#[test]
fn the_fields_are_left_out_of_a_scenario_that_keeps_the_defaults() {
    let v = json!({ "kafka": { "brokers": 1, "topics": [{ "name": "t" }] } });
    let s = Scenario::from_json(&v.to_string()).expect("valid");
    let out = serde_json::to_string(&s).expect("writes");
    assert!(!out.contains("auto_leader_rebalance") && !out.contains("leader_imbalance"), "{out}");
}
