//! A guard around the training step: counts refused steps by reason and,
//! optionally, rolls back to the last good state when training diverges.

use crate::checkpoint::{self, CheckpointError};
use crate::error::Error;
use crate::layer::Layer;
use crate::loss::{AcceptsActivation, Loss};
use crate::optim::Optimizer;
use crate::params::Parameters;
use crate::stats::StepStats;
use crate::trainer::Trainer;

/// When a [`Guard`] considers training diverged, and what it does then.
///
/// The guard follows an exponential moving average of the step loss,
/// `avg ← avg + smoothing · (loss − avg)`, and its lowest value `best`.
/// Training has diverged when `avg > factor · max(best, loss_floor)`, or
/// when a step is refused with [`Error::NonFiniteLoss`] or
/// [`Error::NonFiniteGradient`] (the weights or the learning rate have grown
/// so far that the output or the update overflows). It then restores the
/// last snapshot and multiplies the learning rate by `lr_factor`.
///
/// A snapshot (a training checkpoint in the caller's buffer) is taken before
/// the first step and then whenever `avg` reaches a new best, at most once
/// every `snapshot_interval` steps.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Divergence {
    /// Diverged when the average loss exceeds this multiple of the best.
    pub factor: f32,
    /// Multiplies the learning rate at each rollback.
    pub lr_factor: f32,
    /// Weight of the newest loss in the moving average (1 = no averaging).
    pub smoothing: f32,
    /// The best loss counts as at least this (so a loss of 0 does not make
    /// every later loss a divergence).
    pub loss_floor: f32,
    /// Fewest steps between two snapshots (each costs one encoding of the
    /// parameters and optimizer state).
    pub snapshot_interval: u32,
}

impl Divergence {
    /// Factor 10, halve the learning rate, average over ~10 steps, floor
    /// 1e-6, snapshots at most every 50 steps.
    pub const DEFAULT: Divergence = Divergence {
        factor: 10.0,
        lr_factor: 0.5,
        smoothing: 0.1,
        loss_floor: 1e-6,
        snapshot_interval: 50,
    };
}

impl Divergence {
    /// The moving average after a step with loss `loss`:
    /// `average + smoothing · (loss − average)`, or `loss` itself when
    /// there is no average yet (`average` not finite).
    ///
    /// ```
    /// use microprop::guard::Divergence;
    /// let d = Divergence::DEFAULT; // smoothing 0.1
    /// assert_eq!(d.smoothed(f32::NAN, 2.0), 2.0);
    /// assert!((d.smoothed(2.0, 1.0) - 1.9).abs() < 1e-6);
    /// ```
    pub fn smoothed(&self, average: f32, loss: f32) -> f32 {
        if average.is_finite() {
            average + self.smoothing * (loss - average)
        } else {
            loss
        }
    }

    /// Whether training has diverged: the moving average `average` is above
    /// `factor × max(best, loss_floor)`, `best` being its lowest value.
    ///
    /// ```
    /// use microprop::guard::Divergence;
    /// let d = Divergence::DEFAULT; // factor 10, floor 1e-6
    /// assert!(!d.diverged(0.5, 0.1));
    /// assert!(d.diverged(1.5, 0.1));
    /// ```
    pub fn diverged(&self, average: f32, best: f32) -> bool {
        average > self.factor * best.max(self.loss_floor)
    }
}

impl Default for Divergence {
    fn default() -> Self {
        Divergence::DEFAULT
    }
}

/// Steps taken and refused, by reason, and the guard's interventions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct GuardCounts {
    /// Steps applied (including ones later undone by a rollback).
    pub steps: u32,
    /// Refused: an input was NaN or infinite.
    pub non_finite_input: u32,
    /// Refused: a target was NaN, infinite, out of range, or a label too large.
    pub bad_target: u32,
    /// Refused: the output or loss was not finite.
    pub non_finite_loss: u32,
    /// Refused: a gradient or an updated parameter was not finite.
    pub non_finite_gradient: u32,
    /// Refused for another reason (batch shape, learning rate, misuse).
    pub other: u32,
    /// Times the average loss rose above `factor` × best.
    pub loss_divergences: u32,
    /// Rollbacks to the last snapshot.
    pub rollbacks: u32,
    /// Snapshots taken.
    pub snapshots: u32,
}

impl GuardCounts {
    /// All refused steps.
    pub fn rejected(&self) -> u32 {
        self.non_finite_input
            .saturating_add(self.bad_target)
            .saturating_add(self.non_finite_loss)
            .saturating_add(self.non_finite_gradient)
            .saturating_add(self.other)
    }

    fn count(&mut self, e: Error) {
        let counter = match e {
            Error::NonFiniteInput { .. } => &mut self.non_finite_input,
            Error::NonFiniteTarget { .. }
            | Error::InvalidTarget { .. }
            | Error::LabelOutOfRange { .. } => &mut self.bad_target,
            Error::NonFiniteLoss { .. } => &mut self.non_finite_loss,
            Error::NonFiniteGradient => &mut self.non_finite_gradient,
            _ => &mut self.other,
        };
        *counter = counter.saturating_add(1);
    }
}

/// Why a [`Guard`] rolled back.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RollbackCause {
    /// The average loss rose above `factor` × the best average.
    LossAboveBest {
        /// The average loss.
        loss: f32,
        /// The best average loss.
        best: f32,
    },
    /// The step was refused with [`Error::NonFiniteLoss`] or
    /// [`Error::NonFiniteGradient`].
    NonFinite(Error),
}

/// What one guarded step did.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum GuardEvent {
    /// The step was applied.
    Stepped(StepStats),
    /// The step was refused; nothing changed (parameters, optimizer state
    /// and step counter are as they were).
    Rejected(Error),
    /// Training diverged: parameters, optimizer state and step counter were
    /// restored from the last snapshot and the learning rate lowered.
    RolledBack {
        /// Why.
        cause: RollbackCause,
        /// The step counter after the rollback (the snapshot's).
        to_step: u32,
        /// The factor now applied to the caller's learning rate.
        lr_scale: f32,
    },
}

/// Wraps [`Trainer::train_step`]: counts refused steps by reason and, with
/// [`Guard::with_divergence`], rolls back to the last good state and lowers
/// the learning rate when training diverges.
///
/// The snapshot buffer is the caller's (a `static` on a device), sized with
/// [`checkpoint::training_len`]; nothing is allocated.
///
/// ```
/// use microprop::{network, Dense, Identity, Init, Layer, MeanSquaredError, Sgd, Tanh, Trainer};
/// use microprop::guard::{Divergence, Guard, GuardEvent};
/// type Net = network![Dense<1, 4, Tanh>, Dense<4, 1, Identity>];
/// let mut net = Net::ZERO;
/// net.init(Init::Xavier, &mut microprop::init::seeded(3));
/// let mut trainer = Trainer::<Net, _, _, 4>::new(MeanSquaredError, Sgd);
/// let mut snapshot = [0u8; microprop::checkpoint::training_len::<Net, Sgd>()];
/// let mut guard = Guard::with_divergence(Divergence::DEFAULT, &mut snapshot);
/// let x = [[-1.0], [-0.3], [0.4], [1.0]];
/// let y = [[2.0], [0.6], [-0.8], [-2.0]];
/// // A learning rate far too large: the guard rolls back and halves it.
/// for _ in 0..300 {
///     guard.train_step(&mut net, &mut trainer, &x, &y, 20.0)?;
/// }
/// assert!(guard.counts().rollbacks > 0);
/// assert!(guard.lr_scale() < 1.0);
/// assert!(trainer.evaluate(&net, &x, &y).unwrap().loss < 0.05);
/// # Ok::<(), microprop::checkpoint::CheckpointError>(())
/// ```
pub struct Guard<'s> {
    divergence: Option<Divergence>,
    snapshot: &'s mut [u8],
    snapshot_len: usize,
    snapshot_average: f32,
    since_snapshot: u32,
    average: f32,
    best: f32,
    lr_scale: f32,
    counts: GuardCounts,
}

impl core::fmt::Debug for Guard<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // The snapshot by its length, not its bytes.
        f.debug_struct("Guard")
            .field("divergence", &self.divergence)
            .field("snapshot_len", &self.snapshot_len)
            .field("average", &self.average)
            .field("best", &self.best)
            .field("lr_scale", &self.lr_scale)
            .field("counts", &self.counts)
            .finish()
    }
}

impl Guard<'static> {
    /// A guard that only counts: no divergence detection, no snapshots.
    pub const fn new() -> Self {
        Guard {
            divergence: None,
            snapshot: &mut [],
            snapshot_len: 0,
            snapshot_average: f32::NAN,
            since_snapshot: 0,
            average: f32::NAN,
            best: f32::INFINITY,
            lr_scale: 1.0,
            counts: GuardCounts {
                steps: 0,
                non_finite_input: 0,
                bad_target: 0,
                non_finite_loss: 0,
                non_finite_gradient: 0,
                other: 0,
                loss_divergences: 0,
                rollbacks: 0,
                snapshots: 0,
            },
        }
    }
}

impl Default for Guard<'static> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'s> Guard<'s> {
    /// A guard that also detects divergence as `config` says, keeping its
    /// snapshot in `snapshot` (at least
    /// [`checkpoint::training_len::<N, O>()`](checkpoint::training_len) bytes).
    pub fn with_divergence(config: Divergence, snapshot: &'s mut [u8]) -> Self {
        Guard {
            divergence: Some(config),
            snapshot,
            ..Guard::new()
        }
    }

    /// Steps taken and refused, and rollbacks.
    pub fn counts(&self) -> GuardCounts {
        self.counts
    }

    /// The factor applied to the caller's learning rate (1 until the first
    /// rollback, then `lr_factor` per rollback).
    pub fn lr_scale(&self) -> f32 {
        self.lr_scale
    }

    /// The lowest average loss seen (infinite before the first step).
    pub fn best_loss(&self) -> f32 {
        self.best
    }

    /// Saves parameters, optimizer state and step count as the state to
    /// roll back to. [`Guard::train_step`] does this by itself; call it
    /// after loading or changing the model outside the guard.
    ///
    /// # Errors
    /// [`CheckpointError::BufferTooSmall`] if the snapshot buffer is too
    /// small (or the guard has none: [`Guard::new`]).
    pub fn snapshot<N, L, O, const B: usize>(
        &mut self,
        net: &N,
        trainer: &Trainer<N, L, O, B>,
    ) -> Result<(), CheckpointError>
    where
        N: Layer,
        O: Optimizer,
        O::State<N::Grads>: Parameters,
    {
        self.snapshot_len = 0;
        self.snapshot_len = checkpoint::save_training(net, trainer, self.snapshot)?;
        self.snapshot_average = self.average;
        self.since_snapshot = 0;
        self.counts.snapshots = self.counts.snapshots.saturating_add(1);
        Ok(())
    }

    /// One training step with learning rate `lr × lr_scale()`, counted;
    /// with divergence detection, a rollback instead if training diverged.
    ///
    /// A refused step is reported as [`GuardEvent::Rejected`] (or leads to a
    /// rollback, for non-finite losses and gradients), not as an error.
    ///
    /// # Errors
    /// Only snapshot failures: [`CheckpointError::BufferTooSmall`] on the
    /// first step if the snapshot buffer is too small. Nothing has been
    /// trained then.
    pub fn train_step<N, L, O, const B: usize>(
        &mut self,
        net: &mut N,
        trainer: &mut Trainer<N, L, O, B>,
        x: &[N::Input],
        targets: &[L::Target],
        lr: f32,
    ) -> Result<GuardEvent, CheckpointError>
    where
        N: Layer,
        L: Loss<N::Output> + AcceptsActivation<N::OutputActivation>,
        O: Optimizer,
        O::State<N::Grads>: Parameters,
    {
        let Some(config) = self.divergence else {
            return Ok(
                match trainer.train_step(net, x, targets, lr * self.lr_scale) {
                    Ok(stats) => {
                        self.counts.steps = self.counts.steps.saturating_add(1);
                        GuardEvent::Stepped(stats)
                    }
                    Err(e) => {
                        self.counts.count(e);
                        GuardEvent::Rejected(e)
                    }
                },
            );
        };
        if self.snapshot_len == 0 {
            self.snapshot(net, trainer)?;
        }
        match trainer.train_step(net, x, targets, lr * self.lr_scale) {
            Ok(stats) => {
                self.counts.steps = self.counts.steps.saturating_add(1);
                self.average = config.smoothed(self.average, stats.loss);
                let improved = self.average < self.best;
                if improved {
                    self.best = self.average;
                }
                if config.diverged(self.average, self.best) {
                    self.counts.loss_divergences = self.counts.loss_divergences.saturating_add(1);
                    let cause = RollbackCause::LossAboveBest {
                        loss: self.average,
                        best: self.best,
                    };
                    return self.roll_back(net, trainer, config, cause);
                }
                self.since_snapshot = self.since_snapshot.saturating_add(1);
                if improved && self.since_snapshot >= config.snapshot_interval {
                    self.snapshot(net, trainer)?;
                }
                Ok(GuardEvent::Stepped(stats))
            }
            Err(e) => {
                self.counts.count(e);
                match e {
                    Error::NonFiniteLoss { .. } | Error::NonFiniteGradient => {
                        self.roll_back(net, trainer, config, RollbackCause::NonFinite(e))
                    }
                    _ => Ok(GuardEvent::Rejected(e)),
                }
            }
        }
    }

    fn roll_back<N, L, O, const B: usize>(
        &mut self,
        net: &mut N,
        trainer: &mut Trainer<N, L, O, B>,
        config: Divergence,
        cause: RollbackCause,
    ) -> Result<GuardEvent, CheckpointError>
    where
        N: Layer,
        O: Optimizer,
        O::State<N::Grads>: Parameters,
    {
        let blob = self.snapshot.get(..self.snapshot_len).unwrap_or(&[]);
        checkpoint::load_training(net, trainer, blob)?;
        self.lr_scale *= config.lr_factor;
        self.average = self.snapshot_average;
        self.since_snapshot = 0;
        self.counts.rollbacks = self.counts.rollbacks.saturating_add(1);
        Ok(GuardEvent::RolledBack {
            cause,
            to_step: trainer.steps(),
            lr_scale: self.lr_scale,
        })
    }
}
