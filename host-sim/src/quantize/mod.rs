//! The `quantize` command: a built-in model's float checkpoint with the
//! layers the user names turned into int8
//! [`QuantizedDense`](microprop::QuantizedDense) layers (per-channel
//! symmetric scales, the arithmetic the device runs), and the accuracy
//! before and after on the rows `train` trained and tested it on.
//!
//! The int8 network is a real const-generic network of the core's layers
//! (`network![QuantizedDense<..>, Dense<..>]` and so on), evaluated as
//! `eval` evaluates the float one, so the figures are those of the layer a
//! firmware would run.

pub mod args;
pub mod measure;

pub use args::QuantizeOptions;
pub use measure::{QuantizeOutcome, command, quantize};
