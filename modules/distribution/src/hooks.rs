//! [`Hooks`]: distribution's side of staking's hooks (the SDK's `x/distribution` `Hooks`).
//! The app gives one `Arc<Hooks>` to both `StakingModule::with_hooks` and
//! `SlashingModule::with_hooks`.

use deai_framework::dec::Dec;
use deai_framework::{Address, Ctx, Event, TxError};
use deai_staking::StakingHooks;

use crate::rewards;

/// Keeps F1 rewards in step with staking: accumulators at a validator's creation, a reward
/// withdrawal before a delegation's shares change, a new starting info after, a slash event
/// before a slash, and the sweep at a validator's removal.
#[derive(Clone, Copy, Debug, Default)]
pub struct Hooks;

fn emit(ctx: &mut Ctx, events: Vec<Event>) {
    events.into_iter().for_each(|e| ctx.emit(e));
}

impl StakingHooks for Hooks {
    fn after_validator_created(&self, ctx: &mut Ctx, val: &Address) -> Result<(), TxError> {
        rewards::initialize_validator(ctx, val)
    }

    fn after_validator_removed(
        &self,
        ctx: &mut Ctx,
        _cons: &[u8],
        val: &Address,
    ) -> Result<(), TxError> {
        let mut events = Vec::new();
        rewards::remove_validator(ctx, val, &mut events)?;
        emit(ctx, events);
        Ok(())
    }

    fn before_delegation_created(
        &self,
        ctx: &mut Ctx,
        _del: &Address,
        val: &Address,
    ) -> Result<(), TxError> {
        let mut events = Vec::new();
        rewards::increment_period(ctx, val, &mut events)?;
        emit(ctx, events);
        Ok(())
    }

    fn before_delegation_shares_modified(
        &self,
        ctx: &mut Ctx,
        del: &Address,
        val: &Address,
    ) -> Result<(), TxError> {
        let mut events = Vec::new();
        let height = ctx.block.height;
        rewards::withdraw_rewards(ctx, val, del, height, &mut events)?;
        emit(ctx, events);
        Ok(())
    }

    fn after_delegation_modified(
        &self,
        ctx: &mut Ctx,
        del: &Address,
        val: &Address,
    ) -> Result<(), TxError> {
        let height = ctx.block.height;
        rewards::initialize_delegation(ctx, val, del, height)
    }

    fn before_validator_slashed(
        &self,
        ctx: &mut Ctx,
        val: &Address,
        fraction: Dec,
    ) -> Result<(), TxError> {
        let mut events = Vec::new();
        let height = ctx.block.height;
        rewards::record_slash(ctx, val, fraction, height, &mut events)?;
        emit(ctx, events);
        Ok(())
    }
}
