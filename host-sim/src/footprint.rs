//! The `footprint` command: the bytes a built-in model needs to train and to
//! run, from `size_of` of the real types, and which common MCUs hold them.

use std::fmt::Write as _;

use anyhow::{Result, bail};
use clap::Args;
use microprop::{AcceptsActivation, AdaGrad, Adam, Layer, Momentum, RmsProp, Sgd};

use crate::models::{Builtin, ModelVisitor, Task};
use crate::options::{BUFFER, OptimizerKind};
use crate::report::{Footprint, PARTS, footprint_of, grouped, human};

/// What `footprint` is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Args)]
pub struct FootprintOptions {
    /// The model.
    #[arg(long, value_enum, default_value_t = Builtin::Digits)]
    pub model: Builtin,
    /// The optimizer (its state is part of the trainer).
    #[arg(long, value_enum, default_value_t = OptimizerKind::Adam)]
    pub optimizer: OptimizerKind,
    /// Rows of the trainer's batch buffer (B, a const generic): 1, 2, 4, ..., 512.
    #[arg(long, default_value_t = 16)]
    pub batch: usize,
    /// Print one JSON object (every part in bytes, and the MCUs compared)
    /// instead of the report.
    #[arg(long)]
    pub json: bool,
}

/// Runs `footprint` as the CLI does: prints the report (or with `--json`
/// the JSON object) to stdout.
///
/// # Errors
/// As [`footprint`].
pub fn command(options: &FootprintOptions) -> Result<()> {
    let f = footprint(options.model, options.optimizer, options.batch)?;
    if options.json {
        outln!("{:#}", footprint_json(&f, options.optimizer))?;
    } else {
        out!("{}", render(&f, options.optimizer))?;
    }
    Ok(())
}

/// The footprint as the JSON object `footprint --json` prints: every field
/// of [`Footprint`] and its totals in bytes, and the parts of [`PARTS`]
/// with their RAM and flash in bytes.
pub fn footprint_json(f: &Footprint, optimizer: OptimizerKind) -> serde_json::Value {
    serde_json::json!({
        "command": "footprint",
        "model": f.model,
        "optimizer": optimizer.name(),
        "optimizer_type": f.optimizer,
        "batch": f.batch,
        "bytes": {
            "parameters": f.parameters,
            "gradients": f.gradients,
            "optimizer_state": f.optimizer_state,
            "caches": f.caches,
            "trainer": f.trainer,
            "fit_buffers": f.fit_buffers,
            "normalizers": f.normalizers,
            "model": f.model_bytes,
            "inference_workspace": f.inference,
            "best_copy": f.best_copy,
            "training_ram": f.training_ram(),
            "inference_ram": f.inference_ram(),
            "flash": f.flash(),
        },
        "parts": PARTS.iter().map(|p| serde_json::json!({
            "name": p.name,
            "variant": p.variant,
            "ram": p.ram,
            "flash": p.flash,
        })).collect::<Vec<_>>(),
    })
}

/// Batch-buffer sizes (`B`) the command can report: `B` is a const generic,
/// so each is a separate type.
pub const BATCHES: [usize; 10] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

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
             uses a buffer of {BUFFER} rows)"
        ),
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
    for mcu in PARTS {
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
    use microprop::{
        FitBuffers, Inference, Loss, MeanSquaredError, Model, Optimizer, SigmoidBinaryCrossEntropy,
        SoftmaxCrossEntropy, Trainer,
    };
    use std::mem::size_of;

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
        assert_eq!(f.model_bytes, size_of::<Model<N>>());
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
    fn the_json_holds_the_report_numbers() {
        let f = footprint(Builtin::Digits, OptimizerKind::Adam, 16).unwrap();
        let j = footprint_json(&f, OptimizerKind::Adam);
        assert_eq!(j["batch"], 16);
        assert_eq!(j["optimizer"], OptimizerKind::Adam.name());
        let bytes = &j["bytes"];
        assert_eq!(bytes["parameters"], f.parameters);
        assert_eq!(bytes["optimizer_state"], f.optimizer_state);
        assert_eq!(bytes["training_ram"], f.training_ram());
        assert_eq!(bytes["inference_ram"], f.inference_ram());
        assert_eq!(bytes["flash"], f.flash());
        assert_eq!(j["parts"].as_array().unwrap().len(), PARTS.len());
        assert_eq!(j["parts"][1]["ram"], PARTS[1].ram);
    }

    #[test]
    fn the_report_lists_every_part() {
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
