//! The built-in models: const-generic network types, their losses as
//! [`Task`]s, their bundled data and good default settings, and dispatch by
//! name ([`Builtin::visit`]); the rows a model trains and is tested on
//! ([`split`]) and its checkpoint files ([`checkpoints`]); and models of
//! any shape on the user's CSV, with the model file that remembers their
//! features, scaling, classes and split ([`own`]).
//!
//! A model's shape is its type, so code that trains "the model named on the
//! command line" is generic and [`Builtin::visit`] calls it with the right
//! types: a [`ModelVisitor`] is the one place a new built-in has to be
//! added to. This layer imports [`crate::options`] and [`crate::data`],
//! never clap: the command line's view of [`Builtin`] belongs to the
//! commands.

pub mod builtin;
pub mod checkpoints;
pub mod own;
pub mod split;
pub mod task;

use microprop::{Dense, Identity, Relu, Tanh, network};

pub use builtin::{Builtin, Defaults, ModelVisitor};
pub use split::{HeldOutArgs, Sets, load_split};
pub use task::{Task, TaskKind};

/// XOR: 2 inputs → 8 tanh units → 1 logit (sigmoid + binary cross-entropy).
pub type XorNet = network![Dense<2, 8, Tanh>, Dense<8, 1, Identity>];
/// Sine regression: 1 → 16 ReLU → 16 ReLU → 1 (mean squared error).
pub type SineNet = network![Dense<1, 16, Relu>, Dense<16, 16, Relu>, Dense<16, 1, Identity>];
/// Iris: 4 measurements → 16 tanh units → 3 logits (softmax + cross-entropy).
pub type IrisNet = network![Dense<4, 16, Tanh>, Dense<16, 3, Identity>];
/// 8x8 digits: 64 pixels → 32 tanh units → 10 logits (the demo's model).
pub type DigitsNet = network![Dense<64, 32, Tanh>, Dense<32, 10, Identity>];
/// MNIST: 784 pixels → 32 tanh units → 10 logits.
pub type MnistNet = network![Dense<784, 32, Tanh>, Dense<32, 10, Identity>];
