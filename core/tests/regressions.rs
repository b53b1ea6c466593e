//! Regression tests: every defect the fuzzer (or a person) found, pinned
//! by name, smallest form first, in the style of sled's
//! `tests/00_regression.rs`. Each test says what broke and how it showed.
//! A failing case found by `make fuzz` is minimised and added here.

use queuelab::command::{Command, TimedCommand};
use queuelab::observe::snapshot::RunStatus;
use queuelab::observe::trace::EventKind;
use queuelab::scenario::Scenario;
use queuelab::time::{SimDuration, SimTime};
use queuelab::world::World;
use serde_json::{json, Value};

fn world(v: &Value) -> World {
    World::from_json(&v.to_string()).unwrap_or_else(|e| panic!("scenario rejected: {e}\n{v:#}"))
}

fn problems(v: &str) -> String {
    Scenario::from_json(v).map(|_| String::new()).unwrap_or_else(|e| e.to_string())
}

fn ms(n: u64) -> SimTime {
    SimTime::from_micros(n * 1_000)
}

/// Runs to `t` within a budget of events (a hang becomes a failure): the
/// world must get there (or end by itself on the way).
fn reaches(v: Value, t: SimTime) -> World {
    let mut w = world(&v);
    assert!(w.run_until_bounded(t, 30_000_000), "stuck at {} after 30M events: {v}", w.now());
    assert!(w.now() == t || !w.is_running(), "{}", w.status_text());
    w
}

fn yields(w: &World) -> usize {
    w.trace().events().filter(|e| e.kind == EventKind::Yield).count()
}

// --- 1. Zero-time livelock: valid input froze the clock forever. ---------

#[test]
fn livelock_producer_with_interval_zero_and_a_consumer() {
    let w = reaches(
        json!({"channels": [{"name": "c"}], "goroutines": [
            {"name": "p", "behavior": {"producer": {"to": "c", "interval": "0"}}},
            {"name": "q", "behavior": {"consumer": {"from": "c"}}}]}),
        ms(20),
    );
    assert!(yields(&w) > 0);
    assert!(w.snapshot().totals.delivered > 10_000, "it does deliver between yields");
}

#[test]
fn livelock_forever_send_and_a_consumer_on_an_unbuffered_channel() {
    let w = reaches(
        json!({"channels": [{"name": "c"}], "goroutines": [
            {"name": "p", "behavior": {"program": [{"forever": [{"send": "c"}]}]}},
            {"name": "q", "behavior": {"consumer": {"from": "c"}}}]}),
        ms(20),
    );
    assert!(yields(&w) > 0);
}

#[test]
fn livelock_consumer_with_timeout_zero() {
    let w = reaches(
        json!({"channels": [{"name": "c"}], "goroutines": [
            {"name": "q", "behavior": {"consumer": {"from": "c", "timeout": "0"}}}]}),
        ms(20),
    );
    assert!(yields(&w) > 0);
}

#[test]
fn livelock_three_stages_on_one_unbuffered_channel_and_a_producer() {
    let w = reaches(
        json!({"channels": [{"name": "c"}], "goroutines": [
            {"name": "p", "behavior": {"producer": {"to": "c", "interval": "1ms"}}},
            {"name": "s", "count": 3, "behavior": {"stage": {"from": "c", "to": "c"}}}]}),
        ms(20),
    );
    assert!(yields(&w) > 0);
    // The stages spin among themselves until all three hold a value and
    // wait to send: then, with the producer blocked too, Go's verdict.
    assert_eq!(w.status(), RunStatus::Deadlock, "{}", w.status_text());
}

// --- 2. A crash in release builds: `i64::MIN % -1` in the sieve filter. ---

#[test]
fn sieve_filter_with_divisor_minus_one_does_not_overflow() {
    // The first value the filter sees (-1) is its divisor; every value is
    // a multiple of -1 and is filtered, the most negative one included.
    let max = queuelab::scenario::limits::MAX_START;
    let mut w = world(&json!({"channels": [{"name": "a"}, {"name": "b", "capacity": 10}], "goroutines": [
        {"name": "first", "behavior": {"producer": {"to": "a", "count": 1, "start": -1, "interval": "1ms"}}},
        {"name": "low", "behavior": {"producer": {"to": "a", "count": 3, "start": -max, "interval": "2ms"}}},
        {"name": "f", "behavior": {"sieve_filter": {"from": "a", "to": "b"}}}]}));
    w.run_until(ms(100));
    assert_eq!(w.snapshot().totals.filtered, 3);
    // The most negative i64 cannot be asked for at all any more.
    let e = problems(&json!({"channels": [{"name": "a"}], "goroutines": [
        {"name": "p", "behavior": {"producer": {"to": "a", "start": i64::MIN}}}]}).to_string());
    assert!(e.contains("goroutines[0].behavior.producer.start: must be between -9007199254740991 and 9007199254740991"), "{e}");
}

// --- 3. Overflows on extreme but accepted values. ------------------------

#[test]
fn producer_start_beyond_2_pow_53_is_refused() {
    let e = problems(&json!({"channels": [{"name": "a"}], "goroutines": [
        {"name": "p", "behavior": {"producer": {"to": "a", "start": i64::MAX}}}]}).to_string());
    assert!(e.contains("producer.start: must be between"), "{e}");
}

#[test]
fn a_huge_wg_add_is_refused_and_an_overflowing_counter_panics_as_go_does() {
    let e = problems(&json!({"waitgroups": ["wg"], "goroutines": [
        {"name": "main", "behavior": {"program": [{"wg_add": {"wg": "wg", "n": i64::MAX}}]}}]}).to_string());
    assert!(e.contains("goroutines[0].behavior.program[0].wg_add.n: must be between -2147483648 and 2147483647"), "{e}");
    // Within int32 each, but the counter passes MaxInt32: Go's 32-bit
    // counter wraps negative and panics; the model says so.
    let mut w = world(&json!({"waitgroups": ["wg"], "goroutines": [
        {"name": "main", "behavior": {"program": [
            {"wg_add": {"wg": "wg", "n": 2147483647}}, {"wg_add": {"wg": "wg", "n": 1}}]}}]}));
    assert_eq!(w.run_to_end(ms(10)), RunStatus::Panicked);
    let p = w.panic_report().unwrap();
    assert!(p.message.starts_with("sync: negative WaitGroup counter"), "{}", p.message);
    assert!(p.message.contains("overflowed"), "{}", p.message);
}

#[test]
fn bursts_with_the_longest_interval_run_to_the_end_of_time() {
    let mut w = world(&json!({"sample_interval": "876000h", "channels": [{"name": "c", "capacity": 5}], "goroutines": [
        {"name": "p", "behavior": {"producer": {"to": "c", "interval":
            {"bursts": {"on": "876000h", "off": "876000h", "interval": "876000h"}}}}}]}));
    assert_eq!(w.run_to_end(SimTime::MAX), RunStatus::Stopped);
    assert_eq!(w.now(), SimTime::ZERO + SimDuration::HORIZON);
}

// --- 4. The end of time. --------------------------------------------------

#[test]
fn durations_beyond_100_years_are_refused_and_every_run_stops_at_the_horizon() {
    let e = problems(r#"{"stop_at": "18446744073709551615us"}"#);
    assert!(e.starts_with("stop_at: duration too large: \"18446744073709551615us\" is longer than 100 years"), "{e}");
    let e = problems(r#"{"stop_at": 18446744073709551615}"#);
    assert!(e.contains("duration too large"), "{e}");
    // A goroutine that sleeps to the horizon: the run ends there, it does
    // not sample at one instant forever.
    let mut w = world(&json!({"sample_interval": "876000h", "goroutines": [
        {"name": "main", "behavior": {"program": [{"forever": [{"sleep": "876000h"}]}]}}]}));
    assert_eq!(w.run_to_end(SimTime::MAX), RunStatus::Stopped);
    assert_eq!(w.now(), SimTime::ZERO + SimDuration::HORIZON);
    assert!(w.status_text().contains("the end of simulated time"), "{}", w.status_text());
    assert!(w.steps() < 10, "{} events", w.steps());
}

// --- 5. A shared link that could not be loaded. ---------------------------

#[test]
fn a_live_command_while_a_step_keyed_command_is_pending_gives_a_link_that_loads_and_replays() {
    let mut s = Scenario::from_json(
        &json!({"channels": [{"name": "c", "capacity": 1}], "goroutines": [
            {"name": "p", "behavior": {"producer": {"to": "c", "interval": "100ms"}}},
            {"name": "q", "behavior": {"consumer": {"from": "c", "work": "150ms"}}}]})
        .to_string(),
    )
    .unwrap();
    // Recorded at step 5, but its time lies ahead: still pending at 300ms.
    s.commands.push(TimedCommand {
        at: SimDuration::from_secs(10),
        step: Some(5),
        command: Command::SetCapacity { channel: "c".into(), capacity: 3 },
    });
    let mut w = World::new(&s).unwrap();
    w.run_until(ms(300));
    w.apply(&Command::SetCapacity { channel: "c".into(), capacity: 2 }).unwrap();
    w.run_until(ms(2_000));
    let log = w.scenario_with_log();
    let mut replay = World::from_json(&log.to_json()).unwrap_or_else(|e| panic!("the link does not load: {e}"));
    replay.run_until(ms(2_000));
    assert_eq!((replay.trace_hash(), replay.snapshot()), (w.trace_hash(), w.snapshot()));
}

// --- 6. The loader accepted what it should refuse. ------------------------

#[test]
fn text_after_the_scenario_and_arrays_are_refused() {
    assert!(problems(r#"{} {"bogus": 1}"#).contains("unexpected text after the scenario object"));
    assert!(problems(r#"{"seed": 3} trailing"#).contains("unexpected text after the scenario object"));
    assert_eq!(problems("[]"), "expected a scenario object {...} at the top, got an array");
    assert!(problems(r#"[1, 100, 10000]"#).contains("got an array"));
    assert!(problems(r#""text""#).contains("expected a scenario object"));
    assert_eq!(problems(" \n{}\n "), "", "whitespace around the object is fine");
}

// --- 7. Smaller. -----------------------------------------------------------

#[test]
fn a_100_kb_name_is_not_echoed_in_full() {
    let long = "n".repeat(100_000);
    let e = problems(&json!({"channels": [{"name": long}]}).to_string());
    assert!(e.len() < 300, "{} bytes of error", e.len());
    assert!(e.contains("(100000 bytes)"), "{e}");
    let e = problems(&format!(r#"{{"{long}": 1}}"#));
    assert!(e.len() < 400, "{} bytes of error: {}", e.len(), &e[..200]);
    assert!(e.contains("(100000 bytes)"), "{e}");
    let mut w = World::from_json("{}").unwrap();
    let e = w.apply(&Command::CloseChannel { channel: long }).unwrap_err().to_string();
    assert!(e.len() < 120, "{e}");
}

// --- Found by the fuzzer. ---------------------------------------------------

/// A distribution given as an integer (microseconds) skipped the duration
/// bound: `u64::MAX` loaded, its shared link did not ("duration too
/// large"), and a bursts sample overflowed (`t - phase + period`).
#[test]
fn fuzz_an_integer_distribution_is_bounded_like_any_duration() {
    let e = problems(&json!({"channels": [{"name": "c"}], "goroutines": [
        {"name": "p", "behavior": {"producer": {"to": "c", "interval": u64::MAX}}}]}).to_string());
    assert!(e.contains("producer.interval: duration too large: 18446744073709551615us"), "{e}");
    let e = problems(&json!({"channels": [{"name": "c"}], "goroutines": [
        {"name": "p", "behavior": {"producer": {"to": "c", "interval": -5}}}]}).to_string());
    assert!(e.contains("expected a duration of at least 0, got -5"), "{e}");
    let e = problems(&json!({"channels": [{"name": "c"}], "goroutines": [
        {"name": "p", "behavior": {"producer": {"to": "c", "interval": {"bursts": {"on": "1ms", "off": "1ms", "interval": u64::MAX}}}}}]}).to_string());
    assert!(e.contains("duration too large"), "{e}");
}

/// Mutated presets found three more places that echoed input whole: a
/// distribution's second key, a string where an object belongs, and an
/// unknown field whose name holds a backtick (which defeated quoting).
#[test]
fn fuzz_every_echo_of_input_is_capped() {
    let z = "z".repeat(5_000);
    for text in [
        format!(r#"{{"channels":[{{"name":"c"}}],"goroutines":[{{"name":"p","behavior":{{"producer":{{"to":"c","interval":{{"exponential":{{"mean":"1s"}},"{z}":1}}}}}}}}]}}"#),
        format!(r#"{{"goroutines":["{z}"]}}"#),
        format!(r#"{{"{z}`{z}": 1}}"#),
        format!(r#"{{"channels":[{{"name":"c"}}],"goroutines":[{{"name":"p","behavior":{{"producer":{{"to":"c","interval":"exp({z})"}}}}}}]}}"#),
    ] {
        let e = problems(&text);
        assert!(!e.is_empty() && e.len() < 800, "{} bytes: {}", e.len(), &e[..e.len().min(300)]);
        assert!(e.contains("bytes)"), "{e}");
    }
}

/// A step-keyed scenario command whose step came later than its time (it
/// took effect at 1s although it said 100ms) made the next pending
/// command's time (150ms) fall before it: the shared link did not load
/// ("commands must be in time order"). Both a step-keyed and a time-keyed
/// follower; the link must load and replay.
#[test]
fn fuzz_a_command_applied_later_than_its_time_keeps_the_log_in_order() {
    for follower in [json!({"at": "150ms", "step": 999_999, "command": {"op": "set_capacity", "channel": "c", "capacity": 3}}),
                     json!({"at": "150ms", "command": {"op": "set_capacity", "channel": "c", "capacity": 3}})] {
        let v = json!({"channels": [{"name": "c", "capacity": 1}], "goroutines": [
            {"name": "p", "behavior": {"producer": {"to": "c", "interval": "1ms"}}},
            {"name": "q", "behavior": {"consumer": {"from": "c", "work": "2ms"}}}],
            "commands": [{"at": "100ms", "step": 2000, "command": {"op": "set_capacity", "channel": "c", "capacity": 2}}, follower]});
        let mut w = world(&v);
        w.run_until(ms(3_000));
        let log = w.scenario_with_log();
        assert!(log.commands[0].at > SimDuration::from_millis(150), "the first took effect late: {:?}", log.commands[0]);
        let mut replay = World::from_json(&log.to_json()).unwrap_or_else(|e| panic!("the link does not load: {e}"));
        replay.run_until(ms(3_000));
        assert_eq!((replay.trace_hash(), replay.snapshot()), (w.trace_hash(), w.snapshot()));
    }
}

/// The fuzzer's own false alarm, pinned so its bound tracking stays right:
/// a timed `set_capacity` at 0 raises the capacity before the first
/// check after the start; the engine was right all along.
#[test]
fn fuzz_a_timed_capacity_raise_at_time_zero_fills_the_new_room() {
    let mut w = world(&json!({"channels": [{"name": "c0"}], "goroutines": [
        {"name": "p", "behavior": {"producer": {"to": "c0", "interval": "1us"}}}],
        "commands": [{"at": 0, "command": {"op": "set_capacity", "channel": "c0", "capacity": 1}}]}));
    w.run_until(SimTime::from_micros(428));
    let c = &w.snapshot().channels[0];
    assert_eq!((c.len, c.cap), (1, 1));
}

/// Fuzz seed 29 (mutated nsq-multicast, nsq-max-in-flight, nsq-cluster): a
/// topic or channel name of ~900 characters was echoed whole by nsqd's
/// E_BAD_TOPIC / E_BAD_CHANNEL, so the refusal ran past 1000 bytes. Names
/// are now echoed capped, as every other refused value is.
#[test]
fn a_very_long_bad_nsq_name_is_echoed_capped() {
    let long = "z".repeat(900);
    let topic = json!({
        "nsq": { "nsqd": [{ "name": "nsqd-1" }] },
        "goroutines": [{ "name": "p", "behavior": { "program": [
            { "forever": [{ "sleep": "100ms" }, { "publish": { "nsqd": "nsqd-1", "topic": long } }] }
        ] } }]
    });
    let channel = json!({
        "nsq": { "nsqd": [{ "name": "nsqd-1" }],
                 "consumers": [{ "name": "c", "topic": "events", "channel": long, "nsqd": ["nsqd-1"] }] }
    });
    for (what, v) in [("topic", topic), ("channel", channel)] {
        let m = problems(&v.to_string());
        assert!(m.contains(&format!("{what} name \"zzz")), "{m}");
        assert!(m.contains("(900 bytes)"), "the length is said: {m}");
        assert!(m.len() < 400, "{} bytes: {m}", m.len());
    }
}
