//! The world's one source of randomness.
//!
//! Semantics: a [`SimRng`] is seeded from a `u64` and draws from ChaCha8
//! (`rand_chacha`), whose output stream is documented as portable and
//! value-stable across platforms and releases. Every random choice in a
//! world (select among ready cases, distribution samples) comes from this
//! one generator, drawn in event order, so a seed fixes the whole run.
//! Float math on samples goes through `libm`, never the platform's libm, so
//! native and wasm builds compute bit-identical values.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Seeded, portable PRNG owned by a world.
#[derive(Clone, Debug)]
pub struct SimRng(ChaCha8Rng);

impl SimRng {
    pub fn new(seed: u64) -> Self {
        SimRng(ChaCha8Rng::seed_from_u64(seed))
    }

    /// A uniform `u64`.
    pub fn next_u64(&mut self) -> u64 {
        self.0.random()
    }

    /// Uniform in `[0, 1)` with 53 bits of precision.
    pub fn unit(&mut self) -> f64 {
        self.0.random::<f64>()
    }

    /// Uniform in `(0, 1]`: safe to take the logarithm of.
    pub fn unit_open0(&mut self) -> f64 {
        1.0 - self.unit()
    }

    /// Uniform integer in `[0, n)`; `n` must be positive.
    pub fn below(&mut self, n: u64) -> u64 {
        debug_assert!(n > 0);
        self.0.random_range(0..n)
    }

    /// Uniform integer in `[lo, hi]`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        if lo >= hi {
            lo
        } else {
            self.0.random_range(lo..=hi)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_known_values() {
        let mut a = SimRng::new(42);
        let mut b = SimRng::new(42);
        let xs: Vec<u64> = (0..4).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..4).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        // Pinned: if this changes, every shared link replays differently.
        assert_eq!(SimRng::new(1).next_u64(), PINNED_FIRST_DRAW_SEED_1);
    }

    const PINNED_FIRST_DRAW_SEED_1: u64 = 7_424_550_030_962_593_201;

    #[test]
    fn ranges_stay_in_bounds() {
        let mut r = SimRng::new(7);
        for _ in 0..1000 {
            assert!(r.below(3) < 3);
            let x = r.between(5, 9);
            assert!((5..=9).contains(&x));
            let u = r.unit_open0();
            assert!(u > 0.0 && u <= 1.0);
        }
        assert_eq!(r.between(4, 4), 4);
    }
}
