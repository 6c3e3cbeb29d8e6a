//! The W2 Adam training firmware on its own: digits 64-32-10 tanh,
//! softmax and cross-entropy, Adam, `FusedTrainer`, batch 1. The same
//! workload as the Adam half of `bench-w2-fused`, in a binary with nothing
//! else, so its code size (less `bench-base`'s) and stack high-water are
//! those of a firmware that only trains W2 with Adam (`bench-mcu.sh` reads
//! the log).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use microprop::{Adam, FusedTrainer, Layer, SoftmaxCrossEntropy};
use microprop_device::digits::Net;
use microprop_device::workloads::DIGITS_ADAM_LR;
use microprop_firmware::bench::{self, finish, measure};
use microprop_firmware::board::Mps2;
use static_cell::ConstStaticCell;

static NET: ConstStaticCell<Net> = ConstStaticCell::new(Net::ZERO);
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
    let adam = ADAM.take();
    adam.optimizer = Adam::PYTORCH;
    measure("w2", "train-adam-fused", SAMPLES, |i| {
        let (x, y) = rows.batch(i);
        failed |= adam.train_step(net, &x[0], &y[0], DIGITS_ADAM_LR).is_err();
    });
    finish(failed)
}
