//! State access: read and write traits, the copy-on-write overlay (`Delta`) that makes every
//! tx atomic, and an in-memory store for unit tests.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::error::TxError;

pub type KvPair = (Vec<u8>, Vec<u8>);

/// Read access to a key-value state. Implemented by the committed store, by overlays and
/// by the gas-metered context.
pub trait StateRead {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError>;

    /// Up to `limit` live entries with `start <= key < end` (no end: unbounded), ascending,
    /// or descending when `reverse`. Every scan is bounded by its caller.
    fn scan(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<KvPair>, TxError>;

    fn has(&self, key: &[u8]) -> Result<bool, TxError> {
        Ok(self.get(key)?.is_some())
    }
}

pub trait StateWrite: StateRead {
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), TxError>;
    fn delete(&mut self, key: Vec<u8>) -> Result<(), TxError>;
}

/// Pending writes: `None` is a deletion.
pub type WriteSet = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// A copy-on-write overlay over a parent state. A tx runs on its own `Delta`; on success its
/// writes are merged into the block's overlay, on failure they are dropped.
pub struct Delta<'p> {
    parent: &'p dyn StateRead,
    writes: WriteSet,
}

impl<'p> Delta<'p> {
    pub fn new(parent: &'p dyn StateRead) -> Self {
        Self {
            parent,
            writes: WriteSet::new(),
        }
    }

    pub fn with_writes(parent: &'p dyn StateRead, writes: WriteSet) -> Self {
        Self { parent, writes }
    }

    pub fn into_writes(self) -> WriteSet {
        self.writes
    }

    pub fn writes(&self) -> &WriteSet {
        &self.writes
    }

    /// Merges a child overlay's writes into this one.
    pub fn apply(&mut self, writes: WriteSet) {
        self.writes.extend(writes);
    }
}

fn range_bounds<'a>(start: &'a [u8], end: Option<&'a [u8]>) -> (Bound<&'a [u8]>, Bound<&'a [u8]>) {
    (
        Bound::Included(start),
        end.map_or(Bound::Unbounded, Bound::Excluded),
    )
}

impl StateRead for Delta<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        match self.writes.get(key) {
            Some(v) => Ok(v.clone()),
            None => self.parent.get(key),
        }
    }

    fn scan(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<KvPair>, TxError> {
        if end.is_some_and(|e| e <= start) || limit == 0 {
            return Ok(Vec::new());
        }
        let local: Vec<(&Vec<u8>, &Option<Vec<u8>>)> = {
            let it = self.writes.range::<[u8], _>(range_bounds(start, end));
            if reverse {
                it.rev().collect()
            } else {
                it.collect()
            }
        };
        // Each local key can shadow at most one parent entry, so this many parent entries
        // always contain the first `limit` unshadowed ones.
        let parent = self
            .parent
            .scan(start, end, reverse, limit.saturating_add(local.len()))?;

        let before = |a: &[u8], b: &[u8]| if reverse { a > b } else { a < b };
        let mut out = Vec::with_capacity(limit.min(parent.len() + local.len()));
        let (mut i, mut j) = (0, 0);
        while out.len() < limit && (i < parent.len() || j < local.len()) {
            let take_local = match (parent.get(i), local.get(j)) {
                (Some((pk, _)), Some((lk, _))) => {
                    if pk.as_slice() == lk.as_slice() {
                        i += 1; // shadowed by the overlay
                        true
                    } else {
                        before(lk, pk)
                    }
                }
                (None, Some(_)) => true,
                _ => false,
            };
            if take_local {
                let (k, v) = local[j];
                j += 1;
                if let Some(v) = v {
                    out.push((k.clone(), v.clone()));
                }
            } else {
                out.push(parent[i].clone());
                i += 1;
            }
        }
        Ok(out)
    }
}

impl StateWrite for Delta<'_> {
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), TxError> {
        self.writes.insert(key, Some(value));
        Ok(())
    }

    fn delete(&mut self, key: Vec<u8>) -> Result<(), TxError> {
        self.writes.insert(key, None);
        Ok(())
    }
}

/// An in-memory state for unit tests and for computing genesis in tools.
#[derive(Clone, Debug, Default)]
pub struct MemStore(BTreeMap<Vec<u8>, Vec<u8>>);

impl MemStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn apply(&mut self, writes: WriteSet) {
        for (k, v) in writes {
            match v {
                Some(v) => self.0.insert(k, v),
                None => self.0.remove(&k),
            };
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl StateRead for MemStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
        Ok(self.0.get(key).cloned())
    }

    fn scan(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> Result<Vec<KvPair>, TxError> {
        if end.is_some_and(|e| e <= start) {
            return Ok(Vec::new());
        }
        let it = self.0.range::<[u8], _>(range_bounds(start, end));
        let pairs = |(k, v): (&Vec<u8>, &Vec<u8>)| (k.clone(), v.clone());
        Ok(if reverse {
            it.rev().take(limit).map(pairs).collect()
        } else {
            it.take(limit).map(pairs).collect()
        })
    }
}

impl StateWrite for MemStore {
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), TxError> {
        self.0.insert(key, value);
        Ok(())
    }

    fn delete(&mut self, key: Vec<u8>) -> Result<(), TxError> {
        self.0.remove(&key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn base() -> MemStore {
        let mut m = MemStore::new();
        for k in [1u8, 3, 5, 7] {
            m.put(vec![k], vec![k]).unwrap();
        }
        m
    }

    #[test]
    fn overlay_shadows_and_deletes() {
        let b = base();
        let mut d = Delta::new(&b);
        d.put(vec![3], vec![33]).unwrap();
        d.delete(vec![5]).unwrap();
        d.put(vec![4], vec![4]).unwrap();
        let all = d.scan(&[0], None, false, 100).unwrap();
        let keys: Vec<u8> = all.iter().map(|(k, _)| k[0]).collect();
        assert_eq!(keys, vec![1, 3, 4, 7]);
        assert_eq!(d.get(&[3]).unwrap(), Some(vec![33]));
        assert_eq!(d.get(&[5]).unwrap(), None);
        let rev: Vec<u8> = d
            .scan(&[0], None, true, 2)
            .unwrap()
            .iter()
            .map(|(k, _)| k[0])
            .collect();
        assert_eq!(rev, vec![7, 4]);
    }

    proptest! {
        // A scan through nested overlays equals a scan of the same writes applied to a flat map.
        #[test]
        fn overlay_scan_matches_flat(
            base_keys in proptest::collection::vec(0u8..32, 0..20),
            ops in proptest::collection::vec((0u8..32, proptest::option::of(0u8..255)), 0..30),
            start in 0u8..32, end in 0u8..33, limit in 0usize..40, reverse: bool,
        ) {
            let mut flat = MemStore::new();
            for k in &base_keys { flat.put(vec![*k], vec![*k]).unwrap(); }
            let parent = flat.clone();
            let mut d = Delta::new(&parent);
            for (k, v) in &ops {
                match v {
                    Some(v) => { d.put(vec![*k], vec![*v]).unwrap(); flat.put(vec![*k], vec![*v]).unwrap(); }
                    None => { d.delete(vec![*k]).unwrap(); flat.delete(vec![*k]).unwrap(); }
                }
            }
            let end_key = [end];
            let end_opt = if end == 32 { None } else { Some(&end_key[..]) };
            prop_assert_eq!(
                d.scan(&[start], end_opt, reverse, limit).unwrap(),
                flat.scan(&[start], end_opt, reverse, limit).unwrap()
            );
        }
    }
}
