//! `microprop-sim`: run microprop's core on the PC.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use microprop_sim::demo::DemoOptions;
use microprop_sim::eval::{EvalOptions, PredictOptions};
use microprop_sim::experiments::{Experiment, ExperimentOptions};
use microprop_sim::export::ExportOptions;
use microprop_sim::footprint::FootprintOptions;
use microprop_sim::import::ImportOptions;
use microprop_sim::is_broken_pipe;
use microprop_sim::quantize::QuantizeOptions;
use microprop_sim::simulate::SimOptions;
use microprop_sim::train::TrainOptions;
use microprop_sim::train::watch::{INTERRUPTED_EXIT_CODE, Interrupted};
use microprop_sim::{
    catalog, demo, eval, experiments, export, footprint, import, quantize, simulate, train,
};

#[derive(Parser)]
#[command(
    version,
    about = "microprop host simulator: the on-device training core, run on the PC",
    after_help = "With no command, runs the demo."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Train the 8x8 digits classifier (64-32-10, tanh, softmax + cross-entropy,
    /// Adam with warmup + cosine decay, batch 16); print accuracy, a confusion
    /// matrix and memory on the nRF52840; draw the training curves.
    Demo(DemoOptions),
    /// Train a built-in model on its bundled data or your CSV/IDX file.
    Train(Box<TrainOptions>),
    /// Bytes a built-in model needs to train and run, and which MCUs hold them.
    Footprint(FootprintOptions),
    /// List the built-in models.
    Models,
    /// Loss and accuracy of a trained model (its checkpoint) on its bundled
    /// data or your CSV/IDX file, with a confusion matrix for classifiers.
    Eval(EvalOptions),
    /// Run a trained model (its checkpoint) on rows given as text or a CSV file.
    Predict(PredictOptions),
    /// Write a trained model as source for the firmware: a checkpoint of any
    /// shape as Rust `const`s to `include!` and a C header for the C API
    /// (or a built-in model's checkpoint and Rust source).
    Export(ExportOptions),
    /// Read a PyTorch `nn.Sequential` of `Linear` layers (its state_dict,
    /// saved with safetensors) into a microprop checkpoint.
    Import(ImportOptions),
    /// Turn the layers you name of a trained model (its float checkpoint)
    /// into int8 frozen layers (per-channel symmetric scales) and measure
    /// the accuracy before and after.
    Quantize(QuantizeOptions),
    /// Run the firmware's digits job through the device crate's learning loop
    /// on simulated peripherals: LED, delay, NOR flash with power cuts, and
    /// the part's RAM budget.
    Simulate(SimOptions),
    /// Run one of the lecture's experiments: a figure (PNG + SVG) and a table.
    Experiment {
        /// Which experiment.
        #[arg(value_enum)]
        name: Experiment,
        #[command(flatten)]
        options: ExperimentOptions,
    },
}

fn main() -> ExitCode {
    // AVX2 / AVX-512 kernels where the CPU has them: the same bits as the
    // built-in SSE2 loops, so results do not depend on the machine.
    microprop_host::init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        // Ctrl-C during training: the files are written; say where.
        Err(e) if e.downcast_ref::<Interrupted>().is_some() => {
            eprintln!("{e}");
            ExitCode::from(INTERRUPTED_EXIT_CODE)
        }
        // The reader of stdout went away (`| head`): nothing left to say.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command.unwrap_or_default() {
        Command::Demo(options) => demo::command(&options),
        Command::Train(options) => train::command(&options),
        Command::Footprint(options) => footprint::command(&options),
        Command::Models => Ok(catalog::command()?),
        Command::Eval(options) => eval::measure::command(&options),
        Command::Predict(options) => eval::predict::command(&options),
        Command::Export(options) => export::command(&options),
        Command::Import(options) => import::command(&options),
        Command::Quantize(options) => quantize::command(&options),
        Command::Simulate(options) => simulate::command(&options),
        Command::Experiment { name, options } => experiments::run(name, &options),
    }
}

impl Default for Command {
    /// With no command: the demo with its defaults.
    fn default() -> Self {
        Command::Demo(DemoOptions::default())
    }
}
