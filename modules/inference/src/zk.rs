//! The chain's side of deai-zk (verifier-only build): a model's statement layout, the check
//! of a verifying key at registration, the request binding, and the per-node cache of
//! prepared verifiers.
//!
//! **Request binding.** A proof answers exactly one (request, server) pair: its request
//! public input must be `deai_zk::request_binding(context)` with
//! `context = "<chain-id>/inference/<request id>/<server bech32>"` (UTF-8), so a proof made
//! for one request, or by another server, does not verify for another. The worker proves
//! with the same string (`deai-worker prove --request <context>`).
//!
//! **Cache.** Decoding a key (a square root and a subgroup check per point) dominates
//! verification for keys with many inputs, so each node keeps up to [`CACHE_CAPACITY`]
//! prepared verifiers, keyed by model id and the sha256 of the key bytes. It is only a
//! cache: a miss rebuilds the verifier from the stored key, no state and no gas depend on
//! it (the key is read, and gas charged, on every verification).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use deai_proto::inference::v1::{
    self as pb, IoEncoding as PbEncoding, OutputKind as PbOutput, ZkMode,
};
use deai_zk::verifier::PreparedVerifier;
use deai_zk::{CircuitLayout, IoEncoding, Mode, OutputKind, Statement, ZkError};
use sha2::{Digest, Sha256};

use crate::error::InferenceError;

/// Most prepared verifiers a node keeps in memory.
pub const CACHE_CAPACITY: usize = 256;

type Cache = Mutex<BTreeMap<u64, ([u8; 32], Arc<PreparedVerifier>)>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(BTreeMap::new()))
}

fn bad_model(msg: impl Into<String>) -> InferenceError {
    InferenceError::InvalidModel(msg.into())
}

/// The statement layout of a model with a verifying key (deai-zk's `CircuitLayout`), built
/// from the record: mode from `zk_mode`, input count from the architecture, input range and
/// scale from the model, the rest from `circuit`.
pub fn layout_of(m: &pb::Model) -> Result<CircuitLayout, InferenceError> {
    let mode = match ZkMode::try_from(m.zk_mode) {
        Ok(ZkMode::Public) => Mode::Public,
        Ok(ZkMode::Private) => Mode::Private,
        Ok(ZkMode::None) => return Err(InferenceError::ModelHasNoKey(m.id)),
        _ => return Err(bad_model("unknown zk_mode")),
    };
    let c = m
        .circuit
        .as_ref()
        .ok_or_else(|| bad_model("circuit is required unless zk_mode is none"))?;
    let output = match PbOutput::try_from(c.output) {
        Ok(PbOutput::Logits) => OutputKind::Logits,
        Ok(PbOutput::Argmax) => OutputKind::Argmax,
        _ => return Err(bad_model("circuit.output must be logits or argmax")),
    };
    let encoding = match PbEncoding::try_from(c.encoding) {
        Ok(PbEncoding::Plain) => IoEncoding::Plain,
        Ok(PbEncoding::Packed) => IoEncoding::Packed,
        _ => return Err(bad_model("circuit.encoding must be plain or packed")),
    };
    let n_inputs = *m
        .architecture
        .first()
        .ok_or_else(|| bad_model("empty architecture"))? as usize;
    let n_logits = *m.architecture.last().unwrap_or(&0) as usize;
    if c.logit_bounds.len() != n_logits {
        return Err(bad_model(format!(
            "circuit has {} logit bounds, the architecture {n_logits} outputs",
            c.logit_bounds.len()
        )));
    }
    let commitment = match mode {
        Mode::Private => {
            deai_zk::field::fr_from_bytes(&m.weight_commitment)
                .map_err(|e| bad_model(format!("weight_commitment: {e}")))?;
            Some(hex::encode(&m.weight_commitment))
        }
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
    layout.validate().map_err(|e| bad_model(e.to_string()))?;
    Ok(layout)
}

/// Decodes a verifying key (canonical, subgroup-checked) and checks that it takes exactly the
/// public inputs of the model's statement layout.
pub fn check_key(layout: &CircuitLayout, vk: &[u8]) -> Result<PreparedVerifier, InferenceError> {
    let pv = PreparedVerifier::from_bytes(vk)
        .map_err(|e| InferenceError::InvalidVerifyingKey(e.to_string()))?;
    if pv.n_public_inputs() != layout.n_public_inputs() {
        return Err(InferenceError::KeyMismatch(format!(
            "the key takes {} public inputs, the model's statement has {}",
            pv.n_public_inputs(),
            layout.n_public_inputs()
        )));
    }
    Ok(pv)
}

/// The binding context of a request answered by `server` (see the module docs).
pub fn request_context(chain_id: &str, request_id: u64, server: &str) -> String {
    format!("{chain_id}/inference/{request_id}/{server}")
}

/// The prepared verifier of a model's key: from the cache when it holds this exact key,
/// else decoded (and cached).
pub fn prepared(
    model_id: u64,
    layout: &CircuitLayout,
    vk: &[u8],
) -> Result<Arc<PreparedVerifier>, InferenceError> {
    let digest: [u8; 32] = Sha256::digest(vk).into();
    {
        let guard = cache().lock().unwrap_or_else(|e| e.into_inner());
        if let Some((d, pv)) = guard.get(&model_id) {
            if *d == digest {
                return Ok(pv.clone());
            }
        }
    }
    let pv = Arc::new(check_key(layout, vk)?);
    remember(model_id, digest, pv.clone());
    Ok(pv)
}

/// Puts a prepared verifier in the cache, evicting another when full.
pub(crate) fn remember(model_id: u64, digest: [u8; 32], pv: Arc<PreparedVerifier>) {
    let mut guard = cache().lock().unwrap_or_else(|e| e.into_inner());
    if guard.len() >= CACHE_CAPACITY && !guard.contains_key(&model_id) {
        if let Some(first) = guard.keys().next().copied() {
            guard.remove(&first);
        }
    }
    guard.insert(model_id, (digest, pv));
}

/// Checks an output against the layout (count and declared ranges), for a clear error
/// before any pairing.
pub fn check_output(layout: &CircuitLayout, output: &[i64]) -> Result<(), InferenceError> {
    let ranges = layout.output_ranges();
    if output.len() != ranges.len() {
        return Err(InferenceError::InvalidOutput(format!(
            "{} values, the model answers {}",
            output.len(),
            ranges.len()
        )));
    }
    for (i, (v, (lo, hi))) in output.iter().zip(&ranges).enumerate() {
        if v < lo || v > hi {
            return Err(InferenceError::InvalidOutput(format!(
                "output[{i}] = {v} outside [{lo}, {hi}]"
            )));
        }
    }
    Ok(())
}

/// Verifies `proof` of `output` for the request's own input and binding. The statement is
/// built by the chain (registered commitment, the request's binding and input, the claimed
/// output): the prover chooses only the output and the proof.
pub fn verify(
    pv: &PreparedVerifier,
    layout: &CircuitLayout,
    context: &str,
    input: &[i64],
    output: &[i64],
    proof: &[u8],
) -> Result<(), InferenceError> {
    let commitment = layout
        .commitment_fr()
        .map_err(|e| InferenceError::InvalidModel(e.to_string()))?;
    let statement = Statement {
        commitment,
        request: deai_zk::request_binding(context.as_bytes()),
        input: input.to_vec(),
        output: output.to_vec(),
    };
    pv.verify_statement(layout, &statement, proof)
        .map_err(|e| match e {
            ZkError::Malformed { .. } => InferenceError::MalformedProof(e.to_string()),
            other => InferenceError::ProofRejected(other.to_string()),
        })
}

/// Drops a model's prepared verifier from the cache (tests and benchmarks measure cold
/// verification with it; the chain never needs it).
#[doc(hidden)]
pub fn forget(model_id: u64) {
    cache()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&model_id);
}

/// Whether a model has a verifying key (zk_mode public or private).
pub fn has_key(m: &pb::Model) -> bool {
    m.zk_mode == ZkMode::Public as i32 || m.zk_mode == ZkMode::Private as i32
}

/// Checks a non-zk answer's shape: a keyed model's layout (count and declared ranges, so
/// that a proof of it can exist), else one logit per output of the architecture.
pub fn check_answer(m: &pb::Model, output: &[i64]) -> Result<(), InferenceError> {
    if has_key(m) {
        return check_output(&layout_of(m)?, output);
    }
    let n = *m.architecture.last().unwrap_or(&0) as usize;
    if output.len() != n {
        return Err(InferenceError::InvalidOutput(format!(
            "{} values, the model answers {n}",
            output.len()
        )));
    }
    Ok(())
}

/// What a model's answers carry, from its logits: `[argmax]` for a keyed argmax model
/// (the circuit's output), else the logits.
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
