//! Compute-to-data orders (docs/compute.md, "Compute-to-data"): an order naming a dataset
//! (`dataset_id`) may be leased only by that dataset's provider, whose worker runs the job
//! next to the data. The daemon bids on one only if the dataset's provider is its own
//! address, the spec names the dataset's `content_sha256`, and the dataset is on this
//! machine outside the artifact store it serves ([`JobRunner::has_local_dataset`]): the
//! data is never fetched from elsewhere, and never put where anyone could download it by
//! its hash (which is on chain). Others' compute-to-data orders are skipped, not errors.
//! What the job publishes is what every job publishes: result.json (spec, checkpoint
//! hashes, metrics), checkpoints and weights; never the data.

use deai_proto::compute::v1 as pb;
use deai_proto::data::v1 as data_pb;
use deai_worker_artifacts::Store;
use deai_worker_jobs::JobSpec;

use crate::runner::JobRunner;

/// Why the provider does not bid on a compute-to-data order, if it does not. `dataset` is
/// the chain's answer for `order.dataset_id`.
pub fn refusal(order: &pb::Order, dataset: Option<&data_pb::Dataset>, me: &str) -> Option<String> {
    let Some(d) = dataset else {
        return Some(format!("its dataset {} is not on chain", order.dataset_id));
    };
    let provider = d.provider.as_ref().map_or("", |p| p.address.as_str());
    if provider != me {
        return Some(format!(
            "a compute-to-data order of dataset {}, which only its provider {provider} runs",
            d.id
        ));
    }
    None
}

/// Whether this machine can run `spec` on the dataset without fetching or serving it.
pub fn local_data(
    spec: &JobSpec,
    dataset: &data_pb::Dataset,
    runner: &dyn JobRunner,
    store: &Store,
) -> Result<(), String> {
    let named = spec.dataset.sha256;
    if named.0.as_slice() != dataset.content_sha256.as_slice() {
        return Err(format!(
            "the spec names dataset {named}, not dataset {}'s content",
            dataset.id
        ));
    }
    if runner.has_local_dataset(spec) {
        return Ok(());
    }
    if store.contains(&named) {
        return Err(format!(
            "compute-to-data dataset {named} is in the served artifact store, where anyone can \
             download it: keep it under the dataset roots instead"
        ));
    }
    Err(format!(
        "compute-to-data dataset {named} is not on this machine (it is never fetched)"
    ))
}
