//! A power-loss-safe two-slot store for checkpoint blobs on any
//! [`embedded_storage::nor_flash::NorFlash`].
//!
//! # Why not `sequential-storage`
//! `sequential-storage` (8.x) keeps every item inside one flash page and its
//! length in a `u16`: an item can be at most one page minus its header. A
//! training checkpoint of the digits model (64-32-10, Adam state) is about
//! 29 KB, more than a 4 KB nRF52 page, and its map would also need room to
//! migrate items and an async flash driver. A checkpoint is one large value
//! replaced as a whole, which two alternating slots do with nothing else.
//!
//! # Layout of a slot
//! ```text
//! offset   size  field
//! 0        4     magic "MPST"
//! 4        4     sequence number (u32, little-endian; newer = larger, wrapping)
//! 8        4     blob length in bytes
//! 12       4     CRC-32 of the blob
//! 16       4     CRC-32 of bytes 0..16
//! H        len   the blob (H = 20 rounded up to the flash's write/read size)
//! ```
//!
//! # Writing
//! [`Store::save`] writes into the slot that does not hold the newest valid
//! blob: erase the slot, write the blob, read it back and check its CRC, and
//! only then write the header, the commit marker. A power cut at any point
//! leaves either no valid header in that slot (erased, or torn and failing its
//! CRC) or a header whose blob CRC does not match, so the other slot, the
//! previous checkpoint, is still the newest valid one. [`Store::load_latest`]
//! returns the newest slot whose header and blob both check out.
//!
//! ```
//! use microprop::checkpoint::{RamFlash, Store};
//! // 2 slots of 1 KB on a flash with 4-byte words and 512-byte pages.
//! let mut store = Store::new(RamFlash::<2048, 4, 512>::new(), 0..1024, 1024..2048).unwrap();
//! let mut buf = [0u8; 1024];
//! assert_eq!(store.load_latest(&mut buf).unwrap(), None);
//! store.save(b"first").unwrap();
//! store.save(b"second").unwrap();
//! let (seq, len) = store.load_latest(&mut buf).unwrap().unwrap();
//! assert_eq!((seq, &buf[..len]), (2, &b"second"[..]));
//! ```

use core::fmt;
use core::ops::Range;

use embedded_storage::nor_flash::NorFlash;

use super::CRC;

/// First four bytes of a slot header.
pub const SLOT_MAGIC: [u8; 4] = *b"MPST";
/// Bytes of a slot header before padding to the flash's write size.
pub const HEADER_LEN: usize = 20;
/// Largest write or read size (bytes) the store supports.
pub const MAX_ALIGN: usize = 64;

/// Why the store could not save or load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum StoreError<E> {
    /// The flash driver failed.
    Flash(E),
    /// The slot ranges are not erase-aligned, overlap, lie outside the
    /// flash, or are too small for a header.
    BadLayout,
    /// The blob does not fit in a slot.
    TooLarge {
        /// Blob length.
        len: usize,
        /// Largest blob a slot holds.
        capacity: usize,
    },
    /// The caller's buffer is smaller than the stored blob.
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// Reading back what was just written gave other bytes (the slot is
    /// left uncommitted; the previous checkpoint is still the newest).
    VerifyFailed,
}

impl<E: fmt::Debug> fmt::Display for StoreError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Flash(e) => write!(f, "flash error: {e:?}"),
            StoreError::BadLayout => f.write_str("checkpoint slots are misaligned or overlap"),
            StoreError::TooLarge { len, capacity } => {
                write!(f, "blob of {len} bytes exceeds the slot's {capacity} bytes")
            }
            StoreError::BufferTooSmall { needed, available } => {
                write!(
                    f,
                    "stored blob needs {needed} bytes, buffer has {available}"
                )
            }
            StoreError::VerifyFailed => f.write_str("read-back after writing differs"),
        }
    }
}

impl<E: fmt::Debug> core::error::Error for StoreError<E> {}

/// A slot's valid header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SlotInfo {
    /// Slot index, 0 or 1.
    pub slot: u8,
    /// Sequence number.
    pub seq: u32,
    /// Blob length in bytes.
    pub len: u32,
}

/// Header fields, as stored.
#[derive(Clone, Copy)]
struct Header {
    seq: u32,
    len: u32,
    crc: u32,
}

impl Header {
    fn encode(&self) -> [u8; HEADER_LEN] {
        let fields =
            [u32::from_le_bytes(SLOT_MAGIC), self.seq, self.len, self.crc].map(u32::to_le_bytes);
        let fields = fields.as_flattened();
        let check = CRC.checksum(fields).to_le_bytes();
        let mut out = [0u8; HEADER_LEN];
        for (dst, src) in out.iter_mut().zip(fields.iter().chain(&check)) {
            *dst = *src;
        }
        out
    }

    /// The header in `bytes` if magic and CRC check out.
    fn decode(bytes: &[u8; HEADER_LEN]) -> Option<Header> {
        let (fields, _) = bytes.split_first_chunk::<16>()?;
        if word(bytes, 0).to_le_bytes() != SLOT_MAGIC || CRC.checksum(fields) != word(bytes, 16) {
            return None;
        }
        Some(Header {
            seq: word(bytes, 4),
            len: word(bytes, 8),
            crc: word(bytes, 12),
        })
    }
}

/// The little-endian `u32` at byte `at` (copied with `zip`: no length
/// check left for the optimiser to keep, even at `opt-level = "z"`).
fn word(bytes: &[u8; HEADER_LEN], at: usize) -> u32 {
    let mut b = [0u8; 4];
    for (d, s) in b.iter_mut().zip(bytes.iter().skip(at)) {
        *d = *s;
    }
    u32::from_le_bytes(b)
}

/// A slot index with its decoded header.
type Candidate = Option<(usize, Header)>;

/// `true` if sequence number `a` is newer than `b` (serial-number arithmetic,
/// so the counter may wrap).
fn newer(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

/// Two alternating checkpoint slots on a NOR flash. See the
/// [module documentation](self) for the layout and the write order.
///
/// Needs no buffer of its own beyond a few dozen bytes of stack: `save`
/// writes straight from the caller's blob and `load_latest` reads into the
/// caller's buffer.
pub struct Store<F: NorFlash> {
    flash: F,
    slots: [Range<u32>; 2],
}

impl<F: NorFlash> Store<F> {
    /// Alignment of writes and reads: the larger of the two sizes.
    const ALIGN: usize = {
        assert!(
            F::WRITE_SIZE <= MAX_ALIGN && F::READ_SIZE <= MAX_ALIGN,
            "flash write or read size above MAX_ALIGN"
        );
        assert!(F::WRITE_SIZE > 0 && F::READ_SIZE > 0);
        if F::WRITE_SIZE > F::READ_SIZE {
            F::WRITE_SIZE
        } else {
            F::READ_SIZE
        }
    };
    /// Header bytes as written: [`HEADER_LEN`] padded to the alignment.
    const HEADER_SPACE: usize = HEADER_LEN.div_ceil(Self::ALIGN) * Self::ALIGN;

    /// A store over two slots of `flash`. Each range must start and end on
    /// an erase-sector boundary, lie within the flash, hold at least a
    /// header, and not overlap the other. Nothing is read or written yet.
    ///
    /// # Errors
    /// [`StoreError::BadLayout`].
    pub fn new(
        flash: F,
        slot0: Range<u32>,
        slot1: Range<u32>,
    ) -> Result<Self, StoreError<F::Error>> {
        let capacity = flash.capacity();
        let ok = |r: &Range<u32>| {
            let (start, end) = (r.start as usize, r.end as usize);
            start < end
                && end <= capacity
                && start.is_multiple_of(F::ERASE_SIZE.max(1))
                && end.is_multiple_of(F::ERASE_SIZE.max(1))
                && end - start >= Self::HEADER_SPACE
        };
        let disjoint = slot0.end <= slot1.start || slot1.end <= slot0.start;
        if !(ok(&slot0) && ok(&slot1) && disjoint) {
            return Err(StoreError::BadLayout);
        }
        Ok(Store {
            flash,
            slots: [slot0, slot1],
        })
    }

    /// Largest blob a slot holds (the smaller slot minus its header).
    pub fn capacity(&self) -> usize {
        self.slots
            .iter()
            .map(|r| r.len().saturating_sub(Self::HEADER_SPACE))
            .min()
            .unwrap_or(0)
    }

    /// The flash, e.g. to inspect it in a test.
    pub fn flash(&self) -> &F {
        &self.flash
    }

    /// The flash, mutably.
    pub fn flash_mut(&mut self) -> &mut F {
        &mut self.flash
    }

    /// Gives the flash back.
    pub fn into_inner(self) -> F {
        self.flash
    }

    fn slot(&self, index: usize) -> Range<u32> {
        self.slots.get(index).cloned().unwrap_or(0..0)
    }

    /// The header of slot `index` if it decodes and its length fits the slot.
    fn header(&mut self, index: usize) -> Result<Option<Header>, StoreError<F::Error>> {
        let slot = self.slot(index);
        let mut raw = [0u8; MAX_ALIGN];
        let Some(space) = raw.get_mut(..Self::HEADER_SPACE) else {
            return Ok(None);
        };
        self.flash
            .read(slot.start, space)
            .map_err(StoreError::Flash)?;
        let Some((bytes, _)) = raw.split_first_chunk::<HEADER_LEN>() else {
            return Ok(None);
        };
        Ok(Header::decode(bytes)
            .filter(|h| (h.len as usize) <= (slot.len()).saturating_sub(Self::HEADER_SPACE)))
    }

    /// CRC-32 of `len` stored blob bytes of slot `index`, read in small
    /// aligned chunks through the stack.
    fn stored_crc(&mut self, index: usize, len: usize) -> Result<u32, StoreError<F::Error>> {
        let start = self.slot(index).start as usize + Self::HEADER_SPACE;
        let mut digest = CRC.digest();
        let mut chunk = [0u8; MAX_ALIGN];
        let mut done = 0;
        while done < len {
            let take = (len - done).min(MAX_ALIGN);
            let aligned = take.div_ceil(Self::ALIGN) * Self::ALIGN;
            let buf = chunk.get_mut(..aligned).ok_or(StoreError::BadLayout)?;
            self.flash
                .read((start + done) as u32, buf)
                .map_err(StoreError::Flash)?;
            digest.update(buf.get(..take).ok_or(StoreError::BadLayout)?);
            done += take;
        }
        Ok(digest.finalize())
    }

    /// Headers of both slots, newest first, with their slot index.
    fn candidates(&mut self) -> Result<[Candidate; 2], StoreError<F::Error>> {
        let a = self.header(0)?.map(|h| (0, h));
        let b = self.header(1)?.map(|h| (1, h));
        Ok(match (a, b) {
            (Some(x), Some(y)) if newer(y.1.seq, x.1.seq) => [Some(y), Some(x)],
            (Some(x), y) => [Some(x), y],
            (None, y) => [y, None],
        })
    }

    /// The newest slot whose header and blob both check out, without a
    /// buffer (the blob's CRC is computed while reading it in small chunks).
    ///
    /// # Errors
    /// [`StoreError::Flash`].
    pub fn latest(&mut self) -> Result<Option<SlotInfo>, StoreError<F::Error>> {
        for (index, header) in self.candidates()?.into_iter().flatten() {
            if self.stored_crc(index, header.len as usize)? == header.crc {
                return Ok(Some(SlotInfo {
                    slot: index as u8,
                    seq: header.seq,
                    len: header.len,
                }));
            }
        }
        Ok(None)
    }

    /// Reads the newest valid blob into `buf`; returns its sequence number
    /// and length (`Ok(None)` if neither slot holds a valid blob, e.g. on a
    /// blank flash). `buf` must hold the blob rounded up to the flash's read
    /// size; its contents are unspecified on `Ok(None)` or an error.
    ///
    /// # Errors
    /// [`StoreError::Flash`], [`StoreError::BufferTooSmall`].
    pub fn load_latest(
        &mut self,
        buf: &mut [u8],
    ) -> Result<Option<(u32, usize)>, StoreError<F::Error>> {
        for (index, header) in self.candidates()?.into_iter().flatten() {
            let len = header.len as usize;
            let aligned = len.div_ceil(Self::ALIGN) * Self::ALIGN;
            let available = buf.len();
            let dst = buf.get_mut(..aligned).ok_or(StoreError::BufferTooSmall {
                needed: aligned,
                available,
            })?;
            let start = self.slot(index).start + Self::HEADER_SPACE as u32;
            self.flash.read(start, dst).map_err(StoreError::Flash)?;
            let blob = dst.get(..len).ok_or(StoreError::BadLayout)?;
            if CRC.checksum(blob) == header.crc {
                return Ok(Some((header.seq, len)));
            }
        }
        Ok(None)
    }

    /// Writes `blob` as the new newest checkpoint into the slot that does not
    /// hold the current newest one; returns its sequence number. On `Ok` the
    /// blob has been read back and committed. On any error, or if power is
    /// lost meanwhile, the previous newest blob is still the one
    /// [`Store::load_latest`] returns.
    ///
    /// # Errors
    /// [`StoreError::TooLarge`], [`StoreError::Flash`],
    /// [`StoreError::VerifyFailed`].
    pub fn save(&mut self, blob: &[u8]) -> Result<u32, StoreError<F::Error>> {
        let capacity = self.capacity();
        if blob.len() > capacity {
            return Err(StoreError::TooLarge {
                len: blob.len(),
                capacity,
            });
        }
        let (target, seq) = match self.latest()? {
            Some(info) => (1 - usize::from(info.slot & 1), info.seq.wrapping_add(1)),
            None => (0, 1),
        };
        let slot = self.slot(target);
        let crc = CRC.checksum(blob);

        // 1. Erase: the slot's old header goes first, so the slot is invalid
        //    from here until step 4.
        self.flash
            .erase(slot.start, slot.end)
            .map_err(StoreError::Flash)?;

        // 2. The blob: whole aligned words straight from `blob`, the last
        //    partial word padded with 0xFF.
        let data_start = slot.start + Self::HEADER_SPACE as u32;
        let whole = blob.len() / Self::ALIGN * Self::ALIGN;
        let (body, tail) = blob.split_at_checked(whole).unwrap_or((&[], blob));
        if !body.is_empty() {
            self.flash
                .write(data_start, body)
                .map_err(StoreError::Flash)?;
        }
        if !tail.is_empty() {
            let mut word = [0xFFu8; MAX_ALIGN];
            for (dst, src) in word.iter_mut().zip(tail) {
                *dst = *src;
            }
            let word = word.get(..Self::ALIGN).ok_or(StoreError::BadLayout)?;
            self.flash
                .write(data_start + whole as u32, word)
                .map_err(StoreError::Flash)?;
        }

        // 3. Read the blob back before committing it.
        if self.stored_crc(target, blob.len())? != crc {
            return Err(StoreError::VerifyFailed);
        }

        // 4. Commit: the header, in one write.
        let header = Header {
            seq,
            len: blob.len() as u32,
            crc,
        };
        let mut space = [0xFFu8; MAX_ALIGN];
        for (dst, src) in space.iter_mut().zip(header.encode()) {
            *dst = src;
        }
        let space = space
            .get(..Self::HEADER_SPACE)
            .ok_or(StoreError::BadLayout)?;
        self.flash
            .write(slot.start, space)
            .map_err(StoreError::Flash)?;
        match self.header(target)? {
            Some(h) if h.seq == seq && h.crc == crc && h.len == header.len => Ok(seq),
            _ => Err(StoreError::VerifyFailed),
        }
    }
}
