//! The logging hook: what the learning loop reports, and where it goes.

use microprop::{EpochReport, EpochStats, FitReport};

/// What the learning loop is about to do.
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
    /// Everything is done; the same value the learning loop returns.
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

/// What a run of the learning loop achieved.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Summary {
    /// How training ended, with the last epoch's statistics as seen while
    /// training.
    pub fit: FitReport,
    /// The learning rate of the last step.
    pub learning_rate: f32,
    /// Loss and accuracy on the training set after training.
    pub train: EpochStats,
    /// Loss and accuracy on the test set after training.
    pub test: EpochStats,
    /// Times the LED was toggled (one per epoch).
    pub led_toggles: u32,
}

impl Summary {
    /// Mean loss of the last training epoch (measured while training).
    pub fn final_loss(&self) -> f32 {
        self.fit.last.mean_loss()
    }

    /// Accuracy on the training set after training (classifiers only).
    pub fn train_accuracy(&self) -> Option<f32> {
        self.train.accuracy()
    }

    /// Accuracy on the test set after training (classifiers only).
    pub fn test_accuracy(&self) -> Option<f32> {
        self.test.accuracy()
    }
}
