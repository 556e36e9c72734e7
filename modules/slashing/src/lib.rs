//! slashing: validator liveness and double-sign punishment with the Cosmos SDK v0.50
//! semantics and wire types (`cosmos.slashing.v1beta1`), built on `deai-staking`.
//!
//! # What exists
//! - **Params** (`signed_blocks_window` 100, `min_signed_per_window` 0.5,
//!   `downtime_jail_duration` 600s, `slash_fraction_double_sign` 0.05,
//!   `slash_fraction_downtime` 0.01) with the SDK's checks (see [`params`]).
//! - **Signing info** per consensus address and the missed-blocks bitmap (one key per
//!   missed index, at most a window of them), in [`keeper`].
//! - [`begin_blocker`]: the votes of `FinalizeBlock.decided_last_commit`; a validator that
//!   missed more than the window allows is slashed by the downtime fraction at height − 2,
//!   jailed for the jail duration and its counters reset.
//! - [`handle_equivocation`]: a `FinalizeBlock.misbehavior` duplicate vote; slashes by the
//!   double-sign fraction (with unbonding delegations and redelegations begun since the
//!   infraction, through `deai_staking::slash`), jails forever and tombstones; stale evidence
//!   and tombstoned validators are ignored.
//! - **Messages**: MsgUnjail, MsgUpdateParams. **Queries**: Params, SigningInfo, SigningInfos.
//! - **Genesis** in the SDK's JSON shape; export → import → export is exact.
//!
//! # What is left
//! - Signing info is created at a validator's first vote rather than in staking's
//!   AfterValidatorBonded hook. (The app registers [`SlashingModule::with_hooks`] with
//!   distribution's hooks, after distribution, whose begin block runs first.)

mod error;
pub mod events;
pub mod genesis;
pub mod keeper;
mod msgs;
pub mod params;
mod query;
pub mod state_key;

pub use error::*;
pub use keeper::{
    begin_blocker, handle_equivocation, handle_equivocation_with, SlashingRead, SlashingWrite, Vote,
};
pub use msgs::{Unjail, UpdateParams};
pub use params::Params;

use cosmos_sdk_proto::cosmos::slashing::v1beta1 as pb;
use deai_framework::{Ctx, Module, Router, StateRead, StateWrite, TxError};
use deai_staking::{SharedHooks, StakingHooks};

pub const MODULE_NAME: &str = "slashing";

/// The slashing module; `default()` slashes without staking hooks, [`SlashingModule::with_hooks`]
/// tells `hooks` (distribution) of every slash, as staking's module does of delegations.
#[derive(Clone, Debug, Default)]
pub struct SlashingModule {
    hooks: SharedHooks,
}

impl SlashingModule {
    pub fn with_hooks(hooks: std::sync::Arc<dyn StakingHooks>) -> Self {
        Self {
            hooks: SharedHooks::new(hooks),
        }
    }
}

impl Module for SlashingModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn register(&self, router: &mut Router) {
        router.add_msg::<pb::MsgUnjail, Unjail>();
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

    /// Liveness from the block's `decided_last_commit`, then its double-sign evidence
    /// (the SDK's slashing and evidence begin blockers, in that order).
    fn begin_block(&self, ctx: &mut Ctx) -> Result<(), TxError> {
        let comet = ctx.block.comet.clone();
        let votes: Vec<Vote> = comet
            .last_commit
            .iter()
            .map(|v| Vote {
                cons: v.address.clone(),
                power: v.power,
                signed: v.signed,
            })
            .collect();
        begin_blocker(ctx, self.hooks.get(), &votes)?;
        for m in comet.misbehavior.iter().take(keeper::MAX_VOTES) {
            handle_equivocation_with(
                ctx,
                self.hooks.get(),
                &m.address,
                m.height,
                m.time_unix,
                m.power,
                comet.evidence_max_age_blocks,
                comet.evidence_max_age_secs,
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_double_sign;
#[cfg(test)]
mod tests_prop;
