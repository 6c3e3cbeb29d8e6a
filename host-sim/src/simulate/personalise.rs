//! `simulate --job personalise`: the firmware's personalisation job
//! (`microprop_device::digits::personalise`) on the host, each of the four
//! modes from its pretrained network through the same code as the
//! `qemu-personalise-*` binaries, on the digits as the firmware stores
//! them. It prints each mode's accuracy before and after and the digest of
//! the fine-tuned network in the firmware's log format, so a run can be
//! compared with QEMU's line by line (`python3 firmware/personalise.py`).

use std::io::Write;

use anyhow::{Result, bail};
use microprop::{AcceptsActivation, Layer, SoftmaxCrossEntropy};
use microprop_device::crosscheck::{Digest, digest};
use microprop_device::digits::personalise::{
    self, Batch, EVAL_ROWS, FineTuner, Mode, Outcome, Split, fine_tuner,
};
use microprop_device::digits::{CLASSES, FEATURES};

use super::args::SimOptions;
use super::data::DigitsBytes;
use crate::data::BundledData;

/// One mode's run: its outcome and the digest of the fine-tuned network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeReport {
    /// Accuracy before and after, steps taken.
    pub outcome: Outcome,
    /// The fine-tuned network's digest (the firmware logs the same).
    pub digest: Digest,
}

/// Runs the four modes, printing to `out`.
///
/// # Errors
/// If an option of the digits job was given (boots, power cut, flash
/// file), the data cannot be loaded, or a step is refused.
pub fn simulate_personalise(options: &SimOptions, out: &mut dyn Write) -> Result<Vec<ModeReport>> {
    if options.boots != 1 || options.power_cut_after.is_some() || options.flash.is_some() {
        bail!(
            "--boots, --power-cut-after and --flash belong to the digits job; \
             `--job personalise` runs once, from the pretrained model in flash"
        );
    }
    let data = DigitsBytes::load(&BundledData::locate(options.data_dir.as_deref()))?;
    let (train, test) = (data.train()?, data.test()?);
    let Some(split) = Split::new(&train, &test) else {
        bail!("the digits hold too few rows for the personalisation job");
    };
    writeln!(
        out,
        "personalisation: the pretrained 64-32-10 digits model adapts to a new user's slanted digits\n\
         stream: {} slanted digits x {} passes, {} of {} pretraining digits replayed a step, SGD lr {}",
        personalise::USER_ROWS,
        personalise::PASSES,
        personalise::REPLAYED_PER_STEP,
        personalise::REPLAY_ROWS,
        personalise::LEARNING_RATE
    )?;
    writeln!(
        out,
        "accuracy on {EVAL_ROWS} held-out digits: the new user's (slanted) and everyone else's (as written)"
    )?;
    let reports = vec![
        run_mode(Mode::Full, personalise::FULL, &split, out)?,
        run_mode(Mode::Head, personalise::HEAD, &split, out)?,
        run_mode(Mode::Bias, personalise::BIAS, &split, out)?,
        run_mode(Mode::Int8, personalise::INT8, &split, out)?,
    ];
    writeln!(
        out,
        "RAM, flash and instructions a step: the firmware under QEMU (python3 firmware/personalise.py)"
    )?;
    Ok(reports)
}

fn run_mode<N>(mode: Mode, start: N, split: &Split<'_>, out: &mut dyn Write) -> Result<ModeReport>
where
    N: Layer<Input = [f32; FEATURES], Output = [f32; CLASSES]>,
    SoftmaxCrossEntropy: AcceptsActivation<N::OutputActivation>,
{
    let mut net = Box::new(start);
    let mut trainer: Box<FineTuner<N>> = Box::new(fine_tuner());
    let mut batch = Box::new(Batch::new());
    let outcome = personalise::personalise(
        mode,
        &mut *net,
        &mut trainer,
        &mut batch,
        split,
        &mut |_| {},
    )?;
    let digest = digest(&*net);
    let (b, a) = (outcome.before, outcome.after);
    writeln!(
        out,
        "{:>13}: new user {:>3} -> {:>3} of {EVAL_ROWS}, others {:>3} -> {:>3} of {EVAL_ROWS}, {} steps",
        mode.name(),
        b.new,
        a.new,
        b.old,
        a.old,
        outcome.steps
    )?;
    writeln!(out, "digest personalise-{}: {digest}", mode.name())?;
    Ok(ModeReport { outcome, digest })
}
