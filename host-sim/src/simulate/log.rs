//! The simulator's log of the firmware loop's events, with the LED and the
//! simulated time.

use std::io::Write;

use microprop_device::Event;

use super::peripherals::SharedTrace;

/// Prints the loop's events with the LED and the simulated time.
pub(super) struct EpochLog<'a> {
    /// The LED's and the clock's record.
    pub(super) trace: SharedTrace,
    /// Where the lines go.
    pub(super) out: &'a mut dyn Write,
    /// Every epoch, or the first, every fifth and the last.
    pub(super) every_epoch: bool,
    /// The epoch limit, to print the last epoch.
    pub(super) max_epochs: u32,
}

impl EpochLog<'_> {
    /// Prints `event` (write errors are ignored: the log is best-effort).
    pub(super) fn log(&mut self, event: &Event) {
        let (led, now) = {
            let t = self.trace.borrow();
            (t.led.last().is_some_and(|&(_, high)| high), t.now_ns)
        };
        let _ = match event {
            Event::Start(s) => writeln!(
                self.out,
                "training on {} rows ({} held out): {} epochs of {} steps; LED low at t = {:.3} s",
                s.train_rows,
                s.test_rows,
                s.max_epochs,
                s.steps_per_epoch,
                now as f64 / 1e9
            ),
            Event::Epoch(r) => {
                let n = r.epoch + 1;
                if self.every_epoch || n == 1 || n % 5 == 0 || n == self.max_epochs {
                    writeln!(
                        self.out,
                        "epoch {n:>3}: loss {:.4}, train accuracy {:.4}, lr {:.2e}; LED {} at t = {:.3} s",
                        r.stats.mean_loss(),
                        r.stats.accuracy().unwrap_or(0.0),
                        r.last_step.learning_rate,
                        if led { "on " } else { "off" },
                        now as f64 / 1e9
                    )
                } else {
                    Ok(())
                }
            }
            Event::Trained(r) => writeln!(
                self.out,
                "trained: {} epochs, {} steps, stopped by {:?}",
                r.epochs, r.iterations, r.reason
            ),
            Event::Finished(s) => writeln!(
                self.out,
                "final loss {:.4}; train accuracy {:.4} (loss {:.4}), test accuracy {:.4} (loss {:.4})",
                s.final_loss(),
                s.train_accuracy().unwrap_or(0.0),
                s.train.mean_loss(),
                s.test_accuracy().unwrap_or(0.0),
                s.test.mean_loss()
            ),
        };
    }
}
