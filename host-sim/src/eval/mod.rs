//! The `eval` and `predict` commands: a built-in model loaded from its
//! checkpoint file, measured on a data set ([`measure`]) or run on new rows
//! ([`predict`](mod@predict)); a model of any shape (`train --layers`)
//! read by column name and scored on its recorded split ([`own`]).

pub mod args;
pub mod measure;
pub mod own;
pub mod predict;
pub mod predict_own;

pub use args::{EvalOptions, PredictOptions};
pub use measure::{EvalOutcome, eval};
pub use predict::{Prediction, predict, render_predictions};
