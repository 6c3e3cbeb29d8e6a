//! The per-epoch progress bar on stderr, the epoch lines on stdout, and the
//! bar of a file being loaded.

use anyhow::{Result, anyhow};
use indicatif::{ProgressBar, ProgressStyle};

use super::metrics::{EpochRecord, epoch_summary};

/// A per-epoch progress bar on stderr (hidden when `show` is false or
/// stderr is not a terminal).
pub fn progress_bar(show: bool, epochs: u64) -> Result<ProgressBar> {
    let bar = if show {
        ProgressBar::new(epochs)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] epoch {pos}/{len} {msg} ({elapsed})")
            .map_err(|e| anyhow!("{e}"))?
            .progress_chars("=> "),
    );
    bar.set_prefix("training");
    Ok(bar)
}

/// A training run's progress: the bar (its message the latest epoch's
/// summary) and, when shown, a line for the first and the last epoch and
/// for about twenty evenly spaced ones between.
pub struct EpochProgress {
    bar: ProgressBar,
    show: bool,
    epochs: u32,
    print_every: u32,
}

impl EpochProgress {
    /// Progress of a run of `epochs` epochs; nothing is drawn or printed
    /// unless `show`.
    ///
    /// # Errors
    /// If the bar's template does not parse.
    pub fn new(show: bool, epochs: u32) -> Result<Self> {
        Ok(EpochProgress {
            bar: progress_bar(show, u64::from(epochs))?,
            show,
            epochs,
            print_every: if epochs <= 30 { 1 } else { epochs.div_ceil(20) },
        })
    }

    /// One epoch done.
    pub fn epoch(&self, record: &EpochRecord) {
        self.bar.set_message(epoch_summary(record));
        self.bar.inc(1);
        let listed = record.epoch.is_multiple_of(self.print_every)
            || record.epoch == 1
            || record.epoch == self.epochs;
        if self.show && listed {
            let line = format!(
                "epoch {:>4}/{}  {}",
                record.epoch,
                self.epochs,
                epoch_summary(record)
            );
            if self.bar.is_hidden() {
                // A closed stdout (`| head`) fails the run's final output
                // instead, where the command ends quietly.
                let _ = crate::outln!("{line}");
            } else {
                self.bar.println(line);
            }
        }
    }

    /// The run is over: the bar goes.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// A file being read: a bar of bytes on stderr (hidden when `show` is
/// false or stderr is not a terminal).
#[derive(Debug)]
pub struct LoadProgress {
    bar: ProgressBar,
}

impl LoadProgress {
    /// Progress through `total` bytes of `name`.
    ///
    /// # Errors
    /// If the bar's template does not parse.
    pub fn new(show: bool, name: &str, total: u64) -> Result<Self> {
        let bar = if show {
            ProgressBar::new(total)
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
            )
            .map_err(|e| anyhow!("{e}"))?
            .progress_chars("=> "),
        );
        bar.set_prefix(format!("loading {name}"));
        Ok(LoadProgress { bar })
    }

    /// `read` bytes read so far.
    pub fn read(&self, read: u64) {
        self.bar.set_position(read);
    }

    /// The file is read: the bar goes.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
