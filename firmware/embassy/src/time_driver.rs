//! An `embassy-time` driver on SysTick, the timer every Cortex-M has, so it
//! needs no chip support crate and runs under QEMU.
//!
//! Contract:
//! - [`start`] takes the SysTick peripheral and makes it interrupt every
//!   [`PERIOD_US`] µs of the core clock ([`CLOCK_HZ`]); before it,
//!   `Instant::now()` reads 0.
//! - `now()` is microseconds since [`start`] (embassy-time's tick is 1 µs):
//!   the periods counted by the interrupt plus the part of the current
//!   period read from the counter. It never runs backwards and, at 64
//!   bits, does not wrap. It stays exact while the SysTick interrupt is
//!   never held off for a whole period (keep critical sections shorter
//!   than [`PERIOD_US`]); a longer one loses that period.
//! - `schedule_wake(at, waker)` puts the waker in a queue of 8 timers
//!   (`embassy-time-queue-utils`' generic queue; a ninth wakes a queued one
//!   early, which embassy's timers tolerate by re-checking). Every SysTick
//!   interrupt wakes the timers whose time has come, so a timer fires
//!   within one period after its time; one already due wakes at once.
//!
//! This is a *tickful* driver: the core is interrupted every period, busy or
//! not. A chip HAL's driver (embassy-nrf's RTC, embassy-stm32's timers) is
//! tickless: it programs a compare channel for the next expiration and
//! lets the core sleep until then. SysTick cannot serve as both the clock
//! and a one-shot alarm without losing counts when reprogrammed, and
//! QEMU's `mps2-an386` has no RTC; at 10 kHz the interrupt (a hundred or
//! so instructions every 2500 SysTick clocks) costs well under 1 % of the
//! core.
//!
//! Under QEMU with `-icount shift=0` an instruction takes 1 ns of virtual
//! time, so one microsecond of `Instant` is exactly 1000 instructions.
//!
//! No `unsafe` here: the one `unsafe` attribute, the exported
//! `_embassy_time_now` / `_embassy_time_schedule_wake` symbols, is inside
//! `embassy_time_driver::time_driver_impl!`.

use core::cell::{Cell, RefCell};
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::Waker;

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m::peripheral::{SCB, SYST};
use cortex_m_rt::exception;
use critical_section::{CriticalSection, Mutex};
use embassy_time_driver::Driver;
use embassy_time_queue_utils::Queue;

/// The SysTick clock: the core clock, 25 MHz on QEMU's mps2 boards. On
/// another board, its core clock.
pub const CLOCK_HZ: u32 = 25_000_000;

/// Microseconds between two SysTick interrupts: how late a timer may fire.
pub const PERIOD_US: u32 = 100;

const CLOCKS_PER_US: u32 = CLOCK_HZ / 1_000_000;
const RELOAD: u32 = CLOCKS_PER_US * PERIOD_US - 1;

const _: () = assert!(embassy_time_driver::TICK_HZ == 1_000_000);
const _: () = assert!(CLOCK_HZ.is_multiple_of(1_000_000) && RELOAD < 1 << 24);

struct SysTickDriver {
    /// SysTick interrupts since [`start`].
    periods: Mutex<Cell<u64>>,
    /// The latest value `now()` returned.
    last: Mutex<Cell<u64>>,
    queue: Mutex<RefCell<Queue>>,
}

/// Set once SysTick runs; `now()` reads 0 before.
static STARTED: AtomicBool = AtomicBool::new(false);

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    periods: Mutex::new(Cell::new(0)),
    last: Mutex::new(Cell::new(0)),
    queue: Mutex::new(RefCell::new(Queue::new())),
});

/// Starts the clock: SysTick on the core clock, an interrupt every
/// [`PERIOD_US`] µs. Owning `SYST` keeps anything else from reprogramming
/// it.
pub fn start(mut syst: SYST) {
    syst.disable_counter();
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
    STARTED.store(true, Ordering::Release);
}

impl SysTickDriver {
    fn now_in(&self, cs: CriticalSection) -> u64 {
        if !STARTED.load(Ordering::Acquire) {
            return 0;
        }
        let mut periods = self.periods.borrow(cs).get();
        let mut current = SYST::get_current();
        // A wrap whose interrupt has not run yet (we are in a critical
        // section): count it, and re-read the counter so the value is
        // certainly from after the wrap.
        if SCB::is_pendst_pending() {
            periods += 1;
            current = SYST::get_current();
        }
        // The counter runs 0 (where the interrupt pends), RELOAD, ..., 1,
        // then 0 again: `(RELOAD + 1 - current) mod (RELOAD + 1)` clocks
        // into the period.
        let clocks = if current == 0 || current > RELOAD {
            0
        } else {
            RELOAD + 1 - current
        };
        let into_period = clocks / CLOCKS_PER_US;
        let now = periods * u64::from(PERIOD_US) + u64::from(into_period);
        // An interrupt held off for more than a period (a critical section
        // that long) merges two wraps into one: the clock falls a period
        // behind, but it must not run backwards.
        let last = self.last.borrow(cs);
        let now = now.max(last.get());
        last.set(now);
        now
    }
}

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        critical_section::with(|cs| self.now_in(cs))
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let mut queue = self.queue.borrow_ref_mut(cs);
            if queue.schedule_wake(at, waker) {
                // Wakes the timers already due now rather than a period
                // later; the rest wait for the interrupt.
                queue.next_expiration(self.now_in(cs));
            }
        });
    }
}

#[exception]
fn SysTick() {
    critical_section::with(|cs| {
        let periods = DRIVER.periods.borrow(cs);
        periods.set(periods.get() + 1);
        let now = DRIVER.now_in(cs);
        DRIVER.queue.borrow_ref_mut(cs).next_expiration(now);
    });
}
