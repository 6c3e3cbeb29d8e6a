//! The one error type of the core.

use core::fmt;

/// Why an operation was refused.
///
/// Every operation that returns an `Error` has left the network's parameters,
/// the optimizer state and the step counter exactly as they were.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Error {
    /// A batch with no rows.
    EmptyBatch,
    /// More rows than the trainer's batch buffer holds.
    BatchTooLarge {
        /// Rows given.
        rows: usize,
        /// Rows the buffer holds (the trainer's `B`).
        capacity: usize,
    },
    /// Inputs and targets differ in number of rows.
    RowCountMismatch {
        /// Rows of input.
        inputs: usize,
        /// Rows of targets.
        targets: usize,
    },
    /// An input feature is NaN or infinite.
    NonFiniteInput {
        /// Row of the batch.
        row: usize,
    },
    /// A target value is NaN or infinite.
    NonFiniteTarget {
        /// Row of the batch.
        row: usize,
    },
    /// A target is outside its valid range (e.g. a binary target not in
    /// [0, 1]).
    InvalidTarget {
        /// Row of the batch.
        row: usize,
    },
    /// A class label is not smaller than the number of classes.
    LabelOutOfRange {
        /// Row of the batch.
        row: usize,
        /// The label given.
        label: usize,
        /// Number of classes (output width).
        classes: usize,
    },
    /// The network's output or the loss is NaN or infinite.
    NonFiniteLoss {
        /// Row of the batch.
        row: usize,
    },
    /// A gradient, or the parameter it would produce, is NaN or infinite.
    NonFiniteGradient,
    /// The learning rate is negative, NaN or infinite.
    InvalidLearningRate,
    /// A hyperparameter is out of its valid range (e.g. a gradient-clipping
    /// norm that is not positive and finite).
    InvalidHyperparameter,
    /// `step` was called with no accumulated gradient.
    NothingAccumulated,
    /// A data set could not produce a sample it claims to have.
    SampleUnavailable {
        /// The sample's index.
        index: usize,
    },
    /// A training phase was called out of order (e.g. `backward` before `loss`,
    /// or with a different number of rows than `forward`).
    OutOfOrder,
    /// A run-time layer list (`dynamic::Topology`) is not a valid
    /// network: no layers, a zero width, a maxout layer with 0 or more than
    /// 256 pieces or an activation, an activation setting out of range, or
    /// a size beyond `usize`.
    InvalidLayer {
        /// The offending layer, from 0 (the input width counts as layer 0).
        layer: usize,
    },
    /// A caller-owned buffer of the run-time front end has the wrong length.
    BufferLength {
        /// Which buffer.
        buffer: Buffer,
        /// The length the network needs, in elements.
        needed: usize,
        /// The length given.
        given: usize,
    },
    /// The loss does not fit the network or the targets: a fused loss
    /// (softmax or sigmoid cross-entropy) behind an output activation other
    /// than identity, or labels given to a loss that takes value rows (or
    /// the other way round).
    LossMismatch,
    /// A weight or bias to quantise
    /// ([`QuantizedDense::quantize`](crate::QuantizedDense::quantize)) is
    /// NaN or infinite.
    NonFiniteWeight {
        /// The unit (output channel) it belongs to, from 0.
        unit: usize,
    },
}

/// The caller-owned buffers of the run-time front end, named in
/// [`Error::BufferLength`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Buffer {
    /// The parameters.
    Parameters,
    /// The gradient buffer.
    Gradients,
    /// The optimizer state.
    OptimizerState,
    /// The activation caches.
    Cache,
    /// The winning-piece indices of maxout layers.
    Winners,
    /// An input row or batch.
    Input,
    /// The output row.
    Output,
    /// Target rows.
    Targets,
    /// The inference workspace.
    Scratch,
}

impl Buffer {
    /// Lowercase name, e.g. `"optimizer state"`.
    pub const fn name(self) -> &'static str {
        match self {
            Buffer::Parameters => "parameters",
            Buffer::Gradients => "gradients",
            Buffer::OptimizerState => "optimizer state",
            Buffer::Cache => "cache",
            Buffer::Winners => "maxout winners",
            Buffer::Input => "input",
            Buffer::Output => "output",
            Buffer::Targets => "targets",
            Buffer::Scratch => "scratch",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::EmptyBatch => f.write_str("batch has no rows"),
            Error::BatchTooLarge { rows, capacity } => {
                write!(
                    f,
                    "batch of {rows} rows exceeds the buffer of {capacity} rows"
                )
            }
            Error::RowCountMismatch { inputs, targets } => {
                write!(f, "{inputs} input rows but {targets} targets")
            }
            Error::NonFiniteInput { row } => write!(f, "input row {row} is not finite"),
            Error::NonFiniteTarget { row } => write!(f, "target of row {row} is not finite"),
            Error::InvalidTarget { row } => write!(f, "target of row {row} is out of range"),
            Error::LabelOutOfRange {
                row,
                label,
                classes,
            } => write!(
                f,
                "label {label} of row {row} is out of range for {classes} classes"
            ),
            Error::NonFiniteLoss { row } => write!(f, "output or loss of row {row} is not finite"),
            Error::NonFiniteGradient => f.write_str("gradient or updated parameter is not finite"),
            Error::InvalidLearningRate => f.write_str("learning rate is negative or not finite"),
            Error::InvalidHyperparameter => f.write_str("a hyperparameter is out of range"),
            Error::NothingAccumulated => f.write_str("no gradient has been accumulated"),
            Error::SampleUnavailable { index } => write!(f, "data set has no sample {index}"),
            Error::OutOfOrder => f.write_str("training phases called out of order"),
            Error::InvalidLayer { layer } => write!(f, "layer {layer} is not a valid layer"),
            Error::BufferLength {
                buffer,
                needed,
                given,
            } => write!(
                f,
                "{} buffer holds {given} values, the network needs {needed}",
                buffer.name()
            ),
            Error::LossMismatch => {
                f.write_str("the loss does not fit the output activation or the targets")
            }
            Error::NonFiniteWeight { unit } => {
                write!(f, "a weight or bias of unit {unit} is not finite")
            }
        }
    }
}

impl core::error::Error for Error {}
