//! The C API computes the same bits as `microprop::dynamic` used directly:
//! the same weights after the same initialisation, and after the same run
//! (every optimizer, schedules with warmup, steps over more rows than the
//! batch, the fused step, maxout), the same optimizer state and step count,
//! the same checkpoint bytes, and the digest the Rust firmware logs.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use microprop::dynamic::{
    Buffers as CoreBuffers, FlatOptimizer, FusedBuffers, FusedTrainer, LayerSpec, LossKind,
    Network, Targets, Topology, Trainer,
};
use microprop::{
    ActivationKind, AdaGrad, Adam, Init, LrSchedule, Momentum, RmsProp, Schedule, Sgd, Warmup,
    WarmupStart, checkpoint,
};
mod cmodel;
use cmodel::CModel;

use microprop_ffi::{
    Config, InitConfig, InitKind, Layer, Loss, OptimizerConfig, ScheduleConfig, Stats, Status,
    microprop_adagrad, microprop_adam, microprop_adamw, microprop_checkpoint_save,
    microprop_init_weights, microprop_momentum, microprop_rmsprop, microprop_schedule_cosine,
    microprop_sgd, microprop_steps, microprop_train_labels, microprop_weights_digest,
};

/// A small classification set: `rows` rows of `inputs` features in
/// [-1, 1] from a fixed integer hash, labels from the features' signs.
fn data(rows: usize, inputs: usize, classes: usize) -> (Vec<f32>, Vec<usize>) {
    let mut x = Vec::with_capacity(rows * inputs);
    let mut state = 0x1234_5678u32;
    for _ in 0..rows * inputs {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        x.push((state % 2001) as f32 / 1000.0 - 1.0);
    }
    let labels = x
        .chunks(inputs)
        .map(|r| r.iter().filter(|&&v| v > 0.0).count() % classes)
        .collect();
    (x, labels)
}

impl CModel {
    fn init(&mut self, seed: u64) {
        let init = InitConfig {
            kind: InitKind::Xavier as u32,
            a: 0.0,
            b: 0.0,
        };
        // SAFETY: a set-up model.
        let status = unsafe { microprop_init_weights(&mut *self.model, init, seed) };
        assert_eq!(status, Status::Ok);
    }

    fn train(&mut self, x: &[f32], labels: &[usize]) -> Stats {
        let mut stats = Stats::default();
        // SAFETY: a set-up model; inputs and outputs are distinct Rust
        // buffers.
        let status = unsafe {
            microprop_train_labels(
                &mut *self.model,
                x.as_ptr(),
                x.len(),
                labels.as_ptr(),
                labels.len(),
                &mut stats,
            )
        };
        assert_eq!(status, Status::Ok);
        stats
    }

    fn steps(&self) -> u32 {
        let mut n = 0;
        // SAFETY: a set-up model.
        let status = unsafe { microprop_steps(&*self.model, &mut n) };
        assert_eq!(status, Status::Ok);
        n
    }
}

fn config(layers: &[Layer], batch: u32, optimizer: OptimizerConfig) -> Config {
    let mut schedule = microprop_schedule_cosine(0.05, 0.001, 40);
    schedule.warmup_steps = 5;
    Config {
        inputs: 6,
        layer_count: layers.len() as u32,
        layers: layers.as_ptr(),
        loss: Loss::SoftmaxCrossEntropy as u32,
        batch,
        fused: 0,
        reserved: [0; 3],
        max_grad_norm: 0.0,
        optimizer,
        schedule,
    }
}

fn core_schedule() -> Warmup<LrSchedule> {
    Warmup {
        steps: 5,
        inner: LrSchedule::Cosine {
            initial: 0.05,
            last: 0.001,
            period: 40,
        },
        start: WarmupStart::LinearLr,
    }
}

fn specs(layers: &[Layer]) -> Vec<LayerSpec> {
    layers
        .iter()
        .map(|l| {
            if l.pieces > 1 {
                LayerSpec::maxout(l.units as usize, usize::from(l.pieces))
            } else {
                LayerSpec::dense_with(
                    l.units as usize,
                    ActivationKind::from_code(l.activation).unwrap(),
                    l.parameter,
                )
            }
        })
        .collect()
}

/// `steps` steps of `rows_per_step` rows through `microprop::dynamic`
/// with `optimizer`: returns the weights, the optimizer state, the step
/// count and each step's loss.
#[allow(clippy::too_many_arguments)]
fn dynamic_run<O: FlatOptimizer + Copy>(
    layers: &[LayerSpec],
    batch: usize,
    optimizer: O,
    max_grad_norm: Option<f32>,
    x: &[f32],
    labels: &[usize],
    rows_per_step: usize,
    steps: usize,
) -> (Vec<f32>, Vec<f32>, u32, Vec<f32>) {
    let topology = Topology::new(6, layers).unwrap();
    let mut params = vec![0.0; topology.params_len()];
    let mut gradients = vec![0.0; topology.params_len()];
    let mut state = vec![0.0; O::STATE_BUFFERS * topology.params_len()];
    let mut cache = vec![0.0; topology.cache_len(batch).unwrap()];
    let mut winners = vec![0; topology.winners_len(batch).unwrap()];
    let mut net = Network::new(topology, &mut params).unwrap();
    net.init(Init::Xavier, &mut microprop::init::seeded(21));
    let buffers = CoreBuffers {
        gradients: &mut gradients,
        optimizer_state: &mut state,
        cache: &mut cache,
        winners: &mut winners,
    };
    let mut trainer = Trainer::new(
        topology,
        buffers,
        batch,
        LossKind::SoftmaxCrossEntropy,
        optimizer,
    )
    .unwrap();
    trainer.max_grad_norm = max_grad_norm;
    let schedule = core_schedule();
    let rows = labels.len();
    let mut losses = Vec::new();
    for step in 0..steps {
        let start = (step * rows_per_step) % rows;
        let end = (start + rows_per_step).min(rows);
        let lr = schedule.learning_rate(trainer.steps());
        // As `microprop::fit`: discard, accumulate chunks of the batch, step.
        let mut loss_sum = 0.0;
        let mut first = start;
        while first < end {
            let last = (first + batch).min(end);
            let stats = trainer
                .accumulate(
                    &net,
                    &x[first * 6..last * 6],
                    Targets::Labels(&labels[first..last]),
                )
                .unwrap();
            loss_sum += stats.loss * stats.rows as f32;
            first = last;
        }
        trainer.step(&mut net, lr).unwrap();
        losses.push(loss_sum);
    }
    let steps = trainer.steps();
    let state = trainer.optimizer_state().to_vec();
    (params, state, steps, losses)
}

fn c_run(
    config: &Config,
    x: &[f32],
    labels: &[usize],
    rows_per_step: usize,
    steps: usize,
) -> (CModel, Vec<f32>) {
    let (mut model, _) = CModel::new(config);
    model.init(21);
    let rows = labels.len();
    let mut losses = Vec::new();
    for step in 0..steps {
        let start = (step * rows_per_step) % rows;
        let end = (start + rows_per_step).min(rows);
        let stats = model.train(&x[start * 6..end * 6], &labels[start..end]);
        losses.push(stats.loss_sum);
    }
    (model, losses)
}

fn assert_same_run<O: FlatOptimizer + Copy>(
    name: &str,
    layers: &[Layer],
    c_optimizer: OptimizerConfig,
    optimizer: O,
) {
    let (x, labels) = data(50, 6, 3);
    // Batch 4, steps of 10 rows (chunks of 4 + 4 + 2) and of 3 rows.
    for (batch, rows_per_step) in [(4usize, 10usize), (4, 3), (1, 1)] {
        let c = config(layers, batch as u32, c_optimizer);
        let (model, c_losses) = c_run(&c, &x, &labels, rows_per_step, 30);
        let (params, state, steps, losses) = dynamic_run(
            &specs(layers),
            batch,
            optimizer,
            None,
            &x,
            &labels,
            rows_per_step,
            30,
        );
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(
            bits(&model.params),
            bits(&params),
            "{name}: weights, batch {batch}"
        );
        assert_eq!(bits(&model.state), bits(&state), "{name}: optimizer state");
        assert_eq!(model.steps(), steps, "{name}: steps");
        assert_eq!(model.steps(), 30);
        if rows_per_step <= batch {
            assert_eq!(bits(&c_losses), bits(&losses), "{name}: losses");
        }
    }
}

fn dense_layers() -> [Layer; 2] {
    [
        microprop_ffi::microprop_dense(8, ActivationKind::Tanh.code()),
        microprop_ffi::microprop_dense(3, ActivationKind::Identity.code()),
    ]
}

#[test]
fn every_optimizer_gives_the_bits_of_the_run_time_front_end() {
    let layers = dense_layers();
    assert_same_run("sgd", &layers, microprop_sgd(), Sgd);
    assert_same_run(
        "momentum",
        &layers,
        microprop_momentum(0.9, 0),
        Momentum::new(0.9),
    );
    let nesterov = Momentum {
        nesterov: true,
        ..Momentum::new(0.8)
    };
    assert_same_run("nesterov", &layers, microprop_momentum(0.8, 1), nesterov);
    assert_same_run("adagrad", &layers, microprop_adagrad(), AdaGrad::PYTORCH);
    let mut warm = microprop_adagrad();
    warm.initial_accumulator = 0.1;
    let warm_core = AdaGrad {
        initial_accumulator: 0.1,
        ..AdaGrad::PYTORCH
    };
    assert_same_run("adagrad warm accumulator", &layers, warm, warm_core);
    let mut decayed = microprop_sgd();
    decayed.weight_decay = 0.01;
    assert_same_run(
        "sgd weight decay",
        &layers,
        decayed,
        Sgd::with_weight_decay(0.01),
    );
    assert_same_run("rmsprop", &layers, microprop_rmsprop(), RmsProp::PYTORCH);
    let mut lecture = microprop_rmsprop();
    lecture.alpha = 0.9;
    lecture.eps_inside = 1;
    assert_same_run("rmsprop lecture", &layers, lecture, RmsProp::LECTURE);
    assert_same_run("adam", &layers, microprop_adam(), Adam::PYTORCH);
    assert_same_run("adamw", &layers, microprop_adamw(0.01), Adam::adamw(0.01));
}

#[test]
fn maxout_and_leaky_relu_give_the_same_bits() {
    let layers = [
        microprop_ffi::microprop_maxout(5, 3),
        microprop_ffi::microprop_dense_with(7, ActivationKind::LeakyRelu.code(), 0.2),
        microprop_ffi::microprop_dense(3, ActivationKind::Identity.code()),
    ];
    assert_same_run("maxout adam", &layers, microprop_adam(), Adam::PYTORCH);
}

#[test]
fn gradient_clipping_gives_the_same_bits() {
    let layers = dense_layers();
    let (x, labels) = data(40, 6, 3);
    let mut c = config(&layers, 8, microprop_adam());
    c.max_grad_norm = 0.05;
    let (model, _) = c_run(&c, &x, &labels, 8, 25);
    let (params, ..) = dynamic_run(
        &specs(&layers),
        8,
        Adam::PYTORCH,
        Some(0.05),
        &x,
        &labels,
        8,
        25,
    );
    assert!(
        model
            .params
            .iter()
            .zip(&params)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
}

#[test]
fn the_fused_step_gives_the_bits_of_the_fused_trainer() {
    let layers = dense_layers();
    let (x, labels) = data(30, 6, 3);
    let mut c = config(&layers, 1, microprop_adam());
    c.fused = 1;
    let (model, _) = c_run(&c, &x, &labels, 1, 60);

    let specs = specs(&layers);
    let topology = Topology::new(6, &specs).unwrap();
    let mut params = vec![0.0; topology.params_len()];
    let mut state = vec![0.0; 2 * topology.params_len()];
    let mut cache = vec![0.0; topology.cache_len(1).unwrap()];
    let mut net = Network::new(topology, &mut params).unwrap();
    net.init(Init::Xavier, &mut microprop::init::seeded(21));
    let buffers = FusedBuffers {
        optimizer_state: &mut state,
        cache: &mut cache,
    };
    let mut trainer = FusedTrainer::new(
        topology,
        buffers,
        LossKind::SoftmaxCrossEntropy,
        Adam::PYTORCH,
    )
    .unwrap();
    let schedule = core_schedule();
    for step in 0..60 {
        let row = step % 30;
        let lr = schedule.learning_rate(trainer.steps());
        trainer
            .train_step(
                &mut net,
                &x[row * 6..row * 6 + 6],
                Targets::Labels(&labels[row..=row]),
                lr,
            )
            .unwrap();
    }
    assert!(
        model
            .params
            .iter()
            .zip(&params)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
    assert!(
        model
            .state
            .iter()
            .zip(&state)
            .all(|(a, b)| a.to_bits() == b.to_bits())
    );
}

#[test]
fn checkpoints_and_digests_are_the_rust_ones() {
    let layers = dense_layers();
    let (x, labels) = data(20, 6, 3);
    let c = config(&layers, 4, microprop_adam());
    let (mut model, _) = c_run(&c, &x, &labels, 4, 7);
    let (_, sizes) = CModel::new(&c);

    // The C checkpoint is what the Rust encoder writes for that network.
    let mut blob = vec![0u8; sizes.training_checkpoint_bytes];
    let mut written = 0;
    // SAFETY: a set-up model; distinct output buffers.
    let status = unsafe {
        microprop_checkpoint_save(
            &mut *model.model,
            blob.as_mut_ptr(),
            blob.len(),
            1,
            &mut written,
        )
    };
    assert_eq!(status, Status::Ok);
    assert_eq!(written, blob.len());
    let specs = specs(&layers);
    let topology = Topology::new(6, &specs).unwrap();
    let mut params = model.params.clone();
    let net = Network::new(topology, &mut params).unwrap();
    let mut rust_blob = vec![0u8; checkpoint::network_len(&topology, Some(model.state.len()))];
    checkpoint::save_network_training(&net, &model.state, 7, &mut rust_blob).unwrap();
    assert_eq!(blob, rust_blob);

    // The digest is the firmware's (`microprop_device::crosscheck`).
    let mut digest = microprop_ffi::Digest::default();
    // SAFETY: a set-up model.
    let status = unsafe { microprop_weights_digest(&*model.model, &mut digest) };
    assert_eq!(status, Status::Ok);
    let rust = microprop_device::crosscheck::digest_values(&model.params);
    assert_eq!(
        (digest.crc32, digest.count, digest.first, digest.last),
        (rust.crc32, rust.count, rust.first, rust.last)
    );
}

#[test]
fn schedules_are_the_cores() {
    let cases: [(ScheduleConfig, LrSchedule); 5] = [
        (
            microprop_ffi::microprop_schedule_constant(0.3),
            LrSchedule::Constant(0.3),
        ),
        (
            microprop_ffi::microprop_schedule_step(0.5, 0.5, 3, 0.01),
            LrSchedule::Factor {
                initial: 0.5,
                factor: 0.5,
                every: 3,
                min: 0.01,
            },
        ),
        (
            microprop_ffi::microprop_schedule_exponential(0.2, 0.97),
            LrSchedule::Exponential {
                initial: 0.2,
                decay: 0.97,
            },
        ),
        (
            microprop_ffi::microprop_schedule_polynomial(0.2, 0.1, 0.5),
            LrSchedule::Polynomial {
                initial: 0.2,
                alpha: 0.1,
                power: 0.5,
            },
        ),
        (
            microprop_schedule_cosine(0.1, 0.001, 30),
            LrSchedule::Cosine {
                initial: 0.1,
                last: 0.001,
                period: 30,
            },
        ),
    ];
    let layers = dense_layers();
    for (mut c_schedule, core) in cases {
        c_schedule.warmup_steps = 4;
        let mut c = config(&layers, 2, microprop_sgd());
        c.schedule = c_schedule;
        let (mut model, _) = CModel::new(&c);
        model.init(1);
        let core = Warmup {
            steps: 4,
            inner: core,
            start: WarmupStart::LinearLr,
        };
        let (x, labels) = data(2, 6, 3);
        for t in 0..40 {
            let stats = model.train(&x, &labels);
            assert_eq!(
                stats.learning_rate.to_bits(),
                core.learning_rate(t).to_bits()
            );
        }
    }
}
