//! Loss and accuracy of a network on a set of rows, and the line that
//! prints them.

use anyhow::{Result, anyhow};
use microprop::{EpochStats, Inference, Layer, Model, Normalizer, Optimizer, Sgd, Trainer};

use crate::data::LabeledSet;
use crate::models::{Task, TaskKind};
use crate::options::BUFFER;

/// Loss and accuracy of a network on a set of rows.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Evaluation {
    /// Rows.
    pub rows: usize,
    /// Mean loss.
    pub loss: f32,
    /// Fraction classified correctly (classifiers).
    pub accuracy: Option<f32>,
}

/// Loss and accuracy of `net` on `set` (inputs scaled by `normalizer`), in
/// chunks of the trainer's buffer; the gradient buffer is not touched.
///
/// # Errors
/// If a row is refused (e.g. a label out of range).
pub fn evaluate<N, L, Opt, const D: usize, const O: usize, const B: usize>(
    trainer: &mut Trainer<N, L, Opt, B>,
    net: &N,
    normalizer: Option<&Normalizer<[f32; D]>>,
    set: &LabeledSet<D, L::Target>,
) -> Result<Evaluation>
where
    N: Layer<Input = [f32; D], Output = [f32; O]>,
    L: Task<O>,
    Opt: Optimizer,
{
    let mut stats = EpochStats::new();
    let mut rows = [[0.0f32; D]; B];
    for (xs, ys) in set.features.chunks(B).zip(set.labels.chunks(B)) {
        let rows = &mut rows[..xs.len()];
        rows.copy_from_slice(xs);
        if let Some(n) = normalizer {
            rows.iter_mut().for_each(|r| n.apply(r));
        }
        let step = trainer
            .evaluate(net, rows, ys)
            .map_err(|e| anyhow!("evaluation failed: {e}"))?;
        stats.add(&step);
    }
    Ok(Evaluation {
        rows: set.len(),
        loss: stats.mean_loss(),
        accuracy: stats.accuracy(),
    })
}

/// Loss and accuracy of a [`Model`] on `set`: for classifiers the mean loss
/// and accuracy of [`evaluate`] on inputs scaled by the model's input
/// normaliser; for regression the mean squared error of
/// [`Model::predict`] (so in the target's units, whatever the target
/// normaliser) against each row's target value.
///
/// The loss's batch evaluation runs in a trainer of its own (SGD, no
/// state), so this is compiled once per model, not once per optimizer.
///
/// # Errors
/// If a row is refused.
pub fn evaluate_model<N, L, const D: usize, const O: usize>(
    model: &Model<N>,
    set: &LabeledSet<D, L::Target>,
) -> Result<Evaluation>
where
    N: Layer<Input = [f32; D], Output = [f32; O]>,
    L: Task<O>,
{
    if L::KIND != TaskKind::Regression {
        let mut trainer = Box::new(Trainer::<N, L, Sgd, BUFFER>::new(L::default(), Sgd));
        return evaluate(&mut trainer, &model.net, Some(&model.input), set);
    }
    let mut run = Box::new(Inference::<N>::new());
    let mut sum = 0.0f64;
    for (x, y) in set.features.iter().zip(&set.labels) {
        let out = model
            .predict(&mut run, &mut x.clone())
            .map_err(|e| anyhow!("evaluation failed: {e}"))?;
        let target = L::value_of(y);
        sum += out
            .iter()
            .map(|&p| (f64::from(p) - target).powi(2))
            .sum::<f64>()
            / O as f64;
    }
    Ok(Evaluation {
        rows: set.len(),
        loss: (sum / set.len().max(1) as f64) as f32,
        accuracy: None,
    })
}

/// `name` and an evaluation in one line: "test : accuracy A, loss L on N
/// rows", or for regression "test : MSE M (RMSE R) on N rows".
pub fn evaluation_line(task: TaskKind, name: &str, e: &Evaluation) -> String {
    match (task, e.accuracy) {
        (TaskKind::Regression, _) => format!(
            "{name}: MSE {:.6} (RMSE {:.4}) on {} rows",
            e.loss,
            e.loss.sqrt(),
            e.rows
        ),
        (_, acc) => format!(
            "{name}: accuracy {:.4}, loss {:.5} on {} rows",
            acc.unwrap_or(0.0),
            e.loss,
            e.rows
        ),
    }
}
