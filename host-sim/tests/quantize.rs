//! `microprop-sim quantize`: a trained digits model with its hidden layer
//! (and then both layers) in int8 keeps its held-out accuracy within 1.5
//! points, the float figures are `eval`'s, the sizes are the int8 layers',
//! and bad requests fail with one clear error.

use std::path::{Path, PathBuf};
use std::process::Command;

fn run(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_microprop-sim"))
        .args(args)
        .output()
        .expect("the binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> serde_json::Value {
    let (success, out, err) = run(args);
    assert!(success, "{args:?} failed:\n{out}\n{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn fails(args: &[&str]) -> String {
    let (success, out, err) = run(args);
    assert!(!success, "{args:?} succeeded:\n{out}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn accuracy(v: &serde_json::Value, scores: &str) -> f64 {
    v[scores]["test"]["accuracy"]
        .as_f64()
        .expect("a test accuracy")
}

/// The largest change of held-out accuracy, in points, that int8 layers
/// may cost the digits model (359 held-out rows: 1.5 points is 5 rows).
const DIGITS_BOUND: f64 = 1.5;

#[test]
fn int8_digits_keep_their_accuracy() {
    let dir = tempfile::tempdir().unwrap();
    let ckpt = dir.path().join("digits.mpck");
    let ckpt = ckpt.to_str().unwrap();
    let (success, out, err) = run(&[
        "train",
        "--model",
        "digits",
        "--checkpoint",
        ckpt,
        "--quiet",
    ]);
    assert!(success, "{out}\n{err}");
    let eval = json(&["eval", "--checkpoint", ckpt, "--json"]);

    let hidden = json(&["quantize", "--checkpoint", ckpt, "--json"]);
    assert_eq!(hidden["model"], "digits");
    assert_eq!(hidden["layers"], serde_json::json!([0]));
    assert_eq!(hidden["float"]["test"], eval["test"]);
    assert_eq!(hidden["float"]["train"], eval["train"]);
    assert_eq!(hidden["float_bytes"], (64 * 32 + 32 + 32 * 10 + 10) * 4);
    // 64x32 int8 weights, 32 scales and 32 biases; the f32 output layer.
    assert_eq!(hidden["int8_bytes"], 64 * 32 + 8 * 32 + (32 * 10 + 10) * 4);

    let both = json(&[
        "quantize",
        "--checkpoint",
        ckpt,
        "--layers",
        "0,1",
        "--json",
    ]);
    assert_eq!(both["int8_bytes"], 64 * 32 + 8 * 32 + 32 * 10 + 8 * 10);
    for v in [&hidden, &both] {
        let change = v["accuracy_change_points"].as_f64().unwrap();
        let (before, after) = (accuracy(v, "float"), accuracy(v, "int8"));
        assert!((change - (after - before) * 100.0).abs() < 1e-3, "{v}");
        assert!(change.abs() <= DIGITS_BOUND, "{v}");
        assert!(after > 0.95, "{v}");
        // The int8 model is a different model: its loss moved.
        assert_ne!(v["int8"]["test"]["loss"], v["float"]["test"]["loss"], "{v}");
    }

    // The text report says the same.
    let (success, text, _) = run(&["quantize", "--checkpoint", ckpt, "--layers", "1"]);
    assert!(success, "{text}");
    assert!(text.contains("int8 layers 1: one scale per unit"), "{text}");
    assert!(text.contains("accuracy change (held-out rows): "), "{text}");
    assert!(text.contains("int8  test : accuracy 0.9"), "{text}");

    let err = fails(&["quantize", "--checkpoint", ckpt, "--layers", "0,2"]);
    assert!(
        err.contains("--layers 2: the model has 2 layers, numbered 0 to 1"),
        "{err}"
    );

    // --out writes the int8 model: the float model's layer 0 quantised,
    // its layer 1 and its scaling as they were.
    use microprop::checkpoint;
    use microprop::layer::LayerKind;
    use microprop::{Dense, Identity, Layer, Model, QuantizedDense, Tanh, network};
    type Float = network![Dense<64, 32, Tanh>, Dense<32, 10, Identity>];
    type Int8 = network![QuantizedDense<64, 32, Tanh>, Dense<32, 10, Identity>];
    let out = dir.path().join("digits-int8.mpck");
    let float_bytes = std::fs::read(ckpt).unwrap();
    let written = json(&[
        "quantize",
        "--checkpoint",
        ckpt,
        "--out",
        out.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(written["out"], out.to_str().unwrap());
    assert_eq!(written["int8"], hidden["int8"]);
    let blob = std::fs::read(&out).unwrap();
    let mut kinds = [LayerKind::Trainable; 2];
    checkpoint::kinds(&blob, &mut kinds).unwrap();
    assert_eq!(kinds, [LayerKind::Int8, LayerKind::Trainable]);
    let mut float = Box::new(Model::new(Float::ZERO));
    checkpoint::load_model(&mut float, &float_bytes).unwrap();
    let mut int8 = Box::new(Model::new(Int8::ZERO));
    checkpoint::load_model(&mut int8, &blob).unwrap();
    assert_eq!(
        int8.net.first,
        QuantizedDense::quantize(&float.net.first).unwrap()
    );
    assert_eq!(int8.net.second, float.net.second);
    assert_eq!((int8.input, int8.target), (float.input, float.target));
    // Never over the float checkpoint it reads.
    let err = fails(&["quantize", "--checkpoint", ckpt, "--out", ckpt]);
    assert!(
        err.contains("is the float checkpoint quantize reads"),
        "{err}"
    );
    assert_eq!(std::fs::read(ckpt).unwrap(), float_bytes);
    let (success, text, _) = run(&[
        "quantize",
        "--checkpoint",
        ckpt,
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(success, "{text}");
    assert!(text.contains("int8 model written to "), "{text}");
    // The float model's commands refuse the int8 model by name.
    let err = fails(&["eval", "--checkpoint", out.to_str().unwrap()]);
    assert!(
        err.contains("layer 0 is int8 in the checkpoint and trainable in the model (an int8 model"),
        "{err}"
    );
}

#[test]
fn models_it_does_not_take_and_missing_files_are_refused() {
    let sine: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sine.mpck");
    let err = fails(&["quantize", "--checkpoint", sine.to_str().unwrap()]);
    assert!(
        err.contains("one hidden layer (digits, mnist, iris, xor), not sine"),
        "{err}"
    );
    let err = fails(&[
        "quantize",
        "--model",
        "digits",
        "--checkpoint",
        "/nonexistent/d.mpck",
    ]);
    assert!(err.contains("/nonexistent/d.mpck"), "{err}");
}
