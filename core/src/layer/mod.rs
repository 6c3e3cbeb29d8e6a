//! Layers and what the trainers need from them.
//!
//! Two levels, as a contract:
//! - [`Layer`] is what a user of a network calls: the row types
//!   (`N::Input`, `N::Output`, declared on [`Backprop`]), the all-zero value
//!   ([`Layer::ZERO`]), weight initialisation ([`Layer::init`]), inference
//!   of one row ([`Layer::infer`]), the shapes ([`Layer::visit_shapes`])
//!   and each layer's weights in place ([`Layer::layer`],
//!   [`Layer::layer_mut`]). Given finite weights and a finite input row,
//!   `infer` writes the output row and never panics.
//! - [`Backprop`] is what [`Trainer`](crate::Trainer) calls: the caches of
//!   a batch, the gradient buffer's type and the forward and backward
//!   passes; [`FusedBackprop`] adds the two passes of
//!   [`FusedTrainer`](crate::FusedTrainer). Every `Layer` is a `Backprop`
//!   (a supertrait); a layer that is also a `FusedBackprop` is
//!   [`Fusable`]. Both are sealed: [`Dense`], [`Maxout`] and [`Chain`]
//!   implement them (and, for fine-tuning, [`Frozen`], [`Flash`],
//!   [`BiasOnly`] and the int8 [`QuantizedDense`]), so the caches and
//!   passes can change without breaking a user's code. The batch methods take the rows actually present
//!   (`1..=B`); the trainers check that bound before calling them.
//!
//! The other items are the pieces of those caches and buffers
//! ([`ChainCache`], [`MaxoutCache`], [`DenseParams`], ...) and the traits
//! they are built from ([`Zeroed`], [`ParameterBuffer`], [`HeldRows`]),
//! named so that sizes (`size_of::<Grads<Net>>()`) and generated code can
//! refer to them.
//!
//! ```
//! use microprop::layer::{Cache, Grads};
//! use microprop::{Dense, Inference, Init, Layer, Parameters, Relu, network};
//! type Net = network![Dense<2, 3, Relu>, Dense<3, 1, Relu>];
//! let mut net = Net::ZERO;
//! net.init(Init::Xavier, &mut microprop::init::seeded(7));
//! let mut run = Inference::<Net>::new();
//! let y = *run.predict(&net, &[1.0, -1.0]).unwrap();
//! assert!(y[0] >= 0.0);
//! // A gradient buffer is shaped like the parameters; a cache holds the
//! // output rows of every layer for a batch, and one row at each boundary.
//! assert_eq!(size_of::<Grads<Net>>(), Net::LEN * 4);
//! assert_eq!(size_of::<Cache<Net, 4>>(), (4 * 3 + 4 * 1 + 3) * 4);
//! ```

mod bias_only;
mod chain;
mod dense;
mod flash;
mod frozen;
mod kind;
pub(crate) mod maxout;
mod quantized;
mod trainable;

use crate::activation::Activation;
use crate::buffer::Row;
use crate::init::Init;
use crate::params::Parameters;
use rand_core::Rng;

pub use crate::buffer::{HeldRows, Zeroed};
pub use crate::kernel::GradientMode;
pub use crate::params::ParameterBuffer;
pub use bias_only::BiasOnly;
pub use chain::{Chain, ChainCache, ChainScratch};
pub use dense::{Dense, DenseParams};
pub use flash::{Flash, FlashWeights};
pub use frozen::{Frozen, FrozenCache};
pub use kind::{LayerKind, LayerValues, LayerValuesMut};
pub use maxout::{Maxout, MaxoutCache, MaxoutParams};
pub use quantized::{QuantizedCache, QuantizedDense};
pub use trainable::Trainable;

/// A map from one [`Row`] to another with its own parameters: a
/// [`Dense`] or [`Maxout`] layer, or a [`Chain`] of layers, so a whole
/// network is a `Layer` too.
///
/// Its rows are `N::Input` and `N::Output`, `[f32; I]` and `[f32; O]`
/// (declared on the supertrait [`Backprop`], whose passes take them; write
/// `N::Input` and bounds such as `N: Layer<Input = [f32; 4]>` as usual). A
/// `Chain<X, Y>` is a layer only when `Y::Input == X::Output`: that equality
/// of `[f32; N]` types is the compile-time shape check.
///
/// The layer value holds parameters and activation settings only. The
/// inference workspace ([`Layer::Scratch`]) is a separate type owned by an
/// [`Inference`](crate::Inference), the training buffers
/// ([`Backprop::Cache`], [`Backprop::Grads`]) are owned by a
/// [`Trainer`](crate::Trainer), so an inference-only build pays for none of
/// them.
///
/// ```
/// use microprop::{Dense, Identity, Layer, Relu, network};
/// type Net = network![Dense<4, 8, Relu>, Dense<8, 3, Identity>];
/// static NET: Net = Net::ZERO;
/// let mut shapes = [(0, 0); Net::DEPTH];
/// NET.visit_shapes(0, &mut |s| shapes[s.index] = (s.inputs, s.outputs));
/// assert_eq!(shapes, [(4, 8), (8, 3)]);
/// ```
pub trait Layer: Backprop {
    /// Workspace for the inference of one row (the rows between the layers
    /// of a chain).
    type Scratch: Zeroed;

    /// All weights zero, default activation settings.
    const ZERO: Self;
    /// Number of layers (a chain counts its members).
    const DEPTH: usize;

    /// Draws the weights from `init`; sets the biases to zero.
    fn init<R: Rng + ?Sized>(&mut self, init: Init, rng: &mut R);

    /// The output for one input row.
    fn infer(&self, x: &Self::Input, out: &mut Self::Output, scratch: &mut Self::Scratch);

    /// Calls `f` with the shape of each layer, front to back, numbering them
    /// from `first_index` (for reports and checkpoint fingerprints).
    fn visit_shapes(&self, first_index: usize, f: &mut dyn FnMut(LayerShape));

    /// Layer `index`'s (from 0) shape, weights and biases, or `None` past
    /// the last layer. With [`Parameters::slices`] (every parameter in
    /// order) and [`Parameters::copy_to`], the ways to read a network's
    /// weights.
    ///
    /// ```
    /// use microprop::{Dense, Identity, Layer, Relu, network};
    /// type Net = network![Dense<2, 3, Relu>, Dense<3, 1, Identity>];
    /// let mut net = Net::ZERO;
    /// let out = net.layer_mut(1).unwrap();
    /// out.weights.copy_from_slice(&[1.0, 2.0, 3.0]);
    /// out.bias[0] = 0.5;
    /// let out = net.layer(1).unwrap();
    /// assert_eq!((out.shape.index, out.shape.inputs, out.shape.outputs), (1, 3, 1));
    /// assert_eq!((out.weights, out.bias), (&[1.0, 2.0, 3.0][..], &[0.5][..]));
    /// assert_eq!(net.second.params.weights, [[1.0], [2.0], [3.0]]);
    /// assert!(net.layer(2).is_none());
    /// ```
    fn layer(&self, index: usize) -> Option<LayerParams<'_>>;

    /// Mutable [`Layer::layer`]: the weights and biases of layer `index`,
    /// to write (the shape is a copy).
    fn layer_mut(&mut self, index: usize) -> Option<LayerParamsMut<'_>>;

    /// 4-byte words a checkpoint stores for these layers: [`Parameters::LEN`]
    /// for float layers, the scales, biases and padded int8 weights of an
    /// int8 layer, one CRC-32 per layer kept in flash.
    const STORED_WORDS: usize;

    /// Calls `f` with the shape and the values of each layer, front to
    /// back, numbering them from `first_index`: every layer, int8 and flash
    /// ones included (what a checkpoint stores, or fingerprints).
    ///
    /// ```
    /// use microprop::layer::{LayerKind, LayerValues};
    /// use microprop::{Dense, Identity, Layer, QuantizedDense, Tanh, network};
    /// type Net = network![QuantizedDense<2, 1, Tanh>, Dense<1, 1, Identity>];
    /// let mut net = Net::ZERO;
    /// net.first = QuantizedDense::from_int8([[-127, 64]], [0.5], [1.0]);
    /// let (mut int8, mut weights, mut others) = (None, [0i8; 2], 0);
    /// net.visit_values(0, &mut |shape, values| match values {
    ///     LayerValues::Int8 { weights: w, .. } => {
    ///         int8 = Some((shape.index, shape.kind));
    ///         weights.copy_from_slice(w);
    ///     }
    ///     _ => others += 1,
    /// });
    /// assert_eq!(int8, Some((0, LayerKind::Int8)));
    /// assert_eq!((weights, others), ([-127, 64], 1));
    /// ```
    fn visit_values(&self, first_index: usize, f: &mut dyn FnMut(LayerShape, LayerValues<'_>));

    /// Mutable [`Layer::visit_values`]: every layer whose values the
    /// network value holds (not those in flash), to write.
    ///
    /// ```
    /// use microprop::layer::LayerValuesMut;
    /// use microprop::{Dense, Frozen, Identity, Layer, QuantizedDense, Tanh, network};
    /// type Net = network![QuantizedDense<2, 1, Tanh>, Frozen<Dense<1, 1, Identity>>];
    /// let mut net = Net::ZERO;
    /// net.visit_values_mut(0, &mut |_, values| match values {
    ///     LayerValuesMut::Int8 { weights, scales, .. } => {
    ///         weights.fill(3);
    ///         scales.fill(0.5);
    ///     }
    ///     LayerValuesMut::Float { bias, .. } => bias.fill(1.0),
    /// });
    /// assert_eq!((net.first.weights, net.first.scales), ([[3, 3]], [0.5]));
    /// assert_eq!(net.second.layer.params.bias, [1.0]);
    /// ```
    fn visit_values_mut(
        &mut self,
        first_index: usize,
        f: &mut dyn FnMut(LayerShape, LayerValuesMut<'_>),
    );
}

/// One layer's parameters, viewed in place ([`Layer::layer`]).
///
/// `weights` is flat: a dense layer's `I` rows of `O`
/// (`weights[i·O + o]` connects input `i` to unit `o`, the transpose of
/// PyTorch's `Linear.weight`); a maxout layer's `O·K` rows of `I` (unit,
/// then piece). `bias` holds `O` values (dense) or `O·K` (maxout, unit by
/// piece). Together, layer after layer, they are the network's
/// [`Parameters::slices`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LayerParams<'a> {
    /// The layer's shape; `shape.index` is `index`.
    pub shape: LayerShape,
    /// The weights.
    pub weights: &'a [f32],
    /// The biases.
    pub bias: &'a [f32],
}

/// One layer's parameters, viewed in place to write ([`Layer::layer_mut`]);
/// laid out as [`LayerParams`].
#[derive(Debug, PartialEq)]
pub struct LayerParamsMut<'a> {
    /// The layer's shape; `shape.index` is `index`.
    pub shape: LayerShape,
    /// The weights.
    pub weights: &'a mut [f32],
    /// The biases.
    pub bias: &'a mut [f32],
}

/// The training side of a layer: its rows, and what
/// [`Trainer`](crate::Trainer) calls. Sealed; every [`Layer`] implements
/// it.
///
/// A forward pass caches what backward needs (at least the output rows of
/// every layer); backward runs last layer first, reading dL/dZ from the
/// cached output rows and writing dL/d(previous pre-activation) over the
/// previous layer's cached outputs, so no other buffer is needed.
pub trait Backprop: Parameters + Sized + sealed::Sealed {
    /// One input row, `[f32; I]`.
    type Input: Row;
    /// One output row, `[f32; O]`.
    type Output: Row;
    /// The activation applied to the output (for a chain: its last layer's).
    type OutputActivation: Activation;
    /// Gradient buffer, shaped like the parameters.
    type Grads: ParameterBuffer;
    /// Everything backpropagation needs cached for a batch of `B` rows
    /// (at least the outputs).
    type Cache<const B: usize>: Zeroed;

    /// Whether the layer has parameters that train: `false` for a
    /// [`Frozen`] layer and a chain of frozen layers. A chain whose front
    /// part does not train computes no input gradient for it: backward
    /// stops at the first trainable layer.
    const TRAINS: bool;

    /// Whether [`Backprop::backward_inputs`] reads more of the cache than
    /// the dL/dZ rows (a maxout layer's winning pieces, a chain's inner
    /// rows): then a [`Frozen`] layer, which caches only its outputs,
    /// recomputes the rest of one row before propagating through it.
    const INPUT_GRADIENT_READS_CACHE: bool;

    /// The output activation (what a loss sees behind the outputs).
    fn output_activation(&self) -> &Self::OutputActivation;

    /// The parameter slices an optimizer updates, in [`Parameters::slices`]
    /// order and shaped as [`Backprop::Grads`]: all of them for a plain
    /// layer, none for a [`Frozen`] one, the biases of a [`BiasOnly`] one.
    fn trainable(&self) -> impl Iterator<Item = &[f32]>;

    /// Mutable [`Backprop::trainable`].
    fn trainable_mut(&mut self) -> impl Iterator<Item = &mut [f32]>;

    /// Forward pass over the rows of `x`, caching what backward needs.
    fn forward<const B: usize>(&self, x: &[Self::Input], cache: &mut Self::Cache<B>);

    /// The cached output rows (after [`Backprop::forward`]; before
    /// [`Backprop::backward_first`], the rows hold dL/d(pre-activation)
    /// instead).
    fn outputs<const B: usize>(cache: &Self::Cache<B>) -> &[Self::Output; B];

    /// Mutable [`Backprop::outputs`].
    fn outputs_mut<const B: usize>(cache: &mut Self::Cache<B>) -> &mut [Self::Output; B];

    /// Backward pass for the first layer of a network: the output rows of
    /// `cache` hold dL/dZ on entry; adds dL/dW and dL/db to `grads`. The input
    /// gradient is not needed and not computed. With
    /// [`GradientMode::Overwrite`] the old contents of `grads` are ignored.
    fn backward_first<const B: usize>(
        &self,
        x: &[Self::Input],
        cache: &mut Self::Cache<B>,
        grads: &mut Self::Grads,
        mode: GradientMode,
    );

    /// Backward pass for a layer behind another one: like
    /// [`Backprop::backward_first`], and in addition replaces each row of `x`
    /// (the previous layer's cached outputs) by dL/d(previous
    /// pre-activation), using `prev`, the previous layer's activation, and
    /// `delta`, one row of scratch.
    fn backward_hidden<const B: usize, P: Activation>(
        &self,
        x: &mut [Self::Input],
        prev: &P,
        delta: &mut Self::Input,
        cache: &mut Self::Cache<B>,
        grads: &mut Self::Grads,
        mode: GradientMode,
    );

    /// The input half of [`Backprop::backward_hidden`]: replaces each row
    /// of `x` by dL/d(previous pre-activation) and adds nothing to any
    /// gradient (the pass through a [`Frozen`] layer between trainable
    /// ones).
    fn backward_inputs<const B: usize, P: Activation>(
        &self,
        x: &mut [Self::Input],
        prev: &P,
        delta: &mut Self::Input,
        cache: &mut Self::Cache<B>,
    );
}

/// The passes of the fused batch-1 step ([`FusedTrainer`](crate::FusedTrainer)),
/// for layers whose gradient is an outer product per parameter slice.
/// Sealed; [`Dense`], chains of fusable layers and the fine-tuning
/// wrappers of fusable layers ([`Frozen`], [`Flash`]: no outer products;
/// [`BiasOnly`]: the bias's) and the int8 [`QuantizedDense`] (none)
/// implement it, [`Maxout`] does not (its
/// gradient goes to the winning piece only).
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be trained by the fused step (`FusedTrainer`)",
    label = "not a dense layer or a chain of them",
    note = "the fused step forms every weight's gradient as an outer product, which a `Maxout` layer's is not; train it with `Trainer` and batch 1"
)]
pub trait FusedBackprop: Backprop {
    /// First pass: `dz` is dL/dZ of this layer's output row (after
    /// [`Backprop::forward`] of one row). Stores dL/dZ of every inner
    /// junction of a chain in `cache` (where
    /// [`FusedBackprop::outer_gradients`] finds it), leaves the cached
    /// outputs alone, and writes dL/d(input), not yet through the previous
    /// layer's activation, to `dx` if given. Reads the weights, writes none.
    fn fused_deltas(
        &self,
        cache: &mut Self::Cache<1>,
        dz: &Self::Output,
        dx: Option<&mut Self::Input>,
    );

    /// Second pass: calls `f(a, d)` for each parameter slice in
    /// [`Parameters::slices`] order, the slice's gradient being the outer
    /// product `g[r·len(d) + o] = a[r]·d[o]` (for a dense layer: the input
    /// row and dz for the weights, `[1]` and dz for the bias). `x` is the
    /// input row and `dz` this layer's, as given to
    /// [`FusedBackprop::fused_deltas`].
    fn outer_gradients<'a>(
        x: &'a Self::Input,
        cache: &'a Self::Cache<1>,
        dz: &'a Self::Output,
        f: &mut impl FnMut(&'a [f32], &'a [f32]),
    );
}

/// A layer that [`FusedTrainer`](crate::FusedTrainer) can train: every
/// [`Layer`] that is a [`FusedBackprop`] (dense layers and chains of them).
///
/// ```
/// use microprop::{Dense, Fusable, Identity, Tanh, network};
/// fn fusable<N: Fusable>() {}
/// fusable::<network![Dense<2, 4, Tanh>, Dense<4, 1, Identity>]>();
/// ```
///
/// A network with a maxout layer is not fusable:
///
/// ```compile_fail
/// use microprop::{Dense, Fusable, Identity, Maxout, network};
/// fn fusable<N: Fusable>() {}
/// fusable::<network![Maxout<2, 4, 2>, Dense<4, 1, Identity>]>();
/// ```
pub trait Fusable: Layer + FusedBackprop {}

impl<T: Layer + FusedBackprop> Fusable for T {}

/// The gradient buffer of network `N`, shaped like its parameters.
pub type Grads<N> = <N as Backprop>::Grads;

/// The training cache of network `N` for batches of up to `B` rows.
pub type Cache<N, const B: usize> = <N as Backprop>::Cache<B>;

/// One layer's shape, as reported by [`Layer::visit_shapes`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LayerShape {
    /// Position in the network, from 0.
    pub index: usize,
    /// Input width.
    pub inputs: usize,
    /// Output width.
    pub outputs: usize,
    /// Linear pieces per unit (1 for a dense layer, K for maxout).
    pub pieces: usize,
    /// The activation applied to the output.
    pub activation: crate::ActivationKind,
    /// The activation's setting ([`Activation::parameter`]).
    pub activation_parameter: f32,
    /// How the layer keeps its values.
    pub kind: LayerKind,
}

pub(crate) mod sealed {
    /// Keeps [`Backprop`](super::Backprop) to the layers of this crate.
    pub trait Sealed {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{Identity, Relu};
    use crate::network;

    type Net = network![Dense<3, 4, Relu>, Maxout<4, 2, 3>, Dense<2, 1, Identity>];

    /// The per-layer views are the parameter slices, layer by layer, with
    /// the shapes `visit_shapes` reports; writes through them land there.
    #[test]
    fn layer_views_are_the_parameters_in_order() {
        let mut net = Net::ZERO;
        for (i, v) in net.slices_mut().flatten().enumerate() {
            *v = i as f32;
        }
        let mut shapes = [None; 3];
        net.visit_shapes(0, &mut |s| {
            if let Some(slot) = shapes.get_mut(s.index) {
                *slot = Some(s);
            }
        });
        {
            let mut slices = net.slices();
            for (index, shape) in shapes.iter().enumerate() {
                let view = net.layer(index);
                assert_eq!(view.map(|v| v.shape), *shape);
                assert_eq!(view.map(|v| v.weights), slices.next());
                assert_eq!(view.map(|v| v.bias), slices.next());
            }
            assert_eq!(slices.next(), None);
        }
        assert_eq!(net.layer(3), None);

        if let Some(maxout) = net.layer_mut(1) {
            assert_eq!((maxout.shape.index, maxout.shape.pieces), (1, 3));
            maxout.bias.fill(-1.0);
        }
        assert_eq!(net.first.second.params.bias, [[-1.0; 3]; 2]);
        assert!(net.layer_mut(3).is_none());
    }
}
