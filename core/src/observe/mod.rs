//! What the page draws and the CLI prints: the event [`trace`], counters,
//! latency histograms and time series ([`stats`]), and the [`snapshot`].

pub mod snapshot;
pub mod stats;
pub mod trace;
