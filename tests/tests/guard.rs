//! The training guard: refused steps are counted by reason and change
//! nothing (parameters, optimizer state, step counter, bit for bit, Adam
//! included); a diverging run is rolled back to its last snapshot with a
//! lower learning rate and then converges.

use microprop::checkpoint::{self, CheckpointError};
use microprop::guard::{Divergence, Guard, GuardCounts, GuardEvent, RollbackCause};
use microprop::{
    Adam, Dense, Error, Identity, Init, Layer, MeanSquaredError, Optimizer, Parameters, Sgd,
    SoftmaxCrossEntropy, Tanh, Trainer, network,
};
use microprop_tests::claims;
use microprop_tests::four_rows;
use microprop_tests::params::bits;

/// A refused step: name, inputs, labels, learning rate, expected error.
type RejectCase = (&'static str, [[f32; 3]; 4], [usize; 4], f32, Error);

type Net = network![Dense<1, 8, Tanh>, Dense<8, 1, Identity>];
const B: usize = 16;

fn data() -> ([[f32; 1]; B], [[f32; 1]; B]) {
    let x = core::array::from_fn(|i| [i as f32 / (B - 1) as f32 * 2.0 - 1.0]);
    let y = x.map(|[v]: [f32; 1]| [(2.5 * v).sin()]);
    (x, y)
}

fn net() -> Net {
    let mut net = Net::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(17));
    net
}

/// Everything a rollback or a refusal must keep or restore.
fn state<O: Optimizer>(
    net: &Net,
    t: &Trainer<Net, MeanSquaredError, O, B>,
) -> (Vec<u32>, Vec<u32>, u32)
where
    O::State<microprop::layer::Grads<Net>>: Parameters,
{
    (bits(net), bits(t.optimizer_state()), t.steps())
}

/// Trains with a learning rate `lr` far too large; checks that every
/// rollback restores exactly the last snapshot's state and halves the rate,
/// and that the run ends converged. Returns the counts and the loss before
/// and after the run.
fn diverge_and_recover<O: Optimizer + Copy>(
    optimizer: O,
    lr: f32,
    good_loss: f32,
) -> (GuardCounts, f32, f32)
where
    O::State<microprop::layer::Grads<Net>>: Parameters,
{
    let (x, y) = data();
    let mut net = net();
    let mut t = Box::new(Trainer::<Net, _, _, B>::new(MeanSquaredError, optimizer));
    let mut buf = vec![0u8; checkpoint::training_len::<Net, O>()];
    let config = Divergence {
        snapshot_interval: 10,
        ..Divergence::DEFAULT
    };
    let mut guard = Guard::with_divergence(config, &mut buf);
    let initial = t.evaluate(&net, &x, &y).unwrap().loss;
    let mut snapshots = 0;
    let mut snapshot_state = state(&net, &t);
    let mut rollbacks = 0;
    for step in 0..3000 {
        let before = state(&net, &t);
        let event = guard.train_step(&mut net, &mut *t, &x, &y, lr).unwrap();
        if guard.counts().snapshots != snapshots {
            // A snapshot is taken before the first step, after others.
            snapshots = guard.counts().snapshots;
            snapshot_state = if step == 0 { before } else { state(&net, &t) };
        }
        match event {
            GuardEvent::RolledBack {
                cause,
                to_step,
                lr_scale,
            } => {
                rollbacks += 1;
                assert_eq!(state(&net, &t), snapshot_state, "step {step}: {cause:?}");
                assert_eq!(to_step, snapshot_state.2);
                assert_eq!(lr_scale, 0.5f32.powi(rollbacks));
                assert_eq!(t.accumulated_rows(), 0);
                match cause {
                    RollbackCause::LossAboveBest { loss, best } => {
                        assert!(loss > 10.0 * best, "{loss} {best}")
                    }
                    RollbackCause::NonFinite(e) => assert!(
                        matches!(e, Error::NonFiniteGradient | Error::NonFiniteLoss { .. }),
                        "{e:?}"
                    ),
                }
            }
            GuardEvent::Stepped(stats) => assert!(stats.loss.is_finite()),
            GuardEvent::Rejected(e) => panic!("step {step}: unexpected refusal {e:?}"),
        }
    }
    let counts = guard.counts();
    let last = t.evaluate(&net, &x, &y).unwrap().loss;
    eprintln!(
        "{}: lr {lr}: {counts:?}, lr scale {}, loss {initial} -> {last}",
        core::any::type_name::<O>(),
        guard.lr_scale()
    );
    assert!(counts.rollbacks > 0, "no rollback at lr {lr}");
    assert_eq!(counts.rollbacks, rollbacks as u32);
    assert!(guard.lr_scale() < 1.0);
    assert_eq!(
        counts.rejected(),
        counts.non_finite_loss + counts.non_finite_gradient
    );
    assert!(last < good_loss, "did not recover: loss {last}");
    assert!(net.all_finite());
    (counts, initial, last)
}

#[test]
fn a_diverging_sgd_run_is_rolled_back_and_recovers() {
    let lr = 40.0;
    let (counts, initial, last) = diverge_and_recover(Sgd, lr, 0.01);
    claims::record(
        "guard_divergence",
        serde_json::json!({
            "optimizer": "SGD",
            "lr": lr,
            "rollbacks": counts.rollbacks,
            "initial_loss": initial,
            "final_loss": last,
        }),
    );
    // Far beyond: updates overflow f32 outright.
    diverge_and_recover(Sgd, 1e30, 0.01);
}

#[test]
fn a_diverging_adam_run_is_rolled_back_and_recovers() {
    diverge_and_recover(Adam::PYTORCH, 5.0, 0.01);
}

/// Each bad batch is refused, counted under its reason, and leaves
/// parameters, optimizer state and step counter bit for bit unchanged.
#[test]
fn refused_steps_change_nothing_and_are_counted() {
    type Cls = network![Dense<3, 5, Tanh>, Dense<5, 2, Identity>];
    // `overflow`: a learning rate whose update overflows f32 (Adam's step is
    // ~lr per weight; SGD's is lr·g with |g| < 1 here, so it has none).
    fn check<O: Optimizer + Copy>(
        optimizer: O,
        overflow: Option<f32>,
        guard: &mut Guard<'_>,
    ) -> GuardCounts
    where
        O::State<microprop::layer::Grads<Cls>>: Parameters,
    {
        let mut net = Cls::ZERO;
        net.init(Init::Xavier, &mut microprop::init::seeded(4));
        let mut t = Box::new(Trainer::<Cls, _, _, 4>::new(SoftmaxCrossEntropy, optimizer));
        let (x, labels) = (four_rows::X, four_rows::LABELS);
        // Some real steps first, so the optimizer state is not zero.
        for _ in 0..5 {
            let e = guard
                .train_step(&mut net, &mut *t, &x, &labels, 0.05)
                .unwrap();
            assert!(matches!(e, GuardEvent::Stepped(_)), "{e:?}");
        }
        let mut cases: Vec<RejectCase> = vec![
            (
                "NaN input",
                {
                    let mut b = x;
                    b[2][1] = f32::NAN;
                    b
                },
                labels,
                0.05,
                Error::NonFiniteInput { row: 2 },
            ),
            (
                "Inf input",
                {
                    let mut b = x;
                    b[0][0] = f32::INFINITY;
                    b
                },
                labels,
                0.05,
                Error::NonFiniteInput { row: 0 },
            ),
            (
                "label",
                x,
                [0, 1, 2, 0],
                0.05,
                Error::LabelOutOfRange {
                    row: 2,
                    label: 2,
                    classes: 2,
                },
            ),
            (
                "learning rate",
                x,
                labels,
                f32::NAN,
                Error::InvalidLearningRate,
            ),
        ];
        if let Some(lr) = overflow {
            cases.push((
                "overflowing update",
                x,
                labels,
                lr,
                Error::NonFiniteGradient,
            ));
        }
        for (what, bad_x, bad_y, lr, expected) in cases {
            let before = (bits(&net), bits(t.optimizer_state()), t.steps());
            let event = guard
                .train_step(&mut net, &mut *t, &bad_x, &bad_y, lr)
                .unwrap();
            assert_eq!(event, GuardEvent::Rejected(expected), "{what}");
            assert_eq!(
                (bits(&net), bits(t.optimizer_state()), t.steps()),
                before,
                "{what}"
            );
        }
        // Training goes on.
        let steps = t.steps();
        guard
            .train_step(&mut net, &mut *t, &x, &labels, 0.05)
            .unwrap();
        assert_eq!(t.steps(), steps + 1);
        guard.counts()
    }
    let mut guard = Guard::new();
    let sgd = check(Sgd, None, &mut guard);
    let expected = GuardCounts {
        steps: 6,
        non_finite_input: 2,
        bad_target: 1,
        other: 1,
        ..GuardCounts::default()
    };
    assert_eq!(sgd, expected);
    assert_eq!(sgd.rejected(), 4);
    let mut guard = Guard::new();
    let adam = check(Adam::PYTORCH, Some(f32::MAX), &mut guard);
    assert_eq!(
        adam,
        GuardCounts {
            non_finite_gradient: 1,
            ..expected
        }
    );
    assert_eq!(adam.rejected(), 5);
}

#[test]
fn a_too_small_snapshot_buffer_fails_before_training() {
    let (x, y) = data();
    let mut net = net();
    let before = bits(&net);
    let mut t = Box::new(Trainer::<Net, _, _, B>::new(
        MeanSquaredError,
        Adam::PYTORCH,
    ));
    let mut buf = vec![0u8; checkpoint::training_len::<Net, Adam>() - 1];
    let mut guard = Guard::with_divergence(Divergence::DEFAULT, &mut buf);
    assert!(matches!(
        guard.train_step(&mut net, &mut *t, &x, &y, 0.01),
        Err(CheckpointError::BufferTooSmall { .. })
    ));
    assert_eq!(bits(&net), before);
    assert_eq!(t.steps(), 0);
    // A counting-only guard has no snapshot to take.
    assert!(matches!(
        Guard::new().snapshot(&net, &t),
        Err(CheckpointError::BufferTooSmall { .. })
    ));
}

#[test]
fn a_healthy_run_is_never_rolled_back() {
    let (x, y) = data();
    let mut net = net();
    let mut t = Box::new(Trainer::<Net, _, _, B>::new(MeanSquaredError, Sgd));
    let mut buf = vec![0u8; checkpoint::training_len::<Net, Sgd>()];
    let mut guard = Guard::with_divergence(Divergence::DEFAULT, &mut buf);
    for _ in 0..2000 {
        guard.train_step(&mut net, &mut *t, &x, &y, 0.2).unwrap();
    }
    let counts = guard.counts();
    assert_eq!(counts.rollbacks, 0);
    assert_eq!(counts.steps, 2000);
    assert_eq!(guard.lr_scale(), 1.0);
    assert!(counts.snapshots > 1);
    assert!(guard.best_loss() < 0.01);
}
