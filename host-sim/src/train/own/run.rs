//! A run of `train --layers`: the user's CSV, a network of the given
//! hidden layers and the task's output layer, trained through
//! [`microprop::dynamic`] with the optimizer chosen by name; the model
//! file, the metrics and the figure it leaves.

use std::ops::ControlFlow;
use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::ValueEnum;
use microprop::dynamic::{FlatOptimizer, Network};
use microprop::{FitReport, Schedule};

use super::super::watch::{Halt, RunWatch, divergence_error, training_error};
use super::prepare::{PrepareSettings, Prepared, prepare};
use crate::data::split::rows_digest;
use crate::models::own::{
    EpochEvent, FitData, FitSettings, OwnModel, Rows, RunHooks, SplitRecord, fit, topology,
    write_model,
};
use crate::options::{BUFFER, NormalizeKind, OptimizerKind, describe_schedule};
use crate::report::plot::plot_file;
use crate::report::{
    EpochHistory, EpochProgress, EpochRecord, MetricsFile, Score, score, training_curves,
};
use crate::train::TrainOptions;

/// What a `train --layers` run did.
#[derive(Debug, Clone)]
pub struct OwnOutcome {
    /// The trained model, as written to the model file.
    pub model: OwnModel,
    /// How the task was chosen.
    pub detected: String,
    /// Optimizer in words.
    pub optimizer: String,
    /// Schedule in words.
    pub schedule: String,
    /// Optimizer steps per epoch.
    pub steps_per_epoch: usize,
    /// The epochs, evenly spaced and at most about a thousand
    /// ([`crate::report::EpochHistory`]); the metrics file has every one.
    pub epochs: Vec<EpochRecord>,
    /// How training ended.
    pub fit: FitReport,
    /// The model on its training rows.
    pub train: Score,
    /// On the validation rows.
    pub validation: Option<Score>,
    /// On the held-out test rows.
    pub test: Option<Score>,
    /// Files written, with what each holds.
    pub written: Vec<(PathBuf, String)>,
    /// Ctrl-C ended the run (after its files were written).
    pub interrupted: bool,
}

/// Trains as `options` say (`options.layers` must be set).
///
/// # Errors
/// If a setting is out of range, the file can't be used, training fails,
/// or an output can't be written.
pub fn run_own(options: &TrainOptions) -> Result<OwnOutcome> {
    options.validate()?;
    options.check_outputs()?;
    let hidden = options
        .layers
        .as_ref()
        .ok_or_else(|| anyhow!("--layers is not set"))?;
    let csv = options
        .data
        .csv
        .as_deref()
        .ok_or_else(|| anyhow!("--layers trains on a CSV file: give --csv FILE"))?;
    let prepared = prepare(&PrepareSettings {
        csv,
        label: options.data.label.as_deref(),
        task: options.task,
        test_fraction: options.test_fraction_or_default(),
        validation: options.validation.unwrap_or(0.0),
        seed: options.seed,
        normalize: options.normalize_or_default(),
        normalize_target: options.normalize_target.unwrap_or(NormalizeKind::Standard),
        progress: !options.quiet && !options.json,
    })?;
    let mut layers = hidden.0.clone();
    layers.push(prepared.task.output_layer());
    let width = prepared.table.width();
    let params_len = topology(width, &layers)?.params_len();
    let mut params = vec![0.0f32; params_len];

    let epochs = options.epochs_or_default();
    let mode = options.batch_or_default().mode();
    let n = prepared.split.train.len();
    let steps_per_epoch = mode.iterations_per_epoch(n);
    let total_steps = options.run_steps(steps_per_epoch);
    options.check_warmup(total_steps, steps_per_epoch)?;
    let lr = options.lr_or_default();
    let schedule = options
        .schedule
        .build(lr, total_steps, steps_per_epoch as u32);
    let settings = FitSettings {
        mode,
        schedule,
        shuffle_seed: Some(options.seed),
        stopping: options.stopping.stopping(epochs),
    };

    let progress = EpochProgress::new(!options.quiet && !options.json, epochs)?;
    let metrics = options
        .metrics
        .as_deref()
        .map(|path| MetricsFile::create(path, !prepared.split.validation.is_empty()))
        .transpose()?;
    let mut hooks = OwnHooks {
        watch: RunWatch::default(),
        progress: &progress,
        history: EpochHistory::new(),
        metrics,
        checkpoint: options
            .checkpoint_every
            .zip(options.checkpoint_file())
            .map(|(every, path)| (every, path, options, &prepared, &layers)),
        schedule: &schedule,
    };
    let fitted = {
        let topology = topology(width, &layers)?;
        let mut net = Network::new(topology, &mut params).map_err(|e| anyhow!("{e}"))?;
        net.init(
            options.init.init(),
            &mut microprop::init::seeded(options.seed),
        );
        let data = FitData {
            rows: Rows {
                features: &prepared.table.features,
                width,
                targets: &prepared.targets,
                scaler: prepared.input.as_ref(),
            },
            train: &prepared.split.train,
            validation: &prepared.split.validation,
        };
        let loss = prepared.task.loss();
        let run = Run {
            net: &mut net,
            loss,
            data: &data,
            settings: &settings,
        };
        let s = options.optimizer_or_default();
        match s.kind() {
            OptimizerKind::Sgd => run.with(s.sgd(), &mut hooks),
            OptimizerKind::Momentum | OptimizerKind::Nesterov => run.with(s.momentum(), &mut hooks),
            OptimizerKind::Adagrad => run.with(s.adagrad(), &mut hooks),
            OptimizerKind::Rmsprop => run.with(s.rmsprop(), &mut hooks),
            OptimizerKind::Adam | OptimizerKind::Adamw => run.with(s.adam(), &mut hooks),
        }
    };
    progress.finish();
    let OwnHooks {
        watch,
        history,
        metrics,
        ..
    } = hooks;
    let last_epoch = history.epochs_seen();
    let periodic = options.checkpoint_every.is_some();
    let report = fitted.map_err(
        |e| match e.root_cause().downcast_ref::<microprop::Error>() {
            Some(&core) => training_error(core, lr, last_epoch + 1, periodic),
            None => e,
        },
    )?;
    let interrupted = match watch.into_halt() {
        None => false,
        Some(Halt::Interrupted) => true,
        Some(Halt::Diverged(why)) => return Err(divergence_error(&why, lr, last_epoch, periodic)),
        Some(Halt::Failed(e)) => return Err(e),
    };
    let records = history.records();

    let model = build_model(options, &prepared, layers, params, &report, &schedule)?;
    let scores = |rows: &[usize]| -> Result<Option<Score>> {
        if rows.is_empty() {
            return Ok(None);
        }
        score(&model, &prepared.table.features, &prepared.raw, rows).map(Some)
    };
    let train = scores(&prepared.split.train)?.ok_or_else(|| anyhow!("no training rows"))?;
    let validation = scores(&prepared.split.validation)?;
    let test = scores(&prepared.split.test)?;

    let mut written = Vec::new();
    if let Some(path) = options.checkpoint_file() {
        let bytes = write_model(&path, &model)?;
        written.push((
            path,
            format!(
                "{bytes} bytes, {} ({}): {} parameters, features, scaling, {}split",
                model.shape(),
                model.task.name(),
                model.params.len(),
                if model.task.classes().is_empty() {
                    String::new()
                } else {
                    "classes, ".to_string()
                }
            ),
        ));
    }
    if let (Some(file), Some(path)) = (metrics, &options.metrics) {
        file.commit()?;
        written.push((path.clone(), format!("{last_epoch} epochs of metrics")));
    }
    if let Some(path) = &options.plot {
        let title = format!("{} on {}", model.shape(), prepared.table.source);
        let (png, stem) = plot_file(path);
        training_curves(&title, &records).write(&stem, false)?;
        written.push((png, "training curves".to_string()));
    }
    Ok(OwnOutcome {
        detected: prepared.detected.clone(),
        optimizer: format!("{}", options.optimizer_or_default()),
        schedule: describe_schedule(&schedule),
        steps_per_epoch,
        epochs: records,
        fit: report,
        train,
        validation,
        test,
        written,
        interrupted,
        model,
    })
}

/// A training run waiting for its optimizer.
struct Run<'r, 'n, S> {
    net: &'r mut Network<'n>,
    loss: microprop::dynamic::LossKind,
    data: &'r FitData<'r>,
    settings: &'r FitSettings<S>,
}

impl<S: Schedule> Run<'_, '_, S> {
    fn with<O: FlatOptimizer>(self, optimizer: O, hooks: impl RunHooks) -> Result<FitReport> {
        fit(
            self.net,
            optimizer,
            self.loss,
            self.data,
            self.settings,
            hooks,
        )
    }
}

/// A run's periodic model file: every N epochs to this path, built from
/// the options, the prepared file and the layers.
type PeriodicCheckpoint<'a> = (
    u32,
    PathBuf,
    &'a TrainOptions,
    &'a Prepared,
    &'a Vec<microprop::dynamic::LayerSpec>,
);

/// What a `train --layers` run does after every step and epoch: Ctrl-C
/// and divergence ([`RunWatch`]), progress, the kept epochs, the metrics
/// row and the periodic model file.
struct OwnHooks<'a> {
    watch: RunWatch,
    progress: &'a EpochProgress,
    history: EpochHistory,
    metrics: Option<MetricsFile>,
    checkpoint: Option<PeriodicCheckpoint<'a>>,
    schedule: &'a microprop::Warmup<microprop::LrSchedule>,
}

impl OwnHooks<'_> {
    fn after_epoch(&mut self, e: &EpochEvent, params: &[f32]) -> Result<()> {
        let record = EpochRecord::from_report(&e.report).with_validation(e.validation.as_ref());
        self.progress.epoch(&record);
        self.history.push(record);
        if let Some(file) = &mut self.metrics {
            file.write(&record)?;
        }
        if let Some((every, path, options, prepared, layers)) = &self.checkpoint
            && (e.report.epoch + 1).is_multiple_of(*every)
        {
            let report = FitReport {
                reason: microprop::StopReason::Requested,
                epochs: e.report.epoch + 1,
                iterations: e.report.iterations,
                last: e.report.stats,
                best_loss: f32::NAN,
                best_epoch: e.report.epoch,
                restored_best: false,
                last_step: e.report.last_step,
            };
            let model = build_model(
                options,
                prepared,
                (*layers).clone(),
                params.to_vec(),
                &report,
                self.schedule,
            )?;
            write_model(path, &model)?;
        }
        Ok(())
    }
}

impl RunHooks for &mut OwnHooks<'_> {
    fn step(&mut self, loss: f32) -> ControlFlow<()> {
        self.watch.step(loss)
    }

    fn epoch(&mut self, event: &EpochEvent, params: &[f32]) -> ControlFlow<()> {
        let done = self.after_epoch(event, params);
        self.watch.epoch(done)
    }
}

/// The trained model with what it needs to read a file again.
fn build_model(
    options: &TrainOptions,
    prepared: &Prepared,
    layers: Vec<microprop::dynamic::LayerSpec>,
    params: Vec<f32>,
    report: &FitReport,
    schedule: &microprop::Warmup<microprop::LrSchedule>,
) -> Result<OwnModel> {
    let csv = options.data.csv.clone().unwrap_or_default();
    let file = std::fs::canonicalize(&csv).unwrap_or(csv);
    let split = &prepared.split;
    let name = |v: Option<clap::builder::PossibleValue>| {
        v.map_or(String::new(), |v| v.get_name().to_string())
    };
    let training = serde_json::json!({
        "optimizer": format!("{}", options.optimizer_or_default()),
        "schedule": describe_schedule(schedule),
        "batch": options.batch_or_default().to_string(),
        "buffer_rows": BUFFER,
        "epochs": report.epochs,
        "iterations": report.iterations,
        "seed": options.seed,
        "init": name(options.init.kind.to_possible_value()),
        "normalize": options.normalize_or_default().name(),
        "best_epoch": report.best_epoch + 1,
        "restored_best": report.restored_best,
    });
    Ok(OwnModel {
        features: prepared.table.names.clone(),
        label: prepared
            .table
            .label
            .as_ref()
            .map(|(n, _)| n.clone())
            .unwrap_or_default(),
        task: prepared.task.clone(),
        input: prepared.input.clone(),
        layers,
        params,
        split: SplitRecord {
            file: file.display().to_string(),
            sha256: prepared.table.sha256.clone(),
            rows: prepared.table.len(),
            seed: options.seed,
            test_fraction: options.test_fraction_or_default(),
            validation_fraction: options.validation.unwrap_or(0.0),
            test_rows: split.test.len(),
            validation_rows: split.validation.len(),
            test_digest: rows_digest(&split.test),
        },
        training,
    })
}
