//! Optimizers: how an accumulated gradient turns into a parameter update.
//!
//! Defaults and formulas follow PyTorch (`torch.optim`), so hyperparameters
//! carry over; the lecture's variants (epsilon inside the square root,
//! RMSprop's gamma 0.9) are options. Every optimizer computes each updated
//! parameter and state value and checks that it is finite before writing
//! any, so a refused step changes nothing. The check is usually a proof: a
//! cheap pre-pass bounds the magnitudes of parameters, gradients and state
//! (integer maxima over the bit patterns), and when the bounds show that no
//! result can overflow or be NaN, the update is computed and written in one
//! pass; otherwise every result is computed and checked first, as before.
//! Both paths write the same bits and make the same accept/refuse decision.

mod adagrad;
mod adam;
mod engine;
mod gradient;
mod momentum;
mod rmsprop;
mod sgd;

pub use crate::epsilon::Epsilon;
pub use adagrad::AdaGrad;
pub use adam::Adam;
pub use gradient::Gradient;
pub use momentum::Momentum;
pub use rmsprop::RmsProp;
pub use sgd::{DecayedSgd, Sgd};

use crate::buffer::Zeroed;
use crate::error::Error;
use crate::params::{ParameterBuffer, Parameters};
use engine::{update_one_state, update_stateless, update_two_states};
use gradient::gradient_bound;

/// What an optimizer needs to know about the step it is taking.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StepContext {
    /// Learning rate for this step (from a schedule, or constant).
    pub learning_rate: f32,
    /// Factor that turns the gradient buffer into the mean gradient
    /// (1 / rows accumulated; 1.0 if the buffer already holds it).
    pub grad_scale: f32,
    /// Number of this step, counting from 1.
    pub step: u32,
}

/// Updates parameters from gradients, keeping whatever state it needs in a
/// caller-owned buffer shaped like the parameters.
///
/// An implementation must either apply the whole update or, returning an
/// error, change nothing: neither parameters nor state.
///
/// ```
/// use microprop::{Momentum, Optimizer, StepContext, Unmeasured};
/// let opt = Momentum::new(0.9);
/// let (mut w, mut h) = ([1.0_f32], [0.0_f32]);
/// let ctx = |step| StepContext { learning_rate: 0.1, grad_scale: 1.0, step };
/// opt.update(&mut w, &[1.0], &mut h, ctx(1), Unmeasured).unwrap(); // h = 1, w = 0.9
/// opt.update(&mut w, &[1.0], &mut h, ctx(2), Unmeasured).unwrap(); // h = 1.9, w = 0.71
/// assert_eq!(h, [1.9]);
/// assert!((w[0] - 0.71).abs() < 1e-6);
/// ```
pub trait Optimizer {
    /// Optimizer state for parameters laid out as `G` (`()` for SGD, one
    /// `G` for momentum, two for Adam's moments).
    type State<G: ParameterBuffer>: Zeroed;

    /// Applies one update to `params` from `grads` and returns what
    /// `measure` asks for: nothing with [`Unmeasured`], the squared L2 norm
    /// of the change it made to the parameters with [`SquaredChange`] (for
    /// the "weights stopped moving" stopping criterion; a serial sum over
    /// every parameter, in parameter order, as the update writes them).
    ///
    /// `grads` is a [`Gradient`]: a buffer shaped like the parameters (any
    /// [`ParameterBuffer`], e.g. a trainer's gradient buffer or an array),
    /// or the outer products of the fused batch-1 step
    /// ([`FusedTrainer`](crate::FusedTrainer)). The state is laid out as
    /// the gradient's [`Gradient::Layout`], which must have the layout of
    /// `P` (the same [`Parameters::LEN`]; checked at compile time).
    ///
    /// # Errors
    /// [`Error::InvalidLearningRate`], [`Error::InvalidHyperparameter`]
    /// (e.g. [`Adam::check`]), or [`Error::NonFiniteGradient`] if a
    /// gradient or an updated parameter would not be finite. Nothing is
    /// changed in any case.
    fn update<P: Parameters, G: Gradient, M: Measure>(
        &self,
        params: &mut P,
        grads: &G,
        state: &mut Self::State<G::Layout>,
        ctx: StepContext,
        measure: M,
    ) -> Result<M::Output, Error>;
}

/// What an [`Optimizer::update`] measures besides updating, chosen by the
/// type of its last argument: [`Unmeasured`] or [`SquaredChange`].
pub trait Measure {
    /// What the update returns.
    type Output;
    /// Whether the update sums the squared change of every parameter as it
    /// writes it.
    const SUMS_CHANGE: bool;
    /// The update's result from the summed squared change (0.0 when
    /// [`Measure::SUMS_CHANGE`] is false).
    fn finish(self, squared_change: f32) -> Self::Output;
}

/// Measures nothing: [`Optimizer::update`] returns `()`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unmeasured;

impl Measure for Unmeasured {
    type Output = ();
    const SUMS_CHANGE: bool = false;
    fn finish(self, _: f32) {}
}

/// Measures the change: [`Optimizer::update`] returns the squared L2 norm
/// of the change it made to the parameters, `Σ (w' − w)²` summed in
/// parameter order.
///
/// ```
/// use microprop::{Optimizer, Sgd, SquaredChange, StepContext};
/// let mut w = [1.0_f32, 1.0];
/// let ctx = StepContext { learning_rate: 0.5, grad_scale: 1.0, step: 1 };
/// let squared = Sgd.update(&mut w, &[2.0, 0.0], &mut (), ctx, SquaredChange).unwrap();
/// assert_eq!((w, squared), ([0.0, 1.0], 1.0));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SquaredChange;

impl Measure for SquaredChange {
    type Output = f32;
    const SUMS_CHANGE: bool = true;
    fn finish(self, squared_change: f32) -> f32 {
        squared_change
    }
}

/// `lr` if it is finite and non-negative.
pub fn valid_learning_rate(lr: f32) -> Result<f32, Error> {
    if lr.is_finite() && lr >= 0.0 {
        Ok(lr)
    } else {
        Err(Error::InvalidLearningRate)
    }
}

/// Validates the common inputs of a step: the learning rate, and that
/// parameters and gradients have the same layout.
fn check_step<P: Parameters, G: Parameters>(ctx: &StepContext) -> Result<f32, Error> {
    const {
        assert!(
            P::LEN == G::LEN,
            "parameters and gradients differ in layout"
        )
    };
    valid_learning_rate(ctx.learning_rate)
}

/// The fast path's limit on every bound: 2^100, against f32's largest
/// finite 2^128·(1 − 2^-24).
///
/// The bounds are computed in f32 from the magnitudes of the operands with
/// the same operations, in the same order, as the update rule computes its
/// values (`|β·m + (1 − β)·g|` is bounded by `|β|·M + |1 − β|·G`). IEEE
/// rounding is monotone and symmetric, so `|fl(a ∘ b)| ≤ fl(A ∘ B)` for
/// `|a| ≤ A`, `|b| ≤ B` and `∘` in `+`, `−`, `·` (for `/`: a divisor at
/// least the bound's); where the bound takes a shortcut instead (a sum of
/// magnitudes for the largest one, `max(x, 1)` for `sqrt(x)`, a floor for a
/// denominator) the shortcut is a float at least the exact value, which
/// rounding cannot cross. So every bound is at least the value the update
/// computes, rounding included, and a finite bound proves a finite result.
/// The limit, 2^28 times below overflow, is a margin on top: a bound
/// evaluated in a different order than its update (each rounding a factor
/// of at most 1 + 2^-24) would have to be off by a factor of 2^28 to let an
/// overflow through. The bounds only choose between the one-pass path and
/// the checked path, which write the same bits and refuse the same steps;
/// a loose bound only costs the second pass.
const LIMIT: f32 = 1.267_650_6e30; // 2^100

/// Whether every bound is below [`LIMIT`] (false for NaN).
fn all_below(bounds: &[f32]) -> bool {
    bounds.iter().all(|&b| b < LIMIT)
}

/// Bounds on the magnitudes in one buffer. Both are deterministic (a fixed
/// evaluation order), so every target takes the same path.
struct Bounds;

/// Lanes of the magnitude sum in [`Bounds::of`]: independent running sums
/// that vectorise on the host and stay in registers on the M4F.
const BOUND_LANES: usize = 8;

impl Bounds {
    /// A bound on every `|x|` in `b`, or `None` if any value is NaN or
    /// infinite (or the bound overflows). It is the largest over the slices
    /// of `Σ|x|`, added into [`BOUND_LANES`] fixed lanes and then across
    /// them, in f32: rounding is
    /// monotonic, so a rounded running sum of non-negative terms is never
    /// below any term added to it, and the result bounds the largest `|x|`.
    /// Three instructions a value on the M4F (load, `VABS`, `VADD`) against
    /// five for a maximum, which needs a compare and a conditional move;
    /// looser by at most the buffer's length, which [`LIMIT`] leaves room
    /// for.
    fn of<B: Parameters>(b: &B) -> Option<f32> {
        b.slices().try_fold(0.0_f32, |largest, s| {
            Bounds::of_slice(s).map(|bound| crate::math::larger(largest, bound))
        })
    }

    /// [`Bounds::of`] for one slice. Out of line, as the other per-slice
    /// loops here: one copy whatever the network type.
    #[inline(never)]
    fn of_slice(s: &[f32]) -> Option<f32> {
        let mut lanes = [0.0_f32; BOUND_LANES];
        let (chunks, rest) = s.as_chunks::<BOUND_LANES>();
        for chunk in chunks {
            for (lane, x) in lanes.iter_mut().zip(chunk) {
                *lane += x.abs();
            }
        }
        for (lane, x) in lanes.iter_mut().zip(rest) {
            *lane += x.abs();
        }
        let total = lanes.iter().fold(0.0_f32, |sum, lane| sum + lane);
        total.is_finite().then_some(total)
    }

    /// A bound on every `|x|` of an optimizer state buffer. First the
    /// cheap one of [`Bounds::bits_or`] (the OR of the bit patterns, sign
    /// cleared, read as a float): an integer OR is at least each operand,
    /// and for non-negative floats the integer order is the float order.
    /// It is finite unless values of 2 or more straddle a power of two
    /// (1.5 | 2.0 has every exponent bit set); then [`Bounds::of`].
    fn of_state<B: Parameters>(b: &B) -> Option<f32> {
        let or = Bounds::bits_or(b) & 0x7fff_ffff;
        if or < 0x7f80_0000 {
            Some(f32::from_bits(or))
        } else {
            Bounds::of(b)
        }
    }

    /// A bound on every value in `b`, or `None` unless every value is finite
    /// and non-negative (a -0.0 counts as negative: this only makes the
    /// caller take the checked path). First the OR of the bit patterns (a
    /// clear sign bit in it proves every value non-negative; see
    /// [`Bounds::of_state`]), then the largest pattern, in which the sign
    /// bit makes a negative value exceed every positive one.
    fn of_non_negative<B: Parameters>(b: &B) -> Option<f32> {
        let or = Bounds::bits_or(b);
        if or < 0x7f80_0000 {
            return Some(f32::from_bits(or));
        }
        let bits = b.slices().map(Bounds::max_bits).fold(0, u32::max);
        (bits < 0x7f80_0000).then(|| f32::from_bits(bits))
    }

    /// The largest bit pattern in `s` (0 if empty).
    #[inline(never)]
    fn max_bits(s: &[f32]) -> u32 {
        s.iter().fold(0, |m: u32, x| m.max(x.to_bits()))
    }

    /// The OR of every bit pattern in `b`: two instructions a value on the
    /// M4F (load, `ORR`), vectorised on the host.
    fn bits_or<B: Parameters>(b: &B) -> u32 {
        b.slices().fold(0, |acc, s| acc | Bounds::slice_bits_or(s))
    }

    /// [`Bounds::bits_or`] of one slice.
    #[inline(never)]
    fn slice_bits_or(s: &[f32]) -> u32 {
        s.iter().fold(0, |acc, x| acc | x.to_bits())
    }
}

/// A lower bound on the denominator [`Epsilon::denominator`]`(s, eps)` for
/// any `s ≥ +0` (or -0.0), if it is positive: the f32 operations are
/// monotone, so `sqrt(s) + eps ≥ eps` and `sqrt(s + eps) ≥ sqrt(eps)`.
fn denominator_floor(epsilon: Epsilon, eps: f32) -> f32 {
    let floor = match epsilon {
        Epsilon::Outside => eps,
        Epsilon::Inside => crate::math::sqrt(eps),
    };
    if floor > 0.0 { floor } else { f32::NAN }
}

/// Upper bound on `sqrt(x)` for `0 ≤ x`, rounding included (the correctly
/// rounded square root of `x ≤ 1` is at most 1, of `x > 1` at most `x`);
/// NaN stays NaN.
fn sqrt_bound(x: f32) -> f32 {
    if x <= 1.0 { 1.0 } else { x }
}

/// Factor that scales a gradient of global L2 norm `norm` down to at most
/// `max_norm`, as PyTorch's `clip_grad_norm_`: `max_norm / (norm + 1e-6)`,
/// capped at 1.
///
/// ```
/// assert_eq!(microprop::optim::clip_factor(10.0, 1.0), 1.0 / (10.0 + 1e-6));
/// assert_eq!(microprop::optim::clip_factor(0.5, 1.0), 1.0);
/// ```
pub fn clip_factor(norm: f32, max_norm: f32) -> f32 {
    (max_norm / (norm + 1e-6)).min(1.0)
}
