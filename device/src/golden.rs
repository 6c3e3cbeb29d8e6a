//! Tiny fixed cases whose every bit must agree between the host and the
//! device: initial weights, a forward pass, one SGD step and three Adam
//! steps of a 3-4-2 network on two rows.
//!
//! The firmware's on-target tests run these functions under QEMU and compare
//! the results with constants produced on the host by
//! `cargo test -p microprop-device --test golden -- --nocapture`, which
//! prints them (and checks them on the host).

use microprop::{
    Adam, Dense, Error, Identity, Inference, Init, Layer, Parameters, Sgd, SoftmaxCrossEntropy,
    Tanh, Trainer, network,
};

/// 3 inputs → 4 tanh units → 2 logits.
pub type TinyNet = network![Dense<3, 4, Tanh>, Dense<4, 2, Identity>];

/// Number of parameters of [`TinyNet`]: 3·4 + 4 + 4·2 + 2.
pub const PARAMS: usize = 26;

/// The two input rows.
pub const X: [[f32; 3]; 2] = [[0.5, -1.25, 2.0], [-0.75, 0.25, 1.5]];

/// Their class labels.
pub const LABELS: [usize; 2] = [1, 0];

/// Seed of the initial weights.
pub const SEED: u64 = 42;

/// Learning rate of [`sgd_step`].
pub const SGD_LR: f32 = 0.1;

/// Learning rate of [`adam_steps`].
pub const ADAM_LR: f32 = 0.01;

/// [`TinyNet`] with Xavier weights from [`SEED`].
pub fn tiny_net() -> TinyNet {
    let mut net = TinyNet::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(SEED));
    net
}

/// All parameters in [`Parameters`] order (per layer: weights row by row,
/// then biases).
pub fn flatten<P: Parameters>(params: &P) -> [f32; PARAMS] {
    const { assert!(P::LEN == PARAMS, "not a TinyNet-shaped buffer") };
    let mut out = [0.0; PARAMS];
    for (o, &v) in out.iter_mut().zip(params.slices().flatten()) {
        *o = v;
    }
    out
}

/// The logits of both rows from [`tiny_net`], one row at a time through
/// [`Inference`].
///
/// # Errors
/// Only if the core refuses the fixed, finite inputs (a bug).
pub fn forward() -> Result<[[f32; 2]; 2], Error> {
    let net = tiny_net();
    let mut run = Inference::<TinyNet>::new();
    let mut out = [[0.0; 2]; 2];
    for (o, x) in out.iter_mut().zip(&X) {
        *o = *run.predict(&net, x)?;
    }
    Ok(out)
}

/// One SGD step (lr [`SGD_LR`]) on both rows as one batch: the batch loss
/// and the parameters after the step.
///
/// # Errors
/// Only if the core refuses the step (a bug).
pub fn sgd_step() -> Result<(f32, [f32; PARAMS]), Error> {
    let mut net = tiny_net();
    let mut trainer = Trainer::<TinyNet, _, _, 2>::new(SoftmaxCrossEntropy, Sgd);
    let stats = trainer.train_step(&mut net, &X, &LABELS, SGD_LR)?;
    Ok((stats.loss, flatten(&net)))
}

/// Three Adam steps (PyTorch defaults, lr [`ADAM_LR`]), one row per step,
/// rows 0, 1, 0: the last step's loss and the parameters after it.
///
/// # Errors
/// Only if the core refuses a step (a bug).
pub fn adam_steps() -> Result<(f32, [f32; PARAMS]), Error> {
    let mut net = tiny_net();
    let mut trainer = Trainer::<TinyNet, _, _, 1>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    let mut loss = 0.0;
    for row in [0, 1, 0] {
        let (Some(x), Some(y)) = (X.get(row..=row), LABELS.get(row..=row)) else {
            return Err(Error::EmptyBatch);
        };
        loss = trainer.train_step(&mut net, x, y, ADAM_LR)?.loss;
    }
    Ok((loss, flatten(&net)))
}

/// The bit patterns of `values`, for exact comparison.
pub fn bits<const N: usize>(values: &[f32; N]) -> [u32; N] {
    let mut out = [0; N];
    for (o, v) in out.iter_mut().zip(values) {
        *o = v.to_bits();
    }
    out
}
