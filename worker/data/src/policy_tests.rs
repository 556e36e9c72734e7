//! GrantPolicy against an in-memory chain, and through the real artifact server.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, HeaderValue};
use deai_proto::data::v1 as pb;
use deai_worker_artifacts::{AccessRequest, DenyStatus, Operation};
use deai_worker_jobs::Digest;
use k256::ecdsa::SigningKey;

use crate::chain::GrantSource;
use crate::policy::{GrantPolicy, PolicyConfig};
use crate::request::{pubkey_address, DownloadRequest, DOWNLOAD_HEADER};

const CHAIN: &str = "deai-test";

#[derive(Default)]
struct Mock {
    height: AtomicU64,
    grants: Mutex<HashMap<u64, pb::Grant>>,
    datasets: Mutex<HashMap<u64, pb::Dataset>>,
    down: AtomicBool,
    grant_reads: AtomicUsize,
}

impl GrantSource for Arc<Mock> {
    async fn height(&self) -> anyhow::Result<u64> {
        anyhow::ensure!(!self.down.load(Ordering::SeqCst), "node down");
        Ok(self.height.load(Ordering::SeqCst))
    }
    async fn grant(&self, id: u64) -> anyhow::Result<Option<pb::Grant>> {
        anyhow::ensure!(!self.down.load(Ordering::SeqCst), "node down");
        self.grant_reads.fetch_add(1, Ordering::SeqCst);
        Ok(self.grants.lock().unwrap().get(&id).cloned())
    }
    async fn dataset(&self, id: u64) -> anyhow::Result<Option<pb::Dataset>> {
        anyhow::ensure!(!self.down.load(Ordering::SeqCst), "node down");
        Ok(self.datasets.lock().unwrap().get(&id).cloned())
    }
}

fn addr(k: &SigningKey) -> String {
    let pk = k.verifying_key().to_encoded_point(true);
    deai_framework::Address::from_hash20(pubkey_address(pk.as_bytes())).to_bech32()
}

fn key(b: u8) -> SigningKey {
    SigningKey::from_slice(&[b; 32]).unwrap()
}

struct World {
    chain: Arc<Mock>,
    policy: Arc<GrantPolicy<Arc<Mock>>>,
    blob: Digest,
    grantee: SigningKey,
}

/// Dataset 3 (encrypted, provided by key 9) with blob `blob`; grant 5 of key 1, expiring at
/// 100, key delivered; grant 6 of key 1 for dataset 4 (another provider's); height 50.
fn world() -> World {
    let chain = Arc::new(Mock::default());
    chain.height.store(50, Ordering::SeqCst);
    let provider = addr(&key(9));
    let grantee = key(1);
    let g = pb::Grant {
        id: 5,
        dataset_id: 3,
        grantee: addr(&grantee),
        created_at: 10,
        expires_at_height: 100,
        wrapped_key: vec![1; 106],
        delivered_at: 12,
        delivery_deadline: 30,
        ..Default::default()
    };
    let g6 = pb::Grant {
        id: 6,
        dataset_id: 4,
        ..g.clone()
    };
    chain.grants.lock().unwrap().extend([(5, g), (6, g6)]);
    let ds = |id: u64, p: &str| pb::Dataset {
        id,
        provider: Some(pb::Provider {
            address: p.into(),
            host_uri: String::new(),
        }),
        access: pb::Access::Encrypted as i32,
        ..Default::default()
    };
    chain
        .datasets
        .lock()
        .unwrap()
        .extend([(3, ds(3, &provider)), (4, ds(4, &addr(&key(8))))]);
    let blob = Digest::of(b"ciphertext");
    let mut blobs = HashMap::new();
    blobs.insert(3, blob);
    blobs.insert(4, Digest::of(b"other"));
    let policy = Arc::new(GrantPolicy::new(
        chain.clone(),
        PolicyConfig::new(CHAIN, provider),
        blobs,
    ));
    World {
        chain,
        policy,
        blob,
        grantee,
    }
}

fn signed_header(k: &SigningKey, chain: &str, dataset: u64, grant: u64, height: u64) -> String {
    DownloadRequest {
        chain_id: chain.into(),
        dataset_id: dataset,
        grant_id: grant,
        height,
    }
    .sign(k)
    .unwrap()
    .to_header_value()
}

fn req(op: Operation, digest: Digest, header: Option<&str>) -> AccessRequest {
    let mut headers = HeaderMap::new();
    if let Some(h) = header {
        headers.insert(DOWNLOAD_HEADER, HeaderValue::from_str(h).unwrap());
    }
    AccessRequest {
        operation: op,
        digest,
        headers,
    }
}

async fn status(w: &World, r: AccessRequest) -> Option<DenyStatus> {
    w.policy.decide(&r).await.err().map(|e| e.status)
}

#[tokio::test]
async fn a_grantees_fresh_request_is_admitted_once() {
    let w = world();
    let h = signed_header(&w.grantee, CHAIN, 3, 5, 49);
    let a = w
        .policy
        .decide(&req(Operation::Read, w.blob, Some(&h)))
        .await
        .unwrap();
    assert_eq!(
        (a.grant_id, a.dataset_id, a.grantee),
        (5, 3, addr(&w.grantee))
    );
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some(&h))).await,
        Some(DenyStatus::Unauthorized),
        "replay"
    );
}

#[tokio::test]
async fn unauthenticated_requests_get_401() {
    let w = world();
    let u = Some(DenyStatus::Unauthorized);
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, None)).await,
        u,
        "no header"
    );
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some("zz"))).await,
        u,
        "not hex"
    );
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some("00ff"))).await,
        u,
        "too short"
    );
    let other_chain = signed_header(&w.grantee, "other-chain", 3, 5, 50);
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some(&other_chain))).await,
        u
    );
    let stale = signed_header(&w.grantee, CHAIN, 3, 5, 40);
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some(&stale))).await,
        u,
        "stale height"
    );
    let future = signed_header(&w.grantee, CHAIN, 3, 5, 60);
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some(&future))).await,
        u
    );
    // A signature over other fields than those sent: flip the grant id in the header.
    let good = signed_header(&w.grantee, CHAIN, 3, 5, 50);
    let mut raw = hex::decode(&good).unwrap();
    let at = 4 + CHAIN.len() + 15;
    raw[at] ^= 3; // grant 5 → 6
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some(&hex::encode(raw)))).await,
        u
    );
    assert_eq!(
        w.chain.grant_reads.load(Ordering::SeqCst),
        0,
        "no grant read before authentication"
    );
}

#[tokio::test]
async fn authenticated_requests_without_the_right_grant_get_403() {
    let w = world();
    let f = Some(DenyStatus::Forbidden);
    let stranger = key(2);
    let h = signed_header(&stranger, CHAIN, 3, 5, 50);
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some(&h))).await,
        f,
        "someone else's grant"
    );
    let h = signed_header(&w.grantee, CHAIN, 3, 77, 50);
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some(&h))).await,
        f,
        "no such grant"
    );
    let h = signed_header(&w.grantee, CHAIN, 4, 5, 50);
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some(&h))).await,
        f,
        "grant of another dataset"
    );
    let h = signed_header(&w.grantee, CHAIN, 4, 6, 50);
    assert_eq!(
        status(&w, req(Operation::Read, Digest::of(b"other"), Some(&h))).await,
        f,
        "another provider's dataset"
    );
    let h = signed_header(&w.grantee, CHAIN, 3, 5, 50);
    assert_eq!(
        status(&w, req(Operation::Read, Digest::of(b"x"), Some(&h))).await,
        f,
        "another blob"
    );
    let h = signed_header(&w.grantee, CHAIN, 3, 5, 50);
    assert_eq!(
        status(&w, req(Operation::Write, w.blob, Some(&h))).await,
        f,
        "writes"
    );
    // A forbidden request does not burn the signature: the right blob is still admitted.
    let h = signed_header(&w.grantee, CHAIN, 3, 5, 51);
    assert_eq!(
        status(&w, req(Operation::Read, Digest::of(b"x"), Some(&h))).await,
        f
    );
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some(&h))).await,
        None
    );
}

#[tokio::test]
async fn expired_and_refunded_grants_get_403_even_after_a_cached_success() {
    let w = world();
    let ok = signed_header(&w.grantee, CHAIN, 3, 5, 50);
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some(&ok))).await,
        None
    );
    w.chain.height.store(100, Ordering::SeqCst);
    // The height is cached for up to a second.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let late = signed_header(&w.grantee, CHAIN, 3, 5, 100);
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some(&late))).await,
        Some(DenyStatus::Forbidden),
        "expired"
    );

    // An undelivered encrypted grant is read afresh every time: its refund shows at once.
    let w = world();
    let reads = |w: &World| w.chain.grant_reads.load(Ordering::SeqCst);
    {
        let mut gs = w.chain.grants.lock().unwrap();
        let g = gs.get_mut(&5).unwrap();
        g.wrapped_key.clear();
        g.delivered_at = 0;
        g.delivery_deadline = 60;
    }
    let h1 = signed_header(&w.grantee, CHAIN, 3, 5, 50);
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some(&h1))).await,
        None
    );
    w.chain.grants.lock().unwrap().get_mut(&5).unwrap().refunded = true;
    let h2 = signed_header(&w.grantee, CHAIN, 3, 5, 51);
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some(&h2))).await,
        Some(DenyStatus::Forbidden),
        "refunded"
    );
    assert_eq!(reads(&w), 2);
}

#[tokio::test]
async fn an_unreachable_node_gets_503_and_the_request_can_be_retried() {
    let w = world();
    w.chain.down.store(true, Ordering::SeqCst);
    let h = signed_header(&w.grantee, CHAIN, 3, 5, 50);
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some(&h))).await,
        Some(DenyStatus::Unavailable)
    );
    w.chain.down.store(false, Ordering::SeqCst);
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some(&h))).await,
        None
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_streams_only_to_the_grantee() {
    use deai_worker_artifacts::{bind_loopback, router, serve, Client, ClientError, Store};
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(dir.path().join("s"), 1 << 20).unwrap());
    let blob = store.put_bytes(None, b"ciphertext").unwrap().digest;
    assert_eq!(blob, w.blob);
    let listener = bind_loopback(0).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(serve(listener, router(store.clone(), w.policy.clone())));
    let code = |e: ClientError| match e {
        ClientError::Status { status, .. } => status.as_u16(),
        e => panic!("{e}"),
    };
    let client = Client::new(&base, 1 << 20).unwrap();
    assert_eq!(code(client.get(&blob).await.unwrap_err()), 401);
    let h = signed_header(&key(2), CHAIN, 3, 5, 50);
    let c = client.clone().with_header(DOWNLOAD_HEADER, &h).unwrap();
    assert_eq!(code(c.get(&blob).await.unwrap_err()), 403);
    let h = signed_header(&w.grantee, CHAIN, 3, 5, 50);
    let c = client.clone().with_header(DOWNLOAD_HEADER, &h).unwrap();
    assert_eq!(&c.get(&blob).await.unwrap()[..], b"ciphertext");
    assert_eq!(code(c.get(&blob).await.unwrap_err()), 401, "replayed");
    assert_eq!(
        code(c.put(bytes::Bytes::from_static(b"y")).await.unwrap_err()),
        403
    );
}

#[tokio::test]
async fn a_compute_to_data_dataset_is_never_served_even_to_its_grantee() {
    let w = world();
    w.chain.datasets.lock().unwrap().get_mut(&3).unwrap().access = pb::Access::ComputeToData as i32;
    let h = signed_header(&w.grantee, CHAIN, 3, 5, 50);
    assert_eq!(
        status(&w, req(Operation::Read, w.blob, Some(&h))).await,
        Some(DenyStatus::Forbidden)
    );
}
