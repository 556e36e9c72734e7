//! Versioned, Merkleized state over a `KvStore`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{anyhow, Context};
use deai_framework::state::WriteSet;
use jmt::storage::{HasPreimage, LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{KeyHash, OwnedValue, RootHash, Sha256Jmt, Version};
use sha2::Sha256;

use super::error::StorageError;
use super::history::{history_get, VersionView};
use super::kv::KvStore;
use super::latest::{version_prefix, LatestView, ReadVersions};
use super::layout::{self, *};
use super::node_cache::NodeCache;
use super::snapshot::Snapshot;
use super::stale_index;

/// `u64::MAX` in the version cell means "nothing committed yet".
const NO_VERSION: u64 = u64::MAX;

#[derive(Clone, Debug)]
pub struct StorageConfig {
    /// How many recent versions to keep readable; 0 keeps every version.
    pub keep_recent: u64,
    /// Bytes the JMT node cache may hold (app.toml `node_cache_mb`); 0 turns it off.
    pub node_cache_bytes: usize,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            keep_recent: 0,
            node_cache_bytes: NODE_CACHE_BYTES,
        }
    }
}

/// A block's writes with the tree update that produces its root, computed in FinalizeBlock
/// and written by `Storage::commit` at Commit.
pub struct PendingCommit {
    pub version: Version,
    pub root: RootHash,
    writes: WriteSet,
    /// For written keys whose row execution read: the version of that row (None: no row).
    live_versions: ReadVersions,
    tree: TreeUpdateBatch,
}

impl PendingCommit {
    /// The tree nodes this version writes (benchmarks measure the tree's own work by them).
    pub fn new_nodes(&self) -> impl Iterator<Item = &Node> {
        self.tree.node_batch.nodes().values()
    }
}

pub struct Storage {
    kv: Arc<dyn KvStore>,
    config: StorageConfig,
    version: AtomicU64,
    /// A seqlock over commits: odd while a commit's batch is being written. A snapshot
    /// read of the latest table is valid only if it saw the same even value before and
    /// after (see `snapshot`).
    commit_seq: AtomicU64,
    pub(super) nodes: NodeCache,
}

/// Bytes of JMT nodes kept in memory (see `NodeCache`). Enough for the tree's upper five
/// levels at 1M accounts (3M leaves: about 70k internal nodes of up to 16 children) and the
/// nodes of the last few dozen blocks.
pub const NODE_CACHE_BYTES: usize = 192 * 1024 * 1024;

impl Storage {
    pub fn open(kv: Arc<dyn KvStore>, config: StorageConfig) -> anyhow::Result<Self> {
        let version = match kv.get(META_VERSION)? {
            None => NO_VERSION,
            Some(b) => u64::from_be_bytes(
                b.as_slice()
                    .try_into()
                    .map_err(|_| anyhow!("corrupt version record"))?,
            ),
        };
        let nodes = NodeCache::new(config.node_cache_bytes);
        Ok(Self {
            kv,
            config,
            version: AtomicU64::new(version),
            commit_seq: AtomicU64::new(0),
            nodes,
        })
    }

    /// The last committed version (block height), or None before genesis.
    pub fn latest_version(&self) -> Option<Version> {
        match self.version.load(Ordering::Acquire) {
            NO_VERSION => None,
            v => Some(v),
        }
    }

    /// The earliest version still readable.
    pub fn earliest_version(&self) -> anyhow::Result<Version> {
        Ok(match self.kv.get(META_EARLIEST)? {
            None => 0,
            Some(b) => u64::from_be_bytes(
                b.as_slice()
                    .try_into()
                    .map_err(|_| anyhow!("corrupt earliest"))?,
            ),
        })
    }

    pub fn root_hash(&self, version: Version) -> anyhow::Result<RootHash> {
        Sha256Jmt::new(&self.reader()).get_root_hash(version)
    }

    fn reader(&self) -> JmtReader<'_> {
        JmtReader {
            kv: &*self.kv,
            cache: &self.nodes,
        }
    }

    /// The latest committed state. The view remembers the first storage fault read through
    /// it (`LatestView::take_fault`).
    pub fn latest(&self) -> LatestView<'_> {
        LatestView::new(&*self.kv, false)
    }

    /// The latest committed state for executing the next block: it also keeps the version of
    /// every row its gets see, for `prepare_after`.
    pub fn latest_for_block(&self) -> LatestView<'_> {
        LatestView::new(&*self.kv, true)
    }

    /// The latest committed state, pinned at its version for the life of the view: a commit
    /// that lands while a query reads through it changes nothing the query sees.
    pub fn snapshot(&self) -> anyhow::Result<Snapshot<'_>> {
        let version = self
            .latest_version()
            .ok_or_else(|| anyhow!("no state committed yet"))?;
        Ok(Snapshot::new(self, version))
    }

    /// A snapshot pinned at `version` (at most the latest, at least the earliest kept).
    pub fn snapshot_at(&self, version: Version) -> anyhow::Result<Snapshot<'_>> {
        self.at(version)?;
        Ok(Snapshot::new(self, version))
    }

    pub fn config(&self) -> &StorageConfig {
        &self.config
    }

    /// The seqlock value and version of a stable moment (no commit in flight), if it is one.
    pub(super) fn stable_at(&self) -> Option<(u64, Version)> {
        let seq = self.commit_seq.load(Ordering::SeqCst);
        seq.is_multiple_of(2)
            .then(|| (seq, self.version.load(Ordering::SeqCst)))
    }

    /// Whether no commit has started since `stable_at` answered `seq`.
    pub(super) fn still(&self, seq: u64) -> bool {
        self.commit_seq.load(Ordering::SeqCst) == seq
    }

    pub(super) fn kv(&self) -> &dyn KvStore {
        &*self.kv
    }

    /// The state as of `version`, for queries at a past height.
    pub fn at(&self, version: Version) -> anyhow::Result<VersionView<'_>> {
        let latest = self
            .latest_version()
            .ok_or_else(|| anyhow!("no state committed yet"))?;
        if version > latest {
            anyhow::bail!("version {version} is in the future (latest is {latest})");
        }
        let earliest = self.earliest_version()?;
        if version < earliest {
            anyhow::bail!("version {version} has been pruned (earliest kept is {earliest})");
        }
        Ok(VersionView::new(&*self.kv, version))
    }

    /// Computes the root of `version` = the latest version plus `writes`, without writing.
    /// An error is a storage fault: the tree nodes it reads are missing, unreadable or corrupt.
    pub fn prepare(
        &self,
        version: Version,
        writes: WriteSet,
    ) -> Result<PendingCommit, StorageError> {
        self.prepare_after(version, writes, ReadVersions::new())
    }

    /// `prepare`, for writes computed from a view of the latest state (`latest_for_block`)
    /// whose gets saw `reads`: the commit takes each written key's current version from
    /// there instead of reading its row again. The view must be of the latest version.
    pub fn prepare_after(
        &self,
        version: Version,
        writes: WriteSet,
        mut reads: ReadVersions,
    ) -> Result<PendingCommit, StorageError> {
        let fault = |e: anyhow::Error| {
            StorageError::new("prepare", format!("app hash of version {version}"), e)
        };
        if let Some(latest) = self.latest_version() {
            if version != latest + 1 {
                return Err(fault(anyhow!(
                    "cannot prepare version {version} on top of {latest}"
                )));
            }
        }
        let reader = self.reader();
        let tree = Sha256Jmt::new(&reader);
        // JMT's batch insertion builds each subtree once; it takes no deletions, so a block
        // that deletes a key takes the key-by-key path.
        let (root, batch) = if writes.values().all(Option::is_some) {
            let set: Vec<(KeyHash, OwnedValue)> = writes
                .iter()
                .filter_map(|(k, v)| v.clone().map(|v| (KeyHash::with::<Sha256>(k), v)))
                .collect();
            let (roots, batch) = tree
                .batch_put_value_sets(vec![set], None, version)
                .map_err(fault)?;
            let root = roots
                .first()
                .copied()
                .ok_or_else(|| fault(anyhow!("no root computed")))?;
            (root, batch)
        } else {
            let set = writes
                .iter()
                .map(|(k, v)| (KeyHash::with::<Sha256>(k), v.clone()));
            tree.put_value_set(set, version).map_err(fault)?
        };
        reads.retain(|k, _| writes.contains_key(k));
        Ok(PendingCommit {
            version,
            root,
            writes,
            live_versions: reads,
            tree: batch,
        })
    }

    /// Writes a prepared version atomically and durably. On error nothing of the version is
    /// written (one batch), and the error is a storage fault: the node must halt.
    pub fn commit(&self, pending: PendingCommit) -> Result<(), StorageError> {
        let v = pending.version;
        let prune = self.config.keep_recent > 0;
        let encode = |e: std::io::Error| StorageError::new("encode", format!("version {v}"), e);
        let mut ops: Vec<(Vec<u8>, Option<Vec<u8>>)> = Vec::with_capacity(pending.writes.len() * 4);
        // History entries this version supersedes, for pruning (one `X` row).
        let mut superseded = Vec::new();
        for (key, value) in pending.writes {
            let live = match pending.live_versions.get(&key) {
                Some(known) => *known,
                None => self.live_version(&key)?,
            };
            match live {
                // Record which older history entry this write supersedes, for pruning.
                Some(u) if prune => superseded.push(layout::history(&key, u)),
                Some(_) => {}
                // A key not live now: (re)write its preimage for JMT's value lookups.
                None => {
                    let key_hash = KeyHash::with::<Sha256>(&key);
                    ops.push((table(PREIMAGE, &key_hash.0), Some(key.clone())));
                }
            }
            match &value {
                Some(val) => {
                    let mut l = v.to_be_bytes().to_vec();
                    l.extend_from_slice(val);
                    ops.push((table(LATEST, &key), Some(l)));
                    let mut h = vec![1];
                    h.extend_from_slice(val);
                    ops.push((layout::history(&key, v), Some(h)));
                }
                None => {
                    ops.push((table(LATEST, &key), None));
                    ops.push((layout::history(&key, v), Some(vec![0])));
                }
            }
        }
        if !superseded.is_empty() {
            let list = stale_index::encode(superseded.iter().map(Vec::as_slice));
            ops.push((table(STALE_HISTORY, &v.to_be_bytes()), Some(list)));
        }
        // What the node cache gains and loses once the batch is durable.
        let mut cache_puts = Vec::with_capacity(pending.tree.node_batch.nodes().len());
        for (node_key, node) in pending.tree.node_batch.nodes() {
            let row = (
                table(NODE, &borsh::to_vec(node_key).map_err(encode)?),
                borsh::to_vec(node).map_err(encode)?,
            );
            ops.push((row.0.clone(), Some(row.1.clone())));
            cache_puts.push(row);
        }
        let mut cache_drops = Vec::with_capacity(pending.tree.stale_node_index_batch.len());
        let mut stale_nodes = Vec::with_capacity(pending.tree.stale_node_index_batch.len());
        for stale in &pending.tree.stale_node_index_batch {
            let key = borsh::to_vec(&stale.node_key).map_err(encode)?;
            cache_drops.push(table(NODE, &key));
            if !prune {
                continue;
            }
            if stale.stale_since_version == v {
                stale_nodes.push(key);
            } else {
                // Not expected from JMT; a per-entry row never overwrites another version's list.
                let mut s = table(STALE_NODE, &stale.stale_since_version.to_be_bytes());
                s.extend_from_slice(&key);
                ops.push((s, Some(Vec::new())));
            }
        }
        if !stale_nodes.is_empty() {
            let list = stale_index::encode(stale_nodes.iter().map(Vec::as_slice));
            ops.push((table(STALE_NODE, &v.to_be_bytes()), Some(list)));
        }
        if prune {
            let before = ops.len();
            self.prune_ops(v, &mut ops)?;
            cache_drops.extend(
                ops[before..]
                    .iter()
                    .filter(|(k, val)| val.is_none() && k.first() == Some(&NODE))
                    .map(|(k, _)| k.clone()),
            );
        }
        ops.push((META_VERSION.to_vec(), Some(v.to_be_bytes().to_vec())));
        let n = ops.len();
        self.commit_seq.fetch_add(1, Ordering::SeqCst);
        let written = self.kv.write_batch(ops);
        if written.is_ok() {
            self.version.store(v, Ordering::SeqCst);
        }
        self.commit_seq.fetch_add(1, Ordering::SeqCst);
        written.map_err(|e| {
            StorageError::new("write batch", format!("version {v} ({n} entries)"), e)
        })?;
        // Stale and pruned nodes leave the cache so that its space holds the live tree. (A
        // proof read racing this commit may put a just-pruned node back: harmless, a node
        // never changes and pruned versions are refused before any read; it ages out.)
        for key in &cache_drops {
            self.nodes.remove(key);
        }
        for (key, row) in cache_puts {
            self.nodes.insert(key, row);
        }
        Ok(())
    }

    /// The version `key`'s latest row was written at (None: no row).
    fn live_version(&self, key: &[u8]) -> Result<Option<u64>, StorageError> {
        let latest_key = table(LATEST, key);
        let row = self
            .kv
            .get(&latest_key)
            .map_err(|e| StorageError::at_key("read", &latest_key, e))?;
        row.map(|row| version_prefix(&row))
            .transpose()
            .map_err(|e| StorageError::at_key("decode", &latest_key, e))
    }

    /// Deletes what no kept version needs: after committing `v`, versions
    /// `v - keep_recent + 1 ..= v` stay readable.
    fn prune_ops(
        &self,
        v: Version,
        ops: &mut Vec<(Vec<u8>, Option<Vec<u8>>)>,
    ) -> Result<(), StorageError> {
        let keep = self.config.keep_recent;
        if v < keep {
            return Ok(());
        }
        let earliest = v + 1 - keep;
        let end_s = table(STALE_NODE, &(earliest + 1).to_be_bytes());
        let stale_nodes = self
            .kv
            .range(&[STALE_NODE], Some(&end_s), false, usize::MAX)
            .map_err(|e| StorageError::new("scan", "stale node index", e))?;
        for (k, list) in stale_nodes {
            let nodes = stale_index::entries(&k, &list)
                .map_err(|e| StorageError::at_key("decode", &k, e))?;
            ops.extend(nodes.into_iter().map(|n| (table(NODE, n), None)));
            ops.push((k, None));
        }
        let end_x = table(STALE_HISTORY, &(earliest + 1).to_be_bytes());
        let stale_history = self
            .kv
            .range(&[STALE_HISTORY], Some(&end_x), false, usize::MAX)
            .map_err(|e| StorageError::new("scan", "stale history index", e))?;
        for (k, list) in stale_history {
            let entries = stale_index::entries(&k, &list)
                .map_err(|e| StorageError::at_key("decode", &k, e))?;
            ops.extend(entries.into_iter().map(|h| (h.to_vec(), None)));
            ops.push((k, None));
        }
        ops.push((
            META_EARLIEST.to_vec(),
            Some(earliest.to_be_bytes().to_vec()),
        ));
        Ok(())
    }

    /// The value of `key` at `version` with an ICS-23 proof against that version's root.
    pub fn get_with_proof(
        &self,
        key: &[u8],
        version: Version,
    ) -> anyhow::Result<(Option<OwnedValue>, ics23::CommitmentProof)> {
        self.at(version)?;
        Sha256Jmt::new(&self.reader()).get_with_ics23_proof(key.to_vec(), version)
    }
}

/// JMT's view of the store.
struct JmtReader<'a> {
    kv: &'a dyn KvStore,
    cache: &'a NodeCache,
}

impl TreeReader for JmtReader<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = table(NODE, &borsh::to_vec(node_key)?);
        let row = match self.cache.get(&key) {
            Some(row) => row,
            None => match self.kv.get(&key)? {
                Some(row) => {
                    self.cache.insert(key, row.clone());
                    row
                }
                None => return Ok(None),
            },
        };
        Ok(Some(borsh::from_slice(&row).context("corrupt JMT node")?))
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        match self.preimage(key_hash)? {
            None => Ok(None),
            Some(key) => Ok(history_get(self.kv, &key, max_version)?.flatten()),
        }
    }

    /// Only JMT's restore (state sync) uses this, and deai does not offer state sync yet.
    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        Err(anyhow!("state sync restore is not supported"))
    }
}

impl HasPreimage for JmtReader<'_> {
    fn preimage(&self, key_hash: KeyHash) -> anyhow::Result<Option<Vec<u8>>> {
        self.kv.get(&table(PREIMAGE, &key_hash.0))
    }
}
