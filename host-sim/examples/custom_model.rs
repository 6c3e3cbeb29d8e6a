//! Your own model, trained with the simulator's loaders and the core's
//! `Workspace::fit`:
//! a 4-10-3 ReLU network on the bundled iris data.
//!
//! `cargo run --release -p microprop-sim --example custom_model`
//!
//! The network's shape is its type: change the widths or activations below
//! and the compiler checks that the layers fit together (and, through
//! `table.typed`, the data set tells you if its rows don't fit the model).

use microprop::{
    Adam, BatchMode, Dense, FitConfig, Identity, Init, Layer, LrSchedule, Relu, Scaling,
    SliceDataset, SoftmaxCrossEntropy, Stopping, Trainer, Workspace, network,
};
use microprop_sim::data::bundled::{BundledData, IRIS};
use microprop_sim::data::{LabelColumn, class_label, fit_normalizer};

/// 4 measurements -> 10 ReLU units -> 3 logits.
type MyNet = network![Dense<4, 10, Relu>, Dense<10, 3, Identity>];

/// Trains `MyNet` on iris; returns the held-out accuracy.
fn train() -> anyhow::Result<f32> {
    // data/iris.csv, or the copy built into the binary (`BundledData::locate`).
    let table = BundledData::locate(None).csv(IRIS, &LabelColumn::Last)?;
    let (train, test) = table
        .typed::<4, usize>("MyNet (4-10-3)", |v| class_label(v, 3))?
        .split(0.2, 7);
    let trainer = Trainer::<MyNet, _, _, 16>::new(SoftmaxCrossEntropy, Adam::PYTORCH);
    let mut ws = Workspace::new(MyNet::ZERO, trainer);
    ws.net.init(Init::Xavier, &mut microprop::init::seeded(7));
    let config = FitConfig {
        mode: BatchMode::MiniBatch(16),
        schedule: LrSchedule::Constant(0.01),
        shuffle_seed: Some(7),
        stopping: Stopping::epochs(150),
        normalizer: Some(fit_normalizer(Scaling::MinMax, &train.features)),
    };
    let data = SliceDataset::new(&train.features, &train.labels).ok_or(anyhow::anyhow!("rows"))?;
    let report = ws.fit(&data, &config, ())?;
    let held_out =
        SliceDataset::new(&test.features, &test.labels).ok_or(anyhow::anyhow!("rows"))?;
    let stats = ws.evaluate(&held_out, config.normalizer.as_ref())?;
    println!(
        "MyNet 4-10-3 ReLU: {} epochs, final training loss {:.4}; test accuracy {:.4} on {} rows",
        report.epochs,
        report.last.mean_loss(),
        stats.accuracy().unwrap_or(0.0),
        test.len()
    );
    Ok(stats.accuracy().unwrap_or(0.0))
}

fn main() -> anyhow::Result<()> {
    train().map(|_| ())
}

#[test]
fn my_net_learns_iris() {
    let accuracy = train().unwrap();
    assert!(accuracy >= 0.9, "test accuracy {accuracy}");
}
