//! One value holding everything a training run needs, and the loop over a
//! data set: fit, evaluate, predict.
//!
//! Contract: a [`Workspace`] owns the network, its [`Trainer`] (gradients,
//! caches, optimizer state) and `B` staging rows; nothing else is
//! allocated or kept on the stack in proportion to the model, so the whole
//! value can be one `static`. [`Workspace::fit`] reads samples from any
//! [`Dataset`] into the staging rows, scaled by the configured
//! [`Normalizer`], and trains until a [`Stopping`](crate::Stopping)
//! criterion or a hook ends it; [`Workspace::evaluate`] and
//! [`Workspace::predict`] read and scale rows the same way and leave the
//! weights, the gradient sum and the optimizer state alone. On an error
//! the network is as the last successful step left it.
//!
//! ```
//! use microprop::{network, BatchMode, Dense, FitConfig, Identity, Init, Layer, LrSchedule};
//! use microprop::{MeanSquaredError, Sgd, SliceDataset, Stopping, Tanh, Trainer, Workspace};
//! type Net = network![Dense<1, 8, Tanh>, Dense<8, 1, Identity>];
//! let x = [[-1.0], [-0.5], [0.0], [0.5], [1.0]];
//! let y = x.map(|[v]| [v * v]);
//! let data = SliceDataset::new(&x, &y).unwrap();
//!
//! let mut ws = Workspace::new(Net::ZERO, Trainer::<Net, _, _, 4>::new(MeanSquaredError, Sgd));
//! ws.net.init(Init::Xavier, &mut microprop::init::seeded(1));
//! let config = FitConfig {
//!     mode: BatchMode::Full,
//!     schedule: LrSchedule::Constant(0.2),
//!     shuffle_seed: None,
//!     stopping: Stopping::epochs(500),
//!     normalizer: None,
//! };
//! let before = ws.evaluate(&data, None)?;
//! let report = ws.fit(&data, &config, ())?;
//! assert_eq!(report.iterations, 500); // full batch: one step an epoch
//! assert!(ws.evaluate(&data, None)?.mean_loss() < before.mean_loss() / 10.0);
//! let [y_half] = *ws.predict(&[0.5], None)?;
//! assert!((y_half - 0.25).abs() < 0.1);
//! # Ok::<(), microprop::Error>(())
//! ```

use core::ops::ControlFlow;

use crate::buffer::Zeroed;
use crate::dataset::Dataset;
use crate::error::Error;
use crate::fit::{EpochReport, FitBuffers, FitConfig, FitReport, StepEvent, StopReason};
use crate::hooks::FitHooks;
use crate::layer::Layer;
use crate::loss::{AcceptsActivation, Loss};
use crate::normalize::Normalizer;
use crate::optim::Optimizer;
use crate::schedule::Schedule;
use crate::shuffle::Permutation;
use crate::stats::{EpochStats, StepStats};
use crate::trainer::{StepReport, Trainer};

/// The network `N`, its [`Trainer`] for loss `L`, optimizer `O` and
/// batches of up to `B` rows, and `B` staging rows: everything
/// [`Workspace::fit`], [`Workspace::evaluate`] and [`Workspace::predict`]
/// use. Usable in `const` and `static`; [`Workspace::ZEROED`] is all zero
/// bytes (`.bss` on an MCU).
pub struct Workspace<N: Layer, L: Loss<N::Output>, O: Optimizer, const B: usize> {
    /// The network being trained.
    pub net: N,
    /// Its training buffers, loss and optimizer.
    pub trainer: Trainer<N, L, O, B>,
    rows: FitBuffers<N::Input, L::Target, B>,
}

impl<N, L, O, const B: usize> Workspace<N, L, O, B>
where
    N: Layer,
    L: Loss<N::Output, Target: Zeroed + Copy>,
    O: Optimizer,
{
    /// `net` and `trainer` with zeroed staging rows. Usable in `const`.
    pub const fn new(net: N, trainer: Trainer<N, L, O, B>) -> Self {
        Workspace {
            net,
            trainer,
            rows: FitBuffers::new(),
        }
    }
}

impl<N, L, O, const B: usize> Workspace<N, L, O, B>
where
    N: Layer,
    L: Loss<N::Output, Target: Zeroed + Copy> + Zeroed,
    O: Optimizer + Zeroed,
{
    /// All zero bytes: a zero network and [`Trainer::ZEROED`] (set the
    /// optimizer's hyperparameters through `trainer.optimizer` before the
    /// first step, and initialise the network).
    pub const ZEROED: Self = Self::new(N::ZERO, Trainer::ZEROED);
}

impl<N, L, O, const B: usize> Workspace<N, L, O, B>
where
    N: Layer,
    L: Loss<N::Output, Target: Copy>,
    O: Optimizer,
{
    /// Mean loss and accuracy of the network over every sample of `data`,
    /// in data order, `B` rows at a time, each row scaled by `normalizer`
    /// as [`Workspace::fit`] scales it. Weights, gradient sum, optimizer
    /// state and step count are left as they were.
    ///
    /// # Errors
    /// [`Error::EmptyBatch`] for an empty data set,
    /// [`Error::SampleUnavailable`], and the errors of [`Trainer::evaluate`]
    /// (non-finite input, bad target, non-finite loss).
    pub fn evaluate<D>(
        &mut self,
        data: &D,
        normalizer: Option<&Normalizer<N::Input>>,
    ) -> Result<EpochStats, Error>
    where
        D: Dataset<Input = N::Input, Target = L::Target>,
    {
        let n = data.len();
        if n == 0 {
            return Err(Error::EmptyBatch);
        }
        let mut stats = EpochStats::new();
        let mut position = 0;
        while position < n {
            let rows = (n - position).min(B);
            let (x, y) = self.rows.read(data, position, rows, None, normalizer)?;
            stats.add(&self.trainer.evaluate(&self.net, x, y)?);
            position += rows;
        }
        Ok(stats)
    }

    /// The network's output for one row `x`, scaled by `normalizer` first
    /// (into a staging row: `x` is not changed). Runs the trainer's forward
    /// pass, so it needs no [`Inference`](crate::Inference) of its own.
    ///
    /// # Errors
    /// [`Error::NonFiniteInput`].
    pub fn predict(
        &mut self,
        x: &N::Input,
        normalizer: Option<&Normalizer<N::Input>>,
    ) -> Result<&N::Output, Error> {
        let Some(row) = self.rows.inputs.first_mut() else {
            return Err(Error::BatchTooLarge {
                rows: 1,
                capacity: B,
            });
        };
        *row = *x;
        if let Some(normalizer) = normalizer {
            normalizer.apply(row);
        }
        let out = self
            .trainer
            .forward(&self.net, core::slice::from_ref(row))?;
        out.first().ok_or(Error::EmptyBatch)
    }
}

impl<N, L, O, const B: usize> Workspace<N, L, O, B>
where
    N: Layer,
    L: Loss<N::Output, Target: Copy> + AcceptsActivation<N::OutputActivation>,
    O: Optimizer,
{
    /// Trains the network on `data` until a stopping criterion or a hook
    /// ends the run.
    ///
    /// Every epoch visits every sample once, in a fresh shuffled order if
    /// `config.shuffle_seed` is set; steps cover
    /// `config.mode.rows_per_step(n)` rows (accumulated `B` at a time; the
    /// last step of an epoch may have fewer and averages over its real
    /// rows) with the learning rate `config.schedule` gives for
    /// `trainer.steps()`. Step criteria (gradient norm, weight change,
    /// iterations) are checked after every step, patience and the epoch
    /// bound after every epoch. `hooks` sees every step and epoch
    /// ([`FitHooks`]); pass `()` for none, [`OnEpoch`](crate::OnEpoch) or
    /// [`OnStep`](crate::OnStep) for a closure, and
    /// [`KeepBest`](crate::KeepBest) to keep and restore the weights of the
    /// best epoch.
    ///
    /// # Errors
    /// [`Error::EmptyBatch`] for an empty data set,
    /// [`Error::SampleUnavailable`], or any error of the training step; the
    /// network is as the last successful step left it, and
    /// [`FitHooks::finish`] is not called.
    pub fn fit<D, S, H>(
        &mut self,
        data: &D,
        config: &FitConfig<S, N::Input>,
        mut hooks: H,
    ) -> Result<FitReport, Error>
    where
        D: Dataset<Input = N::Input, Target = L::Target>,
        S: Schedule,
        H: FitHooks<Self>,
    {
        let n = data.len();
        if n == 0 {
            return Err(Error::EmptyBatch);
        }
        let rows_per_step = config.mode.rows_per_step(n);
        let stopping = &config.stopping;
        let patience = stopping.patience;
        let min_delta = patience.map_or(0.0, |p| p.min_delta);
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
                self.trainer.discard_gradients();
                let mut chunks = StepTotals::new();
                while position < step_end {
                    let rows = (step_end - position).min(B);
                    let (x, y) = self.rows.read(
                        data,
                        position,
                        rows,
                        order.as_ref(),
                        config.normalizer.as_ref(),
                    )?;
                    let chunk = self.trainer.accumulate(&self.net, x, y)?;
                    stats.add(&chunk);
                    chunks.add(chunk);
                    position += rows;
                }
                let lr = config.schedule.learning_rate(self.trainer.steps());
                last_step = self.trainer.step_measured(&mut self.net, lr)?;
                iterations += 1;
                let requested = hooks.step(&StepEvent {
                    epoch,
                    iteration: iterations,
                    stats: chunks.stats(),
                    step: last_step,
                });
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
            let loss = stats.mean_loss();
            let new_best = loss < best_loss - min_delta || epoch == 0;
            if new_best {
                best_loss = loss;
                best_epoch = epoch;
            }
            let report = EpochReport {
                epoch,
                iterations,
                stats,
                last_step,
                new_best,
            };
            if hooks.epoch(&report, self).is_break() && stop.is_none() {
                stop = Some(StopReason::Requested);
            }
            if stop.is_none()
                && !new_best
                && patience.is_some_and(|p| epoch - best_epoch >= p.epochs)
            {
                stop = Some(StopReason::NoImprovement);
            }
            if let Some(reason) = stop {
                let mut report = FitReport {
                    reason,
                    epochs: epoch + 1,
                    iterations,
                    last,
                    best_loss,
                    best_epoch,
                    restored_best: false,
                    last_step,
                };
                hooks.finish(&mut report, self);
                return Ok(report);
            }
        }
        let mut report = FitReport {
            reason: StopReason::MaxEpochs,
            epochs: stopping.max_epochs,
            iterations,
            last,
            best_loss,
            best_epoch,
            restored_best: false,
            last_step,
        };
        hooks.finish(&mut report, self);
        Ok(report)
    }
}

/// The statistics of one step's chunks: the trainer's own for a single
/// chunk, the row-weighted mean of several.
struct StepTotals {
    chunks: u32,
    first: StepStats,
    totals: EpochStats,
}

impl StepTotals {
    fn new() -> Self {
        StepTotals {
            chunks: 0,
            first: StepStats {
                rows: 0,
                loss: 0.0,
                correct: None,
            },
            totals: EpochStats::new(),
        }
    }

    fn add(&mut self, chunk: StepStats) {
        if self.chunks == 0 {
            self.first = chunk;
        }
        self.chunks += 1;
        self.totals.add(&chunk);
    }

    fn stats(&self) -> StepStats {
        if self.chunks == 1 {
            self.first
        } else {
            StepStats {
                rows: self.totals.rows,
                loss: self.totals.mean_loss(),
                correct: self.totals.correct,
            }
        }
    }
}

/// Hooks that keep a copy of the network of the best epoch (lowest mean
/// loss, see [`EpochReport::new_best`]) in the network lent to them and,
/// when patience ends the run ([`StopReason::NoImprovement`]), copy it
/// back into the workspace and set [`FitReport::restored_best`]. The copy
/// costs one network, `size_of::<N>()`, and only callers who pass this pay
/// for it.
///
/// ```
/// use microprop::{network, BatchMode, Dense, FitConfig, Identity, KeepBest, Layer, LrSchedule};
/// use microprop::{MeanSquaredError, OnEpoch, Patience, Sgd, SliceDataset, Stopping, Trainer, Workspace};
/// type Net = network![Dense<1, 1, Identity>];
/// let (x, y) = ([[1.0], [2.0]], [[2.0], [4.0]]);
/// let data = SliceDataset::new(&x, &y).unwrap();
/// let mut ws = Workspace::new(Net::ZERO, Trainer::<Net, _, _, 2>::new(MeanSquaredError, Sgd));
/// let config = FitConfig {
///     mode: BatchMode::Full,
///     // Far too large: the loss grows after the first step.
///     schedule: LrSchedule::Constant(1.0),
///     shuffle_seed: None,
///     stopping: Stopping {
///         patience: Some(Patience { epochs: 2, min_delta: 0.0 }),
///         ..Stopping::epochs(100)
///     },
///     normalizer: None,
/// };
/// let mut best = Net::ZERO;
/// let mut epochs = 0;
/// let report = ws.fit(&data, &config, (KeepBest(&mut best), OnEpoch::new(|_| epochs += 1)))?;
/// assert!(report.restored_best);
/// assert_eq!((report.best_epoch, report.epochs, epochs), (0, 3, 3));
/// assert_eq!(ws.net, best);
/// # Ok::<(), microprop::Error>(())
/// ```
#[derive(Debug)]
pub struct KeepBest<'a, N>(pub &'a mut N);

impl<N, L, O, const B: usize> FitHooks<Workspace<N, L, O, B>> for KeepBest<'_, N>
where
    N: Layer + Clone,
    L: Loss<N::Output>,
    O: Optimizer,
{
    fn epoch(&mut self, report: &EpochReport, ws: &mut Workspace<N, L, O, B>) -> ControlFlow<()> {
        if report.new_best {
            self.0.clone_from(&ws.net);
        }
        ControlFlow::Continue(())
    }

    fn finish(&mut self, report: &mut FitReport, ws: &mut Workspace<N, L, O, B>) {
        if report.reason == StopReason::NoImprovement {
            ws.net.clone_from(self.0);
            report.restored_best = true;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::{
        BatchMode, Dense, Identity, Inference, Init, LrSchedule, MeanSquaredError, OnStep,
        Patience, Scaling, Sgd, SliceDataset, SoftmaxCrossEntropy, Stopping, Tanh,
    };

    type Net = crate::network![Dense<2, 6, Tanh>, Dense<6, 3, Identity>];
    type Ws<const B: usize> = Workspace<Net, SoftmaxCrossEntropy, Sgd, B>;

    const X: [[f32; 2]; 10] = [
        [0.1, 0.9],
        [0.8, -0.3],
        [-0.5, 0.5],
        [0.9, 0.9],
        [-0.7, -0.2],
        [0.3, -0.8],
        [0.0, 0.4],
        [-0.9, 0.7],
        [0.6, 0.1],
        [-0.2, -0.6],
    ];
    const Y: [usize; 10] = [0, 1, 2, 0, 2, 1, 0, 2, 1, 2];

    fn workspace<const B: usize>() -> Ws<B> {
        let mut ws = Ws::<B>::new(Net::ZERO, Trainer::new(SoftmaxCrossEntropy, Sgd));
        ws.net.init(Init::Xavier, &mut crate::init::seeded(8));
        ws
    }

    fn config(mode: BatchMode, epochs: u32) -> FitConfig<LrSchedule, [f32; 2]> {
        FitConfig {
            mode,
            schedule: LrSchedule::Constant(0.3),
            shuffle_seed: None,
            stopping: Stopping::epochs(epochs),
            normalizer: None,
        }
    }

    /// The step hook sees every step's own loss: the trainer's statistics
    /// of the step's rows, as a step taken by hand reports them.
    #[test]
    fn the_step_hook_reports_each_steps_loss() {
        let data = SliceDataset::new(&X, &Y).unwrap();
        let mut ws = workspace::<4>();
        let mut by_hand = workspace::<4>();
        let mut events = [None; 8];
        let mut count = 0;
        let hooks = OnStep::new(|e: &StepEvent| {
            events[count] = Some(*e);
            count += 1;
        });
        // Steps of 4, 4 and 2 rows over two epochs.
        let report = ws.fit(&data, &config(BatchMode::MiniBatch(4), 2), hooks);
        assert_eq!(report.map(|r| r.iterations), Ok(6));
        assert_eq!(count, 6);
        for (i, event) in events[..6].iter().enumerate() {
            let event = event.unwrap();
            let start = (i % 3) * 4;
            let end = (start + 4).min(10);
            let stats = by_hand
                .trainer
                .train_step(&mut by_hand.net, &X[start..end], &Y[start..end], 0.3)
                .unwrap();
            assert_eq!(event.stats, stats, "step {i}");
            assert_eq!(
                (event.epoch, event.iteration),
                ((i / 3) as u32, i as u32 + 1)
            );
            assert_eq!(event.step.learning_rate, 0.3);
        }
        assert_eq!(ws.net, by_hand.net);
    }

    /// A step over several chunks reports the row-weighted mean of their
    /// losses, and a hook's `Break` stops the run after that step.
    #[test]
    fn a_step_over_chunks_reports_their_mean_and_a_hook_can_stop() {
        let data = SliceDataset::new(&X, &Y).unwrap();
        let mut ws = workspace::<3>();
        let start = ws.net;
        let mut first = None;
        let hooks = OnStep::new(|e: &StepEvent| {
            first.get_or_insert(*e);
        });
        let stop_after_one = (hooks, StopAfter(1));
        let report = ws.fit(&data, &config(BatchMode::Full, 5), stop_after_one);
        let report = report.unwrap();
        assert_eq!(
            (report.reason, report.iterations, report.epochs),
            (StopReason::Requested, 1, 1)
        );
        let first = first.unwrap();
        let mut all = Trainer::<Net, _, _, 10>::new(SoftmaxCrossEntropy, Sgd);
        let whole = all.evaluate(&start, &X, &Y).unwrap();
        assert_eq!(first.stats.rows, 10);
        assert_eq!(first.stats.correct, whole.correct);
        assert!((first.stats.loss - whole.loss).abs() < 1e-6);
    }

    /// Asks to stop once `.0` steps are taken.
    struct StopAfter(u32);

    impl<W> FitHooks<W> for StopAfter {
        fn step(&mut self, event: &StepEvent) -> ControlFlow<()> {
            if event.iteration >= self.0 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }

    #[test]
    fn evaluate_in_chunks_matches_the_trainer_on_one_big_batch() {
        let data = SliceDataset::new(&X, &Y).unwrap();
        let mut ws = workspace::<3>();
        let chunked = ws.evaluate(&data, None).unwrap();
        let mut big = Trainer::<Net, _, _, 10>::new(SoftmaxCrossEntropy, Sgd);
        let whole = big.evaluate(&ws.net, &X, &Y).unwrap();
        assert_eq!(chunked.rows, 10);
        assert_eq!(chunked.correct, whole.correct);
        assert!((chunked.mean_loss() - whole.loss).abs() < 1e-6);
        let empty = SliceDataset::<[f32; 2], usize>::new(&[], &[]).unwrap();
        assert_eq!(ws.evaluate(&empty, None), Err(Error::EmptyBatch));
        assert_eq!(
            ws.fit(&empty, &config(BatchMode::Full, 1), ()),
            Err(Error::EmptyBatch)
        );
    }

    /// `predict` scales a copy of the row and gives the bits of
    /// `Inference::predict` on the scaled row.
    #[test]
    fn predict_scales_a_copy_and_matches_inference() {
        let mut ws = workspace::<2>();
        let normalizer = Normalizer {
            scaling: Scaling::Standard,
            offset: [0.5, -1.0],
            scale: [2.0, 0.25],
        };
        let x = [1.25, 3.0];
        let mut scaled = x;
        normalizer.apply(&mut scaled);
        let want = *Inference::new().predict(&ws.net, &scaled).unwrap();
        let got = *ws.predict(&x, Some(&normalizer)).unwrap();
        assert_eq!(got.map(f32::to_bits), want.map(f32::to_bits));
        assert_eq!(x, [1.25, 3.0]);
        assert_eq!(
            ws.predict(&[f32::NAN, 0.0], None),
            Err(Error::NonFiniteInput { row: 0 })
        );
    }

    /// Without `KeepBest` patience stops the run but restores nothing; with
    /// it the weights of the best epoch come back.
    #[test]
    fn only_keep_best_restores_the_best_weights() {
        type Line = Dense<1, 1, Identity>;
        let (x, y) = ([[1.0], [2.0]], [[2.0], [4.0]]);
        let data = SliceDataset::new(&x, &y).unwrap();
        let config = FitConfig {
            mode: BatchMode::Full,
            schedule: LrSchedule::Constant(1.0),
            shuffle_seed: None,
            stopping: Stopping {
                patience: Some(Patience {
                    epochs: 2,
                    min_delta: 0.0,
                }),
                ..Stopping::epochs(50)
            },
            normalizer: None,
        };
        let fresh = || {
            Workspace::new(
                Line::ZERO,
                Trainer::<Line, _, _, 2>::new(MeanSquaredError, Sgd),
            )
        };
        let mut plain = fresh();
        let report = plain.fit(&data, &config, ()).unwrap();
        assert_eq!(report.reason, StopReason::NoImprovement);
        assert!(!report.restored_best);
        assert_ne!(plain.net, Line::ZERO);

        let mut kept = fresh();
        let mut best = Line::ZERO;
        let mut new_bests = 0;
        let count = crate::OnEpoch::new(|r: &EpochReport| new_bests += u32::from(r.new_best));
        let report = kept
            .fit(&data, &config, (Some(KeepBest(&mut best)), count))
            .unwrap();
        assert!(report.restored_best);
        assert_eq!((report.best_epoch, new_bests), (0, 1));
        // Epoch 0's loss is measured before its step: the best weights are
        // those after it.
        assert_eq!(kept.net, best);
    }
}
