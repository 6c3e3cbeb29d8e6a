//! The nRF52840-DK (PCA10056): LED 1 on P0.13 (active low), a SysTick
//! delay, and a clock on the DWT cycle counter. Flashed and run by
//! `probe-rs run --chip nRF52840_xxAA` (see the README), which also reads
//! the defmt logs over RTT.

use core::convert::Infallible;
use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::DWT;
use embedded_hal::digital::{ErrorType, OutputPin};
use nrf52840_hal::clocks::Clocks;
use nrf52840_hal::gpio::{Level, Output, Pin, PushPull, p0};
use nrf52840_hal::{Delay, pac};

/// CPU clock: 64 MHz.
pub const CPU_HZ: u32 = 64_000_000;

/// The peripherals the learning loop drives.
pub struct Dk {
    /// LED 1, lit by [`OutputPin::set_high`].
    pub led: ActiveLow<Pin<Output<PushPull>>>,
    /// A busy-wait delay on SysTick.
    pub delay: Delay,
}

impl Dk {
    /// Starts the crystal oscillator and the cycle counter and returns the
    /// board; `None` if called twice.
    pub fn take() -> Option<Dk> {
        let mut core = cortex_m::Peripherals::take()?;
        let p = pac::Peripherals::take()?;
        // The 64 MHz crystal: accurate timing for the delay and the clock.
        let _clocks = Clocks::new(p.CLOCK).enable_ext_hfosc();
        core.DCB.enable_trace();
        core.DWT.enable_cycle_counter();
        let port0 = p0::Parts::new(p.P0);
        let led = port0.p0_13.into_push_pull_output(Level::High).degrade();
        Some(Dk {
            led: ActiveLow(led),
            delay: Delay::new(core.SYST),
        })
    }
}

/// Upper 32 bits of [`cycles`] and the last `CYCCNT` seen.
static HIGH: AtomicU32 = AtomicU32::new(0);
static LAST: AtomicU32 = AtomicU32::new(0);

/// CPU cycles since [`Dk::take`]: `CYCCNT` (32 bits, wraps every 67 s)
/// extended to 64 bits, correct as long as it is read at least once per
/// wrap (the logs read it every epoch, every ~2 s).
pub fn cycles() -> u64 {
    cortex_m::interrupt::free(|_| {
        let now = DWT::cycle_count();
        let mut high = HIGH.load(Ordering::Relaxed);
        if now < LAST.load(Ordering::Relaxed) {
            high = high.wrapping_add(1);
            HIGH.store(high, Ordering::Relaxed);
        }
        LAST.store(now, Ordering::Relaxed);
        (u64::from(high) << 32) | u64::from(now)
    })
}

/// Microseconds since [`Dk::take`].
pub fn micros() -> u64 {
    cycles() / u64::from(CPU_HZ / 1_000_000)
}

/// An active-low pin seen as active-high: `set_high` lights the LED.
pub struct ActiveLow<P>(pub P);

impl<P: OutputPin<Error = Infallible>> ErrorType for ActiveLow<P> {
    type Error = Infallible;
}

impl<P: OutputPin<Error = Infallible>> OutputPin for ActiveLow<P> {
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.0.set_high()
    }

    fn set_high(&mut self) -> Result<(), Infallible> {
        self.0.set_low()
    }
}
