//! Kafka live commands on the network and the group strategy (issue 14):
//! `kafka_cut_link`, `kafka_heal_link`, `kafka_assignor`.
//!
//! - A follower cut from its leader stays in the ISR (acks=all stalls,
//!   and the sender blocked in SendMessage names it as the replica it
//!   waits for) until `replica.lag.time.max.ms`, then leaves it (acks=all goes on
//!   with `min.insync.replicas` 2), and rejoins once healed.
//! - A member cut from its coordinator is removed after the session
//!   timeout (a rebalance hands its partitions to the others) and joins
//!   again once healed. Cut for minutes, its heartbeats time out after
//!   `Net.ReadTimeout` 4 times in a row, 30 s apart, and sarama's heartbeat
//!   loop ends its session: it stops processing and joins again; each
//!   JoinGroup written into the cut times out after `Net.ReadTimeout`
//!   too, so `Consume` returns the i/o timeout every 30 s and the member's
//!   loop joins again; healed, the last join gets through (none of the
//!   closed ones arrives) and it gets its share. Its commits go
//!   one at a time and time out every 30 s (its final one too); healed,
//!   none of them arrives, not one per second of the cut.
//! - With no cut at all, a JoinGroup held by the coordinator for longer
//!   than `Net.ReadTimeout` (a member slow to rejoin, the rebalance
//!   timeout 60 s) times out the same way (sarama issue #2820): the
//!   waiting members' `Consume` returns the i/o timeout and they join
//!   again; the generation still forms once the slow member rejoins.
//! - A producer cut from its leader waits; healed, it goes on. Cut for
//!   longer than sarama's `Net.ReadTimeout` (30 s), its request times out,
//!   is retried 3 times 30.1 s apart and then fails; what was held on the
//!   closed connections never arrives after the heal.
//! - A partition consumer cut from its leader: its fetch times out after
//!   `Net.ReadTimeout` and is tried again after `Consumer.Retry.Backoff`
//!   (2 s), so once every 32 s across the cut; healed, it catches up with
//!   nothing read twice.
//! - A cut outlives a crash and restart of one side.
//! - Refused commands change nothing; the view lists the cuts by name.
//! - Switching the assignor applies at the next rebalance; after a leave
//!   roundrobin reshuffles while sticky moves only the leaver's
//!   partitions (kafka-idle-members); cooperative-sticky, in sarama's
//!   eager group, keeps no owner (a fresh balanced plan).
//! - The shared link replays cuts, heals and switches exactly.

use queuelab::command::{Command, KafkaMemberAction};
use queuelab::kafka::spec::AssignorSpec;
use queuelab::observe::trace::EventKind;
use queuelab::presets;
use queuelab::scenario::Scenario;
use queuelab::world::{KafkaView, World};
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[path = "support/world.rs"]
mod world_support;
use world_support::{apply, kafka, ms, world};

fn cut(a: &str, b: &str) -> Command {
    Command::KafkaCutLink { a: a.into(), b: b.into() }
}

fn heal(a: &str, b: &str) -> Command {
    Command::KafkaHealLink { a: a.into(), b: b.into() }
}

/// Three brokers, one partition replicated 3 times with
/// `min.insync.replicas` 2, `replica.lag.time.max.ms` 5 s; one acks=all
/// sender every 100 ms; a group `g` of `members` on `parts` partitions of
/// topic `t` (when `members` > 0).
fn cluster(members: u32, parts: u32) -> Value {
    let mut groups = vec![];
    if members > 0 {
        groups.push(json!({ "name": "g", "topics": ["t"], "members": members, "work": "1ms" }));
    }
    json!({
        "seed": 7,
        "kafka": { "brokers": 3, "latency": "1ms", "replica_lag_max": "5s",
                   "topics": [{ "name": "events", "replication_factor": 3, "min_insync_replicas": 2 },
                              { "name": "t", "partitions": parts, "replication_factor": 1 }],
                   "producers": [{ "name": "p", "acks": "all" }, { "name": "q", "acks": "local", "partitioner": "round_robin" }],
                   "groups": groups },
        "goroutines": [
            { "name": "sender", "behavior": { "program": [
                { "forever": [{ "sleep": "100ms" }, { "kafka_send": { "producer": "p", "topic": "events" } }] } ] } },
            { "name": "feeder", "behavior": { "program": [
                { "forever": [{ "sleep": "20ms" }, { "kafka_send": { "producer": "q", "topic": "t" } }] } ] } }
        ]
    })
}

fn acked(w: &World, producer: &str) -> u64 {
    kafka(&w.snapshot()).producers.iter().find(|p| p.name == producer).expect("producer").acked
}

#[test]
fn a_follower_cut_from_its_leader_stalls_acks_all_then_leaves_the_isr_and_rejoins_when_healed() {
    let mut w = world(&cluster(0, 1));
    w.run_until(ms(2_000));
    let p = kafka(&w.snapshot()).partitions[0].clone();
    let leader = p.leader.expect("a leader");
    let follower = *p.replicas.iter().find(|&&b| b != leader).expect("a follower");
    let (l, f) = (format!("broker-{leader}"), format!("broker-{follower}"));
    apply(&mut w, &cut(&f, &l));
    assert_eq!(kafka(&w.snapshot()).cuts, vec![[l.clone(), f.clone()]].into_iter().map(|[a, b]| if a < b { [a, b] } else { [b, a] }).collect::<Vec<_>>());
    let at_cut = acked(&w, "p");
    // Before replica.lag.time.max.ms, the cut follower is still in the
    // ISR: the high watermark cannot pass it, acks=all waits.
    w.run_until(ms(6_000));
    let s = w.snapshot();
    assert!(kafka(&s).partitions[0].isr.contains(&follower), "{:?}", kafka(&s).partitions[0]);
    assert!(acked(&w, "p") <= at_cut + 1, "acks=all stalled: {} then {}", at_cut, acked(&w, "p"));
    // The sender blocked in SendMessage says which replica it waits for: the cut follower, not the one in step.
    let sender = s.goroutines.iter().find(|g| g.name == "sender").expect("sender");
    let waits = &sender.state_text;
    assert!(waits.contains("acks=all") && waits.contains(&format!("is on {l}, not yet on {f}")), "{waits}");
    let other = p.replicas.iter().find(|&&b| b != leader && b != follower).expect("a third replica");
    assert!(!waits.contains(&format!("broker-{other}")), "the follower in step is not waited for: {waits}");
    // Then the leader drops it; two in sync are enough (min.insync 2).
    w.run_until(ms(9_000));
    let s = w.snapshot();
    let p = &kafka(&s).partitions[0];
    assert!(!p.isr.contains(&follower), "{p:?}");
    assert_eq!(p.isr.len(), 2, "{p:?}");
    let after_shrink = acked(&w, "p");
    assert!(after_shrink > at_cut + 10, "acks=all went on: {at_cut} then {after_shrink}");
    // Healed: it catches up and rejoins.
    apply(&mut w, &heal(&l, &f));
    assert!(kafka(&w.snapshot()).cuts.is_empty());
    w.run_until(ms(13_000));
    let s = w.snapshot();
    let p = &kafka(&s).partitions[0];
    assert!(p.isr.contains(&follower), "rejoined: {p:?}");
    assert_eq!(kafka(&s).guarantees.lost_after_ack, 0);
}

fn owners(k: &KafkaView) -> BTreeMap<String, Vec<String>> {
    k.groups[0].members.iter().map(|m| (m.id.clone(), m.partitions.clone())).collect()
}

#[test]
fn a_member_cut_from_its_coordinator_is_removed_after_the_session_timeout_and_rejoins_when_healed() {
    let mut w = world(&cluster(2, 4));
    // Two members joining an empty group: the 3 s initial delay, extended
    // once by the second join.
    w.run_until(ms(8_000));
    let s = w.snapshot();
    let g = &kafka(&s).groups[0];
    assert_eq!(g.generation, 1, "{g:?}");
    assert!(owners(kafka(&s)).values().all(|p| p.len() == 2), "{:?}", owners(kafka(&s)));
    let coordinator = format!("broker-{}", g.coordinator);
    apply(&mut w, &cut("g-1", &coordinator));
    // Within the session timeout (10 s) nothing happens at the coordinator.
    w.run_until(ms(14_000));
    assert_eq!(kafka(&w.snapshot()).groups[0].generation, 1);
    assert_eq!(member(kafka(&w.snapshot()), "g-1").state, "running");
    // After it, g-1 is out and g-2 owns every partition, while g-1, which
    // has not heard, goes on with its two: a zombie.
    w.run_until(ms(26_000));
    let s = w.snapshot();
    let g = &kafka(&s).groups[0];
    assert!(g.generation >= 2, "{g:?}");
    assert_eq!(owners(kafka(&s))["g-2"].len(), 4, "{:?}", owners(kafka(&s)));
    let zombie = member(kafka(&s), "g-1");
    assert_eq!(zombie.state, "zombie (removed by the coordinator, still processing what it fetched)");
    assert_eq!(zombie.partitions.len(), 2, "{zombie:?}");
    // Healed: g-1's next heartbeat learns it is out, and it joins again.
    apply(&mut w, &heal(&coordinator, "g-1"));
    w.run_until(ms(45_000));
    let s = w.snapshot();
    let g = &kafka(&s).groups[0];
    assert!(g.generation >= 3, "{g:?}");
    assert!(owners(kafka(&s)).values().all(|p| p.len() == 2), "{:?}", owners(kafka(&s)));
}

fn member<'a>(k: &'a KafkaView, id: &str) -> &'a queuelab::world::KafkaMemberView {
    k.groups[0].members.iter().find(|m| m.id == id).expect("a member")
}

#[test]
fn a_member_cut_from_its_coordinator_for_minutes_gives_up_after_4_heartbeat_timeouts_and_stops_processing() {
    // sarama's heartbeat loop: no answer within Net.ReadTimeout (30 s),
    // the connection closes and the next heartbeat goes at once, up to
    // Metadata.Retry.Max (3) more; then it ends the session itself.
    let mut w = world(&cluster(2, 4));
    w.run_until(ms(8_000));
    let coordinator = format!("broker-{}", kafka(&w.snapshot()).groups[0].coordinator);
    apply(&mut w, &cut("g-1", &coordinator));
    let seen = run_collecting(&mut w, 200_000, &[EventKind::KafkaGroup]);
    let mine: Vec<&(EventKind, u64, String)> = seen.iter().filter(|e| e.2.starts_with("g-1: ")).collect();
    let timeouts: Vec<&&(EventKind, u64, String)> = mine.iter().filter(|e| e.2.contains("to its heartbeat within Net.ReadTimeout")).collect();
    assert_eq!(timeouts.len(), 4, "{mine:#?}");
    // The first: 30 s after the heartbeat written last before the cut, or
    // first after it (every 3 s); then each retry 30 s after the one before.
    assert!(timeouts[0].1 >= 8_000_000 + 27_000_000 && timeouts[0].1 <= 8_000_000 + 33_000_000, "{timeouts:?}");
    for i in 1..4 {
        assert_eq!(timeouts[i].1 - timeouts[i - 1].1, 30_000_000, "{timeouts:?}");
    }
    assert!(timeouts[0].2.ends_with("try 1 of 4: it writes the next one at once"), "{}", timeouts[0].2);
    assert_eq!(
        timeouts[3].2,
        format!("g-1: no answer from {coordinator} to its heartbeat within Net.ReadTimeout (30s): the connection closes; 4 tries failed: the heartbeat loop ends its session (its claims stop, Cleanup), and Consume() joins again")
    );
    // Then the session ends (Cleanup) and Consume() joins again; the join
    // written into the cut gets no answer either: every 30 s Consume()
    // returns the i/o timeout and the member's loop joins again.
    let end = timeouts[3].1;
    let after: Vec<&str> = mine.iter().filter(|e| e.1 >= end).map(|e| e.2.as_str()).collect();
    assert!(after.iter().any(|t| t.contains("session of generation") && t.contains("ends")), "{after:#?}");
    assert!(after.iter().any(|t| t.contains("Consume() joins group g")), "{after:#?}");
    let joins: Vec<u64> = mine.iter().filter(|e| e.1 >= end && e.2.contains("Consume() joins group g")).map(|e| e.1).collect();
    let join_timeouts: Vec<&&(EventKind, u64, String)> = mine.iter().filter(|e| e.2.contains("to its JoinGroup within Net.ReadTimeout")).collect();
    assert!(!join_timeouts.is_empty(), "{mine:#?}");
    for (i, t) in join_timeouts.iter().enumerate() {
        assert_eq!(t.1, joins[i] + 30_000_000, "each join times out 30 s after it is written: {joins:?} {join_timeouts:#?}");
        assert_eq!(
            t.2,
            format!("g-1: no answer from {coordinator} to its JoinGroup within Net.ReadTimeout (30s): the connection closes and Consume() returns the i/o timeout; its loop calls Consume() again: a new JoinGroup (a join may wait up to the rebalance timeout, so sarama users set Net.ReadTimeout above it)")
        );
    }
    assert_eq!(joins.len(), join_timeouts.len() + 1, "after each timeout a new join, the last one still waiting: {joins:?}");
    // A zombie until then (it went on with what it had fetched), idle after.
    let consumed = member(kafka(&w.snapshot()), "g-1").consumed;
    w.run_until(ms(230_000));
    let s = w.snapshot();
    assert_eq!(member(kafka(&s), "g-1").consumed, consumed, "no processing after its session ended");
    assert_eq!(owners(kafka(&s))["g-2"].len(), 4, "{:?}", owners(kafka(&s)));
    // Healed: the last join gets through and the partitions are shared
    // again; the joins whose connections were closed never arrive (one
    // rebalance for g-1's return, not one per join written into the cut).
    let before = kafka(&w.snapshot()).groups[0].rebalances;
    apply(&mut w, &heal(&coordinator, "g-1"));
    w.run_until(ms(250_000));
    let s = w.snapshot();
    assert!(owners(kafka(&s)).values().all(|p| p.len() == 2), "{:?}", owners(kafka(&s)));
    assert_eq!(member(kafka(&s), "g-1").state, "running", "{:?}", member(kafka(&s), "g-1"));
    assert_eq!(kafka(&s).groups[0].rebalances, before + 1, "{:?}", kafka(&s).groups[0]);
}

#[test]
fn a_join_held_by_the_coordinator_longer_than_net_read_timeout_times_out_and_the_member_joins_again() {
    // sarama issue #2820: Net.ReadTimeout (30 s) is below the rebalance
    // timeout (60 s). g-1 holds a 45 s record when g-3 starts: g-2 and g-3
    // rejoin within a heartbeat and wait at the coordinator for g-1; 30 s
    // after writing their joins, Consume() returns the i/o timeout and they
    // join again; once g-1 has finished its record and rejoined, the
    // generation forms with all three.
    let mut v = cluster(3, 3);
    v["kafka"]["groups"][0]["start_members"] = json!(2);
    let mut w = world(&v);
    w.run_until(ms(8_000));
    assert_eq!(kafka(&w.snapshot()).groups[0].generation, 1);
    apply(&mut w, &Command::KafkaGroupWork { group: "g".into(), member: Some(1), work: "45s".parse().unwrap() });
    w.run_until(ms(9_000));
    apply(&mut w, &Command::KafkaMember { group: "g".into(), member: 3, action: KafkaMemberAction::Start });
    let seen = run_collecting(&mut w, 100_000, &[EventKind::KafkaGroup]);
    let timeouts: Vec<&(EventKind, u64, String)> = seen.iter().filter(|e| e.2.contains("to its JoinGroup within Net.ReadTimeout")).collect();
    let who = |id: &str| timeouts.iter().filter(|e| e.2.starts_with(&format!("{id}: "))).count();
    assert!(who("g-2") >= 1 && who("g-3") >= 1, "{seen:#?}");
    assert_eq!(who("g-1"), 0, "g-1 joins only after its record, and is answered at once: {seen:#?}");
    for t in &timeouts {
        // 30 s after a join written at 9 s (g-3) or within a heartbeat of it (g-2).
        assert!(t.1 >= 39_000_000 && t.1 <= 43_000_000, "{t:?}");
        assert!(t.2.ends_with("its loop calls Consume() again: a new JoinGroup (a join may wait up to the rebalance timeout, so sarama users set Net.ReadTimeout above it)"), "{}", t.2);
    }
    let s = w.snapshot();
    let g = &kafka(&s).groups[0];
    assert_eq!(g.generation, 2, "one rebalance, however many joins timed out: {g:?}");
    assert!(owners(kafka(&s)).values().all(|p| p.len() == 1), "{:?}", owners(kafka(&s)));
    for id in ["g-1", "g-2", "g-3"] {
        assert_eq!(member(kafka(&s), id).state, "running", "{:?}", member(kafka(&s), id));
    }
}

#[test]
fn a_member_whose_heartbeat_loop_gave_up_heartbeats_no_more_while_its_claims_finish_and_its_commits_time_out_one_at_a_time() {
    // kafka-consumer-group: workers-1's claims are busy when its session
    // ends, so the session takes a moment to end; sarama's heartbeat loop
    // has returned by then: no fifth timeout, before or after the heal.
    let p = presets::get("kafka-consumer-group").expect("preset");
    let mut v: Value = serde_json::from_str(p.json).unwrap();
    v["stop_at"] = json!("5m");
    let mut w = world(&v);
    w.run_until(ms(8_000));
    apply(&mut w, &cut("workers-1", "broker-1"));
    let seen = run_collecting(&mut w, 240_000, &[EventKind::KafkaGroup]);
    let t: Vec<u64> = seen.iter().filter(|e| e.2.starts_with("workers-1: no answer from broker-1 to its heartbeat")).map(|e| e.1).collect();
    assert_eq!(t, vec![39_000_000, 69_000_000, 99_000_000, 129_000_000], "{seen:#?}");
    assert_eq!(member(kafka(&w.snapshot()), "workers-1").state, "joining");
    // Its commits: one at a time (sarama's offset manager waits for each),
    // so the one written at the first tick after the cut times out at
    // 38 s, and the marked offsets go again with the next tick: every 30 s.
    let c: Vec<&(EventKind, u64, String)> = seen.iter().filter(|e| e.2.starts_with("workers-1: no answer from broker-1 to its offset commit")).collect();
    let times: Vec<u64> = c.iter().map(|e| e.1).collect();
    assert_eq!(times[..4], [38_000_000, 68_000_000, 98_000_000, 128_000_000], "{seen:#?}");
    assert!(c[0].2.ends_with("the marked offsets go again with the next auto-commit"), "{}", c[0].2);
    // The final commit of the session's end (at 129 s, once its claims
    // finished) times out 30 s later: its marks stay uncommitted.
    assert_eq!(c.len(), 5, "{seen:#?}");
    assert!(c[4].1 > 159_000_000 && c[4].1 < 160_000_000, "{:?}", c[4]);
    assert!(c[4].2.ends_with("its session has ended, so what it marked stays uncommitted (the next owner reads it again)"), "{}", c[4].2);
    // Healed: none of the commits written into the cut arrives (their
    // connections were closed), not one per second of the cut.
    apply(&mut w, &heal("workers-1", "broker-1"));
    let seen = run_collecting(&mut w, 250_000, &[EventKind::KafkaGroup]);
    let refused = seen.iter().filter(|e| e.2.starts_with("workers-1: commit refused")).count();
    assert_eq!(refused, 0, "{seen:#?}");
    assert_eq!(member(kafka(&w.snapshot()), "workers-1").state, "running");
}

/// `cluster(0, 1)` run to 1 s, then producer `p` cut from its partition's
/// leader: the world, the leader's name and what `p` had acked.
fn producer_cut_at_1s() -> (World, String, u64) {
    let mut w = world(&cluster(0, 1));
    w.run_until(ms(1_000));
    let leader = kafka(&w.snapshot()).partitions[0].leader.expect("a leader");
    let l = format!("broker-{leader}");
    apply(&mut w, &cut("p", &l));
    let at_cut = acked(&w, "p");
    (w, l, at_cut)
}

#[test]
fn a_producer_cut_from_its_leader_waits_and_goes_on_when_healed() {
    let (mut w, l, at_cut) = producer_cut_at_1s();
    w.run_until(ms(4_000));
    assert!(acked(&w, "p") <= at_cut + 1, "the request waits: {at_cut} then {}", acked(&w, "p"));
    // The other producer is not cut off.
    let q = acked(&w, "q");
    assert!(q > 100, "{q}");
    apply(&mut w, &heal("p", &l));
    w.run_until(ms(6_000));
    assert!(acked(&w, "p") > at_cut + 10, "healed: {at_cut} then {}", acked(&w, "p"));
}

/// Runs `w` to `until` ms a second at a time (the trace keeps only the
/// newest events) and returns the events of `kinds` on the way: (kind,
/// time, text).
fn run_collecting(w: &mut World, until: u64, kinds: &[EventKind]) -> Vec<(EventKind, u64, String)> {
    let mut out = Vec::new();
    let mut from = w.snapshot().events_total;
    let mut t = w.now().as_micros() / 1000;
    while t < until {
        t = (t + 1000).min(until);
        w.run_until(ms(t));
        for e in w.events_since(from, 1_000_000) {
            from = e.seq + 1;
            if kinds.contains(&e.kind) {
                out.push((e.kind, e.t_us, e.text));
            }
        }
    }
    out
}

#[test]
fn a_producer_cut_for_longer_than_net_read_timeout_retries_every_30s_then_fails_and_goes_on() {
    // sarama: Net.ReadTimeout 30 s, Retry.Max 3, Retry.Backoff 100 ms.
    let (mut w, l, at_cut) = producer_cut_at_1s();
    let cut_at = 1_000_000;
    let kinds = [EventKind::KafkaReadTimeout, EventKind::KafkaSendFailed];
    let seen = run_collecting(&mut w, 29_000, &kinds);
    assert!(seen.is_empty(), "no timeout before 30 s: {seen:?}");
    // The sender's request (written within 100 ms of the cut, before or
    // after it) times out 30 s after it was written, then each retry 30 s
    // after its own write, 100 ms after the timeout before.
    let seen = run_collecting(&mut w, 125_000, &kinds);
    let t: Vec<_> = seen.iter().filter(|e| e.0 == EventKind::KafkaReadTimeout).map(|e| (e.1, e.2.clone())).collect();
    assert_eq!(t.len(), 4, "{t:#?}");
    assert!(t[0].0 >= cut_at + 29_900_000 && t[0].0 <= cut_at + 30_100_000, "{t:?}");
    for i in 1..4 {
        assert_eq!(t[i].0 - t[i - 1].0, 30_100_000, "{t:?}");
    }
    assert!(t[0].1.contains(&format!("no answer from {l} for events-0 within Net.ReadTimeout (30s)")) && t[0].1.contains("retry 1 of 3"), "{}", t[0].1);
    assert!(t[3].1.ends_with("it gives up: producing fails"), "{}", t[3].1);
    let failed: Vec<_> = seen.iter().filter(|e| e.0 == EventKind::KafkaSendFailed).collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert!(failed[0].2.contains("i/o timeout"), "{}", failed[0].2);
    let s = w.snapshot();
    let p = kafka(&s).producers.iter().find(|p| p.name == "p").expect("p");
    assert_eq!((p.acked, p.failed), (at_cut, 1), "{p:?}");
    // The sender went on with its next record, which waits in turn.
    let sender = s.goroutines.iter().find(|g| g.name == "sender").expect("sender");
    assert!(sender.state_text.contains(&format!("waiting for {l}'s ack")), "{}", sender.state_text);
    // Healed: what was held on the closed connections never arrives (no
    // second copy of anything in the log); producing goes on.
    apply(&mut w, &heal("p", &l));
    w.run_until(ms(130_000));
    let s = w.snapshot();
    let p = kafka(&s).producers.iter().find(|p| p.name == "p").expect("p");
    assert!(p.acked > at_cut + 20, "{p:?}");
    let part = &kafka(&s).partitions[0];
    assert_eq!(part.log_end, p.acked + 1, "one copy of each acked record, and the one in flight: {part:?} {p:?}");
}

#[test]
fn a_cut_healed_within_net_read_timeout_costs_no_retry() {
    let (mut w, l, _) = producer_cut_at_1s();
    let mut seen = run_collecting(&mut w, 25_000, &[EventKind::KafkaReadTimeout]);
    apply(&mut w, &heal("p", &l));
    seen.extend(run_collecting(&mut w, 60_000, &[EventKind::KafkaReadTimeout]));
    assert!(seen.is_empty(), "{seen:?}");
    let p = kafka(&w.snapshot()).producers.iter().find(|p| p.name == "p").cloned().expect("p");
    assert_eq!(p.failed, 0, "{p:?}");
}

#[test]
fn a_consumer_cut_from_its_leader_times_out_every_32s_and_catches_up_when_healed() {
    // sarama: the fetch fails after Net.ReadTimeout (30 s), the connection
    // closes, and the partition consumer fetches again after
    // Consumer.Retry.Backoff (2 s), into the same cut.
    let mut v = cluster(0, 1);
    v["kafka"]["consumers"] = json!([{ "name": "c", "topic": "events", "partitions": [0], "offset": "oldest" }]);
    v["goroutines"][1] = json!({ "name": "idle", "behavior": { "program": [{ "sleep": "1h" }] } });
    let mut w = world(&v);
    w.run_until(ms(1_000));
    let s = w.snapshot();
    let leader = format!("broker-{}", kafka(&s).partitions[0].leader.expect("a leader"));
    let c = &kafka(&s).consumers[0];
    assert!(c.consumed >= 8 && c.lag <= 1, "reads along before the cut: {c:?}");
    apply(&mut w, &cut("c", &leader));
    let cut_at = 1_000_000;
    let seen = run_collecting(&mut w, 30_000, &[EventKind::KafkaReadTimeout]);
    assert!(seen.is_empty(), "no timeout within 30 s of the fetch: {seen:?}");
    let seen = run_collecting(&mut w, 100_000, &[EventKind::KafkaReadTimeout]);
    let t: Vec<u64> = seen.iter().map(|e| e.1).collect();
    assert_eq!(t.len(), 3, "{seen:#?}");
    // The fetch out at the cut was written within its wait (500 ms) before.
    assert!(t[0] > cut_at + 29_400_000 && t[0] <= cut_at + 30_000_000, "{t:?}");
    assert_eq!((t[1] - t[0], t[2] - t[1]), (32_000_000, 32_000_000), "{t:?}");
    assert_eq!(
        seen[0].2,
        format!("c.fetch0: no answer from {leader} to its fetch of events-0 within Net.ReadTimeout (30s): the connection closes; it fetches again after Consumer.Retry.Backoff (2s)")
    );
    let s = w.snapshot();
    let c = &kafka(&s).consumers[0];
    assert!(c.lag > 900, "the lag grows across the cut: {c:?}");
    // Healed: the next fetch goes through and it catches up; the answers
    // held on the closed connections never arrive (nothing read twice).
    apply(&mut w, &heal("c", &leader));
    w.run_until(ms(108_000));
    let s = w.snapshot();
    let k = kafka(&s);
    let c = &k.consumers[0];
    assert!(c.lag <= 1 && c.consumed + 1 >= k.partitions[0].high_watermark, "caught up: {c:?}");
    assert_eq!(k.guarantees.duplicates, 0, "{:?}", k.guarantees);
    let seen = run_collecting(&mut w, 110_000, &[EventKind::KafkaReadTimeout]);
    assert!(seen.is_empty(), "{seen:?}");
}

#[test]
fn a_cut_outlives_a_crash_and_restart() {
    let mut w = world(&cluster(0, 1));
    w.run_until(ms(1_000));
    let p = kafka(&w.snapshot()).partitions[0].clone();
    let leader = p.leader.expect("a leader");
    let follower = *p.replicas.iter().find(|&&b| b != leader).expect("a follower");
    apply(&mut w, &cut(&format!("broker-{follower}"), &format!("broker-{leader}")));
    apply(&mut w, &Command::KafkaBrokerCrash { broker: follower });
    w.run_until(ms(2_000));
    apply(&mut w, &Command::KafkaBrokerRestart { broker: follower });
    w.run_until(ms(12_000));
    let s = w.snapshot();
    let p = &kafka(&s).partitions[0];
    assert_eq!(p.leader, Some(leader));
    assert!(!p.isr.contains(&follower), "still cut off, it cannot catch up: {p:?}");
    apply(&mut w, &heal(&format!("broker-{leader}"), &format!("broker-{follower}")));
    w.run_until(ms(15_000));
    let s = w.snapshot();
    assert!(kafka(&s).partitions[0].isr.contains(&follower), "{:?}", kafka(&s).partitions[0]);
}

#[test]
fn refused_cuts_and_heals_change_nothing() {
    let mut w = world(&cluster(2, 2));
    w.run_until(ms(2_000));
    apply(&mut w, &cut("broker-1", "broker-2"));
    let (hash, snap) = (w.trace_hash(), w.snapshot());
    for (c, says) in [
        (cut("p", "q"), "one side must be a broker"),
        (cut("g-1", "p"), "one side must be a broker"),
        (cut("broker-1", "broker-1"), "itself"),
        (cut("broker-4", "p"), "no Kafka process named"),
        (cut("broker-0", "p"), "no Kafka process named"),
        (cut("nobody", "broker-1"), "no Kafka process named"),
        (cut("<b>x</b>", "broker-1"), "no Kafka process named"),
        (cut("broker-2", "broker-1"), "already cut"),
        (heal("broker-1", "broker-3"), "not cut"),
        (Command::KafkaAssignor { group: "nope".into(), assignor: AssignorSpec::Roundrobin }, "no consumer group"),
    ] {
        let e = w.apply(&c).expect_err(&format!("{c:?} accepted")).to_string();
        assert!(e.contains(says), "{c:?}: {e}");
        assert_eq!(w.trace_hash(), hash, "{c:?}");
        assert!(w.snapshot() == snap, "{c:?}");
    }
    // Without a kafka section, refused too.
    let mut go = World::new(&presets::get("classic").unwrap().scenario()).unwrap();
    assert!(go.apply(&cut("broker-1", "broker-2")).is_err());
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[test]
fn a_switched_assignor_applies_at_the_next_rebalance() {
    let mut w = World::new(&presets::get("kafka-idle-members").unwrap().scenario()).unwrap();
    w.run_until(ms(10_000));
    apply(&mut w, &Command::KafkaAssignor { group: "range".into(), assignor: AssignorSpec::Roundrobin });
    let s = w.snapshot();
    let g = kafka(&s).groups.iter().find(|g| g.name == "range").unwrap();
    assert_eq!(g.assignor, "roundrobin");
    // The current assignment stays: range's skew.
    let mut r1 = g.members.iter().find(|m| m.id == "range-1").unwrap().partitions.clone();
    r1.sort();
    assert_eq!(r1, sorted(&["orders-0", "payments-0"]));
    // A leave rebalances with roundrobin over the four left.
    apply(&mut w, &Command::KafkaMember { group: "range".into(), member: 5, action: KafkaMemberAction::Leave });
    w.run_until(ms(20_000));
    let s = w.snapshot();
    let g = kafka(&s).groups.iter().find(|g| g.name == "range").unwrap();
    for (m, want) in [
        ("range-1", sorted(&["orders-0", "payments-1"])),
        ("range-2", sorted(&["orders-1", "payments-2"])),
        ("range-3", sorted(&["orders-2"])),
        ("range-4", sorted(&["payments-0"])),
    ] {
        let mut got = g.members.iter().find(|x| x.id == m).unwrap().partitions.clone();
        got.sort();
        assert_eq!(got, want, "{m}: {:?}", g.members);
    }
    // "Save as scenario" keeps the switch.
    let log: Vec<Command> = w.scenario_with_log().commands.into_iter().map(|c| c.command).collect();
    let design = queuelab::design::fold(&presets::get("kafka-idle-members").unwrap().scenario(), &log);
    let gs = design.kafka.as_ref().unwrap().groups.iter().find(|g| g.name == "range").unwrap();
    assert_eq!(gs.assignor, AssignorSpec::Roundrobin);
}

#[test]
fn the_shared_link_replays_cuts_heals_and_switches_exactly() {
    let mut w = world(&cluster(3, 4));
    let cmds: Vec<(u64, Command)> = vec![
        (4_000, cut("broker-2", "broker-1")),
        (6_000, cut("p", "broker-3")),
        (7_500, cut("g-2", "broker-1")),
        (7_500, Command::KafkaAssignor { group: "g".into(), assignor: AssignorSpec::Roundrobin }),
        (9_000, heal("broker-1", "broker-2")),
        (17_000, heal("p", "broker-3")),
        (24_000, heal("broker-1", "g-2")),
    ];
    for (at, c) in &cmds {
        w.run_until(ms(*at));
        apply(&mut w, c);
    }
    w.run_until(ms(20_000));
    // Healing broker-1 - broker-2 left g-2 cut off: it was removed.
    let s = w.snapshot();
    assert!(kafka(&s).groups[0].generation >= 2, "{:?}", kafka(&s).groups[0]);
    w.run_until(ms(40_000));
    let text = w.scenario_with_log().to_json();
    let mut r = World::new(&Scenario::from_json(&text).unwrap()).unwrap();
    r.run_until(ms(40_000));
    assert_eq!(r.trace_hash(), w.trace_hash());
    assert!(r.snapshot() == w.snapshot());
    let s = r.snapshot();
    assert!(kafka(&s).groups[0].rebalances >= 2, "{:?}", kafka(&s).groups[0]);
}

fn owned_by(k: &KafkaView, group: &str) -> BTreeMap<String, Vec<String>> {
    let g = k.groups.iter().find(|g| g.name == group).expect("the group");
    g.members.iter().map(|m| (m.id.clone(), { let mut p = m.partitions.clone(); p.sort(); p })).collect()
}

#[test]
fn after_a_leave_roundrobin_reshuffles_and_sticky_moves_only_the_leavers_partitions() {
    // kafka-idle-members: rr-2 and sticky-2 leave at 12s.
    let mut w = World::new(&presets::get("kafka-idle-members").unwrap().scenario()).unwrap();
    w.run_until(ms(11_900));
    let s = w.snapshot();
    let (rr0, st0) = (owned_by(kafka(&s), "rr"), owned_by(kafka(&s), "sticky"));
    // Before: sticky is balanced like roundrobin (one member has two).
    let mut counts: Vec<usize> = st0.values().map(Vec::len).collect();
    counts.sort();
    assert_eq!(counts, [1, 1, 1, 1, 2], "{st0:?}");
    w.run_until(ms(20_000));
    let s = w.snapshot();
    let (rr1, st1) = (owned_by(kafka(&s), "rr"), owned_by(kafka(&s), "sticky"));
    for g in ["rr", "sticky"] {
        assert!(kafka(&s).groups.iter().find(|x| x.name == g).unwrap().generation >= 2);
    }
    // Sticky: everyone else kept what it had, and took the leaver's.
    for (m, ps) in &st0 {
        if m != "sticky-2" {
            assert!(ps.iter().all(|p| st1[m].contains(p)), "{m}: {st0:?} -> {st1:?}");
        }
    }
    assert!(st1["sticky-2"].is_empty());
    let mut counts: Vec<usize> = st1.iter().filter(|(m, _)| *m != "sticky-2").map(|(_, p)| p.len()).collect();
    counts.sort();
    assert_eq!(counts, [1, 1, 2, 2], "{st1:?}");
    // Roundrobin dealt anew: more of the others' partitions changed owner.
    let moved = |a: &BTreeMap<String, Vec<String>>, b: &BTreeMap<String, Vec<String>>, leaver: &str| {
        a.iter().filter(|(m, _)| *m != leaver).map(|(m, ps)| ps.iter().filter(|p| !b[m].contains(p)).count()).sum::<usize>()
    };
    assert_eq!(moved(&st0, &st1, "sticky-2"), 0);
    assert!(moved(&rr0, &rr1, "rr-2") >= 2, "{rr0:?} -> {rr1:?}");
}

#[test]
fn cooperative_sticky_in_saramas_eager_group_keeps_no_owner_through_a_leave() {
    // kafka-idle-members with group 'sticky' switched to cooperative-sticky
    // before its first generation: sarama's eager group joins owning
    // nothing, so every generation is planned afresh (balanced, no
    // partition withheld) and a leave moves the others' partitions too,
    // where sticky moved only the leaver's.
    let mut w = World::new(&presets::get("kafka-idle-members").unwrap().scenario()).unwrap();
    apply(&mut w, &Command::KafkaAssignor { group: "sticky".into(), assignor: AssignorSpec::CooperativeSticky });
    w.run_until(ms(11_900));
    let s = w.snapshot();
    assert_eq!(kafka(&s).groups.iter().find(|g| g.name == "sticky").unwrap().assignor, "cooperative_sticky");
    let before = owned_by(kafka(&s), "sticky");
    let mut counts: Vec<usize> = before.values().map(Vec::len).collect();
    counts.sort();
    assert_eq!(counts, [1, 1, 1, 1, 2], "balanced, every partition assigned: {before:?}");
    w.run_until(ms(20_000));
    let s = w.snapshot();
    let after = owned_by(kafka(&s), "sticky");
    assert!(after["sticky-2"].is_empty());
    let mut counts: Vec<usize> = after.iter().filter(|(m, _)| *m != "sticky-2").map(|(_, p)| p.len()).collect();
    counts.sort();
    assert_eq!(counts, [1, 1, 2, 2], "balanced, nothing withheld: {after:?}");
    let moved: usize = before.iter().filter(|(m, _)| *m != "sticky-2").map(|(m, ps)| ps.iter().filter(|p| !after[m].contains(p)).count()).sum();
    assert!(moved >= 1, "a fresh plan moves others' partitions too: {before:?} -> {after:?}");
}
