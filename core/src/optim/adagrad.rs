use super::{
    Bounds, Epsilon, Gradient, Measure, Optimizer, StepContext, all_below, check_step,
    denominator_floor, gradient_bound, sqrt_bound, update_one_state,
};
use crate::error::Error;
use crate::params::{ParameterBuffer, Parameters};

/// AdaGrad: s ← s + g², w ← w − lr · g / (sqrt(s) + eps), the accumulator
/// s starting from `initial_accumulator` (PyTorch's
/// `initial_accumulator_value`).
/// PyTorch's defaults (eps 1e-10 outside the root, s from 0);
/// `Epsilon::Inside` gives the lecture's w − lr / sqrt(s + eps) · g.
///
/// The state buffer holds s. On the first step ([`StepContext::step`] 1,
/// or 0, which counts as 1 as for [`Adam`](crate::Adam)) the accumulator
/// before the update is `initial_accumulator`, whatever the buffer holds,
/// so an all-zero state (as every trainer starts with) starts from it.
///
/// ```
/// use microprop::{AdaGrad, Optimizer, StepContext, Unmeasured};
/// // s starts at 3: after g = 1, s = 4 and w moves by lr·1/sqrt(4).
/// let opt = AdaGrad { initial_accumulator: 3.0, eps: 0.0, ..AdaGrad::PYTORCH };
/// let (mut w, mut s) = ([1.0_f32], [0.0_f32]);
/// let ctx = StepContext { learning_rate: 0.5, grad_scale: 1.0, step: 1 };
/// opt.update(&mut w, &[1.0], &mut s, ctx, Unmeasured).unwrap();
/// assert_eq!((w, s), ([0.75], [4.0]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct AdaGrad {
    /// Added to the denominator for stability.
    pub eps: f32,
    /// Where `eps` goes.
    pub epsilon: Epsilon,
    /// L2 penalty coefficient (0 = off).
    pub weight_decay: f32,
    /// The accumulator's value before the first step (0 in PyTorch);
    /// finite and non-negative.
    pub initial_accumulator: f32,
}

impl AdaGrad {
    /// PyTorch's defaults.
    pub const PYTORCH: AdaGrad = AdaGrad {
        eps: 1e-10,
        epsilon: Epsilon::Outside,
        weight_decay: 0.0,
        initial_accumulator: 0.0,
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
            initial_accumulator,
        } = *self;
        if !(initial_accumulator >= 0.0 && initial_accumulator.is_finite()) {
            return Err(Error::InvalidHyperparameter);
        }
        // The first step starts from the initial accumulator, not from the
        // buffer.
        let first = ctx.step <= 1;
        // Bounds on every intermediate of the closure below. s' ≥ +0 needs
        // s ≥ 0 (and the decay in [0, 1]); then the denominator is at least
        // its floor.
        let proven_finite = (|| {
            let w = Bounds::of(params)?;
            let g = gradient_bound(grads)? * ctx.grad_scale.abs();
            let s = if first {
                initial_accumulator
            } else {
                Bounds::of_non_negative(sum_sq)?
            };
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
        let (scale, sums) = (ctx.grad_scale, M::SUMS_CHANGE);
        let rule = adagrad_rule(weight_decay, lr, epsilon, eps);
        let change = if first {
            let rule = from_accumulator(rule, initial_accumulator);
            update_one_state(params, grads, sum_sq, scale, proven_finite, sums, rule)?
        } else {
            update_one_state(params, grads, sum_sq, scale, proven_finite, sums, rule)?
        };
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

/// `rule` with the accumulator before the update replaced by `initial`
/// (the first step).
fn from_accumulator(
    rule: impl Fn(f32, f32, f32) -> (f32, f32) + Copy,
    initial: f32,
) -> impl Fn(f32, f32, f32) -> (f32, f32) + Copy {
    move |w, g, _s| rule(w, g, initial)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::Unmeasured;

    fn ctx(step: u32) -> StepContext {
        StepContext {
            learning_rate: 0.25,
            grad_scale: 0.5,
            step,
        }
    }

    /// Starting from `initial_accumulator` equals the default AdaGrad with
    /// the state buffer filled with that value, bit for bit, over several
    /// steps (which is PyTorch's `initial_accumulator_value`: its state
    /// starts filled).
    #[test]
    fn initial_accumulator_is_a_filled_state() -> Result<(), Error> {
        let start = AdaGrad {
            initial_accumulator: 0.1,
            weight_decay: 0.01,
            ..AdaGrad::PYTORCH
        };
        let filled = AdaGrad {
            initial_accumulator: 0.0,
            ..start
        };
        let mut w = [0.5_f32, -1.25, 2.0, 0.0, 3.5];
        let mut v = w;
        let (mut s, mut t) = ([0.0_f32; 5], [0.1_f32; 5]);
        for step in 2..=7 {
            let g: [f32; 5] = core::array::from_fn(|i| (i as f32 - 2.0) * 0.3 + step as f32 * 0.1);
            // `start` treats step 1 as the first; `filled` reads its buffer
            // on every step after the first.
            start.update(&mut w, &g, &mut s, ctx(step - 1), Unmeasured)?;
            filled.update(&mut v, &g, &mut t, ctx(step), Unmeasured)?;
        }
        assert_eq!(w.map(f32::to_bits), v.map(f32::to_bits));
        assert_eq!(s.map(f32::to_bits), t.map(f32::to_bits));
        Ok(())
    }

    /// One step by hand, every value exact: the buffer's 123 is ignored,
    /// s = 3 + (2·0.5)² = 4, and with eps 0, w' = 1 − 0.25·1/sqrt(4) = 0.875.
    #[test]
    fn first_step_by_hand() -> Result<(), Error> {
        let opt = AdaGrad {
            initial_accumulator: 3.0,
            eps: 0.0,
            ..AdaGrad::PYTORCH
        };
        let (mut w, mut s) = ([1.0_f32], [123.0_f32]);
        opt.update(&mut w, &[2.0], &mut s, ctx(1), Unmeasured)?;
        assert_eq!((w, s), ([0.875], [4.0]));
        Ok(())
    }

    #[test]
    fn negative_or_non_finite_initial_accumulator_is_refused() {
        for initial_accumulator in [-1.0, f32::NAN, f32::INFINITY] {
            let opt = AdaGrad {
                initial_accumulator,
                ..AdaGrad::PYTORCH
            };
            let (mut w, mut s) = ([1.0_f32], [0.0_f32]);
            let result = opt.update(&mut w, &[1.0], &mut s, ctx(1), Unmeasured);
            assert_eq!(result, Err(Error::InvalidHyperparameter));
            assert_eq!((w, s), ([1.0], [0.0]));
        }
    }
}
