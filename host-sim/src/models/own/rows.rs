//! A file's rows staged for the network: chosen by index, scaled, with
//! their targets, in chunks of the trainer's buffer.

use microprop::dynamic::Targets;

use crate::data::ColumnScaler;

/// Every row's target: a class index, or a (scaled) value.
#[derive(Debug, Clone, PartialEq)]
pub enum RowTargets {
    /// Class indices, one per row.
    Labels(Vec<usize>),
    /// Target values, one per row (scaled as the network learns them).
    Values(Vec<f32>),
}

/// The rows of a file as the network reads them: raw features, scaled on
/// the way in.
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    /// Every row's features, row after row (raw, as in the file).
    pub features: &'a [f32],
    /// Features per row.
    pub width: usize,
    /// Every row's target.
    pub targets: &'a RowTargets,
    /// Scaling applied to each row as it is read.
    pub scaler: Option<&'a ColumnScaler>,
}

/// Staging for up to a buffer of rows: inputs and targets.
#[derive(Debug, Clone, Default)]
pub struct Staged {
    /// Scaled inputs, row after row.
    pub x: Vec<f32>,
    labels: Vec<usize>,
    values: Vec<f32>,
    classes: bool,
}

impl Staged {
    /// The staged targets.
    pub fn targets(&self) -> Targets<'_> {
        if self.classes {
            Targets::Labels(&self.labels)
        } else {
            Targets::Values(&self.values)
        }
    }
}

impl Rows<'_> {
    /// Reads rows `indices` into `staged` (replacing what it held), each
    /// scaled.
    pub fn read(&self, indices: impl Iterator<Item = usize>, staged: &mut Staged) {
        staged.x.clear();
        staged.labels.clear();
        staged.values.clear();
        staged.classes = matches!(self.targets, RowTargets::Labels(_));
        for i in indices {
            let start = staged.x.len();
            let row = self
                .features
                .get(i * self.width..(i + 1) * self.width)
                .unwrap_or(&[]);
            staged.x.extend_from_slice(row);
            if let Some(s) = self.scaler {
                s.apply(&mut staged.x[start..]);
            }
            match self.targets {
                RowTargets::Labels(l) => staged.labels.push(l.get(i).copied().unwrap_or(0)),
                RowTargets::Values(v) => staged.values.push(v.get(i).copied().unwrap_or(0.0)),
            }
        }
    }
}
