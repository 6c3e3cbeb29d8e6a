//! The host-vs-device runs ([`microprop_firmware::app::crosscheck`]): W1
//! and W2 trained for 300 steps of batch 1; logs a digest of every final
//! weight, which `tests/tests/host_vs_qemu.rs` compares with the host's.
//!
//! `cargo run --release --bin qemu-crosscheck` (from `firmware/`).
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use microprop_firmware::board::Mps2;
use microprop_firmware::{self as fw, app};

#[entry]
fn main() -> ! {
    if Mps2::take().is_none() {
        fw::exit(fw::EXIT_TRAINING_ERROR)
    }
    app::crosscheck()
}
