//! A dense layer of which only the biases train (TinyTL).

use crate::activation::Activation;
use crate::buffer::prefix;
use crate::init::Init;
use crate::kernel;
use crate::layer::{
    Backprop, Dense, FusedBackprop, GradientMode, Layer, LayerKind, LayerParams, LayerParamsMut,
    LayerShape, LayerValues, LayerValuesMut, sealed,
};
use crate::params::Parameters;
use rand_core::Rng;

/// A [`Dense`] layer whose weights are frozen and whose biases train
/// (TinyTL, Cai et al. 2020): the gradient buffer and the optimizer state
/// hold `O` values instead of `I·O + O`, and no weight gradient is
/// computed. The input gradient still flows through the weights to the
/// layers in front.
///
/// Caches are the dense layer's (its output rows); [`Parameters`],
/// [`Layer::layer`] and checkpoints see weights and biases as for the
/// plain layer, so a pretrained checkpoint loads into it.
///
/// ```
/// use microprop::{BiasOnly, Dense, Identity, Layer, MeanSquaredError, Sgd, Tanh, Trainer, network};
/// type Net = network![BiasOnly<Dense<3, 4, Tanh>>, Dense<4, 1, Identity>];
/// type T = Trainer<Net, MeanSquaredError, Sgd, 2>;
/// // Gradients: 4 biases, then the last layer's 4 weights and 1 bias.
/// assert_eq!(T::MEMORY.gradients, (4 + 4 + 1) * 4);
///
/// let mut net = Net::ZERO;
/// net.init(microprop::Init::Xavier, &mut microprop::init::seeded(5));
/// let weights = net.first.layer.params.weights;
/// let bias = net.first.layer.params.bias;
/// let mut trainer = T::new(MeanSquaredError, Sgd);
/// trainer.train_step(&mut net, &[[1.0, -0.5, 0.25]; 2], &[[0.7]; 2], 0.1).unwrap();
/// assert_eq!(net.first.layer.params.weights, weights);
/// assert_ne!(net.first.layer.params.bias, bias);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BiasOnly<L> {
    /// The wrapped layer, with all its parameters.
    pub layer: L,
}

impl<const I: usize, const O: usize, A: Activation> BiasOnly<Dense<I, O, A>> {
    /// Trains only the biases of `layer` (usable in `const`).
    pub const fn new(layer: Dense<I, O, A>) -> Self {
        BiasOnly { layer }
    }
}

impl<const I: usize, const O: usize, A: Activation> Parameters for BiasOnly<Dense<I, O, A>> {
    const LEN: usize = I * O + O;
    fn slices(&self) -> impl Iterator<Item = &[f32]> {
        self.layer.slices()
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        self.layer.slices_mut()
    }
}

impl<const I: usize, const O: usize, A: Activation> sealed::Sealed for BiasOnly<Dense<I, O, A>> {}

impl<const I: usize, const O: usize, A: Activation> Layer for BiasOnly<Dense<I, O, A>> {
    type Scratch = ();

    const ZERO: Self = BiasOnly { layer: Dense::ZERO };
    const DEPTH: usize = 1;

    #[inline(always)]
    fn init<R: Rng + ?Sized>(&mut self, init: Init, rng: &mut R) {
        self.layer.init(init, rng);
    }

    fn infer(&self, x: &[f32; I], out: &mut [f32; O], scratch: &mut ()) {
        self.layer.infer(x, out, scratch);
    }

    const STORED_WORDS: usize = Self::LEN;

    fn visit_shapes(&self, first_index: usize, f: &mut dyn FnMut(LayerShape)) {
        self.layer
            .visit_shapes(first_index, &mut |s| f(bias_only(s)));
    }

    fn visit_values(&self, first_index: usize, f: &mut dyn FnMut(LayerShape, LayerValues<'_>)) {
        self.layer
            .visit_values(first_index, &mut |s, v| f(bias_only(s), v));
    }

    fn visit_values_mut(
        &mut self,
        first_index: usize,
        f: &mut dyn FnMut(LayerShape, LayerValuesMut<'_>),
    ) {
        self.layer
            .visit_values_mut(first_index, &mut |s, v| f(bias_only(s), v));
    }

    fn layer(&self, index: usize) -> Option<LayerParams<'_>> {
        self.layer.layer(index).map(|mut p| {
            p.shape = bias_only(p.shape);
            p
        })
    }

    fn layer_mut(&mut self, index: usize) -> Option<LayerParamsMut<'_>> {
        self.layer.layer_mut(index).map(|mut p| {
            p.shape = bias_only(p.shape);
            p
        })
    }
}

/// The wrapped layer's shape, of kind [`LayerKind::BiasOnly`].
fn bias_only(shape: LayerShape) -> LayerShape {
    LayerShape {
        kind: LayerKind::BiasOnly,
        ..shape
    }
}

impl<const I: usize, const O: usize, A: Activation> Backprop for BiasOnly<Dense<I, O, A>> {
    type Input = [f32; I];
    type Output = [f32; O];
    type OutputActivation = A;
    type Grads = [f32; O];
    type Cache<const B: usize> = [[f32; O]; B];

    const TRAINS: bool = true;
    const INPUT_GRADIENT_READS_CACHE: bool = false;

    fn output_activation(&self) -> &A {
        &self.layer.activation
    }

    fn trainable(&self) -> impl Iterator<Item = &[f32]> {
        core::iter::once(&self.layer.params.bias[..])
    }

    fn trainable_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        core::iter::once(&mut self.layer.params.bias[..])
    }

    fn forward<const B: usize>(&self, x: &[[f32; I]], cache: &mut [[f32; O]; B]) {
        self.layer.forward(x, cache);
    }

    fn outputs<const B: usize>(cache: &[[f32; O]; B]) -> &[[f32; O]; B] {
        cache
    }

    fn outputs_mut<const B: usize>(cache: &mut [[f32; O]; B]) -> &mut [[f32; O]; B] {
        cache
    }

    fn backward_first<const B: usize>(
        &self,
        x: &[[f32; I]],
        cache: &mut [[f32; O]; B],
        grads: &mut [f32; O],
        mode: GradientMode,
    ) {
        kernel::bias_gradients(prefix(cache, x.len()).as_flattened(), grads, mode);
    }

    fn backward_hidden<const B: usize, P: Activation>(
        &self,
        x: &mut [[f32; I]],
        prev: &P,
        delta: &mut [f32; I],
        cache: &mut [[f32; O]; B],
        grads: &mut [f32; O],
        mode: GradientMode,
    ) {
        kernel::bias_gradients(prefix(cache, x.len()).as_flattened(), grads, mode);
        self.layer.backward_inputs(x, prev, delta, cache);
    }

    fn backward_inputs<const B: usize, P: Activation>(
        &self,
        x: &mut [[f32; I]],
        prev: &P,
        delta: &mut [f32; I],
        cache: &mut [[f32; O]; B],
    ) {
        self.layer.backward_inputs(x, prev, delta, cache);
    }
}

/// The fused batch-1 step: the bias gradient `1 ⊗ dz` only.
impl<const I: usize, const O: usize, A: Activation> FusedBackprop for BiasOnly<Dense<I, O, A>> {
    fn fused_deltas(&self, cache: &mut [[f32; O]; 1], dz: &[f32; O], dx: Option<&mut [f32; I]>) {
        self.layer.fused_deltas(cache, dz, dx);
    }

    fn outer_gradients<'a>(
        _x: &'a [f32; I],
        _cache: &'a [[f32; O]; 1],
        dz: &'a [f32; O],
        f: &mut impl FnMut(&'a [f32], &'a [f32]),
    ) {
        f(&[1.0], dz);
    }
}
