//! Rows per optimizer step (`--batch`) and the trainer's batch buffer.

use std::fmt;
use std::str::FromStr;

use microprop::BatchMode;

/// Rows the trainer's batch buffer holds (its `B`). Larger batches, and the
/// full batch, accumulate chunks of this many rows before one step.
pub const BUFFER: usize = 16;

/// Rows per optimizer step: `1` = SGD, `n` = mini-batches of n, `full` (or
/// `0`) = every training row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    /// This many rows per step.
    Rows(usize),
    /// All training rows per step.
    Full,
}

impl Batch {
    /// The core's [`BatchMode`].
    pub fn mode(self) -> BatchMode {
        match self {
            Batch::Rows(1) => BatchMode::Stochastic,
            Batch::Rows(n) => BatchMode::MiniBatch(n),
            Batch::Full => BatchMode::Full,
        }
    }
}

impl FromStr for Batch {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "full" | "0" => Ok(Batch::Full),
            _ => s
                .parse::<usize>()
                .map(Batch::Rows)
                .map_err(|_| format!("{s:?} is not a batch size: use 1 (SGD), n, or full")),
        }
    }
}

impl fmt::Display for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Batch::Rows(n) => write!(f, "{n}"),
            Batch::Full => write!(f, "full"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_sizes_map_to_the_lecture_modes() {
        assert_eq!("1".parse::<Batch>().unwrap().mode(), BatchMode::Stochastic);
        assert_eq!(
            "16".parse::<Batch>().unwrap().mode(),
            BatchMode::MiniBatch(16)
        );
        assert_eq!("full".parse::<Batch>().unwrap().mode(), BatchMode::Full);
        assert_eq!("0".parse::<Batch>().unwrap().mode(), BatchMode::Full);
        assert!("x".parse::<Batch>().is_err());
    }
}
