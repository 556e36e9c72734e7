//! Reaching the node and stopping: the node URL as deaid reads it, a `TxSender` connected
//! with retries until it works or the daemon is stopped, the node with the key
//! ([`KeyedNode`]: queries, height, txs), the `file` keyring's passphrase, and SIGTERM /
//! SIGINT as a cancellation token.

use std::time::Duration;

use cosmos_sdk_proto::Any;
use deai_client::{AccountKey, NodeClient, SendOptions, TxSender};
use tokio_util::sync::CancellationToken;

use crate::{Abci, Committed};

/// A node with a key, as a daemon's `NodeChain` reaches it: one module's queries
/// ([`Abci`], on the sender's node) and txs signed and sent through the `TxSender`.
pub struct KeyedNode {
    pub abci: Abci,
    sender: TxSender,
}

impl KeyedNode {
    /// `service` is the module's query service, e.g. `/deai.training.v1.Query`.
    pub fn new(sender: TxSender, service: &'static str) -> anyhow::Result<Self> {
        Ok(KeyedNode {
            abci: Abci::new(sender.client().url(), service)?,
            sender,
        })
    }

    pub fn sender(&self) -> &TxSender {
        &self.sender
    }

    /// The key's account (bech32).
    pub fn address(&self) -> String {
        self.sender.address().to_bech32()
    }

    /// The node's latest height.
    pub async fn height(&self) -> anyhow::Result<u64> {
        self.abci.client().latest_height().await
    }

    /// Signs, sends and waits for the commit. `Err` when CheckTx refused it or it was not
    /// committed in time; a committed tx that failed has a non-zero `code`.
    pub async fn send(&mut self, msgs: Vec<Any>) -> anyhow::Result<Committed> {
        Ok(self.sender.send_and_wait(msgs).await?.into())
    }
}

/// The node's URL with `tcp://` read as `http://`, as deaid does.
pub fn node_url(node: &str) -> String {
    match node.strip_prefix("tcp://") {
        Some(rest) => format!("http://{rest}"),
        None => node.to_string(),
    }
}

/// The `file` keyring's passphrase: DEAI_KEYRING_PASSPHRASE, else one line of stdin.
pub fn passphrase() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("DEAI_KEYRING_PASSPHRASE") {
        return Ok(p);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    anyhow::ensure!(
        !line.is_empty(),
        "the file keyring needs a passphrase: set DEAI_KEYRING_PASSPHRASE"
    );
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

/// A `TxSender` for `key` on the node, retried every 2 s while the node cannot be reached
/// or the account does not exist yet; `None` when `shutdown` is cancelled first.
pub async fn connect_sender(
    url: &str,
    key: &AccountKey,
    opts: &SendOptions,
    shutdown: &CancellationToken,
) -> Option<TxSender> {
    loop {
        let attempt =
            async { TxSender::new(NodeClient::new(url)?, key.clone(), opts.clone()).await };
        match attempt.await {
            Ok(s) => return Some(s),
            Err(e) => {
                tracing::warn!(error = %crate::one_line(&e), "connecting to the node; retrying")
            }
        }
        tokio::select! {
            _ = shutdown.cancelled() => return None,
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

/// Cancels `token` on SIGTERM or SIGINT (spawned on the current runtime).
pub fn cancel_on_signals(token: CancellationToken) {
    tokio::spawn(async move {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = term => tracing::info!("SIGTERM"),
            _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT"),
        }
        token.cancel();
    });
}
