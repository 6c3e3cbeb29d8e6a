//! What a training run calls back: after every step, after every epoch,
//! and once at the end.
//!
//! Contract: [`Workspace::fit`](crate::Workspace::fit) calls
//! [`FitHooks::step`] after every optimizer step,
//! [`FitHooks::epoch`] after every epoch (a partial one too, when a step
//! criterion or a hook stopped the run) and [`FitHooks::finish`] once when
//! it stops without an error, just before it returns. A hook that returns
//! [`ControlFlow::Break`] ends the run with
//! [`StopReason::Requested`](crate::StopReason::Requested) after the
//! current step or epoch, unless another criterion fired first. Every
//! method has a default that does nothing, and `()` is the hooks that want
//! nothing, so a caller with no hooks passes `()` and the compiler drops
//! the calls. Hooks combine as a pair `(A, B)` (A first), and `Option<H>`
//! runs `H` only when present.

use core::ops::ControlFlow;

use crate::fit::{EpochReport, FitReport, StepEvent};

/// The callbacks of a training run over a workspace of type `W` (a
/// [`Workspace`](crate::Workspace)).
///
/// ```
/// use core::ops::ControlFlow;
/// use microprop::{network, Dense, EpochReport, FitHooks, Identity, Layer, MeanSquaredError, Sgd, StepEvent, Tanh, Workspace};
/// type Ws = Workspace<network![Dense<1, 4, Tanh>, Dense<4, 1, Identity>], MeanSquaredError, Sgd, 4>;
///
/// /// Records every step's loss and stops once it is small.
/// struct Curve { losses: Vec<f32> }
/// impl FitHooks<Ws> for Curve {
///     fn step(&mut self, event: &StepEvent) -> ControlFlow<()> {
///         self.losses.push(event.stats.loss);
///         if event.stats.loss < 1e-3 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
///     }
///     fn epoch(&mut self, report: &EpochReport, ws: &mut Ws) -> ControlFlow<()> {
///         // The workspace between epochs: e.g. `ws.evaluate` on a validation set.
///         let _ = (report, &ws.net);
///         ControlFlow::Continue(())
///     }
/// }
/// ```
pub trait FitHooks<W: ?Sized> {
    /// After every optimizer step, with the loss of the step's rows.
    /// `Break` stops the run after this step.
    fn step(&mut self, event: &StepEvent) -> ControlFlow<()> {
        let _ = event;
        ControlFlow::Continue(())
    }

    /// After every epoch, with the workspace as the epoch left it: its
    /// network, and its trainer and staging rows free for
    /// [`Workspace::evaluate`](crate::Workspace::evaluate) on a validation
    /// set (that leaves the training state as it was). `Break` stops the
    /// run after this epoch.
    fn epoch(&mut self, report: &EpochReport, ws: &mut W) -> ControlFlow<()> {
        let _ = (report, ws);
        ControlFlow::Continue(())
    }

    /// Once, when the run stopped without an error, before `fit` returns
    /// `report` (which the hook may amend, as [`KeepBest`](crate::KeepBest)
    /// does when it restores the best weights).
    fn finish(&mut self, report: &mut FitReport, ws: &mut W) {
        let _ = (report, ws);
    }
}

/// No hooks.
impl<W: ?Sized> FitHooks<W> for () {}

/// Hooks lent to the run, so the caller keeps what they collected.
impl<W: ?Sized, H: FitHooks<W> + ?Sized> FitHooks<W> for &mut H {
    fn step(&mut self, event: &StepEvent) -> ControlFlow<()> {
        (**self).step(event)
    }
    fn epoch(&mut self, report: &EpochReport, ws: &mut W) -> ControlFlow<()> {
        (**self).epoch(report, ws)
    }
    fn finish(&mut self, report: &mut FitReport, ws: &mut W) {
        (**self).finish(report, ws);
    }
}

/// Hooks that may be absent (e.g. [`KeepBest`](crate::KeepBest) only when
/// patience is configured).
impl<W: ?Sized, H: FitHooks<W>> FitHooks<W> for Option<H> {
    fn step(&mut self, event: &StepEvent) -> ControlFlow<()> {
        self.as_mut()
            .map_or(ControlFlow::Continue(()), |h| h.step(event))
    }
    fn epoch(&mut self, report: &EpochReport, ws: &mut W) -> ControlFlow<()> {
        self.as_mut()
            .map_or(ControlFlow::Continue(()), |h| h.epoch(report, ws))
    }
    fn finish(&mut self, report: &mut FitReport, ws: &mut W) {
        if let Some(h) = self {
            h.finish(report, ws);
        }
    }
}

/// Two sets of hooks, the first called first; both always run, and the
/// run stops if either asks.
impl<W: ?Sized, A: FitHooks<W>, B: FitHooks<W>> FitHooks<W> for (A, B) {
    fn step(&mut self, event: &StepEvent) -> ControlFlow<()> {
        either(self.0.step(event), self.1.step(event))
    }
    fn epoch(&mut self, report: &EpochReport, ws: &mut W) -> ControlFlow<()> {
        let first = self.0.epoch(report, ws);
        either(first, self.1.epoch(report, ws))
    }
    fn finish(&mut self, report: &mut FitReport, ws: &mut W) {
        self.0.finish(report, ws);
        self.1.finish(report, ws);
    }
}

/// `Break` if either is.
fn either(a: ControlFlow<()>, b: ControlFlow<()>) -> ControlFlow<()> {
    if a.is_break() || b.is_break() {
        ControlFlow::Break(())
    } else {
        ControlFlow::Continue(())
    }
}

/// A closure called with every [`EpochReport`] (progress bars, logs):
/// `OnEpoch::new(|report| ...)`.
///
/// ```
/// use microprop::{EpochReport, OnEpoch};
/// let mut losses = Vec::new();
/// let hooks = OnEpoch::new(|r: &EpochReport| losses.push(r.stats.mean_loss()));
/// # drop(hooks);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct OnEpoch<F>(pub F);

impl<F: FnMut(&EpochReport)> OnEpoch<F> {
    /// Wraps `f` (its argument's type is inferred from here).
    pub const fn new(f: F) -> Self {
        OnEpoch(f)
    }
}

impl<W: ?Sized, F: FnMut(&EpochReport)> FitHooks<W> for OnEpoch<F> {
    fn epoch(&mut self, report: &EpochReport, _ws: &mut W) -> ControlFlow<()> {
        (self.0)(report);
        ControlFlow::Continue(())
    }
}

/// A closure called with every [`StepEvent`] (per-step losses, learning
/// rates): `OnStep::new(|event| ...)`.
#[derive(Debug, Clone, Copy)]
pub struct OnStep<F>(pub F);

impl<F: FnMut(&StepEvent)> OnStep<F> {
    /// Wraps `f` (its argument's type is inferred from here).
    pub const fn new(f: F) -> Self {
        OnStep(f)
    }
}

impl<W: ?Sized, F: FnMut(&StepEvent)> FitHooks<W> for OnStep<F> {
    fn step(&mut self, event: &StepEvent) -> ControlFlow<()> {
        (self.0)(event);
        ControlFlow::Continue(())
    }
}
