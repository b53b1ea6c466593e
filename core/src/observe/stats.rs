//! Counters, latency histograms and time series.
//!
//! - [`Latency`] wraps an HDR histogram (microseconds, 1 µs .. 1 h, 2
//!   significant digits, fixed memory): percentiles with ~1 % error.
//! - [`Series`] keeps the last `capacity` samples taken every
//!   `sample_interval`: channel `len`s, throughput and latency of the
//!   interval, blocked goroutines. Bounded.

use crate::time::SimTime;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::VecDeque;

/// A latency distribution with bounded memory.
#[derive(Clone, Debug)]
pub struct Latency {
    h: Histogram<u64>,
}

/// Percentiles of a latency distribution, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub mean_us: f64,
}

const MAX_TRACKED_US: u64 = 3_600_000_000;

impl Default for Latency {
    fn default() -> Self {
        Self::new()
    }
}

impl Latency {
    pub fn new() -> Self {
        Latency { h: Histogram::new_with_bounds(1, MAX_TRACKED_US, 2).expect("valid histogram bounds") }
    }
    #[inline]
    pub fn record(&mut self, us: u64) {
        self.h.saturating_record(us.clamp(1, MAX_TRACKED_US));
    }
    pub fn reset(&mut self) {
        self.h.reset();
    }
    pub fn count(&self) -> u64 {
        self.h.len()
    }
    pub fn percentiles(&self) -> Percentiles {
        if self.h.is_empty() {
            return Percentiles::default();
        }
        Percentiles {
            count: self.h.len(),
            p50_us: self.h.value_at_quantile(0.50),
            p90_us: self.h.value_at_quantile(0.90),
            p99_us: self.h.value_at_quantile(0.99),
            max_us: self.h.max(),
            mean_us: self.h.mean(),
        }
    }
}

/// One time-series sample.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Sample {
    pub t_us: u64,
    /// `len` of each channel, in channel order.
    pub lens: Vec<u32>,
    /// Deliveries per second of virtual time over the interval.
    pub throughput: f64,
    /// Delivery latency percentiles over the interval (0 when none).
    pub p50_us: u64,
    pub p99_us: u64,
    /// Goroutines blocked at the sample instant.
    pub blocked: u32,
}

/// Bounded time series.
#[derive(Clone, Debug)]
pub struct Series {
    samples: VecDeque<Sample>,
    capacity: usize,
    taken: u64,
}

impl Series {
    pub fn new(capacity: usize) -> Self {
        Series { samples: VecDeque::with_capacity(capacity.min(4096)), capacity: capacity.max(1), taken: 0 }
    }
    pub fn push(&mut self, s: Sample) {
        if self.samples.len() == self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back(s);
        self.taken += 1;
    }
    pub fn samples(&self) -> impl DoubleEndedIterator<Item = &Sample> + ExactSizeIterator {
        self.samples.iter()
    }
    /// Samples taken strictly after `t`.
    pub fn after(&self, t: SimTime) -> impl Iterator<Item = &Sample> {
        self.samples.iter().filter(move |s| s.t_us > t.as_micros())
    }
    pub fn taken(&self) -> u64 {
        self.taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_close() {
        let mut l = Latency::new();
        for us in 1..=10_000 {
            l.record(us);
        }
        let p = l.percentiles();
        assert_eq!(p.count, 10_000);
        assert!((4_900..=5_100).contains(&p.p50_us), "{p:?}");
        assert!((9_800..=10_000).contains(&p.p99_us), "{p:?}");
        assert!((10_000..=10_100).contains(&p.max_us));
        l.reset();
        assert_eq!(l.percentiles(), Percentiles::default());
    }

    #[test]
    fn series_is_bounded() {
        let mut s = Series::new(2);
        for t in 0..5 {
            s.push(Sample { t_us: t, lens: vec![], throughput: 0.0, p50_us: 0, p99_us: 0, blocked: 0 });
        }
        assert_eq!(s.samples().map(|x| x.t_us).collect::<Vec<_>>(), [3, 4]);
        assert_eq!(s.after(SimTime::from_micros(3)).count(), 1);
        assert_eq!(s.taken(), 5);
    }
}
