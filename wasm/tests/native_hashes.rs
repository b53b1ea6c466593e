//! Native half of the native-vs-browser determinism check (issue 3).
//!
//! Runs every preset natively for [`SECONDS`] virtual seconds (or to its end)
//! and compares trace hash, event count, final time and status with
//! `fixtures/hashes.json`. The browser test (`web.rs`) compares the same
//! fixture with what the wasm build computes, so together they prove that
//! native and wasm runs are identical.
//!
//! When the engine's behaviour changes on purpose, regenerate the fixture:
//! `UPDATE_EXPECT=1 cargo test -p queuelab-wasm --test native_hashes`.
#![cfg(not(target_arch = "wasm32"))]

use queuelab::presets;
use queuelab::time::SimTime;
use queuelab::world::World;
use serde_json::{json, Value};

const SECONDS: u64 = 30;
const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/hashes.json");

fn compute() -> Value {
    let runs: Vec<Value> = presets::ALL
        .iter()
        .map(|p| {
            let mut w = World::new(&p.scenario()).unwrap_or_else(|e| panic!("preset {}: {e}", p.name));
            w.run_until(SimTime::from_micros(SECONDS * 1_000_000));
            let s = w.snapshot();
            json!({
                "preset": p.name,
                "trace_hash": s.trace_hash,
                "events_total": s.events_total,
                "time_us": s.time_us,
                "status": s.status,
            })
        })
        .collect();
    json!({ "virtual_seconds": SECONDS, "runs": runs })
}

#[test]
fn native_hashes_match_the_fixture() {
    let got = compute();
    if std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v == "1") {
        let text = serde_json::to_string_pretty(&got).expect("serializes") + "\n";
        std::fs::write(FIXTURE, text).unwrap_or_else(|e| panic!("writing {FIXTURE}: {e}"));
        return;
    }
    let text = std::fs::read_to_string(FIXTURE)
        .unwrap_or_else(|e| panic!("{FIXTURE}: {e}; run with UPDATE_EXPECT=1 to create it"));
    let want: Value = serde_json::from_str(&text).expect("fixture is JSON");
    assert_eq!(want["virtual_seconds"], got["virtual_seconds"]);
    let want_runs = want["runs"].as_array().expect("runs");
    let got_runs = got["runs"].as_array().expect("runs");
    let names = |runs: &[Value]| runs.iter().map(|r| r["preset"].as_str().unwrap_or("?").to_owned()).collect::<Vec<_>>();
    assert_eq!(names(want_runs), names(got_runs), "the fixture must cover every preset, in order");
    let diffs: Vec<String> = want_runs
        .iter()
        .zip(got_runs)
        .filter(|(w, g)| w != g)
        .map(|(w, g)| format!("  fixture {w}\n  native  {g}"))
        .collect();
    assert!(
        diffs.is_empty(),
        "native runs differ from {FIXTURE} (if the engine changed on purpose, rerun with UPDATE_EXPECT=1):\n{}",
        diffs.join("\n")
    );
}

#[test]
fn fixture_runs_are_distinct_and_nontrivial() {
    // Guards against a fixture of placeholders: every preset ran real events
    // and no two presets share a hash.
    let got = compute();
    let runs = got["runs"].as_array().expect("runs");
    let mut hashes: Vec<&str> = runs.iter().map(|r| r["trace_hash"].as_str().expect("hash")).collect();
    for r in runs {
        assert!(r["events_total"].as_u64().expect("count") > 10, "{r}");
    }
    hashes.sort_unstable();
    hashes.dedup();
    assert_eq!(hashes.len(), runs.len(), "{got}");
}

#[test]
fn a_different_seed_changes_the_hash() {
    // The comparison is sensitive: one seed bit flips the large preset's hash.
    let p = presets::get("large").expect("large preset");
    let hash = |seed: u64| {
        let mut s = p.scenario();
        s.seed = seed;
        let mut w = World::new(&s).expect("valid");
        w.run_until(SimTime::from_micros(1_000_000));
        w.trace_hash()
    };
    assert_ne!(hash(1), hash(2));
    assert_eq!(hash(1), hash(1));
}
