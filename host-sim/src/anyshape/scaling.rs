//! Normalisers of any width: [`Scaler`], and reading them from a core
//! checkpoint whose widths are known only at run time.
//!
//! The core loads normalisers only into `Normalizer<[f32; D]>` of a width
//! fixed at compile time, so the parts are read here from the fields the
//! format documents ([`microprop::checkpoint`]'s layout table), after the
//! core has checked the checkpoint's envelope, layer list and the
//! finiteness of every value ([`checkpoint::load_network`] runs first).

use microprop::checkpoint::CheckpointError;
use microprop::{Normalizer, Scaling};

/// A normaliser of any width: `x' = (x − offset)·scale`, as the core's
/// [`Normalizer`].
#[derive(Debug, Clone, PartialEq)]
pub struct Scaler {
    /// The scaling it was fitted for.
    pub scaling: Scaling,
    /// Subtracted first, one per feature.
    pub offset: Vec<f32>,
    /// Multiplied second, one per feature.
    pub scale: Vec<f32>,
}

impl Scaler {
    /// Scales `x` in place, as [`Normalizer::apply`] does (the same
    /// operations in the same order: the same bits).
    pub fn apply(&self, x: &mut [f32]) {
        for (v, (o, s)) in x.iter_mut().zip(self.offset.iter().zip(&self.scale)) {
            *v = (*v - o) * s;
        }
    }

    /// Undoes [`Scaler::apply`] in place, as [`Normalizer::invert`] does (a
    /// constant feature comes back as its constant).
    pub fn invert(&self, x: &mut [f32]) {
        for (v, (o, s)) in x.iter_mut().zip(self.offset.iter().zip(&self.scale)) {
            *v = if *s != 0.0 { *v / s + o } else { *o };
        }
    }

    /// Checks that both parts have `width` finite values.
    pub(super) fn check(&self, width: usize) -> Result<(), String> {
        if self.offset.len() != width || self.scale.len() != width {
            return Err(format!(
                "{} offsets and {} scales for {width} values",
                self.offset.len(),
                self.scale.len()
            ));
        }
        if !self.offset.iter().chain(&self.scale).all(|v| v.is_finite()) {
            return Err("a value is not finite".into());
        }
        Ok(())
    }
}

impl<const K: usize> From<&Normalizer<[f32; K]>> for Scaler {
    fn from(n: &Normalizer<[f32; K]>) -> Self {
        Scaler {
            scaling: n.scaling,
            offset: n.offset.to_vec(),
            scale: n.scale.to_vec(),
        }
    }
}

/// Flag bits of the checkpoint header.
const FLAG_OPTIMIZER: u16 = 1;
const FLAG_INPUT: u16 = 2;
const FLAG_TARGET: u16 = 4;

/// Reads little-endian fields at byte offsets, `Malformed` past the end.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn bytes<const N: usize>(&self, at: usize) -> Result<[u8; N], CheckpointError> {
        self.0
            .get(at..at + N)
            .and_then(|b| b.try_into().ok())
            .ok_or(CheckpointError::Malformed)
    }
    fn u16(&self, at: usize) -> Result<u16, CheckpointError> {
        self.bytes(at).map(u16::from_le_bytes)
    }
    fn u32(&self, at: usize) -> Result<usize, CheckpointError> {
        self.bytes(at).map(|b| u32::from_le_bytes(b) as usize)
    }
    fn f32s(&self, at: usize, n: usize) -> Result<Vec<f32>, CheckpointError> {
        (0..n)
            .map(|i| self.bytes(at + 4 * i).map(f32::from_le_bytes))
            .collect()
    }
}

/// The input and target normalisers of a checkpoint the core has already
/// verified and loaded (so its envelope, layer list and values are sound),
/// for a network of `inputs` features and `outputs` outputs.
///
/// # Errors
/// [`CheckpointError::Malformed`] if a part is cut short, has an unknown
/// scaling code, or is not as wide as the network's input or output;
/// [`CheckpointError::NonFinite`] is the core's to find first.
pub(super) fn read(
    blob: &[u8],
    inputs: usize,
    outputs: usize,
) -> Result<(Option<Scaler>, Option<Scaler>), CheckpointError> {
    let fields = Fields(blob);
    let flags = fields.u16(6)?;
    let depth = usize::from(fields.u16(12)?);
    let mut at = 16 + 16 * depth;
    let params = fields.u32(at)?;
    at += 4;
    let mut state = 0;
    if flags & FLAG_OPTIMIZER != 0 {
        state = fields.u32(at)?;
        at += 8;
    }
    // The part headers (width, scaling code), then every float.
    let mut parts = Vec::new();
    for (flag, width) in [(FLAG_INPUT, inputs), (FLAG_TARGET, outputs)] {
        if flags & flag == 0 {
            parts.push(None);
            continue;
        }
        let dim = fields.u32(at)?;
        let scaling = match fields.bytes::<1>(at + 4)? {
            [0] => Scaling::MinMax,
            [1] => Scaling::Standard,
            _ => return Err(CheckpointError::Malformed),
        };
        if dim != width {
            return Err(CheckpointError::Malformed);
        }
        parts.push(Some((dim, scaling)));
        at += 8;
    }
    let mut floats = at + 4 * (params + state);
    let mut scalers = parts.into_iter().map(|part| {
        part.map(|(dim, scaling)| {
            let offset = fields.f32s(floats, dim)?;
            let scale = fields.f32s(floats + 4 * dim, dim)?;
            floats += 8 * dim;
            Ok(Scaler {
                scaling,
                offset,
                scale,
            })
        })
        .transpose()
    });
    let input = scalers.next().transpose()?.flatten();
    let target = scalers.next().transpose()?.flatten();
    Ok((input, target))
}
