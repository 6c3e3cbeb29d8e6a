use super::{
    Bounds, Gradient, Measure, Optimizer, StepContext, all_below, check_step, gradient_bound,
    update_one_state,
};
use crate::error::Error;
use crate::params::{ParameterBuffer, Parameters};

/// SGD with momentum, PyTorch's form: h ← βh + g, w ← w − lr·h (the
/// lecture's h(t) = β h(t−1) + ∇L). With `nesterov`, w ← w − lr·(g + βh).
/// Optional L2 weight decay adds `weight_decay · w` to the gradient.
///
/// ```
/// use microprop::{Momentum, Optimizer, StepContext, Unmeasured};
/// let opt = Momentum::new(0.9);
/// let (mut w, mut h) = ([1.0_f32], [0.0_f32]);
/// let ctx = |step| StepContext { learning_rate: 0.1, grad_scale: 1.0, step };
/// opt.update(&mut w, &[1.0], &mut h, ctx(1), Unmeasured).unwrap(); // h = 1,   w = 0.9
/// opt.update(&mut w, &[1.0], &mut h, ctx(2), Unmeasured).unwrap(); // h = 1.9, w = 0.71
/// assert_eq!(h, [1.9]);
/// assert!((w[0] - 0.71).abs() < 1e-6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Momentum {
    /// β, the fraction of the previous velocity kept (0.9 is usual).
    pub momentum: f32,
    /// Nesterov's look-ahead form.
    pub nesterov: bool,
    /// L2 penalty coefficient (0 = off).
    pub weight_decay: f32,
}

impl Momentum {
    /// Classical momentum β, no Nesterov, no weight decay.
    pub const fn new(momentum: f32) -> Self {
        Momentum {
            momentum,
            nesterov: false,
            weight_decay: 0.0,
        }
    }
}

impl Default for Momentum {
    fn default() -> Self {
        Momentum::new(0.9)
    }
}

impl Optimizer for Momentum {
    type State<G: ParameterBuffer> = G;

    fn update<P: Parameters, G: Gradient, M: Measure>(
        &self,
        params: &mut P,
        grads: &G,
        velocity: &mut G::Layout,
        ctx: StepContext,
        measure: M,
    ) -> Result<M::Output, Error> {
        let lr = check_step::<P, G::Layout>(&ctx)?;
        let Momentum {
            momentum: beta,
            nesterov,
            weight_decay,
        } = *self;
        // Bounds on every intermediate of the closure below.
        let proven_finite = (|| {
            let w = Bounds::of(params)?;
            let g = gradient_bound(grads)? * ctx.grad_scale.abs();
            let h = Bounds::of_state(velocity)?;
            let g = g + weight_decay.abs() * w;
            let h = beta.abs() * h + g;
            let direction = if nesterov { g + beta.abs() * h } else { h };
            let step = lr.abs() * direction;
            Some(all_below(&[g, h, direction, step, w + step]))
        })()
        .unwrap_or(false);
        let update = momentum_rule(beta, nesterov, lr);
        let scale = ctx.grad_scale;
        let sums = M::SUMS_CHANGE;
        let change = if weight_decay == 0.0 {
            // g + 0·w = g for every finite w (a non-finite w makes the new
            // w non-finite either way): the same bits, one multiply-add
            // fewer a parameter.
            update_one_state(params, grads, velocity, scale, proven_finite, sums, update)?
        } else {
            let decayed = with_decay(update, weight_decay);
            update_one_state(params, grads, velocity, scale, proven_finite, sums, decayed)?
        };
        Ok(measure.finish(change))
    }
}

/// `(w, g, h) -> (w', h')`: a non-generic function, so the rule's type, and
/// the update loops compiled for it, are the same for every network.
fn momentum_rule(
    beta: f32,
    nesterov: bool,
    lr: f32,
) -> impl Fn(f32, f32, f32) -> (f32, f32) + Copy {
    move |w: f32, g: f32, h: f32| {
        let h = beta * h + g;
        let direction = if nesterov { g + beta * h } else { h };
        (w - lr * direction, h)
    }
}

/// `update` with L2 weight decay added to the gradient.
fn with_decay(
    update: impl Fn(f32, f32, f32) -> (f32, f32) + Copy,
    weight_decay: f32,
) -> impl Fn(f32, f32, f32) -> (f32, f32) + Copy {
    move |w: f32, g: f32, h: f32| update(w, g + weight_decay * w, h)
}
