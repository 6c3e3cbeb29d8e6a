//! The bundled 8x8 digits as the demo trains on them: split, and scaled
//! with min-max fitted on the training rows.

use anyhow::Result;
use microprop::Scaling;

use super::bundled::{BundledData, DIGITS};
use super::csv_file::{LabelColumn, labeled_set};
use super::labeled::LabeledSet;
use super::normalize::fit_normalizer;

/// Pixels per row of the 8x8 digits.
pub const PIXELS: usize = 64;

/// The fraction of the rows the demo and the batch experiment hold out.
pub const TEST_FRACTION: f32 = 0.2;

/// Loads `digits8x8.csv` from `data`, holds out `test_fraction` of the
/// rows after a shuffle with `seed` (as [`LabeledSet::split`]), and scales
/// both sets with the core's min-max normaliser fitted on the training
/// rows: `(train, test)`.
///
/// # Errors
/// If the file is missing or malformed.
pub fn load_digits(
    data: &BundledData,
    test_fraction: f32,
    seed: u64,
) -> Result<(LabeledSet<PIXELS>, LabeledSet<PIXELS>)> {
    let set = labeled_set::<PIXELS>(data.csv(DIGITS, &LabelColumn::Last)?)?;
    let (mut train, mut test) = set.split(test_fraction, seed);
    let normalizer = fit_normalizer(Scaling::MinMax, &train.features);
    train.normalize(&normalizer);
    test.normalize(&normalizer);
    Ok((train, test))
}
