//! Cosmos pagination (`PageRequest`/`PageResponse`) over a key prefix: key or offset,
//! limit, count_total and reverse, with the SDK's semantics and hard bounds.

use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};

use crate::error::{sdk, TxError};
use crate::keys::prefix_end;
use crate::state::{KvPair, StateRead, SCAN_CHUNK};

/// The SDK's default page size.
pub const DEFAULT_LIMIT: u64 = 100;
/// Largest page a query may ask for.
pub const MAX_LIMIT: u64 = 1000;
/// Rows a page may walk past without returning them (`offset`) plus rows `count_total`
/// counts: past this the query fails (invalid request) rather than work without bound.
/// Values are never kept while walking, and through a metered context every walked row is
/// also charged gas, so the query gas limit usually stops a walk first.
pub const MAX_WALK: usize = 1_000_000;

/// One page of entries under `prefix`. Keys in the result are relative to the prefix, and so
/// is `next_key`, as in the SDK.
pub fn paginate(
    state: &dyn StateRead,
    prefix: &[u8],
    page: Option<PageRequest>,
) -> Result<(Vec<KvPair>, PageResponse), TxError> {
    paginate_walking(state, prefix, page, MAX_WALK)
}

fn too_many(budget: usize) -> TxError {
    sdk::invalid_request(format!(
        "query walks more than {budget} entries (offset plus count_total); \
         page with next_key instead"
    ))
}

/// [`paginate`] with `budget` rows walked at most (offset skipped plus rows counted).
pub fn paginate_walking(
    state: &dyn StateRead,
    prefix: &[u8],
    page: Option<PageRequest>,
    budget: usize,
) -> Result<(Vec<KvPair>, PageResponse), TxError> {
    paginate_range(
        state,
        prefix,
        prefix,
        prefix_end(prefix).as_deref(),
        page,
        budget,
    )
}

/// A page of the entries in `[lo, hi)` (no `hi`: unbounded), a range inside
/// `prefix`, with `budget` rows walked at most. Keys in the result and `next_key` are
/// relative to `prefix`; `count_total` counts the range.
pub fn paginate_range(
    state: &dyn StateRead,
    prefix: &[u8],
    lo: &[u8],
    hi: Option<&[u8]>,
    page: Option<PageRequest>,
    budget: usize,
) -> Result<(Vec<KvPair>, PageResponse), TxError> {
    let page = page.unwrap_or_default();
    if !page.key.is_empty() && page.offset > 0 {
        return Err(sdk::invalid_request(
            "invalid request, either offset or key is expected, got both",
        ));
    }
    let limit = match page.limit {
        0 => DEFAULT_LIMIT,
        l => l.min(MAX_LIMIT),
    } as usize;
    let full = [prefix, page.key.as_slice()].concat();
    let (mut start, mut stop) = (lo.to_vec(), hi.map(<[u8]>::to_vec));
    if !page.key.is_empty() {
        if page.reverse {
            // Reverse pages walk downward from the key, inclusive.
            let mut upper = full;
            upper.push(0);
            stop = Some(stop.map_or(upper.clone(), |s| s.min(upper)));
        } else {
            start = start.max(full);
        }
    }

    let offset = usize::try_from(page.offset).unwrap_or(usize::MAX);
    if offset > budget {
        return Err(too_many(budget));
    }
    // Skip the offset a chunk at a time, keeping nothing, then read the page (plus one entry
    // to learn whether a next page exists).
    let mut skipped = 0usize;
    while skipped < offset {
        let ask = (offset - skipped).min(SCAN_CHUNK);
        let chunk = state.scan(&start, stop.as_deref(), page.reverse, ask)?;
        let exhausted = chunk.len() < ask;
        skipped += chunk.len();
        let Some((k, _)) = chunk.into_iter().last() else {
            break;
        };
        if page.reverse {
            stop = Some(k);
        } else {
            start = k;
            start.push(0);
        }
        if exhausted {
            break;
        }
    }
    let mut entries = if skipped < offset {
        Vec::new()
    } else {
        state.scan(
            &start,
            stop.as_deref(),
            page.reverse,
            limit.saturating_add(1),
        )?
    };
    let next_key = if entries.len() > limit {
        entries[limit].0[prefix.len()..].to_vec()
    } else {
        Vec::new()
    };
    entries.truncate(limit);
    let page_entries: Vec<KvPair> = entries
        .into_iter()
        .map(|(k, v)| (k[prefix.len()..].to_vec(), v))
        .collect();

    let total = if page.count_total && page.key.is_empty() {
        let room = budget - offset;
        let n = state.count(lo, hi, room.saturating_add(1))?;
        if n > room {
            return Err(too_many(budget));
        }
        n as u64
    } else {
        0
    };
    Ok((page_entries, PageResponse { next_key, total }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{MemStore, StateWrite};

    fn store() -> MemStore {
        let mut m = MemStore::new();
        for i in 0u8..10 {
            m.put(vec![b'p', i], vec![i]).unwrap();
        }
        m.put(b"q".to_vec(), vec![]).unwrap();
        m
    }

    fn req(
        key: Vec<u8>,
        offset: u64,
        limit: u64,
        count_total: bool,
        reverse: bool,
    ) -> Option<PageRequest> {
        Some(PageRequest {
            key,
            offset,
            limit,
            count_total,
            reverse,
        })
    }

    #[test]
    fn pages_by_key_and_offset() {
        let m = store();
        let (p1, r1) = paginate(&m, b"p", req(vec![], 0, 4, true, false)).unwrap();
        assert_eq!(
            p1.iter().map(|(k, _)| k[0]).collect::<Vec<_>>(),
            vec![0, 1, 2, 3]
        );
        assert_eq!(r1.total, 10);
        assert_eq!(r1.next_key, vec![4]);
        let (p2, _) = paginate(&m, b"p", req(r1.next_key, 0, 4, false, false)).unwrap();
        assert_eq!(p2[0].0, vec![4]);
        let (p3, r3) = paginate(&m, b"p", req(vec![], 8, 4, false, false)).unwrap();
        assert_eq!(p3.len(), 2);
        assert!(r3.next_key.is_empty());
        let (rev, rr) = paginate(&m, b"p", req(vec![], 0, 3, false, true)).unwrap();
        assert_eq!(
            rev.iter().map(|(k, _)| k[0]).collect::<Vec<_>>(),
            vec![9, 8, 7]
        );
        let (rev2, _) = paginate(&m, b"p", req(rr.next_key, 0, 3, false, true)).unwrap();
        assert_eq!(rev2[0].0, vec![6]);
        assert!(paginate(&m, b"p", req(vec![1], 1, 3, false, false)).is_err());
        let (past, rp) = paginate(&m, b"p", req(vec![], 12, 4, true, false)).unwrap();
        assert!(past.is_empty() && rp.next_key.is_empty() && rp.total == 10);
        let (rev3, _) = paginate(&m, b"p", req(vec![], 2, 3, false, true)).unwrap();
        assert_eq!(
            rev3.iter().map(|(k, _)| k[0]).collect::<Vec<_>>(),
            vec![7, 6, 5]
        );
    }

    #[test]
    fn a_range_inside_the_prefix_pages_and_counts_only_itself() {
        let m = store();
        let (p, r) = paginate_range(
            &m,
            b"p",
            &[b'p', 2],
            Some(&[b'p', 7]),
            req(vec![], 1, 2, true, false),
            100,
        )
        .unwrap();
        assert_eq!(p.iter().map(|(k, _)| k[0]).collect::<Vec<_>>(), vec![3, 4]);
        assert_eq!((r.total, r.next_key), (5, vec![5]));
        let (p, r) = paginate_range(
            &m,
            b"p",
            &[b'p', 2],
            Some(&[b'p', 7]),
            req(vec![5], 0, 2, false, true),
            100,
        )
        .unwrap();
        assert_eq!(p.iter().map(|(k, _)| k[0]).collect::<Vec<_>>(), vec![5, 4]);
        assert_eq!(r.next_key, vec![3]);
        let (p, _) = paginate_range(
            &m,
            b"p",
            &[b'p', 2],
            Some(&[b'p', 7]),
            req(vec![9], 0, 9, false, true),
            100,
        )
        .unwrap();
        assert_eq!(p.len(), 5, "a key past hi starts at hi");
    }

    /// Counts the rows read through it, values included.
    struct Counting<'a>(&'a MemStore, std::cell::Cell<usize>);

    impl StateRead for Counting<'_> {
        fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TxError> {
            self.0.get(key)
        }
        fn scan(
            &self,
            start: &[u8],
            end: Option<&[u8]>,
            reverse: bool,
            limit: usize,
        ) -> Result<Vec<KvPair>, TxError> {
            let rows = self.0.scan(start, end, reverse, limit)?;
            self.1.set(self.1.get() + rows.len());
            assert!(
                rows.len() <= SCAN_CHUNK + 1,
                "a walk loaded {} rows at once",
                rows.len()
            );
            Ok(rows)
        }
    }

    // Before the fix count_total loaded every row at once (up to MAX_WALK) and an offset
    // loaded offset + limit rows into one vector; a total over the budget was cut silently
    // or ran unbounded. Now both walk in chunks and fail past the budget.
    #[test]
    fn count_total_and_offset_walk_in_chunks_and_fail_past_the_budget() {
        let mut m = MemStore::new();
        for i in 0u32..5000 {
            m.put([b"p".as_slice(), &i.to_be_bytes()].concat(), vec![0; 8])
                .unwrap();
        }
        let c = Counting(&m, Default::default());
        let (_, r) = paginate_walking(&c, b"p", req(vec![], 0, 10, true, false), 6000).unwrap();
        assert_eq!(r.total, 5000);
        let err = paginate_walking(&c, b"p", req(vec![], 0, 10, true, false), 4999).unwrap_err();
        assert_eq!(err.code, sdk::INVALID_REQUEST);
        assert!(err.log.contains("walks more than 4999"), "{}", err.log);
        let err = paginate_walking(&c, b"p", req(vec![], 3000, 10, true, false), 4000).unwrap_err();
        assert_eq!(err.code, sdk::INVALID_REQUEST);
        let (p, _) = paginate_walking(&c, b"p", req(vec![], 4095, 2, false, false), 6000).unwrap();
        assert_eq!(p[0].0, 4095u32.to_be_bytes());
        assert!(paginate_walking(&c, b"p", req(vec![], 7000, 2, false, false), 6000).is_err());
    }
}
