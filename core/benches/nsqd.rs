//! The nsqd server model alone, before it is wired into the world: how many
//! channel copies per wall second can the state machines (topic fan-out,
//! memory queue, in flight, FIN) carry? This is a ceiling for the NSQ
//! reference model the engine issue asks for (3 million FINs per second
//! natively, with links, go-nsq and goroutines around it), so it says early
//! whether the data structures leave room for the rest.
//!
//! Workload (the NSQ reference shape, without the network and the
//! client): one nsqd, topic `events` with 2 channels, 4 clients per
//! channel, each with RDY 8; 200,000 messages published one at a time,
//! virtual time advancing 250 µs per publish; after each publish every
//! channel pushes to its ready clients (round robin) and each client
//! finishes its oldest in-flight message once it holds 8 (FIFO), so the
//! in-flight window stays full; the rest is finished at the end. Prints
//! FINs per second (2 per message) and ns per FIN, median of 9 runs.
//!
//! Run: `make bench` (or `cargo bench -p queuelab --bench nsqd`).

use queuelab::nsq::message::Body;
use queuelab::nsq::nsqd::{Nsqd, NsqdOptions};
use queuelab::rng::SimRng;
use queuelab::time::{SimDuration, SimTime};
use std::collections::VecDeque;
use std::hint::black_box;
use std::time::Instant;

const MESSAGES: u64 = 200_000;
const CHANNELS: [&str; 2] = ["archive", "metrics"];
const CLIENTS_PER_CHANNEL: u64 = 4;
const RDY: i64 = 8;

/// One run; returns the number of FINs.
fn run() -> u64 {
    let mut rng = SimRng::new(7);
    let mut node = Nsqd::new(NsqdOptions::default());
    let mut now = SimTime::ZERO;
    // Client ids: channel c, client k -> c * 100 + k.
    for (c, ch) in CHANNELS.iter().enumerate() {
        for k in 0..CLIENTS_PER_CHANNEL {
            let id = c as u64 * 100 + k;
            node.subscribe("events", ch, id, None, now, &mut rng).expect("subscribe");
            node.topic_mut("events").and_then(|t| t.channel_mut(ch)).expect("channel").ready(id, RDY).expect("rdy");
        }
    }
    // Each client's in-flight message ids, oldest first.
    let mut held: Vec<VecDeque<u64>> = vec![VecDeque::new(); CHANNELS.len() * 100];
    let mut fins = 0;
    for v in 0..MESSAGES {
        now += SimDuration::from_micros(250);
        node.publish("events", Body { producer: 0, value: v, seq: v }, now).expect("publish");
        let topic = node.topic_mut("events").expect("topic");
        for ch in CHANNELS {
            let chan = topic.channel_mut(ch).expect("channel");
            while let Ok(Some(d)) = chan.deliver_next(now, &mut rng) {
                let q = &mut held[d.client as usize];
                q.push_back(d.message.id);
                if q.len() as i64 >= RDY {
                    let id = q.pop_front().expect("held");
                    chan.finish(d.client, id, now).expect("fin");
                    fins += 1;
                }
            }
        }
    }
    let topic = node.topic_mut("events").expect("topic");
    for (c, ch) in CHANNELS.iter().enumerate() {
        let chan = topic.channel_mut(ch).expect("channel");
        for k in 0..CLIENTS_PER_CHANNEL {
            let client = c as u64 * 100 + k;
            while let Some(id) = held[client as usize].pop_front() {
                chan.finish(client, id, now).expect("fin");
                fins += 1;
            }
        }
        assert_eq!(chan.stats().depth, 0, "{ch}: everything delivered");
    }
    fins
}

fn main() {
    let runs: usize = std::env::var("NSQD_RUNS").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(9);
    assert_eq!(run(), MESSAGES * CHANNELS.len() as u64, "every copy finished once");
    let mut ms: Vec<f64> = (0..runs)
        .map(|_| {
            let t0 = Instant::now();
            black_box(run());
            t0.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ms.sort_by(f64::total_cmp);
    let med = ms[runs / 2];
    let fins = (MESSAGES * CHANNELS.len() as u64) as f64;
    println!(
        "nsqd model alone: 1 topic -> {} channels x {CLIENTS_PER_CHANNEL} clients (RDY {RDY}), {MESSAGES} messages: {:.2} M FINs/s, {:.0} ns per FIN (median of {runs}: {med:.1} ms; best {:.1} ms)",
        CHANNELS.len(),
        fins / med / 1e3,
        med * 1e6 / fins,
        ms[0]
    );
    println!("  (a ceiling for the NSQ reference model's 3 M FINs/s target: links, go-nsq and goroutines come on top)");
}
