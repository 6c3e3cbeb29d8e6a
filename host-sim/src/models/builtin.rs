//! The built-in models by name: their shapes, defaults, bundled data, and
//! the dispatch that calls generic code with a model's types.

use anyhow::Result;
use microprop::{
    AcceptsActivation, Layer, MeanSquaredError, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy,
};

use super::task::Task;
use super::{DigitsNet, IrisNet, MnistNet, SineNet, XorNet};
use crate::data::bundled::{DIGITS, IRIS, MNIST_TEST, MNIST_TRAIN};
use crate::data::generated::{sine_table, xor_table};
use crate::data::{BundledData, LabelColumn, Table};
use crate::options::{Batch, NormalizeKind, OptimizerKind};

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

impl Defaults {
    /// The defaults most built-in models share (iris's), and those of a
    /// model of any shape on the user's CSV (`train --layers`): Adam at
    /// 0.01, batches of 16, 100 epochs, min-max scaling, 20 % held out.
    pub const BASE: Defaults = Defaults {
        optimizer: OptimizerKind::Adam,
        lr: 0.01,
        batch: Batch::Rows(16),
        epochs: 100,
        normalize: NormalizeKind::Minmax,
        test_fraction: 0.2,
    };
}

/// A built-in model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

    /// The model in one line, as `--model`'s help lists it.
    pub fn summary(self) -> &'static str {
        match self {
            Builtin::Xor => "XOR of two bits: 2-8-1 tanh, sigmoid + binary cross-entropy",
            Builtin::Sine => "y = sin x on [−π, π]: 1-16-16-1 ReLU, mean squared error",
            Builtin::Iris => "Fisher's iris: 4-16-3 tanh, softmax + cross-entropy",
            Builtin::Digits => "UCI 8x8 digits: 64-32-10 tanh, softmax + cross-entropy",
            Builtin::Mnist => "MNIST (bundled 10k subset): 784-32-10 tanh, softmax + cross-entropy",
        }
    }

    /// The built-in model named `name` (its CLI name, e.g. "iris").
    pub fn named(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|m| m.name() == name)
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
            Builtin::Iris => "iris.csv (150 rows)",
            Builtin::Digits => "digits8x8.csv (1797 rows)",
            Builtin::Mnist => "mnist10k-*: 8000 training, 2000 test images",
        }
    }

    /// The settings this model trains well with on its bundled data.
    pub fn defaults(self) -> Defaults {
        let base = Defaults::BASE;
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
    pub fn bundled(self, data: &BundledData) -> Result<(Table, Option<Table>)> {
        Ok(match self {
            Builtin::Xor => (xor_table()?, None),
            Builtin::Sine => (sine_table(200)?, None),
            Builtin::Iris => (data.csv(IRIS, &LabelColumn::Last)?, None),
            Builtin::Digits => (data.csv(DIGITS, &LabelColumn::Last)?, None),
            Builtin::Mnist => (
                data.idx_pair(MNIST_TRAIN)?,
                Some(data.idx_pair(MNIST_TEST)?),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::load_csv;
    use crate::models::TaskKind;

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
        let data = BundledData::Embedded;
        for model in [Builtin::Xor, Builtin::Sine, Builtin::Iris, Builtin::Digits] {
            let (table, test) = model.bundled(&data).unwrap();
            let (d, ..) = model.visit(Shape);
            assert_eq!(table.width, d, "{model:?}");
            assert!(test.is_none());
        }
    }

    #[test]
    fn names_and_summaries() {
        for model in Builtin::ALL {
            assert_eq!(Builtin::named(model.name()), Some(model));
            assert!(model.summary().contains(model.layers()), "{model:?}");
        }
        assert_eq!(Builtin::named("z80"), None);
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
