//! `export CHECKPOINT` for a network of any shape: the Rust source it
//! writes compiles, holds the checkpoint's bits, and predicts the same bits
//! as the run-time network ([`microprop::dynamic::Network`]) it came from.
//!
//! `tests/data/export/mixed.mpck` is a network no built-in model has: 5
//! inputs, then every activation the core has (Leaky ReLU 0.2, ELU 0.5,
//! tanh, sigmoid, ReLU, identity, softmax) and a maxout layer of 3 pieces,
//! with weights that include -0.0, the smallest subnormal, a tiny normal
//! and values near π and e (so the source needs its
//! `allow(clippy::approx_constant)`). It is made by [`mixed`] below;
//! `mixed.rs` and `mixed.h` are `microprop-sim export
//! tests/data/export/mixed.mpck --out tests/data/export`. The `.rs` is
//! `include!`d here as a firmware would include it; the `.h` is compiled
//! with the C API by `tests/export_c.rs`. `MICROPROP_BLESS=1 cargo test -p
//! microprop-sim --test export_shapes` rewrites all three.

use std::path::{Path, PathBuf};

use microprop::ActivationKind as K;
use microprop::dynamic::{LayerSpec, Topology};
use microprop::{Inference, Layer, Parameters, checkpoint};
use microprop_sim::anyshape::Trained;
use microprop_sim::export::Format;
use microprop_sim::export::network::text;

mod mixed {
    include!("data/export/mixed.rs");
}
mod iris {
    include!("data/iris.rs");
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/export")
        .join(name)
}

fn bless() -> bool {
    std::env::var_os("MICROPROP_BLESS").is_some_and(|v| v == "1")
}

/// xorshift32: the fixture's numbers, the same on every machine.
struct Numbers(u32);

impl Numbers {
    /// Uniform in [-1, 1).
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        (self.0 >> 8) as f32 / (1u32 << 23) as f32 - 1.0
    }
}

/// The network of `mixed.mpck`.
fn mixed() -> Trained {
    let layers = vec![
        LayerSpec::dense_with(7, K::LeakyRelu, 0.2),
        LayerSpec::maxout(6, 3),
        LayerSpec::dense_with(5, K::Elu, 0.5),
        LayerSpec::dense(6, K::Tanh),
        LayerSpec::dense(4, K::Sigmoid),
        LayerSpec::dense(6, K::Relu),
        LayerSpec::dense(4, K::Identity),
        LayerSpec::dense(3, K::Softmax),
    ];
    let len = Topology::new(5, &layers).unwrap().params_len();
    let shape = Trained::new(5, layers.clone(), vec![0.0; len]).unwrap();
    let mut numbers = Numbers(0x5eed_1234);
    let mut params = Vec::new();
    for (s, weights, bias) in shape.parts() {
        let spread = 2.0 / (s.inputs as f32).sqrt();
        params.extend(weights.iter().map(|_| spread * numbers.next()));
        params.extend(bias.iter().map(|_| 0.5 * numbers.next()));
    }
    // Values whose literals are worth testing.
    params[0] = -0.0;
    params[1] = f32::from_bits(1);
    params[2] = 1e-30;
    params[3] = 3.1415925;
    params[4] = -2.7182817;
    Trained::new(5, layers, params).unwrap()
}

#[test]
fn the_fixture_is_what_the_generator_makes() {
    let made = mixed().to_checkpoint().unwrap();
    if bless() {
        std::fs::create_dir_all(fixture("")).unwrap();
        std::fs::write(fixture("mixed.mpck"), &made).unwrap();
        for format in [Format::Rust, Format::C] {
            let file = fixture(&format!("mixed.{}", format.extension()));
            let source = text(format, &fixture("mixed.mpck"), "mixed").unwrap();
            std::fs::write(file, source).unwrap();
        }
    }
    assert_eq!(std::fs::read(fixture("mixed.mpck")).unwrap(), made);
}

#[test]
fn regenerating_the_sources_gives_the_committed_text() {
    for format in [Format::Rust, Format::C] {
        let name = format!("mixed.{}", format.extension());
        let source = text(format, &fixture("mixed.mpck"), "mixed").unwrap();
        let committed = std::fs::read_to_string(fixture(&name)).unwrap();
        assert!(
            source == committed,
            "tests/data/export/{name} is stale: regenerate it with \
             `MICROPROP_BLESS=1 cargo test -p microprop-sim --test export_shapes`"
        );
    }
}

#[test]
fn the_const_network_is_the_checkpoint_bit_for_bit() {
    // Saving the const gives the checkpoint's bytes: every layer's widths,
    // activation, setting and pieces, and every parameter's bits.
    const NET: mixed::Net = mixed::NET;
    let mut blob = vec![0u8; checkpoint::params_len::<mixed::Net>()];
    let len = checkpoint::save(&NET, &mut blob).unwrap();
    assert_eq!(&blob[..len], std::fs::read(fixture("mixed.mpck")).unwrap());
    let bits: Vec<u32> = NET.slices().flatten().map(|v| v.to_bits()).collect();
    assert_eq!(&bits[..3], [0x8000_0000, 1, 1e-30f32.to_bits()]);
    assert_eq!(mixed::LAYER_1.weights[0][0][0], mixed().parts()[1].1[0]);
}

#[test]
fn the_const_network_predicts_the_run_time_networks_bits() {
    let dynamic = Trained::from_checkpoint(&std::fs::read(fixture("mixed.mpck")).unwrap()).unwrap();
    let mut numbers = Numbers(7);
    let mut run = Inference::<mixed::Net>::new();
    for _ in 0..200 {
        let x: [f32; 5] = std::array::from_fn(|_| 3.0 * numbers.next());
        let typed = *run.predict(&mixed::NET, &x).unwrap();
        let want = dynamic.predict(&x).unwrap();
        assert_eq!(
            typed.map(f32::to_bits).to_vec(),
            want.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            "{x:?}"
        );
    }
    assert_eq!(<mixed::Net as Layer>::DEPTH, 8);
}

#[test]
fn a_model_checkpoint_exports_its_model_the_built_in_way() {
    // `export iris.mpck` (any shape) writes what `export --model iris`
    // wrote, but for the first line (how it was made) ...
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/iris.mpck");
    let any = text(Format::Rust, &path, "iris").unwrap();
    let builtin = std::fs::read_to_string(path.with_extension("rs")).unwrap();
    let rest = |s: &str| s.split_once('\n').map(|(_, r)| r.to_string());
    assert_eq!(rest(&any), rest(&builtin));
    // ... and its `MODEL` predicts what the run-time network with the
    // checkpoint's normalisers predicts.
    let dynamic = Trained::from_checkpoint(&std::fs::read(&path).unwrap()).unwrap();
    for x in [
        [5.1f32, 3.5, 1.4, 0.2],
        [6.7, 3.0, 5.2, 2.3],
        [0.0, -1.0, 9.0, 4.5],
    ] {
        let typed = iris::MODEL
            .predict(&mut Inference::new(), &mut x.clone())
            .unwrap();
        assert_eq!(typed.to_vec(), dynamic.predict_scaled(&x).unwrap());
    }
}
