//! Which rows of a file train, validate and test a model: a seeded shuffle
//! of the row indices cut in three, the same shuffle as
//! [`LabeledSet::split`](super::LabeledSet::split), so the training rows
//! come in the same order as the built-in models' (same bits).

use microprop::init::seeded;
use sha2::{Digest, Sha256};

use super::labeled::uniform_below;

/// Row indices of a file: training rows in training order, then the
/// validation rows and the held-out test rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// Training rows, in the order training reads them.
    pub train: Vec<usize>,
    /// Validation rows (early stopping, per-epoch validation metrics).
    pub validation: Vec<usize>,
    /// Held-out rows (`eval`'s test set).
    pub test: Vec<usize>,
}

/// `0..n` shuffled with `seed`: the permutation
/// [`LabeledSet::shuffle`](super::LabeledSet::shuffle) applies to its rows.
pub fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = seeded(seed);
    for i in (1..n).rev() {
        let j = uniform_below(&mut rng, i + 1);
        order.swap(i, j);
    }
    order
}

/// Rows a fraction of `n` stands for, as [`LabeledSet::split`](super::LabeledSet::split) rounds it.
pub fn rows_of(n: usize, fraction: f32) -> usize {
    ((n as f32 * fraction).round() as usize).min(n)
}

/// Shuffles `0..n` with `seed`, holds out the last `test_fraction` of the
/// rows for testing and the `validation_fraction` before them for
/// validation; the rest train, in shuffled order.
pub fn split_rows(n: usize, test_fraction: f32, validation_fraction: f32, seed: u64) -> Split {
    let mut order = shuffled(n, seed);
    let test_rows = rows_of(n, test_fraction);
    let test = order.split_off(n - test_rows);
    let validation_rows = rows_of(n, validation_fraction).min(order.len());
    let validation = order.split_off(order.len() - validation_rows);
    Split {
        train: order,
        validation,
        test,
    }
}

/// SHA-256 of row indices (little-endian `u64`s), lowercase hex: a model
/// records it for its held-out rows, so a split that no longer comes out
/// the same is noticed.
pub fn rows_digest(rows: &[usize]) -> String {
    let mut hash = Sha256::new();
    for &r in rows {
        hash.update((r as u64).to_le_bytes());
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::LabeledSet;

    #[test]
    fn same_order_as_the_labeled_set_split() {
        let set = LabeledSet::<1> {
            features: (0..150).map(|i| [i as f32]).collect(),
            labels: (0..150).collect(),
        };
        let (train, test) = set.split(0.2, 7);
        let split = split_rows(150, 0.2, 0.0, 7);
        assert_eq!(split.train, train.labels);
        assert_eq!(split.test, test.labels);
        assert!(split.validation.is_empty());
        let with_val = split_rows(150, 0.2, 0.1, 7);
        assert_eq!(with_val.test, split.test);
        assert_eq!(with_val.validation.len(), 15);
        assert_eq!(with_val.train.len(), 105);
        assert_eq!(with_val.train[..], split.train[..105]);
    }
}
