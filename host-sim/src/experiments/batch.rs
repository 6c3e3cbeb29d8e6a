//! Full-batch GD vs mini-batch vs SGD on the 8x8 digits: the same network,
//! initial weights, learning rate and number of epochs (so the same number
//! of gradient evaluations), through `fit` with the trainer's 16-row buffer
//! (full batches accumulate chunks of 16 rows before their one step).

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::Result;
use microprop::{
    BatchMode, Init, Layer, Sgd, SliceDataset, SoftmaxCrossEntropy, Trainer, Workspace,
};

use super::{ExperimentOptions, Outcome, fit_epochs, score};
use crate::data::digits::{TEST_FRACTION, load_digits};
use crate::models::DigitsNet;
use crate::report::plot::{Figure, Legend, Panel, Series};

/// Rows of the trainer's buffer.
const BUFFER: usize = 16;

/// One gradient-descent mode's run.
#[derive(Debug, Clone)]
pub struct ModeRun {
    /// Name.
    pub name: String,
    /// Rows per step.
    pub mode: BatchMode,
    /// Learning rate.
    pub lr: f32,
    /// Per epoch (0 = before training): iterations so far, training loss,
    /// test accuracy.
    pub points: Vec<(u32, f32, f32)>,
    /// Wall-clock seconds of training.
    pub seconds: f64,
}

/// Runs the experiment.
///
/// # Errors
/// If the digits can't be loaded or training fails.
pub fn run(options: &ExperimentOptions) -> Result<Outcome> {
    let epochs: u32 = if options.quick { 2 } else { 30 };
    let (mut train, mut test) = load_digits(&options.data(), TEST_FRACTION, options.seed)?;
    if options.quick {
        train = train.truncate(300);
        test = test.truncate(100);
    }
    let n = train.len();
    let data = SliceDataset::new(&train.features, &train.labels)
        .ok_or_else(|| anyhow::anyhow!("features and labels differ in length"))?;
    let modes = [
        ("full batch", BatchMode::Full, 0.1),
        ("mini-batch 16", BatchMode::MiniBatch(16), 0.1),
        ("SGD (batch 1)", BatchMode::Stochastic, 0.1),
        ("full batch, larger η", BatchMode::Full, 1.0),
    ];
    let mut start = DigitsNet::ZERO;
    start.init(Init::Xavier, &mut microprop::init::seeded(options.seed));
    let mut runs = Vec::new();
    for (name, mode, lr) in modes {
        let trainer = Trainer::<DigitsNet, _, _, BUFFER>::new(SoftmaxCrossEntropy, Sgd);
        let mut ws = Box::new(Workspace::new(start, trainer));
        let (loss0, _) = score(&mut ws.trainer, &ws.net, &train.features, &train.labels)?;
        let (_, acc0) = score(&mut ws.trainer, &ws.net, &test.features, &test.labels)?;
        let mut points = vec![(0, loss0, acc0.unwrap_or(0.0))];
        // Training time only: the clock pauses while the epoch is scored.
        let mut seconds = 0.0;
        let mut started = Instant::now();
        fit_epochs(
            &mut ws,
            &data,
            mode,
            lr,
            None,
            options.seed,
            epochs,
            |r, net, trainer| {
                seconds += started.elapsed().as_secs_f64();
                let (loss, _) = score(trainer, net, &train.features, &train.labels)?;
                let (_, acc) = score(trainer, net, &test.features, &test.labels)?;
                points.push((r.iterations, loss, acc.unwrap_or(0.0)));
                started = Instant::now();
                Ok(())
            },
        )?;
        runs.push(ModeRun {
            name: name.to_string(),
            mode,
            lr,
            points,
            seconds,
        });
    }

    let mut by_epoch = Panel::new(
        "training loss vs epoch",
        "epoch",
        "cross-entropy (whole training set)",
    );
    by_epoch.y_log = true;
    let mut by_iter = Panel::new(
        "training loss vs iteration",
        "iteration (optimizer steps)",
        "cross-entropy",
    );
    by_iter.y_log = true;
    by_iter.x_log = true;
    let mut acc = Panel::new("test accuracy vs epoch", "epoch", "accuracy");
    acc.y_range = Some((0.0, 1.0));
    for (i, r) in runs.iter().enumerate() {
        let label = format!(
            "{} (η = {})",
            r.name.split(',').next().unwrap_or(&r.name),
            r.lr
        );
        let style = if i == 3 {
            crate::report::plot::Style::Dashed
        } else {
            crate::report::plot::Style::Line
        };
        by_epoch.series.push(
            Series::line(
                label.clone(),
                i,
                r.points
                    .iter()
                    .enumerate()
                    .map(|(e, p)| (e as f64, f64::from(p.1)))
                    .collect(),
            )
            .styled(style),
        );
        by_iter.series.push(
            Series::line(
                label.clone(),
                i,
                r.points
                    .iter()
                    .skip(1)
                    .map(|p| (f64::from(p.0), f64::from(p.1)))
                    .collect(),
            )
            .styled(style),
        );
        acc.series.push(
            Series::line(
                label,
                i,
                r.points
                    .iter()
                    .enumerate()
                    .map(|(e, p)| (e as f64, f64::from(p.2)))
                    .collect(),
            )
            .styled(style),
        );
    }
    acc.legend = Legend::LowerRight;
    by_epoch.legend = Legend::LowerLeft;
    by_iter.legend = Legend::LowerLeft;
    let figure = Figure::row(
        Some(format!(
            "8x8 digits, 64-32-10 tanh, SGD optimizer, {n} training rows, {epochs} epochs from the same weights"
        )),
        vec![by_epoch, by_iter, acc],
    );

    let mut t = String::new();
    writeln!(
        t,
        "iterations per epoch for n = {n} training rows (the trainer's buffer holds {BUFFER}):"
    )?;
    for (name, mode) in [
        ("full batch", BatchMode::Full),
        ("mini-batch 16", BatchMode::MiniBatch(16)),
        ("SGD", BatchMode::Stochastic),
    ] {
        let per = mode.iterations_per_epoch(n);
        let rows = mode.rows_per_step(n);
        let detail = match mode {
            BatchMode::Full => format!(
                "1 step of {n} rows, accumulated in {} chunks of ≤{BUFFER}",
                n.div_ceil(BUFFER)
            ),
            BatchMode::MiniBatch(b) => {
                let last = n - (per - 1) * b;
                format!("⌈{n}/{b}⌉ = {per} steps, the last of {last} rows")
            }
            BatchMode::Stochastic => format!("{n} steps of 1 row"),
        };
        writeln!(
            t,
            "  {name:<14} {rows:>5} rows/step  {per:>5} iterations/epoch  {:>6} in {epochs} epochs   ({detail})",
            per * epochs as usize
        )?;
    }
    write!(
        t,
        "{:<22} {:>6} {:>10} {:>10}",
        "mode", "η", "iterations", "seconds"
    )?;
    let shown: Vec<u32> = [0, 1, 2, 5, 10, 20, 30]
        .into_iter()
        .filter(|&e| e <= epochs)
        .collect();
    for e in &shown {
        write!(t, " {:>13}", format!("epoch {e}"))?;
    }
    writeln!(t, "   (training loss / test accuracy)")?;
    for r in &runs {
        let last = r.points.last().map_or(0, |p| p.0);
        write!(
            t,
            "{:<22} {:>6} {:>10} {:>10.2}",
            r.name, r.lr, last, r.seconds
        )?;
        for &e in &shown {
            let p = r.points[e as usize];
            write!(t, " {:>13}", format!("{:.3}/{:.3}", p.1, p.2))?;
        }
        writeln!(t)?;
    }
    Ok(Outcome { figure, table: t })
}
