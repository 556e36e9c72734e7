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

/// Decodes a node's JSON-RPC answer into tendermint-rpc's type `T`: the one way deai reads
/// an answer. tendermint-rpc decodes base64 fields with subtle-encoding 0.5.1, whose decoder
/// panics on some malformed strings (a slice index out of range: the fuzzer's `rpc-answers`
/// target found it). Such a panic becomes an error here, so a hostile node cannot crash a
/// client; the panic's message still reaches stderr through the panic hook.
pub fn decode<T: tendermint_rpc::response::Response>(answer: impl AsRef<[u8]>) -> Result<T, Error> {
    let answer = answer.as_ref();
    std::panic::catch_unwind(|| T::from_string(answer)).unwrap_or_else(|_| {
        Err(Error::client_internal(
            "the node's answer is malformed: its decoder panicked on it".into(),
        ))
    })
}

#[cfg(test)]
mod tests;
