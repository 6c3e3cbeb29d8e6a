//! Personalisation on QEMU `mps2-an386`, mode `Head`
//! ([`microprop_firmware::personalise::run`]): the digits model pretrained
//! on the host adapts to a new user's slanted digits; what trains:
//! the output layer only, over the pretrained hidden layer read from flash (`Flash`).
//!
//! `cargo run --release --bin qemu-personalise-head` (from `firmware/`).
#![no_std]
#![no_main]

use microprop_firmware::board::Mps2;

microprop_firmware::personalise_main!(Head, HeadNet = HEAD, Mps2::take().map(|board| board.led));
