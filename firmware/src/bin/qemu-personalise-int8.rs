//! Personalisation on QEMU `mps2-an386`, mode `Int8`
//! ([`microprop_firmware::personalise::run`]): the digits model pretrained
//! on the host adapts to a new user's slanted digits; what trains:
//! the output layer only, over the hidden layer quantised to int8 at compile time and read from flash.
//!
//! `cargo run --release --bin qemu-personalise-int8` (from `firmware/`).
#![no_std]
#![no_main]

use microprop_firmware::board::Mps2;

microprop_firmware::personalise_main!(Int8, Int8Net = INT8, Mps2::take().map(|board| board.led));
