//! `deai-fuzz --target <name|all> --iters N --seed S --out DIR`: runs N inputs of each target
//! (deterministic for a seed), prints inputs and inputs/s per target, saves any panicking
//! input as hex under DIR, and exits 1 if any input panicked.
//! `deai-fuzz --target <name> --replay FILE`: runs one saved input.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

use deai_fuzz::harness::{self, install_panic_hook};
use deai_fuzz::rng::Rng;
use deai_fuzz::targets::{self, NAMES};

#[derive(Parser)]
#[command(about = "Mutation fuzzer of deai's untrusted inputs (see docs/fuzzing.md)")]
struct Args {
    /// A target (tx-decode, check-tx, msgs, queries, zk-verify, amino, rpc-answers) or `all`.
    #[arg(long, default_value = "all")]
    target: String,
    /// Inputs per target.
    #[arg(long, default_value_t = 20_000)]
    iters: u64,
    /// Seed of every random choice: the same seed runs the same inputs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where panicking inputs are saved (`<target>-<index>.hex` and `.txt`).
    #[arg(long, default_value = "fuzz-out")]
    out: PathBuf,
    /// Run this saved input (hex) of `--target` once instead of fuzzing.
    #[arg(long)]
    replay: Option<PathBuf>,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("deai-fuzz: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Ok(false) when an input panicked.
fn run(args: &Args) -> anyhow::Result<bool> {
    // The node logs storage faults and such through tracing; the fuzzer has no subscriber,
    // so they cost nothing.
    install_panic_hook();
    let names: Vec<&str> = if args.target == "all" {
        NAMES.to_vec()
    } else {
        vec![args.target.as_str()]
    };
    let root = Rng::new(args.seed);
    if let Some(file) = &args.replay {
        anyhow::ensure!(names.len() == 1, "--replay needs one --target");
        let mut target = targets::build(names[0], &mut root.fork(names[0]))?;
        let hex_input = std::fs::read_to_string(file)?;
        harness::replay(target.as_mut(), &hex_input)?;
        println!("{}: the input ran without a panic", names[0]);
        return Ok(true);
    }
    let mut total = 0u64;
    let mut panics = 0u64;
    println!(
        "deai-fuzz seed {} iters {} per target",
        args.seed, args.iters
    );
    for name in names {
        let mut rng = root.fork(name);
        let setup = std::time::Instant::now();
        let mut target = targets::build(name, &mut rng)?;
        let setup = setup.elapsed();
        let r = harness::run(target.as_mut(), &mut rng, args.iters, &args.out);
        let contained = match r.contained {
            0 => String::new(),
            n => format!(" ({n} dependency panics caught by deai)"),
        };
        println!(
            "{:<10} {:>10} inputs {:>8.1}s {:>9.0} inputs/s {:>3} panics{contained} (setup {:.1}s) {}",
            r.target,
            r.inputs,
            r.elapsed.as_secs_f64(),
            r.per_sec(),
            r.panics,
            setup.as_secs_f64(),
            r.stats
        );
        total += r.inputs;
        panics += r.panics;
    }
    println!("total {total} inputs, {panics} panics");
    if panics > 0 {
        println!("panicking inputs saved under {}", args.out.display());
    }
    Ok(panics == 0)
}
