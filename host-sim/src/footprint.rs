//! The `footprint` command: the bytes a built-in model needs to train and to
//! run, from `size_of` of the real types, and which common MCUs hold them.

use std::fmt::Write as _;
use std::mem::size_of;

use anyhow::{Result, bail};
use microprop::{
    AcceptsActivation, AdaGrad, Adam, FitBuffers, Inference, Layer, Loss, Model, Momentum,
    Normalizer, Optimizer, RmsProp, Sgd, Trainer,
};

use crate::models::{Builtin, ModelVisitor, Task};
use crate::options::OptimizerKind;

/// A microcontroller's memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mcu {
    /// Part name.
    pub name: &'static str,
    /// The variant whose memory is given, and notes.
    pub variant: &'static str,
    /// Bytes of SRAM.
    pub ram: usize,
    /// Bytes of flash for code and constants.
    pub flash: usize,
}

const KIB: usize = 1024;

/// Common parts, largest RAM first.
pub const MCUS: [Mcu; 5] = [
    Mcu {
        name: "RP2040",
        variant: "264 KiB SRAM; no internal flash, 2 MiB QSPI on the Raspberry Pi Pico",
        ram: 264 * KIB,
        flash: 2048 * KIB,
    },
    Mcu {
        name: "nRF52840",
        variant: "256 KiB RAM, 1 MiB flash (the default target)",
        ram: 256 * KIB,
        flash: 1024 * KIB,
    },
    Mcu {
        name: "STM32F411",
        variant: "F411xC/xE: 128 KiB RAM; flash 512 KiB on xE (256 KiB on xC)",
        ram: 128 * KIB,
        flash: 512 * KIB,
    },
    Mcu {
        name: "STM32F103",
        variant: "F103x8 (\"blue pill\"): 20 KiB RAM, 64 KiB flash",
        ram: 20 * KIB,
        flash: 64 * KIB,
    },
    Mcu {
        name: "STM32F030",
        variant: "F030F4: 4 KiB RAM, 16 KiB flash (the smallest of the line)",
        ram: 4 * KIB,
        flash: 16 * KIB,
    },
];

/// The default MCU of the demo and the firmware: the nRF52840.
pub const DEFAULT_MCU: Mcu = MCUS[1];

/// Batch-buffer sizes (`B`) the command can report: `B` is a const generic,
/// so each is a separate type.
pub const BATCHES: [usize; 10] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

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
    /// Network with its normalisers, `size_of::<Model<N, D, O>>()`: what a
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
        model_bytes: size_of::<Model<N, D, OUT>>(),
        inference: Inference::<N>::BYTES,
        best_copy: size_of::<N>(),
    }
}

/// Calls `footprint_of::<N, L, O, D, OUT, B>` with `B` = `$batch` from
/// [`BATCHES`].
macro_rules! by_batch {
    ($batch:expr, $label:expr, $($t:tt),+) => {
        match $batch {
            1 => Some(footprint_of::<$($t),+, 1>($label)),
            2 => Some(footprint_of::<$($t),+, 2>($label)),
            4 => Some(footprint_of::<$($t),+, 4>($label)),
            8 => Some(footprint_of::<$($t),+, 8>($label)),
            16 => Some(footprint_of::<$($t),+, 16>($label)),
            32 => Some(footprint_of::<$($t),+, 32>($label)),
            64 => Some(footprint_of::<$($t),+, 64>($label)),
            128 => Some(footprint_of::<$($t),+, 128>($label)),
            256 => Some(footprint_of::<$($t),+, 256>($label)),
            512 => Some(footprint_of::<$($t),+, 512>($label)),
            _ => None,
        }
    };
}

struct FootprintVisitor {
    optimizer: OptimizerKind,
    batch: usize,
}

impl ModelVisitor for FootprintVisitor {
    type Output = Option<Footprint>;

    fn visit<N, L, const D: usize, const O: usize>(self, model: Builtin) -> Option<Footprint>
    where
        N: Layer<Input = [f32; D], Output = [f32; O]> + Clone + 'static,
        L: Task<O> + AcceptsActivation<N::OutputActivation>,
    {
        let label = model.label();
        let label = label.as_str();
        let b = self.batch;
        match self.optimizer {
            OptimizerKind::Sgd => by_batch!(b, label, N, L, Sgd, D, O),
            OptimizerKind::Momentum | OptimizerKind::Nesterov => {
                by_batch!(b, label, N, L, Momentum, D, O)
            }
            OptimizerKind::Adagrad => by_batch!(b, label, N, L, AdaGrad, D, O),
            OptimizerKind::Rmsprop => by_batch!(b, label, N, L, RmsProp, D, O),
            OptimizerKind::Adam | OptimizerKind::Adamw => by_batch!(b, label, N, L, Adam, D, O),
        }
    }
}

/// The footprint of a built-in model with an optimizer and a batch buffer
/// of `batch` rows.
///
/// # Errors
/// If `batch` is not one of [`BATCHES`].
pub fn footprint(model: Builtin, optimizer: OptimizerKind, batch: usize) -> Result<Footprint> {
    match model.visit(FootprintVisitor { optimizer, batch }) {
        Some(f) => Ok(f),
        None => bail!(
            "--batch {batch}: the batch buffer is a const generic, so the footprint is known for \
             {BATCHES:?} rows; a larger batch accumulates in such a buffer (train --batch 100 \
             uses a buffer of {} rows)",
            crate::train::BUFFER
        ),
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

/// "1 row", "16 rows".
fn rows(n: usize) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{n} rows")
    }
}

/// The report `footprint` prints.
pub fn render(f: &Footprint, optimizer: OptimizerKind) -> String {
    let mut s = String::new();
    let state = match optimizer {
        OptimizerKind::Sgd => "none",
        OptimizerKind::Momentum | OptimizerKind::Nesterov => "velocity h",
        OptimizerKind::Adagrad => "sum of g²",
        OptimizerKind::Rmsprop => "mean of g²",
        OptimizerKind::Adam | OptimizerKind::Adamw => "moments m and v",
    };
    let _ = writeln!(
        s,
        "{}, {} ({}), batch buffer of {}: bytes from size_of of the real types",
        f.model,
        optimizer.name(),
        f.optimizer,
        rows(f.batch)
    );
    let mut row = |what: &str, bytes: usize, how: &str| {
        let _ = writeln!(s, "  {what:<34} {:>11}  {how}", grouped(bytes));
    };
    row("parameters", f.parameters, "the network (weights, biases)");
    row("gradients", f.gradients, "shaped like the parameters");
    row("optimizer state", f.optimizer_state, state);
    row(
        "activation caches",
        f.caches,
        &format!("{} per layer + backprop boundary rows", rows(f.batch)),
    );
    row(
        "trainer",
        f.trainer,
        "gradients + state + caches + settings and counters",
    );
    row(
        "fit staging rows",
        f.fit_buffers,
        &format!("{} of inputs and targets", rows(f.batch)),
    );
    row("normalisers", f.normalizers, "input and target scaling");
    row(
        "training RAM",
        f.training_ram(),
        "parameters + normalisers + trainer + staging rows",
    );
    row(
        "  + best-weights copy (--patience)",
        f.best_copy,
        "only when restoring the best epoch",
    );
    row(
        "inference RAM",
        f.inference_ram(),
        "workspace; the model stays in flash",
    );
    row(
        "flash for the model",
        f.flash(),
        "network + normalisers as a const (code not counted)",
    );
    let _ = writeln!(
        s,
        "\n  {:<10} {:>8} {:>8}   {:<17} {:<17}  variant",
        "part", "RAM", "flash", "train (RAM)", "infer (flash+RAM)"
    );
    for mcu in MCUS {
        let train = f.training_ram();
        let train_fit = if train <= mcu.ram {
            format!("yes {:>5.1} %", 100.0 * train as f64 / mcu.ram as f64)
        } else {
            format!("no  ({:.2}x)", train as f64 / mcu.ram as f64)
        };
        let infer_fit = if f.flash() <= mcu.flash && f.inference_ram() <= mcu.ram {
            format!("yes {:>5.1} %", 100.0 * f.flash() as f64 / mcu.flash as f64)
        } else {
            format!("no  ({:.2}x)", f.flash() as f64 / mcu.flash as f64)
        };
        let _ = writeln!(
            s,
            "  {:<10} {:>8} {:>8}   {train_fit:<17} {infer_fit:<17}  {}",
            mcu.name,
            human(mcu.ram),
            human(mcu.flash),
            mcu.variant
        );
    }
    let _ = writeln!(
        s,
        "  (stack, code, data set and the rest of the firmware are not included)"
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{DigitsNet, IrisNet, MnistNet, SineNet, XorNet};
    use microprop::{MeanSquaredError, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy};

    /// Every number is `size_of` of the real type, dispatch by name included.
    fn check<N, L, O, const D: usize, const OUT: usize, const B: usize>(
        model: Builtin,
        kind: OptimizerKind,
    ) where
        N: Layer<Input = [f32; D], Output = [f32; OUT]>,
        L: Loss<[f32; OUT]>,
        O: Optimizer,
    {
        let f = footprint(model, kind, B).unwrap();
        assert_eq!(f.batch, B);
        assert_eq!(f.parameters, size_of::<N>());
        assert_eq!(f.gradients, size_of::<N::Grads>());
        assert_eq!(f.optimizer_state, size_of::<O::State<N::Grads>>());
        assert_eq!(f.caches, size_of::<N::Cache<B>>());
        assert_eq!(f.trainer, size_of::<Trainer<N, L, O, B>>());
        assert_eq!(
            f.fit_buffers,
            size_of::<FitBuffers<[f32; D], L::Target, B>>()
        );
        assert_eq!(f.model_bytes, size_of::<Model<N, D, OUT>>());
        assert_eq!(f.inference, size_of::<Inference<N>>());
        let m = Trainer::<N, L, O, B>::MEMORY;
        assert_eq!(
            (
                m.parameters,
                m.gradients,
                m.optimizer_state,
                m.caches,
                m.trainer
            ),
            (
                f.parameters,
                f.gradients,
                f.optimizer_state,
                f.caches,
                f.trainer
            )
        );
    }

    #[test]
    fn numbers_are_size_of_the_real_types() {
        check::<DigitsNet, SoftmaxCrossEntropy, Adam, 64, 10, 16>(
            Builtin::Digits,
            OptimizerKind::Adam,
        );
        check::<DigitsNet, SoftmaxCrossEntropy, Sgd, 64, 10, 1>(
            Builtin::Digits,
            OptimizerKind::Sgd,
        );
        check::<XorNet, SigmoidBinaryCrossEntropy, Momentum, 2, 1, 4>(
            Builtin::Xor,
            OptimizerKind::Nesterov,
        );
        check::<SineNet, MeanSquaredError, RmsProp, 1, 1, 32>(
            Builtin::Sine,
            OptimizerKind::Rmsprop,
        );
        check::<IrisNet, SoftmaxCrossEntropy, AdaGrad, 4, 3, 8>(
            Builtin::Iris,
            OptimizerKind::Adagrad,
        );
        check::<MnistNet, SoftmaxCrossEntropy, Adam, 784, 10, 512>(
            Builtin::Mnist,
            OptimizerKind::Adamw,
        );
    }

    #[test]
    fn the_parts_add_up_as_documented() {
        let f = footprint(Builtin::Digits, OptimizerKind::Adam, 16).unwrap();
        // By hand, to show what the types hold: 2,410 parameters.
        assert_eq!(f.parameters, 2410 * 4);
        assert_eq!(f.optimizer_state, 2 * f.gradients);
        assert_eq!(f.caches, (16 * (32 + 10) + 32) * 4);
        assert!(f.trainer >= f.gradients + f.optimizer_state + f.caches);
        assert_eq!(
            footprint(Builtin::Digits, OptimizerKind::Sgd, 16)
                .unwrap()
                .optimizer_state,
            0
        );
        assert!(footprint(Builtin::Digits, OptimizerKind::Sgd, 3).is_err());
    }

    #[test]
    fn formatting() {
        assert_eq!(grouped(12480), "12,480");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000_000), "1,000,000");
        assert_eq!(human(256 * 1024), "256 KiB");
        assert_eq!(human(1024 * 1024), "1 MiB");
        let text = render(
            &footprint(Builtin::Xor, OptimizerKind::Sgd, 1).unwrap(),
            OptimizerKind::Sgd,
        );
        assert!(
            text.contains("STM32F030") && text.contains("F030F4"),
            "{text}"
        );
    }
}
