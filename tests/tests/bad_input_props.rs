//! Property tests: NaN and infinities placed at random in inputs, targets
//! and weights. Every such step is refused with the right error and leaves
//! parameters, optimizer state (SGD and Adam) and step counter bit for bit
//! as they were; the next good step is exactly the step a trainer restored
//! from a checkpoint of the state before would take.

use std::collections::BTreeMap;

use microprop::checkpoint;
use microprop::{
    Adam, Dense, Error, Identity, Init, Layer, MeanSquaredError, Optimizer, Parameters, Sgd, Tanh,
    Trainer, network,
};
use microprop_tests::four_rows;
use microprop_tests::params::bits;
use proptest::prelude::*;

type Net = network![Dense<3, 5, Tanh>, Dense<5, 2, Identity>];
const B: usize = 4;
type T<O> = Trainer<Net, MeanSquaredError, O, B>;

fn non_finite() -> impl Strategy<Value = f32> {
    prop_oneof![Just(f32::NAN), Just(f32::INFINITY), Just(f32::NEG_INFINITY)]
}

fn finite() -> impl Strategy<Value = f32> {
    -2.0f32..2.0
}

/// A batch of 1..=B rows: inputs and targets.
fn batch() -> impl Strategy<Value = (Vec<[f32; 3]>, Vec<[f32; 2]>)> {
    (1..=B).prop_flat_map(|rows| {
        (
            prop::collection::vec(prop::array::uniform3(finite()), rows),
            prop::collection::vec(prop::array::uniform2(finite()), rows),
        )
    })
}

/// 1..=3 (row, column, value) poison positions.
fn poison() -> impl Strategy<Value = Vec<(usize, usize, f32)>> {
    prop::collection::vec((0..B, 0..3usize, non_finite()), 1..=3)
}

/// A network and a trainer with a few good steps behind it (so Adam's
/// moments and the step counter are not zero).
fn warmed_up<O: Optimizer>(optimizer: O, seed: u64) -> (Net, Box<T<O>>) {
    let mut net = Net::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(seed));
    let mut t = Box::new(T::new(MeanSquaredError, optimizer));
    for _ in 0..3 {
        t.train_step(&mut net, &four_rows::X, &four_rows::Y, 0.05)
            .unwrap();
    }
    (net, t)
}

/// Tries the step, checks it is refused as `expected` says and changed
/// nothing, then checks the next good step equals that of a trainer
/// restored from a checkpoint taken before.
fn refused_and_unchanged<O: Optimizer + Copy>(
    optimizer: O,
    seed: u64,
    poison_weights: &[(usize, f32)],
    x: &[[f32; 3]],
    y: &[[f32; 2]],
    expected: impl Fn(Error) -> bool,
) -> Result<Error, TestCaseError>
where
    O::State<microprop::layer::Grads<Net>>: Parameters,
{
    let (mut net, mut t) = warmed_up(optimizer, seed);
    let n = <Net as Parameters>::LEN;
    for &(at, v) in poison_weights {
        if let Some(w) = net.slices_mut().flatten().nth(at % n) {
            *w = v;
        }
    }
    let mut saved = vec![0u8; checkpoint::training_len::<Net, O>()];
    // (A checkpoint of non-finite weights can be written but is refused on
    // load; only take one of a healthy state.)
    let healthy = poison_weights.is_empty();
    if healthy {
        checkpoint::save_training(&net, &t, &mut saved).unwrap();
    }
    let before = (bits(&net), bits(t.optimizer_state()), t.steps());
    let err = match t.train_step(&mut net, x, y, 0.05) {
        Ok(stats) => {
            return Err(TestCaseError::fail(format!("accepted: {stats:?}")));
        }
        Err(e) => e,
    };
    prop_assert!(expected(err), "unexpected error {:?}", err);
    prop_assert_eq!(&(bits(&net), bits(t.optimizer_state()), t.steps()), &before);

    if healthy {
        let good_x = [[0.3, 0.1, -0.2]];
        let good_y = [[0.4, -0.4]];
        let mut twin = Net::ZERO;
        let mut twin_t = Box::new(T::new(MeanSquaredError, optimizer));
        checkpoint::load_training(&mut twin, &mut *twin_t, &saved).unwrap();
        t.train_step(&mut net, &good_x, &good_y, 0.05).unwrap();
        twin_t
            .train_step(&mut twin, &good_x, &good_y, 0.05)
            .unwrap();
        prop_assert_eq!(bits(&net), bits(&twin));
        prop_assert_eq!(bits(t.optimizer_state()), bits(twin_t.optimizer_state()));
        prop_assert_eq!(t.steps(), before.2 + 1);
    }
    Ok(err)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn non_finite_inputs_are_refused(seed in 0u64..1000, (mut x, y) in batch(), poison in poison()) {
        let rows = x.len();
        let mut first = usize::MAX;
        for (r, c, v) in poison {
            let r = r % rows;
            x[r][c] = v;
            first = first.min(r);
        }
        let expected = |e| e == Error::NonFiniteInput { row: first };
        refused_and_unchanged(Sgd, seed, &[], &x, &y, expected)?;
        refused_and_unchanged(Adam::PYTORCH, seed, &[], &x, &y, expected)?;
    }

    #[test]
    fn non_finite_targets_are_refused(seed in 0u64..1000, (x, mut y) in batch(), poison in poison()) {
        let rows = y.len();
        let mut first = usize::MAX;
        for (r, c, v) in poison {
            let r = r % rows;
            y[r][c % 2] = v;
            first = first.min(r);
        }
        let expected = |e| e == Error::NonFiniteTarget { row: first };
        refused_and_unchanged(Sgd, seed, &[], &x, &y, expected)?;
        refused_and_unchanged(Adam::PYTORCH, seed, &[], &x, &y, expected)?;
    }

    #[test]
    fn poisoned_inputs_and_targets_name_the_input(seed in 0u64..1000, (mut x, mut y) in batch(),
                                                  px in poison(), py in poison()) {
        // Inputs are checked before anything else.
        let rows = x.len();
        let mut first = usize::MAX;
        for (r, c, v) in px {
            x[r % rows][c] = v;
            first = first.min(r % rows);
        }
        for (r, c, v) in py {
            y[r % rows][c % 2] = v;
        }
        let expected = |e| e == Error::NonFiniteInput { row: first };
        refused_and_unchanged(Adam::PYTORCH, seed, &[], &x, &y, expected)?;
    }

    #[test]
    fn non_finite_weights_are_refused(seed in 0u64..1000, (x, y) in batch(),
                                      weights in prop::collection::vec((0..1000usize, non_finite()), 1..=3)) {
        let expected = |e| matches!(e, Error::NonFiniteLoss { .. } | Error::NonFiniteGradient);
        refused_and_unchanged(Sgd, seed, &weights, &x, &y, expected)?;
        refused_and_unchanged(Adam::PYTORCH, seed, &weights, &x, &y, expected)?;
    }
}

/// Every weight, each non-finite value, both optimizers: what a poisoned
/// weight actually does to a training step. A NaN anywhere reaches the
/// output (NonFiniteLoss); an infinite hidden weight saturates its tanh unit
/// (finite output, zero gradient) and is caught when the optimizer sees the
/// parameter it would write is not finite (NonFiniteGradient).
#[test]
fn every_non_finite_weight_is_refused() {
    let x = &four_rows::X[..2];
    let y = &four_rows::Y[..2];
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let n = <Net as Parameters>::LEN;
    for at in 0..n {
        for v in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let expected = |e| matches!(e, Error::NonFiniteLoss { .. } | Error::NonFiniteGradient);
            for err in [
                refused_and_unchanged(Sgd, 1, &[(at, v)], x, y, expected).unwrap(),
                refused_and_unchanged(Adam::PYTORCH, 1, &[(at, v)], x, y, expected).unwrap(),
            ] {
                let name = match err {
                    Error::NonFiniteLoss { .. } => "NonFiniteLoss",
                    _ => "NonFiniteGradient",
                };
                *outcomes.entry(format!("{v:>4}: {name}")).or_default() += 1;
            }
        }
    }
    eprintln!("{} weights x 3 values x 2 optimizers: {outcomes:?}", n);
    assert_eq!(outcomes.values().sum::<usize>(), n * 3 * 2);
    // NaN always reaches the loss.
    assert!(
        !outcomes
            .keys()
            .any(|k| k.starts_with(" NaN: NonFiniteGradient"))
    );
}
