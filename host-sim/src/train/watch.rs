//! What stops a training run early besides its stopping criteria: Ctrl-C
//! (SIGINT), which lets the current step finish and ends the run so its
//! files are written ([`install_interrupt`], [`Interrupted`]), and a loss
//! that explodes ([`LossWatch`], the criterion of the core's
//! [`microprop::guard::Guard`] with a hard stop instead of a rollback).

use std::fmt;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use microprop::guard::Divergence;
use microprop::{EpochReport, FitHooks, StepEvent};

/// Set by the SIGINT handler; read after every step.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Set when the first run's hooks are made: before that (loading the
/// data), Ctrl-C ends the process at once, as there is nothing to keep.
static TRAINING: AtomicBool = AtomicBool::new(false);

/// The exit code of a run ended by Ctrl-C (128 + SIGINT, as a shell
/// reports it).
pub const INTERRUPTED_EXIT_CODE: u8 = 130;

/// Makes Ctrl-C (SIGINT) ask the training run to stop after its current
/// step instead of killing the process; a second Ctrl-C, or one before
/// training started, exits at once with [`INTERRUPTED_EXIT_CODE`].
/// Installed once per process.
///
/// # Errors
/// If the handler can't be installed.
pub fn install_interrupt() -> Result<()> {
    static INSTALL: Once = Once::new();
    let mut result = Ok(());
    INSTALL.call_once(|| {
        result = ctrlc::set_handler(|| {
            if !TRAINING.load(Ordering::SeqCst) {
                eprintln!("\ninterrupted before training; nothing written");
                std::process::exit(i32::from(INTERRUPTED_EXIT_CODE));
            }
            if INTERRUPTED.swap(true, Ordering::SeqCst) {
                std::process::exit(i32::from(INTERRUPTED_EXIT_CODE));
            }
            eprintln!(
                "\ninterrupted: finishing the current step and writing the files \
                 (Ctrl-C again to quit at once)"
            );
        })
        .map_err(|e| anyhow::anyhow!("cannot handle Ctrl-C: {e}"));
    });
    result
}

/// Whether Ctrl-C asked the run to stop.
pub fn interrupt_requested() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// The error `train` ends with after Ctrl-C, once the files are written:
/// `main` exits with [`INTERRUPTED_EXIT_CODE`] and prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupted {
    /// The epoch the run stopped in (from 1).
    pub epoch: u32,
    /// The files written, with what each holds.
    pub written: Vec<PathBuf>,
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "interrupted in epoch {}", self.epoch)?;
        if self.written.is_empty() {
            return f.write_str("; no files were asked for, none written");
        }
        f.write_str("; wrote ")?;
        for (i, path) in self.written.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}", path.display())?;
        }
        Ok(())
    }
}

impl std::error::Error for Interrupted {}

/// How a run that wrote its files ends: [`Interrupted`] (exit code 130)
/// when Ctrl-C stopped it (`stopped`) or came while it finished (the last
/// evaluation, the files), so a shell sees the interrupt either way;
/// otherwise `Ok`.
///
/// # Errors
/// [`Interrupted`], as said.
pub fn finish(stopped: bool, epoch: u32, written: &[(PathBuf, String)]) -> Result<()> {
    if stopped || interrupt_requested() {
        return Err(Interrupted {
            epoch,
            written: written.iter().map(|(p, _)| p.clone()).collect(),
        }
        .into());
    }
    Ok(())
}

/// When `train` calls a run diverged: the moving average of the step loss
/// rose a hundredfold above its best (and above 1, as the best counts as
/// at least 0.01, so a run that has nearly reached zero loss may wobble). Stricter settings would stop
/// noisy single-row runs that recover by themselves; the core's
/// [`microprop::guard::Guard`], which rolls back instead of stopping, uses
/// [`Divergence::DEFAULT`].
pub const STOP_ON_DIVERGENCE: Divergence = Divergence {
    factor: 100.0,
    loss_floor: 1e-2,
    ..Divergence::DEFAULT
};

/// Follows the step loss as [`microprop::guard::Guard`] does (an
/// exponential moving average and its lowest value, with
/// [`Divergence::smoothed`] and [`Divergence::diverged`]) and says when the
/// run diverged: a loss that is not finite, or an average above
/// `factor × max(best, loss_floor)`.
///
/// ```
/// use microprop_sim::train::watch::{LossWatch, STOP_ON_DIVERGENCE};
/// let mut watch = LossWatch::new(STOP_ON_DIVERGENCE);
/// assert!(watch.step(2.3).is_continue());
/// assert!(watch.step(2.0).is_continue());
/// assert!(watch.step(1e30).is_break());
/// assert!(watch.diverged().unwrap().contains("rose above"));
/// ```
#[derive(Debug, Clone)]
pub struct LossWatch {
    config: Divergence,
    average: f32,
    best: f32,
    steps: u64,
    diverged: Option<String>,
}

impl LossWatch {
    /// A watch with `config`'s factor, smoothing and floor.
    pub fn new(config: Divergence) -> Self {
        LossWatch {
            config,
            average: f32::NAN,
            best: f32::INFINITY,
            steps: 0,
            diverged: None,
        }
    }

    /// One step's loss; `Break` once the run diverged.
    pub fn step(&mut self, loss: f32) -> ControlFlow<()> {
        self.steps += 1;
        if !loss.is_finite() {
            self.diverged = Some(format!("the loss of step {} is {loss}", self.steps));
            return ControlFlow::Break(());
        }
        self.average = self.config.smoothed(self.average, loss);
        self.best = self.best.min(self.average);
        if self.config.diverged(self.average, self.best) {
            self.diverged = Some(format!(
                "the loss (moving average {:.3e} at step {}) rose above {} x its best ({:.3e})",
                self.average, self.steps, self.config.factor, self.best
            ));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// Why the run diverged, if it did.
    pub fn diverged(&self) -> Option<&str> {
        self.diverged.as_deref()
    }
}

/// The error of a run that diverged: what happened and what to try; no
/// checkpoint is written for it (`periodic`: the run had
/// `--checkpoint-every`, whose files stay as they were).
pub fn divergence_error(why: &str, lr: f32, epoch: u32, periodic: bool) -> anyhow::Error {
    let kept = if periodic {
        " (files from --checkpoint-every stay as they were)"
    } else {
        ""
    };
    anyhow::anyhow!(
        "training diverged in epoch {epoch}: {why}; stopped without writing the checkpoint{kept}. \
         Try a smaller --lr (this run: {lr}), --warmup, or input scaling (--normalize)"
    )
}

/// A training error in words: a refused step because the loss or the
/// gradient is not finite is divergence ([`divergence_error`]), anything
/// else a failed run.
pub fn training_error(e: microprop::Error, lr: f32, epoch: u32, periodic: bool) -> anyhow::Error {
    match e {
        microprop::Error::NonFiniteLoss { .. } | microprop::Error::NonFiniteGradient => {
            divergence_error(&e.to_string(), lr, epoch, periodic)
        }
        _ => anyhow::anyhow!("training failed: {e}"),
    }
}

/// How a run ended early, as its hooks saw it.
#[derive(Debug)]
pub enum Halt {
    /// Ctrl-C: write the files, then exit with [`INTERRUPTED_EXIT_CODE`].
    Interrupted,
    /// The loss exploded: write nothing, fail.
    Diverged(String),
    /// A file written during the run (`--checkpoint-every`) failed.
    Failed(anyhow::Error),
}

/// What a run's hooks watch after every step and epoch: Ctrl-C, the loss
/// ([`LossWatch`]) and the files written during the run.
#[derive(Debug)]
pub struct RunWatch {
    loss: LossWatch,
    halt: Option<Halt>,
}

impl Default for RunWatch {
    /// A watch for a run about to start: from here on Ctrl-C stops it
    /// after a step instead of ending the process.
    fn default() -> Self {
        TRAINING.store(true, Ordering::SeqCst);
        RunWatch {
            loss: LossWatch::new(STOP_ON_DIVERGENCE),
            halt: None,
        }
    }
}

impl RunWatch {
    /// After a step with mean loss `loss`: `Break` on Ctrl-C or divergence.
    pub fn step(&mut self, loss: f32) -> ControlFlow<()> {
        if self.halt.is_some() {
            return ControlFlow::Break(());
        }
        if interrupt_requested() {
            self.halt = Some(Halt::Interrupted);
            return ControlFlow::Break(());
        }
        if self.loss.step(loss).is_break() {
            let why = self.loss.diverged().unwrap_or("the loss exploded");
            self.halt = Some(Halt::Diverged(why.to_string()));
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// After an epoch whose per-epoch work (metrics row, periodic
    /// checkpoint) gave `done`: `Break` if it failed or Ctrl-C came.
    pub fn epoch(&mut self, done: Result<()>) -> ControlFlow<()> {
        if let Err(e) = done {
            self.halt.get_or_insert(Halt::Failed(e));
        }
        if self.halt.is_none() && interrupt_requested() {
            self.halt = Some(Halt::Interrupted);
        }
        if self.halt.is_some() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    /// Why the run stopped early, if it did.
    pub fn into_halt(self) -> Option<Halt> {
        self.halt
    }
}

/// [`RunWatch`] as the hooks of [`microprop::Workspace::fit`], with
/// `on_epoch` run after every epoch on the workspace (metrics row,
/// periodic checkpoint); its error stops the run.
pub struct WatchHooks<'a, F> {
    /// What is watched.
    pub watch: &'a mut RunWatch,
    /// The per-epoch work.
    pub on_epoch: F,
}

impl<W, F: FnMut(&EpochReport, &mut W) -> Result<()>> FitHooks<W> for WatchHooks<'_, F> {
    fn step(&mut self, event: &StepEvent) -> ControlFlow<()> {
        self.watch.step(event.stats.loss)
    }

    fn epoch(&mut self, report: &EpochReport, ws: &mut W) -> ControlFlow<()> {
        let done = (self.on_epoch)(report, ws);
        self.watch.epoch(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_falling_noisy_loss_is_not_divergence() {
        let mut watch = LossWatch::new(STOP_ON_DIVERGENCE);
        for i in 0..10_000 {
            let loss = 2.0 / (1.0 + i as f32) + if i % 7 == 0 { 0.5 } else { 0.0 };
            assert!(watch.step(loss).is_continue(), "step {i}");
        }
        assert!(watch.diverged().is_none());
    }

    #[test]
    fn nan_and_growth_are() {
        let mut watch = LossWatch::new(STOP_ON_DIVERGENCE);
        assert!(watch.step(f32::NAN).is_break());
        assert!(watch.diverged().unwrap().contains("NaN"));
        let mut watch = LossWatch::new(STOP_ON_DIVERGENCE);
        let mut loss = 1.0f32;
        let mut steps = 0;
        while watch.step(loss).is_continue() {
            loss *= 2.0;
            steps += 1;
            assert!(steps < 100);
        }
        assert!(watch.diverged().unwrap().contains("rose above 100 x"));
    }
}
