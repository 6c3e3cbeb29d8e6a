//! The lecture's claim that Adam with a warmup + cosine schedule learns the
//! 8x8 digits: a linear warmup over two epochs, then cosine decay from 5e-3
//! to 1e-4, trains the 64-32-10 tanh network on host-sim's demo split to at
//! least 95% test accuracy in 30 epochs.
//!
//! The measured numbers are printed with `eprintln!`
//! (`cargo test -p microprop-tests --test claim_adam_warmup_cosine --
//! --nocapture`).

use microprop::init::seeded;
use microprop::{
    Adam, BatchMode, FitConfig, Init, Layer, LrSchedule, OnEpoch, SliceDataset,
    SoftmaxCrossEntropy, Stopping, Trainer, Warmup, WarmupStart, Workspace,
};
use microprop_sim::data::bundled::{BundledData, checkout_data_dir};
use microprop_sim::demo::{self, DemoConfig, DigitsNet};

#[test]
fn adam_with_warmup_and_cosine_learns_the_digits() {
    const BATCH: usize = 16;
    const EPOCHS: u32 = 30;
    let started = std::time::Instant::now();
    let demo_config = DemoConfig::default();
    let (train, test) =
        demo::load_digits(&BundledData::folder(checkout_data_dir()), &demo_config).unwrap();
    let data = SliceDataset::new(&train.features, &train.labels).unwrap();
    let steps_per_epoch = BatchMode::MiniBatch(BATCH).iterations_per_epoch(train.len()) as u32;
    let total = steps_per_epoch * EPOCHS;
    let warmup = steps_per_epoch * 2;
    let schedule = Warmup {
        steps: warmup,
        inner: LrSchedule::Cosine {
            initial: 5e-3,
            last: 1e-4,
            period: total - warmup,
        },
        start: WarmupStart::LinearLr,
    };
    let config = FitConfig {
        mode: BatchMode::MiniBatch(BATCH),
        schedule,
        shuffle_seed: Some(demo_config.seed),
        stopping: Stopping::epochs(EPOCHS),
        normalizer: None,
    };
    let trainer = Trainer::<DigitsNet, _, _, BATCH>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    let mut ws = Box::new(Workspace::new(DigitsNet::ZERO, trainer));
    ws.net.init(Init::Xavier, &mut seeded(demo_config.seed));
    let before = demo::accuracy(&ws.net, &test).unwrap();
    let mut losses = Vec::new();
    let epoch_loss = OnEpoch::new(|e| losses.push(e.stats.mean_loss()));
    let report = ws.fit(&data, &config, epoch_loss).unwrap();
    let train_acc = demo::accuracy(&ws.net, &train).unwrap();
    let test_acc = demo::accuracy(&ws.net, &test).unwrap();
    eprintln!(
        "digits 64-32-10 tanh, Adam (PyTorch defaults), warmup {warmup} steps then cosine \
         5e-3 -> 1e-4 over {} steps, batch {BATCH}, {EPOCHS} epochs ({} steps, {} train / {} \
         test rows): test accuracy {before:.3} -> {test_acc:.3}, train {train_acc:.3}, epoch \
         loss {:.4} -> {:.4}, {:.2?}",
        total - warmup,
        report.iterations,
        train.len(),
        test.len(),
        losses[0],
        losses[losses.len() - 1],
        started.elapsed()
    );
    assert_eq!(report.iterations, total);
    assert_eq!(ws.trainer.steps(), total);
    assert!(test_acc >= 0.95, "test accuracy {test_acc}");
    assert!(losses[losses.len() - 1] < losses[0] / 10.0, "{losses:?}");
}
