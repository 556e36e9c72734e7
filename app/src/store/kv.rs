//! The small key-value trait the storage needs, and its sled implementation.

use std::ops::Bound;
use std::path::Path;

/// An ordered key-value store with atomic batches. sled is the one implementation; the trait
/// keeps the rest of the code free of sled's API.
pub trait KvStore: Send + Sync + 'static {
    fn get(&self, key: &[u8]) -> anyhow::Result<Option<Vec<u8>>>;
    /// Up to `limit` entries in `[start, end)`, ascending or descending.
    fn range(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> anyhow::Result<Vec<(Vec<u8>, Vec<u8>)>>;
    /// Applies all puts (Some) and deletes (None) atomically, then makes them durable.
    fn write_batch(&self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> anyhow::Result<()>;
}

/// The `[start, end)` bounds of a range read (no end: unbounded).
pub(super) fn bounds(start: &[u8], end: Option<&[u8]>) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let upper = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
    (Bound::Included(start.to_vec()), upper)
}

/// Up to `limit` pairs of a store's range iterator, from the front or from the back.
pub(super) fn take_range<K: AsRef<[u8]>, V: AsRef<[u8]>, E>(
    iter: impl DoubleEndedIterator<Item = Result<(K, V), E>>,
    reverse: bool,
    limit: usize,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>, E> {
    let pair = |r: Result<(K, V), E>| r.map(|(k, v)| (k.as_ref().to_vec(), v.as_ref().to_vec()));
    if reverse {
        iter.rev().take(limit).map(pair).collect()
    } else {
        iter.take(limit).map(pair).collect()
    }
}

/// Feeds a commit's puts (Some) and deletes (None) to a store's batch in order, passing the
/// `commit-mid-batch` crash point halfway.
pub(super) fn fill_batch(
    ops: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    mut apply: impl FnMut(Vec<u8>, Option<Vec<u8>>),
) {
    let half = ops.len() / 2;
    for (i, (k, v)) in ops.into_iter().enumerate() {
        if i == half {
            crate::failpoint::hit("commit-mid-batch");
        }
        apply(k, v);
    }
}

/// The stores app.toml's `db_backend` names.
pub const BACKENDS: [&str; 2] = ["sled", "fjall"];

/// Opens the `backend` store at `path`, refusing a directory that holds the other one.
pub fn open_backend(backend: &str, path: &Path) -> anyhow::Result<std::sync::Arc<dyn KvStore>> {
    let holds_sled = path.join("conf").is_file() && path.join("db").is_file();
    let holds_fjall = path.join(super::lsm::FJALL_MARKER).is_file();
    let other = |found: &str| {
        anyhow::anyhow!(
            "{} holds a {found} store but app.toml says db_backend = \"{backend}\" (there is no migration between them)",
            path.display()
        )
    };
    match backend {
        "sled" if holds_fjall => Err(other("fjall")),
        "sled" => Ok(std::sync::Arc::new(SledKv::open(path)?)),
        "fjall" if holds_sled => Err(other("sled")),
        "fjall" => Ok(std::sync::Arc::new(super::lsm::FjallKv::open(
            path,
            STORE_CACHE_BYTES,
        )?)),
        _ => anyhow::bail!("db_backend {backend:?}: expected one of {BACKENDS:?}"),
    }
}

/// The block cache of either store.
const STORE_CACHE_BYTES: u64 = 256 * 1024 * 1024;

pub struct SledKv {
    db: sled::Db,
}

impl SledKv {
    /// Opens the store at `path`. sled's background threads can hold the directory's file
    /// lock for a moment after the last handle drops, so a lock conflict is retried for up to
    /// two seconds before it is reported (another live deaid on the same home still fails).
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        const LOCK_RETRIES: u32 = 40;
        let mut attempt = 0;
        loop {
            let opened = sled::Config::new()
                .path(path)
                .cache_capacity(STORE_CACHE_BYTES)
                .open();
            match opened {
                Ok(db) => return Ok(Self { db }),
                // sled reports a held lock as an `Other` I/O error with this message.
                Err(sled::Error::Io(e))
                    if e.to_string().starts_with("could not acquire lock")
                        && attempt < LOCK_RETRIES =>
                {
                    attempt += 1;
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(e) => anyhow::bail!(
                    "cannot open state at {}: {e} (is another deaid using this home?)",
                    path.display()
                ),
            }
        }
    }

    /// A store in a temporary directory that sled deletes on drop (tests, benches).
    pub fn temporary() -> anyhow::Result<Self> {
        let db = sled::Config::new().temporary(true).open()?;
        Ok(Self { db })
    }
}

impl KvStore for SledKv {
    fn get(&self, key: &[u8]) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.db.get(key)?.map(|v| v.to_vec()))
    }

    fn range(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> anyhow::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        Ok(take_range(
            self.db.range(bounds(start, end)),
            reverse,
            limit,
        )?)
    }

    fn write_batch(&self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> anyhow::Result<()> {
        let mut batch = sled::Batch::default();
        fill_batch(ops, |k, v| match v {
            Some(v) => batch.insert(k, v),
            None => batch.remove(k),
        });
        self.db.apply_batch(batch)?;
        crate::failpoint::hit("commit-before-flush");
        self.db.flush()?;
        Ok(())
    }
}
