//! Networks: layers composed so that adjacent widths are checked by the
//! compiler.

use crate::activation::Activation;
use crate::buffer::{Row, Zeroed, prefix_mut};
use crate::init::Init;
use crate::layer::{
    Backprop, Fusable, FusedBackprop, GradientMode, Layer, LayerParams, LayerParamsMut, LayerShape,
    LayerValues, LayerValuesMut, sealed,
};
use crate::params::Parameters;
use rand_core::Rng;

/// `X` followed by `Y`. Only compiles when `Y`'s input row is `X`'s output
/// row, i.e. the widths agree.
///
/// Chains nest to any depth; [`network!`](crate::network) writes the nesting
/// for you. The chain itself is a [`Layer`].
///
/// ```
/// use microprop::{Chain, Dense, Identity, Layer, Tanh};
/// type Net = Chain<Dense<4, 8, Tanh>, Dense<8, 2, Identity>>;
/// static NET: Net = Net::ZERO;
/// assert_eq!(Net::DEPTH, 2);
/// ```
///
/// A width mismatch is a compile error:
///
/// ```compile_fail
/// use microprop::{Chain, Dense, Layer};
/// type Net = Chain<Dense<4, 8>, Dense<7, 2>>;
/// let net = Net::ZERO;
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Chain<X, Y> {
    /// The earlier layer(s).
    pub first: X,
    /// The later layer(s).
    pub second: Y,
}

impl<X: Layer, Y: Layer<Input = X::Output>> Chain<X, Y> {
    /// Joins two layers (usable in `const`).
    pub const fn new(first: X, second: Y) -> Self {
        Chain { first, second }
    }
}

/// Inference workspace of a [`Chain`]: the row between the two parts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainScratch<M, SX, SY> {
    /// The intermediate row.
    pub middle: M,
    /// The first part's workspace.
    pub first: SX,
    /// The second part's workspace.
    pub second: SY,
}

impl<M: Zeroed, SX: Zeroed, SY: Zeroed> Zeroed for ChainScratch<M, SX, SY> {
    const ZERO: Self = ChainScratch {
        middle: M::ZERO,
        first: SX::ZERO,
        second: SY::ZERO,
    };
}

/// Training cache of a [`Chain`]: both parts' caches, and one row of scratch
/// for the gradient crossing the boundary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainCache<CX, CY, M> {
    /// The first part's cache.
    pub first: CX,
    /// The second part's cache.
    pub second: CY,
    /// One row for dL/d(boundary).
    pub delta: M,
}

impl<CX: Zeroed, CY: Zeroed, M: Zeroed> Zeroed for ChainCache<CX, CY, M> {
    const ZERO: Self = ChainCache {
        first: CX::ZERO,
        second: CY::ZERO,
        delta: M::ZERO,
    };
}

impl<X: Layer, Y: Layer<Input = X::Output>> Parameters for Chain<X, Y> {
    const LEN: usize = X::LEN + Y::LEN;
    fn slices(&self) -> impl Iterator<Item = &[f32]> {
        self.first.slices().chain(self.second.slices())
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        self.first.slices_mut().chain(self.second.slices_mut())
    }
}

impl<X: Layer, Y: Layer<Input = X::Output>> sealed::Sealed for Chain<X, Y> {}

impl<X: Layer, Y: Layer<Input = X::Output>> Layer for Chain<X, Y> {
    type Scratch = ChainScratch<X::Output, X::Scratch, Y::Scratch>;

    const ZERO: Self = Chain {
        first: X::ZERO,
        second: Y::ZERO,
    };
    const DEPTH: usize = X::DEPTH + Y::DEPTH;

    // Always inlined down to `Init::fill`, so a constant scheme at the
    // caller's `init` links only that scheme's loop, for any depth.
    #[inline(always)]
    fn init<R: Rng + ?Sized>(&mut self, init: Init, rng: &mut R) {
        self.first.init(init, rng);
        self.second.init(init, rng);
    }

    const STORED_WORDS: usize = X::STORED_WORDS + Y::STORED_WORDS;

    fn visit_shapes(&self, first_index: usize, f: &mut dyn FnMut(LayerShape)) {
        self.first.visit_shapes(first_index, f);
        self.second.visit_shapes(first_index + X::DEPTH, f);
    }

    fn visit_values(&self, first_index: usize, f: &mut dyn FnMut(LayerShape, LayerValues<'_>)) {
        self.first.visit_values(first_index, f);
        self.second.visit_values(first_index + X::DEPTH, f);
    }

    fn visit_values_mut(
        &mut self,
        first_index: usize,
        f: &mut dyn FnMut(LayerShape, LayerValuesMut<'_>),
    ) {
        self.first.visit_values_mut(first_index, f);
        self.second.visit_values_mut(first_index + X::DEPTH, f);
    }

    fn layer(&self, index: usize) -> Option<LayerParams<'_>> {
        match index.checked_sub(X::DEPTH) {
            None => self.first.layer(index),
            Some(later) => self.second.layer(later).map(|mut p| {
                p.shape.index = index;
                p
            }),
        }
    }

    fn layer_mut(&mut self, index: usize) -> Option<LayerParamsMut<'_>> {
        match index.checked_sub(X::DEPTH) {
            None => self.first.layer_mut(index),
            Some(later) => self.second.layer_mut(later).map(|mut p| {
                p.shape.index = index;
                p
            }),
        }
    }

    #[inline]
    fn infer(&self, x: &X::Input, out: &mut Y::Output, scratch: &mut Self::Scratch) {
        self.first.infer(x, &mut scratch.middle, &mut scratch.first);
        self.second.infer(&scratch.middle, out, &mut scratch.second);
    }
}

impl<X: Layer, Y: Layer<Input = X::Output>> Backprop for Chain<X, Y> {
    type Input = X::Input;
    type Output = Y::Output;
    type OutputActivation = Y::OutputActivation;
    type Grads = (X::Grads, Y::Grads);
    type Cache<const B: usize> = ChainCache<X::Cache<B>, Y::Cache<B>, X::Output>;

    const TRAINS: bool = X::TRAINS || Y::TRAINS;
    const INPUT_GRADIENT_READS_CACHE: bool = true;

    fn output_activation(&self) -> &Self::OutputActivation {
        self.second.output_activation()
    }

    fn trainable(&self) -> impl Iterator<Item = &[f32]> {
        self.first.trainable().chain(self.second.trainable())
    }

    fn trainable_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        self.first
            .trainable_mut()
            .chain(self.second.trainable_mut())
    }

    fn forward<const B: usize>(&self, x: &[X::Input], cache: &mut Self::Cache<B>) {
        self.first.forward(x, &mut cache.first);
        let hidden = X::outputs(&cache.first);
        self.second
            .forward(crate::buffer::prefix(hidden, x.len()), &mut cache.second);
    }

    fn outputs<const B: usize>(cache: &Self::Cache<B>) -> &[Y::Output; B] {
        Y::outputs(&cache.second)
    }

    fn outputs_mut<const B: usize>(cache: &mut Self::Cache<B>) -> &mut [Y::Output; B] {
        Y::outputs_mut(&mut cache.second)
    }

    fn backward_first<const B: usize>(
        &self,
        x: &[X::Input],
        cache: &mut Self::Cache<B>,
        grads: &mut Self::Grads,
        mode: GradientMode,
    ) {
        let hidden = prefix_mut(X::outputs_mut(&mut cache.first), x.len());
        if !X::TRAINS {
            // Nothing in front trains (a frozen backbone): backward stops
            // here, with no input gradient for the second part.
            self.second
                .backward_first(hidden, &mut cache.second, &mut grads.1, mode);
            return;
        }
        self.second.backward_hidden(
            hidden,
            self.first.output_activation(),
            &mut cache.delta,
            &mut cache.second,
            &mut grads.1,
            mode,
        );
        self.first
            .backward_first(x, &mut cache.first, &mut grads.0, mode);
    }

    fn backward_hidden<const B: usize, P: Activation>(
        &self,
        x: &mut [X::Input],
        prev: &P,
        delta: &mut X::Input,
        cache: &mut Self::Cache<B>,
        grads: &mut Self::Grads,
        mode: GradientMode,
    ) {
        let hidden = prefix_mut(X::outputs_mut(&mut cache.first), x.len());
        self.second.backward_hidden(
            hidden,
            self.first.output_activation(),
            &mut cache.delta,
            &mut cache.second,
            &mut grads.1,
            mode,
        );
        self.first
            .backward_hidden(x, prev, delta, &mut cache.first, &mut grads.0, mode);
    }

    fn backward_inputs<const B: usize, P: Activation>(
        &self,
        x: &mut [X::Input],
        prev: &P,
        delta: &mut X::Input,
        cache: &mut Self::Cache<B>,
    ) {
        let hidden = prefix_mut(X::outputs_mut(&mut cache.first), x.len());
        self.second.backward_inputs(
            hidden,
            self.first.output_activation(),
            &mut cache.delta,
            &mut cache.second,
        );
        self.first.backward_inputs(x, prev, delta, &mut cache.first);
    }
}

impl<X: Fusable, Y: Fusable<Input = X::Output>> FusedBackprop for Chain<X, Y> {
    fn fused_deltas(&self, cache: &mut Self::Cache<1>, dz: &Y::Output, dx: Option<&mut X::Input>) {
        if !X::TRAINS && dx.is_none() {
            // Nothing in front trains or asks for a gradient (a frozen
            // backbone): the second part is the front.
            self.second.fused_deltas(&mut cache.second, dz, None);
            return;
        }
        // The junction row keeps dL/dZ of the first part for the second
        // pass; the first part's cached outputs stay (they are the second
        // part's input).
        self.second
            .fused_deltas(&mut cache.second, dz, Some(&mut cache.delta));
        let [hidden] = X::outputs(&cache.first);
        self.first
            .output_activation()
            .backward(hidden.as_slice(), cache.delta.as_mut_slice());
        self.first.fused_deltas(&mut cache.first, &cache.delta, dx);
    }

    fn outer_gradients<'a>(
        x: &'a X::Input,
        cache: &'a Self::Cache<1>,
        dz: &'a Y::Output,
        f: &mut impl FnMut(&'a [f32], &'a [f32]),
    ) {
        X::outer_gradients(x, &cache.first, &cache.delta, f);
        let [hidden] = X::outputs(&cache.first);
        Y::outer_gradients(hidden, &cache.second, dz, f);
    }
}

/// The type of a network made of the given layers, front to back.
///
/// Expands to nested [`Chain`]s; adjacent widths must agree or the program
/// does not compile.
///
/// ```
/// use microprop::{network, Dense, Identity, Layer, Relu, Tanh};
/// type Digits = network![Dense<64, 32, Tanh>, Dense<32, 10, Identity>];
/// type Deep = network![
///     Dense<4, 8, Relu>, Dense<8, 8, Relu>, Dense<8, 8, Relu>, Dense<8, 8, Relu>,
///     Dense<8, 8, Relu>, Dense<8, 8, Relu>, Dense<8, 2, Identity>,
/// ];
/// assert_eq!(Digits::DEPTH, 2);
/// assert_eq!(Deep::DEPTH, 7);
/// ```
#[macro_export]
macro_rules! network {
    (@acc [$acc:ty]) => { $acc };
    (@acc [$acc:ty] $next:ty $(, $rest:ty)*) => {
        $crate::network!(@acc [$crate::Chain<$acc, $next>] $($rest),*)
    };
    ($first:ty $(, $rest:ty)* $(,)?) => {
        $crate::network!(@acc [$first] $($rest),*)
    };
}
