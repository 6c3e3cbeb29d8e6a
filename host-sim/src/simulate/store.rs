//! The device's checkpoint store: the core's two-slot [`Store`] over the
//! simulated flash behind a [`PowerCutFlash`]; resuming from it, saving to
//! it, and what survives a power cut.

use std::io::Write;

use anyhow::{Result, anyhow, bail};
use microprop::FitConfig;
use microprop::checkpoint::{self, SlotInfo, Store, StoreError};
use microprop_device::digits::{self, DigitsSchedule, DigitsTrainer, FEATURES, Net};

use super::flash::{Cut, PowerCutFlash};
use super::job::{FLASH_LEN, SLOT, SimFlash};
use crate::report::grouped;

/// The two-slot store over the simulated flash, behind the power-cut
/// injector.
pub type SimStore<'a> = Store<PowerCutFlash<&'a mut SimFlash>>;

/// How a boot's checkpoint save ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// Written, read back and committed.
    Committed(SlotInfo),
    /// The power failed after `written` bytes (of `bytes` checkpoint bytes
    /// plus the slot header).
    PowerCut {
        /// Bytes written before the cut.
        written: usize,
        /// Bytes of the checkpoint.
        bytes: usize,
    },
}

/// What the flash held after the power cut, on the next boot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recovery {
    /// The newest valid checkpoint (`None`: the flash holds none).
    pub latest: Option<SlotInfo>,
    /// Whether it is byte for byte the last checkpoint committed before
    /// the cut.
    pub identical: bool,
    /// Its optimizer step.
    pub step: u32,
    /// The test accuracy of the network it holds.
    pub test_accuracy: Option<f32>,
}

/// The two-slot store over the simulated flash, the power failing after
/// `power_cut_after` bytes written.
///
/// # Errors
/// Never for the job's layout (two whole-sector slots inside the flash).
pub fn mount(flash: &mut SimFlash, power_cut_after: Option<usize>) -> Result<SimStore<'_>> {
    let cut = power_cut_after.map_or(Cut::NEVER, Cut::after_written);
    Store::new(
        PowerCutFlash::new(flash, cut),
        0..SLOT as u32,
        SLOT as u32..FLASH_LEN as u32,
    )
    .map_err(|e| anyhow!("flash: {e}"))
}

/// Loads the newest valid checkpoint into the network and the trainer, if
/// there is one (a checkpoint that does not load counts as none); returns
/// its slot and step. Says which on `out`.
///
/// # Errors
/// If the flash fails or `out` can't be written.
pub fn resume(
    store: &mut SimStore<'_>,
    net: &mut Net,
    trainer: &mut DigitsTrainer,
    blob: &mut [u8],
    out: &mut dyn Write,
) -> Result<Option<(SlotInfo, u32)>> {
    let Some((_, len)) = store.load_latest(blob).map_err(|e| anyhow!("flash: {e}"))? else {
        writeln!(
            out,
            "flash holds no checkpoint: Xavier weights from seed {}",
            digits::INIT_SEED
        )?;
        return Ok(None);
    };
    let info = store
        .latest()
        .map_err(|e| anyhow!("flash: {e}"))?
        .ok_or_else(|| anyhow!("flash: the checkpoint just read is gone"))?;
    match checkpoint::load_training(net, trainer, &blob[..len]) {
        Ok(()) => {
            writeln!(
                out,
                "resumed from checkpoint sequence {} in slot {} (step {})",
                info.seq,
                info.slot,
                trainer.steps()
            )?;
            Ok(Some((info, trainer.steps())))
        }
        Err(e) => {
            writeln!(
                out,
                "checkpoint sequence {} does not load ({e}): Xavier weights from seed {}",
                info.seq,
                digits::INIT_SEED
            )?;
            Ok(None)
        }
    }
}

/// Encodes the training checkpoint of `net` and `trainer` into `blob` and
/// saves it; says how the save ended on `out`. Returns that, and the
/// checkpoint's length at the start of `blob`.
///
/// # Errors
/// If encoding fails, the flash fails other than by the injected power
/// cut, or `out` can't be written.
pub fn save(
    store: &mut SimStore<'_>,
    net: &Net,
    trainer: &DigitsTrainer,
    blob: &mut [u8],
    out: &mut dyn Write,
) -> Result<(Saved, usize)> {
    let len = checkpoint::save_training(net, trainer, blob)
        .map_err(|e| anyhow!("encoding the checkpoint: {e}"))?;
    let bytes = blob.get(..len).unwrap_or(blob);
    match store.save(bytes) {
        Ok(_) => {
            let info = store
                .latest()
                .map_err(|e| anyhow!("flash: {e}"))?
                .ok_or_else(|| anyhow!("flash: the checkpoint just saved does not read back"))?;
            writeln!(
                out,
                "checkpoint: sequence {} in slot {}: {} bytes (parameters, Adam's moments, step {}), read back and committed",
                info.seq,
                info.slot,
                grouped(len),
                trainer.steps()
            )?;
            Ok((Saved::Committed(info), len))
        }
        Err(StoreError::Flash(_)) if store.flash().is_cut() => {
            let written = store.flash().written();
            writeln!(
                out,
                "checkpoint: POWER CUT after {} bytes written (checkpoint {} bytes + header {}): the save never committed",
                grouped(written),
                grouped(len),
                checkpoint::store::HEADER_LEN
            )?;
            Ok((
                Saved::PowerCut {
                    written,
                    bytes: len,
                },
                len,
            ))
        }
        Err(e) => bail!("flash: {e}"),
    }
}

/// The store after a power cut, as the next boot sees it: the newest valid
/// checkpoint, whether it is the last one committed, and how its network
/// scores on the test set (`config` and `blob` are the device's
/// configuration and checkpoint buffer).
///
/// # Errors
/// If the flash fails, or the surviving checkpoint does not load.
pub fn recover(
    store: &mut SimStore<'_>,
    last_committed: Option<&[u8]>,
    test: &digits::Data<'_>,
    config: &FitConfig<DigitsSchedule, [f32; FEATURES]>,
    blob: &mut [u8],
    out: &mut dyn Write,
) -> Result<Recovery> {
    let found = store.load_latest(blob).map_err(|e| anyhow!("flash: {e}"))?;
    let latest = store.latest().map_err(|e| anyhow!("flash: {e}"))?;
    let Some((seq, len)) = found else {
        writeln!(
            out,
            "the flash holds no valid checkpoint (none was committed before the cut): the device starts from scratch"
        )?;
        return Ok(Recovery {
            latest: None,
            identical: last_committed.is_none(),
            step: 0,
            test_accuracy: None,
        });
    };
    let mut ws = Box::new(digits::workspace());
    let blob = &blob[..len];
    checkpoint::load_training(&mut ws.net, &mut ws.trainer, blob)
        .map_err(|e| anyhow!("the surviving checkpoint does not load: {e}"))?;
    let identical = last_committed == Some(blob);
    let stats = ws
        .evaluate(test, config.normalizer.as_ref())
        .map_err(|e| anyhow!("{e}"))?;
    writeln!(
        out,
        "newest valid checkpoint: sequence {seq}{} (step {}): {}; its test accuracy {:.4}",
        latest.map_or(String::new(), |i| format!(" in slot {}", i.slot)),
        ws.trainer.steps(),
        if identical {
            "the previous checkpoint survived, byte for byte"
        } else {
            "NOT the checkpoint committed last"
        },
        stats.accuracy().unwrap_or(0.0)
    )?;
    Ok(Recovery {
        latest,
        identical,
        step: ws.trainer.steps(),
        test_accuracy: stats.accuracy(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::job::CHECKPOINT_LEN;

    #[test]
    fn power_cut_at_every_stage_of_a_save() {
        // 0: before the first byte; 20: inside the blob; len: the blob
        // complete but no header; len + 7: a torn header.
        for cut in [0, 20, CHECKPOINT_LEN, CHECKPOINT_LEN + 7] {
            let mut flash = Box::new(SimFlash::new());
            let mut store = mount(&mut flash, None).unwrap();
            store.save(b"the previous checkpoint").unwrap();
            let mut store = mount(&mut flash, Some(cut)).unwrap();
            let blob = vec![0x5A; CHECKPOINT_LEN];
            assert!(store.save(&blob).is_err(), "cut {cut}");
            assert_eq!(store.flash().written(), cut);
            let mut store = mount(&mut flash, None).unwrap();
            let mut buf = vec![0; CHECKPOINT_LEN];
            let (seq, len) = store.load_latest(&mut buf).unwrap().unwrap();
            assert_eq!(
                (seq, &buf[..len]),
                (1, &b"the previous checkpoint"[..]),
                "cut {cut}"
            );
        }
    }
}
