//! The C firmware's digits job (`firmware/c-example/digits_job.c`), built
//! for the host with the system C compiler against the host staticlib,
//! trains to the same weights as the Rust digits job
//! (`microprop_device::run` with `digits::CONFIG`, what `qemu-digits` runs):
//! the same digest line, the same test accuracy. Under QEMU,
//! `firmware/ci.sh` compares the C firmware's digest with the Rust
//! firmware's.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::convert::Infallible;
use std::path::Path;
use std::process::Command;

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{ErrorType, OutputPin};
use microprop_device::crosscheck::digest;
use microprop_device::digits::{self, Data};
use microprop_device::{Board, NoLog, run};

mod common;

struct Led;
impl ErrorType for Led {
    type Error = Infallible;
}
impl OutputPin for Led {
    fn set_low(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}
struct NoDelay;
impl DelayNs for NoDelay {
    fn delay_ns(&mut self, _ns: u32) {}
}

/// The pixels and labels in the firmware's split order.
fn split() -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
    let text = std::fs::read_to_string(common::csv()).unwrap();
    let rows: Vec<Vec<u8>> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|v| v.trim().parse().unwrap()).collect())
        .collect();
    let order = digits::split_order();
    let mut out = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..digits::ROWS {
        let row = &rows[order.index(i)];
        let (pixels, labels) = if i < digits::TRAIN_ROWS {
            (&mut out.0, &mut out.1)
        } else {
            (&mut out.2, &mut out.3)
        };
        pixels.extend_from_slice(&row[..digits::FEATURES]);
        labels.push(row[digits::FEATURES]);
    }
    out
}

#[test]
fn the_c_digits_job_trains_to_the_rust_jobs_weights() {
    // The Rust job, as host_vs_qemu runs it for the firmware's digest.
    let (train_x, train_y, test_x, test_y) = split();
    let train = Data::new(&train_x, &train_y, digits::PIXEL_SCALE).unwrap();
    let test = Data::new(&test_x, &test_y, digits::PIXEL_SCALE).unwrap();
    let mut ws = Box::new(digits::workspace());
    digits::init(&mut ws.net);
    let summary = run(
        &mut ws,
        &train,
        &test,
        &digits::CONFIG,
        &mut Board::new(Led, NoDelay),
        &mut NoLog,
    )
    .unwrap();
    let rust = digest(&ws.net).to_string();

    // The C job on the host.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example = root.join("../firmware/c-example");
    let exe = Path::new(env!("CARGO_TARGET_TMPDIR")).join("microprop_c_digits");
    common::run(
        Command::new(common::compiler())
            .args([
                "-std=c11",
                "-O2",
                "-Wall",
                "-Wextra",
                "-Werror",
                "-Wdouble-promotion",
            ])
            .arg("-I")
            .arg(root.join("include"))
            .arg("-I")
            .arg(&example)
            .arg(root.join("tests/c/digits_host.c"))
            .arg(example.join("digits_job.c"))
            .arg(common::staticlib())
            .args(common::NATIVE_LIBS)
            .arg("-o")
            .arg(&exe),
    );
    let output = common::run(Command::new(&exe).arg(common::csv()));
    let log = String::from_utf8_lossy(&output.stdout);
    print!("{log}");
    let marker = "digest digits-job: ";
    let line = log
        .lines()
        .find(|l| l.starts_with(marker))
        .expect("no digest line");
    assert_eq!(
        &line[marker.len()..],
        rust,
        "the C job's weights differ from the Rust job's"
    );
    let correct = (summary.test_accuracy().unwrap() * 360.0).round() as u32;
    assert!(
        log.contains(&format!("PASS: test accuracy {correct}/360")),
        "the Rust job got {correct}/360:\n{log}"
    );
}
