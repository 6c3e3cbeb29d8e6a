//! The Cortex-M0 host-vs-device run ([`microprop_firmware::app::crosscheck_m0`])
//! on QEMU `microbit` (nRF51822, no FPU: every float operation in software):
//! W1 and W2 (fused step, to fit 16 KB of RAM) trained for 300 steps of
//! batch 1; logs a digest of every final weight, which
//! `device/tests/host_vs_qemu.rs` compares with the host's.
//!
//! `cargo microbit-crosscheck` (from `firmware/`): `cargo run --release
//! --target thumbv6m-none-eabi --no-default-features --features microbit
//! --bin microbit-crosscheck`.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use microprop_firmware::{self as fw, app, microbit};

#[entry]
fn main() -> ! {
    if !microbit::start_clock() {
        fw::exit(fw::EXIT_TRAINING_ERROR)
    }
    app::crosscheck_m0()
}
