//! deai's client for a CometBFT node's RPC.
//!
//! - [`HttpClient`]: JSON-RPC calls over HTTP or HTTPS. It implements
//!   [`tendermint_rpc::Client`], so every call (`status`, `abci_query`, `broadcast_tx_sync`,
//!   `tx`, `tx_search`, `block_results`, …) returns tendermint-rpc's types, in CometBFT
//!   v0.38's dialect.
//! - [`ws::subscribe`]: one event subscription on the node's `/websocket`.
//!
//! Every answer is treated as untrusted input: bodies and messages have size limits, calls
//! have a timeout, and a silent websocket is dropped.

pub mod http;
pub mod url;
pub mod ws;

pub use http::HttpClient;
/// The TLS library of [`HttpClient::with_tls`].
pub use rustls;
pub use tendermint_rpc::{Client, Error};

#[cfg(test)]
mod tests;
