//! pos-bench: the proof-of-stake benchmark (issue 15). Prints markdown tables:
//!
//! 1. begin/end block wall time with 100 validators (all signing) and 100,000 delegations
//!    versus 10,000: mint → distribution → slashing begin blocks, gov → staking end blocks,
//!    on an in-memory chain with the app's modules, order and hooks. F1 reward accounting
//!    is lazy (nothing iterates delegations), so the two should be flat. A control chain
//!    (the small chain's delegations in a store padded with unrelated keys to the large
//!    chain's size) and the hooks' gas tell the work done from the machine's cost of it;
//! 2. the gas (and time) of each staking, slashing, distribution and gov message on the
//!    10,000-delegation chain, metered as the app meters a tx's messages, and of MsgDelegate
//!    and MsgWithdrawDelegatorReward on both chains.
//!
//! The delegations are real MsgDelegate executions (with the distribution hooks), spread over
//! 20 setup blocks; deterministic seeds.
//!
//!   cargo run --release -p deai-pos-bench

mod chain;
mod measure;
mod report;

use clap::Parser;

#[derive(Parser, Debug)]
#[command(
    name = "pos-bench",
    about = "Begin/end block time and message gas of deai's proof of stake"
)]
struct Args {
    /// Delegations of the large chain.
    #[arg(long, default_value_t = 100_000)]
    delegations: u64,
    /// Delegations of the small chain (also the chain every message's gas is measured on).
    #[arg(long, default_value_t = 10_000)]
    small: u64,
    /// Validators (all bonded: staking's max_validators is 100).
    #[arg(long, default_value_t = 100)]
    validators: u32,
    /// Timed blocks on each chain, after --warm-up untimed ones.
    #[arg(long, default_value_t = 50)]
    blocks: usize,
    #[arg(long, default_value_t = 5)]
    warm_up: usize,
    /// Timed runs of each message (on the same state, writes dropped) after two untimed.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// Seed of the validators' bonds and commissions and the delegations' validators and
    /// amounts.
    #[arg(long, default_value_t = 15)]
    seed: u64,
    /// Skip the control chain (the small chain's delegations in a store padded with unrelated
    /// keys to the large chain's size).
    #[arg(long)]
    no_control: bool,
}

const MAX_DELEGATIONS: u64 = 1_000_000;
const MAX_VALIDATORS: u32 = 100;
const MAX_BLOCKS: usize = 10_000;
const MAX_RUNS: usize = 1_000;

fn main() {
    let args = Args::parse();
    if !((8..=MAX_DELEGATIONS).contains(&args.delegations)
        && (8..=MAX_DELEGATIONS).contains(&args.small)
        && (3..=MAX_VALIDATORS).contains(&args.validators)
        && (1..=MAX_BLOCKS).contains(&args.blocks)
        && args.warm_up <= MAX_BLOCKS
        && (1..=MAX_RUNS).contains(&args.runs))
    {
        eprintln!(
            "--delegations and --small take 8..={MAX_DELEGATIONS}, \
             --validators 3..={MAX_VALIDATORS}, --blocks 1..={MAX_BLOCKS}, --warm-up at most \
             {MAX_BLOCKS}, --runs 1..={MAX_RUNS}"
        );
        std::process::exit(2);
    }
    println!(
        "# pos-bench\n\n{} build, {} CPUs; {} validators, {} vs {} delegations, {} timed \
         blocks (warm-up {}), {} runs a message, seed {}\n",
        if cfg!(debug_assertions) {
            "debug (numbers are not representative)"
        } else {
            "release"
        },
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        args.validators,
        args.small,
        args.delegations,
        args.blocks,
        args.warm_up,
        args.runs,
        args.seed
    );
    let counts = measure::Counts {
        validators: args.validators,
        blocks: args.blocks,
        warm_up: args.warm_up,
        runs: args.runs,
        seed: args.seed,
    };
    let small = measure::size(args.small, 0, &counts, true);
    let large = measure::size(args.delegations, 0, &counts, false);
    // The control: the small chain's delegations in a store as large as the large chain's.
    let control = (!args.no_control).then(|| {
        let ballast = large.keys.saturating_sub(small.keys) as u64;
        measure::size(args.small, ballast, &counts, false)
    });
    print!("{}", report::blocks(&small, &large, control.as_ref()));
    print!("{}", report::gas(&small));
    print!("{}", report::gas_by_size(&small, &large));
}
