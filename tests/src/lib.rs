//! Shared helpers for microprop's cross-crate integration tests
//! (`tests/tests/*.rs`), one job a module:
//!
//! - [`params`]: a network's parameters as one flat list of values or bit
//!   patterns, and written back;
//! - [`reference`](mod@reference): an independent f64 forward pass and losses;
//! - [`finite_difference`]: central-difference gradients of the reference;
//! - [`least_squares`]: the exact optimum and Hessian eigenvalues of a
//!   two-feature linear regression;
//! - [`crc`]: an independent CRC-32, to seal edited checkpoints again;
//! - [`optimizers`]: [`for_each_optimizer!`], every optimizer configuration
//!   the bit-for-bit comparisons run;
//! - data: [`xor`], [`four_rows`] (a small batch to poison), [`iris`]
//!   (split and scaled), [`digits`] (every bundled 8x8 digit).
//!
//! The tests are in `tests/tests/`, one file a subject; `cargo test -p
//! microprop-tests --test NAME` runs one of them.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod claims;
pub mod crc;
pub mod digits;
pub mod finite_difference;
pub mod four_rows;
pub mod iris;
pub mod least_squares;
pub mod optimizers;
pub mod params;
pub mod reference;
pub mod xor;
