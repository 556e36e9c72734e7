//! distribution: F1 fee distribution with the Cosmos SDK v0.50 semantics and wire types
//! (`cosmos.distribution.v1beta1`), so cosmjs's distribution extension and Keplr work
//! unchanged. See README.md for what exists, the deviations and what is left.
//!
//! - Begin block ([`allocation`]): the fee collector's balance is shared by the previous
//!   commit's validators by power (no proposer bonus, as v0.50), after the community tax.
//! - Rewards ([`rewards`]): the SDK's F1 accumulators per validator, delegations' rewards
//!   computed lazily from period ratios and slash events; nothing iterates delegators.
//! - [`Hooks`]: what staking (and slashing, through `deai_staking::slash`) must tell it; the
//!   app hands `Arc::new(Hooks)` to `StakingModule::with_hooks` and
//!   `SlashingModule::with_hooks`.
//! - The community pool is the `community_pool` module account (where every market pays its
//!   take) plus decimal dust kept here.

pub mod allocation;
pub mod deccoins;
mod error;
pub mod events;
pub mod genesis;
mod hooks;
pub mod keeper;
mod msgs;
pub mod params;
mod query;
pub mod rewards;
pub mod state_key;

pub use error::*;
pub use hooks::Hooks;
pub use keeper::{DistributionRead, DistributionWrite};
pub use msgs::{
    CommunityPoolSpend, DepositValidatorRewardsPool, FundCommunityPool, SetWithdrawAddress,
    UpdateParams, WithdrawDelegatorReward, WithdrawValidatorCommission,
};
pub use params::Params;

use cosmos_sdk_proto::cosmos::distribution::v1beta1 as pb;
use deai_framework::{Ctx, Module, Router, StateRead, StateWrite, TxError};

pub const MODULE_NAME: &str = "distribution";
/// The module account holding outstanding rewards and the pool's dust (the SDK's name).
pub const MODULE_ACCOUNT: &str = "distribution";

#[derive(Clone, Copy, Debug, Default)]
pub struct DistributionModule;

impl Module for DistributionModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn register(&self, router: &mut Router) {
        router.add_msg::<pb::MsgSetWithdrawAddress, SetWithdrawAddress>();
        router.add_msg::<pb::MsgWithdrawDelegatorReward, WithdrawDelegatorReward>();
        router.add_msg::<pb::MsgWithdrawValidatorCommission, WithdrawValidatorCommission>();
        router.add_msg::<pb::MsgFundCommunityPool, FundCommunityPool>();
        router.add_msg::<pb::MsgUpdateParams, UpdateParams>();
        router.add_msg::<pb::MsgCommunityPoolSpend, CommunityPoolSpend>();
        router.add_msg::<pb::MsgDepositValidatorRewardsPool, DepositValidatorRewardsPool>();
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

    /// Allocates the previous block's fees (must run before slashing's begin block, as the
    /// SDK orders distribution before slashing and evidence).
    fn begin_block(&self, ctx: &mut Ctx) -> Result<(), TxError> {
        allocation::begin_blocker(ctx)
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_queries;
