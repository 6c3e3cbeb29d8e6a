//! What `eval` and `predict` are told: every flag of both commands.

use std::path::PathBuf;

use clap::Args;

use crate::models::{Builtin, HeldOutArgs};

/// What `eval` is told.
#[derive(Debug, Clone, PartialEq, Args)]
#[command(
    after_help = "Without --model the checkpoint's shape picks the built-in model. A model file of \
`train --layers` records its columns and split: eval maps the CSV's columns by name and, on the \
training file, scores exactly the rows train held out (on another file, every row).\n\
Examples:\n  microprop-sim eval --checkpoint iris.mpck\n  \
microprop-sim eval --checkpoint iris.mpm\n  \
microprop-sim eval --checkpoint iris.mpm --csv new-flowers.csv --json\n  \
microprop-sim eval --model iris --checkpoint iris.mpck --csv my.csv --test-fraction 0",
    mut_arg("csv", |a| a.help("Measure on this CSV file (header row; label column --label or the last)")),
    mut_arg("idx", |a| a.help("Measure on these IDX images and labels files (raw or gzip)"))
)]
pub struct EvalOptions {
    /// The model (default: the built-in model of the checkpoint's shape).
    #[arg(long, value_enum)]
    pub model: Option<Builtin>,
    /// The model checkpoint (`train --checkpoint`); by default the model's,
    /// `<model>.mpck` in the current directory.
    #[arg(
        long,
        help = "The model checkpoint (`train --checkpoint`) [default: <model>.mpck]"
    )]
    pub checkpoint: Option<PathBuf>,
    /// The rows and how train held them out.
    #[command(flatten)]
    pub split: HeldOutArgs,
    /// Print one JSON object with the scores instead of text.
    #[arg(long)]
    pub json: bool,
}

impl EvalOptions {
    /// `model` from `checkpoint` on its bundled data, split as `train`
    /// splits it by default.
    pub fn new(model: Builtin, checkpoint: PathBuf) -> Self {
        EvalOptions {
            model: Some(model),
            checkpoint: Some(checkpoint),
            split: HeldOutArgs::default(),
            json: false,
        }
    }
}

/// What `predict` is told.
#[derive(Debug, Clone, PartialEq, Args)]
#[command(
    after_help = "Examples:\n  microprop-sim predict --checkpoint iris.mpck --input \"5.1,3.5,1.4,0.2\"\n  \
microprop-sim predict --model sine --checkpoint sine.mpck --input 0.5 --input 1.5\n  \
microprop-sim predict --checkpoint iris.mpck --csv rows.csv\n  \
microprop-sim predict --checkpoint iris.mpm --csv new-flowers.csv --out predictions.csv"
)]
pub struct PredictOptions {
    /// The model (default: the built-in model of the checkpoint's shape).
    #[arg(long, value_enum)]
    pub model: Option<Builtin>,
    /// The model checkpoint (`train --checkpoint`); by default the model's,
    /// `<model>.mpck` in the current directory.
    #[arg(
        long,
        help = "The model checkpoint (`train --checkpoint`) [default: <model>.mpck]"
    )]
    pub checkpoint: Option<PathBuf>,
    /// One row: the model's inputs, comma- or space-separated (repeatable).
    #[arg(
        id = "input",
        long = "input",
        value_name = "INPUT",
        allow_hyphen_values = true
    )]
    pub inputs: Vec<String>,
    /// Rows from a CSV file with a header: the inputs, and optionally the label
    /// (an extra last column, or --label) to score the predictions.
    #[arg(long)]
    pub csv: Option<PathBuf>,
    /// The CSV column holding the label.
    #[arg(long, requires = "csv")]
    pub label: Option<String>,
    /// Also write the predictions to this CSV file (class names for a
    /// model of any shape's classifier), through a temporary file and a
    /// rename.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print one JSON object with the predictions instead of text.
    #[arg(long)]
    pub json: bool,
}
