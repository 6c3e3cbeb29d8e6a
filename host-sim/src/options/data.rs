//! Where the rows come from (`--csv`, `--label`, `--idx`, `--data-dir`):
//! the model's bundled data set, or the user's file.

use std::path::PathBuf;

use clap::Args;

/// The data flags of `train` and `eval`: a CSV file, IDX files, or (with
/// neither) the model's bundled data set in `data_dir`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct DataArgs {
    /// Use this CSV file (header row; label column --label or the last).
    #[arg(long, conflicts_with = "idx")]
    pub csv: Option<PathBuf>,
    /// The CSV column holding the label (default: the last column).
    #[arg(long, requires = "csv")]
    pub label: Option<String>,
    /// Use these IDX images and labels files (raw or gzip).
    #[arg(long, num_args = 2, value_names = ["IMAGES", "LABELS"])]
    pub idx: Option<Vec<PathBuf>>,
    /// Folder of the bundled data sets (default: $MICROPROP_DATA_DIR, else
    /// the source checkout's data/, else the copies built into the binary).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

impl Default for DataArgs {
    /// The bundled data set, from the first place it is found: no
    /// `--data-dir`.
    fn default() -> Self {
        DataArgs {
            csv: None,
            label: None,
            idx: None,
            data_dir: None,
        }
    }
}
