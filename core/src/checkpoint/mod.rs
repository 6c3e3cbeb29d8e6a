//! A versioned, CRC-protected binary format for trained models, written into
//! and read from caller buffers (no allocation).
//!
//! # Layout (little-endian)
//! ```text
//! offset  size  field
//! 0       4     magic "MPCK"
//! 4       2     format version (2; version 1 is read too)
//! 6       2     flags: 1 = optimizer state + step count, 2 = input normaliser,
//!               4 = target normaliser
//! 8       4     total length in bytes, CRC included
//! 12      2     number of layers L
//! 14      2     reserved (0)
//! 16      16·L  per layer: inputs u32, outputs u32, pieces u16,
//!               activation code u8, kind u8, activation setting f32
//! ..      4     words of layer data P
//! ..      8     if flag 1: optimizer values S u32, optimizer steps u32
//! ..      8     if flag 2: features D u32, scaling u8, 3 reserved
//! ..      8     if flag 4: outputs O u32, scaling u8, 3 reserved
//! ..      4·P   each layer's data, front to back (below)
//! ..            S optimizer values f32, D offsets + D scales,
//!               O offsets + O scales
//! end-4   4     CRC-32 (ISO-HDLC, as zlib) of everything before it
//! ```
//!
//! Each layer's data depends on its kind ([`LayerKind`], code in brackets):
//!
//! | kind | data |
//! |---|---|
//! | trainable (0), frozen (1), bias-only (2) | weights then biases, f32, as [`Layer::layer`] shows them |
//! | int8 (3) | O scales f32, O biases f32, O·I weights i8 (`weights[o][i]`), zero bytes to a whole word |
//! | flash (4), int8 in flash (5) | CRC-32 of the data the layer would store in RAM (one word) |
//!
//! A frozen float layer stores its weights, so a checkpoint of a network
//! with a frozen backbone is the whole model; a layer in flash
//! ([`Flash`](crate::Flash), a run-time [`Backbone`]) stores only a CRC-32
//! of its values, since they are not in RAM and never change: loading
//! checks it against the model's flash values instead of writing them.
//!
//! Loading checks the length, magic, version and CRC, then the fingerprint
//! against the model (layer sizes, activations, piece counts, kinds), then
//! every layer's data (finite floats, int8 weights in `-127..=127`, flash
//! CRCs that agree) and the other stored values, and only then writes
//! anything. The three float kinds load into one another (a pretrained
//! network into its frozen or bias-only version, and back); float and int8
//! layers do not ([`CheckpointError::KindMismatch`]); optimizer state loads
//! only where the same values train. A layer in flash on either side loads
//! if the two sides' values have the same CRC-32, and is refused with
//! [`CheckpointError::FlashMismatch`] otherwise.
//!
//! Format version 1 had a reserved 0 where the kind is (every layer a
//! trainable float one) and the number of parameters where the data words
//! are: the same bytes for a network of float layers, so a version-1
//! checkpoint loads as one of version 2 (its optimizer state checked by
//! length, as version 1 did, since it does not say which values trained).
//! A version-1 checkpoint of a network
//! with flash or int8 layers (whose values version 1 left out) is refused
//! with [`CheckpointError::IncompleteVersion1`].
//!
//! ```
//! use microprop::{checkpoint, network, Dense, Identity, Init, Layer, Tanh};
//! type Net = network![Dense<4, 8, Tanh>, Dense<8, 3, Identity>];
//! type Other = network![Dense<4, 6, Tanh>, Dense<6, 3, Identity>];
//! let mut net = Net::ZERO;
//! net.init(Init::Xavier, &mut microprop::init::seeded(1));
//!
//! let mut blob = [0u8; checkpoint::params_len::<Net>()];
//! let len = checkpoint::save(&net, &mut blob).unwrap();
//! let mut copy = Net::ZERO;
//! checkpoint::load(&mut copy, &blob[..len]).unwrap();
//! assert_eq!(copy, net);
//!
//! let mut other = Other::ZERO;
//! let err = checkpoint::load(&mut other, &blob).unwrap_err();
//! assert_eq!(err.to_string(), "checkpoint is for 4-8-3, model is 4-6-3");
//! blob[40] ^= 1;
//! assert!(matches!(checkpoint::load(&mut copy, &blob), Err(checkpoint::CheckpointError::CrcMismatch { .. })));
//! ```

mod codec;
mod decode;
mod encode;
mod error;
mod layer_data;
#[cfg(feature = "flash")]
mod ram_flash;
mod saved;
#[cfg(feature = "flash")]
pub mod store;

pub use error::{Architecture, CheckpointError, Part};
#[cfg(feature = "flash")]
pub use ram_flash::RamFlash;
#[cfg(feature = "flash")]
pub use store::{SlotInfo, Store, StoreError};

use codec::Reader;
use decode::{Record, decode, layer_records, verify_envelope};
use encode::encode;
use saved::FineTuned;

use crate::activation::ActivationKind;
use crate::buffer::Row;
use crate::dynamic::{Backbone, LayerSpec, Network, Topology};
use crate::layer::{Layer, LayerKind};
use crate::model::Model;
use crate::normalize::Scaling;
use crate::optim::Optimizer;
use crate::params::Parameters;
use crate::trainer::Trainer;

/// First four bytes of every checkpoint.
pub const MAGIC: [u8; 4] = *b"MPCK";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 2;

const FLAG_OPTIMIZER: u16 = 1;
const FLAG_INPUT: u16 = 2;
const FLAG_TARGET: u16 = 4;
const FIXED_HEADER: usize = 16;
const LAYER_RECORD: usize = 16;

const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);

/// No optimizer state to write.
const NO_STATE: Option<(usize, core::iter::Empty<&[f32]>, u32)> = None;
/// No optimizer state to read.
const NO_STATE_MUT: Option<(usize, core::iter::Empty<&mut [f32]>, &mut u32)> = None;

/// Bytes of a checkpoint of network `N` (its [`Layer::STORED_WORDS`]), with optimizer state of
/// `optimizer_values` floats, and normalisers of `input_features` and
/// `target_outputs` features (`None` = part not saved). A `const fn`, so it
/// can size a buffer; [`params_len`], [`training_len`] and [`model_len`] are
/// the common cases.
pub const fn encoded_len<N: Layer>(
    optimizer_values: Option<usize>,
    input_features: Option<usize>,
    target_outputs: Option<usize>,
) -> usize {
    encoded_len_of(
        N::DEPTH,
        N::STORED_WORDS,
        optimizer_values,
        input_features,
        target_outputs,
    )
}

/// [`encoded_len`] for a network of `depth` layers and `words` words of
/// layer data.
const fn encoded_len_of(
    depth: usize,
    words: usize,
    optimizer_values: Option<usize>,
    input_features: Option<usize>,
    target_outputs: Option<usize>,
) -> usize {
    let mut len = FIXED_HEADER + LAYER_RECORD * depth + 4 + 4 * words + 4;
    if let Some(values) = optimizer_values {
        len += 8 + 4 * values;
    }
    if let Some(d) = input_features {
        len += 8 + 8 * d;
    }
    if let Some(o) = target_outputs {
        len += 8 + 8 * o;
    }
    len
}

/// Bytes written by [`save`].
pub const fn params_len<N: Layer>() -> usize {
    encoded_len::<N>(None, None, None)
}

/// Bytes written by [`save_training`] for a trainer with optimizer `O`.
pub const fn training_len<N: Layer, O: Optimizer>() -> usize
where
    O::State<N::Grads>: Parameters,
{
    encoded_len::<N>(Some(<O::State<N::Grads> as Parameters>::LEN), None, None)
}

/// Bytes written by [`save_model`].
pub const fn model_len<N: Layer>() -> usize {
    encoded_len::<N>(None, Some(N::Input::WIDTH), Some(N::Output::WIDTH))
}

/// A normaliser seen as slices, whatever its width.
struct NormView<'a> {
    scaling: Scaling,
    offset: &'a [f32],
    scale: &'a [f32],
}

/// A normaliser to load into.
struct NormTarget<'a> {
    scaling: &'a mut Scaling,
    offset: &'a mut [f32],
    scale: &'a mut [f32],
}

fn scaling_code(s: Scaling) -> u8 {
    match s {
        Scaling::MinMax => 0,
        Scaling::Standard => 1,
    }
}

fn scaling_from_code(c: u8) -> Option<Scaling> {
    match c {
        0 => Some(Scaling::MinMax),
        1 => Some(Scaling::Standard),
        _ => None,
    }
}

/// Writes the parameters of `net` into `buf`; returns the bytes written.
///
/// # Errors
/// [`CheckpointError::BufferTooSmall`].
pub fn save<N: Layer>(net: &N, buf: &mut [u8]) -> Result<usize, CheckpointError> {
    encode(net, NO_STATE, None, None, buf)
}

/// Reads parameters saved by any of the `save` functions into `net`.
///
/// # Errors
/// Any [`CheckpointError`] but `BufferTooSmall`; `net` is unchanged then.
pub fn load<N: Layer>(net: &mut N, buf: &[u8]) -> Result<(), CheckpointError> {
    decode(buf, net, NO_STATE_MUT, None, None)
}

/// Writes the parameters, the optimizer state and the step count, so
/// training resumes exactly (schedules and Adam's bias correction continue).
///
/// # Errors
/// [`CheckpointError::BufferTooSmall`].
pub fn save_training<N, L, O, const B: usize>(
    net: &N,
    trainer: &Trainer<N, L, O, B>,
    buf: &mut [u8],
) -> Result<usize, CheckpointError>
where
    N: Layer,
    O: Optimizer,
    O::State<N::Grads>: Parameters,
{
    let state = trainer.optimizer_state();
    encode(
        net,
        Some((<O::State<N::Grads>>::LEN, state.slices(), trainer.steps())),
        None,
        None,
        buf,
    )
}

/// Restores parameters, optimizer state and step count (and clears any
/// accumulated gradient).
///
/// # Errors
/// Any [`CheckpointError`] but `BufferTooSmall`, including
/// [`CheckpointError::MissingPart`] if no optimizer state was saved; nothing
/// is changed then.
pub fn load_training<N, L, O, const B: usize>(
    net: &mut N,
    trainer: &mut Trainer<N, L, O, B>,
    buf: &[u8],
) -> Result<(), CheckpointError>
where
    N: Layer,
    O: Optimizer,
    O::State<N::Grads>: Parameters,
{
    let mut steps = trainer.steps();
    let state = trainer.optimizer_state_mut();
    decode(
        buf,
        net,
        Some((<O::State<N::Grads>>::LEN, state.slices_mut(), &mut steps)),
        None,
        None,
    )?;
    trainer.zero_grad();
    trainer.set_steps(steps);
    Ok(())
}

/// Writes a [`Model`]: parameters and both normalisers.
///
/// # Errors
/// [`CheckpointError::BufferTooSmall`].
pub fn save_model<N: Layer>(model: &Model<N>, buf: &mut [u8]) -> Result<usize, CheckpointError> {
    let input = NormView {
        scaling: model.input.scaling,
        offset: model.input.offset.as_slice(),
        scale: model.input.scale.as_slice(),
    };
    let target = NormView {
        scaling: model.target.scaling,
        offset: model.target.offset.as_slice(),
        scale: model.target.scale.as_slice(),
    };
    encode(&model.net, NO_STATE, Some(input), Some(target), buf)
}

/// Reads a [`Model`] saved by [`save_model`].
///
/// # Errors
/// Any [`CheckpointError`] but `BufferTooSmall`; nothing is changed then.
pub fn load_model<N: Layer>(model: &mut Model<N>, buf: &[u8]) -> Result<(), CheckpointError> {
    let Model { net, input, target } = model;
    decode(
        buf,
        net,
        NO_STATE_MUT,
        Some(NormTarget {
            scaling: &mut input.scaling,
            offset: input.offset.as_mut_slice(),
            scale: input.scale.as_mut_slice(),
        }),
        Some(NormTarget {
            scaling: &mut target.scaling,
            offset: target.offset.as_mut_slice(),
            scale: target.scale.as_mut_slice(),
        }),
    )
}

/// The architecture a checkpoint was saved for, after checking its length,
/// magic, version and CRC (e.g. to pick the model type before loading).
///
/// # Errors
/// As the first checks of [`load`].
pub fn inspect(buf: &[u8]) -> Result<Architecture, CheckpointError> {
    let (body, _) = verify_envelope(buf)?;
    let mut r = Reader::new(body);
    r.u32()?;
    r.u32()?;
    r.u32()?;
    let layers = r.u16()?;
    r.u16()?;
    let mut arch = Architecture::EMPTY;
    for _ in 0..layers {
        let inputs = r.u32()?;
        let outputs = r.u32()?;
        r.u32()?;
        r.u32()?;
        arch.push(inputs, outputs);
    }
    Ok(arch)
}

/// Bytes of a checkpoint of a run-time network of `topology` (with
/// `optimizer_values` floats of optimizer state, if saved).
///
/// ```
/// use microprop::{checkpoint, network, ActivationKind, Dense, Identity, Tanh};
/// use microprop::dynamic::{LayerSpec, Topology};
/// type Net = network![Dense<4, 8, Tanh>, Dense<8, 3, Identity>];
/// let layers = [LayerSpec::dense(8, ActivationKind::Tanh), LayerSpec::dense(3, ActivationKind::Identity)];
/// let topology = Topology::new(4, &layers).unwrap();
/// assert_eq!(checkpoint::network_len(&topology, None), checkpoint::params_len::<Net>());
/// ```
pub const fn network_len(topology: &Topology<'_>, optimizer_values: Option<usize>) -> usize {
    encoded_len_of(
        topology.depth(),
        topology.params_len(),
        optimizer_values,
        None,
        None,
    )
}

/// Writes the parameters of a run-time network: the same bytes [`save`]
/// writes for the const-generic network of that shape, so either front
/// end loads the other's checkpoints.
///
/// ```
/// use microprop::{checkpoint, network, ActivationKind, Dense, Identity, Init, Layer, Tanh};
/// use microprop::dynamic::{LayerSpec, Network, Topology};
/// type Net = network![Dense<4, 8, Tanh>, Dense<8, 3, Identity>];
/// let mut typed = Net::ZERO;
/// typed.init(Init::Xavier, &mut microprop::init::seeded(1));
/// let mut blob = [0u8; checkpoint::params_len::<Net>()];
/// checkpoint::save(&typed, &mut blob).unwrap();
///
/// let layers = [LayerSpec::dense(8, ActivationKind::Tanh), LayerSpec::dense(3, ActivationKind::Identity)];
/// let topology = Topology::new(4, &layers).unwrap();
/// let mut params = [0.0; 67];
/// let mut net = Network::new(topology, &mut params).unwrap();
/// checkpoint::load_network(&mut net, &blob).unwrap();
/// let mut again = [0u8; checkpoint::params_len::<Net>()];
/// checkpoint::save_network(&net, &mut again).unwrap();
/// assert_eq!(blob, again);
/// ```
///
/// # Errors
/// [`CheckpointError::BufferTooSmall`].
pub fn save_network(net: &Network<'_>, buf: &mut [u8]) -> Result<usize, CheckpointError> {
    encode(net, NO_STATE, None, None, buf)
}

/// Reads parameters saved by any `save` function into a run-time network
/// of the same shape.
///
/// # Errors
/// Any [`CheckpointError`] but `BufferTooSmall`; `net` is unchanged then.
pub fn load_network(net: &mut Network<'_>, buf: &[u8]) -> Result<(), CheckpointError> {
    decode(buf, net, NO_STATE_MUT, None, None)
}

/// Writes a run-time network with its optimizer state (the flat buffer of
/// a [`dynamic::Trainer`](crate::dynamic::Trainer)) and step count: the
/// bytes [`save_training`] writes for the same state.
///
/// # Errors
/// [`CheckpointError::BufferTooSmall`].
pub fn save_network_training(
    net: &Network<'_>,
    optimizer_state: &[f32],
    steps: u32,
    buf: &mut [u8],
) -> Result<usize, CheckpointError> {
    let state = (
        optimizer_state.len(),
        core::iter::once(optimizer_state),
        steps,
    );
    encode(net, Some(state), None, None, buf)
}

/// Restores a run-time network, its optimizer state and step count.
///
/// # Errors
/// Any [`CheckpointError`] but `BufferTooSmall`, including
/// [`CheckpointError::MissingPart`] without saved optimizer state and
/// [`CheckpointError::OptimizerStateMismatch`] if `optimizer_state` is not
/// the saved length; nothing is changed then.
pub fn load_network_training(
    net: &mut Network<'_>,
    optimizer_state: &mut [f32],
    steps: &mut u32,
    buf: &[u8],
) -> Result<(), CheckpointError> {
    let state = (
        optimizer_state.len(),
        core::iter::once(optimizer_state),
        steps,
    );
    decode(buf, net, Some(state), None, None)
}

/// Bytes of a checkpoint of a run-time [`Backbone`] and the head trained
/// on it ([`save_fine_tuned`]), with `optimizer_values` floats of the
/// head's optimizer state if saved.
pub const fn fine_tuned_len(
    backbone: &Topology<'_>,
    head: &Topology<'_>,
    optimizer_values: Option<usize>,
) -> usize {
    encoded_len_of(
        backbone.depth() + head.depth(),
        backbone.depth() + head.params_len(),
        optimizer_values,
        None,
        None,
    )
}

/// [`CheckpointError::HeadMismatch`] unless `head` takes what `backbone`
/// gives.
fn head_fits(backbone: &Backbone<'_>, head: &Network<'_>) -> Result<(), CheckpointError> {
    let (outputs, inputs) = (backbone.topology().outputs(), head.topology().inputs());
    if outputs == inputs {
        Ok(())
    } else {
        Err(CheckpointError::HeadMismatch {
            backbone_outputs: u32::try_from(outputs).unwrap_or(u32::MAX),
            head_inputs: u32::try_from(inputs).unwrap_or(u32::MAX),
        })
    }
}

/// Writes a run-time [`Backbone`] and the head [`Network`] trained on its
/// outputs, as one network: the backbone's layers of kind
/// [`LayerKind::Flash`] (a CRC-32 of each layer's read-only values, as
/// for a const-generic [`Flash`](crate::Flash) backbone), the head's
/// trainable. The bytes [`save`] writes for
/// `network![Flash<..>, Head]` of the same shape and values.
///
/// ```
/// use microprop::ActivationKind::{Identity, Tanh};
/// use microprop::checkpoint::{self, CheckpointError};
/// use microprop::dynamic::{Backbone, LayerSpec, Network, Topology};
/// static FRONT: [f32; 8] = [0.5, -0.5, 0.25, 1.0, -0.25, 0.75, 0.5, -1.0];
/// let front_layers = [LayerSpec::dense(2, Tanh)];
/// let backbone = Backbone::new(Topology::new(3, &front_layers)?, &FRONT)?;
/// let head_layers = [LayerSpec::dense(1, Identity)];
/// let head = Topology::new(2, &head_layers)?;
/// let mut params = [0.25, -0.5, 0.1];
/// let net = Network::new(head, &mut params)?;
/// let mut blob = [0u8; 128];
/// let len = checkpoint::save_fine_tuned(&backbone, &net, &mut blob).unwrap();
/// assert_eq!(len, checkpoint::fine_tuned_len(&backbone.topology(), &head, None));
/// let blob = &blob[..len];
///
/// let mut loaded = [0.0; 3];
/// let mut copy = Network::new(head, &mut loaded)?;
/// checkpoint::load_fine_tuned(&backbone, &mut copy, blob).unwrap();
/// assert_eq!(loaded, params);
/// // Against another backbone: refused, nothing written.
/// static OTHER: [f32; 8] = [0.0; 8];
/// let other = Backbone::new(Topology::new(3, &front_layers)?, &OTHER)?;
/// let mut fresh = [0.0; 3];
/// let mut copy = Network::new(head, &mut fresh)?;
/// let err = checkpoint::load_fine_tuned(&other, &mut copy, blob).unwrap_err();
/// assert!(matches!(err, CheckpointError::FlashMismatch { layer: 0, .. }));
/// assert_eq!(fresh, [0.0; 3]);
/// # Ok::<(), microprop::Error>(())
/// ```
///
/// # Errors
/// [`CheckpointError::HeadMismatch`] if the head does not take the
/// backbone's outputs, [`CheckpointError::BufferTooSmall`].
pub fn save_fine_tuned(
    backbone: &Backbone<'_>,
    head: &Network<'_>,
    buf: &mut [u8],
) -> Result<usize, CheckpointError> {
    head_fits(backbone, head)?;
    encode(&FineTuned { backbone, head }, NO_STATE, None, None, buf)
}

/// Reads a checkpoint of a backbone and its head into `head`, after
/// checking that the backbone's values are the checkpoint's (their CRC-32s,
/// or the stored values of a checkpoint of the whole float network).
///
/// # Errors
/// Any [`CheckpointError`] but `BufferTooSmall`, including
/// [`CheckpointError::FlashMismatch`] for another backbone and
/// [`CheckpointError::HeadMismatch`] for a head that does not take its
/// outputs; `head` is unchanged then.
pub fn load_fine_tuned(
    backbone: &Backbone<'_>,
    head: &mut Network<'_>,
    buf: &[u8],
) -> Result<(), CheckpointError> {
    head_fits(backbone, head)?;
    decode(
        buf,
        &mut FineTuned { backbone, head },
        NO_STATE_MUT,
        None,
        None,
    )
}

/// [`save_fine_tuned`] with the head's optimizer state (a run-time
/// [`Trainer`](crate::dynamic::Trainer)'s flat buffer) and step count.
///
/// # Errors
/// As [`save_fine_tuned`].
pub fn save_fine_tuned_training(
    backbone: &Backbone<'_>,
    head: &Network<'_>,
    optimizer_state: &[f32],
    steps: u32,
    buf: &mut [u8],
) -> Result<usize, CheckpointError> {
    let state = (
        optimizer_state.len(),
        core::iter::once(optimizer_state),
        steps,
    );
    head_fits(backbone, head)?;
    encode(&FineTuned { backbone, head }, Some(state), None, None, buf)
}

/// [`load_fine_tuned`] with the head's optimizer state and step count.
///
/// # Errors
/// As [`load_fine_tuned`] and [`load_network_training`]; nothing is
/// changed then.
pub fn load_fine_tuned_training(
    backbone: &Backbone<'_>,
    head: &mut Network<'_>,
    optimizer_state: &mut [f32],
    steps: &mut u32,
    buf: &[u8],
) -> Result<(), CheckpointError> {
    head_fits(backbone, head)?;
    let state = (
        optimizer_state.len(),
        core::iter::once(optimizer_state),
        steps,
    );
    decode(
        buf,
        &mut FineTuned { backbone, head },
        Some(state),
        None,
        None,
    )
}

/// The kind of each layer of a checkpoint (every layer of a format-1
/// checkpoint is [`LayerKind::Trainable`]), written to the front of
/// `kinds`; returns the number of layers.
///
/// ```
/// use microprop::layer::LayerKind;
/// use microprop::{checkpoint, network, Dense, Frozen, Identity, Layer, Tanh};
/// type Net = network![Frozen<Dense<4, 8, Tanh>>, Dense<8, 3, Identity>];
/// let mut blob = [0u8; checkpoint::params_len::<Net>()];
/// checkpoint::save(&Net::ZERO, &mut blob).unwrap();
/// let mut kinds = [LayerKind::Trainable; 4];
/// assert_eq!(checkpoint::kinds(&blob, &mut kinds), Ok(2));
/// assert_eq!(kinds[..2], [LayerKind::Frozen, LayerKind::Trainable]);
/// ```
///
/// # Errors
/// As the first checks of [`load`]; [`CheckpointError::Malformed`] for an
/// unknown kind code; [`CheckpointError::BufferTooSmall`] if `kinds` is
/// too short (`needed` counts layers).
pub fn kinds(buf: &[u8], kinds: &mut [LayerKind]) -> Result<usize, CheckpointError> {
    let (mut r, depth, version) = layer_records(buf)?;
    if depth > kinds.len() {
        return Err(CheckpointError::BufferTooSmall {
            needed: depth,
            available: kinds.len(),
        });
    }
    for kind in kinds.iter_mut().take(depth) {
        *kind = Record::read(&mut r, version)?
            .kind
            .ok_or(CheckpointError::Malformed)?;
    }
    Ok(depth)
}

/// The layer list a checkpoint was saved for (to build the matching
/// run-time network before loading it), written to the front of `layers`:
/// returns the input width and the number of layers.
///
/// ```
/// use microprop::{checkpoint, network, ActivationKind, Dense, Identity, Layer, Tanh};
/// use microprop::dynamic::LayerSpec;
/// type Net = network![Dense<4, 8, Tanh>, Dense<8, 3, Identity>];
/// let mut blob = [0u8; checkpoint::params_len::<Net>()];
/// checkpoint::save(&Net::ZERO, &mut blob).unwrap();
/// let mut layers = [LayerSpec::dense(1, ActivationKind::Identity); 8];
/// let (inputs, depth) = checkpoint::layers(&blob, &mut layers).unwrap();
/// assert_eq!((inputs, depth), (4, 2));
/// assert_eq!(layers[0], LayerSpec::dense(8, ActivationKind::Tanh));
/// ```
///
/// # Errors
/// As the first checks of [`load`]; [`CheckpointError::Malformed`] for an
/// unknown activation code or a layer list that does not chain;
/// [`CheckpointError::BufferTooSmall`] if `layers` is too short (`needed`
/// counts layers).
pub fn layers(buf: &[u8], layers: &mut [LayerSpec]) -> Result<(usize, usize), CheckpointError> {
    let (mut r, depth, version) = layer_records(buf)?;
    if depth > layers.len() {
        return Err(CheckpointError::BufferTooSmall {
            needed: depth,
            available: layers.len(),
        });
    }
    let mut inputs = 0;
    let mut width = 0;
    for (index, spec) in layers.iter_mut().take(depth).enumerate() {
        let record = Record::read(&mut r, version)?;
        let layer_inputs = record.inputs as usize;
        if index == 0 {
            inputs = layer_inputs;
        } else if layer_inputs != width {
            return Err(CheckpointError::Malformed);
        }
        width = record.outputs as usize;
        *spec = LayerSpec {
            units: width,
            activation: ActivationKind::from_code(record.activation)
                .ok_or(CheckpointError::Malformed)?,
            parameter: record.parameter,
            pieces: usize::from(record.pieces),
        };
    }
    Ok((inputs, depth))
}
