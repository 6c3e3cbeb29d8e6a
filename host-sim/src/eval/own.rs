//! `eval` of a model of any shape (`train --layers`): its CSV read by
//! column name, and on the training file exactly the rows the recorded
//! split held out (found again from the seed and fractions, checked by
//! the file's SHA-256 and the held-out rows' digest); on another file,
//! every row.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use serde_json::{Value, json};

use super::args::EvalOptions;
use crate::data::split::rows_digest;
use crate::data::{ColumnTable, columns, load_columns, split_rows};
use crate::models::own::{OwnModel, OwnTask, RowTargets, read_model};
use crate::report::{Score, format_named_confusion, score};

/// Which rows `eval` scored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The training file: its recorded split.
    Split,
    /// Another file (its SHA-256 differs): every row.
    AllRows,
}

/// What `eval` measured on a model of any shape.
#[derive(Debug, Clone)]
pub struct OwnEval {
    /// The model file.
    pub checkpoint: PathBuf,
    /// The model.
    pub model: OwnModel,
    /// The CSV file scored.
    pub csv: PathBuf,
    /// Which rows.
    pub scope: Scope,
    /// The training rows (the training file) or every row (another file).
    pub train: Score,
    /// The validation rows (the training file, if the split had them).
    pub validation: Option<Score>,
    /// The held-out test rows (the training file, if the split had them).
    pub test: Option<Score>,
}

/// A row's target as the model's task reads the label column.
///
/// # Errors
/// A label that is not one of the classes, or not a number for regression.
pub fn row_targets(model: &OwnModel, table: &ColumnTable) -> Result<RowTargets> {
    let (name, labels) = table
        .label
        .as_ref()
        .ok_or_else(|| anyhow!("{}: no label column {:?}", table.source, model.label))?;
    let locate = |row: usize| format!("{}: column {name:?}", table.locate(row));
    Ok(match &model.task {
        OwnTask::Classify { classes } => RowTargets::Labels(labels.class_indices(classes, locate)?),
        OwnTask::Regress { .. } => RowTargets::Values(labels.target_values(locate)?),
    })
}

/// Measures the model file `checkpoint` as `options` say.
///
/// # Errors
/// Options that belong to built-in models, a model file that can't be
/// read, a CSV whose columns are not the model's, a split that can't be
/// found again, or a refused row.
pub fn eval_own(checkpoint: &Path, options: &EvalOptions) -> Result<OwnEval> {
    for (given, flag) in [
        (options.model.is_some(), "--model"),
        (options.split.seed.is_some(), "--seed"),
        (options.split.test_fraction.is_some(), "--test-fraction"),
        (options.split.data.idx.is_some(), "--idx"),
    ] {
        if given {
            bail!(
                "{flag} is for built-in models: {} records its model and split (give --csv to score another file)",
                checkpoint.display()
            );
        }
    }
    let model = read_model(checkpoint)?;
    let csv = match &options.split.data.csv {
        Some(path) => path.clone(),
        None => PathBuf::from(&model.split.file),
    };
    if options.split.data.csv.is_none() && !csv.exists() {
        bail!(
            "{} was trained on {}, which is not there any more: give --csv FILE",
            checkpoint.display(),
            csv.display()
        );
    }
    let label = options
        .split
        .data
        .label
        .clone()
        .unwrap_or(model.label.clone());
    let table = load_columns(&csv, |h| {
        columns::model_plan(h, &model.features, &label, true)
    })?;
    let targets = row_targets(&model, &table)?;
    let features = &table.features;
    let s = &model.split;
    let same_file = table.sha256 == s.sha256 && table.len() == s.rows;
    if !same_file {
        let all: Vec<usize> = (0..table.len()).collect();
        let train = score(&model, features, &targets, &all)?;
        return Ok(OwnEval {
            checkpoint: checkpoint.to_path_buf(),
            csv,
            scope: Scope::AllRows,
            train,
            validation: None,
            test: None,
            model,
        });
    }
    let split = split_rows(s.rows, s.test_fraction, s.validation_fraction, s.seed);
    if split.test.len() != s.test_rows
        || split.validation.len() != s.validation_rows
        || rows_digest(&split.test) != s.test_digest
    {
        bail!(
            "{}: the split recorded in {} (seed {}, test fraction {}, validation {}) does not come out the same in this build: its held-out rows can't be found again",
            csv.display(),
            checkpoint.display(),
            s.seed,
            s.test_fraction,
            s.validation_fraction
        );
    }
    let part = |rows: &[usize]| -> Result<Option<Score>> {
        if rows.is_empty() {
            Ok(None)
        } else {
            score(&model, features, &targets, rows).map(Some)
        }
    };
    let train = part(&split.train)?.ok_or_else(|| anyhow!("no training rows"))?;
    let validation = part(&split.validation)?;
    let test = part(&split.test)?;
    Ok(OwnEval {
        checkpoint: checkpoint.to_path_buf(),
        csv,
        scope: Scope::Split,
        train,
        validation,
        test,
        model,
    })
}

impl OwnEval {
    /// The report `eval` prints.
    pub fn render(&self) -> String {
        let m = &self.model;
        let mut s = format!(
            "model {} ({}, {} features): {}\ndata {}\n",
            m.shape(),
            m.task.name(),
            m.features.len(),
            self.checkpoint.display(),
            self.csv.display()
        );
        let mut lines = Vec::new();
        match self.scope {
            Scope::Split => {
                lines.push(format!(
                    "the training file (SHA-256 matches): the rows train held out (seed {}, test fraction {}, validation {})",
                    m.split.seed, m.split.test_fraction, m.split.validation_fraction
                ));
                lines.push(self.train.line("train"));
                if let Some(v) = &self.validation {
                    lines.push(v.line("valid"));
                }
                if let Some(t) = &self.test {
                    lines.push(t.line("test "));
                }
            }
            Scope::AllRows => {
                lines.push("not the training file: every row".to_string());
                lines.push(self.train.line("all"));
            }
        }
        for l in lines {
            s.push_str(&l);
            s.push('\n');
        }
        let (which, scored) = match (&self.scope, &self.test) {
            (Scope::Split, Some(t)) => ("the held-out rows", t),
            (Scope::Split, None) => ("the training rows", &self.train),
            (Scope::AllRows, _) => ("every row", &self.train),
        };
        if let Some(c) = &scored.confusion {
            s.push_str(&format!("confusion matrix of {which}:\n"));
            s.push_str(&format_named_confusion(c, m.task.classes()));
        }
        s
    }

    /// The scores as the JSON object `eval --json` prints.
    pub fn to_json(&self) -> Value {
        let m = &self.model;
        let (train_key, train) = match self.scope {
            Scope::Split => ("train", &self.train),
            Scope::AllRows => ("all", &self.train),
        };
        let mut v = json!({
            "command": "eval",
            "checkpoint": self.checkpoint.display().to_string(),
            "csv": self.csv.display().to_string(),
            "shape": m.shape(),
            "task": m.task.name(),
            "classes": m.task.classes(),
            "scope": match self.scope { Scope::Split => "held-out rows of the recorded split", Scope::AllRows => "every row (not the training file)" },
            "validation": self.validation,
            "test": self.test,
        });
        v[train_key] = json!(train);
        v
    }
}
