//! Blobs on disk at `<root>/blobs/<first two hex>/<sha256>`. Writes go to
//! `<root>/tmp/` while being hashed, and are renamed into place only if the hash and
//! size check out, so a reader never sees a partial or wrong blob.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use deai_worker_jobs::Digest;
use sha2::{Digest as _, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("blob is larger than the store's limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("blob bytes hash to {actual}, not to the name {expected}")]
    HashMismatch { expected: Digest, actual: Digest },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PutOutcome {
    pub digest: Digest,
    pub size: u64,
    /// False when the blob was already present.
    pub created: bool,
}

#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    max_blob_bytes: u64,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Store {
    /// Opens (creating if needed) a store rooted at `root`.
    pub fn open(root: impl Into<PathBuf>, max_blob_bytes: u64) -> Result<Store, StoreError> {
        let root = root.into();
        for sub in ["blobs", "tmp"] {
            let p = root.join(sub);
            std::fs::create_dir_all(&p).map_err(io(&p))?;
        }
        Ok(Store {
            root,
            max_blob_bytes,
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn max_blob_bytes(&self) -> u64 {
        self.max_blob_bytes
    }

    pub fn blob_path(&self, d: &Digest) -> PathBuf {
        let hex = d.to_hex();
        self.root.join("blobs").join(&hex[..2]).join(hex)
    }

    pub fn contains(&self, d: &Digest) -> bool {
        self.blob_path(d).is_file()
    }

    /// Size of a stored blob, or None.
    pub fn size(&self, d: &Digest) -> Option<u64> {
        std::fs::metadata(self.blob_path(d))
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len())
    }

    /// Starts writing a blob. `expected` is the name the writer claims; the bytes are
    /// checked against it on commit.
    pub fn writer(&self, expected: Option<Digest>) -> Result<BlobWriter<'_>, StoreError> {
        // Unique per process and call, so concurrent writers of one blob never share a
        // temp file.
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{}-{n}", std::process::id()));
        let file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        Ok(BlobWriter {
            store: self,
            tmp,
            file: Some(file),
            hasher: Sha256::new(),
            size: 0,
            expected,
        })
    }

    /// Stores bytes in one go.
    pub fn put_bytes(
        &self,
        expected: Option<Digest>,
        bytes: &[u8],
    ) -> Result<PutOutcome, StoreError> {
        let mut w = self.writer(expected)?;
        w.write(bytes)?;
        w.commit()
    }

    /// Copies a local file into the store.
    pub fn put_file(&self, path: &Path) -> Result<PutOutcome, StoreError> {
        let mut src = std::fs::File::open(path).map_err(io(path))?;
        let mut w = self.writer(None)?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = std::io::Read::read(&mut src, &mut buf).map_err(io(path))?;
            if n == 0 {
                break;
            }
            w.write(&buf[..n])?;
        }
        w.commit()
    }
}

/// A blob being written. Dropping it without `commit` removes the temp file.
pub struct BlobWriter<'a> {
    store: &'a Store,
    tmp: PathBuf,
    file: Option<std::fs::File>,
    hasher: Sha256,
    size: u64,
    expected: Option<Digest>,
}

impl BlobWriter<'_> {
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        self.size += chunk.len() as u64;
        if self.size > self.store.max_blob_bytes {
            return Err(StoreError::TooLarge {
                limit: self.store.max_blob_bytes,
            });
        }
        self.hasher.update(chunk);
        match self.file.as_mut() {
            Some(f) => f.write_all(chunk).map_err(io(&self.tmp)),
            None => Ok(()),
        }
    }

    /// Verifies the hash, syncs, and renames the blob into place. If the blob is already
    /// there (another writer won a race), the rename replaces it with identical bytes.
    pub fn commit(mut self) -> Result<PutOutcome, StoreError> {
        let digest = Digest(std::mem::take(&mut self.hasher).finalize().into());
        if let Some(expected) = self.expected {
            if expected != digest {
                return Err(StoreError::HashMismatch {
                    expected,
                    actual: digest,
                });
            }
        }
        if let Some(f) = self.file.take() {
            f.sync_all().map_err(io(&self.tmp))?;
        }
        let dest = self.store.blob_path(&digest);
        let created = !dest.is_file();
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(io(dir))?;
        }
        std::fs::rename(&self.tmp, &dest).map_err(io(&dest))?;
        Ok(PutOutcome {
            digest,
            size: self.size,
            created,
        })
    }
}

impl Drop for BlobWriter<'_> {
    fn drop(&mut self) {
        // After a successful commit the temp path no longer exists; ignore that.
        let _ = std::fs::remove_file(&self.tmp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_is_content_addressed_checked_and_limited() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), 16).unwrap();
        let out = store.put_bytes(None, b"hello").unwrap();
        assert_eq!(out.digest, Digest::of(b"hello"));
        assert!(out.created);
        assert!(!store.put_bytes(Some(out.digest), b"hello").unwrap().created);
        assert_eq!(
            std::fs::read(store.blob_path(&out.digest)).unwrap(),
            b"hello"
        );

        let e = store.put_bytes(Some(Digest::of(b"x")), b"y").unwrap_err();
        assert!(matches!(e, StoreError::HashMismatch { .. }));
        assert!(!store.contains(&Digest::of(b"y")));
        let e = store.put_bytes(None, &[0u8; 17]).unwrap_err();
        assert!(matches!(e, StoreError::TooLarge { limit: 16 }));
        // Failed writes leave nothing behind.
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
    }
}
