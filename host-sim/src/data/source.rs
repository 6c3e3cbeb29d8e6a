//! Where a command's rows come from: the model's bundled data set, a CSV
//! file or a pair of IDX files.

use std::path::PathBuf;

use anyhow::{Result, anyhow};

use super::csv_file::LabelColumn;
use crate::options::DataArgs;

/// Where the rows come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataSource {
    /// The model's bundled data set.
    Bundled,
    /// A CSV file with a header row.
    Csv {
        /// The file.
        path: PathBuf,
        /// The target column.
        label: LabelColumn,
    },
    /// IDX images and labels files (raw or gzip).
    Idx {
        /// The images file.
        images: PathBuf,
        /// The labels file.
        labels: PathBuf,
    },
}

impl DataSource {
    /// The source the data flags name: `--csv` (with `--label`), else
    /// `--idx`, else the bundled data.
    ///
    /// # Errors
    /// If `--idx` does not name exactly two files.
    pub fn from_args(args: &DataArgs) -> Result<DataSource> {
        Ok(match (&args.csv, &args.idx) {
            (Some(path), _) => DataSource::Csv {
                path: path.clone(),
                label: args
                    .label
                    .clone()
                    .map_or(LabelColumn::Last, LabelColumn::Named),
            },
            (None, Some(files)) => {
                let [images, labels]: [PathBuf; 2] = files
                    .clone()
                    .try_into()
                    .map_err(|_| anyhow!("--idx takes two files: IMAGES LABELS"))?;
                DataSource::Idx { images, labels }
            }
            (None, None) => DataSource::Bundled,
        })
    }
}
