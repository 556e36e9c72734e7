//! The job kinds, in two halves: [`prepare`] runs in the sidecar (checks the spec, fetches
//! and verifies the inputs into the job's `inputs/` directory) and [`execute`] runs in the
//! sandboxed job process (reads only its spec and `inputs/`, computes the result hash).

use std::path::Path;

use anyhow::{bail, Context};
use deai_attest::wire::{
    inference_output_hash, ComputeReplaySpec, InferenceReplaySpec, TaskCodeSpec,
};
use deai_worker_engine as engine;
use deai_worker_jobs::schedule::plan;
use deai_worker_jobs::spec::{DataFormat, DatasetRef, Device, JobKind};
use deai_worker_jobs::{Digest, JobSpec};
use deai_zk::{DecodeLimits, QuantizedModel};

use crate::fetch::Sources;
use crate::job::{check_nested, Kind};

/// Input file names inside `inputs/`.
pub const DATASET_FILE: &str = "dataset";
pub const MODEL_FILE: &str = "model.bin";

/// Bounds the job process applies itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecBounds {
    /// Most training steps a task_code or compute_replay run may take (checked from the
    /// schedule before any training).
    pub max_train_steps: u64,
    /// Largest quantized model, bytes.
    pub max_model_bytes: usize,
    /// Most multiply-accumulates of a replayed inference.
    pub max_macs: u64,
}

impl Default for ExecBounds {
    fn default() -> Self {
        ExecBounds {
            max_train_steps: 20_000,
            max_model_bytes: 64 << 20,
            max_macs: 1 << 30,
        }
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(kind: Kind, spec: &str) -> anyhow::Result<T> {
    serde_json::from_str(spec).with_context(|| format!("{} spec", kind.as_str()))
}

fn digest(what: &str, hex: &str) -> anyhow::Result<Digest> {
    hex.parse()
        .map_err(|_| anyhow::anyhow!("{what} {hex:?} is not a lower-case hex sha256"))
}

/// A training spec the sandbox can run: kind train, on CPU (the device is forced to CPU),
/// needing no file but its dataset.
fn training_spec(what: &str, text: &str) -> anyhow::Result<JobSpec> {
    let mut spec = JobSpec::from_json(text).with_context(|| what.to_string())?;
    anyhow::ensure!(
        spec.kind == JobKind::Train,
        "{what}: kind must be \"train\""
    );
    let t = spec.training().with_context(|| what.to_string())?;
    anyhow::ensure!(
        t.init_weights.is_none(),
        "{what}: training.init_weights is not supported by the attestation sidecar"
    );
    spec.device = Device::Cpu;
    spec.dataset.path = None;
    Ok(spec)
}

/// Checks the job's spec and puts its verified inputs into `inputs`.
pub fn prepare(kind: Kind, spec: &str, sources: &Sources, inputs: &Path) -> anyhow::Result<()> {
    match kind {
        Kind::InferenceReplay => {
            let s: InferenceReplaySpec = parse_json(kind, spec)?;
            let sha = digest("quantized_weights_sha256", &s.quantized_weights_sha256)?;
            let len = deai_zk::canonical_len(&s.architecture)
                .ok_or_else(|| anyhow::anyhow!("architecture needs at least two sizes"))?;
            anyhow::ensure!(
                len <= sources.max_blob_bytes,
                "a model of architecture {:?} takes {len} bytes, more than the blob limit",
                s.architecture
            );
            sources.blob_into("quantized model", &sha, None, &inputs.join(MODEL_FILE))
        }
        Kind::TaskCode => {
            let s: TaskCodeSpec = parse_json(kind, spec)?;
            check_nested("base_spec", &s.base_spec, &s.base_spec_sha256)?;
            training_spec("base_spec", &s.base_spec)?;
            anyhow::ensure!(s.sample_rows > 0, "sample_rows must be positive");
            let sha = digest("dataset_sha256", &s.dataset_sha256)?;
            sources.dataset_into(&s.dataset_uri, &sha, &inputs.join(DATASET_FILE))
        }
        Kind::ComputeReplay => {
            let s: ComputeReplaySpec = parse_json(kind, spec)?;
            check_nested("job_spec", &s.job_spec, &s.job_spec_sha256)?;
            let job = training_spec("job_spec", &s.job_spec)?;
            if !s.start_checkpoint_sha256.is_empty() {
                digest("start_checkpoint_sha256", &s.start_checkpoint_sha256)?;
            }
            let sha = job.dataset.sha256;
            sources.blob_into("dataset", &sha, None, &inputs.join(DATASET_FILE))
        }
    }
}

/// Computes the job's result hash from its spec and `inputs` (in the job process). `work`
/// is a directory it may write to.
pub fn execute(
    kind: Kind,
    spec: &str,
    inputs: &Path,
    work: &Path,
    bounds: &ExecBounds,
) -> anyhow::Result<[u8; 32]> {
    match kind {
        Kind::InferenceReplay => inference_replay(&parse_json(kind, spec)?, inputs, bounds),
        Kind::TaskCode => task_code(&parse_json(kind, spec)?, inputs, work, bounds),
        Kind::ComputeReplay => compute_replay(&parse_json(kind, spec)?, inputs, work, bounds),
    }
}

/// The chain's re-execution (MsgAdjudicate): decode the canonical bytes strictly, check the
/// architecture, run the integer reference inference, hash its output.
fn inference_replay(
    s: &InferenceReplaySpec,
    inputs: &Path,
    bounds: &ExecBounds,
) -> anyhow::Result<[u8; 32]> {
    let sha = digest("quantized_weights_sha256", &s.quantized_weights_sha256)?;
    let path = inputs.join(MODEL_FILE);
    let bytes = engine::state::read_verified(&path, &sha, bounds.max_model_bytes as u64)?;
    let limits = DecodeLimits {
        max_bytes: bounds.max_model_bytes,
        max_macs: bounds.max_macs,
    };
    let qm = QuantizedModel::from_canonical_bytes(&bytes, limits)
        .map_err(|e| anyhow::anyhow!("quantized model: {e}"))?;
    let arch: Vec<u32> = std::iter::once(qm.n_inputs())
        .chain(qm.layers.iter().map(|l| l.n_out))
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
        .collect();
    anyhow::ensure!(
        arch == s.architecture,
        "the model's architecture is {arch:?}, the job names {:?}",
        s.architecture
    );
    let out = qm
        .infer(&s.input)
        .map_err(|e| anyhow::anyhow!("inference: {e}"))?;
    Ok(inference_output_hash(&out))
}

/// Trains `spec` on `data` in `work/train` after checking its schedule's size; the result.
fn train_bounded(
    spec: &JobSpec,
    data: &Path,
    rows: usize,
    work: &Path,
    bounds: &ExecBounds,
) -> anyhow::Result<deai_worker_jobs::TrainResult> {
    let p = plan(spec, rows as u64)?;
    anyhow::ensure!(
        p.total_steps <= bounds.max_train_steps,
        "the run takes {} training steps, at most {} are allowed",
        p.total_steps,
        bounds.max_train_steps
    );
    let out = work.join("train");
    Ok(engine::train(spec, data, &out, &mut engine::Silent)?)
}

/// The code check: the base spec trained on the dataset's first `sample_rows` rows (file
/// order), deterministically on CPU; the canonical digest of the trained weights.
fn task_code(
    s: &TaskCodeSpec,
    inputs: &Path,
    work: &Path,
    bounds: &ExecBounds,
) -> anyhow::Result<[u8; 32]> {
    check_nested("base_spec", &s.base_spec, &s.base_spec_sha256)?;
    let mut spec = training_spec("base_spec", &s.base_spec)?;
    let mut full_ref = spec.dataset.clone();
    full_ref.sha256 = digest("dataset_sha256", &s.dataset_sha256)?;
    let ds = engine::data::load(&inputs.join(DATASET_FILE), &full_ref)?;
    let n = ds.rows.min(s.sample_rows as usize);
    let cols = ds.cols;
    let end = n
        .checked_mul(cols)
        .filter(|e| *e <= ds.features.len())
        .ok_or_else(|| anyhow::anyhow!("dataset of {} rows × {cols} is inconsistent", ds.rows))?;
    let sample = work.join("sample.safetensors");
    // Features are written already scaled, as f32, and read back unscaled: the same values.
    engine::data::write_safetensors_dataset(&sample, cols, &ds.features[..end], &ds.labels[..n])?;
    drop(ds);
    spec.dataset = DatasetRef {
        sha256: Digest::of_file(&sample).context("hashing the sample")?,
        path: None,
        format: DataFormat::Safetensors,
        header: false,
        label_column: -1,
        features_key: "features".into(),
        labels_key: "labels".into(),
        feature_scale: 1.0,
    };
    let r = train_bounded(&spec, &sample, n, work, bounds)?;
    Ok(r.final_weights_sha256.0)
}

/// Records the chain hashes of the checkpoints as training writes them, and stops the run
/// once checkpoint `stop_after` is written.
struct Checkpoints {
    stop_after: usize,
    hashes: Vec<Digest>,
}

impl engine::Progress for Checkpoints {
    fn checkpoint(&mut self, index: usize, _step: u64, hash: &Digest) {
        if index == self.hashes.len() {
            self.hashes.push(*hash);
        }
    }
    fn cancelled(&self) -> bool {
        self.hashes.len() > self.stop_after
    }
}

/// The audit answer for `segment`: the chain hash of checkpoint `segment + 1` of the true
/// run, which this computes by running the job from its seeded start up to that checkpoint
/// (at most `max_train_steps` steps). A non-empty `start_checkpoint_sha256` must be the true
/// run's checkpoint `segment` (its chain hash or its file's sha256), or the job fails: an
/// answer from another start is not this one. A run with no checkpoint `segment + 1` (the
/// chain expects an empty answer) fails too: an empty hash is not attested.
fn compute_replay(
    s: &ComputeReplaySpec,
    inputs: &Path,
    work: &Path,
    bounds: &ExecBounds,
) -> anyhow::Result<[u8; 32]> {
    check_nested("job_spec", &s.job_spec, &s.job_spec_sha256)?;
    let spec = training_spec("job_spec", &s.job_spec)?;
    let data = inputs.join(DATASET_FILE);
    let ds = engine::data::load(&data, &spec.dataset)?;
    let rows = ds.rows;
    drop(ds);
    let seg = s.segment as usize;
    let p = plan(&spec, rows as u64)?;
    let Some(&last_step) = seg.checked_add(1).and_then(|i| p.checkpoint_steps.get(i)) else {
        bail!(
            "the run has {} checkpoints: no checkpoint {} (the chain expects an empty answer, which is not attested)",
            p.checkpoint_steps.len(),
            u64::from(s.segment) + 1
        );
    };
    anyhow::ensure!(
        last_step <= bounds.max_train_steps,
        "checkpoint {} is at step {last_step}, at most {} training steps are allowed",
        seg + 1,
        bounds.max_train_steps
    );
    let out = work.join("train");
    let mut progress = Checkpoints {
        stop_after: seg + 1,
        hashes: Vec::new(),
    };
    match engine::train(&spec, &data, &out, &mut progress) {
        Ok(_) | Err(engine::EngineError::Cancelled) => {}
        Err(e) => return Err(e.into()),
    }
    let (Some(start), Some(next)) = (progress.hashes.get(seg), progress.hashes.get(seg + 1)) else {
        bail!("the run stopped before checkpoint {}", seg + 1);
    };
    if !s.start_checkpoint_sha256.is_empty() {
        let named = digest("start_checkpoint_sha256", &s.start_checkpoint_sha256)?;
        let file = out.join(engine::train::checkpoint_file(seg));
        let file_sha = Digest::of_file(&file).with_context(|| format!("{}", file.display()))?;
        anyhow::ensure!(
            named == *start || named == file_sha,
            "start_checkpoint_sha256 {named} is not the true run's checkpoint {seg} ({start} / file {file_sha})"
        );
    }
    Ok(next.0)
}
