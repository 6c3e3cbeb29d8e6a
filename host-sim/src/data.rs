//! Labelled data sets: CSV and IDX loading into an untyped [`Table`], the
//! shape check that turns a table into the typed rows a model takes
//! ([`Table::typed`]), shuffling, splitting, scaling.
//!
//! Every malformation of a file is an error that names the file and the
//! line and column (CSV) or byte offset (IDX); nothing panics.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use microprop::init::{SeededRng, seeded};
use microprop::rand_core::Rng;

/// Rows of `D` features, each with a target: a class label (`T = usize`,
/// the default) or a row of regression values.
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledSet<const D: usize, T = usize> {
    /// Feature rows.
    pub features: Vec<[f32; D]>,
    /// Target of each row (class labels for classifiers).
    pub labels: Vec<T>,
}

impl<const D: usize, T> LabeledSet<D, T> {
    /// An empty set.
    pub fn new() -> Self {
        LabeledSet {
            features: Vec::new(),
            labels: Vec::new(),
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// `true` if there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Shuffles the rows in place (Fisher–Yates, deterministic from `seed`).
    pub fn shuffle(&mut self, seed: u64) {
        let mut rng = seeded(seed);
        for i in (1..self.len()).rev() {
            let j = uniform_below(&mut rng, i + 1);
            self.features.swap(i, j);
            self.labels.swap(i, j);
        }
    }

    /// Shuffles with `seed`, then splits off the last `test_fraction` of the
    /// rows: `(train, test)`.
    pub fn split(mut self, test_fraction: f32, seed: u64) -> (Self, Self) {
        self.shuffle(seed);
        let test_rows = (self.len() as f32 * test_fraction).round() as usize;
        let cut = self.len() - test_rows.min(self.len());
        let test = LabeledSet {
            features: self.features.split_off(cut),
            labels: self.labels.split_off(cut),
        };
        (self, test)
    }

    /// The first `n` rows (all if there are fewer).
    pub fn truncate(mut self, n: usize) -> Self {
        self.features.truncate(n);
        self.labels.truncate(n);
        self
    }
}

impl<const D: usize, T> Default for LabeledSet<D, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const D: usize> LabeledSet<D> {
    /// Number of classes (largest label + 1).
    pub fn classes(&self) -> usize {
        self.labels.iter().max().map_or(0, |m| m + 1)
    }
}

/// Uniform integer in `0..n` (n > 0), by rejection so there is no modulo bias.
fn uniform_below(rng: &mut SeededRng, n: usize) -> usize {
    let n = n as u64;
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let v = rng.next_u64();
        if v < zone {
            return (v % n) as usize;
        }
    }
}

/// Which CSV column holds the target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LabelColumn {
    /// The last column.
    #[default]
    Last,
    /// The column with this header name.
    Named(String),
    /// No label: every column is a feature (rows to predict). The table's
    /// labels are NaN.
    None,
}

/// Where a table's rows came from, to name a row in error messages.
#[derive(Debug, Clone, PartialEq)]
enum Origin {
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
    origin: Origin,
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

/// Loads a CSV file with one header row: the column `label` holds the target
/// and every other column is a feature.
///
/// # Errors
/// If the file can't be read or is empty, has a header but no rows, the
/// label column is not in the header, a row has another number of fields
/// than the header, or a field is not a finite number. The message names the
/// file and the line and column.
pub fn load_csv(path: &Path, label: &LabelColumn) -> Result<Table> {
    let source = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| anyhow!("cannot open {source}: {}", csv_reason(&e)))?;
    let mut records = reader.records();
    let header = match records.next() {
        None => bail!("{source}: the file is empty (expected a header row, then data rows)"),
        Some(record) => record.map_err(|e| anyhow!("{source}: {}", csv_reason(&e)))?,
    };
    let names: Vec<String> = header.iter().map(str::to_string).collect();
    let columns = names.len();
    let label_index = match label {
        LabelColumn::Last => columns - 1,
        LabelColumn::Named(name) => names.iter().position(|n| n == name).ok_or_else(|| {
            anyhow!(
                "{source}:1: no column named {name:?} (the header has: {})",
                names.join(", ")
            )
        })?,
        // Past the last column: no field is the label.
        LabelColumn::None => columns,
    };
    let has_label = label_index < columns;
    if columns < 1 + usize::from(has_label) {
        bail!(
            "{source}:1: the header has {columns} column ({}); need at least one feature and the label",
            names.join(", ")
        );
    }
    let label_name = names.get(label_index).cloned().unwrap_or_default();
    let feature_names: Vec<&str> = names
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != label_index)
        .map(|(_, n)| n.as_str())
        .collect();
    let label_part = if has_label {
        format!(" + label {label_name:?}")
    } else {
        String::new()
    };
    let layout = if feature_names.len() <= 8 {
        format!("columns {}{label_part}", feature_names.join(", "))
    } else {
        format!(
            "columns {}, ..., {}{label_part}",
            feature_names[..3].join(", "),
            feature_names[feature_names.len() - 1]
        )
    };

    let width = feature_names.len();
    let mut features = Vec::new();
    let mut labels = Vec::new();
    let mut lines = Vec::new();
    for record in records {
        let record = record.map_err(|e| anyhow!("{source}: {}", csv_reason(&e)))?;
        let line = record.position().map_or(0, csv::Position::line);
        if record.len() != columns {
            bail!(
                "{source}:{line}: {} field{}, but the header has {columns} columns",
                record.len(),
                if record.len() == 1 { "" } else { "s" }
            );
        }
        for (i, field) in record.iter().enumerate() {
            let name = names.get(i).map_or("", String::as_str);
            let value = parse_number(field)
                .map_err(|why| anyhow!("{source}:{line}: column {} ({name:?}): {why}", i + 1))?;
            if i == label_index {
                labels.push(value);
            } else {
                features.push(value as f32);
            }
        }
        if !has_label {
            labels.push(f64::NAN);
        }
        lines.push(line);
    }
    if labels.is_empty() {
        bail!("{source}: a header but no data rows");
    }
    Ok(Table {
        source,
        layout,
        width,
        features,
        labels,
        origin: Origin::Csv {
            lines,
            label_column: label_index + 1,
        },
    })
}

/// A finite number (as `f32` features will hold it), or why not.
fn parse_number(field: &str) -> Result<f64, String> {
    if field.is_empty() {
        return Err("empty field, expected a number".into());
    }
    let value: f64 = field
        .parse()
        .map_err(|_| format!("{field:?} is not a number"))?;
    if !value.is_finite() || !(value as f32).is_finite() {
        return Err(format!("{field:?} is not a finite number"));
    }
    Ok(value)
}

/// The csv crate's error in words, with the line where it has one.
fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => io.to_string(),
        csv::ErrorKind::Utf8 { pos, err } => format!(
            "line {}: field {}: invalid UTF-8",
            pos.as_ref().map_or(0, csv::Position::line),
            err.field() + 1
        ),
        _ => e.to_string(),
    }
}

/// Loads a CSV file with one header row, `D` feature columns and the class
/// label in the last column.
///
/// # Errors
/// As [`load_csv`], and if a row does not have `D` features or a label is
/// not a non-negative integer; the message names the file, line and column.
pub fn load_labeled_csv<const D: usize>(path: &Path) -> Result<LabeledSet<D>> {
    let table = load_csv(path, &LabelColumn::Last)?;
    table
        .typed::<D, usize>(&format!("with {D} inputs"), |v| class_label(v, usize::MAX))
        .with_context(|| format!("loading {}", path.display()))
}

/// The table of an IDX images file and its labels file (what `idx::load_idx_pair` returns).
impl Table {
    pub(crate) fn from_idx(
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

/// Per-feature min-max scaling to [0, 1], fitted on one set and applied to
/// others. A constant feature maps to 0 (no division by zero).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MinMaxScaler<const D: usize> {
    /// Minimum of each feature.
    pub min: [f32; D],
    /// Maximum of each feature.
    pub max: [f32; D],
}

impl<const D: usize> MinMaxScaler<D> {
    /// The feature ranges of `rows`.
    pub fn fit(rows: &[[f32; D]]) -> Self {
        let mut min = [f32::INFINITY; D];
        let mut max = [f32::NEG_INFINITY; D];
        for row in rows {
            for ((lo, hi), &v) in min.iter_mut().zip(max.iter_mut()).zip(row) {
                *lo = lo.min(v);
                *hi = hi.max(v);
            }
        }
        MinMaxScaler { min, max }
    }

    /// Scales `rows` in place.
    pub fn apply(&self, rows: &mut [[f32; D]]) {
        for row in rows {
            for ((v, lo), hi) in row.iter_mut().zip(&self.min).zip(&self.max) {
                let range = hi - lo;
                *v = if range > 0.0 { (*v - lo) / range } else { 0.0 };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn error_of(result: Result<impl fmt::Debug>) -> String {
        format!("{:#}", result.unwrap_err())
    }

    #[test]
    fn loads_and_rejects_with_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let ok = write(&dir, "ok.csv", "a,b,label\n1,2,0\n3,4,1\n");
        let set = load_labeled_csv::<2>(&ok).unwrap();
        assert_eq!(set.features, vec![[1.0, 2.0], [3.0, 4.0]]);
        assert_eq!(set.labels, vec![0, 1]);

        let ragged = write(&dir, "ragged.csv", "a,b,label\n1,2,0\n3,1\n");
        let err = error_of(load_labeled_csv::<2>(&ragged));
        assert!(err.contains("ragged.csv:3: 2 fields"), "{err}");

        let nan = write(&dir, "nan.csv", "a,b,label\n1,x,0\n");
        let err = error_of(load_labeled_csv::<2>(&nan));
        assert!(err.contains("nan.csv:2: column 2 (\"b\")"), "{err}");

        let shape = error_of(load_labeled_csv::<3>(&ok));
        assert!(
            shape.contains("2 features per row") && shape.contains("3 inputs"),
            "{shape}"
        );
    }

    #[test]
    fn label_column_by_name_or_last() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "named.csv", "y,a,b\n1,10,20\n0,30,40\n");
        let table = load_csv(&path, &LabelColumn::Named("y".into())).unwrap();
        assert_eq!(table.width, 2);
        assert_eq!(table.features, vec![10.0, 20.0, 30.0, 40.0]);
        assert_eq!(table.labels, vec![1.0, 0.0]);
        let last = load_csv(&path, &LabelColumn::Last).unwrap();
        assert_eq!(last.features, vec![1.0, 10.0, 0.0, 30.0]);
        assert_eq!(last.labels, vec![20.0, 40.0]);
        let err = error_of(load_csv(&path, &LabelColumn::Named("z".into())));
        assert!(
            err.contains("named.csv:1: no column named \"z\"") && err.contains("y, a, b"),
            "{err}"
        );
    }

    #[test]
    fn every_csv_malformation_names_file_and_place() {
        let dir = tempfile::tempdir().unwrap();
        let cases: [(&str, &str, &str); 8] = [
            ("empty.csv", "", "empty.csv: the file is empty"),
            (
                "header.csv",
                "a,b,y\n",
                "header.csv: a header but no data rows",
            ),
            (
                "short.csv",
                "a,b,y\n1,2,0\n1,2\n",
                "short.csv:3: 2 fields, but the header has 3",
            ),
            (
                "long.csv",
                "a,b,y\n1,2,3,4\n",
                "long.csv:2: 4 fields, but the header has 3",
            ),
            (
                "word.csv",
                "a,b,y\n1,2,0\n4,five,1\n",
                "word.csv:3: column 2 (\"b\"): \"five\" is not a number",
            ),
            (
                "inf.csv",
                "a,b,y\n1,inf,0\n",
                "inf.csv:2: column 2 (\"b\"): \"inf\" is not a finite number",
            ),
            (
                "blank.csv",
                "a,b,y\n1,,0\n",
                "blank.csv:2: column 2 (\"b\"): empty field",
            ),
            ("one.csv", "y\n1\n", "one.csv:1: the header has 1 column"),
        ];
        for (name, text, expected) in cases {
            let path = write(&dir, name, text);
            let err = error_of(load_csv(&path, &LabelColumn::Last));
            assert!(err.contains(expected), "{name}: {err}");
            assert!(err.contains(&dir.path().display().to_string()), "{err}");
        }
        let missing = dir.path().join("missing.csv");
        let err = error_of(load_csv(&missing, &LabelColumn::Last));
        assert!(
            err.contains("cannot open") && err.contains("missing.csv"),
            "{err}"
        );
        let bytes = dir.path().join("bytes.csv");
        std::fs::write(&bytes, b"a,y\n1,0\n\xff\xfe,1\n").unwrap();
        let err = error_of(load_csv(&bytes, &LabelColumn::Last));
        assert!(
            err.contains("bytes.csv: line 3") && err.contains("UTF-8"),
            "{err}"
        );
    }

    #[test]
    fn labels_are_checked_against_the_model_with_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "labels.csv", "a,y\n1,0\n2,2\n3,1.5\n");
        let table = load_csv(&path, &LabelColumn::Last).unwrap();
        let err = error_of(table.typed::<1, usize>("m", |v| class_label(v, 2)));
        assert!(
            err.contains(
                "labels.csv:3: column 2: label 2 is out of range: the model has 2 classes"
            ),
            "{err}"
        );
        let err = error_of(table.typed::<1, usize>("m", |v| class_label(v, 3)));
        assert!(
            err.contains("labels.csv:4: column 2: label 1.5 is not a class index"),
            "{err}"
        );
    }

    #[test]
    fn split_is_deterministic_and_disjoint() {
        let set = LabeledSet::<1> {
            features: (0..10).map(|i| [i as f32]).collect(),
            labels: (0..10).collect(),
        };
        let (a, b) = set.clone().split(0.3, 5);
        let (c, _) = set.split(0.3, 5);
        assert_eq!(a, c);
        assert_eq!((a.len(), b.len()), (7, 3));
        let mut all: Vec<_> = a.labels.iter().chain(&b.labels).copied().collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn min_max_handles_constant_features() {
        let mut rows = vec![[1.0, 5.0], [3.0, 5.0]];
        let s = MinMaxScaler::fit(&rows);
        s.apply(&mut rows);
        assert_eq!(rows, vec![[0.0, 0.0], [1.0, 0.0]]);
    }
}
