//! The sidecar: the HTTP endpoint deaid asks (`POST /v1/attest`, `GET /healthz`) on
//! loopback, and the job threads that take queued jobs, fetch their inputs and run each in
//! its sandboxed process.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use anyhow::Context;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use deai_attest::wire::{AttestRequest, ATTEST_PATH};
use deai_worker_artifacts::{serve_with, ServerLimits};
use sha2::{Digest as _, Sha256};

use crate::book::{Book, Bounds};
use crate::fetch::Sources;
use crate::job::Job;
use crate::kinds;
use crate::sandbox::{Runner, INPUTS_DIR, SPEC_FILE};

/// Prefix of the per-job directories under `--work-dir` (stale ones are removed at start).
const JOB_DIR_PREFIX: &str = "job-";

pub struct Config {
    /// Must be a loopback address.
    pub listen: SocketAddr,
    /// Where the per-job directories are made.
    pub work_dir: PathBuf,
    pub sources: Sources,
    pub runner: Runner,
    pub bounds: Bounds,
    /// Jobs run at once.
    pub parallel: usize,
    /// Largest request body, bytes.
    pub max_body_bytes: usize,
    /// For tests: attest sha256 of the honest hash, a consistent lie.
    pub dishonest: bool,
}

struct Shared {
    book: Mutex<Book>,
    wake: Condvar,
    network_isolated: bool,
}

impl Shared {
    fn book(&self) -> MutexGuard<'_, Book> {
        // A job thread that panicked left the book consistent (every change is one call).
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Runs the sidecar until the process ends. `on_listening` is told the bound address.
pub fn serve(cfg: Config, on_listening: impl FnOnce(SocketAddr)) -> anyhow::Result<()> {
    anyhow::ensure!(
        cfg.listen.ip().is_loopback(),
        "--listen {}: the sidecar only listens on loopback",
        cfg.listen
    );
    std::fs::create_dir_all(&cfg.work_dir)
        .with_context(|| format!("creating {}", cfg.work_dir.display()))?;
    remove_stale_job_dirs(&cfg.work_dir);
    let shared = Arc::new(Shared {
        book: Mutex::new(Book::new(cfg.bounds)),
        wake: Condvar::new(),
        network_isolated: cfg.runner.isolate_network,
    });
    let worker = Arc::new(JobWorker {
        work_dir: cfg.work_dir.clone(),
        sources: cfg.sources,
        runner: cfg.runner,
        dishonest: cfg.dishonest,
    });
    for i in 0..cfg.parallel.max(1) {
        let (shared, worker) = (shared.clone(), worker.clone());
        std::thread::Builder::new()
            .name(format!("attest-job-{i}"))
            .spawn(move || job_loop(&shared, &worker))
            .context("starting a job thread")?;
    }
    let app = Router::new()
        .route(ATTEST_PATH, post(attest))
        .route("/healthz", get(healthz))
        .layer(DefaultBodyLimit::max(cfg.max_body_bytes))
        .with_state(shared);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(cfg.listen)
            .await
            .with_context(|| format!("binding {}", cfg.listen))?;
        let addr = listener.local_addr()?;
        tracing::info!(%addr, "attestation sidecar listening");
        on_listening(addr);
        let limits = ServerLimits {
            header_timeout: std::time::Duration::from_secs(5),
            request_timeout: std::time::Duration::from_secs(10),
            max_concurrent: 32,
        };
        serve_with(listener, app, limits)
            .await
            .context("attestation sidecar")
    })
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn attest(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let req: AttestRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            let msg = serde_json::json!({ "error": format!("bad request: {e}") });
            return json_response(StatusCode::BAD_REQUEST, msg.to_string().into_bytes());
        }
    };
    let (answer, queued) = shared.book().answer(&req);
    if queued {
        shared.wake.notify_all();
    }
    match serde_json::to_vec(&answer) {
        Ok(b) => json_response(StatusCode::OK, b),
        Err(_) => json_response(StatusCode::INTERNAL_SERVER_ERROR, b"{}".to_vec()),
    }
}

async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    let c = shared.book().counts();
    let v = serde_json::json!({
        "ok": true,
        "network_isolated": shared.network_isolated,
        "cached": c.cached,
        "queued": c.queued,
    });
    json_response(StatusCode::OK, v.to_string().into_bytes())
}

struct JobWorker {
    work_dir: PathBuf,
    sources: Sources,
    runner: Runner,
    dishonest: bool,
}

fn job_loop(shared: &Shared, w: &JobWorker) {
    loop {
        let job = {
            let mut book = shared.book();
            loop {
                if let Some(j) = book.start_next() {
                    break j;
                }
                book = shared.wake.wait(book).unwrap_or_else(|e| e.into_inner());
            }
        };
        let result = match w.run(&job) {
            Ok(h) => {
                tracing::info!(id = job.key.id, kind = job.kind.as_str(), result = %hex::encode(h), "job done");
                Some(if w.dishonest {
                    Sha256::digest(h).into()
                } else {
                    h
                })
            }
            Err(e) => {
                tracing::warn!(
                    id = job.key.id,
                    kind = job.kind.as_str(),
                    "job failed, not attested: {e:#}"
                );
                None
            }
        };
        shared.book().finish(&job.key, result);
    }
}

impl JobWorker {
    fn run(&self, job: &Job) -> anyhow::Result<[u8; 32]> {
        let sha = &job.key.spec_sha256;
        let dir = self.work_dir.join(format!(
            "{JOB_DIR_PREFIX}{}-{}",
            job.key.id,
            sha.get(..16).unwrap_or(sha)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let r = self.run_in(job, &dir);
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            tracing::warn!(dir = %dir.display(), "removing the job directory: {e}");
        }
        r
    }

    fn run_in(&self, job: &Job, dir: &Path) -> anyhow::Result<[u8; 32]> {
        let inputs = dir.join(INPUTS_DIR);
        std::fs::create_dir_all(&inputs)
            .with_context(|| format!("creating {}", inputs.display()))?;
        std::fs::write(dir.join(SPEC_FILE), &job.spec).context("writing the spec")?;
        kinds::prepare(job.kind, &job.spec, &self.sources, &inputs).context("inputs")?;
        self.runner.run(job.kind, dir)
    }
}

fn remove_stale_job_dirs(work: &Path) {
    let Ok(entries) = std::fs::read_dir(work) else {
        return;
    };
    for e in entries.flatten() {
        let is_job = e.file_name().to_string_lossy().starts_with(JOB_DIR_PREFIX);
        if is_job && e.path().is_dir() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}
