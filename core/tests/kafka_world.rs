//! Kafka inside a world: model tests that can fail (SEMANTICS 3, issue 14).
//!
//! - Determinism: presets twice, a clone mid-run, the shared link with
//!   live Kafka commands.
//! - sarama's AsyncProducer hang: exactly 516 sends (4 with
//!   `ChannelBufferSize` 0), found by the stuck analysis.
//! - acks and elections: acks=1 loses acked records, acks=all none;
//!   NotEnoughReplicas; unclean election on and off.
//! - Consumers below the high watermark, OffsetNewest, OffsetOutOfRange.
//! - Groups: the 3 s initial delay, idle members, generations, duplicates,
//!   range and roundrobin as sarama computes them.
//! - The time series' Kafka part: offsets, lag and latency as the
//!   snapshot says; slowing a group's handler (`kafka_group_work`) makes
//!   its lag grow.
//!
//! The property test over random Kafka worlds is in kafka_random.rs.

use queuelab::command::{Command, KafkaMemberAction};
use queuelab::observe::snapshot::{GState, Snapshot};
use queuelab::observe::trace::EventKind;
use queuelab::presets;
use queuelab::scenario::Scenario;
use queuelab::time::{SimDuration, SimTime};
use queuelab::world::World;
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[path = "support/world.rs"]
mod world_support;
use world_support::{kafka, ms, world};

fn preset_json(name: &str) -> Value {
    serde_json::from_str(presets::get(name).unwrap_or_else(|| panic!("preset {name}")).json).expect("preset json")
}

fn kafka_presets() -> Vec<&'static presets::Preset> {
    let v: Vec<_> = presets::ALL.iter().filter(|p| p.name.starts_with("kafka-")).collect();
    assert!(v.len() >= 12, "the Kafka presets: {}", v.len());
    v
}

/// How far the determinism tests run each preset (at most its stop_at).
fn horizon(p: &presets::Preset) -> SimTime {
    let stop = p.scenario().stop_at.unwrap_or(SimDuration::from_secs(20));
    SimTime::ZERO + stop.min(SimDuration::from_secs(25))
}

// ===========================================================================
// Determinism
// ===========================================================================

#[test]
fn every_kafka_preset_runs_the_same_twice() {
    for p in kafka_presets() {
        let t = horizon(p);
        let mut a = World::new(&p.scenario()).unwrap();
        let mut b = World::new(&p.scenario()).unwrap();
        a.run_until(t);
        b.run_until(t);
        assert_eq!(a.trace_hash(), b.trace_hash(), "{}", p.name);
        assert!(a.snapshot() == b.snapshot(), "{}: snapshots differ", p.name);
        assert!(a.trace().total() > 100, "{}: something happened", p.name);
    }
}

#[test]
fn a_clone_taken_mid_run_runs_on_like_a_straight_run() {
    for p in kafka_presets() {
        let t = horizon(p);
        let half = SimTime::ZERO + SimDuration::from_micros((t - SimTime::ZERO).as_micros() / 2 + 137);
        let mut straight = World::new(&p.scenario()).unwrap();
        straight.run_until(t);
        let mut w = World::new(&p.scenario()).unwrap();
        w.run_until(half);
        let mut c = w.clone();
        c.run_until(t);
        w.run_until(t);
        assert_eq!(c.trace_hash(), straight.trace_hash(), "{}: clone", p.name);
        assert_eq!(w.trace_hash(), straight.trace_hash(), "{}: original after the clone", p.name);
        assert!(c.snapshot() == straight.snapshot(), "{}: clone snapshot", p.name);
    }
}

#[test]
fn the_shared_link_replays_live_kafka_commands_exactly() {
    let mut w = World::new(&presets::get("kafka-consumer-group").unwrap().scenario()).unwrap();
    let cmds: Vec<(u64, Command)> = vec![
        (4_000, Command::KafkaBrokerCrash { broker: 2 }),
        (5_500, Command::KafkaMember { group: "workers".into(), member: 1, action: KafkaMemberAction::Crash }),
        (7_000, Command::KafkaBrokerRestart { broker: 2 }),
        (7_000, Command::KafkaMember { group: "workers".into(), member: 3, action: KafkaMemberAction::Leave }),
        (9_250, Command::KafkaBrokerCrash { broker: 1 }),
        (9_300, Command::KafkaMember { group: "workers".into(), member: 3, action: KafkaMemberAction::Start }),
    ];
    for (at, c) in &cmds {
        w.run_until(ms(*at));
        w.apply(c).unwrap_or_else(|e| panic!("{c:?}: {e}"));
    }
    w.run_until(ms(16_000));
    let shared = w.scenario_with_log();
    assert!(shared.commands.len() >= cmds.len(), "the link carries the commands");
    // Through JSON, as a link travels.
    let text = shared.to_json();
    let mut r = World::new(&Scenario::from_json(&text).unwrap()).unwrap();
    r.run_until(ms(16_000));
    assert_eq!(r.trace_hash(), w.trace_hash());
    assert!(r.snapshot() == w.snapshot());
    // And the Kafka parts did something.
    let k = kafka(&r.snapshot()).clone();
    assert!(k.guarantees.produced > 100);
    assert!(k.groups[0].rebalances >= 2, "{:?}", k.groups[0]);
}

#[test]
fn refused_kafka_commands_change_nothing() {
    let mut w = World::new(&presets::get("kafka-consumer-group").unwrap().scenario()).unwrap();
    w.run_until(ms(2_000));
    let (hash, snap) = (w.trace_hash(), w.snapshot());
    for c in [
        Command::KafkaBrokerCrash { broker: 0 },
        Command::KafkaBrokerCrash { broker: 4 },
        Command::KafkaBrokerRestart { broker: 1 }, // not down
        Command::KafkaMember { group: "nope".into(), member: 1, action: KafkaMemberAction::Crash },
        Command::KafkaMember { group: "workers".into(), member: 0, action: KafkaMemberAction::Crash },
        Command::KafkaMember { group: "workers".into(), member: 9, action: KafkaMemberAction::Start },
    ] {
        assert!(w.apply(&c).is_err(), "{c:?} accepted");
        assert_eq!(w.trace_hash(), hash, "{c:?}");
        assert!(w.snapshot() == snap, "{c:?}");
    }
}

// ===========================================================================
// The time series' Kafka part, and slowing a group's handler
// ===========================================================================

fn last_kafka_sample(w: &World) -> queuelab::observe::stats::KafkaSample {
    w.series().samples().next_back().and_then(|s| s.kafka).expect("a kafka sample").into_inner()
}

#[test]
fn samples_carry_offsets_lag_and_latency_as_the_snapshot_says() {
    let mut w = World::new(&presets::get("kafka-consumer-group").unwrap().scenario()).unwrap();
    // Stop right after a sample (every 100 ms), so the snapshot and the
    // last sample see the same instant.
    w.run_until(ms(12_000));
    let s = w.snapshot();
    let k = kafka(&s);
    let last = w.series().samples().next_back().expect("samples");
    assert_eq!(last.t_us, 12_000_000);
    let ks = last.kafka.expect("kafka part");
    assert_eq!(ks.partitions.len(), k.partitions.len());
    for (a, b) in ks.partitions.iter().zip(&k.partitions) {
        assert_eq!((&a.topic, a.partition, a.log_start, a.log_end_offset, a.high_watermark), (&b.topic, b.partition, b.log_start, b.log_end, b.high_watermark));
    }
    assert_eq!(ks.groups.len(), 1);
    let g = &ks.groups[0];
    assert_eq!(g.name, "workers");
    let rows = &k.groups[0].rows;
    assert_eq!(g.partitions.len(), rows.len());
    for (a, r) in g.partitions.iter().zip(rows) {
        assert_eq!((&a.topic, a.partition, a.offset, a.lag), (&r.topic, r.partition, r.current_offset, r.lag));
    }
    assert_eq!(g.lag, Some(rows.iter().filter_map(|r| r.lag).sum()));
    assert_eq!(g.consumed, k.groups[0].members.iter().map(|m| m.consumed).sum::<u64>());
    assert_eq!(ks.produced, k.guarantees.produced);
    assert_eq!(ks.acked, k.producers.iter().map(|p| p.acked).sum::<u64>());
    assert_eq!(ks.consumed, k.guarantees.consumed);
    // Records arrive every ~10 ms and are handled in ~20 ms: each window
    // has latencies, small ones.
    let (p50, p99) = (g.e2e_p50_us.expect("p50"), g.e2e_p99_us.expect("p99"));
    assert!(0 < p50 && p50 <= p99 && p99 < 2_000_000, "{p50} {p99}");
    // Cumulative counts never decrease.
    let all: Vec<_> = w.series().samples().filter_map(|s| s.kafka).collect();
    assert!(all.len() > 100);
    assert!(all.windows(2).all(|p| p[0].produced <= p[1].produced && p[0].consumed <= p[1].consumed && p[0].acked <= p[1].acked));
    // Before the first generation (3 s) nothing is committed: no lag.
    assert_eq!(all[0].groups[0].lag, None);
    // A partition consumer's rows: its position and lag, as its table.
    let mut pc = World::new(&presets::get("kafka-partition-consumer").unwrap().scenario()).unwrap();
    pc.run_until(ms(5_000));
    let ks = last_kafka_sample(&pc);
    let s = pc.snapshot();
    let k = kafka(&s);
    let rows: Vec<(u32, Option<u64>, Option<u64>)> = ks.consumers.iter().flat_map(|c| c.partitions.iter().map(|o| (o.partition, o.offset, o.lag))).collect();
    let view: Vec<(u32, Option<u64>, Option<u64>)> = k.consumers.iter().map(|c| (c.partition, c.offset, c.offset.map(|_| c.lag))).collect();
    assert_eq!(rows, view);
    // A Go world has no Kafka part.
    let mut go = World::new(&presets::get("classic").unwrap().scenario()).unwrap();
    go.run_until(ms(1_000));
    assert!(go.series().samples().all(|s| s.kafka.is_none()));
}

/// The group's total lag at each sample from `from` ms to `to` ms.
fn lags(w: &World, from: u64, to: u64) -> Vec<u64> {
    w.series()
        .samples()
        .filter(|s| (from * 1_000..=to * 1_000).contains(&s.t_us))
        .filter_map(|s| s.kafka.and_then(|k| k.groups[0].lag))
        .collect()
}

#[test]
fn slowing_a_group_handler_makes_its_lag_grow() {
    let mut w = World::new(&presets::get("kafka-consumer-group").unwrap().scenario()).unwrap();
    w.run_until(ms(10_000));
    // Keeping up: ~100 records/s over 6 handlers of ~20 ms each; the lag
    // is what arrived since the last commit (1 s), at most.
    let before = lags(&w, 6_000, 10_000);
    let max_before = *before.iter().max().expect("lags");
    assert!(max_before < 250, "{before:?}");
    let cmd: Command = serde_json::from_str(r#"{"op":"kafka_group_work","group":"workers","work":"200ms"}"#).unwrap();
    w.apply(&cmd).unwrap();
    assert_eq!(cmd.summary(), "handler of group \"workers\" now takes 200ms");
    w.run_until(ms(20_000));
    // 6 handlers of 200 ms take 30 records/s of the ~100 produced.
    let after = lags(&w, 15_000, 20_000);
    assert!(after.iter().all(|&l| l > max_before), "{before:?} then {after:?}");
    assert!(after.last() > after.first(), "{after:?}");
    assert!(*after.last().unwrap() > 500, "{after:?}");
    // End-to-end latency follows.
    // (Handlers of a constant 200 ms in step: every other 100 ms window
    // receives nothing and has no latency.)
    let p99s: Vec<u64> = w.series().samples().filter(|s| s.t_us > 18_000_000).filter_map(|s| s.kafka.and_then(|k| k.groups[0].e2e_p99_us)).collect();
    assert!(p99s.len() >= 5 && p99s.windows(2).all(|p| p[0] < p[1]) && p99s[0] > 2_000_000, "{p99s:?}");
    // The handlers' listing says the new work time.
    let snap = w.snapshot();
    let claim = snap.goroutines.iter().position(|g| g.name == "workers-1.claim0").expect("claim goroutine");
    let listing = serde_json::to_string(&w.listing(claim as u32).expect("listing")).unwrap();
    assert!(listing.contains("takes 200ms"), "{listing}");
    // The shared link replays it.
    let mut r = World::new(&Scenario::from_json(&w.scenario_with_log().to_json()).unwrap()).unwrap();
    r.run_until(ms(20_000));
    assert_eq!(r.trace_hash(), w.trace_hash());
    assert_eq!(lags(&r, 0, 20_000), lags(&w, 0, 20_000));
    // Restarting the design keeps the slow handler from the start.
    let design = queuelab::design::fold(&presets::get("kafka-consumer-group").unwrap().scenario(), &[cmd]);
    assert_eq!(design.kafka.as_ref().unwrap().groups[0].work.to_string(), "200ms");
}

#[test]
fn a_refused_group_work_change_changes_nothing() {
    let mut w = World::new(&presets::get("kafka-consumer-group").unwrap().scenario()).unwrap();
    w.run_until(ms(2_000));
    let (hash, snap) = (w.trace_hash(), w.snapshot());
    let e = w.apply(&Command::KafkaGroupWork { group: "nope".into(), member: None, work: "5ms".parse().unwrap() }).unwrap_err();
    assert_eq!(e.to_string(), "no consumer group named \"nope\"");
    assert_eq!(w.trace_hash(), hash);
    assert!(w.snapshot() == snap);
    // A world without Kafka refuses it too.
    let mut go = World::new(&presets::get("classic").unwrap().scenario()).unwrap();
    assert!(go.apply(&Command::KafkaGroupWork { group: "workers".into(), member: None, work: "5ms".parse().unwrap() }).is_err());
}

// ===========================================================================
// The AsyncProducer hang (SEMANTICS 3.3)
// ===========================================================================

fn hang(buffer: Option<u32>, reader: bool) -> World {
    let mut v = preset_json("kafka-async-hang");
    if let Some(b) = buffer {
        v["kafka"]["producers"][0]["channel_buffer_size"] = json!(b);
    }
    if reader {
        v["goroutines"].as_array_mut().unwrap().push(json!(
            { "name": "results", "behavior": { "program": [
                { "forever": [{ "select": { "cases": [{ "recv": "producer.successes" }, { "recv": "producer.errors" }] } }] }
            ] } }
        ));
    }
    let mut w = world(&v);
    // Just before the preset's stop_at.
    w.run_until(ms(9_900));
    w
}

fn input_sent(s: &Snapshot) -> u64 {
    s.channels.iter().find(|c| c.name == "producer.input").expect("producer.input").sent
}

fn check_hang(w: &World, expected: u64) {
    let s = w.snapshot();
    assert_eq!(input_sent(&s), expected, "sends into Input()");
    let main = s.goroutines.iter().find(|g| g.name == "main").unwrap();
    assert_eq!(main.sent, expected, "main's completed sends");
    assert_eq!(main.state, GState::BlockedSend, "the next send blocks: {}", main.state_text);
    assert!(main.state_for_us > 5_000_000, "blocked for seconds: {}", main.state_for_us);
    let named = s.deadlock.as_ref().is_some_and(|d| d.stuck.iter().any(|st| st.waits_on.contains("producer.successes") || st.why.contains("producer.successes")));
    assert!(main.stuck || named, "the stuck analysis flags it: {:?}", s.deadlock);
    let broker = s.goroutines.iter().find(|g| g.name == "producer.broker1").unwrap();
    assert_eq!(broker.state, GState::BlockedSend, "the broker stage waits on Successes(): {}", broker.state_text);
    // Its first result was acked; nobody took it.
    let k = kafka(&s);
    assert_eq!(k.producers[0].sent, k.producers[0].acked);
    assert!(k.producers[0].acked >= 1);
}

#[test]
fn async_producer_hang_lets_exactly_516_sends_in() {
    check_hang(&hang(None, false), 516);
}

#[test]
fn async_producer_hang_with_channel_buffer_size_0_lets_4_in() {
    check_hang(&hang(Some(0), false), 4);
}

#[test]
fn async_producer_hang_scales_with_the_buffer() {
    // 2 buffers of n, plus the four stages holding one each.
    for n in [1, 7, 100] {
        check_hang(&hang(Some(n), false), 2 * u64::from(n) + 4);
    }
}

/// The hang on a topic of `partitions` partitions with the round-robin
/// partitioner and `ChannelBufferSize` `n`.
fn hang_on_partitions(partitions: u32, n: u32) -> World {
    let mut v = preset_json("kafka-async-hang");
    v["kafka"]["topics"][0]["partitions"] = json!(partitions);
    v["kafka"]["producers"][0]["partitioner"] = json!("round_robin");
    v["kafka"]["producers"][0]["channel_buffer_size"] = json!(n);
    let mut w = world(&v);
    w.run_until(ms(9_900));
    w
}

#[test]
fn async_producer_hang_counts_one_partition_producer_per_partition() {
    // sarama's topic producer hands each message to its partition's own
    // partition producer (`newPartitionProducer`, input buffered
    // ChannelBufferSize): the first success blocks the broker producer,
    // each partition producer then holds one message and its full input,
    // and the topic producer blocks on the next full one. Round robin fills
    // them in turn: 2n + 4 for the first partition, n + 1 for each other.
    for (partitions, n) in [(1, 256), (2, 256), (4, 100), (3, 7)] {
        let w = hang_on_partitions(partitions, n);
        let expected = 2 * u64::from(n) + 4 + u64::from(partitions - 1) * (u64::from(n) + 1);
        check_hang(&w, expected);
        let s = w.snapshot();
        for p in 0..partitions {
            let pp = s.channels.iter().find(|c| c.name == format!("producer.pp{p}")).expect("a partition producer's input");
            assert_eq!(pp.len, n, "producer.pp{p} is full");
            let g = s.goroutines.iter().find(|g| g.name == format!("producer.partition{p}")).expect("a partition producer");
            assert_eq!(g.state, GState::BlockedSend, "{}", g.state_text);
        }
    }
}

#[test]
fn partitions_added_live_get_partition_producers_and_records() {
    // kafka_add_partitions on the async producer's topic: a partition
    // producer (input and goroutine) per new partition, and the topic
    // producer's switch grows; records go to the new partitions once the
    // producer's metadata refresh (at 4s) tells it of them.
    let mut v = preset_json("kafka-async-producer");
    v["kafka"]["producers"][0]["partitioner"] = json!("round_robin");
    // Its client learns of the new partitions at its next metadata refresh.
    v["kafka"]["metadata_refresh"] = json!("4s");
    v["stop_at"] = json!("20s");
    let mut w = world(&v);
    w.run_until(ms(3_000));
    let before = kafka(&w.snapshot()).partitions.len() as u32;
    w.apply(&Command::KafkaAddPartitions { topic: "events".into(), partitions: before + 2 }).expect("partitions added");
    let s = w.snapshot();
    for p in before..before + 2 {
        assert!(s.channels.iter().any(|c| c.name == format!("producer.pp{p}")), "producer.pp{p}");
        let g = s.goroutines.iter().find(|g| g.name == format!("producer.partition{p}")).expect("the new partition producer");
        assert_eq!(g.library, Some("sarama's AsyncProducer"));
    }
    w.run_until(ms(10_000));
    let s = w.snapshot();
    for p in before..before + 2 {
        let part = kafka(&s).partitions.iter().find(|x| x.partition == p).expect("the new partition");
        assert!(part.log_end > 0, "round robin writes to the new partition {p}: {part:?}");
        let pp = s.channels.iter().find(|c| c.name == format!("producer.pp{p}")).unwrap();
        assert!(pp.sent > 0, "through its partition producer: {pp:?}");
    }
    // Deterministic: the same commands replay to the same run.
    let mut again = world(&v);
    again.run_until(ms(3_000));
    again.apply(&Command::KafkaAddPartitions { topic: "events".into(), partitions: before + 2 }).unwrap();
    again.run_until(ms(10_000));
    assert_eq!(again.trace_hash(), w.trace_hash());
}

#[test]
fn reading_successes_prevents_the_hang() {
    let w = hang(None, true);
    let s = w.snapshot();
    let sent = input_sent(&s);
    assert!(sent > 5_000, "one send a millisecond for 10s: {sent}");
    assert!(s.deadlock.is_none(), "{:?}", s.deadlock);
    assert!(s.goroutines.iter().all(|g| !g.stuck), "nobody stuck");
    let main = s.goroutines.iter().find(|g| g.name == "main").unwrap();
    assert!(main.state_for_us < 1_000_000, "main is never blocked long: {}", main.state_text);
    let p = &kafka(&s).producers[0];
    assert!(p.acked + 600 >= sent && p.failed == 0, "{p:?} vs {sent}");
}

// ===========================================================================
// acks and elections (SEMANTICS 3.2)
// ===========================================================================

fn run_preset(name: &str, t: u64) -> World {
    let mut w = World::new(&presets::get(name).unwrap().scenario()).unwrap();
    w.run_until(ms(t));
    w
}

#[test]
fn acks1_loses_acked_records_when_the_leader_dies() {
    let s = run_preset("kafka-acks1-loss", 15_000).snapshot();
    let g = kafka(&s).guarantees;
    assert!(g.lost_after_ack > 0, "{g:?}");
    assert_eq!(g.lost_unclean, 0, "{g:?}");
}

#[test]
fn acks_all_loses_no_acked_record() {
    let s = run_preset("kafka-acks-all", 15_000).snapshot();
    let g = kafka(&s).guarantees;
    assert_eq!(g.lost_after_ack, 0, "{g:?}");
    assert_eq!(g.lost_unclean, 0, "{g:?}");
    assert!(g.acked > 1_000, "{g:?}");
    let p = &kafka(&s).partitions[0];
    assert_eq!(p.leader, Some(2), "broker-2 took over from the ISR: {p:?}");
    assert!(p.isr.contains(&1), "broker-1 came back and caught up: {p:?}");
}

/// The engine's code of `ErrNotEnoughReplicas` in a `KafkaSendFailed`
/// event's `aux` (`world::kafka::KafkaError` is not exported).
const NOT_ENOUGH_REPLICAS: i64 = 1;

/// One sender, acks=all, min.insync.replicas 3 of 3; broker-3 crashes at
/// 1s and is fenced 500ms later.
fn not_enough_replicas() -> World {
    let v = json!({
        "seed": 4, "stop_at": "10s",
        "kafka": { "brokers": 3, "latency": "1ms", "broker_session_timeout": "500ms",
                   "topics": [{ "name": "events", "replication_factor": 3, "min_insync_replicas": 3 }],
                   "producers": [{ "name": "p", "acks": "all" }] },
        "goroutines": [{ "name": "sender", "behavior": { "program": [
            { "forever": [{ "sleep": "100ms" }, { "kafka_send": { "producer": "p", "topic": "events" } }] }
        ] } }],
        "commands": [{ "at": "1s", "command": { "op": "kafka_broker_crash", "broker": 3 } }]
    });
    let mut w = world(&v);
    w.run_until(ms(1_000));
    w
}

#[test]
fn acks_all_below_min_insync_fails_with_not_enough_replicas() {
    let mut w = not_enough_replicas();
    let before = kafka(&w.snapshot()).producers[0].clone();
    assert!(before.acked >= 5 && before.failed == 0, "{before:?}");
    w.run_until(ms(6_000));
    let s = w.snapshot();
    let k = kafka(&s);
    assert_eq!(k.partitions[0].isr.len(), 2, "{:?}", k.partitions[0]);
    let p = &k.producers[0];
    assert!(p.failed >= 5, "{p:?}");
    assert_eq!(p.acked, before.acked, "nothing acked any more: {p:?}");
    let fails: Vec<_> = w.trace().events().filter(|e| e.kind == EventKind::KafkaSendFailed).collect();
    assert!(!fails.is_empty());
    // The request waiting for broker-3 when it was fenced (1.5s) reached
    // the high watermark with an ISR of 2: written, but answered
    // NOT_ENOUGH_REPLICAS_AFTER_APPEND (Kafka's
    // checkEnoughReplicasReachOffset) at 1.501s. sarama retries it
    // (retriable, `handleSuccess`): 3 retries, each 100ms of backoff and
    // a 2ms round trip, each refused before the append while the ISR stays
    // short. So it fails at 1.807s, as does every later send, with
    // NOT_ENOUGH_REPLICAS, and its record stays in the log once.
    let codes: Vec<(SimTime, i64)> = fails.iter().map(|e| (e.time, e.aux)).collect();
    assert_eq!(codes[0].0, ms(1_807), "{codes:?}");
    assert!(codes.iter().all(|&(_, c)| c == NOT_ENOUGH_REPLICAS), "{codes:?}");
    assert_eq!(k.partitions[0].log_end, p.acked + 1, "the acked records and the one written before the refusal: {:?}", k.partitions[0]);
    // Each failure came after Producer.Retry.Max (3) retries 100ms apart:
    // a send takes at least 300ms to fail, so at most ~one per 400ms.
    assert!(p.failed <= 5_000 / 400 + 1, "retried before failing: {p:?}");
    assert_eq!(kafka(&s).guarantees.lost_after_ack, 0);
}

/// NOT_ENOUGH_REPLICAS_AFTER_APPEND is retriable (sarama's
/// `handleSuccess`): when the ISR is whole again by the retry, the record
/// is written a second time, acked, and a consumer reads it twice.
#[test]
fn a_retry_after_not_enough_replicas_after_append_writes_the_record_twice() {
    let v = json!({
        "seed": 4, "stop_at": "4s",
        "kafka": { "brokers": 3, "latency": "1ms", "broker_session_timeout": "500ms",
                   "topics": [{ "name": "events", "replication_factor": 3, "min_insync_replicas": 3 }],
                   "producers": [{ "name": "p", "acks": "all" }],
                   "groups": [{ "name": "g", "topics": ["events"], "members": 1, "initial": "oldest", "work": "0s" }] },
        "goroutines": [{ "name": "sender", "behavior": { "program": [
            { "repeat": { "times": 20, "body": [{ "sleep": "100ms" }, { "kafka_send": { "producer": "p", "topic": "events" } }] } }
        ] } }],
        "commands": [
            { "at": "1s", "command": { "op": "kafka_broker_crash", "broker": 3 } },
            { "at": "1520ms", "command": { "op": "kafka_broker_restart", "broker": 3 } }
        ]
    });
    let mut w = world(&v);
    w.run_until(ms(4_000));
    let s = w.snapshot();
    let k = kafka(&s);
    let p = &k.producers[0];
    assert_eq!((p.sent, p.acked, p.failed), (20, 20, 0), "{p:?}");
    assert_eq!(k.partitions[0].isr.len(), 3, "broker-3 caught up: {:?}", k.partitions[0]);
    // 20 records, one of them twice: answered AFTER_APPEND at 1.501s,
    // retried at 1.601s into a whole ISR again.
    assert_eq!(k.partitions[0].log_end, 21, "{:?}", k.partitions[0]);
    let g = k.guarantees;
    // Consumed counts reads: 21, the second read of that record a duplicate.
    assert_eq!((g.acked, g.failed, g.consumed, g.duplicates), (20, 0, 21, 1), "{g:?}");
    assert!(w.trace().events().any(|e| e.kind == EventKind::KafkaDuplicate), "the second read is an event too");
}

#[test]
fn unclean_election_loses_committed_records() {
    let s = run_preset("kafka-unclean-election", 12_000).snapshot();
    let g = kafka(&s).guarantees;
    assert!(g.lost_unclean > 0, "{g:?}");
}

#[test]
fn without_unclean_election_the_partition_waits_for_its_in_sync_replica() {
    let mut v = preset_json("kafka-unclean-election");
    v["kafka"]["unclean_leader_election"] = json!(false);
    let mut w = world(&v);
    w.run_until(ms(5_900));
    let hw_before = kafka(&w.snapshot()).partitions[0].high_watermark;
    // broker-1 is down from 6s (fenced at 6.5s), broker-2 (out of sync) is
    // back from 7s.
    for t in (6_600..9_000).step_by(100) {
        w.run_until(ms(t));
        let s = w.snapshot();
        let p = &kafka(&s).partitions[0];
        assert_eq!(p.leader, None, "at {t}ms: {p:?}");
    }
    w.run_until(ms(9_500));
    let s = w.snapshot();
    let p = &kafka(&s).partitions[0];
    assert_eq!(p.leader, Some(1), "broker-1 leads again: {p:?}");
    assert!(p.high_watermark >= hw_before, "{p:?}");
    w.run_until(ms(12_000));
    let s = w.snapshot();
    let g = kafka(&s).guarantees;
    assert_eq!((g.lost_unclean, g.lost_after_ack), (0, 0), "{g:?}");
    assert!(g.acked > 0);
}

// ===========================================================================
// Consumers (SEMANTICS 3.1, 3.4)
// ===========================================================================

#[test]
fn consumers_read_only_below_the_high_watermark() {
    for name in ["kafka-partition-consumer", "kafka-sync-producer", "kafka-consumer-group", "kafka-acks1-loss"] {
        let mut w = World::new(&presets::get(name).unwrap().scenario()).unwrap();
        let mut reads = 0;
        for t in (50..12_000).step_by(50) {
            w.run_until(ms(t));
            let s = w.snapshot();
            let k = kafka(&s);
            let hw: BTreeMap<(String, u32), u64> = k.partitions.iter().map(|p| ((p.topic.clone(), p.partition), p.high_watermark)).collect();
            for c in &k.consumers {
                let h = hw[&(c.topic.clone(), c.partition)];
                if let Some(o) = c.offset {
                    assert!(o <= h, "{name} at {t}ms: {c:?} past the HW {h}");
                }
                reads += c.consumed;
            }
            for g in &k.groups {
                for r in &g.rows {
                    if let Some(o) = r.current_offset {
                        assert!(o <= r.log_end_offset, "{name} at {t}ms: {} {r:?}", g.name);
                    }
                }
            }
        }
        let _ = reads;
        // What was read never exceeds what is committed (below the HW).
        let s = w.snapshot();
        let k = kafka(&s);
        let below_hw: u64 = k.partitions.iter().map(|p| p.high_watermark - p.log_start).sum();
        let read: u64 = k.consumers.iter().map(|c| c.consumed).sum();
        assert!(read <= below_hw, "{name}: {read} read, {below_hw} below the HWs");
    }
}

/// A group of one member on one partition; 100 records in the first second,
/// 10 more at 5s.
fn newest_vs_oldest(initial: &str) -> u64 {
    let v = json!({
        "seed": 8,
        "kafka": { "brokers": 1, "topics": [{ "name": "t" }], "producers": [{ "name": "p" }],
                   "groups": [{ "name": "g", "topics": ["t"], "initial": initial, "work": "1ms" }] },
        "goroutines": [{ "name": "sender", "behavior": { "program": [
            { "repeat": { "times": 100, "body": [{ "sleep": "10ms" }, { "kafka_send": { "producer": "p", "topic": "t" } }] } },
            { "sleep": "4s" },
            { "repeat": { "times": 10, "body": [{ "sleep": "10ms" }, { "kafka_send": { "producer": "p", "topic": "t" } }] } },
            { "sleep": "100s" }
        ] } }]
    });
    let mut w = world(&v);
    w.run_until(ms(12_000));
    let s = w.snapshot();
    let k = kafka(&s);
    assert_eq!(k.guarantees.acked, 110, "{:?}", k.guarantees);
    k.guarantees.consumed
}

#[test]
fn offset_newest_skips_records_produced_before_the_first_fetch() {
    // The first generation starts at 3s: the first 100 are before it.
    assert_eq!(newest_vs_oldest("newest"), 10);
    assert_eq!(newest_vs_oldest("oldest"), 110);
}

#[test]
fn offset_out_of_range_shuts_a_partition_consumer_down() {
    let w = run_preset("kafka-retention", 90_000);
    let s = w.snapshot();
    let k = kafka(&s);
    let archive = k.consumers.iter().find(|c| c.name == "archive").unwrap();
    assert!(archive.stopped, "{archive:?}");
    assert!(k.partitions[0].log_start > 0, "retention deleted segments: {:?}", k.partitions[0]);
    assert!(k.guarantees.deleted_by_retention > 0, "{:?}", k.guarantees);
    assert!(k.guarantees.skipped > 0, "the group's reset skipped records: {:?}", k.guarantees);
    assert!(w.trace().events().any(|e| e.kind == EventKind::KafkaOutOfRange));
    // Messages() is closed (the handler's range ends once it drained it).
    let ch = s.channels.iter().find(|c| c.name == "archive.p0").unwrap();
    assert!(ch.closed);
}

// ===========================================================================
// Consumer groups (SEMANTICS 3.4)
// ===========================================================================

#[test]
fn the_first_generation_waits_for_the_initial_rebalance_delay() {
    let mut w = World::new(&presets::get("kafka-consumer-group").unwrap().scenario()).unwrap();
    for t in (100..3_000).step_by(100) {
        w.run_until(ms(t));
        let s = w.snapshot();
        let g = &kafka(&s).groups[0];
        assert!(g.members.iter().all(|m| m.partitions.is_empty()), "at {t}ms: {g:?}");
        assert_eq!(g.generation, 0, "at {t}ms");
        assert_eq!(kafka(&s).guarantees.consumed, 0);
    }
    // Kafka's InitialDelayedJoin: members 2 and 3 joined during the first
    // 3s delay, so it is extended once more by 3s (up to the rebalance
    // timeout): generation 1 comes at about 6s.
    w.run_until(ms(5_900));
    assert_eq!(kafka(&w.snapshot()).groups[0].generation, 0);
    w.run_until(ms(7_000));
    let s = w.snapshot();
    let g = &kafka(&s).groups[0];
    assert_eq!(g.generation, 1, "{g:?}");
    let owned: usize = g.members.iter().map(|m| m.partitions.len()).sum();
    assert_eq!(owned, 6);
    assert!(g.members.iter().all(|m| m.partitions.len() == 2), "{:?}", g.members);
}

#[test]
fn a_lone_member_gets_its_partitions_after_3s() {
    let v = json!({
        "seed": 2,
        "kafka": { "brokers": 1, "topics": [{ "name": "t", "partitions": 2 }],
                   "groups": [{ "name": "g", "topics": ["t"], "members": 1 }] },
        "goroutines": []
    });
    let mut w = world(&v);
    w.run_until(ms(2_990));
    let s = w.snapshot();
    assert!(kafka(&s).groups[0].members[0].partitions.is_empty());
    assert_eq!(kafka(&s).groups[0].generation, 0);
    w.run_until(ms(3_100));
    let s = w.snapshot();
    let g = &kafka(&s).groups[0];
    assert_eq!(g.generation, 1, "{g:?}");
    assert_eq!(g.members[0].partitions, ["t-0", "t-1"]);
}

fn parts(g: &queuelab::world::KafkaGroupView) -> BTreeMap<String, Vec<String>> {
    g.members.iter().map(|m| (m.id.clone(), m.partitions.clone())).collect()
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[test]
fn members_beyond_the_partition_count_are_idle() {
    let v = json!({
        "seed": 2,
        "kafka": { "brokers": 1, "topics": [{ "name": "t", "partitions": 3 }],
                   "groups": [{ "name": "g", "topics": ["t"], "members": 5 }] },
        "goroutines": []
    });
    let mut w = world(&v);
    w.run_until(ms(10_000));
    let s = w.snapshot();
    let g = &kafka(&s).groups[0];
    let p = parts(g);
    let busy: Vec<_> = p.iter().filter(|(_, ps)| !ps.is_empty()).map(|(m, _)| m.clone()).collect();
    assert_eq!(busy, ["g-1", "g-2", "g-3"], "{p:?}");
    for m in &g.members {
        if m.partitions.is_empty() {
            assert_eq!(m.state, "idle", "{m:?}");
        } else {
            assert_eq!(m.partitions.len(), 1);
        }
    }
}

#[test]
fn range_and_roundrobin_assign_as_sarama() {
    let s = run_preset("kafka-idle-members", 10_000).snapshot();
    let k = kafka(&s);
    let range = parts(k.groups.iter().find(|g| g.name == "range").unwrap());
    // sarama's range: per topic, 3 partitions over 5 sorted members: one
    // each to the first three, for both topics (skew).
    for (m, want) in [
        ("range-1", sorted(&["orders-0", "payments-0"])),
        ("range-2", sorted(&["orders-1", "payments-1"])),
        ("range-3", sorted(&["orders-2", "payments-2"])),
        ("range-4", vec![]),
        ("range-5", vec![]),
    ] {
        let mut got = range[m].clone();
        got.sort();
        assert_eq!(got, want, "{m}: {range:?}");
    }
    // sarama's roundrobin: "orders-0" < ... < "payments-2" dealt in turn.
    let rr = parts(k.groups.iter().find(|g| g.name == "rr").unwrap());
    for (m, want) in [
        ("rr-1", sorted(&["orders-0", "payments-2"])),
        ("rr-2", sorted(&["orders-1"])),
        ("rr-3", sorted(&["orders-2"])),
        ("rr-4", sorted(&["payments-0"])),
        ("rr-5", sorted(&["payments-1"])),
    ] {
        let mut got = rr[m].clone();
        got.sort();
        assert_eq!(got, want, "{m}: {rr:?}");
    }
}

#[test]
fn range_sorts_member_ids_as_strings() {
    // 11 members on 11 partitions: "g-10" and "g-11" sort before "g-2".
    let v = json!({
        "seed": 2,
        "kafka": { "brokers": 1, "topics": [{ "name": "t", "partitions": 12 }],
                   "groups": [{ "name": "g", "topics": ["t"], "members": 11 }] },
        "goroutines": []
    });
    let mut w = world(&v);
    w.run_until(ms(10_000));
    let s = w.snapshot();
    let p = parts(&kafka(&s).groups[0]);
    // Sorted: g-1, g-10, g-11, g-2, ..., g-9; the first gets the 12th.
    assert_eq!(p["g-1"], ["t-0", "t-1"], "{p:?}");
    assert_eq!(p["g-10"], ["t-2"], "{p:?}");
    assert_eq!(p["g-11"], ["t-3"], "{p:?}");
    assert_eq!(p["g-2"], ["t-4"], "{p:?}");
    assert_eq!(p["g-9"], ["t-11"], "{p:?}");
}

#[test]
fn a_join_raises_the_generation_and_a_crash_before_the_commit_gives_duplicates() {
    let mut w = World::new(&presets::get("kafka-rebalance").unwrap().scenario()).unwrap();
    w.run_until(ms(7_900));
    let s = w.snapshot();
    let g = &kafka(&s).groups[0];
    assert_eq!(g.generation, 1, "{g:?}");
    assert_eq!(g.members.iter().filter(|m| !m.partitions.is_empty()).count(), 2);
    w.run_until(ms(19_000));
    let s = w.snapshot();
    let g = &kafka(&s).groups[0];
    assert!(g.generation >= 2, "the join rebalanced: {g:?}");
    assert_eq!(g.members.iter().filter(|m| !m.partitions.is_empty()).count(), 3, "{:?}", g.members);
    assert_eq!(kafka(&s).guarantees.duplicates, 0, "no duplicates before the crash");
    w.run_until(ms(45_000));
    let s = w.snapshot();
    let k = kafka(&s);
    assert!(k.guarantees.duplicates > 0, "{:?}", k.guarantees);
    let w1 = k.groups[0].members.iter().find(|m| m.id == "workers-1").unwrap();
    // (The view's doc lists "crashed"; the engine says "down".)
    assert!(w1.state == "down" || w1.state == "crashed", "{w1:?}");
    assert!(w1.partitions.is_empty() || k.groups[0].members.iter().filter(|m| m.id != "workers-1").all(|m| !m.partitions.is_empty()));
}

#[test]
fn a_clean_leave_gives_no_duplicates() {
    let mut v = preset_json("kafka-rebalance");
    v["commands"][1]["command"]["action"] = json!("leave");
    let mut w = world(&v);
    w.run_until(ms(45_000));
    let s = w.snapshot();
    let k = kafka(&s);
    assert_eq!(k.guarantees.duplicates, 0, "final commit on Close(): {:?}", k.guarantees);
    assert!(k.groups[0].generation >= 3, "{:?}", k.groups[0]);
}

#[test]
fn async_producer_hang_blocks_each_broker_producer_on_its_own_success() {
    // sarama runs one broker producer per broker (`getBrokerProducer`);
    // each blocks on Successes() with its own first result. In: n + 3 (the
    // dispatcher, tp, the topic producer), n + 1 per partition producer
    // (its input and the message it holds), and one success per broker
    // producer leading a partition: 2n + 4 + (P - 1)(n + 1) on one broker,
    // plus one per other leading broker.
    for (brokers, partitions, n) in [(3u32, 3u32, 7u32), (3, 3, 256), (2, 4, 100), (3, 6, 10), (4, 2, 5)] {
        let mut v = preset_json("kafka-async-hang");
        v["kafka"]["brokers"] = json!(brokers);
        v["kafka"]["topics"][0]["partitions"] = json!(partitions);
        v["kafka"]["producers"][0]["partitioner"] = json!("round_robin");
        v["kafka"]["producers"][0]["channel_buffer_size"] = json!(n);
        let mut w = world(&v);
        w.run_until(ms(9_900));
        let leading = brokers.min(partitions);
        check_hang(&w, 2 * u64::from(n) + 4 + u64::from(partitions - 1) * (u64::from(n) + 1) + u64::from(leading - 1));
        let s = w.snapshot();
        assert_eq!(kafka(&s).producers[0].acked, u64::from(leading), "one success each");
        for b in 1..=brokers {
            let g = s.goroutines.iter().find(|g| g.name == format!("producer.broker{b}")).expect("a broker producer per broker");
            assert_eq!(g.library, Some("sarama's AsyncProducer"));
            if b <= leading {
                assert_eq!(g.state, GState::BlockedSend, "{}", g.state_text);
                assert!(g.state_text.contains("producer.successes"), "{}", g.state_text);
            } else {
                // A broker leading nothing: its broker producer waits for
                // input (sarama would not have started it).
                assert_eq!(g.state, GState::BlockedSelect, "{}", g.state_text);
            }
        }
    }
}

#[test]
fn an_unclaimed_claim_slot_says_it_is_idle_not_fetching() {
    // kafka-idle-members: group 'range' has 5 members on two topics of 3
    // partitions; range-4 and range-5 get nothing, range-1 to range-3 two
    // each (two slots busy).
    let mut w = world(&preset_json("kafka-idle-members"));
    w.run_until(ms(1_000));
    let text = |s: &Snapshot, name: &str| s.goroutines.iter().find(|g| g.name == name).unwrap_or_else(|| panic!("{name}")).state_text.clone();
    // Before the first generation (the 3 s initial rebalance delay).
    let s = w.snapshot();
    let t = text(&s, "range-1.claim0");
    assert!(t.starts_with("idle for 1s: its member is between generations"), "{t}");
    w.run_until(ms(10_000));
    let s = w.snapshot();
    for m in [4, 5] {
        let t = text(&s, &format!("range-{m}.claim0"));
        assert!(t.starts_with("idle for ") && t.contains("owns no partition in this generation (more members than partitions)"), "{t}");
        assert!(s.goroutines.iter().find(|g| g.name == format!("range-{m}.claim0")).unwrap().idle);
    }
    // range-1 owns two partitions: its slots beyond them are idle too.
    let spare = s.goroutines.iter().find(|g| g.name.starts_with("range-1.claim") && g.idle).expect("an idle slot of range-1");
    assert!(spare.state_text.contains("fewer partitions than it has claim slots"), "{}", spare.state_text);
    // A claimed slot fetches or works.
    let t = text(&s, "range-1.claim0");
    assert!(!t.starts_with("idle"), "{t}");
    assert!(!s.goroutines.iter().find(|g| g.name == "range-1.claim0").unwrap().idle);
}

#[test]
fn a_stopped_world_still_says_how_long_each_goroutine_was_blocked() {
    // kafka-async-hang stops at 10 s (its stop_at): main has been blocked on
    // producer.input since about 0.5 s, and still says so, not "for 0s".
    let mut w = world(&preset_json("kafka-async-hang"));
    w.run_until(ms(9_900));
    let before = w.snapshot().goroutines.iter().find(|g| g.name == "main").unwrap().state_for_us;
    w.run_until(ms(20_000));
    let s = w.snapshot();
    assert_eq!(s.status, queuelab::observe::snapshot::RunStatus::Stopped);
    let main = s.goroutines.iter().find(|g| g.name == "main").unwrap();
    assert_eq!(main.state_for_us, before + 100_000, "blocked until the stop, 100 ms after 9.9 s");
    assert!(main.state_text.contains(&format!("for {}", SimDuration::from_micros(main.state_for_us))), "{}", main.state_text);
    // Its time shares still add up to its life.
    assert!(main.blocked_send_us >= main.state_for_us);
}

/// The state of `main`, alone sending once with `acks` to a topic of one
/// partition on 2 brokers (broker-1 leads), at `at` ms: its program is
/// `program`, its commands `commands`; and the short form of its state
/// text, if it has one.
fn lone_sender_at(acks: &str, latency: &str, program: Value, commands: Value, at: u64) -> (GState, String, Option<&'static str>) {
    let v = json!({
        "seed": 2,
        "kafka": { "brokers": 2, "latency": latency, "topics": [{ "name": "t", "replication_factor": 2 }], "producers": [{ "name": "sp", "acks": acks }] },
        "goroutines": [{ "name": "main", "behavior": { "program": program } }],
        "commands": commands
    });
    let mut w = world(&v);
    w.run_until(ms(at));
    let s = w.snapshot();
    let main = s.goroutines.iter().find(|g| g.name == "main").expect("main");
    (main.state, main.state_text.clone(), main.state_short)
}

/// A SendMessage waiting for its answer says whose ack, with its acks, for
/// each RequiredAcks. (acks=1 once read as another kind of wait: the acks
/// bits overlapped the bits that say what a goroutine waits for.)
#[test]
fn a_waiting_sync_send_says_whose_ack_it_waits_for() {
    for (acks, words) in [("local", "acks=1: the leader's write"), ("all", "acks=all: every in-sync replica must have it")] {
        let send = json!([{ "kafka_send": { "producer": "sp", "topic": "t" } }]);
        let (state, text, short) = lone_sender_at(acks, "10ms", send, json!([]), 5);
        assert_eq!(state, GState::BlockedNet, "{acks}: {text}");
        assert!(text.starts_with("waiting for broker-1's ack for 5ms") && text.contains(words), "{acks}: {text}");
        assert_eq!(short, None, "{acks}: the ack wait's short line is the view's (ackWaitLine)");
    }
}

/// A send to a partition with no working leader (its leader crashed and
/// is not fenced yet) is refused and retried: the goroutine says so, with
/// acks=0 too (where it used to read "waiting for the partition leader's
/// ack", an ack acks=0 never waits for).
#[test]
fn a_send_with_no_working_leader_says_it_is_retrying() {
    for (acks, words) in [("none", "acks=0"), ("local", "acks=1"), ("all", "acks=all")] {
        let send = json!([{ "sleep": "10ms" }, { "kafka_send": { "producer": "sp", "topic": "t" } }]);
        let crash = json!([{ "at": "5ms", "command": { "op": "kafka_broker_crash", "broker": 1 } }]);
        let (state, text, short) = lone_sender_at(acks, "1ms", send, crash, 60);
        assert_eq!(state, GState::BlockedNet, "{acks}: {text}");
        assert!(text.starts_with("retrying: the partition has no working leader for 50ms") && text.contains(words), "{acks}: {text}");
        // The stage's producer card says this when the sentence does not fit.
        assert_eq!(short, Some("retrying: leader down"), "{acks}");
    }
}

/// Found by `kafka_random` (proptest regression a6cb9ab4): broker-1
/// crashes, broker-2 stops, both come back. The crash used to make every
/// partition consumer with a fetch out send another, so t0-1's had two out;
/// one answer was OFFSET_OUT_OF_RANGE (an unclean election truncated the
/// log) and shut it down, and the other, with records, was handed to the
/// fetch goroutine, which sent on the closed channel: a panic in the model
/// sarama cannot have. A crash now retries only the fetches that went to
/// the crashed broker and got no answer, so the second fetch is gone; the
/// run must still end cleanly, and a partition consumer that shuts down
/// takes nothing more (`kafka_fetch_data` ignores a stopped fetcher).
#[test]
fn a_partition_consumer_shut_down_by_out_of_range_takes_no_late_answer() {
    let v = json!({
        "seed": 8200780355183702638u64, "stop_at": "12s",
        "kafka": { "brokers": 2, "latency": "exp(1ms)", "broker_session_timeout": "300ms", "replica_lag_max": "2s",
                   "unclean_leader_election": true,
                   "topics": [{ "name": "t0", "partitions": 2, "replication_factor": 2, "min_insync_replicas": 2 }],
                   "producers": [{ "name": "p0", "acks": "all", "partitioner": "hash" }],
                   "consumers": [{ "name": "pc", "topic": "t0", "offset": "oldest", "work": "exp(2ms)" }] },
        "goroutines": [{ "name": "s0", "count": 2, "behavior": { "program": [
            { "forever": [{ "sleep": "exp(8ms)" }, { "kafka_send": { "producer": "p0", "topic": "t0" } }] }
        ] } }],
        "commands": [
            { "at": "95ms", "command": { "op": "kafka_broker_crash", "broker": 1 } },
            { "at": "501ms", "command": { "op": "kafka_broker_stop", "broker": 2 } },
            { "at": "2506ms", "command": { "op": "kafka_broker_restart", "broker": 1 } },
            { "at": "4036ms", "command": { "op": "kafka_broker_restart", "broker": 2 } }
        ]
    });
    let mut w = world(&v);
    w.run_until(ms(12_000));
    let s = w.snapshot();
    assert_eq!(s.status, queuelab::observe::snapshot::RunStatus::Stopped, "{:?}", s.panic);
    let events: Vec<_> = w.trace().events().collect();
    for part in [0, 1] {
        if let Some(stop) = events.iter().position(|e| e.kind == EventKind::KafkaOutOfRange && e.ch == part) {
            assert!(!events[stop..].iter().any(|e| e.kind == EventKind::KafkaFetched && e.ch == part), "nothing is read from t0-{part} after its shutdown");
        }
    }
    let g = &kafka(&s).guarantees;
    assert_eq!(g.duplicates, 0, "{g:?}");
}

/// Found by `kafka_random` (proptest regression 9a0aa62e): an async
/// producer (MaxOpenRequests 1, keyed) whose partition's leader crashes.
/// The retry of the request that failed moved the partition's route to the
/// new leader's broker producer, but two messages already on their way to
/// the old one (in its input channel) got there after the retry: they were
/// batched there, failed, and were retried 100ms later, behind newer
/// records of their keys. sarama keeps the order (its old broker producer
/// retries such messages at once, and the partition producer holds newer
/// ones back until its `fin` chaser returns): a straggler now joins the
/// new route's batch ahead of the partition's newer records.
#[test]
fn messages_still_on_their_way_to_the_old_leader_keep_their_order_after_a_retry() {
    let v = json!({
        "seed": 6496945324065094157u64, "stop_at": "12s",
        "kafka": { "brokers": 2, "latency": "exp(1ms)", "broker_session_timeout": "0s", "replica_lag_max": "2s",
                   "topics": [{ "name": "t0", "partitions": 2, "replication_factor": 2, "min_insync_replicas": 1 }],
                   "producers": [
                       { "name": "p0", "acks": "none", "partitioner": "hash" },
                       { "name": "ap", "kind": "async", "topic": "t0", "acks": "all", "keys": 3, "channel_buffer_size": 0,
                         "flush": { "max_messages": 2 }, "max_open_requests": 1, "return_successes": true }
                   ],
                   "consumers": [{ "name": "pc", "topic": "t0", "offset": "oldest", "work": "exp(2ms)" }] },
        "goroutines": [
            { "name": "s0", "count": 2, "behavior": { "program": [
                { "forever": [{ "sleep": "exp(9ms)" }, { "kafka_send": { "producer": "p0", "topic": "t0" } }] }] } },
            { "name": "asender", "behavior": { "program": [{ "forever": [{ "sleep": "exp(9ms)" }, { "send": "ap.input" }] }] } },
            { "name": "results", "behavior": { "program": [{ "forever": [{ "select": { "cases": [{ "recv": "ap.successes" }, { "recv": "ap.errors" }] } }] }] } }
        ],
        "commands": [{ "at": "4314ms", "command": { "op": "kafka_broker_crash", "broker": 2 } }]
    });
    let mut w = world(&v);
    w.run_until(ms(12_000));
    let s = w.snapshot();
    let g = kafka(&s).guarantees;
    assert_eq!(g.out_of_order, 0, "{g:?}");
    assert!(g.consumed > 2_000, "{g:?}");
    // And in the log itself: each key's records at rising offsets.
    let mut last: BTreeMap<(u32, i64), (i64, u64)> = BTreeMap::new();
    for e in w.events_since(0, 1_000_000).into_iter().filter(|e| e.kind == EventKind::KafkaAcked && e.label.as_deref().is_some_and(|l| l.starts_with("asender#"))) {
        let value: i64 = e.label.as_deref().unwrap()["asender#".len()..].parse().unwrap();
        let k = e.kafka.as_ref().unwrap();
        let offset = k.offset.unwrap();
        if let Some(&(v0, o0)) = last.get(&(k.partition, value % 3)) {
            assert!(offset > o0, "key {} of t0-{}: asender#{value} at {offset}, after asender#{v0} at {o0}", value % 3, k.partition);
        }
        last.insert((k.partition, value % 3), (value, offset));
    }
}

/// acks=0 (`NoResponse`): `SendMessage` returns at once, offset -1, so
/// each record counts as acked when it is sent. When its leader dies, what
/// was on the way to it is gone without a word (counted "sent with acks=0,
/// never written"), and what it had written but no follower had copied is
/// truncated at the election ("acked then lost").
#[test]
fn acks_0_into_a_dying_leader_loses_records_nobody_hears_of() {
    let v = json!({
        "seed": 1, "stop_at": "5s",
        "kafka": { "brokers": 3, "latency": "5ms", "broker_session_timeout": "0s",
                   "topics": [{ "name": "t", "replication_factor": 3 }],
                   "producers": [{ "name": "p", "acks": "none" }] },
        "goroutines": [{ "name": "s", "count": 2, "behavior": { "program": [
            { "forever": [{ "sleep": "1ms" }, { "kafka_send": { "producer": "p", "topic": "t" } }] }
        ] } }],
        "commands": [{ "at": "1s", "command": { "op": "kafka_broker_crash", "broker": 1 } }]
    });
    let mut w = world(&v);
    w.run_until(ms(999));
    let g = kafka(&w.snapshot()).guarantees;
    assert_eq!((g.sending, g.lost_unwritten, g.lost_after_ack), (0, 0, 0), "sent is acked at once: {g:?}");
    assert_eq!(g.acked, g.produced);
    w.run_until(ms(5_000));
    let s = w.snapshot();
    let k = kafka(&s);
    let g = k.guarantees;
    // Two senders, a record every ~1ms each, 5ms one way: about 10 on the
    // wire to broker-1 when it died, and a few more in its log only.
    assert!((4..=20).contains(&g.lost_unwritten), "{g:?}");
    assert!(g.lost_after_ack > 0, "{g:?}");
    assert_eq!(g.sending + g.failed + g.lost_unacked + g.lost_unclean, 0, "{g:?}");
    assert_eq!(g.acked + g.lost_after_ack + g.lost_unwritten, g.produced, "{g:?}");
    assert_eq!(k.producers[0].acked, g.produced, "the producer was told every one was sent");
}
