//! Little-endian cursor over a caller's byte buffer; every access is checked
//! and fails instead of panicking.

use super::CheckpointError;

/// Copies `src` into `dst` (equal lengths here). A `zip` loop instead of
/// `copy_from_slice`, whose length check survives when the optimiser keeps
/// it out of line (`opt-level = "z"`) and would be a panic path.
pub(super) fn copy(dst: &mut [u8], src: &[u8]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

/// Appends little-endian values to a byte buffer.
pub(super) struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    pub(super) fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, pos: 0 }
    }

    pub(super) fn position(&self) -> usize {
        self.pos
    }

    pub(super) fn bytes(&mut self, bytes: &[u8]) -> Result<(), CheckpointError> {
        let end = self.pos + bytes.len();
        let available = self.buf.len();
        let dst = self
            .buf
            .get_mut(self.pos..end)
            .ok_or(CheckpointError::BufferTooSmall {
                needed: end,
                available,
            })?;
        copy(dst, bytes);
        self.pos = end;
        Ok(())
    }

    pub(super) fn u8(&mut self, v: u8) -> Result<(), CheckpointError> {
        self.bytes(&[v])
    }

    pub(super) fn u16(&mut self, v: u16) -> Result<(), CheckpointError> {
        self.bytes(&v.to_le_bytes())
    }

    pub(super) fn u32(&mut self, v: u32) -> Result<(), CheckpointError> {
        self.bytes(&v.to_le_bytes())
    }

    pub(super) fn f32(&mut self, v: f32) -> Result<(), CheckpointError> {
        self.bytes(&v.to_le_bytes())
    }

    pub(super) fn f32s<'s>(
        &mut self,
        slices: impl Iterator<Item = &'s [f32]>,
    ) -> Result<(), CheckpointError> {
        for s in slices {
            for &v in s {
                self.f32(v)?;
            }
        }
        Ok(())
    }

    /// Overwrites 4 bytes at `at` (for the length field).
    pub(super) fn patch_u32(&mut self, at: usize, v: u32) -> Result<(), CheckpointError> {
        let available = self.buf.len();
        let dst = self
            .buf
            .get_mut(at..at + 4)
            .ok_or(CheckpointError::BufferTooSmall {
                needed: at + 4,
                available,
            })?;
        copy(dst, &v.to_le_bytes());
        Ok(())
    }

    pub(super) fn written(&self) -> &[u8] {
        self.buf.get(..self.pos).unwrap_or(&[])
    }
}

/// Reads little-endian values from a byte slice.
pub(super) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub(super) fn position(&self) -> usize {
        self.pos
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N], CheckpointError> {
        let bytes = self
            .buf
            .get(self.pos..self.pos + N)
            .ok_or(CheckpointError::Truncated {
                length: self.buf.len(),
                needed: self.pos + N,
            })?;
        let mut out = [0u8; N];
        copy(&mut out, bytes);
        self.pos += N;
        Ok(out)
    }

    pub(super) fn u8(&mut self) -> Result<u8, CheckpointError> {
        self.take::<1>().map(|[b]| b)
    }

    pub(super) fn u16(&mut self) -> Result<u16, CheckpointError> {
        self.take().map(u16::from_le_bytes)
    }

    pub(super) fn u32(&mut self) -> Result<u32, CheckpointError> {
        self.take().map(u32::from_le_bytes)
    }

    pub(super) fn f32(&mut self) -> Result<f32, CheckpointError> {
        self.take().map(f32::from_le_bytes)
    }

    /// Reads into each slice in turn.
    pub(super) fn f32s_into<'s>(
        &mut self,
        slices: impl Iterator<Item = &'s mut [f32]>,
    ) -> Result<(), CheckpointError> {
        for s in slices {
            for v in s {
                *v = self.f32()?;
            }
        }
        Ok(())
    }

    /// Skips `count` floats.
    pub(super) fn skip_f32s(&mut self, count: usize) -> Result<(), CheckpointError> {
        for _ in 0..count {
            self.f32()?;
        }
        Ok(())
    }

    /// Reads `count` floats and checks they are all finite; the bytes
    /// start at byte `base` of the blob (for the offset an error names).
    pub(super) fn check_finite_at(
        &mut self,
        count: usize,
        base: usize,
    ) -> Result<(), CheckpointError> {
        for _ in 0..count {
            let at = base + self.pos;
            if !self.f32()?.is_finite() {
                return Err(CheckpointError::NonFiniteValue { offset: at });
            }
        }
        Ok(())
    }
}
