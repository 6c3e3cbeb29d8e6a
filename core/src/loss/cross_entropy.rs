use super::{AcceptsActivation, Loss, argmax, finite_loss};
use crate::activation::Identity;
use crate::error::Error;
use crate::math;

/// Softmax followed by cross-entropy, fused: takes logits (an
/// [`Identity`] output layer) and a class label.
///
/// L_i = log Σ_k e^{z_k} - z_y, computed as max + log Σ e^{z_k - max}
/// (log-sum-exp) so no logit overflows; dL_i/dz_j = softmax(z)_j - [j = y].
/// The batch mean equals PyTorch's `CrossEntropyLoss()`.
///
/// ```
/// use microprop::{Loss, SoftmaxCrossEntropy};
/// let mut grad = [0.0; 2];
/// let loss = SoftmaxCrossEntropy.row(&[1000.0, 0.0], &0, &mut grad, 0).unwrap();
/// assert_eq!(loss, 0.0);
/// assert_eq!(grad, [0.0, 0.0]);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SoftmaxCrossEntropy;

impl crate::buffer::Zeroed for SoftmaxCrossEntropy {
    const ZERO: Self = SoftmaxCrossEntropy;
}

impl AcceptsActivation<Identity> for SoftmaxCrossEntropy {}

impl<const O: usize> Loss<[f32; O]> for SoftmaxCrossEntropy {
    type Target = usize;

    fn row(
        &self,
        out: &[f32; O],
        &label: &usize,
        grad: &mut [f32; O],
        row: usize,
    ) -> Result<f32, Error> {
        self.row_label(out, label, grad, row)
    }

    fn correct(&self, out: &[f32; O], &label: &usize) -> Option<bool> {
        Some(argmax(out) == label)
    }
}

impl SoftmaxCrossEntropy {
    /// [`Loss::row`] over slices of one length (`out`'s): the run-time
    /// front end and the typed impl share it.
    #[inline(never)]
    pub(crate) fn row_label(
        &self,
        out: &[f32],
        label: usize,
        grad: &mut [f32],
        row: usize,
    ) -> Result<f32, Error> {
        let Some(&z_label) = out.get(label) else {
            return Err(Error::LabelOutOfRange {
                row,
                label,
                classes: out.len(),
            });
        };
        let max = out.iter().copied().fold(f32::NEG_INFINITY, math::larger);
        let mut sum = 0.0;
        for (g, z) in grad.iter_mut().zip(out) {
            *g = math::exp(z - max);
            sum += *g;
        }
        let inv_sum = 1.0 / sum;
        grad.iter_mut().for_each(|g| *g *= inv_sum);
        if let Some(g) = grad.get_mut(label) {
            *g -= 1.0;
        }
        finite_loss(max + math::ln(sum) - z_label, out, row)
    }
}
