//! `deai-worker attest serve`: the consensus-attestation sidecar deaid asks at every
//! ExtendVote; and `attest run` (hidden), the sandboxed process that runs one job. See
//! docs/attestation-sidecar.md.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use deai_worker_attest::{self as attest, Bounds, ExecBounds, Kind, Limits, Runner, Sources};

use crate::{default_cache, SourceArgs};

#[derive(Subcommand)]
pub enum AttestCommand {
    /// Serve attestation results to the local deaid (POST /v1/attest, GET /healthz) and run
    /// the jobs it asks about, each in its own sandboxed process.
    Serve(ServeArgs),
    /// Internal: run one job in the sandboxed process the sidecar started.
    #[command(hide = true)]
    Run(RunArgs),
}

impl AttestCommand {
    /// The sidecar itself never touches libtorch; a job process does unless it replays an
    /// (integer) inference.
    pub fn uses_torch(&self) -> bool {
        match self {
            AttestCommand::Serve(_) => false,
            AttestCommand::Run(a) => Kind::parse(&a.kind).is_none_or(Kind::uses_torch),
        }
    }
}

#[derive(Args)]
pub struct ExecArgs {
    /// Most training steps a task_code or compute_replay job may take (from its schedule,
    /// checked before training); larger jobs fail and are not attested.
    #[arg(long, default_value_t = ExecBounds::default().max_train_steps)]
    max_train_steps: u64,
    /// Largest quantized model of an inference_replay job, bytes.
    #[arg(long, default_value_t = ExecBounds::default().max_model_bytes)]
    max_model_bytes: usize,
}

impl ExecArgs {
    fn bounds(&self) -> ExecBounds {
        ExecBounds {
            max_train_steps: self.max_train_steps,
            max_model_bytes: self.max_model_bytes,
            ..ExecBounds::default()
        }
    }
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (loopback only; port 0 picks a free one, printed on stdout).
    #[arg(long, visible_alias = "addr", default_value = "127.0.0.1:7171")]
    listen: SocketAddr,
    /// Where per-job directories are made (and removed after each job).
    #[arg(long, default_value_os_t = default_cache().join("attest"))]
    work_dir: PathBuf,
    /// Directories a task_code job's local dataset_uri (file:// or a path) may point into;
    /// without any, local dataset URIs are refused.
    #[arg(long, value_delimiter = ',')]
    dataset_roots: Vec<PathBuf>,
    /// Jobs run at once.
    #[arg(long, default_value_t = 1)]
    parallel: usize,
    /// Address-space limit of each job process (RLIMIT_AS), MiB.
    #[arg(long, default_value_t = 4096)]
    memory_limit_mb: u64,
    /// Wall-clock limit of each job; its process group is killed when it passes.
    #[arg(long, default_value_t = 600)]
    job_timeout_secs: u64,
    /// Largest file a job process may write (RLIMIT_FSIZE), MiB.
    #[arg(long, default_value_t = 1024)]
    file_limit_mb: u64,
    /// Largest request body, bytes.
    #[arg(long, default_value_t = 1 << 20)]
    max_body_bytes: usize,
    /// Jobs of one request looked at; the rest are ignored.
    #[arg(long, default_value_t = Bounds::default().max_jobs_per_request)]
    max_jobs_per_request: usize,
    /// Jobs waiting to run at most.
    #[arg(long, default_value_t = Bounds::default().max_queue)]
    max_queue: usize,
    /// Jobs remembered at most (the oldest finished are forgotten first).
    #[arg(long, default_value_t = Bounds::default().max_entries)]
    max_cache: usize,
    /// For tests: attests sha256 of the honest hash, a consistent lie.
    #[arg(long)]
    dishonest: bool,
    #[command(flatten)]
    exec: ExecArgs,
    #[command(flatten)]
    sources: SourceArgs,
}

#[derive(Args)]
pub struct RunArgs {
    #[arg(long)]
    kind: String,
    #[arg(long)]
    spec: PathBuf,
    #[arg(long)]
    inputs: PathBuf,
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    exec: ExecArgs,
}

pub fn run(cmd: &AttestCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        AttestCommand::Serve(a) => serve(a),
        AttestCommand::Run(a) => {
            let kind = Kind::parse(&a.kind)
                .ok_or_else(|| anyhow::anyhow!("unknown job kind {:?}", a.kind))?;
            attest::run_job(kind, &a.spec, &a.inputs, &a.out, &a.exec.bounds())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn serve(a: &ServeArgs) -> anyhow::Result<ExitCode> {
    if a.dishonest {
        tracing::warn!("--dishonest: attesting sha256 of every honest result (for tests only)");
    }
    let exe = std::env::current_exe().context("locating the deai-worker binary")?;
    let isolate_network = attest::probe_isolation(&exe);
    let mut extra_args: Vec<std::ffi::OsString> = Vec::new();
    extra_args.extend([
        "--max-train-steps".into(),
        a.exec.max_train_steps.to_string().into(),
        "--max-model-bytes".into(),
        a.exec.max_model_bytes.to_string().into(),
    ]);
    let runner = Runner {
        exe,
        limits: Limits {
            memory_bytes: a.memory_limit_mb.saturating_mul(1 << 20),
            timeout: Duration::from_secs(a.job_timeout_secs),
            file_bytes: a.file_limit_mb.saturating_mul(1 << 20),
            ..Limits::default()
        },
        isolate_network,
        extra_args,
    };
    let cfg = attest::Config {
        listen: a.listen,
        work_dir: a.work_dir.clone(),
        sources: Sources::new(
            a.sources.store.clone(),
            a.sources.artifact_server.clone(),
            a.sources.max_blob_bytes,
            &a.dataset_roots,
        ),
        runner,
        bounds: Bounds {
            max_jobs_per_request: a.max_jobs_per_request,
            max_queue: a.max_queue,
            max_entries: a.max_cache.max(1),
        },
        parallel: a.parallel.max(1),
        max_body_bytes: a.max_body_bytes,
        dishonest: a.dishonest,
    };
    attest::serve(cfg, |addr| {
        println!(
            "attest sidecar listening on http://{addr} (network isolation: {isolate_network})"
        );
    })?;
    Ok(ExitCode::SUCCESS)
}
