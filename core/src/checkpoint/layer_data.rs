//! One layer's data in a checkpoint: f32 weights and biases, an int8
//! layer's scales, biases and weights, or the CRC-32 of values kept in
//! flash. How many words each takes, how it is written, checked and read.

use super::CRC;
use super::CheckpointError;
use super::codec::{Reader, Writer};
use crate::layer::{LayerKind, LayerShape, LayerValues, LayerValuesMut};

/// Zero bytes after `weights` int8 weights, up to a whole word.
const fn padding(weights: usize) -> usize {
    (4 - weights % 4) % 4
}

/// 4-byte words of a layer of `kind` with `inputs`, `outputs` and
/// `pieces`; `None` if that overflows or an int8 layer has pieces.
pub(super) fn words(
    kind: LayerKind,
    inputs: usize,
    outputs: usize,
    pieces: usize,
) -> Option<usize> {
    if kind.is_flash() {
        return Some(1);
    }
    if kind.is_int8() {
        if pieces != 1 {
            return None;
        }
        let weights = inputs.checked_mul(outputs)?.div_ceil(4);
        return outputs.checked_mul(2)?.checked_add(weights);
    }
    inputs
        .checked_add(1)?
        .checked_mul(pieces)?
        .checked_mul(outputs)
}

/// CRC-32 of the bytes a checkpoint stores for `values` in RAM (what a
/// flash layer's word holds).
pub(super) fn crc(values: LayerValues<'_>) -> u32 {
    let mut digest = CRC.digest();
    match values {
        LayerValues::Float { weights, bias } => {
            for v in weights.iter().chain(bias) {
                digest.update(&v.to_le_bytes());
            }
        }
        LayerValues::Int8 {
            weights,
            scales,
            bias,
        } => {
            for v in scales.iter().chain(bias) {
                digest.update(&v.to_le_bytes());
            }
            for q in weights {
                digest.update(&q.to_le_bytes());
            }
            for _ in 0..padding(weights.len()) {
                digest.update(&[0]);
            }
        }
    }
    digest.finalize()
}

/// Writes a layer of `kind`: its values, or their CRC-32 if in flash.
pub(super) fn write(
    w: &mut Writer<'_>,
    kind: LayerKind,
    values: LayerValues<'_>,
) -> Result<(), CheckpointError> {
    if kind.is_flash() {
        return w.u32(crc(values));
    }
    match values {
        LayerValues::Float { weights, bias } => w.f32s([weights, bias].into_iter()),
        LayerValues::Int8 {
            weights,
            scales,
            bias,
        } => {
            w.f32s([scales, bias].into_iter())?;
            for q in weights {
                w.bytes(&q.to_le_bytes())?;
            }
            for _ in 0..padding(weights.len()) {
                w.u8(0)?;
            }
            Ok(())
        }
    }
}

/// Checks the data `bytes` (at byte `at` of the blob) of a layer stored as
/// `stored`, for the model's layer `shape` with `values`: every float
/// finite, every int8 weight in `-127..=127`, zero padding; and if either
/// side keeps the values in flash, that the CRC-32s agree.
pub(super) fn check(
    bytes: &[u8],
    at: usize,
    stored: LayerKind,
    shape: &LayerShape,
    values: LayerValues<'_>,
) -> Result<(), CheckpointError> {
    let flash_mismatch = |checkpoint: u32, model: u32| CheckpointError::FlashMismatch {
        layer: shape.index as u16,
        checkpoint,
        model,
    };
    if stored.is_flash() {
        let checkpoint = Reader::new(bytes).u32()?;
        let model = crc(values);
        return if checkpoint == model {
            Ok(())
        } else {
            Err(flash_mismatch(checkpoint, model))
        };
    }
    let mut r = Reader::new(bytes);
    if stored.is_int8() {
        r.check_finite_at(2 * shape.outputs, at)?;
        let weights = shape.inputs * shape.outputs;
        for _ in 0..weights {
            let offset = at + r.position();
            if r.u8()? == 0x80 {
                return Err(CheckpointError::Int8OutOfRange { offset });
            }
        }
        for _ in 0..padding(weights) {
            if r.u8()? != 0 {
                return Err(CheckpointError::Malformed);
            }
        }
    } else {
        r.check_finite_at(bytes.len() / 4, at)?;
    }
    if shape.kind.is_flash() {
        let checkpoint = CRC.checksum(bytes);
        let model = crc(values);
        if checkpoint != model {
            return Err(flash_mismatch(checkpoint, model));
        }
    }
    Ok(())
}

/// Reads checked layer data `bytes` into `values` (a layer of the same
/// value type, in RAM).
pub(super) fn read(bytes: &[u8], values: LayerValuesMut<'_>) -> Result<(), CheckpointError> {
    let mut r = Reader::new(bytes);
    match values {
        LayerValuesMut::Float { weights, bias } => r.f32s_into([weights, bias].into_iter()),
        LayerValuesMut::Int8 {
            weights,
            scales,
            bias,
        } => {
            r.f32s_into([scales, bias].into_iter())?;
            for q in weights {
                *q = i8::from_le_bytes([r.u8()?]);
            }
            Ok(())
        }
    }
}
