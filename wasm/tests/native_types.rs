//! Checks that the TypeScript interfaces in `src/types.d.ts` (appended to
//! the generated `queuelab_wasm.d.ts`) name exactly the fields core
//! serializes, so a field added, renamed or removed in core fails here
//! instead of silently giving the page `undefined`.
//!
//! Objects are taken from real runs chosen to fill every nested type: a
//! deadlock (forgotten-close), a panic (close-while-sending), WaitGroups,
//! full buffers with parked senders (large), events, samples, listings.
#![cfg(not(target_arch = "wasm32"))]

use queuelab::command::Command;
use queuelab::gochan::behavior::Role;
use queuelab::nsq::guarantees::{ChannelGuarantees, Figure, LossCause};
use queuelab::presets::System;
use queuelab::observe::snapshot::{GState, RunStatus};
use queuelab::observe::trace::EventKind;
use queuelab::presets;
use queuelab::time::SimTime;
use queuelab::world::{KafkaRecordFigure, World};
use queuelab_wasm::TS_TYPES;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// `export interface Name { field: T; opt?: T; }` → name → (field, optional).
fn interfaces(ts: &str) -> BTreeMap<String, Vec<(String, bool)>> {
    let mut out = BTreeMap::new();
    let mut current: Option<(String, Vec<(String, bool)>)> = None;
    for line in ts.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("export interface ") {
            let name = rest.trim_end_matches('{').trim().to_owned();
            current = Some((name, Vec::new()));
            continue;
        }
        let Some((_, fields)) = current.as_mut() else { continue };
        if t == "}" {
            let (name, fields) = current.take().expect("open interface");
            out.insert(name, fields);
            continue;
        }
        if t.is_empty() || t.starts_with('/') || t.starts_with('*') {
            continue;
        }
        let Some((name, _)) = t.split_once(':') else { continue };
        let (name, optional) = match name.strip_suffix('?') {
            Some(n) => (n, true),
            None => (name, false),
        };
        assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "unparsed line {t:?}");
        fields.push((name.to_owned(), optional));
    }
    assert!(current.is_none(), "unterminated interface");
    out
}

/// `export type Name = | "a" | "b";` (ended by a blank line) → the quoted strings.
fn string_union(ts: &str, name: &str) -> BTreeSet<String> {
    let start = ts.find(&format!("export type {name} =")).unwrap_or_else(|| panic!("no type {name}"));
    let body = &ts[start..start + ts[start..].find("\n\n").unwrap_or(ts.len() - start)];
    body.split('"').skip(1).step_by(2).map(str::to_owned).collect()
}

/// Which interface the elements/values of a field are.
fn child(interface: &str, field: &str) -> Option<&'static str> {
    Some(match (interface, field) {
        ("Snapshot", "goroutines") => "GoroutineView",
        ("Snapshot", "channels") => "ChannelView",
        ("Snapshot", "waitgroups") => "WaitGroupView",
        ("Snapshot", "deadlock") => "DeadlockReport",
        ("Snapshot", "panic") => "PanicReport",
        ("Snapshot", "totals") => "Totals",
        ("Snapshot", "delivery_latency" | "processed_latency") => "Percentiles",
        ("Snapshot", "groups") => "GroupView",
        ("ChannelView", "buffer") => "MessageView",
        ("ChannelView", "sendq" | "recvq") => "WaiterView",
        ("DeadlockReport", "stuck") => "WaitFor",
        ("Listing", "lines") => "ListingLine",
        ("TimelineView", "marks") => "Mark",
        ("Snapshot", "nsq") => "NsqView",
        ("NsqView", "nodes") => "NsqdView",
        ("NsqdView", "topics") => "NsqTopicView",
        ("NsqTopicView", "channels") => "NsqChannelView",
        ("NsqChannelView", "clients") => "NsqClientView",
        ("NsqView", "guarantees") => "ChannelGuarantees",
        ("NsqView", "lookupd") => "NsqLookupdView",
        ("NsqLookupdView", "topics") => "NsqLookupdTopicView",
        ("NsqView", "consumers") => "NsqConsumerView",
        ("NsqView", "publishers") => "NsqPublisherConnView",
        ("NsqConsumerView", "backoff") => "NsqBackoffView",
        ("NsqConsumerView", "connections") => "NsqConnView",
        ("NsqMessageLife", "copies") => "NsqCopyLife",
        ("EventView", "nsq") => "NsqEventPlace",
        ("EventView", "kafka") => "KafkaEventPlace",
        ("Sample", "nsq") => "NsqChannelSample",
        ("Sample", "kafka") => "KafkaSample",
        ("KafkaSample", "partitions") => "KafkaPartitionSample",
        ("KafkaSample", "groups" | "consumers") => "KafkaLagSample",
        ("KafkaLagSample", "partitions") => "KafkaOffsetSample",
        ("Snapshot", "kafka") => "KafkaView",
        ("KafkaView", "brokers") => "KafkaBrokerView",
        ("KafkaView", "partitions") => "KafkaPartitionView",
        ("KafkaView", "producers") => "KafkaProducerView",
        ("KafkaView", "consumers") => "KafkaConsumerView",
        ("KafkaView", "groups") => "KafkaGroupView",
        ("KafkaView", "guarantees") => "KafkaCounts",
        ("KafkaView", "ack_waits") => "KafkaAckWait",
        ("KafkaView", "topics") => "KafkaTopicView",
        ("KafkaGroupView", "members") => "KafkaMemberView",
        ("KafkaGroupView", "rows") => "KafkaGroupRow",
        _ => return None,
    })
}

struct Checker {
    ifaces: BTreeMap<String, Vec<(String, bool)>>,
    /// Interfaces seen with at least one real object.
    seen: BTreeSet<String>,
}

impl Checker {
    fn check(&mut self, iface: &str, v: &Value) {
        let fields = self.ifaces.get(iface).unwrap_or_else(|| panic!("no interface {iface} in types.d.ts")).clone();
        let obj = v.as_object().unwrap_or_else(|| panic!("{iface}: expected an object, got {v}"));
        let declared: BTreeSet<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
        let required: BTreeSet<&str> = fields.iter().filter(|(_, o)| !o).map(|(f, _)| f.as_str()).collect();
        let actual: BTreeSet<&str> = obj.keys().map(String::as_str).collect();
        let undeclared: Vec<_> = actual.difference(&declared).collect();
        let missing: Vec<_> = required.difference(&actual).collect();
        assert!(undeclared.is_empty(), "{iface}: core serializes {undeclared:?}, types.d.ts does not declare them");
        assert!(missing.is_empty(), "{iface}: types.d.ts declares {missing:?}, core does not serialize them");
        self.seen.insert(iface.to_owned());
        for (field, value) in obj {
            let Some(c) = child(iface, field) else { continue };
            match value {
                Value::Array(items) => items.iter().for_each(|x| self.check(c, x)),
                Value::Null => {}
                other => self.check(c, other),
            }
        }
    }
}

const NSQ_PUBLISH: &str = r#"{
  "nsq": { "nsqd": [{ "name": "nsqd-1", "topics": [{ "name": "events", "channels": ["archive"] }] }],
           "consumers": [{ "name": "c", "topic": "events", "channel": "metrics", "nsqd": ["nsqd-1"], "work": "5ms" }] },
  "goroutines": [{ "name": "p", "behavior": { "program": [
    { "forever": [{ "sleep": "10ms" }, { "publish": { "nsqd": "nsqd-1", "topic": "events" } }] }
  ] } }]
}"#;

fn run(preset: &str, secs: u64) -> World {
    let mut w = World::new(&presets::get(preset).expect("preset").scenario()).expect("valid");
    w.run_until(SimTime::from_micros(secs * 1_000_000));
    w
}

#[test]
fn output_interfaces_name_exactly_the_serialized_fields() {
    let mut c = Checker { ifaces: interfaces(TS_TYPES), seen: BTreeSet::new() };
    for (preset, secs) in [("forgotten-close", 30), ("close-while-sending", 30), ("wait-group", 1), ("large", 15), ("select-timeout", 5), ("nsq-cluster", 20), ("kafka-rebalance", 12), ("kafka-retention", 40)] {
        let w = run(preset, secs);
        c.check("Snapshot", &serde_json::to_value(w.snapshot()).expect("json"));
        for e in w.events_since(0, 50) {
            c.check("EventView", &serde_json::to_value(e).expect("json"));
        }
        for s in w.series().samples().take(3) {
            c.check("Sample", &serde_json::to_value(s).expect("json"));
        }
        c.check("Listing", &serde_json::to_value(w.listing(0).expect("goroutine 0")).expect("json"));
        let mut tl = queuelab::timeline::Timeline::new(&presets::get(preset).expect("preset").scenario()).expect("valid");
        tl.run_until(SimTime::from_micros(secs * 1_000_000));
        tl.seek(SimTime::from_micros(secs * 500_000));
        c.check("TimelineView", &serde_json::to_value(tl.view()).expect("json"));
    }
    // An NSQ world: goroutines publishing to a node whose topic has channels.
    let nsq = World::from_json(NSQ_PUBLISH).expect("valid");
    let mut nsq = nsq;
    nsq.run_until(SimTime::from_micros(200_000));
    c.check("Snapshot", &serde_json::to_value(nsq.snapshot()).expect("json"));
    for e in nsq.events_since(0, 50) {
        c.check("EventView", &serde_json::to_value(e).expect("json"));
    }
    for s in nsq.series().samples().take(3) {
        c.check("Sample", &serde_json::to_value(s).expect("json"));
    }
    // A sender waiting for acks=all, caught while its leader holds the record.
    let mut w = run("kafka-acks-all", 1);
    let mut t = 1_000_000;
    loop {
        let s = w.snapshot();
        if s.kafka.as_ref().is_some_and(|k| !k.ack_waits.is_empty()) {
            c.check("Snapshot", &serde_json::to_value(s).expect("json"));
            break;
        }
        t += 500;
        assert!(t < 10_000_000, "no acks=all wait caught in kafka-acks-all");
        w.run_until(SimTime::from_micros(t));
    }
    // A hand-built row with a loss (the runs above lose nothing).
    let book = ChannelGuarantees {
        topic: "events".into(),
        channel: "archive".into(),
        lost: vec![(LossCause::UncleanCrash, 2)],
        ..ChannelGuarantees::default()
    };
    c.check("ChannelGuarantees", &serde_json::to_value(book).expect("json"));
    // The messages behind a figure, and a life: every copy of a message
    // finished in `metrics` and still queued in `archive` (no consumer).
    let refs = nsq.nsq_messages("events", "metrics", Figure::Finished, 3);
    assert!(!refs.is_empty());
    for r in &refs {
        c.check("NsqMessageRef", &serde_json::to_value(r).expect("json"));
    }
    let life = nsq.nsq_message_life(refs[0].msg).expect("a life");
    assert_eq!(life.copies.len(), 2, "{life:?}");
    c.check("NsqMessageLife", &serde_json::to_value(life).expect("json"));
    // The records behind Kafka figures: a rebalance reads some twice.
    let kafka = run("kafka-rebalance", 40);
    for figure in [KafkaRecordFigure::Acked, KafkaRecordFigure::Duplicates] {
        let list = kafka.kafka_records(figure, 3).expect("kafka").into_inner();
        assert!(!list.records.is_empty(), "{figure:?}");
        c.check("KafkaRecordList", &serde_json::to_value(&list).expect("json"));
        for r in &list.records {
            c.check("KafkaRecordRef", &serde_json::to_value(r).expect("json"));
        }
    }
    let every = [
        "Snapshot", "GoroutineView", "ChannelView", "WaitGroupView", "DeadlockReport", "PanicReport", "Totals",
        "Percentiles", "GroupView", "MessageView", "WaiterView", "WaitFor", "EventView", "Sample", "Listing",
        "ListingLine", "TimelineView", "Mark", "NsqView", "NsqdView", "NsqTopicView", "NsqChannelView",
        "NsqClientView", "ChannelGuarantees", "NsqLookupdView", "NsqLookupdTopicView", "NsqConsumerView",
        "NsqBackoffView", "NsqConnView", "NsqPublisherConnView", "NsqEventPlace", "KafkaEventPlace", "NsqChannelSample",
        "NsqMessageRef", "NsqMessageLife", "NsqCopyLife", "KafkaView", "KafkaBrokerView", "KafkaPartitionView",
        "KafkaProducerView", "KafkaConsumerView", "KafkaGroupView", "KafkaMemberView", "KafkaGroupRow", "KafkaCounts",
        "KafkaSample", "KafkaPartitionSample", "KafkaLagSample", "KafkaOffsetSample", "KafkaAckWait", "KafkaTopicView",
        "KafkaRecordList", "KafkaRecordRef",
    ];
    for i in every {
        assert!(c.seen.contains(i), "no real {i} was checked (pick runs that produce one)");
    }
}

#[test]
fn preset_info_matches_the_interface() {
    let f = interfaces(TS_TYPES);
    let fields: Vec<&str> = f["PresetInfo"].iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(fields, ["name", "title", "description", "system"]);
    // Every system a preset shows is one the union names ("kafka" comes later).
    let start = TS_TYPES.find("export interface PresetInfo").expect("PresetInfo");
    let line = TS_TYPES[start..].lines().find(|l| l.trim().starts_with("system:")).expect("system field");
    let union: BTreeSet<&str> = line.split('"').skip(1).step_by(2).collect();
    assert_eq!(union, BTreeSet::from(["go", "nsq", "kafka"]));
    for p in presets::ALL {
        let system = serde_json::to_value(System::of(&p.scenario())).expect("json");
        assert!(union.contains(system.as_str().expect("a string")), "{}: {system}", p.name);
    }
}

#[test]
fn guarantee_figures_are_named_as_in_core() {
    let all = [
        Figure::Published,
        Figure::Finished,
        Figure::HandledOnce,
        Figure::HandledMoreThanOnce,
        Figure::Lost,
        Figure::Reordered,
        Figure::Live,
    ];
    for f in &all {
        match f {
            Figure::Published | Figure::Finished | Figure::HandledOnce | Figure::HandledMoreThanOnce | Figure::Lost | Figure::Reordered | Figure::Live => {}
        }
    }
    assert_eq!(string_union(TS_TYPES, "GuaranteeFigure"), names(&all));
    for name in names(&all) {
        assert!(queuelab_wasm::convert::figure_named(&name).is_some(), "{name}");
    }
}

/// Every variant, with an exhaustive match so a new variant fails to compile here.
fn all_states() -> Vec<GState> {
    use GState::*;
    let all = vec![Runnable, Working, Sleeping, BlockedSend, BlockedRecv, BlockedSelect, BlockedWait, BlockedNet, Done, Panicked, Removed];
    for s in &all {
        match s {
            Runnable | Working | Sleeping | BlockedSend | BlockedRecv | BlockedSelect | BlockedWait | BlockedNet | Done
            | Panicked | Removed => {}
        }
    }
    all
}

fn all_kinds() -> Vec<EventKind> {
    use EventKind::*;
    let all = vec![
        Produced, Handoff, Buffered, Received, RecvClosed, BlockedSend, BlockedRecv, BlockedSelect, BlockedWait,
        Unblocked, SelectChose, WorkStart, WorkEnd, Sleep, Closed, Panicked, Dropped, Processed, Filtered, Prime,
        WgAdd, WgDone, Finished, Deadlock, Spawned, Removed, Paused, Resumed, Capacity, Yield, NsqPublish,
        NsqPublished, NsqPublishOk, NsqMessage, NsqFinish, NsqTimeout, NsqFinFailed, NsqRequeue, NsqReqFailed, NsqMaxAttempts, NsqBackoff, NsqBackoffOver, NsqNodeCrash, NsqNodeStop, NsqNodeRestart, NsqConnClosed, NsqConnected, NsqConsumerCrash, NsqConsumerStop, NsqConsumerStart, NsqPublishFailed, NsqTouchFailed,
        NsqRegister, NsqUnregister, NsqLookup, NsqDiscovered, NsqHeartbeatTimeout,
        KafkaSend, KafkaAcked, KafkaSendFailed, KafkaFetched, KafkaBrokerCrash, KafkaBrokerRestart, KafkaElection,
        KafkaIsr, KafkaLost, KafkaGroup, KafkaOutOfRange, KafkaDuplicate, KafkaReadTimeout, KafkaFenced, KafkaBrokerStop,
        KafkaMetadata, KafkaUnfenced, NsqLookupdCrash, NsqLookupdRestart,
    ];
    for k in &all {
        match k {
            Produced | Handoff | Buffered | Received | RecvClosed | BlockedSend | BlockedRecv | BlockedSelect
            | BlockedWait | Unblocked | SelectChose | WorkStart | WorkEnd | Sleep | Closed | Panicked | Dropped
            | Processed | Filtered | Prime | WgAdd | WgDone | Finished | Deadlock | Spawned | Removed | Paused
            | Resumed | Capacity | Yield | NsqPublish | NsqPublished | NsqPublishOk | NsqMessage | NsqFinish | NsqTimeout
            | NsqFinFailed | NsqRequeue | NsqReqFailed | NsqMaxAttempts | NsqBackoff | NsqBackoffOver | NsqNodeCrash | NsqNodeStop | NsqNodeRestart | NsqConnClosed | NsqConnected | NsqConsumerCrash | NsqConsumerStop | NsqConsumerStart | NsqPublishFailed | NsqTouchFailed
            | NsqRegister | NsqUnregister | NsqLookup | NsqDiscovered | NsqHeartbeatTimeout
            | KafkaSend | KafkaAcked | KafkaSendFailed | KafkaFetched | KafkaBrokerCrash | KafkaBrokerRestart
            | KafkaElection | KafkaIsr | KafkaLost | KafkaGroup | KafkaOutOfRange | KafkaDuplicate | KafkaReadTimeout | KafkaFenced | KafkaBrokerStop
            | KafkaMetadata | KafkaUnfenced | NsqLookupdCrash | NsqLookupdRestart => {}
        }
    }
    all
}

fn all_statuses() -> Vec<RunStatus> {
    use RunStatus::*;
    let all = vec![Running, Finished, MainReturned, Deadlock, Panicked, Stopped];
    for s in &all {
        match s {
            Running | Finished | MainReturned | Deadlock | Panicked | Stopped => {}
        }
    }
    all
}

fn all_roles() -> Vec<Role> {
    use Role::*;
    let all = vec![Producer, Consumer, Stage, Closer, Filter, Custom];
    for r in &all {
        match r {
            Producer | Consumer | Stage | Closer | Filter | Custom => {}
        }
    }
    all
}

fn all_loss_causes() -> Vec<LossCause> {
    use LossCause::*;
    let all = vec![UncleanCrash, EphemeralOverflow, EphemeralGone, Emptied, Deleted, MaxAttempts, PublishFailed];
    for c in &all {
        match c {
            UncleanCrash | EphemeralOverflow | EphemeralGone | Emptied | Deleted | MaxAttempts | PublishFailed => {}
        }
    }
    all
}

fn names<T: serde::Serialize>(xs: &[T]) -> BTreeSet<String> {
    xs.iter().map(|x| serde_json::to_value(x).expect("json").as_str().expect("a string").to_owned()).collect()
}

#[test]
fn string_unions_list_every_variant() {
    let mut states = names(&all_states());
    // Removed goroutines never appear in a snapshot.
    assert!(states.remove("removed"));
    assert_eq!(string_union(TS_TYPES, "GoroutineState"), states);
    assert_eq!(string_union(TS_TYPES, "EventKind"), names(&all_kinds()));
    assert_eq!(string_union(TS_TYPES, "RunStatus"), names(&all_statuses()));
    assert_eq!(string_union(TS_TYPES, "Role"), names(&all_roles()));
    assert_eq!(string_union(TS_TYPES, "LossCause"), names(&all_loss_causes()));
}

#[test]
fn command_union_lists_every_op_and_its_examples_parse() {
    // One example per op in the TS union's shape; each must parse as a core
    // Command, and together they must cover every op the union names.
    let examples = [
        r#"{"op":"add_goroutine","spec":{"name":"p2","count":2,"behavior":{"producer":{"to":"jobs","interval":{"exponential":{"mean":"100ms"}}}}}}"#,
        r#"{"op":"remove_goroutine","goroutine":"consumer-1"}"#,
        r#"{"op":"set_count","group":"consumer","count":3}"#,
        r#"{"op":"set_rates","group":"producer","interval":"50ms","work":{"uniform":{"min":"1ms","max":2000}}}"#,
        r#"{"op":"set_capacity","channel":"jobs","capacity":5}"#,
        r#"{"op":"add_channel","name":"out","capacity":2}"#,
        r#"{"op":"close_channel","channel":"jobs"}"#,
        r#"{"op":"pause","goroutine":"producer"}"#,
        r#"{"op":"resume","goroutine":"producer"}"#,
        r#"{"op":"nsqd_crash","nsqd":"nsqd-1"}"#,
        r#"{"op":"nsqd_stop","nsqd":"nsqd-1"}"#,
        r#"{"op":"nsqd_restart","nsqd":"nsqd-1"}"#,
        r#"{"op":"nsqlookupd_crash","nsqlookupd":"lookupd-1"}"#,
        r#"{"op":"nsqlookupd_restart","nsqlookupd":"lookupd-1"}"#,
        r#"{"op":"nsq","action":"create","nsqd":"nsqd-1","topic":"events"}"#,
        r#"{"op":"nsq","action":"pause","nsqd":"nsqd-1","topic":"events","channel":"jobs"}"#,
        r#"{"op":"nsq","action":"unpause","nsqd":"nsqd-1","topic":"events","channel":"jobs"}"#,
        r#"{"op":"nsq","action":"empty","nsqd":"nsqd-1","topic":"events"}"#,
        r#"{"op":"nsq","action":"delete","nsqd":"nsqd-1","topic":"events","channel":"jobs"}"#,
        r#"{"op":"consumer_crash","consumer":"worker"}"#,
        r#"{"op":"consumer_stop","consumer":"worker"}"#,
        r#"{"op":"consumer_start","consumer":"worker"}"#,
        r#"{"op":"set_consumer","consumer":"worker"}"#,
        r#"{"op":"set_consumer","consumer":"worker","max_in_flight":8,"failure_rate":0.25}"#,
        r#"{"op":"cut_link","client":"worker","nsqd":"nsqd-1"}"#,
        r#"{"op":"heal_link","client":"producer","nsqd":"nsqd-1"}"#,
        r#"{"op":"nsq_tombstone","topic":"events","nsqd":"nsqd-1"}"#,
        r#"{"op":"kafka_broker_crash","broker":1}"#,
        r#"{"op":"kafka_broker_stop","broker":1}"#,
        r#"{"op":"kafka_broker_restart","broker":1}"#,
        r#"{"op":"kafka_member","group":"workers","member":3,"action":"start"}"#,
        r#"{"op":"kafka_retention","topic":"events","retention":"20s","retention_bytes":5000}"#,
        r#"{"op":"kafka_acks","producer":"producer","acks":"all"}"#,
        r#"{"op":"kafka_group_work","group":"workers","work":"50ms"}"#,
        r#"{"op":"kafka_group_work","group":"workers","member":2,"work":"200ms"}"#,
        r#"{"op":"kafka_cut_link","a":"broker-2","b":"broker-1"}"#,
        r#"{"op":"kafka_heal_link","a":"workers-1","b":"broker-1"}"#,
        r#"{"op":"kafka_assignor","group":"workers","assignor":"roundrobin"}"#,
        r#"{"op":"kafka_add_partitions","topic":"events","partitions":9}"#,
        r#"{"op":"kafka_flush","producer":"batcher","flush":{"frequency":"10ms","messages":100},"max_open_requests":1}"#,
    ];
    let declared = command_fields(TS_TYPES);
    let mut ops = BTreeSet::new();
    let mut actions = BTreeSet::new();
    for e in examples {
        let cmd: Command = serde_json::from_str(e).unwrap_or_else(|err| panic!("{e}: {err}"));
        // Core's serde gives back the TS shape it was given (the same
        // fields; durations come back in human form) and reads it again.
        let back = serde_json::to_value(&cmd).expect("json");
        let given: Value = serde_json::from_str(e).expect("json");
        let top = |v: &Value| v.as_object().expect("object").keys().cloned().collect::<BTreeSet<_>>();
        assert_eq!(top(&back), top(&given), "{e} does not round-trip");
        let again: Command = serde_json::from_value(back.clone()).expect("reads its own output");
        assert_eq!(again, cmd, "{e} does not round-trip");
        let op = back["op"].as_str().expect("op").to_owned();
        let fields = declared.get(&op).unwrap_or_else(|| panic!("no {op} in the TS Command union"));
        let keys: BTreeSet<&str> = back.as_object().expect("object").keys().map(String::as_str).filter(|k| *k != "op").collect();
        let all: BTreeSet<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
        let required: BTreeSet<&str> = fields.iter().filter(|(_, opt)| !opt).map(|(f, _)| f.as_str()).collect();
        assert!(keys.is_subset(&all), "{op}: core takes {keys:?}, TS declares {all:?}");
        assert!(required.is_subset(&keys), "{op}: TS requires {required:?}, the example has {keys:?}");
        if let Some(a) = back.get("action").filter(|_| op == "nsq") {
            actions.insert(a.as_str().expect("action").to_owned());
        }
        ops.insert(op);
    }
    assert_eq!(string_union(TS_TYPES, "Command"), ops);
    assert_eq!(string_union(TS_TYPES, "NsqAction"), actions);
    // Every field the TS union declares was in some example (optional ones
    // included), so core accepts each (it denies unknown fields).
    for (op, fields) in &declared {
        for (f, _) in fields {
            let seen = examples.iter().any(|e| {
                let v: Value = serde_json::from_str(e).expect("json");
                v["op"] == op.as_str() && v.get(f).is_some()
            });
            assert!(seen, "{op}.{f}: no example uses it");
        }
    }
}

/// `| { op: "x"; a: T; b?: T }` lines of the TS `Command` union → op →
/// (field, optional), `op` itself left out.
fn command_fields(ts: &str) -> BTreeMap<String, Vec<(String, bool)>> {
    let start = ts.find("export type Command =").expect("Command");
    let body = &ts[start..start + ts[start..].find("\n\n").expect("end")];
    let mut out = BTreeMap::new();
    for line in body.lines().filter_map(|l| l.trim().strip_prefix("| {")) {
        let inner = line.trim().trim_end_matches(';').trim_end_matches('}').trim();
        let mut op = None;
        let mut fields = Vec::new();
        // Split on "; " at depth 0 (a field type may be an object type).
        let mut depth = 0;
        let mut part = String::new();
        let mut parts = Vec::new();
        for ch in inner.chars() {
            match ch {
                '{' => depth += 1,
                '}' => depth -= 1,
                ';' if depth == 0 => {
                    parts.push(std::mem::take(&mut part));
                    continue;
                }
                _ => {}
            }
            part.push(ch);
        }
        parts.push(part);
        for p in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
            let (name, ty) = p.split_once(':').unwrap_or_else(|| panic!("unparsed {p:?}"));
            let (name, optional) = match name.trim().strip_suffix('?') {
                Some(n) => (n, true),
                None => (name.trim(), false),
            };
            if name == "op" {
                op = Some(ty.trim().trim_matches('"').to_owned());
            } else {
                fields.push((name.to_owned(), optional));
            }
        }
        out.insert(op.expect("op"), fields);
    }
    out
}
