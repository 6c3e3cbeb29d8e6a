//! Personalisation on QEMU `mps2-an386`, mode `Full`
//! ([`microprop_firmware::personalise::run`]): the digits model pretrained
//! on the host adapts to a new user's slanted digits; what trains:
//! every weight and bias, the whole pretrained network copied into RAM.
//!
//! `cargo run --release --bin qemu-personalise-full` (from `firmware/`).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use microprop_device::digits::personalise::{self, Batch, FineTuner, FullNet, Mode, fine_tuner};
use microprop_firmware::board::Mps2;
use microprop_firmware::{self as fw};
use static_cell::ConstStaticCell;

static NET: ConstStaticCell<FullNet> = ConstStaticCell::new(personalise::FULL);
static TRAINER: ConstStaticCell<FineTuner<FullNet>> = ConstStaticCell::new(fine_tuner());
static BATCH: ConstStaticCell<Batch> = ConstStaticCell::new(Batch::new());

#[entry]
fn main() -> ! {
    let Some(Mps2 { led, .. }) = Mps2::take() else {
        defmt::error!("peripherals taken twice");
        fw::exit(fw::EXIT_TRAINING_ERROR)
    };
    fw::personalise::run(Mode::Full, NET.take(), TRAINER.take(), BATCH.take(), led)
}
