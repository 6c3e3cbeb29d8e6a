//! Checkpoints in a caller buffer: the format of `microprop::checkpoint`
//! (magic, version, layer fingerprint, values, CRC-32), so a checkpoint
//! saved from C loads in Rust and the other way round.

use microprop::checkpoint::{self, CheckpointError};
use microprop::dynamic::{LayerSpec, Network};

use crate::config::{Layer, MICROPROP_MAX_LAYERS};
use crate::model::{Model, Open, open};
use crate::raw;
use crate::status::{Status, code};

/// Writes the model's checkpoint into `buf` (weights; with
/// `with_training` = 1 also the optimizer state and the step count, so
/// training resumes exactly) and its length to `written` (unless NULL).
/// `buf_len` must be at least `checkpoint_bytes` (or
/// `training_checkpoint_bytes`) of `microprop_buffer_sizes`.
///
/// # Safety
/// `model` as for `microprop_init_weights`; `buf` must point at `buf_len`
/// writable bytes and `written` be NULL or writable, neither overlapping
/// the model's buffers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_checkpoint_save(
    model: *mut Model,
    buf: *mut u8,
    buf_len: usize,
    with_training: u8,
    written: *mut usize,
) -> Status {
    let result = (|| {
        // SAFETY: passed on from this function's contract.
        let open = unsafe { open(model)? };
        let buf_region = raw::region(buf.cast_const(), buf_len)?;
        let written_region = raw::optional(written.cast_const())?;
        raw::disjoint(&[buf_region, written_region], &open.regions)?;
        raw::disjoint(&[buf_region], &[written_region])?;
        // SAFETY: checked (NULL, alignment, length, no overlap); the caller
        // guarantees `buf_len` writable bytes.
        let buf = unsafe { raw::slice_mut(buf, buf_len)? };
        let len = save(open, buf, with_training)?;
        // SAFETY: checked aligned and outside everything written; the
        // caller guarantees it is writable (or NULL).
        unsafe { raw::put(written, len) }
    })();
    code(result)
}

/// Encodes the checkpoint of an open model into `buf`; returns its length.
pub(crate) fn save(open: Open<'_>, buf: &mut [u8], with_training: u8) -> Result<usize, Status> {
    let training = flag(with_training)?;
    let steps = open.steps();
    let topology = open.plan.topology()?;
    let needed = if training {
        open.plan.sizes.training_checkpoint_bytes
    } else {
        open.plan.sizes.checkpoint_bytes
    };
    if buf.len() < needed {
        return Err(Status::BufferTooSmall);
    }
    let net = Network::new(topology, open.slices.params)?;
    let len = if training {
        if !open.plan.trainable() {
            return Err(Status::NotTrainable);
        }
        checkpoint::save_network_training(&net, open.slices.optimizer_state, steps, buf)?
    } else {
        checkpoint::save_network(&net, buf)?
    };
    Ok(len)
}

/// Loads a checkpoint from `buf` into the model: the weights, and with
/// `with_training` = 1 also the optimizer state and step count (the
/// checkpoint must hold them, for the same optimizer). The checkpoint
/// must be for the same layers (widths, activations, settings, pieces);
/// it is verified (length, magic, version, CRC-32, layers, finiteness)
/// before anything is written, so a refused checkpoint changes nothing.
/// Any checkpoint of the Rust API for the same layers loads, and a
/// weights-only load also reads a training checkpoint.
///
/// # Safety
/// `model` as for `microprop_init_weights`; `buf` must point at `buf_len`
/// readable bytes not overlapping the model's buffers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_checkpoint_load(
    model: *mut Model,
    buf: *const u8,
    buf_len: usize,
    with_training: u8,
) -> Status {
    let result = (|| {
        // SAFETY: passed on from this function's contract.
        let open = unsafe { open(model)? };
        raw::disjoint(&[raw::region(buf, buf_len)?], &open.regions)?;
        // SAFETY: checked (NULL, alignment, length, no overlap); the caller
        // guarantees `buf_len` readable bytes.
        let buf = unsafe { raw::slice(buf, buf_len)? };
        load(open, buf, with_training)
    })();
    code(result)
}

/// Loads a checkpoint from `buf` into an open model.
pub(crate) fn load(open: Open<'_>, buf: &[u8], with_training: u8) -> Result<(), Status> {
    let training = flag(with_training)?;
    let Open {
        model,
        plan,
        slices,
        ..
    } = open;
    let topology = plan.topology()?;
    let mut net = Network::new(topology, slices.params)?;
    if training {
        if !plan.trainable() {
            return Err(Status::NotTrainable);
        }
        let mut steps = 0;
        checkpoint::load_network_training(&mut net, slices.optimizer_state, &mut steps, buf)?;
        model.set_steps(steps);
    } else {
        checkpoint::load_network(&mut net, buf)?;
    }
    Ok(())
}

/// A C flag: 0 or 1.
fn flag(value: u8) -> Result<bool, Status> {
    match value {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Status::InvalidArgument),
    }
}

/// Reads the layer list a checkpoint was saved for (after checking its
/// length, magic, version and CRC-32), to describe the matching model
/// before loading it: writes the input width to `inputs`, the number of
/// layers to `layer_count` and the layers to the front of `layers`
/// (`capacity` entries; `MICROPROP_MAX_LAYERS` always suffice).
///
/// # Safety
/// `buf` must point at `buf_len` readable bytes, `layers` at `capacity`
/// writable layers, `inputs` and `layer_count` be writable; the outputs
/// must not overlap `buf` or each other.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_checkpoint_layers(
    buf: *const u8,
    buf_len: usize,
    layers: *mut Layer,
    capacity: usize,
    inputs: *mut u32,
    layer_count: *mut u32,
) -> Status {
    let result = (|| {
        let buf_region = raw::region(buf, buf_len)?;
        let outputs = [
            raw::region(layers.cast_const(), capacity)?,
            raw::one(inputs.cast_const())?,
            raw::one(layer_count.cast_const())?,
        ];
        raw::pairwise_disjoint(&outputs)?;
        raw::disjoint(&[buf_region], &outputs)?;
        // SAFETY: checked (NULL, alignment, length, no overlap with the
        // outputs); the caller guarantees `buf_len` readable bytes.
        let buf = unsafe { raw::slice(buf, buf_len)? };
        let mut specs =
            [LayerSpec::dense(1, microprop::ActivationKind::Identity); MICROPROP_MAX_LAYERS];
        let (width, depth) = checkpoint::layers(buf, &mut specs).map_err(|e| match e {
            CheckpointError::BufferTooSmall { .. } => Status::TooManyLayers,
            other => Status::from(other),
        })?;
        if depth > capacity {
            return Err(Status::BufferTooSmall);
        }
        let width = u32::try_from(width).map_err(|_| Status::CheckpointMalformed)?;
        let count = u32::try_from(depth).map_err(|_| Status::CheckpointMalformed)?;
        let mut described = [crate::config::microprop_maxout(0, 0); MICROPROP_MAX_LAYERS];
        for (slot, spec) in described.iter_mut().zip(specs.iter().take(depth)) {
            *slot = Layer::from_spec(spec).map_err(|_| Status::CheckpointMalformed)?;
        }
        // SAFETY: checked (NULL, alignment, `capacity` ≥ `depth`, no
        // overlap); the caller guarantees `capacity` writable layers.
        let out = unsafe { raw::slice_mut(layers, depth)? };
        for (slot, layer) in out.iter_mut().zip(described.iter()) {
            *slot = *layer;
        }
        // SAFETY: checked; the caller guarantees it is writable.
        unsafe { raw::put(inputs, width)? };
        // SAFETY: checked; the caller guarantees it is writable.
        unsafe { raw::put(layer_count, count) }
    })();
    code(result)
}
