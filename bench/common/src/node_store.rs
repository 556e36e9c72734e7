//! The node's real storage for the benches (deaid's `Storage`: a Jellyfish Merkle tree over
//! the `--store` backend, fjall by default as `deaid init` writes it): a prepared MemStore is
//! committed into a fresh store in a temporary directory, `block_writes` keys per version as
//! a chain would have written it over many blocks, and the runs read it the way FinalizeBlock
//! does: through the block's `Delta` over the latest committed view.

use deai_framework::state::WriteSet;
use deai_framework::{Delta, MemStore, StateRead};
use deaid::store::{open_backend, Storage, StorageConfig};

/// A committed copy of a MemStore in a temporary directory, deleted on drop.
pub struct NodeStore {
    storage: Storage,
    backend: String,
    keys: usize,
    /// Dropped after `storage` (fields drop in order), which closes the store first.
    _dir: tempfile::TempDir,
}

impl NodeStore {
    /// Commits every entry of `mem` into a new `backend` store, in key order,
    /// `block_writes` entries per version from version 0 (the app commits genesis as 0).
    pub fn load(mem: &MemStore, block_writes: usize, backend: &str) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("deai-bench-store")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let kv = open_backend(backend, dir.path()).map_err(|e| e.to_string())?;
        let storage = Storage::open(kv, StorageConfig::default()).map_err(|e| e.to_string())?;
        let entries = mem
            .scan(&[], None, false, usize::MAX)
            .map_err(|e| format!("{e:?}"))?;
        let keys = entries.len();
        let mut rest = entries.into_iter().peekable();
        let mut version = 0;
        while rest.peek().is_some() {
            let writes: WriteSet = rest
                .by_ref()
                .take(block_writes.max(1))
                .map(|(k, v)| (k, Some(v)))
                .collect();
            let pending = storage
                .prepare(version, writes)
                .map_err(|e| e.to_string())?;
            storage.commit(pending).map_err(|e| e.to_string())?;
            version += 1;
        }
        Ok(Self {
            storage,
            backend: backend.to_string(),
            keys,
            _dir: dir,
        })
    }

    /// The rows' store label: `fjall+JMT` or `sled+JMT`.
    pub fn label(&self) -> &'static str {
        match self.backend.as_str() {
            "sled" => "sled+JMT",
            "fjall" => "fjall+JMT",
            _ => "node store+JMT",
        }
    }

    /// Keys in the store.
    pub fn keys(&self) -> usize {
        self.keys
    }

    /// Runs `f` on the block state FinalizeBlock would use (a Delta over the latest view);
    /// panics on a storage fault, which would make the figures meaningless.
    pub fn with_block_state<T>(&self, f: impl FnOnce(&dyn StateRead) -> T) -> T {
        let view = self.storage.latest();
        let block_state = Delta::new(&view);
        let out = f(&block_state);
        if let Some(fault) = view.take_fault() {
            panic!("storage fault during the bench: {fault}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use deai_framework::StateWrite;

    use deaid::store::BACKENDS;

    use super::*;

    #[test]
    fn a_loaded_store_reads_back_every_key_on_each_backend() {
        let mut mem = MemStore::new();
        for i in 0..2_500u32 {
            mem.put(i.to_be_bytes().to_vec(), vec![i as u8; 3]).unwrap();
        }
        for backend in BACKENDS {
            let store = NodeStore::load(&mem, 1_000, backend).unwrap();
            assert_eq!(store.keys(), 2_500);
            assert_eq!(store.label(), format!("{backend}+JMT"));
            assert!(!store.label().starts_with("node store"));
            store.with_block_state(|s| {
                assert_eq!(s.get(&7u32.to_be_bytes()).unwrap(), Some(vec![7; 3]));
                let all = s.scan(&[], None, false, usize::MAX).unwrap();
                assert_eq!(all.len(), 2_500);
            });
        }
        assert!(NodeStore::load(&mem, 1_000, "rocksdb").is_err());
    }
}
