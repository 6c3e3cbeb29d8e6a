//! `simulate`: the digits job's budget checked against the part, then its
//! boots on the simulated device, a power cut in the last save if asked,
//! and what the next boot finds.

use std::io::Write;
use std::path::Path;
use std::rc::Rc;

use anyhow::{Context, Result, bail};

use super::args::SimOptions;
use super::boot::{BootReport, BootSetup, Statics, boot};
use super::budget::{Budget, check_budget};
use super::data::DigitsBytes;
use super::job::{FLASH_LEN, SECTOR, SLOT, SimFlash, WORD, job_config};
use super::peripherals::{SharedTrace, Trace};
use super::store::{Recovery, Saved, mount, recover};
use crate::data::BundledData;
use crate::data::files::write_atomic;
use crate::report::{Part, grouped, human};

/// What `simulate` did.
#[derive(Debug, Clone)]
pub struct SimReport {
    /// The job's RAM and flash.
    pub budget: Budget,
    /// Each boot.
    pub boots: Vec<BootReport>,
    /// After a power cut: what the next boot finds.
    pub recovery: Option<Recovery>,
    /// The LED and the clock.
    pub trace: Trace,
}

/// Runs the digits job on the simulated part, printing the log to `out`.
///
/// # Errors
/// [`DoesNotFit`](super::budget::DoesNotFit) (before anything runs) if the job's RAM or flash
/// exceeds the part's; otherwise if the part is unknown, the data can't be
/// loaded, training fails, or the flash store fails other than by the
/// injected power cut.
pub fn simulate(options: &SimOptions, out: &mut dyn Write) -> Result<SimReport> {
    let part = options.part()?;
    let budget = Budget::digits(options.stack);
    check_budget(&part, &budget)?;
    if options.boots == 0 || options.epochs == 0 {
        bail!("--boots and --epochs must be at least 1");
    }
    print_budget(&part, &budget, out)?;

    let data = DigitsBytes::load(&BundledData::locate(options.data_dir.as_deref()))?;
    let (train, test) = (data.train()?, data.test()?);
    let config = job_config(options.epochs);
    let mut flash = Box::new(SimFlash::new());
    if let Some(path) = options.flash.as_ref().filter(|p| p.exists()) {
        load_image(&mut flash, path)?;
        writeln!(out, "flash image: {}", path.display())?;
    }

    let trace: SharedTrace = Rc::default();
    let setup = BootSetup {
        train: &train,
        test: &test,
        config: &config,
        trace: &trace,
        pause_us: options.pause_ms.saturating_mul(1000),
        every_epoch: options.every_epoch,
    };
    let mut statics = Statics::new(budget.checkpoint_buffer);
    // The last checkpoint committed, to compare with what survives a cut.
    let mut last_committed: Option<Vec<u8>> = None;
    let mut boots = Vec::new();
    let mut recovery = None;
    for n in 1..=options.boots {
        let cut = options.power_cut_after.filter(|_| n == options.boots);
        let (report, len) = boot(n, &mut statics, &mut flash, cut, &setup, out)?;
        boots.push(report);
        match report.saved {
            Saved::Committed(_) => last_committed = statics.blob.get(..len).map(<[u8]>::to_vec),
            Saved::PowerCut { .. } => {
                writeln!(out, "\nreboot after the power cut:")?;
                let mut store = mount(&mut flash, None)?;
                recovery = Some(recover(
                    &mut store,
                    last_committed.as_deref(),
                    &test,
                    &config,
                    &mut statics.blob,
                    out,
                )?);
            }
        }
    }

    let trace = trace.borrow().clone();
    print_led(&trace, boots.len(), options.pause_ms, out)?;
    if let Some(path) = &options.flash {
        write_atomic(path, flash.as_bytes())?;
        writeln!(out, "flash image saved to {}", path.display())?;
    }
    Ok(SimReport {
        budget,
        boots,
        recovery,
        trace,
    })
}

/// The part and the job's RAM and flash, in three lines.
fn print_budget(part: &Part, budget: &Budget, out: &mut dyn Write) -> Result<()> {
    let pct = |n: usize, of: usize| 100.0 * n as f64 / of as f64;
    writeln!(
        out,
        "simulated {} ({} RAM, {} flash): the firmware's digits job through microprop_device::run",
        part.name,
        human(part.ram),
        human(part.flash)
    )?;
    writeln!(
        out,
        "RAM:   {} of {} bytes ({:.1} %): {}",
        grouped(budget.ram()),
        grouped(part.ram),
        pct(budget.ram(), part.ram),
        budget.ram_parts()
    )?;
    writeln!(
        out,
        "flash: {} of {} bytes ({:.1} %): {} (2 x {} B: {}-byte words, {} B sectors; code not counted)",
        grouped(budget.flash()),
        grouped(part.flash),
        pct(budget.flash(), part.flash),
        budget.flash_parts(),
        grouped(SLOT),
        WORD,
        grouped(SECTOR)
    )?;
    Ok(())
}

/// Fills the simulated flash from an image file `simulate --flash` saved.
fn load_image(flash: &mut SimFlash, path: &Path) -> Result<()> {
    let image = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    if image.len() != FLASH_LEN {
        bail!(
            "{}: {} bytes, but the simulated flash has {}",
            path.display(),
            image.len(),
            FLASH_LEN
        );
    }
    flash.as_bytes_mut().copy_from_slice(&image);
    Ok(())
}

/// What the LED and the clock saw over `boots` boots.
fn print_led(trace: &Trace, boots: usize, pause_ms: u32, out: &mut dyn Write) -> Result<()> {
    let toggles = trace.led.len().saturating_sub(boots);
    writeln!(
        out,
        "\nLED: driven {} times ({} toggle{}, one per epoch, after driving it low at each boot); simulated time {:.3} s, all of it the loop's pauses of {} ms after each toggle",
        trace.led.len(),
        toggles,
        if toggles == 1 { "" } else { "s" },
        trace.now_ns as f64 / 1e9,
        f64::from(pause_ms.saturating_mul(1000)) / 1000.0
    )?;
    Ok(())
}
