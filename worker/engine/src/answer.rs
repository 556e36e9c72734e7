//! The answer a verifier gives the chain for the audit of segment K of an order: the chain
//! hash of checkpoint K + 1 that the true run reaches from checkpoint K, computed by
//! re-execution. Unlike [`crate::replay_range`], which judges one claimed result, this asks
//! nothing of any result beyond the start it replays from: the schedule comes from the
//! chain's spec and the verifier's dataset, and the hash from the verifier's own replay, so
//! the chain can compare every result's checkpoint K + 1 with it.

use deai_worker_jobs::schedule::plan;
use deai_worker_jobs::{ChainHasher, Digest, JobSpec, TrainResult, Verdict};

use crate::checkpoint::{self, Restored};
use crate::data::Dataset;
use crate::error::EngineError;
use crate::optim::Optimizer;
use crate::replay::Budget;
use crate::runtime::Deterministic;
use crate::train::{to_device, StepRunner};
use crate::{state, Progress};

/// What the true run holds after checkpoint `segment`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SegmentAnswer {
    /// The run's schedule has no checkpoint `segment + 1` (it has `checkpoints` in all): the
    /// chain expects an empty hash, and any result claiming one is wrong.
    NoSuchCheckpoint { checkpoints: usize },
    /// Checkpoint `index` (= segment + 1), at `step`, has chain hash `hash`.
    Checkpoint {
        index: usize,
        step: u64,
        hash: Digest,
    },
}

impl SegmentAnswer {
    /// The bytes for `MsgSubmitAudit.checkpoint_hash`: the 32-byte hash, or empty.
    pub fn checkpoint_hash_bytes(&self) -> Vec<u8> {
        match self {
            SegmentAnswer::NoSuchCheckpoint { .. } => Vec::new(),
            SegmentAnswer::Checkpoint { hash, .. } => hash.0.to_vec(),
        }
    }
}

/// Where segment `K > 0` starts: a claimed result whose checkpoint K is the agreed one, and
/// the bytes delivered as that checkpoint's file (`None` if they could not be had).
pub struct SegmentStart<'a> {
    pub claimed: &'a TrainResult,
    pub file: Option<&'a [u8]>,
}

/// Re-executes checkpoint `segment` to `segment + 1` of the run `spec` prescribes on
/// `dataset` and answers with the hash of checkpoint `segment + 1`.
///
/// Segment 0 starts from the spec's initial state, recomputed (no `start` needed): the seeded
/// weights, or the `training.init_weights` file at its path hint.
/// A later segment starts from `start`: its record K must be the schedule's step K and
/// follow by one chain link from its record K - 1 (so its state digest is the one the
/// agreed hash commits to), and the delivered file must hold that state. When it does not,
/// the answer is `Ok(Err(verdict))` against that result, and the caller tries another. An
/// `Err` is the verifier's own failure (its budget, a cancel, a spec the verifier cannot
/// plan).
#[allow(clippy::too_many_arguments)]
pub fn segment_answer(
    _rt: Deterministic,
    spec: &JobSpec,
    segment: usize,
    start: Option<SegmentStart<'_>>,
    dataset: &Dataset,
    budget: &Budget,
    progress: &mut dyn Progress,
) -> Result<Result<SegmentAnswer, Verdict>, EngineError> {
    if dataset.sha256 != spec.dataset.sha256 {
        return Err(EngineError::Dataset {
            path: dataset.path.clone(),
            message: "is not the job's dataset".into(),
        });
    }
    let t = spec.training()?;
    dataset.check_fits(&spec.model)?;
    let p = plan(spec, dataset.rows as u64)?;
    let steps = &p.checkpoint_steps;
    let next = match segment.checked_add(1) {
        Some(n) if n < steps.len() => n,
        _ => {
            return Ok(Ok(SegmentAnswer::NoSuchCheckpoint {
                checkpoints: steps.len(),
            }))
        }
    };
    let work = steps[next] - steps[segment];
    budget.admit(work, spec, dataset)?;

    let device = tch::Device::Cpu;
    let spec_hash = spec.hash();
    let (model, mut opt, start_hash) = if segment == 0 {
        let model = crate::model::start_model(spec, device)?;
        let opt = Optimizer::new(&t.optimizer, &model)?;
        let digest = state::digest(&state::training_state(&model, &opt)?);
        let hash = ChainHasher::new(&spec_hash, &[spec.dataset.sha256]).push(0, &digest);
        (model, opt, hash)
    } else {
        let Some(start) = start else {
            return Err(EngineError::Request(format!(
                "segment {segment} needs a result to start from"
            )));
        };
        if let Err(v) = check_start(&spec_hash, start.claimed, segment, steps[segment]) {
            return Ok(Err(v));
        }
        match checkpoint::restore(spec, start.claimed, segment, start.file, device)? {
            Restored::State(model, opt) => (model, opt, start.claimed.checkpoints[segment].hash),
            Restored::Rejected(v) => return Ok(Err(v)),
        }
    };

    let (train_part, _) = dataset.split(&spec.split)?;
    let train_part = to_device(train_part, device)?;
    let mut runner = StepRunner::new(&train_part, t, device);
    progress.begin("audit", work);
    for step in steps[segment]..steps[next] {
        budget.check()?;
        let loss = runner.run(&model, &mut opt, step)?;
        progress.step(step + 1 - steps[segment], loss);
    }
    let digest = state::digest(&state::training_state(&model, &opt)?);
    let hash = ChainHasher::link(&start_hash, steps[next], &digest);
    progress.checkpoint(next, steps[next], &hash);
    progress.end();
    Ok(Ok(SegmentAnswer::Checkpoint {
        index: next,
        step: steps[next],
        hash,
    }))
}

/// Checks that `claimed`'s record `segment` is the schedule's and follows by one link from
/// its record `segment - 1`, so that its state digest is what its hash commits to.
fn check_start(
    spec_hash: &Digest,
    claimed: &TrainResult,
    segment: usize,
    step: u64,
) -> Result<(), Verdict> {
    if claimed.spec_sha256 != *spec_hash {
        return Err(Verdict::malformed(format!(
            "the result is for spec {}, the job is {spec_hash}",
            claimed.spec_sha256
        )));
    }
    let (Some(prev), Some(rec)) = (
        segment
            .checked_sub(1)
            .and_then(|i| claimed.checkpoints.get(i)),
        claimed.checkpoints.get(segment),
    ) else {
        return Err(Verdict::malformed(format!(
            "the result has no checkpoint {segment}"
        )));
    };
    if rec.step != step {
        return Err(Verdict::malformed(format!(
            "checkpoint {segment} is at step {}, the schedule puts it at {step}",
            rec.step
        )));
    }
    if ChainHasher::link(&prev.hash, rec.step, &rec.state_sha256) != rec.hash {
        return Err(Verdict::malformed(format!(
            "checkpoint {segment}'s hash does not follow from checkpoint {} and its state digest",
            segment - 1
        )));
    }
    Ok(())
}
