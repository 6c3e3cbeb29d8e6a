//! The `Linear` layers of a PyTorch `nn.Sequential`'s `state_dict`, read
//! from a safetensors file.
//!
//! `nn.Sequential` names its modules by position, so the state_dict of
//! `Sequential(Linear(8, 32), ReLU(), Linear(32, 3))` holds `0.weight`
//! (`[32, 8]`), `0.bias` (`[32]`), `2.weight` and `2.bias`: activations
//! have no parameters and leave gaps. A common prefix (`model.0.weight`
//! from a `Sequential` kept in an attribute) is allowed. Every key must be
//! the weight or bias of such a module, every tensor float32 of the rank
//! a `Linear` has (weight `[out, in]`, bias `[out]`), and every value
//! finite; the layers come out in the order of their module index.

use std::collections::BTreeMap;

use anyhow::{Context, Result, anyhow, bail};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

/// One `nn.Linear`'s parameters as PyTorch stores them.
#[derive(Debug, Clone, PartialEq)]
pub struct Linear {
    /// The key prefix, e.g. `2.` or `model.2.` (`<prefix>weight`).
    pub prefix: String,
    /// Output width (`weight.shape[0]`).
    pub outputs: usize,
    /// Input width (`weight.shape[1]`).
    pub inputs: usize,
    /// `weight[out][in]`, row-major.
    pub weight: Vec<f32>,
    /// `bias[out]`.
    pub bias: Vec<f32>,
}

/// A tensor of a `Linear` before its shape is checked against the layers.
struct Found<'a> {
    key: String,
    view: TensorView<'a>,
}

/// The `Linear` layers in the safetensors file `bytes`, in module order.
///
/// # Errors
/// If the bytes are not a safetensors file, hold no tensors, a key is not
/// `<index>.weight` / `<index>.bias` (with one common prefix), a module
/// lacks its weight or its bias, a tensor is not float32, has another rank
/// than a `Linear`'s, or a weight and its bias disagree on the output
/// width, or a value is not finite. The message names the key.
pub fn linear_layers(bytes: &[u8]) -> Result<Vec<Linear>> {
    let tensors =
        SafeTensors::deserialize(bytes).map_err(|e| anyhow!("not a safetensors file ({e})"))?;
    if tensors.is_empty() {
        bail!("the file holds no tensors");
    }
    // module index -> (weight, bias); one prefix for every key.
    let mut modules: BTreeMap<usize, (Option<Found<'_>>, Option<Found<'_>>)> = BTreeMap::new();
    let mut prefix: Option<String> = None;
    let mut names: Vec<&str> = tensors.names();
    names.sort_unstable();
    for name in names {
        let view = tensors
            .tensor(name)
            .with_context(|| format!("key {name}"))?;
        let (path, index, kind) = split_key(name)?;
        match &prefix {
            None => prefix = Some(path.to_string()),
            Some(p) if p != path => bail!(
                "key {name}: prefix {path:?} differs from {p:?} of the other keys \
                 (import reads one nn.Sequential)"
            ),
            Some(_) => {}
        }
        let slot = modules.entry(index).or_insert((None, None));
        let found = Some(Found {
            key: name.to_string(),
            view,
        });
        match kind {
            Kind::Weight => slot.0 = found,
            Kind::Bias => slot.1 = found,
        }
    }
    let prefix = prefix.unwrap_or_default();
    modules
        .into_iter()
        .map(|(index, pair)| linear(&format!("{prefix}{index}."), pair))
        .collect()
}

/// Whether a key names a weight or a bias.
enum Kind {
    Weight,
    Bias,
}

/// `model.2.weight` -> (`model.`, 2, weight).
fn split_key(name: &str) -> Result<(&str, usize, Kind)> {
    let shape_hint = "import reads the state_dict of an nn.Sequential of Linear layers and \
                      activations: keys <index>.weight and <index>.bias";
    let (module, param) = name
        .rsplit_once('.')
        .ok_or_else(|| anyhow!("key {name}: not a module's parameter ({shape_hint})"))?;
    let kind = match param {
        "weight" => Kind::Weight,
        "bias" => Kind::Bias,
        _ => bail!("key {name}: {param:?} is not a Linear layer's weight or bias ({shape_hint})"),
    };
    let (path, index) = match module.rsplit_once('.') {
        Some((path, index)) => (&name[..path.len() + 1], index),
        None => ("", module),
    };
    let index = index
        .parse()
        .map_err(|_| anyhow!("key {name}: {index:?} is not a module index ({shape_hint})"))?;
    Ok((path, index, kind))
}

/// One module's weight and bias, checked and read.
fn linear(prefix: &str, (weight, bias): (Option<Found<'_>>, Option<Found<'_>>)) -> Result<Linear> {
    let weight =
        weight.ok_or_else(|| anyhow!("missing key {prefix}weight (the file has {prefix}bias)"))?;
    let bias = bias.ok_or_else(|| {
        anyhow!(
            "missing key {prefix}bias: microprop's dense layers have biases \
             (a Linear made with bias=False can be saved with a zero bias)"
        )
    })?;
    let [outputs, inputs] = *weight.view.shape() else {
        bail!(
            "key {}: shape {:?}, expected [out, in] (a Linear weight)",
            weight.key,
            weight.view.shape()
        );
    };
    if bias.view.shape() != [outputs] {
        bail!(
            "key {}: shape {:?}, expected [{outputs}] (the output width of {})",
            bias.key,
            bias.view.shape(),
            weight.key
        );
    }
    Ok(Linear {
        prefix: prefix.to_string(),
        outputs,
        inputs,
        weight: floats(&weight)?,
        bias: floats(&bias)?,
    })
}

/// The tensor's values, little-endian float32, all finite.
fn floats(found: &Found<'_>) -> Result<Vec<f32>> {
    if found.view.dtype() != Dtype::F32 {
        bail!(
            "key {}: dtype {:?}, expected F32 (save the state_dict of model.float())",
            found.key,
            found.view.dtype()
        );
    }
    let values: Vec<f32> = found
        .view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        bail!("key {}: value {i} (flat) is {}", found.key, values[i]);
    }
    Ok(values)
}
