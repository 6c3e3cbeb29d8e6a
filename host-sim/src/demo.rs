//! The main job: train the 8x8 digits classifier with the core — Adam, a
//! linear warmup then cosine decay, mini-batches of 16 — and report
//! accuracy, a confusion matrix, memory on the default MCU and the curves.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Parser};
use microprop::{
    Adam, BatchMode, EpochStats, FitConfig, Inference, Init, Layer, LrSchedule, MemoryReport,
    OnEpoch, SliceDataset, SoftmaxCrossEntropy, Stopping, Trainer, Warmup, Workspace,
};

use crate::data::digits::{self, PIXELS};
use crate::data::{BundledData, LabeledSet};
pub use crate::models::DigitsNet;
use crate::report::plot::{Figure, Legend, Panel, Series, Style, plot_file};
use crate::report::{
    DEFAULT_PART, Footprint, confusion_matrix, footprint_of, format_confusion, grouped, human,
    progress_bar,
};

/// Rows per mini-batch: the trainer's buffer holds this many.
pub const BATCH: usize = 16;

/// The trainer the demo uses.
pub type DigitsTrainer = Trainer<DigitsNet, SoftmaxCrossEntropy, Adam, BATCH>;

/// Settings of a demo run (`--epochs`, `--lr` and `--seed` on the command
/// line; the rest fixed).
#[derive(Debug, Clone, PartialEq, Args)]
pub struct DemoConfig {
    /// Passes over the training data.
    #[arg(long, default_value_t = DemoConfig::default().epochs)]
    pub epochs: usize,
    /// Adam's peak learning rate (after the warmup).
    #[arg(long = "lr", value_name = "LR", default_value_t = DemoConfig::default().learning_rate)]
    pub learning_rate: f32,
    /// The learning rate the cosine decays to by the last step.
    #[arg(skip = DemoConfig::default().final_learning_rate)]
    pub final_learning_rate: f32,
    /// Epochs of linear warmup to `learning_rate`, in PyTorch's `LinearLR` form
    /// (from `learning_rate / (k + 1)`, [`microprop::WarmupStart::LinearLr`]).
    #[arg(skip = DemoConfig::default().warmup_epochs)]
    pub warmup_epochs: usize,
    /// Seed for split, weights and shuffles.
    #[arg(long, default_value_t = DemoConfig::default().seed)]
    pub seed: u64,
    /// Fraction of the rows held out for testing.
    #[arg(skip = DemoConfig::default().test_fraction)]
    pub test_fraction: f32,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            epochs: 30,
            learning_rate: 5e-3,
            final_learning_rate: 1e-4,
            warmup_epochs: 2,
            seed: 7,
            test_fraction: digits::TEST_FRACTION,
        }
    }
}

impl DemoConfig {
    /// The schedule for `steps_per_epoch` optimizer steps per epoch:
    /// `warmup_epochs` of linear warmup, then cosine decay over the rest.
    pub fn schedule(&self, steps_per_epoch: usize) -> Warmup<LrSchedule> {
        let total = (steps_per_epoch * self.epochs) as u32;
        let warmup = ((steps_per_epoch * self.warmup_epochs) as u32).min(total);
        Warmup {
            steps: warmup,
            inner: LrSchedule::Cosine {
                initial: self.learning_rate,
                last: self.final_learning_rate,
                period: (total - warmup).max(1),
            },
            start: microprop::WarmupStart::LinearLr,
        }
    }
}

/// What a demo run measured.
#[derive(Debug, Clone)]
pub struct DemoReport {
    /// Rows trained on.
    pub train_rows: usize,
    /// Rows held out.
    pub test_rows: usize,
    /// Per-epoch training loss and accuracy (as seen while training).
    pub epochs: Vec<EpochStats>,
    /// Learning rate of each epoch's last step.
    pub learning_rates: Vec<f32>,
    /// Optimizer steps taken.
    pub iterations: u32,
    /// Accuracy on the training rows after training.
    pub train_accuracy: f32,
    /// Accuracy on the held-out rows.
    pub test_accuracy: f32,
    /// Held-out rows by true class (row) and predicted class (column).
    pub confusion: Vec<Vec<u32>>,
    /// Bytes of network and trainer, by part.
    pub memory: MemoryReport,
    /// Bytes of the inference workspace.
    pub inference_bytes: usize,
    /// Every part of the training setup, from `size_of` of the real types.
    pub footprint: Footprint,
}

/// Loads `digits8x8.csv` from `data`, splits it as `config` says and
/// scales pixels to [0, 1] with the core's min-max normaliser fitted on the
/// training rows ([`digits::load_digits`]).
///
/// # Errors
/// If the file is missing or malformed.
pub fn load_digits(
    data: &BundledData,
    config: &DemoConfig,
) -> Result<(LabeledSet<PIXELS>, LabeledSet<PIXELS>)> {
    digits::load_digits(data, config.test_fraction, config.seed)
}

/// Accuracy of `net` on `set`.
///
/// # Errors
/// If inference refuses a row.
pub fn accuracy<const D: usize, N: Layer<Input = [f32; D]>>(
    net: &N,
    set: &LabeledSet<D>,
) -> Result<f32> {
    let mut run = Inference::<N>::new();
    let mut correct = 0usize;
    for (x, &label) in set.features.iter().zip(&set.labels) {
        if run.classify(net, x).map_err(|e| anyhow!("{e}"))? == label {
            correct += 1;
        }
    }
    Ok(correct as f32 / set.len().max(1) as f32)
}

/// Trains the digits model and reports. `progress` draws a progress bar on
/// stderr.
///
/// # Errors
/// If the data can't be loaded or training fails.
pub fn run(
    data: &BundledData,
    config: &DemoConfig,
    progress: bool,
) -> Result<(DigitsNet, DemoReport)> {
    let (train, test) = load_digits(data, config)?;
    let mut net = DigitsNet::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(config.seed));
    // Boxed only because a host stack is small for tests; on a device this
    // lives in a `static` (see the firmware).
    let trainer = DigitsTrainer::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    let mut ws = Box::new(Workspace::new(net, trainer));

    let bar = progress_bar(progress, config.epochs as u64)?;
    let data = SliceDataset::new(&train.features, &train.labels)
        .ok_or_else(|| anyhow!("features and labels differ in length"))?;
    let mode = BatchMode::MiniBatch(BATCH);
    let fit_config = FitConfig {
        mode,
        schedule: config.schedule(mode.iterations_per_epoch(train.len())),
        shuffle_seed: Some(config.seed),
        stopping: Stopping::epochs(config.epochs as u32),
        normalizer: None,
    };
    let mut epochs = Vec::with_capacity(config.epochs);
    let mut learning_rates = Vec::with_capacity(config.epochs);
    let fit_report = ws
        .fit(
            &data,
            &fit_config,
            OnEpoch::new(|report| {
                bar.set_message(format!(
                    "loss {:.4} acc {:.3} lr {:.2e}",
                    report.stats.mean_loss(),
                    report.stats.accuracy().unwrap_or(0.0),
                    report.last_step.learning_rate
                ));
                bar.inc(1);
                epochs.push(report.stats);
                learning_rates.push(report.last_step.learning_rate);
            }),
        )
        .map_err(|e| anyhow!("training failed: {e}"))?;
    bar.finish_and_clear();
    let net = ws.net;

    let report = DemoReport {
        train_rows: train.len(),
        test_rows: test.len(),
        epochs,
        learning_rates,
        iterations: fit_report.iterations,
        train_accuracy: accuracy(&net, &train)?,
        test_accuracy: accuracy(&net, &test)?,
        confusion: confusion_matrix::<DigitsNet, SoftmaxCrossEntropy, 64, 10>(
            &net, None, &test, 10,
        )?,
        memory: DigitsTrainer::MEMORY,
        inference_bytes: Inference::<DigitsNet>::BYTES,
        footprint: footprint_of::<DigitsNet, SoftmaxCrossEntropy, Adam, 64, 10, BATCH>(
            "digits (64-32-10)",
        ),
    };
    Ok((net, report))
}

/// The memory of the demo's model on the default part, in one paragraph.
pub fn format_mcu(f: &Footprint) -> String {
    let mcu = DEFAULT_PART;
    let pct = |n: usize, of: usize| 100.0 * n as f64 / of as f64;
    format!(
        "on the {} ({} RAM, {} flash):\n  training: {} B of RAM ({:.1} %): parameters {}, gradients {}, Adam state {}, caches {} (batch {}), staging rows {}, normalisers {}\n  inference: {} B of flash for the model as a const ({:.2} %) + {} B of RAM for the workspace",
        mcu.name,
        human(mcu.ram),
        human(mcu.flash),
        grouped(f.training_ram()),
        pct(f.training_ram(), mcu.ram),
        grouped(f.parameters),
        grouped(f.gradients),
        grouped(f.optimizer_state),
        grouped(f.caches),
        f.batch,
        grouped(f.fit_buffers),
        grouped(f.normalizers),
        grouped(f.flash()),
        pct(f.flash(), mcu.flash),
        f.inference_ram(),
    )
}

/// Loss, accuracy and learning rate per epoch, as a figure.
pub fn curves(r: &DemoReport) -> Figure {
    let epoch = |i: usize| (i + 1) as f64;
    let mut loss = Panel::new("training loss (cross-entropy)", "epoch", "loss");
    loss.y_log = true;
    loss.series.push(Series::line(
        "mean loss over the epoch",
        0,
        r.epochs
            .iter()
            .enumerate()
            .map(|(i, e)| (epoch(i), f64::from(e.mean_loss())))
            .collect(),
    ));
    let mut acc = Panel::new("accuracy", "epoch", "accuracy");
    acc.series.push(Series::line(
        "train (running, per epoch)",
        1,
        r.epochs
            .iter()
            .enumerate()
            .map(|(i, e)| (epoch(i), f64::from(e.accuracy().unwrap_or(0.0))))
            .collect(),
    ));
    acc.series.push(
        Series::line(
            format!("test after training: {:.4}", r.test_accuracy),
            2,
            vec![
                (1.0, f64::from(r.test_accuracy)),
                (epoch(r.epochs.len().max(1) - 1), f64::from(r.test_accuracy)),
            ],
        )
        .styled(Style::Dashed),
    );
    acc.legend = Legend::LowerRight;
    let mut lr = Panel::new(
        "learning rate (warmup + cosine)",
        "epoch",
        "η at the epoch's last step",
    );
    lr.series.push(Series::line(
        "Adam η",
        3,
        r.learning_rates
            .iter()
            .enumerate()
            .map(|(i, &v)| (epoch(i), f64::from(v)))
            .collect(),
    ));
    Figure::row(
        Some(format!(
            "digits 64-32-10, Adam, batch {BATCH}: {} epochs, {} steps",
            r.epochs.len(),
            r.iterations
        )),
        vec![loss, acc, lr],
    )
}

/// The `demo` command's options.
#[derive(Debug, Clone, PartialEq, Parser)]
pub struct DemoOptions {
    /// The run's settings.
    #[command(flatten)]
    pub config: DemoConfig,
    /// Folder holding digits8x8.csv (default: $MICROPROP_DATA_DIR, else the
    /// source checkout's data/, else the copy built into the binary).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Where to write the loss/accuracy curves (PNG).
    #[arg(long, default_value = "demo-curves.png")]
    pub plot: PathBuf,
    /// Don't draw the curves.
    #[arg(long)]
    pub no_plot: bool,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

impl Default for DemoOptions {
    /// The demo as `microprop-sim` with no command runs it.
    fn default() -> Self {
        DemoOptions::parse_from(["demo"])
    }
}

/// Runs the demo as the CLI does: trains, prints the report to stdout and
/// draws the curves.
///
/// # Errors
/// As [`run`], or if the figure can't be written.
pub fn command(options: &DemoOptions) -> Result<()> {
    let config = &options.config;
    outln!(
        "8x8 digits, model 64-32-10 (tanh, softmax + cross-entropy), Adam, warmup {} epochs then \
         cosine {} -> {}, batch {}, {} epochs, seed {}",
        config.warmup_epochs,
        config.learning_rate,
        config.final_learning_rate,
        BATCH,
        config.epochs,
        config.seed
    )?;
    let started = std::time::Instant::now();
    let data = BundledData::locate(options.data.as_deref());
    let (_, report) = run(&data, config, !options.quiet)?;
    let elapsed = started.elapsed();
    if let (Some(first), Some(last)) = (report.epochs.first(), report.epochs.last()) {
        outln!(
            "trained in {elapsed:.2?}: {} steps, epoch loss {:.4} -> {:.4}",
            report.iterations,
            first.mean_loss(),
            last.mean_loss()
        )?;
    }
    outln!(
        "train accuracy: {:.4} ({} rows)",
        report.train_accuracy,
        report.train_rows
    )?;
    outln!(
        "test accuracy:  {:.4} ({} rows held out)",
        report.test_accuracy,
        report.test_rows
    )?;
    outln!("confusion matrix of the held-out rows:")?;
    out!("{}", format_confusion(&report.confusion))?;
    outln!("{}", format_mcu(&report.footprint))?;
    if !options.no_plot {
        if let Some(dir) = options.plot.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the folder {}", dir.display()))?;
        }
        let written = curves(&report).write(&plot_file(&options.plot).1, false)?;
        for path in written {
            outln!("curves: {}", path.display())?;
        }
    }
    Ok(())
}
