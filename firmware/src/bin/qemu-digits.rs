//! The digits job on QEMU `mps2-an386` ([`microprop_firmware::app::digits_job`]):
//! trains the 64-32-10 classifier on the 1437 training digits in flash,
//! toggles user LED 0 every epoch, logs each epoch over defmt, evaluates on
//! the 360 held-out digits and exits 0 only if the test accuracy reaches
//! `digits::TEST_ACCURACY_FLOOR`.
//!
//! `cargo run --release` (from `firmware/`).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use microprop_firmware::board::Mps2;
use microprop_firmware::{self as fw, app};

#[entry]
fn main() -> ! {
    let Some(Mps2 { led, delay }) = Mps2::take() else {
        defmt::error!("peripherals taken twice");
        fw::exit(fw::EXIT_TRAINING_ERROR)
    };
    app::digits_job(led, delay)
}
