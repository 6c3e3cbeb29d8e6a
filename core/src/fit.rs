//! The training loop over a data set: gradient-descent modes, epochs,
//! shuffling, schedules and stopping criteria.

use core::ops::ControlFlow;

use crate::buffer::{Zeroed, prefix, prefix_mut};
use crate::dataset::Dataset;
use crate::error::Error;
use crate::layer::Layer;
use crate::loss::{AcceptsActivation, Loss};
use crate::normalize::Normalizer;
use crate::optim::Optimizer;
use crate::schedule::Schedule;
use crate::shuffle::Permutation;
use crate::stats::EpochStats;
use crate::trainer::{StepReport, Trainer};

/// How many rows one optimizer step averages over.
///
/// An iteration is one step; an epoch is one pass over all n samples. For
/// n = 100: `Full` takes 1 iteration per epoch, `MiniBatch(10)` 10 and
/// `Stochastic` 100. Steps over more rows than the trainer's buffer `B`
/// accumulate chunks of `B` rows and then step once.
///
/// ```
/// use microprop::BatchMode;
/// assert_eq!(BatchMode::Full.iterations_per_epoch(100), 1);
/// assert_eq!(BatchMode::MiniBatch(10).iterations_per_epoch(100), 10);
/// assert_eq!(BatchMode::Stochastic.iterations_per_epoch(100), 100);
/// assert_eq!(BatchMode::MiniBatch(32).iterations_per_epoch(100), 4); // last one has 4 rows
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum BatchMode {
    /// Full-batch gradient descent: every sample, one step per epoch.
    Full,
    /// Mini-batch gradient descent with this many rows per step.
    MiniBatch(usize),
    /// Stochastic gradient descent: one row per step.
    Stochastic,
}

impl BatchMode {
    /// Rows per step for a data set of `n` samples (at least 1).
    pub fn rows_per_step(self, n: usize) -> usize {
        match self {
            BatchMode::Full => n,
            BatchMode::MiniBatch(rows) => rows.min(n),
            BatchMode::Stochastic => 1,
        }
        .max(1)
    }

    /// Optimizer steps in one epoch over `n` samples.
    pub fn iterations_per_epoch(self, n: usize) -> usize {
        n.div_ceil(self.rows_per_step(n))
    }
}

/// Stop early when the loss has not improved by `min_delta` for `epochs`
/// epochs in a row.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Patience {
    /// Epochs without improvement tolerated.
    pub epochs: u32,
    /// Smallest decrease that counts as an improvement.
    pub min_delta: f32,
}

/// When training stops. `max_epochs` always applies; the others are off
/// when `None`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Stopping {
    /// Upper bound on epochs.
    pub max_epochs: u32,
    /// Upper bound on iterations (optimizer steps).
    pub max_iterations: Option<u32>,
    /// Stop when |∇L| falls below this (the gradient is ~0).
    pub min_grad_norm: Option<f32>,
    /// Stop when |w(k+1) − w(k)| falls below this (the weights stopped moving).
    pub min_weight_change: Option<f32>,
    /// Stop when the epoch loss stopped decreasing.
    pub patience: Option<Patience>,
}

impl Stopping {
    /// Only the epoch bound.
    pub const fn epochs(max_epochs: u32) -> Self {
        Stopping {
            max_epochs,
            max_iterations: None,
            min_grad_norm: None,
            min_weight_change: None,
            patience: None,
        }
    }
}

/// Which criterion ended a [`fit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum StopReason {
    /// `max_epochs` reached.
    MaxEpochs,
    /// `max_iterations` reached.
    MaxIterations,
    /// The gradient norm fell below `min_grad_norm`.
    GradientNorm,
    /// The weight change fell below `min_weight_change`.
    WeightChange,
    /// The loss did not improve for `patience.epochs` epochs.
    NoImprovement,
    /// The epoch callback of [`fit_with`] asked to stop.
    Requested,
}

/// How to run [`fit`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitConfig<S, const D: usize> {
    /// Rows per step.
    pub mode: BatchMode,
    /// Learning rate per step.
    pub schedule: S,
    /// Shuffle the sample order every epoch with
    /// `Permutation::new(n, seed ^ (epoch << 32))` (storage-free); `None` =
    /// data order.
    pub shuffle_seed: Option<u64>,
    /// When to stop.
    pub stopping: Stopping,
    /// Scaling applied to every input row as it is read.
    pub normalizer: Option<Normalizer<[f32; D]>>,
}

/// What [`fit`] reports after every epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EpochReport {
    /// Epoch number, from 0.
    pub epoch: u32,
    /// Iterations (steps) taken so far in the whole run.
    pub iterations: u32,
    /// Loss and accuracy over the epoch's rows (each measured before the
    /// step that used it).
    pub stats: EpochStats,
    /// The last step of the epoch.
    pub last_step: StepReport,
}

/// How a [`fit`] ended.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct FitReport {
    /// The criterion that stopped it.
    pub reason: StopReason,
    /// Epochs run (the last one may be partial if an iteration criterion fired).
    pub epochs: u32,
    /// Iterations (optimizer steps) taken.
    pub iterations: u32,
    /// Statistics of the last epoch.
    pub last: EpochStats,
    /// Lowest epoch loss seen, and the epoch (from 0) it was seen in.
    pub best_loss: f32,
    /// The epoch of `best_loss`.
    pub best_epoch: u32,
    /// Whether the weights were restored to those of `best_epoch`.
    pub restored_best: bool,
    /// The last optimizer step (its learning rate and norms).
    pub last_step: StepReport,
}

/// The staging rows [`fit`] reads samples into: `B` inputs and targets.
/// Caller-owned, so it can be a `static`.
pub struct FitBuffers<I, T, const B: usize> {
    /// Input rows.
    pub inputs: [I; B],
    /// Targets.
    pub targets: [T; B],
}

impl<I: Zeroed + Copy, T: Zeroed + Copy, const B: usize> FitBuffers<I, T, B> {
    /// Zeroed buffers. Usable in `const`.
    pub const fn new() -> Self {
        FitBuffers {
            inputs: [I::ZERO; B],
            targets: [T::ZERO; B],
        }
    }
}

impl<T: Copy, const D: usize, const B: usize> FitBuffers<[f32; D], T, B> {
    /// Reads samples `position..position + rows` (through `order` if given)
    /// into the first `rows` rows, scaling inputs with `normalizer`.
    fn read<Data: Dataset<Input = [f32; D], Target = T>>(
        &mut self,
        data: &Data,
        position: usize,
        rows: usize,
        order: Option<&Permutation>,
        normalizer: Option<&Normalizer<[f32; D]>>,
    ) -> Result<(&[[f32; D]], &[T]), Error> {
        let inputs = prefix_mut(&mut self.inputs, rows);
        let targets = prefix_mut(&mut self.targets, rows);
        for (offset, (x, y)) in inputs.iter_mut().zip(targets.iter_mut()).enumerate() {
            let index = order.map_or(position + offset, |p| p.index(position + offset));
            *y = data
                .sample(index, x)
                .ok_or(Error::SampleUnavailable { index })?;
            if let Some(normalizer) = normalizer {
                normalizer.apply(x);
            }
        }
        Ok((prefix(&self.inputs, rows), prefix(&self.targets, rows)))
    }
}

impl<I: Zeroed + Copy, T: Zeroed + Copy, const B: usize> Default for FitBuffers<I, T, B> {
    fn default() -> Self {
        Self::new()
    }
}

/// Trains `net` on `data` until a stopping criterion fires.
///
/// Every epoch visits every sample once, in a fresh shuffled order if
/// `shuffle_seed` is set; steps cover `config.mode.rows_per_step(n)` rows
/// (the last one of an epoch may have fewer and averages over its real rows)
/// with the learning rate `schedule(trainer.steps())`. `on_epoch` sees each
/// epoch's report (progress bars, logs).
///
/// With [`Stopping::patience`] set and `best` given, `best` receives a copy of
/// the weights at each new best epoch loss and they are copied back when
/// patience runs out (the extra memory is `size_of::<N>()`, the network).
///
/// # Errors
/// [`Error::EmptyBatch`] for an empty data set,
/// [`Error::SampleUnavailable`], or any error of the training step; the
/// network is as the last successful step left it.
pub fn fit<N, L, O, Data, S, const B: usize, const D: usize>(
    net: &mut N,
    trainer: &mut Trainer<N, L, O, B>,
    data: &Data,
    config: &FitConfig<S, D>,
    buffers: &mut FitBuffers<[f32; D], L::Target, B>,
    best: Option<&mut N>,
    mut on_epoch: impl FnMut(&EpochReport),
) -> Result<FitReport, Error>
where
    N: Layer<Input = [f32; D]> + Clone,
    L: Loss<N::Output> + AcceptsActivation<N::OutputActivation>,
    L::Target: Copy,
    O: Optimizer,
    Data: Dataset<Input = [f32; D], Target = L::Target>,
    S: Schedule,
{
    fit_with(net, trainer, data, config, buffers, best, |report, _| {
        on_epoch(report);
        ControlFlow::Continue(())
    })
}

/// [`fit`] with an epoch callback that also sees the network (e.g. to
/// measure a validation set, log, or save a checkpoint) and can stop the run
/// by returning `ControlFlow::Break(())` ([`StopReason::Requested`]).
///
/// # Errors
/// As [`fit`].
pub fn fit_with<N, L, O, Data, S, const B: usize, const D: usize>(
    net: &mut N,
    trainer: &mut Trainer<N, L, O, B>,
    data: &Data,
    config: &FitConfig<S, D>,
    buffers: &mut FitBuffers<[f32; D], L::Target, B>,
    mut best: Option<&mut N>,
    mut on_epoch: impl FnMut(&EpochReport, &N) -> ControlFlow<()>,
) -> Result<FitReport, Error>
where
    N: Layer<Input = [f32; D]> + Clone,
    L: Loss<N::Output> + AcceptsActivation<N::OutputActivation>,
    L::Target: Copy,
    O: Optimizer,
    Data: Dataset<Input = [f32; D], Target = L::Target>,
    S: Schedule,
{
    let n = data.len();
    if n == 0 {
        return Err(Error::EmptyBatch);
    }
    let rows_per_step = config.mode.rows_per_step(n);
    let stopping = &config.stopping;
    let mut iterations = 0u32;
    let mut best_loss = f32::INFINITY;
    let mut best_epoch = 0u32;
    let mut last = EpochStats::new();
    let mut last_step = StepReport {
        learning_rate: 0.0,
        grad_norm: 0.0,
        change_norm: 0.0,
    };

    for epoch in 0..stopping.max_epochs {
        let order = config
            .shuffle_seed
            .map(|seed| Permutation::new(n, seed ^ (u64::from(epoch) << 32)));
        let mut stats = EpochStats::new();
        let mut position = 0;
        let mut stop = None;
        while position < n {
            let step_end = (position + rows_per_step).min(n);
            trainer.discard_gradients();
            while position < step_end {
                let rows = (step_end - position).min(B);
                let (x, y) = buffers.read(
                    data,
                    position,
                    rows,
                    order.as_ref(),
                    config.normalizer.as_ref(),
                )?;
                let step_stats = trainer.accumulate(net, x, y)?;
                stats.add(&step_stats);
                position += rows;
            }
            let lr = config.schedule.learning_rate(trainer.steps());
            last_step = trainer.step_measured(net, lr)?;
            iterations += 1;
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
            } else {
                None
            };
            if stop.is_some() {
                break;
            }
        }
        last = stats;
        let requested = on_epoch(
            &EpochReport {
                epoch,
                iterations,
                stats,
                last_step,
            },
            net,
        );
        if stop.is_none() && requested.is_break() {
            stop = Some(StopReason::Requested);
        }
        let loss = stats.mean_loss();
        let patience = stopping.patience;
        let min_delta = patience.map_or(0.0, |p| p.min_delta);
        if loss < best_loss - min_delta || epoch == 0 {
            best_loss = loss;
            best_epoch = epoch;
            if let Some(best) = best.as_deref_mut() {
                best.clone_from(net);
            }
        } else if stop.is_none() && patience.is_some_and(|p| epoch - best_epoch >= p.epochs) {
            stop = Some(StopReason::NoImprovement);
        }
        if let Some(reason) = stop {
            let restored_best = reason == StopReason::NoImprovement && best.is_some();
            if let (true, Some(best)) = (restored_best, best) {
                net.clone_from(best);
            }
            return Ok(FitReport {
                reason,
                epochs: epoch + 1,
                iterations,
                last,
                best_loss,
                best_epoch,
                restored_best,
                last_step,
            });
        }
    }
    Ok(FitReport {
        reason: StopReason::MaxEpochs,
        epochs: stopping.max_epochs,
        iterations,
        last,
        best_loss,
        best_epoch,
        restored_best: false,
        last_step,
    })
}

/// Mean loss and accuracy of `net` over every sample of `data`, read `B`
/// rows at a time through `buffers` and scaled by `normalizer` as [`fit`]
/// does. The gradient buffer is not touched.
///
/// # Errors
/// [`Error::EmptyBatch`] for an empty data set, [`Error::SampleUnavailable`],
/// and the errors of [`Trainer::evaluate`].
pub fn evaluate<N, L, O, Data, const B: usize, const D: usize>(
    net: &N,
    trainer: &mut Trainer<N, L, O, B>,
    data: &Data,
    normalizer: Option<&Normalizer<[f32; D]>>,
    buffers: &mut FitBuffers<[f32; D], L::Target, B>,
) -> Result<EpochStats, Error>
where
    N: Layer<Input = [f32; D]>,
    L: Loss<N::Output>,
    L::Target: Copy,
    O: Optimizer,
    Data: Dataset<Input = [f32; D], Target = L::Target>,
{
    let n = data.len();
    if n == 0 {
        return Err(Error::EmptyBatch);
    }
    let mut stats = EpochStats::new();
    let mut position = 0;
    while position < n {
        let rows = (n - position).min(B);
        let (x, y) = buffers.read(data, position, rows, None, normalizer)?;
        let step = trainer.evaluate(net, x, y)?;
        stats.add(&step);
        position += rows;
    }
    Ok(stats)
}
