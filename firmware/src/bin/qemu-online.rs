//! Online learning on QEMU `mps2-an386` ([`microprop_firmware::app::online_job`]):
//! the digits arrive one at a time with a class balance that shifts (0–4,
//! then 5–9, then all); the model predicts each before learning from it,
//! once without and once with a replay buffer. The log shows the running
//! accuracy and, after each phase, the test accuracy per class group:
//! without replay the model forgets 0–4, with replay it keeps them.
//!
//! `cargo run --release --bin qemu-online` (from `firmware/`).
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
    app::online_job(led, delay)
}
