//! Arbitrary bytes into `checkpoint::inspect`, `load`, `load_training` and
//! `load_model`: no panic, a refused load changes nothing, an accepted one
//! round-trips. (Random bytes rarely pass the CRC; `checkpoint_structured`
//! reaches the parser behind it.)
#![no_main]

#[path = "common.rs"]
mod common;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    common::check_all_loaders(data);
});
