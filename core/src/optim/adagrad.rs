use super::{
    Bounds, Epsilon, Gradient, Measure, Optimizer, StepContext, all_below, check_step,
    denominator_floor, gradient_bound, sqrt_bound, update_one_state,
};
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

    fn update<P: Parameters, G: Gradient, M: Measure>(
        &self,
        params: &mut P,
        grads: &G,
        sum_sq: &mut G::Layout,
        ctx: StepContext,
        measure: M,
    ) -> Result<M::Output, Error> {
        let lr = check_step::<P, G::Layout>(&ctx)?;
        let AdaGrad {
            eps,
            epsilon,
            weight_decay,
        } = *self;
        // Bounds on every intermediate of the closure below. s' ≥ +0 needs
        // s ≥ 0 (and the decay in [0, 1]); then the denominator is at least
        // its floor.
        let proven_finite = (|| {
            let w = Bounds::of(params)?;
            let g = gradient_bound(grads)? * ctx.grad_scale.abs();
            let s = Bounds::of_non_negative(sum_sq)?;
            let g = g + weight_decay.abs() * w;
            let g2 = g;
            let s = s + g * g;
            let root = sqrt_bound(s + eps.abs());
            let numerator = lr.abs() * g;
            let update = numerator / denominator_floor(epsilon, eps);
            Some(all_below(&[
                g,
                g2,
                s,
                root + eps.abs(),
                numerator,
                update,
                w + update,
            ]))
        })()
        .unwrap_or(false);
        let change = update_one_state(
            params,
            grads,
            sum_sq,
            ctx.grad_scale,
            proven_finite,
            M::SUMS_CHANGE,
            adagrad_rule(weight_decay, lr, epsilon, eps),
        )?;
        Ok(measure.finish(change))
    }
}

/// `(w, g, s) -> (w', s')`: a non-generic function, so the rule's type, and
/// the update loops compiled for it, are the same for every network.
fn adagrad_rule(
    weight_decay: f32,
    lr: f32,
    epsilon: Epsilon,
    eps: f32,
) -> impl Fn(f32, f32, f32) -> (f32, f32) + Copy {
    move |w, g, s| {
        let g = g + weight_decay * w;
        let s = s + g * g;
        (w - lr * g / epsilon.denominator(s, eps), s)
    }
}
