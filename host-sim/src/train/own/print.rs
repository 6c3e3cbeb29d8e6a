//! What `train --layers` prints: the settings, the run, the scores and
//! the files; or with `--json` one JSON object.

use std::io::Write;

use anyhow::Result;
use microprop::StopReason;
use serde_json::{Value, json};

use super::run::{OwnOutcome, run_own};
use crate::options::describe_layer;
use crate::report::format_named_confusion;
use crate::train::TrainOptions;
use crate::train::watch::finish;

/// Why a run stopped, in words.
pub fn stop_reason(reason: StopReason, validation: bool) -> &'static str {
    match reason {
        StopReason::MaxEpochs => "the epoch limit",
        StopReason::MaxIterations => "--max-iterations",
        StopReason::GradientNorm => "--min-grad-norm (the gradient is ~0)",
        StopReason::WeightChange => "--min-weight-change (the weights stopped moving)",
        StopReason::NoImprovement if validation => {
            "--patience (the validation loss stopped decreasing)"
        }
        StopReason::NoImprovement => "--patience (the loss stopped decreasing)",
        _ => "Ctrl-C (interrupted)",
    }
}

/// Runs `train --layers` as the CLI does: the settings, the per-epoch
/// lines, the outcome; with `--json` only the JSON object.
///
/// # Errors
/// As [`run_own`], or if stdout can't be written.
pub fn command_own(options: &TrainOptions) -> Result<()> {
    let outcome = run_own(options)?;
    let mut out = std::io::stdout().lock();
    if options.json {
        writeln!(out, "{}", serde_json::to_string(&outcome_json(&outcome))?)?;
    } else {
        print_outcome(&outcome, &mut out)?;
    }
    finish(outcome.interrupted, outcome.fit.epochs, &outcome.written)
}

/// The outcome in words, as `train --layers` prints it.
///
/// # Errors
/// If `w` can't be written.
pub fn print_outcome(o: &OwnOutcome, mut w: impl Write) -> std::io::Result<()> {
    let m = &o.model;
    let s = &m.split;
    writeln!(
        w,
        "model {} ({} features -> {}), task {} ({})",
        m.shape(),
        m.features.len(),
        m.layers
            .iter()
            .map(describe_layer)
            .collect::<Vec<_>>()
            .join(", "),
        m.task.name(),
        o.detected
    )?;
    if !m.task.classes().is_empty() {
        writeln!(w, "classes: {}", m.task.classes().join(", "))?;
    }
    writeln!(
        w,
        "data {}: {} rows: {} train, {} validation, {} test (seed {})",
        s.file,
        s.rows,
        s.rows - s.test_rows - s.validation_rows,
        s.validation_rows,
        s.test_rows,
        s.seed
    )?;
    writeln!(
        w,
        "optimizer {}; lr {}; {} step(s) per epoch",
        o.optimizer, o.schedule, o.steps_per_epoch
    )?;
    let f = &o.fit;
    writeln!(
        w,
        "stopped by {} after {} epochs, {} iterations{}",
        stop_reason(f.reason, o.validation.is_some()),
        f.epochs,
        f.iterations,
        if f.restored_best {
            format!(
                "; restored the weights of epoch {} ({} loss {:.5})",
                f.best_epoch + 1,
                if o.validation.is_some() {
                    "validation"
                } else {
                    "training"
                },
                f.best_loss
            )
        } else {
            String::new()
        }
    )?;
    writeln!(w, "{}", o.train.line("train"))?;
    if let Some(v) = &o.validation {
        writeln!(w, "{}", v.line("valid"))?;
    }
    if let Some(t) = &o.test {
        writeln!(w, "{}", t.line("test "))?;
        if let Some(c) = &t.confusion {
            writeln!(w, "confusion matrix of the held-out rows:")?;
            write!(w, "{}", format_named_confusion(c, m.task.classes()))?;
        }
    }
    for (path, what) in &o.written {
        writeln!(w, "wrote {}: {what}", path.display())?;
    }
    Ok(())
}

/// The outcome as the JSON object `train --layers --json` prints.
pub fn outcome_json(o: &OwnOutcome) -> Value {
    let m = &o.model;
    json!({
        "command": "train",
        "shape": m.shape(),
        "layers": m.layers.iter().map(describe_layer).collect::<Vec<_>>(),
        "features": m.features,
        "label": m.label,
        "task": m.task.name(),
        "task_source": o.detected,
        "classes": m.task.classes(),
        "split": {
            "file": m.split.file,
            "rows": m.split.rows,
            "train_rows": m.split.rows - m.split.test_rows - m.split.validation_rows,
            "validation_rows": m.split.validation_rows,
            "test_rows": m.split.test_rows,
            "seed": m.split.seed,
        },
        "optimizer": o.optimizer,
        "schedule": o.schedule,
        "steps_per_epoch": o.steps_per_epoch,
        "stopped_by": stop_reason(o.fit.reason, o.validation.is_some()),
        "interrupted": o.interrupted,
        "epochs_run": o.fit.epochs,
        "iterations": o.fit.iterations,
        "best_epoch": o.fit.best_epoch + 1,
        "restored_best": o.fit.restored_best,
        "train": o.train,
        "validation": o.validation,
        "test": o.test,
        "epochs": o.epochs,
        "written": o.written.iter().map(|(p, what)| json!({"path": p.display().to_string(), "what": what})).collect::<Vec<_>>(),
    })
}
