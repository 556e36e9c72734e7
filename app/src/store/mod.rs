//! deai's storage: fjall (or sled) for bytes on disk, a Jellyfish Merkle Tree on top for the
//! app hash, ICS-23 proofs and reads at past heights.
//!
//! Everything lives in one ordered key space under one-byte table prefixes, so that a block's
//! commit is one atomic batch made durable at once: a crash at any point leaves either the
//! previous version or the new one, never a mix. See `docs/architecture.md`.

mod error;
#[cfg(test)]
pub mod faulty;
mod history;
mod kv;
mod latest;
mod layout;
mod lsm;
mod node_cache;
mod snapshot;
mod stale_index;
mod storage;

pub use error::{show_key, StorageError};
pub use history::{VersionView, MAX_HISTORY_SKIPS};
pub use kv::{open_backend, KvStore, SledKv, BACKENDS};
pub use latest::{LatestView, ReadVersions};
pub use lsm::FjallKv;
pub use snapshot::Snapshot;
pub use storage::{PendingCommit, Storage, StorageConfig, NODE_CACHE_BYTES};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_cache;
#[cfg(test)]
mod tests_lsm;
#[cfg(test)]
mod tests_snapshot;
