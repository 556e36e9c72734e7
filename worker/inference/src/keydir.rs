//! A zk key directory as `deai-worker zk-setup` writes it: deai-zk's key files
//! (`proving_key.bin`, `verifying_key.bin`, `circuit.json`) plus [`SETUP_FILE`], which
//! records how the float weights were quantized, so that whoever proves quantizes them
//! exactly as setup did and refuses other weights up front.

use std::path::Path;

use anyhow::{bail, Context};
use deai_worker_jobs::{canonical_digest, CanonicalTensor, Digest};
use deai_zk::quant::{self, FloatMlp, QuantConfig};
use deai_zk::QuantizedModel;
use serde::{Deserialize, Serialize};

/// Written into the key directory by `zk-setup`, read by `prove` and the inference server.
pub const SETUP_FILE: &str = "zk-setup.json";

/// How `zk-setup` quantized the model.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupRecord {
    /// Canonical weight digest (what `deai-worker hash --weights` prints).
    pub weights_sha256: Digest,
    pub quant: QuantConfig,
}

impl SetupRecord {
    pub fn read(keys: &Path) -> anyhow::Result<SetupRecord> {
        let path = keys.join(SETUP_FILE);
        let text = read_limited(&path, 1 << 20)?;
        serde_json::from_str(&text).with_context(|| format!("{}", path.display()))
    }
}

/// Reads a text file of at most `limit` bytes.
pub fn read_limited(path: &Path, limit: u64) -> anyhow::Result<String> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("{}", path.display()))?
        .len();
    if len > limit {
        bail!("{}: {len} bytes, limit {limit}", path.display());
    }
    std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))
}

/// Float weights read from a safetensors file, with their two digests.
pub struct FloatWeights {
    pub mlp: FloatMlp,
    /// The canonical weight digest (`deai.weights.v1`, as the engine and
    /// `deai-worker hash --weights` compute it).
    pub canonical: Digest,
    /// sha256 of the file's bytes.
    pub file: Digest,
}

/// Reads a worker weights file (F32 tensors, `fc0.weight`, `fc0.bias`, ...) as an MLP,
/// without libtorch. The canonical digest is the engine's (every tensor as `f32`).
pub fn read_weights(path: &Path) -> anyhow::Result<FloatWeights> {
    let bytes = std::fs::read(path).with_context(|| format!("{}", path.display()))?;
    let st = safetensors::SafeTensors::deserialize(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: not safetensors: {e:?}", path.display()))?;
    let tensors = st.tensors();
    let shapes: Vec<Vec<u64>> = tensors
        .iter()
        .map(|(_, v)| v.shape().iter().map(|&d| d as u64).collect())
        .collect();
    let mut items = Vec::with_capacity(tensors.len());
    for ((name, view), shape) in tensors.iter().zip(&shapes) {
        if view.dtype() != safetensors::Dtype::F32 {
            bail!(
                "{}: tensor {name:?} has dtype {:?}, expected F32",
                path.display(),
                view.dtype()
            );
        }
        items.push(CanonicalTensor {
            name,
            dtype: "f32",
            shape,
            data_le: view.data(),
        });
    }
    let canonical = canonical_digest(&mut items);
    let mlp = FloatMlp::from_safetensors(&bytes).with_context(|| format!("{}", path.display()))?;
    Ok(FloatWeights {
        mlp,
        canonical,
        file: Digest::of(&bytes),
    })
}

/// The quantized model of `weights` as the key directory's setup record says, refusing
/// weights other than the ones the keys were set up for.
pub fn quantize_for_keys(
    weights: &FloatWeights,
    weights_path: &Path,
    keys: &Path,
) -> anyhow::Result<QuantizedModel> {
    let record = SetupRecord::read(keys)?;
    if weights.canonical != record.weights_sha256 {
        bail!(
            "{}: weights {} are not the ones the keys in {} were set up for ({})",
            weights_path.display(),
            weights.canonical,
            keys.display(),
            record.weights_sha256
        );
    }
    quant::quantize(&weights.mlp, &record.quant)
        .with_context(|| format!("quantizing {}", weights_path.display()))
}
