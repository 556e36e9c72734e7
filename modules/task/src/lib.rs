//! task: decentralized task proposing (docs/task.md). A training task is proposed with its
//! reward pool and a deposit ([`ProposeTask`], [`DepositTask`]); once the deposit reaches
//! `min_deposit`, the stake votes on it as on a gov proposal ([`VoteTask`], tallied by
//! `deai_gov::tally::tally_votes`) while the validators check its code through consensus
//! attestation (`deai_attest::request`, job kind TASK_CODE, reported back through
//! [`on_attested`]). Passed and attested, it is launched through the training module's one
//! creation path (`deai_training::create_task`), funded by its pool.
//!
//! Escrow: pools and deposits of the tasks in their deposit or voting period sit in the
//! module account [`MODULE_ACCOUNT`] (moved only through bank's escrow functions), and at
//! every moment its balance equals Σ (pool + total deposit) of those tasks.
//!
//! # Wiring
//! `TaskModule` (a unit struct). Its genesis must come after auth's and bank's (it creates
//! its module account and checks the escrow against bank's balances; it reads no other
//! module's state); its end block after attest's (expiries reported first) and before
//! staking's (the tally sees the bonded set the block started with, as gov's does). The
//! attest module's hooks call [`on_attested`] for jobs whose requester is [`MODULE_NAME`].

mod error;
pub mod events;
mod genesis;
pub mod keeper;
mod lifecycle;
mod msgs;
mod params;
mod query;
pub mod state_key;

pub use error::*;
pub use genesis::{export_proto, import_proto};
pub use keeper::{TaskRead, TaskWrite, MAX_DEPOSITORS, MAX_VOTERS};
pub use lifecycle::{code_spec, on_attested, MAX_TASKS_PER_BLOCK};
pub use msgs::{DepositTask, ProposeTask, UpdateParams, VoteTask, MAX_METRIC_LEN, MAX_TARGET_LEN};
pub use params::{
    Params, MAX_DEPOSIT_DENOMS, MAX_DESCRIPTION_CAP, MAX_EVAL_SPEC_CAP, MAX_PERIOD_BLOCKS,
    MAX_SAMPLE_ROWS_CAP, MAX_TITLE_CAP,
};

use deai_framework::{Ctx, Module, Router, StateRead, StateWrite, TxError};
use deai_proto::task::v1 as pb;

pub const MODULE_NAME: &str = "task";
/// The module account holding pools and deposits (permission `burner`, for vetoed deposits).
pub const MODULE_ACCOUNT: &str = MODULE_NAME;

#[derive(Clone, Copy, Debug, Default)]
pub struct TaskModule;

impl Module for TaskModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn register(&self, router: &mut Router) {
        router.add_msg::<pb::MsgProposeTask, ProposeTask>();
        router.add_msg::<pb::MsgDepositTask, DepositTask>();
        router.add_msg::<pb::MsgVoteTask, VoteTask>();
        router.add_msg::<pb::MsgUpdateParams, UpdateParams>();
        query::register(router);
    }

    fn init_genesis(
        &self,
        state: &mut dyn StateWrite,
        genesis: &serde_json::Value,
    ) -> Result<(), TxError> {
        genesis::init(state, genesis)
    }

    fn export_genesis(&self, state: &dyn StateRead) -> Result<serde_json::Value, TxError> {
        genesis::export(state)
    }

    /// Expires the deposit periods and tallies the votes that ended (bounded per block).
    fn end_block(&self, ctx: &mut Ctx) -> Result<(), TxError> {
        lifecycle::end_block(ctx)
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_lifecycle;
#[cfg(test)]
mod tests_prop;
