//! The `eval` and `predict` commands: a built-in model loaded from its
//! checkpoint file, measured on a data set ([`measure`]) or run on new rows
//! ([`predict`](mod@predict)).

pub mod measure;
pub mod predict;

pub use measure::{EvalOptions, EvalOutcome, eval};
pub use predict::{PredictOptions, Prediction, predict, render_predictions};
