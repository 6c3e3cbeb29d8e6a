//! Labelled data sets: CSV loading, shuffling, splitting, scaling.

use std::path::Path;

use anyhow::{Context, Result, bail};
use microprop::init::{SeededRng, seeded};
use microprop::rand_core::Rng;

/// Rows of `D` features, each with a class label.
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledSet<const D: usize> {
    /// Feature rows.
    pub features: Vec<[f32; D]>,
    /// Class of each row.
    pub labels: Vec<usize>,
}

impl<const D: usize> LabeledSet<D> {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// `true` if there are no rows.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Number of classes (largest label + 1).
    pub fn classes(&self) -> usize {
        self.labels.iter().max().map_or(0, |m| m + 1)
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

/// Loads a CSV file with one header row, `D` feature columns and the class
/// label in the last column.
///
/// # Errors
/// If the file can't be read, a row has another number of columns than
/// `D + 1`, a feature is not a finite number, or a label is not a
/// non-negative integer; the message names the file, line and column.
pub fn load_labeled_csv<const D: usize>(path: &Path) -> Result<LabeledSet<D>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let mut set = LabeledSet {
        features: Vec::new(),
        labels: Vec::new(),
    };
    for record in reader.records() {
        let record = record.with_context(|| format!("{}: malformed CSV", path.display()))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.len() != D + 1 {
            bail!(
                "{}:{line}: {} columns, but the model takes {D} features + 1 label = {} columns",
                path.display(),
                record.len(),
                D + 1
            );
        }
        let mut row = [0.0f32; D];
        for (col, (value, field)) in row.iter_mut().zip(record.iter()).enumerate() {
            *value = field
                .trim()
                .parse::<f32>()
                .ok()
                .filter(|v| v.is_finite())
                .with_context(|| {
                    format!(
                        "{}:{line}: column {}: {field:?} is not a finite number",
                        path.display(),
                        col + 1
                    )
                })?;
        }
        let field = record.get(D).unwrap_or_default().trim();
        let label = field.parse::<usize>().with_context(|| {
            format!(
                "{}:{line}: column {}: label {field:?} is not a class index",
                path.display(),
                D + 1
            )
        })?;
        set.features.push(row);
        set.labels.push(label);
    }
    if set.is_empty() {
        bail!("{}: no data rows", path.display());
    }
    Ok(set)
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

    fn write(name: &str, text: &str) -> std::path::PathBuf {
        let path =
            std::env::temp_dir().join(format!("microprop-sim-{}-{name}", std::process::id()));
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn loads_and_rejects_with_line_and_column() {
        let ok = write("ok.csv", "a,b,label\n1,2,0\n3,4,1\n");
        let set = load_labeled_csv::<2>(&ok).unwrap();
        assert_eq!(set.features, vec![[1.0, 2.0], [3.0, 4.0]]);
        assert_eq!(set.labels, vec![0, 1]);

        let ragged = write("ragged.csv", "a,b,label\n1,2,0\n3,1\n");
        let err = format!("{:#}", load_labeled_csv::<2>(&ragged).unwrap_err());
        assert!(err.contains(":3:") && err.contains("2 columns"), "{err}");

        let nan = write("nan.csv", "a,b,label\n1,x,0\n");
        let err = format!("{:#}", load_labeled_csv::<2>(&nan).unwrap_err());
        assert!(err.contains(":2: column 2"), "{err}");

        let shape = format!("{:#}", load_labeled_csv::<3>(&ok).unwrap_err());
        assert!(shape.contains("3 features"), "{shape}");
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
