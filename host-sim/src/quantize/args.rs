//! What `quantize` is told.

use std::path::PathBuf;

use clap::Args;

use crate::models::{Builtin, HeldOutArgs};

/// What `quantize` is told.
#[derive(Debug, Clone, PartialEq, Args)]
#[command(
    after_help = "Quantises each named layer's weights to int8 with one scale per unit \
(max|w|/127, rounded to nearest even; zero point 0, as TFLite/CMSIS-NN) and measures the model \
before and after on the rows train held out (the bundled MNIST: its own test set). Models: the \
two-layer built-ins (digits, mnist, iris, xor).\n\
With --out, the int8 model (its int8 layers' weights, scales and biases, the other layers' \
floats and the float model's scaling) is written there as a checkpoint; never over the float \
checkpoint it read.\n\
Examples:\n  microprop-sim quantize --checkpoint digits.mpck\n  \
microprop-sim quantize --model mnist --layers 0,1 --json\n  \
microprop-sim quantize --checkpoint digits.mpck --out digits-int8.mpck",
    mut_arg("csv", |a| a.help("Measure on this CSV file (header row; label column --label or the last)")),
    mut_arg("idx", |a| a.help("Measure on these IDX images and labels files (raw or gzip)")),
    mut_arg("test_fraction", |a| a.help("Hold out this fraction as train did (default: the model's)"))
)]
pub struct QuantizeOptions {
    /// The model (default: the built-in model of the checkpoint's shape).
    #[arg(long, value_enum)]
    pub model: Option<Builtin>,
    /// The float model checkpoint (`train --checkpoint`); by default the
    /// model's, `<model>.mpck`.
    #[arg(
        long,
        help = "The float model checkpoint (`train --checkpoint`) [default: <model>.mpck]"
    )]
    pub checkpoint: Option<PathBuf>,
    /// The layers to quantise, from 0 (default: the hidden layers, every
    /// layer but the last).
    #[arg(long, value_delimiter = ',', value_name = "INDEX,...")]
    pub layers: Option<Vec<usize>>,
    /// The rows and how train held them out.
    #[command(flatten)]
    pub split: HeldOutArgs,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write the int8 model's checkpoint here.
    #[arg(
        long,
        value_name = "PATH",
        help = "Write the int8 model's checkpoint here (not over --checkpoint)"
    )]
    pub out: Option<PathBuf>,
}

impl QuantizeOptions {
    /// `model` from `checkpoint` on its bundled data, quantising `layers`
    /// (`None`: the hidden layers).
    pub fn new(model: Builtin, checkpoint: PathBuf, layers: Option<Vec<usize>>) -> Self {
        QuantizeOptions {
            model: Some(model),
            checkpoint: Some(checkpoint),
            layers,
            split: HeldOutArgs::default(),
            json: false,
            out: None,
        }
    }
}
