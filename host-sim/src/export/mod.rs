//! The `export` command: a trained model as source code a firmware
//! compiles in, so the model lives in flash with no loading code at all.
//!
//! - `export CHECKPOINT` takes a core checkpoint of any shape, or the model
//!   file `train --layers` writes (the layer list is read from it: dense
//!   layers with any activation, maxout) and
//!   writes `<name>.rs` ([`rust`]: `pub type Net = network![...]`, one
//!   `DenseParams` / `MaxoutParams` const per layer, `NET`, and `MODEL`
//!   with the normalisers if the checkpoint holds them) and `<name>.h`
//!   ([`c`]: the layer list and the weights for the C API).
//! - `export --model M [--checkpoint FILE]` (or `--checkpoint` of a
//!   built-in model's shape) writes the built-in model's `<name>.mpck`
//!   and `<name>.rs`, checked against the model's type ([`builtin`]).
//!
//! Every `f32` is written so that it reads back to the checkpoint's bits
//! ([`literal`]).
//!
//! ```text
//! mod trained {
//!     include!("iris.rs"); // written by `microprop-sim export iris.mpck`
//! }
//! static MODEL: microprop::Model<trained::Net> = trained::MODEL;
//! ```

pub mod builtin;
pub mod c;
pub mod literal;
pub mod network;
pub mod rust;
pub mod source;

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

use crate::models::Builtin;
pub use network::Format;
pub use source::{rust_source, source_for};

/// What `export` is told.
#[derive(Debug, Clone, PartialEq, Args)]
#[command(after_help = "Examples:\n  \
    microprop-sim export model.mpck --out firmware/src          (any shape: model.rs and model.h)\n  \
    microprop-sim export --model digits --checkpoint target/digits.mpck --out firmware/model")]
pub struct ExportOptions {
    /// A core checkpoint of any shape, or a model file from `train
    /// --layers`: writes `<name>.rs` and `<name>.h` (the layer list is read
    /// from it).
    #[arg(value_name = "CHECKPOINT", conflicts_with_all = ["model", "checkpoint"])]
    pub file: Option<PathBuf>,
    /// The built-in model (default: the built-in model of the checkpoint's
    /// shape).
    #[arg(long, value_enum)]
    pub model: Option<Builtin>,
    /// A built-in model's checkpoint (`train --checkpoint`); by default
    /// the model's, `target/<model>.mpck`.
    #[arg(
        long,
        help = "A built-in model's checkpoint (`train --checkpoint`) [default: target/<model>.mpck]"
    )]
    pub checkpoint: Option<PathBuf>,
    /// Directory of the files.
    #[arg(
        long,
        help = "Directory of the files [default: the current directory for CHECKPOINT, \
                target/export for a built-in model]"
    )]
    pub out: Option<PathBuf>,
    /// File name stem (and, in the C header, the prefix of its names)
    /// [default: the checkpoint's file stem, or the model's name].
    #[arg(long)]
    pub name: Option<String>,
    /// Which files `export CHECKPOINT` writes (empty: both).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        help = "Which files `export CHECKPOINT` writes [default: rust,c]"
    )]
    pub format: Vec<Format>,
}

/// Runs `export` as the CLI does: writes the files and says what they
/// hold on stdout.
///
/// # Errors
/// If the checkpoint can't be read or exported, or a file can't be
/// written; nothing is written then (each file is written whole or not at
/// all).
pub fn command(options: &ExportOptions) -> Result<()> {
    let text = match &options.file {
        Some(file) => {
            let out = options.out.clone().unwrap_or_else(|| PathBuf::from("."));
            let name = options
                .name
                .clone()
                .unwrap_or_else(|| network::default_name(file));
            let formats = if options.format.is_empty() {
                &[Format::Rust, Format::C][..]
            } else {
                &options.format
            };
            network::describe(&network::export(file, &out, &name, formats)?)
        }
        None if !options.format.is_empty() => {
            bail!("--format is for `export CHECKPOINT` (a checkpoint of any shape)")
        }
        None => {
            let out = options
                .out
                .clone()
                .unwrap_or_else(|| crate::target_dir().join("export"));
            builtin::describe(&builtin::export(
                options.model,
                options.checkpoint.as_deref(),
                &out,
                options.name.as_deref(),
            )?)
        }
    };
    outln!("{text}")?;
    Ok(())
}
