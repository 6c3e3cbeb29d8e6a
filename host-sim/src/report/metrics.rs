//! Per-epoch records of a training run: as a line, and as the CSV file
//! `train --metrics` writes.

use std::path::Path;

use anyhow::{Context, Result};

use crate::data::files::write_atomic;
use microprop::{EpochReport, EpochStats};
use serde::Serialize;

/// One epoch as recorded (and written to the metrics CSV).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
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
    /// Loss on the validation rows after the epoch, if any.
    pub val_loss: Option<f32>,
    /// Accuracy on the validation rows after the epoch (classifiers).
    pub val_accuracy: Option<f32>,
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
            val_loss: None,
            val_accuracy: None,
        }
    }

    /// The record of an epoch with the loss and accuracy on the
    /// validation rows.
    pub fn with_validation(mut self, validation: Option<&EpochStats>) -> Self {
        self.val_loss = validation.map(EpochStats::mean_loss);
        self.val_accuracy = validation.and_then(EpochStats::accuracy);
        self
    }
}

/// An epoch in one line: "loss L  acc A  lr η" (no accuracy for
/// regression), with "val_loss V  val_acc W" after a validation.
pub fn epoch_summary(r: &EpochRecord) -> String {
    let acc = r
        .accuracy
        .map_or(String::new(), |a| format!("  acc {a:.4}"));
    let val = r
        .val_loss
        .map_or(String::new(), |l| format!("  val_loss {l:.5}"));
    let val_acc = r
        .val_accuracy
        .map_or(String::new(), |a| format!("  val_acc {a:.4}"));
    format!(
        "loss {:.5}{acc}{val}{val_acc}  lr {:.3e}",
        r.loss, r.learning_rate
    )
}

/// Writes the per-epoch records as CSV:
/// `epoch,iterations,loss,accuracy,learning_rate,grad_norm`, and
/// `val_loss,val_accuracy` when the run had validation rows. Written
/// through a temporary file and a rename.
///
/// # Errors
/// If the file can't be written.
pub fn write_metrics(path: &Path, epochs: &[EpochRecord]) -> Result<()> {
    let validated = epochs.iter().any(|e| e.val_loss.is_some());
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header = vec![
        "epoch",
        "iterations",
        "loss",
        "accuracy",
        "learning_rate",
        "grad_norm",
    ];
    if validated {
        header.extend(["val_loss", "val_accuracy"]);
    }
    w.write_record(&header)?;
    let text = |v: Option<f32>| v.map_or(String::new(), |a| a.to_string());
    for e in epochs {
        let mut record = vec![
            e.epoch.to_string(),
            e.iterations.to_string(),
            e.loss.to_string(),
            text(e.accuracy),
            e.learning_rate.to_string(),
            e.grad_norm.to_string(),
        ];
        if validated {
            record.extend([text(e.val_loss), text(e.val_accuracy)]);
        }
        w.write_record(&record)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    write_atomic(path, &bytes).with_context(|| format!("cannot write {}", path.display()))
}
