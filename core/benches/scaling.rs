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
//! (`baseline/mod.rs`, the same model as a bare heap of events, timed in
//! turn with queuelab), each one's growth over its `N = 8` figure, and
//! queuelab's throughput as a ratio to the minimal DES. Medians of `RUNS`
//! runs; world construction is timed apart (the line for 2000 goroutines).
//! Targets printed with the figures: growth at 2000 at most 2x (plain) and
//! 2.5x (select).
//!
//! Run: `make bench` (or `cargo bench -p queuelab --bench scaling`).
//! `SCALING_RUNS=n` for another number of runs (default 5).

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
    ql_ns: f64,
    des_ns: f64,
    delivered: u64,
    dropped: u64,
    events: u64,
    end_us: u64,
    des_delivered: u64,
    des_dropped: u64,
    des_end_us: u64,
    des_events: u64,
}

fn measure(n: u32, v: Variant, runs: usize) -> Row {
    let s = scenario(n, v);
    let p = params(n, v);
    let end = end_of(&s);
    let mut ql = Vec::with_capacity(runs);
    let mut des = Vec::with_capacity(runs);
    let mut out = (0, 0, 0);
    let mut base = baseline::Outcome::default();
    for _ in 0..runs {
        let mut w = World::new(&s).expect("builds");
        let t0 = Instant::now();
        w.run_until(end);
        let secs = t0.elapsed().as_secs_f64();
        let (delivered, dropped) = settled(&w).expect("the timed run settles where the untimed one did");
        out = (delivered, dropped, w.steps());
        ql.push(secs * 1e9 / delivered as f64);

        let t0 = Instant::now();
        base = black_box(baseline::run(black_box(&p)));
        let secs = t0.elapsed().as_secs_f64();
        assert_eq!(base.delivered + base.dropped, TOTAL, "the minimal DES delivers or drops every message");
        des.push(secs * 1e9 / base.delivered as f64);
    }
    let (delivered, dropped, events) = out;
    Row {
        n,
        ql_ns: median(ql),
        des_ns: median(des),
        delivered,
        dropped,
        events,
        end_us: end.as_micros(),
        des_delivered: base.delivered,
        des_dropped: base.dropped,
        des_end_us: base.end_us,
        des_events: base.events,
    }
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
    let mut first: Option<Row> = None;
    let mut last = None;
    for n in SIZES {
        let r = measure(n, v, runs);
        let (g_ql, g_des) = match &first {
            Some(f) => (r.ql_ns / f.ql_ns, r.des_ns / f.des_ns),
            None => (1.0, 1.0),
        };
        println!(
            "  {:>5}  {:>15.1} {:>6.2}x  {:>18.1} {:>6.2}x  {:>13.2}x  {:>13}  {:>15}  {:>11}  {:>15}",
            r.n,
            r.ql_ns,
            g_ql,
            r.des_ns,
            g_des,
            r.des_ns / r.ql_ns,
            format!("{:.2} / {:.2}", r.events as f64 / r.delivered as f64, r.des_events as f64 / r.des_delivered as f64),
            format!("{} / {}", r.delivered, r.des_delivered),
            format!("{} / {}", r.dropped, r.des_dropped),
            format!("{:.2} / {:.2}", r.end_us as f64 / 1e6, r.des_end_us as f64 / 1e6),
        );
        last = Some((g_ql, g_des));
        if first.is_none() {
            first = Some(r);
        }
    }
    let (g_ql, g_des) = last.expect("sizes");
    println!(
        "  growth at {}: queuelab {g_ql:.2}x (target at most {target}x: {}), minimal DES {g_des:.2}x",
        SIZES[SIZES.len() - 1],
        if g_ql <= target { "met" } else { "NOT met" },
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
    let runs = std::env::var("SCALING_RUNS").ok().and_then(|s| s.parse().ok()).filter(|&n: &usize| n > 0).unwrap_or(5);
    println!(
        "scaling: P = C = N/2 -> jobs({CAPACITY}), {TOTAL} messages in all, utilisation 0.9 (producer gap exp(P x {GAP_PER_PRODUCER_US}us), work exp(C x {WORK_PER_CONSUMER_US}us)), trace ring off, seed {SEED}; ns per delivered message, median of {runs} runs; growth = over N = {}",
        SIZES[0]
    );
    table(Variant::Plain, runs);
    table(Variant::Select, runs);
    println!();
    construction(runs);
}
