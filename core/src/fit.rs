//! What the training loop over a data set is told and what it reports:
//! gradient-descent modes, stopping criteria, the configuration of a run,
//! the per-step, per-epoch and final reports, and the staging rows samples
//! are read into. The loop itself is [`Workspace::fit`](crate::Workspace::fit).

use crate::buffer::{Row, Zeroed, prefix, prefix_mut};
use crate::dataset::Dataset;
use crate::error::Error;
use crate::normalize::Normalizer;
use crate::shuffle::Permutation;
use crate::stats::{EpochStats, StepStats};
use crate::trainer::StepReport;

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

/// Which criterion ended a [`Workspace::fit`](crate::Workspace::fit).
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
    /// A hook ([`FitHooks`](crate::FitHooks)) asked to stop.
    Requested,
}

/// How to run [`Workspace::fit`](crate::Workspace::fit) on rows of type
/// `X` (the network's `Layer::Input`) with the learning-rate schedule `S`.
///
/// ```
/// use microprop::{BatchMode, FitConfig, LrSchedule, Stopping, Warmup};
/// // A `const` (in flash on a device), like the firmware's digits job.
/// const CONFIG: FitConfig<Warmup<LrSchedule>, [f32; 64]> = FitConfig {
///     mode: BatchMode::MiniBatch(16),
///     schedule: Warmup::from_zero(30, LrSchedule::Constant(0.01)),
///     shuffle_seed: Some(11),
///     stopping: Stopping::epochs(20),
///     normalizer: None,
/// };
/// assert_eq!(CONFIG.mode.iterations_per_epoch(1437), 90);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitConfig<S, X> {
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
    pub normalizer: Option<Normalizer<X>>,
}

/// What [`Workspace::fit`](crate::Workspace::fit) reports after every
/// optimizer step (to [`FitHooks::step`](crate::FitHooks::step)).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StepEvent {
    /// Epoch number, from 0.
    pub epoch: u32,
    /// Iterations (steps) taken so far in the run, this one included.
    pub iteration: u32,
    /// Loss and accuracy of this step's rows, measured in the forward pass
    /// before the update: the per-step (mini-batch) loss. For a step over
    /// one chunk of at most `B` rows, the trainer's own statistics of it;
    /// over several, their row-weighted mean.
    pub stats: StepStats,
    /// The step: its learning rate and norms.
    pub step: StepReport,
}

/// What [`Workspace::fit`](crate::Workspace::fit) reports after every
/// epoch (to [`FitHooks::epoch`](crate::FitHooks::epoch)).
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
    /// This epoch's mean loss is the lowest so far: below the best before
    /// by more than [`Patience::min_delta`] (0 without patience), and
    /// always for epoch 0. [`KeepBest`](crate::KeepBest) copies the weights
    /// then.
    pub new_best: bool,
}

/// How a [`Workspace::fit`](crate::Workspace::fit) ended.
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
    /// Whether the weights were restored to those of `best_epoch` (by
    /// [`KeepBest`](crate::KeepBest), when patience ran out).
    pub restored_best: bool,
    /// The last optimizer step (its learning rate and norms).
    pub last_step: StepReport,
}

/// The staging rows samples are read into, `B` inputs and targets: part of
/// a [`Workspace`](crate::Workspace), and usable on its own as a batch
/// buffer. Caller-owned, so it can be a `static`.
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

impl<X: Row, T: Copy, const B: usize> FitBuffers<X, T, B> {
    /// Reads samples `position..position + rows` (through `order` if given)
    /// into the first `rows` rows, scaling inputs with `normalizer`.
    pub(crate) fn read<Data: Dataset<Input = X, Target = T>>(
        &mut self,
        data: &Data,
        position: usize,
        rows: usize,
        order: Option<&Permutation>,
        normalizer: Option<&Normalizer<X>>,
    ) -> Result<(&[X], &[T]), Error> {
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
