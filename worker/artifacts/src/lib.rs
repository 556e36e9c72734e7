//! The worker's content-addressed artifact store: blobs named by their sha256, written
//! atomically with a size limit, served over HTTP (GET/HEAD/PUT) on loopback, and a
//! client that verifies every download. Access is decided by an [`AccessPolicy`], the
//! seam where the on-chain grant check will plug in.

pub mod access;
pub mod client;
pub mod server;
pub mod store;

pub use access::{AccessDenied, AccessPolicy, AccessRequest, OpenAccess, Operation};
pub use client::{Client, ClientError};
pub use server::{bind_loopback, router, serve};
pub use store::{PutOutcome, Store, StoreError};
