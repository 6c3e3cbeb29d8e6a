//! W2 (digits 64-32-10 tanh, softmax + cross-entropy, batch 1) with the
//! fused step (`FusedTrainer`: no gradient buffer), SGD and Adam:
//! instructions per training sample (`bench-mcu.sh` reads the log). Its RAM
//! is the network, Adam's two moments and one activation row per layer.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use microprop::{Adam, FusedTrainer, Layer, Sgd, SoftmaxCrossEntropy};
use microprop_device::digits::Net;
use microprop_device::workloads::{DIGITS_ADAM_LR, DIGITS_SGD_LR};
use microprop_firmware::bench::{self, finish, measure};
use microprop_firmware::board::Mps2;
use static_cell::ConstStaticCell;

static NET: ConstStaticCell<Net> = ConstStaticCell::new(Net::ZERO);
static SGD: ConstStaticCell<FusedTrainer<Net, SoftmaxCrossEntropy, Sgd>> =
    ConstStaticCell::new(FusedTrainer::new(SoftmaxCrossEntropy, Sgd));
// All zeros (in .bss, not 19 KB of zeros in flash); the real
// hyperparameters are set in `main`.
static ADAM: ConstStaticCell<FusedTrainer<Net, SoftmaxCrossEntropy, Adam>> =
    ConstStaticCell::new(FusedTrainer::ZEROED);
static ROWS: ConstStaticCell<bench::DigitRows> = ConstStaticCell::new(bench::DigitRows::new());

const SAMPLES: u32 = 640;

#[entry]
fn main() -> ! {
    let _board = Mps2::take();
    let net = NET.take();
    let rows = ROWS.take();
    let mut failed = !rows.load();
    microprop_device::digits::init(net);
    let sgd = SGD.take();
    measure("w2", "train-sgd-fused", SAMPLES, |i| {
        let (x, y) = rows.batch(i);
        failed |= sgd.train_step(net, &x[0], &y[0], DIGITS_SGD_LR).is_err();
    });
    microprop_device::digits::init(net);
    let adam = ADAM.take();
    adam.optimizer = Adam::PYTORCH;
    measure("w2", "train-adam-fused", SAMPLES, |i| {
        let (x, y) = rows.batch(i);
        failed |= adam.train_step(net, &x[0], &y[0], DIGITS_ADAM_LR).is_err();
    });
    finish(failed)
}
