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
mod inference;
pub mod init;
pub mod kernel;
pub mod layer;
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
    BatchMode, EpochReport, FitBuffers, FitConfig, FitReport, Patience, StopReason, Stopping,
    evaluate, fit, fit_with,
};
pub use fused::FusedTrainer;
pub use inference::Inference;
pub use init::Init;
pub use layer::{Fusable, GradientMode, Layer, LayerShape};
pub use loss::{
    AcceptsActivation, Loss, MeanSquaredError, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy,
    argmax,
};
pub use maxout::{Maxout, MaxoutCache, MaxoutParams};
pub use model::Model;
pub use normalize::{Normalizer, NormalizerFit, Scaling};
pub use optim::{
    AdaGrad, Adam, Epsilon, Gradient, GradientBuffer, Momentum, Optimizer, RmsProp, Sgd,
    StepContext, clip_factor, valid_learning_rate,
};
pub use params::{ParameterBuffer, Parameters};
pub use schedule::{LrSchedule, Schedule, Warmup};
pub use shuffle::{Permutation, shuffle_in_place};
pub use stats::{EpochStats, StepStats};
pub use trainer::{MemoryReport, StepReport, Trainer};

/// The `rand_core` traits the initialisers take (`Rng`, `SeedableRng`).
pub use rand_core;
