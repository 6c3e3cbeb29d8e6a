//! SGD learns real problems: XOR, iris and the 8x8 digits, with fixed seeds
//! and held-out test rows; and full-batch gradient descent assembled from
//! small accumulated chunks takes exactly the step a buffer holding every
//! row would take.
//!
//! Accuracies are printed with `eprintln!` (`cargo test -- --nocapture`)
//! and recorded through [`claims::record`] for the README's "Measured"
//! table (`python3 tests/claims-readme.py`).

use std::mem::size_of;

use microprop::{
    Dense, EpochStats, Identity, Inference, Init, Layer, MeanSquaredError, Parameters, Sgd,
    Sigmoid, SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, Tanh, Trainer, network,
};
use microprop_sim::bundled_data_dir;
use microprop_sim::data::LabeledSet;
use microprop_sim::demo::{self, DemoConfig, DigitsNet, DigitsTrainer};
use microprop_tests::claims;
use microprop_tests::params::flat;
use microprop_tests::{iris, xor};

/// Rows of `set` that `net` classifies correctly through the inference path.
fn correct<const D: usize, N: Layer<Input = [f32; D]>>(net: &N, set: &LabeledSet<D>) -> usize {
    let mut run = Inference::<N>::new();
    set.features
        .iter()
        .zip(&set.labels)
        .filter(|(x, label)| run.classify(net, x).unwrap() == **label)
        .count()
}

/// Accuracy of `net` on `set` through the inference path.
fn accuracy<const D: usize, N: Layer<Input = [f32; D]>>(net: &N, set: &LabeledSet<D>) -> f32 {
    correct(net, set) as f32 / set.len() as f32
}

#[test]
fn xor_with_tanh_hidden_and_sigmoid_cross_entropy() {
    type Net = network![Dense<2, 8, Tanh>, Dense<8, 1, Identity>];
    let mut net = Net::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(11));
    let mut trainer = Trainer::<Net, _, _, 4>::new(SigmoidBinaryCrossEntropy, Sgd);
    let first = trainer.evaluate(&net, &xor::X, &xor::Y).unwrap();
    for _ in 0..3000 {
        trainer.train_step(&mut net, &xor::X, &xor::Y, 0.5).unwrap();
    }
    let last = trainer.evaluate(&net, &xor::X, &xor::Y).unwrap();
    eprintln!(
        "XOR 2-8-1 tanh + BCE: loss {:.5} -> {:.5}, {:?}/4 correct",
        first.loss, last.loss, last.correct
    );
    assert_eq!(last.correct, Some(4));
    assert!(last.loss < 0.05, "{last:?}");
    claims::record(
        "convergence_xor",
        serde_json::json!({ "correct": last.correct, "rows": xor::X.len(), "loss": last.loss, "steps": 3000 }),
    );
    // And through the inference path: logit > 0 <=> class 1.
    let mut run = Inference::<Net>::new();
    for (x, y) in xor::X.iter().zip(&xor::Y) {
        let z = run.predict(&net, x).unwrap()[0];
        assert_eq!(z > 0.0, y[0] > 0.5, "{x:?} -> {z}");
    }
}

#[test]
fn xor_with_sigmoid_units_and_squared_error() {
    // The lecture's setting: sigmoid everywhere, MSE.
    type Net = network![Dense<2, 8, Sigmoid>, Dense<8, 1, Sigmoid>];
    let mut net = Net::ZERO;
    net.init(Init::GlorotUniform, &mut microprop::init::seeded(5));
    let mut trainer = Trainer::<Net, _, _, 4>::new(MeanSquaredError, Sgd);
    let first = trainer.evaluate(&net, &xor::X, &xor::Y).unwrap();
    for _ in 0..20_000 {
        trainer.train_step(&mut net, &xor::X, &xor::Y, 2.0).unwrap();
    }
    let last = trainer.evaluate(&net, &xor::X, &xor::Y).unwrap();
    let mut run = Inference::<Net>::new();
    let outputs: Vec<f32> = xor::X
        .iter()
        .map(|x| run.predict(&net, x).unwrap()[0])
        .collect();
    eprintln!(
        "XOR 2-8-1 sigmoid + MSE: loss {:.5} -> {:.5}, outputs {outputs:?}",
        first.loss, last.loss
    );
    assert!(last.loss < 0.01, "{last:?}");
    for (o, y) in outputs.iter().zip(&xor::Y) {
        assert_eq!(*o > 0.5, y[0] > 0.5, "{outputs:?}");
    }
}

type Iris = network![Dense<4, 16, Tanh>, Dense<16, 3, Identity>];

/// The iris network, Xavier-initialised from the split's seed.
fn iris_net() -> Iris {
    let mut net = Iris::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(iris::SEED));
    net
}

#[test]
fn iris_mini_batch_sgd_generalises() {
    const BATCH: usize = 8;
    let (mut train, test) = iris::split_scaled();
    let mut net = iris_net();
    let mut trainer = Trainer::<Iris, _, _, BATCH>::new(SoftmaxCrossEntropy, Sgd);
    let before = accuracy(&net, &test);
    let mut epoch = EpochStats::new();
    for e in 0..300 {
        train.shuffle(iris::SEED + e);
        epoch = EpochStats::new();
        for (x, y) in train.features.chunks(BATCH).zip(train.labels.chunks(BATCH)) {
            epoch.add(&trainer.train_step(&mut net, x, y, 0.1).unwrap());
        }
    }
    let (train_acc, test_acc) = (accuracy(&net, &train), accuracy(&net, &test));
    eprintln!(
        "iris 4-16-3 tanh, SGD batch {BATCH}, 300 epochs: last epoch loss {:.4}, \
         train acc {train_acc:.4}, test acc {test_acc:.4} (before training {before:.4}, {} test rows)",
        epoch.mean_loss(),
        test.len()
    );
    assert!(test_acc >= 0.93, "iris test accuracy {test_acc}");
    assert!(train_acc >= 0.93, "iris train accuracy {train_acc}");
    assert!(epoch.mean_loss() < 0.2, "{epoch:?}");
    claims::record(
        "convergence_iris",
        serde_json::json!({
            "test_correct": correct(&net, &test),
            "test_rows": test.len(),
            "test_accuracy": test_acc,
            "seed": iris::SEED,
            "epochs": 300,
            "batch": BATCH,
        }),
    );
}

#[test]
fn digits_demo_reaches_93_percent_and_reports_real_sizes() {
    let config = DemoConfig::default();
    let (net, report) = demo::run(&bundled_data_dir(), &config, false).unwrap();
    eprintln!(
        "digits 64-32-10 demo ({} epochs): train acc {:.4} ({} rows), test acc {:.4} ({} rows), \
         first/last epoch loss {:.4}/{:.4}",
        config.epochs,
        report.train_accuracy,
        report.train_rows,
        report.test_accuracy,
        report.test_rows,
        report.epochs[0].mean_loss(),
        report.epochs.last().unwrap().mean_loss()
    );
    assert_eq!(report.train_rows + report.test_rows, 1797);
    assert_eq!(report.test_rows, 359); // round(1797 * 0.2)
    assert_eq!(report.epochs.len(), config.epochs);
    assert!(report.test_accuracy >= 0.93, "{}", report.test_accuracy);
    assert!(report.train_accuracy >= report.test_accuracy - 0.05);
    assert!(report.epochs.last().unwrap().mean_loss() < report.epochs[0].mean_loss() / 3.0);

    // The reported accuracy is really the returned network's.
    let (train, test) = demo::load_digits(&bundled_data_dir(), &config).unwrap();
    assert_eq!(accuracy(&net, &test), report.test_accuracy);
    assert_eq!(accuracy(&net, &train), report.train_accuracy);
    claims::record(
        "convergence_digits_demo",
        serde_json::json!({
            "test_correct": correct(&net, &test),
            "test_rows": report.test_rows,
            "test_accuracy": report.test_accuracy,
            "train_correct": correct(&net, &train),
            "train_rows": report.train_rows,
            "train_accuracy": report.train_accuracy,
            "epochs": config.epochs,
            "seed": config.seed,
            "test_fraction": config.test_fraction,
        }),
    );

    // Memory: by hand, and from the real types.
    let params_bytes = (64 * 32 + 32 + 32 * 10 + 10) * size_of::<f32>();
    assert_eq!(params_bytes, 9640);
    let cache_bytes = (demo::BATCH * (32 + 10) + 32) * size_of::<f32>(); // rows + boundary delta
    let m = report.memory;
    assert_eq!(m, DigitsTrainer::MEMORY);
    assert_eq!(m.parameters, params_bytes);
    assert_eq!(m.parameters, size_of::<DigitsNet>());
    assert_eq!(m.gradients, params_bytes);
    assert_eq!(m.gradients, size_of::<microprop::layer::Grads<DigitsNet>>());
    assert_eq!(m.optimizer_state, 2 * params_bytes); // Adam: moments m and v
    assert_eq!(m.caches, cache_bytes);
    assert_eq!(
        m.caches,
        size_of::<microprop::layer::Cache<DigitsNet, { demo::BATCH }>>()
    );
    assert_eq!(m.trainer, size_of::<DigitsTrainer>());
    // Gradients + Adam state + caches plus a few counters and settings
    // (under 64 bytes, less than one hidden row of 32 floats), nothing hidden.
    let parts = m.gradients + m.optimizer_state + m.caches;
    assert!(m.trainer >= parts && m.trainer <= parts + 64, "{m:?}");
    assert_eq!(m.total, m.parameters + m.trainer);
    assert_eq!(report.inference_bytes, (32 + 10) * size_of::<f32>());
    assert_eq!(report.inference_bytes, size_of::<Inference<DigitsNet>>());
    eprintln!(
        "digits memory: {m:?}, inference workspace {}",
        report.inference_bytes
    );
}

const CHUNK: usize = 16;
const IRIS_TRAIN: usize = 105;

/// Accumulates `set` in chunks of `CHUNK` rows (the last one shorter).
fn accumulate_all<T: Trainer_<Iris>>(trainer: &mut T, net: &Iris, set: &LabeledSet<4>) -> f32 {
    let mut epoch = EpochStats::new();
    for (x, y) in set
        .features
        .chunks(T::CAPACITY)
        .zip(set.labels.chunks(T::CAPACITY))
    {
        epoch.add(&trainer.accumulate_(net, x, y));
    }
    epoch.mean_loss()
}

/// The two trainers below differ in `B`; this lets one helper drive both.
trait Trainer_<N: Layer> {
    const CAPACITY: usize;
    fn accumulate_(&mut self, net: &N, x: &[N::Input], y: &[usize]) -> microprop::StepStats;
}

impl<const B: usize> Trainer_<Iris> for Trainer<Iris, SoftmaxCrossEntropy, Sgd, B> {
    const CAPACITY: usize = B;
    fn accumulate_(&mut self, net: &Iris, x: &[[f32; 4]], y: &[usize]) -> microprop::StepStats {
        self.accumulate(net, x, y).unwrap()
    }
}

#[test]
fn full_batch_descent_from_accumulated_chunks() {
    let (train, test) = iris::split_scaled();
    assert_eq!(train.len(), IRIS_TRAIN);
    let lr = 0.5;

    // (b) One step accumulated over 7 chunks (6 x 16 + 9 rows) equals one
    // step by a trainer whose buffer holds all 105 rows, for several steps.
    let mut chunked_net = iris_net();
    let mut whole_net = chunked_net;
    let mut chunked = Box::new(Trainer::<Iris, _, _, CHUNK>::new(SoftmaxCrossEntropy, Sgd));
    let mut whole = Box::new(Trainer::<Iris, _, _, IRIS_TRAIN>::new(
        SoftmaxCrossEntropy,
        Sgd,
    ));
    let mut max_diff = 0.0f32;
    let mut bit_identical = true;
    for step in 0..20 {
        let chunked_loss = accumulate_all(&mut *chunked, &chunked_net, &train);
        let whole_loss = accumulate_all(&mut *whole, &whole_net, &train);
        assert_eq!(chunked.accumulated_rows(), IRIS_TRAIN as u32);
        assert_eq!(whole.accumulated_rows(), IRIS_TRAIN as u32);
        assert!(
            (chunked_loss - whole_loss).abs() <= 1e-5 * whole_loss.abs().max(1.0),
            "step {step}: loss {chunked_loss} vs {whole_loss}"
        );
        // The buffers hold the same sum of per-row gradients.
        for (a, b) in flat(chunked.gradient_sum())
            .iter()
            .zip(flat(whole.gradient_sum()))
        {
            assert!(
                (a - b).abs() <= 1e-4 * b.abs().max(1.0),
                "step {step}: gradient sum {a} vs {b}"
            );
        }
        chunked.step(&mut chunked_net, lr).unwrap();
        whole.step(&mut whole_net, lr).unwrap();
        for (a, b) in flat(&chunked_net).iter().zip(flat(&whole_net)) {
            max_diff = max_diff.max((a - b).abs());
            bit_identical &= a.to_bits() == b.to_bits();
            assert!(
                (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                "step {step}: parameter {a} vs {b}"
            );
        }
    }
    assert_eq!((chunked.steps(), whole.steps()), (20, 20));
    eprintln!(
        "full batch: 20 steps of 7 accumulated chunks vs one 105-row buffer: \
         max |param diff| {max_diff:e}, bit-identical: {bit_identical}"
    );

    // The test can tell right from wrong averaging: averaging the 7 chunk
    // means (instead of all 105 rows) gives a visibly different step.
    let start = iris_net();
    let mut per_chunk_means = vec![0.0f32; Iris::LEN];
    let chunks = train.len().div_ceil(CHUNK);
    for (x, y) in train.features.chunks(CHUNK).zip(train.labels.chunks(CHUNK)) {
        chunked.zero_grad();
        chunked.accumulate(&start, x, y).unwrap();
        for (m, g) in per_chunk_means.iter_mut().zip(flat(chunked.gradient_sum())) {
            *m += g / x.len() as f32 / chunks as f32;
        }
    }
    chunked.zero_grad();
    accumulate_all(&mut *chunked, &start, &train);
    let true_mean: Vec<f32> = flat(chunked.gradient_sum())
        .iter()
        .map(|g| g / IRIS_TRAIN as f32)
        .collect();
    let gap = true_mean
        .iter()
        .zip(&per_chunk_means)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    eprintln!("mean of 7 chunk means differs from the 105-row mean by up to {gap:e}");
    assert!(gap > 1e-3, "gap {gap}");
    let mut stepped = start;
    chunked.step(&mut stepped, lr).unwrap();
    for ((after, before), g) in flat(&stepped).iter().zip(flat(&start)).zip(&true_mean) {
        assert!(
            (after - (before - lr * g)).abs() <= 1e-6 * before.abs().max(1.0),
            "step is w - lr * mean gradient: {after} vs {before} - {lr} * {g}"
        );
    }

    // (a) Full-batch descent from 16-row chunks converges.
    let mut net = iris_net();
    chunked.zero_grad();
    let first_loss = accumulate_all(&mut *chunked, &net, &train);
    chunked.zero_grad();
    let mut loss = first_loss;
    for _ in 0..1500 {
        loss = accumulate_all(&mut *chunked, &net, &train);
        chunked.step(&mut net, lr).unwrap();
    }
    let (train_acc, test_acc) = (accuracy(&net, &train), accuracy(&net, &test));
    eprintln!(
        "iris full-batch GD (7 chunks of <= {CHUNK} per step, 1500 steps): loss {first_loss:.4} -> {loss:.4}, \
         train acc {train_acc:.4}, test acc {test_acc:.4}"
    );
    assert!(loss < first_loss / 5.0, "{first_loss} -> {loss}");
    assert!(test_acc >= 0.93, "iris full-batch test accuracy {test_acc}");
}
