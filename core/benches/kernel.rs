//! The event queue alone (`kernel::EventQueue`), on the classic "hold" model:
//! `N` events pending; each operation pops the next one and schedules one at
//! `now + delay` (a pseudo-random delay from an inline xorshift), so the
//! queue stays at `N` pending events.
//!
//! Variants (each for N = 10, 100, 10,000):
//! - `hold`: uniform delays in `1..=2000` us (few ties).
//! - `hold_cancel`: as `hold`, but 20% of the schedules are cancelled later
//!   (a cancelled event is replaced by a fresh one, so `N` stays live).
//! - `hold_now`: a third of the delays are zero (events at exactly `now`,
//!   as when the engine wakes a goroutine at the current instant).
//!
//! Criterion reports throughput in hold operations per second (one op = one
//! pop + one schedule, plus the cancels of `hold_cancel`); plain timed runs
//! printed after criterion give the same in M ops/s.
//!
//! Run: `cargo bench -p queuelab --bench kernel`.
//!
//! For instruction counts (valgrind), set `KERNEL_BENCH_OPS=<variant>:<n>:<ops>`
//! (e.g. `hold:10:1000000`): the binary then only builds the queue and runs
//! `ops` operations, with `pop`, `schedule` and `cancel` behind
//! `#[inline(never)]` wrappers (`op_pop`, `op_schedule`, `op_cancel`) so a
//! profile attributes instructions per call. Subtract a run with `ops = 0`
//! for the setup. E.g. `KERNEL_BENCH_OPS=hold:10:300000 valgrind
//! --tool=callgrind <bench binary>`, then `callgrind_annotate --inclusive=yes`.
//!
//! Instructions per call (callgrind, `hold`), before -> after the run + heap
//! queue: N = 10: pop 175 -> 33, schedule 84 -> 100; N = 100: pop 261 -> 235,
//! schedule 83 -> 96; N = 10,000: pop 433 -> 382, schedule 76 -> 90.

use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};
use queuelab::kernel::{EventQueue, TimerId};
use queuelab::time::SimTime;
use std::hint::black_box;
use std::time::{Duration, Instant};

const SIZES: [usize; 3] = [10, 100, 10_000];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Hold,
    HoldCancel,
    HoldNow,
}

const VARIANTS: [Variant; 3] = [Variant::Hold, Variant::HoldCancel, Variant::HoldNow];

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Hold => "hold",
            Variant::HoldCancel => "hold_cancel",
            Variant::HoldNow => "hold_now",
        }
    }
    fn parse(s: &str) -> Option<Variant> {
        VARIANTS.into_iter().find(|v| v.name() == s)
    }
}

/// A small `Copy` payload, like the engine's `Ev`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    Run(u32),
    Wake(u32),
}

/// xorshift64: deterministic, inline, no dependency.
#[derive(Debug)]
struct Rng(u64);

impl Rng {
    #[inline(always)]
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}


#[derive(Debug)]
struct Hold {
    q: EventQueue<Ev>,
    rng: Rng,
    variant: Variant,
    /// Ids waiting to be cancelled (`hold_cancel`): a ring of `max(1, N/10)`
    /// ids, so an id is cancelled about `N/2` ops after its schedule (an
    /// event lives about `N` ops): most cancels hit a pending event.
    to_cancel: Vec<Option<TimerId>>,
    ring: usize,
}

#[inline(never)]
fn op_pop(q: &mut EventQueue<Ev>) -> Option<(SimTime, Ev)> {
    q.pop()
}

#[inline(never)]
fn op_schedule(q: &mut EventQueue<Ev>, at: SimTime, ev: Ev) -> TimerId {
    q.schedule(at, ev)
}

#[inline(never)]
fn op_cancel(q: &mut EventQueue<Ev>, id: TimerId) -> bool {
    q.cancel(id)
}

impl Hold {
    fn new(variant: Variant, n: usize) -> Hold {
        let mut h = Hold {
            q: EventQueue::with_capacity(n + 16),
            rng: Rng(0x2545_f491_4f6c_dd1d),
            variant,
            to_cancel: vec![None; (n / 10).max(1)],
            ring: 0,
        };
        for i in 0..n {
            let at = SimTime::from_micros(h.delay());
            h.q.schedule(at, Ev::Run(i as u32));
        }
        // Warm up: reach the steady state (and the working size).
        for _ in 0..4 * n + 1000 {
            h.step();
        }
        h
    }

    #[inline(always)]
    fn delay(&mut self) -> u64 {
        let r = self.rng.next();
        if self.variant == Variant::HoldNow && r % 3 == 0 {
            0
        } else {
            1 + (r >> 32) % 2000
        }
    }

    /// One hold operation.
    #[inline(always)]
    fn step(&mut self) {
        let (now, ev) = op_pop(&mut self.q).expect("the hold model keeps events pending");
        let at = SimTime::from_micros(now.as_micros() + self.delay());
        let next = match ev {
            Ev::Run(i) => Ev::Wake(i),
            Ev::Wake(i) => Ev::Run(i),
        };
        let id = op_schedule(&mut self.q, at, next);
        if self.variant == Variant::HoldCancel && self.rng.next() % 5 == 0 {
            let old = self.to_cancel[self.ring].replace(id);
            self.ring = (self.ring + 1) % self.to_cancel.len();
            if let Some(old) = old {
                if op_cancel(&mut self.q, old) {
                    // Keep N live: replace the withdrawn event.
                    let at = SimTime::from_micros(now.as_micros() + self.delay());
                    op_schedule(&mut self.q, at, next);
                }
            }
        }
    }
}

fn bench(c: &mut Criterion) {
    for variant in VARIANTS {
        let mut g = c.benchmark_group(variant.name());
        g.warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
        g.throughput(Throughput::Elements(1));
        for n in SIZES {
            let mut h = Hold::new(variant, n);
            g.bench_function(BenchmarkId::from_parameter(n), |b| {
                b.iter(|| h.step());
            });
            black_box(h.q.len());
        }
        g.finish();
    }
}

/// Plain timed runs: best of a few, in M ops/s.
fn figures() {
    const OPS: u64 = 2_000_000;
    const RUNS: usize = 5;
    println!();
    println!("kernel hold model: M ops/s (one op = pop + schedule), best of {RUNS} runs of {OPS} ops");
    for variant in VARIANTS {
        let mut line = format!("  {:12}", variant.name());
        for n in SIZES {
            let mut h = Hold::new(variant, n);
            let mut best = f64::INFINITY;
            for _ in 0..RUNS {
                let t0 = Instant::now();
                for _ in 0..OPS {
                    h.step();
                }
                best = best.min(t0.elapsed().as_secs_f64());
            }
            black_box(h.q.len());
            line += &format!("  N={n:<6} {:>6.1}", OPS as f64 / best / 1e6);
        }
        println!("{line}");
    }
}

/// `KERNEL_BENCH_OPS=<variant>:<n>:<ops>`: a fixed run for valgrind.
fn counted(spec: &str) {
    let mut parts = spec.split(':');
    let (Some(v), Some(n), Some(ops)) = (parts.next(), parts.next(), parts.next()) else {
        panic!("KERNEL_BENCH_OPS=<variant>:<n>:<ops>, got {spec:?}");
    };
    let variant = Variant::parse(v).unwrap_or_else(|| panic!("unknown variant {v:?}"));
    let n: usize = n.parse().expect("n");
    let ops: u64 = ops.parse().expect("ops");
    let mut h = Hold::new(variant, n);
    for _ in 0..ops {
        h.step();
    }
    println!("{} N={n}: {ops} ops, {} pending, now {:?}", variant.name(), h.q.len(), h.q.now());
}

criterion_group!(benches, bench);

fn main() {
    if let Ok(spec) = std::env::var("KERNEL_BENCH_OPS") {
        counted(&spec);
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
    figures();
}
