//! The rows a built-in model trains and is tested on: loaded, checked
//! against the model's shape, and split as `train` splits them.

use anyhow::{Result, bail};
use clap::Args;

use super::builtin::Builtin;
use super::task::Task;
use crate::data::idx::load_idx_pair;
use crate::data::{BundledData, DataSource, LabeledSet, Table, load_csv};
use crate::options::DataArgs;
use crate::options::init::DEFAULT_SEED;

/// The rows a saved built-in model is measured on, held out as `train`
/// held them out: the data flags, `--test-fraction` and `--seed` (`eval`,
/// `quantize`).
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct HeldOutArgs {
    /// The rows to measure on.
    #[command(flatten)]
    pub data: DataArgs,
    /// Hold out this fraction as train did (default: the model's, as
    /// train's; 0 = measure every row as one set).
    #[arg(long)]
    pub test_fraction: Option<f32>,
    /// The seed train split with (built-in models; default: train's).
    #[arg(long)]
    pub seed: Option<u64>,
}

impl HeldOutArgs {
    /// Where the rows come from.
    ///
    /// # Errors
    /// As [`DataSource::from_args`].
    pub fn source(&self) -> Result<DataSource> {
        DataSource::from_args(&self.data)
    }

    /// Where the bundled data sets are read from.
    pub fn bundled(&self) -> BundledData {
        BundledData::locate(self.data.data_dir.as_deref())
    }

    /// The seed of the split, `train`'s by default.
    pub fn seed_or_default(&self) -> u64 {
        self.seed.unwrap_or(DEFAULT_SEED)
    }

    /// The fraction held out, `model`'s by default.
    pub fn test_fraction_or_default(&self, model: Builtin) -> f32 {
        self.test_fraction.unwrap_or(model.defaults().test_fraction)
    }

    /// The rows, split with `test_fraction` ([`load_split`]).
    ///
    /// # Errors
    /// As [`load_split`].
    pub fn load<L: Task<O>, const D: usize, const O: usize>(
        &self,
        test_fraction: f32,
        model: Builtin,
    ) -> Result<Sets<L, D, O>> {
        load_split::<L, D, O>(
            &self.source()?,
            &self.bundled(),
            test_fraction,
            self.seed_or_default(),
            model,
        )
    }
}

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
