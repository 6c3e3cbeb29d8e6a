//! Size probe: `bench-w2-adam-fused` with one more 32-wide tanh hidden
//! layer (64-32-32-10, Adam, `FusedTrainer`, batch 1). Its code minus
//! `bench-w2-adam-fused`'s is what a layer of a shape already present
//! costs in code (a goal of bench/goals-mcu.json). Also logs its
//! instructions per sample (`bench-mcu.sh` keeps them in the JSON).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use microprop::{
    Adam, Dense, FusedTrainer, Identity, Init, Layer, SoftmaxCrossEntropy, Tanh, network,
};
use microprop_device::digits::{CLASSES, FEATURES, INIT_SEED};
use microprop_device::workloads::DIGITS_ADAM_LR;
use microprop_firmware::bench::{self, finish, measure};
use microprop_firmware::board::Mps2;
use static_cell::ConstStaticCell;

/// W2 with a second 32-wide tanh hidden layer.
type DeepNet =
    network![Dense<FEATURES, 32, Tanh>, Dense<32, 32, Tanh>, Dense<32, CLASSES, Identity>];

static NET: ConstStaticCell<DeepNet> = ConstStaticCell::new(DeepNet::ZERO);
// All zeros (in .bss); the real hyperparameters are set in `main`.
static ADAM: ConstStaticCell<FusedTrainer<DeepNet, SoftmaxCrossEntropy, Adam>> =
    ConstStaticCell::new(FusedTrainer::ZEROED);
static ROWS: ConstStaticCell<bench::DigitRows> = ConstStaticCell::new(bench::DigitRows::new());

const SAMPLES: u32 = 640;

#[entry]
fn main() -> ! {
    let _board = Mps2::take();
    let net = NET.take();
    let rows = ROWS.take();
    let mut failed = !rows.load();
    // The same scheme and seed as `microprop_device::digits::init`.
    net.init(Init::Xavier, &mut microprop::init::seeded(INIT_SEED));
    let adam = ADAM.take();
    adam.optimizer = Adam::PYTORCH;
    measure("w2-deep", "train-adam-fused", SAMPLES, |i| {
        let (x, y) = rows.batch(i);
        failed |= adam.train_step(net, &x[0], &y[0], DIGITS_ADAM_LR).is_err();
    });
    finish(failed)
}
