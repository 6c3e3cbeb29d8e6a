//! Turning the C caller's pointers into Rust references: every check
//! (NULL, alignment, a length whose byte size fits the address space,
//! overlaps between buffers) happens here, before a reference exists.
//!
//! The one thing no check can see is whether a pointer really points at
//! `len` live elements: that is the contract each `unsafe extern "C"`
//! function states in its `# Safety` section and passes on to these
//! helpers.

use core::mem::{align_of, size_of};

use crate::status::Status;

/// The bytes a buffer occupies, as addresses (`start == end` for an empty
/// buffer, which overlaps nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    start: usize,
    end: usize,
}

impl Region {
    /// No bytes.
    pub(crate) const EMPTY: Region = Region { start: 0, end: 0 };

    /// Whether the two share a byte.
    pub(crate) fn overlaps(self, other: Region) -> bool {
        self.start < self.end
            && other.start < other.end
            && self.start < other.end
            && other.start < self.end
    }
}

/// Checks that `len` elements of `T` at `ptr` could be a Rust slice: `ptr`
/// not NULL (unless `len` is 0) and aligned for `T`, and the byte length
/// neither overflows `isize` nor wraps the address space. Returns the
/// region they occupy.
///
/// # Errors
/// [`Status::NullPointer`], [`Status::Misaligned`],
/// [`Status::BufferTooSmall`] for a length no buffer can have.
pub(crate) fn region<T>(ptr: *const T, len: usize) -> Result<Region, Status> {
    if len == 0 {
        return Ok(Region::EMPTY);
    }
    if ptr.is_null() {
        return Err(Status::NullPointer);
    }
    let start = ptr as usize;
    if !start.is_multiple_of(align_of::<T>()) {
        return Err(Status::Misaligned);
    }
    let bytes = len
        .checked_mul(size_of::<T>())
        .filter(|&b| b <= isize::MAX as usize)
        .ok_or(Status::BufferTooSmall)?;
    let end = start.checked_add(bytes).ok_or(Status::BufferTooSmall)?;
    Ok(Region { start, end })
}

/// The region of one `T` at `ptr`.
///
/// # Errors
/// As [`region`].
pub(crate) fn one<T>(ptr: *const T) -> Result<Region, Status> {
    if ptr.is_null() {
        return Err(Status::NullPointer);
    }
    region(ptr, 1)
}

/// Fails with [`Status::BufferOverlap`] if any region of `a` overlaps any
/// of `b`.
pub(crate) fn disjoint(a: &[Region], b: &[Region]) -> Result<(), Status> {
    if a.iter().any(|x| b.iter().any(|y| x.overlaps(*y))) {
        Err(Status::BufferOverlap)
    } else {
        Ok(())
    }
}

/// Fails with [`Status::BufferOverlap`] if two of `regions` overlap.
pub(crate) fn pairwise_disjoint(regions: &[Region]) -> Result<(), Status> {
    let mut rest = regions;
    while let Some((first, tail)) = rest.split_first() {
        disjoint(core::slice::from_ref(first), tail)?;
        rest = tail;
    }
    Ok(())
}

/// `len` elements at `ptr` as a shared slice (an empty slice for `len` 0,
/// whatever `ptr`).
///
/// # Errors
/// As [`region`].
///
/// # Safety
/// If `len > 0`, `ptr` must point at `len` initialised `T` that nothing
/// writes while the slice lives.
pub(crate) unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> Result<&'a [T], Status> {
    region(ptr, len)?;
    if len == 0 {
        return Ok(&[]);
    }
    // SAFETY: `region` checked that `ptr` is not NULL, is aligned for `T`
    // and that `len · size_of::<T>()` fits `isize` without wrapping the
    // address space; the caller guarantees `len` initialised `T` there that
    // are not written while the slice lives.
    Ok(unsafe { core::slice::from_raw_parts(ptr, len) })
}

/// `len` elements at `ptr` as a mutable slice (an empty slice for `len` 0,
/// whatever `ptr`).
///
/// # Errors
/// As [`region`].
///
/// # Safety
/// If `len > 0`, `ptr` must point at `len` initialised `T` that nothing
/// else reads or writes while the slice lives.
pub(crate) unsafe fn slice_mut<'a, T>(ptr: *mut T, len: usize) -> Result<&'a mut [T], Status> {
    region(ptr, len)?;
    if len == 0 {
        return Ok(&mut []);
    }
    // SAFETY: as in `slice`; the caller guarantees exclusive access.
    Ok(unsafe { core::slice::from_raw_parts_mut(ptr, len) })
}

/// The `T` at `ptr`, shared.
///
/// # Errors
/// [`Status::NullPointer`], [`Status::Misaligned`].
///
/// # Safety
/// A non-NULL `ptr` must point at an initialised `T` that nothing writes
/// while the reference lives (`T` must be valid for the bytes there: the
/// API's structs are plain integers, floats and pointers, valid for any).
pub(crate) unsafe fn get<'a, T>(ptr: *const T) -> Result<&'a T, Status> {
    one(ptr)?;
    // SAFETY: `one` checked NULL and alignment; the caller guarantees an
    // initialised, unaliased-for-writes `T`.
    Ok(unsafe { &*ptr })
}

/// The `T` at `ptr`, exclusively.
///
/// # Errors
/// [`Status::NullPointer`], [`Status::Misaligned`].
///
/// # Safety
/// As [`get`], and nothing else may read or write it while the reference
/// lives.
pub(crate) unsafe fn get_mut<'a, T>(ptr: *mut T) -> Result<&'a mut T, Status> {
    one(ptr)?;
    // SAFETY: `one` checked NULL and alignment; the caller guarantees an
    // initialised `T` that is not otherwise accessed.
    Ok(unsafe { &mut *ptr })
}

/// Writes `value` to an optional output (nothing for NULL).
///
/// # Errors
/// [`Status::Misaligned`].
///
/// # Safety
/// A non-NULL `ptr` must be valid for writing a `T` (the old value is
/// overwritten without being dropped: `T` is `Copy`).
pub(crate) unsafe fn put<T: Copy>(ptr: *mut T, value: T) -> Result<(), Status> {
    if ptr.is_null() {
        return Ok(());
    }
    one(ptr)?;
    // SAFETY: not NULL and aligned (checked); the caller guarantees it is
    // writable.
    unsafe { ptr.write(value) };
    Ok(())
}

/// Checks that an optional output could be written (NULL or aligned), and
/// returns its region.
///
/// # Errors
/// [`Status::Misaligned`].
pub(crate) fn optional<T>(ptr: *const T) -> Result<Region, Status> {
    if ptr.is_null() {
        Ok(Region::EMPTY)
    } else {
        one(ptr)
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rejects_null_misaligned_and_oversized_buffers() {
        let data = [0.0f32; 4];
        assert_eq!(region(data.as_ptr(), 4).map(|_| ()), Ok(()));
        assert_eq!(region::<f32>(core::ptr::null(), 0), Ok(Region::EMPTY));
        assert_eq!(
            region::<f32>(core::ptr::null(), 1),
            Err(Status::NullPointer)
        );
        let odd = (data.as_ptr() as usize + 1) as *const f32;
        assert_eq!(region(odd, 1), Err(Status::Misaligned));
        assert_eq!(
            region(data.as_ptr(), usize::MAX / 2),
            Err(Status::BufferTooSmall)
        );
        let high = (usize::MAX - 3) as *const f32;
        assert_eq!(region(high, 2), Err(Status::BufferTooSmall));
    }

    #[test]
    fn overlap_is_sharing_a_byte() {
        let a = Region { start: 0, end: 8 };
        let b = Region { start: 8, end: 12 };
        let c = Region { start: 7, end: 9 };
        assert!(!a.overlaps(b));
        assert!(a.overlaps(c) && c.overlaps(b));
        assert!(!Region::EMPTY.overlaps(a));
        assert_eq!(pairwise_disjoint(&[a, b]), Ok(()));
        assert_eq!(pairwise_disjoint(&[a, b, c]), Err(Status::BufferOverlap));
    }
}
