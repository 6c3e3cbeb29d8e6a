//! The run-time-shaped training step over caller-owned buffers.

use super::flat::FlatParams;
use super::loss::{LossKind, Targets};
use super::network::{Network, backward_inputs, backward_weights, check_len, forward_rows};
use super::optimizer::FlatOptimizer;
use super::topology::Topology;
use crate::buffer::{all_finite, chunks, chunks_mut};
use crate::error::{Buffer, Error};
use crate::layer::GradientMode;
use crate::optim::{SquaredChange, Unmeasured};
use crate::stats::StepStats;
use crate::trainer::{Phase, StepReport, check_rows, check_same_rows, step_context};

/// The caller-owned buffers of a run-time [`Trainer`], each of the length
/// its [`Topology`] names.
#[derive(Debug)]
pub struct Buffers<'b> {
    /// [`Topology::params_len`] floats.
    pub gradients: &'b mut [f32],
    /// [`FlatOptimizer::STATE_BUFFERS`] · [`Topology::params_len`] floats
    /// (empty for SGD), all zero for a fresh run.
    pub optimizer_state: &'b mut [f32],
    /// [`Topology::cache_len`]`(batch)` floats.
    pub cache: &'b mut [f32],
    /// [`Topology::winners_len`]`(batch)` bytes (empty without maxout).
    pub winners: &'b mut [u8],
}

/// [`Trainer`](crate::Trainer) for a network whose shape is known at run
/// time: the same phases (forward, loss, backward, step), the same errors,
/// and the same bits as the const-generic trainer of that shape, over
/// buffers the caller owns.
///
/// ```
/// use microprop::ActivationKind::{Identity, Tanh};
/// use microprop::dynamic::{Buffers, LayerSpec, LossKind, Network, Targets, Topology, Trainer};
/// use microprop::Sgd;
/// let layers = [LayerSpec::dense(4, Tanh), LayerSpec::dense(1, Identity)];
/// let topology = Topology::new(2, &layers).unwrap();
/// let mut params = [0.0; 17];
/// let mut net = Network::new(topology, &mut params).unwrap();
/// net.init(microprop::Init::Xavier, &mut microprop::init::seeded(1));
/// let (mut grads, mut cache) = ([0.0; 17], [0.0; 25]); // cache_len(4)
/// let buffers = Buffers { gradients: &mut grads, optimizer_state: &mut [], cache: &mut cache, winners: &mut [] };
/// let mut trainer = Trainer::new(topology, buffers, 4, LossKind::MeanSquaredError, Sgd).unwrap();
/// let x = [0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0];
/// let y = Targets::Values(&[0.0, 1.0, 1.0, 0.0]);
/// let first = trainer.train_step(&mut net, &x, y, 0.1).unwrap();
/// for _ in 0..2000 {
///     trainer.train_step(&mut net, &x, y, 0.1).unwrap();
/// }
/// assert!(trainer.evaluate(&net, &x, y).unwrap().loss < first.loss / 10.0);
/// ```
#[derive(Debug)]
pub struct Trainer<'b, O> {
    topology: Topology<'b>,
    buffers: Buffers<'b>,
    batch: usize,
    /// The loss.
    pub loss: LossKind,
    /// The optimizer and its hyperparameters.
    pub optimizer: O,
    /// Clip the mean gradient to this global L2 norm before each step;
    /// `None` = no clipping.
    pub max_grad_norm: Option<f32>,
    accumulated_rows: u32,
    steps: u32,
    phase: Phase,
}

impl<'b, O: FlatOptimizer> Trainer<'b, O> {
    /// A trainer for batches of up to `batch` rows.
    ///
    /// # Errors
    /// [`Error::BatchTooLarge`] for a batch of 0 rows or one whose cache
    /// size overflows, [`Error::BufferLength`] for a buffer of the wrong
    /// length, [`Error::LossMismatch`] for a fused loss behind an output
    /// activation other than identity.
    pub fn new(
        topology: Topology<'b>,
        buffers: Buffers<'b>,
        batch: usize,
        loss: LossKind,
        optimizer: O,
    ) -> Result<Self, Error> {
        let too_large = Error::BatchTooLarge {
            rows: batch,
            capacity: 0,
        };
        let (Some(cache), Some(winners)) = (topology.cache_len(batch), topology.winners_len(batch))
        else {
            return Err(too_large);
        };
        if batch == 0 {
            return Err(too_large);
        }
        let params = topology.params_len();
        check_len(Buffer::Gradients, params, buffers.gradients.len())?;
        let state = O::STATE_BUFFERS.checked_mul(params).ok_or(too_large)?;
        check_len(Buffer::OptimizerState, state, buffers.optimizer_state.len())?;
        check_len(Buffer::Cache, cache, buffers.cache.len())?;
        check_len(Buffer::Winners, winners, buffers.winners.len())?;
        if let Some(last) = topology.layers().last() {
            loss.check_output(last.activation)?;
        }
        Ok(Trainer {
            topology,
            buffers,
            batch,
            loss,
            optimizer,
            max_grad_norm: None,
            accumulated_rows: 0,
            steps: 0,
            phase: Phase::Idle,
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

    /// Rows whose gradients are accumulated and not yet applied.
    pub fn accumulated_rows(&self) -> u32 {
        self.accumulated_rows
    }

    /// The gradient buffer: the **sum** over accumulated rows of dL_i/dθ,
    /// not the mean loss's gradient (see
    /// [`Trainer::gradient_sum`](crate::Trainer::gradient_sum) and
    /// [`Trainer::mean_gradient`](crate::Trainer::mean_gradient)).
    pub fn gradient_sum(&self) -> &[f32] {
        self.buffers.gradients
    }

    /// The optimizer state, its parts back to back.
    pub fn optimizer_state(&self) -> &[f32] {
        self.buffers.optimizer_state
    }

    /// Mutable optimizer state (e.g. to restore it from a checkpoint).
    pub fn optimizer_state_mut(&mut self) -> &mut [f32] {
        self.buffers.optimizer_state
    }

    /// Clears the gradient buffer and any half-done step.
    pub fn zero_grad(&mut self) {
        self.buffers.gradients.fill(0.0);
        self.discard_gradients();
    }

    fn discard_gradients(&mut self) {
        self.accumulated_rows = 0;
        self.phase = Phase::Idle;
    }

    /// Rows in the flat batch `x`.
    fn rows_of(&self, x: &[f32]) -> Result<usize, Error> {
        let inputs = self.topology.inputs();
        let rows = x.len().checked_div(inputs).unwrap_or(0);
        if rows * inputs != x.len() {
            return Err(Error::BufferLength {
                buffer: Buffer::Input,
                needed: (rows + 1) * inputs,
                given: x.len(),
            });
        }
        Ok(rows)
    }

    /// The output rows region and the scratch row of the cache.
    fn split_cache(&mut self) -> (&mut [f32], &mut [f32]) {
        let outputs = self.batch * self.topology.units();
        self.buffers
            .cache
            .split_at_mut_checked(outputs)
            .unwrap_or((&mut [], &mut []))
    }

    /// Forward pass over `rows · inputs` floats (1..=batch rows), caching
    /// what backward needs. Returns the output rows.
    ///
    /// # Errors
    /// [`Error::BufferLength`] if `x` is not whole rows,
    /// [`Error::EmptyBatch`], [`Error::BatchTooLarge`],
    /// [`Error::NonFiniteInput`]. Nothing is computed then.
    pub fn forward(&mut self, net: &Network<'_>, x: &[f32]) -> Result<&[f32], Error> {
        self.phase = Phase::Idle;
        check_len(
            Buffer::Parameters,
            self.topology.params_len(),
            net.params().len(),
        )?;
        let rows = self.rows_of(x)?;
        check_rows(rows, self.batch)?;
        let inputs = self.topology.inputs();
        if let Some(row) = chunks(x, inputs).position(|r| !all_finite(r)) {
            return Err(Error::NonFiniteInput { row });
        }
        let (batch, topology) = (self.batch, self.topology);
        let params = net.params();
        let Buffers { cache, winners, .. } = &mut self.buffers;
        let (outputs, _) = cache
            .split_at_mut_checked(batch * topology.units())
            .unwrap_or((&mut [], &mut []));
        let mut last = (0, 0);
        for layer in topology.placed() {
            let units = layer.spec.units;
            let Some((before, rest)) = outputs.split_at_mut_checked(batch * layer.unit_offset)
            else {
                continue;
            };
            let source: &[f32] = if layer.index == 0 {
                x
            } else {
                let offset = batch * (layer.unit_offset - layer.inputs);
                before
                    .get(offset..offset + rows * layer.inputs)
                    .unwrap_or(&[])
            };
            let out = rest.get_mut(..rows * units).unwrap_or(&mut []);
            let winners = winners
                .get_mut(batch * layer.winner_offset..)
                .and_then(|w| w.get_mut(..rows * units))
                .unwrap_or(&mut []);
            forward_rows(params, &layer, source, out, winners);
            last = (batch * layer.unit_offset, rows * units);
        }
        self.phase = Phase::Forwarded { rows };
        let (outputs, _) = self.split_cache();
        Ok(outputs.get(last.0..last.0 + last.1).unwrap_or(&[]))
    }

    /// Loss of the rows of the last forward pass; with `keep_gradient`
    /// the cached outputs become dL/d(pre-activation).
    fn score(&mut self, targets: Targets<'_>, keep_gradient: bool) -> Result<StepStats, Error> {
        let Phase::Forwarded { rows } = self.phase else {
            return Err(Error::OutOfOrder);
        };
        self.phase = Phase::Idle;
        let target_rows = self.loss.rows(targets, self.topology.outputs())?;
        if target_rows != rows {
            return Err(Error::RowCountMismatch {
                inputs: rows,
                targets: target_rows,
            });
        }
        let (loss, batch, topology) = (self.loss, self.batch, self.topology);
        let Some(last) = topology.layer(topology.depth().saturating_sub(1)) else {
            return Err(Error::OutOfOrder);
        };
        let units = last.spec.units;
        let (outputs, scratch) = self.split_cache();
        let grad = scratch.get_mut(..units).unwrap_or(&mut []);
        let outputs = outputs
            .get_mut(batch * last.unit_offset..)
            .and_then(|o| o.get_mut(..rows * units))
            .unwrap_or(&mut []);
        let mut loss_sum = 0.0;
        let mut correct: Option<u32> = None;
        for (row, out) in chunks_mut(outputs, units).enumerate() {
            let (value, ok) = loss.row(out, targets, grad, row)?;
            loss_sum += value;
            if let Some(ok) = ok {
                correct = Some(correct.unwrap_or(0) + u32::from(ok));
            }
            if keep_gradient {
                super::activation::backward(&last.spec, out, grad);
                for (o, g) in out.iter_mut().zip(grad.iter()) {
                    *o = *g;
                }
            }
        }
        if keep_gradient {
            self.phase = Phase::Scored { rows };
        }
        Ok(StepStats {
            rows: rows as u32,
            loss: loss_sum / rows as f32,
            correct,
        })
    }

    /// Loss of the rows of the last [`Trainer::forward`]; turns the cached
    /// outputs into dL/d(pre-activation) for [`Trainer::backward`].
    ///
    /// # Errors
    /// [`Error::OutOfOrder`] without a preceding `forward`,
    /// [`Error::RowCountMismatch`], [`Error::LossMismatch`] and the target
    /// and loss errors of [`Loss::row`](crate::Loss::row).
    pub fn loss(&mut self, targets: Targets<'_>) -> Result<StepStats, Error> {
        self.score(targets, true)
    }

    /// Backpropagates the last [`Trainer::loss`] and adds each row's
    /// gradient to the buffer. `x` must be the rows given to `forward`.
    ///
    /// # Errors
    /// [`Error::OutOfOrder`] without a preceding `loss` over as many rows.
    pub fn backward(&mut self, net: &Network<'_>, x: &[f32]) -> Result<(), Error> {
        let rows = self.rows_of(x)?;
        match self.phase {
            Phase::Scored { rows: scored } if scored == rows => {}
            _ => return Err(Error::OutOfOrder),
        }
        self.phase = Phase::Idle;
        let mode = if self.accumulated_rows == 0 {
            GradientMode::Overwrite
        } else {
            GradientMode::Accumulate
        };
        let (batch, topology) = (self.batch, self.topology);
        let params = net.params();
        let outputs_len = batch * topology.units();
        let Buffers {
            gradients,
            cache,
            winners,
            ..
        } = &mut self.buffers;
        let (outputs, scratch) = cache
            .split_at_mut_checked(outputs_len)
            .unwrap_or((&mut [], &mut []));
        for layer in topology.placed().rev() {
            let units = layer.spec.units;
            let Some((before, rest)) = outputs.split_at_mut_checked(batch * layer.unit_offset)
            else {
                continue;
            };
            let dz = rest.get(..rows * units).unwrap_or(&[]);
            let layer_winners = winners
                .get(batch * layer.winner_offset..)
                .and_then(|w| w.get(..rows * units))
                .unwrap_or(&[]);
            if layer.index == 0 {
                // The first layer's input is the caller's batch; its input
                // gradient is not needed.
                backward_weights(params, &layer, x, dz, layer_winners, gradients, mode);
                continue;
            }
            let Some(previous) = topology.layer(layer.index - 1) else {
                continue;
            };
            let offset = batch * previous.unit_offset;
            let x_rows = before
                .get_mut(offset..offset + rows * layer.inputs)
                .unwrap_or(&mut []);
            backward_weights(params, &layer, x_rows, dz, layer_winners, gradients, mode);
            backward_inputs(
                params,
                &layer,
                x_rows,
                dz,
                layer_winners,
                &previous,
                scratch,
            );
        }
        self.accumulated_rows += rows as u32;
        Ok(())
    }

    /// Forward, loss and backward for one batch: adds its gradient to the
    /// buffer without updating the weights.
    ///
    /// # Errors
    /// As [`Trainer::forward`] and [`Trainer::loss`]; a rejected batch adds
    /// nothing to the gradient buffer.
    pub fn accumulate(
        &mut self,
        net: &Network<'_>,
        x: &[f32],
        targets: Targets<'_>,
    ) -> Result<StepStats, Error> {
        let rows = self.rows_of(x)?;
        check_same_rows(rows, self.loss.rows(targets, self.topology.outputs())?)?;
        self.forward(net, x)?;
        let stats = self.loss(targets)?;
        self.backward(net, x)?;
        Ok(stats)
    }

    /// Applies the mean of the accumulated gradients with learning rate
    /// `lr`.
    ///
    /// # Errors
    /// As [`Trainer::step`](crate::Trainer::step): the network, optimizer
    /// state and step count are then unchanged.
    pub fn step(&mut self, net: &mut Network<'_>, lr: f32) -> Result<(), Error> {
        self.apply_step(net, lr, false).map(|_| ())
    }

    /// [`Trainer::step`], also reporting the gradient and change norms.
    ///
    /// # Errors
    /// As [`Trainer::step`].
    pub fn step_measured(&mut self, net: &mut Network<'_>, lr: f32) -> Result<StepReport, Error> {
        self.apply_step(net, lr, true)
    }

    fn apply_step(
        &mut self,
        net: &mut Network<'_>,
        lr: f32,
        measure: bool,
    ) -> Result<StepReport, Error> {
        let topology = self.topology;
        check_len(
            Buffer::Parameters,
            topology.params_len(),
            net.params().len(),
        )?;
        let grads = FlatParams::new(self.buffers.gradients, topology);
        let (ctx, grad_norm) = step_context(
            &grads,
            self.accumulated_rows,
            self.steps,
            self.max_grad_norm,
            lr,
            measure,
        )?;
        let (params, state) = (net.params_mut(), &mut *self.buffers.optimizer_state);
        // The change norm is a serial sum over every parameter: only
        // computed when asked for.
        let change_norm = if measure {
            let squared =
                self.optimizer
                    .update_flat(params, topology, &grads, state, ctx, SquaredChange)?;
            crate::math::sqrt(squared)
        } else {
            self.optimizer
                .update_flat(params, topology, &grads, state, ctx, Unmeasured)?;
            f32::NAN
        };
        self.steps += 1;
        self.discard_gradients();
        Ok(StepReport {
            learning_rate: lr,
            grad_norm,
            change_norm,
        })
    }

    /// One complete training step on one batch.
    ///
    /// # Errors
    /// Any error of the phases; the network, optimizer state and step count
    /// are then unchanged.
    pub fn train_step(
        &mut self,
        net: &mut Network<'_>,
        x: &[f32],
        targets: Targets<'_>,
        lr: f32,
    ) -> Result<StepStats, Error> {
        self.discard_gradients();
        let stats = self.accumulate(net, x, targets)?;
        self.step(net, lr)?;
        Ok(stats)
    }

    /// Loss and accuracy of the network on a batch, without touching the
    /// gradient buffer.
    ///
    /// # Errors
    /// As [`Trainer::forward`] and [`Trainer::loss`].
    pub fn evaluate(
        &mut self,
        net: &Network<'_>,
        x: &[f32],
        targets: Targets<'_>,
    ) -> Result<StepStats, Error> {
        let rows = self.rows_of(x)?;
        check_same_rows(rows, self.loss.rows(targets, self.topology.outputs())?)?;
        self.forward(net, x)?;
        self.score(targets, false)
    }
}
