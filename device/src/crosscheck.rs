//! Host vs device, bit for bit: short training runs that the firmware
//! (`qemu-crosscheck`, `qemu-digits`, `qemu-online`) and the host run with
//! the same code, seeds and data, and a [`Digest`] of every final weight.
//!
//! The firmware prints each digest as one defmt line (see
//! [`Digest`]'s `Display`); `tests/tests/host_vs_qemu.rs` runs the firmware
//! under QEMU, computes the same digests on the host and compares them.

use core::fmt;

use microprop::dynamic::{Buffers, LayerSpec, LossKind, Network, Targets, Topology, Trainer};
use microprop::layer::Zeroed;
use microprop::{ActivationKind, Adam, Dataset, Error, Init, Parameters, Permutation};

use crate::digits::{self, Data};
use crate::workloads::{
    self, DIGITS_ADAM_LR, DIGITS_SGD_LR, DigitsAdamTrainer, DigitsSgdFusedTrainer,
    DigitsSgdTrainer, XOR_LR, XOR_X, XOR_Y, XorNet, XorTrainer,
};

/// Optimizer steps of each cross-check run.
pub const STEPS: u32 = 300;

/// Seed of the row order of the digits runs.
pub const ORDER_SEED: u64 = 0x00c0_ffee;

/// Values reported from each end of the parameter vector.
pub const ENDS: usize = 4;

/// A fingerprint of all parameters: CRC-32 (ISO-HDLC, as zlib) of their
/// IEEE-754 bits (little-endian bytes, [`Parameters`] order), their number,
/// and the bits of the first and last [`ENDS`] values (to show *where* a
/// mismatch starts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Digest {
    /// CRC-32 of all parameter bits.
    pub crc32: u32,
    /// Number of parameters.
    pub count: u32,
    /// Bits of the first [`ENDS`] parameters.
    pub first: [u32; ENDS],
    /// Bits of the last [`ENDS`] parameters.
    pub last: [u32; ENDS],
}

const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// The [`Digest`] of `params` (a network, gradients, optimizer state).
pub fn digest<P: Parameters>(params: &P) -> Digest {
    digest_of(params.slices().flatten())
}

/// The [`Digest`] of a flat parameter buffer (a run-time network's): equal
/// to [`digest`] of the const-generic network holding the same values.
pub fn digest_values(values: &[f32]) -> Digest {
    digest_of(values.iter())
}

fn digest_of<'a>(values: impl Iterator<Item = &'a f32>) -> Digest {
    let mut crc = CRC.digest();
    let mut count = 0u32;
    let mut first = [0u32; ENDS];
    let mut last = [0u32; ENDS];
    for &v in values {
        let bits = v.to_bits();
        crc.update(&bits.to_le_bytes());
        if let Some(slot) = first.get_mut(count as usize) {
            *slot = bits;
        }
        last.rotate_left(1);
        if let Some(slot) = last.last_mut() {
            *slot = bits;
        }
        count += 1;
    }
    Digest {
        crc32: crc.finalize(),
        count,
        first,
        last,
    }
}

impl fmt::Display for Digest {
    /// `crc32 0x........ n N first [0x........, ...] last [...]`: the
    /// format the firmware logs and the host test parses.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "crc32 {:#010x} n {} first [", self.crc32, self.count)?;
        list(f, &self.first)?;
        f.write_str("] last [")?;
        list(f, &self.last)?;
        f.write_str("]")
    }
}

fn list(f: &mut fmt::Formatter<'_>, values: &[u32]) -> fmt::Result {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{v:#010x}")?;
    }
    Ok(())
}

/// W1: XOR 2-8-1 sigmoid/MSE, SGD (lr 0.5), batch 1, rows 0, 1, 2, 3, 0, …
/// for [`STEPS`] steps from [`workloads::xor_net`].
///
/// # Errors
/// Only if the core refuses a step (a bug).
pub fn xor_sgd(net: &mut XorNet, trainer: &mut XorTrainer) -> Result<Digest, Error> {
    *net = workloads::xor_net();
    for step in 0..STEPS as usize {
        let row = step % XOR_X.len();
        let (Some(x), Some(y)) = (XOR_X.get(row..=row), XOR_Y.get(row..=row)) else {
            return Err(Error::EmptyBatch);
        };
        trainer.train_step(net, x, y, XOR_LR)?;
    }
    Ok(digest(net))
}

/// Trains W2 for [`STEPS`] steps of batch 1 on training rows in a fixed
/// shuffled order.
fn digits_steps<O: microprop::Optimizer>(
    net: &mut digits::Net,
    trainer: &mut microprop::Trainer<digits::Net, microprop::SoftmaxCrossEntropy, O, 1>,
    data: &Data<'_>,
    lr: f32,
) -> Result<Digest, Error> {
    digits::init(net);
    let order = Permutation::new(data.len(), ORDER_SEED);
    let mut x = [<[f32; digits::FEATURES] as Zeroed>::ZERO];
    for step in 0..STEPS as usize {
        let index = order.index(step % data.len());
        let [row] = &mut x;
        let label = data
            .sample(index, row)
            .ok_or(Error::SampleUnavailable { index })?;
        trainer.train_step(net, &x, &[label], lr)?;
    }
    Ok(digest(net))
}

/// W2 with SGD (lr 0.05), batch 1, [`STEPS`] steps from
/// [`digits::init`]'s weights.
///
/// # Errors
/// Only if the core refuses a step or a row cannot be read.
pub fn digits_sgd(
    net: &mut digits::Net,
    trainer: &mut DigitsSgdTrainer,
    data: &Data<'_>,
) -> Result<Digest, Error> {
    digits_steps(net, trainer, data, DIGITS_SGD_LR)
}

/// W2 with SGD (lr 0.05), batch 1, [`STEPS`] steps from [`digits::init`]'s
/// weights over the rows of [`digits_sgd`], with the fused step
/// ([`microprop::FusedTrainer`]: no gradient buffer, so network and trainer
/// fit the 16 KB of RAM of the Cortex-M0 run, `microbit-crosscheck`).
///
/// # Errors
/// As [`digits_sgd`].
pub fn digits_sgd_fused(
    net: &mut digits::Net,
    trainer: &mut DigitsSgdFusedTrainer,
    data: &Data<'_>,
) -> Result<Digest, Error> {
    digits::init(net);
    let order = Permutation::new(data.len(), ORDER_SEED);
    let mut x = <[f32; digits::FEATURES] as Zeroed>::ZERO;
    for step in 0..STEPS as usize {
        let index = order.index(step % data.len());
        let label = data
            .sample(index, &mut x)
            .ok_or(Error::SampleUnavailable { index })?;
        trainer.train_step(net, &x, &label, DIGITS_SGD_LR)?;
    }
    Ok(digest(net))
}

/// W2 with Adam (PyTorch defaults, lr 0.001), batch 1, [`STEPS`] steps.
///
/// # Errors
/// As [`digits_sgd`].
pub fn digits_adam(
    net: &mut digits::Net,
    trainer: &mut DigitsAdamTrainer,
    data: &Data<'_>,
) -> Result<Digest, Error> {
    digits_steps(net, trainer, data, DIGITS_ADAM_LR)
}

/// W2's layers as a run-time layer list (`microprop::dynamic`).
pub const DIGITS_LAYERS: [LayerSpec; 2] = [
    LayerSpec::dense(32, ActivationKind::Tanh),
    LayerSpec::dense(digits::CLASSES, ActivationKind::Identity),
];

/// Parameters of W2.
const DIGITS_PARAMS: usize = digits::FEATURES * 32 + 32 + 32 * digits::CLASSES + digits::CLASSES;

/// The caller-owned buffers of [`digits_adam_dynamic`]: W2's parameters,
/// gradients, Adam's two moments and the batch-1 cache, sized as
/// `Topology::params_len` and `Topology::cache_len(1)` say (checked when
/// the run starts).
pub struct DynamicDigits {
    /// Parameters.
    pub params: [f32; DIGITS_PARAMS],
    /// Gradients.
    pub gradients: [f32; DIGITS_PARAMS],
    /// Adam's moments, back to back.
    pub state: [f32; 2 * DIGITS_PARAMS],
    /// Output rows and scratch.
    pub cache: [f32; 2 * (32 + digits::CLASSES)],
}

impl DynamicDigits {
    /// All zero (for a `static`).
    pub const ZERO: Self = DynamicDigits {
        params: [0.0; DIGITS_PARAMS],
        gradients: [0.0; DIGITS_PARAMS],
        state: [0.0; 2 * DIGITS_PARAMS],
        cache: [0.0; 2 * (32 + digits::CLASSES)],
    };
}

/// [`digits_adam`] through the run-time front end (`microprop::dynamic`):
/// the same weights, rows, optimizer and step count, so the same digest as
/// the const-generic run, on the host and on the device.
///
/// # Errors
/// As [`digits_adam`], and [`Error::BufferLength`] if the buffers do not
/// fit the topology (a bug).
pub fn digits_adam_dynamic(buffers: &mut DynamicDigits, data: &Data<'_>) -> Result<Digest, Error> {
    let topology = Topology::new(digits::FEATURES, &DIGITS_LAYERS)?;
    let DynamicDigits {
        params,
        gradients,
        state,
        cache,
    } = buffers;
    state.fill(0.0);
    let mut net = Network::new(topology, params)?;
    net.init(
        Init::Xavier,
        &mut microprop::init::seeded(digits::INIT_SEED),
    );
    let buffers = Buffers {
        gradients,
        optimizer_state: state,
        cache,
        winners: &mut [],
    };
    let mut trainer = Trainer::new(
        topology,
        buffers,
        1,
        LossKind::SoftmaxCrossEntropy,
        Adam::PYTORCH,
    )?;
    let order = Permutation::new(data.len(), ORDER_SEED);
    let mut x = <[f32; digits::FEATURES] as Zeroed>::ZERO;
    for step in 0..STEPS as usize {
        let index = order.index(step % data.len());
        let label = data
            .sample(index, &mut x)
            .ok_or(Error::SampleUnavailable { index })?;
        trainer.train_step(&mut net, &x, Targets::Labels(&[label]), DIGITS_ADAM_LR)?;
    }
    Ok(digest_values(net.params()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    extern crate std;
    use super::*;
    use microprop::Layer;
    use std::string::ToString;

    #[test]
    fn digest_is_the_zlib_crc_of_the_bits() {
        let params = [1.0f32, -2.0, 0.5, 0.0, 3.0, 1e-3];
        let d = digest(&params);
        let bytes: std::vec::Vec<u8> = params
            .iter()
            .flat_map(|v| v.to_bits().to_le_bytes())
            .collect();
        assert_eq!(d.crc32, CRC.checksum(&bytes));
        assert_eq!(CRC.checksum(b"123456789"), 0xcbf4_3926);
        assert_eq!(d.count, 6);
        assert_eq!(d.first, [0x3f80_0000, 0xc000_0000, 0x3f00_0000, 0]);
        assert_eq!(d.last, [0x3f00_0000, 0, 0x4040_0000, 1e-3f32.to_bits()]);
        assert!(d.to_string().starts_with("crc32 0x"));
    }

    #[test]
    fn xor_learns_something_in_its_steps() {
        let mut net = XorNet::ZERO;
        let mut trainer = workloads::xor_trainer();
        let a = xor_sgd(&mut net, &mut trainer).unwrap();
        let b = xor_sgd(&mut net, &mut trainer).unwrap();
        assert_eq!(a, b, "a run starts from the same weights every time");
        assert_eq!(a.count, 2 * 8 + 8 + 8 + 1);
    }
}
