//! Fetching a job's inputs, in the sidecar itself (with network), into the job's directory:
//! by sha256 from the local artifact store or the artifact server, or by a dataset URI
//! (`http://<host>/blobs/<sha256>`, or a local path inside `--dataset-roots`). Every file is
//! copied with a streaming sha256 and a size limit, and refused unless it hashes right.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use deai_worker_artifacts::{Client, ClientLimits, Store};
use deai_worker_jobs::Digest;
use sha2::{Digest as _, Sha256};

/// The artifact route of the worker's artifact server.
const BLOBS_ROUTE: &str = "/blobs/";
/// Longest dataset URI accepted.
const MAX_URI_BYTES: usize = 1024;

#[derive(Debug, Clone)]
pub struct Sources {
    /// The local artifact store (searched by sha256; downloads are kept there).
    pub store_dir: PathBuf,
    /// The artifact server missing blobs are fetched from.
    pub server: Option<String>,
    /// Largest blob accepted, bytes.
    pub max_blob_bytes: u64,
    /// Canonical directories a local dataset URI may point into; none: local URIs refused.
    pub dataset_roots: Vec<PathBuf>,
}

impl Sources {
    pub fn new(
        store_dir: PathBuf,
        server: Option<String>,
        max_blob_bytes: u64,
        dataset_roots: &[PathBuf],
    ) -> Sources {
        Sources {
            store_dir,
            server,
            max_blob_bytes,
            dataset_roots: dataset_roots
                .iter()
                .filter_map(|r| std::fs::canonicalize(r).ok())
                .collect(),
        }
    }

    fn store(&self) -> anyhow::Result<Store> {
        Store::open(&self.store_dir, self.max_blob_bytes)
            .with_context(|| format!("opening artifact store {}", self.store_dir.display()))
    }

    /// Blob `sha256` into `dest`: from the store, else from `server` (or `--artifact-server`)
    /// into the store first.
    pub fn blob_into(
        &self,
        what: &str,
        sha256: &Digest,
        server: Option<&str>,
        dest: &Path,
    ) -> anyhow::Result<()> {
        let store = self.store()?;
        if !store.contains(sha256) {
            let Some(url) = server.or(self.server.as_deref()) else {
                bail!(
                    "{what} {sha256} is not in store {} and no artifact server is given",
                    self.store_dir.display()
                );
            };
            let client = Client::with_limits(
                url,
                ClientLimits {
                    max_bytes: self.max_blob_bytes,
                    ..ClientLimits::default()
                },
            )?;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(client.fetch_into(sha256, &store))
                .with_context(|| format!("fetching {what} {sha256} from {url}"))?;
        }
        copy_verified(&store.blob_path(sha256), sha256, dest, self.max_blob_bytes)
            .with_context(|| format!("{what} {sha256}"))
    }

    /// The dataset `sha256` named by `uri` into `dest`. The store is looked in first; then
    /// an artifact URL `http://<host>/blobs/<sha256>` (which must name `sha256`), or a
    /// `file://` URI or plain path inside `--dataset-roots`.
    pub fn dataset_into(&self, uri: &str, sha256: &Digest, dest: &Path) -> anyhow::Result<()> {
        anyhow::ensure!(
            uri.len() <= MAX_URI_BYTES,
            "dataset uri longer than {MAX_URI_BYTES} bytes"
        );
        if self.store()?.contains(sha256) {
            return self.blob_into("dataset", sha256, None, dest);
        }
        if uri.starts_with("http://") {
            let (base, named) = parse_blob_url(uri)?;
            anyhow::ensure!(
                named == *sha256,
                "dataset uri {uri:?} names blob {named}, the job names {sha256}"
            );
            return self.blob_into("dataset", sha256, Some(&base), dest);
        }
        let local = uri.strip_prefix("file://").unwrap_or(uri);
        anyhow::ensure!(
            !local.contains("://"),
            "dataset uri {uri:?}: only http://<host>/blobs/<sha256>, file:// and paths are supported"
        );
        let p = std::fs::canonicalize(local)
            .with_context(|| format!("dataset uri {uri:?}: no such file"))?;
        anyhow::ensure!(
            self.dataset_roots.iter().any(|r| p.starts_with(r)),
            "dataset uri {uri:?} is outside --dataset-roots"
        );
        copy_verified(&p, sha256, dest, self.max_blob_bytes)
            .with_context(|| format!("dataset {}", p.display()))
    }
}

/// Splits `http://host:port[/prefix]/blobs/<sha256>` into the server's base URL and the
/// blob's sha256.
pub fn parse_blob_url(uri: &str) -> anyhow::Result<(String, Digest)> {
    let (base, hash) = uri
        .rsplit_once(BLOBS_ROUTE)
        .ok_or_else(|| anyhow::anyhow!("uri {uri:?} is not <base>/blobs/<sha256>"))?;
    anyhow::ensure!(
        base.starts_with("http://") && base.len() > "http://".len(),
        "uri {uri:?}: only http:// artifact servers are supported"
    );
    let d = hash
        .parse()
        .map_err(|_| anyhow::anyhow!("uri {uri:?}: {hash:?} is not a sha256"))?;
    Ok((base.to_string(), d))
}

/// Copies `src` to `dest` (a new file), hashing as it goes; fails, removing `dest`, if it
/// holds more than `limit` bytes or does not hash to `sha256`.
pub fn copy_verified(src: &Path, sha256: &Digest, dest: &Path, limit: u64) -> anyhow::Result<()> {
    let r = (|| {
        let mut from =
            std::fs::File::open(src).with_context(|| format!("opening {}", src.display()))?;
        let mut to =
            std::fs::File::create(dest).with_context(|| format!("creating {}", dest.display()))?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 64 << 10];
        let mut total = 0u64;
        loop {
            let n = from
                .read(&mut buf)
                .with_context(|| format!("reading {}", src.display()))?;
            if n == 0 {
                break;
            }
            total = total.saturating_add(n as u64);
            anyhow::ensure!(total <= limit, "larger than the {limit}-byte limit");
            h.update(&buf[..n]);
            to.write_all(&buf[..n])
                .with_context(|| format!("writing {}", dest.display()))?;
        }
        let actual = Digest(h.finalize().into());
        anyhow::ensure!(actual == *sha256, "sha256 is {actual}, expected {sha256}");
        Ok(())
    })();
    if r.is_err() {
        let _ = std::fs::remove_file(dest);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_urls_parse_and_others_are_refused() {
        let d = Digest::of(b"x");
        let (base, got) = parse_blob_url(&format!("http://127.0.0.1:7070/blobs/{d}")).unwrap();
        assert_eq!(base, "http://127.0.0.1:7070");
        assert_eq!(got, d);
        assert!(parse_blob_url(&format!("https://h/blobs/{d}")).is_err());
        assert!(parse_blob_url("http://h/blobs/zz").is_err());
        assert!(parse_blob_url("http://h/other").is_err());
    }

    #[test]
    fn copies_are_verified_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::write(&src, b"hello").unwrap();
        let dest = dir.path().join("dest");
        copy_verified(&src, &Digest::of(b"hello"), &dest, 5).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"hello");
        std::fs::remove_file(&dest).unwrap();
        assert!(copy_verified(&src, &Digest::of(b"other"), &dest, 5).is_err());
        assert!(!dest.exists());
        assert!(copy_verified(&src, &Digest::of(b"hello"), &dest, 4).is_err());
        assert!(!dest.exists());
    }

    #[test]
    fn local_datasets_only_inside_the_roots_and_the_store_first() {
        let root = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let inside = root.path().join("d.csv");
        let outside = other.path().join("d.csv");
        std::fs::write(&inside, b"1,0\n").unwrap();
        std::fs::write(&outside, b"1,0\n").unwrap();
        let sha = Digest::of(b"1,0\n");
        let s = Sources::new(
            other.path().join("store"),
            None,
            1 << 20,
            &[root.path().to_path_buf()],
        );
        let dest = other.path().join("out");
        s.dataset_into(inside.to_str().unwrap(), &sha, &dest)
            .unwrap();
        std::fs::remove_file(&dest).unwrap();
        let uri = format!("file://{}", inside.display());
        s.dataset_into(&uri, &sha, &dest).unwrap();
        std::fs::remove_file(&dest).unwrap();
        assert!(s
            .dataset_into(outside.to_str().unwrap(), &sha, &dest)
            .is_err());
        // The right file under the wrong hash: refused.
        assert!(s
            .dataset_into(inside.to_str().unwrap(), &Digest::of(b"z"), &dest)
            .is_err());
        assert!(s.dataset_into("ftp://x/y", &sha, &dest).is_err());
        // No server: a blob not in the store is an error; once in the store, any URI works.
        assert!(s.blob_into("model", &sha, None, &dest).is_err());
        let store = Store::open(other.path().join("store"), 1 << 20).unwrap();
        store.put_bytes(None, b"1,0\n").unwrap();
        s.dataset_into("http://127.0.0.1:1/blobs/whatever", &sha, &dest)
            .unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"1,0\n");
    }
}
