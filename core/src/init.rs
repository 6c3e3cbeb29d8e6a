//! Weight initialisation from a seeded, `no_std` random-number generator.
//!
//! Sampling uses only integer PRNG output and f32 arithmetic (`libm`'s
//! `logf`, the correctly rounded square root and [`math::cos_turns`]), so
//! the same seed gives bit-identical weights on the host and on every MCU,
//! and nothing links f64 software arithmetic.

use crate::math;
use rand_core::Rng;

/// The PRNG used throughout the project (xoshiro128++, 16 bytes of state).
/// Construct it with [`seeded`].
pub type SeededRng = rand_xoshiro::Xoshiro128PlusPlus;

/// A [`SeededRng`] from a 64-bit seed.
///
/// ```
/// use microprop::init::{seeded, Init};
/// let (mut a, mut b) = (seeded(7), seeded(7));
/// assert_eq!(Init::Xavier.sample(64, 32, &mut a), Init::Xavier.sample(64, 32, &mut b));
/// ```
pub fn seeded(seed: u64) -> SeededRng {
    <SeededRng as rand_core::SeedableRng>::seed_from_u64(seed)
}

/// How to draw initial weights. Biases start at zero.
///
/// `fan_in` is the number of inputs of a unit, `fan_out` the number of units
/// of the layer.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Init {
    /// Every weight equal. The lecture's counter-example: identical units get
    /// identical gradients and never become different.
    Constant(f32),
    /// N(mean, std²).
    Normal {
        /// Mean.
        mean: f32,
        /// Standard deviation.
        std: f32,
    },
    /// U(-limit, limit).
    Uniform {
        /// Half-width of the interval.
        limit: f32,
    },
    /// The lecture's Xavier: N(0, 1/fan_in).
    Xavier,
    /// Glorot & Bengio uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)).
    GlorotUniform,
    /// Glorot & Bengio normal: N(0, 2 / (fan_in + fan_out)).
    GlorotNormal,
    /// He/Kaiming normal for ReLU: N(0, 2 / fan_in).
    HeNormal,
    /// He/Kaiming uniform for ReLU: U(-a, a), a = sqrt(6 / fan_in).
    HeUniform,
}

impl Init {
    /// One weight for a unit with `fan_in` inputs in a layer of `fan_out`
    /// units.
    pub fn sample<R: Rng + ?Sized>(&self, fan_in: usize, fan_out: usize, rng: &mut R) -> f32 {
        let fan_in = fan_in.max(1) as f32;
        let fan_sum = fan_in + fan_out as f32;
        match *self {
            Init::Constant(c) => c,
            Init::Normal { mean, std } => mean + std * standard_normal(rng),
            Init::Uniform { limit } => symmetric_uniform(rng, limit),
            Init::Xavier => math::sqrt(1.0 / fan_in) * standard_normal(rng),
            Init::GlorotUniform => symmetric_uniform(rng, math::sqrt(6.0 / fan_sum)),
            Init::GlorotNormal => math::sqrt(2.0 / fan_sum) * standard_normal(rng),
            Init::HeNormal => math::sqrt(2.0 / fan_in) * standard_normal(rng),
            Init::HeUniform => symmetric_uniform(rng, math::sqrt(6.0 / fan_in)),
        }
    }

    /// Fills `weights` with samples for units of `fan_in` inputs in a layer
    /// of `fan_out` units: the same values as [`Init::sample`] called for
    /// each weight in turn.
    ///
    /// The scheme is chosen once, and each scheme's loop is its own
    /// function; this dispatch is always inlined, so when the scheme is a
    /// constant at the call (`net.init(Init::Xavier, ..)` in a firmware),
    /// the optimizer keeps that scheme's loop only and the others are not
    /// linked. With a scheme chosen at run time every loop is linked, as
    /// with [`Init::sample`].
    ///
    /// ```
    /// use microprop::init::{seeded, Init};
    /// let mut w = [0.0_f32; 6];
    /// Init::HeUniform.fill(&mut w, 3, 2, &mut seeded(5));
    /// let mut rng = seeded(5);
    /// assert!(w.iter().all(|&x| x == Init::HeUniform.sample(3, 2, &mut rng)));
    /// ```
    #[inline(always)]
    pub fn fill<R: Rng + ?Sized>(
        &self,
        weights: &mut [f32],
        fan_in: usize,
        fan_out: usize,
        rng: &mut R,
    ) {
        // As in `sample`, term for term, so both give the same bits.
        let fan_in = fan_in.max(1) as f32;
        let fan_sum = fan_in + fan_out as f32;
        match *self {
            Init::Constant(c) => weights.fill(c),
            Init::Normal { mean, std } => fill_normal(weights, rng, mean, std),
            Init::Uniform { limit } => fill_uniform(weights, rng, limit),
            Init::Xavier => fill_scaled_normal(weights, rng, math::sqrt(1.0 / fan_in)),
            Init::GlorotUniform => fill_uniform(weights, rng, math::sqrt(6.0 / fan_sum)),
            Init::GlorotNormal => fill_scaled_normal(weights, rng, math::sqrt(2.0 / fan_sum)),
            Init::HeNormal => fill_scaled_normal(weights, rng, math::sqrt(2.0 / fan_in)),
            Init::HeUniform => fill_uniform(weights, rng, math::sqrt(6.0 / fan_in)),
        }
    }
}

/// `mean + std·z` for each weight, z standard normal (as [`Init::Normal`]).
fn fill_normal<R: Rng + ?Sized>(weights: &mut [f32], rng: &mut R, mean: f32, std: f32) {
    for w in weights {
        *w = mean + std * standard_normal(rng);
    }
}

/// `scale·z` for each weight, z standard normal (Xavier, Glorot and He
/// normal; no `0 +`, which would turn a -0.0 into +0.0).
fn fill_scaled_normal<R: Rng + ?Sized>(weights: &mut [f32], rng: &mut R, scale: f32) {
    for w in weights {
        *w = scale * standard_normal(rng);
    }
}

/// U(-limit, limit) for each weight.
fn fill_uniform<R: Rng + ?Sized>(weights: &mut [f32], rng: &mut R, limit: f32) {
    for w in weights {
        *w = symmetric_uniform(rng, limit);
    }
}

/// Uniform in [0, 1) with 24 bits of resolution.
pub fn unit_uniform<R: Rng + ?Sized>(rng: &mut R) -> f32 {
    (rng.next_u32() >> 8) as f32 * (1.0 / 16_777_216.0)
}

fn symmetric_uniform<R: Rng + ?Sized>(rng: &mut R, limit: f32) -> f32 {
    (2.0 * unit_uniform(rng) - 1.0) * limit
}

/// N(0, 1) by the Box–Muller transform (one of the pair is used, so every
/// call consumes exactly two PRNG words): sqrt(−2 ln u1)·cos(2π u2), the
/// cosine as [`math::cos_turns`] of `u2` turns, so sampling needs f32
/// arithmetic only.
pub fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f32 {
    let u1 = 1.0 - unit_uniform(rng); // (0, 1]: ln never sees 0
    let u2 = unit_uniform(rng);
    math::sqrt(-2.0 * math::ln(u1)) * math::cos_turns(u2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(init: Init, fan_in: usize, fan_out: usize) -> (f32, f32) {
        let mut rng = seeded(1);
        let n = 20_000;
        let (mut s, mut s2) = (0.0f64, 0.0f64);
        for _ in 0..n {
            let v = init.sample(fan_in, fan_out, &mut rng) as f64;
            s += v;
            s2 += v * v;
        }
        let mean = s / n as f64;
        ((mean) as f32, (s2 / n as f64 - mean * mean) as f32)
    }

    #[test]
    fn variances_match_their_definitions() {
        let (m, v) = moments(Init::Xavier, 50, 10);
        assert!(m.abs() < 0.01 && (v - 1.0 / 50.0).abs() < 0.001, "{m} {v}");
        let (_, v) = moments(Init::HeNormal, 50, 10);
        assert!((v - 2.0 / 50.0).abs() < 0.002, "{v}");
        let (_, v) = moments(Init::GlorotUniform, 30, 30);
        assert!((v - 2.0 / 60.0).abs() < 0.002, "{v}");
        let (m, v) = moments(
            Init::Normal {
                mean: 1.0,
                std: 2.0,
            },
            1,
            1,
        );
        assert!((m - 1.0).abs() < 0.05 && (v - 4.0).abs() < 0.15, "{m} {v}");
        let (m, v) = moments(Init::Uniform { limit: 3.0 }, 1, 1);
        assert!(m.abs() < 0.05 && (v - 3.0).abs() < 0.1, "{m} {v}");
    }

    #[test]
    fn fill_gives_the_bits_of_sample() {
        let schemes = [
            Init::Constant(-0.5),
            Init::Normal {
                mean: 1.0,
                std: 2.0,
            },
            Init::Uniform { limit: 3.0 },
            Init::Xavier,
            Init::GlorotUniform,
            Init::GlorotNormal,
            Init::HeNormal,
            Init::HeUniform,
        ];
        for init in schemes {
            let mut filled = [0.0_f32; 50];
            init.fill(&mut filled, 7, 5, &mut seeded(9));
            let mut rng = seeded(9);
            for w in filled {
                assert_eq!(w.to_bits(), init.sample(7, 5, &mut rng).to_bits());
            }
        }
    }

    #[test]
    fn same_seed_same_bits() {
        let mut a = seeded(42);
        let mut b = seeded(42);
        for _ in 0..100 {
            assert_eq!(
                Init::HeUniform.sample(8, 8, &mut a).to_bits(),
                Init::HeUniform.sample(8, 8, &mut b).to_bits()
            );
        }
    }
}
