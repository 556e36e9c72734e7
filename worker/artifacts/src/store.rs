//! Blobs on disk at `<root>/blobs/<first two hex>/<sha256>`. Writes go to
//! `<root>/tmp/` while being hashed, and are renamed into place only if the hash and
//! size check out, so a reader never sees a partial or wrong blob.
//!
//! Two limits bound what a writer can make the store hold: a per-blob size limit, and a
//! quota on the total bytes of committed blobs plus the bytes reserved by writers still
//! in flight. A writer reserves its bytes before writing them (all of them up front when
//! the length is declared), so concurrent uploads together can never overshoot the quota.
//! The accounting lives in one [`Store`] value (and its clones): a directory should be
//! served by one process at a time for the quota to hold exactly.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use deai_worker_jobs::Digest;

pub use crate::writer::{AsyncBlobWriter, BlobWriter};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("blob is larger than the store's limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("storing the blob would exceed the store's quota of {quota} bytes")]
    QuotaExceeded { quota: u64 },
    #[error("blob bytes hash to {actual}, not to the name {expected}")]
    HashMismatch { expected: Digest, actual: Digest },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
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

/// Committed and in-flight bytes, checked against the quota.
#[derive(Debug, Default)]
pub(crate) struct Usage {
    pub(crate) used: u64,
    pub(crate) reserved: u64,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) root: PathBuf,
    pub(crate) max_blob_bytes: u64,
    pub(crate) quota_bytes: u64,
    usage: Mutex<Usage>,
}

impl Inner {
    /// The accounting, also held while a blob is renamed into place so that two writers
    /// of one blob agree on which of them created it.
    pub(crate) fn usage(&self) -> MutexGuard<'_, Usage> {
        // The guarded numbers stay consistent even if a holder panicked.
        self.usage.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reserves `n` more bytes for a writer in flight, or refuses if the quota would be
    /// exceeded.
    pub(crate) fn reserve(&self, n: u64) -> Result<(), StoreError> {
        if n == 0 {
            return Ok(());
        }
        let mut u = self.usage();
        let total = u.used.saturating_add(u.reserved).saturating_add(n);
        if total > self.quota_bytes {
            return Err(StoreError::QuotaExceeded {
                quota: self.quota_bytes,
            });
        }
        u.reserved += n;
        Ok(())
    }

    pub(crate) fn release(&self, n: u64) {
        if n > 0 {
            let mut u = self.usage();
            u.reserved = u.reserved.saturating_sub(n);
        }
    }

    pub(crate) fn blob_path(&self, d: &Digest) -> PathBuf {
        let hex = d.to_hex();
        self.root.join("blobs").join(&hex[..2]).join(hex)
    }
}

/// A content-addressed blob store. Cloning is cheap and shares the quota accounting.
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) inner: Arc<Inner>,
}

impl Store {
    /// Opens (creating if needed) a store rooted at `root`, with no quota on its total
    /// size (see [`Store::open_with_quota`]).
    pub fn open(root: impl Into<PathBuf>, max_blob_bytes: u64) -> Result<Store, StoreError> {
        Store::open_with_quota(root, max_blob_bytes, u64::MAX)
    }

    /// Opens (creating if needed) a store rooted at `root`. No blob may exceed
    /// `max_blob_bytes`, and committed blobs plus writes in flight may not exceed
    /// `quota_bytes` (`u64::MAX`: no quota). Temp files left behind by a crashed writer
    /// are removed; those of live writers (which hold a lock on them) are kept. Counts the
    /// bytes already stored, so this reads every blob's metadata: blocking I/O, to be run
    /// outside an async runtime's worker threads.
    pub fn open_with_quota(
        root: impl Into<PathBuf>,
        max_blob_bytes: u64,
        quota_bytes: u64,
    ) -> Result<Store, StoreError> {
        let root = root.into();
        for sub in ["blobs", "tmp"] {
            let p = root.join(sub);
            std::fs::create_dir_all(&p).map_err(io(&p))?;
        }
        clean_tmp(&root.join("tmp"))?;
        let used = stored_bytes(&root.join("blobs"))?;
        Ok(Store {
            inner: Arc::new(Inner {
                root,
                max_blob_bytes,
                quota_bytes,
                usage: Mutex::new(Usage { used, reserved: 0 }),
            }),
        })
    }

    pub fn root(&self) -> &Path {
        &self.inner.root
    }

    pub fn max_blob_bytes(&self) -> u64 {
        self.inner.max_blob_bytes
    }

    /// The quota on committed plus in-flight bytes (`u64::MAX` when there is none).
    pub fn quota_bytes(&self) -> u64 {
        self.inner.quota_bytes
    }

    /// Bytes of committed blobs, as counted at open plus what this store committed since.
    pub fn used_bytes(&self) -> u64 {
        self.inner.usage().used
    }

    /// Bytes reserved by writers in flight.
    pub fn reserved_bytes(&self) -> u64 {
        self.inner.usage().reserved
    }

    pub fn blob_path(&self, d: &Digest) -> PathBuf {
        self.inner.blob_path(d)
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

    /// Starts writing a blob of unknown length, reserving quota as bytes arrive.
    /// `expected` is the name the writer claims; the bytes are checked against it on
    /// commit.
    pub fn writer(&self, expected: Option<Digest>) -> Result<BlobWriter, StoreError> {
        self.writer_sized(expected, None)
    }

    /// Starts writing a blob. A `declared` length is checked against the size limit and
    /// reserved against the quota before anything is written, so an upload that cannot
    /// fit is refused before its body is read. If `expected` is already stored, the
    /// writer only hashes (to check the claim) and writes and reserves nothing.
    pub fn writer_sized(
        &self,
        expected: Option<Digest>,
        declared: Option<u64>,
    ) -> Result<BlobWriter, StoreError> {
        BlobWriter::start(self.inner.clone(), expected, declared)
    }

    /// [`Store::writer_sized`] run off the async runtime, for async callers.
    pub async fn writer_async(
        &self,
        expected: Option<Digest>,
        declared: Option<u64>,
    ) -> Result<AsyncBlobWriter, StoreError> {
        let store = self.clone();
        let w = blocking(self.root(), move || store.writer_sized(expected, declared)).await?;
        Ok(AsyncBlobWriter::new(w))
    }

    /// Stores bytes in one go.
    pub fn put_bytes(
        &self,
        expected: Option<Digest>,
        bytes: &[u8],
    ) -> Result<PutOutcome, StoreError> {
        let mut w = self.writer_sized(expected, Some(bytes.len() as u64))?;
        w.write(bytes)?;
        w.commit()
    }

    /// Copies a local file into the store.
    pub fn put_file(&self, path: &Path) -> Result<PutOutcome, StoreError> {
        let mut src = std::fs::File::open(path).map_err(io(path))?;
        let len = src.metadata().map_err(io(path))?.len();
        let mut w = self.writer_sized(None, Some(len))?;
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

/// Runs blocking store I/O on tokio's blocking pool.
pub(crate) async fn blocking<T, F>(root: &Path, f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Io {
            path: root.to_path_buf(),
            source: std::io::Error::other(format!("blocking task failed: {e}")),
        })?
}

/// Removes temp files nobody holds a lock on: a live writer locks its temp file for its
/// whole life, so an unlocked one was left by a writer that crashed.
fn clean_tmp(tmp: &Path) -> Result<(), StoreError> {
    let mut removed = 0u64;
    for entry in std::fs::read_dir(tmp).map_err(io(tmp))? {
        let path = entry.map_err(io(tmp))?.path();
        if !path.is_file() {
            continue;
        }
        let Ok(file) = std::fs::File::open(&path) else {
            continue;
        };
        match file.try_lock() {
            Ok(()) => match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) => tracing::warn!(path = %path.display(), "leftover temp file: {e}"),
            },
            Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => {
                tracing::warn!(path = %path.display(), "cannot tell whether a writer holds it: {e}")
            }
        }
    }
    if removed > 0 {
        tracing::info!(removed, dir = %tmp.display(), "removed temp files left by a crash");
    }
    Ok(())
}

/// Total size of the blobs under `blobs/`.
fn stored_bytes(blobs: &Path) -> Result<u64, StoreError> {
    let mut total = 0u64;
    for prefix in std::fs::read_dir(blobs).map_err(io(blobs))? {
        let prefix = prefix.map_err(io(blobs))?.path();
        if !prefix.is_dir() {
            continue;
        }
        for blob in std::fs::read_dir(&prefix).map_err(io(&prefix))? {
            let meta = blob.and_then(|b| b.metadata()).map_err(io(&prefix))?;
            if meta.is_file() {
                total = total.saturating_add(meta.len());
            }
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp_count(store: &Store) -> usize {
        std::fs::read_dir(store.root().join("tmp")).unwrap().count()
    }

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
        // Streamed without a declared length, the limit is enforced on the fly.
        let mut w = store.writer(None).unwrap();
        w.write(&[0u8; 10]).unwrap();
        assert!(matches!(
            w.write(&[0u8; 10]).unwrap_err(),
            StoreError::TooLarge { limit: 16 }
        ));
        drop(w);
        // Failed writes leave nothing behind.
        assert_eq!(tmp_count(&store), 0);
        assert_eq!(store.used_bytes(), 5);
        assert_eq!(store.reserved_bytes(), 0);
    }

    #[test]
    fn the_quota_counts_writes_in_flight() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with_quota(dir.path(), 1000, 1000).unwrap();
        store.put_bytes(None, &[1u8; 300]).unwrap();
        assert_eq!(store.used_bytes(), 300);

        // A declared write reserves its length up front: a second one that would not fit
        // beside it is refused while the first is still in flight.
        let mut first = store.writer_sized(None, Some(600)).unwrap();
        assert_eq!(store.reserved_bytes(), 600);
        let e = store.writer_sized(None, Some(200)).unwrap_err();
        assert!(
            matches!(e, StoreError::QuotaExceeded { quota: 1000 }),
            "{e}"
        );
        // An undeclared write reserves as it goes, and is stopped at the quota.
        let mut streaming = store.writer(None).unwrap();
        streaming.write(&[2u8; 100]).unwrap();
        assert!(matches!(
            streaming.write(&[2u8; 1]).unwrap_err(),
            StoreError::QuotaExceeded { .. }
        ));
        drop(streaming);
        assert_eq!(store.reserved_bytes(), 600);

        first.write(&[3u8; 600]).unwrap();
        first.commit().unwrap();
        assert_eq!((store.used_bytes(), store.reserved_bytes()), (900, 0));
        // Storing a blob already present under its name costs nothing.
        let present = Digest::of(&[3u8; 600]);
        assert!(!store.put_bytes(Some(present), &[3u8; 600]).unwrap().created);
        let e = store.put_bytes(None, &[4u8; 101]).unwrap_err();
        assert!(matches!(e, StoreError::QuotaExceeded { .. }));
        assert_eq!(tmp_count(&store), 0);

        // Reopening counts what is on disk.
        let again = Store::open_with_quota(dir.path(), 1000, 1000).unwrap();
        assert_eq!(again.used_bytes(), 900);
    }
}
