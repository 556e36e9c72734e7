//! gov: on-chain governance with the Cosmos SDK v0.50 semantics and wire types
//! (`cosmos.gov.v1`, and the `cosmos.gov.v1beta1` messages and queries cosmjs and Keplr
//! use), built on deai-bank (deposits in the `gov` module account, burner) and deai-staking
//! (stake-weighted tally). See README.md for what exists, the deviations and what is left.
//!
//! Proposals carry messages (`Any`) that must decode through the app's router with the gov
//! account ([`gov_account`], the default authority of every module) as their only signer;
//! a passed proposal executes them as that account, all or nothing.

mod endblock;
mod error;
pub mod events;
pub mod genesis;
pub mod keeper;
mod msgs;
pub mod params;
mod query;
mod query_legacy;
pub mod state_key;
pub mod tally;

pub use deai_framework::dec::Dec;
pub use endblock::{end_blocker, MAX_PROPOSALS_PER_BLOCK};
pub use error::*;
pub use keeper::{GovRead, GovWrite, MAX_DEPOSITORS};
pub use msgs::{
    gov_account, CancelProposal, Deposit, ExecLegacyContent, LegacySubmitProposal, SubmitProposal,
    UpdateParams, Vote, VoteKind, MAX_METADATA_LEN, MAX_PROPOSAL_MSGS, MAX_SUMMARY_LEN,
};
pub use params::Params;
pub use tally::MAX_VOTERS;

use cosmos_sdk_proto::cosmos::gov::v1 as pb;
use cosmos_sdk_proto::cosmos::gov::v1beta1 as b1;
use deai_framework::{Ctx, Module, Router, StateRead, StateWrite, TxError};

/// The module name, its store prefix and its module account's name.
pub const MODULE_NAME: &str = "gov";

#[derive(Clone, Copy, Debug, Default)]
pub struct GovModule;

impl Module for GovModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn register(&self, router: &mut Router) {
        router.add_msg::<pb::MsgSubmitProposal, SubmitProposal>();
        router.add_msg::<pb::MsgDeposit, Deposit>();
        router.add_msg::<pb::MsgVote, Vote>();
        router.add_msg::<pb::MsgVoteWeighted, Vote>();
        router.add_msg::<pb::MsgCancelProposal, CancelProposal>();
        router.add_msg::<pb::MsgUpdateParams, UpdateParams>();
        router.add_msg::<pb::MsgExecLegacyContent, ExecLegacyContent>();
        router.add_msg::<b1::MsgSubmitProposal, LegacySubmitProposal>();
        router.add_msg::<b1::MsgDeposit, Deposit>();
        router.add_msg::<b1::MsgVote, Vote>();
        router.add_msg::<b1::MsgVoteWeighted, Vote>();
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

    /// Drops and tallies the proposals whose periods ended ([`end_blocker`]). Must run
    /// before staking's end block, as in the SDK (the tally sees the bonded set the block
    /// started with).
    fn end_block(&self, ctx: &mut Ctx) -> Result<(), TxError> {
        end_blocker(ctx)
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_queries;
#[cfg(test)]
mod tests_rules;
