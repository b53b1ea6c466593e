//! Runs the reference benchmark model (`benches/reference.json`) N times
//! and prints the mean time per run and delivered messages per second: a
//! small, criterion-free binary to put under `perf record` or
//! `valgrind --tool=cachegrind` when working on the hot path.
//!
//! ```sh
//! cargo build --release -p queuelab --example profile_reference
//! perf record ./target/release/examples/profile_reference 30
//! valgrind --tool=cachegrind --cache-sim=no ./target/release/examples/profile_reference 2
//! ```
//!
//! A second argument names another scenario file to run instead (to
//! profile, say, the scaling bench's 2000-goroutine model).

use queuelab::scenario::Scenario;
use queuelab::time::SimTime;
use queuelab::world::World;
use std::time::Instant;

fn main() {
    let scenario = match std::env::args().nth(2) {
        None => Scenario::from_json(include_str!("../benches/reference.json")).expect("reference.json is valid"),
        Some(path) => {
            let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                eprintln!("{path}: {e}");
                std::process::exit(2);
            });
            Scenario::from_json(&text).unwrap_or_else(|e| {
                eprintln!("{path}: {e}");
                std::process::exit(2);
            })
        }
    };
    let runs: u32 = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 20,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: profile_reference [RUNS > 0] [SCENARIO.json]");
            std::process::exit(2);
        }
    };
    let mut delivered = 0;
    let mut events = 0;
    let t0 = Instant::now();
    for _ in 0..runs {
        let mut w = World::new(&scenario).expect("reference builds");
        w.run_until(SimTime::from_micros(3_600_000_000));
        delivered = w.snapshot().totals.delivered;
        events = w.steps();
    }
    let per_run = t0.elapsed().as_secs_f64() / f64::from(runs);
    println!(
        "{:.2} ms/run, {:.2} M delivered msgs/s, {:.2} M kernel events/s ({delivered} msgs, {events} events per run)",
        per_run * 1e3,
        delivered as f64 / per_run / 1e6,
        events as f64 / per_run / 1e6
    );
}
