//! Training and inference never touch the heap.
//!
//! A counting global allocator wraps the system one. Counts are kept per
//! thread, so the harness running other tests in parallel threads cannot
//! disturb a measurement; a self-test proves that an allocation inside a
//! measured window is seen.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use microprop::{
    Adam, BatchMode, Dense, Error, FitConfig, Identity, Inference, Init, KeepBest, Layer, Maxout,
    MeanSquaredError, OnEpoch, OnStep, Patience, QuantizedDense, Relu, Sgd,
    SigmoidBinaryCrossEntropy, SliceDataset, SoftmaxCrossEntropy, Stopping, Tanh, Trainer,
    Workspace, network,
};

struct Counting;

thread_local! {
    static THREAD_ALLOCS: Cell<u64> = const { Cell::new(0) };
    static THREAD_BYTES: Cell<u64> = const { Cell::new(0) };
}
/// Process-wide totals (only for the report in the self-test).
static ALL_ALLOCS: AtomicU64 = AtomicU64::new(0);

fn count(bytes: usize) {
    ALL_ALLOCS.fetch_add(1, Ordering::Relaxed);
    // `try_with`: a thread being torn down has no locals left; ignore it.
    let _ = THREAD_ALLOCS.try_with(|c| c.set(c.get() + 1));
    let _ = THREAD_BYTES.try_with(|c| c.set(c.get() + bytes as u64));
}

// SAFETY: every method forwards to `System` unchanged; counting touches only
// const-initialised thread-locals and an atomic, neither of which allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Allocs {
    count: u64,
    bytes: u64,
}

/// Runs `f` and returns what it allocated on this thread.
fn measure<R>(f: impl FnOnce() -> R) -> (R, Allocs) {
    let (c0, b0) = (THREAD_ALLOCS.get(), THREAD_BYTES.get());
    let r = f();
    let (c1, b1) = (THREAD_ALLOCS.get(), THREAD_BYTES.get());
    (
        r,
        Allocs {
            count: c1 - c0,
            bytes: b1 - b0,
        },
    )
}

const NONE: Allocs = Allocs { count: 0, bytes: 0 };

#[test]
fn the_counter_sees_allocations() {
    let (_, a) = measure(|| {
        let v: Vec<f32> = Vec::with_capacity(10);
        black_box(v);
    });
    assert_eq!(a.count, 1, "{a:?}");
    assert_eq!(a.bytes, 40, "{a:?}");

    let (_, a) = measure(|| black_box(Box::new([0u8; 100])));
    assert_eq!((a.count, a.bytes), (1, 100));

    let (_, a) = measure(|| black_box(format!("{}", Error::NonFiniteInput { row: 3 })));
    assert!(a.count >= 1, "{a:?}");

    // Another thread's allocations are not charged to this one.
    let (_, a) = measure(|| {
        std::thread::scope(|s| {
            s.spawn(|| black_box(vec![0u8; 1000]));
        });
    });
    assert!(
        a.bytes < 1000,
        "thread spawn itself may allocate, not the vec: {a:?}"
    );
    assert!(ALL_ALLOCS.load(Ordering::Relaxed) > 0);
}

/// 64 pixels -> 32 tanh -> 10 logits, the demo's model and batch.
type Digits = network![Dense<64, 32, Tanh>, Dense<32, 10, Identity>];
const B: usize = 16;

fn batch(seed: u32) -> ([[f32; 64]; B], [usize; B]) {
    let mut x = [[0.0f32; 64]; B];
    let mut y = [0usize; B];
    for (r, (row, label)) in x.iter_mut().zip(&mut y).enumerate() {
        for (c, v) in row.iter_mut().enumerate() {
            *v = ((r as u32 * 31 + c as u32 * 7 + seed) % 17) as f32 / 16.0;
        }
        *label = (r + seed as usize) % 10;
    }
    (x, y)
}

#[test]
fn training_and_inference_allocate_nothing() {
    // Everything that would be a `static` on a device is made before
    // measuring; the trainer is boxed only because it is large for a host
    // test thread's stack.
    let mut net = Digits::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(3));
    let mut trainer = Box::new(Trainer::<Digits, _, _, B>::new(SoftmaxCrossEntropy, Sgd));
    let mut run = Box::new(Inference::<Digits>::new());
    let batches: Vec<_> = (0..4).map(batch).collect();
    let start = net;

    let (first, a) = measure(|| {
        let mut first = None;
        for i in 0..200 {
            let (x, y) = &batches[i % batches.len()];
            let stats = trainer.train_step(&mut net, x, y, 0.05).unwrap();
            first.get_or_insert(stats.loss);
        }
        first
    });
    assert_eq!(a, NONE, "train_step");
    assert_eq!(trainer.steps(), 200);
    assert_ne!(net, start, "the steps did change the weights");

    let (_, a) = measure(|| {
        for _ in 0..50 {
            for (x, y) in &batches {
                trainer.accumulate(&net, x, y).unwrap();
                // Smaller and uneven chunks too.
                trainer.accumulate(&net, &x[..5], &y[..5]).unwrap();
            }
            assert_eq!(trainer.accumulated_rows(), 4 * (16 + 5));
            trainer.step(&mut net, 0.05).unwrap();
        }
    });
    assert_eq!(a, NONE, "accumulate + step");
    assert_eq!(trainer.steps(), 250);

    let (last, a) = measure(|| {
        let mut last = None;
        for _ in 0..100 {
            for (x, y) in &batches {
                last = Some(trainer.evaluate(&net, x, y).unwrap());
            }
        }
        last
    });
    assert_eq!(a, NONE, "evaluate");
    let last = last.unwrap();
    assert!(
        last.loss < first.unwrap(),
        "training went somewhere: {first:?} -> {last:?}"
    );

    let (classes, a) = measure(|| {
        let mut classes = [0usize; 10];
        for _ in 0..100 {
            for (x, _) in &batches {
                for row in x {
                    black_box(run.predict(&net, row).unwrap());
                    classes[run.classify(&net, row).unwrap()] += 1;
                }
            }
        }
        classes
    });
    assert_eq!(a, NONE, "predict/classify");
    assert_eq!(classes.iter().sum::<usize>(), 100 * 4 * B);

    // The phases one by one, and rejected input: errors allocate nothing.
    let (_, a) = measure(|| {
        let (x, y) = &batches[0];
        for _ in 0..50 {
            trainer.zero_grad();
            trainer.forward(&net, x).unwrap();
            trainer.loss(y).unwrap();
            trainer.backward(&net, x).unwrap();
            trainer.step(&mut net, 0.01).unwrap();
        }
        let mut bad = *x;
        bad[7][3] = f32::NAN;
        assert_eq!(
            trainer.train_step(&mut net, &bad, y, 0.1),
            Err(Error::NonFiniteInput { row: 7 })
        );
        assert_eq!(
            run.predict(&net, &bad[7]),
            Err(Error::NonFiniteInput { row: 0 })
        );
        assert_eq!(
            trainer.train_step(&mut net, x, y, f32::NAN),
            Err(Error::InvalidLearningRate)
        );
        assert_eq!(trainer.backward(&net, x), Err(Error::OutOfOrder));
    });
    assert_eq!(a, NONE, "phases and errors");
}

#[test]
fn other_layers_and_losses_allocate_nothing() {
    // Maxout, ReLU, MSE and BCE go through other code paths.
    type Reg = network![Dense<3, 8, Relu>, Maxout<8, 6, 3>, Dense<6, 2, Identity>];
    let mut reg = Reg::ZERO;
    reg.init(Init::HeNormal, &mut microprop::init::seeded(5));
    let mut mse = Trainer::<Reg, _, _, 4>::new(MeanSquaredError, Sgd);
    let mut bce = Trainer::<Reg, _, _, 4>::new(SigmoidBinaryCrossEntropy, Sgd);
    let mut run = Inference::<Reg>::new();
    let x = [
        [0.1, -0.4, 0.9],
        [1.0, 0.2, -0.3],
        [-0.7, 0.5, 0.0],
        [0.3, 0.3, 0.3],
    ];
    let y = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.5]];
    let (_, a) = measure(|| {
        for _ in 0..300 {
            mse.train_step(&mut reg, &x, &y, 0.01).unwrap();
            bce.train_step(&mut reg, &x[1..], &y[1..], 0.01).unwrap();
            bce.accumulate(&reg, &x[..2], &y[..2]).unwrap();
            bce.accumulate(&reg, &x[2..], &y[2..]).unwrap();
            bce.step(&mut reg, 0.01).unwrap();
            black_box(mse.evaluate(&reg, &x, &y).unwrap());
            black_box(run.predict(&reg, &x[0]).unwrap());
        }
    });
    assert_eq!(a, NONE);
    assert_eq!((mse.steps(), bce.steps()), (300, 600));
}

#[test]
fn int8_layers_allocate_nothing() {
    // Quantising, and training through and behind int8 layers.
    type Int8 = network![Dense<3, 8, Relu>, QuantizedDense<8, 6, Tanh>, Dense<6, 2, Identity>];
    let mut float = Dense::<8, 6, Tanh>::ZERO;
    float.init(Init::HeNormal, &mut microprop::init::seeded(3));
    let mut net = Int8::ZERO;
    net.init(Init::HeNormal, &mut microprop::init::seeded(5));
    let mut trainer = Trainer::<Int8, _, _, 4>::new(MeanSquaredError, Adam::PYTORCH);
    let mut run = Inference::<Int8>::new();
    let x = [
        [0.1, -0.4, 0.9],
        [1.0, 0.2, -0.3],
        [-0.7, 0.5, 0.0],
        [0.3, 0.3, 0.3],
    ];
    let y = [[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.5]];
    let (_, a) = measure(|| {
        net.first.second = QuantizedDense::quantize(&float).unwrap();
        for _ in 0..300 {
            trainer.train_step(&mut net, &x, &y, 0.01).unwrap();
            black_box(run.predict(&net, &x[0]).unwrap());
        }
    });
    assert_eq!(a, NONE);
    assert_eq!(trainer.steps(), 300);
}

#[test]
fn stateful_optimizer_clipping_and_fit_allocate_nothing() {
    let mut net = Digits::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(4));
    let mut trainer = Box::new(
        Trainer::<Digits, _, _, B>::new(SoftmaxCrossEntropy, Adam::PYTORCH).with_grad_clipping(0.5),
    );
    let (x, y) = batch(1);
    let (_, a) = measure(|| {
        for _ in 0..100 {
            trainer.train_step(&mut net, &x, &y, 1e-3).unwrap();
        }
    });
    assert_eq!(a, NONE, "Adam + clipping train_step");
    assert_eq!(trainer.steps(), 100);

    // The whole training loop over a data set: shuffling, full-batch
    // accumulation over chunks, patience with a copy of the best weights.
    let rows: Vec<[f32; 64]> = (0..6).flat_map(|s| batch(s).0).collect();
    let labels: Vec<usize> = (0..6).flat_map(|s| batch(s).1).collect();
    let data = SliceDataset::new(&rows, &labels).unwrap();
    let mut ws = Box::new(Workspace::new(net, *trainer));
    let mut best = net;
    let (mut epochs_seen, mut steps_seen) = (0, 0);
    for mode in [
        BatchMode::Full,
        BatchMode::MiniBatch(10),
        BatchMode::Stochastic,
    ] {
        let config = FitConfig {
            mode,
            schedule: 1e-3f32,
            shuffle_seed: Some(9),
            stopping: Stopping {
                patience: Some(Patience {
                    epochs: 100,
                    min_delta: 0.0,
                }),
                ..Stopping::epochs(5)
            },
            normalizer: None,
        };
        let (report, a) = measure(|| {
            let epochs = OnEpoch::new(|_| epochs_seen += 1);
            let steps = OnStep::new(|_| steps_seen += 1);
            ws.fit(&data, &config, ((KeepBest(&mut best), epochs), steps))
                .unwrap()
        });
        assert_eq!(a, NONE, "fit {mode:?}");
        assert_eq!(report.epochs, 5, "{mode:?}");
    }
    assert_eq!(epochs_seen, 15);
    assert_eq!(steps_seen, 5 * (1 + 10 + 96));
}
