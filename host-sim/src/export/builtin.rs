//! `export --model M` (or `--checkpoint` of a built-in model's shape):
//! the binary checkpoint, checked by loading it into the model's type, and
//! its Rust source with `MODEL`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::source::generate;
use crate::data::files::write_atomic;
use crate::models::Builtin;
use crate::models::checkpoints::{self, resolve};

/// The files the built-in export wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    /// The binary checkpoint.
    pub binary: PathBuf,
    /// The Rust source.
    pub source: PathBuf,
    /// Bytes of the model as a `const` (`size_of::<Model<N>>()`).
    pub const_bytes: usize,
    /// Parameters.
    pub parameters: usize,
}

/// Writes `<out>/<name>.mpck` (the checkpoint's bytes, checked by loading
/// them into the model) and `<out>/<name>.rs`.
///
/// # Errors
/// If the checkpoint can't be loaded (or is for another model), or a file
/// can't be written.
pub fn export(
    model: Option<Builtin>,
    checkpoint: Option<&Path>,
    out: &Path,
    name: Option<&str>,
) -> Result<Exported> {
    let (model, checkpoint) = resolve(model, checkpoint)?;
    let generated = generate(model, &checkpoint)?;
    let (blob, _) = checkpoints::read(&checkpoint)?;
    let name = name.unwrap_or(model.name());
    let binary = out.join(format!("{name}.mpck"));
    let source = out.join(format!("{name}.rs"));
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the folder {}", out.display()))?;
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
        "wrote {} (the binary checkpoint)\nwrote {} (Rust source: `Net`, `LAYER_n`, `NET`, `MODEL`; {} parameters, {} bytes as a const in flash)\n\
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
