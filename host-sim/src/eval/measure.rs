//! The `eval` command: a built-in model loaded from its checkpoint file,
//! measured on the rows `train` trained and tested it on, or on the user's
//! file.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Result;
use microprop::{AcceptsActivation, Layer};

use super::args::EvalOptions;
use crate::data::DataSource;
use crate::models::checkpoints::{self, Contents, resolve};
use crate::models::own::is_model_file;
use crate::models::{Builtin, ModelVisitor, Task, TaskKind};
use crate::report::{
    Evaluation, confusion_matrix, evaluate_model, evaluation_line, format_confusion,
};

/// What `eval` measured.
#[derive(Debug, Clone)]
pub struct EvalOutcome {
    /// The model measured.
    pub model: Builtin,
    /// Its checkpoint file.
    pub checkpoint: PathBuf,
    /// The fraction held out, as `train` held it out.
    pub test_fraction: f32,
    /// What the checkpoint holds.
    pub contents: Contents,
    /// The task.
    pub task: TaskKind,
    /// The training rows (or every row, when nothing is held out).
    pub train: Evaluation,
    /// The held-out rows.
    pub test: Option<Evaluation>,
    /// Classifiers: `matrix[true][predicted]` of the held-out rows (of every
    /// row when nothing is held out).
    pub confusion: Option<Vec<Vec<u32>>>,
}

impl EvalOutcome {
    /// The scores as the JSON object `eval --json` prints.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "command": "eval",
            "model": self.model.name(),
            "checkpoint": self.checkpoint.display().to_string(),
            "test_fraction": self.test_fraction,
            "train": self.train,
            "test": self.test,
            "confusion": self.confusion,
        })
    }

    /// The report `eval` prints.
    pub fn render(&self) -> String {
        let mut s = String::new();
        match &self.test {
            Some(test) => {
                let _ = writeln!(s, "{}", evaluation_line(self.task, "train", &self.train));
                let _ = writeln!(s, "{}", evaluation_line(self.task, "test ", test));
            }
            None => {
                let _ = writeln!(s, "{}", evaluation_line(self.task, "all", &self.train));
            }
        }
        if let Some(matrix) = &self.confusion {
            let which = if self.test.is_some() {
                "the held-out rows"
            } else {
                "every row"
            };
            let _ = writeln!(s, "confusion matrix of {which}:");
            s.push_str(&format_confusion(matrix));
        }
        s
    }
}

/// Loads the checkpoint and measures it.
///
/// # Errors
/// If the checkpoint can't be read or is for another model (the message
/// names both shapes and the built-in model it fits), or the data can't be
/// loaded or doesn't fit the model.
pub fn eval(options: &EvalOptions) -> Result<EvalOutcome> {
    let (model, checkpoint) = resolve(options.model, options.checkpoint.as_deref())?;
    let test_fraction = options.split.test_fraction_or_default(model);
    model.visit(EvalVisitor {
        options,
        checkpoint,
        test_fraction,
    })
}

struct EvalVisitor<'a> {
    options: &'a EvalOptions,
    checkpoint: PathBuf,
    test_fraction: f32,
}

impl ModelVisitor for EvalVisitor<'_> {
    type Output = Result<EvalOutcome>;

    fn visit<N, L, const D: usize, const O: usize>(self, model: Builtin) -> Self::Output
    where
        N: Layer<Input = [f32; D], Output = [f32; O]> + Clone + 'static,
        L: Task<O> + AcceptsActivation<N::OutputActivation>,
    {
        let o = self.options;
        let (loaded, contents) = checkpoints::load_model::<N>(&self.checkpoint, model)?;
        let (train, test) = o.split.load::<L, D, O>(self.test_fraction, model)?;
        let train_eval = evaluate_model::<N, L, D, O>(&loaded, &train)?;
        let test_eval = test
            .as_ref()
            .map(|t| evaluate_model::<N, L, D, O>(&loaded, t))
            .transpose()?;
        let confusion = match L::KIND {
            TaskKind::Classes(classes) => Some(classes),
            TaskKind::Binary => Some(2),
            TaskKind::Regression => None,
        }
        .map(|classes| {
            confusion_matrix::<N, L, D, O>(
                &loaded.net,
                Some(&loaded.input),
                test.as_ref().unwrap_or(&train),
                classes,
            )
        })
        .transpose()?;
        Ok(EvalOutcome {
            model,
            checkpoint: self.checkpoint,
            test_fraction: self.test_fraction,
            contents,
            task: L::KIND,
            train: train_eval,
            test: test_eval,
            confusion,
        })
    }
}

/// Runs `eval` as the CLI does: measures and prints to stdout.
///
/// # Errors
/// As [`eval`].
pub fn command(options: &EvalOptions) -> Result<()> {
    if let Some(path) = options.checkpoint.as_deref()
        && is_model_file(path)
    {
        let outcome = super::own::eval_own(path, options)?;
        if options.json {
            outln!("{}", serde_json::to_string(&outcome.to_json())?)?;
        } else {
            out!("{}", outcome.render())?;
        }
        return Ok(());
    }
    let outcome = eval(options)?;
    if options.json {
        outln!("{}", serde_json::to_string(&outcome.to_json())?)?;
        return Ok(());
    }
    let model = outcome.model;
    outln!(
        "model {}: checkpoint {} ({})",
        model.label(),
        outcome.checkpoint.display(),
        outcome.contents
    )?;
    let source = options.split.source()?;
    match &source {
        DataSource::Csv { path, .. } => outln!("data {}", path.display())?,
        DataSource::Idx { images, labels } => {
            outln!("data {} + {}", images.display(), labels.display())?;
        }
        DataSource::Bundled => outln!(
            "data bundled: {}, read from {}",
            model.bundled_data(),
            options.split.bundled().origin()
        )?,
    }
    let own_test_set = source == DataSource::Bundled && model == Builtin::Mnist;
    if outcome.test.is_some() && !own_test_set {
        outln!(
            "held out as train does with --seed {} --test-fraction {}",
            options.split.seed_or_default(),
            outcome.test_fraction
        )?;
    }
    out!("{}", outcome.render())?;
    Ok(())
}
