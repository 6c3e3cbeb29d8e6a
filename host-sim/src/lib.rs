//! `microprop-sim`: the host side of microprop.
//!
//! It runs the very same `no_std` core as the firmware on the PC, with real
//! data sets. The modules form layers; each imports only the layers below
//! it, never one above:
//!
//! 1. [`options`]: the settings of a run as the command line names them
//!    (clap derives on the settings structs themselves);
//! 2. [`data`]: CSV and IDX loaders, typed rows, splits, scaling with the
//!    core's normaliser, generated data sets;
//! 3. [`models`]: the built-in networks, their tasks, defaults and
//!    checkpoint files (no clap here); [`anyshape`]: trained networks of
//!    any shape read from (and written to) core checkpoints;
//! 4. [`report`]: evaluation, confusion matrices, progress, metrics,
//!    memory footprints against the table of parts, figures;
//! 5. the commands: [`demo`], [`train`], [`eval`] (and `predict`),
//!    [`export`], [`import`], [`footprint`], [`simulate`] (the firmware's learning loop
//!    on simulated peripherals), [`experiments`] (the lecture's, as
//!    figures), [`catalog`] (`models`), and [`cli`] (clap's view of the
//!    built-in models); `main.rs` parses the command line and calls one.

#![deny(missing_docs)]

/// `println!` that returns the write's error instead of panicking, so a
/// closed pipe (`microprop-sim ... | head`) ends the command quietly:
/// `outln!("{x}")?;`.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        writeln!(::std::io::stdout().lock(), $($arg)*)
    }};
}

/// `print!` that returns the write's error instead of panicking (see
/// [`outln!`]).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {{
        use ::std::io::Write as _;
        write!(::std::io::stdout().lock(), $($arg)*)
    }};
}

pub mod anyshape;
pub mod catalog;
pub mod cli;
pub mod data;
pub mod demo;
pub mod eval;
pub mod experiments;
pub mod export;
pub mod footprint;
pub mod import;
pub mod models;
pub mod options;
pub mod quantize;
pub mod report;
pub mod simulate;
pub mod train;

/// Whether `e` is, at its root, a write to a closed pipe (the reader of
/// stdout went away): the command then ends quietly.
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
