//! Personalisation on QEMU `mps2-an386`, mode `Bias`
//! ([`microprop_firmware::personalise::run`]): the digits model pretrained
//! on the host adapts to a new user's slanted digits; what trains:
//! the biases of both layers only (TinyTL), the weights in RAM but frozen.
//!
//! `cargo run --release --bin qemu-personalise-bias` (from `firmware/`).
#![no_std]
#![no_main]

use microprop_firmware::board::Mps2;

microprop_firmware::personalise_main!(Bias, BiasNet = BIAS, Mps2::take().map(|board| board.led));
