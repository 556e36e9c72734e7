//! The artifact server over real loopback HTTP.

use std::sync::Arc;

use bytes::Bytes;
use deai_worker_artifacts::access::AccessFuture;
use deai_worker_artifacts::{
    bind_loopback, router, serve, AccessDenied, AccessPolicy, AccessRequest, Client, ClientError,
    OpenAccess, Operation, Store,
};
use deai_worker_jobs::Digest;

async fn start(store: Arc<Store>, access: Arc<dyn AccessPolicy>) -> Client {
    let listener = bind_loopback(0).await.unwrap();
    let addr = listener.local_addr().unwrap();
    assert!(addr.ip().is_loopback());
    tokio::spawn(serve(listener, router(store, access)));
    Client::new(&format!("http://{addr}"), 1 << 20).unwrap()
}

fn tmp_is_empty(store: &Store) -> bool {
    std::fs::read_dir(store.root().join("tmp")).unwrap().count() == 0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_get_head_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), 1 << 20).unwrap());
    let client = start(store.clone(), Arc::new(OpenAccess)).await;
    let blob = Bytes::from_static(b"weights");
    let d = client.put(blob.clone()).await.unwrap();
    assert_eq!(d, Digest::of(b"weights"));
    assert_eq!(client.get(&d).await.unwrap(), blob);
    assert_eq!(client.head(&d).await.unwrap(), Some(7));
    assert_eq!(client.head(&Digest::of(b"nothing")).await.unwrap(), None);
    let e = client.get(&Digest::of(b"nothing")).await.unwrap_err();
    assert!(
        matches!(e, ClientError::Status { status, .. } if status == 404),
        "{e}"
    );

    let other = tempfile::tempdir().unwrap();
    let local = Store::open(other.path(), 1 << 20).unwrap();
    client.fetch_into(&d, &local).await.unwrap();
    assert!(local.contains(&d));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_rejects_a_blob_whose_bytes_do_not_match_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), 1 << 20).unwrap());
    let client = start(store.clone(), Arc::new(OpenAccess)).await;
    let claimed = Digest::of(b"the real model");
    let e = client
        .put_as(&claimed, Bytes::from_static(b"a poisoned model"))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ClientError::Status { status, .. } if status == 400),
        "{e}"
    );
    assert!(!store.contains(&claimed));
    assert!(!store.contains(&Digest::of(b"a poisoned model")));
    assert!(tmp_is_empty(&store));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_puts_of_one_blob_all_succeed_and_leave_one_intact_copy() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), 1 << 20).unwrap());
    let client = start(store.clone(), Arc::new(OpenAccess)).await;
    let blob: Bytes = (0..200_000u32)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<_>>()
        .into();
    let d = Digest::of(&blob);
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (c, b) = (client.clone(), blob.clone());
            tokio::spawn(async move { c.put(b).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), d);
    }
    assert_eq!(client.get(&d).await.unwrap(), blob);
    assert_eq!(std::fs::read(store.blob_path(&d)).unwrap(), blob);
    assert!(tmp_is_empty(&store));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_blobs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), 1000).unwrap());
    let client = start(store.clone(), Arc::new(OpenAccess)).await;
    let e = client.put(Bytes::from(vec![1u8; 1001])).await.unwrap_err();
    assert!(
        matches!(e, ClientError::Status { status, .. } if status == 413),
        "{e}"
    );
    assert!(tmp_is_empty(&store));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_refuses_a_download_that_does_not_match_its_hash() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), 1 << 20).unwrap());
    let client = start(store.clone(), Arc::new(OpenAccess)).await;
    let d = client.put(Bytes::from_static(b"dataset")).await.unwrap();
    // Corrupt the blob on the server's disk.
    std::fs::write(store.blob_path(&d), b"datasex").unwrap();
    let e = client.get(&d).await.unwrap_err();
    assert!(matches!(e, ClientError::HashMismatch { .. }), "{e}");
}

/// A stand-in for the future on-chain grant check: reads allowed, writes need a header.
struct WritersOnly;

impl AccessPolicy for WritersOnly {
    fn check<'a>(&'a self, r: &'a AccessRequest) -> AccessFuture<'a> {
        Box::pin(async move {
            if r.operation == Operation::Write && !r.headers.contains_key("x-deai-account") {
                return Err(AccessDenied::forbidden("writes need a signed request"));
            }
            Ok(())
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_access_policy_decides_each_request() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), 1 << 20).unwrap());
    let client = start(store.clone(), Arc::new(WritersOnly)).await;
    let e = client.put(Bytes::from_static(b"x")).await.unwrap_err();
    assert!(
        matches!(e, ClientError::Status { status, .. } if status == 403),
        "{e}"
    );
    store.put_bytes(None, b"x").unwrap();
    assert_eq!(
        client.get(&Digest::of(b"x")).await.unwrap(),
        Bytes::from_static(b"x")
    );
}

/// Refuses reads without `x-test: ok` as 401 and with another value as 403; writes are 503.
struct HeaderGate;

impl AccessPolicy for HeaderGate {
    fn check<'a>(&'a self, r: &'a AccessRequest) -> AccessFuture<'a> {
        Box::pin(async move {
            if r.operation == Operation::Write {
                return Err(AccessDenied::unavailable("try later"));
            }
            match r.headers.get("x-test").map(|v| v.as_bytes()) {
                None => Err(AccessDenied::unauthorized("no header")),
                Some(b"ok") => Ok(()),
                Some(_) => Err(AccessDenied::forbidden("not yours")),
            }
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_carry_their_status_and_the_client_sends_its_headers() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), 1 << 20).unwrap());
    let d = store.put_bytes(None, b"secret").unwrap().digest;
    let client = start(store.clone(), Arc::new(HeaderGate)).await;
    let status = |e: ClientError| match e {
        ClientError::Status { status, .. } => status.as_u16(),
        e => panic!("{e}"),
    };
    assert_eq!(status(client.get(&d).await.unwrap_err()), 401);
    let wrong = client.clone().with_header("x-test", "no").unwrap();
    assert_eq!(status(wrong.get(&d).await.unwrap_err()), 403);
    let ok = client.clone().with_header("x-test", "ok").unwrap();
    assert_eq!(ok.get(&d).await.unwrap(), Bytes::from_static(b"secret"));
    assert_eq!(
        status(ok.put(Bytes::from_static(b"y")).await.unwrap_err()),
        503
    );
    assert!(client.clone().with_header("bad header", "x").is_err());
}
