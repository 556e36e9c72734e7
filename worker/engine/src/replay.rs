//! Replay: the audit a verifier runs. It restores checkpoint `from`, re-executes the
//! steps up to checkpoint `to`, and compares every checkpoint on the way.

use std::path::{Path, PathBuf};

use deai_worker_jobs::{ChainHasher, Digest, TrainResult};
use serde::Serialize;

use crate::data;
use crate::error::EngineError;
use crate::model::Model;
use crate::optim::Optimizer;
use crate::train::{checkpoint_steps, to_device, StepRunner};
use crate::{runtime, state, Progress};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReplayReport {
    pub from_checkpoint: usize,
    pub to_checkpoint: usize,
    pub from_step: u64,
    pub to_step: u64,
    /// Checkpoints re-derived and found equal to the record.
    pub verified: Vec<usize>,
    pub divergence: Option<Divergence>,
    /// Whether the final weights matched `final_weights_sha256` (only when `to` is the
    /// last checkpoint).
    pub final_weights_match: Option<bool>,
}

impl ReplayReport {
    pub fn passed(&self) -> bool {
        self.divergence.is_none() && self.final_weights_match != Some(false)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Divergence {
    pub checkpoint: usize,
    pub step: u64,
    pub expected: Digest,
    pub actual: Digest,
    pub reason: String,
}

pub fn read_result(path: &Path) -> Result<TrainResult, EngineError> {
    let bytes = std::fs::read(path).map_err(|e| EngineError::io(path, e))?;
    let bad = |message: String| EngineError::Result {
        path: path.into(),
        message,
    };
    let result: TrainResult =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("not a result: {e}")))?;
    result.spec.validate().map_err(|e| bad(e.to_string()))?;
    if result.spec.hash() != result.spec_sha256 {
        return Err(bad(format!(
            "spec_sha256 {} does not match the spec it holds ({})",
            result.spec_sha256,
            result.spec.hash()
        )));
    }
    Ok(result)
}

/// Replays checkpoints `from..=to` of the result at `result_path`. The checkpoint files
/// are read relative to the result's directory; the dataset from `data_path`.
pub fn replay(
    result_path: &Path,
    from: usize,
    to: usize,
    data_path: &Path,
    progress: &mut dyn Progress,
) -> Result<ReplayReport, EngineError> {
    runtime::init();
    let r = read_result(result_path)?;
    let dir: PathBuf = result_path
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let bad = |message: String| EngineError::Result {
        path: result_path.into(),
        message,
    };
    let spec = &r.spec;
    let t = spec.training()?;
    let n = r.checkpoints.len();
    if from >= to || to >= n {
        return Err(bad(format!(
            "need from < to <= {}, got from {from}, to {to}",
            n.saturating_sub(1)
        )));
    }
    let expected_steps = checkpoint_steps(r.steps, u64::from(t.checkpoint_every));
    let steps: Vec<u64> = r.checkpoints.iter().map(|c| c.step).collect();
    if steps != expected_steps {
        return Err(bad(format!(
            "checkpoint steps {steps:?} do not follow the schedule {expected_steps:?}"
        )));
    }
    let dataset = r
        .datasets
        .first()
        .ok_or_else(|| bad("no dataset recorded".into()))?;
    if dataset.sha256 != spec.dataset.sha256 {
        return Err(bad("dataset hash differs from the spec's".into()));
    }

    let device = runtime::device(spec.device)?;
    let ds = data::load(data_path, &spec.dataset)?;
    ds.check_fits(&spec.model)?;
    let (train_part, _) = ds.split(&spec.split)?;
    let train_part = to_device(train_part, device)?;
    let mut runner = StepRunner::new(&train_part, t, device);
    if runner.steps_per_epoch != r.steps_per_epoch {
        return Err(bad(format!(
            "steps_per_epoch {} does not match the data ({})",
            r.steps_per_epoch, runner.steps_per_epoch
        )));
    }

    let mut report = ReplayReport {
        from_checkpoint: from,
        to_checkpoint: to,
        from_step: steps[from],
        to_step: steps[to],
        verified: Vec::new(),
        divergence: None,
        final_weights_match: None,
    };

    // The start must be the state the chain committed to: its file must hash to
    // state_sha256, and its link must follow from the previous recorded link.
    let start = &r.checkpoints[from];
    let file = dir.join(&start.file);
    let st = state::from_safetensors(
        &std::fs::read(&file).map_err(|e| EngineError::io(&file, e))?,
        &file,
    )?;
    let state_digest = state::digest(&st);
    let prev = if from == 0 {
        ChainHasher::new(&r.spec_sha256, &[dataset.sha256]).head()
    } else {
        r.checkpoints[from - 1].hash
    };
    let link = ChainHasher::link(&prev, start.step, &state_digest);
    if state_digest != start.state_sha256 || link != start.hash {
        report.divergence = Some(Divergence {
            checkpoint: from,
            step: start.step,
            expected: start.hash,
            actual: link,
            reason: "the saved state does not match the recorded chain".into(),
        });
        return Ok(report);
    }
    report.verified.push(from);

    let (params, slots) = state::split_state(&st)?;
    let model = Model::from_params(&spec.model, params, device)?;
    let mut opt = Optimizer::from_slots(&t.optimizer, &model, slots)?;
    let mut chain = ChainHasher::resume(start.hash);

    progress.begin("replay", steps[to] - steps[from]);
    let mut next = from + 1;
    for step in steps[from]..steps[to] {
        runner.run(&model, &mut opt, step)?;
        progress.step(step + 1 - steps[from], 0.0);
        if step + 1 == steps[next] {
            let rec = &r.checkpoints[next];
            let digest = state::digest(&state::training_state(&model, &opt)?);
            let hash = chain.push(step + 1, &digest);
            if hash != rec.hash {
                report.divergence = Some(Divergence {
                    checkpoint: next,
                    step: rec.step,
                    expected: rec.hash,
                    actual: hash,
                    reason: "re-executed state differs from the recorded checkpoint".into(),
                });
                progress.end();
                return Ok(report);
            }
            progress.checkpoint(next, rec.step, &hash);
            report.verified.push(next);
            next += 1;
        }
    }
    progress.end();
    if to == n - 1 {
        let weights = state::weights(&model)?;
        report.final_weights_match = Some(state::digest(&weights) == r.final_weights_sha256);
    }
    Ok(report)
}
