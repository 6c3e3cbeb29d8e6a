#![doc = include_str!("../README.md")]
#![no_std]
// `deny`, not `forbid`: `math::fpu` (the hardware square root, on hard-float
// Arm only) is the one measured exception.
#![deny(unsafe_code)]
#![deny(missing_docs)]

// The `std` feature (host builds only) links std for `f32::sqrt`, which the
// host's vectoriser understands; the library itself stays `no_std` code.
#[cfg(feature = "std")]
extern crate std;

mod activation;
mod buffer;
pub mod checkpoint;
mod dataset;
pub mod dynamic;
mod epsilon;
mod error;
mod fit;
mod fused;
pub mod guard;
mod hooks;
mod inference;
pub mod init;
pub mod kernel;
pub mod layer;
mod loss;
pub mod math;
mod model;
mod normalize;
pub mod optim;
mod params;
pub mod quantize;
mod schedule;
mod shuffle;
mod stats;
mod trainer;
mod workspace;

// The root holds the names a user of the library writes; the plumbing the
// trainers and optimizers share (caches, parameter views, gradient
// engines) is in `layer` and `optim`. core/README.md lists the root by job.

// Networks and layers.
pub use buffer::Row;
pub use layer::{
    BiasOnly, Chain, Dense, Flash, Frozen, Fusable, Layer, LayerParams, LayerParamsMut, LayerShape,
    Maxout, QuantizedDense,
};
pub use params::Parameters;

// Activations.
pub use activation::{
    Activation, ActivationKind, Elu, Identity, LeakyRelu, Relu, Sigmoid, Softmax, Tanh,
    softmax_in_place,
};

// Losses.
pub use loss::{
    AcceptsActivation, BinaryCrossEntropy, Loss, MeanSquaredError, SigmoidBinaryCrossEntropy,
    SoftTargetCrossEntropy, SoftmaxCrossEntropy, argmax,
};

// Training.
pub use fused::FusedTrainer;
pub use stats::{EpochStats, StepStats};
pub use trainer::{MemoryReport, StepReport, Trainer};

// Optimizers.
pub use optim::{
    AdaGrad, Adam, DecayedSgd, Epsilon, Momentum, Optimizer, RmsProp, Sgd, SquaredChange,
    StepContext, Unmeasured,
};

// The training loop.
pub use fit::{
    BatchMode, EpochReport, FitBuffers, FitConfig, FitReport, Patience, StepEvent, StopReason,
    Stopping,
};
pub use hooks::{FitHooks, OnEpoch, OnStep};
pub use schedule::{FnSchedule, LrSchedule, Schedule, Warmup, WarmupStart};
pub use workspace::{KeepBest, Workspace};

// Data.
pub use dataset::{Dataset, SliceDataset};
pub use normalize::{Normalizer, NormalizerFit, Scaling};
pub use shuffle::{Permutation, shuffle_in_place};

// Inference and models.
pub use inference::Inference;
pub use model::Model;

// Initialisation and errors.
pub use error::{Buffer, Error};
pub use init::Init;

/// The `rand_core` traits the initialisers take (`Rng`, `SeedableRng`).
pub use rand_core;
