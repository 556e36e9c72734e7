//! The data pools' validator daemon (docs/data.md, "Pool validators"): `deai-worker data
//! pool-validator start` ([`cli::run_cli`]). A named validator of a pool bonds its key,
//! then scores each contribution of the pool's current epoch with the default scorer
//! `accuracy-gain/v1` and sends `MsgScoreContribution`; the chain takes the stake-weighted
//! median and pays or slashes (modules/data).
//!
//! - [`schema`]: the pool's `schema` JSON as the scorer reads it, and the gain → score map;
//! - [`score`]: the scorer on the deterministic engine ([`score_file`] for local use);
//! - [`chain`]: the data module as the daemon reads and writes it ([`chain::NodeChain`]);
//! - [`state`]: the restart-safe record of the scores given;
//! - [`daemon`]: [`run_pool_validator`], the polling loop;
//! - [`cli`]: [`PoolValidatorArgs`] and [`run_cli`].

pub mod chain;
pub mod cli;
pub mod daemon;
pub mod schema;
pub mod score;
pub mod state;

#[cfg(test)]
mod tests;

pub use chain::{Chain, NodeChain};
pub use cli::{run_cli, PoolValidatorArgs};
pub use daemon::{run_pool_validator, Config, PoolValidator};
pub use schema::{gain_score, Schema};
pub use score::{score_file, Outcome};
