//! `deai-worker fetch-result`: the accepted result of a completed order, downloaded from
//! the providers' artifact servers and checked against the chain before anything is
//! written. The engine's publication check (`verify_published`, libtorch) is passed in by
//! the binary.

use bytes::Bytes;
use deai_proto::compute::v1 as pb;
use deai_worker_jobs::{JobSpec, TrainResult};

use crate::chain::NodeQueries;
use crate::orders::order_spec;
use crate::remote::fetch_result;

/// Largest weights file downloaded.
pub const MAX_WEIGHTS_BYTES: u64 = 1 << 30;

/// A result that matches the chain, with the files the publication check needs.
pub struct Fetched {
    pub lease_id: u64,
    pub provider: String,
    pub artifact_uri: String,
    pub spec: JobSpec,
    pub result: TrainResult,
    pub result_json: Bytes,
    pub last_checkpoint: Bytes,
    pub weights: Bytes,
}

/// The order, which must be completed, and its results.
pub async fn completed_order(
    q: &NodeQueries,
    order_id: u64,
) -> anyhow::Result<(pb::Order, Vec<pb::Result>)> {
    let order = q
        .order(order_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("order {order_id} not found"))?;
    anyhow::ensure!(
        order.state == pb::OrderState::Completed as i32,
        "order {order_id} is {} (not completed): it has no accepted result",
        pb::OrderState::try_from(order.state)
            .map(|s| s.as_str_name())
            .unwrap_or("in an unknown state")
    );
    let results = q.results(order_id).await?;
    Ok((order, results))
}

/// Checks a downloaded result against the chain: it is the order's job, its chain head is
/// the accepted `result_hash`, and its checkpoints are the ones the provider submitted.
pub fn check_against_chain(
    order: &pb::Order,
    onchain: &pb::Result,
    result: &TrainResult,
) -> anyhow::Result<JobSpec> {
    let spec = order_spec(order).map_err(|e| anyhow::anyhow!("the order's spec: {e}"))?;
    anyhow::ensure!(
        result.spec_sha256 == spec.hash() && result.spec.hash() == spec.hash(),
        "result.json is for spec {}, the order's is {}",
        result.spec_sha256,
        spec.hash()
    );
    let head = result
        .checkpoints
        .last()
        .ok_or_else(|| anyhow::anyhow!("result.json has no checkpoints"))?;
    anyhow::ensure!(
        head.hash.0.as_slice() == order.result_hash.as_slice(),
        "result.json's last checkpoint {} is not the order's result_hash {}",
        head.hash,
        hex::encode(&order.result_hash)
    );
    let hashes: Vec<&[u8]> = result
        .checkpoints
        .iter()
        .map(|c| c.hash.0.as_slice())
        .collect();
    let submitted: Vec<&[u8]> = onchain
        .checkpoint_hashes
        .iter()
        .map(Vec::as_slice)
        .collect();
    anyhow::ensure!(
        hashes == submitted,
        "result.json's checkpoints are not the ones submitted on chain"
    );
    anyhow::ensure!(
        result.final_weights_sha256.0.as_slice() == onchain.weights_sha256.as_slice(),
        "result.json's final_weights_sha256 is not the weights_sha256 submitted on chain"
    );
    Ok(spec)
}

async fn fetch_one(
    order: &pb::Order,
    r: &pb::Result,
    max_checkpoint_bytes: impl Fn(&JobSpec) -> u64,
) -> anyhow::Result<Fetched> {
    let (result, result_json, server) = fetch_result(&r.artifact_uri).await?;
    let spec = check_against_chain(order, r, &result)?;
    let last = result
        .checkpoints
        .last()
        .ok_or_else(|| anyhow::anyhow!("result.json has no checkpoints"))?;
    let last_checkpoint = server
        .blob(&last.file_sha256, max_checkpoint_bytes(&spec))
        .await
        .map_err(|e| anyhow::anyhow!("the last checkpoint: {e:#}"))?;
    let weights = server
        .blob(&result.weights_file_sha256, MAX_WEIGHTS_BYTES)
        .await
        .map_err(|e| anyhow::anyhow!("the weights file: {e:#}"))?;
    Ok(Fetched {
        lease_id: r.lease_id,
        provider: r.provider.clone(),
        artifact_uri: r.artifact_uri.clone(),
        spec,
        result,
        result_json,
        last_checkpoint,
        weights,
    })
}

/// Tries each result whose `result_hash` is the order's, in order, until one downloads,
/// matches the chain and passes `verify`. The error lists why each one failed.
pub async fn fetch_accepted(
    order: &pb::Order,
    results: &[pb::Result],
    max_checkpoint_bytes: impl Fn(&JobSpec) -> u64,
    mut verify: impl FnMut(&Fetched) -> anyhow::Result<()>,
) -> anyhow::Result<Fetched> {
    let mut failures = Vec::new();
    for r in results
        .iter()
        .filter(|r| r.result_hash == order.result_hash)
    {
        let attempt = match fetch_one(order, r, &max_checkpoint_bytes).await {
            Ok(f) => verify(&f).map(|()| f),
            Err(e) => Err(e),
        };
        match attempt {
            Ok(f) => return Ok(f),
            Err(e) => {
                tracing::warn!(lease = r.lease_id, provider = %r.provider, error = %crate::one_line(&e), "result unusable; trying the next provider");
                failures.push(format!(
                    "lease {} ({}): {}",
                    r.lease_id,
                    r.provider,
                    crate::one_line(&e)
                ));
            }
        }
    }
    anyhow::ensure!(
        !failures.is_empty(),
        "order {} has no result with its result_hash {}",
        order.id,
        hex::encode(&order.result_hash)
    );
    anyhow::bail!(
        "no result of order {} could be fetched and verified: {}",
        order.id,
        failures.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::publish::tests::{fake_run, spec};
    use deai_worker_jobs::Digest;

    #[test]
    fn a_result_must_be_the_orders_job_and_its_accepted_head() {
        let dir = tempfile::tempdir().unwrap();
        let s = spec();
        let r = fake_run(&s, dir.path(), 3);
        let text = serde_json::to_string(&s).unwrap();
        let order = pb::Order {
            id: 1,
            spec: text.as_bytes().to_vec(),
            spec_sha256: Digest::of(text.as_bytes()).0.to_vec(),
            state: pb::OrderState::Completed as i32,
            result_hash: r.checkpoints[2].hash.0.to_vec(),
            ..Default::default()
        };
        let onchain = pb::Result {
            lease_id: 1,
            result_hash: order.result_hash.clone(),
            weights_sha256: r.final_weights_sha256.0.to_vec(),
            checkpoint_hashes: r.checkpoints.iter().map(|c| c.hash.0.to_vec()).collect(),
            ..Default::default()
        };
        check_against_chain(&order, &onchain, &r).unwrap();

        let mut other = order.clone();
        other.result_hash = r.checkpoints[1].hash.0.to_vec();
        let e = check_against_chain(&other, &onchain, &r).unwrap_err();
        assert!(e.to_string().contains("not the order's result_hash"), "{e}");

        let mut forged = onchain.clone();
        forged.checkpoint_hashes[1] = vec![0; 32];
        assert!(check_against_chain(&order, &forged, &r).is_err());

        let mut r2 = r.clone();
        r2.spec.training.as_mut().unwrap().seed = 99;
        r2.spec_sha256 = r2.spec.hash();
        let e = check_against_chain(&order, &onchain, &r2).unwrap_err();
        assert!(e.to_string().contains("is for spec"), "{e}");
    }
}
