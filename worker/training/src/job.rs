//! A round's job (docs/training.md, "A round's job"), as trainers run it and referees
//! replay it: the task's base spec, checked against its hash, turned into the round's spec
//! by `deai_worker_jobs::round_job`, with the local paths of its files, and run in a
//! scratch directory.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use deai_proto::training::v1 as pb;
use deai_worker_jobs::{Digest, JobSpec, TrainResult};

use crate::engine::{CancelFlag, Engine};
use crate::files::{digest_of, Files};

/// The task's base spec (JSON, kind "train"), which must hash to `base_spec_sha256`.
pub fn base_spec(task: &pb::Task) -> anyhow::Result<JobSpec> {
    let spec = task
        .spec
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("task {} has no spec", task.id))?;
    let got = Digest::of(&spec.base_spec);
    anyhow::ensure!(
        got.0.as_slice() == spec.base_spec_sha256.as_slice(),
        "task {}: the base spec hashes to {got}, the task names {}",
        task.id,
        hex::encode(&spec.base_spec_sha256)
    );
    let text = std::str::from_utf8(&spec.base_spec)
        .map_err(|_| anyhow::anyhow!("task {}: the base spec is not UTF-8", task.id))?;
    JobSpec::from_json(text).map_err(|e| anyhow::anyhow!("task {}: the base spec: {e}", task.id))
}

/// The round's base weights hash (`None` in round 0: the seeded initialisation).
pub fn base_digest(round: &pb::Round) -> anyhow::Result<Option<Digest>> {
    if round.base_hash.is_empty() {
        return Ok(None);
    }
    digest_of(&round.base_hash, "the round's base_hash").map(Some)
}

/// Everything a run of a round's job needs, resolved to local files.
pub struct RoundJob {
    pub spec: JobSpec,
    pub dataset: PathBuf,
}

/// Resolves the job trainer `shard` runs in `round`: the spec from `round_job`, the base
/// weights fetched by hash from the round's `base_uri` (its path set as the spec's local
/// hint, which the spec hash ignores), the dataset found or fetched.
pub async fn resolve(
    files: &Files,
    engine: &dyn Engine,
    task: &pb::Task,
    round: &pb::Round,
    shard: u32,
) -> anyhow::Result<RoundJob> {
    let base = base_spec(task)?;
    let count = task.spec.as_ref().map(|s| s.shard_count).unwrap_or(1);
    let base_weights = base_digest(round)?;
    let mut spec = deai_worker_jobs::round_job(&base, base_weights, shard, count, round.round)
        .map_err(|e| anyhow::anyhow!("round {} job: {e}", round.round))?;
    if let Some(d) = base_weights {
        let path = files
            .fetch(&round.base_uri, &d, engine.max_weights_bytes(&spec))
            .await
            .map_err(|e| anyhow::anyhow!("round {} base weights: {e:#}", round.round))?;
        if let Some(w) = spec.training.as_mut().and_then(|t| t.init_weights.as_mut()) {
            w.path = Some(path.display().to_string());
        }
    }
    let dataset_uri = task
        .spec
        .as_ref()
        .map(|s| s.dataset_uri.clone())
        .unwrap_or_default();
    let dataset = files.dataset(&spec, &dataset_uri).await?;
    Ok(RoundJob { spec, dataset })
}

/// Trains `job` into `out` (emptied first) on a blocking thread.
pub async fn run(
    engine: Arc<dyn Engine>,
    job: &RoundJob,
    out: &Path,
    cancel: &CancelFlag,
) -> anyhow::Result<TrainResult> {
    if out.exists() {
        std::fs::remove_dir_all(out)?;
    }
    std::fs::create_dir_all(out)?;
    let (spec, dataset, out, cancel) = (
        job.spec.clone(),
        job.dataset.clone(),
        out.to_path_buf(),
        cancel.clone(),
    );
    tokio::task::spawn_blocking(move || engine.train(&spec, &dataset, &out, &cancel))
        .await
        .map_err(|e| anyhow::anyhow!("the training task failed: {e}"))?
}

/// The claim an honest run of the job makes: its checkpoint hashes, then the sha256 of its
/// weights file (an update audit's claim shape).
pub fn true_claim(r: &TrainResult) -> Vec<Digest> {
    r.checkpoints
        .iter()
        .map(|c| c.hash)
        .chain(std::iter::once(r.weights_file_sha256))
        .collect()
}
