//! A frozen dense layer with int8 weights.

use crate::activation::{Activation, Identity};
use crate::buffer::{Zeroed, prefix, prefix_mut};
use crate::error::Error;
use crate::init::Init;
use crate::layer::{
    Backprop, Dense, FusedBackprop, GradientMode, Layer, LayerKind, LayerParams, LayerParamsMut,
    LayerShape, LayerValues, LayerValuesMut, sealed,
};
use crate::params::Parameters;
use crate::quantize::{self, MAX_INPUTS};
use rand_core::Rng;

/// A frozen [`Dense`] layer of `O` units over `I` inputs whose weights are
/// `i8` with one f32 scale per unit (output channel), symmetric (zero
/// point 0), and whose biases are f32: a quarter of the weights' bytes.
/// Inputs and outputs are f32 rows; the arithmetic (each input row
/// quantised with its own scale, integer sums, one scale multiply) is
/// [`crate::quantize`]'s and gives the same bits on every target.
///
/// The layout is TFLite's and CMSIS-NN's per-channel fully connected layer
/// (and PyTorch's `Linear.weight`): `weights[o][i]`, output-major, so
/// weights quantised by those tools drop in through
/// [`QuantizedDense::from_int8`]; [`QuantizedDense::quantize`] makes them
/// from a float layer (in `const` too, so a `static` of it is computed at
/// build time and stays in flash behind a [`Flash`](crate::Flash)).
///
/// It is frozen as [`Frozen`](crate::Frozen) is: no gradient, no optimizer
/// state ([`Backprop::Grads`] is `()`), only its output rows and one
/// quantised input row cached, backward stopping at the first trainable
/// layer (between trainable layers it passes dL/d(input) through the
/// dequantised weights, the input's rounding passed straight through). Its
/// values are not the network's [`Parameters`] (`LEN` 0: they are not
/// f32), so [`Layer::init`] leaves them alone; [`Layer::layer`] and
/// [`Layer::layer_mut`] give `None` for it (read the fields, or
/// [`Layer::visit_values`]); [`Layer::visit_shapes`] shows it as a dense
/// layer of kind [`LayerKind::Int8`](crate::layer::LayerKind), and
/// checkpoints hold its weights, scales and biases bit for bit.
///
/// ```
/// use microprop::{Dense, Identity, Layer, MeanSquaredError, QuantizedDense, Sgd, Tanh, Trainer, network};
/// const PRETRAINED: Dense<4, 8, Tanh> = Dense::from_params([[0.25; 8]; 4], [0.1; 8]);
/// type Backbone = QuantizedDense<4, 8, Tanh>;
/// type Net = network![Backbone, Dense<8, 2, Identity>];
/// type FloatNet = network![Dense<4, 8, Tanh>, Dense<8, 2, Identity>];
/// type T<N> = Trainer<N, MeanSquaredError, Sgd, 4>;
/// // The backbone's 32 weights take 32 bytes instead of 128, plus 8 scales.
/// assert_eq!(T::<FloatNet>::MEMORY.parameters - T::<Net>::MEMORY.parameters, 32 * 3 - 8 * 4);
///
/// let mut net = Net::ZERO;
/// net.first = match QuantizedDense::quantize(&PRETRAINED) {
///     Ok(q) => q,
///     Err(e) => panic!("{e}"),
/// };
/// net.init(microprop::Init::Xavier, &mut microprop::init::seeded(1)); // the head only
/// let mut trainer = T::<Net>::new(MeanSquaredError, Sgd);
/// let (x, y) = ([[0.5, -1.0, 2.0, 0.0]; 4], [[1.0, 0.0]; 4]);
/// let first = trainer.train_step(&mut net, &x, &y, 0.1).unwrap().loss;
/// for _ in 0..20 {
///     trainer.train_step(&mut net, &x, &y, 0.1).unwrap();
/// }
/// assert!(trainer.evaluate(&net, &x, &y).unwrap().loss < first);
/// assert_eq!(net.first.weights, [[127; 4]; 8]); // frozen
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantizedDense<const I: usize, const O: usize, A: Activation = Identity> {
    /// The quantised weights, `O` rows of `I` (`weights[o][i]` connects
    /// input `i` to unit `o`), in `-127..=127`.
    pub weights: [[i8; I]; O],
    /// One scale per unit: unit `o`'s weights are `weights[o][i] · scales[o]`.
    pub scales: [f32; O],
    /// The biases, f32.
    pub bias: [f32; O],
    /// The activation and its settings.
    pub activation: A,
}

impl<const I: usize, const O: usize, A: Activation> QuantizedDense<I, O, A> {
    /// A layer from weights already quantised (TFLite/CMSIS-NN per-channel
    /// symmetric int8: `weights[o][i]` and `scales[o]`, zero point 0), f32
    /// biases and the default activation. Usable in `const`.
    pub const fn from_int8(weights: [[i8; I]; O], scales: [f32; O], bias: [f32; O]) -> Self {
        QuantizedDense {
            weights,
            scales,
            bias,
            activation: A::DEFAULT,
        }
    }

    /// Quantises `dense` ([`crate::quantize`]): each unit's weights with the
    /// scale `max|w| / 127`, rounded to nearest (ties to even); the biases
    /// and the activation are copied. Usable in `const`, e.g. for a `static`
    /// computed at build time.
    ///
    /// Every weight `w` is then within half a step, `scales[o] / 2`, of its
    /// dequantised value.
    ///
    /// # Errors
    /// [`Error::NonFiniteWeight`] naming the first unit with a weight or
    /// bias that is NaN or infinite.
    ///
    /// ```
    /// use microprop::{Dense, QuantizedDense, Relu};
    /// const FLOAT: Dense<2, 2, Relu> = Dense::from_params([[1.0, -0.5], [0.25, 2.0]], [0.5, 0.0]);
    /// static INT8: QuantizedDense<2, 2, Relu> = match QuantizedDense::quantize(&FLOAT) {
    ///     Ok(q) => q,
    ///     Err(_) => panic!("weights not finite"),
    /// };
    /// assert_eq!(INT8.weights, [[127, 32], [-32, 127]]);
    /// assert_eq!(INT8.scales, [1.0 / 127.0, 2.0 / 127.0]);
    /// assert_eq!(INT8.bias, [0.5, 0.0]);
    /// ```
    pub const fn quantize(dense: &Dense<I, O, A>) -> Result<Self, Error> {
        let mut layer = QuantizedDense {
            weights: [[0; I]; O],
            scales: [0.0; O],
            bias: dense.params.bias,
            activation: dense.activation,
        };
        let w = &dense.params.weights;
        let mut o = 0;
        while o < O {
            // Unit o's weights are column o of the input-major matrix.
            let mut max = 0.0f32;
            let mut i = 0;
            while i < I {
                let a = w[i][o].abs();
                if !a.is_finite() || !dense.params.bias[o].is_finite() {
                    return Err(Error::NonFiniteWeight { unit: o });
                }
                if a > max {
                    max = a;
                }
                i += 1;
            }
            let scale = quantize::channel_scale(max);
            let mut i = 0;
            while i < I {
                layer.weights[o][i] = quantize::quantize_value(w[i][o], scale);
                i += 1;
            }
            layer.scales[o] = scale;
            o += 1;
        }
        Ok(layer)
    }

    /// The float layer these weights stand for: `w[i][o] = weights[o][i] ·
    /// scales[o]`, the same biases and activation.
    ///
    /// ```
    /// use microprop::{Dense, Identity, QuantizedDense};
    /// let q = QuantizedDense::<2, 1, Identity>::from_int8([[-127, 64]], [0.5], [1.0]);
    /// assert_eq!(q.dequantize(), Dense::from_params([[-63.5], [32.0]], [1.0]));
    /// ```
    pub const fn dequantize(&self) -> Dense<I, O, A> {
        let mut dense = Dense::with_activation(self.activation);
        let mut o = 0;
        while o < O {
            let mut i = 0;
            while i < I {
                dense.params.weights[i][o] = self.weights[o][i] as f32 * self.scales[o];
                i += 1;
            }
            dense.params.bias[o] = self.bias[o];
            o += 1;
        }
        dense
    }

    fn shape(&self, index: usize) -> LayerShape {
        LayerShape {
            index,
            inputs: I,
            outputs: O,
            pieces: 1,
            activation: self.activation.kind(),
            activation_parameter: self.activation.parameter(),
            kind: LayerKind::Int8,
        }
    }

    /// The affine map of one row, `x` quantised into `xq` on the way.
    #[inline]
    fn affine(&self, x: &[f32; I], xq: &mut [i8; I], out: &mut [f32; O]) {
        const {
            assert!(
                I > 0 && O > 0,
                "a layer needs at least one input and one unit"
            );
            assert!(
                I <= MAX_INPUTS,
                "an int8 layer's integer sums fit an i32 up to 133 144 inputs"
            );
        };
        quantize::affine(x, &self.weights, &self.scales, &self.bias, xq, out);
    }
}

/// Training cache of a [`QuantizedDense`] layer: its output rows, and one
/// input row quantised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantizedCache<R, const I: usize> {
    /// The output rows of the batch (dL/dZ after backward reached them).
    pub outputs: R,
    /// The input row being computed, quantised.
    pub input: [i8; I],
}

impl<R: Zeroed, const I: usize> Zeroed for QuantizedCache<R, I> {
    const ZERO: Self = QuantizedCache {
        outputs: R::ZERO,
        input: [0; I],
    };
}

impl<const I: usize, const O: usize, A: Activation> Parameters for QuantizedDense<I, O, A> {
    const LEN: usize = 0;
    fn slices(&self) -> impl Iterator<Item = &[f32]> {
        core::iter::empty()
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        core::iter::empty()
    }
}

impl<const I: usize, const O: usize, A: Activation> sealed::Sealed for QuantizedDense<I, O, A> {}

impl<const I: usize, const O: usize, A: Activation> Layer for QuantizedDense<I, O, A> {
    type Scratch = [i8; I];

    const ZERO: Self = QuantizedDense {
        weights: [[0; I]; O],
        scales: [0.0; O],
        bias: [0.0; O],
        activation: A::DEFAULT,
    };
    const DEPTH: usize = 1;

    /// Nothing to draw: the values come from [`QuantizedDense::quantize`]
    /// or [`QuantizedDense::from_int8`].
    fn init<R: Rng + ?Sized>(&mut self, _init: Init, _rng: &mut R) {}

    fn infer(&self, x: &[f32; I], out: &mut [f32; O], scratch: &mut [i8; I]) {
        self.affine(x, scratch, out);
        self.activation.forward(out);
    }

    /// The scales and biases, then the weights, four to a word.
    const STORED_WORDS: usize = 2 * O + (I * O).div_ceil(4);

    fn visit_shapes(&self, first_index: usize, f: &mut dyn FnMut(LayerShape)) {
        f(self.shape(first_index));
    }

    fn visit_values(&self, first_index: usize, f: &mut dyn FnMut(LayerShape, LayerValues<'_>)) {
        let values = LayerValues::Int8 {
            weights: self.weights.as_flattened(),
            scales: &self.scales,
            bias: &self.bias,
        };
        f(self.shape(first_index), values);
    }

    fn visit_values_mut(
        &mut self,
        first_index: usize,
        f: &mut dyn FnMut(LayerShape, LayerValuesMut<'_>),
    ) {
        let shape = self.shape(first_index);
        let values = LayerValuesMut::Int8 {
            weights: self.weights.as_flattened_mut(),
            scales: &mut self.scales,
            bias: &mut self.bias,
        };
        f(shape, values);
    }

    /// `None`: the weights are not f32.
    fn layer(&self, _index: usize) -> Option<LayerParams<'_>> {
        None
    }

    /// `None`: the weights are not f32.
    fn layer_mut(&mut self, _index: usize) -> Option<LayerParamsMut<'_>> {
        None
    }
}

impl<const I: usize, const O: usize, A: Activation> Backprop for QuantizedDense<I, O, A> {
    type Input = [f32; I];
    type Output = [f32; O];
    type OutputActivation = A;
    type Grads = ();
    type Cache<const B: usize> = QuantizedCache<[[f32; O]; B], I>;

    const TRAINS: bool = false;
    const INPUT_GRADIENT_READS_CACHE: bool = false;

    fn output_activation(&self) -> &A {
        &self.activation
    }

    fn trainable(&self) -> impl Iterator<Item = &[f32]> {
        core::iter::empty()
    }

    fn trainable_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        core::iter::empty()
    }

    fn forward<const B: usize>(&self, x: &[[f32; I]], cache: &mut Self::Cache<B>) {
        let outputs = prefix_mut(&mut cache.outputs, x.len());
        for (x_row, out) in x.iter().zip(outputs.iter_mut()) {
            self.affine(x_row, &mut cache.input, out);
            self.activation.forward(out);
        }
    }

    fn outputs<const B: usize>(cache: &Self::Cache<B>) -> &[[f32; O]; B] {
        &cache.outputs
    }

    fn outputs_mut<const B: usize>(cache: &mut Self::Cache<B>) -> &mut [[f32; O]; B] {
        &mut cache.outputs
    }

    /// Nothing to do: no parameter trains and nothing in front needs an
    /// input gradient.
    fn backward_first<const B: usize>(
        &self,
        _x: &[[f32; I]],
        _cache: &mut Self::Cache<B>,
        _grads: &mut (),
        _mode: GradientMode,
    ) {
    }

    fn backward_hidden<const B: usize, P: Activation>(
        &self,
        x: &mut [[f32; I]],
        prev: &P,
        delta: &mut [f32; I],
        cache: &mut Self::Cache<B>,
        _grads: &mut (),
        _mode: GradientMode,
    ) {
        self.backward_inputs(x, prev, delta, cache);
    }

    fn backward_inputs<const B: usize, P: Activation>(
        &self,
        x: &mut [[f32; I]],
        prev: &P,
        delta: &mut [f32; I],
        cache: &mut Self::Cache<B>,
    ) {
        let dz_rows = prefix(&cache.outputs, x.len());
        for (x_row, dz) in x.iter_mut().zip(dz_rows) {
            quantize::input_gradient(&self.weights, &self.scales, dz, delta);
            prev.backward(x_row, delta);
            *x_row = *delta;
        }
    }
}

/// The fused batch-1 step: no outer products (nothing trains); the input
/// gradient only when a trainable layer in front asks for it.
impl<const I: usize, const O: usize, A: Activation> FusedBackprop for QuantizedDense<I, O, A> {
    fn fused_deltas(&self, _cache: &mut Self::Cache<1>, dz: &[f32; O], dx: Option<&mut [f32; I]>) {
        if let Some(dx) = dx {
            quantize::input_gradient(&self.weights, &self.scales, dz, dx);
        }
    }

    fn outer_gradients<'a>(
        _x: &'a [f32; I],
        _cache: &'a Self::Cache<1>,
        _dz: &'a [f32; O],
        _f: &mut impl FnMut(&'a [f32], &'a [f32]),
    ) {
    }
}
