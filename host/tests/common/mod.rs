//! A short training run whose every parameter is hashed: run it before and
//! after installing a level's kernels (one process per level, since the
//! installation is once per process) and compare.

use std::io::Read;

use microprop::layer::Zeroed;
use microprop::{
    Adam, Dense, Epsilon, FusedTrainer, Identity, Init, Layer, Optimizer, Parameters, Relu,
    SoftmaxCrossEntropy, StepContext, Trainer, Unmeasured, network,
};
use microprop_host::Level;

type Mnist = network![Dense<784, 128, Relu>, Dense<128, 10, Identity>];

fn gunzip(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name);
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).expect("data/ file"))
        .read_to_end(&mut bytes)
        .expect("gzip");
    bytes
}

/// The first `n` MNIST training digits, pixels / 255.
fn mnist(n: usize) -> (Vec<[f32; 784]>, Vec<usize>) {
    let images = gunzip("mnist10k-train-images-idx3-ubyte.gz");
    let labels = gunzip("mnist10k-train-labels-idx1-ubyte.gz");
    let x = images[16..16 + n * 784]
        .chunks_exact(784)
        .map(|px| core::array::from_fn(|i| f32::from(px[i]) / 255.0))
        .collect();
    let y = labels[8..8 + n].iter().map(|&l| usize::from(l)).collect();
    (x, y)
}

fn fnv1a<'a>(values: impl IntoIterator<Item = &'a f32>) -> u64 {
    values.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, v| {
        v.to_bits()
            .to_le_bytes()
            .iter()
            .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
    })
}

fn initial() -> Box<Mnist> {
    let mut net = Box::new(Mnist::ZERO);
    net.init(Init::GlorotUniform, &mut microprop::init::seeded(7));
    net
}

/// Checksums of: 784-128-10 Adam at batch 32 (gradient scale 1/32), batch
/// 1 (`Trainer`), batch 1 (`FusedTrainer`: outer-product gradients), AdamW
/// at batch 8, and Adam with epsilon inside the root at batch 4; each a few
/// hundred rows of real MNIST digits.
pub fn checksums() -> Vec<(&'static str, u64)> {
    let (x, y) = mnist(320);
    let mut out = Vec::new();
    let mut net = initial();
    let mut t = Box::new(Trainer::<Mnist, _, _, 32>::new(
        SoftmaxCrossEntropy,
        Adam::PYTORCH,
    ));
    for (x, y) in x.chunks_exact(32).zip(y.chunks_exact(32)) {
        t.train_step(&mut net, x, y, 1e-3).expect("step");
    }
    out.push(("adam batch 32", fnv1a(net.slices().flatten())));

    let mut net = initial();
    let mut t = Box::new(Trainer::<Mnist, _, _, 1>::new(
        SoftmaxCrossEntropy,
        Adam::PYTORCH,
    ));
    for (x, y) in x.chunks_exact(1).zip(y.chunks_exact(1)).take(100) {
        t.train_step(&mut net, x, y, 1e-3).expect("step");
    }
    let batch1 = fnv1a(net.slices().flatten());
    out.push(("adam batch 1", batch1));

    let mut net = initial();
    let mut t = Box::new(FusedTrainer::<Mnist, _, _>::new(
        SoftmaxCrossEntropy,
        Adam::PYTORCH,
    ));
    for (x, y) in x.iter().zip(&y).take(100) {
        t.train_step(&mut net, x, y, 1e-3).expect("step");
    }
    let fused = fnv1a(net.slices().flatten());
    assert_eq!(fused, batch1, "FusedTrainer and Trainer differ");
    out.push(("adam batch 1 fused", fused));

    let mut net = initial();
    let mut t = Box::new(Trainer::<Mnist, _, _, 8>::new(
        SoftmaxCrossEntropy,
        Adam::adamw(0.01),
    ));
    for (x, y) in x.chunks_exact(8).zip(y.chunks_exact(8)) {
        t.train_step(&mut net, x, y, 1e-3).expect("step");
    }
    out.push(("adamw batch 8", fnv1a(net.slices().flatten())));

    let inside = Adam {
        epsilon: Epsilon::Inside,
        weight_decay: 1e-3,
        ..Adam::PYTORCH
    };
    let mut net = initial();
    let mut t = Box::new(Trainer::<Mnist, _, _, 4>::new(SoftmaxCrossEntropy, inside));
    for (x, y) in x.chunks_exact(4).zip(y.chunks_exact(4)).take(40) {
        t.train_step(&mut net, x, y, 1e-3).expect("step");
    }
    out.push((
        "adam eps inside + l2 batch 4",
        fnv1a(net.slices().flatten()),
    ));

    // A plain array, odd length (no multiple of any vector width).
    let mut w: [f32; 1001] = core::array::from_fn(|i| (i as f32 * 0.37).sin());
    let mut state = <(_, _) as Zeroed>::ZERO;
    for step in 1..=20 {
        let g: [f32; 1001] = core::array::from_fn(|i| ((i * step) as f32 * 0.11).cos());
        let ctx = StepContext {
            learning_rate: 1e-2,
            grad_scale: 0.25,
            step: step as u32,
        };
        Adam::PYTORCH
            .update(&mut w, &g, &mut state, ctx, Unmeasured)
            .expect("step");
    }
    out.push(("adam array", fnv1a(&w)));
    out
}

/// Runs [`checksums`] with the built-in kernels, installs `level`'s, runs
/// it again and asserts equal checksums (or prints a note and returns if
/// the CPU lacks `level`).
pub fn same_bits_after_installing(level: Level) {
    if microprop_host::kernels(level).is_none() {
        println!("note: this CPU has no {level}; nothing checked");
        return;
    }
    assert_eq!(microprop_host::installed(), Level::Baseline);
    let baseline = checksums();
    assert_eq!(microprop_host::init_at_most(level), level);
    let dispatched = checksums();
    for ((name, want), (_, got)) in baseline.iter().zip(&dispatched) {
        println!("{name}: built-in {want:016x}, {level} {got:016x}");
    }
    assert_eq!(dispatched, baseline, "{level} kernels changed the results");
}
