//! The built-in models: const-generic network types, their losses, their
//! bundled data and good default settings, and dispatch by name.
//!
//! A model's shape is its type, so code that trains "the model named on the
//! command line" is generic and [`Builtin::visit`] calls it with the right
//! types: a [`ModelVisitor`] is the one place a new built-in has to be
//! added to.

use std::f64::consts::PI;
use std::fmt::Debug;
use std::path::Path;

use anyhow::Result;
use clap::ValueEnum;
use microprop::layer::Zeroed;
use microprop::{
    AcceptsActivation, Dense, Identity, Layer, Loss, MeanSquaredError, Relu,
    SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, Tanh, argmax, network,
};

use crate::data::{LabelColumn, Table, class_label, load_csv};
use crate::idx::load_idx_pair;
use crate::options::{Batch, NormalizeKind, OptimizerKind};

/// XOR: 2 inputs → 8 tanh units → 1 logit (sigmoid + binary cross-entropy).
pub type XorNet = network![Dense<2, 8, Tanh>, Dense<8, 1, Identity>];
/// Sine regression: 1 → 16 ReLU → 16 ReLU → 1 (mean squared error).
pub type SineNet = network![Dense<1, 16, Relu>, Dense<16, 16, Relu>, Dense<16, 1, Identity>];
/// Iris: 4 measurements → 16 tanh units → 3 logits (softmax + cross-entropy).
pub type IrisNet = network![Dense<4, 16, Tanh>, Dense<16, 3, Identity>];
/// 8x8 digits: 64 pixels → 32 tanh units → 10 logits (the demo's model).
pub type DigitsNet = network![Dense<64, 32, Tanh>, Dense<32, 10, Identity>];
/// MNIST: 784 pixels → 32 tanh units → 10 logits.
pub type MnistNet = network![Dense<784, 32, Tanh>, Dense<32, 10, Identity>];

/// What a model predicts, as the loss sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// One of `n` classes (softmax + cross-entropy, label = class index).
    Classes(usize),
    /// Yes or no (one logit, sigmoid + binary cross-entropy, label 0 or 1).
    Binary,
    /// A real value (mean squared error).
    Regression,
}

/// A loss as a task: how a label in a file becomes the loss's target, and
/// how a target and an output row become classes (for accuracy and the
/// confusion matrix).
pub trait Task<const O: usize>:
    Loss<[f32; O], Target: Copy + Zeroed + Debug + PartialEq + 'static> + Copy + Default + 'static
{
    /// What is predicted.
    const KIND: TaskKind;

    /// The target for a label value read from a file, or why it is refused.
    ///
    /// # Errors
    /// A message saying why `value` is not a valid target for this task.
    fn target(value: f64) -> Result<Self::Target, String>;

    /// The class of a target (`None` for regression).
    fn class_of(target: &Self::Target) -> Option<usize>;

    /// The class predicted from an output row (`None` for regression).
    fn predict_class(out: &[f32; O]) -> Option<usize>;

    /// The target's value as a number (regression: the value; classes: the
    /// index).
    fn value_of(target: &Self::Target) -> f64;

    /// The probability the model gives its predicted class (softmax of the
    /// logits, or the sigmoid of the one logit); `None` for regression.
    fn confidence(out: &[f32; O]) -> Option<f32>;
}

impl<const O: usize> Task<O> for SoftmaxCrossEntropy {
    const KIND: TaskKind = TaskKind::Classes(O);

    fn target(value: f64) -> Result<usize, String> {
        class_label(value, O)
    }

    fn class_of(target: &usize) -> Option<usize> {
        Some(*target)
    }

    fn predict_class(out: &[f32; O]) -> Option<usize> {
        Some(argmax(out))
    }

    fn value_of(target: &usize) -> f64 {
        *target as f64
    }

    fn confidence(out: &[f32; O]) -> Option<f32> {
        let mut p = *out;
        microprop::softmax_in_place(&mut p);
        p.get(argmax(out)).copied()
    }
}

impl Task<1> for SigmoidBinaryCrossEntropy {
    const KIND: TaskKind = TaskKind::Binary;

    fn target(value: f64) -> Result<[f32; 1], String> {
        class_label(value, 2).map(|c| [c as f32])
    }

    fn class_of(target: &[f32; 1]) -> Option<usize> {
        Some(usize::from(target[0] > 0.5))
    }

    fn predict_class(out: &[f32; 1]) -> Option<usize> {
        Some(usize::from(out[0] > 0.0))
    }

    fn value_of(target: &[f32; 1]) -> f64 {
        f64::from(target[0])
    }

    fn confidence(out: &[f32; 1]) -> Option<f32> {
        let p = 1.0 / (1.0 + (-out[0]).exp());
        Some(if out[0] > 0.0 { p } else { 1.0 - p })
    }
}

impl Task<1> for MeanSquaredError {
    const KIND: TaskKind = TaskKind::Regression;

    fn target(value: f64) -> Result<[f32; 1], String> {
        let v = value as f32;
        if v.is_finite() {
            Ok([v])
        } else {
            Err(format!("target {value} is not a finite 32-bit float"))
        }
    }

    fn class_of(_: &[f32; 1]) -> Option<usize> {
        None
    }

    fn predict_class(_: &[f32; 1]) -> Option<usize> {
        None
    }

    fn value_of(target: &[f32; 1]) -> f64 {
        f64::from(target[0])
    }

    fn confidence(_: &[f32; 1]) -> Option<f32> {
        None
    }
}

/// Code generic over a built-in model's types, called by [`Builtin::visit`].
pub trait ModelVisitor {
    /// What the visit returns.
    type Output;

    /// Runs with network `N` (`D` inputs, `O` outputs) trained with loss `L`.
    fn visit<N, L, const D: usize, const O: usize>(self, model: Builtin) -> Self::Output
    where
        N: Layer<Input = [f32; D], Output = [f32; O]> + Clone + 'static,
        L: Task<O> + AcceptsActivation<N::OutputActivation>;
}

/// Settings a built-in model trains well with (each can be overridden).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Defaults {
    /// Optimizer.
    pub optimizer: OptimizerKind,
    /// Peak learning rate.
    pub lr: f32,
    /// Rows per step.
    pub batch: Batch,
    /// Epochs.
    pub epochs: u32,
    /// Input scaling.
    pub normalize: NormalizeKind,
    /// Fraction of the rows held out (ignored when the data has its own
    /// test set, as the bundled MNIST does).
    pub test_fraction: f32,
}

/// A built-in model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Builtin {
    /// XOR of two bits: 2-8-1 tanh, sigmoid + binary cross-entropy.
    Xor,
    /// y = sin x on [−π, π]: 1-16-16-1 ReLU, mean squared error.
    Sine,
    /// Fisher's iris: 4-16-3 tanh, softmax + cross-entropy.
    Iris,
    /// UCI 8x8 digits: 64-32-10 tanh, softmax + cross-entropy.
    Digits,
    /// MNIST (bundled 10k subset): 784-32-10 tanh, softmax + cross-entropy.
    Mnist,
}

impl Builtin {
    /// Every built-in, in order of size.
    pub const ALL: [Builtin; 5] = [
        Builtin::Xor,
        Builtin::Sine,
        Builtin::Iris,
        Builtin::Digits,
        Builtin::Mnist,
    ];

    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Xor => "xor",
            Builtin::Sine => "sine",
            Builtin::Iris => "iris",
            Builtin::Digits => "digits",
            Builtin::Mnist => "mnist",
        }
    }

    /// Layer widths, e.g. "64-32-10".
    pub fn layers(self) -> &'static str {
        match self {
            Builtin::Xor => "2-8-1",
            Builtin::Sine => "1-16-16-1",
            Builtin::Iris => "4-16-3",
            Builtin::Digits => "64-32-10",
            Builtin::Mnist => "784-32-10",
        }
    }

    /// The built-in model with these layer widths (as a checkpoint's
    /// architecture prints them, e.g. "64-32-10"), if any.
    pub fn with_layers(layers: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|m| m.layers() == layers)
    }

    /// Name and shape, as messages name the model: "iris (4-16-3)".
    pub fn label(self) -> String {
        format!("{} ({})", self.name(), self.layers())
    }

    /// Activations and loss in words.
    pub fn description(self) -> &'static str {
        match self {
            Builtin::Xor => "tanh hidden layer, sigmoid + binary cross-entropy",
            Builtin::Sine => "two ReLU hidden layers, mean squared error",
            Builtin::Iris | Builtin::Digits | Builtin::Mnist => {
                "tanh hidden layer, softmax + cross-entropy"
            }
        }
    }

    /// The bundled data, in words.
    pub fn bundled_data(self) -> &'static str {
        match self {
            Builtin::Xor => "the 4 rows of the XOR truth table",
            Builtin::Sine => "200 points of y = sin x, x evenly spaced on [-π, π]",
            Builtin::Iris => "data/iris.csv (150 rows)",
            Builtin::Digits => "data/digits8x8.csv (1797 rows)",
            Builtin::Mnist => "data/mnist10k-*: 8000 training, 2000 test images",
        }
    }

    /// The settings this model trains well with on its bundled data.
    pub fn defaults(self) -> Defaults {
        let base = Defaults {
            optimizer: OptimizerKind::Adam,
            lr: 0.01,
            batch: Batch::Rows(16),
            epochs: 100,
            normalize: NormalizeKind::Minmax,
            test_fraction: 0.2,
        };
        match self {
            Builtin::Xor => Defaults {
                lr: 0.05,
                batch: Batch::Full,
                epochs: 300,
                normalize: NormalizeKind::None,
                test_fraction: 0.0,
                ..base
            },
            Builtin::Sine => Defaults {
                epochs: 300,
                ..base
            },
            Builtin::Iris => base,
            Builtin::Digits => Defaults {
                lr: 0.005,
                epochs: 30,
                ..base
            },
            Builtin::Mnist => Defaults {
                lr: 0.002,
                batch: Batch::Rows(32),
                epochs: 10,
                normalize: NormalizeKind::Minmax,
                ..base
            },
        }
    }

    /// The bundled data: the training table, and the test table when the
    /// data set comes with one (MNIST).
    ///
    /// # Errors
    /// If a bundled file is missing or malformed.
    pub fn bundled(self, data_dir: &Path) -> Result<(Table, Option<Table>)> {
        Ok(match self {
            Builtin::Xor => {
                let rows: Vec<(Vec<f32>, f64)> = [(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)]
                    .iter()
                    .map(|&(a, b): &(f32, f32)| (vec![a, b], f64::from((a != b) as u8)))
                    .collect();
                (Table::generated("xor truth table", "a, b", &rows)?, None)
            }
            Builtin::Sine => (sine_table(200)?, None),
            Builtin::Iris => (
                load_csv(&data_dir.join("iris.csv"), &LabelColumn::Last)?,
                None,
            ),
            Builtin::Digits => (
                load_csv(&data_dir.join("digits8x8.csv"), &LabelColumn::Last)?,
                None,
            ),
            Builtin::Mnist => (
                load_idx_pair(
                    &data_dir.join("mnist10k-train-images-idx3-ubyte.gz"),
                    &data_dir.join("mnist10k-train-labels-idx1-ubyte.gz"),
                )?,
                Some(load_idx_pair(
                    &data_dir.join("mnist10k-test-images-idx3-ubyte.gz"),
                    &data_dir.join("mnist10k-test-labels-idx1-ubyte.gz"),
                )?),
            ),
        })
    }

    /// Calls `visitor` with this model's network and loss types.
    pub fn visit<V: ModelVisitor>(self, visitor: V) -> V::Output {
        match self {
            Builtin::Xor => visitor.visit::<XorNet, SigmoidBinaryCrossEntropy, 2, 1>(self),
            Builtin::Sine => visitor.visit::<SineNet, MeanSquaredError, 1, 1>(self),
            Builtin::Iris => visitor.visit::<IrisNet, SoftmaxCrossEntropy, 4, 3>(self),
            Builtin::Digits => visitor.visit::<DigitsNet, SoftmaxCrossEntropy, 64, 10>(self),
            Builtin::Mnist => visitor.visit::<MnistNet, SoftmaxCrossEntropy, 784, 10>(self),
        }
    }
}

/// `n` points of y = sin x with x evenly spaced on [−π, π].
pub fn sine_table(n: usize) -> Result<Table> {
    let rows: Vec<(Vec<f32>, f64)> = (0..n)
        .map(|i| {
            let x = -PI + 2.0 * PI * i as f64 / (n.max(2) - 1) as f64;
            (vec![x as f32], x.sin())
        })
        .collect();
    Table::generated("sine (generated)", "x", &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Shape;
    impl ModelVisitor for Shape {
        type Output = (usize, usize, usize, TaskKind);
        fn visit<N, L, const D: usize, const O: usize>(self, _: Builtin) -> Self::Output
        where
            N: Layer<Input = [f32; D], Output = [f32; O]> + Clone + 'static,
            L: Task<O> + AcceptsActivation<N::OutputActivation>,
        {
            (D, O, N::DEPTH, L::KIND)
        }
    }

    #[test]
    fn each_model_has_the_shape_its_name_says() {
        for model in Builtin::ALL {
            let (d, o, depth, kind) = model.visit(Shape);
            let widths: Vec<usize> = model
                .layers()
                .split('-')
                .map(|w| w.parse().unwrap())
                .collect();
            assert_eq!(widths.first(), Some(&d), "{model:?}");
            assert_eq!(widths.last(), Some(&o), "{model:?}");
            assert_eq!(widths.len() - 1, depth, "{model:?}");
            if let TaskKind::Classes(c) = kind {
                assert_eq!(c, o);
            }
        }
    }

    #[test]
    fn bundled_data_matches_each_model() {
        let dir = crate::bundled_data_dir();
        for model in [Builtin::Xor, Builtin::Sine, Builtin::Iris, Builtin::Digits] {
            let (table, test) = model.bundled(&dir).unwrap();
            let (d, ..) = model.visit(Shape);
            assert_eq!(table.width, d, "{model:?}");
            assert!(test.is_none());
        }
        let sine = sine_table(5).unwrap();
        assert_eq!(
            sine.features,
            vec![
                -PI as f32,
                (-PI / 2.0) as f32,
                0.0,
                (PI / 2.0) as f32,
                PI as f32
            ]
        );
    }

    #[test]
    fn a_five_feature_csv_for_iris_names_both_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("five.csv");
        std::fs::write(&path, "a,b,c,d,e,label\n1,2,3,4,5,0\n").unwrap();
        let table = load_csv(&path, &LabelColumn::Last).unwrap();
        let err = table
            .typed::<4, usize>(&Builtin::Iris.label(), |v| {
                <SoftmaxCrossEntropy as Task<3>>::target(v)
            })
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "five.csv has 5 features per row (columns a, b, c, d, e + label \"label\")"
            ) && err.contains("model iris (4-16-3) takes 4 inputs"),
            "{err}"
        );
    }
}
