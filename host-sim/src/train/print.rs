//! The `train` command as the CLI runs it: what is about to run, the
//! run, and what it did.

use std::io::Write;

use anyhow::Result;
use clap::ValueEnum;
use microprop::StopReason;

use super::args::TrainOptions;
use super::run::{TrainOutcome, run};
use super::watch::{finish, install_interrupt};
use crate::data::{BundledData, DataSource};
use crate::options::{BUFFER, Batch};
use crate::report::evaluation_line;

/// Runs `train` as the CLI does: prints the settings, trains (with the
/// per-epoch lines and progress bar unless `quiet`) and prints the
/// outcome to stdout.
///
/// # Errors
/// As [`run()`], or if stdout can't be written.
pub fn command(options: &TrainOptions) -> Result<()> {
    install_interrupt()?;
    // Settings and output paths are refused before anything is printed
    // or loaded (`run` checks them again, for callers of the library).
    options.validate()?;
    options.check_outputs()?;
    if options.layers.is_some() {
        return super::own::command_own(options);
    }
    let model = options.builtin()?;
    if options.json {
        let outcome = run(options)?;
        outln!("{}", outcome_json(&outcome))?;
        return interrupted(&outcome);
    }
    let source = match options.source()? {
        DataSource::Bundled => format!(
            "bundled: {}, read from {}",
            model.bundled_data(),
            BundledData::locate(options.data.data_dir.as_deref()).origin()
        ),
        DataSource::Csv { path, .. } => path.display().to_string(),
        DataSource::Idx { images, labels } => {
            format!("{} + {}", images.display(), labels.display())
        }
    };
    outln!(
        "model {}: {}; data {source}\n{}, {} epochs, {} init, seed {}, normalize {}",
        model.label(),
        model.description(),
        describe_batch(options.batch_or_default()),
        options.epochs_or_default(),
        options
            .init
            .kind
            .to_possible_value()
            .map_or(String::new(), |v| v.get_name().to_string()),
        options.seed,
        options.normalize_or_default().name()
    )?;
    let outcome = run(options)?;
    outln!(
        "optimizer {}; lr {}; {} training rows, {} step(s) per epoch",
        outcome.optimizer,
        outcome.schedule,
        outcome.train_rows,
        outcome.steps_per_epoch
    )?;
    print_outcome(&outcome, std::io::stdout().lock())?;
    interrupted(&outcome)
}

/// After the outcome is out: [`finish`]'s `Interrupted` (exit code 130,
/// with the files written) if Ctrl-C ended the run or came while it
/// finished.
fn interrupted(outcome: &TrainOutcome) -> Result<()> {
    finish(outcome.interrupted, outcome.fit.epochs, &outcome.written)
}

/// A built-in model's run as the JSON object `train --json` prints.
pub fn outcome_json(o: &TrainOutcome) -> serde_json::Value {
    serde_json::json!({
        "command": "train",
        "model": o.model,
        "optimizer": o.optimizer,
        "schedule": o.schedule,
        "train_rows": o.train_rows,
        "steps_per_epoch": o.steps_per_epoch,
        "stopped_by": stop_reason(o.fit.reason),
        "interrupted": o.interrupted,
        "epochs_run": o.fit.epochs,
        "iterations": o.fit.iterations,
        "best_epoch": o.fit.best_epoch + 1,
        "restored_best": o.fit.restored_best,
        "train": o.train,
        "test": o.test,
        "epochs": o.epochs,
        "written": o.written.iter().map(|(p, what)| serde_json::json!({"path": p.display().to_string(), "what": what})).collect::<Vec<_>>(),
    })
}

/// Why `fit` stopped, in words.
fn stop_reason(reason: StopReason) -> &'static str {
    match reason {
        StopReason::MaxEpochs => "the epoch limit",
        StopReason::MaxIterations => "--max-iterations",
        StopReason::GradientNorm => "--min-grad-norm (the gradient is ~0)",
        StopReason::WeightChange => "--min-weight-change (the weights stopped moving)",
        StopReason::NoImprovement => "--patience (the loss stopped decreasing)",
        _ => "Ctrl-C (interrupted)",
    }
}

/// "SGD: 1 row per step", "16 rows per step", "full batch (accumulated in
/// a 16-row buffer)".
fn describe_batch(batch: Batch) -> String {
    match batch {
        Batch::Full => format!("full batch (accumulated in a {BUFFER}-row buffer)"),
        Batch::Rows(1) => "SGD: 1 row per step".to_string(),
        Batch::Rows(n) if n > BUFFER => {
            format!("{n} rows per step (accumulated in a {BUFFER}-row buffer)")
        }
        Batch::Rows(n) => format!("{n} rows per step"),
    }
}

/// Prints a run's summary the way `train` shows it.
pub fn print_outcome(out: &TrainOutcome, mut w: impl Write) -> std::io::Result<()> {
    let reason = stop_reason(out.fit.reason);
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
