//! The Kafka reference model, whole (issue 14): 3 brokers, one topic of 6
//! partitions with replication factor 3 and min.insync.replicas 2; 4 sarama
//! async producers with `WaitForAll` (each: a goroutine sending to its
//! `Input()`, one reading `Successes()`, and the library's four stage
//! goroutines); a consumer group of 3 members (range: 2 partitions each)
//! whose handlers work exp(150us), marking each record, auto-commit every
//! second; 200,000 records. Prints records consumed per wall second (the
//! target: at least 3 million) and kernel events per second, median of 5
//! runs, then allocations per event in steady state.
//!
//! Links exp(100us) one way. The run is timed to the instant every record
//! is consumed (found by an untimed run).
//!
//! Run: `make bench` (or `cargo bench -p queuelab --bench kafka`).

use queuelab::scenario::Scenario;
use queuelab::time::{SimDuration, SimTime};
use queuelab::world::World;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::time::Instant;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const RECORDS: u64 = 200_000;

fn scenario() -> Scenario {
    let producers: Vec<String> = (1..=4)
        .map(|i| format!(r#"{{ "name": "ap{i}", "kind": "async", "topic": "events", "acks": "all", "partitioner": "round_robin", "return_successes": true }}"#))
        .collect();
    let goroutines: Vec<String> = (1..=4)
        .flat_map(|i| {
            [
                format!(r#"{{ "name": "send{i}", "behavior": {{ "program": [{{ "repeat": {{ "times": {}, "body": [{{ "send": "ap{i}.input" }}] }} }}] }} }}"#, RECORDS / 4),
                format!(r#"{{ "name": "results{i}", "behavior": {{ "program": [{{ "forever": [{{ "recv": "ap{i}.successes" }}] }}] }} }}"#),
            ]
        })
        .collect();
    let json = format!(
        r#"{{
  "name": "kafka-reference", "seed": 7, "trace_capacity": 0,
  "kafka": {{ "brokers": 3, "latency": "exp(100us)",
    "topics": [{{ "name": "events", "partitions": 6, "replication_factor": 3, "min_insync_replicas": 2 }}],
    "producers": [{}],
    "groups": [{{ "name": "workers", "topics": ["events"], "members": 3, "work": "exp(150us)", "initial": "oldest" }}] }},
  "goroutines": [{}]
}}"#,
        producers.join(", "),
        goroutines.join(", ")
    );
    Scenario::from_json(&json).expect("the Kafka reference scenario is valid")
}

fn consumed(w: &World) -> u64 {
    w.snapshot().kafka.map_or(0, |k| k.guarantees.consumed)
}

/// The instant the last record is consumed, in 10 ms steps.
fn end_of(s: &Scenario) -> SimTime {
    let mut w = World::new(s).expect("builds");
    let mut t = SimTime::ZERO;
    while consumed(&w) < RECORDS {
        t += SimDuration::from_millis(10);
        w.run_until(t);
        assert!(t < SimTime::ZERO + SimDuration::from_secs(3600), "the Kafka reference never finishes ({} of {RECORDS})", consumed(&w));
    }
    t
}

fn main() {
    let s = scenario();
    let end = end_of(&s);
    let runs = 5;
    let mut ms = Vec::new();
    let mut events = 0;
    let mut records = 0;
    for _ in 0..runs {
        let mut w = World::new(&s).expect("builds");
        let t0 = Instant::now();
        w.run_until(end);
        ms.push(t0.elapsed().as_secs_f64() * 1e3);
        events = w.steps();
        records = consumed(&w);
    }
    ms.sort_by(f64::total_cmp);
    let med = ms[runs / 2];
    println!("kafka reference: 3 brokers, events (6 partitions, RF 3, acks=all), 4 async producers, group of 3 members, {RECORDS} records");
    println!(
        "  {:.2} M records consumed/s ({records} consumed), {:.2} M kernel events/s ({events} events, {:.1} per record); median of {runs}: {med:.1} ms, best {:.1} ms; ends at {end} virtual",
        records as f64 / med / 1e3,
        events as f64 / med / 1e3,
        events as f64 / records as f64,
        ms[0]
    );
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
    println!("  target: at least 3 M records consumed/s natively, 0 allocations per event");
}
