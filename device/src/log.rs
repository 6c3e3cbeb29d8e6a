//! The logging hook: what the loop reports, and where it goes.

use crate::learn::Summary;
use microprop::EpochReport;

/// What [`run`](crate::run) is about to do.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Start {
    /// Rows in the training set.
    pub train_rows: u32,
    /// Rows in the test set.
    pub test_rows: u32,
    /// The epoch bound ([`microprop::Stopping::max_epochs`]).
    pub max_epochs: u32,
    /// Optimizer steps in one epoch.
    pub steps_per_epoch: u32,
}

/// One thing the loop reports.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Event {
    /// Training is about to start.
    Start(Start),
    /// An epoch ended (loss and accuracy as seen while training, the last
    /// step's learning rate). The LED has just been toggled.
    Epoch(EpochReport),
    /// Training stopped; the network is about to be evaluated.
    Trained(microprop::FitReport),
    /// Everything is done; the same value [`run`](crate::run) returns.
    Finished(Summary),
}

/// Where the loop's [`Event`]s go: `defmt` on a device, `println!` on the
/// host, a `Vec` in a test, or nowhere ([`NoLog`]).
///
/// Any `FnMut(&Event)` closure is a `Log`.
pub trait Log {
    /// Reports one event. Called from inside the training loop: keep it
    /// short (a log line), it is not timed separately.
    fn log(&mut self, event: &Event);
}

impl<F: FnMut(&Event)> Log for F {
    fn log(&mut self, event: &Event) {
        self(event);
    }
}

/// Discards every event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoLog;

impl Log for NoLog {
    fn log(&mut self, _event: &Event) {}
}
