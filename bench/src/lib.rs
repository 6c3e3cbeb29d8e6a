//! The host benchmark workloads, shared by the criterion benches
//! (`benches/host.rs`) and the profiling driver (`src/bin/profile.rs`).
//!
//! Each workload owns its network and its trainer on the heap (the
//! 784-128-10 Adam trainer alone is 1.2 MB) and walks a data set in order;
//! [`Workload::run`] performs one unit of work: one [`Trainer::train_step`]
//! (forward, loss, backward, update) on the next batch, or one single-row
//! inference.
//!
//! The data are the real sets in `data/`: the 8000 MNIST training digits
//! (pixels / 255) for 784-128-10 and the 1797 8x8 digits (pixels / 16) for
//! W2, so the training dynamics are those of a real run. They matter for
//! speed: weights whose gradient is often zero (MNIST's blank border pixels)
//! let Adam's first moment decay into subnormal floats, which x86 processes
//! slowly; a synthetic task that the network memorises, or one it cannot
//! learn at all, ends in different and unrepresentative amounts of that.
//! `bench/pytorch_bench.py` reads the same files in the same order with the
//! same shapes and hyperparameters.

use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use microprop::layer::Zeroed;
use microprop::{
    Adam, Dense, Fusable, FusedTrainer, Identity, Inference, Init, Layer, Loss, MeanSquaredError,
    Momentum, Optimizer, Relu, Sgd, Sigmoid, SoftmaxCrossEntropy, Tanh, Trainer, init::SeededRng,
    network,
};

/// 784-128-10, ReLU hidden layer, logits out (MNIST).
pub type Mnist = network![Dense<784, 128, Relu>, Dense<128, 10, Identity>];
/// W2: 64-32-10, tanh hidden layer, logits out (digits 8x8).
pub type W2 = network![Dense<64, 32, Tanh>, Dense<32, 10, Identity>];
/// XOR 2-8-1, sigmoid hidden and output layers.
pub type Xor = network![Dense<2, 8, Sigmoid>, Dense<8, 1, Sigmoid>];

/// Adam's learning rate (PyTorch's default); betas and eps are
/// [`Adam::PYTORCH`].
pub const ADAM_LR: f32 = 1e-3;
/// SGD-with-momentum learning rate for W2.
pub const MOMENTUM_LR: f32 = 0.01;
/// Momentum coefficient for W2.
pub const MOMENTUM: f32 = 0.9;
/// Plain SGD learning rate for XOR.
pub const XOR_LR: f32 = 0.5;
/// XOR restarts from its initial weights after this many steps (the data
/// sets restart after one epoch).
pub const XOR_STEPS_PER_CYCLE: usize = 1000;
/// Seed of the Glorot-uniform initialisation (biases start at zero).
pub const INIT_SEED: u64 = 7;

/// One benchmarked workload.
pub trait Workload {
    /// Stable identifier; the criterion benchmark group and the key in the
    /// PyTorch script's output.
    fn name(&self) -> &'static str;
    /// Samples processed by one [`Workload::run`].
    fn samples_per_run(&self) -> usize;
    /// Multiply-accumulates of one [`Workload::run`] (forward: one per
    /// weight and row; training: three, less the first layer's input
    /// gradient, which is never computed).
    fn macs_per_run(&self) -> usize;
    /// One unit of work on the next batch of the data; returns a value
    /// derived from the result so the work cannot be optimised away.
    fn run(&mut self) -> f32;
    /// FNV-1a hash of the bits of the network's parameters (inference: of
    /// the last output row): two builds computed the same numbers iff they
    /// print the same checksum after the same runs.
    fn checksum(&self) -> u64;
    /// The same work as [`Workload::run`], with each phase of the training
    /// step (`zero_grad`, `forward`, `loss`, `backward`, `step`, in
    /// [`PHASES`] order) in a function of its own (see [`phase`]), so a
    /// profiler can charge the instructions to the phases. With `clock`,
    /// adds each phase's wall time to it (inference: all to `forward`).
    fn run_by_phase(&mut self, clock: Option<&mut [Duration; 5]>) -> f32 {
        let start = Instant::now();
        let out = self.run();
        if let Some(clock) = clock {
            clock[1] += start.elapsed();
        }
        out
    }
}

/// FNV-1a over the bits of a sequence of floats.
pub fn fnv1a<'a>(values: impl IntoIterator<Item = &'a f32>) -> u64 {
    values.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, v| {
        v.to_bits()
            .to_le_bytes()
            .iter()
            .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
    })
}

/// Names of the phases of [`Workload::run_by_phase`].
pub const PHASES: [&str; 5] = ["zero_grad", "forward", "loss", "backward", "step"];

/// Splits wall time between phases (no clock: does nothing).
struct Lap<'a> {
    clock: Option<&'a mut [Duration; 5]>,
    last: Instant,
}

impl<'a> Lap<'a> {
    fn new(clock: Option<&'a mut [Duration; 5]>) -> Self {
        Lap {
            clock,
            last: Instant::now(),
        }
    }

    /// Charges the time since the last mark to phase `i`.
    #[inline]
    fn mark(&mut self, i: usize) {
        if let Some(clock) = self.clock.as_deref_mut() {
            let now = Instant::now();
            clock[i] += now - self.last;
            self.last = now;
        }
    }
}

/// Functions that a profiler sees as one frame per phase of the training
/// step (`--toggle-collect='microprop_bench::phase::*'` or inclusive costs
/// in callgrind_annotate). Never inlined; otherwise plain calls into the
/// trainer.
pub mod phase {
    use microprop::{AcceptsActivation, Error, Layer, Loss, Optimizer, StepStats, Trainer};

    /// `Trainer::zero_grad`.
    #[inline(never)]
    pub fn zero_grad<N: Layer, L, O: Optimizer, const B: usize>(t: &mut Trainer<N, L, O, B>) {
        t.zero_grad();
    }

    /// `Trainer::forward` (with the check that inputs are finite).
    #[inline(never)]
    pub fn forward<N: Layer, L, O: Optimizer, const B: usize>(
        t: &mut Trainer<N, L, O, B>,
        net: &N,
        x: &[N::Input],
    ) -> Result<(), Error> {
        t.forward(net, x).map(|_| ())
    }

    /// `Trainer::loss` (the loss and its gradient).
    #[inline(never)]
    pub fn loss<N: Layer, L, O: Optimizer, const B: usize>(
        t: &mut Trainer<N, L, O, B>,
        y: &[L::Target],
    ) -> Result<StepStats, Error>
    where
        L: Loss<N::Output> + AcceptsActivation<N::OutputActivation>,
    {
        t.loss(y)
    }

    /// `Trainer::backward` (the output activation's derivative, then dW,
    /// db, dX and the hidden activations' derivatives).
    #[inline(never)]
    pub fn backward<N: Layer, L, O: Optimizer, const B: usize>(
        t: &mut Trainer<N, L, O, B>,
        net: &N,
        x: &[N::Input],
    ) -> Result<(), Error> {
        t.backward(net, x)
    }

    /// `Trainer::step` (the optimizer's update, then clearing the gradient
    /// buffer).
    #[inline(never)]
    pub fn step<N: Layer, L, O: Optimizer, const B: usize>(
        t: &mut Trainer<N, L, O, B>,
        net: &mut N,
        lr: f32,
    ) -> Result<(), Error> {
        t.step(net, lr)
    }
}

/// The repository's `data/` directory.
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data")
}

/// A gzip file of `data/`, decompressed.
fn gunzip(name: &str) -> Vec<u8> {
    let path = data_dir().join(name);
    let file = std::fs::File::open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .unwrap_or_else(|e| panic!("cannot decompress {}: {e}", path.display()));
    bytes
}

/// The big-endian u32 at `at`.
fn be_u32(bytes: &[u8], at: usize) -> usize {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
}

/// A labelled data set with rows of `I` features.
pub struct Data<const I: usize> {
    /// Feature rows.
    pub x: Vec<[f32; I]>,
    /// Class labels.
    pub y: Vec<usize>,
}

/// The 8000 MNIST training digits of `data/`, pixels scaled to [0, 1]
/// (loaded once).
pub fn mnist() -> &'static Data<784> {
    static MNIST: OnceLock<Data<784>> = OnceLock::new();
    MNIST.get_or_init(|| {
        let images = gunzip("mnist10k-train-images-idx3-ubyte.gz");
        let labels = gunzip("mnist10k-train-labels-idx1-ubyte.gz");
        assert_eq!(be_u32(&images, 0), 2051, "IDX image magic");
        assert_eq!(be_u32(&labels, 0), 2049, "IDX label magic");
        let n = be_u32(&images, 4);
        assert_eq!((be_u32(&images, 8), be_u32(&images, 12)), (28, 28));
        assert_eq!(be_u32(&labels, 4), n);
        let x = images[16..16 + n * 784]
            .chunks_exact(784)
            .map(|px| core::array::from_fn(|i| f32::from(px[i]) / 255.0))
            .collect();
        let y = labels[8..8 + n].iter().map(|&l| usize::from(l)).collect();
        Data { x, y }
    })
}

/// The 1797 8x8 digits of `data/digits8x8.csv`, pixels scaled to [0, 1]
/// (loaded once).
pub fn digits() -> &'static Data<64> {
    static DIGITS: OnceLock<Data<64>> = OnceLock::new();
    DIGITS.get_or_init(|| {
        let path = data_dir().join("digits8x8.csv");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for line in text.lines().skip(1).filter(|l| !l.is_empty()) {
            let fields: Vec<f32> = line
                .split(',')
                .map(|f| f.trim().parse().expect("a number"))
                .collect();
            assert_eq!(fields.len(), 65, "64 pixels and a label");
            x.push(core::array::from_fn(|i| fields[i] / 16.0));
            y.push(fields[64] as usize);
        }
        Data { x, y }
    })
}

/// The seeded generator of the initial weights.
fn rng(seed: u64) -> SeededRng {
    microprop::init::seeded(seed)
}

/// Multiply-accumulates of a forward pass over one row.
fn forward_macs(widths: &[usize]) -> usize {
    widths.windows(2).map(|w| w[0] * w[1]).sum()
}

/// Multiply-accumulates of a training step over one row: forward, dW, and
/// dX for every layer but the first.
fn train_macs(widths: &[usize]) -> usize {
    let first = widths[0] * widths[1];
    3 * forward_macs(widths) - first
}

/// A training workload: network, trainer and data, all boxed.
///
/// It walks its data in order, batch after batch, and after
/// `steps_per_cycle` steps (one epoch for a data set) starts again from the
/// initial weights with a zeroed optimizer state and step count. Every
/// measurement therefore averages over the same stretch of training from the
/// same start, however many steps the timer asks for, and PyTorch's run does
/// the same. The restart (one copy of the network, one of the state) costs
/// well under 0.1% of a cycle.
pub struct Train<N: Layer, L: Loss<N::Output, Target: 'static>, O: Optimizer, const B: usize> {
    name: &'static str,
    macs_per_row: usize,
    initial: Box<N>,
    net: Box<N>,
    trainer: Box<Trainer<N, L, O, B>>,
    x: &'static [N::Input],
    y: &'static [L::Target],
    lr: f32,
    steps_per_cycle: usize,
    step: usize,
}

impl<N, L, O, const B: usize> Train<N, L, O, B>
where
    N: Layer + Copy,
    L: Loss<N::Output, Target: 'static> + microprop::AcceptsActivation<N::OutputActivation>,
    O: Optimizer,
{
    /// `steps_per_cycle: None` = one epoch of `x`.
    fn new(
        name: &'static str,
        widths: &[usize],
        trainer: Box<Trainer<N, L, O, B>>,
        (x, y): (&'static [N::Input], &'static [L::Target]),
        lr: f32,
        steps_per_cycle: Option<usize>,
    ) -> Self {
        // Whole batches only: a last partial batch is left out.
        let rows = x.len().min(y.len()) / B * B;
        assert!(rows > 0, "{name}: fewer rows than one batch");
        let mut initial = Box::new(N::ZERO);
        initial.init(Init::GlorotUniform, &mut rng(INIT_SEED));
        Train {
            name,
            macs_per_row: train_macs(widths),
            net: initial.clone(),
            initial,
            trainer,
            x: &x[..rows],
            y: &y[..rows],
            lr,
            steps_per_cycle: steps_per_cycle.unwrap_or(rows / B),
            step: 0,
        }
    }

    /// The network as trained so far.
    pub fn network(&self) -> &N {
        &self.net
    }

    /// The trainer (gradients, optimizer state, step count).
    pub fn trainer(&self) -> &Trainer<N, L, O, B> {
        &self.trainer
    }

    /// Steps before the workload starts again from the initial weights.
    pub fn steps_per_cycle(&self) -> usize {
        self.steps_per_cycle
    }

    /// The next batch, restarting the cycle first if it is complete.
    #[inline]
    fn next_batch(&mut self) -> (&'static [N::Input], &'static [L::Target]) {
        if self.step == self.steps_per_cycle {
            self.restart();
        }
        let i = self.step * B % self.x.len();
        self.step += 1;
        (&self.x[i..i + B], &self.y[i..i + B])
    }

    /// Back to the initial weights, zero optimizer state, step 0.
    #[cold]
    fn restart(&mut self) {
        *self.net = *self.initial;
        self.trainer.zero_grad();
        *self.trainer.optimizer_state_mut() = Zeroed::ZERO;
        self.trainer.set_steps(0);
        self.step = 0;
    }
}

impl<N, L, O, const B: usize> Workload for Train<N, L, O, B>
where
    N: Layer + Copy,
    L: Loss<N::Output, Target: 'static> + microprop::AcceptsActivation<N::OutputActivation>,
    O: Optimizer,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn samples_per_run(&self) -> usize {
        B
    }

    fn macs_per_run(&self) -> usize {
        B * self.macs_per_row
    }

    fn checksum(&self) -> u64 {
        fnv1a(self.net.slices().flatten())
    }

    #[inline]
    fn run(&mut self) -> f32 {
        let (x, y) = self.next_batch();
        match self.trainer.train_step(&mut self.net, x, y, self.lr) {
            Ok(stats) => stats.loss,
            Err(e) => panic!("{}: training step refused: {e}", self.name),
        }
    }

    fn run_by_phase(&mut self, clock: Option<&mut [Duration; 5]>) -> f32 {
        let (x, y) = self.next_batch();
        let t = &mut *self.trainer;
        let mut lap = Lap::new(clock);
        phase::zero_grad(t);
        lap.mark(0);
        let stats = phase::forward(t, &self.net, x)
            .inspect(|_| lap.mark(1))
            .and_then(|()| phase::loss(t, y))
            .inspect(|_| lap.mark(2))
            .and_then(|stats| phase::backward(t, &self.net, x).map(|()| stats))
            .inspect(|_| lap.mark(3))
            .and_then(|stats| phase::step(t, &mut self.net, self.lr).map(|()| stats))
            .inspect(|_| lap.mark(4));
        match stats {
            Ok(stats) => stats.loss,
            Err(e) => panic!("{}: training step refused: {e}", self.name),
        }
    }
}

/// A batch-1 training workload with [`FusedTrainer`] (no gradient buffer):
/// the same data, start and restart cycle as [`Train`] with `B = 1`, and
/// the same bits (the tests compare the two step by step).
pub struct TrainFused<N: Fusable, L: Loss<N::Output, Target: 'static>, O: Optimizer> {
    name: &'static str,
    macs_per_row: usize,
    initial: Box<N>,
    net: Box<N>,
    trainer: Box<FusedTrainer<N, L, O>>,
    x: &'static [N::Input],
    y: &'static [L::Target],
    lr: f32,
    step: usize,
}

impl<N, L, O> Workload for TrainFused<N, L, O>
where
    N: Fusable + Copy,
    L: Loss<N::Output, Target: 'static> + microprop::AcceptsActivation<N::OutputActivation>,
    O: Optimizer,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn samples_per_run(&self) -> usize {
        1
    }

    fn macs_per_run(&self) -> usize {
        self.macs_per_row
    }

    fn checksum(&self) -> u64 {
        fnv1a(self.net.slices().flatten())
    }

    #[inline]
    fn run(&mut self) -> f32 {
        if self.step == self.x.len() {
            *self.net = *self.initial;
            *self.trainer.optimizer_state_mut() = Zeroed::ZERO;
            self.trainer.set_steps(0);
            self.step = 0;
        }
        let i = self.step;
        self.step += 1;
        match self
            .trainer
            .train_step(&mut self.net, &self.x[i], &self.y[i], self.lr)
        {
            Ok(stats) => stats.loss,
            Err(e) => panic!("{}: training step refused: {e}", self.name),
        }
    }
}

/// 784-128-10 ReLU, softmax + cross-entropy, Adam, batch 1 with the fused
/// step ([`FusedTrainer`]): one epoch of the MNIST rows, then a restart.
pub fn mnist_adam_fused(name: &'static str) -> TrainFused<Mnist, SoftmaxCrossEntropy, Adam> {
    let mut initial = Box::new(Mnist::ZERO);
    initial.init(Init::GlorotUniform, &mut rng(INIT_SEED));
    TrainFused {
        name,
        macs_per_row: train_macs(&[784, 128, 10]),
        net: initial.clone(),
        initial,
        trainer: Box::new(FusedTrainer::new(SoftmaxCrossEntropy, Adam::PYTORCH)),
        x: &mnist().x,
        y: &mnist().y,
        lr: ADAM_LR,
        step: 0,
    }
}

/// 784-128-10 ReLU, softmax + cross-entropy, Adam, batch `B`.
pub fn mnist_adam<const B: usize>(
    name: &'static str,
) -> Train<Mnist, SoftmaxCrossEntropy, Adam, B> {
    Train::new(
        name,
        &[784, 128, 10],
        Box::new(Trainer::new(SoftmaxCrossEntropy, Adam::PYTORCH)),
        (&mnist().x, &mnist().y),
        ADAM_LR,
        None,
    )
}

/// W2 = 64-32-10 tanh, softmax + cross-entropy, SGD with momentum 0.9,
/// batch `B`.
pub fn w2_momentum<const B: usize>(
    name: &'static str,
) -> Train<W2, SoftmaxCrossEntropy, Momentum, B> {
    Train::new(
        name,
        &[64, 32, 10],
        Box::new(Trainer::new(SoftmaxCrossEntropy, Momentum::new(MOMENTUM))),
        (&digits().x, &digits().y),
        MOMENTUM_LR,
        None,
    )
}

/// XOR 2-8-1 sigmoid, mean squared error, plain SGD, the four rows as one
/// batch.
pub fn xor_sgd() -> Train<Xor, MeanSquaredError, Sgd, 4> {
    static ROWS: [[f32; 2]; 4] = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
    static TARGETS: [[f32; 1]; 4] = [[0.0], [1.0], [1.0], [0.0]];
    Train::new(
        "xor_sgd_b4",
        &[2, 8, 1],
        Box::new(Trainer::new(MeanSquaredError, Sgd)),
        (&ROWS, &TARGETS),
        XOR_LR,
        Some(XOR_STEPS_PER_CYCLE),
    )
}

/// Single-row inference through 784-128-10 (ReLU, logits).
pub struct Infer {
    net: Box<Mnist>,
    run: Box<Inference<Mnist>>,
    x: &'static [[f32; 784]],
    next: usize,
    last: [f32; 10],
}

/// Inference 784-128-10, batch 1, over the MNIST digits in order.
pub fn mnist_infer() -> Infer {
    let mut net = Box::new(Mnist::ZERO);
    net.init(Init::GlorotUniform, &mut rng(INIT_SEED));
    Infer {
        net,
        run: Box::new(Inference::new()),
        x: &mnist().x,
        next: 0,
        last: [0.0; 10],
    }
}

impl Workload for Infer {
    fn name(&self) -> &'static str {
        "mnist_infer_b1"
    }

    fn samples_per_run(&self) -> usize {
        1
    }

    fn macs_per_run(&self) -> usize {
        forward_macs(&[784, 128, 10])
    }

    fn checksum(&self) -> u64 {
        fnv1a(self.last.iter())
    }

    #[inline]
    fn run(&mut self) -> f32 {
        let i = self.next;
        self.next = (i + 1) % self.x.len();
        match self.run.predict(&self.net, &self.x[i]) {
            Ok(out) => {
                self.last = *out;
                out[0]
            }
            Err(e) => panic!("inference refused: {e}"),
        }
    }
}

/// Every host workload, in the order of the README table.
pub fn all() -> Vec<Box<dyn Workload>> {
    vec![
        Box::new(mnist_adam::<32>("mnist_adam_b32")),
        Box::new(mnist_adam::<1>("mnist_adam_b1")),
        Box::new(mnist_adam_fused("mnist_adam_b1_fused")),
        Box::new(w2_momentum::<1>("w2_momentum_b1")),
        Box::new(w2_momentum::<16>("w2_momentum_b16")),
        Box::new(xor_sgd()),
        Box::new(mnist_infer()),
    ]
}
