//! The small key-value trait the storage needs, and its sled implementation.

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

pub struct SledKv {
    db: sled::Db,
}

impl SledKv {
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(256 * 1024 * 1024)
            .open()
            .map_err(|e| anyhow::anyhow!("cannot open state at {}: {e}", path.display()))?;
        Ok(Self { db })
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
        use std::ops::Bound;
        let upper = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
        let iter = self.db.range((Bound::Included(start.to_vec()), upper));
        let pair =
            |r: sled::Result<(sled::IVec, sled::IVec)>| r.map(|(k, v)| (k.to_vec(), v.to_vec()));
        let out: sled::Result<Vec<_>> = if reverse {
            iter.rev().take(limit).map(pair).collect()
        } else {
            iter.take(limit).map(pair).collect()
        };
        Ok(out?)
    }

    fn write_batch(&self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> anyhow::Result<()> {
        let mut batch = sled::Batch::default();
        for (k, v) in ops {
            match v {
                Some(v) => batch.insert(k, v),
                None => batch.remove(k),
            }
        }
        self.db.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }
}
