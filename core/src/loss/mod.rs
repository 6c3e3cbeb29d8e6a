//! Loss functions: each returns the loss and dL/d(output).
//!
//! A batch's loss is the mean of its rows' losses, L = 1/b Σ L_i, as in the
//! lecture. The [`Trainer`](crate::Trainer) evaluates rows one at a time
//! ([`Loss::row`]) and divides the accumulated gradient by the number of rows
//! when it steps, so a step over several accumulated chunks still averages
//! over every row it saw.

mod binary_cross_entropy;
mod cross_entropy;
mod mean_squared;

pub use binary_cross_entropy::{BinaryCrossEntropy, SigmoidBinaryCrossEntropy};
pub use cross_entropy::{SoftTargetCrossEntropy, SoftmaxCrossEntropy};
pub use mean_squared::MeanSquaredError;

use crate::activation::Activation;
use crate::buffer::Row;
use crate::error::Error;

/// A loss over output rows of type `R` (`[f32; O]`).
pub trait Loss<R: Row> {
    /// What one row is compared with: a row of values, or a class label.
    type Target;

    /// The loss L_i of one row; writes dL_i/d(output) into `grad` (not
    /// divided by the batch size). `row` only labels errors.
    ///
    /// # Errors
    /// [`Error::NonFiniteTarget`], [`Error::LabelOutOfRange`] or
    /// [`Error::InvalidTarget`] for a bad target; [`Error::NonFiniteLoss`] if
    /// the output or the loss is not finite.
    fn row(&self, out: &R, target: &Self::Target, grad: &mut R, row: usize) -> Result<f32, Error>;

    /// Whether the row is classified correctly, for losses where that means
    /// something (`None` for regression).
    fn correct(&self, _out: &R, _target: &Self::Target) -> Option<bool> {
        None
    }

    /// Mean loss over a batch and its gradient, dL/d(output) = (1/b) dL_i/d(output).
    ///
    /// ```
    /// use microprop::{Loss, MeanSquaredError};
    /// let outs = [[1.0_f32], [3.0]];
    /// let targets = [[0.0_f32], [3.0]];
    /// let mut grads = [[0.0_f32]; 2];
    /// let loss = MeanSquaredError.batch(&outs, &targets, &mut grads).unwrap();
    /// assert_eq!(loss, 0.5); // (1² + 0²) / 2
    /// assert_eq!(grads, [[1.0], [0.0]]); // 2 (o - y) / b
    /// ```
    ///
    /// # Errors
    /// As [`Loss::row`], plus [`Error::EmptyBatch`] and
    /// [`Error::RowCountMismatch`]. `grads` may be partly written on error.
    fn batch(&self, outs: &[R], targets: &[Self::Target], grads: &mut [R]) -> Result<f32, Error> {
        if outs.is_empty() {
            return Err(Error::EmptyBatch);
        }
        if targets.len() != outs.len() || grads.len() != outs.len() {
            return Err(Error::RowCountMismatch {
                inputs: outs.len(),
                targets: targets.len(),
            });
        }
        let inv_b = 1.0 / outs.len() as f32;
        let mut sum = 0.0;
        for (row, ((out, target), grad)) in
            outs.iter().zip(targets).zip(grads.iter_mut()).enumerate()
        {
            sum += self.row(out, target, grad, row)?;
            grad.as_mut_slice().iter_mut().for_each(|g| *g *= inv_b);
        }
        Ok(sum * inv_b)
    }
}

/// Marks a loss as valid behind output activation `A`.
///
/// The fused losses expect logits, so they accept only an
/// [`Identity`](crate::Identity) output: a network ending in
/// [`Softmax`](crate::Softmax) cannot be trained with
/// [`SoftmaxCrossEntropy`] (it would apply softmax twice); that is a compile
/// error, not a silent mistake.
pub trait AcceptsActivation<A: Activation> {}

/// Index of the largest value (the first one on ties; 0 for an empty slice).
///
/// ```
/// assert_eq!(microprop::argmax(&[0.1, 0.7, 0.2]), 1);
/// ```
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    let mut best_value = f32::NEG_INFINITY;
    for (i, &v) in values.iter().enumerate() {
        if v > best_value {
            best = i;
            best_value = v;
        }
    }
    best
}

/// Checks that `out` is finite and `loss` is; maps failure to
/// [`Error::NonFiniteLoss`].
fn finite_loss(loss: f32, out: &[f32], row: usize) -> Result<f32, Error> {
    if loss.is_finite() && crate::buffer::all_finite(out) {
        Ok(loss)
    } else {
        Err(Error::NonFiniteLoss { row })
    }
}
