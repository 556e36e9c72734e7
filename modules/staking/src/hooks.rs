//! Staking hooks: what other modules (distribution's F1 rewards) must be told about
//! delegations and validators, with the SDK's `StakingHooks` names and call points.
//!
//! [`StakingModule`](crate::StakingModule) holds one [`SharedHooks`] and hands it to its
//! message handlers (through `Router::add_msg_with`) and its end block; [`crate::slash`] takes
//! it from the slashing module. Every change of a delegation's shares and every validator
//! creation, removal and slash goes through [`delegate_with`], [`unbond_with`] or the hook
//! calls next to `remove_validator`, so a listener never misses one.
//!
//! The SDK hooks distribution ignores (validator bonded / begin unbonding / modified) are not
//! called yet; slashing creates signing info at a validator's first vote instead.

use std::sync::Arc;

use cosmos_sdk_proto::cosmos::staking::v1beta1 as pb;

use deai_framework::{Address, Ctx, Event, TxError};

use crate::keeper::{delegation_shares, operator, StakingRead, StakingWrite};
use crate::math::Dec;

/// The SDK's `types.StakingHooks` (the subset staking calls), each with the block's context:
/// a hook's writes and events are part of the tx or block hook that triggered it, and its
/// error fails that tx (or halts the block).
pub trait StakingHooks: Send + Sync {
    /// A validator record was just created (before its first self-delegation).
    fn after_validator_created(&self, _ctx: &mut Ctx, _val: &Address) -> Result<(), TxError> {
        Ok(())
    }
    /// A validator record was removed (no shares left, no CometBFT power).
    fn after_validator_removed(
        &self,
        _ctx: &mut Ctx,
        _cons: &[u8],
        _val: &Address,
    ) -> Result<(), TxError> {
        Ok(())
    }
    /// `del` is about to delegate to `val` for the first time.
    fn before_delegation_created(
        &self,
        _ctx: &mut Ctx,
        _del: &Address,
        _val: &Address,
    ) -> Result<(), TxError> {
        Ok(())
    }
    /// The shares of an existing delegation are about to change.
    fn before_delegation_shares_modified(
        &self,
        _ctx: &mut Ctx,
        _del: &Address,
        _val: &Address,
    ) -> Result<(), TxError> {
        Ok(())
    }
    /// A delegation is about to be removed (all its shares unbonded).
    fn before_delegation_removed(
        &self,
        _ctx: &mut Ctx,
        _del: &Address,
        _val: &Address,
    ) -> Result<(), TxError> {
        Ok(())
    }
    /// A delegation was created or its shares changed (and it still exists).
    fn after_delegation_modified(
        &self,
        _ctx: &mut Ctx,
        _del: &Address,
        _val: &Address,
    ) -> Result<(), TxError> {
        Ok(())
    }
    /// `val`'s tokens are about to be cut by `fraction` (the SDK's effective fraction:
    /// burned / tokens, rounded up, at most 1).
    fn before_validator_slashed(
        &self,
        _ctx: &mut Ctx,
        _val: &Address,
        _fraction: Dec,
    ) -> Result<(), TxError> {
        Ok(())
    }
}

/// No hooks: staking alone (what `StakingModule::default()` means).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoHooks;

impl StakingHooks for NoHooks {}

/// The hooks a module holds, shared with the handlers it registers.
#[derive(Clone)]
pub struct SharedHooks(pub Arc<dyn StakingHooks>);

impl SharedHooks {
    pub fn new(hooks: Arc<dyn StakingHooks>) -> Self {
        Self(hooks)
    }
    pub fn get(&self) -> &dyn StakingHooks {
        &*self.0
    }
}

impl Default for SharedHooks {
    fn default() -> Self {
        Self(Arc::new(NoHooks))
    }
}

impl std::fmt::Debug for SharedHooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedHooks")
    }
}

/// [`StakingWrite::delegate`] between the hooks, as the SDK's `Keeper.Delegate`: before
/// (created or shares modified), then after modified.
pub fn delegate_with(
    ctx: &mut Ctx,
    hooks: &dyn StakingHooks,
    del: &Address,
    v: &mut pb::Validator,
    amount: u128,
    source: Option<&str>,
    events: &mut Vec<Event>,
) -> Result<Dec, TxError> {
    let val = operator(v)?;
    if ctx.delegation(del, &val)?.is_some() {
        hooks.before_delegation_shares_modified(ctx, del, &val)?;
    } else {
        hooks.before_delegation_created(ctx, del, &val)?;
    }
    let issued = ctx.delegate(del, v, amount, source, events)?;
    hooks.after_delegation_modified(ctx, del, &val)?;
    Ok(issued)
}

/// [`StakingWrite::unbond`] between the hooks, as the SDK's `Keeper.Unbond`: before shares
/// modified; then before removed (all shares) or after modified; and validator removed when
/// the unbond removed the validator.
pub fn unbond_with(
    ctx: &mut Ctx,
    hooks: &dyn StakingHooks,
    del: &Address,
    v: &mut pb::Validator,
    remove: Dec,
) -> Result<u128, TxError> {
    let val = operator(v)?;
    let have = match ctx.delegation(del, &val)? {
        Some(d) => delegation_shares(&d)?,
        None => Dec::ZERO,
    };
    if have != Dec::ZERO {
        hooks.before_delegation_shares_modified(ctx, del, &val)?;
        if remove >= have {
            hooks.before_delegation_removed(ctx, del, &val)?;
        }
    }
    let cons = crate::keeper::consensus_address(&crate::keeper::consensus_key(v)?);
    let amount = ctx.unbond(del, v, remove)?;
    if remove < have {
        hooks.after_delegation_modified(ctx, del, &val)?;
    }
    if ctx.validator(&val)?.is_none() {
        hooks.after_validator_removed(ctx, &cons, &val)?;
    }
    Ok(amount)
}

/// [`StakingWrite::remove_validator`] followed by the removed hook.
pub fn remove_validator_with(
    ctx: &mut Ctx,
    hooks: &dyn StakingHooks,
    v: &pb::Validator,
) -> Result<(), TxError> {
    let val = operator(v)?;
    let cons = crate::keeper::consensus_address(&crate::keeper::consensus_key(v)?);
    ctx.remove_validator(v)?;
    hooks.after_validator_removed(ctx, &cons, &val)
}
