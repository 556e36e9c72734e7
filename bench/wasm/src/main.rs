//! wasm-bench: the wasm module's benchmark. Prints markdown tables:
//!
//! 1. `vm`: on `deai_wasm::vm::WasmVm` over the framework's in-memory store, each call on a
//!    `Ctx` overlay with a gas meter as a tx runs it, for both contracts of
//!    wasm-contracts/artifacts: gas and wall time of store (the vm's checks, compile and
//!    save), of the first instantiate by the state of the vm's cache (cold: empty cache dir;
//!    disk: a new vm on a filled dir; memory; pinned), of each execute of the agent flow and
//!    of the model marketplace's listing and purchases (unpinned and pinned), and of smart
//!    queries (under wasmd's 3,000,000 smart-query gas limit);
//! 2. `block` (feature `app`, the default): blocks of N signed MsgExecuteContract txs (each
//!    step of the agent flow, N distinct senders) through deaid's `App::finalize_block` and
//!    `commit` on the node's store (`--store`, fjall by default) + JMT, as CometBFT drives
//!    it; executes per second, beside a block of N MsgSend on the same app.
//!
//! Counts are fixed and small (see the flags). Build the contracts first
//! (wasm-contracts/build.sh).
//!
//!   cargo run --release -p deai-wasm-bench -- --part all

#[cfg(feature = "app")]
mod block;
mod report;
mod vm;

use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Part {
    Vm,
    Block,
    All,
}

#[derive(Parser, Debug)]
#[command(name = "wasm-bench", about = "Gas and time of CosmWasm calls on deai")]
pub struct Args {
    /// Parts to run (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "all")]
    part: Vec<Part>,
    /// Timed runs of each cached call and query (part 1), after --warm-up untimed ones.
    #[arg(long, default_value_t = 30)]
    runs: usize,
    #[arg(long, default_value_t = 3)]
    warm_up: usize,
    /// Runs of each store and of each cold / disk-cached first instantiate (a new vm and
    /// cache dir each; part 1).
    #[arg(long, default_value_t = 5)]
    cold_runs: usize,
    /// Txs in each FinalizeBlock block (part 2): distinct senders, one tx each.
    #[arg(long, default_value_t = 200)]
    block_txs: usize,
    /// Rounds of the agent flow in blocks (part 2), each by block-txs accounts of its own;
    /// the tables show each block's median over the rounds.
    #[arg(long, default_value_t = 3)]
    block_rounds: usize,
    /// The node's store backend for part 2: fjall (`deaid init`'s default) or sled.
    #[arg(long, default_value = "fjall", value_parser = ["fjall", "sled"])]
    store: String,
}

const MAX_RUNS: usize = 1_000;
const MAX_BLOCK_TXS: usize = 2_000;
const MAX_BLOCK_ROUNDS: usize = 10;

impl Args {
    fn runs(&self, p: Part) -> bool {
        self.part.contains(&p) || self.part.contains(&Part::All)
    }
}

fn main() {
    let args = Args::parse();
    assert!(
        (1..=MAX_RUNS).contains(&args.runs)
            && args.warm_up <= MAX_RUNS
            && (1..=MAX_RUNS).contains(&args.cold_runs),
        "--runs and --cold-runs take 1..={MAX_RUNS}, --warm-up at most {MAX_RUNS}"
    );
    assert!(
        (2..=MAX_BLOCK_TXS).contains(&args.block_txs)
            && (1..=MAX_BLOCK_ROUNDS).contains(&args.block_rounds),
        "--block-txs takes 2..={MAX_BLOCK_TXS}, --block-rounds 1..={MAX_BLOCK_ROUNDS}"
    );
    println!(
        "# wasm-bench\n\n{} build, {} CPUs; runs {}, warm-up {}, cold runs {}, block txs {}, \
         block rounds {}\n",
        if cfg!(debug_assertions) {
            "debug (numbers are not representative)"
        } else {
            "release"
        },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        args.runs,
        args.warm_up,
        args.cold_runs,
        args.block_txs,
        args.block_rounds
    );
    if args.runs(Part::Vm) {
        let r = vm::measure(vm::Counts {
            runs: args.runs,
            warm_up: args.warm_up,
            cold_runs: args.cold_runs,
        });
        print!("{}", report::vm(&r));
    }
    if args.runs(Part::Block) {
        #[cfg(feature = "app")]
        print!(
            "{}",
            report::block(&block::measure(
                args.block_txs,
                args.block_rounds,
                &args.store
            ))
        );
        #[cfg(not(feature = "app"))]
        eprintln!("part block needs the `app` feature (the default); skipped");
    }
}
