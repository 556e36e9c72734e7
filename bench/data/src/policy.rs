//! The access check the provider's artifact server runs for part 3, and the grantee's
//! signed download requests it checks.
//!
//! worker/data's grant-checking `GrantPolicy` has not landed; until it does, the check is
//! [`SignatureCheck`]: the signed request parsed from its header and verified
//! (`SignedRequest::verify` through a `ReplayGuard`), with no grant lookup.

use std::sync::Mutex;

use anyhow::{anyhow, Result};
use deai_worker_artifacts::access::AccessFuture;
use deai_worker_artifacts::{AccessDenied, AccessPolicy, AccessRequest};
use deai_worker_data::{DownloadRequest, ReplayGuard, SignedRequest, DOWNLOAD_HEADER};
use k256::ecdsa::SigningKey;

pub const CHAIN_ID: &str = deai_bench_common::exec::CHAIN_ID;
/// The chain height the server sees, and the height every request is signed at.
pub const HEIGHT: u64 = 1_000;
/// Heights a request may lag or lead the server's view.
pub const MAX_HEIGHT_SKEW: u64 = 20;
/// The dataset every request names.
pub const DATASET_ID: u64 = 1;

/// The check's name in table rows.
pub const SHORT: &str = "signature check";

/// What part 3's report says the check was.
pub fn label() -> &'static str {
    "signature only: SignedRequest::verify + ReplayGuard (GrantPolicy not in worker/data yet)"
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

    /// The header value of a request for grant `grant_id`. Signatures are deterministic
    /// (RFC 6979), so each request names its own grant to stay fresh for the replay guard.
    pub fn header(&self, grant_id: u64) -> Result<String> {
        let signed = DownloadRequest {
            chain_id: CHAIN_ID.into(),
            dataset_id: DATASET_ID,
            grant_id,
            height: HEIGHT,
        }
        .sign(&self.key)
        .map_err(|e| anyhow!("signing: {e}"))?;
        Ok(signed.to_header_value())
    }
}

/// Admits a request carrying a valid, fresh signed download request; looks up no grant.
pub struct SignatureCheck {
    guard: Mutex<ReplayGuard>,
}

impl SignatureCheck {
    pub fn new(replay_capacity: usize) -> Self {
        Self {
            guard: Mutex::new(ReplayGuard::new(replay_capacity)),
        }
    }

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
            .verify(&signed, MAX_HEIGHT_SKEW, HEIGHT)
            .map_err(|e| AccessDenied::unauthorized(e.to_string()))?;
        Ok(())
    }
}

impl AccessPolicy for SignatureCheck {
    fn check<'a>(&'a self, request: &'a AccessRequest) -> AccessFuture<'a> {
        Box::pin(async move { self.decide(request) })
    }
}
