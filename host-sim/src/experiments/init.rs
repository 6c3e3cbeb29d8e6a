//! MNIST (the bundled 10k subset) trained from four initialisations, with
//! everything else the same: constant, N(0, 1), U(−1, 1) and the lecture's
//! Xavier N(0, 1/fan_in). The table is the epoch-by-epoch test accuracy.

use std::fmt::Write as _;

use anyhow::{Result, anyhow};
use microprop::{
    BatchMode, Init, Layer, Sgd, SliceDataset, SoftmaxCrossEntropy, Trainer, Workspace,
};

use super::{ExperimentOptions, Outcome, fit_epochs, score};
use crate::data::{BundledData, LabeledSet};
use crate::models::{Builtin, MnistNet, Task};
use crate::report::plot::{Figure, Legend, Panel, Series};

/// Rows of the trainer's buffer and of each mini-batch.
const BATCH: usize = 16;
/// SGD learning rate.
pub const LR: f32 = 0.1;

/// The initialisations compared, with their names.
pub fn inits() -> [(&'static str, Init); 4] {
    [
        ("constant 0.01", Init::Constant(0.01)),
        (
            "N(0, 1)",
            Init::Normal {
                mean: 0.0,
                std: 1.0,
            },
        ),
        ("U(-1, 1)", Init::Uniform { limit: 1.0 }),
        ("Xavier N(0, 1/fan_in)", Init::Xavier),
    ]
}

/// One initialisation's run.
#[derive(Debug, Clone)]
pub struct InitRun {
    /// Name.
    pub name: &'static str,
    /// Per epoch (0 = before training): training loss, test accuracy.
    pub points: Vec<(f32, f32)>,
    /// The largest distance between a hidden unit's incoming weights and the
    /// first unit's, after training (0: all units identical).
    pub unit_spread: f32,
}

/// The bundled MNIST subset, pixels scaled to [0, 1] by /255.
///
/// # Errors
/// If the files are missing or malformed.
pub fn load_mnist(data: &BundledData) -> Result<(LabeledSet<784>, LabeledSet<784>)> {
    let (train, test) = Builtin::Mnist.bundled(data)?;
    let test = test.ok_or_else(|| anyhow!("the bundled MNIST has a test set"))?;
    let label = Builtin::Mnist.label();
    let target = <SoftmaxCrossEntropy as Task<10>>::target;
    let mut train = train.typed::<784, usize>(&label, target)?;
    let mut test = test.typed::<784, usize>(&label, target)?;
    for x in train.features.iter_mut().chain(test.features.iter_mut()) {
        x.iter_mut().for_each(|v| *v /= 255.0);
    }
    Ok((train, test))
}

/// Runs the experiment.
///
/// # Errors
/// If the data can't be loaded or training fails.
pub fn run(options: &ExperimentOptions) -> Result<Outcome> {
    let epochs: u32 = if options.quick { 2 } else { 10 };
    let (mut train, mut test) = load_mnist(&options.data())?;
    if options.quick {
        train = train.truncate(500);
        test = test.truncate(200);
    }
    let data = SliceDataset::new(&train.features, &train.labels)
        .ok_or_else(|| anyhow!("features and labels differ in length"))?;
    let mut runs = Vec::new();
    for (name, init) in inits() {
        let trainer = Trainer::<MnistNet, _, _, BATCH>::new(SoftmaxCrossEntropy, Sgd);
        let mut ws = Box::new(Workspace::new(MnistNet::ZERO, trainer));
        ws.net
            .init(init, &mut microprop::init::seeded(options.seed));
        let (loss0, _) = score(&mut ws.trainer, &ws.net, &train.features, &train.labels)?;
        let (_, acc0) = score(&mut ws.trainer, &ws.net, &test.features, &test.labels)?;
        let mut points = vec![(loss0, acc0.unwrap_or(0.0))];
        fit_epochs(
            &mut ws,
            &data,
            BatchMode::MiniBatch(BATCH),
            LR,
            None,
            options.seed,
            epochs,
            |_, net, trainer| {
                let (loss, _) = score(trainer, net, &train.features, &train.labels)?;
                let (_, acc) = score(trainer, net, &test.features, &test.labels)?;
                points.push((loss, acc.unwrap_or(0.0)));
                Ok(())
            },
        )?;
        runs.push(InitRun {
            name,
            points,
            unit_spread: unit_spread(&ws.net),
        });
    }

    let mut loss = Panel::new("training loss", "epoch", "cross-entropy (training set)");
    loss.y_log = true;
    let mut acc = Panel::new("test accuracy", "epoch", "accuracy (2000 test images)");
    acc.y_range = Some((0.0, 1.0));
    for (i, r) in runs.iter().enumerate() {
        loss.series.push(Series::line(
            r.name,
            i,
            r.points
                .iter()
                .enumerate()
                .map(|(e, p)| (e as f64, f64::from(p.0)))
                .collect(),
        ));
        acc.series.push(Series::line(
            r.name,
            i,
            r.points
                .iter()
                .enumerate()
                .map(|(e, p)| (e as f64, f64::from(p.1)))
                .collect(),
        ));
    }
    loss.legend = Legend::LowerLeft;
    let acc_panel = {
        let mut a = acc;
        a.legend = Legend::LowerRight;
        a.y_range = Some((0.0, 1.0));
        a
    };
    let figure = Figure::row(
        Some(format!(
            "MNIST 784-32-10 tanh, SGD η = {LR}, batch {BATCH}, {} training images: initialisation",
            train.len()
        )),
        vec![loss, acc_panel],
    );

    let mut t = String::new();
    writeln!(
        t,
        "MNIST subset: {} training / {} test images, pixels / 255; 784-32-10 tanh, softmax + CE; SGD η = {LR}, batch {BATCH}, seed {}; biases start at 0",
        train.len(),
        test.len(),
        options.seed
    )?;
    writeln!(
        t,
        "weight std: Xavier 1/√784 = {:.4} (first layer), 1/√32 = {:.4} (second); U(-1, 1) {:.4}; N(0, 1) 1",
        1.0 / 784f32.sqrt(),
        1.0 / 32f32.sqrt(),
        1.0 / 3f32.sqrt()
    )?;
    write!(t, "test accuracy by epoch\n{:>6}", "epoch")?;
    for r in &runs {
        write!(t, " {:>22}", r.name)?;
    }
    writeln!(t)?;
    for e in 0..=epochs as usize {
        write!(t, "{e:>6}")?;
        for r in &runs {
            write!(t, " {:>22.4}", r.points[e].1)?;
        }
        writeln!(t)?;
    }
    write!(t, "{:>6}", "loss")?;
    for r in &runs {
        write!(t, " {:>22.4}", r.points.last().map_or(f32::NAN, |p| p.0))?;
    }
    writeln!(t, "   (training loss after the last epoch)")?;
    write!(t, "{:>6}", "units")?;
    for r in &runs {
        write!(t, " {:>22.3e}", r.unit_spread)?;
    }
    writeln!(
        t,
        "   (largest distance of a hidden unit's weights from unit 0's; 0 = all 32 units identical)"
    )?;
    Ok(Outcome { figure, table: t })
}

/// max over hidden units j of ‖W1[:, j] − W1[:, 0]‖ (incoming weights and
/// bias): 0 when symmetry was never broken.
pub fn unit_spread(net: &MnistNet) -> f32 {
    let layer = &net.first.params;
    (0..32)
        .map(|j| {
            let mut d2 = (layer.bias[j] - layer.bias[0]).powi(2);
            for row in &layer.weights {
                d2 += (row[j] - row[0]).powi(2);
            }
            d2.sqrt()
        })
        .fold(0.0, f32::max)
}
