//! Random small Kafka worlds with random faults and live commands (issue
//! 14's model tests): at every 100 ms slice, no panic; every record in
//! exactly one state or lost by a modelled cause; each partition owned by
//! at most one member per generation (cuts make zombies that still read in
//! an older one); committed offsets never ahead of
//! what was marked; a producing goroutine's keyed records read in the
//! order it sent them (hash partitioner; an async producer with random
//! Flush settings, cut and crashed under; until partitions are added,
//! which clients learn of at their metadata refresh); a refused command changes
//! nothing; and the same
//! scenario and commands replay to the same trace.

use proptest::prelude::*;
use queuelab::command::Command;
use queuelab::observe::snapshot::RunStatus;
use queuelab::scenario::Scenario;
use queuelab::world::{KafkaRecordFigure, World};
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[path = "support/world.rs"]
mod world_support;
use world_support::{kafka, ms};

fn random_scenario() -> impl Strategy<Value = (Value, Vec<(u64, Value)>)> {
    let topic = (1u32..=3, 1u32..=3, 1u32..=2);
    let producer = (0usize..3, 0usize..3, prop::option::of(1u32..4));
    let group = (1u32..=4, 0usize..4, prop::option::of(1u32..=4), prop::bool::ANY, 0usize..2);
    let cmd = (0u64..12_000, 0usize..10, 1u32..=4);
    (
        any::<u64>(),
        1u32..=3,
        prop::collection::vec(topic, 1..=2),
        prop::collection::vec(producer, 1..=2),
        prop::option::of((0u32..8, 0usize..2, 0usize..4)),
        prop::option::of(group),
        prop::bool::ANY,
        prop::collection::vec(cmd, 0..8),
        1u64..40,
        0usize..3,
    )
        .prop_map(|(seed, brokers, topics, producers, async_p, group, unclean, cmds, gap, fence)| {
            let topics: Vec<Value> = topics
                .iter()
                .enumerate()
                .map(|(i, &(p, rf, isr))| {
                    let rf = rf.min(brokers);
                    json!({ "name": format!("t{i}"), "partitions": p, "replication_factor": rf, "min_insync_replicas": isr.min(rf) })
                })
                .collect();
            let nt = topics.len();
            let acks = ["none", "local", "all"];
            let parts = ["hash", "random", "round_robin"];
            let mut kp: Vec<Value> = producers
                .iter()
                .enumerate()
                .map(|(i, &(a, p, keys))| {
                    let mut v = json!({ "name": format!("p{i}"), "acks": acks[a], "partitioner": parts[p] });
                    if let Some(k) = keys {
                        v["keys"] = json!(k);
                    }
                    v
                })
                .collect();
            let mut goroutines: Vec<Value> = (0..producers.len())
                .map(|i| {
                    json!({ "name": format!("s{i}"), "count": 2, "behavior": { "program": [
                        { "forever": [{ "sleep": format!("exp({gap}ms)") }, { "kafka_send": { "producer": format!("p{i}"), "topic": format!("t{}", i % nt) } }] }
                    ] } })
                })
                .collect();
            if let Some((buf, reader, flush)) = async_p {
                // Keyed, so the guarantees count records read out of order
                // per key: the muter keeps a partition's order through
                // retries, whatever the Flush settings.
                let flush = [json!({}), json!({ "messages": 3 }), json!({ "frequency": "20ms" }), json!({ "max_messages": 2 })][flush].clone();
                kp.push(json!({ "name": "ap", "kind": "async", "topic": "t0", "channel_buffer_size": buf, "return_successes": true, "acks": "all",
                                "keys": 3, "flush": flush, "max_open_requests": (buf % 5) + 1 }));
                goroutines.push(json!({ "name": "asender", "behavior": { "program": [
                    { "forever": [{ "sleep": format!("exp({gap}ms)") }, { "send": "ap.input" }] }
                ] } }));
                if reader == 1 {
                    goroutines.push(json!({ "name": "results", "behavior": { "program": [
                        { "forever": [{ "select": { "cases": [{ "recv": "ap.successes" }, { "recv": "ap.errors" }] } }] }
                    ] } }));
                }
            }
            let mut k = json!({
                "brokers": brokers, "latency": "exp(1ms)", "unclean_leader_election": unclean,
                "replica_lag_max": "2s", "broker_session_timeout": (["0s", "300ms", "3s"][fence]),
                // The preferred-leader balance well within the 12s runs.
                "leader_imbalance_check_interval": (["200ms", "1s", "5m"][(fence + brokers as usize) % 3]),
                // Clients learn of added partitions within the run, or not.
                "metadata_refresh": (["300ms", "2s", "10m"][(gap % 3) as usize]),
                "topics": topics, "producers": kp,
                "consumers": [{ "name": "pc", "topic": "t0", "offset": "oldest", "work": "exp(2ms)" }]
            });
            if let Some((members, assignor, start, lp, initial)) = group {
                let mut g = json!({
                    "name": "grp", "topics": ["t0"], "members": members, "assignor": (["range", "roundrobin", "sticky", "cooperative_sticky"][assignor]),
                    "work": "exp(3ms)", "session_timeout": "3s", "heartbeat_interval": "1s", "consume_loop": lp,
                    "initial": (["newest", "oldest"][initial]),
                });
                if let Some(s) = start {
                    g["start_members"] = json!(s.min(members));
                }
                if nt > 1 {
                    g["topics"] = json!(["t0", "t1"]);
                }
                k["groups"] = json!([g]);
            }
            let ops = ["kafka_broker_crash", "kafka_broker_restart", "crash", "start", "leave"];
            let assignors = ["range", "roundrobin", "sticky", "cooperative_sticky"];
            let cmds: Vec<(u64, Value)> = cmds
                .into_iter()
                .map(|(at, op, n)| {
                    let broker = format!("broker-{}", (n - 1) % brokers + 1);
                    let c = match op {
                        // A crash, or now and then a clean shutdown.
                        0 if n == 4 => json!({ "op": "kafka_broker_stop", "broker": (n - 1) % brokers + 1 }),
                        0 | 1 => json!({ "op": ops[op], "broker": (n - 1) % brokers + 1 }),
                        5 => json!({ "op": "kafka_group_work", "group": "grp", "work": format!("exp({}ms)", n * n * 10) }),
                        // Cuts and heals between a member, the partition
                        // consumer, a producer or the controller and a
                        // broker (zombies, fetch, heartbeat and produce
                        // timeouts, fencing), or two brokers; a heal may
                        // find no cut (refused).
                        6 | 7 => {
                            let who = [format!("grp-{n}"), "pc".to_string(), "p0".to_string(), "broker-1".to_string(), "ap".to_string(), "controller".to_string()][(n as usize + op) % 6].clone();
                            let other = if who == broker { format!("broker-{}", n % brokers + 1) } else { broker };
                            json!({ "op": if op == 6 { "kafka_cut_link" } else { "kafka_heal_link" }, "a": who, "b": other })
                        }
                        8 => json!({ "op": "kafka_assignor", "group": "grp", "assignor": assignors[n as usize - 1] }),
                        // More partitions (a smaller count after a larger
                        // one is refused).
                        9 => json!({ "op": "kafka_add_partitions", "topic": "t0", "partitions": 3 + n }),
                        _ => json!({ "op": "kafka_member", "group": "grp", "member": n, "action": ops[op] }),
                    };
                    (at, c)
                })
                .collect();
            let v = json!({ "seed": seed, "stop_at": "12s", "kafka": k, "goroutines": goroutines });
            (v, cmds)
        })
}

/// Runs a random world in 100ms slices, applying the commands due, and
/// checks the Kafka invariants at every slice. Returns the trace hash.
fn run_random(v: &Value, cmds: &[(u64, Value)]) -> Result<u64, TestCaseError> {
    let scenario = Scenario::from_json(&v.to_string()).map_err(|e| TestCaseError::fail(format!("{e}\n{v:#}")))?;
    let mut w = World::new(&scenario).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut cmds: Vec<(u64, Value)> = cmds.to_vec();
    cmds.sort_by_key(|c| c.0);
    let mut next = 0;
    let mut generations: BTreeMap<String, u32> = BTreeMap::new();
    // Partitions added: keys move, so their order is not kept.
    let mut grown = false;
    let keys_hashed = v["kafka"]["producers"].as_array().is_some_and(|ps| ps.iter().all(|p| p.get("keys").is_none() || p.get("partitioner").is_none_or(|x| x == "hash")));
    for slice in 1..=120u64 {
        let t = slice * 100;
        while next < cmds.len() && cmds[next].0 < t {
            w.run_until(ms(cmds[next].0));
            let c: Command = serde_json::from_value(cmds[next].1.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let (h, before) = (w.trace_hash(), w.snapshot());
            let applied = w.apply(&c);
            grown |= applied.is_ok() && matches!(c, Command::KafkaAddPartitions { .. });
            if applied.is_err() {
                prop_assert_eq!(w.trace_hash(), h, "a refused {:?} changed the trace", c);
                prop_assert!(w.snapshot() == before, "a refused {:?} changed the world", c);
            }
            next += 1;
        }
        w.run_until(ms(t));
        let s = w.snapshot();
        prop_assert!(s.status != RunStatus::Panicked, "panic: {:?}", s.panic);
        let k = kafka(&s);
        let g = k.guarantees;
        prop_assert_eq!(g.sending + g.acked + g.failed + g.lost_after_ack + g.lost_unclean + g.lost_unacked + g.lost_unwritten, g.produced, "at {}ms: {:?}", t, g);
        for p in &k.partitions {
            // log_start and log_end are the leader's: 0 when offline.
            if p.leader.is_some() {
                prop_assert!(p.log_start <= p.high_watermark && p.high_watermark <= p.log_end, "at {}ms: {:?}", t, p);
            }
            prop_assert!(p.isr.iter().all(|b| p.replicas.contains(b)), "at {}ms: ISR outside the replicas: {:?}", t, p);
            if let Some(l) = p.leader {
                // A crashed leader keeps its partitions until it is fenced.
                let fencing = k.brokers.iter().any(|b| b.id == l && !b.up && b.fenced_at_us.is_some_and(|f| f > t * 1000));
                prop_assert!(p.live.contains(&l) || fencing, "at {}ms: a dead leader not being fenced: {:?} {:?}", t, p, k.brokers);
            }
        }
        // Each producing goroutine's records of one key are read in the
        // order it sent them (a key has one partition; a SendMessage waits;
        // an async producer has one batch in flight per partition and
        // retries ahead of newer records), unless an unclean election
        // rewrote a log under a reader.
        // (Only with the hash partitioner does a key keep to one partition.)
        // (Partitions added move keys: `hash mod n`.)
        prop_assert!(g.out_of_order == 0 || k.unclean_leader_election || !keys_hashed || grown, "at {}ms: {} keyed records read out of order: {:?}", t, g.out_of_order, k.producers);
        for c in &k.consumers {
            let p = k.partitions.iter().find(|p| p.topic == c.topic && p.partition == c.partition).unwrap();
            if let Some(o) = c.offset {
                // (An unclean election may pull the HW below what was read.)
                prop_assert!(o <= p.high_watermark || c.stopped || k.unclean_leader_election, "at {}ms: {:?} past the HW of {:?}", t, c, p);
            }
        }
        for grp in &k.groups {
            // At most one owner per partition and generation (a zombie,
            // cut from the coordinator, still reads in its older one).
            let mut owner: BTreeMap<(Option<u32>, &str), &str> = BTreeMap::new();
            for m in &grp.members {
                for p in &m.partitions {
                    prop_assert!(m.generation.is_some_and(|x| x <= grp.generation), "at {}ms: {} reads {} outside a session: {:?}", t, m.id, p, m);
                    let key = (m.generation, p.as_str());
                    prop_assert!(owner.insert(key, &m.id).is_none(), "at {}ms: {} owned by {} and {} in generation {:?}", t, p, owner[&key], m.id, m.generation);
                }
            }
            for r in &grp.rows {
                if let Some(o) = r.current_offset {
                    // An unclean election may truncate the log below a
                    // commit (Kafka keeps the commit; the next fetch is
                    // answered OFFSET_OUT_OF_RANGE and resets).
                    prop_assert!(o <= r.log_end_offset || k.unclean_leader_election, "at {}ms: {} {:?}", t, grp.name, r);
                }
            }
            let last = generations.entry(grp.name.clone()).or_insert(0);
            prop_assert!(grp.generation >= *last, "at {}ms: generation {} after {}", t, grp.generation, *last);
            *last = grp.generation;
        }
    }
    // The records behind each figure (the page's lists): each state's list
    // is as long as its figure, every record is in exactly one, and the
    // read lists agree with the reads counted.
    prop_assert!(w.kafka_records(KafkaRecordFigure::Produced, 0).is_some(), "a Kafka world has record lists");
    w.check_kafka_records().map_err(TestCaseError::fail)?;
    Ok(w.trace_hash())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24),
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::Direct("proptest-regressions/kafka_random.txt"))),
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_kafka_worlds_keep_their_invariants((v, cmds) in random_scenario()) {
        let a = run_random(&v, &cmds)?;
        let b = run_random(&v, &cmds)?;
        prop_assert_eq!(a, b, "the same world twice gave another run");
    }
}
