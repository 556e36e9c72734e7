//! The access check the provider's artifact server runs in part 3, and the grantee's
//! signed download requests it checks.
//!
//! The check is worker/data's [`GrantPolicy`] over [`MemChain`], an in-memory chain: the
//! data module's real state (datasets published, tokens bought and redeemed into grants by
//! part 1's machinery), read directly instead of over a node's RPC. Each request names a
//! grant of its own (ECDSA signatures are deterministic, so that keeps every request fresh
//! for the replay guard), so the policy's grant cache never hits: every check verifies a
//! signature and reads a grant and, once, its dataset. [`SignatureCheck`] (the signature
//! and replay guard alone) is timed beside it, to show what the grant lookup adds.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Context, Result};
use deai_data::DataRead;
use deai_framework::{Address, MemStore};
use deai_proto::data::v1 as pb;
use deai_worker_artifacts::access::AccessFuture;
use deai_worker_artifacts::{AccessDenied, AccessPolicy, AccessRequest};
use deai_worker_data::{
    pubkey_address, DownloadRequest, GrantPolicy, GrantSource, PolicyConfig, ReplayGuard,
    SignedRequest, DOWNLOAD_HEADER,
};
use deai_worker_jobs::Digest;
use k256::ecdsa::SigningKey;

use crate::gas;

pub const CHAIN_ID: &str = deai_bench_common::exec::CHAIN_ID;

/// The check's name in table rows.
pub const SHORT: &str = "GrantPolicy";

/// What part 3's report says the check was.
pub const LABEL: &str = "deai_worker_data::GrantPolicy over an in-memory chain (the data module's state on a MemStore, no RPC); each request names a new grant, so every check reads its grant";

/// The chain as [`GrantPolicy`] reads it, in memory.
pub struct MemChain {
    store: MemStore,
    height: u64,
}

impl GrantSource for MemChain {
    async fn height(&self) -> anyhow::Result<u64> {
        Ok(self.height)
    }

    async fn grant(&self, id: u64) -> anyhow::Result<Option<pb::Grant>> {
        self.store
            .get_grant(id)
            .map_err(|e| anyhow!("grant {id}: {}", e.log))
    }

    async fn dataset(&self, id: u64) -> anyhow::Result<Option<pb::Dataset>> {
        self.store
            .get_dataset(id)
            .map_err(|e| anyhow!("dataset {id}: {}", e.log))
    }
}

/// The grantee: signs download requests.
pub struct Grantee {
    key: SigningKey,
}

impl Grantee {
    pub fn new() -> Result<Self> {
        let key = SigningKey::from_slice(&[0x42; 32]).map_err(|e| anyhow!("grantee key: {e}"))?;
        Ok(Self { key })
    }

    pub fn address(&self) -> Address {
        let pubkey = self.key.verifying_key().to_encoded_point(true);
        Address::from_hash20(pubkey_address(pubkey.as_bytes()))
    }

    /// The header value of a request for `grant_id` of `dataset_id` at `height`.
    fn header(&self, dataset_id: u64, grant_id: u64, height: u64) -> Result<String> {
        let signed = DownloadRequest {
            chain_id: CHAIN_ID.into(),
            dataset_id,
            grant_id,
            height,
        }
        .sign(&self.key)
        .map_err(|e| anyhow!("signing: {e}"))?;
        Ok(signed.to_header_value())
    }
}

/// Which dataset a request is for.
#[derive(Clone, Copy, Debug)]
pub enum Blob {
    /// The part 2 ciphertext.
    Big,
    /// The 1 KiB blob of the HEAD/GET latencies.
    Tiny,
}

/// Fresh signed headers: each names a grant not named before.
pub struct Headers {
    grantee: Grantee,
    height: u64,
    /// (dataset id, its unused grants) of [`Blob::Big`] and [`Blob::Tiny`].
    unused: [(u64, VecDeque<u64>); 2],
    /// Grant ids past every real one, for [`SignatureCheck`] (which looks none up).
    spare: u64,
}

impl Headers {
    pub fn next(&mut self, blob: Blob) -> Result<String> {
        let (dataset, grants) = &mut self.unused[blob as usize];
        let grant = grants
            .pop_front()
            .with_context(|| format!("no unused grant left for {blob:?}"))?;
        self.grantee.header(*dataset, grant, self.height)
    }

    pub fn spare(&mut self) -> Result<String> {
        self.spare += 1;
        self.grantee
            .header(self.unused[0].0, self.spare, self.height)
    }
}

/// The server's check and the requests it admits.
pub struct Setup {
    pub access: Arc<dyn AccessPolicy>,
    pub signature_only: SignatureCheck,
    pub headers: Headers,
}

/// A chain with `big` grants of the dataset whose blob is `big_blob` and `tiny` grants of
/// the one whose blob is `tiny_blob`, and the [`GrantPolicy`] that reads it.
pub fn setup(big_blob: Digest, big: usize, tiny_blob: Digest, tiny: usize) -> Result<Setup> {
    let grantee = Grantee::new()?;
    let chain = gas::grant_chain(&grantee.address(), &[big, tiny])?;
    let blobs = HashMap::from([
        (chain.datasets[0], big_blob),
        (chain.datasets[1], tiny_blob),
    ]);
    let mut cfg = PolicyConfig::new(CHAIN_ID, gas::provider());
    cfg.replay_capacity = cfg.replay_capacity.max(big + tiny + 16);
    let spare = chain.grants.iter().flatten().copied().max().unwrap_or(0) + 1_000_000;
    let unused = [
        (chain.datasets[0], chain.grants[0].iter().copied().collect()),
        (chain.datasets[1], chain.grants[1].iter().copied().collect()),
    ];
    let height = chain.height;
    let source = MemChain {
        store: chain.store,
        height,
    };
    Ok(Setup {
        access: Arc::new(GrantPolicy::new(source, cfg.clone(), blobs)),
        signature_only: SignatureCheck {
            guard: Mutex::new(ReplayGuard::new(cfg.replay_capacity)),
            max_height_skew: cfg.max_height_skew,
            height,
        },
        headers: Headers {
            grantee,
            height,
            unused,
            spare,
        },
    })
}

/// Admits a request carrying a valid, fresh signed download request; looks up no grant.
pub struct SignatureCheck {
    guard: Mutex<ReplayGuard>,
    max_height_skew: u64,
    height: u64,
}

impl SignatureCheck {
    fn decide(&self, request: &AccessRequest) -> Result<(), AccessDenied> {
        let value = request
            .headers
            .get(DOWNLOAD_HEADER)
            .ok_or_else(|| AccessDenied::unauthorized("no signed download request"))?
            .to_str()
            .map_err(|_| AccessDenied::unauthorized("signed request is not ASCII"))?;
        let signed = SignedRequest::from_header_value(value)
            .map_err(|e| AccessDenied::unauthorized(e.to_string()))?;
        let mut guard = self
            .guard
            .lock()
            .map_err(|_| AccessDenied::unavailable("replay guard poisoned"))?;
        guard
            .verify(&signed, self.max_height_skew, self.height)
            .map_err(|e| AccessDenied::unauthorized(e.to_string()))?;
        Ok(())
    }
}

impl AccessPolicy for SignatureCheck {
    fn check<'a>(&'a self, request: &'a AccessRequest) -> AccessFuture<'a> {
        Box::pin(async move { self.decide(request) })
    }
}
