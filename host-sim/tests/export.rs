//! The Rust source `export` writes compiles and reproduces its checkpoint
//! bit for bit.
//!
//! `tests/data/{iris,sine}.rs` were written by
//! `microprop-sim export --model M --checkpoint host-sim/tests/data/M.mpck --out host-sim/tests/data`
//! from the checkpoints of `microprop-sim train --model M` (defaults, seed
//! 7). They are `include!`d here as a firmware would include them: iris is a
//! two-layer tanh network with min-max input scaling, sine a three-layer ReLU
//! network (a nested `Chain`).

use std::path::{Path, PathBuf};

use microprop::{Inference, Layer, Model, Normalizer, Row, checkpoint};
use microprop_sim::export::source_for;
use microprop_sim::models::{Builtin, IrisNet, SineNet};

mod iris {
    include!("data/iris.rs");
}
mod sine {
    include!("data/sine.rs");
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("data")
        .join(name)
}

/// Every value of a model (parameters, then both normalisers) as bits.
fn bits<N: Layer>(m: &Model<N>) -> Vec<u32> {
    let norms = |n: &[f32], s: &[f32]| n.iter().chain(s).copied().collect::<Vec<f32>>();
    m.net
        .slices()
        .flatten()
        .copied()
        .chain(norms(m.input.offset.as_slice(), m.input.scale.as_slice()))
        .chain(norms(m.target.offset.as_slice(), m.target.scale.as_slice()))
        .map(f32::to_bits)
        .collect()
}

/// The const equals the checkpoint it came from, value for value, and
/// saving it gives the checkpoint's bytes.
fn check<N: Layer>(exported: &Model<N>, file: &str) {
    let blob = std::fs::read(fixture(file)).unwrap();
    let mut loaded = Model::<N>::new(N::ZERO);
    checkpoint::load_model(&mut loaded, &blob).unwrap();
    assert_eq!(bits(exported), bits(&loaded), "{file}");
    assert_eq!(
        bits(exported).len(),
        N::LEN + 2 * N::Input::WIDTH + 2 * N::Output::WIDTH
    );
    assert_eq!(
        (exported.input.scaling, exported.target.scaling),
        (loaded.input.scaling, loaded.target.scaling)
    );
    let mut again = vec![0u8; checkpoint::model_len::<N>()];
    let len = checkpoint::save_model(exported, &mut again).unwrap();
    assert_eq!(&again[..len], &blob[..], "{file}");
}

#[test]
fn the_generated_consts_equal_their_checkpoints_bit_for_bit() {
    // The generated `Net` is the built-in model's type.
    const IRIS: Model<IrisNet> = iris::MODEL;
    const SINE: Model<SineNet> = sine::MODEL;
    check(&IRIS, "iris.mpck");
    check(&SINE, "sine.mpck");
    assert_ne!(IRIS.input, Normalizer::IDENTITY, "iris scales its inputs");
    // They run like the trained models: a setosa, and sin(π/2).
    assert_eq!(
        IRIS.classify(&mut Inference::new(), &mut [5.1, 3.5, 1.4, 0.2]),
        Ok(0)
    );
    let y = SINE
        .predict(&mut Inference::new(), &mut [std::f32::consts::FRAC_PI_2])
        .unwrap();
    assert!((y[0] - 1.0).abs() < 0.05, "{y:?}");
}

#[test]
fn regenerating_the_sources_gives_the_committed_text() {
    for (model, name) in [(Builtin::Iris, "iris"), (Builtin::Sine, "sine")] {
        let text = source_for(model, &fixture(&format!("{name}.mpck"))).unwrap();
        let committed = std::fs::read_to_string(fixture(&format!("{name}.rs"))).unwrap();
        assert!(
            text == committed,
            "tests/data/{name}.rs is stale: regenerate it with `microprop-sim export --model \
             {name} --checkpoint host-sim/tests/data/{name}.mpck --out host-sim/tests/data`"
        );
    }
}
