//! The main job: train the 8x8 digits classifier with the core, on an
//! embedded-sized model and batch, and report accuracy and memory.

use std::path::Path;

use anyhow::{Result, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use microprop::{
    BatchMode, Dense, EpochStats, FitBuffers, FitConfig, Identity, Inference, Init, Layer,
    LrSchedule, MemoryReport, Sgd, SliceDataset, SoftmaxCrossEntropy, Stopping, Tanh, Trainer, fit,
    network,
};

use crate::data::{LabeledSet, MinMaxScaler, load_labeled_csv};

/// 64 pixels → 32 tanh units → 10 logits.
pub type DigitsNet = network![Dense<64, 32, Tanh>, Dense<32, 10, Identity>];

/// Rows per mini-batch: the trainer's buffer holds this many.
pub const BATCH: usize = 16;

/// The trainer the demo uses.
pub type DigitsTrainer = Trainer<DigitsNet, SoftmaxCrossEntropy, Sgd, BATCH>;

/// Settings of a demo run.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoConfig {
    /// Passes over the training rows.
    pub epochs: usize,
    /// SGD learning rate.
    pub learning_rate: f32,
    /// Seed for the split, the weights and the shuffles.
    pub seed: u64,
    /// Fraction of the rows held out for testing.
    pub test_fraction: f32,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            epochs: 30,
            learning_rate: 0.1,
            seed: 7,
            test_fraction: 0.2,
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
    /// Accuracy on the training rows after training.
    pub train_accuracy: f32,
    /// Accuracy on the held-out rows.
    pub test_accuracy: f32,
    /// Bytes of network and trainer, by part.
    pub memory: MemoryReport,
    /// Bytes of the inference workspace.
    pub inference_bytes: usize,
}

/// Loads `digits8x8.csv` from `data_dir`, splits it, scales pixels to [0, 1]
/// with min-max fitted on the training rows.
pub fn load_digits(
    data_dir: &Path,
    config: &DemoConfig,
) -> Result<(LabeledSet<64>, LabeledSet<64>)> {
    let set = load_labeled_csv::<64>(&data_dir.join("digits8x8.csv"))?;
    let (mut train, mut test) = set.split(config.test_fraction, config.seed);
    let scaler = MinMaxScaler::fit(&train.features);
    scaler.apply(&mut train.features);
    scaler.apply(&mut test.features);
    Ok((train, test))
}

/// Accuracy of `net` on `set`.
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
pub fn run(
    data_dir: &Path,
    config: &DemoConfig,
    progress: bool,
) -> Result<(DigitsNet, DemoReport)> {
    let (train, test) = load_digits(data_dir, config)?;
    let mut net = DigitsNet::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(config.seed));
    // Boxed only because a host stack is small for tests; on a device this
    // lives in a `static` (see the firmware).
    let mut trainer = Box::new(DigitsTrainer::new(SoftmaxCrossEntropy, Sgd));

    let bar = if progress {
        ProgressBar::new(config.epochs as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] epoch {pos}/{len} {msg}")
            .map_err(|e| anyhow!("{e}"))?
            .progress_chars("=> "),
    );
    bar.set_prefix("training");

    let data = SliceDataset::new(&train.features, &train.labels)
        .ok_or_else(|| anyhow!("features and labels differ in length"))?;
    let fit_config = FitConfig {
        mode: BatchMode::MiniBatch(BATCH),
        schedule: LrSchedule::Constant(config.learning_rate),
        shuffle_seed: Some(config.seed),
        stopping: Stopping::epochs(config.epochs as u32),
        normalizer: None,
    };
    let mut buffers = Box::new(FitBuffers::new());
    let mut epochs = Vec::with_capacity(config.epochs);
    fit(
        &mut net,
        &mut trainer,
        &data,
        &fit_config,
        &mut buffers,
        None,
        |report| {
            bar.set_message(format!(
                "loss {:.4} acc {:.3}",
                report.stats.mean_loss(),
                report.stats.accuracy().unwrap_or(0.0)
            ));
            bar.inc(1);
            epochs.push(report.stats);
        },
    )
    .map_err(|e| anyhow!("training failed: {e}"))?;
    bar.finish();

    let report = DemoReport {
        train_rows: train.len(),
        test_rows: test.len(),
        epochs,
        train_accuracy: accuracy(&net, &train)?,
        test_accuracy: accuracy(&net, &test)?,
        memory: DigitsTrainer::MEMORY,
        inference_bytes: Inference::<DigitsNet>::BYTES,
    };
    Ok((net, report))
}
