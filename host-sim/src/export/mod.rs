//! The `export` command: a trained model for the firmware, as the binary
//! checkpoint and as Rust source of `const` items a firmware can
//! `include!`, so the model lives in flash with no loading code at all.
//!
//! The source names the network type (`pub type Net = network![...]`), one
//! `DenseParams` const per layer and `pub const MODEL: Model<Net, D, O>` with
//! the normalisers. Every `f32` is written with Rust's shortest
//! representation that reads back to the same bits (`{:?}`), so the
//! constants equal the checkpoint bit for bit.
//!
//! ```text
//! mod trained {
//!     include!("iris.rs"); // written by `microprop-sim export --model iris`
//! }
//! static MODEL: microprop::Model<trained::Net, 4, 3> = trained::MODEL;
//! ```

pub mod source;

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use crate::data::files::write_atomic;
use crate::models::Builtin;
use crate::models::checkpoints::{self, resolve};
use source::generate;
pub use source::{rust_source, source_for};

/// What `export` is told.
#[derive(Debug, Clone, PartialEq, Args)]
#[command(
    after_help = "Example:\n  microprop-sim export --model digits --checkpoint target/digits.mpck --out firmware/model"
)]
pub struct ExportOptions {
    /// The model (default: the built-in model of the checkpoint's shape).
    #[arg(long, value_enum)]
    pub model: Option<Builtin>,
    /// The model checkpoint (`train --checkpoint`); by default the model's,
    /// `target/<model>.mpck`.
    #[arg(
        long,
        help = "The model checkpoint (`train --checkpoint`) [default: target/<model>.mpck]"
    )]
    pub checkpoint: Option<PathBuf>,
    /// Directory for `<name>.mpck` and `<name>.rs`.
    #[arg(
        long,
        default_value_os_t = crate::target_dir().join("export"),
        help = "Directory for <name>.mpck and <name>.rs"
    )]
    pub out: PathBuf,
    /// File name stem [default: the model's name].
    #[arg(long)]
    pub name: Option<String>,
}

/// The files `export` wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    /// The binary checkpoint.
    pub binary: PathBuf,
    /// The Rust source.
    pub source: PathBuf,
    /// Bytes of the model as a `const` (`size_of::<Model<N, D, O>>()`).
    pub const_bytes: usize,
    /// Parameters.
    pub parameters: usize,
}

/// Writes `<out>/<name>.mpck` (the checkpoint's bytes, checked by loading
/// them into the model) and `<out>/<name>.rs`.
///
/// # Errors
/// If the checkpoint can't be loaded (or is for another model), holds a
/// layer the source generator does not write (maxout), or a file can't be
/// written.
pub fn export(options: &ExportOptions) -> Result<Exported> {
    let (model, checkpoint) = resolve(options.model, options.checkpoint.as_deref())?;
    let generated = generate(model, &checkpoint)?;
    let (blob, _) = checkpoints::read(&checkpoint)?;
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| model.name().to_string());
    let binary = options.out.join(format!("{name}.mpck"));
    let source = options.out.join(format!("{name}.rs"));
    write_atomic(&binary, &blob)?;
    write_atomic(&source, generated.text.as_bytes())?;
    Ok(Exported {
        binary,
        source,
        const_bytes: generated.const_bytes,
        parameters: generated.parameters,
    })
}

/// The text `export` prints about what it wrote.
pub fn describe(e: &Exported) -> String {
    format!(
        "wrote {} (the binary checkpoint)\nwrote {} (Rust source: `Net`, `LAYER_n`, `MODEL`; {} parameters, {} bytes as a const in flash)\n\
         in the firmware: `mod trained {{ include!(\"{}\"); }}` and `trained::MODEL.predict(&mut Inference::new(), &mut x)`",
        e.binary.display(),
        e.source.display(),
        e.parameters,
        e.const_bytes,
        e.source
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned()),
    )
}

/// Runs `export` as the CLI does: writes the files and says what they
/// hold on stdout.
///
/// # Errors
/// As [`export`].
pub fn command(options: &ExportOptions) -> Result<()> {
    println!("{}", describe(&export(options)?));
    Ok(())
}
