//! State access: read and write traits, the copy-on-write overlay (`Delta`) that makes every
//! tx atomic, and an in-memory store for unit tests.

use std::borrow::Cow;
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

    /// How many live entries `start <= key < end` holds, up to `limit` (a result of `limit`
    /// means "at least"). Reads in chunks, so memory stays bounded however many it counts.
    fn count(&self, start: &[u8], end: Option<&[u8]>, limit: usize) -> Result<usize, TxError> {
        let mut n = 0usize;
        let mut lo = start.to_vec();
        while n < limit {
            let ask = (limit - n).min(SCAN_CHUNK);
            let chunk = self.scan(&lo, end, false, ask)?;
            let full = chunk.len() == ask;
            n += chunk.len();
            match chunk.into_iter().last() {
                Some((k, _)) if full => {
                    lo = k;
                    lo.push(0); // the smallest key after k
                }
                _ => break, // a short chunk: the range is exhausted
            }
        }
        Ok(n)
    }
}

/// Entries read per round trip by walks that do not keep what they read (counting, skipping).
pub const SCAN_CHUNK: usize = 1024;

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
    /// Borrowed for a read-only view of writes kept elsewhere (the mempool's), owned as
    /// soon as anything is written.
    writes: Cow<'p, WriteSet>,
}

impl<'p> Delta<'p> {
    pub fn new(parent: &'p dyn StateRead) -> Self {
        Self {
            parent,
            writes: Cow::Owned(WriteSet::new()),
        }
    }

    pub fn with_writes(parent: &'p dyn StateRead, writes: WriteSet) -> Self {
        Self {
            parent,
            writes: Cow::Owned(writes),
        }
    }

    /// A view of `writes` over `parent` without copying them; the first write copies.
    pub fn over(parent: &'p dyn StateRead, writes: &'p WriteSet) -> Self {
        Self {
            parent,
            writes: Cow::Borrowed(writes),
        }
    }

    pub fn into_writes(self) -> WriteSet {
        self.writes.into_owned()
    }

    pub fn writes(&self) -> &WriteSet {
        &self.writes
    }

    /// Merges a child overlay's writes into this one.
    pub fn apply(&mut self, writes: WriteSet) {
        self.writes.to_mut().extend(writes);
    }
}

/// Extra parent rows asked for per chunk, so that a few shadowed rows cost no extra read.
const PARENT_CHUNK_SLACK: usize = 8;

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
        // A lazy merge of the overlay's writes with the parent's entries, read in chunks
        // from a moving cursor: it touches only the writes before its last answer (and the
        // parent rows they shadow), so a contract iterating one entry at a time over many
        // pending writes does linear, not quadratic, work.
        let mut local = self.writes.range::<[u8], _>(range_bounds(start, end));
        let mut local: Box<dyn Iterator<Item = (&Vec<u8>, &Option<Vec<u8>>)>> = if reverse {
            Box::new(local.by_ref().rev())
        } else {
            Box::new(local)
        };
        let mut local = local.by_ref().peekable();
        let before = |a: &[u8], b: &[u8]| if reverse { a > b } else { a < b };
        let mut out: Vec<KvPair> = Vec::new();
        // The parent's unread range: [lo, hi).
        let mut lo = start.to_vec();
        let mut hi = end.map(<[u8]>::to_vec);
        loop {
            let ask = (limit - out.len()).saturating_add(PARENT_CHUNK_SLACK);
            let chunk = self.parent.scan(&lo, hi.as_deref(), reverse, ask)?;
            let exhausted = chunk.len() < ask;
            let last = chunk.last().map(|(k, _)| k.clone());
            for (pk, pv) in chunk {
                let mut shadowed = false;
                while let Some((lk, lv)) = local.next_if(|(lk, _)| !before(&pk, lk)) {
                    shadowed |= lk.as_slice() == pk.as_slice();
                    if let Some(v) = lv {
                        out.push((lk.clone(), v.clone()));
                        if out.len() == limit {
                            return Ok(out);
                        }
                    }
                }
                if !shadowed {
                    out.push((pk, pv));
                    if out.len() == limit {
                        return Ok(out);
                    }
                }
            }
            match last {
                Some(k) if !exhausted => {
                    if reverse {
                        hi = Some(k);
                    } else {
                        lo = k;
                        lo.push(0); // the smallest key after k
                    }
                }
                _ => break,
            }
        }
        for (lk, lv) in local {
            if let Some(v) = lv {
                out.push((lk.clone(), v.clone()));
                if out.len() == limit {
                    break;
                }
            }
        }
        Ok(out)
    }
}

impl StateWrite for Delta<'_> {
    fn put(&mut self, key: Vec<u8>, value: Vec<u8>) -> Result<(), TxError> {
        self.writes.to_mut().insert(key, Some(value));
        Ok(())
    }

    fn delete(&mut self, key: Vec<u8>) -> Result<(), TxError> {
        self.writes.to_mut().insert(key, None);
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

    fn key() -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(0u8..4, 0..3)
    }

    proptest! {
        // Two overlays over a store, with keys that are prefixes of one another (the cursor
        // moves to `k ‖ 0`), scanned a page at a time like a contract's iterator: the same
        // entries as a flat map.
        #[test]
        fn nested_overlay_scan_pages_match_flat(
            base in proptest::collection::vec((key(), any::<u8>()), 0..20),
            mid in proptest::collection::vec((key(), proptest::option::of(any::<u8>())), 0..20),
            top in proptest::collection::vec((key(), proptest::option::of(any::<u8>())), 0..20),
            start in key(), end in proptest::option::of(key()), page in 1usize..4, reverse: bool,
        ) {
            let mut flat = MemStore::new();
            for (k, v) in &base { flat.put(k.clone(), vec![*v]).unwrap(); }
            let store = flat.clone();
            let mut m = Delta::new(&store);
            let apply = |d: &mut Delta, ops: &[(Vec<u8>, Option<u8>)], flat: &mut MemStore| {
                for (k, v) in ops {
                    match v {
                        Some(v) => { d.put(k.clone(), vec![*v]).unwrap(); flat.put(k.clone(), vec![*v]).unwrap(); }
                        None => { d.delete(k.clone()).unwrap(); flat.delete(k.clone()).unwrap(); }
                    }
                }
            };
            apply(&mut m, &mid, &mut flat);
            let mut t = Delta::new(&m);
            apply(&mut t, &top, &mut flat);
            let want = flat.scan(&start, end.as_deref(), reverse, usize::MAX).unwrap();
            prop_assert_eq!(&t.scan(&start, end.as_deref(), reverse, usize::MAX).unwrap(), &want);
            // Page by page, each page starting after the last key (as HostStorage's iterator).
            let (mut got, mut lo, mut hi) = (Vec::new(), start.clone(), end.clone());
            loop {
                let p = t.scan(&lo, hi.as_deref(), reverse, page).unwrap();
                let Some((k, _)) = p.last().cloned() else { break };
                got.extend(p);
                if reverse { hi = Some(k) } else { lo = k; lo.push(0); }
            }
            prop_assert_eq!(got, want);
        }

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
