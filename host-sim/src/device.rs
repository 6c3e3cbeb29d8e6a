//! The simulated device: the firmware's digits job run on the host through
//! the very same learning loop ([`microprop_device::run`]), on simulated
//! peripherals.
//!
//! - **Status LED**: an [`OutputPin`] that records every level it is driven
//!   to, with the simulated time ([`SimLed`]).
//! - **Delay**: a [`DelayNs`] that advances a simulated clock instead of
//!   waiting ([`SimDelay`]); the loop pauses after each epoch's LED toggle.
//! - **Data**: the bundled 8x8 digits as the firmware's build script stores
//!   them in flash (one byte a pixel, rows in the split order of
//!   [`digits::split_order`]), read through the firmware's own
//!   [`digits::Data`] ([`microprop_device::U8Dataset`]).
//! - **NOR flash**: the core's [`RamFlash`] (4-byte words, 4 KiB sectors, as
//!   on the nRF52840) under the core's two-slot checkpoint [`Store`], behind a
//!   fault injector that cuts the power after a given number of bytes
//!   written ([`PowerCut`]): the save in progress is torn, and after the
//!   "reboot" the previous checkpoint must still load.
//! - **RAM budget**: the job's statics (network, trainer, staging rows, the
//!   checkpoint buffer) and a stack reserve, each `size_of` of the real type,
//!   against the part's RAM; a job that does not fit is refused before it
//!   runs, as the part's linker would refuse to link it ([`DoesNotFit`]).
//!
//! Each boot mounts the store, resumes from the newest valid checkpoint (or
//! initialises the weights as the firmware does), runs the loop, and saves
//! a training checkpoint (parameters, Adam's state, step count).

use std::cell::RefCell;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use anyhow::{Context, Result, anyhow, bail};
use embedded_hal::delay::DelayNs;
use embedded_hal::digital::{ErrorType, OutputPin};
use embedded_storage::nor_flash::{self, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash};
use microprop::checkpoint::{self, RamFlash, SlotInfo, Store, StoreError};
use microprop::{Adam, FitBuffers, FitConfig, LrSchedule, Stopping};
use microprop_device::digits::{self, DigitsSchedule, DigitsTrainer, FEATURES, Net};
use microprop_device::{Board, Event, Summary, run};

use crate::data::{LabelColumn, load_csv};
use crate::footprint::{MCUS, Mcu, grouped, human};

/// Bytes of a flash word (the write size).
pub const WORD: usize = 4;
/// Bytes of a flash sector (the erase size).
pub const SECTOR: usize = 4096;
/// Bytes of a training checkpoint of the digits job: parameters, Adam's
/// moments and the step count.
pub const CHECKPOINT_LEN: usize = checkpoint::training_len::<Net, Adam>();
/// Bytes of one checkpoint slot: the store's header and the checkpoint,
/// rounded up to whole sectors.
pub const SLOT: usize = (CHECKPOINT_LEN + checkpoint::store::HEADER_LEN).div_ceil(SECTOR) * SECTOR;
/// Bytes of the simulated flash region: two slots.
pub const FLASH_LEN: usize = 2 * SLOT;
/// The simulated NOR flash region holding the two checkpoint slots.
pub type SimFlash = RamFlash<FLASH_LEN, WORD, SECTOR>;
/// Bytes the digits data takes in flash: a byte per pixel and per label.
pub const DATA_FLASH: usize = digits::ROWS * (FEATURES + 1);
/// Default stack reserve: the firmware's measured stack high-water mark
/// (1,760 B under QEMU) rounded up.
pub const DEFAULT_STACK: usize = 2048;

/// What the simulated peripherals saw: shared by the LED and the delay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    /// Simulated time, advanced only by the delay, in nanoseconds.
    pub now_ns: u64,
    /// Every level the LED was driven to, with the time: `(ns, high)`.
    pub led: Vec<(u64, bool)>,
    /// Nanoseconds the loop asked the delay for.
    pub delayed_ns: u64,
}

/// The shared trace.
pub type SharedTrace = Rc<RefCell<Trace>>;

/// The status LED: records each level with the simulated time.
#[derive(Debug, Clone)]
pub struct SimLed(pub SharedTrace);

impl ErrorType for SimLed {
    type Error = core::convert::Infallible;
}

impl OutputPin for SimLed {
    fn set_low(&mut self) -> Result<(), Self::Error> {
        let mut t = self.0.borrow_mut();
        let now = t.now_ns;
        t.led.push((now, false));
        Ok(())
    }

    fn set_high(&mut self) -> Result<(), Self::Error> {
        let mut t = self.0.borrow_mut();
        let now = t.now_ns;
        t.led.push((now, true));
        Ok(())
    }
}

/// The delay: advances the simulated clock.
#[derive(Debug, Clone)]
pub struct SimDelay(pub SharedTrace);

impl DelayNs for SimDelay {
    fn delay_ns(&mut self, ns: u32) {
        let mut t = self.0.borrow_mut();
        t.now_ns += u64::from(ns);
        t.delayed_ns += u64::from(ns);
    }
}

/// A NOR flash whose power fails once `budget` bytes have been written:
/// the write in progress stores only the bytes before the cut (a torn word
/// keeps its erased `0xFF` bytes after it), and every later operation fails
/// until the flash is taken out ([`PowerCut::into_inner`]) and mounted again,
/// as after a reboot. Without a budget it is a transparent wrapper that
/// counts bytes written.
#[derive(Debug)]
pub struct PowerCut<F> {
    flash: F,
    budget: Option<usize>,
    written: usize,
    cut: bool,
}

impl<F: NorFlash> PowerCut<F> {
    /// `flash`, with the power failing after `budget` bytes written
    /// (`None`: never).
    pub fn new(flash: F, budget: Option<usize>) -> Self {
        PowerCut {
            flash,
            budget,
            written: 0,
            cut: false,
        }
    }

    /// Bytes written so far (up to the cut).
    pub fn written(&self) -> usize {
        self.written
    }

    /// Whether the power has failed.
    pub fn is_cut(&self) -> bool {
        self.cut
    }

    /// The flash, as the power cut left it.
    pub fn into_inner(self) -> F {
        self.flash
    }

    fn alive(&self) -> Result<(), NorFlashErrorKind> {
        if self.cut {
            Err(NorFlashErrorKind::Other)
        } else {
            Ok(())
        }
    }
}

impl<F: NorFlash> nor_flash::ErrorType for PowerCut<F> {
    type Error = NorFlashErrorKind;
}

impl<F: NorFlash> ReadNorFlash for PowerCut<F> {
    const READ_SIZE: usize = F::READ_SIZE;

    fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.alive()?;
        self.flash.read(offset, bytes).map_err(|e| e.kind())
    }

    fn capacity(&self) -> usize {
        self.flash.capacity()
    }
}

impl<F: NorFlash> NorFlash for PowerCut<F> {
    const WRITE_SIZE: usize = F::WRITE_SIZE;
    const ERASE_SIZE: usize = F::ERASE_SIZE;

    fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        self.alive()?;
        self.flash.erase(from, to).map_err(|e| e.kind())
    }

    fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        self.alive()?;
        let left = self.budget.map_or(usize::MAX, |b| b - self.written.min(b));
        if bytes.len() <= left {
            self.flash.write(offset, bytes).map_err(|e| e.kind())?;
            self.written += bytes.len();
            return Ok(());
        }
        // The power fails `left` bytes into this write.
        let whole = left / F::WRITE_SIZE * F::WRITE_SIZE;
        if whole > 0 {
            self.flash
                .write(offset, &bytes[..whole])
                .map_err(|e| e.kind())?;
        }
        if left > whole {
            let mut word: Vec<u8> = bytes[whole..whole + F::WRITE_SIZE].to_vec();
            word[left - whole..].fill(0xFF);
            self.flash
                .write(offset + whole as u32, &word)
                .map_err(|e| e.kind())?;
        }
        self.written += left;
        self.cut = true;
        Err(NorFlashErrorKind::Other)
    }
}

/// The RAM and flash the digits job needs, each part `size_of` of the type
/// the firmware keeps in a `static`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// The network: `size_of::<Net>()`.
    pub network: usize,
    /// The trainer (gradients, Adam's moments, caches for a batch):
    /// `size_of::<DigitsTrainer>()`.
    pub trainer: usize,
    /// The staging rows `fit` reads samples into.
    pub staging: usize,
    /// The buffer a checkpoint is encoded into and read back from.
    pub checkpoint_buffer: usize,
    /// Room for the stack.
    pub stack: usize,
    /// The data set in flash.
    pub data_flash: usize,
    /// The two checkpoint slots in flash.
    pub slots_flash: usize,
}

impl Budget {
    /// The digits job's budget with `stack` bytes of stack.
    pub fn digits(stack: usize) -> Budget {
        Budget {
            network: size_of::<Net>(),
            trainer: size_of::<DigitsTrainer>(),
            staging: size_of::<FitBuffers<[f32; FEATURES], usize, { digits::BATCH }>>(),
            checkpoint_buffer: CHECKPOINT_LEN.next_multiple_of(WORD),
            stack,
            data_flash: DATA_FLASH,
            slots_flash: FLASH_LEN,
        }
    }

    /// RAM in all.
    pub fn ram(&self) -> usize {
        self.network + self.trainer + self.staging + self.checkpoint_buffer + self.stack
    }

    /// Flash in all (code not counted).
    pub fn flash(&self) -> usize {
        self.data_flash + self.slots_flash
    }

    /// "network 9,640 + trainer 31,792 + ...".
    pub fn ram_parts(&self) -> String {
        format!(
            "network {} + trainer {} + staging rows {} + checkpoint buffer {} + stack reserve {}",
            grouped(self.network),
            grouped(self.trainer),
            grouped(self.staging),
            grouped(self.checkpoint_buffer),
            grouped(self.stack)
        )
    }

    /// "data 116,805 + checkpoint slots 65,536".
    pub fn flash_parts(&self) -> String {
        format!(
            "data {} + checkpoint slots {}",
            grouped(self.data_flash),
            grouped(self.slots_flash)
        )
    }
}

/// The part the job runs on: a known MCU, or one with a given RAM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Its name.
    pub name: String,
    /// Bytes of RAM.
    pub ram: usize,
    /// Bytes of flash.
    pub flash: usize,
}

impl Part {
    /// The MCU named `name` (case-insensitive), from the footprint table.
    ///
    /// # Errors
    /// If no part has that name (the message lists them).
    pub fn named(name: &str) -> Result<Part> {
        let mcu = MCUS
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                anyhow!(
                    "no part named {name:?}; the parts are {}",
                    MCUS.iter()
                        .map(|m| m.name.to_lowercase())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        Ok(Part::from(mcu))
    }
}

impl From<&Mcu> for Part {
    fn from(m: &Mcu) -> Part {
        Part {
            name: m.name.to_string(),
            ram: m.ram,
            flash: m.flash,
        }
    }
}

/// The job does not fit the part: what a linker reports as a region
/// overflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoesNotFit {
    /// The part.
    pub part: Part,
    /// What the job needs.
    pub budget: Budget,
}

impl fmt::Display for DoesNotFit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (b, p) = (&self.budget, &self.part);
        write!(f, "the digits job does not fit the {}:", p.name)?;
        let mut sep = "";
        if b.ram() > p.ram {
            write!(
                f,
                " needs {} bytes of RAM, the part has {} (region RAM overflowed by {} bytes: {})",
                grouped(b.ram()),
                grouped(p.ram),
                grouped(b.ram() - p.ram),
                b.ram_parts()
            )?;
            sep = ";";
        }
        if b.flash() > p.flash {
            write!(
                f,
                "{sep} needs {} bytes of flash, the part has {} (region FLASH overflowed by {} bytes: {}; code not counted)",
                grouped(b.flash()),
                grouped(p.flash),
                grouped(b.flash() - p.flash),
                b.flash_parts()
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for DoesNotFit {}

/// Checks the job's budget against the part.
///
/// # Errors
/// [`DoesNotFit`] if the RAM or the flash overflows.
pub fn check_budget(part: &Part, budget: &Budget) -> Result<(), DoesNotFit> {
    if budget.ram() > part.ram || budget.flash() > part.flash {
        Err(DoesNotFit {
            part: part.clone(),
            budget: *budget,
        })
    } else {
        Ok(())
    }
}

/// The digits as the firmware's build script lays them out in flash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigitsBytes {
    /// Training pixels, row after row.
    pub train_pixels: Vec<u8>,
    /// Training labels.
    pub train_labels: Vec<u8>,
    /// Test pixels.
    pub test_pixels: Vec<u8>,
    /// Test labels.
    pub test_labels: Vec<u8>,
}

impl DigitsBytes {
    /// Reads `digits8x8.csv` from `data_dir`: pixels 0..=16 and labels
    /// 0..=9 as bytes, in the split order, training rows first.
    ///
    /// # Errors
    /// If the file is missing or malformed, has another number of rows, or
    /// a value is not a byte the firmware could store (the message names the
    /// place).
    pub fn load(data_dir: &Path) -> Result<DigitsBytes> {
        let table = load_csv(&data_dir.join("digits8x8.csv"), &LabelColumn::Last)?;
        if table.width != FEATURES || table.len() != digits::ROWS {
            bail!(
                "{}: {} rows of {} features; the digits job needs {} rows of {FEATURES}",
                table.source,
                table.len(),
                table.width,
                digits::ROWS
            );
        }
        let order = digits::split_order();
        let mut out = DigitsBytes {
            train_pixels: Vec::with_capacity(digits::TRAIN_ROWS * FEATURES),
            train_labels: Vec::with_capacity(digits::TRAIN_ROWS),
            test_pixels: Vec::with_capacity(digits::TEST_ROWS * FEATURES),
            test_labels: Vec::with_capacity(digits::TEST_ROWS),
        };
        for i in 0..digits::ROWS {
            let row = order.index(i);
            let (pixels, labels) = if i < digits::TRAIN_ROWS {
                (&mut out.train_pixels, &mut out.train_labels)
            } else {
                (&mut out.test_pixels, &mut out.test_labels)
            };
            for &v in &table.features[row * FEATURES..(row + 1) * FEATURES] {
                if !(v.fract() == 0.0 && (0.0..=16.0).contains(&v)) {
                    bail!("{}: pixel {v} is not in 0..=16", table.locate_row(row));
                }
                pixels.push(v as u8);
            }
            let label = table.labels[row];
            if !(label.fract() == 0.0 && (0.0..digits::CLASSES as f64).contains(&label)) {
                bail!("{}: label {label} is not a digit", table.locate_label(row));
            }
            labels.push(label as u8);
        }
        Ok(out)
    }

    /// The training set as the firmware reads it.
    ///
    /// # Errors
    /// If pixels and labels disagree in rows.
    pub fn train(&self) -> Result<digits::Data<'_>> {
        digits::Data::new(&self.train_pixels, &self.train_labels, digits::PIXEL_SCALE)
            .ok_or_else(|| anyhow!("training pixels and labels differ in rows"))
    }

    /// The test set as the firmware reads it.
    ///
    /// # Errors
    /// If pixels and labels disagree in rows.
    pub fn test(&self) -> Result<digits::Data<'_>> {
        digits::Data::new(&self.test_pixels, &self.test_labels, digits::PIXEL_SCALE)
            .ok_or_else(|| anyhow!("test pixels and labels differ in rows"))
    }
}

/// The job's configuration for `epochs` epochs per boot: the firmware's
/// [`digits::CONFIG`], with the cosine decay stretched over `epochs` when
/// that differs from [`digits::EPOCHS`].
pub fn job_config(epochs: u32) -> FitConfig<DigitsSchedule, [f32; FEATURES]> {
    let mut config = digits::CONFIG;
    if epochs != digits::EPOCHS {
        config.stopping = Stopping::epochs(epochs);
        if let LrSchedule::Cosine { initial, last, .. } = config.schedule.inner {
            let total = epochs.saturating_mul(digits::STEPS_PER_EPOCH);
            config.schedule.inner = LrSchedule::Cosine {
                initial,
                last,
                period: total.saturating_sub(config.schedule.steps + 1).max(1),
            };
        }
    }
    config
}

/// What `simulate` is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimOptions {
    /// The part.
    pub part: Part,
    /// Bytes of stack to reserve.
    pub stack: usize,
    /// Epochs per boot.
    pub epochs: u32,
    /// Boots: each resumes from the newest checkpoint, trains and saves.
    pub boots: u32,
    /// Cut the power after this many bytes written to flash during the last
    /// boot's save.
    pub power_cut_after: Option<usize>,
    /// Pause after each epoch's LED toggle, in microseconds.
    pub pause_us: u32,
    /// Directory of `digits8x8.csv`.
    pub data_dir: PathBuf,
    /// Keep the simulated flash in this file across runs.
    pub flash_image: Option<PathBuf>,
    /// Print every epoch (otherwise the first, every fifth and the last).
    pub every_epoch: bool,
}

impl SimOptions {
    /// The firmware's job on `part`: one boot of [`digits::EPOCHS`] epochs,
    /// 100 ms pauses, no power cut.
    pub fn new(part: Part) -> Self {
        SimOptions {
            part,
            stack: DEFAULT_STACK,
            epochs: digits::EPOCHS,
            boots: 1,
            power_cut_after: None,
            pause_us: 100_000,
            data_dir: crate::bundled_data_dir(),
            flash_image: None,
            every_epoch: false,
        }
    }
}

/// How a boot's checkpoint save ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// Written, read back and committed.
    Committed(SlotInfo),
    /// The power failed after `written` bytes (of `bytes` checkpoint bytes
    /// plus the slot header).
    PowerCut {
        /// Bytes written before the cut.
        written: usize,
        /// Bytes of the checkpoint.
        bytes: usize,
    },
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

/// What the flash held after the power cut, on the next boot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recovery {
    /// The newest valid checkpoint (`None`: the flash holds none).
    pub latest: Option<SlotInfo>,
    /// Whether it is byte for byte the last checkpoint committed before
    /// the cut.
    pub identical: bool,
    /// Its optimizer step.
    pub step: u32,
    /// The test accuracy of the network it holds.
    pub test_accuracy: Option<f32>,
}

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
/// [`DoesNotFit`] (before anything runs) if the job's RAM or flash exceeds
/// the part's; otherwise if the data can't be loaded, training fails, or
/// the flash store fails other than by the injected power cut.
pub fn simulate(options: &SimOptions, out: &mut dyn Write) -> Result<SimReport> {
    let budget = Budget::digits(options.stack);
    let part = &options.part;
    check_budget(part, &budget)?;
    if options.boots == 0 || options.epochs == 0 {
        bail!("--boots and --epochs must be at least 1");
    }
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

    let data = DigitsBytes::load(&options.data_dir)?;
    let (train, test) = (data.train()?, data.test()?);
    let config = job_config(options.epochs);

    let mut flash = Box::new(SimFlash::new());
    if let Some(path) = options.flash_image.as_ref().filter(|p| p.exists()) {
        let image =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        if image.len() != FLASH_LEN {
            bail!(
                "{}: {} bytes, but the simulated flash has {}",
                path.display(),
                image.len(),
                FLASH_LEN
            );
        }
        flash.as_bytes_mut().copy_from_slice(&image);
        writeln!(out, "flash image: {}", path.display())?;
    }

    let trace: SharedTrace = Rc::default();
    // The device's statics.
    let mut ws = Box::new(digits::workspace());
    let mut blob = vec![0u8; budget.checkpoint_buffer];
    // The last checkpoint committed, to compare with what survives a cut.
    let mut last_committed: Option<Vec<u8>> = None;
    let mut boots = Vec::new();
    let mut recovery = None;

    for boot in 1..=options.boots {
        let cut = options.power_cut_after.filter(|_| boot == options.boots);
        let mut store = mount(&mut flash, cut)?;
        writeln!(out, "\nboot {boot}:")?;
        ws.net = <Net as microprop::Layer>::ZERO;
        ws.trainer = digits::trainer();
        let resumed = resume(&mut store, &mut ws.net, &mut ws.trainer, &mut blob, out)?;
        if resumed.is_none() {
            digits::init(&mut ws.net);
        }

        let mut board = Board {
            led: SimLed(trace.clone()),
            delay: SimDelay(trace.clone()),
            epoch_pause_us: options.pause_us,
        };
        let mut log = EpochLog {
            trace: trace.clone(),
            out: &mut *out,
            every_epoch: options.every_epoch,
            max_epochs: config.stopping.max_epochs,
        };
        let summary = run(
            &mut ws,
            &train,
            &test,
            &config,
            &mut board,
            &mut |e: &Event| log.log(e),
        )
        .map_err(|e| anyhow!("{e}"))?;
        let correct =
            (f64::from(summary.test_accuracy().unwrap_or(0.0)) * digits::TEST_ROWS as f64).round();
        let floor = digits::TEST_ACCURACY_FLOOR;
        writeln!(
            out,
            "{}: test accuracy {:.4} ({correct} of {} rows) {} the firmware's floor {floor}",
            if summary.test_accuracy().unwrap_or(0.0) >= floor {
                "PASS"
            } else {
                "FAIL"
            },
            summary.test_accuracy().unwrap_or(0.0),
            digits::TEST_ROWS,
            if summary.test_accuracy().unwrap_or(0.0) >= floor {
                ">="
            } else {
                "<"
            },
        )?;

        let len = checkpoint::save_training(&ws.net, &ws.trainer, &mut blob)
            .map_err(|e| anyhow!("encoding the checkpoint: {e}"))?;
        let saved = match store.save(&blob[..len]) {
            Ok(_) => {
                let info = store
                    .latest()
                    .map_err(|e| anyhow!("flash: {e}"))?
                    .ok_or_else(|| {
                        anyhow!("flash: the checkpoint just saved does not read back")
                    })?;
                writeln!(
                    out,
                    "checkpoint: sequence {} in slot {}: {} bytes (parameters, Adam's moments, step {}), read back and committed",
                    info.seq,
                    info.slot,
                    grouped(len),
                    ws.trainer.steps()
                )?;
                last_committed = Some(blob[..len].to_vec());
                Saved::Committed(info)
            }
            Err(StoreError::Flash(_)) if store.flash().is_cut() => {
                let written = store.flash().written();
                writeln!(
                    out,
                    "checkpoint: POWER CUT after {} bytes written (checkpoint {} bytes + header {}): the save never committed",
                    grouped(written),
                    grouped(len),
                    checkpoint::store::HEADER_LEN
                )?;
                Saved::PowerCut {
                    written,
                    bytes: len,
                }
            }
            Err(e) => bail!("flash: {e}"),
        };
        boots.push(BootReport {
            boot,
            resumed,
            summary,
            saved,
        });

        if let Saved::PowerCut { .. } = saved {
            writeln!(out, "\nreboot after the power cut:")?;
            let mut store = mount(&mut flash, None)?;
            recovery = Some(recover(
                &mut store,
                last_committed.as_deref(),
                &test,
                &config,
                &mut blob,
                out,
            )?);
        }
    }

    let trace = trace.borrow().clone();
    let toggles = trace.led.len().saturating_sub(boots.len());
    writeln!(
        out,
        "\nLED: driven {} times ({} toggle{}, one per epoch, after driving it low at each boot); simulated time {:.3} s, all of it the loop's pauses of {} ms after each toggle",
        trace.led.len(),
        toggles,
        if toggles == 1 { "" } else { "s" },
        trace.now_ns as f64 / 1e9,
        options.pause_us as f64 / 1000.0
    )?;
    if let Some(path) = &options.flash_image {
        crate::checkpoints::write_atomic(path, flash.as_bytes())?;
        writeln!(out, "flash image saved to {}", path.display())?;
    }
    Ok(SimReport {
        budget,
        boots,
        recovery,
        trace,
    })
}

/// The store after a power cut, as the next boot sees it: the newest valid
/// checkpoint, whether it is the last one committed, and how its network
/// scores on the test set.
fn recover(
    store: &mut Store<PowerCut<&mut SimFlash>>,
    last_committed: Option<&[u8]>,
    test: &digits::Data<'_>,
    config: &FitConfig<DigitsSchedule, [f32; FEATURES]>,
    blob: &mut [u8],
    out: &mut dyn Write,
) -> Result<Recovery> {
    let found = store.load_latest(blob).map_err(|e| anyhow!("flash: {e}"))?;
    let latest = store.latest().map_err(|e| anyhow!("flash: {e}"))?;
    let Some((seq, len)) = found else {
        writeln!(
            out,
            "the flash holds no valid checkpoint (none was committed before the cut): the device starts from scratch"
        )?;
        return Ok(Recovery {
            latest: None,
            identical: last_committed.is_none(),
            step: 0,
            test_accuracy: None,
        });
    };
    let mut ws = Box::new(digits::workspace());
    let blob = &blob[..len];
    checkpoint::load_training(&mut ws.net, &mut ws.trainer, blob)
        .map_err(|e| anyhow!("the surviving checkpoint does not load: {e}"))?;
    let identical = last_committed == Some(blob);
    let stats = ws
        .evaluate(test, config.normalizer.as_ref())
        .map_err(|e| anyhow!("{e}"))?;
    writeln!(
        out,
        "newest valid checkpoint: sequence {seq}{} (step {}): {}; its test accuracy {:.4}",
        latest.map_or(String::new(), |i| format!(" in slot {}", i.slot)),
        ws.trainer.steps(),
        if identical {
            "the previous checkpoint survived, byte for byte"
        } else {
            "NOT the checkpoint committed last"
        },
        stats.accuracy().unwrap_or(0.0)
    )?;
    Ok(Recovery {
        latest,
        identical,
        step: ws.trainer.steps(),
        test_accuracy: stats.accuracy(),
    })
}

/// The two-slot store over the simulated flash.
fn mount(
    flash: &mut SimFlash,
    power_cut_after: Option<usize>,
) -> Result<Store<PowerCut<&mut SimFlash>>> {
    Store::new(
        PowerCut::new(flash, power_cut_after),
        0..SLOT as u32,
        SLOT as u32..FLASH_LEN as u32,
    )
    .map_err(|e| anyhow!("flash: {e}"))
}

/// Loads the newest valid checkpoint into the network and the trainer, if
/// there is one; returns its slot and step.
fn resume(
    store: &mut Store<PowerCut<&mut SimFlash>>,
    net: &mut Net,
    trainer: &mut DigitsTrainer,
    blob: &mut [u8],
    out: &mut dyn Write,
) -> Result<Option<(SlotInfo, u32)>> {
    let Some((_, len)) = store.load_latest(blob).map_err(|e| anyhow!("flash: {e}"))? else {
        writeln!(
            out,
            "flash holds no checkpoint: Xavier weights from seed {}",
            digits::INIT_SEED
        )?;
        return Ok(None);
    };
    let info = store
        .latest()
        .map_err(|e| anyhow!("flash: {e}"))?
        .ok_or_else(|| anyhow!("flash: the checkpoint just read is gone"))?;
    match checkpoint::load_training(net, trainer, &blob[..len]) {
        Ok(()) => {
            writeln!(
                out,
                "resumed from checkpoint sequence {} in slot {} (step {})",
                info.seq,
                info.slot,
                trainer.steps()
            )?;
            Ok(Some((info, trainer.steps())))
        }
        Err(e) => {
            writeln!(
                out,
                "checkpoint sequence {} does not load ({e}): Xavier weights from seed {}",
                info.seq,
                digits::INIT_SEED
            )?;
            Ok(None)
        }
    }
}

/// Prints the loop's events with the LED and the simulated time.
struct EpochLog<'a> {
    trace: SharedTrace,
    out: &'a mut dyn Write,
    every_epoch: bool,
    max_epochs: u32,
}

impl EpochLog<'_> {
    fn log(&mut self, event: &Event) {
        let (led, now) = {
            let t = self.trace.borrow();
            (t.led.last().is_some_and(|&(_, high)| high), t.now_ns)
        };
        let _ = match event {
            Event::Start(s) => writeln!(
                self.out,
                "training on {} rows ({} held out): {} epochs of {} steps; LED low at t = {:.3} s",
                s.train_rows,
                s.test_rows,
                s.max_epochs,
                s.steps_per_epoch,
                now as f64 / 1e9
            ),
            Event::Epoch(r) => {
                let n = r.epoch + 1;
                if self.every_epoch || n == 1 || n % 5 == 0 || n == self.max_epochs {
                    writeln!(
                        self.out,
                        "epoch {n:>3}: loss {:.4}, train accuracy {:.4}, lr {:.2e}; LED {} at t = {:.3} s",
                        r.stats.mean_loss(),
                        r.stats.accuracy().unwrap_or(0.0),
                        r.last_step.learning_rate,
                        if led { "on " } else { "off" },
                        now as f64 / 1e9
                    )
                } else {
                    Ok(())
                }
            }
            Event::Trained(r) => writeln!(
                self.out,
                "trained: {} epochs, {} steps, stopped by {:?}",
                r.epochs, r.iterations, r.reason
            ),
            Event::Finished(s) => writeln!(
                self.out,
                "final loss {:.4}; train accuracy {:.4} (loss {:.4}), test accuracy {:.4} (loss {:.4})",
                s.final_loss(),
                s.train_accuracy().unwrap_or(0.0),
                s.train.mean_loss(),
                s.test_accuracy().unwrap_or(0.0),
                s.test.mean_loss()
            ),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use microprop_device::digits::Net;

    fn quiet(options: &SimOptions) -> Result<SimReport> {
        simulate(options, &mut std::io::sink())
    }

    #[test]
    fn the_budget_is_size_of_the_statics_and_a_small_part_refuses() {
        let b = Budget::digits(DEFAULT_STACK);
        assert_eq!(
            b.network + b.trainer,
            DigitsTrainer::MEMORY.total,
            "network + trainer = the core's MemoryReport total"
        );
        assert_eq!(b.network, size_of::<Net>());
        assert!(CHECKPOINT_LEN <= b.checkpoint_buffer && SLOT >= CHECKPOINT_LEN + 20);
        let mut options = SimOptions::new(Part::named("stm32f103").unwrap());
        options.epochs = 1;
        let err = quiet(&options).unwrap_err();
        let fit = err.downcast_ref::<DoesNotFit>().expect("a budget error");
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
        assert!(
            Part::named("z80")
                .unwrap_err()
                .to_string()
                .contains("nrf52840")
        );
    }

    #[test]
    fn the_job_config_is_the_firmwares_for_its_epoch_count() {
        assert_eq!(job_config(digits::EPOCHS).stopping, digits::CONFIG.stopping);
        let c = job_config(2);
        assert_eq!(c.stopping.max_epochs, 2);
        match c.schedule.inner {
            LrSchedule::Cosine { period, .. } => {
                assert_eq!(
                    period,
                    2 * digits::STEPS_PER_EPOCH - digits::WARMUP_STEPS - 1
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn power_cut_mid_save_keeps_the_previous_checkpoint() {
        let mut options = SimOptions::new(Part::named("nrf52840").unwrap());
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
                bytes: CHECKPOINT_LEN
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

    #[test]
    fn power_cut_at_every_stage_of_a_save() {
        // 0: before the first byte; 20: inside the blob; len: the blob
        // complete but no header; len + 7: a torn header.
        for cut in [0, 20, CHECKPOINT_LEN, CHECKPOINT_LEN + 7] {
            let mut flash = Box::new(SimFlash::new());
            let mut store = mount(&mut flash, None).unwrap();
            store.save(b"the previous checkpoint").unwrap();
            let mut store = mount(&mut flash, Some(cut)).unwrap();
            let blob = vec![0x5A; CHECKPOINT_LEN];
            assert!(store.save(&blob).is_err(), "cut {cut}");
            assert_eq!(store.flash().written(), cut);
            let mut store = mount(&mut flash, None).unwrap();
            let mut buf = vec![0; CHECKPOINT_LEN];
            let (seq, len) = store.load_latest(&mut buf).unwrap().unwrap();
            assert_eq!(
                (seq, &buf[..len]),
                (1, &b"the previous checkpoint"[..]),
                "cut {cut}"
            );
        }
    }
}
