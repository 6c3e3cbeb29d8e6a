//! A CSV file streamed in by column name: the header, the feature columns
//! a plan picks (in the plan's order, whatever the file's) as one compact
//! f32 array, the label column, and the SHA-256 of the file's bytes (to
//! know a file again). The file is never held in memory whole: besides the
//! features, a row costs its label's 4-byte id (or one number) and nothing
//! else.

use std::fs::File;
use std::path::Path;

use anyhow::{Result, anyhow, bail};

use super::csv_file::{csv_reason, parse_number};
use super::label_store::{LabelStore, LabelStoreBuilder};
use super::line_index::LineIndex;
use super::lines::LineCounter;
use super::tracked_read::TrackedRead;

/// Which columns of a header are read, chosen by [`load_columns`]'s caller
/// from the header's names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnPlan {
    /// The feature columns (0-based indices into the header), in the order
    /// the model takes them.
    pub features: Vec<usize>,
    /// The label column, if read.
    pub label: Option<usize>,
}

/// Rows of a CSV file read by a [`ColumnPlan`].
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnTable {
    /// The file, for messages.
    pub source: String,
    /// Every column name of the header, in file order.
    pub header: Vec<String>,
    /// The feature names, in the plan's order.
    pub names: Vec<String>,
    /// Every row's features in the plan's order, row after row.
    pub features: Vec<f32>,
    /// The label column's name and every row's label (trimmed).
    pub label: Option<(String, LabelStore)>,
    /// The 1-based line of each row.
    pub lines: LineIndex,
    /// SHA-256 of the file's bytes, lowercase hex.
    pub sha256: String,
}

impl ColumnTable {
    /// Features per row.
    pub fn width(&self) -> usize {
        self.names.len()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// `true` without rows (never, after [`load_columns`]).
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Row `row`'s features.
    pub fn row(&self, row: usize) -> &[f32] {
        let w = self.width();
        self.features.get(row * w..(row + 1) * w).unwrap_or(&[])
    }

    /// Names row `row` in a message: `file:line`.
    pub fn locate(&self, row: usize) -> String {
        format!("{}:{}", self.source, self.lines.line(row))
    }
}

/// Reads a CSV file with one header row: `plan` picks the columns from the
/// header's names (or says why it cannot), then every row is read, the
/// feature fields as numbers, the label field as text.
///
/// # Errors
/// If the file can't be read or is empty, has a header but no rows,
/// `plan` refuses the header, a row has another number of fields than the
/// header, a feature field is not a finite number, or a label is empty.
/// The message names the file, the line and the column.
pub fn load_columns(
    path: &Path,
    plan: impl FnOnce(&[String]) -> Result<ColumnPlan>,
) -> Result<ColumnTable> {
    load_columns_with_progress(path, plan, &mut |_| {})
}

/// [`load_columns`], calling `on_read` with the bytes read so far as the
/// file streams in (for a progress bar; the file's size is its total).
///
/// # Errors
/// As [`load_columns`].
pub fn load_columns_with_progress(
    path: &Path,
    plan: impl FnOnce(&[String]) -> Result<ColumnPlan>,
    on_read: &mut dyn FnMut(u64),
) -> Result<ColumnTable> {
    let source = path.display().to_string();
    let file = File::open(path).map_err(|e| anyhow!("cannot open {source}: {e}"))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .buffer_capacity(1 << 16)
        .from_reader(LineCounter::new(TrackedRead::new(file, on_read)));
    let mut record = csv::StringRecord::new();
    let read = |reader: &mut csv::Reader<_>, record: &mut csv::StringRecord| {
        reader
            .read_record(record)
            .map_err(|e| anyhow!("{source}: {}", csv_reason(&e)))
    };
    if !read(&mut reader, &mut record)? {
        bail!("{source}: the file is empty (expected a header row, then data rows)");
    }
    let header: Vec<String> = record.iter().map(|f| f.trim().to_string()).collect();
    let plan = plan(&header).map_err(|e| anyhow!("{source}:1: {e:#}"))?;
    let names: Vec<String> = plan
        .features
        .iter()
        .map(|&i| header.get(i).cloned().unwrap_or_default())
        .collect();
    let columns = header.len();
    let mut features = Vec::new();
    let mut labels = LabelStoreBuilder::default();
    let mut lines = LineIndex::default();
    while read(&mut reader, &mut record)? {
        let line = record
            .position()
            .map_or(0, |p| reader.get_ref().line_at(p.byte()));
        if record.len() != columns {
            bail!(
                "{source}:{line}: {} field{}, but the header has {columns} columns",
                record.len(),
                if record.len() == 1 { "" } else { "s" }
            );
        }
        for &i in &plan.features {
            let field = record.get(i).unwrap_or("").trim();
            let value = parse_number(field).map_err(|why| {
                anyhow!(
                    "{source}:{line}: column {} ({:?}): {why}",
                    i + 1,
                    header.get(i).map_or("", String::as_str)
                )
            })?;
            features.push(value as f32);
        }
        if let Some(i) = plan.label {
            let field = record.get(i).unwrap_or("").trim();
            let column = || {
                format!(
                    "column {} ({:?})",
                    i + 1,
                    header.get(i).map_or("", String::as_str)
                )
            };
            if field.is_empty() {
                bail!("{source}:{line}: {}: empty label", column());
            }
            labels
                .push(field)
                .map_err(|e| anyhow!("{source}:{line}: {}: {e:#}", column()))?;
        }
        lines.push(line);
    }
    let sha256 = reader.get_ref().get_ref().sha256_hex();
    drop(reader);
    if lines.is_empty() {
        bail!("{source}: a header but no data rows");
    }
    features.shrink_to_fit();
    let label = plan
        .label
        .map(|i| (header.get(i).cloned().unwrap_or_default(), labels.finish()));
    Ok(ColumnTable {
        source,
        header,
        names,
        features,
        label,
        lines,
        sha256,
    })
}

/// The plan for training: the column `label` (or the last) is the label,
/// every other column a feature in file order.
///
/// # Errors
/// If no column is called `label`, or the header has fewer than two
/// columns.
pub fn training_plan(header: &[String], label: Option<&str>) -> Result<ColumnPlan> {
    let label = match label {
        Some(name) => header.iter().position(|n| n == name).ok_or_else(|| {
            anyhow!(
                "no column named {name:?} (the header has: {})",
                header.join(", ")
            )
        })?,
        None => header.len().saturating_sub(1),
    };
    if header.len() < 2 {
        bail!(
            "the header has {} column ({}); need at least one feature and the label",
            header.len(),
            header.join(", ")
        );
    }
    if let Some(name) = duplicate(header) {
        bail!("the header names column {name:?} twice");
    }
    Ok(ColumnPlan {
        features: (0..header.len()).filter(|&i| i != label).collect(),
        label: Some(label),
    })
}

/// The plan for a model's features by name, in the model's order: every
/// feature must be in the header; `label` is read if present (required
/// with `need_label`); any other column is refused.
///
/// # Errors
/// Names the missing columns, the extra ones, and the columns the model
/// takes.
pub fn model_plan(
    header: &[String],
    features: &[String],
    label: &str,
    need_label: bool,
) -> Result<ColumnPlan> {
    if let Some(name) = duplicate(header) {
        bail!("the header names column {name:?} twice");
    }
    let missing: Vec<&str> = features
        .iter()
        .filter(|f| !header.contains(f))
        .map(String::as_str)
        .collect();
    let label_index = header.iter().position(|n| n == label);
    let extra: Vec<&str> = header
        .iter()
        .filter(|h| !features.contains(h) && h.as_str() != label)
        .map(String::as_str)
        .collect();
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("missing column(s) {}", quoted(&missing)));
    }
    if need_label && label_index.is_none() {
        problems.push(format!("missing the label column {label:?}"));
    }
    if !extra.is_empty() {
        problems.push(format!("extra column(s) {}", quoted(&extra)));
    }
    if !problems.is_empty() {
        bail!(
            "{}: the model takes the columns {} (any order) and the label {label:?}",
            problems.join(" and "),
            quoted(&features.iter().map(String::as_str).collect::<Vec<_>>())
        );
    }
    Ok(ColumnPlan {
        features: features
            .iter()
            .filter_map(|f| header.iter().position(|h| h == f))
            .collect(),
        label: label_index,
    })
}

/// `"a", "b"`.
fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A name the header holds twice.
fn duplicate(header: &[String]) -> Option<&str> {
    header
        .iter()
        .enumerate()
        .find(|(i, n)| header[..*i].contains(n))
        .map(|(_, n)| n.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn sha256_hex(bytes: &[u8]) -> String {
        Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn reads_by_name_in_the_models_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "a.csv", "b,y,a\r\n2,cat,1\r\n\r\n4,dog,3\r\n");
        let features = ["a".to_string(), "b".to_string()];
        let t = load_columns(&path, |h| model_plan(h, &features, "y", true)).unwrap();
        assert_eq!(t.names, features);
        assert_eq!(t.features, vec![1.0, 2.0, 3.0, 4.0]);
        assert_eq!(
            t.label,
            Some(("y".into(), LabelStore::from_texts(&["cat", "dog"]).unwrap()))
        );
        assert_eq!(t.sha256, sha256_hex(b"b,y,a\r\n2,cat,1\r\n\r\n4,dog,3\r\n"));
        assert_eq!((t.lines.line(0), t.lines.line(1)), (2, 4));
        assert_eq!(t.locate(1), format!("{}:4", path.display()));
        let train = load_columns(&path, |h| training_plan(h, Some("y"))).unwrap();
        assert_eq!(train.names, ["b", "a"]);
    }

    #[test]
    fn missing_and_extra_columns_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "b.csv", "a,z,y\n1,2,0\n");
        let features = ["a".to_string(), "b".to_string()];
        let err = format!(
            "{:#}",
            load_columns(&path, |h| model_plan(h, &features, "y", true)).unwrap_err()
        );
        assert!(
            err.contains("b.csv:1: missing column(s) \"b\" and extra column(s) \"z\""),
            "{err}"
        );
        assert!(
            err.contains("the model takes the columns \"a\", \"b\""),
            "{err}"
        );
        let err = format!(
            "{:#}",
            load_columns(&path, |h| training_plan(h, Some("q"))).unwrap_err()
        );
        assert!(err.contains("no column named \"q\""), "{err}");
    }
}
