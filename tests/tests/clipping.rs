//! Gradient clipping by global norm, and gradient norms at the edge of f32.

use microprop::{Dense, Error, Identity, Layer, MeanSquaredError, Parameters, Sgd, Trainer};
use microprop_tests::params::bits;

type Line = Dense<2, 1, Identity>;

#[test]
fn clipping_limits_the_update_to_lr_times_max_norm() {
    // One row, output 0, target 10: dL/do = 2 (0 - 10) = -20, so the gradient
    // is (-20 x1, -20 x2, -20) = (-60, -80, -20), norm ~101.98.
    let x = [[3.0, 4.0]];
    let y = [[10.0]];
    let mut trainer = Trainer::<Line, _, _, 1>::new(MeanSquaredError, Sgd).with_grad_clipping(1.0);
    let mut net = Line::ZERO;
    trainer.zero_grad();
    trainer.accumulate(&net, &x, &y).unwrap();
    let report = trainer.step_measured(&mut net, 0.5).unwrap();
    let norm = (60.0f32 * 60.0 + 80.0 * 80.0 + 20.0 * 20.0).sqrt();
    assert!(
        (report.grad_norm - norm).abs() < 1e-3,
        "{}",
        report.grad_norm
    );
    // The applied change has norm lr * 1.0 (up to PyTorch's 1e-6 in the factor).
    assert!(
        (report.change_norm - 0.5).abs() < 1e-5,
        "{}",
        report.change_norm
    );
    let expected = [60.0 / norm * 0.5, 80.0 / norm * 0.5];
    assert!((net.params.weights[0][0] - expected[0]).abs() < 1e-6);
    assert!((net.params.weights[1][0] - expected[1]).abs() < 1e-6);

    // Below the limit nothing is scaled.
    let mut loose = Trainer::<Line, _, _, 1>::new(MeanSquaredError, Sgd).with_grad_clipping(1e3);
    let mut net2 = Line::ZERO;
    loose.train_step(&mut net2, &x, &y, 0.01).unwrap();
    assert!((net2.params.weights[0][0] - 0.6).abs() < 1e-6);
}

#[test]
fn a_bad_clipping_norm_is_refused_and_changes_nothing() {
    for bad in [-1.0, 0.0, f32::NAN, f32::INFINITY] {
        let mut trainer =
            Trainer::<Line, _, _, 1>::new(MeanSquaredError, Sgd).with_grad_clipping(bad);
        let mut net = Line::ZERO;
        net.params.weights = [[0.5], [-0.25]];
        let before = bits(&net);
        let err = trainer.train_step(&mut net, &[[1.0, 2.0]], &[[3.0]], 0.1);
        assert_eq!(err, Err(Error::InvalidHyperparameter), "max norm {bad}");
        assert_eq!(bits(&net), before);
        assert_eq!(trainer.steps(), 0);
    }
}

#[test]
fn huge_but_finite_gradients_have_a_finite_norm() {
    // Components ~1e20 overflow a plain f32 sum of squares; the norm must
    // still be finite, and a tiny learning rate must still be able to step.
    let x = [[1e10, 1e10]];
    let y = [[0.0]];
    let mut net = Line::ZERO;
    net.params.weights = [[1e8], [0.0]];
    let mut trainer = Trainer::<Line, _, _, 1>::new(MeanSquaredError, Sgd);
    trainer.zero_grad();
    trainer.accumulate(&net, &x, &y).unwrap();
    let report = trainer.step_measured(&mut net, 1e-30).unwrap();
    // Output 1e18 (loss 1e36, finite), gradient 2e18 * (1e10, 1e10, 1) =
    // (2e28, 2e28, 2e18): each square overflows f32.
    let expected = 2e28f32 * core::f32::consts::SQRT_2;
    assert!(report.grad_norm.is_finite());
    assert!(
        (report.grad_norm / expected - 1.0).abs() < 1e-3,
        "{}",
        report.grad_norm
    );
    assert!(net.slices().flatten().all(|v| v.is_finite()));
}
