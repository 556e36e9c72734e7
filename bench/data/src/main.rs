//! data-bench: the data market's benchmark. Prints markdown tables (or `--json`):
//!
//! 1. `gas`: gas and wall time of each data message, and of the data module's end_block
//!    settling a pool epoch of n contributions and refunding n undelivered grants, on the
//!    real deai-data module over an in-memory store;
//! 2. `crypto`: encrypt and decrypt throughput of a `--size-mb` file with worker/data's
//!    streamed container, file to file in a temp dir;
//! 3. `download`: download throughput of that ciphertext through worker/artifacts' server on
//!    127.0.0.1 behind the access check (see `policy`), and the check's latency at the
//!    server (the check alone, and whole signed HEAD/GET requests of a tiny blob).
//!
//!   cargo run --release -p deai-data-bench -- --size-mb 100 --part all

mod crypto;
mod download;
mod gas;
mod policy;
mod report;

use anyhow::{bail, Result};
use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Part {
    Gas,
    Crypto,
    Download,
    All,
}

/// The largest file the bench writes (it keeps about four copies of it on disk at once).
const MAX_SIZE_MB: u64 = 2_048;

#[derive(Parser, Debug)]
#[command(name = "data-bench", about = "Costs of the data market")]
pub struct Args {
    /// Parts to run (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "all")]
    part: Vec<Part>,
    /// Size of the dataset file of parts 2 and 3, in MB (10^6 bytes).
    #[arg(long, default_value_t = 100)]
    size_mb: u64,
    /// Timed runs of each message (part 1), after max(10, N/10) untimed ones.
    #[arg(long, default_value_t = 200)]
    iterations: usize,
    /// Timed runs of each end_block (part 1).
    #[arg(long, default_value_t = 20)]
    block_iterations: usize,
    /// Contribution counts of the settled epochs, and grant counts of the refunds (capped
    /// at the 256 refunds one block makes), of part 1.
    #[arg(long, value_delimiter = ',', default_value = "16,256,1024")]
    n: Vec<usize>,
    /// Timed passes over the file: encrypt + decrypt (part 2), downloads (part 3).
    #[arg(long, default_value_t = 5)]
    passes: usize,
    /// Latency samples of the check and of each signed HEAD/GET (part 3).
    #[arg(long, default_value_t = 1000)]
    samples: usize,
    /// Seed of the plaintext and of the scores.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Where the temp dir of parts 2 and 3 is made (default: the system's temp dir).
    #[arg(long)]
    dir: Option<std::path::PathBuf>,
    /// Print JSON instead of markdown.
    #[arg(long)]
    json: bool,
}

impl Args {
    fn runs(&self, p: Part) -> bool {
        self.part.contains(&p) || self.part.contains(&Part::All)
    }
}

fn main() -> Result<()> {
    let mut args = Args::parse();
    args.n.sort_unstable();
    args.n.dedup();
    if args.size_mb == 0 || args.size_mb > MAX_SIZE_MB {
        bail!("--size-mb must be 1..={MAX_SIZE_MB}");
    }
    if args.n.is_empty() || args.n.iter().any(|&n| n == 0 || n > 4096) {
        bail!("--n takes counts in 1..=4096 (the cap on contributions an epoch)");
    }
    let mut out = report::Out::default();
    if args.runs(Part::Gas) {
        out.gas = Some(gas::measure(
            &args.n,
            args.iterations,
            args.block_iterations,
            args.seed,
        )?);
    }
    if args.runs(Part::Crypto) || args.runs(Part::Download) {
        let dir = match &args.dir {
            Some(d) => tempfile::Builder::new()
                .prefix("data-bench")
                .tempdir_in(d)?,
            None => tempfile::Builder::new().prefix("data-bench").tempdir()?,
        };
        eprintln!(
            "files: writing and encrypting {} MB under {}…",
            args.size_mb,
            dir.path().display()
        );
        let files = crypto::prepare(dir.path(), args.size_mb * 1_000_000, args.seed)?;
        if args.runs(Part::Crypto) {
            out.crypto = Some(crypto::measure(dir.path(), &files, args.passes)?);
        }
        if args.runs(Part::Download) {
            out.download = Some(download::measure(
                dir.path(),
                &files,
                args.passes,
                args.samples,
            )?);
        }
        out.files = Some((files.plaintext_len, files.ciphertext_len));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&out.json(&args))?);
    } else {
        print!("{}", out.markdown(&args));
    }
    Ok(())
}
