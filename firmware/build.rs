//! Puts the board's memory map on the linker's search path as `memory.x`
//! (`memory-mps2.x` for QEMU mps2-an386, `memory-nrf52840.x` with feature
//! `nrf52840-dk`, `memory-microbit.x` with feature `microbit`) and turns
//! `../data/digits8x8.csv` into the byte tables the firmware keeps in flash:
//! `digits-{train,test}-{pixels,labels}.bin` in `OUT_DIR`, one byte a pixel
//! (0..=16) and one a label, rows in the split order of
//! `microprop_device::digits::split_order` (training rows first).

use std::env;
use std::error::Error;
use std::fs;
use std::path::PathBuf;

use microprop_device::digits;

fn main() -> Result<(), Box<dyn Error>> {
    let out = PathBuf::from(env::var_os("OUT_DIR").ok_or("OUT_DIR not set")?);
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").ok_or("no manifest dir")?);

    let memory = if env::var_os("CARGO_FEATURE_NRF52840_DK").is_some() {
        "memory-nrf52840.x"
    } else if env::var_os("CARGO_FEATURE_MICROBIT").is_some() {
        "memory-microbit.x"
    } else {
        "memory-mps2.x"
    };
    // No file in this directory may be called `memory.x`: the linker (and
    // flip-link) look in the working directory before the search path, so
    // one there would win over the board's map copied to OUT_DIR.
    fs::copy(manifest.join(memory), out.join("memory.x"))?;
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed={memory}");

    let csv = manifest.join("../data/digits8x8.csv");
    println!("cargo:rerun-if-changed={}", csv.display());
    let rows = parse(&fs::read_to_string(&csv)?)?;
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

/// 64 pixels (0..=16) and a label (0..=9).
type Row = ([u8; digits::FEATURES], u8);

/// The rows after the header line.
fn parse(text: &str) -> Result<Vec<Row>, Box<dyn Error>> {
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let values = line
            .split(',')
            .map(|v| v.trim().parse::<u8>())
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|e| format!("line {}: {e}", n + 1))?;
        let (label, pixels) = values
            .split_last()
            .ok_or_else(|| format!("line {}: empty", n + 1))?;
        let pixels: [u8; digits::FEATURES] = pixels
            .try_into()
            .map_err(|_| format!("line {}: {} pixels", n + 1, pixels.len()))?;
        if pixels.iter().any(|&p| p > 16) || usize::from(*label) >= digits::CLASSES {
            return Err(format!("line {}: pixel above 16 or label above 9", n + 1).into());
        }
        rows.push((pixels, *label));
    }
    Ok(rows)
}
