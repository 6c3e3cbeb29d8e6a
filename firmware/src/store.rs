//! A network's checkpoint through the two-slot flash store and back, as the
//! digits and personalisation jobs end: the store is `RamFlash` (4-byte
//! words, 4 KiB sectors; under QEMU there is no writable flash) split into
//! two equal slots. Each step logs what went wrong; [`report`] logs the
//! `checkpoint: … reloaded bit for bit` line the CI looks for.

use microprop::Layer;
use microprop::checkpoint::{self, RamFlash, Store};

/// Bytes of a flash sector of the store (its erase size).
pub const SECTOR: usize = 4096;

/// Saves `net`'s checkpoint (written into `blob`) to the older of the two
/// halves of `flash`; its length and the store's sequence number, or
/// `None` (logged) on failure.
pub fn save<N: Layer, const F: usize>(
    net: &N,
    flash: &mut RamFlash<F, 4, SECTOR>,
    blob: &mut [u8],
) -> Option<(usize, u32)> {
    let Ok(len) = checkpoint::save(net, blob) else {
        defmt::error!("checkpoint: blob buffer too small");
        return None;
    };
    let slot = (F / 2) as u32;
    let Ok(mut store) = Store::new(flash, 0..slot, slot..2 * slot) else {
        defmt::error!("checkpoint: bad flash layout");
        return None;
    };
    let Ok(seq) = store.save(blob.get(..len).unwrap_or(&[])) else {
        defmt::error!("checkpoint: saving to flash failed");
        return None;
    };
    Some((len, seq))
}

/// Mounts the store again (as after a reboot), reads the newest slot into
/// `blob` and loads it into `into`; `false` (logged) unless that slot is
/// sequence `seq` and the load succeeds.
pub fn reload<N: Layer, const F: usize>(
    into: &mut N,
    flash: &mut RamFlash<F, 4, SECTOR>,
    blob: &mut [u8],
    seq: u32,
) -> bool {
    blob.fill(0);
    let slot = (F / 2) as u32;
    let Ok(mut store) = Store::new(flash, 0..slot, slot..2 * slot) else {
        defmt::error!("checkpoint: bad flash layout");
        return false;
    };
    let loaded = match store.load_latest(blob) {
        Ok(Some((found, n))) if found == seq => n,
        _ => {
            defmt::error!("checkpoint: no valid slot after saving");
            return false;
        }
    };
    if let Err(e) = checkpoint::load(into, blob.get(..loaded).unwrap_or(&[])) {
        defmt::error!("checkpoint: reload refused: {}", e);
        return false;
    }
    true
}

/// Logs the round trip's outcome; returns `same`.
pub fn report(len: usize, seq: u32, same: bool) -> bool {
    defmt::info!(
        "checkpoint: {=usize} B saved to flash as sequence {=u32}, reloaded {=str}",
        len,
        seq,
        if same { "bit for bit" } else { "DIFFERENT" }
    );
    same
}
