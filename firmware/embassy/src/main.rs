//! microprop in an async embassy program on QEMU `mps2-an386` (Cortex-M4F).
//!
//! Two tasks on embassy's thread-mode executor share one
//! [`Channel`] of [`QUEUE`] messages:
//!
//! - `sampler` reads a simulated sensor every [`SAMPLE_PERIOD_US`] µs
//!   (an `embassy_time::Ticker`): the training digits replayed as a
//!   stream in shuffled order (`microprop_device::PhasedStream`, the
//!   online job's source, one phase of all ten classes), [`SAMPLES`]
//!   samples. A sensor cannot wait, so a sample that finds the channel full
//!   is dropped and counted.
//! - `learner` awaits each sample, predicts it before learning from it (the
//!   running accuracy it logs is this prequential accuracy), collects
//!   [`BATCH`] of them and takes one SGD step (`Trainer::train_step`).
//!   When the stream ends it trains on what is left, measures the model on
//!   the 360 held-out digits and exits: 0 if the test accuracy reaches
//!   [`TEST_ACCURACY_FLOOR`], 1 below it, 2 if training was refused.
//!
//! Time comes from [`time_driver`] (SysTick). The model, trainer, channel
//! and task futures are all statics: nothing is allocated.
//!
//! `cargo run --release` (from `firmware/embassy/`).
#![no_std]
#![no_main]

mod data;
mod fail;
mod time_driver;

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m_rt::entry;
use defmt_semihosting as _;
use embassy_executor::Executor;
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::channel::{Channel, Receiver, Sender};
use embassy_time::{Duration, Instant, Ticker};
use microprop::{Dataset, Inference, Layer, Sgd, SoftmaxCrossEntropy, Trainer, argmax};
use microprop_device::digits::{self, CLASSES, FEATURES, Net};
use microprop_device::{Phase, PhasedStream, SampleSource};
use static_cell::{ConstStaticCell, StaticCell};

/// Samples the sensor yields, then the stream ends.
pub const SAMPLES: u32 = 4000;
/// Microseconds between two samples (a 20 kHz sensor).
pub const SAMPLE_PERIOD_US: u64 = 50;
/// Messages the channel holds: two batches.
pub const QUEUE: usize = 2 * BATCH;
/// Samples per training step.
pub const BATCH: usize = 8;
/// SGD's learning rate.
pub const LEARNING_RATE: f32 = 0.1;
/// Samples per logged window of running accuracy.
pub const WINDOW: u32 = 500;
/// Held-out accuracy for exit status 0.
pub const TEST_ACCURACY_FLOOR: f32 = 0.9;
/// Seed of the sensor's sample order.
pub const STREAM_SEED: u64 = 0x0057_4ea3;

/// What the sampler sends the learner: one digit (64 pixels scaled to
/// 0..=1) and its label; `None` when the stream has ended.
type Message = Option<([f32; FEATURES], usize)>;

/// Samples that found the channel full (the sampler counts, the learner
/// reports).
static DROPPED: AtomicU32 = AtomicU32::new(0);

type Sensor = PhasedStream<'static, digits::Data<'static>, 1>;
type OnlineTrainer = Trainer<Net, SoftmaxCrossEntropy, Sgd, BATCH>;
type Link = Channel<CriticalSectionRawMutex, Message, QUEUE>;

static CHANNEL: Link = Channel::new();
static NET: ConstStaticCell<Net> = ConstStaticCell::new(Net::ZERO);
static TRAINER: ConstStaticCell<OnlineTrainer> =
    ConstStaticCell::new(Trainer::new(SoftmaxCrossEntropy, Sgd));
static EXECUTOR: StaticCell<Executor> = StaticCell::new();

#[entry]
fn main() -> ! {
    let Some(core) = cortex_m::Peripherals::take() else {
        defmt::error!("peripherals taken twice");
        fail::exit(fail::EXIT_TRAINING_ERROR)
    };
    time_driver::start(core.SYST);

    let net = NET.take();
    digits::init(net);
    let sensor = PhasedStream::new(&data::TRAIN, [Phase::classes(0, 9, SAMPLES)], STREAM_SEED);
    defmt::info!(
        "embassy: sampler every {=u64} us ({=u32} samples) -> channel of {=usize} -> learner, 64-32-10 SGD lr {=f32}, batch {=usize}",
        SAMPLE_PERIOD_US,
        SAMPLES,
        QUEUE,
        LEARNING_RATE,
        BATCH
    );
    defmt::info!(
        "statics: model {=usize} B, trainer {=usize} B, channel {=usize} B",
        size_of::<Net>(),
        size_of::<OnlineTrainer>(),
        size_of::<Link>()
    );
    EXECUTOR.init(Executor::new()).run(|spawner| {
        match (
            sampler(sensor, CHANNEL.sender()),
            learner(net, TRAINER.take(), CHANNEL.receiver()),
        ) {
            (Ok(sampler), Ok(learner)) => {
                spawner.spawn(sampler);
                spawner.spawn(learner);
            }
            _ => {
                defmt::error!("a task could not be spawned");
                fail::exit(fail::EXIT_TRAINING_ERROR)
            }
        }
    })
}

/// Reads the sensor every [`SAMPLE_PERIOD_US`] µs and sends each sample
/// without waiting; ends the stream with `None`.
#[embassy_executor::task]
async fn sampler(
    mut sensor: Sensor,
    out: Sender<'static, CriticalSectionRawMutex, Message, QUEUE>,
) {
    let mut ticker = Ticker::every(Duration::from_micros(SAMPLE_PERIOD_US));
    loop {
        ticker.next().await;
        let mut x = [0.0; FEATURES];
        let Some(label) = sensor.next_sample(&mut x) else {
            break;
        };
        if out.try_send(Some((x, label))).is_err() {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
    }
    // The end marker must arrive: this one may wait.
    out.send(None).await;
}

/// Prequential accuracy and mean loss over a window of samples.
#[derive(Default)]
struct Window {
    samples: u32,
    correct: u32,
    loss_sum: f32,
    steps: u32,
}

/// Trains on the samples as they arrive, [`BATCH`] a step; at the end
/// measures the model on the held-out digits and exits.
#[embassy_executor::task]
async fn learner(
    net: &'static mut Net,
    trainer: &'static mut OnlineTrainer,
    input: Receiver<'static, CriticalSectionRawMutex, Message, QUEUE>,
) {
    let mut inference = Inference::<Net>::new();
    let mut rows = [[0.0; FEATURES]; BATCH];
    let mut labels = [0; BATCH];
    let mut filled = 0;
    let (mut seen, mut window) = (0u32, Window::default());
    let (start, mut busy) = (Instant::now(), Duration::from_ticks(0));
    while let Some((x, label)) = input.receive().await {
        let began = Instant::now();
        let Ok(scores) = inference.predict(net, &x) else {
            defmt::error!("FAIL: sample {=u32} is not finite", seen);
            fail::exit(fail::EXIT_TRAINING_ERROR)
        };
        window.correct += u32::from(argmax(scores) == label);
        window.samples += 1;
        seen += 1;
        if let (Some(row), Some(target)) = (rows.get_mut(filled), labels.get_mut(filled)) {
            (*row, *target) = (x, label);
            filled += 1;
        }
        if filled == BATCH {
            window.loss_sum += step(net, trainer, &rows, &labels);
            window.steps += 1;
            filled = 0;
        }
        busy += Instant::now() - began;
        if window.samples == WINDOW {
            defmt::info!(
                "{=u32} samples: running accuracy {=f32} (last {=u32}), mean loss {=f32}, queue {=usize}/{=usize}, learner busy {=u64} % of the time",
                seen,
                window.correct as f32 / window.samples as f32,
                window.samples,
                window.loss_sum / window.steps.max(1) as f32,
                input.len(),
                QUEUE,
                busy.as_micros() * 100 / (Instant::now() - start).as_micros().max(1)
            );
            window = Window::default();
        }
    }
    if filled > 0 {
        step(
            net,
            trainer,
            rows.get(..filled).unwrap_or(&[]),
            labels.get(..filled).unwrap_or(&[]),
        );
    }
    let elapsed = Instant::now() - start;
    defmt::info!(
        "stream ended: {=u32} samples learned, {=u32} dropped, {=u32} steps in {=u64} us ({=u64} M instructions under -icount shift=0)",
        seen,
        DROPPED.load(Ordering::Relaxed),
        trainer.steps(),
        elapsed.as_micros(),
        elapsed.as_micros() / 1000
    );
    finish(net, &mut inference)
}

/// One SGD step on a batch; exits if the step is refused. Returns the
/// batch's mean loss before the step.
fn step(
    net: &mut Net,
    trainer: &mut OnlineTrainer,
    rows: &[[f32; FEATURES]],
    labels: &[usize],
) -> f32 {
    match trainer.train_step(net, rows, labels, LEARNING_RATE) {
        Ok(stats) => stats.loss,
        Err(e) => {
            defmt::error!("FAIL: training step refused: {}", e);
            fail::exit(fail::EXIT_TRAINING_ERROR)
        }
    }
}

/// Measures `net` on the held-out digits and exits with the verdict.
fn finish(net: &Net, inference: &mut Inference<Net>) -> ! {
    let mut x = [0.0; FEATURES];
    let mut correct = [0u32; CLASSES];
    let test = &data::TEST;
    for index in 0..test.len() {
        let Some(label) = test.sample(index, &mut x) else {
            fail::exit(fail::EXIT_TRAINING_ERROR)
        };
        if let (Ok(scores), Some(ok)) = (inference.predict(net, &x), correct.get_mut(label)) {
            *ok += u32::from(argmax(scores) == label);
        }
    }
    let accuracy = correct.iter().sum::<u32>() as f32 / test.len() as f32;
    defmt::info!(
        "test accuracy {=f32} on {=usize} held-out digits; correct per class {=[?]}",
        accuracy,
        test.len(),
        correct
    );
    if accuracy >= TEST_ACCURACY_FLOOR {
        defmt::info!(
            "PASS: test accuracy {=f32} >= floor {=f32}",
            accuracy,
            TEST_ACCURACY_FLOOR
        );
        fail::exit(fail::EXIT_OK)
    } else {
        defmt::error!(
            "FAIL: test accuracy {=f32} < floor {=f32}",
            accuracy,
            TEST_ACCURACY_FLOOR
        );
        fail::exit(fail::EXIT_BELOW_FLOOR)
    }
}
