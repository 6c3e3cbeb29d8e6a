//! Rows of features with their targets: the typed form a model trains on,
//! with the deterministic shuffle and split `train` and `eval` share.

use microprop::Normalizer;
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

    /// Scales every row's features in place with the core's
    /// [`Normalizer::apply`], as `fit` and [`microprop::Model`] scale a row.
    pub fn normalize(&mut self, normalizer: &Normalizer<[f32; D]>) {
        self.features.iter_mut().for_each(|x| normalizer.apply(x));
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
pub(super) fn uniform_below(rng: &mut SeededRng, n: usize) -> usize {
    let n = n as u64;
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let v = rng.next_u64();
        if v < zone {
            return (v % n) as usize;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use microprop::Scaling;

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
    fn normalize_applies_the_core_normalizer_to_every_row() {
        let mut set = LabeledSet::<2> {
            features: vec![[1.0, 5.0], [3.0, 5.0]],
            labels: vec![0, 1],
        };
        let n = Normalizer {
            scaling: Scaling::MinMax,
            offset: [1.0, 5.0],
            scale: [0.5, 0.0],
        };
        set.normalize(&n);
        assert_eq!(set.features, vec![[0.0, 0.0], [1.0, 0.0]]);
    }
}
