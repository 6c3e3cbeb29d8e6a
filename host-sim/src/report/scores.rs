//! How well a model of any shape does on rows of a file: loss and
//! accuracy with the confusion matrix for classifiers, and for regression
//! MSE, RMSE, MAE and R² in the target's units.

use anyhow::Result;
use microprop::argmax;
use serde::Serialize;

use crate::models::own::{Evaluator, OwnModel, OwnTask, Predictor, RowTargets, Rows};

/// Regression errors in the target's units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RegressionScore {
    /// Mean squared error.
    pub mse: f64,
    /// Root mean squared error.
    pub rmse: f64,
    /// Mean absolute error.
    pub mae: f64,
    /// Coefficient of determination, 1 − SS_res / SS_tot (NaN when the
    /// targets do not vary).
    pub r2: f64,
}

/// A model on one set of rows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// Rows scored.
    pub rows: usize,
    /// Mean loss: cross-entropy for classifiers (as training scores it),
    /// the MSE in the target's units for regression.
    pub loss: f64,
    /// Fraction classified correctly (classifiers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accuracy: Option<f64>,
    /// Regression errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regression: Option<RegressionScore>,
    /// `confusion[true][predicted]` (classifiers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confusion: Option<Vec<Vec<u32>>>,
}

impl Score {
    /// "test : accuracy A, loss L on N rows" or "test : RMSE R, MAE M,
    /// R² Q (MSE S) on N rows".
    pub fn line(&self, name: &str) -> String {
        match (&self.regression, self.accuracy) {
            (Some(r), _) => format!(
                "{name}: RMSE {:.4}, MAE {:.4}, R² {:.4} (MSE {:.6}) on {} rows",
                r.rmse, r.mae, r.r2, r.mse, self.rows
            ),
            (None, acc) => format!(
                "{name}: accuracy {:.4}, loss {:.5} on {} rows",
                acc.unwrap_or(0.0),
                self.loss,
                self.rows
            ),
        }
    }
}

/// Scores `model` on rows `indices` of `features` (raw, `model.features`
/// wide) with `targets` (class indices, or values in the target's units).
///
/// # Errors
/// If a row is refused.
pub fn score(
    model: &OwnModel,
    features: &[f32],
    targets: &RowTargets,
    indices: &[usize],
) -> Result<Score> {
    let width = model.features.len();
    let mut predictor = Predictor::new(model.clone())?;
    match (&model.task, targets) {
        (OwnTask::Classify { classes }, RowTargets::Labels(labels)) => {
            let rows = Rows {
                features,
                width,
                targets,
                scaler: model.input.as_ref(),
            };
            let stats = Evaluator::default().measure(&mut model.clone(), &rows, indices)?;
            let mut confusion = vec![vec![0u32; classes.len()]; classes.len()];
            for &i in indices {
                let out =
                    predictor.outputs(features.get(i * width..(i + 1) * width).unwrap_or(&[]))?;
                let (t, p) = (labels.get(i).copied().unwrap_or(0), argmax(out));
                if let Some(cell) = confusion.get_mut(t).and_then(|r| r.get_mut(p)) {
                    *cell += 1;
                }
            }
            Ok(Score {
                rows: indices.len(),
                loss: f64::from(stats.mean_loss()),
                accuracy: stats.accuracy().map(f64::from),
                regression: None,
                confusion: Some(confusion),
            })
        }
        (_, RowTargets::Values(values)) => {
            let mut pairs = Vec::with_capacity(indices.len());
            for &i in indices {
                let out =
                    predictor.outputs(features.get(i * width..(i + 1) * width).unwrap_or(&[]))?;
                let y = values.get(i).copied().unwrap_or(0.0);
                pairs.push((f64::from(out.first().copied().unwrap_or(0.0)), f64::from(y)));
            }
            let r = regression(&pairs);
            Ok(Score {
                rows: indices.len(),
                loss: r.mse,
                accuracy: None,
                regression: Some(r),
                confusion: None,
            })
        }
        _ => anyhow::bail!("the targets do not fit the model's task"),
    }
}

/// MSE, RMSE, MAE and R² of `(prediction, target)` pairs.
pub fn regression(pairs: &[(f64, f64)]) -> RegressionScore {
    let n = pairs.len().max(1) as f64;
    let mse = pairs.iter().map(|(p, y)| (p - y).powi(2)).sum::<f64>() / n;
    let mae = pairs.iter().map(|(p, y)| (p - y).abs()).sum::<f64>() / n;
    let mean = pairs.iter().map(|(_, y)| y).sum::<f64>() / n;
    let total = pairs.iter().map(|(_, y)| (y - mean).powi(2)).sum::<f64>();
    RegressionScore {
        mse,
        rmse: mse.sqrt(),
        mae,
        r2: if total > 0.0 {
            1.0 - mse * n / total
        } else {
            f64::NAN
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_errors_by_hand() {
        let r = regression(&[(1.0, 2.0), (3.0, 3.0), (5.0, 4.0)]);
        assert!((r.mse - 2.0 / 3.0).abs() < 1e-12);
        assert!((r.mae - 2.0 / 3.0).abs() < 1e-12);
        assert!((r.rmse - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
        // SS_tot = 2, SS_res = 2: R² = 0.
        assert!(r.r2.abs() < 1e-12);
        assert_eq!(regression(&[(1.0, 1.0), (2.0, 2.0)]).r2, 1.0);
    }
}
