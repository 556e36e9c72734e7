//! Who may read or write a blob. Today every request is allowed ([`OpenAccess`]).
//! Later, a private blob will need a request signed by an account that holds an
//! on-chain access grant: that check implements [`AccessPolicy`], reading the account
//! and signature from the request headers and the grant from the chain, and the server
//! needs no other change.

use std::future::Future;
use std::pin::Pin;

use axum::http::HeaderMap;
use deai_worker_jobs::Digest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Read,
    Write,
}

/// What the policy sees of a request.
#[derive(Debug, Clone)]
pub struct AccessRequest {
    pub operation: Operation,
    pub digest: Digest,
    /// The request headers, where a signed request carries its account, timestamp and
    /// signature.
    pub headers: HeaderMap,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("access denied: {0}")]
pub struct AccessDenied(pub String);

pub type AccessFuture<'a> = Pin<Box<dyn Future<Output = Result<(), AccessDenied>> + Send + 'a>>;

/// Decides each request. Asynchronous, because a grant check queries the chain.
pub trait AccessPolicy: Send + Sync + 'static {
    fn check<'a>(&'a self, request: &'a AccessRequest) -> AccessFuture<'a>;
}

/// Allows everything: public blobs, and the worker's own loopback store.
#[derive(Debug, Clone, Copy, Default)]
pub struct OpenAccess;

impl AccessPolicy for OpenAccess {
    fn check<'a>(&'a self, _request: &'a AccessRequest) -> AccessFuture<'a> {
        Box::pin(async { Ok(()) })
    }
}
