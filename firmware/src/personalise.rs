//! The personalisation job (`microprop_device::digits::personalise`),
//! written once for every board: a binary brings one mode's network,
//! trainer and staging rows as `static`s and its board's LED; [`run`]
//! measures the pretrained model on the new user's slanted digits and on
//! the digits as written, fine-tunes (LED toggled after every pass),
//! measures again, saves the fine-tuned network through the two-slot
//! checkpoint store and reads it back into the network, and logs what
//! `firmware/personalise.py` and the host-vs-QEMU test read:
//!
//! ```text
//! personalise <mode>: RAM <bytes> B, model in flash <bytes> B
//! personalise <mode> before: new <n> of 160, old <n> of 160
//! bench personalise-<mode> step: <count> instructions / <steps> samples
//! personalise <mode> after: new <n> of 160, old <n> of 160
//! digest personalise-<mode>: crc32 0x… n … first […] last […]
//! checkpoint: <bytes> B saved to flash as sequence 1, reloaded bit for bit
//! ```
//!
//! The store's flash is RAM-backed NOR flash (4-byte words, 4 KiB sectors;
//! QEMU's mps2 has no writable flash), the static `NOR_FLASH`, which
//! `personalise.py` leaves out of the binary's RAM.

use embedded_hal::digital::OutputPin;
use microprop::checkpoint::{self, RamFlash, store as slots};
use microprop::{AcceptsActivation, Layer, SoftmaxCrossEntropy};
use microprop_device::crosscheck::digest;
use microprop_device::digits::personalise::{
    self, Accuracy, Batch, EVAL_ROWS, FineTuner, Mode, Split,
};
use microprop_device::digits::{CLASSES, FEATURES};

use crate::app::log_digest;
use crate::store::{self, SECTOR};
use crate::{self as fw, clock, data};

/// Bytes of one checkpoint slot for network `N`: the store's header and a
/// checkpoint of `N`, in whole sectors.
pub const fn slot_len<N: Layer>() -> usize {
    (checkpoint::params_len::<N>() + slots::HEADER_LEN).div_ceil(SECTOR) * SECTOR
}

/// Bytes of the buffer a checkpoint of `N` is written into (whole flash
/// words).
pub const fn blob_len<N: Layer>() -> usize {
    checkpoint::params_len::<N>().div_ceil(4) * 4
}

/// Saves `net` through the two-slot store, zeroes the network, loads the
/// newest slot back into it and checks that every parameter came back bit
/// for bit (the flash weights of a `Flash` layer are checked against the
/// checkpoint's CRC of them). `false` (logged) on any failure.
fn save_and_reload<N: Layer, const F: usize>(
    net: &mut N,
    flash: &mut RamFlash<F, 4, SECTOR>,
    blob: &mut [u8],
) -> bool {
    let before = digest(net);
    let Some((len, seq)) = store::save(net, flash, blob) else {
        return false;
    };
    *net = N::ZERO;
    store::reload(net, flash, blob, seq) && store::report(len, seq, digest(net) == before)
}

fn log_accuracy(mode: Mode, when: &str, a: &Accuracy) {
    defmt::info!(
        "personalise {=str} {=str}: new {=u32} of {=usize}, old {=u32} of {=usize}",
        mode.name(),
        when,
        a.new,
        EVAL_ROWS,
        a.old,
        EVAL_ROWS
    );
}

/// Runs `mode` on `net` (the mode's pretrained network) and exits: 0 if
/// fine-tuning gained at least `personalise::MIN_NEW_GAIN` digits of the new
/// user's and lost at most `personalise::MAX_OLD_LOSS` of the others.
///
/// `flash` (two slots of [`slot_len`]) and `blob` ([`blob_len`]) hold the
/// checkpoint of the fine-tuned network.
pub fn run<N: Layer<Input = [f32; FEATURES], Output = [f32; CLASSES]>, const F: usize>(
    mode: Mode,
    net: &mut N,
    trainer: &mut FineTuner<N>,
    batch: &mut Batch,
    checkpoint: (&mut RamFlash<F, 4, SECTOR>, &mut [u8]),
    mut led: impl OutputPin,
) -> !
where
    SoftmaxCrossEntropy: AcceptsActivation<N::OutputActivation>,
{
    defmt::info!(
        "personalise {=str}: RAM {=usize} B, model in flash {=usize} B",
        mode.name(),
        mode.ram(),
        mode.model_flash()
    );
    let Some(split) = Split::new(&data::TRAIN, &data::TEST) else {
        defmt::error!("FAIL: the digits in flash are too few for the job");
        fw::exit(fw::EXIT_TRAINING_ERROR)
    };
    let result = personalise::accuracy(net, &split).and_then(|before| {
        log_accuracy(mode, "before", &before);
        let mut lit = false;
        let start = clock::now();
        let steps = personalise::fine_tune(net, trainer, batch, &split, &mut |_| {
            lit = !lit;
            // A status LED that cannot be driven does not stop the job.
            let _ = if lit { led.set_high() } else { led.set_low() };
        })?;
        let spent = clock::now() - start;
        defmt::info!(
            "bench personalise-{=str} step: {=u64} {=str} / {=u32} samples",
            mode.name(),
            spent,
            clock::UNIT,
            steps
        );
        let after = personalise::accuracy(net, &split)?;
        log_accuracy(mode, "after", &after);
        Ok(personalise::Outcome {
            mode,
            before,
            after,
            steps,
        })
    });
    match mode {
        Mode::Full => log_digest("personalise-full", &digest(net)),
        Mode::Head => log_digest("personalise-head-only", &digest(net)),
        Mode::Bias => log_digest("personalise-bias-only", &digest(net)),
        Mode::Int8 => log_digest("personalise-int8-backbone", &digest(net)),
    }
    let (flash, blob) = checkpoint;
    let kept = result.is_ok() && save_and_reload(net, flash, blob);
    defmt::info!(
        "stack high-water {=usize} of {=usize} B",
        fw::stack_high_water(),
        fw::stack_capacity()
    );
    match result {
        Ok(_) if !kept => fw::exit(fw::EXIT_TRAINING_ERROR),
        Ok(outcome) if outcome.personalised() => {
            defmt::info!(
                "PASS: {=str} fine-tuning gained >= {=u32} new-user digits and lost <= {=u32} others",
                mode.name(),
                personalise::MIN_NEW_GAIN,
                personalise::MAX_OLD_LOSS
            );
            fw::exit(fw::EXIT_OK)
        }
        Ok(_) => {
            defmt::error!(
                "FAIL: {=str} fine-tuning did not personalise the model",
                mode.name()
            );
            fw::exit(fw::EXIT_BELOW_FLOOR)
        }
        Err(e) => {
            defmt::error!("FAIL: {}", e);
            fw::exit(fw::EXIT_TRAINING_ERROR)
        }
    }
}

/// The whole program of a personalisation binary: the mode's network
/// (`microprop_device::digits::personalise::<net>`, starting as the
/// constant `<start>`), its trainer and staging rows in `static`s, and a
/// `#[entry]` that takes the board's LED with `<take the led>` (an
/// `Option`) and calls [`run`]; and the checkpoint store's flash and
/// buffer.
///
/// ```ignore
/// microprop_firmware::personalise_main!(Head, HeadNet = HEAD, Mps2::take().map(|b| b.led));
/// ```
#[macro_export]
macro_rules! personalise_main {
    ($mode:ident, $net:ident = $start:ident, $led:expr) => {
        use microprop_device::digits::personalise as job;
        static NET: ::static_cell::ConstStaticCell<job::$net> =
            ::static_cell::ConstStaticCell::new(job::$start);
        static TRAINER: ::static_cell::ConstStaticCell<job::FineTuner<job::$net>> =
            ::static_cell::ConstStaticCell::new(job::fine_tuner());
        static BATCH: ::static_cell::ConstStaticCell<job::Batch> =
            ::static_cell::ConstStaticCell::new(job::Batch::new());
        // The checkpoint store: two slots of RAM-backed NOR flash, and the
        // buffer a checkpoint is written into.
        const SLOT: usize = $crate::personalise::slot_len::<job::$net>();
        static NOR_FLASH: ::static_cell::ConstStaticCell<
            ::microprop::checkpoint::RamFlash<{ 2 * SLOT }, 4, { $crate::store::SECTOR }>,
        > = ::static_cell::ConstStaticCell::new(::microprop::checkpoint::RamFlash::new());
        static BLOB: ::static_cell::ConstStaticCell<
            [u8; $crate::personalise::blob_len::<job::$net>()],
        > = ::static_cell::ConstStaticCell::new([0; $crate::personalise::blob_len::<job::$net>()]);

        #[::cortex_m_rt::entry]
        fn main() -> ! {
            let Some(led) = $led else {
                ::defmt::error!("peripherals taken twice");
                $crate::exit($crate::EXIT_TRAINING_ERROR)
            };
            $crate::personalise::run(
                job::Mode::$mode,
                NET.take(),
                TRAINER.take(),
                BATCH.take(),
                (NOR_FLASH.take(), BLOB.take()),
                led,
            )
        }
    };
}
