//! The compute provider daemon behind `deai-worker provider start`, without libtorch: it
//! registers the provider, bids on the open orders it can run, runs the jobs of the leases
//! it wins (through a [`runner::JobRunner`] that the `deai-worker` binary implements with
//! the deterministic engine), publishes their files in its artifact store and submits the
//! results, answers the audits assigned to it as a verifier, withdraws its earnings, and
//! keeps its progress in a state directory so that a restart resumes without submitting
//! twice. Also the download and chain checks of `deai-worker fetch-result`.
//!
//! - [`daemon`]: the loop; [`bids`], [`leases`], [`audits`]: what it does per topic.
//! - [`chain`]: the chain it reads and writes ([`chain::Chain`], [`chain::NodeChain`]).
//! - [`notices`]: the typed events it acts on; [`watch`]: its event subscriptions.
//! - [`orders`]: which orders it bids on; [`publish`]: the result it submits;
//!   [`remote`]: artifact URIs and untrusted downloads; [`state`]: the state directory.
//! - [`fetch`]: the checks of `fetch-result`.

pub mod audits;
pub mod bids;
pub mod chain;
pub mod daemon;
pub mod fetch;
pub mod leases;
pub mod notices;
pub mod orders;
pub mod publish;
pub mod remote;
pub mod runner;
pub mod state;
pub mod watch;

#[cfg(test)]
mod audit_tests;
#[cfg(test)]
#[test]
fn errors_are_logged_on_one_line_without_backtraces() {
    let e = anyhow::anyhow!("HTTP error\n\nLocation:\n    x.rs:1\n\nStack backtrace:\n  0: f")
        .context("cannot reach node");
    assert_eq!(one_line(&e), "cannot reach node: HTTP error");
}
#[cfg(test)]
mod daemon_tests;

pub use chain::{Chain, Committed, NodeChain, NodeQueries};

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
pub use daemon::{Config, Daemon, Work};
pub use runner::{Answer, AuditStart, CancelFlag, JobRunner};
pub use state::{ProviderState, StateDir};
