//! Rows of numbers read from a file, before they meet a model, and the
//! shape check that turns them into the typed rows a model takes
//! ([`Table::typed`]); errors name the file and the row.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};

use super::labeled::LabeledSet;

/// Where a table's rows came from, to name a row in error messages.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Origin {
    /// CSV: the 1-based line of each row and the label's 1-based column.
    Csv {
        lines: Vec<u64>,
        label_column: usize,
    },
    /// IDX: the labels file, the offset of its first label and the bytes
    /// per label.
    Idx {
        labels: PathBuf,
        data_offset: usize,
        item_bytes: usize,
    },
    /// Computed, not read from a file.
    Generated,
}

/// Rows of numbers read from a file, before they meet a model: `width`
/// features and one target value per row. [`Table::typed`] checks the shape
/// against a model's and produces a [`LabeledSet`].
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Where the rows came from (a path, or a description), for messages.
    pub source: String,
    /// How one row's features were laid out, for messages (e.g. the CSV
    /// header names, or "28x28 pixels").
    pub layout: String,
    /// Features per row.
    pub width: usize,
    /// All features, row after row (`rows * width` values).
    pub features: Vec<f32>,
    /// The target value of each row (a class index as a float for
    /// classification data).
    pub labels: Vec<f64>,
    pub(super) origin: Origin,
}

impl Table {
    /// A table of computed rows (e.g. the sine data set).
    pub fn generated(source: &str, layout: &str, rows: &[(Vec<f32>, f64)]) -> Result<Table> {
        let width = rows.first().map_or(0, |(x, _)| x.len());
        if rows.iter().any(|(x, _)| x.len() != width) {
            bail!("{source}: generated rows differ in width");
        }
        Ok(Table {
            source: source.to_string(),
            layout: layout.to_string(),
            width,
            features: rows.iter().flat_map(|(x, _)| x.iter().copied()).collect(),
            labels: rows.iter().map(|&(_, y)| y).collect(),
            origin: Origin::Generated,
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// `true` if there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Names row `row` in a message: `file:line` for CSV, `file: image n`
    /// for IDX.
    pub fn locate_row(&self, row: usize) -> String {
        match &self.origin {
            Origin::Csv { lines, .. } => {
                format!("{}:{}", self.source, lines.get(row).copied().unwrap_or(0))
            }
            Origin::Idx { .. } => format!("{}: image {row}", self.source),
            Origin::Generated => format!("{}: row {row}", self.source),
        }
    }

    /// Names row `row`'s target in a message: `file:line: column c` for CSV,
    /// `file: byte offset n` for IDX.
    pub fn locate_label(&self, row: usize) -> String {
        match &self.origin {
            Origin::Csv {
                lines,
                label_column,
            } => format!(
                "{}:{}: column {label_column}",
                self.source,
                lines.get(row).copied().unwrap_or(0)
            ),
            Origin::Idx {
                labels,
                data_offset,
                item_bytes,
            } => format!(
                "{}: byte offset {} (label {row})",
                labels.display(),
                data_offset + row * item_bytes
            ),
            Origin::Generated => format!("{}: row {row}", self.source),
        }
    }

    /// The rows as a model with `D` inputs takes them, each target converted
    /// by `target` (which says why a value is refused). `model` names the
    /// model in the shape-mismatch message, e.g. `"iris (4-16-3)"`.
    ///
    /// # Errors
    /// If the rows do not have `D` features (the message names both shapes)
    /// or a target is refused (the message names file and line or offset).
    pub fn typed<const D: usize, T>(
        &self,
        model: &str,
        target: impl Fn(f64) -> Result<T, String>,
    ) -> Result<LabeledSet<D, T>> {
        if self.width != D {
            bail!(
                "shape mismatch: {} has {} features per row ({}), but model {model} takes {D} inputs",
                self.source,
                self.width,
                self.layout
            );
        }
        let mut set = LabeledSet {
            features: Vec::with_capacity(self.len()),
            labels: Vec::with_capacity(self.len()),
        };
        for (row, (x, &y)) in self.features.chunks_exact(D).zip(&self.labels).enumerate() {
            let mut features = [0.0f32; D];
            features.copy_from_slice(x);
            let y = target(y).map_err(|why| anyhow!("{}: {why}", self.locate_label(row)))?;
            set.features.push(features);
            set.labels.push(y);
        }
        Ok(set)
    }
}

impl Table {
    /// The table of an IDX images file and its labels file (what the IDX
    /// loader returns).
    pub(super) fn from_idx(
        images: &Path,
        image_dims: &[usize],
        features: Vec<f32>,
        labels_path: &Path,
        labels: Vec<f64>,
        data_offset: usize,
        item_bytes: usize,
    ) -> Table {
        let shape: Vec<String> = image_dims.iter().map(usize::to_string).collect();
        Table {
            source: images.display().to_string(),
            layout: format!("{} values", shape.join("x")),
            width: image_dims.iter().product(),
            features,
            labels,
            origin: Origin::Idx {
                labels: labels_path.to_path_buf(),
                data_offset,
                item_bytes,
            },
        }
    }
}

/// A value shown in a message: integers without a fraction.
pub(crate) struct Num(pub f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.fract() == 0.0 && self.0.abs() < 1e15 {
            write!(f, "{}", self.0 as i64)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// Converts a target value to a class index below `classes`.
///
/// # Errors
/// Says why when `value` is not a whole number in `0..classes`.
pub fn class_label(value: f64, classes: usize) -> Result<usize, String> {
    if value.fract() != 0.0 || value < 0.0 || !value.is_finite() {
        return Err(format!(
            "label {} is not a class index (a whole number 0..={})",
            Num(value),
            classes.saturating_sub(1)
        ));
    }
    if value >= classes as f64 {
        return Err(format!(
            "label {} is out of range: the model has {classes} classes (0..={})",
            Num(value),
            classes.saturating_sub(1)
        ));
    }
    Ok(value as usize)
}
