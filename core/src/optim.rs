//! Optimizers: how an accumulated gradient turns into a parameter update.

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
    ) -> Result<(), Error>;
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
    ) -> Result<(), Error> {
        const {
            assert!(
                P::LEN == G::LEN,
                "parameters and gradients differ in layout"
            )
        };
        let lr = valid_learning_rate(ctx.learning_rate)?;
        let scale = ctx.grad_scale;
        let update = |w: f32, g: f32| w - lr * (g * scale);
        // Check every new value before writing any, so a rejected step
        // changes nothing.
        let all_finite = params
            .slices()
            .zip(grads.slices())
            .all(|(ws, gs)| ws.iter().zip(gs).all(|(&w, &g)| update(w, g).is_finite()));
        if !all_finite {
            return Err(Error::NonFiniteGradient);
        }
        for (ws, gs) in params.slices_mut().zip(grads.slices()) {
            for (w, &g) in ws.iter_mut().zip(gs) {
                *w = update(*w, g);
            }
        }
        Ok(())
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
