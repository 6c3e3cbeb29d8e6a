//! The per-epoch progress bar on stderr.

use anyhow::{Result, anyhow};
use indicatif::{ProgressBar, ProgressStyle};

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
