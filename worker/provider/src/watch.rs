//! Following the chain with the shared daemon scaffolding's [`deai_worker_daemon::Watch`]
//! (tx and block event subscriptions, websocket with the polling fallback, re-opened when
//! they end), decoded into the provider's [`Notice`]s.

use tokio_util::sync::CancellationToken;

use crate::notices::{notices, Notice};

pub type Watch = deai_worker_daemon::Watch<Notice>;

/// The provider's subscriptions on the node at `node_url`.
pub fn watch(node_url: &str, cancel: CancellationToken) -> Watch {
    Watch::new(node_url, cancel, notices)
}
