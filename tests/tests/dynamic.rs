//! The run-time-shaped front end (`microprop::dynamic`) computes the same
//! bits as the const-generic network of the same shape: initialisation,
//! inference, every optimizer through `Trainer` (with and without
//! clipping, accumulated batches) and `FusedTrainer`, maxout included; and
//! it answers wrong buffers and bad input with errors that change nothing.

use microprop::ActivationKind::{self, Elu as EluKind, Identity as Id, Relu as ReluKind};
use microprop::dynamic::{
    self, Buffers, FlatOptimizer, FusedBuffers, LayerSpec, LossKind, Network, Targets, Topology,
};
use microprop::init::{Init, seeded};
use microprop::layer::Zeroed;
use microprop::{
    AcceptsActivation, Adam, BinaryCrossEntropy, Buffer, Dense, Elu, Error, Fusable, FusedTrainer,
    Identity, Inference, Layer, LeakyRelu, Loss, Maxout, MeanSquaredError, Momentum, Parameters,
    Relu, Row, Sgd, Sigmoid, SigmoidBinaryCrossEntropy, SoftTargetCrossEntropy, Softmax,
    SoftmaxCrossEntropy, Tanh, Trainer, network,
};
use microprop_tests::for_each_optimizer;
use microprop_tests::params::{bits, slice_bits};

const BATCH: usize = 4;

/// Deterministic values in [-1, 1).
struct Values(u32);
impl Values {
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        (self.0 >> 8) as f32 / (1u32 << 23) as f32 - 1.0
    }
}

/// A loss type with its run-time kind and a way to build typed targets
/// from the same labels and values.
trait TestLoss<R: Row>: Loss<R> + Copy {
    const KIND: LossKind;
    fn typed(labels: &[usize], values: &[f32]) -> Vec<Self::Target>;
}

impl<const O: usize> TestLoss<[f32; O]> for SoftmaxCrossEntropy {
    const KIND: LossKind = LossKind::SoftmaxCrossEntropy;
    fn typed(labels: &[usize], _: &[f32]) -> Vec<usize> {
        labels.to_vec()
    }
}

fn rows<const O: usize>(values: &[f32]) -> Vec<[f32; O]> {
    values
        .chunks_exact(O)
        .map(|c| c.try_into().unwrap())
        .collect()
}

impl<const O: usize> TestLoss<[f32; O]> for MeanSquaredError {
    const KIND: LossKind = LossKind::MeanSquaredError;
    fn typed(_: &[usize], values: &[f32]) -> Vec<[f32; O]> {
        rows(values)
    }
}

impl<const O: usize> TestLoss<[f32; O]> for SigmoidBinaryCrossEntropy {
    const KIND: LossKind = LossKind::SigmoidBinaryCrossEntropy;
    fn typed(_: &[usize], values: &[f32]) -> Vec<[f32; O]> {
        rows(values)
    }
}

impl<const O: usize> TestLoss<[f32; O]> for SoftTargetCrossEntropy {
    const KIND: LossKind = LossKind::SoftTargetCrossEntropy;
    fn typed(_: &[usize], values: &[f32]) -> Vec<[f32; O]> {
        rows(values)
    }
}

impl<const O: usize> TestLoss<[f32; O]> for BinaryCrossEntropy {
    const KIND: LossKind = LossKind::BinaryCrossEntropy;
    fn typed(_: &[usize], values: &[f32]) -> Vec<[f32; O]> {
        rows(values)
    }
}

/// `steps` batches of inputs, labels and value targets in [0, 1].
fn data(inputs: usize, outputs: usize, rows: usize, seed: u32) -> (Vec<f32>, Vec<usize>, Vec<f32>) {
    let mut v = Values(seed);
    let x = (0..rows * inputs).map(|_| 2.0 * v.next()).collect();
    let labels = (0..rows)
        .map(|_| ((v.next() + 1.0) * outputs as f32 / 2.0) as usize % outputs)
        .collect();
    let y = (0..rows * outputs)
        .map(|_| (v.next() + 1.0) / 2.0)
        .collect();
    (x, labels, y)
}

fn targets(kind: LossKind, labels: &[usize], values: &[f32]) -> Targets<'static> {
    let labels: &'static [usize] = labels.to_vec().leak();
    let values: &'static [f32] = values.to_vec().leak();
    match kind {
        LossKind::SoftmaxCrossEntropy => Targets::Labels(labels),
        _ => Targets::Values(values),
    }
}

/// A network of type `N` and the run-time network of `layers`, both from
/// seed 11: the same weights, the same predictions.
fn check_inference<N: Layer>(layers: &[LayerSpec]) {
    let mut typed = N::ZERO;
    typed.init(Init::GlorotUniform, &mut seeded(11));
    let topology = Topology::new(N::Input::WIDTH, layers).unwrap();
    let mut params = vec![0.0; topology.params_len()];
    assert_eq!(params.len(), N::LEN);
    let mut net = Network::new(topology, &mut params).unwrap();
    net.init(Init::GlorotUniform, &mut seeded(11));
    assert_eq!(slice_bits(net.params()), bits(&typed));

    let (x, _, _) = data(topology.inputs(), topology.outputs(), 9, 5);
    let mut scratch = vec![0.0; topology.scratch_len()];
    let mut winners = vec![0; topology.scratch_winners_len()];
    let mut out = vec![0.0; topology.outputs()];
    let mut run = Inference::<N>::new();
    for row in x.chunks_exact(topology.inputs()) {
        net.predict(row, &mut scratch, &mut winners, &mut out)
            .unwrap();
        let mut input = <N::Input as Zeroed>::ZERO;
        input.as_mut_slice().copy_from_slice(row);
        let want = run.predict(&typed, &input).unwrap();
        assert_eq!(slice_bits(&out), slice_bits(want.as_slice()));
    }
}

/// `Trainer` of both front ends: equal weights after every step and equal
/// optimizer state at the end, over single steps, accumulated batches and
/// (with `clip`) gradient clipping.
fn check_trainer<N, L, O>(layers: &[LayerSpec], loss: L, optimizer: O, clip: Option<f32>)
where
    N: Layer,
    L: TestLoss<N::Output> + AcceptsActivation<N::OutputActivation>,
    O: FlatOptimizer + Copy,
    O::State<N::Grads>: Parameters,
{
    let topology = Topology::new(N::Input::WIDTH, layers).unwrap();
    let (inputs, outputs) = (topology.inputs(), topology.outputs());
    let mut typed = N::ZERO;
    typed.init(Init::Xavier, &mut seeded(3));
    let mut trainer = Trainer::<N, L, O, BATCH>::new(loss, optimizer);
    trainer.max_grad_norm = clip;

    let mut params = vec![0.0; topology.params_len()];
    let mut net = Network::new(topology, &mut params).unwrap();
    net.init(Init::Xavier, &mut seeded(3));
    let mut grads = vec![0.0; topology.params_len()];
    let mut state = vec![0.0; O::STATE_BUFFERS * topology.params_len()];
    let mut cache = vec![0.0; topology.cache_len(BATCH).unwrap()];
    let mut winners = vec![0; topology.winners_len(BATCH).unwrap()];
    let buffers = Buffers {
        gradients: &mut grads,
        optimizer_state: &mut state,
        cache: &mut cache,
        winners: &mut winners,
    };
    let mut run = dynamic::Trainer::new(topology, buffers, BATCH, L::KIND, optimizer).unwrap();
    run.max_grad_norm = clip;

    let (x, labels, y) = data(inputs, outputs, 40, 17);
    let typed_x: Vec<N::Input> = x
        .chunks_exact(inputs)
        .map(|r| {
            let mut row = <N::Input as Zeroed>::ZERO;
            row.as_mut_slice().copy_from_slice(r);
            row
        })
        .collect();
    let typed_y = L::typed(&labels, &y);
    // Batches of 1..=4 rows.
    let mut start = 0;
    let mut size = 1;
    let mut step = 0;
    while start + size <= labels.len() {
        let (xs, ls, ys) = (
            &x[start * inputs..(start + size) * inputs],
            &labels[start..start + size],
            &y[start * outputs..(start + size) * outputs],
        );
        let t = targets(L::KIND, ls, ys);
        if step % 3 == 2 {
            // Two accumulated chunks, one measured step.
            let half = size / 2;
            for (from, to) in [(0, half), (half, size)] {
                if from == to {
                    continue;
                }
                let t = targets(L::KIND, &ls[from..to], &ys[from * outputs..to * outputs]);
                let a = trainer
                    .accumulate(
                        &typed,
                        &typed_x[start + from..start + to],
                        &typed_y[start + from..start + to],
                    )
                    .unwrap();
                let b = run
                    .accumulate(&net, &xs[from * inputs..to * inputs], t)
                    .unwrap();
                assert_eq!(a.loss.to_bits(), b.loss.to_bits());
                assert_eq!(a.correct, b.correct);
            }
            let a = trainer.step_measured(&mut typed, 0.05).unwrap();
            let b = run.step_measured(&mut net, 0.05).unwrap();
            assert_eq!(a.grad_norm.to_bits(), b.grad_norm.to_bits());
            assert_eq!(a.change_norm.to_bits(), b.change_norm.to_bits());
        } else {
            let a = trainer
                .train_step(
                    &mut typed,
                    &typed_x[start..start + size],
                    &typed_y[start..start + size],
                    0.05,
                )
                .unwrap();
            let b = run.train_step(&mut net, xs, t, 0.05).unwrap();
            assert_eq!(a.loss.to_bits(), b.loss.to_bits(), "step {step}");
            assert_eq!(a.correct, b.correct);
        }
        assert_eq!(slice_bits(net.params()), bits(&typed), "step {step}");
        start += size;
        size = size % BATCH + 1;
        step += 1;
    }
    assert_eq!(run.steps(), trainer.steps());
    assert_eq!(
        slice_bits(run.optimizer_state()),
        bits(trainer.optimizer_state())
    );
    let eval_t = targets(L::KIND, &labels[..BATCH], &y[..BATCH * outputs]);
    let a = trainer
        .evaluate(&typed, &typed_x[..BATCH], &typed_y[..BATCH])
        .unwrap();
    let b = run.evaluate(&net, &x[..BATCH * inputs], eval_t).unwrap();
    assert_eq!(a.loss.to_bits(), b.loss.to_bits());
}

/// `FusedTrainer` of both front ends: equal weights after every step.
fn check_fused<N, L, O>(layers: &[LayerSpec], loss: L, optimizer: O)
where
    N: Fusable,
    L: TestLoss<N::Output> + AcceptsActivation<N::OutputActivation>,
    O: FlatOptimizer + Copy,
    O::State<N::Grads>: Parameters,
{
    let topology = Topology::new(N::Input::WIDTH, layers).unwrap();
    let (inputs, outputs) = (topology.inputs(), topology.outputs());
    let mut typed = N::ZERO;
    typed.init(Init::HeUniform, &mut seeded(8));
    let mut trainer = FusedTrainer::<N, L, O>::new(loss, optimizer);
    let mut params = vec![0.0; topology.params_len()];
    let mut net = Network::new(topology, &mut params).unwrap();
    net.init(Init::HeUniform, &mut seeded(8));
    let mut state = vec![0.0; O::STATE_BUFFERS * topology.params_len()];
    let mut cache = vec![0.0; topology.cache_len(1).unwrap()];
    let buffers = FusedBuffers {
        optimizer_state: &mut state,
        cache: &mut cache,
    };
    let mut run = dynamic::FusedTrainer::new(topology, buffers, L::KIND, optimizer).unwrap();
    let (x, labels, y) = data(inputs, outputs, 30, 23);
    let typed_y = L::typed(&labels, &y);
    for (i, (row, target)) in x.chunks_exact(inputs).zip(&typed_y).enumerate() {
        let mut input = <N::Input as Zeroed>::ZERO;
        input.as_mut_slice().copy_from_slice(row);
        let a = trainer
            .train_step(&mut typed, &input, target, 0.02)
            .unwrap();
        let t = targets(L::KIND, &labels[i..=i], &y[i * outputs..(i + 1) * outputs]);
        let b = run.train_step(&mut net, row, t, 0.02).unwrap();
        assert_eq!(a.loss.to_bits(), b.loss.to_bits(), "row {i}");
        assert_eq!(slice_bits(net.params()), bits(&typed), "row {i}");
    }
    assert_eq!(
        slice_bits(run.optimizer_state()),
        bits(trainer.optimizer_state())
    );
}

type Xor = network![Dense<2, 8, Sigmoid>, Dense<8, 1, Sigmoid>];
const XOR: [LayerSpec; 2] = [
    LayerSpec::dense(8, ActivationKind::Sigmoid),
    LayerSpec::dense(1, ActivationKind::Sigmoid),
];
type Digits = network![Dense<64, 32, Tanh>, Dense<32, 10, Identity>];
const DIGITS: [LayerSpec; 2] = [
    LayerSpec::dense(32, ActivationKind::Tanh),
    LayerSpec::dense(10, Id),
];
type Sine = network![Dense<1, 16, Relu>, Dense<16, 16, Relu>, Dense<16, 1, Identity>];
const SINE: [LayerSpec; 3] = [
    LayerSpec::dense(16, ReluKind),
    LayerSpec::dense(16, ReluKind),
    LayerSpec::dense(1, Id),
];
type Deep = network![
    Dense<3, 9, Relu>,
    Dense<9, 7, LeakyRelu>,
    Dense<7, 5, Sigmoid>,
    Dense<5, 2, Identity>
];
const DEEP: [LayerSpec; 4] = [
    LayerSpec::dense(9, ReluKind),
    LayerSpec::dense(7, ActivationKind::LeakyRelu),
    LayerSpec::dense(5, ActivationKind::Sigmoid),
    LayerSpec::dense(2, Id),
];
type Mixed = network![Dense<3, 6, Elu>, Dense<6, 4, Softmax>, Dense<4, 3, Identity>];
const MIXED: [LayerSpec; 3] = [
    LayerSpec::dense(6, EluKind),
    LayerSpec::dense(4, ActivationKind::Softmax),
    LayerSpec::dense(3, Id),
];
type MaxoutNet =
    network![Maxout<4, 5, 2>, Dense<5, 6, Tanh>, Maxout<6, 3, 3>, Dense<3, 3, Identity>];
const MAXOUT: [LayerSpec; 4] = [
    LayerSpec::maxout(5, 2),
    LayerSpec::dense(6, ActivationKind::Tanh),
    LayerSpec::maxout(3, 3),
    LayerSpec::dense(3, Id),
];

#[test]
fn inference_and_initialisation_match_the_typed_networks() {
    check_inference::<Xor>(&XOR);
    check_inference::<Digits>(&DIGITS);
    check_inference::<Sine>(&SINE);
    check_inference::<Deep>(&DEEP);
    check_inference::<Mixed>(&MIXED);
    check_inference::<MaxoutNet>(&MAXOUT);
}

#[test]
fn trainer_matches_for_every_optimizer_and_shape() {
    for_each_optimizer!(|_, o, _| {
        check_trainer::<Xor, _, _>(&XOR, MeanSquaredError, o, None);
        check_trainer::<Digits, _, _>(&DIGITS, SoftmaxCrossEntropy, o, None);
        check_trainer::<Sine, _, _>(&SINE, MeanSquaredError, o, None);
        check_trainer::<Deep, _, _>(&DEEP, SigmoidBinaryCrossEntropy, o, None);
        check_trainer::<Mixed, _, _>(&MIXED, SoftmaxCrossEntropy, o, None);
        check_trainer::<MaxoutNet, _, _>(&MAXOUT, SoftmaxCrossEntropy, o, None);
    });
}

#[test]
fn trainer_matches_with_gradient_clipping() {
    check_trainer::<Digits, _, _>(&DIGITS, SoftmaxCrossEntropy, Adam::PYTORCH, Some(0.05));
    check_trainer::<Deep, _, _>(&DEEP, MeanSquaredError, Momentum::new(0.9), Some(0.01));
}

#[test]
fn fused_trainer_matches_for_every_optimizer_and_shape() {
    for_each_optimizer!(|_, o, _| {
        check_fused::<Xor, _, _>(&XOR, MeanSquaredError, o);
        check_fused::<Digits, _, _>(&DIGITS, SoftmaxCrossEntropy, o);
        check_fused::<Deep, _, _>(&DEEP, SigmoidBinaryCrossEntropy, o);
        check_fused::<Mixed, _, _>(&MIXED, MeanSquaredError, o);
    });
}

#[test]
fn invalid_layer_lists_are_refused() {
    let ok = LayerSpec::dense(3, Id);
    assert_eq!(
        Topology::new(0, &[ok]),
        Err(Error::InvalidLayer { layer: 0 })
    );
    assert_eq!(Topology::new(2, &[]), Err(Error::InvalidLayer { layer: 0 }));
    let zero = LayerSpec::dense(0, Id);
    assert_eq!(
        Topology::new(2, &[ok, zero]),
        Err(Error::InvalidLayer { layer: 1 })
    );
    let negative = LayerSpec::dense_with(3, ActivationKind::LeakyRelu, -1.0);
    assert_eq!(
        Topology::new(2, &[negative]),
        Err(Error::InvalidLayer { layer: 0 })
    );
    let nan = LayerSpec::dense_with(3, EluKind, f32::NAN);
    assert!(Topology::new(2, &[nan]).is_err());
    let too_many_pieces = LayerSpec::maxout(3, 257);
    assert!(Topology::new(2, &[too_many_pieces]).is_err());
    let maxout_with_activation = LayerSpec {
        activation: ActivationKind::Tanh,
        ..LayerSpec::maxout(3, 2)
    };
    assert!(Topology::new(2, &[maxout_with_activation]).is_err());
    let huge = LayerSpec::dense(usize::MAX / 2, Id);
    assert!(Topology::new(3, &[huge]).is_err());
}

#[test]
fn wrong_buffers_are_errors_that_name_the_buffer() {
    let topology = Topology::new(64, &DIGITS).unwrap();
    let n = topology.params_len();
    let err = Network::new(topology, &mut vec![0.0; n - 1]).unwrap_err();
    assert_eq!(
        err,
        Error::BufferLength {
            buffer: Buffer::Parameters,
            needed: n,
            given: n - 1
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "parameters buffer holds {} values, the network needs {n}",
            n - 1
        )
    );
    let mut params = vec![0.0; n];
    let net = Network::new(topology, &mut params).unwrap();
    let mut out = [0.0; 10];
    let mut scratch = vec![0.0; topology.scratch_len()];
    assert!(matches!(
        net.predict(&[0.0; 63], &mut scratch, &mut [], &mut out),
        Err(Error::BufferLength {
            buffer: Buffer::Input,
            ..
        })
    ));
    assert!(matches!(
        net.predict(&[0.0; 64], &mut [0.0; 3], &mut [], &mut out),
        Err(Error::BufferLength {
            buffer: Buffer::Scratch,
            ..
        })
    ));

    let mut grads = vec![0.0; n];
    let mut cache = vec![0.0; topology.cache_len(2).unwrap()];
    let mut state = vec![0.0; n]; // Adam needs 2n
    let buffers = Buffers {
        gradients: &mut grads,
        optimizer_state: &mut state,
        cache: &mut cache,
        winners: &mut [],
    };
    let err = dynamic::Trainer::new(
        topology,
        buffers,
        2,
        LossKind::SoftmaxCrossEntropy,
        Adam::PYTORCH,
    )
    .unwrap_err();
    assert_eq!(
        err,
        Error::BufferLength {
            buffer: Buffer::OptimizerState,
            needed: 2 * n,
            given: n
        }
    );
    let fused = dynamic::FusedTrainer::new(
        Topology::new(4, &MAXOUT).unwrap(),
        FusedBuffers {
            optimizer_state: &mut [],
            cache: &mut [],
        },
        LossKind::SoftmaxCrossEntropy,
        Sgd,
    );
    assert_eq!(fused.unwrap_err(), Error::InvalidLayer { layer: 0 });
    // A fused loss behind a sigmoid output.
    let xor = Topology::new(2, &XOR).unwrap();
    let mut cache = vec![0.0; xor.cache_len(1).unwrap()];
    let fused = dynamic::FusedTrainer::new(
        xor,
        FusedBuffers {
            optimizer_state: &mut [],
            cache: &mut cache,
        },
        LossKind::SigmoidBinaryCrossEntropy,
        Sgd,
    );
    assert_eq!(fused.unwrap_err(), Error::LossMismatch);
}

#[test]
fn bad_input_changes_nothing() {
    let topology = Topology::new(64, &DIGITS).unwrap();
    let n = topology.params_len();
    let mut params = vec![0.0; n];
    let mut net = Network::new(topology, &mut params).unwrap();
    net.init(Init::Xavier, &mut seeded(1));
    let mut grads = vec![0.0; n];
    let mut state = vec![0.0; 2 * n];
    let mut cache = vec![0.0; topology.cache_len(2).unwrap()];
    let buffers = Buffers {
        gradients: &mut grads,
        optimizer_state: &mut state,
        cache: &mut cache,
        winners: &mut [],
    };
    let mut run = dynamic::Trainer::new(
        topology,
        buffers,
        2,
        LossKind::SoftmaxCrossEntropy,
        Adam::PYTORCH,
    )
    .unwrap();
    let x = vec![0.5; 128];
    run.train_step(&mut net, &x, Targets::Labels(&[1, 2]), 0.01)
        .unwrap();
    let before = net.params().to_vec();
    let state_before = run.optimizer_state().to_vec();
    let mut bad = x.clone();
    bad[70] = f32::NAN;
    assert_eq!(
        run.train_step(&mut net, &bad, Targets::Labels(&[1, 2]), 0.01),
        Err(Error::NonFiniteInput { row: 1 })
    );
    assert_eq!(
        run.train_step(&mut net, &x, Targets::Labels(&[1, 10]), 0.01),
        Err(Error::LabelOutOfRange {
            row: 1,
            label: 10,
            classes: 10
        })
    );
    assert_eq!(
        run.train_step(&mut net, &x, Targets::Values(&[0.0; 20]), 0.01),
        Err(Error::LossMismatch)
    );
    assert_eq!(
        run.train_step(&mut net, &x[..100], Targets::Labels(&[1, 2]), 0.01),
        Err(Error::BufferLength {
            buffer: Buffer::Input,
            needed: 128,
            given: 100
        })
    );
    assert_eq!(
        run.train_step(&mut net, &vec![0.5; 192], Targets::Labels(&[1, 2, 3]), 0.01),
        Err(Error::BatchTooLarge {
            rows: 3,
            capacity: 2
        })
    );
    assert_eq!(
        run.train_step(&mut net, &x, Targets::Labels(&[1, 2]), f32::NAN),
        Err(Error::InvalidLearningRate)
    );
    assert_eq!(net.params(), &before[..]);
    assert_eq!(run.optimizer_state(), &state_before[..]);
    assert_eq!(run.steps(), 1);
}

#[test]
fn checkpoints_cross_between_the_front_ends() {
    use microprop::checkpoint;
    type Net = MaxoutNet;
    let topology = Topology::new(4, &MAXOUT).unwrap();
    let mut typed = Net::ZERO;
    typed.init(Init::Xavier, &mut seeded(9));
    let mut trainer =
        Trainer::<Net, SoftmaxCrossEntropy, Adam, 2>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    let (x, labels, _) = data(4, 3, 2, 31);
    let typed_x = [
        <[f32; 4]>::try_from(&x[..4]).unwrap(),
        <[f32; 4]>::try_from(&x[4..]).unwrap(),
    ];
    trainer
        .train_step(&mut typed, &typed_x, &labels, 0.01)
        .unwrap();

    // Typed -> run-time, with the optimizer state and step count.
    let mut blob = vec![0u8; checkpoint::training_len::<Net, Adam>()];
    let len = checkpoint::save_training(&typed, &trainer, &mut blob).unwrap();
    assert_eq!(
        len,
        checkpoint::network_len(&topology, Some(2 * topology.params_len()))
    );
    let mut specs = [LayerSpec::dense(1, Id); 4];
    assert_eq!(checkpoint::layers(&blob, &mut specs).unwrap(), (4, 4));
    assert_eq!(specs, MAXOUT);
    let loaded = Topology::new(4, &specs).unwrap();
    let mut params = vec![0.0; loaded.params_len()];
    let mut net = Network::new(loaded, &mut params).unwrap();
    let mut state = vec![0.0; 2 * loaded.params_len()];
    let mut steps = 0;
    checkpoint::load_network_training(&mut net, &mut state, &mut steps, &blob).unwrap();
    assert_eq!(steps, 1);
    assert_eq!(slice_bits(net.params()), bits(&typed));

    // Both continue and stay equal.
    let (mut grads, mut cache) = (
        vec![0.0; loaded.params_len()],
        vec![0.0; loaded.cache_len(2).unwrap()],
    );
    let mut winners = vec![0; loaded.winners_len(2).unwrap()];
    let buffers = Buffers {
        gradients: &mut grads,
        optimizer_state: &mut state,
        cache: &mut cache,
        winners: &mut winners,
    };
    let mut run = dynamic::Trainer::new(
        loaded,
        buffers,
        2,
        LossKind::SoftmaxCrossEntropy,
        Adam::PYTORCH,
    )
    .unwrap();
    run.set_steps(steps);
    trainer
        .train_step(&mut typed, &typed_x, &labels, 0.01)
        .unwrap();
    run.train_step(&mut net, &x, Targets::Labels(&labels), 0.01)
        .unwrap();
    assert_eq!(slice_bits(net.params()), bits(&typed));

    // Run-time -> typed: the very same bytes.
    let mut again = vec![0u8; blob.len()];
    checkpoint::save_network_training(&net, run.optimizer_state(), run.steps(), &mut again)
        .unwrap();
    let mut blob2 = vec![0u8; blob.len()];
    checkpoint::save_training(&typed, &trainer, &mut blob2).unwrap();
    assert_eq!(again, blob2);
    let mut copy = Net::ZERO;
    checkpoint::load(&mut copy, &again).unwrap();
    assert_eq!(bits(&copy), bits(&typed));

    // A checkpoint of another shape is refused and changes nothing.
    let before = net.params().to_vec();
    let mut other = vec![0u8; checkpoint::params_len::<Digits>()];
    checkpoint::save(&Digits::ZERO, &mut other).unwrap();
    let err = checkpoint::load_network(&mut net, &other).unwrap_err();
    assert!(
        matches!(
            err,
            checkpoint::CheckpointError::ArchitectureMismatch { .. }
        ),
        "{err}"
    );
    assert_eq!(net.params(), &before[..]);
    // A state buffer of the wrong length is refused too.
    let mut short = vec![0.0; 3];
    let err =
        checkpoint::load_network_training(&mut net, &mut short, &mut steps, &blob).unwrap_err();
    assert!(matches!(
        err,
        checkpoint::CheckpointError::OptimizerStateMismatch { .. }
    ));
    assert_eq!(net.params(), &before[..]);
}

type Iris = network![Dense<4, 16, Tanh>, Dense<16, 3, Identity>];
const IRIS: [LayerSpec; 2] = [
    LayerSpec::dense(16, ActivationKind::Tanh),
    LayerSpec::dense(3, Id),
];
type Mnist = network![Dense<784, 32, Tanh>, Dense<32, 10, Identity>];
const MNIST: [LayerSpec; 2] = [
    LayerSpec::dense(32, ActivationKind::Tanh),
    LayerSpec::dense(10, Id),
];
type XorTanh = network![Dense<2, 8, Tanh>, Dense<8, 1, Identity>];
const XOR_TANH: [LayerSpec; 2] = [
    LayerSpec::dense(8, ActivationKind::Tanh),
    LayerSpec::dense(1, Id),
];
type CheckpointNet = network![Dense<4, 6, Tanh>, Maxout<6, 5, 2>, Dense<5, 3, Identity>];
const CHECKPOINT_NET: [LayerSpec; 3] = [
    LayerSpec::dense(6, ActivationKind::Tanh),
    LayerSpec::maxout(5, 2),
    LayerSpec::dense(3, Id),
];
type AllMaxout = network![Maxout<3, 4, 3>, Maxout<4, 4, 2>, Maxout<4, 2, 2>];
const ALL_MAXOUT: [LayerSpec; 3] = [
    LayerSpec::maxout(4, 3),
    LayerSpec::maxout(4, 2),
    LayerSpec::maxout(2, 2),
];
type ReluSigmoid = network![Dense<4, 7, Relu>, Dense<7, 6, Sigmoid>, Dense<6, 3, Identity>];
const RELU_SIGMOID: [LayerSpec; 3] = [
    LayerSpec::dense(7, ReluKind),
    LayerSpec::dense(6, ActivationKind::Sigmoid),
    LayerSpec::dense(3, Id),
];

/// The other network shapes of the test suite (host-sim's models, the
/// checkpoint tests, the gradient checks), with SGD and Adam.
#[test]
fn the_other_shapes_of_the_test_suite_match() {
    check_inference::<Iris>(&IRIS);
    check_inference::<Mnist>(&MNIST);
    check_inference::<XorTanh>(&XOR_TANH);
    check_inference::<CheckpointNet>(&CHECKPOINT_NET);
    check_inference::<AllMaxout>(&ALL_MAXOUT);
    check_inference::<ReluSigmoid>(&RELU_SIGMOID);
    for_each_optimizer!(|_, o, _| {
        check_trainer::<Iris, _, _>(&IRIS, SoftmaxCrossEntropy, o, None);
        check_trainer::<XorTanh, _, _>(&XOR_TANH, MeanSquaredError, o, None);
        check_trainer::<CheckpointNet, _, _>(&CHECKPOINT_NET, SoftmaxCrossEntropy, o, None);
        check_trainer::<AllMaxout, _, _>(&ALL_MAXOUT, MeanSquaredError, o, None);
        check_trainer::<ReluSigmoid, _, _>(&RELU_SIGMOID, SigmoidBinaryCrossEntropy, o, None);
        check_fused::<Iris, _, _>(&IRIS, SoftmaxCrossEntropy, o);
        check_fused::<ReluSigmoid, _, _>(&RELU_SIGMOID, MeanSquaredError, o);
    });
    check_trainer::<Mnist, _, _>(&MNIST, SoftmaxCrossEntropy, Adam::PYTORCH, None);
    check_fused::<Mnist, _, _>(&MNIST, SoftmaxCrossEntropy, Adam::PYTORCH);
}

type SigmoidOutput = network![Dense<4, 7, Tanh>, Dense<7, 3, Sigmoid>];
const SIGMOID_OUTPUT: [LayerSpec; 2] = [
    LayerSpec::dense(7, ActivationKind::Tanh),
    LayerSpec::dense(3, ActivationKind::Sigmoid),
];

/// The losses on soft targets and on probabilities train the same bits in
/// both front ends.
#[test]
fn soft_target_and_probability_losses_match() {
    check_inference::<SigmoidOutput>(&SIGMOID_OUTPUT);
    for_each_optimizer!(|_, o, _| {
        check_trainer::<Iris, _, _>(&IRIS, SoftTargetCrossEntropy, o, None);
        check_trainer::<SigmoidOutput, _, _>(&SIGMOID_OUTPUT, BinaryCrossEntropy, o, None);
        check_fused::<Iris, _, _>(&IRIS, SoftTargetCrossEntropy, o);
        check_fused::<SigmoidOutput, _, _>(&SIGMOID_OUTPUT, BinaryCrossEntropy, o);
    });
}

#[test]
fn probability_losses_refuse_the_wrong_output_activation() {
    let refused = |layers: &[LayerSpec], loss: LossKind| {
        let topology = Topology::new(4, layers).unwrap();
        let mut cache = vec![0.0; topology.cache_len(1).unwrap()];
        let buffers = FusedBuffers {
            optimizer_state: &mut [],
            cache: &mut cache,
        };
        dynamic::FusedTrainer::new(topology, buffers, loss, Sgd).err()
    };
    assert_eq!(refused(&SIGMOID_OUTPUT, LossKind::BinaryCrossEntropy), None);
    assert_eq!(
        refused(&IRIS, LossKind::BinaryCrossEntropy),
        Some(Error::LossMismatch)
    );
    assert_eq!(
        refused(&SIGMOID_OUTPUT, LossKind::SoftTargetCrossEntropy),
        Some(Error::LossMismatch)
    );
}
