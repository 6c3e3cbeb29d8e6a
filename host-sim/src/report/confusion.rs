//! The confusion matrix of a classifier: counted, and printed as a table
//! with each class's recall.

use std::fmt::Write as _;

use anyhow::{Result, anyhow};
use microprop::{Inference, Layer, Normalizer};

use crate::data::LabeledSet;
use crate::models::Task;

/// `matrix[true][predicted]` counts of a classifier on `set`.
///
/// # Errors
/// If a row is refused by inference.
pub fn confusion_matrix<N, L, const D: usize, const O: usize>(
    net: &N,
    normalizer: Option<&Normalizer<[f32; D]>>,
    set: &LabeledSet<D, L::Target>,
    classes: usize,
) -> Result<Vec<Vec<u32>>>
where
    N: Layer<Input = [f32; D], Output = [f32; O]>,
    L: Task<O>,
{
    let mut matrix = vec![vec![0u32; classes]; classes];
    let mut run = Inference::<N>::new();
    for (x, y) in set.features.iter().zip(&set.labels) {
        let mut x = *x;
        if let Some(n) = normalizer {
            n.apply(&mut x);
        }
        let out = run.predict(net, &x).map_err(|e| anyhow!("{e}"))?;
        if let (Some(t), Some(p)) = (L::class_of(y), L::predict_class(out))
            && let Some(cell) = matrix.get_mut(t).and_then(|row| row.get_mut(p))
        {
            *cell += 1;
        }
    }
    Ok(matrix)
}

/// The confusion matrix as a table: rows are true classes, columns
/// predictions.
pub fn format_confusion(matrix: &[Vec<u32>]) -> String {
    let mut s = String::from("true\\pred");
    for c in 0..matrix.len() {
        let _ = write!(s, "{c:>5}");
    }
    s.push_str("   recall\n");
    for (t, row) in matrix.iter().enumerate() {
        let _ = write!(s, "{t:>9}");
        for (p, n) in row.iter().enumerate() {
            if *n == 0 && p != t {
                s.push_str("    .");
            } else {
                let _ = write!(s, "{n:>5}");
            }
        }
        let total: u32 = row.iter().sum();
        let hit = row.get(t).copied().unwrap_or(0);
        let _ = writeln!(s, "   {:.3}", f64::from(hit) / f64::from(total.max(1)));
    }
    s
}

/// The confusion matrix with class names: the table of
/// [`format_confusion`], then which name each class number stands for.
pub fn format_named_confusion(matrix: &[Vec<u32>], classes: &[String]) -> String {
    let mut s = format_confusion(matrix);
    let names: Vec<String> = classes
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{i} = {c}"))
        .collect();
    let _ = writeln!(s, "classes: {}", names.join(", "));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_shows_counts_dots_and_recall() {
        let text = format_confusion(&[vec![3, 1], vec![0, 2]]);
        assert_eq!(
            text,
            "true\\pred    0    1   recall\n        0    3    1   0.750\n        1    .    2   1.000\n"
        );
    }
}
