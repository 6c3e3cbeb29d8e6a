//! `microprop-sim`: run microprop's core on the PC.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};
use microprop_sim::data::LabelColumn;
use microprop_sim::demo::{self, DemoConfig};
use microprop_sim::device::{self, Part, SimOptions};
use microprop_sim::eval::{self, EvalOptions, PredictOptions};
use microprop_sim::experiments::{self, Experiment, ExperimentOptions};
use microprop_sim::export::{self, ExportOptions};
use microprop_sim::footprint::{self, BATCHES};
use microprop_sim::models::Builtin;
use microprop_sim::options::{
    Batch, EpsPlacement, InitKind, InitSettings, NormalizeKind, OptimizerKind, OptimizerSettings,
    ScheduleKind, ScheduleSettings,
};
use microprop_sim::train::{self, DataSource, StopSettings, TrainOptions};

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
    Demo(DemoArgs),
    /// Train a built-in model on its bundled data or your CSV/IDX file.
    Train(Box<TrainArgs>),
    /// Bytes a built-in model needs to train and run, and which MCUs hold them.
    Footprint(FootprintArgs),
    /// List the built-in models.
    Models,
    /// Loss and accuracy of a trained model (its checkpoint) on its bundled
    /// data or your CSV/IDX file, with a confusion matrix for classifiers.
    Eval(EvalArgs),
    /// Run a trained model (its checkpoint) on rows given as text or a CSV file.
    Predict(PredictArgs),
    /// Write a trained model for the firmware: the binary checkpoint and a
    /// Rust source file of `const` items to `include!`.
    Export(ExportArgs),
    /// Run the firmware's digits job through the device crate's learning loop
    /// on simulated peripherals: LED, delay, NOR flash with power cuts, and
    /// the part's RAM budget.
    Simulate(SimulateArgs),
    /// Run one of the lecture's experiments: a figure (PNG + SVG) and a table.
    Experiment(ExperimentArgs),
}

#[derive(Parser)]
struct DemoArgs {
    /// Passes over the training data.
    #[arg(long, default_value_t = DemoConfig::default().epochs)]
    epochs: usize,
    /// Adam's peak learning rate (after the warmup).
    #[arg(long, default_value_t = DemoConfig::default().learning_rate)]
    lr: f32,
    /// Seed for split, weights and shuffles.
    #[arg(long, default_value_t = DemoConfig::default().seed)]
    seed: u64,
    /// Directory holding digits8x8.csv.
    #[arg(long, default_value_os_t = microprop_sim::bundled_data_dir())]
    data: PathBuf,
    /// Where to write the loss/accuracy curves (PNG).
    #[arg(long, default_value_os_t = microprop_sim::target_dir().join("demo-curves.png"))]
    plot: PathBuf,
    /// Don't draw the curves.
    #[arg(long)]
    no_plot: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

impl Default for DemoArgs {
    fn default() -> Self {
        DemoArgs::parse_from(["demo"])
    }
}

#[derive(Args)]
#[command(
    after_help = "Unset settings take the model's defaults (see `microprop-sim models`).\n\
Examples:\n  microprop-sim train --model iris\n  microprop-sim train --model digits --optimizer sgd --lr 0.1 --batch 1 --epochs 5\n  \
microprop-sim train --model iris --csv my.csv --label species --normalize standard --metrics m.csv\n  \
microprop-sim train --model iris --epochs 50 --save-state iris.state && microprop-sim train --model iris --resume iris.state --epochs 50"
)]
struct TrainArgs {
    /// The model.
    #[arg(long, value_enum)]
    model: Builtin,
    /// Train on this CSV file (header row; label column --label or the last).
    #[arg(long, conflicts_with = "idx")]
    csv: Option<PathBuf>,
    /// The CSV column holding the label (default: the last column).
    #[arg(long, requires = "csv")]
    label: Option<String>,
    /// Train on these IDX images and labels files (raw or gzip).
    #[arg(long, num_args = 2, value_names = ["IMAGES", "LABELS"])]
    idx: Option<Vec<PathBuf>>,
    /// Directory of the bundled data sets.
    #[arg(long, default_value_os_t = microprop_sim::bundled_data_dir())]
    data_dir: PathBuf,

    /// Optimizer.
    #[arg(long, value_enum)]
    optimizer: Option<OptimizerKind>,
    /// Momentum β (momentum, nesterov).
    #[arg(long, default_value_t = 0.9)]
    momentum: f32,
    /// Adam's β1.
    #[arg(long, default_value_t = 0.9)]
    beta1: f32,
    /// Adam's β2.
    #[arg(long, default_value_t = 0.999)]
    beta2: f32,
    /// RMSprop's α (the lecture's γ).
    #[arg(long, default_value_t = 0.99)]
    alpha: f32,
    /// ε of AdaGrad (default 1e-10), RMSprop and Adam (1e-8).
    #[arg(long)]
    eps: Option<f32>,
    /// ε outside the square root (PyTorch) or inside (the lecture).
    #[arg(long, value_enum, default_value_t = EpsPlacement::Outside)]
    eps_placement: EpsPlacement,
    /// Weight decay: L2, or decoupled for adamw (default 0; adamw 0.01).
    #[arg(long)]
    weight_decay: Option<f32>,

    /// Peak learning rate.
    #[arg(long)]
    lr: Option<f32>,
    /// Learning-rate schedule after the warmup.
    #[arg(long, value_enum, default_value_t = ScheduleKind::Constant)]
    schedule: ScheduleKind,
    /// factor: multiplier α (default 0.5).
    #[arg(long)]
    factor: Option<f32>,
    /// factor: steps between reductions (default one epoch).
    #[arg(long)]
    every: Option<u32>,
    /// factor: floor of the learning rate (default 0).
    #[arg(long)]
    min_lr: Option<f32>,
    /// exponential: α per step (default: down to lr/100 by the last step).
    #[arg(long)]
    decay: Option<f32>,
    /// polynomial: α (default 10 / steps).
    #[arg(long)]
    poly_alpha: Option<f32>,
    /// polynomial: β (default 0.5).
    #[arg(long)]
    power: Option<f32>,
    /// cosine: the final learning rate (default lr/100).
    #[arg(long)]
    final_lr: Option<f32>,
    /// cosine: period in steps (default: every step after the warmup).
    #[arg(long)]
    period: Option<u32>,
    /// Steps of linear warmup from 0 to the peak learning rate.
    #[arg(long, default_value_t = 0)]
    warmup: u32,

    /// Rows per step: 1 = SGD, n = mini-batch, 0 or full = full batch
    /// (steps over more than 16 rows accumulate in the 16-row buffer).
    #[arg(long)]
    batch: Option<Batch>,
    /// Epochs (upper bound).
    #[arg(long)]
    epochs: Option<u32>,
    /// Weight initialisation.
    #[arg(long, value_enum, default_value_t = InitKind::Xavier)]
    init: InitKind,
    /// normal: standard deviation.
    #[arg(long, default_value_t = 1.0)]
    init_std: f32,
    /// uniform: half-width a of U(-a, a).
    #[arg(long, default_value_t = 1.0)]
    init_limit: f32,
    /// constant: the value.
    #[arg(long, default_value_t = 0.01)]
    init_value: f32,
    /// Seed for initialisation, split and shuffling.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Input scaling, fitted on the training rows.
    #[arg(long, value_enum)]
    normalize: Option<NormalizeKind>,

    /// Stop after this many epochs without improvement (restores the best weights).
    #[arg(long)]
    patience: Option<u32>,
    /// The smallest loss decrease that counts as an improvement.
    #[arg(long, default_value_t = 0.0)]
    min_delta: f32,
    /// Stop when the gradient norm falls below this.
    #[arg(long)]
    min_grad_norm: Option<f32>,
    /// Stop when a step moves the weights by less than this (L2 norm).
    #[arg(long)]
    min_weight_change: Option<f32>,
    /// Stop after this many optimizer steps.
    #[arg(long)]
    max_iterations: Option<u32>,
    /// Fraction of the rows held out for testing (the bundled MNIST has its
    /// own test set and ignores it).
    #[arg(long)]
    test_fraction: Option<f32>,

    /// Write per-epoch loss/accuracy/lr to this CSV file.
    #[arg(long)]
    metrics: Option<PathBuf>,
    /// Write the model checkpoint (parameters and normalisers) here; eval,
    /// predict and export read it [default: target/<model>.mpck].
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Don't write the model checkpoint.
    #[arg(long, conflicts_with = "checkpoint")]
    no_checkpoint: bool,
    /// Also write the training state (parameters, optimizer state, step
    /// count) here, for --resume.
    #[arg(long)]
    save_state: Option<PathBuf>,
    /// Continue from a training state written by --save-state (same model
    /// and optimizer): optimizer state, step count and schedule carry on.
    #[arg(long)]
    resume: Option<PathBuf>,
    /// No progress bar and no per-epoch lines.
    #[arg(long)]
    quiet: bool,
}

#[derive(Args)]
#[command(
    after_help = "Without --model the checkpoint's shape picks the built-in model.\n\
Examples:\n  microprop-sim eval --checkpoint target/iris.mpck\n  \
microprop-sim eval --model iris --checkpoint target/iris.mpck --csv my.csv --test-fraction 0"
)]
struct EvalArgs {
    /// The model (default: the built-in model of the checkpoint's shape).
    #[arg(long, value_enum)]
    model: Option<Builtin>,
    /// The model checkpoint (`train --checkpoint`) [default: target/<model>.mpck].
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Measure on this CSV file (header row; label column --label or the last).
    #[arg(long, conflicts_with = "idx")]
    csv: Option<PathBuf>,
    /// The CSV column holding the label (default: the last column).
    #[arg(long, requires = "csv")]
    label: Option<String>,
    /// Measure on these IDX images and labels files (raw or gzip).
    #[arg(long, num_args = 2, value_names = ["IMAGES", "LABELS"])]
    idx: Option<Vec<PathBuf>>,
    /// Directory of the bundled data sets.
    #[arg(long, default_value_os_t = microprop_sim::bundled_data_dir())]
    data_dir: PathBuf,
    /// Hold out this fraction as train did (default: the model's, as train's;
    /// 0 = measure every row as one set).
    #[arg(long)]
    test_fraction: Option<f32>,
    /// The seed train split with.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

#[derive(Args)]
#[command(
    after_help = "Examples:\n  microprop-sim predict --checkpoint target/iris.mpck --input \"5.1,3.5,1.4,0.2\"\n  \
microprop-sim predict --model sine --checkpoint target/sine.mpck --input 0.5 --input 1.5\n  \
microprop-sim predict --checkpoint target/iris.mpck --csv rows.csv"
)]
struct PredictArgs {
    /// The model (default: the built-in model of the checkpoint's shape).
    #[arg(long, value_enum)]
    model: Option<Builtin>,
    /// The model checkpoint (`train --checkpoint`) [default: target/<model>.mpck].
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// One row: the model's inputs, comma- or space-separated (repeatable).
    #[arg(long, allow_hyphen_values = true)]
    input: Vec<String>,
    /// Rows from a CSV file with a header: the inputs, and optionally the label
    /// (an extra last column, or --label) to score the predictions.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// The CSV column holding the label.
    #[arg(long, requires = "csv")]
    label: Option<String>,
}

#[derive(Args)]
#[command(
    after_help = "Example:\n  microprop-sim export --model digits --checkpoint target/digits.mpck --out firmware/model"
)]
struct ExportArgs {
    /// The model (default: the built-in model of the checkpoint's shape).
    #[arg(long, value_enum)]
    model: Option<Builtin>,
    /// The model checkpoint (`train --checkpoint`) [default: target/<model>.mpck].
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Directory for <name>.mpck and <name>.rs.
    #[arg(long, default_value_os_t = microprop_sim::target_dir().join("export"))]
    out: PathBuf,
    /// File name stem [default: the model's name].
    #[arg(long)]
    name: Option<String>,
}

#[derive(Args)]
#[command(
    after_help = "Examples:\n  microprop-sim simulate\n  microprop-sim simulate --part stm32f411 --boots 2 --epochs 5\n  \
microprop-sim simulate --boots 2 --epochs 2 --power-cut-after 10000\n  microprop-sim simulate --part stm32f103   # does not fit: refused"
)]
struct SimulateArgs {
    /// The part: nrf52840, rp2040, stm32f411, stm32f103, stm32f030.
    #[arg(long, default_value = "nrf52840")]
    part: String,
    /// Override the part's RAM, in bytes (k/K = KiB), e.g. 64k.
    #[arg(long, value_parser = parse_bytes)]
    ram: Option<usize>,
    /// Bytes of RAM to reserve for the stack.
    #[arg(long, default_value_t = device::DEFAULT_STACK, value_parser = parse_bytes)]
    stack: usize,
    /// Epochs per boot (the firmware's job: 20).
    #[arg(long, default_value_t = microprop_device::digits::EPOCHS)]
    epochs: u32,
    /// Boots: each resumes from the newest checkpoint in flash, trains and saves.
    #[arg(long, default_value_t = 1)]
    boots: u32,
    /// Cut the power after this many bytes written to flash during the last
    /// boot's save; the next boot must find the previous checkpoint.
    #[arg(long, value_parser = parse_bytes)]
    power_cut_after: Option<usize>,
    /// Pause after each epoch's LED toggle, in milliseconds (the firmware on
    /// QEMU uses 0).
    #[arg(long, default_value_t = 100)]
    pause_ms: u32,
    /// Keep the simulated flash in this file, so the next run resumes.
    #[arg(long)]
    flash: Option<PathBuf>,
    /// Print every epoch (default: the first, every fifth and the last).
    #[arg(long)]
    every_epoch: bool,
    /// Directory holding digits8x8.csv.
    #[arg(long, default_value_os_t = microprop_sim::bundled_data_dir())]
    data_dir: PathBuf,
}

/// "4096", "64k", "64KiB".
fn parse_bytes(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, ""),
    };
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a byte count (e.g. 4096 or 64k)"))?;
    match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => Ok(n),
        "k" | "kb" | "kib" => Ok(n * 1024),
        "m" | "mb" | "mib" => Ok(n * 1024 * 1024),
        _ => Err(format!("{s:?}: unknown unit {unit:?} (use k or m)")),
    }
}

#[derive(Args)]
struct FootprintArgs {
    /// The model.
    #[arg(long, value_enum, default_value_t = Builtin::Digits)]
    model: Builtin,
    /// The optimizer (its state is part of the trainer).
    #[arg(long, value_enum, default_value_t = OptimizerKind::Adam)]
    optimizer: OptimizerKind,
    /// Rows of the trainer's batch buffer (B, a const generic): 1, 2, 4, ..., 512.
    #[arg(long, default_value_t = 16)]
    batch: usize,
}

#[derive(Args)]
struct ExperimentArgs {
    /// Which experiment.
    #[arg(value_enum)]
    name: Experiment,
    /// A small, fast version (seconds; for tests).
    #[arg(long)]
    quick: bool,
    /// Directory for the figures.
    #[arg(long, default_value_os_t = microprop_sim::target_dir().join("figures"))]
    out: PathBuf,
    /// Write only the PNG, no SVG.
    #[arg(long)]
    no_svg: bool,
    /// Directory of the bundled data sets.
    #[arg(long, default_value_os_t = microprop_sim::bundled_data_dir())]
    data_dir: PathBuf,
    /// Seed.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

fn main() -> ExitCode {
    // AVX2 / AVX-512 kernels where the CPU has them: the same bits as the
    // built-in SSE2 loops, so results do not depend on the machine.
    microprop_host::init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command.unwrap_or(Command::Demo(DemoArgs::default())) {
        Command::Demo(args) => run_demo(&args),
        Command::Train(args) => run_train(*args),
        Command::Footprint(args) => {
            let f = footprint::footprint(args.model, args.optimizer, args.batch)?;
            print!("{}", footprint::render(&f, args.optimizer));
            Ok(())
        }
        Command::Models => {
            print_models();
            Ok(())
        }
        Command::Eval(args) => run_eval(args),
        Command::Predict(args) => run_predict(args),
        Command::Export(args) => run_export(args),
        Command::Simulate(args) => run_simulate(args),
        Command::Experiment(args) => experiments::run(
            args.name,
            &ExperimentOptions {
                quick: args.quick,
                out: args.out,
                svg: !args.no_svg,
                data_dir: args.data_dir,
                seed: args.seed,
            },
        ),
    }
}

fn run_demo(args: &DemoArgs) -> Result<()> {
    let config = DemoConfig {
        epochs: args.epochs,
        learning_rate: args.lr,
        seed: args.seed,
        ..DemoConfig::default()
    };
    println!(
        "8x8 digits, model 64-32-10 (tanh, softmax + cross-entropy), Adam, warmup {} epochs then \
         cosine {} -> {}, batch {}, {} epochs, seed {}",
        config.warmup_epochs,
        config.learning_rate,
        config.final_learning_rate,
        demo::BATCH,
        config.epochs,
        config.seed
    );
    let started = std::time::Instant::now();
    let (_, report) = demo::run(&args.data, &config, !args.quiet)?;
    let elapsed = started.elapsed();
    if let (Some(first), Some(last)) = (report.epochs.first(), report.epochs.last()) {
        println!(
            "trained in {elapsed:.2?}: {} steps, epoch loss {:.4} -> {:.4}",
            report.iterations,
            first.mean_loss(),
            last.mean_loss()
        );
    }
    println!(
        "train accuracy: {:.4} ({} rows)",
        report.train_accuracy, report.train_rows
    );
    println!(
        "test accuracy:  {:.4} ({} rows held out)",
        report.test_accuracy, report.test_rows
    );
    println!("confusion matrix of the held-out rows:");
    print!("{}", demo::format_confusion(&report.confusion));
    println!("{}", demo::format_mcu(&report.footprint));
    if !args.no_plot {
        let written = demo::curves(&report).write(&args.plot.with_extension(""), false)?;
        for path in written {
            println!("curves: {}", path.display());
        }
    }
    Ok(())
}

fn run_train(a: TrainArgs) -> Result<()> {
    let model = a.model;
    let d = model.defaults();
    let data = data_source(a.csv, a.label, a.idx)?;
    let optimizer = OptimizerSettings {
        kind: a.optimizer.unwrap_or(d.optimizer),
        momentum: a.momentum,
        beta1: a.beta1,
        beta2: a.beta2,
        alpha: a.alpha,
        eps: a.eps,
        eps_placement: a.eps_placement,
        weight_decay: a.weight_decay,
    };
    let options = TrainOptions {
        model,
        data,
        data_dir: a.data_dir,
        optimizer,
        lr: a.lr.unwrap_or(d.lr),
        schedule: ScheduleSettings {
            kind: a.schedule,
            factor: a.factor,
            every: a.every,
            min_lr: a.min_lr,
            decay: a.decay,
            poly_alpha: a.poly_alpha,
            power: a.power,
            final_lr: a.final_lr,
            period: a.period,
        },
        warmup: a.warmup,
        batch: a.batch.unwrap_or(d.batch),
        epochs: a.epochs.unwrap_or(d.epochs),
        init: InitSettings {
            kind: a.init,
            std: a.init_std,
            limit: a.init_limit,
            value: a.init_value,
        },
        seed: a.seed,
        normalize: a.normalize.unwrap_or(d.normalize),
        stopping: StopSettings {
            patience: a.patience,
            min_delta: a.min_delta,
            min_grad_norm: a.min_grad_norm,
            min_weight_change: a.min_weight_change,
            max_iterations: a.max_iterations,
        },
        test_fraction: a.test_fraction.unwrap_or(d.test_fraction),
        metrics: a.metrics,
        checkpoint: match (a.no_checkpoint, a.checkpoint) {
            (true, _) => None,
            (false, Some(path)) => Some(path),
            (false, None) => Some(default_checkpoint(model)),
        },
        save_state: a.save_state,
        resume: a.resume,
        progress: !a.quiet,
        print_epochs: !a.quiet,
    };
    let source = match &options.data {
        DataSource::Bundled => format!("bundled: {}", model.bundled_data()),
        DataSource::Csv { path, .. } => path.display().to_string(),
        DataSource::Idx { images, labels } => {
            format!("{} + {}", images.display(), labels.display())
        }
    };
    println!(
        "model {}: {}; data {source}\n{}, {} epochs, {} init, seed {}, normalize {}",
        model.label(),
        model.description(),
        match options.batch {
            Batch::Full => format!("full batch (accumulated in a {}-row buffer)", train::BUFFER),
            Batch::Rows(1) => "SGD: 1 row per step".to_string(),
            Batch::Rows(n) if n > train::BUFFER => {
                format!(
                    "{n} rows per step (accumulated in a {}-row buffer)",
                    train::BUFFER
                )
            }
            Batch::Rows(n) => format!("{n} rows per step"),
        },
        options.epochs,
        options
            .init
            .kind
            .to_possible_value()
            .map_or(String::new(), |v| v.get_name().to_string()),
        options.seed,
        options.normalize.name()
    );
    let outcome = train::run(&options)?;
    println!(
        "optimizer {}; lr {}; {} training rows, {} step(s) per epoch",
        outcome.optimizer, outcome.schedule, outcome.train_rows, outcome.steps_per_epoch
    );
    train::print_outcome(&outcome, std::io::stdout().lock())?;
    if let Some(path) = &options.metrics {
        println!("metrics: {}", path.display());
    }
    Ok(())
}

/// Where `train` writes a model's checkpoint unless told otherwise.
fn default_checkpoint(model: Builtin) -> PathBuf {
    microprop_sim::target_dir().join(format!("{}.mpck", model.name()))
}

/// The model and checkpoint a command names: `--model` or the checkpoint's
/// shape; `--checkpoint` or the model's default checkpoint.
fn model_and_checkpoint(
    model: Option<Builtin>,
    checkpoint: Option<PathBuf>,
) -> Result<(Builtin, PathBuf)> {
    match (model, checkpoint) {
        (Some(m), Some(path)) => Ok((m, path)),
        (Some(m), None) => Ok((m, default_checkpoint(m))),
        (None, Some(path)) => Ok((microprop_sim::checkpoints::identify(&path)?, path)),
        (None, None) => anyhow::bail!("name the model (--model) or the checkpoint (--checkpoint)"),
    }
}

fn data_source(
    csv: Option<PathBuf>,
    label: Option<String>,
    idx: Option<Vec<PathBuf>>,
) -> Result<DataSource> {
    Ok(match (csv, idx) {
        (Some(path), _) => DataSource::Csv {
            path,
            label: label.map_or(LabelColumn::Last, LabelColumn::Named),
        },
        (None, Some(files)) => {
            let [images, labels]: [PathBuf; 2] = files
                .try_into()
                .map_err(|_| anyhow::anyhow!("--idx takes two files: IMAGES LABELS"))?;
            DataSource::Idx { images, labels }
        }
        (None, None) => DataSource::Bundled,
    })
}

fn run_eval(a: EvalArgs) -> Result<()> {
    let (model, checkpoint) = model_and_checkpoint(a.model, a.checkpoint)?;
    let data = data_source(a.csv, a.label, a.idx)?;
    let bundled = data == DataSource::Bundled;
    let options = EvalOptions {
        test_fraction: a.test_fraction.unwrap_or(model.defaults().test_fraction),
        seed: a.seed,
        data,
        data_dir: a.data_dir,
        ..EvalOptions::new(model, checkpoint)
    };
    let outcome = eval::eval(&options)?;
    println!(
        "model {}: checkpoint {} ({})",
        model.label(),
        options.checkpoint.display(),
        outcome.contents
    );
    match &options.data {
        DataSource::Csv { path, .. } => println!("data {}", path.display()),
        DataSource::Idx { images, labels } => {
            println!("data {} + {}", images.display(), labels.display());
        }
        DataSource::Bundled => println!("data bundled: {}", model.bundled_data()),
    }
    if outcome.test.is_some() && !(bundled && model == Builtin::Mnist) {
        println!(
            "held out as train does with --seed {} --test-fraction {}",
            options.seed, options.test_fraction
        );
    }
    print!("{}", outcome.render());
    Ok(())
}

fn run_predict(a: PredictArgs) -> Result<()> {
    let (model, checkpoint) = model_and_checkpoint(a.model, a.checkpoint)?;
    let predictions = eval::predict(&PredictOptions {
        model,
        checkpoint,
        inputs: a.input,
        csv: a.csv,
        label: a.label,
    })?;
    print!("{}", eval::render_predictions(&predictions));
    Ok(())
}

fn run_export(a: ExportArgs) -> Result<()> {
    let (model, checkpoint) = model_and_checkpoint(a.model, a.checkpoint)?;
    let exported = export::export(&ExportOptions {
        model,
        checkpoint,
        out: a.out,
        name: a.name,
    })?;
    println!("{}", export::describe(&exported));
    Ok(())
}

fn run_simulate(a: SimulateArgs) -> Result<()> {
    let mut part = Part::named(&a.part)?;
    if let Some(ram) = a.ram {
        part.name = format!("{} with {} B of RAM", part.name, ram);
        part.ram = ram;
    }
    let options = SimOptions {
        stack: a.stack,
        epochs: a.epochs,
        boots: a.boots,
        power_cut_after: a.power_cut_after,
        pause_us: a.pause_ms.saturating_mul(1000),
        data_dir: a.data_dir,
        flash_image: a.flash,
        every_epoch: a.every_epoch,
        ..SimOptions::new(part)
    };
    device::simulate(&options, &mut std::io::stdout().lock())?;
    Ok(())
}

fn print_models() {
    println!(
        "{:<7} {:<10} {:<50} {:<9} {:>8} {:>6} {:>6}  bundled data",
        "name", "layers", "activations and loss", "optimizer", "lr", "batch", "epochs"
    );
    for m in Builtin::ALL {
        let d = m.defaults();
        println!(
            "{:<7} {:<10} {:<50} {:<9} {:>8} {:>6} {:>6}  {}",
            m.name(),
            m.layers(),
            m.description(),
            d.optimizer.name(),
            d.lr,
            d.batch.to_string(),
            d.epochs,
            m.bundled_data()
        );
    }
    println!("footprint batch buffers: {BATCHES:?}");
}
