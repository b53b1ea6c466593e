//! When clients learn of partitions added live (`kafka_add_partitions`):
//! at their metadata refresh, not at once (issue 14).
//!
//! - A producer partitions over the count its client's metadata says: the
//!   old one until its background refresh (`Metadata.RefreshFrequency`,
//!   `metadata_refresh`, 10 min by default, from the client's start), or
//!   until a retry on the topic refreshes it first (sarama's partition
//!   producer calls `RefreshMetadata(topic)` before it looks up the leader
//!   again).
//! - A group's leader finds the new count at its first partition check
//!   (`loopCheckPartitionNumbers`: from its session's start, every
//!   `RefreshFrequency`) after its client refreshed; its session ends and
//!   the group rebalances. A rebalance that comes first makes its plan
//!   from fresh metadata, and the check then finds nothing.
//!
//! Sources: sarama `client.go` (`backgroundMetadataUpdater`),
//! `consumer_group.go` (`loopCheckPartitionNumbers`, `balance`),
//! `async_producer.go` (`partitionProducer.updateLeader`), and
//! `config.go` (`Metadata.RefreshFrequency = 10 * time.Minute`).

use queuelab::command::{Command, KafkaMemberAction};
use queuelab::observe::trace::EventKind;
use queuelab::presets;
use queuelab::scenario::Scenario;
use queuelab::time::SimDuration;
use queuelab::world::{KafkaView, World};
use serde_json::{json, Value};

#[path = "support/world.rs"]
mod world_support;
use world_support::ms;

fn kafka(w: &World) -> KafkaView {
    w.snapshot().kafka.expect("a kafka section").into_inner()
}

/// The records on the topic's partitions 3 and 4 (added at 10s).
fn on_new_partitions(w: &World) -> u64 {
    kafka(w).partitions.iter().filter(|p| p.partition >= 3).map(|p| p.log_end).sum()
}

/// (time, text) of the events of `kind` whose text contains `has`.
fn events(w: &World, kind: EventKind, has: &str) -> Vec<(u64, String)> {
    w.events_since(0, 1_000_000).into_iter().filter(|e| e.kind == kind && e.text.contains(has)).map(|e| (e.t_us, e.text)).collect()
}

/// kafka-keys (3 partitions, grown to 5 at 10s; clients refresh every
/// 3s), with `refresh` instead if given, and no end.
fn keys(refresh: Option<Option<u64>>) -> World {
    let mut s = presets::get("kafka-keys").unwrap().scenario();
    s.stop_at = None;
    if let Some(r) = refresh {
        s.kafka.as_mut().unwrap().metadata_refresh = r.map(SimDuration::from_millis);
    }
    World::new(&s).unwrap()
}

/// `senders` goroutines sending through producer `producer` (named `p`)
/// every 10ms to topic `events` (3 partitions, replication factor `rf`,
/// on 3 brokers, `kafka` fields added), with `commands`.
fn senders(senders: u32, rf: u32, producer: Value, kafka: Value, commands: Value) -> World {
    let mut k = json!({ "brokers": 3, "topics": [{ "name": "events", "partitions": 3, "replication_factor": rf }], "producers": [producer] });
    for (key, v) in kafka.as_object().expect("an object") {
        k[key] = v.clone();
    }
    let v = json!({
        "seed": 9, "kafka": k, "commands": commands,
        "goroutines": [{ "name": "sender", "count": senders, "behavior": { "program": [
            { "forever": [{ "sleep": "10ms" }, { "kafka_send": { "producer": "p", "topic": "events" } }] }
        ] } }]
    });
    World::new(&Scenario::from_json(&v.to_string()).unwrap()).unwrap()
}

#[test]
fn the_producer_spreads_over_the_old_count_until_its_refresh() {
    let mut w = keys(None);
    w.run_until(ms(11_999));
    assert_eq!(kafka(&w).partitions.len(), 5, "the topic has 5 partitions from 10s");
    assert_eq!(on_new_partitions(&w), 0, "the producer still knows 3");
    assert!(kafka(&w).producers[0].known_partitions == vec![3], "{:?}", kafka(&w).producers[0]);
    assert_eq!(kafka(&w).producers[0].refresh_at_us, Some(12_000_000));
    w.run_until(ms(13_000));
    let learned = events(&w, EventKind::KafkaMetadata, "");
    assert_eq!(learned.len(), 1, "{learned:?}");
    assert_eq!(learned[0].0, 12_000_000, "its client's refresh: every 3s from the start");
    assert!(learned[0].1.contains("topic events has 5 partitions, not 3"), "{}", learned[0].1);
    assert!(on_new_partitions(&w) > 0, "new records spread over all 5");
    assert_eq!(kafka(&w).producers[0].known_partitions, vec![5]);
    assert_eq!(kafka(&w).producers[0].refresh_at_us, None);
}

#[test]
fn the_group_leader_notices_at_its_first_check_after_its_refresh() {
    let mut w = keys(None);
    w.run_until(ms(11_999));
    assert_eq!(kafka(&w).groups[0].generation, 1, "no rebalance before anyone knows");
    w.run_until(ms(20_000));
    // The leader's session (generation 1) started at 6.0005s; its client
    // refreshes at 12s; its checks tick at 9.0005s, 12.0005s, ...
    let started = events(&w, EventKind::KafkaGroup, "readers-1: generation 1 starts");
    assert_eq!(started.len(), 1, "{started:?}");
    let check = events(&w, EventKind::KafkaGroup, "partition check");
    assert_eq!(check.len(), 1, "{check:?}");
    assert_eq!(check[0].0, started[0].0 + 6_000_000, "{check:?}");
    assert!(check[0].1.starts_with("readers-1 (leader)") && check[0].1.contains("topic events has 5 partitions"), "{}", check[0].1);
    let g = &kafka(&w).groups[0];
    assert_eq!(g.generation, 2, "{g:?}");
    let mut owned: Vec<String> = g.members.iter().flat_map(|m| m.partitions.clone()).collect();
    owned.sort();
    assert_eq!(owned, (0..5).map(|p| format!("events-{p}")).collect::<Vec<_>>());
}

#[test]
fn sarama_s_default_refresh_is_ten_minutes() {
    let mut w = keys(Some(None));
    w.run_until(ms(599_000));
    assert_eq!(on_new_partitions(&w), 0, "nobody knows of partitions 3 and 4 before 10 min");
    assert_eq!(kafka(&w).groups[0].generation, 1);
    w.run_until(ms(620_000));
    assert!(on_new_partitions(&w) > 0);
    assert!(kafka(&w).groups[0].generation >= 2);
}

#[test]
fn a_rebalance_that_comes_first_hands_out_the_new_partitions() {
    // Clients refresh every 20s: the leader's client learns at 20s, its
    // check ticks at 26.0005s. readers-3 leaves at 10.5s: the rebalance's
    // plan is made from fresh metadata (sarama's leader refreshes in
    // `balance`), so it covers 5 partitions, and the pending check
    // belongs to a session that has ended.
    let mut w = keys(Some(Some(20_000)));
    w.run_until(ms(10_500));
    w.apply(&Command::KafkaMember { group: "readers".into(), member: 3, action: KafkaMemberAction::Leave }).expect("applies");
    w.run_until(ms(30_000));
    assert!(events(&w, EventKind::KafkaGroup, "partition check").is_empty());
    let g = &kafka(&w).groups[0];
    let mut owned: Vec<String> = g.members.iter().flat_map(|m| m.partitions.clone()).collect();
    owned.sort();
    assert_eq!(owned, (0..5).map(|p| format!("events-{p}")).collect::<Vec<_>>(), "{g:?}");
}

#[test]
fn a_retry_refreshes_the_topic_before_the_background_refresh() {
    // Refresh every hour: only a retry can teach the producer. broker-1
    // crashes at 2s; until the controller fences it (9s later) the
    // metadata still names it leader of partition 0, so a send there is
    // refused, and the retry refreshes the topic's metadata.
    let mut w = senders(
        1,
        2,
        json!({ "name": "p", "acks": "1" }),
        json!({ "metadata_refresh": "1h" }),
        json!([
            { "at": "1s", "command": { "op": "kafka_add_partitions", "topic": "events", "partitions": 5 } },
            { "at": "2s", "command": { "op": "kafka_broker_crash", "broker": 1 } }
        ]),
    );
    w.run_until(ms(1_990));
    assert_eq!(on_new_partitions(&w), 0);
    w.run_until(ms(4_000));
    let learned = events(&w, EventKind::KafkaMetadata, "");
    assert_eq!(learned.len(), 1, "{learned:?}");
    assert!(learned[0].0 > 2_000_000 && learned[0].0 < 2_500_000, "{learned:?}");
    assert!(learned[0].1.starts_with("p: a retry refreshed its metadata: topic events has 5 partitions, not 3"), "{}", learned[0].1);
    assert!(on_new_partitions(&w) > 0);
}

#[test]
fn the_refresh_interval_is_checked() {
    for (value, ok) in [("50ms", false), ("2h", false), ("100ms", true), ("10m", true), ("1h", true)] {
        let v = json!({ "kafka": { "metadata_refresh": value, "topics": [{ "name": "t" }] } });
        let r = Scenario::from_json(&v.to_string());
        assert_eq!(r.is_ok(), ok, "{value}: {:?}", r.as_ref().err());
        if let Err(e) = r {
            assert!(e.to_string().contains("kafka.metadata_refresh") && e.to_string().contains("between 100ms and 1h"), "{e}");
        }
    }
}

#[test]
fn random_and_round_robin_partitioners_skip_partitions_without_a_leader() {
    // sarama's WritablePartitions: broker-1 holds the only replica of one
    // partition; it crashes at 1s (fenced at once: the partition is
    // offline) and restarts at 3s. The producer learns the partition is
    // offline at the retry of the record it sent there, and that it is
    // back at its next background refresh (every 2s: at 4s).
    for partitioner in ["random", "round_robin"] {
        let mut w = senders(
            4,
            1,
            json!({ "name": "p", "acks": "1", "partitioner": partitioner }),
            json!({ "metadata_refresh": "2s", "broker_session_timeout": "0s" }),
            json!([
                { "at": "1s", "command": { "op": "kafka_broker_crash", "broker": 1 } },
                { "at": "3s", "command": { "op": "kafka_broker_restart", "broker": 1 } }
            ]),
        );
        let x = kafka(&w).partitions.iter().position(|p| p.replicas == vec![1]).expect("a partition only on broker-1");
        let log_end = |w: &World| kafka(w).partitions[x].log_end;
        w.run_until(ms(1_500));
        assert_eq!(kafka(&w).partitions[x].leader, None, "offline");
        let offline_end = log_end(&w);
        w.run_until(ms(3_900));
        assert_eq!(log_end(&w), offline_end, "{partitioner}: no record sent to the partition after the producer learned it is offline");
        let p = &kafka(&w).producers[0];
        // Only the records already sent there (at most one per sender) fail, after their retries.
        assert!((1..=4).contains(&p.failed), "{partitioner}: {p:?}");
        assert_eq!(p.offline_partitions, vec![format!("events-{x}")], "{partitioner}");
        w.run_until(ms(6_000));
        assert!(log_end(&w) > offline_end + 50, "{partitioner}: written again from its 4s refresh: {}", log_end(&w));
        assert!(kafka(&w).producers[0].offline_partitions.is_empty());
    }
}

#[test]
fn a_keyed_hash_keeps_to_its_partition_when_it_is_offline() {
    // sarama's hash partitioner with a key requires consistency: it
    // chooses among all partitions, so the keys of the offline partition
    // keep going there (refused, retried, failed).
    let mut w = senders(
        4,
        1,
        json!({ "name": "p", "acks": "1", "keys": 6 }),
        json!({ "broker_session_timeout": "0s" }),
        json!([{ "at": "1s", "command": { "op": "kafka_broker_crash", "broker": 1 } }]),
    );
    w.run_until(ms(3_000));
    let p = &kafka(&w).producers[0];
    assert!(p.failed > 8, "records keyed to the offline partition keep failing: {p:?}");
}
