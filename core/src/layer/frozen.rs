//! A layer whose parameters do not train: no gradient, no optimizer
//! state, and only its output rows cached.

use crate::activation::Activation;
use crate::buffer::{Zeroed, prefix};
use crate::init::Init;
use crate::layer::{
    Backprop, Fusable, FusedBackprop, GradientMode, Layer, LayerParams, LayerParamsMut, LayerShape,
    LayerValues, LayerValuesMut, sealed,
};
use crate::params::Parameters;
use rand_core::Rng;

/// Layer `L` with its parameters frozen: a [`Trainer`](crate::Trainer)
/// computes no gradient for them, keeps no gradient buffer and no
/// optimizer state for them ([`Backprop::Grads`] is `()`), and never
/// changes them. Wrap a single layer (`Frozen<Dense<..>>`) or a whole
/// backbone (`Frozen<network![..]>`) and use it in
/// [`network!`](crate::network) like any layer.
///
/// - **Caches**: only the `B` output rows (what the layer above reads),
///   plus one row of the wrapped layer's own cache to run it a row at a
///   time (for a frozen backbone: one row per inner layer, where the
///   unfrozen network would keep `B`).
/// - **Backward** stops at the first trainable layer: behind a frozen
///   front (`network![Frozen<..>, Dense<..>]`) the trainable part is
///   trained as if it were the first layer, and no input gradient is
///   computed below it. A frozen layer between trainable ones passes the
///   gradient through (the input gradient only; a frozen chain or maxout
///   layer recomputes its inner rows of one row for that first, since it
///   does not cache them).
/// - **Parameters** ([`Parameters`], [`Layer::layer`], checkpoints) are
///   still the wrapped layer's: a frozen network's checkpoint holds the
///   same values as the unfrozen one's (its layers tagged
///   [`LayerKind::Frozen`](crate::layer::LayerKind)), and either loads
///   into the other, so a checkpoint of a pretrained model loads into its
///   frozen version. Only [`Backprop::trainable`] leaves them out.
///
/// ```
/// use microprop::{Adam, Dense, Frozen, Identity, Layer, MeanSquaredError, Relu, Trainer, network};
/// type Backbone = network![Dense<4, 8, Relu>, Dense<8, 8, Relu>];
/// type Full = network![Backbone, Dense<8, 2, Identity>];
/// type Head = network![Frozen<Backbone>, Dense<8, 2, Identity>];
/// type FullT = Trainer<Full, MeanSquaredError, Adam, 4>;
/// type HeadT = Trainer<Head, MeanSquaredError, Adam, 4>;
/// // Gradients and Adam's two moments only for the head's 8·2 + 2 values.
/// assert_eq!(HeadT::MEMORY.gradients, (8 * 2 + 2) * 4);
/// assert_eq!(HeadT::MEMORY.optimizer_state, 2 * (8 * 2 + 2) * 4);
/// assert!(HeadT::MEMORY.caches < FullT::MEMORY.caches);
///
/// let mut net = Head::ZERO;
/// net.init(microprop::Init::Xavier, &mut microprop::init::seeded(3));
/// let backbone = net.first;
/// let mut trainer = HeadT::new(MeanSquaredError, Adam::PYTORCH);
/// let x = [[0.5, -1.0, 2.0, 0.0]; 4];
/// let y = [[1.0, 0.0]; 4];
/// for _ in 0..10 {
///     trainer.train_step(&mut net, &x, &y, 1e-2).unwrap();
/// }
/// assert_eq!(net.first, backbone); // bit for bit
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frozen<L> {
    /// The wrapped layer, with the parameters it keeps.
    pub layer: L,
}

impl<L: Layer> Frozen<L> {
    /// Freezes `layer` (usable in `const`).
    pub const fn new(layer: L) -> Self {
        Frozen { layer }
    }
}

/// Training cache of a [`Frozen`] layer: its output rows, and one row of
/// the wrapped layer's cache to run it in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrozenCache<R, C> {
    /// The output rows of the batch (dL/dZ after backward reached them).
    pub outputs: R,
    /// The wrapped layer's cache for one row.
    pub row: C,
}

impl<R: Zeroed, C: Zeroed> Zeroed for FrozenCache<R, C> {
    const ZERO: Self = FrozenCache {
        outputs: R::ZERO,
        row: C::ZERO,
    };
}

impl<L: Layer> Parameters for Frozen<L> {
    const LEN: usize = L::LEN;
    fn slices(&self) -> impl Iterator<Item = &[f32]> {
        self.layer.slices()
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        self.layer.slices_mut()
    }
}

impl<L: Layer> sealed::Sealed for Frozen<L> {}

impl<L: Layer> Layer for Frozen<L> {
    type Scratch = L::Scratch;

    const ZERO: Self = Frozen { layer: L::ZERO };
    const DEPTH: usize = L::DEPTH;

    #[inline(always)]
    fn init<R: Rng + ?Sized>(&mut self, init: Init, rng: &mut R) {
        self.layer.init(init, rng);
    }

    fn infer(&self, x: &L::Input, out: &mut L::Output, scratch: &mut L::Scratch) {
        self.layer.infer(x, out, scratch);
    }

    const STORED_WORDS: usize = L::STORED_WORDS;

    fn visit_shapes(&self, first_index: usize, f: &mut dyn FnMut(LayerShape)) {
        self.layer.visit_shapes(first_index, &mut |s| f(frozen(s)));
    }

    fn visit_values(&self, first_index: usize, f: &mut dyn FnMut(LayerShape, LayerValues<'_>)) {
        self.layer
            .visit_values(first_index, &mut |s, v| f(frozen(s), v));
    }

    fn visit_values_mut(
        &mut self,
        first_index: usize,
        f: &mut dyn FnMut(LayerShape, LayerValuesMut<'_>),
    ) {
        self.layer
            .visit_values_mut(first_index, &mut |s, v| f(frozen(s), v));
    }

    fn layer(&self, index: usize) -> Option<LayerParams<'_>> {
        self.layer.layer(index).map(|mut p| {
            p.shape = frozen(p.shape);
            p
        })
    }

    fn layer_mut(&mut self, index: usize) -> Option<LayerParamsMut<'_>> {
        self.layer.layer_mut(index).map(|mut p| {
            p.shape = frozen(p.shape);
            p
        })
    }
}

impl<L: Layer> Backprop for Frozen<L> {
    type Input = L::Input;
    type Output = L::Output;
    type OutputActivation = L::OutputActivation;
    type Grads = ();
    type Cache<const B: usize> = FrozenCache<[L::Output; B], L::Cache<1>>;

    const TRAINS: bool = false;
    const INPUT_GRADIENT_READS_CACHE: bool = false;

    fn output_activation(&self) -> &L::OutputActivation {
        self.layer.output_activation()
    }

    fn trainable(&self) -> impl Iterator<Item = &[f32]> {
        core::iter::empty()
    }

    fn trainable_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        core::iter::empty()
    }

    fn forward<const B: usize>(&self, x: &[L::Input], cache: &mut Self::Cache<B>) {
        forward_frozen(&self.layer, x, cache);
    }

    fn outputs<const B: usize>(cache: &Self::Cache<B>) -> &[L::Output; B] {
        &cache.outputs
    }

    fn outputs_mut<const B: usize>(cache: &mut Self::Cache<B>) -> &mut [L::Output; B] {
        &mut cache.outputs
    }

    /// Nothing to do: no parameter trains and nothing in front needs an
    /// input gradient.
    fn backward_first<const B: usize>(
        &self,
        _x: &[L::Input],
        _cache: &mut Self::Cache<B>,
        _grads: &mut (),
        _mode: GradientMode,
    ) {
    }

    fn backward_hidden<const B: usize, P: Activation>(
        &self,
        x: &mut [L::Input],
        prev: &P,
        delta: &mut L::Input,
        cache: &mut Self::Cache<B>,
        _grads: &mut (),
        _mode: GradientMode,
    ) {
        self.backward_inputs(x, prev, delta, cache);
    }

    fn backward_inputs<const B: usize, P: Activation>(
        &self,
        x: &mut [L::Input],
        prev: &P,
        delta: &mut L::Input,
        cache: &mut Self::Cache<B>,
    ) {
        backward_frozen(&self.layer, x, prev, delta, cache);
    }
}

/// The fused batch-1 step: no outer products (nothing trains); the input
/// gradient only when a trainable layer in front asks for it.
impl<L: Fusable> FusedBackprop for Frozen<L> {
    fn fused_deltas(&self, cache: &mut Self::Cache<1>, dz: &L::Output, dx: Option<&mut L::Input>) {
        if dx.is_some() {
            self.layer.fused_deltas(&mut cache.row, dz, dx);
        }
    }

    fn outer_gradients<'a>(
        _x: &'a L::Input,
        _cache: &'a Self::Cache<1>,
        _dz: &'a L::Output,
        _f: &mut impl FnMut(&'a [f32], &'a [f32]),
    ) {
    }
}

/// A wrapped layer's shape, of its frozen kind ([`LayerKind::Frozen`],
/// unless it is int8 or in flash already).
fn frozen(shape: LayerShape) -> LayerShape {
    LayerShape {
        kind: shape.kind.frozen(),
        ..shape
    }
}

/// [`Frozen`]'s forward pass over layer `layer` (also the pass of a
/// [`Flash`](crate::layer::Flash) layer): one row at a time (the kernels
/// sum every row in the same order whether they see one row or several, so
/// the outputs are the bits of the unfrozen layer's batch forward).
pub(crate) fn forward_frozen<L: Layer, const B: usize>(
    layer: &L,
    x: &[L::Input],
    cache: &mut FrozenCache<[L::Output; B], L::Cache<1>>,
) {
    for (x_row, out) in x.iter().zip(cache.outputs.iter_mut()) {
        layer.forward::<1>(core::slice::from_ref(x_row), &mut cache.row);
        let [y] = L::outputs(&cache.row);
        *out = *y;
    }
}

/// [`Frozen`]'s input gradient through `layer`, row by row through its
/// one-row cache: the row's dL/dZ goes where the layer keeps its output,
/// after its inner rows are recomputed from the input row if its pass reads
/// them.
pub(crate) fn backward_frozen<L: Layer, P: Activation, const B: usize>(
    layer: &L,
    x: &mut [L::Input],
    prev: &P,
    delta: &mut L::Input,
    cache: &mut FrozenCache<[L::Output; B], L::Cache<1>>,
) {
    let dz_rows = prefix(&cache.outputs, x.len());
    for (x_row, dz) in x.iter_mut().zip(dz_rows) {
        if L::INPUT_GRADIENT_READS_CACHE {
            layer.forward::<1>(core::slice::from_ref(x_row), &mut cache.row);
        }
        let [out] = L::outputs_mut(&mut cache.row);
        *out = *dz;
        layer.backward_inputs::<1, P>(core::slice::from_mut(x_row), prev, delta, &mut cache.row);
    }
}
