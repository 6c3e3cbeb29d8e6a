//! The fused batch-1 step for run-time networks: no gradient buffer.

use super::loss::{LossKind, Targets};
use super::network::{Network, check_len, forward_rows, layer_params};
use super::optimizer::FlatOptimizer;
use super::topology::Topology;
use crate::buffer::all_finite;
use crate::error::{Buffer, Error};
use crate::kernel;
use crate::optim::{Gradient, StepContext, Unmeasured};
use crate::stats::StepStats;

/// The caller-owned buffers of a run-time [`FusedTrainer`].
#[derive(Debug)]
pub struct FusedBuffers<'b> {
    /// [`FlatOptimizer::STATE_BUFFERS`] · [`Topology::params_len`] floats,
    /// all zero for a fresh run.
    pub optimizer_state: &'b mut [f32],
    /// [`Topology::cache_len`]`(1)` floats: one output row and one dL/dZ
    /// row per layer.
    pub cache: &'b mut [f32],
}

/// [`FusedTrainer`](crate::FusedTrainer) for a network whose shape is known
/// at run time: one row a step, no gradient buffer, the same bits as the
/// const-generic fused step (and as [`Trainer`](super::Trainer) with batch
/// 1). Dense layers only.
///
/// ```
/// use microprop::ActivationKind::{Identity, Sigmoid};
/// use microprop::dynamic::{FusedBuffers, FusedTrainer, LayerSpec, LossKind, Network, Targets, Topology};
/// use microprop::Adam;
/// let layers = [LayerSpec::dense(4, Sigmoid), LayerSpec::dense(1, Identity)];
/// let topology = Topology::new(2, &layers).unwrap();
/// let mut params = [0.0; 17];
/// let mut net = Network::new(topology, &mut params).unwrap();
/// net.init(microprop::Init::Xavier, &mut microprop::init::seeded(1));
/// let (mut state, mut cache) = ([0.0; 34], [0.0; 10]);
/// let buffers = FusedBuffers { optimizer_state: &mut state, cache: &mut cache };
/// let mut trainer = FusedTrainer::new(topology, buffers, LossKind::MeanSquaredError, Adam::PYTORCH).unwrap();
/// let stats = trainer.train_step(&mut net, &[1.0, 0.0], Targets::Values(&[1.0]), 0.01).unwrap();
/// assert!(stats.loss.is_finite());
/// assert_eq!(trainer.steps(), 1);
/// ```
#[derive(Debug)]
pub struct FusedTrainer<'b, O> {
    topology: Topology<'b>,
    buffers: FusedBuffers<'b>,
    /// The loss.
    pub loss: LossKind,
    /// The optimizer and its hyperparameters.
    pub optimizer: O,
    steps: u32,
}

impl<'b, O: FlatOptimizer> FusedTrainer<'b, O> {
    /// A fused trainer over `buffers`.
    ///
    /// # Errors
    /// [`Error::InvalidLayer`] for a maxout layer (its gradient is not an
    /// outer product), [`Error::BufferLength`] for a buffer of the wrong
    /// length, [`Error::LossMismatch`] for a fused loss behind an output
    /// activation other than identity.
    pub fn new(
        topology: Topology<'b>,
        buffers: FusedBuffers<'b>,
        loss: LossKind,
        optimizer: O,
    ) -> Result<Self, Error> {
        if let Some(layer) = topology.layers().iter().position(|l| l.is_maxout()) {
            return Err(Error::InvalidLayer { layer });
        }
        let params = topology.params_len();
        let state = O::STATE_BUFFERS
            .checked_mul(params)
            .ok_or(Error::InvalidLayer { layer: 0 })?;
        check_len(Buffer::OptimizerState, state, buffers.optimizer_state.len())?;
        let cache = topology
            .cache_len(1)
            .ok_or(Error::InvalidLayer { layer: 0 })?;
        check_len(Buffer::Cache, cache, buffers.cache.len())?;
        if let Some(last) = topology.layers().last() {
            loss.check_output(last.activation)?;
        }
        Ok(FusedTrainer {
            topology,
            buffers,
            loss,
            optimizer,
            steps: 0,
        })
    }

    /// Optimizer steps taken so far.
    pub fn steps(&self) -> u32 {
        self.steps
    }

    /// Restores the step counter (e.g. after loading a checkpoint).
    pub fn set_steps(&mut self, steps: u32) {
        self.steps = steps;
    }

    /// The optimizer state, its parts back to back.
    pub fn optimizer_state(&self) -> &[f32] {
        self.buffers.optimizer_state
    }

    /// Mutable optimizer state (for restoring a checkpoint).
    pub fn optimizer_state_mut(&mut self) -> &mut [f32] {
        self.buffers.optimizer_state
    }

    /// One training step on one row (`x`: [`Topology::inputs`] floats;
    /// `target`: one label or one row of values).
    ///
    /// # Errors
    /// [`Error::BufferLength`], [`Error::NonFiniteInput`],
    /// [`Error::RowCountMismatch`] unless `target` holds one row,
    /// [`Error::LossMismatch`], the target and loss errors of
    /// [`Loss::row`](crate::Loss::row), [`Error::InvalidLearningRate`],
    /// [`Error::NonFiniteGradient`]: the network, optimizer state and step
    /// count are then unchanged.
    pub fn train_step(
        &mut self,
        net: &mut Network<'_>,
        x: &[f32],
        target: Targets<'_>,
        lr: f32,
    ) -> Result<StepStats, Error> {
        let topology = self.topology;
        check_len(
            Buffer::Parameters,
            topology.params_len(),
            net.params().len(),
        )?;
        check_len(Buffer::Input, topology.inputs(), x.len())?;
        let target_rows = self.loss.rows(target, topology.outputs())?;
        if target_rows != 1 {
            return Err(Error::RowCountMismatch {
                inputs: 1,
                targets: target_rows,
            });
        }
        if !all_finite(x) {
            return Err(Error::NonFiniteInput { row: 0 });
        }
        let units = topology.units();
        let (outputs, deltas) = self
            .buffers
            .cache
            .split_at_mut_checked(units)
            .unwrap_or((&mut [], &mut []));
        // Forward, one row.
        let params = net.params();
        for layer in topology.placed() {
            let Some((before, rest)) = outputs.split_at_mut_checked(layer.unit_offset) else {
                continue;
            };
            let source: &[f32] = if layer.index == 0 {
                x
            } else {
                before
                    .get(layer.unit_offset - layer.inputs..)
                    .unwrap_or(&[])
            };
            let out = rest.get_mut(..layer.spec.units).unwrap_or(&mut []);
            forward_rows(params, &layer, source, out, &mut []);
        }
        // Loss and the output layer's dL/dZ.
        let Some(last) = topology.layer(topology.depth().saturating_sub(1)) else {
            return Err(Error::OutOfOrder);
        };
        let range = last.unit_offset..last.unit_offset + last.spec.units;
        let (Some(out), Some(dz)) = (outputs.get(range.clone()), deltas.get_mut(range)) else {
            return Err(Error::OutOfOrder);
        };
        let (loss, correct) = self.loss.row(out, target, dz, 0)?;
        super::activation::backward(&last.spec, out, dz);
        // Every hidden layer's dL/dZ from the old weights, back to front.
        for layer in topology.placed().rev() {
            let Some(previous) = layer.index.checked_sub(1).and_then(|i| topology.layer(i)) else {
                continue;
            };
            let (Some((weights, _)), Some((front, back))) = (
                layer_params(params, &layer),
                deltas.split_at_mut_checked(layer.unit_offset),
            ) else {
                continue;
            };
            let dz = back.get(..layer.spec.units).unwrap_or(&[]);
            let range = previous.unit_offset..previous.unit_offset + previous.spec.units;
            let (Some(delta), Some(hidden)) = (front.get_mut(range.clone()), outputs.get(range))
            else {
                continue;
            };
            kernel::input_gradient(weights, dz, delta);
            super::activation::backward(&previous.spec, hidden, delta);
        }
        let ctx = StepContext {
            learning_rate: lr,
            grad_scale: 1.0,
            step: self.steps + 1,
        };
        let gradient = OuterProducts {
            topology,
            x,
            outputs,
            deltas,
        };
        self.optimizer.update_flat(
            net.params_mut(),
            topology,
            &gradient,
            self.buffers.optimizer_state,
            ctx,
            Unmeasured,
        )?;
        self.steps += 1;
        Ok(StepStats {
            rows: 1,
            loss,
            correct: correct.map(u32::from),
        })
    }
}

/// The gradient of one row: per layer, its input row ⊗ its dL/dZ row (the
/// weights) and `[1]` ⊗ dL/dZ (the biases).
struct OuterProducts<'a> {
    topology: Topology<'a>,
    x: &'a [f32],
    outputs: &'a [f32],
    deltas: &'a [f32],
}

/// `a = [1]` for a bias gradient.
const ONE: [f32; 1] = [1.0];

impl<'a> Gradient for OuterProducts<'a> {
    type Layout = super::flat::FlatParams<'a>;
    fn for_each_slice(&self, mut f: impl FnMut(&[f32], &[f32])) {
        for layer in self.topology.placed() {
            let input = if layer.index == 0 {
                self.x
            } else {
                let start = layer.unit_offset - layer.inputs;
                self.outputs.get(start..layer.unit_offset).unwrap_or(&[])
            };
            let range = layer.unit_offset..layer.unit_offset + layer.spec.units;
            let dz = self.deltas.get(range).unwrap_or(&[]);
            f(input, dz);
            f(&ONE, dz);
        }
    }
}
