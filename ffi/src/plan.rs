//! A checked [`Config`]: the core's layer list, loss, optimizer and
//! schedule, and the length of every buffer ([`Sizes`]).

use microprop::checkpoint;
use microprop::dynamic::{LossKind, Topology};

use crate::config::{self, Config, FfiSchedule, Layer, Optimizer};
use crate::layers::LayerList;
use crate::status::Status;
use microprop::Warmup;

/// The length of every buffer a model needs, and the bytes of its
/// checkpoints. Lengths are in elements (`float` or `uint8_t`), each
/// buffer's own type; 0 means the buffer is not needed (its pointer may be
/// NULL).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sizes {
    /// Input width.
    pub inputs: usize,
    /// Output width.
    pub outputs: usize,
    /// Floats of the weights and biases.
    pub params: usize,
    /// Floats of the gradient buffer (0 for inference-only and fused
    /// models).
    pub gradients: usize,
    /// Floats of the optimizer state (0 for SGD and inference-only models;
    /// one parameter-sized part for momentum, AdaGrad and RMSprop, two for
    /// Adam).
    pub optimizer_state: usize,
    /// Floats of the training cache: one output row per layer for each row
    /// of a batch, and one more (0 for inference-only models).
    pub cache: usize,
    /// Floats of the inference workspace: two rows of the widest layer
    /// (or the input) and one output row.
    pub scratch: usize,
    /// Bytes of maxout winners for a batch (0 without maxout layers).
    pub winners: usize,
    /// Bytes of maxout winners for one row (0 without maxout layers).
    pub scratch_winners: usize,
    /// Bytes of one arena holding every buffer above (for
    /// `microprop_buffers_from_arena`; align it to 4 bytes).
    pub arena_bytes: usize,
    /// Bytes of a checkpoint of the weights.
    pub checkpoint_bytes: usize,
    /// Bytes of a checkpoint of the weights, the optimizer state and the
    /// step count.
    pub training_checkpoint_bytes: usize,
    /// Bytes of the RAM buffer `microprop_flash_save` and
    /// `microprop_flash_load` need: the larger checkpoint rounded up to 64.
    pub flash_scratch_bytes: usize,
}

/// Alignment (bytes) of flash reads and writes, and of flash slots.
pub const MICROPROP_FLASH_ALIGN: usize = 64;

/// A checked model description.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    layers: LayerList,
    /// The loss.
    pub loss: LossKind,
    /// Rows of the training cache (0: inference only).
    pub batch: usize,
    /// The fused batch-1 step.
    pub fused: bool,
    /// The optimizer.
    pub optimizer: Optimizer,
    /// The learning-rate schedule.
    pub schedule: Warmup<FfiSchedule>,
    /// Gradient clipping.
    pub max_grad_norm: Option<f32>,
    /// Every buffer's length.
    pub sizes: Sizes,
}

impl Plan {
    /// Checks `config` with the layer list `layers` (its own `layers`
    /// pointer is not read).
    ///
    /// # Errors
    /// [`Status::TooManyLayers`], [`Status::InvalidLayer`],
    /// [`Status::InvalidArgument`], [`Status::InvalidHyperparameter`],
    /// [`Status::LossMismatch`], [`Status::BufferTooSmall`] for sizes that
    /// overflow.
    pub(crate) fn new(config: &Config, layers: &[Layer]) -> Result<Plan, Status> {
        let list = LayerList::new(config.inputs, layers)?;
        let loss = config::loss(config.loss)?;
        let optimizer = config.optimizer.optimizer()?;
        let schedule = config.schedule.schedule()?;
        if config.fused > 1 || config.reserved != [0; 3] {
            return Err(Status::InvalidArgument);
        }
        let fused = config.fused == 1;
        let batch = config.batch as usize;
        let max_grad_norm = match config.max_grad_norm {
            0.0 => None,
            n if n > 0.0 && n.is_finite() => Some(n),
            _ => return Err(Status::InvalidHyperparameter),
        };
        if fused && (batch != 1 || max_grad_norm.is_some()) {
            return Err(Status::InvalidArgument);
        }
        let mut plan = Plan {
            layers: list,
            loss,
            batch,
            fused,
            optimizer,
            schedule,
            max_grad_norm,
            sizes: Sizes::default(),
        };
        let topology = plan.topology()?;
        if batch > 0 {
            if let Some(last) = topology.layers().last() {
                loss.check_output(last.activation)?;
            }
            // The fused step forms each weight's gradient as an outer
            // product, which a maxout layer's is not.
            if fused && topology.layers().iter().any(|l| l.is_maxout()) {
                return Err(Status::InvalidLayer);
            }
        }
        plan.sizes = sizes(&topology, batch, fused, optimizer.state_buffers())?;
        Ok(plan)
    }

    /// The layer list as the core checks it.
    ///
    /// # Errors
    /// [`Status::InvalidLayer`].
    pub(crate) fn topology(&self) -> Result<Topology<'_>, Status> {
        self.layers.topology()
    }

    /// Whether the model has training buffers.
    pub(crate) fn trainable(&self) -> bool {
        self.batch > 0
    }
}

/// Every buffer's length for `topology`, all checked for overflow (so the
/// core's size functions, which do not check, cannot overflow).
fn sizes(
    topology: &Topology<'_>,
    batch: usize,
    fused: bool,
    state_buffers: usize,
) -> Result<Sizes, Status> {
    let too_large = Status::BufferTooSmall;
    let params = topology.params_len();
    let trainable = batch > 0;
    let state = state_buffers.checked_mul(params).ok_or(too_large)?;
    let (gradients, optimizer_state, cache, winners) = if trainable {
        (
            if fused { 0 } else { params },
            state,
            topology.cache_len(batch).ok_or(too_large)?,
            topology.winners_len(batch).ok_or(too_large)?,
        )
    } else {
        (0, 0, 0, 0)
    };
    let outputs = topology.outputs();
    let scratch = topology
        .scratch_len()
        .checked_add(outputs)
        .ok_or(too_large)?;
    let scratch_winners = topology.scratch_winners_len();
    let floats = [params, gradients, optimizer_state, cache, scratch]
        .iter()
        .try_fold(0usize, |sum, &n| sum.checked_add(n))
        .ok_or(too_large)?;
    let arena_bytes = floats
        .checked_mul(4)
        .and_then(|b| b.checked_add(winners))
        .and_then(|b| b.checked_add(scratch_winners))
        .ok_or(too_large)?;
    // The checkpoint: a 16-byte header, 16 bytes a layer, counts, the
    // values, the CRC; computed here with checks before the core's
    // unchecked `network_len` is called.
    let values = params.checked_add(state).ok_or(too_large)?;
    let bound = values
        .checked_mul(4)
        .and_then(|b| b.checked_add(topology.depth().checked_mul(16)?))
        .and_then(|b| b.checked_add(64))
        .filter(|&b| b <= u32::MAX as usize)
        .ok_or(too_large)?;
    let checkpoint_bytes = checkpoint::network_len(topology, None);
    let training_checkpoint_bytes = checkpoint::network_len(topology, Some(state));
    if training_checkpoint_bytes > bound {
        return Err(Status::Internal);
    }
    let flash_scratch_bytes = training_checkpoint_bytes
        .div_ceil(MICROPROP_FLASH_ALIGN)
        .checked_mul(MICROPROP_FLASH_ALIGN)
        .ok_or(too_large)?;
    Ok(Sizes {
        inputs: topology.inputs(),
        outputs,
        params,
        gradients,
        optimizer_state,
        cache,
        scratch,
        winners,
        scratch_winners,
        arena_bytes,
        checkpoint_bytes,
        training_checkpoint_bytes,
        flash_scratch_bytes,
    })
}
