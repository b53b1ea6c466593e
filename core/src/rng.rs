//! The world's one source of randomness.
//!
//! Semantics: a [`SimRng`] is seeded from a `u64` and draws from PCG's
//! `pcg64_fast` (`rand_pcg::Pcg64Mcg`: a 128-bit multiplicative generator
//! with an xorshift-rotate output), whose stream `rand_pcg` documents as
//! deterministic and portable and tests against the reference vectors. It
//! is plain integer arithmetic (one 128-bit multiply per `u64`; wasm builds
//! that product from 64-bit multiplies), so native and wasm runs draw the
//! same values. Every random choice in a world (select among ready cases,
//! distribution samples) comes from this one generator, drawn in event
//! order, so a seed fixes the whole run.
//!
//! Exponential and standard normal draws use `rand_distr`'s ziggurat
//! (`Exp1`, `StandardNormal`): one `u64` per draw on the common path, a
//! table lookup, IEEE multiplies and compares, so native and wasm builds
//! compute bit-identical values. Only the ziggurat's rare fallback (about
//! 1 % of exponential draws: the wedge test `f < exp(-x)`, and the tail,
//! `r - ln(u)`) calls `exp`/`ln` through `num-traits`, which uses the
//! platform's libm natively and Rust's bundled one in wasm. Both are within
//! one ulp of the true value, so a run can diverge only if a uniform lands
//! within one ulp of that curve (odds about 1e-16 per fallback draw); the
//! native-vs-browser hash test checks the presets in practice. Other float
//! math on samples (log-normal's `exp`) goes through `libm`.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64Mcg;
use rand_distr::{Distribution, Exp1, StandardNormal};

/// Seeded, portable PRNG owned by a world.
#[derive(Clone, Debug)]
pub struct SimRng(Pcg64Mcg);

impl SimRng {
    pub fn new(seed: u64) -> Self {
        SimRng(Pcg64Mcg::seed_from_u64(seed))
    }

    /// A uniform `u64`.
    pub fn next_u64(&mut self) -> u64 {
        self.0.random()
    }

    /// Exponential with mean 1 (ziggurat).
    #[inline]
    pub fn exp1(&mut self) -> f64 {
        Exp1.sample(&mut self.0)
    }

    /// Standard normal, mean 0 and deviation 1 (ziggurat).
    #[inline]
    pub fn standard_normal(&mut self) -> f64 {
        StandardNormal.sample(&mut self.0)
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

    const PINNED_FIRST_DRAW_SEED_1: u64 = 15_803_641_690_485_367_939;

    #[test]
    fn ranges_stay_in_bounds() {
        let mut r = SimRng::new(7);
        for _ in 0..1000 {
            assert!(r.below(3) < 3);
            let x = r.between(5, 9);
            assert!((5..=9).contains(&x));
            let e = r.exp1();
            assert!(e >= 0.0 && e.is_finite());
            assert!(r.standard_normal().is_finite());
        }
        assert_eq!(r.between(4, 4), 4);
    }
}
