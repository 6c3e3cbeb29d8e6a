//! The user's CSV made ready to train on: columns by name, the task and
//! its targets from the label column, the split, the scaling.

use std::path::Path;

use anyhow::{Result, anyhow, bail};

use crate::data::labels::{Detected, MAX_DETECTED_CLASSES};
use crate::data::split::Split;
use crate::data::{ColumnScaler, ColumnTable, columns, load_columns_with_progress, split_rows};
use crate::models::own::{OwnTask, RowTargets};
use crate::options::{NormalizeKind, TaskChoice};
use crate::report::LoadProgress;

/// What `prepare` is told.
#[derive(Debug, Clone, Copy)]
pub struct PrepareSettings<'a> {
    /// The CSV file.
    pub csv: &'a Path,
    /// Its label column (default: the last).
    pub label: Option<&'a str>,
    /// The task, if given.
    pub task: Option<TaskChoice>,
    /// Fraction held out for testing.
    pub test_fraction: f32,
    /// Fraction held out for validation.
    pub validation: f32,
    /// The shuffle's seed.
    pub seed: u64,
    /// Input scaling.
    pub normalize: NormalizeKind,
    /// Regression target scaling.
    pub normalize_target: NormalizeKind,
    /// Draw a bar on stderr while the file loads (if it is a terminal).
    pub progress: bool,
}

/// A CSV file ready to train on.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The file's feature columns (file order) and labels.
    pub table: ColumnTable,
    /// The task with its classes or target scaling.
    pub task: OwnTask,
    /// How the task was chosen, in words.
    pub detected: String,
    /// The targets training uses (regression: scaled).
    pub targets: RowTargets,
    /// The targets in the label's units, to score with.
    pub raw: RowTargets,
    /// Which rows train, validate and test.
    pub split: Split,
    /// Input scaling fitted on the training rows.
    pub input: Option<ColumnScaler>,
}

/// Loads and prepares the file.
///
/// # Errors
/// If the file can't be read or is malformed, the label column is missing,
/// the labels do not fit the task, or the split leaves no training rows.
pub fn prepare(s: &PrepareSettings<'_>) -> Result<Prepared> {
    let size = std::fs::metadata(s.csv).map_or(0, |m| m.len());
    let name = s.csv.file_name().map_or_else(
        || s.csv.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let bar = LoadProgress::new(s.progress, &name, size)?;
    let table =
        load_columns_with_progress(s.csv, |h| columns::training_plan(h, s.label), &mut |read| {
            bar.read(read)
        });
    bar.finish();
    let table = table?;
    let Some((label_name, labels)) = &table.label else {
        bail!("{}: no label column", table.source);
    };
    let locate = |row: usize| format!("{}: column {label_name:?}", table.locate(row));
    // The classes, for a classifier; why the task is what it is.
    let (classes, detected) = match (s.task, labels.detect()) {
        (Some(TaskChoice::Regress), _) => (None, "given".to_string()),
        (Some(TaskChoice::Classify), _) => (
            Some(
                labels
                    .class_names()
                    .map_err(|e| anyhow!("{}: column {label_name:?}: {e}", table.source))?,
            ),
            "given".to_string(),
        ),
        (None, Detected::Classes(classes)) => {
            let why = format!(
                "detected: {} distinct labels in column {label_name:?}; --task regress to override",
                classes.len()
            );
            (Some(classes), why)
        }
        (None, Detected::Values) => (
            None,
            format!(
                "detected: column {label_name:?} holds numbers that are not {MAX_DETECTED_CLASSES} or fewer repeating whole numbers; --task classify to override"
            ),
        ),
    };
    let split = split_rows(table.len(), s.test_fraction, s.validation, s.seed);
    if split.train.is_empty() {
        bail!(
            "{}: {} rows leave none to train on after holding out {} for testing and {} for validation",
            table.source,
            table.len(),
            split.test.len(),
            split.validation.len()
        );
    }
    let input = s
        .normalize
        .scaling()
        .map(|scaling| ColumnScaler::fit(scaling, &table.features, table.width(), &split.train));
    let (task, targets, raw) = match classes {
        Some(classes) => {
            if classes.len() < 2 {
                bail!(
                    "{}: column {label_name:?} holds one class ({}); a classifier needs two or more",
                    table.source,
                    classes.join(", ")
                );
            }
            let indices = labels.class_indices(&classes, locate)?;
            (
                OwnTask::Classify { classes },
                RowTargets::Labels(indices.clone()),
                RowTargets::Labels(indices),
            )
        }
        None => {
            let values = labels.target_values(locate)?;
            let target = s
                .normalize_target
                .scaling()
                .map(|scaling| ColumnScaler::fit(scaling, &values, 1, &split.train));
            let mut scaled = values.clone();
            if let Some(t) = &target {
                scaled
                    .iter_mut()
                    .for_each(|v| t.apply(std::slice::from_mut(v)));
            }
            (
                OwnTask::Regress { target },
                RowTargets::Values(scaled),
                RowTargets::Values(values),
            )
        }
    };
    Ok(Prepared {
        table,
        task,
        detected,
        targets,
        raw,
        split,
        input,
    })
}
