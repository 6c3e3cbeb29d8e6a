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
//! `--job personalise` runs the firmware's personalisation job instead
//! ([`personalise`]): the pretrained model fine-tuned to a new user's
//! digits in four modes, printing the digests QEMU must reproduce.
//!
//! Each boot ([`boot`]) mounts the store, resumes from the newest valid
//! checkpoint (or initialises the weights as the firmware does), runs the
//! loop, and saves a training checkpoint (parameters, Adam's state, step
//! count); [`run`] runs the boots and reports.

pub mod args;
pub mod boot;
pub mod budget;
pub mod data;
pub mod flash;
pub mod job;
mod log;
pub mod peripherals;
pub mod personalise;
pub mod run;
pub mod store;

use anyhow::Result;

pub use args::{Job, SimOptions};
pub use budget::{Budget, DoesNotFit, check_budget};
pub use flash::{Cut, PowerCutFlash};
pub use job::DEFAULT_STACK;
pub use run::{SimReport, simulate};

/// Runs `simulate` as the CLI does, logging to stdout.
///
/// # Errors
/// As [`simulate`].
pub fn command(options: &SimOptions) -> Result<()> {
    let out = &mut std::io::stdout().lock();
    match options.job {
        Job::Digits => simulate(options, out).map(drop),
        Job::Personalise => personalise::simulate_personalise(options, out).map(drop),
    }
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
    fn the_personalisation_job_runs_every_mode_and_refuses_digits_options() {
        let mut options = SimOptions::new("nrf52840");
        options.job = Job::Personalise;
        let mut log = Vec::new();
        let reports = personalise::simulate_personalise(&options, &mut log).unwrap();
        let modes: Vec<_> = reports.iter().map(|r| r.outcome.mode).collect();
        assert_eq!(modes, microprop_device::digits::personalise::Mode::ALL);
        let log = String::from_utf8(log).unwrap();
        for r in &reports {
            assert!(r.outcome.personalised(), "{r:?}");
            let line = format!("digest personalise-{}: {}", r.outcome.mode.name(), r.digest);
            assert!(log.contains(&line), "{line} not in\n{log}");
        }
        options.boots = 2;
        let err = personalise::simulate_personalise(&options, &mut std::io::sink()).unwrap_err();
        assert!(err.to_string().contains("--boots"), "{err}");
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
