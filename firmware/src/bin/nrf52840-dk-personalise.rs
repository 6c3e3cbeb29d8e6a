//! The personalisation job on the nRF52840-DK, int8 backbone + float head
//! ([`microprop_firmware::personalise::run`], the code of
//! `qemu-personalise-int8`): LED 1 (P0.13) toggles after every pass, defmt
//! logs go over RTT to `probe-rs` (costs in CPU cycles), and the exit
//! status reaches the host through semihosting.
//!
//! `cargo nrf52840-dk-personalise` (from `firmware/`, with the board on USB
//! and `probe-rs` installed).
#![no_std]
#![no_main]

use microprop_firmware::nrf52840dk::Dk;

microprop_firmware::personalise_main!(Int8, Int8Net = INT8, Dk::take().map(|board| board.led));
