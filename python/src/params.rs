//! Parameters in from Python, checked whole before anything is written: a
//! list of arrays in `get_weights` order and shapes, or one flat array in
//! `get_params` order; and out, as that list of arrays.

use microprop::dynamic::LayerSpec;
use numpy::ndarray::{ArrayD, IxDyn};
use numpy::{IntoPyArray, PyArrayDyn};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::arrays::{self, FloatArray};
use crate::error;
use crate::run;

/// The arrays of `weights` (a list of float32 arrays, per layer its
/// weights then its biases, in the shapes [`run::blocks`] gives), each
/// checked for dtype, shape and finiteness (`what` names the network in
/// messages).
///
/// # Errors
/// `TypeError` for something not a list of float32 arrays, `ValueError`
/// for another count or shape, `MicropropError` for a NaN or infinity.
pub(crate) fn checked_blocks<'py>(
    inputs: usize,
    layers: &[LayerSpec],
    weights: &Bound<'py, PyAny>,
    what: &str,
) -> PyResult<Vec<FloatArray<'py>>> {
    let blocks = run::blocks(inputs, layers);
    let items: Vec<Bound<'py, PyAny>> = weights
        .try_iter()
        .map_err(|_| PyTypeError::new_err("weights must be a list of numpy arrays"))?
        .collect::<PyResult<_>>()?;
    if items.len() != blocks.len() {
        return Err(PyValueError::new_err(format!(
            "{} arrays given; this {what} has {} (weights and biases of {} layers)",
            items.len(),
            blocks.len(),
            layers.len()
        )));
    }
    let mut checked = Vec::with_capacity(items.len());
    for (index, (item, (_, shape))) in items.iter().zip(&blocks).enumerate() {
        let array = arrays::floats(item, &format!("weights[{index}]"))?;
        if array.shape != *shape {
            return Err(PyValueError::new_err(format!(
                "weights[{index}] has shape {}; layer {} {} needs {}",
                arrays::shape_text(&array.shape),
                index / 2,
                if index % 2 == 0 { "weights" } else { "biases" },
                arrays::shape_text(shape)
            )));
        }
        if array.values.as_slice().iter().any(|v| !v.is_finite()) {
            return Err(error::refused(format!(
                "weights[{index}] holds a NaN or infinity"
            )));
        }
        checked.push(array);
    }
    Ok(checked)
}

/// The flat parameters of a network with these layers from `weights`: a
/// list of arrays as [`checked_blocks`] takes, copied into place.
///
/// # Errors
/// As [`checked_blocks`].
pub(crate) fn from_blocks(
    inputs: usize,
    layers: &[LayerSpec],
    count: usize,
    weights: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<Vec<f32>> {
    let checked = checked_blocks(inputs, layers, weights, what)?;
    let mut params = vec![0.0; count];
    for ((offset, _), array) in run::blocks(inputs, layers).iter().zip(&checked) {
        let values = array.values.as_slice();
        params[*offset..offset + values.len()].copy_from_slice(values);
    }
    Ok(params)
}

/// `params` as one float32 array of exactly `count` finite values (`what`
/// names the network in messages: "model", "backbone").
///
/// # Errors
/// `TypeError` for anything but a float32 array, `ValueError` for another
/// shape, `MicropropError` for a NaN or infinity.
pub(crate) fn flat<'py>(
    params: &Bound<'py, PyAny>,
    count: usize,
    what: &str,
) -> PyResult<FloatArray<'py>> {
    let array = arrays::floats(params, "params")?;
    if array.shape != [count] {
        return Err(PyValueError::new_err(format!(
            "params has shape {}; this {what} has ({count},)",
            arrays::shape_text(&array.shape),
        )));
    }
    if array.values.as_slice().iter().any(|v| !v.is_finite()) {
        return Err(error::refused("params holds a NaN or infinity"));
    }
    Ok(array)
}

/// The flat parameters `params` of a network with these layers as a list
/// of float32 arrays (copies): per layer its weights, then its biases, in
/// the shapes [`run::blocks`] gives.
///
/// # Errors
/// `ValueError` if `params` is shorter than the layers need (a bug).
pub(crate) fn to_blocks<'py>(
    py: Python<'py>,
    inputs: usize,
    layers: &[LayerSpec],
    params: &[f32],
) -> PyResult<Vec<Bound<'py, PyArrayDyn<f32>>>> {
    run::blocks(inputs, layers)
        .into_iter()
        .map(|(offset, shape)| {
            let len: usize = shape.iter().product();
            let values = params
                .get(offset..offset + len)
                .ok_or_else(|| PyValueError::new_err("parameters shorter than the layers"))?
                .to_vec();
            let array = ArrayD::from_shape_vec(IxDyn(&shape), values)
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
            Ok(array.into_pyarray(py))
        })
        .collect()
}
