//! The `simulate` command: the firmware's digits job run on the host
//! through the very same learning loop ([`microprop_device::run`]), on
//! simulated peripherals.
//!
//! - **Status LED** and **delay** ([`peripherals`]): an `OutputPin` that
//!   records every level it is driven to with the simulated time, and a
//!   `DelayNs` that advances a simulated clock instead of waiting; the loop
//!   pauses after each epoch's LED toggle.
//! - **Data** ([`data`]): the bundled 8x8 digits as the firmware's build
//!   script stores them in flash, read through the firmware's own dataset.
//! - **NOR flash** ([`flash`], [`store`]): the core's `RamFlash` (4-byte
//!   words, 4 KiB sectors, as on the nRF52840) under the core's two-slot
//!   checkpoint `Store`, behind a [`flash::PowerCutFlash`] that cuts the
//!   power after a given number of bytes written: the save in progress is
//!   torn, and after the "reboot" the previous checkpoint must still load.
//! - **RAM budget** ([`budget`]): the job's statics (network, trainer,
//!   staging rows, the checkpoint buffer) and a stack reserve, each
//!   `size_of` of the real type, against the part's RAM
//!   ([`crate::report::parts`]); a job that does not fit is refused before
//!   it runs, as the part's linker would refuse to link it.
//!
//! Each boot ([`boot`]) mounts the store, resumes from the newest valid
//! checkpoint (or initialises the weights as the firmware does), runs the
//! loop, and saves a training checkpoint (parameters, Adam's state, step
//! count); [`run`] runs the boots and reports.

pub mod boot;
pub mod budget;
pub mod data;
pub mod flash;
pub mod job;
mod log;
pub mod peripherals;
pub mod run;
pub mod store;

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

pub use budget::{Budget, DoesNotFit, check_budget};
pub use flash::{Cut, PowerCutFlash};
pub use job::DEFAULT_STACK;
pub use run::{SimReport, simulate};

use crate::options::parse_bytes;
use crate::report::Part;

/// What `simulate` is told.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[command(
    after_help = "Examples:\n  microprop-sim simulate\n  microprop-sim simulate --part stm32f411 --boots 2 --epochs 5\n  \
microprop-sim simulate --boots 2 --epochs 2 --power-cut-after 10000\n  microprop-sim simulate --part stm32f103   # does not fit: refused"
)]
pub struct SimOptions {
    /// The part: nrf52840, rp2040, stm32f411, stm32f103, stm32f030.
    #[arg(long, default_value = "nrf52840")]
    pub part: String,
    /// Override the part's RAM, in bytes (k/K = KiB), e.g. 64k.
    #[arg(long, value_parser = parse_bytes)]
    pub ram: Option<usize>,
    /// Bytes of RAM to reserve for the stack.
    #[arg(long, default_value_t = DEFAULT_STACK, value_parser = parse_bytes)]
    pub stack: usize,
    /// Epochs per boot (the firmware's job: 20).
    #[arg(long, default_value_t = microprop_device::digits::EPOCHS)]
    pub epochs: u32,
    /// Boots: each resumes from the newest checkpoint in flash, trains and saves.
    #[arg(long, default_value_t = 1)]
    pub boots: u32,
    /// Cut the power after this many bytes written to flash during the last
    /// boot's save; the next boot must find the previous checkpoint.
    #[arg(long, value_parser = parse_bytes)]
    pub power_cut_after: Option<usize>,
    /// Pause after each epoch's LED toggle, in milliseconds (the firmware on
    /// QEMU uses 0).
    #[arg(long, default_value_t = 100)]
    pub pause_ms: u32,
    /// Keep the simulated flash in this file, so the next run resumes.
    #[arg(long)]
    pub flash: Option<PathBuf>,
    /// Print every epoch (default: the first, every fifth and the last).
    #[arg(long)]
    pub every_epoch: bool,
    /// Directory holding digits8x8.csv.
    #[arg(long, default_value_os_t = crate::bundled_data_dir())]
    pub data_dir: PathBuf,
}

impl SimOptions {
    /// The firmware's job on the part named `part`: one boot of the
    /// firmware's epoch count, 100 ms pauses, no power cut.
    pub fn new(part: &str) -> Self {
        SimOptions {
            part: part.to_string(),
            ram: None,
            stack: DEFAULT_STACK,
            epochs: microprop_device::digits::EPOCHS,
            boots: 1,
            power_cut_after: None,
            pause_ms: 100,
            flash: None,
            every_epoch: false,
            data_dir: crate::bundled_data_dir(),
        }
    }

    /// The part named by `part`, with `ram` bytes of RAM if set.
    ///
    /// # Errors
    /// If no part has that name.
    pub fn part(&self) -> Result<Part> {
        let part = Part::named(&self.part)?;
        Ok(match self.ram {
            Some(ram) => part.with_ram(ram),
            None => part,
        })
    }
}

/// Runs `simulate` as the CLI does, logging to stdout.
///
/// # Errors
/// As [`simulate`].
pub fn command(options: &SimOptions) -> Result<()> {
    simulate(options, &mut std::io::stdout().lock())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::store::Saved;
    use super::*;
    use crate::report::grouped;

    fn quiet(options: &SimOptions) -> Result<SimReport> {
        simulate(options, &mut std::io::sink())
    }

    #[test]
    fn a_small_part_refuses_the_job_before_it_runs() {
        let mut options = SimOptions::new("stm32f103");
        options.epochs = 1;
        let err = quiet(&options).unwrap_err();
        let fit = err.downcast_ref::<DoesNotFit>().expect("a budget error");
        let b = Budget::digits(DEFAULT_STACK);
        assert_eq!(fit.budget, b);
        let text = err.to_string();
        assert!(
            text.contains(&format!(
                "needs {} bytes of RAM, the part has 20,480",
                grouped(b.ram())
            )),
            "{text}"
        );
        assert!(
            text.contains("needs") && text.contains("bytes of flash, the part has 65,536"),
            "{text}"
        );
        let err = quiet(&SimOptions::new("z80")).unwrap_err().to_string();
        assert!(err.contains("nrf52840"), "{err}");
    }

    #[test]
    fn power_cut_mid_save_keeps_the_previous_checkpoint() {
        let mut options = SimOptions::new("nrf52840");
        options.epochs = 1;
        options.boots = 2;
        options.power_cut_after = Some(10_001);
        let report = quiet(&options).unwrap();
        let [first, second] = [&report.boots[0], &report.boots[1]];
        let Saved::Committed(info) = first.saved else {
            panic!("{:?}", first.saved)
        };
        assert_eq!((info.seq, info.slot), (1, 0));
        assert_eq!(second.resumed.map(|(i, step)| (i.seq, step)), Some((1, 90)));
        assert_eq!(
            second.saved,
            Saved::PowerCut {
                written: 10_001,
                bytes: job::CHECKPOINT_LEN
            }
        );
        let r = report.recovery.unwrap();
        assert!(r.identical, "{r:?}");
        assert_eq!((r.latest.map(|i| i.seq), r.step), (Some(1), 90));
        assert_eq!(r.test_accuracy, first.summary.test_accuracy());
        // One low at each boot, then a toggle per epoch; 100 ms pauses.
        assert_eq!(report.trace.led.len(), 4);
        assert_eq!(report.trace.now_ns, 2 * 100_000_000);
    }
}
