//! The digits job on the nRF52840-DK ([`microprop_firmware::app::digits_job`],
//! the same application as `qemu-digits`): LED 1 (P0.13) toggles every
//! epoch, defmt logs go over RTT to `probe-rs`, and the exit status reaches
//! the host through semihosting.
//!
//! `cargo nrf52840-dk` (from `firmware/`, with the board on USB and
//! `probe-rs` installed).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use microprop_firmware::nrf52840dk::Dk;
use microprop_firmware::{self as fw, app};

#[entry]
fn main() -> ! {
    let Some(Dk { led, delay }) = Dk::take() else {
        defmt::error!("peripherals taken twice");
        fw::exit(fw::EXIT_TRAINING_ERROR)
    };
    app::digits_job(led, delay)
}
