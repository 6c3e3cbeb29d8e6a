//! The learning loop's events as defmt log lines, with what each epoch
//! cost on the board's counter ([`clock`]: instructions under QEMU
//! `-icount shift=0`, exact; CPU cycles on a board).

use microprop_device::{Event, Log};

use crate::clock;

/// Logs every [`Event`] with `defmt::info!`.
pub struct DefmtLog {
    epoch_start: u64,
    run_start: u64,
}

impl DefmtLog {
    /// A logger whose instruction counts start now.
    pub fn new() -> Self {
        let now = clock::now();
        DefmtLog {
            epoch_start: now,
            run_start: now,
        }
    }

    /// Counter units ([`clock::UNIT`]) since [`DefmtLog::new`].
    pub fn spent(&self) -> u64 {
        clock::now() - self.run_start
    }
}

impl Default for DefmtLog {
    fn default() -> Self {
        Self::new()
    }
}

impl Log for DefmtLog {
    fn log(&mut self, event: &Event) {
        match event {
            Event::Start(s) => {
                defmt::info!(
                    "training on {=u32} rows ({=u32} held out): {=u32} epochs of {=u32} steps",
                    s.train_rows,
                    s.test_rows,
                    s.max_epochs,
                    s.steps_per_epoch
                );
                self.epoch_start = clock::now();
            }
            Event::Epoch(r) => {
                let now = clock::now();
                let spent = now - self.epoch_start;
                self.epoch_start = now;
                defmt::info!(
                    "epoch {=u32}: loss {=f32}, train accuracy {=f32}, lr {=f32} ({=u64} M {=str})",
                    r.epoch,
                    r.stats.mean_loss(),
                    r.stats.accuracy().unwrap_or(0.0),
                    r.last_step.learning_rate,
                    spent / 1_000_000,
                    clock::UNIT
                );
            }
            Event::Trained(r) => {
                defmt::info!(
                    "trained: {=u32} epochs, {=u32} steps, stopped by {}",
                    r.epochs,
                    r.iterations,
                    r.reason
                );
            }
            Event::Finished(s) => {
                defmt::info!(
                    "final loss {=f32}, lr {=f32}; train accuracy {=f32} (loss {=f32}), test accuracy {=f32} (loss {=f32})",
                    s.final_loss(),
                    s.learning_rate,
                    s.train_accuracy().unwrap_or(0.0),
                    s.train.mean_loss(),
                    s.test_accuracy().unwrap_or(0.0),
                    s.test.mean_loss()
                );
            }
        }
    }
}
