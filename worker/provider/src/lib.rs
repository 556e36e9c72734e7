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
//! - [`fetch`]: the checks of `fetch-result`; [`c2d`]: compute-to-data orders (bid only on
//!   one's own datasets, run only on local data).

pub mod audits;
pub mod bids;
pub mod c2d;
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
mod daemon_tests;

pub use chain::{Chain, Committed, NodeChain, NodeQueries};

pub use daemon::{Config, Daemon, Work};
/// Errors on one line in logs: the shared daemon scaffolding's.
pub use deai_worker_daemon::one_line;
pub use runner::{Answer, AuditStart, CancelFlag, JobRunner};
pub use state::{ProviderState, StateDir};
