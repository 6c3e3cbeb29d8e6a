//! A network's parameters as one flat list, in the fixed order of
//! [`Parameters::slices`]: a `Dense<I, O>` gives `weights[i][o]` input-major,
//! row by row, then `bias[o]`; a `Maxout<I, O, K>` gives `weights[o][k][i]`,
//! then `bias[o][k]`; a chain gives its layers front to back. The same order
//! holds for anything else that implements [`Parameters`]: a trainer's
//! gradient buffer and its optimizer state.
//!
//! [`bits`] is how the tests say "the same, bit for bit": two runs that must
//! compute identical floats compare their bit patterns, so `-0.0` differs from
//! `0.0` and a NaN equals only the same NaN.

use microprop::Parameters;

/// Every scalar of `p`, flattened in the fixed order.
pub fn flat<P: Parameters>(p: &P) -> Vec<f32> {
    p.slices().flatten().copied().collect()
}

/// Overwrites every scalar of `p` with `values`, in the fixed order.
///
/// # Panics
/// If `values` does not hold exactly [`Parameters::LEN`] scalars.
pub fn set_flat<P: Parameters>(p: &mut P, values: &[f32]) {
    assert_eq!(values.len(), P::LEN, "parameter count");
    for (w, &v) in p.slices_mut().flatten().zip(values) {
        *w = v;
    }
}

/// The bit pattern of every scalar of `p`, in the fixed order.
pub fn bits<P: Parameters>(p: &P) -> Vec<u32> {
    p.slices().flatten().map(|v| v.to_bits()).collect()
}

/// The bit pattern of every value of a plain slice (a run-time network's
/// parameters or optimizer state, an output row), to compare with [`bits`].
pub fn slice_bits(values: &[f32]) -> Vec<u32> {
    values.iter().map(|v| v.to_bits()).collect()
}
