//! Symmetric int8 quantisation, the arithmetic of
//! [`QuantizedDense`](crate::QuantizedDense).
//!
//! **Weights**: one scale per output channel (unit), zero point 0, values
//! in `-127..=127`: the per-channel convention of TFLite and CMSIS-NN
//! (`-128` is never produced), so weights quantised by those tools load
//! unchanged. A channel's scale is `max|w| / 127`
//! ([`channel_scale`]) and a weight becomes `round(w / scale)`
//! ([`quantize_value`]): rounded to nearest, ties to even (IEEE-754's
//! default, NumPy's `round` and TFLite's converter), saturating at ±127.
//!
//! **Inputs** stay f32 for the caller; the layer quantises each input row
//! the same way with one scale for the row (`max|x| / 127`, computed per
//! row, PyTorch's dynamic quantisation without its zero point), and then
//! computes, for every unit `o`,
//!
//! ```text
//! acc[o] = Σ_i w_q[o][i] · x_q[i]            (i32, exact)
//! out[o] = bias[o] + (s_x · s_w[o]) · f32(acc[o])
//! ```
//!
//! **Why host and Cortex-M get the same bits**: the sum is in integers,
//! exact whatever the order (`|acc| ≤ I·127²` fits an `i32` for
//! `I ≤ 133 144`, checked at compile time), and every float step is one
//! IEEE-754 operation, correctly rounded to nearest even on every target:
//! the scale divisions, the rounding ([`round_ties_even`], two additions),
//! the `i32 → f32` conversion, two multiplications and one addition, in
//! that order (Rust never fuses a multiply and an add on its own). A
//! thumbv6m build does the same operations in software and gets the same
//! bits. Compared with summing `w_q·x` in f32, this also makes the
//! Cortex-M0 path integer-only for the `I·O` products.
//!
//! A non-finite input row gives NaN outputs (so a trainer reports a
//! non-finite loss instead of training on a clipped row).
//!
//! ```
//! use microprop::quantize::{channel_scale, quantize_value};
//! let scale = channel_scale(63.5);
//! assert_eq!(scale, 0.5);
//! assert_eq!(quantize_value(63.5, scale), 127);
//! assert_eq!(quantize_value(-25.0, scale), -50);
//! assert_eq!(quantize_value(0.25, scale), 0); // 0.5 rounds to even
//! assert_eq!(quantize_value(0.75, scale), 2); // 1.5 too
//! assert_eq!(quantize_value(99.0, scale), 127); // saturates
//! ```

/// The largest quantised magnitude: values are in `-127..=127`.
pub const QMAX: i8 = 127;

/// Largest input width whose integer sums cannot overflow an `i32`:
/// `I · 127 · 127 ≤ i32::MAX`.
pub const MAX_INPUTS: usize = (i32::MAX as usize) / (127 * 127);

/// 1.5 · 2^23: adding and subtracting it rounds an f32 of magnitude below
/// 2^22 to an integer, ties to even.
const ROUNDING: f32 = 12_582_912.0;

/// `x` rounded to the nearest integer, ties to even, for `|x| ≤ 2^22`
/// (larger values, NaN and infinities are returned unchanged): `(x + 1.5·2^23) −
/// 1.5·2^23`, two correctly rounded additions, so the same bits on every
/// target and in `const` evaluation.
///
/// ```
/// use microprop::quantize::round_ties_even;
/// assert_eq!(round_ties_even(2.5), 2.0);
/// assert_eq!(round_ties_even(3.5), 4.0);
/// assert_eq!(round_ties_even(-0.5), 0.0);
/// assert_eq!(round_ties_even(0.49999997), 0.0);
/// assert_eq!(round_ties_even(-126.51), -127.0);
/// ```
pub const fn round_ties_even(x: f32) -> f32 {
    if x.abs() <= 4_194_304.0 {
        (x + ROUNDING) - ROUNDING
    } else {
        x
    }
}

/// The scale of a channel (or input row) whose largest magnitude is
/// `max_abs`: `max_abs / 127`, so the largest value maps to ±127. An
/// all-zero channel has scale 0 (its values all quantise to 0).
pub const fn channel_scale(max_abs: f32) -> f32 {
    max_abs / QMAX as f32
}

/// `round(x / scale)` (ties to even), saturated to `-127..=127`; 0 for a
/// scale of 0 or a NaN quotient.
pub const fn quantize_value(x: f32, scale: f32) -> i8 {
    if scale == 0.0 {
        return 0;
    }
    let q = x / scale;
    // Clamp first (NaN fails both tests and casts to 0), then round.
    let q = if q > 127.0 {
        127.0
    } else if q < -127.0 {
        -127.0
    } else {
        q
    };
    round_ties_even(q) as i8
}

/// The largest magnitude of `values`, and whether all are finite.
const fn max_abs(values: &[f32]) -> (f32, bool) {
    let mut max = 0.0f32;
    let mut i = 0;
    while i < values.len() {
        let a = values[i].abs();
        if !a.is_finite() {
            return (a, false);
        }
        if a > max {
            max = a;
        }
        i += 1;
    }
    (max, true)
}

/// Quantises one channel: writes `round(w / s)` for each of `weights`
/// to `out` (up to the shorter length) and returns `s`, the channel's
/// scale, or `None` (writing nothing) if a weight is NaN or infinite.
///
/// ```
/// use microprop::quantize::quantize_channel;
/// let mut q = [0i8; 3];
/// let scale = quantize_channel(&[16.0, -63.5, 0.0], &mut q).unwrap();
/// assert_eq!((scale, q), (0.5, [32, -127, 0]));
/// assert!(quantize_channel(&[f32::NAN], &mut [0]).is_none());
/// ```
pub const fn quantize_channel(weights: &[f32], out: &mut [i8]) -> Option<f32> {
    let (max, finite) = max_abs(weights);
    if !finite {
        return None;
    }
    let scale = channel_scale(max);
    let mut i = 0;
    while i < weights.len() && i < out.len() {
        out[i] = quantize_value(weights[i], scale);
        i += 1;
    }
    Some(scale)
}

/// The int8 affine map of one row, as the module documents:
/// `out[o] = bias[o] + (s_x · scales[o]) · Σ_i weights[o][i] · xq[i]`
/// with `xq` the row quantised in place. A non-finite row gives NaN
/// outputs.
pub(crate) fn affine<const I: usize, const O: usize>(
    x: &[f32; I],
    weights: &[[i8; I]; O],
    scales: &[f32; O],
    bias: &[f32; O],
    xq: &mut [i8; I],
    out: &mut [f32; O],
) {
    let Some(s_x) = quantize_channel(x, xq) else {
        *out = [f32::NAN; O];
        return;
    };
    // Two units a pass share each load of the quantised input (the sums
    // are exact integers, so how they are grouped does not change a bit);
    // on the Cortex-M4F this took fewer instructions than one unit a pass
    // or four (the int8 mode of `firmware/personalise.py`). A last odd
    // unit goes alone.
    let mut sums = [0i32; O];
    let mut pairs = sums.chunks_exact_mut(2);
    let mut rows = weights.chunks_exact(2);
    for (acc, rows) in (&mut pairs).zip(&mut rows) {
        if let ([a0, a1], [w0, w1]) = (acc, rows) {
            for ((&q, &u), &v) in xq.iter().zip(w0).zip(w1) {
                let q = i32::from(q);
                *a0 += i32::from(u) * q;
                *a1 += i32::from(v) * q;
            }
        }
    }
    for (acc, row) in pairs.into_remainder().iter_mut().zip(rows.remainder()) {
        *acc = row
            .iter()
            .zip(xq.iter())
            .fold(0i32, |acc, (&w, &q)| acc + i32::from(w) * i32::from(q));
    }
    for (((out, acc), s_w), b) in out.iter_mut().zip(sums).zip(scales).zip(bias) {
        *out = b + (s_x * s_w) * acc as f32;
    }
}

/// dL/d(input) of [`affine`] for one row, the input's quantisation passed
/// straight through: `delta[i] = Σ_o (scales[o] · dz[o]) · weights[o][i]`,
/// summed over units in index order (the gradient of the layer with the
/// dequantised weights, up to the order of its roundings).
pub(crate) fn input_gradient<const I: usize, const O: usize>(
    weights: &[[i8; I]; O],
    scales: &[f32; O],
    dz: &[f32; O],
    delta: &mut [f32; I],
) {
    *delta = [0.0; I];
    for ((row, s_w), g) in weights.iter().zip(scales).zip(dz) {
        let g = s_w * g;
        for (d, &w) in delta.iter_mut().zip(row) {
            *d += g * f32::from(w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_ties_to_even_and_saturates() {
        for (x, want) in [
            (0.5, 0.0),
            (1.5, 2.0),
            (-1.5, -2.0),
            (-2.5, -2.0),
            (126.5, 126.0),
            (0.499_999_97, 0.0),
            (8_388_609.0, 8_388_609.0),
        ] {
            assert_eq!(round_ties_even(x), want, "{x}");
        }
        assert_eq!(quantize_value(1e9, 1.0), 127);
        assert_eq!(quantize_value(-1e9, 1.0), -127);
        assert_eq!(quantize_value(f32::NAN, 1.0), 0);
        assert_eq!(quantize_value(3.0, 0.0), 0);
    }

    #[test]
    fn every_quantised_value_is_within_half_a_step() {
        let w: [f32; 9] = [0.3, -0.71, 0.05, 1.9, -1.9, 0.0, 1e-4, -0.999, 0.62];
        let mut q = [0i8; 9];
        // A refusal (NaN) fails every comparison below.
        let s = quantize_channel(&w, &mut q).unwrap_or(f32::NAN);
        for (w, q) in w.iter().zip(q) {
            assert!(
                (w - f32::from(q) * s).abs() <= s / 2.0 * 1.000_001,
                "{w} {q}"
            );
        }
        assert_eq!(q[3], 127);
        assert_eq!(q[4], -127);
    }

    #[test]
    fn affine_sums_integers_then_scales_once() {
        let x = [127.0, -63.5, 31.75];
        let w = [[10i8, -20, 30], [127, 0, -127]];
        let (scales, bias) = ([0.5, 0.25], [1.0, -1.0]);
        let (mut xq, mut out) = ([0i8; 3], [0.0f32; 2]);
        affine(&x, &w, &scales, &bias, &mut xq, &mut out);
        let s_x = 1.0f32;
        assert_eq!(xq, [127, -64, 32]); // -63.5 → -64 (even), 31.75 → 32
        let acc = [10 * 127 + 20 * 64 + 30 * 32, 127 * 127 - 127 * 32];
        for o in 0..2 {
            let want = bias[o] + (s_x * scales[o]) * acc[o] as f32;
            assert_eq!(out[o].to_bits(), want.to_bits());
        }
        affine(
            &[f32::INFINITY, 0.0, 0.0],
            &w,
            &scales,
            &bias,
            &mut xq,
            &mut out,
        );
        assert!(out.iter().all(|v| v.is_nan()));
    }

    #[test]
    fn the_largest_width_cannot_overflow() {
        assert!(MAX_INPUTS * 127 * 127 <= i32::MAX as usize);
        assert!((MAX_INPUTS + 1) * 127 * 127 > i32::MAX as usize);
    }
}
