//! Personalisation on QEMU `mps2-an386`, mode `Full`
//! ([`microprop_firmware::personalise::run`]): the digits model pretrained
//! on the host adapts to a new user's slanted digits; what trains:
//! every weight and bias, the whole pretrained network copied into RAM.
//!
//! `cargo run --release --bin qemu-personalise-full` (from `firmware/`).
#![no_std]
#![no_main]

use microprop_firmware::board::Mps2;

microprop_firmware::personalise_main!(Full, FullNet = FULL, Mps2::take().map(|board| board.led));
