//! Part 3: a trainer's round on the worker — one round job of the digits task run by the
//! real engine (`deai_worker_engine::train`, libtorch in deterministic CPU mode), and a
//! validator-side FedAvg of three updates (`deai_worker_jobs::fedavg`, pure Rust).
//!
//! The task's base spec is an MLP 64-64-10 on scikit-learn's digits (the engine tests'
//! spec) with `--round-epochs` epochs. Round 0: three trainers run `round_job(base, None,
//! shard, 3, 0)`; their weights files are averaged with equal weights; round 1: the three
//! jobs `round_job(base, Some(aggregate), shard, 3, 1)` start from the aggregate. Every job
//! is timed (after one untimed warm-up job); FedAvg is timed over `--fedavg-runs` repetitions.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use deai_bench_common::stats;
use deai_worker_engine::Silent;
use deai_worker_jobs::{fedavg, round_job, Digest, JobSpec, TrainResult};

pub const SHARDS: u32 = 3;

/// One timed round job.
pub struct Job {
    pub round: u64,
    pub shard: u32,
    pub time: Duration,
    pub steps: u64,
    pub train_rows: u64,
    pub test_accuracy: f64,
    pub weights_bytes: usize,
}

pub struct Report {
    pub epochs: u64,
    pub jobs: Vec<Job>,
    /// Median / p95 of FedAvg over 3 updates, with its runs, and the aggregate's size.
    pub fedavg: stats::Summary,
    pub fedavg_p95: Duration,
    pub aggregate_bytes: usize,
    /// Why round 1 did not run, if it did not.
    pub round1_error: Option<String>,
}

fn base_spec(data: &Path, epochs: u64) -> JobSpec {
    let sha = Digest::of_file(data).unwrap_or_else(|e| panic!("{}: {e}", data.display()));
    let v = serde_json::json!({
        "version": 1,
        "kind": "train",
        "model": {"type": "mlp", "inputs": 64, "hidden": [64], "classes": 10},
        "dataset": {
            "sha256": sha.to_hex(),
            "path": data,
            "format": "csv",
            "label_column": -1,
            "feature_scale": 0.0625
        },
        "split": {"test_fraction": 0.2, "seed": 1},
        "training": {
            "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9},
            "epochs": epochs, "batch_size": 32, "checkpoint_every": 100, "seed": 7
        }
    });
    JobSpec::from_json(&v.to_string()).expect("digits base spec")
}

fn run_job(
    spec: &JobSpec,
    data: &Path,
    out: &Path,
    round: u64,
    shard: u32,
) -> Result<(Job, Vec<u8>), String> {
    let t = Instant::now();
    let r: TrainResult =
        deai_worker_engine::train(spec, data, out, &mut Silent).map_err(|e| e.to_string())?;
    let time = t.elapsed();
    let weights = std::fs::read(out.join(deai_worker_engine::train::WEIGHTS_FILE))
        .map_err(|e| format!("weights: {e}"))?;
    let job = Job {
        round,
        shard,
        time,
        steps: r.steps,
        train_rows: r.datasets.first().map_or(0, |d| d.train_rows),
        test_accuracy: r.metrics.test_accuracy,
        weights_bytes: weights.len(),
    };
    Ok((job, weights))
}

/// Runs rounds 0 and 1 of the digits task in `scratch` (a fresh directory).
pub fn measure(scratch: &Path, epochs: u64, fedavg_runs: usize) -> Result<Report, String> {
    let data = deai_worker_engine::data::digits_path();
    if !data.is_file() {
        return Err(format!(
            "digits dataset not found at {} (worker/setup-libtorch.sh or DEAI_DIGITS_CSV)",
            data.display()
        ));
    }
    let base = base_spec(&data, epochs);
    let dir = |round: u64, shard: u32| -> PathBuf { scratch.join(format!("r{round}-s{shard}")) };

    // Untimed: the first job pays libtorch's start-up (thread pools, allocator).
    let warm = round_job(&base, None, 0, SHARDS, 0).map_err(|e| e.to_string())?;
    eprintln!("worker: warm-up job…");
    run_job(&warm, &data, &scratch.join("warm-up"), 0, 0)?;

    let mut jobs = Vec::new();
    let mut updates = Vec::new();
    for shard in 0..SHARDS {
        let spec = round_job(&base, None, shard, SHARDS, 0).map_err(|e| e.to_string())?;
        eprintln!("worker: round 0, shard {shard}…");
        let (job, w) = run_job(&spec, &data, &dir(0, shard), 0, shard)?;
        jobs.push(job);
        updates.push(w);
    }

    let inputs: Vec<(&[u8], u32)> = updates.iter().map(|w| (w.as_slice(), 1)).collect();
    let aggregate = fedavg(&inputs).map_err(|e| e.to_string())?;
    let mut samples = Vec::with_capacity(fedavg_runs);
    for _ in 0..fedavg_runs.max(1) {
        let t = Instant::now();
        let a = fedavg(std::hint::black_box(&inputs)).map_err(|e| e.to_string())?;
        samples.push(t.elapsed());
        assert_eq!(a, aggregate, "fedavg is deterministic");
    }

    let agg_path = scratch.join("aggregate.safetensors");
    std::fs::write(&agg_path, &aggregate).map_err(|e| format!("aggregate: {e}"))?;
    let agg_hash = Digest::of(&aggregate);
    let mut round1_error = None;
    for shard in 0..SHARDS {
        let mut spec =
            round_job(&base, Some(agg_hash), shard, SHARDS, 1).map_err(|e| e.to_string())?;
        if let Some(w) = spec.training.as_mut().and_then(|t| t.init_weights.as_mut()) {
            w.path = Some(agg_path.display().to_string());
        }
        eprintln!("worker: round 1, shard {shard}…");
        match run_job(&spec, &data, &dir(1, shard), 1, shard) {
            Ok((job, _)) => jobs.push(job),
            Err(e) => {
                round1_error = Some(e);
                break;
            }
        }
    }
    Ok(Report {
        epochs,
        jobs,
        fedavg: stats::Summary::of(&samples).expect("samples"),
        fedavg_p95: stats::percentile(&samples, 95).expect("samples"),
        aggregate_bytes: aggregate.len(),
        round1_error,
    })
}
