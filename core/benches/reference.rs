//! The reference benchmark (issue 3): 4 producers -> `jobs` (capacity 16) ->
//! 4 consumers, exponential gaps and work times, 200,000 messages, run to
//! the end natively.
//!
//! Measures delivered messages per wall second (criterion's throughput, in
//! elements = delivered messages) and prints, after criterion, the figures
//! from a few plain timed runs: delivered msgs/s and kernel events/s
//! (`World::steps()`), without a trace ring (`trace_capacity: 0`, the
//! throughput run) and with the default ring of 10,000 events.
//!
//! Next to each, the same figure for the minimal DES (`baseline/mod.rs`: the
//! same model as a bare heap-of-events simulation, no tracing, no
//! statistics), timed in the same runs (one engine run, one baseline run, in
//! turn), and queuelab's throughput as a ratio to it, the median over those
//! pairs of runs (`queuelab / minimal DES = 0.46x`): a figure that other
//! load on the machine and the machine itself cancel out of.
//!
//! Run: `make bench` (or `cargo bench -p queuelab --bench reference`).
//! The scenario is `benches/reference.json`, shared with `tests/alloc.rs`.

#[path = "baseline/mod.rs"]
mod baseline;

use criterion::{criterion_group, BatchSize, Criterion, SamplingMode, Throughput};
use queuelab::observe::snapshot::RunStatus;
use queuelab::scenario::Scenario;
use queuelab::time::SimTime;
use queuelab::world::World;
use std::hint::black_box;
use std::time::{Duration, Instant};

const REFERENCE: &str = include_str!("reference.json");
const MESSAGES: u64 = 200_000;
/// Far beyond the end of the run (about 50 s of virtual time).
const LIMIT: SimTime = SimTime::from_micros(3_600_000_000);

/// The two configurations: (label, trace ring capacity).
const CONFIGS: [(&str, u32); 2] = [("no_trace_ring", 0), ("trace_ring_10k", 10_000)];

fn scenario(trace_capacity: u32) -> Scenario {
    let mut s = Scenario::from_json(REFERENCE).expect("benches/reference.json is a valid scenario");
    s.trace_capacity = trace_capacity;
    s
}

/// Runs the reference to its end; returns (delivered, kernel events).
fn run(s: &Scenario) -> (u64, u64) {
    let mut w = World::new(s).expect("reference builds");
    let status = w.run_to_end(LIMIT);
    assert_eq!(status, RunStatus::Finished, "the reference run must end cleanly");
    (w.snapshot().totals.delivered, w.steps())
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("reference");
    // Each iteration is a whole run (tens of ms): flat sampling, 10 samples.
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2));
    for (label, cap) in CONFIGS {
        let s = scenario(cap);
        let (delivered, _) = run(&s);
        assert_eq!(delivered, MESSAGES, "every message is delivered");
        g.throughput(Throughput::Elements(delivered));
        g.bench_function(label, |b| {
            b.iter_batched(
                || World::new(&s).expect("reference builds"),
                |mut w| {
                    w.run_until(LIMIT);
                    black_box(w.steps())
                },
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

/// Plain timed runs (world construction excluded), each followed by a
/// run of the minimal DES: median and best of `RUNS` (the best is the least
/// disturbed by other processes), and the ratio: the median over the pairs
/// (a run and the baseline run right after it; both deliver 200,000).
fn figures() {
    const RUNS: usize = 9;
    let base_params = baseline::Params::REFERENCE;
    println!();
    println!("reference: 4 producers -> jobs(16) -> 4 consumers, {MESSAGES} messages, exponential gaps/work");
    for (label, cap) in CONFIGS {
        let s = scenario(cap);
        let mut secs = Vec::with_capacity(RUNS);
        let mut base_secs = Vec::with_capacity(RUNS);
        let mut out = (0, 0, 0);
        let mut base = baseline::Outcome::default();
        for _ in 0..RUNS {
            let mut w = World::new(&s).expect("reference builds");
            let t0 = Instant::now();
            w.run_until(LIMIT);
            secs.push(t0.elapsed().as_secs_f64());
            out = (w.snapshot().totals.delivered, w.steps(), w.now().as_micros());
            let t0 = Instant::now();
            base = black_box(baseline::run(black_box(&base_params)));
            base_secs.push(t0.elapsed().as_secs_f64());
        }
        // Each run against the baseline run right after it (DES time / queuelab time).
        let mut pair: Vec<f64> = base_secs.iter().zip(&secs).map(|(b, q)| b / q).collect();
        pair.sort_by(f64::total_cmp);
        secs.sort_by(f64::total_cmp);
        base_secs.sort_by(f64::total_cmp);
        let (median, best) = (secs[RUNS / 2], secs[0]);
        let (base_median, base_best) = (base_secs[RUNS / 2], base_secs[0]);
        let (delivered, events, end_us) = out;
        assert_eq!(base.delivered, MESSAGES, "the minimal DES delivers every message");
        let end_diff = base.end_us as f64 / end_us as f64 - 1.0;
        assert!(end_diff.abs() < 0.05, "the minimal DES ends at {} us, queuelab at {end_us} us", base.end_us);
        println!(
            "  {label:15} {:>5.2} M delivered msgs/s  {:>5.2} M kernel events/s  (median of {RUNS}: {:.1} ms; best {:.1} ms = {:.2} M msgs/s)",
            delivered as f64 / median / 1e6,
            events as f64 / median / 1e6,
            median * 1e3,
            best * 1e3,
            delivered as f64 / best / 1e6,
        );
        println!("  {:15} {delivered} msgs, {events} kernel events ({:.2} per msg), ends at {:.3} s virtual", "", events as f64 / delivered as f64, end_us as f64 / 1e6);
        println!(
            "  {:15} {:>5.2} M delivered msgs/s  {:>5.2} M heap events/s    (median of {RUNS}: {:.1} ms; best {:.1} ms = {:.2} M msgs/s)",
            "minimal DES",
            base.delivered as f64 / base_median / 1e6,
            base.events as f64 / base_median / 1e6,
            base_median * 1e3,
            base_best * 1e3,
            base.delivered as f64 / base_best / 1e6,
        );
        println!(
            "  {:15} {} msgs, {} heap events, ends at {:.3} s virtual ({:+.2}% against queuelab; other random streams)",
            "",
            base.delivered,
            base.events,
            base.end_us as f64 / 1e6,
            end_diff * 100.0,
        );
        println!(
            "  {:15} queuelab / minimal DES = {:.2}x  (msgs/s; median over the {RUNS} pairs of runs; medians {:.2}x, best against best {:.2}x)",
            "",
            pair[RUNS / 2],
            (delivered as f64 / median) / (base.delivered as f64 / base_median),
            (delivered as f64 / best) / (base.delivered as f64 / base_best),
        );
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    figures();
}
