//! Shared by the host tests: the digits in the firmware's split order, and
//! a counting LED and a no-op delay.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing
)]

use std::convert::Infallible;

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{ErrorType, OutputPin};
use microprop::{AcceptsActivation, Layer, SoftmaxCrossEntropy};
use microprop_device::digits::personalise::{self, Batch, FineTuner, Mode, Outcome, Split};
use microprop_device::digits::{self, CLASSES, Data, DigitsWorkspace, FEATURES};
use microprop_device::{Board, NoLog, run};

/// The pixels and labels in split order, as the firmware's build script
/// stores them: `(train pixels, train labels, test pixels, test labels)`.
pub fn load() -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/digits8x8.csv");
    let text = std::fs::read_to_string(path).expect("data/digits8x8.csv");
    let rows: Vec<Vec<u8>> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').map(|v| v.trim().parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), digits::ROWS);
    let order = digits::split_order();
    let mut out = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..digits::ROWS {
        let row = &rows[order.index(i)];
        let (pixels, labels) = if i < digits::TRAIN_ROWS {
            (&mut out.0, &mut out.1)
        } else {
            (&mut out.2, &mut out.3)
        };
        pixels.extend_from_slice(&row[..digits::FEATURES]);
        labels.push(row[digits::FEATURES]);
    }
    out
}

/// The digits job on the host, as `qemu-digits` runs it: the trained
/// workspace.
pub fn digits_job(train: &Data<'_>, test: &Data<'_>) -> Box<DigitsWorkspace> {
    let mut ws = Box::new(digits::workspace());
    digits::init(&mut ws.net);
    run(
        &mut ws,
        train,
        test,
        &digits::CONFIG,
        &mut Board::new(Led(0), NoDelay),
        &mut NoLog,
    )
    .unwrap();
    ws
}

/// One personalisation mode on the host, from `start` (the mode's
/// pretrained network), as `qemu-personalise-<mode>` runs it: its outcome
/// and the fine-tuned network. Checks that every pass was reported once.
pub fn personalised<N>(mode: Mode, start: N, split: &Split<'_>) -> (Outcome, N)
where
    N: Layer<Input = [f32; FEATURES], Output = [f32; CLASSES]>,
    SoftmaxCrossEntropy: AcceptsActivation<N::OutputActivation>,
{
    let mut net = start;
    let mut trainer: Box<FineTuner<N>> = Box::new(personalise::fine_tuner());
    let mut batch = Box::new(Batch::new());
    let mut passes = 0;
    let outcome =
        personalise::personalise(mode, &mut net, &mut trainer, &mut batch, split, &mut |p| {
            assert_eq!(p, passes);
            passes += 1;
        })
        .unwrap();
    assert_eq!(passes, personalise::PASSES);
    (outcome, net)
}

pub struct Led(pub u32);
impl ErrorType for Led {
    type Error = Infallible;
}
impl OutputPin for Led {
    fn set_low(&mut self) -> Result<(), Infallible> {
        self.0 += 1;
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        self.0 += 1;
        Ok(())
    }
}
pub struct NoDelay;
impl DelayNs for NoDelay {
    fn delay_ns(&mut self, _ns: u32) {}
}
