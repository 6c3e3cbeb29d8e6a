//! Link-time proof that microprop's training path cannot panic.
//!
//! `_start` trains, predicts, saves and loads concrete models with inputs the
//! optimiser cannot see through (`black_box`), so every check stays in. The
//! panic handler calls a function that exists nowhere: if any panic path
//! survives optimisation, the handler is linked and the link fails with
//! `undefined symbol: microprop_panic_path_reachable`. A successful link is
//! the proof. Run `./check.sh`; if the link fails, it rebuilds with
//! `--cfg nopanic_locate` and names the functions that call a panic.

#![no_std]
#![no_main]

use core::hint::black_box;
use core::panic::PanicInfo;

use microprop::checkpoint::{self, RamFlash, Store};
use microprop::guard::{Divergence, Guard};
use microprop::{
    AdaGrad, Adam, BatchMode, Dense, Elu, FitBuffers, FitConfig, FusedTrainer, Identity, Inference,
    Init, Layer, LeakyRelu, LrSchedule, Maxout, MeanSquaredError, Model, Momentum, NormalizerFit,
    Relu, RmsProp, Scaling, Sgd, Sigmoid, SigmoidBinaryCrossEntropy, SliceDataset, Softmax,
    SoftmaxCrossEntropy, Stopping, Tanh, Trainer, Warmup, fit, network,
};

/// A small classifier: 16 features, 8 tanh units, 4 classes.
type Net = network![Dense<16, 8, Tanh>, Dense<8, 4, Identity>];
const B: usize = 4;

/// Rows of a batch, from the first `n` of `all` (`n` is opaque).
fn rows<T>(all: &[T], n: usize) -> &[T] {
    all.get(..n).unwrap_or(all)
}

fn sgd_and_adam() {
    let mut net = black_box(Net::ZERO);
    net.init(Init::Xavier, &mut microprop::init::seeded(black_box(7)));
    let x: [[f32; 16]; B] = black_box([[0.25; 16]; B]);
    let y: [usize; B] = black_box([0, 1, 2, 3]);
    let n = black_box(B);
    let lr = black_box(0.05);

    let mut sgd = Trainer::<Net, SoftmaxCrossEntropy, Sgd, B>::new(SoftmaxCrossEntropy, Sgd);
    black_box(sgd.train_step(&mut net, rows(&x, n), rows(&y, n), lr)).ok();

    let mut adam =
        Trainer::<Net, SoftmaxCrossEntropy, Adam, B>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    black_box(adam.train_step(&mut net, rows(&x, n), rows(&y, n), lr)).ok();
    black_box(adam.evaluate(&net, rows(&x, n), rows(&y, n))).ok();

    // The fused batch-1 step (no gradient buffer), SGD and Adam.
    let mut fused_sgd =
        FusedTrainer::<Net, SoftmaxCrossEntropy, Sgd>::new(SoftmaxCrossEntropy, Sgd);
    black_box(fused_sgd.train_step(&mut net, &x[n % B], &y[n % B], lr)).ok();
    let mut fused_adam =
        FusedTrainer::<Net, SoftmaxCrossEntropy, Adam>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    black_box(fused_adam.train_step(&mut net, &x[n % B], &y[n % B], lr)).ok();

    let mut run = Inference::<Net>::new();
    black_box(run.predict(&net, &x[0]).map(|o| o.first().copied())).ok();
    black_box(run.classify(&net, &x[1])).ok();

    // Checkpoints: save and load parameters and training state.
    let mut blob = [0u8; checkpoint::training_len::<Net, Adam>()];
    let len = black_box(checkpoint::save_training(&net, &adam, &mut blob)).unwrap_or(0);
    let cut = black_box(len);
    black_box(checkpoint::load_training(
        &mut net,
        &mut adam,
        rows(&blob, cut),
    ))
    .ok();
    black_box(checkpoint::load(&mut net, rows(&blob, cut))).ok();
    black_box(checkpoint::inspect(rows(&blob, cut))).ok();
    black_box(checkpoint::save(&net, &mut blob)).ok();

    // The guard, with a divergence snapshot.
    let mut snapshot = [0u8; checkpoint::training_len::<Net, Adam>()];
    let mut guard = Guard::with_divergence(Divergence::DEFAULT, &mut snapshot);
    black_box(guard.train_step(&mut net, &mut adam, rows(&x, n), rows(&y, n), lr)).ok();
    black_box(guard.counts());

    // The flash store: save and load the newest blob.
    let mut flash = RamFlash::<8192, 4, 1024>::new();
    if let Ok(mut store) = Store::new(&mut flash, 0..4096, 4096..8192) {
        black_box(store.save(rows(&blob, cut))).ok();
        black_box(store.load_latest(&mut blob)).ok();
    }
}

/// Every other layer kind, activation, loss and optimizer, the fit loop,
/// schedules, normalisers and model checkpoints.
fn everything_else() {
    type Deep = network![
        Dense<6, 8, Relu>,
        Maxout<8, 6, 3>,
        Dense<6, 6, Elu>,
        Dense<6, 5, LeakyRelu>,
        Dense<5, 3, Sigmoid>
    ];
    type Soft = network![Dense<6, 5, Tanh>, Dense<5, 3, Softmax>];
    type Binary = network![Dense<6, 4, Tanh>, Dense<4, 3, Identity>];
    let x: [[f32; 6]; B] = black_box([[0.5; 6]; B]);
    let y3: [[f32; 3]; B] = black_box([[0.2; 3]; B]);
    let n = black_box(B);
    let lr = black_box(0.01);

    let mut deep = black_box(Deep::ZERO);
    deep.init(Init::HeNormal, &mut microprop::init::seeded(black_box(3)));
    let mut momentum =
        Trainer::<Deep, MeanSquaredError, Momentum, B>::new(MeanSquaredError, Momentum::new(0.9))
            .with_grad_clipping(black_box(1.0));
    black_box(momentum.train_step(&mut deep, rows(&x, n), rows(&y3, n), lr)).ok();
    let mut rms =
        Trainer::<Deep, MeanSquaredError, RmsProp, B>::new(MeanSquaredError, RmsProp::PYTORCH);
    black_box(rms.train_step(&mut deep, rows(&x, n), rows(&y3, n), lr)).ok();
    let mut ada =
        Trainer::<Deep, MeanSquaredError, AdaGrad, B>::new(MeanSquaredError, AdaGrad::PYTORCH);
    black_box(ada.accumulate(&deep, rows(&x, n), rows(&y3, n))).ok();
    black_box(ada.step_measured(&mut deep, lr)).ok();

    let mut soft = black_box(Soft::ZERO);
    soft.init(
        Init::GlorotUniform,
        &mut microprop::init::seeded(black_box(4)),
    );
    let mut adamw =
        Trainer::<Soft, MeanSquaredError, Adam, B>::new(MeanSquaredError, Adam::adamw(0.01));
    black_box(adamw.train_step(&mut soft, rows(&x, n), rows(&y3, n), lr)).ok();

    let mut binary = black_box(Binary::ZERO);
    binary.init(Init::Xavier, &mut microprop::init::seeded(black_box(5)));
    let mut bce =
        Trainer::<Binary, SigmoidBinaryCrossEntropy, Sgd, B>::new(SigmoidBinaryCrossEntropy, Sgd);
    black_box(bce.train_step(&mut binary, rows(&x, n), rows(&y3, n), lr)).ok();

    // The fit loop over a slice data set, shuffled, with a warmup schedule.
    let labels: [[f32; 3]; B] = y3;
    if let Some(data) = SliceDataset::new(rows(&x, n), rows(&labels, n)) {
        let config = FitConfig {
            mode: BatchMode::MiniBatch(black_box(3)),
            schedule: Warmup {
                steps: black_box(2),
                inner: LrSchedule::Cosine {
                    initial: 0.1,
                    last: 0.001,
                    period: black_box(10),
                },
            },
            shuffle_seed: Some(black_box(9)),
            stopping: Stopping::epochs(black_box(3)),
            normalizer: None,
        };
        let mut buffers = FitBuffers::<[f32; 6], [f32; 3], B>::new();
        let mut best = Binary::ZERO;
        black_box(fit(
            &mut binary,
            &mut bce,
            &data,
            &config,
            &mut buffers,
            Some(&mut best),
            |r| {
                black_box(r.stats.mean_loss());
            },
        ))
        .ok();
    }

    // A model with normalisers: predict, save, load.
    let mut norm = NormalizerFit::<6>::new();
    for row in rows(&x, n) {
        norm.observe(row);
    }
    let mut target_norm = NormalizerFit::<3>::new();
    target_norm.observe(&y3[0]);
    let mut model = Model::<Binary, 6, 3>::new(binary);
    model.input = norm.finish(Scaling::Standard);
    model.target = target_norm.finish(Scaling::MinMax);
    let mut run = Inference::<Binary>::new();
    let mut row = x[0];
    black_box(model.predict(&mut run, &mut row)).ok();
    let mut blob = [0u8; checkpoint::model_len::<Binary, 6, 3>()];
    let len = black_box(checkpoint::save_model(&model, &mut blob)).unwrap_or(0);
    black_box(checkpoint::load_model(
        &mut model,
        rows(&blob, black_box(len)),
    ))
    .ok();
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    sgd_and_adam();
    everything_else();
    loop {
        core::hint::spin_loop();
    }
}

#[cfg(not(nopanic_locate))]
#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    unsafe extern "C" {
        /// Defined nowhere: referencing it fails the link.
        fn microprop_panic_path_reachable() -> !;
    }
    // SAFETY: never runs; the link fails if this is reachable at all.
    unsafe { microprop_panic_path_reachable() }
}

/// With `--cfg nopanic_locate` the build links, so `check.sh` can list the
/// functions that still call into the panic machinery.
#[cfg(nopanic_locate)]
#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    loop {
        core::hint::spin_loop();
    }
}
