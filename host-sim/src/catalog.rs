//! The `models` command: the built-in models with their default settings.

use std::fmt::Write as _;

use crate::data::BundledData;
use crate::footprint::BATCHES;
use crate::models::Builtin;

/// The table `models` prints: each model's layers, activations and loss,
/// default optimizer, learning rate, batch and epochs, and bundled data;
/// then where the bundled data sets are read from ([`BundledData::locate`]).
pub fn models_table() -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<7} {:<10} {:<50} {:<9} {:>8} {:>6} {:>6}  bundled data",
        "name", "layers", "activations and loss", "optimizer", "lr", "batch", "epochs"
    );
    for m in Builtin::ALL {
        let d = m.defaults();
        let _ = writeln!(
            s,
            "{:<7} {:<10} {:<50} {:<9} {:>8} {:>6} {:>6}  {}",
            m.name(),
            m.layers(),
            m.description(),
            d.optimizer.name(),
            d.lr,
            d.batch.to_string(),
            d.epochs,
            m.bundled_data()
        );
    }
    let _ = writeln!(s, "footprint batch buffers: {BATCHES:?}");
    let _ = writeln!(
        s,
        "bundled data: read from {}; --data-dir or MICROPROP_DATA_DIR names another folder",
        BundledData::locate(None).describe()
    );
    s
}

/// Runs `models` as the CLI does: prints the table to stdout.
///
/// # Errors
/// If stdout can't be written.
pub fn command() -> std::io::Result<()> {
    out!("{}", models_table())?;
    Ok(())
}
