//! The worker's content-addressed artifact store: blobs named by their sha256, written
//! atomically and durably under a per-blob size limit and a total quota, served over
//! HTTP (GET/HEAD/PUT) on loopback with bounded request times and concurrency, and a
//! client that verifies every download as it streams it to disk. Access is decided by
//! an [`AccessPolicy`], the seam where the on-chain grant check plugs in.

pub mod access;
pub mod client;
mod serve;
pub mod server;
pub mod store;
mod writer;

pub use access::{AccessDenied, AccessPolicy, AccessRequest, DenyStatus, OpenAccess, Operation};
pub use client::{Client, ClientError, ClientLimits};
pub use serve::{bind_loopback, serve, serve_with, ServerLimits};
pub use server::router;
pub use store::{AsyncBlobWriter, BlobWriter, PutOutcome, Store, StoreError};
