//! Evaluate and infer jobs on saved weights.

use std::path::Path;

use deai_worker_jobs::result::{EvalReport, InferReport};
use deai_worker_jobs::spec::{JobKind, JobSpec};
use deai_worker_jobs::{Digest, SpecError};

use crate::data::{self, Part};
use crate::error::EngineError;
use crate::model::Model;
use crate::train::{evaluate_part, to_device};
use crate::{runtime, state};

fn expect_kind(spec: &JobSpec, kind: JobKind) -> Result<(), EngineError> {
    spec.validate()?;
    if spec.kind != kind {
        let want = serde_json::to_string(&kind).unwrap_or_default();
        return Err(SpecError {
            path: "kind".into(),
            message: format!("expected {want}"),
        }
        .into());
    }
    Ok(())
}

/// Loads the weights file, checked against the spec's `weights.sha256`.
pub fn load_model(
    spec: &JobSpec,
    weights_path: &Path,
    device: tch::Device,
) -> Result<(Model, Digest), EngineError> {
    let w = spec.weights.as_ref().ok_or_else(|| SpecError {
        path: "weights".into(),
        message: "required for kinds \"evaluate\" and \"infer\"".into(),
    })?;
    let limit = crate::checkpoint::max_checkpoint_bytes(spec);
    let bytes = state::read_verified(weights_path, &w.sha256, limit)?;
    let map = state::from_safetensors(&bytes, weights_path)?;
    let params = map
        .iter()
        .map(|(n, t)| Ok((n.clone(), t.to_tensor()?)))
        .collect::<Result<_, EngineError>>()?;
    let model =
        Model::from_params(&spec.model, params, device).map_err(|e| EngineError::Weights {
            path: weights_path.into(),
            message: e.to_string(),
        })?;
    Ok((model, w.sha256))
}

fn load_part(
    spec: &JobSpec,
    data_path: &Path,
    device: tch::Device,
) -> Result<(Part, Digest), EngineError> {
    let ds = data::load(data_path, &spec.dataset)?;
    ds.check_fits(&spec.model)?;
    let part = to_device(ds.subset(&spec.split, spec.subset)?, device)?;
    Ok((part, ds.sha256))
}

pub fn evaluate(
    spec: &JobSpec,
    data_path: &Path,
    weights_path: &Path,
) -> Result<EvalReport, EngineError> {
    runtime::init();
    expect_kind(spec, JobKind::Evaluate)?;
    let device = runtime::device(spec.device)?;
    let (model, weights_sha256) = load_model(spec, weights_path, device)?;
    let (part, dataset_sha256) = load_part(spec, data_path, device)?;
    let (accuracy, loss) = evaluate_part(&model, &part)?;
    Ok(EvalReport {
        spec_sha256: spec.hash(),
        weights_sha256,
        dataset_sha256,
        subset: spec.subset,
        samples: part.rows as u64,
        accuracy,
        loss,
    })
}

pub fn infer(
    spec: &JobSpec,
    data_path: &Path,
    weights_path: &Path,
) -> Result<InferReport, EngineError> {
    runtime::init();
    expect_kind(spec, JobKind::Infer)?;
    let device = runtime::device(spec.device)?;
    let (model, weights_sha256) = load_model(spec, weights_path, device)?;
    let (part, dataset_sha256) = load_part(spec, data_path, device)?;
    let logits = tch::no_grad(|| model.forward(&part.x))?;
    let predictions =
        Vec::<i64>::try_from(&logits.f_argmax(-1, false)?.f_to_device(tch::Device::Cpu)?)?;
    let host = state::HostTensor::from_tensor(&logits)?;
    Ok(InferReport {
        spec_sha256: spec.hash(),
        weights_sha256,
        dataset_sha256,
        subset: spec.subset,
        samples: part.rows as u64,
        predictions,
        logits_sha256: Digest::of(host.data_le()),
    })
}

/// Labels of the rows an evaluate or infer spec selects (for checking predictions).
pub fn labels(spec: &JobSpec, data_path: &Path) -> Result<Vec<i64>, EngineError> {
    runtime::init();
    let ds = data::load(data_path, &spec.dataset)?;
    let part = ds.subset(&spec.split, spec.subset)?;
    Ok(Vec::<i64>::try_from(&part.y)?)
}

/// Accuracy of a weights file on every row of a held-out dataset, for `spec.model` (what a
/// training market's validator scores a submitted model by). The weights are read at most
/// `init::max_weights_bytes` and checked against `weights_sha256`, then against the model's
/// tensor names and shapes; the dataset is read as `held_out` describes (typically the
/// task's `spec.dataset` with another `sha256`) and checked against its sha256. Runs on
/// `spec.device`.
pub fn accuracy_of(
    spec: &JobSpec,
    weights_path: &Path,
    weights_sha256: &Digest,
    data_path: &Path,
    held_out: &deai_worker_jobs::spec::DatasetRef,
) -> Result<f64, EngineError> {
    runtime::init();
    let device = runtime::device(spec.device)?;
    let limit = deai_worker_jobs::init::max_weights_bytes(&spec.model);
    let bytes = state::read_verified(weights_path, weights_sha256, limit)?;
    let params = deai_worker_jobs::init::weights_from_safetensors(&bytes, &spec.model).map_err(
        |message| EngineError::Weights {
            path: weights_path.into(),
            message,
        },
    )?;
    let model = Model::from_init(&spec.model, params, device)?;
    let ds = data::load(data_path, held_out)?;
    ds.check_fits(&spec.model)?;
    let part = to_device(
        ds.subset(&spec.split, deai_worker_jobs::spec::Subset::All)?,
        device,
    )?;
    Ok(evaluate_part(&model, &part)?.0)
}
