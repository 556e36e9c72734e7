//! Files the daemons read and publish. Their own artifact store is served over HTTP (as the
//! provider's is): trainers' updates and aggregators' aggregates are put into it by sha256
//! and named on chain as `<public-url>/blobs/<sha256>`. Everything else comes from
//! strangers: a URI from the chain must name the hash the chain names, every download is
//! bounded and verified against that hash as it streams, and a dataset path hint is only
//! followed inside `--dataset-roots`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use deai_worker_artifacts::Store;
use deai_worker_artifacts::{Client, ClientLimits};
use deai_worker_jobs::{Digest, JobSpec};
use deai_worker_provider::remote::{artifact_uri, parse_artifact_uri};

/// Downloads allowed above this many bytes (datasets) get the client's long default time.
const LARGE_BYTES: u64 = 256 << 20;

pub struct Files {
    store: Arc<Store>,
    public_url: String,
    /// Canonical directories a spec's dataset path hint may point into.
    dataset_roots: Vec<PathBuf>,
}

impl Files {
    pub fn new(store: Arc<Store>, public_url: &str, dataset_roots: &[PathBuf]) -> Files {
        Files {
            store,
            public_url: public_url.trim_end_matches('/').to_string(),
            dataset_roots: dataset_roots
                .iter()
                .filter_map(|r| std::fs::canonicalize(r).ok())
                .collect(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The base URL of this daemon's artifact server as others reach it.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The URI under which this daemon serves blob `d`.
    pub fn uri(&self, d: &Digest) -> anyhow::Result<String> {
        artifact_uri(&self.public_url, d)
    }

    /// Puts `bytes` into the served store.
    pub fn put(&self, bytes: &[u8]) -> anyhow::Result<Digest> {
        Ok(self.store.put_bytes(None, bytes)?.digest)
    }

    /// Puts a local file into the served store.
    pub fn put_file(&self, path: &Path) -> anyhow::Result<Digest> {
        Ok(self
            .store
            .put_file(path)
            .with_context(|| format!("publishing {}", path.display()))?
            .digest)
    }

    /// The local path of blob `d` if the store holds it.
    pub fn local(&self, d: &Digest) -> Option<PathBuf> {
        self.store.contains(d).then(|| self.store.blob_path(d))
    }

    /// Blob `expected` from `uri` (a `<base>/blobs/<sha256>` URI from the chain, which must
    /// name `expected`), at most `max_bytes`, kept in the store; its local path.
    pub async fn fetch(
        &self,
        uri: &str,
        expected: &Digest,
        max_bytes: u64,
    ) -> anyhow::Result<PathBuf> {
        // The URI is checked even for a blob held already: an update whose URI does not
        // name it is unusable to anyone who does not hold it.
        let (base, named) = parse_artifact_uri(uri)?;
        anyhow::ensure!(
            named == *expected,
            "uri {uri:?} names blob {named}, the chain names {expected}"
        );
        if let Some(p) = self.local(expected) {
            return Ok(p);
        }
        // Peers are strangers: a slow one must not hold a phase's work for long.
        let limits = ClientLimits {
            max_bytes: max_bytes.min(self.store.max_blob_bytes()),
            connect_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(15),
            request_timeout: if max_bytes > LARGE_BYTES {
                ClientLimits::default().request_timeout
            } else {
                Duration::from_secs(60)
            },
        };
        let bytes = Client::with_limits(&base, limits)?
            .get(expected)
            .await
            .with_context(|| format!("downloading {uri}"))?;
        let got = Digest::of(&bytes);
        anyhow::ensure!(got == *expected, "{uri} delivered {got}, not {expected}");
        self.store.put_bytes(Some(*expected), &bytes)?;
        Ok(self.store.blob_path(expected))
    }

    /// The job's dataset: in the store, at the spec's path hint (inside the dataset roots,
    /// with the right sha256), or downloaded from the task's `dataset_uri`.
    pub async fn dataset(&self, spec: &JobSpec, dataset_uri: &str) -> anyhow::Result<PathBuf> {
        let d = spec.dataset.sha256;
        if let Some(p) = self.local(&d) {
            return Ok(p);
        }
        // The spec's path hint, then a `file://` dataset URI: local paths, followed only
        // inside the dataset roots.
        let file_uri = dataset_uri.strip_prefix("file://");
        for hint in [spec.dataset.path.as_deref(), file_uri]
            .into_iter()
            .flatten()
        {
            if let Ok(p) = std::fs::canonicalize(hint) {
                if self.dataset_roots.iter().any(|r| p.starts_with(r)) {
                    if Digest::of_file(&p).ok() == Some(d) {
                        return Ok(p);
                    }
                    tracing::warn!(hint, "the dataset path hint is not the task's dataset");
                } else {
                    tracing::info!(hint, "dataset path hint outside --dataset-roots ignored");
                }
            }
        }
        anyhow::ensure!(
            !dataset_uri.is_empty() && file_uri.is_none(),
            "dataset {d} is not in the store nor at a path inside --dataset-roots, and the task's dataset_uri {dataset_uri:?} is not an artifact server's"
        );
        self.fetch(dataset_uri, &d, self.store.max_blob_bytes())
            .await
            .context("the task's dataset")
    }
}

/// A 32-byte hash from the chain as a digest.
pub fn digest_of(bytes: &[u8], what: &str) -> anyhow::Result<Digest> {
    let a: [u8; 32] = bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("{what} is {} bytes, not 32", bytes.len()))?;
    Ok(Digest(a))
}

/// Hex digests as raw bytes.
pub fn raw(hex_hash: &str) -> anyhow::Result<Vec<u8>> {
    hex::decode(hex_hash).map_err(|e| anyhow::anyhow!("hash {hex_hash:?}: {e}"))
}
