//! The model handle: set up over caller-owned buffers, initialised,
//! trained, evaluated and queried.
//!
//! Contract: `microprop_model_init` checks the configuration and every
//! buffer (NULL, alignment, length, overlaps) once and keeps a copy of the
//! description in the caller's [`Model`]; every later call checks the
//! handle's magic number, checks the description again (a few comparisons
//! a layer), checks its own pointers and lengths, and then runs the core's
//! run-time front end (`microprop::dynamic`), which computes the same bits
//! as the Rust API. A call that returns an error has changed no weight, no
//! optimizer state, no step count and no output.

use microprop::dynamic::{
    Buffers as CoreBuffers, FlatOptimizer, FusedBuffers, FusedTrainer, LossKind, Network, Targets,
    Topology, Trainer,
};
use microprop::{EpochStats, Schedule, Sgd, StepStats};

use crate::config::{Config, InitConfig, Layer, MICROPROP_MAX_LAYERS, with_optimizer};
use crate::plan::{Plan, Sizes};
use crate::raw::{self, Region};
use crate::status::{Status, code};

/// `"MPMD"`: the first word of a set-up [`Model`].
const MAGIC: u32 = u32::from_le_bytes(*b"MPMD");

/// The caller-owned buffers of a model: a pointer and a length (in
/// elements of the pointer's type) for each. `microprop_buffer_sizes` says how
/// long each must be at least; a buffer that is not needed (length 0 in
/// the sizes) may be NULL. `float` buffers must be 4-byte aligned, and no
/// two buffers may overlap. Their contents need not be initialised, except
/// `params` (the weights are used as they are, until
/// `microprop_init_weights` or a checkpoint sets them).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Buffers {
    /// The weights and biases, layer by layer (weights input-major, then
    /// biases), as the Rust types lay them out.
    pub params: *mut f32,
    /// Length of `params`.
    pub params_len: usize,
    /// The gradient buffer.
    pub gradients: *mut f32,
    /// Length of `gradients`.
    pub gradients_len: usize,
    /// The optimizer state (zeroed by `microprop_model_init`).
    pub optimizer_state: *mut f32,
    /// Length of `optimizer_state`.
    pub optimizer_state_len: usize,
    /// The training cache.
    pub cache: *mut f32,
    /// Length of `cache`.
    pub cache_len: usize,
    /// The inference workspace.
    pub scratch: *mut f32,
    /// Length of `scratch`.
    pub scratch_len: usize,
    /// Maxout winners of a batch.
    pub winners: *mut u8,
    /// Length of `winners`.
    pub winners_len: usize,
    /// Maxout winners of one row.
    pub scratch_winners: *mut u8,
    /// Length of `scratch_winners`.
    pub scratch_winners_len: usize,
}

impl Buffers {
    /// Nothing.
    const EMPTY: Buffers = Buffers {
        params: core::ptr::null_mut(),
        params_len: 0,
        gradients: core::ptr::null_mut(),
        gradients_len: 0,
        optimizer_state: core::ptr::null_mut(),
        optimizer_state_len: 0,
        cache: core::ptr::null_mut(),
        cache_len: 0,
        scratch: core::ptr::null_mut(),
        scratch_len: 0,
        winners: core::ptr::null_mut(),
        winners_len: 0,
        scratch_winners: core::ptr::null_mut(),
        scratch_winners_len: 0,
    };

    /// The buffers cut to exactly `sizes`, after checking each (NULL,
    /// alignment, length) and that none overlaps another or `avoid`.
    fn checked(&self, sizes: &Sizes, avoid: Region) -> Result<Buffers, Status> {
        fn part<T>(ptr: *mut T, len: usize, needed: usize) -> Result<(*mut T, Region), Status> {
            if len < needed {
                return Err(Status::BufferTooSmall);
            }
            Ok((ptr, raw::region(ptr, needed)?))
        }
        let (params, a) = part(self.params, self.params_len, sizes.params)?;
        let (gradients, b) = part(self.gradients, self.gradients_len, sizes.gradients)?;
        let (optimizer_state, c) = part(
            self.optimizer_state,
            self.optimizer_state_len,
            sizes.optimizer_state,
        )?;
        let (cache, d) = part(self.cache, self.cache_len, sizes.cache)?;
        let (scratch, e) = part(self.scratch, self.scratch_len, sizes.scratch)?;
        let (winners, f) = part(self.winners, self.winners_len, sizes.winners)?;
        let (scratch_winners, g) = part(
            self.scratch_winners,
            self.scratch_winners_len,
            sizes.scratch_winners,
        )?;
        raw::pairwise_disjoint(&[a, b, c, d, e, f, g, avoid])?;
        Ok(Buffers {
            params,
            params_len: sizes.params,
            gradients,
            gradients_len: sizes.gradients,
            optimizer_state,
            optimizer_state_len: sizes.optimizer_state,
            cache,
            cache_len: sizes.cache,
            scratch,
            scratch_len: sizes.scratch,
            winners,
            winners_len: sizes.winners,
            scratch_winners,
            scratch_winners_len: sizes.scratch_winners,
        })
    }

    /// The regions of every buffer.
    fn regions(&self) -> Result<[Region; 7], Status> {
        Ok([
            raw::region(self.params, self.params_len)?,
            raw::region(self.gradients, self.gradients_len)?,
            raw::region(self.optimizer_state, self.optimizer_state_len)?,
            raw::region(self.cache, self.cache_len)?,
            raw::region(self.scratch, self.scratch_len)?,
            raw::region(self.winners, self.winners_len)?,
            raw::region(self.scratch_winners, self.scratch_winners_len)?,
        ])
    }
}

/// The buffers of one call, as slices.
pub(crate) struct Slices<'a> {
    pub params: &'a mut [f32],
    pub gradients: &'a mut [f32],
    pub optimizer_state: &'a mut [f32],
    pub cache: &'a mut [f32],
    pub scratch: &'a mut [f32],
    pub winners: &'a mut [u8],
    pub scratch_winners: &'a mut [u8],
}

/// A model: its description and the caller's buffers. Declare one (a
/// `static` is fine) and set it up with `microprop_model_init`; treat its
/// fields as private (they are in the header only so that C knows its size
/// and alignment). It holds no pointer to itself: it may be copied or
/// moved, but two copies share the same buffers.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Model {
    magic: u32,
    steps: u32,
    config: Config,
    layers: [Layer; MICROPROP_MAX_LAYERS],
    buffers: Buffers,
}

impl Default for Model {
    /// Not set up: every call but `microprop_model_init` refuses it with
    /// `Status::NotInitialized`.
    fn default() -> Self {
        Model {
            magic: 0,
            steps: 0,
            config: Config {
                inputs: 0,
                layer_count: 0,
                layers: core::ptr::null(),
                loss: 0,
                batch: 0,
                fused: 0,
                reserved: [0; 3],
                max_grad_norm: 0.0,
                optimizer: crate::config::microprop_sgd(),
                schedule: crate::config::microprop_schedule_constant(0.0),
            },
            layers: [Layer {
                units: 0,
                pieces: 0,
                activation: 0,
                reserved: 0,
                parameter: 0.0,
            }; MICROPROP_MAX_LAYERS],
            buffers: Buffers::EMPTY,
        }
    }
}

impl Model {
    /// Sets the step count.
    pub(crate) fn set_steps(&mut self, steps: u32) {
        self.steps = steps;
    }

    /// The description, checked again.
    fn plan(&self) -> Result<Plan, Status> {
        if self.magic != MAGIC {
            return Err(Status::NotInitialized);
        }
        let count = self.config.layer_count as usize;
        let layers = self.layers.get(..count).ok_or(Status::NotInitialized)?;
        let plan = Plan::new(&self.config, layers).map_err(|_| Status::NotInitialized)?;
        let sizes = &plan.sizes;
        let b = &self.buffers;
        let lengths = [
            (b.params_len, sizes.params),
            (b.gradients_len, sizes.gradients),
            (b.optimizer_state_len, sizes.optimizer_state),
            (b.cache_len, sizes.cache),
            (b.scratch_len, sizes.scratch),
            (b.winners_len, sizes.winners),
            (b.scratch_winners_len, sizes.scratch_winners),
        ];
        if lengths.iter().any(|(given, needed)| given != needed) {
            return Err(Status::NotInitialized);
        }
        Ok(plan)
    }

    /// The regions of the model and of its buffers, which a call's own
    /// buffers must not overlap.
    fn regions(&self) -> Result<[Region; 8], Status> {
        let [a, b, c, d, e, f, g] = self.buffers.regions()?;
        Ok([a, b, c, d, e, f, g, raw::one(self as *const Model)?])
    }

    /// The buffers as slices.
    ///
    /// # Safety
    /// The buffers given to `microprop_model_init` must still be valid and
    /// not accessed elsewhere while the slices live (the contract of every
    /// function taking a model).
    unsafe fn slices<'a>(&self) -> Result<Slices<'a>, Status> {
        let b = &self.buffers;
        // Each pointer was checked by `microprop_model_init` (NULL,
        // alignment, length, no two overlapping) and `plan` checked that the
        // lengths are still those; the caller guarantees the memory is still
        // the model's alone. That is the SAFETY of each block below.
        // SAFETY: see above.
        let params = unsafe { raw::slice_mut(b.params, b.params_len)? };
        // SAFETY: see above.
        let gradients = unsafe { raw::slice_mut(b.gradients, b.gradients_len)? };
        // SAFETY: see above.
        let optimizer_state = unsafe { raw::slice_mut(b.optimizer_state, b.optimizer_state_len)? };
        // SAFETY: see above.
        let cache = unsafe { raw::slice_mut(b.cache, b.cache_len)? };
        // SAFETY: see above.
        let scratch = unsafe { raw::slice_mut(b.scratch, b.scratch_len)? };
        // SAFETY: see above.
        let winners = unsafe { raw::slice_mut(b.winners, b.winners_len)? };
        // SAFETY: see above.
        let scratch_winners = unsafe { raw::slice_mut(b.scratch_winners, b.scratch_winners_len)? };
        Ok(Slices {
            params,
            gradients,
            optimizer_state,
            cache,
            scratch,
            winners,
            scratch_winners,
        })
    }
}

/// A set-up model, its checked description and its buffers, for one call.
pub(crate) struct Open<'a> {
    pub model: &'a mut Model,
    pub plan: Plan,
    pub slices: Slices<'a>,
    /// The model and its buffers, for overlap checks of the call's buffers.
    pub regions: [Region; 8],
}

impl Open<'_> {
    /// The step count.
    pub(crate) fn steps(&self) -> u32 {
        self.model.steps
    }

    /// Sets the step count.
    pub(crate) fn set_steps(&mut self, steps: u32) {
        self.model.steps = steps;
    }
}

/// Opens `model` for a call.
///
/// # Safety
/// `model` must be NULL or point at a `Model` whose buffers are still
/// valid, and nothing else may use the model or its buffers during the
/// call.
pub(crate) unsafe fn open<'a>(model: *mut Model) -> Result<Open<'a>, Status> {
    // SAFETY: the caller guarantees a valid, unshared `Model` (any bit
    // pattern of its plain fields is valid; `plan` checks the magic).
    let model = unsafe { raw::get_mut(model)? };
    let plan = model.plan()?;
    let regions = model.regions()?;
    // SAFETY: the caller guarantees the buffers are valid and unshared.
    let slices = unsafe { model.slices()? };
    Ok(Open {
        model,
        plan,
        slices,
        regions,
    })
}

/// Fills `sizes` with the length of every buffer the model `config`
/// describes needs, and the bytes of its checkpoints.
///
/// # Safety
/// `config` must point at a `microprop_config` whose `layers` points at
/// `layer_count` layers; `sizes` must be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_buffer_sizes(
    config: *const Config,
    sizes: *mut Sizes,
) -> Status {
    // SAFETY: passed on from this function's contract.
    code(unsafe { plan_of(config) }.and_then(|plan| {
        raw::one(sizes)?;
        // SAFETY: checked not NULL and aligned; the caller guarantees it is
        // writable.
        unsafe { raw::put(sizes, plan.sizes) }
    }))
}

/// The checked description of `config`.
///
/// # Safety
/// As `microprop_buffer_sizes`.
unsafe fn plan_of(config: *const Config) -> Result<Plan, Status> {
    // SAFETY: the caller guarantees a readable `Config`.
    let config = unsafe { raw::get(config)? };
    if config.layer_count as usize > MICROPROP_MAX_LAYERS {
        return Err(Status::TooManyLayers);
    }
    // SAFETY: the caller guarantees `layers` points at `layer_count` layers.
    let layers = unsafe { raw::slice(config.layers, config.layer_count as usize)? };
    Plan::new(config, layers)
}

/// Cuts one arena of `arena_bytes` bytes at `arena` (4-byte aligned, at
/// least `microprop_buffer_sizes(..).arena_bytes` long) into the buffers the model
/// `config` describes, written to `buffers`.
///
/// # Safety
/// As `microprop_buffer_sizes`; `arena` must point at `arena_bytes` writable
/// bytes, and `buffers` must be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_buffers_from_arena(
    config: *const Config,
    arena: *mut core::ffi::c_void,
    arena_bytes: usize,
    buffers: *mut Buffers,
) -> Status {
    // SAFETY: passed on from this function's contract.
    let result = unsafe { plan_of(config) }.and_then(|plan| {
        let sizes = plan.sizes;
        raw::one(buffers)?;
        if arena_bytes < sizes.arena_bytes {
            return Err(Status::BufferTooSmall);
        }
        let arena = arena.cast::<u8>();
        // The float buffers come first: the arena must be aligned for them.
        raw::region(arena.cast::<f32>(), 1)?;
        let arena_region = raw::region(arena, arena_bytes)?;
        raw::disjoint(&[arena_region], &[raw::one(buffers)?])?;
        // Offsets in bytes: the float buffers first (4-byte aligned as the
        // arena is), then the byte buffers.
        let mut at = 0usize;
        let mut take = |len: usize, size: usize| {
            let start = at;
            at = at.saturating_add(len.saturating_mul(size));
            arena.wrapping_add(start)
        };
        let parts = Buffers {
            params: take(sizes.params, 4).cast(),
            params_len: sizes.params,
            gradients: take(sizes.gradients, 4).cast(),
            gradients_len: sizes.gradients,
            optimizer_state: take(sizes.optimizer_state, 4).cast(),
            optimizer_state_len: sizes.optimizer_state,
            cache: take(sizes.cache, 4).cast(),
            cache_len: sizes.cache,
            scratch: take(sizes.scratch, 4).cast(),
            scratch_len: sizes.scratch,
            winners: take(sizes.winners, 1),
            winners_len: sizes.winners,
            scratch_winners: take(sizes.scratch_winners, 1),
            scratch_winners_len: sizes.scratch_winners,
        };
        // SAFETY: checked not NULL and aligned; the caller guarantees it is
        // writable.
        unsafe { raw::put(buffers, parts) }
    });
    code(result)
}

/// Sets up `model` for the network `config` describes over `buffers`:
/// checks the description and every buffer, zeroes the optimizer state and
/// the step count, and keeps a copy of the description (the caller's
/// `config` and layer array need not outlive the call). The weights in
/// `buffers->params` are used as they are: set them with
/// `microprop_init_weights`, a checkpoint or `microprop_set_params`.
/// On an error `model` is not written (a model set up before stays as it
/// was).
///
/// # Safety
/// `model` must be writable; `config` as for `microprop_buffer_sizes`; `buffers`
/// readable, and each of its buffers valid for its length. The buffers
/// belong to the model from now on: until it is no longer used, nothing
/// else may read or write them (except `params` between calls), and they
/// must stay valid. A custom schedule's function must be callable with its
/// context whenever the model trains. A model is not reentrant: calls on
/// the same model must not run at the same time (other models are
/// independent).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_model_init(
    model: *mut Model,
    config: *const Config,
    buffers: *const Buffers,
) -> Status {
    let result = (|| {
        let model_region = raw::one(model.cast_const())?;
        // SAFETY: passed on from this function's contract.
        let plan = unsafe { plan_of(config)? };
        // SAFETY: the caller guarantees a readable `Buffers`.
        let given = unsafe { raw::get(buffers)? };
        let checked = given.checked(&plan.sizes, model_region)?;
        // SAFETY: as above (read before anything is written).
        let config = unsafe { *raw::get(config)? };
        let mut layers = Model::default().layers;
        // SAFETY: checked by `plan_of` (count and pointer).
        let given_layers = unsafe { raw::slice(config.layers, config.layer_count as usize)? };
        for (slot, layer) in layers.iter_mut().zip(given_layers) {
            *slot = *layer;
        }
        let mut state = Model {
            magic: MAGIC,
            steps: 0,
            config: Config {
                layers: core::ptr::null(),
                ..config
            },
            layers,
            buffers: checked,
        };
        // SAFETY: the buffers were just checked (NULL, alignment, length,
        // no overlap) and the caller hands them to the model.
        let slices = unsafe { state.slices()? };
        slices.optimizer_state.fill(0.0);
        state.steps = 0;
        // SAFETY: checked not NULL and aligned; the caller guarantees it is
        // writable, and it overlaps none of the buffers (checked).
        unsafe { raw::put(model, state) }
    })();
    code(result)
}

/// Draws every layer's weights from `init` with the seeded generator of
/// the Rust API (`microprop::init::seeded(seed)`: the same seed gives the
/// same weights as `Network::init` there, on every target), zeroes the
/// biases, the optimizer state and the step count (a fresh run).
///
/// # Safety
/// `model` must be a model set up by `microprop_model_init` whose buffers
/// are still valid, used by no other call meanwhile (as for every function
/// taking a model).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_init_weights(
    model: *mut Model,
    init: InitConfig,
    seed: u64,
) -> Status {
    let result = (|| {
        let scheme = init.init()?;
        // SAFETY: passed on from this function's contract.
        let mut open = unsafe { open(model)? };
        let topology = open.plan.topology()?;
        let mut net = Network::new(topology, open.slices.params)?;
        net.init(scheme, &mut microprop::init::seeded(seed));
        open.slices.optimizer_state.fill(0.0);
        open.set_steps(0);
        Ok(())
    })();
    code(result)
}

/// Copies `len` weights from `src` into the model (the layout of
/// `buffers->params`; `len` must be at least the model's parameter count,
/// and only that many are read). Refused, with nothing copied, if a value
/// is NaN or infinite. The optimizer state and step count are kept.
///
/// # Safety
/// As `microprop_init_weights`; `src` must point at `len` readable
/// floats that do not overlap the model's buffers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_set_params(
    model: *mut Model,
    src: *const f32,
    len: usize,
) -> Status {
    let result = (|| {
        // SAFETY: passed on from this function's contract.
        let open = unsafe { open(model)? };
        let needed = open.plan.sizes.params;
        if len < needed {
            return Err(Status::BufferTooSmall);
        }
        raw::disjoint(&[raw::region(src, needed)?], &open.regions)?;
        // SAFETY: checked (NULL, alignment, length, no overlap with the
        // model); the caller guarantees `len` readable floats.
        let src = unsafe { raw::slice(src, needed)? };
        if !src.iter().all(|v| v.is_finite()) {
            return Err(Status::NonFiniteInput);
        }
        // Element by element (`copy_from_slice` keeps a length-mismatch
        // panic the optimiser cannot always remove).
        for (weight, value) in open.slices.params.iter_mut().zip(src) {
            *weight = *value;
        }
        Ok(())
    })();
    code(result)
}

/// Zeroes the optimizer state and the step count (the schedule starts
/// over), keeping the weights.
///
/// # Safety
/// As `microprop_init_weights`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_reset_training(model: *mut Model) -> Status {
    let result = (|| {
        // SAFETY: passed on from this function's contract.
        let mut open = unsafe { open(model)? };
        open.slices.optimizer_state.fill(0.0);
        open.set_steps(0);
        Ok(())
    })();
    code(result)
}

/// Runs one input row (`x_len` must be the input width) through the
/// network and writes the outputs to `out` (`out_len` at least the output
/// width; only that many are written). For a classifier trained with
/// softmax + cross-entropy these are logits.
///
/// # Errors
/// `MICROPROP_STATUS_INPUT_LENGTH`, `..._NON_FINITE_INPUT`, and the
/// pointer checks; `out` is unchanged then.
///
/// # Safety
/// As `microprop_init_weights`; `x` must point at `x_len` readable
/// floats and `out` at `out_len` writable floats, neither overlapping the
/// model's buffers, `out` not overlapping `x`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_predict(
    model: *mut Model,
    x: *const f32,
    x_len: usize,
    out: *mut f32,
    out_len: usize,
) -> Status {
    let result = (|| {
        // SAFETY: passed on from this function's contract.
        let open = unsafe { open(model)? };
        let outputs = open.plan.sizes.outputs;
        if out_len < outputs {
            return Err(Status::BufferTooSmall);
        }
        let x_region = raw::region(x, x_len)?;
        let out_region = raw::region(out.cast_const(), outputs)?;
        raw::disjoint(&[x_region, out_region], &open.regions)?;
        raw::disjoint(&[x_region], &[out_region])?;
        // SAFETY: checked (NULL, alignment, length, no overlap); the caller
        // guarantees `x_len` readable floats.
        let x = unsafe { raw::slice(x, x_len)? };
        // SAFETY: as for `x`, writable and overlapping nothing else.
        let out = unsafe { raw::slice_mut(out, outputs)? };
        predict_into(open, x, Some(out)).map(|_| ())
    })();
    code(result)
}

/// The forward pass of one row into `out`, or into the tail of the scratch
/// buffer; returns the predicted class (the largest output).
fn predict_into(open: Open<'_>, x: &[f32], out: Option<&mut [f32]>) -> Result<usize, Status> {
    let topology = open.plan.topology()?;
    if x.len() != topology.inputs() {
        return Err(Status::InputLength);
    }
    let net = Network::new(topology, open.slices.params)?;
    let outputs = topology.outputs();
    let (scratch, tail) = open
        .slices
        .scratch
        .split_at_mut_checked(topology.scratch_len())
        .ok_or(Status::Internal)?;
    let out = match out {
        Some(out) => out,
        None => tail.get_mut(..outputs).ok_or(Status::Internal)?,
    };
    Ok(net.classify(x, scratch, open.slices.scratch_winners, out)?)
}

/// Writes the index of the largest output for one input row to
/// `predicted`
/// (the predicted class of a classifier; ties go to the first).
///
/// # Safety
/// As `microprop_predict`; `predicted` must be writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_classify(
    model: *mut Model,
    x: *const f32,
    x_len: usize,
    predicted: *mut usize,
) -> Status {
    let result = (|| {
        // SAFETY: passed on from this function's contract.
        let open = unsafe { open(model)? };
        let x_region = raw::region(x, x_len)?;
        let class_region = raw::one(predicted.cast_const())?;
        raw::disjoint(&[x_region, class_region], &open.regions)?;
        // SAFETY: checked (NULL, alignment, length, no overlap); the caller
        // guarantees `x_len` readable floats.
        let x = unsafe { raw::slice(x, x_len)? };
        let class = predict_into(open, x, None)?;
        // SAFETY: checked not NULL, aligned and outside the model; the
        // caller guarantees it is writable.
        unsafe { raw::put(predicted, class) }
    })();
    code(result)
}

/// What a training step or an evaluation saw.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Stats {
    /// Rows seen.
    pub rows: u32,
    /// Rows classified correctly (if `has_accuracy`).
    pub correct: u32,
    /// Mean loss over the rows (before the step).
    pub loss: f32,
    /// Sum of the rows' losses (to average over several calls).
    pub loss_sum: f32,
    /// The learning rate of the step (0 for an evaluation).
    pub learning_rate: f32,
    /// Optimizer steps taken so far (after this one).
    pub steps: u32,
    /// 1 if the loss classifies (cross-entropy), so `correct` counts.
    pub has_accuracy: u8,
    /// Always 0.
    pub reserved: [u8; 3],
}

impl Stats {
    fn of(total: &EpochStats, single: Option<StepStats>, learning_rate: f32, steps: u32) -> Stats {
        Stats {
            rows: total.rows,
            correct: total.correct.unwrap_or(0),
            // One chunk: the core's own mean, bit for bit.
            loss: single.map_or_else(|| total.mean_loss(), |s| s.loss),
            loss_sum: total.loss_sum,
            learning_rate,
            steps,
            has_accuracy: u8::from(total.correct.is_some()),
            reserved: [0; 3],
        }
    }
}

/// A call's targets, checked against the inputs.
struct Batch<'a> {
    x: &'a [f32],
    targets: Targets<'a>,
    rows: usize,
}

impl<'a> Batch<'a> {
    /// Checks that `x` is whole rows and `targets` as many rows.
    fn new(
        topology: &Topology<'_>,
        loss: LossKind,
        x: &'a [f32],
        targets: Targets<'a>,
    ) -> Result<Batch<'a>, Status> {
        let inputs = topology.inputs();
        let rows = x.len().checked_div(inputs).ok_or(Status::InputLength)?;
        if rows.checked_mul(inputs) != Some(x.len()) {
            return Err(Status::InputLength);
        }
        let target_rows = match (loss, targets) {
            (LossKind::SoftmaxCrossEntropy, Targets::Labels(labels)) => labels.len(),
            (LossKind::SoftmaxCrossEntropy, Targets::Values(_)) | (_, Targets::Labels(_)) => {
                return Err(Status::LossMismatch);
            }
            (_, Targets::Values(values)) => {
                let outputs = topology.outputs();
                let n = values
                    .len()
                    .checked_div(outputs)
                    .ok_or(Status::TargetLength)?;
                if n.checked_mul(outputs) != Some(values.len()) {
                    return Err(Status::TargetLength);
                }
                n
            }
        };
        if rows == 0 {
            return Err(Status::EmptyBatch);
        }
        if rows != target_rows {
            return Err(Status::RowCountMismatch);
        }
        Ok(Batch { x, targets, rows })
    }

    /// Rows `start..end` of inputs and targets.
    fn chunk(&self, topology: &Topology<'_>, start: usize, end: usize) -> Option<Batch<'a>> {
        let inputs = topology.inputs();
        let x = self
            .x
            .get(start.checked_mul(inputs)?..end.checked_mul(inputs)?)?;
        let targets = match self.targets {
            Targets::Labels(labels) => Targets::Labels(labels.get(start..end)?),
            Targets::Values(values) => {
                let outputs = topology.outputs();
                Targets::Values(values.get(start.checked_mul(outputs)?..end.checked_mul(outputs)?)?)
            }
        };
        Some(Batch {
            x,
            targets,
            rows: end.checked_sub(start)?,
        })
    }

    /// The chunks of at most `batch` rows, front to back.
    fn chunks<'t>(
        &'t self,
        topology: &'t Topology<'_>,
        batch: usize,
    ) -> impl Iterator<Item = Result<Batch<'a>, Status>> + 't {
        let batch = batch.max(1);
        (0..self.rows.div_ceil(batch)).map(move |i| {
            let start = i.saturating_mul(batch);
            let end = start.saturating_add(batch).min(self.rows);
            self.chunk(topology, start, end).ok_or(Status::Internal)
        })
    }
}

/// One optimizer step over every row of `batch` (in chunks of the model's
/// batch), or the fused step for one row; returns the statistics and
/// updates the step count.
fn train(open: Open<'_>, x: &[f32], targets: Targets<'_>) -> Result<Stats, Status> {
    let Open {
        model,
        plan,
        slices,
        ..
    } = open;
    if !plan.trainable() {
        return Err(Status::NotTrainable);
    }
    let topology = plan.topology()?;
    let batch = Batch::new(&topology, plan.loss, x, targets)?;
    let steps = model.steps;
    let lr = plan.schedule.learning_rate(steps);
    let mut net = Network::new(topology, slices.params)?;
    let (total, single, steps) = if plan.fused {
        if batch.rows != 1 {
            return Err(Status::BatchTooLarge);
        }
        let buffers = FusedBuffers {
            optimizer_state: slices.optimizer_state,
            cache: slices.cache,
        };
        with_optimizer!(plan.optimizer, |o| fused_step(
            o, topology, buffers, plan.loss, &mut net, &batch, steps, lr
        ))?
    } else {
        let buffers = CoreBuffers {
            gradients: slices.gradients,
            optimizer_state: slices.optimizer_state,
            cache: slices.cache,
            winners: slices.winners,
        };
        let run = Run {
            topology,
            batch: plan.batch,
            loss: plan.loss,
            max_grad_norm: plan.max_grad_norm,
            steps,
            lr,
        };
        with_optimizer!(plan.optimizer, |o| run.step(o, buffers, &mut net, &batch))?
    };
    model.steps = steps;
    Ok(Stats::of(
        &total,
        Some(single).filter(|s| s.rows == total.rows),
        lr,
        steps,
    ))
}

/// The settings of one batched step.
struct Run<'t> {
    topology: Topology<'t>,
    batch: usize,
    loss: LossKind,
    max_grad_norm: Option<f32>,
    steps: u32,
    lr: f32,
}

impl Run<'_> {
    /// Accumulates every chunk, then steps: as `microprop::fit` does for a
    /// step over more rows than the trainer's batch.
    fn step<O: FlatOptimizer>(
        &self,
        optimizer: O,
        buffers: CoreBuffers<'_>,
        net: &mut Network<'_>,
        batch: &Batch<'_>,
    ) -> Result<(EpochStats, StepStats, u32), Status> {
        let mut trainer = Trainer::new(self.topology, buffers, self.batch, self.loss, optimizer)?;
        trainer.max_grad_norm = self.max_grad_norm;
        trainer.set_steps(self.steps);
        let mut total = EpochStats::new();
        let mut last = None;
        for chunk in batch.chunks(&self.topology, self.batch) {
            let chunk = chunk?;
            let stats = trainer.accumulate(net, chunk.x, chunk.targets)?;
            total.add(&stats);
            last = Some(stats);
        }
        trainer.step(net, self.lr)?;
        Ok((total, last.ok_or(Status::EmptyBatch)?, trainer.steps()))
    }
}

/// The fused step on one row.
#[allow(clippy::too_many_arguments)]
fn fused_step<O: FlatOptimizer>(
    optimizer: O,
    topology: Topology<'_>,
    buffers: FusedBuffers<'_>,
    loss: LossKind,
    net: &mut Network<'_>,
    batch: &Batch<'_>,
    steps: u32,
    lr: f32,
) -> Result<(EpochStats, StepStats, u32), Status> {
    let mut trainer = FusedTrainer::new(topology, buffers, loss, optimizer)?;
    trainer.set_steps(steps);
    let stats = trainer.train_step(net, batch.x, batch.targets, lr)?;
    let mut total = EpochStats::new();
    total.add(&stats);
    Ok((total, stats, trainer.steps()))
}

/// Loss and accuracy over every row of `x`, in chunks of the model's
/// batch; no weight, state or step count changes.
fn evaluate(open: Open<'_>, x: &[f32], targets: Targets<'_>) -> Result<Stats, Status> {
    let Open {
        model,
        plan,
        slices,
        ..
    } = open;
    if !plan.trainable() {
        return Err(Status::NotTrainable);
    }
    if plan.fused {
        return Err(Status::Unsupported);
    }
    let topology = plan.topology()?;
    let batch = Batch::new(&topology, plan.loss, x, targets)?;
    let net = Network::new(topology, slices.params)?;
    // Evaluation reads no optimizer state: the stateless optimizer lets
    // the trainer be built without it.
    let buffers = CoreBuffers {
        gradients: slices.gradients,
        optimizer_state: &mut [],
        cache: slices.cache,
        winners: slices.winners,
    };
    let mut trainer = Trainer::new(topology, buffers, plan.batch, plan.loss, Sgd)?;
    let mut total = EpochStats::new();
    let mut last = None;
    for chunk in batch.chunks(&topology, plan.batch) {
        let chunk = chunk?;
        let stats = trainer.evaluate(&net, chunk.x, chunk.targets)?;
        total.add(&stats);
        last = Some(stats);
    }
    Ok(Stats::of(
        &total,
        last.filter(|s| s.rows == total.rows),
        0.0,
        model.steps,
    ))
}

/// Which labels or values a training or evaluation call reads.
enum Given {
    Labels(*const usize, usize),
    Values(*const f32, usize),
}

/// Opens the model, checks and reads `x` and the targets, runs `f` and
/// writes its statistics to `stats` (if not NULL).
///
/// # Safety
/// As `microprop_train_labels`.
unsafe fn with_batch(
    model: *mut Model,
    x: *const f32,
    x_len: usize,
    given: Given,
    stats: *mut Stats,
    f: fn(Open<'_>, &[f32], Targets<'_>) -> Result<Stats, Status>,
) -> Status {
    let result = (|| {
        // SAFETY: passed on from the caller's contract.
        let open = unsafe { open(model)? };
        let x_region = raw::region(x, x_len)?;
        let target_region = match given {
            Given::Labels(p, n) => raw::region(p, n)?,
            Given::Values(p, n) => raw::region(p, n)?,
        };
        let stats_region = raw::optional(stats.cast_const())?;
        raw::disjoint(&[x_region, target_region, stats_region], &open.regions)?;
        raw::disjoint(&[stats_region], &[x_region, target_region])?;
        // SAFETY: checked (NULL, alignment, length, no overlap with the
        // model's buffers, which are the only memory written); the caller
        // guarantees they are readable.
        let x = unsafe { raw::slice(x, x_len)? };
        let targets = match given {
            // SAFETY: as for `x`.
            Given::Labels(p, n) => Targets::Labels(unsafe { raw::slice(p, n)? }),
            // SAFETY: as for `x`.
            Given::Values(p, n) => Targets::Values(unsafe { raw::slice(p, n)? }),
        };
        let report = f(open, x, targets)?;
        // SAFETY: checked aligned and overlapping nothing read or written
        // above; the caller guarantees it is writable (or NULL).
        unsafe { raw::put(stats, report) }
    })();
    code(result)
}

/// One optimizer step on the rows of `x` (`x_len` a multiple of the input
/// width) with class labels (`labels_len` labels, one a row, each below
/// the output width), for the softmax + cross-entropy loss. More rows than
/// the model's batch are accumulated in chunks into one step; the fused
/// model takes one row. The learning rate is the schedule's at the model's
/// step count. Writes what it saw to `stats` unless it is NULL.
///
/// # Errors
/// The pointer checks, `MICROPROP_STATUS_NOT_TRAINABLE`,
/// `..._INPUT_LENGTH`, `..._EMPTY_BATCH`, `..._ROW_COUNT_MISMATCH`,
/// `..._LOSS_MISMATCH`, `..._BATCH_TOO_LARGE`, `..._NON_FINITE_INPUT`,
/// `..._LABEL_OUT_OF_RANGE`, `..._NON_FINITE_LOSS`,
/// `..._INVALID_LEARNING_RATE`, `..._NON_FINITE_GRADIENT`: the weights,
/// optimizer state and step count are unchanged then.
///
/// # Safety
/// As `microprop_init_weights`; `x` must point at `x_len` readable
/// floats, `labels` at `labels_len` readable `size_t`, `stats` be NULL or
/// writable; none may overlap the model's buffers, nor `stats` the others.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_train_labels(
    model: *mut Model,
    x: *const f32,
    x_len: usize,
    labels: *const usize,
    labels_len: usize,
    stats: *mut Stats,
) -> Status {
    let given = Given::Labels(labels, labels_len);
    // SAFETY: passed on from this function's contract.
    unsafe { with_batch(model, x, x_len, given, stats, train) }
}

/// `microprop_train_labels` with value targets (`y_len` a multiple of
/// the output width, one row a row of `x`), for mean squared error and
/// sigmoid + binary cross-entropy (targets in [0, 1]).
///
/// # Safety
/// As `microprop_train_labels`, `y` pointing at `y_len` readable floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_train_values(
    model: *mut Model,
    x: *const f32,
    x_len: usize,
    y: *const f32,
    y_len: usize,
    stats: *mut Stats,
) -> Status {
    let given = Given::Values(y, y_len);
    // SAFETY: passed on from this function's contract.
    unsafe { with_batch(model, x, x_len, given, stats, train) }
}

/// Loss and accuracy over the rows of `x` with class labels, in chunks of
/// the model's batch, written to `stats`; nothing but the training cache
/// is written (not for fused or inference-only models).
///
/// # Safety
/// As `microprop_train_labels`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_evaluate_labels(
    model: *mut Model,
    x: *const f32,
    x_len: usize,
    labels: *const usize,
    labels_len: usize,
    stats: *mut Stats,
) -> Status {
    let given = Given::Labels(labels, labels_len);
    // SAFETY: passed on from this function's contract.
    unsafe { with_batch(model, x, x_len, given, stats, evaluate) }
}

/// `microprop_evaluate_labels` with value targets.
///
/// # Safety
/// As `microprop_train_values`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_evaluate_values(
    model: *mut Model,
    x: *const f32,
    x_len: usize,
    y: *const f32,
    y_len: usize,
    stats: *mut Stats,
) -> Status {
    let given = Given::Values(y, y_len);
    // SAFETY: passed on from this function's contract.
    unsafe { with_batch(model, x, x_len, given, stats, evaluate) }
}

/// Reads a set-up model (no buffer is touched).
///
/// # Safety
/// `model` must be NULL or readable.
unsafe fn read<T>(model: *const Model, f: impl FnOnce(&Model, &Plan) -> T) -> Result<T, Status> {
    // SAFETY: the caller guarantees a readable `Model`.
    let model = unsafe { raw::get(model)? };
    let plan = model.plan()?;
    Ok(f(model, &plan))
}

/// Writes the number of optimizer steps taken to `steps`.
///
/// # Safety
/// `model` must be a set-up model, `steps` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_steps(model: *const Model, steps: *mut u32) -> Status {
    // SAFETY: passed on from this function's contract.
    let result = unsafe { read(model, |m, _| m.steps) }.and_then(|n| {
        raw::one(steps.cast_const())?;
        // SAFETY: checked; the caller guarantees it is writable.
        unsafe { raw::put(steps, n) }
    });
    code(result)
}

/// Writes the learning rate the next step will use (the schedule at the
/// step count) to `rate`.
///
/// # Safety
/// As `microprop_steps`, `rate` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_learning_rate(model: *const Model, rate: *mut f32) -> Status {
    // SAFETY: passed on from this function's contract.
    let result =
        unsafe { read(model, |m, plan| plan.schedule.learning_rate(m.steps)) }.and_then(|lr| {
            raw::one(rate.cast_const())?;
            // SAFETY: checked; the caller guarantees it is writable.
            unsafe { raw::put(rate, lr) }
        });
    code(result)
}

/// Values reported from each end of the weights in a `microprop_digest`.
pub const MICROPROP_DIGEST_ENDS: usize = 4;

/// A fingerprint of all weights, as the Rust firmware logs it: the CRC-32
/// (ISO-HDLC, as zlib's `crc32`) of their IEEE-754 bits as little-endian
/// bytes in parameter order, their number, and the bits of the first and
/// last `MICROPROP_DIGEST_ENDS` values. Two runs computed the same bits
/// exactly when their digests are equal.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Digest {
    /// CRC-32 of all weight bits.
    pub crc32: u32,
    /// Number of weights.
    pub count: u32,
    /// Bits of the first weights.
    pub first: [u32; MICROPROP_DIGEST_ENDS],
    /// Bits of the last weights.
    pub last: [u32; MICROPROP_DIGEST_ENDS],
}

const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

impl Digest {
    /// The digest of `values`.
    pub fn of(values: &[f32]) -> Digest {
        let mut crc = CRC.digest();
        let mut digest = Digest::default();
        for &v in values {
            let bits = v.to_bits();
            crc.update(&bits.to_le_bytes());
            if let Some(slot) = digest.first.get_mut(digest.count as usize) {
                *slot = bits;
            }
            digest.last.rotate_left(1);
            if let Some(slot) = digest.last.last_mut() {
                *slot = bits;
            }
            digest.count = digest.count.wrapping_add(1);
        }
        digest.crc32 = crc.finalize();
        digest
    }
}

/// Writes the `microprop_digest` of the model's weights to `digest`.
///
/// # Safety
/// `model` must be a set-up model whose `params` buffer is valid and not
/// written meanwhile; `digest` writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_weights_digest(
    model: *const Model,
    digest: *mut Digest,
) -> Status {
    let result = (|| {
        // SAFETY: passed on from this function's contract.
        let buffers = unsafe { read(model, |m, _| m.buffers)? };
        raw::one(digest.cast_const())?;
        // SAFETY: checked by `microprop_model_init` and `read` (pointer,
        // length); the caller guarantees it is valid and not written.
        let params = unsafe { raw::slice(buffers.params.cast_const(), buffers.params_len)? };
        let value = Digest::of(params);
        raw::disjoint(&[raw::one(digest.cast_const())?], &buffers.regions()?)?;
        // SAFETY: checked (NULL, alignment, outside the weights); the
        // caller guarantees it is writable.
        unsafe { raw::put(digest, value) }
    })();
    code(result)
}
