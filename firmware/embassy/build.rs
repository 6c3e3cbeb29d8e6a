//! Puts firmware/'s memory map of QEMU mps2-an386 (`../memory-mps2.x`) on
//! the linker's search path as `memory.x` and turns
//! `../../data/digits8x8.csv` into the byte tables `src/data.rs` keeps in
//! flash: `digits-{train,test}-{pixels,labels}.bin` in `OUT_DIR`, one byte
//! a pixel (0..=16) and one a label, rows in the split order of
//! `microprop_device::digits::split_order` (training rows first), as
//! firmware/build.rs writes them.

use std::env;
use std::error::Error;
use std::fs;
use std::path::PathBuf;

use microprop_device::digits::{self, CLASSES, FEATURES};

fn main() -> Result<(), Box<dyn Error>> {
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR not set")?);
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("no manifest dir")?);

    let memory = manifest.join("../memory-mps2.x");
    fs::copy(&memory, out.join("memory.x"))?;
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={}", memory.display());

    let csv = manifest.join("../../data/digits8x8.csv");
    println!("cargo:rerun-if-changed={}", csv.display());
    // Each line after the header: 64 pixels (0..=16), then the label.
    let mut rows = Vec::new();
    for (n, line) in fs::read_to_string(&csv)?.lines().enumerate().skip(1) {
        let values: Vec<u8> = line
            .split(',')
            .map(|v| v.trim().parse())
            .collect::<Result<_, _>>()?;
        match values.split_last() {
            Some((&label, pixels))
                if pixels.len() == FEATURES
                    && usize::from(label) < CLASSES
                    && pixels.iter().all(|&p| p <= 16) =>
            {
                rows.push((pixels.to_vec(), label));
            }
            _ => return Err(format!("{}: line {} is not a digit", csv.display(), n + 1).into()),
        }
    }
    if rows.len() != digits::ROWS {
        return Err(format!(
            "{}: {} rows, expected {}",
            csv.display(),
            rows.len(),
            digits::ROWS
        )
        .into());
    }

    let order = digits::split_order();
    let mut tables: [Vec<u8>; 4] = Default::default();
    for i in 0..digits::ROWS {
        let (pixels, label) = &rows[order.index(i)];
        let first = if i < digits::TRAIN_ROWS { 0 } else { 2 };
        tables[first].extend_from_slice(pixels);
        tables[first + 1].push(*label);
    }
    let names = [
        "digits-train-pixels.bin",
        "digits-train-labels.bin",
        "digits-test-pixels.bin",
        "digits-test-labels.bin",
    ];
    for (name, table) in names.iter().zip(&tables) {
        fs::write(out.join(name), table)?;
    }
    Ok(())
}
