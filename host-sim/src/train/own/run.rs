//! A run of `train --layers`: the user's CSV, a network of the given
//! hidden layers and the task's output layer, trained through
//! [`microprop::dynamic`] with the optimizer chosen by name; the model
//! file, the metrics and the figure it leaves.

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use clap::ValueEnum;
use microprop::dynamic::{FlatOptimizer, Network};
use microprop::{FitReport, Schedule};

use super::prepare::{PrepareSettings, Prepared, prepare};
use crate::data::split::rows_digest;
use crate::models::own::{
    EpochEvent, FitData, FitSettings, OwnModel, Rows, SplitRecord, fit, topology, write_model,
};
use crate::options::{BUFFER, NormalizeKind, OptimizerKind, describe_schedule};
use crate::report::{EpochProgress, EpochRecord, Score, score, training_curves, write_metrics};
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
    /// Every epoch.
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
}

/// Trains as `options` say (`options.layers` must be set).
///
/// # Errors
/// If a setting is out of range, the file can't be used, training fails,
/// or an output can't be written.
pub fn run_own(options: &TrainOptions) -> Result<OwnOutcome> {
    options.validate()?;
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
    let mut total_steps =
        (steps_per_epoch as u64 * u64::from(epochs)).min(u64::from(u32::MAX)) as u32;
    if let Some(max) = options.stopping.max_iterations {
        total_steps = total_steps.min(max);
    }
    let schedule =
        options
            .schedule
            .build(options.lr_or_default(), total_steps, steps_per_epoch as u32);
    let settings = FitSettings {
        mode,
        schedule,
        shuffle_seed: Some(options.seed),
        stopping: options.stopping.stopping(epochs),
    };

    let progress = EpochProgress::new(!options.quiet && !options.json, epochs)?;
    let mut records = Vec::new();
    let on_epoch = |e: &EpochEvent| {
        let record = EpochRecord::from_report(&e.report).with_validation(e.validation.as_ref());
        progress.epoch(&record);
        records.push(record);
    };
    let report = {
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
            OptimizerKind::Sgd => run.with(s.sgd(), on_epoch),
            OptimizerKind::Momentum | OptimizerKind::Nesterov => run.with(s.momentum(), on_epoch),
            OptimizerKind::Adagrad => run.with(s.adagrad(), on_epoch),
            OptimizerKind::Rmsprop => run.with(s.rmsprop(), on_epoch),
            OptimizerKind::Adam | OptimizerKind::Adamw => run.with(s.adam(), on_epoch),
        }?
    };
    progress.finish();

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
    if let Some(path) = &options.metrics {
        write_metrics(path, &records)?;
        written.push((path.clone(), format!("{} epochs of metrics", records.len())));
    }
    if let Some(path) = &options.plot {
        let title = format!("{} on {}", model.shape(), prepared.table.source);
        let png = path.with_extension("png");
        training_curves(&title, &records).write(&path.with_extension(""), false)?;
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
    fn with<O: FlatOptimizer>(
        self,
        optimizer: O,
        on_epoch: impl FnMut(&EpochEvent),
    ) -> Result<FitReport> {
        fit(
            self.net,
            optimizer,
            self.loss,
            self.data,
            self.settings,
            on_epoch,
        )
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
