//! W1: XOR 2-8-1 sigmoid/MSE/SGD, batch 1: instructions per training
//! sample (with `Trainer` and with the fused `FusedTrainer`) and per
//! inference (`bench-mcu.sh` reads the log).
#![no_std]
#![no_main]

use core::hint::black_box;

use cortex_m_rt::entry;
use microprop::{FusedTrainer, Inference, Layer, MeanSquaredError, Sgd};
use microprop_device::workloads::{self, XOR_LR, XOR_X, XOR_Y, XorNet, XorTrainer};
use microprop_firmware::bench::{finish, measure};
use microprop_firmware::board::Mps2;
use static_cell::ConstStaticCell;

static NET: ConstStaticCell<XorNet> = ConstStaticCell::new(XorNet::ZERO);
static TRAINER: ConstStaticCell<XorTrainer> = ConstStaticCell::new(workloads::xor_trainer());
static INFERENCE: ConstStaticCell<Inference<XorNet>> = ConstStaticCell::new(Inference::new());
static FUSED: ConstStaticCell<FusedTrainer<XorNet, MeanSquaredError, Sgd>> =
    ConstStaticCell::new(FusedTrainer::new(MeanSquaredError, Sgd));

const SAMPLES: u32 = 4000;

#[entry]
fn main() -> ! {
    let _board = Mps2::take();
    let net = NET.take();
    *net = workloads::xor_net();
    let trainer = TRAINER.take();
    let inference = INFERENCE.take();
    let mut failed = false;
    measure("w1", "train-sgd", SAMPLES, |i| {
        let r = (i % 4) as usize;
        failed |= trainer
            .train_step(net, &XOR_X[r..=r], &XOR_Y[r..=r], XOR_LR)
            .is_err();
    });
    // The fused step from the same starting weights.
    *net = workloads::xor_net();
    let fused = FUSED.take();
    measure("w1", "train-sgd-fused", SAMPLES, |i| {
        let r = (i % 4) as usize;
        failed |= fused.train_step(net, &XOR_X[r], &XOR_Y[r], XOR_LR).is_err();
    });
    measure("w1", "infer", SAMPLES, |i| {
        let x = black_box(&XOR_X[(i % 4) as usize]);
        failed |= black_box(inference.predict(net, x)).is_err();
    });
    finish(failed)
}
