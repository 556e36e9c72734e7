//! Publishing a finished job: its checkpoints, weights and result.json go into the
//! provider's artifact store by sha256 (served over HTTP), and the `MsgSubmitResult`
//! fields are derived from the result with the contract the chain and verifiers rely on:
//!
//! - `checkpoint_hashes[i]` = the 32 raw bytes of `result.checkpoints[i].hash` (the chain
//!   hash), in order; index 0 is the initial state;
//! - `result_hash` = the last of them (the chain head);
//! - `weights_sha256` = `final_weights_sha256` (the canonical weight digest);
//! - `artifact_uri` = `<host-uri>/blobs/<sha256 of result.json>`.

use std::path::Path;

use anyhow::Context;
use deai_proto::compute::v1 as pb;
use deai_worker_artifacts::Store;
use deai_worker_jobs::{Digest, TrainResult};

use crate::remote::artifact_uri;
use crate::state::ResultClaim;

/// Where a job's output directory keeps its files (the `deai-worker train --out` layout).
pub const RESULT_FILE: &str = "result.json";
pub const WEIGHTS_FILE: &str = "weights.safetensors";
pub fn checkpoint_file(index: usize) -> String {
    format!("checkpoints/{index:05}.safetensors")
}

fn put(store: &Store, path: &Path, expected: Option<&Digest>) -> anyhow::Result<Digest> {
    let out = store
        .put_file(path)
        .with_context(|| format!("publishing {}", path.display()))?;
    if let Some(e) = expected {
        anyhow::ensure!(
            out.digest == *e,
            "{} hashes to {}, the result names {e}",
            path.display(),
            out.digest
        );
    }
    Ok(out.digest)
}

/// Puts the job's files from `out` into `store` and returns the claim to submit.
pub fn publish(
    store: &Store,
    out: &Path,
    result: &TrainResult,
    host_uri: &str,
) -> anyhow::Result<ResultClaim> {
    for (i, c) in result.checkpoints.iter().enumerate() {
        put(store, &out.join(checkpoint_file(i)), Some(&c.file_sha256))?;
    }
    put(
        store,
        &out.join(WEIGHTS_FILE),
        Some(&result.weights_file_sha256),
    )?;
    let result_json = put(store, &out.join(RESULT_FILE), None)?;
    claim(result, &artifact_uri(host_uri, &result_json)?)
}

/// The `MsgSubmitResult` fields of `result`, served at `artifact_uri`.
pub fn claim(result: &TrainResult, artifact_uri: &str) -> anyhow::Result<ResultClaim> {
    let last = result
        .checkpoints
        .last()
        .ok_or_else(|| anyhow::anyhow!("the result has no checkpoints"))?;
    Ok(ResultClaim {
        result_hash: last.hash.to_hex(),
        weights_sha256: result.final_weights_sha256.to_hex(),
        checkpoint_hashes: result.checkpoints.iter().map(|c| c.hash.to_hex()).collect(),
        artifact_uri: artifact_uri.to_string(),
    })
}

fn raw(hex_hash: &str) -> anyhow::Result<Vec<u8>> {
    let d: Digest = hex_hash.parse()?;
    Ok(d.0.to_vec())
}

/// The message that submits `claim` for `lease_id`.
pub fn submit_result_msg(
    provider: &str,
    lease_id: u64,
    claim: &ResultClaim,
) -> anyhow::Result<pb::MsgSubmitResult> {
    Ok(pb::MsgSubmitResult {
        provider: provider.to_string(),
        lease_id,
        result_hash: raw(&claim.result_hash)?,
        weights_sha256: raw(&claim.weights_sha256)?,
        checkpoint_hashes: claim
            .checkpoint_hashes
            .iter()
            .map(|h| raw(h))
            .collect::<anyhow::Result<_>>()?,
        artifact_uri: claim.artifact_uri.clone(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use deai_worker_jobs::result::{DeviceRecord, Metrics, RESULT_VERSION};
    use deai_worker_jobs::{ChainHasher, CheckpointRecord, DatasetRecord, JobSpec};

    /// A result.json with `n` checkpoints whose files (and weights) are written into `out`.
    pub(crate) fn fake_run(spec: &JobSpec, out: &Path, n: usize) -> TrainResult {
        std::fs::create_dir_all(out.join("checkpoints")).unwrap();
        let mut chain = ChainHasher::new(&spec.hash(), &[spec.dataset.sha256]);
        let checkpoints = (0..n)
            .map(|i| {
                let bytes = format!("checkpoint {i} of {}", spec.hash());
                std::fs::write(out.join(checkpoint_file(i)), &bytes).unwrap();
                let state = Digest::of(format!("state {i}").as_bytes());
                CheckpointRecord {
                    step: i as u64 * 10,
                    hash: chain.push(i as u64 * 10, &state),
                    state_sha256: state,
                    file_sha256: Digest::of(bytes.as_bytes()),
                }
            })
            .collect();
        std::fs::write(out.join(WEIGHTS_FILE), b"weights").unwrap();
        let r = TrainResult {
            version: RESULT_VERSION,
            spec_sha256: spec.hash(),
            spec: spec.clone(),
            datasets: vec![DatasetRecord {
                role: "train".into(),
                sha256: spec.dataset.sha256,
                rows: 10,
                train_rows: 8,
                test_rows: 2,
            }],
            device: DeviceRecord {
                mode: "cpu-deterministic".into(),
                name: "cpu".into(),
                intra_op_threads: 1,
                cpu_capability: "avx2".into(),
                mkl_cbwr: "AVX2".into(),
                onednn_max_cpu_isa: "AVX2".into(),
                cpu_isa: "x86_64".into(),
            },
            worker_version: "test".into(),
            libtorch_version: "test".into(),
            steps: (n as u64 - 1) * 10,
            steps_per_epoch: 10,
            checkpoints,
            final_weights_sha256: Digest::of(b"canonical weights"),
            weights_file_sha256: Digest::of(b"weights"),
            metrics: Metrics {
                final_loss: 0.5,
                train_accuracy: 0.9,
                test_accuracy: 0.8,
            },
        };
        std::fs::write(
            out.join(RESULT_FILE),
            serde_json::to_vec_pretty(&r).unwrap(),
        )
        .unwrap();
        r
    }

    pub(crate) fn spec() -> JobSpec {
        let v = serde_json::json!({
            "version": 1, "kind": "train",
            "model": {"type": "logistic", "inputs": 4, "classes": 2},
            "dataset": {"sha256": "11".repeat(32)},
            "training": {"optimizer": {"type": "sgd", "lr": 0.1}, "epochs": 1,
                         "batch_size": 8, "checkpoint_every": 10, "seed": 1}
        });
        JobSpec::from_json(&v.to_string()).unwrap()
    }

    #[test]
    fn publishing_stores_every_file_and_derives_the_claim() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("job");
        let r = fake_run(&spec(), &out, 3);
        let store = Store::open(dir.path().join("store"), 1 << 20).unwrap();
        let c = publish(&store, &out, &r, "http://127.0.0.1:7070").unwrap();
        for ck in &r.checkpoints {
            assert!(store.contains(&ck.file_sha256));
        }
        assert!(store.contains(&r.weights_file_sha256));
        let json = Digest::of_file(&out.join(RESULT_FILE)).unwrap();
        assert!(store.contains(&json));
        assert_eq!(
            c.artifact_uri,
            format!("http://127.0.0.1:7070/blobs/{json}")
        );
        assert_eq!(c.result_hash, r.checkpoints[2].hash.to_hex());
        assert_eq!(c.checkpoint_hashes.len(), 3);
        let m = submit_result_msg("deai1p", 4, &c).unwrap();
        assert_eq!(m.checkpoint_hashes[0], r.checkpoints[0].hash.0.to_vec());
        assert_eq!(m.result_hash, *m.checkpoint_hashes.last().unwrap());
        assert_eq!(m.weights_sha256, r.final_weights_sha256.0.to_vec());
        // A file that is not what the result names is not published as it.
        std::fs::write(out.join(checkpoint_file(1)), b"other").unwrap();
        assert!(publish(&store, &out, &r, "http://h:1").is_err());
    }
}
