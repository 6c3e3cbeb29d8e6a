//! The frozen backbone handle: the front layers of a pretrained network
//! over **read-only** parameters (a `const` array in flash is fine), which
//! map a batch to the rows a head `microprop_model` trains on
//! (`microprop::dynamic::Backbone`).
//!
//! Contract, as for a model: `microprop_backbone_init` checks the layer
//! list, the parameters (length, finiteness) and the buffers (NULL,
//! alignment, length, overlaps) once and keeps a copy of the layer list in
//! the caller's [`Backbone`]; `microprop_backbone_features` checks the
//! handle (magic, layer list, buffer lengths) and its own pointers again,
//! then computes the bits of the typed `Frozen` front. The parameters are
//! only ever read; a call that returns an error has written no output.

use microprop::dynamic::Backbone as CoreBackbone;

use crate::config::{Layer, MICROPROP_MAX_LAYERS};
use crate::layers::LayerList;
use crate::raw::{self, Region};
use crate::status::{Status, code};

/// `"MPBB"`: the first word of a set-up [`Backbone`].
const MAGIC: u32 = u32::from_le_bytes(*b"MPBB");

/// A backbone to set up: the input width and its layers (the front layers
/// of the pretrained network, as its `microprop_config` lists them).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct BackboneConfig {
    /// Input width (features per row), at least 1.
    pub inputs: u32,
    /// Number of layers, 1..=`MICROPROP_MAX_LAYERS`.
    pub layer_count: u32,
    /// The layers, front to back (copied by `microprop_backbone_init`).
    pub layers: *const Layer,
}

/// The length of every buffer a backbone reads or writes, in elements of
/// each buffer's type; 0 means the buffer is not needed (NULL is fine).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BackboneSizes {
    /// Input width.
    pub inputs: usize,
    /// Output width: the `inputs` of the head model.
    pub outputs: usize,
    /// Floats of the (read-only) weights and biases: the first `params`
    /// values of the pretrained network's parameters.
    pub params: usize,
    /// Floats of the workspace: two rows of the widest layer (or the
    /// input), `MICROPROP_SCRATCH_LEN(widest, 0)`.
    pub scratch: usize,
    /// Bytes of maxout winners for one row (0 without maxout layers).
    pub scratch_winners: usize,
}

/// The caller-owned memory of a backbone. `params` is only read (it may
/// be a `const` array in flash); `scratch` and `scratch_winners` belong to
/// the backbone while it is used. Lengths are in elements and must be at
/// least `microprop_backbone_buffer_sizes` says; only that many are used. No two
/// may overlap.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackboneBuffers {
    /// The pretrained weights and biases of the layers, laid out as a
    /// model's `params` (layer by layer, weights input-major, then biases):
    /// the parameter array of the whole pretrained model works, its first
    /// `params` values being the front layers'.
    pub params: *const f32,
    /// Length of `params`.
    pub params_len: usize,
    /// The workspace.
    pub scratch: *mut f32,
    /// Length of `scratch`.
    pub scratch_len: usize,
    /// Maxout winners of one row.
    pub scratch_winners: *mut u8,
    /// Length of `scratch_winners`.
    pub scratch_winners_len: usize,
}

/// A frozen backbone: its layer list and the caller's buffers. Declare one
/// (a `static` is fine) and set it up with `microprop_backbone_init`;
/// treat its fields as private (they are in the header only so that C
/// knows its size and alignment). It holds no pointer to itself.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Backbone {
    magic: u32,
    inputs: u32,
    layer_count: u32,
    layers: [Layer; MICROPROP_MAX_LAYERS],
    buffers: BackboneBuffers,
}

/// No layer.
const NO_LAYER: Layer = Layer {
    units: 0,
    pieces: 0,
    activation: 0,
    reserved: 0,
    parameter: 0.0,
};

impl Default for Backbone {
    /// Not set up: `microprop_backbone_features` refuses it with
    /// `Status::NotInitialized`.
    fn default() -> Self {
        Backbone {
            magic: 0,
            inputs: 0,
            layer_count: 0,
            layers: [NO_LAYER; MICROPROP_MAX_LAYERS],
            buffers: BackboneBuffers {
                params: core::ptr::null(),
                params_len: 0,
                scratch: core::ptr::null_mut(),
                scratch_len: 0,
                scratch_winners: core::ptr::null_mut(),
                scratch_winners_len: 0,
            },
        }
    }
}

/// A backbone's checked description and the sizes of its buffers.
struct Plan {
    list: LayerList,
    sizes: BackboneSizes,
}

impl Plan {
    /// Checks `layers` behind `inputs` and sizes the buffers.
    ///
    /// # Errors
    /// [`Status::TooManyLayers`], [`Status::InvalidLayer`],
    /// [`Status::BufferTooSmall`] for a workspace whose size overflows.
    fn new(inputs: u32, layers: &[Layer]) -> Result<Plan, Status> {
        let list = LayerList::new(inputs, layers)?;
        let topology = list.topology()?;
        let scratch = list.widest().checked_mul(2).ok_or(Status::BufferTooSmall)?;
        let sizes = BackboneSizes {
            inputs: topology.inputs(),
            outputs: topology.outputs(),
            params: topology.params_len(),
            scratch,
            scratch_winners: topology.scratch_winners_len(),
        };
        Ok(Plan { list, sizes })
    }
}

/// The checked description of `config`.
///
/// # Safety
/// `config` must be NULL or point at a `microprop_backbone_config` whose
/// `layers` points at `layer_count` layers.
unsafe fn plan_of(config: *const BackboneConfig) -> Result<(Plan, BackboneConfig), Status> {
    // SAFETY: the caller guarantees a readable config.
    let config = unsafe { *raw::get(config)? };
    if config.layer_count as usize > MICROPROP_MAX_LAYERS {
        return Err(Status::TooManyLayers);
    }
    // SAFETY: the caller guarantees `layers` points at `layer_count` layers.
    let layers = unsafe { raw::slice(config.layers, config.layer_count as usize)? };
    Ok((Plan::new(config.inputs, layers)?, config))
}

impl Backbone {
    /// The description, checked again, with the buffers' lengths.
    fn plan(&self) -> Result<Plan, Status> {
        if self.magic != MAGIC {
            return Err(Status::NotInitialized);
        }
        let layers = self
            .layers
            .get(..self.layer_count as usize)
            .ok_or(Status::NotInitialized)?;
        let plan = Plan::new(self.inputs, layers).map_err(|_| Status::NotInitialized)?;
        let (b, s) = (&self.buffers, &plan.sizes);
        let lengths = [
            (b.params_len, s.params),
            (b.scratch_len, s.scratch),
            (b.scratch_winners_len, s.scratch_winners),
        ];
        if lengths.iter().any(|(given, needed)| given != needed) {
            return Err(Status::NotInitialized);
        }
        Ok(plan)
    }

    /// The regions of the backbone's read-only parameters, and of its
    /// writable memory (the workspace and the struct itself).
    fn regions(&self) -> Result<(Region, [Region; 3]), Status> {
        let b = &self.buffers;
        Ok((
            raw::region(b.params, b.params_len)?,
            [
                raw::region(b.scratch.cast_const(), b.scratch_len)?,
                raw::region(b.scratch_winners.cast_const(), b.scratch_winners_len)?,
                raw::one(self as *const Backbone)?,
            ],
        ))
    }
}

/// Fills `sizes` with the length of every buffer the backbone `config`
/// describes needs.
///
/// # Safety
/// `config` must point at a `microprop_backbone_config` whose `layers`
/// points at `layer_count` layers; `sizes` must be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_backbone_buffer_sizes(
    config: *const BackboneConfig,
    sizes: *mut BackboneSizes,
) -> Status {
    // SAFETY: passed on from this function's contract.
    code(unsafe { plan_of(config) }.and_then(|(plan, _)| {
        raw::one(sizes.cast_const())?;
        // SAFETY: checked not NULL and aligned; the caller guarantees it is
        // writable.
        unsafe { raw::put(sizes, plan.sizes) }
    }))
}

/// Sets up `backbone` for the layers `config` describes over `buffers`:
/// checks the description, every buffer and every parameter (a NaN or
/// infinite weight is refused with `MICROPROP_STATUS_NON_FINITE_INPUT`),
/// and keeps a copy of the layer list (the caller's `config` and layer
/// array need not outlive the call). The parameters are never written.
/// On an error `backbone` is not written.
///
/// # Safety
/// `backbone` must be writable; `config` as for
/// `microprop_backbone_buffer_sizes`; `buffers` readable, each of its buffers
/// valid for its length. From now on, until the backbone is no longer
/// used, `params` must stay valid and unwritten, and `scratch` and
/// `scratch_winners` belong to the backbone (nothing else may read or
/// write them). Calls on the same backbone must not run at the same time.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_backbone_init(
    backbone: *mut Backbone,
    config: *const BackboneConfig,
    buffers: *const BackboneBuffers,
) -> Status {
    let result = (|| {
        let backbone_region = raw::one(backbone.cast_const())?;
        // SAFETY: passed on from this function's contract.
        let (plan, config) = unsafe { plan_of(config)? };
        // SAFETY: the caller guarantees a readable `BackboneBuffers`.
        let given = unsafe { *raw::get(buffers)? };
        let sizes = plan.sizes;
        let fits = [
            (given.params_len, sizes.params),
            (given.scratch_len, sizes.scratch),
            (given.scratch_winners_len, sizes.scratch_winners),
        ];
        if fits.iter().any(|(given, needed)| given < needed) {
            return Err(Status::BufferTooSmall);
        }
        let checked = BackboneBuffers {
            params: given.params,
            params_len: sizes.params,
            scratch: given.scratch,
            scratch_len: sizes.scratch,
            scratch_winners: given.scratch_winners,
            scratch_winners_len: sizes.scratch_winners,
        };
        raw::pairwise_disjoint(&[
            raw::region(checked.params, checked.params_len)?,
            raw::region(checked.scratch.cast_const(), checked.scratch_len)?,
            raw::region(
                checked.scratch_winners.cast_const(),
                checked.scratch_winners_len,
            )?,
            backbone_region,
        ])?;
        // SAFETY: checked (NULL, alignment, length); the caller guarantees
        // `params_len` readable floats that nothing writes.
        let params = unsafe { raw::slice(checked.params, checked.params_len)? };
        if !params.iter().all(|v| v.is_finite()) {
            return Err(Status::NonFiniteInput);
        }
        let mut layers = [NO_LAYER; MICROPROP_MAX_LAYERS];
        // SAFETY: checked by `plan_of` (count and pointer).
        let given_layers = unsafe { raw::slice(config.layers, config.layer_count as usize)? };
        for (slot, layer) in layers.iter_mut().zip(given_layers) {
            *slot = *layer;
        }
        let state = Backbone {
            magic: MAGIC,
            inputs: config.inputs,
            layer_count: config.layer_count,
            layers,
            buffers: checked,
        };
        // SAFETY: checked not NULL and aligned; the caller guarantees it is
        // writable, and it overlaps none of the buffers (checked).
        unsafe { raw::put(backbone, state) }
    })();
    code(result)
}

/// Computes the backbone's outputs for the rows of `x` (`x_len` a
/// non-zero multiple of the input width) into `out` (`out_len` at least
/// rows × output width; only that many are written): the rows a head
/// `microprop_model` whose `inputs` is the backbone's output width trains
/// on (`microprop_train_labels(&head, out, ...)`), with the bits of the
/// same layers frozen in front of the head in one network.
///
/// # Errors
/// The pointer checks, `MICROPROP_STATUS_NOT_INITIALIZED`,
/// `..._EMPTY_BATCH`, `..._INPUT_LENGTH`, `..._BUFFER_TOO_SMALL`,
/// `..._NON_FINITE_INPUT` (a NaN or infinite input in any row): `out` is
/// unchanged then.
///
/// # Safety
/// `backbone` must be a backbone set up by `microprop_backbone_init`
/// whose buffers are still valid and used by no other call meanwhile; `x`
/// must point at `x_len` readable floats and `out` at `out_len` writable
/// floats, `out` overlapping nothing else, `x` not the backbone's
/// workspace.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_backbone_features(
    backbone: *mut Backbone,
    x: *const f32,
    x_len: usize,
    out: *mut f32,
    out_len: usize,
) -> Status {
    let result = (|| {
        // SAFETY: the caller guarantees a valid `Backbone` (any bit pattern
        // of its plain fields is valid; `plan` checks the magic).
        let backbone = unsafe { raw::get(backbone.cast_const())? };
        let plan = backbone.plan()?;
        let (params_region, writable) = backbone.regions()?;
        let sizes = plan.sizes;
        let rows = x_len.checked_div(sizes.inputs).ok_or(Status::Internal)?;
        if rows.checked_mul(sizes.inputs) != Some(x_len) {
            return Err(Status::InputLength);
        }
        if rows == 0 {
            return Err(Status::EmptyBatch);
        }
        let needed = rows
            .checked_mul(sizes.outputs)
            .ok_or(Status::BufferTooSmall)?;
        if out_len < needed {
            return Err(Status::BufferTooSmall);
        }
        let x_region = raw::region(x, x_len)?;
        let out_region = raw::region(out.cast_const(), needed)?;
        raw::disjoint(&[x_region, out_region], &writable)?;
        raw::disjoint(&[out_region], &[x_region, params_region])?;
        let b = &backbone.buffers;
        // SAFETY: checked by `microprop_backbone_init` and `plan` (pointer,
        // length); the caller guarantees it is valid and unwritten.
        let params = unsafe { raw::slice(b.params, b.params_len)? };
        // SAFETY: as for `params`; the workspace is the backbone's alone
        // and overlaps nothing else (checked at init and above).
        let scratch = unsafe { raw::slice_mut(b.scratch, b.scratch_len)? };
        // SAFETY: as for `scratch`.
        let winners = unsafe { raw::slice_mut(b.scratch_winners, b.scratch_winners_len)? };
        // SAFETY: checked (NULL, alignment, length, no overlap); the caller
        // guarantees `x_len` readable floats.
        let x = unsafe { raw::slice(x, x_len)? };
        // SAFETY: as for `x`, writable and overlapping nothing else.
        let out = unsafe { raw::slice_mut(out, needed)? };
        let topology = plan.list.topology()?;
        CoreBackbone::new(topology, params)?.features(x, scratch, winners, out)?;
        Ok(())
    })();
    code(result)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::config::{microprop_dense, microprop_maxout};
    use microprop::ActivationKind;

    #[test]
    fn sizes_are_the_topologys() {
        let layers = [
            microprop_maxout(7, 2),
            microprop_dense(3, ActivationKind::Relu.code()),
        ];
        let config = BackboneConfig {
            inputs: 5,
            layer_count: 2,
            layers: layers.as_ptr(),
        };
        let mut sizes = BackboneSizes::default();
        // SAFETY: a valid config and output.
        let status = unsafe { microprop_backbone_buffer_sizes(&config, &mut sizes) };
        assert_eq!(status, Status::Ok);
        assert_eq!(
            sizes,
            BackboneSizes {
                inputs: 5,
                outputs: 3,
                params: 6 * 7 * 2 + 8 * 3,
                scratch: 14,
                scratch_winners: 7,
            }
        );
    }
}
