//! `deai-worker fetch-result --node URL --order ID --out DIR`: downloads the accepted result
//! of a completed order from the providers' artifact servers, checks it against the chain
//! (the order's spec, its result_hash as the chain head, the submitted checkpoints and
//! weights digest) and with the engine's publication check (the weights file holds the
//! audited weights and scores the claimed accuracies), then writes result.json and
//! weights.safetensors into DIR.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use deai_worker_engine::{self as engine, runtime, Published};
use deai_worker_provider::fetch::{completed_order, fetch_accepted, Fetched};
use deai_worker_provider::NodeQueries;
use serde::Serialize;

use crate::provider_cmd::NodeArgs;
use crate::{print, Output, SourceArgs};

#[derive(Args)]
pub struct FetchArgs {
    #[command(flatten)]
    node: NodeArgs,
    /// The order whose accepted result to fetch.
    #[arg(long)]
    order: u64,
    /// Where to write result.json and weights.safetensors.
    #[arg(long)]
    out: PathBuf,
    /// The dataset, to recompute the claimed accuracies (otherwise the spec's path hint,
    /// then the store, then --artifact-server).
    #[arg(long)]
    data: Option<PathBuf>,
    #[command(flatten)]
    sources: SourceArgs,
}

#[derive(Serialize)]
struct Summary {
    order_id: u64,
    lease_id: u64,
    provider: String,
    artifact_uri: String,
    result_hash: String,
    spec_sha256: String,
    final_weights_sha256: String,
    weights_file_sha256: String,
    checkpoints: usize,
    train_accuracy: f64,
    test_accuracy: f64,
    result: PathBuf,
    weights: PathBuf,
}

pub fn run(out: Output, a: &FetchArgs) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let q = NodeQueries::new(&a.node.url())?;
    let (order, results) = rt.block_on(completed_order(&q, a.order))?;
    let spec = deai_worker_provider::orders::order_spec(&order)
        .map_err(|e| anyhow::anyhow!("order {}: {e}", a.order))?;
    let d = &spec.dataset;
    let data =
        a.sources
            .sources()
            .resolve("dataset", &d.sha256, a.data.as_deref(), d.path.as_deref())?;
    let dataset = engine::data::load(&data, d)?;
    let det = runtime::deterministic_cpu()?;
    let verify = |f: &Fetched| -> anyhow::Result<()> {
        match engine::verify_published(
            det,
            &f.spec,
            &f.result,
            Some(&f.last_checkpoint),
            Some(&f.weights),
            &dataset,
        )? {
            Published::Verified(_) => Ok(()),
            Published::Rejected(v) => anyhow::bail!("publication check: {}", v.describe()),
        }
    };
    let f = rt.block_on(fetch_accepted(
        &order,
        &results,
        engine::checkpoint::max_checkpoint_bytes,
        verify,
    ))?;
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let result_path = a.out.join(engine::train::RESULT_FILE);
    let weights_path = a.out.join(engine::train::WEIGHTS_FILE);
    engine::state::write_atomic(&result_path, &f.result_json)?;
    engine::state::write_atomic(&weights_path, &f.weights)?;
    let r = &f.result;
    let summary = Summary {
        order_id: order.id,
        lease_id: f.lease_id,
        provider: f.provider.clone(),
        artifact_uri: f.artifact_uri.clone(),
        result_hash: hex::encode(&order.result_hash),
        spec_sha256: r.spec_sha256.to_hex(),
        final_weights_sha256: r.final_weights_sha256.to_hex(),
        weights_file_sha256: r.weights_file_sha256.to_hex(),
        checkpoints: r.checkpoints.len(),
        train_accuracy: r.metrics.train_accuracy,
        test_accuracy: r.metrics.test_accuracy,
        result: result_path,
        weights: weights_path,
    };
    print(out, &summary, || {
        format!(
            "fetched order {} from lease {} ({}): test_accuracy {:.4}, {} checkpoints\nresult_hash {}\nfinal_weights_sha256 {}\nresult {}\nweights {}",
            summary.order_id,
            summary.lease_id,
            summary.provider,
            summary.test_accuracy,
            summary.checkpoints,
            summary.result_hash,
            summary.final_weights_sha256,
            summary.result.display(),
            summary.weights.display()
        )
    })
}
