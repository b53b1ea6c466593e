//! Every preset runs to its expected outcome: a data-driven test in the
//! style of ruffle's, one expected-summary file per preset in
//! `tests/fixtures/presets/<name>.json` (at the repository root).
//!
//! Each preset runs until its program ends, or for 60 s of virtual time,
//! and its outcome (status, end time, status text, totals, the sorted
//! wait-for list of stuck goroutines, Go's deadlock message, the panic, the
//! number of events, the trace hash, and the values `main` received) must
//! equal the file. A changed trace hash with unchanged totals means the
//! engine now orders events differently: check that it is intended.
//!
//! `UPDATE_EXPECT=1 cargo test -p queuelab --test presets` rewrites the
//! files instead of comparing; review every change by hand against
//! `SEMANTICS.md` before committing it.
//!
//! Also: determinism. Every preset run twice gives the same trace hash and
//! snapshot, and so does running it in 60 fps frames (as the page does) or
//! one event at a time.

use queuelab::observe::snapshot::{RunStatus, Snapshot};
use queuelab::observe::trace::EventKind;
use queuelab::presets::{self, Preset};
use queuelab::time::{SimDuration, SimTime};
use queuelab::world::World;
use serde_json::{json, Value};
use std::path::PathBuf;

const LIMIT: SimTime = SimTime::from_micros(60_000_000);

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/presets").join(format!("{name}.json"))
}

fn build(p: &Preset) -> World {
    World::new(&p.scenario()).unwrap_or_else(|e| panic!("preset {} does not load: {e}", p.name))
}

/// The outcome summary that the fixture files hold.
fn outcome(p: &Preset, w: &World) -> Value {
    let s = w.snapshot();
    let mut stuck: Vec<(String, String)> = s
        .deadlock
        .iter()
        .flat_map(|d| d.stuck.iter().map(|x| (x.name.clone(), x.waits_on.clone())))
        .collect();
    stuck.sort();
    // What `main` received, in order (values only), when the trace still
    // holds the whole run.
    let main_received: Option<Vec<i64>> = s.goroutines.iter().find(|g| g.name == "main").and_then(|main| {
        (w.trace().total() == w.trace().events().len() as u64).then(|| {
            w.trace()
                .events()
                .filter(|e| e.kind == EventKind::Received && e.g == main.id)
                .map(|e| e.msg_value)
                .collect()
        })
    });
    json!({
        "preset": p.name,
        "status": s.status,
        "end_time": s.time,
        "status_text": s.status_text,
        "totals": s.totals,
        "stuck": stuck,
        "go_message": s.deadlock.as_ref().and_then(|d| d.go_message.clone()),
        "panic": s.panic.as_ref().map(|x| json!({"goroutine": x.name, "message": x.message, "at_us": x.at_us})),
        "events_total": s.events_total,
        "trace_hash": s.trace_hash,
        "main_received": main_received,
    })
}

#[test]
fn every_preset_reaches_its_expected_outcome() {
    let update = std::env::var("UPDATE_EXPECT").is_ok_and(|v| v == "1");
    let mut failures = Vec::new();
    for p in presets::ALL {
        let mut w = build(p);
        w.run_to_end(LIMIT);
        let got = outcome(p, &w);
        let path = fixture(p.name);
        let pretty = serde_json::to_string_pretty(&got).unwrap() + "\n";
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &pretty).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
            continue;
        }
        let expected: Value = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            Err(e) => {
                failures.push(format!("{}: no expected outcome ({e}); run with UPDATE_EXPECT=1 and review it", p.name));
                continue;
            }
        };
        if expected != got {
            failures.push(format!("{}: outcome differs from {}\n--- expected\n{}\n--- got\n{}", p.name, path.display(),
                serde_json::to_string_pretty(&expected).unwrap(), pretty));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// No fixture is left over from a preset that no longer exists.
#[test]
fn every_fixture_belongs_to_a_preset() {
    let dir = fixture("x").parent().unwrap().to_path_buf();
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let stem = name.strip_suffix(".json").unwrap_or_else(|| panic!("unexpected file {name} in {}", dir.display()));
        assert!(presets::get(stem).is_some(), "fixture {name} has no preset");
    }
}

fn fingerprint(w: &World) -> (u64, u64, Snapshot) {
    (w.trace_hash(), w.trace().total(), w.snapshot())
}

#[test]
fn every_preset_is_deterministic() {
    for p in presets::ALL {
        let mut a = build(p);
        a.run_to_end(LIMIT);
        let mut b = build(p);
        b.run_to_end(LIMIT);
        let (ha, na, sa) = fingerprint(&a);
        let (hb, nb, sb) = fingerprint(&b);
        assert_eq!((ha, na), (hb, nb), "{}: two runs, two traces", p.name);
        assert!(sa == sb, "{}: two runs, two snapshots", p.name);
        // The series sampled on the way agree too.
        assert!(a.series().samples().eq(b.series().samples()), "{}: time series differ", p.name);
    }
}

/// The page advances the world one animation frame at a time; how the run
/// is sliced must not change it.
#[test]
fn slicing_a_run_into_frames_or_single_events_changes_nothing() {
    for p in presets::ALL {
        let mut whole = build(p);
        whole.run_to_end(LIMIT);
        let end = whole.now();

        let mut frames = build(p);
        let frame = SimDuration::from_micros(16_667);
        while frames.is_running() && frames.now() < end {
            frames.run_until((frames.now() + frame).min(end));
        }
        assert_eq!(frames.trace_hash(), whole.trace_hash(), "{}: 60 fps frames", p.name);
        assert!(frames.snapshot() == whole.snapshot(), "{}: 60 fps frames, different snapshot", p.name);

        // Irregular slices, from 1µs to 40ms.
        let mut irregular = build(p);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        while irregular.is_running() && irregular.now() < end {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let d = SimDuration::from_micros(1 + (x >> 33) % 40_000);
            irregular.run_until((irregular.now() + d).min(end));
        }
        assert_eq!(irregular.trace_hash(), whole.trace_hash(), "{}: irregular slices", p.name);
        assert!(irregular.snapshot() == whole.snapshot(), "{}: irregular slices, different snapshot", p.name);

        // One event at a time, for the programs that end.
        if whole.is_running() {
            continue;
        }
        let mut steps = build(p);
        while steps.step() {}
        assert_eq!(steps.status(), whole.status(), "{}", p.name);
        assert_eq!(steps.trace_hash(), whole.trace_hash(), "{}: one event at a time", p.name);
        assert!(steps.snapshot() == whole.snapshot(), "{}: one event at a time, different snapshot", p.name);
    }
}

/// The outcomes SEMANTICS.md promises, asserted directly as well (so a
/// careless `UPDATE_EXPECT=1` cannot bless a wrong one).
#[test]
fn preset_outcomes_match_the_semantics() {
    let run = |name: &str| {
        let mut w = build(presets::get(name).unwrap());
        w.run_to_end(LIMIT);
        w
    };
    let received = |w: &World| -> Vec<i64> {
        let main = w.snapshot().goroutines.iter().find(|g| g.name == "main").unwrap().id;
        w.trace().events().filter(|e| e.kind == EventKind::Received && e.g == main).map(|e| e.msg_value).collect()
    };

    for name in ["classic", "buffered"] {
        let w = run(name);
        assert_eq!(w.status(), RunStatus::MainReturned, "{name}");
        assert_eq!(received(&w), (0..10).collect::<Vec<_>>(), "{name}: main prints 0..9 in order");
    }
    // Buffer of 3: the producer runs ahead (never blocked for the first 3 values + 1 held by main).
    let b = run("buffered").snapshot();
    assert_eq!(b.channels[0].max_len, 3);

    let w = run("wait-group");
    assert_eq!(w.status(), RunStatus::MainReturned);
    let t = w.snapshot().totals;
    assert_eq!((t.produced, t.delivered, t.processed, t.dropped, t.live), (60, 60, 60, 0, 0));

    let w = run("pipeline");
    assert_eq!(w.status(), RunStatus::MainReturned);
    let t = w.snapshot().totals;
    assert_eq!((t.produced, t.delivered, t.dropped), (100, 100, 0));

    let w = run("forgotten-close");
    assert_eq!(w.status(), RunStatus::Deadlock);
    let d = w.deadlock().unwrap();
    assert_eq!(d.go_message.as_deref(), Some("fatal error: all goroutines are asleep - deadlock!"));
    let mut stuck: Vec<&str> = d.stuck.iter().map(|s| s.name.as_str()).collect();
    stuck.sort();
    assert_eq!(stuck, ["consumer-1", "consumer-2", "main"], "the consumers and main are stuck");
    assert_eq!(w.snapshot().totals.processed, 10, "every value was consumed first");

    let w = run("close-while-sending");
    assert_eq!(w.status(), RunStatus::Panicked);
    let p = w.panic_report().unwrap();
    assert_eq!((p.name.as_str(), p.message.as_str()), ("slow", "send on closed channel"));

    let w = run("select-timeout");
    assert_eq!(w.status(), RunStatus::Running, "a producer in bursts runs forever");
    let s = w.snapshot();
    assert!(s.totals.dropped > 0, "values dropped by the non-blocking send");
    let timeouts = w.trace().events().filter(|e| e.kind == EventKind::SelectChose && e.aux == -2).count();
    assert!(timeouts > 0 || w.trace().total() > w.trace().events().len() as u64, "the consumer times out between bursts");

    let w = run("prime-sieve");
    assert_eq!(w.status(), RunStatus::MainReturned);
    assert_eq!(received(&w), [11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47], "main receives the primes 11..47");
    let primes: Vec<i64> = w.trace().events().filter(|e| e.kind == EventKind::Prime).map(|e| e.aux).collect();
    assert_eq!(primes, [2, 3, 5, 7]);

    let w = run("large");
    assert_eq!(w.status(), RunStatus::Running);
    let s = w.snapshot();
    assert_eq!(s.goroutines.len(), 100);
    assert_eq!(s.channels[0].max_len, 1000, "the buffer fills up");
    let first_full = w.series().samples().find(|x| x.lens[0] == 1000).map(|x| x.t_us);
    assert!(first_full.is_some_and(|t| t <= 12_000_000), "full within about ten seconds: {first_full:?}");
    let producers_blocked: u64 = s.goroutines.iter().filter(|g| g.group == "producer").map(|g| g.blocked_send_us).sum();
    assert!(producers_blocked > 0, "then producers block");
    assert_eq!(s.totals.produced, s.totals.processed + s.totals.live);
}
