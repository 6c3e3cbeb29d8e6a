//! The `predict` command: a built-in model loaded from its checkpoint file,
//! run on rows given as text or in a CSV file.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow, bail};
use microprop::{AcceptsActivation, Inference, Layer, Model};

use super::args::PredictOptions;
use crate::data::files::{check_output, write_atomic};
use crate::data::table::Num;
use crate::data::{LabelColumn, LabeledSet, Table, load_csv};
use crate::models::checkpoints::{self, resolve};
use crate::models::own::is_model_file;
use crate::models::{Builtin, ModelVisitor, Task};

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
    /// The prediction in words: "class C (p P), outputs [..]" for a
    /// classifier, the outputs for regression; with the label if known.
    pub fn render(&self) -> String {
        let outputs = format_values(&self.outputs);
        let mut s = match (self.class, self.confidence) {
            (Some(c), Some(p)) => format!("class {c} (p {p:.3}), outputs {outputs}"),
            _ => outputs,
        };
        if let Some(t) = self.truth {
            let _ = write!(s, "; label {}", Num(t));
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
    let (model, checkpoint) = resolve(options.model, options.checkpoint.as_deref())?;
    model.visit(PredictVisitor {
        options,
        checkpoint,
    })
}

struct PredictVisitor<'a> {
    options: &'a PredictOptions,
    checkpoint: PathBuf,
}

impl ModelVisitor for PredictVisitor<'_> {
    type Output = Result<Vec<Prediction>>;

    fn visit<N, L, const D: usize, const O: usize>(self, model: Builtin) -> Self::Output
    where
        N: Layer<Input = [f32; D], Output = [f32; O]> + Clone + 'static,
        L: Task<O> + AcceptsActivation<N::OutputActivation>,
    {
        let o = self.options;
        let (loaded, _) = checkpoints::load_model::<N>(&self.checkpoint, model)?;
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
    model: &Model<N>,
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

/// Runs `predict` as the CLI does: predicts and prints to stdout.
///
/// # Errors
/// As [`predict`].
pub fn command(options: &PredictOptions) -> Result<()> {
    // The output is checked before the model and the rows are read.
    if let Some(out) = &options.out {
        check_output(out, "--out")?;
    }
    if let Some(path) = options.checkpoint.as_deref()
        && is_model_file(path)
    {
        let predictions = super::predict_own::predict_own(path, options)?;
        if let Some(out) = &options.out {
            write_atomic(out, &predictions.to_csv()?)?;
        }
        if options.json {
            outln!("{}", serde_json::to_string(&predictions.to_json())?)?;
        } else {
            out!("{}", predictions.render())?;
            if let Some(out) = &options.out {
                outln!(
                    "wrote {}: {} predictions",
                    out.display(),
                    predictions.rows.len()
                )?;
            }
        }
        return Ok(());
    }
    let predictions = predict(options)?;
    if let Some(out) = &options.out {
        write_atomic(out, &predictions_csv(&predictions)?)?;
    }
    if options.json {
        let rows: Vec<_> = predictions
            .iter()
            .map(|p| {
                serde_json::json!({
                    "source": p.source,
                    "input": p.input,
                    "outputs": p.outputs,
                    "class": p.class,
                    "confidence": p.confidence,
                    "label": p.truth,
                })
            })
            .collect();
        outln!(
            "{}",
            serde_json::json!({"command": "predict", "predictions": rows})
        )?;
    } else {
        out!("{}", render_predictions(&predictions))?;
        if let Some(out) = &options.out {
            outln!("wrote {}: {} predictions", out.display(), predictions.len())?;
        }
    }
    Ok(())
}

/// A built-in model's predictions as CSV: `source,prediction,confidence,label`
/// (the class number, or the first output for regression).
///
/// # Errors
/// If the CSV writer fails.
pub fn predictions_csv(predictions: &[Prediction]) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["source", "prediction", "confidence", "label"])?;
    for p in predictions {
        let prediction = p.class.map_or_else(
            || p.outputs.first().map_or(String::new(), f32::to_string),
            |c| c.to_string(),
        );
        w.write_record([
            p.source.clone(),
            prediction,
            p.confidence.map_or(String::new(), |c| c.to_string()),
            p.truth.map_or(String::new(), |t| Num(t).to_string()),
        ])?;
    }
    w.into_inner().map_err(|e| anyhow!("{e}"))
}
