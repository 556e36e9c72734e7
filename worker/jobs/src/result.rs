//! What a job writes: `result.json` for training, and the evaluate / infer reports.

use serde::{Deserialize, Serialize};

use crate::digest::Digest;
use crate::spec::{JobSpec, Subset};

pub const RESULT_VERSION: u32 = 1;

/// `result.json` of a training job: everything a verifier needs to audit it.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
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
    pub final_weights_sha256: Digest,
    /// The weights as safetensors, relative to the result's directory.
    pub weights_file: String,
    /// sha256 of the weights file's bytes: its address in an artifact store.
    pub weights_file_sha256: Digest,
    pub metrics: Metrics,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DatasetRecord {
    pub role: String,
    pub sha256: Digest,
    pub rows: u64,
    pub train_rows: u64,
    pub test_rows: u64,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct DeviceRecord {
    /// `cpu-deterministic`, or `cuda` (deterministic only per device model).
    pub mode: String,
    pub name: String,
    pub intra_op_threads: u32,
    pub cpu_capability: String,
    pub mkl_cbwr: String,
}

/// One link of the checkpoint hash chain.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct CheckpointRecord {
    pub step: u64,
    /// The chain hash: sha256(previous hash ‖ step ‖ state_sha256).
    pub hash: Digest,
    /// Canonical digest of the full training state (weights and optimizer slots).
    pub state_sha256: Digest,
    /// The saved state as safetensors, relative to the result's directory.
    pub file: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Metrics {
    /// Mean loss over the last epoch's batches.
    pub final_loss: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
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
