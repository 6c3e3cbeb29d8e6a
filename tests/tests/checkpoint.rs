//! The checkpoint format: round trips, resumption, and refusal of every
//! corrupted, truncated or mismatched blob with the model left unchanged.

use microprop::checkpoint::{self, CheckpointError, Part};
use microprop::{
    Adam, Dense, Identity, Init, Layer, Maxout, Model, NormalizerFit, Relu, Scaling, Sgd,
    SoftmaxCrossEntropy, Tanh, Trainer, network,
};
use microprop_tests::params::bits;

type Net = network![Dense<4, 6, Tanh>, Maxout<6, 5, 2>, Dense<5, 3, Identity>];
type Narrow = network![Dense<4, 5, Tanh>, Maxout<5, 5, 2>, Dense<5, 3, Identity>];
type OtherActivation = network![Dense<4, 6, Relu>, Maxout<6, 5, 2>, Dense<5, 3, Identity>];

fn trained_net(seed: u64) -> Net {
    let mut net = Net::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(seed));
    for (i, b) in net
        .first
        .second
        .params
        .bias
        .as_flattened_mut()
        .iter_mut()
        .enumerate()
    {
        *b = 0.01 * i as f32;
    }
    net
}

fn data() -> ([[f32; 4]; 6], [usize; 6]) {
    let x = core::array::from_fn(|i| {
        let t = i as f32;
        [t.sin(), t.cos(), 0.1 * t, 1.0 - 0.2 * t]
    });
    (x, [0, 1, 2, 0, 1, 2])
}

#[test]
fn parameters_round_trip_bit_for_bit() {
    let net = trained_net(1);
    let mut blob = vec![0u8; checkpoint::params_len::<Net>()];
    let len = checkpoint::save(&net, &mut blob).unwrap();
    assert_eq!(len, blob.len());
    assert_eq!(&blob[..4], b"MPCK");
    let mut loaded = Net::ZERO;
    checkpoint::load(&mut loaded, &blob).unwrap();
    assert_eq!(bits(&loaded), bits(&net));
    assert_eq!(checkpoint::inspect(&blob).unwrap().to_string(), "4-6-5-3");
    // A slot larger than the blob (e.g. a flash page) loads too.
    let mut padded = blob.clone();
    padded.resize(blob.len() + 100, 0xFF);
    checkpoint::load(&mut loaded, &padded).unwrap();
}

#[test]
fn a_resumed_run_continues_exactly() {
    // 10 Adam steps in one go == 5 steps, save, load into fresh state, 5 more.
    type T = Trainer<Net, SoftmaxCrossEntropy, Adam, 6>;
    let (x, y) = data();
    let mut straight = trained_net(2);
    let mut t = T::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    for _ in 0..10 {
        t.train_step(&mut straight, &x, &y, 0.01).unwrap();
    }

    let mut first = trained_net(2);
    let mut t1 = T::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    for _ in 0..5 {
        t1.train_step(&mut first, &x, &y, 0.01).unwrap();
    }
    let mut blob = vec![0u8; checkpoint::training_len::<Net, Adam>()];
    checkpoint::save_training(&first, &t1, &mut blob).unwrap();

    let mut resumed = Net::ZERO;
    let mut t2 = T::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    checkpoint::load_training(&mut resumed, &mut t2, &blob).unwrap();
    assert_eq!(t2.steps(), 5);
    for _ in 0..5 {
        t2.train_step(&mut resumed, &x, &y, 0.01).unwrap();
    }
    assert_eq!(bits(&resumed), bits(&straight));
    assert_eq!(bits(t2.optimizer_state()), bits(t.optimizer_state()));
}

#[test]
fn a_model_keeps_its_normalisers() {
    type Small = network![Dense<2, 3, Tanh>, Dense<3, 1, Identity>];
    let mut fit = NormalizerFit::<2>::new();
    fit.observe(&[1000.0, 1.0]);
    fit.observe(&[3000.0, 2.0]);
    let mut target_fit = NormalizerFit::<1>::new();
    target_fit.observe(&[5.0]);
    target_fit.observe(&[7.0]);
    let mut model = Model::<Small>::new(Small::ZERO);
    model
        .net
        .init(Init::Xavier, &mut microprop::init::seeded(3));
    model.input = fit.finish(Scaling::MinMax);
    model.target = target_fit.finish(Scaling::Standard);
    let mut blob = vec![0u8; checkpoint::model_len::<Small>()];
    checkpoint::save_model(&model, &mut blob).unwrap();
    let mut loaded = Model::<Small>::new(Small::ZERO);
    checkpoint::load_model(&mut loaded, &blob).unwrap();
    assert_eq!(loaded, model);
    // Parameters alone can still be read from a model checkpoint.
    let mut net = Small::ZERO;
    checkpoint::load(&mut net, &blob).unwrap();
    assert_eq!(net, model.net);
    // But a model can't be read from a parameters-only checkpoint.
    let mut plain = vec![0u8; checkpoint::params_len::<Small>()];
    checkpoint::save(&model.net, &mut plain).unwrap();
    assert_eq!(
        checkpoint::load_model(&mut loaded, &plain),
        Err(CheckpointError::MissingPart(Part::InputNormalizer))
    );
}

/// Loads `blob` into a copy of `original`; asserts it fails and changed nothing.
fn assert_refused(blob: &[u8], original: &Net) -> CheckpointError {
    let mut target = *original;
    let err = checkpoint::load(&mut target, blob).expect_err("corrupted blob was accepted");
    assert_eq!(
        bits(&target),
        bits(original),
        "a refused load changed the model"
    );
    err
}

#[test]
fn every_single_bit_flip_is_refused() {
    let net = trained_net(4);
    let mut blob = vec![0u8; checkpoint::params_len::<Net>()];
    checkpoint::save(&net, &mut blob).unwrap();
    let existing = trained_net(5);
    let mut flips = 0;
    for byte in 0..blob.len() {
        for bit in 0..8 {
            let mut bad = blob.clone();
            bad[byte] ^= 1 << bit;
            assert_refused(&bad, &existing);
            flips += 1;
        }
    }
    eprintln!(
        "{flips} single-bit flips of a {}-byte checkpoint: all refused",
        blob.len()
    );
}

#[test]
fn every_truncation_is_refused() {
    let net = trained_net(6);
    let mut blob = vec![0u8; checkpoint::params_len::<Net>()];
    checkpoint::save(&net, &mut blob).unwrap();
    let existing = trained_net(7);
    for len in 0..blob.len() {
        let err = assert_refused(&blob[..len], &existing);
        assert!(
            matches!(err, CheckpointError::Truncated { .. }),
            "length {len}: {err:?}"
        );
    }
}

#[test]
fn mismatches_are_named() {
    let net = trained_net(8);
    let mut blob = vec![0u8; checkpoint::params_len::<Net>()];
    checkpoint::save(&net, &mut blob).unwrap();

    let mut narrow = Narrow::ZERO;
    let err = checkpoint::load(&mut narrow, &blob).unwrap_err();
    assert_eq!(
        err.to_string(),
        "checkpoint is for 4-6-5-3, model is 4-5-5-3"
    );
    assert_eq!(narrow, Narrow::ZERO);

    let mut other = OtherActivation::ZERO;
    let err = checkpoint::load(&mut other, &blob).unwrap_err();
    assert!(
        matches!(err, CheckpointError::LayerMismatch { layer: 0, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("tanh"), "{err}");

    // Optimizer state: absent, or of another optimizer.
    let mut adam =
        Trainer::<Net, SoftmaxCrossEntropy, Adam, 2>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    let mut target = Net::ZERO;
    assert_eq!(
        checkpoint::load_training(&mut target, &mut adam, &blob),
        Err(CheckpointError::MissingPart(Part::OptimizerState))
    );
    let sgd = Trainer::<Net, SoftmaxCrossEntropy, Sgd, 2>::new(SoftmaxCrossEntropy, Sgd);
    let mut sgd_blob = vec![0u8; checkpoint::training_len::<Net, Sgd>()];
    checkpoint::save_training(&net, &sgd, &mut sgd_blob).unwrap();
    let err = checkpoint::load_training(&mut target, &mut adam, &sgd_blob).unwrap_err();
    assert!(
        matches!(
            err,
            CheckpointError::OptimizerStateMismatch { checkpoint: 0, .. }
        ),
        "{err:?}"
    );
    assert_eq!(target, Net::ZERO);
    assert_eq!(adam.steps(), 0);

    let mut small = [0u8; 10];
    assert!(matches!(
        checkpoint::save(&net, &mut small),
        Err(CheckpointError::BufferTooSmall { .. })
    ));
}

#[test]
fn a_valid_crc_over_a_nan_weight_is_still_refused() {
    let mut net = trained_net(9);
    net.second.params.bias[1] = f32::NAN;
    let mut blob = vec![0u8; checkpoint::params_len::<Net>()];
    checkpoint::save(&net, &mut blob).unwrap();
    let existing = trained_net(10);
    let err = assert_refused(&blob, &existing);
    assert!(
        matches!(err, CheckpointError::NonFiniteValue { .. }),
        "{err:?}"
    );
}

#[test]
fn another_version_or_magic_is_refused() {
    let net = trained_net(11);
    let mut blob = vec![0u8; checkpoint::params_len::<Net>()];
    checkpoint::save(&net, &mut blob).unwrap();
    for version in [0, 3, 0xFFFF_u16] {
        let mut other = blob.clone();
        other[4..6].copy_from_slice(&version.to_le_bytes());
        let err = assert_refused(&other, &net);
        assert_eq!(
            err,
            CheckpointError::UnsupportedVersion {
                found: version,
                supported: 2
            }
        );
        assert_eq!(
            err.to_string(),
            format!(
                "checkpoint format version {version} is not supported (this build reads versions 1 to 2)"
            )
        );
    }
    let mut magic = blob.clone();
    magic[0] = b'X';
    assert_eq!(assert_refused(&magic, &net), CheckpointError::BadMagic);
}
