//! The check of what a training job publishes: the final weights file is the audited
//! weights, and the reported accuracies are what those weights score. Together with
//! replayed segments this ties the file a buyer downloads to the checkpoint chain.

use deai_worker_jobs::audit::check_claim;
use deai_worker_jobs::{Digest, JobSpec, TrainResult, Verdict};
use serde::Serialize;

use crate::checkpoint::{verified_state, weights_digest_of_state};
use crate::data::Dataset;
use crate::error::EngineError;
use crate::model::Model;
use crate::runtime::{self, Deterministic};
use crate::state;
use crate::train::{evaluate_part, to_device};

/// The metrics recomputed from the published weights. `final_loss` (the mean loss over the
/// last epoch's batches) can only be re-derived by replaying that epoch, so it is reported
/// as claimed and marked unverified.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VerifiedMetrics {
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    pub final_loss_unverified: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Published {
    Verified(VerifiedMetrics),
    Rejected(Verdict),
}

/// Checks the last checkpoint (as delivered) against `final_weights_sha256`, the weights
/// file (as delivered) against `weights_file_sha256` and `final_weights_sha256`, and
/// recomputes the accuracies with those weights on the verifier's own dataset.
pub fn verify_published(
    rt: Deterministic,
    spec: &JobSpec,
    claimed: &TrainResult,
    last_checkpoint: Option<&[u8]>,
    weights_file: Option<&[u8]>,
    dataset: &Dataset,
) -> Result<Published, EngineError> {
    if dataset.sha256 != spec.dataset.sha256 {
        return Err(EngineError::Dataset {
            path: dataset.path.clone(),
            message: "is not the job's dataset".into(),
        });
    }
    let rejected = |v: Verdict| Ok(Published::Rejected(v));
    if let Err(v) = check_claim(
        spec,
        claimed,
        dataset.rows as u64,
        &runtime::environment(rt),
    ) {
        return rejected(v);
    }
    if let Err(v) = crate::replay::check_init_start(spec, claimed)? {
        return rejected(v);
    }
    let last = claimed.checkpoints.len() - 1;
    let st = match verified_state(spec, claimed, last, last_checkpoint) {
        Ok(st) => st,
        Err(v) => return rejected(v),
    };
    if weights_digest_of_state(&st)? != claimed.final_weights_sha256 {
        return rejected(Verdict::malformed(
            "final_weights_sha256 is not the weights of the last checkpoint",
        ));
    }

    let Some(bytes) = weights_file else {
        return rejected(Verdict::withheld("the weights file was not delivered"));
    };
    if Digest::of(bytes) != claimed.weights_file_sha256 {
        return rejected(Verdict::withheld(format!(
            "the bytes delivered as the weights file are not {}",
            claimed.weights_file_sha256
        )));
    }
    let path = std::path::Path::new("weights file");
    let weights = match state::from_safetensors(bytes, path) {
        Ok(w) if state::digest(&w) == claimed.final_weights_sha256 => w,
        _ => {
            return rejected(Verdict::malformed(format!(
                "the weights file {} does not hold the audited weights {}",
                claimed.weights_file_sha256, claimed.final_weights_sha256
            )))
        }
    };

    let device = tch::Device::Cpu;
    let params = weights
        .iter()
        .map(|(n, t)| Ok((n.clone(), t.to_tensor()?)))
        .collect::<Result<_, EngineError>>()?;
    let model = Model::from_params(&spec.model, params, device)?;
    let (train_part, test_part) = dataset.split(&spec.split)?;
    let (train_accuracy, _) = evaluate_part(&model, &to_device(train_part, device)?)?;
    let (test_accuracy, _) = evaluate_part(&model, &to_device(test_part, device)?)?;
    let m = &claimed.metrics;
    if (train_accuracy, test_accuracy) != (m.train_accuracy, m.test_accuracy) {
        return rejected(Verdict::malformed(format!(
            "claimed accuracies train {} / test {}, the published weights score {train_accuracy} / {test_accuracy}",
            m.train_accuracy, m.test_accuracy
        )));
    }
    Ok(Published::Verified(VerifiedMetrics {
        train_accuracy,
        test_accuracy,
        final_loss_unverified: m.final_loss,
    }))
}
