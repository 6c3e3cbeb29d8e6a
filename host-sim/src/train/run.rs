//! A training run: a built-in model on its data through [`microprop::Workspace::fit`],
//! with the optimizer type chosen by name (one monomorphised trainer each).

use std::path::PathBuf;

use anyhow::{Result, anyhow};
use microprop::{
    AcceptsActivation, EpochReport, FitConfig, FitReport, KeepBest, Layer, MemoryReport, Model,
    Normalizer, Optimizer, Parameters, SliceDataset, Trainer, Workspace, checkpoint,
};

use super::args::TrainOptions;
use super::files::write_checkpoints;
use super::watch::{Halt, RunWatch, WatchHooks, divergence_error, training_error};
use crate::data::{BundledData, LabeledSet, fit_normalizer};
use crate::models::checkpoints::{self, explain};
use crate::models::{Builtin, ModelVisitor, Task, TaskKind, load_split};
use crate::options::{BUFFER, OptimizerKind, describe_schedule};
use crate::report::plot::plot_file;
use crate::report::{
    EpochHistory, EpochProgress, EpochRecord, Evaluation, MetricsFile, evaluate_model,
    training_curves,
};

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
    /// The epochs, evenly spaced and at most about a thousand
    /// ([`EpochHistory`]); the metrics file has every one.
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
    /// Ctrl-C ended the run (after its files were written).
    pub interrupted: bool,
}

/// Trains as `options` say.
///
/// # Errors
/// If the data can't be loaded or doesn't fit the model (the message names
/// both shapes), a setting is out of range, or training fails.
pub fn run(options: &TrainOptions) -> Result<TrainOutcome> {
    options.validate()?;
    options.check_outputs()?;
    options.builtin()?.visit(TrainVisitor(options))
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
            &options.source()?,
            &BundledData::locate(options.data.data_dir.as_deref()),
            options.test_fraction_or_default(),
            options.seed,
            model,
        )?;
        let settings = &options.optimizer_or_default();
        match settings.kind() {
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
    let builtin = options.builtin()?;
    let normalizer = options
        .normalize_or_default()
        .scaling()
        .map(|scaling| fit_normalizer(scaling, &train.features));
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
                .map_err(|e| explain(e, path, builtin))?;
            Some(ws.trainer.steps())
        }
        None => None,
    };
    let mut best = options.stopping.patience.map(|_| Box::new(N::ZERO));

    let epochs = options.epochs_or_default();
    let mode = options.batch_or_default().mode();
    let steps_per_epoch = mode.iterations_per_epoch(train.len());
    let run_steps = options.run_steps(steps_per_epoch);
    // A resumed run continues the schedule: it spans the steps already
    // taken and this run's (the trainer's step count drives it), and so
    // does the warmup.
    let total_steps = run_steps.saturating_add(resumed_at.unwrap_or(0));
    options.check_warmup(total_steps, steps_per_epoch)?;
    let lr = options.lr_or_default();
    let schedule = options
        .schedule
        .build(lr, total_steps, steps_per_epoch as u32);
    let config = FitConfig {
        mode,
        schedule,
        shuffle_seed: Some(options.seed),
        stopping: options.stopping.stopping(epochs),
        normalizer,
    };
    let data = SliceDataset::new(&train.features, &train.labels)
        .ok_or_else(|| anyhow!("features and labels differ in length"))?;

    let input = normalizer.unwrap_or(Normalizer::IDENTITY);
    let progress = EpochProgress::new(!options.quiet && !options.json, epochs)?;
    let mut metrics = options
        .metrics
        .as_deref()
        .map(|path| MetricsFile::create(path, false))
        .transpose()?;
    let mut history = EpochHistory::new();
    let mut watch = RunWatch::default();
    let every = options.checkpoint_every;
    let on_epoch = |r: &EpochReport, ws: &mut Workspace<N, L, Opt, BUFFER>| -> Result<()> {
        let record = EpochRecord::from_report(r);
        progress.epoch(&record);
        history.push(record);
        if let Some(file) = &mut metrics {
            file.write(&record)?;
        }
        if every.is_some_and(|n| (r.epoch + 1).is_multiple_of(n)) {
            let model = Model {
                net: ws.net.clone(),
                input,
                target: Normalizer::IDENTITY,
            };
            write_checkpoints(options, &model, &ws.trainer)?;
        }
        Ok(())
    };
    let keep_best = best.as_deref_mut().map(KeepBest);
    let hooks = (
        keep_best,
        WatchHooks {
            watch: &mut watch,
            on_epoch,
        },
    );
    let fitted = ws.fit(&data, &config, hooks);
    progress.finish();
    let last_epoch = history.epochs_seen();
    let periodic = options.checkpoint_every.is_some();
    let report = fitted.map_err(|e| training_error(e, lr, last_epoch + 1, periodic))?;
    let interrupted = match watch.into_halt() {
        None => false,
        Some(Halt::Interrupted) => true,
        Some(Halt::Diverged(why)) => return Err(divergence_error(&why, lr, last_epoch, periodic)),
        Some(Halt::Failed(e)) => return Err(e),
    };

    let model = Model {
        net: ws.net.clone(),
        input,
        target: Normalizer::IDENTITY,
    };
    let mut written = write_checkpoints(options, &model, &ws.trainer)?;
    if let (Some(file), Some(path)) = (metrics, &options.metrics) {
        file.commit()?;
        written.push((path.clone(), format!("{last_epoch} epochs of metrics")));
    }
    let records = history.records();
    if let Some(path) = &options.plot {
        let title = format!("{} on {}", builtin.label(), builtin.bundled_data());
        let (png, stem) = plot_file(path);
        training_curves(&title, &records).write(&stem, false)?;
        written.push((png, "training curves".to_string()));
    }

    let train_eval = evaluate_model::<N, L, D, O>(&model, &train)?;
    let test_eval = test
        .as_ref()
        .map(|t| evaluate_model::<N, L, D, O>(&model, t))
        .transpose()?;
    Ok(TrainOutcome {
        model: builtin.label(),
        optimizer: format!("{}", options.optimizer_or_default()),
        schedule: describe_schedule(&schedule),
        train_rows: train.len(),
        steps_per_epoch,
        epochs: records,
        fit: report,
        train: train_eval,
        test: test_eval,
        memory: Trainer::<N, L, Opt, BUFFER>::MEMORY,
        task: L::KIND,
        resumed_at,
        written,
        interrupted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::OptimizerSettings;
    use microprop::StopReason;

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
            o.lr = Some(match kind {
                OptimizerKind::Sgd | OptimizerKind::Adagrad => 0.1,
                _ => 0.01,
            });
            o.epochs = Some(60);
            let out = run(&o).unwrap();
            let acc = out.test.unwrap().accuracy.unwrap();
            assert!(acc > 0.85, "{kind:?}: {acc}");
        }
    }

    #[test]
    fn patience_stops_and_restores() {
        let mut o = TrainOptions::new(Builtin::Iris);
        o.epochs = Some(1000);
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
