//! The personalisation job on the nRF52840-DK, int8 backbone + float head
//! ([`microprop_firmware::personalise::run`], the code of
//! `qemu-personalise-int8`): LED 1 (P0.13) toggles after every pass, defmt
//! logs go over RTT to `probe-rs` (costs in CPU cycles), and the exit
//! status reaches the host through semihosting.
//!
//! `cargo nrf52840-dk-personalise` (from `firmware/`, with the board on USB
//! and `probe-rs` installed).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use microprop_device::digits::personalise::{self, Batch, FineTuner, Int8Net, Mode, fine_tuner};
use microprop_firmware::nrf52840dk::Dk;
use microprop_firmware::{self as fw};
use static_cell::ConstStaticCell;

static NET: ConstStaticCell<Int8Net> = ConstStaticCell::new(personalise::INT8);
static TRAINER: ConstStaticCell<FineTuner<Int8Net>> = ConstStaticCell::new(fine_tuner());
static BATCH: ConstStaticCell<Batch> = ConstStaticCell::new(Batch::new());

#[entry]
fn main() -> ! {
    let Some(Dk { led, .. }) = Dk::take() else {
        defmt::error!("peripherals taken twice");
        fw::exit(fw::EXIT_TRAINING_ERROR)
    };
    fw::personalise::run(Mode::Int8, NET.take(), TRAINER.take(), BATCH.take(), led)
}
