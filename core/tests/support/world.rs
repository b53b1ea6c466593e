//! Small helpers the world tests share: times in milliseconds, a world
//! from a JSON value (the scenario printed when it does not load), a
//! snapshot's Kafka section, and a command that must apply.
//!
//! Included by path (`#[path = "support/world.rs"] mod world_support;`),
//! so a test that needs only these does not build the generators of
//! `support/gen.rs`.
#![allow(dead_code)]

use queuelab::command::Command;
use queuelab::observe::snapshot::Snapshot;
use queuelab::scenario::Scenario;
use queuelab::time::{SimDuration, SimTime};
use queuelab::world::{KafkaView, World};
use serde_json::Value;

/// `n` milliseconds after the start.
pub fn ms(n: u64) -> SimTime {
    SimTime::ZERO + SimDuration::from_millis(n)
}

/// The world of scenario `v`; panics with the scenario when it is refused.
pub fn world(v: &Value) -> World {
    World::new(&Scenario::from_json(&v.to_string()).unwrap_or_else(|e| panic!("{e}\n{v:#}"))).expect("builds")
}

/// The snapshot's Kafka section.
pub fn kafka(s: &Snapshot) -> &KafkaView {
    s.kafka.as_ref().expect("a kafka section")
}

/// Applies `c`, which must be accepted.
pub fn apply(w: &mut World, c: &Command) {
    w.apply(c).unwrap_or_else(|e| panic!("{c:?}: {e}"));
}
