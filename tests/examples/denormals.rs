//! Do subnormal ("denormal") floats slow training down on this host, and
//! does flush-to-zero help? Prints ns per training step; run in release:
//!   cargo run --release -p microprop-tests --example denormals
//!
//! Cases, on the digits model (64-32-10 tanh, batch 1, SGD):
//! - normal: pixels in [0, 1];
//! - subnormal: pixels scaled by 1e-38, so every first-layer product, the
//!   hidden pre-activations and tanh outputs, and the first layer's weight
//!   gradients are subnormal;
//! - each again with the x86 MXCSR FTZ and DAZ bits set (flush subnormal
//!   results to zero, treat subnormal inputs as zero).
//!
//! Then where subnormals appear by themselves: Adam's moments for inputs
//! that are almost always zero (the digits' border pixels) decay by 0.9 and
//! 0.999 per step into the subnormal range; counted after a long run.
//!
//! Setting MXCSR needs `unsafe` and changes results (and so host/MCU bit
//! identity): it is done here only, never in the core.

use std::hint::black_box;
use std::time::Instant;

use microprop::{
    Adam, Dense, Identity, Init, Layer, Optimizer, Parameters, Sgd, SoftmaxCrossEntropy, Tanh,
    Trainer, network,
};
use microprop_tests::digits;

type Net = network![Dense<64, 32, Tanh>, Dense<32, 10, Identity>];

#[cfg(target_arch = "x86_64")]
fn set_flush_to_zero(on: bool) {
    const FTZ_DAZ: u32 = (1 << 15) | (1 << 6);
    let mut csr = 0u32;
    // SAFETY: stmxcsr/ldmxcsr read and write the SSE control register of
    // this thread; only the FTZ and DAZ bits are changed.
    unsafe {
        std::arch::asm!("stmxcsr [{}]", in(reg) &mut csr, options(nostack));
        csr = if on { csr | FTZ_DAZ } else { csr & !FTZ_DAZ };
        std::arch::asm!("ldmxcsr [{}]", in(reg) &csr, options(nostack, readonly));
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn set_flush_to_zero(_on: bool) {}

fn subnormals<P: Parameters>(p: &P) -> usize {
    p.slices().flatten().filter(|v| v.is_subnormal()).count()
}

/// Best (least disturbed) of 5 runs of the ns per step of `steps` SGD steps.
fn time_sgd(xs: &[[f32; 64]], ys: &[usize], scale: f32, steps: usize) -> f64 {
    let xs: Vec<[f32; 64]> = xs.iter().map(|r| r.map(|v| v * scale)).collect();
    let mut runs = Vec::new();
    for _ in 0..5 {
        let mut net = Box::new(Net::ZERO);
        net.init(Init::Xavier, &mut microprop::init::seeded(1));
        let mut t = Box::new(Trainer::<Net, _, _, 1>::new(SoftmaxCrossEntropy, Sgd));
        let start = Instant::now();
        for s in 0..steps {
            let i = s % xs.len();
            black_box(t.train_step(&mut net, &xs[i..=i], &ys[i..=i], 0.01)).ok();
        }
        runs.push(start.elapsed().as_secs_f64() * 1e9 / steps as f64);
    }
    runs.sort_by(f64::total_cmp);
    runs[0]
}

/// Over `steps` SGD steps: steps whose gradient holds a subnormal value,
/// and subnormal gradient values in all.
fn census(xs: &[[f32; 64]], ys: &[usize], scale: f32, steps: usize) -> (usize, usize) {
    let mut net = Box::new(Net::ZERO);
    net.init(Init::Xavier, &mut microprop::init::seeded(1));
    let mut t = Box::new(Trainer::<Net, _, _, 1>::new(SoftmaxCrossEntropy, Sgd));
    let (mut with, mut total) = (0, 0);
    for s in 0..steps {
        let i = s % xs.len();
        let x = [xs[i].map(|v| v * scale)];
        t.zero_grad();
        t.accumulate(&net, &x, &ys[i..=i]).unwrap();
        let n = subnormals(t.gradient_sum());
        with += usize::from(n > 0);
        total += n;
        t.step(&mut net, 0.01).unwrap();
    }
    (with, total)
}

/// Trains Adam for `steps` steps, then times 3 x `timed` more steps with
/// FTZ/DAZ off and on (best of 3 each, from the same state). Returns the
/// subnormal moment count, the state size and the two timings.
fn adam_run(
    xs: &[[f32; 64]],
    ys: &[usize],
    steps: usize,
    timed: usize,
) -> (usize, usize, f64, f64) {
    type T = Trainer<Net, SoftmaxCrossEntropy, Adam, 1>;
    let mut net = Box::new(Net::ZERO);
    net.init(Init::Xavier, &mut microprop::init::seeded(1));
    let mut t = Box::new(T::new(SoftmaxCrossEntropy, Adam::PYTORCH));
    for s in 0..steps {
        let i = s % xs.len();
        t.train_step(&mut net, &xs[i..=i], &ys[i..=i], 0.001)
            .unwrap();
    }
    let sub = subnormals(t.optimizer_state());
    let len = <<Adam as Optimizer>::State<microprop::layer::Grads<Net>> as Parameters>::LEN;
    let mut blob = vec![0u8; microprop::checkpoint::training_len::<Net, Adam>()];
    microprop::checkpoint::save_training(&*net, &t, &mut blob).unwrap();
    let mut best = [f64::INFINITY; 2];
    for _ in 0..3 {
        for (ftz, best) in [false, true].into_iter().zip(best.iter_mut()) {
            microprop::checkpoint::load_training(&mut *net, &mut *t, &blob).unwrap();
            set_flush_to_zero(ftz);
            let start = Instant::now();
            for s in steps..steps + timed {
                let i = s % xs.len();
                black_box(t.train_step(&mut net, &xs[i..=i], &ys[i..=i], 0.001)).ok();
            }
            *best = best.min(start.elapsed().as_secs_f64() * 1e9 / timed as f64);
            set_flush_to_zero(false);
        }
    }
    (sub, len, best[0], best[1])
}

fn main() {
    let (xs, ys) = digits::all();
    let steps = 50_000;
    println!("digits 64-32-10, batch 1, SGD: ns per training step (best of 5 x {steps} steps)");
    for ftz in [false, true] {
        set_flush_to_zero(ftz);
        let normal = time_sgd(&xs, &ys, 1.0, steps);
        let tiny = time_sgd(&xs, &ys, 1e-38, steps);
        println!(
            "  FTZ/DAZ {:>3}: pixels in [0, 1] {normal:6.0} ns, pixels x 1e-38 {tiny:6.0} ns",
            if ftz { "on" } else { "off" },
        );
    }
    set_flush_to_zero(false);
    for (what, scale) in [("pixels in [0, 1]", 1.0), ("pixels x 1e-38", 1e-38)] {
        let (with, total) = census(&xs, &ys, scale, steps);
        println!(
            "  {what}: {with} of {steps} steps had subnormal gradient values ({total} values in all)"
        );
    }
    set_flush_to_zero(false);
    let long = 200_000;
    let (sub, len, off, on) = adam_run(&xs, &ys, long, 20_000);
    println!(
        "digits, Adam (lr 0.001) after {long} steps: {sub} of {len} moment values subnormal; \
         next steps {off:.0} ns (FTZ/DAZ off), {on:.0} ns (on)"
    );
    set_flush_to_zero(false);
}
