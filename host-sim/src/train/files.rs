//! The files a training run leaves: the model checkpoint and the training
//! state.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use microprop::{Layer, Model, Optimizer, Parameters, Trainer};

use super::args::TrainOptions;
use crate::data::files::write_atomic;
use crate::models::checkpoints::{self, model_blob, training_blob};

/// Writes what `options` asks for once training has ended: the model
/// checkpoint (network and normalisers) and the training state (network,
/// optimizer state, step count). Returns each file with what it holds.
///
/// # Errors
/// If a file can't be written.
pub fn write_checkpoints<N, L, Opt, const D: usize, const O: usize, const B: usize>(
    options: &TrainOptions,
    model: &Model<N>,
    trainer: &Trainer<N, L, Opt, B>,
) -> Result<Vec<(PathBuf, String)>>
where
    N: Layer<Input = [f32; D], Output = [f32; O]>,
    Opt: Optimizer,
    Opt::State<N::Grads>: Parameters,
{
    let mut written = Vec::new();
    let mut write = |path: &Path, blob: Vec<u8>| -> Result<()> {
        write_atomic(path, &blob)?;
        let contents = checkpoints::inspect(&blob).map_err(|e| anyhow!("{e}"))?;
        written.push((path.to_path_buf(), contents.to_string()));
        Ok(())
    };
    if let Some(path) = &options.checkpoint_file() {
        write(path, model_blob(model)?)?;
    }
    if let Some(path) = &options.save_state {
        write(path, training_blob(&model.net, trainer)?)?;
    }
    Ok(written)
}
