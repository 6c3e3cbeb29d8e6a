//! What a training run is told: every flag of `train`, with the model's
//! defaults for the ones left unset.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Args;

use crate::data::DataSource;
use crate::data::files::{check_output, destination};
use crate::models::checkpoints::default_checkpoint;
use crate::models::{Builtin, Defaults};
use crate::options::init::DEFAULT_SEED;
use crate::options::{
    Batch, DataArgs, InitKind, InitSettings, LayerList, NormalizeKind, OptimizerSettings,
    ScheduleSettings, StopSettings, TaskChoice,
};
use crate::report::plot::plot_file;

/// Everything a training run is told. Unset values take the model's
/// [`Defaults`] (the `*_or_default` methods).
#[derive(Debug, Clone, PartialEq, Args)]
#[command(
    after_help = "Unset settings take the model's defaults (see `microprop-sim models`; with --layers, \
Adam 0.01, batch 16, 100 epochs, minmax, test fraction 0.2).\n\
Examples:\n  microprop-sim train --model iris\n  \
microprop-sim train --csv data/iris.csv --label label --layers 16:tanh --validation 0.1 --patience 10\n  \
microprop-sim train --csv houses.csv --label price --layers 32:relu,16:relu --task regress --json\n  microprop-sim train --model digits --optimizer sgd --lr 0.1 --batch 1 --epochs 5\n  \
microprop-sim train --model iris --csv my.csv --label species --normalize standard --metrics m.csv\n  \
microprop-sim train --model iris --epochs 50 --save-state iris.state && microprop-sim train --model iris --resume iris.state --epochs 50\n  \
microprop-sim train --model mnist --epochs 100 --checkpoint-every 5 --checkpoint mnist.mpck --save-state mnist.state\n\
Output paths are checked before training; Ctrl-C finishes the step, writes the files and exits 130.",
    mut_arg("csv", |a| a.help("Train on this CSV file (header row; label column --label or the last)")),
    mut_arg("idx", |a| a.help("Train on these IDX images and labels files (raw or gzip)")),
    // `--lr -0.01` reaches `validate` (and its message) as a number
    // instead of being taken for a flag.
    allow_negative_numbers = true
)]
pub struct TrainOptions {
    /// The built-in model (or give --layers for a model of any shape).
    #[arg(
        long,
        value_enum,
        required_unless_present = "layers",
        conflicts_with = "layers"
    )]
    pub model: Option<Builtin>,
    /// Hidden layers of a model of any shape on --csv, e.g. 32:relu,16:tanh
    /// (also leaky_relu:SLOPE, elu:ALPHA, sigmoid, identity, maxout:K); the
    /// output layer comes from the task.
    #[arg(long, requires = "csv", conflicts_with_all = ["idx", "resume", "save_state"])]
    pub layers: Option<LayerList>,
    /// With --layers: classify (softmax + cross-entropy) or regress (MSE);
    /// detected from the label column when unset.
    #[arg(long, value_enum, requires = "layers")]
    pub task: Option<TaskChoice>,
    /// With --layers: hold out this fraction of the rows for validation
    /// (per-epoch validation loss and accuracy; --patience then watches
    /// the validation loss).
    #[arg(long, requires = "layers")]
    pub validation: Option<f32>,
    /// With --layers and --task regress: target scaling (default standard;
    /// predictions are in the target's units either way).
    #[arg(long, value_enum, requires = "layers")]
    pub normalize_target: Option<NormalizeKind>,
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
    #[arg(long, default_value_t = DEFAULT_SEED)]
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
    /// predict and export read it (by default `<model>.mpck` in the current
    /// directory).
    #[arg(
        long,
        help = "Write the model checkpoint (parameters and normalisers) here; eval, \
predict and export read it [default: <model>.mpck]"
    )]
    pub checkpoint: Option<PathBuf>,
    /// Also write the checkpoint (and the training state, with
    /// --save-state) every N epochs while training, so a crash or a kill
    /// loses at most N epochs.
    #[arg(long, value_name = "N")]
    pub checkpoint_every: Option<u32>,
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
    /// Draw the training (and validation) loss and accuracy per epoch to
    /// this PNG file (`.png` is added unless the name ends in it).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Print one JSON object with the run's results instead of text.
    #[arg(long)]
    pub json: bool,
    /// No progress bar and no per-epoch lines.
    #[arg(long)]
    pub quiet: bool,
}

impl TrainOptions {
    /// The model's defaults on its bundled data, quiet, writing no files.
    pub fn new(model: Builtin) -> Self {
        TrainOptions {
            model: Some(model),
            layers: None,
            task: None,
            validation: None,
            normalize_target: None,
            data: DataArgs::default(),
            optimizer: OptimizerSettings::new(model.defaults().optimizer),
            lr: None,
            schedule: ScheduleSettings::default(),
            batch: None,
            epochs: None,
            init: InitSettings::new(InitKind::Xavier),
            seed: DEFAULT_SEED,
            normalize: None,
            stopping: StopSettings::default(),
            test_fraction: None,
            metrics: None,
            checkpoint: None,
            checkpoint_every: None,
            no_checkpoint: true,
            save_state: None,
            resume: None,
            plot: None,
            json: false,
            quiet: true,
        }
    }

    /// The model of any shape `layers` on `csv` (its label column `label`),
    /// with the defaults, quiet, writing no files.
    pub fn own(csv: PathBuf, label: Option<&str>, layers: LayerList) -> Self {
        let mut options = TrainOptions::new(Builtin::Iris);
        options.model = None;
        options.layers = Some(layers);
        options.data.csv = Some(csv);
        options.data.label = label.map(str::to_string);
        options
    }

    fn defaults(&self) -> Defaults {
        self.model.map_or(Defaults::BASE, Builtin::defaults)
    }

    /// The built-in model.
    ///
    /// # Errors
    /// Without one (a model of any shape: `--layers`).
    pub fn builtin(&self) -> Result<Builtin> {
        self.model
            .ok_or_else(|| anyhow::anyhow!("give --model NAME or --layers (with --csv)"))
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
    /// `no_checkpoint`, else the model's default checkpoint (a model of any
    /// shape: `<csv stem>.mpm` in the current directory).
    pub fn checkpoint_file(&self) -> Option<PathBuf> {
        match (&self.checkpoint, self.no_checkpoint, self.model) {
            (Some(path), _, _) => Some(path.clone()),
            (None, true, _) => None,
            (None, false, Some(model)) => Some(default_checkpoint(model)),
            (None, false, None) => {
                let stem = self
                    .data
                    .csv
                    .as_deref()
                    .and_then(|p| p.file_stem())
                    .map_or("model".into(), |s| s.to_string_lossy().into_owned());
                Some(PathBuf::from(format!("{stem}.mpm")))
            }
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
        if !(lr > 0.0 && lr.is_finite()) {
            bail!("--lr {lr}: the learning rate must be a finite number > 0");
        }
        if self.stopping.max_iterations == Some(0) {
            bail!("--max-iterations 0 would train nothing: give at least 1");
        }
        if self.checkpoint_every == Some(0) {
            bail!("--checkpoint-every 0: give a number of epochs >= 1");
        }
        if self.checkpoint_every.is_some()
            && self.checkpoint_file().is_none()
            && self.save_state.is_none()
        {
            bail!("--checkpoint-every writes the checkpoint, but --no-checkpoint turns it off");
        }
        let test_fraction = self.test_fraction_or_default();
        if !(0.0..1.0).contains(&test_fraction) {
            bail!("--test-fraction {test_fraction} is outside [0, 1)");
        }
        if self.epochs_or_default() == 0 {
            bail!("--epochs must be at least 1");
        }
        let validation = self.validation.unwrap_or(0.0);
        if !(0.0..1.0).contains(&validation) {
            bail!("--validation {validation} is outside [0, 1)");
        }
        if test_fraction + validation >= 1.0 {
            bail!(
                "--test-fraction {test_fraction} and --validation {validation} leave no rows to train on"
            );
        }
        Ok(())
    }

    /// Optimizer steps of the run: `steps_per_epoch` × the epochs, at most
    /// `--max-iterations` (and at most `u32::MAX`).
    pub fn run_steps(&self, steps_per_epoch: usize) -> u32 {
        let all = (steps_per_epoch as u64 * u64::from(self.epochs_or_default()))
            .min(u64::from(u32::MAX)) as u32;
        self.stopping.max_iterations.map_or(all, |max| all.min(max))
    }

    /// Checks that the warmup ends within a run of `run_steps` steps (for a
    /// resumed run, the steps already taken and this run's).
    ///
    /// # Errors
    /// If `--warmup` is as long as the run or longer (the learning rate
    /// would never reach its peak).
    pub fn check_warmup(&self, run_steps: u32, steps_per_epoch: usize) -> Result<()> {
        let warmup = self.schedule.warmup;
        if warmup > 0 && warmup >= run_steps {
            bail!(
                "--warmup {warmup} steps is not shorter than the run ({run_steps} steps: \
                 {} epochs of {steps_per_epoch} step(s){}); the learning rate would never \
                 reach --lr. Shorten --warmup or train longer",
                self.epochs_or_default(),
                self.stopping
                    .max_iterations
                    .map_or(String::new(), |m| format!(", at most --max-iterations {m}"))
            );
        }
        Ok(())
    }

    /// Every file the run will write, with the flag that names it: the
    /// checkpoint, the training state, the metrics and the plot's PNG.
    pub fn outputs(&self) -> Vec<(&'static str, PathBuf)> {
        let mut out = Vec::new();
        if let Some(path) = self.checkpoint_file() {
            out.push(("--checkpoint", path));
        }
        if let Some(path) = &self.save_state {
            out.push(("--save-state", path.clone()));
        }
        if let Some(path) = &self.metrics {
            out.push(("--metrics", path.clone()));
        }
        if let Some(path) = &self.plot {
            out.push(("--plot", plot_file(path).0));
        }
        out
    }

    /// Checks every output before anything is trained ([`check_output`]):
    /// folders exist and take files, no output is a folder, a device or
    /// another special file, no two outputs are the same file, and none is
    /// an input of the run (but `--save-state` may replace the `--resume`
    /// file).
    ///
    /// # Errors
    /// Names the flag and the path of the first output that can't be
    /// written.
    pub fn check_outputs(&self) -> Result<()> {
        let data: Vec<&Path> = self
            .data
            .csv
            .iter()
            .chain(self.data.idx.iter().flatten())
            .map(PathBuf::as_path)
            .collect();
        let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => a == b,
        };
        let mut seen: Vec<(&str, PathBuf)> = Vec::new();
        for (flag, path) in self.outputs() {
            let target = check_output(&path, flag)?;
            if let Some((other, _)) = seen.iter().find(|(_, t)| same(t, &target)) {
                bail!("{flag} and {other} name the same file {}", path.display());
            }
            // The state resumed from may be saved over (it is read first);
            // any other input is not overwritten.
            let resumed = self.resume.as_deref().filter(|_| flag != "--save-state");
            if let Some(input) = data
                .iter()
                .chain(resumed.as_ref())
                .find(|i| same(&destination(i).unwrap_or_default(), &target))
            {
                bail!(
                    "{flag} {} is an input of this run ({}); write it elsewhere",
                    path.display(),
                    input.display()
                );
            }
            seen.push((flag, target));
        }
        Ok(())
    }
}
