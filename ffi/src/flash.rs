//! Checkpoints on a NOR flash through C callbacks: the core's power-loss
//! safe two-slot store (`microprop::checkpoint::Store`: erase the older
//! slot, write the blob, read it back, then commit its header; the newest
//! slot whose header and blob verify wins) over a [`Flash`] the caller
//! describes.
//!
//! The store's reads and writes are whole multiples of
//! [`MICROPROP_FLASH_ALIGN`] (64) bytes at offsets that are multiples of
//! 64, so any flash whose read and write sizes divide 64 works (NOR and
//! MCU flash: 1 to 32 bytes); slots start and end on erase-sector and
//! 64-byte boundaries.

use core::ffi::c_void;

use embedded_storage::nor_flash::{ErrorType, NorFlash, NorFlashErrorKind, ReadNorFlash};
use microprop::checkpoint::Store;

use crate::checkpoint;
use crate::model::{Model, open};
use crate::plan::MICROPROP_FLASH_ALIGN;
use crate::raw;
use crate::status::{Status, code};

/// Reads `len` bytes at byte `offset` of the flash into `data`; returns 0
/// on success, anything else on failure. NULL is refused.
pub type FlashRead = Option<
    unsafe extern "C" fn(context: *mut c_void, offset: u32, data: *mut u8, len: usize) -> i32,
>;
/// Programs `len` bytes from `data` at byte `offset` (erased beforehand);
/// returns 0 on success.
pub type FlashWrite = Option<
    unsafe extern "C" fn(context: *mut c_void, offset: u32, data: *const u8, len: usize) -> i32,
>;
/// Erases bytes `from..to` (whole erase sectors; afterwards they read as
/// 0xFF); returns 0 on success.
pub type FlashErase = Option<unsafe extern "C" fn(context: *mut c_void, from: u32, to: u32) -> i32>;

/// A NOR flash as three callbacks and its geometry, with the two slots the
/// checkpoint store alternates between. Offsets are bytes from the start
/// of the flash region the callbacks address.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct Flash {
    /// Passed to every callback unchanged.
    pub context: *mut c_void,
    /// Reads.
    pub read: FlashRead,
    /// Programs.
    pub write: FlashWrite,
    /// Erases.
    pub erase: FlashErase,
    /// Bytes the callbacks address.
    pub capacity: u32,
    /// Bytes of one erase sector.
    pub erase_size: u32,
    /// Offset of the first slot.
    pub slot0: u32,
    /// Offset of the second slot.
    pub slot1: u32,
    /// Bytes of each slot: a 64-byte header and a checkpoint (see
    /// `flash_scratch_bytes` in `microprop_buffer_sizes`), rounded up to the erase
    /// size.
    pub slot_size: u32,
}

/// The callbacks as an `embedded-storage` NOR flash.
struct CallbackFlash {
    context: *mut c_void,
    read: unsafe extern "C" fn(*mut c_void, u32, *mut u8, usize) -> i32,
    write: unsafe extern "C" fn(*mut c_void, u32, *const u8, usize) -> i32,
    erase: unsafe extern "C" fn(*mut c_void, u32, u32) -> i32,
    capacity: u32,
}

impl CallbackFlash {
    /// `Ok` if `len` bytes at `offset` lie within the flash.
    fn check(&self, offset: u32, len: usize) -> Result<(), NorFlashErrorKind> {
        let end = (offset as usize).checked_add(len);
        match end {
            Some(end) if end <= self.capacity as usize => Ok(()),
            _ => Err(NorFlashErrorKind::OutOfBounds),
        }
    }
}

/// A callback's result.
fn done(status: i32) -> Result<(), NorFlashErrorKind> {
    if status == 0 {
        Ok(())
    } else {
        Err(NorFlashErrorKind::Other)
    }
}

impl ErrorType for CallbackFlash {
    type Error = NorFlashErrorKind;
}

impl ReadNorFlash for CallbackFlash {
    const READ_SIZE: usize = MICROPROP_FLASH_ALIGN;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.check(offset, bytes.len())?;
        // SAFETY: `bytes` is a valid, writable buffer of `bytes.len()`
        // bytes; the caller of `microprop_flash_save`/`_load` guarantees
        // the callback is callable with its context.
        done(unsafe { (self.read)(self.context, offset, bytes.as_mut_ptr(), bytes.len()) })
    }

    fn capacity(&self) -> usize {
        self.capacity as usize
    }
}

impl NorFlash for CallbackFlash {
    const WRITE_SIZE: usize = MICROPROP_FLASH_ALIGN;
    const ERASE_SIZE: usize = MICROPROP_FLASH_ALIGN;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        let len = to.checked_sub(from).ok_or(NorFlashErrorKind::OutOfBounds)?;
        self.check(from, len as usize)?;
        // SAFETY: the caller of `microprop_flash_save` guarantees the
        // callback is callable with its context.
        done(unsafe { (self.erase)(self.context, from, to) })
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        self.check(offset, bytes.len())?;
        // SAFETY: `bytes` is a valid buffer of `bytes.len()` bytes; the
        // caller of `microprop_flash_save` guarantees the callback is
        // callable with its context.
        done(unsafe { (self.write)(self.context, offset, bytes.as_ptr(), bytes.len()) })
    }
}

impl Flash {
    /// The store over this flash, after checking the callbacks and the
    /// slot layout.
    fn store(&self) -> Result<Store<CallbackFlash>, Status> {
        let (Some(read), Some(write), Some(erase)) = (self.read, self.write, self.erase) else {
            return Err(Status::NullPointer);
        };
        let align = |v: u32| {
            self.erase_size > 0
                && v.is_multiple_of(self.erase_size)
                && (v as usize).is_multiple_of(MICROPROP_FLASH_ALIGN)
        };
        let end = |start: u32| start.checked_add(self.slot_size);
        let (Some(end0), Some(end1)) = (end(self.slot0), end(self.slot1)) else {
            return Err(Status::FlashLayout);
        };
        if !(align(self.slot0) && align(self.slot1) && align(self.slot_size)) {
            return Err(Status::FlashLayout);
        }
        let flash = CallbackFlash {
            context: self.context,
            read,
            write,
            erase,
            capacity: self.capacity,
        };
        Ok(Store::new(flash, self.slot0..end0, self.slot1..end1)?)
    }
}

/// Saves the model's checkpoint (weights; with `with_training` = 1 also
/// the optimizer state and step count) as the newest of the flash's two
/// slots, and writes its sequence number to `sequence` (unless NULL). The
/// checkpoint is encoded in `scratch` (at least `flash_scratch_bytes` of
/// `microprop_buffer_sizes`), written to the slot that does not hold the newest
/// checkpoint, read back, and only then committed: on an error or a power
/// cut the previous checkpoint stays the newest. The model is not changed.
///
/// # Safety
/// `model` as for `microprop_init_weights`; `flash` readable, its
/// callbacks callable with its context during the call; `scratch` must
/// point at `scratch_len` writable bytes and `sequence` be NULL or
/// writable, neither overlapping the model's buffers or each other.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_flash_save(
    model: *mut Model,
    flash: *const Flash,
    scratch: *mut u8,
    scratch_len: usize,
    with_training: u8,
    sequence: *mut u32,
) -> Status {
    let result = (|| {
        // SAFETY: passed on from this function's contract.
        let open = unsafe { open(model)? };
        // SAFETY: the caller guarantees a readable `Flash`.
        let flash = unsafe { *raw::get(flash)? };
        let scratch_region = raw::region(scratch.cast_const(), scratch_len)?;
        let sequence_region = raw::optional(sequence.cast_const())?;
        raw::disjoint(&[scratch_region, sequence_region], &open.regions)?;
        raw::disjoint(&[scratch_region], &[sequence_region])?;
        // SAFETY: checked (NULL, alignment, length, no overlap); the caller
        // guarantees `scratch_len` writable bytes.
        let scratch = unsafe { raw::slice_mut(scratch, scratch_len)? };
        let mut store = flash.store()?;
        let len = checkpoint::save(open, scratch, with_training)?;
        let blob = scratch.get(..len).ok_or(Status::Internal)?;
        let seq = store.save(blob)?;
        // SAFETY: checked aligned and outside everything written; the
        // caller guarantees it is writable (or NULL).
        unsafe { raw::put(sequence, seq) }
    })();
    code(result)
}

/// Loads the newest valid checkpoint of the flash's two slots into the
/// model (weights; with `with_training` = 1 also the optimizer state and
/// step count) through `scratch` (at least `flash_scratch_bytes`), and
/// writes its sequence number to `sequence` (unless NULL).
/// `MICROPROP_STATUS_NO_CHECKPOINT` if neither slot holds one (a blank
/// flash); the checks of `microprop_checkpoint_load` apply, and a refused
/// load changes nothing.
///
/// # Safety
/// As `microprop_flash_save`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microprop_flash_load(
    model: *mut Model,
    flash: *const Flash,
    scratch: *mut u8,
    scratch_len: usize,
    with_training: u8,
    sequence: *mut u32,
) -> Status {
    let result = (|| {
        // SAFETY: passed on from this function's contract.
        let open = unsafe { open(model)? };
        // SAFETY: the caller guarantees a readable `Flash`.
        let flash = unsafe { *raw::get(flash)? };
        let scratch_region = raw::region(scratch.cast_const(), scratch_len)?;
        let sequence_region = raw::optional(sequence.cast_const())?;
        raw::disjoint(&[scratch_region, sequence_region], &open.regions)?;
        raw::disjoint(&[scratch_region], &[sequence_region])?;
        // SAFETY: checked (NULL, alignment, length, no overlap); the caller
        // guarantees `scratch_len` writable bytes.
        let scratch = unsafe { raw::slice_mut(scratch, scratch_len)? };
        let mut store = flash.store()?;
        let (seq, len) = store.load_latest(scratch)?.ok_or(Status::NoCheckpoint)?;
        let blob = scratch.get(..len).ok_or(Status::Internal)?;
        checkpoint::load(open, blob, with_training)?;
        // SAFETY: checked aligned and outside everything written; the
        // caller guarantees it is writable (or NULL).
        unsafe { raw::put(sequence, seq) }
    })();
    code(result)
}
