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
use crate::layer::{Layer, LayerShape};
use crate::model::Model;
use crate::normalize::{Normalizer, Scaling};
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
    let mut len = FIXED_HEADER + LAYER_RECORD * N::DEPTH + 4 + 4 * N::LEN + 4;
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
pub const fn model_len<N: Layer, const D: usize, const O: usize>() -> usize {
    encoded_len::<N>(None, Some(D), Some(O))
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
    encode::<N, ()>(net, None, None, None, buf)
}

/// Reads parameters saved by any of the `save` functions into `net`.
///
/// # Errors
/// Any [`CheckpointError`] but `BufferTooSmall`; `net` is unchanged then.
pub fn load<N: Layer>(net: &mut N, buf: &[u8]) -> Result<(), CheckpointError> {
    decode::<N, ()>(buf, net, None, None, None)
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
    encode(
        net,
        Some((trainer.optimizer_state(), trainer.steps())),
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
    decode(
        buf,
        net,
        Some((trainer.optimizer_state_mut(), &mut steps)),
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
pub fn save_model<N, const D: usize, const O: usize>(
    model: &Model<N, D, O>,
    buf: &mut [u8],
) -> Result<usize, CheckpointError>
where
    N: Layer<Input = [f32; D], Output = [f32; O]>,
{
    let input = NormView {
        scaling: model.input.scaling,
        offset: &model.input.offset,
        scale: &model.input.scale,
    };
    let target = NormView {
        scaling: model.target.scaling,
        offset: &model.target.offset,
        scale: &model.target.scale,
    };
    encode::<N, ()>(&model.net, None, Some(input), Some(target), buf)
}

/// Reads a [`Model`] saved by [`save_model`].
///
/// # Errors
/// Any [`CheckpointError`] but `BufferTooSmall`; nothing is changed then.
pub fn load_model<N, const D: usize, const O: usize>(
    model: &mut Model<N, D, O>,
    buf: &[u8],
) -> Result<(), CheckpointError>
where
    N: Layer<Input = [f32; D], Output = [f32; O]>,
{
    let Model { net, input, target } = model;
    let input: &mut Normalizer<D> = input;
    let target: &mut Normalizer<O> = target;
    decode::<N, ()>(
        buf,
        net,
        None,
        Some(NormTarget {
            scaling: &mut input.scaling,
            offset: &mut input.offset,
            scale: &mut input.scale,
        }),
        Some(NormTarget {
            scaling: &mut target.scaling,
            offset: &mut target.offset,
            scale: &mut target.scale,
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

fn model_architecture<N: Layer>(net: &N) -> Architecture {
    let mut arch = Architecture::EMPTY;
    net.visit_shapes(0, &mut |s: LayerShape| {
        arch.push(s.inputs as u32, s.outputs as u32)
    });
    arch
}

fn encode<N: Layer, S: Parameters>(
    net: &N,
    state: Option<(&S, u32)>,
    input: Option<NormView<'_>>,
    target: Option<NormView<'_>>,
    buf: &mut [u8],
) -> Result<usize, CheckpointError> {
    let needed = encoded_len::<N>(
        state.as_ref().map(|_| S::LEN),
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
    w.u16(N::DEPTH as u16)?;
    w.u16(0)?;
    let mut shape_result = Ok(());
    net.visit_shapes(0, &mut |s: LayerShape| {
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
    w.u32(N::LEN as u32)?;
    if let Some((_, steps)) = state {
        w.u32(S::LEN as u32)?;
        w.u32(steps)?;
    }
    for norm in [&input, &target].into_iter().flatten() {
        w.u32(norm.offset.len() as u32)?;
        w.bytes(&[scaling_code(norm.scaling), 0, 0, 0])?;
    }
    w.f32s(net.slices())?;
    if let Some((s, _)) = state {
        w.f32s(s.slices())?;
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

fn decode<N: Layer, S: Parameters>(
    buf: &[u8],
    net: &mut N,
    state: Option<(&mut S, &mut u32)>,
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
    let widths_match = stored_arch == model_arch && usize::from(layers) == N::DEPTH && {
        let mut all_equal = true;
        let mut check = Reader::new(body.get(layer_start..).unwrap_or(&[]));
        net.visit_shapes(0, &mut |s: LayerShape| {
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
    net.visit_shapes(0, &mut |s: LayerShape| {
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

    if r.u32()? as usize != N::LEN {
        return Err(CheckpointError::Malformed);
    }
    let (mut state_values, mut stored_steps) = (0usize, 0u32);
    if flags & FLAG_OPTIMIZER != 0 {
        state_values = r.u32()? as usize;
        stored_steps = r.u32()?;
        if state.is_some() && state_values != S::LEN {
            return Err(CheckpointError::OptimizerStateMismatch {
                checkpoint: state_values as u32,
                model: S::LEN as u32,
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
    let floats = N::LEN + state_values + 2 * norm_dims.iter().sum::<usize>();
    if payload_start + 4 * floats != body.len() {
        return Err(CheckpointError::Malformed);
    }
    r.check_finite(floats)?;

    // Everything checks out: write.
    let mut r = Reader::new(body.get(payload_start..).unwrap_or(&[]));
    r.f32s_into(net.slices_mut())?;
    match state {
        Some((s, steps)) => {
            r.f32s_into(s.slices_mut())?;
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
