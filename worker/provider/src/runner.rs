//! Job execution behind a small trait, so the daemon's logic builds and is tested without
//! libtorch. The `deai-worker` binary implements it with the deterministic engine (the
//! same code path as `deai-worker train --publish` and `deai-worker replay`).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use deai_worker_jobs::{Digest, JobSpec, TrainResult};

/// Raised on shutdown; jobs stop at their next step boundary.
#[derive(Clone, Default, Debug)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
    pub fn shared(&self) -> Arc<AtomicBool> {
        self.0.clone()
    }
}

/// The start of an audited segment `K > 0`: a result whose checkpoint K is the agreed one,
/// and the bytes delivered as that checkpoint's file (`None`: not delivered).
pub struct AuditStart<'a> {
    pub claimed: &'a TrainResult,
    pub file: Option<&'a [u8]>,
}

/// The verifier's answer: the chain hash of checkpoint K + 1 of the true run, or `None`
/// when the run has no checkpoint K + 1 (the chain then expects empty bytes).
pub type Answer = Option<Digest>;

pub trait JobRunner: Send + Sync + 'static {
    /// Resolves the spec's data and counts the checkpoints its schedule records; an error
    /// says why this provider cannot run the job.
    fn checkpoints(&self, spec: &JobSpec) -> Result<usize, String>;

    /// Whether the spec's dataset is on this machine where [`JobRunner::checkpoints`] and
    /// [`JobRunner::train`] will find it without fetching anything, and outside the artifact
    /// store the provider serves (under its dataset roots). A compute-to-data job runs only
    /// then: its data is never fetched from elsewhere nor served. The default knows no such
    /// place, so a runner that does not say never runs compute-to-data jobs.
    fn has_local_dataset(&self, _spec: &JobSpec) -> bool {
        false
    }

    /// The most bytes an honest checkpoint file of this spec can have.
    fn max_checkpoint_bytes(&self, spec: &JobSpec) -> u64;

    /// Trains `spec` into `out` (`result.json`, `weights.safetensors`,
    /// `checkpoints/NNNNN.safetensors`), stopping with an error at the next step boundary
    /// once `cancel` is raised.
    fn train(&self, spec: &JobSpec, out: &Path, cancel: &CancelFlag)
        -> anyhow::Result<TrainResult>;

    /// Replays segment `segment` of `spec` (from the seed for segment 0, else from `start`)
    /// and answers with checkpoint `segment + 1`'s chain hash. `Ok(Err(reason))`: `start` is
    /// unusable (withheld, or not the agreed state); try another result.
    fn audit_answer(
        &self,
        spec: &JobSpec,
        segment: usize,
        start: Option<AuditStart<'_>>,
        cancel: &CancelFlag,
    ) -> anyhow::Result<Result<Answer, String>>;
}
