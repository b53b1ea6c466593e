//! # queuelab
//!
//! A deterministic simulation engine for producer/consumer systems.
//! Time is virtual ([`time::SimTime`], integer microseconds) and every event
//! runs from one [`kernel::EventQueue`] ordered by `(time, sequence)`, so the
//! same inputs always give the same run, natively and in WebAssembly.
//!
//! Go channels are always in; NSQ and Kafka are the cargo features `nsq` and
//! `kafka` (both default), so a Go-only WebAssembly module leaves them out
//! ([`gate`]).
//!
//! ```
//! use queuelab::observe::snapshot::RunStatus;
//! use queuelab::time::SimDuration;
//! use queuelab::{presets, world::World};
//!
//! // The classic program: a producer sends 0..9 on an unbuffered channel; main ranges over it.
//! let mut world = World::new(&presets::get("classic").unwrap().scenario()).unwrap();
//! world.run_for(SimDuration::from_secs(5));
//! let snap = world.snapshot();
//! assert_eq!(snap.status, RunStatus::MainReturned);
//! assert_eq!(snap.totals.delivered, 10);
//! ```

pub(crate) mod chunked;
mod cold_sort;
pub mod command;
pub mod design;
pub mod dist;
pub mod gate;
pub mod gochan;
pub mod json_path;
pub mod kafka;
pub mod kernel;
pub mod net;
pub mod nsq;
pub mod rng;
pub mod scenario;
pub mod observe;
pub mod op_tag;
pub mod presets;
pub mod time;
pub mod timeline;
pub mod world;
