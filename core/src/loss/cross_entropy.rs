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
        let log_sum_exp = softmax_into(out, grad);
        if let Some(g) = grad.get_mut(label) {
            *g -= 1.0;
        }
        finite_loss(log_sum_exp - z_label, out, row)
    }
}

/// Writes softmax(`out`) into `grad` and returns log Σ e^{z_k}, computed
/// as max + log Σ e^{z_k − max}.
#[inline]
fn softmax_into(out: &[f32], grad: &mut [f32]) -> f32 {
    let max = out.iter().copied().fold(f32::NEG_INFINITY, math::larger);
    let mut sum = 0.0;
    for (g, z) in grad.iter_mut().zip(out) {
        *g = math::exp(z - max);
        sum += *g;
    }
    let inv_sum = 1.0 / sum;
    grad.iter_mut().for_each(|g| *g *= inv_sum);
    max + math::ln(sum)
}

/// Softmax followed by cross-entropy against a probability vector
/// ("soft" targets: label smoothing, distillation, mixed labels), fused:
/// takes logits (an [`Identity`] output layer) and one non-negative target
/// per class.
///
/// L_i = Σ_j p_j (log Σ_k e^{z_k} − z_j) = −Σ_j p_j log softmax(z)_j;
/// dL_i/dz_j = softmax(z)_j · Σ_k p_k − p_j. The batch mean equals
/// PyTorch's `CrossEntropyLoss()` given class probabilities. For a one-hot
/// target it computes the very operations of [`SoftmaxCrossEntropy`] with
/// that label (every other term is an exact zero), so the loss and the
/// gradient are the same bits. A row counts as correct when the largest
/// logit is the largest target.
///
/// ```
/// use microprop::{Loss, SoftTargetCrossEntropy, SoftmaxCrossEntropy};
/// let logits = [2.0, -1.0, 0.5];
/// let (mut soft, mut hard) = ([0.0; 3], [0.0; 3]);
/// let one_hot = SoftTargetCrossEntropy.row(&logits, &[1.0, 0.0, 0.0], &mut soft, 0).unwrap();
/// let label = SoftmaxCrossEntropy.row(&logits, &0, &mut hard, 0).unwrap();
/// assert_eq!((one_hot, soft), (label, hard));
/// // Label smoothing: 0.1 of the mass spread over the three classes.
/// let smoothed = SoftTargetCrossEntropy
///     .row(&logits, &[0.9 + 0.1 / 3.0, 0.1 / 3.0, 0.1 / 3.0], &mut soft, 0)
///     .unwrap();
/// assert!(smoothed > label);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SoftTargetCrossEntropy;

impl crate::buffer::Zeroed for SoftTargetCrossEntropy {
    const ZERO: Self = SoftTargetCrossEntropy;
}

impl AcceptsActivation<Identity> for SoftTargetCrossEntropy {}

impl<const O: usize> Loss<[f32; O]> for SoftTargetCrossEntropy {
    type Target = [f32; O];

    /// # Errors
    /// [`Error::NonFiniteTarget`] for a NaN or infinite target,
    /// [`Error::InvalidTarget`] for a negative one, [`Error::NonFiniteLoss`].
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
        Some(argmax(out) == argmax(target))
    }
}

impl SoftTargetCrossEntropy {
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
        if target.iter().any(|&p| p < 0.0) {
            return Err(Error::InvalidTarget { row });
        }
        let log_sum_exp = softmax_into(out, grad);
        let mut loss = 0.0;
        let mut mass = 0.0;
        for (&z, &p) in out.iter().zip(target) {
            loss += p * (log_sum_exp - z);
            mass += p;
        }
        for (g, &p) in grad.iter_mut().zip(target) {
            *g = *g * mass - p;
        }
        finite_loss(loss, out, row)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Logits over a wide range, including a dominant one and ties.
    const LOGITS: [[f32; 4]; 5] = [
        [0.0, 0.0, 0.0, 0.0],
        [1.5, -2.25, 0.125, 3.0],
        [-30.0, 12.0, 11.5, -0.75],
        [88.0, -88.0, 0.0, 1e-3],
        [-1e-7, 2e-7, 7.0, 6.999],
    ];

    #[test]
    fn one_hot_soft_targets_are_hard_labels_bit_for_bit() {
        for logits in LOGITS {
            for label in 0..4 {
                let mut one_hot = [0.0f32; 4];
                one_hot[label] = 1.0;
                let (mut soft, mut hard) = ([0.0f32; 4], [0.0f32; 4]);
                let a = SoftTargetCrossEntropy.row(&logits, &one_hot, &mut soft, 0);
                let b = SoftmaxCrossEntropy.row(&logits, &label, &mut hard, 0);
                assert_eq!(
                    a.map(f32::to_bits),
                    b.map(f32::to_bits),
                    "{logits:?} {label}"
                );
                assert_eq!(soft.map(f32::to_bits), hard.map(f32::to_bits));
                assert_eq!(
                    SoftTargetCrossEntropy.correct(&logits, &one_hot),
                    SoftmaxCrossEntropy.correct(&logits, &label)
                );
            }
        }
    }

    #[test]
    fn soft_targets_mix_the_hard_losses_and_gradients() {
        // The loss is linear in the target: p = 0.25·e0 + 0.75·e2 gives
        // 0.25·L(0) + 0.75·L(2), and the gradient mixes the same way.
        let logits = LOGITS[1];
        let (mut g0, mut g2, mut g) = ([0.0f32; 4], [0.0f32; 4], [0.0f32; 4]);
        let l0 = SoftmaxCrossEntropy.row(&logits, &0, &mut g0, 0).unwrap();
        let l2 = SoftmaxCrossEntropy.row(&logits, &2, &mut g2, 0).unwrap();
        let mixed = SoftTargetCrossEntropy
            .row(&logits, &[0.25, 0.0, 0.75, 0.0], &mut g, 0)
            .unwrap();
        assert!((mixed - (0.25 * l0 + 0.75 * l2)).abs() < 1e-6);
        for ((a, b), c) in g.iter().zip(g0).zip(g2) {
            assert!((a - (0.25 * b + 0.75 * c)).abs() < 1e-7);
        }
        // Softmax minus the target: the gradient sums to 0 for a
        // distribution.
        assert!(g.iter().sum::<f32>().abs() < 1e-7);
    }

    #[test]
    fn bad_soft_targets_are_refused() {
        let mut g = [0.0f32; 2];
        let loss = SoftTargetCrossEntropy;
        assert_eq!(
            loss.row(&[0.0, 1.0], &[f32::NAN, 1.0], &mut g, 3),
            Err(Error::NonFiniteTarget { row: 3 })
        );
        assert_eq!(
            loss.row(&[0.0, 1.0], &[-0.5, 1.5], &mut g, 4),
            Err(Error::InvalidTarget { row: 4 })
        );
    }
}
