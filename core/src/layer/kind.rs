//! What kind of values a layer keeps, and a view of them: what a
//! checkpoint stores of each layer.

/// How a layer keeps its values and whether they train: reported in every
/// [`LayerShape`](super::LayerShape) and recorded per layer in a
/// checkpoint.
///
/// The first three keep f32 weights and biases in the network value and
/// share one checkpoint layout, so a checkpoint of one loads into another
/// (a pretrained network into its frozen version); [`LayerKind::Int8`]
/// keeps int8 weights; the two flash kinds keep their values in a
/// `&'static` layer ([`Flash`](super::Flash)), of which a checkpoint
/// stores a CRC-32 only.
///
/// ```
/// use microprop::layer::LayerKind;
/// use microprop::{BiasOnly, Dense, Frozen, Identity, Layer, QuantizedDense, Tanh, network};
/// type Net = network![Frozen<Dense<2, 3, Tanh>>, QuantizedDense<3, 3, Tanh>, BiasOnly<Dense<3, 2, Tanh>>, Dense<2, 1, Identity>];
/// let mut kinds = [None; 4];
/// Net::ZERO.visit_shapes(0, &mut |s| kinds[s.index] = Some(s.kind));
/// assert_eq!(kinds, [LayerKind::Frozen, LayerKind::Int8, LayerKind::BiasOnly, LayerKind::Trainable].map(Some));
/// assert_eq!(LayerKind::from_code(LayerKind::Int8.code()), Some(LayerKind::Int8));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum LayerKind {
    /// f32 weights and biases that train ([`Dense`](super::Dense),
    /// [`Maxout`](super::Maxout)).
    Trainable,
    /// f32 weights and biases that do not train ([`Frozen`](super::Frozen)).
    Frozen,
    /// f32 weights that do not train and biases that do
    /// ([`BiasOnly`](super::BiasOnly)).
    BiasOnly,
    /// int8 weights with per-unit f32 scales and f32 biases, frozen
    /// ([`QuantizedDense`](super::QuantizedDense)).
    Int8,
    /// f32 weights and biases of a `&'static` layer, frozen
    /// ([`Flash`](super::Flash) of float layers).
    Flash,
    /// int8 weights of a `&'static` layer, frozen ([`Flash`](super::Flash)
    /// of a [`QuantizedDense`](super::QuantizedDense)).
    FlashInt8,
}

/// Which values of a layer train (what optimizer state is laid out by).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trains {
    All,
    Biases,
    Nothing,
}

impl LayerKind {
    /// The code a checkpoint stores (0 = [`LayerKind::Trainable`], the
    /// only kind format version 1 could describe).
    pub const fn code(self) -> u8 {
        match self {
            LayerKind::Trainable => 0,
            LayerKind::Frozen => 1,
            LayerKind::BiasOnly => 2,
            LayerKind::Int8 => 3,
            LayerKind::Flash => 4,
            LayerKind::FlashInt8 => 5,
        }
    }

    /// The kind of a stored code, `None` if unknown.
    pub const fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(LayerKind::Trainable),
            1 => Some(LayerKind::Frozen),
            2 => Some(LayerKind::BiasOnly),
            3 => Some(LayerKind::Int8),
            4 => Some(LayerKind::Flash),
            5 => Some(LayerKind::FlashInt8),
            _ => None,
        }
    }

    /// A short name for messages: `"trainable"`, `"frozen"`, `"bias-only"`,
    /// `"int8"`, `"flash"`, `"int8 in flash"`.
    pub const fn name(self) -> &'static str {
        match self {
            LayerKind::Trainable => "trainable",
            LayerKind::Frozen => "frozen",
            LayerKind::BiasOnly => "bias-only",
            LayerKind::Int8 => "int8",
            LayerKind::Flash => "flash",
            LayerKind::FlashInt8 => "int8 in flash",
        }
    }

    /// Whether the weights are int8 (in RAM or in flash).
    pub const fn is_int8(self) -> bool {
        matches!(self, LayerKind::Int8 | LayerKind::FlashInt8)
    }

    /// Whether the values are a `&'static` layer's, not the network value's.
    pub const fn is_flash(self) -> bool {
        matches!(self, LayerKind::Flash | LayerKind::FlashInt8)
    }

    /// The kind of this layer wrapped in [`Frozen`](super::Frozen).
    pub(crate) const fn frozen(self) -> Self {
        match self {
            LayerKind::Trainable | LayerKind::BiasOnly => LayerKind::Frozen,
            other => other,
        }
    }

    /// The kind of this layer behind a [`Flash`](super::Flash).
    pub(crate) const fn in_flash(self) -> Self {
        if self.is_int8() {
            LayerKind::FlashInt8
        } else {
            LayerKind::Flash
        }
    }

    /// Which of its values train.
    pub(crate) const fn trains(self) -> Trains {
        match self {
            LayerKind::Trainable => Trains::All,
            LayerKind::BiasOnly => Trains::Biases,
            _ => Trains::Nothing,
        }
    }
}

/// One layer's values, viewed in place ([`Layer::visit_values`](super::Layer::visit_values)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LayerValues<'a> {
    /// f32 weights and biases, laid out as [`LayerParams`](super::LayerParams).
    Float {
        /// The weights.
        weights: &'a [f32],
        /// The biases.
        bias: &'a [f32],
    },
    /// A [`QuantizedDense`](super::QuantizedDense)'s values.
    Int8 {
        /// The weights, output-major (`weights[o·I + i]`).
        weights: &'a [i8],
        /// One scale per unit.
        scales: &'a [f32],
        /// One bias per unit.
        bias: &'a [f32],
    },
}

/// One layer's values, viewed in place to write
/// ([`Layer::visit_values_mut`](super::Layer::visit_values_mut)); laid out
/// as [`LayerValues`].
#[derive(Debug, PartialEq)]
pub enum LayerValuesMut<'a> {
    /// f32 weights and biases.
    Float {
        /// The weights.
        weights: &'a mut [f32],
        /// The biases.
        bias: &'a mut [f32],
    },
    /// A [`QuantizedDense`](super::QuantizedDense)'s values.
    Int8 {
        /// The weights, output-major.
        weights: &'a mut [i8],
        /// One scale per unit.
        scales: &'a mut [f32],
        /// One bias per unit.
        bias: &'a mut [f32],
    },
}
