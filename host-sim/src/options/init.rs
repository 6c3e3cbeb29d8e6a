//! Weight initialisation (`--init` and its parameters), built as the
//! core's [`Init`].

use clap::{Args, ValueEnum};
use microprop::Init;

/// The seed of `train` when none is given (initialisation, split and
/// shuffling); `eval` and `quantize` repeat a built-in model's split with it.
pub const DEFAULT_SEED: u64 = 7;

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
#[derive(Debug, Clone, Copy, PartialEq, Args)]
pub struct InitSettings {
    /// Weight initialisation.
    #[arg(id = "init", long = "init", value_name = "INIT", value_enum, default_value_t = InitKind::Xavier)]
    pub kind: InitKind,
    /// normal: standard deviation.
    #[arg(long = "init-std", value_name = "INIT_STD", default_value_t = 1.0)]
    pub std: f32,
    /// uniform: half-width a of U(-a, a).
    #[arg(long = "init-limit", value_name = "INIT_LIMIT", default_value_t = 1.0)]
    pub limit: f32,
    /// constant: the value.
    #[arg(long = "init-value", value_name = "INIT_VALUE", default_value_t = 0.01)]
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
