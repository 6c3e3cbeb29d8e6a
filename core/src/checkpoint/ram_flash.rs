//! A NOR flash in RAM, for tests, the simulator and firmware without a
//! flash driver.

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashErrorKind, ReadNorFlash, check_erase, check_read, check_write,
};

/// `SIZE` bytes of simulated NOR flash with `WRITE`-byte words and
/// `ERASE`-byte sectors. Erasing sets bytes to `0xFF`; writing can only clear
/// bits (the new value is ANDed into the old one), as on real NOR flash.
/// Reads are byte-granular. Misaligned or out-of-range operations return
/// [`NorFlashErrorKind`] errors, as a real driver would.
///
/// ```
/// use embedded_storage::nor_flash::{NorFlash, ReadNorFlash};
/// use microprop::checkpoint::RamFlash;
/// let mut flash = RamFlash::<1024, 4, 256>::new();
/// flash.write(0, &[0x0F, 0xF0, 0x00, 0xFF]).unwrap();
/// flash.write(0, &[0xF0, 0xFF, 0xFF, 0xFF]).unwrap(); // bits only clear
/// assert_eq!(&flash.as_bytes()[..4], &[0x00, 0xF0, 0x00, 0xFF]);
/// assert!(flash.write(2, &[0; 4]).is_err()); // not word-aligned
/// flash.erase(0, 256).unwrap();
/// assert_eq!(flash.as_bytes()[0], 0xFF);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct RamFlash<const SIZE: usize, const WRITE: usize = 4, const ERASE: usize = 4096> {
    bytes: [u8; SIZE],
}

impl<const SIZE: usize, const WRITE: usize, const ERASE: usize> RamFlash<SIZE, WRITE, ERASE> {
    /// An erased flash (all `0xFF`). Usable in `const` and `static`.
    pub const fn new() -> Self {
        const {
            assert!(
                WRITE > 0 && ERASE > 0,
                "word and sector sizes must be non-zero"
            );
            assert!(
                ERASE.is_multiple_of(WRITE),
                "a sector must hold whole words"
            );
            assert!(
                SIZE.is_multiple_of(ERASE),
                "the flash must hold whole sectors"
            );
        };
        RamFlash {
            bytes: [0xFF; SIZE],
        }
    }

    /// The contents.
    pub fn as_bytes(&self) -> &[u8; SIZE] {
        &self.bytes
    }

    /// The contents, mutably (to inject faults in tests).
    pub fn as_bytes_mut(&mut self) -> &mut [u8; SIZE] {
        &mut self.bytes
    }
}

impl<const SIZE: usize, const WRITE: usize, const ERASE: usize> Default
    for RamFlash<SIZE, WRITE, ERASE>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<const SIZE: usize, const WRITE: usize, const ERASE: usize> core::fmt::Debug
    for RamFlash<SIZE, WRITE, ERASE>
{
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "RamFlash<{SIZE}, {WRITE}, {ERASE}>")
    }
}

impl<const SIZE: usize, const WRITE: usize, const ERASE: usize> ErrorType
    for RamFlash<SIZE, WRITE, ERASE>
{
    type Error = NorFlashErrorKind;
}

impl<const SIZE: usize, const WRITE: usize, const ERASE: usize> ReadNorFlash
    for RamFlash<SIZE, WRITE, ERASE>
{
    const READ_SIZE: usize = 1;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        check_read(self, offset, bytes.len())?;
        let start = offset as usize;
        let src = self
            .bytes
            .get(start..start + bytes.len())
            .ok_or(NorFlashErrorKind::OutOfBounds)?;
        for (d, s) in bytes.iter_mut().zip(src) {
            *d = *s;
        }
        Ok(())
    }

    fn capacity(&self) -> usize {
        SIZE
    }
}

impl<const SIZE: usize, const WRITE: usize, const ERASE: usize> NorFlash
    for RamFlash<SIZE, WRITE, ERASE>
{
    const WRITE_SIZE: usize = WRITE;
    const ERASE_SIZE: usize = ERASE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        check_erase(self, from, to)?;
        self.bytes
            .get_mut(from as usize..to as usize)
            .ok_or(NorFlashErrorKind::OutOfBounds)?
            .fill(0xFF);
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        check_write(self, offset, bytes.len())?;
        let start = offset as usize;
        let dst = self
            .bytes
            .get_mut(start..start + bytes.len())
            .ok_or(NorFlashErrorKind::OutOfBounds)?;
        for (d, s) in dst.iter_mut().zip(bytes) {
            *d &= *s;
        }
        Ok(())
    }
}
