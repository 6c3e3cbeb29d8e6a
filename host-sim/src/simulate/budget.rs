//! The RAM and flash the digits job needs, each part `size_of` of the type
//! the firmware keeps in a `static`, against a part's: a job that does not
//! fit is refused before it runs, as the part's linker would refuse to link
//! it.

use std::fmt;
use std::mem::size_of;

use microprop::FitBuffers;
use microprop_device::digits::{self, DigitsTrainer, FEATURES, Net};

use super::job::{CHECKPOINT_LEN, DATA_FLASH, FLASH_LEN, WORD};
use crate::report::{Part, grouped};

/// The RAM and flash the digits job needs, each part `size_of` of the type
/// the firmware keeps in a `static`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The network: `size_of::<Net>()`.
    pub network: usize,
    /// The trainer (gradients, Adam's moments, caches for a batch):
    /// `size_of::<DigitsTrainer>()`.
    pub trainer: usize,
    /// The staging rows `fit` reads samples into.
    pub staging: usize,
    /// The buffer a checkpoint is encoded into and read back from.
    pub checkpoint_buffer: usize,
    /// Room for the stack.
    pub stack: usize,
    /// The data set in flash.
    pub data_flash: usize,
    /// The two checkpoint slots in flash.
    pub slots_flash: usize,
}

impl Budget {
    /// The digits job's budget with `stack` bytes of stack.
    pub fn digits(stack: usize) -> Budget {
        Budget {
            network: size_of::<Net>(),
            trainer: size_of::<DigitsTrainer>(),
            staging: size_of::<FitBuffers<[f32; FEATURES], usize, { digits::BATCH }>>(),
            checkpoint_buffer: CHECKPOINT_LEN.next_multiple_of(WORD),
            stack,
            data_flash: DATA_FLASH,
            slots_flash: FLASH_LEN,
        }
    }

    /// RAM in all.
    pub fn ram(&self) -> usize {
        self.network + self.trainer + self.staging + self.checkpoint_buffer + self.stack
    }

    /// Flash in all (code not counted).
    pub fn flash(&self) -> usize {
        self.data_flash + self.slots_flash
    }

    /// The RAM in parts: "network N + trainer N + staging rows N + ...".
    pub fn ram_parts(&self) -> String {
        format!(
            "network {} + trainer {} + staging rows {} + checkpoint buffer {} + stack reserve {}",
            grouped(self.network),
            grouped(self.trainer),
            grouped(self.staging),
            grouped(self.checkpoint_buffer),
            grouped(self.stack)
        )
    }

    /// The flash in parts: "data N + checkpoint slots N".
    pub fn flash_parts(&self) -> String {
        format!(
            "data {} + checkpoint slots {}",
            grouped(self.data_flash),
            grouped(self.slots_flash)
        )
    }
}

/// The job does not fit the part: what a linker reports as a region
/// overflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoesNotFit {
    /// The part.
    pub part: Part,
    /// What the job needs.
    pub budget: Budget,
}

impl fmt::Display for DoesNotFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (b, p) = (&self.budget, &self.part);
        write!(f, "the digits job does not fit the {}:", p.name)?;
        let mut sep = "";
        if b.ram() > p.ram {
            write!(
                f,
                " needs {} bytes of RAM, the part has {} (region RAM overflowed by {} bytes: {})",
                grouped(b.ram()),
                grouped(p.ram),
                grouped(b.ram() - p.ram),
                b.ram_parts()
            )?;
            sep = ";";
        }
        if b.flash() > p.flash {
            write!(
                f,
                "{sep} needs {} bytes of flash, the part has {} (region FLASH overflowed by {} bytes: {}; code not counted)",
                grouped(b.flash()),
                grouped(p.flash),
                grouped(b.flash() - p.flash),
                b.flash_parts()
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for DoesNotFit {}

/// Checks the job's budget against the part.
///
/// # Errors
/// [`DoesNotFit`] if the RAM or the flash overflows.
pub fn check_budget(part: &Part, budget: &Budget) -> Result<(), DoesNotFit> {
    if budget.ram() > part.ram || budget.flash() > part.flash {
        Err(DoesNotFit {
            part: part.clone(),
            budget: *budget,
        })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::parts::{NRF52840, STM32F103};

    #[test]
    fn the_budget_is_size_of_the_statics() {
        let b = Budget::digits(2048);
        assert_eq!(
            b.network + b.trainer,
            DigitsTrainer::MEMORY.total,
            "network + trainer = the core's MemoryReport total"
        );
        assert_eq!(b.network, size_of::<Net>());
        assert!(CHECKPOINT_LEN <= b.checkpoint_buffer);
        assert_eq!(check_budget(&NRF52840, &b), Ok(()));
        let err = check_budget(&STM32F103, &b).unwrap_err().to_string();
        assert!(
            err.contains("the digits job does not fit the STM32F103")
                && err.contains("the part has 20,480")
                && err.contains("bytes of flash, the part has 65,536"),
            "{err}"
        );
    }
}
