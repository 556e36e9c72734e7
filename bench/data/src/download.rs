//! Part 3: the provider's side of a download. The ciphertext of part 2 is put in an
//! artifact store and served by worker/artifacts' router and `serve` on 127.0.0.1, behind
//! the access check of [`crate::policy`] and, for comparison, behind `OpenAccess`. Measured:
//!
//! - download throughput of the ciphertext with the artifacts client, into a store on disk
//!   (`fetch_into`: streamed to a temp file, hashed, committed) and into memory (`get`);
//! - the check's latency at the server: the policy's `check` called directly, and a whole
//!   signed HEAD and GET of a tiny blob (a fresh connection each, as the server keeps none).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use deai_worker_artifacts::{
    AccessPolicy, AccessRequest, Client, ClientError, ClientLimits, OpenAccess, Operation, Store,
};
use deai_worker_data::DOWNLOAD_HEADER;
use deai_worker_jobs::Digest;

use deai_bench_common::stats::percentile;

use crate::crypto::{Files, Throughput};
use crate::policy::{self, Blob, Headers, Setup};

/// The tiny blob of the latency runs.
const TINY: usize = 1024;

/// p50 and p99 of one latency.
pub struct Latency {
    pub what: String,
    pub samples: usize,
    pub p50: Duration,
    pub p99: Duration,
}

impl Latency {
    fn of(what: String, times: &[Duration]) -> Result<Self> {
        Ok(Self {
            what,
            samples: times.len(),
            p50: percentile(times, 50).context("no samples")?,
            p99: percentile(times, 99).context("no samples")?,
        })
    }
}

pub struct Report {
    /// What the server's check was.
    pub check: &'static str,
    pub downloads: Vec<Throughput>,
    pub latency: Vec<Latency>,
}

/// A server on 127.0.0.1 and how to reach it.
struct Server {
    base: String,
    check: &'static str,
    /// Whether requests carry a signed download request.
    signed: bool,
}

async fn start(store: &Store, access: Arc<dyn AccessPolicy>) -> Result<SocketAddr> {
    let listener = deai_worker_artifacts::bind_loopback(0).await?;
    let addr = listener.local_addr()?;
    let router = deai_worker_artifacts::router(Arc::new(store.clone()), access);
    tokio::spawn(async move {
        if let Err(e) = deai_worker_artifacts::serve(listener, router).await {
            eprintln!("artifact server stopped: {e}");
        }
    });
    Ok(addr)
}

/// A client of `server` for `blob`, signed with a fresh request when the server checks.
fn client(server: &Server, blob: Blob, max_bytes: u64, headers: &mut Headers) -> Result<Client> {
    let limits = ClientLimits {
        max_bytes,
        ..ClientLimits::default()
    };
    let c = Client::with_limits(&server.base, limits)?;
    Ok(if server.signed {
        c.with_header(DOWNLOAD_HEADER, &headers.next(blob)?)?
    } else {
        c
    })
}

/// `passes` downloads of the ciphertext from each server into a store on disk and into
/// memory, the servers taking turns (so load from elsewhere hits them alike).
async fn downloads(
    servers: &[&Server],
    dir: &Path,
    digest: &Digest,
    files: &Files,
    passes: usize,
    headers: &mut Headers,
) -> Result<Vec<Throughput>> {
    let len = files.ciphertext_len;
    let mut to_disk = vec![Vec::new(); servers.len()];
    let mut to_memory = vec![Vec::new(); servers.len()];
    for i in 0..passes {
        for (k, server) in servers.iter().enumerate() {
            eprintln!("download ({}): pass {}/{passes}…", server.check, i + 1);
            let root = dir.join(format!("grantee-{i}-{k}"));
            let local = Store::open(&root, len)?;
            let c = client(server, Blob::Big, len, headers)?;
            let t = Instant::now();
            let out = c.fetch_into(digest, &local).await?;
            to_disk[k].push(t.elapsed());
            if out.size != len || !out.created {
                bail!("fetch_into stored {} bytes of {len}", out.size);
            }
            drop(local);
            std::fs::remove_dir_all(&root)?;
            let c = client(server, Blob::Big, len, headers)?;
            let t = Instant::now();
            let bytes = c.get(digest).await?;
            to_memory[k].push(t.elapsed());
            if bytes.len() as u64 != len {
                bail!("get returned {} bytes of {len}", bytes.len());
            }
        }
    }
    let mut out = Vec::new();
    for (k, server) in servers.iter().enumerate() {
        let label = |how: &str| format!("{how}, {}", server.check);
        out.push(Throughput::of(
            label("fetch_into: store on disk (hashed, fsync)"),
            len,
            &to_disk[k],
        )?);
        out.push(Throughput::of(
            label("get: memory (hashed)"),
            len,
            &to_memory[k],
        )?);
    }
    Ok(out)
}

/// Whole HEAD and GET requests of the tiny blob, the servers taking turns.
async fn requests(
    servers: &[&Server],
    tiny: &Digest,
    samples: usize,
    headers: &mut Headers,
) -> Result<Vec<Latency>> {
    let mut head = vec![Vec::new(); servers.len()];
    let mut get = vec![Vec::new(); servers.len()];
    for _ in 0..samples {
        for (k, server) in servers.iter().enumerate() {
            let c = client(server, Blob::Tiny, TINY as u64, headers)?;
            let t = Instant::now();
            let size = c.head(tiny).await?;
            head[k].push(t.elapsed());
            if size != Some(TINY as u64) {
                bail!("HEAD of the tiny blob answered {size:?}");
            }
        }
        for (k, server) in servers.iter().enumerate() {
            let c = client(server, Blob::Tiny, TINY as u64, headers)?;
            let t = Instant::now();
            let bytes = c.get(tiny).await?;
            get[k].push(t.elapsed());
            if bytes.len() != TINY {
                bail!("GET of the tiny blob returned {} bytes", bytes.len());
            }
        }
    }
    let mut out = Vec::new();
    for (method, times) in [("HEAD", &head), ("GET", &get)] {
        for (k, server) in servers.iter().enumerate() {
            let signed = if server.signed { "signed " } else { "" };
            out.push(Latency::of(
                format!("{signed}{method} of a 1 KiB blob, {}", server.check),
                &times[k],
            )?);
        }
    }
    Ok(out)
}

/// The checking server must refuse what it should: an unsigned request (401) and a
/// replayed one.
async fn refuses(server: &Server, tiny: &Digest, headers: &mut Headers) -> Result<()> {
    let unsigned = Client::new(&server.base, TINY)?;
    match unsigned.head(tiny).await {
        Err(ClientError::Status { status, .. }) if status.as_u16() == 401 => {}
        other => bail!("{} admitted an unsigned HEAD: {other:?}", server.check),
    }
    let c = client(server, Blob::Tiny, TINY as u64, headers)?;
    c.head(tiny).await?;
    if c.head(tiny).await.is_ok() {
        bail!("{} admitted a replayed request", server.check);
    }
    Ok(())
}

/// A check alone, on `samples` fresh signed requests from `next`.
async fn checks(
    what: String,
    access: &dyn AccessPolicy,
    digest: &Digest,
    samples: usize,
    mut next: impl FnMut() -> Result<String>,
) -> Result<Latency> {
    let mut requests = Vec::with_capacity(samples.max(1));
    for _ in 0..samples.max(1) {
        let mut h = http::HeaderMap::new();
        h.insert(DOWNLOAD_HEADER, next()?.parse()?);
        requests.push(AccessRequest {
            operation: Operation::Read,
            digest: *digest,
            headers: h,
        });
    }
    let mut times = Vec::with_capacity(requests.len());
    for r in &requests {
        let t = Instant::now();
        let verdict = access.check(r).await;
        times.push(t.elapsed());
        verdict.map_err(|e| anyhow!("{what} refused a valid request: {e}"))?;
    }
    Latency::of(what, &times)
}

/// Part 3 on the prepared files under `dir`.
pub fn measure(dir: &Path, files: &Files, passes: usize, samples: usize) -> Result<Report> {
    // The provider's store: the ciphertext and a tiny blob (blocking I/O, before the runtime).
    let provider = Store::open(dir.join("provider"), files.ciphertext_len.max(TINY as u64))?;
    let digest = provider.put_file(&files.ciphertext)?.digest;
    let tiny_bytes: Vec<u8> = (0..TINY).map(|i| (i * 31 % 251) as u8).collect();
    let tiny = provider.put_bytes(None, &tiny_bytes)?.digest;
    eprintln!(
        "download: a chain with the grants of {} requests…",
        3 * samples + 2 * passes
    );
    let (passes, samples) = (passes.max(1), samples.max(1));
    let Setup {
        access,
        signature_only,
        mut headers,
    } = policy::setup(digest, samples + 2 * passes, tiny, 2 * samples + 1)?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let report = rt.block_on(async {
        let checked = Server {
            base: format!("http://{}", start(&provider, access.clone()).await?),
            check: policy::SHORT,
            signed: true,
        };
        let open = Server {
            base: format!("http://{}", start(&provider, Arc::new(OpenAccess)).await?),
            check: "OpenAccess",
            signed: false,
        };
        let mut latency = vec![
            checks(
                format!("check() alone, {}", policy::SHORT),
                access.as_ref(),
                &digest,
                samples,
                || headers.next(Blob::Big),
            )
            .await?,
        ];
        latency.push(
            checks(
                "check() alone, signature + replay guard only".into(),
                &signature_only,
                &digest,
                samples,
                || headers.spare(),
            )
            .await?,
        );
        refuses(&checked, &tiny, &mut headers).await?;
        let servers = [&checked, &open];
        let downloads_ = downloads(&servers, dir, &digest, files, passes, &mut headers).await?;
        eprintln!("download: {samples} HEAD/GET pairs per server…");
        latency.extend(requests(&servers, &tiny, samples, &mut headers).await?);
        Ok::<_, anyhow::Error>(Report {
            check: policy::LABEL,
            downloads: downloads_,
            latency,
        })
    })?;
    rt.shutdown_timeout(Duration::from_secs(1));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_file_is_encrypted_and_downloaded_through_the_grant_check() {
        let dir = tempfile::tempdir().unwrap();
        let files = crate::crypto::prepare(dir.path(), 300_000, 1).unwrap();
        let c = crate::crypto::measure(dir.path(), &files, 1).unwrap();
        assert_eq!(c.len(), 2);
        let r = measure(dir.path(), &files, 1, 3).unwrap();
        assert_eq!(r.downloads.len(), 4);
        assert!(r.downloads.iter().all(|d| d.bytes == files.ciphertext_len));
        assert_eq!(r.latency.len(), 6);
    }
}
