//! Following the chain: two `deai_client::events` subscriptions (`tm.event='Tx'`, for what
//! txs do; `tm.event='NewBlock'`, for what begin/end_block do), each over the websocket
//! with the polling fallback. A subscription that gives up is re-opened from the height of
//! its last delivery (whose events may come again: every handler must be idempotent),
//! after a pause; a daemon's periodic reconcile covers anything missed in between.
//!
//! The daemon decodes deliveries with its own function (`fn(&ChainEvent) -> Vec<N>`), so
//! every daemon watches the same way and only the notices differ.

use std::time::Duration;

use deai_client::events::{subscribe, ChainEvent, SubscribeOptions, Subscription};
use tokio_util::sync::CancellationToken;

const QUERIES: [&str; 2] = ["tm.event='Tx'", "tm.event='NewBlock'"];
const RETRY: Duration = Duration::from_secs(5);

struct Feed {
    query: &'static str,
    sub: Option<Subscription>,
    /// The height of the last delivery, where a re-opened subscription starts.
    next_height: Option<u64>,
}

/// The decoder of a daemon: the notices it acts on in one delivery.
pub type Decode<N> = fn(&ChainEvent) -> Vec<N>;

pub struct Watch<N> {
    node_url: String,
    cancel: CancellationToken,
    feeds: Vec<Feed>,
    decode: Decode<N>,
}

impl<N> Watch<N> {
    pub fn new(node_url: &str, cancel: CancellationToken, decode: Decode<N>) -> Watch<N> {
        Watch {
            node_url: node_url.to_string(),
            cancel,
            decode,
            feeds: QUERIES
                .iter()
                .map(|q| Feed {
                    query: q,
                    sub: None,
                    next_height: None,
                })
                .collect(),
        }
    }

    async fn open(&self, f: &Feed) -> Option<Subscription> {
        let opts = SubscribeOptions {
            from_height: f.next_height,
            cancel: self.cancel.child_token(),
            ..SubscribeOptions::default()
        };
        match subscribe(&self.node_url, f.query, opts).await {
            Ok(s) => {
                tracing::info!(query = f.query, from = s.start_height(), "subscribed");
                Some(s)
            }
            Err(e) => {
                tracing::warn!(query = f.query, error = %crate::one_line(&e), "subscribing; retrying");
                None
            }
        }
    }

    /// The notices of the next delivery of either subscription (possibly none). Waits; never
    /// fails: errors are logged and the subscription re-opened.
    pub async fn next(&mut self) -> Vec<N> {
        for i in 0..self.feeds.len() {
            if self.feeds[i].sub.is_none() {
                let s = self.open(&self.feeds[i]).await;
                self.feeds[i].sub = s;
            }
        }
        if self.feeds.iter().all(|f| f.sub.is_none()) {
            tokio::select! {
                _ = self.cancel.cancelled() => {}
                _ = tokio::time::sleep(RETRY) => {}
            }
            return Vec::new();
        }
        let (a, b) = self.feeds.split_at_mut(1);
        let (fa, fb) = (&mut a[0], &mut b[0]);
        let (which, item) = tokio::select! {
            item = next_of(&mut fa.sub) => (0, item),
            item = next_of(&mut fb.sub) => (1, item),
        };
        let feed = &mut self.feeds[which];
        match item {
            Some(Ok(ev)) => {
                feed.next_height = Some(ev.height);
                (self.decode)(&ev)
            }
            Some(Err(e)) => {
                tracing::warn!(query = feed.query, error = %crate::one_line(&e), "subscription ended; re-subscribing");
                feed.sub = None;
                Vec::new()
            }
            None => {
                feed.sub = None;
                if !self.cancel.is_cancelled() {
                    tokio::time::sleep(RETRY).await;
                }
                Vec::new()
            }
        }
    }

    pub async fn shutdown(self) {
        for f in self.feeds {
            if let Some(s) = f.sub {
                s.shutdown().await;
            }
        }
    }
}

async fn next_of(sub: &mut Option<Subscription>) -> Option<anyhow::Result<ChainEvent>> {
    match sub {
        Some(s) => s.next().await,
        None => std::future::pending().await,
    }
}
