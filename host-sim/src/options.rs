//! Training settings as the CLI names them, and how each becomes a core
//! value: an optimizer, a schedule, an initialisation, a batch mode.

use std::fmt;
use std::str::FromStr;

use anyhow::{Result, bail};
use clap::ValueEnum;
use microprop::{
    AdaGrad, Adam, BatchMode, Epsilon, Init, LrSchedule, Momentum, RmsProp, Scaling, Sgd, Warmup,
};

/// The optimizers of the core, by the name the CLI uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OptimizerKind {
    /// Plain gradient descent, w ← w − η g.
    Sgd,
    /// Heavy-ball momentum, h ← βh + g, w ← w − η h.
    Momentum,
    /// Nesterov momentum, w ← w − η (g + βh).
    Nesterov,
    /// AdaGrad, s ← s + g².
    Adagrad,
    /// RMSprop, s ← αs + (1 − α) g².
    Rmsprop,
    /// Adam (L2 weight decay).
    Adam,
    /// AdamW (decoupled weight decay).
    Adamw,
}

impl OptimizerKind {
    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Momentum => "momentum",
            OptimizerKind::Nesterov => "nesterov",
            OptimizerKind::Adagrad => "adagrad",
            OptimizerKind::Rmsprop => "rmsprop",
            OptimizerKind::Adam => "adam",
            OptimizerKind::Adamw => "adamw",
        }
    }
}

/// Where epsilon goes in the adaptive optimizers' denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum EpsPlacement {
    /// g / (√s + ε): PyTorch.
    #[default]
    Outside,
    /// g / √(s + ε): the lecture.
    Inside,
}

impl From<EpsPlacement> for Epsilon {
    fn from(p: EpsPlacement) -> Epsilon {
        match p {
            EpsPlacement::Outside => Epsilon::Outside,
            EpsPlacement::Inside => Epsilon::Inside,
        }
    }
}

/// An optimizer and its hyperparameters; unset values take PyTorch's
/// defaults.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptimizerSettings {
    /// Which optimizer.
    pub kind: OptimizerKind,
    /// β of momentum and Nesterov (0.9).
    pub momentum: f32,
    /// Adam's β1 (0.9).
    pub beta1: f32,
    /// Adam's β2 (0.999).
    pub beta2: f32,
    /// RMSprop's α, the lecture's γ (0.99).
    pub alpha: f32,
    /// ε of the adaptive optimizers (AdaGrad 1e-10, RMSprop and Adam 1e-8).
    pub eps: Option<f32>,
    /// Inside or outside the square root.
    pub eps_placement: EpsPlacement,
    /// Weight decay: L2 for all but AdamW (0; AdamW 0.01), decoupled for AdamW.
    pub weight_decay: Option<f32>,
}

impl OptimizerSettings {
    /// `kind` with PyTorch's defaults.
    pub fn new(kind: OptimizerKind) -> Self {
        OptimizerSettings {
            kind,
            momentum: 0.9,
            beta1: Adam::PYTORCH.beta1,
            beta2: Adam::PYTORCH.beta2,
            alpha: RmsProp::PYTORCH.alpha,
            eps: None,
            eps_placement: EpsPlacement::Outside,
            weight_decay: None,
        }
    }

    fn decay(&self) -> f32 {
        self.weight_decay.unwrap_or(0.0)
    }

    /// Plain SGD.
    pub fn sgd(&self) -> Sgd {
        Sgd
    }

    /// Momentum (Nesterov for [`OptimizerKind::Nesterov`]).
    pub fn momentum(&self) -> Momentum {
        Momentum {
            momentum: self.momentum,
            nesterov: self.kind == OptimizerKind::Nesterov,
            weight_decay: self.decay(),
        }
    }

    /// AdaGrad.
    pub fn adagrad(&self) -> AdaGrad {
        AdaGrad {
            eps: self.eps.unwrap_or(AdaGrad::PYTORCH.eps),
            epsilon: self.eps_placement.into(),
            weight_decay: self.decay(),
            initial_accumulator: 0.0,
        }
    }

    /// RMSprop.
    pub fn rmsprop(&self) -> RmsProp {
        RmsProp {
            alpha: self.alpha,
            eps: self.eps.unwrap_or(RmsProp::PYTORCH.eps),
            epsilon: self.eps_placement.into(),
            weight_decay: self.decay(),
        }
    }

    /// Adam, or AdamW for [`OptimizerKind::Adamw`] (decay 0.01 by default).
    pub fn adam(&self) -> Adam {
        let adamw = self.kind == OptimizerKind::Adamw;
        Adam {
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps.unwrap_or(Adam::PYTORCH.eps),
            epsilon: self.eps_placement.into(),
            weight_decay: self.weight_decay.unwrap_or(if adamw { 0.01 } else { 0.0 }),
            decoupled: adamw,
        }
    }

    /// Checks the ranges the optimizers assume.
    ///
    /// # Errors
    /// Names the first setting out of range.
    pub fn validate(&self) -> Result<()> {
        let unit = |name: &str, v: f32| {
            if (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                bail!("--{name} {v} is outside [0, 1)")
            }
        };
        unit("momentum", self.momentum)?;
        unit("beta1", self.beta1)?;
        unit("beta2", self.beta2)?;
        unit("alpha", self.alpha)?;
        if let Some(eps) = self.eps
            && !(eps >= 0.0 && eps.is_finite())
        {
            bail!("--eps {eps} must be a finite number >= 0");
        }
        if let Some(wd) = self.weight_decay
            && !(wd >= 0.0 && wd.is_finite())
        {
            bail!("--weight-decay {wd} must be a finite number >= 0");
        }
        Ok(())
    }
}

impl fmt::Display for OptimizerSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let eps = |e: f32, p: Epsilon| {
            format!(
                "eps {e:e} {}",
                if p == Epsilon::Inside {
                    "inside the root"
                } else {
                    "outside the root"
                }
            )
        };
        match self.kind {
            OptimizerKind::Sgd => write!(f, "SGD"),
            OptimizerKind::Momentum | OptimizerKind::Nesterov => {
                let m = self.momentum();
                let name = if m.nesterov { "Nesterov" } else { "momentum" };
                write!(f, "{name} β {}", m.momentum)?;
                if m.weight_decay > 0.0 {
                    write!(f, ", L2 {}", m.weight_decay)?;
                }
                Ok(())
            }
            OptimizerKind::Adagrad => {
                let a = self.adagrad();
                write!(f, "AdaGrad, {}", eps(a.eps, a.epsilon))?;
                if a.weight_decay > 0.0 {
                    write!(f, ", L2 {}", a.weight_decay)?;
                }
                Ok(())
            }
            OptimizerKind::Rmsprop => {
                let r = self.rmsprop();
                write!(f, "RMSprop α {}, {}", r.alpha, eps(r.eps, r.epsilon))?;
                if r.weight_decay > 0.0 {
                    write!(f, ", L2 {}", r.weight_decay)?;
                }
                Ok(())
            }
            OptimizerKind::Adam | OptimizerKind::Adamw => {
                let a = self.adam();
                let name = if a.decoupled { "AdamW" } else { "Adam" };
                write!(
                    f,
                    "{name} β {}/{}, {}",
                    a.beta1,
                    a.beta2,
                    eps(a.eps, a.epsilon)
                )?;
                if a.weight_decay > 0.0 {
                    let kind = if a.decoupled { "decoupled decay" } else { "L2" };
                    write!(f, ", {kind} {}", a.weight_decay)?;
                }
                Ok(())
            }
        }
    }
}

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
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ScheduleSettings {
    /// Which schedule.
    pub kind: ScheduleKind,
    /// Factor: the multiplier α (0.5).
    pub factor: Option<f32>,
    /// Factor: steps between reductions (one epoch).
    pub every: Option<u32>,
    /// Factor: the floor (0).
    pub min_lr: Option<f32>,
    /// Exponential: α per step (so that η falls to η0/100 by the last step).
    pub decay: Option<f32>,
    /// Polynomial: α (10 / steps, so η ends near η0/√11 with β = 0.5).
    pub poly_alpha: Option<f32>,
    /// Polynomial: β (0.5).
    pub power: Option<f32>,
    /// Cosine: η_T (η0/100).
    pub final_lr: Option<f32>,
    /// Cosine: T in steps (every step after the warmup).
    pub period: Option<u32>,
}

impl ScheduleSettings {
    /// The schedule for a run of `total_steps` optimizer steps with
    /// `steps_per_epoch` per epoch, peak rate `lr` and `warmup` steps of
    /// linear warmup (0 = none).
    pub fn build(
        &self,
        lr: f32,
        warmup: u32,
        total_steps: u32,
        steps_per_epoch: u32,
    ) -> Warmup<LrSchedule> {
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
        }
    }
}

/// Describes a schedule in words, e.g. "cosine 0.005 -> 5e-5 over 2610 steps".
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

/// Initialisation methods by CLI name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InitKind {
    /// The lecture's Xavier: N(0, 1/fan_in).
    Xavier,
    /// U(−a, a), a = √(6 / (fan_in + fan_out)).
    GlorotUniform,
    /// N(0, 2 / (fan_in + fan_out)).
    GlorotNormal,
    /// N(0, 2 / fan_in), for ReLU.
    HeNormal,
    /// U(−a, a), a = √(6 / fan_in), for ReLU.
    HeUniform,
    /// N(0, std²), --init-std.
    Normal,
    /// U(−a, a), --init-limit.
    Uniform,
    /// Every weight --init-value.
    Constant,
}

/// An initialisation and its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InitSettings {
    /// Which method.
    pub kind: InitKind,
    /// Normal: the standard deviation (1).
    pub std: f32,
    /// Uniform: the half-width a (1).
    pub limit: f32,
    /// Constant: the value (0.01).
    pub value: f32,
}

impl InitSettings {
    /// `kind` with std 1, limit 1, value 0.01.
    pub fn new(kind: InitKind) -> Self {
        InitSettings {
            kind,
            std: 1.0,
            limit: 1.0,
            value: 0.01,
        }
    }

    /// The core's [`Init`].
    pub fn init(&self) -> Init {
        match self.kind {
            InitKind::Xavier => Init::Xavier,
            InitKind::GlorotUniform => Init::GlorotUniform,
            InitKind::GlorotNormal => Init::GlorotNormal,
            InitKind::HeNormal => Init::HeNormal,
            InitKind::HeUniform => Init::HeUniform,
            InitKind::Normal => Init::Normal {
                mean: 0.0,
                std: self.std,
            },
            InitKind::Uniform => Init::Uniform { limit: self.limit },
            InitKind::Constant => Init::Constant(self.value),
        }
    }
}

/// Input normalisation, fitted on the training rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NormalizeKind {
    /// Features as they are.
    None,
    /// (x − min) / (max − min), into [0, 1].
    Minmax,
    /// (x − mean) / std.
    Standard,
}

impl NormalizeKind {
    /// The core's [`Scaling`], `None` for no scaling.
    pub fn scaling(self) -> Option<Scaling> {
        match self {
            NormalizeKind::None => None,
            NormalizeKind::Minmax => Some(Scaling::MinMax),
            NormalizeKind::Standard => Some(Scaling::Standard),
        }
    }

    /// The CLI name.
    pub fn name(self) -> &'static str {
        match self {
            NormalizeKind::None => "none",
            NormalizeKind::Minmax => "minmax",
            NormalizeKind::Standard => "standard",
        }
    }
}

/// Rows per optimizer step: `1` = SGD, `n` = mini-batches of n, `full` (or
/// `0`) = every training row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Batch {
    /// This many rows per step.
    Rows(usize),
    /// All training rows per step.
    Full,
}

impl Batch {
    /// The core's [`BatchMode`].
    pub fn mode(self) -> BatchMode {
        match self {
            Batch::Rows(1) => BatchMode::Stochastic,
            Batch::Rows(n) => BatchMode::MiniBatch(n),
            Batch::Full => BatchMode::Full,
        }
    }
}

impl FromStr for Batch {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "full" | "0" => Ok(Batch::Full),
            _ => s
                .parse::<usize>()
                .map(Batch::Rows)
                .map_err(|_| format!("{s:?} is not a batch size: use 1 (SGD), n, or full")),
        }
    }
}

impl fmt::Display for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Batch::Rows(n) => write!(f, "{n}"),
            Batch::Full => write!(f, "full"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use microprop::Schedule;

    #[test]
    fn batch_sizes_map_to_the_lecture_modes() {
        assert_eq!("1".parse::<Batch>().unwrap().mode(), BatchMode::Stochastic);
        assert_eq!(
            "16".parse::<Batch>().unwrap().mode(),
            BatchMode::MiniBatch(16)
        );
        assert_eq!("full".parse::<Batch>().unwrap().mode(), BatchMode::Full);
        assert_eq!("0".parse::<Batch>().unwrap().mode(), BatchMode::Full);
        assert!("x".parse::<Batch>().is_err());
    }

    #[test]
    fn derived_schedule_defaults_end_where_documented() {
        let steps = 1000;
        let exp = ScheduleSettings {
            kind: ScheduleKind::Exponential,
            ..Default::default()
        }
        .build(0.1, 0, steps, 10);
        assert!((exp.learning_rate(steps) - 0.001).abs() < 1e-5);
        let cos = ScheduleSettings {
            kind: ScheduleKind::Cosine,
            ..Default::default()
        }
        .build(0.1, 100, steps, 10);
        assert_eq!(cos.learning_rate(100), 0.1);
        assert_eq!(cos.learning_rate(steps), 0.001);
        let factor = ScheduleSettings {
            kind: ScheduleKind::Factor,
            ..Default::default()
        }
        .build(0.1, 0, steps, 10);
        assert_eq!(factor.learning_rate(9), 0.1);
        assert_eq!(factor.learning_rate(10), 0.05);
    }

    #[test]
    fn optimizer_defaults_are_pytorch() {
        assert_eq!(
            OptimizerSettings::new(OptimizerKind::Adam).adam(),
            Adam::PYTORCH
        );
        assert_eq!(
            OptimizerSettings::new(OptimizerKind::Adamw).adam(),
            Adam::adamw(0.01)
        );
        assert_eq!(
            OptimizerSettings::new(OptimizerKind::Rmsprop).rmsprop(),
            RmsProp::PYTORCH
        );
        assert_eq!(
            OptimizerSettings::new(OptimizerKind::Adagrad).adagrad(),
            AdaGrad::PYTORCH
        );
        assert!(
            OptimizerSettings::new(OptimizerKind::Nesterov)
                .momentum()
                .nesterov
        );
        let mut bad = OptimizerSettings::new(OptimizerKind::Adam);
        bad.beta2 = 1.0;
        assert!(bad.validate().is_err());
    }
}
