//! Proves that a failure is never a pass: triggers the failure chosen at
//! build time by `MICROPROP_FAULT` and must exit non-zero under QEMU.
//!
//! - `panic`: a panic, exit 101 (`EXIT_PANIC`) after logging it;
//! - `hardfault`: a bus fault escalated to HardFault, exit 102
//!   (`EXIT_HARD_FAULT`) after logging the faulting PC;
//! - `overflow` (default): unbounded recursion. flip-link put the stack
//!   below the statics, so the overflow runs off the bottom of RAM instead
//!   of into the model; the core locks up (the exception frame cannot be
//!   pushed) and QEMU aborts (exit 134) — on a board, a lockup resets.
//!
//! `MICROPROP_FAULT=panic cargo run --release --example fault`
#![no_std]
#![no_main]

use microprop_firmware as _;

#[cortex_m_rt::entry]
fn main() -> ! {
    let which = core::hint::black_box(option_env!("MICROPROP_FAULT").unwrap_or("overflow"));
    defmt::info!("triggering {=str}", which);
    match which {
        "panic" => panic!("on purpose"),
        "hardfault" => {
            // SAFETY: deliberately reads an unmapped address to raise a
            // fault; no Rust reference to that memory exists.
            let _ = unsafe { core::ptr::read_volatile(0xFFFF_FFF0 as *const u32) };
        }
        _ => {
            let depth = recurse(core::hint::black_box(1));
            defmt::error!("recursion returned {=u32}", depth);
        }
    }
    defmt::error!("the failure did not happen");
    microprop_firmware::exit(0)
}

/// Uses 1 KiB of stack a level and never stops (until the stack runs out).
#[inline(never)]
fn recurse(n: u32) -> u32 {
    let frame = core::hint::black_box([n; 256]);
    if core::hint::black_box(n) == 0 {
        return 0;
    }
    recurse(frame[3] + 1) + frame[7]
}
