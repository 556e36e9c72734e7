//! What deaid and the attestation sidecar (`deai-worker attest serve`) say to each other,
//! and the job specs both read. deaid POSTs an [`AttestRequest`] (JSON) to
//! `http://<sidecar>/v1/attest` at every ExtendVote and waits a few hundred milliseconds at
//! most; the sidecar answers at once with the results it has ([`AttestResponse`]) and
//! starts the jobs it has not run yet. A job the sidecar could not run (bad inputs, a
//! crash, a limit hit) is simply left out: it never attests a failure.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The sidecar's one endpoint.
pub const ATTEST_PATH: &str = "/v1/attest";

/// `kind` of a [`WireJob`] (the proto enum's short names).
pub const KIND_TASK_CODE: &str = "task_code";
pub const KIND_INFERENCE_REPLAY: &str = "inference_replay";
pub const KIND_COMPUTE_REPLAY: &str = "compute_replay";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestRequest {
    pub chain_id: String,
    /// The height being voted on.
    pub height: u64,
    /// The pending jobs, by id.
    pub jobs: Vec<WireJob>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireJob {
    pub id: u64,
    pub kind: String,
    /// The job's spec (JSON text of [`TaskCodeSpec`], [`InferenceReplaySpec`] or
    /// [`ComputeReplaySpec`]).
    pub spec: String,
    /// sha256 of `spec`'s bytes, lower-case hex; the sidecar checks it.
    pub spec_sha256: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestResponse {
    pub results: Vec<WireResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireResult {
    pub job_id: u64,
    /// 32 bytes, lower-case hex.
    pub result_hash: String,
}

/// A proposed task's code check: train `base_spec` (a worker job spec of kind "train",
/// JSON text, whose sha256 is `base_spec_sha256`) on the first `sample_rows` examples of the
/// dataset (`dataset_sha256`, fetched from `dataset_uri`), deterministically on CPU, and
/// hash the trained weights (the canonical weight digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskCodeSpec {
    pub base_spec: String,
    pub base_spec_sha256: String,
    pub dataset_sha256: String,
    pub dataset_uri: String,
    pub sample_rows: u32,
}

/// An inference re-run: the quantized model (deai-zk's canonical `deai.quantized_mlp.v1`
/// bytes, fetched by `quantized_weights_sha256` from the sidecar's artifact sources) on
/// `input`; the result is [`inference_output_hash`] of the integer output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InferenceReplaySpec {
    pub model_id: u64,
    pub architecture: Vec<u32>,
    pub quantized_weights_sha256: String,
    pub input: Vec<i64>,
}

/// A compute audit's segment re-run, as the market's referee would do it: the order's job
/// spec (`job_spec`, JSON text, sha256 `job_spec_sha256`) from checkpoint `segment`
/// (`start_checkpoint_sha256`, fetched by hash from the sidecar's artifact sources; empty
/// for segment 0, which starts from the spec's seeded initialisation) through checkpoint
/// `segment + 1`; the result is that checkpoint's hash, as `MsgSubmitAudit` carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComputeReplaySpec {
    pub order_id: u64,
    pub job_spec: String,
    pub job_spec_sha256: String,
    pub segment: u32,
    pub start_checkpoint_sha256: String,
}

pub const INFERENCE_OUTPUT_DOMAIN: &[u8] = b"deai/attest/inference-output/v1";

/// `sha256(domain ‖ len u32 BE ‖ each value i64 BE)`: the hash an inference replay attests,
/// which the chain compares with the hash of the server's posted output.
pub fn inference_output_hash(output: &[i64]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(INFERENCE_OUTPUT_DOMAIN);
    h.update(
        u32::try_from(output.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    for v in output {
        h.update(v.to_be_bytes());
    }
    h.finalize().into()
}

/// sha256 of a spec, lower-case hex.
pub fn spec_sha256_hex(spec: &[u8]) -> String {
    hex::encode(Sha256::digest(spec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_hash_depends_on_length_and_values() {
        assert_ne!(
            inference_output_hash(&[1, 2]),
            inference_output_hash(&[1, 2, 0])
        );
        assert_ne!(
            inference_output_hash(&[1, 2]),
            inference_output_hash(&[2, 1])
        );
        assert_eq!(inference_output_hash(&[7]), inference_output_hash(&[7]));
    }

    #[test]
    fn unknown_fields_are_refused() {
        let r: Result<AttestResponse, _> = serde_json::from_str(r#"{"results":[],"extra":1}"#);
        assert!(r.is_err());
    }
}
