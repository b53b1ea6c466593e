//! The project's own fuzzer: structure-aware random scenarios with random
//! live-command sequences (`support::gen`), and byte-mutated presets fed
//! to the loader.
//!
//! # What is checked, after every action
//! - **No panic** anywhere (run it with `--profile fuzz`, which keeps
//!   overflow checks and debug assertions on, so a wrap-around panics too).
//! - **Progress**: at one instant of virtual time at most
//!   `G × (OP_BUDGET + 1) + 2` events happen plus the commands due there
//!   (the guarantee in `world`'s docs); otherwise the world ended.
//! - **Conservation and queue invariants** (`support::invariants`).
//! - **Refused commands change nothing** (same snapshot, same trace hash).
//! - **The shared link loads and replays**: `scenario_with_log()` goes
//!   through JSON, loads, and runs to the identical trace hash and snapshot.
//! - **Determinism**: the same case twice gives the same hash.
//! - Loader errors are messages of bounded size, never a panic.
//!
//! # Running it
//! `cargo test -p queuelab --test fuzz` runs a fixed seed set (the short
//! pass in `make test`). `make fuzz SECONDS=N` runs for N seconds on every
//! core (`FUZZ_THREADS` to use fewer) with fresh seeds (`FUZZ_SECONDS`,
//! `FUZZ_SEED` to repeat a run) and
//! prints cases run and failures. A failure is shrunk by proptest, printed,
//! and written to `target/fuzz-failures/`; pin it in `regressions.rs`.

mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use queuelab::command::Command;
use queuelab::presets;
use queuelab::scenario::{limits, Scenario};
use queuelab::time::{SimDuration, SimTime};
use queuelab::world::{World, OP_BUDGET};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use support::gen::{self, Action, Case};
use support::invariants::{check_snapshot, Bounds, Ends};

/// Events one case may run (a busy world asked to run for a century stops
/// here; that is the case's end, not a failure).
const MAX_EVENTS: u64 = 150_000;
/// Cases per batch (one proptest run, one seed).
const BATCH: u32 = 32;
/// Batches of each kind in the fixed pass (`cargo test`).
const FIXED_BATCHES: u64 = 16;

fn fail(m: impl Into<String>) -> TestCaseError {
    TestCaseError::fail(m.into())
}

/// Runs `w` to `t`, one event at a time, checking the progress guarantee.
/// Returns `false` if the case's event budget ran out first.
fn advance(w: &mut World, t: SimTime, events: &mut u64, commands: u64) -> Result<bool, TestCaseError> {
    let mut instant = w.now();
    let mut at_instant: u64 = 0;
    let mut bound = u64::MAX;
    while w.is_running() {
        let reached = w.run_until_bounded(t, 1);
        *events += 1;
        if *events % 257 == 0 {
            w.check_nsq_book().map_err(|e| fail(format!("the guarantees book at {}: {e}", w.now())))?;
        }
        if w.now() != instant {
            instant = w.now();
            at_instant = 0;
        }
        at_instant += 1;
        if at_instant > u64::from(OP_BUDGET) {
            if bound == u64::MAX {
                let g = w.snapshot().goroutines.len() as u64;
                // A step may also send a network frame that arrives in
                // the same instant (a latency rounding to 0µs): at most
                // one arrival per step.
                bound = g * (2 * u64::from(OP_BUDGET) + 1) + 2 + commands;
            }
            prop_assert!(at_instant <= bound, "no progress: {} events at {} (bound {})", at_instant, instant, bound);
        }
        if reached {
            return Ok(true);
        }
        if *events > MAX_EVENTS {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The shared link of `w` loads and replays to the identical state.
fn link(w: &World) -> Result<(), TestCaseError> {
    let text = w.scenario_with_log().to_json();
    let shared = Scenario::from_json(&text).map_err(|e| fail(format!("the shared link does not load: {e}\n{text}")))?;
    let mut r = World::new(&shared).map_err(|e| fail(format!("the shared link does not build: {e}")))?;
    r.run_until(w.now());
    prop_assert_eq!(r.trace_hash(), w.trace_hash(), "the shared link replays differently");
    // The link carries the commands that were applied: the notices about
    // the scenario's commands that could not be are the sender's alone.
    let (replayed, mut original) = (r.snapshot(), w.snapshot());
    prop_assert!(replayed.notices.is_empty(), "a replayed link applies every command it carries");
    original.notices.clear();
    prop_assert!(replayed == original, "the shared link replays to another snapshot");
    Ok(())
}

/// Loads `text`; a refusal must be a bounded, non-empty message.
fn load(text: &str) -> Result<Option<Scenario>, TestCaseError> {
    match Scenario::from_json(text) {
        Ok(s) => Ok(Some(s)),
        Err(e) => {
            let m = e.to_string();
            if std::env::var_os("FUZZ_VERBOSE").is_some() {
                eprintln!("refused: {}", m.lines().next().unwrap_or(""));
            }
            prop_assert!(!m.is_empty());
            prop_assert!(m.len() <= 1_000 * e.problems.len().max(1), "a {} byte error message: {}", m.len(), m);
            Ok(None)
        }
    }
}

/// Runs one case; returns the world's final hash (or `None` if the
/// scenario was refused).
fn run_case(case: &Case) -> Result<Option<u64>, TestCaseError> {
    let Some(scenario) = load(&case.scenario.to_string())? else { return Ok(None) };
    let mut w = World::new(&scenario).map_err(|e| fail(format!("a scenario that loads does not build: {e}")))?;
    LOADED.fetch_add(1, Ordering::Relaxed);
    let ends = Ends { main_returns: scenario.goroutines.iter().any(|g| g.name == "main"), stops: true };
    // Timed capacity changes happen between checks: allow the largest.
    let timed_caps = scenario.commands.iter().any(|c| matches!(c.command, Command::SetCapacity { .. }));
    let cap = |c: u32| if timed_caps { limits::MAX_CAPACITY } else { c };
    let mut bounds = Bounds { allowed: scenario.channels.iter().map(|c| cap(c.capacity)).collect() };
    let mut commands = scenario.commands.len() as u64;
    let mut events = 0;
    let check = |w: &World, bounds: &mut Bounds| -> Result<(), TestCaseError> {
        check_snapshot(&w.snapshot(), bounds, ends)?;
        w.check_nsq_book().map_err(|e| fail(format!("the guarantees book: {e}")))?;
        if timed_caps {
            // A timed command may raise a capacity before the next check.
            bounds.allowed.iter_mut().for_each(|a| *a = limits::MAX_CAPACITY);
        }
        Ok(())
    };
    check(&w, &mut bounds)?;
    let mut at_boundary = true;
    for a in &case.actions {
        match a {
            Action::Advance(d) => {
                let t = w.now() + SimDuration::from_micros(*d);
                if !advance(&mut w, t, &mut events, commands)? {
                    at_boundary = false;
                    break;
                }
            }
            Action::Live(v) => {
                let Ok(cmd) = serde_json::from_value::<Command>(v.clone()) else { continue };
                let (before, hash) = (w.snapshot(), w.trace_hash());
                match w.apply(&cmd) {
                    Ok(()) => {
                        commands += 1;
                        if matches!(cmd, Command::SetCapacity { .. }) {
                            bounds.after_capacity_change(&w.snapshot());
                        }
                    }
                    Err(e) => {
                        prop_assert!(!e.to_string().is_empty());
                        prop_assert!(e.to_string().len() < 2_000, "a {} byte refusal", e.to_string().len());
                        prop_assert_eq!(w.trace_hash(), hash, "a refused command ({}) changed the trace", e);
                        prop_assert!(w.snapshot() == before, "a refused command ({}) changed the world", e);
                    }
                }
            }
            Action::Link => {
                // A link replays to the end of the current instant: events
                // already due now (a goroutine a command just spawned) run.
                let now = w.now();
                if !advance(&mut w, now, &mut events, commands)? {
                    at_boundary = false;
                    break;
                }
                link(&w)?;
            }
        }
        check(&w, &mut bounds)?;
    }
    let now = w.now();
    if at_boundary && advance(&mut w, now, &mut events, commands)? {
        link(&w)?;
    }
    EVENTS.fetch_add(events, Ordering::Relaxed);
    Ok(Some(w.trace_hash()))
}

fn check_case(case: Case, determinism: bool) -> Result<(), TestCaseError> {
    let first = run_case(&case)?;
    if determinism {
        prop_assert_eq!(run_case(&case)?, first, "the same case gave another run");
    }
    Ok(())
}

/// A preset's text, mutated byte-wise, then loaded and (if it loads) run
/// for up to a second of virtual time under the same checks.
fn check_mutated(preset: usize, edits: Vec<(u8, usize, usize)>) -> Result<(), TestCaseError> {
    let text = gen::mutate(presets::ALL[preset % presets::ALL.len()].json, &edits);
    let Some(scenario) = load(&text)? else { return Ok(()) };
    let mut w = World::new(&scenario).map_err(|e| fail(format!("a scenario that loads does not build: {e}")))?;
    LOADED.fetch_add(1, Ordering::Relaxed);
    let ends = Ends { main_returns: true, stops: true };
    let mut bounds = Bounds { allowed: vec![limits::MAX_CAPACITY; scenario.channels.len()] };
    let mut events = 0;
    advance(&mut w, SimTime::from_micros(1_000_000), &mut events, scenario.commands.len() as u64)?;
    EVENTS.fetch_add(events, Ordering::Relaxed);
    check_snapshot(&w.snapshot(), &mut bounds, ends)
}

#[derive(Default)]
struct Tally {
    cases: AtomicU64,
    files: AtomicU64,
}

/// Of the cases run: how many scenarios loaded, and the events they ran.
static LOADED: AtomicU64 = AtomicU64::new(0);
static EVENTS: AtomicU64 = AtomicU64::new(0);

/// One batch: `BATCH` cases of one kind from `seed`. Returns the shrunk
/// failure, if any, as text.
fn batch(kind: u64, seed: u64, tally: &Tally) -> Option<String> {
    // Shrinking stops after 60 s: a failure is reported, smallest so far.
    let config = Config { cases: BATCH, failure_persistence: None, max_shrink_iters: 1024, max_shrink_time: 60_000, ..Config::default() };
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    bytes[8..16].copy_from_slice(&kind.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &bytes));
    let result = if kind == 0 {
        runner
            .run(&(gen::case(), any::<bool>()), |(case, det)| {
                tally.cases.fetch_add(1, Ordering::Relaxed);
                check_case(case, det)
            })
            .map_err(|e| match e {
                TestError::Fail(why, (case, _)) => format!("{why}\nscenario: {:#}\nactions: {:?}", case.scenario, case.actions),
                TestError::Abort(why) => format!("aborted: {why}"),
            })
    } else {
        let edits = prop::collection::vec((any::<u8>(), any::<usize>(), any::<usize>()), 1..8);
        runner
            .run(&(0..presets::ALL.len(), edits), |(p, e)| {
                tally.files.fetch_add(1, Ordering::Relaxed);
                check_mutated(p, e)
            })
            .map_err(|e| match e {
                TestError::Fail(why, (p, edits)) => format!(
                    "{why}\npreset {}, mutated:\n{}",
                    presets::ALL[p].name,
                    gen::mutate(presets::ALL[p].json, &edits)
                ),
                TestError::Abort(why) => format!("aborted: {why}"),
            })
    };
    result.err().map(|f| format!("seed {seed} kind {kind}: {f}"))
}

#[test]
fn fuzz() {
    let seconds: Option<u64> = std::env::var("FUZZ_SECONDS").ok().and_then(|s| s.parse().ok());
    let base: u64 = std::env::var("FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(match seconds {
        // A timed run draws fresh seeds (printed, to repeat it).
        Some(_) => std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_secs()),
        None => 0,
    });
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    // A panic is a failure proptest reports (with its message) and shrinks;
    // the default hook would print it again for every shrinking step.
    std::panic::set_hook(Box::new(|_| {}));
    let threads = match std::env::var("FUZZ_THREADS").ok().and_then(|t| t.parse().ok()) {
        Some(t) => t,
        None if seconds.is_some() => std::thread::available_parallelism().map_or(1, |n| n.get()),
        None => 1,
    };
    let tally = Tally::default();
    let next = AtomicU64::new(0);
    let started = Instant::now();
    let failures: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                // Deep strategy trees need more than a default thread's stack
                // in unoptimised builds.
                std::thread::Builder::new().stack_size(256 << 20).spawn_scoped(s, || {
                    let mut found = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let done = match deadline {
                            Some(d) => Instant::now() >= d,
                            None => i >= 2 * FIXED_BATCHES,
                        };
                        if done {
                            return found;
                        }
                        found.extend(batch(i % 2, base.wrapping_add(i / 2), &tally));
                    }
                })
                .expect("a fuzz worker starts")
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("a fuzz worker panicked outside a case")).collect()
    });
    let secs = started.elapsed().as_secs_f64();
    let (cases, files) = (tally.cases.load(Ordering::Relaxed), tally.files.load(Ordering::Relaxed));
    println!(
        "fuzz: seed {base}, {:.0} s on {threads} thread(s): {cases} scenario cases with live commands, {files} mutated preset files \
         ({:.0} cases per minute, shrinking included; {} loaded and ran, {} events in all), {} failure(s)",
        secs,
        (cases + files) as f64 / secs * 60.0,
        LOADED.load(Ordering::Relaxed),
        EVENTS.load(Ordering::Relaxed),
        failures.len()
    );
    if !failures.is_empty() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz-failures");
        let _ = std::fs::create_dir_all(&dir);
        for (i, f) in failures.iter().enumerate() {
            let _ = std::fs::write(dir.join(format!("{base}-{i}.txt")), f);
            println!("\n--- failure {i} ---\n{f}");
        }
        panic!("the fuzzer found {} failure(s) (written to target/fuzz-failures/)", failures.len());
    }
}
