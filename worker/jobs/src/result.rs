//! What a job writes: `result.json` for training, and the evaluate / infer reports.

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::spec::{JobSpec, Subset};

/// Version 2: checkpoint records carry their file's sha256 instead of a path, and the
/// weights are named by hash only (a verifier never follows a path from a result).
pub const RESULT_VERSION: u32 = 2;

/// Largest `result.json` a verifier reads (10,000 checkpoint records take about 2.5 MB).
pub const MAX_RESULT_BYTES: usize = 16 << 20;

/// `result.json` of a training job: everything a verifier needs to audit it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TrainResult {
    pub version: u32,
    pub spec_sha256: Digest,
    /// The spec itself, so that replay needs nothing but this file and the checkpoints.
    pub spec: JobSpec,
    pub datasets: Vec<DatasetRecord>,
    pub device: DeviceRecord,
    pub worker_version: String,
    pub libtorch_version: String,
    pub steps: u64,
    pub steps_per_epoch: u64,
    pub checkpoints: Vec<CheckpointRecord>,
    /// Canonical digest of the final weights (see `digest::canonical_digest`).
    pub final_weights_sha256: Digest,
    /// sha256 of the weights file's bytes: its address in an artifact store.
    pub weights_file_sha256: Digest,
    pub metrics: Metrics,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DatasetRecord {
    pub role: String,
    pub sha256: Digest,
    pub rows: u64,
    pub train_rows: u64,
    pub test_rows: u64,
}

/// How a result was computed: the settings that decide its bits, as read from the running
/// process (not constants), and the host CPU's instruction sets for the record.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeviceRecord {
    /// `cpu-deterministic`, or `cuda` (deterministic only per device model).
    pub mode: String,
    pub name: String,
    pub intra_op_threads: u32,
    /// `ATEN_CPU_CAPABILITY` in force (ATen's kernel family).
    pub cpu_capability: String,
    /// `MKL_CBWR` in force (MKL's conditional bitwise reproducibility branch).
    pub mkl_cbwr: String,
    /// `ONEDNN_MAX_CPU_ISA` in force (oneDNN's kernels, used by the CNN's convolutions).
    pub onednn_max_cpu_isa: String,
    /// The host: architecture and the instruction sets deterministic mode relies on.
    pub cpu_isa: String,
}

/// One link of the checkpoint hash chain.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CheckpointRecord {
    pub step: u64,
    /// The chain hash: sha256(previous hash ‖ step ‖ state_sha256).
    pub hash: Digest,
    /// Canonical digest of the full training state (weights and optimizer slots).
    pub state_sha256: Digest,
    /// sha256 of the saved state's safetensors file: its address in an artifact store.
    pub file_sha256: Digest,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    /// Mean loss over the last epoch's batches.
    pub final_loss: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
}

impl TrainResult {
    /// Parses a `result.json` from an untrusted source: bounded in size, this version only,
    /// no unknown fields. The caller still audits it (see `audit::check_claim`).
    pub fn from_json(bytes: &[u8]) -> Result<TrainResult, String> {
        if bytes.len() > MAX_RESULT_BYTES {
            return Err(format!(
                "{} bytes, more than the {MAX_RESULT_BYTES} a result may have",
                bytes.len()
            ));
        }
        #[derive(Deserialize)]
        struct Version {
            version: u32,
        }
        let v: Version = serde_json::from_slice(bytes).map_err(|e| format!("not a result: {e}"))?;
        if v.version != RESULT_VERSION {
            return Err(format!(
                "result version {} (this worker reads version {RESULT_VERSION}; re-run the job)",
                v.version
            ));
        }
        serde_json::from_slice(bytes).map_err(|e| format!("not a result: {e}"))
    }
}

/// Report of an evaluate job.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct EvalReport {
    pub spec_sha256: Digest,
    pub weights_sha256: Digest,
    pub dataset_sha256: Digest,
    pub subset: Subset,
    pub samples: u64,
    pub accuracy: f64,
    pub loss: f64,
}

/// Report of an infer job: the predicted class and the logits of every row.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct InferReport {
    pub spec_sha256: Digest,
    pub weights_sha256: Digest,
    pub dataset_sha256: Digest,
    pub subset: Subset,
    pub samples: u64,
    pub predictions: Vec<i64>,
    /// sha256 of the logits as little-endian f32, row-major: a compact commitment to the
    /// full output.
    pub logits_sha256: Digest,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_results_are_bounded_versioned_and_strict() {
        let big = vec![b' '; MAX_RESULT_BYTES + 1];
        assert!(TrainResult::from_json(&big)
            .unwrap_err()
            .contains("more than"));
        let v1 = br#"{"version": 1, "steps": 3}"#;
        assert!(TrainResult::from_json(v1)
            .unwrap_err()
            .contains("result version 1"));
        // A record that names a path (version 1's `file`) is refused, not followed.
        let e =
            TrainResult::from_json(br#"{"version": 2, "checkpoints": [{"file": "/dev/zero"}]}"#)
                .unwrap_err();
        assert!(e.starts_with("not a result"), "{e}");
    }
}
