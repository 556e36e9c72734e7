//! Replay: the audit a verifier runs on one segment of a claimed training run. It checks
//! the claim against the job (`deai_worker_jobs::audit`), restores the segment's start,
//! re-executes its steps and compares every checkpoint it passes.
//!
//! The API takes the spec (from the chain), the claimed result, the checkpoint's bytes as
//! the worker delivered them (or `None`), and a dataset the verifier loaded itself. It
//! never opens a path named by the result, has no process-wide side effects (it needs a
//! [`Deterministic`] token that `runtime::init` made possible), stops when its budget's
//! deadline passes or its cancel flag is raised, and refuses work beyond its budget.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use deai_worker_jobs::audit::{check_claim, check_start};
use deai_worker_jobs::init::start_state_digest;
use deai_worker_jobs::schedule::MAX_TOTAL_STEPS;
use deai_worker_jobs::{ChainHasher, JobSpec, TrainResult, Verdict};

use crate::checkpoint::{self, Restored};
use crate::data::Dataset;
use crate::error::EngineError;
use crate::optim::Optimizer;
use crate::runtime::{self, Deterministic};
use crate::train::{to_device, StepRunner};
use crate::{state, Progress};

/// What a replay may cost the verifier. Exceeding it is the verifier's refusal (an error),
/// never a verdict against the worker.
#[derive(Clone, Debug)]
pub struct Budget {
    /// Most optimizer steps to re-execute.
    pub max_steps: u64,
    /// Most memory the replay may need, estimated from the model and the data before
    /// anything is allocated.
    pub max_memory_bytes: u64,
    /// Stop (with `EngineError::Budget`) once this instant has passed.
    pub deadline: Option<Instant>,
    /// Stop (with `EngineError::Cancelled`) once this is set.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            max_steps: MAX_TOTAL_STEPS,
            max_memory_bytes: 8 << 30,
            deadline: None,
            cancel: None,
        }
    }
}

impl Budget {
    /// Refuses, before anything is allocated, a re-execution of `work` steps of `spec` on
    /// `dataset` that this budget does not allow (steps, estimated memory, deadline, cancel).
    pub(crate) fn admit(
        &self,
        work: u64,
        spec: &JobSpec,
        dataset: &Dataset,
    ) -> Result<(), EngineError> {
        if work > self.max_steps {
            return Err(EngineError::Budget(format!(
                "{work} steps to re-execute, the budget allows {}",
                self.max_steps
            )));
        }
        let need = checkpoint::memory_estimate(spec, dataset);
        if need > self.max_memory_bytes {
            return Err(EngineError::Budget(format!(
                "needs about {need} bytes of memory, the budget allows {}",
                self.max_memory_bytes
            )));
        }
        self.check()
    }

    pub(crate) fn check(&self) -> Result<(), EngineError> {
        if self
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            return Err(EngineError::Cancelled);
        }
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(EngineError::Budget("the deadline passed".into()));
        }
        Ok(())
    }
}

/// Replays segment `segment` (checkpoint `segment` to `segment + 1`).
#[allow(clippy::too_many_arguments)]
pub fn replay_segment(
    rt: Deterministic,
    spec: &JobSpec,
    claimed: &TrainResult,
    segment: usize,
    start_checkpoint: Option<&[u8]>,
    dataset: &Dataset,
    budget: &Budget,
    progress: &mut dyn Progress,
) -> Result<Verdict, EngineError> {
    let to = segment
        .checked_add(1)
        .ok_or_else(|| bad_range(segment, segment))?;
    replay_range(
        rt,
        spec,
        claimed,
        segment,
        to,
        start_checkpoint,
        dataset,
        budget,
        progress,
    )
}

/// For a job from `training.init_weights`, the start check `check_claim` leaves to its
/// caller: checkpoint 0 must hold those weights (read from the spec's path hint) with zeroed
/// optimizer slots. `Ok(Err(verdict))` settles the audit; `Err` is the verifier's own
/// failure to read the weights.
pub(crate) fn check_init_start(
    spec: &JobSpec,
    claimed: &TrainResult,
) -> Result<Result<(), Verdict>, EngineError> {
    let t = spec.training()?;
    if t.init_weights.is_none() {
        return Ok(Ok(()));
    }
    let start = start_state_digest(&crate::model::start_params(spec)?, &t.optimizer);
    Ok(check_start(spec, claimed, &start))
}

fn bad_range(from: usize, to: usize) -> EngineError {
    EngineError::Request(format!(
        "checkpoints {from}..={to} are not a range of the claimed run"
    ))
}

/// Replays checkpoints `from..=to`. `start_checkpoint` is the file of checkpoint `from`
/// as delivered; it is not needed (and ignored) for `from == 0`, whose state the verifier
/// recomputes from the spec's seed, or reads from the `training.init_weights` path hint.
#[allow(clippy::too_many_arguments)]
pub fn replay_range(
    rt: Deterministic,
    spec: &JobSpec,
    claimed: &TrainResult,
    from: usize,
    to: usize,
    start_checkpoint: Option<&[u8]>,
    dataset: &Dataset,
    budget: &Budget,
    progress: &mut dyn Progress,
) -> Result<Verdict, EngineError> {
    if dataset.sha256 != spec.dataset.sha256 {
        return Err(EngineError::Dataset {
            path: dataset.path.clone(),
            message: "is not the job's dataset".into(),
        });
    }
    let plan = match check_claim(
        spec,
        claimed,
        dataset.rows as u64,
        &runtime::environment(rt),
    ) {
        Ok(p) => p,
        Err(v) => return Ok(v),
    };
    if let Err(v) = check_init_start(spec, claimed)? {
        return Ok(v);
    }
    let n = plan.checkpoint_steps.len();
    if from >= to || to >= n {
        return Err(bad_range(from, to));
    }
    let steps = &plan.checkpoint_steps;
    let work = steps[to] - steps[from];
    budget.admit(work, spec, dataset)?;
    let t = spec.training()?;

    let device = tch::Device::Cpu;
    let (model, mut opt) = if from == 0 {
        // check_claim (or check_init_start) compared checkpoint 0 with this very state.
        let model = crate::model::start_model(spec, device)?;
        let opt = Optimizer::new(&t.optimizer, &model)?;
        (model, opt)
    } else {
        match checkpoint::restore(spec, claimed, from, start_checkpoint, device)? {
            Restored::State(model, opt) => (model, opt),
            Restored::Rejected(v) => return Ok(v),
        }
    };

    let (train_part, _) = dataset.split(&spec.split)?;
    let train_part = to_device(train_part, device)?;
    let mut runner = StepRunner::new(&train_part, t, device);
    let mut chain = ChainHasher::resume(claimed.checkpoints[from].hash);
    progress.begin("replay", work);
    let mut next = from + 1;
    for step in steps[from]..steps[to] {
        budget.check()?;
        let loss = runner.run(&model, &mut opt, step)?;
        progress.step(step + 1 - steps[from], loss);
        if step + 1 == steps[next] {
            let rec = &claimed.checkpoints[next];
            let digest = state::digest(&state::training_state(&model, &opt)?);
            let hash = chain.push(step + 1, &digest);
            if hash != rec.hash {
                progress.end();
                return Ok(Verdict::Diverged {
                    checkpoint: next,
                    step: rec.step,
                    expected: rec.hash,
                    actual: hash,
                    reason: "the re-executed state differs from the recorded checkpoint".into(),
                });
            }
            progress.checkpoint(next, rec.step, &hash);
            next += 1;
        }
    }
    progress.end();
    if to == n - 1 && state::digest(&state::weights(&model)?) != claimed.final_weights_sha256 {
        return Ok(Verdict::malformed(
            "final_weights_sha256 is not the weights of the last checkpoint",
        ));
    }
    Ok(Verdict::Honest {
        from_checkpoint: from,
        to_checkpoint: to,
        from_step: steps[from],
        to_step: steps[to],
    })
}
