//! The benchmark workloads of the performance issue, shared by the
//! firmware's `bench-*` binaries, the host-vs-QEMU check and the host:
//!
//! - W1: XOR, 2-8-1, sigmoid hidden and output, mean squared error, SGD,
//!   batch 1;
//! - W2: the 8x8 digits, 64-32-10, tanh, softmax + cross-entropy, batch 1,
//!   with SGD and with Adam ([`crate::digits::Net`]);
//! - W3: the sine model, 1-16-16-1 ReLU (the TFLM / MicroFlow benchmark
//!   shape), inference only.
//!
//! Multiply-accumulates are counted as the performance issue does: a
//! forward pass is Σ inputs × outputs over the layers; a training sample is
//! three times that (forward, weight gradients, input gradients).

use microprop::{
    Adam, Dense, FusedTrainer, Identity, Init, Layer, MeanSquaredError, Relu, Sgd, Sigmoid,
    SoftmaxCrossEntropy, Trainer, network,
};

use crate::digits;

/// W1: 2 inputs → 8 sigmoid → 1 sigmoid.
pub type XorNet = network![Dense<2, 8, Sigmoid>, Dense<8, 1, Sigmoid>];
/// W1's trainer: MSE, SGD, batch 1.
pub type XorTrainer = Trainer<XorNet, MeanSquaredError, Sgd, 1>;
/// The four XOR rows.
pub const XOR_X: [[f32; 2]; 4] = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
/// Their targets.
pub const XOR_Y: [[f32; 1]; 4] = [[0.0], [1.0], [1.0], [0.0]];
/// W1's learning rate.
pub const XOR_LR: f32 = 0.5;
/// W1 multiply-accumulates per inference: 2·8 + 8·1.
pub const XOR_MACS: u32 = 2 * 8 + 8;

/// W2 with SGD, batch 1.
pub type DigitsSgdTrainer = Trainer<digits::Net, SoftmaxCrossEntropy, Sgd, 1>;
/// W2 with SGD, batch 1, the fused step (no gradient buffer: small enough
/// for the 16 KB of RAM of the Cortex-M0 cross-check).
pub type DigitsSgdFusedTrainer = FusedTrainer<digits::Net, SoftmaxCrossEntropy, Sgd>;
/// W2 with Adam (PyTorch defaults), batch 1.
pub type DigitsAdamTrainer = Trainer<digits::Net, SoftmaxCrossEntropy, Adam, 1>;
/// W2's SGD learning rate.
pub const DIGITS_SGD_LR: f32 = 0.05;
/// W2's Adam learning rate.
pub const DIGITS_ADAM_LR: f32 = 0.001;
/// W2 multiply-accumulates per inference: 64·32 + 32·10.
pub const DIGITS_MACS: u32 = 64 * 32 + 32 * 10;

/// W3: 1 input → 16 ReLU → 16 ReLU → 1.
pub type SineNet = network![Dense<1, 16, Relu>, Dense<16, 16, Relu>, Dense<16, 1, Identity>];
/// W3 multiply-accumulates per inference: 16 + 16·16 + 16.
pub const SINE_MACS: u32 = 16 + 16 * 16 + 16;
/// Seed of W1's and W3's initial weights.
pub const SEED: u64 = 3;

/// A zeroed W1 trainer.
pub const fn xor_trainer() -> XorTrainer {
    Trainer::new(MeanSquaredError, Sgd)
}

/// A zeroed W2 SGD trainer.
pub const fn digits_sgd_trainer() -> DigitsSgdTrainer {
    Trainer::new(SoftmaxCrossEntropy, Sgd)
}

/// A zeroed fused W2 SGD trainer.
pub const fn digits_sgd_fused_trainer() -> DigitsSgdFusedTrainer {
    FusedTrainer::new(SoftmaxCrossEntropy, Sgd)
}

/// A zeroed W2 Adam trainer.
pub const fn digits_adam_trainer() -> DigitsAdamTrainer {
    Trainer::new(SoftmaxCrossEntropy, Adam::PYTORCH)
}

/// W1 with Xavier weights from [`SEED`].
pub fn xor_net() -> XorNet {
    let mut net = XorNet::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(SEED));
    net
}

/// W3 with He weights from [`SEED`] (untrained: inference cost does not
/// depend on what was learned, only on how many units are active).
pub fn sine_net() -> SineNet {
    let mut net = SineNet::ZERO;
    net.init(Init::HeNormal, &mut microprop::init::seeded(SEED));
    net
}

/// W3's input for sample `i` of `n`: evenly spaced over [0, 2π).
pub fn sine_input(i: u32, n: u32) -> [f32; 1] {
    [i as f32 * (2.0 * core::f32::consts::PI) / n.max(1) as f32]
}
