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

#[path = "../common/mod.rs"]
mod common;
use common::{fails, iris, json, ok, run, s};

use std::path::{Path, PathBuf};

/// Trains a small model (one 4-unit tanh layer, two epochs) on `csv` into
/// `model`: the model file the eval and error tests start from.
fn train_small(csv: &Path, model: &Path) {
    ok(&[
        "train",
        "--csv",
        s(csv),
        "--layers",
        "4:tanh",
        "--epochs",
        "2",
        "--quiet",
        "--checkpoint",
        s(model),
    ]);
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
