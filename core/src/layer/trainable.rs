//! The trainable parameters of a network as a [`Parameters`] view.

use crate::layer::Backprop;
use crate::params::Parameters;

/// The parameters of network `N` that train, seen as [`Parameters`]: the
/// slices of [`Backprop::trainable`], laid out as the gradient buffer
/// ([`Backprop::Grads`]). A [`Trainer`](crate::Trainer) hands this view to
/// the optimizer, so [`Frozen`](crate::Frozen) parameters and the weights
/// of a [`BiasOnly`](crate::BiasOnly) layer are never read or written by a
/// step; for a network without either it is every parameter.
///
/// ```
/// use microprop::layer::Trainable;
/// use microprop::{BiasOnly, Dense, Frozen, Identity, Layer, Parameters, Tanh, network};
/// type Net = network![Frozen<Dense<2, 3, Tanh>>, BiasOnly<Dense<3, 2, Tanh>>, Dense<2, 1, Identity>];
/// let mut net = Net::ZERO;
/// let view = Trainable::new(&mut net);
/// assert_eq!(<Trainable<'_, Net> as Parameters>::LEN, 2 + (2 + 1));
/// assert_eq!(view.count(), 5);
/// assert_eq!(Net::LEN, (2 * 3 + 3) + (3 * 2 + 2) + (2 + 1));
/// ```
pub struct Trainable<'a, N>(&'a mut N);

impl<'a, N: Backprop> Trainable<'a, N> {
    /// The trainable parameters of `net`.
    pub fn new(net: &'a mut N) -> Self {
        Trainable(net)
    }
}

impl<N: Backprop> Parameters for Trainable<'_, N> {
    const LEN: usize = <N::Grads as Parameters>::LEN;
    fn slices(&self) -> impl Iterator<Item = &[f32]> {
        self.0.trainable()
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        self.0.trainable_mut()
    }
}
