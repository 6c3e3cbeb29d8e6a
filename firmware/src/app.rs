//! The applications, written once for every board: each takes the board's
//! LED and delay (embedded-hal 1.0), keeps every buffer in a `static`, logs
//! over defmt and ends with [`exit`](crate::exit).

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::OutputPin;
use microprop::checkpoint::{self, RamFlash};
use microprop::{Adam, Layer};
use microprop_device::crosscheck::{Digest, digest};
use microprop_device::digits::online::{self, OnlineEvent, PhaseEnd};
use microprop_device::digits::{self, DigitsTrainer, DigitsWorkspace, Net};
use microprop_device::{Board, run};
use static_cell::ConstStaticCell;

use crate::log::DefmtLog;
use crate::{self as fw, clock, data, store};

/// Logs `digest <name>: crc32 0x… n N first [0x…, …] last [0x…, …]`, the
/// text of `Digest`'s `Display` on the host, which the host-vs-QEMU test
/// looks for.
pub fn log_digest(name: &str, d: &Digest) {
    let [f0, f1, f2, f3] = d.first;
    let [l0, l1, l2, l3] = d.last;
    defmt::info!(
        "digest {=str}: crc32 {=u32:#010x} n {=u32} first [{=u32:#010x}, {=u32:#010x}, {=u32:#010x}, {=u32:#010x}] last [{=u32:#010x}, {=u32:#010x}, {=u32:#010x}, {=u32:#010x}]",
        name,
        d.crc32,
        d.count,
        f0,
        f1,
        f2,
        f3,
        l0,
        l1,
        l2,
        l3
    );
}

// The digits job's network, trainer and staging rows. `Workspace::ZEROED`
// is all zeros (an all-zero `Adam` included), so the static lands in
// `.bss` (no image of zeros in flash for `.data`); `digits_job` sets the
// real hyperparameters.
static WORKSPACE: ConstStaticCell<DigitsWorkspace> = ConstStaticCell::new(DigitsWorkspace::ZEROED);

// The checkpoint round trip at the end of the digits job: two 12 KiB slots
// of RAM-backed NOR flash (4-byte words, 4 KiB sectors; under QEMU there is
// no writable flash), a blob buffer and a second network to load into.
const SLOT: usize = 12 * 1024;
const BLOB_LEN: usize = checkpoint::params_len::<Net>().div_ceil(4) * 4;
static FLASH: ConstStaticCell<RamFlash<{ 2 * SLOT }, 4, { store::SECTOR }>> =
    ConstStaticCell::new(RamFlash::new());
static BLOB: ConstStaticCell<[u8; BLOB_LEN]> = ConstStaticCell::new([0; BLOB_LEN]);
static RELOADED: ConstStaticCell<Net> = ConstStaticCell::new(Net::ZERO);

/// Saves `net` through the two-slot checkpoint store, reads the newest slot
/// back into a second network and checks that every weight came back bit for
/// bit. Logs what happened; `false` on any failure.
fn checkpoint_round_trip(net: &Net) -> bool {
    let (flash, blob, reloaded) = (FLASH.take(), BLOB.take(), RELOADED.take());
    let Some((len, seq)) = store::save(net, flash, blob) else {
        return false;
    };
    store::reload(reloaded, flash, blob, seq)
        && store::report(len, seq, digest(&*reloaded) == digest(net))
}

/// The digits job: trains the 64-32-10 classifier on the 1437 training
/// digits in flash (`microprop_device::digits`: Adam, warmup + cosine,
/// batches of 16, 20 epochs), toggles the LED every epoch, logs each epoch,
/// evaluates on the 360 held-out digits, logs the digest of all final
/// weights and exits 0 only if the test accuracy reaches
/// `digits::TEST_ACCURACY_FLOOR`.
pub fn digits_job<Led: OutputPin, Delay: DelayNs>(led: Led, delay: Delay) -> ! {
    let ws = WORKSPACE.take();
    ws.trainer.optimizer = digits::OPTIMIZER;
    digits::init(&mut ws.net);

    let memory = DigitsTrainer::MEMORY;
    defmt::info!(
        "digits 64-32-10 tanh, softmax + cross-entropy, Adam, batch {=usize}; RAM: parameters {=usize} B, gradients {=usize} B, Adam state {=usize} B, caches {=usize} B, total {=usize} B",
        digits::BATCH,
        memory.parameters,
        memory.gradients,
        memory.optimizer_state,
        memory.caches,
        memory.total
    );

    let mut log = DefmtLog::new();
    let result = run(
        ws,
        &data::TRAIN,
        &data::TEST,
        &digits::CONFIG,
        &mut Board::new(led, delay),
        &mut log,
    );
    let spent = log.spent();
    defmt::info!(
        "{=u64} M {=str} in all; stack high-water {=usize} of {=usize} B",
        spent / 1_000_000,
        clock::UNIT,
        fw::stack_high_water(),
        fw::stack_capacity(),
    );
    log_digest("digits-job", &digest(&ws.net));
    if !checkpoint_round_trip(&ws.net) {
        fw::exit(fw::EXIT_TRAINING_ERROR)
    }
    match result {
        Ok(summary) => {
            let accuracy = summary.test_accuracy().unwrap_or(0.0);
            if accuracy >= digits::TEST_ACCURACY_FLOOR {
                defmt::info!(
                    "PASS: test accuracy {=f32} >= floor {=f32}",
                    accuracy,
                    digits::TEST_ACCURACY_FLOOR
                );
                fw::exit(fw::EXIT_OK)
            } else {
                defmt::error!(
                    "FAIL: test accuracy {=f32} < floor {=f32}",
                    accuracy,
                    digits::TEST_ACCURACY_FLOOR
                );
                fw::exit(fw::EXIT_BELOW_FLOOR)
            }
        }
        Err(e) => {
            defmt::error!("FAIL: {}", e);
            fw::exit(fw::EXIT_TRAINING_ERROR)
        }
    }
}

static ONLINE_NET: ConstStaticCell<Net> = ConstStaticCell::new(Net::ZERO);
static ONLINE_TRAINER: ConstStaticCell<online::OnlineTrainer> =
    ConstStaticCell::new(online::trainer());
static ONLINE_BATCH: ConstStaticCell<online::Batch> = ConstStaticCell::new(online::Batch::new());
static REPLAY: ConstStaticCell<online::Replay> = ConstStaticCell::new(online::Replay::new(0));

/// The online-learning job (`microprop_device::digits::online`): the
/// shifting stream (0–4, then 5–9, then all) once without and once with
/// replay, logging the running (prequential) accuracy and the test accuracy
/// per class group after each phase; exits 0 only if the run without replay
/// forgot 0–4 and the run with replay kept them.
pub fn online_job<Led: OutputPin, Delay: DelayNs>(led: Led, delay: Delay) -> ! {
    let net = ONLINE_NET.take();
    let trainer = ONLINE_TRAINER.take();
    let batch = ONLINE_BATCH.take();
    let replay = REPLAY.take();
    let mut board = Board::new(led, delay);
    defmt::info!(
        "online learning, 64-32-10, SGD lr {=f32}: phases of {=u32} samples (0-4, 5-9, all); replay: {=usize} replayed per step from a reservoir of {=usize} samples ({=usize} B)",
        online::LEARNING_RATE,
        online::PHASE_SAMPLES,
        online::REPLAYED_PER_STEP,
        online::REPLAY,
        core::mem::size_of::<online::Replay>()
    );
    let mut results = [[None::<PhaseEnd>; 3]; 2];
    for (with_replay, name, result) in [(false, "no replay", 0), (true, "replay", 1)] {
        let start = clock::now();
        let ends = online::run(
            net,
            trainer,
            batch,
            replay,
            &data::TRAIN,
            &data::TEST,
            with_replay,
            &mut board,
            &mut |event: &OnlineEvent| match event {
                OnlineEvent::Window { phase, report } => defmt::info!(
                    "{=str}: phase {=u8}, {=u32} samples: running accuracy {=f32} (last {=u32}), loss {=f32}, replay buffer {=u32}",
                    name,
                    phase + 1,
                    report.total_samples,
                    report.window.accuracy().unwrap_or(0.0),
                    report.window.samples,
                    report.window.mean_loss(),
                    report.replay_len
                ),
                OnlineEvent::PhaseEnd(end) => defmt::info!(
                    "{=str}: after phase {=u8}: test accuracy 0-4 {=f32}, 5-9 {=f32}, all {=f32}",
                    name,
                    end.phase + 1,
                    end.low(),
                    end.high(),
                    end.all()
                ),
            },
        );
        let ends = match ends {
            Ok(ends) => ends,
            Err(e) => {
                defmt::error!("FAIL: {}", e);
                fw::exit(fw::EXIT_TRAINING_ERROR)
            }
        };
        defmt::info!(
            "{=str}: {=u64} M {=str}",
            name,
            (clock::now() - start) / 1_000_000,
            clock::UNIT
        );
        log_digest(
            if with_replay {
                "online-replay"
            } else {
                "online-no-replay"
            },
            &digest(&*net),
        );
        if let Some(slot) = results.get_mut(result) {
            *slot = ends.map(Some);
        }
    }
    defmt::info!("test accuracy after each phase, without replay -> with replay:");
    let [plain, replayed] = results;
    for (p, r) in plain.iter().zip(&replayed) {
        if let (Some(p), Some(r)) = (p, r) {
            defmt::info!(
                "  phase {=u8}: 0-4 {=f32} -> {=f32}, 5-9 {=f32} -> {=f32}, all {=f32} -> {=f32}",
                p.phase + 1,
                p.low(),
                r.low(),
                p.high(),
                r.high(),
                p.all(),
                r.all()
            );
        }
    }
    defmt::info!(
        "stack high-water {=usize} of {=usize} B",
        fw::stack_high_water(),
        fw::stack_capacity()
    );
    let helped = match (plain, replayed) {
        ([Some(a), Some(b), Some(c)], [Some(d), Some(e), Some(f)]) => {
            online::replay_helped(&[a, b, c], &[d, e, f])
        }
        _ => false,
    };
    if helped {
        defmt::info!(
            "PASS: without replay 0-4 fell below {=f32} after phase 2; with replay it stayed >= {=f32} and the final accuracy >= {=f32}",
            online::FORGOTTEN_CEILING,
            online::RETAINED_FLOOR,
            online::FINAL_FLOOR
        );
        fw::exit(fw::EXIT_OK)
    } else {
        defmt::error!("FAIL: the runs do not show forgetting without replay and retention with it");
        fw::exit(fw::EXIT_BELOW_FLOOR)
    }
}

static XOR_NET: ConstStaticCell<microprop_device::workloads::XorNet> =
    ConstStaticCell::new(microprop_device::workloads::XorNet::ZERO);
static XOR_TRAINER: ConstStaticCell<microprop_device::workloads::XorTrainer> =
    ConstStaticCell::new(microprop_device::workloads::xor_trainer());
static CHECK_NET: ConstStaticCell<Net> = ConstStaticCell::new(Net::ZERO);
static SGD_TRAINER: ConstStaticCell<microprop_device::workloads::DigitsSgdTrainer> =
    ConstStaticCell::new(microprop_device::workloads::digits_sgd_trainer());
// All zeros, in `.bss`; `crosscheck` sets Adam's hyperparameters.
static ADAM_TRAINER: ConstStaticCell<microprop_device::workloads::DigitsAdamTrainer> =
    ConstStaticCell::new(microprop_device::workloads::DigitsAdamTrainer::ZEROED);
static DYNAMIC_DIGITS: ConstStaticCell<microprop_device::crosscheck::DynamicDigits> =
    ConstStaticCell::new(microprop_device::crosscheck::DynamicDigits::ZERO);

/// The host-vs-device runs of `microprop_device::crosscheck` (W1 with SGD,
/// W2 with SGD and with Adam, and W2 with Adam through the run-time front
/// end, 300 steps of batch 1 each): logs the digest
/// of every final weight; exits 0 unless a step was refused.
pub fn crosscheck() -> ! {
    use microprop_device::crosscheck as check;
    defmt::info!("cross-check: {=u32} steps of batch 1 each", check::STEPS);
    let net = CHECK_NET.take();
    let runs = [
        (
            "xor-sgd",
            check::xor_sgd(XOR_NET.take(), XOR_TRAINER.take()),
        ),
        (
            "digits-sgd",
            check::digits_sgd(net, SGD_TRAINER.take(), &data::TRAIN),
        ),
        ("digits-adam", {
            let trainer = ADAM_TRAINER.take();
            trainer.optimizer = Adam::PYTORCH;
            check::digits_adam(net, trainer, &data::TRAIN)
        }),
        (
            "digits-adam-dynamic",
            check::digits_adam_dynamic(DYNAMIC_DIGITS.take(), &data::TRAIN),
        ),
    ];
    let mut failed = false;
    for (name, result) in runs {
        match result {
            Ok(d) => log_digest(name, &d),
            Err(e) => {
                defmt::error!("{=str}: {}", name, e);
                failed = true;
            }
        }
    }
    if failed {
        fw::exit(fw::EXIT_TRAINING_ERROR)
    }
    fw::exit(fw::EXIT_OK)
}

static M0_NET: ConstStaticCell<Net> = ConstStaticCell::new(Net::ZERO);
static SGD_FUSED: ConstStaticCell<microprop_device::workloads::DigitsSgdFusedTrainer> =
    ConstStaticCell::new(microprop_device::workloads::digits_sgd_fused_trainer());

/// The Cortex-M0 cross-check (QEMU `microbit`, 16 KB of RAM): W1 with SGD
/// as in [`crosscheck`] and W2 with SGD through the fused step
/// (`microprop_device::crosscheck::digits_sgd_fused`: no gradient buffer, so
/// the network and trainer take about 10 KB), 300 steps of batch 1 each;
/// logs the digest of every final weight; exits 0 unless a step was refused.
pub fn crosscheck_m0() -> ! {
    use microprop_device::crosscheck as check;
    defmt::info!(
        "cross-check (Cortex-M0): {=u32} steps of batch 1 each",
        check::STEPS
    );
    let runs = [
        (
            "xor-sgd",
            check::xor_sgd(XOR_NET.take(), XOR_TRAINER.take()),
        ),
        (
            "digits-sgd-fused",
            check::digits_sgd_fused(M0_NET.take(), SGD_FUSED.take(), &data::TRAIN),
        ),
    ];
    let mut failed = false;
    for (name, result) in runs {
        match result {
            Ok(d) => log_digest(name, &d),
            Err(e) => {
                defmt::error!("{=str}: {}", name, e);
                failed = true;
            }
        }
    }
    defmt::info!(
        "{=u64} M {=str} in all; stack high-water {=usize} of {=usize} B",
        clock::now() / 1_000_000,
        clock::UNIT,
        fw::stack_high_water(),
        fw::stack_capacity()
    );
    if failed {
        fw::exit(fw::EXIT_TRAINING_ERROR)
    }
    fw::exit(fw::EXIT_OK)
}
