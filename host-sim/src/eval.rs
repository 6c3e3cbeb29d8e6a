//! The `eval` and `predict` commands: a built-in model loaded from its
//! checkpoint file, measured on a data set or run on new rows.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use microprop::{AcceptsActivation, Inference, Layer, Model};

use crate::checkpoints::{self, Contents};
use crate::data::{LabelColumn, LabeledSet, Table, load_csv};
use crate::demo::format_confusion;
use crate::models::{Builtin, ModelVisitor, Task, TaskKind};
use crate::train::{
    DataSource, Evaluation, confusion_matrix, evaluate_model, evaluation_line, load_split,
};

/// What `eval` is told.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalOptions {
    /// The model the checkpoint is for.
    pub model: Builtin,
    /// The model checkpoint (`train --checkpoint`).
    pub checkpoint: PathBuf,
    /// The rows to measure on.
    pub data: DataSource,
    /// Where the bundled data lives.
    pub data_dir: PathBuf,
    /// Held-out fraction, as `train` split it (0: every row as one set).
    pub test_fraction: f32,
    /// The split's seed, as `train` used it.
    pub seed: u64,
}

impl EvalOptions {
    /// `model` from `checkpoint` on its bundled data, split as `train`
    /// splits it by default.
    pub fn new(model: Builtin, checkpoint: PathBuf) -> Self {
        EvalOptions {
            model,
            checkpoint,
            data: DataSource::Bundled,
            data_dir: crate::bundled_data_dir(),
            test_fraction: model.defaults().test_fraction,
            seed: 7,
        }
    }
}

/// What `eval` measured.
#[derive(Debug, Clone)]
pub struct EvalOutcome {
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
    options.model.visit(EvalVisitor(options))
}

struct EvalVisitor<'a>(&'a EvalOptions);

impl ModelVisitor for EvalVisitor<'_> {
    type Output = Result<EvalOutcome>;

    fn visit<N, L, const D: usize, const O: usize>(self, model: Builtin) -> Self::Output
    where
        N: Layer<Input = [f32; D], Output = [f32; O]> + Clone + 'static,
        L: Task<O> + AcceptsActivation<N::OutputActivation>,
    {
        let o = self.0;
        let (loaded, contents) = checkpoints::load_model::<N, D, O>(&o.checkpoint, model)?;
        let (train, test) =
            load_split::<L, D, O>(&o.data, &o.data_dir, o.test_fraction, o.seed, model)?;
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
            contents,
            task: L::KIND,
            train: train_eval,
            test: test_eval,
            confusion,
        })
    }
}

/// What `predict` is told.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictOptions {
    /// The model the checkpoint is for.
    pub model: Builtin,
    /// The model checkpoint (`train --checkpoint`).
    pub checkpoint: PathBuf,
    /// Rows given as text, "v1,v2,...".
    pub inputs: Vec<String>,
    /// Rows from a CSV file with a header row: the model's inputs, and
    /// optionally the label (the last column, or `label`).
    pub csv: Option<PathBuf>,
    /// The label column of `csv`.
    pub label: Option<String>,
}

/// One row's prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Where the row came from.
    pub source: String,
    /// The row as given (before the input normaliser).
    pub input: Vec<f32>,
    /// The model's outputs (in the target's units for regression; logits
    /// for classifiers).
    pub outputs: Vec<f32>,
    /// The predicted class (classifiers).
    pub class: Option<usize>,
    /// Its probability (classifiers).
    pub confidence: Option<f32>,
    /// The row's label, if the file has one.
    pub truth: Option<f64>,
}

impl Prediction {
    /// "class 2 (p 0.973), outputs [..]" or "0.4793".
    pub fn render(&self) -> String {
        let outputs = format_values(&self.outputs);
        let mut s = match (self.class, self.confidence) {
            (Some(c), Some(p)) => format!("class {c} (p {p:.3}), outputs {outputs}"),
            _ => outputs,
        };
        if let Some(t) = self.truth {
            let _ = write!(s, "; label {}", crate::data::Num(t));
        }
        s
    }
}

/// `[0.5, -1.25]` with at most 4 decimals.
fn format_values(v: &[f32]) -> String {
    let parts: Vec<String> = v
        .iter()
        .map(|x| {
            let s = format!("{x:.4}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" {
                "0".to_string()
            } else {
                s.to_string()
            }
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// Runs the model from the checkpoint on each row.
///
/// # Errors
/// If the checkpoint can't be loaded, a row has another number of values
/// than the model's inputs (the message names both), or a value is not a
/// finite number.
pub fn predict(options: &PredictOptions) -> Result<Vec<Prediction>> {
    options.model.visit(PredictVisitor(options))
}

struct PredictVisitor<'a>(&'a PredictOptions);

impl ModelVisitor for PredictVisitor<'_> {
    type Output = Result<Vec<Prediction>>;

    fn visit<N, L, const D: usize, const O: usize>(self, model: Builtin) -> Self::Output
    where
        N: Layer<Input = [f32; D], Output = [f32; O]> + Clone + 'static,
        L: Task<O> + AcceptsActivation<N::OutputActivation>,
    {
        let o = self.0;
        let (loaded, _) = checkpoints::load_model::<N, D, O>(&o.checkpoint, model)?;
        let mut rows: Vec<Row<D>> = Vec::new();
        for (i, text) in o.inputs.iter().enumerate() {
            rows.push((
                format!("--input {}", i + 1),
                parse_row::<D>(text, model)?,
                None,
            ));
        }
        if let Some(path) = &o.csv {
            rows.extend(csv_rows::<D>(path, o.label.as_deref(), model)?);
        }
        if rows.is_empty() {
            bail!("nothing to predict: give --input \"v1,v2,...\" or --csv FILE");
        }
        let mut run = Box::new(Inference::<N>::new());
        rows.into_iter()
            .map(|(source, x, truth)| {
                let out =
                    predict_one(&loaded, &mut run, &x).map_err(|e| anyhow!("{source}: {e}"))?;
                Ok(Prediction {
                    source,
                    input: x.to_vec(),
                    outputs: out.to_vec(),
                    class: L::predict_class(&out),
                    confidence: L::confidence(&out),
                    truth,
                })
            })
            .collect()
    }
}

fn predict_one<N, const D: usize, const O: usize>(
    model: &Model<N, D, O>,
    run: &mut Inference<N>,
    x: &[f32; D],
) -> Result<[f32; O], microprop::Error>
where
    N: Layer<Input = [f32; D], Output = [f32; O]>,
{
    model.predict(run, &mut x.clone())
}

/// "5.1, 3.5, 1.4, 0.2" as a row of `D` values.
fn parse_row<const D: usize>(text: &str, model: Builtin) -> Result<[f32; D]> {
    let values: Vec<f32> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.parse::<f32>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| anyhow!("--input {text:?}: {t:?} is not a finite number"))
        })
        .collect::<Result<_>>()?;
    values.try_into().map_err(|v: Vec<f32>| {
        anyhow!(
            "shape mismatch: --input {text:?} has {} values, but model {} takes {D} inputs",
            v.len(),
            model.label()
        )
    })
}

/// A row to predict: where it came from, its values, its label if known.
type Row<const D: usize> = (String, [f32; D], Option<f64>);

/// The rows of a CSV file to predict, with their labels if it has them:
/// `D` columns are inputs only; `D + 1` (or a named `label`) have the label
/// too.
fn csv_rows<const D: usize>(
    path: &Path,
    label: Option<&str>,
    model: Builtin,
) -> Result<Vec<Row<D>>> {
    let mut table = load_csv(path, &LabelColumn::None)?;
    if label.is_some() || table.width == D + 1 {
        table = load_csv(
            path,
            &label.map_or(LabelColumn::Last, |l| LabelColumn::Named(l.to_string())),
        )?;
    }
    let set: LabeledSet<D, f64> = table.typed(&model.label(), Ok)?;
    Ok(set
        .features
        .into_iter()
        .zip(set.labels)
        .enumerate()
        .map(|(i, (x, y))| {
            (
                Table::locate_row(&table, i),
                x,
                Some(y).filter(|y| !y.is_nan()),
            )
        })
        .collect())
}

/// The lines `predict` prints, and for labelled rows of a classifier the
/// accuracy.
pub fn render_predictions(predictions: &[Prediction]) -> String {
    let mut s = String::new();
    for p in predictions {
        let _ = writeln!(
            s,
            "{}: {} -> {}",
            p.source,
            format_values(&p.input),
            p.render()
        );
    }
    let labelled: Vec<(usize, f64)> = predictions
        .iter()
        .filter_map(|p| Some((p.class?, p.truth?)))
        .collect();
    if !labelled.is_empty() {
        let correct = labelled.iter().filter(|&&(c, t)| c as f64 == t).count();
        let _ = writeln!(
            s,
            "accuracy {:.4} ({correct} of {} labelled rows)",
            correct as f64 / labelled.len() as f64,
            labelled.len()
        );
    }
    s
}
