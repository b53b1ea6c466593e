//! The fuzzer's generator: random scenarios and live-command sequences as
//! JSON, structure-aware (they mostly parse and validate, so the engine
//! runs them) with extreme and broken values in the mix (so the loader and
//! the command checks are exercised too).
//!
//! It covers every statement, behaviour template, distribution form (JSON
//! and text) and live command. Names come from small pools (`c0`..`c3`,
//! `w0`, `w1`, `g0`..`g5`) so programs meet each other on channels; now and
//! then a name is missing, too long, or HTML.

use proptest::prelude::*;
use proptest::strategy::Union;
use serde_json::{json, Value};

pub const CHANNELS: usize = 4;
pub const GROUPS: usize = 6;

fn ch() -> impl Strategy<Value = String> {
    prop_oneof![
        300 => (0..CHANNELS).prop_map(|i| format!("c{i}")),
        1 => Just("nope".to_owned()),
        // An NSQ consumer's channel (go-nsq's): live edits of it are refused.
        4 => Just("k0.incoming".to_owned()),
        // A Kafka async producer's channels (sarama's Input(), Successes()).
        2 => Just("ap.input".to_owned()),
        1 => Just("ap.successes".to_owned()),
    ]
}

fn wg() -> impl Strategy<Value = String> {
    prop_oneof![200 => (0..2usize).prop_map(|i| format!("w{i}")), 1 => Just("w9".to_owned())]
}

/// A goroutine or group name as a command might give it.
fn target() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (0..GROUPS).prop_map(|i| format!("g{i}")),
        4 => (0..GROUPS, 1..4usize).prop_map(|(i, k)| format!("g{i}-{k}")),
        2 => (0..4usize).prop_map(|i| format!("x{i}")),
        1 => Just("main".to_owned()),
        1 => Just("<img src=x onerror=alert(1)>".to_owned()),
        1 => Just("n".repeat(200)),
    ]
}

/// A duration: mostly short (so things happen), sometimes zero, the
/// horizon, beyond it, or malformed.
pub fn duration() -> impl Strategy<Value = Value> {
    prop_oneof![
        200 => (1u64..50).prop_map(|n| json!(format!("{n}ms"))),
        80 => (0u64..3000).prop_map(|n| json!(n)), // integer microseconds
        60 => Just(json!("0")),
        40 => Just(json!("0s")),
        40 => (1u64..5).prop_map(|n| json!(format!("{n}s"))),
        20 => Just(json!("1us")),
        10 => Just(json!("876000h")),
        1 => Just(json!("876000h1us")),
        1 => Just(json!(u64::MAX)),
        1 => Just(json!(-1)),
        1 => Just(json!("fast")),
        1 => Just(json!(1.5)),
    ]
}

/// A distribution that is not bursts (bursts cannot nest).
fn plain_dist() -> impl Strategy<Value = Value> {
    let d = duration;
    prop_oneof![
        80 => d(),
        20 => d().prop_map(|x| json!({"constant": x})),
        20 => (0u64..20_000, 0u64..20_000).prop_map(|(a, b)| json!({"uniform": {"min": a, "max": a + b}})),
        1 => (d(), d()).prop_map(|(a, b)| json!({"uniform": {"min": a, "max": b}})),
        30 => d().prop_map(|m| json!({"exponential": {"mean": m}})),
        20 => (d(), d()).prop_map(|(m, s)| json!({"normal": {"mean": m, "stddev": s}})),
        20 => (d(), d()).prop_map(|(m, s)| json!({"lognormal": {"mean": m, "stddev": s}})),
        // Text forms.
        20 => (1u64..40).prop_map(|n| json!(format!("exp({n}ms)"))),
        10 => (0u64..10, 1u64..30).prop_map(|(a, b)| json!(format!("uniform({a}ms..{}ms)", a + b))),
        10 => (1u64..30, 0u64..10).prop_map(|(m, s)| json!(format!("normal({m}ms ± {s}ms)"))),
        10 => (1u64..30, 0u64..10).prop_map(|(m, s)| json!(format!("lognormal({m}ms +- {s}ms)"))),
        1 => Just(json!("exp(")),
    ]
}

pub fn dist() -> impl Strategy<Value = Value> {
    prop_oneof![
        60 => plain_dist(),
        8 => (duration(), duration(), plain_dist()).prop_map(|(on, off, i)| json!({"bursts": {"on": on, "off": off, "interval": i}})),
        4 => (1u64..40, 1u64..40, 1u64..10).prop_map(|(on, off, i)| json!(format!("bursts(exp({i}ms) for {on}ms, off {off}ms)"))),
        1 => plain_dist().prop_map(|i| json!({"bursts": {"on": "10ms", "off": "5ms", "interval": {"bursts": {"on": "1ms", "off": "1ms", "interval": i}}}})),
    ]
}

/// Loop counts: small, zero, or absurd.
fn times() -> impl Strategy<Value = Value> {
    prop_oneof![80 => (1u64..5).prop_map(|n| json!(n)), 10 => Just(json!(0)), 10 => Just(json!(u64::MAX)), 1 => Just(json!(-1))]
}

/// WaitGroup deltas: within int32 mostly, sometimes at or beyond its ends.
fn wg_n() -> impl Strategy<Value = Value> {
    prop_oneof![
        60 => (-2i64..4).prop_map(|n| json!(n)),
        5 => Just(json!(i32::MAX)),
        5 => Just(json!(i32::MIN)),
        1 => Just(json!(i64::MAX)),
        1 => Just(json!(i64::MIN)),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        24 => ch().prop_map(|c| json!({"send": c})),
        24 => ch().prop_map(|c| json!({"recv": c})),
        3 => ch().prop_map(|c| json!({"close": c})),
        16 => dist().prop_map(|d| json!({"work": d})),
        16 => dist().prop_map(|d| json!({"sleep": d})),
        4 => (wg(), wg_n()).prop_map(|(w, n)| json!({"wg_add": {"wg": w, "n": n}})),
        4 => wg().prop_map(|w| json!({"wg_done": w})),
        3 => wg().prop_map(|w| json!({"wg_wait": w})),
        2 => Just(json!("take_divisor")),
        1 => Just(json!("drop_multiples")),
        1 => Just(json!("break")),
        4 => Just(json!("drop")),
        6 => (prop_oneof![8 => Just("n0"), 4 => Just("n1"), 1 => Just("nX")], prop_oneof![8 => Just("events"), 2 => Just("t.1#ephemeral"), 1 => Just("bad topic")])
            .prop_map(|(n, t)| json!({"publish": {"nsqd": n, "topic": t}})),
        // A redundant pair, and an MPUB batch.
        1 => prop_oneof![Just(json!(["n0", "n1"])), Just(json!(["n1", "n0"])), Just(json!(["n0", "n0"]))].prop_map(|n| json!({"publish": {"nsqd": n, "topic": "events"}})),
        1 => (prop_oneof![Just("n0"), Just("n1")], 0u32..6).prop_map(|(n, b)| json!({"publish": {"nsqd": n, "topic": "events", "batch": b}})),
        // sarama's SyncProducer.SendMessage (the names of `kafka()`).
        1 => (prop_oneof![8 => Just("sp"), 1 => Just("ap"), 1 => Just("nope")], prop_oneof![6 => Just("kt0"), 3 => Just("kt1"), 1 => Just("bad topic")])
            .prop_map(|(p, t)| json!({"kafka_send": {"producer": p, "topic": t}})),
    ]
}

/// A statement list (nesting at most three deep).
pub fn stmts() -> impl Strategy<Value = Value> {
    let stmt = leaf().prop_recursive(3, 24, 4, |inner| {
        // Most loop bodies wait somewhere (one that never does is refused,
        // which the loader's tests cover; running programs is the point).
        let waits = prop_oneof![
            ch().prop_map(|c| json!({"send": c})),
            ch().prop_map(|c| json!({"recv": c})),
            dist().prop_map(|d| json!({"sleep": d})),
        ];
        let body = (prop::collection::vec(inner, 0..4), prop::option::weighted(0.7, waits), any::<usize>()).prop_map(|(mut b, w, at)| {
            if let Some(w) = w {
                b.insert(at % (b.len() + 1), w);
            }
            Value::from(b)
        });
        let case = (prop::bool::ANY, ch(), body.clone(), prop::bool::weighted(0.1)).prop_map(|(send, c, body, brk)| {
            if send {
                json!({"send": c, "body": body})
            } else {
                json!({"recv": c, "body": body, "break_on_close": brk})
            }
        });
        prop_oneof![
            2 => (times(), body.clone()).prop_map(|(t, b)| json!({"repeat": {"times": t, "body": b}})),
            2 => body.clone().prop_map(|b| json!({"forever": b})),
            2 => (ch(), body.clone()).prop_map(|(c, b)| json!({"range": {"ch": c, "body": b}})),
            3 => (prop::collection::vec(case, 1..3), prop::option::weighted(0.3, body.clone()), prop::option::weighted(0.4, (dist(), body)))
                .prop_map(|(cases, default, after)| {
                    let mut s = json!({"cases": cases});
                    if let Some(d) = default {
                        s["default"] = json!(d);
                    }
                    if let Some((wait, body)) = after {
                        s["after"] = json!({"wait": wait, "body": body});
                    }
                    json!({"select": s})
                }),
        ]
    });
    prop::collection::vec(stmt, 1..5).prop_map(Value::from)
}

/// A producer's `start`: ordinary, at the edge of what is allowed, beyond.
fn start() -> impl Strategy<Value = Value> {
    let max = (1i64 << 53) - 1;
    prop_oneof![
        100 => (-5i64..100).prop_map(|n| json!(n)),
        5 => Just(json!(max)),
        5 => Just(json!(-max)),
        1 => Just(json!(max + 1)),
        1 => Just(json!(i64::MIN)),
        1 => Just(json!(i64::MAX)),
    ]
}

fn opt_wg() -> impl Strategy<Value = Option<String>> {
    prop::option::weighted(0.3, wg())
}

pub fn behavior() -> impl Strategy<Value = Value> {
    let producer = (ch(), dist(), prop::option::weighted(0.5, times()), start(), prop::bool::weighted(0.2), opt_wg(), prop::bool::weighted(0.3))
        .prop_map(|(to, interval, count, start, close, wg, drop)| {
            let mut p = json!({"to": to, "interval": interval, "start": start, "close_when_done": close, "drop_when_full": drop});
            if let Some(c) = count {
                p["count"] = c;
            }
            if let Some(w) = wg {
                p["wg"] = json!(w);
            }
            json!({"producer": p})
        });
    let consumer = (ch(), dist(), opt_wg(), prop::option::weighted(0.3, dist())).prop_map(|(from, work, wg, timeout)| {
        let mut c = json!({"from": from, "work": work});
        if let Some(w) = wg {
            c["wg"] = json!(w);
        }
        if let Some(t) = timeout {
            c["timeout"] = t;
        }
        json!({"consumer": c})
    });
    let stage = (ch(), ch(), dist(), opt_wg(), prop::bool::weighted(0.2)).prop_map(|(from, to, work, wg, close)| {
        let mut s = json!({"from": from, "to": to, "work": work, "close_when_done": close});
        if let Some(w) = wg {
            s["wg"] = json!(w);
        }
        json!({"stage": s})
    });
    prop_oneof![
        4 => producer,
        4 => consumer,
        2 => stage,
        1 => (wg(), ch()).prop_map(|(w, c)| json!({"closer": {"wait": w, "close": c}})),
        1 => (ch(), ch()).prop_map(|(from, to)| json!({"sieve_filter": {"from": from, "to": to}})),
        4 => stmts().prop_map(|p| json!({"program": p})),
    ]
}

fn count() -> impl Strategy<Value = Value> {
    prop_oneof![200 => (1u32..4).prop_map(|n| json!(n)), 1 => Just(json!(0)), 1 => Just(json!(3000)), 1 => Just(json!(-1))]
}

/// One goroutine group (`name` chosen by the caller).
pub fn group(name: String) -> impl Strategy<Value = Value> {
    (count(), behavior()).prop_map(move |(count, behavior)| json!({"name": name, "count": count, "behavior": behavior}))
}

/// A live command as JSON (`{"op": ...}`): every command, and now and then
/// one that is not a command at all.
pub fn command() -> impl Strategy<Value = Value> {
    prop_oneof![
        20 => shaped_command(),
        1 => Just(json!({"op": "explode"})),
        1 => Just(json!({"op": "set_capacity", "channel": "c0", "capacity": "lots"})),
    ]
}

/// A command of a real kind, with fields of the right types (values may
/// still be refused: unknown names, absurd counts).
fn shaped_command() -> impl Strategy<Value = Value> {
    let capacity = prop_oneof![8 => (0u64..8).prop_map(|n| json!(n)), 1 => Just(json!(1_000_000)), 1 => Just(json!(1_000_001)), 1 => Just(json!(u32::MAX))];
    let set_count = prop_oneof![8 => (0u64..5).prop_map(|n| json!(n)), 1 => Just(json!(2000)), 1 => Just(json!(u32::MAX))];
    Union::new_weighted(vec![
        (3, (0..4usize, count(), behavior()).prop_map(|(i, count, behavior)| json!({"op": "add_goroutine", "spec": {"name": format!("x{i}"), "count": count, "behavior": behavior}})).boxed()),
        (3, target().prop_map(|g| json!({"op": "remove_goroutine", "goroutine": g})).boxed()),
        (3, (target(), set_count).prop_map(|(g, n)| json!({"op": "set_count", "group": g, "count": n})).boxed()),
        (3, (target(), prop::option::weighted(0.6, dist()), prop::option::weighted(0.6, dist())).prop_map(|(g, i, w)| {
            let mut c = json!({"op": "set_rates", "group": g});
            if let Some(i) = i {
                c["interval"] = i;
            }
            if let Some(w) = w {
                c["work"] = w;
            }
            c
        }).boxed()),
        (4, (ch(), capacity).prop_map(|(c, n)| json!({"op": "set_capacity", "channel": c, "capacity": n})).boxed()),
        (1, ch().prop_map(|c| json!({"op": "close_channel", "channel": c})).boxed()),
        (2, (0..6usize, 0u64..4).prop_map(|(i, n)| json!({"op": "add_channel", "name": format!("c{i}"), "capacity": n})).boxed()),
        (3, target().prop_map(|g| json!({"op": "pause", "goroutine": g})).boxed()),
        (3, target().prop_map(|g| json!({"op": "resume", "goroutine": g})).boxed()),
        (5, nsq_command().boxed()),
        (4, kafka_command().boxed()),
    ])
}

/// A Kafka command on the brokers (1-3) and the group (`kg`, members 1-3)
/// of `kafka()`, or on ones that do not exist.
fn kafka_command() -> impl Strategy<Value = Value> {
    let broker = prop_oneof![8 => 1u32..=3, 1 => Just(0u32), 1 => Just(9u32)];
    let group = prop_oneof![8 => Just("kg"), 1 => Just("nope")];
    let member = prop_oneof![8 => 1u32..=3, 1 => Just(0u32), 1 => Just(40u32)];
    let action = prop_oneof![Just("crash"), Just("leave"), Just("start"), Just("explode")];
    prop_oneof![
        3 => broker.clone().prop_map(|b| json!({"op": "kafka_broker_crash", "broker": b})),
        1 => broker.clone().prop_map(|b| json!({"op": "kafka_broker_stop", "broker": b})),
        3 => broker.prop_map(|b| json!({"op": "kafka_broker_restart", "broker": b})),
        4 => (group.clone(), member.clone(), action).prop_map(|(g, m, a)| json!({"op": "kafka_member", "group": g, "member": m, "action": a})),
        2 => (group.clone(), dist()).prop_map(|(g, d)| json!({"op": "kafka_group_work", "group": g, "work": d})),
        2 => (group.clone(), member, dist()).prop_map(|(g, m, d)| json!({"op": "kafka_group_work", "group": g, "member": m, "work": d})),
        4 => (any::<bool>(), process(), process()).prop_map(|(c, a, b)| json!({"op": if c { "kafka_cut_link" } else { "kafka_heal_link" }, "a": a, "b": b})),
        1 => (group, prop_oneof![Just("range"), Just("roundrobin"), Just("sticky"), Just("cooperative_sticky")]).prop_map(|(g, a)| json!({"op": "kafka_assignor", "group": g, "assignor": a})),
        2 => (prop_oneof![Just("kt0"), Just("kt1"), Just("nope")], prop_oneof![4 => 1u32..=6, 1 => Just(0u32), 1 => Just(70u32)])
            .prop_map(|(t, n)| json!({"op": "kafka_add_partitions", "topic": t, "partitions": n})),
        2 => (prop_oneof![4 => Just("ap"), 1 => Just("sp"), 1 => Just("nope")], flush())
            .prop_map(|(p, (f, open))| json!({"op": "kafka_flush", "producer": p, "flush": f, "max_open_requests": open})),
    ]
}

/// An async producer's `flush` settings (mostly valid) and
/// `max_open_requests` (now and then out of bounds).
fn flush() -> impl Strategy<Value = (Value, u32)> {
    (
        prop_oneof![3 => Just(0u32), 2 => 1u32..6, 1 => Just(200_000u32)],
        prop_oneof![3 => Just(None), 1 => Just(Some("1ms")), 1 => Just(Some("50ms")), 1 => Just(Some("2h"))],
        prop_oneof![3 => Just(0u32), 1 => 1u32..4],
        prop_oneof![2 => Just(0u32), 1 => 1u32..3_000],
        prop_oneof![8 => 1u32..=5, 1 => Just(0u32), 1 => Just(99u32)],
    )
        .prop_map(|(messages, frequency, max_messages, bytes, open)| {
            let mut f = json!({"messages": messages, "max_messages": max_messages, "bytes": bytes});
            if let Some(d) = frequency {
                f["frequency"] = json!(d);
            }
            (f, open)
        })
}

/// A process of `kafka()` for a cut: a broker, the producers, the
/// partition consumer, a group member, or none of them.
fn process() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (1u32..=3).prop_map(|b| format!("broker-{b}")),
        2 => prop_oneof![Just("sp"), Just("ap"), Just("pc")].prop_map(String::from),
        2 => (1u32..=3).prop_map(|m| format!("kg-{m}")),
        1 => Just("controller".to_string()),
        1 => prop_oneof![Just("broker-0"), Just("broker-9"), Just("ks-1")].prop_map(String::from),
    ]
}

/// A small `kafka` section: 1-3 brokers, topics `kt0` (and `kt1`), the
/// sync producer `sp` (used by `kafka_send`), sometimes the async producer
/// `ap` (on `kt0`), a partition consumer `pc` and a group `kg`; plus the
/// goroutines that use them. Values are mostly valid, now and then not.
pub fn kafka() -> impl Strategy<Value = (Value, Vec<Value>)> {
    let topic = (prop_oneof![10 => 1u32..=3, 1 => Just(0u32), 1 => Just(65u32)], 1u32..=3, 1u32..=3);
    let asyncp = prop::option::weighted(0.4, (prop_oneof![4 => 0u32..4, 2 => Just(256u32), 1 => Just(5000u32)], any::<bool>(), any::<bool>(), any::<bool>(), flush()));
    let consumer = prop::option::weighted(0.6, (prop_oneof![Just(json!("newest")), Just(json!("oldest")), Just(json!(3)), Just(json!(u64::MAX))], dist(), 0u32..4));
    let group = prop::option::weighted(0.6, (prop_oneof![10 => 1u32..=3, 1 => Just(0u32), 1 => Just(40u32)], any::<bool>(), prop::option::of(0u32..=3), any::<bool>(), dist()));
    (
        prop_oneof![10 => 1u32..=3, 1 => Just(0u32)],
        prop::collection::vec(topic, 1..=2),
        prop_oneof![Just("none"), Just("local"), Just("all")],
        prop_oneof![Just("hash"), Just("random"), Just("round_robin"), Just("manual")],
        prop_oneof![3 => Just(json!("exp(1ms)")), 1 => Just(json!("250us")), 1 => Just(json!(0))],
        asyncp,
        consumer,
        group,
        (any::<bool>(), prop::option::weighted(0.3, prop_oneof![Just("1s"), Just("100ms")]), prop::option::weighted(0.3, (1u64..20, 100u64..5_000))),
        (
            dist(),
            1u32..3,
            prop::option::weighted(0.5, prop_oneof![Just("0s"), Just("300ms"), Just("2s"), Just("2h")]),
            // The controller's preferred-leader balance: off, or due after
            // a check interval (now and then an invalid one).
            prop::option::weighted(0.5, prop_oneof![Just(json!(false)), Just(json!("200ms")), Just(json!("1s")), Just(json!("0s"))]),
        ),
    )
        .prop_map(|(brokers, topics, acks, partitioner, latency, asyncp, consumer, group, (unclean, lag, retention), (interval, senders, fence, balance))| {
            let b = brokers.max(1);
            let topics: Vec<Value> = topics
                .into_iter()
                .enumerate()
                .map(|(i, (p, rf, isr))| {
                    let rf = rf.min(b);
                    let mut t = json!({"name": format!("kt{i}"), "partitions": p, "replication_factor": rf, "min_insync_replicas": isr.min(rf)});
                    if let Some((secs, seg)) = retention {
                        t["retention"] = json!(format!("{secs}s"));
                        t["segment_bytes"] = json!(seg);
                    }
                    t
                })
                .collect();
            let mut producers = vec![json!({"name": "sp", "acks": acks, "partitioner": partitioner, "keys": 4})];
            let mut goroutines = vec![json!({"name": "ks", "count": senders, "behavior": {"program": [
                {"forever": [{"sleep": interval.clone()}, {"kafka_send": {"producer": "sp", "topic": "kt0"}}]}
            ]}})];
            if let Some((buf, successes, errors, reader, (flush, open))) = asyncp {
                producers.push(json!({"name": "ap", "kind": "async", "topic": "kt0", "acks": acks, "channel_buffer_size": buf,
                                      "return_successes": successes, "return_errors": errors, "flush": flush, "max_open_requests": open}));
                goroutines.push(json!({"name": "ka", "behavior": {"program": [{"forever": [{"sleep": interval}, {"send": "ap.input"}]}]}}));
                if reader {
                    let mut cases = vec![];
                    if successes {
                        cases.push(json!({"recv": "ap.successes"}));
                    }
                    if errors {
                        cases.push(json!({"recv": "ap.errors"}));
                    }
                    if !cases.is_empty() {
                        goroutines.push(json!({"name": "kr", "behavior": {"program": [{"forever": [{"select": {"cases": cases}}]}]}}));
                    }
                }
            }
            let mut k = json!({"brokers": brokers, "latency": latency, "unclean_leader_election": unclean, "topics": topics, "producers": producers});
            if let Some(l) = lag {
                k["replica_lag_max"] = json!(l);
            }
            if let Some(f) = fence {
                k["broker_session_timeout"] = json!(f);
            }
            match balance {
                Some(Value::Bool(on)) => k["auto_leader_rebalance"] = json!(on),
                Some(every) => k["leader_imbalance_check_interval"] = every,
                None => {}
            }
            if retention.is_some() {
                k["retention_check_interval"] = json!("500ms");
            }
            // Clients learn of added partitions soon, or not in the run.
            k["metadata_refresh"] = json!(["500ms", "3s", "10m"][brokers as usize % 3]);
            if let Some((offset, work, buf)) = consumer {
                k["consumers"] = json!([{"name": "pc", "topic": "kt0", "offset": offset, "work": work, "channel_buffer_size": buf}]);
            }
            if let Some((members, two, start, lp, work)) = group {
                let mut g = json!({"name": "kg", "topics": if two { json!(["kt0", "kt1"]) } else { json!(["kt0"]) }, "members": members,
                                   "work": work, "consume_loop": lp, "session_timeout": "2s", "heartbeat_interval": "500ms", "auto_commit_interval": "200ms"});
                if let Some(s) = start {
                    g["start_members"] = json!(s);
                }
                k["groups"] = json!([g]);
            }
            (k, goroutines)
        })
}

/// An NSQ command on the nodes (n0, n1), consumers (k0, k1), topics and
/// channels the generated scenarios use, or on names that do not exist.
fn nsq_command() -> impl Strategy<Value = Value> {
    let node = prop_oneof![4 => Just("n0"), 2 => Just("n1"), 1 => Just("nope")];
    let consumer = prop_oneof![4 => Just("k0"), 2 => Just("k1"), 1 => Just("g1")];
    let topic = prop_oneof![4 => Just("events"), 1 => Just("t.1#ephemeral"), 1 => Just("bad topic!")];
    let channel = prop::option::weighted(0.7, prop_oneof![3 => Just("archive"), 1 => Just("c#ephemeral"), 1 => Just("other")]);
    let action = prop_oneof![Just("create"), Just("pause"), Just("unpause"), Just("empty"), Just("delete")];
    prop_oneof![
        (0..3usize, node.clone()).prop_map(|(i, n)| json!({"op": (["nsqd_crash", "nsqd_stop", "nsqd_restart"][i]), "nsqd": n})),
        (0..3usize, consumer.clone()).prop_map(|(i, c)| json!({"op": (["consumer_crash", "consumer_stop", "consumer_start"][i]), "consumer": c})),
        (consumer.clone(), prop::option::of(0u64..5), prop::option::of(prop_oneof![Just(0.0), Just(0.5), Just(1.0), Just(2.0)])).prop_map(|(c, m, f)| {
            let mut v = json!({"op": "set_consumer", "consumer": c});
            if let Some(m) = m {
                v["max_in_flight"] = json!(m);
            }
            if let Some(f) = f {
                v["failure_rate"] = json!(f);
            }
            v
        }),
        (any::<bool>(), prop_oneof![Just("k0"), Just("g1"), Just("g0")], node.clone()).prop_map(|(cut, c, n)| json!({"op": if cut { "cut_link" } else { "heal_link" }, "client": c, "nsqd": n})),
        (topic.clone(), node.clone()).prop_map(|(t, n)| json!({"op": "nsq_tombstone", "topic": t, "nsqd": n})),
        (any::<bool>(), prop_oneof![4 => Just("l0"), 2 => Just("l1"), 1 => Just("nope")])
            .prop_map(|(crash, l)| json!({"op": if crash { "nsqlookupd_crash" } else { "nsqlookupd_restart" }, "nsqlookupd": l})),
        (action, node, topic, channel).prop_map(|(a, n, t, c)| {
            let mut v = json!({"op": "nsq", "action": a, "nsqd": n, "topic": t});
            if let Some(c) = c {
                v["channel"] = json!(c);
            }
            v
        }),
    ]
}

/// What the fuzzer does to a world, in order.
#[derive(Clone, Debug)]
pub enum Action {
    /// Run this many microseconds of virtual time.
    Advance(u64),
    /// Apply a live command (JSON; it may not even parse).
    Live(Value),
    /// Take the shared scenario (`scenario_with_log`): it must load and
    /// replay to the identical state.
    Link,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        8 => prop_oneof![6 => 1u64..300_000, 1 => Just(0u64), 1 => 1_000_000u64..20_000_000, 1 => Just(u64::MAX)].prop_map(Action::Advance),
        6 => command().prop_map(Action::Live),
        2 => Just(Action::Link),
    ]
}

/// A scenario's timed commands: mostly in order, with and without steps.
fn timed_commands() -> impl Strategy<Value = Value> {
    let one = (0u64..2_000_000, prop::option::weighted(0.3, 0u64..50_000), shaped_command())
        .prop_map(|(at, step, c)| (at, step, c));
    prop::collection::vec(one, 0..4).prop_map(|mut v| {
        // In order (the loader's tests cover the refusal of disorder).
        v.sort_by_key(|(at, step, _)| (*at, *step));
        Value::from(
            v.into_iter()
                .map(|(at, step, c)| {
                    let mut t = json!({"at": at, "command": c});
                    if let Some(s) = step {
                        t["step"] = json!(s);
                    }
                    t
                })
                .collect::<Vec<_>>(),
        )
    })
}

/// A whole fuzz case: scenario JSON plus what to do with it.
#[derive(Clone, Debug)]
pub struct Case {
    pub scenario: Value,
    pub actions: Vec<Action>,
}

pub fn case() -> impl Strategy<Value = Case> {
    let channels = prop::collection::vec(prop_oneof![200 => 0u64..6, 2 => Just(1_000_000u64), 1 => Just(1_000_001u64)], CHANNELS);
    let groups = (1..=GROUPS).prop_flat_map(|n| {
        (0..n).map(|i| group(if i == 0 && n > 2 { "main".to_owned() } else { format!("g{i}") })).collect::<Vec<_>>()
    });
    let top = (
        prop_oneof![4 => any::<u64>(), 1 => Just(0u64), 1 => Just(u64::MAX)],
        prop::option::weighted(0.15, prop_oneof![10 => Just(json!("1ms")), 5 => Just(json!("876000h")), 1 => Just(json!("0.5ms")), 10 => Just(json!("10ms"))]),
        prop::option::weighted(0.15, duration()),
        prop_oneof![4 => 0u64..2_000, 1 => Just(100_000u64)],
    );
    let consumer = (prop_oneof![4 => Just("events"), 1 => Just("t.1#ephemeral")], prop_oneof![3 => Just("archive"), 1 => Just("c#ephemeral")], 0u64..6, 1u32..4, dist(), prop_oneof![3 => Just(vec!["n0"]), 1 => Just(vec!["n0", "n1"])])
        .prop_map(|(t, c, mif, h, work, nodes)| json!({"topic": t, "channel": c, "max_in_flight": mif, "handlers": h, "work": work, "nsqd": nodes, "failure_rate": 0.2, "requeue_delay": "30ms", "backoff_multiplier": "10ms", "lookupd_poll_interval": "50ms"}));
    let nsq = prop::option::weighted(0.6, (dist(), 1usize..=2, prop::collection::vec(consumer, 0..3), prop_oneof![3 => Just(None), 1 => Just(Some("20ms"))], 0usize..=2));
    (top, channels, groups, timed_commands(), prop::collection::vec(action(), 1..12), nsq, prop::option::weighted(0.3, kafka())).prop_map(
        |((seed, sample, stop, trace), caps, mut groups, commands, actions, nsq, kafka)| {
            if let Some((_, extra)) = &kafka {
                groups.extend(extra.iter().cloned());
            }
            let channels: Vec<Value> = caps.iter().enumerate().map(|(i, c)| json!({"name": format!("c{i}"), "capacity": c})).collect();
            let mut s = json!({
                "seed": seed,
                "trace_capacity": trace,
                "channels": channels,
                "waitgroups": ["w0", "w1"],
                "goroutines": groups,
                "commands": commands,
            });
            if let Some(i) = sample {
                s["sample_interval"] = i;
            }
            if let Some(t) = stop {
                s["stop_at"] = t;
            }
            if let Some((latency, nodes, consumers, timeout, lookupds)) = nsq {
                let nodes: Vec<Value> = (0..nodes)
                    .map(|i| match timeout {
                        Some(t) => json!({"name": format!("n{i}"), "msg_timeout": t, "mem_queue_size": 3}),
                        None => json!({"name": format!("n{i}")}),
                    })
                    .collect();
                let consumers: Vec<Value> = consumers
                    .into_iter()
                    .enumerate()
                    .map(|(i, mut c)| {
                        c["name"] = json!(format!("k{i}"));
                        // Every other consumer also discovers through the lookupds.
                        if i % 2 == 1 && lookupds > 0 {
                            c["lookupd"] = json!((0..lookupds).map(|l| format!("l{l}")).collect::<Vec<_>>());
                        }
                        c
                    })
                    .collect();
                let lookupds: Vec<Value> = (0..lookupds).map(|l| json!({"name": format!("l{l}")})).collect();
                s["nsq"] = json!({"latency": latency, "nsqd": nodes, "consumers": consumers, "nsqlookupd": lookupds});
            }
            if let Some((k, _)) = kafka {
                s["kafka"] = k;
            }
            Case { scenario: s, actions }
        },
    )
}

/// Byte-level mutation of a valid scenario text (a preset): flips, inserts,
/// deletes, duplicates, and numbers or strings swapped for extreme ones.
pub fn mutate(text: &str, edits: &[(u8, usize, usize)]) -> String {
    const SPLICES: &[&str] = &[
        "18446744073709551615", "-9223372036854775808", "1e308", "NaN", "-1", "0", "\"876000h\"", "\"9999999999999h\"",
        "null", "[]", "{}", "\"<img src=x onerror=alert(1)>\"", "\"\u{0}\"", "\"\\ud800\"", ",", "}", "]", "\"",
    ];
    let mut bytes = text.as_bytes().to_vec();
    for &(kind, a, b) in edits {
        if bytes.is_empty() {
            break;
        }
        let i = a % bytes.len();
        match kind % 6 {
            0 => bytes[i] ^= 1 << (b % 8),
            1 => bytes.insert(i, (b % 256) as u8),
            2 => {
                let end = (i + b % 16).min(bytes.len());
                bytes.drain(i..end);
            }
            3 => {
                let end = (i + b % 32).min(bytes.len());
                let piece = bytes[i..end].to_vec();
                let at = b % (bytes.len() + 1);
                bytes.splice(at..at, piece);
            }
            4 => {
                // Replace the number or word at i with an extreme value.
                let start = i;
                let mut end = i;
                while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || matches!(bytes[end], b'.' | b'-')) {
                    end += 1;
                }
                bytes.splice(start..end, SPLICES[b % SPLICES.len()].bytes());
            }
            _ => {
                let long = "z".repeat(1 + b % 5000);
                bytes.splice(i..i, long.into_bytes());
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
