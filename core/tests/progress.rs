//! The progress guarantee (see `world`'s module docs), as a property over
//! random programs built to spin: loops of zero-time operations (sends and
//! receives on unbuffered and buffered channels, selects with `default` or
//! `time.After(0)`, zero work and sleep) among up to five goroutines, a
//! producer with interval 0 and a consumer with no work, plus live
//! commands.
//!
//! Checked at every event: at one instant at most `G × (OP_BUDGET + 1) + 2`
//! events happen, plus the commands due there (`G`: the goroutines that
//! exist). And the clock reaches the end of the run, or the world ends.

use proptest::prelude::*;
use queuelab::command::Command;
use queuelab::time::SimTime;
use queuelab::world::{World, OP_BUDGET};
use serde_json::{json, Value};

fn chan() -> impl Strategy<Value = String> {
    (0..2usize).prop_map(|i| format!("c{i}"))
}

/// A statement that takes no virtual time (or, rarely, 1 ms).
fn zero_time() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => chan().prop_map(|c| json!({"send": c})),
        6 => chan().prop_map(|c| json!({"recv": c})),
        2 => Just(json!({"work": "0"})),
        2 => Just(json!({"sleep": "0s"})),
        1 => Just(json!({"sleep": "1ms"})),
        1 => Just(json!("drop")),
        3 => (chan(), chan(), any::<bool>()).prop_map(|(a, b, default)| {
            let mut s = json!({"cases": [{"send": a}, {"recv": b}]});
            if default {
                s["default"] = json!([]);
            } else {
                s["after"] = json!({"wait": "0"});
            }
            json!({"select": s})
        }),
    ]
}

/// A goroutine: a loop of zero-time statements that receives from one
/// channel and sends on one (so goroutines meet, and often ping-pong).
fn program() -> impl Strategy<Value = Value> {
    (prop::collection::vec(zero_time(), 0..3), chan(), chan(), any::<bool>()).prop_map(|(mut body, a, b, first)| {
        let (x, y) = (json!({"recv": a}), json!({"send": b}));
        let (x, y) = if first { (x, y) } else { (y, x) };
        body.insert(0, x);
        body.push(y);
        json!([{"forever": body}])
    })
}

fn scenario() -> impl Strategy<Value = (Value, Vec<(u64, u32)>)> {
    (
        any::<u64>(),
        prop::collection::vec(0u32..3, 2),
        prop::collection::vec(program(), 1..=5),
        prop::collection::vec((0u64..20_000, 0u32..3), 0..3),
    )
        .prop_map(|(seed, caps, programs, cmds)| {
            let channels: Vec<Value> = caps.iter().enumerate().map(|(i, c)| json!({"name": format!("c{i}"), "capacity": c})).collect();
            let mut goroutines: Vec<Value> =
                programs.into_iter().enumerate().map(|(i, p)| json!({"name": format!("g{i}"), "behavior": {"program": p}})).collect();
            // A producer that never waits and a consumer that never works
            // keep values moving among them.
            goroutines.push(json!({"name": "source", "behavior": {"producer": {"to": "c0", "interval": "0"}}}));
            goroutines.push(json!({"name": "sink", "behavior": {"consumer": {"from": "c1"}}}));
            (json!({"seed": seed, "trace_capacity": 0, "channels": channels, "goroutines": goroutines}), cmds)
        })
}

/// The end of each run, and the most events one case may take.
const END_US: u64 = 30_000;
const MAX_EVENTS: u64 = 2_000_000;

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn virtual_time_advances_after_a_bounded_number_of_events((json, cmds) in scenario()) {
        let Ok(mut w) = World::from_json(&json.to_string()) else { return Ok(()) };
        let g = w.snapshot().goroutines.len() as u64;
        let mut commands = 0;
        let bound = |commands: u64| g * (u64::from(OP_BUDGET) + 1) + 2 + commands;
        let (mut instant, mut at_instant, mut events) = (w.now(), 0u64, 0u64);
        let mut cmds = cmds.into_iter().peekable();
        let end = SimTime::from_micros(END_US);
        while w.is_running() && w.now() < end {
            // Live commands at their times: a capacity change (0-2) on c0.
            if let Some(&(at, cap)) = cmds.peek() {
                if w.now() >= SimTime::from_micros(at) {
                    cmds.next();
                    if w.apply(&Command::SetCapacity { channel: "c0".into(), capacity: cap }).is_ok() {
                        commands += 1;
                    }
                    continue;
                }
            }
            w.run_until_bounded(end, 1);
            events += 1;
            if w.now() != instant {
                instant = w.now();
                at_instant = 0;
            }
            at_instant += 1;
            prop_assert!(
                at_instant <= bound(commands),
                "{} events at {} with {} goroutines: {}", at_instant, instant, g, json
            );
            prop_assert!(events <= MAX_EVENTS, "{} events and the clock is only at {}: {}", events, w.now(), json);
        }
        prop_assert!(w.now() == end || !w.is_running(), "{}", w.status_text());
    }
}
