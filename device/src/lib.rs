#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod crosscheck;
mod data;
pub mod digits;
pub mod golden;
mod learn;
mod log;
pub mod online;
pub mod workloads;

pub use data::U8Dataset;
pub use learn::{Board, RunError, run};
pub use log::{Event, Log, NoLog, Start, Summary};
pub use online::{
    ClassAccuracy, OnlineConfig, OnlineLearner, OnlineReport, OnlineStats, OnlineStep, Phase,
    PhasedStream, ReplayBuffer, SampleSource, SplitMix64, class_accuracy, run_online,
};
