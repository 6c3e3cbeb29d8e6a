//! The training loop of a run-time network: the steps of
//! [`microprop::Workspace::fit`] in the same order (per-epoch
//! [`Permutation`], chunks of [`BUFFER`] rows accumulated, one measured
//! step, the same stopping rules), so a model trains to the bits of the
//! const-generic network of its shape; plus a validation set scored after
//! every epoch, early stopping on its loss, and the best weights kept and
//! restored (what [`microprop::KeepBest`] does for the typed networks).

use std::ops::ControlFlow;

use anyhow::{Result, anyhow};
use microprop::dynamic::{Buffers, FlatOptimizer, LossKind, Network, Trainer};
use microprop::{
    BatchMode, EpochReport, EpochStats, FitReport, Permutation, Schedule, StepReport, StopReason,
    Stopping,
};

use super::evaluate::measure;
use super::rows::{Rows, Staged};
use crate::options::BUFFER;

/// How to train: the [`microprop::FitConfig`] of a run-time network (its
/// input scaling lives in [`Rows`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitSettings<S> {
    /// Rows per step.
    pub mode: BatchMode,
    /// Learning rate per step.
    pub schedule: S,
    /// Shuffle every epoch with `Permutation::new(n, seed ^ (epoch << 32))`.
    pub shuffle_seed: Option<u64>,
    /// When to stop. With a validation set, patience watches the
    /// validation loss; without, the epoch's training loss.
    pub stopping: Stopping,
}

/// The rows a run trains on and validates with.
#[derive(Debug, Clone, Copy)]
pub struct FitData<'a> {
    /// The file's rows, scaled as they are read.
    pub rows: Rows<'a>,
    /// Training rows, in the order an unshuffled epoch reads them.
    pub train: &'a [usize],
    /// Validation rows (empty: none).
    pub validation: &'a [usize],
}

/// One epoch as the loop reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochEvent {
    /// What [`microprop::Workspace::fit`] would report; `new_best` is
    /// about the loss patience watches.
    pub report: EpochReport,
    /// Loss and accuracy on the validation rows after the epoch.
    pub validation: Option<EpochStats>,
}

/// What a run-time training run calls back: after every optimizer step
/// with the step's mean loss, and after every epoch with the network's
/// parameters as the epoch left them. `Break` stops the run after that
/// step or epoch with [`StopReason::Requested`] (as
/// [`microprop::FitHooks`] do for the typed networks).
pub trait RunHooks {
    /// After every step.
    fn step(&mut self, loss: f32) -> ControlFlow<()> {
        let _ = loss;
        ControlFlow::Continue(())
    }

    /// After every epoch (a partial one too, when the run was stopped
    /// within it).
    fn epoch(&mut self, event: &EpochEvent, params: &[f32]) -> ControlFlow<()> {
        let _ = (event, params);
        ControlFlow::Continue(())
    }
}

/// A closure called after every epoch, for runs that watch nothing else.
impl<F: FnMut(&EpochEvent)> RunHooks for F {
    fn epoch(&mut self, event: &EpochEvent, _params: &[f32]) -> ControlFlow<()> {
        self(event);
        ControlFlow::Continue(())
    }
}

/// Trains `net` with `optimizer` on the training rows of `data`, scoring
/// its validation rows after every epoch (if any), and calls `hooks` after
/// every step and epoch. With patience, the weights of the best epoch are kept and,
/// when patience ends the run, put back ([`FitReport::restored_best`]).
///
/// # Errors
/// An empty training set, or a refused step (the message says why); the
/// network is then as the last successful step left it.
pub fn fit<O: FlatOptimizer, S: Schedule>(
    net: &mut Network<'_>,
    optimizer: O,
    loss: LossKind,
    data: &FitData<'_>,
    settings: &FitSettings<S>,
    mut hooks: impl RunHooks,
) -> Result<FitReport> {
    let FitData {
        rows,
        train,
        validation,
    } = *data;
    let n = train.len();
    if n == 0 {
        return Err(anyhow!("no training rows"));
    }
    let topology = net.topology();
    let params = topology.params_len();
    let mut gradients = vec![0.0; params];
    let mut state = vec![0.0; O::STATE_BUFFERS * params];
    let mut cache = vec![0.0; topology.cache_len(BUFFER).unwrap_or(0)];
    let mut winners = vec![0; topology.winners_len(BUFFER).unwrap_or(0)];
    let buffers = Buffers {
        gradients: &mut gradients,
        optimizer_state: &mut state,
        cache: &mut cache,
        winners: &mut winners,
    };
    let mut trainer = Trainer::new(topology, buffers, BUFFER, loss, optimizer)
        .map_err(|e| anyhow!("cannot train this network: {e}"))?;
    let mut staged = Staged::default();
    // The core's error stays the root cause, for callers that tell
    // divergence from other failures.
    let failed = |e: microprop::Error| anyhow::Error::new(e).context("training failed");

    let rows_per_step = settings.mode.rows_per_step(n);
    let stopping = &settings.stopping;
    let patience = stopping.patience;
    let min_delta = patience.map_or(0.0, |p| p.min_delta);
    let mut best: Option<Vec<f32>> = patience.map(|_| net.params().to_vec());
    let mut iterations = 0u32;
    let mut best_loss = f32::INFINITY;
    let mut best_epoch = 0u32;
    let mut last = EpochStats::new();
    let mut last_step = StepReport {
        learning_rate: 0.0,
        grad_norm: 0.0,
        change_norm: 0.0,
    };
    let mut reason = StopReason::MaxEpochs;
    let mut epochs = stopping.max_epochs;

    for epoch in 0..stopping.max_epochs {
        let order = settings
            .shuffle_seed
            .map(|seed| Permutation::new(n, seed ^ (u64::from(epoch) << 32)));
        let at = |i: usize| train[order.as_ref().map_or(i, |p| p.index(i))];
        let mut stats = EpochStats::new();
        let mut position = 0;
        let mut stop = None;
        while position < n {
            let step_end = (position + rows_per_step).min(n);
            let mut step_stats = EpochStats::new();
            while position < step_end {
                let chunk = (step_end - position).min(BUFFER);
                rows.read((position..position + chunk).map(at), &mut staged);
                let step = trainer
                    .accumulate(net, &staged.x, staged.targets())
                    .map_err(failed)?;
                stats.add(&step);
                step_stats.add(&step);
                position += chunk;
            }
            let lr = settings.schedule.learning_rate(trainer.steps());
            last_step = trainer.step_measured(net, lr).map_err(failed)?;
            iterations += 1;
            let requested = hooks.step(step_stats.mean_loss());
            stop = if stopping
                .min_grad_norm
                .is_some_and(|t| last_step.grad_norm < t)
            {
                Some(StopReason::GradientNorm)
            } else if stopping
                .min_weight_change
                .is_some_and(|t| last_step.change_norm < t)
            {
                Some(StopReason::WeightChange)
            } else if stopping.max_iterations.is_some_and(|t| iterations >= t) {
                Some(StopReason::MaxIterations)
            } else if requested.is_break() {
                Some(StopReason::Requested)
            } else {
                None
            };
            if stop.is_some() {
                break;
            }
        }
        last = stats;
        let validated = if validation.is_empty() {
            None
        } else {
            Some(measure(&mut trainer, net, &rows, validation, &mut staged)?)
        };
        let watched = validated.as_ref().unwrap_or(&stats).mean_loss();
        let new_best = watched < best_loss - min_delta || epoch == 0;
        if new_best {
            best_loss = watched;
            best_epoch = epoch;
            if let Some(copy) = &mut best {
                copy.copy_from_slice(net.params());
            }
        }
        let event = EpochEvent {
            report: EpochReport {
                epoch,
                iterations,
                stats,
                last_step,
                new_best,
            },
            validation: validated,
        };
        if hooks.epoch(&event, net.params()).is_break() && stop.is_none() {
            stop = Some(StopReason::Requested);
        }
        if stop.is_none() && !new_best && patience.is_some_and(|p| epoch - best_epoch >= p.epochs) {
            stop = Some(StopReason::NoImprovement);
        }
        if let Some(why) = stop {
            reason = why;
            epochs = epoch + 1;
            break;
        }
    }
    let mut restored_best = false;
    if reason == StopReason::NoImprovement
        && let Some(copy) = &best
    {
        net.params_mut().copy_from_slice(copy);
        restored_best = true;
    }
    Ok(FitReport {
        reason,
        epochs,
        iterations,
        last,
        best_loss,
        best_epoch,
        restored_best,
        last_step,
    })
}
