//! The 8x8 digits in flash, as `build.rs` wrote them: the 1437 training
//! rows the simulated sensor replays and the 360 held-out rows the model is
//! measured on at the end.

use microprop_device::digits::{Data, FEATURES, PIXEL_SCALE, TEST_ROWS, TRAIN_ROWS};

macro_rules! table {
    ($file:literal) => {
        *include_bytes!(concat!(env!("OUT_DIR"), "/", $file))
    };
}

static TRAIN_PIXELS: [u8; TRAIN_ROWS * FEATURES] = table!("digits-train-pixels.bin");
static TRAIN_LABELS: [u8; TRAIN_ROWS] = table!("digits-train-labels.bin");
static TEST_PIXELS: [u8; TEST_ROWS * FEATURES] = table!("digits-test-pixels.bin");
static TEST_LABELS: [u8; TEST_ROWS] = table!("digits-test-labels.bin");

const fn dataset(pixels: &'static [u8], labels: &'static [u8]) -> Data<'static> {
    match Data::new(pixels, labels, PIXEL_SCALE) {
        Some(data) => data,
        None => panic!("pixel and label tables differ in rows"),
    }
}

/// The training digits (checked at compile time): what the sensor yields.
pub static TRAIN: Data<'static> = dataset(&TRAIN_PIXELS, &TRAIN_LABELS);
/// The held-out digits.
pub static TEST: Data<'static> = dataset(&TEST_PIXELS, &TEST_LABELS);
