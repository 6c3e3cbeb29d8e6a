//! Reading a checkpoint: every check first, then the writes.

use super::codec::{self, Reader};
use super::error::{Architecture, Part};
use super::layer_data;
use super::saved::Saved;
use super::{
    CRC, CheckpointError, FIXED_HEADER, FLAG_INPUT, FLAG_OPTIMIZER, FLAG_TARGET, FORMAT_VERSION,
    MAGIC, NormTarget, scaling_from_code,
};
use crate::activation::ActivationKind;
use crate::layer::{LayerKind, LayerShape, LayerValues, LayerValuesMut};
use crate::normalize::Scaling;

/// Checks length, magic, version and CRC; returns the body (without CRC)
/// and the format version.
pub(super) fn verify_envelope(buf: &[u8]) -> Result<(&[u8], u16), CheckpointError> {
    let mut r = Reader::new(buf);
    let magic = [r.u8()?, r.u8()?, r.u8()?, r.u8()?];
    if magic != MAGIC {
        return Err(CheckpointError::BadMagic);
    }
    let version = r.u16()?;
    if !(1..=FORMAT_VERSION).contains(&version) {
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
    Ok((body, version))
}

/// The layer records of a checkpoint whose envelope verifies: a reader at
/// the first record, the number of layers and the format version.
pub(super) fn layer_records(buf: &[u8]) -> Result<(Reader<'_>, usize, u16), CheckpointError> {
    let (body, version) = verify_envelope(buf)?;
    let mut r = Reader::new(body);
    r.u32()?; // magic
    r.u16()?; // version
    r.u16()?; // flags
    r.u32()?; // length
    let depth = usize::from(r.u16()?);
    r.u16()?; // reserved
    Ok((r, depth, version))
}

/// One stored layer record.
pub(super) struct Record {
    pub(super) inputs: u32,
    pub(super) outputs: u32,
    pub(super) pieces: u16,
    pub(super) activation: u8,
    /// `None`: an unknown kind code.
    pub(super) kind: Option<LayerKind>,
    pub(super) parameter: f32,
}

impl Record {
    /// The next record of `r`; format 1 has a reserved 0 where format 2
    /// has the kind (and every layer of format 1 is float).
    pub(super) fn read(r: &mut Reader<'_>, version: u16) -> Result<Record, CheckpointError> {
        let inputs = r.u32()?;
        let outputs = r.u32()?;
        let pieces = r.u16()?;
        let activation = r.u8()?;
        let code = r.u8()?;
        let parameter = r.f32()?;
        let kind = match version {
            1 if code == 0 => Some(LayerKind::Trainable),
            1 => return Err(CheckpointError::Malformed),
            _ => LayerKind::from_code(code),
        };
        Ok(Record {
            inputs,
            outputs,
            pieces,
            activation,
            kind,
            parameter,
        })
    }

    /// Bytes of this layer's data (`None`: an unknown kind or an overflow).
    fn data_len(&self) -> Option<usize> {
        layer_data::words(
            self.kind?,
            self.inputs as usize,
            self.outputs as usize,
            usize::from(self.pieces),
        )?
        .checked_mul(4)
    }
}

/// Walks the stored layer records from the first, keeping the byte
/// offset of each layer's data.
struct Layers<'a> {
    records: Reader<'a>,
    version: u16,
    data_at: usize,
}

impl Layers<'_> {
    /// The next record and the range of its data.
    fn next(&mut self) -> Result<(Record, usize, usize), CheckpointError> {
        let record = Record::read(&mut self.records, self.version)?;
        let start = self.data_at;
        let end = record
            .data_len()
            .and_then(|len| start.checked_add(len))
            .ok_or(CheckpointError::Malformed)?;
        self.data_at = end;
        Ok((record, start, end))
    }
}

/// Whether a layer stored as `stored` can load into the model's `model`:
/// the same value type (float or int8), and when optimizer state loads
/// (`roles`), the same values training.
fn compatible(stored: LayerKind, model: LayerKind, roles: bool) -> bool {
    stored.is_int8() == model.is_int8() && (!roles || stored.trains() == model.trains())
}

/// Loads `buf` into `net`, the optimizer state and the normalisers given,
/// after checking everything; writes nothing unless every check passes.
pub(super) fn decode<'s, N: Saved, S: Iterator<Item = &'s mut [f32]>>(
    buf: &[u8],
    net: &mut N,
    state: Option<(usize, S, &mut u32)>,
    input: Option<NormTarget<'_>>,
    target: Option<NormTarget<'_>>,
) -> Result<(), CheckpointError> {
    let (body, version) = verify_envelope(buf)?;
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
    let layer_start = r.position();
    let records = body.get(layer_start..).unwrap_or(&[]);
    let mut model_arch = Architecture::EMPTY;
    net.visit(&mut |s, _| model_arch.push(s.inputs as u32, s.outputs as u32));
    let mut stored_arch = Architecture::EMPTY;
    for _ in 0..layers {
        let inputs = r.u32()?;
        let outputs = r.u32()?;
        r.u32()?;
        r.u32()?;
        stored_arch.push(inputs, outputs);
    }
    let widths_match = stored_arch == model_arch && usize::from(layers) == net.depth() && {
        let mut all_equal = true;
        let mut check = Reader::new(records);
        net.visit(&mut |s, _| {
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
    // Format 1 did not record which values train: its optimizer state is
    // checked by length only, as format 1 did.
    let roles = state.is_some() && version >= 2;
    let mut layer_error = None;
    let mut check = Reader::new(records);
    net.visit(&mut |s: LayerShape, _| {
        if layer_error.is_some() {
            return;
        }
        let record = match Record::read(&mut check, version) {
            Ok(record) => record,
            Err(e) => {
                layer_error = Some(e);
                return;
            }
        };
        let stored_activation = ActivationKind::from_code(record.activation);
        let same = record.pieces == s.pieces as u16
            && stored_activation == Some(s.activation)
            && record.parameter.to_bits() == s.activation_parameter.to_bits();
        if !same {
            layer_error = Some(CheckpointError::LayerMismatch {
                layer: s.index as u16,
                checkpoint: stored_activation,
                model: s.activation,
            });
        } else if !record.kind.is_some_and(|k| compatible(k, s.kind, roles)) {
            layer_error = Some(CheckpointError::KindMismatch {
                layer: s.index as u16,
                checkpoint: record.kind,
                model: s.kind,
            });
        }
    });
    if let Some(e) = layer_error {
        return Err(e);
    }

    // The layer data's length follows from the stored records.
    let mut stored = Layers {
        records: Reader::new(records),
        version,
        data_at: 0,
    };
    for _ in 0..layers {
        stored.next()?;
    }
    let data_bytes = stored.data_at;
    let words = r.u32()? as usize;
    if words.checked_mul(4) != Some(data_bytes) {
        return Err(match version {
            1 => CheckpointError::IncompleteVersion1 {
                values: words as u32,
                needed: (data_bytes / 4) as u32,
            },
            _ => CheckpointError::Malformed,
        });
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
    let floats = state_values + 2 * norm_dims.iter().sum::<usize>();
    let expected = floats
        .checked_mul(4)
        .and_then(|f| f.checked_add(data_bytes))
        .and_then(|b| b.checked_add(payload_start));
    if expected != Some(body.len()) {
        return Err(CheckpointError::Malformed);
    }
    let data = body.get(payload_start..).unwrap_or(&[]);

    // Every layer's data: finite, in range, and agreeing with the model's
    // flash values.
    let mut stored = Layers {
        records: Reader::new(records),
        version,
        data_at: 0,
    };
    let mut data_error = None;
    net.visit(&mut |s: LayerShape, values: LayerValues<'_>| {
        if data_error.is_some() {
            return;
        }
        let checked = stored.next().and_then(|(record, start, end)| {
            let bytes = data.get(start..end).ok_or(CheckpointError::Malformed)?;
            let kind = record.kind.ok_or(CheckpointError::Malformed)?;
            layer_data::check(bytes, payload_start + start, kind, &s, values)
        });
        data_error = checked.err();
    });
    if let Some(e) = data_error {
        return Err(e);
    }
    let tail = body.get(payload_start + data_bytes..).unwrap_or(&[]);
    Reader::new(tail).check_finite_at(floats, payload_start + data_bytes)?;

    // Everything checks out: write.
    let mut stored = Layers {
        records: Reader::new(records),
        version,
        data_at: 0,
    };
    let mut next = 0;
    let mut write_error = None;
    net.visit_mut(&mut |s: LayerShape, values: LayerValuesMut<'_>| {
        // Skip the stored layers the model does not write (in flash).
        while next <= s.index && write_error.is_none() {
            match stored.next() {
                Ok((record, start, end)) if next == s.index => {
                    let from_flash = record.kind.is_none_or(LayerKind::is_flash);
                    if !from_flash {
                        let bytes = data.get(start..end).unwrap_or(&[]);
                        write_error = layer_data::read(bytes, values).err();
                    }
                    next += 1;
                    return;
                }
                Ok(_) => next += 1,
                Err(e) => write_error = Some(e),
            }
        }
    });
    if let Some(e) = write_error {
        return Err(e);
    }
    let mut r = Reader::new(tail);
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
