//! The fjall store: the same roots, reads and pruning as sled for the same commits, durable
//! across a reopen, locked against a second process, and never opened as the other store.

use std::sync::Arc;

use deai_framework::state::WriteSet;
use deai_framework::StateRead;

use super::*;

/// Block `v`: 20 new keys, a rewrite of older ones, and a delete from block 3 on.
fn block(v: u64) -> WriteSet {
    let mut w = WriteSet::new();
    for i in 0..20u64 {
        w.insert(
            format!("k{}", v * 20 + i).into_bytes(),
            Some(vec![v as u8, i as u8]),
        );
    }
    for i in 0..5u64.min(v * 20) {
        w.insert(
            format!("k{}", (v * 7 + i * 3) % (v * 20)).into_bytes(),
            Some(vec![v as u8]),
        );
    }
    if v >= 3 {
        w.insert(format!("k{}", v - 3).into_bytes(), None);
    }
    w
}

fn run(kv: Arc<dyn KvStore>, versions: u64) -> (Storage, Vec<[u8; 32]>) {
    let s = Storage::open(
        kv,
        StorageConfig {
            keep_recent: 4,
            ..Default::default()
        },
    )
    .unwrap();
    let roots = (0..versions)
        .map(|v| {
            let p = s.prepare(v, block(v)).unwrap();
            let root = p.root.0;
            s.commit(p).unwrap();
            root
        })
        .collect();
    (s, roots)
}

#[test]
fn fjall_and_sled_give_the_same_roots_reads_and_scans() {
    let (sled, sled_roots) = run(Arc::new(SledKv::temporary().unwrap()), 12);
    let (fjall, fjall_roots) = run(Arc::new(FjallKv::temporary().unwrap()), 12);
    assert_eq!(sled_roots, fjall_roots);
    assert_eq!(
        fjall.earliest_version().unwrap(),
        sled.earliest_version().unwrap()
    );
    for v in [8, 10, 11] {
        let (a, b) = (sled.at(v).unwrap(), fjall.at(v).unwrap());
        for key in ["k0", "k5", "k170", "k219", "k230"] {
            assert_eq!(
                a.get(key.as_bytes()).unwrap(),
                b.get(key.as_bytes()).unwrap()
            );
        }
        for reverse in [false, true] {
            let scan = |view: &VersionView| view.scan(b"k1", Some(b"k2"), reverse, 50).unwrap();
            assert_eq!(scan(&a), scan(&b));
            assert!(!scan(&b).is_empty());
        }
    }
    assert_eq!(
        sled.get_with_proof(b"k200", 11).unwrap().0,
        fjall.get_with_proof(b"k200", 11).unwrap().0
    );
}

#[test]
fn a_fjall_store_reopens_at_its_version_and_refuses_a_second_opener() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state");
    let root = {
        let kv = open_backend("fjall", &path).unwrap();
        let (s, roots) = run(kv, 6);
        assert_eq!(s.latest_version(), Some(5));
        let second = open_backend("fjall", &path).err().unwrap().to_string();
        assert!(second.contains("in use by another process"), "{second}");
        roots[5]
    };
    let s = Storage::open(
        open_backend("fjall", &path).unwrap(),
        StorageConfig::default(),
    )
    .unwrap();
    assert_eq!(s.latest_version(), Some(5));
    assert_eq!(s.root_hash(5).unwrap().0, root);
    assert_eq!(s.latest().get(b"k100").unwrap(), Some(vec![5, 0]));
}

#[test]
fn a_directory_is_opened_only_as_the_store_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let (sled_dir, fjall_dir) = (dir.path().join("s"), dir.path().join("f"));
    drop(open_backend("sled", &sled_dir).unwrap());
    drop(open_backend("fjall", &fjall_dir).unwrap());
    let e = open_backend("fjall", &sled_dir).err().unwrap().to_string();
    assert!(e.contains("holds a sled store"), "{e}");
    let e = open_backend("sled", &fjall_dir).err().unwrap().to_string();
    assert!(e.contains("holds a fjall store"), "{e}");
    let e = open_backend("rocks", &fjall_dir).err().unwrap().to_string();
    assert!(e.contains("expected one of"), "{e}");
}
