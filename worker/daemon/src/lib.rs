//! What every `deai-worker` daemon (`provider start`, `inference-server start`, `trainer
//! start`, `validator start`) shares, so
//! that there is one implementation of each:
//!
//! - [`state`]: a versioned JSON state file written durably (temp file, fsync, rename,
//!   directory fsync), refused rather than reset when corrupt or newer;
//! - [`watch`]: chain event subscriptions (`tm.event='Tx'` and `tm.event='NewBlock'`, over
//!   `deai_client::events` with its polling fallback), re-opened when they end, decoded by
//!   the daemon's own function;
//! - [`abci`]: gRPC-path queries over the node's CometBFT RPC (one, "not found" as `None`,
//!   paginated lists);
//! - [`node`]: the node URL, connecting a `TxSender` with retries, the node with the key
//!   ([`KeyedNode`]), the keyring passphrase, SIGTERM / SIGINT as a cancellation token;
//! - [`Committed`] (a committed tx as daemons need it), [`events_of_kind`] and
//!   [`typed_events_in`] (typed events of a committed tx), [`one_line`] (errors in logs),
//!   [`parse_coin`] (a coin flag).

pub mod abci;
pub mod node;
pub mod state;
pub mod watch;

use deai_client::TxResponse;
use deai_framework::events::{parse_typed_event, Event};

pub use abci::Abci;
pub use node::KeyedNode;
pub use state::StateFile;
pub use watch::Watch;

/// A committed tx, as a daemon needs it.
#[derive(Clone, Debug, Default)]
pub struct Committed {
    pub txhash: String,
    pub height: String,
    pub code: u32,
    pub codespace: String,
    pub raw_log: String,
    /// The Cosmos JSON shape `[{type, attributes: [{key, value}]}]`.
    pub events: serde_json::Value,
}

impl Committed {
    pub fn ok(&self) -> bool {
        self.code == 0
    }
}

impl From<TxResponse> for Committed {
    fn from(r: TxResponse) -> Self {
        Committed {
            txhash: r.txhash,
            height: r.height,
            code: r.code,
            codespace: r.codespace,
            raw_log: r.raw_log,
            events: r.events,
        }
    }
}

/// One coin from a flag such as `10udeai`.
pub fn parse_coin(s: &str) -> anyhow::Result<deai_framework::Coin> {
    let coins = deai_framework::Coins::parse(s).map_err(|e| anyhow::anyhow!("{s:?}: {}", e.log))?;
    let mut it = coins.iter();
    match (it.next(), it.next()) {
        (Some(c), None) => Ok(c.clone()),
        _ => anyhow::bail!("{s:?}: expected one coin such as 10udeai"),
    }
}

/// An error and its causes on one line, for logs. Some errors (tendermint-rpc's, under
/// `RUST_BACKTRACE`) append a location and a backtrace after a blank line: dropped.
pub fn one_line(e: &anyhow::Error) -> String {
    let full = format!("{e:#}");
    let head = full
        .split("\n\nLocation:")
        .next()
        .unwrap_or_default()
        .split("\n\nStack backtrace:")
        .next()
        .unwrap_or_default();
    head.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The events of a committed tx response (`TxResponse.events`, the Cosmos JSON shape
/// `[{type, attributes: [{key, value}]}]`) of type `kind`.
pub fn events_of_kind(events: &serde_json::Value, kind: &str) -> Vec<Vec<(String, String)>> {
    let Some(list) = events.as_array() else {
        return Vec::new();
    };
    list.iter()
        .filter(|e| e.get("type").and_then(|t| t.as_str()) == Some(kind))
        .map(|e| {
            e.get("attributes")
                .and_then(|a| a.as_array())
                .map(|attrs| {
                    attrs
                        .iter()
                        .filter_map(|a| {
                            Some((
                                a.get("key")?.as_str()?.to_string(),
                                a.get("value")?.as_str()?.to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// The typed events `M` (by proto full name) of a committed tx that decode; others are
/// skipped.
pub fn typed_events_in<M>(events: &serde_json::Value) -> Vec<M>
where
    M: prost_reflect::ReflectMessage + Default,
{
    let kind = M::default().descriptor().full_name().to_string();
    events_of_kind(events, &kind)
        .into_iter()
        .filter_map(|attributes| {
            parse_typed_event::<M>(&Event {
                kind: kind.clone(),
                attributes,
            })
            .ok()
        })
        .collect()
}

#[cfg(test)]
#[test]
fn errors_are_logged_on_one_line_without_backtraces() {
    let e = anyhow::anyhow!("HTTP error\n\nLocation:\n    x.rs:1\n\nStack backtrace:\n  0: f")
        .context("cannot reach node");
    assert_eq!(one_line(&e), "cannot reach node: HTTP error");
}
