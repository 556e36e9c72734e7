//! An LSM-tree `KvStore` (fjall) for bench (c) only: `--store fjall` measures deai's storage
//! layout on a store whose writes go to a journal and a memtable, so their cost does not
//! depend on the store's size, to compare with sled's B-tree. Not used by the node.

use std::ops::Bound;
use std::path::Path;

use deaid::store::KvStore;
use fjall::{Config, Keyspace, PartitionCreateOptions, PartitionHandle, PersistMode};

pub struct FjallKv {
    keyspace: Keyspace,
    state: PartitionHandle,
}

impl FjallKv {
    /// Opens a store at `path` with a block cache of `cache_bytes` (sled's is 256 MiB).
    pub fn open(path: &Path, cache_bytes: u64) -> anyhow::Result<Self> {
        let keyspace = Config::new(path).cache_size(cache_bytes).open()?;
        let state = keyspace.open_partition("state", PartitionCreateOptions::default())?;
        Ok(Self { keyspace, state })
    }
}

impl KvStore for FjallKv {
    fn get(&self, key: &[u8]) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self.state.get(key)?.map(|v| v.to_vec()))
    }

    fn range(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> anyhow::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let upper = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
        let iter = self.state.range((Bound::Included(start.to_vec()), upper));
        let pair = |r: fjall::Result<(fjall::Slice, fjall::Slice)>| {
            r.map(|(k, v)| (k.to_vec(), v.to_vec()))
        };
        let out: fjall::Result<Vec<_>> = if reverse {
            iter.rev().take(limit).map(pair).collect()
        } else {
            iter.take(limit).map(pair).collect()
        };
        Ok(out?)
    }

    fn write_batch(&self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> anyhow::Result<()> {
        let mut batch = self.keyspace.batch();
        for (k, v) in ops {
            match v {
                Some(v) => batch.insert(&self.state, k, v),
                None => batch.remove(&self.state, k),
            }
        }
        batch.commit()?;
        self.keyspace.persist(PersistMode::SyncAll)?;
        Ok(())
    }
}
