//! The lecture's quadratic L(w) = 0.1 w1² + 2 w2² from w = (−5, 2): the
//! paths of GD, momentum, AdaGrad, RMSprop and Adam over its contours, and
//! gradient descent with a too large and a too small step.
//!
//! Every update is the core's optimizer applied to the two-element
//! parameter vector `[f32; 2]`.

use std::fmt::Write as _;

use anyhow::{Result, anyhow};
use microprop::{
    AdaGrad, Adam, Epsilon, Momentum, Optimizer, RmsProp, Sgd, StepContext, Unmeasured,
};

use super::{ExperimentOptions, Outcome};
use crate::report::plot::{Figure, Legend, Panel, Series, Style};

/// L(w) = 0.1 w1² + 2 w2².
pub fn loss(w: [f32; 2]) -> f64 {
    0.1 * f64::from(w[0]).powi(2) + 2.0 * f64::from(w[1]).powi(2)
}

/// ∇L(w) = (0.2 w1, 4 w2).
pub fn gradient(w: [f32; 2]) -> [f32; 2] {
    [0.2 * w[0], 4.0 * w[1]]
}

/// The starting point.
pub const START: [f32; 2] = [-5.0, 2.0];

/// The path of `steps` updates of `optimizer` with learning rate `lr` from
/// [`START`] (the start included). Stops early if a step is refused (the
/// iterate left the floats).
pub fn path<O: Optimizer>(optimizer: &O, lr: f32, steps: u32) -> Vec<[f32; 2]> {
    let mut w = START;
    let mut state = <O::State<[f32; 2]> as microprop::layer::Zeroed>::ZERO;
    let mut out = vec![w];
    for step in 1..=steps {
        let ctx = StepContext {
            learning_rate: lr,
            grad_scale: 1.0,
            step,
        };
        let g = gradient(w);
        if optimizer
            .update(&mut w, &g, &mut state, ctx, Unmeasured)
            .is_err()
        {
            break;
        }
        out.push(w);
    }
    out
}

/// One run of the experiment: a name, its settings and its path.
#[derive(Debug, Clone)]
pub struct Run {
    /// Name in the legend.
    pub name: String,
    /// Learning rate.
    pub lr: f32,
    /// The iterates, start included.
    pub path: Vec<[f32; 2]>,
}

impl Run {
    fn new<O: Optimizer>(name: &str, optimizer: &O, lr: f32, steps: u32) -> Self {
        Run {
            name: name.to_string(),
            lr,
            path: path(optimizer, lr, steps),
        }
    }

    /// L after the last step.
    pub fn final_loss(&self) -> f64 {
        self.path.last().map_or(f64::NAN, |&w| loss(w))
    }

    /// The first step at which L < `threshold`.
    pub fn steps_to(&self, threshold: f64) -> Option<usize> {
        self.path.iter().position(|&w| loss(w) < threshold)
    }
}

/// The optimizers compared, with the learning rates used (the lecture's
/// settings for this function where it gives them).
pub fn optimizer_runs(steps: u32) -> Vec<Run> {
    vec![
        Run::new("GD", &Sgd, 0.4, steps),
        Run::new("momentum β=0.5", &Momentum::new(0.5), 0.4, steps),
        Run::new(
            "AdaGrad",
            &AdaGrad {
                eps: 1e-6,
                epsilon: Epsilon::Inside,
                weight_decay: 0.0,
                initial_accumulator: 0.0,
            },
            0.4,
            steps,
        ),
        Run::new("RMSprop γ=0.9", &RmsProp::LECTURE, 0.4, steps),
        Run::new("Adam", &Adam::PYTORCH, 0.4, steps),
    ]
}

/// Gradient descent with steps too large, right, and too small. The
/// stability bound is η < 2 / λ_max = 2 / 4 = 0.5.
pub fn step_size_runs(steps: u32) -> Vec<Run> {
    vec![
        Run::new("GD η=0.6 (too large)", &Sgd, 0.6, steps),
        Run::new("GD η=0.4 (stable, < 0.5)", &Sgd, 0.4, steps),
        Run::new("GD η=0.05 (too small)", &Sgd, 0.05, steps),
    ]
}

fn contours() -> Vec<Series> {
    [0.1, 0.5, 1.0, 2.0, 4.0, 7.0, 10.5, 16.0, 25.0]
        .iter()
        .map(|&c: &f64| {
            let (a, b) = ((c / 0.1).sqrt(), (c / 2.0).sqrt());
            Series::background(
                (0..=120)
                    .map(|i| {
                        let t = 2.0 * std::f64::consts::PI * f64::from(i) / 120.0;
                        (a * t.cos(), b * t.sin())
                    })
                    .collect(),
            )
        })
        .collect()
}

fn path_panel(title: &str, runs: &[Run], first_color: usize) -> Panel {
    let mut p = Panel::new(title, "w1", "w2");
    p.x_range = Some((-6.0, 3.0));
    p.y_range = Some((-3.0, 3.0));
    p.series = contours();
    for (i, r) in runs.iter().enumerate() {
        p.series.push(
            Series::line(
                if r.name.contains('η') {
                    r.name.clone()
                } else {
                    format!("{} η={}", r.name, r.lr)
                },
                first_color + i,
                r.path
                    .iter()
                    .map(|w| (f64::from(w[0]), f64::from(w[1])))
                    .collect(),
            )
            .styled(Style::LineMarkers),
        );
    }
    p.legend = Legend::LowerLeft;
    p
}

/// Runs the experiment.
///
/// # Errors
/// If the figure can't be built.
pub fn run(options: &ExperimentOptions) -> Result<Outcome> {
    let steps = if options.quick { 10 } else { 20 };
    let runs = optimizer_runs(steps);
    let sizes = step_size_runs(steps);

    let mut curves = Panel::new("L(w) per step", "step", "L(w)");
    curves.y_log = true;
    for (i, r) in runs.iter().enumerate() {
        curves.series.push(Series::line(
            r.name.clone(),
            i,
            r.path
                .iter()
                .enumerate()
                .map(|(t, &w)| (t as f64, loss(w)))
                .collect(),
        ));
    }
    let sizes_panel = path_panel("step size: GD with η = 0.6, 0.4, 0.05", &sizes, 3);
    let figure = Figure::row(
        Some(format!(
            "L(w) = 0.1 w1² + 2 w2² from (-5, 2), {steps} steps of each optimizer"
        )),
        vec![
            path_panel("paths over the contours of L", &runs, 0),
            sizes_panel,
            curves,
        ],
    );

    let mut t = String::new();
    writeln!(
        t,
        "L(w) = 0.1 w1² + 2 w2², start (-5, 2), L = {:.1}; {steps} steps; core optimizers on [f32; 2]",
        loss(START)
    )?;
    writeln!(
        t,
        "{:<24} {:>5}  {:>22}  {:>10}  {:>12}",
        "optimizer", "η", "w after the last step", "L", "steps to L<0.01"
    )?;
    for r in runs.iter().chain(&sizes) {
        let w = r.path.last().ok_or_else(|| anyhow!("empty path"))?;
        writeln!(
            t,
            "{:<24} {:>5}  ({:>9.4}, {:>9.4})  {:>10.3e}  {:>12}",
            r.name,
            r.lr,
            w[0],
            w[1],
            r.final_loss(),
            r.steps_to(0.01)
                .map_or("never".to_string(), |s| s.to_string())
        )?;
    }
    writeln!(
        t,
        "GD is stable for η < 2/λ_max = 2/4 = 0.5: η = 0.6 multiplies w2 by |1 − 4·0.6| = 1.4 per step; η = 0.05 shrinks w1 by only 1 − 0.2·0.05 = 0.99 per step."
    )?;
    Ok(Outcome { figure, table: t })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gd_matches_the_closed_form() {
        // w ← (1 − η·0.2) w1, (1 − η·4) w2.
        let p = path(&Sgd, 0.4, 3);
        let expect = [-5.0 * 0.92f64.powi(3), 2.0 * (-0.6f64).powi(3)];
        assert!((f64::from(p[3][0]) - expect[0]).abs() < 1e-5);
        assert!((f64::from(p[3][1]) - expect[1]).abs() < 1e-5);
        let big = path(&Sgd, 0.6, 20);
        assert!(loss(big[20]) > loss(START));
    }
}
