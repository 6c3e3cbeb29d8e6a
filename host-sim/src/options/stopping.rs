//! Stopping criteria besides the epoch count (`--patience`, `--min-delta`,
//! `--min-grad-norm`, `--min-weight-change`, `--max-iterations`), built as
//! the core's [`Stopping`].

use clap::Args;
use microprop::{Patience, Stopping};

/// Stopping criteria besides the epoch count; `None` = off.
#[derive(Debug, Clone, Copy, PartialEq, Default, Args)]
pub struct StopSettings {
    /// Stop after this many epochs without improvement (restores the best weights).
    #[arg(long)]
    pub patience: Option<u32>,
    /// The smallest loss decrease that counts as an improvement.
    #[arg(long, default_value_t = 0.0)]
    pub min_delta: f32,
    /// Stop when the gradient norm falls below this.
    #[arg(long)]
    pub min_grad_norm: Option<f32>,
    /// Stop when a step moves the weights by less than this (L2 norm).
    #[arg(long)]
    pub min_weight_change: Option<f32>,
    /// Stop after this many optimizer steps.
    #[arg(long)]
    pub max_iterations: Option<u32>,
}

impl StopSettings {
    /// The core's [`Stopping`] for a run of at most `epochs` epochs.
    pub fn stopping(&self, epochs: u32) -> Stopping {
        Stopping {
            max_epochs: epochs,
            max_iterations: self.max_iterations,
            min_grad_norm: self.min_grad_norm,
            min_weight_change: self.min_weight_change,
            patience: self.patience.map(|epochs| Patience {
                epochs,
                min_delta: self.min_delta,
            }),
        }
    }
}
