//! The minimal DES: the simplest honest discrete-event simulation of the
//! reference model, the yardstick `reference.rs` and `scaling.rs` print
//! queuelab's speed against. Bench code only (included with `#[path]`).
//!
//! `P` producers each send `per_producer` values with exponential gaps; `C`
//! consumers work an exponential time on each value; one channel of
//! capacity `capacity` with Go's blocking semantics:
//! - a send to a parked consumer hands the value over directly (the oldest
//!   parked consumer first);
//! - otherwise a send puts the value in the buffer if there is room;
//! - otherwise the producer parks (FIFO) with its value, or, with
//!   `drop_when_full` (`select { case jobs <- v: default: }`), drops it and
//!   goes on;
//! - a receive takes the oldest buffered value, and then the first parked
//!   producer's value moves into the buffer and that producer goes on;
//!   without a buffer it takes straight from the first parked producer;
//! - a receive on an empty channel parks the consumer (FIFO); with a
//!   `timeout` (`select` on `<-jobs` and `time.After(timeout)`) the
//!   consumer also sets a timer, and when it fires leaves the queue and
//!   selects again (so it queues at the back);
//! - when the last producer is done the channel is closed: parked consumers
//!   leave, the others leave once the buffer is drained.
//!
//! Events in a `std::collections::BinaryHeap` ordered by (time, sequence);
//! integer microseconds; exponential samples from the engine's own RNG
//! (`queuelab::rng::SimRng`, so always the same generator and ziggurat
//! `Exp1` as the engine, whichever that is) rounded to whole microseconds as
//! the engine rounds them. No tracing, no statistics, no goroutines or
//! programs: a timer that is no longer wanted (its consumer was served
//! first) stays in the heap and is skipped when it comes up, and a parked
//! consumer that left on a timeout leaves a stale queue entry that is
//! skipped the same way (generation numbers).

// Each bench uses a part of this module.
#![allow(dead_code)]

pub mod nsq;

use queuelab::rng::SimRng;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

/// What to simulate.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub producers: u32,
    pub consumers: u32,
    pub per_producer: u64,
    /// Mean gap before each send (µs).
    pub interval_mean_us: u64,
    /// Mean work per value (µs).
    pub work_mean_us: u64,
    pub capacity: usize,
    pub seed: u64,
    /// Non-blocking send: a value that finds no room is dropped.
    pub drop_when_full: bool,
    /// A `time.After(timeout)` case in each receive (µs).
    pub timeout_us: Option<u64>,
}

impl Params {
    /// `benches/reference.json`: 4 x 50,000 at 1 ms -> jobs(16) -> 4 at 900 µs, seed 7.
    pub const REFERENCE: Params = Params {
        producers: 4,
        consumers: 4,
        per_producer: 50_000,
        interval_mean_us: 1_000,
        work_mean_us: 900,
        capacity: 16,
        seed: 7,
        drop_when_full: false,
        timeout_us: None,
    };
}

/// How a run went.
#[derive(Clone, Copy, Debug, Default)]
pub struct Outcome {
    pub delivered: u64,
    pub dropped: u64,
    /// Virtual time of the last delivery (µs).
    pub last_delivery_us: u64,
    /// Virtual time of the last event that did something: the last
    /// consumer finished and left (µs).
    pub end_us: u64,
    /// Events popped from the heap (skipped stale timers included).
    pub events: u64,
    /// Sum of the delivered values (so nothing is optimised away).
    pub checksum: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    /// Producer's gap is over: it sends.
    Send(u32),
    /// Consumer's work is over: it receives again.
    Done(u32),
    /// A parked consumer's `time.After` (valid if the generation matches).
    Timeout(u32, u32),
}

/// A heap entry of event type `E` (this model's or `nsq.rs`'s);
/// `BinaryHeap` is a max-heap, so the order is reversed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry<E> {
    at: u64,
    seq: u64,
    ev: E,
}

impl<E: Eq> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

impl<E: Eq> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The event list: a heap of entries by (time, sequence), the sequence
/// breaking ties in scheduling order.
struct Events<E> {
    heap: BinaryHeap<Entry<E>>,
    seq: u64,
}

impl<E: Eq> Events<E> {
    fn with_capacity(n: usize) -> Self {
        Events { heap: BinaryHeap::with_capacity(n), seq: 0 }
    }

    #[inline(always)]
    fn schedule(&mut self, at: u64, ev: E) {
        self.seq += 1;
        self.heap.push(Entry { at, seq: self.seq, ev });
    }

    /// The earliest event and its time.
    #[inline(always)]
    fn pop(&mut self) -> Option<(u64, E)> {
        self.heap.pop().map(|e| (e.at, e.ev))
    }
}

struct Sim {
    p: Params,
    rng: SimRng,
    events: Events<Ev>,
    buf: VecDeque<u64>,
    /// Parked producers with the value they offer.
    sendq: VecDeque<(u32, u64)>,
    /// Parked consumers with the generation they parked with.
    recvq: VecDeque<(u32, u32)>,
    parked: Vec<bool>,
    generation: Vec<u32>,
    /// Values each producer has made so far.
    made: Vec<u64>,
    producers_left: u32,
    closed: bool,
    out: Outcome,
}

/// An exponential sample in whole µs, rounded as the engine rounds.
#[inline(always)]
fn exp_us(rng: &mut SimRng, mean_us: u64) -> u64 {
    let x = mean_us as f64 * rng.exp1();
    let x = if x > 0.0 { x.min((1u64 << 53) as f64) } else { 0.0 };
    (x + 0.5) as i64 as u64
}

impl Sim {
    #[inline(always)]
    fn schedule(&mut self, at: u64, ev: Ev) {
        self.events.schedule(at, ev);
    }

    /// Producer `p` made a value; it sleeps before the next or is done.
    #[inline(always)]
    fn producer_on(&mut self, p: u32, now: u64) {
        let made = &mut self.made[p as usize];
        *made += 1;
        if *made < self.p.per_producer {
            let d = exp_us(&mut self.rng, self.p.interval_mean_us);
            self.schedule(now + d, Ev::Send(p));
        } else {
            self.producers_left -= 1;
            if self.producers_left == 0 {
                self.close();
            }
        }
    }

    fn close(&mut self) {
        self.closed = true;
        // Parked consumers exist only with an empty buffer: they all leave.
        for (c, g) in self.recvq.drain(..) {
            if self.parked[c as usize] && self.generation[c as usize] == g {
                self.parked[c as usize] = false;
                self.generation[c as usize] += 1;
            }
        }
    }

    #[inline(always)]
    fn start_work(&mut self, c: u32, v: u64, now: u64) {
        self.out.delivered += 1;
        self.out.checksum = self.out.checksum.wrapping_add(v);
        self.out.last_delivery_us = now;
        let d = exp_us(&mut self.rng, self.p.work_mean_us);
        self.schedule(now + d, Ev::Done(c));
    }

    fn send(&mut self, p: u32, now: u64) {
        let v = (u64::from(p) << 32) | self.made[p as usize];
        while let Some((c, g)) = self.recvq.pop_front() {
            let ci = c as usize;
            if self.parked[ci] && self.generation[ci] == g {
                self.parked[ci] = false;
                self.generation[ci] += 1; // its timer, if any, is now stale
                self.start_work(c, v, now);
                self.producer_on(p, now);
                return;
            }
        }
        if self.buf.len() < self.p.capacity {
            self.buf.push_back(v);
            self.producer_on(p, now);
        } else if self.p.drop_when_full {
            self.out.dropped += 1;
            self.producer_on(p, now);
        } else {
            self.sendq.push_back((p, v));
        }
    }

    fn receive(&mut self, c: u32, now: u64) {
        if let Some(v) = self.buf.pop_front() {
            if let Some((p, pv)) = self.sendq.pop_front() {
                self.buf.push_back(pv);
                self.start_work(c, v, now);
                self.producer_on(p, now);
            } else {
                self.start_work(c, v, now);
            }
        } else if let Some((p, pv)) = self.sendq.pop_front() {
            self.start_work(c, pv, now);
            self.producer_on(p, now);
        } else if !self.closed {
            let ci = c as usize;
            self.parked[ci] = true;
            self.generation[ci] += 1;
            let g = self.generation[ci];
            self.recvq.push_back((c, g));
            if let Some(t) = self.p.timeout_us {
                self.schedule(now + t, Ev::Timeout(c, g));
            }
        }
        // else: closed and drained, the consumer leaves.
    }
}

/// Runs the model to its end.
pub fn run(p: &Params) -> Outcome {
    let (np, nc) = (p.producers as usize, p.consumers as usize);
    let mut s = Sim {
        p: *p,
        rng: SimRng::new(p.seed),
        events: Events::with_capacity(2 * (np + nc) + 16),
        buf: VecDeque::with_capacity(p.capacity),
        sendq: VecDeque::with_capacity(np),
        recvq: VecDeque::with_capacity(2 * nc),
        parked: vec![false; nc],
        generation: vec![0; nc],
        made: vec![0; np],
        producers_left: p.producers,
        closed: p.producers == 0 || p.per_producer == 0,
        out: Outcome::default(),
    };
    // Time 0: producers start sleeping, consumers park (as the engine
    // starts them: producers first, in order).
    if !s.closed {
        for i in 0..p.producers {
            let d = exp_us(&mut s.rng, p.interval_mean_us);
            s.schedule(d, Ev::Send(i));
        }
    }
    for c in 0..p.consumers {
        s.receive(c, 0);
    }
    while let Some((at, ev)) = s.events.pop() {
        s.out.events += 1;
        match ev {
            Ev::Send(i) => s.send(i, at),
            Ev::Done(c) => s.receive(c, at),
            Ev::Timeout(c, g) => {
                let ci = c as usize;
                if !(s.parked[ci] && s.generation[ci] == g) {
                    continue; // served (or gone) before the timer fired
                }
                s.parked[ci] = false; // its queue entry is now stale
                s.receive(c, at);
            }
        }
        s.out.end_us = at;
    }
    s.out
}
