//! Finite-difference gradient checks of microprop's backpropagation.
//!
//! For every case the test
//!
//! 1. builds a microprop network, draws its weights from a seeded [`Init`] and
//!    overwrites every bias with a random non-zero value (so bias gradients
//!    are exercised too);
//! 2. reads the f32 parameters out through [`Parameters::slices`] and converts
//!    them to f64;
//! 3. evaluates the mean batch loss with an **independent f64 reference**
//!    ([`microprop_tests::reference`]: plain `Vec<f64>` loops, its own
//!    activations, maxout and losses — nothing from microprop but the
//!    parameter order) and differentiates it numerically by central
//!    differences ([`microprop_tests::finite_difference`]);
//! 4. compares that with microprop's analytic gradient, `trainer.gradient_sum()`
//!    after `zero_grad(); accumulate(..)`, divided by the number of rows
//!    (the buffer holds the *sum* over rows);
//! 5. also compares microprop's forward outputs ([`Trainer::forward`] and
//!    [`Inference::predict`]) and batch loss with the reference.
//!
//! Parameter order (see [`microprop_tests::params`]): a `Dense<I, O>` yields
//! `weights[i][o]` input-major, row by row, then `bias[o]`; a
//! `Maxout<I, O, K>` yields `weights[o][k][i]`, then `bias[o][k]`; a chain
//! yields its layers front to back. The reference reads the flat parameter
//! vector in that order.
//!
//! Kinks: ReLU, Leaky ReLU, ELU (alpha != 1) and maxout are not differentiable
//! everywhere. The reference records, over all rows, the smallest distance of
//! a ReLU-family pre-activation from 0 and the smallest gap between the two
//! best maxout pieces; every check asserts that this margin is at least
//! `KINK_MARGIN` = 1e-4 (the finite-difference step moves a pre-activation by
//! about 1e-6 · |input|, and f32 rounding by ~1e-6), so neither the
//! difference quotient nor f32-vs-f64 rounding can cross a kink. If a future
//! change of seed or shape lands closer, the test says so and another seed
//! must be picked; none of the seeds below does.

use microprop::{
    AcceptsActivation, Activation, ActivationKind, Chain, Dense, Elu, Identity, Inference, Init,
    Layer, LeakyRelu, Loss, Maxout, MeanSquaredError, Relu, Row, Sgd, Sigmoid,
    SigmoidBinaryCrossEntropy, Softmax, SoftmaxCrossEntropy, Tanh, Trainer, init::seeded, network,
};
use microprop_tests::finite_difference::numerical_gradient;
use microprop_tests::params::{flat, set_flat};
use microprop_tests::reference::{
    Act, AsRefLoss, AsRefTarget, RefLayer, RefLoss, RefNet, RefTarget, batch_loss, dense, maxout,
    to_f64,
};

// ---------------------------------------------------------------------------
// Tolerances
// ---------------------------------------------------------------------------

/// Analytic (f32) vs numerical (f64) gradient: pass if
/// `|a - n| <= GRAD_RTOL * |n| + GRAD_ATOL`.
///
/// The numerical gradient is exact to ~1e-9: f64 central differences with a
/// step h = 1e-6 have truncation error ~h² · |L'''| ≈ 1e-12 and rounding
/// error ~1e-16 / h ≈ 1e-10, and the reference evaluates exactly the f32
/// weights and inputs microprop sees (converted to f64 losslessly). So the
/// whole difference is microprop's f32 rounding: epsilon 1.2e-7 times the sum
/// of the magnitudes of the terms each gradient entry accumulates (rows ×
/// output units × products along up to eight layers, all O(1) here), i.e. a
/// few 1e-7 absolute. Measured worst case over every check in this file:
/// 6e-7 absolute, never more than 4% of the tolerance below, so 1e-4
/// relative plus 1e-5 absolute leaves a >20x margin, while any real mistake
/// (a missing 1/O or 1/rows, a wrong derivative, a gradient sent to the wrong
/// piece, row or layer) is of the order of |n| itself and far outside it.
/// (The looser 1e-3 · max(1, |n|) would let wrong gradients of size 1e-3
/// through, and the deep network has such gradients.)
const GRAD_RTOL: f64 = 1e-4;
/// See [`GRAD_RTOL`].
const GRAD_ATOL: f64 = 1e-5;

/// A layer whose largest |numerical gradient| is below this would make the
/// check vacuous (it would pass on the absolute term alone): 20x `GRAD_ATOL`.
/// The smallest observed per-layer maximum is 6e-4 (first layer of the deep
/// net, one row).
const NON_VACUOUS: f64 = 20.0 * GRAD_ATOL;

/// microprop's f32 forward output and loss vs the f64 reference:
/// `|a - r| <= FWD_TOL * max(1, |r|)`. A forward pass through up to eight
/// layers of width <= 8 accumulates a few hundred f32 roundings of O(1)
/// values; measured worst case 2.7e-7, so 1e-5 leaves a >30x margin.
const FWD_TOL: f64 = 1e-5;

/// Minimum distance of any ReLU-family pre-activation from 0 and any maxout
/// winner from its runner-up (see the module docs).
const KINK_MARGIN: f64 = 1e-4;

// ---------------------------------------------------------------------------
// Bridging microprop and the reference
// ---------------------------------------------------------------------------

/// Asserts the microprop network has the reference's layer structure.
fn assert_same_structure<N: Layer>(name: &str, net: &N, spec: &RefNet) {
    let mut shapes = Vec::new();
    net.visit_shapes(0, &mut |s| shapes.push(s));
    assert_eq!(shapes.len(), spec.layers.len(), "{name}: layer count");
    for (s, &l) in shapes.iter().zip(spec.layers) {
        let (i, o, k, kind) = match l {
            RefLayer::Dense { i, o, act } => (i, o, 1, act.kind()),
            RefLayer::Maxout { i, o, k } => (i, o, k, ActivationKind::Identity),
        };
        assert_eq!(
            (s.inputs, s.outputs, s.pieces, s.activation),
            (i, o, k, kind),
            "{name}: layer {} differs from the reference",
            s.index
        );
    }
    assert_eq!(N::LEN, spec.param_count(), "{name}: parameter count");
}

/// Draws the weights with `init` from `seed` and sets every bias to a random
/// value in ±[0.05, 0.5] (non-zero, so bias gradients are exercised).
fn initialised<N: Layer>(mut net: N, spec: &RefNet, init: Init, seed: u64) -> N {
    let mut rng = seeded(seed);
    net.init(init, &mut rng);
    let mut p = flat(&net);
    for b in spec.bias_indices() {
        let mag = 0.05 + 0.45 * microprop::init::unit_uniform(&mut rng);
        let sign = if rng_bit(&mut rng) { 1.0 } else { -1.0 };
        p[b] = sign * mag;
    }
    set_flat(&mut net, &p);
    net
}

fn rng_bit(rng: &mut microprop::init::SeededRng) -> bool {
    microprop::init::unit_uniform(rng) < 0.5
}

/// `n` rows of `R` with entries uniform in [lo, hi).
fn uniform_rows<R: Row>(n: usize, lo: f32, hi: f32, seed: u64) -> Vec<R> {
    let mut rng = seeded(seed);
    (0..n)
        .map(|_| {
            let mut r = R::ZERO;
            for v in r.as_mut_slice() {
                *v = lo + (hi - lo) * microprop::init::unit_uniform(&mut rng);
            }
            r
        })
        .collect()
}

/// `n` class labels in 0..classes, covering several classes.
fn labels(n: usize, classes: usize, seed: u64) -> Vec<usize> {
    (0..n).map(|r| (r * 7 + seed as usize) % classes).collect()
}

/// Binary targets: mostly 0/1, with some soft targets in between.
fn binary_targets<R: Row>(n: usize, seed: u64) -> Vec<R> {
    let mut rows: Vec<R> = uniform_rows(n, 0.0, 1.0, seed);
    for (r, row) in rows.iter_mut().enumerate() {
        for (j, v) in row.as_mut_slice().iter_mut().enumerate() {
            if (r + j) % 3 != 0 {
                *v = v.round();
            }
        }
    }
    rows
}

// ---------------------------------------------------------------------------
// The check
// ---------------------------------------------------------------------------

/// Checks microprop's forward pass, loss and gradient against the reference
/// for the first `rows` rows of `x`/`y`, with a trainer of capacity `B`
/// (passed in so that one trainer, whose caches still hold earlier batches,
/// is reused across row counts: stale rows must not leak into a smaller
/// batch).
#[allow(clippy::too_many_arguments)]
fn check_rows<N, L, const B: usize>(
    name: &str,
    net: &N,
    spec: &RefNet,
    trainer: &mut Trainer<N, L, Sgd, B>,
    x: &[N::Input],
    y: &[L::Target],
) where
    N: Layer,
    L: Loss<N::Output> + AcceptsActivation<N::OutputActivation> + AsRefLoss,
    L::Target: AsRefTarget,
{
    let rows = x.len();
    let name = format!("{name} (B = {B}, rows = {rows})");
    let params = to_f64(&flat(net));
    let xr: Vec<Vec<f64>> = x.iter().map(|r| to_f64(r.as_slice())).collect();
    let yr: Vec<RefTarget> = y.iter().map(AsRefTarget::to_ref).collect();

    // Forward outputs.
    let mut margin = f64::INFINITY;
    let ref_out: Vec<Vec<f64>> = xr
        .iter()
        .map(|r| spec.forward(&params, r, &mut margin))
        .collect();
    assert!(
        margin >= KINK_MARGIN,
        "{name}: an input lies within {margin:e} of a ReLU/maxout kink; pick another seed"
    );
    let outs = trainer.forward(net, x).expect("forward");
    assert_eq!(outs.len(), rows, "{name}: output rows");
    let mut run = Inference::<N>::new();
    for (r, (out, want)) in outs.iter().zip(&ref_out).enumerate() {
        let predicted = run.predict(net, &x[r]).expect("predict");
        for (j, w) in want.iter().enumerate() {
            let (t, p) = (out.as_slice()[j], predicted.as_slice()[j]);
            for (what, got) in [("Trainer::forward", t), ("Inference::predict", p)] {
                assert!(
                    (f64::from(got) - w).abs() <= FWD_TOL * w.abs().max(1.0),
                    "{name}: {what} row {r} output {j}: microprop {got}, reference {w}"
                );
            }
        }
    }

    // Loss and analytic gradient.
    trainer.zero_grad();
    let stats = trainer.accumulate(net, x, y).expect("accumulate");
    assert_eq!(trainer.accumulated_rows() as usize, rows, "{name}");
    let (ref_loss, _) = batch_loss(spec, L::REF, &params, &xr, &yr);
    assert!(
        (f64::from(stats.loss) - ref_loss).abs() <= FWD_TOL * ref_loss.abs().max(1.0),
        "{name}: loss: microprop {}, reference {ref_loss}",
        stats.loss
    );
    let analytic: Vec<f64> = flat(trainer.gradient_sum())
        .iter()
        .map(|&g| f64::from(g) / rows as f64)
        .collect();
    let numerical = numerical_gradient(spec, L::REF, &params, &xr, &yr);
    assert_gradients_match(&name, spec, &analytic, &numerical);
}

/// The comparison itself, with a message naming layer and parameter.
fn assert_gradients_match(name: &str, spec: &RefNet, analytic: &[f64], numerical: &[f64]) {
    assert_eq!(analytic.len(), numerical.len(), "{name}: gradient length");
    for (p, (&a, &n)) in analytic.iter().zip(numerical).enumerate() {
        let (layer_index, layer, q) = spec.locate(p);
        assert!(
            (a - n).abs() <= GRAD_RTOL * n.abs() + GRAD_ATOL,
            "{name}: gradient mismatch at layer {layer_index} ({layer:?}) {} \
             (flat index {p}): microprop {a:e}, finite difference {n:e}",
            layer.param_name(q)
        );
    }
    // The check must not pass vacuously: some gradient of every layer is
    // far above the absolute tolerance.
    let mut start = 0;
    for (layer_index, layer) in spec.layers.iter().enumerate() {
        let largest = numerical[start..start + layer.param_count()]
            .iter()
            .fold(0.0_f64, |m, v| m.max(v.abs()));
        assert!(
            largest > NON_VACUOUS,
            "{name}: layer {layer_index} has only tiny gradients (max {largest:e}); \
             the check would be vacuous"
        );
        start += layer.param_count();
    }
}

/// Runs [`check_rows`] on all of `x`/`y` (a full batch if `x.len() == B`),
/// then on its last `x.len() - 1` rows (if more than one) and on its first
/// row alone, all with the same trainer.
fn check<N, L, const B: usize>(
    name: &str,
    net: &N,
    spec: &[RefLayer],
    loss: L,
    x: &[N::Input],
    y: &[L::Target],
) where
    N: Layer,
    L: Loss<N::Output> + AcceptsActivation<N::OutputActivation> + AsRefLoss,
    L::Target: AsRefTarget,
{
    let spec = RefNet { layers: spec };
    assert_same_structure(name, net, &spec);
    assert!(x.len() <= B && x.len() == y.len());
    let mut trainer = Trainer::<N, L, Sgd, B>::new(loss, Sgd);
    check_rows(name, net, &spec, &mut trainer, x, y);
    if x.len() > 2 {
        // Partial batch, after the full one filled every cache row.
        let part = x.len() - 1;
        check_rows(name, net, &spec, &mut trainer, &x[1..=part], &y[1..=part]);
    }
    if x.len() > 1 {
        check_rows(name, net, &spec, &mut trainer, &x[..1], &y[..1]);
    }
}

/// Same network, checked with all three losses on a full batch of 4, a
/// partial batch of 3 and a single row. The output layer must be
/// `Identity` with `O` outputs.
fn check_all_losses<N, const O: usize>(name: &str, net: &N, spec: &[RefLayer], seed: u64)
where
    N: Layer<Output = [f32; O], OutputActivation = Identity>,
{
    let x: Vec<N::Input> = uniform_rows(4, -1.5, 1.5, seed);
    let regression: Vec<[f32; O]> = uniform_rows(4, -1.0, 1.0, seed + 1);
    check::<N, _, 4>(
        &format!("{name}, MSE"),
        net,
        spec,
        MeanSquaredError,
        &x,
        &regression,
    );
    check::<N, _, 4>(
        &format!("{name}, softmax cross-entropy"),
        net,
        spec,
        SoftmaxCrossEntropy,
        &x,
        &labels(4, O, seed),
    );
    check::<N, _, 4>(
        &format!("{name}, sigmoid BCE"),
        net,
        spec,
        SigmoidBinaryCrossEntropy,
        &x,
        &binary_targets::<[f32; O]>(4, seed + 2),
    );
}

// ---------------------------------------------------------------------------
// Every activation as a hidden layer, and as an output with MSE
// ---------------------------------------------------------------------------

/// 3 → 5 (A) → 4 (A) → 2 (identity): A is differentiated both behind the
/// output layer and behind another A layer; all three losses.
type Hidden<A> = network![Dense<3, 5, A>, Dense<5, 4, A>, Dense<4, 2, Identity>];

/// 3 → 5 (tanh) → 3 (A) with MSE: A's derivative applied by the loss step.
type Output<A> = network![Dense<3, 5, Tanh>, Dense<5, 3, A>];

fn check_activation<A: Activation>(name: &str, act: A, reference: Act, seed: u64) {
    let spec = [
        dense(3, 5, reference),
        dense(5, 4, reference),
        dense(4, 2, Act::Identity),
    ];
    let net: Hidden<A> = Chain::new(
        Chain::new(Dense::with_activation(act), Dense::with_activation(act)),
        Dense::ZERO,
    );
    let net = initialised(net, &RefNet { layers: &spec }, Init::Xavier, seed);
    check_all_losses(&format!("hidden {name} 3-5-4-2"), &net, &spec, seed);

    let spec = [dense(3, 5, Act::Tanh), dense(5, 3, reference)];
    let net: Output<A> = Chain::new(Dense::ZERO, Dense::with_activation(act));
    let net = initialised(
        net,
        &RefNet { layers: &spec },
        Init::Uniform { limit: 0.8 },
        seed + 100,
    );
    let x: Vec<[f32; 3]> = uniform_rows(5, -2.0, 2.0, seed + 101);
    let y: Vec<[f32; 3]> = uniform_rows(5, -0.5, 1.0, seed + 102);
    check::<_, _, 6>(
        &format!("output {name} 3-5-3, MSE"),
        &net,
        &spec,
        MeanSquaredError,
        &x,
        &y,
    );
}

macro_rules! activation_tests {
    ($($test:ident: $act:expr => $reference:expr, seed $seed:literal;)*) => {$(
        #[test]
        fn $test() {
            check_activation(stringify!($test), $act, $reference, $seed);
        }
    )*};
}

activation_tests! {
    identity: Identity => Act::Identity, seed 1;
    sigmoid: Sigmoid => Act::Sigmoid, seed 2;
    tanh: Tanh => Act::Tanh, seed 3;
    relu: Relu => Act::Relu, seed 4;
    leaky_relu_default_slope: LeakyRelu::DEFAULT => Act::LeakyRelu(0.1), seed 5;
    leaky_relu_pytorch_slope: LeakyRelu::new(0.01) => Act::LeakyRelu(0.01), seed 6;
    elu_default_alpha: Elu::DEFAULT => Act::Elu(1.0), seed 7;
    elu_alpha_half: Elu::new(0.5) => Act::Elu(0.5), seed 8;
    softmax: Softmax => Act::Softmax, seed 9;
}

// ---------------------------------------------------------------------------
// Maxout
// ---------------------------------------------------------------------------

#[test]
fn maxout_k2_first_layer() {
    type Net = network![Maxout<3, 4, 2>, Dense<4, 2, Identity>];
    let spec = [maxout(3, 4, 2), dense(4, 2, Act::Identity)];
    let net = initialised(Net::ZERO, &RefNet { layers: &spec }, Init::Xavier, 11);
    check_all_losses("maxout K=2 first, 3-4-2", &net, &spec, 11);
}

#[test]
fn maxout_k3_first_layer() {
    type Net = network![Maxout<4, 5, 3>, Dense<5, 3, Identity>];
    let spec = [maxout(4, 5, 3), dense(5, 3, Act::Identity)];
    let net = initialised(
        Net::ZERO,
        &RefNet { layers: &spec },
        Init::Uniform { limit: 0.7 },
        12,
    );
    check_all_losses("maxout K=3 first, 4-5-3", &net, &spec, 12);
}

#[test]
fn maxout_k2_hidden_layer() {
    type Net = network![Dense<3, 5, Tanh>, Maxout<5, 4, 2>, Dense<4, 2, Identity>];
    let spec = [
        dense(3, 5, Act::Tanh),
        maxout(5, 4, 2),
        dense(4, 2, Act::Identity),
    ];
    let net = initialised(Net::ZERO, &RefNet { layers: &spec }, Init::Xavier, 13);
    check_all_losses("maxout K=2 hidden, 3-5-4-2", &net, &spec, 13);
}

#[test]
fn maxout_k3_hidden_layer() {
    type Net = network![Dense<4, 6, Sigmoid>, Maxout<6, 5, 3>, Dense<5, 3, Identity>];
    let spec = [
        dense(4, 6, Act::Sigmoid),
        maxout(6, 5, 3),
        dense(5, 3, Act::Identity),
    ];
    let net = initialised(
        Net::ZERO,
        &RefNet { layers: &spec },
        Init::Uniform { limit: 1.0 },
        14,
    );
    check_all_losses("maxout K=3 hidden, 4-6-5-3", &net, &spec, 14);
}

#[test]
fn maxout_behind_maxout_and_as_output() {
    // Maxout behind maxout (the earlier one's "activation" is the identity)
    // and maxout as the output layer under MSE.
    type Net = network![Maxout<3, 4, 3>, Maxout<4, 4, 2>, Maxout<4, 2, 2>];
    let spec = [maxout(3, 4, 3), maxout(4, 4, 2), maxout(4, 2, 2)];
    let net = initialised(Net::ZERO, &RefNet { layers: &spec }, Init::Xavier, 15);
    let x: Vec<[f32; 3]> = uniform_rows(8, -1.5, 1.5, 16);
    let y: Vec<[f32; 2]> = uniform_rows(8, -1.0, 1.0, 17);
    check::<_, _, 8>("maxout 3-4-4-2, MSE", &net, &spec, MeanSquaredError, &x, &y);
}

// ---------------------------------------------------------------------------
// Shapes and batch sizes
// ---------------------------------------------------------------------------

#[test]
fn shape_3_5_2() {
    type Net = network![Dense<3, 5, Tanh>, Dense<5, 2, Identity>];
    let spec = [dense(3, 5, Act::Tanh), dense(5, 2, Act::Identity)];
    let net = initialised(Net::ZERO, &RefNet { layers: &spec }, Init::Xavier, 21);
    check_all_losses("3-5-2 tanh", &net, &spec, 21);
}

#[test]
fn shape_4_7_6_3() {
    type Net = network![Dense<4, 7, Relu>, Dense<7, 6, Sigmoid>, Dense<6, 3, Identity>];
    let spec = [
        dense(4, 7, Act::Relu),
        dense(7, 6, Act::Sigmoid),
        dense(6, 3, Act::Identity),
    ];
    let net = initialised(
        Net::ZERO,
        &RefNet { layers: &spec },
        Init::Uniform { limit: 0.9 },
        22,
    );
    check_all_losses("4-7-6-3 relu/sigmoid", &net, &spec, 22);
}

/// Eight layers (seven hidden), every activation and a maxout on the way.
type Deep = network![
    Dense<4, 6, Tanh>,
    Dense<6, 6, Relu>,
    Dense<6, 6, LeakyRelu>,
    Dense<6, 6, Elu>,
    Dense<6, 6, Sigmoid>,
    Maxout<6, 6, 2>,
    Dense<6, 5, Tanh>,
    Dense<5, 3, Identity>,
];

const DEEP_SPEC: [RefLayer; 8] = [
    RefLayer::Dense {
        i: 4,
        o: 6,
        act: Act::Tanh,
    },
    RefLayer::Dense {
        i: 6,
        o: 6,
        act: Act::Relu,
    },
    RefLayer::Dense {
        i: 6,
        o: 6,
        act: Act::LeakyRelu(0.1),
    },
    RefLayer::Dense {
        i: 6,
        o: 6,
        act: Act::Elu(1.0),
    },
    RefLayer::Dense {
        i: 6,
        o: 6,
        act: Act::Sigmoid,
    },
    RefLayer::Maxout { i: 6, o: 6, k: 2 },
    RefLayer::Dense {
        i: 6,
        o: 5,
        act: Act::Tanh,
    },
    RefLayer::Dense {
        i: 5,
        o: 3,
        act: Act::Identity,
    },
];

fn deep_net() -> Deep {
    // Uniform(±1.2) keeps the signal alive through eight layers (sigmoid
    // alone scales gradients by <= 1/4).
    initialised(
        Deep::ZERO,
        &RefNet { layers: &DEEP_SPEC },
        Init::Uniform { limit: 1.2 },
        31,
    )
}

#[test]
fn deep_network_all_losses() {
    check_all_losses("deep 4-6x5-6-5-3", &deep_net(), &DEEP_SPEC, 31);
}

#[test]
fn deep_network_partial_batches() {
    let net = deep_net();
    let x: Vec<[f32; 4]> = uniform_rows(5, -1.0, 1.0, 32);
    let y: Vec<[f32; 3]> = uniform_rows(5, -1.0, 1.0, 33);
    // Capacity 8, 5 rows (then 4 and 1): never a full buffer.
    check::<_, _, 8>(
        "deep, B=8 partial",
        &net,
        &DEEP_SPEC,
        MeanSquaredError,
        &x,
        &y,
    );
    // Capacity 1: one row, the smallest trainer.
    check::<_, _, 1>(
        "deep, B=1",
        &net,
        &DEEP_SPEC,
        SoftmaxCrossEntropy,
        &x[..1],
        &[2],
    );
}

/// `accumulate` over two chunks, then divided by the total row count, is the
/// gradient of the mean over all rows (what `step` applies).
#[test]
fn accumulated_chunks_average_over_all_rows() {
    type Net = network![Dense<3, 5, Elu>, Dense<5, 4, Identity>];
    let spec = [dense(3, 5, Act::Elu(1.0)), dense(5, 4, Act::Identity)];
    let reference = RefNet { layers: &spec };
    let net = initialised(Net::ZERO, &reference, Init::Xavier, 41);
    let x: Vec<[f32; 3]> = uniform_rows(7, -1.0, 1.0, 42);
    let y = labels(7, 4, 43);

    let mut trainer = Trainer::<Net, _, _, 4>::new(SoftmaxCrossEntropy, Sgd);
    trainer.zero_grad();
    trainer.accumulate(&net, &x[..4], &y[..4]).unwrap();
    trainer.accumulate(&net, &x[4..], &y[4..]).unwrap();
    assert_eq!(trainer.accumulated_rows(), 7);
    let analytic: Vec<f64> = flat(trainer.gradient_sum())
        .iter()
        .map(|&g| f64::from(g) / 7.0)
        .collect();

    let params = to_f64(&flat(&net));
    let xr: Vec<Vec<f64>> = x.iter().map(|r| to_f64(r)).collect();
    let yr: Vec<RefTarget> = y.iter().map(AsRefTarget::to_ref).collect();
    let (_, margin) = batch_loss(&reference, RefLoss::SoftmaxCrossEntropy, &params, &xr, &yr);
    assert!(margin >= KINK_MARGIN, "ELU kink within {margin:e}");
    let numerical = numerical_gradient(&reference, RefLoss::SoftmaxCrossEntropy, &params, &xr, &yr);
    assert_gradients_match(
        "two chunks of 4 + 3 rows",
        &reference,
        &analytic,
        &numerical,
    );
}
