//! Snapshots at "latest" and the cost of scans at past versions.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use deai_framework::state::{MemStore, StateWrite, WriteSet};
use deai_framework::StateRead;

use super::*;

fn commit(s: &Storage, version: u64, w: WriteSet) {
    let p = s.prepare(version, w).unwrap();
    s.commit(p).unwrap();
}

/// A store that counts the rows its range reads return.
struct Counting(SledKv, Arc<AtomicUsize>);

impl KvStore for Counting {
    fn get(&self, key: &[u8]) -> anyhow::Result<Option<Vec<u8>>> {
        self.0.get(key)
    }
    fn range(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        limit: usize,
    ) -> anyhow::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let rows = self.0.range(start, end, reverse, limit)?;
        self.1.fetch_add(rows.len(), Ordering::Relaxed);
        Ok(rows)
    }
    fn write_batch(&self, ops: Vec<(Vec<u8>, Option<Vec<u8>>)>) -> anyhow::Result<()> {
        self.0.write_batch(ops)
    }
}

fn counting() -> (Storage, Arc<AtomicUsize>) {
    let n = Arc::new(AtomicUsize::new(0));
    let kv = Counting(SledKv::temporary().unwrap(), n.clone());
    (
        Storage::open(Arc::new(kv), StorageConfig::default()).unwrap(),
        n,
    )
}

// Before the fix a query at "latest" read the live table: a commit between two reads of one
// query showed it heights H and H+1 at once.
#[test]
fn a_snapshot_keeps_reading_its_version_across_a_commit() {
    let (s, _) = counting();
    commit(
        &s,
        0,
        [
            (b"a".to_vec(), Some(b"1".to_vec())),
            (b"b".to_vec(), Some(b"1".to_vec())),
        ]
        .into(),
    );
    let snap = s.snapshot().unwrap();
    assert_eq!(snap.version(), 0);
    assert_eq!(snap.get(b"a").unwrap(), Some(b"1".to_vec()));
    commit(
        &s,
        1,
        [
            (b"a".to_vec(), Some(b"2".to_vec())),
            (b"b".to_vec(), None),
            (b"c".to_vec(), Some(b"2".to_vec())),
        ]
        .into(),
    );
    assert_eq!(snap.get(b"a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(snap.get(b"b").unwrap(), Some(b"1".to_vec()));
    assert_eq!(
        snap.scan(b"", None, false, 10).unwrap(),
        vec![
            (b"a".to_vec(), b"1".to_vec()),
            (b"b".to_vec(), b"1".to_vec())
        ]
    );
    // A new snapshot reads the new version.
    assert_eq!(s.snapshot().unwrap().get(b"b").unwrap(), None);
}

// Before the fix a scan at a past version read every version of every key it passed: a
// page of two keys over a key written 2,000 times read 2,000 rows.
#[test]
fn a_past_scan_reads_rows_per_key_not_per_version() {
    let (s, reads) = counting();
    for v in 0..2000u64 {
        let mut w = WriteSet::new();
        w.insert(b"hot".to_vec(), Some(v.to_be_bytes().to_vec()));
        if v == 0 {
            w.insert(b"cold".to_vec(), Some(b"c".to_vec()));
            w.insert(b"zed".to_vec(), Some(b"z".to_vec()));
        }
        commit(&s, v, w);
    }
    let view = s.at(1000).unwrap();
    reads.store(0, Ordering::Relaxed);
    let page = view.scan(b"", None, false, 3).unwrap();
    assert_eq!(page.len(), 3);
    assert_eq!(page[1], (b"hot".to_vec(), 1000u64.to_be_bytes().to_vec()));
    assert!(
        reads.load(Ordering::Relaxed) <= 8,
        "{} rows",
        reads.load(Ordering::Relaxed)
    );
    reads.store(0, Ordering::Relaxed);
    let rev = view.scan(b"", None, true, 2).unwrap();
    assert_eq!(rev[1].0, b"hot".to_vec());
    assert!(reads.load(Ordering::Relaxed) <= 6);
}

#[test]
fn a_past_scan_fails_past_the_skip_budget() {
    let (s, _) = counting();
    let mut w = WriteSet::new();
    for i in 0..=50u32 {
        w.insert([b"k".as_slice(), &i.to_be_bytes()].concat(), Some(vec![1]));
    }
    commit(&s, 0, w.clone());
    commit(&s, 1, w.into_keys().map(|k| (k, None)).collect());
    commit(&s, 2, [(b"z".to_vec(), Some(vec![1]))].into());
    let err = s
        .at(2)
        .unwrap()
        .with_max_skips(50)
        .scan(b"", None, false, 10)
        .unwrap_err();
    assert_eq!(
        err.code,
        deai_framework::sdk::INVALID_REQUEST,
        "{}",
        err.log
    );
    // Within the budget the same walk answers.
    let page = s
        .at(2)
        .unwrap()
        .with_max_skips(51)
        .scan(b"", None, false, 10)
        .unwrap();
    assert_eq!(page, vec![(b"z".to_vec(), vec![1])]);
}

/// The seek-per-key scan at every version equals a replay into a flat map, with keys that
/// are prefixes of each other and contain zero bytes.
#[test]
fn past_scans_match_a_replay() {
    let (s, _) = counting();
    let keys: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"a".to_vec(),
        b"a\0".to_vec(),
        b"a\0b".to_vec(),
        b"ab".to_vec(),
        b"b".to_vec(),
        vec![0],
        vec![0, 0],
        vec![0xff],
    ];
    let mut seed = 7u64;
    let mut flats = Vec::new();
    let mut flat = MemStore::new();
    for v in 0..12u64 {
        let mut w = WriteSet::new();
        for k in &keys {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            match seed >> 61 {
                0 | 1 => w.insert(k.clone(), None),
                2 | 3 => w.insert(k.clone(), Some(v.to_be_bytes().to_vec())),
                _ => continue,
            };
        }
        for (k, val) in &w {
            match val {
                Some(x) => flat.put(k.clone(), x.clone()).unwrap(),
                None => flat.delete(k.clone()).unwrap(),
            }
        }
        commit(&s, v, w);
        flats.push(flat.clone());
    }
    let bounds: Vec<(Vec<u8>, Option<Vec<u8>>)> = vec![
        (vec![], None),
        (b"a".to_vec(), Some(b"b".to_vec())),
        (b"a\0".to_vec(), Some(b"ab".to_vec())),
        (vec![0], Some(b"a".to_vec())),
    ];
    for (v, flat) in flats.iter().enumerate() {
        let view = s.at(v as u64).unwrap();
        for (lo, hi) in &bounds {
            for reverse in [false, true] {
                for limit in [1, 3, 100] {
                    assert_eq!(
                        view.scan(lo, hi.as_deref(), reverse, limit).unwrap(),
                        flat.scan(lo, hi.as_deref(), reverse, limit).unwrap(),
                        "version {v} {lo:?}..{hi:?} reverse {reverse} limit {limit}"
                    );
                }
            }
        }
    }
}
