//! Input scaling fitted on the training rows with the core's
//! [`NormalizerFit`], the normaliser the firmware ships with a model.

use microprop::{Normalizer, NormalizerFit, Scaling};

/// The normaliser for `scaling` fitted on `rows` in one pass of the core's
/// [`NormalizerFit`]; rows with a non-finite value are left out of the fit.
/// Apply it with [`crate::data::LabeledSet::normalize`], or give it to
/// `fit` and keep it in the [`microprop::Model`].
///
/// ```
/// use microprop::Scaling;
/// use microprop_sim::data::fit_normalizer;
/// let n = fit_normalizer(Scaling::MinMax, &[[0.0, 10.0], [2.0, 30.0]]);
/// let mut x = [1.0, 30.0];
/// n.apply(&mut x);
/// assert_eq!(x, [0.5, 1.0]);
/// ```
pub fn fit_normalizer<const D: usize>(scaling: Scaling, rows: &[[f32; D]]) -> Normalizer<[f32; D]> {
    let mut fit = NormalizerFit::<D>::new();
    for row in rows {
        fit.observe(row);
    }
    fit.finish(scaling)
}
