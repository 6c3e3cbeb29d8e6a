//! Checkpoint files of the built-in models: the core's binary format
//! ([`microprop::checkpoint`]) written to and read from disk, what a file
//! holds, and errors that say which model a checkpoint belongs to.
//!
//! Two kinds of file come out of `train`:
//! - the *model* checkpoint (`--checkpoint`, [`checkpoint::save_model`]): the
//!   parameters and the input and target normalisers, everything `eval`,
//!   `predict` and `export` need;
//! - the *training state* (`--save-state`, [`checkpoint::save_training`]):
//!   the parameters, the optimizer's state and its step count, what
//!   `train --resume` continues from.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use microprop::checkpoint::{self, Architecture, CheckpointError, Part};
use microprop::{Layer, Model, Optimizer, Parameters, Trainer};

use super::builtin::Builtin;

/// What a checkpoint holds, read from its header after its CRC checked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Contents {
    /// Layer widths, e.g. `64-32-10`.
    pub architecture: Architecture,
    /// Number of parameters.
    pub parameters: u32,
    /// Optimizer values and the optimizer's step count, if saved.
    pub optimizer: Option<(u32, u32)>,
    /// Whether the input normaliser is saved.
    pub input_normalizer: bool,
    /// Whether the target normaliser is saved.
    pub target_normalizer: bool,
    /// Bytes of the checkpoint.
    pub bytes: usize,
}

impl Contents {
    /// The built-in model of this shape, if any.
    pub fn builtin(&self) -> Option<Builtin> {
        Builtin::with_layers(&self.architecture.to_string())
    }

    /// `true` for a model checkpoint (parameters and normalisers).
    pub fn is_model(&self) -> bool {
        self.input_normalizer && self.target_normalizer
    }
}

impl fmt::Display for Contents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} bytes, {}: {} parameters",
            self.bytes, self.architecture, self.parameters
        )?;
        if let Some((values, steps)) = self.optimizer {
            write!(f, " + optimizer state ({values} values, step {steps})")?;
        }
        match (self.input_normalizer, self.target_normalizer) {
            (true, true) => f.write_str(" + input and target normalisers"),
            (true, false) => f.write_str(" + input normaliser"),
            (false, true) => f.write_str(" + target normaliser"),
            (false, false) => Ok(()),
        }
    }
}

/// What `blob` holds. [`checkpoint::inspect`] checks the envelope (length,
/// magic, version, CRC) and gives the architecture; the parts and the step
/// count are read from the header fields the format documents (the core has
/// no accessor for them).
///
/// # Errors
/// As [`checkpoint::inspect`].
pub fn inspect(blob: &[u8]) -> Result<Contents, CheckpointError> {
    let architecture = checkpoint::inspect(blob)?;
    let u16_at = |at: usize| {
        blob.get(at..at + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
            .ok_or(CheckpointError::Malformed)
    };
    let u32_at = |at: usize| {
        blob.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or(CheckpointError::Malformed)
    };
    let flags = u16_at(6)?;
    let layers = usize::from(u16_at(12)?);
    let after_layers = 16 + 16 * layers;
    let parameters = u32_at(after_layers)?;
    let optimizer = if flags & 1 != 0 {
        Some((u32_at(after_layers + 4)?, u32_at(after_layers + 8)?))
    } else {
        None
    };
    Ok(Contents {
        architecture,
        parameters,
        optimizer,
        input_normalizer: flags & 2 != 0,
        target_normalizer: flags & 4 != 0,
        bytes: blob.len(),
    })
}

/// Reads a checkpoint file and checks its envelope.
///
/// # Errors
/// If the file can't be read or is not an intact checkpoint (the message
/// names the file).
pub fn read(path: &Path) -> Result<(Vec<u8>, Contents)> {
    let blob = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let contents = inspect(&blob).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok((blob, contents))
}

/// The model checkpoint of `model`: parameters and both normalisers
/// ([`checkpoint::save_model`]).
///
/// # Errors
/// Only if the core's length computation and its encoder disagree (a bug).
pub fn model_blob<N: Layer>(model: &Model<N>) -> Result<Vec<u8>> {
    let mut blob = vec![0u8; checkpoint::model_len::<N>()];
    let len = checkpoint::save_model(model, &mut blob).map_err(|e| anyhow!("{e}"))?;
    blob.truncate(len);
    Ok(blob)
}

/// The training state of `net` and `trainer`: parameters, optimizer state
/// and step count ([`checkpoint::save_training`]).
///
/// # Errors
/// Only if the core's length computation and its encoder disagree (a bug).
pub fn training_blob<N, L, Opt, const B: usize>(
    net: &N,
    trainer: &Trainer<N, L, Opt, B>,
) -> Result<Vec<u8>>
where
    N: Layer,
    Opt: Optimizer,
    Opt::State<N::Grads>: Parameters,
{
    let mut blob = vec![0u8; checkpoint::training_len::<N, Opt>()];
    let len = checkpoint::save_training(net, trainer, &mut blob).map_err(|e| anyhow!("{e}"))?;
    blob.truncate(len);
    Ok(blob)
}

/// A core error about the checkpoint at `path`, loaded for `model`, with a
/// hint: the built-in model a checkpoint of another shape fits, or which
/// file to use when a part is missing.
pub fn explain(e: CheckpointError, path: &Path, model: Builtin) -> anyhow::Error {
    let hint = match e {
        CheckpointError::ArchitectureMismatch { checkpoint, .. } => {
            match Builtin::with_layers(&checkpoint.to_string()) {
                Some(m) if m != model => {
                    format!(
                        " (it fits the built-in model {}: use --model {})",
                        m.name(),
                        m.name()
                    )
                }
                Some(_) => String::new(),
                None => " (no built-in model has this shape)".to_string(),
            }
        }
        CheckpointError::MissingPart(Part::InputNormalizer | Part::TargetNormalizer) => {
            " (this is a training-state checkpoint from `train --save-state`; eval, predict and \
             export read the model checkpoint `train --checkpoint` writes)"
                .to_string()
        }
        CheckpointError::MissingPart(Part::OptimizerState) => {
            " (this is a model checkpoint from `train --checkpoint`; --resume needs the \
             training state `train --save-state` writes)"
                .to_string()
        }
        CheckpointError::OptimizerStateMismatch { .. } => {
            " (resume with the optimizer the state was saved with)".to_string()
        }
        CheckpointError::KindMismatch {
            checkpoint: Some(kind),
            ..
        } if kind.is_int8() => " (an int8 model, as `quantize --out` writes; this command \
             takes the float model checkpoint)"
            .to_string(),
        _ => String::new(),
    };
    anyhow!("{}: {e}{hint}", path.display())
}

/// Reads the model checkpoint at `path` into a [`Model`] of `model`'s type.
///
/// # Errors
/// If the file can't be read, is damaged, or is for another model: the
/// core's message ("checkpoint is for 64-32-10, model is 4-16-3") with the
/// built-in model it fits.
pub fn load_model<N: Layer>(path: &Path, model: Builtin) -> Result<(Box<Model<N>>, Contents)> {
    let (blob, contents) = read(path)?;
    let mut loaded = Box::new(Model::new(N::ZERO));
    checkpoint::load_model(&mut loaded, &blob).map_err(|e| explain(e, path, model))?;
    Ok((loaded, contents))
}

/// Where `train` writes `model`'s checkpoint unless told otherwise (and
/// `eval`, `predict` and `export` read it): `<model>.mpck` in the current
/// directory.
pub fn default_checkpoint(model: Builtin) -> PathBuf {
    PathBuf::from(format!("{}.mpck", model.name()))
}

/// The model and checkpoint a command names: the model given, else the
/// built-in model of the checkpoint's shape; the checkpoint given, else
/// the model's [`default_checkpoint`].
///
/// # Errors
/// If neither is given, or the checkpoint can't be read or fits no
/// built-in model.
pub fn resolve(model: Option<Builtin>, checkpoint: Option<&Path>) -> Result<(Builtin, PathBuf)> {
    match (model, checkpoint) {
        (Some(m), Some(path)) => Ok((m, path.to_path_buf())),
        (Some(m), None) => Ok((m, default_checkpoint(m))),
        (None, Some(path)) => Ok((identify(path)?, path.to_path_buf())),
        (None, None) => bail!("name the model (--model) or the checkpoint (--checkpoint)"),
    }
}

/// The built-in model a checkpoint file is for.
///
/// # Errors
/// If the file can't be read or its shape is no built-in model's.
pub fn identify(path: &Path) -> Result<Builtin> {
    let (_, contents) = read(path)?;
    contents.builtin().ok_or_else(|| {
        anyhow!(
            "{}: checkpoint is for {}, which is no built-in model ({}); \
             load it from Rust with that network type",
            path.display(),
            contents.architecture,
            Builtin::ALL
                .iter()
                .map(|m| m.label())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::files::write_atomic;
    use crate::models::{DigitsNet, IrisNet};
    use microprop::{Adam, Init, SoftmaxCrossEntropy};

    #[test]
    fn inspect_reads_the_parts_and_steps() {
        let mut net = IrisNet::ZERO;
        net.init(Init::Xavier, &mut microprop::init::seeded(1));
        let model = Model::new(net);
        let blob = model_blob(&model).unwrap();
        let c = inspect(&blob).unwrap();
        assert_eq!(c.architecture.to_string(), "4-16-3");
        assert_eq!(c.parameters, 4 * 16 + 16 + 16 * 3 + 3);
        assert!(c.is_model() && c.optimizer.is_none());
        assert_eq!(c.builtin(), Some(Builtin::Iris));

        let mut trainer = Box::new(Trainer::<IrisNet, _, _, 4>::new(
            SoftmaxCrossEntropy,
            Adam::PYTORCH,
        ));
        trainer.set_steps(42);
        let blob = training_blob(&net, &trainer).unwrap();
        let c = inspect(&blob).unwrap();
        assert_eq!(c.optimizer, Some((2 * 131, 42)));
        assert!(!c.is_model());
        assert!(c.to_string().contains("step 42"), "{c}");
    }

    #[test]
    fn another_models_checkpoint_names_both_shapes_and_the_fitting_model() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("digits.mpck");
        let blob = model_blob(&Model::new(DigitsNet::ZERO)).unwrap();
        write_atomic(&path, &blob).unwrap();
        let err = load_model::<IrisNet>(&path, Builtin::Iris)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("checkpoint is for 64-32-10, model is 4-16-3")
                && err.contains("--model digits"),
            "{err}"
        );
        assert_eq!(identify(&path).unwrap(), Builtin::Digits);
        let mut damaged = blob.clone();
        damaged[40] ^= 1;
        write_atomic(&path, &damaged).unwrap();
        let err = identify(&path).unwrap_err().to_string();
        assert!(err.contains("checkpoint is corrupted: CRC-32"), "{err}");
    }
}
