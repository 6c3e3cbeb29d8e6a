//! Board support for running microprop on a Cortex-M4F: QEMU's
//! `mps2-an386` (feature `qemu`, the default) or the nRF52840-DK (feature
//! `nrf52840-dk`); and on a Cortex-M0, QEMU's `microbit` (feature
//! `microbit`, target `thumbv6m-none-eabi`, the cross-check only). Each brings a status LED, a delay and a clock; shared
//! are the digits data in flash, the applications ([`app`]), defmt logging
//! of the learning loops, exit codes, and exiting panic and HardFault
//! handlers.
//!
//! The learning loops themselves are in `microprop_device`
//! (board-independent); this crate only maps them to a board.
#![no_std]

#[cfg(any(
    all(feature = "qemu", feature = "nrf52840-dk"),
    all(feature = "qemu", feature = "microbit"),
    all(feature = "nrf52840-dk", feature = "microbit")
))]
compile_error!(
    "features `qemu`, `nrf52840-dk` and `microbit` pick the board: enable one (`--no-default-features --features nrf52840-dk` for the DK)"
);
#[cfg(not(any(feature = "qemu", feature = "nrf52840-dk", feature = "microbit")))]
compile_error!("enable a board feature: `qemu` (the default), `nrf52840-dk` or `microbit`");

pub mod app;
#[cfg(feature = "qemu")]
pub mod bench;
#[cfg(feature = "qemu")]
pub mod board;
pub mod clock;
pub mod data;
pub mod log;
#[cfg(feature = "microbit")]
pub mod microbit;
#[cfg(feature = "nrf52840-dk")]
pub mod nrf52840dk;
pub mod personalise;
pub mod store;

use core::sync::atomic::{AtomicBool, Ordering};

use cortex_m_rt::{ExceptionFrame, exception};
// Linked for their `#[defmt::global_logger]`: semihosting under QEMU, RTT
// (read by probe-rs) on the board.
#[cfg(feature = "nrf52840-dk")]
use defmt_rtt as _;
#[cfg(any(feature = "qemu", feature = "microbit"))]
use defmt_semihosting as _;
// Linked for its critical-section based compare-and-swap (the Cortex-M0 has
// none), which `static_cell` uses through it.
#[cfg(feature = "microbit")]
use portable_atomic as _;

/// Exit status of a run whose test accuracy cleared the floor / whose tests
/// passed.
pub const EXIT_OK: i32 = 0;
/// Exit status of a run that trained but missed the accuracy floor.
pub const EXIT_BELOW_FLOOR: i32 = 1;
/// Exit status of a run whose training or evaluation was refused.
pub const EXIT_TRAINING_ERROR: i32 = 2;
/// Exit status after a panic.
pub const EXIT_PANIC: i32 = 101;
/// Exit status after a HardFault (e.g. a stack overflow caught by
/// flip-link's layout).
pub const EXIT_HARD_FAULT: i32 = 102;

/// Ends the program: QEMU, or `probe-rs run` on a board, exits with `code`
/// (semihosting `SYS_EXIT_EXTENDED`). On a board running without a
/// debugger (where the semihosting call would fault) the core sleeps
/// instead, the LED left as it was.
pub fn exit(code: i32) -> ! {
    #[cfg(feature = "nrf52840-dk")]
    if !cortex_m::peripheral::DCB::is_debugger_attached() {
        loop {
            cortex_m::asm::wfi();
        }
    }
    semihosting::process::exit(code)
}

/// Set by the first failure handler; a second failure (e.g. a panic inside
/// the logger) exits at once instead of logging again.
static FAILING: AtomicBool = AtomicBool::new(false);

fn first_failure() -> bool {
    // Load and store in a critical section, not `swap`: the Cortex-M0
    // (thumbv6m) has no atomic read-modify-write.
    cortex_m::interrupt::free(|_| {
        let first = !FAILING.load(Ordering::Relaxed);
        FAILING.store(true, Ordering::Relaxed);
        first
    })
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    if first_failure() {
        defmt::error!("panic: {}", defmt::Display2Format(info));
    }
    exit(EXIT_PANIC)
}

/// `defmt::panic!` (used by `defmt-test` for a failed assertion) ends here.
#[defmt::panic_handler]
fn defmt_panic() -> ! {
    exit(EXIT_PANIC)
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    if first_failure() {
        defmt::error!(
            "HardFault: pc {=u32:#010x}, lr {=u32:#010x}, xpsr {=u32:#010x}",
            frame.pc(),
            frame.lr(),
            frame.xpsr()
        );
    }
    exit(EXIT_HARD_FAULT)
}

defmt::timestamp!("{=u64:us}", clock::micros());

/// Bytes of stack used so far: the distance from the top of the stack to
/// the lowest word that no longer holds cortex-m-rt's paint
/// (`paint-stack` fills the stack region with `0xCCCC_CCCC` at reset).
pub fn stack_high_water() -> usize {
    unsafe extern "C" {
        static _stack_start: u32;
        static _stack_end: u32;
    }
    let top = (&raw const _stack_start) as usize;
    let bottom = (&raw const _stack_end) as usize;
    let mut addr = bottom;
    while addr < top {
        // SAFETY: `_stack_end.._stack_start` is the stack region of RAM
        // (linker symbols of cortex-m-rt, after flip-link's relocation);
        // every word in it is mapped, aligned and readable, and reading a
        // word above the current stack pointer races with nothing on one
        // core.
        let word = unsafe { core::ptr::read_volatile(addr as *const u32) };
        if word != cortex_m_rt::STACK_PAINT_VALUE {
            break;
        }
        addr += 4;
    }
    top - addr
}

/// Bytes between `_stack_end` and `_stack_start`: the stack's capacity.
pub fn stack_capacity() -> usize {
    unsafe extern "C" {
        static _stack_start: u32;
        static _stack_end: u32;
    }
    (&raw const _stack_start) as usize - (&raw const _stack_end) as usize
}
