//! staking: proof-of-stake with the Cosmos SDK v0.50 semantics and wire types
//! (`cosmos.staking.v1beta1`), so Keplr, cosmjs and Hermes need nothing new.
//!
//! # What exists
//! - **Params** (`unbonding_time`, `max_validators`, `max_entries`, `historical_entries`,
//!   `bond_denom`, `min_commission_rate`) with the SDK's defaults (bond denom `udeai`).
//! - **Validators**: operator addresses `deaivaloper1…` (the operator account's bytes, see
//!   [`address`]), an ed25519 consensus key (`/cosmos.crypto.ed25519.PubKey`, 32 bytes), a
//!   description, commission rates with the SDK's checks, a min self-delegation, status
//!   bonded/unbonding/unbonded, jailed, tokens and delegator shares.
//! - **Exchange rates** (see [`math`]): shares are 18-decimal fixed point (the framework's
//!   `Dec`, the same precision as the SDK's LegacyDec), products through 256 bits, every
//!   rounding in the pools' favour, so delegating and undelegating never create a token.
//! - **Pools**: the module accounts [`BONDED_POOL`] and [`NOT_BONDED_POOL`] (the SDK's
//!   names; burner permission for the slashing to come). Bonded validators' tokens sit in the
//!   first; unbonding and unbonded validators' tokens and maturing undelegations in the second.
//!   Total supply = Σ balances (pools included), which the property test checks.
//! - **Messages**: MsgCreateValidator, MsgEditValidator, MsgDelegate, MsgUndelegate,
//!   MsgBeginRedelegate, MsgCancelUnbondingDelegation and MsgUpdateParams (authority: gov's
//!   account by default), each with its stateless checks and the SDK's error codes.
//! - **End block** (see [`endblock`]): maturity of unbondings, redelegations and unbonding
//!   validators (bounded per block), the validator set by power (top `max_validators`, ties by
//!   operator bytes), status transitions with pool moves, CometBFT validator updates diffed
//!   against the last powers and clamped so that the total moves by < 1/3 a block, and
//!   HistoricalInfo for the last `historical_entries` heights.
//! - **Queries** at the SDK's paths: Validators (by status, paginated), Validator,
//!   ValidatorDelegations, ValidatorUnbondingDelegations, Delegation, DelegatorDelegations,
//!   UnbondingDelegation, DelegatorUnbondingDelegations, Redelegations (by delegator),
//!   DelegatorValidators, DelegatorValidator, Pool, Params and HistoricalInfo.
//! - **Hooks** (see [`hooks`]): [`StakingHooks`] with the SDK's names, held by
//!   [`StakingModule::with_hooks`] and called around every delegation change, validator
//!   creation and removal, and slash (distribution's F1 rewards).
//! - **Genesis** in the SDK's JSON shape (see [`genesis`]); export → import → export is exact.
//!
//! # What is left
//! - The query of a redelegation entry's balance assumes no slashing yet.
//! - The SDK's source-only Redelegations query (no delegator).
//!
//! # Deviations from the SDK, on purpose
//! - Undelegating a token amount floors the tokens paid in one step (the SDK rounds at the
//!   18th decimal first): at most one base unit less, never more.
//! - A redelegation from an unbonded validator completes at once (no entry), as in the SDK;
//!   undelegations always wait the unbonding time.
//! - CometBFT power lags the bonded set while the 1/3 clamp spreads a large change over blocks
//!   (status and pools follow the set at once).

pub mod address;
pub mod endblock;
mod error;
pub mod events;
pub mod genesis;
mod genesis_json;
pub mod hooks;
pub mod keeper;
pub mod math;
mod msgs;
mod params;
mod query;
pub mod slash;
pub mod state_key;

pub use endblock::{
    clamp_updates, end_blocker, end_blocker_with, genesis_validator_updates, ValidatorUpdate,
    MAX_MATURE_PER_BLOCK,
};
pub use error::*;
pub use hooks::{NoHooks, SharedHooks, StakingHooks};
pub use keeper::{StakingRead, StakingWrite};
pub use msgs::{
    BeginRedelegate, CancelUnbondingDelegation, CreateValidator, Delegate, EditValidator,
    Undelegate, UpdateParams,
};
pub use params::Params;
pub use slash::{slash, Slashed};

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;
use deai_framework::{Ctx, Module, Router, StateRead, StateWrite, TxError};

pub const MODULE_NAME: &str = "staking";
/// The SDK's pool module accounts.
pub const BONDED_POOL: &str = "bonded_tokens_pool";
pub const NOT_BONDED_POOL: &str = "not_bonded_tokens_pool";
/// Tokens per unit of consensus power (the SDK's DefaultPowerReduction, 10^6).
pub const POWER_REDUCTION: u128 = 1_000_000;

/// The staking module; `default()` has no hooks, [`StakingModule::with_hooks`] tells
/// `hooks` (distribution) of every delegation and validator change.
#[derive(Clone, Debug, Default)]
pub struct StakingModule {
    hooks: SharedHooks,
}

impl StakingModule {
    pub fn with_hooks(hooks: std::sync::Arc<dyn StakingHooks>) -> Self {
        Self {
            hooks: SharedHooks::new(hooks),
        }
    }

    pub fn hooks(&self) -> &SharedHooks {
        &self.hooks
    }
}

/// Registers message `P` as `M`, with the module's hooks put into the decoded message.
macro_rules! add_hooked {
    ($router:expr, $hooks:expr, $p:ty, $m:ty) => {{
        let h = $hooks.clone();
        $router.add_msg_with::<$p, $m, _>(move |p| {
            let mut m = <$m>::try_from(p)?;
            m.hooks = h.clone();
            Ok(m)
        });
    }};
}

impl Module for StakingModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn register(&self, router: &mut Router) {
        let h = &self.hooks;
        add_hooked!(router, h, pb::MsgCreateValidator, CreateValidator);
        router.add_msg::<pb::MsgEditValidator, EditValidator>();
        add_hooked!(router, h, pb::MsgDelegate, Delegate);
        add_hooked!(router, h, pb::MsgUndelegate, Undelegate);
        add_hooked!(router, h, pb::MsgBeginRedelegate, BeginRedelegate);
        add_hooked!(
            router,
            h,
            pb::MsgCancelUnbondingDelegation,
            CancelUnbondingDelegation
        );
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

    /// Runs [`end_blocker`]; its validator updates are stored for the app to read
    /// ([`StakingRead::stored_validator_updates`]).
    fn end_block(&self, ctx: &mut Ctx) -> Result<(), TxError> {
        end_blocker_with(ctx, self.hooks.get()).map(|_| ())
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_delegation;
#[cfg(test)]
mod tests_hooks;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_queries;
#[cfg(test)]
mod tests_set;
