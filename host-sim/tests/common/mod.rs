//! Shared by the end-to-end tests of the `microprop-sim` binary: running
//! it, what success and failure must look like, and the bundled iris.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_microprop-sim"))
}

/// The bundled iris (`label` column 0..=2, last).
pub fn iris() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("data")
        .join("iris.csv")
}

/// `path` as the `&str` an argument list takes.
pub fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

/// Runs the binary in a fresh, empty current directory (where the outputs
/// no flag names go, e.g. the default checkpoint); returns (success,
/// stdout, stderr).
pub fn run(args: &[&str]) -> (bool, String, String) {
    let here = tempfile::tempdir().expect("a temporary directory");
    let Output {
        status,
        stdout,
        stderr,
    } = bin()
        .current_dir(here.path())
        .args(args)
        .output()
        .expect("the binary runs");
    (
        status.success(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// The command succeeds; its stdout.
pub fn ok(args: &[&str]) -> String {
    let (success, out, err) = run(args);
    assert!(success, "{args:?} failed:\n{out}\n{err}");
    out
}

/// The command succeeds and prints one JSON object.
pub fn json(args: &[&str]) -> Value {
    let out = ok(args);
    assert_eq!(out.trim().lines().count(), 1, "one line: {out}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The command fails with one `error:` message and no panic; the message.
pub fn fails(args: &[&str]) -> String {
    failure(args).1
}

/// [`fails`], returning stdout too: (stdout, stderr).
pub fn failure(args: &[&str]) -> (String, String) {
    let (success, out, err) = run(args);
    assert!(!success, "{args:?} succeeded:\n{out}");
    assert!(err.starts_with("error: "), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    (out, err)
}
