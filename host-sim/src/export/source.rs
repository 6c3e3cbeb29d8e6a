//! The Rust source of a built-in model's checkpoint (`export --model`):
//! the checkpoint loaded into the model's type, then written by the same
//! generator as any other shape ([`super::rust`]), with both normalisers,
//! so it ends in `MODEL`.

use std::path::Path;

use anyhow::Result;
use microprop::dynamic::LayerSpec;
use microprop::{AcceptsActivation, Layer, Model};

use super::rust;
use crate::anyshape::Trained;
use crate::models::checkpoints;
use crate::models::{Builtin, ModelVisitor, Task};

/// Generated source and what it holds.
pub(super) struct Generated {
    /// The Rust source.
    pub(super) text: String,
    /// `size_of::<Model<N>>()`.
    pub(super) const_bytes: usize,
    /// Parameters of the network.
    pub(super) parameters: usize,
}

/// The source `export` writes for the model checkpoint at `path` (the
/// round-trip test compares it with a committed file).
///
/// # Errors
/// If the checkpoint can't be read or loaded into `model`'s type (it is for
/// another model), or a value is not finite.
pub fn source_for(model: Builtin, path: &Path) -> Result<String> {
    generate(model, path).map(|g| g.text)
}

/// The source for the model checkpoint at `path`, and what it holds.
///
/// # Errors
/// If the checkpoint can't be read or loaded into `model`'s type (it is for
/// another model), or a value is not finite.
pub(super) fn generate(model: Builtin, path: &Path) -> Result<Generated> {
    struct Visit<'a>(&'a Path);
    impl ModelVisitor for Visit<'_> {
        type Output = Result<Generated>;
        fn visit<N, L, const D: usize, const O: usize>(self, model: Builtin) -> Self::Output
        where
            N: Layer<Input = [f32; D], Output = [f32; O]> + Clone + 'static,
            L: Task<O> + AcceptsActivation<N::OutputActivation>,
        {
            let (loaded, _) = checkpoints::load_model::<N>(self.0, model)?;
            let file = self.0.file_name().map_or_else(
                || self.0.display().to_string(),
                |f| f.to_string_lossy().into_owned(),
            );
            let origin = format!(
                "`microprop-sim export --model {}` from {file}",
                model.name()
            );
            Ok(Generated {
                text: rust_source(&loaded, &model.label(), &origin)?,
                const_bytes: size_of::<Model<N>>(),
                parameters: N::LEN,
            })
        }
    }
    model.visit(Visit(path))
}

/// Rust source for `model`: the layers' consts (`LAYER_0`, ...), the
/// network type `Net`, the network `NET` and `MODEL` with the
/// normalisers. `label` and `origin` go into the header comment.
///
/// # Errors
/// If a value is not finite.
pub fn rust_source<N, const D: usize, const O: usize>(
    model: &Model<N>,
    label: &str,
    origin: &str,
) -> Result<String>
where
    N: Layer<Input = [f32; D], Output = [f32; O]>,
{
    let mut layers = Vec::new();
    model.net.visit_shapes(0, &mut |s| {
        layers.push(LayerSpec {
            units: s.outputs,
            activation: s.activation,
            parameter: s.activation_parameter,
            pieces: s.pieces,
        });
    });
    let params = model.net.slices().flatten().copied().collect();
    let net = Trained::new(D, layers, params)?
        .with_scaling(Some((&model.input).into()), Some((&model.target).into()))?;
    rust::source(&net, label, origin)
}
