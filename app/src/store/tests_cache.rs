//! The JMT node cache: bounded, never different from sled, cold after a restart, and free of
//! nodes that went stale or were pruned.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use deai_framework::state::WriteSet;

use super::layout::NODE;
use super::node_cache::NodeCache;
use super::*;

/// sled, counting the `N` rows read from it.
struct CountingKv {
    inner: SledKv,
    node_reads: AtomicUsize,
}

impl KvStore for CountingKv {
    fn get(&self, key: &[u8]) -> anyhow::Result<Option<Vec<u8>>> {
        if key.first() == Some(&NODE) {
            self.node_reads.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.get(key)
    }
    fn range(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> anyhow::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.inner.range(start, end, reverse, limit)
    }
    fn write_batch(&self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> anyhow::Result<()> {
        self.inner.write_batch(ops)
    }
}

fn counting_kv() -> Arc<CountingKv> {
    Arc::new(CountingKv {
        inner: SledKv::temporary().unwrap(),
        node_reads: AtomicUsize::new(0),
    })
}

/// Block `v` of a growing state: 50 new keys and 10 rewritten old ones.
fn block(v: u64) -> WriteSet {
    let mut w = WriteSet::new();
    for i in 0..50u64 {
        w.insert(
            format!("k{}", v * 50 + i).into_bytes(),
            Some(v.to_be_bytes().to_vec()),
        );
    }
    for i in 0..10u64.min(v * 50) {
        let old = (v * 7 + i * 13) % (v * 50);
        w.insert(format!("k{old}").into_bytes(), Some(vec![v as u8, 1]));
    }
    w
}

fn commit(s: &Storage, v: u64) -> [u8; 32] {
    let p = s.prepare(v, block(v)).unwrap();
    let root = p.root.0;
    s.commit(p).unwrap();
    root
}

/// Every cached row is the row sled holds under the same key.
fn assert_cache_matches_sled(s: &Storage, kv: &dyn KvStore) {
    let keys = s.nodes.keys();
    assert!(!keys.is_empty());
    for key in keys {
        let cached = s.nodes.get(&key).unwrap();
        assert_eq!(
            kv.get(&key).unwrap(),
            Some(cached),
            "cached node differs from sled"
        );
    }
}

#[test]
fn cached_nodes_are_the_rows_sled_holds_and_save_its_reads() {
    let kv = counting_kv();
    let s = Storage::open(kv.clone(), StorageConfig::default()).unwrap();
    for v in 0..20 {
        commit(&s, v);
    }
    assert_cache_matches_sled(&s, &*kv);
    // Rewriting a key written by the last block reads its path and its leaf from the cache
    // alone (before the cache kept leaves, the leaf was a sled read).
    kv.node_reads.store(0, Ordering::SeqCst);
    let mut w = WriteSet::new();
    w.insert(b"k950".to_vec(), Some(b"again".to_vec()));
    s.prepare(20, w).unwrap();
    assert_eq!(kv.node_reads.load(Ordering::SeqCst), 0);
}

#[test]
fn the_cache_stays_within_its_byte_budget_and_keeps_what_is_read() {
    let cache = NodeCache::new(10_000);
    cache.insert(b"hot".to_vec(), vec![1; 100]);
    for i in 0..1_000u32 {
        cache.insert(i.to_be_bytes().to_vec(), vec![0; 100]);
        assert!(cache.bytes() <= 10_000);
        // Read every few inserts, as each block reads the tree's upper levels.
        if i % 10 == 0 {
            assert_eq!(cache.get(b"hot"), Some(vec![1; 100]));
        }
    }
    assert!(cache.len() < 1_000);
    assert_eq!(cache.get(b"hot"), Some(vec![1; 100]));
    // An entry over half the budget is not kept.
    cache.insert(b"big".to_vec(), vec![0; 6_000]);
    assert_eq!(cache.get(b"big"), None);
    cache.remove(b"hot");
    assert_eq!(cache.get(b"hot"), None);
}

#[test]
fn a_restart_with_a_cold_cache_reads_the_same_roots_and_proofs() {
    let kv = counting_kv();
    let warm = Storage::open(kv.clone(), StorageConfig::default()).unwrap();
    let mut roots = Vec::new();
    for v in 0..15 {
        roots.push(commit(&warm, v));
    }
    let cold = Storage::open(kv.clone(), StorageConfig::default()).unwrap();
    assert_eq!(cold.nodes.len(), 0);
    for (v, root) in roots.iter().enumerate() {
        assert_eq!(cold.root_hash(v as u64).unwrap().0, *root);
    }
    let (value, proof) = cold.get_with_proof(b"k3", 14).unwrap();
    assert_eq!(warm.get_with_proof(b"k3", 14).unwrap(), (value, proof));
    // The next version's root does not depend on what either cache holds.
    let a = warm.prepare(15, block(15)).unwrap().root;
    let b = cold.prepare(15, block(15)).unwrap().root;
    assert_eq!(a, b);
}

#[test]
fn pruned_and_stale_nodes_leave_the_cache() {
    // Before the cache dropped them, the tree's replaced nodes stayed cached after pruning
    // deleted them from sled.
    let kv = counting_kv();
    let s = Storage::open(
        kv.clone(),
        StorageConfig {
            keep_recent: 2,
            ..Default::default()
        },
    )
    .unwrap();
    for v in 0..30 {
        // A proof at the oldest kept version caches nodes that this commit prunes.
        if v > 0 {
            let earliest = s.earliest_version().unwrap();
            s.get_with_proof(b"k1", earliest).unwrap();
        }
        commit(&s, v);
    }
    assert_cache_matches_sled(&s, &*kv);
    // Nodes made stale by the last commit (kept in sled for past reads) are not cached.
    let stale: Vec<_> = kv
        .range(
            &[layout::STALE_NODE],
            Some(&[layout::STALE_NODE + 1]),
            false,
            usize::MAX,
        )
        .unwrap()
        .into_iter()
        .filter(|(k, _)| k[1..9] == 29u64.to_be_bytes())
        .flat_map(|(k, list)| {
            super::stale_index::entries(&k, &list)
                .unwrap()
                .into_iter()
                .map(|n| layout::table(NODE, n))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(!stale.is_empty());
    for key in stale {
        assert_eq!(s.nodes.get(&key), None);
    }
}
