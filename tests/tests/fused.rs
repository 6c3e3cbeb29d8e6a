//! The fused batch-1 step (`FusedTrainer`, no gradient buffer) gives the
//! same bits as `Trainer::train_step` with batch capacity 1, for every
//! optimizer, and refuses bad steps without changing anything.

use microprop::init::{Init, seeded};
use microprop::{
    Adam, Dense, Error, Fusable, FusedTrainer, Identity, Layer, LeakyRelu, MeanSquaredError,
    Optimizer, Parameters, Relu, Sgd, Sigmoid, SoftmaxCrossEntropy, Tanh, Trainer, network,
};
use microprop_sim::data::bundled::{BundledData, checkout_data_dir};
use microprop_sim::demo::{self, DemoConfig};
use microprop_tests::for_each_optimizer;
use microprop_tests::params::bits;

type Digits = network![Dense<64, 32, Tanh>, Dense<32, 10, Identity>];
type Deep = network![
    Dense<3, 9, Relu>,
    Dense<9, 7, LeakyRelu>,
    Dense<7, 5, Sigmoid>,
    Dense<5, 2, Identity>
];

/// Trains `net` on `rows`, one row a step, both ways, comparing the
/// weights, the optimizer state and the step statistics after every step.
fn same_bits<N, L, O>(
    what: &str,
    net: N,
    loss: L,
    optimizer: O,
    rows: &[(N::Input, L::Target)],
    lr: f32,
) where
    N: Fusable + Clone,
    L: microprop::Loss<N::Output> + microprop::AcceptsActivation<N::OutputActivation> + Clone,
    O: Optimizer + Clone,
    O::State<N::Grads>: Parameters,
{
    let mut unfused_net = net.clone();
    let mut fused_net = net;
    let mut unfused = Box::new(Trainer::<N, L, O, 1>::new(loss.clone(), optimizer.clone()));
    let mut fused = Box::new(FusedTrainer::<N, L, O>::new(loss, optimizer));
    for (step, (x, y)) in rows.iter().enumerate() {
        let a = unfused
            .train_step(
                &mut unfused_net,
                core::slice::from_ref(x),
                core::slice::from_ref(y),
                lr,
            )
            .unwrap();
        let b = fused.train_step(&mut fused_net, x, y, lr).unwrap();
        assert_eq!(
            a.loss.to_bits(),
            b.loss.to_bits(),
            "{what}: loss at step {step}"
        );
        assert_eq!(a.correct, b.correct, "{what}: step {step}");
        assert_eq!(
            bits(&fused_net),
            bits(&unfused_net),
            "{what}: weights after step {step}"
        );
        assert_eq!(
            bits(fused.optimizer_state()),
            bits(unfused.optimizer_state()),
            "{what}: optimizer state after step {step}"
        );
    }
    assert_eq!(fused.steps(), unfused.steps());
}

/// [`same_bits`] for every optimizer configuration, adaptive ones at a
/// tenth of `lr`.
fn run_all<N, L>(name: &str, net: &N, loss: L, rows: &[(N::Input, L::Target)], lr: f32)
where
    N: Fusable + Clone,
    L: microprop::Loss<N::Output> + microprop::AcceptsActivation<N::OutputActivation> + Clone,
{
    for_each_optimizer!(|label, optimizer, adaptive| {
        let what = format!("{name}, {label}");
        let lr = if adaptive { lr / 10.0 } else { lr };
        same_bits(&what, net.clone(), loss.clone(), optimizer, rows, lr)
    });
}

#[test]
fn fused_step_equals_the_unfused_step_bit_for_bit_on_digits() {
    let (train, _) = demo::load_digits(
        &BundledData::folder(checkout_data_dir()),
        &DemoConfig::default(),
    )
    .unwrap();
    let rows: Vec<([f32; 64], usize)> = train
        .features
        .iter()
        .copied()
        .zip(train.labels.iter().copied())
        .take(150)
        .collect();
    let mut net = Digits::ZERO;
    net.init(Init::Xavier, &mut seeded(11));
    run_all("digits 64-32-10", &net, SoftmaxCrossEntropy, &rows, 0.1);
}

#[test]
fn fused_step_equals_the_unfused_step_bit_for_bit_on_a_deep_regression() {
    // Inputs of mixed magnitude and sign, zeros included (dead ReLUs, -0
    // products), so the rounding and the signs of zero are exercised.
    let mut rng = seeded(5);
    let rows: Vec<([f32; 3], [f32; 2])> = (0..120)
        .map(|i| {
            let x = [
                Init::Normal {
                    mean: 0.0,
                    std: 2.0,
                }
                .sample(1, 1, &mut rng),
                if i % 4 == 0 {
                    0.0
                } else {
                    Init::Normal {
                        mean: 0.0,
                        std: 0.1,
                    }
                    .sample(1, 1, &mut rng)
                },
                (i as f32 * 0.37).sin() * 30.0,
            ];
            (
                [x[0], x[1], x[2]],
                [x[0] * x[2] * 0.01, (x[1] - x[0]).tanh()],
            )
        })
        .collect();
    let mut net = Deep::ZERO;
    net.init(Init::HeNormal, &mut seeded(8));
    run_all("deep 3-9-7-5-2", &net, MeanSquaredError, &rows, 0.02);
}

#[test]
fn a_refused_fused_step_changes_nothing() {
    let (train, _) = demo::load_digits(
        &BundledData::folder(checkout_data_dir()),
        &DemoConfig::default(),
    )
    .unwrap();
    let mut net = Digits::ZERO;
    net.init(Init::Xavier, &mut seeded(2));
    let mut trainer = Box::new(FusedTrainer::<Digits, _, _>::new(
        SoftmaxCrossEntropy,
        Adam::PYTORCH,
    ));
    for (x, &y) in train.features.iter().zip(&train.labels).take(5) {
        trainer.train_step(&mut net, x, &y, 1e-3).unwrap();
    }
    let (weights, state, steps) = (bits(&net), bits(trainer.optimizer_state()), trainer.steps());
    let unchanged = |net: &Digits, trainer: &FusedTrainer<Digits, SoftmaxCrossEntropy, Adam>| {
        assert_eq!(bits(net), weights);
        assert_eq!(bits(trainer.optimizer_state()), state);
        assert_eq!(trainer.steps(), steps);
    };
    let x = train.features[0];

    let mut bad = x;
    bad[17] = f32::NAN;
    assert_eq!(
        trainer.train_step(&mut net, &bad, &3, 1e-3),
        Err(Error::NonFiniteInput { row: 0 })
    );
    unchanged(&net, &trainer);

    assert_eq!(
        trainer.train_step(&mut net, &x, &10, 1e-3),
        Err(Error::LabelOutOfRange {
            row: 0,
            label: 10,
            classes: 10
        })
    );
    unchanged(&net, &trainer);

    for lr in [f32::NAN, -1.0, f32::INFINITY] {
        assert_eq!(
            trainer.train_step(&mut net, &x, &3, lr),
            Err(Error::InvalidLearningRate)
        );
        unchanged(&net, &trainer);
    }

    // A finite step that overflows a weight (target 1e18, learning rate
    // 1e25): refused, nothing written.
    let mut deep = Deep::ZERO;
    deep.init(Init::HeNormal, &mut seeded(3));
    let mut sgd = Box::new(FusedTrainer::<Deep, _, _>::new(MeanSquaredError, Sgd));
    let before = bits(&deep);
    let result = sgd.train_step(&mut deep, &[0.5, -1.0, 2.0], &[1e18, 0.0], 1e25);
    assert_eq!(result, Err(Error::NonFiniteGradient));
    assert_eq!(bits(&deep), before);
    assert_eq!(sgd.steps(), 0);
}

#[test]
fn the_fused_trainer_holds_no_gradient() {
    type Fused = FusedTrainer<Digits, SoftmaxCrossEntropy, Adam>;
    type Unfused = Trainer<Digits, SoftmaxCrossEntropy, Adam, 1>;
    let params = size_of::<Digits>();
    assert_eq!(params, 2410 * 4);
    assert_eq!(Fused::MEMORY.gradients, 0);
    assert_eq!(Fused::MEMORY.optimizer_state, 2 * params);
    // Parameters + moments + one row of activations per layer and the
    // junction row: 3x the parameters plus 74 floats.
    assert_eq!(Fused::MEMORY.caches, (32 + 10 + 32) * 4);
    let overhead = Fused::MEMORY.total - (3 * params + Fused::MEMORY.caches);
    assert!(
        overhead <= 64,
        "{overhead} bytes besides weights, moments and rows"
    );
    assert!(Unfused::MEMORY.total >= Fused::MEMORY.total + params);
}

/// Fine-tuning layers in the fused step: a frozen backbone, a frozen layer
/// between trainable ones, bias-only layers and a backbone in flash give
/// the unfused step's bits with every optimizer, and the optimizer state
/// covers only what trains.
#[test]
fn fused_step_equals_the_unfused_step_with_frozen_and_bias_only_layers() {
    use microprop::layer::FlashWeights;
    use microprop::{BiasOnly, Flash, Frozen};
    type Backbone = network![Dense<3, 6, Tanh>, Dense<6, 4, Relu>];
    type Head = Dense<4, 2, Identity>;
    type Front = network![Frozen<Backbone>, Head];
    type Middle = network![Dense<3, 6, Tanh>, Frozen<Dense<6, 4, Relu>>, Head];
    type Tiny = network![
        BiasOnly<Dense<3, 6, Tanh>>,
        BiasOnly<Dense<6, 4, Relu>>,
        Head
    ];
    static PRETRAINED: Backbone = microprop::Chain::new(
        Dense::from_params(
            [
                [0.5, -0.25, 0.75, -1.0, 0.125, 0.25],
                [-0.5, 1.0, 0.25, 0.5, -0.75, 0.375],
                [0.25, 0.5, -0.5, 0.75, 1.0, -0.125],
            ],
            [0.1, -0.1, 0.2, -0.2, 0.05, 0.0],
        ),
        Dense::from_params(
            [
                [0.5, -0.5, 0.25, 1.0],
                [-0.25, 0.75, 0.5, -1.0],
                [1.0, 0.25, -0.75, 0.5],
                [0.125, -0.5, 1.0, 0.25],
                [-1.0, 0.5, 0.25, -0.25],
                [0.25, 0.125, -0.5, 0.75],
            ],
            [0.0, 0.1, -0.1, 0.2],
        ),
    );
    struct Pretrained;
    impl FlashWeights for Pretrained {
        type Layer = Backbone;
        const LAYER: &'static Backbone = &PRETRAINED;
    }
    type InFlash = network![Flash<Pretrained>, Head];

    let rows: Vec<([f32; 3], [f32; 2])> = (0..60)
        .map(|i| {
            let t = i as f32 * 0.37;
            let x = [
                t.sin() * 2.0,
                (t * 1.3).cos(),
                if i % 5 == 0 { 0.0 } else { t.cos() },
            ];
            (x, [x[0] * x[2] * 0.5, (x[1] - x[0]).tanh()])
        })
        .collect();
    let mut full = <network![Backbone, Head]>::ZERO;
    full.init(Init::HeNormal, &mut seeded(12));
    full.first = PRETRAINED;
    let flat = microprop_tests::params::flat(&full);
    let mut front = Front::ZERO;
    front.copy_from(&flat).unwrap();
    let mut middle = Middle::ZERO;
    middle.copy_from(&flat).unwrap();
    let mut tiny = Tiny::ZERO;
    tiny.copy_from(&flat).unwrap();
    let mut flash = InFlash::ZERO;
    flash.second = full.second;
    run_all("frozen front", &front, MeanSquaredError, &rows, 0.05);
    run_all("frozen middle", &middle, MeanSquaredError, &rows, 0.05);
    run_all("bias only", &tiny, MeanSquaredError, &rows, 0.05);
    run_all("flash front", &flash, MeanSquaredError, &rows, 0.05);

    type FusedFront = FusedTrainer<Front, MeanSquaredError, Adam>;
    type FusedFull = FusedTrainer<network![Backbone, Head], MeanSquaredError, Adam>;
    assert_eq!(FusedFront::MEMORY.optimizer_state, 2 * Head::LEN * 4);
    assert_eq!(
        FusedFull::MEMORY.optimizer_state - FusedFront::MEMORY.optimizer_state,
        2 * Backbone::LEN * 4
    );
}
