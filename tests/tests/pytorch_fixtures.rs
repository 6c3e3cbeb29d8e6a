//! microprop against PyTorch: committed JSON fixtures, no Python needed.
//!
//! `tests/fixtures/*.json` were written by `tests/reference/make_fixtures.py`
//! (see `tests/reference/README.md` to regenerate them). Every number in them
//! is a float64 computation of a problem whose starting values (weights, data,
//! hyperparameters) are float32-representable, so microprop's f32 run solves
//! exactly the same problem and any difference is f32 rounding — or a bug.
//!
//! * `optimizers.json`: training trajectories (loss of every step, final
//!   weights) of SGD, momentum, Nesterov, AdaGrad, RMSprop, Adam and AdamW with
//!   PyTorch's defaults, L2 weight decay, AdamW's decoupled decay, gradient
//!   clipping (`clip_grad_norm_`), the lecture's epsilon-inside-the-root
//!   variants and warmup + cosine schedules, on a 4-5-3 tanh classifier
//!   (cross-entropy) and a 3-4-2 sigmoid regressor (MSE), with batches of 1, 3
//!   (10 rows: the last batch of each epoch has 1 row) and all 10 rows.
//! * `schedules.json`: the learning rate of every schedule, with and without
//!   warmup, for steps 0..40.
//! * `gradients.json`: autograd gradients of the mean batch loss for every
//!   activation x loss combination on a 3-4-3 net.
//!
//! PyTorch's `nn.Linear.weight` is `[out][in]`; microprop's `Dense` stores
//! `weights[i][o] == weight[o][i]`, and [`Parameters::slices`] yields each
//! layer's weights row by row (input-major) and then its bias. The fixtures
//! keep PyTorch's layout; [`flat_reference`] converts.

use std::fmt::Display;

use microprop::{
    AcceptsActivation, Activation, AdaGrad, Adam, BiasOnly, Dense, Elu, Epsilon, Frozen, Identity,
    Layer, LeakyRelu, Loss, LrSchedule, MeanSquaredError, Momentum, Optimizer, Parameters, Relu,
    RmsProp, Schedule, Sgd, Sigmoid, SigmoidBinaryCrossEntropy, Softmax, SoftmaxCrossEntropy, Tanh,
    Trainer, Warmup, network,
};
use microprop_tests::claims;
use microprop_tests::params::{flat, set_flat};
use serde_json::Value;

// ---------------------------------------------------------------------------
// Tolerances: |microprop (f32) - reference (f64)| <= ATOL + RTOL * |reference|
// ---------------------------------------------------------------------------
//
// Measured worst cases (this fixture set, x86-64; `cargo test --test
// pytorch_fixtures -- --nocapture` prints them, with the value that came
// closest to its bound) are given beside each bound, which is roughly ten
// times the measured error: tight enough that a wrong formula (eps on the
// wrong side of the root, a missing bias correction, clipping the summed
// instead of the mean gradient, L2 instead of decoupled decay, a schedule off
// by one step) fails by orders of magnitude (see
// `fixture_variants_are_distinguishable`), loose enough for rounding.
// microprop calls every float function through `libm` and Rust does not
// contract to FMA, so the f32 results are the same bits on every target.

/// Trajectories: per-step loss and final weights after 24-30 steps. Every
/// step rounds the forward pass, the gradient and the update to f32 (relative
/// precision 6e-8) and the rounding compounds through the weights; adaptive
/// optimizers divide by the root of small second moments, and Adam's
/// 1 - beta2^t is an f32 cancellation (relative error ~6e-8 / (1 - beta2^t)).
/// The errors are absolute in nature (weights and losses are O(0.1..2)).
/// Measured: max abs 7.3e-7 (final weights), 6.6e-7 (losses).
const TRAJ_ATOL: f64 = 5e-6;
/// See [`TRAJ_ATOL`].
const TRAJ_RTOL: f64 = 5e-6;

/// Gradients and loss of one batch: a single f32 forward and backward pass
/// through a 3-4-3 net. Measured: max abs 1.4e-7 (gradients), 1.2e-7 (loss).
const GRAD_ATOL: f64 = 1e-6;
/// See [`GRAD_ATOL`].
const GRAD_RTOL: f64 = 1e-6;

/// Learning rates: one f32 evaluation of `powf`/`cosf` and a few products,
/// a few ulp relative; near the end of a cosine period 1 + cos(pi t / T)
/// cancels, leaving an absolute error of order initial * 6e-8. Measured: max
/// abs 8.2e-9 (lr 0.1), max rel 3.9e-7 (cosine at t = T - 1, lr 1.6e-3).
const LR_ATOL: f64 = 1e-8;
/// See [`LR_ATOL`].
const LR_RTOL: f64 = 2e-6;

/// Fine-tuning final weights: as [`TRAJ_ATOL`], but RMSprop at batch 10
/// divides by the root of second moments that start near zero for the
/// bias-only layers' small bias gradients, which amplifies f32 rounding.
/// Measured: max abs 4.4e-6 (bias_only/rmsprop/batch10; `-- --nocapture`
/// prints it); a wrong frozen set is off by 1e-2 or more.
const FINETUNE_ATOL: f64 = 5e-5;

/// Batch capacity of every trainer here (the fixtures have 10 rows).
const CAPACITY: usize = 10;

// ---------------------------------------------------------------------------
// Fixture reading
// ---------------------------------------------------------------------------

fn load(name: &str) -> Value {
    let path = format!("{}/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e} (see tests/reference/README.md)"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn num(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("expected a number, found {v}"))
}

fn uint(v: &Value) -> usize {
    let n = v
        .as_u64()
        .unwrap_or_else(|| panic!("expected an unsigned integer, found {v}"));
    usize::try_from(n).unwrap_or_else(|_| panic!("{n} does not fit usize"))
}

fn text(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, found {v}"))
}

fn array(v: &Value) -> &[Value] {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, found {v}"))
}

fn numbers(v: &Value) -> Vec<f64> {
    array(v).iter().map(num).collect()
}

/// A fixture value that must be float32-representable (weights, data,
/// hyperparameters all are, by construction of the fixtures).
fn exact_f32(x: f64) -> f32 {
    let f = x as f32;
    assert_eq!(f64::from(f), x, "{x} is not a float32 value");
    f
}

/// Parsed from JSON: rows of features or targets, and class labels.
trait FromJson: Sized {
    fn from_json(v: &Value) -> Self;
}

impl<const N: usize> FromJson for [f32; N] {
    fn from_json(v: &Value) -> Self {
        let xs = numbers(v);
        assert_eq!(xs.len(), N, "row of width {} where {N} expected", xs.len());
        core::array::from_fn(|i| exact_f32(xs[i]))
    }
}

impl FromJson for usize {
    fn from_json(v: &Value) -> Self {
        uint(v)
    }
}

fn rows<T: FromJson>(v: &Value) -> Vec<T> {
    array(v).iter().map(T::from_json).collect()
}

/// Layers in PyTorch layout (`[{"weight": [out][in], "bias": [out]}, ..]`)
/// as one flat vector in microprop's parameter order: per layer
/// `weight[o][i]` for i, then o (i.e. W = weight^T row by row), then bias.
fn flat_reference(layers: &Value) -> Vec<f64> {
    let mut flat = Vec::new();
    for layer in array(layers) {
        let weight: Vec<Vec<f64>> = array(&layer["weight"]).iter().map(numbers).collect();
        let outputs = weight.len();
        let inputs = weight[0].len();
        for i in 0..inputs {
            for row in &weight {
                assert_eq!(row.len(), inputs);
                flat.push(row[i]);
            }
        }
        let bias = numbers(&layer["bias"]);
        assert_eq!(bias.len(), outputs);
        flat.extend(bias);
    }
    flat
}

/// Sets the parameters of `p` to the fixture's `values` (each one
/// float32-representable), in microprop's order.
fn set_params<P: Parameters>(p: &mut P, values: &[f64]) {
    let values: Vec<f32> = values.iter().map(|&v| exact_f32(v)).collect();
    set_flat(p, &values);
}

/// Checks that the fixture's layer list (`[{"in", "out", "activation"}]`)
/// describes network `N`.
fn check_architecture<N: Layer>(net: &N, layers: &Value) {
    let mut shapes = Vec::new();
    net.visit_shapes(0, &mut |s| {
        shapes.push((s.inputs, s.outputs, s.activation.name().to_owned()));
    });
    let want: Vec<(usize, usize, String)> = array(layers)
        .iter()
        .map(|l| {
            (
                uint(&l["in"]),
                uint(&l["out"]),
                text(&l["activation"]).to_owned(),
            )
        })
        .collect();
    assert_eq!(shapes, want, "network type does not match the fixture");
}

// ---------------------------------------------------------------------------
// Comparison bookkeeping
// ---------------------------------------------------------------------------

/// Compares many values under one tolerance, remembers the worst errors and
/// every failure, and reports them together.
struct Tally {
    what: &'static str,
    rtol: f64,
    atol: f64,
    checked: usize,
    max_abs: f64,
    /// Largest |error| / |reference| over references of magnitude >= 1e-2.
    max_rel: f64,
    /// Largest |error| / (allowed error), and where it occurred.
    worst: (f64, String),
    failures: Vec<String>,
}

impl Tally {
    fn new(what: &'static str, rtol: f64, atol: f64) -> Self {
        Tally {
            what,
            rtol,
            atol,
            checked: 0,
            max_abs: 0.0,
            max_rel: 0.0,
            worst: (0.0, String::new()),
            failures: Vec::new(),
        }
    }

    /// Records one comparison; returns the absolute error.
    fn check(&mut self, label: impl Display, got: f32, want: f64) -> f64 {
        self.checked += 1;
        let err = (f64::from(got) - want).abs();
        let allowed = self.atol + self.rtol * want.abs();
        if err / allowed > self.worst.0 || err.is_nan() {
            self.worst = (err / allowed, label.to_string());
        }
        if err > allowed || err.is_nan() {
            if self.failures.len() < 40 {
                self.failures.push(format!(
                    "{label}: microprop {got:e}, reference {want:e}, error {err:e}"
                ));
            } else if self.failures.len() == 40 {
                self.failures.push("...".to_owned());
            }
        }
        self.max_abs = self.max_abs.max(err);
        if want.abs() >= 1e-2 {
            self.max_rel = self.max_rel.max(err / want.abs());
        }
        err
    }

    fn finish(self) {
        eprintln!(
            "{}: {} values, max abs error {:.2e}, max rel error {:.2e} (tolerance {:.0e} + {:.0e}·|ref|); \
             closest to the bound: {:.3} of it at {}",
            self.what,
            self.checked,
            self.max_abs,
            self.max_rel,
            self.atol,
            self.rtol,
            self.worst.0,
            self.worst.1
        );
        assert!(self.checked > 0, "{}: nothing was checked", self.what);
        assert!(
            self.failures.is_empty(),
            "{}: {} values outside tolerance:\n{}",
            self.what,
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------
// Schedules and optimizers from their JSON descriptions
// ---------------------------------------------------------------------------

fn lr_schedule(s: &Value) -> LrSchedule {
    let f = |key: &str| exact_f32(num(&s[key]));
    let n = |key: &str| u32::try_from(uint(&s[key])).unwrap_or_else(|e| panic!("{key}: {e}"));
    match text(&s["type"]) {
        "constant" => LrSchedule::Constant(f("lr")),
        "factor" => LrSchedule::Factor {
            initial: f("initial"),
            factor: f("factor"),
            every: n("every"),
            min: f("min"),
        },
        "exponential" => LrSchedule::Exponential {
            initial: f("initial"),
            decay: f("decay"),
        },
        "polynomial" => LrSchedule::Polynomial {
            initial: f("initial"),
            alpha: f("alpha"),
            power: f("power"),
        },
        "cosine" => LrSchedule::Cosine {
            initial: f("initial"),
            last: f("last"),
            period: n("period"),
        },
        other => panic!("unknown schedule {other}"),
    }
}

fn schedule(s: &Value) -> Box<dyn Schedule> {
    if text(&s["type"]) == "warmup" {
        Box::new(Warmup {
            steps: u32::try_from(uint(&s["steps"])).unwrap_or(u32::MAX),
            inner: lr_schedule(&s["inner"]),
            start: microprop::WarmupStart::LinearLr,
        })
    } else {
        Box::new(lr_schedule(s))
    }
}

fn epsilon(cfg: &Value) -> Epsilon {
    match text(&cfg["epsilon"]) {
        "outside" => Epsilon::Outside,
        "inside" => Epsilon::Inside,
        other => panic!("unknown epsilon placement {other}"),
    }
}

fn flag(v: &Value) -> bool {
    v.as_bool()
        .unwrap_or_else(|| panic!("expected a bool, found {v}"))
}

/// The fixture's `"preset"`, checked against microprop's named constant.
fn preset_matches<T: PartialEq + std::fmt::Debug>(cfg: &Value, built: &T, presets: &[(&str, T)]) {
    let Some(name) = cfg["preset"].as_str() else {
        return;
    };
    let (_, constant) = presets
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("unknown preset {name}"));
    assert_eq!(
        constant, built,
        "microprop's {name} does not have the hyperparameters the fixture uses"
    );
}

// ---------------------------------------------------------------------------
// Trajectories
// ---------------------------------------------------------------------------

/// What microprop did over a trajectory.
struct Run {
    lrs: Vec<f32>,
    losses: Vec<f32>,
    weights: Vec<f32>,
}

/// Trains `net` on `batches` of rows of (`x`, `y`) with `train_step`, the
/// learning rate of each step coming from `schedule` at `trainer.steps()`.
#[allow(clippy::too_many_arguments)]
fn train<N, L, O>(
    mut net: N,
    loss: L,
    optimizer: O,
    clip: Option<f32>,
    schedule: &dyn Schedule,
    x: &[N::Input],
    y: &[L::Target],
    batches: &[Vec<usize>],
) -> Run
where
    N: Layer,
    L: Loss<N::Output> + AcceptsActivation<N::OutputActivation>,
    L::Target: Copy,
    O: Optimizer,
{
    let mut trainer = Trainer::<N, L, O, CAPACITY>::new(loss, optimizer);
    if let Some(max_norm) = clip {
        trainer = trainer.with_grad_clipping(max_norm);
    }
    let mut run = Run {
        lrs: Vec::new(),
        losses: Vec::new(),
        weights: Vec::new(),
    };
    for (t, batch) in batches.iter().enumerate() {
        assert_eq!(trainer.steps() as usize, t);
        let lr = schedule.learning_rate(trainer.steps());
        let bx: Vec<N::Input> = batch.iter().map(|&i| x[i]).collect();
        let by: Vec<L::Target> = batch.iter().map(|&i| y[i]).collect();
        let stats = trainer
            .train_step(&mut net, &bx, &by, lr)
            .unwrap_or_else(|e| panic!("step {t}: {e:?}"));
        assert_eq!(stats.rows as usize, batch.len());
        run.lrs.push(lr);
        run.losses.push(stats.loss);
    }
    run.weights = flat(&net);
    run
}

/// Builds the optimizer the fixture describes and trains with it.
fn train_with_config<N, L>(
    net: N,
    loss: L,
    traj: &Value,
    x: &[N::Input],
    y: &[L::Target],
    batches: &[Vec<usize>],
) -> Run
where
    N: Layer,
    L: Loss<N::Output> + AcceptsActivation<N::OutputActivation>,
    L::Target: Copy,
{
    let cfg = &traj["optimizer"];
    let f = |key: &str| exact_f32(num(&cfg[key]));
    let clip = traj["clip_grad_norm"].as_f64().map(exact_f32);
    let sched = schedule(&traj["schedule"]);
    let sched = sched.as_ref();
    match text(&cfg["type"]) {
        "sgd" => train(net, loss, Sgd, clip, sched, x, y, batches),
        "momentum" => {
            let opt = Momentum {
                momentum: f("momentum"),
                nesterov: flag(&cfg["nesterov"]),
                weight_decay: f("weight_decay"),
            };
            if !opt.nesterov && opt.weight_decay == 0.0 {
                assert_eq!(opt, Momentum::new(opt.momentum));
            }
            train(net, loss, opt, clip, sched, x, y, batches)
        }
        "adagrad" => {
            let opt = AdaGrad {
                eps: f("eps"),
                epsilon: epsilon(cfg),
                weight_decay: f("weight_decay"),
                initial_accumulator: 0.0,
            };
            preset_matches(cfg, &opt, &[("PYTORCH", AdaGrad::PYTORCH)]);
            train(net, loss, opt, clip, sched, x, y, batches)
        }
        "rmsprop" => {
            let opt = RmsProp {
                alpha: f("alpha"),
                eps: f("eps"),
                epsilon: epsilon(cfg),
                weight_decay: f("weight_decay"),
            };
            preset_matches(
                cfg,
                &opt,
                &[("PYTORCH", RmsProp::PYTORCH), ("LECTURE", RmsProp::LECTURE)],
            );
            train(net, loss, opt, clip, sched, x, y, batches)
        }
        "adam" => {
            let opt = Adam {
                beta1: f("beta1"),
                beta2: f("beta2"),
                eps: f("eps"),
                epsilon: epsilon(cfg),
                weight_decay: f("weight_decay"),
                decoupled: flag(&cfg["decoupled"]),
            };
            preset_matches(
                cfg,
                &opt,
                &[
                    ("PYTORCH", Adam::PYTORCH),
                    ("ADAMW_DEFAULT", Adam::adamw(0.01)),
                ],
            );
            train(net, loss, opt, clip, sched, x, y, batches)
        }
        other => panic!("unknown optimizer {other}"),
    }
}

/// The classifier of the trajectories: 4 features, 5 tanh units, 3 logits.
type ClsNet = network![Dense<4, 5, Tanh>, Dense<5, 3, Identity>];
/// The regressor: 3 features, 4 sigmoid units, 2 linear outputs.
type RegNet = network![Dense<3, 4, Sigmoid>, Dense<4, 2, Identity>];

fn run_trajectory(archs: &Value, traj: &Value) -> Run {
    let arch_name = text(&traj["arch"]);
    let arch = &archs[arch_name];
    let batches: Vec<Vec<usize>> = array(&traj["batches"])
        .iter()
        .map(|b| array(b).iter().map(uint).collect())
        .collect();
    let init = flat_reference(&arch["init"]);
    match (arch_name, text(&arch["loss"])) {
        ("cls", "cross_entropy") => {
            let mut net = ClsNet::ZERO;
            check_architecture(&net, &arch["layers"]);
            set_params(&mut net, &init);
            let x: Vec<[f32; 4]> = rows(&arch["x"]);
            let y: Vec<usize> = rows(&arch["y"]);
            train_with_config(net, SoftmaxCrossEntropy, traj, &x, &y, &batches)
        }
        ("reg", "mse") => {
            let mut net = RegNet::ZERO;
            check_architecture(&net, &arch["layers"]);
            set_params(&mut net, &init);
            let x: Vec<[f32; 3]> = rows(&arch["x"]);
            let y: Vec<[f32; 2]> = rows(&arch["y"]);
            train_with_config(net, MeanSquaredError, traj, &x, &y, &batches)
        }
        other => panic!("unknown architecture {other:?}"),
    }
}

#[test]
fn optimizer_trajectories_match_pytorch() {
    let fixture = load("optimizers.json");
    let archs = &fixture["archs"];
    let trajectories = array(&fixture["trajectories"]);
    let mut losses = Tally::new("trajectory losses", TRAJ_RTOL, TRAJ_ATOL);
    let mut weights = Tally::new("trajectory final weights", TRAJ_RTOL, TRAJ_ATOL);
    let mut lrs = Tally::new("trajectory learning rates", LR_RTOL, LR_ATOL);
    let mut kinds = std::collections::BTreeSet::new();
    // Worst final-weight error per optimizer family, for the record.
    let mut per_optimizer = std::collections::BTreeMap::<String, f64>::new();
    for traj in trajectories {
        let name = text(&traj["name"]);
        let run = run_trajectory(archs, traj);
        let want_loss = numbers(&traj["loss"]);
        let want_lr = numbers(&traj["lr"]);
        assert_eq!(run.losses.len(), want_loss.len(), "{name}: step count");
        assert!(want_loss.len() >= 20, "{name}: fewer than 20 steps");
        for (t, (&got, &want)) in run.losses.iter().zip(&want_loss).enumerate() {
            losses.check(format_args!("{name} loss[{t}]"), got, want);
        }
        for (t, (&got, &want)) in run.lrs.iter().zip(&want_lr).enumerate() {
            lrs.check(format_args!("{name} lr[{t}]"), got, want);
        }
        let want_w = flat_reference(&traj["final"]);
        assert_eq!(run.weights.len(), want_w.len());
        let family = text(&traj["name"])
            .split('/')
            .nth(1)
            .unwrap_or("?")
            .to_owned();
        let worst = per_optimizer.entry(family).or_insert(0.0);
        for (p, (&got, &want)) in run.weights.iter().zip(&want_w).enumerate() {
            let err = weights.check(format_args!("{name} final parameter {p}"), got, want);
            *worst = worst.max(err);
        }
        kinds.insert(text(&traj["optimizer"]["type"]).to_owned());
    }
    eprintln!(
        "{} trajectories; max abs final-weight error by case:",
        trajectories.len()
    );
    for (family, err) in &per_optimizer {
        eprintln!("  {family:<24} {err:.2e}");
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["adagrad", "adam", "momentum", "rmsprop", "sgd"]
    );
    let steps = trajectories
        .iter()
        .map(|t| array(&t["loss"]).len())
        .collect::<Vec<_>>();
    let (weight_error, loss_error) = (weights.max_abs, losses.max_abs);
    lrs.finish();
    losses.finish();
    weights.finish();
    claims::record(
        "pytorch_trajectories",
        serde_json::json!({
            "trajectories": trajectories.len(),
            "min_steps": steps.iter().min(),
            "max_steps": steps.iter().max(),
            "torch_version": text(&fixture["torch_version"]),
            "worst_final_weight_error": weight_error,
            "worst_loss_error": loss_error,
        }),
    );
}

// ---------------------------------------------------------------------------
// Fine-tuning: frozen and bias-only layers (finetune.json)
// ---------------------------------------------------------------------------

/// The fine-tuning classifier unfrozen: 4 features, 6 and 5 tanh units, 3 logits.
type TuneFull = network![Dense<4, 6, Tanh>, Dense<6, 5, Tanh>, Dense<5, 3, Identity>];
/// Its two hidden layers frozen as one backbone, the head trained.
type TuneFrozenFront = network![
    Frozen<network![Dense<4, 6, Tanh>, Dense<6, 5, Tanh>]>,
    Dense<5, 3, Identity>,
];
/// The middle layer frozen, the gradient passing through it to the first.
type TuneFrozenMiddle =
    network![Dense<4, 6, Tanh>, Frozen<Dense<6, 5, Tanh>>, Dense<5, 3, Identity>];
/// The hidden layers' biases trained, not their weights (TinyTL).
type TuneBiasOnly = network![
    BiasOnly<Dense<4, 6, Tanh>>,
    BiasOnly<Dense<6, 5, Tanh>>,
    Dense<5, 3, Identity>,
];
/// The first layer frozen, the second bias-only.
type TuneFrozenThenBias =
    network![Frozen<Dense<4, 6, Tanh>>, BiasOnly<Dense<6, 5, Tanh>>, Dense<5, 3, Identity>];

/// Trains network `N` (one of the `Tune*` types, set to the fixture's
/// initial weights) over the run's batches.
fn run_finetune<N>(arch: &Value, run: &Value) -> Run
where
    N: Layer<Input = [f32; 4], Output = [f32; 3]>,
    SoftmaxCrossEntropy: AcceptsActivation<N::OutputActivation>,
{
    let mut net = N::ZERO;
    check_architecture(&net, &arch["layers"]);
    set_params(&mut net, &flat_reference(&arch["init"]));
    let x: Vec<[f32; 4]> = rows(&arch["x"]);
    let y: Vec<usize> = rows(&arch["y"]);
    let batches: Vec<Vec<usize>> = array(&run["batches"])
        .iter()
        .map(|b| array(b).iter().map(uint).collect())
        .collect();
    train_with_config(net, SoftmaxCrossEntropy, run, &x, &y, &batches)
}

/// Whether each value of the flat parameter vector trains in `run`
/// (`"trainable"`: per layer, [weight trains, bias trains]).
fn trainable_mask(arch: &Value, run: &Value) -> Vec<bool> {
    let mut mask = Vec::new();
    for (layer, flags) in array(&arch["layers"]).iter().zip(array(&run["trainable"])) {
        let (inputs, outputs) = (uint(&layer["in"]), uint(&layer["out"]));
        let flags = array(flags);
        mask.extend(std::iter::repeat_n(flag(&flags[0]), inputs * outputs));
        mask.extend(std::iter::repeat_n(flag(&flags[1]), outputs));
    }
    mask
}

/// Frozen and bias-only layers against PyTorch with `requires_grad=False`
/// on the frozen parameters (and only the others given to the optimizer):
/// per-step losses and final weights within the trajectory tolerance for
/// every optimizer kind and batch size, and every frozen value exactly its
/// initial bits.
#[test]
fn frozen_and_bias_only_training_matches_pytorch() {
    let fixture = load("finetune.json");
    let arch = &fixture["arch"];
    let init = flat_reference(&arch["init"]);
    let runs = array(&fixture["runs"]);
    let mut losses = Tally::new("fine-tuning losses", TRAJ_RTOL, TRAJ_ATOL);
    let mut weights = Tally::new("fine-tuning final weights", TRAJ_RTOL, FINETUNE_ATOL);
    let mut modes = std::collections::BTreeSet::new();
    let mut kinds = std::collections::BTreeSet::new();
    for run in runs {
        let name = text(&run["name"]);
        let mode = text(&run["mode"]);
        let got = match mode {
            "frozen_front" => run_finetune::<TuneFrozenFront>(arch, run),
            "frozen_middle" => run_finetune::<TuneFrozenMiddle>(arch, run),
            "bias_only" => run_finetune::<TuneBiasOnly>(arch, run),
            "frozen_then_bias" => run_finetune::<TuneFrozenThenBias>(arch, run),
            other => panic!("unknown mode {other}"),
        };
        let want_loss = numbers(&run["loss"]);
        assert_eq!(got.losses.len(), want_loss.len(), "{name}: step count");
        assert!(want_loss.len() >= 20, "{name}: fewer than 20 steps");
        for (t, (&g, &w)) in got.losses.iter().zip(&want_loss).enumerate() {
            losses.check(format_args!("{name} loss[{t}]"), g, w);
        }
        let want_w = flat_reference(&run["final"]);
        let mask = trainable_mask(arch, run);
        assert_eq!(got.weights.len(), want_w.len());
        assert_eq!(mask.len(), want_w.len());
        let mut moved = 0;
        for (p, ((&g, &w), (&start, &trains))) in got
            .weights
            .iter()
            .zip(&want_w)
            .zip(init.iter().zip(&mask))
            .enumerate()
        {
            weights.check(format_args!("{name} final parameter {p}"), g, w);
            if trains {
                moved += usize::from(f64::from(g) != start);
            } else {
                assert_eq!(
                    g.to_bits(),
                    exact_f32(start).to_bits(),
                    "{name}: frozen parameter {p} moved"
                );
            }
        }
        assert!(moved > 0, "{name}: no trainable parameter moved");
        modes.insert(mode.to_owned());
        kinds.insert(text(&run["optimizer"]["type"]).to_owned());
    }
    assert_eq!(modes.len(), 4);
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        ["adagrad", "adam", "momentum", "rmsprop", "sgd"]
    );
    // The unfrozen network has the same layer list: the fixture's
    // trajectories differ from full training only by what is frozen.
    check_architecture(&TuneFull::ZERO, &arch["layers"]);
    losses.finish();
    weights.finish();
}

/// The fixture pairs that differ only in a detail (eps inside vs outside the
/// root, L2 vs decoupled decay, clipping on/off) really do end in different
/// weights — by far more than the tolerance — so matching each of them tests
/// that detail and not only the common part.
#[test]
fn fixture_variants_are_distinguishable() {
    let fixture = load("optimizers.json");
    let trajectories = array(&fixture["trajectories"]);
    let by_name = |name: &str| {
        trajectories
            .iter()
            .find(|t| text(&t["name"]) == name)
            .unwrap_or_else(|| panic!("no trajectory {name}"))
    };
    let pairs = [
        ("adagrad_eps_outside", "adagrad_eps_inside"),
        ("rmsprop_pytorch", "rmsprop_lecture"),
        ("adam_pytorch", "adam_eps_inside"),
        ("adam_l2", "adamw_default"),
        ("momentum", "nesterov"),
        ("momentum", "momentum_l2"),
        ("sgd", "sgd_clip"),
        ("adam_pytorch", "adam_clip"),
    ];
    for arch in ["cls", "reg"] {
        for batch in ["batch1", "batch3", "batch10"] {
            for (a, b) in pairs {
                let wa = flat_reference(&by_name(&format!("{arch}/{a}/{batch}"))["final"]);
                let wb = flat_reference(&by_name(&format!("{arch}/{b}/{batch}"))["final"]);
                let diff = wa
                    .iter()
                    .zip(&wb)
                    .map(|(x, y)| (x - y).abs() / (TRAJ_ATOL + TRAJ_RTOL * y.abs()))
                    .fold(0.0, f64::max);
                assert!(
                    diff > 10.0,
                    "{arch}/{batch}: {a} and {b} differ by only {diff:.1} tolerances"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Schedules
// ---------------------------------------------------------------------------

#[test]
fn schedules_match_reference() {
    let fixture = load("schedules.json");
    let mut tally = Tally::new("schedule learning rates", LR_RTOL, LR_ATOL);
    let mut names = Vec::new();
    for case in array(&fixture["cases"]) {
        let name = text(&case["name"]);
        let s = schedule(&case["schedule"]);
        let want = numbers(&case["lr"]);
        assert!(want.len() >= 30, "{name}: too few steps");
        for (t, &w) in want.iter().enumerate() {
            let t = u32::try_from(t).unwrap_or(u32::MAX);
            tally.check(format_args!("{name} lr({t})"), s.learning_rate(t), w);
        }
        names.push(name.to_owned());
    }
    for kind in ["constant", "factor", "exponential", "polynomial", "cosine"] {
        assert!(names.iter().any(|n| n == kind), "no {kind} schedule");
        assert!(
            names.iter().any(|n| n == &format!("warmup5_{kind}")),
            "no {kind} schedule with warmup"
        );
    }
    tally.finish();
}

// ---------------------------------------------------------------------------
// Gradients
// ---------------------------------------------------------------------------

/// Loss and mean gradient of one batch: `zero_grad` + `accumulate`, then the
/// gradient buffer (a sum over rows) divided by the rows.
fn check_gradient<N, L>(case: &Value, loss: L, losses: &mut Tally, grads: &mut Tally)
where
    N: Layer,
    N::Input: FromJson,
    L: Loss<N::Output> + AcceptsActivation<N::OutputActivation>,
    L::Target: FromJson,
{
    let name = text(&case["name"]);
    let mut net = N::ZERO;
    check_architecture(&net, &case["layers"]);
    set_params(&mut net, &flat_reference(&case["init"]));
    let x: Vec<N::Input> = rows(&case["x"]);
    let y: Vec<L::Target> = rows(&case["y"]);
    let mut trainer = Trainer::<N, L, Sgd, CAPACITY>::new(loss, Sgd);
    trainer.zero_grad();
    let stats = trainer
        .accumulate(&net, &x, &y)
        .unwrap_or_else(|e| panic!("{name}: {e:?}"));
    assert_eq!(trainer.accumulated_rows() as usize, x.len());
    losses.check(
        format_args!("{name} loss"),
        stats.loss,
        num(&case["loss_value"]),
    );
    let scale = 1.0 / trainer.accumulated_rows() as f32;
    let got: Vec<f32> = flat(trainer.gradient_sum())
        .iter()
        .map(|g| g * scale)
        .collect();
    let want = flat_reference(&case["grads"]);
    assert_eq!(got.len(), want.len());
    for (p, (&g, &w)) in got.iter().zip(&want).enumerate() {
        grads.check(format_args!("{name} gradient of parameter {p}"), g, w);
    }
}

/// Dispatches on the output activation and the loss, for hidden activation
/// `H` of the 3-4-3 net.
fn gradient_with_hidden<H: Activation>(case: &Value, losses: &mut Tally, grads: &mut Tally) {
    macro_rules! net {
        ($out:ty) => {
            network![Dense<3, 4, H>, Dense<4, 3, $out>]
        };
    }
    let out = text(&case["layers"][1]["activation"]);
    match (out, text(&case["loss"])) {
        ("identity", "mse") => {
            check_gradient::<net!(Identity), _>(case, MeanSquaredError, losses, grads)
        }
        ("identity", "cross_entropy") => {
            check_gradient::<net!(Identity), _>(case, SoftmaxCrossEntropy, losses, grads)
        }
        ("identity", "bce_with_logits") => {
            check_gradient::<net!(Identity), _>(case, SigmoidBinaryCrossEntropy, losses, grads)
        }
        ("sigmoid", "mse") => {
            check_gradient::<net!(Sigmoid), _>(case, MeanSquaredError, losses, grads)
        }
        ("tanh", "mse") => check_gradient::<net!(Tanh), _>(case, MeanSquaredError, losses, grads),
        ("relu", "mse") => check_gradient::<net!(Relu), _>(case, MeanSquaredError, losses, grads),
        ("leaky_relu", "mse") => {
            check_gradient::<net!(LeakyRelu), _>(case, MeanSquaredError, losses, grads)
        }
        ("elu", "mse") => check_gradient::<net!(Elu), _>(case, MeanSquaredError, losses, grads),
        ("softmax", "mse") => {
            check_gradient::<net!(Softmax), _>(case, MeanSquaredError, losses, grads)
        }
        other => panic!("no microprop network for output/loss {other:?}"),
    }
}

#[test]
fn gradients_match_pytorch_autograd() {
    let fixture = load("gradients.json");
    let mut losses = Tally::new("gradient-case losses", GRAD_RTOL, GRAD_ATOL);
    let mut grads = Tally::new("gradients", GRAD_RTOL, GRAD_ATOL);
    let cases = array(&fixture["cases"]);
    for case in cases {
        match text(&case["layers"][0]["activation"]) {
            "identity" => gradient_with_hidden::<Identity>(case, &mut losses, &mut grads),
            "sigmoid" => gradient_with_hidden::<Sigmoid>(case, &mut losses, &mut grads),
            "tanh" => gradient_with_hidden::<Tanh>(case, &mut losses, &mut grads),
            "relu" => gradient_with_hidden::<Relu>(case, &mut losses, &mut grads),
            "leaky_relu" => gradient_with_hidden::<LeakyRelu>(case, &mut losses, &mut grads),
            "elu" => gradient_with_hidden::<Elu>(case, &mut losses, &mut grads),
            "softmax" => gradient_with_hidden::<Softmax>(case, &mut losses, &mut grads),
            other => panic!("unknown activation {other}"),
        }
    }
    // Every hidden activation with every loss, and every output activation
    // with MSE.
    for loss in ["mse", "cross_entropy", "bce_with_logits"] {
        for act in ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu"] {
            let name = format!("{act}-identity-{loss}");
            assert!(
                cases.iter().any(|c| text(&c["name"]) == name),
                "no case {name}"
            );
        }
    }
    for act in ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "softmax"] {
        let name = format!("tanh-{act}-mse");
        assert!(
            cases.iter().any(|c| text(&c["name"]) == name),
            "no case {name}"
        );
    }
    losses.finish();
    grads.finish();
}
