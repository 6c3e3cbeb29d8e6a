//! A model measured on rows (loss and accuracy, as the trainer scores
//! them) and run on rows (its outputs), over buffers of its own.

use anyhow::{Result, anyhow};
use microprop::dynamic::{Buffers, FlatOptimizer, Network, Trainer};
use microprop::{EpochStats, Sgd};

use super::OwnModel;
use super::rows::{Rows, Staged};
use crate::options::BUFFER;

/// Loss and accuracy of `net` on rows `indices` of `rows`, in chunks of
/// [`BUFFER`] rows in the given order, as the built-in models'
/// `report::evaluate` scores them (the same bits). The trainer's
/// gradient sum and optimizer state are not touched.
///
/// # Errors
/// If a row is refused (non-finite input, bad target).
pub fn measure<O: FlatOptimizer>(
    trainer: &mut Trainer<'_, O>,
    net: &Network<'_>,
    rows: &Rows<'_>,
    indices: &[usize],
    staged: &mut Staged,
) -> Result<EpochStats> {
    let mut stats = EpochStats::new();
    for chunk in indices.chunks(BUFFER) {
        rows.read(chunk.iter().copied(), staged);
        let step = trainer
            .evaluate(net, &staged.x, staged.targets())
            .map_err(|e| anyhow!("evaluation failed: {e}"))?;
        stats.add(&step);
    }
    Ok(stats)
}

/// The buffers to measure a model with an SGD trainer of its own (no
/// optimizer state).
#[derive(Debug, Clone, Default)]
pub struct Evaluator {
    gradients: Vec<f32>,
    cache: Vec<f32>,
    winners: Vec<u8>,
    staged: Staged,
}

impl Evaluator {
    /// Loss and accuracy of `model` on rows `indices` of `rows`.
    ///
    /// # Errors
    /// If the model is malformed or a row is refused.
    pub fn measure(
        &mut self,
        model: &mut OwnModel,
        rows: &Rows<'_>,
        indices: &[usize],
    ) -> Result<EpochStats> {
        let loss = model.task.loss();
        let mut net = model.network()?;
        let topology = net.topology();
        self.gradients.resize(topology.params_len(), 0.0);
        self.cache
            .resize(topology.cache_len(BUFFER).unwrap_or(0), 0.0);
        self.winners
            .resize(topology.winners_len(BUFFER).unwrap_or(0), 0);
        let buffers = Buffers {
            gradients: &mut self.gradients,
            optimizer_state: &mut [],
            cache: &mut self.cache,
            winners: &mut self.winners,
        };
        let mut trainer =
            Trainer::new(topology, buffers, BUFFER, loss, Sgd).map_err(|e| anyhow!("{e}"))?;
        let net = &mut net;
        measure(&mut trainer, net, rows, indices, &mut self.staged)
    }
}

/// Runs a model on one row at a time: scales it, runs the network, and
/// for regression undoes the target scaling.
#[derive(Debug, Clone)]
pub struct Predictor {
    model: OwnModel,
    scratch: Vec<f32>,
    winners: Vec<u8>,
    x: Vec<f32>,
    out: Vec<f32>,
}

impl Predictor {
    /// A predictor for `model`.
    ///
    /// # Errors
    /// If the model's layer list is invalid.
    pub fn new(model: OwnModel) -> Result<Self> {
        let topology = model.topology()?;
        let (scratch, winners, out) = (
            topology.scratch_len(),
            topology.scratch_winners_len(),
            topology.outputs(),
        );
        Ok(Predictor {
            model,
            scratch: vec![0.0; scratch],
            winners: vec![0; winners],
            x: Vec::new(),
            out: vec![0.0; out],
        })
    }

    /// The model.
    pub fn model(&self) -> &OwnModel {
        &self.model
    }

    /// The outputs for one raw row (the model's features in its order):
    /// logits for a classifier, the target in its units for regression.
    ///
    /// # Errors
    /// If the row has the wrong width or a non-finite value.
    pub fn outputs(&mut self, raw: &[f32]) -> Result<&[f32]> {
        self.x.clear();
        self.x.extend_from_slice(raw);
        if let Some(s) = &self.model.input {
            s.apply(&mut self.x);
        }
        let net = self.model.network()?;
        net.predict(&self.x, &mut self.scratch, &mut self.winners, &mut self.out)
            .map_err(|e| anyhow!("{e}"))?;
        if let super::OwnTask::Regress { target: Some(t) } = &self.model.task {
            t.invert(&mut self.out);
        }
        Ok(&self.out)
    }
}
