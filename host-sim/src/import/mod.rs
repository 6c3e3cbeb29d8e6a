//! The `import` command: a PyTorch model as a microprop checkpoint.
//!
//! It reads the `state_dict` of an `nn.Sequential` of `Linear` layers and
//! activations, saved with safetensors ([`state_dict`]), checks every
//! tensor against the layer list `--layers` gives (PyTorch does not store
//! its activations), transposes each `weight[out][in]` to microprop's
//! `w[in][out]` ([`convert`]) and writes a core checkpoint
//! ([`microprop::checkpoint::save_network`]) through a temporary file and
//! a rename. Everything is checked before the file is written, so a
//! refused import writes nothing.
//!
//! ```text
//! torch.nn.Sequential(Linear(8, 32), ReLU(), Linear(32, 16), Tanh(), Linear(16, 3))
//! microprop-sim import model.safetensors --layers 32:relu,16:tanh,3:identity
//! ```

pub mod convert;
pub mod state_dict;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use clap::Args;

use crate::anyshape::Trained;
use crate::data::files::write_atomic;
use crate::options::LayerList;

/// What `import` is told.
#[derive(Debug, Clone, PartialEq, Args)]
#[command(
    after_help = "Example (PyTorch: Sequential(Linear(8, 32), ReLU(), Linear(32, 16), Tanh(), Linear(16, 3))):\n  \
    microprop-sim import model.safetensors --layers 32:relu,16:tanh,3:identity --out model.mpck"
)]
pub struct ImportOptions {
    /// The `state_dict` of a PyTorch `nn.Sequential` of `Linear` layers and
    /// activations, saved with `safetensors.torch.save_file`.
    #[arg(value_name = "SAFETENSORS")]
    pub file: PathBuf,
    /// The layers after the input, as `UNITS:ACTIVATION[:SETTING],...`
    /// (e.g. `32:relu,16:leaky_relu:0.01,3:identity`; activations:
    /// identity, sigmoid, tanh, relu, leaky_relu, elu, softmax): one per
    /// `Linear`, with the activation that follows it in the `Sequential`.
    #[arg(long, value_name = "LAYERS")]
    pub layers: LayerList,
    /// The checkpoint to write.
    #[arg(
        long,
        help = "The checkpoint to write [default: <SAFETENSORS stem>.mpck in the current directory]"
    )]
    pub out: Option<PathBuf>,
}

/// What `import` read and wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    /// The checkpoint written.
    pub checkpoint: PathBuf,
    /// The network in it.
    pub network: Trained,
    /// The `Linear` modules read, by key prefix (`0.`, `2.`, ...).
    pub modules: Vec<String>,
}

/// The network the safetensors file at `path` holds, shaped by `layers`.
///
/// # Errors
/// If the file can't be read, is not a safetensors file, or its tensors do
/// not fit `layers` (see [`state_dict::linear_layers`] and
/// [`convert::network`]); the message names the file.
pub fn read(path: &Path, layers: &LayerList) -> Result<(Trained, Vec<String>)> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let linear =
        state_dict::linear_layers(&bytes).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let net = convert::network(&linear, layers).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok((net, linear.into_iter().map(|l| l.prefix).collect()))
}

/// Imports as the CLI does, returning what it wrote.
///
/// # Errors
/// As [`read`]; if `--out` is the input file or can't be written.
pub fn import(options: &ImportOptions) -> Result<Imported> {
    let checkpoint = options.out.clone().unwrap_or_else(|| {
        let stem = options
            .file
            .file_stem()
            .map_or_else(|| "model".into(), |s| s.to_string_lossy().into_owned());
        PathBuf::from(format!("{stem}.mpck"))
    });
    if same_file(&checkpoint, &options.file) {
        bail!("--out {} is the file being imported", checkpoint.display());
    }
    let (network, modules) = read(&options.file, &options.layers)?;
    write_atomic(&checkpoint, &network.to_checkpoint()?)?;
    Ok(Imported {
        checkpoint,
        network,
        modules,
    })
}

/// Whether two paths name one existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The text `import` prints about what it did.
pub fn describe(i: &Imported) -> String {
    let layers = LayerList(i.network.layers().to_vec());
    format!(
        "read {} Linear layers ({}): {} inputs, --layers {layers}\n\
         wrote {} (microprop checkpoint, {}: {} parameters)\n\
         next: `microprop-sim export {}` for Rust and C sources",
        i.modules.len(),
        i.modules
            .iter()
            .map(|p| format!("{p}weight"))
            .collect::<Vec<_>>()
            .join(", "),
        i.network.inputs(),
        i.checkpoint.display(),
        i.network.architecture(),
        i.network.params().len(),
        i.checkpoint.display(),
    )
}

/// Runs `import` as the CLI does: writes the checkpoint and says what it
/// holds on stdout.
///
/// # Errors
/// As [`import`]; nothing is written then.
pub fn command(options: &ImportOptions) -> Result<()> {
    outln!("{}", describe(&import(options)?))?;
    Ok(())
}
