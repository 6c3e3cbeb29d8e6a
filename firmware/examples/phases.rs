//! Where a W2 training sample's instructions go: the phases of
//! `Trainer::train_step` (zero_grad, forward, loss, backward, step) counted
//! one at a time under QEMU, for SGD and Adam, batch 1, on the digits rows
//! of the benchmarks. `cargo run --release --example phases` prints
//! `bench w2-<optimizer> <phase>: <instructions> instructions / <n> samples`,
//! and the cost of W2's 32 hidden-layer tanh on their own.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use microprop::{Adam, Layer, Optimizer, SoftmaxCrossEntropy, Trainer};
use microprop_device::digits::Net;
use microprop_device::workloads::{DIGITS_ADAM_LR, DIGITS_SGD_LR};
use microprop_firmware::bench::{self, finish, measure};
use microprop_firmware::board::Mps2;
use static_cell::ConstStaticCell;

const SAMPLES: u32 = 256;

static NET: ConstStaticCell<Net> = ConstStaticCell::new(Net::ZERO);
static SGD: ConstStaticCell<Trainer<Net, SoftmaxCrossEntropy, microprop::Sgd, 1>> =
    ConstStaticCell::new(Trainer::new(SoftmaxCrossEntropy, microprop::Sgd));
static ADAM: ConstStaticCell<Trainer<Net, SoftmaxCrossEntropy, Adam, 1>> =
    ConstStaticCell::new(Trainer::ZEROED);
static ROWS: ConstStaticCell<bench::DigitRows> = ConstStaticCell::new(bench::DigitRows::new());

fn phases<O: Optimizer>(
    name: &str,
    trainer: &mut Trainer<Net, SoftmaxCrossEntropy, O, 1>,
    net: &mut Net,
    rows: &bench::DigitRows,
    lr: f32,
) -> bool {
    let mut failed = false;
    measure(name, "train_step", SAMPLES, |i| {
        let (x, y) = rows.batch(i);
        failed |= trainer.train_step(net, x, y, lr).is_err();
    });
    measure(name, "zero_grad", SAMPLES, |_| trainer.zero_grad());
    measure(name, "forward", SAMPLES, |i| {
        let (x, _) = rows.batch(i);
        failed |= trainer.forward(net, x).is_err();
    });
    // loss, backward and step need the phases before them, so each is
    // measured as (prefix + phase) - prefix.
    let forward_loss = measure(name, "forward+loss", SAMPLES, |i| {
        let (x, y) = rows.batch(i);
        failed |= trainer.forward(net, x).is_err() || trainer.loss(y).is_err();
    });
    let _ = forward_loss;
    measure(name, "forward+loss+backward", SAMPLES, |i| {
        let (x, y) = rows.batch(i);
        trainer.zero_grad();
        failed |= trainer.accumulate(net, x, y).is_err();
    });
    failed
}

#[entry]
fn main() -> ! {
    let _board = Mps2::take();
    let net = NET.take();
    microprop_device::digits::init(net);
    let rows = ROWS.take();
    let mut failed = !rows.load();
    failed |= phases("w2-sgd", SGD.take(), net, rows, DIGITS_SGD_LR);
    // The activation alone: 32 tanh, as in W2's hidden layer.
    let mut z = [0.0_f32; 32];
    measure("w2", "tanh-x32", SAMPLES, |i| {
        for (k, v) in z.iter_mut().enumerate() {
            *v = microprop::math::tanh(core::hint::black_box(
                (k as f32 - 16.0) * 0.1 + i as f32 * 1e-4,
            ));
        }
        core::hint::black_box(&z);
    });
    let adam = ADAM.take();
    adam.optimizer = Adam::PYTORCH;
    failed |= phases("w2-adam", adam, net, rows, DIGITS_ADAM_LR);
    finish(failed)
}
