//! The online-learning job on the digits, shared by the firmware
//! (`qemu-online`) and the host: the 64-32-10 model learns from a stream
//! whose classes shift — phase 1 only digits 0–4, phase 2 only 5–9, phase 3
//! all ten — once without replay and once with a replay buffer, and is
//! measured on every class of the held-out digits after each phase.
//!
//! Without replay, phase 2 overwrites phase 1: the model forgets 0–4
//! (catastrophic forgetting). With replay, every step mixes
//! [`REPLAYED_PER_STEP`] samples from a reservoir of [`REPLAY`] past samples
//! into the batch, and 0–4 are retained.

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::OutputPin;
use microprop::layer::Zeroed;
use microprop::{FitBuffers, Inference, Sgd, SoftmaxCrossEntropy, Trainer};

use super::{CLASSES, Data, FEATURES, Net};
use crate::learn::{Board, RunError};
use crate::online::{
    ClassAccuracy, OnlineConfig, OnlineLearner, OnlineReport, OnlineStats, Phase, PhasedStream,
    ReplayBuffer, class_accuracy, run_online,
};

/// Samples in each phase.
pub const PHASE_SAMPLES: u32 = 1000;

/// Digits 0–4 (bit mask).
pub const LOW: u32 = 0b00000_11111;
/// Digits 5–9.
pub const HIGH: u32 = 0b11111_00000;
/// All ten digits.
pub const ALL: u32 = LOW | HIGH;

/// 0–4, then 5–9, then all.
pub const PHASES: [Phase; 3] = [
    Phase {
        classes: LOW,
        samples: PHASE_SAMPLES,
    },
    Phase {
        classes: HIGH,
        samples: PHASE_SAMPLES,
    },
    Phase {
        classes: ALL,
        samples: PHASE_SAMPLES,
    },
];

/// Rows of a step: the new sample and up to 7 replayed ones.
pub const BATCH: usize = 8;
/// Replayed samples per step (with replay).
pub const REPLAYED_PER_STEP: usize = BATCH - 1;
/// Capacity of the replay buffer, in samples (260 B each: 64 `f32` and a
/// label).
pub const REPLAY: usize = 200;
/// Constant learning rate of plain SGD, in both runs.
pub const LEARNING_RATE: f32 = 0.05;
/// Seed of the stream's orders.
pub const STREAM_SEED: u64 = 0x0057_4ea3;
/// Seed of the replay buffer's choices.
pub const REPLAY_SEED: u64 = 0;
/// Samples between two running-accuracy reports.
pub const REPORT_EVERY: u32 = 250;

/// The trainer: SGD, batches of up to [`BATCH`] rows.
pub type OnlineTrainer = Trainer<Net, SoftmaxCrossEntropy, Sgd, BATCH>;
/// The replay buffer.
pub type Replay = ReplayBuffer<[f32; FEATURES], usize, REPLAY>;
/// The staging rows of one step.
pub type Batch = FitBuffers<[f32; FEATURES], usize, BATCH>;

/// A zeroed trainer (for a `static`).
pub const fn trainer() -> OnlineTrainer {
    Trainer::new(SoftmaxCrossEntropy, Sgd)
}

/// The learner's settings with or without replay.
pub const fn config(replay: bool) -> OnlineConfig {
    if replay {
        OnlineConfig::with_replay(LEARNING_RATE, REPLAYED_PER_STEP)
    } else {
        OnlineConfig::without_replay(LEARNING_RATE)
    }
}

/// What the job reports while it runs.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum OnlineEvent {
    /// A window of [`REPORT_EVERY`] samples of phase `phase` (0-based)
    /// ended: prequential accuracy (predicted before learning).
    Window {
        /// The phase.
        phase: u8,
        /// The window's counts.
        report: OnlineReport,
    },
    /// A phase ended; the model was measured on the held-out digits.
    PhaseEnd(PhaseEnd),
}

/// The state of the model at the end of a phase.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PhaseEnd {
    /// The phase (0-based).
    pub phase: u8,
    /// Prequential counts over the phase.
    pub stream: OnlineStats,
    /// Accuracy on each class of the test set.
    pub test: ClassAccuracy<CLASSES>,
}

impl PhaseEnd {
    /// Test accuracy on digits 0–4.
    pub fn low(&self) -> f32 {
        self.test.of(LOW).unwrap_or(0.0)
    }
    /// Test accuracy on digits 5–9.
    pub fn high(&self) -> f32 {
        self.test.of(HIGH).unwrap_or(0.0)
    }
    /// Test accuracy on all digits.
    pub fn all(&self) -> f32 {
        self.test.of(ALL).unwrap_or(0.0)
    }
}

/// One pass over the shifting stream from fresh weights
/// ([`super::init`]), with or without replay: returns the model's state at
/// the end of each phase. `trainer` and `replay` are reset first, so the
/// same statics serve both runs.
///
/// # Errors
/// As [`run_online`] and [`class_accuracy`].
#[allow(clippy::too_many_arguments)]
pub fn run<Led: OutputPin, Delay: DelayNs>(
    net: &mut Net,
    trainer: &mut OnlineTrainer,
    batch: &mut Batch,
    replay: &mut Replay,
    train: &Data<'_>,
    test: &Data<'_>,
    with_replay: bool,
    board: &mut Board<Led, Delay>,
    log: &mut impl FnMut(&OnlineEvent),
) -> Result<[PhaseEnd; 3], RunError> {
    super::init(net);
    trainer.zero_grad();
    *trainer.optimizer_state_mut() = Zeroed::ZERO;
    trainer.set_steps(0);
    replay.reset(REPLAY_SEED);
    let mut stream = PhasedStream::new(train, PHASES, STREAM_SEED);
    let mut learner = OnlineLearner::new(net, trainer, batch, replay, config(with_replay));
    let mut ends = [PhaseEnd {
        phase: 0,
        stream: OnlineStats::new(),
        test: ClassAccuracy {
            correct: [0; CLASSES],
            rows: [0; CLASSES],
        },
    }; 3];
    for (phase, (end, spec)) in ends.iter_mut().zip(&PHASES).enumerate() {
        let phase = phase as u8;
        let stream_stats = run_online(
            &mut learner,
            &mut stream,
            spec.samples,
            REPORT_EVERY,
            board,
            &mut |report: &OnlineReport| {
                log(&OnlineEvent::Window {
                    phase,
                    report: *report,
                })
            },
        )?;
        let test = class_accuracy(&*learner.net, &mut Inference::new(), test)?;
        *end = PhaseEnd {
            phase,
            stream: stream_stats,
            test,
        };
        log(&OnlineEvent::PhaseEnd(*end));
    }
    Ok(ends)
}

/// Test accuracy on digits 0–4 the run with replay must keep after phase 2
/// (`cargo test -p microprop-device --test online -- --nocapture` prints
/// what each run reaches).
pub const RETAINED_FLOOR: f32 = 0.9;

/// Test accuracy on digits 0–4 above which the run without replay would
/// not show forgetting after phase 2.
pub const FORGOTTEN_CEILING: f32 = 0.2;

/// Test accuracy on all digits the run with replay must reach after
/// phase 3.
pub const FINAL_FLOOR: f32 = 0.93;

/// Whether the two runs show what the job is for: without replay, phase 2
/// erased digits 0–4; with replay, they were kept, and the final model
/// clears [`FINAL_FLOOR`].
pub fn replay_helped(without: &[PhaseEnd; 3], with: &[PhaseEnd; 3]) -> bool {
    let [_, plain_2, _] = without;
    let [_, replay_2, replay_3] = with;
    plain_2.low() < FORGOTTEN_CEILING
        && replay_2.low() >= RETAINED_FLOOR
        && replay_3.all() >= FINAL_FLOOR
}
