//! A NOR flash that loses power part-way through its work: the simulator's
//! fault injector for checkpoint saves, usable by any test of a store.
//!
//! [`PowerCutFlash`] wraps a flash whose bytes it can set directly
//! ([`RawFlash`], e.g. the core's [`RamFlash`]) and passes erases, writes
//! and reads through until the [`Cut`] it was given comes: after a number
//! of bytes of work, or before a numbered operation. The word or sector in
//! progress is then left as [`Torn`] says, and every later erase or write
//! fails or silently does nothing ([`AfterCut`]). Reads always work: they
//! are the store's read-back, or happen after the reboot, when the flash is
//! mounted again without a cut.
//!
//! ```
//! use embedded_storage::nor_flash::NorFlash;
//! use microprop::checkpoint::RamFlash;
//! use microprop_sim::simulate::flash::{Cut, PowerCutFlash};
//!
//! let mut ram = RamFlash::<1024, 4, 256>::new();
//! let mut flash = PowerCutFlash::new(&mut ram, Cut::after_written(6));
//! // The power fails 6 bytes into this 8-byte write: the first word is
//! // programmed, the second keeps its first 2 bytes; the write fails.
//! assert!(flash.write(0, &[0; 8]).is_err());
//! assert!(flash.is_cut() && flash.written() == 6);
//! assert!(flash.write(8, &[0; 4]).is_err()); // and so does everything after
//! assert_eq!(&ram.as_bytes()[..8], &[0, 0, 0, 0, 0, 0, 0xFF, 0xFF]);
//! ```

use embedded_storage::nor_flash::{
    ErrorType, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash, check_erase, check_write,
};
use microprop::checkpoint::RamFlash;

/// A NOR flash whose cells a simulation can set directly, as a fault leaves
/// them (a half-erased sector, a word of undefined bits).
pub trait RawFlash: NorFlash {
    /// Every byte of the flash, from offset 0 to its capacity.
    fn raw_bytes_mut(&mut self) -> &mut [u8];
}

impl<const SIZE: usize, const WRITE: usize, const ERASE: usize> RawFlash
    for RamFlash<SIZE, WRITE, ERASE>
{
    fn raw_bytes_mut(&mut self) -> &mut [u8] {
        self.as_bytes_mut()
    }
}

impl<T: RawFlash> RawFlash for &mut T {
    fn raw_bytes_mut(&mut self) -> &mut [u8] {
        (**self).raw_bytes_mut()
    }
}

/// Which work counts toward [`Cut::after_bytes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    /// Bytes programmed (written) only; erases never cut.
    Written,
    /// Bytes erased and bytes programmed, in the order they happen.
    ErasedAndWritten,
}

/// What the word (or sector) in progress holds when the power fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Torn {
    /// Untouched: as before the operation began.
    Clean,
    /// The bytes before the cut are done (programmed, or erased to `0xFF`);
    /// the rest is untouched.
    Prefix,
    /// The bytes before the cut are done; the rest are undefined
    /// (pseudo-random, from a generator seeded by the cut).
    Garbage,
}

/// What the flash does once the power has failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterCut {
    /// Every erase and write fails ([`NorFlashErrorKind::Other`]).
    Fail,
    /// Every erase and write reports success and does nothing (a driver
    /// that does not notice; only a read-back can tell).
    Silent,
}

/// When the power fails and what it leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// The power fails once this many bytes of [`Cut::work`] are done
    /// (`None`: never by bytes).
    pub after_bytes: Option<usize>,
    /// Which work the byte count counts.
    pub work: Work,
    /// The power fails before the erase or write operation with this index
    /// (from 0) begins: this many operations complete (`None`: never by
    /// operations).
    pub after_ops: Option<usize>,
    /// What the word or sector in progress holds.
    pub torn: Torn,
    /// What the flash does after the cut.
    pub after: AfterCut,
}

impl Cut {
    /// No power cut: the flash works throughout (and counts its work).
    pub const NEVER: Cut = Cut {
        after_bytes: None,
        work: Work::ErasedAndWritten,
        after_ops: None,
        torn: Torn::Prefix,
        after: AfterCut::Fail,
    };

    /// The cut `simulate --power-cut-after` injects: after `bytes` bytes
    /// written, the torn word keeps the bytes before the cut, and every
    /// later erase or write fails.
    pub const fn after_written(bytes: usize) -> Cut {
        Cut {
            after_bytes: Some(bytes),
            work: Work::Written,
            ..Cut::NEVER
        }
    }
}

/// A NOR flash that loses power as a [`Cut`] says (see the module docs).
///
/// It has the wrapped flash's geometry; erases and writes are checked for
/// alignment and bounds before anything happens, as a driver would.
#[derive(Debug)]
pub struct PowerCutFlash<F> {
    flash: F,
    cut: Cut,
    written: usize,
    erased: usize,
    operations: usize,
    dead: bool,
    noise: u64,
}

impl<F: RawFlash> PowerCutFlash<F> {
    /// `flash`, losing power as `cut` says.
    pub fn new(flash: F, cut: Cut) -> Self {
        PowerCutFlash {
            flash,
            cut,
            written: 0,
            erased: 0,
            operations: 0,
            dead: false,
            // xorshift64 must not start at 0; the constant is the golden
            // ratio's fraction, mixed with the cut so each cut tears
            // differently.
            noise: 0x9E37_79B9_7F4A_7C15 ^ cut.after_bytes.unwrap_or(usize::MAX) as u64,
        }
    }

    /// Bytes written (programmed) until now or until the power failed,
    /// the torn word's share included.
    pub fn written(&self) -> usize {
        self.written
    }

    /// Bytes erased until now or until the power failed, the torn sector's
    /// share included.
    pub fn erased(&self) -> usize {
        self.erased
    }

    /// Bytes of work as [`Cut::work`] counts them.
    pub fn work(&self) -> usize {
        match self.cut.work {
            Work::Written => self.written,
            Work::ErasedAndWritten => self.erased + self.written,
        }
    }

    /// Erase and write operations begun, those after the cut included.
    pub fn operations(&self) -> usize {
        self.operations
    }

    /// Whether the power has failed.
    pub fn is_cut(&self) -> bool {
        self.dead
    }

    /// The wrapped flash.
    pub fn flash(&self) -> &F {
        &self.flash
    }

    /// The wrapped flash, as the power cut left it.
    pub fn into_inner(self) -> F {
        self.flash
    }

    /// Bytes of work left before the cut.
    fn left(&self) -> usize {
        self.cut
            .after_bytes
            .map_or(usize::MAX, |b| b.saturating_sub(self.work()))
    }

    /// Counts an operation; once the power has failed, the operation's
    /// result.
    fn begin(&mut self) -> Option<Result<(), NorFlashErrorKind>> {
        if !self.dead && self.cut.after_ops.is_some_and(|n| self.operations >= n) {
            self.dead = true;
        }
        self.operations += 1;
        self.dead.then(|| self.dead_result())
    }

    fn dead_result(&self) -> Result<(), NorFlashErrorKind> {
        match self.cut.after {
            AfterCut::Fail => Err(NorFlashErrorKind::Other),
            AfterCut::Silent => Ok(()),
        }
    }

    /// The next undefined byte (xorshift64).
    fn garbage(&mut self) -> u8 {
        self.noise ^= self.noise << 13;
        self.noise ^= self.noise >> 7;
        self.noise ^= self.noise << 17;
        (self.noise >> 24) as u8
    }

    /// Leaves `range` of the flash as the cut tears it: its first `done`
    /// bytes set by `finish` (erased or programmed), the rest as
    /// [`Cut::torn`] says. Then the power is off.
    fn tear(
        &mut self,
        range: core::ops::Range<usize>,
        left: usize,
        finish: impl Fn(&mut [u8]),
    ) -> Result<(), NorFlashErrorKind> {
        let done = match self.cut.torn {
            Torn::Clean => 0,
            Torn::Prefix | Torn::Garbage => left.min(range.len()),
        };
        let split = range.start + done;
        let cells = self
            .flash
            .raw_bytes_mut()
            .get_mut(range.start..split)
            .ok_or(NorFlashErrorKind::OutOfBounds)?;
        finish(cells);
        if self.cut.torn == Torn::Garbage {
            for i in split..range.end {
                let g = self.garbage();
                if let Some(cell) = self.flash.raw_bytes_mut().get_mut(i) {
                    *cell = g;
                }
            }
        }
        self.dead = true;
        self.dead_result()
    }
}

impl<F: RawFlash> ErrorType for PowerCutFlash<F> {
    type Error = NorFlashErrorKind;
}

impl<F: RawFlash> ReadNorFlash for PowerCutFlash<F> {
    const READ_SIZE: usize = F::READ_SIZE;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.flash.read(offset, bytes).map_err(|e| e.kind())
    }

    fn capacity(&self) -> usize {
        self.flash.capacity()
    }
}

impl<F: RawFlash> NorFlash for PowerCutFlash<F> {
    const WRITE_SIZE: usize = F::WRITE_SIZE;
    const ERASE_SIZE: usize = F::ERASE_SIZE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        check_erase(self, from, to)?;
        if let Some(result) = self.begin() {
            return result;
        }
        for sector in (from as usize..to as usize).step_by(F::ERASE_SIZE) {
            let left = match self.cut.work {
                Work::Written => usize::MAX,
                Work::ErasedAndWritten => self.left(),
            };
            if left >= F::ERASE_SIZE {
                let end = (sector + F::ERASE_SIZE) as u32;
                self.flash.erase(sector as u32, end).map_err(|e| e.kind())?;
                self.erased += F::ERASE_SIZE;
                continue;
            }
            // The power fails `left` bytes into this sector's erase.
            self.erased += left;
            return self.tear(sector..sector + F::ERASE_SIZE, left, |cells| {
                cells.fill(0xFF)
            });
        }
        Ok(())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        check_write(self, offset, bytes.len())?;
        if let Some(result) = self.begin() {
            return result;
        }
        for (i, word) in bytes.chunks(F::WRITE_SIZE).enumerate() {
            let at = offset as usize + i * F::WRITE_SIZE;
            let left = self.left();
            if left >= word.len() {
                self.flash.write(at as u32, word).map_err(|e| e.kind())?;
                self.written += word.len();
                continue;
            }
            // The power fails `left` bytes into this word: NOR programming
            // only clears bits, so the bytes done are ANDed in.
            self.written += left;
            return self.tear(at..at + word.len(), left, |cells| {
                for (cell, b) in cells.iter_mut().zip(word) {
                    *cell &= *b;
                }
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type Small = RamFlash<1024, 4, 256>;

    fn cut(bytes: usize, work: Work, torn: Torn, after: AfterCut) -> Cut {
        Cut {
            after_bytes: Some(bytes),
            work,
            after_ops: None,
            torn,
            after,
        }
    }

    #[test]
    fn without_a_cut_it_is_the_flash_and_counts_its_work() {
        let mut ram = Small::new();
        let mut flash = PowerCutFlash::new(&mut ram, Cut::NEVER);
        flash.erase(0, 512).unwrap();
        flash.write(0, &[1, 2, 3, 4, 5, 6, 7, 8]).unwrap();
        let mut back = [0; 8];
        flash.read(0, &mut back).unwrap();
        assert_eq!(back, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(
            (flash.erased(), flash.written(), flash.work()),
            (512, 8, 520)
        );
        assert_eq!((flash.operations(), flash.is_cut()), (2, false));
        // Misaligned operations are refused before they count.
        assert_eq!(flash.write(2, &[0; 4]), Err(NorFlashErrorKind::NotAligned));
        assert_eq!(flash.operations(), 2);
    }

    #[test]
    fn torn_words_clean_prefix_and_garbage() {
        for torn in [Torn::Clean, Torn::Prefix, Torn::Garbage] {
            let mut ram = Small::new();
            let c = cut(6, Work::Written, torn, AfterCut::Fail);
            let mut flash = PowerCutFlash::new(&mut ram, c);
            assert!(flash.write(0, &[0; 8]).is_err());
            assert_eq!((flash.written(), flash.is_cut()), (6, true));
            let bytes = &ram.as_bytes()[..12];
            assert_eq!(
                &bytes[..4],
                &[0; 4],
                "{torn:?}: the whole word before the cut"
            );
            match torn {
                Torn::Clean => assert_eq!(&bytes[4..8], &[0xFF; 4]),
                Torn::Prefix => assert_eq!(&bytes[4..8], &[0, 0, 0xFF, 0xFF]),
                Torn::Garbage => assert_eq!(&bytes[4..6], &[0, 0]),
            }
            assert_eq!(&bytes[8..], &[0xFF; 4], "{torn:?}: nothing after the word");
        }
    }

    #[test]
    fn an_erase_cut_tears_its_sector_and_only_when_erases_count() {
        let mut ram = Small::new();
        ram.as_bytes_mut().fill(0);
        let c = cut(300, Work::ErasedAndWritten, Torn::Prefix, AfterCut::Fail);
        let mut flash = PowerCutFlash::new(&mut ram, c);
        assert!(flash.erase(0, 512).is_err());
        assert_eq!(flash.erased(), 300);
        assert!(ram.as_bytes()[..300].iter().all(|&b| b == 0xFF));
        assert!(ram.as_bytes()[300..].iter().all(|&b| b == 0));

        // Counting writes only, the same erase completes.
        let mut ram = Small::new();
        let c = cut(300, Work::Written, Torn::Prefix, AfterCut::Fail);
        let mut flash = PowerCutFlash::new(&mut ram, c);
        flash.erase(0, 512).unwrap();
        assert_eq!((flash.erased(), flash.work()), (512, 0));
    }

    #[test]
    fn after_the_cut_operations_fail_or_do_nothing_and_reads_work() {
        let mut ram = Small::new();
        let c = Cut {
            after_ops: Some(1),
            after: AfterCut::Silent,
            ..Cut::NEVER
        };
        let mut flash = PowerCutFlash::new(&mut ram, c);
        flash.write(0, &[0; 4]).unwrap();
        assert_eq!(flash.write(4, &[0; 4]), Ok(()));
        assert_eq!(flash.erase(0, 256), Ok(()));
        assert!(flash.is_cut() && flash.operations() == 3);
        let mut back = [0xAA; 8];
        flash.read(0, &mut back).unwrap();
        assert_eq!(back, [0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
    }
}
