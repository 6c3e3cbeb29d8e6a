use core::fmt;

use crate::activation::ActivationKind;
use crate::layer::LayerKind;

/// Up to 8 layers' widths, for naming an architecture in an error:
/// `64-32-10`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Architecture {
    /// Number of layers.
    pub layers: u16,
    /// Input width of the first layer, then each layer's output width
    /// (the first `min(layers, 8) + 1` entries are used).
    pub widths: [u32; 9],
}

impl Architecture {
    pub(super) const EMPTY: Architecture = Architecture {
        layers: 0,
        widths: [0; 9],
    };

    pub(super) fn push(&mut self, inputs: u32, outputs: u32) {
        if self.layers == 0 {
            self.widths[0] = inputs;
        }
        if let Some(w) = self.widths.get_mut(self.layers as usize + 1) {
            *w = outputs;
        }
        self.layers = self.layers.saturating_add(1);
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = (self.layers as usize).min(8) + 1;
        for (i, w) in self.widths.iter().take(shown).enumerate() {
            if i > 0 {
                f.write_str("-")?;
            }
            write!(f, "{w}")?;
        }
        if self.layers > 8 {
            f.write_str("-...")?;
        }
        Ok(())
    }
}

/// A part a checkpoint may hold besides the parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Part {
    /// Optimizer state and step count.
    OptimizerState,
    /// Input normaliser.
    InputNormalizer,
    /// Target normaliser.
    TargetNormalizer,
}

/// Why a checkpoint could not be written or loaded. A failed load changes
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum CheckpointError {
    /// The output buffer is too small.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// The blob ends before its header says it does.
    Truncated {
        /// Bytes given.
        length: usize,
        /// Bytes needed.
        needed: usize,
    },
    /// Not a microprop checkpoint.
    BadMagic,
    /// Written by a newer or unknown format version.
    UnsupportedVersion {
        /// Version in the blob.
        found: u16,
        /// Version this build reads.
        supported: u16,
    },
    /// The stored CRC-32 does not match the contents: the blob is corrupted.
    CrcMismatch {
        /// CRC stored in the blob.
        stored: u32,
        /// CRC of the contents.
        computed: u32,
    },
    /// The checkpoint is for another network shape.
    ArchitectureMismatch {
        /// Shape recorded in the checkpoint.
        checkpoint: Architecture,
        /// Shape of the model it was loaded into.
        model: Architecture,
    },
    /// Same widths, but a layer differs in activation, its setting, or its
    /// number of maxout pieces.
    LayerMismatch {
        /// Layer index, from 0.
        layer: u16,
        /// Activation recorded in the checkpoint (`None`: unknown code).
        checkpoint: Option<ActivationKind>,
        /// Activation of the model.
        model: ActivationKind,
    },
    /// Same shape, but a layer keeps other values: float in one, int8 in
    /// the other; or, when optimizer state is loaded, another set of them
    /// trains (the state is laid out by the values that train).
    KindMismatch {
        /// Layer index, from 0.
        layer: u16,
        /// Kind recorded in the checkpoint (`None`: unknown code).
        checkpoint: Option<LayerKind>,
        /// Kind of the model's layer.
        model: LayerKind,
    },
    /// A layer kept in flash (in the checkpoint, the model, or both)
    /// holds other values than the other side: the CRC-32s of the values
    /// differ.
    FlashMismatch {
        /// Layer index, from 0.
        layer: u16,
        /// CRC-32 of the checkpoint's values.
        checkpoint: u32,
        /// CRC-32 of the model's values.
        model: u32,
    },
    /// An int8 weight is -128 (weights are in `-127..=127`).
    Int8OutOfRange {
        /// Byte offset of the weight.
        offset: usize,
    },
    /// A format-1 checkpoint holds fewer values than its layer list needs:
    /// it was written by a network with flash or int8 layers, whose values
    /// format 1 left out.
    IncompleteVersion1 {
        /// Values stored.
        values: u32,
        /// Values its layer list needs.
        needed: u32,
    },
    /// A run-time head does not take what its backbone gives: the pair is
    /// not one network (nothing is saved or loaded).
    HeadMismatch {
        /// Outputs of the backbone.
        backbone_outputs: u32,
        /// Inputs of the head.
        head_inputs: u32,
    },
    /// A part was asked for that the checkpoint does not hold.
    MissingPart(Part),
    /// The optimizer state has another size (e.g. saved with SGD, loaded into
    /// an Adam trainer).
    OptimizerStateMismatch {
        /// Values stored.
        checkpoint: u32,
        /// Values the trainer holds.
        model: u32,
    },
    /// A normaliser has another width than the model's rows.
    NormalizerMismatch {
        /// Width stored.
        checkpoint: u32,
        /// Width expected.
        model: u32,
    },
    /// A stored value is NaN or infinite.
    NonFiniteValue {
        /// Byte offset of the value.
        offset: usize,
    },
    /// The header is internally inconsistent.
    Malformed,
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::BufferTooSmall { needed, available } => {
                write!(f, "checkpoint needs {needed} bytes, buffer has {available}")
            }
            CheckpointError::Truncated { length, needed } => {
                write!(f, "checkpoint is truncated: {length} bytes, needs {needed}")
            }
            CheckpointError::BadMagic => f.write_str("not a microprop checkpoint (bad magic)"),
            CheckpointError::UnsupportedVersion { found, supported } => write!(
                f,
                "checkpoint format version {found} is not supported (this build reads versions 1 to {supported})"
            ),
            CheckpointError::CrcMismatch { stored, computed } => write!(
                f,
                "checkpoint is corrupted: CRC-32 {stored:#010x} stored, {computed:#010x} computed"
            ),
            CheckpointError::HeadMismatch {
                backbone_outputs,
                head_inputs,
            } => write!(
                f,
                "the head takes {head_inputs} inputs, the backbone gives {backbone_outputs}"
            ),
            CheckpointError::ArchitectureMismatch { checkpoint, model } => {
                write!(f, "checkpoint is for {checkpoint}, model is {model}")
            }
            CheckpointError::LayerMismatch {
                layer,
                checkpoint,
                model,
            } => match checkpoint {
                Some(kind) => write!(
                    f,
                    "layer {layer}: checkpoint has {} activation (or another setting or piece count), model has {}",
                    kind.name(),
                    model.name()
                ),
                None => write!(f, "layer {layer}: checkpoint has an unknown activation"),
            },
            CheckpointError::KindMismatch {
                layer,
                checkpoint,
                model,
            } => match checkpoint {
                Some(kind) => write!(
                    f,
                    "layer {layer} is {} in the checkpoint and {} in the model",
                    kind.name(),
                    model.name()
                ),
                None => write!(f, "layer {layer}: checkpoint has an unknown layer kind"),
            },
            CheckpointError::FlashMismatch {
                layer,
                checkpoint,
                model,
            } => write!(
                f,
                "layer {layer}: the checkpoint's values (CRC-32 {checkpoint:#010x}) are not the model's flash values ({model:#010x})"
            ),
            CheckpointError::Int8OutOfRange { offset } => write!(
                f,
                "checkpoint holds an int8 weight of -128 at byte {offset} (weights are in -127..=127)"
            ),
            CheckpointError::IncompleteVersion1 { values, needed } => write!(
                f,
                "format-1 checkpoint holds {values} values, its layers need {needed}: it was written by a network with flash or int8 layers, which format 1 could not save; save it again with this build"
            ),
            CheckpointError::MissingPart(part) => write!(f, "checkpoint holds no {part:?}"),
            CheckpointError::OptimizerStateMismatch { checkpoint, model } => write!(
                f,
                "checkpoint holds {checkpoint} optimizer values, the trainer's optimizer has {model}"
            ),
            CheckpointError::NormalizerMismatch { checkpoint, model } => write!(
                f,
                "checkpoint normaliser has {checkpoint} features, model expects {model}"
            ),
            CheckpointError::NonFiniteValue { offset } => {
                write!(f, "checkpoint holds a non-finite value at byte {offset}")
            }
            CheckpointError::Malformed => f.write_str("checkpoint header is inconsistent"),
        }
    }
}

impl core::error::Error for CheckpointError {}
