//! Power cuts during a checkpoint save: a simulated NOR flash stops after N
//! bytes of work (erase or program) or after N operations, tearing the word
//! or sector it was working on, and either reports an error or silently
//! drops everything after the cut. For every N, loading after the "reboot"
//! must give exactly the previous checkpoint or the new one, bit for bit;
//! never an older one, never an error, never a wrong model.

use embedded_storage::nor_flash::NorFlashErrorKind;
use microprop::checkpoint::{self, RamFlash, Store, StoreError};
use microprop::layer::FlashWeights;
use microprop::{
    Adam, BiasOnly, Dense, Flash, Frozen, Identity, Init, Layer, QuantizedDense,
    SigmoidBinaryCrossEntropy, SoftmaxCrossEntropy, Tanh, Trainer, network,
};
use microprop_tests::claims;
use microprop_tests::crc::crc32;
use microprop_tests::params::bits;
use microprop_tests::xor;

use microprop_sim::simulate::flash::{AfterCut as After, Cut as SimCut, PowerCutFlash, Torn, Work};

/// When the power goes, in the sweeps' terms: after `bytes` bytes of erase
/// or program work or after `ops` operations (`usize::MAX`: never), with the
/// word or sector in flight left `torn`, the driver behaving as `after`.
#[derive(Debug, Clone, Copy)]
struct Cut {
    bytes: usize,
    ops: usize,
    torn: Torn,
    after: After,
}

impl Cut {
    /// The power never goes.
    const NEVER: Cut = Cut {
        bytes: usize::MAX,
        ops: usize::MAX,
        torn: Torn::Clean,
        after: After::Fail,
    };

    /// The simulator's flash's cut: both erased and written bytes count.
    fn sim(self) -> SimCut {
        SimCut {
            after_bytes: (self.bytes != usize::MAX).then_some(self.bytes),
            work: Work::ErasedAndWritten,
            after_ops: (self.ops != usize::MAX).then_some(self.ops),
            torn: self.torn,
            after: self.after,
        }
    }
}

/// Three successive training checkpoints (older, old, new) of `N` trained
/// with Adam on `x`/`y`, each a different blob.
fn three_checkpoints<N, L, const B: usize>(
    mut net: N,
    loss: L,
    x: &[N::Input],
    y: &[L::Target],
) -> [Vec<u8>; 3]
where
    N: Layer,
    L: microprop::Loss<N::Output> + microprop::AcceptsActivation<N::OutputActivation>,
{
    let mut trainer = Box::new(Trainer::<N, L, Adam, B>::new(loss, Adam::PYTORCH));
    core::array::from_fn(|_| {
        trainer.train_step(&mut net, x, y, 0.01).unwrap();
        let mut blob = vec![0u8; checkpoint::training_len::<N, Adam>()];
        let len = checkpoint::save_training(&net, &trainer, &mut blob).unwrap();
        assert_eq!(len, blob.len());
        blob
    })
}

/// How the flash looks before the interrupted save.
#[derive(Debug, Clone, Copy)]
enum Before {
    /// Blank: the save is the first ever.
    Blank,
    /// One slot holds `old`.
    One,
    /// Both slots hold checkpoints: `older` (which the save overwrites)
    /// and `old`.
    Both,
}

#[derive(Default, Debug)]
struct Tally {
    cut_points: usize,
    got_old: usize,
    got_new: usize,
    got_none: usize,
    save_ok: usize,
}

/// Runs the save of `new` with every cut in `cuts` from the state `before`,
/// reboots, and checks what loads. `decode` checks that the loaded blob is
/// a checkpoint the model accepts.
fn run_cuts<const S: usize, const W: usize, const E: usize>(
    blobs: &[Vec<u8>; 3],
    before: Before,
    cuts: impl Iterator<Item = Cut>,
    decode: &dyn Fn(&[u8]),
    tally: &mut Tally,
) {
    let [older, old, new] = blobs;
    let half = (S / 2) as u32;
    let mut start = Box::new(RamFlash::<S, W, E>::new());
    let mut base = 0;
    {
        let mut store = Store::new(&mut *start, 0..half, half..S as u32).unwrap();
        let fill: &[&Vec<u8>] = match before {
            Before::Blank => &[],
            Before::One => &[old],
            Before::Both => &[older, old],
        };
        for blob in fill {
            base = store.save(blob).unwrap();
        }
    }
    let mut buf = vec![0u8; S / 2];
    for cut in cuts {
        let mut ram = start.clone();
        let mut flash = PowerCutFlash::new(&mut *ram, cut.sim());
        let result = Store::new(&mut flash, 0..half, half..S as u32)
            .unwrap()
            .save(new);
        if cut.after == After::Silent
            && let Err(e) = result
        {
            assert_eq!(e, StoreError::VerifyFailed, "{cut:?}");
        }
        // Reboot: a fresh store over what the flash holds now.
        let mut after = ram.clone();
        let mut store = Store::new(&mut *after, 0..half, half..S as u32).unwrap();
        let loaded = store
            .load_latest(&mut buf)
            .unwrap_or_else(|e| panic!("{before:?} {cut:?}: load failed after the cut: {e:?}"));
        match loaded {
            Some((seq, len)) if seq == base + 1 && &buf[..len] == new.as_slice() => {
                tally.got_new += 1;
                decode(&buf[..len]);
            }
            Some((seq, len)) if seq == base && &buf[..len] == old.as_slice() => {
                assert!(
                    result.is_err(),
                    "{before:?} {cut:?}: save said Ok but the old blob loads"
                );
                tally.got_old += 1;
                decode(&buf[..len]);
            }
            None if matches!(before, Before::Blank) => {
                assert!(
                    result.is_err(),
                    "{before:?} {cut:?}: save said Ok but nothing loads"
                );
                tally.got_none += 1;
            }
            other => panic!(
                "{before:?} {cut:?}: loaded {:?} (base seq {base}), neither old nor new",
                other.map(|(s, l)| (s, l, &buf[..l.min(16)]))
            ),
        }
        tally.save_ok += usize::from(result.is_ok());
        tally.cut_points += 1;
        // The store keeps working: the next save lands and is the newest.
        if tally.cut_points.is_multiple_of(97) {
            let seq = store.save(older).unwrap();
            assert_eq!(
                store.load_latest(&mut buf).unwrap(),
                Some((seq, older.len()))
            );
            assert_eq!(&buf[..older.len()], older.as_slice());
        }
    }
}

/// Bytes of work and operations of one uninterrupted save.
fn save_work<const S: usize, const W: usize, const E: usize>(
    blobs: &[Vec<u8>; 3],
    before: Before,
) -> (usize, usize) {
    let half = (S / 2) as u32;
    let mut ram = Box::new(RamFlash::<S, W, E>::new());
    let mut flash = PowerCutFlash::new(&mut *ram, Cut::NEVER.sim());
    let mut store = Store::new(&mut flash, 0..half, half..S as u32).unwrap();
    if !matches!(before, Before::Blank) {
        store.save(&blobs[1]).unwrap();
    }
    let (work, ops) = (store.flash().work(), store.flash().operations());
    store.save(&blobs[2]).unwrap();
    (
        store.flash().work() - work,
        store.flash().operations() - ops,
    )
}

/// Every byte-count cut (stepping `stride` bytes), and every operation
/// count, with every torn-word model and both after-cut behaviours.
fn sweep<const S: usize, const W: usize, const E: usize>(
    blobs: &[Vec<u8>; 3],
    stride: usize,
    decode: &dyn Fn(&[u8]),
) -> Tally {
    let mut tally = Tally::default();
    for before in [Before::Blank, Before::One, Before::Both] {
        let (work, ops) = save_work::<S, W, E>(blobs, before);
        for torn in [Torn::Clean, Torn::Prefix, Torn::Garbage] {
            for after in [After::Fail, After::Silent] {
                let by_bytes = (0..=work).step_by(stride).chain([work]).map(|bytes| Cut {
                    bytes,
                    ops: usize::MAX,
                    torn,
                    after,
                });
                run_cuts::<S, W, E>(blobs, before, by_bytes, decode, &mut tally);
            }
        }
        for after in [After::Fail, After::Silent] {
            let by_ops = (0..=ops).map(|ops| Cut {
                bytes: usize::MAX,
                ops,
                torn: Torn::Clean,
                after,
            });
            run_cuts::<S, W, E>(blobs, before, by_ops, decode, &mut tally);
        }
    }
    tally
}

type Small = network![Dense<2, 8, Tanh>, Dense<8, 1, Identity>];

fn small_blobs() -> [Vec<u8>; 3] {
    let mut net = Small::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(21));
    three_checkpoints::<_, _, 4>(net, SigmoidBinaryCrossEntropy, &xor::X, &xor::Y)
}

fn decode_small(blob: &[u8]) {
    let mut net = Small::ZERO;
    let mut t = Box::new(Trainer::<Small, _, _, 1>::new(
        SigmoidBinaryCrossEntropy,
        Adam::PYTORCH,
    ));
    checkpoint::load_training(&mut net, &mut t, blob).unwrap();
}

#[test]
fn every_cut_of_a_small_save_keeps_old_or_new() {
    let blobs = small_blobs();
    assert_eq!(blobs[2].len(), checkpoint::training_len::<Small, Adam>());
    let mut total = 0;
    macro_rules! geometry {
        ($s:expr, $w:expr, $e:expr) => {{
            let t = sweep::<$s, $w, $e>(&blobs, 1, &decode_small);
            eprintln!(
                "write {:>2} B, erase {:>4} B: {:>6} cut points: {} old, {} new, {} none, {} saves completed, 0 corrupt",
                $w, $e, t.cut_points, t.got_old, t.got_new, t.got_none, t.save_ok
            );
            assert!(t.got_old > 0 && t.got_new > 0);
            total += t.cut_points;
        }};
    }
    // Byte-writable, word (nRF52, STM32L4 double word), and 16-byte words.
    geometry!(2048, 1, 256);
    geometry!(2048, 4, 512);
    geometry!(2048, 8, 1024);
    geometry!(4096, 16, 2048);
    eprintln!(
        "{total} cut points over a {}-byte training checkpoint: 0 corrupt",
        blobs[2].len()
    );
    claims::record(
        "power_cut_small",
        serde_json::json!({ "cut_points": total, "checkpoint_bytes": blobs[2].len() }),
    );
}

/// A fine-tuned network: an int8 backbone in flash (a CRC-32 in the
/// checkpoint), an int8 layer and a frozen layer in RAM (their values),
/// a bias-only layer and a trainable head (values and Adam state).
static FRONT_FLOAT: Dense<2, 6, Tanh> = Dense::from_params(
    [
        [0.5, -0.25, 0.125, 1.0, -0.75, 0.3],
        [-1.0, 0.75, 0.5, -0.5, 0.25, 0.9],
    ],
    [0.1, -0.1, 0.2, 0.0, 0.05, -0.05],
);
static FRONT_INT8: QuantizedDense<2, 6, Tanh> = match QuantizedDense::quantize(&FRONT_FLOAT) {
    Ok(q) => q,
    Err(_) => panic!("finite"),
};
struct FrontInFlash;
impl FlashWeights for FrontInFlash {
    type Layer = QuantizedDense<2, 6, Tanh>;
    const LAYER: &'static QuantizedDense<2, 6, Tanh> = &FRONT_INT8;
}
type FineTuned = network![
    Flash<FrontInFlash>,
    QuantizedDense<6, 5, Tanh>,
    Frozen<Dense<5, 5, Tanh>>,
    BiasOnly<Dense<5, 4, Tanh>>,
    Dense<4, 1, Identity>,
];

fn fine_tuned_blobs() -> [Vec<u8>; 3] {
    let mut net = FineTuned::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(23));
    let mut float = Dense::<6, 5, Tanh>::ZERO;
    float.init(Init::Xavier, &mut microprop::init::seeded(24));
    net.first.first.first.second = QuantizedDense::quantize(&float).unwrap();
    three_checkpoints::<_, _, 4>(net, SigmoidBinaryCrossEntropy, &xor::X, &xor::Y)
}

fn decode_fine_tuned(blob: &[u8]) {
    let mut net = FineTuned::ZERO;
    let mut t = Box::new(Trainer::<FineTuned, _, _, 1>::new(
        SigmoidBinaryCrossEntropy,
        Adam::PYTORCH,
    ));
    checkpoint::load_training(&mut net, &mut t, blob).unwrap();
    assert!(
        net.first
            .first
            .first
            .second
            .weights
            .as_flattened()
            .iter()
            .any(|&q| q != 0)
    );
    let mut again = vec![0u8; checkpoint::training_len::<FineTuned, Adam>()];
    checkpoint::save_training(&net, &t, &mut again).unwrap();
    assert_eq!(again, blob, "the loaded network saves the same bytes");
}

#[test]
fn every_cut_of_a_fine_tuned_save_keeps_old_or_new() {
    let blobs = fine_tuned_blobs();
    assert_ne!(blobs[1], blobs[2]);
    let mut total = 0;
    macro_rules! geometry {
        ($s:expr, $w:expr, $e:expr) => {{
            let t = sweep::<$s, $w, $e>(&blobs, 1, &decode_fine_tuned);
            eprintln!(
                "fine-tuned, write {:>2} B, erase {:>4} B: {:>6} cut points: {} old, {} new, {} none, 0 corrupt",
                $w, $e, t.cut_points, t.got_old, t.got_new, t.got_none
            );
            assert!(t.got_old > 0 && t.got_new > 0);
            total += t.cut_points;
        }};
    }
    geometry!(2048, 4, 512);
    geometry!(4096, 16, 2048);
    eprintln!(
        "{total} cut points over a {}-byte fine-tuning checkpoint: 0 corrupt",
        blobs[2].len()
    );
}

/// The digits model (64-32-10 tanh) with Adam state, ~29 KB, in two 32 KB
/// slots of 4 KB sectors (nRF52840 geometry).
type Digits = network![Dense<64, 32, Tanh>, Dense<32, 10, Identity>];

fn digits_blobs() -> [Vec<u8>; 3] {
    let mut net = Digits::ZERO;
    net.init(Init::Xavier, &mut microprop::init::seeded(5));
    let x: Vec<[f32; 64]> = (0..8)
        .map(|r| core::array::from_fn(|i| ((r * 64 + i) % 17) as f32 / 16.0))
        .collect();
    let y: Vec<usize> = (0..8).collect();
    three_checkpoints::<_, _, 8>(net, SoftmaxCrossEntropy, &x, &y)
}

fn decode_digits(blob: &[u8]) {
    let mut net = Box::new(Digits::ZERO);
    let mut t = Box::new(Trainer::<Digits, _, _, 1>::new(
        SoftmaxCrossEntropy,
        Adam::PYTORCH,
    ));
    checkpoint::load_training(&mut *net, &mut t, blob).unwrap();
    assert!(bits(&*net).iter().any(|&b| b != 0));
}

/// Sweeps cuts every `stride` bytes of work; returns the checkpoint's
/// length and the number of cut points.
fn digits_sweep(stride: usize) -> (usize, usize) {
    let blobs = digits_blobs();
    let t = sweep::<65536, 4, 4096>(&blobs, stride, &decode_digits);
    eprintln!(
        "digits+Adam checkpoint ({} bytes), every {stride} bytes of work: {} cut points: {} old, {} new, {} none, 0 corrupt",
        blobs[2].len(),
        t.cut_points,
        t.got_old,
        t.got_new,
        t.got_none
    );
    (blobs[2].len(), t.cut_points)
}

#[test]
fn cuts_of_a_digits_checkpoint_save_keep_old_or_new() {
    // A prime stride lands at every offset within a word across the sweep.
    let stride = 257;
    let (bytes, cut_points) = digits_sweep(stride);
    claims::record(
        "power_cut_digits",
        serde_json::json!({ "stride": stride, "cut_points": cut_points, "checkpoint_bytes": bytes }),
    );
}

/// Every single byte of the save (erase + program), 6 byte-cut models,
/// every operation, and 3 starting states; it prints how many cut points
/// that is. Minutes in release, so not part of a plain `cargo test`.
#[test]
#[ignore = "exhaustive; run with --ignored in release"]
fn every_cut_of_a_digits_checkpoint_save_keeps_old_or_new() {
    digits_sweep(1);
}

#[test]
fn an_erase_cut_mid_way_leaves_the_old_slot() {
    // Both slots valid; the save must erase the older one. Cut inside the
    // erase of each of its sectors, with every torn model.
    let blobs = small_blobs();
    let mut tally = Tally::default();
    for torn in [Torn::Clean, Torn::Prefix, Torn::Garbage] {
        for after in [After::Fail, After::Silent] {
            let cuts = (0..1024).map(|bytes| Cut {
                bytes,
                ops: usize::MAX,
                torn,
                after,
            });
            run_cuts::<2048, 4, 256>(&blobs, Before::Both, cuts, &decode_small, &mut tally);
        }
    }
    assert_eq!(tally.got_new, 0, "nothing new is written during the erase");
    assert_eq!(tally.got_old, tally.cut_points);
}

#[test]
fn the_newest_valid_slot_wins_and_slots_alternate() {
    let blobs = small_blobs();
    let mut flash = Box::new(RamFlash::<2048, 4, 256>::new());
    let mut store = Store::new(&mut *flash, 0..1024, 1024..2048).unwrap();
    let mut buf = [0u8; 1024];
    assert_eq!(store.latest().unwrap(), None);
    for (i, blob) in blobs.iter().enumerate() {
        let seq = store.save(blob).unwrap();
        assert_eq!(seq, i as u32 + 1);
        let info = store.latest().unwrap().unwrap();
        assert_eq!((info.slot, info.seq), ((i % 2) as u8, seq));
        assert_eq!(
            store.load_latest(&mut buf).unwrap(),
            Some((seq, blob.len()))
        );
    }
    // Corrupt the newest blob (slot 0, seq 3): slot 1 (seq 2) wins.
    // The store borrows the flash; its last use above ends the borrow.
    flash.as_bytes_mut()[100] ^= 0x10;
    let mut store = Store::new(&mut *flash, 0..1024, 1024..2048).unwrap();
    assert_eq!(
        store.load_latest(&mut buf).unwrap(),
        Some((2, blobs[1].len()))
    );
    assert_eq!(&buf[..blobs[1].len()], blobs[1].as_slice());
    // The next save overwrites the corrupted slot, not the good one.
    assert_eq!(store.save(&blobs[0]).unwrap(), 3);
    assert_eq!(store.latest().unwrap().unwrap().slot, 0);

    // Sequence numbers wrap: u32::MAX, then 0, and 0 is newer.
    let mut flash = Box::new(RamFlash::<2048, 4, 256>::new());
    let mut store = Store::new(&mut *flash, 0..1024, 1024..2048).unwrap();
    store.save(&blobs[0]).unwrap();
    // The store borrows the flash; its last use above ends the borrow.
    // Rewrite slot 0's header with seq u32::MAX - 1 (by saving through a
    // store whose flash we patch is simpler: erase and hand-write).
    patch_seq(&mut flash, 0, u32::MAX);
    let mut store = Store::new(&mut *flash, 0..1024, 1024..2048).unwrap();
    assert_eq!(store.latest().unwrap().unwrap().seq, u32::MAX);
    assert_eq!(store.save(&blobs[1]).unwrap(), 0);
    assert_eq!(
        store.load_latest(&mut buf).unwrap(),
        Some((0, blobs[1].len()))
    );
    assert_eq!(store.save(&blobs[2]).unwrap(), 1);
    assert_eq!(store.latest().unwrap().unwrap().slot, 0);
}

/// Rewrites the sequence number of the slot at `at` and fixes its header CRC.
fn patch_seq(flash: &mut RamFlash<2048, 4, 256>, at: usize, seq: u32) {
    let bytes = flash.as_bytes_mut();
    bytes[at + 4..at + 8].copy_from_slice(&seq.to_le_bytes());
    let crc = crc32(&bytes[at..at + 16]);
    bytes[at + 16..at + 20].copy_from_slice(&crc.to_le_bytes());
}

#[test]
fn layout_and_size_errors() {
    type F = RamFlash<4096, 4, 1024>;
    for (a, b) in [
        (0..1024, 512..2048),  // overlap
        (0..1000, 1024..2048), // not sector-aligned
        (0..1024, 3072..5120), // beyond the flash
        (1024..1024, 0..1024), // empty
    ] {
        assert_eq!(
            Store::new(F::new(), a.clone(), b.clone()).err(),
            Some(StoreError::BadLayout),
            "{a:?} {b:?}"
        );
    }
    let mut store = Store::new(F::new(), 0..1024, 2048..4096).unwrap();
    assert_eq!(store.capacity(), 1024 - 20);
    let big = vec![0u8; 1005];
    assert_eq!(
        store.save(&big),
        Err(StoreError::TooLarge {
            len: 1005,
            capacity: 1004
        })
    );
    store.save(&big[..1004]).unwrap();
    let mut small = [0u8; 100];
    assert_eq!(
        store.load_latest(&mut small),
        Err(StoreError::BufferTooSmall {
            needed: 1004,
            available: 100
        })
    );
    // A flash error is passed on (writes beyond a misbehaving driver's
    // range are its own business; here: a read-only flash).
    let mut ram = Box::new(RamFlash::<2048, 4, 256>::new());
    let mut cut = PowerCutFlash::new(
        &mut *ram,
        Cut {
            ops: 0,
            ..Cut::NEVER
        }
        .sim(),
    );
    let mut store = Store::new(&mut cut, 0..1024, 1024..2048).unwrap();
    assert_eq!(
        store.save(b"x"),
        Err(StoreError::Flash(NorFlashErrorKind::Other))
    );
    assert_eq!(store.load_latest(&mut small), Ok(None));
}
