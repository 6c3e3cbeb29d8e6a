//! Every float function the core uses, called through `libm` by name.
//!
//! `f32::exp` and friends resolve to the platform's C library on the host and
//! to nothing at all on a bare-metal target; `libm` is the same Rust code on
//! both, so the host simulator and the MCU compute bit-identical results.
//!
//! # Feature `fast-math`
//!
//! Off by default. With it, [`exp`] is `micromath`'s approximation (range
//! reduction by powers of two and a 4-term Taylor series; pure Rust, no
//! tables, no allocation), [`tanh`] is built from that `exp` (micromath has
//! no `tanh`), and everything built on `exp` follows: [`sigmoid`],
//! [`softplus`] and the softmax of the activations and the cross-entropy
//! loss. `ln`, `ln_1p`, `exp_m1` (ELU), `pow`, `cos` and `sqrt` stay exact.
//! Still the same Rust code on every target, so host and MCU keep computing
//! the same bits.
//!
//! Error against `libm`, measured over a dense sweep
//! (`core/tests/fast_math.rs`, which asserts these bounds; docs/FAST_MATH.md
//! has the numbers): relative error below [`FAST_EXP_MAX_REL_ERROR`] for
//! `exp` on [-20, 20], absolute error below [`FAST_TANH_MAX_ABS_ERROR`] for
//! `tanh` and [`FAST_SIGMOID_MAX_ABS_ERROR`] for `sigmoid` on [-10, 10].
//!
//! Not faster on a Cortex-M4F: micromath's `exp` takes ~40 instructions
//! more than `libm::expf`, and every workload with exp, tanh or sigmoid
//! measured 0.8-54 % more instructions a sample under QEMU, so keep it off
//! there; it may pay on a core without an FPU (not measured).

/// Whether the crate was built with the `fast-math` feature (approximate
/// [`exp`], [`tanh`] and [`sigmoid`]).
pub const FAST_MATH: bool = cfg!(feature = "fast-math");

/// Bound on the relative error of [`exp`] against `libm::expf` with the
/// `fast-math` feature, for results in the normal range (|x| < 87);
/// measured 2.39e-3 (largest for x < 0, where micromath's Taylor series runs
/// on (-ln 2, 0]; 7.5e-4 for x > 0).
pub const FAST_EXP_MAX_REL_ERROR: f32 = 2.5e-3;

/// Bound on the absolute error of [`tanh`] against `libm::tanhf` with the
/// `fast-math` feature (any input); measured 3.3e-4 (relative 1.0e-3).
pub const FAST_TANH_MAX_ABS_ERROR: f32 = 4.0e-4;

/// Bound on the absolute error of [`sigmoid`] against the exact logistic
/// function with the `fast-math` feature (any input); measured 5.3e-4
/// (relative 2.4e-3, as `exp`).
pub const FAST_SIGMOID_MAX_ABS_ERROR: f32 = 6.0e-4;

/// e^x. Exact (`libm::expf`) by default; `micromath`'s approximation with
/// the `fast-math` feature (see the module documentation).
#[inline]
pub fn exp(x: f32) -> f32 {
    #[cfg(feature = "fast-math")]
    {
        fast::exp(x)
    }
    #[cfg(not(feature = "fast-math"))]
    {
        libm::expf(x)
    }
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

/// Hyperbolic tangent. Exact (`libm::tanhf`) by default; built from the
/// approximate [`exp`] with the `fast-math` feature.
#[inline]
pub fn tanh(x: f32) -> f32 {
    #[cfg(feature = "fast-math")]
    {
        fast::tanh(x)
    }
    #[cfg(not(feature = "fast-math"))]
    {
        libm::tanhf(x)
    }
}

/// Square root, correctly rounded (IEEE 754), so every target gets the same
/// bits: the FPU's `VSQRT.F32` on a hard-float Arm target (one instruction
/// instead of the ~90-instruction software routine of `libm`); with the
/// `std` feature, `f32::sqrt` (LLVM's `sqrt` intrinsic, which the host's
/// vectoriser turns into `sqrtps` over four or eight parameters of an
/// optimizer step); `libm::sqrtf` otherwise (`sqrtss` on x86-64, opaque to
/// the vectoriser).
#[inline]
pub fn sqrt(x: f32) -> f32 {
    #[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
    {
        fpu::sqrt(x)
    }
    #[cfg(all(feature = "std", not(all(target_arch = "arm", target_abi = "eabihf"))))]
    {
        x.sqrt()
    }
    #[cfg(not(any(feature = "std", all(target_arch = "arm", target_abi = "eabihf"))))]
    {
        libm::sqrtf(x)
    }
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
/// overflows, so neither branch produces `inf / inf`. Built on [`exp`], so
/// approximate with the `fast-math` feature.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + exp(-x))
    } else {
        let e = exp(x);
        e / (1.0 + e)
    }
}

/// The larger of `m` and `x`, keeping `m` if `x` is NaN (as `f32::max`
/// ignores a NaN) and for equal values (so `-0.0` vs `+0.0` is decided by
/// the order, the same on every target). A compare and a select: `f32::max`
/// is a call to `fmaxf` on the M4F.
///
/// ```
/// use microprop::math::larger;
/// assert_eq!(larger(1.0, 2.0), 2.0);
/// assert_eq!(larger(1.0, f32::NAN), 1.0);
/// assert_eq!(larger(f32::NEG_INFINITY, -3.0), -3.0);
/// ```
#[inline]
pub fn larger(m: f32, x: f32) -> f32 {
    if x > m { x } else { m }
}

/// ln(1 + e^x) without overflow: max(x, 0) + ln(1 + e^-|x|).
#[inline]
pub fn softplus(x: f32) -> f32 {
    larger(0.0, x) + ln_1p(exp(-x.abs()))
}

/// The `fast-math` versions of [`exp`] and [`tanh`].
#[cfg(feature = "fast-math")]
mod fast {
    /// Below this |x|, [`tanh`] is its odd Taylor polynomial to x^7
    /// (truncation error < 62/2835 |x|^9 < 6e-8 at |x| = 0.25): the formula
    /// from e^2|x| loses to cancellation in e^2|x| - 1 as x goes to 0.
    const TANH_SERIES_BELOW: f32 = 0.25;

    /// Above this |x|, tanh x rounds to ±1 in f32 (1 - tanh 9.1 = 2.5e-8 is
    /// less than half the spacing of f32 below 1), and e^2|x| is finite.
    const TANH_ONE_ABOVE: f32 = 9.1;

    /// e^x: `micromath::F32::exp`, with the ends of the range made exact:
    /// NaN stays NaN and overflow is +inf (where micromath would build a
    /// NaN from the exponent bits in release builds and trip a
    /// `debug_assert!` in debug builds), and results below the normal range
    /// (x < -87.3) are 0 (micromath would write a wrong subnormal).
    #[inline]
    pub fn exp(x: f32) -> f32 {
        let t = x * core::f32::consts::LOG2_E;
        if t >= 128.0 {
            f32::INFINITY
        } else if t < -126.0 {
            0.0
        } else if x.is_nan() {
            x
        } else {
            micromath::F32(x).exp().0
        }
    }

    /// tanh x = sign(x) (1 - 2 / (e^2|x| + 1)), with the odd polynomial
    /// x - x^3/3 + 2x^5/15 - 17x^7/315 below |x| = 0.25 and ±1 above 9.1.
    /// e^+2|x| rather than the usual e^-2|x|: micromath's exp reduces its
    /// argument by truncation, so for x < 0 its Taylor series runs on
    /// (-ln 2, 0] where the relative error is up to 4x larger (2.4e-3
    /// against 7.5e-4); the clamp at 9.1 keeps e^2|x| finite. Each operation
    /// of 1 - 2 / (e + 1) is monotone, so tanh stays monotone up to ±1
    /// ((e - 1) / (e + 1) is not, by an ulp, where e ± 1 round).
    #[inline]
    pub fn tanh(x: f32) -> f32 {
        let a = x.abs();
        if a < TANH_SERIES_BELOW {
            let x2 = x * x;
            x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0))))
        } else if a > TANH_ONE_ABOVE {
            1.0f32.copysign(x)
        } else {
            (1.0 - 2.0 / (exp(2.0 * a) + 1.0)).copysign(x)
        }
    }
}

/// The hardware square root of a hard-float Arm core (Cortex-M4F/M7/M33).
///
/// The one place the core is not `forbid(unsafe_code)`, for a measured need:
/// in the W2 Adam benchmark (64-32-10, batch 1, QEMU Cortex-M4F) `libm::sqrtf`
/// took 219,000 of 546,000 instructions a sample. Stable Rust has no
/// `sqrt` in `core`, and `asm!` cannot name an `S` register on
/// `thumbv7em-none-eabihf` (the `sreg` class wants the double-precision
/// `vfp2` feature this single-precision FPU lacks), so the instruction lives
/// in a two-instruction assembly function called with the hard-float ABI
/// (argument and result in `s0`).
#[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
#[allow(unsafe_code)]
mod fpu {
    core::arch::global_asm!(
        ".section .text.microprop_vsqrt_f32,\"ax\",%progbits",
        ".global microprop_vsqrt_f32",
        ".type microprop_vsqrt_f32,%function",
        ".thumb_func",
        ".fpu fpv4-sp-d16",
        "microprop_vsqrt_f32:",
        "vsqrt.f32 s0, s0",
        "bx lr",
        ".size microprop_vsqrt_f32, . - microprop_vsqrt_f32",
    );

    // SAFETY: the function above reads `s0`, writes `s0` and returns, as
    // the AAPCS-VFP calling convention of `extern "C"` on an eabihf target
    // expects; it touches no memory and no other register, so it is safe to
    // call with any value.
    unsafe extern "C" {
        safe fn microprop_vsqrt_f32(x: f32) -> f32;
    }

    /// `VSQRT.F32`: the correctly rounded square root (NaN for x < 0).
    #[inline]
    pub fn sqrt(x: f32) -> f32 {
        microprop_vsqrt_f32(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_is_stable_at_the_extremes() {
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(0.0), 0.5);
        // Relative 5e-7 exact, FAST_EXP_MAX_REL_ERROR with `fast-math`.
        let tolerance = if FAST_MATH { 2.1e-12 } else { 1e-15 };
        assert!((sigmoid(-20.0) - 2.061_153_6e-9).abs() < tolerance);
    }

    #[test]
    fn softplus_does_not_overflow() {
        assert_eq!(softplus(1000.0), 1000.0);
        assert_eq!(softplus(-1000.0), 0.0);
        assert!((softplus(0.0) - core::f32::consts::LN_2).abs() < 1e-7);
    }
}
