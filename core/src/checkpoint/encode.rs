//! Writing a checkpoint.

use super::codec::Writer;
use super::layer_data;
use super::saved::Saved;
use super::{
    CRC, CheckpointError, FLAG_INPUT, FLAG_OPTIMIZER, FLAG_TARGET, FORMAT_VERSION, NormView,
    encoded_len_of, scaling_code,
};
use crate::layer::{LayerShape, LayerValues};

/// Writes `net`, the optimizer state (its length, its slices, the step
/// count) and the normalisers given, into `buf`; returns the bytes written.
pub(super) fn encode<'s, N: Saved, S: Iterator<Item = &'s [f32]>>(
    net: &N,
    state: Option<(usize, S, u32)>,
    input: Option<NormView<'_>>,
    target: Option<NormView<'_>>,
    buf: &mut [u8],
) -> Result<usize, CheckpointError> {
    let needed = encoded_len_of(
        net.depth(),
        net.words(),
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
    w.bytes(&super::MAGIC)?;
    w.u16(FORMAT_VERSION)?;
    w.u16(flags)?;
    w.u32(0)?; // total length, patched below
    w.u16(net.depth() as u16)?;
    w.u16(0)?;
    let mut result = Ok(());
    net.visit(&mut |s: LayerShape, _| {
        if result.is_ok() {
            result = (|| {
                w.u32(s.inputs as u32)?;
                w.u32(s.outputs as u32)?;
                w.u16(s.pieces as u16)?;
                w.u8(s.activation.code())?;
                w.u8(s.kind.code())?;
                w.f32(s.activation_parameter)
            })();
        }
    });
    result?;
    w.u32(net.words() as u32)?;
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
    net.visit(&mut |s: LayerShape, values: LayerValues<'_>| {
        if result.is_ok() {
            result = layer_data::write(&mut w, s.kind, values);
        }
    });
    result?;
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
