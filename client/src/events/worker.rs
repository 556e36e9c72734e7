//! The task behind a [`super::Subscription`]: websocket first, polling when it fails, each
//! resuming from the shared [`Cursor`].

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use deai_rpc::ws::EventStream;
use deai_rpc::HttpClient;
use tendermint_rpc::Client as _;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::source::{fetch_height, from_rpc_event};
use super::{mode_to, ChainEvent, Cursor, Filter, Mode, SubscribeOptions};

pub(super) struct Worker {
    pub http: HttpClient,
    pub ws_url: Option<String>,
    pub filter: Filter,
    pub cursor: Cursor,
    pub tx: mpsc::Sender<anyhow::Result<ChainEvent>>,
    pub cancel: CancellationToken,
    pub mode: Arc<AtomicU8>,
    pub opts: SubscribeOptions,
}

/// Whether to go on after a step.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    /// Cancelled, or the consumer dropped the subscription.
    Stop,
    Continue,
}

/// How far a catch-up by polling got.
#[derive(Debug, PartialEq, Eq)]
enum CatchUp {
    Stop,
    /// Every height up to the node's latest is delivered, except possibly the latest one
    /// itself when its results were not stored yet (its events are then still to be fired).
    Done,
    /// A height below the latest could not be read (the node is unreachable, say).
    Incomplete,
}

impl Worker {
    pub async fn run(mut self) {
        let r = self.run_inner().await;
        self.set_mode(Mode::Stopped);
        if let Err(e) = r {
            tracing::error!("event subscription stopped: {e:#}");
            // The last item; the consumer may be reading slowly, but not after a cancel.
            tokio::select! {
                _ = self.cancel.cancelled() => {}
                _ = self.tx.send(Err(e)) => {}
            }
        }
    }

    fn set_mode(&self, m: Mode) {
        self.mode.store(mode_to(m), Ordering::Relaxed);
    }

    async fn run_inner(&mut self) -> anyhow::Result<()> {
        loop {
            if let Some(url) = self.ws_url.clone() {
                self.set_mode(Mode::Connecting);
                match self.websocket(&url).await {
                    Ok(Flow::Stop) => return Ok(()),
                    Ok(Flow::Continue) => {}
                    Err(e) if is_fatal(&e) => return Err(e),
                    Err(e) => tracing::warn!("websocket {url} unavailable, polling: {e:#}"),
                }
            }
            self.set_mode(Mode::Polling);
            let until = self
                .ws_url
                .as_ref()
                .map(|_| Instant::now() + self.opts.websocket_retry);
            if self.poll(until).await? == Flow::Stop {
                return Ok(());
            }
        }
    }

    /// Polls every `poll_interval` until `until` (forever without one).
    async fn poll(&mut self, until: Option<Instant>) -> anyhow::Result<Flow> {
        loop {
            if self.catch_up().await? == CatchUp::Stop {
                return Ok(Flow::Stop);
            }
            if until.is_some_and(|t| Instant::now() >= t) {
                return Ok(Flow::Continue);
            }
            tokio::select! {
                _ = self.cancel.cancelled() => return Ok(Flow::Stop),
                _ = tokio::time::sleep(self.opts.poll_interval) => {}
            }
        }
    }

    /// Delivers the matching events of every height from the cursor to the node's latest.
    async fn catch_up(&mut self) -> anyhow::Result<CatchUp> {
        let latest = match self.http.status().await {
            Ok(s) => s.sync_info.latest_block_height.value(),
            Err(e) => {
                tracing::warn!("polling: node unreachable: {e}");
                return Ok(CatchUp::Incomplete);
            }
        };
        while self.cursor.height() <= latest {
            if self.cancel.is_cancelled() {
                return Ok(CatchUp::Stop);
            }
            let h = self.cursor.height();
            let events = match fetch_height(&self.http, h, self.filter.is_tx()).await {
                Ok(v) => v,
                Err(e) if e.to_string().contains("lowest height is") => {
                    return Err(anyhow::anyhow!(
                        "events of height {h} are pruned on this node: {e}"
                    ))
                }
                Err(e) if h == latest => {
                    tracing::debug!("results of the latest height {h} not stored yet: {e}");
                    return Ok(CatchUp::Done);
                }
                Err(e) => {
                    tracing::warn!("polling height {h}: {e:#}");
                    return Ok(CatchUp::Incomplete);
                }
            };
            for ev in events {
                if self.filter.matches(&ev)
                    && self.cursor.admit(&ev)
                    && self.send(ev).await == Flow::Stop
                {
                    return Ok(CatchUp::Stop);
                }
            }
            self.cursor.complete(h);
        }
        Ok(CatchUp::Done)
    }

    async fn send(&self, ev: ChainEvent) -> Flow {
        tokio::select! {
            biased;
            _ = self.cancel.cancelled() => Flow::Stop,
            r = self.tx.send(Ok(ev)) => if r.is_err() { Flow::Stop } else { Flow::Continue },
        }
    }

    /// One websocket session: subscribe, catch up on what it may have missed, then deliver
    /// what it streams until it fails (Continue) or the subscription is cancelled (Stop).
    async fn websocket(&mut self, url: &str) -> anyhow::Result<Flow> {
        // Most of a long replay by polling first, so that little waits in the socket.
        if self.catch_up().await? == CatchUp::Stop {
            return Ok(Flow::Stop);
        }
        let mut sub = tokio::select! {
            _ = self.cancel.cancelled() => return Ok(Flow::Stop),
            r = tokio::time::timeout(
                self.opts.connect_timeout,
                deai_rpc::ws::subscribe(url, self.filter.text()),
            ) => {
                r.map_err(|_| anyhow::anyhow!("no answer within {:?}", self.opts.connect_timeout))??
            }
        };
        self.set_mode(Mode::WebSocket);
        tracing::info!("subscribed on {url} from height {}", self.cursor.height());
        let flow = self.stream(&mut sub).await;
        sub.close().await;
        flow
    }

    async fn stream(&mut self, sub: &mut EventStream) -> anyhow::Result<Flow> {
        match self.catch_up().await? {
            CatchUp::Stop => return Ok(Flow::Stop),
            CatchUp::Incomplete => return Ok(Flow::Continue),
            CatchUp::Done => {}
        }
        loop {
            let item = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return Ok(Flow::Stop),
                item = sub.next() => item,
            };
            let ev = match item {
                None => {
                    tracing::warn!("websocket closed; polling");
                    return Ok(Flow::Continue);
                }
                Some(Err(e)) => {
                    tracing::warn!("websocket error; polling: {e}");
                    return Ok(Flow::Continue);
                }
                Some(Ok(ev)) => ev,
            };
            let ev = match from_rpc_event(ev) {
                Ok(Some(ev)) => ev,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!("undecodable websocket event; polling: {e:#}");
                    return Ok(Flow::Continue);
                }
            };
            if ev.height < self.cursor.height() {
                continue;
            }
            let permit = match self.tx.try_reserve() {
                Ok(p) => p,
                Err(mpsc::error::TrySendError::Full(())) => {
                    tracing::warn!("event consumer is behind; polling until it catches up");
                    return Ok(Flow::Continue);
                }
                Err(mpsc::error::TrySendError::Closed(())) => return Ok(Flow::Stop),
            };
            if self.cursor.admit(&ev) {
                permit.send(Ok(ev));
            }
        }
    }
}

fn is_fatal(e: &anyhow::Error) -> bool {
    let s = e.to_string();
    s.contains("are pruned") || s.contains("invalid websocket address")
}
