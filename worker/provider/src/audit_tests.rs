//! An audit's start fetched from untrusted artifact servers: a dead server, a server that
//! serves another result, and a server that withholds the checkpoint are passed over; the
//! answer comes from the first provider that delivers the agreed checkpoint.

use std::sync::Arc;

use deai_proto::compute::v1 as pb;
use deai_worker_artifacts::{bind_loopback, router, serve, OpenAccess, Store};
use deai_worker_jobs::TrainResult;

use crate::audits::compute_answer;
use crate::daemon_tests::{answer_of, FakeRunner};
use crate::publish::tests::{fake_run, spec};
use crate::publish::{publish, RESULT_FILE};
use crate::runner::{CancelFlag, JobRunner};

/// Serves `store` on a free loopback port; returns its base URL.
async fn serve_store(store: Store) -> String {
    let listener = bind_loopback(0).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(
        listener,
        router(Arc::new(store), Arc::new(OpenAccess)),
    ));
    format!("http://{addr}")
}

/// A provider that ran the job and published it in its own store, served at its own URL.
async fn provider(dir: &std::path::Path, name: &str) -> (TrainResult, pb::Result, Store) {
    let out = dir.join(name);
    let r = fake_run(&spec(), &out, 3);
    let store = Store::open(dir.join(format!("{name}-store")), 1 << 20).unwrap();
    let served = Store::open(dir.join(format!("{name}-store")), 1 << 20).unwrap();
    let base = serve_store(served).await;
    let claim = publish(&store, &out, &r, &base).unwrap();
    assert!(out.join(RESULT_FILE).is_file());
    let onchain = pb::Result {
        lease_id: name.len() as u64,
        order_id: 1,
        provider: name.into(),
        checkpoint_hashes: r.checkpoints.iter().map(|c| c.hash.0.to_vec()).collect(),
        artifact_uri: claim.artifact_uri,
        ..Default::default()
    };
    (r, onchain, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_comes_from_the_first_provider_that_delivers_it() {
    let dir = tempfile::tempdir().unwrap();
    let runner: Arc<dyn JobRunner> = Arc::new(FakeRunner::default());
    let (r, honest, _) = provider(dir.path(), "honest").await;
    // Withholds checkpoint 1: its blob is deleted from the store it serves.
    let (_, withholding, store) = provider(dir.path(), "withholding").await;
    std::fs::remove_file(store.blob_path(&r.checkpoints[1].file_sha256)).unwrap();
    // Its server is down.
    let mut dead = honest.clone();
    dead.provider = "dead".into();
    dead.artifact_uri = format!("http://127.0.0.1:1/blobs/{}", r.checkpoints[0].hash);
    // Submitted other checkpoints than the agreed start.
    let mut other = honest.clone();
    other.checkpoint_hashes[1] = vec![7; 32];

    let agreed = r.checkpoints[1].hash.0.to_vec();
    let answer = |results: Vec<pb::Result>| {
        compute_answer(
            runner.clone(),
            spec(),
            1,
            agreed.clone(),
            results,
            CancelFlag::default(),
        )
    };
    let a = answer(vec![
        dead.clone(),
        other.clone(),
        withholding.clone(),
        honest.clone(),
    ])
    .await;
    assert_eq!(a, Ok(Some(answer_of(1))));
    let e = answer(vec![dead, other, withholding]).await.unwrap_err();
    assert!(e.contains("no audited result delivered"), "{e}");

    // Segment 0 and a segment past the run's end need no download at all.
    assert_eq!(answer(vec![]).await.ok(), None);
    let zero = compute_answer(
        runner.clone(),
        spec(),
        0,
        vec![],
        vec![],
        CancelFlag::default(),
    );
    assert_eq!(zero.await, Ok(Some(answer_of(0))));
    let past = compute_answer(
        runner.clone(),
        spec(),
        5,
        vec![],
        vec![],
        CancelFlag::default(),
    );
    assert_eq!(past.await, Ok(None));
}
