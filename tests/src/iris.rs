//! The bundled iris data set (150 rows, 4 features, 3 classes), split into
//! 105 training and 45 test rows and min-max scaled.

use microprop_sim::data::bundled::checkout_data_dir;
use microprop_sim::data::{LabeledSet, fit_normalizer, load_labeled_csv};

/// The seed of the split.
pub const SEED: u64 = 2024;

/// Iris split 70/30 with [`SEED`], scaled with min-max fitted on the
/// training rows only: (train, test).
///
/// # Panics
/// If the file cannot be read, or does not have 150 rows of 3 classes.
pub fn split_scaled() -> (LabeledSet<4>, LabeledSet<4>) {
    let set = load_labeled_csv::<4>(&checkout_data_dir().join("iris.csv")).unwrap();
    assert_eq!((set.len(), set.classes()), (150, 3));
    let (mut train, mut test) = set.split(0.3, SEED);
    assert_eq!((train.len(), test.len()), (105, 45));
    let scaler = fit_normalizer(microprop::Scaling::MinMax, &train.features);
    train.normalize(&scaler);
    test.normalize(&scaler);
    (train, test)
}
