//! A frozen layer whose weights are a constant: they stay in flash and the
//! network value does not hold them.

use core::fmt;
use core::marker::PhantomData;

use crate::activation::Activation;
use crate::init::Init;
use crate::layer::frozen::{backward_frozen, forward_frozen};
use crate::layer::{
    Backprop, FrozenCache, Fusable, FusedBackprop, GradientMode, Layer, LayerParams,
    LayerParamsMut, LayerShape, LayerValues, LayerValuesMut, sealed,
};
use crate::params::Parameters;
use rand_core::Rng;

/// Names the weights of a [`Flash`] layer: a layer value behind a
/// `&'static` reference, usually a `static` (or a promoted constant) that
/// the linker keeps in flash, e.g. a pretrained model exported as Rust
/// source.
///
/// ```
/// use microprop::layer::FlashWeights;
/// use microprop::{Dense, Tanh};
/// static PRETRAINED: Dense<2, 2, Tanh> = Dense::from_params([[1.0, 0.0], [0.0, 1.0]], [0.0; 2]);
/// struct Backbone;
/// impl FlashWeights for Backbone {
///     type Layer = Dense<2, 2, Tanh>;
///     const LAYER: &'static Dense<2, 2, Tanh> = &PRETRAINED;
/// }
/// ```
pub trait FlashWeights: 'static {
    /// The layer (or chain of layers) the weights belong to.
    type Layer: Layer;
    /// The weights.
    const LAYER: &'static Self::Layer;
}

/// A [`Frozen`](crate::Frozen) layer whose weights are
/// [`FlashWeights::LAYER`], a `&'static` value: the weights stay where the
/// linker put them (flash for a `static`), and `Flash<W>` itself is zero
/// bytes, so a network's RAM ([`MemoryReport::parameters`](crate::MemoryReport::parameters))
/// is its trainable part only. Training is that of
/// [`Frozen`](crate::Frozen): no gradient, no optimizer state, only the
/// output rows (and one row of the layer's cache) cached, backward
/// stopping at the first trainable layer, the same bits.
///
/// Its weights are not the network's [`Parameters`] (`LEN` 0: they cannot
/// be written, so [`Parameters::copy_from`] and [`Layer::init`] leave them
/// alone); a checkpoint holds a CRC-32 of each of its layers' values
/// (kind [`LayerKind::Flash`](crate::layer::LayerKind) or `FlashInt8`),
/// and a load refuses a checkpoint made with other values
/// (`checkpoint::CheckpointError::FlashMismatch`).
/// [`Layer::visit_shapes`], [`Layer::visit_values`] and [`Layer::layer`]
/// still show them, [`Layer::layer_mut`] gives `None` for them.
///
/// ```
/// use microprop::layer::FlashWeights;
/// use microprop::{Adam, Dense, Flash, Frozen, Identity, Layer, MeanSquaredError, Tanh, Trainer, network};
/// type Backbone = network![Dense<4, 8, Tanh>, Dense<8, 8, Tanh>];
/// // In a firmware, the pretrained weights (here all 0.5).
/// static PRETRAINED: Backbone = microprop::Chain::new(
///     Dense::from_params([[0.5; 8]; 4], [0.5; 8]),
///     Dense::from_params([[0.5; 8]; 8], [0.5; 8]),
/// );
/// struct Pretrained;
/// impl FlashWeights for Pretrained {
///     type Layer = Backbone;
///     const LAYER: &'static Backbone = &PRETRAINED;
/// }
/// type InFlash = network![Flash<Pretrained>, Dense<8, 2, Identity>];
/// type InRam = network![Frozen<Backbone>, Dense<8, 2, Identity>];
/// type T<N> = Trainer<N, MeanSquaredError, Adam, 4>;
/// assert_eq!(size_of::<InFlash>(), size_of::<Dense<8, 2, Identity>>());
/// assert_eq!(T::<InFlash>::MEMORY.trainer, T::<InRam>::MEMORY.trainer);
///
/// let mut net = InFlash::ZERO;
/// let mut trainer = T::<InFlash>::new(MeanSquaredError, Adam::PYTORCH);
/// let (x, y) = ([[0.5, -1.0, 2.0, 0.0]; 4], [[1.0, 0.0]; 4]);
/// let first = trainer.train_step(&mut net, &x, &y, 1e-2).unwrap().loss;
/// for _ in 0..50 {
///     trainer.train_step(&mut net, &x, &y, 1e-2).unwrap();
/// }
/// assert!(trainer.evaluate(&net, &x, &y).unwrap().loss < first);
/// assert_eq!(net.layer(1).unwrap().weights, &[0.5; 64][..]); // read from flash
/// assert!(net.layer_mut(0).is_none());
/// ```
pub struct Flash<W>(PhantomData<fn() -> W>);

impl<W> Flash<W> {
    /// The layer (usable in `const`; it has no value of its own).
    pub const NEW: Self = Flash(PhantomData);
}

impl<W> Clone for Flash<W> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<W> Copy for Flash<W> {}

impl<W> PartialEq for Flash<W> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<W> fmt::Debug for Flash<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Flash")
    }
}

impl<W: FlashWeights> Parameters for Flash<W> {
    const LEN: usize = 0;
    fn slices(&self) -> impl Iterator<Item = &[f32]> {
        core::iter::empty()
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        core::iter::empty()
    }
}

impl<W: FlashWeights> sealed::Sealed for Flash<W> {}

impl<W: FlashWeights> Layer for Flash<W> {
    type Scratch = <W::Layer as Layer>::Scratch;

    const ZERO: Self = Flash::NEW;
    const DEPTH: usize = W::Layer::DEPTH;

    /// Nothing to draw: the weights are constants.
    fn init<R: Rng + ?Sized>(&mut self, _init: Init, _rng: &mut R) {}

    fn infer(
        &self,
        x: &Self::Input,
        out: &mut Self::Output,
        scratch: &mut <W::Layer as Layer>::Scratch,
    ) {
        W::LAYER.infer(x, out, scratch);
    }

    /// One CRC-32 of each layer's values.
    const STORED_WORDS: usize = W::Layer::DEPTH;

    fn visit_shapes(&self, first_index: usize, f: &mut dyn FnMut(LayerShape)) {
        W::LAYER.visit_shapes(first_index, &mut |s| f(in_flash(s)));
    }

    fn visit_values(&self, first_index: usize, f: &mut dyn FnMut(LayerShape, LayerValues<'_>)) {
        W::LAYER.visit_values(first_index, &mut |s, v| f(in_flash(s), v));
    }

    /// Nothing: the values cannot be written.
    fn visit_values_mut(
        &mut self,
        _first_index: usize,
        _f: &mut dyn FnMut(LayerShape, LayerValuesMut<'_>),
    ) {
    }

    fn layer(&self, index: usize) -> Option<LayerParams<'_>> {
        W::LAYER.layer(index).map(|mut p| {
            p.shape = in_flash(p.shape);
            p
        })
    }

    /// `None`: the weights cannot be written.
    fn layer_mut(&mut self, _index: usize) -> Option<LayerParamsMut<'_>> {
        None
    }
}

impl<W: FlashWeights> Backprop for Flash<W> {
    type Input = <W::Layer as Backprop>::Input;
    type Output = <W::Layer as Backprop>::Output;
    type OutputActivation = <W::Layer as Backprop>::OutputActivation;
    type Grads = ();
    type Cache<const B: usize> = FrozenCache<[Self::Output; B], <W::Layer as Backprop>::Cache<1>>;

    const TRAINS: bool = false;
    const INPUT_GRADIENT_READS_CACHE: bool = false;

    fn output_activation(&self) -> &Self::OutputActivation {
        W::LAYER.output_activation()
    }

    fn trainable(&self) -> impl Iterator<Item = &[f32]> {
        core::iter::empty()
    }

    fn trainable_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        core::iter::empty()
    }

    fn forward<const B: usize>(&self, x: &[Self::Input], cache: &mut Self::Cache<B>) {
        forward_frozen(W::LAYER, x, cache);
    }

    fn outputs<const B: usize>(cache: &Self::Cache<B>) -> &[Self::Output; B] {
        &cache.outputs
    }

    fn outputs_mut<const B: usize>(cache: &mut Self::Cache<B>) -> &mut [Self::Output; B] {
        &mut cache.outputs
    }

    fn backward_first<const B: usize>(
        &self,
        _x: &[Self::Input],
        _cache: &mut Self::Cache<B>,
        _grads: &mut (),
        _mode: GradientMode,
    ) {
    }

    fn backward_hidden<const B: usize, P: Activation>(
        &self,
        x: &mut [Self::Input],
        prev: &P,
        delta: &mut Self::Input,
        cache: &mut Self::Cache<B>,
        _grads: &mut (),
        _mode: GradientMode,
    ) {
        backward_frozen(W::LAYER, x, prev, delta, cache);
    }

    fn backward_inputs<const B: usize, P: Activation>(
        &self,
        x: &mut [Self::Input],
        prev: &P,
        delta: &mut Self::Input,
        cache: &mut Self::Cache<B>,
    ) {
        backward_frozen(W::LAYER, x, prev, delta, cache);
    }
}

/// The fused batch-1 step, as [`Frozen`](crate::Frozen)'s.
impl<W: FlashWeights> FusedBackprop for Flash<W>
where
    W::Layer: Fusable,
{
    fn fused_deltas(
        &self,
        cache: &mut Self::Cache<1>,
        dz: &Self::Output,
        dx: Option<&mut Self::Input>,
    ) {
        if dx.is_some() {
            W::LAYER.fused_deltas(&mut cache.row, dz, dx);
        }
    }

    fn outer_gradients<'a>(
        _x: &'a Self::Input,
        _cache: &'a Self::Cache<1>,
        _dz: &'a Self::Output,
        _f: &mut impl FnMut(&'a [f32], &'a [f32]),
    ) {
    }
}

/// A layer's shape, of its kind in flash.
fn in_flash(shape: LayerShape) -> LayerShape {
    LayerShape {
        kind: shape.kind.in_flash(),
        ..shape
    }
}
