//! Every float function the core uses, called through `libm` by name.
//!
//! `f32::exp` and friends resolve to the platform's C library on the host and
//! to nothing at all on a bare-metal target; `libm` is the same Rust code on
//! both, so the host simulator and the MCU compute bit-identical results.

/// e^x.
#[inline]
pub fn exp(x: f32) -> f32 {
    libm::expf(x)
}

/// Natural logarithm.
#[inline]
pub fn ln(x: f32) -> f32 {
    libm::logf(x)
}

/// ln(1 + x), accurate for small x.
#[inline]
pub fn ln_1p(x: f32) -> f32 {
    libm::log1pf(x)
}

/// e^x - 1, accurate for small x.
#[inline]
pub fn exp_m1(x: f32) -> f32 {
    libm::expm1f(x)
}

/// Hyperbolic tangent.
#[inline]
pub fn tanh(x: f32) -> f32 {
    libm::tanhf(x)
}

/// Square root.
#[inline]
pub fn sqrt(x: f32) -> f32 {
    libm::sqrtf(x)
}

/// x raised to the power y.
#[inline]
pub fn pow(x: f32, y: f32) -> f32 {
    libm::powf(x, y)
}

/// 1 − βᵗ (Adam's bias correction), computed in f64 and rounded once: in
/// f32 it loses up to ~1e-5 relative for small t with β = 0.999. Called once
/// per optimizer step, so the soft-float cost on an MCU without a double FPU
/// does not matter.
#[inline]
pub fn one_minus_pow(beta: f32, t: u32) -> f32 {
    (1.0 - libm::pow(f64::from(beta), f64::from(t))) as f32
}

/// Cosine.
#[inline]
pub fn cos(x: f32) -> f32 {
    libm::cosf(x)
}

/// The logistic function 1 / (1 + e^-x), stable for large |x|: e^-|x| never
/// overflows, so neither branch produces `inf / inf`.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + exp(-x))
    } else {
        let e = exp(x);
        e / (1.0 + e)
    }
}

/// ln(1 + e^x) without overflow: max(x, 0) + ln(1 + e^-|x|).
#[inline]
pub fn softplus(x: f32) -> f32 {
    x.max(0.0) + ln_1p(exp(-x.abs()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_is_stable_at_the_extremes() {
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(0.0), 0.5);
        assert!((sigmoid(-20.0) - 2.061_153_6e-9).abs() < 1e-15);
    }

    #[test]
    fn softplus_does_not_overflow() {
        assert_eq!(softplus(1000.0), 1000.0);
        assert_eq!(softplus(-1000.0), 0.0);
        assert!((softplus(0.0) - core::f32::consts::LN_2).abs() < 1e-7);
    }
}
