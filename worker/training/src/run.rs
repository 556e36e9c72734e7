//! The loop both daemons share: a tick (read the chain, do what the round asks for now)
//! after every training event of the chain (EventRoundStarted, EventBaseReady,
//! EventUpdateRevealed, EventEpoch, EventAuditOpened, ... over the shared [`Watch`]: the
//! websocket, or its polling fallback) and at least every `poll` (the fallback when events
//! are missed). SIGTERM / SIGINT cancel the token: a running job stops at its next step
//! boundary, the state is saved, and the loop returns.

use std::time::Duration;

use deai_client::events::ChainEvent;
use deai_worker_daemon::{one_line, Watch};
use tokio_util::sync::CancellationToken;

use crate::engine::CancelFlag;

/// The prefix of the training module's typed events.
pub const EVENT_PREFIX: &str = "deai.training.v1.";

/// The training events of one delivery (their kinds): any of them wakes the daemon up.
pub fn training_events(ev: &ChainEvent) -> Vec<String> {
    ev.events
        .iter()
        .filter(|e| e.kind.starts_with(EVENT_PREFIX))
        .map(|e| e.kind.clone())
        .collect()
}

/// A daemon driven by ticks.
#[allow(async_fn_in_trait)]
pub trait Ticking {
    /// What it is, for logs.
    fn name(&self) -> &'static str;
    /// Raised on shutdown (stops a running job at a step boundary).
    fn cancel_flag(&self) -> CancelFlag;
    async fn tick(&mut self) -> anyhow::Result<()>;
    /// Saves the state one last time.
    fn stop(&mut self);
}

/// Runs `d` until `shutdown` is cancelled.
pub async fn run<D: Ticking>(
    mut d: D,
    node_url: &str,
    poll: Duration,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let flag = d.cancel_flag();
    {
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            shutdown.cancelled().await;
            flag.cancel();
        });
    }
    // The watch runs on its own task, so that a slow (re)subscription never waits for a
    // tick nor a tick for it; a delivery with training events wakes the loop (coalesced).
    let (wake, mut woken) = tokio::sync::mpsc::channel::<()>(1);
    let watcher = {
        let mut watch = Watch::new(node_url, shutdown.clone(), training_events);
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            while !shutdown.is_cancelled() {
                let kinds = watch.next().await;
                if !kinds.is_empty() {
                    tracing::debug!(?kinds, "training events");
                    let _ = wake.try_send(());
                }
            }
            watch.shutdown().await;
        })
    };
    let mut every = tokio::time::interval(poll);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(daemon = d.name(), "running");
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = woken.recv() => {}
            _ = every.tick() => {}
        }
        if shutdown.is_cancelled() {
            break;
        }
        if let Err(e) = d.tick().await {
            if shutdown.is_cancelled() {
                break;
            }
            tracing::warn!(daemon = d.name(), error = %one_line(&e), "tick failed; retrying");
        }
    }
    tracing::info!(daemon = d.name(), "shutting down");
    let _ = tokio::time::timeout(Duration::from_secs(5), watcher).await;
    d.stop();
    tracing::info!(daemon = d.name(), "stopped");
    Ok(())
}
