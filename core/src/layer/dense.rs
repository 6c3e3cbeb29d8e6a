//! The fully connected layer H = f(X W + b).

use crate::activation::{Activation, Identity};
use crate::buffer::{Zeroed, prefix, prefix_mut};
use crate::init::Init;
use crate::kernel;
use crate::layer::{
    Backprop, FusedBackprop, GradientMode, Layer, LayerKind, LayerParams, LayerParamsMut,
    LayerShape, LayerValues, LayerValuesMut, sealed,
};
use crate::params::Parameters;
use rand_core::Rng;

/// Weights and bias of a dense layer; also the shape of its gradient.
///
/// `weights[i][o]` connects input `i` to unit `o`: the lecture's W ∈ R^{d×h},
/// stored input-major. Parameter order (see [`Parameters`]): the weights row
/// by row, then the bias.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DenseParams<const I: usize, const O: usize> {
    /// W, `I` rows of `O`.
    pub weights: [[f32; O]; I],
    /// b, one per unit.
    pub bias: [f32; O],
}

impl<const I: usize, const O: usize> Zeroed for DenseParams<I, O> {
    const ZERO: Self = DenseParams {
        weights: [[0.0; O]; I],
        bias: [0.0; O],
    };
}

impl<const I: usize, const O: usize> Parameters for DenseParams<I, O> {
    const LEN: usize = I * O + O;
    fn slices(&self) -> impl Iterator<Item = &[f32]> {
        [self.weights.as_flattened(), &self.bias[..]].into_iter()
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        [self.weights.as_flattened_mut(), &mut self.bias[..]].into_iter()
    }
}

/// A fully connected layer of `O` units over `I` inputs with activation `A`:
/// `H = A(X W + b)` for each row of a batch.
///
/// ```
/// use microprop::{Dense, Inference, Layer, Relu};
/// let mut layer: Dense<2, 1, Relu> = Dense::ZERO;
/// layer.params.weights = [[1.0], [-1.0]];
/// layer.params.bias = [0.5];
/// let mut run = Inference::<Dense<2, 1, Relu>>::new();
/// assert_eq!(run.predict(&layer, &[3.0, 1.0]), Ok(&[2.5]));
/// assert_eq!(run.predict(&layer, &[0.0, 1.0]), Ok(&[0.0]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Dense<const I: usize, const O: usize, A: Activation = Identity> {
    /// Weights and bias.
    pub params: DenseParams<I, O>,
    /// The activation and its settings.
    pub activation: A,
}

impl<const I: usize, const O: usize, A: Activation> Dense<I, O, A> {
    /// A zero-weight layer with the given activation (e.g. a Leaky ReLU with
    /// a non-default slope). Usable in `const`.
    pub const fn with_activation(activation: A) -> Self {
        Dense {
            params: DenseParams::ZERO,
            activation,
        }
    }

    /// A layer with the given weights, bias and default activation.
    pub const fn from_params(weights: [[f32; O]; I], bias: [f32; O]) -> Self {
        Dense {
            params: DenseParams { weights, bias },
            activation: A::DEFAULT,
        }
    }

    /// This layer's shape, numbered `index`.
    fn shape(&self, index: usize) -> LayerShape {
        LayerShape {
            index,
            inputs: I,
            outputs: O,
            pieces: 1,
            activation: self.activation.kind(),
            activation_parameter: self.activation.parameter(),
            kind: LayerKind::Trainable,
        }
    }

    /// out = b + x W, summed over inputs in index order (a fixed order, so
    /// every target gets the same bits); see [`kernel::affine`].
    #[inline]
    fn affine(&self, x: &[f32; I], out: &mut [f32; O]) {
        kernel::affine(
            x,
            self.params.weights.as_flattened(),
            &self.params.bias,
            out,
        );
    }
}

impl<const I: usize, const O: usize, A: Activation> Parameters for Dense<I, O, A> {
    const LEN: usize = I * O + O;
    fn slices(&self) -> impl Iterator<Item = &[f32]> {
        self.params.slices()
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        self.params.slices_mut()
    }
}

impl<const I: usize, const O: usize, A: Activation> sealed::Sealed for Dense<I, O, A> {}

impl<const I: usize, const O: usize, A: Activation> Layer for Dense<I, O, A> {
    type Scratch = ();

    const ZERO: Self = Self::with_activation(A::DEFAULT);
    const DEPTH: usize = 1;

    // Always inlined down to `Init::fill`, so a constant scheme at the
    // caller's `init` links only that scheme's loop, for any depth.
    #[inline(always)]
    fn init<R: Rng + ?Sized>(&mut self, init: Init, rng: &mut R) {
        init.fill(self.params.weights.as_flattened_mut(), I, O, rng);
        self.params.bias = [0.0; O];
    }

    const STORED_WORDS: usize = Self::LEN;

    fn visit_shapes(&self, first_index: usize, f: &mut dyn FnMut(LayerShape)) {
        f(self.shape(first_index));
    }

    fn visit_values(&self, first_index: usize, f: &mut dyn FnMut(LayerShape, LayerValues<'_>)) {
        let values = LayerValues::Float {
            weights: self.params.weights.as_flattened(),
            bias: &self.params.bias,
        };
        f(self.shape(first_index), values);
    }

    fn visit_values_mut(
        &mut self,
        first_index: usize,
        f: &mut dyn FnMut(LayerShape, LayerValuesMut<'_>),
    ) {
        let shape = self.shape(first_index);
        let values = LayerValuesMut::Float {
            weights: self.params.weights.as_flattened_mut(),
            bias: &mut self.params.bias,
        };
        f(shape, values);
    }

    fn layer(&self, index: usize) -> Option<LayerParams<'_>> {
        if index == 0 {
            Some(LayerParams {
                shape: self.shape(0),
                weights: self.params.weights.as_flattened(),
                bias: &self.params.bias,
            })
        } else {
            None
        }
    }

    fn layer_mut(&mut self, index: usize) -> Option<LayerParamsMut<'_>> {
        let shape = self.shape(0);
        if index == 0 {
            Some(LayerParamsMut {
                shape,
                weights: self.params.weights.as_flattened_mut(),
                bias: &mut self.params.bias,
            })
        } else {
            None
        }
    }

    #[inline]
    fn infer(&self, x: &[f32; I], out: &mut [f32; O], _scratch: &mut ()) {
        const {
            assert!(
                I > 0 && O > 0,
                "a layer needs at least one input and one unit"
            )
        };
        self.affine(x, out);
        self.activation.forward(out);
    }
}

impl<const I: usize, const O: usize, A: Activation> Backprop for Dense<I, O, A> {
    type Input = [f32; I];
    type Output = [f32; O];
    type OutputActivation = A;
    type Grads = DenseParams<I, O>;
    type Cache<const B: usize> = [[f32; O]; B];

    const TRAINS: bool = true;
    const INPUT_GRADIENT_READS_CACHE: bool = false;

    fn output_activation(&self) -> &A {
        &self.activation
    }

    fn trainable(&self) -> impl Iterator<Item = &[f32]> {
        self.params.slices()
    }

    fn trainable_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        self.params.slices_mut()
    }

    fn forward<const B: usize>(&self, x: &[[f32; I]], cache: &mut [[f32; O]; B]) {
        let out = prefix_mut(cache, x.len());
        kernel::affine_rows(
            x.as_flattened(),
            I,
            self.params.weights.as_flattened(),
            &self.params.bias,
            out.as_flattened_mut(),
        );
        for out in out.iter_mut() {
            self.activation.forward(out);
        }
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
        grads: &mut DenseParams<I, O>,
        mode: GradientMode,
    ) {
        let dz = prefix(cache, x.len());
        kernel::weight_gradients(
            x.as_flattened(),
            dz.as_flattened(),
            grads.weights.as_flattened_mut(),
            &mut grads.bias,
            mode,
        );
    }

    fn backward_hidden<const B: usize, P: Activation>(
        &self,
        x: &mut [[f32; I]],
        prev: &P,
        delta: &mut [f32; I],
        cache: &mut [[f32; O]; B],
        grads: &mut DenseParams<I, O>,
        mode: GradientMode,
    ) {
        kernel::weight_gradients(
            x.as_flattened(),
            prefix(cache, x.len()).as_flattened(),
            grads.weights.as_flattened_mut(),
            &mut grads.bias,
            mode,
        );
        // Then each row of x (no longer needed) becomes dL/d(previous
        // pre-activation).
        self.backward_inputs(x, prev, delta, cache);
    }

    fn backward_inputs<const B: usize, P: Activation>(
        &self,
        x: &mut [[f32; I]],
        prev: &P,
        delta: &mut [f32; I],
        cache: &mut [[f32; O]; B],
    ) {
        for (x_row, dz) in x.iter_mut().zip(cache.iter()) {
            kernel::input_gradient(self.params.weights.as_flattened(), dz, delta);
            prev.backward(x_row, delta);
            *x_row = *delta;
        }
    }
}

impl<const I: usize, const O: usize, A: Activation> FusedBackprop for Dense<I, O, A> {
    fn fused_deltas(&self, _cache: &mut [[f32; O]; 1], dz: &[f32; O], dx: Option<&mut [f32; I]>) {
        if let Some(dx) = dx {
            kernel::input_gradient(self.params.weights.as_flattened(), dz, dx);
        }
    }

    fn outer_gradients<'a>(
        x: &'a [f32; I],
        _cache: &'a [[f32; O]; 1],
        dz: &'a [f32; O],
        f: &mut impl FnMut(&'a [f32], &'a [f32]),
    ) {
        // dW = x ⊗ dz, db = 1 ⊗ dz: what the unfused backward stores
        // (1·dz = dz bit for bit).
        f(x, dz);
        f(&[1.0], dz);
    }
}
