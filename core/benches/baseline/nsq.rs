//! The minimal NSQ DES: the simplest honest discrete-event simulation of
//! the NSQ reference model (`benches/nsq.rs`), the yardstick that bench
//! prints queuelab's speed against. Bench code only (included with
//! `#[path]`).
//!
//! What it keeps of the model, event for event:
//! - `P` producers; each sleeps an exponential gap, then publishes: the PUB
//!   frame crosses its link to nsqd, nsqd answers OK, the OK crosses back,
//!   and only then does the producer sleep again (`Publish` blocks).
//! - nsqd copies each message to every channel's queue (FIFO, memory only)
//!   and pushes a channel's oldest message to one of its clients whose in
//!   flight count is below its RDY (`max_in_flight`), taking the clients in
//!   turn.
//! - A client's message frame crosses its link; the client hands it to an
//!   idle handler of its `handlers`, or keeps it until one is free; a
//!   handler works an exponential time, then the FIN crosses the link and
//!   nsqd frees the in-flight slot and pushes again.
//! - A link delivers in order: a frame arrives at `now + latency`, never
//!   before the frame sent before it on the same link.
//!
//! What it leaves out (and queuelab does not): goroutines and their
//! programs, the message timeout (the reference's handlers never reach it),
//! heartbeats, the guarantees book, statistics, tracing, names. Events in a
//! `BinaryHeap` by (time, sequence); exponential samples from the engine's
//! RNG rounded to whole µs as the engine rounds them (see `mod.rs`).
//! Finished copies are counted when the handler returns (the engine's
//! `processed`, what the bench counts).

use super::{exp_us, Events};
use queuelab::rng::SimRng;
use std::collections::VecDeque;

/// What to simulate.
#[derive(Clone, Copy, Debug)]
pub struct NsqParams {
    pub producers: u32,
    pub per_producer: u64,
    pub channels: u32,
    pub consumers_per_channel: u32,
    pub max_in_flight: u32,
    pub handlers: u32,
    pub interval_mean_us: u64,
    pub work_mean_us: u64,
    pub latency_mean_us: u64,
    pub seed: u64,
}

impl NsqParams {
    /// `benches/nsq.rs`'s model.
    pub const REFERENCE: NsqParams = NsqParams {
        producers: 4,
        per_producer: 50_000,
        channels: 2,
        consumers_per_channel: 4,
        max_in_flight: 8,
        handlers: 2,
        interval_mean_us: 1_000,
        work_mean_us: 1_800,
        latency_mean_us: 100,
        seed: 7,
    };
}

/// How a run went.
#[derive(Clone, Copy, Debug, Default)]
pub struct NsqOutcome {
    /// Copies whose handler returned.
    pub finished: u64,
    /// Virtual time of the last finish (µs).
    pub end_us: u64,
    pub events: u64,
    /// Sum of the finished message ids (so nothing is optimised away).
    pub checksum: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    /// Producer `p`'s gap is over: it sends a PUB.
    Gap(u32),
    /// Producer `p`'s PUB reaches nsqd.
    Pub(u32),
    /// nsqd's OK reaches producer `p`.
    Ok(u32),
    /// Message `id` reaches client `c`.
    Msg(u32, u64),
    /// Client `c`'s handler `h` returns.
    Done(u32, u32),
    /// Client `c`'s FIN reaches nsqd.
    Fin(u32),
}


struct Client {
    channel: u32,
    in_flight: u32,
    /// Messages arrived and not yet taken by a handler.
    inbox: VecDeque<u64>,
    /// The message each handler works on (`None`: idle).
    working: Vec<Option<u64>>,
    /// Arrival floor of each direction of its link (to it, to nsqd).
    down_at: u64,
    up_at: u64,
}

struct Sim {
    p: NsqParams,
    rng: SimRng,
    events: Events<Ev>,
    /// Per channel: its queue and the next client to try.
    queues: Vec<VecDeque<u64>>,
    next_client: Vec<u32>,
    clients: Vec<Client>,
    /// Per producer: values made, arrival floors of its link.
    made: Vec<u64>,
    prod_up_at: Vec<u64>,
    prod_down_at: Vec<u64>,
    next_id: u64,
    out: NsqOutcome,
}

impl Sim {
    #[inline(always)]
    fn schedule(&mut self, at: u64, ev: Ev) {
        self.events.schedule(at, ev);
    }

    /// A frame sent now on a link whose last frame arrives at `*floor`.
    #[inline(always)]
    fn frame_at(rng: &mut SimRng, mean: u64, floor: &mut u64, now: u64) -> u64 {
        let at = (now + exp_us(rng, mean)).max(*floor);
        *floor = at;
        at
    }

    fn gap(&mut self, p: u32, now: u64) {
        let d = exp_us(&mut self.rng, self.p.interval_mean_us);
        self.schedule(now + d, Ev::Gap(p));
    }

    /// Pushes channel `ch`'s queue to its clients while one has room.
    fn pump(&mut self, ch: u32, now: u64) {
        let per = self.p.consumers_per_channel;
        let first = ch * per;
        while !self.queues[ch as usize].is_empty() {
            let mut chosen = None;
            for k in 0..per {
                let c = first + (self.next_client[ch as usize] + k) % per;
                if self.clients[c as usize].in_flight < self.p.max_in_flight {
                    chosen = Some(c);
                    self.next_client[ch as usize] = (c - first + 1) % per;
                    break;
                }
            }
            let Some(c) = chosen else { return };
            let id = self.queues[ch as usize].pop_front().expect("not empty");
            let cl = &mut self.clients[c as usize];
            cl.in_flight += 1;
            let at = Self::frame_at(&mut self.rng, self.p.latency_mean_us, &mut cl.down_at, now);
            self.schedule(at, Ev::Msg(c, id));
        }
    }

    fn start(&mut self, c: u32, h: u32, id: u64, now: u64) {
        self.clients[c as usize].working[h as usize] = Some(id);
        let d = exp_us(&mut self.rng, self.p.work_mean_us);
        self.schedule(now + d, Ev::Done(c, h));
    }

    fn step(&mut self, now: u64, ev: Ev) {
        match ev {
            Ev::Gap(p) => {
                let at = Self::frame_at(&mut self.rng, self.p.latency_mean_us, &mut self.prod_up_at[p as usize], now);
                self.schedule(at, Ev::Pub(p));
            }
            Ev::Pub(p) => {
                let id = self.next_id;
                self.next_id += 1;
                for ch in 0..self.p.channels {
                    self.queues[ch as usize].push_back(id);
                    self.pump(ch, now);
                }
                let at = Self::frame_at(&mut self.rng, self.p.latency_mean_us, &mut self.prod_down_at[p as usize], now);
                self.schedule(at, Ev::Ok(p));
            }
            Ev::Ok(p) => {
                self.made[p as usize] += 1;
                if self.made[p as usize] < self.p.per_producer {
                    self.gap(p, now);
                }
            }
            Ev::Msg(c, id) => {
                let idle = self.clients[c as usize].working.iter().position(Option::is_none);
                match idle {
                    Some(h) => self.start(c, h as u32, id, now),
                    None => self.clients[c as usize].inbox.push_back(id),
                }
            }
            Ev::Done(c, h) => {
                let cl = &mut self.clients[c as usize];
                let id = cl.working[h as usize].take().expect("a handler at work");
                self.out.finished += 1;
                self.out.checksum = self.out.checksum.wrapping_add(id);
                self.out.end_us = now;
                let at = Self::frame_at(&mut self.rng, self.p.latency_mean_us, &mut cl.up_at, now);
                self.schedule(at, Ev::Fin(c));
                if let Some(next) = self.clients[c as usize].inbox.pop_front() {
                    self.start(c, h, next, now);
                }
            }
            Ev::Fin(c) => {
                let cl = &mut self.clients[c as usize];
                cl.in_flight -= 1;
                let ch = cl.channel;
                self.pump(ch, now);
            }
        }
    }
}

/// Runs the model to the end.
pub fn run_nsq(p: NsqParams) -> NsqOutcome {
    let clients = (0..p.channels * p.consumers_per_channel)
        .map(|c| Client {
            channel: c / p.consumers_per_channel,
            in_flight: 0,
            inbox: VecDeque::new(),
            working: vec![None; p.handlers as usize],
            down_at: 0,
            up_at: 0,
        })
        .collect();
    let mut s = Sim {
        p,
        rng: SimRng::new(p.seed),
        events: Events::with_capacity(64),
        queues: vec![VecDeque::new(); p.channels as usize],
        next_client: vec![0; p.channels as usize],
        clients,
        made: vec![0; p.producers as usize],
        prod_up_at: vec![0; p.producers as usize],
        prod_down_at: vec![0; p.producers as usize],
        next_id: 0,
        out: NsqOutcome::default(),
    };
    for q in 0..p.producers {
        s.gap(q, 0);
    }
    while let Some((at, ev)) = s.events.pop() {
        s.out.events += 1;
        s.step(at, ev);
    }
    s.out
}
