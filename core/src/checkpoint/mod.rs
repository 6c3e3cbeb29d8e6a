//! A versioned, CRC-protected binary format for trained models, written into
//! and read from caller buffers (no allocation).
//!
//! # Layout (little-endian)
//! ```text
//! offset  size  field
//! 0       4     magic "MPCK"
//! 4       2     format version (1)
//! 6       2     flags: 1 = optimizer state + step count, 2 = input normaliser,
//!               4 = target normaliser
//! 8       4     total length in bytes, CRC included
//! 12      2     number of layers L
//! 14      2     reserved (0)
//! 16      16·L  per layer: inputs u32, outputs u32, pieces u16,
//!               activation code u8, reserved u8, activation setting f32
//! ..      4     number of parameters P
//! ..      8     if flag 1: optimizer values S u32, optimizer steps u32
//! ..      8     if flag 2: features D u32, scaling u8, 3 reserved
//! ..      8     if flag 4: outputs O u32, scaling u8, 3 reserved
//! ..            P parameters f32 (in `Parameters` order), S optimizer
//!               values, D offsets + D scales, O offsets + O scales
//! end-4   4     CRC-32 (ISO-HDLC, as zlib) of everything before it
//! ```
//! Loading checks the length, magic, version and CRC, then the fingerprint
//! (layer sizes, activations, piece counts) against the model, then that every
//! stored value is finite, and only then writes anything.
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
mod error;
#[cfg(feature = "flash")]
mod ram_flash;
#[cfg(feature = "flash")]
pub mod store;

pub use error::{Architecture, CheckpointError, Part};
#[cfg(feature = "flash")]
pub use ram_flash::RamFlash;
#[cfg(feature = "flash")]
pub use store::{SlotInfo, Store, StoreError};

use codec::{Reader, Writer};

use crate::activation::ActivationKind;
use crate::buffer::Row;
use crate::dynamic::{LayerSpec, Network, Topology};
use crate::layer::{Layer, LayerShape};
use crate::model::Model;
use crate::normalize::Scaling;
use crate::optim::Optimizer;
use crate::params::Parameters;
use crate::trainer::Trainer;

/// First four bytes of every checkpoint.
pub const MAGIC: [u8; 4] = *b"MPCK";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;

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

/// Bytes of a checkpoint of network `N`, with optimizer state of
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
        N::LEN,
        optimizer_values,
        input_features,
        target_outputs,
    )
}

/// [`encoded_len`] for a network of `depth` layers and `params` parameters.
const fn encoded_len_of(
    depth: usize,
    params: usize,
    optimizer_values: Option<usize>,
    input_features: Option<usize>,
    target_outputs: Option<usize>,
) -> usize {
    let mut len = FIXED_HEADER + LAYER_RECORD * depth + 4 + 4 * params + 4;
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

/// A network as the format sees it: a const-generic [`Layer`] or a
/// run-time [`Network`].
trait Saved {
    fn depth(&self) -> usize;
    fn len(&self) -> usize;
    fn each_shape(&self, f: &mut dyn FnMut(LayerShape));
    fn values(&self) -> impl Iterator<Item = &[f32]>;
    fn values_mut(&mut self) -> impl Iterator<Item = &mut [f32]>;
}

impl<N: Layer> Saved for N {
    fn depth(&self) -> usize {
        N::DEPTH
    }
    fn len(&self) -> usize {
        N::LEN
    }
    fn each_shape(&self, f: &mut dyn FnMut(LayerShape)) {
        self.visit_shapes(0, f);
    }
    fn values(&self) -> impl Iterator<Item = &[f32]> {
        self.slices()
    }
    fn values_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        self.slices_mut()
    }
}

impl Saved for Network<'_> {
    fn depth(&self) -> usize {
        self.topology().depth()
    }
    fn len(&self) -> usize {
        self.topology().params_len()
    }
    fn each_shape(&self, f: &mut dyn FnMut(LayerShape)) {
        self.topology().shapes().for_each(f);
    }
    fn values(&self) -> impl Iterator<Item = &[f32]> {
        core::iter::once(self.params())
    }
    fn values_mut(&mut self) -> impl Iterator<Item = &mut [f32]> {
        core::iter::once(self.params_mut())
    }
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
    let (body, _) = verify_envelope(buf)?;
    let mut r = Reader::new(body);
    r.u32()?;
    r.u32()?;
    r.u32()?;
    let depth = usize::from(r.u16()?);
    r.u16()?;
    if depth > layers.len() {
        return Err(CheckpointError::BufferTooSmall {
            needed: depth,
            available: layers.len(),
        });
    }
    let mut inputs = 0;
    let mut width = 0;
    for (index, spec) in layers.iter_mut().take(depth).enumerate() {
        let layer_inputs = r.u32()? as usize;
        let units = r.u32()? as usize;
        let pieces = usize::from(r.u16()?);
        let activation = ActivationKind::from_code(r.u8()?).ok_or(CheckpointError::Malformed)?;
        r.u8()?;
        let parameter = r.f32()?;
        if index == 0 {
            inputs = layer_inputs;
        } else if layer_inputs != width {
            return Err(CheckpointError::Malformed);
        }
        width = units;
        *spec = LayerSpec {
            units,
            activation,
            parameter,
            pieces,
        };
    }
    Ok((inputs, depth))
}

fn model_architecture<N: Saved>(net: &N) -> Architecture {
    let mut arch = Architecture::EMPTY;
    net.each_shape(&mut |s: LayerShape| arch.push(s.inputs as u32, s.outputs as u32));
    arch
}

fn encode<'s, N: Saved, S: Iterator<Item = &'s [f32]>>(
    net: &N,
    state: Option<(usize, S, u32)>,
    input: Option<NormView<'_>>,
    target: Option<NormView<'_>>,
    buf: &mut [u8],
) -> Result<usize, CheckpointError> {
    let needed = encoded_len_of(
        net.depth(),
        net.len(),
        state.as_ref().map(|(len, _, _)| *len),
        input.as_ref().map(|n| n.offset.len()),
        target.as_ref().map(|n| n.offset.len()),
    );
    if buf.len() < needed {
        return Err(CheckpointError::BufferTooSmall {
            needed,
            available: buf.len(),
        });
    }
    let mut flags = 0;
    if state.is_some() {
        flags |= FLAG_OPTIMIZER;
    }
    if input.is_some() {
        flags |= FLAG_INPUT;
    }
    if target.is_some() {
        flags |= FLAG_TARGET;
    }
    let mut w = Writer::new(buf);
    w.bytes(&MAGIC)?;
    w.u16(FORMAT_VERSION)?;
    w.u16(flags)?;
    w.u32(0)?; // total length, patched below
    w.u16(net.depth() as u16)?;
    w.u16(0)?;
    let mut shape_result = Ok(());
    net.each_shape(&mut |s: LayerShape| {
        if shape_result.is_ok() {
            shape_result = (|| {
                w.u32(s.inputs as u32)?;
                w.u32(s.outputs as u32)?;
                w.u16(s.pieces as u16)?;
                w.u8(s.activation.code())?;
                w.u8(0)?;
                w.f32(s.activation_parameter)
            })();
        }
    });
    shape_result?;
    w.u32(net.len() as u32)?;
    let mut state_values = None;
    if let Some((len, values, steps)) = state {
        w.u32(len as u32)?;
        w.u32(steps)?;
        state_values = Some(values);
    }
    for norm in [&input, &target].into_iter().flatten() {
        w.u32(norm.offset.len() as u32)?;
        w.bytes(&[scaling_code(norm.scaling), 0, 0, 0])?;
    }
    w.f32s(net.values())?;
    if let Some(values) = state_values {
        w.f32s(values)?;
    }
    for norm in [&input, &target].into_iter().flatten() {
        w.f32s([norm.offset, norm.scale].into_iter())?;
    }
    let total = w.position() + 4;
    w.patch_u32(8, total as u32)?;
    let crc = CRC.checksum(w.written());
    w.u32(crc)?;
    Ok(w.position())
}

/// Checks length, magic, version and CRC; returns the body (without CRC)
/// and the total length.
fn verify_envelope(buf: &[u8]) -> Result<(&[u8], usize), CheckpointError> {
    let mut r = Reader::new(buf);
    let magic = [r.u8()?, r.u8()?, r.u8()?, r.u8()?];
    if magic != MAGIC {
        return Err(CheckpointError::BadMagic);
    }
    let version = r.u16()?;
    if version != FORMAT_VERSION {
        return Err(CheckpointError::UnsupportedVersion {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    r.u16()?;
    let total = r.u32()? as usize;
    if total < FIXED_HEADER + 8 {
        return Err(CheckpointError::Malformed);
    }
    let blob = buf.get(..total).ok_or(CheckpointError::Truncated {
        length: buf.len(),
        needed: total,
    })?;
    let (body, crc_bytes) = blob.split_at(total - 4);
    let mut crc = [0u8; 4];
    codec::copy(&mut crc, crc_bytes);
    let stored = u32::from_le_bytes(crc);
    let computed = CRC.checksum(body);
    if stored != computed {
        return Err(CheckpointError::CrcMismatch { stored, computed });
    }
    Ok((body, total))
}

fn decode<'s, N: Saved, S: Iterator<Item = &'s mut [f32]>>(
    buf: &[u8],
    net: &mut N,
    state: Option<(usize, S, &mut u32)>,
    input: Option<NormTarget<'_>>,
    target: Option<NormTarget<'_>>,
) -> Result<(), CheckpointError> {
    let (body, _) = verify_envelope(buf)?;
    let mut r = Reader::new(body);
    r.u32()?;
    r.u16()?;
    let flags = r.u16()?;
    if flags & !(FLAG_OPTIMIZER | FLAG_INPUT | FLAG_TARGET) != 0 {
        return Err(CheckpointError::Malformed);
    }
    r.u32()?;
    let layers = r.u16()?;
    r.u16()?;

    // Fingerprint: widths first (the most useful message), then details.
    let model_arch = model_architecture(net);
    let mut stored_arch = Architecture::EMPTY;
    let layer_start = r.position();
    for _ in 0..layers {
        let inputs = r.u32()?;
        let outputs = r.u32()?;
        r.u32()?;
        r.u32()?;
        stored_arch.push(inputs, outputs);
    }
    let widths_match = stored_arch == model_arch && usize::from(layers) == net.depth() && {
        let mut all_equal = true;
        let mut check = Reader::new(body.get(layer_start..).unwrap_or(&[]));
        net.each_shape(&mut |s: LayerShape| {
            let (i, o) = (check.u32(), check.u32());
            let _ = check.u32();
            let _ = check.u32();
            all_equal &= i == Ok(s.inputs as u32) && o == Ok(s.outputs as u32);
        });
        all_equal
    };
    if !widths_match {
        return Err(CheckpointError::ArchitectureMismatch {
            checkpoint: stored_arch,
            model: model_arch,
        });
    }
    let mut layer_error = None;
    let mut check = Reader::new(body.get(layer_start..).unwrap_or(&[]));
    net.each_shape(&mut |s: LayerShape| {
        let _ = check.u32();
        let _ = check.u32();
        let pieces = check.u16();
        let code = check.u8();
        let _ = check.u8();
        let parameter = check.f32();
        let stored_kind = code.ok().and_then(ActivationKind::from_code);
        let same = pieces == Ok(s.pieces as u16)
            && stored_kind == Some(s.activation)
            && parameter.map(f32::to_bits) == Ok(s.activation_parameter.to_bits());
        if !same && layer_error.is_none() {
            layer_error = Some(CheckpointError::LayerMismatch {
                layer: s.index as u16,
                checkpoint: stored_kind,
                model: s.activation,
            });
        }
    });
    if let Some(e) = layer_error {
        return Err(e);
    }

    let params = net.len();
    if r.u32()? as usize != params {
        return Err(CheckpointError::Malformed);
    }
    let (mut state_values, mut stored_steps) = (0usize, 0u32);
    if flags & FLAG_OPTIMIZER != 0 {
        state_values = r.u32()? as usize;
        stored_steps = r.u32()?;
        if let Some((len, _, _)) = &state
            && state_values != *len
        {
            return Err(CheckpointError::OptimizerStateMismatch {
                checkpoint: state_values as u32,
                model: *len as u32,
            });
        }
    } else if state.is_some() {
        return Err(CheckpointError::MissingPart(Part::OptimizerState));
    }
    let mut norm_dims = [0usize; 2];
    let mut norm_scalings = [Scaling::MinMax; 2];
    for (i, (flag, wanted, part)) in [
        (
            FLAG_INPUT,
            input.as_ref().map(|n| n.offset.len()),
            Part::InputNormalizer,
        ),
        (
            FLAG_TARGET,
            target.as_ref().map(|n| n.offset.len()),
            Part::TargetNormalizer,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        if flags & flag != 0 {
            let dim = r.u32()? as usize;
            let code = r.u8()?;
            r.u8()?;
            r.u16()?;
            let scaling = scaling_from_code(code).ok_or(CheckpointError::Malformed)?;
            if let Some(want) = wanted
                && want != dim
            {
                return Err(CheckpointError::NormalizerMismatch {
                    checkpoint: dim as u32,
                    model: want as u32,
                });
            }
            if let (Some(d), Some(s)) = (norm_dims.get_mut(i), norm_scalings.get_mut(i)) {
                *d = dim;
                *s = scaling;
            }
        } else if wanted.is_some() {
            return Err(CheckpointError::MissingPart(part));
        }
    }
    let payload_start = r.position();
    let floats = params + state_values + 2 * norm_dims.iter().sum::<usize>();
    if payload_start + 4 * floats != body.len() {
        return Err(CheckpointError::Malformed);
    }
    r.check_finite(floats)?;

    // Everything checks out: write.
    let mut r = Reader::new(body.get(payload_start..).unwrap_or(&[]));
    r.f32s_into(net.values_mut())?;
    match state {
        Some((_, values, steps)) => {
            r.f32s_into(values)?;
            *steps = stored_steps;
        }
        // Skip stored optimizer values the caller did not ask for.
        None => r.skip_f32s(state_values)?,
    }
    let [input_dim, target_dim] = norm_dims;
    for (norm, dim, scaling) in [
        (input, input_dim, norm_scalings[0]),
        (target, target_dim, norm_scalings[1]),
    ] {
        match norm {
            Some(n) => {
                r.f32s_into([n.offset, n.scale].into_iter())?;
                *n.scaling = scaling;
            }
            None => r.skip_f32s(2 * dim)?,
        }
    }
    Ok(())
}
