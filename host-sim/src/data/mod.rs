//! The data layer: CSV and IDX files into an untyped [`Table`], the shape
//! check that turns a table into the typed rows a model takes
//! ([`Table::typed`], [`LabeledSet`]), shuffling and splitting, scaling with
//! the core's normaliser, and the generated data sets (XOR, sine, the
//! badly-scaled regression of the normalisation experiment).
//!
//! Every malformation of a file is an error that names the file and the
//! line and column (CSV) or byte offset (IDX); nothing panics. This layer
//! imports only [`crate::options`] (for [`crate::options::DataArgs`]).

pub mod csv_file;
pub mod digits;
pub mod files;
pub mod generated;
pub mod idx;
pub mod labeled;
pub mod normalize;
pub mod source;
pub mod table;

pub use csv_file::{LabelColumn, load_csv, load_labeled_csv};
pub use labeled::LabeledSet;
pub use normalize::fit_normalizer;
pub use source::DataSource;
pub use table::{Table, class_label};
