//! The firmware's digits job as the simulator runs it: its flash layout
//! (two checkpoint slots of whole sectors) and its training configuration.

use microprop::checkpoint::{self, RamFlash};
use microprop::{Adam, FitConfig, LrSchedule, Stopping};
use microprop_device::digits::{self, DigitsSchedule, FEATURES, Net};

/// Bytes of a flash word (the write size).
pub const WORD: usize = 4;
/// Bytes of a flash sector (the erase size).
pub const SECTOR: usize = 4096;
/// Bytes of a training checkpoint of the digits job: parameters, Adam's
/// moments and the step count.
pub const CHECKPOINT_LEN: usize = checkpoint::training_len::<Net, Adam>();
/// Bytes of one checkpoint slot: the store's header and the checkpoint,
/// rounded up to whole sectors.
pub const SLOT: usize = (CHECKPOINT_LEN + checkpoint::store::HEADER_LEN).div_ceil(SECTOR) * SECTOR;
const _: () = assert!(
    SLOT >= CHECKPOINT_LEN + checkpoint::store::HEADER_LEN && SLOT.is_multiple_of(SECTOR),
    "a slot holds the header and the checkpoint in whole sectors"
);

/// Bytes of the simulated flash region: two slots.
pub const FLASH_LEN: usize = 2 * SLOT;
/// The simulated NOR flash region holding the two checkpoint slots.
pub type SimFlash = RamFlash<FLASH_LEN, WORD, SECTOR>;
/// Bytes the digits data takes in flash: a byte per pixel and per label.
pub const DATA_FLASH: usize = digits::ROWS * (FEATURES + 1);
/// Default stack reserve: above the firmware's stack high-water mark under
/// QEMU (firmware/README.md), rounded up to a power of two.
pub const DEFAULT_STACK: usize = 2048;

/// The job's configuration for `epochs` epochs per boot: the firmware's
/// [`digits::CONFIG`], with the cosine decay stretched over `epochs` when
/// that differs from [`digits::EPOCHS`].
pub fn job_config(epochs: u32) -> FitConfig<DigitsSchedule, [f32; FEATURES]> {
    let mut config = digits::CONFIG;
    if epochs != digits::EPOCHS {
        config.stopping = Stopping::epochs(epochs);
        if let LrSchedule::Cosine { initial, last, .. } = config.schedule.inner {
            let total = epochs.saturating_mul(digits::STEPS_PER_EPOCH);
            config.schedule.inner = LrSchedule::Cosine {
                initial,
                last,
                period: total.saturating_sub(config.schedule.steps + 1).max(1),
            };
        }
    }
    config
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_config_is_the_firmwares_for_its_epoch_count() {
        assert_eq!(job_config(digits::EPOCHS).stopping, digits::CONFIG.stopping);
        let c = job_config(2);
        assert_eq!(c.stopping.max_epochs, 2);
        match c.schedule.inner {
            LrSchedule::Cosine { period, .. } => {
                assert_eq!(
                    period,
                    2 * digits::STEPS_PER_EPOCH - digits::WARMUP_STEPS - 1
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
