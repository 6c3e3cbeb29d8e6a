//! The training loop: gradient-descent modes and their iteration counts,
//! partial batches, shuffling, and every stopping criterion.

use microprop::{
    BatchMode, Dense, EpochReport, FitConfig, FitHooks, Identity, Init, KeepBest, Layer,
    LrSchedule, MeanSquaredError, OnEpoch, Patience, Permutation, Sgd, SliceDataset, StopReason,
    Stopping, Tanh, Trainer, Workspace, network,
};
use microprop_tests::params::bits;

type Line = Dense<1, 1, Identity>;
type Small = network![Dense<2, 4, Tanh>, Dense<4, 1, Identity>];

/// y = 2x - 1 on n evenly spaced points in [-1, 1].
fn line_data(n: usize) -> (Vec<[f32; 1]>, Vec<[f32; 1]>) {
    let x: Vec<[f32; 1]> = (0..n)
        .map(|i| [-1.0 + 2.0 * i as f32 / (n - 1) as f32])
        .collect();
    let y = x.iter().map(|&[v]| [2.0 * v - 1.0]).collect();
    (x, y)
}

fn config(mode: BatchMode, lr: f32, stopping: Stopping) -> FitConfig<LrSchedule, [f32; 1]> {
    FitConfig {
        mode,
        schedule: LrSchedule::Constant(lr),
        shuffle_seed: None,
        stopping,
        normalizer: None,
    }
}

#[test]
fn iterations_per_epoch_follow_the_lecture() {
    // n = 100: full batch 1 iteration per epoch, batch 10 gives 10, SGD 100;
    // a batch of 32 gives 4 (the last with 4 rows).
    let (x, y) = line_data(100);
    let data = SliceDataset::new(&x, &y).unwrap();
    for (mode, per_epoch) in [
        (BatchMode::Full, 1),
        (BatchMode::MiniBatch(10), 10),
        (BatchMode::Stochastic, 100),
        (BatchMode::MiniBatch(32), 4),
    ] {
        assert_eq!(mode.iterations_per_epoch(100), per_epoch);
        let trainer = Trainer::<Line, _, _, 8>::new(MeanSquaredError, Sgd);
        let mut ws = Workspace::new(Line::ZERO, trainer);
        let mut seen = Vec::new();
        let report = ws
            .fit(
                &data,
                &config(mode, 0.01, Stopping::epochs(3)),
                OnEpoch::new(|r| seen.push((r.iterations, r.stats.rows))),
            )
            .unwrap();
        let per_epoch = per_epoch as u32;
        assert_eq!(report.reason, StopReason::MaxEpochs);
        assert_eq!(report.iterations, 3 * per_epoch, "{mode:?}");
        assert_eq!(ws.trainer.steps(), 3 * per_epoch);
        assert_eq!(
            seen,
            vec![(per_epoch, 100), (2 * per_epoch, 100), (3 * per_epoch, 100)]
        );
    }
}

#[test]
fn steps_larger_than_the_buffer_and_a_short_last_batch_average_over_real_rows() {
    // fit with a buffer of 8 rows and steps of 16 over 20 samples takes steps
    // of 16 and 4 rows. The same steps taken by hand with a 16-row buffer give
    // the same bits: the sum over rows is accumulated in the same order and
    // divided by the rows actually seen.
    let x: Vec<[f32; 2]> = (0..20)
        .map(|i| [(i as f32 * 0.37).sin(), (i as f32 * 0.11).cos()])
        .collect();
    let y: Vec<[f32; 1]> = x.iter().map(|r| [r[0] * r[1] + 0.5]).collect();
    let data = SliceDataset::new(&x, &y).unwrap();
    let mut start = Small::ZERO;
    start.init(Init::Xavier, &mut microprop::init::seeded(3));

    let mut by_fit = Workspace::new(start, Trainer::<Small, _, _, 8>::new(MeanSquaredError, Sgd));
    let cfg = FitConfig {
        mode: BatchMode::MiniBatch(16),
        schedule: LrSchedule::Constant(0.1),
        shuffle_seed: None,
        stopping: Stopping::epochs(2),
        normalizer: None,
    };
    let report = by_fit.fit(&data, &cfg, ()).unwrap();
    assert_eq!(report.iterations, 4);

    let mut by_hand = start;
    let mut big = Trainer::<Small, _, _, 16>::new(MeanSquaredError, Sgd);
    for _ in 0..2 {
        big.train_step(&mut by_hand, &x[..16], &y[..16], 0.1)
            .unwrap();
        big.train_step(&mut by_hand, &x[16..], &y[16..], 0.1)
            .unwrap();
    }
    assert_eq!(bits(&by_fit.net), bits(&by_hand));
    assert_ne!(bits(&by_fit.net), bits(&start));
}

#[test]
fn shuffling_is_deterministic_per_seed_and_changes_each_epoch() {
    let a: Vec<usize> = (0..50).map(|i| Permutation::new(50, 9).index(i)).collect();
    let b: Vec<usize> = (0..50).map(|i| Permutation::new(50, 9).index(i)).collect();
    let c: Vec<usize> = (0..50)
        .map(|i| Permutation::new(50, 9 ^ (1 << 32)).index(i))
        .collect();
    assert_eq!(a, b);
    assert_ne!(a, c);

    // A shuffled fit differs from the data-order fit, and repeats exactly.
    let (x, y) = line_data(30);
    let data = SliceDataset::new(&x, &y).unwrap();
    let run = |seed: Option<u64>| {
        let trainer = Trainer::<Line, _, _, 1>::new(MeanSquaredError, Sgd);
        let mut ws = Workspace::new(Line::ZERO, trainer);
        let mut cfg = config(BatchMode::Stochastic, 0.05, Stopping::epochs(2));
        cfg.shuffle_seed = seed;
        ws.fit(&data, &cfg, ()).unwrap();
        ws.net.params
    };
    assert_eq!(run(Some(1)), run(Some(1)));
    assert_ne!(run(Some(1)), run(None));
}

/// Full-batch GD on the line, recording every step's report; stops by `stopping`.
fn run_line(stopping: Stopping, lr: f32) -> (microprop::FitReport, Vec<EpochReport>) {
    let (x, y) = line_data(20);
    let data = SliceDataset::new(&x, &y).unwrap();
    let trainer = Trainer::<Line, _, _, 4>::new(MeanSquaredError, Sgd);
    let mut ws = Workspace::new(Line::ZERO, trainer);
    let mut epochs = Vec::new();
    let report = ws
        .fit(
            &data,
            &config(BatchMode::Full, lr, stopping),
            OnEpoch::new(|r| epochs.push(*r)),
        )
        .unwrap();
    (report, epochs)
}

#[test]
fn gradient_norm_criterion_fires_at_the_first_small_gradient() {
    let threshold = 1e-3;
    let stopping = Stopping {
        min_grad_norm: Some(threshold),
        ..Stopping::epochs(10_000)
    };
    let (report, epochs) = run_line(stopping, 0.2);
    assert_eq!(report.reason, StopReason::GradientNorm);
    let (last, before) = epochs.split_last().unwrap();
    assert!(last.last_step.grad_norm < threshold);
    assert!(before.iter().all(|e| e.last_step.grad_norm >= threshold));
    assert!(
        report.iterations > 10,
        "fired too early: {}",
        report.iterations
    );
    eprintln!(
        "gradient norm < {threshold} after {} iterations",
        report.iterations
    );
}

#[test]
fn weight_change_criterion_fires_at_the_first_small_change() {
    let threshold = 1e-4;
    let stopping = Stopping {
        min_weight_change: Some(threshold),
        ..Stopping::epochs(10_000)
    };
    let (report, epochs) = run_line(stopping, 0.2);
    assert_eq!(report.reason, StopReason::WeightChange);
    let (last, before) = epochs.split_last().unwrap();
    assert!(last.last_step.change_norm < threshold);
    assert!(before.iter().all(|e| e.last_step.change_norm >= threshold));
    // For SGD the change is lr times the gradient norm (up to the rounding
    // of w(k+1) - w(k) in f32: ~1.2e-7 |w| per weight, with |w| ~ 2 here).
    for e in &epochs {
        let expected = 0.2 * e.last_step.grad_norm;
        let diff = (e.last_step.change_norm - expected).abs();
        assert!(diff <= 1e-6 + 1e-3 * expected, "{diff} vs {expected}");
    }
}

#[test]
fn iteration_and_epoch_limits_fire_exactly() {
    let (report, _) = run_line(
        Stopping {
            max_iterations: Some(7),
            ..Stopping::epochs(100)
        },
        0.1,
    );
    assert_eq!(
        (report.reason, report.iterations, report.epochs),
        (StopReason::MaxIterations, 7, 7)
    );
    let (report, _) = run_line(Stopping::epochs(5), 0.1);
    assert_eq!(
        (report.reason, report.iterations, report.epochs),
        (StopReason::MaxEpochs, 5, 5)
    );
}

#[test]
fn patience_stops_after_epochs_without_improvement_and_restores_the_best() {
    // A learning rate of 0 never improves the loss: with patience 3 the run
    // stops at epoch 3 (0-based), the best being epoch 0.
    let stopping = Stopping {
        patience: Some(Patience {
            epochs: 3,
            min_delta: 0.0,
        }),
        ..Stopping::epochs(100)
    };
    let (report, epochs) = run_line(stopping, 0.0);
    assert_eq!(report.reason, StopReason::NoImprovement);
    assert_eq!((report.epochs, report.best_epoch), (4, 0));
    assert_eq!(epochs.len(), 4);

    // A schedule that learns for 6 steps, then takes steps far too large
    // (but finite): the loss rises, patience runs out, and the weights come
    // back to those at the end of the best epoch — the same bits as a run
    // stopped right there.
    fn learn_then_overshoot(t: u32) -> f32 {
        if t < 6 { 0.2 } else { 1.2 }
    }
    let (x, y) = line_data(20);
    let data = SliceDataset::new(&x, &y).unwrap();
    let run = |stopping: Stopping, keep_best: bool| {
        let mut best = Line::ZERO;
        let trainer = Trainer::<Line, _, _, 4>::new(MeanSquaredError, Sgd);
        let mut ws = Workspace::new(Line::ZERO, trainer);
        let cfg = FitConfig {
            mode: BatchMode::Full,
            schedule: LrSchedule::Custom(learn_then_overshoot),
            shuffle_seed: None,
            stopping,
            normalizer: None,
        };
        let hooks = keep_best.then_some(KeepBest(&mut best));
        let report = ws.fit(&data, &cfg, hooks).unwrap();
        (report, ws.net.params)
    };
    let (report, restored) = run(
        Stopping {
            patience: Some(Patience {
                epochs: 2,
                min_delta: 1e-6,
            }),
            ..Stopping::epochs(100)
        },
        true,
    );
    assert_eq!(report.reason, StopReason::NoImprovement);
    assert!(report.restored_best);
    assert!(report.best_epoch >= 5, "best epoch {}", report.best_epoch);
    let (_, at_best) = run(Stopping::epochs(report.best_epoch + 1), false);
    assert_eq!(restored, at_best);
    eprintln!(
        "patience: best epoch {}, stopped after {} epochs, best loss {}",
        report.best_epoch, report.epochs, report.best_loss
    );
}

#[test]
fn the_epoch_hook_sees_the_workspace_and_can_stop_the_run() {
    use core::ops::ControlFlow;

    type Ws = Workspace<Line, MeanSquaredError, Sgd, 4>;
    /// Stops once the loss over the whole set, evaluated with the
    /// workspace the hook is lent, drops below 0.01.
    struct Validate<'a> {
        data: &'a SliceDataset<'a, [f32; 1], [f32; 1]>,
        seen: Vec<f32>,
    }
    impl FitHooks<Ws> for Validate<'_> {
        fn epoch(&mut self, r: &EpochReport, ws: &mut Ws) -> ControlFlow<()> {
            let stats = ws.evaluate(self.data, None).unwrap();
            self.seen.push(stats.mean_loss());
            assert_eq!(stats.rows, 20);
            assert_eq!(r.epoch as usize + 1, self.seen.len());
            if stats.mean_loss() < 0.01 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
    }

    let (x, y) = line_data(20);
    let data = SliceDataset::new(&x, &y).unwrap();
    let mut ws: Ws = Workspace::new(Line::ZERO, Trainer::new(MeanSquaredError, Sgd));
    let mut validate = Validate {
        data: &data,
        seen: Vec::new(),
    };
    let config = config(BatchMode::Full, 0.2, Stopping::epochs(1000));
    let report = ws.fit(&data, &config, &mut validate).unwrap();
    let seen = validate.seen;
    assert_eq!(report.reason, StopReason::Requested);
    assert_eq!(report.epochs as usize, seen.len());
    let (last, before) = seen.split_last().unwrap();
    assert!(*last < 0.01 && before.iter().all(|l| *l >= 0.01));
    assert_eq!(report.last_step.learning_rate, 0.2);
    // evaluate agrees with a direct evaluation of all rows at once.
    let mut all = Trainer::<Line, _, _, 20>::new(MeanSquaredError, Sgd);
    let direct = all.evaluate(&ws.net, &x, &y).unwrap();
    assert!((direct.loss - last).abs() < 1e-6);
}
