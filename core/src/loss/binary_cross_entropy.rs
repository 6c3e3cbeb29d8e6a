use super::{AcceptsActivation, Loss, finite_loss};
use crate::activation::{Identity, Sigmoid};
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
        check_probabilities(target, row)?;
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

/// Refuses targets that are not finite or not in [0, 1].
fn check_probabilities(target: &[f32], row: usize) -> Result<(), Error> {
    if !crate::buffer::all_finite(target) {
        return Err(Error::NonFiniteTarget { row });
    }
    if target.iter().any(|y| !(0.0..=1.0).contains(y)) {
        return Err(Error::InvalidTarget { row });
    }
    Ok(())
}

/// Binary cross-entropy on probabilities: takes the outputs of a
/// [`Sigmoid`] output layer and targets in [0, 1], one per output.
///
/// L_i = 1/O Σ_j −[y_j log p_j + (1 − y_j) log(1 − p_j)], each logarithm
/// clamped to at least −100 as PyTorch's `BCELoss()` does (so a saturated
/// output gives a large finite loss, not infinity); dL_i/dp_j =
/// (p_j − y_j) / max(p_j (1 − p_j), 10⁻¹²) / O. The batch mean equals
/// `BCELoss()`. The trainer then multiplies by the sigmoid's derivative
/// p (1 − p), which gives (p − y) / O as the fused
/// [`SigmoidBinaryCrossEntropy`] does on logits, up to rounding; the fused
/// loss is the better choice when the output layer is yours to pick (no
/// saturation, one division less), this one when the network must output
/// probabilities. Outputs outside [0, 1] have no loss:
/// [`Error::NonFiniteLoss`].
///
/// ```
/// use microprop::{BinaryCrossEntropy, Loss, SigmoidBinaryCrossEntropy, math};
/// let logits = [1.5f32, -0.5];
/// let probabilities = logits.map(math::sigmoid);
/// let target = [1.0, 0.0];
/// let mut grad = [0.0; 2];
/// let on_probabilities = BinaryCrossEntropy.row(&probabilities, &target, &mut grad, 0).unwrap();
/// let on_logits = SigmoidBinaryCrossEntropy.row(&logits, &target, &mut grad, 0).unwrap();
/// assert!((on_probabilities - on_logits).abs() < 1e-6);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BinaryCrossEntropy;

impl crate::buffer::Zeroed for BinaryCrossEntropy {
    const ZERO: Self = BinaryCrossEntropy;
}

impl AcceptsActivation<Sigmoid> for BinaryCrossEntropy {}

/// PyTorch's floor on the logarithms of `BCELoss`.
const LOG_FLOOR: f32 = -100.0;

/// PyTorch's floor on p (1 − p) in the gradient of `BCELoss`.
const VARIANCE_FLOOR: f32 = 1e-12;

impl<const O: usize> Loss<[f32; O]> for BinaryCrossEntropy {
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

impl BinaryCrossEntropy {
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
        check_probabilities(target, row)?;
        if out.iter().any(|p| !(0.0..=1.0).contains(p)) {
            return Err(Error::NonFiniteLoss { row });
        }
        let inv_o = 1.0 / out.len() as f32;
        let mut sum = 0.0;
        for ((g, &p), &y) in grad.iter_mut().zip(out).zip(target) {
            let log_p = math::larger(LOG_FLOOR, math::ln(p));
            let log_not_p = math::larger(LOG_FLOOR, math::ln_1p(-p));
            sum += (y - 1.0) * log_not_p - y * log_p;
            *g = (p - y) / math::larger(VARIANCE_FLOOR, p * (1.0 - p)) * inv_o;
        }
        finite_loss(sum * inv_o, out, row)
    }

    /// Every probability on the target's side of 0.5.
    pub(crate) fn correct_values(out: &[f32], target: &[f32]) -> bool {
        out.iter()
            .zip(target)
            .all(|(&p, &y)| (p > 0.5) == (y > 0.5))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::activation::Activation;

    #[test]
    fn on_sigmoid_outputs_it_matches_the_fused_loss_on_logits() {
        let logits = [-12.0f32, -3.5, -0.25, 0.0, 0.8, 2.5, 4.0];
        let probabilities = logits.map(math::sigmoid);
        for target in [[0.0f32; 7], [1.0; 7], [0.0, 1.0, 0.3, 0.5, 1.0, 0.0, 0.9]] {
            let (mut g_prob, mut g_logit) = ([0.0f32; 7], [0.0f32; 7]);
            let on_probabilities = BinaryCrossEntropy
                .row(&probabilities, &target, &mut g_prob, 0)
                .unwrap();
            let on_logits = SigmoidBinaryCrossEntropy
                .row(&logits, &target, &mut g_logit, 0)
                .unwrap();
            let scale = on_logits.abs().max(1.0);
            assert!(
                (on_probabilities - on_logits).abs() < 2e-6 * scale,
                "{on_probabilities} vs {on_logits} for {target:?}"
            );
            // Behind the sigmoid (what the trainer does): dL/dz.
            crate::activation::Sigmoid.backward(&probabilities, &mut g_prob);
            for (a, b) in g_prob.iter().zip(g_logit) {
                assert!((a - b).abs() < 1e-6, "{g_prob:?} vs {g_logit:?}");
            }
            assert_eq!(
                BinaryCrossEntropy.correct(&probabilities, &target),
                SigmoidBinaryCrossEntropy.correct(&logits, &target)
            );
        }
    }

    #[test]
    fn saturated_outputs_give_pytorchs_clamped_loss() {
        let mut g = [0.0f32; 2];
        // log(0) clamped to -100: BCELoss(p = [0, 1], y = [1, 0]) = 100.
        let loss = BinaryCrossEntropy.row(&[0.0, 1.0], &[1.0, 0.0], &mut g, 0);
        assert_eq!(loss, Ok(100.0));
        assert!(g.iter().all(|v| v.is_finite()));
        // Right on the target: no loss, no gradient.
        let loss = BinaryCrossEntropy.row(&[0.0, 1.0], &[0.0, 1.0], &mut g, 0);
        assert_eq!(loss, Ok(0.0));
        assert_eq!(g, [0.0, 0.0]);
    }

    #[test]
    fn outputs_that_are_not_probabilities_are_refused() {
        let mut g = [0.0f32; 1];
        for p in [-0.25f32, 1.5, f32::NAN] {
            assert_eq!(
                BinaryCrossEntropy.row(&[p], &[1.0], &mut g, 2),
                Err(Error::NonFiniteLoss { row: 2 })
            );
        }
        assert_eq!(
            BinaryCrossEntropy.row(&[0.5], &[2.0], &mut g, 1),
            Err(Error::InvalidTarget { row: 1 })
        );
    }

    #[test]
    fn a_sigmoid_network_trains_like_the_fused_loss_on_logits() {
        use crate::{Dense, Identity, Inference, Layer, Sgd, Trainer};
        // The same initial weights: Xavier depends on the widths only.
        let mut probabilities = Dense::<3, 2, Sigmoid>::ZERO;
        probabilities.init(crate::Init::Xavier, &mut crate::init::seeded(5));
        let mut logits = Dense::<3, 2, Identity>::ZERO;
        logits.init(crate::Init::Xavier, &mut crate::init::seeded(5));
        let x = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]];
        let y = [[1.0, 0.0], [0.2, 0.9]];
        let mut on_p = Trainer::<_, _, _, 2>::new(BinaryCrossEntropy, Sgd);
        let mut on_z = Trainer::<_, _, _, 2>::new(SigmoidBinaryCrossEntropy, Sgd);
        for _ in 0..50 {
            let a = on_p.train_step(&mut probabilities, &x, &y, 0.5).unwrap();
            let b = on_z.train_step(&mut logits, &x, &y, 0.5).unwrap();
            assert!((a.loss - b.loss).abs() < 1e-5, "{a:?} vs {b:?}");
        }
        for row in x {
            let p = *Inference::new().predict(&probabilities, &row).unwrap();
            let z = *Inference::new().predict(&logits, &row).unwrap();
            for (a, b) in p.iter().zip(z.map(math::sigmoid)) {
                assert!((a - b).abs() < 1e-5, "{p:?} vs sigmoid of {z:?}");
            }
        }
    }
}
