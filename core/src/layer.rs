//! The trait every layer and every network implements.

use crate::activation::Activation;
use crate::buffer::{Row, Zeroed};
use crate::init::Init;
use crate::params::{ParameterBuffer, Parameters};
use rand_core::Rng;

/// A differentiable map from one [`Row`] to another, with its own parameters.
///
/// [`Dense`](crate::Dense), [`Maxout`](crate::Maxout) and a
/// [`Chain`](crate::Chain) of layers all implement it, so a network is just a
/// layer. A `Chain<X, Y>` requires `Y::Input == X::Output`: that equality of
/// `[f32; N]` types is the compile-time shape check.
///
/// The layer value holds parameters and activation settings only. Training
/// buffers ([`Layer::Cache`], [`Layer::Grads`]) and the inference workspace
/// ([`Layer::Scratch`]) are separate types owned by a
/// [`Trainer`](crate::Trainer) or [`Inference`](crate::Inference), so an
/// inference-only build pays for none of them.
///
/// The batch methods take the rows actually present (`1..=B`); callers
/// ([`Trainer`](crate::Trainer)) check that bound.
pub trait Layer: Parameters + Sized {
    /// One input row, `[f32; I]`.
    type Input: Row;
    /// One output row, `[f32; O]`.
    type Output: Row;
    /// The activation applied to the output (for a chain: its last layer's).
    type OutputActivation: Activation;
    /// Gradient buffer, shaped like the parameters.
    type Grads: ParameterBuffer;
    /// Workspace for single-row inference (intermediate rows of a chain).
    type Scratch: Zeroed;
    /// Everything backpropagation needs cached for a batch of `B` rows
    /// (at least the outputs).
    type Cache<const B: usize>: Zeroed;

    /// All weights zero, default activation settings.
    const ZERO: Self;
    /// Whether the layer supports the fused batch-1 step
    /// ([`FusedTrainer`](crate::FusedTrainer)): its gradient is an outer
    /// product per parameter slice ([`Layer::outer_gradients`]). Dense
    /// layers and chains of them do; maxout does not.
    const FUSABLE: bool;
    /// Number of layers (a chain counts its members).
    const DEPTH: usize;

    /// The output activation (what a loss sees behind the outputs).
    fn output_activation(&self) -> &Self::OutputActivation;

    /// Draws weights from `init`; sets biases to zero.
    fn init<R: Rng + ?Sized>(&mut self, init: Init, rng: &mut R);

    /// Calls `f(index, input width, output width, activation)` for each
    /// layer front to back (for reports and fingerprints).
    fn visit_shapes(&self, first_index: usize, f: &mut dyn FnMut(LayerShape));

    /// Output for one input row.
    fn infer(&self, x: &Self::Input, out: &mut Self::Output, scratch: &mut Self::Scratch);

    /// Forward pass over the rows of `x`, caching what backward needs.
    fn forward<const B: usize>(&self, x: &[Self::Input], cache: &mut Self::Cache<B>);

    /// The cached output rows (after `forward`; after the loss, the rows
    /// hold dL/d(pre-activation) instead).
    fn outputs<const B: usize>(cache: &Self::Cache<B>) -> &[Self::Output; B];

    /// Mutable [`Layer::outputs`].
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
    /// [`Layer::backward_first`], and in addition replaces each row of `x`
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

    /// Fused batch-1 step, first pass: `dz` is dL/dZ of this layer's output
    /// row (after [`Layer::forward`] of one row). Stores dL/dZ of every
    /// inner junction of a chain in `cache` (where
    /// [`Layer::outer_gradients`] finds it), leaves the cached outputs
    /// alone, and writes dL/d(input) — not yet through the previous
    /// layer's activation — to `dx` if given. Reads the weights, writes
    /// none.
    fn fused_deltas(
        &self,
        cache: &mut Self::Cache<1>,
        dz: &Self::Output,
        dx: Option<&mut Self::Input>,
    );

    /// Fused batch-1 step, second pass: calls `f(a, d)` for each parameter
    /// slice in [`Parameters::slices`] order, the slice's gradient being the
    /// outer product `g[r·len(d) + o] = a[r]·d[o]` (for a dense layer: the
    /// input row and dz for the weights, `[1]` and dz for the bias). `x` is
    /// the input row and `dz` this layer's, as given to
    /// [`Layer::fused_deltas`].
    fn outer_gradients<'a>(
        x: &'a Self::Input,
        cache: &'a Self::Cache<1>,
        dz: &'a Self::Output,
        f: &mut impl FnMut(&'a [f32], &'a [f32]),
    );
}

/// Whether a backward pass adds its gradient to the buffer or replaces the
/// buffer's contents with it.
///
/// [`Trainer`](crate::Trainer) overwrites the first time after a step or
/// [`Trainer::zero_grad`](crate::Trainer::zero_grad), so a training step
/// never spends a pass clearing the gradient buffer. Both modes sum each
/// entry in the same order; `Overwrite` equals `Accumulate` onto zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GradientMode {
    /// `grads += dL/dθ`.
    Accumulate,
    /// `grads = dL/dθ` (the old contents are ignored).
    Overwrite,
}

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
}
