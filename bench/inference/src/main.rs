//! inference-bench: the inference market's benchmark (issue 11 §7). Prints markdown tables
//! (or `--json`):
//!
//! 1. gas and time of MsgSubmitInference (real Groth16 proof, the module's execute path)
//!    with the prepared verifier cached and cold, on the in-memory store and the node's
//!    storage (`--store`: fjall, `deaid init`'s default, or sled);
//! 2. zk verifications per block at the default block gas, and per second on one core:
//!    a batch of distinct submissions back to back in one block state, as messages and as
//!    signed txs through deaid's ante handler;
//! 3. the request → verified result window in blocks, checked against the module;
//! 4. adjudication: MsgAdjudicate of an optimistic dispute (the canonical weights re-run on
//!    chain), as a message and as a signed tx, for 64-32-10 and 784-56-10.
//!
//!   cargo run --release -p deai-bench-inference --bin inference-bench -- --iterations 100

mod block;
mod dispute;
mod fixture;
mod measure;
mod report;
mod scenario;
mod world;

use clap::Parser;
use deai_bench_common::node_store::NodeStore;
use deai_bench_common::{stats, table};

/// Verifications per second per core the issue asks of FinalizeBlock.
pub const RATE_TARGET: f64 = 200.0;

#[derive(Parser, Debug)]
#[command(
    name = "inference-bench",
    about = "Gas and time of the inference market's zk verification"
)]
pub struct Args {
    /// Timed runs of each single submission (after max(10, N/10) warm-up runs).
    #[arg(long, default_value_t = 100)]
    pub iterations: usize,
    /// Distinct pending requests per model, answered back to back in one block.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Timed rounds of each batch (after one untimed round).
    #[arg(long, default_value_t = 5)]
    pub rounds: usize,
    /// Print JSON instead of markdown.
    #[arg(long)]
    pub json: bool,
    /// Skip the runs on the node's storage.
    #[arg(long)]
    pub memstore_only: bool,
    /// The node's store backend for those runs: fjall (`deaid init`'s default) or sled.
    #[arg(long, default_value = "fjall", value_parser = ["fjall", "sled"])]
    pub store: String,
    /// Keys committed per version when loading the state into the node's storage.
    #[arg(long, default_value_t = 1000)]
    pub store_block_writes: usize,
}

/// Everything measured.
pub struct Results {
    pub models: Vec<scenario::ModelState>,
    pub block_gas: u64,
    pub submits: Vec<measure::SubmitRow>,
    pub batches: Vec<measure::BatchRow>,
    /// Per blocks-after-request: accepted, or the refusal.
    pub latency: Vec<(u64, Result<(), String>)>,
    pub adjudications: Vec<dispute::AdjudicateRow>,
    pub params: deai_inference::Params,
}

fn main() {
    let args = Args::parse();
    // One core for every measurement: the prover's build turns on arkworks' rayon paths,
    // which the node's verifier-only build does not have, so the global pool gets one thread;
    // setup and proving run on a pool of every core.
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build_global()
        .expect("one-thread global pool");
    let all_cores = rayon::ThreadPoolBuilder::new()
        .num_threads(std::thread::available_parallelism().map_or(2, |n| n.get()))
        .build()
        .expect("prover pool");
    eprintln!(
        "setting up keys and proofs ({} requests per model)…",
        args.batch
    );
    let sc = all_cores.install(|| {
        let router = world::router();
        let preps = fixture::CASES
            .iter()
            .map(|c| fixture::Prepared::new(*c))
            .collect();
        scenario::build(&router, preps, args.batch)
    });
    let router = world::router();
    let results = measure_all(&args, &router, sc);
    if args.json {
        let out = report::json(&args, &results);
        println!("{}", serde_json::to_string_pretty(&out).expect("json"));
    } else {
        print!("{}", report::markdown(&args, &results));
    }
}

fn measure_all(args: &Args, router: &deai_framework::Router, sc: scenario::Scenario) -> Results {
    let (state, models) = (sc.state, sc.models);
    eprintln!("measuring on the in-memory store…");
    let mut submits = measure::submissions(router, &models, &state, "MemStore", args.iterations);
    let mut batches: Vec<measure::BatchRow> = models
        .iter()
        .enumerate()
        .map(|(i, m)| measure::batch_msgs(router, m, i, &state, "MemStore", args.rounds))
        .collect();
    if !args.memstore_only {
        let store = NodeStore::load(&state, args.store_block_writes, &args.store)
            .unwrap_or_else(|e| panic!("loading the node's storage: {e}"));
        let label = store.label();
        eprintln!("measuring on {label}…");
        store.with_block_state(|s| {
            submits.extend(measure::submissions(
                router,
                &models,
                s,
                label,
                args.iterations,
            ));
            for (i, m) in models.iter().enumerate() {
                batches.push(measure::batch_msgs(router, m, i, s, label, args.rounds));
                batches.push(measure::batch_txs(router, m, i, s, label, args.rounds));
            }
        });
    } else {
        for (i, m) in models.iter().enumerate() {
            batches.push(measure::batch_txs(
                router,
                m,
                i,
                &state,
                "MemStore",
                args.rounds,
            ));
        }
    }
    let latency = measure::latency(router, &models[0], &state);
    // The two adjudication models: 64-32-10 and 784-56-10 (public plain).
    let disputes = dispute::build(router, &state, &models, &[0, 1]);
    let adjudications = dispute::measure(router, &models, &disputes, args.iterations);
    Results {
        models,
        block_gas: block::default_max_block_gas(),
        submits,
        batches,
        latency,
        adjudications,
        params: deai_inference::Params::default(),
    }
}
