//! numpy arrays in: float32 rows read in place when C-contiguous (copied
//! otherwise), integer labels, value targets; each checked once, with the
//! sample index in the message, before anything is computed.

use microprop::Error;
use numpy::{PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyReadonlyArrayDyn};
use numpy::{PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

use crate::error;

/// A shape as Python writes it: `(10, 32)`, `(5,)`, `()`.
pub(crate) fn shape_text(shape: &[usize]) -> String {
    match shape {
        [one] => format!("({one},)"),
        _ => {
            let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
            format!("({})", dims.join(", "))
        }
    }
}

/// float32 values: a read-only borrow of the caller's array, or a copy of
/// a non-contiguous one.
pub(crate) enum Floats<'py> {
    Borrowed(PyReadonlyArrayDyn<'py, f32>),
    Owned(Vec<f32>),
}

impl Floats<'_> {
    /// The values in C order.
    pub(crate) fn as_slice(&self) -> &[f32] {
        match self {
            Floats::Borrowed(array) => array.as_slice().unwrap_or(&[]),
            Floats::Owned(values) => values,
        }
    }
}

/// A float32 array and its shape.
pub(crate) struct FloatArray<'py> {
    pub(crate) values: Floats<'py>,
    pub(crate) shape: Vec<usize>,
}

/// `object` as a float32 ndarray. A C-contiguous array is borrowed, not
/// copied.
///
/// # Errors
/// `TypeError` for anything but a float32 ndarray (with the cast to make).
pub(crate) fn floats<'py>(object: &Bound<'py, PyAny>, name: &str) -> PyResult<FloatArray<'py>> {
    let py = object.py();
    let untyped = object.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{name} must be a numpy.ndarray of float32, not {}",
            object
                .get_type()
                .name()
                .map_or_else(|_| "?".into(), |n| n.to_string())
        ))
    })?;
    let dtype = untyped.dtype();
    if !dtype.is_equiv_to(&numpy::dtype::<f32>(py)) {
        return Err(PyTypeError::new_err(format!(
            "{name} has dtype {dtype}; microprop computes in float32: pass {name}.astype(numpy.float32)"
        )));
    }
    let array = untyped.cast::<PyArrayDyn<f32>>()?;
    let shape = array.shape().to_vec();
    let readonly = array
        .try_readonly()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    // `as_slice` also accepts Fortran order, whose memory is not row after
    // row: only a C-contiguous array is read in place.
    let values = if array.is_c_contiguous() && readonly.as_slice().is_ok() {
        Floats::Borrowed(readonly)
    } else {
        Floats::Owned(readonly.as_array().iter().copied().collect())
    };
    Ok(FloatArray { values, shape })
}

/// Rows of `width` floats: a 2-D array `(n, width)`, or with `single` a
/// 1-D array `(width,)` as one row. Returns the array and whether it was
/// one 1-D row.
///
/// # Errors
/// `TypeError` as [`floats`], `ValueError` for another shape,
/// [`MicropropError`](crate::error::MicropropError) for a non-finite value
/// (naming its row).
pub(crate) fn rows<'py>(
    object: &Bound<'py, PyAny>,
    name: &str,
    width: usize,
    single: bool,
) -> PyResult<(FloatArray<'py>, bool)> {
    let array = floats(object, name)?;
    let one = match array.shape.as_slice() {
        [_, w] if *w == width => false,
        [w] if single && *w == width => true,
        shape => {
            let wanted = if single {
                format!("(n, {width}) or ({width},)")
            } else {
                format!("(n, {width})")
            };
            return Err(PyValueError::new_err(format!(
                "{name} has shape {}; the network takes {wanted}",
                shape_text(shape)
            )));
        }
    };
    if let Some(row) = first_non_finite(array.values.as_slice(), width) {
        return Err(error::core(Error::NonFiniteInput { row }));
    }
    Ok((array, one))
}

/// The first row of `width` values holding a NaN or infinity.
fn first_non_finite(values: &[f32], width: usize) -> Option<usize> {
    values
        .iter()
        .position(|v| !v.is_finite())
        .map(|i| i / width.max(1))
}

/// The targets of a data set, in the form the loss takes.
pub(crate) enum TargetArray<'py> {
    /// One class label per row.
    Labels(Vec<usize>),
    /// One row of `outputs` values per row.
    Values(FloatArray<'py>),
}

/// Class labels: a 1-D array of `rows` integers in `0..classes`.
///
/// # Errors
/// `TypeError` for a non-integer array, `ValueError` for another shape,
/// [`MicropropError`](crate::error::MicropropError) for a label out of
/// range.
pub(crate) fn labels(
    object: &Bound<'_, PyAny>,
    rows: usize,
    classes: usize,
) -> PyResult<Vec<usize>> {
    let untyped = object
        .cast::<PyUntypedArray>()
        .map_err(|_| PyTypeError::new_err("y must be a numpy.ndarray of integer class labels"))?;
    let dtype = untyped.dtype();
    if !matches!(dtype.kind(), b'i' | b'u') {
        return Err(PyTypeError::new_err(format!(
            "y has dtype {dtype}; softmax cross-entropy takes integer class labels"
        )));
    }
    if untyped.shape() != [rows] {
        return Err(PyValueError::new_err(format!(
            "y has shape {}; {rows} rows need labels of shape ({rows},)",
            shape_text(untyped.shape())
        )));
    }
    let wide = object.call_method1("astype", ("int64",))?;
    let wide = wide.cast::<PyArrayDyn<i64>>()?.try_readonly()?;
    let mut labels = Vec::with_capacity(rows);
    for (row, &label) in wide.as_array().iter().enumerate() {
        match usize::try_from(label) {
            Ok(label) if label < classes => labels.push(label),
            _ => {
                return Err(error::refused(format!(
                    "label {label} of row {row} is out of range for {classes} classes"
                )));
            }
        }
    }
    Ok(labels)
}

/// Value targets: `(rows, outputs)` float32, or `(rows,)` for one output.
///
/// # Errors
/// As [`floats`]; `ValueError` for another shape;
/// [`MicropropError`](crate::error::MicropropError) for a non-finite
/// target.
pub(crate) fn values<'py>(
    object: &Bound<'py, PyAny>,
    rows: usize,
    outputs: usize,
) -> PyResult<FloatArray<'py>> {
    let array = floats(object, "y")?;
    let fits = match array.shape.as_slice() {
        [r, o] => *r == rows && *o == outputs,
        [r] => *r == rows && outputs == 1,
        _ => false,
    };
    if !fits {
        return Err(PyValueError::new_err(format!(
            "y has shape {}; {rows} rows of a network with {outputs} outputs need ({rows}, {outputs})",
            shape_text(&array.shape)
        )));
    }
    if let Some(row) = first_non_finite(array.values.as_slice(), outputs) {
        return Err(error::core(Error::NonFiniteTarget { row }));
    }
    Ok(array)
}
