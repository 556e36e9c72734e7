//! The training market's worker daemons (docs/training.md, docs/worker.md):
//!
//! - [`trainer`]: `deai-worker trainer start`: trains each round's update on its shard from
//!   the round's base, serves it from its artifact store, commits and reveals it;
//! - [`validator`]: `deai-worker validator start`: scores the revealed updates on held-out
//!   data and commit-reveals its weight row, opens audits, submits the FedAvg aggregate
//!   when drawn ([`aggregate`]) and answers the audits it referees by replay ([`referee`]);
//! - [`chain`]: the chain both read and write ([`chain::Chain`], [`chain::NodeChain`]);
//!   [`rules`]: phases, commit encodings and audit picks; [`scoring`]: the background
//!   scoring of a round's updates; [`job`]: a round's job; [`files`]: the served
//!   store and untrusted downloads; [`engine`]: the engine behind a trait; [`state`]: the
//!   state files; [`run`]: the shared event-and-poll loop.
//!
//! Event watching, the state file, ABCI queries and the node connection are the shared
//! daemon scaffolding of `deai-worker-daemon`; URIs and bounded downloads are the
//! provider's (`deai_worker_provider::remote`), and the artifact store and server are
//! `deai-worker-artifacts`.

pub mod aggregate;
pub mod chain;
pub mod engine;
pub mod files;
pub mod job;
pub mod referee;
pub mod rules;
pub mod run;
pub mod scoring;
pub mod state;
pub mod trainer;
pub mod validator;

#[cfg(test)]
mod tests;

pub use chain::{Chain, NodeChain};
pub use engine::{CancelFlag, Engine, TorchEngine};
pub use files::Files;
pub use trainer::{check_trainer, Trainer, TrainerConfig};
pub use validator::{check_validator, Validator, ValidatorConfig};

/// Both daemons tick the same way: their own `tick`, raising their cancel flag on shutdown
/// and saving their state when they stop.
macro_rules! ticking {
    ($daemon:ident, $name:literal) => {
        impl<C: Chain> run::Ticking for $daemon<C> {
            fn name(&self) -> &'static str {
                $name
            }
            fn cancel_flag(&self) -> CancelFlag {
                $daemon::cancel_flag(self)
            }
            async fn tick(&mut self) -> anyhow::Result<()> {
                $daemon::tick(self).await
            }
            fn stop(&mut self) {
                self.save();
            }
        }
    };
}

ticking!(Trainer, "trainer");
ticking!(Validator, "validator");
