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
mod momentum;
mod rmsprop;

pub use adagrad::AdaGrad;
pub use adam::Adam;
pub use momentum::Momentum;
pub use rmsprop::RmsProp;

use crate::buffer::Zeroed;
use crate::error::Error;
use crate::params::{ParameterBuffer, Parameters};

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
pub trait Optimizer {
    /// Optimizer state for gradient buffers of type `G` (`()` for SGD).
    type State<G: ParameterBuffer>: Zeroed;

    /// Applies one update to `params` from `grads`. `P` and `G` must have the
    /// same layout (same [`Parameters::LEN`]; checked at compile time).
    ///
    /// Returns the squared L2 norm of the change it made to the parameters
    /// (for the "weights stopped moving" stopping criterion).
    ///
    /// # Errors
    /// [`Error::InvalidLearningRate`], or [`Error::NonFiniteGradient`] if a
    /// gradient or an updated parameter would not be finite. Nothing is
    /// changed in either case.
    fn step<P: Parameters, G: ParameterBuffer>(
        &self,
        params: &mut P,
        grads: &G,
        state: &mut Self::State<G>,
        ctx: StepContext,
    ) -> Result<f32, Error>;

    /// As [`Optimizer::step`] (same values written, same errors, nothing
    /// changed on error), but without computing the change norm, which costs
    /// a serial sum over every parameter. [`crate::Trainer::step`] uses it.
    ///
    /// The default calls [`Optimizer::step`] and drops the norm.
    ///
    /// # Errors
    /// As [`Optimizer::step`].
    fn step_unmeasured<P: Parameters, G: ParameterBuffer>(
        &self,
        params: &mut P,
        grads: &G,
        state: &mut Self::State<G>,
        ctx: StepContext,
    ) -> Result<(), Error> {
        self.step(params, grads, state, ctx).map(|_| ())
    }
}

/// Plain gradient descent: w ← w − lr · g, the lecture's update.
///
/// ```
/// use microprop::{Optimizer, Sgd, StepContext};
/// // One step on L(w) = 0.1 w1² + 2 w2² from w = (1, 1): g = (0.2, 4).
/// let mut w = [1.0_f32, 1.0];
/// let g = [0.2_f32, 4.0];
/// let ctx = StepContext { learning_rate: 0.1, grad_scale: 1.0, step: 1 };
/// Sgd.step(&mut w, &g, &mut (), ctx).unwrap();
/// assert_eq!(w, [0.98, 0.6]);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Sgd;

impl Optimizer for Sgd {
    type State<G: ParameterBuffer> = ();

    fn step<P: Parameters, G: ParameterBuffer>(
        &self,
        params: &mut P,
        grads: &G,
        _state: &mut (),
        ctx: StepContext,
    ) -> Result<f32, Error> {
        sgd_step(params, grads, ctx, true)
    }

    fn step_unmeasured<P: Parameters, G: ParameterBuffer>(
        &self,
        params: &mut P,
        grads: &G,
        _state: &mut (),
        ctx: StepContext,
    ) -> Result<(), Error> {
        sgd_step(params, grads, ctx, false).map(|_| ())
    }
}

/// [`Sgd`]'s step; the change norm is only summed when `measure` is set
/// (0.0 otherwise).
fn sgd_step<P: Parameters, G: Parameters>(
    params: &mut P,
    grads: &G,
    ctx: StepContext,
    measure: bool,
) -> Result<f32, Error> {
    let lr = check_step::<P, G>(&ctx)?;
    let scale = ctx.grad_scale;
    // |w − lr·(g·scale)| ≤ W + lr·G·|scale|.
    let fast = Bounds::of(params)
        .zip(Bounds::of(grads))
        .map(|(w, g)| {
            let g = g * abs64(scale);
            let step = abs64(lr) * g;
            all_below(&[g, step, w + step])
        })
        .unwrap_or(false);
    if scale == 1.0 {
        sgd_update(params, grads, |g| lr * g, fast, measure)
    } else {
        sgd_update(params, grads, |g| lr * (g * scale), fast, measure)
    }
}

/// `w -= step(g)` for every parameter (`step` is `lr·(g·scale)`, or `lr·g`
/// when the scale is 1: the same bits, one multiply fewer); without `fast`,
/// every new value is checked before any is written.
fn sgd_update<P: Parameters, G: Parameters>(
    params: &mut P,
    grads: &G,
    step: impl Fn(f32) -> f32,
    fast: bool,
    measure: bool,
) -> Result<f32, Error> {
    let update = |w: f32, g: f32| w - step(g);
    if !fast {
        // Check every new value before writing any, so a rejected step
        // changes nothing.
        let all_finite = params
            .slices()
            .zip(grads.slices())
            .all(|(ws, gs)| ws.iter().zip(gs).all(|(&w, &g)| update(w, g).is_finite()));
        if !all_finite {
            return Err(Error::NonFiniteGradient);
        }
    }
    let mut change = 0.0;
    for (ws, gs) in params.slices_mut().zip(grads.slices()) {
        if measure {
            for (w, &g) in ws.iter_mut().zip(gs) {
                let new = update(*w, g);
                change += (new - *w) * (new - *w);
                *w = new;
            }
        } else {
            for (w, &g) in ws.iter_mut().zip(gs) {
                *w = update(*w, g);
            }
        }
    }
    Ok(change)
}

/// `lr` if it is finite and non-negative.
pub fn valid_learning_rate(lr: f32) -> Result<f32, Error> {
    if lr.is_finite() && lr >= 0.0 {
        Ok(lr)
    } else {
        Err(Error::InvalidLearningRate)
    }
}

/// Where epsilon goes in the adaptive optimizers' denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Epsilon {
    /// `g / (sqrt(s) + eps)`: PyTorch and Keras.
    #[default]
    Outside,
    /// `g / sqrt(s + eps)`: the lecture's formula.
    Inside,
}

impl Epsilon {
    /// The denominator `sqrt(s) + eps` or `sqrt(s + eps)`.
    #[inline]
    pub fn denominator(self, s: f32, eps: f32) -> f32 {
        match self {
            Epsilon::Outside => crate::math::sqrt(s) + eps,
            Epsilon::Inside => crate::math::sqrt(s + eps),
        }
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

/// Magnitudes below this (about 2^100, against f32's 2^128) are far enough
/// from overflow that the rounding of a dozen f32 operations (each at most a
/// factor 1 + 2^-24) cannot carry a value bounded here to infinity.
const LIMIT: f64 = 1e30;

/// `|x|` in f64 (NaN stays NaN, so a bound built from it fails
/// [`all_below`]).
fn abs64(x: f32) -> f64 {
    f64::from(x).abs()
}

/// Whether every bound is below [`LIMIT`] (false for NaN).
fn all_below(bounds: &[f64]) -> bool {
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
    /// infinite (or the bound overflows). It is `Σ|x|`, added into
    /// [`BOUND_LANES`] fixed lanes and then across them, in f32: rounding is
    /// monotonic, so a rounded running sum of non-negative terms is never
    /// below any term added to it, and the result bounds the largest `|x|`.
    /// Three instructions a value on the M4F (load, `VABS`, `VADD`) against
    /// five for a maximum, which needs a compare and a conditional move;
    /// looser by at most the buffer's length, which [`LIMIT`] leaves room
    /// for.
    fn of<B: Parameters>(b: &B) -> Option<f64> {
        let mut lanes = [0.0_f32; BOUND_LANES];
        for s in b.slices() {
            let (chunks, rest) = s.as_chunks::<BOUND_LANES>();
            for chunk in chunks {
                for (lane, x) in lanes.iter_mut().zip(chunk) {
                    *lane += x.abs();
                }
            }
            for (lane, x) in lanes.iter_mut().zip(rest) {
                *lane += x.abs();
            }
        }
        let total = lanes.iter().fold(0.0_f32, |sum, lane| sum + lane);
        total.is_finite().then(|| f64::from(total))
    }

    /// The largest value in `b`, or `None` unless every value is finite and
    /// non-negative (a -0.0 counts as negative: this only makes the caller
    /// take the checked path). The sign bit makes a negative pattern exceed
    /// every positive one.
    fn of_non_negative<B: Parameters>(b: &B) -> Option<f64> {
        let bits = b
            .slices()
            .map(|s| s.iter().fold(0, |m: u32, x| m.max(x.to_bits())))
            .fold(0, u32::max);
        (bits < 0x7f80_0000).then(|| f64::from(f32::from_bits(bits)))
    }
}

/// A lower bound on the denominator [`Epsilon::denominator`]`(s, eps)` for
/// any `s ≥ +0` (or -0.0), if it is positive: the f32 operations are
/// monotone, so `sqrt(s) + eps ≥ eps` and `sqrt(s + eps) ≥ sqrt(eps)`.
fn denominator_floor(epsilon: Epsilon, eps: f32) -> f64 {
    let floor = match epsilon {
        Epsilon::Outside => eps,
        Epsilon::Inside => crate::math::sqrt(eps),
    };
    if floor > 0.0 {
        f64::from(floor)
    } else {
        f64::NAN
    }
}

/// Upper bound on `sqrt(x)` for `0 ≤ x` (no square root needed in f64).
fn sqrt_bound(x: f64) -> f64 {
    if x > 1.0 { x } else { 1.0 }
}

/// Update with one state buffer: `f(w, g, s) -> (w', s')`; `g` is already
/// multiplied by `scale`. With `proven_finite` (the caller has shown from
/// [`Bounds`] that every result is finite) it computes and writes in one
/// pass; otherwise it evaluates `f` once to check that every result is
/// finite, and again to write, so a refused step changes nothing. The
/// squared change norm is summed (in parameter order) only with `measure`;
/// 0.0 otherwise.
fn update_with_one_state<P: Parameters, G: Parameters>(
    params: &mut P,
    grads: &G,
    state: &mut G,
    scale: f32,
    proven_finite: bool,
    measure: bool,
    f: impl Fn(f32, f32, f32) -> (f32, f32),
) -> Result<f32, Error> {
    if scale == 1.0 {
        one_state(params, grads, state, |g| g, proven_finite, measure, f)
    } else {
        let scaled = |g: f32| g * scale;
        one_state(params, grads, state, scaled, proven_finite, measure, f)
    }
}

/// [`update_with_one_state`] with the scaling as a function: the identity
/// when the scale is 1 (batch 1 without clipping), which saves a multiply a
/// parameter and changes no bit (g · 1 = g).
fn one_state<P: Parameters, G: Parameters>(
    params: &mut P,
    grads: &G,
    state: &mut G,
    scale: impl Fn(f32) -> f32,
    proven_finite: bool,
    measure: bool,
    f: impl Fn(f32, f32, f32) -> (f32, f32),
) -> Result<f32, Error> {
    if !proven_finite {
        let finite =
            params
                .slices()
                .zip(grads.slices())
                .zip(state.slices())
                .all(|((ws, gs), ss)| {
                    ws.iter().zip(gs).zip(ss).all(|((&w, &g), &s)| {
                        let (w, s) = f(w, scale(g), s);
                        w.is_finite() && s.is_finite()
                    })
                });
        if !finite {
            return Err(Error::NonFiniteGradient);
        }
    }
    let mut change = 0.0;
    for ((ws, gs), ss) in params
        .slices_mut()
        .zip(grads.slices())
        .zip(state.slices_mut())
    {
        if measure {
            for ((w, &g), s) in ws.iter_mut().zip(gs).zip(ss.iter_mut()) {
                let (new, state) = f(*w, scale(g), *s);
                change += (new - *w) * (new - *w);
                (*w, *s) = (new, state);
            }
        } else {
            for ((w, &g), s) in ws.iter_mut().zip(gs).zip(ss.iter_mut()) {
                (*w, *s) = f(*w, scale(g), *s);
            }
        }
    }
    Ok(change)
}

/// As [`update_with_one_state`] with two state buffers:
/// `f(w, g, a, b) -> (w', a', b')`.
#[allow(clippy::too_many_arguments)]
fn update_with_two_states<P: Parameters, G: Parameters>(
    params: &mut P,
    grads: &G,
    first: &mut G,
    second: &mut G,
    scale: f32,
    proven_finite: bool,
    measure: bool,
    f: impl Fn(f32, f32, f32, f32) -> (f32, f32, f32),
) -> Result<f32, Error> {
    let states = (first, second);
    if scale == 1.0 {
        two_states(params, grads, states, |g| g, proven_finite, measure, f)
    } else {
        let scaled = |g: f32| g * scale;
        two_states(params, grads, states, scaled, proven_finite, measure, f)
    }
}

/// [`update_with_two_states`] with the scaling as a function (see
/// [`one_state`]).
fn two_states<P: Parameters, G: Parameters>(
    params: &mut P,
    grads: &G,
    (first, second): (&mut G, &mut G),
    scale: impl Fn(f32) -> f32,
    proven_finite: bool,
    measure: bool,
    f: impl Fn(f32, f32, f32, f32) -> (f32, f32, f32),
) -> Result<f32, Error> {
    if !proven_finite {
        let finite = params
            .slices()
            .zip(grads.slices())
            .zip(first.slices().zip(second.slices()))
            .all(|((ws, gs), (as_, bs))| {
                ws.iter()
                    .zip(gs)
                    .zip(as_.iter().zip(bs))
                    .all(|((&w, &g), (&a, &b))| {
                        let (w, a, b) = f(w, scale(g), a, b);
                        w.is_finite() && a.is_finite() && b.is_finite()
                    })
            });
        if !finite {
            return Err(Error::NonFiniteGradient);
        }
    }
    let mut change = 0.0;
    for ((ws, gs), (as_, bs)) in params
        .slices_mut()
        .zip(grads.slices())
        .zip(first.slices_mut().zip(second.slices_mut()))
    {
        let rows = ws.iter_mut().zip(gs).zip(as_.iter_mut().zip(bs.iter_mut()));
        if measure {
            for ((w, &g), (a, b)) in rows {
                let (new, first, second) = f(*w, scale(g), *a, *b);
                change += (new - *w) * (new - *w);
                (*w, *a, *b) = (new, first, second);
            }
        } else {
            for ((w, &g), (a, b)) in rows {
                (*w, *a, *b) = f(*w, scale(g), *a, *b);
            }
        }
    }
    Ok(change)
}

/// Factor that scales a gradient of global L2 norm `norm` down to at most
/// `max_norm`, as PyTorch's `clip_grad_norm_`: `max_norm / (norm + 1e-6)`,
/// capped at 1.
///
/// ```
/// assert_eq!(microprop::clip_factor(10.0, 1.0), 1.0 / (10.0 + 1e-6));
/// assert_eq!(microprop::clip_factor(0.5, 1.0), 1.0);
/// ```
pub fn clip_factor(norm: f32, max_norm: f32) -> f32 {
    (max_norm / (norm + 1e-6)).min(1.0)
}
