//! How long the controller takes to notice a crashed broker
//! (`broker_session_timeout`, KRaft's `broker.session.timeout.ms`, 9 s by
//! default): until it fences the broker, the metadata still names it as
//! leader, so its partitions have no working leader, and while it sits in
//! an ISR the high watermark waits for it. Fencing removes it from every
//! ISR and elects new leaders; a broker back before then is fenced first.

use queuelab::observe::trace::EventKind;
use queuelab::scenario::Scenario;
use queuelab::time::SimTime;
use queuelab::world::{KafkaView, World};
use serde_json::{json, Value};

fn ms(n: u64) -> SimTime {
    SimTime::from_micros(n * 1000)
}

fn world(v: &Value) -> World {
    World::new(&Scenario::from_json(&v.to_string()).expect("valid")).expect("builds")
}

fn kafka(w: &World) -> KafkaView {
    w.snapshot().kafka.expect("a kafka section").into_inner()
}

/// One sender every 50ms with `acks`, on a topic of one partition with
/// `rf` replicas led by broker-1; `kafka` extra fields; `commands`.
fn cluster(acks: &str, rf: u32, extra: Value, commands: Value) -> World {
    let mut k = json!({ "brokers": 3, "latency": "1ms",
                        "topics": [{ "name": "events", "replication_factor": rf }],
                        "producers": [{ "name": "p", "acks": acks }] });
    for (key, v) in extra.as_object().expect("an object") {
        k[key] = v.clone();
    }
    let w = world(&json!({
        "seed": 3, "kafka": k, "commands": commands,
        "goroutines": [{ "name": "sender", "behavior": { "program": [
            { "forever": [{ "sleep": "50ms" }, { "kafka_send": { "producer": "p", "topic": "events" } }] }
        ] } }]
    }));
    assert_eq!(kafka(&w).partitions[0].leader, Some(1), "broker-1 leads events-0");
    w
}

fn crash(b: u32, at: &str) -> Value {
    json!({ "at": at, "command": { "op": "kafka_broker_crash", "broker": b } })
}

fn restart(b: u32, at: &str) -> Value {
    json!({ "at": at, "command": { "op": "kafka_broker_restart", "broker": b } })
}

/// The words of the last event of `kind`.
fn text_of(w: &World, kind: EventKind) -> String {
    w.events_since(0, 100_000).into_iter().rfind(|e| e.kind == kind).map(|e| e.text).unwrap_or_default()
}

fn times(w: &World, kind: EventKind) -> Vec<SimTime> {
    w.trace().events().filter(|e| e.kind == kind).map(|e| e.time).collect()
}

#[test]
fn a_crashed_leader_leads_until_its_session_times_out() {
    let mut w = cluster("local", 3, json!({}), json!([crash(1, "1s")]));
    w.run_until(ms(1_000));
    let acked = kafka(&w).producers[0].acked;
    w.run_until(ms(9_900));
    let k = kafka(&w);
    assert_eq!(k.partitions[0].leader, Some(1), "the metadata still names broker-1: {:?}", k.partitions[0]);
    assert!(!k.brokers[0].up);
    assert_eq!(k.brokers[0].fenced_at_us, Some(10_000_000), "crashed at 1s + 9s");
    assert_eq!(k.partitions[0].isr, vec![1, 2, 3], "nobody left the ISR yet");
    assert!(times(&w, EventKind::KafkaElection).is_empty());
    // Every send in the gap was refused, retried 3 times 100ms apart, and
    // failed; none was acked.
    let p = &k.producers[0];
    assert_eq!(p.acked, acked, "{p:?}");
    assert!(p.failed >= 20, "{p:?}");
    // Refused by the dead leader the metadata still names (the engine's
    // NotLeader code, 3: "the connection broke"), not LEADER_NOT_AVAILABLE.
    let codes: Vec<i64> = w.trace().events().filter(|e| e.kind == EventKind::KafkaSendFailed).map(|e| e.aux).collect();
    assert!(!codes.is_empty() && codes.iter().all(|&c| c == 3), "{codes:?}");
    w.run_until(ms(11_000));
    let k = kafka(&w);
    assert_eq!(times(&w, EventKind::KafkaFenced), vec![ms(10_000)]);
    assert_eq!(times(&w, EventKind::KafkaElection), vec![ms(10_000)]);
    assert_eq!(k.partitions[0].leader, Some(2), "the first live ISR member in replica order");
    assert_eq!(k.partitions[0].isr, vec![2, 3]);
    assert_eq!(k.brokers[0].fenced_at_us, None);
    assert!(k.producers[0].acked > acked + 10, "sends go to broker-2: {:?}", k.producers[0]);
    let text = text_of(&w, EventKind::KafkaBrokerCrash);
    assert!(text.contains("when its session times out (9s without a heartbeat)"), "{text}");
    let text = text_of(&w, EventKind::KafkaFenced);
    assert!(text.starts_with("controller: broker-1 fenced"), "{text}");
}

#[test]
fn a_crashed_follower_holds_the_high_watermark_until_it_is_fenced() {
    // acks=all, min.insync.replicas 1: once broker-2 is fenced the leader
    // alone is the ISR, and every waiting request is acked, none failed.
    let mut w = cluster("all", 2, json!({ "broker_session_timeout": "3s" }), json!([crash(2, "1s")]));
    w.run_until(ms(1_000));
    let before = kafka(&w);
    w.run_until(ms(3_950));
    let k = kafka(&w);
    assert_eq!(k.partitions[0].isr, vec![1, 2]);
    assert_eq!(k.partitions[0].high_watermark, before.partitions[0].high_watermark, "the HW waits for broker-2: {:?}", k.partitions[0]);
    assert_eq!(k.producers[0].acked, before.producers[0].acked, "acks=all waits: {:?}", k.producers[0]);
    assert_eq!(k.producers[0].failed, 0);
    w.run_until(ms(4_100));
    let k = kafka(&w);
    assert_eq!(k.partitions[0].isr, vec![1], "fenced at 4s");
    assert_eq!(k.partitions[0].leader, Some(1), "the leader stays");
    assert!(k.producers[0].acked > before.producers[0].acked, "the waiting request is acked: {:?}", k.producers[0]);
    assert_eq!(k.producers[0].failed, 0);
    assert!(times(&w, EventKind::KafkaElection).is_empty(), "a follower's fencing elects nobody");
}

#[test]
fn a_broker_back_before_its_session_times_out_is_fenced_first() {
    let mut w = cluster("local", 3, json!({}), json!([crash(1, "1s"), restart(1, "2s")]));
    w.run_until(ms(15_000));
    assert_eq!(times(&w, EventKind::KafkaFenced), vec![ms(2_000)], "once, when it registers again; the 10s timer finds nothing to do");
    assert_eq!(times(&w, EventKind::KafkaElection), vec![ms(2_000)]);
    let k = kafka(&w);
    assert_eq!(k.partitions[0].leader, Some(2));
    assert!(k.partitions[0].isr.contains(&1), "broker-1 caught up again: {:?}", k.partitions[0]);
    assert_eq!(k.brokers[0].fenced_at_us, None);
}

#[test]
fn a_second_crash_gets_its_own_session_timeout() {
    let mut w = cluster("local", 3, json!({ "broker_session_timeout": "4s" }), json!([crash(1, "1s"), restart(1, "2s"), crash(1, "3s")]));
    w.run_until(ms(8_000));
    assert_eq!(times(&w, EventKind::KafkaFenced), vec![ms(2_000), ms(7_000)], "the first crash's 5s timer is stale");
}

#[test]
fn zero_fences_at_once() {
    let mut w = cluster("local", 3, json!({ "broker_session_timeout": "0s" }), json!([crash(1, "1s")]));
    w.run_until(ms(1_500));
    assert_eq!(times(&w, EventKind::KafkaFenced), vec![ms(1_000)]);
    assert_eq!(times(&w, EventKind::KafkaElection), vec![ms(1_000)]);
    assert_eq!(kafka(&w).partitions[0].leader, Some(2));
    assert_eq!(text_of(&w, EventKind::KafkaBrokerCrash), "broker-1 crashed: its connections close");
}

#[test]
fn an_absurd_session_timeout_is_refused() {
    let v = json!({ "kafka": { "broker_session_timeout": "2h", "topics": [{ "name": "t" }] } });
    let e = match Scenario::from_json(&v.to_string()) {
        Err(e) => e.to_string(),
        Ok(s) => World::new(&s).map(|_| ()).expect_err("refused").to_string(),
    };
    assert!(e.contains("kafka.broker_session_timeout") && e.contains("at most 1h"), "{e}");
}

fn stop(b: u32, at: &str) -> Value {
    json!({ "at": at, "command": { "op": "kafka_broker_stop", "broker": b } })
}

#[test]
fn a_clean_stop_moves_leaderships_before_the_broker_goes() {
    // Kafka's controlled shutdown: no window without a leader, no send
    // fails (the requests in flight at broker-1 are answered NOT_LEADER
    // and retried on broker-2).
    let mut w = cluster("all", 3, json!({}), json!([stop(1, "1s"), restart(1, "3s")]));
    w.run_until(ms(1_000));
    let k = kafka(&w);
    assert_eq!(k.partitions[0].leader, Some(2), "moved at once: {:?}", k.partitions[0]);
    assert_eq!(k.partitions[0].isr, vec![2, 3]);
    assert!(!k.brokers[0].up);
    assert_eq!(k.brokers[0].fenced_at_us, None, "nothing left for the controller to notice");
    assert_eq!(times(&w, EventKind::KafkaBrokerStop), vec![ms(1_000)]);
    assert_eq!(times(&w, EventKind::KafkaElection), vec![ms(1_000)]);
    assert!(times(&w, EventKind::KafkaBrokerCrash).is_empty() && times(&w, EventKind::KafkaFenced).is_empty());
    assert!(text_of(&w, EventKind::KafkaBrokerStop).starts_with("broker-1 shut down cleanly: the controller moved its leaderships"));
    w.run_until(ms(6_000));
    let k = kafka(&w);
    assert_eq!(k.producers[0].failed, 0, "{:?}", k.producers[0]);
    assert!(k.producers[0].acked > 80, "{:?}", k.producers[0]);
    assert_eq!(k.guarantees.lost_after_ack + k.guarantees.lost_unclean, 0);
    assert!(k.partitions[0].isr.contains(&1), "back and caught up: {:?}", k.partitions[0]);
    assert!(times(&w, EventKind::KafkaFenced).is_empty());
}

#[test]
fn a_stopped_broker_cannot_be_stopped_or_crashed_again() {
    let mut w = cluster("local", 3, json!({}), json!([stop(2, "1s")]));
    w.run_until(ms(1_100));
    for op in ["kafka_broker_stop", "kafka_broker_crash"] {
        let cmd = queuelab::command::Command::from_json(&json!({ "op": op, "broker": 2 }).to_string()).expect("parses");
        let e = w.apply(&cmd).expect_err("refused").to_string();
        assert!(e.contains("broker-2 is already down"), "{op}: {e}");
    }
}

/// The preset `kafka-clean-stop`: a clean stop costs nothing; a crash
/// stalls for the broker session timeout (9 s, not scaled down); each
/// broker leads its partition again 3s (the scaled-down
/// `leader_imbalance_check_interval`) after it lost it.
#[test]
fn preset_clean_stop_versus_crash() {
    let p = queuelab::presets::get("kafka-clean-stop").expect("the preset");
    let mut w = World::new(&p.scenario()).expect("builds");
    w.run_until(ms(10_000));
    assert!(times(&w, EventKind::KafkaSendFailed).is_empty(), "the clean stop at 3s failed no send");
    assert_eq!(
        times(&w, EventKind::KafkaElection),
        vec![ms(3_000), ms(9_000)],
        "broker-1 led one partition: moved at its stop, back to it 3s after it was moved (it is up again from 6s)"
    );
    assert_eq!(kafka(&w).partitions[0].leader, Some(1));
    let at10 = kafka(&w).producers[0].acked;
    w.run_until(ms(18_900));
    let stalled = kafka(&w).producers[0].acked;
    assert!(stalled < at10 + 40, "acks=all waits for broker-3, still in every ISR: {at10} then {stalled}");
    assert!(times(&w, EventKind::KafkaSendFailed).iter().all(|&t| t > ms(10_000)));
    w.run_until(ms(24_000));
    assert_eq!(times(&w, EventKind::KafkaFenced), vec![ms(19_000)]);
    assert_eq!(times(&w, EventKind::KafkaElection)[2..], [ms(19_000), ms(22_000)], "events-2 moved at the fence, back to broker-3 at 22s");
    let k = kafka(&w);
    assert!(k.partitions.iter().all(|p| p.leader == Some(p.replicas[0])), "every partition on its preferred leader: {:?}", k.partitions);
    assert!(k.producers[0].acked > stalled + 500, "acked again from 19s: {:?}", k.producers[0]);
    assert_eq!(k.guarantees.lost_after_ack + k.guarantees.lost_unclean, 0);
}

/// TCP delivers what a process wrote before it died: an acks=1 answer on
/// its way when the leader crashes reaches the producer, which counts the
/// record acknowledged (sarama's `SendMessage` returns its offset).
/// Without the answer, the request would fail and be retried on the new
/// leader. The followers' fetches were parked at the leader, so it sent
/// them the record as it wrote it: those copies were on their way too,
/// arrive, and the new leader has the record: acknowledged and kept.
#[test]
fn an_answer_on_its_way_when_the_leader_crashes_still_arrives() {
    // A SyncProducer's SendMessage, and an AsyncProducer's batch.
    for sync in [true, false] {
        let make = |commands: Value| {
            let (producer, send) = if sync {
                (json!({ "name": "p", "acks": "local" }), json!({ "kafka_send": { "producer": "p", "topic": "events" } }))
            } else {
                (json!({ "name": "p", "kind": "async", "topic": "events", "acks": "local" }), json!({ "send": "p.input" }))
            };
            world(&json!({
                "seed": 3, "commands": commands,
                "kafka": { "brokers": 3, "latency": "10ms", "broker_session_timeout": "1s",
                           "topics": [{ "name": "events", "replication_factor": 3 }], "producers": [producer] },
                "goroutines": [{ "name": "sender", "behavior": { "program": [send] } }]
            }))
        };
        answer_arrives(make);
    }
}

fn answer_arrives(make: impl Fn(Value) -> World) {
    // Without a crash: when the answer arrives; broker-1 wrote it 10 ms before.
    let mut w = make(json!([]));
    w.run_until(ms(2_000));
    let acked = times(&w, EventKind::KafkaAcked);
    assert_eq!(acked.len(), 1, "{acked:?}");
    let written = acked[0].as_micros() / 1000 - 10;
    // broker-1 crashes 5 ms after writing it.
    let mut w = make(json!([crash(1, &format!("{}ms", written + 5))]));
    w.run_until(ms(3_000));
    assert_eq!(times(&w, EventKind::KafkaAcked), acked, "the answer arrives as it would have");
    assert!(times(&w, EventKind::KafkaSendFailed).is_empty());
    assert!(times(&w, EventKind::KafkaLost).is_empty(), "nothing truncated at the election");
    let k = kafka(&w);
    assert_eq!((k.partitions[0].leader, k.partitions[0].log_end), (Some(2), 1), "broker-2 leads, with the record");
    let g = &k.guarantees;
    assert_eq!((g.lost_after_ack, g.failed, g.acked, g.produced), (0, 0, 1, 1), "acknowledged and kept: {g:?}");
}

/// The same for a consumer's fetch: records the leader had sent before it
/// crashed reach the partition consumer when they would have (sarama's
/// `Messages()` yields them). Without them, the fetch would be made again
/// after `Consumer.Retry.Backoff`, to the leader elected once the crashed
/// broker is fenced.
#[test]
fn records_on_their_way_when_the_leader_crashes_still_arrive() {
    let make = |commands: Value| {
        world(&json!({
            "seed": 3, "commands": commands,
            "kafka": { "brokers": 3, "latency": "10ms", "broker_session_timeout": "1s",
                       "topics": [{ "name": "events", "replication_factor": 3 }],
                       "producers": [{ "name": "p", "acks": "all" }],
                       "consumers": [{ "name": "c", "topic": "events", "offset": "oldest" }] },
            "goroutines": [{ "name": "sender", "behavior": { "program": [{ "kafka_send": { "producer": "p", "topic": "events" } }] } }]
        }))
    };
    let mut w = make(json!([]));
    w.run_until(ms(2_000));
    let fetched = times(&w, EventKind::KafkaFetched);
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    // broker-1 wrote the answer 10 ms before it arrived; it crashes 5 ms
    // after that.
    let written = fetched[0].as_micros() / 1000 - 10;
    let mut w = make(json!([crash(1, &format!("{}ms", written + 5))]));
    w.run_until(ms(5_000));
    assert_eq!(times(&w, EventKind::KafkaFetched), fetched, "the records arrive as they would have");
    let k = kafka(&w);
    assert_eq!((k.consumers[0].consumed, k.guarantees.duplicates), (1, 0), "{:?}", k.consumers);
}
