//! The epochs a run keeps for its figure and its JSON output, in memory
//! that does not grow with `--epochs`: every epoch until
//! [`EpochHistory::CAPACITY`] are kept, then every second one, every
//! fourth, and so on (the stride doubles each time the store is full), so
//! the curve spans the whole run evenly; the latest epoch is always there.
//! The metrics file has every epoch ([`super::MetricsFile`] streams them).

use super::metrics::EpochRecord;

/// Evenly spaced epochs of a run of any length, at most
/// [`EpochHistory::CAPACITY`] of them plus the latest.
///
/// ```
/// use microprop_sim::report::{EpochHistory, EpochRecord};
/// let mut history = EpochHistory::new();
/// for epoch in 1..=100_000 {
///     history.push(EpochRecord {
///         epoch, iterations: epoch, loss: 1.0, accuracy: None, learning_rate: 0.1,
///         grad_norm: 0.0, val_loss: None, val_accuracy: None,
///     });
/// }
/// let kept = history.records();
/// assert!(kept.len() <= EpochHistory::CAPACITY + 1);
/// assert_eq!(kept.first().map(|r| r.epoch), Some(1));
/// assert_eq!(kept.last().map(|r| r.epoch), Some(100_000));
/// ```
#[derive(Debug, Clone, Default)]
pub struct EpochHistory {
    kept: Vec<EpochRecord>,
    latest: Option<EpochRecord>,
    stride: u32,
    seen: u32,
}

impl EpochHistory {
    /// The most epochs kept at even spacing.
    pub const CAPACITY: usize = 1024;

    /// An empty history.
    pub fn new() -> Self {
        EpochHistory {
            kept: Vec::with_capacity(Self::CAPACITY),
            latest: None,
            stride: 1,
            seen: 0,
        }
    }

    /// Records the next epoch.
    pub fn push(&mut self, record: EpochRecord) {
        if self.seen.is_multiple_of(self.stride) {
            if self.kept.len() == Self::CAPACITY {
                // Keep every second one: positions 0, 2, 4, ... are the
                // multiples of the doubled stride.
                let mut i = 0;
                self.kept.retain(|_| {
                    i += 1;
                    i % 2 == 1
                });
                self.stride = self.stride.saturating_mul(2);
            }
            if self.seen.is_multiple_of(self.stride) {
                self.kept.push(record);
            }
        }
        self.seen = self.seen.saturating_add(1);
        self.latest = Some(record);
    }

    /// Epochs seen so far.
    pub fn epochs_seen(&self) -> u32 {
        self.seen
    }

    /// The kept epochs in order, ending with the latest.
    pub fn records(&self) -> Vec<EpochRecord> {
        let mut out = self.kept.clone();
        if let Some(latest) = self.latest
            && out.last().is_none_or(|r| r.epoch != latest.epoch)
        {
            out.push(latest);
        }
        out
    }

    /// Bytes reserved for the kept epochs (bounded by
    /// [`EpochHistory::CAPACITY`], whatever the run's length).
    pub fn reserved(&self) -> usize {
        self.kept.capacity() * std::mem::size_of::<EpochRecord>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(epoch: u32) -> EpochRecord {
        EpochRecord {
            epoch,
            iterations: epoch,
            loss: epoch as f32,
            accuracy: None,
            learning_rate: 0.1,
            grad_norm: 0.0,
            val_loss: None,
            val_accuracy: None,
        }
    }

    #[test]
    fn short_runs_keep_every_epoch() {
        let mut h = EpochHistory::new();
        (1..=50).for_each(|e| h.push(record(e)));
        let epochs: Vec<u32> = h.records().iter().map(|r| r.epoch).collect();
        assert_eq!(epochs, (1..=50).collect::<Vec<_>>());
    }

    #[test]
    fn long_runs_stay_bounded_and_evenly_spaced() {
        let mut h = EpochHistory::new();
        let reserved = h.reserved();
        for e in 1..=1_000_000 {
            h.push(record(e));
        }
        assert_eq!(h.reserved(), reserved, "the store never grows");
        let kept = h.records();
        assert!(
            kept.len() > EpochHistory::CAPACITY / 2 && kept.len() <= EpochHistory::CAPACITY + 1
        );
        assert_eq!(kept[0].epoch, 1);
        assert_eq!(kept.last().unwrap().epoch, 1_000_000);
        let gaps: Vec<u32> = kept[..kept.len() - 1]
            .windows(2)
            .map(|w| w[1].epoch - w[0].epoch)
            .collect();
        assert!(gaps.iter().all(|&g| g == gaps[0]), "even spacing: {gaps:?}");
        assert_eq!(h.epochs_seen(), 1_000_000);
    }
}
