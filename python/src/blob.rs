//! Checkpoint bytes: `microprop::checkpoint` over owned buffers, and
//! where the bytes come from (a path or a bytes-like object).

use std::path::PathBuf;

use microprop::checkpoint::{self, CheckpointError};
use microprop::dynamic::{LayerSpec, Network, Topology};
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyPermissionError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes};

/// Offset of the flags (u16, little-endian) in the checkpoint header.
const FLAGS: usize = 6;
/// The flag of a checkpoint that holds optimizer state and step count.
const FLAG_OPTIMIZER: u16 = 1;

/// The checkpoint of `params` (with `optimizer`'s state and step count,
/// if given): the bytes `checkpoint::save_network` /
/// `save_network_training` write.
pub(crate) fn encode(
    topology: Topology<'_>,
    params: &mut [f32],
    optimizer: Option<(&[f32], u32)>,
) -> Result<Vec<u8>, CheckpointError> {
    let net = Network::new(topology, params).map_err(|_| CheckpointError::Malformed)?;
    let mut blob = vec![0; checkpoint::network_len(&topology, optimizer.map(|(s, _)| s.len()))];
    let len = match optimizer {
        Some((state, steps)) => checkpoint::save_network_training(&net, state, steps, &mut blob)?,
        None => checkpoint::save_network(&net, &mut blob)?,
    };
    blob.truncate(len);
    Ok(blob)
}

/// The input width and layer list a checkpoint was saved for (after its
/// length, magic, version and CRC are verified).
pub(crate) fn layers(blob: &[u8]) -> Result<(usize, Vec<LayerSpec>), CheckpointError> {
    let mut specs = vec![LayerSpec::dense(1, microprop::ActivationKind::Identity); 16];
    let (inputs, depth) = match checkpoint::layers(blob, &mut specs) {
        Err(CheckpointError::BufferTooSmall { needed, .. }) => {
            specs.resize(needed, specs[0]);
            checkpoint::layers(blob, &mut specs)?
        }
        other => other?,
    };
    specs.truncate(depth);
    Ok((inputs, specs))
}

/// Whether a (verified) checkpoint holds optimizer state and a step
/// count: flag 1 of its header. (The core has no accessor for the flags;
/// `checkpoint::inspect` returns the architecture only.)
pub(crate) fn holds_optimizer_state(blob: &[u8]) -> bool {
    blob.get(FLAGS..FLAGS + 2)
        .is_some_and(|b| u16::from_le_bytes([b[0], b[1]]) & FLAG_OPTIMIZER != 0)
}

/// The bytes of `source`: a bytes-like object (`bytes`, `bytearray`), or
/// a path (`str` or `os.PathLike`) to read.
pub(crate) fn read(source: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(bytes) = source.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    if let Ok(array) = source.cast::<PyByteArray>() {
        return Ok(array.to_vec());
    }
    let path: PathBuf = source.extract().map_err(|_| {
        PyTypeError::new_err("a checkpoint comes from bytes or a path (str or os.PathLike)")
    })?;
    std::fs::read(&path).map_err(|e| io_error(&path, e))
}

/// Writes `blob` to `path`.
pub(crate) fn write(path: &Bound<'_, PyAny>, blob: &[u8]) -> PyResult<()> {
    let path: PathBuf = path
        .extract()
        .map_err(|_| PyTypeError::new_err("path must be a str or os.PathLike"))?;
    std::fs::write(&path, blob).map_err(|e| io_error(&path, e))
}

/// An I/O error as Python's exception of that kind, naming the path.
fn io_error(path: &std::path::Path, error: std::io::Error) -> PyErr {
    let message = format!("{}: {error}", path.display());
    match error.kind() {
        std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(message),
        std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(message),
        _ => PyOSError::new_err(message),
    }
}
