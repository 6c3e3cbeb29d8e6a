//! The training curves of a run: loss per epoch (training and, if any,
//! validation) and, for classifiers, accuracy.

use super::metrics::EpochRecord;
use super::plot::{Figure, Legend, Panel, Series};

/// The figure `train --plot` draws from a run's epochs.
pub fn training_curves(title: &str, epochs: &[EpochRecord]) -> Figure {
    let points = |f: &dyn Fn(&EpochRecord) -> Option<f32>| -> Vec<(f64, f64)> {
        epochs
            .iter()
            .filter_map(|e| f(e).map(|v| (f64::from(e.epoch), f64::from(v))))
            .collect()
    };
    let mut loss = Panel::new("loss", "epoch", "loss");
    loss.series
        .push(Series::line("training", 0, points(&|e| Some(e.loss))));
    let val_loss = points(&|e| e.val_loss);
    if !val_loss.is_empty() {
        loss.series.push(Series::line("validation", 1, val_loss));
    }
    let mut panels = vec![loss];
    let acc = points(&|e| e.accuracy);
    if !acc.is_empty() {
        let mut panel = Panel::new("accuracy", "epoch", "accuracy");
        panel.legend = Legend::LowerRight;
        panel.series.push(Series::line("training", 0, acc));
        let val_acc = points(&|e| e.val_accuracy);
        if !val_acc.is_empty() {
            panel.series.push(Series::line("validation", 1, val_acc));
        }
        panels.push(panel);
    }
    Figure::row(Some(title.to_string()), panels)
}
