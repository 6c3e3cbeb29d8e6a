//! Training, evaluation and prediction over slices with
//! `microprop::dynamic`: no Python here.
//!
//! `fit` is the loop of the core's `fit` for mini-batches: epoch `e`
//! visits the samples in the order `Permutation::new(n, seed ^ (e << 32))`
//! (or in data order without a seed), one `Trainer::train_step` per
//! `batch` rows (the last step of an epoch takes the rest), until
//! `epochs` epochs or `steps` steps, whichever comes first.

use microprop::dynamic::{Buffers, FlatOptimizer, LayerSpec, LossKind, Network, Targets};
use microprop::dynamic::{Topology, Trainer};
use microprop::{EpochStats, Error, Permutation, Sgd};

use crate::optim::Visit;

/// The targets of a data set.
#[derive(Clone, Copy)]
pub(crate) enum Target<'a> {
    /// One label per row.
    Labels(&'a [usize]),
    /// `rows · outputs` values.
    Values(&'a [f32]),
}

/// A data set: `rows` rows of `x` and their targets, all checked.
#[derive(Clone, Copy)]
pub(crate) struct Data<'a> {
    pub x: &'a [f32],
    pub rows: usize,
    pub target: Target<'a>,
}

/// How [`Fit`] trains.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub lr: f32,
    pub batch: usize,
    pub epochs: Option<u32>,
    pub steps: Option<u32>,
    pub shuffle: Option<u64>,
    pub clip: Option<f32>,
}

/// What [`Fit`] did: per-epoch statistics and the steps taken.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub epochs: Vec<EpochStats>,
    pub steps: u32,
}

/// A refused step, with where it happened.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: Error,
    pub step: u32,
    pub epoch: u32,
}

/// The training state a run changes.
pub(crate) struct State<'a> {
    pub params: &'a mut [f32],
    pub optimizer_state: &'a mut [f32],
    pub steps: &'a mut u32,
}

/// One `fit` run, to be given the optimizer ([`Visit`]).
pub(crate) struct Fit<'a, 's> {
    pub topology: Topology<'a>,
    pub loss: LossKind,
    pub state: State<'s>,
    pub data: Data<'a>,
    pub settings: Settings,
}

/// Rows of targets gathered for one batch.
struct Gathered {
    x: Vec<f32>,
    labels: Vec<usize>,
    values: Vec<f32>,
}

impl Gathered {
    /// The rows `position..position + rows` in `order`.
    fn gather(
        &mut self,
        data: &Data<'_>,
        inputs: usize,
        outputs: usize,
        position: usize,
        rows: usize,
        order: &Permutation,
    ) {
        self.x.clear();
        self.labels.clear();
        self.values.clear();
        for i in position..position + rows {
            let sample = order.index(i);
            self.x.extend_from_slice(
                data.x
                    .get(sample * inputs..(sample + 1) * inputs)
                    .unwrap_or(&[]),
            );
            match data.target {
                Target::Labels(labels) => self.labels.extend(labels.get(sample)),
                Target::Values(values) => self.values.extend_from_slice(
                    values
                        .get(sample * outputs..(sample + 1) * outputs)
                        .unwrap_or(&[]),
                ),
            }
        }
    }
}

/// The rows `position..position + rows` of `target` in data order.
fn target_rows(target: Target<'_>, outputs: usize, position: usize, rows: usize) -> Targets<'_> {
    match target {
        Target::Labels(labels) => {
            Targets::Labels(labels.get(position..position + rows).unwrap_or(&[]))
        }
        Target::Values(values) => Targets::Values(
            values
                .get(position * outputs..(position + rows) * outputs)
                .unwrap_or(&[]),
        ),
    }
}

/// Moves an error's batch row to the sample it came from.
fn relocate(error: Error, sample: impl Fn(usize) -> usize) -> Error {
    match error {
        Error::NonFiniteInput { row } => Error::NonFiniteInput { row: sample(row) },
        Error::NonFiniteTarget { row } => Error::NonFiniteTarget { row: sample(row) },
        Error::InvalidTarget { row } => Error::InvalidTarget { row: sample(row) },
        Error::NonFiniteLoss { row } => Error::NonFiniteLoss { row: sample(row) },
        Error::LabelOutOfRange {
            row,
            label,
            classes,
        } => Error::LabelOutOfRange {
            row: sample(row),
            label,
            classes,
        },
        other => other,
    }
}

impl Visit for Fit<'_, '_> {
    type Output = Result<Report, Failure>;

    fn visit<O: FlatOptimizer>(self, optimizer: O) -> Result<Report, Failure> {
        let Fit {
            topology,
            loss,
            state,
            data,
            settings,
        } = self;
        let failure = |error, report: &Report| Failure {
            error,
            step: report.steps,
            epoch: report.epochs.len().saturating_sub(1) as u32,
        };
        let mut report = Report::default();
        let (inputs, outputs, n) = (topology.inputs(), topology.outputs(), data.rows);
        if n == 0 {
            return Err(failure(Error::EmptyBatch, &report));
        }
        let batch = settings.batch.clamp(1, n);
        let mut gradients = vec![0.0; topology.params_len()];
        let mut cache = vec![0.0; topology.cache_len(batch).unwrap_or(0)];
        let mut winners = vec![0; topology.winners_len(batch).unwrap_or(0)];
        let mut net = Network::new(topology, state.params).map_err(|e| failure(e, &report))?;
        let buffers = Buffers {
            gradients: &mut gradients,
            optimizer_state: state.optimizer_state,
            cache: &mut cache,
            winners: &mut winners,
        };
        let mut trainer = Trainer::new(topology, buffers, batch, loss, optimizer)
            .map_err(|e| failure(e, &report))?;
        trainer.max_grad_norm = settings.clip;
        trainer.set_steps(*state.steps);

        let mut gathered = Gathered {
            x: Vec::with_capacity(batch * inputs),
            labels: Vec::with_capacity(batch),
            values: Vec::with_capacity(batch * outputs),
        };
        let epochs = settings.epochs.unwrap_or(if settings.steps.is_some() {
            u32::MAX
        } else {
            1
        });
        let done = |report: &Report| settings.steps.is_some_and(|s| report.steps >= s);
        for epoch in 0..epochs {
            if done(&report) {
                break;
            }
            let order = settings
                .shuffle
                .map(|seed| Permutation::new(n, seed ^ (u64::from(epoch) << 32)));
            report.epochs.push(EpochStats::new());
            let mut position = 0;
            while position < n && !done(&report) {
                let rows = batch.min(n - position);
                let (x, targets) = match &order {
                    Some(order) => {
                        gathered.gather(&data, inputs, outputs, position, rows, order);
                        let targets = match data.target {
                            Target::Labels(_) => Targets::Labels(&gathered.labels),
                            Target::Values(_) => Targets::Values(&gathered.values),
                        };
                        (gathered.x.as_slice(), targets)
                    }
                    None => (
                        data.x
                            .get(position * inputs..(position + rows) * inputs)
                            .unwrap_or(&[]),
                        target_rows(data.target, outputs, position, rows),
                    ),
                };
                let stats = trainer
                    .train_step(&mut net, x, targets, settings.lr)
                    .map_err(|e| {
                        let sample =
                            |row| order.map_or(position + row, |o| o.index(position + row));
                        failure(relocate(e, sample), &report)
                    })?;
                if let Some(last) = report.epochs.last_mut() {
                    last.add(&stats);
                }
                report.steps += 1;
                position += rows;
            }
        }
        *state.steps = trainer.steps();
        Ok(report)
    }
}

/// Rows per forward pass of [`evaluate`] and [`predict`].
const CHUNK: usize = 256;

/// Mean loss and accuracy over `data`.
pub(crate) fn evaluate(
    topology: Topology<'_>,
    loss: LossKind,
    params: &mut [f32],
    data: Data<'_>,
) -> Result<EpochStats, Error> {
    let (inputs, outputs, n) = (topology.inputs(), topology.outputs(), data.rows);
    if n == 0 {
        return Err(Error::EmptyBatch);
    }
    let chunk = CHUNK.min(n);
    let mut gradients = vec![0.0; topology.params_len()];
    let mut cache = vec![0.0; topology.cache_len(chunk).unwrap_or(0)];
    let mut winners = vec![0; topology.winners_len(chunk).unwrap_or(0)];
    let net = Network::new(topology, params)?;
    let buffers = Buffers {
        gradients: &mut gradients,
        optimizer_state: &mut [],
        cache: &mut cache,
        winners: &mut winners,
    };
    let mut trainer = Trainer::new(topology, buffers, chunk, loss, Sgd)?;
    let mut stats = EpochStats::new();
    let mut position = 0;
    while position < n {
        let rows = chunk.min(n - position);
        let x = data
            .x
            .get(position * inputs..(position + rows) * inputs)
            .unwrap_or(&[]);
        let targets = target_rows(data.target, outputs, position, rows);
        let step = trainer
            .evaluate(&net, x, targets)
            .map_err(|e| relocate(e, |row| position + row))?;
        stats.add(&step);
        position += rows;
    }
    Ok(stats)
}

/// The network's outputs for `rows` rows of `x`, row after row.
pub(crate) fn predict(
    topology: Topology<'_>,
    params: &mut [f32],
    x: &[f32],
    rows: usize,
) -> Result<Vec<f32>, Error> {
    let (inputs, outputs) = (topology.inputs(), topology.outputs());
    let mut out = Vec::with_capacity(rows * outputs);
    if rows == 0 {
        return Ok(out);
    }
    let chunk = CHUNK.min(rows);
    let mut gradients = vec![0.0; topology.params_len()];
    let mut cache = vec![0.0; topology.cache_len(chunk).unwrap_or(0)];
    let mut winners = vec![0; topology.winners_len(chunk).unwrap_or(0)];
    let net = Network::new(topology, params)?;
    let buffers = Buffers {
        gradients: &mut gradients,
        optimizer_state: &mut [],
        cache: &mut cache,
        winners: &mut winners,
    };
    // The loss is never computed; MSE accepts every output activation.
    let mut trainer = Trainer::new(topology, buffers, chunk, LossKind::MeanSquaredError, Sgd)?;
    let mut position = 0;
    while position < rows {
        let n = chunk.min(rows - position);
        let x = x
            .get(position * inputs..(position + n) * inputs)
            .unwrap_or(&[]);
        let y = trainer
            .forward(&net, x)
            .map_err(|e| relocate(e, |row| position + row))?;
        out.extend_from_slice(y);
        position += n;
    }
    Ok(out)
}

/// The layer list's parameter blocks: each layer's weights then biases,
/// with their offsets in the flat parameter buffer and their numpy shapes
/// (dense weights `(inputs, units)`, input-major; maxout weights
/// `(units, pieces, inputs)` and biases `(units, pieces)`).
pub(crate) fn blocks(inputs: usize, layers: &[LayerSpec]) -> Vec<(usize, Vec<usize>)> {
    let mut blocks = Vec::with_capacity(2 * layers.len());
    let mut offset = 0;
    let mut width = inputs;
    for spec in layers {
        let (weights, biases) = if spec.is_maxout() {
            (
                vec![spec.units, spec.pieces, width],
                vec![spec.units, spec.pieces],
            )
        } else {
            (vec![width, spec.units], vec![spec.units])
        };
        for shape in [weights, biases] {
            let len: usize = shape.iter().product();
            blocks.push((offset, shape));
            offset += len;
        }
        width = spec.units;
    }
    blocks
}
