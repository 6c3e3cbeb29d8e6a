//! Per-epoch records of a training run: as a line, and as the CSV file
//! `train --metrics` writes.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::data::files::AtomicFile;
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

/// The per-epoch CSV file `train --metrics` writes, one row per epoch
/// as the run goes (memory does not grow with the epochs), into a
/// temporary file that [`MetricsFile::commit`] renames over the
/// destination ([`AtomicFile`]): columns
/// `epoch,iterations,loss,accuracy,learning_rate,grad_norm`, and
/// `val_loss,val_accuracy` when the run has validation rows.
///
/// ```
/// use microprop_sim::report::metrics::{EpochRecord, MetricsFile};
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("m.csv");
/// let mut file = MetricsFile::create(&path, false)?;
/// let record = EpochRecord {
///     epoch: 1, iterations: 4, loss: 0.5, accuracy: Some(0.75), learning_rate: 0.01,
///     grad_norm: 1.0, val_loss: None, val_accuracy: None,
/// };
/// file.write(&record)?;
/// file.commit()?;
/// let text = std::fs::read_to_string(&path)?;
/// assert_eq!(text.lines().nth(1), Some("1,4,0.5,0.75,0.01,1"));
/// # Ok::<(), anyhow::Error>(())
/// ```
pub struct MetricsFile {
    path: PathBuf,
    validated: bool,
    writer: csv::Writer<File>,
    file: AtomicFile,
}

impl MetricsFile {
    /// Starts the file at `path` (with the validation columns if
    /// `validated`) and writes its header.
    ///
    /// # Errors
    /// If the path is refused or can't be written.
    pub fn create(path: &Path, validated: bool) -> Result<Self> {
        let mut file = AtomicFile::create(path)?;
        let handle = file
            .file()
            .try_clone()
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut writer = csv::Writer::from_writer(handle);
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
        writer
            .write_record(&header)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(MetricsFile {
            path: path.to_path_buf(),
            validated,
            writer,
            file,
        })
    }

    /// Appends one epoch.
    ///
    /// # Errors
    /// If the file can't be written.
    pub fn write(&mut self, e: &EpochRecord) -> Result<()> {
        let text = |v: Option<f32>| v.map_or(String::new(), |a| a.to_string());
        let mut record = vec![
            e.epoch.to_string(),
            e.iterations.to_string(),
            e.loss.to_string(),
            text(e.accuracy),
            e.learning_rate.to_string(),
            e.grad_norm.to_string(),
        ];
        if self.validated {
            record.extend([text(e.val_loss), text(e.val_accuracy)]);
        }
        self.writer
            .write_record(&record)
            .with_context(|| format!("cannot write {}", self.path.display()))
    }

    /// Flushes the rows and puts the file in place.
    ///
    /// # Errors
    /// If the file can't be written.
    pub fn commit(mut self) -> Result<()> {
        self.writer
            .flush()
            .with_context(|| format!("cannot write {}", self.path.display()))?;
        drop(self.writer);
        self.file.commit()
    }
}
