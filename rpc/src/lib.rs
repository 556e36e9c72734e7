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
/// client. A panic hook can leave it out of stderr by asking [`decoding`].
pub fn decode<T: tendermint_rpc::response::Response>(answer: impl AsRef<[u8]>) -> Result<T, Error> {
    let answer = answer.as_ref();
    contain(|| T::from_string(answer))
}

thread_local! {
    static DECODING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is inside [`decode`]: a panic now is a malformed answer that
/// `decode` turns into an error, so a process's panic hook need not report it as a bug.
pub fn decoding() -> bool {
    DECODING.with(std::cell::Cell::get)
}

/// Runs `f`, its panic an error, with [`decoding`] true meanwhile.
fn contain<T>(f: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
    let outer = DECODING.with(|d| d.replace(true));
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    DECODING.with(|d| d.set(outer));
    out.unwrap_or_else(|_| {
        Err(Error::client_internal(
            "the node's answer is malformed: its decoder panicked on it".into(),
        ))
    })
}

#[cfg(test)]
mod tests;
