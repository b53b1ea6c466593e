//! The native half of `make bench-web`'s wasm-against-native comparison:
//! runs natively exactly what `tests/bench/engine.mjs` runs in the browser
//! through the wasm package, and prints delivered messages per wall second.
//!
//! - `reference`: `benches/reference.json` run to its end, one hour of
//!   virtual time at a time (the page's `advance_all(3600e6)`) until the
//!   status is no longer `running`;
//! - `large`: the `large` preset (50 producers, 50 consumers, capacity
//!   1000, as the page loads it) for `LARGE_SECONDS` of virtual time.
//!
//! Both run through a [`Timeline`], as the page's `Playground` does (the
//! run keeps its checkpoints for seeking back: that work is the page's
//! too, so it is on both sides of the ratio). World construction is not
//! timed. One untimed run of each first, then the median of `RUNS` timed
//! runs.
//!
//! ```sh
//! cargo run --release -p queuelab --example native_speed            # 5 runs, text
//! cargo run --release -p queuelab --example native_speed -- 9 --json  # 9 runs, one JSON line
//! ```

use queuelab::observe::snapshot::RunStatus;
use queuelab::presets;
use queuelab::scenario::Scenario;
use queuelab::time::SimDuration;
use queuelab::timeline::Timeline;
use queuelab::world::World;
use std::time::Instant;

/// Virtual seconds of the `large` preset (as `tests/bench/engine.mjs`).
const LARGE_SECONDS: u64 = 60;
/// The page's `advance_all` runs at most one hour of virtual time per call.
const HOUR: SimDuration = SimDuration::from_secs(3_600);

#[derive(Debug)]
struct Figure {
    name: &'static str,
    ms: f64,
    delivered: u64,
    steps: u64,
    virtual_s: f64,
    status: RunStatus,
}

fn run(scenario: &Scenario, to_end: bool) -> (f64, Timeline) {
    let mut tl = Timeline::new(scenario).expect("the scenario builds");
    let t0 = Instant::now();
    if to_end {
        while tl.world().status() == RunStatus::Running {
            let t = tl.world().now() + HOUR;
            tl.run_until(t);
        }
    } else {
        let t = tl.world().now() + SimDuration::from_secs(LARGE_SECONDS);
        tl.run_until(t);
    }
    (t0.elapsed().as_secs_f64() * 1e3, tl)
}

fn measure(name: &'static str, scenario: &Scenario, to_end: bool, runs: usize) -> Figure {
    run(scenario, to_end); // warm-up
    let mut ms = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let (t, w) = run(scenario, to_end);
        ms.push(t);
        last = Some(w);
    }
    ms.sort_by(f64::total_cmp);
    let tl = last.expect("runs > 0");
    let w: &World = tl.world();
    Figure {
        name,
        ms: ms[runs / 2],
        delivered: w.snapshot().totals.delivered,
        steps: w.steps(),
        virtual_s: w.now().as_secs_f64(),
        status: w.status(),
    }
}

fn main() {
    let mut runs = 5;
    let mut json = false;
    for a in std::env::args().skip(1) {
        match a.as_str() {
            "--json" => json = true,
            n => match n.parse() {
                Ok(n) if n > 0 => runs = n,
                _ => {
                    eprintln!("usage: native_speed [RUNS > 0] [--json]");
                    std::process::exit(2);
                }
            },
        }
    }
    let reference = Scenario::from_json(include_str!("../benches/reference.json")).expect("reference.json is valid");
    let large = presets::get("large").expect("the large preset").scenario();
    let figures = [measure("reference", &reference, true, runs), measure("large", &large, false, runs)];
    for f in &figures {
        assert!(f.delivered > 0, "{}: nothing delivered", f.name);
    }
    if json {
        let items: Vec<String> = figures
            .iter()
            .map(|f| {
                format!(
                    r#""{}":{{"ms":{:.3},"delivered":{},"steps":{},"virtual_s":{:.6},"status":"{}","runs":{runs}}}"#,
                    f.name,
                    f.ms,
                    f.delivered,
                    f.steps,
                    f.virtual_s,
                    serde_json::to_value(f.status).expect("status").as_str().unwrap_or("?"),
                )
            })
            .collect();
        println!("{{{}}}", items.join(","));
    } else {
        for f in &figures {
            println!(
                "{:9} {:>6.2} M delivered msgs/s  ({} msgs, {} kernel events, {:.3} s virtual, {:?}; median of {runs}: {:.1} ms)",
                f.name,
                f.delivered as f64 / f.ms / 1e3,
                f.delivered,
                f.steps,
                f.virtual_s,
                f.status,
                f.ms
            );
        }
    }
}
