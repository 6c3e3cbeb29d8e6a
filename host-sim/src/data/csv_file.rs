//! CSV files with a header row into a [`Table`]: the label column by name
//! or the last; every malformation is an error naming the file, the line
//! and the column.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};

use super::labeled::LabeledSet;
use super::lines::LineCounter;
use super::table::{Origin, Table, class_label};

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
    let file = File::open(path).map_err(|e| anyhow!("cannot open {source}: {e}"))?;
    read_csv(&source, file, label)
}

/// Reads CSV text with one header row from `input` as [`load_csv`] reads a
/// file; `source` names it in the table and in messages (e.g. the bundled
/// data sets built into the binary, read from their bytes).
///
/// ```
/// use microprop_sim::data::{LabelColumn, read_csv};
/// let table = read_csv("inline", &b"x,y,label\n1,2,0\n3,4,1\n"[..], &LabelColumn::Last)?;
/// assert_eq!((table.len(), table.width), (2, 2));
/// # Ok::<(), anyhow::Error>(())
/// ```
///
/// # Errors
/// As [`load_csv`].
pub fn read_csv(source: &str, input: impl Read, label: &LabelColumn) -> Result<Table> {
    let source = source.to_string();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(LineCounter::new(input));
    let mut record = csv::StringRecord::new();
    let has_header = reader
        .read_record(&mut record)
        .map_err(|e| anyhow!("{source}: {}", csv_reason(&e)))?;
    if !has_header {
        bail!("{source}: the file is empty (expected a header row, then data rows)");
    }
    let names: Vec<String> = record.iter().map(str::to_string).collect();
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
    while reader
        .read_record(&mut record)
        .map_err(|e| anyhow!("{source}: {}", csv_reason(&e)))?
    {
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
pub(super) fn parse_number(field: &str) -> Result<f64, String> {
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
pub(super) fn csv_reason(e: &csv::Error) -> String {
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
    labeled_set(load_csv(path, &LabelColumn::Last)?)
}

/// The rows of `table` as `D` features and a class index each.
///
/// # Errors
/// If a row does not have `D` features or a label is not a non-negative
/// integer; the message names the table's source, line and column.
pub fn labeled_set<const D: usize>(table: Table) -> Result<LabeledSet<D>> {
    table
        .typed::<D, usize>(&format!("with {D} inputs"), |v| class_label(v, usize::MAX))
        .with_context(|| format!("loading {}", table.source))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;
    use std::path::PathBuf;

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
        let path = dir.path().join("labels.csv");
        std::fs::write(&path, "a,y\n1,0\n2,2\n3,1.5\n").unwrap();
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
}
