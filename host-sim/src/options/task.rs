//! What a model on the user's CSV predicts (`--task classify|regress`).

use clap::ValueEnum;

/// What a model on the user's CSV predicts (`--task`); detected from the
/// label column when not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TaskChoice {
    /// One of the label column's distinct values (softmax + cross-entropy).
    Classify,
    /// The label column's number (mean squared error).
    Regress,
}

impl TaskChoice {
    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            TaskChoice::Classify => "classify",
            TaskChoice::Regress => "regress",
        }
    }
}
