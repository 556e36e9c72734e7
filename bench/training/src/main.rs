//! training-bench: the training market's benchmark. Prints markdown tables (or `--json`):
//!
//! 1. the time of one dense Yuma epoch (`deai_yuma::epoch`) for n neurons, half of them
//!    validators, classic and Yuma3 + liquid alpha, against the 50 ms target at n = 256.
//!
//!   cargo run --release -p deai-training-bench -- --neurons 64,256,1024 --runs 30

mod rng;
mod yuma;

use std::time::Duration;

use clap::Parser;
use deai_bench_common::table::{duration, Table};

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
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json(&args, &rows)).expect("json")
        );
    } else {
        print!("{}", markdown(&rows));
    }
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

fn markdown(rows: &[yuma::Row]) -> String {
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
            r.n.to_string(),
            (r.n / 2).to_string(),
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

fn json(args: &Args, rows: &[yuma::Row]) -> serde_json::Value {
    let ns = |d: Duration| d.as_nanos() as u64;
    serde_json::json!({
        "seed": args.seed,
        "yuma_epoch": rows.iter().map(|r| serde_json::json!({
            "n": r.n, "validators": r.n / 2, "mode": r.mode.name(), "runs": r.runs,
            "median_ns": ns(r.median), "p95_ns": ns(r.p95), "min_ns": ns(r.min),
            "target_ns": (r.n == yuma::TARGET_N).then(|| ns(yuma::TARGET)),
            "under_target": (r.n == yuma::TARGET_N).then(|| r.median < yuma::TARGET),
        })).collect::<Vec<_>>(),
    })
}
