//! Personalisation on QEMU `mps2-an386`, mode `Int8`
//! ([`microprop_firmware::personalise::run`]): the digits model pretrained
//! on the host adapts to a new user's slanted digits; what trains:
//! the output layer only, over the hidden layer quantised to int8 at compile time and read from flash.
//!
//! `cargo run --release --bin qemu-personalise-int8` (from `firmware/`).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use microprop_device::digits::personalise::{self, Batch, FineTuner, Int8Net, Mode, fine_tuner};
use microprop_firmware::board::Mps2;
use microprop_firmware::{self as fw};
use static_cell::ConstStaticCell;

static NET: ConstStaticCell<Int8Net> = ConstStaticCell::new(personalise::INT8);
static TRAINER: ConstStaticCell<FineTuner<Int8Net>> = ConstStaticCell::new(fine_tuner());
static BATCH: ConstStaticCell<Batch> = ConstStaticCell::new(Batch::new());

#[entry]
fn main() -> ! {
    let Some(Mps2 { led, .. }) = Mps2::take() else {
        defmt::error!("peripherals taken twice");
        fw::exit(fw::EXIT_TRAINING_ERROR)
    };
    fw::personalise::run(Mode::Int8, NET.take(), TRAINER.take(), BATCH.take(), led)
}
