//! Exit statuses and the handlers that end a run which went wrong: a panic
//! or a HardFault logs what happened and exits non-zero, so QEMU (and CI)
//! sees the failure instead of a hang.

use cortex_m_rt::{ExceptionFrame, exception};

/// The model learned: test accuracy at or above the floor.
pub const EXIT_OK: i32 = 0;
/// Trained, but below the floor.
pub const EXIT_BELOW_FLOOR: i32 = 1;
/// Training refused, or the program could not start.
pub const EXIT_TRAINING_ERROR: i32 = 2;
/// After a panic.
pub const EXIT_PANIC: i32 = 101;
/// After a HardFault.
pub const EXIT_HARD_FAULT: i32 = 102;

/// Ends the program; QEMU exits with `code` (semihosting).
pub fn exit(code: i32) -> ! {
    semihosting::process::exit(code)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    defmt::error!("panic: {}", defmt::Display2Format(info));
    exit(EXIT_PANIC)
}

// cortex-m-rt requires the HardFault handler to be an `unsafe fn`; its body
// does nothing unsafe.
#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    defmt::error!(
        "HardFault: pc {=u32:#010x}, lr {=u32:#010x}",
        frame.pc(),
        frame.lr()
    );
    exit(EXIT_HARD_FAULT)
}
