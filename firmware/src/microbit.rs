//! QEMU `microbit` (BBC micro:bit v1, nRF51822, Cortex-M0, no FPU): only a
//! clock on SysTick. The Cortex-M0 run (`microbit-crosscheck`) needs no LED
//! or delay; what it shows is that the soft-float build trains to the same
//! bits as the host.

use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::{SCB, SYST};
use cortex_m_rt::exception;

/// SysTick frequency: the nRF51's 16 MHz CPU clock.
pub const TICK_HZ: u32 = 16_000_000;

/// SysTick counts down from this (24 bits) and wraps.
const RELOAD: u32 = 0x00FF_FFFF;

/// Wraps of SysTick since [`start_clock`].
static WRAPS: AtomicU32 = AtomicU32::new(0);

/// Set once SysTick runs; [`ticks`] reads 0 before.
static STARTED: AtomicBool = AtomicBool::new(false);

#[exception]
fn SysTick() {
    // The Cortex-M0 has no atomic read-modify-write; this handler is the
    // only writer and thread mode only reads, so load + store is enough.
    WRAPS.store(
        WRAPS.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Relaxed,
    );
}

/// Starts the SysTick clock; `false` if the core peripherals were taken
/// already.
pub fn start_clock() -> bool {
    let Some(mut core) = cortex_m::Peripherals::take() else {
        return false;
    };
    let syst = &mut core.SYST;
    syst.disable_counter();
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
    STARTED.store(true, Ordering::Relaxed);
    true
}

/// SysTick ticks since [`start_clock`] (0 before), at [`TICK_HZ`].
pub fn ticks() -> u64 {
    if !STARTED.load(Ordering::Relaxed) {
        return 0;
    }
    cortex_m::interrupt::free(|_| {
        let mut wraps = WRAPS.load(Ordering::Relaxed);
        let mut current = SYST::get_current();
        if SCB::is_pendst_pending() {
            wraps += 1;
            current = SYST::get_current();
        }
        (u64::from(wraps) << 24) + u64::from(RELOAD - current)
    })
}

/// Microseconds of (virtual) time since [`start_clock`].
pub fn micros() -> u64 {
    ticks() / u64::from(TICK_HZ / 1_000_000)
}

/// Nanoseconds of virtual time since [`start_clock`]: instructions under
/// QEMU with `-icount shift=0` (to 62.5, one tick).
pub fn instructions() -> u64 {
    ticks() * 1_000 / u64::from(TICK_HZ / 1_000_000)
}
