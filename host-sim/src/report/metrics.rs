//! Per-epoch records of a training run: as a line, and as the CSV file
//! `train --metrics` writes.

use std::path::Path;

use anyhow::{Context, Result};
use microprop::EpochReport;

/// One epoch as recorded (and written to the metrics CSV).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochRecord {
    /// Epoch, from 1.
    pub epoch: u32,
    /// Optimizer steps so far.
    pub iterations: u32,
    /// Mean training loss over the epoch (each row scored before its step).
    pub loss: f32,
    /// Training accuracy over the epoch, for classifiers.
    pub accuracy: Option<f32>,
    /// Learning rate of the epoch's last step.
    pub learning_rate: f32,
    /// Gradient norm of the epoch's last step.
    pub grad_norm: f32,
}

impl EpochRecord {
    /// The record of `fit`'s report on an epoch.
    pub fn from_report(r: &EpochReport) -> Self {
        EpochRecord {
            epoch: r.epoch + 1,
            iterations: r.iterations,
            loss: r.stats.mean_loss(),
            accuracy: r.stats.accuracy(),
            learning_rate: r.last_step.learning_rate,
            grad_norm: r.last_step.grad_norm,
        }
    }
}

/// An epoch in one line: "loss L  acc A  lr η" (no accuracy for
/// regression).
pub fn epoch_summary(r: &EpochRecord) -> String {
    let acc = r
        .accuracy
        .map_or(String::new(), |a| format!("  acc {a:.4}"));
    format!("loss {:.5}{acc}  lr {:.3e}", r.loss, r.learning_rate)
}

/// Writes the per-epoch records as CSV:
/// `epoch,iterations,loss,accuracy,learning_rate,grad_norm`.
///
/// # Errors
/// If the file can't be written.
pub fn write_metrics(path: &Path, epochs: &[EpochRecord]) -> Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    w.write_record([
        "epoch",
        "iterations",
        "loss",
        "accuracy",
        "learning_rate",
        "grad_norm",
    ])?;
    for e in epochs {
        w.write_record([
            e.epoch.to_string(),
            e.iterations.to_string(),
            e.loss.to_string(),
            e.accuracy.map_or(String::new(), |a| a.to_string()),
            e.learning_rate.to_string(),
            e.grad_norm.to_string(),
        ])?;
    }
    w.flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
