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
    AdaGrad, Adam, BatchMode, BiasOnly, BinaryCrossEntropy, Dense, Elu, FitConfig, Frozen,
    FusedTrainer, Identity, Inference, Init, KeepBest, Layer, LeakyRelu, LrSchedule, Maxout,
    MeanSquaredError, Model, Momentum, NormalizerFit, OnEpoch, OnStep, QuantizedDense, Relu,
    RmsProp, Scaling, Sgd, Sigmoid, SigmoidBinaryCrossEntropy, SliceDataset,
    SoftTargetCrossEntropy, Softmax, SoftmaxCrossEntropy, Stopping, Tanh, Trainer, Warmup,
    WarmupStart, Workspace, network,
};

/// A small classifier: 16 features, 8 tanh units, 4 classes.
type Net = network![Dense<16, 8, Tanh>, Dense<8, 4, Identity>];
const B: usize = 4;

/// The first `n` of `all`, mutably (all of it if shorter).
fn part<T>(all: &mut [T], n: usize) -> &mut [T] {
    let len = all.len();
    all.get_mut(..n.min(len)).unwrap_or_default()
}

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

/// The run-time-shaped front end: a layer list, networks, both trainers
/// with every loss and two optimizers, maxout, and its checkpoints, with
/// widths, batch sizes and buffer lengths the optimiser cannot see.
fn run_time_front_end() {
    use microprop::ActivationKind;
    use microprop::dynamic::{
        Backbone, Buffers, FusedBuffers, FusedTrainer as RunFused, LayerSpec, LossKind, Network,
        Targets, Topology, Trainer as RunTrainer,
    };
    let layers = black_box([
        LayerSpec::dense(8, ActivationKind::Tanh),
        LayerSpec::maxout(6, 2),
        LayerSpec::dense_with(5, ActivationKind::LeakyRelu, 0.2),
        LayerSpec::dense(3, ActivationKind::Identity),
    ]);
    let depth = black_box(4);
    let Ok(topology) = Topology::new(black_box(6), rows(&layers, depth)) else {
        return;
    };
    let len = black_box(topology.params_len());
    let mut params = [0.0_f32; 512];
    let mut grads = [0.0_f32; 512];
    let mut state = [0.0_f32; 1024];
    let mut cache = [0.0_f32; 256];
    let mut winners = [0u8; 64];
    let mut scratch = [0.0_f32; 32];
    let x = black_box([0.5_f32; 24]);
    let n = black_box(4);
    let lr = black_box(0.01);
    let Some(params) = params.get_mut(..len) else {
        return;
    };
    let Ok(mut net) = Network::new(topology, params) else {
        return;
    };
    net.init(
        black_box(Init::Xavier),
        &mut microprop::init::seeded(black_box(5)),
    );
    let mut out = [0.0_f32; 3];
    let s = black_box(topology.scratch_len());
    let w = black_box(topology.scratch_winners_len());
    black_box(net.predict(
        rows(&x, 6),
        part(&mut scratch, s.min(32)),
        part(&mut winners, w.min(64)),
        &mut out,
    ))
    .ok();

    // A frozen front over read-only parameters: its features for a batch.
    if let Ok(backbone) = Backbone::new(topology, net.params()) {
        let mut features = [0.0_f32; 12];
        let rows_in = black_box(4 * 6);
        black_box(backbone.features(
            rows(&x, rows_in),
            part(&mut scratch, s.min(32)),
            part(&mut winners, w.min(64)),
            part(&mut features, black_box(12)),
        ))
        .ok();
        // Saved and loaded with a head trained on it.
        let head_layers = [LayerSpec::dense(3, ActivationKind::Identity)];
        if let Ok(head_topology) = Topology::new(black_box(topology.outputs()), &head_layers) {
            let mut head_params = [0.0_f32; 64];
            let head_len = black_box(head_topology.params_len()).min(64);
            if let Ok(mut head) = Network::new(head_topology, part(&mut head_params, head_len)) {
                let mut blob = [0u8; 1024];
                let saved = checkpoint::save_fine_tuned(&backbone, &head, &mut blob);
                let cut = black_box(saved.unwrap_or(0));
                black_box(checkpoint::load_fine_tuned(
                    &backbone,
                    &mut head,
                    rows(&blob, cut),
                ))
                .ok();
            }
        }
    }

    let cache_len = black_box(topology.cache_len(n).unwrap_or(0)).min(256);
    let winners_len = black_box(topology.winners_len(n).unwrap_or(0)).min(64);
    let buffers = Buffers {
        gradients: part(&mut grads, len.min(512)),
        optimizer_state: part(&mut state, (2 * len).min(1024)),
        cache: part(&mut cache, cache_len),
        winners: part(&mut winners, winners_len),
    };
    let labels = black_box([0usize, 1, 2, 1]);
    let values = black_box([0.5_f32; 12]);
    let loss = black_box(LossKind::SoftmaxCrossEntropy);
    if let Ok(mut trainer) = RunTrainer::new(topology, buffers, n, loss, Adam::PYTORCH) {
        trainer.max_grad_norm = black_box(Some(1.0));
        let rows_x = rows(&x, n * 6);
        black_box(trainer.train_step(&mut net, rows_x, Targets::Labels(rows(&labels, n)), lr)).ok();
        black_box(trainer.evaluate(&net, rows_x, Targets::Values(rows(&values, n * 3)))).ok();
        black_box(trainer.accumulate(&net, rows_x, Targets::Labels(rows(&labels, n)))).ok();
        black_box(trainer.step_measured(&mut net, lr)).ok();
        let mut blob = [0u8; 4096];
        let saved =
            checkpoint::save_network_training(&net, trainer.optimizer_state(), 3, &mut blob);
        let cut = black_box(saved.unwrap_or(0));
        let mut steps = 0;
        black_box(checkpoint::load_network_training(
            &mut net,
            trainer.optimizer_state_mut(),
            &mut steps,
            rows(&blob, cut),
        ))
        .ok();
        black_box(checkpoint::load_network(&mut net, rows(&blob, cut))).ok();
        let mut specs = [LayerSpec::dense(1, ActivationKind::Identity); 8];
        black_box(checkpoint::layers(rows(&blob, cut), &mut specs)).ok();
        black_box(checkpoint::save_network(&net, &mut blob)).ok();
    }

    // The fused step on a dense-only list, each value loss.
    let Ok(dense) = Topology::new(black_box(6), rows(&layers, 1)) else {
        return;
    };
    let dense_len = black_box(dense.params_len()).min(512);
    let mut dense_params = [0.0_f32; 512];
    let Ok(mut dense_net) = Network::new(dense, part(&mut dense_params, dense_len)) else {
        return;
    };
    let fused_cache = black_box(dense.cache_len(1).unwrap_or(0)).min(256);
    let buffers = FusedBuffers {
        optimizer_state: part(&mut state, dense_len),
        cache: part(&mut cache, fused_cache),
    };
    let value_loss = black_box(LossKind::MeanSquaredError);
    if let Ok(mut fused) = RunFused::new(dense, buffers, value_loss, Momentum::new(0.9)) {
        black_box(fused.train_step(
            &mut dense_net,
            rows(&x, 6),
            Targets::Values(rows(&values, 8)),
            lr,
        ))
        .ok();
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
    // Binary cross-entropy on the sigmoid outputs.
    let mut bce_p = Trainer::<Deep, BinaryCrossEntropy, Sgd, B>::new(BinaryCrossEntropy, Sgd);
    black_box(bce_p.train_step(&mut deep, rows(&x, n), rows(&y3, n), lr)).ok();

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
    // Cross-entropy against probability vectors.
    let mut soft_ce =
        Trainer::<Binary, SoftTargetCrossEntropy, Sgd, B>::new(SoftTargetCrossEntropy, Sgd);
    black_box(soft_ce.train_step(&mut binary, rows(&x, n), rows(&y3, n), lr)).ok();

    // The fit loop over a slice data set, shuffled, with a warmup schedule,
    // every hook, then evaluation and prediction through the workspace.
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
                start: WarmupStart::LinearLr,
            },
            shuffle_seed: Some(black_box(9)),
            stopping: Stopping::epochs(black_box(3)),
            normalizer: None,
        };
        let mut ws = Workspace::new(binary, bce);
        let mut best = Binary::ZERO;
        let epochs = OnEpoch::new(|r| {
            black_box(r.stats.mean_loss());
        });
        let steps = OnStep::new(|e| {
            black_box(e.stats.loss);
        });
        black_box(ws.fit(&data, &config, ((KeepBest(&mut best), epochs), steps))).ok();
        black_box(ws.evaluate(&data, config.normalizer.as_ref())).ok();
        black_box(ws.predict(&x[n % B], None)).ok();
        binary = ws.net;
    }

    // A model with normalisers: predict, save, load.
    let mut norm = NormalizerFit::<6>::new();
    for row in rows(&x, n) {
        norm.observe(row);
    }
    let mut target_norm = NormalizerFit::<3>::new();
    target_norm.observe(&y3[0]);
    let mut model = Model::<Binary>::new(binary);
    model.input = norm.finish(Scaling::Standard);
    model.target = target_norm.finish(Scaling::MinMax);
    let mut run = Inference::<Binary>::new();
    let mut row = x[0];
    black_box(model.predict(&mut run, &mut row)).ok();
    let mut blob = [0u8; checkpoint::model_len::<Binary>()];
    let len = black_box(checkpoint::save_model(&model, &mut blob)).unwrap_or(0);
    black_box(checkpoint::load_model(
        &mut model,
        rows(&blob, black_box(len)),
    ))
    .ok();
}

/// Fine-tuning: a frozen backbone with a trained head, a frozen maxout
/// layer between trainable ones, bias-only layers (TinyTL), with Adam and
/// momentum, and a training checkpoint of the frozen network.
fn fine_tuning() {
    type Backbone = network![Dense<6, 8, Tanh>, Maxout<8, 6, 2>];
    type Head = network![Frozen<Backbone>, Dense<6, 3, Identity>];
    type Middle = network![
        BiasOnly<Dense<6, 8, Relu>>,
        Frozen<Maxout<8, 6, 2>>,
        Dense<6, 3, Identity>
    ];
    let x: [[f32; 6]; B] = black_box([[0.5; 6]; B]);
    let y: [usize; B] = black_box([0, 1, 2, 1]);
    let n = black_box(B);
    let lr = black_box(0.01);

    let mut head = black_box(Head::ZERO);
    head.init(Init::HeNormal, &mut microprop::init::seeded(black_box(6)));
    let mut adam =
        Trainer::<Head, SoftmaxCrossEntropy, Adam, B>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    black_box(adam.train_step(&mut head, rows(&x, n), rows(&y, n), lr)).ok();
    let mut blob = [0u8; checkpoint::training_len::<Head, Adam>()];
    let len = black_box(checkpoint::save_training(&head, &adam, &mut blob)).unwrap_or(0);
    black_box(checkpoint::load_training(
        &mut head,
        &mut adam,
        rows(&blob, black_box(len)),
    ))
    .ok();

    let mut middle = black_box(Middle::ZERO);
    middle.init(Init::HeNormal, &mut microprop::init::seeded(black_box(8)));
    let mut momentum = Trainer::<Middle, SoftmaxCrossEntropy, Momentum, B>::new(
        SoftmaxCrossEntropy,
        Momentum::new(0.9),
    )
    .with_grad_clipping(black_box(1.0));
    black_box(momentum.accumulate(&middle, rows(&x, n), rows(&y, n))).ok();
    black_box(momentum.step_measured(&mut middle, lr)).ok();

    // The fused batch-1 step behind a frozen dense backbone.
    type DenseHead =
        network![Frozen<Dense<6, 8, Tanh>>, BiasOnly<Dense<8, 4, Relu>>, Dense<4, 3, Identity>];
    let mut dense = black_box(DenseHead::ZERO);
    dense.init(Init::Xavier, &mut microprop::init::seeded(black_box(9)));
    let mut fused = FusedTrainer::<DenseHead, SoftmaxCrossEntropy, Adam>::new(
        SoftmaxCrossEntropy,
        Adam::PYTORCH,
    );
    black_box(fused.train_step(&mut dense, &x[n % B], &y[n % B], lr)).ok();
}

/// int8 frozen layers: a backbone quantised at run time from float
/// weights, trained behind with Adam (batch and fused step), and an int8
/// layer between trainable ones with momentum.
fn int8() {
    type Int8Head = network![QuantizedDense<6, 8, Tanh>, Dense<8, 3, Identity>];
    type Int8Middle = network![
        Dense<6, 8, Relu>,
        QuantizedDense<8, 6, Tanh>,
        Dense<6, 3, Identity>
    ];
    let x: [[f32; 6]; B] = black_box([[0.5; 6]; B]);
    let y: [usize; B] = black_box([0, 1, 2, 1]);
    let n = black_box(B);
    let lr = black_box(0.01);

    let mut float = black_box(Dense::<6, 8, Tanh>::ZERO);
    float.init(Init::HeNormal, &mut microprop::init::seeded(black_box(3)));
    let mut head = black_box(Int8Head::ZERO);
    head.second
        .init(Init::Xavier, &mut microprop::init::seeded(black_box(4)));
    if let Ok(q) = QuantizedDense::quantize(&float) {
        head.first = q;
    }
    let mut adam =
        Trainer::<Int8Head, SoftmaxCrossEntropy, Adam, B>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    black_box(adam.train_step(&mut head, rows(&x, n), rows(&y, n), lr)).ok();
    let mut fused = FusedTrainer::<Int8Head, SoftmaxCrossEntropy, Adam>::new(
        SoftmaxCrossEntropy,
        Adam::PYTORCH,
    );
    black_box(fused.train_step(&mut head, &x[n % B], &y[n % B], lr)).ok();
    let mut run = Inference::<Int8Head>::new();
    black_box(run.predict(&head, &x[n % B])).ok();
    // Its checkpoint (int8 data) with the Adam state, and an int8 layer in
    // flash (a CRC-32) in front of it.
    let mut blob = [0u8; checkpoint::training_len::<Int8Head, Adam>()];
    let len = black_box(checkpoint::save_training(&head, &adam, &mut blob)).unwrap_or(0);
    black_box(checkpoint::load_training(
        &mut head,
        &mut adam,
        rows(&blob, black_box(len)),
    ))
    .ok();
    let mut kinds = [microprop::layer::LayerKind::Trainable; 4];
    black_box(checkpoint::kinds(rows(&blob, black_box(len)), &mut kinds)).ok();
    static FRONT: QuantizedDense<6, 6, Relu> =
        QuantizedDense::from_int8([[3; 6]; 6], [0.01; 6], [0.0; 6]);
    struct Front;
    impl microprop::layer::FlashWeights for Front {
        type Layer = QuantizedDense<6, 6, Relu>;
        const LAYER: &'static QuantizedDense<6, 6, Relu> = &FRONT;
    }
    type InFlash = network![microprop::Flash<Front>, Int8Head];
    let mut flash = black_box(InFlash::ZERO);
    flash.second = head;
    let mut blob = [0u8; checkpoint::params_len::<InFlash>()];
    let len = black_box(checkpoint::save(&flash, &mut blob)).unwrap_or(0);
    black_box(checkpoint::load(&mut flash, rows(&blob, black_box(len)))).ok();

    let mut middle = black_box(Int8Middle::ZERO);
    middle.init(Init::HeNormal, &mut microprop::init::seeded(black_box(8)));
    let mut momentum = Trainer::<Int8Middle, SoftmaxCrossEntropy, Momentum, B>::new(
        SoftmaxCrossEntropy,
        Momentum::new(0.9),
    );
    black_box(momentum.train_step(&mut middle, rows(&x, n), rows(&y, n), lr)).ok();
}

#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    sgd_and_adam();
    everything_else();
    fine_tuning();
    int8();
    run_time_front_end();
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
