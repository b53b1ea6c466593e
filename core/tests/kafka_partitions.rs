//! Adding partitions live (`kafka_add_partitions`, issue 14) and the order
//! per key it breaks.
//!
//! - The topic gets the new partitions (listed in topic, partition order),
//!   each with a leader and its followers; producers spread over them.
//! - A group reading the topic rebalances and every partition, old and
//!   new, is owned; the new partitions are consumed.
//! - Keys move (`hash mod n`): a key's records are read out of order and
//!   the book counts it; before the change, none is.
//! - Partition consumers keep the partitions they had (`Partitions()` was
//!   asked once).
//! - Refused commands change nothing; the shared link replays the command
//!   exactly; "save as scenario" keeps the new count.

use queuelab::command::Command;
use queuelab::presets;
use queuelab::scenario::Scenario;
use queuelab::time::SimDuration;
use queuelab::world::World;
use serde_json::json;

#[path = "support/world.rs"]
mod world_support;
use world_support::{kafka, ms};

fn add(topic: &str, partitions: u32) -> Command {
    Command::KafkaAddPartitions { topic: topic.into(), partitions }
}

fn preset(name: &str) -> World {
    World::new(&presets::get(name).unwrap().scenario()).unwrap()
}

/// A preset whose clients refresh their metadata every 2s (sarama's
/// default is 10 min: nothing would notice added partitions in the run).
fn preset_refreshing(name: &str) -> World {
    let mut s = presets::get(name).unwrap().scenario();
    s.kafka.as_mut().expect("a kafka section").metadata_refresh = Some(SimDuration::from_millis(2_000));
    World::new(&s).unwrap()
}

#[test]
fn a_group_rebalances_over_the_new_partitions_and_consumes_them() {
    let mut w = preset_refreshing("kafka-consumer-group");
    w.run_until(ms(12_000));
    let gen = kafka(&w.snapshot()).groups[0].generation;
    w.apply(&add("events", 9)).expect("applies");
    let s = w.snapshot();
    let names: Vec<String> = kafka(&s).partitions.iter().map(|p| format!("{}-{}", p.topic, p.partition)).collect();
    assert_eq!(names, (0..9).map(|p| format!("events-{p}")).collect::<Vec<_>>());
    for p in &kafka(&s).partitions[6..] {
        assert!(p.leader.is_some(), "{p:?}");
        assert_eq!(p.replicas.len(), 3, "{p:?}");
    }
    w.run_until(ms(26_000));
    let s = w.snapshot();
    let k = kafka(&s);
    let g = &k.groups[0];
    assert!(g.generation > gen, "a rebalance: {g:?}");
    let mut owned: Vec<String> = g.members.iter().flat_map(|m| m.partitions.clone()).collect();
    owned.sort();
    let mut all: Vec<String> = (0..9).map(|p| format!("events-{p}")).collect();
    all.sort();
    assert_eq!(owned, all, "every partition owned once: {:?}", g.members);
    // The new partitions got records and the group read them.
    for p in &k.partitions[6..] {
        assert!(p.log_end > 10, "{p:?}");
    }
    for row in g.rows.iter().filter(|r| r.partition >= 6) {
        assert!(row.current_offset.unwrap_or(0) > 0, "{row:?}");
    }
    // Each member runs claim goroutines for its new slots.
    assert!(s.goroutines.iter().any(|x| x.name == "workers-1.claim8"), "claim goroutines for the new slots");
    // No key: nothing to order.
    assert_eq!(k.guarantees.out_of_order, 0);
}

#[test]
fn keys_move_and_are_read_out_of_order() {
    // kafka-keys adds two partitions at 10s (a timed command).
    let mut w = preset("kafka-keys");
    w.run_until(ms(9_900));
    let s = w.snapshot();
    assert_eq!(kafka(&s).partitions.len(), 3);
    assert_eq!(kafka(&s).groups[0].generation, 1);
    assert_eq!(kafka(&s).guarantees.out_of_order, 0, "one partition per key: in order");
    // The leader rejoins, the group rebalances over five partitions; the
    // old partitions' backlog of a key is handled after its newer records
    // on a new partition.
    w.run_until(ms(20_000));
    let s = w.snapshot();
    let k = kafka(&s);
    assert!(k.guarantees.out_of_order > 0, "{:?}", k.guarantees);
    assert_eq!(k.partitions.len(), 5);
    assert!(k.groups[0].generation >= 2);
}

#[test]
fn partition_consumers_keep_their_partitions() {
    let mut w = preset("kafka-partition-consumer");
    w.run_until(ms(3_000));
    let before: Vec<(String, u32)> = kafka(&w.snapshot()).consumers.iter().map(|c| (c.name.clone(), c.partition)).collect();
    let topic = kafka(&w.snapshot()).partitions[0].topic.clone();
    let n = kafka(&w.snapshot()).partitions.iter().filter(|p| p.topic == topic).count() as u32;
    w.apply(&add(&topic, n + 2)).expect("applies");
    w.run_until(ms(8_000));
    let s = w.snapshot();
    let after: Vec<(String, u32)> = kafka(&s).consumers.iter().map(|c| (c.name.clone(), c.partition)).collect();
    assert_eq!(before, after);
    assert_eq!(kafka(&s).partitions.iter().filter(|p| p.topic == topic).count() as u32, n + 2);
}

#[test]
fn refused_additions_change_nothing() {
    let mut w = preset("kafka-consumer-group");
    w.run_until(ms(2_000));
    let (hash, snap) = (w.trace_hash(), w.snapshot());
    for (c, says) in [
        (add("events", 6), "never removes"),
        (add("events", 3), "never removes"),
        (add("events", 65), "partitions of a topic"),
        (add("nope", 9), "no Kafka topic"),
        (add("<b>x</b>", 9), "no Kafka topic"),
    ] {
        let e = w.apply(&c).expect_err(&format!("{c:?} accepted")).to_string();
        assert!(e.contains(says), "{c:?}: {e}");
        assert_eq!(w.trace_hash(), hash, "{c:?}");
        assert!(w.snapshot() == snap, "{c:?}");
    }
    // More claim goroutines than goroutine groups allow (256): 24 members.
    let v = json!({
        "seed": 1,
        "kafka": { "brokers": 1, "topics": [{ "name": "t", "partitions": 10 }],
                   "groups": [{ "name": "g", "topics": ["t"], "members": 24 }] },
        "goroutines": []
    });
    let mut big = World::new(&Scenario::from_json(&v.to_string()).unwrap()).unwrap();
    big.run_until(ms(1_000));
    let (hash, snap) = (big.trace_hash(), big.snapshot());
    let e = big.apply(&add("t", 20)).expect_err("too many claims").to_string();
    assert!(e.contains("claim goroutines"), "{e}");
    assert_eq!(big.trace_hash(), hash);
    assert!(big.snapshot() == snap);
}

#[test]
fn the_shared_link_replays_an_addition_exactly_and_the_design_keeps_it() {
    let mut w = preset("kafka-consumer-group");
    w.run_until(ms(4_000));
    w.apply(&add("events", 7)).unwrap();
    w.run_until(ms(7_000));
    w.apply(&add("events", 9)).unwrap();
    w.run_until(ms(15_000));
    let shared = w.scenario_with_log();
    let mut r = World::new(&Scenario::from_json(&shared.to_json()).unwrap()).unwrap();
    r.run_until(ms(15_000));
    assert_eq!(r.trace_hash(), w.trace_hash());
    assert!(r.snapshot() == w.snapshot());
    let log: Vec<Command> = shared.commands.into_iter().map(|c| c.command).collect();
    let design = queuelab::design::fold(&presets::get("kafka-consumer-group").unwrap().scenario(), &log);
    assert_eq!(design.kafka.as_ref().unwrap().topics[0].partitions, 9);
}

#[test]
fn a_clone_after_an_addition_runs_on_like_a_straight_run() {
    let mut w = preset("kafka-consumer-group");
    w.run_until(ms(9_000));
    w.apply(&add("events", 8)).unwrap();
    w.run_until(ms(11_000));
    let mut c = w.clone();
    w.run_until(ms(20_000));
    c.run_until(ms(20_000));
    assert_eq!(c.trace_hash(), w.trace_hash());
    assert!(c.snapshot() == w.snapshot());
}
