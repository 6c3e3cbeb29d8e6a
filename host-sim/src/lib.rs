//! `microprop-sim`: the host side of microprop.
//!
//! It runs the very same `no_std` core as the firmware on the PC, with real
//! data sets: loaders for CSV and IDX files ([`data`], [`idx`]), the
//! built-in models ([`models`]), the `train` command ([`train`]), memory
//! footprints on common MCUs ([`footprint`]), the `demo` ([`demo`]), the
//! lecture's experiments as figures ([`experiments`], drawn by [`plot`]);
//! checkpoint files ([`checkpoints`]) for `eval` and `predict` ([`eval`])
//! and `export` to Rust source for the firmware ([`export`]); the
//! firmware's learning loop on simulated peripherals ([`device`]).

pub mod checkpoints;
pub mod data;
pub mod demo;
pub mod device;
pub mod eval;
pub mod experiments;
pub mod export;
pub mod footprint;
pub mod idx;
pub mod models;
pub mod options;
pub mod plot;
pub mod train;

/// The workspace's root directory (where this crate was built from).
fn workspace_dir() -> &'static std::path::Path {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest)
}

/// The workspace's bundled `data/` directory.
pub fn bundled_data_dir() -> std::path::PathBuf {
    workspace_dir().join("data")
}

/// The workspace's build directory (`target/`), where the demo and the
/// experiments write their figures unless told otherwise.
pub fn target_dir() -> std::path::PathBuf {
    workspace_dir().join("target")
}
