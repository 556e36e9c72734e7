//! Writing one blob: [`BlobWriter`] (blocking) and [`AsyncBlobWriter`], which runs the
//! same writes, hashing and fsyncs on tokio's blocking pool.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use deai_worker_jobs::Digest;
use sha2::{Digest as _, Sha256};

use crate::store::{blocking, io, Inner, PutOutcome, StoreError};

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A blob being written. Every byte is checked against the size limit and reserved
/// against the quota before it is written. Dropping it without `commit` removes the temp
/// file and returns the reservation.
pub struct BlobWriter {
    store: Arc<Inner>,
    /// None when the blob is already present: the bytes are only hashed, to check the
    /// claim, and neither written nor reserved.
    tmp: Option<PathBuf>,
    file: Option<std::fs::File>,
    hasher: Sha256,
    /// Bytes passed by the size and quota checks.
    admitted: u64,
    written: u64,
    reserved: u64,
    expected: Option<Digest>,
}

impl std::fmt::Debug for BlobWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobWriter")
            .field("tmp", &self.tmp)
            .field("written", &self.written)
            .field("reserved", &self.reserved)
            .field("expected", &self.expected)
            .finish_non_exhaustive()
    }
}

impl BlobWriter {
    pub(crate) fn start(
        store: Arc<Inner>,
        expected: Option<Digest>,
        declared: Option<u64>,
    ) -> Result<BlobWriter, StoreError> {
        let limit = store.max_blob_bytes;
        if declared.is_some_and(|n| n > limit) {
            return Err(StoreError::TooLarge { limit });
        }
        let mut w = BlobWriter {
            store,
            tmp: None,
            file: None,
            hasher: Sha256::new(),
            admitted: 0,
            written: 0,
            reserved: 0,
            expected,
        };
        if expected.is_some_and(|d| w.store.blob_path(&d).is_file()) {
            return Ok(w);
        }
        let reserve = declared.unwrap_or(0);
        w.store.reserve(reserve)?;
        w.reserved = reserve;
        // Unique per process and call, so concurrent writers of one blob never share a
        // temp file.
        let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = w
            .store
            .root
            .join("tmp")
            .join(format!("{}-{n}", std::process::id()));
        let file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        w.tmp = Some(tmp);
        // The lock tells `Store::open` (in this or another process) that the file belongs
        // to a live writer. Where the platform cannot lock, crash leftovers stay.
        match file.try_lock() {
            Ok(()) | Err(std::fs::TryLockError::Error(_)) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Io {
                    path: w.tmp.clone().unwrap_or_default(),
                    source: std::io::Error::other("temp file is being cleaned up"),
                });
            }
        }
        w.file = Some(file);
        Ok(w)
    }

    /// Checks `n` more bytes against the size limit and reserves them against the quota.
    pub(crate) fn admit(&mut self, n: u64) -> Result<(), StoreError> {
        let limit = self.store.max_blob_bytes;
        let total = self.admitted.saturating_add(n);
        if total > limit {
            return Err(StoreError::TooLarge { limit });
        }
        if self.tmp.is_some() && total > self.reserved {
            self.store.reserve(total - self.reserved)?;
            self.reserved = total;
        }
        self.admitted = total;
        Ok(())
    }

    pub fn write(&mut self, chunk: &[u8]) -> Result<(), StoreError> {
        let total = self.written.saturating_add(chunk.len() as u64);
        if total > self.admitted {
            self.admit(total - self.admitted)?;
        }
        self.hasher.update(chunk);
        self.written = total;
        match (self.file.as_mut(), self.tmp.as_deref()) {
            (Some(f), Some(tmp)) => f.write_all(chunk).map_err(io(tmp)),
            _ => Ok(()),
        }
    }

    /// Verifies the hash, syncs, renames the blob into place and syncs its directory, so
    /// a blob is durable once this returns. If the blob is already there (another writer
    /// won a race), the temp file is dropped instead.
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
        let dest = self.store.blob_path(&digest);
        let size = self.written;
        let Some(tmp) = self.tmp.clone() else {
            // Only hashed: the blob must (still) be there. Taking the lock waits for a
            // writer that is renaming it into place to finish syncing.
            let _usage = self.store.usage();
            if dest.is_file() {
                return Ok(PutOutcome {
                    digest,
                    size,
                    created: false,
                });
            }
            return Err(StoreError::Io {
                path: dest,
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "blob was removed while being checked",
                ),
            });
        };
        if let Some(f) = self.file.take() {
            f.sync_all().map_err(io(&tmp))?;
        }
        let store = self.store.clone();
        let mut usage = store.usage();
        let created = !dest.is_file();
        if created {
            let Some(dir) = dest.parent() else {
                return Err(StoreError::Io {
                    path: dest.clone(),
                    source: std::io::Error::other("blob path has no parent"),
                });
            };
            if !dir.is_dir() {
                std::fs::create_dir_all(dir).map_err(io(dir))?;
                sync_dir(&store.root.join("blobs"))?;
            }
            std::fs::rename(&tmp, &dest).map_err(io(&dest))?;
            self.tmp = None;
            usage.used = usage.used.saturating_add(size);
            usage.reserved = usage.reserved.saturating_sub(self.reserved);
            self.reserved = 0;
            drop(usage);
            sync_dir(dir)?;
        } else {
            drop(usage);
            // Drop removes the temp file and returns the reservation.
        }
        Ok(PutOutcome {
            digest,
            size,
            created,
        })
    }
}

/// Makes a rename in `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        drop(self.file.take());
        if let Some(tmp) = self.tmp.take() {
            let _ = std::fs::remove_file(tmp);
        }
        self.store.release(std::mem::take(&mut self.reserved));
    }
}

/// Chunks are gathered up to this many bytes before one blocking write.
const FLUSH_BYTES: usize = 1 << 20;

/// A [`BlobWriter`] for async code: size and quota are checked as each chunk arrives;
/// file writes, hashing, fsync and rename run on the blocking pool. Call
/// [`AsyncBlobWriter::abort`] to remove the temp file before going on; a writer merely
/// dropped is cleaned up on the blocking pool in the background.
pub struct AsyncBlobWriter {
    writer: Option<BlobWriter>,
    root: PathBuf,
    pending: Vec<Bytes>,
    pending_bytes: usize,
}

fn gone(root: &Path) -> StoreError {
    StoreError::Io {
        path: root.to_path_buf(),
        source: std::io::Error::other("blob writer already failed"),
    }
}

impl AsyncBlobWriter {
    pub(crate) fn new(writer: BlobWriter) -> AsyncBlobWriter {
        AsyncBlobWriter {
            root: writer.store.root.clone(),
            writer: Some(writer),
            pending: Vec::new(),
            pending_bytes: 0,
        }
    }

    pub async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        let w = self.writer.as_mut().ok_or_else(|| gone(&self.root))?;
        w.admit(chunk.len() as u64)?;
        self.pending_bytes += chunk.len();
        self.pending.push(chunk);
        if self.pending_bytes >= FLUSH_BYTES {
            let w = self.writer.take().ok_or_else(|| gone(&self.root))?;
            let chunks = std::mem::take(&mut self.pending);
            self.pending_bytes = 0;
            // On error the writer is dropped on the blocking thread, removing its file.
            let w = blocking(&self.root, move || {
                let mut w = w;
                for c in &chunks {
                    w.write(c)?;
                }
                Ok(w)
            })
            .await?;
            self.writer = Some(w);
        }
        Ok(())
    }

    pub async fn commit(mut self) -> Result<PutOutcome, StoreError> {
        let w = self.writer.take().ok_or_else(|| gone(&self.root))?;
        let chunks = std::mem::take(&mut self.pending);
        blocking(&self.root, move || {
            let mut w = w;
            for c in &chunks {
                w.write(c)?;
            }
            w.commit()
        })
        .await
    }

    /// Removes the temp file and returns the reservation, and waits until that is done.
    pub async fn abort(mut self) {
        if let Some(w) = self.writer.take() {
            let _ = tokio::task::spawn_blocking(move || drop(w)).await;
        }
    }
}

impl Drop for AsyncBlobWriter {
    fn drop(&mut self) {
        if let Some(w) = self.writer.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => drop(rt.spawn_blocking(move || drop(w))),
                Err(_) => drop(w),
            }
        }
    }
}
