//! Personalisation on QEMU `mps2-an386`, mode `Head`
//! ([`microprop_firmware::personalise::run`]): the digits model pretrained
//! on the host adapts to a new user's slanted digits; what trains:
//! the output layer only, over the pretrained hidden layer read from flash (`Flash`).
//!
//! `cargo run --release --bin qemu-personalise-head` (from `firmware/`).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use microprop_device::digits::personalise::{self, Batch, FineTuner, HeadNet, Mode, fine_tuner};
use microprop_firmware::board::Mps2;
use microprop_firmware::{self as fw};
use static_cell::ConstStaticCell;

static NET: ConstStaticCell<HeadNet> = ConstStaticCell::new(personalise::HEAD);
static TRAINER: ConstStaticCell<FineTuner<HeadNet>> = ConstStaticCell::new(fine_tuner());
static BATCH: ConstStaticCell<Batch> = ConstStaticCell::new(Batch::new());

#[entry]
fn main() -> ! {
    let Some(Mps2 { led, .. }) = Mps2::take() else {
        defmt::error!("peripherals taken twice");
        fw::exit(fw::EXIT_TRAINING_ERROR)
    };
    fw::personalise::run(Mode::Head, NET.take(), TRAINER.take(), BATCH.take(), led)
}
