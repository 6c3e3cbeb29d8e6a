//! A flat parameter-shaped buffer seen as the slice sequence of
//! [`Parameters`], so the optimizers run on it unchanged.

use super::topology::Topology;
use crate::buffer::Zeroed;
use crate::params::Parameters;

/// A flat parameter-shaped buffer (parameters, gradients or one optimizer
/// state part) cut into each layer's weights and biases, in the order of
/// the const-generic network's [`Parameters::slices`], so any
/// [`Optimizer`](crate::Optimizer) can walk it. A buffer shorter than
/// [`Topology::params_len`] yields short slices, never a panic.
///
/// Its [`Parameters::LEN`] is [`RUN_TIME_LEN`] (`usize::MAX`): the length is
/// a run-time value ([`Topology::params_len`]). The optimizers' compile-time
/// check that parameters and gradients share a layout compares two flat
/// views, which pass it; the run-time front end checks the lengths instead.
///
/// ```
/// use microprop::ActivationKind::Identity;
/// use microprop::dynamic::{FlatParams, LayerSpec, Topology};
/// use microprop::{Optimizer, Sgd, StepContext, Unmeasured};
/// let layers = [LayerSpec::dense(1, Identity)];
/// let topology = Topology::new(2, &layers).unwrap();
/// let (mut w, mut g) = ([1.0_f32, 2.0, 3.0], [1.0_f32, 1.0, 1.0]);
/// let ctx = StepContext { learning_rate: 0.5, grad_scale: 1.0, step: 1 };
/// let grads = FlatParams::new(&mut g, topology);
/// Sgd.update(&mut FlatParams::new(&mut w, topology), &grads, &mut (), ctx, Unmeasured).unwrap();
/// assert_eq!(w, [0.5, 1.5, 2.5]);
/// ```
#[derive(Debug)]
pub struct FlatParams<'a> {
    /// `None` only in the all-zero value ([`Zeroed::ZERO`]: a `const` cannot
    /// hold a mutable borrow), which has no slices.
    data: Option<&'a mut [f32]>,
    topology: Topology<'a>,
}

/// The [`Parameters::LEN`] of a run-time-sized view.
pub const RUN_TIME_LEN: usize = usize::MAX;

impl<'a> FlatParams<'a> {
    /// `data` seen through `topology`.
    pub fn new(data: &'a mut [f32], topology: Topology<'a>) -> Self {
        FlatParams {
            data: Some(data),
            topology,
        }
    }
}

/// The lengths of the slices, front to back.
fn lengths<'t>(topology: &'t Topology<'_>) -> impl Iterator<Item = usize> + 't {
    topology
        .placed()
        .flat_map(|layer| [layer.weights, layer.biases])
}

/// Cuts `data` into consecutive slices of the given lengths.
fn cut(mut data: &[f32], lengths: impl Iterator<Item = usize>) -> impl Iterator<Item = &[f32]> {
    lengths.map(move |len| {
        let (head, tail) = data.split_at(len.min(data.len()));
        data = tail;
        head
    })
}

/// Mutable [`cut`].
fn cut_mut(
    data: &mut [f32],
    lengths: impl Iterator<Item = usize>,
) -> impl Iterator<Item = &mut [f32]> {
    let mut data = Some(data);
    lengths.map(move |len| {
        let rest = data.take().unwrap_or_default();
        let (head, tail) = rest.split_at_mut(len.min(rest.len()));
        data = Some(tail);
        head
    })
}

impl Parameters for FlatParams<'_> {
    const LEN: usize = RUN_TIME_LEN;

    fn slices(&self) -> impl Iterator<Item = &[f32]> {
        cut(self.data.as_deref().unwrap_or(&[]), lengths(&self.topology))
    }

    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        cut_mut(
            self.data.as_deref_mut().unwrap_or(&mut []),
            lengths(&self.topology),
        )
    }
}

impl Zeroed for FlatParams<'_> {
    const ZERO: Self = FlatParams {
        data: None,
        topology: Topology::EMPTY,
    };
}
