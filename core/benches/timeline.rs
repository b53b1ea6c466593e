//! Seek cost: how long going back in time takes on a long, busy run.
//!
//! The `large` preset (100 goroutines, about 5,600 kernel events per virtual
//! second) is run for one hour of virtual time through a [`Timeline`] with
//! its default checkpoint budget (64 MiB) and first interval, as the page
//! does. Then it seeks to the worst places (1 µs before each checkpoint,
//! where the whole interval must be replayed) and to random ones, and steps
//! back from random places. Prints the run time, the checkpoints kept, their
//! interval and memory, and the seek times (median and worst) with the
//! events replayed.
//!
//! Run: `make bench` (or `cargo bench -p queuelab --bench timeline`).
//! `TIMELINE_HOURS=x` for another length (default 1).

use queuelab::presets;
use queuelab::rng::SimRng;
use queuelab::time::{SimDuration, SimTime};
use queuelab::timeline::Timeline;
use std::time::Instant;

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn summary(name: &str, mut v: Vec<(f64, u64)>) {
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let med = v[v.len() / 2];
    let worst = v[v.len() - 1];
    let max_events = v.iter().map(|x| x.1).max().unwrap_or(0);
    println!(
        "{name:<34} median {:>7.2} ms   worst {:>7.2} ms   (most events replayed: {max_events}, {} seeks)",
        med.0,
        worst.0,
        v.len()
    );
}

fn main() {
    let hours: f64 = std::env::var("TIMELINE_HOURS").ok().and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let end = SimTime::ZERO + SimDuration::from_micros((hours * 3.6e9) as u64);
    let scenario = presets::get("large").expect("large").scenario();
    let mut tl = Timeline::new(&scenario).expect("valid");
    let t0 = Instant::now();
    // In slices, as the page advances (checkpoints are taken between them).
    let mut t = SimTime::ZERO;
    while t < end {
        t = (t + SimDuration::from_millis(500)).min(end);
        tl.run_until(t);
    }
    let run = t0.elapsed();
    let v = tl.view();
    println!(
        "large for {} of virtual time: {} kernel events in {:.2} s; {} checkpoints, every {} events, {:.1} MiB",
        tl.end(),
        tl.world().steps(),
        run.as_secs_f64(),
        v.checkpoints,
        v.interval,
        v.checkpoint_bytes as f64 / (1 << 20) as f64
    );

    let mut worst = Vec::new();
    for c in tl.checkpoint_times().into_iter().skip(1) {
        let target = SimTime::from_micros(c.as_micros() - 1);
        tl.seek(tl.end()); // from the present at the end: a restore every time
        let s = Instant::now();
        tl.seek(target);
        worst.push((ms(s.elapsed()), tl.last_replayed()));
    }
    summary("seek to 1 µs before a checkpoint", worst);

    let mut rng = SimRng::new(11);
    let mut random = Vec::new();
    for _ in 0..40 {
        let target = SimTime::from_micros(rng.next_u64() % (end.as_micros() + 1));
        let s = Instant::now();
        tl.seek(target);
        random.push((ms(s.elapsed()), tl.last_replayed()));
    }
    summary("seek to a random time", random);

    let mut back = Vec::new();
    for _ in 0..20 {
        let target = SimTime::from_micros(rng.next_u64() % (end.as_micros() + 1));
        tl.seek(target);
        let s = Instant::now();
        tl.step_back();
        back.push((ms(s.elapsed()), 0));
    }
    summary("step back from a random time", back);
}
