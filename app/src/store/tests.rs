use std::sync::Arc;

use deai_framework::state::WriteSet;
use deai_framework::StateRead;

use super::*;

fn writes(pairs: &[(&[u8], Option<&[u8]>)]) -> WriteSet {
    pairs
        .iter()
        .map(|(k, v)| (k.to_vec(), v.map(|v| v.to_vec())))
        .collect()
}

fn commit(s: &Storage, version: u64, w: WriteSet) -> [u8; 32] {
    let p = s.prepare(version, w).unwrap();
    let root = p.root.0;
    s.commit(p).unwrap();
    root
}

fn temp(keep_recent: u64) -> Storage {
    Storage::open(
        Arc::new(SledKv::temporary().unwrap()),
        StorageConfig {
            keep_recent,
            ..Default::default()
        },
    )
    .unwrap()
}

#[test]
fn versions_are_readable_at_past_heights() {
    let s = temp(0);
    commit(&s, 0, writes(&[(b"a", Some(b"1")), (b"b\0x", Some(b"2"))]));
    commit(&s, 1, writes(&[(b"a", Some(b"3")), (b"c", Some(b"4"))]));
    commit(&s, 2, writes(&[(b"b\0x", None)]));
    assert_eq!(s.latest_version(), Some(2));
    assert_eq!(s.latest().get(b"a").unwrap(), Some(b"3".to_vec()));
    assert_eq!(s.latest().get(b"b\0x").unwrap(), None);
    let v0 = s.at(0).unwrap();
    assert_eq!(v0.get(b"a").unwrap(), Some(b"1".to_vec()));
    assert_eq!(v0.get(b"c").unwrap(), None);
    let v1 = s.at(1).unwrap();
    let all: Vec<_> = v1.scan(b"", None, false, 10).unwrap();
    assert_eq!(
        all,
        vec![
            (b"a".to_vec(), b"3".to_vec()),
            (b"b\0x".to_vec(), b"2".to_vec()),
            (b"c".to_vec(), b"4".to_vec())
        ]
    );
    let rev: Vec<_> = v1.scan(b"", None, true, 2).unwrap();
    assert_eq!(rev[0].0, b"c".to_vec());
    assert_eq!(rev[1].0, b"b\0x".to_vec());
    let v2 = s.at(2).unwrap();
    assert_eq!(v2.scan(b"", None, false, 10).unwrap().len(), 2);
    assert!(s.at(3).is_err());
}

#[test]
fn proofs_verify_against_the_root() {
    let s = temp(0);
    commit(&s, 0, writes(&[(b"k1", Some(b"v1"))]));
    let root = commit(&s, 1, writes(&[(b"k2", Some(b"v2"))]));
    let (value, proof) = s.get_with_proof(b"k2", 1).unwrap();
    assert_eq!(value, Some(b"v2".to_vec()));
    let spec = jmt::ics23_spec();
    assert!(ics23::verify_membership::<ics23::HostFunctionsManager>(
        &proof,
        &spec,
        &root.to_vec(),
        b"k2",
        b"v2"
    ));
    assert!(!ics23::verify_membership::<ics23::HostFunctionsManager>(
        &proof,
        &spec,
        &root.to_vec(),
        b"k2",
        b"other"
    ));
    let (none, absent) = s.get_with_proof(b"zz", 1).unwrap();
    assert!(none.is_none());
    assert!(ics23::verify_non_membership::<ics23::HostFunctionsManager>(
        &absent,
        &spec,
        &root.to_vec(),
        b"zz"
    ));
}

#[test]
fn same_writes_give_the_same_root_and_order_does_not_matter() {
    let a = temp(0);
    let b = temp(0);
    let ra = commit(&a, 0, writes(&[(b"x", Some(b"1")), (b"y", Some(b"2"))]));
    let rb = commit(&b, 0, writes(&[(b"y", Some(b"2")), (b"x", Some(b"1"))]));
    assert_eq!(ra, rb);
    let rc = commit(&a, 1, writes(&[(b"x", Some(b"9"))]));
    assert_ne!(ra, rc);
}

#[test]
fn pruning_drops_old_versions_but_keeps_recent_ones() {
    let s = temp(2);
    for v in 0..6u64 {
        commit(
            &s,
            v,
            writes(&[(b"k", Some(&v.to_be_bytes())), (b"const", Some(b"c"))]),
        );
    }
    // Versions 4 and 5 are kept.
    assert!(s.at(3).is_err());
    assert_eq!(
        s.at(4).unwrap().get(b"k").unwrap(),
        Some(4u64.to_be_bytes().to_vec())
    );
    assert_eq!(s.at(4).unwrap().get(b"const").unwrap(), Some(b"c".to_vec()));
    assert!(s.root_hash(4).is_ok());
    let (v, _) = s.get_with_proof(b"k", 4).unwrap();
    assert_eq!(v, Some(4u64.to_be_bytes().to_vec()));
}

#[test]
fn reopening_resumes_at_the_committed_version() {
    let dir = tempfile::tempdir().unwrap();
    let root = {
        let s = Storage::open(
            Arc::new(SledKv::open(dir.path()).unwrap()),
            StorageConfig::default(),
        )
        .unwrap();
        commit(&s, 0, writes(&[(b"k", Some(b"v"))]));
        let r = commit(&s, 1, writes(&[(b"k", Some(b"w"))]));
        // A prepared but uncommitted version is simply lost, as after a crash.
        let _lost = s.prepare(2, writes(&[(b"k", Some(b"lost"))])).unwrap();
        r
    };
    let s = Storage::open(
        Arc::new(SledKv::open(dir.path()).unwrap()),
        StorageConfig::default(),
    )
    .unwrap();
    assert_eq!(s.latest_version(), Some(1));
    assert_eq!(s.root_hash(1).unwrap().0, root);
    assert_eq!(s.latest().get(b"k").unwrap(), Some(b"w".to_vec()));
}

#[test]
fn a_store_reopens_right_after_its_last_handle_drops() {
    // sled's background threads may still hold the file lock briefly after a drop; opening
    // must wait for them rather than fail (this flaked in CI before the retry).
    let dir = tempfile::tempdir().unwrap();
    for round in 0u64..20 {
        let kv = SledKv::open(dir.path()).unwrap();
        kv.write_batch(vec![(
            b"round".to_vec(),
            Some(round.to_be_bytes().to_vec()),
        )])
        .unwrap();
    }
    let kv = SledKv::open(dir.path()).unwrap();
    assert_eq!(
        kv.get(b"round").unwrap(),
        Some(19u64.to_be_bytes().to_vec())
    );
}

#[test]
fn a_store_held_by_a_live_handle_is_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let _held = SledKv::open(dir.path()).unwrap();
    let err = SledKv::open(dir.path())
        .err()
        .expect("second open must fail");
    assert!(err.to_string().contains("another deaid"), "{err}");
}

#[test]
fn pruning_reads_per_version_index_rows_and_the_per_entry_rows_of_older_stores() {
    let kv = Arc::new(SledKv::temporary().unwrap());
    let s = Storage::open(
        kv.clone(),
        StorageConfig {
            keep_recent: 2,
            ..Default::default()
        },
    )
    .unwrap();
    for v in 0..4u64 {
        commit(
            &s,
            v,
            writes(&[(b"a", Some(&[v as u8])), (b"b", Some(b"x"))]),
        );
    }
    // Rows as a store written before per-version index rows holds them: one per entry,
    // version 3, each naming a row that pruning must delete.
    let fake_node = layout::table(layout::NODE, b"fake-node");
    let fake_history = layout::history(b"legacy", 0);
    let mut s_row = layout::table(layout::STALE_NODE, &3u64.to_be_bytes());
    s_row.extend_from_slice(b"fake-node");
    let mut x_row = layout::table(layout::STALE_HISTORY, &3u64.to_be_bytes());
    x_row.extend_from_slice(&fake_history);
    kv.write_batch(vec![
        (fake_node.clone(), Some(b"n".to_vec())),
        (fake_history.clone(), Some(vec![1, 7])),
        (s_row, Some(Vec::new())),
        (x_row, Some(Vec::new())),
    ])
    .unwrap();
    for v in 4..6u64 {
        commit(&s, v, writes(&[(b"a", Some(&[v as u8]))]));
    }
    assert_eq!(kv.get(&fake_node).unwrap(), None);
    assert_eq!(kv.get(&fake_history).unwrap(), None);
    // Kept versions 4 and 5 read; the superseded history of `a` is gone, `b`'s stays live.
    let a_rows = kv
        .range(&layout::history_key_prefix(b"a"), None, false, usize::MAX)
        .unwrap()
        .into_iter()
        .take_while(|(k, _)| k.starts_with(&layout::history_key_prefix(b"a")))
        .count();
    assert_eq!(a_rows, 2);
    assert_eq!(s.at(4).unwrap().get(b"a").unwrap(), Some(vec![4]));
    assert_eq!(s.at(4).unwrap().get(b"b").unwrap(), Some(b"x".to_vec()));
    // No index row older than the earliest kept version is left.
    for t in [layout::STALE_NODE, layout::STALE_HISTORY] {
        let rows = kv.range(&[t], Some(&[t + 1]), false, usize::MAX).unwrap();
        assert!(!rows.is_empty());
        assert!(rows.iter().all(|(k, _)| k[1..9] >= 4u64.to_be_bytes()[..]));
    }
}

/// Every row of a store, in key order.
fn all_rows(kv: &dyn KvStore) -> Vec<(Vec<u8>, Vec<u8>)> {
    kv.range(b"", None, false, usize::MAX).unwrap()
}

#[test]
fn a_commit_told_what_execution_read_writes_the_rows_of_one_that_reads_them_itself() {
    // Same blocks on two pruning stores: `plain` commits with `prepare` (Commit reads each
    // written key's row), `told` reads some keys through a block's view first, as
    // FinalizeBlock does, and commits with `prepare_after`.
    let open = || {
        let kv = Arc::new(SledKv::temporary().unwrap());
        let config = StorageConfig {
            keep_recent: 3,
            ..Default::default()
        };
        (kv.clone(), Storage::open(kv, config).unwrap())
    };
    let (plain_kv, plain) = open();
    let (told_kv, told) = open();
    let mut seed = 7u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        seed >> 33
    };
    for v in 0..12u64 {
        // Keys 0..16: new, rewritten, deleted and created again across the versions.
        let mut w = WriteSet::new();
        for _ in 0..6 {
            let k = vec![b'k', (next() % 16) as u8];
            let value = (next() % 4 != 0).then(|| v.to_be_bytes().to_vec());
            w.insert(k, value);
        }
        let view = told.latest_for_block();
        for k in 0..16u8 {
            // Half the written keys and some keys that are not written are read.
            if next() % 2 == 0 {
                view.get(&[b'k', k]).unwrap();
            }
        }
        let p = told
            .prepare_after(v, w.clone(), view.take_read_versions())
            .unwrap();
        let told_root = p.root.0;
        told.commit(p).unwrap();
        assert_eq!(commit(&plain, v, w), told_root, "version {v}");
        assert_eq!(all_rows(&*plain_kv), all_rows(&*told_kv), "version {v}");
    }
    assert!(told.at(9).unwrap().get(b"k\x01").is_ok());
}

#[test]
fn only_a_blocks_view_keeps_the_versions_it_read() {
    let s = temp(0);
    commit(&s, 0, writes(&[(b"a", Some(b"1"))]));
    commit(&s, 1, writes(&[(b"b", Some(b"2"))]));
    let block = s.latest_for_block();
    block.get(b"a").unwrap();
    block.get(b"b").unwrap();
    block.get(b"none").unwrap();
    let read = block.take_read_versions();
    let expected: ReadVersions = [
        (b"a".to_vec(), Some(0)),
        (b"b".to_vec(), Some(1)),
        (b"none".to_vec(), None),
    ]
    .into_iter()
    .collect();
    assert_eq!(read, expected);
    assert!(block.take_read_versions().is_empty(), "taken once");
    let query = s.latest();
    query.get(b"a").unwrap();
    assert!(query.take_read_versions().is_empty());
}
