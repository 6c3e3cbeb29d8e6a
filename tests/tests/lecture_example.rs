//! The lecture's worked backpropagation example, by hand.
//!
//! A 2-input, 2-hidden, 2-output network without biases,
//!
//! ```text
//! z^(1) = W^(1) x,  h = σ(z^(1)),  z^(2) = W^(2) h,  o = σ(z^(2)),
//! L = 1/2 Σ_j (o_j - y_j)²            (microprop's MSE: 1/O Σ, O = 2)
//! ```
//!
//! The first-layer weight w22^(1) (lecture layout: W^(1) is k×d and z = W x,
//! so w22^(1) connects input 2 to hidden unit 2) influences the loss through
//! hidden unit h2, which feeds *both* outputs, so its derivative is the sum of
//! two chain-rule paths:
//!
//! ```text
//! dL/dw22^(1) = dL/do1 · do1/dz1^(2) · dz1^(2)/dh2 · dh2/dz2^(1) · dz2^(1)/dw22
//!             + dL/do2 · do2/dz2^(2) · dz2^(2)/dh2 · dh2/dz2^(1) · dz2^(1)/dw22
//! ```
//!
//! Every number below was worked out by hand (checked with python3 in f64)
//! and is hard-coded; microprop (f32) must reproduce them to 1e-6. f32 carries
//! ~7 significant digits and all values here are O(0.01..1), so 1e-6 absolute
//! is a few hundred ulp of slack, while dropping either path changes the
//! gradient by 0.03 or more.
//!
//! microprop stores a dense layer input-major (`weights[i][o]`, `z = x W`),
//! the transpose of the lecture's W: lecture `w_ki^(1)` is
//! `first.params.weights[i-1][k-1]`, so w22^(1) is `weights[1][1]`.

use microprop::{Chain, Dense, Inference, MeanSquaredError, Sgd, Sigmoid, Trainer, network};

type Net = network![Dense<2, 2, Sigmoid>, Dense<2, 2, Sigmoid>];

/// Tolerance for comparing microprop (f32) with a hand-computed value (see
/// the module docs).
const TOL: f64 = 1e-6;

/// Tolerance for the hand numbers among themselves (all f64).
const HAND_TOL: f64 = 1e-12;

// --- The example's numbers -------------------------------------------------

/// Input x = (x1, x2).
const X: [f64; 2] = [1.0, 2.0];
/// Target y = (y1, y2).
const Y: [f64; 2] = [1.0, 0.0];
/// Lecture W^(1), k×d (row k = hidden unit k): z^(1) = W^(1) x.
const W1: [[f64; 2]; 2] = [[0.1, 0.2], [0.3, 0.4]];
/// Lecture W^(2), row j = output j: z^(2) = W^(2) h.
const W2: [[f64; 2]; 2] = [[0.5, -0.6], [0.7, 0.8]];
/// Learning rate of the SGD step.
const ALPHA: f64 = 0.5;

// Forward pass.
// z^(1) = W^(1) x = (0.1·1 + 0.2·2, 0.3·1 + 0.4·2)
const Z1: [f64; 2] = [0.5, 1.1];
// h = σ(z^(1))
const H: [f64; 2] = [0.622_459_331_201_854_6, 0.750_260_105_595_117_7];
// z^(2) = W^(2) h = (0.5 h1 − 0.6 h2, 0.7 h1 + 0.8 h2)
const Z2: [f64; 2] = [-0.138_926_397_756_143_3, 1.035_929_616_317_392_3];
// o = σ(z^(2))
const O: [f64; 2] = [0.465_324_154_518_842_57, 0.738_063_859_591_843_6];
// L = ((o1 − 1)² + (o2 − 0)²) / 2
const LOSS: f64 = 0.415_308_260_288_299_6;

// Backward pass, factor by factor.
// dL/do_j = 2 (o_j − y_j) / O with O = 2, i.e. o_j − y_j
const DL_DO: [f64; 2] = [-0.534_675_845_481_157_4, 0.738_063_859_591_843_6];
// do_j/dz_j^(2) = o_j (1 − o_j)
const DO_DZ2: [f64; 2] = [0.248_797_585_740_166_9, 0.193_325_598_756_234_98];
// dz_j^(2)/dh2 = w_j2^(2)
const DZ2_DH2: [f64; 2] = [-0.6, 0.8];
// dh2/dz2^(1) = h2 (1 − h2)
const DH2_DZ1: f64 = 0.187_369_879_547_520_55;
// dz2^(1)/dw22^(1) = x2
const DZ1_DW22: f64 = 2.0;

// The two paths and their sum.
// Path through o1: (−0.53468)(0.24880)(−0.6)(0.18737)(2)
const PATH_O1: f64 = 0.029_910_092_096_325_37;
// Path through o2: (0.73806)(0.19333)(0.8)(0.18737)(2)
const PATH_O2: f64 = 0.042_776_284_953_028_64;
// dL/dw22^(1) = path through o1 + path through o2
const DL_DW22: f64 = 0.072_686_377_049_354;
// Lecture update: w22 ← w22 − α · dL/dw22 = 0.4 − 0.5 · 0.0726864
const W22_AFTER_STEP: f64 = 0.363_656_811_475_323;

// ---------------------------------------------------------------------------

/// microprop's `a` (f32) agrees with the hand-computed `b`.
fn close(a: f32, b: f64) -> bool {
    (f64::from(a) - b).abs() <= TOL
}

/// Two hand-computed numbers agree.
fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= HAND_TOL
}

/// A lecture matrix (row = unit) as microprop's input-major f32 weights.
fn input_major(w: [[f64; 2]; 2]) -> [[f32; 2]; 2] {
    [
        [w[0][0] as f32, w[1][0] as f32],
        [w[0][1] as f32, w[1][1] as f32],
    ]
}

fn x() -> [f32; 2] {
    X.map(|v| v as f32)
}

fn y() -> [f32; 2] {
    Y.map(|v| v as f32)
}

/// The lecture's matrices converted to microprop's input-major layout, biases
/// zero (the lecture omits them).
fn lecture_net() -> Net {
    Chain::new(
        Dense::from_params(input_major(W1), [0.0; 2]),
        Dense::from_params(input_major(W2), [0.0; 2]),
    )
}

/// The hard-coded numbers agree with each other (guards against a typo in
/// one of them), independently of microprop.
#[test]
fn hand_computation_is_consistent() {
    let sigmoid = |z: f64| 1.0 / (1.0 + (-z).exp());
    for k in 0..2 {
        assert!(same(Z1[k], W1[k][0] * X[0] + W1[k][1] * X[1]));
        assert!(same(H[k], sigmoid(Z1[k])));
        assert!(same(Z2[k], W2[k][0] * H[0] + W2[k][1] * H[1]));
        assert!(same(O[k], sigmoid(Z2[k])));
        assert!(same(DL_DO[k], 2.0 * (O[k] - Y[k]) / 2.0));
        assert!(same(DO_DZ2[k], O[k] * (1.0 - O[k])));
        assert_eq!(DZ2_DH2[k], W2[k][1]);
    }
    assert!(same(
        LOSS,
        ((O[0] - Y[0]).powi(2) + (O[1] - Y[1]).powi(2)) / 2.0
    ));
    assert!(same(DH2_DZ1, H[1] * (1.0 - H[1])));
    assert_eq!(DZ1_DW22, X[1]);
    assert!(same(
        PATH_O1,
        DL_DO[0] * DO_DZ2[0] * DZ2_DH2[0] * DH2_DZ1 * DZ1_DW22
    ));
    assert!(same(
        PATH_O2,
        DL_DO[1] * DO_DZ2[1] * DZ2_DH2[1] * DH2_DZ1 * DZ1_DW22
    ));
    assert!(same(DL_DW22, PATH_O1 + PATH_O2));
    assert!(same(W22_AFTER_STEP, W1[1][1] - ALPHA * DL_DW22));
}

#[test]
fn layout_maps_lecture_w22_to_weights_1_1() {
    let net = lecture_net();
    // Lecture w22^(1) = 0.4, the weight from input 2 to hidden unit 2.
    assert_eq!(net.first.params.weights[1][1], 0.4);
    // Input 1 -> hidden 2 is lecture w21^(1) = 0.3.
    assert_eq!(net.first.params.weights[0][1], 0.3);
    assert_eq!(net.first.params.bias, [0.0; 2]);
    assert_eq!(net.second.params.bias, [0.0; 2]);
}

#[test]
fn forward_pass_matches_hand_computation() {
    let net = lecture_net();
    // Hidden activations: run the first layer alone.
    let mut first = Inference::<Dense<2, 2, Sigmoid>>::new();
    let h = *first.predict(&net.first, &x()).unwrap();
    // Network output and loss.
    let mut run = Inference::<Net>::new();
    let o = *run.predict(&net, &x()).unwrap();
    for k in 0..2 {
        assert!(
            close(h[k], H[k]),
            "h{}: microprop {}, hand {}",
            k + 1,
            h[k],
            H[k]
        );
        assert!(
            close(o[k], O[k]),
            "o{}: microprop {}, hand {}",
            k + 1,
            o[k],
            O[k]
        );
    }
    let mut trainer = Trainer::<Net, _, _, 1>::new(MeanSquaredError, Sgd);
    let stats = trainer.evaluate(&net, &[x()], &[y()]).unwrap();
    assert!(close(stats.loss, LOSS), "loss {} vs {LOSS}", stats.loss);
}

#[test]
fn w22_gradient_sums_the_paths_through_both_outputs() {
    let net = lecture_net();
    let mut trainer = Trainer::<Net, _, _, 1>::new(MeanSquaredError, Sgd);
    trainer.zero_grad();
    trainer.accumulate(&net, &[x()], &[y()]).unwrap();
    // One row: the gradient buffer's sum over rows is the gradient itself.
    assert_eq!(trainer.accumulated_rows(), 1);
    let grads = trainer.gradient_sum();
    let g = grads.0.weights[1][1];
    assert!(
        close(g, DL_DW22),
        "dL/dw22^(1): microprop {g}, hand {DL_DW22} (= {PATH_O1} + {PATH_O2})"
    );
    // The sum matters: either path alone is far off.
    for (which, path) in [("o1", PATH_O1), ("o2", PATH_O2)] {
        assert!(
            (f64::from(g) - path).abs() > 0.01,
            "gradient {g} equals the single path through {which} ({path})"
        );
    }
    // Lecture w21^(1) (input 1 -> hidden 2) takes the same two paths with
    // dz2^(1)/dw21 = x1 = 1 instead of x2 = 2: exactly half.
    assert!(close(grads.0.weights[0][1], DL_DW22 * X[0] / X[1]));
    // No biases in the lecture, but microprop still differentiates its zero
    // bias: dL/db2^(1) = the paths without the factor x2.
    assert!(close(grads.0.bias[1], DL_DW22 / X[1]));
}

#[test]
fn one_sgd_step_applies_the_lecture_update() {
    let mut net = lecture_net();
    let before = net;
    let mut trainer = Trainer::<Net, _, _, 1>::new(MeanSquaredError, Sgd);
    trainer.zero_grad();
    trainer.accumulate(&net, &[x()], &[y()]).unwrap();
    let grads = *trainer.gradient_sum();
    trainer.step(&mut net, ALPHA as f32).unwrap();

    // w22 ← w22 − α · dL/dw22, with the hand-computed gradient.
    let w22 = net.first.params.weights[1][1];
    assert!(
        close(w22, W22_AFTER_STEP),
        "w22 after one step: microprop {w22}, hand {W22_AFTER_STEP}"
    );
    // Every other parameter follows the same rule with its own gradient.
    let after = [net.first.params.weights, net.second.params.weights];
    let was = [before.first.params.weights, before.second.params.weights];
    let g = [grads.0.weights, grads.1.weights];
    for l in 0..2 {
        for i in 0..2 {
            for o in 0..2 {
                let want = f64::from(was[l][i][o]) - ALPHA * f64::from(g[l][i][o]);
                assert!(
                    close(after[l][i][o], want),
                    "layer {l} weights[{i}][{o}]: {} vs {want}",
                    after[l][i][o]
                );
            }
        }
    }
    // And the step lowered the loss.
    let loss = trainer.evaluate(&net, &[x()], &[y()]).unwrap().loss;
    assert!(
        f64::from(loss) < LOSS,
        "loss after the step {loss} >= {LOSS}"
    );
}
