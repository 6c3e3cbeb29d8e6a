//! How results are measured and shown: a model's loss and accuracy and the
//! line that prints them ([`evaluation`]), confusion matrices
//! ([`confusion`]), the progress bar ([`progress`]), per-epoch metrics
//! ([`metrics`]) and their bounded history ([`history`]), memory footprints ([`memory`]) against the one table of
//! microcontrollers ([`parts`]), and figures ([`plot`], [`curves`]); for
//! models of any shape, their scores on a file ([`scores`]: accuracy and
//! confusion, or RMSE, MAE and R²).
//!
//! This layer imports [`crate::options`], [`crate::data`] and
//! [`crate::models`]; the commands import it.

pub mod confusion;
pub mod curves;
pub mod evaluation;
pub mod history;
pub mod memory;
pub mod metrics;
pub mod parts;
pub mod plot;
pub mod progress;
pub mod scores;

pub use confusion::{confusion_matrix, format_confusion, format_named_confusion};
pub use curves::training_curves;
pub use evaluation::{Evaluation, evaluate, evaluate_model, evaluation_line};
pub use history::EpochHistory;
pub use memory::{Footprint, footprint_of, grouped, human};
pub use metrics::{EpochRecord, MetricsFile, epoch_summary};
pub use parts::{DEFAULT_PART, PARTS, Part};
pub use progress::{EpochProgress, LoadProgress, progress_bar};
pub use scores::{RegressionScore, Score, score};
