//! One boot of the simulated device: mount the store, resume from the
//! newest checkpoint (or initialise the weights as the firmware does), run
//! the firmware's learning loop, and save a training checkpoint.

use std::io::Write;

use anyhow::{Result, anyhow};
use microprop::checkpoint::SlotInfo;
use microprop::{FitConfig, Layer};
use microprop_device::digits::{self, DigitsSchedule, DigitsWorkspace, FEATURES, Net};
use microprop_device::{Board, Event, Summary, run};

use super::job::SimFlash;
use super::log::EpochLog;
use super::peripherals::{SharedTrace, SimDelay, SimLed};
use super::store::{Saved, mount, resume, save};

/// What the firmware keeps in `static`s, boxed on the host: the network,
/// the trainer, the staging rows and the checkpoint buffer.
pub struct Statics {
    /// The network, the trainer (gradients, Adam's moments, caches) and the
    /// rows `fit` stages samples in.
    pub ws: Box<DigitsWorkspace>,
    /// The buffer a checkpoint is encoded into and read back from.
    pub blob: Vec<u8>,
}

impl Statics {
    /// Zeroed statics with a checkpoint buffer of `checkpoint_buffer` bytes.
    pub fn new(checkpoint_buffer: usize) -> Self {
        Statics {
            ws: Box::new(digits::workspace()),
            blob: vec![0u8; checkpoint_buffer],
        }
    }
}

/// One boot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootReport {
    /// Boot number, from 1.
    pub boot: u32,
    /// The checkpoint resumed from: its slot, sequence number and the
    /// optimizer step it holds.
    pub resumed: Option<(SlotInfo, u32)>,
    /// What the loop returned.
    pub summary: Summary,
    /// The save at the end.
    pub saved: Saved,
}

/// How a boot runs: the data, the loop's configuration, the peripherals'
/// trace and the log's settings.
pub struct BootSetup<'a> {
    /// The training rows as the firmware reads them.
    pub train: &'a digits::Data<'a>,
    /// The test rows.
    pub test: &'a digits::Data<'a>,
    /// The loop's configuration.
    pub config: &'a FitConfig<DigitsSchedule, [f32; FEATURES]>,
    /// The LED's and the clock's record.
    pub trace: &'a SharedTrace,
    /// Pause after each epoch's LED toggle, in microseconds.
    pub pause_us: u32,
    /// Log every epoch (otherwise the first, every fifth and the last).
    pub every_epoch: bool,
}

/// Boot number `boot`: mounts the store over `flash` (the power failing
/// after `power_cut_after` bytes written), resumes or initialises, trains,
/// and saves; logs to `out`. Returns the report and the checkpoint's
/// length at the start of `statics.blob`.
///
/// # Errors
/// If training fails, or the flash fails other than by the injected power
/// cut.
pub fn boot(
    boot: u32,
    statics: &mut Statics,
    flash: &mut SimFlash,
    power_cut_after: Option<usize>,
    setup: &BootSetup<'_>,
    out: &mut dyn Write,
) -> Result<(BootReport, usize)> {
    let mut store = mount(flash, power_cut_after)?;
    writeln!(out, "\nboot {boot}:")?;
    let Statics { ws, blob } = statics;
    ws.net = Net::ZERO;
    ws.trainer = digits::trainer();
    let resumed = resume(&mut store, &mut ws.net, &mut ws.trainer, blob, out)?;
    if resumed.is_none() {
        digits::init(&mut ws.net);
    }

    let mut board = Board {
        led: SimLed(setup.trace.clone()),
        delay: SimDelay(setup.trace.clone()),
        epoch_pause_us: setup.pause_us,
    };
    let mut log = EpochLog {
        trace: setup.trace.clone(),
        out: &mut *out,
        every_epoch: setup.every_epoch,
        max_epochs: setup.config.stopping.max_epochs,
    };
    let summary = run(
        ws,
        setup.train,
        setup.test,
        setup.config,
        &mut board,
        &mut |e: &Event| log.log(e),
    )
    .map_err(|e| anyhow!("{e}"))?;
    print_verdict(&summary, out)?;

    let (saved, len) = save(&mut store, &ws.net, &ws.trainer, blob, out)?;
    Ok((
        BootReport {
            boot,
            resumed,
            summary,
            saved,
        },
        len,
    ))
}

/// "PASS: test accuracy ... >= the firmware's floor ...".
fn print_verdict(summary: &Summary, out: &mut dyn Write) -> Result<()> {
    let accuracy = summary.test_accuracy().unwrap_or(0.0);
    let correct = (f64::from(accuracy) * digits::TEST_ROWS as f64).round();
    let floor = digits::TEST_ACCURACY_FLOOR;
    let pass = accuracy >= floor;
    writeln!(
        out,
        "{}: test accuracy {accuracy:.4} ({correct} of {} rows) {} the firmware's floor {floor}",
        if pass { "PASS" } else { "FAIL" },
        digits::TEST_ROWS,
        if pass { ">=" } else { "<" },
    )?;
    Ok(())
}
