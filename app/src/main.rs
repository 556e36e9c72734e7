use std::io::IsTerminal;

use clap::Parser;

fn main() {
    // One clear line for every error, never a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("deaid: internal error: {info}");
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
