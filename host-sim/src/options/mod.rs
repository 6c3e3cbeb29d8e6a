//! The settings of a training run as the command line names them, and how
//! each becomes a core value: an optimizer, a schedule, an initialisation,
//! a batch mode, a scaling, stopping criteria; where the rows come from;
//! a network's layer list.
//!
//! These are the bottom layer of the crate: the structs derive clap's
//! [`clap::Args`] (or [`clap::ValueEnum`]) themselves, so a command's
//! options flatten them in and nothing copies flags field by field. They
//! import nothing from the layers above.

pub mod batch;
pub mod bytes;
pub mod data;
pub mod init;
pub mod layer_list;
pub mod normalize;
pub mod optimizer;
pub mod schedule;
pub mod stopping;
pub mod task;

pub use batch::{BUFFER, Batch};
pub use bytes::parse_bytes;
pub use data::DataArgs;
pub use init::{InitKind, InitSettings};
pub use layer_list::{LayerList, describe_layer};
pub use normalize::NormalizeKind;
pub use optimizer::{EpsPlacement, OptimizerKind, OptimizerSettings};
pub use schedule::{ScheduleKind, ScheduleSettings, describe_schedule};
pub use stopping::StopSettings;
pub use task::TaskChoice;
