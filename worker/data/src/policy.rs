//! The provider's download check: the artifact server's [`AccessPolicy`] for datasets.
//!
//! Writes are always refused (403). A read needs the signed download header
//! ([`DOWNLOAD_HEADER`]); in order, cheapest first:
//!
//! 1. 401 `Unauthorized` (no bytes): no header, a malformed one, another chain id, a height
//!    more than `max_height_skew` blocks from the chain's latest, a bad signature, or a
//!    signature already seen (replay);
//! 2. 503 `Unavailable`: the node could not be asked (the client may retry);
//! 3. 403 `Forbidden` (no bytes): no such grant, a grant of someone else (its grantee is not
//!    the signer's address) or of another dataset, an expired grant (latest height ≥
//!    `expires_at_height`), a refunded one, a dataset this provider does not provide, a
//!    compute-to-data dataset (its data never leaves the provider), or a blob that is not
//!    that dataset's blob in the provider's catalog.
//!
//! A signature enters the [`ReplayGuard`] only once the whole check passed (a stranger's
//! signatures, however many, cannot evict a grantee's), under the guard's lock, so two
//! copies of one request racing each other admit one.
//!
//! Caches: the latest height for `height_ttl` (1 s: far less than the skew window);
//! datasets (their provider and access never change); and only grants that can no longer
//! be refunded (non-encrypted ones, or ones whose key was delivered); expiry is checked
//! against the height on every request, so no cache admits an expired or refunded grant.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use deai_proto::data::v1 as pb;
use deai_worker_artifacts::access::AccessFuture;
use deai_worker_artifacts::{AccessDenied, AccessPolicy, AccessRequest, Operation};
use deai_worker_jobs::Digest;
use tokio::time::Instant;

use crate::chain::GrantSource;
use crate::request::{ReplayGuard, SignedRequest, DOWNLOAD_HEADER};

/// Entries each cache holds at most (cleared when full).
const MAX_CACHED: usize = 4096;

#[derive(Clone, Debug)]
pub struct PolicyConfig {
    /// The chain's id: a request signed for another chain is refused.
    pub chain_id: String,
    /// This provider's account (bech32): only its datasets are served.
    pub provider: String,
    /// How far (in blocks) a request's height may be from the chain's latest. Default 5.
    pub max_height_skew: u64,
    /// Signatures remembered against replay. Default 16384.
    pub replay_capacity: usize,
    /// How long the latest height is reused. Default 1 s.
    pub height_ttl: Duration,
}

impl PolicyConfig {
    pub fn new(chain_id: impl Into<String>, provider: impl Into<String>) -> Self {
        PolicyConfig {
            chain_id: chain_id.into(),
            provider: provider.into(),
            max_height_skew: 5,
            replay_capacity: 16384,
            height_ttl: Duration::from_secs(1),
        }
    }
}

/// Who was admitted, for logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admitted {
    pub grant_id: u64,
    pub dataset_id: u64,
    pub grantee: String,
}

/// The grant check (module docs) over a [`GrantSource`].
pub struct GrantPolicy<S> {
    source: S,
    cfg: PolicyConfig,
    blobs: RwLock<HashMap<u64, Digest>>,
    replay: Mutex<ReplayGuard>,
    height: Mutex<Option<(Instant, u64)>>,
    grants: Mutex<HashMap<u64, pb::Grant>>,
    datasets: Mutex<HashMap<u64, pb::Dataset>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The guarded maps stay consistent even if a holder panicked.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn unavailable(what: &str, e: anyhow::Error) -> AccessDenied {
    tracing::warn!(error = %deai_worker_daemon::one_line(&e), "download check: reading {what}");
    AccessDenied::unavailable(format!("cannot read {what} from the chain; retry"))
}

fn put_bounded<V: Clone>(m: &Mutex<HashMap<u64, V>>, id: u64, v: &V) {
    let mut m = lock(m);
    if m.len() >= MAX_CACHED {
        m.clear();
    }
    m.insert(id, v.clone());
}

impl<S: GrantSource> GrantPolicy<S> {
    /// `blobs`: dataset id → the blob served for it (the catalog's [`crate::Catalog::blobs`]).
    pub fn new(source: S, cfg: PolicyConfig, blobs: HashMap<u64, Digest>) -> Self {
        GrantPolicy {
            replay: Mutex::new(ReplayGuard::new(cfg.replay_capacity)),
            source,
            cfg,
            blobs: RwLock::new(blobs),
            height: Mutex::new(None),
            grants: Mutex::new(HashMap::new()),
            datasets: Mutex::new(HashMap::new()),
        }
    }

    /// Replaces the catalog's blobs (after a publish).
    pub fn set_blobs(&self, blobs: HashMap<u64, Digest>) {
        *self.blobs.write().unwrap_or_else(|e| e.into_inner()) = blobs;
    }

    pub fn config(&self) -> &PolicyConfig {
        &self.cfg
    }

    async fn latest_height(&self) -> Result<u64, AccessDenied> {
        if let Some((at, h)) = *lock(&self.height) {
            if at.elapsed() < self.cfg.height_ttl {
                return Ok(h);
            }
        }
        let h = self
            .source
            .height()
            .await
            .map_err(|e| unavailable("the latest height", e))?;
        *lock(&self.height) = Some((Instant::now(), h));
        Ok(h)
    }

    async fn grant(&self, id: u64) -> Result<Option<pb::Grant>, AccessDenied> {
        if let Some(g) = lock(&self.grants).get(&id) {
            return Ok(Some(g.clone()));
        }
        let g = self
            .source
            .grant(id)
            .await
            .map_err(|e| unavailable("the grant", e))?;
        if let Some(g) = &g {
            // Only a grant that can no longer change (be delivered or refunded) is kept.
            if g.delivery_deadline == 0 || g.delivered_at != 0 {
                put_bounded(&self.grants, id, g);
            }
        }
        Ok(g)
    }

    async fn dataset(&self, id: u64) -> Result<Option<pb::Dataset>, AccessDenied> {
        if let Some(d) = lock(&self.datasets).get(&id) {
            return Ok(Some(d.clone()));
        }
        let d = self
            .source
            .dataset(id)
            .await
            .map_err(|e| unavailable("the dataset", e))?;
        if let Some(d) = &d {
            put_bounded(&self.datasets, id, d);
        }
        Ok(d)
    }

    /// Decides one request (see the module docs): who it admits, or why not.
    pub async fn decide(&self, r: &AccessRequest) -> Result<Admitted, AccessDenied> {
        if r.operation != Operation::Read {
            return Err(AccessDenied::forbidden("this server is read-only"));
        }
        let header = r
            .headers
            .get(DOWNLOAD_HEADER)
            .ok_or_else(|| AccessDenied::unauthorized(format!("missing {DOWNLOAD_HEADER}")))?;
        let header = header
            .to_str()
            .map_err(|_| AccessDenied::unauthorized("malformed download request"))?;
        let signed = SignedRequest::from_header_value(header)
            .map_err(|e| AccessDenied::unauthorized(format!("download request: {e}")))?;
        let req = &signed.request;
        if req.chain_id != self.cfg.chain_id {
            return Err(AccessDenied::unauthorized(
                "download request for another chain",
            ));
        }
        if lock(&self.replay).contains(&signed.signature) {
            return Err(AccessDenied::unauthorized("download request replayed"));
        }
        let height = self.latest_height().await?;
        let signer = signed
            .verify(self.cfg.max_height_skew, height)
            .map_err(|e| AccessDenied::unauthorized(format!("download request: {e}")))?;
        let signer = deai_framework::Address::from_hash20(signer).to_bech32();

        let g = self
            .grant(req.grant_id)
            .await?
            .ok_or_else(|| AccessDenied::forbidden(format!("no grant {}", req.grant_id)))?;
        if g.grantee != signer {
            return Err(AccessDenied::forbidden("the grant is not the signer's"));
        }
        if g.dataset_id != req.dataset_id {
            return Err(AccessDenied::forbidden("the grant is for another dataset"));
        }
        if height >= g.expires_at_height {
            return Err(AccessDenied::forbidden(format!(
                "grant {} expired at height {}",
                g.id, g.expires_at_height
            )));
        }
        if g.refunded {
            return Err(AccessDenied::forbidden(format!(
                "grant {} was refunded",
                g.id
            )));
        }
        let d = self
            .dataset(g.dataset_id)
            .await?
            .ok_or_else(|| AccessDenied::forbidden("no such dataset"))?;
        let provider = d.provider.as_ref().map(|p| p.address.as_str());
        if provider != Some(self.cfg.provider.as_str()) {
            return Err(AccessDenied::forbidden(
                "this provider does not serve that dataset",
            ));
        }
        // Compute-to-data: only jobs run next to the data; its bytes never leave.
        if d.access == pb::Access::ComputeToData as i32 {
            return Err(AccessDenied::forbidden(
                "a compute-to-data dataset is never downloaded",
            ));
        }
        let blob = self
            .blobs
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&d.id)
            .copied();
        if blob != Some(r.digest) {
            return Err(AccessDenied::forbidden("that blob is not the dataset's"));
        }
        lock(&self.replay)
            .check_and_insert(&signed.signature)
            .map_err(|_| AccessDenied::unauthorized("download request replayed"))?;
        Ok(Admitted {
            grant_id: g.id,
            dataset_id: d.id,
            grantee: signer,
        })
    }
}

impl<S: GrantSource> AccessPolicy for GrantPolicy<S> {
    fn check<'a>(&'a self, request: &'a AccessRequest) -> AccessFuture<'a> {
        Box::pin(async move {
            match self.decide(request).await {
                Ok(a) => {
                    tracing::info!(grant = a.grant_id, dataset = a.dataset_id, grantee = %a.grantee, blob = %request.digest, "download admitted");
                    Ok(())
                }
                Err(e) => {
                    tracing::info!(blob = %request.digest, status = e.status.http_status(), reason = %e.message, "download refused");
                    Err(e)
                }
            }
        })
    }
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
