//! The lecture's claim about feature scaling: on a linear regression whose
//! two features have scales ~1000 and ~1, min-max scaling of the features
//! lets full-batch gradient descent use a far larger rate and reach the
//! optimum in far fewer steps. Each side gets its best rate from the same
//! grid, and both agree with the rate bound 2/λmax that least squares
//! ([`microprop_tests::least_squares`]) gives.
//!
//! The measured numbers are printed with `eprintln!`
//! (`cargo test -p microprop-tests --test claim_feature_scaling --
//! --nocapture`).

use microprop::{
    BatchMode, Dense, FitConfig, Identity, Layer, MeanSquaredError, Normalizer, NormalizerFit,
    Scaling, Sgd, SliceDataset, Stopping, Trainer, Workspace,
};
use microprop_sim::data::generated::badly_scaled;
use microprop_tests::claims;
use microprop_tests::least_squares::{LeastSquares, least_squares};

/// Rows of the data set.
const ROWS: usize = 200;

/// The claim's data, the rows host-sim's normalisation experiment draws
/// ([`badly_scaled`]: x1 ~ U(0, 1000), x2 ~ U(0, 1),
/// y = 0.002 x1 + x2 + 0.5 + N(0, 0.05²)), from seed 314.
fn badly_scaled_regression() -> (Vec<[f32; 2]>, Vec<[f32; 1]>) {
    let set = badly_scaled(ROWS, 314);
    (set.features, set.labels)
}

/// Full-batch GD on the regression data at one learning rate.
#[derive(Debug, Clone, Copy)]
struct GdRun {
    lr: f32,
    /// Steps after which the loss first was <= target (None: not within cap).
    steps_to_target: Option<u32>,
    /// Diverged: a refused step, a non-finite loss, or a loss above the
    /// initial one.
    diverged: bool,
    initial_loss: f32,
    last_loss: f32,
}

fn full_batch_gd(
    x: &[[f32; 2]],
    y: &[[f32; 1]],
    normalizer: Option<Normalizer<[f32; 2]>>,
    lr: f32,
    target: f32,
    cap: u32,
) -> GdRun {
    type Line = Dense<2, 1, Identity>;
    let data = SliceDataset::new(x, y).unwrap();
    let trainer = Trainer::<Line, _, _, 64>::new(MeanSquaredError, Sgd);
    let mut ws = Workspace::new(Line::ZERO, trainer);
    let config = FitConfig {
        mode: BatchMode::Full,
        schedule: lr,
        shuffle_seed: None,
        stopping: Stopping::epochs(1),
        normalizer,
    };
    let mut run = GdRun {
        lr,
        steps_to_target: None,
        diverged: false,
        initial_loss: f32::NAN,
        last_loss: f32::NAN,
    };
    // One call is one epoch is one step; its loss is measured before the
    // step, i.e. it is the loss after `step` steps.
    for step in 0..=cap {
        match ws.fit(&data, &config, ()) {
            Ok(report) => {
                let loss = report.last.mean_loss();
                if step == 0 {
                    run.initial_loss = loss;
                }
                run.last_loss = loss;
                if !loss.is_finite() || loss > 1e3 * run.initial_loss {
                    run.diverged = true;
                    return run;
                }
                if loss <= target {
                    run.steps_to_target = Some(step);
                    return run;
                }
            }
            Err(_) => {
                run.diverged = true;
                return run;
            }
        }
    }
    run.diverged = run.last_loss > run.initial_loss;
    run
}

/// Tries every rate of the grid; returns all runs.
fn lr_grid(
    x: &[[f32; 2]],
    y: &[[f32; 1]],
    normalizer: Option<Normalizer<[f32; 2]>>,
    target: f32,
    cap: u32,
) -> Vec<GdRun> {
    let mut rates = Vec::new();
    for exp in -8..=1 {
        for m in [1.0f32, 2.0, 5.0] {
            rates.push(m * 10f32.powi(exp));
        }
    }
    rates
        .into_iter()
        .map(|lr| full_batch_gd(x, y, normalizer, lr, target, cap))
        .collect()
}

/// The largest rate that did not diverge, and the stable run that reached
/// the target in the fewest steps (or, if none did, the largest stable one).
fn summarise(runs: &[GdRun]) -> (f32, GdRun) {
    let stable: Vec<&GdRun> = runs.iter().filter(|r| !r.diverged).collect();
    let largest = stable.iter().map(|r| r.lr).fold(0.0, f32::max);
    let best = stable
        .iter()
        .filter(|r| r.steps_to_target.is_some())
        .min_by_key(|r| r.steps_to_target)
        .or_else(|| stable.iter().max_by(|a, b| a.lr.total_cmp(&b.lr)))
        .map(|r| **r)
        .expect("no stable rate");
    (largest, best)
}

#[test]
fn min_max_scaling_lets_gradient_descent_converge_far_faster() {
    const CAP: u32 = 20_000;
    let (x, y) = badly_scaled_regression();
    let LeastSquares {
        mse: optimum,
        lambda_max,
        lambda_min,
    } = least_squares(&x, &y);
    let target = (1.01 * optimum) as f32;

    // Min-max scaling of the features only; the target is left as it is.
    let mut scaling = NormalizerFit::<2>::new();
    for row in &x {
        assert!(scaling.observe(row));
    }
    let normalizer = scaling.finish(Scaling::MinMax);
    let scaled_x: Vec<[f32; 2]> = x
        .iter()
        .map(|r| {
            let mut r = *r;
            normalizer.apply(&mut r);
            r
        })
        .collect();
    let LeastSquares {
        mse: scaled_optimum,
        lambda_max: scaled_lambda_max,
        lambda_min: scaled_lambda_min,
    } = least_squares(&scaled_x, &y);
    eprintln!(
        "regression, {ROWS} rows: optimum MSE {optimum:.6} (scaled features: \
         {scaled_optimum:.6}); target MSE <= {target:.6}"
    );
    eprintln!(
        "  Hessian eigenvalues: raw {lambda_min:.4e} .. {lambda_max:.4e} (condition number \
         {:.2e}; GD stable below lr {:.3e}), scaled {scaled_lambda_min:.4} .. \
         {scaled_lambda_max:.4} (condition number {:.1}; stable below lr {:.3})",
        lambda_max / lambda_min,
        2.0 / lambda_max,
        scaled_lambda_max / scaled_lambda_min,
        2.0 / scaled_lambda_max
    );
    assert!((scaled_optimum - optimum).abs() < 1e-3 * optimum);

    let raw = lr_grid(&x, &y, None, target, CAP);
    let scaled = lr_grid(&x, &y, Some(normalizer), target, CAP);
    for (name, runs) in [("raw", &raw), ("min-max", &scaled)] {
        eprintln!("  {name} features, full-batch GD, cap {CAP} steps:");
        for r in runs {
            eprintln!(
                "    lr {:>7.0e}: {:<9} steps to target {:>7}, loss {:.4e} -> {:.4e}",
                r.lr,
                if r.diverged { "diverged" } else { "stable" },
                r.steps_to_target
                    .map_or_else(|| format!(">{CAP}"), |s| s.to_string()),
                r.initial_loss,
                r.last_loss
            );
        }
    }
    let (raw_largest, raw_best) = summarise(&raw);
    let (scaled_largest, scaled_best) = summarise(&scaled);
    let raw_steps = raw_best.steps_to_target.unwrap_or(CAP);
    let scaled_steps = scaled_best
        .steps_to_target
        .expect("scaled GD never reached the target");
    eprintln!(
        "  raw: largest stable lr {raw_largest:.0e}, best lr {:.0e} -> {} steps (loss {:.4e})",
        raw_best.lr,
        raw_best
            .steps_to_target
            .map_or_else(|| format!("target not reached in {CAP}"), |s| s.to_string()),
        raw_best.last_loss
    );
    // The slowest mode's excess loss shrinks by (1 - lr λmin)² per step.
    let predicted = (f64::from(raw_best.initial_loss) / (0.01 * optimum)).ln()
        / (-2.0 * (1.0 - f64::from(raw_best.lr) * lambda_min).ln());
    eprintln!(
        "  raw at lr {:.0e}: the slowest mode (lambda {lambda_min:.3e}) needs about {predicted:.2e} \
         steps to get the excess loss down to 1% of the optimum",
        raw_best.lr
    );
    eprintln!(
        "  min-max: largest stable lr {scaled_largest:.0e}, best lr {:.0e} -> {scaled_steps} steps",
        scaled_best.lr
    );
    // The grid agrees with the theory: the largest stable rate lies below
    // 2/λmax, and the next grid rate (at most 2.5x larger) above it.
    for (largest, lambda) in [
        (raw_largest, lambda_max),
        (scaled_largest, scaled_lambda_max),
    ] {
        let bound = 2.0 / lambda;
        assert!(
            f64::from(largest) < bound * 1.001 && f64::from(largest) * 2.5 > bound,
            "largest stable {largest} vs bound {bound}"
        );
    }
    assert!(raw_largest < 1e-5, "{raw_largest}");
    assert!(scaled_largest >= 0.1, "{scaled_largest}");
    assert!(
        scaled_steps < raw_steps,
        "scaled {scaled_steps} vs raw {raw_steps}"
    );
    assert!(scaled_steps < 500, "{scaled_steps}");
    claims::record(
        "feature_scaling",
        serde_json::json!({
            "raw_largest_lr": raw_largest,
            "raw_condition": lambda_max / lambda_min,
            "raw_loss_at_cap": raw_best.last_loss,
            "raw_reached": raw_best.steps_to_target,
            "cap": CAP,
            "scaled_condition": scaled_lambda_max / scaled_lambda_min,
            "scaled_best_lr": scaled_best.lr,
            "scaled_steps": scaled_steps,
        }),
    );
}
