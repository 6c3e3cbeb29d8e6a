use super::{
    Bounds, Gradient, Measure, Optimizer, StepContext, all_below, check_step, gradient_bound,
    update_stateless,
};
use crate::buffer::Zeroed;
use crate::error::Error;
use crate::params::{ParameterBuffer, Parameters};

/// Plain gradient descent: w ← w − lr · g, the lecture's update.
/// [`Sgd::with_weight_decay`] adds L2 weight decay ([`DecayedSgd`]).
///
/// ```
/// use microprop::{Optimizer, Sgd, StepContext, Unmeasured};
/// // One step on L(w) = 0.1 w1² + 2 w2² from w = (1, 1): g = (0.2, 4).
/// let mut w = [1.0_f32, 1.0];
/// let g = [0.2_f32, 4.0];
/// let ctx = StepContext { learning_rate: 0.1, grad_scale: 1.0, step: 1 };
/// Sgd.update(&mut w, &g, &mut (), ctx, Unmeasured).unwrap();
/// assert_eq!(w, [0.98, 0.6]);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Sgd;

impl Sgd {
    /// SGD with L2 weight decay `weight_decay`: [`DecayedSgd`].
    pub const fn with_weight_decay(weight_decay: f32) -> DecayedSgd {
        DecayedSgd { weight_decay }
    }
}

impl Zeroed for Sgd {
    const ZERO: Self = Sgd;
}

impl Optimizer for Sgd {
    type State<G: ParameterBuffer> = ();

    fn update<P: Parameters, G: Gradient, M: Measure>(
        &self,
        params: &mut P,
        grads: &G,
        _state: &mut (),
        ctx: StepContext,
        measure: M,
    ) -> Result<M::Output, Error> {
        let lr = check_step::<P, G::Layout>(&ctx)?;
        let scale = ctx.grad_scale;
        // |w − lr·(g·scale)| ≤ W + lr·G·|scale|.
        let fast = Bounds::of(params)
            .zip(gradient_bound(grads))
            .map(|(w, g)| {
                let g = g * scale.abs();
                let step = lr.abs() * g;
                all_below(&[g, step, w + step])
            })
            .unwrap_or(false);
        let change = update_stateless(params, grads, scale, fast, M::SUMS_CHANGE, sgd_rule(lr))?;
        Ok(measure.finish(change))
    }
}

/// SGD with L2 weight decay λ: w ← w − lr · (g + λ·w), PyTorch's
/// `SGD(weight_decay=λ)` without momentum, and the same operations as
/// [`Momentum`](crate::Momentum) with `momentum: 0` (without its velocity
/// buffer). A type of its own, so plain [`Sgd`] links no decay code and
/// holds no field.
///
/// ```
/// use microprop::{Optimizer, Sgd, StepContext, Unmeasured};
/// // With weight decay 0.25 the gradient gains 0.25·w: (1, 0) + 0.25·(2, -4).
/// let mut w = [2.0_f32, -4.0];
/// let ctx = StepContext { learning_rate: 0.5, grad_scale: 1.0, step: 1 };
/// let decayed = Sgd::with_weight_decay(0.25);
/// decayed.update(&mut w, &[1.0, 0.0], &mut (), ctx, Unmeasured).unwrap();
/// assert_eq!(w, [2.0 - 0.5 * 1.5, -4.0 + 0.5 * 1.0]);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DecayedSgd {
    /// L2 penalty coefficient λ, added to the gradient as λ·w; finite and
    /// non-negative, as `torch.optim.SGD` requires.
    pub weight_decay: f32,
}

/// A decay of 0 (plain SGD's steps, through the decayed rule); all-zero
/// bytes for a `static` trainer.
impl Zeroed for DecayedSgd {
    const ZERO: Self = DecayedSgd { weight_decay: 0.0 };
}

impl Optimizer for DecayedSgd {
    type State<G: ParameterBuffer> = ();

    fn update<P: Parameters, G: Gradient, M: Measure>(
        &self,
        params: &mut P,
        grads: &G,
        _state: &mut (),
        ctx: StepContext,
        measure: M,
    ) -> Result<M::Output, Error> {
        let lr = check_step::<P, G::Layout>(&ctx)?;
        let weight_decay = self.weight_decay;
        if !(weight_decay >= 0.0 && weight_decay.is_finite()) {
            return Err(Error::InvalidHyperparameter);
        }
        let scale = ctx.grad_scale;
        // |w − lr·(g·scale + λ·w)| ≤ W + lr·(G·|scale| + λ·W).
        let fast = Bounds::of(params)
            .zip(gradient_bound(grads))
            .map(|(w, g)| {
                let g = g * scale.abs() + weight_decay * w;
                let step = lr.abs() * g;
                all_below(&[g, step, w + step])
            })
            .unwrap_or(false);
        let rule = decayed_rule(lr, weight_decay);
        let change = update_stateless(params, grads, scale, fast, M::SUMS_CHANGE, rule)?;
        Ok(measure.finish(change))
    }
}

/// `(w, g) -> w − lr·g`: a non-generic function, so the rule's type, and the
/// update loops compiled for it, are the same for every network.
fn sgd_rule(lr: f32) -> impl Fn(f32, f32) -> f32 + Copy {
    move |w, g| w - lr * g
}

/// `(w, g) -> w − lr·(g + λ·w)`: [`sgd_rule`] on the gradient with L2 decay,
/// the operations of [`Momentum`](crate::Momentum) with `momentum: 0`.
fn decayed_rule(lr: f32, weight_decay: f32) -> impl Fn(f32, f32) -> f32 + Copy {
    move |w, g| w - lr * (g + weight_decay * w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Unmeasured;

    fn ctx(step: u32) -> StepContext {
        StepContext {
            learning_rate: 0.5,
            grad_scale: 1.0,
            step,
        }
    }

    /// One step by hand, every value exact in f32: w = (1, −2), g = (½, 0),
    /// λ = ¼, lr = ½: g + λw = (¾, −½), w' = (⅝, −7/4).
    #[test]
    fn weight_decay_by_hand() -> Result<(), Error> {
        let mut w = [1.0_f32, -2.0];
        let sgd = Sgd::with_weight_decay(0.25);
        sgd.update(&mut w, &[0.5, 0.0], &mut (), ctx(1), Unmeasured)?;
        assert_eq!(w, [0.625, -1.75]);
        Ok(())
    }

    #[test]
    fn negative_or_non_finite_decay_is_refused() {
        for weight_decay in [-0.1, f32::NAN, f32::INFINITY] {
            let mut w = [1.0_f32];
            let result =
                DecayedSgd { weight_decay }.update(&mut w, &[1.0], &mut (), ctx(1), Unmeasured);
            assert_eq!(result, Err(Error::InvalidHyperparameter));
            assert_eq!(w, [1.0]);
        }
    }
}
