//! Python exceptions: [`MicropropError`] for everything microprop refuses,
//! with microprop's own message.

use pyo3::PyErr;
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;

create_exception!(
    microprop,
    MicropropError,
    PyValueError,
    "microprop refused an operation (a bad layer list, non-finite data, a label out of range, a diverging step, a checkpoint for another network, ...). The message is microprop's; the model is unchanged."
);

/// A core error as a [`MicropropError`].
pub(crate) fn core(error: microprop::Error) -> PyErr {
    MicropropError::new_err(error.to_string())
}

/// A checkpoint error as a [`MicropropError`].
pub(crate) fn checkpoint(error: microprop::checkpoint::CheckpointError) -> PyErr {
    MicropropError::new_err(format!("checkpoint: {error}"))
}

/// A [`MicropropError`] with this message.
pub(crate) fn refused(message: impl Into<String>) -> PyErr {
    MicropropError::new_err(message.into())
}
