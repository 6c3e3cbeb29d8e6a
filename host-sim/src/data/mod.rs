//! The data layer: CSV and IDX files into an untyped [`Table`], the bundled
//! data sets from a folder or from the copies built into the binary
//! ([`bundled`]), the shape
//! check that turns a table into the typed rows a model takes
//! ([`Table::typed`], [`LabeledSet`]), shuffling and splitting, scaling with
//! the core's normaliser, and the generated data sets (XOR, sine, the
//! badly-scaled regression of the normalisation experiment); and for
//! models of any shape, CSV files streamed in by column name ([`columns`]),
//! label columns of class names or values ([`labels`], held compactly by
//! [`label_store`]), three-way splits of the
//! row indices ([`split`]) and scaling of any width ([`scaler`]).
//!
//! Every malformation of a file is an error that names the file and the
//! line and column (CSV) or byte offset (IDX); nothing panics. This layer
//! imports only [`crate::options`] (for [`crate::options::DataArgs`]).

pub mod bundled;
pub mod columns;
pub mod csv_file;
pub mod digits;
pub mod files;
pub mod generated;
pub mod idx;
pub mod label_store;
pub mod labeled;
pub mod labels;
pub mod line_index;
pub mod lines;
pub mod normalize;
pub mod scaler;
pub mod source;
pub mod split;
pub mod table;
pub mod tracked_read;

pub use bundled::BundledData;
pub use columns::{ColumnPlan, ColumnTable, load_columns, load_columns_with_progress};
pub use csv_file::{LabelColumn, labeled_set, load_csv, load_labeled_csv, read_csv};
pub use labeled::LabeledSet;
pub use normalize::fit_normalizer;
pub use scaler::ColumnScaler;
pub use source::DataSource;
pub use split::{Split, split_rows};
pub use table::{Table, class_label};
