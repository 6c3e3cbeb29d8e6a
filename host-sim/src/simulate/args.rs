//! What `simulate` is told: the part, the job's epochs and boots, the
//! power cut, the simulated flash's file.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};

use super::job::DEFAULT_STACK;
use crate::options::parse_bytes;
use crate::report::Part;

/// Which firmware job `simulate` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Job {
    /// The digits job: training from scratch, boots, checkpoints in flash.
    Digits,
    /// The personalisation job: the pretrained model fine-tuned to a new
    /// user's slanted digits in four modes.
    Personalise,
}

/// What `simulate` is told.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
#[command(
    after_help = "Examples:\n  microprop-sim simulate\n  microprop-sim simulate --part stm32f411 --boots 2 --epochs 5\n  \
microprop-sim simulate --boots 2 --epochs 2 --power-cut-after 10000\n  microprop-sim simulate --part stm32f103   # does not fit: refused\n  \
microprop-sim simulate --job personalise"
)]
pub struct SimOptions {
    /// The firmware job: `digits` (train from scratch, checkpoints) or
    /// `personalise` (fine-tune the pretrained model, four modes).
    #[arg(long, value_enum, default_value_t = Job::Digits)]
    pub job: Job,
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
    /// Folder holding digits8x8.csv (default: $MICROPROP_DATA_DIR, else
    /// the source checkout's data/, else the copy built into the binary).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

impl SimOptions {
    /// The firmware's job on the part named `part`: one boot of the
    /// firmware's epoch count, 100 ms pauses, no power cut.
    pub fn new(part: &str) -> Self {
        SimOptions {
            job: Job::Digits,
            part: part.to_string(),
            ram: None,
            stack: DEFAULT_STACK,
            epochs: microprop_device::digits::EPOCHS,
            boots: 1,
            power_cut_after: None,
            pause_ms: 100,
            flash: None,
            every_epoch: false,
            data_dir: None,
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
