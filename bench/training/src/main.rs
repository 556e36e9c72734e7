//! training-bench: the training market's benchmark. Prints markdown tables (or `--json`):
//!
//! 1. the time of one dense Yuma epoch (`deai_yuma::epoch`) for n neurons, half of them
//!    validators, classic and Yuma3 + liquid alpha, against the 50 ms target at n = 256;
//! 2. a round's overhead on chain: gas and time of the four commit-reveal messages and of the
//!    epoch's `end_block` for a task of n neurons, on the real deai-training module;
//! 3. (feature `worker`, on by default) a trainer's round job of the digits task on the
//!    real engine, and a FedAvg of three updates.
//!
//!   cargo run --release -p deai-training-bench -- --neurons 64,256,1024 --runs 30

mod chain;
#[cfg(feature = "worker")]
mod worker;
mod yuma;

use std::time::Duration;

use clap::Parser;
use deai_bench_common::table::{duration, thousands, Table};

#[derive(Parser, Debug)]
#[command(name = "training-bench", about = "Costs of the training market")]
struct Args {
    /// Neuron counts of the Yuma epochs (half of each are validators).
    #[arg(long, value_delimiter = ',', default_value = "64,256,1024")]
    neurons: Vec<usize>,
    /// Most timed epochs per (n, mode), after one warm-up epoch.
    #[arg(long, default_value_t = 30)]
    runs: usize,
    /// Wall-time budget per (n, mode) in seconds: stop early once spent (3 runs at least).
    #[arg(long, default_value_t = 10.0)]
    budget_s: f64,
    /// Seed of the random stakes and weights.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Neuron counts of the on-chain rounds (part 2); empty skips it.
    #[arg(long, value_delimiter = ',', default_value = "64,256")]
    chain_neurons: Vec<usize>,
    /// Timed runs of each message (part 2).
    #[arg(long, default_value_t = 100)]
    msg_runs: usize,
    /// Timed runs of the epoch's end_block (part 2).
    #[arg(long, default_value_t = 10)]
    epoch_runs: usize,
    /// Epochs of the digits task's base spec (each round job trains a third of the rows).
    #[arg(long, default_value_t = 5)]
    round_epochs: u64,
    /// Timed FedAvg runs of three updates.
    #[arg(long, default_value_t = 50)]
    fedavg_runs: usize,
    /// Skip the worker's round (part 3).
    #[arg(long)]
    no_worker: bool,
    /// Print JSON instead of markdown.
    #[arg(long)]
    json: bool,
}

fn main() {
    let args = Args::parse();
    let budget = Duration::from_secs_f64(args.budget_s);
    let mut rows = Vec::new();
    for &n in &args.neurons {
        for mode in yuma::Mode::ALL {
            eprintln!("yuma epoch: n = {n}, {}…", mode.name());
            rows.push(yuma::measure(n, mode, args.seed, args.runs, budget));
        }
    }
    let mut chain_rows = Vec::new();
    for &n in &args.chain_neurons {
        for mode in yuma::Mode::ALL {
            eprintln!("chain round: n = {n}, {}…", mode.name());
            chain_rows.push(chain::measure(
                n,
                mode,
                args.seed,
                args.msg_runs,
                args.epoch_runs,
            ));
        }
    }
    let worker = worker_part(&args);
    if args.json {
        let mut out = serde_json::json!({
            "seed": args.seed,
            "yuma_epoch": yuma_json(&rows),
            "chain_round": chain_json(&chain_rows),
        });
        if let Some(w) = &worker {
            out["worker_round"] = w.1.clone();
        }
        println!("{}", serde_json::to_string_pretty(&out).expect("json"));
    } else {
        print!("{}", yuma_markdown(&rows));
        if !chain_rows.is_empty() {
            print!("\n{}", chain_markdown(&args, &chain_rows));
        }
        if let Some(w) = &worker {
            print!("\n{}", w.0);
        }
    }
}

/// Part 3 as (markdown, json); None when skipped or not built.
#[cfg(feature = "worker")]
fn worker_part(args: &Args) -> Option<(String, serde_json::Value)> {
    if args.no_worker {
        return None;
    }
    let scratch = tempfile::tempdir().expect("scratch directory");
    match worker::measure(scratch.path(), args.round_epochs, args.fedavg_runs) {
        Ok(r) => Some((worker_markdown(&r), worker_json(&r))),
        Err(e) => {
            eprintln!("worker round skipped: {e}");
            Some((
                format!("## Worker round: not measured ({e})\n"),
                serde_json::json!({ "error": e }),
            ))
        }
    }
}

#[cfg(not(feature = "worker"))]
fn worker_part(_: &Args) -> Option<(String, serde_json::Value)> {
    None
}

fn verdict(r: &yuma::Row) -> String {
    if r.n != yuma::TARGET_N {
        return String::new();
    }
    if r.median < yuma::TARGET {
        "yes".into()
    } else {
        "NO".into()
    }
}

fn yuma_markdown(rows: &[yuma::Row]) -> String {
    let mut t = Table::new(&[
        ("n", true),
        ("validators", true),
        ("mode", false),
        ("runs", true),
        ("median", true),
        ("p95", true),
        ("min", true),
        ("< 50 ms (n=256)", false),
    ]);
    for r in rows {
        t.row(vec![
            thousands(r.n as u64),
            thousands((r.n / 2) as u64),
            r.mode.name().into(),
            r.runs.to_string(),
            duration(r.median),
            duration(r.p95),
            duration(r.min),
            verdict(r),
        ]);
    }
    let mut out = String::from(
        "## Yuma epoch (deai_yuma::epoch): wall time of one dense epoch, one thread\n\n",
    );
    out.push_str(&t.to_markdown());
    out
}

fn yuma_json(rows: &[yuma::Row]) -> serde_json::Value {
    let ns = |d: Duration| d.as_nanos() as u64;
    serde_json::json!(rows
        .iter()
        .map(|r| serde_json::json!({
            "n": r.n, "validators": r.n / 2, "mode": r.mode.name(), "runs": r.runs,
            "median_ns": ns(r.median), "p95_ns": ns(r.p95), "min_ns": ns(r.min),
            "target_ns": (r.n == yuma::TARGET_N).then(|| ns(yuma::TARGET)),
            "under_target": (r.n == yuma::TARGET_N).then(|| r.median < yuma::TARGET),
        }))
        .collect::<Vec<_>>())
}

fn chain_markdown(args: &Args, scenarios: &[chain::Scenario]) -> String {
    let mut t = Table::new(&[
        ("n", true),
        ("mode", false),
        ("operation", false),
        ("gas", true),
        ("writes", true),
        ("events", true),
        ("median", true),
        ("p95", true),
    ]);
    for sc in scenarios {
        for r in &sc.rows {
            t.row(vec![
                thousands(sc.n as u64),
                sc.mode.name().into(),
                r.what.into(),
                thousands(r.gas),
                r.writes.to_string(),
                r.events.to_string(),
                duration(r.time.median),
                duration(r.p95),
            ]);
        }
    }
    let mut out = format!(
        "## Round overhead on chain (deai-training on a MemStore; half validators; round 1 after a full round 0; {} runs per message, {} per end_block)\n\n",
        args.msg_runs, args.epoch_runs
    );
    out.push_str(&t.to_markdown());
    for sc in scenarios.iter().filter(|s| !s.epoch_ran) {
        out.push_str(&format!(
            "\n- n = {}, {}: no epoch result stored for round 1 (the module's end_block did not run the epoch)\n",
            sc.n,
            sc.mode.name()
        ));
    }
    out
}

fn chain_json(scenarios: &[chain::Scenario]) -> serde_json::Value {
    let ns = |d: Duration| d.as_nanos() as u64;
    serde_json::json!(scenarios
        .iter()
        .map(|sc| serde_json::json!({
            "n": sc.n, "mode": sc.mode.name(), "epoch_ran": sc.epoch_ran,
            "rows": sc.rows.iter().map(|r| serde_json::json!({
                "operation": r.what, "gas": r.gas, "writes": r.writes, "events": r.events,
                "runs": r.time.runs, "median_ns": ns(r.time.median), "p95_ns": ns(r.p95),
            })).collect::<Vec<_>>(),
        }))
        .collect::<Vec<_>>())
}

#[cfg(feature = "worker")]
fn worker_markdown(r: &worker::Report) -> String {
    let mut t = Table::new(&[
        ("round", true),
        ("shard", false),
        ("train rows", true),
        ("steps", true),
        ("time", true),
        ("test accuracy", true),
        ("weights bytes", true),
    ]);
    for j in &r.jobs {
        t.row(vec![
            j.round.to_string(),
            format!("{}/{}", j.shard, worker::SHARDS),
            thousands(j.train_rows),
            thousands(j.steps),
            duration(j.time),
            format!("{:.4}", j.test_accuracy),
            thousands(j.weights_bytes as u64),
        ]);
    }
    let mut out = format!(
        "## Worker round: digits MLP 64-64-10, {} epochs per round job, deai_worker_engine::train\n\n",
        r.epochs
    );
    out.push_str(&t.to_markdown());
    if let Some(e) = &r.round1_error {
        out.push_str(&format!("\n- round 1 (from the aggregate) failed: {e}\n"));
    }
    let times: Vec<Duration> = r.jobs.iter().map(|j| j.time).collect();
    if let Some(s) = deai_bench_common::stats::Summary::of(&times) {
        out.push_str(&format!(
            "\n- round job: median {} over {} jobs\n",
            duration(s.median),
            s.runs
        ));
    }
    out.push_str(&format!(
        "- FedAvg of 3 updates ({} bytes out): median {}, p95 {} over {} runs\n",
        thousands(r.aggregate_bytes as u64),
        duration(r.fedavg.median),
        duration(r.fedavg_p95),
        r.fedavg.runs
    ));
    out
}

#[cfg(feature = "worker")]
fn worker_json(r: &worker::Report) -> serde_json::Value {
    let ns = |d: Duration| d.as_nanos() as u64;
    serde_json::json!({
        "epochs": r.epochs,
        "jobs": r.jobs.iter().map(|j| serde_json::json!({
            "round": j.round, "shard": j.shard, "shards": worker::SHARDS,
            "train_rows": j.train_rows, "steps": j.steps, "time_ns": ns(j.time),
            "test_accuracy": j.test_accuracy, "weights_bytes": j.weights_bytes,
        })).collect::<Vec<_>>(),
        "round1_error": r.round1_error,
        "fedavg": {
            "inputs": 3, "runs": r.fedavg.runs, "median_ns": ns(r.fedavg.median),
            "p95_ns": ns(r.fedavg_p95), "aggregate_bytes": r.aggregate_bytes,
        },
    })
}
