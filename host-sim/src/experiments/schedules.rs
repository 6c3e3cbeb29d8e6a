//! The learning rate over the steps of each of the lecture's schedules,
//! without and with a linear warmup: the core's `LrSchedule` and `Warmup`
//! evaluated at every step.

use std::fmt::Write as _;

use anyhow::Result;
use microprop::{LrSchedule, Schedule, Warmup};

use super::{ExperimentOptions, Outcome};
use crate::report::plot::{Figure, Panel, Series};

/// Steps plotted.
pub const STEPS: u32 = 200;
/// Warmup steps in the right panel.
pub const WARMUP: u32 = 20;
/// η0 of every schedule.
pub const LR: f32 = 0.1;

/// The schedules compared, by name: each decays over the steps after the
/// warmup (`after` of them).
pub fn schedules(after: u32) -> Vec<(&'static str, LrSchedule)> {
    vec![
        ("constant", LrSchedule::Constant(LR)),
        (
            "factor ×0.5 every 40",
            LrSchedule::Factor {
                initial: LR,
                factor: 0.5,
                every: 40,
                min: 0.002,
            },
        ),
        (
            "exponential 0.98^t",
            LrSchedule::Exponential {
                initial: LR,
                decay: 0.98,
            },
        ),
        (
            "polynomial (1+0.1t)^-0.5",
            LrSchedule::Polynomial {
                initial: LR,
                alpha: 0.1,
                power: 0.5,
            },
        ),
        (
            "cosine → 0.001",
            LrSchedule::Cosine {
                initial: LR,
                last: 0.001,
                period: after,
            },
        ),
    ]
}

/// Runs the experiment (the same in quick mode: it only evaluates formulas).
///
/// # Errors
/// Never in practice; the signature matches the other experiments.
pub fn run(_options: &ExperimentOptions) -> Result<Outcome> {
    let plain: Vec<(&str, Warmup<LrSchedule>)> = schedules(STEPS)
        .into_iter()
        .map(|(n, s)| (n, Warmup::linear_lr(0, s)))
        .collect();
    let warm: Vec<(&str, Warmup<LrSchedule>)> = schedules(STEPS - WARMUP)
        .into_iter()
        .map(|(n, s)| (n, Warmup::linear_lr(WARMUP, s)))
        .collect();
    let panel = |title: &str, set: &[(&str, Warmup<LrSchedule>)]| {
        let mut p = Panel::new(title, "step t", "learning rate η(t)");
        p.y_range = Some((0.0, 0.14));
        for (i, (name, s)) in set.iter().enumerate() {
            p.series.push(Series::line(
                *name,
                i,
                (0..STEPS)
                    .map(|t| (f64::from(t), f64::from(s.learning_rate(t))))
                    .collect(),
            ));
        }
        p
    };
    let figure = Figure::row(
        Some(format!(
            "learning-rate schedules, η0 = {LR}, {STEPS} steps: microprop::LrSchedule and Warmup"
        )),
        vec![
            panel("without warmup", &plain),
            panel(&format!("with {WARMUP} steps of linear warmup"), &warm),
        ],
    );

    let at = [0u32, 10, 19, 20, 50, 100, 150, 199];
    let mut t = String::new();
    write!(t, "{:<26} {:<8}", "schedule", "warmup")?;
    for s in at {
        write!(t, " {:>9}", format!("t={s}"))?;
    }
    writeln!(t)?;
    for (set, label) in [(&plain, "none"), (&warm, "20 steps")] {
        for (name, s) in set.iter() {
            write!(t, "{name:<26} {label:<8}")?;
            for step in at {
                write!(t, " {:>9.5}", s.learning_rate(step))?;
            }
            writeln!(t)?;
        }
    }
    writeln!(
        t,
        "warmup: η(t) = η_inner(0)·(t+1)/({WARMUP}+1) for t < {WARMUP}, then the schedule from its own step 0"
    )?;
    Ok(Outcome { figure, table: t })
}
