//! The world's one source of randomness.
//!
//! Semantics: a [`SimRng`] is seeded from a `u64` and draws from
//! xoshiro256++ (`rand_xoshiro::Xoshiro256PlusPlus`, Blackman and Vigna;
//! the seed is expanded to the 256-bit state by SplitMix64, as
//! `seed_from_u64` documents), a stream `rand_xoshiro` documents as
//! portable and tests against the reference implementation's vectors. It is
//! 64-bit integer arithmetic only (shifts, rotations, xors and one add per
//! `u64`), so native and wasm runs draw the same values and wasm, which has
//! no 128-bit multiply, pays no more for it than native code. (The engine
//! used PCG's 128-bit `pcg64_fast` before: each draw cost wasm a library
//! call for the 128-bit product.) Every random choice in a world (select among ready cases,
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
use rand_xoshiro::Xoshiro256PlusPlus;
use rand_distr::{Distribution, Exp1, StandardNormal};

/// Seeded, portable PRNG owned by a world.
#[derive(Clone, Debug)]
pub struct SimRng(Xoshiro256PlusPlus);

impl SimRng {
    pub fn new(seed: u64) -> Self {
        SimRng(Xoshiro256PlusPlus::seed_from_u64(seed))
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

    /// True with probability `p` (0 to 1): a uniform draw in `[0, 1)`
    /// below `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)) < p
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

    const PINNED_FIRST_DRAW_SEED_1: u64 = 14_971_601_782_005_023_387;

    /// The stream is xoshiro256++ seeded by SplitMix64, exactly as the
    /// reference C code (prng.di.unimi.it, `splitmix64.c` and
    /// `xoshiro256plusplus.c`) computes it: checked against a direct
    /// transcription, so a change of the crate's stream would show here.
    #[test]
    fn the_stream_is_the_reference_xoshiro256_plus_plus() {
        fn splitmix64(x: &mut u64) -> u64 {
            *x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = *x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        for seed in [0u64, 1, 42, u64::MAX] {
            let mut x = seed;
            let mut s = [0u64; 4];
            s.iter_mut().for_each(|w| *w = splitmix64(&mut x));
            let mut r = SimRng::new(seed);
            for _ in 0..100 {
                let want = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
                let t = s[1] << 17;
                s[2] ^= s[0];
                s[3] ^= s[1];
                s[1] ^= s[2];
                s[0] ^= s[3];
                s[2] ^= t;
                s[3] = s[3].rotate_left(45);
                assert_eq!(r.next_u64(), want, "seed {seed}");
            }
        }
    }

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
