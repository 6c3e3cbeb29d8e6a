//! Checkpoints of fine-tuning networks (format 2): every layer kind round
//! trips bit for bit, int8 layers included; a layer of another kind, a
//! flash layer with other values, an int8 weight out of range and every
//! corrupted byte are refused by name, with the model left unchanged.

use microprop::checkpoint::{self, CheckpointError};
use microprop::layer::{FlashWeights, LayerKind};
use microprop::{
    Adam, BiasOnly, Dense, Flash, Frozen, Identity, Init, Layer, MeanSquaredError, Parameters,
    QuantizedDense, Relu, Sgd, Tanh, Trainer, network,
};
use microprop_tests::crc::crc32;
use microprop_tests::params::bits;

const FLOAT: Dense<5, 7, Tanh> = Dense::from_params(
    [
        [0.5, -0.25, 0.125, 1.0, -1.5, 0.75, 0.3],
        [-1.0, 0.75, 0.5, -0.5, 0.2, -0.1, 0.9],
        [0.25, 0.25, -0.75, 0.0, 0.6, -0.6, 0.05],
        [1.25, -0.5, 0.4, 0.35, -0.2, 0.15, -0.8],
        [-0.3, 0.65, -0.45, 0.55, 0.1, -0.95, 0.7],
    ],
    [0.1, -0.1, 0.2, 0.0, 0.05, -0.05, 0.3],
);
static INT8: QuantizedDense<5, 7, Tanh> = match QuantizedDense::quantize(&FLOAT) {
    Ok(q) => q,
    Err(_) => panic!("finite"),
};
struct Int8InFlash;
impl FlashWeights for Int8InFlash {
    type Layer = QuantizedDense<5, 7, Tanh>;
    const LAYER: &'static QuantizedDense<5, 7, Tanh> = &INT8;
}
static FLOAT_STATIC: Dense<5, 7, Tanh> = FLOAT;
struct FloatInFlash;
impl FlashWeights for FloatInFlash {
    type Layer = Dense<5, 7, Tanh>;
    const LAYER: &'static Dense<5, 7, Tanh> = &FLOAT_STATIC;
}

type Head = network![Dense<7, 4, Relu>, Dense<4, 3, Identity>];
type Full = network![Dense<5, 7, Tanh>, Head];
type FrozenFront = network![Frozen<Dense<5, 7, Tanh>>, Head];
type Tiny = network![BiasOnly<Dense<5, 7, Tanh>>, Head];
type Int8Front = network![QuantizedDense<5, 7, Tanh>, Head];
type Int8Frozen = network![Frozen<QuantizedDense<5, 7, Tanh>>, Head];
type FlashFront = network![Flash<FloatInFlash>, Head];
type FlashInt8Front = network![Flash<Int8InFlash>, Head];

fn head(seed: u64) -> Head {
    let mut head = Head::ZERO;
    head.init(Init::Xavier, &mut microprop::init::seeded(seed));
    head
}

fn int8_front(seed: u64) -> Int8Front {
    network_of(INT8, head(seed))
}

fn network_of<X: Layer<Output = [f32; 7]>>(first: X, second: Head) -> microprop::Chain<X, Head> {
    microprop::Chain { first, second }
}

fn save<N: Layer>(net: &N) -> Vec<u8> {
    let mut blob = vec![0u8; checkpoint::params_len::<N>()];
    let len = checkpoint::save(net, &mut blob).expect("save");
    assert_eq!(len, blob.len());
    blob
}

fn kinds(blob: &[u8]) -> Vec<LayerKind> {
    let mut kinds = [LayerKind::Trainable; 8];
    let n = checkpoint::kinds(blob, &mut kinds).expect("kinds");
    kinds[..n].to_vec()
}

/// The same blob with its CRC recomputed (to test the checks behind it).
fn recrc(blob: &mut [u8]) {
    let n = blob.len() - 4;
    let crc = crc32(&blob[..n]);
    blob[n..].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn every_kind_round_trips_bit_for_bit() {
    let full: Full = network_of(FLOAT, head(1));
    let front: FrozenFront = network_of(Frozen::new(FLOAT), head(1));
    let tiny: Tiny = network_of(BiasOnly::new(FLOAT), head(1));
    let flash: FlashFront = network_of(Flash::NEW, head(1));
    let flash_int8: FlashInt8Front = network_of(Flash::NEW, head(1));
    let (t, f) = (LayerKind::Trainable, LayerKind::Frozen);
    for (blob, want) in [
        (save(&full), [t, t, t]),
        (save(&front), [f, t, t]),
        (save(&tiny), [LayerKind::BiasOnly, t, t]),
        (save(&flash), [LayerKind::Flash, t, t]),
        (save(&flash_int8), [LayerKind::FlashInt8, t, t]),
    ] {
        assert_eq!(kinds(&blob), want);
    }
    let mut back = FrozenFront::ZERO;
    checkpoint::load(&mut back, &save(&front)).unwrap();
    assert_eq!(back, front);
    let mut back = Tiny::ZERO;
    checkpoint::load(&mut back, &save(&tiny)).unwrap();
    assert_eq!(back, tiny);
    let mut back = FlashFront::ZERO;
    checkpoint::load(&mut back, &save(&flash)).unwrap();
    assert_eq!(bits(&back), bits(&flash));
    let mut back = FlashInt8Front::ZERO;
    checkpoint::load(&mut back, &save(&flash_int8)).unwrap();
    assert_eq!(bits(&back), bits(&flash_int8));
    // A flash layer stores one word, not its 5·7 + 7 values.
    assert_eq!(
        checkpoint::params_len::<FlashFront>(),
        checkpoint::params_len::<FrozenFront>() - 4 * (5 * 7 + 7 - 1)
    );
}

#[test]
fn an_int8_network_round_trips_bit_for_bit() {
    let net = int8_front(2);
    let blob = save(&net);
    // Scales and biases (7 + 7 floats), 35 weights padded to 36 bytes.
    assert_eq!(
        Int8Front::STORED_WORDS,
        7 + 7 + 9 + Head::LEN,
        "int8 layer's words"
    );
    assert_eq!(
        kinds(&blob),
        [LayerKind::Int8, LayerKind::Trainable, LayerKind::Trainable]
    );
    let mut back = Int8Front::ZERO;
    checkpoint::load(&mut back, &blob).unwrap();
    assert_eq!(back.first.weights, INT8.weights);
    assert_eq!(bits(&back.first.scales), bits(&INT8.scales));
    assert_eq!(bits(&back.first.bias), bits(&INT8.bias));
    assert_eq!(back, net);
    // The same outputs.
    let x = [0.5, -1.0, 2.0, 0.25, -0.75];
    let mut a = microprop::Inference::<Int8Front>::new();
    let mut b = microprop::Inference::<Int8Front>::new();
    assert_eq!(
        a.predict(&net, &x).unwrap().map(f32::to_bits),
        b.predict(&back, &x).unwrap().map(f32::to_bits)
    );
    // A frozen int8 layer is int8: the same data loads either way.
    let mut frozen = Int8Frozen::ZERO;
    checkpoint::load(&mut frozen, &blob).unwrap();
    assert_eq!(frozen.first.layer, INT8);
    // Training state: 3 Adam steps, saved, resumed, 3 more == 6 straight.
    let (x, y) = ([[0.5, -1.0, 2.0, 0.25, -0.75]; 2], [[1.0, 0.0, -1.0]; 2]);
    type T = Trainer<Int8Front, MeanSquaredError, Adam, 2>;
    let mut straight = net;
    let mut t = T::new(MeanSquaredError, Adam::PYTORCH);
    for _ in 0..6 {
        t.train_step(&mut straight, &x, &y, 0.01).unwrap();
    }
    let mut first = net;
    let mut t1 = T::new(MeanSquaredError, Adam::PYTORCH);
    for _ in 0..3 {
        t1.train_step(&mut first, &x, &y, 0.01).unwrap();
    }
    let mut blob = vec![0u8; checkpoint::training_len::<Int8Front, Adam>()];
    checkpoint::save_training(&first, &t1, &mut blob).unwrap();
    let mut resumed = Int8Front::ZERO;
    let mut t2 = T::new(MeanSquaredError, Adam::PYTORCH);
    checkpoint::load_training(&mut resumed, &mut t2, &blob).unwrap();
    for _ in 0..3 {
        t2.train_step(&mut resumed, &x, &y, 0.01).unwrap();
    }
    assert_eq!(resumed, straight);
}

/// Loads `blob` into a copy of `model`; asserts it fails and changed nothing.
fn refused<N: Layer + Copy + PartialEq + core::fmt::Debug>(
    blob: &[u8],
    model: &N,
) -> CheckpointError {
    let mut target = *model;
    let err = checkpoint::load(&mut target, blob).expect_err("accepted");
    assert_eq!(&target, model, "a refused load changed the model");
    err
}

#[test]
fn another_kind_is_refused_by_name() {
    let full: Full = network_of(FLOAT, head(3));
    let int8 = int8_front(4);
    // Float values into an int8 layer, and back.
    let err = refused(&save(&full), &int8);
    assert_eq!(
        err,
        CheckpointError::KindMismatch {
            layer: 0,
            checkpoint: Some(LayerKind::Trainable),
            model: LayerKind::Int8
        }
    );
    assert_eq!(
        err.to_string(),
        "layer 0 is trainable in the checkpoint and int8 in the model"
    );
    let err = refused(&save(&int8), &full);
    assert_eq!(
        err.to_string(),
        "layer 0 is int8 in the checkpoint and trainable in the model"
    );
    // An int8 layer in flash against float values in flash.
    let flash_int8: FlashInt8Front = network_of(Flash::NEW, head(3));
    let flash: FlashFront = network_of(Flash::NEW, head(3));
    assert!(matches!(
        refused(&save(&flash_int8), &flash),
        CheckpointError::KindMismatch { layer: 0, .. }
    ));
    // Optimizer state loads only where the same values train.
    let front: FrozenFront = network_of(Frozen::new(FLOAT), head(3));
    let t = Trainer::<FrozenFront, MeanSquaredError, Sgd, 2>::new(MeanSquaredError, Sgd);
    let mut blob = vec![0u8; checkpoint::training_len::<FrozenFront, Sgd>()];
    checkpoint::save_training(&front, &t, &mut blob).unwrap();
    let mut tiny: Tiny = network_of(BiasOnly::new(FLOAT), head(5));
    let before = tiny;
    let mut t_tiny = Trainer::<Tiny, MeanSquaredError, Sgd, 2>::new(MeanSquaredError, Sgd);
    let err = checkpoint::load_training(&mut tiny, &mut t_tiny, &blob).unwrap_err();
    assert_eq!(
        err.to_string(),
        "layer 0 is frozen in the checkpoint and bias-only in the model"
    );
    assert_eq!(tiny, before);
    // The values alone load.
    checkpoint::load(&mut tiny, &blob).unwrap();
    assert_eq!(tiny.second, front.second);
    // An unknown kind code.
    let mut bad = save(&full);
    bad[16 + 11] = 9;
    recrc(&mut bad);
    assert_eq!(
        refused(&bad, &full),
        CheckpointError::KindMismatch {
            layer: 0,
            checkpoint: None,
            model: LayerKind::Trainable
        }
    );
}

#[test]
fn flash_values_that_differ_are_refused_by_name() {
    // An int8 checkpoint whose one scale differs from the int8 weights in
    // flash, and one whose one weight differs.
    let flash_int8: FlashInt8Front = network_of(Flash::NEW, head(6));
    let mut scaled = int8_front(6);
    scaled.first.scales[3] *= 1.5;
    let err = refused(&save(&scaled), &flash_int8);
    assert!(
        matches!(err, CheckpointError::FlashMismatch { layer: 0, .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("layer 0: the checkpoint's values (CRC-32 0x"),
        "{err}"
    );
    let mut weight = int8_front(6);
    weight.first.weights[6][4] -= 1;
    assert!(matches!(
        refused(&save(&weight), &flash_int8),
        CheckpointError::FlashMismatch { layer: 0, .. }
    ));
    // The int8 values in RAM that are the flash ones load into it.
    let mut back = flash_int8;
    checkpoint::load(&mut back, &save(&int8_front(7))).unwrap();
    assert_eq!(back.second, head(7));
    // A flash checkpoint into an int8 network with other values.
    let mut ram = int8_front(8);
    ram.first.bias[0] = 0.5;
    let err = refused(&save(&flash_int8), &ram);
    assert!(
        matches!(err, CheckpointError::FlashMismatch { layer: 0, .. }),
        "{err:?}"
    );
    // A stored CRC-32 that is not the flash values' (CRC of the blob
    // recomputed, so only the layer check can find it).
    let mut blob = save(&flash_int8);
    let data = 16 + 3 * 16 + 4;
    blob[data] ^= 0x10;
    recrc(&mut blob);
    assert!(matches!(
        refused(&blob, &flash_int8),
        CheckpointError::FlashMismatch { layer: 0, .. }
    ));
}

/// The case format 1 let through: a checkpoint of a flash network loaded
/// into a network with other weights in flash, same shapes.
#[test]
fn another_flash_backbone_of_the_same_shape_is_refused() {
    static OTHER_STATIC: Dense<5, 7, Tanh> = {
        let mut d = FLOAT;
        d.params.weights[2][3] = 0.5;
        d
    };
    struct OtherInFlash;
    impl FlashWeights for OtherInFlash {
        type Layer = Dense<5, 7, Tanh>;
        const LAYER: &'static Dense<5, 7, Tanh> = &OTHER_STATIC;
    }
    type OtherFront = network![Flash<OtherInFlash>, Head];
    let saved: FlashFront = network_of(Flash::NEW, head(15));
    let other: OtherFront = network_of(Flash::NEW, head(16));
    let err = refused(&save(&saved), &other);
    assert!(
        matches!(err, CheckpointError::FlashMismatch { layer: 0, checkpoint, model } if checkpoint != model),
        "{err:?}"
    );
    // And the other way round.
    assert!(matches!(
        refused(&save(&other), &saved),
        CheckpointError::FlashMismatch { layer: 0, .. }
    ));
}

#[test]
fn an_int8_weight_of_minus_128_and_nonzero_padding_are_refused() {
    let net = int8_front(9);
    let blob = save(&net);
    let weights = 16 + 3 * 16 + 4 + 4 * (7 + 7);
    let mut bad = blob.clone();
    bad[weights + 10] = 0x80;
    recrc(&mut bad);
    let existing = int8_front(10);
    assert_eq!(
        refused(&bad, &existing),
        CheckpointError::Int8OutOfRange {
            offset: weights + 10
        }
    );
    let mut bad = blob.clone();
    bad[weights + 35] = 1; // the padding byte after 35 weights
    recrc(&mut bad);
    assert_eq!(refused(&bad, &existing), CheckpointError::Malformed);
    let mut bad = blob;
    bad[weights - 4..weights].copy_from_slice(&f32::NAN.to_le_bytes()); // the last bias
    recrc(&mut bad);
    assert_eq!(
        refused(&bad, &existing),
        CheckpointError::NonFiniteValue {
            offset: weights - 4
        }
    );
}

#[test]
fn every_corruption_of_a_fine_tuning_checkpoint_is_refused() {
    let net = int8_front(11);
    let flash: FlashFront = network_of(Flash::NEW, head(11));
    let existing = int8_front(12);
    let existing_flash: FlashFront = network_of(Flash::NEW, head(12));
    let blob = save(&net);
    let flash_blob = save(&flash);
    for byte in 0..blob.len() {
        for bit in 0..8 {
            let mut bad = blob.clone();
            bad[byte] ^= 1 << bit;
            refused(&bad, &existing);
        }
    }
    for byte in 0..flash_blob.len() {
        let mut bad = flash_blob.clone();
        bad[byte] ^= 0x01;
        refused(&bad, &existing_flash);
    }
    for len in 0..blob.len() {
        assert!(matches!(
            refused(&blob[..len], &existing),
            CheckpointError::Truncated { .. }
        ));
    }
}

/// The run-time front end: a `dynamic::Backbone` with its head saves the
/// bytes of the typed network with that backbone in flash, each loads the
/// other's, and another backbone is refused with the head unchanged.
#[test]
fn a_run_time_backbone_and_head_save_the_typed_flash_bytes() {
    use microprop::ActivationKind;
    use microprop::dynamic::{Backbone, LayerSpec, Network, Topology};
    let typed: FlashFront = network_of(Flash::NEW, head(13));
    let front_params: Vec<f32> = microprop_tests::params::flat(&FLOAT);
    let front_layers = [LayerSpec::dense(7, ActivationKind::Tanh)];
    let backbone = Backbone::new(Topology::new(5, &front_layers).unwrap(), &front_params).unwrap();
    let head_layers = [
        LayerSpec::dense(4, ActivationKind::Relu),
        LayerSpec::dense(3, ActivationKind::Identity),
    ];
    let head_topology = Topology::new(7, &head_layers).unwrap();
    let mut params = microprop_tests::params::flat(&typed.second);
    let net = Network::new(head_topology, &mut params).unwrap();
    let len = checkpoint::fine_tuned_len(&backbone.topology(), &head_topology, None);
    let mut blob = vec![0u8; len];
    assert_eq!(
        checkpoint::save_fine_tuned(&backbone, &net, &mut blob),
        Ok(len)
    );
    assert_eq!(blob, save(&typed));

    // The typed full float network's checkpoint loads into the pair too
    // (its layer 0 values are the backbone's).
    let full: Full = network_of(FLOAT, head(14));
    let mut loaded = vec![0.0; head_topology.params_len()];
    let mut copy = Network::new(head_topology, &mut loaded).unwrap();
    checkpoint::load_fine_tuned(&backbone, &mut copy, &save(&full)).unwrap();
    assert_eq!(loaded, microprop_tests::params::flat(&full.second));

    // With optimizer state and steps.
    let state: Vec<f32> = (0..2 * head_topology.params_len())
        .map(|i| i as f32 * 0.5)
        .collect();
    let len = checkpoint::fine_tuned_len(&backbone.topology(), &head_topology, Some(state.len()));
    let mut blob = vec![0u8; len];
    checkpoint::save_fine_tuned_training(&backbone, &net, &state, 42, &mut blob).unwrap();
    let (mut p, mut s, mut steps) = (
        vec![0.0; head_topology.params_len()],
        vec![0.0; state.len()],
        0,
    );
    let mut copy = Network::new(head_topology, &mut p).unwrap();
    checkpoint::load_fine_tuned_training(&backbone, &mut copy, &mut s, &mut steps, &blob).unwrap();
    assert_eq!((s.as_slice(), steps), (state.as_slice(), 42));
    assert_eq!(p, microprop_tests::params::flat(&typed.second));

    // A head that does not take the backbone's 7 outputs: refused both
    // ways, nothing written.
    let narrow = Topology::new(6, &head_layers).unwrap();
    let mut narrow_params = vec![0.5; narrow.params_len()];
    let mut narrow_net = Network::new(narrow, &mut narrow_params).unwrap();
    let mut untouched = vec![0u8; 4096];
    let err = checkpoint::save_fine_tuned(&backbone, &narrow_net, &mut untouched).unwrap_err();
    assert_eq!(
        err,
        CheckpointError::HeadMismatch {
            backbone_outputs: 7,
            head_inputs: 6
        }
    );
    assert_eq!(
        err.to_string(),
        "the head takes 6 inputs, the backbone gives 7"
    );
    assert!(untouched.iter().all(|&b| b == 0));
    let err = checkpoint::load_fine_tuned(&backbone, &mut narrow_net, &save(&typed)).unwrap_err();
    assert!(
        matches!(err, CheckpointError::HeadMismatch { .. }),
        "{err:?}"
    );
    assert!(narrow_params.iter().all(|&v| v == 0.5));

    // Another backbone: refused, nothing written.
    let mut other_params = front_params.clone();
    other_params[0] += 0.5;
    let other = Backbone::new(Topology::new(5, &front_layers).unwrap(), &other_params).unwrap();
    let (mut p, mut s, mut steps) = (
        vec![0.0; head_topology.params_len()],
        vec![0.0; state.len()],
        0,
    );
    let mut copy = Network::new(head_topology, &mut p).unwrap();
    let err = checkpoint::load_fine_tuned_training(&other, &mut copy, &mut s, &mut steps, &blob)
        .unwrap_err();
    assert!(
        matches!(err, CheckpointError::FlashMismatch { layer: 0, .. }),
        "{err:?}"
    );
    assert!(p.iter().chain(&s).all(|v| *v == 0.0) && steps == 0);
    // A run-time network of every layer cannot take the flash checkpoint's
    // backbone values: it holds only their CRC-32.
    let all_layers = [front_layers[0], head_layers[0], head_layers[1]];
    let all = Topology::new(5, &all_layers).unwrap();
    let mut p = vec![0.0; all.params_len()];
    let mut whole = Network::new(all, &mut p).unwrap();
    let err = checkpoint::load_network(&mut whole, &save(&typed)).unwrap_err();
    assert!(
        matches!(err, CheckpointError::FlashMismatch { layer: 0, .. }),
        "{err:?}"
    );
    assert!(p.iter().all(|v| *v == 0.0));
}

mod mutated {
    use super::*;
    use proptest::prelude::*;

    type Mixed = network![Flash<Int8InFlash>, QuantizedDense<7, 4, Relu>, Frozen<Dense<4, 4, Tanh>>, BiasOnly<Dense<4, 3, Identity>>];

    fn mixed(seed: u64) -> Mixed {
        let mut net = Mixed::ZERO;
        net.init(Init::Xavier, &mut microprop::init::seeded(seed));
        let mut float = Dense::<7, 4, Relu>::ZERO;
        float.init(Init::Xavier, &mut microprop::init::seeded(seed + 1));
        net.first.first.second = QuantizedDense::quantize(&float).unwrap();
        net
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// Bytes changed behind a recomputed CRC (what the CRC cannot
        /// catch): the load either refuses, leaving the model as it was,
        /// or loads values that save back to a checkpoint that loads to
        /// the same model.
        #[test]
        fn changed_bytes_behind_a_valid_crc_never_half_load(
            changes in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)
        ) {
            let blob = save(&mixed(20));
            let mut bad = blob.clone();
            let body = bad.len() - 4;
            for (at, value) in &changes {
                bad[at.index(body)] = *value;
            }
            recrc(&mut bad);
            let existing = mixed(30);
            let mut target = existing;
            match checkpoint::load(&mut target, &bad) {
                Err(_) => prop_assert_eq!(target, existing),
                Ok(()) => {
                    let again = save(&target);
                    let mut back = Mixed::ZERO;
                    checkpoint::load(&mut back, &again).unwrap();
                    prop_assert_eq!(back, target);
                }
            }
        }
    }
}
