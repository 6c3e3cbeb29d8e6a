//! Models of any shape on the user's CSV: a run-time layer list
//! ([`microprop::dynamic`]) with everything needed to use it on a file
//! again: the feature names in order, the input (and regression target)
//! scaling, the class names, the task and the split of the training file.
//!
//! [`OwnModel`] is the model; [`rows`] stages a file's rows for the
//! network, [`evaluate`] measures a model on rows, [`fit`](mod@fit) is the
//! training loop (the same steps, in the same order, as
//! [`microprop::Workspace::fit`], so a run-time network trains to the bits
//! of the const-generic network of its shape), and [`file`](mod@file) and [`meta`]
//! are the model file.

pub mod evaluate;
pub mod file;
pub mod fit;
pub mod meta;
pub mod rows;

use anyhow::{Result, anyhow};
use microprop::ActivationKind;
use microprop::dynamic::{LayerSpec, LossKind, Network, Topology};

use crate::data::ColumnScaler;

pub use evaluate::{Evaluator, Predictor};
pub use file::{is_model_file, read_model, write_model};
pub use fit::{EpochEvent, FitData, FitSettings, RunHooks, fit};
pub use rows::{RowTargets, Rows};

/// What a model on the user's CSV predicts.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnTask {
    /// One of these classes (softmax + cross-entropy over one logit each),
    /// named as the label column writes them, in index order.
    Classify {
        /// The class names.
        classes: Vec<String>,
    },
    /// The label column's number (mean squared error on one output), with
    /// the scaling of the target the network was trained on, if any.
    Regress {
        /// Target scaling (the network predicts scaled targets).
        target: Option<ColumnScaler>,
    },
}

impl OwnTask {
    /// Outputs of the network.
    pub fn outputs(&self) -> usize {
        match self {
            OwnTask::Classify { classes } => classes.len(),
            OwnTask::Regress { .. } => 1,
        }
    }

    /// The loss it trains with.
    pub fn loss(&self) -> LossKind {
        match self {
            OwnTask::Classify { .. } => LossKind::SoftmaxCrossEntropy,
            OwnTask::Regress { .. } => LossKind::MeanSquaredError,
        }
    }

    /// "classify" or "regress".
    pub fn name(&self) -> &'static str {
        match self {
            OwnTask::Classify { .. } => "classify",
            OwnTask::Regress { .. } => "regress",
        }
    }

    /// The class names (empty for regression).
    pub fn classes(&self) -> &[String] {
        match self {
            OwnTask::Classify { classes } => classes,
            OwnTask::Regress { .. } => &[],
        }
    }

    /// The output layer for this task: one identity unit per output.
    pub fn output_layer(&self) -> LayerSpec {
        LayerSpec::dense(self.outputs(), ActivationKind::Identity)
    }
}

/// Which rows of which file trained, validated and tested a model: enough
/// to find the held-out rows again ([`crate::data::split_rows`] with the
/// seed and fractions) and to know the file (its SHA-256 and row count).
#[derive(Debug, Clone, PartialEq)]
pub struct SplitRecord {
    /// The training file as given to `train` (absolute when it could be
    /// resolved).
    pub file: String,
    /// SHA-256 of the training file's bytes.
    pub sha256: String,
    /// Rows of the training file.
    pub rows: usize,
    /// The shuffle's seed.
    pub seed: u64,
    /// Fraction of the rows held out for testing.
    pub test_fraction: f32,
    /// Fraction of the rows held out for validation.
    pub validation_fraction: f32,
    /// Held-out test rows.
    pub test_rows: usize,
    /// Validation rows.
    pub validation_rows: usize,
    /// [`crate::data::split::rows_digest`] of the test rows' indices.
    pub test_digest: String,
}

/// A trained model on the user's data: its layers and parameters, and what
/// it needs to read a file again.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnModel {
    /// Feature column names, in the order the network takes them.
    pub features: Vec<String>,
    /// The label column's name.
    pub label: String,
    /// What it predicts.
    pub task: OwnTask,
    /// Input scaling, fitted on the training rows.
    pub input: Option<ColumnScaler>,
    /// Every layer, the output layer last.
    pub layers: Vec<LayerSpec>,
    /// The parameters, in the layout of [`Network::params`].
    pub params: Vec<f32>,
    /// The split of the training file.
    pub split: SplitRecord,
    /// How it was trained, for people (optimizer, schedule, epochs): kept
    /// in the model file as it is.
    pub training: serde_json::Value,
}

impl OwnModel {
    /// The checked topology.
    ///
    /// # Errors
    /// If the layer list is not a valid network.
    pub fn topology(&self) -> Result<Topology<'_>> {
        topology(self.features.len(), &self.layers)
    }

    /// The network over this model's parameters.
    ///
    /// # Errors
    /// If the layer list is invalid or the parameters are not its length.
    pub fn network(&mut self) -> Result<Network<'_>> {
        let topology = topology(self.features.len(), &self.layers)?;
        Network::new(topology, &mut self.params).map_err(|e| anyhow!("{e}"))
    }

    /// Layer widths, e.g. `4-16-3`.
    pub fn shape(&self) -> String {
        std::iter::once(self.features.len())
            .chain(self.layers.iter().map(|l| l.units))
            .map(|w| w.to_string())
            .collect::<Vec<_>>()
            .join("-")
    }
}

/// [`Topology::new`] with the reason in words.
///
/// # Errors
/// Names the layer that is refused.
pub fn topology(inputs: usize, layers: &[LayerSpec]) -> Result<Topology<'_>> {
    Topology::new(inputs, layers).map_err(|e| anyhow!("invalid layer list: {e}"))
}
