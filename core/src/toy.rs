//! A first, deliberately small simulation: one producer, one bounded buffer,
//! one consumer, fixed rates. It exists to prove the whole path
//! (core -> wasm -> page -> browser) and is replaced by the Go-channel model.
//!
//! Semantics: the producer makes an item every `produce_every`; if the buffer
//! is full it blocks until the consumer frees a slot. The consumer takes an
//! item every `consume_every`; if the buffer is empty it waits for the next
//! item. Everything is driven by the [`EventQueue`] on virtual time.

use crate::kernel::EventQueue;
use crate::time::{SimDuration, SimTime};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ev {
    Produce,
    Consume,
}

/// What the page draws each frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ToySnapshot {
    pub time_us: u64,
    pub sent: u64,
    pub received: u64,
    pub buffer_len: u32,
    pub capacity: u32,
    pub producer_blocked: bool,
    pub consumer_waiting: bool,
}

/// One producer -> bounded buffer -> one consumer.
#[derive(Debug)]
pub struct ToySim {
    queue: EventQueue<Ev>,
    capacity: u32,
    len: u32,
    produce_every: SimDuration,
    consume_every: SimDuration,
    sent: u64,
    received: u64,
    producer_blocked: bool,
    consumer_waiting: bool,
}

impl ToySim {
    pub fn new(capacity: u32, produce_every: SimDuration, consume_every: SimDuration) -> Self {
        let mut queue = EventQueue::new();
        queue.schedule(SimTime::ZERO + produce_every, Ev::Produce);
        queue.schedule(SimTime::ZERO + consume_every, Ev::Consume);
        ToySim {
            queue,
            capacity,
            len: 0,
            produce_every,
            consume_every,
            sent: 0,
            received: 0,
            producer_blocked: false,
            consumer_waiting: false,
        }
    }

    pub fn now(&self) -> SimTime {
        self.queue.now()
    }

    /// Runs every event up to and including `now + d`, then sets the clock there.
    pub fn advance(&mut self, d: SimDuration) {
        let until = self.now() + d;
        while self.queue.peek_time().is_some_and(|t| t <= until) {
            let Some((now, ev)) = self.queue.pop() else { break };
            self.apply(now, ev);
        }
        self.queue.advance_to(until);
    }

    fn apply(&mut self, now: SimTime, ev: Ev) {
        match ev {
            Ev::Produce if self.len < self.capacity => {
                self.len += 1;
                self.sent += 1;
                self.producer_blocked = false;
                self.queue.schedule(now + self.produce_every, Ev::Produce);
                if self.consumer_waiting {
                    self.consumer_waiting = false;
                    self.queue.schedule(now, Ev::Consume);
                }
            }
            Ev::Produce => self.producer_blocked = true,
            Ev::Consume if self.len > 0 => {
                self.len -= 1;
                self.received += 1;
                self.queue.schedule(now + self.consume_every, Ev::Consume);
                if self.producer_blocked {
                    self.producer_blocked = false;
                    self.queue.schedule(now, Ev::Produce);
                }
            }
            Ev::Consume => self.consumer_waiting = true,
        }
    }

    pub fn snapshot(&self) -> ToySnapshot {
        ToySnapshot {
            time_us: self.now().as_micros(),
            sent: self.sent,
            received: self.received,
            buffer_len: self.len,
            capacity: self.capacity,
            producer_blocked: self.producer_blocked,
            consumer_waiting: self.consumer_waiting,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slow_consumer_fills_the_buffer_and_blocks_the_producer() {
        let mut sim = ToySim::new(3, SimDuration::from_millis(10), SimDuration::from_millis(30));
        sim.advance(SimDuration::from_secs(1));
        let s = sim.snapshot();
        assert_eq!(s.time_us, 1_000_000);
        assert_eq!(s.received, 33);
        assert_eq!(s.buffer_len, 3);
        assert!(s.producer_blocked);
        assert_eq!(s.sent, s.received + u64::from(s.buffer_len));
    }

    #[test]
    fn fast_consumer_waits_and_buffer_stays_empty() {
        let mut sim = ToySim::new(3, SimDuration::from_millis(30), SimDuration::from_millis(10));
        sim.advance(SimDuration::from_millis(95));
        let s = sim.snapshot();
        assert_eq!(s.sent, 3);
        assert_eq!(s.received, 3);
        assert_eq!(s.buffer_len, 0);
        assert!(!s.producer_blocked);
    }
}
