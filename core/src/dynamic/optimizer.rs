//! The optimizers on run-time-shaped buffers: the same update code as the
//! const-generic trainers (so the same bits), over flat views.

use super::flat::FlatParams;
use super::topology::Topology;
use crate::error::Error;
use crate::optim::{AdaGrad, Adam, Gradient, Momentum, Optimizer, RmsProp, Sgd, StepContext};

/// An [`Optimizer`] that can update a flat parameter buffer whose state is
/// one flat buffer of [`FlatOptimizer::STATE_BUFFERS`] parameter-sized parts
/// back to back. Implemented for every optimizer of the core.
///
/// ```
/// use microprop::dynamic::FlatOptimizer;
/// use microprop::{Adam, Momentum, Sgd};
/// assert_eq!(<Sgd as FlatOptimizer>::STATE_BUFFERS, 0);
/// assert_eq!(<Momentum as FlatOptimizer>::STATE_BUFFERS, 1);
/// assert_eq!(<Adam as FlatOptimizer>::STATE_BUFFERS, 2);
/// ```
pub trait FlatOptimizer: Optimizer {
    /// Parameter-sized state buffers (0 for SGD, 1 for momentum, AdaGrad and
    /// RMSprop, 2 for Adam's two moments).
    const STATE_BUFFERS: usize;

    /// [`Optimizer::update`] of the `params` of `topology` from `grads`
    /// with `state` ([`FlatOptimizer::STATE_BUFFERS`] ·
    /// [`Topology::params_len`] floats; the caller checks both lengths).
    ///
    /// # Errors
    /// As [`Optimizer::update`]; nothing is changed then.
    fn update_flat(
        &self,
        params: &mut [f32],
        topology: Topology<'_>,
        grads: &impl Gradient,
        state: &mut [f32],
        ctx: StepContext,
        measure: bool,
    ) -> Result<f32, Error>;
}

/// The first `parts` parameter-sized parts of `state`.
fn parts<'s, const N: usize>(state: &'s mut [f32], topology: Topology<'s>) -> [FlatParams<'s>; N] {
    let len = topology.params_len();
    let mut rest = Some(state);
    core::array::from_fn(|_| {
        let all = rest.take().unwrap_or_default();
        let (head, tail) = all.split_at_mut(len.min(all.len()));
        rest = Some(tail);
        FlatParams::new(head, topology)
    })
}

impl FlatOptimizer for Sgd {
    const STATE_BUFFERS: usize = 0;
    fn update_flat(
        &self,
        params: &mut [f32],
        topology: Topology<'_>,
        grads: &impl Gradient,
        _state: &mut [f32],
        ctx: StepContext,
        measure: bool,
    ) -> Result<f32, Error> {
        let mut params = FlatParams::new(params, topology);
        self.update::<_, FlatParams<'_>>(&mut params, grads, &mut (), ctx, measure)
    }
}

macro_rules! one_state {
    ($optimizer:ty) => {
        impl FlatOptimizer for $optimizer {
            const STATE_BUFFERS: usize = 1;
            fn update_flat(
                &self,
                params: &mut [f32],
                topology: Topology<'_>,
                grads: &impl Gradient,
                state: &mut [f32],
                ctx: StepContext,
                measure: bool,
            ) -> Result<f32, Error> {
                let mut params = FlatParams::new(params, topology);
                let [mut state] = parts::<1>(state, topology);
                self.update::<_, FlatParams<'_>>(&mut params, grads, &mut state, ctx, measure)
            }
        }
    };
}

one_state!(Momentum);
one_state!(AdaGrad);
one_state!(RmsProp);

impl FlatOptimizer for Adam {
    const STATE_BUFFERS: usize = 2;
    fn update_flat(
        &self,
        params: &mut [f32],
        topology: Topology<'_>,
        grads: &impl Gradient,
        state: &mut [f32],
        ctx: StepContext,
        measure: bool,
    ) -> Result<f32, Error> {
        let mut params = FlatParams::new(params, topology);
        let [m, v] = parts::<2>(state, topology);
        self.update::<_, FlatParams<'_>>(&mut params, grads, &mut (m, v), ctx, measure)
    }
}
