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
mod chain;
pub mod checkpoint;
mod dataset;
mod dense;
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
mod layer;
mod loss;
pub mod math;
mod maxout;
mod model;
mod normalize;
mod optim;
mod params;
mod schedule;
mod shuffle;
mod stats;
mod trainer;
mod workspace;

pub use activation::{
    Activation, ActivationKind, Elu, Identity, LeakyRelu, Relu, Sigmoid, Softmax, Tanh,
    softmax_in_place,
};
pub use buffer::{Row, Zeroed};
pub use chain::{Chain, ChainCache, ChainScratch};
pub use dataset::{Dataset, SliceDataset};
pub use dense::{Dense, DenseParams};
pub use error::{Buffer, Error};
pub use fit::{
    BatchMode, EpochReport, FitBuffers, FitConfig, FitReport, Patience, StepEvent, StopReason,
    Stopping,
};
pub use fused::FusedTrainer;
pub use hooks::{FitHooks, OnEpoch, OnStep};
pub use inference::Inference;
pub use init::Init;
pub use layer::{GradientMode, Layer, LayerShape};
pub use loss::{
    AcceptsActivation, BinaryCrossEntropy, Loss, MeanSquaredError, SigmoidBinaryCrossEntropy,
    SoftTargetCrossEntropy, SoftmaxCrossEntropy, argmax,
};
pub use maxout::{Maxout, MaxoutCache, MaxoutParams};
pub use model::Model;
pub use normalize::{Normalizer, NormalizerFit, Scaling};
pub use optim::{
    AdaGrad, Adam, Epsilon, Gradient, GradientBuffer, Momentum, Optimizer, RmsProp, Sgd,
    StepContext, clip_factor, valid_learning_rate,
};
pub use params::{ParameterBuffer, Parameters};
pub use schedule::{FnSchedule, LrSchedule, Schedule, Warmup, WarmupStart};
pub use shuffle::{Permutation, shuffle_in_place};
pub use stats::{EpochStats, StepStats};
pub use trainer::{MemoryReport, StepReport, Trainer};
pub use workspace::{KeepBest, Workspace};

/// The `rand_core` traits the initialisers take (`Rng`, `SeedableRng`).
pub use rand_core;
