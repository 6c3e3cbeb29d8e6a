//! Soak: a million SGD steps (batch 1) without a refused step or a
//! non-finite value, and the model still right at the end. XOR runs with the
//! suite (~0.3 s); the digits model (~10 s) is `--ignored` and run by CI.

use microprop::{
    Dense, Identity, Init, Layer, Parameters, Permutation, Sgd, SigmoidBinaryCrossEntropy,
    SoftmaxCrossEntropy, Tanh, Trainer, network,
};
use microprop_tests::{digits, xor};

const STEPS: u32 = 1_000_000;

/// Largest magnitude, smallest non-zero magnitude, and how many values are
/// subnormal.
fn census<P: Parameters>(p: &P) -> (f32, f32, usize) {
    let values = p.slices().flatten();
    values.fold((0.0f32, f32::INFINITY, 0), |(max, min, sub), &v| {
        let a = v.abs();
        (
            max.max(a),
            if a > 0.0 { min.min(a) } else { min },
            sub + usize::from(v.is_subnormal()),
        )
    })
}

#[test]
fn xor_a_million_sgd_steps() {
    type Net = network![Dense<2, 8, Tanh>, Dense<8, 1, Identity>];
    let mut net = Net::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(2024));
    let mut t = Trainer::<Net, _, _, 1>::new(SigmoidBinaryCrossEntropy, Sgd);
    let (x, y) = (xor::X, xor::Y);
    let mut worst = 0.0f32;
    for step in 0..STEPS {
        let i = (step % 4) as usize;
        let stats = t
            .train_step(&mut net, &x[i..=i], &y[i..=i], 0.1)
            .unwrap_or_else(|e| panic!("step {step} refused: {e}"));
        assert!(stats.loss.is_finite(), "step {step}");
        if step % 4 == 3 {
            worst = stats.loss;
        }
    }
    assert_eq!(t.steps(), STEPS);
    let (max, min, subnormal) = census(&net);
    eprintln!(
        "XOR, {STEPS} SGD steps: last loss {worst:.2e}, |w| in [{min:.2e}, {max:.2e}], {subnormal} subnormal"
    );
    assert!(net.all_finite());
    let correct = x
        .iter()
        .zip(&y)
        .filter(|(x, y)| {
            let stats = t.evaluate(&net, &[**x], &[**y]).unwrap();
            stats.correct == Some(1)
        })
        .count();
    assert_eq!(correct, 4);
}

#[test]
#[ignore = "~10 s in the test profile; CI runs it with --ignored"]
fn digits_a_million_sgd_steps() {
    type Net = network![Dense<64, 32, Tanh>, Dense<32, 10, Identity>];
    let (xs, ys) = digits::all();
    assert_eq!(xs.len(), 1797);
    let mut net = Box::new(Net::ZERO);
    net.init(Init::Xavier, &mut microprop::init::seeded(7));
    let mut t = Box::new(Trainer::<Net, _, _, 1>::new(SoftmaxCrossEntropy, Sgd));
    let n = xs.len();
    let start = std::time::Instant::now();
    let mut epoch_loss = 0.0f64;
    let mut order = Permutation::new(n, 0);
    for step in 0..STEPS as usize {
        let pos = step % n;
        if pos == 0 {
            order = Permutation::new(n, step as u64);
            epoch_loss = 0.0;
        }
        let i = order.index(pos);
        let stats = t
            .train_step(&mut net, &xs[i..=i], &ys[i..=i], 0.01)
            .unwrap_or_else(|e| panic!("step {step} refused: {e}"));
        assert!(stats.loss.is_finite(), "step {step}");
        epoch_loss += f64::from(stats.loss);
        if step % 100_000 == 99_999 {
            assert!(net.all_finite(), "step {step}");
        }
    }
    let elapsed = start.elapsed();
    let (max, min, subnormal) = census(&*net);
    let correct = xs
        .iter()
        .zip(&ys)
        .filter(|(x, y)| t.evaluate(&net, &[**x], &[**y]).unwrap().correct == Some(1))
        .count();
    eprintln!(
        "digits 64-32-10, {STEPS} SGD steps (batch 1, {:.0} epochs) in {elapsed:.1?} ({:.2} us/step): \
         last partial-epoch mean loss {:.4}, training accuracy {:.2}%, |w| in [{min:.2e}, {max:.2e}], {subnormal} subnormal",
        STEPS as f64 / n as f64,
        elapsed.as_secs_f64() * 1e6 / f64::from(STEPS),
        epoch_loss / (STEPS as usize % n).max(1) as f64,
        100.0 * correct as f64 / n as f64
    );
    assert!(net.all_finite());
    assert!(correct as f64 / n as f64 > 0.97);
}
