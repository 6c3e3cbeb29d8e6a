//! The model file: a small versioned container of the JSON metadata and
//! the core checkpoint of the network.
//!
//! ```text
//! offset  size  field (integers little-endian)
//! 0       4     magic "MPSM"
//! 4       2     format version (1)
//! 6       2     reserved (0)
//! 8       4     metadata length M
//! 12      4     checkpoint length C
//! 16      M     metadata: UTF-8 JSON (features, label, task, classes,
//!               layers, input and target scaling, split, training)
//! 16+M    C     the core checkpoint of the network
//!               (`microprop::checkpoint::save_network`: layers and
//!               parameters, with its own CRC-32)
//! 16+M+C  32    SHA-256 of every byte before it
//! ```
//! Reading checks the magic, version, lengths and the SHA-256 before it
//! parses anything, so a truncated or damaged file is an error that says
//! so; then the metadata against the checkpoint (feature count, outputs,
//! layer list).

use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use microprop::ActivationKind;
use microprop::checkpoint;
use microprop::dynamic::{LayerSpec, Network};
use sha2::{Digest, Sha256};

use super::OwnModel;
use super::meta::Metadata;
use crate::data::files::write_atomic;

/// First four bytes of a model file.
pub const MAGIC: [u8; 4] = *b"MPSM";
/// The format version written and read.
pub const VERSION: u16 = 1;
const HEADER: usize = 16;
const DIGEST: usize = 32;

/// Whether `path` starts with [`MAGIC`] (a model of any shape, not a
/// built-in model's checkpoint).
pub fn is_model_file(path: &Path) -> bool {
    use std::io::Read;
    let mut start = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut start))
        .is_ok()
        && start == MAGIC
}

/// The bytes of `model`'s file.
///
/// # Errors
/// If the model is malformed (its layer list or parameter count).
pub fn encode(model: &OwnModel) -> Result<Vec<u8>> {
    let meta = serde_json::to_vec_pretty(&Metadata::of(model))?;
    let mut params = model.params.clone();
    let net = Network::new(model.topology()?, &mut params).map_err(|e| anyhow!("{e}"))?;
    let mut blob = vec![0u8; checkpoint::network_len(&net.topology(), None)];
    let len = checkpoint::save_network(&net, &mut blob).map_err(|e| anyhow!("{e}"))?;
    blob.truncate(len);
    let mut out = Vec::with_capacity(HEADER + meta.len() + blob.len() + DIGEST);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&u32::try_from(meta.len())?.to_le_bytes());
    out.extend_from_slice(&u32::try_from(blob.len())?.to_le_bytes());
    out.extend_from_slice(&meta);
    out.extend_from_slice(&blob);
    let digest = Sha256::digest(&out);
    out.extend_from_slice(&digest);
    Ok(out)
}

/// The core checkpoint inside a model file's bytes.
///
/// # Errors
/// As [`decode`]'s envelope checks.
pub fn checkpoint_blob(bytes: &[u8]) -> Result<&[u8]> {
    let (_, blob) = envelope(bytes)?;
    Ok(blob)
}

fn u32_at(bytes: &[u8], at: usize) -> usize {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b) as usize
}

/// The metadata and checkpoint parts, after the envelope checks.
fn envelope(bytes: &[u8]) -> Result<(&[u8], &[u8])> {
    if bytes.len() < 4 || bytes[..4] != MAGIC {
        bail!("not a microprop-sim model file (it does not start with \"MPSM\")");
    }
    if bytes.len() < HEADER + DIGEST {
        bail!(
            "truncated: {} bytes, shorter than the {}-byte header and digest",
            bytes.len(),
            HEADER + DIGEST
        );
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != VERSION {
        bail!("format version {version}, this build reads version {VERSION}");
    }
    let (meta_len, blob_len) = (u32_at(bytes, 8), u32_at(bytes, 12));
    let total = HEADER + meta_len + blob_len + DIGEST;
    if bytes.len() < total {
        bail!(
            "truncated: the header announces {total} bytes, the file has {}",
            bytes.len()
        );
    }
    if bytes.len() > total {
        bail!(
            "{} bytes after the end the header announces ({total} bytes)",
            bytes.len() - total
        );
    }
    let body = &bytes[..total - DIGEST];
    if Sha256::digest(body).as_slice() != &bytes[total - DIGEST..] {
        bail!("corrupted: the SHA-256 of the contents does not match the one stored");
    }
    Ok((&body[HEADER..HEADER + meta_len], &body[HEADER + meta_len..]))
}

/// The model in a model file's bytes.
///
/// # Errors
/// A truncated or damaged file, metadata that are not the expected JSON,
/// a core checkpoint that does not load, or metadata that contradict it.
pub fn decode(bytes: &[u8]) -> Result<OwnModel> {
    let (meta, blob) = envelope(bytes)?;
    let meta: Metadata =
        serde_json::from_slice(meta).map_err(|e| anyhow!("malformed metadata: {e}"))?;
    let mut layers = vec![LayerSpec::dense(1, ActivationKind::Identity); 256];
    let (inputs, depth) = checkpoint::layers(blob, &mut layers)
        .map_err(|e| anyhow!("the network's checkpoint: {e}"))?;
    layers.truncate(depth);
    if inputs != meta.features.len() {
        bail!(
            "the metadata name {} features, the network takes {inputs} inputs",
            meta.features.len()
        );
    }
    let topology = super::topology(inputs, &layers)?;
    let mut params = vec![0.0; topology.params_len()];
    let mut net = Network::new(topology, &mut params).map_err(|e| anyhow!("{e}"))?;
    checkpoint::load_network(&mut net, blob)
        .map_err(|e| anyhow!("the network's checkpoint: {e}"))?;
    meta.into_model(layers, params)
}

/// Writes `model` to `path` (through a temporary file and a rename);
/// returns the bytes written.
///
/// # Errors
/// If the model is malformed or the file can't be written.
pub fn write_model(path: &Path, model: &OwnModel) -> Result<usize> {
    let bytes = encode(model)?;
    write_atomic(path, &bytes)?;
    Ok(bytes.len())
}

/// Reads the model file at `path`.
///
/// # Errors
/// If it can't be read, or as [`decode`]; the message names the file.
pub fn read_model(path: &Path) -> Result<OwnModel> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    decode(&bytes).map_err(|e| anyhow!("{}: {e:#}", path.display()))
}
