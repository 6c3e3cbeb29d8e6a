//! A network together with the scaling of its inputs and targets.

use crate::buffer::Row;
use crate::error::Error;
use crate::inference::Inference;
use crate::layer::Layer;
use crate::normalize::Normalizer;

/// A trained network with the normalisers it was trained with, so inference
/// applies the same input scaling and maps regression outputs back to the
/// target's units. Usable in `const`/`static` like its parts.
///
/// ```
/// use microprop::{Dense, Identity, Inference, Layer, Model, Normalizer, Scaling};
/// // y = x, trained on inputs scaled from [0, 1000] and targets from [0, 10].
/// let mut model = Model::<Dense<1, 1, Identity>>::new(Dense::ZERO);
/// model.net.params.weights = [[1.0]];
/// model.input = Normalizer { scaling: Scaling::MinMax, offset: [0.0], scale: [0.001] };
/// model.target = Normalizer { scaling: Scaling::MinMax, offset: [0.0], scale: [0.1] };
/// let mut run = Inference::new();
/// let mut x = [500.0];
/// assert_eq!(model.predict(&mut run, &mut x), Ok([5.0]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Model<N: Layer> {
    /// The network.
    pub net: N,
    /// Scaling of the input features.
    pub input: Normalizer<N::Input>,
    /// Scaling of the regression targets (identity for classifiers).
    pub target: Normalizer<N::Output>,
}

impl<N: Layer> Model<N> {
    /// `net` with identity scalings.
    pub const fn new(net: N) -> Self {
        Model {
            net,
            input: Normalizer::IDENTITY,
            target: Normalizer::IDENTITY,
        }
    }

    /// Scales `x` in place with the input normaliser, runs the network and
    /// returns the output in the target's units.
    ///
    /// # Errors
    /// [`Error::NonFiniteInput`]; `x` is left unscaled then.
    pub fn predict(&self, run: &mut Inference<N>, x: &mut N::Input) -> Result<N::Output, Error> {
        if !crate::buffer::all_finite(x.as_slice()) {
            return Err(Error::NonFiniteInput { row: 0 });
        }
        self.input.apply(x);
        let mut out = *run.predict(&self.net, x)?;
        self.target.invert(&mut out);
        Ok(out)
    }

    /// Scales `x` in place and returns the index of the largest output.
    ///
    /// # Errors
    /// [`Error::NonFiniteInput`].
    pub fn classify(&self, run: &mut Inference<N>, x: &mut N::Input) -> Result<usize, Error> {
        if !crate::buffer::all_finite(x.as_slice()) {
            return Err(Error::NonFiniteInput { row: 0 });
        }
        self.input.apply(x);
        run.classify(&self.net, x)
    }
}
