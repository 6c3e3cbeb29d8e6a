//! The optimizer and its hyperparameters (`--optimizer`, `--momentum`,
//! `--beta1`, ...), and the core optimizer each setting builds.

use std::fmt;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use microprop::{AdaGrad, Adam, Epsilon, Momentum, RmsProp, Sgd};

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

/// β of momentum and Nesterov when unset (PyTorch has no default; 0.9 is
/// the usual choice).
pub const DEFAULT_MOMENTUM: f32 = 0.9;

/// An optimizer and its hyperparameters, as `train` takes them: unset
/// values take PyTorch's defaults, an unset optimizer the model's.
#[derive(Debug, Clone, Copy, PartialEq, Args)]
pub struct OptimizerSettings {
    /// Optimizer.
    #[arg(
        id = "optimizer",
        long = "optimizer",
        value_name = "OPTIMIZER",
        value_enum
    )]
    pub kind: Option<OptimizerKind>,
    /// Momentum β (momentum, nesterov).
    #[arg(long, default_value_t = DEFAULT_MOMENTUM)]
    pub momentum: f32,
    /// Adam's β1.
    #[arg(long, default_value_t = Adam::PYTORCH.beta1)]
    pub beta1: f32,
    /// Adam's β2.
    #[arg(long, default_value_t = Adam::PYTORCH.beta2)]
    pub beta2: f32,
    /// RMSprop's α (the lecture's γ).
    #[arg(long, default_value_t = RmsProp::PYTORCH.alpha)]
    pub alpha: f32,
    /// ε of AdaGrad (default 1e-10), RMSprop and Adam (1e-8).
    #[arg(long)]
    pub eps: Option<f32>,
    /// ε outside the square root (PyTorch) or inside (the lecture).
    #[arg(long, value_enum, default_value_t = EpsPlacement::Outside)]
    pub eps_placement: EpsPlacement,
    /// Weight decay: L2, or decoupled for adamw (default 0; adamw 0.01).
    #[arg(long)]
    pub weight_decay: Option<f32>,
}

impl OptimizerSettings {
    /// `kind` with PyTorch's defaults.
    pub fn new(kind: OptimizerKind) -> Self {
        OptimizerSettings {
            kind: Some(kind),
            momentum: DEFAULT_MOMENTUM,
            beta1: Adam::PYTORCH.beta1,
            beta2: Adam::PYTORCH.beta2,
            alpha: RmsProp::PYTORCH.alpha,
            eps: None,
            eps_placement: EpsPlacement::Outside,
            weight_decay: None,
        }
    }

    /// These settings, with `kind` as the optimizer if none is set.
    pub fn or_kind(self, kind: OptimizerKind) -> Self {
        OptimizerSettings {
            kind: Some(self.kind.unwrap_or(kind)),
            ..self
        }
    }

    /// The optimizer: the one set, else Adam (every built-in model's
    /// default; [`OptimizerSettings::or_kind`] sets another).
    pub fn kind(&self) -> OptimizerKind {
        self.kind.unwrap_or(OptimizerKind::Adam)
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
            nesterov: self.kind() == OptimizerKind::Nesterov,
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
        let adamw = self.kind() == OptimizerKind::Adamw;
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
        match self.kind() {
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn an_unset_optimizer_takes_the_given_one() {
        let unset = OptimizerSettings {
            kind: None,
            ..OptimizerSettings::new(OptimizerKind::Sgd)
        };
        assert_eq!(
            unset.or_kind(OptimizerKind::Rmsprop).kind(),
            OptimizerKind::Rmsprop
        );
        let set = OptimizerSettings::new(OptimizerKind::Sgd);
        assert_eq!(
            set.or_kind(OptimizerKind::Rmsprop).kind(),
            OptimizerKind::Sgd
        );
    }
}
