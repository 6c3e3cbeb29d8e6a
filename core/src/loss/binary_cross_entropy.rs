use super::{AcceptsActivation, Loss, finite_loss};
use crate::activation::Identity;
use crate::error::Error;
use crate::math;

/// Sigmoid followed by binary cross-entropy, fused: takes logits (an
/// [`Identity`] output layer) and targets in [0, 1], one per output.
///
/// L_i = 1/O Σ_j [softplus(z_j) - z_j y_j], where softplus(z) =
/// max(z, 0) + ln(1 + e^{-|z|}) never overflows; dL_i/dz_j =
/// (σ(z_j) - y_j) / O. The batch mean equals PyTorch's `BCEWithLogitsLoss()`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SigmoidBinaryCrossEntropy;

impl crate::buffer::Zeroed for SigmoidBinaryCrossEntropy {
    const ZERO: Self = SigmoidBinaryCrossEntropy;
}

impl AcceptsActivation<Identity> for SigmoidBinaryCrossEntropy {}

impl<const O: usize> Loss<[f32; O]> for SigmoidBinaryCrossEntropy {
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

    fn correct(&self, out: &[f32; O], target: &[f32; O]) -> Option<bool> {
        Some(Self::correct_values(out, target))
    }
}

impl SigmoidBinaryCrossEntropy {
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
        if target.iter().any(|y| !(0.0..=1.0).contains(y)) {
            return Err(Error::InvalidTarget { row });
        }
        let inv_o = 1.0 / out.len() as f32;
        let mut sum = 0.0;
        for ((g, &z), &y) in grad.iter_mut().zip(out).zip(target) {
            sum += math::softplus(z) - z * y;
            *g = (math::sigmoid(z) - y) * inv_o;
        }
        finite_loss(sum * inv_o, out, row)
    }

    /// Every output on the target's side of 0.5.
    pub(crate) fn correct_values(out: &[f32], target: &[f32]) -> bool {
        out.iter()
            .zip(target)
            .all(|(&z, &y)| (z > 0.0) == (y > 0.5))
    }
}
