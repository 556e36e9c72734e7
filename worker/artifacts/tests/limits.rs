//! The limits that keep the artifact server and client safe from adversarial peers:
//! quota, size limit, request timeouts, concurrency, and verified streaming downloads.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use deai_worker_artifacts::{
    bind_loopback, router, serve_with, Client, ClientError, ClientLimits, OpenAccess, ServerLimits,
    Store,
};
use deai_worker_jobs::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Guards against a hang; never asserted on.
const HANG: Duration = Duration::from_secs(60);

async fn start_with(store: Arc<Store>, limits: ServerLimits) -> (SocketAddr, Client) {
    let listener = bind_loopback(0).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve_with(
        listener,
        router(store, Arc::new(OpenAccess)),
        limits,
    ));
    (
        addr,
        Client::new(&format!("http://{addr}"), 64 << 20).unwrap(),
    )
}

async fn start(store: Arc<Store>) -> (SocketAddr, Client) {
    start_with(store, ServerLimits::default()).await
}

fn tmp_is_empty(store: &Store) -> bool {
    std::fs::read_dir(store.root().join("tmp")).unwrap().count() == 0
}

fn status_of(e: &ClientError) -> Option<u16> {
    match e {
        ClientError::Status { status, .. } => Some(status.as_u16()),
        _ => None,
    }
}

fn blob(seed: u32, len: usize) -> Bytes {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect::<Vec<u8>>()
        .into()
}

/// Reads what the server sends until it closes the connection (or resets it).
async fn read_until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(HANG, read)
        .await
        .expect("the server never closed the connection");
    out
}

fn starts_with(response: &[u8], prefix: &str) -> bool {
    response.starts_with(prefix.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_over_the_quota_is_refused_with_507_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_with_quota(dir.path(), 1000, 1000).unwrap());
    let (_, client) = start(store.clone()).await;
    client.put(blob(1, 600)).await.unwrap();
    let second = blob(2, 600);
    let e = client.put(second.clone()).await.unwrap_err();
    assert_eq!(status_of(&e), Some(507), "{e}");
    assert!(!store.contains(&Digest::of(&second)));
    assert!(tmp_is_empty(&store));
    assert_eq!((store.used_bytes(), store.reserved_bytes()), (600, 0));
    // What fits is still taken.
    client.put(blob(3, 400)).await.unwrap();
    assert_eq!(store.used_bytes(), 1000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_uploads_cannot_exceed_the_quota() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_with_quota(dir.path(), 4000, 10_000).unwrap());
    let (_, client) = start(store.clone()).await;
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let (c, b) = (client.clone(), blob(100 + i, 3000));
            tokio::spawn(async move { (Digest::of(&b), c.put(b).await) })
        })
        .collect();
    let mut stored = 0;
    for t in tasks {
        let (d, r) = t.await.unwrap();
        match r {
            Ok(_) => {
                stored += 1;
                assert!(store.contains(&d));
            }
            Err(e) => {
                assert_eq!(status_of(&e), Some(507), "{e}");
                assert!(!store.contains(&d));
            }
        }
    }
    assert!(
        (1..=3).contains(&stored),
        "{stored} blobs of 3000 bytes stored"
    );
    let on_disk: u64 = walk_blobs(store.root());
    assert_eq!(on_disk, stored * 3000);
    assert!(on_disk <= 10_000);
    assert_eq!(store.used_bytes(), on_disk);
    assert_eq!(store.reserved_bytes(), 0);
    assert!(tmp_is_empty(&store));
}

fn walk_blobs(root: &std::path::Path) -> u64 {
    let mut total = 0;
    for prefix in std::fs::read_dir(root.join("blobs")).unwrap() {
        for b in std::fs::read_dir(prefix.unwrap().path()).unwrap() {
            total += b.unwrap().metadata().unwrap().len();
        }
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_in_flight_holds_its_share_of_the_quota() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_with_quota(dir.path(), 8000, 10_000).unwrap());
    let (addr, client) = start(store.clone()).await;
    let first = blob(7, 6000);
    let mut slow = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT /blobs/{} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 6000\r\n\r\n",
        Digest::of(&first)
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(&first[..100]).await.unwrap();
    // Wait (boundedly) until the server has taken the upload in.
    for _ in 0..600 {
        if store.reserved_bytes() == 6000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(store.reserved_bytes(), 6000);

    let e = client.put(blob(8, 6000)).await.unwrap_err();
    assert_eq!(status_of(&e), Some(507), "{e}");

    slow.write_all(&first[100..]).await.unwrap();
    let response = read_until_closed(&mut slow).await;
    assert!(
        starts_with(&response, "HTTP/1.1 201"),
        "{}",
        String::from_utf8_lossy(&response)
    );
    assert!(store.contains(&Digest::of(&first)));
    assert_eq!((store.used_bytes(), store.reserved_bytes()), (6000, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_is_refused_with_413_even_without_a_declared_length() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), 1000).unwrap());
    let (addr, client) = start(store.clone()).await;
    let e = client.put(blob(1, 1001)).await.unwrap_err();
    assert_eq!(status_of(&e), Some(413), "{e}");

    // Chunked: the limit is enforced as the bytes arrive.
    let big = blob(2, 1200);
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut req = format!(
        "PUT /blobs/{} HTTP/1.1\r\nhost: {addr}\r\ntransfer-encoding: chunked\r\n\r\n",
        Digest::of(&big)
    )
    .into_bytes();
    for part in big.chunks(600) {
        req.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        req.extend_from_slice(part);
        req.extend_from_slice(b"\r\n");
    }
    req.extend_from_slice(b"0\r\n\r\n");
    s.write_all(&req).await.unwrap();
    let response = read_until_closed(&mut s).await;
    assert!(
        starts_with(&response, "HTTP/1.1 413"),
        "{}",
        String::from_utf8_lossy(&response)
    );
    assert!(!store.contains(&Digest::of(&big)));
    assert!(tmp_is_empty(&store));
    assert_eq!(store.reserved_bytes(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickling_put_is_cut_off_with_408_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), 1 << 20).unwrap());
    let limits = ServerLimits {
        request_timeout: Duration::from_millis(300),
        ..ServerLimits::default()
    };
    let (addr, _) = start_with(store.clone(), limits).await;
    let body = blob(3, 1000);
    let stream = TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = stream.into_split();
    let head = format!(
        "PUT /blobs/{} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 1000\r\n\r\n",
        Digest::of(&body)
    );
    wr.write_all(head.as_bytes()).await.unwrap();
    // One byte every 20 ms: the whole body would take 20 s.
    let trickle = tokio::spawn(async move {
        for b in body.iter() {
            if wr.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let mut response = Vec::new();
    let mut buf = [0u8; 1024];
    let read = async {
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => response.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(HANG, read)
        .await
        .expect("the slow upload was never cut off");
    trickle.abort();
    assert!(
        starts_with(&response, "HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&response)
    );
    assert!(tmp_is_empty(&store));
    assert_eq!(store.reserved_bytes(), 0);
    assert_eq!(walk_blobs(store.root()), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_abandoned_midway_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open_with_quota(dir.path(), 1 << 20, 1 << 20).unwrap());
    let (addr, _) = start(store.clone()).await;
    let body = blob(9, 1000);
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT /blobs/{} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 1000\r\n\r\n",
        Digest::of(&body)
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body[..100]).await.unwrap();
    let mut taken_in = false;
    for _ in 0..600 {
        taken_in = store.reserved_bytes() == 1000;
        if taken_in {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(taken_in);
    drop(s);
    let mut cleaned = false;
    for _ in 0..600 {
        cleaned = tmp_is_empty(&store) && store.reserved_bytes() == 0;
        if cleaned {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        cleaned,
        "the temp file or its reservation outlived the upload"
    );
    assert_eq!(walk_blobs(store.root()), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn headers_that_never_finish_are_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), 1 << 20).unwrap());
    let limits = ServerLimits {
        header_timeout: Duration::from_millis(200),
        ..ServerLimits::default()
    };
    let (addr, _) = start_with(store, limits).await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let response = read_until_closed(&mut s).await;
    assert!(
        !starts_with(&response, "HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&response)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_concurrency_limit_get_503_until_a_slot_frees() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), 1 << 20).unwrap());
    store.put_bytes(None, b"model").unwrap();
    let d = Digest::of(b"model");
    let limits = ServerLimits {
        max_concurrent: 2,
        header_timeout: Duration::from_secs(60),
        ..ServerLimits::default()
    };
    let (addr, client) = start_with(store, limits).await;
    // Two peers take both slots and say nothing.
    let holders = [
        TcpStream::connect(addr).await.unwrap(),
        TcpStream::connect(addr).await.unwrap(),
    ];
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET /blobs/{d} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let response = String::from_utf8_lossy(&read_until_closed(&mut s).await).to_lowercase();
    assert!(response.starts_with("http/1.1 503"), "{response}");
    assert!(response.contains("retry-after: 1"), "{response}");
    let e = client.get(&d).await.unwrap_err();
    assert_eq!(status_of(&e), Some(503), "{e}");

    drop(holders);
    let mut served = None;
    for _ in 0..600 {
        match client.get(&d).await {
            Ok(b) => {
                served = Some(b);
                break;
            }
            Err(e) => assert_eq!(status_of(&e), Some(503), "{e}"),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(served.as_deref(), Some(&b"model"[..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_whose_bytes_do_not_match_is_refused_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), 1 << 20).unwrap());
    let (_, client) = start(store.clone()).await;
    let d = client.put(blob(4, 100_000)).await.unwrap();
    let mut corrupt = std::fs::read(store.blob_path(&d)).unwrap();
    corrupt[50_000] ^= 1;
    std::fs::write(store.blob_path(&d), corrupt).unwrap();

    let other = tempfile::tempdir().unwrap();
    let local = Store::open(other.path(), 1 << 20).unwrap();
    let e = client.fetch_into(&d, &local).await.unwrap_err();
    assert!(
        matches!(e, ClientError::HashMismatch { expected, .. } if expected == d),
        "{e}"
    );
    assert!(!local.contains(&d));
    assert!(tmp_is_empty(&local));
    assert_eq!(walk_blobs(local.root()), 0);
    assert_eq!((local.used_bytes(), local.reserved_bytes()), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_of_several_mib_round_trips_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path(), 16 << 20).unwrap());
    let (_, client) = start(store.clone()).await;
    let big = blob(5, (6 << 20) + 12_345);
    let d = client.put(big.clone()).await.unwrap();
    assert_eq!(client.head(&d).await.unwrap(), Some(big.len() as u64));

    let other = tempfile::tempdir().unwrap();
    let local = Store::open(other.path(), 16 << 20).unwrap();
    let out = client.fetch_into(&d, &local).await.unwrap();
    assert!(out.created);
    assert_eq!(out.size, big.len() as u64);
    assert_eq!(std::fs::read(local.blob_path(&d)).unwrap(), big);
    assert!(tmp_is_empty(&local));
    assert_eq!(client.get(&d).await.unwrap(), big);
    // Already present: nothing is downloaded again.
    assert!(!client.fetch_into(&d, &local).await.unwrap().created);
}

#[test]
fn reopening_a_store_removes_temp_files_left_by_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), 1 << 20).unwrap();
    let crashed = dir.path().join("tmp").join("4242-7");
    std::fs::write(&crashed, b"half an upload").unwrap();
    // A writer still in flight in this process holds its temp file.
    let mut live = store.writer(None).unwrap();
    live.write(b"still coming").unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        2
    );

    let reopened = Store::open(dir.path(), 1 << 20).unwrap();
    assert!(!crashed.exists());
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        1
    );
    let out = live.commit().unwrap();
    assert_eq!(
        std::fs::read(reopened.blob_path(&out.digest)).unwrap(),
        b"still coming"
    );
    assert!(tmp_is_empty(&reopened));
}

/// A server that answers one request with `response` and then holds the connection open
/// without sending more.
async fn fake_server(response: Vec<u8>) -> String {
    let listener = bind_loopback(0).await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        if s.write_all(&response).await.is_err() {
            return;
        }
        tokio::time::sleep(HANG * 2).await;
        drop(s);
    });
    format!("http://{addr}")
}

fn patient(max_bytes: u64) -> ClientLimits {
    ClientLimits {
        max_bytes,
        ..ClientLimits::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_length_over_the_clients_limit_is_refused_before_the_body() {
    let d = Digest::of(b"a huge model");
    // The body never comes: a client that waited for it would time out instead.
    let head = b"HTTP/1.1 200 OK\r\ncontent-length: 1073741824\r\n\r\n".to_vec();
    let client = Client::with_limits(&fake_server(head.clone()).await, patient(1 << 20)).unwrap();
    let e = client.get(&d).await.unwrap_err();
    assert!(matches!(e, ClientError::TooLarge(x) if x == d), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let local = Store::open(dir.path(), 1 << 30).unwrap();
    let client = Client::with_limits(&fake_server(head).await, patient(1 << 20)).unwrap();
    let e = client.fetch_into(&d, &local).await.unwrap_err();
    assert!(matches!(e, ClientError::TooLarge(x) if x == d), "{e}");
    assert!(tmp_is_empty(&local));
    assert_eq!(local.reserved_bytes(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undeclared_body_over_the_clients_limit_is_cut_off_and_leaves_no_file() {
    let d = Digest::of(b"a huge model");
    let mut response = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        response.extend_from_slice(b"400\r\n");
        response.extend_from_slice(&[7u8; 0x400]);
        response.extend_from_slice(b"\r\n");
    }
    let dir = tempfile::tempdir().unwrap();
    let local = Store::open(dir.path(), 1 << 30).unwrap();
    let client = Client::with_limits(&fake_server(response).await, patient(2048)).unwrap();
    let e = client.fetch_into(&d, &local).await.unwrap_err();
    assert!(matches!(e, ClientError::TooLarge(x) if x == d), "{e}");
    assert!(tmp_is_empty(&local));
    assert_eq!(walk_blobs(local.root()), 0);
    assert_eq!(local.reserved_bytes(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_download_times_out_and_leaves_no_file() {
    let d = Digest::of(b"a model");
    let mut response = b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n".to_vec();
    response.extend_from_slice(&[1u8; 10]);
    let dir = tempfile::tempdir().unwrap();
    let local = Store::open(dir.path(), 1 << 20).unwrap();
    let limits = ClientLimits {
        idle_timeout: Duration::from_millis(200),
        ..patient(1 << 20)
    };
    let client = Client::with_limits(&fake_server(response).await, limits).unwrap();
    let e = client.fetch_into(&d, &local).await.unwrap_err();
    assert!(matches!(e, ClientError::Timeout { .. }), "{e}");
    assert!(tmp_is_empty(&local));
    assert_eq!(local.reserved_bytes(), 0);
}
