//! `microprop-sim`: run microprop's core on the PC.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};
use microprop_sim::data::LabelColumn;
use microprop_sim::demo::{self, DemoConfig};
use microprop_sim::experiments::{self, Experiment, ExperimentOptions};
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
microprop-sim train --model iris --csv my.csv --label species --normalize standard --metrics m.csv"
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
    /// Write a checkpoint (not available yet).
    #[arg(long, hide = true)]
    checkpoint: Option<PathBuf>,
    /// No progress bar and no per-epoch lines.
    #[arg(long)]
    quiet: bool,
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
    let data = match (a.csv, a.idx) {
        (Some(path), _) => DataSource::Csv {
            path,
            label: a.label.map_or(LabelColumn::Last, LabelColumn::Named),
        },
        (None, Some(files)) => {
            let [images, labels]: [PathBuf; 2] = files
                .try_into()
                .map_err(|_| anyhow::anyhow!("--idx takes two files: IMAGES LABELS"))?;
            DataSource::Idx { images, labels }
        }
        (None, None) => DataSource::Bundled,
    };
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
        checkpoint: a.checkpoint,
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
