//! What a training run is told: every flag of `train`, with the model's
//! defaults for the ones left unset.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

use crate::data::DataSource;
use crate::models::checkpoints::default_checkpoint;
use crate::models::{Builtin, Defaults};
use crate::options::{
    Batch, DataArgs, InitKind, InitSettings, NormalizeKind, OptimizerSettings, ScheduleSettings,
    StopSettings,
};

/// Everything a training run is told. Unset values take the model's
/// [`Defaults`] (the `*_or_default` methods).
#[derive(Debug, Clone, PartialEq, Args)]
#[command(
    after_help = "Unset settings take the model's defaults (see `microprop-sim models`).\n\
Examples:\n  microprop-sim train --model iris\n  microprop-sim train --model digits --optimizer sgd --lr 0.1 --batch 1 --epochs 5\n  \
microprop-sim train --model iris --csv my.csv --label species --normalize standard --metrics m.csv\n  \
microprop-sim train --model iris --epochs 50 --save-state iris.state && microprop-sim train --model iris --resume iris.state --epochs 50",
    mut_arg("csv", |a| a.help("Train on this CSV file (header row; label column --label or the last)")),
    mut_arg("idx", |a| a.help("Train on these IDX images and labels files (raw or gzip)"))
)]
pub struct TrainOptions {
    /// The model.
    #[arg(long, value_enum)]
    pub model: Builtin,
    /// Where the rows come from.
    #[command(flatten)]
    pub data: DataArgs,
    /// Optimizer and hyperparameters.
    #[command(flatten)]
    pub optimizer: OptimizerSettings,
    /// Peak learning rate.
    #[arg(long)]
    pub lr: Option<f32>,
    /// Learning-rate schedule and warmup.
    #[command(flatten)]
    pub schedule: ScheduleSettings,
    /// Rows per step: 1 = SGD, n = mini-batch, 0 or full = full batch
    /// (steps over more than 16 rows accumulate in the 16-row buffer).
    #[arg(long)]
    pub batch: Option<Batch>,
    /// Epochs (upper bound).
    #[arg(long)]
    pub epochs: Option<u32>,
    /// Weight initialisation.
    #[command(flatten)]
    pub init: InitSettings,
    /// Seed for initialisation, split and shuffling.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Input scaling, fitted on the training rows.
    #[arg(long, value_enum)]
    pub normalize: Option<NormalizeKind>,
    /// Early stopping.
    #[command(flatten)]
    pub stopping: StopSettings,
    /// Fraction of the rows held out for testing (the bundled MNIST has its
    /// own test set and ignores it).
    #[arg(long)]
    pub test_fraction: Option<f32>,
    /// Write per-epoch loss/accuracy/lr to this CSV file.
    #[arg(long)]
    pub metrics: Option<PathBuf>,
    /// Write the model checkpoint (parameters and normalisers) here; eval,
    /// predict and export read it (by default `target/<model>.mpck`).
    #[arg(
        long,
        help = "Write the model checkpoint (parameters and normalisers) here; eval, \
predict and export read it [default: target/<model>.mpck]"
    )]
    pub checkpoint: Option<PathBuf>,
    /// Don't write the model checkpoint.
    #[arg(long, conflicts_with = "checkpoint")]
    pub no_checkpoint: bool,
    /// Also write the training state (parameters, optimizer state, step
    /// count) here, for --resume.
    #[arg(long)]
    pub save_state: Option<PathBuf>,
    /// Continue from a training state written by --save-state (same model
    /// and optimizer): optimizer state, step count and schedule carry on.
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// No progress bar and no per-epoch lines.
    #[arg(long)]
    pub quiet: bool,
}

impl TrainOptions {
    /// The model's defaults on its bundled data, quiet, writing no files.
    pub fn new(model: Builtin) -> Self {
        TrainOptions {
            model,
            data: DataArgs::default(),
            optimizer: OptimizerSettings::new(model.defaults().optimizer),
            lr: None,
            schedule: ScheduleSettings::default(),
            batch: None,
            epochs: None,
            init: InitSettings::new(InitKind::Xavier),
            seed: 7,
            normalize: None,
            stopping: StopSettings::default(),
            test_fraction: None,
            metrics: None,
            checkpoint: None,
            no_checkpoint: true,
            save_state: None,
            resume: None,
            quiet: true,
        }
    }

    fn defaults(&self) -> Defaults {
        self.model.defaults()
    }

    /// The optimizer settings, with the model's optimizer if none is set.
    pub fn optimizer_or_default(&self) -> OptimizerSettings {
        self.optimizer.or_kind(self.defaults().optimizer)
    }

    /// The peak learning rate.
    pub fn lr_or_default(&self) -> f32 {
        self.lr.unwrap_or(self.defaults().lr)
    }

    /// Rows per step.
    pub fn batch_or_default(&self) -> Batch {
        self.batch.unwrap_or(self.defaults().batch)
    }

    /// The epoch limit.
    pub fn epochs_or_default(&self) -> u32 {
        self.epochs.unwrap_or(self.defaults().epochs)
    }

    /// The input scaling.
    pub fn normalize_or_default(&self) -> NormalizeKind {
        self.normalize.unwrap_or(self.defaults().normalize)
    }

    /// The fraction of the rows held out.
    pub fn test_fraction_or_default(&self) -> f32 {
        self.test_fraction.unwrap_or(self.defaults().test_fraction)
    }

    /// Where the model checkpoint goes: `checkpoint`, else nowhere with
    /// `no_checkpoint`, else the model's default checkpoint.
    pub fn checkpoint_file(&self) -> Option<PathBuf> {
        match (&self.checkpoint, self.no_checkpoint) {
            (Some(path), _) => Some(path.clone()),
            (None, true) => None,
            (None, false) => Some(default_checkpoint(self.model)),
        }
    }

    /// Where the rows come from.
    ///
    /// # Errors
    /// As [`DataSource::from_args`].
    pub fn source(&self) -> Result<DataSource> {
        DataSource::from_args(&self.data)
    }

    /// Checks the ranges the run assumes.
    ///
    /// # Errors
    /// Names the first setting out of range.
    pub fn validate(&self) -> Result<()> {
        self.optimizer.validate()?;
        let lr = self.lr_or_default();
        if !(lr >= 0.0 && lr.is_finite()) {
            bail!("--lr {lr} must be a finite number >= 0");
        }
        let test_fraction = self.test_fraction_or_default();
        if !(0.0..1.0).contains(&test_fraction) {
            bail!("--test-fraction {test_fraction} is outside [0, 1)");
        }
        if self.epochs_or_default() == 0 {
            bail!("--epochs must be at least 1");
        }
        Ok(())
    }
}
