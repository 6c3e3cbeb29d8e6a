use super::{AcceptsActivation, Loss, finite_loss};
use crate::activation::Activation;
use crate::error::Error;

/// Mean squared error: L_i = 1/O Σ_j (o_j - y_j)², so a batch's loss equals
/// PyTorch's `MSELoss()` (mean over all elements) and, for one output, the
/// lecture's 1/n Σ (ŷ_i - y_i)². Gradient 2 (o_j - y_j) / O.
///
/// Works behind any output activation.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MeanSquaredError;

impl crate::buffer::Zeroed for MeanSquaredError {
    const ZERO: Self = MeanSquaredError;
}

impl<A: Activation> AcceptsActivation<A> for MeanSquaredError {}

impl<const O: usize> Loss<[f32; O]> for MeanSquaredError {
    type Target = [f32; O];

    fn row(
        &self,
        out: &[f32; O],
        target: &[f32; O],
        grad: &mut [f32; O],
        row: usize,
    ) -> Result<f32, Error> {
        self.row_values(out, target, grad, row)
    }
}

impl MeanSquaredError {
    /// [`Loss::row`] over slices of one length (`out`'s): the run-time
    /// front end and the typed impl share it.
    #[inline(never)]
    pub(crate) fn row_values(
        &self,
        out: &[f32],
        target: &[f32],
        grad: &mut [f32],
        row: usize,
    ) -> Result<f32, Error> {
        if !crate::buffer::all_finite(target) {
            return Err(Error::NonFiniteTarget { row });
        }
        let inv_o = 1.0 / out.len() as f32;
        let mut sum = 0.0;
        for ((g, o), y) in grad.iter_mut().zip(out).zip(target) {
            let diff = o - y;
            sum += diff * diff;
            *g = 2.0 * diff * inv_o;
        }
        finite_loss(sum * inv_o, out, row)
    }
}
