//! Feature scaling, fitted in one streaming pass and kept with the model.

use crate::buffer::Row;

/// Which scaling a [`Normalizer`] applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Scaling {
    /// x' = (x − min) / (max − min), into [0, 1] (the lecture's).
    MinMax,
    /// x' = (x − mean) / std (population std): zero mean, unit variance.
    Standard,
}

/// One streaming pass over rows of `D` features: min, max, and mean and
/// variance by Welford's algorithm in `f64`, so a data set in flash is read
/// once and nothing is stored per row.
///
/// ```
/// use microprop::{NormalizerFit, Scaling};
/// let mut fit = NormalizerFit::<2>::new();
/// for row in [[1000.0, 1.0], [3000.0, 2.0]] {
///     fit.observe(&row);
/// }
/// let n = fit.finish(Scaling::MinMax);
/// let mut x = [2000.0, 2.0];
/// n.apply(&mut x);
/// assert_eq!(x, [0.5, 1.0]);
/// n.invert(&mut x);
/// assert_eq!(x, [2000.0, 2.0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NormalizerFit<const D: usize> {
    count: u64,
    min: [f32; D],
    max: [f32; D],
    mean: [f64; D],
    m2: [f64; D],
}

impl<const D: usize> NormalizerFit<D> {
    /// Nothing observed yet. Usable in `const`.
    pub const fn new() -> Self {
        NormalizerFit {
            count: 0,
            min: [f32::INFINITY; D],
            max: [f32::NEG_INFINITY; D],
            mean: [0.0; D],
            m2: [0.0; D],
        }
    }

    /// Rows observed.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds one row. Non-finite values are skipped for min/max and would
    /// poison the mean, so the row is refused: returns `false` and changes
    /// nothing.
    pub fn observe(&mut self, row: &[f32; D]) -> bool {
        if !crate::buffer::all_finite(row) {
            return false;
        }
        self.count += 1;
        let n = self.count as f64;
        for ((((&v, lo), hi), mean), m2) in row
            .iter()
            .zip(&mut self.min)
            .zip(&mut self.max)
            .zip(&mut self.mean)
            .zip(&mut self.m2)
        {
            *lo = lo.min(v);
            *hi = hi.max(v);
            let v = f64::from(v);
            let delta = v - *mean;
            *mean += delta / n;
            *m2 += delta * (v - *mean);
        }
        true
    }

    /// The fitted normalizer. A feature that never varies maps to 0 (no
    /// division by zero); with no rows observed, the identity.
    pub fn finish(&self, scaling: Scaling) -> Normalizer<[f32; D]> {
        let mut offset = [0.0f32; D];
        let mut scale = [1.0f32; D];
        if self.count == 0 {
            return Normalizer {
                scaling,
                offset,
                scale,
            };
        }
        let n = self.count as f64;
        for (i, (o, s)) in offset.iter_mut().zip(scale.iter_mut()).enumerate() {
            let (lo, hi, mean, m2) = (
                self.min.get(i).copied().unwrap_or(0.0),
                self.max.get(i).copied().unwrap_or(0.0),
                self.mean.get(i).copied().unwrap_or(0.0),
                self.m2.get(i).copied().unwrap_or(0.0),
            );
            let (center, spread) = match scaling {
                Scaling::MinMax => (f64::from(lo), f64::from(hi) - f64::from(lo)),
                Scaling::Standard => (mean, libm::sqrt(m2 / n)),
            };
            *o = center as f32;
            *s = if spread > 0.0 {
                (1.0 / spread) as f32
            } else {
                0.0
            };
        }
        Normalizer {
            scaling,
            offset,
            scale,
        }
    }
}

impl<const D: usize> Default for NormalizerFit<D> {
    fn default() -> Self {
        Self::new()
    }
}

/// A fitted per-feature scaling x' = (x − offset) · scale of rows of type
/// `X` (`[f32; D]`, e.g. a network's `Layer::Input`), stored with a model
/// so inference applies the same transform as training. Its inverse turns
/// scaled regression outputs back into the target's units.
///
/// ```
/// use microprop::{Normalizer, Scaling};
/// let n = Normalizer::<[f32; 2]> { scaling: Scaling::MinMax, offset: [10.0, 0.0], scale: [0.5, 1.0] };
/// let mut x = [14.0, 3.0];
/// n.apply(&mut x);
/// assert_eq!(x, [2.0, 3.0]);
/// n.invert(&mut x);
/// assert_eq!(x, [14.0, 3.0]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalizer<X> {
    /// The scaling this was fitted for.
    pub scaling: Scaling,
    /// Subtracted first (min or mean), one per feature.
    pub offset: X,
    /// Multiplied second (1/range or 1/std; 0 for a constant feature).
    pub scale: X,
}

impl<X: Row> Normalizer<X> {
    /// The identity transform. Usable in `const`.
    pub const IDENTITY: Self = Normalizer {
        scaling: Scaling::MinMax,
        offset: X::ZERO,
        scale: X::ONES,
    };

    /// Scales `x` in place.
    #[inline]
    pub fn apply(&self, x: &mut X) {
        let scaling = self.offset.as_slice().iter().zip(self.scale.as_slice());
        for (v, (o, s)) in x.as_mut_slice().iter_mut().zip(scaling) {
            *v = (*v - o) * s;
        }
    }

    /// Undoes [`Normalizer::apply`] in place (a constant feature comes back
    /// as its constant).
    #[inline]
    pub fn invert(&self, x: &mut X) {
        let scaling = self.offset.as_slice().iter().zip(self.scale.as_slice());
        for (v, (o, s)) in x.as_mut_slice().iter_mut().zip(scaling) {
            *v = if *s != 0.0 { *v / s + o } else { *o };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_scaling_matches_two_pass_statistics() {
        let rows = [[1.0f32, 5.0], [2.0, 5.0], [4.0, 5.0], [9.0, 5.0]];
        let mut fit = NormalizerFit::<2>::new();
        rows.iter().for_each(|r| assert!(fit.observe(r)));
        assert!(!fit.observe(&[f32::NAN, 0.0]));
        assert_eq!(fit.count(), 4);
        let n = fit.finish(Scaling::Standard);
        let mean = 4.0f64;
        let var = [9.0f64, 4.0, 0.0, 25.0].iter().sum::<f64>() / 4.0;
        assert_eq!(n.offset, [mean as f32, 5.0]);
        assert_eq!(n.scale, [(1.0 / var.sqrt()) as f32, 0.0]);
        let mut x = [4.0, 5.0];
        n.apply(&mut x);
        assert_eq!(x, [0.0, 0.0]);
        n.invert(&mut x);
        assert_eq!(x, [4.0, 5.0]);
    }
}
