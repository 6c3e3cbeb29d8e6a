//! Format versions: the committed format-1 checkpoints
//! (`tests/fixtures/checkpoint-v1-*.mpck`, written by the format-1 code;
//! see `tests/fixtures/checkpoint-v1.md`) still load, bit for bit, into
//! the network that wrote them and into its frozen versions; the one a
//! network with a flash backbone wrote (its values left out) is refused by
//! name; an unknown version is refused.

use microprop::checkpoint::{self, CheckpointError};
use microprop::layer::FlashWeights;
use microprop::{
    Adam, Dense, Flash, Frozen, Identity, Init, Layer, Maxout, Model, QuantizedDense,
    SoftmaxCrossEntropy, Tanh, Trainer, network,
};
use microprop_tests::crc::crc32;
use microprop_tests::params::bits;

type Net = network![Dense<4, 6, Tanh>, Maxout<6, 5, 2>, Dense<5, 3, Identity>];
type FrozenNet =
    network![Frozen<network![Dense<4, 6, Tanh>, Maxout<6, 5, 2>]>, Dense<5, 3, Identity>];
type Int8Net = network![QuantizedDense<4, 6, Tanh>, Maxout<6, 5, 2>, Dense<5, 3, Identity>];

static PRETRAINED: Dense<3, 4, Tanh> = Dense::from_params(
    [
        [0.5, -0.25, 0.125, 1.0],
        [-1.0, 0.75, 0.5, -0.5],
        [0.25, 0.25, -0.75, 0.0],
    ],
    [0.1, -0.1, 0.2, 0.0],
);
struct Pretrained;
impl FlashWeights for Pretrained {
    type Layer = Dense<3, 4, Tanh>;
    const LAYER: &'static Dense<3, 4, Tanh> = &PRETRAINED;
}
type InFlash = network![Flash<Pretrained>, Dense<4, 2, Identity>];
type InRam = network![Frozen<Dense<3, 4, Tanh>>, Dense<4, 2, Identity>];

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/fixtures/checkpoint-v1-{name}.mpck",
        env!("CARGO_MANIFEST_DIR")
    );
    let blob = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    assert_eq!(
        &blob[..6],
        b"MPCK\x01\x00",
        "{path} is a format-1 checkpoint"
    );
    blob
}

/// The network the fixtures were written from.
fn net() -> Net {
    let mut net = Net::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(1));
    net
}

fn rows() -> ([[f32; 4]; 6], [usize; 6]) {
    let x = core::array::from_fn(|i| {
        let t = i as f32;
        [t.sin(), t.cos(), 0.1 * t, 1.0 - 0.2 * t]
    });
    (x, [0, 1, 2, 0, 1, 2])
}

#[test]
fn format_1_parameters_load_bit_for_bit_and_save_as_format_2() {
    let v1 = fixture("params");
    let mut loaded = Net::ZERO;
    checkpoint::load(&mut loaded, &v1).unwrap();
    assert_eq!(bits(&loaded), bits(&net()));
    assert_eq!(checkpoint::inspect(&v1).unwrap().to_string(), "4-6-5-3");
    // Format 2 of a float network: the same bytes but the version and CRC.
    let mut v2 = vec![0u8; checkpoint::params_len::<Net>()];
    checkpoint::save(&loaded, &mut v2).unwrap();
    assert_eq!(v2.len(), v1.len());
    assert_eq!(v2[4], 2);
    assert_eq!(v2[6..v2.len() - 4], v1[6..v1.len() - 4]);
    // Into the frozen version (format 1 could describe it: all its values
    // are there).
    let mut frozen = FrozenNet::ZERO;
    checkpoint::load(&mut frozen, &v1).unwrap();
    assert_eq!(bits(&frozen), bits(&net()));
    // Not into an int8 layer: refused by name, nothing written.
    let mut int8 = Int8Net::ZERO;
    let err = checkpoint::load(&mut int8, &v1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "layer 0 is trainable in the checkpoint and int8 in the model"
    );
    assert_eq!(int8, Int8Net::ZERO);
}

#[test]
fn a_format_1_training_run_resumes_exactly() {
    type T = Trainer<Net, SoftmaxCrossEntropy, Adam, 6>;
    let (x, y) = rows();
    let mut straight = net();
    let mut t = T::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    for _ in 0..5 {
        t.train_step(&mut straight, &x, &y, 0.01).unwrap();
    }
    let mut resumed = Net::ZERO;
    let mut t2 = T::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    checkpoint::load_training(&mut resumed, &mut t2, &fixture("training")).unwrap();
    assert_eq!(t2.steps(), 3);
    for _ in 0..2 {
        t2.train_step(&mut resumed, &x, &y, 0.01).unwrap();
    }
    assert_eq!(bits(&resumed), bits(&straight));
    assert_eq!(bits(t2.optimizer_state()), bits(t.optimizer_state()));
}

#[test]
fn a_format_1_model_keeps_its_normalisers() {
    let v1 = fixture("model");
    let mut model = Model::new(Net::ZERO);
    checkpoint::load_model(&mut model, &v1).unwrap();
    assert_eq!(bits(&model.net), bits(&net()));
    let mut again = vec![0u8; checkpoint::model_len::<Net>()];
    checkpoint::save_model(&model, &mut again).unwrap();
    assert_eq!(again[6..again.len() - 4], v1[6..v1.len() - 4]);
}

#[test]
fn a_format_1_checkpoint_of_a_flash_network_is_refused_by_name() {
    let v1 = fixture("flash-head");
    let mut head = InFlash::ZERO;
    head.init(Init::Xavier, &mut microprop::init::seeded(9));
    let before = bits(&head);
    let err = checkpoint::load(&mut head, &v1).unwrap_err();
    assert_eq!(
        err,
        CheckpointError::IncompleteVersion1 {
            values: 4 * 2 + 2,
            needed: (3 + 1) * 4 + (4 + 1) * 2
        }
    );
    assert!(err.to_string().contains("save it again"), "{err}");
    assert_eq!(bits(&head), before);
    // The RAM network refuses it the same way (no longer a bare Malformed).
    let mut ram = InRam::ZERO;
    assert!(matches!(
        checkpoint::load(&mut ram, &v1),
        Err(CheckpointError::IncompleteVersion1 { .. })
    ));
    assert_eq!(ram, InRam::ZERO);
}

#[test]
fn an_unknown_version_is_refused() {
    for version in [0u16, 3, 7] {
        let mut blob = fixture("params");
        blob[4..6].copy_from_slice(&version.to_le_bytes());
        let mut net = Net::ZERO;
        assert_eq!(
            checkpoint::load(&mut net, &blob),
            Err(CheckpointError::UnsupportedVersion {
                found: version,
                supported: checkpoint::FORMAT_VERSION
            })
        );
        assert_eq!(net, Net::ZERO);
    }
    // A format-1 checkpoint with a kind byte set is malformed (format 1
    // wrote 0 there).
    let mut blob = fixture("params");
    blob[16 + 11] = 1;
    let n = blob.len() - 4;
    let crc = crc32(&blob[..n]);
    blob[n..].copy_from_slice(&crc.to_le_bytes());
    let mut net = Net::ZERO;
    assert_eq!(
        checkpoint::load(&mut net, &blob),
        Err(CheckpointError::Malformed)
    );
}

/// Format 1 wrote a frozen network's training checkpoint with every layer
/// as trainable (a 0 where format 2 has the kind); it still resumes, its
/// optimizer state checked by length as format 1 did.
#[test]
fn a_format_1_training_checkpoint_of_a_frozen_network_resumes() {
    type T = Trainer<FrozenNet, SoftmaxCrossEntropy, Adam, 6>;
    let (x, y) = rows();
    let mut net = FrozenNet::ZERO;
    checkpoint::load(&mut net, &fixture("params")).unwrap();
    let mut t = T::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    for _ in 0..2 {
        t.train_step(&mut net, &x, &y, 0.01).unwrap();
    }
    let mut v2 = vec![0u8; checkpoint::training_len::<FrozenNet, Adam>()];
    checkpoint::save_training(&net, &t, &mut v2).unwrap();
    // The bytes format 1 wrote for it: version 1, kinds 0.
    let mut v1 = v2.clone();
    v1[4] = 1;
    for layer in 0..3 {
        v1[16 + 16 * layer + 11] = 0;
    }
    let n = v1.len() - 4;
    let crc = crc32(&v1[..n]);
    v1[n..].copy_from_slice(&crc.to_le_bytes());
    let mut resumed = FrozenNet::ZERO;
    let mut t2 = T::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    checkpoint::load_training(&mut resumed, &mut t2, &v1).unwrap();
    assert_eq!(resumed, net);
    assert_eq!(bits(t2.optimizer_state()), bits(t.optimizer_state()));
    assert_eq!(t2.steps(), 2);
    // Format 2 names the roles: that state does not resume the unfrozen
    // network (a mismatch format 1 could only see as another length).
    let mut full = Net::ZERO;
    let mut t3 =
        Trainer::<Net, SoftmaxCrossEntropy, Adam, 6>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    let err = checkpoint::load_training(&mut full, &mut t3, &v2).unwrap_err();
    assert_eq!(
        err,
        CheckpointError::KindMismatch {
            layer: 0,
            checkpoint: Some(microprop::layer::LayerKind::Frozen),
            model: microprop::layer::LayerKind::Trainable
        }
    );
    assert_eq!(full, Net::ZERO);
}
