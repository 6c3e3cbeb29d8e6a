use super::{
    Bounds, Epsilon, Gradient, Measure, Optimizer, StepContext, all_below, check_step,
    denominator_floor, gradient_bound, sqrt_bound, update_two_states,
};
use crate::buffer::Zeroed;
use crate::error::Error;
use crate::kernel::AdamStep;
use crate::math;
use crate::params::{ParameterBuffer, Parameters};

/// Adam, and AdamW with [`Adam::adamw`].
///
/// m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g²,
/// w ← w − lr/(1 − β1ᵗ) · m / (sqrt(v)/sqrt(1 − β2ᵗ) + eps), exactly PyTorch's
/// arithmetic; t counts optimizer steps ([`StepContext::step`]), and the bias
/// corrections are computed once per step, not per weight, in f32 only
/// ([`math::one_minus_pow`](crate::math::one_minus_pow)). A step with
/// hyperparameters out of range fails with [`Error::InvalidHyperparameter`]
/// ([`Adam::check`]).
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

/// Every field zero (`Epsilon::Outside`, not decoupled): not a usable
/// configuration (a step refuses it with [`Error::InvalidHyperparameter`],
/// see [`Adam::check`]), but all-zero bytes, so a `static` trainer built with
/// it goes to `.bss` instead of flash; set the real hyperparameters before
/// the first step.
impl Zeroed for Adam {
    const ZERO: Self = Adam {
        beta1: 0.0,
        beta2: 0.0,
        eps: 0.0,
        epsilon: Epsilon::Outside,
        weight_decay: 0.0,
        decoupled: false,
    };
}

impl Default for Adam {
    fn default() -> Self {
        Adam::PYTORCH
    }
}

impl Adam {
    /// Checks the hyperparameters: β1 and β2 in [0, 1) and a finite,
    /// non-negative weight decay (as `torch.optim.Adam`), and `eps`
    /// positive and finite. PyTorch also accepts `eps = 0`, but then a
    /// parameter whose gradient and moments are zero (a dead unit, an input
    /// that is always 0) gets `0 / 0`; refusing it also catches an all-zero
    /// `Adam` ([`Zeroed::ZERO`], as in [`Trainer::ZEROED`](crate::Trainer::ZEROED))
    /// whose hyperparameters were never set.
    ///
    /// ```
    /// use microprop::layer::Zeroed;
    /// use microprop::{Adam, Error};
    /// assert_eq!(Adam::PYTORCH.check(), Ok(()));
    /// assert_eq!(Adam::ZERO.check(), Err(Error::InvalidHyperparameter));
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] if a value is out of range.
    pub fn check(&self) -> Result<(), Error> {
        let unit = |beta: f32| (0.0..1.0).contains(&beta);
        let valid = unit(self.beta1)
            && unit(self.beta2)
            && self.eps > 0.0
            && self.eps.is_finite()
            && self.weight_decay >= 0.0
            && self.weight_decay.is_finite();
        if valid {
            Ok(())
        } else {
            Err(Error::InvalidHyperparameter)
        }
    }
}

impl Optimizer for Adam {
    type State<G: ParameterBuffer> = (G, G);

    fn update<P: Parameters, G: Gradient, M: Measure>(
        &self,
        params: &mut P,
        grads: &G,
        (m, v): &mut (G::Layout, G::Layout),
        ctx: StepContext,
        measure: M,
    ) -> Result<M::Output, Error> {
        let lr = check_step::<P, G::Layout>(&ctx)?;
        self.check()?;
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
        // Bounds on every intermediate of the closure below. v' ≥ +0 needs
        // v ≥ 0 and 0 ≤ β2 ≤ 1; then the denominator is at least its floor.
        let proven_finite = (|| {
            if !(beta2 >= 0.0 && 1.0 - beta2 >= 0.0 && correction2 > 0.0 && sqrt_correction2 > 0.0)
            {
                return None;
            }
            let w = Bounds::of(params)?;
            let g = gradient_bound(grads)? * ctx.grad_scale.abs();
            let (m, v) = (Bounds::of_state(m)?, Bounds::of_non_negative(v)?);
            let g = g + l2.abs() * w;
            let w = w * shrink.abs();
            let m = beta1.abs() * m + (1.0 - beta1).abs() * g;
            let g2 = (1.0 - beta2).abs() * g;
            let v = beta2.abs() * v + g2 * g;
            let floor = denominator_floor(epsilon, eps);
            let (root, numerator) = match epsilon {
                Epsilon::Outside => (sqrt_bound(v) / sqrt_correction2, step_size.abs() * m),
                Epsilon::Inside => (
                    sqrt_bound(v / correction2 + eps.abs()),
                    lr.abs() * (m / correction1.abs()),
                ),
            };
            let update = numerator / floor;
            Some(all_below(&[
                g,
                w,
                m,
                g2,
                v,
                root + eps.abs(),
                numerator,
                update,
                w + update,
            ]))
        })()
        .unwrap_or(false);
        let scale = ctx.grad_scale;
        let rule = AdamStep {
            beta1,
            beta2,
            eps,
            epsilon,
            lr,
            step_size,
            correction1,
            correction2,
            sqrt_correction2,
            l2,
            shrink,
            scale,
        };
        // Off Arm, the proven single pass goes through the kernel hook
        // (`kernel::install`): the same rule, maybe compiled for wider
        // vector units.
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        if proven_finite && !M::SUMS_CHANGE {
            super::engine::for_each_row_two_states(params, grads, m, v, |ar, w, m, v, d| {
                crate::kernel::adam_rows(&rule, ar, w, m, v, d);
            });
            return Ok(measure.finish(0.0));
        }
        let sums = M::SUMS_CHANGE;
        let change = if !rule.decays() {
            // Without weight decay, g + 0·w = g and w·1 = w for every finite
            // w (a non-finite w makes the new w non-finite either way): the
            // same bits, two operations fewer a parameter.
            let update = plain(rule);
            update_two_states(params, grads, m, v, scale, proven_finite, sums, update)?
        } else {
            let update = decayed(rule);
            update_two_states(params, grads, m, v, scale, proven_finite, sums, update)?
        };
        Ok(measure.finish(change))
    }
}

/// `(w, g, m, v) -> (w', m', v')`: built by a non-generic function, so its
/// type, and the update loops compiled for it, are the same for every
/// network.
fn plain(step: AdamStep) -> impl Fn(f32, f32, f32, f32) -> (f32, f32, f32) + Copy {
    move |w, g, m, v| step.rule(w, g, m, v)
}

/// [`plain`] on `w · shrink` with `g + l2 · w` (L2 or decoupled decay).
fn decayed(step: AdamStep) -> impl Fn(f32, f32, f32, f32) -> (f32, f32, f32) + Copy {
    move |w, g, m, v| step.rule(w * step.shrink, g + step.l2 * w, m, v)
}
