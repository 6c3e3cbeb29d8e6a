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

/// Square root, correctly rounded (IEEE 754), so every target gets the same
/// bits: the FPU's `VSQRT.F32` on a hard-float Arm target (one instruction
/// instead of the ~90-instruction software routine of `libm`),
/// `libm::sqrtf` elsewhere (which is `sqrtss` on x86-64).
#[inline]
pub fn sqrt(x: f32) -> f32 {
    #[cfg(all(target_arch = "arm", target_abi = "eabihf"))]
    {
        fpu::sqrt(x)
    }
    #[cfg(not(all(target_arch = "arm", target_abi = "eabihf")))]
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
        assert!((sigmoid(-20.0) - 2.061_153_6e-9).abs() < 1e-15);
    }

    #[test]
    fn softplus_does_not_overflow() {
        assert_eq!(softplus(1000.0), 1000.0);
        assert_eq!(softplus(-1000.0), 0.0);
        assert!((softplus(0.0) - core::f32::consts::LN_2).abs() < 1e-7);
    }
}
