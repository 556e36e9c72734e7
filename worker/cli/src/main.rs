//! deai-worker: runs train / evaluate / infer jobs, replays checkpoint segments, hashes
//! files, serves the artifact store, and sets up, proves and verifies zk proofs of
//! quantized inference. Every failure is one line on stderr and a non-zero exit.

mod attest_cmd;
mod bench;
mod data_cmd;
mod engine_runner;
mod fetch_cmd;
mod inference_cmd;
mod jobs_cmd;
mod progress;
mod provider_cmd;
mod replay_cmd;
mod resolve;
mod training_cmd;
mod zk;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand, ValueEnum};
use deai_worker_artifacts::{bind_loopback, router, serve_with, OpenAccess, ServerLimits, Store};
use deai_worker_engine as engine;
use deai_worker_jobs::JobSpec;
use serde::Serialize;

#[derive(Parser)]
#[command(
    name = "deai-worker",
    version,
    about = "deai worker: deterministic libtorch ML jobs with checkpoint hash chains"
)]
struct Cli {
    /// Output format of the command's result on stdout.
    #[arg(long, global = true, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// No progress bar even on a terminal.
    #[arg(long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Copy, Clone, PartialEq, Eq, ValueEnum)]
enum Output {
    Text,
    Json,
}

#[derive(Args, Clone)]
struct SourceArgs {
    /// Local artifact store, searched for datasets and weights by sha256.
    #[arg(long, env = "DEAI_STORE", default_value_os_t = default_store())]
    store: PathBuf,
    /// Artifact server to fetch missing datasets and weights from (into --store).
    #[arg(long, env = "DEAI_ARTIFACT_SERVER")]
    artifact_server: Option<String>,
    /// Largest blob accepted, in bytes.
    #[arg(long, default_value_t = 1 << 30)]
    max_blob_bytes: u64,
}

/// The worker's cache: $DEAI_CACHE or /var/cache/deai.
fn default_cache() -> PathBuf {
    std::env::var_os("DEAI_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/var/cache/deai".into())
}

fn default_store() -> PathBuf {
    default_cache().join("artifacts")
}

impl SourceArgs {
    fn sources(&self) -> resolve::Sources {
        resolve::Sources {
            store_dir: self.store.clone(),
            server: self.artifact_server.clone(),
            max_blob_bytes: self.max_blob_bytes,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Train a model; writes DIR/result.json, DIR/weights.safetensors and DIR/checkpoints/.
    Train {
        #[arg(long)]
        spec: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// The dataset file (otherwise the spec's path hint, then the store).
        #[arg(long)]
        data: Option<PathBuf>,
        /// Also put the weights and every checkpoint into the store (--store), by sha256,
        /// so that `serve-artifacts` serves them to verifiers.
        #[arg(long)]
        publish: bool,
        #[command(flatten)]
        sources: SourceArgs,
    },
    /// Evaluate saved weights on a dataset subset; prints accuracy and loss.
    Evaluate {
        #[arg(long)]
        spec: PathBuf,
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long)]
        weights: Option<PathBuf>,
        #[command(flatten)]
        sources: SourceArgs,
    },
    /// Run saved weights on a dataset subset; writes the predictions.
    Infer {
        #[arg(long)]
        spec: PathBuf,
        #[arg(long)]
        data: Option<PathBuf>,
        #[arg(long)]
        weights: Option<PathBuf>,
        /// Write the full report (predictions included) here as JSON.
        #[arg(long)]
        out: Option<PathBuf>,
        #[command(flatten)]
        sources: SourceArgs,
    },
    /// Audit a training result: re-execute checkpoints FROM..TO (or one segment) and,
    /// through the last checkpoint, check the published weights and metrics.
    Replay(replay_cmd::ReplayArgs),
    /// Serve the artifact store over HTTP on 127.0.0.1 (GET/HEAD/PUT /blobs/<sha256>).
    ServeArtifacts {
        #[arg(long, env = "DEAI_STORE", default_value_os_t = default_store())]
        dir: PathBuf,
        #[arg(long, default_value_t = 7070)]
        port: u16,
        #[arg(long, default_value_t = 1 << 30)]
        max_blob_bytes: u64,
        /// Total bytes the store may hold, uploads in progress included (default: no quota).
        #[arg(long)]
        quota_bytes: Option<u64>,
        /// Longest a request may take, headers and body, in seconds.
        #[arg(long, default_value_t = 600)]
        request_timeout_secs: u64,
        /// Requests served at once; more get 503 with Retry-After.
        #[arg(long, default_value_t = 64)]
        max_concurrent: usize,
    },
    /// sha256 of files; with --weights, the canonical weight digest of safetensors files.
    Hash {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        weights: bool,
    },
    /// Measure training throughput and replay cost (prints a table).
    Bench(bench::BenchArgs),
    /// Quantize an MLP and write Groth16 proving and verifying keys into a directory.
    ZkSetup(zk::SetupArgs),
    /// Run the quantized model on one input and write a proof of the output.
    Prove(zk::ProveArgs),
    /// Check a proof file against a key directory; exits 1 with the reason if it is invalid.
    Verify(zk::VerifyArgs),
    /// The compute provider daemon.
    #[command(subcommand)]
    Provider(provider_cmd::ProviderCommand),
    /// Download and verify the accepted result of a completed order into a directory.
    FetchResult(fetch_cmd::FetchArgs),
    /// The inference server daemon.
    #[command(subcommand)]
    InferenceServer(inference_cmd::InferenceServerCommand),
    /// Request an inference (zk, optimistic or redundant), wait for its settlement, and
    /// print the output (verified where a proof exists).
    Request(inference_cmd::RequestArgs),
    /// The hashes a model is registered with (architecture, weights_sha256,
    /// quantized_weights_sha256) from its weights and zk-setup's key directory.
    ModelInfo(inference_cmd::ModelInfoArgs),
    /// The training market's trainer daemon.
    #[command(subcommand)]
    Trainer(training_cmd::TrainerCommand),
    /// The training market's validator daemon (scores, weights, audits, aggregates, referee).
    #[command(subcommand)]
    Validator(training_cmd::ValidatorCommand),
    /// The data market: publish a dataset, run its provider, fetch one.
    #[command(subcommand)]
    Data(data_cmd::DataCommand),
    /// The consensus-attestation sidecar deaid asks at every ExtendVote.
    #[command(subcommand)]
    Attest(attest_cmd::AttestCommand),
}

impl Command {
    fn uses_torch(&self) -> bool {
        !matches!(
            self,
            Command::ZkSetup(_)
                | Command::Prove(_)
                | Command::Verify(_)
                | Command::InferenceServer(_)
                | Command::Request(_)
                | Command::ModelInfo(_)
        ) && !matches!(self, Command::Data(c) if !c.uses_torch())
            && !matches!(self, Command::Attest(c) if !c.uses_torch())
    }
}

/// Re-executes the binary once with the deterministic-mode variables set, because
/// libgomp reads `OMP_*` when it is loaded, before `main` runs. A failed re-exec, or a
/// re-executed process that still lacks the settings (someone set the marker by hand),
/// is an error: the job would not be reproducible.
fn reexec_with_env() -> anyhow::Result<()> {
    use std::os::unix::process::CommandExt;
    const MARK: &str = "DEAI_WORKER_REEXEC";
    let fix = engine::runtime::env_to_fix();
    let Some((k, v)) = fix.first().copied() else {
        return Ok(());
    };
    if std::env::var_os(MARK).is_some() {
        bail!("deterministic mode is not in force: {k} must be {v:?} (do not set {MARK} yourself)");
    }
    let exe = std::env::current_exe().context("re-executing in deterministic mode")?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(std::env::args_os().skip(1)).env(MARK, "1");
    for (k, v) in fix {
        cmd.env(k, v);
    }
    // exec only returns on failure.
    let e = cmd.exec();
    Err(anyhow::Error::new(e).context("re-executing in deterministic mode"))
}

fn main() -> ExitCode {
    // Parsing touches no libtorch. The zk commands never do either, so they skip the
    // re-exec (which would load libtorch twice) and the torch settings.
    let cli = Cli::parse();
    if cli.command.uses_torch() {
        if let Err(e) = reexec_with_env() {
            eprintln!("error: {}", one_line(&format!("{e:#}")));
            return ExitCode::FAILURE;
        }
        // Before anything can touch libtorch: deterministic CPU settings only take
        // effect if set before the first torch call.
        engine::runtime::init();
    }
    std::panic::set_hook(Box::new(|info| {
        // A malformed node answer that deai_rpc::decode contains is reported as an error
        // of its own, not as an internal error.
        if deai_rpc::decoding() {
            return;
        }
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        eprintln!("error: internal error: {}", one_line(&msg));
    }));
    init_logs();
    match std::panic::catch_unwind(|| run(&cli)) {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => {
            eprintln!("error: {}", one_line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
        // The hook has printed the message.
        Err(_) => ExitCode::from(70),
    }
}

fn one_line(s: &str) -> String {
    s.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn init_logs() {
    let mut filter = tracing_subscriber::EnvFilter::try_from_env("DEAI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // arkworks opens an INFO span (targets `gr1cs`, `r1cs`) on every gadget call that
    // Debug-formats its arguments, constraint system included, and never closes the
    // namespace spans: enabled, they make circuit synthesis quadratic and grow memory
    // without bound (a private-mode setup ran for minutes and took gigabytes).
    for directive in ["gr1cs=off", "r1cs=off"] {
        if let Ok(d) = directive.parse() {
            filter = filter.add_directive(d);
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}

fn read_spec(path: &Path) -> anyhow::Result<JobSpec> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    JobSpec::from_json(&text).with_context(|| format!("{}", path.display()))
}

/// Prints a command's result (JSON or text) and reports success.
fn print<T: Serialize>(
    output: Output,
    value: &T,
    text: impl FnOnce() -> String,
) -> anyhow::Result<ExitCode> {
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(value)?),
        Output::Text => println!("{}", text()),
    }
    Ok(ExitCode::SUCCESS)
}

fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    let quiet = cli.quiet || cli.output == Output::Json;
    let out = cli.output;
    match &cli.command {
        Command::Train {
            spec,
            out: dir,
            data,
            publish,
            sources,
        } => jobs_cmd::train(out, quiet, spec, dir, data.as_deref(), *publish, sources),
        Command::Evaluate {
            spec,
            data,
            weights,
            sources,
        } => jobs_cmd::evaluate(out, spec, data, weights, sources),
        Command::Infer {
            spec,
            data,
            weights,
            out: file,
            sources,
        } => jobs_cmd::infer(out, spec, data, weights, file.as_deref(), sources),
        Command::Replay(args) => replay_cmd::run(out, quiet, args),
        Command::ServeArtifacts {
            dir,
            port,
            max_blob_bytes,
            quota_bytes,
            request_timeout_secs,
            max_concurrent,
        } => {
            let store =
                Store::open_with_quota(dir, *max_blob_bytes, quota_bytes.unwrap_or(u64::MAX))?;
            let limits = ServerLimits {
                request_timeout: std::time::Duration::from_secs(*request_timeout_secs),
                max_concurrent: *max_concurrent,
                ..ServerLimits::default()
            };
            serve_artifacts(dir, *port, store, limits)
        }
        Command::Hash { files, weights } => jobs_cmd::hash(out, files, *weights),
        Command::Bench(args) => bench::run(args, out == Output::Json).map(|_| ExitCode::SUCCESS),
        Command::ZkSetup(args) => {
            let r = zk::setup(args)?;
            print(out, &r, || r.text())
        }
        Command::Prove(args) => {
            let r = zk::prove(args)?;
            // JSON: exactly the proof file that was written.
            print(out, &r.file, || r.text())
        }
        Command::Provider(cmd) => provider_cmd::run(cmd, quiet),
        Command::FetchResult(args) => fetch_cmd::run(out, args),
        Command::InferenceServer(cmd) => inference_cmd::server(cmd),
        Command::Trainer(cmd) => training_cmd::trainer(cmd, quiet),
        Command::Validator(cmd) => training_cmd::validator(cmd, quiet),
        Command::Data(cmd) => data_cmd::run(cmd),
        Command::Attest(cmd) => attest_cmd::run(cmd),
        Command::Request(args) => {
            let a = inference_cmd::request(args)?;
            print(out, &a, || a.text())?;
            Ok(if a.state == "completed" {
                ExitCode::SUCCESS
            } else {
                // Expired or refuted: the answer is printed, and the exit status says it failed.
                ExitCode::from(2)
            })
        }
        Command::ModelInfo(args) => {
            let r = inference_cmd::model_info(args)?;
            print(out, &r, || r.text())
        }
        Command::Verify(args) => match zk::verify(args) {
            Ok(r) => print(out, &r, || r.text()),
            Err(e) => {
                let reason = one_line(&format!("{e:#}"));
                if out == Output::Json {
                    let v = serde_json::json!({ "valid": false, "reason": reason });
                    println!("{}", serde_json::to_string_pretty(&v)?);
                }
                eprintln!("error: {reason}");
                Ok(ExitCode::FAILURE)
            }
        },
    }
}

fn serve_artifacts(
    dir: &Path,
    port: u16,
    store: Store,
    limits: ServerLimits,
) -> anyhow::Result<ExitCode> {
    let store = Arc::new(store);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = bind_loopback(port)
            .await
            .with_context(|| format!("binding 127.0.0.1:{port}"))?;
        let addr = listener.local_addr()?;
        tracing::info!(dir = %dir.display(), %addr, "serving artifacts");
        let app = router(store, Arc::new(OpenAccess));
        tokio::select! {
            r = serve_with(listener, app, limits) => r.context("artifact server")?,
            _ = tokio::signal::ctrl_c() => tracing::info!("shutting down"),
        }
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
