//! `microprop-sim`: the host side of microprop.
//!
//! It runs the very same `no_std` core as the firmware on the PC, with real
//! data sets: loaders for labelled CSV files, a train/test split, feature
//! scaling, and the `demo` that trains the 8x8 digits classifier.

pub mod data;
pub mod demo;

/// The workspace's bundled `data/` directory.
pub fn bundled_data_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("data")
}
