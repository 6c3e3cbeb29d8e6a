//! The bytes a training setup needs, each `size_of` of a real type, and
//! how byte counts are printed.

use std::mem::size_of;

use microprop::{FitBuffers, Inference, Layer, Loss, Model, Normalizer, Optimizer, Trainer};

/// Bytes in a KiB.
pub const KIB: usize = 1024;

/// Bytes of every part of a training setup, each `size_of` of a real type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footprint {
    /// "digits (64-32-10)".
    pub model: String,
    /// The optimizer's type, e.g. "Adam".
    pub optimizer: &'static str,
    /// Rows of the trainer's batch buffer (`B`).
    pub batch: usize,
    /// The network: `size_of::<N>()`.
    pub parameters: usize,
    /// `size_of::<N::Grads>()`.
    pub gradients: usize,
    /// `size_of::<O::State<N::Grads>>()`.
    pub optimizer_state: usize,
    /// `size_of::<N::Cache<B>>()`.
    pub caches: usize,
    /// The whole trainer, `size_of::<Trainer<N, L, O, B>>()`: gradients,
    /// state, caches, settings and counters.
    pub trainer: usize,
    /// The rows `fit` stages samples in: `size_of::<FitBuffers<..>>()`.
    pub fit_buffers: usize,
    /// Input and target normalisers:
    /// `size_of::<Normalizer<[f32; D]>>() + size_of::<Normalizer<[f32; O]>>()`.
    pub normalizers: usize,
    /// Network with its normalisers, `size_of::<Model<N>>()`: what a
    /// deployed model stores (in flash as a `const`, or in RAM).
    pub model_bytes: usize,
    /// The inference workspace, `Inference::<N>::BYTES`.
    pub inference: usize,
    /// A copy of the network that `fit` keeps for restoring the best
    /// weights under `--patience`: `size_of::<N>()`.
    pub best_copy: usize,
}

impl Footprint {
    /// RAM to train: model (with normalisers) + trainer + staging rows.
    pub fn training_ram(&self) -> usize {
        self.model_bytes + self.trainer + self.fit_buffers
    }

    /// RAM to run inference with the model in flash: the workspace.
    pub fn inference_ram(&self) -> usize {
        self.inference
    }

    /// Flash for the model as a `const` (code not counted).
    pub fn flash(&self) -> usize {
        self.model_bytes
    }
}

/// The footprint of network `N` with loss `L`, optimizer `O` and a batch
/// buffer of `B` rows.
pub fn footprint_of<N, L, O, const D: usize, const OUT: usize, const B: usize>(
    model: &str,
) -> Footprint
where
    N: Layer<Input = [f32; D], Output = [f32; OUT]>,
    L: Loss<[f32; OUT]>,
    O: Optimizer,
{
    let memory = Trainer::<N, L, O, B>::MEMORY;
    debug_assert_eq!(memory.trainer, size_of::<Trainer<N, L, O, B>>());
    Footprint {
        model: model.to_string(),
        optimizer: std::any::type_name::<O>()
            .rsplit("::")
            .next()
            .unwrap_or("?"),
        batch: B,
        parameters: size_of::<N>(),
        gradients: size_of::<N::Grads>(),
        optimizer_state: size_of::<O::State<N::Grads>>(),
        caches: size_of::<N::Cache<B>>(),
        trainer: size_of::<Trainer<N, L, O, B>>(),
        fit_buffers: size_of::<FitBuffers<[f32; D], L::Target, B>>(),
        normalizers: size_of::<Normalizer<[f32; D]>>() + size_of::<Normalizer<[f32; OUT]>>(),
        model_bytes: size_of::<Model<N>>(),
        inference: Inference::<N>::BYTES,
        best_copy: size_of::<N>(),
    }
}

/// `12,480`.
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `256 KiB`, `1 MiB`, `20 KiB`.
pub fn human(bytes: usize) -> String {
    if bytes >= KIB * KIB && bytes.is_multiple_of(KIB * KIB) {
        format!("{} MiB", bytes / (KIB * KIB))
    } else if bytes >= KIB {
        let k = bytes as f64 / KIB as f64;
        if bytes.is_multiple_of(KIB) {
            format!("{k:.0} KiB")
        } else {
            format!("{k:.1} KiB")
        }
    } else {
        format!("{bytes} B")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting() {
        assert_eq!(grouped(12480), "12,480");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000_000), "1,000,000");
        assert_eq!(human(256 * 1024), "256 KiB");
        assert_eq!(human(1024 * 1024), "1 MiB");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(100), "100 B");
    }
}
