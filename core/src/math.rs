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
//! loss. `ln`, `ln_1p`, `exp_m1` (ELU), `pow`, `cos`, `cos_turns` and
//! `sqrt` stay exact.
//!
//! # No f64
//!
//! Everything the core calls from here computes in f32 only, so a
//! single-precision FPU (Cortex-M4F) never needs software f64 routines:
//! Adam's bias correction is [`one_minus_pow`] in double-single arithmetic
//! and the cosine of the initialisers and the cosine schedule is
//! [`cos_turns`] (`libm::cosf`, behind [`cos`], reduces in f64).
//! Still the same Rust code on every target, so host and MCU keep computing
//! the same bits.
//!
//! Error against `libm` over a dense sweep (`core/tests/fast_math.rs`
//! asserts these bounds and prints what it measures; docs/FAST_MATH.md):
//! relative error below [`FAST_EXP_MAX_REL_ERROR`] for
//! `exp` on [-20, 20], absolute error below [`FAST_TANH_MAX_ABS_ERROR`] for
//! `tanh` and [`FAST_SIGMOID_MAX_ABS_ERROR`] for `sigmoid` on [-10, 10].
//!
//! Not faster on a Cortex-M4F: micromath's `exp` executes more instructions
//! than `libm::expf` there, and so does every workload with exp, tanh or
//! sigmoid (`bash firmware/bench-mcu.sh --features fast-math` measures
//! them), so keep it off there; it may pay on a core without an FPU.

/// Whether the crate was built with the `fast-math` feature (approximate
/// [`exp`], [`tanh`] and [`sigmoid`]).
pub const FAST_MATH: bool = cfg!(feature = "fast-math");

/// Bound on the relative error of [`exp`] against `libm::expf` with the
/// `fast-math` feature, for results in the normal range (|x| < 87). The
/// error is largest for x < 0, where micromath's Taylor series runs on
/// (-ln 2, 0]; `core/tests/fast_math.rs` prints what it measures.
pub const FAST_EXP_MAX_REL_ERROR: f32 = 2.5e-3;

/// Bound on the absolute error of [`tanh`] against `libm::tanhf` with the
/// `fast-math` feature (any input).
pub const FAST_TANH_MAX_ABS_ERROR: f32 = 4.0e-4;

/// Bound on the absolute error of [`sigmoid`] against the exact logistic
/// function with the `fast-math` feature (any input).
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

/// 1 − βᵗ (Adam's bias correction) for β in [0, 1], in f32 arithmetic
/// only (no f64: on a single-precision FPU that would be software
/// arithmetic), the same bits on every target.
///
/// βᵗ is computed by exponentiation by squaring in double-single
/// arithmetic: each value is an unevaluated sum `hi + lo` of two f32, and
/// each product keeps its rounding error exactly (Dekker's two-product with
/// Veltkamp's split: plain f32 `+`, `-`, `*`, which Rust never contracts
/// into a fused multiply-add). Each product is good to about 2⁻⁴⁴
/// relative and there are at most 64 of them, so βᵗ is good to about 2⁻³⁸
/// relative (an underflowing βᵗ only loses digits that 1 − βᵗ = 1 does not
/// show); 1 − `hi` is formed exactly as a sum of two f32 (Knuth's
/// two-sum), so the one rounding that matters is the last addition. For
/// every t ≤ 100 000 and β in {0, 0.5, 0.9, 0.95, 0.99, 0.999, 0.9999, 1}
/// the result equals f64 `pow` rounded once to f32 (the unit test
/// checks it against f64 `pow`); in general it is within one ulp. In f32
/// alone, βᵗ by `powf` loses up to ~1e-5 relative for small t with
/// β = 0.999.
///
/// Outside [0, 1] the value is unspecified (finite or not); [`crate::Adam`]
/// refuses such β before it gets here.
///
/// ```
/// use microprop::math::one_minus_pow;
/// assert_eq!(one_minus_pow(0.5, 3), 0.875);
/// assert_eq!(one_minus_pow(0.0, 1), 1.0);
/// assert_eq!(one_minus_pow(0.9, 1), 1.0 - 0.9_f32);
/// ```
pub fn one_minus_pow(beta: f32, t: u32) -> f32 {
    let (mut power, mut base, mut t) = ((1.0, 0.0), (beta, 0.0), t);
    while t > 0 {
        if t & 1 == 1 {
            power = double_single::mul(power, base);
        }
        t >>= 1;
        if t > 0 {
            base = double_single::mul(base, base);
        }
    }
    let (hi, lo) = power;
    let (one_minus_hi, error) = double_single::two_sum(1.0, -hi);
    one_minus_hi + (error - lo)
}

/// Double-single arithmetic: a value is `(hi, lo)` with `hi = fl(hi + lo)`,
/// about 48 significant bits, built from f32 `+`, `-` and `*` only.
mod double_single {
    /// Veltkamp's split of `a` into `hi + lo`, each with at most 12
    /// significant bits, so the product of two halves is exact in f32
    /// (`2¹² + 1` = 4097; no overflow for |a| < 2¹¹⁵).
    #[inline]
    fn split(a: f32) -> (f32, f32) {
        let c = 4097.0 * a;
        let hi = c - (c - a);
        (hi, a - hi)
    }

    /// Dekker's two-product: `(p, e)` with `p = fl(a·b)` and `p + e = a·b`
    /// exactly (barring underflow).
    #[inline]
    fn two_product(a: f32, b: f32) -> (f32, f32) {
        let p = a * b;
        let ((ah, al), (bh, bl)) = (split(a), split(b));
        let e = ((ah * bh - p) + ah * bl + al * bh) + al * bl;
        (p, e)
    }

    /// Knuth's two-sum: `(s, e)` with `s = fl(a + b)` and `s + e = a + b`
    /// exactly.
    #[inline]
    pub fn two_sum(a: f32, b: f32) -> (f32, f32) {
        let s = a + b;
        let bb = s - a;
        (s, (a - (s - bb)) + (b - bb))
    }

    /// The product of two double-single values, renormalised
    /// (`hi = fl(hi + lo)`); relative error below 2⁻⁴⁴.
    #[inline]
    pub fn mul((ah, al): (f32, f32), (bh, bl): (f32, f32)) -> (f32, f32) {
        let (p, e) = two_product(ah, bh);
        let e = e + (ah * bl + al * bh);
        let hi = p + e;
        (hi, e - (hi - p))
    }
}

/// cos(2π·x): the cosine of `x` turns, in f32 arithmetic only, the same
/// bits on every target (`libm::cosf` reduces its argument in f64, which
/// is software arithmetic on a single-precision FPU).
///
/// The reduction is exact: `x` minus the nearest integer, then minus the
/// nearest quarter turn, leaves `s` in [-⅛, ⅛] with no rounding (each
/// difference is representable), and the quadrant picks ±cos or ±sin of
/// 2π·s, each a Taylor polynomial in `s` (to s¹⁰ and s⁹; the terms left
/// out are below 3e-8 and 2e-9 relative). Error within a few ulp; the unit
/// test measures it against f64 `cos`. NaN for a non-finite `x`.
///
/// ```
/// use microprop::math::cos_turns;
/// assert_eq!(cos_turns(0.0), 1.0);
/// assert_eq!(cos_turns(0.5), -1.0);
/// assert_eq!(cos_turns(0.25), 0.0);
/// assert!((cos_turns(1.0 / 6.0) - 0.5).abs() < 1e-7);
/// ```
pub fn cos_turns(x: f32) -> f32 {
    /// 2²³: adding and subtracting it rounds a float in [0, 2²³) to the
    /// nearest integer; every float from 2²³ up is an integer.
    const INTEGER: f32 = 8_388_608.0;
    /// 1.5·2²³: adding and subtracting it rounds a float in [-2²², 2²²] to
    /// the nearest integer.
    const ROUND: f32 = 12_582_912.0;
    // cos is even; from 2²³ up every float is a whole number of turns.
    let a = x.abs();
    if a >= INTEGER {
        return if a.is_finite() { 1.0 } else { f32::NAN };
    }
    if a.is_nan() {
        return a;
    }
    let r = a - ((a + INTEGER) - INTEGER); // [-½, ½], exact
    let quarter = (4.0 * r + ROUND) - ROUND; // -2..=2
    let s = r - 0.25 * quarter; // [-⅛, ⅛], exact
    let s2 = s * s;
    let cos = 1.0
        + s2 * (-1.973_920_8e1
            + s2 * (6.493_939e1 + s2 * (-8.545_682e1 + s2 * (6.024_464e1 + s2 * -2.642_625_6e1))));
    let sin = s
        * (6.283_185_5
            + s2 * (-4.134_17e1 + s2 * (8.160_525e1 + s2 * (-7.670_586e1 + s2 * 4.205_869_3e1))));
    // cos(2π(s + q/4)) for the quarter turn q.
    match quarter as i32 {
        0 => cos,
        1 => -sin,
        -1 => sin,
        _ => -cos,
    }
}

/// Cosine (`libm::cosf`). The core itself uses [`cos_turns`], which needs
/// no f64 arithmetic.
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
    /// (-ln 2, 0] where its relative error is larger than for x > 0; the
    /// clamp at 9.1 keeps e^2|x| finite. Each operation
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
/// `libm::sqrtf` is a bit-by-bit software loop, and Adam takes a square root
/// per parameter per step (`bash firmware/profile/run.sh` on the W2 Adam
/// benchmark shows where its instructions go). Stable Rust has no
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
    fn one_minus_pow_is_correctly_rounded() {
        // Against f64 `pow` rounded once (accurate to far below an f32 ulp
        // of the result, except within ~1e-9 ulp of a rounding tie).
        let mut worst_ulps = 0_u32;
        let mut differing = 0_u32;
        for beta in [0.0_f32, 0.5, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0] {
            for t in (1..=100_000).chain([1 << 20, u32::MAX - 1, u32::MAX]) {
                let want = (1.0 - libm::pow(f64::from(beta), f64::from(t))) as f32;
                let got = one_minus_pow(beta, t);
                let ulps = want.to_bits().abs_diff(got.to_bits());
                worst_ulps = worst_ulps.max(ulps);
                differing += u32::from(ulps != 0);
            }
        }
        assert_eq!((differing, worst_ulps), (0, 0));
    }

    #[test]
    fn cos_turns_is_within_two_ulp() {
        // A dense sweep of [-2, 2] turns plus large and special arguments;
        // error in units of the f32 spacing at the result (or at 2⁻²⁴ near
        // zero, where absolute error is what matters).
        let mut worst = 0.0_f64;
        let sweep = (-2_000_000..=2_000_000).map(|i| i as f32 * 1e-6);
        for x in sweep.chain([1e3, 12_345.678, 4_194_304.5, 8_388_607.5, 1e9]) {
            let want = libm::cos(2.0 * core::f64::consts::PI * f64::from(x));
            let got = f64::from(cos_turns(x));
            let spacing = f64::from(f32::EPSILON) * want.abs().max(0.5);
            worst = worst.max((got - want).abs() / spacing);
        }
        assert!(worst <= 2.0, "worst error {worst} ulp");
        assert!(cos_turns(f32::NAN).is_nan() && cos_turns(f32::INFINITY).is_nan());
    }

    #[test]
    fn softplus_does_not_overflow() {
        assert_eq!(softplus(1000.0), 1000.0);
        assert_eq!(softplus(-1000.0), 0.0);
        assert!((softplus(0.0) - core::f32::consts::LN_2).abs() < 1e-7);
    }
}
