//! Scaling: does the cost per message stay flat as goroutines are added?
//!
//! `N` goroutines, producers = consumers = `N / 2`, for `N` = 8, 80, 800 and
//! 2000 (the scenario limit), one channel `jobs` of capacity 16, 200,000
//! messages in all (`200000 / P` per producer). The total load is held
//! constant: producer gaps are exponential with mean `P × 250 µs` (4,000
//! messages per virtual second together), work times exponential with mean
//! `C × 225 µs` (4,444 per second together), so utilisation stays 0.9 as in
//! the reference model (`N = 8` is the reference model, trace ring off).
//! There is no closer goroutine (it would be the 2001st): a run ends when
//! every message is delivered (or dropped) and processed. An untimed run
//! finds that instant, and each timed run goes exactly to it (a seed fixes
//! the run, so it is the same run).
//!
//! Two variants:
//! - **plain**: blocking `jobs <- v`, `for v := range jobs`;
//! - **select**: producers `select { case jobs <- v: default: }`
//!   (`"drop_when_full": true`; a value that finds no room is dropped),
//!   consumers `select { case v := <-jobs: ...; case <-time.After(10ms): }`
//!   (`"timeout": "10ms"`).
//!
//! For each, queuelab's ns per delivered message and the minimal DES's
//! (`baseline/mod.rs`, the same model as a bare heap of events), each one's
//! growth over its `N = 8` figure, and queuelab's throughput as a ratio to
//! the minimal DES. A round times queuelab and the minimal DES in turn at
//! every size; figures are medians over the rounds, and growth and ratio
//! are computed within each round before the median, so load that comes
//! and goes on the machine cancels out. World construction is timed apart
//! (the line for 2000 goroutines).
//! Targets printed with the figures: growth at 2000 at most 2x (plain) and
//! 2.5x (select).
//!
//! Run: `make bench` (or `cargo bench -p queuelab --bench scaling`).
//! `SCALING_RUNS=n` for another number of rounds (default 7).

#[path = "baseline/mod.rs"]
mod baseline;

use queuelab::scenario::Scenario;
use queuelab::time::SimTime;
use queuelab::world::World;
use std::hint::black_box;
use std::time::Instant;

const TOTAL: u64 = 200_000;
const SIZES: [u32; 4] = [8, 80, 800, 2000];
const CAPACITY: usize = 16;
const SEED: u64 = 7;
const GAP_PER_PRODUCER_US: u64 = 250;
const WORK_PER_CONSUMER_US: u64 = 225;
const TIMEOUT_US: u64 = 10_000;
/// Growth at 2000 goroutines over 8 that the engine should stay within.
const TARGET_PLAIN: f64 = 2.0;
const TARGET_SELECT: f64 = 2.5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Plain,
    Select,
}

impl Variant {
    fn is_select(self) -> bool {
        self == Variant::Select
    }
}

fn scenario(n: u32, v: Variant) -> Scenario {
    let (p, c) = (n / 2, n / 2);
    let json = format!(
        r#"{{
  "name": "scaling-{n}",
  "seed": {SEED},
  "trace_capacity": 0,
  "channels": [{{ "name": "jobs", "capacity": {CAPACITY} }}],
  "goroutines": [
    {{ "name": "producer", "count": {p}, "behavior": {{ "producer": {{
      "to": "jobs", "count": {count}, "interval": {{ "exponential": {{ "mean": "{gap}us" }} }}, "drop_when_full": {drop} }} }} }},
    {{ "name": "consumer", "count": {c}, "behavior": {{ "consumer": {{
      "from": "jobs", "work": {{ "exponential": {{ "mean": "{work}us" }} }}{timeout} }} }} }}
  ]
}}"#,
        count = TOTAL / u64::from(p),
        gap = u64::from(p) * GAP_PER_PRODUCER_US,
        work = u64::from(c) * WORK_PER_CONSUMER_US,
        drop = v.is_select(),
        timeout = if v.is_select() { format!(r#", "timeout": "{TIMEOUT_US}us""#) } else { String::new() },
    );
    Scenario::from_json(&json).unwrap_or_else(|e| panic!("scaling scenario N={n}: {e:?}"))
}

fn params(n: u32, v: Variant) -> baseline::Params {
    let (p, c) = (n / 2, n / 2);
    baseline::Params {
        producers: p,
        consumers: c,
        per_producer: TOTAL / u64::from(p),
        interval_mean_us: u64::from(p) * GAP_PER_PRODUCER_US,
        work_mean_us: u64::from(c) * WORK_PER_CONSUMER_US,
        capacity: CAPACITY,
        seed: SEED,
        drop_when_full: v.is_select(),
        timeout_us: v.is_select().then_some(TIMEOUT_US),
    }
}

/// (delivered, dropped) if every message is delivered or dropped and
/// processed (none is live), else `None`.
fn settled(w: &World) -> Option<(u64, u64)> {
    if w.live_messages() != 0 {
        return None;
    }
    let t = w.snapshot().totals;
    (t.delivered + t.dropped == TOTAL).then_some((t.delivered, t.dropped))
}

/// The instant every message is delivered or dropped and processed: found
/// in 10 ms steps, then event by event.
fn end_of(s: &Scenario) -> SimTime {
    const CHUNK: u64 = 10_000;
    const LIMIT: u64 = 3_600_000_000;
    let mut w = World::new(s).expect("builds");
    let mut t = 0;
    while settled(&w).is_none() {
        assert!(t < LIMIT && w.is_running(), "the run must settle within an hour ({:?})", w.status());
        t += CHUNK;
        w.run_until(SimTime::from_micros(t));
    }
    let mut w = World::new(s).expect("builds");
    w.run_until(SimTime::from_micros(t - CHUNK));
    while settled(&w).is_none() {
        w.run_until_bounded(SimTime::from_micros(t), 1);
    }
    w.now()
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// One size of one variant, measured.
#[derive(Debug)]
struct Row {
    n: u32,
    /// Medians over the rounds.
    ql_ns: f64,
    des_ns: f64,
    /// Medians over the rounds of the figure against the round's `N = 8` one.
    ql_growth: f64,
    des_growth: f64,
    /// Median over the rounds of the round's queuelab / DES throughput.
    ratio: f64,
    delivered: u64,
    dropped: u64,
    events: u64,
    end_us: u64,
    des_delivered: u64,
    des_dropped: u64,
    des_end_us: u64,
    des_events: u64,
}

/// Every size of a variant, in `runs` rounds: each round times queuelab
/// and the minimal DES once at every size, so load that comes and goes on
/// the machine falls on every size and both simulators alike.
fn measure(v: Variant, runs: usize) -> Vec<Row> {
    struct Setup {
        n: u32,
        s: Scenario,
        p: baseline::Params,
        end: SimTime,
    }
    let setups: Vec<Setup> = SIZES
        .iter()
        .map(|&n| {
            let s = scenario(n, v);
            let end = end_of(&s);
            Setup { n, s, p: params(n, v), end }
        })
        .collect();
    let k = setups.len();
    // [round][size] ns per delivered message.
    let mut ql = vec![vec![0.0; k]; runs];
    let mut des = vec![vec![0.0; k]; runs];
    let mut outs = vec![(0, 0, 0); k];
    let mut bases = vec![baseline::Outcome::default(); k];
    for r in 0..runs {
        for (i, su) in setups.iter().enumerate() {
            let mut w = World::new(&su.s).expect("builds");
            let t0 = Instant::now();
            w.run_until(su.end);
            let secs = t0.elapsed().as_secs_f64();
            let (delivered, dropped) = settled(&w).expect("the timed run settles where the untimed one did");
            outs[i] = (delivered, dropped, w.steps());
            ql[r][i] = secs * 1e9 / delivered as f64;
            drop(w);

            let t0 = Instant::now();
            let base = black_box(baseline::run(black_box(&su.p)));
            let secs = t0.elapsed().as_secs_f64();
            assert_eq!(base.delivered + base.dropped, TOTAL, "the minimal DES delivers or drops every message");
            des[r][i] = secs * 1e9 / base.delivered as f64;
            bases[i] = base;
        }
    }
    let over_rounds = |f: &dyn Fn(usize) -> f64| median((0..runs).map(f).collect());
    setups
        .iter()
        .enumerate()
        .map(|(i, su)| {
            let (delivered, dropped, events) = outs[i];
            let base = &bases[i];
            Row {
                n: su.n,
                ql_ns: over_rounds(&|r| ql[r][i]),
                des_ns: over_rounds(&|r| des[r][i]),
                ql_growth: over_rounds(&|r| ql[r][i] / ql[r][0]),
                des_growth: over_rounds(&|r| des[r][i] / des[r][0]),
                ratio: over_rounds(&|r| des[r][i] / ql[r][i]),
                delivered,
                dropped,
                events,
                end_us: su.end.as_micros(),
                des_delivered: base.delivered,
                des_dropped: base.dropped,
                des_end_us: base.end_us,
                des_events: base.events,
            }
        })
        .collect()
}

fn table(v: Variant, runs: usize) {
    let (title, target) = match v {
        Variant::Plain => ("plain: jobs <- v (blocks when full); for v := range jobs", TARGET_PLAIN),
        Variant::Select => (
            "select: select { case jobs <- v: default: } (drops when full); select { case v := <-jobs: case <-time.After(10ms): }",
            TARGET_SELECT,
        ),
    };
    println!();
    println!("{title}");
    println!("  (pairs: queuelab / minimal DES; events: kernel events / heap events, per delivered message)");
    println!(
        "  {:>5}  {:>15} {:>7}  {:>18} {:>7}  {:>14}  {:>13}  {:>15}  {:>11}  {:>15}",
        "N", "queuelab ns/msg", "growth", "minimal DES ns/msg", "growth", "queuelab / DES", "events/msg", "delivered", "dropped", "virtual end (s)"
    );
    let rows = measure(v, runs);
    for r in &rows {
        println!(
            "  {:>5}  {:>15.1} {:>6.2}x  {:>18.1} {:>6.2}x  {:>13.2}x  {:>13}  {:>15}  {:>11}  {:>15}",
            r.n,
            r.ql_ns,
            r.ql_growth,
            r.des_ns,
            r.des_growth,
            r.ratio,
            format!("{:.2} / {:.2}", r.events as f64 / r.delivered as f64, r.des_events as f64 / r.des_delivered as f64),
            format!("{} / {}", r.delivered, r.des_delivered),
            format!("{} / {}", r.dropped, r.des_dropped),
            format!("{:.2} / {:.2}", r.end_us as f64 / 1e6, r.des_end_us as f64 / 1e6),
        );
    }
    let last = rows.last().expect("sizes");
    println!(
        "  growth at {}: queuelab {:.2}x (target at most {target}x: {}), minimal DES {:.2}x",
        last.n,
        last.ql_growth,
        if last.ql_growth <= target { "met" } else { "NOT met" },
        last.des_growth,
    );
    let first = &rows[0];
    let per_event = |r: &Row| (r.ql_ns * r.delivered as f64 / r.events as f64, r.des_ns * r.des_delivered as f64 / r.des_events as f64);
    let ((q0, d0), (q1, d1)) = (per_event(first), per_event(last));
    println!(
        "  per event (the model's events per message grow too): queuelab {q0:.1} -> {q1:.1} ns per kernel event ({:.2}x), minimal DES {d0:.1} -> {d1:.1} ns per heap event ({:.2}x)",
        q1 / q0,
        d1 / d0,
    );
}

/// World construction (`World::new`) for the largest size, median of `runs`.
fn construction(runs: usize) {
    let n = SIZES[SIZES.len() - 1];
    let mut line = format!("world construction, {n} goroutines (World::new, median of {runs}):");
    for v in [Variant::Plain, Variant::Select] {
        let s = scenario(n, v);
        let mut secs = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t0 = Instant::now();
            let w = black_box(World::new(black_box(&s)).expect("builds"));
            secs.push(t0.elapsed().as_secs_f64());
            drop(w);
        }
        line += &format!(" {} {:.3} ms", if v.is_select() { "select" } else { "plain" }, median(secs) * 1e3);
    }
    println!("{line}");
}

fn main() {
    // `cargo bench` passes `--bench` (and any filter): nothing to parse.
    let runs = std::env::var("SCALING_RUNS").ok().and_then(|s| s.parse().ok()).filter(|&n: &usize| n > 0).unwrap_or(7);
    println!(
        "scaling: P = C = N/2 -> jobs({CAPACITY}), {TOTAL} messages in all, utilisation 0.9 (producer gap exp(P x {GAP_PER_PRODUCER_US}us), work exp(C x {WORK_PER_CONSUMER_US}us)), trace ring off, seed {SEED}; ns per delivered message, median of {runs} rounds (each round runs every size once); growth = over N = {} in the same round",
        SIZES[0]
    );
    table(Variant::Plain, runs);
    table(Variant::Select, runs);
    println!();
    construction(runs);
}
