//! Checkpoint files as a verifier receives them: bounded, checked against the committed
//! file hash and state digest, and restored into a model and optimizer. Anything wrong
//! with a delivered file is a verdict against the worker, not an error of the verifier.

use deai_worker_jobs::init::{parameter_count, slot_names, PARAM_PREFIX};
use deai_worker_jobs::{Digest, JobSpec, TrainResult, Verdict};

use crate::data::Dataset;
use crate::error::EngineError;
use crate::model::Model;
use crate::optim::Optimizer;
use crate::state::{self, HostMap};

/// Optimizer slots per parameter (none for evaluate and infer jobs).
fn slots_per_param(spec: &JobSpec) -> u64 {
    spec.training
        .as_ref()
        .map_or(0, |t| slot_names(&t.optimizer).len() as u64)
}

/// Tensors in a training state: parameters and their optimizer slots.
fn state_tensors(spec: &JobSpec) -> u64 {
    let params = crate::model::param_shapes(&spec.model).len() as u64;
    params * (1 + slots_per_param(spec))
}

/// Largest checkpoint file an honest worker can produce for this spec: the f32 data of
/// every parameter and slot, plus a generous safetensors header. Callers read no more than
/// this many bytes of a delivered checkpoint.
pub fn max_checkpoint_bytes(spec: &JobSpec) -> u64 {
    let params = parameter_count(&spec.model).unwrap_or(u64::MAX);
    let slots = slots_per_param(spec);
    params
        .saturating_mul(4 * (1 + slots))
        .saturating_add(65_536 + 256 * state_tensors(spec))
}

/// Memory a replay needs, roughly: the parameters, their gradients and optimizer slots,
/// one checkpoint file, and the dataset on the host and as tensors.
pub fn memory_estimate(spec: &JobSpec, dataset: &Dataset) -> u64 {
    let params = parameter_count(&spec.model).unwrap_or(u64::MAX);
    let slots = slots_per_param(spec);
    let data = (dataset.rows as u64).saturating_mul(dataset.cols as u64 * 4 + 8);
    params
        .saturating_mul(4 * (2 + slots))
        .saturating_add(max_checkpoint_bytes(spec))
        .saturating_add(data.saturating_mul(2))
}

/// A checkpoint after the checks: restored, or the verdict that settles the audit.
pub enum Restored {
    State(Model, Optimizer),
    Rejected(Verdict),
}

/// Checks delivered bytes against checkpoint `index`'s record and parses them.
pub(crate) fn verified_state(
    spec: &JobSpec,
    claimed: &TrainResult,
    index: usize,
    bytes: Option<&[u8]>,
) -> Result<HostMap, Verdict> {
    let rec = &claimed.checkpoints[index];
    let what = format!(
        "checkpoint {index} (step {}, file {})",
        rec.step, rec.file_sha256
    );
    let bytes = bytes.ok_or_else(|| Verdict::withheld(format!("{what} was not delivered")))?;
    if bytes.len() as u64 > max_checkpoint_bytes(spec) || Digest::of(bytes) != rec.file_sha256 {
        return Err(Verdict::withheld(format!(
            "the bytes delivered as {what} are not that file"
        )));
    }
    let name = std::path::Path::new("checkpoint");
    let st = state::from_safetensors(bytes, name)
        .map_err(|e| Verdict::malformed(format!("{what}: {e}")))?;
    if state::digest(&st) != rec.state_sha256 {
        return Err(Verdict::malformed(format!(
            "{what} does not hold the committed state {}",
            rec.state_sha256
        )));
    }
    Ok(st)
}

/// Restores checkpoint `index` from delivered bytes into a model and optimizer on `device`.
pub fn restore(
    spec: &JobSpec,
    claimed: &TrainResult,
    index: usize,
    bytes: Option<&[u8]>,
    device: tch::Device,
) -> Result<Restored, EngineError> {
    let t = spec.training()?;
    let st = match verified_state(spec, claimed, index, bytes) {
        Ok(st) => st,
        Err(v) => return Ok(Restored::Rejected(v)),
    };
    // The committed state itself may not fit the model: that too is the worker's doing.
    let restored = state::split_state(&st).and_then(|(params, slots)| {
        let model = Model::from_params(&spec.model, params, device)?;
        let opt = Optimizer::from_slots(&t.optimizer, &model, slots)?;
        Ok((model, opt))
    });
    Ok(match restored {
        Ok((model, opt)) => Restored::State(model, opt),
        Err(EngineError::Shape(m)) => {
            Restored::Rejected(Verdict::malformed(format!("checkpoint {index}: {m}")))
        }
        Err(e) => return Err(e),
    })
}

/// Canonical digest of the parameters in a training state (its `param/` tensors, named
/// as in a weights file): what `final_weights_sha256` must be for the last checkpoint.
pub(crate) fn weights_digest_of_state(st: &HostMap) -> Result<Digest, EngineError> {
    let mut weights = HostMap::new();
    for (name, t) in st {
        if let Some(n) = name.strip_prefix(PARAM_PREFIX) {
            weights.insert(n.to_string(), t.clone());
        }
    }
    Ok(state::digest(&weights))
}
