//! The NSQ reference model, whole: goroutines publishing over links to one
//! nsqd, a topic copying to 2 channels, 4 go-nsq consumers per channel
//! (each with its reader goroutine, `incoming` channel and 2 handler
//! goroutines, max_in_flight 8), 200,000 messages published. Prints
//! FINished channel copies per wall second (the handlers' `Finish`, which
//! the engine issue's target counts: at least 3 million per second) and
//! kernel events per second, median of 5 runs.
//!
//! Load: 4 producers publishing every exp(1ms) (4,000 per second together);
//! each channel's 8 handlers work exp(1.8ms) (4,444 per second together:
//! utilisation 0.9); links exp(100us) one way. The run is timed to the
//! instant every copy is finished (found by an untimed run).
//!
//! Then allocations per kernel event in steady state: a counting global
//! allocator (`stats_alloc`), counted over the second half of one more
//! (untimed) run, after the first half warmed the world up.
//!
//! Next to it, the minimal NSQ DES (`baseline/nsq.rs`: the same model as a
//! bare heap-of-events simulation, no goroutines, no book, no statistics),
//! timed in turn with each run, and queuelab's FINs per second as a ratio
//! to it (the median over the pairs of runs, which other load on the
//! machine cancels out of). The target over the minimal DES's own figure
//! is the ratio the target asks of queuelab: above 1, no engine that
//! simulates the same events one by one reaches it on this machine.
//!
//! Run: `make bench` (or `cargo bench -p queuelab --bench nsq`).

#[path = "baseline/mod.rs"]
mod baseline;

use queuelab::scenario::Scenario;
use queuelab::time::{SimDuration, SimTime};
use queuelab::world::World;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::hint::black_box;
use std::time::Instant;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const MESSAGES: u64 = 200_000;
const COPIES: u64 = 2 * MESSAGES;

fn scenario() -> Scenario {
    let consumer = |name: &str, channel: &str| {
        format!(
            r#"{{ "name": "{name}", "topic": "events", "channel": "{channel}", "nsqd": ["nsqd-1"], "max_in_flight": 8, "handlers": 2, "work": "exp(1800us)" }}"#
        )
    };
    let consumers: Vec<String> = (1..=4).flat_map(|i| [consumer(&format!("a{i}"), "archive"), consumer(&format!("m{i}"), "metrics")]).collect();
    let json = format!(
        r#"{{
  "name": "nsq-reference", "seed": 7, "trace_capacity": 0,
  "nsq": {{ "latency": "exp(100us)", "nsqd": [{{ "name": "nsqd-1", "topics": [{{ "name": "events", "channels": ["archive", "metrics"] }}] }}],
            "consumers": [{}] }},
  "goroutines": [{{ "name": "producer", "count": 4, "behavior": {{ "program": [
    {{ "repeat": {{ "times": {}, "body": [{{ "sleep": "exp(1ms)" }}, {{ "publish": {{ "nsqd": "nsqd-1", "topic": "events" }} }}] }} }}
  ] }} }}]
}}"#,
        consumers.join(", "),
        MESSAGES / 4
    );
    Scenario::from_json(&json).expect("the NSQ reference scenario is valid")
}

fn finished(w: &World) -> u64 {
    w.snapshot().totals.processed
}

/// The instant the last copy is finished, in 10 ms steps.
fn end_of(s: &Scenario) -> SimTime {
    let mut w = World::new(s).expect("builds");
    let mut t = SimTime::ZERO;
    while finished(&w) < COPIES {
        t += SimDuration::from_millis(10);
        w.run_until(t);
        assert!(t < SimTime::ZERO + SimDuration::from_secs(600), "the NSQ reference never finishes ({} of {COPIES})", finished(&w));
    }
    t
}

fn main() {
    let s = scenario();
    let end = end_of(&s);
    let runs = 5;
    let mut ms = Vec::new();
    let mut base_ms = Vec::new();
    let mut base = baseline::nsq::NsqOutcome::default();
    let mut events = 0;
    let mut fins = 0;
    for _ in 0..runs {
        let mut w = World::new(&s).expect("builds");
        let t0 = Instant::now();
        w.run_until(end);
        ms.push(t0.elapsed().as_secs_f64() * 1e3);
        events = w.steps();
        fins = finished(&w);
        let t0 = Instant::now();
        base = black_box(baseline::nsq::run_nsq(black_box(baseline::nsq::NsqParams::REFERENCE)));
        base_ms.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    // Each run against the minimal DES run right after it.
    let mut pair: Vec<f64> = base_ms.iter().zip(&ms).map(|(b, q)| b / q).collect();
    pair.sort_by(f64::total_cmp);
    ms.sort_by(f64::total_cmp);
    base_ms.sort_by(f64::total_cmp);
    let med = ms[runs / 2];
    let base_med = base_ms[runs / 2];
    assert_eq!(base.finished, COPIES, "the minimal DES finishes every copy");
    let end_diff = base.end_us as f64 / end.as_micros() as f64 - 1.0;
    assert!(end_diff.abs() < 0.05, "the minimal DES ends at {} us, queuelab at {end}", base.end_us);
    println!(
        "nsq reference: 4 producers -> nsqd-1/events -> 2 channels x 4 consumers (max_in_flight 8, 2 handlers each), {MESSAGES} messages"
    );
    println!(
        "  {:.2} M FINs/s ({fins} copies finished, {:.2} per message), {:.2} M kernel events/s ({events} events, {:.1} per FIN); median of {runs}: {med:.1} ms, best {:.1} ms; ends at {end} virtual",
        fins as f64 / med / 1e3,
        fins as f64 / MESSAGES as f64,
        events as f64 / med / 1e3,
        events as f64 / fins as f64,
        ms[0]
    );
    let base_rate = base.finished as f64 / base_med / 1e3;
    println!(
        "  minimal DES: {base_rate:.2} M FINs/s, {:.2} M heap events/s ({} events, {:.1} per FIN); median of {runs}: {base_med:.1} ms; ends at {:.3} s virtual ({:+.2}% against queuelab; other random streams)",
        base.events as f64 / base_med / 1e3,
        base.events,
        base.events as f64 / base.finished as f64,
        base.end_us as f64 / 1e6,
        end_diff * 100.0
    );
    println!(
        "  queuelab / minimal DES = {:.2}x (FINs/s, median over the {runs} pairs of runs); the target, 3 M FINs/s, is {:.2}x the minimal DES here",
        pair[runs / 2],
        3.0 / base_rate
    );
    // Allocations per event in the second half of a run (the first half
    // warms the world up).
    let mut w = World::new(&s).expect("builds");
    let half = SimTime::from_micros(end.as_micros() / 2);
    w.run_until(half);
    let steps0 = w.steps();
    let region = Region::new(GLOBAL);
    w.run_until(end);
    let change = region.change();
    let allocs = change.allocations + change.reallocations;
    let stepped = w.steps() - steps0;
    println!(
        "  {:.3} allocations per event in the second half ({allocs} allocations and reallocations in {stepped} events)",
        allocs as f64 / stepped as f64
    );
    println!("  target: at least 3 M FINs/s natively, 0 allocations per event");
}
