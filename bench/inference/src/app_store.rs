//! The node's real storage (deaid's `Storage`: sled with a Jellyfish Merkle tree): the
//! prepared MemStore is committed into a fresh one in a temporary directory, `block_writes`
//! keys per version, and the runs read it the way FinalizeBlock does: through the block's
//! `Delta` over the latest committed view.

use std::path::PathBuf;
use std::sync::Arc;

use deai_framework::state::WriteSet;
use deai_framework::{Delta, MemStore, StateRead};
use deaid::store::{SledKv, Storage, StorageConfig};

/// A committed copy of a MemStore in a temporary directory, deleted on drop.
pub struct NodeStore {
    /// Closed (dropped) before its directory is removed.
    storage: Option<Storage>,
    dir: PathBuf,
}

impl NodeStore {
    /// Commits every entry of `mem`, in key order, `block_writes` entries per version from
    /// version 0 (the app commits genesis as version 0).
    pub fn load(mem: &MemStore, block_writes: usize) -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!(
            "deai-inference-bench-{}-{}",
            std::process::id(),
            mem.len()
        ));
        let kv = SledKv::open(&dir).map_err(|e| e.to_string())?;
        let storage =
            Storage::open(Arc::new(kv), StorageConfig::default()).map_err(|e| e.to_string())?;
        // Owns the directory from here: an error below removes it.
        let store = Self {
            storage: Some(storage),
            dir,
        };
        let storage = store.storage.as_ref().expect("just opened");
        let entries = mem
            .scan(&[], None, false, usize::MAX)
            .map_err(|e| format!("{e:?}"))?;
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
        Ok(store)
    }

    /// Runs `f` on the block state FinalizeBlock would use (a Delta over the latest view);
    /// panics on a storage fault.
    pub fn with_block_state<T>(&self, f: impl FnOnce(&dyn StateRead) -> T) -> T {
        let storage = self.storage.as_ref().expect("open until dropped");
        let view = storage.latest();
        let block_state = Delta::new(&view);
        let out = f(&block_state);
        if let Some(fault) = view.take_fault() {
            panic!("storage fault during the bench: {fault}");
        }
        out
    }
}

impl Drop for NodeStore {
    fn drop(&mut self) {
        drop(self.storage.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
