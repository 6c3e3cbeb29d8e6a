//! What a C caller describes: layers, loss, optimizer, learning-rate
//! schedule, weight initialisation, and the [`Config`] that holds them;
//! each checked and turned into the core's types here.
//!
//! Enum-like fields are plain integers in the structs (a C compiler may
//! store any value there, and an out-of-range Rust enum would be undefined
//! behaviour); the enums below name their values for the header and are
//! decoded with a check.

use core::ffi::c_void;

use microprop::dynamic::{LayerSpec, LossKind};
use microprop::{
    ActivationKind, AdaGrad, Adam, DecayedSgd, Epsilon, Init, LrSchedule, Momentum, RmsProp,
    Schedule, Sgd, Warmup, WarmupStart,
};

use crate::status::Status;

/// Largest number of layers a `microprop_model` holds (it keeps a copy of
/// the layer list, so the caller's array need not outlive the call).
pub const MICROPROP_MAX_LAYERS: usize = 16;

/// Activation codes for `microprop_layer.activation` (the same codes the
/// checkpoint format stores).
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// f(x) = x (the output of a classifier or of a maxout layer).
    Identity = 0,
    /// f(x) = 1 / (1 + e^-x).
    Sigmoid = 1,
    /// f(x) = tanh x.
    Tanh = 2,
    /// f(x) = max(0, x).
    Relu = 3,
    /// x for x > 0, slope · x otherwise (`microprop_layer.parameter` = slope,
    /// 0.1 by default).
    LeakyRelu = 4,
    /// x for x > 0, alpha · (e^x - 1) otherwise (`microprop_layer.parameter` =
    /// alpha, 1.0 by default).
    Elu = 5,
    /// e^x_j / Σ e^x_k over the row.
    Softmax = 6,
}

/// One layer, front to back: its width, activation and, for maxout, its
/// pieces. Build it with `microprop_dense`, `microprop_dense_with` or
/// `microprop_maxout` (or the `MICROPROP_DENSE` macros in a static
/// initialiser).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Layer {
    /// Output width (units), at least 1.
    pub units: u32,
    /// 1 for a dense layer; 2..=256 linear pieces per unit for maxout.
    pub pieces: u16,
    /// A `microprop_activation` code (`MICROPROP_ACTIVATION_IDENTITY` for
    /// maxout, whose max is its nonlinearity).
    pub activation: u8,
    /// Must be 0.
    pub reserved: u8,
    /// The activation's setting: Leaky ReLU's slope or ELU's alpha (finite,
    /// not negative); ignored by the other activations.
    pub parameter: f32,
}

impl Layer {
    /// The core's layer, if the activation code is known.
    pub(crate) fn spec(&self) -> Result<LayerSpec, Status> {
        let activation = ActivationKind::from_code(self.activation).ok_or(Status::InvalidLayer)?;
        if self.reserved != 0 {
            return Err(Status::InvalidLayer);
        }
        let parameter = match activation {
            ActivationKind::LeakyRelu | ActivationKind::Elu => self.parameter,
            _ => 0.0,
        };
        Ok(LayerSpec {
            units: self.units as usize,
            activation,
            parameter,
            pieces: usize::from(self.pieces),
        })
    }

    /// The C description of a core layer.
    pub(crate) fn from_spec(spec: &LayerSpec) -> Result<Layer, Status> {
        Ok(Layer {
            units: u32::try_from(spec.units).map_err(|_| Status::InvalidLayer)?,
            pieces: u16::try_from(spec.pieces).map_err(|_| Status::InvalidLayer)?,
            activation: spec.activation.code(),
            reserved: 0,
            parameter: spec.parameter,
        })
    }
}

/// A dense layer of `units` units with `activation`'s default setting
/// (Leaky ReLU slope 0.1, ELU alpha 1.0). An unknown activation code is
/// kept, and refused when the layer is used.
#[unsafe(no_mangle)]
pub extern "C" fn microprop_dense(units: u32, activation: u8) -> Layer {
    let parameter = match ActivationKind::from_code(activation) {
        Some(kind) => LayerSpec::dense(1, kind).parameter,
        None => 0.0,
    };
    microprop_dense_with(units, activation, parameter)
}

/// A dense layer with an explicit activation setting (Leaky ReLU's slope,
/// ELU's alpha).
#[unsafe(no_mangle)]
pub extern "C" fn microprop_dense_with(units: u32, activation: u8, parameter: f32) -> Layer {
    Layer {
        units,
        pieces: 1,
        activation,
        reserved: 0,
        parameter,
    }
}

/// A maxout layer: `units` units, each the max of `pieces` (2..=256)
/// affine pieces.
#[unsafe(no_mangle)]
pub extern "C" fn microprop_maxout(units: u32, pieces: u16) -> Layer {
    Layer {
        units,
        pieces,
        activation: Activation::Identity as u8,
        reserved: 0,
        parameter: 0.0,
    }
}

/// Loss codes for `microprop_config.loss`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Loss {
    /// Mean squared error over value targets (`microprop_train_values`),
    /// any output activation.
    MeanSquaredError = 0,
    /// Softmax + cross-entropy over class labels (`microprop_train_labels`),
    /// identity (logit) outputs.
    SoftmaxCrossEntropy = 1,
    /// Sigmoid + binary cross-entropy over value targets in [0, 1],
    /// identity (logit) outputs.
    SigmoidBinaryCrossEntropy = 2,
    /// Softmax + cross-entropy over probability rows (soft labels, label
    /// smoothing; `microprop_train_values`), identity (logit) outputs.
    SoftTargetCrossEntropy = 3,
    /// Binary cross-entropy on probabilities over value targets in [0, 1],
    /// sigmoid outputs (PyTorch's `BCELoss`).
    BinaryCrossEntropy = 4,
}

/// The core's loss for a code.
pub(crate) fn loss(code: u32) -> Result<LossKind, Status> {
    match code {
        0 => Ok(LossKind::MeanSquaredError),
        1 => Ok(LossKind::SoftmaxCrossEntropy),
        2 => Ok(LossKind::SigmoidBinaryCrossEntropy),
        3 => Ok(LossKind::SoftTargetCrossEntropy),
        4 => Ok(LossKind::BinaryCrossEntropy),
        _ => Err(Status::InvalidArgument),
    }
}

/// Optimizer codes for `microprop_optimizer.kind`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptimizerKind {
    /// Gradient descent: w ← w − lr·(g + weight_decay·w).
    Sgd = 0,
    /// SGD with momentum (PyTorch's form), optionally Nesterov's.
    Momentum = 1,
    /// AdaGrad.
    AdaGrad = 2,
    /// RMSprop.
    RmsProp = 3,
    /// Adam, or AdamW with decoupled weight decay.
    Adam = 4,
}

/// An optimizer and its hyperparameters, PyTorch's names and formulas.
/// Start from `microprop_sgd()`, `microprop_momentum()`,
/// `microprop_adagrad()`, `microprop_rmsprop()`, `microprop_adam()` or
/// `microprop_adamw()` (PyTorch's defaults) and change fields; fields the
/// chosen kind does not use are ignored.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptimizerConfig {
    /// A `microprop_optimizer_kind`.
    pub kind: u32,
    /// Momentum: β in [0, 1), the fraction of the velocity kept.
    pub momentum: f32,
    /// Adam: decay of the first moment, in [0, 1).
    pub beta1: f32,
    /// Adam: decay of the second moment, in [0, 1).
    pub beta2: f32,
    /// RMSprop: decay of the mean square, in [0, 1).
    pub alpha: f32,
    /// AdaGrad, RMSprop, Adam: added to the denominator, positive.
    pub eps: f32,
    /// SGD, Momentum, AdaGrad, RMSprop, Adam: L2 penalty (AdamW:
    /// decoupled decay), not negative.
    pub weight_decay: f32,
    /// Momentum: 1 for Nesterov's look-ahead form.
    pub nesterov: u8,
    /// AdaGrad, RMSprop, Adam: 1 puts eps inside the square root (the
    /// lecture's form), 0 outside (PyTorch's).
    pub eps_inside: u8,
    /// Adam: 1 for decoupled weight decay (AdamW).
    pub decoupled_weight_decay: u8,
    /// Must be 0.
    pub reserved: u8,
    /// AdaGrad: where the accumulator of squared gradients starts (PyTorch's
    /// `initial_accumulator_value`), not negative.
    pub initial_accumulator: f32,
}

impl OptimizerConfig {
    const ZERO: OptimizerConfig = OptimizerConfig {
        kind: OptimizerKind::Sgd as u32,
        momentum: 0.0,
        beta1: 0.0,
        beta2: 0.0,
        alpha: 0.0,
        eps: 0.0,
        weight_decay: 0.0,
        nesterov: 0,
        eps_inside: 0,
        decoupled_weight_decay: 0,
        reserved: 0,
        initial_accumulator: 0.0,
    };

    /// The core's optimizer, checked.
    pub(crate) fn optimizer(&self) -> Result<Optimizer, Status> {
        let finite = [
            self.momentum,
            self.beta1,
            self.beta2,
            self.alpha,
            self.eps,
            self.weight_decay,
            self.initial_accumulator,
        ]
        .iter()
        .all(|v| v.is_finite());
        let flags = [self.nesterov, self.eps_inside, self.decoupled_weight_decay];
        if flags.iter().any(|&f| f > 1) || self.reserved != 0 {
            return Err(Status::InvalidArgument);
        }
        let unit = |v: f32| (0.0..1.0).contains(&v);
        let epsilon = if self.eps_inside == 1 {
            Epsilon::Inside
        } else {
            Epsilon::Outside
        };
        let decay_ok = self.weight_decay >= 0.0;
        let eps_ok = self.eps > 0.0;
        let check = |ok: bool| {
            if ok && finite && decay_ok {
                Ok(())
            } else {
                Err(Status::InvalidHyperparameter)
            }
        };
        match self.kind {
            0 => {
                check(true)?;
                if self.weight_decay == 0.0 {
                    Ok(Optimizer::Sgd(Sgd))
                } else {
                    Ok(Optimizer::DecayedSgd(Sgd::with_weight_decay(
                        self.weight_decay,
                    )))
                }
            }
            1 => {
                check(unit(self.momentum))?;
                Ok(Optimizer::Momentum(Momentum {
                    momentum: self.momentum,
                    nesterov: self.nesterov == 1,
                    weight_decay: self.weight_decay,
                }))
            }
            2 => {
                check(eps_ok && self.initial_accumulator >= 0.0)?;
                Ok(Optimizer::AdaGrad(AdaGrad {
                    eps: self.eps,
                    epsilon,
                    weight_decay: self.weight_decay,
                    initial_accumulator: self.initial_accumulator,
                }))
            }
            3 => {
                check(eps_ok && unit(self.alpha))?;
                Ok(Optimizer::RmsProp(RmsProp {
                    alpha: self.alpha,
                    eps: self.eps,
                    epsilon,
                    weight_decay: self.weight_decay,
                }))
            }
            4 => {
                let adam = Adam {
                    beta1: self.beta1,
                    beta2: self.beta2,
                    eps: self.eps,
                    epsilon,
                    weight_decay: self.weight_decay,
                    decoupled: self.decoupled_weight_decay == 1,
                };
                adam.check().map_err(|_| Status::InvalidHyperparameter)?;
                Ok(Optimizer::Adam(adam))
            }
            _ => Err(Status::InvalidArgument),
        }
    }
}

/// One of the core's optimizers, chosen at run time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Optimizer {
    Sgd(Sgd),
    DecayedSgd(DecayedSgd),
    Momentum(Momentum),
    AdaGrad(AdaGrad),
    RmsProp(RmsProp),
    Adam(Adam),
}

impl Optimizer {
    /// Parameter-sized state buffers
    /// ([`FlatOptimizer::STATE_BUFFERS`](microprop::dynamic::FlatOptimizer::STATE_BUFFERS)).
    pub(crate) fn state_buffers(&self) -> usize {
        use microprop::dynamic::FlatOptimizer;
        match self {
            Optimizer::Sgd(_) => <Sgd as FlatOptimizer>::STATE_BUFFERS,
            Optimizer::DecayedSgd(_) => <DecayedSgd as FlatOptimizer>::STATE_BUFFERS,
            Optimizer::Momentum(_) => <Momentum as FlatOptimizer>::STATE_BUFFERS,
            Optimizer::AdaGrad(_) => <AdaGrad as FlatOptimizer>::STATE_BUFFERS,
            Optimizer::RmsProp(_) => <RmsProp as FlatOptimizer>::STATE_BUFFERS,
            Optimizer::Adam(_) => <Adam as FlatOptimizer>::STATE_BUFFERS,
        }
    }
}

/// Runs `$body` with `$o` bound to the optimizer inside `$optimizer` (one
/// copy of the body per optimizer type).
macro_rules! with_optimizer {
    ($optimizer:expr, |$o:ident| $body:expr) => {
        match $optimizer {
            $crate::config::Optimizer::Sgd($o) => $body,
            $crate::config::Optimizer::DecayedSgd($o) => $body,
            $crate::config::Optimizer::Momentum($o) => $body,
            $crate::config::Optimizer::AdaGrad($o) => $body,
            $crate::config::Optimizer::RmsProp($o) => $body,
            $crate::config::Optimizer::Adam($o) => $body,
        }
    };
}
pub(crate) use with_optimizer;

/// Plain SGD (set `weight_decay` for w ← w − lr·(g + λ·w)).
#[unsafe(no_mangle)]
pub extern "C" fn microprop_sgd() -> OptimizerConfig {
    OptimizerConfig::ZERO
}

/// SGD with momentum β (0.9 is usual), Nesterov's form if `nesterov` is 1.
#[unsafe(no_mangle)]
pub extern "C" fn microprop_momentum(momentum: f32, nesterov: u8) -> OptimizerConfig {
    OptimizerConfig {
        kind: OptimizerKind::Momentum as u32,
        momentum,
        nesterov,
        ..OptimizerConfig::ZERO
    }
}

/// AdaGrad with PyTorch's defaults (eps 1e-10 outside the square root).
#[unsafe(no_mangle)]
pub extern "C" fn microprop_adagrad() -> OptimizerConfig {
    let d = AdaGrad::PYTORCH;
    OptimizerConfig {
        kind: OptimizerKind::AdaGrad as u32,
        eps: d.eps,
        ..OptimizerConfig::ZERO
    }
}

/// RMSprop with PyTorch's defaults (alpha 0.99, eps 1e-8 outside).
#[unsafe(no_mangle)]
pub extern "C" fn microprop_rmsprop() -> OptimizerConfig {
    let d = RmsProp::PYTORCH;
    OptimizerConfig {
        kind: OptimizerKind::RmsProp as u32,
        alpha: d.alpha,
        eps: d.eps,
        ..OptimizerConfig::ZERO
    }
}

/// Adam with PyTorch's defaults (beta1 0.9, beta2 0.999, eps 1e-8).
#[unsafe(no_mangle)]
pub extern "C" fn microprop_adam() -> OptimizerConfig {
    let d = Adam::PYTORCH;
    OptimizerConfig {
        kind: OptimizerKind::Adam as u32,
        beta1: d.beta1,
        beta2: d.beta2,
        eps: d.eps,
        ..OptimizerConfig::ZERO
    }
}

/// AdamW: Adam with decoupled weight decay (PyTorch's default decay is
/// 0.01).
#[unsafe(no_mangle)]
pub extern "C" fn microprop_adamw(weight_decay: f32) -> OptimizerConfig {
    OptimizerConfig {
        weight_decay,
        decoupled_weight_decay: 1,
        ..microprop_adam()
    }
}

/// Schedule codes for `microprop_schedule.kind`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduleKind {
    /// η(t) = initial.
    Constant = 0,
    /// η(t) = max(initial · factor^⌊t / every⌋, min): a step decay.
    Step = 1,
    /// η(t) = initial · decay^t.
    Exponential = 2,
    /// η(t) = initial / (1 + alpha·t)^power.
    Polynomial = 3,
    /// η(t) = last + (initial − last)/2 · (1 + cos(π t / period)) up to
    /// `period`, `last` after.
    Cosine = 4,
    /// η(t) = custom(t, context).
    Custom = 5,
}

/// A C function giving the learning rate of step `step` (0-based), or
/// NULL.
pub type CustomSchedule = Option<unsafe extern "C" fn(step: u32, context: *mut c_void) -> f32>;

/// A learning-rate schedule: a pure function of the number of steps taken,
/// so a run resumed from a training checkpoint continues it exactly. Build
/// it with the `microprop_schedule_*` functions. `warmup_steps` > 0 adds a
/// linear warmup over the first `warmup_steps` steps, then the schedule from
/// its own step 0: η(t) = η_inner(0) · (t + 1) / (warmup_steps + 1)
/// (PyTorch's `LinearLR`, `warmup_from_zero` = 0) or
/// η(t) = η_inner(0) · t / warmup_steps (the lecture's, from 0;
/// `warmup_from_zero` = 1).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ScheduleConfig {
    /// A `microprop_schedule_kind`.
    pub kind: u32,
    /// Steps of linear warmup before the schedule (0 = none).
    pub warmup_steps: u32,
    /// η0, the first rate (all but custom), finite and not negative.
    pub initial: f32,
    /// Cosine: the last rate.
    pub last: f32,
    /// Step: the factor applied every `every` steps.
    pub factor: f32,
    /// Step: the floor.
    pub min: f32,
    /// Exponential: the decay per step.
    pub decay: f32,
    /// Polynomial: alpha.
    pub alpha: f32,
    /// Polynomial: the power.
    pub power: f32,
    /// Step: steps between reductions (0 counts as 1).
    pub every: u32,
    /// Cosine: the steps from `initial` to `last`.
    pub period: u32,
    /// Custom: the function (its result is checked each step: a negative or
    /// non-finite rate refuses the step).
    pub custom: CustomSchedule,
    /// Custom: passed to `custom` unchanged.
    pub context: *mut c_void,
    /// The warmup's first rate: 0 = η_inner(0) / (warmup_steps + 1)
    /// (PyTorch's `LinearLR`), 1 = 0 (the lecture's); anything else is
    /// refused.
    pub warmup_from_zero: u32,
}

impl ScheduleConfig {
    const ZERO: ScheduleConfig = ScheduleConfig {
        kind: ScheduleKind::Constant as u32,
        warmup_steps: 0,
        initial: 0.0,
        last: 0.0,
        factor: 0.0,
        min: 0.0,
        decay: 0.0,
        alpha: 0.0,
        power: 0.0,
        every: 0,
        period: 0,
        custom: None,
        context: core::ptr::null_mut(),
        warmup_from_zero: 0,
    };

    /// The schedule, checked: every value finite, rates not negative.
    pub(crate) fn schedule(&self) -> Result<Warmup<FfiSchedule>, Status> {
        let finite = [
            self.initial,
            self.last,
            self.factor,
            self.min,
            self.decay,
            self.alpha,
            self.power,
        ]
        .iter()
        .all(|v| v.is_finite());
        let rate = |v: f32| v >= 0.0;
        let check = |ok: bool| {
            if ok && finite && rate(self.initial) {
                Ok(())
            } else {
                Err(Status::InvalidHyperparameter)
            }
        };
        let inner = match self.kind {
            0 => {
                check(true)?;
                FfiSchedule::Core(LrSchedule::Constant(self.initial))
            }
            1 => {
                check(rate(self.factor) && rate(self.min))?;
                FfiSchedule::Core(LrSchedule::Factor {
                    initial: self.initial,
                    factor: self.factor,
                    every: self.every,
                    min: self.min,
                })
            }
            2 => {
                check(rate(self.decay))?;
                FfiSchedule::Core(LrSchedule::Exponential {
                    initial: self.initial,
                    decay: self.decay,
                })
            }
            3 => {
                check(rate(self.alpha) && rate(self.power))?;
                FfiSchedule::Core(LrSchedule::Polynomial {
                    initial: self.initial,
                    alpha: self.alpha,
                    power: self.power,
                })
            }
            4 => {
                check(rate(self.last))?;
                FfiSchedule::Core(LrSchedule::Cosine {
                    initial: self.initial,
                    last: self.last,
                    period: self.period,
                })
            }
            5 => match self.custom {
                Some(function) => FfiSchedule::Custom {
                    function,
                    context: self.context,
                },
                None => return Err(Status::NullPointer),
            },
            _ => return Err(Status::InvalidArgument),
        };
        let start = match self.warmup_from_zero {
            0 => WarmupStart::LinearLr,
            1 => WarmupStart::Zero,
            _ => return Err(Status::InvalidArgument),
        };
        Ok(Warmup {
            steps: self.warmup_steps,
            inner,
            start,
        })
    }
}

/// The core's schedules, or a C function.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FfiSchedule {
    Core(LrSchedule),
    Custom {
        function: unsafe extern "C" fn(u32, *mut c_void) -> f32,
        context: *mut c_void,
    },
}

impl Schedule for FfiSchedule {
    fn learning_rate(&self, t: u32) -> f32 {
        match *self {
            FfiSchedule::Core(s) => s.learning_rate(t),
            FfiSchedule::Custom { function, context } => {
                // SAFETY: the caller of `microprop_model_init` guaranteed
                // (its `# Safety`) that a custom schedule's function is
                // callable with its context whenever the model trains.
                unsafe { function(t, context) }
            }
        }
    }
}

/// A constant learning rate.
#[unsafe(no_mangle)]
pub extern "C" fn microprop_schedule_constant(rate: f32) -> ScheduleConfig {
    ScheduleConfig {
        initial: rate,
        ..ScheduleConfig::ZERO
    }
}

/// A step decay: `initial · factor^⌊t / every⌋`, not below `min`.
#[unsafe(no_mangle)]
pub extern "C" fn microprop_schedule_step(
    initial: f32,
    factor: f32,
    every: u32,
    min: f32,
) -> ScheduleConfig {
    ScheduleConfig {
        kind: ScheduleKind::Step as u32,
        initial,
        factor,
        every,
        min,
        ..ScheduleConfig::ZERO
    }
}

/// An exponential decay: `initial · decay^t`.
#[unsafe(no_mangle)]
pub extern "C" fn microprop_schedule_exponential(initial: f32, decay: f32) -> ScheduleConfig {
    ScheduleConfig {
        kind: ScheduleKind::Exponential as u32,
        initial,
        decay,
        ..ScheduleConfig::ZERO
    }
}

/// A polynomial decay: `initial / (1 + alpha·t)^power`.
#[unsafe(no_mangle)]
pub extern "C" fn microprop_schedule_polynomial(
    initial: f32,
    alpha: f32,
    power: f32,
) -> ScheduleConfig {
    ScheduleConfig {
        kind: ScheduleKind::Polynomial as u32,
        initial,
        alpha,
        power,
        ..ScheduleConfig::ZERO
    }
}

/// A cosine decay from `initial` to `last` over `period` steps, `last`
/// after.
#[unsafe(no_mangle)]
pub extern "C" fn microprop_schedule_cosine(
    initial: f32,
    last: f32,
    period: u32,
) -> ScheduleConfig {
    ScheduleConfig {
        kind: ScheduleKind::Cosine as u32,
        initial,
        last,
        period,
        ..ScheduleConfig::ZERO
    }
}

/// A schedule computed by a C function of the step and `context`.
#[unsafe(no_mangle)]
pub extern "C" fn microprop_schedule_custom(
    function: CustomSchedule,
    context: *mut c_void,
) -> ScheduleConfig {
    ScheduleConfig {
        kind: ScheduleKind::Custom as u32,
        custom: function,
        context,
        ..ScheduleConfig::ZERO
    }
}

/// Weight initialisation codes for `microprop_init.kind`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitKind {
    /// Every weight `a` (the lecture's counter-example).
    Constant = 0,
    /// N(a, b²): mean `a`, standard deviation `b`.
    Normal = 1,
    /// U(−a, a).
    Uniform = 2,
    /// The lecture's Xavier: N(0, 1/fan_in).
    Xavier = 3,
    /// Glorot uniform: U(−s, s), s = sqrt(6 / (fan_in + fan_out)).
    GlorotUniform = 4,
    /// Glorot normal: N(0, 2 / (fan_in + fan_out)).
    GlorotNormal = 5,
    /// He normal: N(0, 2 / fan_in).
    HeNormal = 6,
    /// He uniform: U(−s, s), s = sqrt(6 / fan_in).
    HeUniform = 7,
}

/// How to draw the initial weights (biases start at zero), as
/// `microprop::Init`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InitConfig {
    /// A `microprop_init_kind`.
    pub kind: u32,
    /// Constant: the value; Normal: the mean; Uniform: the half-width.
    pub a: f32,
    /// Normal: the standard deviation.
    pub b: f32,
}

impl InitConfig {
    /// The core's scheme, checked.
    pub(crate) fn init(&self) -> Result<Init, Status> {
        if !(self.a.is_finite() && self.b.is_finite()) {
            return Err(Status::InvalidHyperparameter);
        }
        let non_negative = |v: f32| {
            if v >= 0.0 {
                Ok(v)
            } else {
                Err(Status::InvalidHyperparameter)
            }
        };
        Ok(match self.kind {
            0 => Init::Constant(self.a),
            1 => Init::Normal {
                mean: self.a,
                std: non_negative(self.b)?,
            },
            2 => Init::Uniform {
                limit: non_negative(self.a)?,
            },
            3 => Init::Xavier,
            4 => Init::GlorotUniform,
            5 => Init::GlorotNormal,
            6 => Init::HeNormal,
            7 => Init::HeUniform,
            _ => return Err(Status::InvalidArgument),
        })
    }
}

/// A model to build: the input width, the layers, the loss, the largest
/// batch, the optimizer and the learning-rate schedule.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Input width (features per row), at least 1.
    pub inputs: u32,
    /// Number of layers, 1..=`MICROPROP_MAX_LAYERS`.
    pub layer_count: u32,
    /// The layers, front to back (copied by `microprop_model_init`).
    pub layers: *const Layer,
    /// A `microprop_loss`.
    pub loss: u32,
    /// Rows the training cache holds; a step over more rows accumulates
    /// them in chunks of this many (same result as one big batch). 0 sets
    /// the model up for inference only (no training buffers).
    pub batch: u32,
    /// 1 for the fused batch-1 step (`batch` must be 1): no gradient
    /// buffer, the update applied as the gradient is formed. Dense layers
    /// only, no gradient clipping, no `microprop_evaluate_*`.
    pub fused: u8,
    /// Must be 0.
    pub reserved: [u8; 3],
    /// Clip the mean gradient to this global L2 norm before each step; 0 =
    /// no clipping.
    pub max_grad_norm: f32,
    /// The optimizer.
    pub optimizer: OptimizerConfig,
    /// The learning-rate schedule.
    pub schedule: ScheduleConfig,
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_core() {
        for kind in ActivationKind::ALL {
            let layer = microprop_dense(3, kind.code());
            assert_eq!(layer.spec(), Ok(LayerSpec::dense(3, kind)));
        }
        assert_eq!(Activation::Softmax as u8, ActivationKind::Softmax.code());
        assert_eq!(microprop_dense(3, 7).spec(), Err(Status::InvalidLayer));
        assert_eq!(microprop_maxout(4, 3).spec(), Ok(LayerSpec::maxout(4, 3)));
        assert_eq!(
            loss(Loss::SoftmaxCrossEntropy as u32),
            Ok(LossKind::SoftmaxCrossEntropy)
        );
        for (code, kind) in [
            (Loss::MeanSquaredError, LossKind::MeanSquaredError),
            (
                Loss::SigmoidBinaryCrossEntropy,
                LossKind::SigmoidBinaryCrossEntropy,
            ),
            (
                Loss::SoftTargetCrossEntropy,
                LossKind::SoftTargetCrossEntropy,
            ),
            (Loss::BinaryCrossEntropy, LossKind::BinaryCrossEntropy),
        ] {
            assert_eq!(loss(code as u32), Ok(kind));
        }
        assert_eq!(loss(5), Err(Status::InvalidArgument));
    }

    #[test]
    fn sgd_with_weight_decay_and_a_warm_accumulator_are_the_cores() {
        let mut sgd = microprop_sgd();
        assert_eq!(sgd.optimizer(), Ok(Optimizer::Sgd(Sgd)));
        sgd.weight_decay = 0.5;
        assert_eq!(
            sgd.optimizer(),
            Ok(Optimizer::DecayedSgd(Sgd::with_weight_decay(0.5)))
        );
        sgd.weight_decay = -0.5;
        assert_eq!(sgd.optimizer(), Err(Status::InvalidHyperparameter));
        let mut adagrad = microprop_adagrad();
        adagrad.initial_accumulator = 0.25;
        assert_eq!(
            adagrad.optimizer(),
            Ok(Optimizer::AdaGrad(AdaGrad {
                initial_accumulator: 0.25,
                ..AdaGrad::PYTORCH
            }))
        );
        adagrad.initial_accumulator = -1.0;
        assert_eq!(adagrad.optimizer(), Err(Status::InvalidHyperparameter));
        adagrad.initial_accumulator = f32::NAN;
        assert_eq!(adagrad.optimizer(), Err(Status::InvalidHyperparameter));
    }

    #[test]
    fn defaults_are_pytorchs_and_out_of_range_values_are_refused() {
        assert_eq!(
            microprop_adam().optimizer(),
            Ok(Optimizer::Adam(Adam::PYTORCH))
        );
        assert_eq!(
            microprop_rmsprop().optimizer(),
            Ok(Optimizer::RmsProp(RmsProp::PYTORCH))
        );
        assert_eq!(
            microprop_adagrad().optimizer(),
            Ok(Optimizer::AdaGrad(AdaGrad::PYTORCH))
        );
        assert_eq!(
            microprop_adamw(0.01).optimizer(),
            Ok(Optimizer::Adam(Adam::adamw(0.01)))
        );
        let mut bad = microprop_adam();
        bad.beta1 = f32::NAN;
        assert_eq!(bad.optimizer(), Err(Status::InvalidHyperparameter));
        assert_eq!(
            microprop_momentum(1.0, 0).optimizer(),
            Err(Status::InvalidHyperparameter)
        );
        assert_eq!(
            microprop_momentum(0.9, 2).optimizer(),
            Err(Status::InvalidArgument)
        );
        let mut unknown = microprop_sgd();
        unknown.kind = 9;
        assert_eq!(unknown.optimizer(), Err(Status::InvalidArgument));
    }

    #[test]
    fn schedules_follow_the_core() {
        for (from_zero, start) in [(0, WarmupStart::LinearLr), (1, WarmupStart::Zero)] {
            let mut cosine = microprop_schedule_cosine(0.1, 0.001, 100);
            cosine.warmup_steps = 3;
            cosine.warmup_from_zero = from_zero;
            let core = Warmup {
                steps: 3,
                inner: LrSchedule::Cosine {
                    initial: 0.1,
                    last: 0.001,
                    period: 100,
                },
                start,
            };
            let ours = cosine.schedule().unwrap_or(Warmup {
                steps: 0,
                inner: FfiSchedule::Core(LrSchedule::Constant(f32::NAN)),
                start: WarmupStart::LinearLr,
            });
            for t in 0..120 {
                assert_eq!(
                    ours.learning_rate(t).to_bits(),
                    core.learning_rate(t).to_bits()
                );
            }
        }
        let mut bad_start = microprop_schedule_cosine(0.1, 0.001, 100);
        bad_start.warmup_from_zero = 2;
        assert!(bad_start.schedule().is_err());
        extern "C" fn halving(step: u32, context: *mut c_void) -> f32 {
            let _ = context;
            1.0 / (1u32 << step.min(20)) as f32
        }
        let custom = microprop_schedule_custom(Some(halving), core::ptr::null_mut());
        assert_eq!(custom.schedule().map(|s| s.learning_rate(2)), Ok(0.25));
        let none = microprop_schedule_custom(None, core::ptr::null_mut());
        assert!(none.schedule().is_err());
        assert!(microprop_schedule_constant(-1.0).schedule().is_err());
        assert!(
            microprop_schedule_constant(f32::INFINITY)
                .schedule()
                .is_err()
        );
    }
}
