//! The learning loop: train, blink, log, evaluate.

use core::fmt;

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{Error as _, ErrorKind, OutputPin};
use microprop::{
    AcceptsActivation, Dataset, EpochReport, Error, FitConfig, Layer, Loss, OnEpoch, Optimizer,
    Schedule, Workspace,
};

use crate::log::{Event, Log, Start, Summary};

/// The board-specific parts the loop drives: a status LED and a delay.
#[derive(Debug)]
pub struct Board<Led, Delay> {
    /// Toggled after every epoch (driven low before the first).
    pub led: Led,
    /// Used for [`Board::epoch_pause_us`].
    pub delay: Delay,
    /// Pause after each epoch's LED toggle, in microseconds, so a blink stays
    /// visible when epochs are fast; 0 = no pause (the delay is not called).
    pub epoch_pause_us: u32,
}

impl<Led, Delay> Board<Led, Delay> {
    /// A board with no pause between epochs.
    pub const fn new(led: Led, delay: Delay) -> Self {
        Board {
            led,
            delay,
            epoch_pause_us: 0,
        }
    }
}

/// Why a [`run`] stopped early.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RunError {
    /// Training or evaluation was refused (the network is as the last good
    /// step left it).
    Train(Error),
    /// The status LED could not be driven. Training itself completed; the
    /// first failure is reported.
    Led(ErrorKind),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Train(e) => write!(f, "training failed: {e}"),
            RunError::Led(kind) => write!(f, "status LED failed: {kind}"),
        }
    }
}

impl core::error::Error for RunError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            RunError::Train(e) => Some(e),
            RunError::Led(_) => None,
        }
    }
}

impl From<Error> for RunError {
    fn from(e: Error) -> Self {
        RunError::Train(e)
    }
}

/// Trains `ws.net` on `train` as `config` says, then measures it on `train`
/// and `test`: [`Workspace::fit`] with a status LED and a log.
///
/// The LED is driven low first and toggled after every epoch, followed by
/// [`Board::epoch_pause_us`] of delay. `log` receives [`Event::Start`], one
/// [`Event::Epoch`] per epoch, [`Event::Trained`] and [`Event::Finished`].
/// The evaluation ([`Workspace::evaluate`]) uses the workspace's trainer
/// and staging rows and the configured normaliser; nothing is allocated
/// and nothing scales with the model on the stack.
///
/// # Errors
/// [`RunError::Train`] if training or evaluation is refused (an empty or
/// unreadable data set, non-finite data or gradients: see
/// [`Workspace::fit`]); [`RunError::Led`] if the LED failed (after training
/// and evaluation completed, so the numbers are not lost — they were
/// logged).
pub fn run<N, L, O, S, const B: usize>(
    ws: &mut Workspace<N, L, O, B>,
    train: &impl Dataset<Input = N::Input, Target = L::Target>,
    test: &impl Dataset<Input = N::Input, Target = L::Target>,
    config: &FitConfig<S, N::Input>,
    board: &mut Board<impl OutputPin, impl DelayNs>,
    log: &mut impl Log,
) -> Result<Summary, RunError>
where
    N: Layer,
    L: Loss<N::Output, Target: Copy> + AcceptsActivation<N::OutputActivation>,
    O: Optimizer,
    S: Schedule,
{
    let mut led_error = board.led.set_low().err().map(|e| e.kind());
    let steps = config.mode.iterations_per_epoch(train.len());
    log.log(&Event::Start(Start {
        train_rows: saturating_u32(train.len()),
        test_rows: saturating_u32(test.len()),
        max_epochs: config.stopping.max_epochs,
        steps_per_epoch: saturating_u32(steps),
    }));

    let mut led_on = false;
    let mut led_toggles = 0u32;
    let mut learning_rate = 0.0;
    let blink = OnEpoch::new(|epoch: &EpochReport| {
        led_on = !led_on;
        let driven = if led_on {
            board.led.set_high()
        } else {
            board.led.set_low()
        };
        if let Err(e) = driven {
            led_error.get_or_insert(e.kind());
        }
        led_toggles += 1;
        learning_rate = epoch.last_step.learning_rate;
        if board.epoch_pause_us > 0 {
            board.delay.delay_us(board.epoch_pause_us);
        }
        log.log(&Event::Epoch(*epoch));
    });
    let report = ws.fit(train, config, blink)?;
    log.log(&Event::Trained(report));

    let normalizer = config.normalizer.as_ref();
    let train_stats = ws.evaluate(train, normalizer)?;
    let test_stats = ws.evaluate(test, normalizer)?;
    let summary = Summary {
        fit: report,
        learning_rate,
        train: train_stats,
        test: test_stats,
        led_toggles,
    };
    log.log(&Event::Finished(summary));
    match led_error {
        Some(kind) => Err(RunError::Led(kind)),
        None => Ok(summary),
    }
}

fn saturating_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;
    use crate::log::NoLog;
    use core::convert::Infallible;
    use embedded_hal::digital::ErrorType;
    use microprop::{
        BatchMode, Dense, Identity, Init, LrSchedule, Sgd, SliceDataset, SoftmaxCrossEntropy,
        Stopping, Tanh, Trainer, Warmup, WarmupStart, network,
    };

    /// Records every level driven; can be told to fail.
    #[derive(Default)]
    struct MockLed {
        levels: Vec<bool>,
        fail: bool,
    }

    #[derive(Debug)]
    struct PinFault;
    impl embedded_hal::digital::Error for PinFault {
        fn kind(&self) -> ErrorKind {
            ErrorKind::Other
        }
    }

    impl ErrorType for MockLed {
        type Error = PinFault;
    }
    impl OutputPin for MockLed {
        fn set_low(&mut self) -> Result<(), PinFault> {
            self.levels.push(false);
            if self.fail { Err(PinFault) } else { Ok(()) }
        }
        fn set_high(&mut self) -> Result<(), PinFault> {
            self.levels.push(true);
            if self.fail { Err(PinFault) } else { Ok(()) }
        }
    }

    /// Adds up the nanoseconds it was asked to wait.
    #[derive(Default)]
    struct MockDelay {
        calls: u32,
        total_ns: u64,
    }
    impl DelayNs for MockDelay {
        fn delay_ns(&mut self, ns: u32) {
            self.calls += 1;
            self.total_ns += u64::from(ns);
        }
    }

    struct NeverFails;
    impl ErrorType for NeverFails {
        type Error = Infallible;
    }
    impl OutputPin for NeverFails {
        fn set_low(&mut self) -> Result<(), Infallible> {
            Ok(())
        }
        fn set_high(&mut self) -> Result<(), Infallible> {
            Ok(())
        }
    }

    type Net = network![Dense<2, 8, Tanh>, Dense<8, 2, Identity>];

    fn workspace() -> Workspace<Net, SoftmaxCrossEntropy, Sgd, 4> {
        Workspace::new(Net::ZERO, Trainer::new(SoftmaxCrossEntropy, Sgd))
    }

    /// Two interleaved spirals' worth of difficulty is overkill: four
    /// Gaussian-free clusters around the corners, labelled by XOR.
    fn xor_clusters() -> ([[f32; 2]; 16], [usize; 16]) {
        let mut x = [[0.0; 2]; 16];
        let mut y = [0; 16];
        for i in 0..16 {
            let (a, b) = ((i & 1) as f32, ((i >> 1) & 1) as f32);
            let jitter = (i >> 2) as f32 * 0.05;
            x[i] = [a + jitter, b - jitter];
            y[i] = (i & 1) ^ ((i >> 1) & 1);
        }
        (x, y)
    }

    fn config(epochs: u32) -> FitConfig<Warmup<LrSchedule>, [f32; 2]> {
        FitConfig {
            mode: BatchMode::MiniBatch(4),
            schedule: Warmup {
                steps: 8,
                inner: LrSchedule::Cosine {
                    initial: 0.5,
                    last: 0.05,
                    period: 4 * epochs,
                },
                start: WarmupStart::LinearLr,
            },
            shuffle_seed: Some(5),
            stopping: Stopping::epochs(epochs),
            normalizer: None,
        }
    }

    #[test]
    fn learns_xor_toggles_the_led_each_epoch_and_pauses() {
        let (x, y) = xor_clusters();
        let data = SliceDataset::new(&x, &y).unwrap();
        let mut ws = workspace();
        ws.net.init(Init::Xavier, &mut microprop::init::seeded(11));
        let mut board = Board {
            led: MockLed::default(),
            delay: MockDelay::default(),
            epoch_pause_us: 250,
        };
        let mut events = Vec::new();
        let epochs = 300;
        let summary = run(
            &mut ws,
            &data,
            &data,
            &config(epochs),
            &mut board,
            &mut |e: &Event| events.push(*e),
        )
        .unwrap();

        // Low first, then alternating high/low once per epoch.
        let levels = &board.led.levels;
        assert_eq!(levels.len(), 1 + epochs as usize);
        assert!(!levels[0]);
        for (epoch, &level) in levels[1..].iter().enumerate() {
            assert_eq!(level, epoch % 2 == 0, "epoch {epoch}");
        }
        assert_eq!(summary.led_toggles, epochs);
        assert_eq!(board.delay.calls, epochs);
        assert_eq!(board.delay.total_ns, u64::from(epochs) * 250_000);

        // It learned.
        let first = match events[1] {
            Event::Epoch(r) => r.stats.mean_loss(),
            other => panic!("expected the first epoch, got {other:?}"),
        };
        assert!(summary.final_loss() < first / 10.0, "{summary:?}");
        assert_eq!(summary.train_accuracy(), Some(1.0));
        assert_eq!(summary.test_accuracy(), Some(1.0));
        assert_eq!(summary.fit.epochs, epochs);
        assert_eq!(summary.fit.iterations, epochs * 4);
        assert!(
            summary.learning_rate > 0.05 && summary.learning_rate < 0.051,
            "cosine ends near its floor: {}",
            summary.learning_rate
        );

        // Events: start, one per epoch, trained, finished.
        assert_eq!(events.len(), epochs as usize + 3);
        assert_eq!(
            events[0],
            Event::Start(Start {
                train_rows: 16,
                test_rows: 16,
                max_epochs: epochs,
                steps_per_epoch: 4,
            })
        );
        assert!(matches!(events[epochs as usize + 1], Event::Trained(_)));
        assert_eq!(events[epochs as usize + 2], Event::Finished(summary));
    }

    #[test]
    fn a_failing_led_is_reported_after_the_numbers() {
        let (x, y) = xor_clusters();
        let data = SliceDataset::new(&x, &y).unwrap();
        let mut ws = workspace();
        ws.net.init(Init::Xavier, &mut microprop::init::seeded(1));
        let mut board = Board::new(
            MockLed {
                fail: true,
                ..MockLed::default()
            },
            MockDelay::default(),
        );
        let mut finished = None;
        let result = run(
            &mut ws,
            &data,
            &data,
            &config(3),
            &mut board,
            &mut |e: &Event| {
                if let Event::Finished(s) = e {
                    finished = Some(*s);
                }
            },
        );
        assert_eq!(result, Err(RunError::Led(ErrorKind::Other)));
        assert_eq!(finished.unwrap().led_toggles, 3);
        assert_eq!(board.delay.calls, 0, "no pause configured");
    }

    #[test]
    fn bad_data_is_an_error_not_a_panic() {
        let x = [[0.0, f32::NAN]];
        let y = [0usize];
        let data = SliceDataset::new(&x, &y).unwrap();
        let mut ws = workspace();
        let result = run(
            &mut ws,
            &data,
            &data,
            &config(1),
            &mut Board::new(NeverFails, MockDelay::default()),
            &mut NoLog,
        );
        assert_eq!(
            result,
            Err(RunError::Train(Error::NonFiniteInput { row: 0 }))
        );
        let empty = SliceDataset::<[f32; 2], usize>::new(&[], &[]).unwrap();
        let result = run(
            &mut ws,
            &empty,
            &data,
            &config(1),
            &mut Board::new(NeverFails, MockDelay::default()),
            &mut NoLog,
        );
        assert_eq!(result, Err(RunError::Train(Error::EmptyBatch)));
    }
}
