//! The names the Python API takes (layers, activations, losses,
//! initialisations) and the core values they stand for.

use microprop::ActivationKind;
use microprop::Init;
use microprop::dynamic::{LayerSpec, LossKind, Topology};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};

use crate::error;

/// The activation called `name` (`"identity"`, `"sigmoid"`, `"tanh"`,
/// `"relu"`, `"leaky_relu"`, `"elu"`, `"softmax"`).
fn activation(name: &str) -> PyResult<ActivationKind> {
    ActivationKind::ALL
        .into_iter()
        .find(|kind| kind.name() == name)
        .ok_or_else(|| {
            let known: Vec<_> = ActivationKind::ALL.iter().map(|k| k.name()).collect();
            PyValueError::new_err(format!(
                "unknown activation {name:?}: use one of {}, or \"maxout\"",
                known.join(", ")
            ))
        })
}

/// One layer of a layer list: `units` (identity), `(units, activation)`,
/// `(units, activation, setting)` for `"leaky_relu"` (slope, 0.1) and
/// `"elu"` (alpha, 1.0), or `(units, "maxout", pieces)`.
fn layer(item: &Bound<'_, PyAny>, index: usize) -> PyResult<LayerSpec> {
    let bad = || {
        PyTypeError::new_err(format!(
            "layer {index}: expected units or a tuple (units, activation[, setting]), got {item}"
        ))
    };
    if let Ok(units) = item.extract::<usize>() {
        return Ok(LayerSpec::dense(units, ActivationKind::Identity));
    }
    let tuple = match item.cast::<PyList>() {
        Ok(list) => list.to_tuple(),
        Err(_) => item.cast::<PyTuple>().map_err(|_| bad())?.clone(),
    };
    if !(2..=3).contains(&tuple.len()) {
        return Err(bad());
    }
    let units: usize = tuple.get_item(0)?.extract().map_err(|_| bad())?;
    let name: String = tuple.get_item(1)?.extract().map_err(|_| bad())?;
    let setting = if tuple.len() == 3 {
        Some(tuple.get_item(2)?)
    } else {
        None
    };
    if name == "maxout" {
        let pieces = match setting {
            Some(pieces) => pieces.extract::<usize>().map_err(|_| {
                PyTypeError::new_err(format!("layer {index}: maxout pieces must be an int"))
            })?,
            None => 2,
        };
        return Ok(LayerSpec::maxout(units, pieces));
    }
    let kind = activation(&name)?;
    match setting {
        None => Ok(LayerSpec::dense(units, kind)),
        Some(value) => {
            if !matches!(kind, ActivationKind::LeakyRelu | ActivationKind::Elu) {
                return Err(PyValueError::new_err(format!(
                    "layer {index}: {name} takes no setting (only leaky_relu's slope and elu's alpha)"
                )));
            }
            let value: f32 = value.extract().map_err(|_| {
                PyTypeError::new_err(format!("layer {index}: the setting must be a float"))
            })?;
            Ok(LayerSpec::dense_with(units, kind, value))
        }
    }
}

/// A layer list `[inputs, layer, layer, ...]`, checked by
/// [`Topology::new`]: the input width and the layers.
pub(crate) fn layers(list: &Bound<'_, PyAny>) -> PyResult<(usize, Vec<LayerSpec>)> {
    if list.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "layers must be a list like [64, (32, \"tanh\"), (10, \"identity\")]",
        ));
    }
    let mut items = list.try_iter()?;
    let inputs: usize = match items.next() {
        Some(first) => first?.extract().map_err(|_| {
            PyTypeError::new_err("the first entry of the layer list is the input width (an int)")
        })?,
        None => return Err(PyValueError::new_err("the layer list is empty")),
    };
    let mut specs = Vec::new();
    for (index, item) in items.enumerate() {
        specs.push(layer(&item?, index)?);
    }
    Topology::new(inputs, &specs).map_err(error::core)?;
    Ok((inputs, specs))
}

/// The Python form of a layer list, as [`layers`] reads it back: the input
/// width, then `(units, activation)`, `(units, activation, setting)` for
/// leaky ReLU and ELU, `(units, "maxout", pieces)`.
pub(crate) fn layers_object<'py>(
    py: Python<'py>,
    inputs: usize,
    specs: &[LayerSpec],
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let mut list = vec![inputs.into_pyobject(py)?.into_any()];
    for spec in specs {
        let item = if spec.is_maxout() {
            (spec.units, "maxout", spec.pieces)
                .into_pyobject(py)?
                .into_any()
        } else if matches!(
            spec.activation,
            ActivationKind::LeakyRelu | ActivationKind::Elu
        ) {
            (spec.units, spec.activation.name(), shortest(spec.parameter))
                .into_pyobject(py)?
                .into_any()
        } else {
            (spec.units, spec.activation.name())
                .into_pyobject(py)?
                .into_any()
        };
        list.push(item);
    }
    Ok(list)
}

/// The f64 that prints as the shortest decimal of `value` (`0.1`, not
/// `0.10000000149011612`) and converts back to the same f32.
pub(crate) fn shortest(value: f32) -> f64 {
    value.to_string().parse().unwrap_or(f64::from(value))
}

/// A loss by name: `"mse"` (`"mean_squared_error"`), `"softmax_cross_entropy"`
/// (`"cross_entropy"`), `"sigmoid_bce"` (`"sigmoid_binary_cross_entropy"`,
/// `"bce"`: on logits, PyTorch's `BCEWithLogitsLoss`),
/// `"soft_target_cross_entropy"` (probability rows as targets) and
/// `"binary_cross_entropy"` (on sigmoid outputs, PyTorch's `BCELoss`).
pub(crate) fn loss(name: &str) -> PyResult<LossKind> {
    match name {
        "mse" | "mean_squared_error" => Ok(LossKind::MeanSquaredError),
        "softmax_cross_entropy" | "cross_entropy" => Ok(LossKind::SoftmaxCrossEntropy),
        "sigmoid_bce" | "sigmoid_binary_cross_entropy" | "bce" => {
            Ok(LossKind::SigmoidBinaryCrossEntropy)
        }
        "soft_target_cross_entropy" => Ok(LossKind::SoftTargetCrossEntropy),
        "binary_cross_entropy" => Ok(LossKind::BinaryCrossEntropy),
        _ => Err(PyValueError::new_err(format!(
            "unknown loss {name:?}: use \"mse\", \"softmax_cross_entropy\", \"sigmoid_bce\", \
             \"soft_target_cross_entropy\" or \"binary_cross_entropy\""
        ))),
    }
}

/// The canonical name of a loss (what [`loss`] reads).
pub(crate) fn loss_name(loss: LossKind) -> &'static str {
    match loss {
        LossKind::MeanSquaredError => "mse",
        LossKind::SoftmaxCrossEntropy => "softmax_cross_entropy",
        LossKind::SigmoidBinaryCrossEntropy => "sigmoid_bce",
        LossKind::SoftTargetCrossEntropy => "soft_target_cross_entropy",
        LossKind::BinaryCrossEntropy => "binary_cross_entropy",
    }
}

/// An initialisation: a name (`"xavier"`, `"glorot_uniform"`,
/// `"glorot_normal"`, `"he_normal"`, `"he_uniform"`) or a tuple
/// `("constant", value)`, `("normal", mean, std)`, `("uniform", limit)`.
pub(crate) fn init(scheme: &Bound<'_, PyAny>) -> PyResult<Init> {
    let bad = || {
        PyValueError::new_err(format!(
            "unknown initialisation {scheme}: use \"xavier\", \"glorot_uniform\", \"glorot_normal\", \
             \"he_normal\", \"he_uniform\", (\"constant\", value), (\"normal\", mean, std) or (\"uniform\", limit)"
        ))
    };
    if let Ok(name) = scheme.extract::<String>() {
        return match name.as_str() {
            "xavier" => Ok(Init::Xavier),
            "glorot_uniform" => Ok(Init::GlorotUniform),
            "glorot_normal" => Ok(Init::GlorotNormal),
            "he_normal" => Ok(Init::HeNormal),
            "he_uniform" => Ok(Init::HeUniform),
            _ => Err(bad()),
        };
    }
    let tuple = scheme.cast::<PyTuple>().map_err(|_| bad())?;
    let name: String = tuple.get_item(0).map_err(|_| bad())?.extract()?;
    let numbers: Vec<f32> = tuple
        .iter()
        .skip(1)
        .map(|v| v.extract::<f32>())
        .collect::<PyResult<_>>()?;
    let init = match (name.as_str(), numbers.as_slice()) {
        ("constant", &[value]) => Init::Constant(value),
        ("normal", &[mean, std]) => Init::Normal { mean, std },
        ("uniform", &[limit]) => Init::Uniform { limit },
        _ => return Err(bad()),
    };
    if numbers.iter().any(|v| !v.is_finite()) {
        return Err(PyValueError::new_err(format!(
            "initialisation {scheme}: settings must be finite"
        )));
    }
    Ok(init)
}
