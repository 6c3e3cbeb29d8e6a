//! End-to-end tests of models of any shape on the user's CSV (`train
//! --layers`, `eval` and `predict` of the model file): the binary run on
//! the bundled iris and on small files generated in a temporary folder,
//! and the library for the bit-for-bit comparison with the built-in
//! const-generic model. Split by subject; shared helpers here.

mod bits;
mod errors;
mod eval;
mod predict;
mod train;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The bundled iris (`label` column 0..=2, last).
fn iris() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("data")
        .join("iris.csv")
}

/// Runs the binary; returns (success, stdout, stderr).
fn run(args: &[&str]) -> (bool, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(env!("CARGO_BIN_EXE_microprop-sim"))
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
fn ok(args: &[&str]) -> String {
    let (success, out, err) = run(args);
    assert!(success, "{args:?} failed:\n{out}\n{err}");
    out
}

/// The command succeeds and prints one JSON object.
fn json(args: &[&str]) -> Value {
    let out = ok(args);
    assert_eq!(out.trim().lines().count(), 1, "one line: {out}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// The command fails with one `error:` message and no panic; the message.
fn fails(args: &[&str]) -> String {
    let (success, out, err) = run(args);
    assert!(!success, "{args:?} succeeded:\n{out}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// `path` as the `&str` an argument list takes.
fn s(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

/// Iris with its columns in another order and the labels rewritten by
/// `label` (e.g. to species names), written to `dir/name`.
fn iris_variant(
    dir: &Path,
    name: &str,
    order: &[usize],
    label: impl Fn(&str) -> String,
) -> PathBuf {
    let text = std::fs::read_to_string(iris()).unwrap();
    let mut out = String::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split(',').collect();
        let picked: Vec<String> = order
            .iter()
            .map(|&c| {
                if c == 4 && i > 0 {
                    label(fields[c])
                } else {
                    fields[c].to_string()
                }
            })
            .collect();
        out.push_str(&picked.join(","));
        out.push('\n');
    }
    let path = dir.join(name);
    std::fs::write(&path, out).unwrap();
    path
}

/// The iris species for the bundled labels 0..=2.
fn species(label: &str) -> String {
    ["setosa", "versicolor", "virginica"][label.parse::<usize>().unwrap()].to_string()
}
