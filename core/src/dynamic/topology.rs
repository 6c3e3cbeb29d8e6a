//! A network's shape as a checked list of layers, and the buffer sizes it
//! needs.

use crate::activation::ActivationKind;
use crate::error::Error;
use crate::layer::LayerShape;

/// One layer of a run-time network: its width, its activation, and for
/// maxout its number of pieces.
///
/// ```
/// use microprop::ActivationKind;
/// use microprop::dynamic::LayerSpec;
/// let hidden = LayerSpec::dense(32, ActivationKind::Tanh);
/// let leaky = LayerSpec::dense_with(16, ActivationKind::LeakyRelu, 0.2);
/// let maxout = LayerSpec::maxout(8, 2);
/// assert_eq!(hidden.pieces, 1);
/// assert_eq!(LayerSpec::dense(4, ActivationKind::Elu).parameter, 1.0);
/// assert_eq!((leaky.parameter, maxout.pieces), (0.2, 2));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LayerSpec {
    /// Output width (units).
    pub units: usize,
    /// The activation applied to the output ([`ActivationKind::Identity`]
    /// for maxout, whose max is its nonlinearity).
    pub activation: ActivationKind,
    /// The activation's setting: Leaky ReLU's slope, ELU's alpha, 0 for the
    /// others (as [`Activation::parameter`](crate::Activation::parameter)).
    pub parameter: f32,
    /// Linear pieces per unit: 1 for a dense layer, `K` (2..=256) for maxout.
    pub pieces: usize,
}

impl LayerSpec {
    /// A dense layer with the activation's default setting (Leaky ReLU 0.1,
    /// ELU 1.0), like [`Dense`](crate::Dense) with `A::DEFAULT`.
    pub const fn dense(units: usize, activation: ActivationKind) -> Self {
        let parameter = match activation {
            ActivationKind::LeakyRelu => crate::LeakyRelu::LECTURE_SLOPE,
            ActivationKind::Elu => 1.0,
            _ => 0.0,
        };
        LayerSpec::dense_with(units, activation, parameter)
    }

    /// A dense layer with an explicit activation setting.
    pub const fn dense_with(units: usize, activation: ActivationKind, parameter: f32) -> Self {
        LayerSpec {
            units,
            activation,
            parameter,
            pieces: 1,
        }
    }

    /// A maxout layer of `units` units, each the max of `pieces` affine
    /// pieces, like [`Maxout`](crate::Maxout).
    pub const fn maxout(units: usize, pieces: usize) -> Self {
        LayerSpec {
            units,
            activation: ActivationKind::Identity,
            parameter: 0.0,
            pieces,
        }
    }

    /// Whether this is a maxout layer (the fused step refuses those).
    pub const fn is_maxout(&self) -> bool {
        self.pieces > 1
    }
}

/// A checked layer list: the input width and the layers front to back.
///
/// After [`Topology::new`] every width is non-zero, every size fits in
/// `usize`, and the lengths below are exact; the run-time
/// [`Network`](super::Network) and [`Trainer`](super::Trainer) check their
/// buffers against them and never panic.
///
/// Parameter layout (the same as the const-generic types, so checkpoints
/// and weights carry over): layer by layer, the weights then the biases;
/// a dense layer's weights input-major (`w[i·O + o]`), a maxout layer's
/// by unit, piece, input.
///
/// ```
/// use microprop::ActivationKind::{Identity, Tanh};
/// use microprop::dynamic::{LayerSpec, Topology};
/// let layers = [LayerSpec::dense(32, Tanh), LayerSpec::dense(10, Identity)];
/// let digits = Topology::new(64, &layers).unwrap();
/// assert_eq!(digits.params_len(), 64 * 32 + 32 + 32 * 10 + 10);
/// assert_eq!(digits.outputs(), 10);
/// assert!(Topology::new(0, &layers).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Topology<'a> {
    inputs: usize,
    layers: &'a [LayerSpec],
    params: usize,
    units: usize,
    maxout_units: usize,
    widest: usize,
}

/// Maxout pieces are stored as `u8` winner indices.
const MAX_PIECES: usize = 256;

impl<'a> Topology<'a> {
    /// No layers (what an all-zero [`FlatParams`](super::FlatParams) is cut by).
    pub(crate) const EMPTY: Topology<'static> = Topology {
        inputs: 0,
        layers: &[],
        params: 0,
        units: 0,
        maxout_units: 0,
        widest: 0,
    };

    /// Checks a layer list.
    ///
    /// # Errors
    /// [`Error::InvalidLayer`] for no layers or a zero input width (layer
    /// 0), a layer of no units, 0 or more than 256 pieces, a maxout layer
    /// with an activation, a Leaky ReLU or ELU setting that is negative or
    /// not finite, or sizes that overflow `usize`.
    pub const fn new(inputs: usize, layers: &'a [LayerSpec]) -> Result<Self, Error> {
        if inputs == 0 || layers.is_empty() {
            return Err(Error::InvalidLayer { layer: 0 });
        }
        let (mut params, mut units, mut maxout_units, mut widest) =
            (0usize, 0usize, 0usize, inputs);
        let mut width = inputs;
        let mut index = 0;
        while index < layers.len() {
            let layer = &layers[index];
            let bad = Err(Error::InvalidLayer { layer: index });
            let parameter_ok = match layer.activation {
                ActivationKind::LeakyRelu | ActivationKind::Elu => {
                    layer.parameter >= 0.0 && layer.parameter.is_finite()
                }
                _ => true,
            };
            let maxout_ok =
                layer.pieces == 1 || matches!(layer.activation, ActivationKind::Identity);
            if layer.units == 0
                || layer.pieces == 0
                || layer.pieces > MAX_PIECES
                || !parameter_ok
                || !maxout_ok
            {
                return bad;
            }
            // (width + 1) · units · pieces: weights and biases.
            let Some(rows) = width.checked_add(1) else {
                return bad;
            };
            let Some(per_unit) = rows.checked_mul(layer.pieces) else {
                return bad;
            };
            let Some(count) = per_unit.checked_mul(layer.units) else {
                return bad;
            };
            let Some(total) = params.checked_add(count) else {
                return bad;
            };
            let Some(all_units) = units.checked_add(layer.units) else {
                return bad;
            };
            params = total;
            units = all_units;
            if layer.pieces > 1 {
                maxout_units += layer.units;
            }
            if layer.units > widest {
                widest = layer.units;
            }
            width = layer.units;
            index += 1;
        }
        Ok(Topology {
            inputs,
            layers,
            params,
            units,
            maxout_units,
            widest,
        })
    }

    /// Input width.
    pub const fn inputs(&self) -> usize {
        self.inputs
    }

    /// Output width (the last layer's units).
    pub const fn outputs(&self) -> usize {
        match self.layers.last() {
            Some(layer) => layer.units,
            None => 0,
        }
    }

    /// The layers, front to back.
    pub const fn layers(&self) -> &'a [LayerSpec] {
        self.layers
    }

    /// Number of layers.
    pub const fn depth(&self) -> usize {
        self.layers.len()
    }

    /// Floats of the parameter buffer (and of the gradient buffer, and of
    /// each optimizer state buffer).
    pub const fn params_len(&self) -> usize {
        self.params
    }

    /// Floats of the training cache for batches of up to `batch` rows: each
    /// layer's output rows, plus one row per layer for dL/dZ rows and
    /// scratch. `None` if that overflows `usize`.
    pub const fn cache_len(&self, batch: usize) -> Option<usize> {
        match batch.checked_add(1) {
            Some(rows) => rows.checked_mul(self.units),
            None => None,
        }
    }

    /// Bytes of the maxout winner buffer for batches of up to `batch` rows
    /// (0 without maxout layers); `None` if it overflows.
    pub const fn winners_len(&self, batch: usize) -> Option<usize> {
        batch.checked_mul(self.maxout_units)
    }

    /// Floats of the inference workspace of
    /// [`Network::predict`](super::Network::predict): two rows of the
    /// widest layer.
    pub const fn scratch_len(&self) -> usize {
        2 * self.widest
    }

    /// Bytes of the maxout winner row [`Network::predict`](super::Network::predict)
    /// needs: the widest maxout layer (0 without maxout).
    pub const fn scratch_winners_len(&self) -> usize {
        let mut widest = 0;
        let mut index = 0;
        while index < self.layers.len() {
            let layer = &self.layers[index];
            if layer.pieces > 1 && layer.units > widest {
                widest = layer.units;
            }
            index += 1;
        }
        widest
    }

    /// Total output units of all layers.
    pub(crate) const fn units(&self) -> usize {
        self.units
    }

    /// Whether any layer is maxout.
    pub const fn has_maxout(&self) -> bool {
        self.maxout_units > 0
    }

    /// Layer `index` with its input width and the offsets of its
    /// parameters, its outputs within one row of every layer's outputs, and
    /// its maxout winners (a walk from the front: layer lists are short).
    pub(crate) fn layer(&self, index: usize) -> Option<Placed> {
        let mut placed = Placed {
            index: 0,
            spec: *self.layers.first()?,
            inputs: self.inputs,
            weights: 0,
            biases: 0,
            param_offset: 0,
            unit_offset: 0,
            winner_offset: 0,
        };
        for (i, spec) in self.layers.iter().enumerate() {
            placed.index = i;
            placed.spec = *spec;
            placed.weights = placed.inputs * spec.units * spec.pieces;
            placed.biases = spec.units * spec.pieces;
            if i == index {
                return Some(placed);
            }
            placed.param_offset += placed.weights + placed.biases;
            placed.unit_offset += spec.units;
            if spec.pieces > 1 {
                placed.winner_offset += spec.units;
            }
            placed.inputs = spec.units;
        }
        None
    }

    /// Every layer front to back, placed as by [`Topology::layer`].
    pub(crate) fn placed(&self) -> impl DoubleEndedIterator<Item = Placed> + '_ {
        (0..self.layers.len()).filter_map(|index| self.layer(index))
    }

    /// The layer shapes, as [`Layer::visit_shapes`](crate::Layer::visit_shapes)
    /// reports them for the same const-generic network.
    pub fn shapes(&self) -> impl Iterator<Item = LayerShape> + '_ {
        let mut width = self.inputs;
        self.layers.iter().enumerate().map(move |(index, spec)| {
            let shape = LayerShape {
                index,
                inputs: width,
                outputs: spec.units,
                pieces: spec.pieces,
                activation: spec.activation,
                activation_parameter: spec.parameter,
                kind: crate::layer::LayerKind::Trainable,
            };
            width = spec.units;
            shape
        })
    }
}

/// One layer of a [`Topology`] with where its parts live.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Placed {
    pub index: usize,
    pub spec: LayerSpec,
    pub inputs: usize,
    pub weights: usize,
    pub biases: usize,
    pub param_offset: usize,
    pub unit_offset: usize,
    pub winner_offset: usize,
}
