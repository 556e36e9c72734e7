//! Event subscriptions for daemons: CometBFT events selected by a query, delivered in chain
//! order, each exactly once, over the node's websocket with a polling fallback.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use deai_client::events::{subscribe, SubscribeOptions};
//! let q = "tm.event='Tx' AND message.action='/cosmos.bank.v1beta1.MsgSend'";
//! let mut sub = subscribe("http://127.0.0.1:26657", q, SubscribeOptions::default()).await?;
//! while let Some(ev) = sub.next().await {
//!     let ev = ev?; // an Err is the last item: the subscription gave up
//!     println!("{} {:?} {:?}", ev.height, ev.tx_hash(), ev.attribute("transfer", "amount"));
//! }
//! # Ok(()) }
//! ```
//!
//! [`subscribe`] is the one entry point. It subscribes on `<rpc>/websocket`; when that cannot
//! connect, or the connection drops, or the consumer falls behind, it polls instead: for each
//! new height it reads `block_results` (and the block, for tx hashes) and filters with the
//! same query semantics as CometBFT ([`Filter`]). After [`SubscribeOptions::websocket_retry`]
//! of polling it tries the websocket again. Every switch resumes from a [`Cursor`] (heights
//! closed, events seen at the open one), and after subscribing it catches up by polling the
//! heights the websocket may have missed, so nothing is lost or delivered twice. With
//! [`SubscribeOptions::from_height`] a restarted daemon replays from a persisted height.
//!
//! Buffers are bounded: at most [`SubscribeOptions::buffer`] events wait for the consumer; a
//! websocket consumer that falls behind is switched to polling, which waits for it.
//! Cancelling [`SubscribeOptions::cancel`] (or [`Subscription::shutdown`], or dropping the
//! subscription) closes the websocket and ends the stream.

mod cursor;
mod filter;
mod source;
mod worker;

use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use deai_rpc::HttpClient;
use tendermint_rpc::Client as _;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

pub use cursor::Cursor;
pub use filter::Filter;
pub use source::{events_of_height, from_rpc_event};

/// One ABCI event: its type and attributes, in emission order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub kind: String,
    pub attributes: Vec<Attribute>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Attribute {
    pub key: String,
    pub value: String,
}

/// What produced a [`ChainEvent`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Source {
    /// A tx (`tm.event='Tx'`): its hash (uppercase hex) and position in the block.
    Tx { hash: String, index: u32 },
    /// A block's FinalizeBlock events (`tm.event='NewBlock'`).
    NewBlock,
}

/// One delivery: all events of one tx, or of one block's FinalizeBlock.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ChainEvent {
    pub height: u64,
    pub source: Source,
    pub events: Vec<Event>,
}

impl ChainEvent {
    pub fn tx_hash(&self) -> Option<&str> {
        match &self.source {
            Source::Tx { hash, .. } => Some(hash),
            Source::NewBlock => None,
        }
    }

    /// Every value of attribute `key` on events of type `kind`, in order.
    pub fn attributes<'a>(
        &'a self,
        kind: &'a str,
        key: &'a str,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.events
            .iter()
            .filter(move |e| e.kind == kind)
            .flat_map(|e| e.attributes.iter())
            .filter(move |a| a.key == key)
            .map(|a| a.value.as_str())
    }

    /// The first value of attribute `key` on an event of type `kind`.
    pub fn attribute(&self, kind: &str, key: &str) -> Option<&str> {
        self.events
            .iter()
            .filter(|e| e.kind == kind)
            .flat_map(|e| e.attributes.iter())
            .find(|a| a.key == key)
            .map(|a| a.value.as_str())
    }
}

/// How events are fetched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Transport {
    /// The websocket, polling while it is unavailable.
    #[default]
    Auto,
    /// Polling only (nodes whose websocket is closed or behind a proxy without upgrades).
    Polling,
}

/// What a subscription is doing now ([`Subscription::mode`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Connecting,
    WebSocket,
    Polling,
    Stopped,
}

#[derive(Clone, Debug)]
pub struct SubscribeOptions {
    pub transport: Transport,
    /// The websocket endpoint; default `<rpc url>/websocket` with a ws(s) scheme.
    pub websocket_url: Option<String>,
    /// The first height whose events are wanted; default: the latest height + 1 (only
    /// events of blocks committed after [`subscribe`] returns).
    pub from_height: Option<u64>,
    /// Events waiting for the consumer, at most.
    pub buffer: usize,
    /// How often polling asks for new blocks.
    pub poll_interval: Duration,
    /// How long to poll after a websocket failure before trying it again.
    pub websocket_retry: Duration,
    /// Connecting and subscribing over the websocket, at most.
    pub connect_timeout: Duration,
    /// Cancel to stop the subscription (a daemon's SIGTERM token).
    pub cancel: CancellationToken,
}

impl Default for SubscribeOptions {
    fn default() -> Self {
        Self {
            transport: Transport::Auto,
            websocket_url: None,
            from_height: None,
            buffer: 256,
            poll_interval: Duration::from_millis(500),
            websocket_retry: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            cancel: CancellationToken::new(),
        }
    }
}

/// A live subscription: a [`futures::Stream`] of events, also readable with
/// [`Subscription::next`]. An `Err` item is the last one.
pub struct Subscription {
    rx: mpsc::Receiver<anyhow::Result<ChainEvent>>,
    cancel: CancellationToken,
    task: tokio::task::JoinHandle<()>,
    mode: Arc<AtomicU8>,
    start_height: u64,
}

impl Subscription {
    pub async fn next(&mut self) -> Option<anyhow::Result<ChainEvent>> {
        self.rx.recv().await
    }

    /// The first height this subscription delivers events of.
    pub fn start_height(&self) -> u64 {
        self.start_height
    }

    pub fn mode(&self) -> Mode {
        mode_from(self.mode.load(Ordering::Relaxed))
    }

    /// Stops the subscription and waits until its connections are closed.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        self.rx.close();
        let _ = (&mut self.task).await;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl futures::Stream for Subscription {
    type Item = anyhow::Result<ChainEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

fn mode_from(v: u8) -> Mode {
    match v {
        1 => Mode::WebSocket,
        2 => Mode::Polling,
        3 => Mode::Stopped,
        _ => Mode::Connecting,
    }
}

fn mode_to(m: Mode) -> u8 {
    match m {
        Mode::Connecting => 0,
        Mode::WebSocket => 1,
        Mode::Polling => 2,
        Mode::Stopped => 3,
    }
}

/// `<rpc>/websocket` with the scheme mapped: http and tcp to ws, https to wss.
pub fn websocket_url(rpc_url: &str) -> String {
    let base = rpc_url.trim_end_matches('/');
    let (scheme, rest) = base.split_once("://").unwrap_or(("http", base));
    let ws = if scheme == "https" { "wss" } else { "ws" };
    format!("{ws}://{rest}/websocket")
}

/// Subscribes to the events `query` selects on the node at `rpc_url` (its CometBFT RPC
/// address, as for [`crate::NodeClient`]). Fails at once on a bad query, or, without
/// [`SubscribeOptions::from_height`], if the node cannot tell its latest height.
pub async fn subscribe(
    rpc_url: &str,
    query: &str,
    opts: SubscribeOptions,
) -> anyhow::Result<Subscription> {
    let filter = Filter::parse(query)?;
    let http = HttpClient::new(rpc_url)
        .map_err(|e| anyhow::anyhow!("invalid node address {rpc_url:?}: {e}"))?;
    let start_height = match opts.from_height {
        Some(h) => h.max(1),
        None => {
            let s = http
                .status()
                .await
                .map_err(|e| anyhow::anyhow!("cannot reach node at {rpc_url}: {e}"))?;
            s.sync_info.latest_block_height.value() + 1
        }
    };
    let ws_url = match opts.transport {
        Transport::Polling => None,
        Transport::Auto => Some(
            opts.websocket_url
                .clone()
                .unwrap_or_else(|| websocket_url(rpc_url)),
        ),
    };
    let (tx, rx) = mpsc::channel(opts.buffer.max(1));
    let mode = Arc::new(AtomicU8::new(mode_to(Mode::Connecting)));
    let cancel = opts.cancel.child_token();
    let w = worker::Worker {
        http,
        ws_url,
        filter,
        cursor: Cursor::starting_at(start_height),
        tx,
        cancel: cancel.clone(),
        mode: mode.clone(),
        opts,
    };
    let task = tokio::spawn(w.run());
    Ok(Subscription {
        rx,
        cancel,
        task,
        mode,
        start_height,
    })
}

impl crate::NodeClient {
    /// [`subscribe`] on this client's node.
    pub async fn subscribe(
        &self,
        query: &str,
        opts: SubscribeOptions,
    ) -> anyhow::Result<Subscription> {
        subscribe(self.url(), query, opts).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_url_from_rpc_url() {
        assert_eq!(
            websocket_url("http://127.0.0.1:26657"),
            "ws://127.0.0.1:26657/websocket"
        );
        assert_eq!(
            websocket_url("tcp://127.0.0.1:26657/"),
            "ws://127.0.0.1:26657/websocket"
        );
        assert_eq!(
            websocket_url("https://rpc.example.org"),
            "wss://rpc.example.org/websocket"
        );
        assert_eq!(websocket_url("node:26657"), "ws://node:26657/websocket");
    }

    #[test]
    fn modes_round_trip() {
        for m in [
            Mode::Connecting,
            Mode::WebSocket,
            Mode::Polling,
            Mode::Stopped,
        ] {
            assert_eq!(mode_from(mode_to(m)), m);
        }
    }
}
