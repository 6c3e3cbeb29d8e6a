//! The learning-rate schedule after an optional linear warmup
//! (`--schedule`, its parameters, `--warmup`), built as the core's
//! [`Warmup`] of an [`LrSchedule`].

use clap::{Args, ValueEnum};
use microprop::{LrSchedule, Warmup, WarmupStart};

/// The lecture's learning-rate schedules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum ScheduleKind {
    /// η(t) = η0.
    #[default]
    Constant,
    /// η0 · α^⌊t/every⌋, not below --min-lr.
    Factor,
    /// η0 · α^t.
    Exponential,
    /// η0 / (1 + α t)^β.
    Polynomial,
    /// From η0 to --final-lr over --period steps along a half cosine.
    Cosine,
}

/// A schedule's parameters; unset values are derived from the run's length
/// (see [`ScheduleSettings::build`]).
#[derive(Debug, Clone, Copy, PartialEq, Default, Args)]
pub struct ScheduleSettings {
    /// Learning-rate schedule after the warmup.
    #[arg(id = "schedule", long = "schedule", value_name = "SCHEDULE", value_enum, default_value_t = ScheduleKind::Constant)]
    pub kind: ScheduleKind,
    /// factor: multiplier α (default 0.5).
    #[arg(long)]
    pub factor: Option<f32>,
    /// factor: steps between reductions (default one epoch).
    #[arg(long)]
    pub every: Option<u32>,
    /// factor: floor of the learning rate (default 0).
    #[arg(long)]
    pub min_lr: Option<f32>,
    /// exponential: α per step (default: down to lr/100 by the last step).
    #[arg(long)]
    pub decay: Option<f32>,
    /// polynomial: α (default 10 / steps).
    #[arg(long)]
    pub poly_alpha: Option<f32>,
    /// polynomial: β (default 0.5).
    #[arg(long)]
    pub power: Option<f32>,
    /// cosine: the final learning rate (default lr/100).
    #[arg(long)]
    pub final_lr: Option<f32>,
    /// cosine: period in steps (default: every step after the warmup).
    #[arg(long)]
    pub period: Option<u32>,
    /// Steps of linear warmup to the peak learning rate, in PyTorch's LinearLR
    /// form: step 0 at peak/(steps + 1).
    #[arg(long, default_value_t = 0)]
    pub warmup: u32,
}

impl ScheduleSettings {
    /// The schedule for a run of `total_steps` optimizer steps with
    /// `steps_per_epoch` per epoch and peak rate `lr`, after
    /// [`ScheduleSettings::warmup`] steps of linear warmup.
    pub fn build(&self, lr: f32, total_steps: u32, steps_per_epoch: u32) -> Warmup<LrSchedule> {
        let warmup = self.warmup;
        let decaying = total_steps.saturating_sub(warmup).max(1);
        let inner = match self.kind {
            ScheduleKind::Constant => LrSchedule::Constant(lr),
            ScheduleKind::Factor => LrSchedule::Factor {
                initial: lr,
                factor: self.factor.unwrap_or(0.5),
                every: self.every.unwrap_or(steps_per_epoch.max(1)),
                min: self.min_lr.unwrap_or(0.0),
            },
            ScheduleKind::Exponential => LrSchedule::Exponential {
                initial: lr,
                decay: self
                    .decay
                    .unwrap_or_else(|| 0.01f64.powf(1.0 / f64::from(decaying)) as f32),
            },
            ScheduleKind::Polynomial => LrSchedule::Polynomial {
                initial: lr,
                alpha: self.poly_alpha.unwrap_or(10.0 / decaying as f32),
                power: self.power.unwrap_or(0.5),
            },
            ScheduleKind::Cosine => LrSchedule::Cosine {
                initial: lr,
                last: self.final_lr.unwrap_or(lr / 100.0),
                period: self.period.unwrap_or(decaying),
            },
        };
        Warmup {
            steps: warmup,
            inner,
            start: WarmupStart::LinearLr,
        }
    }
}

/// Describes a schedule in words, e.g. "cosine η0 → η_T over T steps",
/// after "W warmup steps, then" if it has a warmup.
pub fn describe_schedule(s: &Warmup<LrSchedule>) -> String {
    let inner = match s.inner {
        LrSchedule::Constant(lr) => format!("constant {lr}"),
        LrSchedule::Factor {
            initial,
            factor,
            every,
            min,
        } => format!("factor: {initial} × {factor} every {every} steps, floor {min}"),
        LrSchedule::Exponential { initial, decay } => {
            format!("exponential: {initial} × {decay}^t")
        }
        LrSchedule::Polynomial {
            initial,
            alpha,
            power,
        } => format!("polynomial: {initial} / (1 + {alpha:e} t)^{power}"),
        LrSchedule::Cosine {
            initial,
            last,
            period,
        } => format!("cosine {initial} → {last} over {period} steps"),
        LrSchedule::Custom(_) => "custom".to_string(),
    };
    if s.steps > 0 {
        format!("{} warmup steps, then {inner}", s.steps)
    } else {
        inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use microprop::Schedule;

    #[test]
    fn derived_schedule_defaults_end_where_documented() {
        let steps = 1000;
        let exp = ScheduleSettings {
            kind: ScheduleKind::Exponential,
            ..Default::default()
        }
        .build(0.1, steps, 10);
        assert!((exp.learning_rate(steps) - 0.001).abs() < 1e-5);
        let cos = ScheduleSettings {
            kind: ScheduleKind::Cosine,
            warmup: 100,
            ..Default::default()
        }
        .build(0.1, steps, 10);
        assert_eq!(cos.learning_rate(100), 0.1);
        assert_eq!(cos.learning_rate(steps), 0.001);
        let factor = ScheduleSettings {
            kind: ScheduleKind::Factor,
            ..Default::default()
        }
        .build(0.1, steps, 10);
        assert_eq!(factor.learning_rate(9), 0.1);
        assert_eq!(factor.learning_rate(10), 0.05);
    }
}
