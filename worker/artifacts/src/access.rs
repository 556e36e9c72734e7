//! Who may read or write a blob. [`OpenAccess`] allows every request (public blobs, the
//! worker's own loopback store). A private blob needs a request signed by an account that
//! holds an on-chain access grant: that check (`deai_worker_data::GrantPolicy`) implements
//! [`AccessPolicy`], reading the signed request from the headers and the grant from the
//! chain. A refusal carries its HTTP status ([`DenyStatus`]).

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

/// Why a request was refused, as the server answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyStatus {
    /// 401: no credentials, or ones that do not authenticate (malformed, wrong signature,
    /// stale, replayed).
    Unauthorized,
    /// 403: authenticated, but not allowed this blob.
    Forbidden,
    /// 503: the policy could not decide now (its chain node is unreachable); retry later.
    Unavailable,
}

impl DenyStatus {
    pub fn http_status(self) -> u16 {
        match self {
            DenyStatus::Unauthorized => 401,
            DenyStatus::Forbidden => 403,
            DenyStatus::Unavailable => 503,
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("access denied: {message}")]
pub struct AccessDenied {
    pub status: DenyStatus,
    pub message: String,
}

impl AccessDenied {
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self {
            status: DenyStatus::Unauthorized,
            message: message.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self {
            status: DenyStatus::Forbidden,
            message: message.into(),
        }
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self {
            status: DenyStatus::Unavailable,
            message: message.into(),
        }
    }
}

/// A bare message is a 403, as every refusal was before statuses.
impl From<String> for AccessDenied {
    fn from(message: String) -> Self {
        Self::forbidden(message)
    }
}

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
