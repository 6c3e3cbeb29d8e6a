//! The run-time-shaped front end: networks whose layer list is known only
//! at run time (a CLI reading a user's CSV, a C API, bindings), over flat
//! buffers the caller owns. No allocation, no panic.
//!
//! Contract: a [`Topology`] is checked once ([`Topology::new`]); it states
//! the length of every buffer ([`Topology::params_len`],
//! [`Topology::cache_len`], [`Topology::winners_len`],
//! [`Topology::scratch_len`], [`FlatOptimizer::STATE_BUFFERS`]), and every
//! constructor and call checks the buffers it is given against it,
//! answering [`Error::BufferLength`](crate::Error::BufferLength) instead of
//! panicking. After that, the passes run the very kernels, activations,
//! losses and optimizers of the const-generic types in the same order, so
//! a [`Network`] of some shape computes the same bits as the
//! [`network!`](crate::network) type of that shape: forward, every
//! optimizer, [`Trainer`] and [`FusedTrainer`] alike. The parameter layout
//! is the const-generic one too, so checkpoints carry over. For
//! fine-tuning, a [`Backbone`] is a frozen front over read-only parameters
//! whose outputs a [`Network`] of the trainable layers trains on.
//!
//! ```
//! use microprop::dynamic::{LayerSpec, Network, Topology};
//! use microprop::{network, ActivationKind, Dense, Identity, Inference, Init, Layer, Parameters, Tanh};
//! type Typed = network![Dense<3, 4, Tanh>, Dense<4, 2, Identity>];
//! let mut typed = Typed::ZERO;
//! typed.init(Init::Xavier, &mut microprop::init::seeded(5));
//!
//! let layers = [
//!     LayerSpec::dense(4, ActivationKind::Tanh),
//!     LayerSpec::dense(2, ActivationKind::Identity),
//! ];
//! let topology = Topology::new(3, &layers).unwrap();
//! let mut params = [0.0; 26];
//! let mut net = Network::new(topology, &mut params).unwrap();
//! net.init(Init::Xavier, &mut microprop::init::seeded(5));
//! assert!(typed.slices().flatten().eq(net.params().iter()));
//!
//! let x = [0.5, -1.0, 2.0];
//! let (mut scratch, mut out) = ([0.0; 8], [0.0; 2]);
//! net.predict(&x, &mut scratch, &mut [], &mut out).unwrap();
//! assert_eq!(Inference::<Typed>::new().predict(&typed, &x), Ok(&out));
//! ```

mod activation;
mod backbone;
mod flat;
mod fused;
mod loss;
mod network;
mod optimizer;
mod topology;
mod trainer;

pub use backbone::Backbone;
pub use flat::{FlatParams, RUN_TIME_LEN};
pub use fused::{FusedBuffers, FusedTrainer};
pub use loss::{LossKind, Targets};
pub use network::Network;
pub use optimizer::FlatOptimizer;
pub use topology::{LayerSpec, Topology};
pub use trainer::{Buffers, Trainer};
