//! The audit of a claimed training result against its job, before any re-execution: what
//! a verifier can check from the spec, the dataset's row count and the records alone. It
//! never trusts the step count, schedule or start the worker reports: it recomputes them.

use crate::digest::{ChainHasher, Digest};
use crate::init::initial_state_digest;
use crate::result::{DeviceRecord, TrainResult, RESULT_VERSION};
use crate::schedule::{plan, Plan};
use crate::spec::JobSpec;
use crate::verdict::Verdict;

/// The only device mode the chain audits by re-execution.
pub const DETERMINISTIC_MODE: &str = "cpu-deterministic";

/// The verifier's own build and settings, compared with the worker's before re-executing.
#[derive(Clone, Debug, PartialEq)]
pub struct Environment {
    pub worker_version: String,
    pub libtorch_version: String,
    pub device: DeviceRecord,
}

/// Checks a claim against the job. `dataset_rows` is the row count of the dataset the
/// verifier itself loaded (checked against the spec's sha256). Returns the plan the job
/// had to follow, or the verdict that settles the audit without re-execution.
///
/// Order matters: contradictions visible in the records alone are `Malformed` whatever
/// the worker's version; then a different build or mode is `Incomparable`; only then is
/// the start compared with the seeded initial state (its algorithm belongs to the build).
pub fn check_claim(
    spec: &JobSpec,
    claimed: &TrainResult,
    dataset_rows: u64,
    own: &Environment,
) -> Result<Plan, Verdict> {
    let bad = |m: String| Err(Verdict::malformed(m));
    if claimed.version != RESULT_VERSION {
        return bad(format!("result version {}", claimed.version));
    }
    let spec_hash = spec.hash();
    if claimed.spec_sha256 != spec_hash || claimed.spec.hash() != spec_hash {
        return bad(format!(
            "the result is for spec {}, the job is {spec_hash}",
            claimed.spec_sha256
        ));
    }
    let t = spec
        .training()
        .map_err(|e| Verdict::malformed(e.to_string()))?;
    let p = plan(spec, dataset_rows).map_err(|e| Verdict::malformed(e.to_string()))?;
    match claimed.datasets.as_slice() {
        [d] if d.sha256 == spec.dataset.sha256
            && (d.rows, d.train_rows, d.test_rows) == (p.rows, p.train_rows, p.test_rows) => {}
        _ => return bad("the dataset record does not match the job's dataset and split".into()),
    }
    if claimed.steps != p.total_steps || claimed.steps_per_epoch != p.steps_per_epoch {
        return bad(format!(
            "claims {} steps ({} per epoch); the spec requires {} ({} per epoch)",
            claimed.steps, claimed.steps_per_epoch, p.total_steps, p.steps_per_epoch
        ));
    }
    let steps: Vec<u64> = claimed.checkpoints.iter().map(|c| c.step).collect();
    if steps != p.checkpoint_steps {
        return bad(format!(
            "{} checkpoints do not follow the schedule of {} checkpoints every {} steps",
            steps.len(),
            p.checkpoint_steps.len(),
            t.checkpoint_every
        ));
    }
    let mut chain = ChainHasher::new(&spec_hash, &[spec.dataset.sha256]);
    for (i, c) in claimed.checkpoints.iter().enumerate() {
        if chain.push(c.step, &c.state_sha256) != c.hash {
            return bad(format!(
                "checkpoint {i}'s hash does not follow from the chain and its state digest"
            ));
        }
    }

    comparable(claimed, own)?;

    // A job from `training.init_weights` starts from a file this function does not have:
    // its caller checks the start with `check_start` once it has loaded that file.
    if t.init_weights.is_none() {
        check_start(
            spec,
            claimed,
            &initial_state_digest(&spec.model, &t.optimizer, t.seed),
        )?;
    }
    Ok(p)
}

/// Checks that the claim's checkpoint 0 holds `start`, the digest of the job's initial
/// training state (`init::initial_state_digest` for a seeded job,
/// `init::start_state_digest` of the `training.init_weights` file otherwise): `Diverged`
/// at checkpoint 0 if not.
pub fn check_start(spec: &JobSpec, claimed: &TrainResult, start: &Digest) -> Result<(), Verdict> {
    let Some(first) = claimed.checkpoints.first() else {
        return Err(Verdict::malformed("the result has no checkpoint 0"));
    };
    if first.state_sha256 != *start {
        return Err(Verdict::Diverged {
            checkpoint: 0,
            step: 0,
            expected: ChainHasher::link(
                &ChainHasher::new(&spec.hash(), &[spec.dataset.sha256]).head(),
                0,
                start,
            ),
            actual: first.hash,
            reason:
                "the run does not start from the job's initial weights with zeroed optimizer state"
                    .into(),
        });
    }
    Ok(())
}

/// `Incomparable` unless the result was computed by this build in this verifier's mode.
pub fn comparable(claimed: &TrainResult, own: &Environment) -> Result<(), Verdict> {
    let d = &claimed.device;
    let o = &own.device;
    let pairs = [
        ("device mode", &d.mode, &o.mode),
        (
            "worker version",
            &claimed.worker_version,
            &own.worker_version,
        ),
        (
            "libtorch version",
            &claimed.libtorch_version,
            &own.libtorch_version,
        ),
        ("ATEN_CPU_CAPABILITY", &d.cpu_capability, &o.cpu_capability),
        ("MKL_CBWR", &d.mkl_cbwr, &o.mkl_cbwr),
        (
            "ONEDNN_MAX_CPU_ISA",
            &d.onednn_max_cpu_isa,
            &o.onednn_max_cpu_isa,
        ),
    ];
    for (what, theirs, ours) in pairs {
        if theirs != ours {
            return Err(Verdict::Incomparable {
                reason: format!("{what} {theirs:?}, the verifier runs {ours:?}"),
            });
        }
    }
    if d.intra_op_threads != o.intra_op_threads || o.mode != DETERMINISTIC_MODE {
        return Err(Verdict::Incomparable {
            reason: format!(
                "{} thread(s) in mode {:?}; the verifier runs {} in {:?}",
                d.intra_op_threads, d.mode, o.intra_op_threads, o.mode
            ),
        });
    }
    Ok(())
}
