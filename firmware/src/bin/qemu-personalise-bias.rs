//! Personalisation on QEMU `mps2-an386`, mode `Bias`
//! ([`microprop_firmware::personalise::run`]): the digits model pretrained
//! on the host adapts to a new user's slanted digits; what trains:
//! the biases of both layers only (TinyTL), the weights in RAM but frozen.
//!
//! `cargo run --release --bin qemu-personalise-bias` (from `firmware/`).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use microprop_device::digits::personalise::{self, Batch, BiasNet, FineTuner, Mode, fine_tuner};
use microprop_firmware::board::Mps2;
use microprop_firmware::{self as fw};
use static_cell::ConstStaticCell;

static NET: ConstStaticCell<BiasNet> = ConstStaticCell::new(personalise::BIAS);
static TRAINER: ConstStaticCell<FineTuner<BiasNet>> = ConstStaticCell::new(fine_tuner());
static BATCH: ConstStaticCell<Batch> = ConstStaticCell::new(Batch::new());

#[entry]
fn main() -> ! {
    let Some(Mps2 { led, .. }) = Mps2::take() else {
        defmt::error!("peripherals taken twice");
        fw::exit(fw::EXIT_TRAINING_ERROR)
    };
    fw::personalise::run(Mode::Bias, NET.take(), TRAINER.take(), BATCH.take(), led)
}
