//! The one table of microcontrollers: the parts `footprint` compares a
//! model with, the demo reports on, and `simulate` runs the firmware's job
//! on.

use std::borrow::Cow;

use anyhow::{Result, anyhow};

use super::memory::KIB;

/// A microcontroller's memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Part name, e.g. "nRF52840".
    pub name: Cow<'static, str>,
    /// The variant whose memory is given, and notes.
    pub variant: &'static str,
    /// Bytes of SRAM.
    pub ram: usize,
    /// Bytes of flash for code and constants.
    pub flash: usize,
}

/// The Raspberry Pi RP2040.
pub const RP2040: Part = Part {
    name: Cow::Borrowed("RP2040"),
    variant: "264 KiB SRAM; no internal flash, 2 MiB QSPI on the Raspberry Pi Pico",
    ram: 264 * KIB,
    flash: 2048 * KIB,
};

/// Nordic's nRF52840: the default part of the demo and the firmware.
pub const NRF52840: Part = Part {
    name: Cow::Borrowed("nRF52840"),
    variant: "256 KiB RAM, 1 MiB flash (the default target)",
    ram: 256 * KIB,
    flash: 1024 * KIB,
};

/// ST's STM32F411.
pub const STM32F411: Part = Part {
    name: Cow::Borrowed("STM32F411"),
    variant: "F411xC/xE: 128 KiB RAM; flash 512 KiB on xE (256 KiB on xC)",
    ram: 128 * KIB,
    flash: 512 * KIB,
};

/// ST's STM32F103, the "blue pill".
pub const STM32F103: Part = Part {
    name: Cow::Borrowed("STM32F103"),
    variant: "F103x8 (\"blue pill\"): 20 KiB RAM, 64 KiB flash",
    ram: 20 * KIB,
    flash: 64 * KIB,
};

/// ST's STM32F030, the smallest of its line.
pub const STM32F030: Part = Part {
    name: Cow::Borrowed("STM32F030"),
    variant: "F030F4: 4 KiB RAM, 16 KiB flash (the smallest of the line)",
    ram: 4 * KIB,
    flash: 16 * KIB,
};

/// Every part, largest RAM first.
pub const PARTS: [Part; 5] = [RP2040, NRF52840, STM32F411, STM32F103, STM32F030];

/// The default part of the demo and the firmware.
pub const DEFAULT_PART: Part = NRF52840;

impl Part {
    /// The part named `name` (case-insensitive).
    ///
    /// # Errors
    /// If no part has that name (the message lists them).
    pub fn named(name: &str) -> Result<Part> {
        PARTS
            .into_iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                anyhow!(
                    "no part named {name:?}; the parts are {}",
                    PARTS
                        .iter()
                        .map(|p| p.name.to_lowercase())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }

    /// This part with `ram` bytes of RAM instead, named so messages say so
    /// ("nRF52840 with 65536 B of RAM").
    pub fn with_ram(self, ram: usize) -> Part {
        Part {
            name: Cow::Owned(format!("{} with {ram} B of RAM", self.name)),
            ram,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_by_name() {
        assert_eq!(Part::named("NRF52840").unwrap(), DEFAULT_PART);
        assert_eq!(Part::named("stm32f030").unwrap().ram, 4096);
        let err = Part::named("z80").unwrap_err().to_string();
        assert!(err.contains("rp2040, nrf52840, stm32f411"), "{err}");
        let small = DEFAULT_PART.with_ram(65536);
        assert_eq!(small.name, "nRF52840 with 65536 B of RAM");
        assert_eq!((small.ram, small.flash), (65536, 1024 * 1024));
    }
}
