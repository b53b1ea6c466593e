//! # queuelab
//!
//! A deterministic simulation engine for producer/consumer systems.
//! Time is virtual ([`time::SimTime`], integer microseconds) and every event
//! runs from one [`kernel::EventQueue`] ordered by `(time, sequence)`, so the
//! same inputs always give the same run, natively and in WebAssembly.
//!
//! ```
//! use queuelab::time::SimDuration;
//! use queuelab::toy::ToySim;
//!
//! let mut sim = ToySim::new(3, "10ms".parse().unwrap(), "30ms".parse().unwrap());
//! sim.advance(SimDuration::from_secs(1));
//! assert_eq!(sim.snapshot().received, 33);
//! ```

pub mod command;
pub mod dist;
pub mod gochan;
pub mod kernel;
pub mod rng;
pub mod scenario;
pub mod observe;
pub mod presets;
pub mod time;
pub mod toy;
pub mod world;
