//! Cosmos pagination (`PageRequest`/`PageResponse`) over a key prefix: key or offset,
//! limit, count_total and reverse, with the SDK's semantics and hard bounds.

use cosmos_sdk_proto::cosmos::base::query::v1beta1::{PageRequest, PageResponse};

use crate::error::{sdk, TxError};
use crate::keys::prefix_end;
use crate::state::{KvPair, StateRead};

/// The SDK's default page size.
pub const DEFAULT_LIMIT: u64 = 100;
/// Largest page a query may ask for.
pub const MAX_LIMIT: u64 = 1000;
/// `count_total` and `offset` walk the prefix; they stop with an error past this many entries.
pub const MAX_WALK: usize = 1_000_000;

/// One page of entries under `prefix`. Keys in the result are relative to the prefix, and so
/// is `next_key`, as in the SDK.
pub fn paginate(
    state: &dyn StateRead,
    prefix: &[u8],
    page: Option<PageRequest>,
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
    let end = prefix_end(prefix);
    let full = |rel: &[u8]| [prefix, rel].concat();

    let (start, stop) = if page.key.is_empty() {
        (prefix.to_vec(), end.clone())
    } else if page.reverse {
        // Reverse pages walk downward from the key, inclusive.
        let mut upper = full(&page.key);
        upper.push(0);
        (prefix.to_vec(), Some(upper))
    } else {
        (full(&page.key), end.clone())
    };

    let offset = usize::try_from(page.offset).unwrap_or(usize::MAX);
    if offset > MAX_WALK {
        return Err(sdk::invalid_request(format!(
            "offset {offset} exceeds {MAX_WALK}"
        )));
    }
    // One more than the page to learn whether a next page exists.
    let want = offset.saturating_add(limit).saturating_add(1);
    let mut entries = state.scan(&start, stop.as_deref(), page.reverse, want)?;
    let next_key = if entries.len() > offset + limit {
        let (k, _) = &entries[offset + limit];
        k[prefix.len()..].to_vec()
    } else {
        Vec::new()
    };
    entries.truncate(offset + limit);
    let page_entries: Vec<KvPair> = entries
        .into_iter()
        .skip(offset)
        .map(|(k, v)| (k[prefix.len()..].to_vec(), v))
        .collect();

    let total = if page.count_total && page.key.is_empty() {
        let all = state.scan(prefix, end.as_deref(), false, MAX_WALK + 1)?;
        if all.len() > MAX_WALK {
            return Err(sdk::invalid_request("too many entries to count"));
        }
        all.len() as u64
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
    }
}
