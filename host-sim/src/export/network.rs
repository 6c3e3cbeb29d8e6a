//! `export CHECKPOINT`: a trained network of any shape, its layer list
//! read from the core checkpoint, as Rust source (`<name>.rs`,
//! [`super::rust`]) and a C header (`<name>.h`, [`super::c`]). Both are
//! generated before either is written, so a checkpoint that cannot be
//! exported leaves no file behind.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::ValueEnum;

use super::{c, rust};
use crate::anyshape::{Scaler, Trained};
use crate::data::ColumnScaler;
use crate::data::files::write_atomic;
use crate::models::own::{OwnTask, is_model_file, read_model};

/// A file `export CHECKPOINT` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `<name>.rs`: the `network!` type `Net` and its weights as `const`s.
    Rust,
    /// `<name>.h`: the layer list and the weights for the C API.
    C,
}

impl Format {
    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Rust => "rs",
            Format::C => "h",
        }
    }
}

/// What `export CHECKPOINT` wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    /// The files, in the order of `--format`.
    pub files: Vec<(Format, PathBuf)>,
    /// Widths from input to output, `4-16-3`.
    pub architecture: String,
    /// Parameters.
    pub parameters: usize,
    /// Whether the checkpoint held normalisers (the Rust source then has
    /// `MODEL`, the header the scaling arrays).
    pub scaled: bool,
}

/// The network in the core checkpoint at `path`, or in the model file
/// `train --layers` writes (its input scaling, and a regression target's
/// scaling, come along as the normalisers).
///
/// # Errors
/// If the file can't be read or is not an intact checkpoint or model file
/// (the message names the file and the reason).
pub fn read(path: &Path) -> Result<Trained> {
    if is_model_file(path) {
        let model = read_model(path)?;
        let scaler = |s: &ColumnScaler| Scaler {
            scaling: s.scaling,
            offset: s.offset.clone(),
            scale: s.scale.clone(),
        };
        let target = match &model.task {
            OwnTask::Regress { target } => target.as_ref().map(scaler),
            OwnTask::Classify { .. } => None,
        };
        let net = Trained::new(
            model.features.len(),
            model.layers.clone(),
            model.params.clone(),
        )?;
        return net
            .with_scaling(model.input.as_ref().map(scaler), target)
            .with_context(|| format!("{}", path.display()));
    }
    let blob = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Trained::from_checkpoint(&blob).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// The name a checkpoint's exports get by default: its file stem.
pub fn default_name(path: &Path) -> String {
    path.file_stem()
        .map_or_else(|| "model".into(), |s| s.to_string_lossy().into_owned())
}

/// The text of `format` for the network at `path`, named `name` (what
/// [`export`] writes; the regeneration tests compare it with committed
/// files).
///
/// # Errors
/// As [`read`]; if a layer has no source form.
pub fn text(format: Format, path: &Path, name: &str) -> Result<String> {
    render(format, &read(path)?, path, name)
}

/// The text of `format` for `net`, read from the file `path` (named in the
/// header comment), named `name`: for a network that came from elsewhere
/// than a plain checkpoint file (a model file that wraps one).
///
/// # Errors
/// If a layer has no source form.
pub fn render(format: Format, net: &Trained, path: &Path, name: &str) -> Result<String> {
    let label = format!("{name} ({})", net.architecture());
    let file = path.file_name().map_or_else(
        || path.display().to_string(),
        |f| f.to_string_lossy().into_owned(),
    );
    let origin = format!("`microprop-sim export` from {file}");
    match format {
        Format::Rust => rust::source(net, &label, &origin),
        Format::C => c::header(net, name, &label, &origin),
    }
}

/// Writes `<out>/<name>.<ext>` for each of `formats` from the checkpoint
/// at `path`; nothing if any of them cannot be generated.
///
/// # Errors
/// As [`text`]; if `name` is empty or holds a path separator, or a file
/// can't be written.
pub fn export(path: &Path, out: &Path, name: &str, formats: &[Format]) -> Result<Written> {
    check_name(name)?;
    write(&read(path)?, path, out, name, formats)
}

/// [`export`] for a network already read (from `path`, named in the
/// header comments).
///
/// # Errors
/// As [`export`].
pub fn write(
    net: &Trained,
    path: &Path,
    out: &Path,
    name: &str,
    formats: &[Format],
) -> Result<Written> {
    check_name(name)?;
    let mut texts = Vec::new();
    for &format in formats {
        if texts.iter().any(|(f, _)| *f == format) {
            continue;
        }
        texts.push((format, render(format, net, path, name)?));
    }
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create the folder {}", out.display()))?;
    let mut files = Vec::new();
    for (format, text) in texts {
        let file = out.join(format!("{name}.{}", format.extension()));
        write_atomic(&file, text.as_bytes())?;
        files.push((format, file));
    }
    Ok(Written {
        files,
        architecture: net.architecture(),
        parameters: net.params().len(),
        scaled: net.input_scaling().is_some() || net.target_scaling().is_some(),
    })
}

/// A name that is one file name (no directory, not empty).
fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        bail!("--name {name:?} is not a file name");
    }
    Ok(())
}

/// The text `export CHECKPOINT` prints about what it wrote.
pub fn describe(w: &Written) -> String {
    let mut lines = Vec::new();
    for (format, file) in &w.files {
        let name = file
            .file_name()
            .map_or_else(String::new, |f| f.to_string_lossy().into_owned());
        lines.push(match format {
            Format::Rust => format!(
                "wrote {} (Rust source: `Net`, `LAYER_n`, `NET`{}; {} parameters, {})\n  \
                 in Rust: `mod trained {{ include!(\"{name}\"); }}` and `Inference::new().predict(&trained::NET, &x)`",
                file.display(),
                if w.scaled { ", `MODEL`" } else { "" },
                w.parameters,
                w.architecture,
            ),
            Format::C => format!(
                "wrote {} (C header: the layer list and weights for the C API; {} parameters, {})\n  \
                 in C: `#include \"{name}\"` in one .c file, then microprop_model_init and microprop_set_params (its comment shows how)",
                file.display(),
                w.parameters,
                w.architecture,
            ),
        });
    }
    lines.join("\n")
}
