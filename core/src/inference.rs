//! Running a trained network: no gradients, no batch caches.

use crate::buffer::{Row, Zeroed, all_finite};
use crate::error::Error;
use crate::layer::Layer;
use crate::loss::argmax;

/// The workspace to run network `N` on one row at a time: the intermediate
/// rows and the output row. Nothing else; an inference-only firmware links no
/// gradient or cache buffers.
///
/// ```
/// use microprop::{network, Dense, Identity, Inference, Layer, Relu};
/// type Net = network![Dense<3, 5, Relu>, Dense<5, 2, Identity>];
/// static NET: Net = Net::ZERO;
/// let mut run = Inference::<Net>::new();
/// assert_eq!(run.predict(&NET, &[1.0, 2.0, 3.0]), Ok(&[0.0, 0.0]));
/// assert!(run.predict(&NET, &[f32::NAN, 0.0, 0.0]).is_err());
/// assert_eq!(Inference::<Net>::BYTES, (5 + 2) * 4);
/// ```
pub struct Inference<N: Layer> {
    scratch: N::Scratch,
    output: N::Output,
}

impl<N: Layer> Inference<N> {
    /// A zeroed workspace. Usable in `const` and `static`.
    pub const fn new() -> Self {
        Inference {
            scratch: <N::Scratch as Zeroed>::ZERO,
            output: <N::Output as Zeroed>::ZERO,
        }
    }

    /// Bytes of this workspace.
    pub const BYTES: usize = core::mem::size_of::<Self>();

    /// The network's output for one input row.
    ///
    /// # Errors
    /// [`Error::NonFiniteInput`] if an input is NaN or infinite.
    pub fn predict(&mut self, net: &N, x: &N::Input) -> Result<&N::Output, Error> {
        if !all_finite(x.as_slice()) {
            return Err(Error::NonFiniteInput { row: 0 });
        }
        net.infer(x, &mut self.output, &mut self.scratch);
        Ok(&self.output)
    }

    /// The index of the largest output (the predicted class).
    ///
    /// # Errors
    /// As [`Inference::predict`].
    pub fn classify(&mut self, net: &N, x: &N::Input) -> Result<usize, Error> {
        self.predict(net, x).map(|out| argmax(out.as_slice()))
    }
}

impl<N: Layer> Default for Inference<N> {
    fn default() -> Self {
        Self::new()
    }
}
