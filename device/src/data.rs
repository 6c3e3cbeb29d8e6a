//! Data sets stored compactly (in flash) and widened on the fly.

use microprop::Dataset;

/// Rows of `D` `u8` features with a `u8` class label each, widened to
/// `[f32; D]` and multiplied by `scale` as they are read. A data set that
/// would take 4 bytes a feature in RAM takes 1 byte a feature in flash.
///
/// The pixels are stored row after row (`D` bytes a row), the labels one
/// byte a row.
///
/// ```
/// use microprop::Dataset;
/// use microprop_device::U8Dataset;
/// static PIXELS: [u8; 6] = [0, 8, 16, 4, 2, 1];
/// static LABELS: [u8; 2] = [7, 3];
/// let data = U8Dataset::<3>::new(&PIXELS, &LABELS, 1.0 / 16.0).unwrap();
/// let mut x = [0.0; 3];
/// assert_eq!(data.len(), 2);
/// assert_eq!(data.sample(0, &mut x), Some(7));
/// assert_eq!(x, [0.0, 0.5, 1.0]);
/// assert_eq!(data.sample(2, &mut x), None);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct U8Dataset<'a, const D: usize> {
    pixels: &'a [u8],
    labels: &'a [u8],
    scale: f32,
}

impl<'a, const D: usize> U8Dataset<'a, D> {
    /// Pairs `D` pixels a row with one label a row; `None` unless
    /// `pixels.len() == D * labels.len()`. Usable in `const`.
    pub const fn new(pixels: &'a [u8], labels: &'a [u8], scale: f32) -> Option<Self> {
        const { assert!(D > 0, "a row needs at least one feature") };
        match labels.len().checked_mul(D) {
            Some(len) if len == pixels.len() => Some(U8Dataset {
                pixels,
                labels,
                scale,
            }),
            _ => None,
        }
    }

    /// The raw bytes of row `index` and its label.
    pub fn raw(&self, index: usize) -> Option<(&'a [u8], u8)> {
        let start = index.checked_mul(D)?;
        let row = self.pixels.get(start..start.checked_add(D)?)?;
        Some((row, *self.labels.get(index)?))
    }
}

impl<const D: usize> Dataset for U8Dataset<'_, D> {
    type Input = [f32; D];
    type Target = usize;

    fn len(&self) -> usize {
        self.labels.len()
    }

    fn sample(&self, index: usize, x: &mut [f32; D]) -> Option<usize> {
        let (row, label) = self.raw(index)?;
        for (x, &p) in x.iter_mut().zip(row) {
            *x = f32::from(p) * self.scale;
        }
        Some(usize::from(label))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_mismatched_lengths_and_reads_every_row() {
        assert!(U8Dataset::<2>::new(&[1, 2, 3], &[0, 1], 1.0).is_none());
        assert!(U8Dataset::<2>::new(&[1, 2, 3, 4], &[0], 1.0).is_none());
        let data = U8Dataset::<2>::new(&[1, 2, 3, 4], &[5, 6], 0.5);
        let Some(data) = data else {
            unreachable!("lengths agree")
        };
        let mut x = [0.0; 2];
        assert_eq!(data.sample(1, &mut x), Some(6));
        assert_eq!(x, [1.5, 2.0]);
        assert_eq!(data.sample(usize::MAX, &mut x), None);
        assert_eq!(x, [1.5, 2.0], "a refused read leaves the row alone");
    }
}
