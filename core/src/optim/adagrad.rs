use super::{Epsilon, Optimizer, StepContext, check_step, update_with_one_state};
use crate::error::Error;
use crate::params::{ParameterBuffer, Parameters};

/// AdaGrad: s ← s + g², w ← w − lr · g / (sqrt(s) + eps).
/// PyTorch's defaults (eps 1e-10 outside the root); `Epsilon::Inside` gives
/// the lecture's w − lr / sqrt(s + eps) · g.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AdaGrad {
    /// Added to the denominator for stability.
    pub eps: f32,
    /// Where `eps` goes.
    pub epsilon: Epsilon,
    /// L2 penalty coefficient (0 = off).
    pub weight_decay: f32,
}

impl AdaGrad {
    /// PyTorch's defaults.
    pub const PYTORCH: AdaGrad = AdaGrad {
        eps: 1e-10,
        epsilon: Epsilon::Outside,
        weight_decay: 0.0,
    };
}

impl Default for AdaGrad {
    fn default() -> Self {
        AdaGrad::PYTORCH
    }
}

impl Optimizer for AdaGrad {
    type State<G: ParameterBuffer> = G;

    fn step<P: Parameters, G: ParameterBuffer>(
        &self,
        params: &mut P,
        grads: &G,
        sum_sq: &mut G,
        ctx: StepContext,
    ) -> Result<f32, Error> {
        let lr = check_step::<P, G>(&ctx)?;
        let AdaGrad {
            eps,
            epsilon,
            weight_decay,
        } = *self;
        update_with_one_state(params, grads, sum_sq, ctx.grad_scale, |w, g, s| {
            let g = g + weight_decay * w;
            let s = s + g * g;
            (w - lr * g / epsilon.denominator(s, eps), s)
        })
    }
}
