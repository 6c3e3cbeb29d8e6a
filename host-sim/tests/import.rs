//! `import` against PyTorch: the committed fixture
//! `tests/data/pytorch/mlp.safetensors` (an `nn.Sequential` of seven
//! `Linear` layers with ReLU, Tanh, LeakyReLU(0.2), ELU(0.5), no activation,
//! Sigmoid and Softmax, written by `tests/data/pytorch/make_fixture.py` with
//! the versions pinned beside it) imported into microprop gives PyTorch's
//! outputs (`mlp.json`) on 16 rows, within the rounding of f32.
//!
//! # The tolerance
//! PyTorch and microprop both compute in f32, but not the same sums:
//! PyTorch's CPU `addmm` (a BLAS) adds the products of each dot product in
//! its own blocked, vectorised order, microprop's kernels in theirs, and
//! their `tanh` and `exp` (ELU, sigmoid, softmax) are different
//! implementations (libm here), each within an ulp or two. So the two
//! answers differ by rounding, not by a fixed amount. `mlp.json` also holds
//! the float64 answer of the same problem (the same f32 weights and inputs,
//! computed in f64: exact to about 1e-16), so each side's error is
//! measured on its own, for the outputs (softmax probabilities) and for
//! the logits before the softmax.
//!
//! A priori: a dot product of n ≤ 16 f32 terms is off by at most
//! γ_n·Σ|w_i·x_i| with γ_n ≈ n·2⁻²⁴ ≈ 1e-6 (every rounding the same way),
//! Σ|w_i·x_i| ≲ 1 in these layers (weights ±2/√fan_in, activations of
//! size ≲ 1), every activation has a slope of at most 1, and a rounding
//! error carried into the next layer is scaled by at most that layer's
//! row sums Σ|w| ≤ 2√n ≤ 8: a worst case of ~1e-5 after seven layers.
//! Rounding errors are random in sign, though,
//! and add like a random walk: the measured errors (`cargo test --test
//! import -- --nocapture`) are a few ulps of the outputs' size: microprop
//! against float64 5.0e-8 (outputs) and 1.2e-7 (logits, |largest| 0.66),
//! PyTorch f32 against float64 4.2e-8, microprop against PyTorch f32
//! 6.0e-8 and 1.5e-7. microprop's bits are the same on every machine (its
//! x86 kernels are bit-identical at every vector width), and the PyTorch
//! numbers are committed, so these measurements do not move between runs.
//!
//! The bound, [`TOLERANCE`] = 1e-6 absolute (outputs and logits are all
//! below 1 in size), is about seven times the largest measured difference
//! and more than a thousand times below a real mistake: a layer's
//! activation or setting wrong (ELU's alpha 1.0 instead of 0.5: 4e-2, the
//! Leaky ReLU's 0.1 instead of 0.2: 5e-3, sigmoid for tanh: 3e-2, ReLU for
//! identity: 4e-2) or a square weight matrix left untransposed
//! (`the_tolerance_tells_mistakes_apart` checks each).

use std::path::{Path, PathBuf};

use microprop_sim::anyshape::Trained;
use microprop_sim::import;
use microprop_sim::options::LayerList;
use serde_json::Value;

/// |microprop − PyTorch f32| and |microprop − float64| allowed for every
/// output (see the module docs).
const TOLERANCE: f64 = 1e-6;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/pytorch")
        .join(name)
}

/// The JSON fixture.
fn reference() -> Value {
    let text = std::fs::read_to_string(fixture("mlp.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn rows(v: &Value, key: &str) -> Vec<Vec<f64>> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect()
}

fn layers(v: &Value) -> LayerList {
    v["layers"].as_str().unwrap().parse().unwrap()
}

/// The largest |microprop − reference| over every output of every row.
fn max_error(net: &Trained, inputs: &[Vec<f64>], outputs: &[Vec<f64>]) -> f64 {
    let mut worst = 0.0f64;
    for (x, want) in inputs.iter().zip(outputs) {
        let x: Vec<f32> = x.iter().map(|&v| v as f32).collect();
        let got = net.predict(&x).unwrap();
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            worst = worst.max((f64::from(*g) - w).abs());
        }
    }
    worst
}

#[test]
fn pytorch_and_microprop_agree_on_the_fixture() {
    let reference = reference();
    let layers = layers(&reference);
    let (net, modules) = import::read(&fixture("mlp.safetensors"), &layers).unwrap();
    assert_eq!(modules, ["0.", "2.", "4.", "6.", "8.", "9.", "11."]);
    assert_eq!(net.architecture(), "6-16-12-10-8-8-6-4");
    let inputs = rows(&reference, "inputs");
    let torch32 = rows(&reference, "outputs_f32");
    let exact = rows(&reference, "outputs_f64");
    assert_eq!(inputs.len(), 16);
    for x in inputs.iter().flatten() {
        assert_eq!(f64::from(*x as f32), *x, "inputs are f32 values");
    }
    let against_torch = max_error(&net, &inputs, &torch32);
    let against_exact = max_error(&net, &inputs, &exact);
    let torch_error = torch32
        .iter()
        .flatten()
        .zip(exact.iter().flatten())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!(
        "max |microprop - torch f32| = {against_torch:.2e}, |microprop - f64| = {against_exact:.2e}, \
         |torch f32 - f64| = {torch_error:.2e} (tolerance {TOLERANCE:.0e})"
    );
    assert!(against_torch <= TOLERANCE, "{against_torch:e}");
    assert!(against_exact <= TOLERANCE, "{against_exact:e}");
    // The logits (the same network up to the softmax) agree as closely.
    let mut specs = net.layers().to_vec();
    if let Some(last) = specs.last_mut() {
        last.activation = microprop::ActivationKind::Identity;
    }
    let logits = Trained::new(net.inputs(), specs, net.params().to_vec()).unwrap();
    let logits_torch = max_error(&logits, &inputs, &rows(&reference, "logits_f32"));
    let logits_exact = max_error(&logits, &inputs, &rows(&reference, "logits_f64"));
    let largest = rows(&reference, "logits_f64")
        .iter()
        .flatten()
        .fold(0.0f64, |m, v| m.max(v.abs()));
    println!(
        "logits (|largest| {largest:.2}): max |microprop - torch f32| = {logits_torch:.2e}, |microprop - f64| = {logits_exact:.2e}"
    );
    assert!(logits_torch <= TOLERANCE, "{logits_torch:e}");
    assert!(logits_exact <= TOLERANCE, "{logits_exact:e}");
    // The outputs are softmax probabilities of a real spread, not a
    // saturated 0/1 that would hide errors.
    let spread = torch32
        .iter()
        .flatten()
        .filter(|&&p| p > 0.05 && p < 0.95)
        .count();
    assert!(spread > 16, "{spread}");
}

#[test]
fn the_tolerance_tells_mistakes_apart() {
    let reference = reference();
    let inputs = rows(&reference, "inputs");
    let torch32 = rows(&reference, "outputs_f32");
    let right = reference["layers"].as_str().unwrap();
    for wrong in [
        right.replace("elu:0.5", "elu"),
        right.replace("leaky_relu:0.2", "leaky_relu"),
        right.replace("12:tanh", "12:sigmoid"),
        right.replace("8:identity", "8:relu"),
    ] {
        let layers: LayerList = wrong.parse().unwrap();
        let (net, _) = import::read(&fixture("mlp.safetensors"), &layers).unwrap();
        let error = max_error(&net, &inputs, &torch32);
        println!("{wrong}: {error:.1e}");
        assert!(error > 1000.0 * TOLERANCE, "{wrong}: {error:e}");
    }
    // The 8x8 weight of 8.weight (layer 4) as PyTorch stores it, untransposed.
    let layers = layers(&reference);
    let (net, _) = import::read(&fixture("mlp.safetensors"), &layers).unwrap();
    let parts = net.parts();
    let offset: usize = parts[..4].iter().map(|(_, w, b)| w.len() + b.len()).sum();
    let mut params = net.params().to_vec();
    for i in 0..8 {
        for o in 0..8 {
            params[offset + i * 8 + o] = parts[4].1[o * 8 + i];
        }
    }
    let wrong = Trained::new(net.inputs(), net.layers().to_vec(), params).unwrap();
    let error = max_error(&wrong, &inputs, &torch32);
    println!("layer 4 untransposed: {error:.1e}");
    assert!(error > 1000.0 * TOLERANCE, "{error:e}");
}
