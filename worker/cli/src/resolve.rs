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
