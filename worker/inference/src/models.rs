//! The model directory of an inference server and the checks that tie each model to the
//! chain's record before it is served.
//!
//! Layout (`--model-dir DIR`): one subdirectory per chain model, named by its id:
//!
//! ```text
//! DIR/<model_id>/model.safetensors   the float weights given to zk-setup
//! DIR/<model_id>/keys/               the key directory zk-setup wrote (proving_key.bin,
//!                                    verifying_key.bin, circuit.json, zk-setup.json)
//! ```
//!
//! A model registered without a key (`zk_mode` none: optimistic and redundant requests only)
//! may instead be held as its canonical quantized encoding alone:
//!
//! ```text
//! DIR/<model_id>/model.quantized     deai.quantized_mlp.v1 (`model-info --quantized-out`)
//! ```
//!
//! Other entries are ignored. A model is served only if everything agrees with the chain's
//! record (see [`LocalModel::check`]): the verifying key bytes and the statement layout (a
//! keyed model), the architecture and input range, `quantized_weights_sha256` (the sha256
//! of [`quantized_encoding`]) and `weights_sha256` (the canonical weight digest or the
//! file's sha256, when the float weights are held).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use deai_proto::inference::v1::{
    self as pb, IoEncoding as PbEncoding, OutputKind as PbOutput, ZkMode,
};
use deai_zk::prover::{self, Keys};
use deai_zk::{CircuitLayout, IoEncoding, Mode, OutputKind, QuantizedModel};
use sha2::{Digest as _, Sha256};

use crate::keydir::{quantize_for_keys, read_weights};

pub const WEIGHTS_FILE: &str = "model.safetensors";
pub const KEYS_DIR: &str = "keys";
pub const QUANTIZED_FILE: &str = "model.quantized";

/// Domain tag of [`quantized_encoding`].
pub use deai_zk::QUANTIZED_DOMAIN;

/// The canonical byte encoding of a quantized model (`deai.quantized_mlp.v1`, deai-zk's
/// [`QuantizedModel::canonical_bytes`], the one implementation the chain also decodes),
/// whose sha256 is a model's `quantized_weights_sha256`.
pub fn quantized_encoding(m: &QuantizedModel) -> Vec<u8> {
    m.canonical_bytes()
}

/// `quantized_weights_sha256` of a model.
pub fn quantized_sha256(m: &QuantizedModel) -> [u8; 32] {
    Sha256::digest(quantized_encoding(m)).into()
}

/// Layer widths, input first (`[64, 32, 10]`), as the chain's `architecture`.
pub fn architecture(m: &QuantizedModel) -> Vec<u32> {
    std::iter::once(m.n_inputs())
        .chain(m.layers.iter().map(|l| l.n_out))
        .map(|n| n as u32)
        .collect()
}

/// The statement layout a chain model record describes (as the inference module builds it
/// to verify: mode from `zk_mode`, input count from the architecture, input range and scale
/// from the record, output kind, encoding and logit bounds from `circuit`).
pub fn layout_of(m: &pb::Model) -> anyhow::Result<CircuitLayout> {
    let mode = match ZkMode::try_from(m.zk_mode) {
        Ok(ZkMode::Public) => Mode::Public,
        Ok(ZkMode::Private) => Mode::Private,
        _ => bail!("model {} has no zk key (zk_mode {})", m.id, m.zk_mode),
    };
    let c = m
        .circuit
        .as_ref()
        .with_context(|| format!("model {} has no circuit layout", m.id))?;
    let output = match PbOutput::try_from(c.output) {
        Ok(PbOutput::Logits) => OutputKind::Logits,
        Ok(PbOutput::Argmax) => OutputKind::Argmax,
        _ => bail!("model {}: unknown circuit output {}", m.id, c.output),
    };
    let encoding = match PbEncoding::try_from(c.encoding) {
        Ok(PbEncoding::Plain) => IoEncoding::Plain,
        Ok(PbEncoding::Packed) => IoEncoding::Packed,
        _ => bail!("model {}: unknown circuit encoding {}", m.id, c.encoding),
    };
    let n_inputs =
        *m.architecture
            .first()
            .with_context(|| format!("model {}: empty architecture", m.id))? as usize;
    let commitment = match mode {
        Mode::Private => Some(hex::encode(&m.weight_commitment)),
        Mode::Public => None,
    };
    let layout = CircuitLayout {
        mode,
        output,
        encoding,
        n_inputs,
        input_min: m.input_min,
        input_max: m.input_max,
        input_frac_bits: m.input_frac_bits,
        logit_bounds: c.logit_bounds.iter().map(|b| (b.lo, b.hi)).collect(),
        commitment,
    };
    layout
        .validate()
        .with_context(|| format!("model {}", m.id))?;
    Ok(layout)
}

/// One model of the model directory, read and quantized (not yet checked against the
/// chain).
pub struct LocalModel {
    pub id: u64,
    pub dir: PathBuf,
    pub model: QuantizedModel,
    /// The proving keys and their verifying key bytes (`None`: a keyless model held as
    /// `model.quantized`).
    pub zk: Option<ZkKeys>,
    /// Canonical weight digest and file sha256 of `model.safetensors` (zeros when only
    /// `model.quantized` is held).
    pub weights_canonical: [u8; 32],
    pub weights_file: [u8; 32],
}

/// zk-setup's keys of a model.
pub struct ZkKeys {
    pub keys: Keys,
    pub vk: Vec<u8>,
}

impl LocalModel {
    /// Reads `dir` (`model.safetensors` and `keys/`) as model `id`.
    pub fn read(id: u64, dir: &Path) -> anyhow::Result<LocalModel> {
        let quantized_path = dir.join(QUANTIZED_FILE);
        if !dir.join(KEYS_DIR).exists() && quantized_path.is_file() {
            let bytes = std::fs::read(&quantized_path)
                .with_context(|| format!("{}", quantized_path.display()))?;
            let model =
                QuantizedModel::from_canonical_bytes(&bytes, deai_zk::DecodeLimits::default())
                    .with_context(|| format!("{}", quantized_path.display()))?;
            return Ok(LocalModel {
                id,
                dir: dir.into(),
                model,
                zk: None,
                weights_canonical: [0; 32],
                weights_file: [0; 32],
            });
        }
        let weights_path = dir.join(WEIGHTS_FILE);
        let keys_dir = dir.join(KEYS_DIR);
        let w = read_weights(&weights_path)?;
        let model = quantize_for_keys(&w, &weights_path, &keys_dir)?;
        let keys = Keys::read_dir(&keys_dir)
            .with_context(|| format!("key directory {}", keys_dir.display()))?;
        let vk = prover::read_vk_bytes(&keys_dir)
            .with_context(|| format!("key directory {}", keys_dir.display()))?;
        let (layout, _) = prover::layout(&model, spec_of(&keys.layout))?;
        if layout != keys.layout {
            bail!(
                "{}: the weights do not match the keys' circuit layout",
                dir.display()
            );
        }
        Ok(LocalModel {
            id,
            dir: dir.into(),
            model,
            zk: Some(ZkKeys { keys, vk }),
            weights_canonical: w.canonical.0,
            weights_file: w.file.0,
        })
    }

    /// Checks the model against the chain's record of model `id`: the same verifying key,
    /// statement layout, architecture, quantized weights and float weights.
    pub fn check(&self, chain: &pb::Model) -> anyhow::Result<()> {
        if chain.id != self.id {
            bail!("the chain answered model {} for {}", chain.id, self.id);
        }
        if has_key(chain) {
            let Some(zk) = &self.zk else {
                bail!(
                    "model {} has a verifying key on chain; {} holds no keys/ to prove with",
                    self.id,
                    self.dir.display()
                );
            };
            if chain.verifying_key != zk.vk {
                bail!(
                    "keys/verifying_key.bin is not the key registered for model {} (sha256 {} on chain, {} here)",
                    self.id,
                    hex::encode(Sha256::digest(&chain.verifying_key)),
                    hex::encode(Sha256::digest(&zk.vk))
                );
            }
            let layout = layout_of(chain)?;
            if layout != zk.keys.layout {
                bail!(
                    "keys/circuit.json does not describe the statement registered for model {}",
                    self.id
                );
            }
        } else if chain.input_min != self.model.input_min || chain.input_max != self.model.input_max
        {
            bail!(
                "model {} takes inputs in [{}, {}] on chain, the quantized model [{}, {}]",
                self.id,
                chain.input_min,
                chain.input_max,
                self.model.input_min,
                self.model.input_max
            );
        }
        let arch = architecture(&self.model);
        if chain.architecture != arch {
            bail!(
                "model {} has architecture {:?} on chain, the weights {:?}",
                self.id,
                chain.architecture,
                arch
            );
        }
        let q = quantized_sha256(&self.model);
        if chain.quantized_weights_sha256 != q {
            bail!(
                "model {}: quantized_weights_sha256 is {} on chain, the quantized weights hash to {}",
                self.id,
                hex::encode(&chain.quantized_weights_sha256),
                hex::encode(q)
            );
        }
        if self.zk.is_some()
            && chain.weights_sha256 != self.weights_canonical
            && chain.weights_sha256 != self.weights_file
        {
            bail!(
                "model {}: weights_sha256 is {} on chain; model.safetensors has canonical digest {} and file sha256 {}",
                self.id,
                hex::encode(&chain.weights_sha256),
                hex::encode(self.weights_canonical),
                hex::encode(self.weights_file)
            );
        }
        Ok(())
    }

    /// The answer the chain expects for `input`: deai-zk's integer reference inference,
    /// `[argmax]` for a keyed argmax model (the module's `answer_of`), else the logits.
    pub fn answer(&self, chain: &pb::Model, input: &[i64]) -> anyhow::Result<Vec<i64>> {
        let logits = self.model.infer(input)?;
        Ok(answer_of(chain, logits))
    }

    /// The canonical quantized weights a `MsgAdjudicate` carries.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        quantized_encoding(&self.model)
    }

    /// What a `MsgRegisterModel` for these files carries (all but owner, name and price).
    /// A keyless model: `zk_mode` none.
    pub fn registration(&self) -> pb::MsgRegisterModel {
        let Some(zk) = &self.zk else {
            return pb::MsgRegisterModel {
                architecture: architecture(&self.model),
                quantized_weights_sha256: quantized_sha256(&self.model).to_vec(),
                zk_mode: ZkMode::None as i32,
                input_min: self.model.input_min,
                input_max: self.model.input_max,
                input_frac_bits: self.model.input_frac_bits,
                ..Default::default()
            };
        };
        let l = &zk.keys.layout;
        pb::MsgRegisterModel {
            architecture: architecture(&self.model),
            weights_sha256: self.weights_canonical.to_vec(),
            quantized_weights_sha256: quantized_sha256(&self.model).to_vec(),
            zk_mode: match l.mode {
                Mode::Public => ZkMode::Public,
                Mode::Private => ZkMode::Private,
            } as i32,
            verifying_key: zk.vk.clone(),
            weight_commitment: l
                .commitment
                .as_deref()
                .map(hex::decode)
                .transpose()
                .unwrap_or_default()
                .unwrap_or_default(),
            input_min: l.input_min,
            input_max: l.input_max,
            input_frac_bits: l.input_frac_bits,
            circuit: Some(pb::CircuitLayout {
                output: match l.output {
                    OutputKind::Logits => PbOutput::Logits,
                    OutputKind::Argmax => PbOutput::Argmax,
                } as i32,
                encoding: match l.encoding {
                    IoEncoding::Plain => PbEncoding::Plain,
                    IoEncoding::Packed => PbEncoding::Packed,
                } as i32,
                logit_bounds: l
                    .logit_bounds
                    .iter()
                    .map(|&(lo, hi)| pb::LogitBound { lo, hi })
                    .collect(),
            }),
            ..Default::default()
        }
    }
}

/// Whether a chain model has a verifying key (`zk_mode` public or private).
pub fn has_key(m: &pb::Model) -> bool {
    m.zk_mode == ZkMode::Public as i32 || m.zk_mode == ZkMode::Private as i32
}

/// What an answer carries, from the logits, as the inference module's `answer_of`:
/// `[argmax]` for a keyed argmax model, else the logits.
pub fn answer_of(m: &pb::Model, logits: Vec<i64>) -> Vec<i64> {
    let argmax = has_key(m)
        && m.circuit
            .as_ref()
            .is_some_and(|c| c.output == PbOutput::Argmax as i32);
    if argmax {
        vec![deai_zk::argmax(&logits) as i64]
    } else {
        logits
    }
}

fn spec_of(l: &CircuitLayout) -> deai_zk::circuit::CircuitSpec {
    deai_zk::circuit::CircuitSpec {
        mode: l.mode,
        output: l.output,
        encoding: l.encoding,
    }
}

/// The model directories under `dir`: subdirectories whose name is a model id (a decimal
/// number), by id. Other entries are skipped.
pub fn model_dirs(dir: &Path) -> anyhow::Result<BTreeMap<u64, PathBuf>> {
    let mut out = BTreeMap::new();
    let entries = std::fs::read_dir(dir).with_context(|| format!("model dir {}", dir.display()))?;
    for e in entries {
        let e = e.with_context(|| format!("model dir {}", dir.display()))?;
        let Some(name) = e.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let Ok(id) = name.parse::<u64>() else {
            continue;
        };
        if name != id.to_string() || !e.path().is_dir() {
            continue;
        }
        out.insert(id, e.path());
    }
    Ok(out)
}
