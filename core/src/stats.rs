//! What a training or evaluation pass reports.

/// Loss and accuracy over the rows of one pass.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct StepStats {
    /// Rows seen.
    pub rows: u32,
    /// Mean loss over those rows.
    pub loss: f32,
    /// Rows classified correctly (`None` for regression losses).
    pub correct: Option<u32>,
}

impl StepStats {
    /// Fraction of rows classified correctly, if the loss classifies.
    pub fn accuracy(&self) -> Option<f32> {
        let rows = self.rows.max(1) as f32;
        self.correct.map(|c| c as f32 / rows)
    }
}

/// Running totals of [`StepStats`] over many batches (e.g. an epoch).
///
/// ```
/// use microprop::{EpochStats, StepStats};
/// let mut epoch = EpochStats::new();
/// epoch.add(&StepStats { rows: 2, loss: 1.0, correct: Some(1) });
/// epoch.add(&StepStats { rows: 6, loss: 3.0, correct: Some(6) });
/// assert_eq!(epoch.mean_loss(), 2.5);
/// assert_eq!(epoch.accuracy(), Some(7.0 / 8.0));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EpochStats {
    /// Rows seen.
    pub rows: u32,
    /// Sum of per-row losses.
    pub loss_sum: f32,
    /// Rows classified correctly (`None` for regression losses).
    pub correct: Option<u32>,
}

impl EpochStats {
    /// Empty totals.
    pub const fn new() -> Self {
        EpochStats {
            rows: 0,
            loss_sum: 0.0,
            correct: None,
        }
    }

    /// Adds one batch's statistics.
    pub fn add(&mut self, step: &StepStats) {
        self.rows += step.rows;
        self.loss_sum += step.loss * step.rows as f32;
        if let Some(c) = step.correct {
            self.correct = Some(self.correct.unwrap_or(0) + c);
        }
    }

    /// Mean loss per row.
    pub fn mean_loss(&self) -> f32 {
        self.loss_sum / self.rows.max(1) as f32
    }

    /// Fraction of rows classified correctly.
    pub fn accuracy(&self) -> Option<f32> {
        let rows = self.rows.max(1) as f32;
        self.correct.map(|c| c as f32 / rows)
    }
}
