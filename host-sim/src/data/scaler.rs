//! Feature scaling of run-time width: one [`NormalizerFit`] per column, so
//! the offsets and scales have the bits the built-in models'
//! [`fit_normalizer`](super::fit_normalizer) gives, and the same
//! `(x − offset) · scale` as [`microprop::Normalizer::apply`].

use microprop::{NormalizerFit, Scaling};

/// Per-column scaling: `x' = (x − offset) · scale`.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnScaler {
    /// Min-max or standard.
    pub scaling: Scaling,
    /// Subtracted first (min or mean), one per column.
    pub offset: Vec<f32>,
    /// Then multiplied (1 / spread; 0 for a constant column).
    pub scale: Vec<f32>,
}

impl ColumnScaler {
    /// Fitted on rows `rows` (in this order) of the row-major `features`
    /// of `width` columns.
    pub fn fit(scaling: Scaling, features: &[f32], width: usize, rows: &[usize]) -> Self {
        let mut fits = vec![NormalizerFit::<1>::new(); width];
        for &r in rows {
            let row = features.get(r * width..(r + 1) * width).unwrap_or(&[]);
            for (fit, &v) in fits.iter_mut().zip(row) {
                fit.observe(&[v]);
            }
        }
        let (offset, scale) = fits
            .iter()
            .map(|f| {
                let n = f.finish(scaling);
                (n.offset[0], n.scale[0])
            })
            .unzip();
        ColumnScaler {
            scaling,
            offset,
            scale,
        }
    }

    /// Columns.
    pub fn width(&self) -> usize {
        self.offset.len()
    }

    /// Scales `row` in place.
    pub fn apply(&self, row: &mut [f32]) {
        for (v, (o, s)) in row.iter_mut().zip(self.offset.iter().zip(&self.scale)) {
            *v = (*v - o) * s;
        }
    }

    /// Undoes [`ColumnScaler::apply`] (a constant column maps to its
    /// offset), as [`microprop::Normalizer::invert`].
    pub fn invert(&self, row: &mut [f32]) {
        for (v, (o, s)) in row.iter_mut().zip(self.offset.iter().zip(&self.scale)) {
            *v = if *s != 0.0 { *v / s + o } else { *o };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::fit_normalizer;

    #[test]
    fn same_bits_as_the_typed_normalizer() {
        let rows = [
            [5.1f32, 3.5, -1.0],
            [4.9, 3.0, -1.0],
            [6.3, 2.2, -1.0],
            [0.1, 9.9, -1.0],
        ];
        let flat: Vec<f32> = rows.iter().flatten().copied().collect();
        let order = [2, 0, 3, 1];
        let ordered: Vec<[f32; 3]> = order.iter().map(|&i| rows[i]).collect();
        for scaling in [Scaling::MinMax, Scaling::Standard] {
            let typed = fit_normalizer(scaling, &ordered);
            let ours = ColumnScaler::fit(scaling, &flat, 3, &order);
            assert_eq!(ours.offset, typed.offset);
            assert_eq!(ours.scale, typed.scale);
            let (mut a, mut b) = (rows[3], rows[3]);
            typed.apply(&mut a);
            ours.apply(&mut b);
            assert_eq!(a.map(f32::to_bits), b.map(f32::to_bits));
            ours.invert(&mut b);
            typed.invert(&mut a);
            assert_eq!(a.map(f32::to_bits), b.map(f32::to_bits));
        }
    }
}
