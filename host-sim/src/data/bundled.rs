//! The bundled data sets (Fisher's iris, the 8x8 digits, 10 000 MNIST
//! images in two files each for training and test) and where a command
//! reads them from. The first of these that applies:
//!
//! 1. the folder the command is given (`--data-dir`);
//! 2. the folder named by the environment variable `MICROPROP_DATA_DIR`
//!    (when set and not empty);
//! 3. the `data/` folder of the source checkout this binary was built from,
//!    when it still exists (skipped with `MICROPROP_NO_CHECKOUT_DATA=1`);
//! 4. the copies built into the binary (`include_bytes!`), parsed
//!    from memory.
//!
//! So a binary installed with `cargo install --path host-sim` trains on
//! the bundled data wherever it runs, also after the checkout is gone.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

use super::csv_file::{LabelColumn, read_csv};
use super::idx::{idx_pair_table, parse_idx_file};
use super::table::Table;

/// The environment variable naming a folder of the bundled data sets.
pub const DATA_DIR_VAR: &str = "MICROPROP_DATA_DIR";

/// The environment variable that, set to `1`, skips the source checkout's
/// `data/` (so the copies built into the binary are read unless a folder
/// is given).
pub const NO_CHECKOUT_VAR: &str = "MICROPROP_NO_CHECKOUT_DATA";

/// The iris data set: 150 rows, 4 features, 3 classes.
pub const IRIS: &str = "iris.csv";
/// The 8x8 digits: 1797 rows, 64 pixels, 10 classes.
pub const DIGITS: &str = "digits8x8.csv";
/// MNIST's 8000 training images and their labels (IDX, gzip).
pub const MNIST_TRAIN: [&str; 2] = [
    "mnist10k-train-images-idx3-ubyte.gz",
    "mnist10k-train-labels-idx1-ubyte.gz",
];
/// MNIST's 2000 test images and their labels (IDX, gzip).
pub const MNIST_TEST: [&str; 2] = [
    "mnist10k-test-images-idx3-ubyte.gz",
    "mnist10k-test-labels-idx1-ubyte.gz",
];

/// `(file name, bytes)` of a file of the workspace's `data/`, built in.
macro_rules! embed {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/", $name)) as &[u8],
        )
    };
}

/// Every bundled file, as the binary holds it.
const EMBEDDED: [(&str, &[u8]); 6] = [
    embed!("iris.csv"),
    embed!("digits8x8.csv"),
    embed!("mnist10k-train-images-idx3-ubyte.gz"),
    embed!("mnist10k-train-labels-idx1-ubyte.gz"),
    embed!("mnist10k-test-images-idx3-ubyte.gz"),
    embed!("mnist10k-test-labels-idx1-ubyte.gz"),
];

/// What chose a data folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChosenBy {
    /// The command's `--data-dir` (or `demo --data`).
    Flag,
    /// The environment variable [`DATA_DIR_VAR`].
    Environment,
    /// The source checkout's `data/` was found.
    Checkout,
}

/// Where the bundled data sets are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundledData {
    /// Files in a folder.
    Folder {
        /// The folder.
        path: PathBuf,
        /// What chose it.
        chosen_by: ChosenBy,
    },
    /// The copies built into the binary.
    Embedded,
}

impl BundledData {
    /// The data sets' place for a command given `data_dir` (its
    /// `--data-dir`, if any): the first of the flag, `MICROPROP_DATA_DIR`,
    /// the checkout's `data/` and the built-in copies (see the module
    /// documentation).
    ///
    /// ```
    /// use std::path::Path;
    /// use microprop_sim::data::bundled::{BundledData, ChosenBy};
    /// let data = BundledData::locate(Some(Path::new("my-data")));
    /// assert_eq!(
    ///     data,
    ///     BundledData::Folder { path: "my-data".into(), chosen_by: ChosenBy::Flag }
    /// );
    /// ```
    pub fn locate(data_dir: Option<&Path>) -> BundledData {
        let checkout = checkout_data_dir();
        let skip_checkout = std::env::var_os(NO_CHECKOUT_VAR).is_some_and(|v| v == "1");
        choose(
            data_dir,
            std::env::var_os(DATA_DIR_VAR),
            (!skip_checkout && checkout.is_dir()).then_some(checkout),
        )
    }

    /// The data sets in `path` (as `--data-dir` gives them).
    pub fn folder(path: impl Into<PathBuf>) -> BundledData {
        BundledData::Folder {
            path: path.into(),
            chosen_by: ChosenBy::Flag,
        }
    }

    /// Where the data sets are read from, in a few words for a run's
    /// header: the folder as it was given (no absolute path of the checkout,
    /// so the text is the same on every machine).
    ///
    /// ```
    /// use microprop_sim::data::bundled::BundledData;
    /// assert_eq!(BundledData::folder("my-data").origin(), "my-data (--data-dir)");
    /// assert_eq!(BundledData::Embedded.origin(), "the copy built into microprop-sim");
    /// ```
    pub fn origin(&self) -> String {
        match self {
            BundledData::Folder { path, chosen_by } => match chosen_by {
                ChosenBy::Flag => format!("{} (--data-dir)", path.display()),
                ChosenBy::Environment => format!("{} ({DATA_DIR_VAR})", path.display()),
                ChosenBy::Checkout => "the source checkout's data/".into(),
            },
            BundledData::Embedded => "the copy built into microprop-sim".into(),
        }
    }

    /// Where the data sets are read from, in words (for messages).
    pub fn describe(&self) -> String {
        match self {
            BundledData::Folder { path, chosen_by } => {
                let why = match chosen_by {
                    ChosenBy::Flag => "given on the command line",
                    ChosenBy::Environment => "given by MICROPROP_DATA_DIR",
                    ChosenBy::Checkout => "found in the source checkout",
                };
                format!("the folder {} ({why})", path.display())
            }
            BundledData::Embedded => "the copies built into microprop-sim".into(),
        }
    }

    /// Reads the bundled CSV file `name` (e.g. [`IRIS`]), label column
    /// `label`.
    ///
    /// ```
    /// use microprop_sim::data::LabelColumn;
    /// use microprop_sim::data::bundled::{BundledData, IRIS};
    /// let iris = BundledData::Embedded.csv(IRIS, &LabelColumn::Last)?;
    /// assert_eq!((iris.len(), iris.width), (150, 4));
    /// # Ok::<(), anyhow::Error>(())
    /// ```
    ///
    /// # Errors
    /// If the file is missing or malformed (as [`super::load_csv`]); the
    /// message says where it was looked for.
    pub fn csv(&self, name: &str, label: &LabelColumn) -> Result<Table> {
        match self {
            BundledData::Folder { path, .. } => {
                super::load_csv(&path.join(name), label).with_context(|| self.reading(name))
            }
            BundledData::Embedded => read_csv(&embedded_source(name), embedded(name)?, label),
        }
    }

    /// Reads a bundled pair of IDX files, `[images, labels]` (e.g.
    /// [`MNIST_TRAIN`]), as [`super::idx::load_idx_pair`] reads them.
    ///
    /// # Errors
    /// If a file is missing or malformed; the message says where it was
    /// looked for.
    pub fn idx_pair(&self, [images, labels]: [&str; 2]) -> Result<Table> {
        match self {
            BundledData::Folder { path, .. } => {
                super::idx::load_idx_pair(&path.join(images), &path.join(labels))
                    .with_context(|| self.reading(images))
            }
            BundledData::Embedded => {
                let (image_name, label_name) = (
                    PathBuf::from(embedded_source(images)),
                    PathBuf::from(embedded_source(labels)),
                );
                idx_pair_table(
                    &image_name,
                    parse_idx_file(&image_name, embedded(images)?)?,
                    &label_name,
                    parse_idx_file(&label_name, embedded(labels)?)?,
                )
            }
        }
    }

    /// The context of a failed read of `name` from a folder.
    fn reading(&self, name: &str) -> String {
        format!("reading the bundled {name} from {}", self.describe())
    }
}

/// The `data/` folder of the source checkout this crate was built from (it
/// need not exist any more).
pub fn checkout_data_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).join("data")
}

/// The search order of [`BundledData::locate`], given the flag, the value
/// of `MICROPROP_DATA_DIR` and the checkout's `data/` if it is to be used.
fn choose(
    flag: Option<&Path>,
    environment: Option<OsString>,
    checkout: Option<PathBuf>,
) -> BundledData {
    if let Some(path) = flag {
        return BundledData::folder(path);
    }
    if let Some(path) = environment.filter(|v| !v.is_empty()) {
        return BundledData::Folder {
            path: path.into(),
            chosen_by: ChosenBy::Environment,
        };
    }
    match checkout {
        Some(path) => BundledData::Folder {
            path,
            chosen_by: ChosenBy::Checkout,
        },
        None => BundledData::Embedded,
    }
}

/// The built-in bytes of the bundled file `name`.
fn embedded(name: &str) -> Result<&'static [u8]> {
    EMBEDDED
        .iter()
        .find(|(file, _)| *file == name)
        .map(|&(_, bytes)| bytes)
        .ok_or_else(|| anyhow!("{name} is not a bundled data set"))
}

/// How a built-in file is named in tables and messages.
fn embedded_source(name: &str) -> String {
    format!("{name} (built into microprop-sim)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_then_the_variable_then_the_checkout_then_the_built_in_copies() {
        let checkout = Some(PathBuf::from("/src/data"));
        let env = || Some(OsString::from("/env/data"));
        let flag = Path::new("/flag/data");
        assert_eq!(
            choose(Some(flag), env(), checkout.clone()),
            BundledData::folder(flag)
        );
        let from_env = BundledData::Folder {
            path: "/env/data".into(),
            chosen_by: ChosenBy::Environment,
        };
        assert_eq!(choose(None, env(), checkout.clone()), from_env);
        let from_checkout = BundledData::Folder {
            path: "/src/data".into(),
            chosen_by: ChosenBy::Checkout,
        };
        // An empty variable counts as unset.
        assert_eq!(
            choose(None, Some(OsString::new()), checkout.clone()),
            from_checkout
        );
        assert_eq!(choose(None, None, checkout), from_checkout);
        assert_eq!(choose(None, None, None), BundledData::Embedded);
    }

    #[test]
    fn every_bundled_name_is_built_in_as_the_checkout_holds_it() {
        let names = [IRIS, DIGITS]
            .into_iter()
            .chain(MNIST_TRAIN)
            .chain(MNIST_TEST);
        for name in names {
            let on_disk = std::fs::read(checkout_data_dir().join(name)).unwrap();
            assert_eq!(embedded(name).unwrap(), &on_disk[..], "{name}");
        }
        assert!(embedded("README.md").is_err());
    }

    /// The bytes parsed from memory give the rows the files give.
    #[test]
    fn built_in_tables_equal_the_checkout_files() {
        let checkout = BundledData::folder(checkout_data_dir());
        for name in [IRIS, DIGITS] {
            let from_file = checkout.csv(name, &LabelColumn::Last).unwrap();
            let built_in = BundledData::Embedded.csv(name, &LabelColumn::Last).unwrap();
            assert_eq!(built_in.source, embedded_source(name));
            assert_eq!(
                (&built_in.features, &built_in.labels, &built_in.layout),
                (&from_file.features, &from_file.labels, &from_file.layout),
                "{name}"
            );
        }
        for pair in [MNIST_TRAIN, MNIST_TEST] {
            let from_file = checkout.idx_pair(pair).unwrap();
            let built_in = BundledData::Embedded.idx_pair(pair).unwrap();
            assert_eq!(built_in.width, 784);
            assert_eq!(
                (&built_in.features, &built_in.labels),
                (&from_file.features, &from_file.labels),
                "{pair:?}"
            );
        }
    }

    #[test]
    fn a_folder_without_the_file_says_where_it_looked() {
        let dir = tempfile::tempdir().unwrap();
        let data = BundledData::Folder {
            path: dir.path().to_path_buf(),
            chosen_by: ChosenBy::Environment,
        };
        let err = format!("{:#}", data.csv(IRIS, &LabelColumn::Last).unwrap_err());
        assert!(
            err.contains("reading the bundled iris.csv from the folder")
                && err.contains("given by MICROPROP_DATA_DIR")
                && err.contains("cannot open"),
            "{err}"
        );
        let err = format!("{:#}", data.idx_pair(MNIST_TEST).unwrap_err());
        assert!(err.contains("mnist10k-test-images"), "{err}");
    }
}
