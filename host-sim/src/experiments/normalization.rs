//! Full-batch gradient descent on a linear model whose two features have
//! scales ~1000 and ~1 ([`badly_scaled`]), with and without min-max scaling
//! (the core's `NormalizerFit`, applied by `fit` as it reads each row).
//! Each side gets its best learning rate from the same grid.

use std::fmt::Write as _;

use anyhow::Result;
use microprop::{
    BatchMode, Dense, FitConfig, Identity, Layer, MeanSquaredError, Normalizer, OnEpoch, Scaling,
    Sgd, SliceDataset, Stopping, Trainer, Workspace,
};

use super::{ExperimentOptions, Outcome};
use crate::data::fit_normalizer;
use crate::data::generated::{BADLY_SCALED_FORMULA, badly_scaled};
use crate::report::plot::{Figure, Legend, Panel, Series, Style};

/// y = w·x + b.
type Linear = Dense<2, 1, Identity>;

/// Rows of the data set ([`badly_scaled`]).
pub const ROWS: usize = 200;

/// The loss of each iteration (before its step) of full-batch GD from zero
/// weights; shorter than `iterations` if the run diverged.
pub fn descend(
    xs: &[[f32; 2]],
    ys: &[[f32; 1]],
    normalizer: Option<Normalizer<[f32; 2]>>,
    lr: f32,
    iterations: u32,
) -> Vec<f32> {
    let trainer = Trainer::<Linear, _, _, 16>::new(MeanSquaredError, Sgd);
    let mut ws = Workspace::new(Linear::ZERO, trainer);
    let Some(data) = SliceDataset::new(xs, ys) else {
        return Vec::new();
    };
    let config = FitConfig {
        mode: BatchMode::Full,
        schedule: lr,
        shuffle_seed: None,
        stopping: Stopping::epochs(iterations),
        normalizer,
    };
    let mut losses = Vec::with_capacity(iterations as usize);
    let result = ws.fit(
        &data,
        &config,
        OnEpoch::new(|r| {
            losses.push(r.stats.mean_loss());
        }),
    );
    // A refused step (non-finite loss or weights) ends the curve: diverged.
    if result.is_err() || losses.last().is_some_and(|l| !l.is_finite()) {
        losses.retain(|l| l.is_finite());
        losses.push(f32::INFINITY);
    }
    losses
}

/// The eigenvalues of a symmetric 3x3 matrix (Jacobi rotations), ascending.
#[allow(clippy::needless_range_loop)] // matrix algebra reads best with indices
fn eigenvalues(mut a: [[f64; 3]; 3]) -> [f64; 3] {
    for _ in 0..100 {
        let (mut p, mut q, mut off) = (0, 1, 0.0f64);
        for i in 0..3 {
            for j in i + 1..3 {
                if a[i][j].abs() > off {
                    (p, q, off) = (i, j, a[i][j].abs());
                }
            }
        }
        if off < 1e-12 * (a[0][0].abs() + a[1][1].abs() + a[2][2].abs()) {
            break;
        }
        let theta = 0.5 * (2.0 * a[p][q]).atan2(a[q][q] - a[p][p]);
        let (c, s) = (theta.cos(), theta.sin());
        let mut r = [[0.0; 3]; 3];
        for (i, row) in r.iter_mut().enumerate() {
            row[i] = 1.0;
        }
        r[p][p] = c;
        r[q][q] = c;
        r[p][q] = s;
        r[q][p] = -s;
        // a ← rᵀ a r
        let mut t = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                t[i][j] = (0..3).map(|k| a[i][k] * r[k][j]).sum();
            }
        }
        for i in 0..3 {
            for j in 0..3 {
                a[i][j] = (0..3).map(|k| r[k][i] * t[k][j]).sum();
            }
        }
    }
    let mut e = [a[0][0], a[1][1], a[2][2]];
    e.sort_by(f64::total_cmp);
    e
}

/// Extreme eigenvalues of the MSE loss's Hessian over (w1, w2, b):
/// H = (2/n) Σ x̃ x̃ᵀ with x̃ = (x1, x2, 1).
#[allow(clippy::needless_range_loop)]
pub fn hessian_extremes(xs: &[[f32; 2]], normalizer: Option<&Normalizer<[f32; 2]>>) -> (f64, f64) {
    let mut h = [[0.0f64; 3]; 3];
    for x in xs {
        let mut x = *x;
        if let Some(n) = normalizer {
            n.apply(&mut x);
        }
        let v = [f64::from(x[0]), f64::from(x[1]), 1.0];
        for i in 0..3 {
            for j in 0..3 {
                h[i][j] += 2.0 * v[i] * v[j] / xs.len() as f64;
            }
        }
    }
    let e = eigenvalues(h);
    (e[0], e[2])
}

/// The learning rates tried: 1, 2, 5 × 10^k.
pub fn grid() -> Vec<f32> {
    (-8..=0)
        .flat_map(|k| [1.0, 2.0, 5.0].map(|m| m * 10f32.powi(k)))
        .collect()
}

/// One side of the comparison.
#[derive(Debug, Clone)]
pub struct Side {
    /// "raw" or "min-max".
    pub name: &'static str,
    /// The scaling applied.
    pub normalizer: Option<Normalizer<[f32; 2]>>,
    /// (η, final loss or ∞) for every η of the grid.
    pub sweep: Vec<(f32, f32)>,
    /// The best η (the fastest-falling curve: lowest mean of log loss over
    /// the run, diverged runs excluded) and its curve.
    pub best: (f32, Vec<f32>),
    /// Smallest and largest Hessian eigenvalue.
    pub hessian: (f64, f64),
}

fn side(
    name: &'static str,
    xs: &[[f32; 2]],
    ys: &[[f32; 1]],
    normalizer: Option<Normalizer<[f32; 2]>>,
    iterations: u32,
) -> Side {
    let mut sweep = Vec::new();
    let mut best = (0.0, vec![f32::INFINITY]);
    let mut best_score = f64::INFINITY;
    for lr in grid() {
        let curve = descend(xs, ys, normalizer, lr, iterations);
        let last = curve.last().copied().unwrap_or(f32::INFINITY);
        sweep.push((lr, last));
        let score =
            curve.iter().map(|&l| f64::from(l).log10()).sum::<f64>() / curve.len().max(1) as f64;
        if last.is_finite() && score < best_score {
            best_score = score;
            best = (lr, curve);
        }
    }
    Side {
        name,
        normalizer,
        sweep,
        best,
        hessian: hessian_extremes(xs, normalizer.as_ref()),
    }
}

/// Runs the experiment.
///
/// # Errors
/// If the table can't be formatted.
pub fn run(options: &ExperimentOptions) -> Result<Outcome> {
    let iterations = if options.quick { 100 } else { 1000 };
    let set = badly_scaled(ROWS, options.seed);
    let (xs, ys) = (&set.features, &set.labels);
    let scaler = fit_normalizer(Scaling::MinMax, xs);
    let raw = side("raw features", xs, ys, None, iterations);
    let scaled = side("min-max scaled", xs, ys, Some(scaler), iterations);
    // The raw features with the scaled side's best rate: how far off it is.
    let raw_at_scaled_lr = descend(xs, ys, None, scaled.best.0, iterations);

    let curve = |c: &[f32]| -> Vec<(f64, f64)> {
        c.iter()
            .enumerate()
            .map(|(i, &l)| ((i + 1) as f64, f64::from(l)))
            .collect()
    };
    let mut loss = Panel::new("loss per iteration (full-batch GD)", "iteration", "MSE");
    loss.y_log = true;
    loss.x_log = true;
    // Up to 100: the diverging run leaves through the top.
    let floor = scaled.best.1.iter().copied().fold(f32::INFINITY, f32::min);
    loss.y_range = Some((f64::from(floor) / 2.0, 100.0));
    loss.series.push(Series::line(
        format!("raw, best η = {:e}", raw.best.0),
        3,
        curve(&raw.best.1),
    ));
    loss.series.push(Series::line(
        format!("min-max, best η = {}", scaled.best.0),
        0,
        curve(&scaled.best.1),
    ));
    loss.series.push(
        Series::line(
            format!("raw, η = {} (diverges)", scaled.best.0),
            7,
            curve(&raw_at_scaled_lr),
        )
        .styled(Style::Dashed),
    );
    loss.legend = Legend::LowerLeft;
    let mut sweep = Panel::new(
        format!("final loss after {iterations} iterations vs η"),
        "learning rate η",
        "MSE (diverged runs not drawn)",
    );
    sweep.x_log = true;
    sweep.y_log = true;
    for (i, s) in [(3, &raw), (0, &scaled)] {
        sweep.series.push(
            Series::line(
                s.name,
                i,
                s.sweep
                    .iter()
                    .filter(|(_, l)| l.is_finite())
                    .map(|&(lr, l)| (f64::from(lr), f64::from(l)))
                    .collect(),
            )
            .styled(Style::LineMarkers),
        );
    }
    sweep.legend = Legend::LowerLeft;
    let figure = Figure::row(
        Some(format!(
            "linear regression, x1 ~ U(0, 1000), x2 ~ U(0, 1), {ROWS} rows: min-max scaling vs raw features"
        )),
        vec![loss, sweep],
    );

    let mut t = String::new();
    writeln!(
        t,
        "{BADLY_SCALED_FORMULA}, {ROWS} rows; model Dense<2, 1>; full-batch GD from w = 0, {iterations} iterations; best η of {{1, 2, 5}} × 10^-8..10^0 (lowest mean log loss over the run)"
    )?;
    writeln!(
        t,
        "{:<16} {:>9} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}",
        "features", "best η", "loss it 1", "it 10", "it 100", "last", "2/λmax", "κ=λmax/λmin"
    )?;
    for s in [&raw, &scaled] {
        let at = |i: usize| {
            s.best
                .1
                .get(i)
                .map_or("-".to_string(), |l| format!("{l:.4e}"))
        };
        writeln!(
            t,
            "{:<16} {:>9.0e} {:>12} {:>12} {:>12} {:>12} {:>12.3e} {:>12.3e}",
            s.name,
            s.best.0,
            at(0),
            at(9),
            at(99),
            at(s.best.1.len() - 1),
            2.0 / s.hessian.1,
            s.hessian.1 / s.hessian.0
        )?;
    }
    writeln!(
        t,
        "raw features at η = {}: {} (the stable range for raw features ends near 2/λmax = {:.2e})",
        scaled.best.0,
        if raw_at_scaled_lr.last().is_some_and(|l| l.is_finite()) {
            "converged".to_string()
        } else {
            format!("diverged after {} iterations", raw_at_scaled_lr.len() - 1)
        },
        2.0 / raw.hessian.1
    )?;
    Ok(Outcome { figure, table: t })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigenvalues_of_a_known_matrix() {
        let e = eigenvalues([[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 5.0]]);
        assert!(
            (e[0] - 1.0).abs() < 1e-9 && (e[1] - 3.0).abs() < 1e-9 && (e[2] - 5.0).abs() < 1e-9,
            "{e:?}"
        );
    }
}
