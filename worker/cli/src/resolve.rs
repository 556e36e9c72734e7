//! Finds the local file for a content hash: an explicit path, the spec's path hint, the
//! local artifact store, or (if given) a remote artifact server that fills the store.
//! Whatever is found is checked against the hash by the engine before use.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use deai_worker_artifacts::{Client, Store};
use deai_worker_jobs::Digest;

pub struct Sources {
    pub store_dir: PathBuf,
    pub server: Option<String>,
    pub max_blob_bytes: u64,
}

impl Sources {
    pub fn resolve(
        &self,
        what: &str,
        sha256: &Digest,
        explicit: Option<&Path>,
        hint: Option<&str>,
    ) -> anyhow::Result<PathBuf> {
        if let Some(p) = explicit {
            return Ok(p.to_path_buf());
        }
        if let Some(h) = hint {
            let p = PathBuf::from(h);
            if p.is_file() {
                return Ok(p);
            }
        }
        let store = Store::open(&self.store_dir, self.max_blob_bytes)
            .with_context(|| format!("opening artifact store {}", self.store_dir.display()))?;
        if store.contains(sha256) {
            return Ok(store.blob_path(sha256));
        }
        if let Some(url) = &self.server {
            let client = Client::new(
                url,
                usize::try_from(self.max_blob_bytes).unwrap_or(usize::MAX),
            )?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(client.fetch_into(sha256, &store))
                .with_context(|| format!("fetching {what} {sha256} from {url}"))?;
            return Ok(store.blob_path(sha256));
        }
        bail!(
            "{what} {sha256} not found: no usable path{}, not in store {}, and no --artifact-server",
            hint.map(|h| format!(" ({h} does not exist)")).unwrap_or_default(),
            self.store_dir.display()
        )
    }
}

/// Reads `path` if it exists, holds at most `limit` bytes and hashes to `sha256`.
fn read_if_matches(path: &Path, sha256: &Digest, limit: u64) -> anyhow::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("{}", path.display())),
    };
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("{}", path.display()))?;
    if bytes.len() as u64 > limit || Digest::of(&bytes) != *sha256 {
        tracing::warn!(path = %path.display(), %sha256, "ignoring a file that is not the committed artifact");
        return Ok(None);
    }
    Ok(Some(bytes))
}

impl Sources {
    /// The bytes of the artifact `sha256`, looked up by hash only: in `local` candidate
    /// files (used only if they hash right), the store, then the artifact server. `None`
    /// when no source has it: the party that committed to it withheld it.
    pub fn find_bytes(
        &self,
        sha256: &Digest,
        local: &[PathBuf],
        limit: u64,
    ) -> anyhow::Result<Option<Vec<u8>>> {
        for p in local {
            if let Some(b) = read_if_matches(p, sha256, limit)? {
                return Ok(Some(b));
            }
        }
        let store = Store::open(&self.store_dir, self.max_blob_bytes)
            .with_context(|| format!("opening artifact store {}", self.store_dir.display()))?;
        if store.contains(sha256) {
            return read_if_matches(&store.blob_path(sha256), sha256, limit);
        }
        let Some(url) = &self.server else {
            return Ok(None);
        };
        let client = Client::new(url, usize::try_from(limit).unwrap_or(usize::MAX))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        if let Err(e) = rt.block_on(client.fetch_into(sha256, &store)) {
            tracing::warn!(%sha256, %url, error = %e, "artifact not delivered");
            return Ok(None);
        }
        read_if_matches(&store.blob_path(sha256), sha256, limit)
    }
}
