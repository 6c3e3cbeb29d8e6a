//! Host vs device, bit for bit: runs the firmware's `qemu-crosscheck`,
//! `qemu-digits` and `qemu-online` under QEMU (Cortex-M4F, `mps2-an386`),
//! computes the same runs here on the host with the same code, seeds and
//! data, and compares the digest (CRC-32 of every weight's bits, count,
//! first and last bits) of each final model:
//!
//! - `xor-sgd`, `digits-sgd`, `digits-adam`: 300 steps of batch 1
//!   (`microprop_device::crosscheck`);
//! - `digits-job`: the whole digits job (1800 Adam steps of 16 rows,
//!   warmup + cosine);
//! - `online-no-replay`, `online-replay`: the online-learning job (3000
//!   samples each);
//! - `personalise-full`, `-head-only`, `-bias-only`, `-int8-backbone`:
//!   the personalisation job in each of its four modes (1000 SGD steps
//!   from the pretrained model; the int8 mode runs the int8 layer's
//!   arithmetic);
//! - on a Cortex-M0 (`thumbv6m-none-eabi`, QEMU `microbit`, no FPU, 16 KB
//!   of RAM), `microbit-crosscheck`: `xor-sgd` again and
//!   `digits-sgd-fused` (W2 with SGD through the fused step, 300 steps).
//!
//! Ignored by `cargo test` (it needs QEMU, flip-link and defmt-print);
//! `firmware/ci.sh` runs it with
//! `cargo test -p microprop-device --test host_vs_qemu -- --ignored`,
//! and then a missing QEMU is a failure, not a skip.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::process::Command;

use microprop::Layer;
use microprop_device::crosscheck::{self, Digest, digest};
use microprop_device::digits::personalise::{self, Mode};
use microprop_device::digits::{self, Data, online};
use microprop_device::{Board, workloads};

mod common;
use common::{Led, NoDelay, digits_job, load, personalised};

/// Runs `bin` of the firmware under QEMU (its cargo runner) and returns its
/// decoded defmt log; panics unless it exits 0.
fn qemu(bin: &str) -> String {
    qemu_with(bin, &[])
}

/// [`qemu`] with more `cargo run` arguments (target, features).
fn qemu_with(bin: &str, args: &[&str]) -> String {
    let firmware = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../firmware");
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .current_dir(&firmware)
        .args(["run", "--release", "--locked", "--bin", bin])
        .args(args);
    // This test's own cargo environment must not leak into the firmware's
    // build (it has its own target, linker and runner).
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if (key.starts_with("CARGO_") && key != "CARGO_HOME") || key.starts_with("RUSTC") {
            cargo.env_remove(&key);
        }
    }
    cargo.env_remove("RUSTFLAGS");
    let output = cargo
        .output()
        .unwrap_or_else(|e| panic!("could not start cargo for {bin}: {e}"));
    let log = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "`cargo run --release --bin {bin}` in firmware/ failed ({}): is QEMU installed?\n{log}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    log
}

/// The digest `name` as logged by the firmware: the text after
/// `digest <name>: `.
fn logged<'a>(log: &'a str, name: &str) -> &'a str {
    let marker = format!("digest {name}: ");
    let line = log
        .lines()
        .find(|l| l.contains(&marker))
        .unwrap_or_else(|| panic!("no `{marker}` line in the QEMU log:\n{log}"));
    let start = line.find(&marker).unwrap() + marker.len();
    line[start..].trim_end()
}

thread_local! {
    /// Digests compared so far by [`compare`] in this test (each test runs
    /// on a thread of its own), for the summary lines.
    static COMPARED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn compare(log: &str, name: &str, host: &Digest, mismatches: &mut Vec<String>) {
    COMPARED.set(COMPARED.get() + 1);
    let device = logged(log, name);
    let host = host.to_string();
    let verdict = if device == host {
        "identical"
    } else {
        "DIFFERENT"
    };
    println!("{name:>17}: {verdict}\n    host {host}\n    qemu {device}");
    if device != host {
        mismatches.push(name.to_owned());
    }
}

/// Runs `qemu-personalise-<mode>` under QEMU and the same mode here from
/// `start`, and compares the fine-tuned networks.
fn compare_personalised<N>(
    mode: Mode,
    start: N,
    split: &personalise::Split<'_>,
    mismatches: &mut Vec<String>,
) where
    N: Layer<Input = [f32; digits::FEATURES], Output = [f32; digits::CLASSES]>,
    microprop::SoftmaxCrossEntropy: microprop::AcceptsActivation<N::OutputActivation>,
{
    let bin = match mode {
        Mode::Full => "qemu-personalise-full",
        Mode::Head => "qemu-personalise-head",
        Mode::Bias => "qemu-personalise-bias",
        Mode::Int8 => "qemu-personalise-int8",
    };
    let log = qemu(bin);
    let (_, net) = personalised(mode, start, split);
    let name = format!("personalise-{}", mode.name());
    compare(&log, &name, &digest(&net), mismatches);
}

#[test]
fn the_run_time_front_end_trains_the_digits_to_the_same_bits() {
    let (train_x, train_y, _, _) = load();
    let train = Data::new(&train_x, &train_y, digits::PIXEL_SCALE).unwrap();
    let mut net = digits::Net::ZERO;
    let mut adam = Box::new(workloads::digits_adam_trainer());
    let typed = crosscheck::digits_adam(&mut net, &mut adam, &train).unwrap();
    let mut buffers = Box::new(crosscheck::DynamicDigits::ZERO);
    let dynamic = crosscheck::digits_adam_dynamic(&mut buffers, &train).unwrap();
    assert_eq!(dynamic, typed);
}

#[test]
#[ignore = "needs QEMU, flip-link and defmt-print; firmware/ci.sh runs it"]
fn every_weight_is_bit_identical_on_the_host_and_under_qemu() {
    let (train_x, train_y, test_x, test_y) = load();
    let train = Data::new(&train_x, &train_y, digits::PIXEL_SCALE).unwrap();
    let test = Data::new(&test_x, &test_y, digits::PIXEL_SCALE).unwrap();
    let mut mismatches = Vec::new();

    // 300 steps of batch 1: W1 with SGD, W2 with SGD and with Adam.
    let log = qemu("qemu-crosscheck");
    let mut xor = workloads::XorNet::ZERO;
    let host = crosscheck::xor_sgd(&mut xor, &mut workloads::xor_trainer()).unwrap();
    compare(&log, "xor-sgd", &host, &mut mismatches);
    let mut net = digits::Net::ZERO;
    let mut sgd = Box::new(workloads::digits_sgd_trainer());
    let host = crosscheck::digits_sgd(&mut net, &mut sgd, &train).unwrap();
    compare(&log, "digits-sgd", &host, &mut mismatches);
    let mut adam = Box::new(workloads::digits_adam_trainer());
    let host = crosscheck::digits_adam(&mut net, &mut adam, &train).unwrap();
    compare(&log, "digits-adam", &host, &mut mismatches);
    // The run-time front end on the device gives the typed host run's bits.
    compare(&log, "digits-adam-dynamic", &host, &mut mismatches);

    // The digits job: 1800 Adam steps of 16 rows.
    let log = qemu("qemu-digits");
    let ws = digits_job(&train, &test);
    compare(&log, "digits-job", &digest(&ws.net), &mut mismatches);

    // The online job, without and with replay.
    let log = qemu("qemu-online");
    let mut trainer = Box::new(online::trainer());
    let mut batch = Box::new(online::Batch::new());
    let mut replay = Box::new(online::Replay::new(0));
    for (with_replay, name) in [(false, "online-no-replay"), (true, "online-replay")] {
        online::run(
            &mut net,
            &mut trainer,
            &mut batch,
            &mut replay,
            &train,
            &test,
            with_replay,
            &mut Board::new(Led(0), NoDelay),
            &mut |_: &online::OnlineEvent| {},
        )
        .unwrap();
        compare(&log, name, &digest(&net), &mut mismatches);
    }

    // The personalisation job, one binary a mode.
    let split = personalise::Split::new(&train, &test).unwrap();
    compare_personalised(Mode::Full, personalise::FULL, &split, &mut mismatches);
    compare_personalised(Mode::Head, personalise::HEAD, &split, &mut mismatches);
    compare_personalised(Mode::Bias, personalise::BIAS, &split, &mut mismatches);
    compare_personalised(Mode::Int8, personalise::INT8, &split, &mut mismatches);

    assert!(
        mismatches.is_empty(),
        "weights differ between the host and QEMU: {mismatches:?}"
    );
    let n = COMPARED.take();
    println!("host vs qemu: {n} of {n} final models bit-identical");
}

#[test]
#[ignore = "needs QEMU, flip-link and defmt-print; firmware/ci.sh runs it"]
fn every_weight_is_bit_identical_on_the_host_and_on_a_cortex_m0() {
    let (train_x, train_y, _, _) = load();
    let train = Data::new(&train_x, &train_y, digits::PIXEL_SCALE).unwrap();
    let mut mismatches = Vec::new();

    // Soft-float f32 on the M0 (thumbv6m, QEMU microbit): W1 with SGD and W2
    // with SGD through the fused step, 300 steps of batch 1 each.
    let log = qemu_with(
        "microbit-crosscheck",
        &[
            "--target",
            "thumbv6m-none-eabi",
            "--no-default-features",
            "--features",
            "microbit",
        ],
    );
    let mut xor = workloads::XorNet::ZERO;
    let host = crosscheck::xor_sgd(&mut xor, &mut workloads::xor_trainer()).unwrap();
    compare(&log, "xor-sgd", &host, &mut mismatches);
    let mut net = digits::Net::ZERO;
    let mut fused = Box::new(workloads::digits_sgd_fused_trainer());
    let host = crosscheck::digits_sgd_fused(&mut net, &mut fused, &train).unwrap();
    compare(&log, "digits-sgd-fused", &host, &mut mismatches);

    assert!(
        mismatches.is_empty(),
        "weights differ between the host and the Cortex-M0: {mismatches:?}"
    );
    let n = COMPARED.take();
    println!("host vs cortex-m0: {n} of {n} final models bit-identical");
}
