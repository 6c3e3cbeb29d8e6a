//! Input scaling (`--normalize`), fitted on the training rows by the
//! core's [`microprop::NormalizerFit`].

use clap::ValueEnum;
use microprop::Scaling;

/// Input normalisation, fitted on the training rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NormalizeKind {
    /// Features as they are.
    None,
    /// (x − min) / (max − min), into [0, 1].
    Minmax,
    /// (x − mean) / std.
    Standard,
}

impl NormalizeKind {
    /// The core's [`Scaling`], `None` for no scaling.
    pub fn scaling(self) -> Option<Scaling> {
        match self {
            NormalizeKind::None => None,
            NormalizeKind::Minmax => Some(Scaling::MinMax),
            NormalizeKind::Standard => Some(Scaling::Standard),
        }
    }

    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            NormalizeKind::None => "none",
            NormalizeKind::Minmax => "minmax",
            NormalizeKind::Standard => "standard",
        }
    }
}
