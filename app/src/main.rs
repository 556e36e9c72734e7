use std::io::IsTerminal;

use clap::Parser;

/// mimalloc instead of glibc's malloc: with a large state glibc's bins fragment and small
/// allocations (decoding records in block hooks) slow down 3x; bench/pos/RESULTS.md measured
/// staking's end block at 100,000 delegations flat with mimalloc. No state transition reads
/// the allocator, so this changes speed only.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    // One clear line for every error, never a backtrace. A malformed node answer that
    // deai_rpc::decode contains becomes an error of its own, not a bug to report here.
    std::panic::set_hook(Box::new(|info| {
        if !deai_rpc::decoding() {
            eprintln!("deaid: internal error: {info}");
        }
    }));
    let cli = deaid::cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_env("DEAI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    if let Err(e) = deaid::cli::run(cli) {
        eprintln!("Error: {}", format!("{e:#}").replace('\n', " "));
        std::process::exit(1);
    }
}
