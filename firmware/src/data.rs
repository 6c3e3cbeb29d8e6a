//! The 8x8 digits in flash: 1 byte a pixel, 1 byte a label, written by
//! `build.rs` in the split order of `microprop_device::digits`.

use microprop_device::digits::{self, Data, FEATURES, PIXEL_SCALE, TEST_ROWS, TRAIN_ROWS};

macro_rules! table {
    ($file:literal) => {
        *include_bytes!(concat!(env!("OUT_DIR"), "/", $file))
    };
}

/// Training pixels, row after row (in flash).
pub static TRAIN_PIXELS: [u8; TRAIN_ROWS * FEATURES] = table!("digits-train-pixels.bin");
/// Training labels.
pub static TRAIN_LABELS: [u8; TRAIN_ROWS] = table!("digits-train-labels.bin");
/// Test pixels.
pub static TEST_PIXELS: [u8; TEST_ROWS * FEATURES] = table!("digits-test-pixels.bin");
/// Test labels.
pub static TEST_LABELS: [u8; TEST_ROWS] = table!("digits-test-labels.bin");

const fn dataset(pixels: &'static [u8], labels: &'static [u8]) -> Data<'static> {
    match Data::new(pixels, labels, PIXEL_SCALE) {
        Some(data) => data,
        None => panic!("pixel and label tables differ in rows"),
    }
}

/// The training set (checked at compile time).
pub const TRAIN: Data<'static> = dataset(&TRAIN_PIXELS, &TRAIN_LABELS);
/// The test set.
pub const TEST: Data<'static> = dataset(&TEST_PIXELS, &TEST_LABELS);

const _: () = assert!(TRAIN_ROWS + TEST_ROWS == digits::ROWS);
