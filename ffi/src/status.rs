//! The one result type of the C API: [`Status`], a C enum of `int32_t`
//! (cbindgen writes `typedef int32_t microprop_status`, so its size does not
//! depend on the C compiler's enum size), and its message.

use core::ffi::c_char;

use embedded_storage::nor_flash::NorFlashErrorKind;
use microprop::checkpoint::{CheckpointError, StoreError};
use microprop::{Buffer, Error};

/// What a call did: `MICROPROP_STATUS_OK` (0) or why it refused. A refused call
/// has changed nothing: not the weights, the optimizer state, the step
/// count nor any output. `microprop_error_message` names each code.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// A pointer that must not be NULL was NULL.
    NullPointer = 1,
    /// A pointer is not aligned for its type (4 bytes for `float`).
    Misaligned = 2,
    /// A buffer is shorter than the model needs (`microprop_buffer_sizes` says
    /// how long each must be).
    BufferTooSmall = 3,
    /// Two buffers that must be distinct overlap (or a buffer overlaps the
    /// `microprop_model` itself).
    BufferOverlap = 4,
    /// The `microprop_model` was not set up by `microprop_model_init`, or
    /// the `microprop_backbone` by `microprop_backbone_init` (or its
    /// contents were overwritten).
    NotInitialized = 5,
    /// An enum value (loss, optimizer, schedule or init kind) is unknown, or
    /// a combination is not allowed (a fused step with batch other than 1
    /// or with gradient clipping).
    InvalidArgument = 6,
    /// A layer is not valid: no layers, a zero width, an unknown activation,
    /// 0 or more than 256 maxout pieces, a maxout layer with an activation,
    /// a negative or non-finite activation setting, or sizes that overflow.
    InvalidLayer = 7,
    /// More layers than `MICROPROP_MAX_LAYERS`.
    TooManyLayers = 8,
    /// An optimizer or schedule hyperparameter, an init setting or the
    /// clipping norm is out of range or not finite.
    InvalidHyperparameter = 9,
    /// The learning rate of this step is negative or not finite.
    InvalidLearningRate = 10,
    /// The loss does not fit: a cross-entropy loss behind an output
    /// activation other than identity, or labels given to a loss that takes
    /// value rows (or the other way round).
    LossMismatch = 11,
    /// The model was set up for inference only (batch 0): it cannot train.
    NotTrainable = 12,
    /// The operation is not available in this mode (evaluation of a model
    /// set up for the fused step, which has no gradient buffer).
    Unsupported = 13,
    /// A batch of no rows.
    EmptyBatch = 14,
    /// More than one row given to the fused (batch-1) step.
    BatchTooLarge = 15,
    /// Inputs and targets differ in number of rows.
    RowCountMismatch = 16,
    /// The input is not a whole number of rows (or, for predict, not one
    /// row).
    InputLength = 17,
    /// The target values are not a whole number of output rows.
    TargetLength = 18,
    /// An input value is NaN or infinite.
    NonFiniteInput = 19,
    /// A target value is NaN or infinite.
    NonFiniteTarget = 20,
    /// A target is outside its range (a binary target not in [0, 1]).
    InvalidTarget = 21,
    /// A class label is not smaller than the number of outputs.
    LabelOutOfRange = 22,
    /// The network's output or the loss became NaN or infinite.
    NonFiniteLoss = 23,
    /// A gradient, or a weight it would produce, is NaN or infinite.
    NonFiniteGradient = 24,
    /// The checkpoint is shorter than its header says.
    CheckpointTruncated = 25,
    /// Not a microprop checkpoint (bad magic).
    CheckpointBadMagic = 26,
    /// A checkpoint format version this build does not read.
    CheckpointUnsupportedVersion = 27,
    /// The checkpoint's CRC-32 does not match: it is corrupted.
    CheckpointCorrupted = 28,
    /// The checkpoint is for other layer widths.
    CheckpointArchitectureMismatch = 29,
    /// Same widths, but a layer's activation, its setting, its maxout
    /// pieces or its kind (float, int8, flash) differ, or its flash
    /// values are others.
    CheckpointLayerMismatch = 30,
    /// Training state was asked for but the checkpoint holds only weights.
    CheckpointMissingTrainingState = 31,
    /// The checkpoint's optimizer state has another size (another
    /// optimizer).
    CheckpointOptimizerMismatch = 32,
    /// The checkpoint holds a NaN or infinite value.
    CheckpointNonFinite = 33,
    /// The checkpoint's header is inconsistent.
    CheckpointMalformed = 34,
    /// A flash callback returned an error.
    FlashIo = 35,
    /// A flash access would fall outside the flash's capacity.
    FlashOutOfBounds = 36,
    /// The flash slots are not aligned to the erase size (and to 64 bytes),
    /// overlap, or lie outside the flash.
    FlashLayout = 37,
    /// The checkpoint does not fit a flash slot.
    FlashSlotTooSmall = 38,
    /// Reading back what was just written to flash gave other bytes (the
    /// previous checkpoint is still the newest).
    FlashVerifyFailed = 39,
    /// Neither flash slot holds a valid checkpoint.
    NoCheckpoint = 40,
    /// An error the C API has no code for (a bug: please report it).
    Internal = 41,
}

/// Every status, indexed by its code.
const ALL: [Status; 42] = [
    Status::Ok,
    Status::NullPointer,
    Status::Misaligned,
    Status::BufferTooSmall,
    Status::BufferOverlap,
    Status::NotInitialized,
    Status::InvalidArgument,
    Status::InvalidLayer,
    Status::TooManyLayers,
    Status::InvalidHyperparameter,
    Status::InvalidLearningRate,
    Status::LossMismatch,
    Status::NotTrainable,
    Status::Unsupported,
    Status::EmptyBatch,
    Status::BatchTooLarge,
    Status::RowCountMismatch,
    Status::InputLength,
    Status::TargetLength,
    Status::NonFiniteInput,
    Status::NonFiniteTarget,
    Status::InvalidTarget,
    Status::LabelOutOfRange,
    Status::NonFiniteLoss,
    Status::NonFiniteGradient,
    Status::CheckpointTruncated,
    Status::CheckpointBadMagic,
    Status::CheckpointUnsupportedVersion,
    Status::CheckpointCorrupted,
    Status::CheckpointArchitectureMismatch,
    Status::CheckpointLayerMismatch,
    Status::CheckpointMissingTrainingState,
    Status::CheckpointOptimizerMismatch,
    Status::CheckpointNonFinite,
    Status::CheckpointMalformed,
    Status::FlashIo,
    Status::FlashOutOfBounds,
    Status::FlashLayout,
    Status::FlashSlotTooSmall,
    Status::FlashVerifyFailed,
    Status::NoCheckpoint,
    Status::Internal,
];

impl Status {
    /// The status with this code, if any.
    pub fn from_code(code: i32) -> Option<Status> {
        usize::try_from(code).ok().and_then(|i| ALL.get(i)).copied()
    }

    /// A short English sentence (no trailing period) as a C string.
    pub const fn message(self) -> &'static core::ffi::CStr {
        match self {
            Status::Ok => c"success",
            Status::NullPointer => c"a required pointer is NULL",
            Status::Misaligned => c"a pointer is not aligned for its type",
            Status::BufferTooSmall => c"a buffer is shorter than the model needs",
            Status::BufferOverlap => c"two buffers that must be distinct overlap",
            Status::NotInitialized => c"the model or backbone was not set up by its init function",
            Status::InvalidArgument => c"an enum value is unknown or a combination is not allowed",
            Status::InvalidLayer => c"a layer description is not valid",
            Status::TooManyLayers => c"more layers than MICROPROP_MAX_LAYERS",
            Status::InvalidHyperparameter => c"a hyperparameter is out of range or not finite",
            Status::InvalidLearningRate => c"the learning rate is negative or not finite",
            Status::LossMismatch => c"the loss does not fit the output activation or the targets",
            Status::NotTrainable => c"the model was set up for inference only (batch 0)",
            Status::Unsupported => c"not available for a model set up for the fused step",
            Status::EmptyBatch => c"the batch has no rows",
            Status::BatchTooLarge => c"the fused step takes one row at a time",
            Status::RowCountMismatch => c"inputs and targets differ in number of rows",
            Status::InputLength => c"the input is not a whole number of rows",
            Status::TargetLength => c"the targets are not a whole number of output rows",
            Status::NonFiniteInput => c"an input value is NaN or infinite",
            Status::NonFiniteTarget => c"a target value is NaN or infinite",
            Status::InvalidTarget => c"a target is out of range",
            Status::LabelOutOfRange => c"a class label is not smaller than the number of outputs",
            Status::NonFiniteLoss => c"the output or the loss is NaN or infinite",
            Status::NonFiniteGradient => c"a gradient or an updated weight is NaN or infinite",
            Status::CheckpointTruncated => c"the checkpoint is truncated",
            Status::CheckpointBadMagic => c"not a microprop checkpoint",
            Status::CheckpointUnsupportedVersion => c"unsupported checkpoint format version",
            Status::CheckpointCorrupted => c"the checkpoint is corrupted (CRC-32 mismatch)",
            Status::CheckpointArchitectureMismatch => c"the checkpoint is for other layer widths",
            Status::CheckpointLayerMismatch => {
                c"a layer of the checkpoint has another activation, setting, piece count or kind"
            }
            Status::CheckpointMissingTrainingState => {
                c"the checkpoint holds no optimizer state and step count"
            }
            Status::CheckpointOptimizerMismatch => {
                c"the checkpoint's optimizer state has another size"
            }
            Status::CheckpointNonFinite => c"the checkpoint holds a NaN or infinite value",
            Status::CheckpointMalformed => c"the checkpoint header is inconsistent",
            Status::FlashIo => c"a flash callback reported an error",
            Status::FlashOutOfBounds => c"a flash access falls outside the flash",
            Status::FlashLayout => {
                c"the flash slots are misaligned, overlap or lie outside the flash"
            }
            Status::FlashSlotTooSmall => c"the checkpoint does not fit a flash slot",
            Status::FlashVerifyFailed => c"reading back the flash gave other bytes",
            Status::NoCheckpoint => c"no valid checkpoint in flash",
            Status::Internal => c"internal error (a bug in microprop)",
        }
    }
}

/// The code of a `Result` of the API.
pub(crate) fn code(result: Result<(), Status>) -> Status {
    match result {
        Ok(()) => Status::Ok,
        Err(status) => status,
    }
}

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match e {
            Error::EmptyBatch => Status::EmptyBatch,
            Error::BatchTooLarge { .. } => Status::BatchTooLarge,
            Error::RowCountMismatch { .. } => Status::RowCountMismatch,
            Error::NonFiniteInput { .. } => Status::NonFiniteInput,
            Error::NonFiniteTarget { .. } => Status::NonFiniteTarget,
            Error::InvalidTarget { .. } => Status::InvalidTarget,
            Error::LabelOutOfRange { .. } => Status::LabelOutOfRange,
            Error::NonFiniteLoss { .. } => Status::NonFiniteLoss,
            Error::NonFiniteGradient => Status::NonFiniteGradient,
            Error::InvalidLearningRate => Status::InvalidLearningRate,
            Error::InvalidHyperparameter => Status::InvalidHyperparameter,
            Error::InvalidLayer { .. } => Status::InvalidLayer,
            Error::LossMismatch => Status::LossMismatch,
            Error::BufferLength { buffer, .. } => match buffer {
                Buffer::Input => Status::InputLength,
                Buffer::Targets => Status::TargetLength,
                _ => Status::BufferTooSmall,
            },
            _ => Status::Internal,
        }
    }
}

impl From<CheckpointError> for Status {
    fn from(e: CheckpointError) -> Self {
        match e {
            CheckpointError::BufferTooSmall { .. } => Status::BufferTooSmall,
            CheckpointError::Truncated { .. } => Status::CheckpointTruncated,
            CheckpointError::BadMagic => Status::CheckpointBadMagic,
            CheckpointError::UnsupportedVersion { .. } => Status::CheckpointUnsupportedVersion,
            CheckpointError::CrcMismatch { .. } => Status::CheckpointCorrupted,
            CheckpointError::ArchitectureMismatch { .. } | CheckpointError::HeadMismatch { .. } => {
                Status::CheckpointArchitectureMismatch
            }
            CheckpointError::LayerMismatch { .. }
            | CheckpointError::KindMismatch { .. }
            | CheckpointError::FlashMismatch { .. } => Status::CheckpointLayerMismatch,
            CheckpointError::IncompleteVersion1 { .. } => Status::CheckpointUnsupportedVersion,
            CheckpointError::Int8OutOfRange { .. } => Status::CheckpointMalformed,
            CheckpointError::MissingPart(_) => Status::CheckpointMissingTrainingState,
            CheckpointError::OptimizerStateMismatch { .. } => Status::CheckpointOptimizerMismatch,
            CheckpointError::NonFiniteValue { .. } => Status::CheckpointNonFinite,
            CheckpointError::Malformed => Status::CheckpointMalformed,
            _ => Status::Internal,
        }
    }
}

impl From<StoreError<NorFlashErrorKind>> for Status {
    fn from(e: StoreError<NorFlashErrorKind>) -> Self {
        match e {
            StoreError::Flash(NorFlashErrorKind::OutOfBounds) => Status::FlashOutOfBounds,
            StoreError::Flash(NorFlashErrorKind::NotAligned) => Status::FlashLayout,
            StoreError::Flash(_) => Status::FlashIo,
            StoreError::BadLayout => Status::FlashLayout,
            StoreError::TooLarge { .. } => Status::FlashSlotTooSmall,
            StoreError::BufferTooSmall { .. } => Status::BufferTooSmall,
            StoreError::VerifyFailed => Status::FlashVerifyFailed,
            _ => Status::Internal,
        }
    }
}

/// The message of a status code as a static, NUL-terminated C string
/// (never NULL; `"unknown status code"` for a code that is not a
/// `microprop_status`). The string is English, lowercase, without a
/// trailing period, and lives as long as the program.
#[unsafe(no_mangle)]
pub extern "C" fn microprop_error_message(code: i32) -> *const c_char {
    match Status::from_code(code) {
        Some(status) => status.message().as_ptr(),
        None => c"unknown status code".as_ptr(),
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_code_round_trips_and_has_its_own_message() {
        for (i, status) in ALL.iter().enumerate() {
            assert_eq!(*status as i32, i as i32);
            assert_eq!(Status::from_code(i as i32), Some(*status));
            for other in &ALL[..i] {
                assert_ne!(status.message(), other.message(), "{status:?} {other:?}");
            }
        }
        assert_eq!(Status::from_code(-1), None);
        assert_eq!(Status::from_code(ALL.len() as i32), None);
    }
}
