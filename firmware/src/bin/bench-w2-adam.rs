//! W2 with Adam (PyTorch defaults), batch 1: instructions per training
//! sample (`bench-mcu.sh` reads the log).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use microprop::{Adam, Layer};
use microprop_device::digits::Net;
use microprop_device::workloads::{DIGITS_ADAM_LR, DigitsAdamTrainer};
use microprop_firmware::bench::{self, finish, measure};
use microprop_firmware::board::Mps2;
use static_cell::ConstStaticCell;

static NET: ConstStaticCell<Net> = ConstStaticCell::new(Net::ZERO);
// All zeros (in .bss, not 19 KB of zeros in flash); the real
// hyperparameters are set in `main`.
static TRAINER: ConstStaticCell<DigitsAdamTrainer> =
    ConstStaticCell::new(DigitsAdamTrainer::ZEROED);
static ROWS: ConstStaticCell<bench::DigitRows> = ConstStaticCell::new(bench::DigitRows::new());

const SAMPLES: u32 = 640;

#[entry]
fn main() -> ! {
    let _board = Mps2::take();
    let net = NET.take();
    microprop_device::digits::init(net);
    let trainer = TRAINER.take();
    trainer.optimizer = Adam::PYTORCH;
    let rows = ROWS.take();
    let mut failed = !rows.load();
    measure("w2", "train-adam", SAMPLES, |i| {
        let (x, y) = rows.batch(i);
        failed |= trainer.train_step(net, x, y, DIGITS_ADAM_LR).is_err();
    });
    finish(failed)
}
