//! A bounded in-memory cache in front of the `N` table (JMT nodes).
//!
//! An entry is an exact `N` row: borsh(NodeKey) -> borsh(Node). A node key includes the
//! version that wrote it and a node is never rewritten, so an entry is either the row sled
//! holds or absent: the app hash cannot depend on what is cached. Commit fills it with the
//! nodes it writes (the tree's upper levels and recently written leaves, which the next
//! blocks read again) and drops the nodes a version makes stale or prunes, so that the space
//! holds the live tree. It is in memory only: a restart starts cold and reads sled.
//!
//! Eviction is by two generations: inserts go to `hot`; when `hot` reaches half the budget it
//! becomes `cold` and the old `cold` is dropped; a hit in `cold` moves back to `hot`. What
//! every block reads (the upper levels) stays; what nothing reads ages out within two turns.

use std::collections::HashMap;
use std::sync::Mutex;

/// Bytes charged per entry beyond its key and value: the map slot and two vector headers.
const ENTRY_OVERHEAD: usize = 96;

pub(super) struct NodeCache {
    /// Bound on all entries' charged bytes (both generations together).
    capacity_bytes: usize,
    gens: Mutex<Generations>,
}

#[derive(Default)]
struct Generations {
    hot: HashMap<Vec<u8>, Vec<u8>>,
    hot_bytes: usize,
    cold: HashMap<Vec<u8>, Vec<u8>>,
    cold_bytes: usize,
}

fn charge(key: &[u8], value: &[u8]) -> usize {
    key.len() + value.len() + ENTRY_OVERHEAD
}

impl NodeCache {
    pub(super) fn new(capacity_bytes: usize) -> Self {
        Self {
            capacity_bytes,
            gens: Mutex::new(Generations::default()),
        }
    }

    /// The cached row of `key` (an encoded node key), if any.
    pub(super) fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        // A poisoned lock only means another thread panicked mid-update of a cache: miss.
        let mut g = self.gens.lock().ok()?;
        if let Some(v) = g.hot.get(key) {
            return Some(v.clone());
        }
        let v = g.cold.remove(key)?;
        g.cold_bytes -= charge(key, &v);
        self.put(&mut g, key.to_vec(), v.clone());
        Some(v)
    }

    /// Caches the row `key` -> `value`, which sled holds (or is about to, durably).
    pub(super) fn insert(&self, key: Vec<u8>, value: Vec<u8>) {
        if let Ok(mut g) = self.gens.lock() {
            self.put(&mut g, key, value);
        }
    }

    /// Forgets `key` (its node went stale or was pruned).
    pub(super) fn remove(&self, key: &[u8]) {
        if let Ok(mut g) = self.gens.lock() {
            if let Some(v) = g.hot.remove(key) {
                g.hot_bytes -= charge(key, &v);
            }
            if let Some(v) = g.cold.remove(key) {
                g.cold_bytes -= charge(key, &v);
            }
        }
    }

    fn put(&self, g: &mut Generations, key: Vec<u8>, value: Vec<u8>) {
        let c = charge(&key, &value);
        let half = self.capacity_bytes / 2;
        if c > half {
            return;
        }
        if let Some(old) = g.hot.remove(&key) {
            g.hot_bytes -= charge(&key, &old);
        }
        if let Some(old) = g.cold.remove(&key) {
            g.cold_bytes -= charge(&key, &old);
        }
        if g.hot_bytes + c > half {
            g.cold = std::mem::take(&mut g.hot);
            g.cold_bytes = std::mem::replace(&mut g.hot_bytes, 0);
        }
        g.hot.insert(key, value);
        g.hot_bytes += c;
    }

    /// Charged bytes held now (tests).
    #[cfg(test)]
    pub(super) fn bytes(&self) -> usize {
        self.gens.lock().map_or(0, |g| g.hot_bytes + g.cold_bytes)
    }

    /// Keys held now (tests).
    #[cfg(test)]
    pub(super) fn keys(&self) -> Vec<Vec<u8>> {
        self.gens.lock().map_or(Vec::new(), |g| {
            g.hot.keys().chain(g.cold.keys()).cloned().collect()
        })
    }

    /// Entries held now (tests).
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.gens.lock().map_or(0, |g| g.hot.len() + g.cold.len())
    }
}
