use super::{
    Bounds, Epsilon, Gradient, Measure, Optimizer, StepContext, all_below, check_step,
    denominator_floor, gradient_bound, sqrt_bound, update_one_state,
};
use crate::error::Error;
use crate::params::{ParameterBuffer, Parameters};

/// RMSprop: s ← αs + (1 − α)g², w ← w − lr · g / (sqrt(s) + eps).
/// PyTorch's defaults α = 0.99, eps = 1e-8 outside the root;
/// [`RmsProp::LECTURE`] is the lecture's γ = 0.9 with eps inside.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RmsProp {
    /// α (PyTorch) or γ (the lecture): decay of the squared-gradient average.
    pub alpha: f32,
    /// Added to the denominator for stability.
    pub eps: f32,
    /// Where `eps` goes.
    pub epsilon: Epsilon,
    /// L2 penalty coefficient (0 = off).
    pub weight_decay: f32,
}

impl RmsProp {
    /// PyTorch's defaults.
    pub const PYTORCH: RmsProp = RmsProp {
        alpha: 0.99,
        eps: 1e-8,
        epsilon: Epsilon::Outside,
        weight_decay: 0.0,
    };
    /// The lecture's form: γ = 0.9, eps inside the square root.
    pub const LECTURE: RmsProp = RmsProp {
        alpha: 0.9,
        eps: 1e-8,
        epsilon: Epsilon::Inside,
        weight_decay: 0.0,
    };
}

impl Default for RmsProp {
    fn default() -> Self {
        RmsProp::PYTORCH
    }
}

impl Optimizer for RmsProp {
    type State<G: ParameterBuffer> = G;

    fn update<P: Parameters, G: Gradient, M: Measure>(
        &self,
        params: &mut P,
        grads: &G,
        mean_sq: &mut G::Layout,
        ctx: StepContext,
        measure: M,
    ) -> Result<M::Output, Error> {
        let lr = check_step::<P, G::Layout>(&ctx)?;
        let RmsProp {
            alpha,
            eps,
            epsilon,
            weight_decay,
        } = *self;
        // Bounds on every intermediate of the closure below. s' ≥ +0 needs
        // s ≥ 0 (and the decay in [0, 1]); then the denominator is at least
        // its floor.
        let proven_finite = (|| {
            if !(alpha >= 0.0 && 1.0 - alpha >= 0.0) {
                return None;
            }
            let w = Bounds::of(params)?;
            let g = gradient_bound(grads)? * ctx.grad_scale.abs();
            let s = Bounds::of_non_negative(mean_sq)?;
            let g = g + weight_decay.abs() * w;
            let g2 = (1.0 - alpha).abs() * g;
            let s = alpha.abs() * s + g2 * g;
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
            mean_sq,
            ctx.grad_scale,
            proven_finite,
            M::SUMS_CHANGE,
            rmsprop_rule(weight_decay, alpha, lr, epsilon, eps),
        )?;
        Ok(measure.finish(change))
    }
}

/// `(w, g, s) -> (w', s')`: a non-generic function, so the rule's type, and
/// the update loops compiled for it, are the same for every network.
fn rmsprop_rule(
    weight_decay: f32,
    alpha: f32,
    lr: f32,
    epsilon: Epsilon,
    eps: f32,
) -> impl Fn(f32, f32, f32) -> (f32, f32) + Copy {
    move |w, g, s| {
        let g = g + weight_decay * w;
        let s = alpha * s + (1.0 - alpha) * g * g;
        (w - lr * g / epsilon.denominator(s, eps), s)
    }
}
