//! The loss of a run-time network, chosen at run time, and its targets.

use crate::activation::ActivationKind;
use crate::error::{Buffer, Error};
use crate::loss::{
    BinaryCrossEntropy, MeanSquaredError, SigmoidBinaryCrossEntropy, SoftTargetCrossEntropy,
    SoftmaxCrossEntropy, argmax,
};

/// Which loss a run-time [`Trainer`](super::Trainer) minimises: the same
/// code as the loss types of the same names (same bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LossKind {
    /// [`MeanSquaredError`]: value targets, any output activation.
    MeanSquaredError,
    /// [`SoftmaxCrossEntropy`]: class labels, identity (logit) outputs.
    SoftmaxCrossEntropy,
    /// [`SigmoidBinaryCrossEntropy`]: value targets in [0, 1], identity
    /// (logit) outputs.
    SigmoidBinaryCrossEntropy,
    /// [`SoftTargetCrossEntropy`]: one probability row per row (soft labels,
    /// label smoothing, distillation), identity (logit) outputs.
    SoftTargetCrossEntropy,
    /// [`BinaryCrossEntropy`]: value targets in [0, 1], sigmoid
    /// (probability) outputs.
    BinaryCrossEntropy,
}

/// The targets of a batch: one label per row, or one row of values per row
/// (`rows · outputs` floats, row after row).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Targets<'t> {
    /// Class labels, for [`LossKind::SoftmaxCrossEntropy`].
    Labels(&'t [usize]),
    /// Value rows, for every loss but
    /// [`LossKind::SoftmaxCrossEntropy`].
    Values(&'t [f32]),
}

impl LossKind {
    /// Checks that the loss can follow an output activation (the run-time
    /// form of [`AcceptsActivation`](crate::AcceptsActivation)).
    ///
    /// # Errors
    /// [`Error::LossMismatch`] for a loss on logits behind anything but
    /// identity, or [`LossKind::BinaryCrossEntropy`] behind anything but a
    /// sigmoid.
    ///
    /// ```
    /// use microprop::ActivationKind;
    /// use microprop::dynamic::LossKind;
    /// assert!(LossKind::BinaryCrossEntropy.check_output(ActivationKind::Sigmoid).is_ok());
    /// assert!(LossKind::BinaryCrossEntropy.check_output(ActivationKind::Identity).is_err());
    /// assert!(LossKind::SoftTargetCrossEntropy.check_output(ActivationKind::Relu).is_err());
    /// ```
    pub fn check_output(self, activation: ActivationKind) -> Result<(), Error> {
        match (self, activation) {
            (LossKind::MeanSquaredError, _)
            | (LossKind::BinaryCrossEntropy, ActivationKind::Sigmoid)
            | (
                LossKind::SoftmaxCrossEntropy
                | LossKind::SigmoidBinaryCrossEntropy
                | LossKind::SoftTargetCrossEntropy,
                ActivationKind::Identity,
            ) => Ok(()),
            _ => Err(Error::LossMismatch),
        }
    }

    /// Rows in `targets` for a network of `outputs` outputs.
    ///
    /// # Errors
    /// [`Error::LossMismatch`] for labels given to a value loss or the other
    /// way round; [`Error::BufferLength`] for value rows that do not divide
    /// into rows of `outputs`.
    pub(crate) fn rows(self, targets: Targets<'_>, outputs: usize) -> Result<usize, Error> {
        match (self, targets) {
            (LossKind::SoftmaxCrossEntropy, Targets::Labels(labels)) => Ok(labels.len()),
            (
                LossKind::MeanSquaredError
                | LossKind::SigmoidBinaryCrossEntropy
                | LossKind::SoftTargetCrossEntropy
                | LossKind::BinaryCrossEntropy,
                Targets::Values(values),
            ) => {
                let rows = values.len().checked_div(outputs).unwrap_or(0);
                if rows * outputs == values.len() {
                    Ok(rows)
                } else {
                    Err(Error::BufferLength {
                        buffer: Buffer::Targets,
                        needed: (rows + 1) * outputs,
                        given: values.len(),
                    })
                }
            }
            _ => Err(Error::LossMismatch),
        }
    }

    /// The loss of row `row` of `targets` for the output row `out`; writes
    /// dL/d(output) to `grad`. Also says whether the row is classified
    /// correctly (`None` for regression).
    pub(crate) fn row(
        self,
        out: &[f32],
        targets: Targets<'_>,
        grad: &mut [f32],
        row: usize,
    ) -> Result<(f32, Option<bool>), Error> {
        let width = out.len();
        match (self, targets) {
            (LossKind::SoftmaxCrossEntropy, Targets::Labels(labels)) => {
                let label = labels.get(row).copied().ok_or(Error::LossMismatch)?;
                let loss = SoftmaxCrossEntropy.row_label(out, label, grad, row)?;
                Ok((loss, Some(argmax(out) == label)))
            }
            (LossKind::MeanSquaredError, Targets::Values(values)) => {
                let target = row_of(values, width, row).ok_or(Error::LossMismatch)?;
                Ok((MeanSquaredError.row_values(out, target, grad, row)?, None))
            }
            (LossKind::SigmoidBinaryCrossEntropy, Targets::Values(values)) => {
                let target = row_of(values, width, row).ok_or(Error::LossMismatch)?;
                let loss = SigmoidBinaryCrossEntropy.row_values(out, target, grad, row)?;
                Ok((
                    loss,
                    Some(SigmoidBinaryCrossEntropy::correct_values(out, target)),
                ))
            }
            (LossKind::SoftTargetCrossEntropy, Targets::Values(values)) => {
                let target = row_of(values, width, row).ok_or(Error::LossMismatch)?;
                let loss = SoftTargetCrossEntropy.row_values(out, target, grad, row)?;
                Ok((loss, Some(argmax(out) == argmax(target))))
            }
            (LossKind::BinaryCrossEntropy, Targets::Values(values)) => {
                let target = row_of(values, width, row).ok_or(Error::LossMismatch)?;
                let loss = BinaryCrossEntropy.row_values(out, target, grad, row)?;
                Ok((loss, Some(BinaryCrossEntropy::correct_values(out, target))))
            }
            _ => Err(Error::LossMismatch),
        }
    }
}

/// Row `row` of `width` values in `values`.
fn row_of(values: &[f32], width: usize, row: usize) -> Option<&[f32]> {
    let start = row.checked_mul(width)?;
    values.get(start..start.checked_add(width)?)
}
