//! W2: digits 64-32-10 tanh, softmax + cross-entropy, SGD, batch 1:
//! instructions per training sample and per inference (`bench-mcu.sh`
//! reads the log). The rows are widened into RAM first, so the counts are
//! the network's alone.
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use microprop::{Inference, Layer};
use microprop_device::digits::Net;
use microprop_device::workloads::{self, DIGITS_SGD_LR, DigitsSgdTrainer};
use microprop_firmware::bench::{self, finish, measure};
use microprop_firmware::board::Mps2;
use static_cell::ConstStaticCell;

static NET: ConstStaticCell<Net> = ConstStaticCell::new(Net::ZERO);
static TRAINER: ConstStaticCell<DigitsSgdTrainer> =
    ConstStaticCell::new(workloads::digits_sgd_trainer());
static INFERENCE: ConstStaticCell<Inference<Net>> = ConstStaticCell::new(Inference::new());
static ROWS: ConstStaticCell<bench::DigitRows> = ConstStaticCell::new(bench::DigitRows::new());

const SAMPLES: u32 = 640;

#[entry]
fn main() -> ! {
    let _board = Mps2::take();
    let net = NET.take();
    microprop_device::digits::init(net);
    let trainer = TRAINER.take();
    let inference = INFERENCE.take();
    let rows = ROWS.take();
    let mut failed = !rows.load();
    measure("w2", "train-sgd", SAMPLES, |i| {
        let (x, y) = rows.batch(i);
        failed |= trainer.train_step(net, x, y, DIGITS_SGD_LR).is_err();
    });
    measure("w2", "infer", SAMPLES, |i| {
        let (x, _) = rows.batch(i);
        failed |= black_box(inference.predict(net, black_box(&x[0]))).is_err();
    });
    finish(failed)
}
