//! `predict` with a model of any shape (`train --layers`): rows as
//! `--input` (the model's features in its order) or a CSV read by column
//! name; class names and probabilities for classifiers, values in the
//! target's units for regression.

use std::path::Path;

use anyhow::{Result, anyhow, bail};
use serde::Serialize;

use super::args::PredictOptions;
use super::own::row_targets;
use crate::data::{columns, load_columns};
use crate::models::own::{OwnModel, OwnTask, Predictor, RowTargets, read_model};

/// One row's prediction by a model of any shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OwnPrediction {
    /// Where the row came from (`file:line` or `--input n`).
    pub source: String,
    /// The class name (classify) or the value (regress), as text.
    pub prediction: String,
    /// The predicted value (regress).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f32>,
    /// The predicted class's probability (classify).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f32>,
    /// Every class's probability, in class order (classify).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub probabilities: Vec<f32>,
    /// The row's label, if the file has the label column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// What `predict` did with a model of any shape.
#[derive(Debug, Clone)]
pub struct OwnPredictions {
    /// The model.
    pub model: OwnModel,
    /// Every row's prediction.
    pub rows: Vec<OwnPrediction>,
    /// Accuracy on the labelled rows (classify), or the RMSE (regress).
    pub accuracy: Option<f64>,
}

/// "5.1, 3.5" as the model's features.
fn parse_input(text: &str, model: &OwnModel) -> Result<Vec<f32>> {
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
    if values.len() != model.features.len() {
        bail!(
            "--input {text:?} has {} values, but the model takes {} features: {}",
            values.len(),
            model.features.len(),
            model.features.join(", ")
        );
    }
    Ok(values)
}

/// Predicts with the model file `checkpoint` as `options` say.
///
/// # Errors
/// A model file that can't be read, an input of the wrong width, a CSV
/// whose columns are not the model's (missing or extra ones, named), or a
/// refused row.
pub fn predict_own(checkpoint: &Path, options: &PredictOptions) -> Result<OwnPredictions> {
    if options.model.is_some() {
        bail!(
            "--model is for built-in models: {} records its own",
            checkpoint.display()
        );
    }
    let model = read_model(checkpoint)?;
    let mut rows: Vec<(String, Vec<f32>, Option<String>)> = Vec::new();
    for (i, text) in options.inputs.iter().enumerate() {
        rows.push((
            format!("--input {}", i + 1),
            parse_input(text, &model)?,
            None,
        ));
    }
    let mut truth: Option<RowTargets> = None;
    if let Some(path) = &options.csv {
        let label = options.label.clone().unwrap_or(model.label.clone());
        let table = load_columns(path, |h| {
            columns::model_plan(h, &model.features, &label, options.label.is_some())
        })?;
        if table.label.is_some() {
            truth = Some(row_targets(&model, &table)?);
        }
        let labels = table.label.as_ref().map(|(_, l)| l);
        for r in 0..table.len() {
            rows.push((
                table.locate(r),
                table.row(r).to_vec(),
                labels.map(|l| l.text(r)),
            ));
        }
    }
    if rows.is_empty() {
        bail!("nothing to predict: give --input \"v1,v2,...\" or --csv FILE");
    }
    let first_csv_row = options.inputs.len();
    let mut predictor = Predictor::new(model.clone())?;
    let mut out = Vec::with_capacity(rows.len());
    let (mut correct, mut squares, mut labelled) = (0usize, 0f64, 0usize);
    for (i, (source, x, label)) in rows.into_iter().enumerate() {
        let outputs = predictor
            .outputs(&x)
            .map_err(|e| anyhow!("{source}: {e}"))?
            .to_vec();
        let target = i.checked_sub(first_csv_row).and_then(|r| match &truth {
            Some(RowTargets::Labels(l)) => l.get(r).map(|&c| c as f64),
            Some(RowTargets::Values(v)) => v.get(r).map(|&v| f64::from(v)),
            None => None,
        });
        let p = match &model.task {
            OwnTask::Classify { classes } => {
                let mut probabilities = outputs.clone();
                microprop::softmax_in_place(&mut probabilities);
                let class = microprop::argmax(&outputs);
                if let Some(t) = target {
                    labelled += 1;
                    correct += usize::from(t == class as f64);
                }
                OwnPrediction {
                    source,
                    prediction: classes.get(class).cloned().unwrap_or_default(),
                    value: None,
                    confidence: probabilities.get(class).copied(),
                    probabilities,
                    label,
                }
            }
            OwnTask::Regress { .. } => {
                let value = outputs.first().copied().unwrap_or(f32::NAN);
                if let Some(t) = target {
                    labelled += 1;
                    squares += (f64::from(value) - t).powi(2);
                }
                OwnPrediction {
                    source,
                    prediction: value.to_string(),
                    value: Some(value),
                    confidence: None,
                    probabilities: Vec::new(),
                    label,
                }
            }
        };
        out.push(p);
    }
    let accuracy = (labelled > 0).then(|| match model.task {
        OwnTask::Classify { .. } => correct as f64 / labelled as f64,
        OwnTask::Regress { .. } => (squares / labelled as f64).sqrt(),
    });
    Ok(OwnPredictions {
        model,
        rows: out,
        accuracy,
    })
}

impl OwnPredictions {
    /// The lines `predict` prints.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for p in &self.rows {
            s.push_str(&format!("{}: {}", p.source, p.prediction));
            if let Some(c) = p.confidence {
                s.push_str(&format!(" (p {c:.3})"));
            }
            if let Some(l) = &p.label {
                s.push_str(&format!("; label {l}"));
            }
            s.push('\n');
        }
        match (&self.model.task, self.accuracy) {
            (OwnTask::Classify { .. }, Some(a)) => {
                s.push_str(&format!("accuracy {a:.4} on the labelled rows\n"));
            }
            (OwnTask::Regress { .. }, Some(r)) => {
                s.push_str(&format!("RMSE {r:.4} on the labelled rows\n"));
            }
            _ => {}
        }
        s
    }

    /// The predictions as CSV: `source,prediction`, then for a classifier
    /// `confidence` and `p_<class>` for every class, and `label` when the
    /// rows had one.
    ///
    /// # Errors
    /// If the CSV writer fails.
    pub fn to_csv(&self) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let classes = self.model.task.classes();
        let labelled = self.rows.iter().any(|p| p.label.is_some());
        let mut header = vec!["source".to_string(), "prediction".to_string()];
        if !classes.is_empty() {
            header.push("confidence".into());
            header.extend(classes.iter().map(|c| format!("p_{c}")));
        }
        if labelled {
            header.push("label".into());
        }
        w.write_record(&header)?;
        for p in &self.rows {
            let mut record = vec![p.source.clone(), p.prediction.clone()];
            if !classes.is_empty() {
                record.push(p.confidence.map_or(String::new(), |c| c.to_string()));
                record.extend(p.probabilities.iter().map(f32::to_string));
            }
            if labelled {
                record.push(p.label.clone().unwrap_or_default());
            }
            w.write_record(&record)?;
        }
        w.into_inner().map_err(|e| anyhow!("{e}"))
    }

    /// The JSON object `predict --json` prints.
    pub fn to_json(&self) -> serde_json::Value {
        let key = match self.model.task {
            OwnTask::Classify { .. } => "accuracy",
            OwnTask::Regress { .. } => "rmse",
        };
        let mut v = serde_json::json!({
            "command": "predict",
            "task": self.model.task.name(),
            "classes": self.model.task.classes(),
            "features": self.model.features,
            "predictions": self.rows,
        });
        v[key] = serde_json::json!(self.accuracy);
        v
    }
}
