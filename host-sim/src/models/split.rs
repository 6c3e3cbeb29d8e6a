//! The rows a built-in model trains and is tested on: loaded, checked
//! against the model's shape, and split as `train` splits them.

use anyhow::{Result, bail};

use super::builtin::Builtin;
use super::task::Task;
use crate::data::idx::load_idx_pair;
use crate::data::{BundledData, DataSource, LabeledSet, Table, load_csv};

/// Training and test rows of the kind loss `L` takes.
pub type Sets<L, const D: usize, const O: usize> = (
    LabeledSet<D, <L as microprop::Loss<[f32; O]>>::Target>,
    Option<LabeledSet<D, <L as microprop::Loss<[f32; O]>>::Target>>,
);

/// Loads the data, checks it against the model, and splits off the test
/// rows as `train` does: the data set's own test set (bundled MNIST), else
/// the last `test_fraction` of the rows after a shuffle with `seed` (all
/// rows, shuffled, for 0). `eval` calls it with `train`'s settings to
/// measure the same rows.
///
/// # Errors
/// If the data can't be loaded, doesn't fit the model, or is too small to
/// split.
pub fn load_split<L: Task<O>, const D: usize, const O: usize>(
    data: &DataSource,
    bundled: &BundledData,
    test_fraction: f32,
    seed: u64,
    model: Builtin,
) -> Result<Sets<L, D, O>> {
    let (table, test_table): (Table, Option<Table>) = match data {
        DataSource::Bundled => model.bundled(bundled)?,
        DataSource::Csv { path, label } => (load_csv(path, label)?, None),
        DataSource::Idx { images, labels } => (load_idx_pair(images, labels)?, None),
    };
    let label = model.label();
    let set = table.typed::<D, L::Target>(&label, L::target)?;
    Ok(match test_table {
        Some(t) => (set, Some(t.typed::<D, L::Target>(&label, L::target)?)),
        None if test_fraction > 0.0 => {
            let (train, test) = set.split(test_fraction, seed);
            if train.is_empty() || test.is_empty() {
                bail!(
                    "{}: {} rows are too few to hold out {} of them",
                    table.source,
                    table.len(),
                    test_fraction
                );
            }
            (train, Some(test))
        }
        None => {
            let mut set = set;
            set.shuffle(seed);
            (set, None)
        }
    })
}
