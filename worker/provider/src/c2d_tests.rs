//! Compute-to-data orders in the daemon: only its own datasets' orders are bid on, only on
//! local data outside the served store; others' are skipped; a lease's job never runs (so
//! never fetches) when the data is not local.

use std::sync::atomic::Ordering;

use deai_proto::data::v1 as data_pb;

use super::*;
use crate::c2d::{local_data, refusal};

/// The dataset the test spec names (`"11" × 32`), served by `provider`.
fn dataset(id: u64, provider: &str) -> data_pb::Dataset {
    data_pb::Dataset {
        id,
        content_sha256: vec![0x11; 32],
        provider: Some(data_pb::Provider {
            address: provider.into(),
            host_uri: "https://d.example".into(),
        }),
        access: data_pb::Access::ComputeToData as i32,
        ..Default::default()
    }
}

fn c2d_order(id: u64, dataset_id: u64) -> pb::Order {
    pb::Order {
        dataset_id,
        ..open_order(id, &spec_text())
    }
}

fn bid_orders(chain: &FakeChain) -> Vec<u64> {
    chain
        .sent_of::<pb::MsgCreateBid>()
        .iter()
        .map(|b| b.order_id)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_its_own_local_compute_to_data_orders_are_bid_on() {
    let dir = tempfile::tempdir().unwrap();
    let chain = FakeChain::default();
    let runner = Arc::new(FakeRunner::default());
    chain.with(|l| {
        l.datasets.insert(1, dataset(1, ME));
        l.datasets.insert(2, dataset(2, "deai1someoneelse"));
        l.orders.insert(1, c2d_order(1, 1));
        l.orders.insert(2, c2d_order(2, 2));
        l.orders.insert(3, c2d_order(3, 99));
        l.orders.insert(4, open_order(4, &spec_text()));
    });
    // The data is not here: only the ordinary order gets a bid, and nothing fails.
    let mut d = daemon(&chain, &runner, dir.path(), false);
    d.ensure_registered().await.unwrap();
    d.reconcile().await;
    assert_eq!(bid_orders(&chain), vec![4]);
    assert!(d.refused.contains(&1) && d.refused.contains(&2) && d.refused.contains(&3));

    // Under the dataset roots: its own dataset's order, and never another provider's.
    runner.local.store(true, Ordering::SeqCst);
    let mut d = daemon(&chain, &runner, dir.path(), false);
    d.reconcile().await;
    assert_eq!(bid_orders(&chain), vec![4, 1]);
    d.reconcile().await;
    assert_eq!(bid_orders(&chain), vec![4, 1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compute_to_data_job_runs_only_on_local_data() {
    let dir = tempfile::tempdir().unwrap();
    let chain = FakeChain::default();
    let runner = Arc::new(FakeRunner::default());
    chain.with(|l| {
        l.datasets.insert(1, dataset(1, ME));
        let mut o = c2d_order(1, 1);
        o.state = pb::OrderState::Leased as i32;
        l.orders.insert(1, o);
        l.leases.insert(10, lease(10, 1));
    });
    // The data went away after the bid: the job is not run (the runner would fetch it).
    let mut d = daemon(&chain, &runner, dir.path(), false);
    for _ in 0..3 {
        d.reconcile().await;
        d.drain().await;
    }
    assert_eq!(runner.trained.load(Ordering::SeqCst), 0);
    assert_eq!(d.state().leases[&10].stage, LeaseStage::Failed);
    assert!(d.state().leases[&10]
        .error
        .as_deref()
        .unwrap()
        .contains("never fetched"));

    // With the data here, it runs and publishes only the result's files.
    chain.with(|l| l.leases.insert(11, lease(11, 1)));
    runner.local.store(true, Ordering::SeqCst);
    d.reconcile().await;
    d.drain().await;
    assert_eq!(runner.trained.load(Ordering::SeqCst), 1);
    let sent: Vec<pb::MsgSubmitResult> = chain.sent_of();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].lease_id, 11);
    let data = Digest([0x11; 32]);
    assert!(!d.store.contains(&data), "the data is never published");
}

#[test]
fn refusals_name_the_reason() {
    let o = c2d_order(1, 1);
    assert!(refusal(&o, None, ME).unwrap().contains("not on chain"));
    let theirs = refusal(&o, Some(&dataset(1, "deai1x")), ME).unwrap();
    assert!(theirs.contains("only its provider deai1x"), "{theirs}");
    assert_eq!(refusal(&o, Some(&dataset(1, ME)), ME), None);

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    let runner = FakeRunner::default();
    let spec = crate::publish::tests::spec();
    let mut other = dataset(1, ME);
    other.content_sha256 = vec![0x22; 32];
    assert!(local_data(&spec, &other, &runner, &store)
        .unwrap_err()
        .contains("not dataset 1's content"));
    let e = local_data(&spec, &dataset(1, ME), &runner, &store).unwrap_err();
    assert!(e.contains("not on this machine"), "{e}");
    // In the served store it would be anyone's to download: refused.
    let file = dir.path().join("data.csv");
    std::fs::write(&file, b"x").unwrap();
    let put = store.put_file(&file).unwrap();
    let mut served = spec.clone();
    served.dataset.sha256 = put.digest;
    let mut d = dataset(1, ME);
    d.content_sha256 = put.digest.0.to_vec();
    let e = local_data(&served, &d, &runner, &store).unwrap_err();
    assert!(e.contains("served artifact store"), "{e}");
    runner.local.store(true, Ordering::SeqCst);
    assert_eq!(local_data(&spec, &dataset(1, ME), &runner, &store), Ok(()));
}
