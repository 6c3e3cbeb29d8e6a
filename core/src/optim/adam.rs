use super::{Epsilon, Optimizer, StepContext, check_step, update_with_two_states};
use crate::error::Error;
use crate::math;
use crate::params::{ParameterBuffer, Parameters};

/// Adam, and AdamW with [`Adam::adamw`].
///
/// m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g²,
/// w ← w − lr/(1 − β1ᵗ) · m / (sqrt(v)/sqrt(1 − β2ᵗ) + eps), exactly PyTorch's
/// arithmetic; t counts optimizer steps ([`StepContext::step`]), and the bias
/// corrections are computed once per step, not per weight.
/// `Epsilon::Inside` gives the lecture's w − lr / sqrt(v̂ + eps) · m̂.
/// `weight_decay` is L2 (added to the gradient) for Adam and decoupled
/// (w ← w − lr·λ·w before the update) for AdamW.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Adam {
    /// Decay of the first moment (0.9).
    pub beta1: f32,
    /// Decay of the second moment (0.999).
    pub beta2: f32,
    /// Added to the denominator for stability (1e-8).
    pub eps: f32,
    /// Where `eps` goes.
    pub epsilon: Epsilon,
    /// Weight-decay coefficient (0 = off).
    pub weight_decay: f32,
    /// Decoupled weight decay (AdamW) instead of L2.
    pub decoupled: bool,
}

impl Adam {
    /// PyTorch's `Adam` defaults.
    pub const PYTORCH: Adam = Adam {
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        epsilon: Epsilon::Outside,
        weight_decay: 0.0,
        decoupled: false,
    };

    /// PyTorch's `AdamW` with the given decay (PyTorch's default is 0.01).
    pub const fn adamw(weight_decay: f32) -> Adam {
        Adam {
            weight_decay,
            decoupled: true,
            ..Adam::PYTORCH
        }
    }
}

impl Default for Adam {
    fn default() -> Self {
        Adam::PYTORCH
    }
}

impl Optimizer for Adam {
    type State<G: ParameterBuffer> = (G, G);

    fn step<P: Parameters, G: ParameterBuffer>(
        &self,
        params: &mut P,
        grads: &G,
        (m, v): &mut (G, G),
        ctx: StepContext,
    ) -> Result<f32, Error> {
        let lr = check_step::<P, G>(&ctx)?;
        let Adam {
            beta1,
            beta2,
            eps,
            epsilon,
            weight_decay,
            decoupled,
        } = *self;
        let t = ctx.step.max(1);
        let correction1 = math::one_minus_pow(beta1, t);
        let correction2 = math::one_minus_pow(beta2, t);
        let step_size = lr / correction1;
        let sqrt_correction2 = math::sqrt(correction2);
        let (l2, shrink) = if decoupled {
            (0.0, 1.0 - lr * weight_decay)
        } else {
            (weight_decay, 1.0)
        };
        update_with_two_states(params, grads, m, v, ctx.grad_scale, |w, g, m, v| {
            let g = g + l2 * w;
            let w = w * shrink;
            let m = beta1 * m + (1.0 - beta1) * g;
            let v = beta2 * v + (1.0 - beta2) * g * g;
            let denominator = match epsilon {
                Epsilon::Outside => math::sqrt(v) / sqrt_correction2 + eps,
                Epsilon::Inside => math::sqrt(v / correction2 + eps),
            };
            let update = match epsilon {
                Epsilon::Outside => step_size * m / denominator,
                Epsilon::Inside => lr * (m / correction1) / denominator,
            };
            (w - update, m, v)
        })
    }
}
