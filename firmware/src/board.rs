//! QEMU `mps2-an386`: a user LED on the FPGA I/O block and a clock on
//! SysTick.

use core::convert::Infallible;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::{SCB, SYST};
use cortex_m_rt::exception;
use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{ErrorType, OutputPin};

/// SysTick frequency on mps2 (the 25 MHz system clock). Under QEMU with
/// `-icount shift=0` an instruction takes 1 ns of virtual time, so one tick
/// is exactly 40 instructions.
pub const TICK_HZ: u32 = 25_000_000;

/// Instructions per SysTick tick under `-icount shift=0`.
pub const INSTRUCTIONS_PER_TICK: u64 = 1_000_000_000 / TICK_HZ as u64;

/// SysTick counts down from this (24 bits) and wraps.
const RELOAD: u32 = 0x00FF_FFFF;

/// Wraps of SysTick since [`Mps2::take`]; counted by the SysTick exception
/// (one every 2^24 ticks, ~0.67 s of virtual time).
static WRAPS: AtomicU32 = AtomicU32::new(0);

/// Set once SysTick runs; [`ticks`] reads 0 before.
static STARTED: AtomicBool = AtomicBool::new(false);

#[exception]
fn SysTick() {
    WRAPS.fetch_add(1, Ordering::Relaxed);
}

/// Address of the FPGA I/O block's LED0 register (bits 0 and 1: user LEDs
/// 0 and 1) on mps2 AN385/AN386.
const FPGAIO_LED0: usize = 0x4002_8000;

/// The peripherals the learning loop drives.
pub struct Mps2 {
    /// User LED 0.
    pub led: UserLed,
    /// A busy-wait delay on the SysTick clock.
    pub delay: Delay,
}

impl Mps2 {
    /// Starts the SysTick clock and returns the board; `None` if called
    /// twice.
    pub fn take() -> Option<Mps2> {
        let mut core = cortex_m::Peripherals::take()?;
        start_clock(&mut core.SYST);
        Some(Mps2 {
            led: UserLed { mask: 1 },
            delay: Delay { _private: () },
        })
    }
}

fn start_clock(syst: &mut SYST) {
    syst.disable_counter();
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
    STARTED.store(true, Ordering::Relaxed);
}

/// SysTick ticks since [`Mps2::take`] (0 before), at [`TICK_HZ`].
pub fn ticks() -> u64 {
    if !STARTED.load(Ordering::Relaxed) {
        return 0;
    }
    cortex_m::interrupt::free(|_| {
        let mut wraps = WRAPS.load(Ordering::Relaxed);
        let mut current = SYST::get_current();
        // A wrap whose exception has not run yet (we may be inside a
        // critical section, e.g. the logger's): count it, and re-read the
        // counter so it is certainly from after the wrap.
        if SCB::is_pendst_pending() {
            wraps += 1;
            current = SYST::get_current();
        }
        (u64::from(wraps) << 24) + u64::from(RELOAD - current)
    })
}

/// Microseconds of (virtual) time since [`Mps2::take`].
pub fn micros() -> u64 {
    ticks() / u64::from(TICK_HZ / 1_000_000)
}

/// Instructions executed since [`Mps2::take`], exact under QEMU with
/// `-icount shift=0` (elsewhere: nanoseconds at 1 GHz, i.e. meaningless).
pub fn instructions() -> u64 {
    ticks() * INSTRUCTIONS_PER_TICK
}

/// One of the two user LEDs of the FPGA I/O block. QEMU keeps the register
/// value, so [`leds`] reads back what was driven.
pub struct UserLed {
    mask: u32,
}

impl UserLed {
    fn modify(&mut self, on: bool) {
        let reg = FPGAIO_LED0 as *mut u32;
        // SAFETY: FPGAIO_LED0 is the always-mapped, word-aligned LED
        // register of the mps2 FPGA I/O block; only `UserLed` writes it, from
        // thread mode on a single core, so the read-modify-write cannot be
        // interleaved with another writer.
        unsafe {
            let value = core::ptr::read_volatile(reg);
            let value = if on {
                value | self.mask
            } else {
                value & !self.mask
            };
            core::ptr::write_volatile(reg, value);
        }
    }
}

/// The LED register: bit 0 is LED 0, bit 1 LED 1.
pub fn leds() -> u32 {
    // SAFETY: as in `UserLed::modify`; a read has no side effect.
    unsafe { core::ptr::read_volatile(FPGAIO_LED0 as *const u32) }
}

impl ErrorType for UserLed {
    type Error = Infallible;
}

impl OutputPin for UserLed {
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.modify(false);
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Infallible> {
        self.modify(true);
        Ok(())
    }
}

/// Busy-waits on the SysTick clock (so it needs [`Mps2::take`] first).
pub struct Delay {
    _private: (),
}

impl DelayNs for Delay {
    fn delay_ns(&mut self, ns: u32) {
        let wait = (u64::from(ns) * u64::from(TICK_HZ)).div_ceil(1_000_000_000);
        let end = ticks() + wait;
        while ticks() < end {}
    }
}
