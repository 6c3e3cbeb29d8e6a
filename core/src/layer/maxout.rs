//! The Maxout layer: each unit is the maximum of `K` affine pieces.

use crate::activation::{Activation, Identity};
use crate::buffer::{Zeroed, chunks, chunks_mut, prefix};
use crate::init::Init;
use crate::layer::{
    Backprop, GradientMode, Layer, LayerKind, LayerParams, LayerParamsMut, LayerShape, LayerValues,
    LayerValuesMut, sealed,
};
use crate::params::Parameters;
use rand_core::Rng;

/// Weights and biases of a [`Maxout`] layer; also the shape of its gradient.
///
/// `weights[o][k]` is the weight vector of piece `k` of unit `o`, so unit `o`
/// computes `max_k (weights[o][k] · x + bias[o][k])`. Parameter order: all
/// weights (unit, piece, input), then all biases (unit, piece).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaxoutParams<const I: usize, const O: usize, const K: usize> {
    /// One weight vector per unit and piece.
    pub weights: [[[f32; I]; K]; O],
    /// One bias per unit and piece.
    pub bias: [[f32; K]; O],
}

impl<const I: usize, const O: usize, const K: usize> Zeroed for MaxoutParams<I, O, K> {
    const ZERO: Self = MaxoutParams {
        weights: [[[0.0; I]; K]; O],
        bias: [[0.0; K]; O],
    };
}

impl<const I: usize, const O: usize, const K: usize> Parameters for MaxoutParams<I, O, K> {
    const LEN: usize = O * K * I + O * K;
    fn slices(&self) -> impl Iterator<Item = &[f32]> {
        [
            self.weights.as_flattened().as_flattened(),
            self.bias.as_flattened(),
        ]
        .into_iter()
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        [
            self.weights.as_flattened_mut().as_flattened_mut(),
            self.bias.as_flattened_mut(),
        ]
        .into_iter()
    }
}

/// Cached outputs and the winning piece of every unit of every row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaxoutCache<const O: usize, const B: usize> {
    /// Output rows (dL/dZ after the loss).
    pub outputs: [[f32; O]; B],
    /// Index of the piece that won the max.
    pub winners: [[u8; O]; B],
}

impl<const O: usize, const B: usize> Zeroed for MaxoutCache<O, B> {
    const ZERO: Self = MaxoutCache {
        outputs: [[0.0; O]; B],
        winners: [[0; O]; B],
    };
}

/// Maxout (Goodfellow et al. 2013): `O` units over `I` inputs, each the
/// maximum of `K` linear pieces. The lecture's form is `K = 2`:
/// `max(w1ᵀx + b1, w2ᵀx + b2)`. The max is itself the nonlinearity, so the
/// layer has no separate activation; the gradient flows to the winning piece.
///
/// ```
/// use microprop::{Inference, Layer, Maxout};
/// let mut layer: Maxout<1, 1, 2> = Maxout::ZERO;
/// layer.params.weights = [[[1.0], [-1.0]]]; // max(x, -x) = |x|
/// let mut run = Inference::<Maxout<1, 1, 2>>::new();
/// assert_eq!(run.predict(&layer, &[-3.0]), Ok(&[3.0]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Maxout<const I: usize, const O: usize, const K: usize> {
    /// Weights and biases of every piece.
    pub params: MaxoutParams<I, O, K>,
}

impl<const I: usize, const O: usize, const K: usize> Maxout<I, O, K> {
    /// This layer's shape, numbered `index`.
    fn shape(index: usize) -> LayerShape {
        LayerShape {
            index,
            inputs: I,
            outputs: O,
            pieces: K,
            activation: Identity.kind(),
            activation_parameter: Identity.parameter(),
            kind: LayerKind::Trainable,
        }
    }

    /// Computes one row's outputs and which piece won for each unit.
    #[inline]
    fn forward_row(&self, x: &[f32; I], out: &mut [f32; O], winners: &mut [u8; O]) {
        const {
            assert!(
                I > 0 && O > 0,
                "a layer needs at least one input and one unit"
            );
            assert!(K >= 1 && K <= 256, "maxout needs 1..=256 pieces");
        };
        forward_row(
            x,
            self.params.weights.as_flattened().as_flattened(),
            self.params.bias.as_flattened(),
            K,
            out,
            winners,
        );
    }

    /// dW and db of the winning pieces for one row.
    #[inline]
    fn accumulate_row(
        x: &[f32; I],
        dz: &[f32; O],
        winners: &[u8; O],
        grads: &mut MaxoutParams<I, O, K>,
    ) {
        accumulate_row(
            x,
            dz,
            winners,
            grads.weights.as_flattened_mut().as_flattened_mut(),
            grads.bias.as_flattened_mut(),
        );
    }
}

/// One row of a maxout layer over flat slices: unit `o`'s output is
/// `max_k (b[o·K + k] + Σ_i x[i]·w[(o·K + k)·I + i])`, inputs in index
/// order, and `winners[o]` the first `k` reaching it. `I = x.len()`,
/// `K = pieces`, `O = min(out.len(), winners.len())` (fewer if the
/// parameter slices are shorter).
#[inline(never)]
pub(crate) fn forward_row(
    x: &[f32],
    weights: &[f32],
    bias: &[f32],
    pieces: usize,
    out: &mut [f32],
    winners: &mut [u8],
) {
    let inputs = x.len();
    if inputs == 0 || pieces == 0 {
        return;
    }
    for (((o, win), w_unit), b_unit) in out
        .iter_mut()
        .zip(winners.iter_mut())
        .zip(chunks(weights, pieces * inputs))
        .zip(chunks(bias, pieces))
    {
        let mut best = f32::NEG_INFINITY;
        let mut best_k = 0u8;
        for (k, (w, b)) in chunks(w_unit, inputs).zip(b_unit).enumerate() {
            let z = x.iter().zip(w).fold(*b, |acc, (xi, wi)| acc + xi * wi);
            if k == 0 || z > best {
                best = z;
                best_k = k as u8;
            }
        }
        *o = best;
        *win = best_k;
    }
}

/// Adds one row's gradient to the winning pieces of a maxout layer (flat
/// slices laid out as in [`forward_row`]): `dw[piece] += x·dz[o]`,
/// `db[piece] += dz[o]`.
#[inline(never)]
pub(crate) fn accumulate_row(
    x: &[f32],
    dz: &[f32],
    winners: &[u8],
    dw: &mut [f32],
    db: &mut [f32],
) {
    let (inputs, units) = (x.len(), dz.len());
    if inputs == 0 || units == 0 {
        return;
    }
    let pieces = db.len() / units;
    if pieces == 0 {
        return;
    }
    for (((d, &k), gw), gb) in dz
        .iter()
        .zip(winners)
        .zip(chunks_mut(dw, pieces * inputs))
        .zip(chunks_mut(db, pieces))
    {
        if let (Some(gw), Some(gb)) = (
            chunks_mut(gw, inputs).nth(k as usize),
            gb.get_mut(k as usize),
        ) {
            for (g, xi) in gw.iter_mut().zip(x) {
                *g += xi * d;
            }
            *gb += d;
        }
    }
}

/// dL/d(input) of one row of a maxout layer: `delta = Σ_o dz[o]·w[o][winner]`,
/// accumulated unit by unit from zero. `I = delta.len()`, `O = dz.len()`.
#[inline(never)]
pub(crate) fn input_gradient(
    weights: &[f32],
    pieces: usize,
    dz: &[f32],
    winners: &[u8],
    delta: &mut [f32],
) {
    delta.fill(0.0);
    let inputs = delta.len();
    if inputs == 0 || pieces == 0 {
        return;
    }
    for ((d, &k), w_unit) in dz.iter().zip(winners).zip(chunks(weights, pieces * inputs)) {
        if let Some(w) = chunks(w_unit, inputs).nth(k as usize) {
            for (di, wi) in delta.iter_mut().zip(w) {
                *di += d * wi;
            }
        }
    }
}

impl<const I: usize, const O: usize, const K: usize> Parameters for Maxout<I, O, K> {
    const LEN: usize = O * K * I + O * K;
    fn slices(&self) -> impl Iterator<Item = &[f32]> {
        self.params.slices()
    }
    fn slices_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        self.params.slices_mut()
    }
}

impl<const I: usize, const O: usize, const K: usize> sealed::Sealed for Maxout<I, O, K> {}

impl<const I: usize, const O: usize, const K: usize> Layer for Maxout<I, O, K> {
    type Scratch = [u8; O];

    const ZERO: Self = Maxout {
        params: MaxoutParams::ZERO,
    };
    const DEPTH: usize = 1;

    // Always inlined down to `Init::fill`, so a constant scheme at the
    // caller's `init` links only that scheme's loop, for any depth.
    #[inline(always)]
    fn init<R: Rng + ?Sized>(&mut self, init: Init, rng: &mut R) {
        init.fill(
            self.params.weights.as_flattened_mut().as_flattened_mut(),
            I,
            O,
            rng,
        );
        self.params.bias = [[0.0; K]; O];
    }

    const STORED_WORDS: usize = Self::LEN;

    fn visit_shapes(&self, first_index: usize, f: &mut dyn FnMut(LayerShape)) {
        f(Self::shape(first_index));
    }

    fn visit_values(&self, first_index: usize, f: &mut dyn FnMut(LayerShape, LayerValues<'_>)) {
        let values = LayerValues::Float {
            weights: self.params.weights.as_flattened().as_flattened(),
            bias: self.params.bias.as_flattened(),
        };
        f(Self::shape(first_index), values);
    }

    fn visit_values_mut(
        &mut self,
        first_index: usize,
        f: &mut dyn FnMut(LayerShape, LayerValuesMut<'_>),
    ) {
        let values = LayerValuesMut::Float {
            weights: self.params.weights.as_flattened_mut().as_flattened_mut(),
            bias: self.params.bias.as_flattened_mut(),
        };
        f(Self::shape(first_index), values);
    }

    fn layer(&self, index: usize) -> Option<LayerParams<'_>> {
        if index == 0 {
            Some(LayerParams {
                shape: Self::shape(0),
                weights: self.params.weights.as_flattened().as_flattened(),
                bias: self.params.bias.as_flattened(),
            })
        } else {
            None
        }
    }

    fn layer_mut(&mut self, index: usize) -> Option<LayerParamsMut<'_>> {
        if index == 0 {
            Some(LayerParamsMut {
                shape: Self::shape(0),
                weights: self.params.weights.as_flattened_mut().as_flattened_mut(),
                bias: self.params.bias.as_flattened_mut(),
            })
        } else {
            None
        }
    }

    fn infer(&self, x: &[f32; I], out: &mut [f32; O], scratch: &mut [u8; O]) {
        self.forward_row(x, out, scratch);
    }
}

/// No [`FusedBackprop`](crate::layer::FusedBackprop): a maxout gradient is
/// not an outer product (it goes to the winning piece only), so a network
/// with a maxout layer is not [`Fusable`](crate::Fusable).
impl<const I: usize, const O: usize, const K: usize> Backprop for Maxout<I, O, K> {
    type Input = [f32; I];
    type Output = [f32; O];
    type OutputActivation = Identity;
    type Grads = MaxoutParams<I, O, K>;
    type Cache<const B: usize> = MaxoutCache<O, B>;

    const TRAINS: bool = true;
    const INPUT_GRADIENT_READS_CACHE: bool = true;

    fn output_activation(&self) -> &Identity {
        &Identity
    }

    fn trainable(&self) -> impl Iterator<Item = &[f32]> {
        self.slices()
    }

    fn trainable_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        self.slices_mut()
    }

    fn forward<const B: usize>(&self, x: &[[f32; I]], cache: &mut MaxoutCache<O, B>) {
        for ((x_row, out), win) in x
            .iter()
            .zip(cache.outputs.iter_mut())
            .zip(cache.winners.iter_mut())
        {
            self.forward_row(x_row, out, win);
        }
    }

    fn outputs<const B: usize>(cache: &MaxoutCache<O, B>) -> &[[f32; O]; B] {
        &cache.outputs
    }

    fn outputs_mut<const B: usize>(cache: &mut MaxoutCache<O, B>) -> &mut [[f32; O]; B] {
        &mut cache.outputs
    }

    fn backward_first<const B: usize>(
        &self,
        x: &[[f32; I]],
        cache: &mut MaxoutCache<O, B>,
        grads: &mut MaxoutParams<I, O, K>,
        mode: GradientMode,
    ) {
        if mode == GradientMode::Overwrite {
            grads.fill_zero();
        }
        let rows = prefix(&cache.outputs, x.len()).iter().zip(&cache.winners);
        for (x_row, (dz, win)) in x.iter().zip(rows) {
            Self::accumulate_row(x_row, dz, win, grads);
        }
    }

    fn backward_hidden<const B: usize, P: Activation>(
        &self,
        x: &mut [[f32; I]],
        prev: &P,
        delta: &mut [f32; I],
        cache: &mut MaxoutCache<O, B>,
        grads: &mut MaxoutParams<I, O, K>,
        mode: GradientMode,
    ) {
        if mode == GradientMode::Overwrite {
            grads.fill_zero();
        }
        for (x_row, (dz, win)) in x.iter_mut().zip(cache.outputs.iter().zip(&cache.winners)) {
            Self::accumulate_row(x_row, dz, win, grads);
            input_gradient(
                self.params.weights.as_flattened().as_flattened(),
                K,
                dz,
                win,
                delta,
            );
            prev.backward(x_row, delta);
            *x_row = *delta;
        }
    }

    fn backward_inputs<const B: usize, P: Activation>(
        &self,
        x: &mut [[f32; I]],
        prev: &P,
        delta: &mut [f32; I],
        cache: &mut MaxoutCache<O, B>,
    ) {
        for (x_row, (dz, win)) in x.iter_mut().zip(cache.outputs.iter().zip(&cache.winners)) {
            input_gradient(
                self.params.weights.as_flattened().as_flattened(),
                K,
                dz,
                win,
                delta,
            );
            prev.backward(x_row, delta);
            *x_row = *delta;
        }
    }
}
