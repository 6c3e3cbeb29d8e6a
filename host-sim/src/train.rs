//! The `train` command: a built-in model on bundled or user data, through
//! [`microprop::Workspace::fit`], with every optimizer, schedule, batch mode,
//! initialisation, normalisation and stopping criterion of the core.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use indicatif::{ProgressBar, ProgressStyle};
use microprop::{
    AcceptsActivation, EpochReport, EpochStats, FitConfig, FitReport, Inference, KeepBest, Layer,
    LrSchedule, MemoryReport, Model, Normalizer, NormalizerFit, OnEpoch, Optimizer, Parameters,
    Patience, Schedule, Sgd, SliceDataset, StopReason, Stopping, Trainer, Warmup, Workspace,
    checkpoint,
};

use crate::checkpoints::{self, explain, model_blob, training_blob, write_atomic};
use crate::data::{LabelColumn, LabeledSet, Table, load_csv};
use crate::idx::load_idx_pair;
use crate::models::{Builtin, ModelVisitor, Task, TaskKind};
use crate::options::{
    Batch, InitKind, InitSettings, NormalizeKind, OptimizerKind, OptimizerSettings,
    ScheduleSettings, describe_schedule,
};

/// Rows the trainer's batch buffer holds (its `B`). Larger batches, and the
/// full batch, accumulate chunks of this many rows before one step.
pub const BUFFER: usize = 16;

/// Where the training rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    /// The model's bundled data set.
    Bundled,
    /// A CSV file with a header row.
    Csv {
        /// The file.
        path: PathBuf,
        /// The target column.
        label: LabelColumn,
    },
    /// IDX images and labels files (raw or gzip).
    Idx {
        /// The images file.
        images: PathBuf,
        /// The labels file.
        labels: PathBuf,
    },
}

/// Stopping criteria besides the epoch count; `None` = off.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct StopSettings {
    /// Stop after this many epochs without improvement of the epoch loss
    /// (the best weights are restored).
    pub patience: Option<u32>,
    /// The smallest decrease that counts as an improvement.
    pub min_delta: f32,
    /// Stop when the gradient norm falls below this.
    pub min_grad_norm: Option<f32>,
    /// Stop when a step changes the weights by less than this (L2 norm).
    pub min_weight_change: Option<f32>,
    /// Stop after this many optimizer steps.
    pub max_iterations: Option<u32>,
}

/// Everything a training run is told.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    /// The model.
    pub model: Builtin,
    /// The data.
    pub data: DataSource,
    /// Where the bundled data lives.
    pub data_dir: PathBuf,
    /// Optimizer and hyperparameters.
    pub optimizer: OptimizerSettings,
    /// Peak learning rate.
    pub lr: f32,
    /// Learning-rate schedule after the warmup.
    pub schedule: ScheduleSettings,
    /// Linear warmup steps (0 = none).
    pub warmup: u32,
    /// Rows per step.
    pub batch: Batch,
    /// Epochs (upper bound).
    pub epochs: u32,
    /// Weight initialisation.
    pub init: InitSettings,
    /// Seed for initialisation, split and shuffling.
    pub seed: u64,
    /// Input scaling fitted on the training rows.
    pub normalize: NormalizeKind,
    /// Early stopping.
    pub stopping: StopSettings,
    /// Fraction of the rows held out for testing (unless the data has its
    /// own test set).
    pub test_fraction: f32,
    /// Write per-epoch metrics to this CSV file.
    pub metrics: Option<PathBuf>,
    /// Write the model checkpoint (parameters and normalisers,
    /// [`checkpoint::save_model`]) here: what `eval`, `predict` and `export`
    /// read.
    pub checkpoint: Option<PathBuf>,
    /// Write the training state (parameters, optimizer state and step
    /// count, [`checkpoint::save_training`]) here: what `resume` reads.
    pub save_state: Option<PathBuf>,
    /// Continue from this training state instead of initialising.
    pub resume: Option<PathBuf>,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Print per-epoch lines on stdout.
    pub print_epochs: bool,
}

impl TrainOptions {
    /// The model's defaults on its bundled data.
    pub fn new(model: Builtin) -> Self {
        let d = model.defaults();
        TrainOptions {
            model,
            data: DataSource::Bundled,
            data_dir: crate::bundled_data_dir(),
            optimizer: OptimizerSettings::new(d.optimizer),
            lr: d.lr,
            schedule: ScheduleSettings::default(),
            warmup: 0,
            batch: d.batch,
            epochs: d.epochs,
            init: InitSettings::new(InitKind::Xavier),
            seed: 7,
            normalize: d.normalize,
            stopping: StopSettings::default(),
            test_fraction: d.test_fraction,
            metrics: None,
            checkpoint: None,
            save_state: None,
            resume: None,
            progress: false,
            print_epochs: false,
        }
    }

    fn validate(&self) -> Result<()> {
        self.optimizer.validate()?;
        if !(self.lr >= 0.0 && self.lr.is_finite()) {
            bail!("--lr {} must be a finite number >= 0", self.lr);
        }
        if !(0.0..1.0).contains(&self.test_fraction) {
            bail!("--test-fraction {} is outside [0, 1)", self.test_fraction);
        }
        if self.epochs == 0 {
            bail!("--epochs must be at least 1");
        }
        Ok(())
    }
}

/// One epoch as recorded (and written to the metrics CSV).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochRecord {
    /// Epoch, from 1.
    pub epoch: u32,
    /// Optimizer steps so far.
    pub iterations: u32,
    /// Mean training loss over the epoch (each row scored before its step).
    pub loss: f32,
    /// Training accuracy over the epoch, for classifiers.
    pub accuracy: Option<f32>,
    /// Learning rate of the epoch's last step.
    pub learning_rate: f32,
    /// Gradient norm of the epoch's last step.
    pub grad_norm: f32,
}

impl EpochRecord {
    fn from_report(r: &EpochReport) -> Self {
        EpochRecord {
            epoch: r.epoch + 1,
            iterations: r.iterations,
            loss: r.stats.mean_loss(),
            accuracy: r.stats.accuracy(),
            learning_rate: r.last_step.learning_rate,
            grad_norm: r.last_step.grad_norm,
        }
    }
}

/// Loss and accuracy of a network on a set of rows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evaluation {
    /// Rows.
    pub rows: usize,
    /// Mean loss.
    pub loss: f32,
    /// Fraction classified correctly (classifiers).
    pub accuracy: Option<f32>,
}

/// What a training run did.
#[derive(Debug, Clone)]
pub struct TrainOutcome {
    /// "iris (4-16-3)".
    pub model: String,
    /// Optimizer in words.
    pub optimizer: String,
    /// Schedule in words.
    pub schedule: String,
    /// Training rows.
    pub train_rows: usize,
    /// Optimizer steps per epoch.
    pub steps_per_epoch: usize,
    /// Every epoch.
    pub epochs: Vec<EpochRecord>,
    /// How `fit` ended.
    pub fit: FitReport,
    /// The trained model on its training rows.
    pub train: Evaluation,
    /// The trained model on the held-out rows.
    pub test: Option<Evaluation>,
    /// Bytes of the model and trainer, by part.
    pub memory: MemoryReport,
    /// The task.
    pub task: TaskKind,
    /// The optimizer step the run resumed from (`resume`).
    pub resumed_at: Option<u32>,
    /// Files written: the model checkpoint and the training state, with
    /// what each holds.
    pub written: Vec<(PathBuf, String)>,
}

/// Trains as `options` say.
///
/// # Errors
/// If the data can't be loaded or doesn't fit the model (the message names
/// both shapes), a setting is out of range, or training fails.
pub fn run(options: &TrainOptions) -> Result<TrainOutcome> {
    options.validate()?;
    options.model.visit(TrainVisitor(options))
}

struct TrainVisitor<'a>(&'a TrainOptions);

impl ModelVisitor for TrainVisitor<'_> {
    type Output = Result<TrainOutcome>;

    fn visit<N, L, const D: usize, const O: usize>(self, model: Builtin) -> Self::Output
    where
        N: Layer<Input = [f32; D], Output = [f32; O]> + Clone + 'static,
        L: Task<O> + AcceptsActivation<N::OutputActivation>,
    {
        let options = self.0;
        let (train, test) = load_split::<L, D, O>(
            &options.data,
            &options.data_dir,
            options.test_fraction,
            options.seed,
            model,
        )?;
        let settings = &options.optimizer;
        match settings.kind {
            OptimizerKind::Sgd => train_with::<N, L, _, D, O>(options, settings.sgd(), train, test),
            OptimizerKind::Momentum | OptimizerKind::Nesterov => {
                train_with::<N, L, _, D, O>(options, settings.momentum(), train, test)
            }
            OptimizerKind::Adagrad => {
                train_with::<N, L, _, D, O>(options, settings.adagrad(), train, test)
            }
            OptimizerKind::Rmsprop => {
                train_with::<N, L, _, D, O>(options, settings.rmsprop(), train, test)
            }
            OptimizerKind::Adam | OptimizerKind::Adamw => {
                train_with::<N, L, _, D, O>(options, settings.adam(), train, test)
            }
        }
    }
}

/// Training and test rows of the kind loss `L` takes.
pub type Sets<L, const D: usize, const O: usize> = (
    LabeledSet<D, <L as microprop::Loss<[f32; O]>>::Target>,
    Option<LabeledSet<D, <L as microprop::Loss<[f32; O]>>::Target>>,
);

/// Loads the data, checks it against the model, and splits off the test
/// rows as `train` does: the data set's own test set (bundled MNIST), else
/// the last `test_fraction` of the rows after a shuffle with `seed` (all
/// rows, shuffled, for 0). `eval` calls it with `train`'s settings to
/// measure the same rows.
///
/// # Errors
/// If the data can't be loaded, doesn't fit the model, or is too small to
/// split.
pub fn load_split<L: Task<O>, const D: usize, const O: usize>(
    data: &DataSource,
    data_dir: &Path,
    test_fraction: f32,
    seed: u64,
    model: Builtin,
) -> Result<Sets<L, D, O>> {
    let (table, test_table): (Table, Option<Table>) = match data {
        DataSource::Bundled => model.bundled(data_dir)?,
        DataSource::Csv { path, label } => (load_csv(path, label)?, None),
        DataSource::Idx { images, labels } => (load_idx_pair(images, labels)?, None),
    };
    let label = model.label();
    let set = table.typed::<D, L::Target>(&label, L::target)?;
    Ok(match test_table {
        Some(t) => (set, Some(t.typed::<D, L::Target>(&label, L::target)?)),
        None if test_fraction > 0.0 => {
            let (train, test) = set.split(test_fraction, seed);
            if train.is_empty() || test.is_empty() {
                bail!(
                    "{}: {} rows are too few to hold out {} of them",
                    table.source,
                    table.len(),
                    test_fraction
                );
            }
            (train, Some(test))
        }
        None => {
            let mut set = set;
            set.shuffle(seed);
            (set, None)
        }
    })
}

/// The normaliser fitted on `rows`, if `kind` asks for one.
pub fn fit_normalizer<const D: usize>(
    kind: NormalizeKind,
    rows: &[[f32; D]],
) -> Option<Normalizer<[f32; D]>> {
    let scaling = kind.scaling()?;
    let mut fit = NormalizerFit::<D>::new();
    for row in rows {
        fit.observe(row);
    }
    Some(fit.finish(scaling))
}

fn train_with<N, L, Opt, const D: usize, const O: usize>(
    options: &TrainOptions,
    optimizer: Opt,
    train: LabeledSet<D, L::Target>,
    test: Option<LabeledSet<D, L::Target>>,
) -> Result<TrainOutcome>
where
    N: Layer<Input = [f32; D], Output = [f32; O]> + Clone + 'static,
    L: Task<O> + AcceptsActivation<N::OutputActivation>,
    Opt: Optimizer + std::fmt::Debug,
    Opt::State<N::Grads>: Parameters,
{
    let normalizer = fit_normalizer(options.normalize, &train.features);
    // Boxed because the host's test threads have small stacks; on a device
    // this is a `static`.
    let trainer = Trainer::<N, L, Opt, BUFFER>::new(L::default(), optimizer);
    let mut ws = Box::new(Workspace::new(N::ZERO, trainer));
    ws.net.init(
        options.init.init(),
        &mut microprop::init::seeded(options.seed),
    );
    let resumed_at = match &options.resume {
        Some(path) => {
            let (blob, _) = checkpoints::read(path)?;
            let ws = &mut *ws;
            checkpoint::load_training(&mut ws.net, &mut ws.trainer, &blob)
                .map_err(|e| explain(e, path, options.model))?;
            Some(ws.trainer.steps())
        }
        None => None,
    };
    let mut best = options.stopping.patience.map(|_| Box::new(N::ZERO));

    let mode = options.batch.mode();
    let steps_per_epoch = mode.iterations_per_epoch(train.len());
    let mut total_steps =
        (steps_per_epoch as u64 * u64::from(options.epochs)).min(u64::from(u32::MAX)) as u32;
    if let Some(max) = options.stopping.max_iterations {
        total_steps = total_steps.min(max);
    }
    // A resumed run continues the schedule: it spans the steps already
    // taken and this run's (the trainer's step count drives it).
    let total_steps = total_steps.saturating_add(resumed_at.unwrap_or(0));
    let schedule = options.schedule.build(
        options.lr,
        options.warmup,
        total_steps,
        steps_per_epoch as u32,
    );
    let s = &options.stopping;
    let config = FitConfig {
        mode,
        schedule,
        shuffle_seed: Some(options.seed),
        stopping: Stopping {
            max_epochs: options.epochs,
            max_iterations: s.max_iterations,
            min_grad_norm: s.min_grad_norm,
            min_weight_change: s.min_weight_change,
            patience: s.patience.map(|epochs| Patience {
                epochs,
                min_delta: s.min_delta,
            }),
        },
        normalizer,
    };
    let data = SliceDataset::new(&train.features, &train.labels)
        .ok_or_else(|| anyhow!("features and labels differ in length"))?;

    let bar = progress_bar(options.progress, u64::from(options.epochs))?;
    let print_every = if options.epochs <= 30 {
        1
    } else {
        options.epochs.div_ceil(20)
    };
    let mut epochs = Vec::with_capacity(options.epochs as usize);
    let keep_best = best.as_deref_mut().map(KeepBest);
    let report = ws
        .fit(
            &data,
            &config,
            (
                keep_best,
                OnEpoch::new(|r| {
                    let record = EpochRecord::from_report(r);
                    bar.set_message(epoch_summary(&record));
                    bar.inc(1);
                    if options.print_epochs
                        && (record.epoch.is_multiple_of(print_every)
                            || record.epoch == 1
                            || record.epoch == options.epochs)
                    {
                        let line = format!(
                            "epoch {:>4}/{}  {}",
                            record.epoch,
                            options.epochs,
                            epoch_summary(&record)
                        );
                        if bar.is_hidden() {
                            println!("{line}");
                        } else {
                            bar.println(line);
                        }
                    }
                    epochs.push(record);
                }),
            ),
        )
        .map_err(|e| anyhow!("training failed: {e}"))?;
    bar.finish_and_clear();

    let model = Model {
        net: ws.net.clone(),
        input: normalizer.unwrap_or(Normalizer::IDENTITY),
        target: Normalizer::IDENTITY,
    };
    let written = write_checkpoints(options, &model, &ws.trainer)?;

    let train_eval = evaluate_model::<N, L, D, O>(&model, &train)?;
    let test_eval = test
        .as_ref()
        .map(|t| evaluate_model::<N, L, D, O>(&model, t))
        .transpose()?;
    if let Some(path) = &options.metrics {
        write_metrics(path, &epochs)?;
    }
    Ok(TrainOutcome {
        model: options.model.label(),
        optimizer: format!("{}", options.optimizer),
        schedule: describe_schedule(&schedule),
        train_rows: train.len(),
        steps_per_epoch,
        epochs,
        fit: report,
        train: train_eval,
        test: test_eval,
        memory: Trainer::<N, L, Opt, BUFFER>::MEMORY,
        task: L::KIND,
        resumed_at,
        written,
    })
}

/// Writes what `options` asks for once training has ended: the model
/// checkpoint (network and normalisers) and the training state (network,
/// optimizer state, step count). Returns each file with what it holds.
///
/// # Errors
/// If a file can't be written.
pub fn write_checkpoints<N, L, Opt, const D: usize, const O: usize, const B: usize>(
    options: &TrainOptions,
    model: &Model<N, D, O>,
    trainer: &Trainer<N, L, Opt, B>,
) -> Result<Vec<(PathBuf, String)>>
where
    N: Layer<Input = [f32; D], Output = [f32; O]>,
    Opt: Optimizer,
    Opt::State<N::Grads>: Parameters,
{
    let mut written = Vec::new();
    let mut write = |path: &Path, blob: Vec<u8>| -> Result<()> {
        write_atomic(path, &blob)?;
        let contents = checkpoints::inspect(&blob).map_err(|e| anyhow!("{e}"))?;
        written.push((path.to_path_buf(), contents.to_string()));
        Ok(())
    };
    if let Some(path) = &options.checkpoint {
        write(path, model_blob(model)?)?;
    }
    if let Some(path) = &options.save_state {
        write(path, training_blob(&model.net, trainer)?)?;
    }
    Ok(written)
}

/// "loss 0.1234  acc 0.9650  lr 4.87e-3".
fn epoch_summary(r: &EpochRecord) -> String {
    let acc = r
        .accuracy
        .map_or(String::new(), |a| format!("  acc {a:.4}"));
    format!("loss {:.5}{acc}  lr {:.3e}", r.loss, r.learning_rate)
}

/// A per-epoch progress bar on stderr (hidden when `show` is false or
/// stderr is not a terminal).
pub fn progress_bar(show: bool, epochs: u64) -> Result<ProgressBar> {
    let bar = if show {
        ProgressBar::new(epochs)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] epoch {pos}/{len} {msg} ({elapsed})")
            .map_err(|e| anyhow!("{e}"))?
            .progress_chars("=> "),
    );
    bar.set_prefix("training");
    Ok(bar)
}

/// Loss and accuracy of `net` on `set` (inputs scaled by `normalizer`), in
/// chunks of the trainer's buffer; the gradient buffer is not touched.
///
/// # Errors
/// If a row is refused (e.g. a label out of range).
pub fn evaluate<N, L, Opt, const D: usize, const O: usize, const B: usize>(
    trainer: &mut Trainer<N, L, Opt, B>,
    net: &N,
    normalizer: Option<&Normalizer<[f32; D]>>,
    set: &LabeledSet<D, L::Target>,
) -> Result<Evaluation>
where
    N: Layer<Input = [f32; D], Output = [f32; O]>,
    L: Task<O>,
    Opt: Optimizer,
{
    let mut stats = EpochStats::new();
    let mut rows = [[0.0f32; D]; B];
    for (xs, ys) in set.features.chunks(B).zip(set.labels.chunks(B)) {
        let rows = &mut rows[..xs.len()];
        rows.copy_from_slice(xs);
        if let Some(n) = normalizer {
            rows.iter_mut().for_each(|r| n.apply(r));
        }
        let step = trainer
            .evaluate(net, rows, ys)
            .map_err(|e| anyhow!("evaluation failed: {e}"))?;
        stats.add(&step);
    }
    Ok(Evaluation {
        rows: set.len(),
        loss: stats.mean_loss(),
        accuracy: stats.accuracy(),
    })
}

/// Loss and accuracy of a [`Model`] on `set`: for classifiers the mean loss
/// and accuracy of [`evaluate`] on inputs scaled by the model's input
/// normaliser; for regression the mean squared error of
/// [`Model::predict`] (so in the target's units, whatever the target
/// normaliser) against each row's target value.
///
/// The loss's batch evaluation runs in a trainer of its own (SGD, no
/// state), so this is compiled once per model, not once per optimizer.
///
/// # Errors
/// If a row is refused.
pub fn evaluate_model<N, L, const D: usize, const O: usize>(
    model: &Model<N, D, O>,
    set: &LabeledSet<D, L::Target>,
) -> Result<Evaluation>
where
    N: Layer<Input = [f32; D], Output = [f32; O]>,
    L: Task<O>,
{
    if L::KIND != TaskKind::Regression {
        let mut trainer = Box::new(Trainer::<N, L, Sgd, BUFFER>::new(L::default(), Sgd));
        return evaluate(&mut trainer, &model.net, Some(&model.input), set);
    }
    let mut run = Box::new(Inference::<N>::new());
    let mut sum = 0.0f64;
    for (x, y) in set.features.iter().zip(&set.labels) {
        let out = model
            .predict(&mut run, &mut x.clone())
            .map_err(|e| anyhow!("evaluation failed: {e}"))?;
        let target = L::value_of(y);
        sum += out
            .iter()
            .map(|&p| (f64::from(p) - target).powi(2))
            .sum::<f64>()
            / O as f64;
    }
    Ok(Evaluation {
        rows: set.len(),
        loss: (sum / set.len().max(1) as f64) as f32,
        accuracy: None,
    })
}

/// `matrix[true][predicted]` counts of a classifier on `set`.
///
/// # Errors
/// If a row is refused by inference.
pub fn confusion_matrix<N, L, const D: usize, const O: usize>(
    net: &N,
    normalizer: Option<&Normalizer<[f32; D]>>,
    set: &LabeledSet<D, L::Target>,
    classes: usize,
) -> Result<Vec<Vec<u32>>>
where
    N: Layer<Input = [f32; D], Output = [f32; O]>,
    L: Task<O>,
{
    let mut matrix = vec![vec![0u32; classes]; classes];
    let mut run = Inference::<N>::new();
    for (x, y) in set.features.iter().zip(&set.labels) {
        let mut x = *x;
        if let Some(n) = normalizer {
            n.apply(&mut x);
        }
        let out = run.predict(net, &x).map_err(|e| anyhow!("{e}"))?;
        if let (Some(t), Some(p)) = (L::class_of(y), L::predict_class(out))
            && let Some(cell) = matrix.get_mut(t).and_then(|row| row.get_mut(p))
        {
            *cell += 1;
        }
    }
    Ok(matrix)
}

/// Writes the per-epoch records as CSV:
/// `epoch,iterations,loss,accuracy,learning_rate,grad_norm`.
///
/// # Errors
/// If the file can't be written.
pub fn write_metrics(path: &Path, epochs: &[EpochRecord]) -> Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    w.write_record([
        "epoch",
        "iterations",
        "loss",
        "accuracy",
        "learning_rate",
        "grad_norm",
    ])?;
    for e in epochs {
        w.write_record([
            e.epoch.to_string(),
            e.iterations.to_string(),
            e.loss.to_string(),
            e.accuracy.map_or(String::new(), |a| a.to_string()),
            e.learning_rate.to_string(),
            e.grad_norm.to_string(),
        ])?;
    }
    w.flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Prints a run's summary the way `train` shows it.
pub fn print_outcome(out: &TrainOutcome, mut w: impl Write) -> std::io::Result<()> {
    let reason = match out.fit.reason {
        StopReason::MaxEpochs => "the epoch limit",
        StopReason::MaxIterations => "--max-iterations",
        StopReason::GradientNorm => "--min-grad-norm (the gradient is ~0)",
        StopReason::WeightChange => "--min-weight-change (the weights stopped moving)",
        StopReason::NoImprovement => "--patience (the loss stopped decreasing)",
        _ => "a request from the epoch callback",
    };
    if let Some(step) = out.resumed_at {
        writeln!(
            w,
            "resumed at optimizer step {step}; the schedule continues from there"
        )?;
    }
    writeln!(
        w,
        "stopped by {reason} after {} epochs, {} iterations{}",
        out.fit.epochs,
        out.fit.iterations,
        if out.fit.restored_best {
            format!(
                "; restored the weights of epoch {} (loss {:.5})",
                out.fit.best_epoch + 1,
                out.fit.best_loss
            )
        } else {
            String::new()
        }
    )?;
    writeln!(w, "{}", evaluation_line(out.task, "train", &out.train))?;
    if let Some(test) = &out.test {
        writeln!(w, "{}", evaluation_line(out.task, "test ", test))?;
    }
    let m = &out.memory;
    writeln!(
        w,
        "memory: parameters {} B, training total {} B (gradients {}, optimizer state {}, caches for {} rows {})",
        m.parameters, m.total, m.gradients, m.optimizer_state, BUFFER, m.caches
    )?;
    for (path, what) in &out.written {
        writeln!(w, "wrote {}: {what}", path.display())?;
    }
    Ok(())
}

/// "test : accuracy 0.9667, loss 0.08812 on 30 rows", or for regression
/// "test : MSE 0.000841 (RMSE 0.0290) on 40 rows".
pub fn evaluation_line(task: TaskKind, name: &str, e: &Evaluation) -> String {
    match (task, e.accuracy) {
        (TaskKind::Regression, _) => format!(
            "{name}: MSE {:.6} (RMSE {:.4}) on {} rows",
            e.loss,
            e.loss.sqrt(),
            e.rows
        ),
        (_, acc) => format!(
            "{name}: accuracy {:.4}, loss {:.5} on {} rows",
            acc.unwrap_or(0.0),
            e.loss,
            e.rows
        ),
    }
}

/// The learning rate a schedule gives at each of `steps` steps.
pub fn schedule_curve(s: &Warmup<LrSchedule>, steps: u32) -> Vec<f32> {
    (0..steps).map(|t| s.learning_rate(t)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xor_learns_with_the_defaults() {
        let out = run(&TrainOptions::new(Builtin::Xor)).unwrap();
        assert_eq!(out.train.accuracy, Some(1.0), "{out:?}");
        assert_eq!(out.train_rows, 4);
        assert!(out.test.is_none());
    }

    #[test]
    fn every_optimizer_trains_iris() {
        for kind in [
            OptimizerKind::Sgd,
            OptimizerKind::Momentum,
            OptimizerKind::Nesterov,
            OptimizerKind::Adagrad,
            OptimizerKind::Rmsprop,
            OptimizerKind::Adam,
            OptimizerKind::Adamw,
        ] {
            let mut o = TrainOptions::new(Builtin::Iris);
            o.optimizer = OptimizerSettings::new(kind);
            o.lr = match kind {
                OptimizerKind::Sgd | OptimizerKind::Adagrad => 0.1,
                _ => 0.01,
            };
            o.epochs = 60;
            let out = run(&o).unwrap();
            let acc = out.test.unwrap().accuracy.unwrap();
            assert!(acc > 0.85, "{kind:?}: {acc}");
        }
    }

    #[test]
    fn patience_stops_and_restores() {
        let mut o = TrainOptions::new(Builtin::Iris);
        o.epochs = 1000;
        o.stopping.patience = Some(3);
        o.stopping.min_delta = 1e-3;
        let out = run(&o).unwrap();
        assert_eq!(out.fit.reason, StopReason::NoImprovement);
        assert!(out.fit.restored_best && out.fit.epochs < 1000);
        assert_eq!(out.epochs.len() as u32, out.fit.epochs);
    }

    #[test]
    fn max_iterations_stops_mid_epoch() {
        let mut o = TrainOptions::new(Builtin::Digits);
        o.stopping.max_iterations = Some(100);
        let out = run(&o).unwrap();
        assert_eq!(out.fit.reason, StopReason::MaxIterations);
        assert_eq!(out.fit.iterations, 100);
        assert_eq!(out.steps_per_epoch, 90); // ceil(1438 / 16)
    }
}
