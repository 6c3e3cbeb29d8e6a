//! The optimizers on run-time-shaped buffers: the same update code as the
//! const-generic trainers (so the same bits), over flat views.

use core::marker::PhantomData;

use super::flat::FlatParams;
use super::topology::Topology;
use crate::error::Error;
use crate::optim::{
    AdaGrad, Adam, DecayedSgd, Gradient, Measure, Momentum, Optimizer, RmsProp, Sgd, StepContext,
};

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
    fn update_flat<G: Gradient, M: Measure>(
        &self,
        params: &mut [f32],
        topology: Topology<'_>,
        grads: &G,
        state: &mut [f32],
        ctx: StepContext,
        measure: M,
    ) -> Result<M::Output, Error>;
}

/// `G`'s slices seen with the layout of the flat state views
/// ([`FlatParams`] of the run-time network), whatever `G`'s own
/// [`Gradient::Layout`].
struct FlatGradient<'g, 's, G>(&'g G, PhantomData<FlatParams<'s>>);

impl<'s, G: Gradient> Gradient for FlatGradient<'_, 's, G> {
    type Layout = FlatParams<'s>;
    #[inline]
    fn for_each_slice(&self, f: impl FnMut(&[f32], &[f32])) {
        self.0.for_each_slice(f);
    }
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

/// `impl FlatOptimizer` for an optimizer with `$buffers` state parts, its
/// `State` built from them by `$state`.
macro_rules! flat_optimizer {
    ($optimizer:ty, $buffers:literal, |$parts:pat_param| $state:expr) => {
        impl FlatOptimizer for $optimizer {
            const STATE_BUFFERS: usize = $buffers;
            fn update_flat<G: Gradient, M: Measure>(
                &self,
                params: &mut [f32],
                topology: Topology<'_>,
                grads: &G,
                state: &mut [f32],
                ctx: StepContext,
                measure: M,
            ) -> Result<M::Output, Error> {
                let mut params = FlatParams::new(params, topology);
                let $parts = parts::<$buffers>(state, topology);
                let mut state = $state;
                let grads = FlatGradient(grads, PhantomData);
                self.update(&mut params, &grads, &mut state, ctx, measure)
            }
        }
    };
}

flat_optimizer!(Sgd, 0, |[]| ());
flat_optimizer!(DecayedSgd, 0, |[]| ());
flat_optimizer!(Momentum, 1, |[velocity]| velocity);
flat_optimizer!(AdaGrad, 1, |[sum_of_squares]| sum_of_squares);
flat_optimizer!(RmsProp, 1, |[mean_square]| mean_square);
flat_optimizer!(Adam, 2, |[m, v]| (m, v));
