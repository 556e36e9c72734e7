//! The inference market's worker side, without libtorch:
//!
//! - [`server`]: the inference server daemon behind `deai-worker inference-server start`;
//!   it serves the models of its model directory ([`models`]), answers the requests the
//!   chain assigns to it (zk: with deai-zk proofs bound to each request; optimistic and
//!   redundant: the output), defends its disputed answers (a proof, or re-execution with the
//!   canonical weights), with `--watchdog` challenges other servers' wrong optimistic
//!   answers, and resumes from its state directory ([`state`]) without submitting or
//!   challenging twice;
//! - [`requester`]: `deai-worker request`: submit a request in any mode, wait for its
//!   settlement, and check the answer's proof locally where there is one;
//! - [`chain`]: the chain both read and write ([`chain::Chain`], [`chain::NodeChain`]);
//!   [`notices`]: the typed events the server acts on; [`keydir`]: zk-setup's key
//!   directory and the float weights.
//!
//! Event watching, the state file, ABCI queries and the node connection are the shared
//! daemon scaffolding of `deai-worker-daemon`.

pub mod chain;
pub mod keydir;
pub mod models;
pub mod notices;
pub mod requester;
pub mod server;
pub mod state;

#[cfg(test)]
mod tests;

pub use chain::{Chain, NodeChain};
pub use server::{Config, Server};
