//! The lecture's experiments, each a figure (PNG and SVG) and a table:
//! `optimizers`, `schedules`, `normalization`, `batch`, `init`.
//!
//! Each has a `quick` version that runs in a second or two (for tests); the
//! full versions made the figures in `docs/figures/`.

pub mod batch;
pub mod init;
pub mod normalization;
pub mod optimizers;
pub mod schedules;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use clap::{Args, ValueEnum};
use microprop::{
    AcceptsActivation, BatchMode, Dataset, EpochReport, FitConfig, Layer, Loss, Normalizer,
    OnEpoch, Optimizer, Schedule, Stopping, Trainer, Workspace,
};

use crate::data::BundledData;
use crate::report::plot::Figure;

/// The experiments by CLI name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Experiment {
    /// GD, momentum, AdaGrad, RMSprop, Adam on L(w) = 0.1 w1² + 2 w2²; too
    /// large and too small steps.
    Optimizers,
    /// The learning rate over the steps of each schedule, with and without
    /// warmup.
    Schedules,
    /// Full-batch GD on features of scale ~1000 and ~1, with and without
    /// min-max scaling.
    Normalization,
    /// Full batch vs mini-batch vs SGD on the 8x8 digits.
    Batch,
    /// MNIST with constant, N(0,1), U(-a,a) and Xavier initialisation.
    Init,
}

impl Experiment {
    /// Every experiment.
    pub const ALL: [Experiment; 5] = [
        Experiment::Optimizers,
        Experiment::Schedules,
        Experiment::Normalization,
        Experiment::Batch,
        Experiment::Init,
    ];

    /// The CLI name, also the figure's file name.
    pub fn name(self) -> &'static str {
        match self {
            Experiment::Optimizers => "optimizers",
            Experiment::Schedules => "schedules",
            Experiment::Normalization => "normalization",
            Experiment::Batch => "batch",
            Experiment::Init => "init",
        }
    }
}

/// How to run an experiment.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ExperimentOptions {
    /// A small, fast version (seconds; for tests).
    #[arg(long)]
    pub quick: bool,
    /// Folder for the figures (made if missing).
    #[arg(long, default_value = "figures")]
    pub out: PathBuf,
    /// Write only the PNG, no SVG.
    #[arg(long)]
    pub no_svg: bool,
    /// Folder of the bundled data sets (default: $MICROPROP_DATA_DIR, else
    /// the source checkout's data/, else the copies built into the binary).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Seed.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

impl ExperimentOptions {
    /// Quick runs writing into `out`.
    pub fn quick(out: &Path) -> Self {
        ExperimentOptions {
            quick: true,
            out: out.to_path_buf(),
            no_svg: false,
            data_dir: None,
            seed: 7,
        }
    }

    /// Where the bundled data sets are read from (`--data-dir`, else as
    /// [`BundledData::locate`] finds them).
    pub fn data(&self) -> BundledData {
        BundledData::locate(self.data_dir.as_deref())
    }
}

/// What an experiment produced: its figure and its table.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The figure.
    pub figure: Figure,
    /// The table (and findings) as printed.
    pub table: String,
}

/// Runs one experiment: prints its table, writes its figure.
///
/// # Errors
/// If data can't be loaded, training fails or a file can't be written.
pub fn run(experiment: Experiment, options: &ExperimentOptions) -> Result<()> {
    let started = std::time::Instant::now();
    let outcome = match experiment {
        Experiment::Optimizers => optimizers::run(options)?,
        Experiment::Schedules => schedules::run(options)?,
        Experiment::Normalization => normalization::run(options)?,
        Experiment::Batch => batch::run(options)?,
        Experiment::Init => init::run(options)?,
    };
    out!("{}", outcome.table)?;
    std::fs::create_dir_all(&options.out)
        .with_context(|| format!("cannot create the folder {}", options.out.display()))?;
    let written = outcome
        .figure
        .write(&options.out.join(experiment.name()), !options.no_svg)?;
    for path in written {
        outln!("figure: {}", path.display())?;
    }
    outln!(
        "({:.1?}{})",
        started.elapsed(),
        if options.quick { ", quick" } else { "" }
    )?;
    Ok(())
}

/// The shuffle seed `fit` uses for epoch `epoch` of a run seeded with
/// `seed` (it permutes with `seed ^ (epoch << 32)`).
pub fn epoch_seed(seed: u64, epoch: u32) -> u64 {
    seed ^ (u64::from(epoch) << 32)
}

/// Trains for `epochs` epochs through [`Workspace::fit`], one call per
/// epoch, calling `after` with the epoch's report (its `epoch` and
/// `iterations` counted over the whole run, the latter as the trainer's
/// step count), the network and the trainer between epochs
/// (e.g. to measure held-out accuracy, which `fit`'s own per-epoch callback
/// cannot: it does not see the network). Each call gets the shuffle seed
/// `fit` would derive for that epoch and the trainer keeps its step count,
/// so the run takes exactly the steps of one `fit` over all epochs (tested).
///
/// # Errors
/// If a step fails, or `after` does.
#[allow(clippy::too_many_arguments)]
pub fn fit_epochs<N, L, O, Data, S, const B: usize>(
    ws: &mut Workspace<N, L, O, B>,
    data: &Data,
    mode: BatchMode,
    schedule: S,
    normalizer: Option<Normalizer<N::Input>>,
    seed: u64,
    epochs: u32,
    mut after: impl FnMut(&EpochReport, &N, &mut Trainer<N, L, O, B>) -> Result<()>,
) -> Result<()>
where
    N: Layer,
    L: Loss<N::Output, Target: Copy> + AcceptsActivation<N::OutputActivation>,
    O: Optimizer,
    Data: Dataset<Input = N::Input, Target = L::Target>,
    S: Schedule + Copy,
{
    for epoch in 0..epochs {
        let config = FitConfig {
            mode,
            schedule,
            shuffle_seed: Some(epoch_seed(seed, epoch)),
            stopping: Stopping::epochs(1),
            normalizer,
        };
        let mut last = None;
        ws.fit(data, &config, OnEpoch::new(|r| last = Some(*r)))
            .map_err(|e| anyhow!("training failed in epoch {}: {e}", epoch + 1))?;
        let report = last.ok_or_else(|| anyhow!("fit ran no epoch"))?;
        // Numbered as in one long run: the epoch, and the trainer's steps.
        let report = EpochReport {
            epoch,
            iterations: ws.trainer.steps(),
            ..report
        };
        after(&report, &ws.net, &mut ws.trainer)?;
    }
    Ok(())
}

/// Mean loss and accuracy of `net` on rows `xs` with targets `ys`, in
/// chunks of the trainer's buffer (nothing accumulated).
///
/// # Errors
/// If a row is refused.
pub fn score<N, L, O, const D: usize, const B: usize>(
    trainer: &mut Trainer<N, L, O, B>,
    net: &N,
    xs: &[[f32; D]],
    ys: &[L::Target],
) -> Result<(f32, Option<f32>)>
where
    N: Layer<Input = [f32; D]>,
    L: Loss<N::Output>,
    O: Optimizer,
{
    let mut stats = microprop::EpochStats::new();
    for (x, y) in xs.chunks(B).zip(ys.chunks(B)) {
        let s = trainer
            .evaluate(net, x, y)
            .map_err(|e| anyhow!("evaluation failed: {e}"))?;
        stats.add(&s);
    }
    Ok((stats.mean_loss(), stats.accuracy()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::bundled::IRIS;
    use crate::data::{BundledData, LabelColumn, class_label};
    use crate::models::IrisNet;
    use microprop::{Init, LrSchedule, Sgd, SliceDataset, SoftmaxCrossEntropy};

    /// One `fit` call per epoch takes exactly the steps of one call for all
    /// epochs: same weights, bit for bit.
    #[test]
    fn epoch_by_epoch_equals_one_fit() {
        let table = BundledData::Embedded.csv(IRIS, &LabelColumn::Last).unwrap();
        let set = table
            .typed::<4, usize>("iris", |v| class_label(v, 3))
            .unwrap();
        let data = SliceDataset::new(&set.features, &set.labels).unwrap();
        let mode = BatchMode::MiniBatch(10);
        let schedule = LrSchedule::Exponential {
            initial: 0.05,
            decay: 0.99,
        };
        let mut start = IrisNet::ZERO;
        start.init(Init::Xavier, &mut microprop::init::seeded(3));

        let mut one = Workspace::new(
            start,
            Trainer::<IrisNet, _, _, 4>::new(SoftmaxCrossEntropy, Sgd),
        );
        let config = FitConfig {
            mode,
            schedule,
            shuffle_seed: Some(11),
            stopping: Stopping::epochs(5),
            normalizer: None,
        };
        one.fit(&data, &config, ()).unwrap();

        let mut many = Workspace::new(
            start,
            Trainer::<IrisNet, _, _, 4>::new(SoftmaxCrossEntropy, Sgd),
        );
        let mut epochs = 0;
        fit_epochs(&mut many, &data, mode, schedule, None, 11, 5, |r, _, _| {
            assert_eq!(r.epoch, epochs);
            epochs += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(epochs, 5);
        assert_eq!(one.trainer.steps(), many.trainer.steps());
        assert_eq!(one.net, many.net);
    }
}
