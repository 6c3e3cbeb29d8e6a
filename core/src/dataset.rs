//! Indexable training data: in RAM, in flash, or computed on demand.

use crate::buffer::Row;

/// A finite, indexable set of samples. The data can live anywhere — a slice
/// in RAM, a `static` table in flash (e.g. pixels stored as `u8` and widened
/// here), or a generator — because a sample is copied into a caller's row.
pub trait Dataset {
    /// One input row, `[f32; I]`.
    type Input: Row;
    /// One target (a class label or a row of values).
    type Target: Copy;

    /// Number of samples.
    fn len(&self) -> usize;

    /// `true` if there are no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes sample `index` into `x` and returns its target, or `None` if
    /// `index >= len()`.
    fn sample(&self, index: usize, x: &mut Self::Input) -> Option<Self::Target>;
}

/// Inputs and targets held in two slices of equal length.
///
/// ```
/// use microprop::{Dataset, SliceDataset};
/// let x = [[0.0, 1.0], [2.0, 3.0]];
/// let y = [1usize, 0];
/// let data = SliceDataset::new(&x, &y).unwrap();
/// let mut row = [0.0; 2];
/// assert_eq!(data.sample(1, &mut row), Some(0));
/// assert_eq!(row, [2.0, 3.0]);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SliceDataset<'a, I, T> {
    inputs: &'a [I],
    targets: &'a [T],
}

impl<'a, I, T> SliceDataset<'a, I, T> {
    /// Pairs the slices; `None` if their lengths differ.
    pub const fn new(inputs: &'a [I], targets: &'a [T]) -> Option<Self> {
        if inputs.len() == targets.len() {
            Some(SliceDataset { inputs, targets })
        } else {
            None
        }
    }
}

impl<I: Row, T: Copy> Dataset for SliceDataset<'_, I, T> {
    type Input = I;
    type Target = T;

    fn len(&self) -> usize {
        self.inputs.len()
    }

    fn sample(&self, index: usize, x: &mut I) -> Option<T> {
        let (row, target) = (self.inputs.get(index)?, self.targets.get(index)?);
        *x = *row;
        Some(*target)
    }
}
