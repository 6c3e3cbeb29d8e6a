#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod data;
pub mod digits;
pub mod golden;
mod learn;
mod log;

pub use data::U8Dataset;
pub use learn::{Board, RunError, Summary, Workspace, evaluate, run};
pub use log::{Event, Log, NoLog, Start};
