//! What an optimizer reads its gradient from.
//!
//! A gradient is a sequence of outer products, one per parameter slice (in
//! [`Parameters::slices`](crate::Parameters::slices) order): slice `k`'s gradient is `a ⊗ d`, i.e.
//! `g[r·len(d) + o] = a[r]·d[o]`. A dense layer's weight gradient at batch 1
//! is exactly that (`a` = the layer's input row, `d` = dL/dZ), so the fused
//! step of [`FusedTrainer`](crate::FusedTrainer) never stores it; a
//! materialised buffer (any [`ParameterBuffer`]) is the case `a = [1]`, and
//! `1·g = g` bit for bit, so both go through the same update engines
//! ([`super::engine`]).

use super::Bounds;
use crate::params::ParameterBuffer;

/// A gradient as outer products, one per parameter slice.
///
/// Implemented by every [`ParameterBuffer`] (a materialised gradient: a
/// trainer's gradient buffer, an array) and by the fused batch-1 step,
/// which describes each dense layer's gradient by its input row and its
/// dL/dZ row.
///
/// ```
/// use microprop::optim::Gradient;
/// let g = [0.5_f32, -2.0];
/// let mut slices = 0;
/// g.for_each_slice(|a, d| {
///     assert_eq!((a, d), (&[1.0][..], &g[..]));
///     slices += 1;
/// });
/// assert_eq!(slices, 1);
/// ```
pub trait Gradient {
    /// A buffer type with the layout of this gradient (the same slices in
    /// the same order): what an optimizer's state is shaped by.
    type Layout: ParameterBuffer;
    /// Calls `f(a, d)` for each parameter slice, in [`Parameters::slices`](crate::Parameters::slices)
    /// order: the slice's gradient is `g[r·len(d) + o] = a[r]·d[o]`.
    fn for_each_slice(&self, f: impl FnMut(&[f32], &[f32]));
}

/// `a = [1]` for a materialised gradient slice.
pub(super) const ONE: [f32; 1] = [1.0];

/// A gradient stored in a buffer shaped like the parameters: each slice is
/// the outer product `[1] ⊗ g`.
impl<G: ParameterBuffer> Gradient for G {
    type Layout = G;
    #[inline]
    fn for_each_slice(&self, mut f: impl FnMut(&[f32], &[f32])) {
        for g in self.slices() {
            f(&ONE, g);
        }
    }
}

/// A bound on every `|g|` of `grads` (before scaling), or `None` if a value
/// is not finite or the bound overflows: the largest `bound(a)·bound(d)`
/// over the slices. In f32: rounding is monotonic, so every computed
/// `a[r]·d[o]` is at most the rounded product of the bounds. The update
/// loops compute `(a[r]·scale)·d[o]` and the callers bound it as
/// `(bound(a)·bound(d))·|scale|`, another order: the margin of
/// [`LIMIT`](super::LIMIT) covers that.
pub(super) fn gradient_bound(grads: &impl Gradient) -> Option<f32> {
    let mut largest = Some(0.0_f32);
    grads.for_each_slice(|a, d| {
        let a = if a == ONE {
            Some(1.0)
        } else {
            Bounds::of_slice(a)
        };
        let bound = a.zip(Bounds::of_slice(d)).map(|(a, d)| a * d);
        largest = match (largest, bound) {
            (Some(l), Some(b)) if b.is_finite() => Some(crate::math::larger(l, b)),
            _ => None,
        };
    });
    largest
}
