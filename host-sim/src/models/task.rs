//! A loss as a task: how a label in a file becomes the loss's target, and
//! how an output row becomes a class and a confidence.

use std::fmt::Debug;

use microprop::layer::Zeroed;
use microprop::{Loss, MeanSquaredError, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, argmax};

use crate::data::class_label;

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
