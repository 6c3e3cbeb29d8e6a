//! Bad numbers and misuse are refused with the right [`Error`] and change
//! nothing: the parameters stay the same bit for bit, the step counter and
//! the gradient buffer stay as they were, and the next good step is exactly
//! the step a fresh trainer would take.

use microprop::{
    AcceptsActivation, Dense, Error, Identity, Inference, Init, Layer, Loss, MeanSquaredError, Sgd,
    SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, Tanh, Trainer, network,
};
use microprop_tests::four_rows::{self, LABELS, Y as MSE_Y};
use microprop_tests::params::bits;

type Net = network![Dense<3, 5, Tanh>, Dense<5, 2, Identity>];
const B: usize = 4;
const LR: f32 = 0.1;
const NON_FINITE: [f32; 3] = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY];

fn net() -> Net {
    let mut net = Net::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(9));
    net
}

/// Binary targets for the four good rows of [`four_rows::X`] (a soft one
/// among them).
const BCE_Y: [[f32; 2]; B] = [[0.0, 1.0], [1.0, 1.0], [0.0, 0.0], [0.25, 1.0]];

/// Checks that the batch `(x, y)` is refused with `expected` by
/// `train_step`, `accumulate` and `evaluate`, that nothing changed, and that
/// the trainer then trains exactly like a fresh one.
fn assert_refused<L>(
    net: &mut Net,
    trainer: &mut Trainer<Net, L, Sgd, B>,
    x: &[[f32; 3]],
    y: &[L::Target],
    good_y: &[L::Target],
    expected: Error,
    what: &str,
) where
    L: Loss<[f32; 2]> + AcceptsActivation<Identity> + Copy,
{
    let good_x = four_rows::X;
    let before = bits(net);
    let steps = trainer.steps();

    assert_eq!(
        trainer.train_step(net, x, y, LR),
        Err(expected),
        "train_step, {what}"
    );
    assert_eq!(bits(net), before, "train_step changed weights, {what}");
    assert_eq!(trainer.steps(), steps, "{what}");

    // A refused batch adds nothing to gradients already accumulated.
    trainer.zero_grad();
    trainer.accumulate(net, &good_x, good_y).unwrap();
    let grads = bits(trainer.gradient_sum());
    assert_eq!(
        trainer.accumulate(net, x, y),
        Err(expected),
        "accumulate, {what}"
    );
    assert_eq!(bits(trainer.gradient_sum()), grads, "{what}");
    assert_eq!(trainer.accumulated_rows(), B as u32, "{what}");
    assert_eq!(bits(net), before, "{what}");
    assert_eq!(
        trainer.evaluate(net, x, y),
        Err(expected),
        "evaluate, {what}"
    );
    assert_eq!(trainer.steps(), steps, "{what}");

    // Training goes on: the step equals a fresh trainer's, bit for bit.
    let mut reference = *net;
    let mut fresh = Box::new(Trainer::<Net, L, Sgd, B>::new(trainer.loss, Sgd));
    fresh.accumulate(&reference, &good_x, good_y).unwrap();
    fresh.step(&mut reference, LR).unwrap();
    trainer.step(net, LR).unwrap();
    assert_eq!(bits(net), bits(&reference), "step after refusal, {what}");
    assert_ne!(bits(net), before, "{what}");
    let ours = trainer.train_step(net, &good_x, good_y, LR).unwrap();
    let theirs = fresh
        .train_step(&mut reference, &good_x, good_y, LR)
        .unwrap();
    assert_eq!(ours, theirs, "{what}");
    assert_eq!(
        bits(net),
        bits(&reference),
        "train_step after refusal, {what}"
    );
    assert_eq!(trainer.steps(), steps + 2, "{what}");
}

/// Every (row, feature, value) position to poison in a batch of `rows`.
fn positions(rows: usize, width: usize) -> Vec<(usize, usize, f32)> {
    let mut out = Vec::new();
    for row in [0, rows / 2, rows - 1] {
        for col in [0, width / 2, width - 1] {
            for v in NON_FINITE {
                out.push((row, col, v));
            }
        }
    }
    out
}

#[test]
fn non_finite_inputs_are_refused_by_every_loss() {
    let mut net = net();
    let mut mse = Box::new(Trainer::<Net, _, _, B>::new(MeanSquaredError, Sgd));
    let mut bce = Box::new(Trainer::<Net, _, _, B>::new(SigmoidBinaryCrossEntropy, Sgd));
    let mut sce = Box::new(Trainer::<Net, _, _, B>::new(SoftmaxCrossEntropy, Sgd));
    for rows in [B, B - 1, 1] {
        for (row, col, v) in positions(rows, 3) {
            let mut x = four_rows::X;
            x[row][col] = v;
            let x = &x[..rows];
            let expected = Error::NonFiniteInput { row };
            let what = format!("input[{row}][{col}] = {v} of {rows} rows");
            assert_refused(
                &mut net,
                &mut mse,
                x,
                &MSE_Y[..rows],
                &MSE_Y,
                expected,
                &what,
            );
            assert_refused(
                &mut net,
                &mut bce,
                x,
                &BCE_Y[..rows],
                &BCE_Y,
                expected,
                &what,
            );
            assert_refused(
                &mut net,
                &mut sce,
                x,
                &LABELS[..rows],
                &LABELS,
                expected,
                &what,
            );
            // The phase API refuses it at `forward`.
            assert_eq!(mse.forward(&net, x).err(), Some(expected), "{what}");
            assert_eq!(mse.backward(&net, x), Err(Error::OutOfOrder), "{what}");
        }
    }
    assert_eq!(mse.steps() as usize, 3 * 27 * 2);
}

#[test]
fn inference_refuses_non_finite_features() {
    let net = net();
    let mut run = Inference::<Net>::new();
    for row in four_rows::X {
        let good = *run.predict(&net, &row).unwrap();
        for col in 0..3 {
            for v in NON_FINITE {
                let mut bad = row;
                bad[col] = v;
                let what = format!("feature {col} = {v}");
                assert_eq!(
                    run.predict(&net, &bad),
                    Err(Error::NonFiniteInput { row: 0 }),
                    "{what}"
                );
                assert_eq!(
                    run.classify(&net, &bad),
                    Err(Error::NonFiniteInput { row: 0 }),
                    "{what}"
                );
                // The workspace is still good.
                let again = *run.predict(&net, &row).unwrap();
                assert_eq!(again.map(f32::to_bits), good.map(f32::to_bits), "{what}");
            }
        }
    }
}

#[test]
fn bad_targets_are_refused() {
    let mut net = net();
    let mut mse = Box::new(Trainer::<Net, _, _, B>::new(MeanSquaredError, Sgd));
    let mut bce = Box::new(Trainer::<Net, _, _, B>::new(SigmoidBinaryCrossEntropy, Sgd));
    let mut sce = Box::new(Trainer::<Net, _, _, B>::new(SoftmaxCrossEntropy, Sgd));
    let x = four_rows::X;
    let mut cases = 0;
    for rows in [B, B - 1, 1] {
        let x = &x[..rows];
        for row in [0, rows / 2, rows - 1] {
            for col in [0, 1] {
                for v in NON_FINITE {
                    let what = format!("target[{row}][{col}] = {v} of {rows} rows");
                    let mut y = MSE_Y;
                    y[row][col] = v;
                    let expected = Error::NonFiniteTarget { row };
                    assert_refused(&mut net, &mut mse, x, &y[..rows], &MSE_Y, expected, &what);
                    let mut y = BCE_Y;
                    y[row][col] = v;
                    assert_refused(&mut net, &mut bce, x, &y[..rows], &BCE_Y, expected, &what);
                    cases += 2;
                }
                // Finite, but not a probability.
                for v in [-0.001, 1.001, -5.0, 1e30] {
                    let what = format!("BCE target[{row}][{col}] = {v} of {rows} rows");
                    let mut y = BCE_Y;
                    y[row][col] = v;
                    let expected = Error::InvalidTarget { row };
                    assert_refused(&mut net, &mut bce, x, &y[..rows], &BCE_Y, expected, &what);
                    cases += 1;
                }
            }
            for label in [2, 3, 1000, usize::MAX] {
                let what = format!("label[{row}] = {label} of {rows} rows");
                let mut y = LABELS;
                y[row] = label;
                let expected = Error::LabelOutOfRange {
                    row,
                    label,
                    classes: 2,
                };
                assert_refused(&mut net, &mut sce, x, &y[..rows], &LABELS, expected, &what);
                cases += 1;
            }
        }
    }
    // Edge values that are valid are accepted.
    bce.train_step(&mut net, &x, &[[0.0, 1.0]; B], LR).unwrap();
    bce.train_step(&mut net, &x, &[[-0.0, 1.0]; B], LR).unwrap();
    sce.train_step(&mut net, &x, &[1; B], LR).unwrap();
    assert_eq!(cases, 3 * 3 * (2 * 3 * 2 + 2 * 4 + 4));
}

#[test]
fn non_finite_updates_are_refused() {
    let x = four_rows::X;
    let mut net = net();
    let mut trainer = Box::new(Trainer::<Net, _, _, B>::new(MeanSquaredError, Sgd));
    let before = bits(&net);

    // A learning rate so large that w - lr * g overflows (targets far away
    // make |g| > 1, so lr * g exceeds f32::MAX).
    let far = [[1e3f32, -1e3]; B];
    for lr in [f32::MAX, 1e38] {
        assert_eq!(
            trainer.train_step(&mut net, &x, &far, lr),
            Err(Error::NonFiniteGradient),
            "lr {lr}"
        );
        assert_eq!(bits(&net), before);
        assert_eq!(trainer.steps(), 0);
        // With accumulate + step the gradient stays for a retry.
        trainer.zero_grad();
        trainer.accumulate(&net, &x, &far).unwrap();
        let grads = bits(trainer.gradient_sum());
        assert_eq!(trainer.step(&mut net, lr), Err(Error::NonFiniteGradient));
        assert_eq!(bits(&net), before);
        assert_eq!(bits(trainer.gradient_sum()), grads);
        assert_eq!(trainer.accumulated_rows(), B as u32);
        assert_eq!(trainer.steps(), 0);
    }
    // The retry with a sane rate is the step a fresh trainer takes.
    let mut reference = net;
    Trainer::<Net, _, _, B>::new(MeanSquaredError, Sgd)
        .train_step(&mut reference, &x, &far, LR)
        .unwrap();
    trainer.step(&mut net, LR).unwrap();
    assert_eq!(bits(&net), bits(&reference));
    assert_eq!(trainer.steps(), 1);

    // Finite rows whose summed gradient overflows f32: x = 3e38 in one
    // feature, zero weights, so every logit is 0 and each row adds
    // x * (softmax - onehot) = 1.5e38 to the same weight.
    type Lin = Dense<1, 2, Identity>;
    let mut lin = Lin::ZERO;
    let mut sce = Trainer::<Lin, _, _, B>::new(SoftmaxCrossEntropy, Sgd);
    let big = [[3e38f32]; B];
    assert_eq!(
        sce.train_step(&mut lin, &big, &[0; B], 1e-30),
        Err(Error::NonFiniteGradient)
    );
    assert_eq!(lin, Lin::ZERO);
    assert_eq!(sce.steps(), 0);
    sce.train_step(&mut lin, &[[1.0]], &[0], LR).unwrap();
    assert_eq!(sce.steps(), 1);

    // Huge weights: the output of one row overflows; the loss names it.
    let mut huge = Lin::ZERO;
    huge.params.weights = [[1e30, -1e30]];
    let huge_bits = bits(&huge);
    let mut sce = Trainer::<Lin, _, _, B>::new(SoftmaxCrossEntropy, Sgd);
    for row in 0..B {
        let mut x = [[1e-3f32]; B];
        x[row] = [1e10];
        let expected = Error::NonFiniteLoss { row };
        assert_eq!(sce.train_step(&mut huge, &x, &[0; B], LR), Err(expected));
        assert_eq!(sce.accumulate(&huge, &x, &[0; B]), Err(expected));
        assert_eq!(sce.accumulated_rows(), 0);
        assert_eq!(sce.evaluate(&huge, &x, &[0; B]), Err(expected));
        assert_eq!(bits(&huge), huge_bits);
        assert_eq!(sce.steps(), 0);
    }
}

#[test]
fn invalid_learning_rates_are_refused() {
    let x = four_rows::X;
    let mut net = net();
    let mut trainer = Box::new(Trainer::<Net, _, _, B>::new(SoftmaxCrossEntropy, Sgd));
    let before = bits(&net);
    for lr in [
        -0.1,
        -1e-30,
        f32::NAN,
        -f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
    ] {
        assert_eq!(
            trainer.train_step(&mut net, &x, &LABELS, lr),
            Err(Error::InvalidLearningRate),
            "lr {lr}"
        );
        trainer.zero_grad();
        trainer.accumulate(&net, &x, &LABELS).unwrap();
        assert_eq!(trainer.step(&mut net, lr), Err(Error::InvalidLearningRate));
        assert_eq!(trainer.accumulated_rows(), B as u32);
        assert_eq!(bits(&net), before, "lr {lr}");
        assert_eq!(trainer.steps(), 0);
    }
    // Zero is a valid rate: a step that changes nothing but counts.
    trainer.train_step(&mut net, &x, &LABELS, 0.0).unwrap();
    assert_eq!(bits(&net), before);
    assert_eq!(trainer.steps(), 1);
    trainer.train_step(&mut net, &x, &LABELS, LR).unwrap();
    assert_ne!(bits(&net), before);
}

#[test]
fn batch_shape_errors() {
    let x5 = [[0.1f32, 0.2, 0.3]; B + 1];
    let y5 = [0usize; B + 1];
    let mut net = net();
    let before = bits(&net);
    let mut t = Box::new(Trainer::<Net, _, _, B>::new(SoftmaxCrossEntropy, Sgd));

    assert_eq!(t.train_step(&mut net, &[], &[], LR), Err(Error::EmptyBatch));
    assert_eq!(t.accumulate(&net, &[], &[]), Err(Error::EmptyBatch));
    assert_eq!(t.evaluate(&net, &[], &[]), Err(Error::EmptyBatch));
    assert_eq!(t.forward(&net, &[]).err(), Some(Error::EmptyBatch));

    let too_large = Error::BatchTooLarge {
        rows: B + 1,
        capacity: B,
    };
    assert_eq!(t.train_step(&mut net, &x5, &y5, LR), Err(too_large));
    assert_eq!(t.accumulate(&net, &x5, &y5), Err(too_large));
    assert_eq!(t.evaluate(&net, &x5, &y5), Err(too_large));
    assert_eq!(t.forward(&net, &x5).err(), Some(too_large));

    for (inputs, targets) in [(3, 2), (2, 3), (1, 0), (0, 1), (B, B + 1), (B + 1, B)] {
        let expected = Error::RowCountMismatch { inputs, targets };
        let (x, y) = (&x5[..inputs], &y5[..targets]);
        assert_eq!(t.train_step(&mut net, x, y, LR), Err(expected));
        assert_eq!(t.accumulate(&net, x, y), Err(expected));
        assert_eq!(t.evaluate(&net, x, y), Err(expected));
    }
    // Through the phases: the mismatch is caught at `loss`.
    t.forward(&net, &x5[..3]).unwrap();
    assert_eq!(
        t.loss(&y5[..2]),
        Err(Error::RowCountMismatch {
            inputs: 3,
            targets: 2
        })
    );

    assert_eq!(t.accumulated_rows(), 0);
    assert_eq!(t.steps(), 0);
    assert_eq!(bits(&net), before);
    assert_eq!(t.step(&mut net, LR), Err(Error::NothingAccumulated));
    assert_eq!(bits(&net), before);
    // Still usable: the full capacity is fine.
    t.train_step(&mut net, &x5[..B], &y5[..B], LR).unwrap();
    assert_eq!(t.steps(), 1);
}

#[test]
fn phases_out_of_order() {
    let x = four_rows::X;
    let net = net();
    let mut t = Box::new(Trainer::<Net, _, _, B>::new(SoftmaxCrossEntropy, Sgd));
    let zero = bits(t.gradient_sum());

    // backward before anything, and before loss.
    assert_eq!(t.backward(&net, &x), Err(Error::OutOfOrder));
    t.forward(&net, &x).unwrap();
    assert_eq!(t.backward(&net, &x), Err(Error::OutOfOrder));
    assert_eq!(bits(t.gradient_sum()), zero);
    assert_eq!(t.accumulated_rows(), 0);
    // The refusal changed nothing: the forward is still there to score.
    t.loss(&LABELS).unwrap();
    // loss twice, and backward over another number of rows than
    // forward/loss: refused, and again nothing changed.
    assert_eq!(t.loss(&LABELS), Err(Error::OutOfOrder));
    assert_eq!(t.backward(&net, &x[..3]), Err(Error::OutOfOrder));
    assert_eq!(t.backward(&net, &x[..1]), Err(Error::OutOfOrder));
    assert_eq!(bits(t.gradient_sum()), zero);
    assert_eq!(t.accumulated_rows(), 0);
    t.backward(&net, &x).unwrap();
    assert_eq!(t.accumulated_rows(), B as u32);
    assert_ne!(bits(t.gradient_sum()), zero);
    t.zero_grad();
    assert_eq!(bits(t.gradient_sum()), zero);

    // loss without forward.
    let mut fresh = Box::new(Trainer::<Net, _, _, B>::new(SoftmaxCrossEntropy, Sgd));
    assert_eq!(fresh.loss(&LABELS), Err(Error::OutOfOrder));

    // A failed loss leaves nothing to backpropagate.
    t.forward(&net, &x).unwrap();
    assert!(t.loss(&[0, 1, 7, 0]).is_err());
    assert_eq!(t.backward(&net, &x), Err(Error::OutOfOrder));
    assert_eq!(bits(t.gradient_sum()), zero);

    // zero_grad cancels a half-done step.
    t.forward(&net, &x).unwrap();
    t.loss(&LABELS).unwrap();
    t.zero_grad();
    assert_eq!(t.backward(&net, &x), Err(Error::OutOfOrder));

    // In order it works, and the phases equal `accumulate`.
    t.forward(&net, &x).unwrap();
    let by_phases = t.loss(&LABELS).unwrap();
    t.backward(&net, &x).unwrap();
    assert_eq!(
        t.backward(&net, &x),
        Err(Error::OutOfOrder),
        "backward twice"
    );
    let grads = bits(t.gradient_sum());
    let mut other = Box::new(Trainer::<Net, _, _, B>::new(SoftmaxCrossEntropy, Sgd));
    assert_eq!(other.accumulate(&net, &x, &LABELS).unwrap(), by_phases);
    assert_eq!(bits(other.gradient_sum()), grads);
    assert_eq!(t.accumulated_rows(), B as u32);
    assert_eq!(t.steps(), 0);
}
