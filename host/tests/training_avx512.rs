//! A short MNIST Adam run with AVX-512 kernels gives the built-in kernels'
//! bits (its own process: kernels are installed once per process).

#![cfg(any(target_arch = "x86", target_arch = "x86_64"))]

mod common;

#[test]
fn avx512_training_gives_the_built_in_bits() {
    common::same_bits_after_installing(microprop_host::Level::Avx512);
}
