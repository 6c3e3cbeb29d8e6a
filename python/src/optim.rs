//! The optimizers as Python classes (`SGD`, `Momentum`, `AdaGrad`,
//! `RMSprop`, `Adam`, and the `AdamW` constructor), each holding the
//! core's optimizer value, and [`Choice`], the one a model trains with.

use microprop::dynamic::FlatOptimizer;
use microprop::{AdaGrad as CoreAdaGrad, Adam as CoreAdam, Epsilon};
use microprop::{DecayedSgd, Momentum as CoreMomentum, RmsProp as CoreRmsProp, Sgd as CoreSgd};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::error;
use crate::names::shortest;

/// Where epsilon goes, by name: `"outside"` (`g / (sqrt(s) + eps)`,
/// PyTorch) or `"inside"` (`g / sqrt(s + eps)`, the lecture).
fn epsilon(name: &str) -> PyResult<Epsilon> {
    match name {
        "outside" => Ok(Epsilon::Outside),
        "inside" => Ok(Epsilon::Inside),
        _ => Err(PyValueError::new_err(format!(
            "epsilon must be \"outside\" or \"inside\", not {name:?}"
        ))),
    }
}

fn epsilon_name(epsilon: Epsilon) -> &'static str {
    match epsilon {
        Epsilon::Outside => "outside",
        Epsilon::Inside => "inside",
    }
}

/// Refuses a hyperparameter that is not finite or below `min`.
fn at_least(name: &str, value: f32, min: f32) -> PyResult<()> {
    if value.is_finite() && value >= min {
        Ok(())
    } else {
        Err(PyValueError::new_err(format!(
            "{name} must be finite and at least {min}, not {value}"
        )))
    }
}

/// Refuses an epsilon that is not finite and positive.
fn positive(name: &str, value: f32) -> PyResult<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(PyValueError::new_err(format!(
            "{name} must be finite and positive, not {value}"
        )))
    }
}

/// Refuses a decay rate outside [0, 1).
fn rate(name: &str, value: f32) -> PyResult<()> {
    if (0.0..1.0).contains(&value) {
        Ok(())
    } else {
        Err(PyValueError::new_err(format!(
            "{name} must be in [0, 1), not {value}"
        )))
    }
}

/// `value` as Python writes a float (`0.9`, `0.0`, `1e-08`), so a repr
/// reads back.
pub(crate) fn py_float(value: f32) -> String {
    let text = if value != 0.0 && value.abs() < 1e-4 {
        let text = format!("{value:e}");
        // Python's two-digit exponent: 1e-08.
        match text.split_once("e-") {
            Some((mantissa, exp)) if exp.len() == 1 => format!("{mantissa}e-0{exp}"),
            _ => text,
        }
    } else {
        format!("{value}")
    };
    if text.contains(['.', 'e', 'i', 'N']) {
        text
    } else {
        format!("{text}.0")
    }
}

fn py_bool(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

/// Gradient descent: `w <- w - lr * (g + weight_decay * w)` (PyTorch's
/// `SGD` without momentum). No state.
#[pyclass(frozen, eq, module = "microprop", name = "SGD")]
#[derive(Debug, Clone, PartialEq)]
pub struct Sgd {
    weight_decay: f32,
}

#[pymethods]
impl Sgd {
    #[new]
    #[pyo3(signature = (weight_decay = 0.0))]
    fn new(weight_decay: f32) -> PyResult<Self> {
        at_least("weight_decay", weight_decay, 0.0)?;
        Ok(Sgd { weight_decay })
    }

    /// L2 penalty coefficient.
    #[getter]
    fn weight_decay(&self) -> f64 {
        shortest(self.weight_decay)
    }

    fn __repr__(&self) -> String {
        format!("SGD(weight_decay={})", py_float(self.weight_decay))
    }

    fn __getnewargs__(&self) -> (f32,) {
        (self.weight_decay,)
    }
}

/// SGD with momentum, PyTorch's form: `h <- momentum * h + g`,
/// `w <- w - lr * h`; with `nesterov`, `w <- w - lr * (g + momentum * h)`.
/// `weight_decay` adds `weight_decay * w` to the gradient (L2). One
/// parameter-sized state buffer.
#[pyclass(frozen, eq, module = "microprop", name = "Momentum")]
#[derive(Debug, Clone, PartialEq)]
pub struct Momentum(pub(crate) CoreMomentum);

#[pymethods]
impl Momentum {
    #[new]
    #[pyo3(signature = (momentum = 0.9, nesterov = false, weight_decay = 0.0))]
    fn new(momentum: f32, nesterov: bool, weight_decay: f32) -> PyResult<Self> {
        at_least("momentum", momentum, 0.0)?;
        at_least("weight_decay", weight_decay, 0.0)?;
        Ok(Momentum(CoreMomentum {
            momentum,
            nesterov,
            weight_decay,
        }))
    }

    /// The fraction of the velocity kept each step.
    #[getter]
    fn momentum(&self) -> f64 {
        shortest(self.0.momentum)
    }

    /// Nesterov's look-ahead form.
    #[getter]
    fn nesterov(&self) -> bool {
        self.0.nesterov
    }

    /// L2 penalty coefficient.
    #[getter]
    fn weight_decay(&self) -> f64 {
        shortest(self.0.weight_decay)
    }

    fn __repr__(&self) -> String {
        format!(
            "Momentum(momentum={}, nesterov={}, weight_decay={})",
            py_float(self.0.momentum),
            py_bool(self.0.nesterov),
            py_float(self.0.weight_decay)
        )
    }

    fn __getnewargs__(&self) -> (f32, bool, f32) {
        (self.0.momentum, self.0.nesterov, self.0.weight_decay)
    }
}

/// AdaGrad: `s <- s + g^2`, `w <- w - lr * g / (sqrt(s) + eps)` (PyTorch's
/// defaults). One parameter-sized state buffer.
#[pyclass(frozen, eq, module = "microprop", name = "AdaGrad")]
#[derive(Debug, Clone, PartialEq)]
pub struct AdaGrad(pub(crate) CoreAdaGrad);

#[pymethods]
impl AdaGrad {
    #[new]
    #[pyo3(signature = (eps = CoreAdaGrad::PYTORCH.eps, epsilon = "outside", weight_decay = 0.0, initial_accumulator_value = 0.0))]
    fn new(
        eps: f32,
        epsilon: &str,
        weight_decay: f32,
        initial_accumulator_value: f32,
    ) -> PyResult<Self> {
        positive("eps", eps)?;
        at_least("weight_decay", weight_decay, 0.0)?;
        at_least("initial_accumulator_value", initial_accumulator_value, 0.0)?;
        Ok(AdaGrad(CoreAdaGrad {
            eps,
            epsilon: self::epsilon(epsilon)?,
            weight_decay,
            initial_accumulator: initial_accumulator_value,
        }))
    }

    /// Where the accumulator starts (PyTorch's `initial_accumulator_value`).
    #[getter]
    fn initial_accumulator_value(&self) -> f64 {
        shortest(self.0.initial_accumulator)
    }

    /// Added to the denominator.
    #[getter]
    fn eps(&self) -> f64 {
        shortest(self.0.eps)
    }

    /// `"outside"` or `"inside"` the square root.
    #[getter]
    fn epsilon(&self) -> &'static str {
        epsilon_name(self.0.epsilon)
    }

    /// L2 penalty coefficient.
    #[getter]
    fn weight_decay(&self) -> f64 {
        shortest(self.0.weight_decay)
    }

    fn __repr__(&self) -> String {
        format!(
            "AdaGrad(eps={}, epsilon='{}', weight_decay={}, initial_accumulator_value={})",
            py_float(self.0.eps),
            epsilon_name(self.0.epsilon),
            py_float(self.0.weight_decay),
            py_float(self.0.initial_accumulator)
        )
    }

    fn __getnewargs__(&self) -> (f32, &'static str, f32, f32) {
        (
            self.0.eps,
            epsilon_name(self.0.epsilon),
            self.0.weight_decay,
            self.0.initial_accumulator,
        )
    }
}

/// RMSprop: `s <- alpha * s + (1 - alpha) * g^2`,
/// `w <- w - lr * g / (sqrt(s) + eps)` (PyTorch's defaults). One
/// parameter-sized state buffer.
#[pyclass(frozen, eq, module = "microprop", name = "RMSprop")]
#[derive(Debug, Clone, PartialEq)]
pub struct RmsProp(pub(crate) CoreRmsProp);

#[pymethods]
impl RmsProp {
    #[new]
    #[pyo3(signature = (alpha = CoreRmsProp::PYTORCH.alpha, eps = CoreRmsProp::PYTORCH.eps, epsilon = "outside", weight_decay = 0.0))]
    fn new(alpha: f32, eps: f32, epsilon: &str, weight_decay: f32) -> PyResult<Self> {
        rate("alpha", alpha)?;
        positive("eps", eps)?;
        at_least("weight_decay", weight_decay, 0.0)?;
        Ok(RmsProp(CoreRmsProp {
            alpha,
            eps,
            epsilon: self::epsilon(epsilon)?,
            weight_decay,
        }))
    }

    /// Decay of the mean square.
    #[getter]
    fn alpha(&self) -> f64 {
        shortest(self.0.alpha)
    }

    /// Added to the denominator.
    #[getter]
    fn eps(&self) -> f64 {
        shortest(self.0.eps)
    }

    /// `"outside"` or `"inside"` the square root.
    #[getter]
    fn epsilon(&self) -> &'static str {
        epsilon_name(self.0.epsilon)
    }

    /// L2 penalty coefficient.
    #[getter]
    fn weight_decay(&self) -> f64 {
        shortest(self.0.weight_decay)
    }

    fn __repr__(&self) -> String {
        format!(
            "RMSprop(alpha={}, eps={}, epsilon='{}', weight_decay={})",
            py_float(self.0.alpha),
            py_float(self.0.eps),
            epsilon_name(self.0.epsilon),
            py_float(self.0.weight_decay)
        )
    }

    fn __getnewargs__(&self) -> (f32, f32, &'static str, f32) {
        (
            self.0.alpha,
            self.0.eps,
            epsilon_name(self.0.epsilon),
            self.0.weight_decay,
        )
    }
}

/// Adam (PyTorch's arithmetic and defaults); with `decoupled`, AdamW's
/// decoupled weight decay instead of L2. Two parameter-sized state buffers
/// (the moments); the bias corrections use the step count.
#[pyclass(frozen, eq, module = "microprop", name = "Adam")]
#[derive(Debug, Clone, PartialEq)]
pub struct Adam(pub(crate) CoreAdam);

#[pymethods]
impl Adam {
    #[new]
    #[pyo3(signature = (
        beta1 = CoreAdam::PYTORCH.beta1,
        beta2 = CoreAdam::PYTORCH.beta2,
        eps = CoreAdam::PYTORCH.eps,
        epsilon = "outside",
        weight_decay = 0.0,
        decoupled = false,
    ))]
    fn new(
        beta1: f32,
        beta2: f32,
        eps: f32,
        epsilon: &str,
        weight_decay: f32,
        decoupled: bool,
    ) -> PyResult<Self> {
        let adam = CoreAdam {
            beta1,
            beta2,
            eps,
            epsilon: self::epsilon(epsilon)?,
            weight_decay,
            decoupled,
        };
        adam.check().map_err(|e| {
            error::refused(format!(
                "{e}: Adam needs beta1 and beta2 in [0, 1), eps > 0 and a finite weight_decay >= 0"
            ))
        })?;
        Ok(Adam(adam))
    }

    /// Decay of the first moment.
    #[getter]
    fn beta1(&self) -> f64 {
        shortest(self.0.beta1)
    }

    /// Decay of the second moment.
    #[getter]
    fn beta2(&self) -> f64 {
        shortest(self.0.beta2)
    }

    /// Added to the denominator.
    #[getter]
    fn eps(&self) -> f64 {
        shortest(self.0.eps)
    }

    /// `"outside"` or `"inside"` the square root.
    #[getter]
    fn epsilon(&self) -> &'static str {
        epsilon_name(self.0.epsilon)
    }

    /// Weight-decay coefficient.
    #[getter]
    fn weight_decay(&self) -> f64 {
        shortest(self.0.weight_decay)
    }

    /// AdamW's decoupled weight decay instead of L2.
    #[getter]
    fn decoupled(&self) -> bool {
        self.0.decoupled
    }

    fn __repr__(&self) -> String {
        format!(
            "Adam(beta1={}, beta2={}, eps={}, epsilon='{}', weight_decay={}, decoupled={})",
            py_float(self.0.beta1),
            py_float(self.0.beta2),
            py_float(self.0.eps),
            epsilon_name(self.0.epsilon),
            py_float(self.0.weight_decay),
            py_bool(self.0.decoupled)
        )
    }

    fn __getnewargs__(&self) -> (f32, f32, f32, &'static str, f32, bool) {
        (
            self.0.beta1,
            self.0.beta2,
            self.0.eps,
            epsilon_name(self.0.epsilon),
            self.0.weight_decay,
            self.0.decoupled,
        )
    }
}

/// AdamW: [`Adam`] with decoupled weight decay (PyTorch's default decay
/// 0.01).
#[pyfunction(name = "AdamW")]
#[pyo3(signature = (weight_decay = 0.01, beta1 = CoreAdam::PYTORCH.beta1, beta2 = CoreAdam::PYTORCH.beta2, eps = CoreAdam::PYTORCH.eps, epsilon = "outside"))]
pub fn adamw(weight_decay: f32, beta1: f32, beta2: f32, eps: f32, epsilon: &str) -> PyResult<Adam> {
    Adam::new(beta1, beta2, eps, epsilon, weight_decay, true)
}

/// The optimizer a model trains with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Choice {
    /// SGD; a decay of 0 runs the plain rule.
    Sgd(DecayedSgd),
    Momentum(CoreMomentum),
    AdaGrad(CoreAdaGrad),
    RmsProp(CoreRmsProp),
    Adam(CoreAdam),
}

/// Something to run with the chosen optimizer as a concrete type.
pub(crate) trait Visit {
    /// What the run returns.
    type Output;
    /// Runs with `optimizer`.
    fn visit<O: FlatOptimizer>(self, optimizer: O) -> Self::Output;
}

impl Choice {
    /// The optimizer given from Python (any of this module's classes).
    pub(crate) fn from_object(object: &Bound<'_, PyAny>) -> PyResult<Choice> {
        if let Ok(sgd) = object.cast::<Sgd>() {
            Ok(Choice::Sgd(DecayedSgd {
                weight_decay: sgd.get().weight_decay,
            }))
        } else if let Ok(m) = object.cast::<Momentum>() {
            Ok(Choice::Momentum(m.get().0))
        } else if let Ok(a) = object.cast::<AdaGrad>() {
            Ok(Choice::AdaGrad(a.get().0))
        } else if let Ok(r) = object.cast::<RmsProp>() {
            Ok(Choice::RmsProp(r.get().0))
        } else if let Ok(a) = object.cast::<Adam>() {
            Ok(Choice::Adam(a.get().0))
        } else {
            Err(PyTypeError::new_err(format!(
                "optimizer must be microprop.SGD, Momentum, AdaGrad, RMSprop, Adam or AdamW(...), not {}",
                object.get_type().name()?
            )))
        }
    }

    /// The Python object for this optimizer.
    pub(crate) fn to_object(self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(match self {
            Choice::Sgd(sgd) => Py::new(
                py,
                Sgd {
                    weight_decay: sgd.weight_decay,
                },
            )?
            .into_any(),
            Choice::Momentum(m) => Py::new(py, Momentum(m))?.into_any(),
            Choice::AdaGrad(a) => Py::new(py, AdaGrad(a))?.into_any(),
            Choice::RmsProp(r) => Py::new(py, RmsProp(r))?.into_any(),
            Choice::Adam(a) => Py::new(py, Adam(a))?.into_any(),
        })
    }

    /// Runs `visitor` with the optimizer as its concrete core type.
    pub(crate) fn visit<V: Visit>(self, visitor: V) -> V::Output {
        match self {
            Choice::Sgd(sgd) if sgd.weight_decay == 0.0 => visitor.visit(CoreSgd),
            Choice::Sgd(sgd) => visitor.visit(sgd),
            Choice::Momentum(m) => visitor.visit(m),
            Choice::AdaGrad(a) => visitor.visit(a),
            Choice::RmsProp(r) => visitor.visit(r),
            Choice::Adam(a) => visitor.visit(a),
        }
    }

    /// Parameter-sized state buffers ([`FlatOptimizer::STATE_BUFFERS`]).
    pub(crate) fn state_buffers(self) -> usize {
        struct Count;
        impl Visit for Count {
            type Output = usize;
            fn visit<O: FlatOptimizer>(self, _: O) -> usize {
                O::STATE_BUFFERS
            }
        }
        self.visit(Count)
    }

    /// Whether `other` is the same optimizer (its state carries over).
    pub(crate) fn same_kind(self, other: Choice) -> bool {
        core::mem::discriminant(&self) == core::mem::discriminant(&other)
    }
}
